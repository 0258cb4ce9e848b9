// Navigation items of the back-office screens in this area (appended to NAV).

import type { NavItem } from "./nav";
import { Reports } from "./screens/Reports";
import { Shifts } from "./screens/Shifts";

export const SHIFTS_REPORTS_NAV: readonly NavItem[] = [
  // The cashier's drawer: open, cash in/out, voids, close with the Z-report.
  { id: "shift", label: "Shift", testid: "nav-shift", permission: "sales.sell", screen: Shifts },
  // Sales by day/hour/product/cashier/tender and stock at cost.
  { id: "reports", label: "Reports", testid: "nav-reports", permission: "ledger.read", screen: Reports },
];
