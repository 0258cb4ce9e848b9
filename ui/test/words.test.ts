import { afterEach, describe, expect, it } from "vitest";
import { ERROR_CODES, TillbookError } from "../src/api";
import { reportError, banner, dismissError } from "../src/errors";
import { configureLocale, formatCurrency, formatDate, formatDuration, formatAmountNumber } from "../src/locale";
import { formatMoney } from "../src/money";
import { applyShopLocale } from "../src/session";
import { ERROR_WORDS, FIELD_ERROR_KINDS, FIELD_WORDS, errorWords, fieldErrorWords, fieldLabel } from "../src/words";

const DAY = Date.UTC(2026, 11, 4, 12, 0, 0);

afterEach(() => {
  configureLocale({ locale: "en-GB", timeZone: "Europe/London" });
  dismissError();
});

describe("words for every failure", () => {
  it("has a sentence and a next step for every error code, none naming the code", () => {
    for (const code of ERROR_CODES) {
      const w = ERROR_WORDS[code](new TillbookError(code, "", {}));
      expect(w.what.length, code).toBeGreaterThan(10);
      expect(w.what).not.toContain(code.includes("_") ? code : `code: ${code}`);
      expect(/[.!?]$/.test(w.what), `${code}: ${w.what}`).toBe(true);
    }
  });

  it("has words for every field-error kind, with the field's label filled in", () => {
    for (const kind of FIELD_ERROR_KINDS) {
      const text = FIELD_WORDS[kind]("name", { max_chars: 100, min_chars: 2, min: 1, max: 10, min_digits: 4, max_digits: 8 }, "name");
      expect(text.length, kind).toBeGreaterThan(8);
      expect(text).not.toMatch(/minor|\bms\b|[a-z]_[a-z]/);
    }
    const required = new TillbookError("validation", "name: must be 1 to 100 characters, got 0", {
      field: "name",
      kind: "required",
      max_chars: 100,
    });
    expect(fieldErrorWords(required)).toBe("Enter a name (up to 100 letters).");
    expect(errorWords(required).what).toBe("Enter a name (up to 100 letters).");
  });

  it("labels a field in plain words, wherever it sits in a request", () => {
    expect(fieldLabel("lines[2].quantity")).toBe("quantity on line 3");
    expect(fieldLabel("settings.idle_lock_ms")).toBe("idle lock");
    expect(fieldLabel("opening_float_minor")).toBe("opening float");
    expect(fieldLabel("some_new_thing_ms")).toBe("some new thing");
  });

  it("names the product and what is left when stock runs short", () => {
    const e = new TillbookError("insufficient_stock", "not enough stock: Only 1 × Olive oil left", { product: "Olive oil", left: "1" });
    const w = errorWords(e);
    expect(w.what).toBe("Not enough Olive oil in stock: only 1 left.");
    expect(w.next).toMatch(/Lower the quantity of Olive oil/);
  });

  it("says by how much a credit limit is exceeded, in the currency", () => {
    configureLocale({ locale: "en-GB", timeZone: "Europe/London" });
    const e = new TillbookError("credit_limit", "m", { customer: "Ana", limit_minor: 10000, over_by_minor: 2550 });
    expect(errorWords(e).what).toMatch(/Ana would go .*25\.50 over the credit limit of .*100\.00/);
  });

  it("says until when an account is locked", () => {
    expect(errorWords(new TillbookError("locked", "m", { until_ms: DAY })).what).toMatch(/until 04\/12\/2026/);
  });

  it("keeps the code and the command out of the banner's sentences", () => {
    reportError(new TillbookError("insufficient_stock", "not enough stock", { product: "Milk", left: "0" }, "sales.checkout"));
    const b = banner();
    expect(b?.plain).not.toMatch(/insufficient_stock|sales\.checkout/);
    expect(b?.next).not.toMatch(/insufficient_stock|sales\.checkout/);
    expect(b?.code).toBe("insufficient_stock");
  });
});

describe("locale formatting", () => {
  it("formats a German bakery's money and dates", () => {
    applyShopLocale({ name: "Bäckerei", locale: "de-DE", timezone: "Europe/Berlin" });
    expect(formatCurrency(490, "EUR", 2)).toBe("4,90 €");
    expect(formatDate(DAY)).toBe("04.12.2026");
    expect(formatAmountNumber(123456, 2)).toBe("1.234,56");
  });

  it("formats a UK deli's money and dates", () => {
    applyShopLocale({ name: "Deli", locale: "en-GB", timezone: "Europe/London" });
    expect(formatCurrency(490, "GBP", 2)).toBe("£4.90");
    expect(formatCurrency(100000, "GBP", 2)).toBe("£1,000.00");
    expect(formatDate(DAY)).toBe("04/12/2026");
  });

  it("keeps the browser's locale when the shop has none, and form values stay plain", () => {
    applyShopLocale({ name: "x", locale: "", timezone: "" });
    applyShopLocale({ name: "x", locale: "not a locale!!", timezone: "Mars/Olympus" });
    expect(formatDate(DAY)).toMatch(/2026/);
    expect(formatMoney(123456, 2)).toBe("1234.56");
    expect(formatMoney(-5, 2)).toBe("-0.05");
  });

  it("says durations in words", () => {
    expect(formatDuration(300000)).toBe("5 minutes");
    expect(formatDuration(30000)).toBe("30 seconds");
    expect(formatDuration(5400000)).toBe("1 hour 30 minutes");
    expect(formatDuration(60000)).toBe("1 minute");
  });
});
