// The price-rule form: one set of text fields, read according to the chosen
// kind into exactly the fields that kind has (the core refuses unknown fields, T40).

import type { PriceRule, PriceRuleKind, PriceRuleView } from "../api";
import { formatMoney, requireDateTime, requireInteger, requireMoney, fieldError } from "../money";
import { formatDateTime } from "../locale";
import { customerName } from "./customerNames";
import { formatWithUnit, isMeasured, requireQuantity, type QuantityUnit } from "./quantity";

export const RULE_KINDS: readonly { value: PriceRuleKind; label: string }[] = [
  { value: "customer_price", label: "Customer price" },
  { value: "quantity_break", label: "Quantity break" },
  { value: "category_percent", label: "Category % off" },
  { value: "promotion", label: "Promotion (time-bounded)" },
];

export interface RuleFormValues {
  [key: string]: string;
  kind: string;
  customer_id: string;
  min_quantity: string;
  unit_price: string;
  category: string;
  percent_off: string;
  starts_at: string;
  ends_at: string;
}

export const emptyRuleForm = (): RuleFormValues => ({
  kind: "quantity_break",
  customer_id: "",
  min_quantity: "",
  unit_price: "",
  category: "",
  percent_off: "",
  starts_at: "",
  ends_at: "",
});

/** Which fields the form shows for a kind. */
export function ruleFields(kind: string): (keyof RuleFormValues)[] {
  switch (kind) {
    case "customer_price":
      return ["customer_id", "unit_price"];
    case "quantity_break":
      return ["min_quantity", "unit_price"];
    case "category_percent":
      return ["category", "percent_off"];
    case "promotion":
      return ["unit_price", "starts_at", "ends_at"];
    default:
      return [];
  }
}

/** "12.5" (percent) -> 1250 basis points; null if not a 0–100 number with ≤ 2 decimals. */
export function percentToBp(text: string): number | null {
  const m = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0") || "0");
  return bp <= 10000 ? bp : null;
}

/**
 * The form as `catalog.create_price_rule`'s `rule`, for `product` (its id and
 * category). Throws a `validation` error naming the form field that cannot be read.
 */
export function ruleFromForm(
  v: RuleFormValues,
  product: { id: number; category: string; quantity_decimals?: number; unit?: QuantityUnit["unit"] },
  scale?: number,
): PriceRule {
  switch (v.kind) {
    case "customer_price":
      return {
        kind: "customer_price",
        product_id: product.id,
        customer_id: requireInteger("customer_id", v.customer_id),
        unit_price_minor: requireMoney("unit_price", v.unit_price, scale),
      };
    case "quantity_break":
      return {
        kind: "quantity_break",
        product_id: product.id,
        // In the product's unit: "1.5" kg is a break from 1500 g.
        min_quantity: product.quantity_decimals
          ? requireQuantity("min_quantity", v.min_quantity, { unit: product.unit ?? "kg", quantity_decimals: product.quantity_decimals })
          : requireInteger("min_quantity", v.min_quantity),
        unit_price_minor: requireMoney("unit_price", v.unit_price, scale),
      };
    case "category_percent": {
      const bp = percentToBp(v.percent_off);
      if (bp === null) throw fieldError("percent_off", "enter a percentage like 10 or 12.5");
      const category = v.category.trim() === "" ? product.category : v.category.trim();
      return { kind: "category_percent", category, percent_off_bp: bp };
    }
    case "promotion":
      return {
        kind: "promotion",
        product_id: product.id,
        unit_price_minor: requireMoney("unit_price", v.unit_price, scale),
        starts_at_ms: requireDateTime("starts_at", v.starts_at),
        ends_at_ms: requireDateTime("ends_at", v.ends_at),
      };
    default:
      throw fieldError("kind", "choose a kind of rule");
  }
}

/** The core's `details.field` for a rule (`rule.unit_price_minor`, …) -> this form's field. */
export function ruleFieldFromCore(field: string): string {
  const f = field.replace(/^rule\./, "");
  const map: Record<string, string> = {
    unit_price_minor: "unit_price",
    percent_off_bp: "percent_off",
    starts_at_ms: "starts_at",
    ends_at_ms: "ends_at",
    rule: "kind",
  };
  return map[f] ?? f;
}

/** One line describing a rule, for the list. */
export function describeRule(r: PriceRuleView | PriceRule, scale?: number, u?: QuantityUnit): string {
  switch (r.kind) {
    case "customer_price":
      return `${customerName(r.customer_id) ?? "one customer"} pays ${formatMoney(r.unit_price_minor, scale)}`;
    case "quantity_break":
      if (u && isMeasured(u)) return `from ${formatWithUnit(r.min_quantity, u)}: ${formatMoney(r.unit_price_minor, scale)}/${u.unit}`;
      return `from ${r.min_quantity} units: ${formatMoney(r.unit_price_minor, scale)} each`;
    case "category_percent":
      return `${r.percent_off_bp / 100}% off category "${r.category}"`;
    case "promotion":
      return `${formatMoney(r.unit_price_minor, scale)} from ${formatDateTime(r.starts_at_ms, false)} to ${formatDateTime(r.ends_at_ms, false)}`;
  }
}
