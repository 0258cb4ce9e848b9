import { createEffect, createSignal, Show } from "solid-js";
import { banner, dismissError } from "../errors";

/**
 * The one place errors are shown: what happened and what to do next, in
 * sentences. The stable code, the command and the core's own message are
 * behind "Details" for support, never in the sentence.
 */
export function ErrorBanner() {
  // Closed again for each new error: the details are for support, on request.
  const [open, setOpen] = createSignal(false);
  createEffect(() => {
    banner()?.seq;
    setOpen(false);
  });
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
            <button
              type="button"
              class="link error-details-toggle"
              data-testid="error-details-toggle"
              aria-expanded={open()}
              aria-controls="error-details"
              onClick={() => setOpen(!open())}
            >
              {open() ? "Hide details" : "Details"}
            </button>
            {/* `hidden`, not removed: screen readers and support can still reach it on request. */}
            <div class="error-details" id="error-details" data-testid="error-details" hidden={!open()}>
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
            </div>
          </div>
          <button type="button" onClick={() => dismissError()} data-testid="error-dismiss">
            Dismiss
          </button>
        </div>
      )}
    </Show>
  );
}
