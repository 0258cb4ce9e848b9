import { For, Match, Show, Switch, onMount } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import {
  call,
  newIdempotencyKey,
  type AdjustKind,
  type AdjustRequest,
  type BatchView,
  type MovementView,
  type ProductView,
  type ReceiveRequest,
} from "../api";
import { Dialog } from "../components/Dialog";
import { SelectField, TextField } from "../components/Field";
import { formatTime, reportError } from "../errors";
import { autofocus, createForm } from "../forms";
import { fieldError, formatMoney, requireInteger, requireMoney } from "../money";
import { formatQuantity, quantityHint, requireQuantity, type QuantityUnit } from "../logic/quantity";
import { can, onSignOut, setApp } from "../session";
import { StockList } from "./StockList";

type DialogState = { kind: "none" } | { kind: "receive" } | { kind: "adjust"; batch: BatchView };

interface StockState {
  lookup: string;
  product: ProductView | null;
  /** Several products matched the lookup: pick one. */
  choices: ProductView[];
  batches: BatchView[];
  includeEmpty: boolean;
  movements: MovementView[];
  /** Movement history of one batch, or (null) of the whole product. */
  movementsBatch: number | null;
  moreMovements: boolean;
  loading: boolean;
  dialog: DialogState;
}

const initialState = (): StockState => ({
  lookup: "",
  product: null,
  choices: [],
  batches: [],
  includeEmpty: false,
  movements: [],
  movementsBatch: null,
  moreMovements: false,
  loading: false,
  dialog: { kind: "none" },
});

export const [stock, setStock] = createStore<StockState>(initialState());

export const receiveForm = createForm("receive", () => ({
  lot_code: "",
  expires_on: "",
  unit_cost: "",
  quantity: "",
  reason: "",
}));
export const adjustForm = createForm("adjust", () => ({ kind: "adjustment", quantity: "", reason: "" }));
let receiveKey = newIdempotencyKey();
let adjustKey = newIdempotencyKey();

onSignOut(() => {
  setStock(reconcile(initialState()));
  receiveForm.reset();
  adjustForm.reset();
  receiveKey = newIdempotencyKey();
  adjustKey = newIdempotencyKey();
});

export const MOVEMENTS_PAGE = 100;

export const ADJUST_KINDS: readonly { value: AdjustKind; label: string }[] = [
  { value: "adjustment", label: "Adjustment (+/−)" },
  { value: "sample", label: "Sample (out)" },
  { value: "damage", label: "Damage (out)" },
  { value: "write_off", label: "Write-off (out)" },
];

export const MOVEMENT_LABELS: Record<MovementView["kind"], string> = {
  receive: "Receive",
  sale: "Sale",
  return: "Return",
  adjustment: "Adjustment",
  count_variance: "Count variance",
  sample: "Sample",
  damage: "Damage",
  write_off: "Write-off",
};

/** Opens the Stock screen on a product (from Products). */
export function showStockFor(p: ProductView): void {
  setStock({ product: p, lookup: p.sku, choices: [], movementsBatch: null });
  setApp("screen", "stock");
  void loadStock();
}

/** Enter in the lookup: a barcode, SKU or name; one match (or an exact one) opens it. */
export async function lookupProduct(): Promise<void> {
  const query = stock.lookup.trim();
  if (query === "") return;
  try {
    const page = await call("catalog.search", { query, limit: 20 });
    const first = page.items[0];
    if (!first) {
      setStock("choices", []);
      reportError(fieldError("lookup", `no product matches "${query}"`));
      return;
    }
    if (page.items.length === 1 || first.match === "barcode" || first.match === "sku") {
      setStock({ product: first.product, choices: [], movementsBatch: null });
      await loadStock();
    } else {
      setStock("choices", page.items.map((i) => i.product));
    }
  } catch (e) {
    reportError(e);
  }
}

async function pick(p: ProductView) {
  setStock({ product: p, choices: [], lookup: p.sku, movementsBatch: null });
  await loadStock();
}

/** Product (fresh on-hand), its batches and the first page of movements. */
/** Opens a product's batches from the stock list. */
async function pickById(id: number) {
  const p = await call("catalog.get_product", { id });
  await pick(p);
}

