import { createEffect, createSignal, For, onMount, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { call, newIdempotencyKey, TillbookError, type CountLineView, type CountRecordRequest, type CountView } from "../api";
import type { OpenCountView } from "../generated/OpenCountView";
import { CheckField, SelectField, TextField } from "../components/Field";
import { formatTime, reportError } from "../errors";
import { createForm, focusField } from "../forms";
import { fieldError, requireInteger, signed } from "../money";
import { formatQuantity, parseQuantity } from "../logic/quantity";
import { formatCivilDate } from "../locale";
import { can, onSignOut } from "../session";

interface CountState {
  count: CountView | null;
  /** The last review (null until reviewed); its count's version is what posting names. */
  lines: CountLineView[] | null;
  reviewedVersion: number | null;
  last: CountLineView | null;
}

const initialState = (): CountState => ({ count: null, lines: null, reviewedVersion: null, last: null });
export const [counting, setCounting] = createStore<CountState>(initialState());

export const countOpenForm = createForm("count-open", () => ({ note: "" }));
export const countScanForm = createForm("count", () => ({ barcode: "", batch_id: "", counted: "", add: false as boolean }));
let openKey = newIdempotencyKey();

onSignOut(() => {
  setCounting(reconcile(initialState()));
  countOpenForm.reset();
  countScanForm.reset();
  openKey = newIdempotencyKey();
});

/** "+0.250" / "-2": a variance at the unit's precision. */
function signedAt(n: number, decimals: number): string {
  return !decimals ? signed(n) : (n > 0 ? "+" : "") + formatQuantity(n, decimals);
}

/** The scan form as `stock.count_record` arguments. */
export function recordArgs(countId: number, v: typeof countScanForm.values, decimals = 0): CountRecordRequest {
  const barcode = v.barcode.trim();
  const batch = v.batch_id.trim();
  if (barcode === "" && batch === "") throw fieldError("barcode", "scan a barcode or give a batch number");
  const text = v.add && v.counted.trim() === "" ? (decimals === 0 ? "1" : "") : v.counted;
  // A weighed product is counted in its unit ("1.250" kg is 1250 g).
  const counted = decimals === 0 ? requireInteger("counted", text) : parseQuantity(text, decimals);
  if (counted === null) throw fieldError("counted", `enter the quantity with at most ${decimals} decimals, like ${formatQuantity(1250, decimals)}`);
  const args: CountRecordRequest = { count_id: countId, counted };
  if (barcode !== "") args.barcode = barcode;
  if (batch !== "") args.batch_id = requireInteger("batch_id", batch.replace(/^#/, ""));
  if (v.add) args.add = true;
  return args;
}

export async function openCount(): Promise<boolean> {
  const ok = await countOpenForm.submit(async () => {
    const note = countOpenForm.values.note.trim();
    const c = await call("stock.count_open", { idempotency_key: openKey, ...(note !== "" ? { note } : {}) });
    setCounting({ count: c, lines: null, reviewedVersion: null, last: null });
  });
  if (ok) {
    openKey = newIdempotencyKey();
    countOpenForm.reset();
    focusField("count", "barcode");
  }
  return ok;
}

const [openCounts, setOpenCounts] = createSignal<OpenCountView[] | null>(null);

/**
 * The batches of the scanned product, by lot and date, so a product with
 * several in stock is counted per batch without anyone typing a batch number.
 */
const [batchChoices, setBatchChoices] = createSignal<{ value: string; label: string }[]>([]);
let batchSeq = 0;

async function loadBatchChoices(barcode: string): Promise<void> {
  const mine = ++batchSeq;
  const code = barcode.trim();
  if (code.length < 4) {
    setBatchChoices([]);
    return;
  }
  try {
    const p = await call("catalog.get_product", { barcode: code });
    const batches = await call("stock.batches", { product_id: p.id, limit: 50 });
    if (mine !== batchSeq) return;
    setBatchChoices(
      batches.map((b) => ({
        value: String(b.id),
        label: `Lot ${b.lot_code}${b.expires_on ? ` · use by ${formatCivilDate(b.expires_on)}` : ""} · ${formatQuantity(b.on_hand, p.quantity_decimals ?? 0)} on hand`,
      })),
    );
  } catch {
    // Still typing, or not a product's barcode: the core says so on Record.
    if (mine === batchSeq) setBatchChoices([]);
  }
}

/** The counts still open, for "continue a count" (picked from a list, never by number). */
export async function loadOpenCounts(): Promise<void> {
  try {
    setOpenCounts(await call("stock.open_counts", {}));
  } catch (e) {
    reportError(e);
  }
}

/** Continue an earlier count, picked from the open ones. */
export async function resumeCount(id: number): Promise<boolean> {
  return countOpenForm.submit(async () => {
    const review = await call("stock.count_review", { count_id: id });
    setCounting({ count: review.count, lines: review.lines, reviewedVersion: review.count.version, last: null });
  });
}

/**
 * The decimals the counted quantity is typed with: the scanned product's
 * unit (kg: 3), or a batch already on this count. Unknown: whole numbers (the
 * core says if the barcode or batch is wrong).
 */
async function decimalsOf(v: typeof countScanForm.values): Promise<number> {
  const barcode = v.barcode.trim();
  if (barcode !== "") {
    try {
      return (await call("catalog.get_product", { barcode })).quantity_decimals;
    } catch {
      return 0;
    }
  }
  const batch = Number(v.batch_id.trim().replace(/^#/, ""));
  const known = [...(counting.lines ?? []), ...(counting.last ? [counting.last] : [])].find((l) => l.batch_id === batch);
  return known?.quantity_decimals ?? 0;
}

export async function recordCounted(): Promise<boolean> {
  const c = counting.count;
  if (!c) return false;
  const ok = await countScanForm.submit(
    async () => {
      const line = await call("stock.count_record", recordArgs(c.id, countScanForm.values, await decimalsOf(countScanForm.values)));
      // Recording bumps the count's version: the earlier review is out of date.
      setCounting({ last: line, reviewedVersion: null });
    },
    {
      mapField: (f) => (f === "count_id" ? "barcode" : f),
      fieldFor: (e: TillbookError) => (e.code === "validation" && /batch/i.test(e.message) ? "batch_id" : undefined),
    },
  );
  if (ok) {
    countScanForm.setValues({ barcode: "", batch_id: "", counted: "" });
    focusField("count", "barcode");
  }
  return ok;
}

export async function reviewCount(): Promise<void> {
  const c = counting.count;
  if (!c) return;
  try {
    const review = await call("stock.count_review", { count_id: c.id });
    setCounting({ count: review.count, lines: review.lines, reviewedVersion: review.count.version });
  } catch (e) {
    reportError(e);
  }
}

export async function postCount(): Promise<void> {
  const c = counting.count;
  if (!c || counting.reviewedVersion === null) return;
  try {
    const review = await call("stock.count_post", { count_id: c.id, version: counting.reviewedVersion });
    setCounting({ count: review.count, lines: review.lines, reviewedVersion: review.count.version });
  } catch (e) {
    reportError(e);
    if (e instanceof TillbookError && e.code === "conflict") await reviewCount();
  }
}

function newCount() {
  setCounting(reconcile(initialState()));
  countScanForm.reset();
  void loadOpenCounts();
}

export function Count() {
  const isOpen = () => counting.count?.status === "open";
  onMount(() => {
    if (!counting.count) void loadOpenCounts();
  });
  createEffect(() => void loadBatchChoices(countScanForm.values.barcode));
  return (
    <section class="panel" data-testid="count">
      <div class="toolbar">
        <h1>Stock count</h1>
        <span class="spacer" />
        <Show when={counting.count}>
          {(c) => (
            <span data-testid="count-status" data-status={c().status}>
              Count #{c().number} · {c().status}
              {c().posted_at_ms !== null ? ` ${formatTime(c().posted_at_ms!)}` : ""}
            </span>
          )}
        </Show>
        <Show when={counting.count && !isOpen()}>
          <button type="button" onClick={newCount} data-testid="count-new">
            New count
          </button>
        </Show>
      </div>

      <Show when={!counting.count}>
        <div class="columns">
          <form
            class="card"
            data-testid="count-open-form"
            onSubmit={(e) => {
              e.preventDefault();
              void openCount();
            }}
          >
            <h2>Open a count</h2>
            <TextField form={countOpenForm} name="note" label="Note (optional)" placeholder="e.g. shelf A, monthly" autofocus />
            <div class="actions">
              <button type="submit" class="primary" data-testid="count-open" disabled={countOpenForm.busy()}>
                Open count
              </button>
            </div>
          </form>
          <div class="card" data-testid="count-open-list">
            <h2>Continue a count</h2>
            <Show
              when={(openCounts() ?? []).length > 0}
              fallback={
                <p class="muted" data-testid="count-open-none">
                  {openCounts() === null ? "Loading…" : "No count is open — open one on the left to start counting."}
                </p>
              }
            >
              <ul class="plain-list">
                <For each={openCounts() ?? []}>
                  {(oc) => (
                    <li>
                      <button type="button" data-testid={`count-resume-${oc.number}`} onClick={() => void resumeCount(oc.id)}>
                        Count {oc.number}
                        {oc.note ? ` — ${oc.note}` : ""}
                      </button>{" "}
                      <span class="muted">
                        opened {formatTime(oc.opened_at_ms)}
                        {oc.opened_by_name ? ` by ${oc.opened_by_name}` : ""} · {oc.lines_counted} counted so far
                      </span>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </div>
        </div>
      </Show>

      <Show when={counting.count}>
        {(c) => (
          <>
            <Show when={c().note}>
              <p class="muted">{c().note}</p>
            </Show>
            <Show when={isOpen()}>
              <form
                class="filters"
                data-testid="count-scan-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void recordCounted();
                }}
              >
                <TextField form={countScanForm} name="barcode" label="Scan barcode" autofocus />
                <Show when={batchChoices().length > 1}>
                  <SelectField
                    form={countScanForm}
                    name="batch_id"
                    label="Which batch (this product has several)"
                    options={[{ value: "", label: "Choose the batch…" }, ...batchChoices()]}
                  />
                </Show>
                <TextField form={countScanForm} name="counted" label="Counted" inputmode="numeric" hint={countScanForm.values.add ? "added to what was recorded (empty = 1)" : "replaces what was recorded"} />
                <CheckField form={countScanForm} name="add" label="Add (one scan = one unit)" />
                <div class="actions">
                  <button type="submit" class="primary" data-testid="count-record" disabled={countScanForm.busy()}>
                    Record
                  </button>
                </div>
              </form>
              <Show when={counting.last}>
                {(l) => (
                  <p class="notice" data-testid="count-last">
                    Recorded {l().sku} {l().name}, lot {l().lot_code} (batch #{l().batch_id}): counted {formatQuantity(l().counted, l().quantity_decimals)}, expected{" "}
                    {formatQuantity(l().expected, l().quantity_decimals)}, variance {signedAt(l().variance, l().quantity_decimals)}
                  </p>
                )}
              </Show>
              <div class="actions">
                <button type="button" onClick={() => void reviewCount()} data-testid="count-review">
                  Review variances
                </button>
                <Show when={can("stock.adjust")}>
                  <button
                    type="button"
                    class="primary"
                    onClick={() => void postCount()}
                    disabled={counting.reviewedVersion === null}
                    title={counting.reviewedVersion === null ? "Review the count first: what is posted is what you reviewed" : undefined}
                    data-testid="count-post"
                  >
                    Post variances
                  </button>
                </Show>
              </div>
            </Show>

            <Show when={counting.lines}>
              {(lines) => (
                <table class="grid" data-testid="count-lines">
                  <thead>
                    <tr>
                      <th>Batch</th>
                      <th>SKU</th>
                      <th>Product</th>
                      <th>Lot</th>
                      <th class="num">Expected</th>
                      <th class="num">Counted</th>
                      <th class="num">Variance</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={lines()} fallback={<tr><td colspan="7" class="muted">Nothing counted yet.</td></tr>}>
                      {(l) => (
                        <tr data-testid={`count-line-${l.batch_id}`} data-variance={l.variance} classList={{ "result-refused": l.variance !== 0 }}>
                          <td>#{l.batch_id}</td>
                          <td>{l.sku}</td>
                          <td>{l.name}</td>
                          <td>{l.lot_code}</td>
                          <td class="num">{formatQuantity(l.expected, l.quantity_decimals)}</td>
                          <td class="num">{formatQuantity(l.counted, l.quantity_decimals)}</td>
                          <td class="num" data-testid={`count-variance-${l.batch_id}`}>
                            {signedAt(l.variance, l.quantity_decimals)}
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              )}
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
