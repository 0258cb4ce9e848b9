import { createResource, For, Match, Show, Switch, onMount } from "solid-js";
import { classLabel } from "./TaxRates";
import { createStore, reconcile } from "solid-js/store";
import {
  call,
  newIdempotencyKey,
  TAX_CLASSES,
  TillbookError,
  UNITS,
  type MatchKind,
  type PriceRuleView,
  type ProductView,
  type TaxClass,
  type Unit,
  type UpdateProductRequest,
} from "../api";
import { Dialog } from "../components/Dialog";
import { CheckField, SelectField, TextField } from "../components/Field";
import { reportError } from "../errors";
import { autofocus, createForm } from "../forms";
import { ReorderFields, loadVendorChoices, reorderChanges, reorderCreateArgs, reorderForm, reorderValuesOf, type ReorderValues } from "./ReorderFields";
import { latestOnly } from "../logic/seq";
import { describeRule, emptyRuleForm, RULE_KINDS, ruleFieldFromCore, ruleFields, ruleFromForm } from "../logic/priceRules";
import { formatMoney, parseMoney, requireMoney } from "../money";
import { formatWithUnit } from "../logic/quantity";
import { can, onSignOut } from "../session";
import { Picker, PICKER_HITS_MAX, type PickerItem } from "../components/Picker";
import { customerName, rememberCustomer } from "../logic/customerNames";
import { loadList, ProductList } from "./ProductList";
import { showStockFor } from "./Stock";

type DialogState =
  | { kind: "none" }
  | { kind: "create" }
  | { kind: "edit"; product: ProductView }
  | { kind: "archive"; product: ProductView }
  | { kind: "rule" }
  | { kind: "archive-rule"; rule: PriceRuleView };

interface ProductsState {
  query: string;
  includeArchived: boolean;
  hits: { match: MatchKind; product: ProductView }[];
  nextOffset: number | null;
  searching: boolean;
  selected: ProductView | null;
  rules: PriceRuleView[];
  includeArchivedRules: boolean;
  dialog: DialogState;
}

const initialState = (): ProductsState => ({
  query: "",
  includeArchived: false,
  hits: [],
  nextOffset: null,
  searching: false,
  selected: null,
  rules: [],
  includeArchivedRules: false,
  dialog: { kind: "none" },
});

export const [products, setProducts] = createStore<ProductsState>(initialState());

const productFields = () => ({
  sku: "",
  barcode: "",
  name: "",
  category: "",
  unit: "each",
  tax_class: "standard",
  price: "",
  // Off for what nobody counts (coffee made to order, a service): sold without stock.
  track_stock: true as boolean,
  standard_cost: "",
  plu: "",
});
export const productForm = createForm("product", productFields);
export const productEditForm = createForm("product-edit", productFields);
export const ruleForm = createForm("rule", emptyRuleForm);
export const rulesFilter = createForm("rules", () => ({ include_archived: false as boolean }));
let createKey = newIdempotencyKey();
let ruleKey = newIdempotencyKey();

onSignOut(() => {
  setProducts(reconcile(initialState()));
  productForm.reset();
  productEditForm.reset();
  ruleForm.reset();
  createKey = newIdempotencyKey();
  ruleKey = newIdempotencyKey();
});

export const SEARCH_PAGE = 20;
const searchSeq = latestOnly();

/** As-you-type search (stale answers dropped); `more` appends the next page. */
export async function searchProducts(more = false): Promise<void> {
  const query = products.query.trim();
  const token = searchSeq.next();
  if (query === "") {
    setProducts({ hits: [], nextOffset: null, searching: false });
    return;
  }
  setProducts("searching", true);
  try {
    const page = await call("catalog.search", {
      query,
      include_archived: products.includeArchived,
      offset: more ? (products.nextOffset ?? 0) : 0,
      limit: SEARCH_PAGE,
    });
    if (!searchSeq.isLatest(token)) return;
    setProducts({ hits: more ? [...products.hits, ...page.items] : page.items, nextOffset: page.next_offset });
  } catch (e) {
    if (searchSeq.isLatest(token)) reportError(e);
  } finally {
    if (searchSeq.isLatest(token)) setProducts("searching", false);
  }
}

/**
 * Enter in the search box: an exact barcode (a scan) or SKU opens that product;
 * otherwise the list stays for picking with the arrow/Tab keys.
 */
