//! The till: cashiers' shifts, cash in and out of the drawer, the
//! close with the counted cash, and the Z-report.
//!
//! `no_sale` (the drawer opened without a sale, audited),
//! `drawer` (which open shift takes a user's cash, and the one check that
//! cash has a drawer: [`require_drawer`]), `shifts` (open, current, cash moves, close, list, and the hooks
//! [`record_sale`] / [`record_refund`] that checkout and refunds call in their
//! transaction), `z_report` (the Z-report and the one expression of the cash a
//! drawer should hold) and `verify` (the shift and void checks of
//! `tillbook verify`).
//!
//! The till knows sales only as rows (a shift's orders, refunds and voids, in
//! SQL); it calls nothing in `sales`. Sales call the till's hooks, and
//! `sales.void` lives with the sales.

mod drawer;
mod no_sale;
mod shifts;
mod verify;
mod z_report;

pub use drawer::{require_drawer, CashUse};
pub use no_sale::no_sale;
pub use shifts::{
    cash_move, close, current, list, open, record_customer_payment, record_refund, record_sale,
    MAX_REASON_CHARS,
};
pub use verify::drift;
pub use z_report::z_report;
