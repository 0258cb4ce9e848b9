import { describe, expect, it } from "vitest";
import { TillbookError } from "../src/api";
import {
  formatQuantity,
  formatWithUnit,
  lineSummary,
  onlyLeft,
  parseQuantity,
  quantityHint,
  requireQuantity,
} from "../src/logic/quantity";
import { recordArgs } from "../src/screens/Count";
import { adjustArgs, receiveArgs } from "../src/screens/Stock";
import { receiptLine } from "../src/screens/Vendors";

const kg = { unit: "kg" as const, quantity_decimals: 3 };
const m = { unit: "m" as const, quantity_decimals: 2 };
const each = { unit: "each" as const, quantity_decimals: 0 };

describe("quantities at a product's precision", () => {
  it("reads kg to 3 decimals as grams", () => {
    expect(parseQuantity("0.350", 3)).toBe(350);
    expect(parseQuantity("0.35", 3)).toBe(350);
    expect(parseQuantity(".35", 3)).toBe(350);
    expect(parseQuantity("1,5", 3)).toBe(1500);
    expect(parseQuantity("2", 3)).toBe(2000);
    expect(parseQuantity(" 0.001 ", 3)).toBe(1);
  });

  it("refuses more decimals than the unit has, and anything not a number", () => {
    expect(parseQuantity("0.3505", 3)).toBeNull();
    expect(parseQuantity("1.5", 0)).toBeNull();
    expect(parseQuantity("1.255", 2)).toBeNull();
    expect(parseQuantity("-1", 3)).toBeNull();
    expect(parseQuantity("abc", 3)).toBeNull();
    expect(parseQuantity("", 3)).toBeNull();
    expect(parseQuantity(".", 3)).toBeNull();
  });

  it("reads whole units and metres to 2 decimals", () => {
    expect(parseQuantity("3", 0)).toBe(3);
    expect(parseQuantity("1.25", 2)).toBe(125);
  });

  it("shows quantities at the unit's precision", () => {
    expect(formatQuantity(350, 3)).toBe("0.350");
    expect(formatQuantity(12500, 3)).toBe("12.500");
    expect(formatQuantity(5, 2)).toBe("0.05");
    expect(formatQuantity(3, 0)).toBe("3");
    expect(formatWithUnit(350, kg)).toBe("0.350 kg");
    expect(formatWithUnit(3, each)).toBe("3");
    expect(formatWithUnit(150, m)).toBe("1.50 m");
  });

  it("describes a weighed line and a short line in plain words", () => {
    expect(lineSummary(350, kg, "14.00")).toBe("0.350 kg × 14.00/kg");
    expect(lineSummary(2, each, "2.50")).toBe("2 × 2.50");
    expect(onlyLeft(2, each)).toBe("Only 2 left");
    expect(onlyLeft(800, kg)).toBe("Only 0.800 kg left");
    expect(quantityHint(kg)).toBe("in kg, e.g. 0.350");
    expect(quantityHint(each)).toBe("whole units");
  });

  it("names the field when a quantity cannot be read", () => {
    expect(requireQuantity("quantity", "0.350", kg)).toBe(350);
    try {
      requireQuantity("quantity", "0.3505", kg);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TillbookError);
      expect((e as TillbookError).field).toBe("quantity");
      expect((e as TillbookError).message).toContain("at most 3 decimals");
    }
    expect(() => requireQuantity("quantity", "0", each)).toThrow(/whole number/);
  });
});

describe("stock, counts and receipts in the product's unit", () => {
  it("receives 2.5 kg as 2500 g and refuses a tenth of a gram", () => {
    const v = { lot_code: "CH-1", expires_on: "", unit_cost: "9.00", quantity: "2.5", reason: "" };
    expect(receiveArgs(3, v, kg).quantity).toBe(2500);
    expect(() => receiveArgs(3, { ...v, quantity: "2.5005" }, kg)).toThrow(/at most 3 decimals/);
    expect(() => receiveArgs(3, v)).toThrow(); // an each product takes whole units
  });

  it("adjusts a weighed batch by a signed weight", () => {
    expect(adjustArgs(4, { kind: "adjustment", quantity: "-0.250", reason: "trim" }, kg).quantity).toBe(-250);
    expect(adjustArgs(4, { kind: "damage", quantity: "0.1", reason: "dropped" }, kg).quantity).toBe(100);
  });

  it("counts 1.250 kg as 1250 g", () => {
    expect(recordArgs(5, { barcode: "CHEDDAR", batch_id: "", counted: "1.250", add: false }, 3).counted).toBe(1250);
    expect(() => recordArgs(5, { barcode: "CHEDDAR", batch_id: "", counted: "1.2505", add: false }, 3)).toThrow();
  });

  it("puts a vendor's 1.555 kg on the receipt as 1555 g", () => {
    const line = receiptLine(
      { id: 9, quantity_decimals: 3, unit: "kg" },
      { reference: "", product: "CHEDDAR", lot_code: "L7", expires_on: "", unit_cost: "9.05", quantity: "1.555" },
    );
    expect(line.quantity).toBe(1555);
  });
});

describe("quantity breaks on a weighed product", () => {
  it("are typed and described in kg", async () => {
    const { describeRule, emptyRuleForm, ruleFromForm } = await import("../src/logic/priceRules");
    const form = { ...emptyRuleForm(), kind: "quantity_break", min_quantity: "1.5", unit_price: "12.00" };
    const rule = ruleFromForm(form, { id: 3, category: "Cheese", quantity_decimals: 3, unit: "kg" }, 2);
    expect(rule).toMatchObject({ kind: "quantity_break", min_quantity: 1500, unit_price_minor: 1200 });
    expect(describeRule(rule, 2, kg)).toBe("from 1.500 kg: 12.00/kg");
    expect(describeRule({ kind: "quantity_break", product_id: 1, min_quantity: 6, unit_price_minor: 99 }, 2)).toBe("from 6 units: 0.99 each");
  });
});
