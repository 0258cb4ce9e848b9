//! Which drawer a user's cash goes into, and the one check that a sale, a
//! refund or a payment on account taking or giving cash has one.
//!
//! # The drawer is the till's
//!
//! A shift is opened by one user (their count of the float) and a user has at
//! most one open shift. With staff switching by PIN on one shared till, the
//! person ringing up a sale is often not the one who opened the drawer, yet
//! the cash goes into that same drawer. So a user's cash goes to
//! [`drawer_shift_id`]: their own open shift if they have one (a till of their
//! own), otherwise the shop's one open shift when exactly one is open (the
//! shared till). With two or more shifts open and none of them the user's,
//! the drawer is ambiguous and cash is refused, so no sale lands in the wrong
//! drawer's Z-report. The Z-report still counts everything attached to the
//! shift, whoever rang it up, so expected cash stays what the drawer holds.

use crate::db::Tx;
use crate::error::{Error, Result};
use crate::shared::settings::Settings;
use rusqlite::{Connection, OptionalExtension};

/// The refusal's words, shown as they are by the till.
const NO_DRAWER_MESSAGE: &str = "Open a shift (count the float) before taking cash";

/// The open shift whose drawer takes `user_id`'s cash, if there is one (see
/// the module docs).
pub fn drawer_shift_id(conn: &Connection, user_id: i64) -> Result<Option<i64>> {
    let own: Option<i64> = conn
        .prepare_cached("SELECT id FROM shifts WHERE user_id = ?1 AND status = 'open'")?
        .query_row([user_id], |r| r.get(0))
        .optional()?;
    if own.is_some() {
        return Ok(own);
    }
    // At most two rows: one means the shared till's drawer, two means ambiguous.
    let open: Vec<i64> = conn
        .prepare_cached("SELECT id FROM shifts WHERE status = 'open' ORDER BY id LIMIT 2")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(match open.as_slice() {
        [only] => Some(*only),
        _ => None,
    })
}

/// What money a sale, refund or payment moves, for [`require_drawer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CashUse {
    /// Some of it is cash into or out of the drawer.
    Cash,
    /// None of it is cash (card, account, store credit, bank).
    NoCash,
}

impl CashUse {
    /// `Cash` when any of the money is cash.
    pub fn when(any_cash: bool) -> CashUse {
        if any_cash {
            CashUse::Cash
        } else {
            CashUse::NoCash
        }
    }
}

/// The one drawer check, called by checkout, refunds and payments on account in
/// their own transaction: cash needs an open drawer; a sale without cash needs
/// one too unless the shop allows card-only selling without a shift
/// (`sell_card_without_shift`). Refunds and account payments without cash
/// never need one (`needs_shift_without_cash = false`). Returns the drawer's
/// shift, if any.
pub fn require_drawer(
    tx: &Tx<'_>,
    user_id: i64,
    cash: CashUse,
    needs_shift_without_cash: bool,
    settings: &Settings,
) -> Result<Option<i64>> {
    let shift = drawer_shift_id(tx.conn(), user_id)?;
    if shift.is_some() {
        return Ok(shift);
    }
    let refused = match cash {
        CashUse::Cash => true,
        CashUse::NoCash => needs_shift_without_cash && !settings.sell_card_without_shift,
    };
    if refused {
        let message = match cash {
            CashUse::Cash => NO_DRAWER_MESSAGE.to_owned(),
            CashUse::NoCash => "Open a shift (count the float) before selling".to_owned(),
        };
        return Err(Error::StateConflict { message });
    }
    Ok(None)
}
