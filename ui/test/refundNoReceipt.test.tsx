import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it } from "vitest";
import { ApprovalDialog } from "../src/components/Approval";
import type { ProductView } from "../src/generated/ProductView";
import { Orders } from "../src/screens/Orders";
import { noReceiptLines, noReceiptNotice } from "../src/screens/RefundNoReceipt";
import { setApp } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

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

describe("refund without receipt dialog", () => {
  it("a cashier's refund to store credit needs a customer, then the manager's approval sends it once more", async () => {
    const row = ROLES.find((r) => r.role === "cashier")!;
    setApp({ phase: "app", session: { ...OWNER_SESSION, user_id: 2, role: "cashier", permissions: row.permissions }, roles: ROLES, shop: SHOP, shopName: SHOP.name });
    const priya = { id: 5, name: "Priya Patel", phone: "07700 900123", email: null, store_credit_minor: 0 };
    const { calls } = fakeCore({
      "sales.list": () => ({ orders: [], next_before_id: null }),
      "catalog.search": () => ({ items: [{ match: "barcode", product: MUG }], next_offset: null }),
      "customers.search": () => [priya],
      "sales.refund_unreceipted": (a) => {
        if (!a.approval) throw new CoreError("forbidden", "your role may not", { needs: ["sales.refund_unreceipted"], approvable: true });
        return { id: 1, number: 1, refund_to: "store_credit", customer_id: 5, net_minor: 900, tax_minor: 0, total_minor: 900, restocked_cost_minor: 450, entry_id: 3, shift_id: null, hand_back: [{ action: "store_credit", amount_minor: 900 }] };
      },
    });
    render(() => (
      <>
        <Orders />
        <ApprovalDialog />
      </>
    ));
    fireEvent.click(await screen.findByTestId("orders-no-receipt"));
    const search = await screen.findByTestId("no-receipt-search");
    fireEvent.input(search, { target: { value: "5012345678900" } });
    fireEvent.keyDown(search, { key: "Enter" });
    fireEvent.input(await screen.findByTestId("no-receipt-qty-7"), { target: { value: "2" } });
    fireEvent.change(screen.getByTestId("no-receipt-refund_to"), { target: { value: "store_credit" } });
    fireEvent.input(screen.getByTestId("no-receipt-reason"), { target: { value: "gift" } });
    fireEvent.submit(screen.getByTestId("no-receipt-form"));
    expect((await screen.findByTestId("field-error-customer")).textContent).toContain("pick the customer");
    expect(calls.some((c) => c.cmd === "sales.refund_unreceipted")).toBe(false);

    fireEvent.input(screen.getByTestId("no-receipt-customer-search"), { target: { value: "pri" } });
    fireEvent.click(await screen.findByTestId("no-receipt-customer-hit-5"));
    fireEvent.submit(screen.getByTestId("no-receipt-form"));
    expect((await screen.findByTestId("approval-reason")).textContent).toContain("refund goods without a receipt");
    fireEvent.input(screen.getByTestId("approval-username"), { target: { value: "mara" } });
    fireEvent.input(screen.getByTestId("approval-secret"), { target: { value: "1357" } });
    fireEvent.submit(screen.getByTestId("approval-form"));
    await waitFor(() => expect(screen.getByTestId("no-receipt-hand-back").textContent).toBe("Refund without receipt #1: Add 9.00 to the customer's store credit."));
    const sent = calls.filter((c) => c.cmd === "sales.refund_unreceipted");
    expect(sent).toHaveLength(2);
    expect(sent[1].args).toMatchObject({ lines: [{ product_id: 7, quantity: 2, stock: "restock" }], refund_to: "store_credit", customer_id: 5, reason: "gift", approval: { username: "mara", pin: "1357" } });
    expect(sent[0].args.idempotency_key).toBe(sent[1].args.idempotency_key);
    expect(screen.getByTestId("no-receipt-slip").textContent).toContain("Store credit for Priya Patel");
  });
});
