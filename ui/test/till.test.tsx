import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ApprovalDialog } from "../src/components/Approval";
import { ErrorBanner } from "../src/components/ErrorBanner";
import {
  addProduct,
  cartLines,
  createTenderAttempt,
  paymentInputs,
  stepQuantity,
  tenderSummary,
  tendersFor,
  tillAbilities,
} from "../src/logic/till";
import { formatMoney } from "../src/money";
import { Orders, orders, refundForm, refundedByLine, setOrders, statusLabel } from "../src/screens/Orders";
import { Till } from "../src/screens/Till";
import { setTill, till, tender } from "../src/screens/till/state";
import { permissionsOf, setApp } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES, SHOP, tick } from "./fake";

const product = (id: number, sku: string, name: string, barcode: string | null, price_minor: number) => ({
  id, sku, barcode, name, category: "", unit: "each", tax_class: "standard", tax_rate_bp: 2000, price_minor,
  archived: false, on_hand: 10, available: 10, version: 1, created_at_ms: 0, updated_at_ms: 0,
});
const MILK = product(1, "MILK-1L", "Milk 1 l", "4006381333931", 129);
const BREAD = product(2, "BREAD", "Bread", "2000000000015", 250);

/** A quote as the core computes it (20 % tax on top), for the fake core only. */
function quoteOf(args: Record<string, unknown>) {
  const lines = (args.lines as { product_id: number; quantity: number; discount_minor?: number }[]).map((l, i) => {
    const p = l.product_id === 1 ? MILK : BREAD;
    const gross = p.price_minor * l.quantity;
    const net = gross - (l.discount_minor ?? 0);
    const tax = Math.round(net / 5);
    return {
      line_no: i + 1, product_id: p.id, sku: p.sku, name: p.name, quantity: l.quantity, list_price_minor: p.price_minor,
      unit_price_minor: p.price_minor, gross_minor: gross, discount_minor: l.discount_minor ?? 0, tax_rate_bp: 2000,
      net_minor: net, tax_minor: tax, total_minor: net + tax, rule_applied: null,
    };
  });
  const sum = (k: "discount_minor" | "net_minor" | "tax_minor" | "total_minor") => lines.reduce((n, l) => n + l[k], 0);
  return {
    customer_id: (args.customer_id as number | null) ?? null, prices_include_tax: false, lines,
    discount_minor: sum("discount_minor"), net_minor: sum("net_minor"), tax_minor: sum("tax_minor"), total_minor: sum("total_minor"),
  };
}

function orderOf(args: Record<string, unknown>, id = 7) {
  const q = quoteOf(args);
  const payments = (args.payments as { tender: string; amount_minor: number; reference?: string }[]).map((p, i) => ({
    id: i + 1, tender: p.tender, amount_minor: p.amount_minor, tendered_minor: p.amount_minor, change_minor: 0, reference: p.reference ?? null,
  }));
  const nonCash = payments.filter((p) => p.tender !== "cash").reduce((n, p) => n + p.amount_minor, 0);
  const cash = payments.find((p) => p.tender === "cash");
  let change = 0;
  if (cash) {
    change = cash.tendered_minor - (q.total_minor - nonCash);
    cash.amount_minor = q.total_minor - nonCash;
    cash.change_minor = change;
  }
  return {
    credit: null, id, number: id, receipt_number: 100 + id, status: "confirmed", customer_id: null, cashier_id: 1,
    prices_include_tax: false, discount_minor: q.discount_minor, net_minor: q.net_minor, tax_minor: q.tax_minor,
    total_minor: q.total_minor, cost_minor: 0, change_minor: change, entry_id: 1, created_at_ms: 0,
    lines: q.lines.map((l) => ({ ...l, id: 10 + l.line_no, cost_minor: 0, batches: [] })),
    payments,
  };
}

const search = (a: Record<string, unknown>) => {
  const q = String(a.query);
  if (q === MILK.barcode) return { items: [{ match: "barcode", product: MILK }], next_offset: null };
  if (q === BREAD.barcode) return { items: [{ match: "barcode", product: BREAD }], next_offset: null };
  return { items: [MILK, BREAD].filter((p) => p.name.toLowerCase().startsWith(q.toLowerCase())).map((p) => ({ match: "name_prefix", product: p })), next_offset: null };
};

function signIn(role: "owner" | "manager" | "cashier") {
  const row = ROLES.find((r) => r.role === role)!;
  setApp({ phase: "app", session: { ...OWNER_SESSION, role, permissions: row.permissions }, roles: ROLES, shop: SHOP, shopName: SHOP.name });
}

async function scan(code: string | null) {
  const box = (await screen.findByTestId("till-search")) as HTMLInputElement;
  fireEvent.input(box, { target: { value: code ?? "" } });
  fireEvent.submit(screen.getByTestId("till-search-form"));
}

