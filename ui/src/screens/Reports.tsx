// Sales reports (by day, hour, product, cashier or tender) with a bar chart of
// the total or the margin, and stock at cost. Every figure is summed by the
// core (reports.sales, reports.stock_valuation); this screen only shows them.

import { ReportTaxSection } from "./TaxSummary";
import { For, onMount, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { call, REPORT_GROUPS, type ReportGroupBy, type SalesReport, type SalesReportRow, type StockValuation } from "../api";
import { BarChart, type BarDatum } from "../components/BarChart";
import { SelectField, TextField } from "../components/Field";
import { tenderLabel } from "../components/ZReport";
import { reportError } from "../errors";
import { createForm } from "../forms";
import { fieldError, formatMoney } from "../money";
import { formatWithUnit } from "../logic/quantity";
import { app, onSignOut } from "../session";
import "../shifts-reports.css";

/** The shop's offset from UTC in minutes, as reports.sales expects (east positive). */
export function shopTzOffsetMinutes(at: Date = new Date()): number {
  const off = -at.getTimezoneOffset();
  return off === 0 ? 0 : off;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** A local calendar day as `YYYY-MM-DD`. */
export function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `YYYY-MM-DD` → the local midnight starting it (+`addDays`), in ms; a validation error naming `field` otherwise. */
export function dayStartMs(field: string, text: string, addDays = 0): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) throw fieldError(field, "enter a date as YYYY-MM-DD");
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + addDays);
  if (Number.isNaN(d.getTime())) throw fieldError(field, "enter a real date");
  return d.getTime();
}

export const GROUP_LABELS: Record<ReportGroupBy, string> = {
  day: "Day",
  hour: "Hour",
  product: "Product",
  cashier: "Cashier",
  tender: "Tender",
};

function defaultRange() {
  const to = new Date();
  const from = new Date(to.getFullYear(), to.getMonth(), to.getDate() - 6);
  return { from: localDay(from), to: localDay(to), group_by: "day", metric: "total" };
}

export const reportForm = createForm("report", defaultRange);

interface ReportsState {
  report: SalesReport | null;
  valuation: StockValuation | null;
  /** `after_product_id` of each page shown so far (the first is null). */
  cursors: (number | null)[];
}

const initialState = (): ReportsState => ({ report: null, valuation: null, cursors: [null] });
export const [reports, setReports] = createStore<ReportsState>(initialState());

export function resetReportsForTests(): void {
  setReports(reconcile(initialState()));
  reportForm.reset();
}
onSignOut(resetReportsForTests);

/** The form as `reports.sales` arguments: the `to` day is included (the range is half-open). */
export function reportArgs(v: typeof reportForm.values) {
  const from_ms = dayStartMs("from", v.from);
  const to_ms = dayStartMs("to", v.to, 1);
  if (to_ms <= from_ms) throw fieldError("to", "the end date is before the start date");
  const group_by = (REPORT_GROUPS as readonly string[]).includes(v.group_by) ? (v.group_by as ReportGroupBy) : "day";
  return { from_ms, to_ms, group_by, tz_offset_minutes: shopTzOffsetMinutes() };
}

export async function runReport(): Promise<boolean> {
  return reportForm.submit(
    async () => {
      const report = await call("reports.sales", reportArgs(reportForm.values));
      setReports("report", report);
    },
    { mapField: (f) => (f === "from_ms" ? "from" : f === "to_ms" ? "to" : f) },
  );
}

export async function loadValuation(page: "first" | "next" | "prev" = "first"): Promise<void> {
  let cursors = [...reports.cursors];
  if (page === "first") cursors = [null];
  else if (page === "next") {
    const next = reports.valuation?.next_after_product_id;
    if (next === null || next === undefined) return;
    cursors.push(next);
  } else if (cursors.length > 1) cursors.pop();
  const after = cursors[cursors.length - 1];
  try {
    const valuation = await call("reports.stock_valuation", { limit: 50, ...(after !== null ? { after_product_id: after } : {}) });
    setReports({ valuation, cursors });
  } catch (e) {
    reportError(e);
  }
}

