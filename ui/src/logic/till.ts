// The till's logic that is not about the screen: the cart as the core takes it,
// what the tender screen shows while payments are typed, and the one
// idempotency key per tender attempt. Prices, tax and totals always come from
// `sales.quote` / `sales.checkout` (T20): nothing here multiplies a price.

import { createSignal } from "solid-js";
import type { Permission, SalesCartLine, SalesPaymentInput, SalesTender } from "../api";
import { newIdempotencyKey } from "../api";

/** A cart line as the till keeps it: what the core needs, plus the typed discount. */
export interface TillLine {
  product_id: number;
  quantity: number;
  /** 0 when none; only sent when the session may discount. */
  discount_minor: number;
  /** A percentage off the line instead ("10%"); the core works out the amount. */
  discount_percent_bp?: number | null;
  /** A line preset the owner defined instead. */
  discount_preset_id?: number | null;
  /** A new unit price, with its reason (the core replaces the price with it). */
  price_override_minor?: number | null;
  price_override_reason?: string | null;
}

/** The most units one line may hold (as the core's limit). */
export const MAX_LINE_QUANTITY = 1_000_000;
/** The most lines a cart may hold (as the core's limit). */
export const MAX_CART_LINES = 200;

/** Adds one unit of a product: to its line if there is one, else as a new line at the end. */
export function addProduct(lines: readonly TillLine[], productId: number, quantity = 1): TillLine[] {
  const i = lines.findIndex((l) => l.product_id === productId);
  if (i < 0) return [...lines, { product_id: productId, quantity, discount_minor: 0 }];
  return lines.map((l, j) => (j === i ? { ...l, quantity: Math.min(MAX_LINE_QUANTITY, l.quantity + quantity) } : l));
}

/** +1 / −1 on a line; a line taken below 1 stays at 1 (removing is its own button). */
export function stepQuantity(lines: readonly TillLine[], index: number, delta: number): TillLine[] {
  return lines.map((l, j) => (j === index ? { ...l, quantity: Math.max(1, Math.min(MAX_LINE_QUANTITY, l.quantity + delta)) } : l));
}

export function removeLine(lines: readonly TillLine[], index: number): TillLine[] {
  return lines.filter((_, j) => j !== index);
}

/** The cart as `sales.quote`/`sales.checkout`/`sales.hold` lines: a zero discount is left out. */
export function cartLines(lines: readonly TillLine[]): SalesCartLine[] {
  return lines.map((l) => ({
    ...(l.discount_minor > 0
      ? { product_id: l.product_id, quantity: l.quantity, discount_minor: l.discount_minor }
      : { product_id: l.product_id, quantity: l.quantity }),
    ...discountExtras(l),
  }));
}

/** A line's percentage, preset and price override, as the core takes them (left out when unset). */
function discountExtras(l: TillLine): Partial<SalesCartLine> {
  const out: Partial<SalesCartLine> = {};
  if (l.discount_percent_bp != null) out.discount_percent_bp = l.discount_percent_bp;
  if (l.discount_preset_id != null) out.discount_preset_id = l.discount_preset_id;
  if (l.price_override_minor != null && l.price_override_reason != null) {
    out.price_override_minor = l.price_override_minor;
    out.price_override_reason = l.price_override_reason;
  }
  return out;
}

/** `lines[2].discount_minor` -> {index: 2, field: "discount_minor"}. */
export function lineField(field: string | undefined): { index: number; field: string } | null {
  const m = field === undefined ? null : /^lines\[(\d+)\]\.(\w+)$/.exec(field);
  return m ? { index: Number(m[1]), field: m[2] } : null;
}

/** `payments[1].reference` -> {index: 1, field: "reference"}. */
export function paymentField(field: string | undefined): { index: number; field: string } | null {
  const m = field === undefined ? null : /^payments\[(\d+)\]\.(\w+)$/.exec(field);
  return m ? { index: Number(m[1]), field: m[2] } : null;
}

// ---------------------------------------------------------------------------
// Tender
// ---------------------------------------------------------------------------

/** A payment row as typed on the tender screen (amount already read as minor units). */
export interface TenderRow {
  tender: SalesTender;
  amount_minor: number;
  reference: string;
}

export interface TenderSummary {
  /** Everything entered, cash as handed over. */
  entered_minor: number;
  cash_minor: number;
  non_cash_minor: number;
  /** Still to pay (0 once covered). */
  remaining_minor: number;
  /** Cash handed over beyond what was left to pay. */
  change_minor: number;
  /** The rows cover the total the way the core accepts: non-cash at most the total, cash may exceed the rest. */
  covers: boolean;
  /** Why the rows cannot be paid as they are, in words; null when they can. */
  problem: string | null;
}

