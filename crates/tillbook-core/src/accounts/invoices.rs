//! Invoices: their requests and views, the one SQL definition of an invoice's
//! outstanding amount and status (`FIGURES`), `invoices.create` and the reads.

use crate::catalog::tax::{summarize, TaxSummary};
use crate::db::rows::next_number;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::calendar::{date_of_day, day_of_ms, parse_date};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter invoice numbers come from.
pub const INVOICE_COUNTER: &str = "invoices";
/// Most orders on one invoice.
pub const MAX_INVOICE_ORDERS: usize = 100;
/// The largest page of any list here.
/// A due date at most this many days after the issue date.
pub const MAX_TERMS_DAYS: i64 = 3650;

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceCreateRequest")]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub customer_id: i64,
    /// 1 to 100 orders of this customer, each with an on-account part.
    pub order_ids: Vec<i64>,
    /// `YYYY-MM-DD`; the issue date plus `settings.invoice_terms_days` when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub due_date: Option<String>,
}

impl Request for CreateRequest {
    fn validate(&self) -> Result<()> {
        validate::id("customer_id", self.customer_id)?;
        if self.order_ids.is_empty() || self.order_ids.len() > MAX_INVOICE_ORDERS {
            return Err(Error::validation(
                "order_ids",
                format!("must have 1 to {MAX_INVOICE_ORDERS} orders"),
            ));
        }
        for (i, id) in self.order_ids.iter().enumerate() {
            validate::id(&format!("order_ids[{i}]"), *id)?;
            if self.order_ids[..i].contains(id) {
                return Err(Error::validation(
                    format!("order_ids[{i}]"),
                    format!("order {id} is listed twice"),
                ));
            }
        }
        if let Some(d) = &self.due_date {
            parse_date("due_date", d)?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceStatus")]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Open,
    PartiallyPaid,
    Paid,
    Overdue,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Open => "open",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Overdue => "overdue",
        }
    }

