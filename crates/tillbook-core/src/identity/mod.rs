//! Who may use the till: first-run setup and the shop's identity, sign-in with
//! lockout and the idle lock (Argon2id), and the users and their roles.

pub mod approval;
pub mod auth;
pub mod countries;
pub mod setup;
pub mod users;
