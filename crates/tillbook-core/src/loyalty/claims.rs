//! Claims of rewards, and their redemption at the till.

use crate::catalog::MAX_AMOUNT_MINOR;
use crate::db::{CachedRow, Tx};
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::loyalty::config::range;
use crate::loyalty::points::{balance, move_points, NewMovement};
use crate::loyalty::rewards::{get_reward, Grant};
use crate::shared::handler::{Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyClaimRequest")]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub customer_id: i64,
    pub reward_id: i64,
}

impl Request for ClaimRequest {
    fn validate(&self) -> Result<()> {
        validate::id("customer_id", self.customer_id)?;
        validate::id("reward_id", self.reward_id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyClaim")]
pub struct ClaimView {
    pub id: i64,
    pub reward_id: i64,
    pub reward_name: String,
    pub customer_id: i64,
    pub points: i64,
    pub grant: Grant,
    /// The reward's validity ends then; the claim must be used before.
    pub valid_until_ms: Option<i64>,
    pub claimed_at_ms: i64,
    /// The customer's balance right after the claim.
    pub balance_after: i64,
    /// The order it was used on, once redeemed.
    pub redeemed_order_id: Option<i64>,
}

pub(super) const CLAIM_COLUMNS: &str =
    "c.id, c.reward_id, r.name, c.customer_id, c.points, r.grant_kind,
    r.amount_minor, r.percent_bp, r.product_id, r.valid_until_ms, c.claimed_at_ms,
    m.balance_after, d.order_id";
pub(super) const CLAIM_FROM: &str = "loyalty_claims c JOIN loyalty_rewards r ON r.id = c.reward_id
    JOIN loyalty_movements m ON m.id = c.movement_id
    LEFT JOIN loyalty_redemptions d ON d.claim_id = c.id";

pub(super) fn claim_of(r: &Row<'_>) -> rusqlite::Result<ClaimView> {
    let kind: String = r.get(5)?;
    Ok(ClaimView {
        id: r.get(0)?,
        reward_id: r.get(1)?,
        reward_name: r.get(2)?,
        customer_id: r.get(3)?,
        points: r.get(4)?,
        grant: Grant::of_row(&kind, r.get(6)?, r.get(7)?, r.get(8)?),
        valid_until_ms: r.get(9)?,
        claimed_at_ms: r.get(10)?,
        balance_after: r.get(11)?,
        redeemed_order_id: r.get(12)?,
    })
}

pub fn get_claim(conn: &Connection, id: i64) -> Result<ClaimView> {
    conn.prepare_cached(&format!(
        "SELECT {CLAIM_COLUMNS} FROM {CLAIM_FROM} WHERE c.id = ?1"
    ))?
    .query_row([id], claim_of)
    .optional()?
    .ok_or_else(|| Error::not_found("loyalty_claim", id))
}

pub(super) fn active_customer(conn: &Connection, field: &str, customer_id: i64) -> Result<String> {
    let row: Option<(String, bool)> = conn
        .prepare_cached("SELECT name, archived_at_ms IS NOT NULL FROM customers WHERE id = ?1")?
        .query_row([customer_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Err(Error::validation(
            field,
            format!("no customer {customer_id}"),
        )),
        Some((_, true)) => Err(Error::validation(
            field,
            format!("customer {customer_id} is archived"),
        )),
        Some((name, false)) => Ok(name),
    }
}

/// `loyalty.claim`: spends a customer's points on a reward. Everything is
/// checked inside the write transaction and enforced again by the schema.
pub fn claim(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &ClaimRequest) -> Result<ClaimView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    active_customer(conn, "customer_id", req.customer_id)?;
    let reward = match get_reward(conn, req.reward_id) {
        Err(Error::NotFound { .. }) => {
            return Err(Error::validation(
                "reward_id",
                format!("no reward {}", req.reward_id),
            ))
        }
        other => other?,
    };
    let refuse = |message: String| Err(Error::StateConflict { message });
    if reward.archived {
        return refuse(format!("reward {:?} is no longer offered", reward.name));
    }
    if now < reward.valid_from_ms || reward.valid_until_ms.is_some_and(|u| now >= u) {
        return refuse(format!(
            "reward {:?} is not available at this time",
            reward.name
        ));
    }
    let customer_claims: i64 = conn.cached_row(
        "SELECT count(*) FROM loyalty_claims WHERE reward_id = ?1 AND customer_id = ?2",
        [req.reward_id, req.customer_id],
        |r| r.get(0),
    )?;
    if let Some(limit) = reward.per_customer_limit {
        if customer_claims >= limit {
            return refuse(format!(
                "customer {} has already claimed reward {:?} {customer_claims} time(s), the limit",
                req.customer_id, reward.name
            ));
        }
    }
    if reward.remaining == Some(0) {
        return refuse(format!("reward {:?} is out of stock", reward.name));
    }
    let points = balance(conn, req.customer_id)?;
    if points < reward.points_cost {
        return refuse(format!(
            "customer {} has {points} points; reward {:?} needs {}",
            req.customer_id, reward.name, reward.points_cost
        ));
    }
    let (movement_id, _) = move_points(
        tx,
        &NewMovement {
            customer_id: req.customer_id,
            kind: "redeem",
            points: -reward.points_cost,
            ..NewMovement::default()
        },
        &format!("loyalty reward claimed: {}", reward.name),
        actor.user_id,
        now,
    )?;
    let id: i64 = tx
        .execute_returning(
            "INSERT INTO loyalty_claims (reward_id, customer_id, points, movement_id, customer_seq,
                                         stock_seq, claimed_at_ms, user_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
            rusqlite::params![
                req.reward_id,
                req.customer_id,
                reward.points_cost,
                movement_id,
                customer_claims + 1,
                reward.claimed + 1,
                now,
                actor.user_id
            ],
            |r| r.get(0),
        )
        .on_constraint(ConstraintKind::Unique, || Error::StateConflict {
            message: format!(
                "reward {:?} was claimed meanwhile; its limit is reached",
                reward.name
            ),
        })?;
    let view = get_claim(conn, id)?;
    ctx.audit(
        "loyalty_claim",
        id,
        json!({
            "customer_id": req.customer_id,
            "reward_id": req.reward_id,
            "reward_name": reward.name,
            "points": reward.points_cost,
            "balance_after": view.balance_after,
            "movement_id": movement_id,
        }),
    );
    ctx.emit(
        "loyalty.reward_claimed",
        "loyalty_claim",
        id,
        json!({ "customer_id": req.customer_id, "reward_id": req.reward_id, "points": reward.points_cost }),
    );
    Ok(view)
}

/// What a claim gives at the till, for the checkout that uses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyClaimGrant")]
pub struct ClaimGrant {
    pub claim_id: i64,
    pub reward_id: i64,
    pub reward_name: String,
    pub grant: Grant,
}

/// For checkout: checks that claim `claim_id` is `customer_id`'s, not yet
/// redeemed and still valid at `now_ms`, and says what it grants.
pub fn claim_for_checkout(
    conn: &Connection,
    claim_id: i64,
    customer_id: i64,
    now_ms: i64,
) -> Result<ClaimGrant> {
    let claim = get_claim(conn, claim_id)?;
    if claim.customer_id != customer_id {
        return Err(Error::validation(
            "claim_id",
            format!("claim {claim_id} belongs to another customer"),
        ));
    }
    if let Some(order) = claim.redeemed_order_id {
        return Err(Error::StateConflict {
            message: format!("claim {claim_id} was already used on order id {order}"),
        });
    }
    if claim.valid_until_ms.is_some_and(|u| now_ms >= u) {
        return Err(Error::StateConflict {
            message: format!("claim {claim_id} ({}) has expired", claim.reward_name),
        });
    }
    Ok(ClaimGrant {
        claim_id,
        reward_id: claim.reward_id,
        reward_name: claim.reward_name,
        grant: claim.grant,
    })
}

/// For checkout, in its transaction: records that claim `claim_id` was used on
/// order `order_id` for `discount_minor`. A claim is redeemed at most once
/// (the primary key of `loyalty_redemptions`); a second time is `conflict`.
pub fn mark_redeemed(tx: &Tx<'_>, claim_id: i64, order_id: i64, discount_minor: i64) -> Result<()> {
    range("discount_minor", discount_minor, 0, MAX_AMOUNT_MINOR)?;
    tx.execute(
        "INSERT INTO loyalty_redemptions (claim_id, order_id, discount_minor) VALUES (?1, ?2, ?3)",
        rusqlite::params![claim_id, order_id, discount_minor],
    )
    .on_constraint(ConstraintKind::Unique, || Error::StateConflict {
        message: format!("claim {claim_id} was already redeemed"),
    })
    .map_err(|e| match e {
        Error::Validation { field, .. } if field == "reference" => {
            Error::not_found("loyalty_claim", claim_id)
        }
        other => other,
    })?;
    Ok(())
}
