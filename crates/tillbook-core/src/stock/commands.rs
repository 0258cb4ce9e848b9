//! The `stock.*` commands over batches, movements and reservations.

use crate::catalog;
use crate::catalog::pricing::MAX_QUANTITY;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use crate::stock::movements::{
    check_date, check_quantity, check_reason, move_stock, receive_batch, release, release_expired,
    reserve, Move, MovementKind, Receipt, ReleaseReason, Source,
};
use crate::stock::views::{
    batch_of, get_batch, get_reservation, movement_of, BatchView, MovementView, ReservationView,
    BATCH_COLUMNS, MOVEMENT_SELECT,
};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    pub product_id: i64,
    /// Left out: one is generated (`2026-12-04-1`, see `stock/lots.rs`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub lot_code: Option<String>,
    /// Required where the product tracks expiry dates (screens ask only there).
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
        crate::stock::lots::check_lot("lot_code", self.lot_code.as_deref())?;
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
    let (_, lot_code) = crate::stock::lots::prepare_receipt(
        tx.conn(),
        req.product_id,
        &crate::stock::lots::Fields {
            product: "product_id",
            expiry: "expires_on",
        },
        req.lot_code.as_deref(),
        req.expires_on.as_deref(),
        ctx.now_ms,
        &[],
    )?;
    let id = receive_batch(
        tx,
        &Receipt {
            product_id: req.product_id,
            lot_code: &lot_code,
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
        validate::page_limit(self.limit, validate::PAGE_MAX)
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
            req.limit.unwrap_or(validate::PAGE_MAX)
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
        validate::page_limit(self.limit, validate::HISTORY_PAGE_MAX)
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
