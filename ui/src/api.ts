// The one door from the UI into the core: every call goes through `call`, which
// sends `{cmd, args}` to the Tauri shell's generic `dispatch` command and either
// returns the command's data or throws a typed `TillbookError`.
//
// Request and response types come from Rust (ui/src/generated/, made by ts-rs);
// only the mapping "command name -> (args, result)" is written here: the commands
// the UI calls. A test (test/commands.test.ts) checks every name against docs/API.md
// and that the setup/auth/users/settings/audit/shop commands are all mapped.

import { BACKOFFICE_COMMAND_NAMES, type BackOfficeCommands } from "./api-backoffice";
import type { ArchiveUserRequest } from "./generated/ArchiveUserRequest";
import type { AuditFilter } from "./generated/AuditFilter";
import type { AuditRow } from "./generated/AuditRow";
import type { ChangePasswordRequest } from "./generated/ChangePasswordRequest";
import type { CreateOwnerRequest } from "./generated/CreateOwnerRequest";
import type { CreateUserRequest } from "./generated/CreateUserRequest";
import type { ErrorCode } from "./generated/ErrorCode";
import type { ListUsersRequest } from "./generated/ListUsersRequest";
import type { LoginRequest } from "./generated/LoginRequest";
import type { NoArgs } from "./generated/NoArgs";
import type { Permission } from "./generated/Permission";
import type { ResetPasswordRequest } from "./generated/ResetPasswordRequest";
import type { Role } from "./generated/Role";
import type { SessionView } from "./generated/SessionView";
import type { SetPinRequest } from "./generated/SetPinRequest";
import type { SetupStatus } from "./generated/SetupStatus";
import type { ShopInfo } from "./generated/ShopInfo";
import type { UnlockRequest } from "./generated/UnlockRequest";
import type { UpdateSettingsRequest } from "./generated/UpdateSettingsRequest";
import type { UpdateUserRequest } from "./generated/UpdateUserRequest";
import type { UserView } from "./generated/UserView";
import type { VersionedSettings } from "./generated/VersionedSettings";
import type { CustomerView } from "./generated/CustomerView";
import type { CreditMode } from "./generated/CreditMode";
import type { IdRequest } from "./generated/IdRequest";
import type { IdVersionRequest } from "./generated/IdVersionRequest";
import type { PartyContactsRequest } from "./generated/PartyContactsRequest";
import type { PartySearchRequest } from "./generated/PartySearchRequest";
import type { PartyUpdateRequest } from "./generated/PartyUpdateRequest";
import type { PurchaseReceiptView } from "./generated/PurchaseReceiptView";
import type { PurchaseReceiveRequest } from "./generated/PurchaseReceiveRequest";
import type { ReverseVendorPaymentRequest } from "./generated/ReverseVendorPaymentRequest";
import type { SetCreditRequest } from "./generated/SetCreditRequest";
import type { VendorPayRequest } from "./generated/VendorPayRequest";
import type { VendorPaymentView } from "./generated/VendorPaymentView";
import type { VendorPaymentsRequest } from "./generated/VendorPaymentsRequest";
import type { VendorTender } from "./generated/VendorTender";
import type { VendorView } from "./generated/VendorView";

export type { ErrorCode, Permission, Role, SessionView, UserView };
export type { CustomerView, CreditMode, VendorView, VendorPaymentView, VendorTender, PurchaseReceiptView };

