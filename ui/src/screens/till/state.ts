// The till's state and actions: the cart, the tender attempt and the receipt
// live in module-level stores so a lock screen, an error or a trip to another
// screen never loses a sale (T23). The views in this folder only read and call these.

import { createStore, produce, reconcile } from "solid-js/store";
import {
  call,
  newIdempotencyKey,
  TillbookError,
  toTillbookError,
  type CustomerView,
  type HeldSummary,
  type LoyaltyClaim,
  type MatchKind,
  type ProductView,
  type SalesCartQuote,
  type SalesCheckoutView,
  type SalesTender,
  type ScaleRead,
} from "../../api";
import { dismissError, reportError } from "../../errors";
import { withApproval } from "../../components/Approval";
import type { BasketDiscount } from "../../generated/BasketDiscount";
import { parseLineDiscount } from "../../logic/paying";
import { focusField } from "../../forms";
import { parseMultiplier } from "../../logic/scanner";
import { latestOnly } from "../../logic/seq";
import {
  addProduct,
  cartLines,
  createTenderAttempt,
  lineField,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
  paymentField,
  paymentInputs,
  removeLine,
  stepQuantity,
  suggestedAmount,
  tillAbilities,
  type TenderRow,
  type TillLine,
} from "../../logic/till";
import { formatMoney, parseMoney } from "../../money";
import { isMeasured, oneUnit, onlyLeft, parseQuantity, type QuantityUnit } from "../../logic/quantity";
import { app, onSignOut, permissionsOf } from "../../session";
import { clearScanProblem, showUnknownCode } from "./scanProblem";

export interface TenderRowText {
  tender: SalesTender;
  amount: string;
  reference: string;
}

interface TillState {
  view: "cart" | "tender" | "receipt";
  query: string;
  hits: { match: MatchKind; product: ProductView; scale?: ScaleRead }[];
  lines: TillLine[];
  /** sku and name per product id, from search hits and quotes. */
  names: Record<number, { sku: string; name: string }>;
  /** Unit, precision, tracking and free stock per product id (from hits, then quotes). */
  units: Record<number, LineUnit>;
  /** A recalled hold's own live reservations per product id: free for this cart (checkout releases them first). */
  recalledReserved: Record<number, number>;
  /** The discount as typed, per product id. */
  discountText: Record<number, string>;
  /** A problem with a line (from the UI or the core), per product id. */
  lineErrors: Record<number, string | undefined>;
  customer: CustomerView | null;
  customerQuery: string;
  customerHits: CustomerView[];
  quote: SalesCartQuote | null;
  quoting: boolean;
  tenderRows: TenderRowText[];
  /** `${row}.amount` / `${row}.reference` -> message. */
  tenderErrors: Record<string, string | undefined>;
  receipt: SalesCheckoutView | null;
  footer: string;
  heldOpen: boolean;
  held: HeldSummary[];
  heldNext: number | null;
  parkOpen: boolean;
  parkLabel: string;
  notice: string | null;
  /** The held cart this sale was recalled from: checkout completes it. */
  recalled: { id: number; version: number; label: string } | null;
  /** A manager's approval for on account over a blocking credit limit (asked for after `credit_limit`). */
  approval: { needed: boolean; username: string; password: string };
  /** The customer's claimed loyalty reward applied to this sale: sent with every quote and the checkout. */
  claim: LoyaltyClaim | null;
  /** Why the core will not apply the claim to this cart (e.g. the free product is not in it). */
  claimError: string | null;
  /** On the receipt: the reward the sale used, as quoted and paid. */
  receiptReward: { name: string; amount_minor: number } | null;
  /** On the receipt: the customer's points after the sale (null when unknown or no customer). */
  receiptPoints: number | null;
  /** A discount on the whole sale ("Discount sale"), as asked for: the core spreads it over the lines. */
  basket: BasketDiscount | null;
}

