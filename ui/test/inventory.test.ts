import { describe, expect, it } from "vitest";
import { TillbookError, type CustomerView, type ProductView } from "../src/api";
import { describeRule, emptyRuleForm, percentToBp, ruleFieldFromCore, ruleFields, ruleFromForm } from "../src/logic/priceRules";
import { formatMoney, parseInteger, parseMoney, signed } from "../src/money";
import { recordArgs } from "../src/screens/Count";
import { creditArgs, needsApproval } from "../src/screens/Customers";
import { contactArgs } from "../src/screens/parties";
import { productChanges } from "../src/screens/Products";
import { adjustArgs, receiveArgs } from "../src/screens/Stock";
import { payArgs, receiptLine } from "../src/screens/Vendors";

const PRODUCT = { id: 7, category: "Dairy" };

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TillbookError);
    expect((e as TillbookError).code).toBe("validation");
    return (e as TillbookError).field;
  }
  return undefined;
}

describe("money and quantities", () => {
  it("reads amounts at the currency's scale, refusing more decimals than it has", () => {
    expect(parseMoney("1.29", 2)).toBe(129);
    expect(parseMoney("12", 2)).toBe(1200);
    expect(parseMoney("0,5", 2)).toBe(50);
    expect(parseMoney("1.299", 2)).toBeNull();
    expect(parseMoney("-1", 2)).toBeNull();
    expect(parseMoney("abc", 2)).toBeNull();
    expect(parseMoney("7", 0)).toBe(7);
    expect(parseMoney("7.5", 0)).toBeNull();
  });

  it("formats minor units and signed quantities", () => {
    expect(formatMoney(129, 2)).toBe("1.29");
    expect(formatMoney(5, 2)).toBe("0.05");
    expect(formatMoney(-250, 2)).toBe("-2.50");
    expect(formatMoney(42, 0)).toBe("42");
    expect(signed(10)).toBe("+10");
    expect(signed(-2)).toBe("-2");
    expect(signed(0)).toBe("0");
  });

  it("reads whole numbers, signed only when allowed", () => {
    expect(parseInteger("8")).toBe(8);
    expect(parseInteger("-2")).toBeNull();
    expect(parseInteger("-2", true)).toBe(-2);
    expect(parseInteger("2.5")).toBeNull();
  });
});

describe("price-rule form -> catalog.create_price_rule's rule", () => {
  it("maps each kind to exactly its fields (unknown fields are refused by the core, T40)", () => {
    const v = { ...emptyRuleForm(), customer_id: "3", min_quantity: "6", unit_price: "1.10", category: "", percent_off: "12.5" };
    expect(ruleFromForm({ ...v, kind: "customer_price" }, PRODUCT, 2)).toEqual({
      kind: "customer_price",
      product_id: 7,
      customer_id: 3,
      unit_price_minor: 110,
    });
    expect(ruleFromForm({ ...v, kind: "quantity_break" }, PRODUCT, 2)).toEqual({
      kind: "quantity_break",
      product_id: 7,
      min_quantity: 6,
      unit_price_minor: 110,
    });
    expect(ruleFromForm({ ...v, kind: "category_percent" }, PRODUCT, 2)).toEqual({
      kind: "category_percent",
      category: "Dairy",
      percent_off_bp: 1250,
    });
    const promo = ruleFromForm({ ...v, kind: "promotion", starts_at: "2026-12-01T08:00", ends_at: "2026-12-02T20:00" }, PRODUCT, 2);
    expect(promo).toEqual({
      kind: "promotion",
      product_id: 7,
      unit_price_minor: 110,
      starts_at_ms: new Date(2026, 11, 1, 8, 0).getTime(),
      ends_at_ms: new Date(2026, 11, 2, 20, 0).getTime(),
    });
  });

  it("names the form field that cannot be read", () => {
    const v = emptyRuleForm();
    expect(fieldOf(() => ruleFromForm({ ...v, kind: "quantity_break", unit_price: "1" }, PRODUCT, 2))).toBe("min_quantity");
    expect(fieldOf(() => ruleFromForm({ ...v, kind: "quantity_break", min_quantity: "3", unit_price: "x" }, PRODUCT, 2))).toBe(
      "unit_price",
    );
    expect(fieldOf(() => ruleFromForm({ ...v, kind: "category_percent", percent_off: "101" }, PRODUCT, 2))).toBe("percent_off");
    expect(fieldOf(() => ruleFromForm({ ...v, kind: "promotion", unit_price: "1", starts_at: "soon" }, PRODUCT, 2))).toBe("starts_at");
  });

  it("shows only the kind's fields and maps the core's field names back", () => {
    expect(ruleFields("promotion")).toEqual(["unit_price", "starts_at", "ends_at"]);
    expect(ruleFields("category_percent")).toEqual(["category", "percent_off"]);
    expect(ruleFieldFromCore("rule.unit_price_minor")).toBe("unit_price");
    expect(ruleFieldFromCore("rule.min_quantity")).toBe("min_quantity");
    expect(ruleFieldFromCore("rule")).toBe("kind");
    expect(percentToBp("10")).toBe(1000);
    expect(percentToBp("0.5")).toBe(50);
    expect(describeRule({ kind: "quantity_break", product_id: 1, min_quantity: 6, unit_price_minor: 99 }, 2)).toBe(
      "from 6 units: 0.99 each",
    );
  });
});