export async function enterSearch(): Promise<void> {
  const query = products.query.trim();
  if (query === "") return;
  await searchProducts();
  const first = products.hits[0];
  if (first && (first.match === "barcode" || first.match === "sku")) await openProduct(first.product);
}

export async function openProduct(p: ProductView): Promise<void> {
  setProducts({ selected: p, rules: [] });
  await loadRules();
}

async function refreshSelected(): Promise<void> {
  const sel = products.selected;
  if (!sel) return;
  try {
    const fresh = await call("catalog.get_product", { id: sel.id });
    setProducts("selected", fresh);
    setProducts("hits", (h) => h.map((x) => (x.product.id === fresh.id ? { ...x, product: fresh } : x)));
  } catch (e) {
    reportError(e);
  }
}

export async function loadRules(): Promise<void> {
  const sel = products.selected;
  if (!sel) return;
  try {
    const rules = await call("catalog.price_rules", {
      product_id: sel.id,
      include_archived: rulesFilter.values.include_archived,
      limit: 200,
    });
    // Category rules apply to the product too.
    const cat =
      sel.category === ""
        ? []
        : await call("catalog.price_rules", { category: sel.category, include_archived: rulesFilter.values.include_archived, limit: 200 });
    if (products.selected?.id !== sel.id) return;
    const all = [...rules, ...cat.filter((c) => !rules.some((r) => r.id === c.id))].sort((a, b) => a.id - b.id);
    setProducts("rules", all);
  } catch (e) {
    reportError(e);
  }
}

function open(d: DialogState) {
  if (d.kind === "edit") {
    const p = d.product;
    productEditForm.reset();
    productEditForm.setValues({
      sku: p.sku,
      barcode: p.barcode ?? "",
      name: p.name,
      category: p.category,
      unit: p.unit,
      tax_class: p.tax_class,
      price: formatMoney(p.price_minor),
      track_stock: p.track_stock,
      standard_cost: p.standard_cost_minor === null ? "" : formatMoney(p.standard_cost_minor),
      plu: p.plu ?? "",
    });
  }
  reorderForm.reset();
  if (d.kind === "edit") reorderForm.setValues(reorderValuesOf(d.product));
  if (d.kind === "edit" || d.kind === "create") void loadVendorChoices();
  setProducts("dialog", d);
}

function close() {
  setProducts("dialog", { kind: "none" });
}

export const mapProductField = (f: string) => (f === "price_minor" ? "price" : f === "standard_cost_minor" ? "standard_cost" : f);

/** The standard cost field: empty is none (an untracked sale then posts no cost). */
export function standardCost(text: string): number | null {
  return text.trim() === "" ? null : requireMoney("standard_cost", text);
}

export async function submitCreateProduct(): Promise<boolean> {
  const v = productForm.values;
  let created: ProductView | undefined;
  const ok = await productForm.submit(
    async () => {
      created = await call("catalog.create_product", {
        idempotency_key: createKey,
        sku: v.sku.trim(),
        barcode: v.barcode.trim() === "" ? null : v.barcode.trim(),
        name: v.name.trim(),
        category: v.category.trim(),
        unit: v.unit as Unit,
        tax_class: v.tax_class as TaxClass,
        price_minor: requireMoney("price", v.price),
        track_stock: v.track_stock,
        standard_cost_minor: standardCost(v.standard_cost),
        plu: v.plu.trim() === "" ? null : v.plu.trim(),
        ...(v.track_stock ? reorderCreateArgs(reorderForm.values, v.unit) : {}),
      });
    },
    { mapField: mapProductField },
  );
  if (ok && created) {
    createKey = newIdempotencyKey();
    productForm.reset();
    close();
    setProducts("query", created.sku);
    await searchProducts();
    await openProduct(created);
  }
  return ok;
}

