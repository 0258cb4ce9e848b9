//! `reports.sales`: sales and refunds by day, hour, product, cashier or tender,
//! every figure an aggregate computed by SQLite (see the folder's documentation).

use crate::error::{Error, Result};
use crate::shared::calendar::{date_of_ms, DAY_MS, HOUR_MS};
use crate::shared::handler::{ReadCtx, Request};
use rusqlite::{Connection, Row};
use serde::{Deserialize, Serialize};

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
pub(super) fn check_range(from_ms: i64, to_ms: i64, max_days: i64) -> Result<()> {
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
    /// Product rows: the quantity sold in the product's smallest part (grams
    /// for kg; see `unit` and `quantity_decimals`). Other rows and the totals:
    /// items, a weighed or measured line counting as one.
    pub units: Option<i64>,
    /// Product rows: the product's unit and its decimals.
    pub unit: Option<crate::catalog::Unit>,
    pub quantity_decimals: Option<u32>,
    pub discount_minor: Option<i64>,
    pub net_minor: Option<i64>,
    pub tax_minor: Option<i64>,
    pub total_minor: i64,
    pub cost_minor: Option<i64>,
    /// `net − cost`.
    pub margin_minor: Option<i64>,
    pub refunds: i64,
    /// Counted like `units`.
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

/// Items on a sales line when lines of different products are added up: a
/// counted line's quantity, and one for a weighed or measured line (350 g of
/// cheese is one item, not 350).
const ITEMS: &str = "CASE WHEN l.quantity_decimals > 0 THEN 1 ELSE l.quantity END";
/// [`ITEMS`] of a refund line (`rl`), by its order line (`ol`).
const REFUNDED_ITEMS: &str = "CASE WHEN ol.quantity_decimals > 0 THEN 1 ELSE rl.quantity END";

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
                    (SELECT sum({ITEMS}) FROM order_lines l WHERE l.order_id = o.id) AS units,
                    o.discount_minor AS discount, o.net_minor AS net, o.tax_minor AS tax,
                    o.total_minor AS total, o.cost_minor AS cost,
                    NULL AS refund_id, 0 AS r_units, 0 AS r_net, 0 AS r_tax, 0 AS r_total,
                    0 AS r_cost
             FROM orders o
             WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2 AND {NOT_VOIDED}",
            sk = g.sale_key
        )
    };
    let refunded_units = if g.per_line {
        "rl.quantity"
    } else {
        REFUNDED_ITEMS
    };
    format!(
        "{sales}
         UNION ALL
         SELECT {rk}, NULL, 0, 0, 0, 0, 0, 0, 0,
                r.id, {refunded_units}, rl.net_minor, rl.tax_minor, rl.total_minor, rl.cost_minor
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
    let limit = match req.group_by {
        GroupBy::Product | GroupBy::Cashier => req.limit.unwrap_or(DEFAULT_GROUPS),
        // Bounded by the range (≤ 401 days, ≤ 961 hours) or the tenders.
        _ => MAX_GROUPS,
    };
    let width = match req.group_by {
        GroupBy::Hour => HOUR_MS,
        _ => DAY_MS,
    };
    let offset_ms = i64::from(req.tz_offset_minutes) * 60_000;
    // Every grouping binds the same five parameters (?3 and ?4 are used by day
    // and hour only), so each grouping is one cached statement.
    let mut rows = conn
        .prepare_cached(&groups_sql(req.group_by))?
        .query_map(
            rusqlite::params![
                req.from_ms,
                req.to_ms,
                width,
                offset_ms,
                i64::from(limit) + 1
            ],
            |r| keyed_row(r, req.group_by, offset_ms),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let truncated = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok(SalesReport {
        from_ms: req.from_ms,
        to_ms: req.to_ms,
        group_by: req.group_by,
        tz_offset_minutes: req.tz_offset_minutes,
        rows,
        totals: sales_totals(conn, req)?,
        truncated,
    })
}

/// The statement of one grouping's rows: the aggregates per key, with the
/// product's or user's names, in the report's order, at most `?5` rows.
fn groups_sql(group_by: GroupBy) -> String {
    let g = grouping(group_by);
    let facts = match group_by {
        GroupBy::Tender => TENDER_FACTS.to_string(),
        _ => line_facts(&g),
    };
    let (labels, join, order) = match group_by {
        GroupBy::Day | GroupBy::Hour | GroupBy::Tender => ("NULL, NULL, NULL", "", "a.k"),
        GroupBy::Product => (
            "p.sku, p.name, p.unit",
            "LEFT JOIN products p ON p.id = a.k",
            "a.s_net DESC, a.k",
        ),
        GroupBy::Cashier => (
            "u.display_name, NULL, NULL",
            "LEFT JOIN users u ON u.id = a.k",
            "a.s_net DESC, a.k",
        ),
    };
    format!(
        "SELECT a.*, {labels} FROM (
             SELECT k, {aggs} FROM ({facts}) GROUP BY k
         ) a {join}
         ORDER BY {order} LIMIT ?5",
        aggs = aggregates(g.orders),
    )
}

/// One row of [`groups_sql`] with its key and label.
fn keyed_row(r: &Row<'_>, group_by: GroupBy, offset_ms: i64) -> rusqlite::Result<SalesReportRow> {
    let mut row = read_row(r)?;
    match group_by {
        GroupBy::Day | GroupBy::Hour => {
            let start: i64 = r.get(0)?;
            row.key = bucket_key(group_by, start + offset_ms);
            row.label = row.key.clone();
            row.bucket_start_ms = Some(start);
        }
        GroupBy::Product | GroupBy::Cashier => {
            let id: i64 = r.get(0)?;
            let first: Option<String> = r.get(14)?;
            let second: Option<String> = r.get(15)?;
            row.key = id.to_string();
            row.id = Some(id);
            if group_by == GroupBy::Product {
                let unit: Option<String> = r.get(16)?;
                if let Some(u) = unit {
                    let unit = crate::catalog::Unit::parse(&u);
                    row.quantity_decimals = Some(unit.decimals());
                    row.unit = Some(unit);
                }
            }
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
}

/// `2026-01-31` for a day bucket, `2026-01-31 14:00` for an hour bucket, of
/// the bucket's local start.
fn bucket_key(group_by: GroupBy, local_start_ms: i64) -> String {
    if group_by == GroupBy::Day {
        date_of_ms(local_start_ms)
    } else {
        format!(
            "{} {:02}:00",
            date_of_ms(local_start_ms),
            local_start_ms.rem_euclid(DAY_MS) / HOUR_MS
        )
    }
}

/// The whole range as one row, whatever the grouping.
fn sales_totals(conn: &Connection, req: &SalesReportRequest) -> Result<SalesReportRow> {
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
    Ok(totals)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_keyed_by_their_local_day_or_hour() {
        // 2026-01-01T00:00:00Z.
        let start_ms = 1_767_225_600_000;
        assert_eq!(bucket_key(GroupBy::Day, start_ms), "2026-01-01");
        assert_eq!(bucket_key(GroupBy::Day, start_ms - 1), "2025-12-31");
        assert_eq!(
            bucket_key(GroupBy::Hour, start_ms + 14 * HOUR_MS),
            "2026-01-01 14:00"
        );
        assert_eq!(
            bucket_key(GroupBy::Hour, start_ms - HOUR_MS),
            "2025-12-31 23:00"
        );
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
