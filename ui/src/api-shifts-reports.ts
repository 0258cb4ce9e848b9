// Commands of the back-office screens in this area: arguments and result, typed
// from ui/src/generated. Merged into `Commands` through api-backoffice.ts.
//
// Shifts and the Z-report (screens/Shifts.tsx), voids, and the reports
// (screens/Reports.tsx). See docs/API.md "## Shifts" and "## Reports".

import type { Idempotent } from "./api";
import type { ReportGroupBy } from "./generated/ReportGroupBy";
import type { SalesReport } from "./generated/SalesReport";
import type { SalesReportRequest } from "./generated/SalesReportRequest";
import type { SalesReportRow } from "./generated/SalesReportRow";
import type { SalesVoidRequest } from "./generated/SalesVoidRequest";
import type { SalesVoidView } from "./generated/SalesVoidView";
import type { ShiftCashDirection } from "./generated/ShiftCashDirection";
import type { ShiftCashMoveRequest } from "./generated/ShiftCashMoveRequest";
import type { ShiftCashMoveView } from "./generated/ShiftCashMoveView";
import type { ShiftCloseRequest } from "./generated/ShiftCloseRequest";
import type { ShiftListRequest } from "./generated/ShiftListRequest";
import type { ShiftOpenRequest } from "./generated/ShiftOpenRequest";
import type { ShiftPage } from "./generated/ShiftPage";
import type { ShiftTenderTotal } from "./generated/ShiftTenderTotal";
import type { ShiftView } from "./generated/ShiftView";
import type { ShiftZReport } from "./generated/ShiftZReport";
import type { ShiftZReportRequest } from "./generated/ShiftZReportRequest";
import type { StockValuation } from "./generated/StockValuation";
import type { StockValuationRequest } from "./generated/StockValuationRequest";
import type { StockValuationRow } from "./generated/StockValuationRow";

export type {
  ReportGroupBy,
  SalesReport,
  SalesReportRequest,
  SalesReportRow,
  SalesVoidRequest,
  SalesVoidView,
  ShiftCashDirection,
  ShiftCashMoveRequest,
  ShiftCashMoveView,
  ShiftCloseRequest,
  ShiftListRequest,
  ShiftOpenRequest,
  ShiftPage,
  ShiftTenderTotal,
  ShiftView,
  ShiftZReport,
  StockValuation,
  StockValuationRequest,
  StockValuationRow,
};

export const REPORT_GROUPS: readonly ReportGroupBy[] = ["day", "hour", "product", "cashier", "tender"];

export interface ShiftsReportsCommands {
  "shifts.open": { args: ShiftOpenRequest & Idempotent; result: ShiftView };
  // `{}`: the caller's own open shift (or null).
  "shifts.current": { args: Record<string, never>; result: ShiftView | null };
  "shifts.cash_move": { args: ShiftCashMoveRequest & Idempotent; result: ShiftCashMoveView };
  // Versioned (no idempotency key): a replay of a close is a `conflict`.
  "shifts.close": { args: ShiftCloseRequest; result: ShiftZReport };
  "shifts.z_report": { args: ShiftZReportRequest; result: ShiftZReport };
  "shifts.list": { args: ShiftListRequest; result: ShiftPage };
  "sales.void": { args: SalesVoidRequest & Idempotent; result: SalesVoidView };
  "reports.sales": { args: SalesReportRequest; result: SalesReport };
  "reports.stock_valuation": { args: StockValuationRequest; result: StockValuation };
}

export const SHIFTS_REPORTS_COMMAND_NAMES = [
  "shifts.open",
  "shifts.current",
  "shifts.cash_move",
  "shifts.close",
  "shifts.z_report",
  "shifts.list",
  "sales.void",
  "reports.sales",
  "reports.stock_valuation",
] as const;
