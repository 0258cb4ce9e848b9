// Orders: the sales made, newest first; one opened as its receipt with its
// refunds; refund by line (who may refund only). A receipt number typed or
// scanned finds its order. A refund says what to hand back per tender ("Give
// 4.52 cash, refund 9.48 to the card", from the core's `hand_back`) and shows
// its printable refund slip.

import { For, Show, onMount } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import {
  call,
  newIdempotencyKey,
  type RefundLineInput,
  type RefundStockDisposition,
  type RefundTo,
  type RefundView,
  type SalesOrderSummary,
  type SalesOrderView,
} from "../api";
import { withApproval } from "../components/Approval";
import { Dialog } from "../components/Dialog";
import { SelectField, TextField } from "../components/Field";
import { Receipt } from "../components/Receipt";
import { formatTime, reportError } from "../errors";
import { autofocus, createForm } from "../forms";
import { handBackPhrase, handBackWords } from "../logic/handBack";
import { lineField } from "../logic/till";
import { fieldError, formatMoney, parseInteger } from "../money";
import { formatWithUnit, parseQuantity } from "../logic/quantity";
import { app, can, onSignOut } from "../session";
import { abilities } from "./till/state";
import { NoReceiptDialog, NoReceiptSlipView, noReceipt, openNoReceipt } from "./RefundNoReceipt";

interface OrdersState {
  rows: SalesOrderSummary[];
  nextBeforeId: number | null;
  loading: boolean;
  lookup: string;
  selected: SalesOrderView | null;
  refunds: RefundView[];
  /** Product names by id (orders keep ids; names come from the catalog). */
  names: Record<number, string>;
  refundOpen: boolean;
  notice: string | null;
  /** The refund slip on screen (after a refund, or reopened from the list). */
  slip: RefundView | null;
}

const initialState = (): OrdersState => ({
  rows: [],
  nextBeforeId: null,
  loading: false,
  lookup: "",
  selected: null,
  refunds: [],
  names: {},
  refundOpen: false,
  notice: null,
  slip: null,
});

export const [orders, setOrders] = createStore<OrdersState>(initialState());
/** Reason and destination; the per-line fields `qty-<line id>`/`stock-<line id>` are added when the dialog opens. */
export const refundForm = createForm<Record<string, string>>("refund", () => ({ reason: "", refund_to: "original" }));
let refundKey = newIdempotencyKey();

onSignOut(() => {
  setOrders(reconcile(initialState()));
  refundForm.reset();
  refundKey = newIdempotencyKey();
});

export const ORDERS_PAGE = 50;

export async function loadOrders(more = false): Promise<void> {
  setOrders("loading", true);
  try {
    const page = await call("sales.list", { before_id: more ? orders.nextBeforeId : null, limit: ORDERS_PAGE });
    setOrders({ rows: more ? [...orders.rows, ...page.orders] : page.orders, nextBeforeId: page.next_before_id });
  } catch (e) {
    reportError(e);
  } finally {
    setOrders("loading", false);
  }
}

/** Fetches the names of products the order names that we do not know yet. */
async function loadNames(order: SalesOrderView): Promise<void> {
  const missing = [...new Set(order.lines.map((l) => l.product_id))].filter((id) => orders.names[id] === undefined);
  const found = await Promise.all(
    missing.map(async (id) => {
      try {
        const p = await call("catalog.get_product", { id });
        return [id, p.name] as const;
      } catch {
        // The receipt still shows the line by product number.
        return [id, `Product #${id}`] as const;
      }
    }),
  );
  setOrders(
    produce((s) => {
      for (const [id, name] of found) s.names[id] = name;
    }),
  );
}

export async function openOrder(id: number): Promise<void> {
  try {
    const [order, refunds] = await Promise.all([call("sales.get", { id }), call("sales.refunds", { order_id: id })]);
    await loadNames(order);
    setOrders({ selected: order, refunds: refunds.refunds, notice: null, refundOpen: false, slip: null });
  } catch (e) {
    reportError(e);
  }
}

