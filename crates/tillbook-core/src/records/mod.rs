//! What the shop keeps about itself: the hash-chained audit log, the outbox of
//! business events for head office, and the `settings.*` commands.

pub mod audit;
pub mod outbox;
pub mod settings;
