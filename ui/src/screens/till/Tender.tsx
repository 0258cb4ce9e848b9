// The payment screen, built for a queue: big tender tiles, quick cash buttons
// (Exact and the next notes above the total, from the currency's
// denominations) that pay at once when they cover the total, a one-tap Card,
// amount fields whose content is selected on focus and Enter that pays.
// Split payments stay possible through the rows below the tiles.

import { createSignal, For, onMount, Show } from "solid-js";
import { call } from "../../api";
import type { CardReference } from "../../generated/CardReference";
import { autofocus, focusField } from "../../forms";
import { quickCash } from "../../logic/paying";
import { suggestedAmount, TENDER_LABELS, tenderSummary, tendersFor } from "../../logic/till";
import { formatMoney } from "../../money";
import { app } from "../../session";
import {
  till,
  setTill,
  tender,
  closeTender,
  parsedRows,
  addTenderRow,
  setTenderRow,
  removeTenderRow,
  pay,
} from "./state";

/** The shop's `card_reference` setting, read when the tender screen opens. */
const [cardReference, setCardReference] = createSignal<CardReference>("required");

async function loadCardReference(): Promise<void> {
  try {
    const s = await call("settings.get");
    setCardReference(s.settings.card_reference ?? "required");
  } catch {
    // Kept as it was: "required" asks for the reference, which is never wrong.
  }
}

const total = () => till.quote?.total_minor ?? 0;
const summaryNow = () => tenderSummary(total(), parsedRows().rows, cardReference() === "required");
const covers = () => summaryNow().covers;

/** Pays now when the payments cover the total (Enter, F9, a quick button, one-tap Card). */
export function payIfCovered(): void {
  if (!tender.inFlight() && covers()) void pay();
}

/** A quick cash button: this much cash handed over (replacing any cash row), paid at once if it covers. */
export function quickPay(amount_minor: number): void {
  if (tender.inFlight()) return;
  const others = till.tenderRows.filter((r) => r.tender !== "cash");
  setTill("tenderRows", [...others, { tender: "cash", amount: formatMoney(amount_minor), reference: "" }]);
  setTill("tenderErrors", {});
  payIfCovered();
}

/**
 * One-tap Card: a card payment of what is still due, then Pay. When the shop
 * requires the terminal's reference, the reference field is opened instead.
 */
export function cardNow(): void {
  if (tender.inFlight()) return;
  const due = suggestedAmount(total(), parsedRows().rows);
  if (due > 0) {
    setTill("tenderRows", (rows) => [...rows, { tender: "card", amount: formatMoney(due), reference: "" }]);
  }
  if (cardReference() === "required") {
    const i = till.tenderRows.findIndex((r) => r.tender === "card" && r.reference.trim() === "");
    if (i >= 0) {
      focusField("tender", `reference-${i}`);
      return;
    }
  }
  payIfCovered();
}

