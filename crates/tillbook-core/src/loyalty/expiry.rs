//! Expiry runs, at most one per UTC day.

use crate::db::{CachedRow, Tx};
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::loyalty::config::load_config;
use crate::loyalty::points::{append, next_id, post_points, NewMovement};
use crate::loyalty::DAY_MS;
use crate::shared::handler::{Request, WriteCtx};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyExpireRequest")]
#[serde(deny_unknown_fields)]
pub struct ExpireRequest {}

impl Request for ExpireRequest {}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyExpiryRun")]
pub struct ExpiryRunView {
    pub id: i64,
    /// UTC days since 1970-01-01.
    pub day: i64,
    pub customers: i64,
    pub points: i64,
    pub run_at_ms: i64,
    /// True when today's run had already happened (this call changed nothing).
    pub already_ran: bool,
}

/// `loyalty.expire`: today's expiry run (see the module docs); idempotent per day.
pub fn expire(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, _req: &ExpireRequest) -> Result<ExpiryRunView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let day = now.div_euclid(DAY_MS);
    let done: Option<ExpiryRunView> = conn
        .cached_row(
            "SELECT id, day, customers, points, run_at_ms FROM loyalty_expiry_runs WHERE day = ?1",
            [day],
            |r| {
                Ok(ExpiryRunView {
                    id: r.get(0)?,
                    day: r.get(1)?,
                    customers: r.get(2)?,
                    points: r.get(3)?,
                    run_at_ms: r.get(4)?,
                    already_ran: true,
                })
            },
        )
        .optional()?;
    if let Some(run) = done {
        ctx.audit(
            "loyalty_expiry_run",
            run.id,
            json!({ "day": day, "already_ran": true }),
        );
        return Ok(run);
    }
    // Only customers with credits that expired since the last run can owe
    // anything: what is due never grows otherwise (debits only lower it).
    let last_cutoff: i64 = conn.cached_row(
        "SELECT coalesce(max(cutoff_ms), -1) FROM loyalty_expiry_runs",
        [],
        |r| r.get(0),
    )?;
    let due: Vec<(i64, i64)> = conn
        .prepare_cached(
            "SELECT c.customer_id,
                    (SELECT coalesce(sum(points), 0) FROM loyalty_movements
                     WHERE customer_id = c.customer_id AND points > 0 AND expires_at_ms <= ?2)
                  + (SELECT coalesce(sum(points), 0) FROM loyalty_movements
                     WHERE customer_id = c.customer_id AND points < 0) AS due
             FROM (SELECT DISTINCT customer_id FROM loyalty_movements
                   WHERE expires_at_ms > ?1 AND expires_at_ms <= ?2) c
             WHERE due > 0 ORDER BY c.customer_id",
        )?
        .query_map([last_cutoff, now], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let id = next_id(conn, "loyalty_expiry_runs")?;
    let points: i64 = due.iter().map(|(_, p)| p).sum();
    let value = load_config(conn)?.point_value_minor;
    let entry_id = if due.is_empty() {
        None
    } else {
        let parts: Vec<(i64, i64)> = due.iter().map(|(c, p)| (*c, -p * value)).collect();
        Some(post_points(
            tx,
            &parts,
            &format!("loyalty points expired (run {id})"),
            "loyalty_expiry",
            id,
            actor.user_id,
            now,
        )?)
    };
    tx.execute(
        "INSERT INTO loyalty_expiry_runs (id, day, cutoff_ms, customers, points, entry_id, user_id, run_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![id, day, now, due.len() as i64, points, entry_id, actor.user_id, now],
    )
    .on_constraint(ConstraintKind::Unique, || Error::StateConflict {
        message: "today's expiry run happened meanwhile".into(),
    })?;
    if let Some(entry_id) = entry_id {
        let first = next_id(conn, "loyalty_movements")?;
        for (i, (customer_id, p)) in due.iter().enumerate() {
            append(
                tx,
                first + i as i64,
                &NewMovement {
                    customer_id: *customer_id,
                    kind: "expire",
                    points: -p,
                    expiry_run_id: Some(id),
                    ..NewMovement::default()
                },
                value,
                entry_id,
                actor.user_id,
                now,
            )?;
        }
    }
    let view = ExpiryRunView {
        id,
        day,
        customers: due.len() as i64,
        points,
        run_at_ms: now,
        already_ran: false,
    };
    ctx.audit(
        "loyalty_expiry_run",
        id,
        json!({ "day": day, "customers": view.customers, "points": points, "entry_id": entry_id }),
    );
    if points > 0 {
        ctx.emit(
            "loyalty.points_expired",
            "loyalty_expiry_run",
            id,
            json!({ "customers": view.customers, "points": points }),
        );
    }
    Ok(view)
}
