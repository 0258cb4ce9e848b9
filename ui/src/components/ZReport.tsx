// A shift's report as `shifts.z_report` / `shifts.close` return it: every figure
// is the core's (summed in SQL); this only lays them out. An open shift's report
// is the running "X" figures; a closed one is the Z-report, printable on the
// receipt printer (the `receipt` class is what the print stylesheet keeps).

import { For, Show } from "solid-js";
import type { ShiftTenderTotal, ShiftZReport } from "../api";
import { formatTime } from "../errors";
import { formatMoney } from "../money";

export function tenderLabel(t: string): string {
  switch (t) {
    case "cash":
      return "Cash";
    case "card":
      return "Card";
    case "on_account":
      return "On account";
    case "store_credit":
      return "Store credit";
    default:
      return t;
  }
}

/** "+1.00" over, "-1.00" short, "0.00" even. */
export function formatOverShort(minor: number): string {
  return minor > 0 ? `+${formatMoney(minor)}` : formatMoney(minor);
}

export function overShortWord(minor: number): string {
  return minor > 0 ? "Over" : minor < 0 ? "Short" : "Even";
}

function Line(props: { label: string; testid: string; value: string; strong?: boolean }) {
  return (
    <tr classList={{ "zr-strong": !!props.strong }}>
      <td>{props.label}</td>
      <td class="num" data-testid={props.testid}>
        {props.value}
      </td>
    </tr>
  );
}

function Tenders(props: { rows: ShiftTenderTotal[]; testid: string }) {
  return (
    <For each={props.rows}>
      {(t) => (
        <tr class="receipt-sub" data-testid={`${props.testid}-${t.tender}`}>
          <td>
            {tenderLabel(t.tender)} ×<span data-testid={`${props.testid}-${t.tender}-count`}>{t.count}</span>
          </td>
          <td class="num" data-testid={`${props.testid}-${t.tender}-amount`}>
            {formatMoney(t.amount_minor)}
          </td>
        </tr>
      )}
    </For>
  );
}

