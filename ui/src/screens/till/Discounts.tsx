// Discounts at the till: "Discount sale" (the whole basket: a preset button,
// or 10% / 2.00 typed) and, per line, a preset or a new price with a reason.
// The UI sends what was asked for; the core works out every amount, spreads a
// basket discount over the lines and checks the permission (a cashier without
// it gets the manager's approval dialog at Pay).

import { createSignal, For, Show } from "solid-js";
import { call, newIdempotencyKey } from "../../api";
import { Dialog } from "../../components/Dialog";
import { reportError } from "../../errors";
import { autofocus } from "../../forms";
import type { DiscountPreset } from "../../generated/DiscountPreset";
import { basketText, formatPercent, parseBasketDiscount } from "../../logic/paying";
import { formatMoney, parseMoney } from "../../money";
import { can } from "../../session";
import { nameOf, requote, setTill, skuOf, till } from "./state";

const [presets, setPresets] = createSignal<DiscountPreset[]>([]);

async function loadPresets(): Promise<void> {
  try {
    setPresets(await call("discounts.presets"));
  } catch (e) {
    reportError(e);
  }
}

function presetText(p: DiscountPreset): string {
  const off = p.percent_bp != null ? formatPercent(p.percent_bp) : formatMoney(p.amount_minor ?? 0);
  return p.max_minor != null ? `${p.name} (${off}, at most ${formatMoney(p.max_minor)})` : `${p.name} (${off})`;
}

// ---------------------------------------------------------------------------
// The owner's presets (shown in the dialog to a role holding catalog.manage)
// ---------------------------------------------------------------------------

const [newName, setNewName] = createSignal("");
const [newScope, setNewScope] = createSignal<"line" | "basket">("basket");
const [newValue, setNewValue] = createSignal("");
const [newMax, setNewMax] = createSignal("");
const [presetProblem, setPresetProblem] = createSignal<string | null>(null);

async function createPreset(e: Event): Promise<void> {
  e.preventDefault();
  const value = parseBasketDiscount(newValue());
  if (typeof value === "string") return void setPresetProblem(value);
  const max = newMax().trim() === "" ? null : parseMoney(newMax());
  if (max === null && newMax().trim() !== "") return void setPresetProblem("Enter the most it takes off, like 5.00, or leave it empty.");
  try {
    await call("discounts.create_preset", {
      idempotency_key: newIdempotencyKey(),
      name: newName().trim(),
      scope: newScope(),
      percent_bp: value.percent_bp ?? null,
      amount_minor: value.amount_minor ?? null,
      max_minor: max,
    });
    setNewName("");
    setNewValue("");
    setNewMax("");
    setPresetProblem(null);
    await loadPresets();
  } catch (err) {
    setPresetProblem(reportError(err).message);
  }
}

async function archivePreset(p: DiscountPreset): Promise<void> {
  try {
    await call("discounts.archive_preset", { id: p.id, version: p.version });
    await loadPresets();
  } catch (err) {
    reportError(err);
  }
}

/** Define and archive presets, for the owner or a manager, from the till's dialog. */
function PresetManager() {
  return (
    <details class="preset-manager" data-testid="preset-manager">
      <summary data-testid="preset-manager-open">Preset discounts the till offers</summary>
      <ul class="choices">
        <For each={presets()} fallback={<li class="muted">None yet.</li>}>
          {(p) => (
            <li data-testid={`preset-row-${p.id}`}>
              {presetText(p)} <span class="muted">· {p.scope === "basket" ? "whole sale" : "one line"}</span>{" "}
              <button type="button" class="danger" onClick={() => void archivePreset(p)} data-testid={`preset-archive-${p.id}`}>
                Archive
              </button>
            </li>
          )}
        </For>
      </ul>
      <form onSubmit={(e) => void createPreset(e)} data-testid="preset-form">
        <div class="row">
          <div class="field">
            <label for="preset-name">Name</label>
            <input id="preset-name" autocomplete="off" maxLength={60} value={newName()} onInput={(e) => setNewName(e.currentTarget.value)} data-testid="preset-name" />
          </div>
          <div class="field">
            <label for="preset-scope">For</label>
            <select id="preset-scope" onChange={(e) => setNewScope(e.currentTarget.value === "line" ? "line" : "basket")} data-testid="preset-scope">
              <option value="basket" selected={newScope() === "basket"}>the whole sale</option>
              <option value="line" selected={newScope() === "line"}>one line</option>
            </select>
          </div>
          <div class="field">
            <label for="preset-value">Off: 10% or 2.00</label>
            <input id="preset-value" inputmode="decimal" autocomplete="off" value={newValue()} onInput={(e) => setNewValue(e.currentTarget.value)} data-testid="preset-value" />
          </div>
          <div class="field">
            <label for="preset-max">At most (optional)</label>
            <input id="preset-max" inputmode="decimal" autocomplete="off" value={newMax()} onInput={(e) => setNewMax(e.currentTarget.value)} data-testid="preset-max" />
          </div>
        </div>
        <Show when={presetProblem()}>
          {(m) => (
            <p class="field-error" role="alert" data-testid="preset-problem">
              {m()}
            </p>
          )}
        </Show>
        <div class="actions">
          <button type="submit" data-testid="preset-create">
            Add the preset
          </button>
        </div>
      </form>
    </details>
  );
}

