//! The primitives every stock change goes through: movements, receiving a
//! batch, picking batches FEFO then FIFO, and reservations. Other folders
//! (sales, purchase receipts) call them inside their own transaction.

use crate::catalog;
use crate::catalog::pricing::MAX_QUANTITY;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::validate;
use crate::stock::views::{get_reservation, ReservationView};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

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

    pub(super) fn parse(s: &str) -> MovementKind {
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

pub(super) fn check_quantity(field: &str, q: i64) -> Result<()> {
    if !(1..=MAX_QUANTITY).contains(&q) {
        return Err(Error::validation(
            field,
            format!("must be 1 to {MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

pub(super) fn check_reason(r: &str) -> Result<()> {
    validate::text("reason", r, 1, 500)
}

fn insufficient(batch_id: i64) -> Error {
    Error::insufficient_stock(format!("batch {batch_id} has too little available stock"))
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
    let product = catalog::require_active(tx.conn(), r.product_id)?;
    if !product.track_stock {
        return Err(Error::validation(
            "product_id",
            format!(
                "{} does not track stock, so stock is not received for it; switch on Track stock on the product first",
                product.name
            ),
        ));
    }
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

/// How much of `product_id` is free to sell at `now_ms`: on hand less live
/// reservations (ones that expired count as free, as [`pick_batches`] counts
/// them), in the unit's smallest part. What the till's "Only 2 left" says.
pub fn free_quantity(conn: &Connection, product_id: i64, now_ms: i64) -> Result<i64> {
    Ok(conn.cached_row(
        "SELECT coalesce(sum(b.on_hand - b.reserved
                    + coalesce((SELECT sum(r.quantity) FROM stock_reservations r
                                 WHERE r.batch_id = b.id AND r.released_at_ms IS NULL
                                   AND r.expires_at_ms <= ?2), 0)), 0)
           FROM batches b WHERE b.product_id = ?1 AND b.on_hand > 0",
        rusqlite::params![product_id, now_ms],
        |r| r.get(0),
    )?)
}

/// The cost of the units picked, each batch's unit cost (per kg) × its
/// quantity (in g), summed exactly and then divided by `10^decimals` and
/// rounded once (shared/money.rs): COGS, refunds and verify use this one sum.
pub fn cost_of_picks(picks: &[(i64, i64)], decimals: u32) -> Result<i64> {
    let exact = picks
        .iter()
        .try_fold(0i64, |sum, (unit_cost, quantity)| {
            unit_cost
                .checked_mul(*quantity)
                .and_then(|c| c.checked_add(sum))
        })
        .ok_or_else(|| Error::internal("the cost of a line overflows"))?;
    crate::shared::money::Money::from_minor(exact)
        .times_quantity(1, decimals)
        .map(crate::shared::money::Money::minor)
        .map_err(|e| Error::internal(e.to_string()))
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
        return Err(Error::insufficient_stock(format!(
            "product {product_id} has {} of {quantity} available",
            quantity - left
        )));
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

pub(super) fn check_date(field: &str, d: &str) -> Result<()> {
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

pub(super) fn check_source(s: &Source) -> Result<()> {
    if let Some(t) = &s.source_type {
        validate::text("source_type", t, 1, 32)?;
    }
    if let Some(i) = &s.source_id {
        validate::text("source_id", i, 1, 64)?;
    }
    Ok(())
}
