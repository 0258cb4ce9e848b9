import { describe, expect, it } from "vitest";
import type { ProductView } from "../src/generated/ProductView";
import { noReceiptLines, noReceiptNotice } from "../src/screens/RefundNoReceipt";

// Only the fields the refund form reads; the rest of a product does not matter here.
const MUG = { id: 7, name: "Mug", unit: "each", quantity_decimals: 0, track_stock: true, price_minor: 450 } as unknown as ProductView;
const APPLES = { id: 9, name: "Apples", unit: "kg", quantity_decimals: 3, track_stock: true, price_minor: 299 } as unknown as ProductView;
const COFFEE = { id: 11, name: "Coffee", unit: "each", quantity_decimals: 0, track_stock: false, price_minor: 250 } as unknown as ProductView;

describe("refund without receipt", () => {
  it("sends each product at its precision with where its stock goes", () => {
    const lines = noReceiptLines([MUG, APPLES, COFFEE], {
      "qty-7": "2",
      "stock-7": "damage",
      "qty-9": "0.350",
      "stock-9": "restock",
      "qty-11": "1",
      "stock-11": "damage",
    });
    expect(lines).toEqual([
      { product_id: 7, quantity: 2, stock: "damage" },
      { product_id: 9, quantity: 350, stock: "restock" },
      // Not counted in stock: nothing to damage, the core takes "restock".
      { product_id: 11, quantity: 1, stock: "restock" },
    ]);
  });

  it("names the field of a wrong quantity and asks for products first", () => {
    expect(() => noReceiptLines([APPLES], { "qty-9": "0.3505" })).toThrow(/qty-9: enter a quantity in kg/);
    expect(() => noReceiptLines([MUG], { "qty-7": "0" })).toThrow(/qty-7: enter a whole number/);
    expect(() => noReceiptLines([], {})).toThrow(/scan or search the products/);
  });

  it("says what to hand back in plain words", () => {
    expect(noReceiptNotice({ number: 3, hand_back: [{ action: "give_cash", amount_minor: 452 }] })).toBe("Refund without receipt #3: Give 4.52 cash.");
    expect(noReceiptNotice({ number: 4, hand_back: [{ action: "store_credit", amount_minor: 900 }] })).toBe(
      "Refund without receipt #4: Add 9.00 to the customer's store credit.",
    );
  });
});
