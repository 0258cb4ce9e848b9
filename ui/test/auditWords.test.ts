import { afterEach, describe, expect, it } from "vitest";
import { AUDIT_SENTENCES, auditSentence, commandsOfKind, WRITE_COMMANDS } from "../src/auditWords";
import type { AuditRow } from "../src/generated/AuditRow";
import { configureLocale } from "../src/locale";
import { filterArgs } from "../src/screens/Audit";
import { setApp } from "../src/session";

function row(over: Partial<AuditRow>): AuditRow {
  return {
    id: 1,
    at_ms: Date.UTC(2026, 11, 4, 10, 0),
    user_id: 2,
    username: "ana",
    command: "auth.login",
    entity: null,
    entity_id: null,
    summary: {},
    result: "ok",
    error_code: null,
    approved_by: null,
    approved_by_username: null,
    user_display_name: "Ana",
    approved_by_display_name: null,
    record_name: null,
    items: [],
    ...over,
  };
}

afterEach(() => configureLocale({ locale: "en-GB", timeZone: "Europe/London" }));

describe("the audit log reads as a history", () => {
  it("has a sentence for every command that writes", () => {
    const missing = WRITE_COMMANDS.filter((c) => !Object.prototype.hasOwnProperty.call(AUDIT_SENTENCES, c));
    expect(missing).toEqual([]);
    // No entry for a command that does not exist or only reads.
    const writes = new Set<string>(WRITE_COMMANDS);
    expect(Object.keys(AUDIT_SENTENCES).filter((c) => !writes.has(c))).toEqual([]);
  });

  it("reads a refund with the product, quantity, amount with its sign and the sale", () => {
    configureLocale({ locale: "en-GB", timeZone: "Europe/London" });
    setApp("shop", { name: "Deli", currency_code: "GBP", currency_scale: 2, host_id: "h", created_at_ms: 0, denominations_minor: [] });
    const r = row({
      command: "sales.refund",
      entity: "refund",
      entity_id: "3",
      summary: { number: 3, order_number: 12, lines: 1, total_minor: 699, reason: "damaged" },
      items: [{ name: "Olive oil", quantity: 1, quantity_decimals: 0, unit: "each", total_minor: 699 }],
    });
    expect(auditSentence(r)).toBe("Ana refunded 1 × Olive oil (£6.99) on sale 12 — “damaged”.");
    const sale = row({
      command: "sales.checkout",
      entity: "order",
      entity_id: "12",
      summary: { number: 12, lines: 2, total_minor: 1049 },
      items: [
        { name: "Olive oil", quantity: 1, quantity_decimals: 0, unit: "each", total_minor: 699 },
        { name: "Cheddar", quantity: 350, quantity_decimals: 3, unit: "kg", total_minor: 350 },
      ],
    });
    expect(auditSentence(sale)).toBe("Ana sold 1 × Olive oil (£6.99) and 0.350 kg Cheddar (£3.50) for £10.49 — sale 12.");
  });

  it("says a refused attempt in words, naming no command or code", () => {
    const text = auditSentence(row({ command: "sales.refund", result: "refused", error_code: "forbidden" }));
    expect(text).toBe("Ana tried a refund; it was refused.");
    expect(text).not.toMatch(/sales\.refund|forbidden/);
  });

  it("filters by kind of action as a list of commands", () => {
    const args = filterArgs({ user_id: "", result: "", from: "", to: "", kind: "refunds" }, null);
    expect(args.commands).toEqual(commandsOfKind("refunds"));
    expect(args.commands).toContain("sales.refund");
    expect(commandsOfKind("signins")).toContain("auth.login");
  });
});
