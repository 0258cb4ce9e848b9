// "Refund without receipt" (`sales.refund_unreceipted`): the customer brings
// goods back without the receipt, so the cashier picks products (searched by
// name or scanned barcode, like the till), not order lines. The core prices
// them as they sell today; the money comes out of the drawer in cash or goes
// onto a customer's store credit. A cashier's role may not do this alone, so
// the call goes through `withApproval`: the manager types their PIN on the
// cashier's screen. The result says what to hand back and shows a slip.

import { For, Show } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import { call, newIdempotencyKey, type CustomerView, type RefundStockDisposition } from "../api";
import { withApproval } from "../components/Approval";
import { Dialog } from "../components/Dialog";
import { SelectField, TextField } from "../components/Field";
import type { ProductSearchHit } from "../generated/ProductSearchHit";
import type { ProductView } from "../generated/ProductView";
import type { UnreceiptedLineInput } from "../generated/UnreceiptedLineInput";
import type { UnreceiptedRefundTo } from "../generated/UnreceiptedRefundTo";
import type { UnreceiptedRefundView } from "../generated/UnreceiptedRefundView";
import { formatTime, reportError } from "../errors";
import { createForm } from "../forms";
import { lineField } from "../logic/till";
import { latestOnly } from "../logic/seq";
import { fieldError, formatMoney } from "../money";
import { formatWithUnit, quantityHint, requireQuantity } from "../logic/quantity";
import { app, onSignOut } from "../session";
import { handBackPhrase, handBackWords } from "../logic/handBack";

/** The core takes at most 100 lines; a return at the counter is a few items. */
export const MAX_NO_RECEIPT_LINES = 100;
const SEARCH_LIMIT = 8;
const CUSTOMER_LIMIT = 8;

/** A refund done, with what was sent, for the slip (the view names no products). */
export interface NoReceiptSlip {
  refund: UnreceiptedRefundView;
  lines: { name: string; quantity: string; damaged: boolean }[];
  reason: string;
  customerName: string | null;
  at_ms: number;
}

interface NoReceiptState {
  open: boolean;
  query: string;
  hits: ProductSearchHit[];
  /** The products coming back, in the order picked; fields `qty-<id>`/`stock-<id>` in the form. */
  products: ProductView[];
  customerQuery: string;
  customerHits: CustomerView[];
  customer: CustomerView | null;
  slip: NoReceiptSlip | null;
}

const initialState = (): NoReceiptState => ({
  open: false,
  query: "",
  hits: [],
  products: [],
  customerQuery: "",
  customerHits: [],
  customer: null,
  slip: null,
});

export const [noReceipt, setNoReceipt] = createStore<NoReceiptState>(initialState());
// `search` and `customer` hold no value (their text lives in the store); they are here so an
// error about them ("scan or search the products", "pick the customer") shows beside them.
export const noReceiptForm = createForm<Record<string, string>>("no-receipt", () => ({ reason: "", refund_to: "cash", search: "", customer: "" }));
let refundKey = newIdempotencyKey();
const searchSeq = latestOnly();
const customerSeq = latestOnly();

onSignOut(() => {
  setNoReceipt(reconcile(initialState()));
  noReceiptForm.reset();
  refundKey = newIdempotencyKey();
});

export function openNoReceipt(): void {
  refundKey = newIdempotencyKey();
  noReceiptForm.reset();
  setNoReceipt({ ...initialState(), open: true });
}

export function closeNoReceipt(): void {
  setNoReceipt("open", false);
}

export async function searchNoReceiptProducts(text: string): Promise<void> {
  setNoReceipt("query", text);
  const token = searchSeq.next();
  const q = text.trim();
  if (q === "") {
    setNoReceipt("hits", []);
    return;
  }
  try {
    const page = await call("catalog.search", { query: q, limit: SEARCH_LIMIT });
    if (searchSeq.isLatest(token)) setNoReceipt("hits", page.items);
  } catch (e) {
    if (searchSeq.isLatest(token)) reportError(e);
  }
}

