// The audit log as a history: one sentence template per command that writes,
// in one table, so a row reads "Ana refunded 1 × Olive oil (£6.99) on sale 12"
// instead of `sales.refund {"total_minor":699,…}`. Amounts go through the
// shared formatter (with the currency sign), people and records by the names
// `audit.list` joins. Every command in the generated WRITE_COMMANDS has an
// entry (a Vitest checks it); a new command without one reads generically
// until it gets its own.

import type { CommandName } from "./api";
import type { AuditItem } from "./generated/AuditItem";
import type { AuditRow } from "./generated/AuditRow";
import { WRITE_COMMANDS } from "./generated/Commands";
import { formatDate, formatDateTime, formatNumber } from "./locale";
import { formatQuantity } from "./logic/quantity";
import { formatAmount } from "./money";

/** Kinds of action the history can be filtered by. */
export const AUDIT_KINDS = {
  sales: "Sales",
  refunds: "Refunds and voids",
  stock: "Stock",
  products: "Products and prices",
  customers: "Customers and accounts",
  vendors: "Vendors and purchases",
  shifts: "Shifts and cash",
  loyalty: "Loyalty",
  users: "Users",
  settings: "Settings and setup",
  signins: "Sign-ins",
} as const;
export type AuditKind = keyof typeof AUDIT_KINDS;

type S = Record<string, unknown>;

export interface AuditSentence {
  kind: AuditKind;
  /** What was attempted, as a noun phrase ("a refund"), for refused and failed rows. */
  what: string;
  /** What was done, past tense, after the person's name ("refunded 1 × Olive oil (£6.99) on sale 12"). */
  done: (r: AuditRow, s: S) => string;
}

function n(s: S, k: string): number | null {
  const v = s[k];
  return typeof v === "number" ? v : null;
}
function t(s: S, k: string): string | null {
  const v = s[k];
  return typeof v === "string" && v !== "" ? v : null;
}
function money(s: S, k: string): string {
  const v = n(s, k);
  return v === null ? "" : formatAmount(v);
}
/** " (£6.99)" or "". */
function inParens(s: S, k: string): string {
  const m = money(s, k);
  return m ? ` (${m})` : "";
}
function numbered(label: string, s: S, k = "number"): string {
  const v = n(s, k);
  return v === null ? label : `${label} ${v}`;
}
function named(r: AuditRow, s: S, fallback: string): string {
  return r.record_name ?? t(s, "name") ?? t(s, "display_name") ?? t(s, "username") ?? fallback;
}
function forCustomer(r: AuditRow): string {
  return r.record_name ? ` for ${r.record_name}` : "";
}
function reason(s: S): string {
  const why = t(s, "reason");
  return why ? ` — “${why}”` : "";
}

