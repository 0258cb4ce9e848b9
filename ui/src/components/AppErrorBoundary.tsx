import { ErrorBoundary, onMount, type JSX } from "solid-js";
import { reportError } from "../errors";
import { autofocus } from "../forms";

/**
 * Catches a render or effect error in its children: the error goes to the
 * banner (plain words and code), and "Try again" re-renders the children.
 * Screens keep their state in module-level stores, so re-rendering shows
 * exactly what was entered before the failure (T23).
 */
export function AppErrorBoundary(props: { children: JSX.Element }) {
  return (
    <ErrorBoundary fallback={(err, reset) => <Fallback err={err} reset={reset} />}>{props.children}</ErrorBoundary>
  );
}

function Fallback(props: { err: unknown; reset: () => void }) {
  onMount(() => reportError(props.err));
  return (
    <section class="boundary-fallback" data-testid="error-boundary">
      <h2>This screen stopped because of an error</h2>
      <p>What you entered is kept. Try again, or go to another screen.</p>
      <button type="button" class="primary" onClick={() => props.reset()} data-testid="error-retry" ref={autofocus}>
        Try again
      </button>
    </section>
  );
}