/** Adds a product to the refund (once; picking it again keeps its line). */
export function pickProduct(p: ProductView): void {
  // A search still on its way must not bring the list back over the picked line.
  searchSeq.next();
  setNoReceipt({ query: "", hits: [] });
  if (noReceipt.products.some((x) => x.id === p.id)) return;
  if (noReceipt.products.length >= MAX_NO_RECEIPT_LINES) {
    reportError(fieldError("search", `at most ${MAX_NO_RECEIPT_LINES} products in one refund`));
    return;
  }
  // A scale label carries no weight here: the cashier weighs what came back and types it.
  noReceiptForm.setValues({ [`qty-${p.id}`]: p.quantity_decimals ? "" : "1", [`stock-${p.id}`]: "restock" });
  setNoReceipt("products", (ps) => [...ps, p]);
}

export function removeProduct(id: number): void {
  setNoReceipt("products", (ps) => ps.filter((p) => p.id !== id));
}

/** Enter in the search: an exact barcode/SKU (a scan) or a lone hit goes straight in. */
export async function pickFromSearch(): Promise<void> {
  const q = noReceipt.query.trim();
  if (q === "") return;
  try {
    const page = await call("catalog.search", { query: q, limit: SEARCH_LIMIT });
    const exact = page.items.find((h) => h.match === "barcode" || h.match === "sku" || h.match === "scale_code");
    const pick = exact ?? (page.items.length === 1 ? page.items[0] : undefined);
    if (pick) pickProduct(pick.product);
    else if (page.items.length === 0) reportError(fieldError("search", `no product has the name or code “${q}”`));
    else setNoReceipt("hits", page.items);
  } catch (e) {
    reportError(e);
  }
}

export async function searchNoReceiptCustomers(text: string): Promise<void> {
  setNoReceipt("customerQuery", text);
  const token = customerSeq.next();
  if (text.trim() === "") {
    setNoReceipt("customerHits", []);
    return;
  }
  try {
    const rows = await call("customers.search", { prefix: text.trim(), limit: CUSTOMER_LIMIT });
    if (customerSeq.isLatest(token)) setNoReceipt("customerHits", rows);
  } catch (e) {
    if (customerSeq.isLatest(token)) reportError(e);
  }
}

export function pickCustomer(c: CustomerView | null): void {
  setNoReceipt({ customer: c, customerQuery: "", customerHits: [] });
  noReceiptForm.setError("customer", undefined);
}

/** The form as `sales.refund_unreceipted` lines, at each product's precision. */
export function noReceiptLines(products: readonly ProductView[], values: Record<string, string>): UnreceiptedLineInput[] {
  if (products.length === 0) throw fieldError("search", "scan or search the products that came back");
  return products.map((p) => ({
    product_id: p.id,
    quantity: requireQuantity(`qty-${p.id}`, values[`qty-${p.id}`] ?? "", p),
    // Untracked products have no stock to return to; "restock" is what the core expects then.
    stock: ((p.track_stock === false ? "restock" : values[`stock-${p.id}`]) ?? "restock") as RefundStockDisposition,
  }));
}

export async function submitNoReceipt(): Promise<boolean> {
  let sent: UnreceiptedLineInput[] = [];
  let done: UnreceiptedRefundView | null = null;
  const products = [...noReceipt.products];
  const ok = await noReceiptForm.submit(
    async () => {
      const v = noReceiptForm.values;
      sent = noReceiptLines(products, v);
      const refundTo = v.refund_to as UnreceiptedRefundTo;
      const customer = noReceipt.customer;
      if (refundTo === "store_credit" && customer === null) throw fieldError("customer", "pick the customer whose store credit this goes to");
      const reason = v.reason.trim();
      if (reason === "") throw fieldError("reason", "say why it comes back without a receipt");
      done = await withApproval((approval) =>
        call("sales.refund_unreceipted", {
          idempotency_key: refundKey,
          lines: sent,
          refund_to: refundTo,
          customer_id: refundTo === "store_credit" ? (customer?.id ?? null) : null,
          reason,
          approval,
        }),
      );
    },
    {
      // `lines[1].quantity` is the second product sent: show it beside that product.
      mapField: (f) => {
        const lf = lineField(f);
        const line = lf ? sent[lf.index] : undefined;
        return line ? `qty-${line.product_id}` : f === "customer_id" ? "customer" : f;
      },
    },
  );
  if (ok && done) {
    const r: UnreceiptedRefundView = done;
    refundKey = newIdempotencyKey();
    const slip: NoReceiptSlip = {
      refund: r,
      lines: sent.map((l) => {
        const p = products.find((x) => x.id === l.product_id);
        return { name: p?.name ?? `Product #${l.product_id}`, quantity: p ? formatWithUnit(l.quantity, p) : String(l.quantity), damaged: l.stock === "damage" };
      }),
      reason: noReceiptForm.values.reason.trim(),
      customerName: r.refund_to === "store_credit" ? (noReceipt.customer?.name ?? null) : null,
      at_ms: Date.now(),
    };
    setNoReceipt(
      produce((s) => {
        s.open = false;
        s.slip = slip;
      }),
    );
  }
  return ok;
}