// Catalog and inventory types, generated from Rust like the rest.
import type { Unit } from "./generated/Unit";
import type { TaxClass } from "./generated/TaxClass";
import type { ProductView } from "./generated/ProductView";
import type { CreateProductRequest } from "./generated/CreateProductRequest";
import type { UpdateProductRequest } from "./generated/UpdateProductRequest";
import type { GetProductRequest } from "./generated/GetProductRequest";
import type { ProductSearchRequest } from "./generated/ProductSearchRequest";
import type { MatchKind } from "./generated/MatchKind";
import type { ProductSearchPage } from "./generated/ProductSearchPage";
import type { PriceRule } from "./generated/PriceRule";
import type { PriceRuleView } from "./generated/PriceRuleView";
import type { ListRulesRequest } from "./generated/ListRulesRequest";
import type { QuoteRequest } from "./generated/QuoteRequest";
import type { Quote } from "./generated/Quote";
import type { BatchView } from "./generated/BatchView";
import type { MovementKind } from "./generated/MovementKind";
import type { MovementView } from "./generated/MovementView";
import type { ReceiveRequest } from "./generated/ReceiveRequest";
import type { AdjustKind } from "./generated/AdjustKind";
import type { AdjustRequest } from "./generated/AdjustRequest";
import type { BatchesRequest } from "./generated/BatchesRequest";
import type { MovementsRequest } from "./generated/MovementsRequest";
import type { CountView } from "./generated/CountView";
import type { CountRecordRequest } from "./generated/CountRecordRequest";
import type { CountLineView } from "./generated/CountLineView";
import type { CountReview } from "./generated/CountReview";

// Sales: the till, orders, refunds and held carts.
import type { SalesCartLine } from "./generated/SalesCartLine";
import type { SalesCartQuote } from "./generated/SalesCartQuote";
import type { SalesCheckoutRequest } from "./generated/SalesCheckoutRequest";
import type { SalesCheckoutView } from "./generated/SalesCheckoutView";
import type { SalesListRequest } from "./generated/SalesListRequest";
import type { SalesOrderLineView } from "./generated/SalesOrderLineView";
import type { SalesOrderPage } from "./generated/SalesOrderPage";
import type { SalesOrderSummary } from "./generated/SalesOrderSummary";
import type { SalesOrderView } from "./generated/SalesOrderView";
import type { SalesPaymentInput } from "./generated/SalesPaymentInput";
import type { SalesPaymentView } from "./generated/SalesPaymentView";
import type { SalesQuoteLine } from "./generated/SalesQuoteLine";
import type { SalesQuoteRequest } from "./generated/SalesQuoteRequest";
import type { SalesTender } from "./generated/SalesTender";
import type { HeldCartView } from "./generated/HeldCartView";
import type { HeldPage } from "./generated/HeldPage";
import type { HeldRequest } from "./generated/HeldRequest";
import type { HeldSummary } from "./generated/HeldSummary";
import type { HoldRequest } from "./generated/HoldRequest";
import type { RefundLineInput } from "./generated/RefundLineInput";
import type { RefundList } from "./generated/RefundList";
import type { RefundRequest } from "./generated/RefundRequest";
import type { RefundStockDisposition } from "./generated/RefundStockDisposition";
import type { RefundTo } from "./generated/RefundTo";
import type { RefundView } from "./generated/RefundView";
import type { RefundsRequest } from "./generated/RefundsRequest";

export type { SalesCartLine, SalesCartQuote, SalesCheckoutRequest, SalesCheckoutView, SalesListRequest, SalesOrderLineView, SalesOrderPage, SalesOrderSummary, SalesOrderView, SalesPaymentInput, SalesPaymentView, SalesQuoteLine, SalesQuoteRequest, SalesTender, HeldCartView, HeldPage, HeldRequest, HeldSummary, HoldRequest, RefundLineInput, RefundList, RefundRequest, RefundStockDisposition, RefundTo, RefundView, RefundsRequest };

export type { Unit, TaxClass, ProductView, CreateProductRequest, UpdateProductRequest, GetProductRequest, ProductSearchRequest, MatchKind, ProductSearchPage, PriceRule, PriceRuleView, ListRulesRequest, QuoteRequest, Quote, BatchView, MovementKind, MovementView, ReceiveRequest, AdjustKind, AdjustRequest, BatchesRequest, MovementsRequest, CountView, CountRecordRequest, CountLineView, CountReview };

export const UNITS: readonly Unit[] = ["each", "kg", "g", "l", "ml", "m", "pack"];
export const TAX_CLASSES: readonly TaxClass[] = ["standard", "reduced", "zero"];
export type PriceRuleKind = PriceRule["kind"];