const initialState = (): TillState => ({
  view: "cart",
  query: "",
  hits: [],
  lines: [],
  names: {},
  units: {},
  recalledReserved: {},
  discountText: {},
  lineErrors: {},
  customer: null,
  customerQuery: "",
  customerHits: [],
  quote: null,
  quoting: false,
  tenderRows: [],
  tenderErrors: {},
  receipt: null,
  footer: "",
  heldOpen: false,
  held: [],
  heldNext: null,
  parkOpen: false,
  parkLabel: "",
  notice: null,
  recalled: null,
  approval: { needed: false, username: "", password: "" },
  claim: null,
  claimError: null,
  receiptReward: null,
  receiptPoints: null,
  basket: null,
});

export const [till, setTill] = createStore<TillState>(initialState());
export const tender = createTenderAttempt();
let parkKey = newIdempotencyKey();
const searchSeq = latestOnly();
const customerSeq = latestOnly();
const quoteSeq = latestOnly();

onSignOut(() => {
  setTill(reconcile(initialState()));
  tender.close();
  parkKey = newIdempotencyKey();
});

export const HELD_PAGE = 50;
const SEARCH_LIMIT = 10;
const CUSTOMER_LIMIT = 8;

// ---------------------------------------------------------------------------
// Cart
// ---------------------------------------------------------------------------

/** Asks the core for the cart's prices, tax and totals; the UI never sums them itself. */
export async function requote(): Promise<void> {
  const token = quoteSeq.next();
  if (till.lines.length === 0) {
    setTill({ quote: null, quoting: false, lineErrors: {}, claimError: null });
    return;
  }
  // A discount that cannot be read stays marked beside its line; the core is asked once it can.
  if (till.lines.some((l) => unreadableDiscount(till.discountText[l.product_id]))) {
    setTill({ quote: null, quoting: false });
    return;
  }
  setTill("quoting", true);
  try {
    const q = await call("sales.quote", { customer_id: till.customer?.id ?? null, lines: cartLines(till.lines), ...claimArg(), basket_discount: till.basket });
    if (!quoteSeq.isLatest(token)) return;
    setTill(
      produce((s) => {
        s.quote = q;
        s.lineErrors = {};
        s.claimError = null;
        for (const l of q.lines) {
          s.names[l.product_id] = { sku: l.sku, name: l.name };
          const own = s.recalled ? (s.recalledReserved[l.product_id] ?? 0) : 0;
          s.units[l.product_id] = {
            unit: l.unit,
            quantity_decimals: l.quantity_decimals,
            track_stock: l.track_stock,
            available: l.available_quantity === null ? null : l.available_quantity + own,
          };
        }
        // Another till sold some meanwhile: the line says how many are left (Pay would be refused).
        for (const l of q.lines) {
          const free = s.units[l.product_id]?.available ?? null;
          if (l.track_stock && free !== null && l.quantity > free) {
            s.lineErrors[l.product_id] = onlyLeft(free, s.units[l.product_id]!);
          }
        }
      }),
    );
  } catch (e) {
    if (!quoteSeq.isLatest(token)) return;
    setTill("quote", null);
    showCartError(toTillbookError(e, "sales.quote"));
  } finally {
    if (quoteSeq.isLatest(token)) setTill("quoting", false);
  }
}

/** The applied claim as `sales.quote`/`sales.checkout` take it (left out when none). */
function claimArg(): { loyalty_claim_id?: number } {
  return till.claim ? { loyalty_claim_id: till.claim.id } : {};
}

function unreadableDiscount(text: string | undefined): boolean {
  return text !== undefined && parseLineDiscount(text).kind === "invalid";
}

/** A core error naming a line goes beside that line; anything else to the banner. */
function showCartError(err: TillbookError): void {
  // The reward cannot apply to this cart as it is: said beside the reward, which the cashier can fix or remove.
  if (err.field === "loyalty_claim_id" && err.code === "validation" && till.claim) {
    const prefix = `${err.field}: `;
    setTill("claimError", err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message);
    return;
  }
  const lf = lineField(err.field);
  const line = lf ? till.lines[lf.index] : undefined;
  if (line && (err.code === "validation" || err.code === "insufficient_stock")) {
    const prefix = `${err.field}: `;
    setTill("lineErrors", line.product_id, err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message);
    if (err.code === "insufficient_stock") reportError(err);
    return;
  }
  reportError(err);
}

