//! Customers' payments on account (`customers.receive_payment`), their
//! allocation to invoices (`invoices.allocate`, oldest due date first or as
//! chosen) and the payment reads.

use super::invoices::{allocations_where, invoice_summary, require_customer, FIGURES};
use super::AllocationView;
use crate::db::rows::next_number;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::ledger::{self, codes, JournalEntry, Line, Party};
use crate::shared::calendar::{date_of_day, day_of_ms};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use crate::till;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter customer payment (receipt) numbers come from.
pub const PAYMENT_COUNTER: &str = "customer_payments";
/// Most allocations given in one request.
pub const MAX_ALLOCATIONS: usize = 100;
/// The largest payment or allocation (10^12 minor units).
pub const MAX_AMOUNT_MINOR: i64 = crate::catalog::MAX_AMOUNT_MINOR;

fn check_amount(field: &str, v: i64) -> Result<()> {
    if (1..=MAX_AMOUNT_MINOR).contains(&v) {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            format!("must be 1 to {MAX_AMOUNT_MINOR} minor units, got {v}"),
        ))
    }
}

/// Part of a payment for one invoice.
#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceAllocationInput")]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    pub invoice_id: i64,
    pub amount_minor: i64,
}

fn check_allocations(list: &[AllocationInput]) -> Result<i64> {
    if list.len() > MAX_ALLOCATIONS {
        return Err(Error::validation(
            "allocations",
            format!("must have at most {MAX_ALLOCATIONS} allocations"),
        ));
    }
    let mut sum = 0i64;
    for (i, a) in list.iter().enumerate() {
        validate::id(&format!("allocations[{i}].invoice_id"), a.invoice_id)?;
        check_amount(&format!("allocations[{i}].amount_minor"), a.amount_minor)?;
        if list[..i].iter().any(|o| o.invoice_id == a.invoice_id) {
            return Err(Error::validation(
                format!("allocations[{i}].invoice_id"),
                format!("invoice {} is listed twice", a.invoice_id),
            ));
        }
        sum += a.amount_minor; // at most 100 × 10^12: no overflow
    }
    Ok(sum)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CustomerPaymentTender")]
#[serde(rename_all = "snake_case")]
pub enum PaymentTender {
    Cash,
    Card,
    Bank,
}

impl PaymentTender {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentTender::Cash => "cash",
            PaymentTender::Card => "card",
            PaymentTender::Bank => "bank",
        }
    }

    fn parse(s: &str) -> PaymentTender {
        match s {
            "card" => PaymentTender::Card,
            "bank" => PaymentTender::Bank,
            _ => PaymentTender::Cash,
        }
    }

    fn account(self) -> &'static str {
        match self {
            PaymentTender::Cash => codes::CASH,
            PaymentTender::Card => codes::CARD_CLEARING,
            PaymentTender::Bank => codes::BANK,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ReceivePaymentRequest")]
#[serde(deny_unknown_fields)]
pub struct ReceivePaymentRequest {
    pub customer_id: i64,
    pub amount_minor: i64,
    pub tender: PaymentTender,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub reference: Option<String>,
    /// Exactly these allocations; absent: oldest due date first. `[]` keeps
    /// the whole payment as credit on account.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub allocations: Option<Vec<AllocationInput>>,
}

impl Request for ReceivePaymentRequest {
    fn validate(&self) -> Result<()> {
        validate::id("customer_id", self.customer_id)?;
        check_amount("amount_minor", self.amount_minor)?;
        if let Some(r) = &self.reference {
            validate::text("reference", r, 1, 100)?;
        }
        if let Some(list) = &self.allocations {
            let sum = check_allocations(list)?;
            if sum > self.amount_minor {
                return Err(Error::validation(
                    "allocations",
                    format!(
                        "allocate at most the payment's {}, not {sum}",
                        self.amount_minor
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceAllocateRequest")]
#[serde(deny_unknown_fields)]
pub struct AllocateRequest {
    pub payment_id: i64,
    /// Exactly these allocations; absent: oldest due date first.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub allocations: Option<Vec<AllocationInput>>,
}

impl Request for AllocateRequest {
    fn validate(&self) -> Result<()> {
        validate::id("payment_id", self.payment_id)?;
        if let Some(list) = &self.allocations {
            if list.is_empty() {
                return Err(Error::validation(
                    "allocations",
                    "give at least one allocation, or leave it out to allocate oldest first",
                ));
            }
            check_allocations(list)?;
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CustomerPaymentsRequest")]
#[serde(deny_unknown_fields)]
pub struct PaymentsRequest {
    pub customer_id: i64,
    /// Only payments with something left to allocate.
    #[serde(default)]
    #[ts(optional, type = "boolean")]
    pub unallocated_only: bool,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    /// 1 to 200; 50 when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for PaymentsRequest {
    fn validate(&self) -> Result<()> {
        validate::id("customer_id", self.customer_id)?;
        validate::page(self.before_id, self.limit)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CustomerPaymentView")]
pub struct PaymentView {
    pub id: i64,
    pub number: i64,
    pub customer_id: i64,
    pub amount_minor: i64,
    pub tender: PaymentTender,
    pub reference: Option<String>,
    pub entry_id: i64,
    pub received_at_ms: i64,
    pub user_id: i64,
    pub allocated_minor: i64,
    /// The customer's credit on account left from this payment.
    pub unallocated_minor: i64,
    pub allocations: Vec<AllocationView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CustomerPaymentPage")]
pub struct PaymentPage {
    pub payments: Vec<PaymentView>,
    pub next_before_id: Option<i64>,
}

/// What one allocation command did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoiceAllocateView")]
pub struct AllocateView {
    pub payment: PaymentView,
    /// The allocations this command made.
    pub made: Vec<AllocationView>,
}

const PAYMENT_COLUMNS: &str = "p.id, p.number, p.customer_id, p.amount_minor, p.tender,
    p.reference, p.entry_id, p.received_at_ms, p.user_id,
    (SELECT coalesce(sum(a.amount_minor), 0) FROM invoice_allocations a WHERE a.payment_id = p.id)";

fn payment_of(r: &Row<'_>) -> rusqlite::Result<PaymentView> {
    let amount: i64 = r.get(3)?;
    let allocated: i64 = r.get(9)?;
    Ok(PaymentView {
        id: r.get(0)?,
        number: r.get(1)?,
        customer_id: r.get(2)?,
        amount_minor: amount,
        tender: PaymentTender::parse(&r.get::<_, String>(4)?),
        reference: r.get(5)?,
        entry_id: r.get(6)?,
        received_at_ms: r.get(7)?,
        user_id: r.get(8)?,
        allocated_minor: allocated,
        unallocated_minor: amount - allocated,
        allocations: Vec::new(),
    })
}

pub fn get_payment(conn: &Connection, id: i64) -> Result<PaymentView> {
    let mut p = conn
        .prepare_cached(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM customer_payments p WHERE p.id = ?1"
        ))?
        .query_row([id], payment_of)
        .optional()?
        .ok_or_else(|| Error::not_found("customer_payment", id))?;
    p.allocations = allocations_where(conn, "payment_id", id)?;
    Ok(p)
}

/// A customer's payments not yet allocated, in total.
pub fn unallocated_credit(conn: &Connection, customer_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(sum(p.amount_minor), 0)
                  - coalesce((SELECT sum(a.amount_minor) FROM invoice_allocations a
                              JOIN customer_payments q ON q.id = a.payment_id
                              WHERE q.customer_id = ?1), 0)
             FROM customer_payments p WHERE p.customer_id = ?1",
        )?
        .query_row([customer_id], |r| r.get(0))?)
}

/// Allocates up to `available` of payment `payment_id` to its customer's
/// Allocates up to `available` of payment `payment_id` to its customer's
/// invoices: exactly `chosen`, or oldest due date first. Returns what it made.
fn allocate_payment(
    tx: &Tx<'_>,
    payment_id: i64,
    customer_id: i64,
    available: i64,
    chosen: Option<&[AllocationInput]>,
    now_ms: i64,
    user_id: i64,
) -> Result<Vec<Made>> {
    let conn = tx.conn();
    let plan = match chosen {
        Some(list) => plan_chosen(conn, list, customer_id, available, now_ms)?,
        None => plan_oldest_first(conn, customer_id, available, now_ms)?,
    };
    let mut made = Vec::with_capacity(plan.len());
    for (invoice_id, amount) in plan {
        let id: i64 = tx.execute_returning(
            "INSERT INTO invoice_allocations (payment_id, invoice_id, amount_minor,
                                              allocated_at_ms, user_id)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            rusqlite::params![payment_id, invoice_id, amount, now_ms, user_id],
            |r| r.get(0),
        )?;
        made.push(Made {
            id,
            invoice_id,
            amount,
        });
    }
    Ok(made)
}

/// `(invoice_id, amount_minor)` exactly as chosen, once each is checked: the
/// customer's invoice with at least that much outstanding, all within `available`.
fn plan_chosen(
    conn: &Connection,
    list: &[AllocationInput],
    customer_id: i64,
    available: i64,
    now_ms: i64,
) -> Result<Vec<(i64, i64)>> {
    let sum: i64 = list.iter().map(|a| a.amount_minor).sum();
    if sum > available {
        return Err(Error::validation(
            "allocations",
            format!("allocate at most the {available} left of the payment, not {sum}"),
        ));
    }
    let mut plan = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let field = format!("allocations[{i}].invoice_id");
        let Some((inv, _)) = invoice_summary(conn, a.invoice_id, now_ms)? else {
            return Err(Error::validation(
                field,
                format!("no invoice {}", a.invoice_id),
            ));
        };
        if inv.customer_id != customer_id {
            return Err(Error::validation(
                field,
                format!("invoice {} is not customer {customer_id}'s", inv.number),
            ));
        }
        if a.amount_minor > inv.outstanding_minor {
            return Err(Error::validation(
                format!("allocations[{i}].amount_minor"),
                format!(
                    "invoice {} has {} outstanding, not {}",
                    inv.number,
                    inv.outstanding_minor.max(0),
                    a.amount_minor
                ),
            ));
        }
        plan.push((a.invoice_id, a.amount_minor));
    }
    Ok(plan)
}

/// `(invoice_id, amount_minor)` over the customer's invoices with something
/// outstanding, earliest due date first, until `available` is used up.
fn plan_oldest_first(
    conn: &Connection,
    customer_id: i64,
    available: i64,
    now_ms: i64,
) -> Result<Vec<(i64, i64)>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT id, outstanding_minor FROM ({FIGURES})
         WHERE outstanding_minor > 0 ORDER BY due_on, number"
    ))?;
    let open = st.query_map(
        rusqlite::params![
            i64::MAX,
            date_of_day(day_of_ms(now_ms)),
            customer_id,
            None::<i64>
        ],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?;
    Ok(take_in_turn(available, open)?)
}

/// Takes from each `(id, outstanding)` in turn as much as is left of
/// `available`; stops reading once nothing is left.
fn take_in_turn<E>(
    available: i64,
    open: impl IntoIterator<Item = std::result::Result<(i64, i64), E>>,
) -> std::result::Result<Vec<(i64, i64)>, E> {
    let mut left = available;
    let mut plan = Vec::new();
    for row in open {
        if left == 0 {
            break;
        }
        let (id, outstanding) = row?;
        let take = left.min(outstanding);
        left -= take;
        plan.push((id, take));
    }
    Ok(plan)
}

/// One allocation a command made.
struct Made {
    id: i64,
    invoice_id: i64,
    amount: i64,
}

fn made_json(made: &[Made]) -> Vec<serde_json::Value> {
    made.iter()
        .map(|m| json!({ "invoice_id": m.invoice_id, "amount_minor": m.amount }))
        .collect()
}

/// `customers.receive_payment`: records money received on account, posts it
/// (Dr cash / card clearing / bank, Cr accounts receivable naming the customer)
/// and allocates it; see the module documentation.
pub fn receive_payment(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ReceivePaymentRequest,
) -> Result<PaymentView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let name = require_customer(conn, req.customer_id)?;
    let number = next_number(tx, PAYMENT_COUNTER)?;
    // The id is taken before the entry so the entry can name its source.
    let payment_id: i64 = conn.cached_row(
        "SELECT coalesce(max(id), 0) + 1 FROM customer_payments",
        [],
        |r| r.get(0),
    )?;
    let memo: String = format!("Payment {number} from {name}")
        .chars()
        .take(200)
        .collect();
    let entry_id = ledger::post(
        tx,
        &JournalEntry {
            posted_at_ms: now,
            memo: &memo,
            source_type: "customer_payment",
            source_id: payment_id,
            user_id: actor.user_id,
            reverses_entry_id: None,
            lines: payment_lines(req.tender, req.amount_minor, req.customer_id),
        },
    )?;
    tx.execute(
        "INSERT INTO customer_payments (id, number, customer_id, amount_minor, tender, reference,
                                        entry_id, received_at_ms, user_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        rusqlite::params![
            payment_id,
            number,
            req.customer_id,
            req.amount_minor,
            req.tender.as_str(),
            req.reference,
            entry_id,
            now,
            actor.user_id
        ],
    )?;
    // Cash goes into a drawer, so it needs one open; its shift counts it.
    if req.tender == PaymentTender::Cash {
        let shift =
            till::require_drawer(tx, actor.user_id, till::CashUse::Cash, false, ctx.settings)?;
        till::record_customer_payment(tx, shift, payment_id)?;
    }
    let made = allocate_payment(
        tx,
        payment_id,
        req.customer_id,
        req.amount_minor,
        req.allocations.as_deref(),
        now,
        actor.user_id,
    )?;
    let allocated: i64 = made.iter().map(|m| m.amount).sum();
    let summary = json!({
        "number": number,
        "customer_id": req.customer_id,
        "amount_minor": req.amount_minor,
        "tender": req.tender,
        "entry_id": entry_id,
        "allocations": made_json(&made),
        "unallocated_minor": req.amount_minor - allocated,
    });
    ctx.audit("customer_payment", payment_id, summary.clone());
    ctx.emit(
        "customer_payment.received",
        "customer_payment",
        payment_id,
        summary,
    );
    get_payment(conn, payment_id)
}

/// Dr the tender's account, Cr accounts receivable naming the customer.
fn payment_lines(tender: PaymentTender, amount_minor: i64, customer_id: i64) -> Vec<Line<'static>> {
    vec![
        Line::debit(tender.account(), amount_minor, None),
        Line::credit(
            codes::ACCOUNTS_RECEIVABLE,
            amount_minor,
            Some(Party::Customer(customer_id)),
        ),
    ]
}

/// `invoices.allocate`: allocates what is left of a payment (the customer's
/// credit on account) to their invoices, as chosen or oldest due date first.
pub fn allocate(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &AllocateRequest,
) -> Result<AllocateView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let payment = match get_payment(conn, req.payment_id) {
        Ok(p) => p,
        Err(Error::NotFound { .. }) => {
            return Err(Error::validation(
                "payment_id",
                format!("no customer payment {}", req.payment_id),
            ))
        }
        Err(e) => return Err(e),
    };
    if payment.unallocated_minor <= 0 {
        return Err(Error::StateConflict {
            message: format!("payment {} is fully allocated", payment.number),
        });
    }
    let made = allocate_payment(
        tx,
        payment.id,
        payment.customer_id,
        payment.unallocated_minor,
        req.allocations.as_deref(),
        now,
        actor.user_id,
    )?;
    if made.is_empty() {
        return Err(Error::StateConflict {
            message: format!(
                "customer {} has no invoice with anything outstanding",
                payment.customer_id
            ),
        });
    }
    let summary = json!({
        "payment_id": payment.id,
        "payment_number": payment.number,
        "customer_id": payment.customer_id,
        "allocations": made_json(&made),
    });
    ctx.audit("customer_payment", payment.id, summary.clone());
    ctx.emit(
        "customer_payment.allocated",
        "customer_payment",
        payment.id,
        summary,
    );
    let payment = get_payment(conn, payment.id)?;
    let made = payment
        .allocations
        .iter()
        .filter(|a| made.iter().any(|m| m.id == a.id))
        .cloned()
        .collect();
    Ok(AllocateView { payment, made })
}

/// `customers.payments`: a customer's payments on account, newest first.
pub fn payments(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &PaymentsRequest,
) -> Result<PaymentPage> {
    let limit = req.limit.unwrap_or(50);
    let mut st = conn.prepare_cached(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM customer_payments p
         WHERE p.customer_id = ?1 AND p.id < ?2
           AND (?3 = 0 OR p.amount_minor > (SELECT coalesce(sum(a.amount_minor), 0)
                                            FROM invoice_allocations a WHERE a.payment_id = p.id))
         ORDER BY p.id DESC LIMIT ?4"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            req.customer_id,
            req.before_id.unwrap_or(i64::MAX),
            req.unallocated_only,
            i64::from(limit) + 1
        ],
        payment_of,
    )?;
    let (mut payments, next_before_id) = crate::shared::handler::keyset_page(
        rows.collect::<rusqlite::Result<Vec<_>>>()?,
        limit,
        |p| p.id,
    );
    for p in &mut payments {
        p.allocations = allocations_where(conn, "payment_id", p.id)?;
    }
    Ok(PaymentPage {
        payments,
        next_before_id,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_debits_its_tender_and_credits_the_customers_receivable() {
        for (tender, account) in [
            (PaymentTender::Cash, codes::CASH),
            (PaymentTender::Card, codes::CARD_CLEARING),
            (PaymentTender::Bank, codes::BANK),
        ] {
            let lines = payment_lines(tender, 1234, 7);
            assert_eq!(lines.len(), 2);
            assert_eq!(
                (
                    lines[0].account,
                    lines[0].debit_minor,
                    lines[0].credit_minor
                ),
                (account, 1234, 0)
            );
            assert_eq!(lines[0].party, None);
            assert_eq!(
                (
                    lines[1].account,
                    lines[1].debit_minor,
                    lines[1].credit_minor
                ),
                (codes::ACCOUNTS_RECEIVABLE, 0, 1234)
            );
            assert_eq!(lines[1].party, Some(Party::Customer(7)));
        }
    }

    #[test]
    fn oldest_first_takes_each_invoice_in_turn_until_the_payment_is_used() {
        let open = |rows: &[(i64, i64)]| rows.iter().map(|r| Ok::<_, ()>(*r)).collect::<Vec<_>>();
        let invoices = [(3, 500), (1, 200), (8, 1000)];
        assert_eq!(
            take_in_turn(600, open(&invoices)).unwrap(),
            [(3, 500), (1, 100)]
        );
        assert_eq!(
            take_in_turn(5000, open(&invoices)).unwrap(),
            [(3, 500), (1, 200), (8, 1000)]
        );
        assert_eq!(take_in_turn(500, open(&invoices)).unwrap(), [(3, 500)]);
        assert!(take_in_turn(0, open(&invoices)).unwrap().is_empty());
    }

    #[test]
    fn oldest_first_reads_no_row_once_the_payment_is_used() {
        let rows = vec![Ok((3, 500)), Err("not read")];
        assert_eq!(take_in_turn(500, rows).unwrap(), [(3, 500)]);
        let rows = vec![Ok((3, 500)), Err("read")];
        assert_eq!(take_in_turn(501, rows), Err("read"));
    }
}
