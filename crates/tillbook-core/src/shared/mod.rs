//! The bottom of the domain: what every feature folder uses and nothing that
//! knows a feature. Handlers' contexts and requests, roles and permissions, the
//! typed settings, money and its one rounding rule, boundary validation, and
//! civil dates.

pub mod access;
pub mod calendar;
pub mod denominations;
pub mod findings;
pub mod handler;
pub mod money;
pub mod settings;
pub mod validate;
