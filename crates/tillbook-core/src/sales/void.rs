//! `sales.void`: undoing a sale within its still-open shift.
//!
//! A void is a new record (`order_voids`), never an edit of the order (T31).
//! Every unit goes back to the batch it came from (`return` movements, source
//! `void`), and the order's journal entry is reversed with [`ledger::reverse`].
//! A sale that was refunded, already voided, invoiced, sold outside a shift or
//! whose shift is closed is refused with `conflict` (refund it instead); a
//! voided sale can't be refunded ([`ensure_not_voided`]). The cash the sale
//! kept leaves the drawer again: the shift's expected cash subtracts it
//! (`till`'s Z-report expression), and `tillbook verify` checks voids with the
//! shifts.

use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::ledger;
use crate::loyalty;
use crate::shared::handler::{Request, WriteCtx};
use crate::shared::validate;
use crate::stock::{self, Move, MovementKind, Source};
use crate::till::MAX_REASON_CHARS;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesVoidRequest")]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    pub order_id: i64,
    /// Why the sale is voided: 1 to 200 characters.
    pub reason: String,
}

impl Request for VoidRequest {
    fn validate(&self) -> Result<()> {
        validate::id("order_id", self.order_id)?;
        validate::text("reason", &self.reason, 1, MAX_REASON_CHARS)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesVoidBatchView")]
pub struct VoidBatchView {
    pub order_line_batch_id: i64,
    pub batch_id: i64,
    pub movement_id: i64,
    pub quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesVoidView")]
pub struct VoidView {
    pub id: i64,
    pub order_id: i64,
    pub order_number: i64,
    pub shift_id: i64,
    pub reason: String,
    pub total_minor: i64,
    /// The cash the sale kept, which leaves the drawer again.
    pub cash_minor: i64,
    pub entry_id: Option<i64>,
    pub user_id: i64,
    pub created_at_ms: i64,
    pub batches: Vec<VoidBatchView>,
}

pub fn get_void(conn: &Connection, id: i64) -> Result<VoidView> {
    let mut v = conn
        .prepare_cached(
            "SELECT v.id, v.order_id, o.number, v.shift_id, v.reason, o.total_minor,
                    coalesce((SELECT sum(amount_minor) FROM payments p
                              WHERE p.order_id = v.order_id AND p.tender = 'cash'), 0),
                    v.entry_id, v.user_id, v.created_at_ms
             FROM order_voids v JOIN orders o ON o.id = v.order_id WHERE v.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(VoidView {
                id: r.get(0)?,
                order_id: r.get(1)?,
                order_number: r.get(2)?,
                shift_id: r.get(3)?,
                reason: r.get(4)?,
                total_minor: r.get(5)?,
                cash_minor: r.get(6)?,
                entry_id: r.get(7)?,
                user_id: r.get(8)?,
                created_at_ms: r.get(9)?,
                batches: Vec::new(),
            })
        })
        .optional()?
        .ok_or_else(|| Error::not_found("void", id))?;
    let mut st = conn.prepare_cached(
        "SELECT order_line_batch_id, batch_id, movement_id, quantity
         FROM order_void_batches WHERE void_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([id], |r| {
        Ok(VoidBatchView {
            order_line_batch_id: r.get(0)?,
            batch_id: r.get(1)?,
            movement_id: r.get(2)?,
            quantity: r.get(3)?,
        })
    })?;
    v.batches = rows.collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// Called by `sales.refund` before anything is written: a voided order can't be refunded.
pub fn ensure_not_voided(conn: &Connection, order_id: i64) -> Result<()> {
    let voided: Option<i64> = conn
        .prepare_cached(
            "SELECT o.number FROM order_voids v JOIN orders o ON o.id = v.order_id
             WHERE v.order_id = ?1",
        )?
        .query_row([order_id], |r| r.get(0))
        .optional()?;
    match voided {
        Some(number) => Err(Error::StateConflict {
            message: format!("order {number} was voided; a voided sale can't be refunded"),
        }),
        None => Ok(()),
    }
}

fn conflict(message: String) -> Error {
    Error::StateConflict { message }
}

/// An order a void may undo: its number, its journal entry, and the open
/// shift it was sold in.
struct Voidable {
    order_number: i64,
    entry_id: Option<i64>,
    shift_id: i64,
}

/// The order, if a void may undo it: it exists, is not voided, refunded or
/// invoiced, and was sold in a shift that is still open.
fn voidable(conn: &Connection, order_id: i64) -> Result<Voidable> {
    let (order_number, entry_id): (i64, Option<i64>) = conn
        .prepare_cached("SELECT number, entry_id FROM orders WHERE id = ?1")?
        .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::not_found("order", order_id))?;
    let voided: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM order_voids WHERE order_id = ?1)")?
        .query_row([order_id], |r| r.get(0))?;
    if voided {
        return Err(conflict(format!("order {order_number} is already voided")));
    }
    let refunded: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM refunds WHERE order_id = ?1)")?
        .query_row([order_id], |r| r.get(0))?;
    if refunded {
        return Err(conflict(format!(
            "order {order_number} has a refund and can't be voided; refund the rest instead"
        )));
    }
    // An invoice is a document the customer holds: once billed, a sale is
    // corrected by a refund (a credit on the invoice), not made to vanish.
    let invoiced: Option<i64> = conn
        .prepare_cached(
            "SELECT i.number FROM invoice_orders io JOIN invoices i ON i.id = io.invoice_id
              WHERE io.order_id = ?1",
        )?
        .query_row([order_id], |r| r.get(0))
        .optional()?;
    if let Some(n) = invoiced {
        return Err(conflict(format!(
            "order {order_number} is on invoice {n} and can't be voided; refund it instead"
        )));
    }
    let shift: Option<(i64, i64, String)> = conn
        .prepare_cached(
            "SELECT s.id, s.number, s.status FROM shift_orders so JOIN shifts s ON s.id = so.shift_id
             WHERE so.order_id = ?1",
        )?
        .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match shift {
        None => Err(conflict(format!(
            "order {order_number} was not sold in a shift; refund it instead"
        ))),
        Some((_, number, status)) if status != "open" => Err(conflict(format!(
            "order {order_number} belongs to shift {number}, which is closed; refund it instead"
        ))),
        Some((shift_id, _, _)) => Ok(Voidable {
            order_number,
            entry_id,
            shift_id,
        }),
    }
}

/// Every unit of the order back to the batch it was picked from: a `return`
/// movement (source `void`) and a void batch row per pick.
fn return_stock(
    tx: &Tx<'_>,
    order_id: i64,
    void_id: i64,
    reason: &str,
    user_id: i64,
    now: i64,
) -> Result<()> {
    let picks: Vec<(i64, i64, i64)> = tx
        .conn()
        .prepare_cached(
            "SELECT x.id, x.batch_id, x.quantity FROM order_line_batches x
             JOIN order_lines l ON l.id = x.line_id WHERE l.order_id = ?1 ORDER BY x.id",
        )?
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let source = Source {
        source_type: Some("void".into()),
        source_id: Some(void_id.to_string()),
    };
    for (pick_id, batch_id, qty) in picks {
        let movement_id = stock::move_stock(
            tx,
            &Move {
                batch_id,
                kind: MovementKind::Return,
                quantity: qty,
                reason,
                user_id: Some(user_id),
                source: source.clone(),
                at_ms: now,
            },
        )?;
        tx.execute(
            "INSERT INTO order_void_batches (void_id, order_line_batch_id, batch_id, movement_id,
                                             quantity)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![void_id, pick_id, batch_id, movement_id, qty],
        )?;
    }
    Ok(())
}

