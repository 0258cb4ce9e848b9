//! Balances and movements, and the manager's tools: adjust, bulk add, statistics.

use crate::catalog::MAX_AMOUNT_MINOR;
use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::ledger;
use crate::loyalty::claims::{active_customer, claim_of, ClaimView, CLAIM_COLUMNS, CLAIM_FROM};
use crate::loyalty::config::{load_config, range};
use crate::loyalty::points::{
    append, balance, exists, expires_at, move_points, next_id, post_points, NewMovement,
};
use crate::loyalty::rewards::check_limit;
use crate::loyalty::{
    liability, MAX_ADJUST_POINTS, MAX_BULK_CUSTOMERS, MAX_FILTER_IDS, MAX_REASON_CHARS, MAX_TIME_MS,
};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use crate::shared::validate::PAGE_MAX;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyMovement")]
pub struct MovementView {
    pub id: i64,
    pub customer_id: i64,
    pub seq: i64,
    pub kind: String,
    pub points: i64,
    pub balance_after: i64,
    pub value_minor: i64,
    pub expires_at_ms: Option<i64>,
    pub order_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub claim_id: Option<i64>,
    pub reason: Option<String>,
    pub entry_id: i64,
    pub user_id: i64,
    pub created_at_ms: i64,
}

pub(super) const MOVEMENT_COLUMNS: &str = "id, customer_id, seq, kind, points, balance_after, value_minor,
    expires_at_ms, order_id, refund_id,
    coalesce(claim_id, (SELECT c.id FROM loyalty_claims c WHERE c.movement_id = loyalty_movements.id)),
    reason, entry_id, user_id, created_at_ms";

pub(super) fn movement_of(r: &Row<'_>) -> rusqlite::Result<MovementView> {
    Ok(MovementView {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        seq: r.get(2)?,
        kind: r.get(3)?,
        points: r.get(4)?,
        balance_after: r.get(5)?,
        value_minor: r.get(6)?,
        expires_at_ms: r.get(7)?,
        order_id: r.get(8)?,
        refund_id: r.get(9)?,
        claim_id: r.get(10)?,
        reason: r.get(11)?,
        entry_id: r.get(12)?,
        user_id: r.get(13)?,
        created_at_ms: r.get(14)?,
    })
}

