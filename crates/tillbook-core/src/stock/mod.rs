//! Inventory: batches (lots), stock movements, reservations and stock counts.
//!
//! Every change of quantity is a `stock_movements` row; a batch's `on_hand` is
//! the sum of its movements, cached on the batch by a trigger in the same
//! statement, with `CHECK (on_hand >= 0)` and `CHECK (reserved <= on_hand)`.
//! Those CHECKs are the lock (D01, T17): two tills — in one process or two —
//! can't reserve or sell the last unit twice, because the second transaction's
//! statement fails the CHECK and becomes `insufficient_stock`.
//!
//! Other modules (sales, purchase receipts) call [`receive_batch`],
//! [`pick_batches`], [`move_stock`] (or [`move_picked`]), [`reserve`] and [`release`] inside their
//! own transaction.

use crate::catalog;
use crate::catalog::pricing::MAX_QUANTITY;
use crate::db::rows::{next_number, Versioned};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

const COUNTS: Versioned = Versioned {
    table: "stock_counts",
    entity: "stock_count",
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    Receive,
    Sale,
    Return,
    Adjustment,
    CountVariance,
    Sample,
    Damage,
    WriteOff,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receive => "receive",
            MovementKind::Sale => "sale",
            MovementKind::Return => "return",
            MovementKind::Adjustment => "adjustment",
            MovementKind::CountVariance => "count_variance",
            MovementKind::Sample => "sample",
            MovementKind::Damage => "damage",
            MovementKind::WriteOff => "write_off",
        }
    }

    fn parse(s: &str) -> MovementKind {
        match s {
            "receive" => MovementKind::Receive,
            "sale" => MovementKind::Sale,
            "return" => MovementKind::Return,
            "count_variance" => MovementKind::CountVariance,
            "sample" => MovementKind::Sample,
            "damage" => MovementKind::Damage,
            "write_off" => MovementKind::WriteOff,
            _ => MovementKind::Adjustment,
        }
    }

    /// +1: only inbound, -1: only outbound, 0: either way.
    fn sign(self) -> i64 {
        match self {
            MovementKind::Receive | MovementKind::Return => 1,
            MovementKind::Sale
            | MovementKind::Sample
            | MovementKind::Damage
            | MovementKind::WriteOff => -1,
            MovementKind::Adjustment | MovementKind::CountVariance => 0,
        }
    }
}

/// The document a movement belongs to (a sale, a receipt, a count …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub source_type: Option<String>,
    pub source_id: Option<String>,
}

/// One stock movement to record.
#[derive(Clone, Debug)]
pub struct Move<'a> {
    pub batch_id: i64,
    pub kind: MovementKind,
    /// Signed: positive into stock, negative out of it.
    pub quantity: i64,
    pub reason: &'a str,
    pub user_id: Option<i64>,
    pub source: Source,
    pub at_ms: i64,
}

