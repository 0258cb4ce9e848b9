import { For, Match, onMount, Show, Switch } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { call, newIdempotencyKey, type ProductView, type PurchaseReceiptView, type VendorPaymentView, type VendorTender, type Unit, type VendorView } from "../api";
import { Dialog } from "../components/Dialog";
import { SelectField, TextField } from "../components/Field";
import { formatTime, reportError } from "../errors";
import { createForm, focusField } from "../forms";
import type { PurchaseReceiptLineRequest } from "../generated/PurchaseReceiptLineRequest";
import type { VendorPayRequest } from "../generated/VendorPayRequest";
import { fieldError, formatMoney, requireInteger, requireMoney } from "../money";
import { formatWithUnit, requireQuantity } from "../logic/quantity";
import { can, onSignOut } from "../session";
import { createParty, PartyScreen } from "./parties";

export const vendors = createParty<VendorView>("vendor");

interface VendorExtra {
  /** Payments shown for this vendor (null = none shown). */
  paymentsOf: VendorView | null;
  payments: VendorPaymentView[];
  dialog:
    | { kind: "none" }
    | { kind: "pay"; vendor: VendorView }
    | { kind: "reverse"; payment: VendorPaymentView }
    | { kind: "receive"; vendor: VendorView };
  /** Lines of the purchase receipt being entered. */
  lines: (PurchaseReceiptLineRequest & { sku: string; name: string; quantity_decimals: number; unit: Unit })[];
  lastReceipt: PurchaseReceiptView | null;
}
const initialExtra = (): VendorExtra => ({ paymentsOf: null, payments: [], dialog: { kind: "none" }, lines: [], lastReceipt: null });
export const [vendorExtra, setVendorExtra] = createStore<VendorExtra>(initialExtra());

export const payForm = createForm("pay", () => ({ amount: "", tender: "bank", reference: "", memo: "" }));
export const reverseForm = createForm("reverse", () => ({ reason: "" }));
export const receiptForm = createForm("purchase", () => ({
  reference: "",
  product: "",
  lot_code: "",
  expires_on: "",
  unit_cost: "",
  quantity: "",
}));
let receiptKey = newIdempotencyKey();
let payKey = newIdempotencyKey();
let reverseKey = newIdempotencyKey();

onSignOut(() => {
  setVendorExtra(reconcile(initialExtra()));
  payForm.reset();
  reverseForm.reset();
  receiptForm.reset();
  payKey = newIdempotencyKey();
  reverseKey = newIdempotencyKey();
  receiptKey = newIdempotencyKey();
});

/** One receipt line from the form, for an already-found product. */
export function receiptLine(
  product: { id: number; quantity_decimals?: number; unit?: Unit; track_expiry?: boolean; name?: string },
  v: typeof receiptForm.values,
): PurchaseReceiptLineRequest {
  // Received in the product's unit: "2.5" kg is 2500 g; the cost is per kg.
  const u = { unit: product.unit ?? "each", quantity_decimals: product.quantity_decimals ?? 0 };
  // Expiry is asked only of products that track it, and there it is needed.
  const dated = product.track_expiry === true;
  if (dated && v.expires_on === "") throw fieldError("expires_on", `enter the expiry date (${product.name ?? "this product"} tracks expiry dates)`);
  return {
    product_id: product.id,
    // Left empty, the shop makes one up from the date (2026-12-04-1).
    lot_code: v.lot_code.trim() === "" ? null : v.lot_code.trim(),
    expires_on: dated && v.expires_on !== "" ? v.expires_on : null,
    unit_cost_minor: requireMoney("unit_cost", v.unit_cost),
    quantity: u.quantity_decimals === 0 ? requireInteger("quantity", v.quantity) : requireQuantity("quantity", v.quantity, u),
  };
}

/** The product of a line: a scanned barcode, or an exact SKU. */
async function findProduct(text: string): Promise<ProductView> {
  const query = text.trim();
  if (query === "") throw fieldError("product", "scan a barcode or type a SKU");
  const page = await call("catalog.search", { query, limit: 5 });
  const hit = page.items.find((h) => h.match === "barcode" || h.match === "sku");
  if (!hit) throw fieldError("product", `no product has the barcode or SKU "${query}"`);
  return hit.product;
}

async function addReceiptLine() {
  await receiptForm.submit(async () => {
    const p = await findProduct(receiptForm.values.product);
    const line = receiptLine(p, receiptForm.values);
    setVendorExtra("lines", (l) => [...l, { ...line, sku: p.sku, name: p.name, quantity_decimals: p.quantity_decimals, unit: p.unit }]);
    receiptForm.setValues({ product: "", lot_code: "", expires_on: "", unit_cost: "", quantity: "" });
    focusField("purchase", "product");
  });
}

