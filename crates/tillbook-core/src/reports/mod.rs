//! Reports: sales by day, hour, product, cashier or tender with margin and
//! refunds; stock valuation; the streaming CSV export of order lines (T33).
//!
//! # Sales (`reports.sales`)
//!
//! Every figure is an aggregate computed by SQLite over the stored rows — the
//! orders, their lines and payments, the refunds, their lines and payments —
//! so no order is ever loaded into memory, whatever the size of the range.
//! The range is half-open, `[from_ms, to_ms)`, on when the sale (or the refund)
//! happened: a refund counts in the period it was given, against the group of
//! the refund itself — its local day or hour, the product of the refunded
//! line, the user who gave it (`cashier`), the tender the money went back to.
//! Refunds are their own columns, never netted into the sales columns.
//!
//! - `margin = net − cost`, where cost is the batch cost recorded on each
//!   order line (`order_lines.cost_minor`), so margin is what the ledger's
//!   revenue and cost of goods sold say.
//! - `refund_cost_minor` is the batch cost of refunded units put back on the
//!   shelf (damaged units stay a cost), so `margin_after_refunds =
//!   (net − refund_net) − (cost − refund_cost)`, as the reversing entries post.
//! - Day and hour buckets are the shop's local days and hours:
//!   `tz_offset_minutes` is added to each timestamp before it is cut.
//! - Voided sales (`sales.void`, reversed whole within their shift) are left
//!   out of every figure and of the export.
//! - By tender, a payment settles a whole order, not its lines: a tender row
//!   has `orders`, `total_minor` (the amount settled by that tender; cash net
//!   of change), `refunds` and `refund_total_minor`; its line-based columns
//!   are `null`. The `totals` row is always complete.
//!
//! # Stock valuation (`reports.stock_valuation`)
//!
//! `Σ on_hand × unit_cost_minor` per batch, summed per product and in total,
//! over batches with stock. Paged by product id; the grand total comes with
//! every page.
//!
//! # Dashboard (`dashboard.today`)
//!
//! Home's one read: the day's sales (the sales report's figures over the local
//! day), by hour against the same weekday last week, top products, and the
//! panels other folders own; and the getting-started checklist (`dashboard.rs`).
//!
//! # Map
//!
//! `dashboard` (Home), `sales` (the sales report), `valuation` (stock valuation), `export` (the
//! CSV export).

mod dashboard;
mod export;
mod sales;
pub mod tax_summary;
mod valuation;

pub use crate::shared::calendar::{DAY_MS, HOUR_MS};
pub use dashboard::{
    checklist, checklist_tick, local_day_start_ms, today, Checklist, ChecklistItem, ChecklistStep,
    ChecklistTick, ChecklistTickRequest, Dashboard, DashboardHour, DashboardInvoices,
    DashboardOverdueInvoice, DashboardRequest, DashboardShift, DashboardSync, DashboardTopProduct,
    DASHBOARD_LOW_STOCK, DASHBOARD_OPEN_SHIFTS, DASHBOARD_OVERDUE_SCAN, TOP_PRODUCTS,
};
pub use export::{export_sales_csv, SALES_CSV_HEADER};
pub use sales::{
    sales, sales_report, GroupBy, SalesReport, SalesReportRequest, SalesReportRow, DEFAULT_GROUPS,
    MAX_GROUPS, MAX_HOUR_RANGE_DAYS, MAX_RANGE_DAYS, MAX_TZ_OFFSET_MINUTES,
};
pub use valuation::{
    stock_valuation, valuation, StockValuation, StockValuationRequest, StockValuationRow,
    VALUATION_PAGE_DEFAULT,
};
