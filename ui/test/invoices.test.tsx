import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it } from "vitest";
import { ErrorBanner } from "../src/components/ErrorBanner";
import { inv, Invoices, paymentArgs } from "../src/screens/Invoices";
import { setApp } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

function signInAsOwner() {
  setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES, shop: SHOP });
}

const ANA = {
  id: 7, name: "Ana Lima", phone: null, email: null, tax_id: null, notes: "", credit_limit_minor: 100000, credit_mode: "block",
  balance_minor: 4500, store_credit_minor: 0, archived: false, version: 2, created_at_ms: 0,
};

const summary = (over: Record<string, unknown>) => ({
  id: 1, number: 1, customer_id: 7, customer_name: "Ana Lima", order_count: 1, total_minor: 3000, issued_at_ms: 0, due_on: "2026-12-23",
  allocated_minor: 0, credited_minor: 0, outstanding_minor: 3000, status: "open", days_past_due: 0, ...over,
});

const invoiceView = (over: Record<string, unknown>) => ({
  ...summary(over), created_by: 1,
  orders: [{ order_id: 41, order_number: 12, order_created_at_ms: 0, on_account_minor: 3000, refunded_before_minor: 0, amount_minor: 3000, refunded_after_minor: 0 }],
  allocations: [],
});

async function pickAna() {
  fireEvent.input(await screen.findByTestId("inv-customer-search"), { target: { value: "an" } });
  fireEvent.click(await screen.findByTestId("inv-customer-pick-7"));
  expect((await screen.findByTestId("inv-customer-name")).textContent).toBe("Ana Lima");
}

