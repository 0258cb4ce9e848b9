//! What the stock commands return: batches, movements and reservations as read.

use crate::error::{Error, Result};
use crate::stock::movements::MovementKind;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct BatchView {
    pub id: i64,
    pub product_id: i64,
    pub lot_code: String,
    pub expires_on: Option<String>,
    pub unit_cost_minor: i64,
    pub received_quantity: i64,
    pub received_at_ms: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
}

pub(super) const BATCH_COLUMNS: &str = "id, product_id, lot_code, expires_on, unit_cost_minor,
    received_quantity, received_at_ms, on_hand, reserved";

pub(super) fn batch_of(r: &Row<'_>) -> rusqlite::Result<BatchView> {
    let on_hand: i64 = r.get(7)?;
    let reserved: i64 = r.get(8)?;
    Ok(BatchView {
        id: r.get(0)?,
        product_id: r.get(1)?,
        lot_code: r.get(2)?,
        expires_on: r.get(3)?,
        unit_cost_minor: r.get(4)?,
        received_quantity: r.get(5)?,
        received_at_ms: r.get(6)?,
        on_hand,
        reserved,
        available: on_hand - reserved,
    })
}

pub fn get_batch(conn: &Connection, id: i64) -> Result<BatchView> {
    conn.prepare_cached(&format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1"
    ))?
    .query_row([id], batch_of)
    .optional()?
    .ok_or_else(|| Error::not_found("batch", id))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct MovementView {
    pub id: i64,
    pub batch_id: i64,
    pub product_id: i64,
    pub kind: MovementKind,
    pub quantity: i64,
    pub reason: String,
    pub user_id: Option<i64>,
    pub source_type: Option<String>,
    pub source_id: Option<String>,
    pub at_ms: i64,
}

pub(super) fn movement_of(r: &Row<'_>) -> rusqlite::Result<MovementView> {
    Ok(MovementView {
        id: r.get(0)?,
        batch_id: r.get(1)?,
        product_id: r.get(2)?,
        kind: MovementKind::parse(&r.get::<_, String>(3)?),
        quantity: r.get(4)?,
        reason: r.get(5)?,
        user_id: r.get(6)?,
        source_type: r.get(7)?,
        source_id: r.get(8)?,
        at_ms: r.get(9)?,
    })
}

pub(super) const MOVEMENT_SELECT: &str =
    "SELECT m.id, m.batch_id, b.product_id, m.kind, m.quantity, m.reason,
    m.user_id, m.source_type, m.source_id, m.at_ms
    FROM stock_movements m JOIN batches b ON b.id = m.batch_id";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReservationView {
    pub id: i64,
    pub batch_id: i64,
    pub quantity: i64,
    pub holder: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub released_at_ms: Option<i64>,
    pub release_reason: Option<String>,
}

pub fn get_reservation(conn: &Connection, id: i64) -> Result<ReservationView> {
    conn.prepare_cached(
        "SELECT id, batch_id, quantity, holder, created_at_ms, expires_at_ms, released_at_ms, release_reason
         FROM stock_reservations WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(ReservationView {
            id: r.get(0)?,
            batch_id: r.get(1)?,
            quantity: r.get(2)?,
            holder: r.get(3)?,
            created_at_ms: r.get(4)?,
            expires_at_ms: r.get(5)?,
            released_at_ms: r.get(6)?,
            release_reason: r.get(7)?,
        })
    })
    .optional()?
    .ok_or_else(|| Error::not_found("reservation", id))
}
