//! Head-office sync: pushes the shop's outbox to a central MySQL or MariaDB
//! server, every event exactly once, whatever breaks (issue 14). The MySQL
//! client (`mysql_async`, rustls with ring) and its tokio runtime live only
//! here, so the core stays free of both; the shop's side (the outbox chain,
//! the targets and the cursor, `sync.status`) is in the core's
//! `records::sync_state`.
//!
//! - `client`: one connection per session, TLS always on, deadlines.
//! - `push`: the protocol (high-water mark, compare-and-set, one INSERT per batch).
//! - `run`: one attempt end to end on a current-thread runtime, its outcome recorded.
//! - `verify`: the oracle `tillbook sync verify` runs.
//! - `server`: head office's schema (`sql/head_office.sql`) and per-shop accounts.
//! - `cli`: `tillbook sync …`.

pub mod cli;
pub mod client;
pub mod error;
pub mod push;
pub mod run;
pub mod server;
pub mod verify;

pub use client::Limits;
pub use error::{Class, SyncError};
pub use run::{run_once, run_once_with, verify_once, verify_once_with, RunReport};
