//! `dashboard.today`: Home's one read — the shop's day at a glance — and
//! `dashboard.checklist_tick`, the owner's ticks on the getting-started list.
//!
//! # The day's figures
//!
//! "Today" is the shop's local day around the dispatcher's clock: the client
//! sends `tz_offset_minutes` as it does for `reports.sales`, and the day is
//! `[local midnight, next local midnight)`. The money figures are the sales
//! report's over that range, so Home and Reports never disagree:
//!
//! - **sales total** = Σ sale totals (tax included, after discounts) − Σ
//!   refunds given today; voided sales are no sales (left out, as in the
//!   report; the Z-report lists them as voids and takes them off its net).
//!   Refunds without a receipt are not sales figures (as in the report); they
//!   show in the drawer's expected cash.
//! - **number of sales** counts today's sales that were not voided;
//!   **average basket** is their total before refunds over that number, rounded
//!   half away from zero (a refund is not a basket).
//! - **by hour**: 24 local hours of today and of the same weekday last week,
//!   each bucket's sales minus its refunds, like the headline.
//! - **top products**: by revenue today (line totals less refunded lines),
//!   then quantity, in the product's smallest unit; at most [`TOP_PRODUCTS`].
//!
//! The other panels come from the one place that owns each: the low-stock list
//! (`stock::low_stock`), open shifts with the drawer's expected cash (the
//! Z-report's expression, through `shifts.list`), invoices due (the aging
//! report's totals and the overdue list, as at today), and the outbox rows not
//! yet pushed to head office (sync does not exist yet: this is what it would send).
//!
//! # Bounds
//!
//! Every list is capped; every range read walks an index (`orders_created`,
//! `refunds_created`, the partial `outbox_unsent`, `shifts_one_open_per_user`);
//! the checklist's reads are `EXISTS` probes or stop at two rows.

use crate::accounts::{AgingRequest, InvoiceStatus, ListRequest as InvoiceListRequest};
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::shared::calendar::{date_of_ms, DAY_MS, HOUR_MS};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::stock::{low_stock, LowStock};
use rusqlite::{Connection, OptionalExtension};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::sales::{sales_report, GroupBy, SalesReport, SalesReportRequest, MAX_TZ_OFFSET_MINUTES};

/// Products in the top list.
pub const TOP_PRODUCTS: u32 = 5;
/// Lines of the low-stock panel (the Stock screen has the whole list).
pub const DASHBOARD_LOW_STOCK: u32 = 5;
/// Open shifts listed (one per user at most; a shop with more has a Shifts screen).
pub const DASHBOARD_OPEN_SHIFTS: u32 = 20;
/// Overdue invoices read to find the oldest; more are counted as "at least".
pub const DASHBOARD_OVERDUE_SCAN: u32 = 200;

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct DashboardRequest {
    /// The shop's offset from UTC in minutes (−840 to 840), as for
    /// `reports.sales`; 0 when omitted.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub tz_offset_minutes: i32,
}

impl Request for DashboardRequest {
    fn validate(&self) -> Result<()> {
        if !(-MAX_TZ_OFFSET_MINUTES..=MAX_TZ_OFFSET_MINUTES).contains(&self.tz_offset_minutes) {
            return Err(Error::validation(
                "tz_offset_minutes",
                format!("must be -{MAX_TZ_OFFSET_MINUTES} to {MAX_TZ_OFFSET_MINUTES}"),
            ));
        }
        Ok(())
    }
}

