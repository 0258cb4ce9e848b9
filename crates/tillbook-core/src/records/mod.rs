//! What the shop keeps about itself: the hash-chained audit log, the outbox of
//! business events for head office, the `settings.*` commands, and where and how
//! far the outbox has been pushed (`sync_state`, the `sync.*` commands).

pub mod audit;
pub mod outbox;
pub mod settings;
pub mod sync_state;