/// `sales.void`: see the module documentation.
pub fn void(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &VoidRequest) -> Result<VoidView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let order = voidable(conn, req.order_id)?;
    let void_id: i64 = conn.cached_row(
        "SELECT coalesce(max(id), 0) + 1 FROM order_voids",
        [],
        |r| r.get(0),
    )?;
    let reason = format!("void of order {}: {}", order.order_number, req.reason);
    return_stock(tx, req.order_id, void_id, &reason, actor.user_id, now)?;
    let entry_id = match order.entry_id {
        Some(e) => Some(ledger::reverse(
            tx,
            e,
            now,
            &format!("Void of order {}", order.order_number),
            "order_void",
            void_id,
            actor.user_id,
        )?),
        None => None,
    };
    tx.execute(
        "INSERT INTO order_voids (id, order_id, shift_id, reason, entry_id, user_id, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            void_id,
            req.order_id,
            order.shift_id,
            req.reason,
            entry_id,
            actor.user_id,
            now
        ],
    )
    // The schema's guards (already voided, refunded, shift closed) re-check the
    // same rules; reaching one here means a racing writer got there first.
    .on_constraint(ConstraintKind::Unique, || {
        conflict(format!("order {} is already voided", order.order_number))
    })?;
    // The sale never happened: its points and any reward it used go back too.
    loyalty::reverse_for_void(tx, void_id, actor.user_id, now)?;
    let view = get_void(conn, void_id)?;
    ctx.audit(
        "order_void",
        void_id,
        json!({
            "order_id": req.order_id,
            "order_number": order.order_number,
            "shift_id": order.shift_id,
            "reason": req.reason,
            "total_minor": view.total_minor,
            "cash_minor": view.cash_minor,
            "entry_id": entry_id,
        }),
    );
    ctx.emit(
        "sale.voided",
        "order",
        req.order_id,
        json!({
            "void_id": void_id,
            "number": order.order_number,
            "shift_id": order.shift_id,
            "total_minor": view.total_minor,
            "created_at_ms": now,
        }),
    );
    Ok(view)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn t35_void_requests_refuse_unknown_fields_and_bad_values() {
        assert!(serde_json::from_str::<VoidRequest>(
            r#"{"order_id":1,"reason":"wrong till","shift_id":2}"#
        )
        .is_err());
        let v = VoidRequest {
            order_id: 1,
            reason: String::new(),
        };
        assert!(v.validate().is_err());
    }
}