describe("tender math (what the tender screen shows)", () => {
  it("split card + cash: the card first, cash covers the rest and the excess is change", () => {
    const s = tenderSummary(1000, [
      { tender: "card", amount_minor: 400, reference: "TRM-1" },
      { tender: "cash", amount_minor: 1000, reference: "" },
    ]);
    expect(s).toMatchObject({ entered_minor: 1400, remaining_minor: 0, change_minor: 400, covers: true, problem: null });
    expect(formatMoney(s.change_minor)).toBe("4.00");
  });

  it("shows what is still due and does not cover it", () => {
    const s = tenderSummary(1000, [{ tender: "cash", amount_minor: 600, reference: "" }]);
    expect(s).toMatchObject({ remaining_minor: 400, change_minor: 0, covers: false });
  });

  it("refuses non-cash over the total, two cash rows, a card without reference and a zero amount", () => {
    expect(tenderSummary(1000, [{ tender: "card", amount_minor: 1001, reference: "T" }]).covers).toBe(false);
    expect(tenderSummary(1000, [{ tender: "card", amount_minor: 1001, reference: "T" }]).problem).toMatch(/more than the total/);
    const twoCash = tenderSummary(1000, [
      { tender: "cash", amount_minor: 500, reference: "" },
      { tender: "cash", amount_minor: 500, reference: "" },
    ]);
    expect(twoCash.covers).toBe(false);
    expect(tenderSummary(1000, [{ tender: "card", amount_minor: 1000, reference: " " }]).problem).toMatch(/reference/);
    expect(tenderSummary(0, [{ tender: "cash", amount_minor: 0, reference: "" }]).covers).toBe(false);
  });

  it("exact non-cash covers with no change; references only on card", () => {
    const rows = [
      { tender: "on_account" as const, amount_minor: 300, reference: "" },
      { tender: "card" as const, amount_minor: 700, reference: " TRM-9 " },
    ];
    expect(tenderSummary(1000, rows)).toMatchObject({ covers: true, change_minor: 0 });
    expect(paymentInputs(rows)).toEqual([
      { tender: "on_account", amount_minor: 300 },
      { tender: "card", amount_minor: 700, reference: "TRM-9" },
    ]);
  });

  it("offers on account and store credit only with a customer", () => {
    expect(tendersFor(false)).toEqual(["cash", "card"]);
    expect(tendersFor(true)).toEqual(["cash", "card", "on_account", "store_credit"]);
  });
});

describe("the cart as the core takes it", () => {
  it("scanning again adds a unit to the line; − never goes below 1; zero discounts are left out", () => {
    let lines = addProduct([], 1);
    lines = addProduct(lines, 2);
    lines = addProduct(lines, 1);
    expect(lines.map((l) => [l.product_id, l.quantity])).toEqual([[1, 2], [2, 1]]);
    lines = stepQuantity(lines, 1, -1);
    expect(lines[1].quantity).toBe(1);
    lines = lines.map((l, i) => (i === 0 ? { ...l, discount_minor: 50 } : l));
    expect(cartLines(lines)).toEqual([{ product_id: 1, quantity: 2, discount_minor: 50 }, { product_id: 2, quantity: 1 }]);
  });
});

describe("one idempotency key per tender attempt", () => {
  it("reuses the key for retries, sends nothing while a Pay is in flight, and a new attempt gets a new key", async () => {
    let n = 0;
    const attempt = createTenderAttempt(() => `key-${++n}-abcdef`);
    expect(await attempt.pay(async () => "sent")).toBeUndefined(); // no attempt open
    attempt.open();
    const seen: string[] = [];
    let release!: () => void;
    const first = attempt.pay((k) => {
      seen.push(k);
      return new Promise<string>((r) => (release = () => r("ok")));
    });
    const second = await attempt.pay(async (k) => (seen.push(k), "again"));
    expect(second).toBeUndefined();
    expect(attempt.inFlight()).toBe(true);
    release();
    expect(await first).toBe("ok");
    await expect(attempt.pay(async (k) => (seen.push(k), Promise.reject(new Error("busy"))))).rejects.toThrow("busy");
    await attempt.pay(async (k) => seen.push(k));
    expect(seen).toEqual(["key-1-abcdef", "key-1-abcdef", "key-1-abcdef"]);
    attempt.close();
    attempt.open();
    await attempt.pay(async (k) => seen.push(k));
    expect(seen[3]).toBe("key-2-abcdef");
  });
});

describe("permission gating", () => {
  it("discounts for owner and manager, refunds not for a cashier", () => {
    const abilities = (role: string) => tillAbilities(permissionsOf(role, ROLES));
    expect(abilities("owner")).toMatchObject({ sell: true, discount: true, refund: true });
    expect(abilities("manager")).toMatchObject({ sell: true, discount: true, refund: true });
    expect(abilities("cashier")).toMatchObject({ sell: true, discount: false, refund: false, customers: true });
  });
});