export function ZReport(props: { report: ShiftZReport; shopName?: string | null; testid?: string; onPrint?: () => void }) {
  const p = () => props.testid ?? "zr";
  const r = () => props.report;
  const closed = () => r().shift.status === "closed";
  const m = formatMoney;
  return (
    <div class="receipt zreport" data-testid={p()} data-status={r().shift.status}>
      <div class="receipt-head">
        <Show when={props.shopName}>
          <div>{props.shopName}</div>
        </Show>
        <h2 data-testid={`${p()}-title`}>
          {closed() ? "Z-report" : "X-report (shift open)"} · shift #<span data-testid={`${p()}-number`}>{r().shift.number}</span>
        </h2>
        <div class="muted">
          Opened <span data-testid={`${p()}-opened`}>{formatTime(r().shift.opened_at_ms)}</span>
          <Show when={r().shift.closed_at_ms}>
            {(c) => (
              <>
                {" "}
                · closed <span data-testid={`${p()}-closed`}>{formatTime(c())}</span>
              </>
            )}
          </Show>
        </div>
      </div>
      <table>
        <tbody>
          <Line label="Sales" testid={`${p()}-sales-total`} value={m(r().sales_total_minor)} strong />
          <tr class="receipt-sub">
            <td>Count</td>
            <td class="num" data-testid={`${p()}-sales-count`}>
              {r().sales_count}
            </td>
          </tr>
          <Line label="Net of tax" testid={`${p()}-sales-net`} value={m(r().sales_net_minor)} />
          <Line label="Tax" testid={`${p()}-sales-tax`} value={m(r().sales_tax_minor)} />
          <Line label="Discounts given" testid={`${p()}-sales-discount`} value={m(r().sales_discount_minor)} />
          <tr>
            <td colspan="2" class="muted">
              Sales by tender
            </td>
          </tr>
          <Tenders rows={r().sales_by_tender} testid={`${p()}-sales-tender`} />
          <Show when={closed()}>
            <Line label="Cash handed over" testid={`${p()}-cash-tendered`} value={m(r().cash_tendered_minor)} />
            <Line label="Change given" testid={`${p()}-change-given`} value={m(r().change_given_minor)} />
          </Show>

          <Line label="Refunds" testid={`${p()}-refunds-total`} value={m(r().refunds_total_minor)} strong />
          <tr class="receipt-sub">
            <td>Count</td>
            <td class="num" data-testid={`${p()}-refunds-count`}>
              {r().refunds_count}
            </td>
          </tr>
          <Line label="Refunded tax" testid={`${p()}-refunds-tax`} value={m(r().refunds_tax_minor)} />
          <Tenders rows={r().refunds_by_tender} testid={`${p()}-refunds-tender`} />

          <Line label="Voids" testid={`${p()}-voids-total`} value={m(r().voids_total_minor)} strong />
          <tr class="receipt-sub">
            <td>Count</td>
            <td class="num" data-testid={`${p()}-voids-count`}>
              {r().voids_count}
            </td>
          </tr>
          <Line label="Voided tax" testid={`${p()}-voids-tax`} value={m(r().voids_tax_minor)} />
          <Tenders rows={r().voids_by_tender} testid={`${p()}-voids-tender`} />

          <Line label="Net sales" testid={`${p()}-net-sales`} value={m(r().net_sales_minor)} strong />
          <Line label="Net tax" testid={`${p()}-net-tax`} value={m(r().net_tax_minor)} />
        </tbody>
      </table>

      <h3>Drawer</h3>
      {/* A blind close: while the shift is open nothing on screen says what the
          drawer should hold, so the count at close is a real count. */}
      <Show when={r().no_sales_count > 0}>
        <div data-testid={`${p()}-no-sales`}>
          <h3>
            Drawer opened without a sale: {r().no_sales_count} {r().no_sales_count === 1 ? "time" : "times"}
          </h3>
          <ul>
            <For each={r().no_sales}>
              {(n) => (
                <li>
                  {formatTime(n.at_ms)} — {n.user_name}: {n.reason}
                </li>
              )}
            </For>
          </ul>
        </div>
      </Show>
      <Show when={!closed()}>
        <p class="muted" data-testid={`${p()}-drawer-hidden`}>
          What the drawer should hold is shown after the count, when the shift is closed.
        </p>
      </Show>
      <Show when={closed()}>
      <table>
        <tbody>
          <Line label="Opening float" testid={`${p()}-float`} value={m(r().shift.opening_float_minor)} />
          <Line label="+ Cash sales" testid={`${p()}-cash-sales`} value={m(r().cash_sales_minor)} />
          <Line label="− Cash refunds" testid={`${p()}-cash-refunds`} value={m(r().cash_refunds_minor)} />
          <Line label="− Cash of voided sales" testid={`${p()}-cash-voids`} value={m(r().cash_voids_minor)} />
          <Line label={`+ Cash in (${r().cash_in_count})`} testid={`${p()}-cash-in`} value={m(r().cash_in_minor)} />
          <Line label={`− Cash out (${r().cash_out_count})`} testid={`${p()}-cash-out`} value={m(r().cash_out_minor)} />
          <Show when={r().cash_unreceipted_refunds_minor !== 0}>
            <Line label="− Cash refunds without a receipt" testid={`${p()}-cash-unreceipted`} value={m(r().cash_unreceipted_refunds_minor)} />
          </Show>
          <Show when={r().cash_on_account_minor !== 0}>
            <Line label="+ Cash paid on account" testid={`${p()}-cash-on-account`} value={m(r().cash_on_account_minor)} />
          </Show>
          <Line label="Expected in drawer" testid={`${p()}-expected`} value={m(r().expected_cash_minor)} strong />
          <Line
            label="Counted"
            testid={`${p()}-counted`}
            value={r().counted_cash_minor === null ? "—" : m(r().counted_cash_minor!)}
            strong
          />
          <Show when={r().over_short_minor !== null}>
            <tr class="zr-strong" data-testid={`${p()}-over-short-row`} data-sign={Math.sign(r().over_short_minor!)}>
              <td data-testid={`${p()}-over-short-word`}>{overShortWord(r().over_short_minor!)}</td>
              <td class="num" data-testid={`${p()}-over-short`}>
                {formatOverShort(r().over_short_minor!)}
              </td>
            </tr>
          </Show>
        </tbody>
      </table>
      <Show when={r().counted_by_denomination.length > 0}>
        <h3>Counted by note and coin</h3>
        <table data-testid={`${p()}-count`}>
          <tbody>
            <For each={r().counted_by_denomination}>
              {(c) => (
                <tr class="receipt-sub" data-testid={`${p()}-count-${c.denomination_minor}`}>
                  <td>
                    {m(c.denomination_minor)} × {c.quantity}
                  </td>
                  <td class="num">{m(c.denomination_minor * c.quantity)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
      </Show>
      <Show when={props.onPrint}>
        {(print) => (
          <div class="actions no-print">
            <button type="button" onClick={() => print()()} data-testid={`${p()}-print`}>
              Print
            </button>
          </div>
        )}
      </Show>
    </div>
  );
}
