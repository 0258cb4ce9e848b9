// A manager's approval on the spot (T39), for any call: when the core refuses a
// change with `forbidden` and says an approval could grant it
// (`details.approvable`), the till asks "A manager can approve this" on the
// cashier's screen, and the same call is sent once more with the manager's
// username and PIN or password. Nothing is kept: the next call asks again, and
// the secret is forgotten as soon as the retry is sent.

import { createSignal, Show } from "solid-js";
import { TillbookError, toTillbookError } from "../api";
import type { Approval } from "../generated/Approval";
import { approvalFrom, needsText } from "../logic/paying";
import { Dialog } from "./Dialog";

interface Pending {
  needs: string[];
  message: string;
  resolve: (a: Approval | null) => void;
}

const [pending, setPending] = createSignal<Pending | null>(null);
const [username, setUsername] = createSignal("");
const [secret, setSecret] = createSignal("");
const [problem, setProblem] = createSignal<string | null>(null);

/** Whether an approval could let this refusal through. */
export function isApprovable(err: TillbookError): boolean {
  return err.code === "forbidden" && err.details["approvable"] === true;
}

function needsOf(err: TillbookError): string[] {
  const n = err.details["needs"];
  return Array.isArray(n) ? n.filter((x): x is string => typeof x === "string") : [];
}

/** Opens the dialog; resolves with the approval typed, or null when cancelled. */
function ask(err: TillbookError): Promise<Approval | null> {
  pending()?.resolve(null);
  setSecret("");
  setProblem(null);
  return new Promise((resolve) => setPending({ needs: needsOf(err), message: err.message, resolve }));
}

function finish(a: Approval | null): void {
  const p = pending();
  setPending(null);
  setSecret("");
  p?.resolve(a);
}

/**
 * Runs `run` without an approval; if the core says a manager could approve
 * it, asks for one and runs it once more with it. A refused approval is
 * rethrown in plain words; a cancelled one rethrows the first refusal.
 */
export async function withApproval<T>(run: (approval: Approval | null) => Promise<T>): Promise<T> {
  try {
    return await run(null);
  } catch (e) {
    const first = toTillbookError(e);
    if (!isApprovable(first)) throw first;
    const approval = await ask(first);
    if (approval === null) throw first;
    try {
      return await run(approval);
    } catch (e2) {
      const err = toTillbookError(e2);
      if (err.code !== "forbidden") throw err;
      throw new TillbookError("forbidden", `The manager's approval was refused: ${err.message}`, err.details, err.cmd);
    }
  }
}

/** The dialog itself; mounted once on the till. */
export function ApprovalDialog() {
  const submit = (e: Event) => {
    e.preventDefault();
    const a = approvalFrom(username(), secret());
    if (a === null) {
      setProblem("Enter the manager's username and their PIN or password.");
      return;
    }
    finish(a);
  };
  return (
    <Show when={pending()}>
      {(p) => (
        <Dialog title="A manager can approve this" testid="approval-dialog" onClose={() => finish(null)}>
          <form onSubmit={submit} data-testid="approval-form">
            <p data-testid="approval-reason">
              Your role may not {needsText(p().needs)}. A manager can approve this one action here; it is recorded with both names.
            </p>
            <div class="field">
              <label for="approval-username">Manager's username</label>
              <input
                id="approval-username"
                autocomplete="off"
                value={username()}
                onInput={(e) => setUsername(e.currentTarget.value)}
                data-testid="approval-username"
              />
            </div>
            <div class="field">
              <label for="approval-secret">PIN or password</label>
              <input
                id="approval-secret"
                type="password"
                autocomplete="off"
                value={secret()}
                onInput={(e) => setSecret(e.currentTarget.value)}
                data-testid="approval-secret"
              />
            </div>
            <Show when={problem()}>
              {(m) => (
                <p class="field-error" role="alert" data-testid="approval-problem">
                  {m()}
                </p>
              )}
            </Show>
            <div class="actions">
              <button type="button" onClick={() => finish(null)} data-testid="approval-cancel">
                Cancel
              </button>
              <span class="spacer" />
              <button type="submit" class="primary" data-testid="approval-submit">
                Approve
              </button>
            </div>
          </form>
        </Dialog>
      )}
    </Show>
  );
}
