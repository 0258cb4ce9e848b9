// Purchase orders: suggested from the low-stock list (one draft per preferred
// vendor), edited while a draft, sent (the vendor's copy saved as CSV; a PDF
// comes with the documents work), received in full or in part against the
// order (a purchase receipt: batches and the vendor's bill on account), or
// cancelled. Owner and manager (`purchases.order`).

import { For, Show, onMount } from "solid-js";
import { createStore } from "solid-js/store";
import { call, newIdempotencyKey } from "../api";
import type { PurchaseOrderView } from "../generated/PurchaseOrderView";
import type { PurchaseOrderStatus } from "../generated/PurchaseOrderStatus";
import type { LowStockLine } from "../generated/LowStockLine";
import { formatTime, reportError } from "../errors";
import { formatMoney, parseMoney } from "../money";
import { formatQuantity, parseQuantity } from "../logic/quantity";
import { loadLowCount } from "./StockList";

export const STATUS_WORDS: Record<PurchaseOrderStatus, string> = {
  draft: "Draft",
  sent: "Sent",
  partly_received: "Partly received",
  received: "Received",
  cancelled: "Cancelled",
};

interface PoState {
  orders: PurchaseOrderView[];
  /** Typed quantities/costs per order line id (edit or receive). */
  edits: Record<number, { quantity: string; cost: string }>;
  withoutVendor: LowStockLine[];
  showClosed: boolean;
  loaded: boolean;
  busy: boolean;
  message: string;
}

export const [po, setPo] = createStore<PoState>({
  orders: [],
  edits: {},
  withoutVendor: [],
  showClosed: false,
  loaded: false,
  busy: false,
  message: "",
});

function seedEdits(orders: PurchaseOrderView[]) {
  const edits: PoState["edits"] = {};
  for (const o of orders) {
    for (const l of o.lines) {
      const q = o.status === "draft" ? l.quantity : l.remaining_quantity;
      edits[l.id] = { quantity: formatQuantity(q, l.quantity_decimals), cost: formatMoney(l.unit_cost_minor) };
    }
  }
  setPo("edits", edits);
}

export async function loadOrders(): Promise<void> {
  try {
    const page = await call("purchase_orders.list", { open_only: !po.showClosed, limit: 50 });
    setPo({ orders: page.orders, loaded: true });
    seedEdits(page.orders);
  } catch (e) {
    reportError(e);
  }
}

async function run(action: () => Promise<string>) {
  setPo({ busy: true, message: "" });
  try {
    setPo("message", await action());
    await loadOrders();
    void loadLowCount();
  } catch (e) {
    reportError(e);
  } finally {
    setPo("busy", false);
  }
}

const suggest = () =>
  run(async () => {
    const s = await call("purchase_orders.suggest", { idempotency_key: newIdempotencyKey() });
    setPo("withoutVendor", s.without_vendor);
    if (s.orders.length === 0) return "Nothing new to order: every low product is already on an order, or has no vendor.";
    return `Made ${s.orders.length} draft order${s.orders.length === 1 ? "" : "s"} from the low-stock list.`;
  });

function typed(o: PurchaseOrderView, lineId: number): { quantity: number; cost: number } | null {
  const l = o.lines.find((x) => x.id === lineId);
  const e = po.edits[lineId];
  if (!l || !e) return null;
  const quantity = parseQuantity(e.quantity, l.quantity_decimals);
  const cost = parseMoney(e.cost);
  if (quantity === null || cost === null) return null;
  return { quantity, cost };
}

const saveDraft = (o: PurchaseOrderView) =>
  run(async () => {
    const lines = o.lines.flatMap((l) => {
      const t = typed(o, l.id);
      if (t === null) throw new Error(`Check the quantity and cost of ${l.name}.`);
      return t.quantity === 0 ? [] : [{ product_id: l.product_id, quantity: t.quantity, unit_cost_minor: t.cost }];
    });
    await call("purchase_orders.update", { id: o.id, version: o.version, lines });
    return `Order ${o.number} saved.`;
  });

const send = (o: PurchaseOrderView) =>
  run(async () => {
    await call("purchase_orders.send", { id: o.id, version: o.version });
    return `Order ${o.number} is sent. Save its file for ${o.vendor_name}.`;
  });

