// The payment screen: tender rows, change, Pay.

import { For, Show } from "solid-js";
import { autofocus } from "../../forms";
import { TENDER_LABELS, tenderSummary, tendersFor } from "../../logic/till";
import { formatMoney } from "../../money";
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


export function TenderView() {
  const total = () => till.quote?.total_minor ?? 0;
  const summary = () => tenderSummary(total(), parsedRows().rows);
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
      <div class="actions tender-add">
        <For each={tendersFor(till.customer !== null)}>
          {(t) => (
            <button type="button" onClick={() => addTenderRow(t)} data-testid={`tender-add-${t}`} disabled={tender.inFlight()}>
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
                      onInput={(e) => setTenderRow(i(), "amount", e.currentTarget.value)}
                      onChange={(e) => setTenderRow(i(), "amount", e.currentTarget.value)}
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
                  <Show when={r.tender === "card"}>
                    <div class="field" classList={{ invalid: !!till.tenderErrors[`${i()}.reference`] }}>
                      <label for={`tender-reference-${i()}`}>Terminal reference</label>
                      <input
                        id={`tender-reference-${i()}`}
                        autocomplete="off"
                        maxLength={64}
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
