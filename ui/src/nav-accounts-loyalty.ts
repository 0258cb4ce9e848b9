// Navigation items of the back-office screens in this area (appended to NAV).

import type { NavItem } from "./nav";
import { Invoices } from "./screens/Invoices";
import { Loyalty } from "./screens/Loyalty";

export const ACCOUNTS_LOYALTY_NAV: readonly NavItem[] = [
  // Invoices of on-account sales, payments received, statements and AR aging.
  { id: "invoices", label: "Invoices", testid: "nav-invoices", permission: "invoices.manage", screen: Invoices },
  // Earning rules, rewards, points adjustments, bulk additions and the figures.
  { id: "loyalty", label: "Loyalty", testid: "nav-loyalty", permission: "loyalty.manage", screen: Loyalty },
];
