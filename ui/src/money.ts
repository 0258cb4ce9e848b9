// Money and quantities typed into forms. The core counts money in integer minor
// units (`*_minor`); the shop's currency scale says how many decimals a price has.
// A field that cannot be read is a `validation` error naming the field, so the
// form shows it beside the field (the core would refuse it the same way).

import { TillbookError } from "./api";
import { formatCurrency, minorToDecimal } from "./locale";
import { app } from "./session";

export function currencyScale(): number {
  return app.shop?.currency_scale ?? 2;
}

/** "1.29" -> 129 at scale 2; "12" -> 1200; null when it is not a plain non-negative amount. */
export function parseMoney(text: string, scale = currencyScale()): number | null {
  const t = text.trim().replace(",", ".");
  const m = /^(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > scale) return null;
  const minor = Number(m[1]) * 10 ** scale + Number(frac.padEnd(scale, "0") || "0");
  return Number.isSafeInteger(minor) ? minor : null;
}

/**
 * 129 -> "1.29" at scale 2: the plain decimal a form field holds and
 * `parseMoney` reads back (no sign, no grouping). Text for reading uses
 * `formatAmount`.
 */
export function formatMoney(minor: number, scale = currencyScale()): string {
  return minorToDecimal(minor, scale);
}

export function currencyCode(): string {
  return app.shop?.currency_code ?? "GBP";
}

/** 699 -> "£6.99" (en-GB, GBP), "6,99 €" (de-DE, EUR): an amount with the shop's currency sign, by the shop's locale. */
export function formatAmount(minor: number, scale = currencyScale()): string {
  return formatCurrency(minor, currencyCode(), scale);
}

/** A whole number (optionally signed); null otherwise. */
export function parseInteger(text: string, allowNegative = false): number | null {
  const t = text.trim();
  if (!(allowNegative ? /^[-+]?\d+$/ : /^\+?\d+$/).test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** A signed quantity as shown in movement history: "+10", "-2", "0". */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function invalid(field: string, message: string): TillbookError {
  return new TillbookError("validation", `${field}: ${message}`, { field, source: "ui" });
}

/** Reads a money field or throws a `validation` error naming it. */
export function requireMoney(field: string, text: string, scale = currencyScale()): number {
  const v = parseMoney(text, scale);
  if (v === null) throw invalid(field, scale === 0 ? "enter a whole amount" : `enter an amount like 12.50 (at most ${scale} decimals)`);
  return v;
}

/** Reads a whole-number field or throws a `validation` error naming it. */
export function requireInteger(field: string, text: string, allowNegative = false): number {
  const v = parseInteger(text, allowNegative);
  if (v === null) throw invalid(field, allowNegative ? "enter a whole number (e.g. -2 or 5)" : "enter a whole number");
  return v;
}

/** `YYYY-MM-DDTHH:MM` (datetime-local) -> Unix ms, or a `validation` error naming the field. */
export function requireDateTime(field: string, text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) throw invalid(field, "enter a date and time as YYYY-MM-DD HH:MM");
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])).getTime();
}

export { invalid as fieldError };
