// The back office's commands (shifts and the Z-report, reports; invoices and
// customer payments, loyalty management), one file per area so each screen set
// keeps its own map. `Commands` in api.ts extends this; COMMAND_NAMES includes
// BACKOFFICE_COMMAND_NAMES.

import { ACCOUNTS_LOYALTY_COMMAND_NAMES, type AccountsLoyaltyCommands } from "./api-accounts-loyalty";
import { SHIFTS_REPORTS_COMMAND_NAMES, type ShiftsReportsCommands } from "./api-shifts-reports";

export interface BackOfficeCommands extends ShiftsReportsCommands, AccountsLoyaltyCommands {}

export const BACKOFFICE_COMMAND_NAMES = [...SHIFTS_REPORTS_COMMAND_NAMES, ...ACCOUNTS_LOYALTY_COMMAND_NAMES] as const;
