// The stock list on the Stock screen: every stocked product with what is on
// hand, free to sell, its value at cost and its reorder point, filterable by
// category, "low only" and a search, a page at a time (`stock.list`).

import { For, Show, createSignal, onMount } from "solid-js";
import { createStore } from "solid-js/store";
import { call } from "../api";
import type { StockListLine } from "../generated/StockListLine";
import { reportError } from "../errors";
import { formatMoney } from "../money";
import { formatQuantity } from "../logic/quantity";
import "../stock-po.css";

const PAGE = 50;

interface ListState {
  query: string;
  category: string;
  lowOnly: boolean;
  lines: StockListLine[];
  next: { name: string; id: number } | null;
  loading: boolean;
  loaded: boolean;
}

export const [stockList, setStockList] = createStore<ListState>({
  query: "",
  category: "",
  lowOnly: false,
  lines: [],
  next: null,
  loading: false,
  loaded: false,
});

/** How many products are low, for the badge on the Stock screen and the nav. */
export const [lowCount, setLowCount] = createSignal<number | null>(null);

/** The nav's badge on Stock: how many products are low. */
export function lowBadge(): string | null {
  const n = lowCount();
  return n !== null && n > 0 ? `${n} low` : null;
}

export async function loadLowCount(): Promise<void> {
  try {
    const low = await call("stock.low", { limit: 500 });
    setLowCount(low.lines.length);
  } catch {
    // The badge is a hint; the list itself reports errors.
    setLowCount(null);
  }
}

export async function loadStockList(more = false): Promise<void> {
  setStockList("loading", true);
  try {
    const page = await call("stock.list", {
      query: stockList.query.trim() === "" ? null : stockList.query.trim(),
      category: stockList.category.trim() === "" ? null : stockList.category.trim(),
      low_only: stockList.lowOnly,
      after_name: more ? (stockList.next?.name ?? null) : null,
      after_id: more ? (stockList.next?.id ?? null) : null,
      limit: PAGE,
    });
    const next = page.next_after_name !== null && page.next_after_id !== null ? { name: page.next_after_name, id: page.next_after_id } : null;
    setStockList({ lines: more ? [...stockList.lines, ...page.lines] : page.lines, next, loaded: true });
  } catch (e) {
    reportError(e);
  } finally {
    setStockList("loading", false);
  }
  void loadLowCount();
}

export function StockList(props: { onPick: (productId: number) => void }) {
  onMount(() => void loadStockList());
  const filtered = () => stockList.query.trim() !== "" || stockList.category.trim() !== "" || stockList.lowOnly;
  return (
    <section data-testid="stock-list">
      <div class="toolbar">
        <h2>All stock</h2>
        <Show when={(lowCount() ?? 0) > 0}>
          <span class="badge warn" data-testid="stock-low-badge">
            {lowCount()} low
          </span>
        </Show>
      </div>
        <form
          class="filters stock-list-filters"
          onSubmit={(e) => {
            e.preventDefault();
            void loadStockList();
          }}
        >
          <input
            placeholder="Name or SKU"
            value={stockList.query}
            onInput={(e) => setStockList("query", e.currentTarget.value)}
            data-testid="stock-list-search"
          />
          <input
            placeholder="Category"
            value={stockList.category}
            onInput={(e) => setStockList("category", e.currentTarget.value)}
            data-testid="stock-list-category"
          />
          <label class="inline">
            <input
              type="checkbox"
              checked={stockList.lowOnly}
              onChange={(e) => {
                setStockList("lowOnly", e.currentTarget.checked);
                void loadStockList();
              }}
              data-testid="stock-list-low-only"
            />{" "}
            Low only
          </label>
          <button type="submit" data-testid="stock-list-go" disabled={stockList.loading}>
            Show
          </button>
        </form>

      <Show
        when={stockList.lines.length > 0}
        fallback={
          <Show when={stockList.loaded}>
            <p class="muted" data-testid="stock-list-empty">
              {filtered()
                ? "Nothing matches — clear the search or untick Low only."
                : "No stock yet — add a product on Products, then receive stock for it above or from a vendor."}
            </p>
          </Show>
        }
      >
        <table class="grid" data-testid="stock-list-table">
          <thead>
            <tr>
              <th>Product</th>
              <th>Category</th>
              <th class="num">On hand</th>
              <th class="num">Available</th>
              <th class="num">Value</th>
              <th class="num">Reorder at</th>
              <th class="num">On order</th>
            </tr>
          </thead>
          <tbody>
            <For each={stockList.lines}>
              {(l) => (
                <tr data-testid={`stock-list-row-${l.sku}`} classList={{ low: l.low }}>
                  <td>
                    <button type="button" class="link" onClick={() => props.onPick(l.product_id)}>
                      {l.name}
                    </button>{" "}
                    <span class="muted">{l.sku}</span>
                    <Show when={l.low}>
                      {" "}
                      <span class="badge warn">low</span>
                    </Show>
                  </td>
                  <td>{l.category}</td>
                  <td class="num" data-testid={`stock-list-on-hand-${l.sku}`}>
                    {formatQuantity(l.on_hand, l.quantity_decimals)} {l.unit}
                  </td>
                  <td class="num">{formatQuantity(l.available, l.quantity_decimals)}</td>
                  <td class="num">{formatMoney(l.value_minor)}</td>
                  <td class="num">{l.reorder_point === null ? "—" : formatQuantity(l.reorder_point, l.quantity_decimals)}</td>
                  <td class="num">{l.on_order === 0 ? "—" : formatQuantity(l.on_order, l.quantity_decimals)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <Show when={stockList.next}>
          <button type="button" onClick={() => void loadStockList(true)} data-testid="stock-list-more" disabled={stockList.loading}>
            More
          </button>
        </Show>
      </Show>
    </section>
  );
}
