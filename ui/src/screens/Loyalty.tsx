// Loyalty management (docs/API.md "## Loyalty"): the earning rules, the rewards
// catalog, a customer's points with a manual adjustment (reason mandatory), a
// bulk addition that is previewed before it is made, and the programme's
// figures with a small chart. Points and values come from the core.

import { createEffect, createSignal, For, Match, onMount, Show, Switch } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import {
  call,
  newIdempotencyKey,
  TillbookError,
  type LoyaltyBalance,
  type LoyaltyBulkAdd,
  type LoyaltyBulkPreview,
  type LoyaltyBulkPreviewRequest,
  type LoyaltyCategoryMultiplier,
  type LoyaltyConfig,
  type LoyaltyConfigureRequest,
  type LoyaltyCreateRewardRequest,
  type LoyaltyCustomerFilter,
  type LoyaltyGrant,
  type LoyaltyReward,
  type LoyaltyStats,
} from "../api";
import { CustomerPicker, type PickedCustomer } from "../components/AccountsCustomerPicker";
import { SelectField, TextField } from "../components/Field";
import { Picker, PICKER_HITS_MAX, type PickerItem } from "../components/Picker";
import { grantText } from "../components/LoyaltyPanel";
import { formatTime, reportError } from "../errors";
import { createForm, type Form } from "../forms";
import { fieldError, formatMoney, parseMoney, requireDateTime, requireInteger, requireMoney } from "../money";
import { onSignOut } from "../session";
import "../accounts-loyalty.css";

export type LoyaltyTab = "rules" | "rewards" | "customer" | "bulk" | "stats";

interface LoyaltyState {
  tab: LoyaltyTab;
  config: LoyaltyConfig | null;
  rewards: LoyaltyReward[];
  showArchived: boolean;
  customer: PickedCustomer | null;
  balance: LoyaltyBalance | null;
  /** The preview the manager sees, and exactly what it was made from. */
  preview: LoyaltyBulkPreview | null;
  previewArgs: LoyaltyBulkPreviewRequest | null;
  added: LoyaltyBulkAdd | null;
  stats: LoyaltyStats | null;
  saved: boolean;
}

const initial = (): LoyaltyState => ({
  tab: "rules",
  config: null,
  rewards: [],
  showArchived: false,
  customer: null,
  balance: null,
  preview: null,
  previewArgs: null,
  added: null,
  stats: null,
  saved: false,
});

export const [loy, setLoy] = createStore<LoyaltyState>(initial());

export const rulesForm = createForm("loyalty-rules", () => ({
  points_per_unit: "",
  point_value: "",
  min_spend: "",
  expiry_days: "",
  multipliers: "",
  excluded: "",
}));
export const rewardForm = createForm("reward", () => ({
  name: "",
  points_cost: "",
  kind: "amount",
  value: "",
  valid_from: "",
  valid_until: "",
  stock_limit: "",
  per_customer_limit: "",
}));
export const adjustForm = createForm("adjust", () => ({ points: "", reason: "" }));
export const bulkForm = createForm("bulk", () => ({
  customer_ids: "",
  min_points: "",
  max_points: "",
  ordered_since: "",
  points_each: "",
  reason: "",
}));

let rewardKey = newIdempotencyKey();
let adjustKey = newIdempotencyKey();
let bulkKey = newIdempotencyKey();

onSignOut(() => {
  setLoy(reconcile(initial()));
  rulesForm.reset();
  rewardForm.reset();
  adjustForm.reset();
  bulkForm.reset();
  rewardKey = newIdempotencyKey();
  adjustKey = newIdempotencyKey();
  bulkKey = newIdempotencyKey();
});

// ---- rules --------------------------------------------------------------

/** "Dairy = 2" per line -> multipliers in basis points (×1 = 10000), exact (no floats). */
export function parseMultipliers(text: string): LoyaltyCategoryMultiplier[] {
  const out: LoyaltyCategoryMultiplier[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const m = /^(.+?)\s*[=:]\s*([\d.,]+)\s*$/.exec(line);
    const bp = m ? parseMoney(m[2], 4) : null;
    if (!m || bp === null) throw fieldError("multipliers", `"${line}": write one "Category = 1.5" per line`);
    out.push({ category: m[1].trim(), multiplier_bp: bp });
  }
  return out;
}