/** Only the changed fields, against the version read. */
export function productChanges(p: ProductView, v: typeof productEditForm.values, reorder?: ReorderValues): UpdateProductRequest {
  const req: UpdateProductRequest = { id: p.id, version: p.version };
  if (v.sku.trim() !== p.sku) req.sku = v.sku.trim();
  if (v.barcode.trim() !== (p.barcode ?? "")) req.barcode = v.barcode.trim();
  if (v.name.trim() !== p.name) req.name = v.name.trim();
  if (v.category.trim() !== p.category) req.category = v.category.trim();
  if (v.unit !== p.unit) req.unit = v.unit as Unit;
  if (v.tax_class !== p.tax_class) req.tax_class = v.tax_class as TaxClass;
  const price = parseMoney(v.price);
  if (price === null || price !== p.price_minor) req.price_minor = requireMoney("price", v.price);
  if (v.track_stock !== p.track_stock) req.track_stock = v.track_stock;
  const cost = standardCost(v.standard_cost);
  if (cost === null && p.standard_cost_minor !== null) req.clear_standard_cost = true;
  else if (cost !== null && cost !== p.standard_cost_minor) req.standard_cost_minor = cost;
  if (v.plu.trim() !== (p.plu ?? "")) req.plu = v.plu.trim();
  if (reorder) Object.assign(req, reorderChanges(p, reorder, v.unit));
  return req;
}

async function submitEdit(p: ProductView) {
  let conflict = false;
  let saved: ProductView | undefined;
  const ok = await productEditForm.submit(
    async () => {
      try {
        saved = await call("catalog.update_product", productChanges(p, productEditForm.values, productEditForm.values.track_stock ? reorderForm.values : undefined));
      } catch (e) {
        conflict = e instanceof TillbookError && e.code === "conflict";
        throw e;
      }
    },
    { mapField: mapProductField },
  );
  if (ok && saved) {
    close();
    setProducts("selected", saved);
    setProducts("hits", (h) => h.map((x) => (x.product.id === saved!.id ? { ...x, product: saved! } : x)));
  } else if (conflict) {
    await refreshSelected();
    if (products.selected && products.dialog.kind === "edit") setProducts("dialog", { kind: "edit", product: products.selected });
  }
}

async function submitArchive(p: ProductView) {
  try {
    const saved = await call("catalog.archive_product", { id: p.id, version: p.version });
    setProducts("selected", saved);
    close();
    await searchProducts();
  } catch (e) {
    reportError(e);
    await refreshSelected();
  }
}

export async function submitRule(): Promise<boolean> {
  const sel = products.selected;
  if (!sel) return false;
  const ok = await ruleForm.submit(
    async () => {
      await call("catalog.create_price_rule", { idempotency_key: ruleKey, rule: ruleFromForm(ruleForm.values, sel) });
    },
    { mapField: ruleFieldFromCore },
  );
  if (ok) {
    ruleKey = newIdempotencyKey();
    ruleForm.reset();
    close();
    await loadRules();
  }
  return ok;
}

async function archiveRule(r: PriceRuleView) {
  try {
    await call("catalog.archive_price_rule", { id: r.id, version: r.version });
    close();
  } catch (e) {
    reportError(e);
  }
  await loadRules();
}

/** Units in plain words; kg, l and m take decimals (0.350 kg), the rest whole numbers. */
const UNIT_LABELS: Record<Unit, string> = {
  each: "each (whole items)",
  pack: "pack (whole packs)",
  kg: "kg (sold by weight, 0.001 kg)",
  g: "g (whole grams)",
  l: "litre (by volume, 0.001 l)",
  ml: "ml (whole millilitres)",
  m: "metre (by length, 0.01 m)",
};
const UNIT_OPTIONS = UNITS.map((u) => ({ value: u, label: UNIT_LABELS[u] ?? u }));
// The tax classes as the owner named them, with the rate now ("Standard — 20 %");
// the built-in codes until `tax.classes` answers.
async function fetchTaxClasses() {
  try {
    return (await call("tax.classes")).classes;
  } catch {
    return null;
  }
}

