//! Operations over the whole file, above every feature: `tillbook verify`
//! (integrity, references, the audit chain and each feature's drift checks)
//! and the demo shop.

pub mod demo;
pub mod verify;
