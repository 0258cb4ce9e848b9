//! `reports.stock_valuation`: `Σ on_hand × unit_cost_minor` per product with
//! stock, paged by product id, with the grand total on every page.
//!
//! A weighed product's on-hand is in grams (ml, cm) and its unit cost per kg
//! (l, m): its value is the exact sum divided by 10^decimals and rounded once
//! per product (+ half, then floor, for these non-negative sums: the rule of
//! shared/money.rs); the total is the exact sum of the rows. Products that do
//! not track stock are left out.

use crate::error::Result;
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub const VALUATION_PAGE_DEFAULT: u32 = 50;

#[derive(Clone, Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "StockValuationRequest")]
#[serde(deny_unknown_fields)]
pub struct StockValuationRequest {
    /// Products after this id (the previous page's `next_after_product_id`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_product_id: Option<i64>,
    /// 1 to 200 products; 50 when omitted.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for StockValuationRequest {
    fn validate(&self) -> Result<()> {
        if let Some(a) = self.after_product_id {
            validate::id("after_product_id", a)?;
        }
        validate::page_limit(self.limit, validate::PAGE_MAX)?;
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "StockValuationRow")]
pub struct StockValuationRow {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub archived: bool,
    /// Batches of the product with stock.
    pub batches: i64,
    /// In the unit's smallest part (g for kg).
    pub on_hand: i64,
    /// Σ on_hand × unit_cost_minor over those batches / 10^quantity_decimals.
    pub value_minor: i64,
    pub quantity_decimals: u32,
    pub unit: crate::catalog::Unit,
}

/// 10^decimals of a product's unit, in SQL (`p` is the product row).
macro_rules! unit_scale_sql {
    () => {
        "(CASE p.unit WHEN 'kg' THEN 1000 WHEN 'l' THEN 1000 WHEN 'm' THEN 100 ELSE 1 END)"
    };
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "StockValuation")]
pub struct StockValuation {
    /// Products with stock, by id.
    pub rows: Vec<StockValuationRow>,
    /// Pass as `after_product_id` for the next page; absent on the last page.
    pub next_after_product_id: Option<i64>,
    /// All products with stock (every page says the same).
    pub total_products: i64,
    /// Pieces of the products counted by the piece; grams and litres of
    /// weighed and measured products do not add up with them (see their rows).
    pub total_on_hand: i64,
    pub total_value_minor: i64,
}

/// `reports.stock_valuation`: see the module documentation.
pub fn stock_valuation(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &StockValuationRequest,
) -> Result<StockValuation> {
    run_valuation(conn, req)
}

/// The valuation for callers outside the dispatcher.
pub fn valuation(conn: &Connection, req: &StockValuationRequest) -> Result<StockValuation> {
    req.validate()?;
    run_valuation(conn, req)
}

fn run_valuation(conn: &Connection, req: &StockValuationRequest) -> Result<StockValuation> {
    let limit = req.limit.unwrap_or(VALUATION_PAGE_DEFAULT);
    // Grouped in product order straight off the `batches_pick` index, so a
    // page reads only its own products' batches.
    let mut st = conn.prepare_cached(concat!(
        "SELECT b.product_id, p.sku, p.name, p.archived_at_ms IS NOT NULL, count(*),
                sum(b.on_hand), (sum(b.on_hand * b.unit_cost_minor) + ",
        unit_scale_sql!(),
        " / 2) / ",
        unit_scale_sql!(),
        ", p.unit
         FROM batches b JOIN products p ON p.id = b.product_id
         WHERE b.on_hand > 0 AND b.product_id > ?1 AND p.track_stock = 1
         GROUP BY b.product_id ORDER BY b.product_id LIMIT ?2"
    ))?;
    let mut rows = st
        .query_map(
            rusqlite::params![req.after_product_id.unwrap_or(0), i64::from(limit) + 1],
            |r| {
                Ok(StockValuationRow {
                    product_id: r.get(0)?,
                    sku: r.get(1)?,
                    name: r.get(2)?,
                    archived: r.get(3)?,
                    batches: r.get(4)?,
                    on_hand: r.get(5)?,
                    value_minor: r.get(6)?,
                    quantity_decimals: crate::catalog::Unit::parse(&r.get::<_, String>(7)?)
                        .decimals(),
                    unit: crate::catalog::Unit::parse(&r.get::<_, String>(7)?),
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next_after_product_id = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.product_id)
    } else {
        None
    };
    let (total_products, total_on_hand, total_value_minor) = conn
        .prepare_cached(concat!(
            "SELECT count(*), coalesce(sum(q), 0), coalesce(sum(v), 0) FROM (
               SELECT CASE WHEN ",
            unit_scale_sql!(),
            " = 1 THEN sum(b.on_hand) ELSE 0 END AS q,
                      (sum(b.on_hand * b.unit_cost_minor) + ",
            unit_scale_sql!(),
            " / 2) / ",
            unit_scale_sql!(),
            " AS v
                 FROM batches b JOIN products p ON p.id = b.product_id
                WHERE b.on_hand > 0 AND p.track_stock = 1
                GROUP BY b.product_id)"
        ))?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(StockValuation {
        rows,
        next_after_product_id,
        total_products,
        total_on_hand,
        total_value_minor,
    })
}
