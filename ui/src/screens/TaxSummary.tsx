// The shop's own formatting for the screens of first-run, shop details and tax
// (amounts with the currency sign, dates in the shop's locale and time zone),
// and the tax-by-rate table the receipt, Z-report, invoice and sales report
// share. Amounts and dates go through the shared locale formatter
// (ui/src/locale.ts), configured from the shop's locale and time zone.

import { createResource, For, Show } from "solid-js";
import { call } from "../api";
import type { TaxSummary } from "../generated/TaxSummary";
import { formatDate, formatDateTime } from "../locale";
import { formatAmount } from "../money";
import { app } from "../session";

function locale(): string | undefined {
  return app.shop?.locale || undefined;
}

function timeZone(): string | undefined {
  return app.shop?.timezone || undefined;
}

/** 490 -> "£4.90" (en-GB, GBP) or "4,90 €" (de-DE, EUR): the shared formatter. */
export function shopMoney(minor: number): string {
  return formatAmount(minor);
}

/** A day in the shop's format: "04/12/2026" (en-GB), "04.12.2026" (de-DE). */
export function shopDate(ms: number): string {
  return formatDate(ms);
}

/** A day and time in the shop's format and zone. */
export function shopDateTime(ms: number): string {
  return formatDateTime(ms, false);
}

/** 2000 -> "20 %", 550 -> "5.5 %" (in the shop's number format). */
export function ratePercent(rateBp: number): string {
  try {
    return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 2 }).format(rateBp / 10000);
  } catch {
    return `${rateBp / 100} %`;
  }
}

/**
 * The wall-clock offset of `timeZone` at `utcMs`, in ms (what Intl says the
 * local time is, less UTC).
 */
function zoneOffsetMs(utcMs: number, tz: string | undefined): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? "0");
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** "2026-12-05" -> the instant of 00:00 that day in the shop's time zone; null when not a date. */
export function startOfShopDay(isoDate: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate.trim());
  if (!m) return null;
  const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  let tz = timeZone();
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    tz = undefined;
  }
  // Twice: the offset at the guess can differ from the offset at the answer (DST).
  let guess = utcMidnight - zoneOffsetMs(utcMidnight, tz);
  guess = utcMidnight - zoneOffsetMs(guess, tz);
  return guess;
}

/** The tax-by-rate table: rate, before tax, tax, total; refunds already taken off by the core. */
export function TaxSummaryTable(props: { summary: TaxSummary | null | undefined; testid: string; title?: string }) {
  return (
    <Show when={props.summary && props.summary.rows.length > 0}>
      <table class="tax-summary" data-testid={props.testid}>
        <caption>{props.title ?? (app.shop?.country_code === "US" || app.shop?.country_code === "CA" ? "Tax summary" : "VAT summary")}</caption>
        <thead>
          <tr>
            <th>Rate</th>
            <th class="num">Before tax</th>
            <th class="num">Tax</th>
            <th class="num">Total</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.summary?.rows ?? []}>
            {(r) => (
              <tr data-testid={`${props.testid}-row-${r.rate_bp}`}>
                <td>
                  {r.name ? `${r.name} ` : ""}
                  {ratePercent(r.rate_bp)}
                </td>
                <td class="num">{shopMoney(r.net_minor)}</td>
                <td class="num">{shopMoney(r.tax_minor)}</td>
                <td class="num">{shopMoney(r.total_minor)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </Show>
  );
}

/** The shop's address, phone and tax number, as printed on receipts and invoices. */
export function ShopLines(props: { testid: string }) {
  return (
    <div class="shop-lines" data-testid={props.testid}>
      <For each={(app.shop?.address ?? "").split("\n").filter((l) => l.trim() !== "")}>{(l) => <div>{l}</div>}</For>
      <Show when={app.shop?.phone}>
        <div>Tel. {app.shop?.phone}</div>
      </Show>
      <Show when={app.shop?.tax_number}>
        <div data-testid={`${props.testid}-tax-number`}>
          {app.shop?.country_code === "DE" || app.shop?.country_code === "AT" ? "USt-IdNr." : "VAT no."} {app.shop?.tax_number}
        </div>
      </Show>
    </div>
  );
}

/** The sales report's tax by rate over the report's range (`reports.tax_summary`). */
export function ReportTaxSection(props: { fromMs: number; toMs: number }) {
  const [summary] = createResource(
    () => ({ from_ms: props.fromMs, to_ms: props.toMs }),
    async (range) => {
      try {
        return await call("reports.tax_summary", range);
      } catch {
        return null;
      }
    },
  );
  return (
    <section data-testid="report-tax">
      <h3>Tax by rate</h3>
      <Show when={summary() && (summary()?.rows.length ?? 0) > 0} fallback={<p class="muted">No taxed sales in this range.</p>}>
        <TaxSummaryTable summary={summary()} testid="report-tax-summary" title="Tax by rate (refunds taken off)" />
      </Show>
    </section>
  );
}
