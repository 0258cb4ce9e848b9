// The quick keys beside the cart: page tabs (favourites first) and big tiles
// with name, price and colour. A tap, a click, or Enter/Space on a focused
// tile adds one (or the quantity typed as `3*`); arrow keys move between tiles.
// The pages are the owner's (QuickKeys screen); this view only reads them.

import { createMemo, For, onMount, Show } from "solid-js";
import { createStore } from "solid-js/store";
import { call } from "../../api";
import type { QuickKeyPage } from "../../generated/QuickKeyPage";
import type { QuickKeyTile } from "../../generated/QuickKeyTile";
import { reportError } from "../../errors";
import { gridMove } from "../../logic/scanner";
import { formatMoney } from "../../money";
import { onSignOut } from "../../session";
import { addTile, till } from "./state";
import "./adding.css";

interface GridState {
  pages: QuickKeyPage[];
  /** The page shown (null: the first). */
  pageId: number | null;
  loaded: boolean;
}

const [grid, setGrid] = createStore<GridState>({ pages: [], pageId: null, loaded: false });
export { grid };

onSignOut(() => setGrid({ pages: [], pageId: null, loaded: false }));

/** Reads the pages again (each time the cart is shown: the owner may have rearranged them). */
export async function loadGrid(): Promise<void> {
  try {
    const r = await call("catalog.key_pages", {});
    const keep = r.pages.some((p) => p.id === grid.pageId) ? grid.pageId : null;
    setGrid({ pages: r.pages, pageId: keep, loaded: true });
  } catch (e) {
    reportError(e);
  }
}

/** What the tile says: its label, else the product's name. */
export function tileName(t: QuickKeyTile): string {
  return t.label ?? t.name;
}

export function Grid() {
  onMount(() => void loadGrid());
  const page = createMemo(() => grid.pages.find((p) => p.id === grid.pageId) ?? grid.pages[0]);
  let tiles: HTMLDivElement | undefined;

  const onTileKey = (e: KeyboardEvent, index: number) => {
    if (!tiles || !["ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp", "Home", "End"].includes(e.key)) return;
    const buttons = Array.from(tiles.querySelectorAll<HTMLButtonElement>("button.tile"));
    // As many columns as the CSS grid laid out.
    const columns = getComputedStyle(tiles).gridTemplateColumns.split(" ").filter((c) => c !== "").length;
    const next = gridMove(index, e.key, buttons.length, columns);
    e.preventDefault();
    buttons[next]?.focus();
  };

  return (
    <Show when={grid.pages.some((p) => p.tiles.length > 0)}>
      <section class="quick-keys" aria-label="Quick keys" data-testid="till-grid">
        <div class="quick-tabs" role="tablist" aria-label="Quick key pages">
          <For each={grid.pages}>
            {(p) => (
              <button
                type="button"
                role="tab"
                aria-selected={page()?.id === p.id}
                classList={{ active: page()?.id === p.id }}
                onClick={() => setGrid("pageId", p.id)}
                data-testid={`grid-tab-${p.id}`}
                data-name={p.name}
              >
                {p.name}
              </button>
            )}
          </For>
        </div>
        <div class="quick-tiles" role="group" aria-label={page()?.name} ref={tiles} data-testid="grid-tiles">
          <For each={page()?.tiles ?? []} fallback={<p class="muted">No tiles on this page yet.</p>}>
            {(t, i) => (
              <button
                type="button"
                class={`tile tile-${t.colour}`}
                onClick={() => addTile(t)}
                onKeyDown={(e) => onTileKey(e, i())}
                disabled={till.view !== "cart"}
                data-testid={`grid-tile-${t.sku}`}
                aria-label={`${tileName(t)}, ${formatMoney(t.price_minor)}`}
              >
                <Show when={t.image}>{(src) => <img src={src()} alt="" class="tile-image" />}</Show>
                <span class="tile-name">{tileName(t)}</span>
                <span class="tile-price">{formatMoney(t.price_minor)}</span>
              </button>
            )}
          </For>
        </div>
      </section>
    </Show>
  );
}
