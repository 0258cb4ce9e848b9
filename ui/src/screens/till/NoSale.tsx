// "No sale": open the cash drawer without a sale, with a reason (change for a
// note, a float check). A cashier lacks `drawer.open`, so a manager approves it
// on the spot; the core keeps each one per shift and audits it.

import { createSignal, Show } from "solid-js";
import { call, newIdempotencyKey, toTillbookError } from "../../api";
import { withApproval } from "../../components/Approval";
import { Dialog } from "../../components/Dialog";
import { autofocus } from "../../forms";
import { setTill } from "./state";

const REASON_MAX = 200;
const [open, setOpen] = createSignal(false);
const [reason, setReason] = createSignal("");
const [problem, setProblem] = createSignal<string | null>(null);
const [busy, setBusy] = createSignal(false);
let key = newIdempotencyKey();

async function submit(e: Event): Promise<void> {
  e.preventDefault();
  const why = reason().trim();
  if (why === "") {
    setProblem("Say why the drawer is opened, e.g. change for a note.");
    return;
  }
  setBusy(true);
  try {
    const v = await withApproval((approval) => call("shifts.no_sale", { idempotency_key: key, reason: why, approval }));
    key = newIdempotencyKey();
    setOpen(false);
    setTill("notice", `No sale recorded in shift #${v.shift_number}: open the drawer.`);
  } catch (err) {
    setProblem(toTillbookError(err).message);
  } finally {
    setBusy(false);
  }
}

export function NoSaleButton() {
  return (
    <>
      <button
        type="button"
        onClick={() => {
          setReason("");
          setProblem(null);
          setOpen(true);
        }}
        data-testid="till-no-sale"
      >
        No sale
      </button>
      <Show when={open()}>
        <Dialog title="Open the drawer without a sale" testid="no-sale-dialog" onClose={() => setOpen(false)}>
          <form onSubmit={(e) => void submit(e)}>
            <label for="no-sale-reason">Why?</label>
            <input
              id="no-sale-reason"
              ref={autofocus}
              maxLength={REASON_MAX}
              value={reason()}
              onInput={(e) => setReason(e.currentTarget.value)}
              placeholder="Change for a £20 note"
              data-testid="no-sale-reason"
            />
            <Show when={problem()}>
              {(p) => (
                <p class="field-error" role="alert" data-testid="no-sale-problem">
                  {p()}
                </p>
              )}
            </Show>
            <div class="actions">
              <button type="submit" class="primary" disabled={busy()} data-testid="no-sale-submit">
                Record and open
              </button>
            </div>
          </form>
        </Dialog>
      </Show>
    </>
  );
}