export async function loadStock(): Promise<void> {
  const p = stock.product;
  if (!p) return;
  setStock("loading", true);
  try {
    const [fresh, batches] = await Promise.all([
      call("catalog.get_product", { id: p.id }),
      call("stock.batches", { product_id: p.id, include_empty: stock.includeEmpty, limit: 200 }),
    ]);
    setStock({ product: fresh, batches });
    await loadMovements(false);
  } catch (e) {
    reportError(e);
  } finally {
    setStock("loading", false);
  }
}

export async function loadMovements(older: boolean): Promise<void> {
  const p = stock.product;
  if (!p) return;
  const last = stock.movements[stock.movements.length - 1];
  try {
    const page = await call("stock.movements", {
      ...(stock.movementsBatch !== null ? { batch_id: stock.movementsBatch } : { product_id: p.id }),
      before_id: older && last ? last.id : null,
      limit: MOVEMENTS_PAGE,
    });
    setStock({ movements: older ? [...stock.movements, ...page] : page, moreMovements: page.length === MOVEMENTS_PAGE });
  } catch (e) {
    reportError(e);
  }
}

/** The receive form as `stock.receive` arguments (without the key). */
export function receiveArgs(productId: number, v: typeof receiveForm.values, u: QuantityUnit = WHOLE): ReceiveRequest {
  const args: ReceiveRequest = {
    product_id: productId,
    // Left empty, the shop makes one up from the date (2026-12-04-1).
    lot_code: v.lot_code.trim() === "" ? null : v.lot_code.trim(),
    expires_on: v.expires_on === "" ? null : v.expires_on,
    unit_cost_minor: requireMoney("unit_cost", v.unit_cost === "" ? "0" : v.unit_cost),
    // At the product's precision: "2.5" kg is received as 2500 g.
    quantity: u.quantity_decimals === 0 ? requireInteger("quantity", v.quantity) : requireQuantity("quantity", v.quantity, u),
  };
  if (v.reason.trim() !== "") args.reason = v.reason.trim();
  return args;
}

/** The adjust form as `stock.adjust` arguments: out-kinds take a positive quantity out. */
export function adjustArgs(batchId: number, v: typeof adjustForm.values, u: QuantityUnit = WHOLE): AdjustRequest {
  const kind = v.kind as AdjustKind;
  const quantity = u.quantity_decimals === 0 ? requireInteger("quantity", v.quantity, kind === "adjustment") : signedQuantity(v.quantity, u, kind === "adjustment");
  if (quantity === 0) throw fieldError("quantity", "a movement of 0 changes nothing");
  if (v.reason.trim() === "") throw fieldError("reason", "say why (required)");
  return { batch_id: batchId, kind, quantity, reason: v.reason.trim() };
}

/** Whole units: the default for a product read before units had decimals. */
const WHOLE: QuantityUnit = { unit: "each", quantity_decimals: 0 };

/** "-0.250" kg -> -250 (a sign only where the kind allows one). */
function signedQuantity(text: string, u: QuantityUnit, allowNegative: boolean): number {
  const t = text.trim();
  const negative = allowNegative && t.startsWith("-");
  const q = requireQuantity("quantity", negative || t.startsWith("+") ? t.slice(1) : t, u);
  return negative ? -q : q;
}

/** A stock quantity of the shown product at its precision ("1.250" kg). */
function qty(n: number): string {
  const p = stock.product;
  return p ? formatQuantity(n, p.quantity_decimals) : String(n);
}

const mapStockField = (f: string) => (f === "unit_cost_minor" ? "unit_cost" : f);

export async function submitReceive(): Promise<boolean> {
  const p = stock.product;
  if (!p) return false;
  const ok = await receiveForm.submit(
    async () => {
      await call("stock.receive", { idempotency_key: receiveKey, ...receiveArgs(p.id, receiveForm.values, p) });
    },
    { mapField: mapStockField },
  );
  if (ok) {
    receiveKey = newIdempotencyKey();
    receiveForm.reset();
    setStock("dialog", { kind: "none" });
    await loadStock();
  }
  return ok;
}

async function submitAdjust(b: BatchView) {
  const ok = await adjustForm.submit(async () => {
    await call("stock.adjust", { idempotency_key: adjustKey, ...adjustArgs(b.id, adjustForm.values, stock.product ?? WHOLE) });
  });
  if (ok) {
    adjustKey = newIdempotencyKey();
    adjustForm.reset();
    setStock("dialog", { kind: "none" });
    await loadStock();
  }
}

