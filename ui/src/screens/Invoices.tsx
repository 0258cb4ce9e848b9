// Invoices, customer payments, statements and AR aging (docs/API.md "## Invoices").
// Pick a customer, invoice their on-account orders, receive a payment (oldest due
// first, or chosen per invoice), read their statement and the aging table. Every
// amount shown comes from the core; the screen only formats it (money.ts).

import { ShopLines, TaxSummaryTable } from "./TaxSummary";
import { createSignal, For, Match, onMount, Show, Switch } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import {
  call,
  CUSTOMER_PAYMENT_TENDERS,
  INVOICE_STATUSES,
  newIdempotencyKey,
  TillbookError,
  type AgingReport,
  type CustomerPaymentTender,
  type CustomerPaymentView,
  type CustomerStatement,
  type InvoiceAllocationInput,
  type InvoiceableOrder,
  type InvoiceStatus,
  type InvoicePage,
  type InvoiceSummary,
  type InvoiceView,
  type ReceivePaymentRequest,
} from "../api";
import { CustomerPicker, isoDay, showDay, type PickedCustomer } from "../components/AccountsCustomerPicker";
import { Dialog } from "../components/Dialog";
import { SelectField, TextField } from "../components/Field";
import { formatTime, reportError } from "../errors";
import { createForm } from "../forms";
import { fieldError, formatMoney, parseMoney, requireMoney } from "../money";
import { app, can, onSignOut } from "../session";
import "../accounts-loyalty.css";

export type InvoiceTab = "list" | "create" | "pay" | "statement" | "aging";

interface InvoicesState {
  tab: InvoiceTab;
  customer: PickedCustomer | null;
  /** The invoice list (filtered by the picked customer and `status`). */
  list: InvoiceSummary[];
  listNext: number | null;
  status: InvoiceStatus | "";
  /** The customer's invoiceable orders and which are ticked. */
  invoiceable: InvoiceableOrder[];
  selected: number[];
  /** The invoice shown as a document (null = closed). */
  open: InvoiceView | null;
  /** The last invoice created here. */
  created: InvoiceView | null;
  /** Invoices of the picked customer with something outstanding (for choosing an allocation). */
  outstanding: InvoiceSummary[];
  /** The last payment received here. */
  payment: CustomerPaymentView | null;
  /** Payments with credit left to allocate. */
  credits: CustomerPaymentView[];
  statement: CustomerStatement | null;
  aging: AgingReport | null;
  /** Invoice terms from the settings, when the role may read them. */
  termsDays: number | null;
}

const initial = (): InvoicesState => ({
  tab: "list",
  customer: null,
  list: [],
  listNext: null,
  status: "",
  invoiceable: [],
  selected: [],
  open: null,
  created: null,
  outstanding: [],
  payment: null,
  credits: [],
  statement: null,
  aging: null,
  termsDays: null,
});

export const [inv, setInv] = createStore<InvoicesState>(initial());

export const invoiceForm = createForm("invoice", () => ({ due_date: "" }));
export const payForm = createForm("pay", () => ({ amount: "", tender: "cash", reference: "", mode: "oldest" }));
/** Per-invoice amounts typed when allocating by hand, by invoice id. */
export const [allocText, setAllocText] = createStore<Record<string, string>>({});
export const statementForm = createForm("statement", () => ({ from: "" }));
export const agingForm = createForm("aging", () => ({ as_of: "" }));

// One key per attempt: reused when the attempt is retried (or double-clicked), new after a success.
let createKey = newIdempotencyKey();
let payKey = newIdempotencyKey();
const allocKeys = new Map<number, string>();

onSignOut(() => {
  setInv(reconcile(initial()));
  invoiceForm.reset();
  payForm.reset();
  statementForm.reset();
  agingForm.reset();
  setAllocText(reconcile({}));
  createKey = newIdempotencyKey();
  payKey = newIdempotencyKey();
  allocKeys.clear();
});

export const STATUS_LABELS: Record<InvoiceStatus, string> = {
  open: "Open",
  partially_paid: "Partly paid",
  paid: "Paid",
  overdue: "Overdue",
};

const PAGE = 50;

