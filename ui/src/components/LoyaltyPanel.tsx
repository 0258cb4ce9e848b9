// The till's loyalty box for the customer on the sale: their points (and what
// they are worth, from the core), the rewards on offer, and "Claim" — one
// idempotency key per attempt, reused when the same claim is retried, so a
// double click or a retry after a lost answer claims once. The till applies the
// claim through `onClaimed` (and can re-apply an open claim the same way).

import { createEffect, createSignal, For, on, Show } from "solid-js";
import { call, newIdempotencyKey, type LoyaltyBalance, type LoyaltyClaim, type LoyaltyGrant, type LoyaltyReward } from "../api";
import { reportError } from "../errors";
import { formatMoney } from "../money";
import { can } from "../session";
import "../accounts-loyalty.css";

/** Keys of claim attempts not yet answered with success, by `customer:reward`. */
const claimKeys = new Map<string, string>();

/** The key for claiming `rewardId` for `customerId`: the same until a claim succeeds. */
export function claimKey(customerId: number, rewardId: number): string {
  const k = `${customerId}:${rewardId}`;
  let key = claimKeys.get(k);
  if (!key) {
    key = newIdempotencyKey();
    claimKeys.set(k, key);
  }
  return key;
}

export function grantText(g: LoyaltyGrant): string {
  switch (g.kind) {
    case "amount":
      return `${formatMoney(g.amount_minor)} off`;
    case "percent":
      return `${(g.percent_bp / 100).toFixed(g.percent_bp % 100 === 0 ? 0 : 2)}% off`;
    case "product":
      return `free product #${g.product_id}`;
  }
}

export function LoyaltyPanel(props: {
  customerId: number;
  onClaimed?: (claim: LoyaltyClaim) => void;
  /** The open claim the current sale already uses: shown as applied, not offered again. */
  appliedClaimId?: number | null;
  testid?: string;
}) {
  const [balance, setBalance] = createSignal<LoyaltyBalance | null>(null);
  const [rewards, setRewards] = createSignal<LoyaltyReward[]>([]);
  const [busy, setBusy] = createSignal<number | null>(null);
  const [last, setLast] = createSignal<LoyaltyClaim | null>(null);
  const t = () => props.testid ?? "loyalty-panel";

  async function load(customerId: number) {
    try {
      const [b, r] = await Promise.all([
        call("loyalty.balance", { customer_id: customerId, limit: 1 }),
        call("loyalty.rewards", { include_archived: false, limit: 200 }),
      ]);
      if (customerId !== props.customerId) return;
      setBalance(b);
      setRewards(r.rewards);
    } catch (e) {
      reportError(e);
    }
  }

  createEffect(
    on(
      () => props.customerId,
      (id) => {
        setBalance(null);
        setLast(null);
        void load(id);
      },
    ),
  );

  async function claim(reward: LoyaltyReward) {
    if (busy() !== null) return;
    const customerId = props.customerId;
    setBusy(reward.id);
    try {
      const c = await call("loyalty.claim", { idempotency_key: claimKey(customerId, reward.id), customer_id: customerId, reward_id: reward.id });
      claimKeys.delete(`${customerId}:${reward.id}`);
      setLast(c);
      props.onClaimed?.(c);
      await load(customerId);
    } catch (e) {
      reportError(e);
    } finally {
      setBusy(null);
    }
  }

  const now = () => Date.now();
  const onOffer = () =>
    rewards().filter((r) => !r.archived && r.valid_from_ms <= now() && (r.valid_until_ms === null || r.valid_until_ms > now()) && r.remaining !== 0);

  return (
    <section class="card loyalty-panel" data-testid={t()} aria-label="Loyalty">
      <h3>Loyalty</h3>
      <Show when={balance()} fallback={<p class="muted">Loading points…</p>}>
        {(b) => (
          <p data-testid={`${t()}-balance`} data-points={b().points}>
            <strong>{b().points}</strong> points (worth {formatMoney(b().value_minor)})
          </p>
        )}
      </Show>
      <Show when={last()}>
        {(c) => (
          <p class="notice" data-testid={`${t()}-claimed`} data-claim={c().id}>
            Claimed {c().reward_name}: {grantText(c().grant)}.
          </p>
        )}
      </Show>
      <Show when={(balance()?.open_claims.length ?? 0) > 0}>
        <h4>Open claims</h4>
        <ul>
          <For each={balance()?.open_claims ?? []}>
            {(c) => (
              <li data-testid={`${t()}-open-${c.id}`}>
                <span>
                  {c.reward_name} · {grantText(c.grant)}
                </span>
                <Show
                  when={props.appliedClaimId !== c.id}
                  fallback={
                    <span class="muted" data-testid={`${t()}-applied-${c.id}`}>
                      {" "}
                      applied to this sale
                    </span>
                  }
                >
                  <Show when={props.onClaimed}>
                    <button type="button" onClick={() => props.onClaimed?.(c)} data-testid={`${t()}-apply-${c.id}`}>
                      Apply
                    </button>
                  </Show>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <h4>Rewards</h4>
      <ul>
        <For each={onOffer()} fallback={<li class="muted">No rewards on offer.</li>}>
          {(r) => {
            const short = () => (balance()?.points ?? 0) < r.points_cost;
            return (
              <li data-testid={`${t()}-reward-${r.id}`}>
                <span>
                  {r.name} · {grantText(r.grant)} · {r.points_cost} pts
                </span>
                <Show when={can("sales.sell")}>
                  <button
                    type="button"
                    class="primary"
                    disabled={busy() !== null || balance() === null || short()}
                    title={short() ? "Not enough points" : undefined}
                    onClick={() => void claim(r)}
                    data-testid={`${t()}-claim-${r.id}`}
                  >
                    {busy() === r.id ? "Claiming…" : "Claim"}
                  </button>
                </Show>
              </li>
            );
          }}
        </For>
      </ul>
    </section>
  );
}