async function submitReceipt(v: VendorView) {
  const ok = await receiptForm.submit(
    async () => {
      if (vendorExtra.lines.length === 0) throw fieldError("product", "add at least one line");
      const reference = receiptForm.values.reference.trim();
      const receipt = await call("purchasing.receive", {
        idempotency_key: receiptKey,
        vendor_id: v.id,
        ...(reference !== "" ? { reference } : {}),
        lines: vendorExtra.lines.map(({ product_id, lot_code, expires_on, unit_cost_minor, quantity }) => ({
          product_id,
          lot_code,
          expires_on,
          unit_cost_minor,
          quantity,
        })),
      });
      setVendorExtra("lastReceipt", receipt);
    },
    { mapField: (f) => (f === "vendor_id" ? "reference" : f.startsWith("lines") ? "product" : f) },
  );
  if (ok) {
    receiptKey = newIdempotencyKey();
    receiptForm.reset();
    setVendorExtra({ lines: [], dialog: { kind: "none" } });
    await vendors.refreshRow(v.id);
  }
}

/** The pay form as `vendors.pay` arguments (without the key). */
export function payArgs(vendorId: number, v: typeof payForm.values): VendorPayRequest {
  const args: VendorPayRequest = { vendor_id: vendorId, amount_minor: requireMoney("amount", v.amount), tender: v.tender as VendorTender };
  if (v.reference.trim() !== "") args.reference = v.reference.trim();
  if (v.memo.trim() !== "") args.memo = v.memo.trim();
  return args;
}

async function loadPayments(v: VendorView) {
  try {
    const payments = await call("vendors.payments", { vendor_id: v.id, limit: 200 });
    setVendorExtra({ paymentsOf: v, payments });
  } catch (e) {
    reportError(e);
  }
}

const closeDialog = () => setVendorExtra("dialog", { kind: "none" });

async function submitPay(v: VendorView) {
  const ok = await payForm.submit(
    async () => {
      await call("vendors.pay", { idempotency_key: payKey, ...payArgs(v.id, payForm.values) });
    },
    { mapField: (f) => (f === "amount_minor" ? "amount" : f) },
  );
  if (ok) {
    payKey = newIdempotencyKey();
    payForm.reset();
    closeDialog();
    const fresh = await vendors.refreshRow(v.id);
    await loadPayments(fresh ?? v);
  }
}

async function submitReverse(p: VendorPaymentView) {
  const ok = await reverseForm.submit(async () => {
    await call("vendors.reverse_payment", { idempotency_key: reverseKey, payment_id: p.id, reason: reverseForm.values.reason.trim() });
  });
  if (ok) {
    reverseKey = newIdempotencyKey();
    reverseForm.reset();
    closeDialog();
    const fresh = await vendors.refreshRow(p.vendor_id);
    if (vendorExtra.paymentsOf) await loadPayments(fresh ?? vendorExtra.paymentsOf);
  }
}