export async function loadInvoices(more = false): Promise<void> {
  try {
    const page = await call("invoices.list", {
      customer_id: inv.customer?.id ?? null,
      status: inv.status === "" ? null : inv.status,
      before_id: more ? inv.listNext : null,
      limit: PAGE,
    });
    setInv({ list: more ? [...inv.list, ...page.invoices] : page.invoices, listNext: page.next_before_id });
  } catch (e) {
    reportError(e);
  }
}

export async function loadInvoiceable(): Promise<void> {
  const c = inv.customer;
  if (!c) return;
  try {
    const page = await call("invoices.invoiceable", { customer_id: c.id, limit: 200 });
    setInv({ invoiceable: page.orders, selected: page.orders.map((o) => o.order_id) });
  } catch (e) {
    reportError(e);
  }
}

async function loadTerms(): Promise<void> {
  if (inv.termsDays !== null || !can("settings.manage")) return;
  try {
    const s = await call("settings.get");
    setInv("termsDays", s.settings.invoice_terms_days);
    if (invoiceForm.values.due_date === "") invoiceForm.setValues("due_date", isoDay(Date.now(), s.settings.invoice_terms_days));
  } catch (e) {
    reportError(e);
  }
}

export async function openInvoice(id: number): Promise<void> {
  try {
    setInv("open", await call("invoices.get", { id }));
  } catch (e) {
    reportError(e);
  }
}

export function toggleOrder(orderId: number, on: boolean): void {
  const rest = inv.selected.filter((id) => id !== orderId);
  setInv("selected", on ? [...rest, orderId] : rest);
}

/** Creates the invoice for the ticked orders. */
export async function createInvoice(): Promise<boolean> {
  const c = inv.customer;
  if (!c) return false;
  const ok = await invoiceForm.submit(
    async () => {
      // Keep the orders in the list's order (newest first) so a retry sends the same request.
      const ids = inv.invoiceable.map((o) => o.order_id).filter((id) => inv.selected.includes(id));
      if (ids.length === 0) throw fieldError("order_ids", "tick at least one order");
      const due = invoiceForm.values.due_date.trim();
      if (due !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(due)) throw fieldError("due_date", "enter a date as YYYY-MM-DD");
      const made = await call("invoices.create", {
        idempotency_key: createKey,
        customer_id: c.id,
        order_ids: ids,
        ...(due !== "" ? { due_date: due } : {}),
      });
      setInv({ created: made, open: made });
    },
    // `order_ids[i]` and `customer_id` name no field of this form: the banner shows them.
  );
  if (ok) {
    createKey = newIdempotencyKey();
    invoiceForm.setValues("due_date", inv.termsDays !== null ? isoDay(Date.now(), inv.termsDays) : "");
    await Promise.all([loadInvoiceable(), loadInvoices()]);
  }
  return ok;
}

/** Every invoice of a customer in one status (filtered by the core), page by page. */
async function allInvoices(customerId: number, status: InvoiceStatus): Promise<InvoiceSummary[]> {
  const out: InvoiceSummary[] = [];
  let before: number | null = null;
  for (let page = 0; page < 25; page++) {
    const p: InvoicePage = await call("invoices.list", { customer_id: customerId, status, before_id: before, limit: 200 });
    out.push(...p.invoices);
    if (p.next_before_id === null) break;
    before = p.next_before_id;
  }
  return out;
}

export async function loadOutstanding(): Promise<void> {
  const c = inv.customer;
  if (!c) return;
  try {
    const [lists, credits] = await Promise.all([
      Promise.all((["overdue", "partially_paid", "open"] as const).map((status) => allInvoices(c.id, status))),
      call("customers.payments", { customer_id: c.id, unallocated_only: true, limit: 50 }),
    ]);
    // Oldest due first, as the core allocates by default.
    const open = lists.flat().filter((i) => i.outstanding_minor > 0).sort((a, b) => (a.due_on < b.due_on ? -1 : a.due_on > b.due_on ? 1 : a.number - b.number));
    setInv({ outstanding: open, credits: credits.payments });
  } catch (e) {
    reportError(e);
  }
}