/// One local hour of today and of the same weekday last week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DashboardHour {
    /// 0 to 23, local.
    pub hour: u32,
    /// Sales minus refunds in that hour today.
    pub today_minor: i64,
    /// The same hour of the same weekday a week ago.
    pub last_week_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DashboardTopProduct {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub unit: String,
    /// Decimals of the unit (quantities are in its smallest part: g for kg).
    pub quantity_decimals: u32,
    /// Sold today less refunded today, in the unit's smallest part.
    pub quantity: i64,
    /// Line totals (tax included) less refunded lines.
    pub revenue_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DashboardShift {
    pub shift_id: i64,
    pub number: i64,
    pub user_id: i64,
    pub user_name: String,
    pub opened_at_ms: i64,
    /// What the drawer should hold now (the Z-report's figure).
    pub expected_cash_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DashboardOverdueInvoice {
    pub invoice_id: i64,
    pub number: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub due_on: String,
    pub days_past_due: i64,
    pub outstanding_minor: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DashboardInvoices {
    /// Invoices with something outstanding.
    pub unpaid_count: i64,
    pub unpaid_minor: i64,
    /// Of that, past its due date.
    pub overdue_minor: i64,
    pub overdue_count: i64,
    /// More overdue invoices than were read: `overdue_count` is a floor.
    pub overdue_count_is_floor: bool,
    /// The longest overdue.
    pub oldest_overdue: Option<DashboardOverdueInvoice>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DashboardSync {
    /// Changes waiting to be sent to head office.
    pub pending: i64,
    pub oldest_pending_at_ms: Option<i64>,
}

tillbook_db::named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum ChecklistStep {
        /// Ticked by the owner once she has looked at them.
        TaxRates = "tax_rates",
        /// From the data: an active product exists.
        Products = "products",
        /// From the data: a batch was received, or an untracked product exists.
        Stock = "stock",
        /// From the data: a second active user.
        Staff = "staff",
        /// Ticked ("later"): printers arrive with a later issue.
        Printer = "printer",
        /// Ticked: a backup leaves nothing in the shop's file to read.
        Backup = "backup",
    }
}

tillbook_db::named_enum! {
    /// What the owner can tick: the steps the data cannot tell, and the list itself.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum ChecklistTick {
        TaxRates = "tax_rates",
        Printer = "printer",
        Backup = "backup",
        /// The whole list put away (only once every step is done).
        Hidden = "hidden",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ChecklistItem {
    pub step: ChecklistStep,
    pub done: bool,
    /// Done by the owner's tick (else read from the data, or not done).
    pub ticked: bool,
    /// The owner ticks it; the data cannot tell.
    pub tickable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Checklist {
    pub items: Vec<ChecklistItem>,
    /// Every step is done.
    pub complete: bool,
    /// The owner put the list away.
    pub hidden: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Dashboard {
    /// The local day, `YYYY-MM-DD`, and its bounds in UTC ms.
    pub day: String,
    pub day_start_ms: i64,
    pub day_end_ms: i64,
    pub now_ms: i64,
    pub tz_offset_minutes: i32,
    /// Sales less refunds today (see the module documentation).
    pub sales_total_minor: i64,
    /// Sales before refunds.
    pub sales_gross_minor: i64,
    pub refunds_minor: i64,
    pub refunds_count: i64,
    pub sales_count: i64,
    pub average_basket_minor: i64,
    /// The same weekday last week, its date and its whole-day figure.
    pub last_week_day: String,
    pub last_week_total_minor: i64,
    /// Exactly 24, hour 0 first.
    pub hours: Vec<DashboardHour>,
    pub top_products: Vec<DashboardTopProduct>,
    pub low_stock: LowStock,
    pub open_shifts: Vec<DashboardShift>,
    pub invoices: DashboardInvoices,
    pub sync: DashboardSync,
    pub checklist: Checklist,
}

/// The UTC start of the local day holding `now_ms`.
pub fn local_day_start_ms(now_ms: i64, tz_offset_minutes: i32) -> i64 {
    let offset_ms = i64::from(tz_offset_minutes) * 60_000;
    now_ms - (now_ms + offset_ms).rem_euclid(DAY_MS)
}

/// `dashboard.today`: see the module documentation.
pub fn today(ctx: &ReadCtx<'_>, conn: &Connection, req: &DashboardRequest) -> Result<Dashboard> {
    let offset_ms = i64::from(req.tz_offset_minutes) * 60_000;
    let start = local_day_start_ms(ctx.now_ms, req.tz_offset_minutes);
    let end = start + DAY_MS;
    let week_ago = start - 7 * DAY_MS;
    let report = |from_ms: i64| -> Result<SalesReport> {
        sales_report(
            conn,
            &SalesReportRequest {
                from_ms,
                to_ms: from_ms + DAY_MS,
                group_by: GroupBy::Hour,
                tz_offset_minutes: req.tz_offset_minutes,
                limit: None,
            },
        )
    };
    let today = report(start)?;
    let last_week = report(week_ago)?;
    let t = &today.totals;
    let average_basket_minor = if t.orders > 0 {
        (Decimal::from(t.total_minor) / Decimal::from(t.orders))
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .ok_or_else(|| Error::internal("average basket out of range"))?
    } else {
        0
    };
    Ok(Dashboard {
        day: date_of_ms(start + offset_ms),
        day_start_ms: start,
        day_end_ms: end,
        now_ms: ctx.now_ms,
        tz_offset_minutes: req.tz_offset_minutes,
        sales_total_minor: t.total_minor - t.refund_total_minor,
        sales_gross_minor: t.total_minor,
        refunds_minor: t.refund_total_minor,
        refunds_count: t.refunds,
        sales_count: t.orders,
        average_basket_minor,
        last_week_day: date_of_ms(week_ago + offset_ms),
        last_week_total_minor: last_week.totals.total_minor - last_week.totals.refund_total_minor,
        hours: hours(&today, start, &last_week, week_ago),
        top_products: top_products(conn, start, end)?,
        low_stock: low_stock(conn, DASHBOARD_LOW_STOCK, None)?,
        open_shifts: open_shifts(ctx, conn)?,
        invoices: invoices(ctx, conn)?,
        sync: sync(conn)?,
        checklist: checklist(conn)?,
    })
}

/// Lays two hour reports into 24 buckets by their start.
fn hours(
    today: &SalesReport,
    start: i64,
    last_week: &SalesReport,
    week_ago: i64,
) -> Vec<DashboardHour> {
    let mut out: Vec<DashboardHour> = (0..24)
        .map(|hour| DashboardHour {
            hour,
            today_minor: 0,
            last_week_minor: 0,
        })
        .collect();
    let mut put = |report: &SalesReport, from: i64, today: bool| {
        for row in &report.rows {
            let Some(bucket) = row.bucket_start_ms else {
                continue;
            };
            let i = (bucket - from).div_euclid(HOUR_MS);
            if let Some(h) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                let v = row.total_minor - row.refund_total_minor;
                if today {
                    h.today_minor += v;
                } else {
                    h.last_week_minor += v;
                }
            }
        }
    };
    put(today, start, true);
    put(last_week, week_ago, false);
    out
}

/// The day's best sellers by revenue less refunds, then quantity.
fn top_products(conn: &Connection, from_ms: i64, to_ms: i64) -> Result<Vec<DashboardTopProduct>> {
    let mut st = conn.prepare_cached(
        "SELECT t.k, p.sku, p.name, p.unit, t.q, t.revenue FROM (
             SELECT k, sum(q) AS q, sum(v) AS revenue FROM (
                 SELECT l.product_id AS k, l.quantity AS q, l.total_minor AS v
                   FROM orders o JOIN order_lines l ON l.order_id = o.id
                  WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2
                    AND NOT EXISTS (SELECT 1 FROM order_voids x WHERE x.order_id = o.id)
                 UNION ALL
                 SELECT ol.product_id, -rl.quantity, -rl.total_minor
                   FROM refunds r JOIN refund_lines rl ON rl.refund_id = r.id
                        JOIN order_lines ol ON ol.id = rl.order_line_id
                  WHERE r.created_at_ms >= ?1 AND r.created_at_ms < ?2)
             GROUP BY k HAVING sum(q) > 0 OR sum(v) > 0
             ORDER BY revenue DESC, q DESC, k LIMIT ?3) t
         JOIN products p ON p.id = t.k
         ORDER BY t.revenue DESC, t.q DESC, t.k",
    )?;
    let rows = st.query_map(rusqlite::params![from_ms, to_ms, TOP_PRODUCTS], |r| {
        let unit: String = r.get(3)?;
        Ok(DashboardTopProduct {
            product_id: r.get(0)?,
            sku: r.get(1)?,
            name: r.get(2)?,
            quantity_decimals: crate::catalog::Unit::parse(&unit).decimals(),
            unit,
            quantity: r.get(4)?,
            revenue_minor: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Open shifts, oldest first, with who opened them and the drawer's expectation.
fn open_shifts(ctx: &ReadCtx<'_>, conn: &Connection) -> Result<Vec<DashboardShift>> {
    // The partial index of open shifts says how many there are and the newest;
    // `shifts.list` from just above it, asking for exactly that many, stops at
    // the oldest open one instead of walking every closed shift of the past.
    let (open, newest): (i64, Option<i64>) = conn
        .prepare_cached("SELECT count(*), max(id) FROM shifts WHERE status = 'open'")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let Some(newest) = newest else {
        return Ok(Vec::new());
    };
    let limit = open.clamp(1, i64::from(DASHBOARD_OPEN_SHIFTS));
    // `shifts.list` computes the expected cash with the Z-report's one
    // expression; its request type is the till folder's own, built here from
    // its documented JSON form.
    let page = crate::till::list(
        ctx,
        conn,
        &serde_json::from_value(
            json!({ "status": "open", "before_id": newest + 1, "limit": limit }),
        )
        .map_err(|e| Error::internal(format!("the open-shifts request: {e}")))?,
    )?;
    let mut name = conn.prepare_cached("SELECT display_name FROM users WHERE id = ?1")?;
    let mut out = Vec::with_capacity(page.shifts.len());
    for s in page.shifts.into_iter().rev() {
        let user_name: String = name
            .query_row([s.user_id], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| format!("user {}", s.user_id));
        out.push(DashboardShift {
            shift_id: s.id,
            number: s.number,
            user_id: s.user_id,
            user_name,
            opened_at_ms: s.opened_at_ms,
            expected_cash_minor: s.expected_cash_minor,
        });
    }
    Ok(out)
}

/// What customers owe on invoices as at today (the aging report's totals), and
/// the longest overdue of the overdue list.
fn invoices(ctx: &ReadCtx<'_>, conn: &Connection) -> Result<DashboardInvoices> {
    let aging = crate::accounts::aging(
        ctx,
        conn,
        &AgingRequest {
            limit: Some(1),
            ..AgingRequest::default()
        },
    )?;
    let overdue = crate::accounts::list(
        ctx,
        conn,
        &InvoiceListRequest {
            customer_id: None,
            status: Some(InvoiceStatus::Overdue),
            before_id: None,
            limit: Some(DASHBOARD_OVERDUE_SCAN),
        },
    )?;
    let oldest = overdue
        .invoices
        .iter()
        .max_by_key(|i| (i.days_past_due, std::cmp::Reverse(i.id)))
        .map(|i| DashboardOverdueInvoice {
            invoice_id: i.id,
            number: i.number,
            customer_id: i.customer_id,
            customer_name: i.customer_name.clone(),
            due_on: i.due_on.clone(),
            days_past_due: i.days_past_due,
            outstanding_minor: i.outstanding_minor,
        });
    Ok(DashboardInvoices {
        unpaid_count: aging.totals.invoice_count,
        unpaid_minor: aging.totals.total_minor,
        overdue_minor: aging.totals.total_minor - aging.totals.current_minor,
        overdue_count: i64::try_from(overdue.invoices.len()).unwrap_or(i64::MAX),
        overdue_count_is_floor: overdue.next_before_id.is_some(),
        oldest_overdue: oldest,
    })
}

/// Outbox rows not yet sent: a walk of the partial index of unsent rows.
fn sync(conn: &Connection) -> Result<DashboardSync> {
    let (pending, oldest_id): (i64, Option<i64>) = conn
        .prepare_cached("SELECT count(*), min(id) FROM outbox WHERE sent_at_ms IS NULL")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let oldest_pending_at_ms = match oldest_id {
        Some(id) => Some(
            conn.prepare_cached("SELECT created_at_ms FROM outbox WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?,
        ),
        None => None,
    };
    Ok(DashboardSync {
        pending,
        oldest_pending_at_ms,
    })
}

/// The getting-started list: read from the data where it can tell, else the
/// owner's ticks.
pub fn checklist(conn: &Connection) -> Result<Checklist> {
    let flag = |sql: &str| -> Result<bool> {
        Ok(conn
            .prepare_cached(sql)?
            .query_row([], |r| r.get::<_, bool>(0))?)
    };
    let products = flag("SELECT EXISTS (SELECT 1 FROM products WHERE archived_at_ms IS NULL)")?;
    let stock = flag(
        "SELECT EXISTS (SELECT 1 FROM batches)
             OR EXISTS (SELECT 1 FROM products WHERE track_stock = 0 AND archived_at_ms IS NULL)",
    )?;
    let staff = flag(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM users WHERE archived_at_ms IS NULL LIMIT 2)) >= 2",
    )?;
    let mut st = conn.prepare_cached("SELECT step, done FROM getting_started")?;
    let ticks = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let ticked = |t: ChecklistTick| ticks.iter().any(|(s, d)| s == t.as_str() && *d);
    let items: Vec<ChecklistItem> = ChecklistStep::ALL
        .into_iter()
        .map(|step| {
            let (data, tick) = match step {
                ChecklistStep::Products => (Some(products), None),
                ChecklistStep::Stock => (Some(stock), None),
                ChecklistStep::Staff => (Some(staff), None),
                ChecklistStep::TaxRates => (None, Some(ChecklistTick::TaxRates)),
                ChecklistStep::Printer => (None, Some(ChecklistTick::Printer)),
                ChecklistStep::Backup => (None, Some(ChecklistTick::Backup)),
            };
            let is_ticked = tick.is_some_and(ticked);
            ChecklistItem {
                step,
                done: data.unwrap_or(false) || is_ticked,
                ticked: is_ticked,
                tickable: tick.is_some(),
            }
        })
        .collect();
    let complete = items.iter().all(|i| i.done);
    Ok(Checklist {
        complete,
        hidden: ticked(ChecklistTick::Hidden),
        items,
    })
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ChecklistTickRequest {
    pub step: ChecklistTick,
    /// `false` takes the tick back (shows the list again, for `hidden`).
    pub done: bool,
}

impl Request for ChecklistTickRequest {}

/// `dashboard.checklist_tick`: the owner ticks a step (or puts the list away
/// once every step is done); the list as it now stands.
pub fn checklist_tick(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ChecklistTickRequest,
) -> Result<Checklist> {
    let actor = ctx.actor()?;
    if req.step == ChecklistTick::Hidden && req.done && !checklist(tx.conn())?.complete {
        return Err(Error::StateConflict {
            message: "the getting-started list can be put away once every step is done".into(),
        });
    }
    tx.execute(
        "INSERT INTO getting_started (step, done, updated_by, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (step) DO UPDATE SET done = excluded.done,
             updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms",
        rusqlite::params![req.step.as_str(), req.done, actor.user_id, ctx.now_ms],
    )?;
    let summary = json!({ "step": req.step.as_str(), "done": req.done });
    ctx.audit("getting_started", req.step.as_str(), summary.clone());
    ctx.emit(
        "getting_started.ticked",
        "getting_started",
        req.step.as_str(),
        summary,
    );
    checklist(tx.conn())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_day_starts_at_local_midnight_for_any_offset() {
        // 2026-01-01T00:00:00Z.
        let midnight = 1_767_225_600_000;
        assert_eq!(local_day_start_ms(midnight + 5 * HOUR_MS, 0), midnight);
        // UTC+2 at 23:30Z is already 01:30 on the 2nd, which began at 22:00Z.
        assert_eq!(
            local_day_start_ms(midnight + 23 * HOUR_MS + 30 * 60_000, 120),
            midnight + 22 * HOUR_MS
        );
        // UTC−5 at 03:00Z is still 22:00 on 31 December, which began at 05:00Z.
        assert_eq!(
            local_day_start_ms(midnight + 3 * HOUR_MS, -300),
            midnight - DAY_MS + 5 * HOUR_MS
        );
    }

    #[test]
    fn an_offset_out_of_range_is_refused_naming_the_field() {
        for tz in [841, -841] {
            match (DashboardRequest {
                tz_offset_minutes: tz,
            })
            .validate()
            {
                Err(Error::Validation { field, .. }) => assert_eq!(field, "tz_offset_minutes"),
                other => panic!("expected a validation error, got {other:?}"),
            }
        }
        assert!(DashboardRequest {
            tz_offset_minutes: 840
        }
        .validate()
        .is_ok());
    }
}