describe("Till screen", () => {
  beforeEach(() => {
    tender.close();
    setTill({
      view: "cart", query: "", hits: [], lines: [], names: {}, discountText: {}, lineErrors: {}, customer: null, customerQuery: "",
      customerHits: [], quote: null, quoting: false, tenderRows: [], tenderErrors: {}, receipt: null, heldOpen: false, held: [],
      heldNext: null, parkOpen: false, parkLabel: "", notice: null, recalled: null,
      approval: { needed: false, username: "", password: "" }, claim: null, claimError: null, receiptReward: null, receiptPoints: null,
    });
  });

  it("Enter on a scanned barcode adds it; totals come from sales.quote; a double-clicked Pay makes one checkout", async () => {
    signIn("owner");
    let release!: () => void;
    const { calls } = fakeCore({
      "catalog.search": search,
      "sales.quote": quoteOf,
      "sales.checkout": (a) => new Promise((r) => (release = () => r(orderOf(a)))),
      "settings.get": () => ({ settings: { receipt_footer: "Thank you" }, version: 1 }),
    });
    render(() => (
      <>
        <ErrorBanner />
        <Till />
      </>
    ));
    await scan(MILK.barcode);
    await screen.findByTestId("cart-line-MILK-1L");
    await scan(MILK.barcode);
    await scan(BREAD.barcode);
    await waitFor(() => expect(screen.getByTestId("cart-qty-MILK-1L").textContent).toBe("2"));
    // 2 × 1.29 + 2.50 = 5.08 net, 1.02 tax: the numbers are the quote's.
    await waitFor(() => expect(screen.getByTestId("till-total").textContent).toBe("6.10"));
    expect(screen.getByTestId("till-tax").textContent).toBe("1.02");
    expect(calls.filter((c) => c.cmd === "sales.quote").length).toBeGreaterThanOrEqual(3);

    fireEvent.click(screen.getByTestId("till-pay"));
    await screen.findByTestId("tender");
    expect(screen.getByTestId("tender-total").textContent).toBe("6.10");
    fireEvent.click(screen.getByTestId("tender-add-card"));
    fireEvent.input(screen.getByTestId("tender-amount-0"), { target: { value: "4.00" } });
    fireEvent.input(screen.getByTestId("tender-reference-0"), { target: { value: "TRM-0042" } });
    fireEvent.click(screen.getByTestId("tender-add-cash"));
    expect((screen.getByTestId("tender-amount-1") as HTMLInputElement).value).toBe("2.10");
    fireEvent.input(screen.getByTestId("tender-amount-1"), { target: { value: "5.00" } });
    expect(screen.getByTestId("tender-change").textContent).toBe("2.90");
    expect(screen.getByTestId("tender-remaining").textContent).toBe("0.00");

    const payButton = screen.getByTestId("tender-pay");
    fireEvent.click(payButton);
    fireEvent.click(payButton);
    await tick();
    expect(payButton.hasAttribute("disabled")).toBe(true);
    release();
    await screen.findByTestId("till-receipt");
    const checkouts = calls.filter((c) => c.cmd === "sales.checkout");
    expect(checkouts).toHaveLength(1);
    expect(checkouts[0].args).toMatchObject({
      lines: [{ product_id: 1, quantity: 2 }, { product_id: 2, quantity: 1 }],
      payments: [{ tender: "card", amount_minor: 400, reference: "TRM-0042" }, { tender: "cash", amount_minor: 500 }],
    });
    expect(screen.getByTestId("receipt-shop").textContent).toBe("Corner Shop");
    expect(screen.getByTestId("receipt-number").textContent).toBe("#107");
    expect(screen.getByTestId("receipt-change").textContent).toBe("2.90");
    expect(screen.getByTestId("receipt-line-1").textContent).toContain("Milk 1 l");
    expect(screen.queryByTestId("error-banner")).toBeNull();

    const print = vi.spyOn(window, "print").mockImplementation(() => {});
    fireEvent.click(screen.getByTestId("receipt-print"));
    expect(print).toHaveBeenCalledTimes(1);
    print.mockRestore();

    fireEvent.click(screen.getByTestId("receipt-new-sale"));
    await screen.findByTestId("till-search");
    expect(till.lines).toHaveLength(0);
  });

  it("a retry after a failed Pay sends the same key; going back to the cart starts a new attempt", async () => {
    signIn("cashier");
    let n = 0;
    const { calls } = fakeCore({
      "catalog.search": search,
      "sales.quote": quoteOf,
      "sales.checkout": (a) => {
        n++;
        if (n === 1) throw new CoreError("busy", "the database stayed busy", { attempts: 5 });
        if (n === 2) throw new CoreError("validation", "payments[0].amount_minor: must be 1 to 10^12", { field: "payments[0].amount_minor" });
        return orderOf(a);
      },
      "settings.get": () => ({ settings: { receipt_footer: "" }, version: 1 }),
    });
    render(() => (
      <>
        <ErrorBanner />
        <Till />
      </>
    ));
    await scan(BREAD.barcode);
    await waitFor(() => expect(screen.getByTestId("till-total").textContent).toBe("3.00"));
    fireEvent.click(screen.getByTestId("till-pay"));
    const firstKey = tender.key();
    fireEvent.click(screen.getByTestId("tender-back"));
    fireEvent.click(await screen.findByTestId("till-pay"));
    expect(tender.key()).not.toBe(firstKey);
    fireEvent.click(screen.getByTestId("tender-add-cash"));
    fireEvent.click(screen.getByTestId("tender-pay"));
    await screen.findByTestId("error-banner");
    expect(screen.getByTestId("error-code").textContent).toBe("busy");
    fireEvent.click(screen.getByTestId("tender-pay"));
    expect((await screen.findByTestId("field-error-tender-amount-0")).textContent).toBe("must be 1 to 10^12");
    fireEvent.click(screen.getByTestId("tender-pay"));
    await screen.findByTestId("till-receipt");
    const keys = calls.filter((c) => c.cmd === "sales.checkout").map((c) => c.args.idempotency_key);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).not.toBe(firstKey);
  });

  it("a price change between quote and Pay is refused; the new total is shown and paid with the same key", async () => {
    signIn("cashier");
    let price = 250;
    let n = 0;
    const { calls } = fakeCore({
      "catalog.search": search,
      "sales.quote": (a) => {
        const q = quoteOf(a);
        const scale = price / 250;
        return { ...q, total_minor: q.total_minor * scale, lines: q.lines.map((l) => ({ ...l, total_minor: l.total_minor * scale })) };
      },
      "sales.checkout": (a) => {
        n++;
        if (n === 1) {
          price = 500;
          throw new CoreError("conflict", "prices changed: the cart now comes to 6.00, not 3.00", { entity: "cart" });
        }
        return orderOf(a);
      },
      "settings.get": () => ({ settings: { receipt_footer: "" }, version: 1 }),
    });
    render(() => (
      <>
        <ErrorBanner />
        <Till />
      </>
    ));
    await scan(BREAD.barcode);
    await waitFor(() => expect(screen.getByTestId("till-total").textContent).toBe("3.00"));
    fireEvent.keyDown(window, { key: "F9" }); // the keyboard way to payment
    fireEvent.click(await screen.findByTestId("tender-add-cash"));
    fireEvent.input(screen.getByTestId("tender-amount-0"), { target: { value: "10.00" } });
    fireEvent.click(screen.getByTestId("tender-pay"));
    await screen.findByTestId("error-banner");
    expect(screen.getByTestId("error-code").textContent).toBe("conflict");
    await waitFor(() => expect(screen.getByTestId("tender-total").textContent).toBe("6.00"));
    expect(screen.getByTestId("tender-change").textContent).toBe("4.00");
    fireEvent.keyDown(window, { key: "F9" }); // and Pay
    await screen.findByTestId("till-receipt");
    const sent = calls.filter((c) => c.cmd === "sales.checkout").map((c) => c.args);
    expect(sent.map((a) => a.expected_total_minor)).toEqual([300, 600]);
    expect(sent[0].idempotency_key).toBe(sent[1].idempotency_key);
  });

  it("shows the discount field to every seller (a manager approves what a cashier may not give), and the core's refusal in the banner", async () => {
    signIn("cashier");
    fakeCore({ "catalog.search": search, "sales.quote": quoteOf });
    const { unmount } = render(() => <Till />);
    await scan(MILK.barcode);
    await screen.findByTestId("cart-line-MILK-1L");
    expect(screen.queryByTestId("cart-discount-MILK-1L")).not.toBeNull();
    unmount();

    signIn("manager");
    fakeCore({
      "catalog.search": search,
      "sales.quote": (a) => {
        const lines = a.lines as { discount_minor?: number }[];
        if ((lines[0].discount_minor ?? 0) > 129) {
          throw new CoreError("validation", "lines[0].discount_minor: a discount of 500 is more than the line's 129", { field: "lines[0].discount_minor" });
        }
        if ((lines[0].discount_minor ?? 0) === 7) throw new CoreError("forbidden", "a cashier may not do this with sales.quote (needs sales.discount)");
        return quoteOf(a);
      },
    });
    render(() => (
      <>
        <ErrorBanner />
        <Till />
      </>
    ));
    const field = (await screen.findByTestId("cart-discount-MILK-1L")) as HTMLInputElement;
    fireEvent.change(field, { target: { value: "0.29" } });
    await waitFor(() => expect(screen.getByTestId("cart-total-MILK-1L").textContent).toBe("1.20"));
    fireEvent.change(field, { target: { value: "5.00" } });
    expect((await screen.findByTestId("cart-error-MILK-1L")).textContent).toContain("more than the line");
    fireEvent.change(field, { target: { value: "0.07" } });
    await screen.findByTestId("error-banner");
    expect(screen.getByTestId("error-code").textContent).toBe("forbidden");
  });

  it("parks with a label and one key, and recalls a held sale into an empty cart", async () => {
    signIn("cashier");
    const held = { id: 3, number: 1, label: "table 4", customer_id: null, cashier_id: 1, line_count: 1, expires_at_ms: 0, created_at_ms: 0, version: 1 };
    const cart = { ...held, status: "held", updated_at_ms: 0, closed_at_ms: null, lines: [{ line_no: 1, product_id: 2, quantity: 3, discount_minor: 0, reserved_quantity: 3, reservation_live: true }], reservations_live: true, lost_lines: [] };
    const { calls } = fakeCore({
      "catalog.search": search,
      "sales.quote": quoteOf,
      "sales.hold": () => cart,
      "sales.held": () => ({ holds: [held], next_after_id: null }),
      "sales.recall": () => cart,
      "sales.cancel_hold": () => ({ ...cart, status: "cancelled", version: 2 }),
      "sales.checkout": (a) => orderOf(a),
      "settings.get": () => ({ settings: { receipt_footer: "" }, version: 1 }),
    });
    render(() => <Till />);
    await scan(BREAD.barcode);
    await screen.findByTestId("cart-line-BREAD");
    fireEvent.click(screen.getByTestId("till-park"));
    fireEvent.input(await screen.findByTestId("park-label"), { target: { value: "table 4" } });
    fireEvent.submit(screen.getByTestId("park-form"));
    await screen.findByTestId("till-notice");
    expect(till.lines).toHaveLength(0);
    expect(calls.find((c) => c.cmd === "sales.hold")?.args).toMatchObject({ label: "table 4", lines: [{ product_id: 2, quantity: 1 }] });
    expect(String(calls.find((c) => c.cmd === "sales.hold")?.args.idempotency_key)).toMatch(/^ui-/);

    fireEvent.click(screen.getByTestId("till-held-toggle"));
    fireEvent.click(await screen.findByTestId("held-recall-3"));
    await waitFor(() => expect(screen.getByTestId("cart-qty-BREAD").textContent).toBe("3"));
    await screen.findByTestId("held-in-cart-3");
    // The hold keeps its reservations until checkout completes it.
    expect(calls.find((c) => c.cmd === "sales.cancel_hold")).toBeUndefined();
    await waitFor(() => expect(screen.getByTestId("till-total").textContent).toBe("9.00"));
    fireEvent.click(screen.getByTestId("till-pay"));
    fireEvent.click(await screen.findByTestId("tender-add-cash"));
    fireEvent.click(screen.getByTestId("tender-pay"));
    await screen.findByTestId("till-receipt");
    expect(calls.find((c) => c.cmd === "sales.checkout")?.args).toMatchObject({
      held_cart_id: 3,
      held_cart_version: 1,
      expected_total_minor: 900,
      lines: [{ product_id: 2, quantity: 3 }],
      payments: [{ tender: "cash", amount_minor: 900 }],
    });
  });

  /** A fake core that finds customer `ana` (id 5), with no loyalty points or rewards. */
  const anaCore = (ana: Record<string, unknown>) => ({
    "catalog.search": search,
    "sales.quote": quoteOf,
    "customers.search": () => [ana],
    "loyalty.balance": () => ({ customer_id: 5, points: 0, point_value_minor: 1, value_minor: 0, movements: [], open_claims: [] }),
    "loyalty.rewards": () => ({ rewards: [] }),
  });

  /** Bread in the cart, customer 5 attached, then Pay: the payment screen is open. */
  async function breadForAnaThenPay() {
    await scan(BREAD.barcode);
    fireEvent.input(await screen.findByTestId("till-customer-search"), { target: { value: "an" } });
    fireEvent.click(await screen.findByTestId("till-customer-hit-5"));
    await screen.findByTestId("till-customer");
    await waitFor(() => expect(screen.getByTestId("till-pay").hasAttribute("disabled")).toBe(false));
    fireEvent.click(screen.getByTestId("till-pay"));
  }

  it("the payment screen shows the customer's store credit and what they owe", async () => {
    signIn("cashier");
    const ana = { id: 5, name: "Ana Lima", phone: null, email: null, tax_id: null, notes: "", credit_limit_minor: 5000, credit_mode: "block", balance_minor: 1250, store_credit_minor: 700, archived: false, version: 1, created_at_ms: 0 };
    fakeCore({
      ...anaCore(ana),
    });
    render(() => <Till />);
    await breadForAnaThenPay();
    expect((await screen.findByTestId("tender-store-credit")).textContent).toBe("store credit 7.00");
    expect(screen.getByTestId("tender-account").textContent).toBe("owes 12.50 of a 50.00 limit");
  });

  it("over a blocking credit limit asks for a manager and pays again with the same key", async () => {
    signIn("cashier");
    const ana = { id: 5, name: "Ana Lima", phone: null, email: null, tax_id: null, notes: "", credit_limit_minor: 0, credit_mode: "block", balance_minor: 0, store_credit_minor: 0, archived: false, version: 1, created_at_ms: 0 };
    let n = 0;
    const { calls } = fakeCore({
      ...anaCore(ana),
      "sales.checkout": (a) => {
        n++;
        if (n === 1) throw new CoreError("credit_limit", "over the credit limit of Ana Lima", {});
        return { ...orderOf(a), customer_id: 5 };
      },
      "settings.get": () => ({ settings: { receipt_footer: "" }, version: 1 }),
    });
    render(() => (
      <>
        <ErrorBanner />
        <Till />
      </>
    ));
    await breadForAnaThenPay();
    fireEvent.click(await screen.findByTestId("tender-add-on_account"));
    fireEvent.click(screen.getByTestId("tender-pay"));
    await screen.findByTestId("tender-approval");
    expect(screen.getByTestId("error-code").textContent).toBe("credit_limit");
    fireEvent.input(screen.getByTestId("tender-approver-username"), { target: { value: "mara" } });
    fireEvent.input(screen.getByTestId("tender-approver-password"), { target: { value: "mara's secret" } });
    fireEvent.click(screen.getByTestId("tender-pay"));
    await screen.findByTestId("till-receipt");
    const sent = calls.filter((c) => c.cmd === "sales.checkout");
    expect(sent).toHaveLength(2);
    expect(sent[0].args.approver).toBeNull();
    expect(sent[1].args).toMatchObject({ customer_id: 5, approver: { username: "mara", password: "mara's secret" }, payments: [{ tender: "on_account", amount_minor: 300 }] });
    expect(sent[1].args.idempotency_key).toBe(sent[0].args.idempotency_key);
    expect(till.approval.password).toBe("");
  });
});

