// The scanner, heard from anywhere on the till: one keydown listener (capture
// phase, so it sees a key before the focused field or button acts on it) while
// the till is shown. A burst ending in Enter (logic/scanner.ts) is a scan: the
// Enter is stopped (so it neither presses "New sale" nor pays), the burst's
// characters are taken back out of whatever field they fell into, and the code
// goes to the cart — or, for a receipt's code, to that order in Orders.

import { setApp, app } from "../../session";
import { createScanDetector, parseMultiplier, parseReceiptCode, scanAllowedIn } from "../../logic/scanner";
import { findByReceipt, setOrders } from "../Orders";
import { scan, scanCode, setTill } from "./state";
import { clearScanProblem } from "./scanProblem";

/** The scan field's DOM id (the till form's `search` field). */
const SCAN_FIELD_ID = "till-search";

function editable(el: EventTarget | null): el is HTMLInputElement | HTMLTextAreaElement {
  return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement;
}

/**
 * A field whose Enter is its own even after fast typing: secrets, another
 * search box (a customer's phone), an email, or one marked `data-scan="off"`.
 */
function keepsItsTyping(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.closest("[data-scan='off']")) return true;
  return el instanceof HTMLInputElement && ["password", "search", "tel", "email"].includes(el.type);
}

/** Opens the sale of a scanned receipt code on the Orders screen (for a refund). */
async function openReceipt(receiptNumber: number): Promise<void> {
  setApp("screen", "orders");
  setOrders("lookup", String(receiptNumber));
  await findByReceipt();
}

/** A code from the scanner: a receipt's code opens its order; anything else goes to the cart. */
export function routeScan(code: string, quantity = 1): Promise<void> {
  const receipt = parseReceiptCode(code);
  if (receipt !== null) return openReceipt(receipt);
  return scanCode(code, quantity);
}

/** Enter in the scan field, typed by hand: the same routes as a scan. */
export function submitScanField(text: string): Promise<void> {
  const receipt = parseReceiptCode(parseMultiplier(text)?.rest ?? text);
  if (receipt !== null) {
    setTill("query", "");
    return openReceipt(receipt);
  }
  return scan();
}

/**
 * Starts listening; returns the function that stops. Each burst remembers the
 * focused field's text from before its first character, to put back.
 */
export function installScanner(target: Window = window): () => void {
  const detector = createScanDetector();
  let before: { el: HTMLInputElement | HTMLTextAreaElement; value: string } | null = null;

  const onKey = (e: KeyboardEvent) => {
    // Locked (the PIN pad is typed into), or a dialog open: its own keys.
    if (app.session?.locked || document.querySelector("[role='dialog']")) {
      detector.reset();
      return;
    }
    const v = detector.feed({ key: e.key, time: e.timeStamp, ctrl: e.ctrlKey, alt: e.altKey, meta: e.metaKey });
    if (v.kind === "key") {
      if (v.burstStart) before = editable(e.target) ? { el: e.target, value: e.target.value } : null;
      return;
    }
    const target = e.target;
    const inScanField = target instanceof HTMLElement && target.id === SCAN_FIELD_ID;
    if (!inScanField && keepsItsTyping(target)) return;
    let code = v.code;
    let quantity = 1;
    if (inScanField) {
      // The scan field holds what is being scanned: a typed `3*` before the
      // code, or the code's first keys when they came slower than a burst (a
      // busy machine), so nothing typed into it is lost. The field is emptied
      // after every scan, so no earlier code can be in front.
      const prefix = before?.el === target ? before.value : "";
      const whole = prefix + code;
      const m = parseMultiplier(whole);
      if (m && m.rest !== "") {
        quantity = m.quantity;
        code = m.rest;
      } else {
        code = whole;
      }
    }
    if (!scanAllowedIn(code, editable(target) && !inScanField)) return;
    e.preventDefault();
    e.stopPropagation();
    // Take the code back out of the field it was typed into, and tell the screen's state.
    if (editable(target)) {
      const restore = inScanField ? "" : before?.el === target ? before.value : target.value;
      target.value = restore;
      target.dispatchEvent(new Event("input", { bubbles: true }));
    }
    before = null;
    clearScanProblem();
    void routeScan(code, quantity);
  };

  target.addEventListener("keydown", onKey, true);
  return () => target.removeEventListener("keydown", onKey, true);
}
