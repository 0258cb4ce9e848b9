import { Match, Show, Switch } from "solid-js";
import { AppErrorBoundary } from "./components/AppErrorBoundary";
import { ErrorBanner } from "./components/ErrorBanner";
import { Frame } from "./Frame";
import { LockScreen } from "./screens/LockScreen";
import { Login } from "./screens/Login";
import { Setup } from "./screens/Setup";
import { app } from "./session";

/** First run -> login -> the main frame (with the lock screen over it when idle-locked). */
export function App() {
  return (
    <div class="app">
      <ErrorBanner />
      <AppErrorBoundary>
        <Switch>
          <Match when={app.phase === "starting"}>
            <main class="center-page" data-testid="starting">
              <p class="muted">Opening the till…</p>
            </main>
          </Match>
          <Match when={app.phase === "setup"}>
            <Setup />
          </Match>
          <Match when={app.phase === "login"}>
            <Login />
          </Match>
          <Match when={app.phase === "app"}>
            <Frame />
            <Show when={app.session?.locked}>
              <LockScreen />
            </Show>
          </Match>
        </Switch>
      </AppErrorBoundary>
    </div>
  );
}
