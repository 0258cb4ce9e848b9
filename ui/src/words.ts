// The one table of words for failures: each error code and each field-error
// kind becomes a sentence that says what happened and what to do next, with
// the field's label filled in ("Enter a name (up to 100 letters)"). The
// stable code and the core's own message stay behind "Details" in the banner
// and in the log; they are never the sentence. `Record<…>` over the generated
// unions makes tsc refuse a code or kind the Rust side adds without words.

import type { ErrorCode, TillbookError } from "./api";
import type { FieldError } from "./generated/FieldError";
import { formatDateTime, formatDuration, formatNumber } from "./locale";
import { formatAmount } from "./money";

export type FieldErrorKind = FieldError["kind"];

/** Every kind, at run time (tests); tsc refuses the list when a kind is missing. */
export const FIELD_ERROR_KINDS = [
  "required",
  "too_short",
  "too_long",
  "out_of_range",
  "edge_spaces",
  "control_chars",
  "username_chars",
  "digits",
  "date",
  "format",
  "not_allowed",
  "invalid",
] as const satisfies readonly FieldErrorKind[];
type MissingKind = Exclude<FieldErrorKind, (typeof FIELD_ERROR_KINDS)[number]>;
const _allKinds: [MissingKind] extends [never] ? true : MissingKind = true;
void _allKinds;
type Details = Record<string, unknown>;

/** Field names as a shop owner says them; anything not listed is humanised ("opening_float_minor" -> "opening float"). */
export const FIELD_LABELS: Record<string, string> = {
  name: "name",
  display_name: "name",
  username: "username",
  password: "password",
  new_password: "new password",
  current_password: "current password",
  pin: "PIN",
  sku: "SKU",
  barcode: "barcode",
  plu: "PLU",
  price_minor: "price",
  unit_cost_minor: "unit cost",
  standard_cost_minor: "standard cost",
  quantity: "quantity",
  reason: "reason",
  note: "note",
  notes: "notes",
  phone: "phone number",
  email: "email address",
  tax_id: "tax number",
  category: "category",
  amount_minor: "amount",
  opening_float_minor: "opening float",
  counted: "count",
  credit_limit_minor: "credit limit",
  customer_id: "customer",
  product_id: "product",
  vendor_id: "vendor",
  batch_id: "batch",
  lot_code: "lot code",
  expires_on: "expiry date",
  due_date: "due date",
  reference: "reference",
  shop_name: "shop name",
  currency_code: "currency",
  receipt_footer: "receipt footer",
  query: "search",
  points: "points",
  points_cost: "points cost",
  percent_bp: "percentage",
  idle_lock_ms: "idle lock",
  lockout_base_ms: "first lockout",
  lockout_max_ms: "longest lockout",
  max_failed_logins: "wrong attempts allowed",
  reservation_ms: "reservation time",
  credit_approval_threshold_minor: "credit approval threshold",
  from_ms: "start",
  to_ms: "end",
  limit: "page size",
};

/** "lines[2].quantity" -> "quantity on line 3"; "settings.idle_lock_ms" -> "idle lock". */
export function fieldLabel(field: string): string {
  let where = "";
  const m = /^(\w+)\[(\d+)\]\.(.+)$/.exec(field);
  let f = field;
  if (m) {
    const n = Number(m[2]) + 1;
    where = m[1] === "lines" ? ` on line ${n}` : m[1] === "payments" ? ` of payment ${n}` : ` (${n})`;
    f = m[3];
  }
  f = f.replace(/^settings\./, "");
  const known = FIELD_LABELS[f];
  if (known) return known + where;
  const human = f
    .replace(/\[\d+\]/g, "")
    .replace(/_(minor|ms|bp|id|ids)$/, "")
    .replace(/[._]+/g, " ")
    .trim();
  return (human || "value") + where;
}

function article(label: string): string {
  return /^[aeiou]/i.test(label) && !/^(u[sn]i|eu)/i.test(label) ? `an ${label}` : `a ${label}`;
}

function num(d: Details, key: string): number | null {
  const v = d[key];
  return typeof v === "number" ? v : null;
}