export function Vendors() {
  onMount(() => void vendors.load());
  const manage = () => can("vendors.manage");
  const pay = () => can("vendors.pay");
  return (
    <PartyScreen
      party={vendors}
      title="Vendors"
      manage={manage()}
      columns={<></>}
      cells={() => <></>}
      actions={(v) => (
        <>
          <button type="button" onClick={() => void loadPayments(v)} data-testid={`vendor-payments-${v.id}`}>
            Payments
          </button>
          <Show when={manage() && !v.archived}>
            <button
              type="button"
              onClick={() => {
                receiptForm.clearErrors();
                setVendorExtra({ dialog: { kind: "receive", vendor: v }, lastReceipt: null });
              }}
              data-testid={`vendor-receive-${v.id}`}
            >
              Receive goods…
            </button>
          </Show>
          <Show when={pay() && !v.archived}>
            <button
              type="button"
              onClick={() => {
                payForm.clearErrors();
                setVendorExtra("dialog", { kind: "pay", vendor: v });
              }}
              data-testid={`vendor-pay-${v.id}`}
            >
              Pay…
            </button>
          </Show>
        </>
      )}
    >
      <Show when={vendorExtra.lastReceipt}>
        {(r) => (
          <p class="notice" data-testid="purchase-last">
            Receipt {r().number}: {r().batch_ids.length} batch(es), total cost {formatMoney(r().total_minor)} owed to the vendor.
          </p>
        )}
      </Show>
      <Show when={vendorExtra.paymentsOf}>
        {(v) => (
          <>
            <h2>Payments to {v().name}</h2>
            <table class="grid" data-testid="payments-table">
              <thead>
                <tr>
                  <th>No.</th>
                  <th>Paid</th>
                  <th class="num">Amount</th>
                  <th>Tender</th>
                  <th>Reference</th>
                  <th>Memo</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                <For each={vendorExtra.payments} fallback={<tr><td colspan="7" class="muted">No payments to this vendor yet — pay a bill with “Pay…”.</td></tr>}>
                  {(p) => (
                    <tr data-testid={`payment-row-${p.id}`} classList={{ archived: p.reversal !== null }}>
                      <td>{p.number}</td>
                      <td class="nowrap">{formatTime(p.paid_at_ms)}</td>
                      <td class="num">{formatMoney(p.amount_minor)}</td>
                      <td>{p.tender}</td>
                      <td>{p.reference ?? "—"}</td>
                      <td>{p.memo}</td>
                      <td>
                        <Show
                          when={p.reversal === null}
                          fallback={<span title={p.reversal?.reason}>reversed: {p.reversal?.reason}</span>}
                        >
                          <Show when={pay()} fallback="paid">
                            <button
                              type="button"
                              class="danger"
                              onClick={() => {
                                reverseForm.reset();
                                setVendorExtra("dialog", { kind: "reverse", payment: p });
                              }}
                              data-testid={`payment-reverse-${p.id}`}
                            >
                              Reverse…
                            </button>
                          </Show>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </>
        )}
      </Show>
      <Switch>
        <Match when={vendorExtra.dialog.kind === "pay" && vendorExtra.dialog}>
          {(d) => (
            <Dialog title={`Pay ${d().vendor.name}`} testid="pay-dialog" onClose={closeDialog}>
              <form data-testid="pay-form" onSubmit={(e) => (e.preventDefault(), void submitPay(d().vendor))}>
                <p class="muted">We owe {formatMoney(d().vendor.balance_minor)}.</p>
                <div class="row">
                  <TextField form={payForm} name="amount" label="Amount" inputmode="numeric" autofocus />
                  <SelectField
                    form={payForm}
                    name="tender"
                    label="From"
                    options={[
                      { value: "bank", label: "Bank" },
                      { value: "cash", label: "Cash" },
                    ]}
                  />
                </div>
                <TextField form={payForm} name="reference" label="Reference (optional)" />
                <TextField form={payForm} name="memo" label="Memo (optional)" />
                <div class="actions">
                  <button type="submit" class="primary" data-testid="pay-submit" disabled={payForm.busy()}>
                    Pay
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
        <Match when={vendorExtra.dialog.kind === "receive" && vendorExtra.dialog}>
          {(d) => (
            <Dialog title={`Receive goods from ${d().vendor.name}`} testid="purchase-dialog" onClose={closeDialog}>
              <form data-testid="purchase-form" onSubmit={(e) => (e.preventDefault(), void addReceiptLine())}>
                <TextField form={receiptForm} name="reference" label="Delivery note / invoice (optional)" autofocus />
                <table class="grid" data-testid="purchase-lines">
                  <thead>
                    <tr>
                      <th>Product</th>
                      <th>Lot</th>
                      <th>Expires</th>
                      <th class="num">Unit cost</th>
                      <th class="num">Qty</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    <For each={vendorExtra.lines} fallback={<tr><td colspan="6" class="muted">No lines yet: add one below (Enter).</td></tr>}>
                      {(l, i) => (
                        <tr data-testid={`purchase-line-${i()}`}>
                          <td>
                            {l.sku} — {l.name}
                          </td>
                          <td>{l.lot_code ?? "made on receipt"}</td>
                          <td>{l.expires_on ?? "—"}</td>
                          <td class="num">{formatMoney(l.unit_cost_minor)}</td>
                          <td class="num">{formatWithUnit(l.quantity, l)}</td>
                          <td>
                            <button
                              type="button"
                              onClick={() => setVendorExtra("lines", (ls) => ls.filter((_, j) => j !== i()))}
                              data-testid={`purchase-line-remove-${i()}`}
                            >
                              Remove
                            </button>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
                <div class="row">
                  <TextField form={receiptForm} name="product" label="Barcode or SKU" />
                  <TextField form={receiptForm} name="lot_code" label="Lot (optional)" hint="left empty, one is made from today's date" />
                  <TextField form={receiptForm} name="expires_on" label="Expiry date" type="date" hint="only for products that track expiry dates" />
                </div>
                <div class="row">
                  <TextField form={receiptForm} name="unit_cost" label="Unit cost" inputmode="numeric" />
                  <TextField form={receiptForm} name="quantity" label="Quantity" inputmode="numeric" />
                </div>
                <div class="actions">
                  <button type="submit" data-testid="purchase-add-line" disabled={receiptForm.busy()}>
                    Add line
                  </button>
                  <button
                    type="button"
                    class="primary"
                    onClick={() => void submitReceipt(d().vendor)}
                    disabled={receiptForm.busy() || vendorExtra.lines.length === 0}
                    data-testid="purchase-submit"
                  >
                    Receive {vendorExtra.lines.length} line(s)
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
        <Match when={vendorExtra.dialog.kind === "reverse" && vendorExtra.dialog}>
          {(d) => (
            <Dialog title={`Reverse payment ${d().payment.number}?`} testid="reverse-dialog" onClose={closeDialog}>
              <form data-testid="reverse-form" onSubmit={(e) => (e.preventDefault(), void submitReverse(d().payment))}>
                <p>
                  A new entry takes back {formatMoney(d().payment.amount_minor)}; the payment itself stays in the books.
                </p>
                <TextField form={reverseForm} name="reason" label="Reason (required)" autofocus />
                <div class="actions">
                  <button type="submit" class="danger" data-testid="reverse-submit" disabled={reverseForm.busy()}>
                    Reverse payment
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
      </Switch>
    </PartyScreen>
  );
}
