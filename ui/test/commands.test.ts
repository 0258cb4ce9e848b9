import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../src/api";

function documented(): string[] {
  const doc = readFileSync(resolve(__dirname, "../../docs/API.md"), "utf8");
  return doc
    .split("\n")
    .filter((l) => l.startsWith("### `") && l.endsWith("`"))
    .map((l) => l.slice(5, -1));
}

describe("the command map (src/api.ts)", () => {
  it("names only commands that docs/API.md documents (the core's docs test ties those to the command table)", () => {
    const docs = new Set(documented());
    expect(COMMAND_NAMES.filter((c) => !docs.has(c))).toEqual([]);
  });

  it("covers the commands of the screens in this issue", () => {
    // The UI maps the commands it calls; later screens add theirs with their types.
    const later = new Set<string>();
    for (const prefix of ["setup.", "auth.", "users.", "settings.", "audit.", "shop.", "catalog.", "customers.", "vendors.", "purchasing.", "sales.", "shifts.", "invoices.", "reports.", "loyalty."]) {
      const docs = documented().filter((c) => c.startsWith(prefix) && !later.has(c));
      expect(docs.filter((c) => !(COMMAND_NAMES as readonly string[]).includes(c)), prefix).toEqual([]);
    }
  });

  it("covers the stock commands of the stock and count screens (reservations belong to sales)", () => {
    const sales = new Set(["stock.reserve", "stock.release", "stock.expire_reservations"]);
    const docs = documented().filter((c) => c.startsWith("stock.") && !sales.has(c));
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.filter((c) => !(COMMAND_NAMES as readonly string[]).includes(c))).toEqual([]);
  });

  it("maps the commands the till and orders screens call", () => {
    const till = [
      "sales.quote", "sales.checkout", "sales.get", "sales.list", "sales.refund", "sales.refunds",
      "sales.hold", "sales.held", "sales.recall", "sales.cancel_hold",
    ];
    expect(till.filter((c) => !(COMMAND_NAMES as readonly string[]).includes(c))).toEqual([]);
  });
});
