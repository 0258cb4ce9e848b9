import { describe, expect, it } from "vitest";
import { NAV, visibleNav } from "../src/nav";
import { permissionsOf } from "../src/session";
import { ROLES } from "./fake";

const ids = (role: string, table = ROLES) => visibleNav(role, table).map((i) => i.id);

describe("navigation filtering", () => {
  it("shows an owner everything", () => {
    expect(ids("owner")).toEqual(NAV.map((i) => i.id));
  });

  it("hides settings from a manager (no settings.manage)", () => {
    expect(ids("manager")).toEqual(["home", "users", "audit", "account"]);
  });

  it("hides users, settings and audit from a cashier", () => {
    expect(ids("cashier")).toEqual(["home", "account"]);
  });

  it("follows the table from users.roles, not the role's name", () => {
    const table = [{ role: "cashier" as const, permissions: ["audit.read" as const] }];
    expect(ids("cashier", table)).toEqual(["home", "audit", "account"]);
  });

  it("shows only ungated items when the table is unknown (role cannot read it)", () => {
    expect(visibleNav("cashier", null).map((i) => i.id)).toEqual(["home", "account"]);
    expect(permissionsOf(undefined, ROLES).size).toBe(0);
  });

  it("gives every item a unique id and a nav- test id", () => {
    expect(new Set(NAV.map((i) => i.id)).size).toBe(NAV.length);
    for (const i of NAV) expect(i.testid).toMatch(/^nav-/);
  });
});
