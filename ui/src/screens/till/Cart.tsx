// The cart: scan or search products in, a customer, lines and the core's totals.

import { createSignal, For, Show } from "solid-js";
import { Dialog } from "../../components/Dialog";
import { CustomerPicker } from "./CustomerPicker";
import { grantText, LoyaltyPanel } from "../../components/LoyaltyPanel";
import { formatTime } from "../../errors";
import { autofocus, focusField } from "../../forms";
import { can } from "../../session";
import { AddProductDialog } from "./AddProduct";
import { Grid } from "./Grid";
import { scanProblem, setScanProblem } from "./scanProblem";
import { submitScanField } from "./scanner";
import { formatMoney } from "../../money";
import { formatQuantity, formatWithUnit, isMeasured, lineSummary, onlyLeft } from "../../logic/quantity";
import {
  till,
  setTill,
  pickHit,
  step,
  remove,
  setDiscount,
  clearCart,
  searchProducts,
  applyClaim,
  removeClaim,
  openPark,
  park,
  loadHeld,
  toggleHeld,
  recall,
  cancelHold,
  openTender,
  nameOf,
  skuOf,
  quoteLine,
  abilities,
  setQuantity,
  unitOf,
  setLineQuantity,
} from "./state";
import { BasketDiscountButton, LineDiscountButton } from "./Discounts";
import { NoSaleButton } from "./NoSale";


/** The line's quantity, typed: click the number, type, Enter (Esc keeps the old one). */
function QuantityCell(props: { index: number; quantity: number; sku: string; name: string }) {
  const [editing, setEditing] = createSignal(false);
  const commit = (text: string) => {
    setEditing(false);
    const n = Number(text.trim());
    if (text.trim() !== "" && Number.isInteger(n) && n >= 1) setLineQuantity(props.index, n);
    focusField("till", "search");
  };
  return (
    <Show
      when={editing()}
      fallback={
        <button type="button" class="link qty-value" onClick={() => setEditing(true)} title="Type a quantity" data-testid={`cart-qty-${props.sku}`}>
          {props.quantity}
        </button>
      }
    >
      <input
        class="cart-qty-input"
        inputmode="numeric"
        autocomplete="off"
        value={String(props.quantity)}
        aria-label={`Quantity of ${props.name}`}
        data-testid={`cart-qty-input-${props.sku}`}
        ref={(el) => queueMicrotask(() => (el.focus(), el.select()))}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            commit(e.currentTarget.value);
          } else if (e.key === "Escape") {
            e.preventDefault();
            setEditing(false);
          }
        }}
        onBlur={(e) => editing() && commit(e.currentTarget.value)}
      />
    </Show>
  );
}

