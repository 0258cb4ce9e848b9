//! The low-stock list: tracked, active products whose available stock has
//! fallen to their reorder point, most short first, with what to order.
//!
//! The dashboard, the stock list and suggested purchase orders all read it
//! here, so "low" means the same thing on every screen.

use crate::error::{Error, Result};
use crate::shared::handler::{ReadCtx, Request};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// The most lines one low-stock read returns.
pub const LOW_STOCK_LIMIT_MAX: u32 = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LowStockLine {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub category: String,
    /// Decimals of the product's unit (quantities are in its smallest part).
    pub quantity_decimals: u32,
    pub unit: String,
    pub on_hand: i64,
    pub available: i64,
    pub reorder_point: i64,
    /// The reorder quantity, or enough to reach twice the reorder point
    /// (at least one of the smallest unit) when none is set.
    pub suggested_quantity: i64,
    pub preferred_vendor_id: Option<i64>,
    pub preferred_vendor_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LowStock {
    pub lines: Vec<LowStockLine>,
    /// More products are low than `limit` allowed.
    pub truncated: bool,
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct LowStockRequest {
    #[serde(default = "default_limit")]
    #[ts(optional = nullable)]
    pub limit: u32,
    /// Only products whose preferred vendor is this one.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub vendor_id: Option<i64>,
}

fn default_limit() -> u32 {
    100
}

impl Request for LowStockRequest {
    fn validate(&self) -> Result<()> {
        if !(1..=LOW_STOCK_LIMIT_MAX).contains(&self.limit) {
            return Err(Error::validation(
                "limit",
                format!("must be 1 to {LOW_STOCK_LIMIT_MAX}, got {}", self.limit),
            ));
        }
        if let Some(v) = self.vendor_id {
            crate::shared::validate::id("vendor_id", v)?;
        }
        Ok(())
    }
}

/// The low products, most short (available minus point) first, then by name.
pub fn low_stock(conn: &Connection, limit: u32, vendor_id: Option<i64>) -> Result<LowStock> {
    let mut stmt = conn.prepare_cached(
        "WITH s AS (
             SELECT p.id, p.sku, p.name, p.category, p.unit, p.reorder_point, p.reorder_quantity,
                    p.preferred_vendor_id,
                    coalesce((SELECT sum(b.on_hand) FROM batches b WHERE b.product_id = p.id), 0) AS on_hand,
                    coalesce((SELECT sum(b.on_hand - b.reserved) FROM batches b WHERE b.product_id = p.id), 0) AS available
               FROM products p
              WHERE p.reorder_point IS NOT NULL AND p.archived_at_ms IS NULL AND p.track_stock = 1
                AND (?2 IS NULL OR p.preferred_vendor_id = ?2))
         SELECT s.id, s.sku, s.name, s.category, s.unit, s.on_hand, s.available, s.reorder_point,
                coalesce(s.reorder_quantity, max(2 * s.reorder_point - s.available, 1)),
                s.preferred_vendor_id, v.name
           FROM s LEFT JOIN vendors v ON v.id = s.preferred_vendor_id
          WHERE s.available <= s.reorder_point
          ORDER BY s.available - s.reorder_point, s.name, s.id
          LIMIT ?1",
    )?;
    let mut lines = stmt
        .query_map(rusqlite::params![i64::from(limit) + 1, vendor_id], |r| {
            let unit: String = r.get(4)?;
            Ok(LowStockLine {
                product_id: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                category: r.get(3)?,
                quantity_decimals: crate::catalog::Unit::parse(&unit).decimals(),
                unit,
                on_hand: r.get(5)?,
                available: r.get(6)?,
                reorder_point: r.get(7)?,
                suggested_quantity: r.get(8)?,
                preferred_vendor_id: r.get(9)?,
                preferred_vendor_name: r.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let truncated = lines.len() > limit as usize;
    lines.truncate(limit as usize);
    Ok(LowStock { lines, truncated })
}

/// `stock.low`
pub fn low_stock_cmd(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &LowStockRequest,
) -> Result<LowStock> {
    low_stock(conn, req.limit, req.vendor_id)
}
