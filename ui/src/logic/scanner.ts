// Telling a barcode scanner from a person, and the till's typed quantity.
//
// A scanner is a keyboard that types a whole code in a burst (a few ms a
// character) and presses Enter. A person types slower than 50 ms a key. The
// detector sees keydowns with their timestamps and says "scan" when Enter ends
// a burst of at least 4 characters, each within `maxGapMs` of the one before.
// Pure: the timestamps come in with the keys, so tests use fake ones.

/** The longest pause between two of a scanner's keys. */
export const SCAN_MAX_GAP_MS = 50;
/** The shortest code a scanner sends (EAN-8 is 8; a short SKU label 4). */
export const SCAN_MIN_LENGTH = 4;
/** The longest code kept (a Code 128 label is well under this). */
export const SCAN_MAX_LENGTH = 64;
/** The largest typed multiplier (`3*`): as the core's limit on one line. */
export const MAX_MULTIPLIER = 1_000_000;

export interface ScanKey {
  /** `KeyboardEvent.key`. */
  key: string;
  /** `KeyboardEvent.timeStamp` (ms; only differences matter). */
  time: number;
  ctrl?: boolean;
  alt?: boolean;
  meta?: boolean;
}

export type ScanVerdict =
  /** Not the end of a scan: let the key do what it does. */
  | { kind: "key"; burstStart: boolean }
  /** Enter ended a burst: `code` is what the scanner typed. */
  | { kind: "scan"; code: string };

export interface ScanDetector {
  feed(k: ScanKey): ScanVerdict;
  /** Forget the burst (the view changed, a dialog opened). */
  reset(): void;
}

/** Keys that a scanner never sends inside a code and that a person uses to edit. */
function breaksBurst(k: ScanKey): boolean {
  return k.ctrl === true || k.alt === true || k.meta === true || (k.key.length !== 1 && k.key !== "Enter");
}

export function createScanDetector(maxGapMs = SCAN_MAX_GAP_MS, minLength = SCAN_MIN_LENGTH): ScanDetector {
  let code = "";
  let last = -Infinity;
  const reset = () => {
    code = "";
    last = -Infinity;
  };
  return {
    reset,
    feed(k) {
      // Shift comes with a scanner's capitals; it is neither a character nor a break.
      if (k.key === "Shift") return { kind: "key", burstStart: false };
      if (breaksBurst(k)) {
        reset();
        return { kind: "key", burstStart: false };
      }
      const gap = k.time - last;
      if (k.key === "Enter") {
        const isScan = code.length >= minLength && gap <= maxGapMs;
        const scanned = code;
        reset();
        return isScan ? { kind: "scan", code: scanned } : { kind: "key", burstStart: false };
      }
      const start = gap > maxGapMs || code.length >= SCAN_MAX_LENGTH;
      code = start ? k.key : code + k.key;
      last = k.time;
      return { kind: "key", burstStart: start };
    },
  };
}

/**
 * What may count as a scan while a person is typing into some other field
 * (an amount, a customer's name): only what a shop's labels carry and no one
 * types in a hurry — a run of 6+ digits (EAN/UPC) or a receipt code. Anywhere
 * else (a button, the receipt) any code of letters, digits and `-` is a scan.
 */
export function scanAllowedIn(code: string, inOtherField: boolean): boolean {
  if (parseReceiptCode(code) !== null) return true;
  if (inOtherField) return /^\d{6,}$/.test(code);
  return /^[A-Za-z0-9-]+$/.test(code);
}

/** `3*`, `3*4006381333931`, `12 * milk` -> the quantity and what follows; null when no multiplier. */
export function parseMultiplier(text: string): { quantity: number; rest: string } | null {
  const m = /^\s*(\d{1,7})\s*\*\s*(.*)$/.exec(text);
  if (!m) return null;
  const quantity = Number(m[1]);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_MULTIPLIER) return null;
  return { quantity, rest: m[2].trim() };
}

/** The receipt's scannable text for its number (issue 15 prints it as a barcode). */
export function receiptCode(receiptNumber: number): string {
  return `RCPT-${receiptNumber}`;
}

/** A scanned receipt code -> its receipt number; null for anything else. */
export function parseReceiptCode(code: string): number | null {
  const m = /^RCPT-?(\d{1,12})$/i.exec(code.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

/** Arrow-key movement in a grid of `count` tiles, `columns` wide: the next index (stays inside). */
export function gridMove(index: number, key: string, count: number, columns: number): number {
  if (count <= 0) return 0;
  const cols = Math.max(1, columns);
  let next = index;
  if (key === "ArrowRight") next = index + 1;
  else if (key === "ArrowLeft") next = index - 1;
  else if (key === "ArrowDown") next = index + cols;
  else if (key === "ArrowUp") next = index - cols;
  else if (key === "Home") next = 0;
  else if (key === "End") next = count - 1;
  return next < 0 || next >= count ? index : next;
}
