//! `invoices.aging`: what customers owe on invoices as at the end of a day, by
//! days past due.

use super::invoices::FIGURES;
use crate::error::Result;
use crate::shared::calendar::{date_of_day, day_of_ms, parse_date, DAY_MS};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, Row};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceAgingRequest")]
#[serde(deny_unknown_fields)]
pub struct AgingRequest {
    /// `YYYY-MM-DD` (UTC): the report as at the end of that day. Today when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub as_of: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub customer_id: Option<i64>,
    /// Customers after this id (the previous page's `next_after_customer_id`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_customer_id: Option<i64>,
    /// 1 to 200; 50 when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for AgingRequest {
    fn validate(&self) -> Result<()> {
        if let Some(d) = &self.as_of {
            parse_date("as_of", d)?;
        }
        if let Some(c) = self.customer_id {
            validate::id("customer_id", c)?;
        }
        if let Some(c) = self.after_customer_id {
            validate::id("after_customer_id", c)?;
        }
        validate::page_limit(self.limit, validate::PAGE_MAX)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "AgingBuckets")]
pub struct AgingBuckets {
    /// Not yet past due.
    pub current_minor: i64,
    pub days_1_30_minor: i64,
    pub days_31_60_minor: i64,
    pub days_61_90_minor: i64,
    pub over_90_minor: i64,
    pub total_minor: i64,
    /// Invoices with something outstanding.
    pub invoice_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "AgingCustomerRow")]
pub struct AgingRow {
    pub customer_id: i64,
    pub customer_name: String,
    #[serde(flatten)]
    pub buckets: AgingBuckets,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "AgingReport")]
pub struct AgingReport {
    pub as_of: String,
    pub customers: Vec<AgingRow>,
    /// Over every customer the filter selects, not only this page.
    pub totals: AgingBuckets,
    pub next_after_customer_id: Option<i64>,
}

const AGING_SUMS: &str = "
    coalesce(sum(CASE WHEN d <= 0 THEN o END), 0),
    coalesce(sum(CASE WHEN d BETWEEN 1 AND 30 THEN o END), 0),
    coalesce(sum(CASE WHEN d BETWEEN 31 AND 60 THEN o END), 0),
    coalesce(sum(CASE WHEN d BETWEEN 61 AND 90 THEN o END), 0),
    coalesce(sum(CASE WHEN d > 90 THEN o END), 0),
    coalesce(sum(o), 0), count(*)";

fn buckets_at(r: &Row<'_>, at: usize) -> rusqlite::Result<AgingBuckets> {
    Ok(AgingBuckets {
        current_minor: r.get(at)?,
        days_1_30_minor: r.get(at + 1)?,
        days_31_60_minor: r.get(at + 2)?,
        days_61_90_minor: r.get(at + 3)?,
        over_90_minor: r.get(at + 4)?,
        total_minor: r.get(at + 5)?,
        invoice_count: r.get(at + 6)?,
    })
}

/// `invoices.aging`: what customers owe on invoices as at the end of a day,
/// by days past due; everything summed in SQL.
pub fn aging(ctx: &ReadCtx<'_>, conn: &Connection, req: &AgingRequest) -> Result<AgingReport> {
    let day = match &req.as_of {
        Some(d) => parse_date("as_of", d)?,
        None => day_of_ms(ctx.now_ms),
    };
    let as_of = date_of_day(day);
    let cutoff = (day + 1) * DAY_MS;
    // Dates are whole days, so the difference of their Julian day numbers is exact.
    let outstanding = format!(
        "SELECT customer_id, customer_name, outstanding_minor AS o,
                CAST(julianday(?2) - julianday(due_on) AS INTEGER) AS d
         FROM ({FIGURES}) WHERE outstanding_minor > 0"
    );
    let limit = req.limit.unwrap_or(50);
    let mut st = conn.prepare_cached(&format!(
        "SELECT customer_id, customer_name, {AGING_SUMS} FROM ({outstanding})
         WHERE customer_id > ?5 GROUP BY customer_id ORDER BY customer_id LIMIT ?6"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            cutoff,
            as_of,
            req.customer_id,
            None::<i64>,
            req.after_customer_id.unwrap_or(0),
            i64::from(limit) + 1
        ],
        |r| {
            Ok(AgingRow {
                customer_id: r.get(0)?,
                customer_name: r.get(1)?,
                buckets: buckets_at(r, 2)?,
            })
        },
    )?;
    let (customers, next_after_customer_id) = crate::shared::handler::keyset_page(
        rows.collect::<rusqlite::Result<Vec<_>>>()?,
        limit,
        |c| c.customer_id,
    );
    let totals = conn
        .prepare_cached(&format!("SELECT {AGING_SUMS} FROM ({outstanding})"))?
        .query_row(
            rusqlite::params![cutoff, as_of, req.customer_id, None::<i64>],
            |r| buckets_at(r, 0),
        )?;
    Ok(AgingReport {
        as_of,
        customers,
        totals,
        next_after_customer_id,
    })
}
