import "./app.css";
import { render } from "solid-js/web";
import { App } from "./App";
import { installGlobalErrorHandlers } from "./errors";
import { boot } from "./session";

installGlobalErrorHandlers(window);
const root = document.getElementById("root");
if (root) {
  render(() => <App />, root);
  void boot();
}
