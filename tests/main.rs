//! Tillbook's one integration-test binary (the ripgrep layout): every module
//! here drives the real core against a real SQLite file in its own temporary
//! directory (D04), and runs the real `tillbook` binary where a second process
//! is needed. Tests are named after the audit rule they prove (`t05_…`, `d03_…`).
#![allow(clippy::unwrap_used, clippy::expect_used)]
// a panic is how a test reports failure
// Tests inspect the file with one-off queries; the statement cache rule (clippy.toml) is for the app.
#![allow(clippy::disallowed_methods)]

mod backup;
mod carts;
mod commands;
mod crash;
mod desktop_config;
mod identity;
mod inventory;
mod invoices;
mod loyalty;
mod parties;
mod refunds;
mod reports;
mod sales;
mod shifts;
mod storage;
mod support;