function setLines(lines: TillLine[]): void {
  setTill("lines", lines);
  void requote();
}

/** What the till knows of a product's quantities: its unit, and free stock when tracked. */
export interface LineUnit extends QuantityUnit {
  track_stock: boolean;
  /** Free stock in the smallest part; null when the product is not tracked. */
  available: number | null;
}

export function unitOf(productId: number): LineUnit {
  return till.units[productId] ?? { unit: "each", quantity_decimals: 0, track_stock: false, available: null };
}

/**
 * Whether `quantity` of the product may be in the cart: a tracked product
 * never more than is free ("Only 2 left", said at once beside the line, not
 * first at Pay). The core checks again at Pay.
 */
function withinStock(productId: number, quantity: number): boolean {
  const u = unitOf(productId);
  if (!u.track_stock || u.available === null || quantity <= u.available) return true;
  const name = nameOf(productId);
  const inCart = till.lines.some((l) => l.product_id === productId);
  const left = isMeasured(u) ? `${onlyLeft(u.available, u)}` : `Only ${Math.max(0, u.available)} × ${name} left`;
  const message = u.available <= 0 ? `${name} is out of stock` : inCart ? `${onlyLeft(u.available, u)}: no more can be added` : left;
  if (inCart) setTill("lineErrors", productId, message);
  else setTill("notice", message);
  return false;
}

/**
 * A product into the cart: `quantity` in its smallest part (a scale label's
 * weight), else one unit — for a weighed product that is 1 kg (or what is
 * left, if less), and the weight field is focused so typing `0.350` sets it.
 */
export function addToCart(p: ProductView, quantity?: number): void {
  if (till.view !== "cart") return;
  if (!till.lines.some((l) => l.product_id === p.id) && till.lines.length >= MAX_CART_LINES) {
    reportError(new TillbookError("validation", `lines: a sale has at most ${MAX_CART_LINES} lines`, { field: "lines", source: "ui" }));
    return;
  }
  setTill("names", p.id, { sku: p.sku, name: p.name });
  setTill("units", p.id, { unit: p.unit, quantity_decimals: p.quantity_decimals, track_stock: p.track_stock, available: p.track_stock ? p.available + (till.recalled ? (till.recalledReserved[p.id] ?? 0) : 0) : null });
  setTill({ hits: [], notice: null });
  clearScanProblem();
  const measured = isMeasured(p);
  let add = quantity ?? (measured ? oneUnit(p.quantity_decimals) : 1);
  if (quantity === undefined && measured && p.track_stock && p.available > 0) add = Math.min(add, p.available);
  const had = till.lines.find((l) => l.product_id === p.id)?.quantity ?? 0;
  if (!withinStock(p.id, had + add)) return;
  setTill("lineErrors", p.id, undefined);
  setLines(addProduct(till.lines, p.id, add));
  if (quantity === undefined && measured) focusField("till", `qty-${p.sku}`);
}

/** A quantity typed in a line at the product's precision ("0.350" kg). */
export function setQuantity(index: number, text: string): void {
  const line = till.lines[index];
  if (!line) return;
  const u = unitOf(line.product_id);
  const q = parseQuantity(text, u.quantity_decimals);
  if (q === null || q < 1) {
    setTill(
      "lineErrors",
      line.product_id,
      u.quantity_decimals === 0 ? "enter a whole number above zero" : `enter the weight in ${u.unit}, like 0.350 (at most ${u.quantity_decimals} decimals)`,
    );
    return;
  }
  if (!withinStock(line.product_id, q)) return;
  setTill("lineErrors", line.product_id, undefined);
  setLines(till.lines.map((l, j) => (j === index ? { ...l, quantity: q } : l)));
  // The weight is in: back to the scan field for the next item.
  focusField("till", "search");
}

