//! Reports: sales by day, hour, product, cashier or tender with margin and
//! refunds; stock valuation; the streaming CSV export of order lines (T33).
//!
//! # Sales (`reports.sales`)
//!
//! Every figure is an aggregate computed by SQLite over the stored rows — the
//! orders, their lines and payments, the refunds, their lines and payments —
//! so no order is ever loaded into memory, whatever the size of the range.
//! The range is half-open, `[from_ms, to_ms)`, on when the sale (or the refund)
//! happened: a refund counts in the period it was given, against the group of
//! the refund itself — its local day or hour, the product of the refunded
//! line, the user who gave it (`cashier`), the tender the money went back to.
//! Refunds are their own columns, never netted into the sales columns.
//!
//! - `margin = net − cost`, where cost is the batch cost recorded on each
//!   order line (`order_lines.cost_minor`), so margin is what the ledger's
//!   revenue and cost of goods sold say.
//! - `refund_cost_minor` is the batch cost of refunded units put back on the
//!   shelf (damaged units stay a cost), so `margin_after_refunds =
//!   (net − refund_net) − (cost − refund_cost)`, as the reversing entries post.
//! - Day and hour buckets are the shop's local days and hours:
//!   `tz_offset_minutes` is added to each timestamp before it is cut.
//! - Voided sales (`sales.void`, reversed whole within their shift) are left
//!   out of every figure and of the export.
//! - By tender, a payment settles a whole order, not its lines: a tender row
//!   has `orders`, `total_minor` (the amount settled by that tender; cash net
//!   of change), `refunds` and `refund_total_minor`; its line-based columns
//!   are `null`. The `totals` row is always complete.
//!
//! # Stock valuation (`reports.stock_valuation`)
//!
//! `Σ on_hand × unit_cost_minor` per batch, summed per product and in total,
//! over batches with stock. Paged by product id; the grand total comes with
//! every page.

use crate::error::{Error, Result};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, Row};
use serde::{Deserialize, Serialize};
use std::io::Write;

