// The catalogue without a search (the Products screen with an empty search
// box): by name, a page at a time (keyset: `catalog.list_products`), filtered
// by category from `catalog.categories`.

import { For, onMount, Show } from "solid-js";
import { createStore } from "solid-js/store";
import { call, type ProductView } from "../api";
import type { CategoryCount } from "../generated/CategoryCount";
import { reportError } from "../errors";
import { latestOnly } from "../logic/seq";
import { formatMoney } from "../money";
import { onSignOut } from "../session";

export const LIST_PAGE = 50;
/** `null`: every category; `""`: products without one. */
type CategoryFilter = string | null;

interface ListState {
  items: ProductView[];
  nextAfterId: number | null;
  category: CategoryFilter;
  categories: CategoryCount[];
  loading: boolean;
}

const initial = (): ListState => ({ items: [], nextAfterId: null, category: null, categories: [], loading: false });
const [list, setList] = createStore<ListState>(initial());
const seq = latestOnly();
onSignOut(() => setList(initial()));

/** The first page (or, with `more`, the next one) for the chosen category. */
export async function loadList(includeArchived: boolean, more = false): Promise<void> {
  const token = seq.next();
  setList("loading", true);
  try {
    const [page, cats] = await Promise.all([
      call("catalog.list_products", {
        category: list.category,
        include_archived: includeArchived,
        after_id: more ? list.nextAfterId : null,
        limit: LIST_PAGE,
      }),
      more ? Promise.resolve(null) : call("catalog.categories", {}),
    ]);
    if (!seq.isLatest(token)) return;
    setList({ items: more ? [...list.items, ...page.items] : page.items, nextAfterId: page.next_after_id });
    if (cats) setList("categories", cats.categories);
  } catch (e) {
    if (seq.isLatest(token)) reportError(e);
  } finally {
    if (seq.isLatest(token)) setList("loading", false);
  }
}

export function ProductList(props: { includeArchived: boolean; selectedId: number | null; onOpen: (p: ProductView) => void }) {
  onMount(() => void loadList(props.includeArchived));
  return (
    <div data-testid="products-list">
      <div class="field products-category">
        <label for="products-category">Category</label>
        <select
          id="products-category"
          onChange={(e) => {
            const v = e.currentTarget.value;
            setList("category", v === "*" ? null : v === "-" ? "" : v);
            void loadList(props.includeArchived);
          }}
          data-testid="products-category"
        >
          {/* `selected` per option: the list arrives after the select is drawn. */}
          <option value="*" selected={list.category === null}>
            All categories
          </option>
          <For each={list.categories}>
            {(c) => (
              <option value={c.category === "" ? "-" : c.category} selected={list.category !== null && list.category.toLowerCase() === c.category.toLowerCase()}>
                {c.category === "" ? "(no category)" : c.category} ({c.products})
              </option>
            )}
          </For>
        </select>
      </div>
      <table class="grid" data-testid="products-table">
        <thead>
          <tr>
            <th>SKU</th>
            <th>Name</th>
            <th>Category</th>
            <th class="num">Price</th>
            <th class="num">On hand</th>
          </tr>
        </thead>
        <tbody>
          <For
            each={list.items}
            fallback={
              <tr>
                <td colspan="5" class="muted">
                  {list.loading ? "Loading…" : "No products yet — add one with “New product” (a name and a price is enough to start selling)."}
                </td>
              </tr>
            }
          >
            {(p) => (
              <tr data-testid={`product-row-${p.sku}`} classList={{ archived: p.archived, selected: props.selectedId === p.id }}>
                <td>
                  <button type="button" class="link" onClick={() => props.onOpen(p)} data-testid={`product-open-${p.sku}`}>
                    {p.sku}
                  </button>
                </td>
                <td>{p.name}</td>
                <td>{p.category}</td>
                <td class="num">{formatMoney(p.price_minor)}</td>
                <td class="num">{p.on_hand}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={list.nextAfterId !== null}>
        <button type="button" onClick={() => void loadList(props.includeArchived, true)} data-testid="products-list-more">
          More products
        </button>
      </Show>
    </div>
  );
}
