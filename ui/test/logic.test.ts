import { describe, expect, it } from "vitest";
import { TillbookError } from "../src/api";
import { plainWords, PLAIN_WORDS } from "../src/errors";
import { AUDIT_PAGE, dateToMs, filterArgs } from "../src/screens/Audit";
import { describeMs } from "../src/screens/Settings";
import { assignableRoles } from "../src/screens/Users";

describe("audit filters", () => {
  it("turns the form into audit.list arguments, leaving empty fields out", () => {
    expect(filterArgs({ user_id: "", command: "", result: "", from: "", to: "" }, null)).toEqual({ limit: AUDIT_PAGE });
    const args = filterArgs({ user_id: "2", command: "auth.login", result: "refused", from: "2026-11-01", to: "2026-11-02" }, 77);
    expect(args).toMatchObject({ user_id: 2, command: "auth.login", result: "refused", before_id: 77, limit: AUDIT_PAGE });
    expect(args.from_ms).toBe(new Date(2026, 10, 1).getTime());
    // `to` is inclusive: the whole of that day, up to the last millisecond.
    expect(args.to_ms).toBe(new Date(2026, 10, 3).getTime() - 1);
  });

  it("ignores dates that are not YYYY-MM-DD", () => {
    expect(dateToMs("01/11/2026")).toBeNull();
    expect(dateToMs("")).toBeNull();
  });
});

describe("helpers", () => {
  it("offers only roles the actor may hand out (the core decides)", () => {
    expect(assignableRoles("owner")).toEqual(["owner", "manager", "cashier"]);
    expect(assignableRoles("manager")).toEqual(["cashier"]);
    expect(assignableRoles("cashier")).toEqual([]);
  });

  it("describes milliseconds for people", () => {
    expect(describeMs("300000")).toBe("= 5 minutes");
    expect(describeMs("3600000")).toBe("= 1 hour");
    expect(describeMs("30000")).toBe("= 30 seconds");
    expect(describeMs("")).toBe("");
  });

  it("has plain words for every code, and tells an account lock from the idle lock", () => {
    for (const w of Object.values(PLAIN_WORDS)) expect(w.length).toBeGreaterThan(5);
    expect(plainWords(new TillbookError("locked", "m", { until_ms: Date.UTC(2026, 0, 1) }))).toMatch(/too many wrong attempts/);
    expect(plainWords(new TillbookError("locked", "m", { until_ms: null }))).toMatch(/PIN or password/);
  });
});

describe("settings labels", () => {
  it("labels a setting the screen does not know yet from its key", async () => {
    const { labelFor } = await import("../src/screens/Settings");
    expect(labelFor("idle_lock_ms")).toBe("Lock the till when nobody has used it for");
    expect(labelFor("night_close_ms")).toBe("Night close");
    expect(labelFor("float_minor")).toBe("Float");
    const { fieldLabelFor, msToUnit, unitToMs } = await import("../src/screens/Settings");
    expect(fieldLabelFor("idle_lock_ms")).toBe("Lock the till when nobody has used it for (minutes)");
    expect(fieldLabelFor("lockout_base_ms")).toMatch(/\(seconds\)$/);
    expect(msToUnit(300000, "idle_lock_ms")).toBe("5");
    expect(unitToMs("0.5", "idle_lock_ms")).toBe(30000);
    expect(unitToMs("30", "lockout_base_ms")).toBe(30000);
  });
});