/** "1 × Olive oil (£6.99)", "0.350 kg Cheddar (£4.90)"; "and 2 more" past the first lines. */
export function itemsText(items: AuditItem[], lineCount: number | null): string {
  const parts = items.map((i) => {
    const q = i.quantity_decimals > 0 ? `${formatQuantity(i.quantity, i.quantity_decimals)} ${i.unit}` : `${formatNumber(i.quantity)} ×`;
    return `${q} ${i.name} (${formatAmount(i.total_minor)})`;
  });
  const more = lineCount !== null && lineCount > items.length ? lineCount - items.length : 0;
  if (more > 0) parts.push(`${more} more`);
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** "sold 1 × Milk (£1.20) for £1.20 (sale 12)". */
function sale(r: AuditRow, s: S): string {
  const items = itemsText(r.items, n(s, "lines"));
  const total = money(s, "total_minor");
  const what = items ? `sold ${items}` : "made a sale";
  return `${what}${total && r.items.length !== 1 ? ` for ${total}` : ""} — ${numbered("sale", s)}${forCustomer(r)}`;
}

function refund(r: AuditRow, s: S): string {
  const items = itemsText(r.items, n(s, "lines"));
  const order = n(s, "order_number");
  const on = order !== null ? ` on sale ${order}` : "";
  return items ? `refunded ${items}${on}${reason(s)}` : `refunded ${money(s, "total_minor")}${on}${reason(s)}`;
}

function changed(noun: string) {
  return (r: AuditRow, s: S) => `changed ${noun} ${named(r, s, "")}`.trimEnd();
}

/** One entry per command that writes. */
export const AUDIT_SENTENCES: Record<string, AuditSentence> = {
  "setup.create_owner": { kind: "settings", what: "setting up the shop", done: (_r, s) => `set up the shop ${t(s, "shop_name") ?? ""}`.trimEnd() },
  "auth.login": { kind: "signins", what: "signing in", done: () => "signed in" },
  "auth.pin_login": { kind: "signins", what: "signing in with a PIN", done: () => "signed in with a PIN" },
  "auth.lock": { kind: "signins", what: "locking the till", done: () => "locked the till" },
  "auth.unlock": { kind: "signins", what: "unlocking the till", done: () => "unlocked the till" },
  "auth.logout": { kind: "signins", what: "signing out", done: () => "signed out" },
  "auth.change_password": { kind: "signins", what: "changing their password", done: () => "changed their password" },
  "auth.set_pin": { kind: "signins", what: "setting a PIN", done: (_r, s) => (s["removed"] === true ? "removed their PIN" : "set their PIN") },
  "users.create": { kind: "users", what: "adding a user", done: (r, s) => `added the user ${named(r, s, "")}${t(s, "role") ? ` as ${t(s, "role")}` : ""}` },
  "users.update": { kind: "users", what: "changing a user", done: changed("the user") },
  "users.archive": { kind: "users", what: "archiving a user", done: (r, s) => `archived the user ${named(r, s, "")}` },
  "users.reset_password": { kind: "users", what: "resetting a password", done: (r, s) => `reset the password of ${named(r, s, "a user")}` },
  "settings.update": { kind: "settings", what: "changing the settings", done: (_r, s) => `changed the settings${settingsChanged(s)}` },
  "catalog.create_product": { kind: "products", what: "adding a product", done: (r, s) => `added the product ${named(r, s, "")}${inParens(s, "price_minor")}` },
  "catalog.update_product": { kind: "products", what: "changing a product", done: changed("the product") },
  "catalog.archive_product": { kind: "products", what: "archiving a product", done: (r, s) => `archived the product ${named(r, s, "")}` },
  "catalog.create_price_rule": { kind: "products", what: "adding a price rule", done: () => "added a price rule" },
  "catalog.archive_price_rule": { kind: "products", what: "removing a price rule", done: () => "removed a price rule" },
  "catalog.create_key_page": { kind: "products", what: "adding a quick-key page", done: (_r, s) => `added the quick-key page ${t(s, "name") ?? ""}`.trimEnd() },
  "catalog.rename_key_page": { kind: "products", what: "renaming a quick-key page", done: (_r, s) => `renamed a quick-key page${t(s, "name") ? ` to ${t(s, "name")}` : ""}` },
  "catalog.move_key_page": { kind: "products", what: "moving a quick-key page", done: () => "moved a quick-key page" },
  "catalog.archive_key_page": { kind: "products", what: "removing a quick-key page", done: () => "removed a quick-key page" },
  "catalog.place_tile": { kind: "products", what: "placing a quick key", done: () => "placed a quick key" },
  "catalog.update_tile": { kind: "products", what: "changing a quick key", done: () => "changed a quick key" },
  "catalog.remove_tile": { kind: "products", what: "removing a quick key", done: () => "removed a quick key" },
  "stock.receive": { kind: "stock", what: "receiving stock", done: (r) => `received stock${r.record_name ? ` of ${r.record_name}` : ""}` },
  "stock.adjust": { kind: "stock", what: "adjusting stock", done: (r, s) => `adjusted the stock${r.record_name ? ` of ${r.record_name}` : ""}${reason(s)}` },
  "stock.reserve": { kind: "stock", what: "holding stock", done: () => "held stock for a sale" },
  "stock.release": { kind: "stock", what: "releasing held stock", done: () => "released held stock" },
  "stock.expire_reservations": { kind: "stock", what: "releasing expired holds", done: () => "released expired stock holds" },
  "stock.count_open": { kind: "stock", what: "starting a stock count", done: (_r, s) => `started ${numbered("stock count", s)}` },
  "stock.count_record": { kind: "stock", what: "recording a count", done: () => "recorded a counted quantity" },
  "stock.count_post": { kind: "stock", what: "posting a stock count", done: (_r, s) => `posted ${numbered("stock count", s)}` },
  "customers.create": { kind: "customers", what: "adding a customer", done: (r, s) => `added the customer ${named(r, s, "")}` },
  "customers.update": { kind: "customers", what: "changing a customer", done: changed("the customer") },
  "customers.archive": { kind: "customers", what: "archiving a customer", done: (r, s) => `archived the customer ${named(r, s, "")}` },
  "customers.set_credit": {
    kind: "customers",
    what: "changing a credit limit",
    done: (r, s) => `set the credit limit of ${named(r, s, "a customer")}${money(s, "credit_limit_minor") ? ` to ${money(s, "credit_limit_minor")}` : ""}`,
  },
  "customers.receive_payment": { kind: "customers", what: "taking a payment on account", done: (r, s) => `took ${money(s, "amount_minor")} on account${forCustomer(r)}` },
  "invoices.create": { kind: "customers", what: "issuing an invoice", done: (r, s) => `issued ${numbered("invoice", s)}${forCustomer(r)}${inParens(s, "total_minor")}` },
  "invoices.allocate": { kind: "customers", what: "allocating a payment", done: () => "allocated a payment to invoices" },
  "vendors.create": { kind: "vendors", what: "adding a vendor", done: (r, s) => `added the vendor ${named(r, s, "")}` },
  "vendors.update": { kind: "vendors", what: "changing a vendor", done: changed("the vendor") },
  "vendors.archive": { kind: "vendors", what: "archiving a vendor", done: (r, s) => `archived the vendor ${named(r, s, "")}` },
  "vendors.pay": { kind: "vendors", what: "paying a vendor", done: (r, s) => `paid ${r.record_name ?? "a vendor"} ${money(s, "amount_minor")}`.trimEnd() },
  "vendors.reverse_payment": { kind: "vendors", what: "reversing a vendor payment", done: (r) => `reversed a payment to ${r.record_name ?? "a vendor"}` },
  "purchasing.receive": {
    kind: "vendors",
    what: "receiving goods",
    done: (r, s) => `received goods from ${r.record_name ?? "a vendor"}${inParens(s, "total_minor")}${t(s, "reference") ? `, reference ${t(s, "reference")}` : ""}`,
  },
  "sales.checkout": { kind: "sales", what: "a sale", done: sale },
  "sales.refund": { kind: "refunds", what: "a refund", done: refund },
  "sales.refund_unreceipted": { kind: "refunds", what: "a refund without a receipt", done: (_r, s) => `refunded ${money(s, "total_minor")} without a receipt${reason(s)}` },
  "sales.hold": { kind: "sales", what: "parking a sale", done: (_r, s) => `parked a sale${t(s, "label") ? ` (${t(s, "label")})` : ""}` },
  "sales.cancel_hold": { kind: "sales", what: "cancelling a parked sale", done: () => "cancelled a parked sale" },
  "sales.void": { kind: "refunds", what: "voiding a sale", done: (_r, s) => `voided ${numbered("sale", s, "order_number")}${inParens(s, "total_minor")}${reason(s)}` },
  "shifts.open": { kind: "shifts", what: "opening a shift", done: (_r, s) => `opened ${numbered("shift", s)} with a float of ${money(s, "opening_float_minor")}` },
  "shifts.cash_move": {
    kind: "shifts",
    what: "moving cash",
    done: (_r, s) => `${t(s, "direction") === "in" ? "put" : "took"} ${money(s, "amount_minor")} ${t(s, "direction") === "in" ? "into" : "out of"} the drawer${reason(s)}`,
  },
  "shifts.no_sale": { kind: "shifts", what: "opening the drawer", done: (_r, s) => `opened the drawer without a sale${reason(s)}` },
  "shifts.close": {
    kind: "shifts",
    what: "closing a shift",
    done: (_r, s) => {
      const os = n(s, "over_short_minor");
      const diff = os === null || os === 0 ? "" : os > 0 ? `, ${formatAmount(os)} over` : `, ${formatAmount(-os)} short`;
      return `closed ${numbered("shift", s)}: counted ${money(s, "counted_cash_minor")}${diff}`;
    },
  },
  "loyalty.configure": { kind: "loyalty", what: "changing the loyalty programme", done: () => "changed the loyalty programme" },
  "loyalty.create_reward": { kind: "loyalty", what: "adding a reward", done: (r, s) => `added the reward ${named(r, s, "")}` },
  "loyalty.archive_reward": { kind: "loyalty", what: "archiving a reward", done: (r, s) => `archived the reward ${named(r, s, "")}` },
  "loyalty.claim": { kind: "loyalty", what: "claiming a reward", done: (r, s) => `claimed ${t(s, "reward_name") ?? "a reward"}${forCustomer(r)}` },
  "loyalty.adjust": { kind: "loyalty", what: "adjusting points", done: (_r, s) => `adjusted points by ${formatNumber(n(s, "points") ?? 0)}${reason(s)}` },
  "loyalty.bulk_add": { kind: "loyalty", what: "adding points to many customers", done: (_r, s) => `added ${formatNumber(n(s, "points_each") ?? 0)} points each to ${formatNumber(n(s, "customers") ?? 0)} customers${reason(s)}` },
  "loyalty.expire": {
    kind: "loyalty",
    what: "expiring points",
    // Runs by itself at the first sign-in of a day; most days nothing is due.
    done: (_r, s) =>
      (n(s, "points") ?? 0) > 0
        ? `expired ${formatNumber(n(s, "points") ?? 0)} loyalty points of ${formatNumber(n(s, "customers") ?? 0)} customers`
        : "checked for expired loyalty points (none were due)",
  },
  "discounts.create_preset": { kind: "sales", what: "adding a discount", done: (r, s) => `added the discount ${named(r, s, "")}` },
  "discounts.archive_preset": { kind: "sales", what: "removing a discount", done: (r, s) => `removed the discount ${named(r, s, "")}` },
  "purchase_orders.suggest": {
    kind: "vendors",
    what: "suggesting purchase orders",
    done: (_r, s) => {
      const n = Array.isArray(s["suggested"]) ? s["suggested"].length : 0;
      return n === 0 ? "asked for purchase orders (nothing was low)" : `drew up ${formatNumber(n)} purchase order${n === 1 ? "" : "s"} from the low-stock list`;
    },
  },
  "purchase_orders.create": { kind: "vendors", what: "starting a purchase order", done: (_r, s) => `started ${numbered("purchase order", s)}${toVendor(s)}` },
  "purchase_orders.update": {
    kind: "vendors",
    what: "changing a purchase order",
    done: (_r, s) => `changed ${numbered("purchase order", (s["after"] as S | undefined) ?? s)}`,
  },
  "purchase_orders.send": { kind: "vendors", what: "sending a purchase order", done: (_r, s) => `sent ${numbered("purchase order", s)}${toVendor(s)}${money(s, "total_minor") ? ` for ${money(s, "total_minor")}` : ""}` },
  "purchase_orders.cancel": { kind: "vendors", what: "cancelling a purchase order", done: (_r, s) => `cancelled ${numbered("purchase order", s)}${reason(s)}` },
  "sync.set_target": {
    kind: "settings",
    what: "setting where sales go to head office",
    done: (_r, s) => {
      const after = (s["after"] as S | undefined) ?? {};
      const host = t(after, "host");
      const where = host ? ` to ${host}` : "";
      return `set head-office sync${where}${s["tls_verification_disabled"] === true ? ", without checking the server's certificate" : ""}`;
    },
  },
  "shop.update": { kind: "settings", what: "changing the shop's details", done: () => "changed the shop's details" },
  "tax.create_class": {
    kind: "settings",
    what: "adding a tax rate",
    done: (_r, s) => `added the tax rate ${t(s, "name") ?? ""}${percent(s, "rate_bp")}`.trimEnd(),
  },
  "tax.schedule_rate": {
    kind: "settings",
    what: "changing a tax rate",
    done: (r, s) => `set ${r.record_name ?? t(s, "code") ?? "a tax rate"} to${percent(s, "rate_bp")}${from(s)}`,
  },
  "tax.rename_class": { kind: "settings", what: "renaming a tax rate", done: (_r, s) => `renamed the tax rate ${t(s, "before") ?? ""} to ${t(s, "after") ?? ""}`.replace("  ", " ") },
  "tax.schedule_mode": {
    kind: "settings",
    what: "switching whether prices include tax",
    done: (_r, s) =>
      `switched prices to ${s["prices_include_tax"] === true ? "include" : "exclude"} tax${from(s)}, keeping ${t(s, "keep") === "net" ? "the net prices" : "the shelf prices"}`,
  },
  "dashboard.checklist_tick": {
    kind: "settings",
    what: "ticking a getting-started step",
    done: (_r, s) => `${s["done"] === false ? "unticked" : "ticked"} “${(t(s, "step") ?? "a step").replace(/_/g, " ")}” on the getting-started list`,
  },
};

/** " to Dairy Co", when the vendor is named. */
function toVendor(s: S): string {
  const v = t(s, "vendor_name");
  return v ? ` to ${v}` : "";
}

/** " 20 %" from basis points. */
function percent(s: S, k: string): string {
  const bp = n(s, k);
  return bp === null ? "" : ` ${formatNumber(bp / 100, bp % 100 === 0 ? 0 : 2)} %`;
}

/** " from 1 Jan 2027", when the change is dated. */
function from(s: S): string {
  const at = n(s, "effective_from_ms");
  return at === null ? "" : ` from ${formatDate(at)}`;
}

/** The words for a setting that changed, "idle lock", for the history's "changed the settings: idle lock". */
function settingsChanged(s: S): string {
  const before = s["before"];
  const after = s["after"];
  if (typeof before !== "object" || before === null || typeof after !== "object" || after === null) return "";
  const keys = Object.keys(after).filter(
    (k) => JSON.stringify((before as S)[k]) !== JSON.stringify((after as S)[k]),
  );
  if (keys.length === 0) return "";
  const words = keys.slice(0, 3).map((k) => k.replace(/_(ms|minor)$/, "").replace(/_/g, " "));
  return `: ${words.join(", ")}${keys.length > 3 ? ` and ${keys.length - 3} more` : ""}`;
}

/** For a command with no entry yet: "did something (kind unknown)". */
const GENERIC: AuditSentence = { kind: "settings", what: "a change", done: () => "made a change" };

export function sentenceFor(command: string): AuditSentence {
  return AUDIT_SENTENCES[command] ?? GENERIC;
}

/** The commands of one kind, for `audit.list`'s `commands` filter. */
export function commandsOfKind(kind: AuditKind): string[] {
  return Object.entries(AUDIT_SENTENCES)
    .filter(([, v]) => v.kind === kind)
    .map(([k]) => k);
}

export function actorName(r: AuditRow): string {
  return r.user_display_name ?? r.username ?? "Someone";
}

/** The whole sentence for a row: "Ana refunded 1 × Olive oil (£6.99) on sale 12." */
export function auditSentence(r: AuditRow): string {
  const s = (typeof r.summary === "object" && r.summary !== null ? r.summary : {}) as S;
  const entry = sentenceFor(r.command);
  const who = actorName(r);
  if (r.result !== "ok") {
    const outcome = r.result === "refused" ? "was refused" : "failed";
    return `${who} tried ${entry.what}; it ${outcome}.`;
  }
  const approved = r.approved_by_display_name ?? r.approved_by_username;
  return `${who} ${entry.done(r, s)}${approved ? `, approved by ${approved}` : ""}.`;
}

/** Where a row's record lives, as a nav screen id, when there is one. */
export function screenFor(r: AuditRow): string | null {
  switch (r.entity) {
    case "order":
    case "refund":
    case "order_void":
      return "orders";
    case "product":
    case "price_rule":
      return "products";
    case "batch":
    case "reservation":
      return "stock";
    case "stock_count":
      return "count";
    case "customer":
    case "customer_payment":
      return "customers";
    case "invoice":
      return "invoices";
    case "vendor":
    case "vendor_payment":
    case "purchase_receipt":
      return "vendors";
    case "user":
      return "users";
    case "shift":
    case "shift_cash_move":
    case "shift_no_sale":
      return "shift";
    case "settings":
      return "settings";
    case "loyalty_reward":
    case "loyalty_config":
    case "loyalty_claim":
      return "loyalty";
    default:
      return null;
  }
}

/** "sale 12", "Olive oil": the record as the history's record filter names it. */
export function recordLabel(r: AuditRow): string {
  const s = (typeof r.summary === "object" && r.summary !== null ? r.summary : {}) as S;
  const nouns: Record<string, string> = {
    order: "sale",
    refund: "refund",
    invoice: "invoice",
    shift: "shift",
    stock_count: "stock count",
    customer_payment: "payment",
    vendor_payment: "vendor payment",
    purchase_receipt: "goods received",
    held_cart: "parked sale",
    loyalty_expiry_run: "points expiry",
  };
  const noun = r.entity ? (nouns[r.entity] ?? null) : null;
  if (noun) {
    const num = n(s, "number");
    return num !== null ? `${noun} ${num}` : noun;
  }
  return r.record_name ?? (r.entity ? r.entity.replace(/_/g, " ") : "");
}

export { formatDateTime, WRITE_COMMANDS };
export type { CommandName };