export function ProductFields(props: { form: typeof productForm; first?: boolean }) {
  const [taxClasses] = createResource(fetchTaxClasses);
  const taxOptions = () =>
    taxClasses()?.map((c) => ({ value: c.code, label: classLabel(c) })) ?? TAX_CLASSES.map((t) => ({ value: t, label: t }));
  return (
    <>
      <div class="row">
        <TextField form={props.form} name="sku" label="SKU" autofocus={props.first} />
        <TextField form={props.form} name="barcode" label="Barcode (optional)" hint="letters, digits, -" />
      </div>
      <TextField form={props.form} name="name" label="Name" />
      <div class="row">
        <TextField form={props.form} name="category" label="Category" />
        <TextField form={props.form} name="price" label="Sell price" inputmode="numeric" hint="e.g. 1.29" />
      </div>
      <div class="row">
        <SelectField form={props.form} name="unit" label="Unit" options={UNIT_OPTIONS} />
        <SelectField form={props.form} name="tax_class" label="Tax rate" options={taxOptions()} />
      </div>
      <CheckField form={props.form} name="track_stock" label="Track stock (off for coffee made to order, services, anything nobody counts)" />
      <div class="row">
        <TextField
          form={props.form}
          name="standard_cost"
          label="Standard cost (optional)"
          inputmode="numeric"
          hint={props.form.values.track_stock ? "used only when stock is not tracked" : "what one unit costs to make; empty: no cost"}
        />
        <TextField form={props.form} name="plu" label="Scale PLU (optional)" inputmode="numeric" hint="the number a shop scale prints in its labels" />
      </div>
      <Show when={props.form.values.track_stock}>
        <ReorderFields form={reorderForm} unit={props.form.values.unit} />
      </Show>
    </>
  );
}

