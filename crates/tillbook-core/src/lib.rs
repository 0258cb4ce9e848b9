//! Tillbook's domain. No Tauri, no async runtime: transports (the desktop shell,
//! the `tillbook` CLI) hand requests to [`dispatch::Dispatcher`] and show what it
//! returns. See docs/ARCHITECTURE.md for the map.
#![deny(clippy::float_arithmetic, clippy::float_cmp)]

pub mod access;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod carts;
pub mod catalog;
pub mod clock;
pub mod commands;
pub mod config;
pub mod customers;
pub mod db;
pub mod demo;
pub mod dispatch;
pub mod error;
pub mod inventory;
pub mod invoices;
pub mod ledger;
pub mod loyalty;
pub mod money;
pub mod outbox;
pub mod party;
pub mod pricing;
pub mod refunds;
pub mod reports;
pub mod requests;
pub mod sales;
pub mod settings;
pub mod shifts;
pub mod shop;
pub mod users;
pub mod validate;
pub mod vendors;
pub mod verify;

pub use dispatch::{Dispatcher, Session};
pub use error::{Error, ErrorCode, Result};
