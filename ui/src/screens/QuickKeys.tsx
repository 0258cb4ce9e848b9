// Quick keys: the owner arranges the till's pages of tiles — a page per tab
// (favourites first; a page may show a whole category), products placed on a
// page from a picker, moved up/down, coloured from the palette, given a small
// picture, removed. Every change is one command against the version read.

import { createMemo, For, onMount, Show } from "solid-js";
import { createStore } from "solid-js/store";
import { call, newIdempotencyKey, TillbookError, type ProductView } from "../api";
import type { CategoryCount } from "../generated/CategoryCount";
import type { QuickKeyPage } from "../generated/QuickKeyPage";
import type { QuickKeyTile } from "../generated/QuickKeyTile";
import type { TileColour } from "../generated/TileColour";
import { reportError } from "../errors";
import { focusField } from "../forms";
import { latestOnly } from "../logic/seq";
import { formatMoney } from "../money";
import { onSignOut } from "../session";
import { loadGrid, tileName } from "./till/Grid";
import "./till/adding.css";

export const TILE_COLOURS: readonly TileColour[] = ["grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown"];
/** As the core's limit on a tile picture (data-URL characters). */
const MAX_IMAGE_CHARS = 49_152;

interface QuickKeysState {
  pages: QuickKeyPage[];
  selectedId: number | null;
  categories: CategoryCount[];
  newName: string;
  newCategory: string;
  query: string;
  hits: ProductView[];
  notice: string | null;
}

const initial = (): QuickKeysState => ({
  pages: [],
  selectedId: null,
  categories: [],
  newName: "",
  newCategory: "",
  query: "",
  hits: [],
  notice: null,
});
const [qk, setQk] = createStore<QuickKeysState>(initial());
let pageKey = newIdempotencyKey();
const searchSeq = latestOnly();

onSignOut(() => {
  setQk(initial());
  pageKey = newIdempotencyKey();
});

async function load(): Promise<void> {
  try {
    const [r, c] = await Promise.all([call("catalog.key_pages", { include_hidden: true }), call("catalog.categories", {})]);
    const live = r.pages.filter((p) => !p.archived);
    const keep = live.some((p) => p.id === qk.selectedId) ? qk.selectedId : (live[0]?.id ?? null);
    setQk({ pages: live, selectedId: keep, categories: c.categories });
    // The till's grid shows the new arrangement next time it is drawn.
    void loadGrid();
  } catch (e) {
    reportError(e);
  }
}

/** Runs one change, then reads the pages again; says what happened. */
async function change(action: () => Promise<unknown>, notice: string): Promise<void> {
  try {
    await action();
    setQk("notice", notice);
  } catch (e) {
    reportError(e);
  }
  await load();
}

async function createPage(): Promise<void> {
  const name = qk.newName.trim();
  if (name === "") {
    focusField("qk", "new-name");
    return;
  }
  const category = qk.newCategory === "" ? null : qk.newCategory;
  try {
    const p = await call("catalog.create_key_page", { idempotency_key: pageKey, name, category });
    pageKey = newIdempotencyKey();
    setQk({ newName: "", newCategory: "", selectedId: p.id, notice: `Page “${p.name}” added.` });
  } catch (e) {
    reportError(e);
  }
  await load();
}

async function searchProducts(text: string): Promise<void> {
  setQk("query", text);
  const token = searchSeq.next();
  if (text.trim() === "") {
    setQk("hits", []);
    return;
  }
  try {
    const r = await call("catalog.search", { query: text.trim(), limit: 8 });
    if (searchSeq.isLatest(token)) setQk("hits", r.items.map((h) => h.product));
  } catch (e) {
    if (searchSeq.isLatest(token)) reportError(e);
  }
}

async function place(page: QuickKeyPage, p: ProductView): Promise<void> {
  searchSeq.next();
  setQk({ query: "", hits: [] });
  await change(() => call("catalog.place_tile", { idempotency_key: newIdempotencyKey(), page_id: page.id, product_id: p.id }), `${p.name} placed on “${page.name}”.`);
  focusField("qk", "product-search");
}

function updateTile(t: QuickKeyTile, args: { position?: number; colour?: TileColour; image?: string; label?: string }, notice: string): Promise<void> {
  if (t.id === null || t.version === null) return Promise.resolve();
  const id = t.id;
  const version = t.version;
  return change(() => call("catalog.update_tile", { id, version, ...args }), notice);
}

/** The tile's own words (or "" for the product's name), sent only when they changed. */
export function labelChange(t: QuickKeyTile, typed: string): string | null {
  const next = typed.trim();
  const now = t.label ?? "";
  return next === now ? null : next;
}

function saveLabel(t: QuickKeyTile, typed: string): void {
  const label = labelChange(t, typed);
  if (label === null) return;
  void updateTile(t, { label }, label === "" ? `${t.name} shows its product name again.` : `The tile now reads “${label}”.`);
}