/** A search hit chosen by hand: into the cart (with a typed `3*`), and back to the scan field. */
export function pickHit(p: ProductView): void {
  const quantity = parseMultiplier(till.query)?.quantity;
  searchSeq.next();
  setTill("query", "");
  addToCart(p, typedQuantity(p, quantity));
  // A weighed product waits for its weight (addToCart focused that field).
  if (!isMeasured(p) || quantity !== undefined) focusField("till", "search");
}

/**
 * A quick key tapped: one of its product, or the quantity typed before it
 * (`3*` in the scan field). Focus goes back to the scan field for the next scan.
 */
export async function addTile(p: { product_id: number; sku: string; name: string }): Promise<void> {
  if (till.view !== "cart") return;
  const m = parseMultiplier(till.query);
  const typed = m && m.rest === "" ? m.quantity : undefined;
  if (typed !== undefined) setTill("query", "");
  try {
    // The tile names the product; its unit and free stock are read fresh for the line.
    const product = await call("catalog.get_product", { id: p.product_id });
    addToCart(product, typedQuantity(product, typed));
    if (!isMeasured(product) || typed !== undefined) focusField("till", "search");
  } catch (e) {
    reportError(e);
  }
}

/**
 * A typed `3*` as the line's quantity in the product's smallest part: 3 of an
 * item, 3 kg of a weighed one; none typed leaves addToCart's default.
 */
function typedQuantity(p: ProductView, typed: number | undefined): number | undefined {
  if (typed === undefined) return undefined;
  return Math.min(MAX_LINE_QUANTITY, typed * oneUnit(p.quantity_decimals));
}

/** A quantity typed into the line (whole units of the smallest unit; as the core's limit). */
export function setLineQuantity(index: number, quantity: number): void {
  if (!Number.isInteger(quantity) || quantity < 1) return;
  const q = Math.min(MAX_LINE_QUANTITY, quantity);
  const line = till.lines[index];
  if (!line || !withinStock(line.product_id, q)) return;
  setTill("lineErrors", line.product_id, undefined);
  setLines(till.lines.map((l, j) => (j === index ? { ...l, quantity: q } : l)));
}

export function step(index: number, delta: number): void {
  const line = till.lines[index];
  if (line && delta > 0 && !withinStock(line.product_id, line.quantity + delta)) return;
  if (line) setTill("lineErrors", line.product_id, undefined);
  setLines(stepQuantity(till.lines, index, delta));
}

export function remove(index: number): void {
  const pid = till.lines[index]?.product_id;
  if (pid !== undefined) {
    setTill(
      produce((s) => {
        delete s.discountText[pid];
        delete s.lineErrors[pid];
      }),
    );
  }
  setLines(removeLine(till.lines, index));
}

export function setDiscount(index: number, text: string): void {
  const line = till.lines[index];
  if (!line) return;
  setTill("discountText", line.product_id, text);
  // "10%" asks for a percentage, "0.50" for an amount; the core works out what it takes off.
  const d = parseLineDiscount(text);
  if (d.kind === "invalid") {
    setTill("lineErrors", line.product_id, d.message);
    return;
  }
  setTill("lineErrors", line.product_id, undefined);
  const minor = d.kind === "amount" ? d.discount_minor : 0;
  const percent = d.kind === "percent" ? d.discount_percent_bp : null;
  setLines(till.lines.map((l, j) => (j === index ? { ...l, discount_minor: minor, discount_percent_bp: percent, discount_preset_id: null } : l)));
}

/** Empties the cart. A recalled hold stays parked (it is only no longer in the cart). */
export function clearCart(): void {
  setTill({
    lines: [],
    discountText: {},
    lineErrors: {},
    customer: null,
    customerQuery: "",
    customerHits: [],
    quote: null,
    quoting: false,
    notice: null,
    recalled: null,
    recalledReserved: {},
    claim: null,
    claimError: null,
    basket: null,
  });
  quoteSeq.next();
}

