import { onMount, Show } from "solid-js";
import { createStore } from "solid-js/store";
import { call, TillbookError, type CreditMode, type CustomerView } from "../api";
import { Dialog } from "../components/Dialog";
import { SelectField, TextField } from "../components/Field";
import { reportError } from "../errors";
import { createForm } from "../forms";
import type { SetCreditRequest } from "../generated/SetCreditRequest";
import { formatMoney, parseMoney, requireMoney } from "../money";
import { can, onSignOut } from "../session";
import { createParty, PartyScreen } from "./parties";

export const customers = createParty<CustomerView>("customer");

interface CreditState {
  /** Whose credit the dialog edits (null = closed). */
  row: CustomerView | null;
  /** `credit_approval_threshold_minor` from the settings (null until read). */
  threshold: number | null;
}
export const [credit, setCredit] = createStore<CreditState>({ row: null, threshold: null });
export const creditForm = createForm("credit", () => ({
  limit: "",
  mode: "block",
  approver_username: "",
  approver_password: "",
}));

onSignOut(() => {
  setCredit({ row: null, threshold: null });
  creditForm.reset();
});

/**
 * Does this change need a second user's approval? Raising the limit above the
 * threshold does (T21); lowering it, or staying at or below the threshold, does not.
 * The core decides; this only shows the approver fields.
 */
export function needsApproval(currentMinor: number, newMinor: number | null, threshold: number | null): boolean {
  if (newMinor === null || threshold === null) return false;
  return newMinor > threshold && newMinor > currentMinor;
}

/** The credit form as `customers.set_credit` arguments. */
export function creditArgs(row: CustomerView, v: typeof creditForm.values): SetCreditRequest {
  const limit = requireMoney("limit", v.limit);
  const args: SetCreditRequest = { id: row.id, version: row.version, credit_limit_minor: limit, credit_mode: v.mode as CreditMode };
  // Sent whenever given; without one, a change that needs approval is refused by the
  // core with `validation` naming `approver`, shown beside the approver's username.
  if (v.approver_username.trim() !== "") {
    args.approver = { username: v.approver_username.trim(), password: v.approver_password };
  }
  return args;
}

async function loadThreshold() {
  try {
    const s = await call("settings.get");
    setCredit("threshold", s.settings.credit_approval_threshold_minor);
  } catch (e) {
    reportError(e);
  }
}

function openCredit(row: CustomerView) {
  creditForm.reset();
  creditForm.setValues({ limit: formatMoney(row.credit_limit_minor), mode: row.credit_mode });
  setCredit("row", row);
  if (credit.threshold === null) void loadThreshold();
}

async function submitCredit(row: CustomerView) {
  let conflict = false;
  const ok = await creditForm.submit(
    async () => {
      try {
        await call("customers.set_credit", creditArgs(row, creditForm.values));
      } catch (e) {
        conflict = e instanceof TillbookError && e.code === "conflict";
        throw e;
      }
    },
    {
      mapField: (f) => (f === "credit_limit_minor" ? "limit" : f === "credit_mode" ? "mode" : f.startsWith("approver") ? "approver_username" : f),
      // A refused approver (wrong password, no credit.approve) is `forbidden`: show it by the approver.
      fieldFor: (e) => (e.code === "forbidden" && creditForm.values.approver_username !== "" ? "approver_username" : undefined),
    },
  );
  if (ok) {
    setCredit("row", null);
    creditForm.reset();
    await customers.refreshRow(row.id);
  } else if (conflict) {
    const fresh = await customers.refreshRow(row.id);
    if (fresh) setCredit("row", fresh);
  }
}

export function Customers() {
  onMount(() => void customers.load());
  const manage = () => can("customers.manage");
  const creditOk = () => can("credit.manage");
  return (
    <PartyScreen
      party={customers}
      title="Customers"
      manage={manage()}
      columns={
        <>
          <th class="num">Credit limit</th>
          <th>Mode</th>
        </>
      }
      cells={(c) => (
        <>
          <td class="num" data-testid={`customer-limit-${c.id}`}>
            {formatMoney(c.credit_limit_minor)}
          </td>
          <td>{c.credit_mode}</td>
        </>
      )}
      actions={(c) => (
        <Show when={creditOk() && !c.archived}>
          <button type="button" onClick={() => openCredit(c)} data-testid={`customer-credit-${c.id}`}>
            Credit…
          </button>
        </Show>
      )}
    >
      <Show when={credit.row}>
        {(row) => (
          <Dialog title={`Credit for ${row().name}`} testid="credit-dialog" onClose={() => setCredit("row", null)}>
            <form data-testid="credit-form" onSubmit={(e) => (e.preventDefault(), void submitCredit(row()))}>
              <p class="muted">
                Now {formatMoney(row().credit_limit_minor)} ({row().credit_mode}); balance owed {formatMoney(row().balance_minor)}.
              </p>
              <div class="row">
                <TextField form={creditForm} name="limit" label="Credit limit" inputmode="numeric" autofocus />
                <SelectField
                  form={creditForm}
                  name="mode"
                  label="Over the limit"
                  options={[
                    { value: "block", label: "Block the sale" },
                    { value: "warn", label: "Warn only" },
                  ]}
                />
              </div>
              <Show when={needsApproval(row().credit_limit_minor, parseMoney(creditForm.values.limit), credit.threshold)}>
                <fieldset data-testid="credit-approval">
                  <legend>Approval needed (above {formatMoney(credit.threshold ?? 0)})</legend>
                  <p class="muted">A second person who may approve credit (an owner or a manager) signs this change.</p>
                  {/* A shop with one owner has no second person: the way on is the threshold itself. */}
                  <p class="muted" data-testid="credit-sole-owner">
                    Running the shop alone? Raise the approval threshold in Settings (the change is recorded in the audit log), then set
                    this limit again — no second person is needed up to the threshold.
                  </p>
                  <div class="row">
                    <TextField form={creditForm} name="approver_username" label="Approver username" />
                    <TextField form={creditForm} name="approver_password" label="Approver password" type="password" autocomplete="off" />
                  </div>
                </fieldset>
              </Show>
              <div class="actions">
                <button type="submit" class="primary" data-testid="credit-submit" disabled={creditForm.busy()}>
                  Save credit
                </button>
              </div>
            </form>
          </Dialog>
        )}
      </Show>
    </PartyScreen>
  );
}