async function saveCsv(o: PurchaseOrderView) {
  try {
    const f = await call("purchase_orders.csv", { id: o.id });
    const url = URL.createObjectURL(new Blob([f.csv], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = f.filename;
    a.click();
    URL.revokeObjectURL(url);
    setPo("message", `Saved ${f.filename}.`);
  } catch (e) {
    reportError(e);
  }
}

const receive = (o: PurchaseOrderView) =>
  run(async () => {
    const lines = o.lines.flatMap((l) => {
      if (l.remaining_quantity === 0) return [];
      const t = typed(o, l.id);
      if (t === null) throw new Error(`Check the quantity and cost of ${l.name}.`);
      if (t.quantity === 0) return [];
      return [{ product_id: l.product_id, order_line_id: l.id, quantity: t.quantity, unit_cost_minor: t.cost, lot_code: null, expires_on: null }];
    });
    if (lines.length === 0) throw new Error("Type how much of each product came.");
    const r = await call("purchasing.receive", { idempotency_key: newIdempotencyKey(), vendor_id: o.vendor_id, order_id: o.id, lines });
    return `Received on receipt ${r.number}; order ${o.number} is ${STATUS_WORDS[r.order_status ?? "sent"].toLowerCase()}.`;
  });

const cancel = (o: PurchaseOrderView) =>
  run(async () => {
    const reason = window.prompt(`Why cancel order ${o.number}?`, "no longer needed");
    if (reason === null || reason.trim() === "") return "";
    await call("purchase_orders.cancel", { id: o.id, version: o.version, reason: reason.trim() });
    return `Order ${o.number} cancelled.`;
  });

export function PurchaseOrders() {
  onMount(() => void loadOrders());
  return (
    <section class="panel" data-testid="purchase-orders">
      <div class="toolbar">
        <h1>Purchase orders</h1>
        <span class="spacer" />
        <label class="inline">
          <input
            type="checkbox"
            checked={po.showClosed}
            onChange={(e) => {
              setPo("showClosed", e.currentTarget.checked);
              void loadOrders();
            }}
            data-testid="po-show-closed"
          />{" "}
          Show received and cancelled
        </label>
        <button type="button" class="primary" onClick={() => void suggest()} disabled={po.busy} data-testid="po-suggest">
          Suggest from low stock
        </button>
      </div>
      <Show when={po.message !== ""}>
        <p class="lead" data-testid="po-message">
          {po.message}
        </p>
      </Show>
      <Show when={po.withoutVendor.length > 0}>
        <div class="note" data-testid="po-without-vendor">
          <p>These are low but have no vendor to order from. Choose a preferred vendor on Products and suggest again:</p>
          <ul>
            <For each={po.withoutVendor}>{(l) => <li>{l.name}</li>}</For>
          </ul>
        </div>
      </Show>
      <Show
        when={po.orders.length > 0}
        fallback={
          <Show when={po.loaded}>
            <p class="muted" data-testid="po-empty">
              No purchase orders yet — suggest one from the low-stock list. Products need a reorder point and a preferred vendor
              (on Products).
            </p>
          </Show>
        }
      >
        <For each={po.orders}>
          {(o) => (
            <article class="card" data-testid={`po-${o.number}`} data-status={o.status}>
              <header class="toolbar">
                <h2>
                  Order {o.number} to {o.vendor_name}
                </h2>
                <span class="badge" data-testid={`po-status-${o.number}`}>
                  {STATUS_WORDS[o.status]}
                </span>
                <span class="spacer" />
                <span class="muted">
                  {o.sent_at_ms === null ? `made ${formatTime(o.created_at_ms)}` : `sent ${formatTime(o.sent_at_ms)}`} · total{" "}
                  {formatMoney(o.total_minor)}
                </span>
              </header>
              <table class="grid">
                <thead>
                  <tr>
                    <th>Product</th>
                    <th class="num">Ordered</th>
                    <th class="num">Received</th>
                    <th class="num">{o.status === "draft" ? "Quantity" : "Came now"}</th>
                    <th class="num">Unit cost</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={o.lines}>
                    {(l) => (
                      <tr data-testid={`po-line-${o.number}-${l.sku}`}>
                        <td>
                          {l.name} <span class="muted">{l.sku}</span>
                        </td>
                        <td class="num">
                          {formatQuantity(l.quantity, l.quantity_decimals)} {l.unit}
                        </td>
                        <td class="num" data-testid={`po-received-${o.number}-${l.sku}`}>
                          {formatQuantity(l.received_quantity, l.quantity_decimals)}
                        </td>
                        <td class="num">
                          <Show when={o.status === "draft" || (l.remaining_quantity > 0 && o.status !== "cancelled")} fallback="—">
                            <input
                              class="num"
                              inputmode="decimal"
                              value={po.edits[l.id]?.quantity ?? ""}
                              onInput={(e) => setPo("edits", l.id, "quantity", e.currentTarget.value)}
                              data-testid={`po-qty-${o.number}-${l.sku}`}
                            />
                          </Show>
                        </td>
                        <td class="num">
                          <Show when={o.status === "draft" || (l.remaining_quantity > 0 && o.status !== "cancelled")} fallback={formatMoney(l.unit_cost_minor)}>
                            <input
                              class="num"
                              inputmode="decimal"
                              value={po.edits[l.id]?.cost ?? ""}
                              onInput={(e) => setPo("edits", l.id, "cost", e.currentTarget.value)}
                              data-testid={`po-cost-${o.number}-${l.sku}`}
                            />
                          </Show>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <div class="actions">
                <Show when={o.status === "draft"}>
                  <button type="button" onClick={() => void saveDraft(o)} disabled={po.busy} data-testid={`po-save-${o.number}`}>
                    Save changes
                  </button>
                  <button type="button" class="primary" onClick={() => void send(o)} disabled={po.busy} data-testid={`po-send-${o.number}`}>
                    Mark as sent
                  </button>
                </Show>
                <Show when={o.status !== "draft"}>
                  <button type="button" onClick={() => void saveCsv(o)} data-testid={`po-csv-${o.number}`}>
                    Save file for the vendor (CSV)
                  </button>
                </Show>
                <Show when={o.status === "sent" || o.status === "partly_received"}>
                  <button type="button" class="primary" onClick={() => void receive(o)} disabled={po.busy} data-testid={`po-receive-${o.number}`}>
                    Receive what came
                  </button>
                </Show>
                <Show when={o.status === "draft" || o.status === "sent" || o.status === "partly_received"}>
                  <button type="button" class="danger" onClick={() => void cancel(o)} disabled={po.busy} data-testid={`po-cancel-${o.number}`}>
                    {o.status === "partly_received" ? "Cancel the rest" : "Cancel order"}
                  </button>
                </Show>
              </div>
            </article>
          )}
        </For>
      </Show>
    </section>
  );
}
