import { Show } from "solid-js";
import { banner, dismissError } from "../errors";

/**
 * The one place errors are shown: what happened and what to do next, in
 * sentences. The stable code, the command and the core's own message are
 * behind "Details" for support, never in the sentence.
 */
export function ErrorBanner() {
  return (
    <Show when={banner()}>
      {(b) => (
        <div
          class="error-banner"
          role="alert"
          data-testid="error-banner"
          data-code={b().code}
          onKeyDown={(e) => {
            if (e.key === "Escape") dismissError();
          }}
        >
          <div class="error-text">
            <strong data-testid="error-plain">{b().plain}</strong>
            <span data-testid="error-next">{b().next}</span>
            <details class="error-details" data-testid="error-details">
              <summary data-testid="error-details-toggle">Details</summary>
              <span data-testid="error-message">{b().message}</span>
              <span class="error-code">
                <code data-testid="error-code">{b().code}</code>
                <Show when={b().cmd}>
                  {(cmd) => (
                    <>
                      {" · "}
                      <code>{cmd()}</code>
                    </>
                  )}
                </Show>
              </span>
            </details>
          </div>
          <button type="button" onClick={() => dismissError()} data-testid="error-dismiss">
            Dismiss
          </button>
        </div>
      )}
    </Show>
  );
}