const close = () => setStock("dialog", { kind: "none" });

export function Stock() {
  const adjust = () => can("stock.adjust");
  onMount(() => {
    if (stock.product) void loadStock();
  });

  return (
    <section class="panel" data-testid="stock">
      <div class="toolbar">
        <h1>Stock</h1>
        <span class="spacer" />
        <Show when={stock.product}>
          <label class="inline">
            <input
              type="checkbox"
              checked={stock.includeEmpty}
              onChange={(e) => {
                setStock("includeEmpty", e.currentTarget.checked);
                void loadStock();
              }}
              data-testid="stock-include-empty"
            />
            Show empty batches
          </label>
          <button type="button" onClick={() => void loadStock()} data-testid="stock-refresh" disabled={stock.loading}>
            Refresh
          </button>
          <Show when={adjust() && !stock.product?.archived}>
            <button type="button" class="primary" onClick={() => setStock("dialog", { kind: "receive" })} data-testid="stock-receive">
              Receive stock
            </button>
          </Show>
        </Show>
      </div>

      <form
        class="filters search"
        onSubmit={(e) => {
          e.preventDefault();
          void lookupProduct();
        }}
      >
        <div class="field">
          <label for="stock-lookup">Product (scan, SKU or name, then Enter)</label>
          <input
            id="stock-lookup"
            type="search"
            autocomplete="off"
            value={stock.lookup}
            onInput={(e) => setStock("lookup", e.currentTarget.value)}
            onChange={(e) => setStock("lookup", e.currentTarget.value)}
            data-testid="stock-lookup"
            ref={autofocus}
          />
        </div>
      </form>

      <Show when={stock.choices.length > 0}>
        <ul class="choices" data-testid="stock-choices">
          <For each={stock.choices}>
            {(p) => (
              <li>
                <button type="button" onClick={() => void pick(p)} data-testid={`stock-pick-${p.sku}`}>
                  {p.sku} — {p.name}
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>

      <Show when={stock.product} fallback={<p class="muted">Scan or type a product to see its batches and movements.</p>}>
        {(p) => (
          <>
            <p class="lead" data-testid="stock-product">
              <strong>{p().name}</strong> <span class="muted">({p().sku})</span> — on hand{" "}
              <strong data-testid="stock-on-hand">{qty(p().on_hand)}</strong>, available{" "}
              <strong data-testid="stock-available">{qty(p().available)}</strong> {p().unit}
              <Show when={!p().track_stock}> — stock is not tracked for this product</Show>
            </p>

            <h2>Batches</h2>
            <table class="grid" data-testid="batches-table">
              <thead>
                <tr>
                  <th>Batch</th>
                  <th>Lot</th>
                  <th>Expires</th>
                  <th class="num">Unit cost</th>
                  <th class="num">Received</th>
                  <th class="num">On hand</th>
                  <th class="num">Reserved</th>
                  <th class="num">Available</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                <For each={stock.batches} fallback={<tr><td colspan="9" class="muted">No batches in stock.</td></tr>}>
                  {(b) => (
                    <tr data-testid={`batch-row-${b.id}`} data-lot={b.lot_code} classList={{ selected: stock.movementsBatch === b.id }}>
                      <td>#{b.id}</td>
                      <td>{b.lot_code}</td>
                      <td>{b.expires_on ?? "—"}</td>
                      <td class="num">{formatMoney(b.unit_cost_minor)}</td>
                      <td class="num">{qty(b.received_quantity)}</td>
                      <td class="num" data-testid={`batch-on-hand-${b.id}`}>
                        {qty(b.on_hand)}
                      </td>
                      <td class="num">{qty(b.reserved)}</td>
                      <td class="num">{qty(b.available)}</td>
                      <td>
                        <div class="row-actions">
                          <button
                            type="button"
                            onClick={() => {
                              setStock("movementsBatch", stock.movementsBatch === b.id ? null : b.id);
                              void loadMovements(false);
                            }}
                            data-testid={`batch-history-${b.id}`}
                          >
                            {stock.movementsBatch === b.id ? "All batches" : "History"}
                          </button>
                          <Show when={adjust()}>
                            <button
                              type="button"
                              onClick={() => {
                                adjustForm.clearErrors();
                                setStock("dialog", { kind: "adjust", batch: b });
                              }}
                              data-testid={`batch-adjust-${b.id}`}
                            >
                              Adjust
                            </button>
                          </Show>
                        </div>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>

            <h2>
              Movement history{" "}
              <span class="muted">{stock.movementsBatch !== null ? `(batch #${stock.movementsBatch})` : "(all batches)"}</span>
            </h2>
            <table class="grid" data-testid="movements-table">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Batch</th>
                  <th>Kind</th>
                  <th class="num">Quantity</th>
                  <th>Reason</th>
                  <th>Source</th>
                </tr>
              </thead>
              <tbody>
                <For each={stock.movements} fallback={<tr><td colspan="6" class="muted">No movements.</td></tr>}>
                  {(m) => (
                    <tr data-testid={`movement-row-${m.id}`} data-kind={m.kind} data-quantity={m.quantity}>
                      <td class="nowrap">{formatTime(m.at_ms)}</td>
                      <td>#{m.batch_id}</td>
                      <td>{MOVEMENT_LABELS[m.kind] ?? m.kind}</td>
                      <td class="num">{m.quantity > 0 ? `+${qty(m.quantity)}` : qty(m.quantity)}</td>
                      <td>{m.reason}</td>
                      <td class="muted">{m.source_type ? `${m.source_type} ${m.source_id ?? ""}` : "—"}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <Show when={stock.moreMovements}>
              <button type="button" onClick={() => void loadMovements(true)} data-testid="movements-more">
                Older movements
              </button>
            </Show>
          </>
        )}
      </Show>

      <Switch>
        <Match when={stock.dialog.kind === "receive"}>
          <Dialog title={`Receive ${stock.product?.name ?? ""}`} testid="stock-receive-dialog" onClose={close}>
            <form
              data-testid="receive-form"
              onSubmit={(e) => {
                e.preventDefault();
                void submitReceive();
              }}
            >
              <div class="row">
                <TextField form={receiveForm} name="lot_code" label="Lot code (optional)" hint="left empty, one is made from today's date" autofocus />
                {/* Only products set to track expiry dates are asked, and there the date is needed. */}
                <Show when={stock.product?.track_expiry}>
                  <TextField form={receiveForm} name="expires_on" label="Expiry date" type="date" />
                </Show>
              </div>
              <div class="row">
                <TextField
                  form={receiveForm}
                  name="quantity"
                  label={stock.product && stock.product.quantity_decimals > 0 ? `Quantity (${stock.product.unit})` : "Quantity"}
                  inputmode="numeric"
                  hint={stock.product ? quantityHint(stock.product) : undefined}
                />
                <TextField form={receiveForm} name="unit_cost" label="Unit cost" inputmode="numeric" hint="for cost of goods; e.g. 0.85" />
              </div>
              <TextField form={receiveForm} name="reason" label="Reason (optional)" placeholder="opening stock" />
              <div class="actions">
                <button type="submit" class="primary" data-testid="receive-submit" disabled={receiveForm.busy()}>
                  Receive
                </button>
              </div>
            </form>
          </Dialog>
        </Match>
        <Match when={stock.dialog.kind === "adjust" && stock.dialog}>
          {(d) => (
            <Dialog title={`Adjust batch #${d().batch.id} (${d().batch.lot_code})`} testid="stock-adjust-dialog" onClose={close}>
              <form
                data-testid="adjust-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void submitAdjust(d().batch);
                }}
              >
                <p class="muted">
                  On hand {qty(d().batch.on_hand)}, reserved {qty(d().batch.reserved)}.
                </p>
                <SelectField form={adjustForm} name="kind" label="Kind" options={ADJUST_KINDS} autofocus />
                <TextField
                  form={adjustForm}
                  name="quantity"
                  label="Quantity"
                  hint={adjustForm.values.kind === "adjustment" ? "signed: -2 takes out, 3 adds" : "taken out of stock"}
                />
                <TextField form={adjustForm} name="reason" label="Reason (required)" />
                <div class="actions">
                  <button type="submit" class="primary" data-testid="adjust-submit" disabled={adjustForm.busy()}>
                    Record
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
      </Switch>
      <StockList onPick={(id) => void pickById(id)} />
    </section>
  );
}
