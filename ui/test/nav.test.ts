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
    expect(ids("manager")).toEqual(["till", "shift", "orders", "home", "products", "stock", "count", "customers", "invoices", "loyalty", "vendors", "reports", "users", "audit", "account", "quick-keys", "tax-rates", "purchase-orders"]);
  });

  it("hides users, settings, audit and vendors from a cashier; the till comes first, counting and customers stay", () => {
    expect(ids("cashier")).toEqual(["till", "shift", "orders", "home", "products", "stock", "count", "customers", "account"]);
  });

  it("follows the table from users.roles, not the role's name", () => {
    const table = [{ role: "cashier" as const, permissions: ["audit.read" as const] }];
    expect(ids("cashier", table)).toEqual(["home", "products", "stock", "audit", "account"]);
  });

  it("shows only ungated items when the table is unknown (role cannot read it)", () => {
    expect(visibleNav("cashier", null).map((i) => i.id)).toEqual(["home", "products", "stock", "account"]);
    expect(permissionsOf(undefined, ROLES).size).toBe(0);
  });

  it("gives every item a unique id and a nav- test id", () => {
    expect(new Set(NAV.map((i) => i.id)).size).toBe(NAV.length);
    for (const i of NAV) expect(i.testid).toMatch(/^nav-/);
  });

  it("gates the catalog/inventory/party screens by the permission their commands need", () => {
    const perm = (id: string) => NAV.find((i) => i.id === id)?.permission;
    // catalog.search, catalog.get_product, stock.batches and stock.movements need only a session.
    expect(perm("products")).toBeNull();
    expect(perm("stock")).toBeNull();
    expect(perm("count")).toBe("stock.count");
    expect(perm("customers")).toBe("customers.manage");
    expect(perm("vendors")).toBe("vendors.manage");
  });

  it("gates the till and orders by sales.sell (refunds are gated inside by sales.refund)", () => {
    const perm = (id: string) => NAV.find((i) => i.id === id)?.permission;
    expect(perm("till")).toBe("sales.sell");
    expect(perm("orders")).toBe("sales.sell");
    expect(NAV[0].id).toBe("till");
  });

  it("shows vendors only to a role holding vendors.manage", () => {
    const table = [{ role: "cashier" as const, permissions: ["vendors.manage" as const] }];
    expect(ids("cashier", table)).toContain("vendors");
    expect(ids("cashier", table)).not.toContain("customers");
  });
});

describe("navigation shortcuts", () => {
  it("Alt+1…9 then Alt+0 for the tenth item; none after", async () => {
    const { shortcut } = await import("../src/Frame");
    expect([0, 8, 9, 10].map(shortcut)).toEqual(["1", "9", "0", ""]);
  });
});