/** As you type: the catalog's tiers (barcode, SKU, name, words). */
export async function searchProducts(text: string): Promise<void> {
  setTill("query", text);
  clearScanProblem();
  // `3*` is a quantity waiting for its product; what follows it is the search.
  const q = (parseMultiplier(text)?.rest ?? text).trim();
  const token = searchSeq.next();
  if (q === "") {
    setTill("hits", []);
    return;
  }
  try {
    const page = await call("catalog.search", { query: q, limit: SEARCH_LIMIT });
    if (searchSeq.isLatest(token)) setTill("hits", page.items);
  } catch (e) {
    if (searchSeq.isLatest(token)) reportError(e);
  }
}

let scans: Promise<void> = Promise.resolve();

/**
 * Enter: an exact barcode or SKU (a scan) goes straight into the cart, as does a
 * lone hit. A scanner types faster than the core answers, so scans queue up and
 * each one is handled, in order: none is dropped as a stale search.
 */
export function scan(): Promise<void> {
  const m = parseMultiplier(till.query);
  const q = (m?.rest ?? till.query).trim();
  if (q === "") return scans;
  return scanCode(q, m?.quantity ?? 1);
}

/**
 * A code from the scanner (or Enter in the scan field), wherever the till is:
 * on the receipt it starts the next sale with the item; on the tender screen
 * it goes back to the cart (the item was forgotten). The scan field is
 * emptied at once, so the next scan never lands after this one's text.
 */
export function scanCode(code: string, quantity = 1): Promise<void> {
  const q = code.trim();
  if (q === "") return scans;
  if (till.view === "receipt") newSale();
  else if (till.view === "tender") {
    if (tender.inFlight()) {
      reportError(new TillbookError("conflict", `A payment is in progress; scan ${q} again once it is done.`, { source: "ui" }));
      return scans;
    }
    closeTender();
  }
  // The as-you-type answers still on their way are out of date now.
  searchSeq.next();
  setTill({ query: "", hits: [] });
  clearScanProblem();
  scans = scans.then(() => scanOne(q, quantity));
  return scans;
}

async function scanOne(q: string, quantity: number): Promise<void> {
  try {
    const page = await call("catalog.search", { query: q, limit: SEARCH_LIMIT });
    const exact = page.items.find((h) => h.match === "barcode" || h.match === "sku" || h.match === "scale_code");
    const pick = exact ?? (page.items.length === 1 ? page.items[0] : undefined);
    if (pick) {
      // A scale label carries the weight (the core read it and checked the check digit).
      addToCart(pick.product, pick.scale?.quantity ?? typedQuantity(pick.product, quantity > 1 ? quantity : undefined));
      if (!isMeasured(pick.product) || pick.scale || quantity > 1) focusField("till", "search");
    } else if (page.items.length > 0) {
      // Typed words, not a code: the choices, with the typed quantity kept for the pick.
      setTill({ query: quantity > 1 ? `${quantity}*${q}` : q, hits: page.items, notice: null });
    } else {
      // Nothing has this code: an error (not a notice), the field empty for the next scan.
      showUnknownCode(q, quantity);
      focusField("till", "search");
    }
  } catch (e) {
    reportError(e);
  }
}

// ---------------------------------------------------------------------------
// Customer
// ---------------------------------------------------------------------------

export async function searchCustomers(text: string): Promise<void> {
  setTill("customerQuery", text);
  const token = customerSeq.next();
  if (text.trim() === "") {
    setTill("customerHits", []);
    return;
  }
  try {
    const rows = await call("customers.search", { prefix: text.trim(), limit: CUSTOMER_LIMIT });
    if (customerSeq.isLatest(token)) setTill("customerHits", rows);
  } catch (e) {
    if (customerSeq.isLatest(token)) reportError(e);
  }
}