/** The payment form as `customers.receive_payment` arguments (without the key). */
export function paymentArgs(customerId: number, v: typeof payForm.values, chosen: Record<string, string>): ReceivePaymentRequest {
  const args: ReceivePaymentRequest = {
    customer_id: customerId,
    amount_minor: requireMoney("amount", v.amount),
    tender: v.tender as CustomerPaymentTender,
  };
  const reference = v.reference.trim();
  if (reference !== "") args.reference = reference;
  if (v.mode === "choose") {
    const allocations: InvoiceAllocationInput[] = [];
    for (const [id, text] of Object.entries(chosen)) {
      if (text.trim() === "") continue;
      const amount = parseMoney(text);
      if (amount === null) throw fieldError("amount", `the amount for invoice #${id} is not an amount`);
      if (amount > 0) allocations.push({ invoice_id: Number(id), amount_minor: amount });
    }
    args.allocations = allocations;
  }
  return args;
}

/** `allocations[1].amount_minor: …` -> "invoice #7: …": the person chose invoices, not indexes. */
export function nameInvoice(e: unknown, allocations: readonly InvoiceAllocationInput[]): unknown {
  if (!(e instanceof TillbookError)) return e;
  const m = /^allocations\[(\d+)\]/.exec(e.field ?? "");
  const alloc = m ? allocations[Number(m[1])] : undefined;
  const number = alloc ? inv.outstanding.find((i) => i.id === alloc.invoice_id)?.number : undefined;
  if (number === undefined) return e;
  return new TillbookError(e.code, `invoice #${number}: ${e.message}`, e.details, e.cmd);
}

export async function receivePayment(): Promise<boolean> {
  const c = inv.customer;
  if (!c) return false;
  const ok = await payForm.submit(
    async () => {
      const chosen: Record<string, string> = {};
      for (const i of inv.outstanding) chosen[String(i.id)] = allocText[String(i.id)] ?? "";
      const args = paymentArgs(c.id, payForm.values, chosen);
      try {
        setInv("payment", await call("customers.receive_payment", { idempotency_key: payKey, ...args }));
      } catch (e) {
        throw nameInvoice(e, args.allocations ?? []);
      }
    },
    // `allocations[i].…` (one invoice's amount) goes to the banner, which names it.
    { mapField: (f) => (f === "amount_minor" || f === "allocations" ? "amount" : f) },
  );
  if (ok) {
    payKey = newIdempotencyKey();
    payForm.setValues({ amount: "", reference: "" });
    setAllocText(reconcile({}));
    await Promise.all([loadOutstanding(), loadInvoices()]);
  }
  return ok;
}

/** Allocates what is left of an earlier payment, oldest due first. */
export async function allocateCredit(paymentId: number): Promise<void> {
  const key = allocKeys.get(paymentId) ?? newIdempotencyKey();
  allocKeys.set(paymentId, key);
  try {
    const r = await call("invoices.allocate", { idempotency_key: key, payment_id: paymentId });
    allocKeys.delete(paymentId);
    setInv("payment", r.payment);
    await Promise.all([loadOutstanding(), loadInvoices()]);
  } catch (e) {
    reportError(e);
  }
}

export async function loadStatement(more = false): Promise<void> {
  const c = inv.customer;
  if (!c) return;
  await statementForm.submit(async () => {
    const from = statementForm.values.from.trim();
    let fromMs: number | null = null;
    if (from !== "") {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) throw fieldError("from", "enter a date as YYYY-MM-DD");
      fromMs = Date.parse(`${from}T00:00:00Z`);
    }
    const prev = inv.statement;
    const s = await call("customers.statement", {
      customer_id: c.id,
      from_ms: fromMs,
      after_entry_id: more && prev ? prev.next_after_entry_id : null,
    });
    setInv("statement", more && prev ? { ...s, opening_balance_minor: prev.opening_balance_minor, lines: [...prev.lines, ...s.lines] } : s);
  });
}

