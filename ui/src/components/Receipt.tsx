import { For, type JSX, Show } from "solid-js";
import type { SalesOrderView, SalesTender } from "../api";
import { formatTime } from "../errors";
import { receiptCode } from "../logic/scanner";
import { TENDER_LABELS } from "../logic/till";
import { formatMoney } from "../money";
import { lineSummary } from "../logic/quantity";

/**
 * A sale as its receipt: every amount is the order's own (computed and stored by
 * the core). The print stylesheet prints only this block.
 */
export function Receipt(props: {
  order: SalesOrderView;
  shopName: string;
  /** The product's name for a line (the order keeps ids only). */
  nameOf: (productId: number) => string;
  footer?: string;
  testid?: string;
  /** The loyalty reward the sale used and what it took off (the core's figure, as quoted and paid). */
  reward?: { name: string; amount_minor: number } | null;
  /** The customer's points balance after the sale, when known. */
  points?: number | null;
  /** Printed under the shop's name: its address and tax number. */
  details?: JSX.Element;
  /** Printed under the totals: tax by rate. */
  taxSummary?: JSX.Element;
}) {
  const o = () => props.order;
  const tender = (t: SalesTender | string) => TENDER_LABELS[t as SalesTender] ?? t;
  return (
    <article class="receipt" data-testid={props.testid ?? "receipt"} data-order-id={o().id}>
      <header class="receipt-head">
        <h2 data-testid="receipt-shop">{props.shopName}</h2>
        {props.details}
        <div>
          Receipt <strong data-testid="receipt-number">#{o().receipt_number}</strong> · order #{o().number}
        </div>
        {/* The code a scanner reads back to open this sale (issue 15 prints it as a barcode). */}
        <div class="receipt-code" data-testid="receipt-code">
          {receiptCode(o().receipt_number)}
        </div>
        <div class="muted" data-testid="receipt-time">
          {formatTime(o().created_at_ms)}
        </div>
      </header>
      <table class="receipt-lines">
        <tbody>
          <For each={o().lines}>
            {(l) => (
              <>
                <tr data-testid={`receipt-line-${l.line_no}`} data-product-id={l.product_id}>
                  <td class="receipt-name">{props.nameOf(l.product_id)}</td>
                  <td class="num">
                    {lineSummary(l.quantity, l, formatMoney(l.unit_price_minor))}
                  </td>
                  <td class="num">{formatMoney(l.total_minor)}</td>
                </tr>
                <Show when={l.discount_minor > 0}>
                  <tr class="receipt-sub">
                    <td colspan="2">
                      discount
                      <Show when={(l.reward_discount_minor ?? 0) > 0}>
                        {" "}
                        <span data-testid={`receipt-line-reward-${l.line_no}`}>(reward {formatMoney(l.reward_discount_minor)})</span>
                      </Show>
                    </td>
                    <td class="num">-{formatMoney(l.discount_minor)}</td>
                  </tr>
                </Show>
              </>
            )}
          </For>
        </tbody>
      </table>
      <dl class="receipt-totals">
        <Show when={o().discount_minor > 0}>
          <dt>Discounts</dt>
          <dd data-testid="receipt-discount">-{formatMoney(o().discount_minor)}</dd>
        </Show>
        <Show when={props.reward}>
          {(r) => (
            <>
              <dt data-testid="receipt-reward-name">
                <span class="muted">incl. </span>Reward: {r().name}
              </dt>
              <dd data-testid="receipt-reward">-{formatMoney(r().amount_minor)}</dd>
            </>
          )}
        </Show>
        <dt>Net</dt>
        <dd data-testid="receipt-net">{formatMoney(o().net_minor)}</dd>
        <dt>Tax</dt>
        <dd data-testid="receipt-tax">{formatMoney(o().tax_minor)}</dd>
        <dt class="receipt-total-label">Total</dt>
        <dd class="receipt-total" data-testid="receipt-total">
          {formatMoney(o().total_minor)}
        </dd>
      </dl>
      {props.taxSummary}
      <table class="receipt-payments">
        <tbody>
          <For each={o().payments}>
            {(p, i) => (
              <tr data-testid={`receipt-payment-${i()}`} data-tender={p.tender}>
                <td>
                  {tender(p.tender)}
                  <Show when={p.reference}> ({p.reference})</Show>
                </td>
                <td class="num">
                  <Show when={p.tender === "cash" && p.tendered_minor !== p.amount_minor} fallback={formatMoney(p.amount_minor)}>
                    {formatMoney(p.tendered_minor)}
                  </Show>
                </td>
              </tr>
            )}
          </For>
          <tr class="receipt-change">
            <td>Change</td>
            <td class="num" data-testid="receipt-change">
              {formatMoney(o().change_minor)}
            </td>
          </tr>
        </tbody>
      </table>
      <Show when={props.points !== undefined && props.points !== null}>
        <p class="receipt-points" data-testid="receipt-points">
          Points balance: {props.points}
        </p>
      </Show>
      <Show when={props.footer}>
        <p class="receipt-footer">{props.footer}</p>
      </Show>
    </article>
  );
}
