// What the person at the till sees when something fails: plain words, the
// stable code, and the core's own message. The banner lives in a module-level
// signal so any failure anywhere (a handler, a render, a stray promise) can
// show it without touching the screen's state (T23).

import { createSignal } from "solid-js";
import { type ErrorCode, TillbookError, toTillbookError } from "./api";

/** Plain words per code; `Record<ErrorCode, …>` makes tsc fail when Rust adds a code. */
export const PLAIN_WORDS: Record<ErrorCode, string> = {
  unauthenticated: "You are not signed in, or the username or password is wrong.",
  forbidden: "Your role is not allowed to do this.",
  validation: "Something you entered is not valid.",
  not_found: "That record does not exist (any more).",
  conflict: "Someone else changed this in the meantime, or its state does not allow it. Reload and try again.",
  duplicate: "That value is already in use.",
  idempotency_mismatch: "This request was already sent once with different details.",
  insufficient_stock: "There is not enough stock.",
  credit_limit: "This goes over the customer's credit limit.",
  locked: "Locked.",
  busy: "The till's database was busy. Nothing was saved; try again.",
  internal: "Something went wrong inside Tillbook. Nothing was saved.",
};

export interface BannerError {
  code: ErrorCode;
  plain: string;
  message: string;
  details: Record<string, unknown>;
  cmd?: string;
  /** Increments so a repeated identical error still re-announces. */
  seq: number;
}

let seq = 0;
const [banner, setBanner] = createSignal<BannerError | null>(null);
export { banner };

/** A readable explanation, including when an account lock ends. */
export function plainWords(err: TillbookError): string {
  if (err.code === "locked") {
    const until = err.details["until_ms"];
    if (typeof until === "number") {
      return `This account is locked after too many wrong attempts, until ${formatTime(until)}.`;
    }
    return "The till is locked. Unlock it with your PIN or password.";
  }
  if (err.code === "internal" && err.details["source"] === "ui") {
    return "Something went wrong in this screen. What you entered is kept.";
  }
  return PLAIN_WORDS[err.code];
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** Shows an error in the banner. Never throws. */
export function reportError(e: unknown): TillbookError {
  const err = toTillbookError(e);
  seq += 1;
  setBanner({
    code: err.code,
    plain: plainWords(err),
    message: err.message,
    details: err.details,
    cmd: err.cmd,
    seq,
  });
  return err;
}

export function dismissError(): void {
  setBanner(null);
}

/**
 * Catches what nothing else caught: uncaught exceptions and unhandled promise
 * rejections. Returns a function that removes the handlers (tests).
 */
export function installGlobalErrorHandlers(target: Window = window): () => void {
  const onError = (ev: ErrorEvent) => {
    reportError(ev.error ?? ev.message);
    ev.preventDefault();
  };
  const onRejection = (ev: PromiseRejectionEvent) => {
    reportError(ev.reason);
    ev.preventDefault();
  };
  target.addEventListener("error", onError);
  target.addEventListener("unhandledrejection", onRejection);
  return () => {
    target.removeEventListener("error", onError);
    target.removeEventListener("unhandledrejection", onRejection);
  };
}