export async function loadAging(more = false): Promise<void> {
  await agingForm.submit(
    async () => {
      const asOf = agingForm.values.as_of.trim();
      if (asOf !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw fieldError("as_of", "enter a date as YYYY-MM-DD");
      const prev = inv.aging;
      const r = await call("invoices.aging", {
        as_of: asOf === "" ? null : asOf,
        after_customer_id: more && prev ? prev.next_after_customer_id : null,
        limit: PAGE,
      });
      setInv("aging", more && prev ? { ...r, customers: [...prev.customers, ...r.customers] } : r);
    },
  );
}

function pickCustomer(c: PickedCustomer | null) {
  setInv({ customer: c, invoiceable: [], selected: [], outstanding: [], credits: [], statement: null, payment: null, created: null });
  setAllocText(reconcile({}));
  void loadTab(inv.tab);
}

async function loadTab(tab: InvoiceTab) {
  if (tab === "list") await loadInvoices();
  else if (tab === "create") await Promise.all([loadInvoiceable(), loadTerms()]);
  else if (tab === "pay") await loadOutstanding();
  else if (tab === "statement") await loadStatement();
  else if (tab === "aging") await loadAging();
}

export function showTab(tab: InvoiceTab) {
  setInv("tab", tab);
  void loadTab(tab);
}

function printDoc() {
  window.print();
}

const TABS: { id: InvoiceTab; label: string; needsCustomer: boolean }[] = [
  { id: "list", label: "Invoices", needsCustomer: false },
  { id: "create", label: "New invoice", needsCustomer: true },
  { id: "pay", label: "Receive payment", needsCustomer: true },
  { id: "statement", label: "Statement", needsCustomer: true },
  { id: "aging", label: "AR aging", needsCustomer: false },
];

export function Invoices() {
  onMount(() => void loadTab(inv.tab));
  const tab = () => TABS.find((t) => t.id === inv.tab) ?? TABS[0];
  return (
    <section class="panel" data-testid="invoices">
      <div class="toolbar no-print">
        <h1>Invoices</h1>
        <span class="spacer" />
        <CustomerPicker testid="inv-customer" picked={inv.customer} onPick={pickCustomer} />
      </div>
      <nav class="al-tabs no-print" role="tablist" aria-label="Invoices">
        <For each={TABS}>
          {(t) => (
            <button
              type="button"
              role="tab"
              aria-selected={inv.tab === t.id}
              classList={{ active: inv.tab === t.id }}
              data-testid={`inv-tab-${t.id}`}
              onClick={() => showTab(t.id)}
            >
              {t.label}
            </button>
          )}
        </For>
      </nav>
      <Show when={!tab().needsCustomer || inv.customer} fallback={<p class="muted" data-testid="inv-need-customer">Pick a customer first.</p>}>
        <Switch>
          <Match when={inv.tab === "list"}>
            <InvoiceList />
          </Match>
          <Match when={inv.tab === "create"}>
            <CreateInvoice />
          </Match>
          <Match when={inv.tab === "pay"}>
            <ReceivePayment />
          </Match>
          <Match when={inv.tab === "statement"}>
            <Statement />
          </Match>
          <Match when={inv.tab === "aging"}>
            <Aging />
          </Match>
        </Switch>
      </Show>
      <Show when={inv.open}>
        {(i) => (
          <Dialog title={`Invoice #${i().number}`} testid="invoice-dialog" onClose={() => setInv("open", null)}>
            <InvoiceDocument invoice={i()} />
            <div class="actions no-print">
              <button type="button" onClick={printDoc} data-testid="invoice-print">
                Print
              </button>
            </div>
          </Dialog>
        )}
      </Show>
    </section>
  );
}

function StatusBadge(props: { status: InvoiceStatus; testid?: string }) {
  return (
    <span class={`badge al-status al-status-${props.status}`} data-testid={props.testid} data-status={props.status}>
      {STATUS_LABELS[props.status]}
    </span>
  );
}

function InvoiceList() {
  return (
    <>
      <div class="filters no-print">
        <div class="field">
          <label for="inv-status">Status</label>
          <select
            id="inv-status"
            data-testid="inv-status"
            onChange={(e) => {
              setInv("status", e.currentTarget.value as InvoiceStatus | "");
              void loadInvoices();
            }}
          >
            <option value="" selected={inv.status === ""}>
              Any
            </option>
            <For each={INVOICE_STATUSES}>
              {(s) => (
                <option value={s} selected={inv.status === s}>
                  {STATUS_LABELS[s]}
                </option>
              )}
            </For>
          </select>
        </div>
        <p class="muted">{inv.customer ? `Invoices of ${inv.customer.name}` : "All customers"}</p>
      </div>
      <table class="grid" data-testid="invoice-list">
        <thead>
          <tr>
            <th>Number</th>
            <th>Customer</th>
            <th>Issued</th>
            <th>Due</th>
            <th class="num">Total</th>
            <th class="num">Paid</th>
            <th class="num">Credited</th>
            <th class="num">Outstanding</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For
            each={inv.list}
            fallback={
              <tr>
                <td colspan="10" class="muted" data-testid="invoices-empty">
                  No invoices yet — sell to a customer on account at the Till, then invoice those sales under “New invoice”.
                </td>
              </tr>
            }
          >
            {(i) => (
              <tr data-testid={`invoice-row-${i.number}`} data-status={i.status} data-id={i.id}>
                <td>#{i.number}</td>
                <td>{i.customer_name}</td>
                <td>{showDay(i.issued_at_ms)}</td>
                <td>
                  {i.due_on}
                  <Show when={i.days_past_due > 0}>
                    <span class="muted"> ({i.days_past_due} days late)</span>
                  </Show>
                </td>
                <td class="num">{formatMoney(i.total_minor)}</td>
                <td class="num">{formatMoney(i.allocated_minor)}</td>
                <td class="num">{formatMoney(i.credited_minor)}</td>
                <td class="num" data-testid={`invoice-outstanding-${i.number}`}>
                  {formatMoney(i.outstanding_minor)}
                </td>
                <td>
                  <StatusBadge status={i.status} testid={`invoice-status-${i.number}`} />
                </td>
                <td>
                  <button type="button" onClick={() => void openInvoice(i.id)} data-testid={`invoice-open-${i.number}`}>
                    Open
                  </button>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={inv.listNext !== null}>
        <div class="actions no-print">
          <button type="button" onClick={() => void loadInvoices(true)} data-testid="invoice-list-more">
            More
          </button>
        </div>
      </Show>
    </>
  );
}

/** An invoice as a printable document. */
export function InvoiceDocument(props: { invoice: InvoiceView }) {
  const i = () => props.invoice;
  return (
    <article class="al-print al-doc" data-testid="invoice-doc" data-status={i().status}>
      <header class="al-doc-head">
        <div>
          <h2>{app.shop?.name ?? app.shopName ?? "Invoice"}</h2>
          <ShopLines testid="invoice-shop-lines" />
          <p>Invoice #{i().number}</p>
        </div>
        <div class="al-doc-meta">
          <div>Bill to: <strong>{i().customer_name}</strong></div>
          <div>Issued: {showDay(i().issued_at_ms)}</div>
          <div>Due: {i().due_on}</div>
          <div>
            Status: <StatusBadge status={i().status} testid="invoice-doc-status" />
          </div>
        </div>
      </header>
      <table class="grid">
        <thead>
          <tr>
            <th>Order</th>
            <th>Date</th>
            <th class="num">On account</th>
            <th class="num">Refunded before</th>
            <th class="num">Billed</th>
            <th class="num">Credited since</th>
          </tr>
        </thead>
        <tbody>
          <For each={i().orders}>
            {(o) => (
              <tr data-testid={`invoice-doc-order-${o.order_number}`}>
                <td>#{o.order_number}</td>
                <td>{showDay(o.order_created_at_ms)}</td>
                <td class="num">{formatMoney(o.on_account_minor)}</td>
                <td class="num">{formatMoney(o.refunded_before_minor)}</td>
                <td class="num">{formatMoney(o.amount_minor)}</td>
                <td class="num">{formatMoney(o.refunded_after_minor)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <TaxSummaryTable summary={i().tax_summary} testid="invoice-tax-summary" />
      <Show when={i().allocations.length > 0}>
        <h3>Payments</h3>
        <table class="grid">
          <tbody>
            <For each={i().allocations}>
              {(a) => (
                <tr data-testid={`invoice-doc-alloc-${a.id}`}>
                  <td>Receipt #{a.payment_number}</td>
                  <td>{formatTime(a.allocated_at_ms)}</td>
                  <td class="num">{formatMoney(a.amount_minor)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
      <dl class="al-totals">
        <dt>Total</dt>
        <dd data-testid="invoice-doc-total">{formatMoney(i().total_minor)}</dd>
        <dt>Paid</dt>
        <dd data-testid="invoice-doc-paid">{formatMoney(i().allocated_minor)}</dd>
        <Show when={i().credited_minor !== 0}>
          <dt>Credited</dt>
          <dd>{formatMoney(i().credited_minor)}</dd>
        </Show>
        <dt>Outstanding</dt>
        <dd data-testid="invoice-doc-outstanding">{formatMoney(i().outstanding_minor)}</dd>
      </dl>
    </article>
  );
}

function CreateInvoice() {
  return (
    <form
      class="card"
      data-testid="invoice-create-form"
      onSubmit={(e) => {
        e.preventDefault();
        void createInvoice();
      }}
    >
      <h2>Invoice on-account orders</h2>
      <table class="grid" data-testid="invoiceable">
        <thead>
          <tr>
            <th>Bill</th>
            <th>Order</th>
            <th>Date</th>
            <th class="num">On account</th>
            <th class="num">Refunded</th>
            <th class="num">To bill</th>
          </tr>
        </thead>
        <tbody>
          <For each={inv.invoiceable} fallback={<tr><td colspan="6" class="muted" data-testid="invoiceable-empty">Nothing to invoice for this customer.</td></tr>}>
            {(o) => (
              <tr data-testid={`invoiceable-row-${o.order_number}`}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Bill order #${o.order_number}`}
                    checked={inv.selected.includes(o.order_id)}
                    onChange={(e) => toggleOrder(o.order_id, e.currentTarget.checked)}
                    data-testid={`invoiceable-check-${o.order_number}`}
                  />
                </td>
                <td>#{o.order_number}</td>
                <td>{showDay(o.created_at_ms)}</td>
                <td class="num">{formatMoney(o.on_account_minor)}</td>
                <td class="num">{formatMoney(o.refunded_minor)}</td>
                <td class="num">{formatMoney(o.amount_minor)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <div class="row">
        <TextField
          form={invoiceForm}
          name="due_date"
          label="Due date"
          type="date"
          hint={inv.termsDays !== null ? `Default: ${inv.termsDays} days (the shop's terms)` : "Empty: the shop's payment terms"}
        />
      </div>
      <div class="actions">
        <button type="submit" class="primary" data-testid="invoice-create" disabled={invoiceForm.busy() || inv.selected.length === 0}>
          Create invoice ({inv.selected.length} {inv.selected.length === 1 ? "order" : "orders"})
        </button>
      </div>
      <Show when={inv.created}>
        {(c) => (
          <p class="notice" data-testid="invoice-created" data-number={c().number}>
            Invoice #{c().number} created: {formatMoney(c().total_minor)}, due {c().due_on}.{" "}
            <button type="button" onClick={() => setInv("open", c())} data-testid="invoice-created-open">
              Open
            </button>
          </p>
        )}
      </Show>
    </form>
  );
}

function ReceivePayment() {
  return (
    <div class="al-columns">
      <form
        class="card"
        data-testid="pay-form"
        onSubmit={(e) => {
          e.preventDefault();
          void receivePayment();
        }}
      >
        <h2>Receive a payment</h2>
        <div class="row">
          <TextField form={payForm} name="amount" label="Amount" inputmode="numeric" autofocus />
          <SelectField form={payForm} name="tender" label="Tender" options={CUSTOMER_PAYMENT_TENDERS.map((t) => ({ value: t, label: t }))} />
          <TextField form={payForm} name="reference" label="Reference (optional)" maxLength={100} />
        </div>
        <SelectField
          form={payForm}
          name="mode"
          label="Allocate"
          options={[
            { value: "oldest", label: "Oldest due first" },
            { value: "choose", label: "Choose per invoice" },
          ]}
        />
        <table class="grid" data-testid="pay-outstanding">
          <thead>
            <tr>
              <th>Invoice</th>
              <th>Due</th>
              <th>Status</th>
              <th class="num">Outstanding</th>
              <Show when={payForm.values.mode === "choose"}>
                <th class="num">Allocate</th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <For each={inv.outstanding} fallback={<tr><td colspan="5" class="muted">Nothing outstanding: the payment stays as credit on account.</td></tr>}>
              {(i) => (
                <tr data-testid={`pay-invoice-${i.number}`}>
                  <td>#{i.number}</td>
                  <td>{i.due_on}</td>
                  <td>
                    <StatusBadge status={i.status} />
                  </td>
                  <td class="num">{formatMoney(i.outstanding_minor)}</td>
                  <Show when={payForm.values.mode === "choose"}>
                    <td class="num">
                      <input
                        class="al-amount"
                        inputmode="numeric"
                        aria-label={`Amount for invoice #${i.number}`}
                        value={allocText[String(i.id)] ?? ""}
                        onInput={(e) => setAllocText(String(i.id), e.currentTarget.value)}
                        onChange={(e) => setAllocText(String(i.id), e.currentTarget.value)}
                        data-testid={`pay-alloc-${i.number}`}
                      />
                    </td>
                  </Show>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <div class="actions">
          <button type="submit" class="primary" data-testid="pay-submit" disabled={payForm.busy()}>
            Receive payment
          </button>
        </div>
      </form>
      <div>
        <Show when={inv.payment}>
          {(p) => (
            <div class="card" data-testid="pay-result" data-unallocated={p().unallocated_minor}>
              <h2>Receipt #{p().number}</h2>
              <p>
                {formatMoney(p().amount_minor)} by {p().tender}
                {p().reference ? ` (${p().reference})` : ""}: allocated{" "}
                <strong data-testid="pay-result-allocated">{formatMoney(p().allocated_minor)}</strong>, left as credit{" "}
                <strong data-testid="pay-result-unallocated">{formatMoney(p().unallocated_minor)}</strong>.
              </p>
              <table class="grid">
                <tbody>
                  <For each={p().allocations}>
                    {(a) => (
                      <tr data-testid={`pay-result-alloc-${a.invoice_number}`} data-amount={a.amount_minor}>
                        <td>Invoice #{a.invoice_number}</td>
                        <td class="num">{formatMoney(a.amount_minor)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          )}
        </Show>
        <Show when={inv.credits.length > 0}>
          <div class="card" data-testid="pay-credits">
            <h2>Credit on account</h2>
            <table class="grid">
              <tbody>
                <For each={inv.credits}>
                  {(p) => (
                    <tr data-testid={`pay-credit-${p.number}`}>
                      <td>Receipt #{p.number}</td>
                      <td>{formatTime(p.received_at_ms)}</td>
                      <td class="num">{formatMoney(p.unallocated_minor)}</td>
                      <td>
                        <button type="button" onClick={() => void allocateCredit(p.id)} disabled={inv.outstanding.length === 0} data-testid={`pay-credit-allocate-${p.number}`}>
                          Allocate oldest first
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </div>
    </div>
  );
}

const KIND_LABELS: Record<string, string> = { sale: "Sale", refund: "Refund", payment: "Payment", void: "Void", other: "Other" };

function Statement() {
  return (
    <>
      <form
        class="filters no-print"
        onSubmit={(e) => {
          e.preventDefault();
          void loadStatement();
        }}
      >
        <TextField form={statementForm} name="from" label="From (optional)" type="date" />
        <div class="actions">
          <button type="submit" data-testid="statement-load" disabled={statementForm.busy()}>
            Show
          </button>
          <button type="button" onClick={printDoc} data-testid="statement-print" disabled={!inv.statement}>
            Print
          </button>
        </div>
      </form>
      <Show when={inv.statement}>
        {(s) => (
          <article class="al-print al-doc" data-testid="statement">
            <header class="al-doc-head">
              <div>
                <h2>{app.shop?.name ?? app.shopName ?? "Statement"}</h2>
                <p>Statement of account</p>
              </div>
              <div class="al-doc-meta">
                <div>
                  <strong>{s().customer_name}</strong>
                </div>
                <div>Printed {formatTime(Date.now())}</div>
              </div>
            </header>
            <table class="grid">
              <thead>
                <tr>
                  <th>Date</th>
                  <th>Kind</th>
                  <th>Document</th>
                  <th>Invoice</th>
                  <th>Memo</th>
                  <th class="num">Debit</th>
                  <th class="num">Credit</th>
                  <th class="num">Balance</th>
                </tr>
              </thead>
              <tbody>
                <tr data-testid="statement-opening">
                  <td colspan="7">Opening balance</td>
                  <td class="num">{formatMoney(s().opening_balance_minor)}</td>
                </tr>
                <For each={s().lines}>
                  {(l) => (
                    <tr data-testid={`statement-line-${l.entry_id}`} data-kind={l.kind}>
                      <td>{formatTime(l.posted_at_ms)}</td>
                      <td>{KIND_LABELS[l.kind] ?? l.kind}</td>
                      <td>{l.document_number !== null ? `#${l.document_number}` : ""}</td>
                      <td>{l.invoice_number !== null ? `#${l.invoice_number}` : ""}</td>
                      <td>{l.memo}</td>
                      <td class="num">{l.debit_minor !== 0 ? formatMoney(l.debit_minor) : ""}</td>
                      <td class="num">{l.credit_minor !== 0 ? formatMoney(l.credit_minor) : ""}</td>
                      <td class="num">{formatMoney(l.balance_minor)}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <dl class="al-totals">
              <dt>Closing balance</dt>
              <dd data-testid="statement-closing">{formatMoney(s().closing_balance_minor)}</dd>
              <Show when={s().unallocated_credit_minor !== 0}>
                <dt>Unallocated credit</dt>
                <dd data-testid="statement-credit">{formatMoney(s().unallocated_credit_minor)}</dd>
              </Show>
            </dl>
            <Show when={s().next_after_entry_id !== null}>
              <div class="actions no-print">
                <button type="button" onClick={() => void loadStatement(true)} data-testid="statement-more">
                  More
                </button>
              </div>
            </Show>
          </article>
        )}
      </Show>
    </>
  );
}

function AgingCells(props: { row: { current_minor: number; days_1_30_minor: number; days_31_60_minor: number; days_61_90_minor: number; over_90_minor: number; total_minor: number } }) {
  return (
    <>
      <td class="num">{formatMoney(props.row.current_minor)}</td>
      <td class="num">{formatMoney(props.row.days_1_30_minor)}</td>
      <td class="num">{formatMoney(props.row.days_31_60_minor)}</td>
      <td class="num">{formatMoney(props.row.days_61_90_minor)}</td>
      <td class="num">{formatMoney(props.row.over_90_minor)}</td>
      <td class="num">
        <strong>{formatMoney(props.row.total_minor)}</strong>
      </td>
    </>
  );
}

function Aging() {
  const [onlyPicked, setOnlyPicked] = createSignal(false);
  const rows = () => (inv.aging?.customers ?? []).filter((r) => !onlyPicked() || r.customer_id === inv.customer?.id);
  return (
    <>
      <form
        class="filters no-print"
        onSubmit={(e) => {
          e.preventDefault();
          void loadAging();
        }}
      >
        <TextField form={agingForm} name="as_of" label="As of (empty = today)" type="date" />
        <Show when={inv.customer}>
          <label class="field-inline">
            <input type="checkbox" checked={onlyPicked()} onChange={(e) => setOnlyPicked(e.currentTarget.checked)} data-testid="aging-only-picked" /> Only{" "}
            {inv.customer?.name}
          </label>
        </Show>
        <div class="actions">
          <button type="submit" data-testid="aging-load" disabled={agingForm.busy()}>
            Show
          </button>
          <button type="button" onClick={printDoc} disabled={!inv.aging} data-testid="aging-print">
            Print
          </button>
        </div>
      </form>
      <Show when={inv.aging}>
        {(a) => (
          <div class="al-print" data-testid="aging" data-as-of={a().as_of}>
            <h2>Accounts receivable aging as of {a().as_of}</h2>
            <table class="grid">
              <thead>
                <tr>
                  <th>Customer</th>
                  <th class="num">Invoices</th>
                  <th class="num">Current</th>
                  <th class="num">1–30</th>
                  <th class="num">31–60</th>
                  <th class="num">61–90</th>
                  <th class="num">90+</th>
                  <th class="num">Total</th>
                </tr>
              </thead>
              <tbody>
                <For each={rows()} fallback={<tr><td colspan="8" class="muted" data-testid="aging-empty">Nothing outstanding.</td></tr>}>
                  {(r) => (
                    <tr data-testid={`aging-row-${r.customer_id}`} data-total={r.total_minor}>
                      <td>{r.customer_name}</td>
                      <td class="num">{r.invoice_count}</td>
                      <AgingCells row={r} />
                    </tr>
                  )}
                </For>
              </tbody>
              <tfoot>
                <tr data-testid="aging-totals" data-total={a().totals.total_minor}>
                  <th>All customers</th>
                  <td class="num">{a().totals.invoice_count}</td>
                  <AgingCells row={a().totals} />
                </tr>
              </tfoot>
            </table>
            <Show when={a().next_after_customer_id !== null}>
              <div class="actions no-print">
                <button type="button" onClick={() => void loadAging(true)} data-testid="aging-more">
                  More
                </button>
              </div>
            </Show>
          </div>
        )}
      </Show>
    </>
  );
}