export type Idempotent = { idempotency_key: string };

/** One row of `users.roles` (the core builds it with `json!`, so it has no Rust struct). */
export type RolePermissions = { role: Role; permissions: Permission[] };

/** The commands the UI calls: arguments and result. A new screen adds its commands here
 * (the back office's live in api-backoffice.ts). */
export interface Commands extends BackOfficeCommands {
  "setup.status": { args: NoArgs; result: SetupStatus };
  "setup.create_owner": { args: CreateOwnerRequest & Idempotent; result: UserView };
  "auth.login": { args: LoginRequest; result: SessionView };
  "auth.whoami": { args: NoArgs; result: SessionView };
  "auth.lock": { args: NoArgs; result: null };
  "auth.unlock": { args: UnlockRequest; result: SessionView };
  "auth.logout": { args: NoArgs; result: null };
  "auth.change_password": { args: ChangePasswordRequest; result: null };
  "auth.set_pin": { args: SetPinRequest; result: null };
  "shop.info": { args: NoArgs; result: ShopInfo };
  "users.list": { args: ListUsersRequest; result: UserView[] };
  "users.roles": { args: NoArgs; result: RolePermissions[] };
  "users.create": { args: CreateUserRequest & Idempotent; result: UserView };
  "users.update": { args: UpdateUserRequest; result: UserView };
  "users.archive": { args: ArchiveUserRequest; result: UserView };
  "users.reset_password": { args: ResetPasswordRequest; result: UserView };
  "settings.get": { args: NoArgs; result: VersionedSettings };
  "settings.update": { args: UpdateSettingsRequest; result: VersionedSettings };
  "audit.list": { args: AuditFilter; result: AuditRow[] };
  "catalog.create_product": { args: CreateProductRequest & Idempotent; result: ProductView };
  "catalog.update_product": { args: UpdateProductRequest; result: ProductView };
  "catalog.archive_product": { args: IdVersionRequest; result: ProductView };
  "catalog.get_product": { args: GetProductRequest; result: ProductView };
  "catalog.search": { args: ProductSearchRequest; result: ProductSearchPage };
  "catalog.create_price_rule": { args: { rule: PriceRule } & Idempotent; result: PriceRuleView };
  "catalog.archive_price_rule": { args: IdVersionRequest; result: PriceRuleView };
  "catalog.price_rules": { args: ListRulesRequest; result: PriceRuleView[] };
  "catalog.quote": { args: QuoteRequest; result: Quote };
  "stock.receive": { args: ReceiveRequest & Idempotent; result: BatchView };
  "stock.adjust": { args: AdjustRequest & Idempotent; result: MovementView };
  "stock.batches": { args: BatchesRequest; result: BatchView[] };
  "stock.movements": { args: MovementsRequest; result: MovementView[] };
  "stock.count_open": { args: { note?: string } & Idempotent; result: CountView };
  "stock.count_record": { args: CountRecordRequest; result: CountLineView };
  "stock.count_review": { args: { count_id: number }; result: CountReview };
  "stock.count_post": { args: { count_id: number; version: number }; result: CountReview };
  "customers.create": { args: PartyContactsRequest & Idempotent; result: CustomerView };
  "customers.update": { args: PartyUpdateRequest; result: CustomerView };
  "customers.archive": { args: IdVersionRequest; result: CustomerView };
  "customers.get": { args: IdRequest; result: CustomerView };
  "customers.search": { args: PartySearchRequest; result: CustomerView[] };
  "customers.set_credit": { args: SetCreditRequest; result: CustomerView };
  "vendors.create": { args: PartyContactsRequest & Idempotent; result: VendorView };
  "vendors.update": { args: PartyUpdateRequest; result: VendorView };
  "vendors.archive": { args: IdVersionRequest; result: VendorView };
  "vendors.get": { args: IdRequest; result: VendorView };
  "vendors.search": { args: PartySearchRequest; result: VendorView[] };
  "vendors.payments": { args: VendorPaymentsRequest; result: VendorPaymentView[] };
  "vendors.pay": { args: VendorPayRequest & Idempotent; result: VendorPaymentView };
  "vendors.reverse_payment": { args: ReverseVendorPaymentRequest & Idempotent; result: VendorPaymentView };
  "purchasing.receive": { args: PurchaseReceiveRequest & Idempotent; result: PurchaseReceiptView };
  "sales.quote": { args: SalesQuoteRequest; result: SalesCartQuote };
  "sales.checkout": { args: SalesCheckoutRequest & Idempotent; result: SalesCheckoutView };
  "sales.get": { args: IdRequest; result: SalesOrderView };
  "sales.list": { args: SalesListRequest; result: SalesOrderPage };
  "sales.refund": { args: RefundRequest & Idempotent; result: RefundView };
  "sales.refunds": { args: RefundsRequest; result: RefundList };
  "sales.hold": { args: HoldRequest & Idempotent; result: HeldCartView };
  "sales.held": { args: HeldRequest; result: HeldPage };
  "sales.recall": { args: IdRequest; result: HeldCartView };
  "sales.cancel_hold": { args: IdVersionRequest; result: HeldCartView };
}

