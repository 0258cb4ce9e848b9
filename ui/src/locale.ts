// The one place numbers, money, dates and times are turned into text for the
// screen. Everything is formatted by one BCP-47 locale ("en-GB", "de-DE") and
// one IANA time zone ("Europe/London"), so a German bakery reads "4,90 €" and
// "04.12.2026" and a UK deli "£4.90" and "04/12/2026". The shop's choice is
// applied with `configureLocale` (session.ts's `applyShopLocale`); until then
// the browser's own locale and zone are used.
//
// Money arrives as integer minor units; it is formatted from an exact decimal
// string, never from a float, so no amount can be shown a penny off.

export interface LocaleConfig {
  /** BCP-47 tag; empty or invalid falls back to the browser's. */
  locale?: string;
  /** IANA zone; empty or invalid falls back to the browser's. */
  timeZone?: string;
}

function browserLocale(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().locale || "en-GB";
  } catch {
    return "en-GB";
  }
}

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

let current = { locale: browserLocale(), timeZone: browserZone() };
/** Formatters are costly to build; one per (kind, options) until the locale changes. */
let cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function validLocale(tag: string | undefined): string | null {
  if (!tag) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

function validZone(zone: string | undefined): string | null {
  if (!zone) return null;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return null;
  }
}

/** Sets the locale and time zone every formatter uses; bad or empty values keep the browser's. */
export function configureLocale(cfg: LocaleConfig): void {
  current = {
    locale: validLocale(cfg.locale) ?? browserLocale(),
    timeZone: validZone(cfg.timeZone) ?? browserZone(),
  };
  cache = new Map();
}

export function currentLocale(): { locale: string; timeZone: string } {
  return { ...current };
}

// Screens match text with ordinary spaces; Intl puts no-break spaces between a
// number and its sign ("4,90\u00a0€") and in some groupings.
function plainSpaces(s: string): string {
  return s.replace(/[\u00a0\u202f]/g, " ");
}

function numberFormat(key: string, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const k = `n|${key}`;
  let f = cache.get(k) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(current.locale, opts);
    cache.set(k, f);
  }
  return f;
}

function dateFormat(key: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const k = `d|${key}`;
  let f = cache.get(k) as Intl.DateTimeFormat | undefined;
  if (!f) {
    f = new Intl.DateTimeFormat(current.locale, { timeZone: current.timeZone, ...opts });
    cache.set(k, f);
  }
  return f;
}

/** 129 at scale 2 -> "1.29"; exact string arithmetic, no grouping, "." always (form inputs read it back). */
export function minorToDecimal(minor: number, scale: number): string {
  const neg = minor < 0;
  const abs = Math.abs(Math.trunc(minor));
  if (scale <= 0) return (neg ? "-" : "") + String(abs);
  const s = String(abs).padStart(scale + 1, "0");
  return (neg ? "-" : "") + s.slice(0, -scale) + "." + s.slice(-scale);
}

function formatDecimal(f: Intl.NumberFormat, minor: number, scale: number): string {
  // Intl formats a decimal string exactly (ES2023); an engine without that
  // returns "NaN", and then the number (exact for any amount below 2^53 / 10^scale).
  const exact = f.format(minorToDecimal(minor, scale) as unknown as number);
  return exact.includes("NaN") ? f.format(minor / 10 ** scale) : exact;
}

/** An amount with its currency sign in the shop's locale: 490 EUR -> "4,90 €" (de-DE), 490 GBP -> "£4.90" (en-GB). */
export function formatCurrency(minor: number, currency: string, scale = 2): string {
  let f: Intl.NumberFormat;
  try {
    f = numberFormat(`c|${currency}|${scale}`, {
      style: "currency",
      currency,
      minimumFractionDigits: scale,
      maximumFractionDigits: scale,
    });
  } catch {
    // An unknown code still reads: "4.90 XYZ".
    return `${formatAmountNumber(minor, scale)} ${currency}`.trim();
  }
  return plainSpaces(formatDecimal(f, minor, scale));
}

/** An amount without the sign, grouped by the locale: 123456 -> "1,234.56" (en-GB), "1.234,56" (de-DE). */
export function formatAmountNumber(minor: number, scale = 2): string {
  const f = numberFormat(`a|${scale}`, { minimumFractionDigits: scale, maximumFractionDigits: scale });
  return plainSpaces(formatDecimal(f, minor, scale));
}

/** A count or quantity: 1234 -> "1,234"; `decimals` fixed digits after the point. */
export function formatNumber(n: number, decimals = 0): string {
  const f = numberFormat(`i|${decimals}`, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return plainSpaces(f.format(n));
}

/** A day: "04/12/2026" (en-GB), "04.12.2026" (de-DE). */
export function formatDate(ms: number): string {
  return plainSpaces(dateFormat("date", { year: "numeric", month: "2-digit", day: "2-digit" }).format(ms));
}

/** A civil date `YYYY-MM-DD` (no time zone: a due date, an expiry) in the locale's order. */
export function formatCivilDate(ymd: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return ymd;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const f = new Intl.DateTimeFormat(current.locale, { timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit" });
  return plainSpaces(f.format(utc));
}

/** A time of day: "14:05". */
export function formatClock(ms: number): string {
  return plainSpaces(dateFormat("clock", { hour: "2-digit", minute: "2-digit" }).format(ms));
}

/** A moment: "04/12/2026, 14:05:09" (en-GB). */
export function formatDateTime(ms: number, seconds = true): string {
  return plainSpaces(
    dateFormat(`dt|${seconds}`, {
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      ...(seconds ? { second: "2-digit" } : {}),
    }).format(ms),
  );
}

function plural(n: number, one: string): string {
  return `${formatNumber(n)} ${one}${n === 1 ? "" : "s"}`;
}

/** A length of time in words: 300000 -> "5 minutes", 5400000 -> "1 hour 30 minutes", 30000 -> "30 seconds". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "no time";
  const totalSeconds = Math.round(ms / 1000);
  const days = Math.floor(totalSeconds / 86400);
  const hours = Math.floor((totalSeconds % 86400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts: string[] = [];
  if (days) parts.push(plural(days, "day"));
  if (hours) parts.push(plural(hours, "hour"));
  if (minutes) parts.push(plural(minutes, "minute"));
  if (seconds || parts.length === 0) parts.push(plural(seconds, "second"));
  return parts.join(" ");
}
