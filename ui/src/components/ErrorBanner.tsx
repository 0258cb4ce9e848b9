import { Show } from "solid-js";
import { banner, dismissError } from "../errors";

/** The one place errors are shown: plain words, the core's message and the stable code. */
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
            <span data-testid="error-message">{b().message}</span>
            <span class="error-code">
              code: <code data-testid="error-code">{b().code}</code>
              <Show when={b().cmd}>
                {(cmd) => (
                  <>
                    {" "}
                    in <code>{cmd()}</code>
                  </>
                )}
              </Show>
            </span>
          </div>
          <button type="button" onClick={() => dismissError()} data-testid="error-dismiss">
            Dismiss
          </button>
        </div>
      )}
    </Show>
  );
}