export type CommandName = keyof Commands;
export type ArgsOf<C extends CommandName> = Commands[C]["args"];
export type ResultOf<C extends CommandName> = Commands[C]["result"];

/** The names, for pickers (the audit filter) and the docs test. */
export const COMMAND_NAMES = [
  "setup.status",
  "setup.create_owner",
  "auth.login",
  "auth.whoami",
  "auth.lock",
  "auth.unlock",
  "auth.logout",
  "auth.change_password",
  "auth.set_pin",
  "shop.info",
  "users.list",
  "users.roles",
  "users.create",
  "users.update",
  "users.archive",
  "users.reset_password",
  "settings.get",
  "settings.update",
  "audit.list",
  "catalog.create_product",
  "catalog.update_product",
  "catalog.archive_product",
  "catalog.get_product",
  "catalog.search",
  "catalog.create_price_rule",
  "catalog.archive_price_rule",
  "catalog.price_rules",
  "catalog.quote",
  "stock.receive",
  "stock.adjust",
  "stock.batches",
  "stock.movements",
  "stock.count_open",
  "stock.count_record",
  "stock.count_review",
  "stock.count_post",
  "customers.create",
  "customers.update",
  "customers.archive",
  "customers.get",
  "customers.search",
  "customers.set_credit",
  "vendors.create",
  "vendors.update",
  "vendors.archive",
  "vendors.get",
  "vendors.search",
  "vendors.payments",
  "vendors.pay",
  "vendors.reverse_payment",
  "purchasing.receive",
  "sales.quote",
  "sales.checkout",
  "sales.get",
  "sales.list",
  "sales.refund",
  "sales.refunds",
  "sales.hold",
  "sales.held",
  "sales.recall",
  "sales.cancel_hold",
  ...BACKOFFICE_COMMAND_NAMES,
] as const satisfies readonly CommandName[];

// Compile-time check that COMMAND_NAMES lists every key of Commands.
type Missing = Exclude<CommandName, (typeof COMMAND_NAMES)[number]>;
const _allNamed: [Missing] extends [never] ? true : Missing = true;
void _allNamed;

export const ERROR_CODES = [
  "unauthenticated",
  "forbidden",
  "validation",
  "not_found",
  "conflict",
  "duplicate",
  "idempotency_mismatch",
  "insufficient_stock",
  "credit_limit",
  "locked",
  "busy",
  "internal",
] as const satisfies readonly ErrorCode[];

type MissingCode = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const _allCodes: [MissingCode] extends [never] ? true : MissingCode = true;
void _allCodes;

export type ErrorDetails = Record<string, unknown>;