/** The sentence on screen after the refund: "Refund without receipt #3: Give 4.52 cash." */
export function noReceiptNotice(r: Pick<UnreceiptedRefundView, "number" | "hand_back">): string {
  return `Refund without receipt #${r.number}: ${handBackWords(r)}.`;
}

/** The printable slip of a refund without receipt (the print stylesheet keeps `receipt`). */
export function NoReceiptSlipView(props: { slip: NoReceiptSlip }) {
  const r = () => props.slip.refund;
  return (
    <div class="card refund-slip-card" data-testid="no-receipt-result">
      <p class="hand-back no-print" data-testid="no-receipt-hand-back">
        <strong>{noReceiptNotice(r())}</strong>
      </p>
      <div class="receipt refund-slip" data-testid="no-receipt-slip" data-refund-id={r().id}>
        <div class="receipt-head">
          <div>{app.shop?.name ?? app.shopName ?? "Tillbook"}</div>
          <h2>
            Refund without receipt #<span data-testid="no-receipt-slip-number">{r().number}</span>
          </h2>
          <div class="muted">{formatTime(props.slip.at_ms)}</div>
        </div>
        <table>
          <tbody>
            <For each={props.slip.lines}>
              {(l) => (
                <tr>
                  <td colspan="2">
                    {l.quantity} × {l.name}
                    {l.damaged ? " (damaged)" : ""}
                  </td>
                </tr>
              )}
            </For>
            <tr class="zr-strong">
              <td>Refunded</td>
              <td class="num" data-testid="no-receipt-slip-total">
                {formatMoney(r().total_minor)}
              </td>
            </tr>
            <For each={r().hand_back}>
              {(h) => (
                <tr class="receipt-sub" data-testid={`no-receipt-slip-${h.action}`}>
                  <td>{handBackPhrase(h).replace(/^./, (c) => c.toUpperCase())}</td>
                  <td class="num">{formatMoney(h.amount_minor)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <Show when={props.slip.customerName}>{(n) => <p class="muted">Store credit for {n()}</p>}</Show>
        <p class="muted">Reason: {props.slip.reason}</p>
      </div>
      <div class="actions no-print">
        <button type="button" onClick={() => window.print()} data-testid="no-receipt-slip-print">
          Print slip
        </button>
        <button type="button" onClick={() => setNoReceipt("slip", null)} data-testid="no-receipt-slip-done">
          Done
        </button>
      </div>
    </div>
  );
}

export function NoReceiptDialog() {
  const storeCredit = () => noReceiptForm.values.refund_to === "store_credit";
  return (
    <Dialog title="Refund without receipt" testid="no-receipt-dialog" onClose={closeNoReceipt}>
      <form data-testid="no-receipt-form" onSubmit={(e) => (e.preventDefault(), void submitNoReceipt())}>
        <p class="muted">Priced as the products sell today. A cashier needs a manager to approve it.</p>
        <div class="field" classList={{ invalid: !!noReceiptForm.errors["search"] }}>
          <label for="no-receipt-search">Product (scan, or type a name, Enter)</label>
          <input
            id="no-receipt-search"
            type="search"
            autocomplete="off"
            value={noReceipt.query}
            onInput={(e) => void searchNoReceiptProducts(e.currentTarget.value)}
            onKeyDown={(e) => {
              // Enter picks here instead of sending the whole refund.
              if (e.key === "Enter") {
                e.preventDefault();
                void pickFromSearch();
              }
            }}
            data-testid="no-receipt-search"
          />
          <Show when={noReceiptForm.errors["search"]}>
            {(m) => (
              <span class="field-error" role="alert" data-testid="field-error-search">
                {m()}
              </span>
            )}
          </Show>
        </div>
        <Show when={noReceipt.hits.length > 0}>
          <ul class="hits" data-testid="no-receipt-hits">
            <For each={noReceipt.hits}>
              {(h) => (
                <li>
                  <button type="button" onClick={() => pickProduct(h.product)} data-testid={`no-receipt-hit-${h.product.id}`}>
                    {h.product.name} <span class="muted">{formatMoney(h.product.price_minor)}</span>
                  </button>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <table class="grid refund-lines" data-testid="no-receipt-lines">
          <thead>
            <tr>
              <th>Product</th>
              <th>Comes back</th>
              <th>Stock</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <For each={noReceipt.products} fallback={<tr><td colspan="4" class="muted">No products yet.</td></tr>}>
              {(p) => (
                <tr data-testid={`no-receipt-line-${p.id}`}>
                  <td>
                    {p.name}
                    <div class="muted">{formatMoney(p.price_minor)} today</div>
                  </td>
                  <td>
                    <TextField form={noReceiptForm} name={`qty-${p.id}`} label={p.quantity_decimals ? p.unit : "Units"} hint={p.quantity_decimals ? quantityHint(p) : undefined} inputmode={p.quantity_decimals ? "text" : "numeric"} />
                  </td>
                  <td>
                    <SelectField
                      form={noReceiptForm}
                      name={`stock-${p.id}`}
                      label={p.track_stock === false ? "Not counted" : "Goes"}
                      disabled={p.track_stock === false}
                      options={[
                        { value: "restock", label: "Back to stock" },
                        { value: "damage", label: "Damaged" },
                      ]}
                    />
                  </td>
                  <td>
                    <button type="button" onClick={() => removeProduct(p.id)} data-testid={`no-receipt-remove-${p.id}`} title="Take this product off the refund">
                      Remove
                    </button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <SelectField
          form={noReceiptForm}
          name="refund_to"
          label="Money back as"
          options={[
            { value: "cash", label: "Cash from the drawer" },
            { value: "store_credit", label: "Store credit for a customer" },
          ]}
        />
        <Show when={storeCredit()}>
          <div class="field" classList={{ invalid: !!noReceiptForm.errors["customer"] }}>
            <label for="no-receipt-customer">Customer</label>
            <Show
              when={noReceipt.customer}
              fallback={
                <input
                  id="no-receipt-customer"
                  type="search"
                  autocomplete="off"
                  placeholder="Phone, email or name…"
                  value={noReceipt.customerQuery}
                  onInput={(e) => void searchNoReceiptCustomers(e.currentTarget.value)}
                  onKeyDown={(e) => e.key === "Enter" && e.preventDefault()}
                  data-testid="no-receipt-customer-search"
                />
              }
            >
              {(c) => (
                <div>
                  <span data-testid="no-receipt-customer" data-customer-id={c().id}>
                    {c().name} <span class="muted">(store credit {formatMoney(c().store_credit_minor)})</span>
                  </span>{" "}
                  <button type="button" onClick={() => pickCustomer(null)} data-testid="no-receipt-customer-remove">
                    Change
                  </button>
                </div>
              )}
            </Show>
            <Show when={noReceiptForm.errors["customer"]}>
              {(m) => (
                <span class="field-error" role="alert" data-testid="field-error-customer">
                  {m()}
                </span>
              )}
            </Show>
            <Show when={!noReceipt.customer && noReceipt.customerHits.length > 0}>
              <ul class="hits">
                <For each={noReceipt.customerHits}>
                  {(c) => (
                    <li>
                      <button type="button" onClick={() => pickCustomer(c)} data-testid={`no-receipt-customer-hit-${c.id}`}>
                        {c.name} <span class="muted">{c.phone ?? c.email ?? ""}</span>
                      </button>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </div>
        </Show>
        <TextField form={noReceiptForm} name="reason" label="Reason" maxLength={500} />
        <div class="actions">
          <button type="button" onClick={closeNoReceipt} data-testid="no-receipt-cancel">
            Cancel
          </button>
          <span class="spacer" />
          <button type="submit" class="primary" data-testid="no-receipt-submit" disabled={noReceiptForm.busy()}>
            Refund
          </button>
        </div>
      </form>
    </Dialog>
  );
}