/** Finds an order by its receipt number (typed, or scanned from the receipt). */
export async function findByReceipt(): Promise<void> {
  const n = parseInteger(orders.lookup.trim().replace(/^#/, ""));
  if (n === null || n < 1) {
    reportError(fieldError("receipt_number", "enter a receipt number"));
    return;
  }
  try {
    const res = await call("sales.list", { receipt_number: n, limit: 1 });
    const hit = res.orders[0];
    if (hit) {
      setOrders("lookup", "");
      await openOrder(hit.id);
    } else {
      setOrders("notice", `No sale has receipt #${n}.`);
    }
  } catch (e) {
    reportError(e);
  }
}

/** An order's status as the shop says it; the server derives it from voids and refunds. */
export function statusLabel(status: string): string {
  switch (status) {
    case "confirmed":
      return "Sold";
    case "voided":
      return "Voided";
    case "partly_refunded":
      return "Partly refunded";
    case "refunded":
      return "Refunded";
    default:
      return status;
  }
}

/** Units of each order line refunded so far, over every refund of the order. */
export function refundedByLine(refunds: readonly RefundView[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of refunds) for (const l of r.lines) out[l.order_line_id] = (out[l.order_line_id] ?? 0) + l.quantity;
  return out;
}

export function openRefund(): void {
  const o = orders.selected;
  if (!o) return;
  refundKey = newIdempotencyKey();
  refundForm.reset();
  const fields: Record<string, string> = { reason: "", refund_to: "original" };
  for (const l of o.lines) {
    fields[`qty-${l.id}`] = "";
    fields[`stock-${l.id}`] = "restock";
  }
  refundForm.setValues(fields);
  setOrders("refundOpen", true);
}

/** The refund form as `sales.refund` lines: lines with a quantity only. */
export function refundLines(order: SalesOrderView, values: Record<string, string>): RefundLineInput[] {
  const out: RefundLineInput[] = [];
  for (const l of order.lines) {
    const text = (values[`qty-${l.id}`] ?? "").trim();
    if (text === "" || text === "0") continue;
    // At the line's precision: "0.100" kg of a weighed line is 100 g.
    const q = parseQuantity(text, l.quantity_decimals);
    if (q === null) throw fieldError(`qty-${l.id}`, !l.quantity_decimals ? "enter a whole number" : `enter a quantity in ${l.unit} like 0.100 (at most ${l.quantity_decimals} decimals)`);
    out.push({ order_line_id: l.id, quantity: q, stock: (values[`stock-${l.id}`] as RefundStockDisposition) ?? "restock" });
  }
  if (out.length === 0) {
    const first = order.lines[0];
    throw fieldError(first ? `qty-${first.id}` : "reason", "enter how many units of a line come back");
  }
  return out;
}

export async function submitRefund(): Promise<boolean> {
  const o = orders.selected;
  if (!o) return false;
  let sent: RefundLineInput[] = [];
  let done: RefundView | null = null;
  const ok = await refundForm.submit(
    async () => {
      sent = refundLines(o, refundForm.values);
      // A cashier without `sales.refund` gets "A manager can approve this" on the spot (T39).
      done = await withApproval((approval) =>
        call("sales.refund", {
          idempotency_key: refundKey,
          order_id: o.id,
          lines: sent,
          refund_to: refundForm.values.refund_to as RefundTo,
          reason: refundForm.values.reason.trim(),
          approval,
        }),
      );
    },
    {
      // `lines[1].quantity` is the second line sent: show it beside that order line.
      mapField: (f) => {
        const lf = lineField(f);
        const line = lf ? sent[lf.index] : undefined;
        return line ? `qty-${line.order_line_id}` : f;
      },
    },
  );
  if (ok && done) {
    const r: RefundView = done;
    refundKey = newIdempotencyKey();
    setOrders({ refundOpen: false, slip: r, notice: `Refund #${r.number}: ${handBackWords(r)}.` });
    try {
      const [order, refunds] = await Promise.all([call("sales.get", { id: o.id }), call("sales.refunds", { order_id: o.id })]);
      setOrders({ selected: order, refunds: refunds.refunds });
      // The list row's status (partly refunded, refunded) comes from the server too.
      setOrders("rows", (row) => row.id === o.id, "status", order.status);
    } catch (e) {
      reportError(e);
    }
  }
  return ok;
}

function OrderDetail(props: { order: SalesOrderView }) {
  const refunded = () => refundedByLine(orders.refunds);
  const left = () => props.order.lines.reduce((n, l) => n + l.quantity - (refunded()[l.id] ?? 0), 0);
  return (
    <div class="order-detail" data-testid="order-detail" data-order-id={props.order.id}>
      <Receipt
        order={props.order}
        shopName={app.shop?.name ?? app.shopName ?? "Tillbook"}
        nameOf={(id) => orders.names[id] ?? `Product #${id}`}
        testid="order-receipt"
      />
      <div class="actions no-print">
        <button type="button" onClick={() => window.print()} data-testid="order-print">
          Print
        </button>
        {/* Sellers without `sales.refund` see it too: a manager approves it on the spot. */}
        <Show when={abilities().refund || abilities().sell}>
          <button type="button" class="primary" onClick={openRefund} disabled={left() === 0} data-testid="order-refund">
            Refund…
          </button>
        </Show>
        <button type="button" onClick={() => setOrders({ selected: null, refunds: [], slip: null })} data-testid="order-close">
          Close
        </button>
      </div>
      <Show when={orders.slip}>{(r) => <RefundSlip refund={r()} order={props.order} />}</Show>
      <Show when={orders.refunds.length > 0}>
        <h2>Refunds</h2>
        <table class="grid" data-testid="refunds-table">
          <thead>
            <tr>
              <th>Refund</th>
              <th>What and why</th>
              <th class="num">Total</th>
            </tr>
          </thead>
          <tbody>
            <For each={orders.refunds}>
              {(r) => (
                <tr data-testid={`refund-row-${r.id}`} data-total={r.total_minor}>
                  <td>
                    #{r.number}
                    <div class="muted">{formatTime(r.created_at_ms)}</div>
                  </td>
                  <td>
                    <For each={r.lines}>
                      {(l) => {
                        const ol = props.order.lines.find((x) => x.id === l.order_line_id);
                        return (
                          <div>
                            {ol ? formatWithUnit(l.quantity, ol) : l.quantity} × {ol ? (orders.names[ol.product_id] ?? `#${ol.product_id}`) : `line ${l.order_line_id}`} ({l.stock === "damage" ? "damaged" : "back to stock"})
                          </div>
                        );
                      }}
                    </For>
                    <div class="muted">
                      {r.refund_to === "store_credit" ? "to store credit" : "to the original payments"} · {r.reason}
                    </div>
                    <div data-testid={`refund-row-${r.id}-hand-back`}>{handBackWords(r)}</div>
                  </td>
                  <td class="num">
                    {formatMoney(r.total_minor)}
                    <div class="no-print">
                      <button type="button" onClick={() => setOrders("slip", r)} data-testid={`refund-row-${r.id}-slip`}>
                        Slip
                      </button>
                    </div>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
    </div>
  );
}

/** The refund slip: a printable receipt of the refund (the print stylesheet keeps `receipt`). */
function RefundSlip(props: { refund: RefundView; order: SalesOrderView }) {
  const r = () => props.refund;
  const nameOfLine = (orderLineId: number) => {
    const ol = props.order.lines.find((x) => x.id === orderLineId);
    return ol ? (orders.names[ol.product_id] ?? `Product #${ol.product_id}`) : `Line ${orderLineId}`;
  };
  return (
    <div class="card refund-slip-card">
      <div class="receipt refund-slip" data-testid="refund-slip" data-refund-id={r().id}>
        <div class="receipt-head">
          <div>{app.shop?.name ?? app.shopName ?? "Tillbook"}</div>
          <h2>
            Refund #<span data-testid="refund-slip-number">{r().number}</span>
          </h2>
          <div class="muted">
            Receipt #{props.order.receipt_number} · {formatTime(r().created_at_ms)}
          </div>
        </div>
        <table>
          <tbody>
            <For each={r().lines}>
              {(l) => (
                <tr>
                  <td>
                    {l.quantity} × {nameOfLine(l.order_line_id)}
                    {l.stock === "damage" ? " (damaged)" : ""}
                  </td>
                  <td class="num">{formatMoney(l.total_minor)}</td>
                </tr>
              )}
            </For>
            <tr class="zr-strong">
              <td>Refunded</td>
              <td class="num" data-testid="refund-slip-total">
                {formatMoney(r().total_minor)}
              </td>
            </tr>
            <For each={r().hand_back}>
              {(h) => (
                <tr class="receipt-sub" data-testid={`refund-slip-${h.action}`}>
                  <td>{handBackPhrase(h).replace(/^./, (c) => c.toUpperCase())}</td>
                  <td class="num">{formatMoney(h.amount_minor)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <p class="muted">Reason: {r().reason}</p>
      </div>
      <p class="hand-back no-print" data-testid="refund-hand-back">
        <strong>{handBackWords(r())}.</strong>
      </p>
      <div class="actions no-print">
        <button type="button" onClick={() => window.print()} data-testid="refund-slip-print">
          Print slip
        </button>
        <button type="button" onClick={() => setOrders("slip", null)} data-testid="refund-slip-done">
          Done
        </button>
      </div>
    </div>
  );
}

function RefundDialog(props: { order: SalesOrderView }) {
  const refunded = () => refundedByLine(orders.refunds);
  const destinations = () =>
    props.order.customer_id !== null
      ? [
          { value: "original", label: "The original payments" },
          { value: "store_credit", label: "Store credit for the customer" },
        ]
      : [{ value: "original", label: "The original payments" }];
  return (
    <Dialog title={`Refund receipt #${props.order.receipt_number}`} testid="refund-dialog" onClose={() => setOrders("refundOpen", false)}>
      <form data-testid="refund-form" onSubmit={(e) => (e.preventDefault(), void submitRefund())}>
        <table class="grid refund-lines">
          <thead>
            <tr>
              <th>Product</th>
              <th class="num">Sold</th>
              <th class="num">Left</th>
              <th>Refund</th>
              <th>Stock</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.order.lines}>
              {(l, i) => {
                const left = () => l.quantity - (refunded()[l.id] ?? 0);
                return (
                  <tr data-testid={`refund-line-${l.id}`} data-line-no={l.line_no}>
                    <td>
                      {orders.names[l.product_id] ?? `Product #${l.product_id}`}
                      <div class="muted">{formatMoney(l.total_minor)}</div>
                    </td>
                    <td class="num">{formatWithUnit(l.quantity, l)}</td>
                    <td class="num" data-testid={`refund-left-${l.id}`}>
                      {formatWithUnit(left(), l)}
                    </td>
                    <td>
                      <TextField form={refundForm} name={`qty-${l.id}`} label={l.quantity_decimals ? l.unit : "Units"} inputmode={l.quantity_decimals ? "text" : "numeric"} disabled={left() === 0} autofocus={i() === 0} />
                    </td>
                    <td>
                      <SelectField
                        form={refundForm}
                        name={`stock-${l.id}`}
                        label={l.stock_tracked === false ? "Not counted" : "Goes"}
                        disabled={left() === 0 || l.stock_tracked === false}
                        options={[
                          { value: "restock", label: "Back to stock" },
                          { value: "damage", label: "Damaged" },
                        ]}
                      />
                    </td>
                  </tr>
                );
              }}
            </For>
          </tbody>
        </table>
        <SelectField form={refundForm} name="refund_to" label="Money back to" options={destinations()} />
        <TextField form={refundForm} name="reason" label="Reason" maxLength={500} />
        <div class="actions">
          <button type="submit" class="primary" data-testid="refund-submit" disabled={refundForm.busy()}>
            Refund
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function Orders() {
  onMount(() => void loadOrders());
  return (
    <section class="panel orders" data-testid="orders">
      <div class="toolbar no-print">
        <h1>Sales</h1>
        <span class="spacer" />
        <Show when={orders.notice}>
          <span class="notice" data-testid="orders-notice">
            {orders.notice}
          </span>
        </Show>
        <Show when={can("sales.refund_unreceipted") || can("sales.sell")}>
          <button type="button" onClick={openNoReceipt} data-testid="orders-no-receipt">
            Refund without receipt…
          </button>
        </Show>
        <button type="button" onClick={() => void loadOrders()} data-testid="orders-refresh">
          Refresh
        </button>
      </div>
      <form
        class="filters search no-print"
        data-testid="orders-lookup-form"
        onSubmit={(e) => {
          e.preventDefault();
          void findByReceipt();
        }}
      >
        <div class="field">
          <label for="orders-lookup">Receipt number (scan or type, Enter)</label>
          <input
            id="orders-lookup"
            autocomplete="off"
            inputmode="numeric"
            value={orders.lookup}
            onInput={(e) => setOrders("lookup", e.currentTarget.value)}
            onChange={(e) => setOrders("lookup", e.currentTarget.value)}
            data-testid="orders-lookup"
            ref={autofocus}
          />
        </div>
      </form>
      <div class="columns orders-columns">
        <div class="no-print">
          <table class="grid" data-testid="orders-table">
            <thead>
              <tr>
                <th>Receipt</th>
                <th>When</th>
                <th class="num">Lines</th>
                <th class="num">Total</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <For each={orders.rows} fallback={<tr><td colspan="6" class="muted">{orders.loading ? "Loading…" : "No sales yet — sales rung up at the Till appear here, newest first."}</td></tr>}>
                {(o) => (
                  <tr
                    data-testid={`order-row-${o.id}`}
                    data-receipt={o.receipt_number}
                    classList={{ selected: orders.selected?.id === o.id }}
                  >
                    <td>#{o.receipt_number}</td>
                    <td>{formatTime(o.created_at_ms)}</td>
                    <td class="num">{o.line_count}</td>
                    <td class="num">{formatMoney(o.total_minor)}</td>
                    <td data-testid={`order-status-${o.id}`}>{statusLabel(o.status)}</td>
                    <td>
                      <button type="button" onClick={() => void openOrder(o.id)} data-testid={`order-open-${o.id}`}>
                        Open
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
          <Show when={orders.nextBeforeId !== null}>
            <button type="button" onClick={() => void loadOrders(true)} data-testid="orders-more">
              More
            </button>
          </Show>
        </div>
        <div>
          <Show when={orders.selected} fallback={<p class="muted no-print">Open a sale to see its receipt.</p>}>
            {(o) => <OrderDetail order={o()} />}
          </Show>
        </div>
      </div>
      <Show when={orders.refundOpen && orders.selected}>
        {(o) => <RefundDialog order={o()} />}
      </Show>
      <Show when={noReceipt.slip}>{(s) => <NoReceiptSlipView slip={s()} />}</Show>
      <Show when={noReceipt.open}>
        <NoReceiptDialog />
      </Show>
    </section>
  );
}