export function attachCustomer(c: CustomerView | null): void {
  // A claim belongs to its customer: another customer (or none) drops it from the sale; it stays claimed.
  const keep = c !== null && till.claim?.customer_id === c.id;
  setTill({ customer: c, customerQuery: "", customerHits: [], ...(keep ? {} : { claim: null, claimError: null }) });
  customerSeq.next();
  void requote();
}

// ---------------------------------------------------------------------------
// Loyalty reward
// ---------------------------------------------------------------------------

/** A reward the attached customer claimed (or an open claim of theirs): applied to this sale. */
export function applyClaim(c: LoyaltyClaim): void {
  if (till.view !== "cart" || till.customer?.id !== c.customer_id) return;
  setTill({ claim: c, claimError: null, notice: null });
  void requote();
}

/** The sale goes on without the reward; the claim stays open for another sale. */
export function removeClaim(): void {
  if (till.view !== "cart") return;
  setTill({ claim: null, claimError: null });
  void requote();
}

// ---------------------------------------------------------------------------
// Park and recall
// ---------------------------------------------------------------------------

export function openPark(): void {
  parkKey = newIdempotencyKey();
  setTill({ parkOpen: true, parkLabel: "" });
}

export async function park(): Promise<boolean> {
  if (till.lines.length === 0) return false;
  try {
    const label = till.parkLabel.trim();
    const held = await withApproval((approval) =>
      call("sales.hold", {
        idempotency_key: parkKey,
        label: label === "" ? null : label,
        customer_id: till.customer?.id ?? null,
        lines: cartLines(till.lines),
        basket_discount: till.basket,
        approval,
      }),
    );
    parkKey = newIdempotencyKey();
    const previous = till.recalled;
    clearCart();
    setTill({ parkOpen: false, parkLabel: "", notice: `Parked as “${held.label}” (hold #${held.number}).` });
    // Parked again after a recall: the new hold replaces the old one (made first, so nothing is lost if this fails).
    if (previous) {
      try {
        await call("sales.cancel_hold", { id: previous.id, version: previous.version });
      } catch (e) {
        reportError(e);
      }
    }
    if (till.heldOpen) await loadHeld();
    focusField("till", "search");
    return true;
  } catch (e) {
    showCartError(toTillbookError(e, "sales.hold"));
    return false;
  }
}

export async function loadHeld(more = false): Promise<void> {
  try {
    const page = await call("sales.held", { after_id: more ? till.heldNext : null, limit: HELD_PAGE });
    setTill({ held: more ? [...till.held, ...page.holds] : page.holds, heldNext: page.next_after_id });
  } catch (e) {
    reportError(e);
  }
}

export async function toggleHeld(): Promise<void> {
  const open = !till.heldOpen;
  setTill("heldOpen", open);
  if (open) await loadHeld();
}

/**
 * Brings a held cart back into the (empty) cart. Its units stay reserved until
 * checkout, which names the hold: the same transaction releases the
 * reservations, takes the stock and marks the hold completed.
 */
export async function recall(h: HeldSummary): Promise<void> {
  if (till.lines.length > 0 || till.view !== "cart") return;
  try {
    const cart = await call("sales.recall", { id: h.id });
    let customer: CustomerView | null = null;
    if (cart.customer_id !== null) customer = await call("customers.get", { id: cart.customer_id });
    const discountText: Record<number, string> = {};
    for (const l of cart.lines) if (l.discount_minor > 0) discountText[l.product_id] = formatMoney(l.discount_minor);
    for (const l of cart.lines) if (l.discount_percent_bp != null) discountText[l.product_id] = `${l.discount_percent_bp / 100}%`;
    setTill({
      basket: cart.basket_discount,
      lines: cart.lines.map((l) => ({
        product_id: l.product_id,
        quantity: l.quantity,
        discount_minor: l.discount_minor,
        discount_percent_bp: l.discount_percent_bp,
        discount_preset_id: l.discount_preset_id,
        price_override_minor: l.price_override_minor,
        price_override_reason: l.price_override_reason,
      })),
      discountText,
      lineErrors: {},
      customer,
      ...(till.claim && till.claim.customer_id === customer?.id ? {} : { claim: null, claimError: null }),
      recalled: { id: cart.id, version: cart.version, label: cart.label },
      recalledReserved: Object.fromEntries(cart.lines.map((l) => [l.product_id, l.reservation_live ? l.reserved_quantity : 0])),
      notice:
        cart.lost_lines.length > 0
          ? `Recalled “${cart.label}”; the reservation of line ${cart.lost_lines.join(", ")} had lapsed.`
          : `Recalled “${cart.label}”.`,
    });
    await requote();
  } catch (e) {
    reportError(e);
    await loadHeld();
  }
}

