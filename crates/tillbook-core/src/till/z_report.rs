//! The Z-report of a shift, and the one expression of what its drawer
//! should hold.
//!
//! Computed in SQL from the stored rows, exact to the minor unit: sales (count,
//! totals, tax, discounts, by tender, cash tendered and change), refunds and
//! voids (count, totals, by tender), cash in/out, cash received on account,
//! expected and counted cash (by note and coin when counted so) and the
//! over/short. The expected cash is [`EXPECTED_CASH_SQL`], the same
//! expression the close stores and `tillbook verify` recomputes for each
//! closed shift (`super::verify`).

use super::shifts::{get_shift, ShiftStatus, ShiftView};
use crate::catalog::tax::{summarize, TaxSummary};
use crate::error::{Error, Result};
use crate::shared::access::{role_has, Permission};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// What the rows of shift `s` say its drawer holds; one expression used by the
/// close, the Z-report and `verify`, so they can't disagree.
pub(super) const EXPECTED_CASH_SQL: &str = "(s.opening_float_minor
    + coalesce((SELECT sum(p.amount_minor) FROM shift_orders so
                JOIN payments p ON p.order_id = so.order_id
                WHERE so.shift_id = s.id AND p.tender = 'cash'), 0)
    - coalesce((SELECT sum(rp.amount_minor) FROM shift_refunds sr
                JOIN refund_payments rp ON rp.refund_id = sr.refund_id
                WHERE sr.shift_id = s.id AND rp.tender = 'cash'), 0)
    + coalesce((SELECT sum(m.amount_minor) FROM shift_cash_moves m
                WHERE m.shift_id = s.id AND m.direction = 'in'), 0)
    - coalesce((SELECT sum(m.amount_minor) FROM shift_cash_moves m
                WHERE m.shift_id = s.id AND m.direction = 'out'), 0)
    - coalesce((SELECT sum(p.amount_minor) FROM order_voids v
                JOIN payments p ON p.order_id = v.order_id
                WHERE v.shift_id = s.id AND p.tender = 'cash'), 0)
    + coalesce((SELECT sum(cp.amount_minor) FROM shift_customer_payments sp
                JOIN customer_payments cp ON cp.id = sp.payment_id
                WHERE sp.shift_id = s.id AND cp.tender = 'cash'), 0)
    - coalesce((SELECT sum(u.total_minor) FROM unreceipted_refunds u
                WHERE u.shift_id = s.id AND u.refund_to = 'cash'), 0))";