const money = (v: number | null) => (v === null ? "—" : formatMoney(v));

/** A product row's quantity in its unit ("1.250 kg"); other rows count items. */
export function unitsCell(v: number | null, r: Pick<SalesReportRow, "unit" | "quantity_decimals">): string {
  if (v === null) return "—";
  if (r.unit === null || r.quantity_decimals === null) return String(v);
  return formatWithUnit(v, { unit: r.unit, quantity_decimals: r.quantity_decimals });
}

function rowLabel(r: SalesReportRow, g: ReportGroupBy): string {
  return g === "tender" ? tenderLabel(r.label) : r.label;
}

/** The chart's bars: each group's total, or its margin (null when the group has none: tenders). */
export function chartData(report: SalesReport, metric: string): BarDatum[] | null {
  if (metric === "margin") {
    if (report.rows.some((r) => r.margin_minor === null)) return null;
    return report.rows.map((r) => ({ label: rowLabel(r, report.group_by), value: r.margin_minor ?? 0 }));
  }
  return report.rows.map((r) => ({ label: rowLabel(r, report.group_by), value: r.total_minor }));
}

function ReportRow(props: { row: SalesReportRow; label: string; testid: string; class?: string }) {
  const r = () => props.row;
  return (
    <tr data-testid={props.testid} class={props.class}>
      <td>{props.label}</td>
      <td class="num">{r().orders}</td>
      <td class="num">{unitsCell(r().units, r())}</td>
      <td class="num">{money(r().discount_minor)}</td>
      <td class="num">{money(r().net_minor)}</td>
      <td class="num">{money(r().tax_minor)}</td>
      <td class="num" data-testid={`${props.testid}-total`}>
        {formatMoney(r().total_minor)}
      </td>
      <td class="num">{money(r().cost_minor)}</td>
      <td class="num" data-testid={`${props.testid}-margin`}>
        {money(r().margin_minor)}
      </td>
      <td class="num">{r().refunds}</td>
      <td class="num" data-testid={`${props.testid}-refunds`}>
        {formatMoney(r().refund_total_minor)}
      </td>
      <td class="num">{money(r().net_after_refunds_minor)}</td>
      <td class="num">{money(r().margin_after_refunds_minor)}</td>
    </tr>
  );
}