export async function cancelHold(h: HeldSummary): Promise<void> {
  try {
    await call("sales.cancel_hold", { id: h.id, version: h.version });
    setTill("notice", `Cancelled “${h.label}”; its stock is free again.`);
  } catch (e) {
    reportError(e);
  }
  await loadHeld();
}

// ---------------------------------------------------------------------------
// Tender
// ---------------------------------------------------------------------------

/** Opens the tender screen on a fresh quote: a new tender attempt, a new idempotency key. */
export function openTender(): boolean {
  const q = till.quote;
  if (!q || till.quoting || till.lines.length === 0 || q.lines.length !== till.lines.length) return false;
  tender.open();
  setTill({ view: "tender", tenderRows: [], tenderErrors: {}, notice: null, approval: { needed: false, username: "", password: "" } });
  return true;
}

/** Back to the cart (to change it): this tender attempt ends. */
export function closeTender(): void {
  if (tender.inFlight()) return;
  tender.close();
  setTill({ view: "cart", tenderRows: [], tenderErrors: {}, approval: { needed: false, username: "", password: "" } });
  focusField("till", "search");
}

/** The typed rows read as amounts; an unreadable amount counts as 0 and is marked. */
export function parsedRows(rows: readonly TenderRowText[] = till.tenderRows): { rows: TenderRow[]; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const parsed = rows.map((r, i) => {
    const amount = parseMoney(r.amount);
    if (amount === null) errors[`${i}.amount`] = "enter an amount like 12.50";
    return { tender: r.tender, amount_minor: amount ?? 0, reference: r.reference };
  });
  return { rows: parsed, errors };
}

export function addTenderRow(t: SalesTender): void {
  const total = till.quote?.total_minor ?? 0;
  const due = suggestedAmount(total, parsedRows().rows);
  const existingCash = till.tenderRows.findIndex((r) => r.tender === "cash");
  if (t === "cash" && existingCash >= 0) {
    focusField("tender", `amount-${existingCash}`);
    return;
  }
  setTill("tenderRows", (rows) => [...rows, { tender: t, amount: formatMoney(due), reference: "" }]);
  focusField("tender", `amount-${till.tenderRows.length - 1}`);
}

export function setTenderRow(i: number, field: "amount" | "reference", value: string): void {
  setTill("tenderRows", i, field, value);
  setTill("tenderErrors", `${i}.${field}`, undefined);
}

export function removeTenderRow(i: number): void {
  setTill({ tenderRows: till.tenderRows.filter((_, j) => j !== i), tenderErrors: {} });
}

/**
 * Pay: one `sales.checkout` with the attempt's key. A double click or a retry
 * after an error sends the same key, so at most one sale is made (T09).
 */