// ---------------------------------------------------------------------------
// The whole sale
// ---------------------------------------------------------------------------

const [basketOpen, setBasketOpen] = createSignal(false);
const [basketInput, setBasketInput] = createSignal("");
const [basketProblem, setBasketProblem] = createSignal<string | null>(null);

function setBasket(b: typeof till.basket): void {
  setTill("basket", b);
  setBasketOpen(false);
  void requote();
}

/** The "Discount sale" button, its dialog, and what the sale's discount is. */
export function BasketDiscountButton() {
  const open = () => {
    setBasketInput("");
    setBasketProblem(null);
    setBasketOpen(true);
    void loadPresets();
  };
  const apply = (e: Event) => {
    e.preventDefault();
    const b = parseBasketDiscount(basketInput());
    if (typeof b === "string") {
      setBasketProblem(b);
      return;
    }
    setBasket(b);
  };
  const presetName = () => presets().find((p) => p.id === till.basket?.preset_id)?.name;
  return (
    <>
      <button type="button" onClick={open} disabled={till.lines.length === 0} data-testid="till-discount-sale">
        Discount sale
      </button>
      <Show when={till.basket}>
        {(b) => (
          <p class="muted till-basket" data-testid="till-basket-discount">
            {basketText(b(), presetName())}
            <Show when={(till.quote?.basket_discount_minor ?? 0) > 0}>
              {": "}
              <span data-testid="till-basket-amount">-{formatMoney(till.quote?.basket_discount_minor ?? 0)}</span>
            </Show>{" "}
            <button type="button" class="link" onClick={() => setBasket(null)} data-testid="till-basket-remove">
              Remove
            </button>
          </p>
        )}
      </Show>
      <Show when={basketOpen()}>
        <Dialog title="Discount the whole sale" testid="discount-dialog" onClose={() => setBasketOpen(false)}>
          <Show when={presets().some((p) => p.scope === "basket")}>
            <div class="actions discount-presets" data-testid="discount-presets">
              <For each={presets().filter((p) => p.scope === "basket")}>
                {(p) => (
                  <button type="button" class="tender-tile" onClick={() => setBasket({ preset_id: p.id })} data-testid={`discount-preset-${p.id}`}>
                    {presetText(p)}
                  </button>
                )}
              </For>
            </div>
          </Show>
          <form onSubmit={apply} data-testid="discount-form">
            <div class="field" classList={{ invalid: basketProblem() !== null }}>
              <label for="discount-basket">Off the whole sale: a percentage (10%) or an amount (2.00)</label>
              <input
                id="discount-basket"
                inputmode="decimal"
                autocomplete="off"
                value={basketInput()}
                onInput={(e) => setBasketInput(e.currentTarget.value)}
                data-testid="discount-basket"
                ref={autofocus}
              />
              <Show when={basketProblem()}>
                {(m) => (
                  <span class="field-error" role="alert" data-testid="field-error-discount-basket">
                    {m()}
                  </span>
                )}
              </Show>
              <small class="hint">Spread over the lines by the till; a manager approves it at Pay if your role may not give it.</small>
            </div>
            <div class="actions">
              <Show when={till.basket}>
                <button type="button" class="danger" onClick={() => setBasket(null)} data-testid="discount-basket-remove">
                  No discount
                </button>
              </Show>
              <span class="spacer" />
              <button type="submit" class="primary" data-testid="discount-basket-apply">
                Apply
              </button>
            </div>
          </form>
          <Show when={can("catalog.manage")}>
            <PresetManager />
          </Show>
        </Dialog>
      </Show>
    </>
  );
}

