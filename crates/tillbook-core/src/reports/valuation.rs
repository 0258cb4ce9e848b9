//! `reports.stock_valuation`: `Σ on_hand × unit_cost_minor` per product with
//! stock, paged by product id, with the grand total on every page.

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
    pub on_hand: i64,
    /// Σ on_hand × unit_cost_minor over those batches.
    pub value_minor: i64,
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
    let mut st = conn.prepare_cached(
        "SELECT b.product_id, p.sku, p.name, p.archived_at_ms IS NOT NULL, count(*),
                sum(b.on_hand), sum(b.on_hand * b.unit_cost_minor)
         FROM batches b JOIN products p ON p.id = b.product_id
         WHERE b.on_hand > 0 AND b.product_id > ?1
         GROUP BY b.product_id ORDER BY b.product_id LIMIT ?2",
    )?;
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
        .prepare_cached(
            "SELECT count(DISTINCT product_id), coalesce(sum(on_hand), 0),
                    coalesce(sum(on_hand * unit_cost_minor), 0)
             FROM batches WHERE on_hand > 0",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(StockValuation {
        rows,
        next_after_product_id,
        total_products,
        total_on_hand,
        total_value_minor,
    })
}
