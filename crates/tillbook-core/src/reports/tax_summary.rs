//! `reports.tax_summary`: the sales report's tax by rate over a range — what
//! was sold at each rate before tax, the tax and the total, less what was
//! refunded in the range (at the sale's rate). Voided sales are left out, as
//! in `reports.sales`. Aggregated by SQLite; the range is half-open.
//!
//! Refunds without a receipt do not store the rate of their lines, so they
//! are not in this summary (they are in `reports.sales`).

use super::sales::MAX_RANGE_DAYS;
use crate::catalog::tax::{summarize, TaxSummary};
use crate::error::{Error, Result};
use crate::shared::calendar::DAY_MS;
use crate::shared::handler::{ReadCtx, Request};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct TaxSummaryRequest {
    /// Start of the range (inclusive), ms since the epoch.
    pub from_ms: i64,
    /// End of the range (exclusive); at most 400 days after `from_ms`.
    pub to_ms: i64,
}

impl Request for TaxSummaryRequest {
    fn validate(&self) -> Result<()> {
        if self.from_ms < 0 {
            return Err(Error::validation("from_ms", "must be 0 or more"));
        }
        if self.to_ms <= self.from_ms {
            return Err(Error::validation("to_ms", "must be after from_ms"));
        }
        if self.to_ms - self.from_ms > MAX_RANGE_DAYS * DAY_MS {
            return Err(Error::validation(
                "to_ms",
                format!("the range may span at most {MAX_RANGE_DAYS} days"),
            ));
        }
        Ok(())
    }
}

const RANGE_SQL: &str = "SELECT rate, sum(net), sum(tax), sum(total) FROM (
    SELECT l.tax_rate_bp AS rate, l.net_minor AS net, l.tax_minor AS tax, l.total_minor AS total
      FROM orders o JOIN order_lines l ON l.order_id = o.id
     WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2
       AND NOT EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = o.id)
    UNION ALL
    SELECT ol.tax_rate_bp, -rl.net_minor, -rl.tax_minor, -rl.total_minor
      FROM refunds r JOIN refund_lines rl ON rl.refund_id = r.id
      JOIN order_lines ol ON ol.id = rl.order_line_id
     WHERE r.created_at_ms >= ?1 AND r.created_at_ms < ?2
) GROUP BY rate";

/// Tax by rate over `[from_ms, to_ms)`.
pub fn tax_summary_of(conn: &Connection, from_ms: i64, to_ms: i64) -> Result<TaxSummary> {
    summarize(conn, RANGE_SQL, &[&from_ms, &to_ms], to_ms - 1)
}

/// `reports.tax_summary`
pub fn tax_summary(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &TaxSummaryRequest,
) -> Result<TaxSummary> {
    tax_summary_of(conn, req.from_ms, req.to_ms)
}