describe("product edit sends only what changed, against the version read", () => {
  const p: ProductView = {
    id: 4, sku: "MILK", barcode: "123", name: "Milk", category: "Dairy", unit: "each", tax_class: "standard",
    tax_rate_bp: 2000, price_minor: 129, archived: false, on_hand: 0, available: 0, version: 3, created_at_ms: 0, updated_at_ms: 0,
    track_stock: true, standard_cost_minor: null, plu: null, quantity_decimals: 0,
    reorder_point: null, reorder_quantity: null, preferred_vendor_id: null, track_expiry: false,
  };
  const same = {
    sku: "MILK", barcode: "123", name: "Milk", category: "Dairy", unit: "each", tax_class: "standard", price: "1.29",
    track_stock: true, standard_cost: "", plu: "",
  };
  it("unchanged -> only id and version", () => {
    expect(productChanges(p, same)).toEqual({ id: 4, version: 3 });
  });
  it("a removed barcode is sent as empty (the core removes it)", () => {
    expect(productChanges(p, { ...same, barcode: "", price: "1.35", name: "Milk 1 l" })).toEqual({
      id: 4,
      version: 3,
      barcode: "",
      name: "Milk 1 l",
      price_minor: 135,
    });
  });
});

describe("stock forms", () => {
  it("receive: cost and quantity read, empty expiry and reason left to the core's defaults", () => {
    expect(receiveArgs(7, { lot_code: " L1 ", expires_on: "", unit_cost: "0.85", quantity: "10", reason: "" })).toEqual({
      product_id: 7,
      lot_code: "L1",
      expires_on: null,
      unit_cost_minor: 85,
      quantity: 10,
    });
    expect(fieldOf(() => receiveArgs(7, { lot_code: "L1", expires_on: "", unit_cost: "", quantity: "ten", reason: "" }))).toBe("quantity");
  });

  it("adjust: signed only for adjustments, reason mandatory", () => {
    expect(adjustArgs(3, { kind: "adjustment", quantity: "-2", reason: "miscount" })).toEqual({
      batch_id: 3,
      kind: "adjustment",
      quantity: -2,
      reason: "miscount",
    });
    expect(fieldOf(() => adjustArgs(3, { kind: "damage", quantity: "-1", reason: "dropped" }))).toBe("quantity");
    expect(fieldOf(() => adjustArgs(3, { kind: "sample", quantity: "1", reason: " " }))).toBe("reason");
    expect(fieldOf(() => adjustArgs(3, { kind: "adjustment", quantity: "0", reason: "x" }))).toBe("quantity");
  });

  it("count: a scan records the barcode; a batch number picks among several", () => {
    expect(recordArgs(5, { barcode: "400638", batch_id: "", counted: "8", add: false })).toEqual({ count_id: 5, barcode: "400638", counted: 8 });
    expect(recordArgs(5, { barcode: "", batch_id: "#12", counted: "0", add: false })).toEqual({ count_id: 5, batch_id: 12, counted: 0 });
    expect(recordArgs(5, { barcode: "400638", batch_id: "", counted: "", add: true })).toEqual({
      count_id: 5,
      barcode: "400638",
      counted: 1,
      add: true,
    });
    expect(fieldOf(() => recordArgs(5, { barcode: "", batch_id: "", counted: "8", add: false }))).toBe("barcode");
  });
});