/** Bounds in the field's unit, read the way the field is shown (money with its sign, time in minutes). */
function bound(field: string, v: number): string {
  if (/_minor$/.test(field)) return formatAmount(v);
  if (/_ms$/.test(field)) return formatDuration(v);
  return formatNumber(v);
}

/** Words for each field-error kind, given the field's label and the error's details. */
export const FIELD_WORDS: Record<FieldErrorKind, (label: string, d: Details, field: string) => string> = {
  required: (label, d) => {
    const max = num(d, "max_chars");
    return max !== null ? `Enter ${article(label)} (up to ${formatNumber(max)} letters).` : `Enter ${article(label)}.`;
  },
  too_short: (label, d) => `The ${label} is too short: use at least ${formatNumber(num(d, "min_chars") ?? 1)} letters.`,
  too_long: (label, d) => `The ${label} is too long: use at most ${formatNumber(num(d, "max_chars") ?? 1)} letters.`,
  out_of_range: (label, d, field) => {
    const min = num(d, "min");
    const max = num(d, "max");
    if (min !== null && max !== null) return `Enter ${article(label)} from ${bound(field, min)} to ${bound(field, max)}.`;
    if (min !== null) return `Enter ${article(label)} of ${bound(field, min)} or more.`;
    if (max !== null) return `Enter ${article(label)} of at most ${bound(field, max)}.`;
    return `Enter ${article(label)} in the allowed range.`;
  },
  edge_spaces: (label) => `Remove the spaces at the start or end of the ${label}.`,
  control_chars: (label) => `The ${label} has a tab, line break or hidden character; type it again without one.`,
  username_chars: () => "A username may use only letters a–z, digits and . _ - (no spaces). Try e.g. ana.owner.",
  digits: (label, d) =>
    `Enter ${article(label)} of ${formatNumber(num(d, "min_digits") ?? 4)} to ${formatNumber(num(d, "max_digits") ?? 8)} digits.`,
  date: (label) => `Enter the ${label} as a date.`,
  format: (label) => `The ${label} is not in the right form; check it and try again.`,
  not_allowed: (label) => `That ${label} cannot be used here; choose another.`,
  invalid: (label) => `Check the ${label}.`,
};

function isKind(v: unknown): v is FieldErrorKind {
  return typeof v === "string" && Object.prototype.hasOwnProperty.call(FIELD_WORDS, v);
}

