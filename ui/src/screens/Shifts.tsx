// The cashier's drawer: open a shift with the counted float, see the running
// figures, move cash in or out, void a sale of the shift, close it with the
// counted cash and print the Z-report. A manager/owner (ledger.read) also sees
// past shifts and can open any Z-report. Every figure is the core's.
//
// The close is blind: nothing on this screen says what the drawer should hold
// until the count is in (the X-report hides its drawer figures, the list hides
// an open shift's expected cash). The count is by note and coin of the shop's
// currency (`app.shop.denominations_minor`) with a running total, or one
// amount; the close asks for confirmation, then the Z-report shows over/short.

import { TaxSummaryTable } from "./TaxSummary";
import { statusLabel } from "./Orders";
import { createSignal, For, onMount, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { call, newIdempotencyKey, type SalesOrderPage, type SalesOrderSummary, type ShiftDenominationCount, type ShiftView, type ShiftZReport, TillbookError } from "../api";
import { withApproval } from "../components/Approval";
import { Dialog } from "../components/Dialog";
import { SelectField, TextField } from "../components/Field";
import { tenderLabel, ZReport } from "../components/ZReport";
import { formatTime, reportError } from "../errors";
import { createForm, focusField } from "../forms";
import { fieldError, formatMoney, parseMoney, requireMoney } from "../money";
import { app, can, onSignOut } from "../session";
import "../shifts-reports.css";

export { tenderLabel };

interface ShiftsState {
  /** shifts.current answered at least once. */
  loaded: boolean;
  /** The caller's open shift (null: none). */
  current: ShiftView | null;
  /** The running figures of the open shift (an X-report). */
  running: ShiftZReport | null;
  /** Sales of the open shift (this cashier's, since it opened), newest first. */
  orders: SalesOrderSummary[];
  /** Orders voided from this screen since the list was loaded (the list's own status says the rest). */
  voided: Record<number, boolean>;
  /** A closed shift's Z-report on screen (after closing, or picked from the list). */
  z: ShiftZReport | null;
  past: ShiftView[];
  pastNext: number | null;
  voiding: SalesOrderSummary | null;
  notice: string | null;
  /** Display names for the past shifts' users (users.read; ids otherwise). */
  userNames: Record<number, string>;
  /** The blind close: counted by note and coin (true) or as one amount. */
  countByDenomination: boolean;
  /** Typed quantities per denomination (minor units as the key). */
  denominationCounts: Record<string, string>;
  /** The counted total waiting for "Close shift" in the confirmation. */
  confirmClose: { counted_minor: number; counts: ShiftDenominationCount[] } | null;
}

const initialState = (): ShiftsState => ({
  loaded: false,
  current: null,
  running: null,
  orders: [],
  voided: {},
  z: null,
  past: [],
  pastNext: null,
  voiding: null,
  notice: null,
  userNames: {},
  countByDenomination: true,
  denominationCounts: {},
  confirmClose: null,
});

export const [shifts, setShifts] = createStore<ShiftsState>(initialState());

export const shiftOpenForm = createForm("shift-open", () => ({ float: "" }));
export const cashMoveForm = createForm("cash-move", () => ({ direction: "in", amount: "", reason: "" }));
export const shiftCloseForm = createForm("shift-close", () => ({ counted: "" }));
export const voidForm = createForm("void", () => ({ reason: "" }));

// One idempotency key per attempt: reused on a retry or a double click, new
// after a success (or for another order's void).
let openKey = newIdempotencyKey();
let cashKey = newIdempotencyKey();
let voidKey = newIdempotencyKey();

export function resetShiftsForTests(): void {
  setShifts(reconcile(initialState()));
  shiftOpenForm.reset();
  cashMoveForm.reset();
  shiftCloseForm.reset();
  voidForm.reset();
  openKey = newIdempotencyKey();
  cashKey = newIdempotencyKey();
  voidKey = newIdempotencyKey();
}

onSignOut(resetShiftsForTests);

/** At most this many pages of 200 of the shift's sales are shown (a till's shift is far smaller). */
const ORDER_PAGES = 5;

/** The open shift's sales, newest first (sales.list filtered by the shift in the core). */
export async function loadShiftOrders(shift: ShiftView): Promise<void> {
  const found: SalesOrderSummary[] = [];
  let before: number | null = null;
  for (let page = 0; page < ORDER_PAGES; page++) {
    const res: SalesOrderPage = await call("sales.list", { shift_id: shift.id, limit: 200, ...(before !== null ? { before_id: before } : {}) });
    found.push(...res.orders);
    if (res.next_before_id === null) break;
    before = res.next_before_id;
  }
  setShifts("orders", reconcile(found));
}

/** Re-reads the caller's shift, its running figures and its sales. */
export async function refreshShift(): Promise<void> {
  try {
    const current = await call("shifts.current", {});
    setShifts({ current, loaded: true });
    if (current) {
      // On a shared till the drawer may be another user's shift: its report
      // needs ledger.read, so a cashier sees the shift without its figures.
      const running = await call("shifts.z_report", { shift_id: current.id }).catch((e: unknown) => {
        if (e instanceof TillbookError && e.code === "forbidden") return null;
        throw e;
      });
      setShifts({ running, current: running?.shift ?? current });
      await loadShiftOrders(running?.shift ?? current);
    } else {
      setShifts({ running: null, orders: [] });
    }
  } catch (e) {
    reportError(e);
  }
}

/** Names for the list of past shifts; cosmetic, so a refusal just leaves the ids. */
async function loadUserNames(): Promise<void> {
  if (!can("users.read") || Object.keys(shifts.userNames).length > 0) return;
  try {
    const users = await call("users.list", { include_archived: true, limit: 200 });
    setShifts("userNames", Object.fromEntries(users.map((u) => [u.id, u.display_name])));
  } catch {
    // The ids stay on screen.
  }
}

export async function loadPastShifts(more = false): Promise<void> {
  if (!can("ledger.read")) return;
  void loadUserNames();
  try {
    const before = more ? shifts.pastNext : null;
    const page = await call("shifts.list", { limit: 20, ...(before !== null ? { before_id: before } : {}) });
    setShifts({ past: more ? [...shifts.past, ...page.shifts] : page.shifts, pastNext: page.next_before_id });
  } catch (e) {
    reportError(e);
  }
}

export async function openShift(): Promise<boolean> {
  const ok = await shiftOpenForm.submit(
    async () => {
      const opening_float_minor = requireMoney("float", shiftOpenForm.values.float);
      const shift = await call("shifts.open", { idempotency_key: openKey, opening_float_minor });
      setShifts({ current: shift, z: null, notice: `Shift #${shift.number} opened.` });
    },
    { mapField: (f) => (f === "opening_float_minor" ? "float" : f) },
  );
  if (ok) {
    openKey = newIdempotencyKey();
    shiftOpenForm.reset();
    await refreshShift();
    void loadPastShifts();
  }
  return ok;
}

export async function moveCash(): Promise<boolean> {
  const shift = shifts.current;
  if (!shift) return false;
  const ok = await cashMoveForm.submit(
    async () => {
      const v = cashMoveForm.values;
      const amount_minor = requireMoney("amount", v.amount);
      if (amount_minor <= 0) throw fieldError("amount", "enter an amount above zero");
      const reason = v.reason.trim();
      if (reason === "") throw fieldError("reason", "say why the cash moves");
      const direction = v.direction === "out" ? "out" : "in";
      const moved = await call("shifts.cash_move", { idempotency_key: cashKey, direction, amount_minor, reason });
      // Not what the drawer should hold: the close is a blind count.
      setShifts("notice", `Cash ${direction} ${formatMoney(moved.amount_minor)} recorded.`);
    },
    { mapField: (f) => (f === "amount_minor" ? "amount" : f) },
  );
  if (ok) {
    cashKey = newIdempotencyKey();
    cashMoveForm.reset();
    await refreshShift();
  }
  return ok;
}

export function startVoid(order: SalesOrderSummary): void {
  if (shifts.voiding?.id !== order.id) {
    voidKey = newIdempotencyKey();
    voidForm.reset();
  }
  setShifts("voiding", order);
  focusField("void", "reason");
}

export async function voidSale(): Promise<boolean> {
  const order = shifts.voiding;
  if (!order) return false;
  const ok = await voidForm.submit(
    async () => {
      const reason = voidForm.values.reason.trim();
      if (reason === "") throw fieldError("reason", "a void needs a reason");
      // A cashier without `sales.void` gets "A manager can approve this" on the spot (T39).
      const v = await withApproval((approval) => call("sales.void", { idempotency_key: voidKey, order_id: order.id, reason, approval }));
      setShifts("voided", order.id, true);
      setShifts("notice", `Sale #${v.order_number} voided (${formatMoney(v.total_minor)}).`);
    },
    { mapField: (f) => (f === "order_id" ? "reason" : f) },
  );
  if (ok) {
    voidKey = newIdempotencyKey();
    voidForm.reset();
    setShifts("voiding", null);
    await refreshShift();
  }
  return ok;
}

/** The denominations of the shop's currency, largest first. */
export function denominations(): number[] {
  return app.shop?.denominations_minor ?? [];
}

/** A typed quantity of one note or coin: blank is none; null when not a whole number. */
function quantityOf(text: string): number | null {
  const t = text.trim();
  if (t === "") return 0;
  if (!/^\d{1,7}$/.test(t)) return null;
  return Number(t);
}

/** The running total of the count by note and coin (unreadable rows count as none). */
export function denominationTotal(): number {
  return denominations().reduce((sum, d) => sum + d * (quantityOf(shifts.denominationCounts[String(d)] ?? "") ?? 0), 0);
}

/** Reads the count (by note and coin, or one amount) and asks for confirmation. */
export function reviewClose(): boolean {
  shiftCloseForm.setError("counted", undefined);
  if (shifts.countByDenomination) {
    const counts: ShiftDenominationCount[] = [];
    for (const d of denominations()) {
      const q = quantityOf(shifts.denominationCounts[String(d)] ?? "");
      if (q === null) {
        shiftCloseForm.setError("counted", `the count of ${formatMoney(d)} must be a whole number`);
        return false;
      }
      if (q > 0) counts.push({ denomination_minor: d, quantity: q });
    }
    setShifts("confirmClose", { counted_minor: denominationTotal(), counts });
    return true;
  }
  const counted = parseMoney(shiftCloseForm.values.counted);
  if (counted === null) {
    shiftCloseForm.setError("counted", "enter the cash counted, like 152.40");
    focusField("shift-close", "counted");
    return false;
  }
  setShifts("confirmClose", { counted_minor: counted, counts: [] });
  return true;
}

export async function closeShift(): Promise<boolean> {
  const shift = shifts.running?.shift ?? shifts.current;
  const confirmed = shifts.confirmClose;
  if (!shift || !confirmed) return false;
  const ok = await shiftCloseForm.submit(
    async () => {
      const counted_cash_minor = confirmed.counted_minor;
      const counts = confirmed.counts.length > 0 ? confirmed.counts : null;
      try {
        const z = await call("shifts.close", { shift_id: shift.id, version: shift.version, counted_cash_minor, counts });
        setShifts({ z, current: null, running: null, orders: [], voided: {}, notice: `Shift #${z.shift.number} closed.` });
      } catch (e) {
        // A close that went through but whose answer was lost: show what the core kept.
        if (e instanceof TillbookError && e.code === "conflict") {
          const z = await call("shifts.z_report", { shift_id: shift.id }).catch(() => null);
          if (z?.shift.status === "closed") {
            setShifts({ z, current: null, running: null, orders: [], voided: {}, notice: `Shift #${z.shift.number} was already closed.` });
            return;
          }
          void refreshShift();
        }
        throw e;
      }
    },
    { mapField: (f) => (f === "counted_cash_minor" ? "counted" : f) },
  );
  setShifts("confirmClose", null);
  if (ok) {
    shiftCloseForm.reset();
    setShifts("denominationCounts", reconcile({}));
    void loadPastShifts();
  }
  return ok;
}

export async function showZReport(shiftId: number): Promise<void> {
  try {
    const z = await call("shifts.z_report", { shift_id: shiftId });
    setShifts("z", z);
  } catch (e) {
    reportError(e);
  }
}

function printReport(): void {
  window.print();
}

export function Shifts() {
  onMount(() => {
    void refreshShift();
    void loadPastShifts();
  });
  const open = () => shifts.current;
  return (
    <section class="panel" data-testid="shifts">
      <div class="toolbar">
        <h1>Shift</h1>
        <span class="spacer" />
        <Show when={open()}>
          {(s) => (
            <span data-testid="shift-status" data-status={s().status}>
              Shift #{s().number} open since {formatTime(s().opened_at_ms)}
            </span>
          )}
        </Show>
      </div>
      <Show when={shifts.notice}>
        <p class="notice" role="status" data-testid="shift-notice">
          {shifts.notice}
        </p>
      </Show>

      <Show when={shifts.z}>
        {(z) => (
          <div class="card zreport-card" data-testid="zreport-view" ref={(el) => queueMicrotask(() => el.scrollIntoView?.({ block: "start" }))}>
            <ZReport report={z()} shopName={app.shop?.name ?? app.shopName} testid="zr" onPrint={printReport} />
            <TaxSummaryTable summary={z().tax_summary} testid="zr-tax-summary" title="Tax by rate (refunds and voids taken off)" />
            <div class="actions no-print">
              <button type="button" onClick={() => setShifts("z", null)} data-testid="zreport-done">
                Done
              </button>
            </div>
          </div>
        )}
      </Show>

      <Show when={shifts.loaded && !open()}>
        <form
          class="card no-print"
          data-testid="shift-open-form"
          onSubmit={(e) => {
            e.preventDefault();
            void openShift();
          }}
        >
          <h2>Open a shift</h2>
          <p class="muted">Count the cash you put in the drawer.</p>
          <TextField form={shiftOpenForm} name="float" label="Opening float (counted)" inputmode="numeric" placeholder="e.g. 150.00" autofocus={!shifts.z} />
          <div class="actions">
            <button type="submit" class="primary" data-testid="shift-open" disabled={shiftOpenForm.busy()}>
              Open shift
            </button>
          </div>
        </form>
      </Show>

      <Show when={open()}>
        {(s) => (
          <div class="shift-columns no-print">
            <div>
              <Show when={shifts.running}>{(r) => <ZReport report={r()} testid="xr" />}</Show>
            </div>
            <div>
              <form
                class="card"
                data-testid="cash-move-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void moveCash();
                }}
              >
                <h2>Cash in / out</h2>
                <SelectField
                  form={cashMoveForm}
                  name="direction"
                  label="Direction"
                  options={[
                    { value: "in", label: "Cash in (top up the float)" },
                    { value: "out", label: "Cash out (to the safe, paid out)" },
                  ]}
                />
                <TextField form={cashMoveForm} name="amount" label="Amount" inputmode="numeric" />
                <TextField form={cashMoveForm} name="reason" label="Reason" maxLength={200} />
                <div class="actions">
                  <button type="submit" data-testid="cash-move-submit" disabled={cashMoveForm.busy()}>
                    Record cash {cashMoveForm.values.direction === "out" ? "out" : "in"}
                  </button>
                </div>
              </form>

              <CloseCount number={s().number} />
            </div>
          </div>
        )}
      </Show>

      <Show when={open()}>
        <h2 class="no-print">Sales in this shift</h2>
        <table class="grid no-print" data-testid="shift-orders">
          <thead>
            <tr>
              <th>Receipt</th>
              <th>Time</th>
              <th class="num">Lines</th>
              <th class="num">Total</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <For each={shifts.orders} fallback={<tr><td colspan="6" class="muted">No sales in this shift yet — sales rung up at the Till are listed here.</td></tr>}>
              {(o) => (
                <tr data-testid={`shift-order-${o.id}`} data-voided={shifts.voided[o.id] || o.status === "voided" ? "true" : "false"}>
                  <td>#{o.receipt_number}</td>
                  <td>{formatTime(o.created_at_ms)}</td>
                  <td class="num">{o.line_count}</td>
                  <td class="num">{formatMoney(o.total_minor)}</td>
                  <td>{statusLabel(shifts.voided[o.id] ? "voided" : o.status)}</td>
                  <td class="row-actions">
                    <Show when={(can("sales.void") || can("sales.sell")) && !shifts.voided[o.id] && o.status !== "voided"}>
                      <button type="button" onClick={() => startVoid(o)} data-testid={`shift-void-${o.id}`}>
                        Void
                      </button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>

      <Show when={can("ledger.read")}>
        <h2 class="no-print">Past shifts</h2>
        <table class="grid no-print" data-testid="shift-list">
          <thead>
            <tr>
              <th>Shift</th>
              <th>User</th>
              <th>Opened</th>
              <th>Closed</th>
              <th>Status</th>
              <th class="num">Expected</th>
              <th class="num">Counted</th>
              <th class="num">Over/short</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <For each={shifts.past} fallback={<tr><td colspan="9" class="muted">No closed shifts yet — open a shift with the float in the drawer, and close it at the end of the day.</td></tr>}>
              {(s) => (
                <tr data-testid={`shift-row-${s.id}`} data-status={s.status}>
                  <td>#{s.number}</td>
                  <td>{shifts.userNames[s.user_id] ?? `#${s.user_id}`}</td>
                  <td>{formatTime(s.opened_at_ms)}</td>
                  <td>{s.closed_at_ms !== null ? formatTime(s.closed_at_ms) : "—"}</td>
                  <td>{s.status === "open" ? "Open" : s.status === "closed" ? "Closed" : s.status}</td>
                  <td class="num">{s.status === "closed" ? formatMoney(s.expected_cash_minor) : "—"}</td>
                  <td class="num">{s.counted_cash_minor !== null ? formatMoney(s.counted_cash_minor) : "—"}</td>
                  <td class="num">{s.over_short_minor !== null ? formatMoney(s.over_short_minor) : "—"}</td>
                  <td class="row-actions">
                    <button type="button" onClick={() => void showZReport(s.id)} data-testid={`shift-report-${s.id}`}>
                      {s.status === "closed" ? "Z-report" : "X-report"}
                    </button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <Show when={shifts.pastNext !== null}>
          <div class="actions no-print">
            <button type="button" onClick={() => void loadPastShifts(true)} data-testid="shift-list-more">
              Older shifts
            </button>
          </div>
        </Show>
      </Show>

      <Show when={shifts.confirmClose}>
        {(c) => (
          <Dialog title={`Close shift #${open()?.number ?? ""}?`} testid="shift-close-dialog" onClose={() => setShifts("confirmClose", null)}>
            <p data-testid="shift-close-confirm-text">
              You counted <strong>{formatMoney(c().counted_minor)}</strong> in the drawer. Closing can't be undone; the expected
              figure and any over or short are shown next.
            </p>
            <div class="actions">
              <button type="button" onClick={() => setShifts("confirmClose", null)} data-testid="shift-close-back">
                Back to the count
              </button>
              <button type="button" class="primary" data-testid="shift-close-confirm" disabled={shiftCloseForm.busy()} onClick={() => void closeShift()} ref={(el) => queueMicrotask(() => el.focus())}>
                Close shift
              </button>
            </div>
          </Dialog>
        )}
      </Show>

      <Show when={shifts.voiding}>
        {(o) => (
          <Dialog title={`Void sale #${o().receipt_number}`} testid="void-dialog" onClose={() => setShifts("voiding", null)}>
            <form
              data-testid="void-form"
              onSubmit={(e) => {
                e.preventDefault();
                void voidSale();
              }}
            >
              <p>
                Total {formatMoney(o().total_minor)}. Every unit goes back to stock and the sale's money leaves the drawer.
              </p>
              <TextField form={voidForm} name="reason" label="Reason" maxLength={200} autofocus />
              <div class="actions">
                <button type="submit" class="primary danger" data-testid="void-submit" disabled={voidForm.busy()}>
                  Void sale
                </button>
              </div>
            </form>
          </Dialog>
        )}
      </Show>
    </section>
  );
}

/** The blind count at close: notes and coins with a running total, or one amount. */
function CloseCount(props: { number: number }) {
  const [firstRow, setFirstRow] = createSignal<HTMLInputElement>();
  onMount(() => firstRow()?.focus?.());
  return (
    <form
      class="card"
      data-testid="shift-close-form"
      onSubmit={(e) => {
        e.preventDefault();
        reviewClose();
      }}
    >
      <h2>Close shift #{props.number}</h2>
      <p class="muted">Count the drawer first: the expected figure is shown after the close.</p>
      <div class="segmented" role="group" aria-label="How to count">
        <button type="button" aria-pressed={shifts.countByDenomination} data-testid="shift-close-by-denomination" onClick={() => setShifts("countByDenomination", true)}>
          Notes and coins
        </button>
        <button type="button" aria-pressed={!shifts.countByDenomination} data-testid="shift-close-by-amount" onClick={() => setShifts("countByDenomination", false)}>
          One amount
        </button>
      </div>
      <Show
        when={shifts.countByDenomination && denominations().length > 0}
        fallback={<TextField form={shiftCloseForm} name="counted" label="Cash counted in the drawer" inputmode="numeric" />}
      >
        <table class="grid denominations" data-testid="shift-close-denominations">
          <tbody>
            <For each={denominations()}>
              {(d, i) => (
                <tr>
                  <td class="num">
                    <label for={`count-denom-${d}`}>{formatMoney(d)} ×</label>
                  </td>
                  <td>
                    <input
                      id={`count-denom-${d}`}
                      data-testid={`count-denom-${d}`}
                      inputmode="numeric"
                      size={5}
                      value={shifts.denominationCounts[String(d)] ?? ""}
                      ref={(el) => {
                        if (i() === 0) setFirstRow(el);
                      }}
                      onInput={(e) => setShifts("denominationCounts", String(d), e.currentTarget.value)}
                    />
                  </td>
                  <td class="num" data-testid={`count-denom-${d}-total`}>
                    {formatMoney(d * (quantityOf(shifts.denominationCounts[String(d)] ?? "") ?? 0))}
                  </td>
                </tr>
              )}
            </For>
          </tbody>
          <tfoot>
            <tr class="zr-strong">
              <td colspan="2">Counted</td>
              <td class="num" data-testid="shift-close-total">
                {formatMoney(denominationTotal())}
              </td>
            </tr>
          </tfoot>
        </table>
        <Show when={shiftCloseForm.errors.counted}>
          <p class="field-error" role="alert" data-testid="field-error-counted">
            {shiftCloseForm.errors.counted}
          </p>
        </Show>
      </Show>
      <div class="actions">
        <button type="submit" class="primary" data-testid="shift-close" disabled={shiftCloseForm.busy()}>
          Close shift
        </button>
      </div>
    </form>
  );
}