/**
 * What the tender screen shows while payments are typed. The core checks the
 * same rules again and computes the change it records; this is only the preview.
 */
export function tenderSummary(total_minor: number, rows: readonly TenderRow[], referenceRequired = true): TenderSummary {
  let cash = 0;
  let nonCash = 0;
  let cashRows = 0;
  for (const r of rows) {
    if (r.tender === "cash") {
      cash += r.amount_minor;
      cashRows += 1;
    } else {
      nonCash += r.amount_minor;
    }
  }
  const dueAfterNonCash = total_minor - nonCash;
  const change = dueAfterNonCash >= 0 ? Math.max(0, cash - dueAfterNonCash) : 0;
  const remaining = Math.max(0, dueAfterNonCash - cash);
  let problem: string | null = null;
  if (cashRows > 1) problem = "Take cash as one amount (one cash payment).";
  else if (nonCash > total_minor) problem = "Card, account and store credit together are more than the total.";
  if (problem === null && rows.some((r) => r.amount_minor <= 0)) problem = "Every payment needs an amount above zero.";
  if (problem === null && referenceRequired && rows.some((r) => r.tender === "card" && r.reference.trim() === "")) {
    problem = "A card payment needs the terminal's reference.";
  }
  return {
    entered_minor: cash + nonCash,
    cash_minor: cash,
    non_cash_minor: nonCash,
    remaining_minor: remaining,
    change_minor: change,
    covers: problem === null && remaining === 0 && nonCash <= total_minor,
    problem,
  };
}

/** The rows as `sales.checkout` payments (a reference only on card). */
export function paymentInputs(rows: readonly TenderRow[]): SalesPaymentInput[] {
  return rows.map((r) =>
    // An empty reference is left out: the shop's `card_reference` setting says whether the core needs one.
    r.tender === "card" && r.reference.trim() !== ""
      ? { tender: r.tender, amount_minor: r.amount_minor, reference: r.reference.trim() }
      : { tender: r.tender, amount_minor: r.amount_minor },
  );
}

/** What is still due for a new row of `tender` (prefilled into its amount). */
export function suggestedAmount(total_minor: number, rows: readonly TenderRow[]): number {
  return tenderSummary(total_minor, rows).remaining_minor;
}

/** Which tenders the tender screen offers: on account and store credit need a customer. */
export function tendersFor(hasCustomer: boolean): SalesTender[] {
  return hasCustomer ? ["cash", "card", "on_account", "store_credit"] : ["cash", "card"];
}

export const TENDER_LABELS: Record<SalesTender, string> = {
  cash: "Cash",
  card: "Card",
  on_account: "On account",
  store_credit: "Store credit",
};

/**
 * One tender attempt: the idempotency key is made when the tender screen opens
 * and every Pay of that screen (a retry after an error, a double click) sends
 * the same key, so the core makes at most one sale of it (T09). While a Pay is
 * in flight a second one is not even sent.
 */
export function createTenderAttempt(makeKey: () => string = newIdempotencyKey) {
  const [key, setKey] = createSignal<string | null>(null);
  const [inFlight, setInFlight] = createSignal(false);
  return {
    key,
    inFlight,
    /** The tender screen opened: a new attempt, a new key. */
    open(): string {
      const k = makeKey();
      setKey(k);
      return k;
    },
    /** The tender screen closed (back to the cart, or the sale is done). */
    close(): void {
      setKey(null);
    },
    /**
     * Runs `pay` with the attempt's key unless one is already running or no
     * attempt is open; resolves with its result, or undefined when not sent.
     */
    async pay<T>(pay: (key: string) => Promise<T>): Promise<T | undefined> {
      const k = key();
      if (k === null || inFlight()) return undefined;
      setInFlight(true);
      try {
        return await pay(k);
      } finally {
        setInFlight(false);
      }
    },
  };
}

export type TenderAttempt = ReturnType<typeof createTenderAttempt>;

// ---------------------------------------------------------------------------
// Permission gating
// ---------------------------------------------------------------------------

/** What the till and orders screens show to a role (the core still refuses the rest). */
export function tillAbilities(perms: ReadonlySet<Permission>) {
  return {
    sell: perms.has("sales.sell"),
    discount: perms.has("sales.discount"),
    refund: perms.has("sales.refund"),
    customers: perms.has("customers.manage"),
  };
}
