//! Earning rules, point value and expiry: `loyalty.config`, `loyalty.configure`, revaluation.

use crate::catalog::MAX_AMOUNT_MINOR;
use crate::db::rows::Versioned;
use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::loyalty::points::{exists, next_id, post_points};
use crate::loyalty::{MAX_EXCLUDED, MAX_MULTIPLIERS};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyCategoryMultiplier")]
#[serde(deny_unknown_fields)]
pub struct CategoryMultiplier {
    pub category: String,
    /// 10000 = ×1, 20000 = double points, 0 = none.
    pub multiplier_bp: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyConfig")]
pub struct ConfigView {
    pub points_per_unit: i64,
    pub point_value_minor: i64,
    pub min_spend_minor: i64,
    pub expiry_days: Option<i64>,
    pub category_multipliers: Vec<CategoryMultiplier>,
    pub excluded_product_ids: Vec<i64>,
    pub version: i64,
    pub updated_at_ms: i64,
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyConfigRequest")]
#[serde(deny_unknown_fields)]
pub struct ConfigRequest {}

impl Request for ConfigRequest {}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LoyaltyConfigureRequest")]
#[serde(deny_unknown_fields)]
pub struct ConfigureRequest {
    /// The configuration version the manager read.
    pub version: i64,
    pub points_per_unit: i64,
    pub point_value_minor: i64,
    pub min_spend_minor: i64,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub expiry_days: Option<i64>,
    #[serde(default)]
    pub category_multipliers: Vec<CategoryMultiplier>,
    #[serde(default)]
    pub excluded_product_ids: Vec<i64>,
}

pub(super) fn range(field: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if !(min..=max).contains(&value) {
        return Err(Error::validation(
            field,
            format!("must be {min} to {max}, got {value}"),
        ));
    }
    Ok(())
}

impl Request for ConfigureRequest {
    fn validate(&self) -> Result<()> {
        validate::version(self.version)?;
        range("points_per_unit", self.points_per_unit, 0, 1000)?;
        range("point_value_minor", self.point_value_minor, 1, 1_000_000)?;
        range("min_spend_minor", self.min_spend_minor, 0, MAX_AMOUNT_MINOR)?;
        if let Some(d) = self.expiry_days {
            range("expiry_days", d, 1, 3650)?;
        }
        if self.category_multipliers.len() > MAX_MULTIPLIERS {
            return Err(Error::validation(
                "category_multipliers",
                format!("at most {MAX_MULTIPLIERS}"),
            ));
        }
        for (i, m) in self.category_multipliers.iter().enumerate() {
            validate::text(
                &format!("category_multipliers[{i}].category"),
                &m.category,
                1,
                100,
            )?;
            range(
                &format!("category_multipliers[{i}].multiplier_bp"),
                m.multiplier_bp,
                0,
                100_000,
            )?;
            if self.category_multipliers[..i]
                .iter()
                .any(|o| o.category.to_lowercase() == m.category.to_lowercase())
            {
                return Err(Error::validation(
                    format!("category_multipliers[{i}].category"),
                    "each category at most once",
                ));
            }
        }
        if self.excluded_product_ids.len() > MAX_EXCLUDED {
            return Err(Error::validation(
                "excluded_product_ids",
                format!("at most {MAX_EXCLUDED}"),
            ));
        }
        for (i, p) in self.excluded_product_ids.iter().enumerate() {
            validate::id(&format!("excluded_product_ids[{i}]"), *p)?;
            if self.excluded_product_ids[..i].contains(p) {
                return Err(Error::validation(
                    format!("excluded_product_ids[{i}]"),
                    "each product at most once",
                ));
            }
        }
        Ok(())
    }
}

/// The current configuration.
pub fn load_config(conn: &Connection) -> Result<ConfigView> {
    let mut cfg = conn.cached_row(
        "SELECT points_per_unit, point_value_minor, min_spend_minor, expiry_days, version, updated_at_ms
         FROM loyalty_config WHERE id = 1",
        [],
        |r| {
            Ok(ConfigView {
                points_per_unit: r.get(0)?,
                point_value_minor: r.get(1)?,
                min_spend_minor: r.get(2)?,
                expiry_days: r.get(3)?,
                version: r.get(4)?,
                updated_at_ms: r.get(5)?,
                category_multipliers: Vec::new(),
                excluded_product_ids: Vec::new(),
            })
        },
    )?;
    cfg.category_multipliers = conn
        .prepare_cached(
            "SELECT category, multiplier_bp FROM loyalty_category_multipliers ORDER BY category",
        )?
        .query_map([], |r| {
            Ok(CategoryMultiplier {
                category: r.get(0)?,
                multiplier_bp: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    cfg.excluded_product_ids = conn
        .prepare_cached("SELECT product_id FROM loyalty_excluded_products ORDER BY product_id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(cfg)
}

/// `loyalty.config`: the earning rules, point value and expiry.
pub fn config(_ctx: &ReadCtx<'_>, conn: &Connection, _req: &ConfigRequest) -> Result<ConfigView> {
    load_config(conn)
}

/// `loyalty.configure`: replaces the earning rules; a changed point value
/// re-values the outstanding points in the ledger in the same transaction.
pub fn configure(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ConfigureRequest,
) -> Result<ConfigView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let before = load_config(conn)?;
    for (i, p) in req.excluded_product_ids.iter().enumerate() {
        if !exists(conn, "SELECT 1 FROM products WHERE id = ?1", *p)? {
            return Err(Error::validation(
                format!("excluded_product_ids[{i}]"),
                format!("no product {p}"),
            ));
        }
    }
    Versioned {
        table: "loyalty_config",
        entity: "loyalty_config",
    }
    .update(
        tx,
        1,
        req.version,
        &[
            ("points_per_unit", &req.points_per_unit),
            ("point_value_minor", &req.point_value_minor),
            ("min_spend_minor", &req.min_spend_minor),
            ("expiry_days", &req.expiry_days),
            ("updated_by", &actor.user_id),
            ("updated_at_ms", &now),
        ],
    )?;
    tx.execute("DELETE FROM loyalty_category_multipliers", [])?;
    for m in &req.category_multipliers {
        tx.execute(
            "INSERT INTO loyalty_category_multipliers (category, multiplier_bp) VALUES (?1, ?2)",
            rusqlite::params![m.category, m.multiplier_bp],
        )?;
    }
    tx.execute("DELETE FROM loyalty_excluded_products", [])?;
    for p in &req.excluded_product_ids {
        tx.execute(
            "INSERT INTO loyalty_excluded_products (product_id) VALUES (?1)",
            [p],
        )?;
    }
    let revaluation = if before.point_value_minor != req.point_value_minor {
        revalue(
            tx,
            before.point_value_minor,
            req.point_value_minor,
            actor.user_id,
            now,
        )?
    } else {
        None
    };
    let after = load_config(conn)?;
    ctx.audit(
        "loyalty_config",
        1,
        json!({
            "points_per_unit": after.points_per_unit,
            "point_value_minor": after.point_value_minor,
            "previous_point_value_minor": before.point_value_minor,
            "min_spend_minor": after.min_spend_minor,
            "expiry_days": after.expiry_days,
            "category_multipliers": after.category_multipliers,
            "excluded_product_ids": after.excluded_product_ids,
            "revaluation_id": revaluation,
        }),
    );
    ctx.emit(
        "loyalty.configured",
        "loyalty_config",
        1,
        json!({ "version": after.version, "point_value_minor": after.point_value_minor }),
    );
    Ok(after)
}

/// Re-values every customer's outstanding points from `old` to `new` per point.
pub(super) fn revalue(
    tx: &Tx<'_>,
    old: i64,
    new: i64,
    user_id: i64,
    now: i64,
) -> Result<Option<i64>> {
    let conn = tx.conn();
    let outstanding: Vec<(i64, i64)> = conn
        .prepare_cached(
            "SELECT customer_id, sum(points) FROM loyalty_movements
             GROUP BY customer_id HAVING sum(points) > 0 ORDER BY customer_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let points: i64 = outstanding.iter().map(|(_, p)| p).sum();
    if points == 0 {
        return Ok(None);
    }
    let id = next_id(conn, "loyalty_revaluations")?;
    let parts: Vec<(i64, i64)> = outstanding
        .iter()
        .map(|(c, p)| (*c, p * (new - old)))
        .collect();
    let memo = format!("loyalty point value {old} -> {new}");
    let entry_id = post_points(tx, &parts, &memo, "loyalty_revaluation", id, user_id, now)?;
    tx.execute(
        "INSERT INTO loyalty_revaluations (id, old_value_minor, new_value_minor, points_outstanding,
                                           amount_minor, entry_id, user_id, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            id,
            old,
            new,
            points,
            points * (new - old),
            entry_id,
            user_id,
            now
        ],
    )?;
    Ok(Some(id))
}