pub const DAY_MS: i64 = 86_400_000;
pub const HOUR_MS: i64 = 3_600_000;
/// The longest range of a sales report or export.
pub const MAX_RANGE_DAYS: i64 = 400;
/// Hour buckets over a longer range would be more rows than a screen can use
/// (40 days = 960 hours, within [`MAX_GROUPS`]).
pub const MAX_HOUR_RANGE_DAYS: i64 = 40;
/// The most rows of a by-product or by-cashier report.
pub const MAX_GROUPS: u32 = 1000;
pub const DEFAULT_GROUPS: u32 = 100;
/// UTC−14:00 to UTC+14:00: every offset in use.
pub const MAX_TZ_OFFSET_MINUTES: i32 = 840;
pub const VALUATION_PAGE_MAX: u32 = 200;
pub const VALUATION_PAGE_DEFAULT: u32 = 50;

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ReportGroupBy")]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Hour,
    Product,
    Cashier,
    Tender,
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesReportRequest")]
#[serde(deny_unknown_fields)]
pub struct SalesReportRequest {
    /// Start of the range (inclusive), ms since the epoch.
    pub from_ms: i64,
    /// End of the range (exclusive); at most 400 days after `from_ms`
    /// (40 days when grouping by hour).
    pub to_ms: i64,
    pub group_by: GroupBy,
    /// The shop's offset from UTC in minutes (−840 to 840) for day and hour
    /// buckets; 0 when omitted.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub tz_offset_minutes: i32,
    /// By product or cashier only: 1 to 1000 rows, 100 when omitted.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

/// Checks a `[from_ms, to_ms)` range: positive, non-empty, at most `max_days`.
fn check_range(from_ms: i64, to_ms: i64, max_days: i64) -> Result<()> {
    if from_ms < 0 {
        return Err(Error::validation("from_ms", "must be 0 or more"));
    }
    if to_ms <= from_ms {
        return Err(Error::validation("to_ms", "must be after from_ms"));
    }
    if to_ms - from_ms > max_days * DAY_MS {
        return Err(Error::validation(
            "to_ms",
            format!("the range may span at most {max_days} days"),
        ));
    }
    Ok(())
}

impl Request for SalesReportRequest {
    fn validate(&self) -> Result<()> {
        let max_days = match self.group_by {
            GroupBy::Hour => MAX_HOUR_RANGE_DAYS,
            _ => MAX_RANGE_DAYS,
        };
        check_range(self.from_ms, self.to_ms, max_days)?;
        if !(-MAX_TZ_OFFSET_MINUTES..=MAX_TZ_OFFSET_MINUTES).contains(&self.tz_offset_minutes) {
            return Err(Error::validation(
                "tz_offset_minutes",
                format!("must be -{MAX_TZ_OFFSET_MINUTES} to {MAX_TZ_OFFSET_MINUTES}"),
            ));
        }
        match (self.group_by, self.limit) {
            (GroupBy::Product | GroupBy::Cashier, Some(l)) if !(1..=MAX_GROUPS).contains(&l) => {
                Err(Error::validation(
                    "limit",
                    format!("must be 1 to {MAX_GROUPS}"),
                ))
            }
            (GroupBy::Day | GroupBy::Hour | GroupBy::Tender, Some(_)) => Err(Error::validation(
                "limit",
                "only a report by product or cashier takes a limit",
            )),
            _ => Ok(()),
        }
    }
}

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
        if let Some(l) = self.limit {
            if !(1..=VALUATION_PAGE_MAX).contains(&l) {
                return Err(Error::validation(
                    "limit",
                    format!("must be 1 to {VALUATION_PAGE_MAX}"),
                ));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

/// One group of a sales report (or its totals).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesReportRow")]
pub struct SalesReportRow {
    /// Stable key: `2026-01-31`, `2026-01-31 14:00`, a product or user id, a tender.
    pub key: String,
    /// For people: the date, hour, `SKU · name`, the user's display name, the tender.
    pub label: String,
    /// Day and hour rows: the bucket's start (the local midnight or hour), in UTC ms.
    pub bucket_start_ms: Option<i64>,
    /// Product and cashier rows: the product's or user's id.
    pub id: Option<i64>,
    pub orders: i64,
    pub units: Option<i64>,
    pub discount_minor: Option<i64>,
    pub net_minor: Option<i64>,
    pub tax_minor: Option<i64>,
    pub total_minor: i64,
    pub cost_minor: Option<i64>,
    /// `net − cost`.
    pub margin_minor: Option<i64>,
    pub refunds: i64,
    pub refunded_units: Option<i64>,
    pub refund_net_minor: Option<i64>,
    pub refund_tax_minor: Option<i64>,
    pub refund_total_minor: i64,
    /// Batch cost of refunded units put back in stock.
    pub refund_cost_minor: Option<i64>,
    /// `net − refund_net`.
    pub net_after_refunds_minor: Option<i64>,
    /// `(net − refund_net) − (cost − refund_cost)`.
    pub margin_after_refunds_minor: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesReport")]
pub struct SalesReport {
    pub from_ms: i64,
    pub to_ms: i64,
    pub group_by: GroupBy,
    pub tz_offset_minutes: i32,
    /// Day and hour ascending; product and cashier by net sales, largest first;
    /// tenders by name. Groups with neither sales nor refunds are absent.
    pub rows: Vec<SalesReportRow>,
    /// The whole range (never cut by `limit`).
    pub totals: SalesReportRow,
    /// More products or cashiers than `limit` had sales or refunds.
    pub truncated: bool,
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

// ---------------------------------------------------------------------------
// Sales report
// ---------------------------------------------------------------------------

/// The SQL pieces of one grouping: the group key over sales lines (`o`, `l`)
/// and over refund lines (`r`, `rl`, `ol`), and how orders are counted.
struct Grouping {
    sale_key: &'static str,
    refund_key: &'static str,
    /// Day, hour and cashier count each order's one row (cheaper than a
    /// DISTINCT set); a product can be on several lines of one order, and an
    /// order paid in parts several times by one tender.
    orders: &'static str,
    /// The key is a line's (its product), not the order's.
    per_line: bool,
}

const COUNT_FIRST_LINES: &str = "coalesce(sum(first_line), 0)";
const COUNT_DISTINCT_ORDERS: &str = "count(DISTINCT order_id)";

fn grouping(g: GroupBy) -> Grouping {
    // ?3 is the bucket width, ?4 the offset in ms; the floor is taken with a
    // double modulo so it is right for any sign.
    match g {
        GroupBy::Day | GroupBy::Hour => Grouping {
            sale_key: "o.created_at_ms - (((o.created_at_ms + ?4) % ?3) + ?3) % ?3",
            refund_key: "r.created_at_ms - (((r.created_at_ms + ?4) % ?3) + ?3) % ?3",
            orders: COUNT_FIRST_LINES,
            per_line: false,
        },
        GroupBy::Product => Grouping {
            sale_key: "l.product_id",
            refund_key: "ol.product_id",
            orders: COUNT_DISTINCT_ORDERS,
            per_line: true,
        },
        GroupBy::Cashier => Grouping {
            sale_key: "o.cashier_id",
            refund_key: "r.created_by",
            orders: COUNT_FIRST_LINES,
            per_line: false,
        },
        // An order can be split over two cards.
        GroupBy::Tender => Grouping {
            sale_key: "NULL",
            refund_key: "NULL",
            orders: COUNT_DISTINCT_ORDERS,
            per_line: false,
        },
    }
}

/// A voided sale was reversed whole in its own shift (`sales.void`): it is no
/// sale, so reports and the export leave it out. (One probe of the unique
/// index on `order_voids.order_id` per order.)
const NOT_VOIDED: &str = "NOT EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = o.id)";

/// Sales and refund lines in the range as one stream of facts. Groupings
/// whose key is the order's (day, hour, cashier, the totals) read one row per
/// order — its amounts are the exact sums of its lines, which `verify`
/// checks — and only the units from its lines; by product, one row per line.
fn line_facts(g: &Grouping) -> String {
    let sales = if g.per_line {
        format!(
            "SELECT {sk} AS k, l.order_id AS order_id, (l.line_no = 1) AS first_line,
                    l.quantity AS units, l.discount_minor AS discount, l.net_minor AS net,
                    l.tax_minor AS tax, l.total_minor AS total, l.cost_minor AS cost,
                    NULL AS refund_id, 0 AS r_units, 0 AS r_net, 0 AS r_tax, 0 AS r_total,
                    0 AS r_cost
             FROM orders o JOIN order_lines l ON l.order_id = o.id
             WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2 AND {NOT_VOIDED}",
            sk = g.sale_key
        )
    } else {
        format!(
            "SELECT {sk} AS k, o.id AS order_id, 1 AS first_line,
                    (SELECT sum(l.quantity) FROM order_lines l WHERE l.order_id = o.id) AS units,
                    o.discount_minor AS discount, o.net_minor AS net, o.tax_minor AS tax,
                    o.total_minor AS total, o.cost_minor AS cost,
                    NULL AS refund_id, 0 AS r_units, 0 AS r_net, 0 AS r_tax, 0 AS r_total,
                    0 AS r_cost
             FROM orders o
             WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2 AND {NOT_VOIDED}",
            sk = g.sale_key
        )
    };
    format!(
        "{sales}
         UNION ALL
         SELECT {rk}, NULL, 0, 0, 0, 0, 0, 0, 0,
                r.id, rl.quantity, rl.net_minor, rl.tax_minor, rl.total_minor, rl.cost_minor
         FROM refunds r JOIN refund_lines rl ON rl.refund_id = r.id
              JOIN order_lines ol ON ol.id = rl.order_line_id
         WHERE r.created_at_ms >= ?1 AND r.created_at_ms < ?2",
        rk = g.refund_key,
    )
}

/// Payments and refund payments in the range, by tender; the line columns are NULL.
const TENDER_FACTS: &str = "
    SELECT p.tender AS k, p.order_id AS order_id, 0 AS first_line,
           NULL AS units, NULL AS discount, NULL AS net, NULL AS tax, p.amount_minor AS total,
           NULL AS cost, NULL AS refund_id, NULL AS r_units, NULL AS r_net, NULL AS r_tax,
           0 AS r_total, NULL AS r_cost
    FROM orders o JOIN payments p ON p.order_id = o.id
    WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2
      AND NOT EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = o.id)
    UNION ALL
    SELECT rp.tender, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL,
           r.id, NULL, NULL, NULL, rp.amount_minor, NULL
    FROM refunds r JOIN refund_payments rp ON rp.refund_id = r.id
    WHERE r.created_at_ms >= ?1 AND r.created_at_ms < ?2";

/// The aggregate columns, aliased; [`read_row`] reads them by position from 1.
fn aggregates(orders: &str) -> String {
    format!(
        "{orders} AS s_orders, sum(units) AS s_units, sum(discount) AS s_discount,
         sum(net) AS s_net, sum(tax) AS s_tax, coalesce(sum(total), 0) AS s_total,
         sum(cost) AS s_cost, count(DISTINCT refund_id) AS s_refunds, sum(r_units) AS s_r_units,
         sum(r_net) AS s_r_net, sum(r_tax) AS s_r_tax, coalesce(sum(r_total), 0) AS s_r_total,
         sum(r_cost) AS s_r_cost"
    )
}

/// Reads columns 1..=13 as laid out by [`aggregates`].
fn read_row(r: &Row<'_>) -> rusqlite::Result<SalesReportRow> {
    let net: Option<i64> = r.get(4)?;
    let cost: Option<i64> = r.get(7)?;
    let r_net: Option<i64> = r.get(10)?;
    let r_cost: Option<i64> = r.get(13)?;
    let after = net.zip(r_net).map(|(n, rn)| n - rn);
    Ok(SalesReportRow {
        orders: r.get(1)?,
        units: r.get(2)?,
        discount_minor: r.get(3)?,
        net_minor: net,
        tax_minor: r.get(5)?,
        total_minor: r.get(6)?,
        cost_minor: cost,
        margin_minor: net.zip(cost).map(|(n, c)| n - c),
        refunds: r.get(8)?,
        refunded_units: r.get(9)?,
        refund_net_minor: r_net,
        refund_tax_minor: r.get(11)?,
        refund_total_minor: r.get(12)?,
        refund_cost_minor: r_cost,
        net_after_refunds_minor: after,
        margin_after_refunds_minor: after.zip(cost.zip(r_cost)).map(|(a, (c, rc))| a - (c - rc)),
        ..SalesReportRow::default()
    })
}

/// A day since the epoch as (year, month, day) in the proleptic Gregorian
/// calendar (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-01-31` for the day holding `ms`.
pub fn date_of(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2026-01-31T14:05:09.250Z`.
pub fn utc_timestamp(ms: i64) -> String {
    let in_day = ms.rem_euclid(DAY_MS);
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        date_of(ms),
        in_day / HOUR_MS,
        in_day % HOUR_MS / 60_000,
        in_day % 60_000 / 1000,
        in_day % 1000
    )
}

/// `reports.sales`: see the module documentation.
pub fn sales(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &SalesReportRequest,
) -> Result<SalesReport> {
    run_sales(conn, req)
}

/// The sales report for callers outside the dispatcher (benchmarks, exports).
pub fn sales_report(conn: &Connection, req: &SalesReportRequest) -> Result<SalesReport> {
    req.validate()?;
    run_sales(conn, req)
}

fn run_sales(conn: &Connection, req: &SalesReportRequest) -> Result<SalesReport> {
    let g = grouping(req.group_by);
    let facts = match req.group_by {
        GroupBy::Tender => TENDER_FACTS.to_string(),
        _ => line_facts(&g),
    };
    let (labels, join, order) = match req.group_by {
        GroupBy::Day | GroupBy::Hour | GroupBy::Tender => ("NULL, NULL", "", "a.k"),
        GroupBy::Product => (
            "p.sku, p.name",
            "LEFT JOIN products p ON p.id = a.k",
            "a.s_net DESC, a.k",
        ),
        GroupBy::Cashier => (
            "u.display_name, NULL",
            "LEFT JOIN users u ON u.id = a.k",
            "a.s_net DESC, a.k",
        ),
    };
    let limit = match req.group_by {
        GroupBy::Product | GroupBy::Cashier => req.limit.unwrap_or(DEFAULT_GROUPS),
        // Bounded by the range (≤ 401 days, ≤ 961 hours) or the tenders.
        _ => MAX_GROUPS,
    };
    let sql = format!(
        "SELECT a.*, {labels} FROM (
             SELECT k, {aggs} FROM ({facts}) GROUP BY k
         ) a {join}
         ORDER BY {order} LIMIT ?5",
        aggs = aggregates(g.orders),
    );
    let width = match req.group_by {
        GroupBy::Hour => HOUR_MS,
        _ => DAY_MS,
    };
    let offset_ms = i64::from(req.tz_offset_minutes) * 60_000;
    let group_by = req.group_by;
    let map = |r: &Row<'_>| -> rusqlite::Result<SalesReportRow> {
        let mut row = read_row(r)?;
        match group_by {
            GroupBy::Day | GroupBy::Hour => {
                let start: i64 = r.get(0)?;
                let local = start + offset_ms;
                row.key = if group_by == GroupBy::Day {
                    date_of(local)
                } else {
                    format!(
                        "{} {:02}:00",
                        date_of(local),
                        local.rem_euclid(DAY_MS) / HOUR_MS
                    )
                };
                row.label = row.key.clone();
                row.bucket_start_ms = Some(start);
            }
            GroupBy::Product | GroupBy::Cashier => {
                let id: i64 = r.get(0)?;
                let first: Option<String> = r.get(14)?;
                let second: Option<String> = r.get(15)?;
                row.key = id.to_string();
                row.id = Some(id);
                row.label = match (group_by, first, second) {
                    (GroupBy::Product, Some(sku), Some(name)) => format!("{sku} · {name}"),
                    (GroupBy::Cashier, Some(name), _) => name,
                    (GroupBy::Product, _, _) => format!("product {id}"),
                    _ => format!("user {id}"),
                };
            }
            GroupBy::Tender => {
                row.key = r.get(0)?;
                row.label = row.key.clone();
            }
        }
        Ok(row)
    };
    // Every grouping binds the same five parameters (?3 and ?4 are used by day
    // and hour only), so each grouping is one cached statement.
    let mut rows = conn
        .prepare_cached(&sql)?
        .query_map(
            rusqlite::params![
                req.from_ms,
                req.to_ms,
                width,
                offset_ms,
                i64::from(limit) + 1
            ],
            map,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let truncated = rows.len() > limit as usize;
    rows.truncate(limit as usize);

    let whole = Grouping {
        sale_key: "NULL",
        refund_key: "NULL",
        orders: COUNT_FIRST_LINES,
        per_line: false,
    };
    let totals_sql = format!(
        "SELECT NULL, {aggs} FROM ({facts})",
        aggs = aggregates(COUNT_FIRST_LINES),
        facts = line_facts(&whole)
    );
    let mut totals = conn
        .prepare_cached(&totals_sql)?
        .query_row(rusqlite::params![req.from_ms, req.to_ms], read_row)?;
    totals.key = "total".into();
    totals.label = "Total".into();
    Ok(SalesReport {
        from_ms: req.from_ms,
        to_ms: req.to_ms,
        group_by: req.group_by,
        tz_offset_minutes: req.tz_offset_minutes,
        rows,
        totals,
        truncated,
    })
}

// ---------------------------------------------------------------------------
// Stock valuation
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// CSV export (T33)
// ---------------------------------------------------------------------------

/// The export's first line.
pub const SALES_CSV_HEADER: &str = "order_number,receipt_number,created_at,created_at_ms,\
cashier_id,customer_id,line_no,product_id,sku,product_name,quantity,unit_price_minor,\
gross_minor,discount_minor,net_minor,tax_minor,total_minor,cost_minor";

/// One CSV field: quoted when it holds a separator, quote or line break; a
/// leading `= + - @` (a spreadsheet formula) is defused with a `'`.
fn csv_text(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Writes the order lines of the sales in `[from_ms, to_ms)` (voided sales
/// left out) to `out` as CSV
/// (header first, oldest sale first), one row at a time straight from the
/// query cursor: memory stays the same whatever the number of lines. Pass a
/// buffered writer. Returns the number of lines written (without the header).
pub fn export_sales_csv<W: Write>(
    conn: &Connection,
    from_ms: i64,
    to_ms: i64,
    out: &mut W,
) -> Result<u64> {
    check_range(from_ms, to_ms, MAX_RANGE_DAYS)?;
    let io = |e: std::io::Error| Error::internal(format!("writing the sales export: {e}"));
    writeln!(out, "{SALES_CSV_HEADER}").map_err(io)?;
    // Walks `orders_created` in order and each order's lines by their unique
    // (order_id, line_no) index: no sort, so nothing is gathered before output.
    let mut st = conn.prepare_cached(
        "SELECT o.number, o.receipt_number, o.created_at_ms, o.cashier_id, o.customer_id,
                l.line_no, l.product_id, p.sku, p.name, l.quantity, l.unit_price_minor,
                l.gross_minor, l.discount_minor, l.net_minor, l.tax_minor, l.total_minor,
                l.cost_minor
         FROM orders o JOIN order_lines l ON l.order_id = o.id
              JOIN products p ON p.id = l.product_id
         WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2
           AND NOT EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = o.id)
         ORDER BY o.created_at_ms, o.id, l.line_no",
    )?;
    let mut rows = st.query(rusqlite::params![from_ms, to_ms])?;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let at: i64 = r.get(2)?;
        let customer: Option<i64> = r.get(4)?;
        let sku: String = r.get(7)?;
        let name: String = r.get(8)?;
        let mut nums = [0i64; 8];
        for (i, v) in nums.iter_mut().enumerate() {
            *v = r.get(9 + i)?;
        }
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            utc_timestamp(at),
            at,
            r.get::<_, i64>(3)?,
            customer.map(|c| c.to_string()).unwrap_or_default(),
            r.get::<_, i64>(5)?,
            r.get::<_, i64>(6)?,
            csv_text(&sku),
            csv_text(&name),
            nums[0],
            nums[1],
            nums[2],
            nums[3],
            nums[4],
            nums[5],
            nums[6],
            nums[7]
        )
        .map_err(io)?;
        n += 1;
    }
    out.flush().map_err(io)?;
    Ok(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_proleptic_gregorian() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(-1), "1969-12-31");
        assert_eq!(date_of(1_767_225_600_000), "2026-01-01");
        assert_eq!(date_of(951_782_400_000), "2000-02-29");
        assert_eq!(
            utc_timestamp(1_767_225_600_000 - 1),
            "2025-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_text("-1,2"), "\"'-1,2\"");
    }

    #[test]
    fn ranges_are_bounded_and_name_the_field() {
        let req = |from_ms, to_ms, group_by, tz, limit| SalesReportRequest {
            from_ms,
            to_ms,
            group_by,
            tz_offset_minutes: tz,
            limit,
        };
        let field = |r: SalesReportRequest| match r.validate() {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert!(req(0, DAY_MS, GroupBy::Day, 0, None).validate().is_ok());
        assert_eq!(field(req(-1, DAY_MS, GroupBy::Day, 0, None)), "from_ms");
        assert_eq!(field(req(DAY_MS, DAY_MS, GroupBy::Day, 0, None)), "to_ms");
        assert_eq!(field(req(0, 401 * DAY_MS, GroupBy::Day, 0, None)), "to_ms");
        assert!(req(0, 400 * DAY_MS, GroupBy::Day, 0, None)
            .validate()
            .is_ok());
        assert_eq!(field(req(0, 41 * DAY_MS, GroupBy::Hour, 0, None)), "to_ms");
        assert_eq!(
            field(req(0, DAY_MS, GroupBy::Day, 841, None)),
            "tz_offset_minutes"
        );
        assert_eq!(
            field(req(0, DAY_MS, GroupBy::Day, -841, None)),
            "tz_offset_minutes"
        );
        assert_eq!(
            field(req(0, DAY_MS, GroupBy::Product, 0, Some(1001))),
            "limit"
        );
        assert_eq!(field(req(0, DAY_MS, GroupBy::Cashier, 0, Some(0))), "limit");
        assert_eq!(field(req(0, DAY_MS, GroupBy::Day, 0, Some(10))), "limit");
        assert!(req(0, DAY_MS, GroupBy::Product, 0, Some(1000))
            .validate()
            .is_ok());
    }
}
