//! `stock.list`: every stocked product with what is on hand, what is free to
//! sell, what it is worth at its batches' cost and its reorder point — the
//! owner's one page for "what have I got". In name order, keyset-paged,
//! filtered by category, by "low only" (the same rule as `stock.low`:
//! available at or below the reorder point) and by a search of name or SKU.
//!
//! Products that do not track stock (made to order) have no stock and are
//! left out; archived products are left out too.

use crate::error::{Error, Result};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub const STOCK_LIST_PAGE_DEFAULT: u32 = 50;
pub const STOCK_LIST_PAGE_MAX: u32 = 200;

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct StockListRequest {
    /// Part of the name, or the start of the SKU or barcode.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub query: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub category: Option<String>,
    /// Only products at or below their reorder point.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub low_only: bool,
    /// Keyset paging: products after this (name, id), from the previous page.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_name: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for StockListRequest {
    fn validate(&self) -> Result<()> {
        if let Some(q) = &self.query {
            if q.chars().count() > 100 {
                return Err(Error::validation("query", "must be at most 100 characters"));
            }
        }
        if let Some(c) = &self.category {
            validate::text("category", c, 0, 64)?;
        }
        match (&self.after_name, self.after_id) {
            (None, None) => {}
            (Some(n), Some(id)) => {
                validate::text("after_name", n, 0, 200)?;
                validate::id("after_id", id)?;
            }
            _ => {
                return Err(Error::validation(
                    "after_id",
                    "give both after_name and after_id (the previous page's last line)",
                ))
            }
        }
        validate::page_limit(self.limit, STOCK_LIST_PAGE_MAX)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct StockListLine {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub unit: crate::catalog::Unit,
    /// Decimals of the unit: quantities are in its smallest part (g for kg).
    pub quantity_decimals: u32,
    pub on_hand: i64,
    /// On hand less what is held for parked sales.
    pub available: i64,
    /// Σ on_hand × unit cost over its batches / 10^decimals, rounded once
    /// (as `reports.stock_valuation`).
    pub value_minor: i64,
    pub reorder_point: Option<i64>,
    /// At or below its reorder point (as `stock.low`).
    pub low: bool,
    /// Still to come on open purchase orders.
    pub on_order: i64,
    pub preferred_vendor_name: Option<String>,
    pub track_expiry: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct StockListPage {
    pub lines: Vec<StockListLine>,
    /// Pass both as `after_name`/`after_id` for the next page; absent on the last.
    pub next_after_name: Option<String>,
    pub next_after_id: Option<i64>,
}

/// `s` with LIKE's wildcards escaped (`\` is the escape).
fn like_escaped(s: &str) -> String {
    let mut p = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p
}

/// `stock.list`: see the module documentation.
pub fn stock_list(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &StockListRequest,
) -> Result<StockListPage> {
    let limit = req.limit.unwrap_or(STOCK_LIST_PAGE_DEFAULT);
    let query = req
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(like_escaped);
    let category = req.category.as_deref().filter(|c| !c.is_empty());
    let mut st = conn.prepare_cached(
        "WITH s AS (
             SELECT p.id, p.sku, p.name, p.category, p.unit, p.reorder_point, p.track_expiry,
                    p.preferred_vendor_id,
                    coalesce((SELECT sum(b.on_hand) FROM batches b WHERE b.product_id = p.id), 0) AS on_hand,
                    coalesce((SELECT sum(b.on_hand - b.reserved) FROM batches b WHERE b.product_id = p.id), 0) AS available,
                    coalesce((SELECT (sum(b.on_hand * b.unit_cost_minor)
                                       + (CASE p.unit WHEN 'kg' THEN 1000 WHEN 'l' THEN 1000 WHEN 'm' THEN 100 ELSE 1 END) / 2)
                                      / (CASE p.unit WHEN 'kg' THEN 1000 WHEN 'l' THEN 1000 WHEN 'm' THEN 100 ELSE 1 END)
                                FROM batches b WHERE b.product_id = p.id AND b.on_hand > 0), 0) AS value_minor,
                    coalesce((SELECT sum(l.quantity - l.received_quantity)
                                FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.order_id
                               WHERE l.product_id = p.id
                                 AND o.status IN ('draft', 'sent', 'partly_received')), 0) AS on_order
               FROM products p
              WHERE p.archived_at_ms IS NULL AND p.track_stock = 1
                AND (?1 IS NULL OR p.name LIKE '%' || ?1 || '%' ESCAPE '\\'
                     OR p.sku LIKE ?1 || '%' ESCAPE '\\' OR p.barcode LIKE ?1 || '%' ESCAPE '\\')
                AND (?2 IS NULL OR p.category = ?2)
                AND (?3 IS NULL OR (p.name, p.id) > (?3, ?4)))
         SELECT s.id, s.sku, s.name, s.category, s.unit, s.on_hand, s.available, s.value_minor,
                s.reorder_point, s.reorder_point IS NOT NULL AND s.available <= s.reorder_point,
                s.on_order, v.name, s.track_expiry
           FROM s LEFT JOIN vendors v ON v.id = s.preferred_vendor_id
          WHERE NOT ?5 OR (s.reorder_point IS NOT NULL AND s.available <= s.reorder_point)
          ORDER BY s.name, s.id LIMIT ?6",
    )?;
    let mut lines = st
        .query_map(
            rusqlite::params![
                query,
                category,
                req.after_name,
                req.after_id,
                req.low_only,
                i64::from(limit) + 1
            ],
            |r| {
                let unit = crate::catalog::Unit::parse(&r.get::<_, String>(4)?);
                Ok(StockListLine {
                    product_id: r.get(0)?,
                    sku: r.get(1)?,
                    name: r.get(2)?,
                    category: r.get(3)?,
                    quantity_decimals: unit.decimals(),
                    unit,
                    on_hand: r.get(5)?,
                    available: r.get(6)?,
                    value_minor: r.get(7)?,
                    reorder_point: r.get(8)?,
                    low: r.get(9)?,
                    on_order: r.get(10)?,
                    preferred_vendor_name: r.get(11)?,
                    track_expiry: r.get(12)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (next_after_name, next_after_id) = if lines.len() > limit as usize {
        lines.truncate(limit as usize);
        match lines.last() {
            Some(l) => (Some(l.name.clone()), Some(l.product_id)),
            None => (None, None),
        }
    } else {
        (None, None)
    };
    Ok(StockListPage {
        lines,
        next_after_name,
        next_after_id,
    })
}
