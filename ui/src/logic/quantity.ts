// Quantities at a product's precision. The core keeps every quantity as an
// integer in the unit's smallest part (grams for kg, ml for l, cm for m) and a
// product says how many decimals its unit has (`quantity_decimals`: 3 for kg
// and l, 2 for m, 0 for each, pack, g, ml). The till, receipts, stock and
// counts type and show quantities in the unit ("0.350" kg) and send the
// smallest part (350). Nothing here prices anything: the core does (T20).

import { TillbookError, type Unit } from "../api";

/** What a product's quantities need: its unit and the unit's decimals. */
export interface QuantityUnit {
  unit: Unit;
  quantity_decimals: number;
}

/** The unit as a cashier reads it after a number ("kg"; "" for each). */
export function unitSuffix(unit: Unit): string {
  return unit === "each" ? "" : unit === "pack" ? "pack" : unit;
}

/** A view from before units had decimals (or a test fixture) counts whole units. */
function wholeIfUnknown(decimals: number | undefined): number {
  return typeof decimals === "number" && Number.isInteger(decimals) && decimals > 0 ? decimals : 0;
}

/** Whether the product is weighed or measured (its quantities have decimals). */
export function isMeasured(u: QuantityUnit): boolean {
  return wholeIfUnknown(u.quantity_decimals) > 0;
}

/** One whole unit (1 kg = 1000 g) in the smallest part. */
export function oneUnit(decimals: number): number {
  return 10 ** decimals;
}

/**
 * "0.350" at 3 decimals -> 350; "2" -> 2000; "1,5" -> 1500. Null when it is not
 * a plain positive-or-zero number or has more decimals than the unit allows
 * ("0.3505" kg is a tenth of a gram).
 */
export function parseQuantity(text: string, decimals: number): number | null {
  decimals = wholeIfUnknown(decimals);
  const t = text.trim().replace(",", ".");
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t);
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) return null;
  const frac = m[2] ?? "";
  if (frac.length > decimals) return null;
  const q = Number(m[1] || "0") * 10 ** decimals + Number(frac.padEnd(decimals, "0") || "0");
  return Number.isSafeInteger(q) ? q : null;
}

/** 350 at 3 decimals -> "0.350"; 3 at 0 -> "3". */
export function formatQuantity(q: number, decimals: number): string {
  decimals = wholeIfUnknown(decimals);
  if (decimals === 0) return String(q);
  const neg = q < 0;
  const s = String(Math.abs(q)).padStart(decimals + 1, "0");
  return (neg ? "-" : "") + s.slice(0, -decimals) + "." + s.slice(-decimals);
}

/** A quantity with its unit: "0.350 kg", "3", "2 pack". */
export function formatWithUnit(q: number, u: QuantityUnit): string {
  const suffix = u.unit === undefined ? "" : unitSuffix(u.unit);
  const n = formatQuantity(q, u.quantity_decimals);
  return suffix === "" ? n : `${n} ${suffix}`;
}

/** The till's line: "0.350 kg × 14.00/kg" (weighed) or "3 × 2.50". */
export function lineSummary(q: number, u: QuantityUnit, unitPrice: string): string {
  if (isMeasured(u)) return `${formatWithUnit(q, u)} × ${unitPrice}/${u.unit}`;
  return `${formatWithUnit(q, u)} × ${unitPrice}`;
}

/** What to say when fewer are free than asked: "Only 2 left", "Only 0.800 kg left". */
export function onlyLeft(available: number, u: QuantityUnit): string {
  return `Only ${formatWithUnit(Math.max(0, available), u)} left`;
}

/** A typical quantity to show as an example: "0.350" (kg, l), "1.50" (m). */
function example(decimals: number): string {
  return decimals >= 3 ? formatQuantity(350, decimals) : formatQuantity(150, decimals);
}

/** The hint under a quantity field: "in kg, e.g. 0.350" or "whole units". */
export function quantityHint(u: QuantityUnit): string {
  if (u.quantity_decimals === 0) return u.unit === "each" ? "whole units" : `whole ${u.unit}`;
  return `in ${u.unit}, e.g. ${example(u.quantity_decimals)}`;
}

/** Reads a quantity field (at least one smallest part) or throws a `validation` error naming it. */
export function requireQuantity(field: string, text: string, u: QuantityUnit): number {
  const q = parseQuantity(text, u.quantity_decimals);
  if (q === null || q < 1) {
    const message =
      u.quantity_decimals === 0
        ? "enter a whole number above zero"
        : `enter a quantity in ${u.unit} with at most ${u.quantity_decimals} decimals, like ${example(u.quantity_decimals)}`;
    throw new TillbookError("validation", `${field}: ${message}`, { field, source: "ui" });
  }
  return q;
}
