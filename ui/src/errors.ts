// What the person at the till sees when something fails: a sentence saying
// what happened and what to do next (words.ts), with the stable code and the
// core's own message behind "Details". The banner lives in a module-level
// signal so any failure anywhere (a handler, a render, a stray promise) can
// show it without touching the screen's state (T23).

import { createSignal } from "solid-js";
import { ERROR_CODES, type ErrorCode, TillbookError, toTillbookError } from "./api";
import { formatDateTime } from "./locale";
import { ERROR_WORDS, errorWords } from "./words";

export interface BannerError {
  code: ErrorCode;
  /** What happened, in a sentence. */
  plain: string;
  /** What to do next. */
  next: string;
  /** The core's own message: behind "Details", with the code (and in the log). */
  message: string;
  details: Record<string, unknown>;
  cmd?: string;
  /** Increments so a repeated identical error still re-announces. */
  seq: number;
}

let seq = 0;
const [banner, setBanner] = createSignal<BannerError | null>(null);
export { banner };

/** Plain words per code (the table is `ERROR_WORDS` in words.ts), as one "what happened" sentence. */
// Getters, so the table is read when asked (words.ts and this module import
// each other through money.ts and session.ts).
export const PLAIN_WORDS = {} as Record<ErrorCode, string>;
for (const c of ERROR_CODES) {
  Object.defineProperty(PLAIN_WORDS, c, {
    enumerable: true,
    get: () => ERROR_WORDS[c](new TillbookError(c, "", {})).what,
  });
}

/** A readable explanation, including when an account lock ends. */
export function plainWords(err: TillbookError): string {
  return errorWords(err).what;
}

/** A moment in the shop's date and time format (see locale.ts). */
export function formatTime(ms: number): string {
  return formatDateTime(ms);
}

/** Shows an error in the banner. Never throws. */
export function reportError(e: unknown): TillbookError {
  const err = toTillbookError(e);
  seq += 1;
  const words = errorWords(err);
  setBanner({
    code: err.code,
    plain: words.what,
    next: words.next,
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
