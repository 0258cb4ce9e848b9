// Paying fast and discounts, as pure functions (tested in test/paying.test.ts):
// the quick cash buttons from the currency's notes, what a typed discount asks
// for, and a manager's approval typed as a PIN or a password. The core works
// out every amount; these only read what the cashier typed or tapped.

import type { Approval } from "../generated/Approval";
import type { BasketDiscount } from "../generated/BasketDiscount";
import { formatMoney, parseMoney } from "../money";

/**
 * The quick cash amounts for a total: Exact, then the next notes above it —
 * the smallest single note or coin that covers it, then each larger note, at
 * most `max` in all (Exact included). £6.99 with notes 5/10/20/50 → 6.99, 10,
 * 20, 50. Denominations are in minor units, in any order; a total of 0 has none.
 */
export function quickCash(total_minor: number, denominations_minor: readonly number[], max = 4): number[] {
  if (total_minor <= 0) return [];
  const out = [total_minor];
  const notes = [...new Set(denominations_minor.filter((d) => Number.isSafeInteger(d) && d > 0))].sort((a, b) => a - b);
  for (const d of notes) {
    if (out.length >= max) break;
    if (d > total_minor) out.push(d);
  }
  // A total above the largest note: whole multiples of it, so a big basket still has a fast button.
  const largest = notes[notes.length - 1];
  if (out.length === 1 && largest !== undefined) {
    const next = Math.ceil(total_minor / largest) * largest;
    if (next > total_minor) out.push(next);
  }
  return out;
}

/** A line discount as typed: `10%` (a percentage) or `0.50` (an amount); empty is none. */
export type LineDiscountText =
  | { kind: "none" }
  | { kind: "amount"; discount_minor: number }
  | { kind: "percent"; discount_percent_bp: number }
  | { kind: "invalid"; message: string };

/** "12.5%" → 1250 basis points; null when not a percentage of 0.01 to 100. */
export function parsePercentBp(text: string): number | null {
  const t = text.trim().replace(",", ".");
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?\s*%$/.exec(t);
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0") || "0");
  return bp >= 1 && bp <= 10_000 ? bp : null;
}

export function parseLineDiscount(text: string, scale?: number): LineDiscountText {
  const t = text.trim();
  if (t === "") return { kind: "none" };
  if (t.endsWith("%")) {
    const bp = parsePercentBp(t);
    return bp === null ? { kind: "invalid", message: "enter a percentage like 10% (up to 100%)" } : { kind: "percent", discount_percent_bp: bp };
  }
  const minor = parseMoney(t, scale);
  if (minor === null) return { kind: "invalid", message: "enter an amount like 0.50 or a percentage like 10%" };
  return minor === 0 ? { kind: "none" } : { kind: "amount", discount_minor: minor };
}

/** A basket discount as typed in the "Discount sale" dialog: `10%` or `2.00`. */
export function parseBasketDiscount(text: string, scale?: number): BasketDiscount | string {
  const d = parseLineDiscount(text, scale);
  switch (d.kind) {
    case "percent":
      return { percent_bp: d.discount_percent_bp };
    case "amount":
      return { amount_minor: d.discount_minor };
    case "none":
      return "enter 10% or an amount like 2.00";
    case "invalid":
      return d.message;
  }
}

/** How a basket discount reads on the till: "10% off the sale", "2.00 off the sale". */
export function basketText(b: BasketDiscount, presetName?: string, scale?: number): string {
  if (b.preset_id != null) return presetName ?? "Preset discount";
  if (b.percent_bp != null) return `${formatPercent(b.percent_bp)} off the sale`;
  if (b.amount_minor != null) return `${formatMoney(b.amount_minor, scale)} off the sale`;
  return "";
}

/** 1000 → "10%", 1250 → "12.5%". */
export function formatPercent(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const frac = bp % 100;
  return frac === 0 ? `${whole}%` : `${whole}.${String(frac).padStart(2, "0").replace(/0$/, "")}%`;
}

/**
 * A manager's approval from the dialog's two fields: 4–8 digits are a PIN,
 * anything else a password. Null while the fields are not filled in.
 */
export function approvalFrom(username: string, secret: string): Approval | null {
  const u = username.trim();
  if (u === "" || secret === "") return null;
  return /^\d{4,8}$/.test(secret) ? { username: u, pin: secret } : { username: u, password: secret };
}

/** Plain words for what an approval is asked for (the core's permission names). */
export const NEEDS_WORDS: Record<string, string> = {
  "sales.discount": "give this discount",
  "sales.discount_preset": "apply a preset discount",
  "sales.price_override": "change a line's price",
  "sales.refund": "refund a sale",
  "sales.void": "void a sale",
  "sales.refund_unreceipted": "refund goods without a receipt",
  "drawer.open": "open the drawer without a sale",
  "credit.approve": "go over a credit limit",
};

export function needsText(needs: readonly string[]): string {
  const words = needs.map((n) => NEEDS_WORDS[n] ?? `use ${n}`);
  return words.length === 0 ? "do this" : words.join(" and ");
}
