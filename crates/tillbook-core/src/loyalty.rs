//! Loyalty: points ledger, earning rules, rewards, claims. (Being built: issue 6.)

use crate::db::Tx;
use crate::error::Result;
use rusqlite::Connection;

/// Called by `sales.checkout` in its transaction, after the order and its lines
/// are written: earns the customer's points for the sale.
pub fn earn_for_order(_tx: &Tx<'_>, _order_id: i64, _user_id: i64, _now_ms: i64) -> Result<()> {
    Ok(())
}

/// Called by `sales.refund` in its transaction, after the refund and its lines
/// are written: takes back the points earned on the refunded lines.
pub fn reverse_for_refund(
    _tx: &Tx<'_>,
    _refund_id: i64,
    _user_id: i64,
    _now_ms: i64,
) -> Result<()> {
    Ok(())
}

/// Checks for `tillbook verify`.
pub fn drift(_conn: &Connection) -> Result<Vec<String>> {
    Ok(Vec::new())
}