export async function pay(): Promise<void> {
  const q = till.quote;
  if (!q || till.view !== "tender") return;
  const { rows, errors } = parsedRows();
  if (Object.keys(errors).length > 0) {
    setTill("tenderErrors", errors);
    return;
  }
  dismissError();
  try {
    const a = till.approval;
    // A discount or override the cashier's role lacks: a manager approves this one sale (T39).
    const order = await tender.pay((key) =>
      withApproval((approval) => call("sales.checkout", {
        idempotency_key: key,
        customer_id: till.customer?.id ?? null,
        lines: cartLines(till.lines),
        ...claimArg(),
        payments: paymentInputs(rows),
        // The total on screen: if a price changed since, the core refuses rather than charge another amount.
        expected_total_minor: q.total_minor,
        held_cart_id: till.recalled?.id ?? null,
        held_cart_version: till.recalled?.version ?? null,
        approver: a.needed && a.username.trim() !== "" ? { username: a.username.trim(), password: a.password } : null,
        basket_discount: till.basket,
        approval,
      })),
    );
    if (!order) return;
    tender.close();
    const reward = till.claim && q.loyalty_claim_id === till.claim.id && q.reward_discount_minor > 0 ? { name: till.claim.reward_name, amount_minor: q.reward_discount_minor } : null;
    setTill({
      view: "receipt",
      receipt: order,
      tenderErrors: {},
      recalled: null,
      approval: { needed: false, username: "", password: "" },
      receiptReward: reward,
      receiptPoints: null,
    });
    if (order.credit?.warning) {
      setTill("notice", `On account over the customer's limit by ${formatMoney(order.credit.over_limit_minor)} (allowed: warn mode).`);
    }
    void loadFooter();
    if (order.customer_id !== null) void loadPoints(order.customer_id, order.id);
  } catch (e) {
    const err = toTillbookError(e, "sales.checkout");
    const pf = paymentField(err.field);
    if (pf && err.code === "validation" && pf.index < till.tenderRows.length) {
      const key = pf.field === "reference" ? "reference" : "amount";
      const prefix = `${err.field}: `;
      setTill("tenderErrors", `${pf.index}.${key}`, err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message);
      return;
    }
    reportError(err);
    // Over a blocking credit limit: a manager may approve it here, then Pay again.
    if (err.code === "credit_limit") setTill("approval", "needed", true);
    if (err.code === "forbidden" && till.approval.needed) setTill("approval", "password", "");
    // Prices moved since the quote: show the new totals before anyone pays again.
    if (err.code === "conflict" || err.code === "validation") await requote();
  }
}

/** The receipt's footer from the settings; a receipt without it is still a receipt. */
async function loadFooter(): Promise<void> {
  try {
    const s = await call("settings.get");
    setTill("footer", s.settings.receipt_footer ?? "");
  } catch {
    // Cosmetic: the sale is done and shown; a missing footer is not worth a banner.
  }
}

/** The customer's points after the sale, for the receipt (earned and redeemed by the checkout itself). */
async function loadPoints(customerId: number, orderId: number): Promise<void> {
  try {
    const b = await call("loyalty.balance", { customer_id: customerId, limit: 1 });
    if (till.receipt?.id === orderId) setTill("receiptPoints", b.points);
  } catch {
    // Cosmetic, as the footer: the sale is done.
  }
}

export function newSale(): void {
  tender.close();
  clearCart();
  if (till.heldOpen) void loadHeld();
  setTill({ view: "cart", receipt: null, tenderRows: [], tenderErrors: {}, notice: null, query: "", hits: [], receiptReward: null, receiptPoints: null });
  focusField("till", "search");
}

// ---------------------------------------------------------------------------
// Screen
// ---------------------------------------------------------------------------

export function nameOf(productId: number): string {
  const n = till.names[productId];
  return n ? n.name : `Product #${productId}`;
}

export function skuOf(productId: number): string {
  return till.names[productId]?.sku ?? String(productId);
}

/** The quote's line for the cart's line i, when the quote is of this cart. */
export function quoteLine(i: number) {
  const q = till.quote;
  const l = q?.lines[i];
  return l && l.product_id === till.lines[i]?.product_id && q.lines.length === till.lines.length ? l : undefined;
}

/** What this session may do here (the core refuses the rest anyway). */
export function abilities() {
  return tillAbilities(permissionsOf(app.session?.role, app.roles));
}