describe("Till: a loyalty reward", () => {
  const ana = { id: 5, name: "Ana Lima", phone: null, email: null, tax_id: null, notes: "", credit_limit_minor: 0, credit_mode: "block", balance_minor: 0, store_credit_minor: 0, archived: false, version: 1, created_at_ms: 0 };
  const reward = (id: number, name: string, grant: Record<string, unknown>, points_cost: number) => ({
    id, name, points_cost, grant, valid_from_ms: 0, valid_until_ms: null, stock_limit: null, per_customer_limit: null,
    claimed: 0, remaining: null, archived: false, version: 1, created_at_ms: 0,
  });
  const ONE_OFF = reward(3, "One off", { kind: "amount", amount_minor: 100 }, 50);
  const FREE_MILK = reward(4, "Free milk", { kind: "product", product_id: 1 }, 80);
  const claimOf = (id: number, r: typeof ONE_OFF) => ({
    id, reward_id: r.id, reward_name: r.name, customer_id: 5, points: r.points_cost, grant: r.grant, valid_until_ms: null,
    claimed_at_ms: 0, balance_after: 120 - r.points_cost, redeemed_order_id: null,
  });

  /** The fake core's quote, with the claim's reward taken off the first line it applies to. */
  function rewardQuote(a: Record<string, unknown>) {
    const q = quoteOf(a) as ReturnType<typeof quoteOf> & { loyalty_claim_id: number | null; reward_discount_minor: number };
    const claimId = (a.loyalty_claim_id as number | undefined) ?? null;
    q.loyalty_claim_id = claimId;
    q.reward_discount_minor = 0;
    if (claimId === 21) {
      // 1.00 off the first line (tax 20 % on the rest), as the core would compute it.
      const l = q.lines[0];
      const net = l.gross_minor - l.discount_minor - 100;
      const tax = Math.round(net / 5);
      q.discount_minor += 100;
      q.net_minor += net - l.net_minor;
      q.tax_minor += tax - l.tax_minor;
      q.total_minor += net + tax - l.total_minor;
      Object.assign(l, { discount_minor: l.discount_minor + 100, reward_discount_minor: 100, net_minor: net, tax_minor: tax, total_minor: net + tax });
      q.reward_discount_minor = 100;
    }
    if (claimId === 22 && !q.lines.some((l) => l.product_id === 1)) {
      throw new CoreError("validation", "loyalty_claim_id: Free milk is one free unit of product 1: add it to the cart", { field: "loyalty_claim_id" });
    }
    if (claimId === 22) {
      const i = q.lines.findIndex((l) => l.product_id === 1);
      const l = q.lines[i];
      const free = l.unit_price_minor;
      const net = l.net_minor - free;
      const tax = Math.round(net / 5);
      q.discount_minor += free;
      q.net_minor -= free;
      q.tax_minor += tax - l.tax_minor;
      q.total_minor += net + tax - l.total_minor;
      Object.assign(l, { discount_minor: l.discount_minor + free, reward_discount_minor: free, net_minor: net, tax_minor: tax, total_minor: net + tax });
      q.reward_discount_minor = free;
    }
    return q;
  }

  function loyaltyCore(extra: Parameters<typeof fakeCore>[0] = {}) {
    let points = 120;
    return fakeCore({
      "catalog.search": search,
      "customers.search": () => [ana],
      "sales.quote": rewardQuote,
      "loyalty.rewards": () => ({ rewards: [ONE_OFF, FREE_MILK] }),
      "loyalty.balance": () => ({ customer_id: 5, points, point_value_minor: 1, value_minor: points, movements: [], open_claims: [] }),
      "loyalty.claim": (a) => {
        const r = a.reward_id === 3 ? ONE_OFF : FREE_MILK;
        points -= r.points_cost;
        return claimOf(r === ONE_OFF ? 21 : 22, r);
      },
      "sales.checkout": (a) => {
        const q = rewardQuote(a);
        points += 3;
        return { ...orderOf(a), customer_id: 5, discount_minor: q.discount_minor, net_minor: q.net_minor, tax_minor: q.tax_minor, total_minor: q.total_minor,
          lines: q.lines.map((l) => ({ ...l, id: 10 + l.line_no, cost_minor: 0, batches: [] })) };
      },
      "settings.get": () => ({ settings: { receipt_footer: "" }, version: 1 }),
      ...extra,
    });
  }

  async function attachAna() {
    fireEvent.input(await screen.findByTestId("till-customer-search"), { target: { value: "an" } });
    fireEvent.click(await screen.findByTestId("till-customer-hit-5"));
    await screen.findByTestId("till-customer");
    await waitFor(() => expect(screen.getByTestId("till-loyalty-balance").getAttribute("data-points")).toBe("120"));
  }

  beforeEach(() => {
    tender.close();
    setTill({
      view: "cart", query: "", hits: [], lines: [], names: {}, discountText: {}, lineErrors: {}, customer: null, customerQuery: "",
      customerHits: [], quote: null, quoting: false, tenderRows: [], tenderErrors: {}, receipt: null, heldOpen: false, held: [],
      heldNext: null, parkOpen: false, parkLabel: "", notice: null, recalled: null,
      approval: { needed: false, username: "", password: "" }, claim: null, claimError: null, receiptReward: null, receiptPoints: null,
    });
  });

  it("a claim at the till is sent with every quote and the checkout, shown as the reward line and on the receipt, and cleared by New sale", async () => {
    signIn("cashier");
    const { calls } = loyaltyCore();
    render(() => (
      <>
        <ErrorBanner />
        <Till />
      </>
    ));
    await scan(BREAD.barcode);
    await attachAna();
    await waitFor(() => expect(screen.getByTestId("till-total").textContent).toBe("3.00"));
    expect(screen.queryByTestId("till-reward")).toBeNull();

    fireEvent.click(screen.getByTestId("till-loyalty-claim-3"));
    await screen.findByTestId("till-reward");
    expect(screen.getByTestId("till-reward").textContent).toBe("incl. Reward: One off");
    expect(screen.getByTestId("till-reward").getAttribute("data-claim-id")).toBe("21");
    // The reward line and the new total are the quote's.
    await waitFor(() => expect(screen.getByTestId("till-reward-amount").textContent).toBe("-1.00"));
    expect(screen.getByTestId("till-total").textContent).toBe("1.80");
    expect(calls.find((c) => c.cmd === "loyalty.claim")!.args).toMatchObject({ customer_id: 5, reward_id: 3 });

    // Every quote after the claim carries it, as the cart changes.
    await scan(MILK.barcode);
    await waitFor(() => expect(screen.getByTestId("cart-qty-MILK-1L").textContent).toBe("1"));
    await waitFor(() => expect(till.quote?.lines).toHaveLength(2));
    const quotes = calls.filter((c) => c.cmd === "sales.quote");
    expect(quotes[quotes.length - 1].args).toMatchObject({ customer_id: 5, loyalty_claim_id: 21 });
    expect(quotes.filter((c) => c.args.loyalty_claim_id === 21).length).toBeGreaterThanOrEqual(2);
    expect(quotes[0].args.loyalty_claim_id).toBeUndefined();

    fireEvent.click(screen.getByTestId("till-pay"));
    fireEvent.click(await screen.findByTestId("tender-add-cash"));
    expect(screen.getByTestId("tender-reward").textContent).toContain("One off -1.00");
    fireEvent.click(screen.getByTestId("tender-pay"));
    await screen.findByTestId("till-receipt");
    const checkout = calls.find((c) => c.cmd === "sales.checkout")!;
    expect(checkout.args).toMatchObject({ customer_id: 5, loyalty_claim_id: 21, expected_total_minor: till.receipt!.total_minor });
    expect(screen.getByTestId("receipt-reward-name").textContent).toBe("incl. Reward: One off");
    expect(screen.getByTestId("receipt-reward").textContent).toBe("-1.00");
    expect(screen.getByTestId("receipt-line-reward-1").textContent).toContain("1.00");
    await waitFor(() => expect(screen.getByTestId("receipt-points").textContent).toBe("Points balance: 73"));
    expect(screen.queryByTestId("error-banner")).toBeNull();

    // New sale: the claim is gone from the cart; the next quote goes without it.
    fireEvent.click(screen.getByTestId("receipt-new-sale"));
    await screen.findByTestId("till-search");
    expect(till.claim).toBeNull();
    expect(screen.queryByTestId("till-reward")).toBeNull();
    await scan(BREAD.barcode);
    await waitFor(() => expect(screen.getByTestId("till-total").textContent).toBe("3.00"));
    const last = calls.filter((c) => c.cmd === "sales.quote").pop()!;
    expect(last.args.loyalty_claim_id).toBeUndefined();
    expect(last.args.customer_id).toBeNull();
  });

  it("a free-product reward without its product shows the core's message until the product is in the cart; removing the customer drops the claim", async () => {
    signIn("cashier");
    const { calls } = loyaltyCore();
    render(() => (
      <>
        <ErrorBanner />
        <Till />
      </>
    ));
    await scan(BREAD.barcode);
    await attachAna();
    fireEvent.click(screen.getByTestId("till-loyalty-claim-4"));
    const err = await screen.findByTestId("till-reward-error");
    expect(err.textContent).toBe("Free milk is one free unit of product 1: add it to the cart");
    expect(err.getAttribute("data-field")).toBe("loyalty_claim_id");
    // No quote of this cart with the reward: nothing to pay yet.
    expect(screen.getByTestId("till-pay").hasAttribute("disabled")).toBe(true);
    expect(screen.getByTestId("till-total").textContent).toBe("—");

    await scan(MILK.barcode);
    await waitFor(() => expect(screen.queryByTestId("till-reward-error")).toBeNull());
    await waitFor(() => expect(screen.getByTestId("till-reward-amount").textContent).toBe("-1.29"));
    // Bread 2.50 + milk free, 20 % tax.
    expect(screen.getByTestId("till-total").textContent).toBe("3.00");

    // The customer leaves the sale: the claim goes with her (it stays claimed for another visit).
    fireEvent.click(screen.getByTestId("till-customer-remove"));
    await waitFor(() => expect(screen.queryByTestId("till-reward")).toBeNull());
    await waitFor(() => expect(screen.getByTestId("till-total").textContent).toBe("4.55"));
    const last = calls.filter((c) => c.cmd === "sales.quote").pop()!;
    expect(last.args.loyalty_claim_id).toBeUndefined();
    expect(till.claim).toBeNull();
  });

  it("an open claim can be applied, and the reward taken off again", async () => {
    signIn("cashier");
    const open = claimOf(21, ONE_OFF);
    const { calls } = loyaltyCore({
      "loyalty.balance": () => ({ customer_id: 5, points: 120, point_value_minor: 1, value_minor: 120, movements: [], open_claims: [open] }),
    });
    render(() => <Till />);
    await scan(BREAD.barcode);
    await attachAna();
    fireEvent.click(await screen.findByTestId("till-loyalty-apply-21"));
    await waitFor(() => expect(screen.getByTestId("till-reward-amount").textContent).toBe("-1.00"));
    expect(calls.some((c) => c.cmd === "loyalty.claim")).toBe(false);
    // Applied: the panel says so instead of offering it again.
    expect(screen.getByTestId("till-loyalty-applied-21").textContent).toContain("applied to this sale");
    expect(screen.queryByTestId("till-loyalty-apply-21")).toBeNull();
    fireEvent.click(screen.getByTestId("till-reward-remove"));
    await waitFor(() => expect(screen.getByTestId("till-total").textContent).toBe("3.00"));
    expect(screen.queryByTestId("till-reward")).toBeNull();
    expect(screen.getByTestId("till-loyalty-apply-21")).toBeTruthy();
    expect(calls.filter((c) => c.cmd === "sales.quote").pop()!.args.loyalty_claim_id).toBeUndefined();
  });
});