fn check_quantity(field: &str, q: i64) -> Result<()> {
    if !(1..=MAX_QUANTITY).contains(&q) {
        return Err(Error::validation(
            field,
            format!("must be 1 to {MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

fn check_reason(r: &str) -> Result<()> {
    validate::text("reason", r, 1, 500)
}

fn insufficient(batch_id: i64) -> Error {
    Error::InsufficientStock {
        message: format!("batch {batch_id} has too little available stock"),
    }
}

/// Releases the batch's reservations that expired by `now_ms` (all batches when
/// `batch_id` is None). Called by every write that touches a batch, in its
/// transaction, so an expired hold never blocks stock. Returns how many.
pub fn release_expired(tx: &Tx<'_>, batch_id: Option<i64>, now_ms: i64) -> Result<usize> {
    let due: bool = tx.conn().cached_row(
        "SELECT EXISTS (SELECT 1 FROM stock_reservations
          WHERE released_at_ms IS NULL AND expires_at_ms <= ?1 AND (?2 IS NULL OR batch_id = ?2))",
        rusqlite::params![now_ms, batch_id],
        |r| r.get(0),
    )?;
    if !due {
        return Ok(0);
    }
    Ok(tx.execute(
        "UPDATE stock_reservations SET released_at_ms = ?1, release_reason = 'expired'
          WHERE released_at_ms IS NULL AND expires_at_ms <= ?1 AND (?2 IS NULL OR batch_id = ?2)",
        rusqlite::params![now_ms, batch_id],
    )?)
}

/// Records one movement and updates the batch's cached on-hand in the same
/// statement. Going below zero (or below what is reserved) is
/// `insufficient_stock`; nothing is written.
pub fn move_stock(tx: &Tx<'_>, m: &Move<'_>) -> Result<i64> {
    check_move(m)?;
    let exists: bool = tx.conn().cached_row(
        "SELECT EXISTS (SELECT 1 FROM batches WHERE id = ?1)",
        [m.batch_id],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(Error::not_found("batch", m.batch_id));
    }
    if m.quantity < 0 {
        release_expired(tx, Some(m.batch_id), m.at_ms)?;
    }
    insert_movement(tx, m)
}

/// [`move_stock`] for a batch [`pick_batches`] chose earlier in the same
/// transaction: the pick has already shown that the batch exists and whether
/// it holds expired reservations to release, so the two reads `move_stock`
/// makes for an arbitrary batch are skipped (a checkout moves stock once per
/// picked batch, and each read was measurable; docs/BENCHMARKS.md).
pub fn move_picked(tx: &Tx<'_>, pick: &Pick, m: &Move<'_>) -> Result<i64> {
    if pick.batch_id != m.batch_id || pick.quantity != -m.quantity {
        return Err(Error::internal(format!(
            "a movement of {} from batch {} does not match the pick of {} from batch {}",
            -m.quantity, m.batch_id, pick.quantity, pick.batch_id
        )));
    }
    check_move(m)?;
    if pick.expired_reserved > 0 {
        release_expired(tx, Some(m.batch_id), m.at_ms)?;
    }
    insert_movement(tx, m)
}

fn check_move(m: &Move<'_>) -> Result<()> {
    if m.quantity == 0 || m.quantity.abs() > MAX_QUANTITY {
        return Err(Error::validation(
            "quantity",
            format!("must be 1 to {MAX_QUANTITY} units"),
        ));
    }
    let sign = m.kind.sign();
    if sign != 0 && m.quantity.signum() != sign {
        return Err(Error::internal(format!(
            "a {} movement cannot have quantity {}",
            m.kind.as_str(),
            m.quantity
        )));
    }
    check_reason(m.reason)?;
    check_source(&m.source)
}

fn insert_movement(tx: &Tx<'_>, m: &Move<'_>) -> Result<i64> {
    tx.execute_returning(
        "INSERT INTO stock_movements (batch_id, kind, quantity, reason, user_id, source_type, source_id, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        rusqlite::params![
            m.batch_id,
            m.kind.as_str(),
            m.quantity,
            m.reason,
            m.user_id,
            m.source.source_type,
            m.source.source_id,
            m.at_ms
        ],
        |r| r.get(0),
    )
    .on_constraint(ConstraintKind::Check, || insufficient(m.batch_id))
}

/// A new batch to receive.
#[derive(Clone, Debug)]
pub struct Receipt<'a> {
    pub product_id: i64,
    pub lot_code: &'a str,
    pub expires_on: Option<&'a str>,
    pub unit_cost_minor: i64,
    pub quantity: i64,
    pub reason: &'a str,
    pub user_id: Option<i64>,
    pub source: Source,
    pub at_ms: i64,
}

/// Creates a batch and its `receive` movement; returns the batch id.
pub fn receive_batch(tx: &Tx<'_>, r: &Receipt<'_>) -> Result<i64> {
    validate::text("lot_code", r.lot_code, 1, 64)?;
    if let Some(d) = r.expires_on {
        check_date("expires_on", d)?;
    }
    catalog::check_amount("unit_cost_minor", r.unit_cost_minor)?;
    check_quantity("quantity", r.quantity)?;
    check_source(&r.source)?;
    catalog::require_active(tx.conn(), r.product_id)?;
    let batch_id: i64 = tx.execute_returning(
        "INSERT INTO batches (product_id, lot_code, expires_on, unit_cost_minor, received_quantity,
                              received_at_ms, received_by, source_type, source_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        rusqlite::params![
            r.product_id,
            r.lot_code,
            r.expires_on,
            r.unit_cost_minor,
            r.quantity,
            r.at_ms,
            r.user_id,
            r.source.source_type,
            r.source.source_id
        ],
        |row| row.get(0),
    )?;
    move_stock(
        tx,
        &Move {
            batch_id,
            kind: MovementKind::Receive,
            quantity: r.quantity,
            reason: r.reason,
            user_id: r.user_id,
            source: r.source.clone(),
            at_ms: r.at_ms,
        },
    )?;
    Ok(batch_id)
}

/// One batch [`pick_batches`] takes units from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub batch_id: i64,
    pub quantity: i64,
    pub unit_cost_minor: i64,
    /// Units of the batch held by reservations that expired by the pick's
    /// `now_ms` but are not released yet: counted as available, so the write
    /// that takes them must release those reservations first.
    pub expired_reserved: i64,
}

/// Which batches to take `quantity` units of `product_id` from: FEFO (earliest
/// expiry first, batches without expiry last), then FIFO by receipt. Counts
/// reservations that expired by `now_ms` as available (the write that follows
/// releases them). Not enough available stock is `insufficient_stock`.
pub fn pick_batches(
    conn: &Connection,
    product_id: i64,
    quantity: i64,
    now_ms: i64,
) -> Result<Vec<Pick>> {
    check_quantity("quantity", quantity)?;
    let mut st = conn.prepare_cached(
        "SELECT b.id, b.on_hand - b.reserved, b.unit_cost_minor,
                coalesce((SELECT sum(r.quantity) FROM stock_reservations r
                           WHERE r.batch_id = b.id AND r.released_at_ms IS NULL
                             AND r.expires_at_ms <= ?2), 0)
         FROM batches b WHERE b.product_id = ?1 AND b.on_hand > 0
         ORDER BY b.expires_on IS NULL, b.expires_on, b.received_at_ms, b.id",
    )?;
    let rows = st.query_map(rusqlite::params![product_id, now_ms], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut left = quantity;
    let mut picks = Vec::new();
    for row in rows {
        let (batch_id, free, unit_cost_minor, expired_reserved) = row?;
        if left == 0 {
            break;
        }
        let take = (free + expired_reserved).min(left);
        if take > 0 {
            picks.push(Pick {
                batch_id,
                quantity: take,
                unit_cost_minor,
                expired_reserved,
            });
            left -= take;
        }
    }
    if left > 0 {
        return Err(Error::InsufficientStock {
            message: format!(
                "product {product_id} has {} of {quantity} available",
                quantity - left
            ),
        });
    }
    Ok(picks)
}

/// Holds `quantity` of a batch until `expires_at_ms`; returns the reservation id.
pub fn reserve(
    tx: &Tx<'_>,
    batch_id: i64,
    quantity: i64,
    holder: &str,
    user_id: Option<i64>,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<i64> {
    check_quantity("quantity", quantity)?;
    validate::text("holder", holder, 1, 100)?;
    if expires_at_ms <= now_ms {
        return Err(Error::validation("expires_at_ms", "must be in the future"));
    }
    let exists: bool = tx.conn().cached_row(
        "SELECT EXISTS (SELECT 1 FROM batches WHERE id = ?1)",
        [batch_id],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(Error::not_found("batch", batch_id));
    }
    release_expired(tx, Some(batch_id), now_ms)?;
    tx.execute_returning(
        "INSERT INTO stock_reservations (batch_id, quantity, holder, user_id, created_at_ms, expires_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        rusqlite::params![batch_id, quantity, holder, user_id, now_ms, expires_at_ms],
        |r| r.get(0),
    )
    .on_constraint(ConstraintKind::Check, || insufficient(batch_id))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    Released,
    Expired,
    Consumed,
    Count,
}

impl ReleaseReason {
    fn as_str(self) -> &'static str {
        match self {
            ReleaseReason::Released => "released",
            ReleaseReason::Expired => "expired",
            ReleaseReason::Consumed => "consumed",
            ReleaseReason::Count => "count",
        }
    }
}

/// Releases one open reservation. Already released is `conflict`.
pub fn release(
    tx: &Tx<'_>,
    reservation_id: i64,
    reason: ReleaseReason,
    now_ms: i64,
) -> Result<ReservationView> {
    let r = get_reservation(tx.conn(), reservation_id)?;
    if r.released_at_ms.is_some() {
        return Err(Error::StateConflict {
            message: format!("reservation {reservation_id} was already released"),
        });
    }
    tx.execute(
        "UPDATE stock_reservations SET released_at_ms = ?2, release_reason = ?3 WHERE id = ?1",
        rusqlite::params![reservation_id, now_ms, reason.as_str()],
    )?;
    get_reservation(tx.conn(), reservation_id)
}

/// Reserves `quantity` of a product across its batches, FEFO then FIFO (for a
/// held or parked sale); returns `(reservation id, batch id, quantity)` for
/// each batch used. All or nothing within the caller's transaction.
#[allow(clippy::too_many_arguments)] // the plain inputs of one reservation
pub fn reserve_product(
    tx: &Tx<'_>,
    product_id: i64,
    quantity: i64,
    holder: &str,
    user_id: Option<i64>,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<Vec<(i64, i64, i64)>> {
    let picks = pick_batches(tx.conn(), product_id, quantity, now_ms)?;
    picks
        .into_iter()
        .map(|p| {
            reserve(
                tx,
                p.batch_id,
                p.quantity,
                holder,
                user_id,
                now_ms,
                expires_at_ms,
            )
            .map(|id| (id, p.batch_id, p.quantity))
        })
        .collect()
}

/// Completes a held sale's line: releases the reservation as `consumed` and
/// records the `sale` movement of the same batch and quantity, in the caller's
/// transaction. Returns the movement id.
pub fn consume_reservation(
    tx: &Tx<'_>,
    reservation_id: i64,
    user_id: Option<i64>,
    source: Source,
    now_ms: i64,
) -> Result<i64> {
    let r = release(tx, reservation_id, ReleaseReason::Consumed, now_ms)?;
    move_stock(
        tx,
        &Move {
            batch_id: r.batch_id,
            kind: MovementKind::Sale,
            quantity: -r.quantity,
            reason: "sale",
            user_id,
            source,
            at_ms: now_ms,
        },
    )
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

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

const BATCH_COLUMNS: &str = "id, product_id, lot_code, expires_on, unit_cost_minor,
    received_quantity, received_at_ms, on_hand, reserved";

fn batch_of(r: &Row<'_>) -> rusqlite::Result<BatchView> {
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

fn movement_of(r: &Row<'_>) -> rusqlite::Result<MovementView> {
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

const MOVEMENT_SELECT: &str = "SELECT m.id, m.batch_id, b.product_id, m.kind, m.quantity, m.reason,
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

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

fn check_date(field: &str, d: &str) -> Result<()> {
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let (m, day) = if ok {
        (
            d[5..7].parse::<u32>().unwrap_or(0),
            d[8..10].parse::<u32>().unwrap_or(0),
        )
    } else {
        (0, 0)
    };
    if !ok || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return Err(Error::validation(field, "must be a date like 2026-12-31"));
    }
    Ok(())
}

fn check_source(s: &Source) -> Result<()> {
    if let Some(t) = &s.source_type {
        validate::text("source_type", t, 1, 32)?;
    }
    if let Some(i) = &s.source_id {
        validate::text("source_id", i, 1, 64)?;
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    pub product_id: i64,
    pub lot_code: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub expires_on: Option<String>,
    pub unit_cost_minor: i64,
    pub quantity: i64,
    #[serde(default = "opening_stock")]
    #[ts(optional = nullable)]
    pub reason: String,
}

fn opening_stock() -> String {
    "opening stock".into()
}

impl Request for ReceiveRequest {
    fn validate(&self) -> Result<()> {
        validate::id("product_id", self.product_id)?;
        validate::text("lot_code", &self.lot_code, 1, 64)?;
        if let Some(d) = &self.expires_on {
            check_date("expires_on", d)?;
        }
        catalog::check_amount("unit_cost_minor", self.unit_cost_minor)?;
        check_quantity("quantity", self.quantity)?;
        check_reason(&self.reason)
    }
}

/// `stock.receive`: opening stock (no vendor): a new batch and its movement.
pub fn receive_cmd(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &ReceiveRequest) -> Result<BatchView> {
    let actor = ctx.actor()?;
    let id = receive_batch(
        tx,
        &Receipt {
            product_id: req.product_id,
            lot_code: &req.lot_code,
            expires_on: req.expires_on.as_deref(),
            unit_cost_minor: req.unit_cost_minor,
            quantity: req.quantity,
            reason: &req.reason,
            user_id: Some(actor.user_id),
            source: Source {
                source_type: Some("opening_stock".into()),
                source_id: None,
            },
            at_ms: ctx.now_ms,
        },
    )
    .map_err(|e| match e {
        Error::NotFound { .. } => Error::validation("product_id", "no such product"),
        other => other,
    })?;
    let batch = get_batch(tx.conn(), id)?;
    ctx.audit("batch", id, json!(batch));
    ctx.emit("stock.received", "batch", id, json!(batch));
    Ok(batch)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum AdjustKind {
    Adjustment,
    Sample,
    Damage,
    WriteOff,
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct AdjustRequest {
    pub batch_id: i64,
    pub kind: AdjustKind,
    /// Signed for `adjustment`; a positive count of units taken out for the others.
    pub quantity: i64,
    pub reason: String,
}

impl Request for AdjustRequest {
    fn validate(&self) -> Result<()> {
        validate::id("batch_id", self.batch_id)?;
        if self.kind == AdjustKind::Adjustment {
            if self.quantity == 0 || self.quantity.abs() > MAX_QUANTITY {
                return Err(Error::validation(
                    "quantity",
                    format!("must be non-zero, at most {MAX_QUANTITY} either way"),
                ));
            }
        } else {
            check_quantity("quantity", self.quantity)?;
        }
        check_reason(&self.reason)
    }
}

/// `stock.adjust`: adjustment (±), sample, damage or write-off of one batch (T30).
pub fn adjust_cmd(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &AdjustRequest,
) -> Result<MovementView> {
    let actor = ctx.actor()?;
    let (kind, quantity) = match req.kind {
        AdjustKind::Adjustment => (MovementKind::Adjustment, req.quantity),
        AdjustKind::Sample => (MovementKind::Sample, -req.quantity),
        AdjustKind::Damage => (MovementKind::Damage, -req.quantity),
        AdjustKind::WriteOff => (MovementKind::WriteOff, -req.quantity),
    };
    let id = move_stock(
        tx,
        &Move {
            batch_id: req.batch_id,
            kind,
            quantity,
            reason: &req.reason,
            user_id: Some(actor.user_id),
            source: Source::default(),
            at_ms: ctx.now_ms,
        },
    )?;
    let m = tx.conn().cached_row(
        &format!("{MOVEMENT_SELECT} WHERE m.id = ?1"),
        [id],
        movement_of,
    )?;
    ctx.audit("batch", req.batch_id, json!(m));
    ctx.emit("stock.moved", "batch", req.batch_id, json!(m));
    Ok(m)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct BatchesRequest {
    pub product_id: i64,
    /// Include batches with nothing on hand.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub include_empty: bool,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for BatchesRequest {
    fn validate(&self) -> Result<()> {
        validate::id("product_id", self.product_id)?;
        validate::page_limit(self.limit, 200)
    }
}

/// `stock.batches`: a product's batches in id order (keyset paging).
pub fn batches_cmd(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &BatchesRequest,
) -> Result<Vec<BatchView>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE product_id = ?1 AND (?2 OR on_hand > 0)
         AND id > ?3 ORDER BY id LIMIT ?4"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            req.product_id,
            req.include_empty,
            req.after_id.unwrap_or(0),
            req.limit.unwrap_or(200)
        ],
        batch_of,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct MovementsRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub batch_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub product_id: Option<i64>,
    /// Keyset paging, newest first: movements with a smaller id than this.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for MovementsRequest {
    fn validate(&self) -> Result<()> {
        match (self.batch_id, self.product_id) {
            (Some(b), None) => validate::id("batch_id", b)?,
            (None, Some(p)) => validate::id("product_id", p)?,
            _ => {
                return Err(Error::validation(
                    "batch_id",
                    "give either batch_id or product_id",
                ))
            }
        }
        validate::page_limit(self.limit, 500)
    }
}

/// `stock.movements`: a batch's or product's movements, newest first.
pub fn movements_cmd(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &MovementsRequest,
) -> Result<Vec<MovementView>> {
    let mut st = conn.prepare_cached(&format!(
        "{MOVEMENT_SELECT} WHERE (?1 IS NULL OR m.batch_id = ?1) AND (?2 IS NULL OR b.product_id = ?2)
         AND m.id < ?3 ORDER BY m.id DESC LIMIT ?4"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            req.batch_id,
            req.product_id,
            req.before_id.unwrap_or(i64::MAX),
            req.limit.unwrap_or(100)
        ],
        movement_of,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    pub batch_id: i64,
    pub quantity: i64,
    /// What holds it: a parked sale's reference.
    pub holder: String,
}

impl Request for ReserveRequest {
    fn validate(&self) -> Result<()> {
        validate::id("batch_id", self.batch_id)?;
        check_quantity("quantity", self.quantity)?;
        validate::text("holder", &self.holder, 1, 100)
    }
}

/// `stock.reserve`: holds stock for `reservation_ttl_ms` (T17).
pub fn reserve_cmd(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ReserveRequest,
) -> Result<ReservationView> {
    let actor = ctx.actor()?;
    let expires = ctx.now_ms.saturating_add(ctx.settings.reservation_ttl_ms);
    let id = reserve(
        tx,
        req.batch_id,
        req.quantity,
        &req.holder,
        Some(actor.user_id),
        ctx.now_ms,
        expires,
    )?;
    let r = get_reservation(tx.conn(), id)?;
    ctx.audit("reservation", id, json!(r));
    ctx.emit("stock.reserved", "reservation", id, json!(r));
    Ok(r)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    pub id: i64,
}

impl Request for ReleaseRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)
    }
}

/// `stock.release`
pub fn release_cmd(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ReleaseRequest,
) -> Result<ReservationView> {
    let r = release(tx, req.id, ReleaseReason::Released, ctx.now_ms)?;
    ctx.audit("reservation", req.id, json!(r));
    ctx.emit("stock.released", "reservation", req.id, json!(r));
    Ok(r)
}

/// What `stock.expire_reservations` answers: how many reservations it released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExpiredReservations {
    pub released: usize,
}

/// `stock.expire_reservations`: releases every reservation past its expiry.
pub fn expire_cmd(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    _req: &crate::shared::handler::NoArgs,
) -> Result<ExpiredReservations> {
    let n = release_expired(tx, None, ctx.now_ms)?;
    ctx.audit("reservation", "*", json!({ "expired": n }));
    if n > 0 {
        ctx.emit(
            "stock.reservations_expired",
            "reservation",
            "*",
            json!({ "released": n }),
        );
    }
    Ok(ExpiredReservations { released: n })
}

// ---------------------------------------------------------------------------
// Stock counts
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct CountView {
    pub id: i64,
    pub number: i64,
    pub status: String,
    pub note: String,
    pub opened_at_ms: i64,
    pub posted_at_ms: Option<i64>,
    pub version: i64,
}

pub fn get_count(conn: &Connection, id: i64) -> Result<CountView> {
    conn.cached_row(
        "SELECT id, number, status, note, opened_at_ms, posted_at_ms, version FROM stock_counts WHERE id = ?1",
        [id],
        |r| {
            Ok(CountView {
                id: r.get(0)?,
                number: r.get(1)?,
                status: r.get(2)?,
                note: r.get(3)?,
                opened_at_ms: r.get(4)?,
                posted_at_ms: r.get(5)?,
                version: r.get(6)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| Error::not_found("stock_count", id))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CountOpenRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub note: String,
}

impl Request for CountOpenRequest {
    fn validate(&self) -> Result<()> {
        if !self.note.is_empty() {
            validate::text("note", &self.note, 1, 500)?;
        }
        Ok(())
    }
}

/// `stock.count_open`
pub fn count_open(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CountOpenRequest,
) -> Result<CountView> {
    let actor = ctx.actor()?;
    let number = next_number(tx, "stock_count")?;
    let id: i64 = tx.execute_returning(
        "INSERT INTO stock_counts (number, status, note, opened_by, opened_at_ms, updated_at_ms)
         VALUES (?1, 'open', ?2, ?3, ?4, ?4) RETURNING id",
        rusqlite::params![number, req.note, actor.user_id, ctx.now_ms],
        |r| r.get(0),
    )?;
    let c = get_count(tx.conn(), id)?;
    ctx.audit("stock_count", id, json!(c));
    ctx.emit("stock_count.opened", "stock_count", id, json!(c));
    Ok(c)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CountRecordRequest {
    pub count_id: i64,
    /// The scanned barcode; or give `batch_id`.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub barcode: Option<String>,
    /// Needed when the scanned product has more than one batch in stock.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub batch_id: Option<i64>,
    pub counted: i64,
    /// Add to what was already recorded for the batch (one scan = one unit)
    /// instead of replacing it.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub add: bool,
}

impl Request for CountRecordRequest {
    fn validate(&self) -> Result<()> {
        validate::id("count_id", self.count_id)?;
        if let Some(b) = &self.barcode {
            validate::text("barcode", b, 1, 64)?;
        }
        if let Some(b) = self.batch_id {
            validate::id("batch_id", b)?;
        }
        if self.barcode.is_none() && self.batch_id.is_none() {
            return Err(Error::validation("barcode", "give a barcode or a batch_id"));
        }
        if !(0..=MAX_QUANTITY).contains(&self.counted) {
            return Err(Error::validation(
                "counted",
                format!("must be 0 to {MAX_QUANTITY}"),
            ));
        }
        Ok(())
    }
}

fn require_open(tx: &Tx<'_>, count_id: i64) -> Result<CountView> {
    let c = get_count(tx.conn(), count_id)?;
    if c.status != "open" {
        return Err(Error::StateConflict {
            message: format!("stock count {} is already posted", c.number),
        });
    }
    Ok(c)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct CountLineView {
    pub batch_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub lot_code: String,
    pub counted: i64,
    /// The books: current on-hand while open, the on-hand at posting once posted.
    pub expected: i64,
    pub variance: i64,
    pub movement_id: Option<i64>,
}

/// `stock.count_record`: one scan or typed quantity for one batch. Each record
/// bumps the count's version, so posting names the state that was reviewed.
pub fn count_record(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CountRecordRequest,
) -> Result<CountLineView> {
    let actor = ctx.actor()?;
    let count = require_open(tx, req.count_id)?;
    let batch_id = match (req.batch_id, &req.barcode) {
        (Some(b), barcode) => {
            let batch = get_batch(tx.conn(), b)
                .map_err(|_| Error::validation("batch_id", "no such batch"))?;
            if let Some(code) = barcode {
                let p = catalog::by_barcode(tx.conn(), code)?;
                if p.map(|p| p.id) != Some(batch.product_id) {
                    return Err(Error::validation(
                        "batch_id",
                        "the batch is not of the scanned product",
                    ));
                }
            }
            b
        }
        (None, Some(code)) => {
            let p = catalog::by_barcode(tx.conn(), code)?
                .ok_or_else(|| Error::validation("barcode", "no product has this barcode"))?;
            let ids: Vec<i64> = {
                let mut st = tx.conn().prepare_cached(
                    "SELECT id FROM batches WHERE product_id = ?1 AND on_hand > 0 ORDER BY id LIMIT 2",
                )?;
                let rows = st.query_map([p.id], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            match ids.as_slice() {
                [one] => *one,
                [] => {
                    return Err(Error::validation(
                        "batch_id",
                        "the product has no batch in stock; receive it first",
                    ))
                }
                _ => {
                    return Err(Error::validation(
                        "batch_id",
                        "the product has several batches in stock; choose one",
                    ))
                }
            }
        }
        (None, None) => return Err(Error::validation("barcode", "give a barcode or a batch_id")),
    };
    let counted: i64 = tx
        .execute_returning(
            "INSERT INTO stock_count_lines (count_id, batch_id, counted, recorded_by, recorded_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (count_id, batch_id) DO UPDATE SET
                 counted = CASE WHEN ?6 THEN counted + excluded.counted ELSE excluded.counted END,
                 recorded_by = excluded.recorded_by, recorded_at_ms = excluded.recorded_at_ms
             RETURNING counted",
            rusqlite::params![
                req.count_id,
                batch_id,
                req.counted,
                actor.user_id,
                ctx.now_ms,
                req.add
            ],
            |r| r.get(0),
        )
        .on_constraint(ConstraintKind::Check, || {
            Error::validation("counted", "the total counted is too large")
        })?;
    COUNTS.update(
        tx,
        count.id,
        count.version,
        &[("updated_at_ms", &ctx.now_ms)],
    )?;
    let line = count_lines(tx.conn(), req.count_id, Some(batch_id))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("the recorded line vanished"))?;
    ctx.audit(
        "stock_count",
        req.count_id,
        json!({ "batch_id": batch_id, "counted": counted, "add": req.add }),
    );
    ctx.emit(
        "stock_count.recorded",
        "stock_count",
        req.count_id,
        json!(line),
    );
    Ok(line)
}

fn count_lines(conn: &Connection, count_id: i64, batch: Option<i64>) -> Result<Vec<CountLineView>> {
    let mut st = conn.prepare_cached(
        "SELECT l.batch_id, b.product_id, p.sku, p.name, b.lot_code, l.counted,
                coalesce(l.expected, b.on_hand), l.movement_id
         FROM stock_count_lines l JOIN batches b ON b.id = l.batch_id
         JOIN products p ON p.id = b.product_id
         WHERE l.count_id = ?1 AND (?2 IS NULL OR l.batch_id = ?2)
         ORDER BY l.batch_id",
    )?;
    let rows = st.query_map(rusqlite::params![count_id, batch], |r| {
        let counted: i64 = r.get(5)?;
        let expected: i64 = r.get(6)?;
        Ok(CountLineView {
            batch_id: r.get(0)?,
            product_id: r.get(1)?,
            sku: r.get(2)?,
            name: r.get(3)?,
            lot_code: r.get(4)?,
            counted,
            expected,
            variance: counted - expected,
            movement_id: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CountReviewRequest {
    pub count_id: i64,
}

impl Request for CountReviewRequest {
    fn validate(&self) -> Result<()> {
        validate::id("count_id", self.count_id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct CountReview {
    pub count: CountView,
    pub lines: Vec<CountLineView>,
}

/// `stock.count_review`: every recorded line with its variance.
pub fn count_review(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &CountReviewRequest,
) -> Result<CountReview> {
    Ok(CountReview {
        count: get_count(conn, req.count_id)?,
        lines: count_lines(conn, req.count_id, None)?,
    })
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CountPostRequest {
    pub count_id: i64,
    pub version: i64,
}

impl Request for CountPostRequest {
    fn validate(&self) -> Result<()> {
        validate::id("count_id", self.count_id)?;
        validate::version(self.version)
    }
}

/// `stock.count_post`: every variance becomes a `count_variance` movement, all
/// in this one transaction. Batches not counted are left alone. Where the count
/// finds less than is reserved, the newest reservations are released (reason
/// `count`): the shelf is the truth.
pub fn count_post(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CountPostRequest,
) -> Result<CountReview> {
    let actor = ctx.actor()?;
    let count = require_open(tx, req.count_id)?;
    COUNTS.update(
        tx,
        req.count_id,
        req.version,
        &[
            ("status", &"posted"),
            ("posted_by", &actor.user_id),
            ("posted_at_ms", &ctx.now_ms),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    let reason = format!("stock count {}", count.number);
    let source_id = count.id.to_string();
    let mut posted = Vec::new();
    for line in count_lines(tx.conn(), req.count_id, None)? {
        release_expired(tx, Some(line.batch_id), ctx.now_ms)?;
        let b = get_batch(tx.conn(), line.batch_id)?;
        if line.counted < b.reserved {
            let mut st = tx.conn().prepare_cached(
                "SELECT id, quantity FROM stock_reservations
                 WHERE batch_id = ?1 AND released_at_ms IS NULL ORDER BY id DESC",
            )?;
            let open: Vec<(i64, i64)> = st
                .query_map([line.batch_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut reserved = b.reserved;
            for (rid, q) in open {
                if reserved <= line.counted {
                    break;
                }
                release(tx, rid, ReleaseReason::Count, ctx.now_ms)?;
                reserved -= q;
            }
        }
        let variance = line.counted - b.on_hand;
        let movement_id = if variance != 0 {
            Some(move_stock(
                tx,
                &Move {
                    batch_id: line.batch_id,
                    kind: MovementKind::CountVariance,
                    quantity: variance,
                    reason: &reason,
                    user_id: Some(actor.user_id),
                    source: Source {
                        source_type: Some("stock_count".into()),
                        source_id: Some(source_id.clone()),
                    },
                    at_ms: ctx.now_ms,
                },
            )?)
        } else {
            None
        };
        tx.execute(
            "UPDATE stock_count_lines SET expected = ?3, movement_id = ?4
             WHERE count_id = ?1 AND batch_id = ?2",
            rusqlite::params![req.count_id, line.batch_id, b.on_hand, movement_id],
        )?;
        posted.push(json!({ "batch_id": line.batch_id, "expected": b.on_hand, "counted": line.counted, "variance": variance }));
    }
    let review = CountReview {
        count: get_count(tx.conn(), req.count_id)?,
        lines: count_lines(tx.conn(), req.count_id, None)?,
    };
    ctx.audit(
        "stock_count",
        req.count_id,
        json!({ "number": count.number, "lines": posted }),
    );
    ctx.emit(
        "stock_count.posted",
        "stock_count",
        req.count_id,
        json!(review),
    );
    Ok(review)
}

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
