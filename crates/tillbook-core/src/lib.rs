//! Tillbook's domain. No Tauri, no async runtime, no network: transports (the
//! desktop shell, the `tillbook` CLI) hand requests to [`Dispatcher`] and show
//! what it returns. The folders point one way: `shared` at the bottom, the
//! feature folders above it, `dispatch` and `ops` on top (docs/ARCHITECTURE.md).
#![deny(clippy::float_arithmetic, clippy::float_cmp)]

pub use tillbook_db::{clock, config, db, error};

pub mod accounts;
pub mod catalog;
pub mod dispatch;
mod identity;
pub mod ledger;
pub mod loyalty;
pub mod ops;
pub mod parties;
pub mod records;
pub mod reports;
pub mod sales;
pub mod shared;
pub mod stock;
mod till;

pub use dispatch::{commands, Dispatcher};
pub use error::{Error, ErrorCode, Result};
pub use shared::handler::Session;