/** The tile being dragged to a new place, by id. */
let dragging: number | null = null;

function dropOn(target: QuickKeyTile, tiles: readonly QuickKeyTile[]): void {
  const moved = tiles.find((x) => x.id === dragging);
  dragging = null;
  if (!moved || moved.id === target.id) return;
  void updateTile(moved, { position: target.position }, `${tileName(moved)} moved.`);
}

/** A picture from a file: read as a data URL, checked for type and size before it is sent. */
function pickImage(t: QuickKeyTile, file: File | undefined): void {
  if (!file) return;
  if (!["image/png", "image/jpeg", "image/webp"].includes(file.type)) {
    setQk("notice", null);
    reportError(new TillbookError("validation", "image: choose a PNG, JPEG or WebP picture", { field: "image", source: "ui" }));
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    const url = typeof reader.result === "string" ? reader.result : "";
    if (url.length > MAX_IMAGE_CHARS) {
      reportError(new TillbookError("validation", "image: the picture is too large; use one under about 36 KB", { field: "image", source: "ui" }));
      return;
    }
    void updateTile(t, { image: url }, `Picture set on ${tileName(t)}.`);
  };
  reader.readAsDataURL(file);
}

export function QuickKeys() {
  onMount(() => void load());
  const page = createMemo(() => qk.pages.find((p) => p.id === qk.selectedId));

  return (
    <section class="panel" data-testid="quick-keys">
      <div class="toolbar">
        <h1>Quick keys</h1>
        <span class="spacer" />
        <Show when={qk.notice}>
          <span class="notice" data-testid="qk-notice">
            {qk.notice}
          </span>
        </Show>
      </div>
      <p class="lead">The pages of tiles on the till, in tab order. Favourites is always first; a category page shows that category's products by itself.</p>
      <div class="columns qk-columns">
        <div class="card">
          <h2>Pages</h2>
          <ul class="qk-tiles" data-testid="qk-pages">
            <For each={qk.pages}>
              {(p, i) => (
                <li classList={{ selected: p.id === qk.selectedId }} data-testid={`qk-page-row-${p.id}`} data-name={p.name}>
                  <button type="button" class="link" onClick={() => setQk("selectedId", p.id)} data-testid={`qk-page-${p.id}`} aria-pressed={p.id === qk.selectedId}>
                    {p.name}
                  </button>
                  <span class="muted">{p.kind === "category" ? `category ${p.category}` : `${p.tiles.length} tiles`}</span>
                  <span class="spacer" />
                  <Show when={p.kind !== "favourites"}>
                    <button
                      type="button"
                      disabled={i() <= 1}
                      aria-label={`Move ${p.name} left`}
                      onClick={() => void change(() => call("catalog.move_key_page", { id: p.id, version: p.version, position: p.position - 1 }), `“${p.name}” moved.`)}
                      data-testid={`qk-page-up-${p.id}`}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      disabled={i() === qk.pages.length - 1}
                      aria-label={`Move ${p.name} right`}
                      onClick={() => void change(() => call("catalog.move_key_page", { id: p.id, version: p.version, position: p.position + 1 }), `“${p.name}” moved.`)}
                      data-testid={`qk-page-down-${p.id}`}
                    >
                      ↓
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => void change(() => call("catalog.archive_key_page", { id: p.id, version: p.version }), `“${p.name}” is off the till.`)}
                      data-testid={`qk-page-archive-${p.id}`}
                    >
                      Archive
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ul>
          <form
            data-testid="qk-new-page"
            onSubmit={(e) => {
              e.preventDefault();
              void createPage();
            }}
          >
            <div class="row">
              <div class="field">
                <label for="qk-new-name">New page</label>
                <input
                  id="qk-new-name"
                  autocomplete="off"
                  maxLength={40}
                  value={qk.newName}
                  onInput={(e) => setQk("newName", e.currentTarget.value)}
                  onChange={(e) => setQk("newName", e.currentTarget.value)}
                  data-testid="qk-new-name"
                />
              </div>
              <div class="field">
                <label for="qk-new-category">Shows</label>
                <select id="qk-new-category" value={qk.newCategory} onChange={(e) => setQk("newCategory", e.currentTarget.value)} data-testid="qk-new-category">
                  <option value="">tiles I place</option>
                  <For each={qk.categories.filter((c) => c.category !== "")}>
                    {(c) => <option value={c.category}>all of {c.category} ({c.products})</option>}
                  </For>
                </select>
              </div>
            </div>
            <div class="actions">
              <button type="submit" class="primary" data-testid="qk-new-submit">
                Add page
              </button>
            </div>
          </form>
        </div>

        <Show when={page()} fallback={<div class="card muted">Choose a page.</div>}>
          {(p) => (
            <div class="card" data-testid="qk-page-detail" data-page-id={p().id}>
              <h2>{p().name}</h2>
              <Show
                when={p().kind !== "category"}
                fallback={<p class="muted">Every active product of {p().category}, by name ({p().tiles.length} shown).</p>}
              >
                <div class="field">
                  <label for="qk-product-search">Add a product</label>
                  <input
                    id="qk-product-search"
                    type="search"
                    autocomplete="off"
                    placeholder="Name, SKU or barcode"
                    value={qk.query}
                    onInput={(e) => void searchProducts(e.currentTarget.value)}
                    data-testid="qk-product-search"
                  />
                </div>
                <ul class="choices" data-testid="qk-hits">
                  <For each={qk.hits}>
                    {(h) => (
                      <li>
                        <button
                          type="button"
                          onClick={() => void place(p(), h)}
                          disabled={h.archived || p().tiles.some((t) => t.product_id === h.id)}
                          data-testid={`qk-pick-${h.sku}`}
                        >
                          {h.name} <span class="muted">{h.sku}</span> {formatMoney(h.price_minor)}
                        </button>
                      </li>
                    )}
                  </For>
                </ul>
                <ol class="qk-tiles" data-testid="qk-tiles">
                  <For each={p().tiles} fallback={<li class="muted">No tiles yet: find a product above.</li>}>
                    {(t, i) => (
                      <li
                        class={`tile-${t.colour}`}
                        classList={{ archived: t.archived }}
                        data-testid={`qk-tile-${t.sku}`}
                        data-position={t.position}
                        data-colour={t.colour}
                        draggable={t.id !== null}
                        title="Drag to move it, or use the arrows"
                        onDragStart={(e) => {
                          dragging = t.id;
                          e.dataTransfer?.setData("text/plain", String(t.id));
                        }}
                        onDragOver={(e) => e.preventDefault()}
                        onDrop={(e) => {
                          e.preventDefault();
                          dropOn(t, p().tiles);
                        }}
                      >
                        <Show when={t.image}>{(src) => <img src={src()} alt="" class="tile-image" />}</Show>
                        <input
                          class="qk-label"
                          value={t.label ?? ""}
                          placeholder={t.name}
                          maxLength={40}
                          aria-label={`Words on the tile for ${t.name} (empty: its name)`}
                          onChange={(e) => saveLabel(t, e.currentTarget.value)}
                          onKeyDown={(e) => {
                            if (e.key === "Enter") e.currentTarget.blur();
                          }}
                          data-testid={`qk-label-${t.sku}`}
                        />
                        <span class="muted">
                          {formatMoney(t.price_minor)}
                          {t.archived ? " · archived product, hidden at the till" : ""}
                        </span>
                        <span class="spacer" />
                        <div class="qk-swatches" role="group" aria-label={`Colour of ${tileName(t)}`}>
                          <For each={TILE_COLOURS}>
                            {(c) => (
                              <button
                                type="button"
                                class={`tile-${c}`}
                                aria-pressed={t.colour === c}
                                aria-label={c}
                                title={c}
                                onClick={() => void updateTile(t, { colour: c }, `${tileName(t)} is ${c} now.`)}
                                data-testid={`qk-colour-${t.sku}-${c}`}
                              />
                            )}
                          </For>
                        </div>
                        <label class="link" title="A small picture (PNG, JPEG or WebP)">
                          Picture
                          <input
                            type="file"
                            accept="image/png,image/jpeg,image/webp"
                            class="visually-hidden"
                            onChange={(e) => pickImage(t, e.currentTarget.files?.[0])}
                            data-testid={`qk-image-${t.sku}`}
                          />
                        </label>
                        <button
                          type="button"
                          disabled={i() === 0}
                          aria-label={`Move ${tileName(t)} up`}
                          onClick={() => void updateTile(t, { position: t.position - 1 }, `${tileName(t)} moved.`)}
                          data-testid={`qk-up-${t.sku}`}
                        >
                          ↑
                        </button>
                        <button
                          type="button"
                          disabled={i() === p().tiles.length - 1}
                          aria-label={`Move ${tileName(t)} down`}
                          onClick={() => void updateTile(t, { position: t.position + 1 }, `${tileName(t)} moved.`)}
                          data-testid={`qk-down-${t.sku}`}
                        >
                          ↓
                        </button>
                        <button
                          type="button"
                          class="danger"
                          onClick={() => {
                            const id = t.id;
                            const version = t.version;
                            if (id !== null && version !== null) void change(() => call("catalog.remove_tile", { id, version }), `${tileName(t)} removed from “${p().name}”.`);
                          }}
                          data-testid={`qk-remove-${t.sku}`}
                        >
                          Remove
                        </button>
                      </li>
                    )}
                  </For>
                </ol>
              </Show>
            </div>
          )}
        </Show>
      </div>
    </section>
  );
}