describe("Orders screen", () => {
  beforeEach(() => {
    setOrders({ rows: [], nextBeforeId: null, loading: false, lookup: "", selected: null, refunds: [], names: {}, refundOpen: false, notice: null });
    refundForm.reset();
  });

  const order = orderOf({ lines: [{ product_id: 1, quantity: 2 }, { product_id: 2, quantity: 1 }], payments: [{ tender: "cash", amount_minor: 1000 }] });
  const summary = { id: 7, number: 7, receipt_number: 107, status: "confirmed", customer_id: null, cashier_id: 1, line_count: 2, total_minor: order.total_minor, created_at_ms: 0 };

  function ordersCore(refund?: (a: Record<string, unknown>) => unknown) {
    return fakeCore({
      "sales.list": () => ({ orders: [summary], next_before_id: null }),
      "sales.get": () => order,
      "sales.refunds": () => ({ refunds: [] }),
      "catalog.get_product": (a) => (a.id === 1 ? MILK : BREAD),
      "sales.refund": refund ?? (() => ({})),
    });
  }

  it("shows Refund to a cashier; the manager's approval sends the same refund once more (T39)", async () => {
    signIn("cashier");
    const { calls } = ordersCore((a) => {
      if (!a.approval) throw new CoreError("forbidden", "your role may not refund a sale", { needs: ["sales.refund"], approvable: true });
      return {
        id: 1, number: 1, order_id: 7, refund_to: a.refund_to, customer_id: null, reason: a.reason, net_minor: 250, tax_minor: 50, total_minor: 300, restocked_cost_minor: 0, entry_id: 2, created_by: 2, created_at_ms: 0, lines: [],
        payments: [{ tender: "cash", amount_minor: 300, customer_id: null }],
        hand_back: [{ action: "give_cash", amount_minor: 300 }],
      };
    });
    render(() => (
      <>
        <Orders />
        <ApprovalDialog />
      </>
    ));
    fireEvent.click(await screen.findByTestId("order-open-7"));
    await screen.findByTestId("order-detail");
    expect(screen.getByTestId("receipt-line-1").textContent).toContain("Milk 1 l");
    fireEvent.click(screen.getByTestId("order-refund"));
    fireEvent.input(await screen.findByTestId("refund-qty-12"), { target: { value: "1" } });
    fireEvent.input(screen.getByTestId("refund-reason"), { target: { value: "leaking" } });
    fireEvent.submit(screen.getByTestId("refund-form"));
    expect((await screen.findByTestId("approval-reason")).textContent).toContain("refund a sale");
    fireEvent.input(screen.getByTestId("approval-username"), { target: { value: "mara" } });
    fireEvent.input(screen.getByTestId("approval-secret"), { target: { value: "1357" } });
    fireEvent.submit(screen.getByTestId("approval-form"));
    await waitFor(() => expect(screen.getByTestId("orders-notice").textContent).toBe("Refund #1: Give 3.00 cash."));
    const refunds = calls.filter((c) => c.cmd === "sales.refund");
    expect(refunds).toHaveLength(2);
    expect(refunds[0].args.approval ?? null).toBeNull();
    expect(refunds[1].args.approval).toEqual({ username: "mara", pin: "1357" });
    expect(refunds[0].args.idempotency_key).toBe(refunds[1].args.idempotency_key);
  });

  it("finds an order by receipt number and refunds one line; an error on a line shows beside it", async () => {
    signIn("manager");
    let n = 0;
    const { calls } = ordersCore((a) => {
      n++;
      if (n === 1) throw new CoreError("validation", "lines[0].quantity: only 1 left to refund", { field: "lines[0].quantity" });
      return {
        id: 1, number: 1, order_id: 7, refund_to: a.refund_to, customer_id: null, reason: a.reason, net_minor: 250, tax_minor: 50, total_minor: 300, restocked_cost_minor: 0, entry_id: 2, created_by: 1, created_at_ms: 0, lines: [],
        payments: [{ tender: "card", amount_minor: 180, customer_id: null }, { tender: "cash", amount_minor: 120, customer_id: null }],
        hand_back: [{ action: "give_cash", amount_minor: 120 }, { action: "refund_to_card", amount_minor: 180 }],
      };
    });
    render(() => (
      <>
        <ErrorBanner />
        <Orders />
      </>
    ));
    fireEvent.input(await screen.findByTestId("orders-lookup"), { target: { value: "107" } });
    fireEvent.submit(screen.getByTestId("orders-lookup-form"));
    await screen.findByTestId("order-detail");
    expect(orders.selected?.id).toBe(7);
    expect(calls.find((c) => c.cmd === "sales.list" && c.args.receipt_number !== undefined)?.args).toEqual({ receipt_number: 107, limit: 1 });
    fireEvent.click(screen.getByTestId("order-refund"));
    fireEvent.input(await screen.findByTestId("refund-qty-12"), { target: { value: "2" } });
    fireEvent.input(screen.getByTestId("refund-reason"), { target: { value: "stale" } });
    fireEvent.submit(screen.getByTestId("refund-form"));
    expect((await screen.findByTestId("field-error-qty-12")).textContent).toBe("only 1 left to refund");
    fireEvent.input(screen.getByTestId("refund-qty-12"), { target: { value: "1" } });
    fireEvent.submit(screen.getByTestId("refund-form"));
    await screen.findByTestId("orders-notice");
    const refunds = calls.filter((c) => c.cmd === "sales.refund");
    expect(refunds).toHaveLength(2);
    expect(refunds[1].args).toMatchObject({ order_id: 7, lines: [{ order_line_id: 12, quantity: 1, stock: "restock" }], refund_to: "original", reason: "stale" });
    expect(refunds[0].args.idempotency_key).toBe(refunds[1].args.idempotency_key);
    // The screen says what to hand back per tender, and shows the refund slip.
    expect(screen.getByTestId("orders-notice").textContent).toBe("Refund #1: Give 1.20 cash, refund 1.80 to the card.");
    expect(screen.getByTestId("refund-hand-back").textContent).toBe("Give 1.20 cash, refund 1.80 to the card.");
    expect(screen.getByTestId("refund-slip-total").textContent).toBe("3.00");
    expect(screen.getByTestId("refund-slip-give_cash").textContent).toContain("1.20");
    expect(screen.queryByTestId("error-banner")).toBeNull();
  });

  it("shows each order's status and updates it from the server after a refund", async () => {
    signIn("manager");
    let status = "confirmed";
    fakeCore({
      "sales.list": () => ({ orders: [{ ...summary, status }], next_before_id: null }),
      "sales.get": () => ({ ...order, status }),
      "sales.refunds": () => ({ refunds: [] }),
      "catalog.get_product": (a) => (a.id === 1 ? MILK : BREAD),
      "sales.refund": (a) => {
        status = "partly_refunded";
        return { id: 1, number: 1, order_id: 7, refund_to: a.refund_to, customer_id: null, reason: a.reason, net_minor: 250, tax_minor: 50, total_minor: 300, restocked_cost_minor: 0, entry_id: 2, created_by: 1, created_at_ms: 0, lines: [], payments: [], hand_back: [] };
      },
    });
    render(() => <Orders />);
    expect((await screen.findByTestId("order-status-7")).textContent).toBe("Sold");
    fireEvent.click(screen.getByTestId("order-open-7"));
    await screen.findByTestId("order-detail");
    fireEvent.click(screen.getByTestId("order-refund"));
    fireEvent.input(await screen.findByTestId("refund-qty-12"), { target: { value: "1" } });
    fireEvent.input(screen.getByTestId("refund-reason"), { target: { value: "dented" } });
    fireEvent.submit(screen.getByTestId("refund-form"));
    await screen.findByTestId("orders-notice");
    await waitFor(() => expect(screen.getByTestId("order-status-7").textContent).toBe("Partly refunded"));
    expect(statusLabel("refunded")).toBe("Refunded");
    expect(statusLabel("voided")).toBe("Voided");
  });

  it("counts what each line has had refunded", () => {
    const r = (lines: { order_line_id: number; quantity: number }[]) => ({ lines }) as never;
    expect(refundedByLine([r([{ order_line_id: 1, quantity: 1 }]), r([{ order_line_id: 1, quantity: 2 }, { order_line_id: 2, quantity: 1 }])])).toEqual({ 1: 3, 2: 1 });
  });
});