pub(super) fn get_movement(conn: &Connection, id: i64) -> Result<MovementView> {
    conn.prepare_cached(&format!(
        "SELECT {MOVEMENT_COLUMNS} FROM loyalty_movements WHERE id = ?1"
    ))?
    .query_row([id], movement_of)
    .optional()?
    .ok_or_else(|| Error::not_found("loyalty_movement", id))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyBalanceRequest")]
#[serde(deny_unknown_fields)]
pub struct BalanceRequest {
    pub customer_id: i64,
    /// Movements older than this seq (the previous page's last); newest first.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_seq: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for BalanceRequest {
    fn validate(&self) -> Result<()> {
        validate::id("customer_id", self.customer_id)?;
        check_limit(self.limit)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyBalance")]
pub struct BalanceView {
    pub customer_id: i64,
    pub points: i64,
    pub point_value_minor: i64,
    /// What the points are worth now.
    pub value_minor: i64,
    /// Newest first.
    pub movements: Vec<MovementView>,
    /// Claims not yet used at the till and still valid, oldest first (at most 200).
    pub open_claims: Vec<ClaimView>,
}

/// `loyalty.balance`: a customer's points, movements and unused claims.
pub fn balance_cmd(
    ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &BalanceRequest,
) -> Result<BalanceView> {
    if !exists(
        conn,
        "SELECT 1 FROM customers WHERE id = ?1",
        req.customer_id,
    )? {
        return Err(Error::not_found("customer", req.customer_id));
    }
    let points = balance(conn, req.customer_id)?;
    let value = load_config(conn)?.point_value_minor;
    let movements = conn
        .prepare_cached(&format!(
            "SELECT {MOVEMENT_COLUMNS} FROM loyalty_movements
             WHERE customer_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
        ))?
        .query_map(
            rusqlite::params![
                req.customer_id,
                req.before_seq.unwrap_or(i64::MAX),
                req.limit.unwrap_or(50)
            ],
            movement_of,
        )?
        .collect::<rusqlite::Result<_>>()?;
    let open_claims = conn
        .prepare_cached(&format!(
            "SELECT {CLAIM_COLUMNS} FROM {CLAIM_FROM}
             WHERE c.customer_id = ?1 AND d.claim_id IS NULL
               AND (r.valid_until_ms IS NULL OR r.valid_until_ms > ?2)
             ORDER BY c.id LIMIT {PAGE_MAX}"
        ))?
        .query_map(rusqlite::params![req.customer_id, ctx.now_ms], claim_of)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(BalanceView {
        customer_id: req.customer_id,
        points,
        point_value_minor: value,
        value_minor: points * value,
        movements,
        open_claims,
    })
}

pub(super) fn check_reason(reason: &str) -> Result<()> {
    validate::text("reason", reason, 1, MAX_REASON_CHARS)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyAdjustRequest")]
#[serde(deny_unknown_fields)]
pub struct AdjustRequest {
    pub customer_id: i64,
    /// Points to add (positive) or take away (negative); never zero.
    pub points: i64,
    /// Why; mandatory, kept on the movement and in the audit log.
    pub reason: String,
}

impl Request for AdjustRequest {
    fn validate(&self) -> Result<()> {
        validate::id("customer_id", self.customer_id)?;
        range("points", self.points, -MAX_ADJUST_POINTS, MAX_ADJUST_POINTS)?;
        if self.points == 0 {
            return Err(Error::validation("points", "must not be zero"));
        }
        check_reason(&self.reason)
    }
}

/// `loyalty.adjust`: a manager's manual correction, with its reason.
pub fn adjust(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &AdjustRequest) -> Result<MovementView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    active_customer(conn, "customer_id", req.customer_id)?;
    let cfg = load_config(conn)?;
    let have = balance(conn, req.customer_id)?;
    if have + req.points < 0 {
        return Err(Error::StateConflict {
            message: format!(
                "customer {} has {have} points; {} cannot be taken",
                req.customer_id, -req.points
            ),
        });
    }
    let (id, after) = move_points(
        tx,
        &NewMovement {
            customer_id: req.customer_id,
            kind: "adjust",
            points: req.points,
            expires_at_ms: (req.points > 0).then(|| expires_at(&cfg, now)).flatten(),
            reason: Some(&req.reason),
            ..NewMovement::default()
        },
        &format!("loyalty adjustment: {}", req.reason),
        actor.user_id,
        now,
    )?;
    ctx.audit(
        "loyalty_movement",
        id,
        json!({
            "customer_id": req.customer_id,
            "points": req.points,
            "balance_after": after,
            "reason": req.reason,
        }),
    );
    ctx.emit(
        "loyalty.points_adjusted",
        "customer",
        req.customer_id,
        json!({ "points": req.points, "balance_after": after }),
    );
    get_movement(conn, id)
}

/// Which customers a bulk addition reaches: active customers matching every
/// given condition.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyCustomerFilter")]
#[serde(deny_unknown_fields)]
pub struct CustomerFilter {
    /// Only these customers.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub customer_ids: Option<Vec<i64>>,
    /// Only customers with at least this many points.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub min_points: Option<i64>,
    /// Only customers with at most this many points.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub max_points: Option<i64>,
    /// Only customers with an order at or after this time.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub ordered_since_ms: Option<i64>,
}

impl CustomerFilter {
    fn validate(&self) -> Result<()> {
        if let Some(ids) = &self.customer_ids {
            if ids.is_empty() || ids.len() > MAX_FILTER_IDS {
                return Err(Error::validation(
                    "filter.customer_ids",
                    format!("must list 1 to {MAX_FILTER_IDS} customers"),
                ));
            }
            for (i, id) in ids.iter().enumerate() {
                validate::id(&format!("filter.customer_ids[{i}]"), *id)?;
            }
        }
        if let Some(p) = self.min_points {
            range("filter.min_points", p, 0, MAX_AMOUNT_MINOR)?;
        }
        if let Some(p) = self.max_points {
            range("filter.max_points", p, 0, MAX_AMOUNT_MINOR)?;
        }
        if let (Some(lo), Some(hi)) = (self.min_points, self.max_points) {
            if lo > hi {
                return Err(Error::validation(
                    "filter.max_points",
                    "must not be below min_points",
                ));
            }
        }
        if let Some(t) = self.ordered_since_ms {
            range("filter.ordered_since_ms", t, 0, MAX_TIME_MS)?;
        }
        Ok(())
    }

    /// The matching customers with their points, by id; at most `cap` + 1
    /// rows so the caller can tell the set is too large.
    fn matching(&self, conn: &Connection, cap: i64) -> Result<Vec<CustomerPoints>> {
        let ids = self
            .customer_ids
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?;
        let rows = conn
            .prepare_cached(
                "SELECT c.id, c.name,
                        coalesce((SELECT sum(points) FROM loyalty_movements m WHERE m.customer_id = c.id), 0) AS pts
                 FROM customers c
                 WHERE c.archived_at_ms IS NULL
                   AND (?1 IS NULL OR c.id IN (SELECT value FROM json_each(?1)))
                   AND (?4 IS NULL OR EXISTS (SELECT 1 FROM orders o
                                              WHERE o.customer_id = c.id AND o.created_at_ms >= ?4))
                   AND (?2 IS NULL OR pts >= ?2) AND (?3 IS NULL OR pts <= ?3)
                 ORDER BY c.id LIMIT ?5",
            )?
            .query_map(
                rusqlite::params![
                    ids,
                    self.min_points,
                    self.max_points,
                    self.ordered_since_ms,
                    cap + 1
                ],
                |r| {
                    Ok(CustomerPoints {
                        customer_id: r.get(0)?,
                        name: r.get(1)?,
                        points: r.get(2)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyCustomerPoints")]
pub struct CustomerPoints {
    pub customer_id: i64,
    pub name: String,
    pub points: i64,
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyBulkPreviewRequest")]
#[serde(deny_unknown_fields)]
pub struct BulkPreviewRequest {
    pub filter: CustomerFilter,
    pub points_each: i64,
}

impl Request for BulkPreviewRequest {
    fn validate(&self) -> Result<()> {
        self.filter.validate()?;
        range("points_each", self.points_each, 1, MAX_ADJUST_POINTS)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyBulkPreview")]
pub struct BulkPreview {
    /// How many customers the filter matches now (pass it to `loyalty.bulk_add`).
    pub customers: i64,
    pub points_each: i64,
    pub total_points: i64,
    pub value_minor: i64,
    /// The first matching customers (at most 200).
    pub sample: Vec<CustomerPoints>,
}

pub(super) fn too_many(n: usize) -> Result<()> {
    if n as i64 > MAX_BULK_CUSTOMERS {
        return Err(Error::validation(
            "filter",
            format!("matches more than {MAX_BULK_CUSTOMERS} customers; narrow it"),
        ));
    }
    Ok(())
}

/// `loyalty.bulk_preview`: who a bulk addition would reach and what it costs.
pub fn bulk_preview(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &BulkPreviewRequest,
) -> Result<BulkPreview> {
    let mut matching = req.filter.matching(conn, MAX_BULK_CUSTOMERS)?;
    too_many(matching.len())?;
    let customers = matching.len() as i64;
    let value = load_config(conn)?.point_value_minor;
    matching.truncate(PAGE_MAX as usize);
    Ok(BulkPreview {
        customers,
        points_each: req.points_each,
        total_points: customers * req.points_each,
        value_minor: customers * req.points_each * value,
        sample: matching,
    })
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyBulkAddRequest")]
#[serde(deny_unknown_fields)]
pub struct BulkAddRequest {
    pub filter: CustomerFilter,
    pub points_each: i64,
    pub reason: String,
    /// The `customers` of the preview the manager confirmed; if the set has
    /// changed since, nothing is added and the answer is `conflict`.
    pub expected_customers: i64,
}

impl Request for BulkAddRequest {
    fn validate(&self) -> Result<()> {
        self.filter.validate()?;
        range("points_each", self.points_each, 1, MAX_ADJUST_POINTS)?;
        check_reason(&self.reason)?;
        range(
            "expected_customers",
            self.expected_customers,
            1,
            MAX_BULK_CUSTOMERS,
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyBulkAdd")]
pub struct BulkAddView {
    pub id: i64,
    pub customers: i64,
    pub points_each: i64,
    pub total_points: i64,
    pub entry_id: i64,
}

/// `loyalty.bulk_add`: adds points to every matching customer, all in one
/// transaction with one journal entry, if the set is still what was previewed.
pub fn bulk_add(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &BulkAddRequest) -> Result<BulkAddView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let matching = req.filter.matching(conn, MAX_BULK_CUSTOMERS)?;
    too_many(matching.len())?;
    let customers = matching.len() as i64;
    if customers != req.expected_customers {
        return Err(Error::StateConflict {
            message: format!(
                "the filter now matches {customers} customers, not the {} previewed; preview again",
                req.expected_customers
            ),
        });
    }
    let cfg = load_config(conn)?;
    let value = cfg.point_value_minor;
    let id = next_id(conn, "loyalty_bulk_adds")?;
    let parts: Vec<(i64, i64)> = matching
        .iter()
        .map(|c| (c.customer_id, req.points_each * value))
        .collect();
    let entry_id = post_points(
        tx,
        &parts,
        &format!("loyalty bulk addition {id}: {}", req.reason),
        "loyalty_bulk",
        id,
        actor.user_id,
        now,
    )?;
    tx.execute(
        "INSERT INTO loyalty_bulk_adds (id, points_each, customers, reason, filter, entry_id,
                                        user_id, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            id,
            req.points_each,
            customers,
            req.reason,
            serde_json::to_string(&req.filter)?,
            entry_id,
            actor.user_id,
            now
        ],
    )?;
    let first = next_id(conn, "loyalty_movements")?;
    for (i, c) in matching.iter().enumerate() {
        append(
            tx,
            first + i as i64,
            &NewMovement {
                customer_id: c.customer_id,
                kind: "adjust",
                points: req.points_each,
                expires_at_ms: expires_at(&cfg, now),
                bulk_id: Some(id),
                reason: Some(&req.reason),
                ..NewMovement::default()
            },
            value,
            entry_id,
            actor.user_id,
            now,
        )?;
    }
    let view = BulkAddView {
        id,
        customers,
        points_each: req.points_each,
        total_points: customers * req.points_each,
        entry_id,
    };
    ctx.audit(
        "loyalty_bulk_add",
        id,
        json!({
            "customers": customers,
            "points_each": req.points_each,
            "reason": req.reason,
            "filter": req.filter,
            "entry_id": entry_id,
        }),
    );
    ctx.emit(
        "loyalty.bulk_added",
        "loyalty_bulk_add",
        id,
        json!({ "customers": customers, "points_each": req.points_each }),
    );
    Ok(view)
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyStatsRequest")]
#[serde(deny_unknown_fields)]
pub struct StatsRequest {
    /// How many top customers to list (default 10, at most 200).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub top: Option<u32>,
}

impl Request for StatsRequest {
    fn validate(&self) -> Result<()> {
        if let Some(t) = self.top {
            if !(1..=PAGE_MAX).contains(&t) {
                return Err(Error::validation("top", format!("must be 1 to {PAGE_MAX}")));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyStats")]
pub struct StatsView {
    /// All points ever credited (earned, returned, added by adjustments).
    pub issued_points: i64,
    pub earned_points: i64,
    pub returned_points: i64,
    pub adjusted_in_points: i64,
    pub adjusted_out_points: i64,
    /// Points spent on claims.
    pub redeemed_points: i64,
    /// Points taken back by refunds.
    pub reversed_points: i64,
    pub expired_points: i64,
    pub outstanding_points: i64,
    pub point_value_minor: i64,
    /// The balance of 2300 Loyalty liability, from the ledger.
    pub liability_minor: i64,
    pub customers_with_points: i64,
    pub claims: i64,
    pub redeemed_claims: i64,
    pub top_customers: Vec<CustomerPoints>,
}

/// `loyalty.stats`: points issued, redeemed and outstanding, the liability,
/// and the customers holding the most points.
pub fn stats(_ctx: &ReadCtx<'_>, conn: &Connection, req: &StatsRequest) -> Result<StatsView> {
    let sum_kind = |kind: &str, sign: i64| -> Result<i64> {
        Ok(conn
            .prepare_cached(
                "SELECT coalesce(sum(abs(points)), 0) FROM loyalty_movements
                 WHERE kind = ?1 AND points * ?2 > 0",
            )?
            .query_row(rusqlite::params![kind, sign], |r| r.get(0))?)
    };
    let earned = sum_kind("earn", 1)?;
    let returned = sum_kind("return", 1)?;
    let adjusted_in = sum_kind("adjust", 1)?;
    let top_customers = conn
        .prepare_cached(
            "SELECT m.customer_id, c.name, sum(m.points) AS pts
             FROM loyalty_movements m JOIN customers c ON c.id = m.customer_id
             GROUP BY m.customer_id HAVING pts > 0 ORDER BY pts DESC, m.customer_id LIMIT ?1",
        )?
        .query_map([req.top.unwrap_or(10)], |r| {
            Ok(CustomerPoints {
                customer_id: r.get(0)?,
                name: r.get(1)?,
                points: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let (outstanding, holders): (i64, i64) = conn.cached_row(
        "SELECT coalesce(sum(pts), 0), count(*) FROM
           (SELECT sum(points) AS pts FROM loyalty_movements GROUP BY customer_id HAVING pts > 0)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (claims, redeemed_claims): (i64, i64) = conn.cached_row(
        "SELECT (SELECT count(*) FROM loyalty_claims), (SELECT count(*) FROM loyalty_redemptions)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(StatsView {
        issued_points: earned + returned + adjusted_in,
        earned_points: earned,
        returned_points: returned,
        adjusted_in_points: adjusted_in,
        adjusted_out_points: sum_kind("adjust", -1)?,
        redeemed_points: sum_kind("redeem", -1)?,
        reversed_points: sum_kind("reverse", -1)?,
        expired_points: sum_kind("expire", -1)?,
        outstanding_points: outstanding,
        point_value_minor: load_config(conn)?.point_value_minor,
        liability_minor: ledger::account_balance(conn, liability())?,
        customers_with_points: holders,
        claims,
        redeemed_claims,
        top_customers,
    })
}