export function showMultipliers(list: readonly LoyaltyCategoryMultiplier[]): string {
  return list.map((m) => `${m.category} = ${formatMoney(m.multiplier_bp, 4).replace(/\.?0+$/, "")}`).join("\n");
}

function parseIds(field: string, text: string): number[] {
  return text
    .split(/[\s,;]+/)
    .filter((s) => s !== "")
    .map((s) => requireInteger(field, s.replace(/^#/, "")));
}

/** The rules form as `loyalty.configure` arguments. */
export function configureArgs(version: number, v: typeof rulesForm.values): LoyaltyConfigureRequest {
  const expiry = v.expiry_days.trim();
  return {
    version,
    points_per_unit: requireInteger("points_per_unit", v.points_per_unit),
    point_value_minor: requireMoney("point_value", v.point_value),
    min_spend_minor: v.min_spend.trim() === "" ? 0 : requireMoney("min_spend", v.min_spend),
    expiry_days: expiry === "" ? null : requireInteger("expiry_days", expiry),
    category_multipliers: parseMultipliers(v.multipliers),
    excluded_product_ids: parseIds("excluded", v.excluded),
  };
}

function fillRules(c: LoyaltyConfig) {
  rulesForm.setValues({
    points_per_unit: String(c.points_per_unit),
    point_value: formatMoney(c.point_value_minor),
    min_spend: formatMoney(c.min_spend_minor),
    expiry_days: c.expiry_days === null ? "" : String(c.expiry_days),
    multipliers: showMultipliers(c.category_multipliers),
    excluded: c.excluded_product_ids.join(", "),
  });
}

export async function loadConfig(): Promise<void> {
  try {
    const c = await call("loyalty.config", {});
    setLoy("config", c);
    fillRules(c);
  } catch (e) {
    reportError(e);
  }
}

export async function saveRules(): Promise<boolean> {
  const c = loy.config;
  if (!c) return false;
  setLoy("saved", false);
  const ok = await rulesForm.submit(
    async () => {
      const next = await call("loyalty.configure", configureArgs(c.version, rulesForm.values));
      setLoy({ config: next, saved: true });
      fillRules(next);
    },
    {
      mapField: (f) =>
        f === "point_value_minor" ? "point_value" : f === "min_spend_minor" ? "min_spend" : f.startsWith("category_multipliers") ? "multipliers" : f.startsWith("excluded_product_ids") ? "excluded" : f,
    },
  );
  return ok;
}

// ---- rewards ------------------------------------------------------------

export function rewardArgs(v: typeof rewardForm.values): LoyaltyCreateRewardRequest {
  let grant: LoyaltyGrant;
  if (v.kind === "amount") grant = { kind: "amount", amount_minor: requireMoney("value", v.value) };
  else if (v.kind === "percent") {
    // "12.5" % -> 1250 basis points, exactly.
    const bp = parseMoney(v.value, 2);
    if (bp === null) throw fieldError("value", "enter a percentage like 10 or 12.5");
    grant = { kind: "percent", percent_bp: bp };
  } else grant = { kind: "product", product_id: requireInteger("value", v.value.replace(/^#/, "")) };
  const name = v.name.trim();
  if (name === "") throw fieldError("name", "give the reward a name");
  const args: LoyaltyCreateRewardRequest = { name, points_cost: requireInteger("points_cost", v.points_cost), grant };
  if (v.valid_from.trim() !== "") args.valid_from_ms = requireDateTime("valid_from", v.valid_from);
  if (v.valid_until.trim() !== "") args.valid_until_ms = requireDateTime("valid_until", v.valid_until);
  if (v.stock_limit.trim() !== "") args.stock_limit = requireInteger("stock_limit", v.stock_limit);
  if (v.per_customer_limit.trim() !== "") args.per_customer_limit = requireInteger("per_customer_limit", v.per_customer_limit);
  return args;
}

export async function loadRewards(): Promise<void> {
  try {
    const r = await call("loyalty.rewards", { include_archived: loy.showArchived, limit: 200 });
    setLoy("rewards", r.rewards);
  } catch (e) {
    reportError(e);
  }
}

export async function createReward(): Promise<boolean> {
  const ok = await rewardForm.submit(
    async () => {
      await call("loyalty.create_reward", { idempotency_key: rewardKey, ...rewardArgs(rewardForm.values) });
    },
    {
      mapField: (f) => (f.startsWith("grant") ? "value" : f === "valid_from_ms" ? "valid_from" : f === "valid_until_ms" ? "valid_until" : f),
    },
  );
  if (ok) {
    rewardKey = newIdempotencyKey();
    rewardForm.reset();
    await loadRewards();
  }
  return ok;
}

export async function archiveReward(r: LoyaltyReward): Promise<void> {
  try {
    await call("loyalty.archive_reward", { id: r.id, version: r.version });
  } catch (e) {
    reportError(e);
  }
  await loadRewards();
}

// ---- one customer -------------------------------------------------------

export async function loadBalance(): Promise<void> {
  const c = loy.customer;
  if (!c) return;
  try {
    const b = await call("loyalty.balance", { customer_id: c.id, limit: 50 });
    if (loy.customer?.id === c.id) setLoy("balance", b);
  } catch (e) {
    reportError(e);
  }
}

export async function adjustPoints(): Promise<boolean> {
  const c = loy.customer;
  if (!c) return false;
  const ok = await adjustForm.submit(async () => {
    const points = requireInteger("points", adjustForm.values.points, true);
    if (points === 0) throw fieldError("points", "add or take away at least one point");
    const reason = adjustForm.values.reason.trim();
    if (reason === "") throw fieldError("reason", "say why (kept in the audit log)");
    await call("loyalty.adjust", { idempotency_key: adjustKey, customer_id: c.id, points, reason });
  }, { mapField: (f) => (f === "customer_id" ? "points" : f) });
  if (ok) {
    adjustKey = newIdempotencyKey();
    adjustForm.reset();
    await loadBalance();
  }
  return ok;
}

// ---- bulk ---------------------------------------------------------------

export function bulkArgs(v: typeof bulkForm.values): LoyaltyBulkPreviewRequest {
  const filter: LoyaltyCustomerFilter = {};
  const ids = parseIds("customer_ids", v.customer_ids);
  if (ids.length > 0) filter.customer_ids = ids;
  if (v.min_points.trim() !== "") filter.min_points = requireInteger("min_points", v.min_points);
  if (v.max_points.trim() !== "") filter.max_points = requireInteger("max_points", v.max_points);
  if (v.ordered_since.trim() !== "") {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.ordered_since.trim())) throw fieldError("ordered_since", "enter a date as YYYY-MM-DD");
    filter.ordered_since_ms = Date.parse(`${v.ordered_since.trim()}T00:00:00Z`);
  }
  return { filter, points_each: requireInteger("points_each", v.points_each) };
}

const bulkField = (f: string) => (f.startsWith("filter.") ? f.slice("filter.".length) : f === "filter" ? "customer_ids" : f === "expected_customers" ? "points_each" : f);

export async function previewBulk(): Promise<boolean> {
  setLoy({ preview: null, previewArgs: null, added: null });
  return bulkForm.submit(
    async () => {
      const args = bulkArgs(bulkForm.values);
      const p = await call("loyalty.bulk_preview", args);
      // A new preview is a new attempt.
      bulkKey = newIdempotencyKey();
      setLoy({ preview: p, previewArgs: args });
    },
    { mapField: bulkField },
  );
}

export async function addBulk(): Promise<boolean> {
  const p = loy.preview;
  const args = loy.previewArgs;
  if (!p || !args) return false;
  const ok = await bulkForm.submit(
    async () => {
      const reason = bulkForm.values.reason.trim();
      if (reason === "") throw fieldError("reason", "say why (kept in the audit log)");
      const added = await call("loyalty.bulk_add", {
        idempotency_key: bulkKey,
        filter: args.filter,
        points_each: args.points_each,
        reason,
        expected_customers: p.customers,
      });
      setLoy({ added, preview: null, previewArgs: null });
    },
    { mapField: bulkField },
  );
  if (ok) {
    bulkKey = newIdempotencyKey();
    bulkForm.reset();
  }
  return ok;
}

// ---- stats --------------------------------------------------------------

export async function loadStats(): Promise<void> {
  try {
    setLoy("stats", await call("loyalty.stats", { top: 10 }));
  } catch (e) {
    reportError(e);
  }
}

async function loadTab(tab: LoyaltyTab) {
  if (tab === "rules") await loadConfig();
  else if (tab === "rewards") await loadRewards();
  else if (tab === "customer") await loadBalance();
  else if (tab === "stats") await loadStats();
}

export function showLoyaltyTab(tab: LoyaltyTab) {
  setLoy("tab", tab);
  void loadTab(tab);
}

const TABS: { id: LoyaltyTab; label: string }[] = [
  { id: "rules", label: "Earning rules" },
  { id: "rewards", label: "Rewards" },
  { id: "customer", label: "Customer points" },
  { id: "bulk", label: "Bulk add" },
  { id: "stats", label: "Stats" },
];

export function Loyalty() {
  onMount(() => void loadTab(loy.tab));
  return (
    <section class="panel" data-testid="loyalty">
      <div class="toolbar">
        <h1>Loyalty</h1>
      </div>
      <nav class="al-tabs" role="tablist" aria-label="Loyalty">
        <For each={TABS}>
          {(t) => (
            <button
              type="button"
              role="tab"
              aria-selected={loy.tab === t.id}
              classList={{ active: loy.tab === t.id }}
              data-testid={`loyalty-tab-${t.id}`}
              onClick={() => showLoyaltyTab(t.id)}
            >
              {t.label}
            </button>
          )}
        </For>
      </nav>
      <Switch>
        <Match when={loy.tab === "rules"}>
          <Rules />
        </Match>
        <Match when={loy.tab === "rewards"}>
          <Rewards />
        </Match>
        <Match when={loy.tab === "customer"}>
          <CustomerPoints />
        </Match>
        <Match when={loy.tab === "bulk"}>
          <Bulk />
        </Match>
        <Match when={loy.tab === "stats"}>
          <Stats />
        </Match>
      </Switch>
    </section>
  );
}

/** A product search for pickers (catalog.search by name, SKU or barcode). */
export async function searchProducts(text: string): Promise<PickerItem[]> {
  const page = await call("catalog.search", { query: text, limit: PICKER_HITS_MAX });
  return page.items.map((h) => ({ id: h.product.id, label: h.product.name, detail: h.product.sku }));
}

/** A customer search for pickers (customers.search by name). */
export async function searchCustomers(text: string): Promise<PickerItem[]> {
  const found = await call("customers.search", { prefix: text, limit: PICKER_HITS_MAX });
  return found.map((c) => ({ id: c.id, label: c.name, detail: c.phone || undefined }));
}

/** Names of picked records, read once per id (the ids stay in the form, never on screen). */
const [pickedNames, setPickedNames] = createStore<Record<string, string>>({});

function idsIn(text: string): number[] {
  return text
    .split(/[\s,;]+/)
    .filter((s) => /^#?\d+$/.test(s))
    .map((s) => Number(s.replace(/^#/, "")));
}

async function nameAll(kind: "product" | "customer", ids: number[]) {
  for (const id of ids.slice(0, 200)) {
    const key = `${kind}:${id}`;
    if (pickedNames[key] !== undefined) continue;
    try {
      const name = kind === "product" ? (await call("catalog.get_product", { id })).name : (await call("customers.get", { id })).name;
      setPickedNames(key, name);
    } catch (e) {
      if (e instanceof TillbookError && e.code === "not_found") setPickedNames(key, `a removed ${kind}`);
      else reportError(e);
    }
  }
}

/**
 * A list of records chosen by name: a picker to add, chips to remove. The
 * form field holds the ids ("5, 9") for the request; the screen shows names.
 */
function PickedList(props: {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  form: Form<any>;
  name: string;
  kind: "product" | "customer";
  label: string;
  testid: string;
  empty: string;
}) {
  const ids = () => idsIn(String(props.form.values[props.name] ?? ""));
  const setIds = (next: number[]) => {
    props.form.setValues(props.name, next.join(", "));
    props.form.setError(props.name, undefined);
  };
  const nameOf = (id: number) => pickedNames[`${props.kind}:${id}`] ?? "…";
  createEffect(() => void nameAll(props.kind, ids()));
  return (
    <div class="field" data-testid={props.testid}>
      <Picker
        testid={`${props.testid}-picker`}
        label={props.label}
        multi
        placeholder={props.kind === "product" ? "Type a product name, SKU or barcode…" : "Type a customer's name…"}
        search={props.kind === "product" ? searchProducts : searchCustomers}
        onPick={(p) => {
          if (!p) return;
          setPickedNames(`${props.kind}:${p.id}`, p.label);
          if (!ids().includes(p.id)) setIds([...ids(), p.id]);
        }}
      />
      <Show when={ids().length > 0} fallback={<small class="muted">{props.empty}</small>}>
        <ul class="chips" data-testid={`${props.testid}-list`}>
          <For each={ids()}>
            {(id) => (
              <li class="chip" data-testid={`${props.testid}-${id}`}>
                {nameOf(id)}{" "}
                <button type="button" class="link" aria-label={`Remove ${nameOf(id)}`} onClick={() => setIds(ids().filter((x) => x !== id))}>
                  Remove
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={props.form.errors[props.name]}>
        {(msg) => (
          <span class="field-error" role="alert" data-testid={`field-error-${props.name}`}>
            {msg()}
          </span>
        )}
      </Show>
    </div>
  );
}

/** "Products that earn nothing", chosen by name. */
function ExcludedProducts() {
  return (
    <PickedList form={rulesForm} name="excluded" kind="product" label="Products that earn no points" testid="loyalty-excluded" empty="Every product earns points." />
  );
}

/** The free product of a reward, chosen by name; its id goes into the form's `value`. */
function RewardProduct() {
  const [name, setName] = createSignal<string | null>(null);
  const picked = (): PickerItem | null => {
    const id = idsIn(rewardForm.values.value)[0];
    return id === undefined ? null : { id, label: name() ?? pickedNames[`product:${id}`] ?? "…" };
  };
  return (
    <div class="field">
      <Picker
        testid="reward-product"
        label="Free product"
        placeholder="Type a product name, SKU or barcode…"
        search={searchProducts}
        picked={picked()}
        onPick={(p) => {
          setName(p?.label ?? null);
          rewardForm.setValues("value", p ? String(p.id) : "");
          rewardForm.setError("value", undefined);
        }}
      />
      <Show when={rewardForm.errors["value"]}>
        {(msg) => (
          <span class="field-error" role="alert" data-testid="field-error-value">
            {msg()}
          </span>
        )}
      </Show>
    </div>
  );
}

function Rules() {
  return (
    <form
      class="card"
      data-testid="loyalty-rules-form"
      onSubmit={(e) => {
        e.preventDefault();
        void saveRules();
      }}
    >
      <h2>Earning rules</h2>
      <Show when={loy.config}>
        {(c) => (
          <p class="muted" data-testid="loyalty-rules-version">
            {c().points_per_unit === 0 ? "Earning is off." : `${c().points_per_unit} points per currency unit.`}
            {c().updated_at_ms > 0 ? ` Last changed ${formatTime(c().updated_at_ms)}.` : ""}
          </p>
        )}
      </Show>
      <div class="row">
        <TextField form={rulesForm} name="points_per_unit" label="Points per currency unit (0 = off)" inputmode="numeric" />
        <TextField form={rulesForm} name="point_value" label="Value of one point" inputmode="numeric" />
        <TextField form={rulesForm} name="min_spend" label="Minimum spend" inputmode="numeric" />
        <TextField form={rulesForm} name="expiry_days" label="Points expire after (days; empty = never)" inputmode="numeric" />
      </div>
      <TextField form={rulesForm} name="multipliers" label="Category multipliers" multiline hint={'One per line, e.g. "Dairy = 2" (double points) or "Tobacco = 0"'} />
      <ExcludedProducts />
      <div class="actions">
        <button type="submit" class="primary" data-testid="loyalty-rules-save" disabled={rulesForm.busy() || !loy.config}>
          Save rules
        </button>
        <Show when={loy.saved}>
          <span class="notice" data-testid="loyalty-rules-saved">
            Saved.
          </span>
        </Show>
      </div>
    </form>
  );
}

function Rewards() {
  return (
    <div class="al-columns">
      <div>
        <div class="filters">
          <label class="field-inline">
            <input
              type="checkbox"
              checked={loy.showArchived}
              onChange={(e) => {
                setLoy("showArchived", e.currentTarget.checked);
                void loadRewards();
              }}
              data-testid="rewards-show-archived"
            />{" "}
            Show archived
          </label>
        </div>
        <table class="grid" data-testid="rewards">
          <thead>
            <tr>
              <th>Reward</th>
              <th>Gives</th>
              <th class="num">Points</th>
              <th>Valid</th>
              <th class="num">Claimed</th>
              <th class="num">Left</th>
              <th class="num">Per customer</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <For each={loy.rewards} fallback={<tr><td colspan="8" class="muted" data-testid="rewards-empty">No rewards yet — create one below (e.g. 300 points for a free coffee).</td></tr>}>
              {(r) => (
                <tr data-testid={`reward-row-${r.id}`} data-name={r.name} data-archived={r.archived ? "true" : "false"}>
                  <td>{r.name}</td>
                  <td>{grantText(r.grant)}</td>
                  <td class="num">{r.points_cost}</td>
                  <td>
                    {formatTime(r.valid_from_ms)}
                    {r.valid_until_ms !== null ? ` – ${formatTime(r.valid_until_ms)}` : ""}
                  </td>
                  <td class="num">{r.claimed}</td>
                  <td class="num">{r.remaining ?? "∞"}</td>
                  <td class="num">{r.per_customer_limit ?? "∞"}</td>
                  <td>
                    <Show when={!r.archived} fallback={<span class="muted">archived</span>}>
                      <button type="button" onClick={() => void archiveReward(r)} data-testid={`reward-archive-${r.id}`}>
                        Archive
                      </button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <form
        class="card"
        data-testid="reward-form"
        onSubmit={(e) => {
          e.preventDefault();
          void createReward();
        }}
      >
        <h2>New reward</h2>
        <TextField form={rewardForm} name="name" label="Name" maxLength={100} />
        <TextField form={rewardForm} name="points_cost" label="Points cost" inputmode="numeric" />
        <SelectField
          form={rewardForm}
          name="kind"
          label="Gives"
          options={[
            { value: "amount", label: "An amount off" },
            { value: "percent", label: "A percentage off" },
            { value: "product", label: "A free product" },
          ]}
        />
        <Show
          when={rewardForm.values.kind === "product"}
          fallback={<TextField form={rewardForm} name="value" label={rewardForm.values.kind === "amount" ? "Amount off" : "Percent off"} inputmode="numeric" />}
        >
          <RewardProduct />
        </Show>
        <TextField form={rewardForm} name="valid_from" label="Valid from (empty = now)" type="datetime-local" />
        <TextField form={rewardForm} name="valid_until" label="Valid until (optional)" type="datetime-local" />
        <TextField form={rewardForm} name="stock_limit" label="Stock (claims in all; empty = unlimited)" inputmode="numeric" />
        <TextField form={rewardForm} name="per_customer_limit" label="Per customer (1 = once; empty = unlimited)" inputmode="numeric" />
        <div class="actions">
          <button type="submit" class="primary" data-testid="reward-create" disabled={rewardForm.busy()}>
            Create reward
          </button>
        </div>
      </form>
    </div>
  );
}

function CustomerPoints() {
  return (
    <>
      <CustomerPicker
        testid="loyalty-customer"
        picked={loy.customer}
        onPick={(c) => {
          setLoy({ customer: c, balance: null });
          adjustForm.reset();
          void loadBalance();
        }}
      />
      <Show when={loy.customer}>
        <div class="al-columns">
          <div>
            <Show when={loy.balance}>
              {(b) => (
                <>
                  <p class="lead" data-testid="loyalty-balance" data-points={b().points}>
                    <strong data-testid="loyalty-points">{b().points}</strong> points, worth {formatMoney(b().value_minor)}
                  </p>
                  <table class="grid" data-testid="loyalty-movements">
                    <thead>
                      <tr>
                        <th>When</th>
                        <th>Kind</th>
                        <th class="num">Points</th>
                        <th class="num">Balance</th>
                        <th>Reason</th>
                        <th>Expires</th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={b().movements} fallback={<tr><td colspan="6" class="muted">No points movements yet.</td></tr>}>
                        {(m) => (
                          <tr data-testid={`loyalty-movement-${m.seq}`} data-kind={m.kind} data-points={m.points}>
                            <td>{formatTime(m.created_at_ms)}</td>
                            <td>{m.kind}</td>
                            <td class="num">{m.points > 0 ? `+${m.points}` : m.points}</td>
                            <td class="num">{m.balance_after}</td>
                            <td>{m.reason ?? ""}</td>
                            <td>{m.expires_at_ms !== null ? formatTime(m.expires_at_ms) : ""}</td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </>
              )}
            </Show>
          </div>
          <form
            class="card"
            data-testid="adjust-form"
            onSubmit={(e) => {
              e.preventDefault();
              void adjustPoints();
            }}
          >
            <h2>Adjust points</h2>
            <TextField form={adjustForm} name="points" label="Points (+ to add, − to take away)" hint="e.g. 50 or -20" />
            <TextField form={adjustForm} name="reason" label="Reason (required)" maxLength={500} />
            <div class="actions">
              <button type="submit" class="primary" data-testid="adjust-submit" disabled={adjustForm.busy()}>
                Adjust
              </button>
            </div>
          </form>
        </div>
      </Show>
    </>
  );
}

function Bulk() {
  return (
    <div class="al-columns">
      <form
        class="card"
        data-testid="bulk-form"
        onSubmit={(e) => {
          e.preventDefault();
          void previewBulk();
        }}
      >
        <h2>Add points to many customers</h2>
        <p class="muted">Active customers matching every condition given.</p>
        <PickedList form={bulkForm} name="customer_ids" kind="customer" label="Only these customers (optional)" testid="bulk-customers" empty="Any customer who matches the conditions below." />
        <div class="row">
          <TextField form={bulkForm} name="min_points" label="At least (points)" inputmode="numeric" />
          <TextField form={bulkForm} name="max_points" label="At most (points)" inputmode="numeric" />
        </div>
        <TextField form={bulkForm} name="ordered_since" label="Ordered since (optional)" type="date" />
        <TextField form={bulkForm} name="points_each" label="Points each" inputmode="numeric" />
        <TextField form={bulkForm} name="reason" label="Reason (required to add)" maxLength={500} />
        <div class="actions">
          <button type="submit" data-testid="bulk-preview" disabled={bulkForm.busy()}>
            Preview
          </button>
        </div>
      </form>
      <div>
        <Show when={loy.preview}>
          {(p) => (
            <div class="card" data-testid="bulk-preview-result" data-customers={p().customers}>
              <h2>Preview</h2>
              <p>
                <strong data-testid="bulk-preview-customers">{p().customers}</strong> customers × {p().points_each} points ={" "}
                <strong data-testid="bulk-preview-total">{p().total_points}</strong> points, worth {formatMoney(p().value_minor)}.
              </p>
              <table class="grid">
                <thead>
                  <tr>
                    <th>Customer</th>
                    <th class="num">Points now</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={p().sample}>
                    {(s) => (
                      <tr data-testid={`bulk-sample-${s.customer_id}`}>
                        <td>{s.name}</td>
                        <td class="num">{s.points}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <Show when={p().customers > p().sample.length}>
                <p class="muted">…and {p().customers - p().sample.length} more.</p>
              </Show>
              <div class="actions">
                <button type="button" class="primary" onClick={() => void addBulk()} disabled={bulkForm.busy() || p().customers === 0} data-testid="bulk-add">
                  Add {p().total_points} points
                </button>
              </div>
            </div>
          )}
        </Show>
        <Show when={loy.added}>
          {(a) => (
            <p class="notice" data-testid="bulk-added" data-customers={a().customers}>
              Added {a().points_each} points to {a().customers} customers ({a().total_points} in all).
            </p>
          )}
        </Show>
      </div>
    </div>
  );
}

/** A plain SVG bar chart of the points flows: credits up (green), debits down (red). */
export function PointsFlowChart(props: { stats: LoyaltyStats }) {
  const bars = () => [
    { label: "Earned", value: props.stats.earned_points, out: false },
    { label: "Returned", value: props.stats.returned_points, out: false },
    { label: "Adjusted in", value: props.stats.adjusted_in_points, out: false },
    { label: "Redeemed", value: props.stats.redeemed_points, out: true },
    { label: "Reversed", value: props.stats.reversed_points, out: true },
    { label: "Adjusted out", value: props.stats.adjusted_out_points, out: true },
    { label: "Expired", value: props.stats.expired_points, out: true },
  ];
  const W = 560;
  const H = 220;
  const top = 20;
  const bottom = 40;
  const band = () => (W - 20) / bars().length;
  const max = () => Math.max(1, ...bars().map((b) => b.value));
  const h = (v: number) => ((H - top - bottom) * v) / max();
  const summary = () => bars().map((b) => `${b.label} ${b.value}`).join(", ");
  return (
    <figure class="al-chart" data-testid="loyalty-chart">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`Points flows: ${summary()}`}>
        <title>Points flows</title>
        <line x1="10" x2={W - 10} y1={H - bottom} y2={H - bottom} stroke="currentColor" />
        <For each={bars()}>
          {(b, i) => (
            <g data-testid={`loyalty-chart-bar-${i()}`} data-value={b.value}>
              <rect
                class={b.out ? "al-bar-out" : "al-bar-in"}
                x={10 + band() * i() + band() * 0.15}
                y={H - bottom - h(b.value)}
                width={band() * 0.7}
                height={h(b.value)}
              >
                <title>
                  {b.label}: {b.value} points
                </title>
              </rect>
              <text x={10 + band() * i() + band() / 2} y={H - bottom - h(b.value) - 4} text-anchor="middle">
                {b.value}
              </text>
              <text x={10 + band() * i() + band() / 2} y={H - bottom + 16} text-anchor="middle">
                {b.label}
              </text>
            </g>
          )}
        </For>
      </svg>
      <figcaption class="muted">Points credited (green) and taken away (red), all time.</figcaption>
    </figure>
  );
}

function Stats() {
  return (
    <Show when={loy.stats} fallback={<p class="muted">Loading…</p>}>
      {(s) => (
        <div data-testid="loyalty-stats">
          <dl class="al-stats">
            <div>
              <dt>Outstanding points</dt>
              <dd data-testid="stats-outstanding">{s().outstanding_points}</dd>
            </div>
            <div>
              <dt>Liability (2300)</dt>
              <dd data-testid="stats-liability">{formatMoney(s().liability_minor)}</dd>
            </div>
            <div>
              <dt>Point value</dt>
              <dd>{formatMoney(s().point_value_minor)}</dd>
            </div>
            <div>
              <dt>Customers with points</dt>
              <dd>{s().customers_with_points}</dd>
            </div>
            <div>
              <dt>Issued</dt>
              <dd>{s().issued_points}</dd>
            </div>
            <div>
              <dt>Claims (redeemed)</dt>
              <dd>
                {s().claims} ({s().redeemed_claims})
              </dd>
            </div>
          </dl>
          <PointsFlowChart stats={s()} />
          <h2>Top customers</h2>
          <table class="grid" data-testid="stats-top">
            <thead>
              <tr>
                <th>Customer</th>
                <th class="num">Points</th>
              </tr>
            </thead>
            <tbody>
              <For each={s().top_customers} fallback={<tr><td colspan="2" class="muted">Nobody has points yet.</td></tr>}>
                {(c) => (
                  <tr data-testid={`stats-top-${c.customer_id}`}>
                    <td>{c.name}</td>
                    <td class="num">{c.points}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      )}
    </Show>
  );
}