// ---------------------------------------------------------------------------
// One line
// ---------------------------------------------------------------------------

const [lineOpen, setLineOpen] = createSignal<number | null>(null);
const [priceInput, setPriceInput] = createSignal("");
const [reasonInput, setReasonInput] = createSignal("");
const [lineProblem, setLineProblem] = createSignal<string | null>(null);

function updateLine(index: number, patch: Partial<(typeof till.lines)[number]>): void {
  setTill("lines", index, patch);
  setLineOpen(null);
  void requote();
}

/** A per-line button: a line preset, or a new price with a reason (a price override). */
export function LineDiscountButton(props: { index: number }) {
  const line = () => till.lines[props.index];
  const sku = () => (line() ? skuOf(line()!.product_id) : "");
  const open = () => {
    const l = line();
    setPriceInput(l?.price_override_minor != null ? formatMoney(l.price_override_minor) : "");
    setReasonInput(l?.price_override_reason ?? "");
    setLineProblem(null);
    setLineOpen(props.index);
    void loadPresets();
  };
  const applyPrice = (e: Event) => {
    e.preventDefault();
    const price = parseMoney(priceInput());
    const reason = reasonInput().trim();
    if (price === null) return setLineProblem("Enter the new unit price, like 4.50.");
    if (reason === "") return setLineProblem("Say why the price changes (e.g. price match, damaged).");
    updateLine(props.index, { price_override_minor: price, price_override_reason: reason });
  };
  const overridden = () => line()?.price_override_minor != null;
  return (
    <>
      <button
        type="button"
        onClick={open}
        classList={{ active: overridden() || line()?.discount_preset_id != null }}
        data-testid={`cart-price-${sku()}`}
        title="A preset discount or a new price for this line"
      >
        {overridden() ? "Price changed" : "Price…"}
      </button>
      <Show when={lineOpen() === props.index && line()}>
        {(l) => (
          <Dialog title={`Price of ${nameOf(l().product_id)}`} testid="line-price-dialog" onClose={() => setLineOpen(null)}>
            <Show when={presets().some((p) => p.scope === "line")}>
              <div class="actions discount-presets">
                <For each={presets().filter((p) => p.scope === "line")}>
                  {(p) => (
                    <button
                      type="button"
                      class="tender-tile"
                      onClick={() => {
                        setTill("discountText", l().product_id, "");
                        updateLine(props.index, { discount_preset_id: p.id, discount_minor: 0, discount_percent_bp: null });
                      }}
                      data-testid={`line-preset-${p.id}`}
                    >
                      {presetText(p)}
                    </button>
                  )}
                </For>
                <Show when={l().discount_preset_id != null}>
                  <button type="button" class="danger" onClick={() => updateLine(props.index, { discount_preset_id: null })} data-testid="line-preset-remove">
                    No preset
                  </button>
                </Show>
              </div>
            </Show>
            <form onSubmit={applyPrice} data-testid="line-price-form">
              <div class="row">
                <div class="field">
                  <label for="line-price">New unit price</label>
                  <input
                    id="line-price"
                    inputmode="decimal"
                    autocomplete="off"
                    value={priceInput()}
                    onInput={(e) => setPriceInput(e.currentTarget.value)}
                    data-testid="line-price"
                    ref={autofocus}
                  />
                </div>
                <div class="field">
                  <label for="line-reason">Reason</label>
                  <input
                    id="line-reason"
                    autocomplete="off"
                    maxLength={200}
                    value={reasonInput()}
                    onInput={(e) => setReasonInput(e.currentTarget.value)}
                    data-testid="line-reason"
                  />
                </div>
              </div>
              <Show when={lineProblem()}>
                {(m) => (
                  <p class="field-error" role="alert" data-testid="line-price-problem">
                    {m()}
                  </p>
                )}
              </Show>
              <div class="actions">
                <Show when={overridden()}>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => updateLine(props.index, { price_override_minor: null, price_override_reason: null })}
                    data-testid="line-price-remove"
                  >
                    Back to the normal price
                  </button>
                </Show>
                <span class="spacer" />
                <button type="submit" class="primary" data-testid="line-price-apply">
                  Change the price
                </button>
              </div>
            </form>
          </Dialog>
        )}
      </Show>
    </>
  );
}