/** The core's message without its "field: " prefix (what it says about the value). */
function bareMessage(err: TillbookError): string {
  const f = err.field;
  const prefix = f !== undefined ? `${f}: ` : "";
  return prefix && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/**
 * The words beside a field: the kind's sentence when the core sent a precise
 * kind; otherwise the core's own short message (a generic kind, or the UI's
 * own checks, whose messages are already written for people).
 */
export function fieldErrorWords(err: TillbookError): string {
  const kind = err.details["kind"];
  if (err.code === "duplicate") return "already in use";
  if (isKind(kind) && kind !== "invalid") {
    return FIELD_WORDS[kind](fieldLabel(err.field ?? ""), err.details, err.field ?? "");
  }
  return bareMessage(err);
}

/** What happened (a sentence) and what to do next, per code. */
export interface Words {
  what: string;
  next: string;
}

function str(d: Details, key: string): string | null {
  const v = d[key];
  return typeof v === "string" && v !== "" ? v : null;
}

/** Entities as a shop owner names them (not_found, conflict). */
const ENTITY_WORDS: Record<string, string> = {
  order: "sale",
  refund: "refund",
  product: "product",
  customer: "customer",
  vendor: "vendor",
  user: "user",
  invoice: "invoice",
  batch: "stock batch",
  shift: "shift",
  stock_count: "stock count",
  held_cart: "parked sale",
  price_rule: "price rule",
  loyalty_reward: "reward",
  loyalty_claim: "reward claim",
};

function entityWords(d: Details): string {
  const e = str(d, "entity");
  return e ? (ENTITY_WORDS[e] ?? e.replace(/_/g, " ")) : "record";
}

/**
 * Words per error code. A message the core wrote for people (a refused state:
 * "Open a shift (count the float) before taking cash", "wrong PIN") is the
 * sentence itself; codes whose message is for developers get words from the
 * details instead.
 */
export const ERROR_WORDS: Record<ErrorCode, (err: TillbookError) => Words> = {
  unauthenticated: (e) => ({
    what: forPeople(e.message) ? sentence(e.message) : "You are not signed in, or the username or password is wrong.",
    next: "Check the username and password (or PIN) and try again.",
  }),
  forbidden: (e) => ({
    what: forPeople(e.message) ? sentence(e.message) : "Your role is not allowed to do this.",
    next:
      e.details["approvable"] === true
        ? "Ask a manager to approve it with their PIN."
        : "Ask the owner or a manager to do it, or to change your role.",
  }),
  validation: (e) => ({
    what: e.field ? fieldSentence(e) : "Something you entered is not valid.",
    next: "Correct it and try again.",
  }),
  not_found: (e) => ({
    what: `That ${entityWords(e.details)} does not exist any more.`,
    next: "Reload the list and choose it again.",
  }),
  conflict: (e) =>
    str(e.details, "entity")
      ? {
          what: `Someone else changed this ${entityWords(e.details)} in the meantime.`,
          next: "Reload it and make your change again.",
        }
      : {
          what: forPeople(e.message) ? sentence(e.message) : "This cannot be done in the record's current state.",
          next: "Nothing was changed.",
        },
  duplicate: (e) => {
    const value = str(e.details, "value");
    const label = e.field && e.field !== "record" ? fieldLabel(e.field) : "value";
    return {
      what: value ? `The ${label} “${value}” is already in use.` : `That ${label} is already in use.`,
      next: `Choose a different ${label}.`,
    };
  },
  idempotency_mismatch: () => ({
    what: "This was already sent once with different details.",
    next: "Start it again from the beginning.",
  }),
  insufficient_stock: (e) => {
    const product = str(e.details, "product");
    const left = str(e.details, "left");
    return {
      what: product
        ? left === null || left === "0" || /^0(\.0+)? /.test(left)
          ? `There is no ${product} left in stock.`
          : `Not enough ${product} in stock: only ${left} left.`
        : "There is not enough stock for this.",
      next: product
        ? `Lower the quantity of ${product} or take it off the sale, then try again. If the shelf has more, receive or count the stock first.`
        : "Lower the quantity, or receive or count the stock first.",
    };
  },
  credit_limit: (e) => {
    const over = num(e.details, "over_by_minor");
    const limit = num(e.details, "limit_minor");
    const who = str(e.details, "customer") ?? "The customer";
    return {
      what:
        over !== null
          ? `${who} would go ${formatAmount(over)} over the credit limit${limit !== null ? ` of ${formatAmount(limit)}` : ""}.`
          : "This goes over the customer's credit limit.",
      next: "Take part of it in cash or card, or ask a manager to approve it.",
    };
  },
  locked: (e) => {
    const until = num(e.details, "until_ms");
    return until !== null
      ? {
          what: `This account is locked after too many wrong attempts, until ${formatDateTime(until)}.`,
          next: "Wait until then, or ask the owner to reset the password.",
        }
      : { what: "The till is locked: unlock it with your PIN or password.", next: "Your sale is kept." };
  },
  busy: () => ({
    what: "The till's database was busy. Nothing was saved.",
    next: "Try again in a moment.",
  }),
  internal: (e) =>
    e.details["source"] === "ui"
      ? { what: "Something went wrong in this screen. What you entered is kept.", next: "Try again; if it keeps happening, restart Tillbook." }
      : { what: "Something went wrong inside Tillbook. Nothing was saved.", next: "Try again; if it keeps happening, restart Tillbook and tell your support person what you did." },
};

/** A message written for people: not empty, naming no command (`credit.approve`) or field path. */
function forPeople(message: string): boolean {
  return message.trim() !== "" && !/\b[a-z_]+\.[a-z_]+\b|\w+_(minor|ms|id)\b|\[\d+\]/.test(message);
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function fieldSentence(e: TillbookError): string {
  const kind = e.details["kind"];
  if (isKind(kind) && kind !== "invalid") return fieldErrorWords(e);
  // A generic kind: the label, then what the core says about it.
  return sentence(`${fieldLabel(e.field ?? "")}: ${bareMessage(e)}`);
}

/** The banner's sentence: what happened and what to do next. */
export function errorWords(err: TillbookError): Words {
  return ERROR_WORDS[err.code](err);
}
