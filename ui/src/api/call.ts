// The one door from the UI into the core: every call goes through `call`, which
// sends `{cmd, args}` to the Tauri shell's generic `dispatch` command and either
// returns the command's data or throws a typed `TillbookError`.
//
// What each command takes and answers is generated from the core's command list
// (ui/src/generated/Commands.ts), so a command reaches the UI without any
// TypeScript written for it here.

import type { Commands } from "../generated/Commands";
import type { ErrorCode } from "../generated/ErrorCode";

export type CommandName = keyof Commands;
export type ArgsOf<C extends CommandName> = Commands[C]["args"];
export type ResultOf<C extends CommandName> = Commands[C]["result"];

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
