//! Stock counts: open a count, record what the shelf holds, review the
//! variances, and post them as movements in one transaction.

use crate::catalog;
use crate::catalog::pricing::MAX_QUANTITY;
use crate::db::rows::{next_number, Versioned};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use crate::stock::movements::{
    move_stock, release, release_expired, Move, MovementKind, ReleaseReason, Source,
};
use crate::stock::views::get_batch;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

const COUNTS: Versioned = Versioned {
    table: "stock_counts",
    entity: "stock_count",
};

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
    /// Decimals of the quantities (3 for kg: counted 1250 is 1.250 kg).
    pub quantity_decimals: u32,
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
            if !p.track_stock {
                return Err(untracked(&p.name));
            }
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
    refuse_untracked(tx.conn(), batch_id)?;
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

fn untracked(name: &str) -> Error {
    Error::validation(
        "barcode",
        format!("{name} does not track stock, so it is not counted; switch on Track stock on the product first"),
    )
}

/// A count is of stock the shop tracks; an untracked product has none to count.
fn refuse_untracked(conn: &Connection, batch_id: i64) -> Result<()> {
    let (name, tracked): (String, bool) = conn.cached_row(
        "SELECT p.name, p.track_stock FROM batches b JOIN products p ON p.id = b.product_id
          WHERE b.id = ?1",
        [batch_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if tracked {
        Ok(())
    } else {
        Err(untracked(&name))
    }
}

fn count_lines(conn: &Connection, count_id: i64, batch: Option<i64>) -> Result<Vec<CountLineView>> {
    let mut st = conn.prepare_cached(
        "SELECT l.batch_id, b.product_id, p.sku, p.name, b.lot_code, l.counted,
                coalesce(l.expected, b.on_hand), l.movement_id, p.unit
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
            quantity_decimals: catalog::Unit::parse(&r.get::<_, String>(8)?).decimals(),
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