/// What the rows of shift `id` say its drawer holds now.
pub fn expected_cash(conn: &Connection, id: i64) -> Result<i64> {
    conn.prepare_cached(&format!(
        "SELECT {EXPECTED_CASH_SQL} FROM shifts s WHERE s.id = ?1"
    ))?
    .query_row([id], |r| r.get(0))
    .optional()?
    .ok_or_else(|| Error::not_found("shift", id))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftZReportRequest")]
#[serde(deny_unknown_fields)]
pub struct ZReportRequest {
    pub shift_id: i64,
}

impl Request for ZReportRequest {
    fn validate(&self) -> Result<()> {
        validate::id("shift_id", self.shift_id)
    }
}

/// One tender's share of a Z-report section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftTenderTotal")]
pub struct TenderTotal {
    pub tender: String,
    /// Payments (or refund payments) of this tender.
    pub count: i64,
    pub amount_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftZReport")]
pub struct ZReport {
    pub shift: ShiftView,
    /// Every sale rung up in the shift, voided ones included.
    pub sales_count: i64,
    pub sales_total_minor: i64,
    pub sales_net_minor: i64,
    pub sales_tax_minor: i64,
    /// Line discounts given (`order_lines.discount_minor`).
    pub sales_discount_minor: i64,
    pub sales_by_tender: Vec<TenderTotal>,
    /// Cash handed over by customers, and the change given back.
    pub cash_tendered_minor: i64,
    pub change_given_minor: i64,
    pub refunds_count: i64,
    pub refunds_total_minor: i64,
    pub refunds_tax_minor: i64,
    pub refunds_by_tender: Vec<TenderTotal>,
    pub voids_count: i64,
    pub voids_total_minor: i64,
    pub voids_tax_minor: i64,
    pub voids_by_tender: Vec<TenderTotal>,
    /// Sales less refunds less voids.
    pub net_sales_minor: i64,
    pub net_tax_minor: i64,
    pub cash_in_count: i64,
    pub cash_in_minor: i64,
    pub cash_out_count: i64,
    pub cash_out_minor: i64,
    pub cash_sales_minor: i64,
    pub cash_refunds_minor: i64,
    pub cash_voids_minor: i64,
    /// Cash customers paid on account into this drawer.
    pub cash_on_account_minor: i64,
    /// Cash handed back for goods returned without a receipt.
    pub cash_unreceipted_refunds_minor: i64,
    /// float + cash sales − cash refunds + cash in − cash out − cash voids
    /// + cash received on account − cash refunds without a receipt.
    pub expected_cash_minor: i64,
    pub counted_cash_minor: Option<i64>,
    pub over_short_minor: Option<i64>,
    /// The close's count by note and coin, largest first; empty when it was
    /// counted as one amount (or the shift is open).
    pub counted_by_denomination: Vec<DenominationCount>,
    /// Tax by rate: the shift's sales less its refunds and voids.
    pub tax_summary: TaxSummary,
    /// How often the drawer was opened without a sale in this shift.
    pub no_sales_count: i64,
    /// The most recent of them (at most [`Z_NO_SALES_LISTED`]), newest first.
    pub no_sales: Vec<NoSaleLine>,
}

/// No-sales listed on one Z-report; the count covers them all.
pub const Z_NO_SALES_LISTED: i64 = 50;

/// One time the drawer was opened without a sale: when, by whom, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftNoSaleLine")]
pub struct NoSaleLine {
    pub at_ms: i64,
    pub user_name: String,
    pub reason: String,
}

/// The shift's no-sales: how many, and the newest [`Z_NO_SALES_LISTED`].
fn no_sales(conn: &Connection, shift_id: i64) -> Result<(i64, Vec<NoSaleLine>)> {
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM shift_no_sales WHERE shift_id = ?1")?
        .query_row([shift_id], |r| r.get(0))?;
    let lines = conn
        .prepare_cached(
            "SELECT n.created_at_ms, u.display_name, n.reason
               FROM shift_no_sales n JOIN users u ON u.id = n.user_id
              WHERE n.shift_id = ?1 ORDER BY n.id DESC LIMIT ?2",
        )?
        .query_map(rusqlite::params![shift_id, Z_NO_SALES_LISTED], |r| {
            Ok(NoSaleLine {
                at_ms: r.get(0)?,
                user_name: r.get(1)?,
                reason: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((count, lines))
}

/// How many of one note or coin were counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftDenominationCount")]
#[serde(deny_unknown_fields)]
pub struct DenominationCount {
    /// The note's or coin's value in minor units (one of the currency's
    /// `denominations_minor`).
    pub denomination_minor: i64,
    /// 0 to 1 000 000 of it.
    pub quantity: i64,
}

/// The stored count of shift `id`, largest note first.
pub fn close_counts(conn: &Connection, id: i64) -> Result<Vec<DenominationCount>> {
    let mut st = conn.prepare_cached(
        "SELECT denomination_minor, quantity FROM shift_close_counts
         WHERE shift_id = ?1 ORDER BY denomination_minor DESC",
    )?;
    let rows = st.query_map([id], |r| {
        Ok(DenominationCount {
            denomination_minor: r.get(0)?,
            quantity: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `shifts.z_report`: a cashier reads their own shifts' reports; anyone
/// else's needs `ledger.read`.
pub fn z_report(ctx: &ReadCtx<'_>, conn: &Connection, req: &ZReportRequest) -> Result<ZReport> {
    let session = ctx
        .session
        .ok_or_else(|| Error::Unauthenticated("log in first".into()))?;
    let shift = get_shift(conn, req.shift_id)?;
    if shift.user_id != session.user_id && !role_has(session.role, Permission::LedgerRead) {
        return Err(Error::forbidden(format!(
            "shift {} is another user's; its report needs {}",
            shift.number,
            Permission::LedgerRead.as_str()
        )));
    }
    z_report_of(conn, shift)
}

fn by_tender(conn: &Connection, sql: &str, shift_id: i64) -> Result<Vec<TenderTotal>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map([shift_id], |r| {
        Ok(TenderTotal {
            tender: r.get(0)?,
            count: r.get(1)?,
            amount_minor: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn tender_sum(totals: &[TenderTotal], tender: &str) -> i64 {
    totals
        .iter()
        .filter(|t| t.tender == tender)
        .map(|t| t.amount_minor)
        .sum()
}

/// The shift's tax by rate: sales rung up in it, less refunds given in it (at
/// the sale's rate) and sales voided in it.
const Z_TAX_SQL: &str = "SELECT rate, sum(net), sum(tax), sum(total) FROM (
    SELECT l.tax_rate_bp AS rate, l.net_minor AS net, l.tax_minor AS tax, l.total_minor AS total
      FROM shift_orders so JOIN order_lines l ON l.order_id = so.order_id WHERE so.shift_id = ?1
    UNION ALL
    SELECT ol.tax_rate_bp, -rl.net_minor, -rl.tax_minor, -rl.total_minor
      FROM shift_refunds sr JOIN refund_lines rl ON rl.refund_id = sr.refund_id
      JOIN order_lines ol ON ol.id = rl.order_line_id WHERE sr.shift_id = ?1
    UNION ALL
    SELECT l.tax_rate_bp, -l.net_minor, -l.tax_minor, -l.total_minor
      FROM order_voids v JOIN order_lines l ON l.order_id = v.order_id WHERE v.shift_id = ?1
) GROUP BY rate";

/// Runs a one-row query of `N` integer sums keyed by the shift id.
fn sums<const N: usize>(conn: &Connection, sql: &str, shift_id: i64) -> Result<[i64; N]> {
    Ok(conn.prepare_cached(sql)?.query_row([shift_id], |r| {
        let mut out = [0_i64; N];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = r.get(i)?;
        }
        Ok(out)
    })?)
}

// Each query takes the shift id as `?1`.
const SALES_SQL: &str =
    "SELECT count(*), coalesce(sum(o.total_minor), 0), coalesce(sum(o.net_minor), 0),
                    coalesce(sum(o.tax_minor), 0)
             FROM shift_orders so JOIN orders o ON o.id = so.order_id WHERE so.shift_id = ?1";
const DISCOUNT_SQL: &str = "SELECT coalesce(sum(l.discount_minor), 0)
         FROM shift_orders so JOIN order_lines l ON l.order_id = so.order_id
         WHERE so.shift_id = ?1";
const CASH_TENDERED_SQL: &str =
    "SELECT coalesce(sum(p.tendered_minor), 0), coalesce(sum(p.change_minor), 0)
             FROM shift_orders so JOIN payments p ON p.order_id = so.order_id
             WHERE so.shift_id = ?1 AND p.tender = 'cash'";
const SALES_BY_TENDER_SQL: &str = "SELECT p.tender, count(*), sum(p.amount_minor)
         FROM shift_orders so JOIN payments p ON p.order_id = so.order_id
         WHERE so.shift_id = ?1 GROUP BY p.tender ORDER BY p.tender";
const REFUNDS_SQL: &str =
    "SELECT count(*), coalesce(sum(r.total_minor), 0), coalesce(sum(r.tax_minor), 0)
             FROM shift_refunds sr JOIN refunds r ON r.id = sr.refund_id WHERE sr.shift_id = ?1";
const REFUNDS_BY_TENDER_SQL: &str = "SELECT rp.tender, count(*), sum(rp.amount_minor)
         FROM shift_refunds sr JOIN refund_payments rp ON rp.refund_id = sr.refund_id
         WHERE sr.shift_id = ?1 GROUP BY rp.tender ORDER BY rp.tender";
const VOIDS_SQL: &str =
    "SELECT count(*), coalesce(sum(o.total_minor), 0), coalesce(sum(o.tax_minor), 0)
             FROM order_voids v JOIN orders o ON o.id = v.order_id WHERE v.shift_id = ?1";
const VOIDS_BY_TENDER_SQL: &str = "SELECT p.tender, count(*), sum(p.amount_minor)
         FROM order_voids v JOIN payments p ON p.order_id = v.order_id
         WHERE v.shift_id = ?1 GROUP BY p.tender ORDER BY p.tender";
const CASH_MOVES_SQL: &str = "SELECT coalesce(sum(direction = 'in'), 0),
                    coalesce(sum(CASE direction WHEN 'in' THEN amount_minor END), 0),
                    coalesce(sum(direction = 'out'), 0),
                    coalesce(sum(CASE direction WHEN 'out' THEN amount_minor END), 0)
             FROM shift_cash_moves WHERE shift_id = ?1";
const CASH_ON_ACCOUNT_SQL: &str =
    "SELECT coalesce(sum(cp.amount_minor), 0) FROM shift_customer_payments sp
         JOIN customer_payments cp ON cp.id = sp.payment_id
         WHERE sp.shift_id = ?1 AND cp.tender = 'cash'";
const CASH_UNRECEIPTED_SQL: &str = "SELECT coalesce(sum(total_minor), 0) FROM unreceipted_refunds
         WHERE shift_id = ?1 AND refund_to = 'cash'";

/// The Z-report of one shift, summed in SQL from the stored rows.
pub fn z_report_of(conn: &Connection, shift: ShiftView) -> Result<ZReport> {
    let id = shift.id;
    let [sales_count, sales_total, sales_net, sales_tax] = sums(conn, SALES_SQL, id)?;
    let [sales_discount] = sums(conn, DISCOUNT_SQL, id)?;
    let [cash_tendered, change_given] = sums(conn, CASH_TENDERED_SQL, id)?;
    let sales_by_tender = by_tender(conn, SALES_BY_TENDER_SQL, id)?;
    let [refunds_count, refunds_total, refunds_tax] = sums(conn, REFUNDS_SQL, id)?;
    let refunds_by_tender = by_tender(conn, REFUNDS_BY_TENDER_SQL, id)?;
    let [voids_count, voids_total, voids_tax] = sums(conn, VOIDS_SQL, id)?;
    let voids_by_tender = by_tender(conn, VOIDS_BY_TENDER_SQL, id)?;
    let [cash_in_count, cash_in, cash_out_count, cash_out] = sums(conn, CASH_MOVES_SQL, id)?;
    let [cash_on_account] = sums(conn, CASH_ON_ACCOUNT_SQL, id)?;
    let [cash_unreceipted] = sums(conn, CASH_UNRECEIPTED_SQL, id)?;
    let counted_by_denomination = close_counts(conn, id)?;
    let live_expected = expected_cash(conn, id)?;
    let tax_summary = summarize(conn, Z_TAX_SQL, &[&id], shift.opened_at_ms)?;
    let (no_sales_count, no_sales) = no_sales(conn, id)?;
    Ok(ZReport {
        no_sales_count,
        no_sales,
        sales_count,
        sales_total_minor: sales_total,
        sales_net_minor: sales_net,
        sales_tax_minor: sales_tax,
        sales_discount_minor: sales_discount,
        cash_sales_minor: tender_sum(&sales_by_tender, "cash"),
        sales_by_tender,
        cash_tendered_minor: cash_tendered,
        change_given_minor: change_given,
        refunds_count,
        refunds_total_minor: refunds_total,
        refunds_tax_minor: refunds_tax,
        cash_refunds_minor: tender_sum(&refunds_by_tender, "cash"),
        refunds_by_tender,
        voids_count,
        voids_total_minor: voids_total,
        voids_tax_minor: voids_tax,
        cash_voids_minor: tender_sum(&voids_by_tender, "cash"),
        voids_by_tender,
        net_sales_minor: sales_total - refunds_total - voids_total,
        net_tax_minor: sales_tax - refunds_tax - voids_tax,
        cash_in_count,
        cash_in_minor: cash_in,
        cash_out_count,
        cash_out_minor: cash_out,
        // A closed shift reports what was signed off at close; `verify`
        // proves it still equals what the rows say.
        expected_cash_minor: if shift.status == ShiftStatus::Closed {
            shift.expected_cash_minor
        } else {
            live_expected
        },
        counted_cash_minor: shift.counted_cash_minor,
        over_short_minor: shift.over_short_minor,
        cash_on_account_minor: cash_on_account,
        cash_unreceipted_refunds_minor: cash_unreceipted,
        counted_by_denomination,
        tax_summary,
        shift,
    })
}
