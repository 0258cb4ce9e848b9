//! End-to-end tests: the real `tillbook-app` in a real WebKit window under Xvfb,
//! driven through WebDriver (tauri-driver + WebKitWebDriver). Each test starts
//! its own display, driver and app on a fresh temporary database. Run with
//! TILLBOOK_SCREENSHOTS=1 (scripts/screenshots) to refresh docs/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// a panic is how a test reports failure
// A scenario walks one screen flow top to bottom; the line cap is for the app's code.
#![allow(clippy::too_many_lines)]

// Invoices, payments, AR aging and loyalty adjustments.
mod accounts;
// A manager's approval on the cashier's screen: refunds with and without a receipt.
mod approvals_ui;
// The harness itself leaves no process running, pass or panic.
mod cleanup;
// Steps the tests share: login, data over IPC, the till, refunds, money.
mod flows;
// Home after a few sales: the day's figures, best sellers, low stock, the checklist.
mod dashboard;
// Starts Xvfb, tauri-driver and the app for one test, and stops them all.
mod harness;
// First run, logins, roles, idle lock, audit, startup errors, catalog and stock.
mod identity;
// Earning and claiming loyalty points at the till, and a refund restoring them.
mod loyalty;
// Child processes guarded so they end with their test (shared with tests/).
#[path = "../support/process.rs"]
mod process;
// Shifts, cash moves, voids, the Z-report and the reports screen.
mod shift;
// Scanning, split payment, receipts, refunds, holds, a double-clicked Pay.
mod till;
// Untracked coffee, cheese by weight and by scale label, "Only 2 left".
mod till_items;
// Adding items fast: quick key tiles, `3*`, scans from any till view, unknown codes, the Products list.
mod till_adding;
// Paying fast: quick cash, one-tap Card, basket discounts, a manager's approval.
mod till_cash;
mod till_paying;
// First run by country (UK deli, German bakery), the VAT summary, a dated rate change.
mod setup_tax;
// Plain words: the audit log as sentences, errors in words with the code under Details.
mod plain_words;
// A purchase order from a reorder point, received in part; stock received with no lot code.
mod stock_po;

/// The app and its WebDriver session are heavy on two cores; one at a time keeps
/// every wait well inside its bound.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
