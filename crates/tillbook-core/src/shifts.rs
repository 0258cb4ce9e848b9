//! Shifts at the till, cash in/out, voids and the Z-report. (Being built: issue 5.)

use crate::db::Tx;
use crate::error::Result;
use rusqlite::Connection;

/// Called by `sales.checkout` in its transaction, after the order row is written:
/// ties the order to the cashier's open shift. Returns the shift's id.
pub fn record_sale(_tx: &Tx<'_>, _user_id: i64, _order_id: i64) -> Result<Option<i64>> {
    Ok(None)
}

/// Called by `sales.refund` in its transaction, after the refund row is written.
pub fn record_refund(_tx: &Tx<'_>, _user_id: i64, _refund_id: i64) -> Result<Option<i64>> {
    Ok(None)
}

/// Called by `sales.refund` before anything is written: a voided order can't be refunded.
pub fn ensure_not_voided(_conn: &Connection, _order_id: i64) -> Result<()> {
    Ok(())
}

/// Checks for `tillbook verify`.
pub fn drift(_conn: &Connection) -> Result<Vec<String>> {
    Ok(Vec::new())
}