    fn parse(s: &str) -> InvoiceStatus {
        match s {
            "partially_paid" => InvoiceStatus::PartiallyPaid,
            "paid" => InvoiceStatus::Paid,
            "overdue" => InvoiceStatus::Overdue,
            _ => InvoiceStatus::Open,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceListRequest")]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub customer_id: Option<i64>,
    /// Only invoices with this status now.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub status: Option<InvoiceStatus>,
    /// Invoices older than this id (the previous page's `next_before_id`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    /// 1 to 200; 50 when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for ListRequest {
    fn validate(&self) -> Result<()> {
        if let Some(c) = self.customer_id {
            validate::id("customer_id", c)?;
        }
        validate::page(self.before_id, self.limit)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceableRequest")]
#[serde(deny_unknown_fields)]
pub struct InvoiceableRequest {
    pub customer_id: i64,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    /// 1 to 200; 100 when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for InvoiceableRequest {
    fn validate(&self) -> Result<()> {
        validate::id("customer_id", self.customer_id)?;
        validate::page(self.before_id, self.limit)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceSummary")]
pub struct InvoiceSummary {
    pub id: i64,
    pub number: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub order_count: i64,
    pub total_minor: i64,
    pub issued_at_ms: i64,
    pub due_on: String,
    /// Payments allocated to it.
    pub allocated_minor: i64,
    /// On-account refunds of its orders made after it was issued.
    pub credited_minor: i64,
    /// `total − allocated − credited`; negative when the customer overpaid it.
    pub outstanding_minor: i64,
    pub status: InvoiceStatus,
    /// Whole days past the due date (0 when not yet due or paid).
    pub days_past_due: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceOrderView")]
pub struct InvoiceOrderView {
    pub order_id: i64,
    pub order_number: i64,
    pub order_created_at_ms: i64,
    pub on_account_minor: i64,
    pub refunded_before_minor: i64,
    pub amount_minor: i64,
    /// On-account refunds of this order since the invoice (credits on it).
    pub refunded_after_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceAllocationView")]
pub struct AllocationView {
    pub id: i64,
    pub payment_id: i64,
    pub payment_number: i64,
    pub invoice_id: i64,
    pub invoice_number: i64,
    pub amount_minor: i64,
    pub allocated_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceView")]
pub struct InvoiceView {
    #[serde(flatten)]
    pub summary: InvoiceSummary,
    pub created_by: i64,
    pub orders: Vec<InvoiceOrderView>,
    pub allocations: Vec<AllocationView>,
    /// Tax by rate of the invoiced sales, less their refunds.
    pub tax_summary: TaxSummary,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoicePage")]
pub struct InvoicePage {
    pub invoices: Vec<InvoiceSummary>,
    pub next_before_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceableOrder")]
pub struct InvoiceableOrder {
    pub order_id: i64,
    pub order_number: i64,
    pub created_at_ms: i64,
    pub on_account_minor: i64,
    pub refunded_minor: i64,
    /// What invoicing it now would bill.
    pub amount_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceableOrderPage")]
pub struct InvoiceablePage {
    pub orders: Vec<InvoiceableOrder>,
    pub next_before_id: Option<i64>,
}

/// Every invoice's figures as at `?1` (an instant: allocations and refunds
/// before it count), filtered by customer `?3` and invoice `?4` (NULL = all),
/// with the status as at date `?2` (`YYYY-MM-DD`). The one definition of
/// outstanding and status, used by every read and write here.
pub(super) const FIGURES: &str = "
    SELECT f.*, f.total_minor - f.allocated_minor - f.credited_minor AS outstanding_minor,
           CASE WHEN f.total_minor - f.allocated_minor - f.credited_minor <= 0 THEN 'paid'
                WHEN ?2 > f.due_on THEN 'overdue'
                WHEN f.allocated_minor + f.credited_minor > 0 THEN 'partially_paid'
                ELSE 'open' END AS status
    FROM (
        SELECT i.id, i.number, i.customer_id, c.name AS customer_name, i.order_count,
               i.total_minor, i.issued_at_ms, i.due_on, i.created_by,
               (SELECT coalesce(sum(a.amount_minor), 0) FROM invoice_allocations a
                 WHERE a.invoice_id = i.id AND a.allocated_at_ms < ?1) AS allocated_minor,
               (SELECT coalesce(sum(rp.amount_minor), 0) FROM invoice_orders io
                  JOIN refunds r ON r.order_id = io.order_id
                  JOIN refund_payments rp ON rp.refund_id = r.id AND rp.tender = 'on_account'
                 WHERE io.invoice_id = i.id AND r.created_at_ms < ?1)
               - (SELECT coalesce(sum(io.refunded_before_minor), 0) FROM invoice_orders io
                   WHERE io.invoice_id = i.id) AS credited_minor
        FROM invoices i JOIN customers c ON c.id = i.customer_id
        WHERE i.issued_at_ms < ?1
          AND (?3 IS NULL OR i.customer_id = ?3)
          AND (?4 IS NULL OR i.id = ?4)
    ) f";

const SUMMARY_COLUMNS: &str = "id, number, customer_id, customer_name, order_count, total_minor,
    issued_at_ms, due_on, allocated_minor, credited_minor, outstanding_minor, status, created_by";

fn summary_of(r: &Row<'_>, today: i64) -> rusqlite::Result<(InvoiceSummary, i64)> {
    let due_on: String = r.get(7)?;
    let status = InvoiceStatus::parse(&r.get::<_, String>(11)?);
    let due_day = parse_date("due_on", &due_on).unwrap_or(today);
    let days_past_due = if status == InvoiceStatus::Overdue {
        (today - due_day).max(0)
    } else {
        0
    };
    Ok((
        InvoiceSummary {
            id: r.get(0)?,
            number: r.get(1)?,
            customer_id: r.get(2)?,
            customer_name: r.get(3)?,
            order_count: r.get(4)?,
            total_minor: r.get(5)?,
            issued_at_ms: r.get(6)?,
            due_on,
            allocated_minor: r.get(8)?,
            credited_minor: r.get(9)?,
            outstanding_minor: r.get(10)?,
            status,
            days_past_due,
        },
        r.get(12)?,
    ))
}

pub(super) fn invoice_summary(
    conn: &Connection,
    id: i64,
    now_ms: i64,
) -> Result<Option<(InvoiceSummary, i64)>> {
    let today = day_of_ms(now_ms);
    Ok(conn
        .prepare_cached(&format!("SELECT {SUMMARY_COLUMNS} FROM ({FIGURES})"))?
        .query_row(
            rusqlite::params![i64::MAX, date_of_day(today), None::<i64>, id],
            |r| summary_of(r, today),
        )
        .optional()?)
}

pub(super) fn allocations_where(
    conn: &Connection,
    column: &str,
    id: i64,
) -> Result<Vec<AllocationView>> {
    // `column` is one of two compile-time names.
    let mut st = conn.prepare_cached(&format!(
        "SELECT a.id, a.payment_id, p.number, a.invoice_id, i.number, a.amount_minor, a.allocated_at_ms
         FROM invoice_allocations a
         JOIN customer_payments p ON p.id = a.payment_id
         JOIN invoices i ON i.id = a.invoice_id
         WHERE a.{column} = ?1 ORDER BY a.id"
    ))?;
    let rows = st.query_map([id], |r| {
        Ok(AllocationView {
            id: r.get(0)?,
            payment_id: r.get(1)?,
            payment_number: r.get(2)?,
            invoice_id: r.get(3)?,
            invoice_number: r.get(4)?,
            amount_minor: r.get(5)?,
            allocated_at_ms: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An invoice's tax by rate: its orders' lines less the lines refunded.
const INVOICE_TAX_SQL: &str = "SELECT rate, sum(net), sum(tax), sum(total) FROM (
    SELECT l.tax_rate_bp AS rate, l.net_minor AS net, l.tax_minor AS tax, l.total_minor AS total
      FROM invoice_orders io JOIN order_lines l ON l.order_id = io.order_id WHERE io.invoice_id = ?1
    UNION ALL
    SELECT ol.tax_rate_bp, -rl.net_minor, -rl.tax_minor, -rl.total_minor
      FROM invoice_orders io JOIN order_lines ol ON ol.order_id = io.order_id
      JOIN refund_lines rl ON rl.order_line_id = ol.id WHERE io.invoice_id = ?1
) GROUP BY rate";

/// One invoice with its orders and allocations, its status as at `now_ms`.
pub fn get_invoice(conn: &Connection, id: i64, now_ms: i64) -> Result<InvoiceView> {
    let (summary, created_by) =
        invoice_summary(conn, id, now_ms)?.ok_or_else(|| Error::not_found("invoice", id))?;
    let mut st = conn.prepare_cached(
        "SELECT io.order_id, o.number, o.created_at_ms, io.on_account_minor,
                io.refunded_before_minor, io.amount_minor,
                (SELECT coalesce(sum(rp.amount_minor), 0) FROM refunds r
                   JOIN refund_payments rp ON rp.refund_id = r.id AND rp.tender = 'on_account'
                  WHERE r.order_id = io.order_id) - io.refunded_before_minor
         FROM invoice_orders io JOIN orders o ON o.id = io.order_id
         WHERE io.invoice_id = ?1 ORDER BY io.id",
    )?;
    let orders = st
        .query_map([id], |r| {
            Ok(InvoiceOrderView {
                order_id: r.get(0)?,
                order_number: r.get(1)?,
                order_created_at_ms: r.get(2)?,
                on_account_minor: r.get(3)?,
                refunded_before_minor: r.get(4)?,
                amount_minor: r.get(5)?,
                refunded_after_minor: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(InvoiceView {
        summary,
        created_by,
        orders,
        allocations: allocations_where(conn, "invoice_id", id)?,
        tax_summary: summarize(conn, INVOICE_TAX_SQL, &[&id], now_ms)?,
    })
}

pub(super) fn customer_name(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT name FROM customers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

pub(super) fn require_customer(conn: &Connection, id: i64) -> Result<String> {
    customer_name(conn, id)?
        .ok_or_else(|| Error::validation("customer_id", format!("no customer {id}")))
}

/// The number of the invoice order `order_id` is on, if any.
pub(super) fn invoice_number_of_order(conn: &Connection, order_id: i64) -> Result<Option<i64>> {
    number_of(
        conn,
        "SELECT i.number FROM invoice_orders io JOIN invoices i ON i.id = io.invoice_id
         WHERE io.order_id = ?1",
        order_id,
    )
}

/// The one number `sql` selects for `id`, if any.
pub(super) fn number_of(conn: &Connection, sql: &str, id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// `invoices.create`: see the module documentation.
pub fn create(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &CreateRequest) -> Result<InvoiceView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    require_customer(conn, req.customer_id)?;
    let billed = plan_orders(conn, req)?;
    let today = day_of_ms(now);
    let asked = req
        .due_date
        .as_deref()
        .map(|d| parse_date("due_date", d))
        .transpose()?;
    let due_day = due_day(asked, today, ctx.settings.invoice_terms_days)?;
    let invoice = NewInvoice {
        number: next_number(tx, INVOICE_COUNTER)?,
        customer_id: req.customer_id,
        // ≤ 100 orders × 10^12: no overflow.
        total_minor: billed.iter().map(Billed::amount_minor).sum(),
        issued_at_ms: now,
        due_on: date_of_day(due_day),
        created_by: actor.user_id,
    };
    let invoice_id = write_invoice(tx, &invoice, &billed)?;
    let summary = created_summary(&invoice, &req.order_ids);
    ctx.audit("invoice", invoice_id, summary.clone());
    ctx.emit("invoice.created", "invoice", invoice_id, summary);
    get_invoice(conn, invoice_id, now)
}

/// One order as an invoice bills it.
struct Billed {
    order_id: i64,
    on_account_minor: i64,
    refunded_before_minor: i64,
}

impl Billed {
    fn amount_minor(&self) -> i64 {
        self.on_account_minor - self.refunded_before_minor
    }
}

/// The invoice row `create` writes.
struct NewInvoice {
    number: i64,
    customer_id: i64,
    total_minor: i64,
    issued_at_ms: i64,
    due_on: String,
    created_by: i64,
}

/// The requested orders, each checked, in the request's order; the first
/// order that cannot be billed is the error.
fn plan_orders(conn: &Connection, req: &CreateRequest) -> Result<Vec<Billed>> {
    req.order_ids
        .iter()
        .enumerate()
        .map(|(i, &order_id)| {
            plan_order(conn, &format!("order_ids[{i}]"), order_id, req.customer_id)
        })
        .collect()
}

/// Order `order_id` as it would be billed now: the customer's, not voided, not
/// on an invoice yet, with some of its on-account part not refunded.
fn plan_order(conn: &Connection, field: &str, order_id: i64, customer_id: i64) -> Result<Billed> {
    let order: Option<(i64, Option<i64>)> = conn
        .prepare_cached("SELECT number, customer_id FROM orders WHERE id = ?1")?
        .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let number = match order {
        None => return Err(Error::validation(field, format!("no order {order_id}"))),
        Some((n, c)) if c != Some(customer_id) => {
            return Err(Error::validation(
                field,
                format!("order {n} is not customer {customer_id}'s"),
            ))
        }
        Some((n, _)) => n,
    };
    let voided: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM order_voids WHERE order_id = ?1)")?
        .query_row([order_id], |r| r.get(0))?;
    if voided {
        return Err(Error::validation(
            field,
            format!("order {number} was voided; there is nothing to invoice"),
        ));
    }
    if let Some(n) = invoice_number_of_order(conn, order_id)? {
        return Err(Error::StateConflict {
            message: format!("order {number} is already on invoice {n}"),
        });
    }
    let (on_account_minor, refunded_before_minor): (i64, i64) = conn
        .prepare_cached(
            "SELECT (SELECT coalesce(sum(amount_minor), 0) FROM payments
                      WHERE order_id = ?1 AND tender = 'on_account'),
                    (SELECT coalesce(sum(rp.amount_minor), 0) FROM refunds r
                       JOIN refund_payments rp ON rp.refund_id = r.id AND rp.tender = 'on_account'
                      WHERE r.order_id = ?1)",
        )?
        .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    check_billable(field, number, on_account_minor, refunded_before_minor)?;
    Ok(Billed {
        order_id,
        on_account_minor,
        refunded_before_minor,
    })
}

/// An order can be billed only for an on-account part not refunded in full.
fn check_billable(
    field: &str,
    number: i64,
    on_account_minor: i64,
    refunded_before_minor: i64,
) -> Result<()> {
    if on_account_minor == 0 {
        return Err(Error::validation(
            field,
            format!("order {number} has no on-account part to invoice"),
        ));
    }
    if on_account_minor <= refunded_before_minor {
        return Err(Error::validation(
            field,
            format!("order {number}'s on-account part was refunded in full"),
        ));
    }
    Ok(())
}

/// The due day: the one asked for, else `terms_days` after `today`; never
/// before `today` nor more than [`MAX_TERMS_DAYS`] after it.
fn due_day(asked: Option<i64>, today: i64, terms_days: i64) -> Result<i64> {
    let due = asked.unwrap_or(today + terms_days);
    if due < today {
        return Err(Error::validation(
            "due_date",
            format!("must not be before the issue date {}", date_of_day(today)),
        ));
    }
    if due > today + MAX_TERMS_DAYS {
        return Err(Error::validation(
            "due_date",
            format!("must be within {MAX_TERMS_DAYS} days of the issue date"),
        ));
    }
    Ok(due)
}

/// Writes the invoice and its orders; returns the invoice's id.
fn write_invoice(tx: &Tx<'_>, invoice: &NewInvoice, billed: &[Billed]) -> Result<i64> {
    let invoice_id: i64 = tx.execute_returning(
        "INSERT INTO invoices (number, customer_id, order_count, total_minor, issued_at_ms,
                               due_on, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        rusqlite::params![
            invoice.number,
            invoice.customer_id,
            billed.len() as i64,
            invoice.total_minor,
            invoice.issued_at_ms,
            invoice.due_on,
            invoice.created_by
        ],
        |r| r.get(0),
    )?;
    for b in billed {
        tx.execute(
            "INSERT INTO invoice_orders (invoice_id, order_id, on_account_minor,
                                         refunded_before_minor, amount_minor)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                invoice_id,
                b.order_id,
                b.on_account_minor,
                b.refunded_before_minor,
                b.amount_minor()
            ],
        )
        // Checked by `plan_order` in this transaction; the constraint is the backstop.
        .on_constraint(ConstraintKind::Unique, || Error::StateConflict {
            message: format!("order {} is already invoiced", b.order_id),
        })?;
    }
    Ok(invoice_id)
}

/// What the audit row and the `invoice.created` event say.
fn created_summary(invoice: &NewInvoice, order_ids: &[i64]) -> serde_json::Value {
    json!({
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "order_ids": order_ids,
        "total_minor": invoice.total_minor,
        "due_on": invoice.due_on,
    })
}

/// `invoices.get`
pub fn get(
    ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &crate::shared::handler::IdRequest,
) -> Result<InvoiceView> {
    get_invoice(conn, req.id, ctx.now_ms)
}

/// `invoices.list`: newest first, filtered (status included) and paged in SQL (T27).
pub fn list(ctx: &ReadCtx<'_>, conn: &Connection, req: &ListRequest) -> Result<InvoicePage> {
    let limit = req.limit.unwrap_or(50);
    let today = day_of_ms(ctx.now_ms);
    let mut st = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM ({FIGURES})
         WHERE (?5 IS NULL OR status = ?5) AND id < ?6
         ORDER BY id DESC LIMIT ?7"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            i64::MAX,
            date_of_day(today),
            req.customer_id,
            None::<i64>,
            req.status.map(InvoiceStatus::as_str),
            req.before_id.unwrap_or(i64::MAX),
            i64::from(limit) + 1
        ],
        |r| summary_of(r, today).map(|(s, _)| s),
    )?;
    let (invoices, next_before_id) = crate::shared::handler::keyset_page(
        rows.collect::<rusqlite::Result<Vec<_>>>()?,
        limit,
        |i| i.id,
    );
    Ok(InvoicePage {
        invoices,
        next_before_id,
    })
}

/// `invoices.invoiceable`: a customer's orders with an on-account part not yet
/// invoiced (and not refunded in full), newest first.
pub fn invoiceable(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &InvoiceableRequest,
) -> Result<InvoiceablePage> {
    let limit = req.limit.unwrap_or(100);
    let mut st = conn.prepare_cached(
        "SELECT * FROM (
            SELECT o.id, o.number, o.created_at_ms,
                   (SELECT coalesce(sum(amount_minor), 0) FROM payments
                     WHERE order_id = o.id AND tender = 'on_account') AS on_account,
                   (SELECT coalesce(sum(rp.amount_minor), 0) FROM refunds r
                      JOIN refund_payments rp ON rp.refund_id = r.id AND rp.tender = 'on_account'
                     WHERE r.order_id = o.id) AS refunded
            FROM orders o
            WHERE o.customer_id = ?1 AND o.id < ?2
              AND NOT EXISTS (SELECT 1 FROM invoice_orders io WHERE io.order_id = o.id)
              AND NOT EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = o.id)
         ) WHERE on_account > refunded
         ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = st.query_map(
        rusqlite::params![
            req.customer_id,
            req.before_id.unwrap_or(i64::MAX),
            i64::from(limit) + 1
        ],
        |r| {
            let on_account: i64 = r.get(3)?;
            let refunded: i64 = r.get(4)?;
            Ok(InvoiceableOrder {
                order_id: r.get(0)?,
                order_number: r.get(1)?,
                created_at_ms: r.get(2)?,
                on_account_minor: on_account,
                refunded_minor: refunded,
                amount_minor: on_account - refunded,
            })
        },
    )?;
    let (orders, next_before_id) = crate::shared::handler::keyset_page(
        rows.collect::<rusqlite::Result<Vec<_>>>()?,
        limit,
        |o| o.order_id,
    );
    Ok(InvoiceablePage {
        orders,
        next_before_id,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_billable_only_for_an_on_account_part_not_refunded_in_full() {
        let field = |r: Result<()>| match r {
            Err(Error::Validation { field, message, .. }) => (field, message),
            other => panic!("expected a validation error, got {other:?}"),
        };
        check_billable("order_ids[0]", 7, 500, 0).unwrap();
        check_billable("order_ids[0]", 7, 500, 499).unwrap();
        assert_eq!(
            field(check_billable("order_ids[2]", 7, 0, 0)),
            (
                "order_ids[2]".to_string(),
                "order 7 has no on-account part to invoice".to_string()
            )
        );
        assert_eq!(
            field(check_billable("order_ids[1]", 8, 500, 500)),
            (
                "order_ids[1]".to_string(),
                "order 8's on-account part was refunded in full".to_string()
            )
        );
        let billed = Billed {
            order_id: 1,
            on_account_minor: 500,
            refunded_before_minor: 120,
        };
        assert_eq!(billed.amount_minor(), 380);
    }

    #[test]
    fn the_due_day_is_the_one_asked_or_the_terms_within_bounds() {
        let today = parse_date("d", "2026-01-01").unwrap();
        assert_eq!(due_day(None, today, 30).unwrap(), today + 30);
        assert_eq!(due_day(None, today, 0).unwrap(), today);
        assert_eq!(due_day(Some(today + 5), today, 30).unwrap(), today + 5);
        assert_eq!(
            due_day(Some(today + MAX_TERMS_DAYS), today, 30).unwrap(),
            today + MAX_TERMS_DAYS
        );
        for (asked, message) in [
            (
                today - 1,
                "must not be before the issue date 2026-01-01".to_string(),
            ),
            (
                today + MAX_TERMS_DAYS + 1,
                format!("must be within {MAX_TERMS_DAYS} days of the issue date"),
            ),
        ] {
            let e = due_day(Some(asked), today, 30).unwrap_err();
            assert!(
                matches!(e, Error::Validation { ref field, message: ref m, .. } if field == "due_date" && *m == message),
                "{e:?}"
            );
        }
    }

    #[test]
    fn the_created_summary_names_the_invoice_and_its_orders() {
        let invoice = NewInvoice {
            number: 3,
            customer_id: 9,
            total_minor: 1250,
            issued_at_ms: 0,
            due_on: "2026-01-31".into(),
            created_by: 1,
        };
        assert_eq!(
            created_summary(&invoice, &[4, 2]),
            json!({
                "number": 3,
                "customer_id": 9,
                "order_ids": [4, 2],
                "total_minor": 1250,
                "due_on": "2026-01-31",
            })
        );
    }

    #[test]
    fn t20_invoice_requests_have_no_total_fields() {
        let bad = [
            r#"{"customer_id":1,"order_ids":[1],"total_minor":5}"#,
            r#"{"customer_id":1,"order_ids":[1],"status":"paid"}"#,
        ];
        for b in bad {
            assert!(serde_json::from_str::<CreateRequest>(b).is_err(), "{b}");
        }
    }
}