export function Products() {
  const manage = () => can("catalog.manage");
  onMount(() => {
    if (products.query !== "") void searchProducts();
  });

  return (
    <section class="panel" data-testid="products">
      <div class="toolbar">
        <h1>Products</h1>
        <span class="spacer" />
        <label class="inline">
          <input
            type="checkbox"
            checked={products.includeArchived}
            onChange={(e) => {
              setProducts("includeArchived", e.currentTarget.checked);
              void searchProducts();
              if (products.query.trim() === "") void loadList(e.currentTarget.checked);
            }}
            data-testid="products-include-archived"
          />
          Show archived
        </label>
        <Show when={manage()}>
          <button type="button" class="primary" onClick={() => open({ kind: "create" })} data-testid="products-create">
            New product
          </button>
        </Show>
      </div>

      <form
        class="filters search"
        onSubmit={(e) => {
          e.preventDefault();
          void enterSearch();
        }}
      >
        <div class="field">
          <label for="products-search">Search or scan</label>
          <input
            id="products-search"
            type="search"
            value={products.query}
            placeholder="Name, SKU or barcode — Enter on a barcode opens it"
            autocomplete="off"
            onInput={(e) => {
              setProducts("query", e.currentTarget.value);
              void searchProducts();
            }}
            onChange={(e) => {
              setProducts("query", e.currentTarget.value);
            }}
            data-testid="products-search"
            ref={autofocus}
          />
        </div>
      </form>

      <div class="columns">
        <div>
          {/* An empty search box lists the catalogue, by category, a page at a time. */}
          <Show when={products.query.trim() !== ""} fallback={<ProductList includeArchived={products.includeArchived} selectedId={products.selected?.id ?? null} onOpen={(p) => void openProduct(p)} />}>
          <table class="grid" data-testid="products-table">
            <thead>
              <tr>
                <th>SKU</th>
                <th>Name</th>
                <th>Category</th>
                <th class="num">Price</th>
                <th class="num">On hand</th>
                <th>Match</th>
              </tr>
            </thead>
            <tbody>
              <For
                each={products.hits}
                fallback={
                  <tr>
                    <td colspan="6" class="muted">
                      {products.searching
                        ? "Searching…"
                        : products.query.trim() === ""
                          ? "Type a name, SKU or barcode to find a product."
                          : "No product matches — check the spelling, or add it with “New product”."}
                    </td>
                  </tr>
                }
              >
                {(h) => (
                  <tr
                    data-testid={`product-row-${h.product.sku}`}
                    classList={{ archived: h.product.archived, selected: products.selected?.id === h.product.id }}
                  >
                    <td>
                      <button type="button" class="link" onClick={() => void openProduct(h.product)} data-testid={`product-open-${h.product.sku}`}>
                        {h.product.sku}
                      </button>
                    </td>
                    <td>{h.product.name}</td>
                    <td>{h.product.category}</td>
                    <td class="num">{formatMoney(h.product.price_minor)}</td>
                    <td class="num">{h.product.on_hand}</td>
                    <td class="muted">{h.match.replace("_", " ")}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
          <Show when={products.nextOffset !== null}>
            <button type="button" onClick={() => void searchProducts(true)} data-testid="products-more">
              More results
            </button>
          </Show>
          </Show>
        </div>

        <Show when={products.selected}>
          {(p) => (
            <div class="card" data-testid="product-detail">
              <h2 data-testid="product-detail-name">{p().name}</h2>
              <dl class="facts">
                <dt>SKU</dt>
                <dd data-testid="product-detail-sku">{p().sku}</dd>
                <dt>Barcode</dt>
                <dd data-testid="product-detail-barcode">{p().barcode ?? "—"}</dd>
                <dt>Category</dt>
                <dd>{p().category || "—"}</dd>
                <dt>Unit / tax</dt>
                <dd>
                  {p().unit} · {p().tax_class} ({p().tax_rate_bp / 100}%)
                </dd>
                <dt>Price</dt>
                <dd data-testid="product-detail-price">{formatMoney(p().price_minor)}</dd>
                <dt>On hand / available</dt>
                <dd data-testid="product-detail-stock">
                  <Show when={p().track_stock} fallback={<>not tracked{p().standard_cost_minor !== null ? ` · standard cost ${formatMoney(p().standard_cost_minor!)}` : ""}</>}>
                    {formatWithUnit(p().on_hand, p())} / {formatWithUnit(p().available, p())}
                  </Show>
                </dd>
                <dt>Status</dt>
                <dd data-testid="product-detail-status">
                  {p().archived ? "archived" : "active"} · version {p().version}
                </dd>
              </dl>
              <div class="actions">
                <button type="button" onClick={() => showStockFor(p())} data-testid="product-stock">
                  Stock…
                </button>
                <Show when={manage() && !p().archived}>
                  <button type="button" onClick={() => open({ kind: "edit", product: p() })} data-testid="product-edit">
                    Edit
                  </button>
                  <button type="button" class="danger" onClick={() => open({ kind: "archive", product: p() })} data-testid="product-archive">
                    Archive
                  </button>
                </Show>
              </div>

              <div class="toolbar">
                <h2>Price rules</h2>
                <span class="spacer" />
                <label class="inline">
                  <input
                    type="checkbox"
                    checked={rulesFilter.values.include_archived}
                    onChange={(e) => {
                      rulesFilter.setValues("include_archived", e.currentTarget.checked);
                      void loadRules();
                    }}
                    data-testid="rules-include-archived"
                  />
                  Show archived
                </label>
                <Show when={manage() && !p().archived}>
                  <button type="button" onClick={() => open({ kind: "rule" })} data-testid="rules-create">
                    New rule
                  </button>
                </Show>
              </div>
              <table class="grid" data-testid="rules-table">
                <tbody>
                  <For each={products.rules} fallback={<tr><td class="muted">No price rules.</td></tr>}>
                    {(r) => (
                      <tr data-testid={`rule-row-${r.id}`} data-kind={r.kind} classList={{ archived: r.archived }}>
                        <td>#{r.id}</td>
                        <td>{RULE_KINDS.find((k) => k.value === r.kind)?.label ?? r.kind}</td>
                        <td>{describeRule(r, undefined, products.selected ?? undefined)}</td>
                        <td>
                          <Show when={manage() && !r.archived} fallback={r.archived ? "archived" : ""}>
                            <button type="button" class="danger" onClick={() => open({ kind: "archive-rule", rule: r })} data-testid={`rule-archive-${r.id}`}>
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
          )}
        </Show>
      </div>

      <Switch>
        <Match when={products.dialog.kind === "create"}>
          <Dialog title="New product" testid="product-create-dialog" onClose={close}>
            <form
              data-testid="product-form"
              onSubmit={(e) => {
                e.preventDefault();
                void submitCreateProduct();
              }}
            >
              <ProductFields form={productForm} first />
              <div class="actions">
                <button type="submit" class="primary" data-testid="product-submit" disabled={productForm.busy()}>
                  Create product
                </button>
              </div>
            </form>
          </Dialog>
        </Match>
        <Match when={products.dialog.kind === "edit" && products.dialog}>
          {(d) => (
            <Dialog title={`Edit ${d().product.sku}`} testid="product-edit-dialog" onClose={close}>
              <form
                data-testid="product-edit-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void submitEdit(d().product);
                }}
              >
                <ProductFields form={productEditForm} first />
                <p class="muted">Editing version {d().product.version}.</p>
                <div class="actions">
                  <button type="submit" class="primary" data-testid="product-edit-submit" disabled={productEditForm.busy()}>
                    Save
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
        <Match when={products.dialog.kind === "archive" && products.dialog}>
          {(d) => (
            <Dialog title={`Archive ${d().product.sku}?`} testid="product-archive-dialog" onClose={close}>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void submitArchive(d().product);
                }}
              >
                <p>{d().product.name} leaves search and can no longer be stocked or priced. Its history stays.</p>
                <div class="actions">
                  <button type="submit" class="danger" data-testid="product-archive-confirm" ref={autofocus}>
                    Archive
                  </button>
                  <button type="button" onClick={close} data-testid="product-archive-cancel">
                    Cancel
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
        <Match when={products.dialog.kind === "rule"}>
          <Dialog title="New price rule" testid="rule-create-dialog" onClose={close}>
            <form
              data-testid="rule-form"
              onSubmit={(e) => {
                e.preventDefault();
                void submitRule();
              }}
            >
              <SelectField form={ruleForm} name="kind" label="Kind" options={RULE_KINDS} autofocus />
              <Show when={ruleFields(ruleForm.values.kind).includes("customer_id")}>
                <RuleCustomerField />
              </Show>
              <Show when={ruleFields(ruleForm.values.kind).includes("min_quantity")}>
                <TextField form={ruleForm} name="min_quantity" label="From quantity" inputmode="numeric" hint="2 or more" />
              </Show>
              <Show when={ruleFields(ruleForm.values.kind).includes("unit_price")}>
                <TextField form={ruleForm} name="unit_price" label="Unit price" inputmode="numeric" />
              </Show>
              <Show when={ruleFields(ruleForm.values.kind).includes("category")}>
                <TextField form={ruleForm} name="category" label="Category" hint={`Empty = this product's (${products.selected?.category || "none"})`} />
              </Show>
              <Show when={ruleFields(ruleForm.values.kind).includes("percent_off")}>
                <TextField form={ruleForm} name="percent_off" label="Percent off" hint="e.g. 10 or 12.5" />
              </Show>
              <Show when={ruleFields(ruleForm.values.kind).includes("starts_at")}>
                <div class="row">
                  <TextField form={ruleForm} name="starts_at" label="Starts" type="datetime-local" />
                  <TextField form={ruleForm} name="ends_at" label="Ends" type="datetime-local" />
                </div>
              </Show>
              <div class="actions">
                <button type="submit" class="primary" data-testid="rule-submit" disabled={ruleForm.busy()}>
                  Create rule
                </button>
              </div>
            </form>
          </Dialog>
        </Match>
        <Match when={products.dialog.kind === "archive-rule" && products.dialog}>
          {(d) => (
            <Dialog title={`Archive rule #${d().rule.id}?`} testid="rule-archive-dialog" onClose={close}>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void archiveRule(d().rule);
                }}
              >
                <p>{describeRule(d().rule, undefined, products.selected ?? undefined)} — it stops applying.</p>
                <div class="actions">
                  <button type="submit" class="danger" data-testid="rule-archive-confirm" ref={autofocus}>
                    Archive rule
                  </button>
                  <button type="button" onClick={close}>
                    Cancel
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
      </Switch>
    </section>
  );
}

/**
 * The price rule's customer, chosen by name (customers.search); the form's
 * `customer_id` holds the picked id for the request and is never typed.
 */
function RuleCustomerField() {
  const picked = (): PickerItem | null => {
    const id = Number(ruleForm.values.customer_id);
    if (!ruleForm.values.customer_id || !Number.isSafeInteger(id)) return null;
    return { id, label: customerName(id) ?? "…" };
  };
  return (
    <div class="field">
      <Picker
        testid="rule-customer"
        label="Customer"
        placeholder="Type the customer's name…"
        none="No customer by that name — add them under Customers first."
        search={async (text) => (await call("customers.search", { prefix: text, limit: PICKER_HITS_MAX })).map((c) => ({ id: c.id, label: c.name, detail: c.phone || undefined }))}
        picked={picked()}
        onPick={(p) => {
          if (p) rememberCustomer(p.id, p.label);
          ruleForm.setValues("customer_id", p ? String(p.id) : "");
          ruleForm.setError("customer_id", undefined);
        }}
      />
      <Show when={ruleForm.errors["customer_id"]}>
        {(msg) => (
          <span class="field-error" role="alert" data-testid="field-error-customer_id">
            {msg()}
          </span>
        )}
      </Show>
    </div>
  );
}