describe("Invoices", () => {
  it("invoices the ticked on-account orders with one key per attempt, reused on retry", async () => {
    signInAsOwner();
    let creates = 0;
    const { calls } = fakeCore({
      "customers.search": () => [ANA],
      "invoices.list": () => ({ invoices: [], next_before_id: null }),
      "settings.get": () => ({ settings: { invoice_terms_days: 14 }, version: 1 }),
      "invoices.invoiceable": () => ({
        orders: [
          { order_id: 42, order_number: 13, created_at_ms: 0, on_account_minor: 1500, refunded_minor: 0, amount_minor: 1500 },
          { order_id: 41, order_number: 12, created_at_ms: 0, on_account_minor: 3000, refunded_minor: 0, amount_minor: 3000 },
        ],
        next_before_id: null,
      }),
      "invoices.create": () => {
        creates++;
        if (creates === 1) throw new CoreError("busy", "the database was busy");
        return invoiceView({ number: 5 });
      },
    });
    render(() => (
      <>
        <ErrorBanner />
        <Invoices />
      </>
    ));
    await pickAna();
    fireEvent.click(screen.getByTestId("inv-tab-create"));
    const check13 = (await screen.findByTestId("invoiceable-check-13")) as HTMLInputElement;
    expect(check13.checked).toBe(true); // everything invoiceable is ticked at first
    // Due date defaults from the terms when the settings are readable.
    await waitFor(() => expect((screen.getByTestId("invoice-due_date") as HTMLInputElement).value).toMatch(/^\d{4}-\d{2}-\d{2}$/));
    fireEvent.click(check13);
    expect(screen.getByTestId("invoice-create").textContent).toContain("1 order");

    fireEvent.click(screen.getByTestId("invoice-create"));
    expect((await screen.findByTestId("error-banner")).getAttribute("data-code")).toBe("busy");
    fireEvent.click(screen.getByTestId("invoice-create"));
    expect((await screen.findByTestId("invoice-created")).getAttribute("data-number")).toBe("5");
    // The invoice opens as a printable document.
    expect(await screen.findByTestId("invoice-doc")).toBeTruthy();
    expect(screen.getByTestId("invoice-doc-total").textContent).toBe("30.00");

    const made = calls.filter((c) => c.cmd === "invoices.create");
    expect(made).toHaveLength(2);
    expect(made[0].args).toMatchObject({ customer_id: 7, order_ids: [41] });
    expect(made[0].args.due_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(made[1].args.idempotency_key).toBe(made[0].args.idempotency_key);
    expect(made[0].args).not.toHaveProperty("total_minor");
  });

  it("disables Create while the invoice is in flight (a double click makes one)", async () => {
    signInAsOwner();
    let release: (v: unknown) => void = () => {};
    const { calls } = fakeCore({
      "customers.search": () => [ANA],
      "invoices.list": () => ({ invoices: [], next_before_id: null }),
      "settings.get": () => ({ settings: { invoice_terms_days: 30 }, version: 1 }),
      "invoices.invoiceable": () => ({
        orders: [{ order_id: 41, order_number: 12, created_at_ms: 0, on_account_minor: 3000, refunded_minor: 0, amount_minor: 3000 }],
        next_before_id: null,
      }),
      "invoices.create": () => new Promise((r) => (release = () => r(invoiceView({})))),
    });
    render(() => <Invoices />);
    await pickAna();
    fireEvent.click(screen.getByTestId("inv-tab-create"));
    await screen.findByTestId("invoiceable-check-12");
    const btn = screen.getByTestId("invoice-create") as HTMLButtonElement;
    fireEvent.click(btn);
    fireEvent.click(btn);
    await waitFor(() => expect(btn.disabled).toBe(true));
    release(null);
    await screen.findByTestId("invoice-created");
    expect(calls.filter((c) => c.cmd === "invoices.create")).toHaveLength(1);
  });

  it("receives a payment allocated per invoice as chosen and shows the allocation", async () => {
    signInAsOwner();
    const inv1 = summary({ id: 1, number: 1, due_on: "2026-10-01", outstanding_minor: 3000, status: "overdue", days_past_due: 10 });
    const inv2 = summary({ id: 2, number: 2, due_on: "2026-12-01", outstanding_minor: 1500 });
    const paid = summary({ id: 3, number: 3, outstanding_minor: 0, status: "paid" });
    const { calls } = fakeCore({
      "customers.search": () => [ANA],
      "invoices.list": (a) => ({ invoices: [paid, inv2, inv1].filter((i) => !a.status || i.status === a.status), next_before_id: null }),
      "customers.payments": () => ({ payments: [], next_before_id: null }),
      "customers.receive_payment": (a) => ({
        id: 9, number: 4, customer_id: 7, amount_minor: a.amount_minor, tender: a.tender, reference: a.reference ?? null, entry_id: 30,
        received_at_ms: 0, user_id: 1, allocated_minor: 1500, unallocated_minor: 500,
        allocations: [{ id: 1, payment_id: 9, payment_number: 4, invoice_id: 2, invoice_number: 2, amount_minor: 1500, allocated_at_ms: 0 }],
      }),
    });
    render(() => <Invoices />);
    await pickAna();
    fireEvent.click(screen.getByTestId("inv-tab-pay"));
    // Only invoices with something outstanding, oldest due first.
    await screen.findByTestId("pay-invoice-1");
    expect(screen.queryByTestId("pay-invoice-3")).toBeNull();
    const rows = screen.getByTestId("pay-outstanding").querySelectorAll("tbody tr");
    expect(Array.from(rows, (r) => r.getAttribute("data-testid"))).toEqual(["pay-invoice-1", "pay-invoice-2"]);

    fireEvent.input(screen.getByTestId("pay-amount"), { target: { value: "20.00" } });
    fireEvent.change(screen.getByTestId("pay-tender"), { target: { value: "bank" } });
    fireEvent.input(screen.getByTestId("pay-reference"), { target: { value: "TRF 889" } });
    fireEvent.change(screen.getByTestId("pay-mode"), { target: { value: "choose" } });
    fireEvent.input(await screen.findByTestId("pay-alloc-2"), { target: { value: "15.00" } });
    fireEvent.submit(screen.getByTestId("pay-form"));

    const result = await screen.findByTestId("pay-result");
    expect(result.getAttribute("data-unallocated")).toBe("500");
    expect(screen.getByTestId("pay-result-alloc-2").getAttribute("data-amount")).toBe("1500");
    expect(screen.getByTestId("pay-result-unallocated").textContent).toBe("5.00");
    const sent = calls.find((c) => c.cmd === "customers.receive_payment")!.args;
    expect(sent).toMatchObject({ customer_id: 7, amount_minor: 2000, tender: "bank", reference: "TRF 889", allocations: [{ invoice_id: 2, amount_minor: 1500 }] });
    expect(String(sent.idempotency_key)).toMatch(/^ui-/);
    // The outstanding invoices come filtered by status from the core (T27), never a paid one.
    const statuses = calls.filter((c) => c.cmd === "invoices.list" && c.args.customer_id === 7 && c.args.status).map((c) => c.args.status);
    expect(statuses).not.toContain("paid");
    expect(new Set(statuses)).toEqual(new Set(["overdue", "partially_paid", "open"]));
    // The form is ready for the next payment.
    await waitFor(() => expect((screen.getByTestId("pay-amount") as HTMLInputElement).value).toBe(""));
  });

  it("names the invoice, not the index, when the core refuses one allocation; a retry reuses the key", async () => {
    signInAsOwner();
    const inv2 = summary({ id: 2, number: 2, outstanding_minor: 1500 });
    let n = 0;
    const { calls } = fakeCore({
      "customers.search": () => [ANA],
      "invoices.list": (a) => ({ invoices: [inv2].filter((i) => !a.status || i.status === a.status), next_before_id: null }),
      "customers.payments": () => ({ payments: [], next_before_id: null }),
      "customers.receive_payment": () => {
        n++;
        throw new CoreError("validation", "allocations[0].amount_minor: more than the invoice's outstanding 1500", { field: "allocations[0].amount_minor" });
      },
    });
    render(() => (
      <>
        <ErrorBanner />
        <Invoices />
      </>
    ));
    await pickAna();
    fireEvent.click(screen.getByTestId("inv-tab-pay"));
    fireEvent.input(await screen.findByTestId("pay-amount"), { target: { value: "20" } });
    fireEvent.change(screen.getByTestId("pay-mode"), { target: { value: "choose" } });
    fireEvent.input(await screen.findByTestId("pay-alloc-2"), { target: { value: "20" } });
    fireEvent.submit(screen.getByTestId("pay-form"));
    expect((await screen.findByTestId("error-message")).textContent).toContain("invoice #2: allocations[0].amount_minor");
    // What was typed stays; the retry is the same attempt.
    expect((screen.getByTestId("pay-alloc-2") as HTMLInputElement).value).toBe("20");
    fireEvent.submit(screen.getByTestId("pay-form"));
    await waitFor(() => expect(n).toBe(2));
    const keys = calls.filter((c) => c.cmd === "customers.receive_payment").map((c) => c.args.idempotency_key);
    expect(keys[0]).toBe(keys[1]);
  });

  it("lists invoices with their computed status, filters by status in the core and pages with More", async () => {
    signInAsOwner();
    const { calls } = fakeCore({
      "invoices.list": (a) =>
        a.before_id
          ? { invoices: [summary({ id: 1, number: 1, status: "overdue", days_past_due: 4 })], next_before_id: null }
          : { invoices: [summary({ id: 2, number: 2, status: "paid", outstanding_minor: 0, allocated_minor: 3000 })], next_before_id: 2 },
      "invoices.get": () => invoiceView({ id: 2, number: 2, status: "paid", outstanding_minor: 0, allocated_minor: 3000 }),
    });
    render(() => <Invoices />);
    expect((await screen.findByTestId("invoice-status-2")).getAttribute("data-status")).toBe("paid");
    expect(screen.getByTestId("invoice-outstanding-2").textContent).toBe("0.00");
    fireEvent.click(screen.getByTestId("invoice-list-more"));
    expect((await screen.findByTestId("invoice-status-1")).getAttribute("data-status")).toBe("overdue");
    expect(screen.queryByTestId("invoice-list-more")).toBeNull();
    expect(calls.filter((c) => c.cmd === "invoices.list").at(-1)!.args).toMatchObject({ before_id: 2 });
    fireEvent.change(screen.getByTestId("inv-status"), { target: { value: "overdue" } });
    await waitFor(() => expect(calls.filter((c) => c.cmd === "invoices.list").at(-1)!.args).toMatchObject({ status: "overdue", before_id: null }));
    fireEvent.click(await screen.findByTestId("invoice-open-2"));
    expect((await screen.findByTestId("invoice-doc")).getAttribute("data-status")).toBe("paid");
  });

  it("leaves allocations out for oldest-first and names a bad amount beside the field", async () => {
    signInAsOwner();
    expect(paymentArgs(7, { amount: "12.5", tender: "cash", reference: " ", mode: "oldest" }, { "1": "3" })).toEqual({
      customer_id: 7, amount_minor: 1250, tender: "cash",
    });
    expect(paymentArgs(7, { amount: "1", tender: "card", reference: "", mode: "choose" }, {})).toMatchObject({ allocations: [] });
    const { calls } = fakeCore({
      "customers.search": () => [ANA],
      "invoices.list": () => ({ invoices: [], next_before_id: null }),
      "customers.payments": () => ({ payments: [], next_before_id: null }),
    });
    render(() => <Invoices />);
    await pickAna();
    fireEvent.click(screen.getByTestId("inv-tab-pay"));
    fireEvent.input(await screen.findByTestId("pay-amount"), { target: { value: "12.345" } });
    fireEvent.submit(screen.getByTestId("pay-form"));
    await screen.findByTestId("field-error-amount");
    expect(calls.some((c) => c.cmd === "customers.receive_payment")).toBe(false);
  });

  it("shows the statement with its running balance and the aging table with totals", async () => {
    signInAsOwner();
    const { calls } = fakeCore({
      "customers.search": () => [ANA],
      "invoices.list": () => ({ invoices: [], next_before_id: null }),
      "customers.statement": () => ({
        customer_id: 7, customer_name: "Ana Lima", opening_balance_minor: 0,
        lines: [
          { entry_id: 10, posted_at_ms: 0, kind: "sale", source_id: 41, document_number: 12, invoice_number: 1, memo: "sale 12", debit_minor: 3000, credit_minor: 0, balance_minor: 3000 },
          { entry_id: 11, posted_at_ms: 1, kind: "payment", source_id: 9, document_number: 4, invoice_number: null, memo: "payment 4", debit_minor: 0, credit_minor: 2000, balance_minor: 1000 },
        ],
        closing_balance_minor: 1000, balance_minor: 1000, unallocated_credit_minor: 0, next_after_entry_id: null,
      }),
      "invoices.aging": () => ({
        as_of: "2026-11-23",
        customers: [{ customer_id: 7, customer_name: "Ana Lima", current_minor: 0, days_1_30_minor: 1000, days_31_60_minor: 0, days_61_90_minor: 0, over_90_minor: 0, total_minor: 1000, invoice_count: 1 }],
        totals: { current_minor: 0, days_1_30_minor: 1000, days_31_60_minor: 0, days_61_90_minor: 0, over_90_minor: 0, total_minor: 1000, invoice_count: 1 },
        next_after_customer_id: null,
      }),
    });
    render(() => <Invoices />);
    await pickAna();
    fireEvent.click(screen.getByTestId("inv-tab-statement"));
    expect((await screen.findByTestId("statement-line-11")).getAttribute("data-kind")).toBe("payment");
    expect(screen.getByTestId("statement-closing").textContent).toBe("10.00");
    expect(calls.find((c) => c.cmd === "customers.statement")!.args).toMatchObject({ customer_id: 7 });

    fireEvent.click(screen.getByTestId("inv-tab-aging"));
    expect((await screen.findByTestId("aging-row-7")).getAttribute("data-total")).toBe("1000");
    expect(screen.getByTestId("aging-totals").textContent).toContain("10.00");
    expect(inv.aging?.as_of).toBe("2026-11-23");
  });
});
