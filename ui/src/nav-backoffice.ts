// The back office's navigation items, appended to NAV in nav.tsx.

import type { NavItem } from "./nav";
import { ACCOUNTS_LOYALTY_NAV } from "./nav-accounts-loyalty";
import { SHIFTS_REPORTS_NAV } from "./nav-shifts-reports";

export const BACKOFFICE_NAV: readonly NavItem[] = [...SHIFTS_REPORTS_NAV, ...ACCOUNTS_LOYALTY_NAV];