describe("customers and vendors", () => {
  const cust: CustomerView = {
    id: 2, name: "Ana", phone: null, email: null, tax_id: null, notes: "", credit_limit_minor: 5000, credit_mode: "block",
    balance_minor: 0, store_credit_minor: 0, archived: false, version: 4, created_at_ms: 0,
  };

  it("contact details: empty optional fields are left out", () => {
    expect(contactArgs({ name: " Ana ", phone: "", email: "a@b.pt", tax_id: "", notes: "" })).toEqual({ name: "Ana", email: "a@b.pt" });
  });

  it("credit approval is asked for only when raising above the threshold", () => {
    expect(needsApproval(5000, 200000, 100000)).toBe(true);
    expect(needsApproval(5000, 100000, 100000)).toBe(false);
    expect(needsApproval(300000, 200000, 100000)).toBe(false); // lowering
    expect(needsApproval(5000, 200000, null)).toBe(false); // threshold unknown: the core asks
  });

  it("set_credit names the version read, the mode chosen and the approver when needed", () => {
    const v = { limit: "2000.00", mode: "warn", approver_username: "maria", approver_password: "pw-123456" };
    expect(creditArgs(cust, v)).toEqual({
      id: 2,
      version: 4,
      credit_limit_minor: 200000,
      credit_mode: "warn",
      approver: { username: "maria", password: "pw-123456" },
    });
    // Without an approver none is sent: the core says whether one was needed.
    expect(creditArgs(cust, { limit: "2000", mode: "block", approver_username: "", approver_password: "" })).not.toHaveProperty(
      "approver",
    );
    expect(creditArgs(cust, { limit: "20", mode: "block", approver_username: "", approver_password: "" })).toEqual({
      id: 2,
      version: 4,
      credit_limit_minor: 2000,
      credit_mode: "block",
    });
  });

  it("vendor payment arguments", () => {
    expect(payArgs(3, { amount: "125", tender: "bank", reference: "INV-88", memo: "" })).toEqual({
      vendor_id: 3,
      amount_minor: 12500,
      tender: "bank",
      reference: "INV-88",
    });
    expect(fieldOf(() => payArgs(3, { amount: "", tender: "cash", reference: "", memo: "" }))).toBe("amount");
  });

  it("purchase receipt line: lot optional, expiry only where tracked, cost and quantity read", () => {
    expect(receiptLine({ id: 9, track_expiry: true }, { reference: "", product: "MILK", lot_code: "L7", expires_on: "2026-12-31", unit_cost: "0.85", quantity: "48" })).toEqual({
      product_id: 9,
      lot_code: "L7",
      expires_on: "2026-12-31",
      unit_cost_minor: 85,
      quantity: 48,
    });
    // No lot: the core makes one; a date for a product that does not track expiry is not sent.
    expect(receiptLine({ id: 9 }, { reference: "", product: "", lot_code: "", expires_on: "2026-12-31", unit_cost: "1", quantity: "1" })).toEqual({
      product_id: 9,
      lot_code: null,
      expires_on: null,
      unit_cost_minor: 100,
      quantity: 1,
    });
    expect(fieldOf(() => receiptLine({ id: 9, track_expiry: true }, { reference: "", product: "", lot_code: "", expires_on: "", unit_cost: "1", quantity: "1" }))).toBe("expires_on");
  });
});