export function TenderView() {
  const summary = summaryNow;
  const notes = () => quickCash(total(), app.shop?.denominations_minor ?? []);
  onMount(() => void loadCardReference());
  const payOnEnter = (e: KeyboardEvent) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    // The field's own change may not have fired yet.
    const el = e.currentTarget as HTMLInputElement;
    const i = Number(el.dataset["row"]);
    const field = el.dataset["field"] === "reference" ? "reference" : "amount";
    if (Number.isInteger(i)) setTenderRow(i, field, el.value);
    payIfCovered();
  };
  return (
    <div class="tender card" data-testid="tender">
      <div class="toolbar">
        <h2>Payment</h2>
        <span class="spacer" />
        <span class="tender-due">
          Total <strong data-testid="tender-total">{formatMoney(total())}</strong>
        </span>
      </div>
      <Show when={till.customer}>
        {(c) => (
          <p class="muted" data-testid="tender-customer">
            Customer: {c().name}
            <Show when={c().store_credit_minor > 0}>
              {" · "}
              <span data-testid="tender-store-credit">store credit {formatMoney(c().store_credit_minor)}</span>
            </Show>
            <Show when={c().balance_minor !== 0 || c().credit_limit_minor > 0}>
              {" · "}
              <span data-testid="tender-account">
                owes {formatMoney(c().balance_minor)} of a {formatMoney(c().credit_limit_minor)} limit
              </span>
            </Show>
          </p>
        )}
      </Show>
      <Show when={till.claim && till.quote && till.quote.loyalty_claim_id === till.claim.id ? till.claim : null}>
        {(c) => (
          <p class="muted" data-testid="tender-reward">
            Reward: {c().reward_name} -{formatMoney(till.quote?.reward_discount_minor ?? 0)} (included in the total)
          </p>
        )}
      </Show>
      <div class="tender-quick" data-testid="tender-quick">
        <For each={notes()}>
          {(amount, i) => (
            <button
              type="button"
              class="tender-tile tender-quick-cash"
              classList={{ primary: i() === 0 }}
              onClick={() => quickPay(amount)}
              disabled={tender.inFlight()}
              data-testid={i() === 0 ? "tender-exact" : `tender-quick-${amount}`}
              data-amount={amount}
              ref={i() === 0 ? autofocus : undefined}
            >
              {i() === 0 ? `Exact ${formatMoney(amount)}` : formatMoney(amount)}
            </button>
          )}
        </For>
        <button type="button" class="tender-tile tender-card-now" onClick={cardNow} disabled={tender.inFlight()} data-testid="tender-card-now">
          Card {formatMoney(Math.max(0, summary().remaining_minor))}
        </button>
      </div>
      <div class="actions tender-add">
        <For each={tendersFor(till.customer !== null)}>
          {(t) => (
            <button type="button" class="tender-tile" onClick={() => addTenderRow(t)} data-testid={`tender-add-${t}`} disabled={tender.inFlight()}>
              + {TENDER_LABELS[t]}
            </button>
          )}
        </For>
      </div>
      <table class="grid" data-testid="tender-rows">
        <tbody>
          <For each={till.tenderRows} fallback={<tr><td class="muted">Add a payment: cash, card{till.customer ? ", on account or store credit" : ""}.</td></tr>}>
            {(r, i) => (
              <tr data-testid={`tender-row-${i()}`} data-tender={r.tender}>
                <td>{TENDER_LABELS[r.tender]}</td>
                <td>
                  <div class="field" classList={{ invalid: !!till.tenderErrors[`${i()}.amount`] }}>
                    <label for={`tender-amount-${i()}`}>{r.tender === "cash" ? "Cash handed over" : "Amount"}</label>
                    <input
                      id={`tender-amount-${i()}`}
                      inputmode="decimal"
                      autocomplete="off"
                      value={r.amount}
                      onFocus={(e) => e.currentTarget.select()}
                      onKeyDown={payOnEnter}
                      onInput={(e) => setTenderRow(i(), "amount", e.currentTarget.value)}
                      onChange={(e) => setTenderRow(i(), "amount", e.currentTarget.value)}
                      data-row={i()}
                      data-field="amount"
                      data-testid={`tender-amount-${i()}`}
                    />
                    <Show when={till.tenderErrors[`${i()}.amount`]}>
                      {(m) => (
                        <span class="field-error" role="alert" data-testid={`field-error-tender-amount-${i()}`}>
                          {m()}
                        </span>
                      )}
                    </Show>
                  </div>
                </td>
                <td>
                  <Show when={r.tender === "card" && cardReference() !== "off"}>
                    <div class="field" classList={{ invalid: !!till.tenderErrors[`${i()}.reference`] }}>
                      <label for={`tender-reference-${i()}`}>
                        Terminal reference{cardReference() === "optional" ? " (optional)" : ""}
                      </label>
                      <input
                        id={`tender-reference-${i()}`}
                        autocomplete="off"
                        maxLength={64}
                        onKeyDown={payOnEnter}
                        data-row={i()}
                        data-field="reference"
                        value={r.reference}
                        onInput={(e) => setTenderRow(i(), "reference", e.currentTarget.value)}
                        onChange={(e) => setTenderRow(i(), "reference", e.currentTarget.value)}
                        data-testid={`tender-reference-${i()}`}
                      />
                      <Show when={till.tenderErrors[`${i()}.reference`]}>
                        {(m) => (
                          <span class="field-error" role="alert" data-testid={`field-error-tender-reference-${i()}`}>
                            {m()}
                          </span>
                        )}
                      </Show>
                    </div>
                  </Show>
                </td>
                <td>
                  <button type="button" class="danger" onClick={() => removeTenderRow(i())} disabled={tender.inFlight()} data-testid={`tender-remove-${i()}`}>
                    Remove
                  </button>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <dl class="facts tender-summary">
        <dt>Paid</dt>
        <dd class="num" data-testid="tender-paid">{formatMoney(summary().entered_minor)}</dd>
        <dt>Remaining</dt>
        <dd class="num" data-testid="tender-remaining">{formatMoney(summary().remaining_minor)}</dd>
        <dt>Change due</dt>
        <dd class="num tender-change" data-testid="tender-change">
          {formatMoney(summary().change_minor)}
        </dd>
      </dl>
      <Show when={summary().problem}>
        {(p) => (
          <p class="field-error" data-testid="tender-problem">
            {p()}
          </p>
        )}
      </Show>
      <Show when={till.approval.needed}>
        <fieldset class="tender-approval" data-testid="tender-approval">
          <legend>Manager approval (over the credit limit)</legend>
          <div class="row">
            <div class="field">
              <label for="tender-approver-username">Manager's username</label>
              <input
                id="tender-approver-username"
                autocomplete="off"
                value={till.approval.username}
                onInput={(e) => setTill("approval", "username", e.currentTarget.value)}
                onChange={(e) => setTill("approval", "username", e.currentTarget.value)}
                data-testid="tender-approver-username"
                ref={autofocus}
              />
            </div>
            <div class="field">
              <label for="tender-approver-password">Password</label>
              <input
                id="tender-approver-password"
                type="password"
                autocomplete="off"
                value={till.approval.password}
                onInput={(e) => setTill("approval", "password", e.currentTarget.value)}
                onChange={(e) => setTill("approval", "password", e.currentTarget.value)}
                data-testid="tender-approver-password"
              />
            </div>
          </div>
        </fieldset>
      </Show>
      <div class="actions">
        <button type="button" onClick={closeTender} disabled={tender.inFlight()} data-testid="tender-back">
          Back to the sale
        </button>
        <span class="spacer" />
        <button
          type="button"
          class="primary till-pay"
          onClick={() => void pay()}
          disabled={tender.inFlight() || !summary().covers}
          aria-busy={tender.inFlight() ? "true" : undefined}
          data-testid="tender-pay"
          data-key={tender.key() ?? ""}
          title="F9"
        >
          {tender.inFlight() ? "Paying…" : `Pay ${formatMoney(total())}`}
        </button>
      </div>
    </div>
  );
}
