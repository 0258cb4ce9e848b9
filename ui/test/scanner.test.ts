import { describe, expect, it } from "vitest";
import {
  createScanDetector,
  gridMove,
  parseMultiplier,
  parseReceiptCode,
  receiptCode,
  scanAllowedIn,
  type ScanVerdict,
} from "../src/logic/scanner";

/** Feeds `text` then Enter, `gapMs` apart from `t0`; the verdict of the Enter. */
function typed(text: string, gapMs: number, det = createScanDetector(), t0 = 1000): ScanVerdict {
  let t = t0;
  for (const ch of text) {
    det.feed({ key: ch, time: t });
    t += gapMs;
  }
  return det.feed({ key: "Enter", time: t });
}

describe("scanner detection", () => {
  it("a fast burst ending in Enter is a scan", () => {
    expect(typed("4006381333931", 5)).toEqual({ kind: "scan", code: "4006381333931" });
  });

  it("a person typing is not", () => {
    expect(typed("4006381333931", 120).kind).toBe("key");
    expect(typed("milk", 80).kind).toBe("key");
  });

  it("needs at least 4 characters", () => {
    expect(typed("123", 5).kind).toBe("key");
    expect(typed("1234", 5)).toEqual({ kind: "scan", code: "1234" });
  });

  it("a slow Enter after a fast burst is a person pressing Enter", () => {
    const det = createScanDetector();
    for (const [i, ch] of [..."12345678"].entries()) det.feed({ key: ch, time: i * 5 });
    expect(det.feed({ key: "Enter", time: 35 + 400 }).kind).toBe("key");
  });

  it("typed text before the scan is not part of the code", () => {
    const det = createScanDetector();
    // "3*" typed by hand, a pause, then the scanner.
    det.feed({ key: "3", time: 0 });
    det.feed({ key: "*", time: 150 });
    const first = det.feed({ key: "4", time: 900 });
    expect(first).toEqual({ kind: "key", burstStart: true });
    for (const [i, ch] of [..."006381333931"].entries()) det.feed({ key: ch, time: 905 + i * 4 });
    expect(det.feed({ key: "Enter", time: 955 })).toEqual({ kind: "scan", code: "4006381333931" });
  });

  it("the next scan never carries the last one's characters", () => {
    const det = createScanDetector();
    expect(typed("99999999", 3, det, 0)).toEqual({ kind: "scan", code: "99999999" });
    expect(typed("4006381333931", 3, det, 50)).toEqual({ kind: "scan", code: "4006381333931" });
  });

  it("Shift is ignored; editing keys break the burst", () => {
    const det = createScanDetector();
    det.feed({ key: "Shift", time: 0 });
    det.feed({ key: "A", time: 1 });
    det.feed({ key: "Shift", time: 2 });
    for (const [i, ch] of [..."BC-1"].entries()) det.feed({ key: ch, time: 3 + i });
    expect(det.feed({ key: "Enter", time: 9 })).toEqual({ kind: "scan", code: "ABC-1" });
    for (const [i, ch] of [..."1234"].entries()) det.feed({ key: ch, time: 20 + i });
    det.feed({ key: "Backspace", time: 25 });
    expect(det.feed({ key: "Enter", time: 26 }).kind).toBe("key");
    det.feed({ key: "a", time: 40, ctrl: true });
    expect(det.feed({ key: "Enter", time: 41 }).kind).toBe("key");
  });
});

describe("where a scan counts", () => {
  it("in another field only digits of a label or a receipt code", () => {
    expect(scanAllowedIn("4006381333931", true)).toBe(true);
    expect(scanAllowedIn("2000", true)).toBe(false);
    expect(scanAllowedIn("Alice", true)).toBe(false);
    expect(scanAllowedIn("20.00", true)).toBe(false);
    expect(scanAllowedIn("RCPT-12", true)).toBe(true);
    expect(scanAllowedIn("MILK-1L", false)).toBe(true);
    expect(scanAllowedIn("a b", false)).toBe(false);
  });
});

describe("typed quantity", () => {
  it("reads N* and what follows", () => {
    expect(parseMultiplier("3*")).toEqual({ quantity: 3, rest: "" });
    expect(parseMultiplier("3*4006381333931")).toEqual({ quantity: 3, rest: "4006381333931" });
    expect(parseMultiplier(" 12 * milk ")).toEqual({ quantity: 12, rest: "milk" });
    expect(parseMultiplier("0*")).toBeNull();
    expect(parseMultiplier("milk")).toBeNull();
    expect(parseMultiplier("*3")).toBeNull();
    expect(parseMultiplier("9999999*")).toBeNull();
  });
});

describe("receipt codes", () => {
  it("round-trip and refuse other text", () => {
    expect(receiptCode(42)).toBe("RCPT-42");
    expect(parseReceiptCode("RCPT-42")).toBe(42);
    expect(parseReceiptCode("rcpt42")).toBe(42);
    expect(parseReceiptCode("RCPT-0")).toBeNull();
    expect(parseReceiptCode("4006381333931")).toBeNull();
  });
});

describe("grid keys", () => {
  it("arrows move within the grid and stop at its edges", () => {
    expect(gridMove(0, "ArrowRight", 10, 4)).toBe(1);
    expect(gridMove(0, "ArrowLeft", 10, 4)).toBe(0);
    expect(gridMove(1, "ArrowDown", 10, 4)).toBe(5);
    expect(gridMove(8, "ArrowDown", 10, 4)).toBe(8);
    expect(gridMove(5, "ArrowUp", 10, 4)).toBe(1);
    expect(gridMove(3, "End", 10, 4)).toBe(9);
    expect(gridMove(3, "Home", 10, 4)).toBe(0);
  });
});
