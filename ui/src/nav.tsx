// The navigation frame's one list. A later screen plugs in by adding one entry
// here; its `permission` hides it from roles that lack it (the server still
// refuses the commands: it is the authority).

import type { Component } from "solid-js";
import type { Permission, RolePermissions } from "./api";
import { permissionsOf } from "./session";
import { Account } from "./screens/Account";
import { Audit } from "./screens/Audit";
import { Count } from "./screens/Count";
import { Customers } from "./screens/Customers";
import { Products } from "./screens/Products";
import { QuickKeys } from "./screens/QuickKeys";
import { Stock } from "./screens/Stock";
import { Vendors } from "./screens/Vendors";
import { Home } from "./screens/Home";
import { Invoices } from "./screens/Invoices";
import { Loyalty } from "./screens/Loyalty";
import { Orders } from "./screens/Orders";
import { Reports } from "./screens/Reports";
import { Shifts } from "./screens/Shifts";
import { Till } from "./screens/Till";
import { SettingsScreen } from "./screens/Settings";
import { Users } from "./screens/Users";
import { ShopDetails } from "./screens/ShopDetails";
import { TaxRates } from "./screens/TaxRates";
import { PurchaseOrders } from "./screens/PurchaseOrders";
import { lowBadge } from "./screens/StockList";

export interface NavItem {
  id: string;
  label: string;
  /** Stable hook for WebDriver tests. */
  testid: string;
  /** Needed to see the item; null = any signed-in user. */
  permission: Permission | null;
  screen: Component;
  /** A short count beside the label ("2 low"), or null for none. */
  badge?: () => string | null;
}

export const NAV: readonly NavItem[] = [
  // The till comes first: a cashier's day is selling (and it is where they land),
  // then their drawer (open, cash in/out, voids, close with the Z-report) and the
  // sales made (receipts, refunds). Alt+1… follows this order.
  { id: "till", label: "Till", testid: "nav-till", permission: "sales.sell", screen: Till },
  { id: "shift", label: "Shift", testid: "nav-shift", permission: "sales.sell", screen: Shifts },
  { id: "orders", label: "Sales", testid: "nav-orders", permission: "sales.sell", screen: Orders },
  { id: "home", label: "Home", testid: "nav-home", permission: null, screen: Home },
  // Searching the catalog and reading stock need only a session; editing is gated inside.
  { id: "products", label: "Products", testid: "nav-products", permission: null, screen: Products },
  { id: "stock", label: "Stock", testid: "nav-stock", permission: null, screen: Stock, badge: lowBadge },
  { id: "count", label: "Stock count", testid: "nav-count", permission: "stock.count", screen: Count },
  { id: "customers", label: "Customers", testid: "nav-customers", permission: "customers.manage", screen: Customers },
  // Invoices of on-account sales, payments received, statements and AR aging.
  { id: "invoices", label: "Invoices", testid: "nav-invoices", permission: "invoices.manage", screen: Invoices },
  // Earning rules, rewards, points adjustments, bulk additions and the figures.
  { id: "loyalty", label: "Loyalty", testid: "nav-loyalty", permission: "loyalty.manage", screen: Loyalty },
  { id: "vendors", label: "Vendors", testid: "nav-vendors", permission: "vendors.manage", screen: Vendors },
  // Sales by day/hour/product/cashier/tender and stock at cost.
  { id: "reports", label: "Reports", testid: "nav-reports", permission: "ledger.read", screen: Reports },
  { id: "users", label: "Users", testid: "nav-users", permission: "users.read", screen: Users },
  { id: "settings", label: "Settings", testid: "nav-settings", permission: "settings.manage", screen: SettingsScreen },
  { id: "audit", label: "Audit log", testid: "nav-audit", permission: "audit.read", screen: Audit },
  { id: "account", label: "My account", testid: "nav-account", permission: null, screen: Account },
  // The till's pages of product tiles, arranged by whoever manages the catalog.
  { id: "quick-keys", label: "Quick keys", testid: "nav-quick-keys", permission: "catalog.manage", screen: QuickKeys },
  // The shop's address, VAT number, time zone and format; its tax rates from a date.
  { id: "shop-details", label: "Shop details", testid: "nav-shop-details", permission: "shop.manage", screen: ShopDetails },
  { id: "tax-rates", label: "Tax rates", testid: "nav-tax-rates", permission: "tax.manage", screen: TaxRates },
  // Suggested from reorder points, sent, received in part or in full (owner, manager).
  { id: "purchase-orders", label: "Purchase orders", testid: "nav-purchase-orders", permission: "purchases.order", screen: PurchaseOrders },
];

/** The items a role may see, in order. */
export function visibleNav(
  role: string | undefined,
  table: RolePermissions[] | null,
  items: readonly NavItem[] = NAV,
): NavItem[] {
  const perms = permissionsOf(role, table);
  return items.filter((i) => i.permission === null || perms.has(i.permission));
}
