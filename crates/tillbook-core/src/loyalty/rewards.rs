//! The rewards catalog.

use crate::catalog::MAX_AMOUNT_MINOR;
use crate::db::rows::Versioned;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::loyalty::config::range;
use crate::loyalty::points::exists;
use crate::loyalty::{MAX_POINTS, MAX_TIME_MS};
use crate::shared::handler::{IdVersionRequest, ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What a reward gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyGrant")]
#[serde(rename_all = "snake_case", tag = "kind")]
#[serde(deny_unknown_fields)]
pub enum Grant {
    /// A discount of a fixed amount off the sale.
    Amount { amount_minor: i64 },
    /// A percentage off the sale (10000 = 100 %).
    Percent { percent_bp: i64 },
    /// One unit of a product, free.
    Product { product_id: i64 },
}

impl Grant {
    fn validate(&self, field: &str) -> Result<()> {
        match self {
            Grant::Amount { amount_minor } => range(
                &format!("{field}.amount_minor"),
                *amount_minor,
                1,
                MAX_AMOUNT_MINOR,
            ),
            Grant::Percent { percent_bp } => {
                range(&format!("{field}.percent_bp"), *percent_bp, 1, 10_000)
            }
            Grant::Product { product_id } => {
                validate::id(&format!("{field}.product_id"), *product_id)
            }
        }
    }

    pub(super) fn of_row(
        kind: &str,
        amount: Option<i64>,
        percent: Option<i64>,
        product: Option<i64>,
    ) -> Grant {
        match (kind, amount, percent, product) {
            ("amount", Some(a), _, _) => Grant::Amount { amount_minor: a },
            ("percent", _, Some(p), _) => Grant::Percent { percent_bp: p },
            (_, _, _, Some(p)) => Grant::Product { product_id: p },
            // The schema's CHECKs make any other shape impossible.
            _ => Grant::Amount { amount_minor: 0 },
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyCreateRewardRequest")]
#[serde(deny_unknown_fields)]
pub struct CreateRewardRequest {
    pub name: String,
    pub points_cost: i64,
    pub grant: Grant,
    /// Defaults to now.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub valid_from_ms: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub valid_until_ms: Option<i64>,
    /// How many can ever be claimed; none = unlimited.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub stock_limit: Option<i64>,
    /// How many one customer can claim; 1 = once per customer; none = unlimited.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub per_customer_limit: Option<i64>,
}

impl Request for CreateRewardRequest {
    fn validate(&self) -> Result<()> {
        validate::text("name", &self.name, 1, 100)?;
        range("points_cost", self.points_cost, 1, MAX_POINTS)?;
        self.grant.validate("grant")?;
        if let Some(t) = self.valid_from_ms {
            range("valid_from_ms", t, 0, MAX_TIME_MS)?;
        }
        if let Some(t) = self.valid_until_ms {
            range("valid_until_ms", t, 1, MAX_TIME_MS)?;
            if self.valid_from_ms.is_some_and(|f| f >= t) {
                return Err(Error::validation(
                    "valid_until_ms",
                    "must be after valid_from_ms",
                ));
            }
        }
        if let Some(s) = self.stock_limit {
            range("stock_limit", s, 1, 1_000_000)?;
        }
        if let Some(l) = self.per_customer_limit {
            range("per_customer_limit", l, 1, 1000)?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyReward")]
pub struct RewardView {
    pub id: i64,
    pub name: String,
    pub points_cost: i64,
    pub grant: Grant,
    pub valid_from_ms: i64,
    pub valid_until_ms: Option<i64>,
    pub stock_limit: Option<i64>,
    pub per_customer_limit: Option<i64>,
    /// Claims made so far.
    pub claimed: i64,
    /// Claims still possible; none = unlimited.
    pub remaining: Option<i64>,
    pub archived: bool,
    pub version: i64,
    pub created_at_ms: i64,
}

pub(super) const REWARD_COLUMNS: &str = "r.id, r.name, r.points_cost, r.grant_kind, r.amount_minor,
    r.percent_bp, r.product_id, r.valid_from_ms, r.valid_until_ms, r.stock_limit,
    r.per_customer_limit, (SELECT count(*) FROM loyalty_claims c WHERE c.reward_id = r.id),
    r.archived_at_ms IS NOT NULL, r.version, r.created_at_ms";

pub(super) fn reward_of(r: &Row<'_>) -> rusqlite::Result<RewardView> {
    let kind: String = r.get(3)?;
    let stock_limit: Option<i64> = r.get(9)?;
    let claimed: i64 = r.get(11)?;
    Ok(RewardView {
        id: r.get(0)?,
        name: r.get(1)?,
        points_cost: r.get(2)?,
        grant: Grant::of_row(&kind, r.get(4)?, r.get(5)?, r.get(6)?),
        valid_from_ms: r.get(7)?,
        valid_until_ms: r.get(8)?,
        stock_limit,
        per_customer_limit: r.get(10)?,
        claimed,
        remaining: stock_limit.map(|s| (s - claimed).max(0)),
        archived: r.get(12)?,
        version: r.get(13)?,
        created_at_ms: r.get(14)?,
    })
}

pub fn get_reward(conn: &Connection, id: i64) -> Result<RewardView> {
    conn.prepare_cached(&format!(
        "SELECT {REWARD_COLUMNS} FROM loyalty_rewards r WHERE r.id = ?1"
    ))?
    .query_row([id], reward_of)
    .optional()?
    .ok_or_else(|| Error::not_found("loyalty_reward", id))
}

/// `loyalty.create_reward`: adds a reward to the catalog.
pub fn create_reward(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreateRewardRequest,
) -> Result<RewardView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let valid_from = req.valid_from_ms.unwrap_or(now);
    if req.valid_until_ms.is_some_and(|u| u <= valid_from) {
        return Err(Error::validation(
            "valid_until_ms",
            "must be after the start of the validity window",
        ));
    }
    let (amount, percent, product) = match req.grant {
        Grant::Amount { amount_minor } => (Some(amount_minor), None, None),
        Grant::Percent { percent_bp } => (None, Some(percent_bp), None),
        Grant::Product { product_id } => {
            if !exists(
                tx.conn(),
                "SELECT 1 FROM products WHERE id = ?1 AND archived_at_ms IS NULL",
                product_id,
            )? {
                return Err(Error::validation(
                    "grant.product_id",
                    format!("no active product {product_id}"),
                ));
            }
            (None, None, Some(product_id))
        }
    };
    let kind = match req.grant {
        Grant::Amount { .. } => "amount",
        Grant::Percent { .. } => "percent",
        Grant::Product { .. } => "product",
    };
    let id: i64 = tx.execute_returning(
        "INSERT INTO loyalty_rewards (name, points_cost, grant_kind, amount_minor, percent_bp,
                 product_id, valid_from_ms, valid_until_ms, stock_limit, per_customer_limit,
                 created_by, created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) RETURNING id",
        rusqlite::params![
            req.name,
            req.points_cost,
            kind,
            amount,
            percent,
            product,
            valid_from,
            req.valid_until_ms,
            req.stock_limit,
            req.per_customer_limit,
            actor.user_id,
            now
        ],
        |r| r.get(0),
    )?;
    let view = get_reward(tx.conn(), id)?;
    ctx.audit("loyalty_reward", id, serde_json::to_value(&view)?);
    ctx.emit(
        "loyalty.reward_created",
        "loyalty_reward",
        id,
        json!({ "name": view.name, "points_cost": view.points_cost }),
    );
    Ok(view)
}

/// `loyalty.archive_reward`: takes a reward out of the catalog; claims already
/// made stay valid.
pub fn archive_reward(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &IdVersionRequest,
) -> Result<RewardView> {
    let current = get_reward(tx.conn(), req.id)?;
    Versioned {
        table: "loyalty_rewards",
        entity: "loyalty_reward",
    }
    .archive(
        tx,
        req.id,
        req.version,
        current.archived,
        &current.name,
        ctx.now_ms,
    )?;
    ctx.audit(
        "loyalty_reward",
        req.id,
        json!({ "archived": true, "name": current.name }),
    );
    ctx.emit(
        "loyalty.reward_archived",
        "loyalty_reward",
        req.id,
        json!({}),
    );
    get_reward(tx.conn(), req.id)
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyRewardsRequest")]
#[serde(deny_unknown_fields)]
pub struct RewardsRequest {
    #[serde(default)]
    pub include_archived: bool,
    /// Only rewards with a larger id (the previous page's last).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

pub(super) fn check_limit(limit: Option<u32>) -> Result<()> {
    crate::shared::validate::page_limit(limit, crate::shared::validate::PAGE_MAX)
}

impl Request for RewardsRequest {
    fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyRewardList")]
pub struct RewardList {
    pub rewards: Vec<RewardView>,
}

/// `loyalty.rewards`: the catalog, oldest first.
pub fn rewards(_ctx: &ReadCtx<'_>, conn: &Connection, req: &RewardsRequest) -> Result<RewardList> {
    let rewards = conn
        .prepare_cached(&format!(
            "SELECT {REWARD_COLUMNS} FROM loyalty_rewards r
             WHERE r.id > ?1 AND (?2 OR r.archived_at_ms IS NULL)
             ORDER BY r.id LIMIT ?3"
        ))?
        .query_map(
            rusqlite::params![
                req.after_id.unwrap_or(0),
                req.include_archived,
                req.limit.unwrap_or(50)
            ],
            reward_of,
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(RewardList { rewards })
}