/** The core's error `{code, message, details}`, as a throwable. */
export class TillbookError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  /** The command that failed, when known. */
  readonly cmd: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, cmd?: string) {
    super(message);
    this.name = "TillbookError";
    this.code = code;
    this.details = details;
    this.cmd = cmd;
  }

  /** `details.field` for `validation` and `duplicate` errors. */
  get field(): string | undefined {
    const f = this.details["field"];
    return typeof f === "string" ? f : undefined;
  }
}

export function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === "string" && (ERROR_CODES as readonly string[]).includes(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Turns whatever a call rejected with into a TillbookError:
 * - the shell's `{code, message, details}` keeps its code and details;
 * - an unknown code, a bare string (Tauri's own IPC failures) or a JS error
 *   becomes `internal`, with `details.source` saying where it came from.
 */
export function toTillbookError(e: unknown, cmd?: string): TillbookError {
  if (e instanceof TillbookError) return e;
  if (isRecord(e) && typeof e["message"] === "string" && "code" in e) {
    const details = isRecord(e["details"]) ? e["details"] : {};
    if (isErrorCode(e["code"])) {
      return new TillbookError(e["code"], e["message"], details, cmd);
    }
    return new TillbookError(
      "internal",
      e["message"],
      { ...details, source: "ipc", original_code: e["code"] },
      cmd,
    );
  }
  if (typeof e === "string") {
    return new TillbookError("internal", e, { source: "ipc" }, cmd);
  }
  if (e instanceof Error) {
    return new TillbookError("internal", e.message, { source: "ui" }, cmd);
  }
  return new TillbookError("internal", "an unknown error happened", { source: "ui", value: String(e) }, cmd);
}

/** Sends one command; resolves with its data, rejects with anything. */
export type Transport = (cmd: string, args: unknown) => Promise<unknown>;

type TauriGlobal = { core?: { invoke?: (cmd: string, args: Record<string, unknown>) => Promise<unknown> } };

/** The real transport: the shell's single generic command `dispatch(cmd, args)`. */
export const tauriTransport: Transport = (cmd, args) => {
  const tauri = (globalThis as { __TAURI__?: TauriGlobal }).__TAURI__;
  const invoke = tauri?.core?.invoke;
  if (typeof invoke !== "function") {
    return Promise.reject(
      new TillbookError(
        "internal",
        "Tillbook's window bridge is missing: this page must run inside the Tillbook app",
        { source: "ui" },
        cmd,
      ),
    );
  }
  return invoke("dispatch", { cmd, args });
};

let transport: Transport = tauriTransport;

/** Tests (and a future browser preview) swap the transport. */
export function setTransport(t: Transport): void {
  transport = t;
}

export function resetTransport(): void {
  transport = tauriTransport;
}

type ErrorListener = (err: TillbookError, cmd: CommandName) => void;
const listeners = new Set<ErrorListener>();

/** Every failed call is reported here first (the session store reacts to `locked`). */
export function onCallError(l: ErrorListener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

// Commands whose arguments are all optional may be called without them.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type ArgsParam<C extends CommandName> = {} extends ArgsOf<C>
  ? [args?: ArgsOf<C>]
  : [args: ArgsOf<C>];

/** Runs a command. Resolves with its result; throws a TillbookError. */
export async function call<C extends CommandName>(cmd: C, ...rest: ArgsParam<C>): Promise<ResultOf<C>> {
  const args = rest[0] ?? {};
  try {
    return (await transport(cmd, args)) as ResultOf<C>;
  } catch (e) {
    const err = toTillbookError(e, cmd);
    for (const l of listeners) {
      try {
        l(err, cmd);
      } catch {
        // a listener's bug must not hide the original error
      }
    }
    throw err;
  }
}

/**
 * A fresh idempotency key (8–128 chars of letters, digits and `- _ : .`):
 * the time in ms as 12 hex digits, then 128 random bits. Keys made later sort
 * later, as in a UUIDv7, so the core's key index grows at its right edge
 * instead of splitting pages at random (docs/BENCHMARKS.md).
 */
export function newIdempotencyKey(nowMs: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const time = Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, "0");
  return `ui-${time}-` + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
