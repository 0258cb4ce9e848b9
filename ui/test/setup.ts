import { cleanup } from "@solidjs/testing-library";
import { afterEach } from "vitest";
import { resetTransport } from "../src/api";
import { dismissError } from "../src/errors";
import { resetAppForTests } from "../src/session";

afterEach(() => {
  cleanup();
  resetTransport();
  dismissError();
  resetAppForTests();
});