export function Reports() {
  onMount(() => {
    if (!reports.report) void runReport();
    if (!reports.valuation) void loadValuation();
  });
  const metricName = () => (reportForm.values.metric === "margin" ? "Margin" : "Total");
  return (
    <section class="panel" data-testid="reports">
      <div class="toolbar">
        <h1>Reports</h1>
      </div>
      <form
        class="filters"
        data-testid="report-form"
        onSubmit={(e) => {
          e.preventDefault();
          void runReport();
        }}
      >
        <TextField form={reportForm} name="from" label="From" type="date" />
        <TextField form={reportForm} name="to" label="To (included)" type="date" />
        <SelectField form={reportForm} name="group_by" label="Group by" options={REPORT_GROUPS.map((g) => ({ value: g, label: GROUP_LABELS[g] }))} />
        <SelectField
          form={reportForm}
          name="metric"
          label="Chart"
          options={[
            { value: "total", label: "Total (with tax)" },
            { value: "margin", label: "Margin (net − cost)" },
          ]}
        />
        <div class="actions">
          <button type="submit" class="primary" data-testid="report-run" disabled={reportForm.busy()}>
            Run report
          </button>
        </div>
      </form>

      <Show when={reports.report}>
        {(rep) => (
          <>
            <p class="muted" data-testid="report-range">
              {GROUP_LABELS[rep().group_by]} · UTC{rep().tz_offset_minutes >= 0 ? "+" : "−"}
              {pad(Math.floor(Math.abs(rep().tz_offset_minutes) / 60))}:{pad(Math.abs(rep().tz_offset_minutes) % 60)}
              <Show when={rep().truncated}>
                <span data-testid="report-truncated"> · only the top {rep().rows.length} groups are listed; the totals cover all of them</span>
              </Show>
            </p>
            <Show
              when={chartData(rep(), reportForm.values.metric)}
              fallback={
                <p class="muted" data-testid="report-chart-none">
                  Margin is not split by tender (a payment is not split over lines).
                </p>
              }
            >
              {(data) => (
                <BarChart
                  title={`${metricName()} by ${GROUP_LABELS[rep().group_by].toLowerCase()}`}
                  data={data()}
                  xLabel={GROUP_LABELS[rep().group_by]}
                  yLabel={`${metricName()} (${app.shop?.currency_code ?? "amount"})`}
                  format={formatMoney}
                  testid="report-chart"
                  emptyText="No sales or refunds in this range."
                />
              )}
            </Show>
            <table class="grid" data-testid="report-table">
              <thead>
                <tr>
                  <th>{GROUP_LABELS[rep().group_by]}</th>
                  <th class="num">Orders</th>
                  <th class="num" title="By product: the quantity sold in its unit. Otherwise: items, a weighed line counting as one.">Items</th>
                  <th class="num">Discounts</th>
                  <th class="num">Net</th>
                  <th class="num">Tax</th>
                  <th class="num">Total</th>
                  <th class="num">Cost</th>
                  <th class="num">Margin</th>
                  <th class="num">Refunds</th>
                  <th class="num">Refunded</th>
                  <th class="num">Net after refunds</th>
                  <th class="num">Margin after refunds</th>
                </tr>
              </thead>
              <tbody>
                <For each={rep().rows} fallback={<tr><td colspan="13" class="muted" data-testid="report-empty">No sales or refunds in this range.</td></tr>}>
                  {(r) => <ReportRow row={r} label={rowLabel(r, rep().group_by)} testid={`report-row-${r.key}`} />}
                </For>
              </tbody>
              <tfoot>
                <ReportRow row={rep().totals} label="Total" testid="report-totals" class="report-totals" />
              </tfoot>
            </table>
            <ReportTaxSection fromMs={rep().from_ms} toMs={rep().to_ms} />
          </>
        )}
      </Show>

      <h2>Stock valuation (at cost)</h2>
      <Show when={reports.valuation}>
        {(v) => (
          <>
            <p data-testid="valuation-summary">
              {v().total_products} products in stock, worth{" "}
              <strong data-testid="valuation-total-value">{formatMoney(v().total_value_minor)}</strong>
            </p>
            <table class="grid" data-testid="valuation-table">
              <thead>
                <tr>
                  <th>SKU</th>
                  <th>Product</th>
                  <th class="num">Batches</th>
                  <th class="num">On hand</th>
                  <th class="num">Value</th>
                </tr>
              </thead>
              <tbody>
                <For each={v().rows} fallback={<tr><td colspan="5" class="muted">No stock.</td></tr>}>
                  {(r) => (
                    <tr data-testid={`valuation-row-${r.product_id}`}>
                      <td>{r.sku}</td>
                      <td>
                        {r.name}
                        {r.archived ? " (archived)" : ""}
                      </td>
                      <td class="num">{r.batches}</td>
                      <td class="num">{formatWithUnit(r.on_hand, r)}</td>
                      <td class="num" data-testid={`valuation-value-${r.product_id}`}>
                        {formatMoney(r.value_minor)}
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
              <tfoot>
                <tr class="report-totals">
                  <td colspan="3">All products</td>
                  <td class="num" data-testid="valuation-total-on-hand" title="Pieces of the products counted by the piece; weighed stock is on its own row">
                    {v().total_on_hand} pcs
                  </td>
                  <td class="num">{formatMoney(v().total_value_minor)}</td>
                </tr>
              </tfoot>
            </table>
            <div class="actions">
              <button type="button" disabled={reports.cursors.length <= 1} onClick={() => void loadValuation("prev")} data-testid="valuation-prev">
                Previous page
              </button>
              <button type="button" disabled={v().next_after_product_id === null} onClick={() => void loadValuation("next")} data-testid="valuation-next">
                Next page
              </button>
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
