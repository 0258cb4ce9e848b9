//! What `tillbook verify` recomputes for stock.

use crate::error::Result;
use rusqlite::Connection;

/// Checks every batch: on-hand equals the sum of its movements and is ≥ 0,
/// reserved equals its open reservations and is ≤ on-hand. Returns the drifts.
pub fn reconcile(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT b.id, b.on_hand, b.reserved,
                coalesce((SELECT sum(quantity) FROM stock_movements m WHERE m.batch_id = b.id), 0),
                coalesce((SELECT sum(quantity) FROM stock_reservations r
                          WHERE r.batch_id = b.id AND r.released_at_ms IS NULL), 0)
         FROM batches b ORDER BY b.id",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    let mut drift = Vec::new();
    for row in rows {
        let (id, on_hand, reserved, moved, held) = row?;
        if on_hand != moved || on_hand < 0 {
            drift.push(format!(
                "batch {id}: on_hand {on_hand}, movements sum {moved}"
            ));
        }
        if reserved != held || reserved < 0 || reserved > on_hand {
            drift.push(format!(
                "batch {id}: reserved {reserved}, open reservations {held}, on_hand {on_hand}"
            ));
        }
    }
    Ok(drift)
}
