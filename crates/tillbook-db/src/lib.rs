//! Tillbook's storage layer, below every domain module: one SQLite file in WAL
//! mode behind [`db::Db`] (opening and checking it, migrations, the FIFO writer
//! gate and the one `BEGIN IMMEDIATE` write path, online backups), the
//! [`error::Error`] every command returns with its stable codes, the clocks,
//! and the startup configuration. It knows nothing of shops, sales or users, so
//! it depends on nothing of Tillbook's.
#![deny(clippy::float_arithmetic, clippy::float_cmp)]

pub mod clock;
pub mod config;
pub mod db;
pub mod error;

pub use error::{Error, ErrorCode, Result};