export function CartView() {
  // Every seller may ask for a discount: without `sales.discount` a manager approves it at Pay (T39).
  const discount = () => abilities().discount || abilities().sell;
  return (
    <div class="till-grid">
      <div class="till-main">
        <form
          class="till-scan"
          data-testid="till-search-form"
          onSubmit={(e) => {
            e.preventDefault();
            void submitScanField(till.query);
          }}
        >
          <label for="till-search">Scan or search (barcode, SKU or name)</label>
          <input
            id="till-search"
            type="search"
            autocomplete="off"
            value={till.query}
            onInput={(e) => void searchProducts(e.currentTarget.value)}
            onChange={(e) => setTill("query", e.currentTarget.value)}
            data-testid="till-search"
            ref={autofocus}
            placeholder="Scan, search, or 3* for three"
          />
        </form>
        <Show when={scanProblem.unknownCode}>
          {(code) => (
            <div class="scan-error" role="alert" data-testid="till-scan-error" data-code={code()}>
              <span>
                No product has the code “{code()}”. Nothing was added.
              </span>
              <span class="spacer" />
              <Show when={can("catalog.manage")}>
                <button type="button" onClick={() => setScanProblem("adding", true)} data-testid="till-scan-add-product">
                  Add this product
                </button>
              </Show>
            </div>
          )}
        </Show>
        <Show when={till.hits.length > 0}>
          <ul class="choices till-hits" data-testid="till-hits">
            <For each={till.hits}>
              {(h) => (
                <li>
                  <button type="button" onClick={() => pickHit(h.product)} data-testid={`till-hit-${h.product.sku}`} disabled={h.product.archived}>
                    {h.product.name} <span class="muted">{h.product.sku}</span> {formatMoney(h.product.price_minor)}
                    <Show when={h.product.track_stock} fallback={<span class="muted"> · not counted</span>}>
                      <span class="muted"> · {formatWithUnit(h.product.available, h.product)} available</span>
                    </Show>
                  </button>
                </li>
              )}
            </For>
          </ul>
        </Show>

        {/* The quick keys above the cart, so each tile stays where the hand knows it however long the sale. */}
        <Grid />
        <table class="grid till-cart" data-testid="till-cart">
          <thead>
            <tr>
              <th>Product</th>
              <th class="num">Price</th>
              <th class="num">Qty</th>
              <Show when={discount()}>
                <th class="num">Discount</th>
              </Show>
              <th class="num">Total</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <For each={till.lines} fallback={<tr><td colspan="6" class="muted">Scan a product to start a sale.</td></tr>}>
              {(l, i) => (
                <tr data-testid={`cart-line-${skuOf(l.product_id)}`} data-quantity={l.quantity} classList={{ "result-refused": !!till.lineErrors[l.product_id] }}>
                  <td>
                    {nameOf(l.product_id)} <span class="muted">{skuOf(l.product_id)}</span>
                    <Show when={quoteLine(i())?.rule_applied}>
                      {(r) => <small class="muted"> ({r().kind.replace(/_/g, " ")})</small>}
                    </Show>
                    <Show when={isMeasured(unitOf(l.product_id)) && quoteLine(i())}>
                      {(q) => (
                        <div class="muted" data-testid={`cart-summary-${skuOf(l.product_id)}`}>
                          {lineSummary(l.quantity, unitOf(l.product_id), formatMoney(q().unit_price_minor))}
                        </div>
                      )}
                    </Show>
                    <Show
                      when={
                        !till.lineErrors[l.product_id] &&
                        unitOf(l.product_id).track_stock &&
                        unitOf(l.product_id).available !== null &&
                        l.quantity >= (unitOf(l.product_id).available ?? 0)
                      }
                    >
                      <div class="muted" data-testid={`cart-left-${skuOf(l.product_id)}`}>
                        {onlyLeft(unitOf(l.product_id).available ?? 0, unitOf(l.product_id))}
                      </div>
                    </Show>
                    <Show when={till.lineErrors[l.product_id]}>
                      {(msg) => (
                        <div class="field-error" role="alert" data-testid={`cart-error-${skuOf(l.product_id)}`}>
                          {msg()}
                        </div>
                      )}
                    </Show>
                  </td>
                  <td class="num">
                    {quoteLine(i()) ? formatMoney(quoteLine(i())!.unit_price_minor) : "…"}
                    <Show when={isMeasured(unitOf(l.product_id))}>/{unitOf(l.product_id).unit}</Show>
                  </td>
                  <td class="num">
                    <Show when={isMeasured(unitOf(l.product_id))}>
                      <div class="qty">
                        <input
                          id={`till-qty-${skuOf(l.product_id)}`}
                          class="qty-input"
                          inputmode="decimal"
                          autocomplete="off"
                          value={formatQuantity(l.quantity, unitOf(l.product_id).quantity_decimals)}
                          onFocus={(e) => e.currentTarget.select()}
                          onChange={(e) => setQuantity(i(), e.currentTarget.value)}
                          onKeyDown={(e) => {
                            if (e.key === "Enter") {
                              e.preventDefault();
                              setQuantity(i(), e.currentTarget.value);
                            }
                          }}
                          aria-label={`Weight of ${nameOf(l.product_id)} in ${unitOf(l.product_id).unit}`}
                          data-testid={`cart-weight-${skuOf(l.product_id)}`}
                        />
                        <span>{unitOf(l.product_id).unit}</span>
                      </div>
                    </Show>
                    <Show when={!isMeasured(unitOf(l.product_id))}>
                    <div class="qty">
                      <button type="button" onClick={() => step(i(), -1)} disabled={l.quantity <= 1} data-testid={`cart-dec-${skuOf(l.product_id)}`} aria-label="One less">
                        −
                      </button>
                      <QuantityCell index={i()} quantity={l.quantity} sku={skuOf(l.product_id)} name={nameOf(l.product_id)} />
                      <button type="button" onClick={() => step(i(), 1)} data-testid={`cart-inc-${skuOf(l.product_id)}`} aria-label="One more">
                        +
                      </button>
                    </div>
                    </Show>
                  </td>
                  <Show when={discount()}>
                    <td class="num">
                      <input
                        class="money-input"
                        inputmode="decimal"
                        autocomplete="off"
                        value={till.discountText[l.product_id] ?? ""}
                        placeholder="0.50 or 10%"
                        onChange={(e) => setDiscount(i(), e.currentTarget.value)}
                        onKeyDown={(e) => {
                          if (e.key === "Enter") setDiscount(i(), e.currentTarget.value);
                        }}
                        aria-label={`Discount on ${nameOf(l.product_id)}`}
                        data-testid={`cart-discount-${skuOf(l.product_id)}`}
                      />
                    </td>
                  </Show>
                  <td class="num" data-testid={`cart-total-${skuOf(l.product_id)}`}>
                    {quoteLine(i()) ? formatMoney(quoteLine(i())!.total_minor) : "…"}
                  </td>
                  <td class="row-actions">
                    <LineDiscountButton index={i()} />
                    <button type="button" class="danger" onClick={() => remove(i())} data-testid={`cart-remove-${skuOf(l.product_id)}`}>
                      Remove
                    </button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>

      <aside class="till-side">
        <Show when={abilities().customers}>
          <CustomerPicker />
        </Show>

        <div class="card till-totals" data-testid="till-totals" aria-busy={till.quoting ? "true" : undefined}>
          <dl class="facts">
            <Show when={(till.quote?.discount_minor ?? 0) > 0}>
              <dt>Discounts</dt>
              <dd class="num" data-testid="till-discount">-{formatMoney(till.quote!.discount_minor)}</dd>
            </Show>
            <Show when={till.claim}>
              {(c) => (
                <>
                  <dt data-testid="till-reward" data-claim-id={c().id} title="Included in the discounts">
                    <span class="muted">incl. </span>Reward: {c().reward_name}
                  </dt>
                  <dd class="num" data-testid="till-reward-amount">
                    {till.quote && till.quote.loyalty_claim_id === c().id ? `-${formatMoney(till.quote.reward_discount_minor)}` : "…"}
                  </dd>
                </>
              )}
            </Show>
            <dt>Net</dt>
            <dd class="num" data-testid="till-net">{till.quote ? formatMoney(till.quote.net_minor) : "—"}</dd>
            <dt>Tax</dt>
            <dd class="num" data-testid="till-tax">{till.quote ? formatMoney(till.quote.tax_minor) : "—"}</dd>
            <dt class="till-total-label">Total</dt>
            <dd class="num till-total" data-testid="till-total">
              {till.quote ? formatMoney(till.quote.total_minor) : "—"}
            </dd>
          </dl>
          <Show when={till.claim}>
            {(c) => (
              <div class="till-reward">
                <Show when={till.claimError}>
                  {(m) => (
                    <p class="field-error" role="alert" data-testid="till-reward-error" data-field="loyalty_claim_id">
                      {m()}
                    </p>
                  )}
                </Show>
                <div class="actions">
                  <span class="muted">{grantText(c().grant)}</span>
                  <span class="spacer" />
                  <button type="button" onClick={removeClaim} data-testid="till-reward-remove">
                    Don't use the reward
                  </button>
                </div>
              </div>
            )}
          </Show>
          <div class="actions">
            <button
              type="button"
              class="primary till-pay"
              onClick={() => openTender()}
              disabled={!till.quote || till.quoting || till.lines.length === 0}
              data-testid="till-pay"
              title="F9"
            >
              Pay <kbd>F9</kbd>
            </button>
            <button type="button" onClick={openPark} disabled={till.lines.length === 0} data-testid="till-park">
              Park
            </button>
            <BasketDiscountButton />
            <NoSaleButton />
            <button type="button" class="danger" onClick={() => (clearCart(), focusField("till", "search"))} disabled={till.lines.length === 0 && !till.customer} data-testid="till-clear">
              Clear
            </button>
          </div>
        </div>

        {/* After the totals, so Pay stays in view; the points and rewards of the attached customer. */}
        <Show when={till.customer && abilities().sell ? till.customer.id : null}>
          {(id) => <LoyaltyPanel customerId={id()} onClaimed={applyClaim} appliedClaimId={till.claim?.id ?? null} testid="till-loyalty" />}
        </Show>

        <div class="card">
          <div class="actions">
            <button type="button" onClick={() => void toggleHeld()} data-testid="till-held-toggle" aria-expanded={till.heldOpen}>
              {till.heldOpen ? "Hide held sales" : "Held sales"}
            </button>
            <Show when={till.heldOpen}>
              <button type="button" onClick={() => void loadHeld()} data-testid="held-refresh">
                Refresh
              </button>
            </Show>
          </div>
          <Show when={till.heldOpen}>
            <ul class="held-list" data-testid="held-list">
              <For each={till.held} fallback={<li class="muted">No held sales.</li>}>
                {(h) => (
                  <li data-testid={`held-row-${h.id}`} data-label={h.label}>
                    <div>
                      <Show when={till.recalled?.id === h.id}>
                        <span class="badge" data-testid={`held-in-cart-${h.id}`}>in the cart</span>{" "}
                      </Show>
                      <strong>{h.label}</strong> <span class="muted">#{h.number} · {h.line_count} lines · until {formatTime(h.expires_at_ms)}</span>
                    </div>
                    <div class="row-actions">
                      <button
                        type="button"
                        onClick={() => void recall(h)}
                        disabled={till.lines.length > 0}
                        title={till.lines.length > 0 ? "Finish, park or clear the current sale first" : undefined}
                        data-testid={`held-recall-${h.id}`}
                      >
                        Recall
                      </button>
                      <button
                        type="button"
                        class="danger"
                        onClick={() => void cancelHold(h)}
                        disabled={till.recalled?.id === h.id}
                        data-testid={`held-cancel-${h.id}`}
                      >
                        Cancel
                      </button>
                    </div>
                  </li>
                )}
              </For>
            </ul>
            <Show when={till.heldNext !== null}>
              <button type="button" onClick={() => void loadHeld(true)} data-testid="held-more">
                More
              </button>
            </Show>
          </Show>
        </div>
      </aside>

      <Show when={scanProblem.adding && scanProblem.unknownCode}>
        {(code) => <AddProductDialog barcode={code()} quantity={scanProblem.quantity} />}
      </Show>

      <Show when={till.parkOpen}>
        <Dialog title="Park this sale" testid="park-dialog" onClose={() => setTill("parkOpen", false)}>
          <form data-testid="park-form" onSubmit={(e) => (e.preventDefault(), void park())}>
            <div class="field">
              <label for="park-label">Label (optional)</label>
              <input
                id="park-label"
                autocomplete="off"
                maxLength={100}
                value={till.parkLabel}
                placeholder="e.g. table 4"
                onInput={(e) => setTill("parkLabel", e.currentTarget.value)}
                onChange={(e) => setTill("parkLabel", e.currentTarget.value)}
                data-testid="park-label"
                ref={autofocus}
              />
              <small class="hint">The units stay reserved for this sale until it is recalled, cancelled or the hold expires.</small>
            </div>
            <div class="actions">
              <button type="submit" class="primary" data-testid="park-submit">
                Park
              </button>
            </div>
          </form>
        </Dialog>
      </Show>
    </div>
  );
}
