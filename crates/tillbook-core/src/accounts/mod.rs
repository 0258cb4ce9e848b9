//! Invoices for account sales, customers' payments on account and their
//! allocation to invoices, the AR aging report and customer statements (issue 5).
//!
//! # What an invoice bills
//!
//! An order's *on-account part* is the sum of its `on_account` payments. An
//! invoice bills one or more orders of one customer; each order's amount on the
//! invoice is its on-account part minus the on-account refunds of that order
//! made before the invoice (both recorded on `invoice_orders`), and the
//! invoice's total is the sum of those amounts — computed here, never supplied
//! (T20). An order is invoiced at most once (`UNIQUE(order_id)`). Invoice
//! numbers come from the counter `invoices` in the same transaction (T26, T36).
//!
//! # Payments, allocations, credits
//!
//! `customers.receive_payment` records money received (cash, card or bank),
//! posts Dr cash / card clearing / bank, Cr accounts receivable naming the
//! customer, and allocates it to the customer's invoices: as chosen, or oldest
//! due date first. What is not allocated stays the customer's credit on account
//! and can be allocated later (`invoices.allocate`). Receipt numbers come from
//! the counter `customer_payments`.
//!
//! A refund of an invoiced order that goes back on account (refunds.rs) is a
//! **credit on that invoice**: it lowers the invoice's outstanding amount just
//! as an allocation does. If the invoice was already paid, its outstanding
//! amount becomes negative — the customer paid more than they now owe on it;
//! the ledger balance shows the same credit.
//!
//! # Status (computed, never stored)
//!
//! `outstanding = total − allocations − credits`; the status is `paid` when
//! nothing is outstanding, else `overdue` when the date is past the due date
//! (`due_on`, a UTC calendar day), else `partially_paid` when anything was
//! allocated or credited, else `open`.

use crate::db::rows::{gapless_drift, next_number};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::ledger::{self, codes, JournalEntry, Line, Party};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter invoice numbers come from.
pub const INVOICE_COUNTER: &str = "invoices";
/// The counter customer payment (receipt) numbers come from.
pub const PAYMENT_COUNTER: &str = "customer_payments";
/// Most orders on one invoice.
pub const MAX_INVOICE_ORDERS: usize = 100;
/// Most allocations given in one request.
pub const MAX_ALLOCATIONS: usize = 100;
/// The largest payment or allocation (10^12 minor units).
pub const MAX_AMOUNT_MINOR: i64 = crate::catalog::MAX_AMOUNT_MINOR;
/// The largest page of any list here.
pub const PAGE_MAX: u32 = 200;
/// A due date at most this many days after the issue date.
pub const MAX_TERMS_DAYS: i64 = 3650;

pub const MS_PER_DAY: i64 = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------
// Calendar days (UTC), in integers
// ---------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = (if z >= 0 { z } else { z - 146_096 }) / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The UTC day number of an instant.
pub fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY)
}

/// `YYYY-MM-DD` of a day number.
pub fn date_of_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses a `YYYY-MM-DD` date (years 2000–2999) into its day number.
pub fn parse_date(field: &str, s: &str) -> Result<i64> {
    let bad = || Error::validation(field, "must be a real date like 2026-12-31");
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().map_err(|_| bad());
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(2000..=2999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let day = days_from_civil(y, m, d);
    // 2026-02-30 comes back as 2026-03-02: not a real date.
    if civil_from_days(day) != (y, m, d) {
        return Err(bad());
    }
    Ok(day)
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

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
        if let Some(b) = self.before_id {
            validate::id("before_id", b)?;
        }
        validate::page_limit(self.limit, PAGE_MAX)
    }
}

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
        validate::page_limit(self.limit, PAGE_MAX)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CustomerStatementRequest")]
#[serde(deny_unknown_fields)]
pub struct StatementRequest {
    pub customer_id: i64,
    /// Only movements posted at or after this instant; earlier ones make the opening balance.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub from_ms: Option<i64>,
    /// Movements after this journal entry (the previous page's `next_after_entry_id`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_entry_id: Option<i64>,
    /// 1 to 200; 200 when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for StatementRequest {
    fn validate(&self) -> Result<()> {
        validate::id("customer_id", self.customer_id)?;
        if let Some(f) = self.from_ms {
            if f < 0 {
                return Err(Error::validation("from_ms", "must not be negative"));
            }
        }
        if let Some(a) = self.after_entry_id {
            validate::id("after_entry_id", a)?;
        }
        validate::page_limit(self.limit, PAGE_MAX)
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
        if let Some(b) = self.before_id {
            validate::id("before_id", b)?;
        }
        validate::page_limit(self.limit, PAGE_MAX)
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
        if let Some(b) = self.before_id {
            validate::id("before_id", b)?;
        }
        validate::page_limit(self.limit, PAGE_MAX)
    }
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "InvoicePage")]
pub struct InvoicePage {
    pub invoices: Vec<InvoiceSummary>,
    pub next_before_id: Option<i64>,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "StatementLineKind")]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    /// A sale on account.
    Sale,
    /// A refund back on account.
    Refund,
    /// A payment received.
    Payment,
    /// A sale voided (its entry reversed).
    Void,
    /// Any other posting to the customer's account.
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "StatementLine")]
pub struct StatementLine {
    pub entry_id: i64,
    pub posted_at_ms: i64,
    pub kind: StatementKind,
    pub source_id: i64,
    /// The order, refund or payment receipt number.
    pub document_number: Option<i64>,
    /// The invoice a sale (or a refund of it) is billed on.
    pub invoice_number: Option<i64>,
    pub memo: String,
    /// Increases what the customer owes.
    pub debit_minor: i64,
    /// Decreases it.
    pub credit_minor: i64,
    /// What the customer owes after this line.
    pub balance_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CustomerStatement")]
pub struct Statement {
    pub customer_id: i64,
    pub customer_name: String,
    pub opening_balance_minor: i64,
    pub lines: Vec<StatementLine>,
    pub closing_balance_minor: i64,
    /// The customer's balance over the whole ledger now; the last page's
    /// closing balance equals it.
    pub balance_minor: i64,
    /// Payments not yet allocated to invoices.
    pub unallocated_credit_minor: i64,
    pub next_after_entry_id: Option<i64>,
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

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

/// Every invoice's figures as at `?1` (an instant: allocations and refunds
/// before it count), filtered by customer `?3` and invoice `?4` (NULL = all),
/// with the status as at date `?2` (`YYYY-MM-DD`). The one definition of
/// outstanding and status, used by every read and write here.
const FIGURES: &str = "
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

fn invoice_summary(
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

fn allocations_where(conn: &Connection, column: &str, id: i64) -> Result<Vec<AllocationView>> {
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
    })
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

fn customer_name(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT name FROM customers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

fn require_customer(conn: &Connection, id: i64) -> Result<String> {
    customer_name(conn, id)?
        .ok_or_else(|| Error::validation("customer_id", format!("no customer {id}")))
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

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

/// `invoices.create`: see the module documentation.
pub fn create(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &CreateRequest) -> Result<InvoiceView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    require_customer(conn, req.customer_id)?;

    struct Billed {
        order_id: i64,
        on_account: i64,
        refunded_before: i64,
    }
    let mut billed = Vec::with_capacity(req.order_ids.len());
    let mut total = 0i64;
    for (i, &order_id) in req.order_ids.iter().enumerate() {
        let field = format!("order_ids[{i}]");
        let order: Option<(i64, Option<i64>)> = conn
            .prepare_cached("SELECT number, customer_id FROM orders WHERE id = ?1")?
            .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let number = match order {
            None => return Err(Error::validation(field, format!("no order {order_id}"))),
            Some((n, c)) if c != Some(req.customer_id) => {
                return Err(Error::validation(
                    field,
                    format!("order {n} is not customer {}'s", req.customer_id),
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
        let invoiced: Option<i64> = conn
            .prepare_cached(
                "SELECT i.number FROM invoice_orders io JOIN invoices i ON i.id = io.invoice_id
                 WHERE io.order_id = ?1",
            )?
            .query_row([order_id], |r| r.get(0))
            .optional()?;
        if let Some(n) = invoiced {
            return Err(Error::StateConflict {
                message: format!("order {number} is already on invoice {n}"),
            });
        }
        let (on_account, refunded_before): (i64, i64) = conn
            .prepare_cached(
                "SELECT (SELECT coalesce(sum(amount_minor), 0) FROM payments
                          WHERE order_id = ?1 AND tender = 'on_account'),
                        (SELECT coalesce(sum(rp.amount_minor), 0) FROM refunds r
                           JOIN refund_payments rp ON rp.refund_id = r.id AND rp.tender = 'on_account'
                          WHERE r.order_id = ?1)",
            )?
            .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if on_account == 0 {
            return Err(Error::validation(
                field,
                format!("order {number} has no on-account part to invoice"),
            ));
        }
        if on_account <= refunded_before {
            return Err(Error::validation(
                field,
                format!("order {number}'s on-account part was refunded in full"),
            ));
        }
        total += on_account - refunded_before; // ≤ 100 × 10^12: no overflow
        billed.push(Billed {
            order_id,
            on_account,
            refunded_before,
        });
    }

    let today = day_of_ms(now);
    let due_day = match &req.due_date {
        Some(d) => parse_date("due_date", d)?,
        None => today + ctx.settings.invoice_terms_days,
    };
    if due_day < today {
        return Err(Error::validation(
            "due_date",
            format!("must not be before the issue date {}", date_of_day(today)),
        ));
    }
    if due_day > today + MAX_TERMS_DAYS {
        return Err(Error::validation(
            "due_date",
            format!("must be within {MAX_TERMS_DAYS} days of the issue date"),
        ));
    }
    let due_on = date_of_day(due_day);

    let number = next_number(tx, INVOICE_COUNTER)?;
    let invoice_id: i64 = tx.execute_returning(
        "INSERT INTO invoices (number, customer_id, order_count, total_minor, issued_at_ms,
                               due_on, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        rusqlite::params![
            number,
            req.customer_id,
            billed.len() as i64,
            total,
            now,
            due_on,
            actor.user_id
        ],
        |r| r.get(0),
    )?;
    for b in &billed {
        tx.execute(
            "INSERT INTO invoice_orders (invoice_id, order_id, on_account_minor,
                                         refunded_before_minor, amount_minor)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                invoice_id,
                b.order_id,
                b.on_account,
                b.refunded_before,
                b.on_account - b.refunded_before
            ],
        )
        // Checked above in this transaction; the constraint is the backstop.
        .on_constraint(ConstraintKind::Unique, || Error::StateConflict {
            message: format!("order {} is already invoiced", b.order_id),
        })?;
    }

    let summary = json!({
        "number": number,
        "customer_id": req.customer_id,
        "order_ids": req.order_ids,
        "total_minor": total,
        "due_on": due_on,
    });
    ctx.audit("invoice", invoice_id, summary.clone());
    ctx.emit("invoice.created", "invoice", invoice_id, summary);
    get_invoice(conn, invoice_id, now)
}

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
    let plan: Vec<(i64, i64)> = match chosen {
        Some(list) => {
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
            plan
        }
        None => {
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
            plan
        }
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
    let party = Some(Party::Customer(req.customer_id));
    let entry_id = ledger::post(
        tx,
        &JournalEntry {
            posted_at_ms: now,
            memo: &memo,
            source_type: "customer_payment",
            source_id: payment_id,
            user_id: actor.user_id,
            reverses_entry_id: None,
            lines: vec![
                Line::debit(req.tender.account(), req.amount_minor, None),
                Line::credit(codes::ACCOUNTS_RECEIVABLE, req.amount_minor, party),
            ],
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

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

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
    let cutoff = (day + 1) * MS_PER_DAY;
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

/// `customers.statement`: the customer's accounts receivable movements in
/// posting order with a running balance. Built from the ledger lines naming
/// them, so the closing balance of the last page is `ledger::customer_balance`.
pub fn statement(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &StatementRequest,
) -> Result<Statement> {
    let name = customer_name(conn, req.customer_id)?
        .ok_or_else(|| Error::not_found("customer", req.customer_id))?;
    let ar = ledger::account_id(conn, codes::ACCOUNTS_RECEIVABLE)?;
    let after = req.after_entry_id.unwrap_or(0);
    let limit = req.limit.unwrap_or(PAGE_MAX);
    let opening: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(l.debit_minor) - sum(l.credit_minor), 0)
             FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
             WHERE l.customer_id = ?1 AND l.account_id = ?2
               AND ((?3 IS NOT NULL AND e.posted_at_ms < ?3) OR e.id <= ?4)",
        )?
        .query_row(
            rusqlite::params![req.customer_id, ar, req.from_ms, after],
            |r| r.get(0),
        )?;
    let mut st = conn.prepare_cached(
        "SELECT e.id, e.posted_at_ms, e.source_type, e.source_id, e.memo,
                sum(l.debit_minor), sum(l.credit_minor)
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
         WHERE l.customer_id = ?1 AND l.account_id = ?2
           AND (?3 IS NULL OR e.posted_at_ms >= ?3) AND e.id > ?4
         GROUP BY e.id ORDER BY e.id LIMIT ?5",
    )?;
    let raw = st
        .query_map(
            rusqlite::params![
                req.customer_id,
                ar,
                req.from_ms,
                after,
                i64::from(limit) + 1
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let more = raw.len() > limit as usize;
    let mut balance = opening;
    let mut lines = Vec::with_capacity(raw.len().min(limit as usize));
    for (entry_id, posted_at_ms, source_type, source_id, memo, debit, credit) in
        raw.into_iter().take(limit as usize)
    {
        let (kind, document_number, invoice_number) = match source_type.as_str() {
            "order" => (
                StatementKind::Sale,
                number_of(conn, "SELECT number FROM orders WHERE id = ?1", source_id)?,
                number_of(
                    conn,
                    "SELECT i.number FROM invoice_orders io JOIN invoices i ON i.id = io.invoice_id
                     WHERE io.order_id = ?1",
                    source_id,
                )?,
            ),
            "refund" => (
                StatementKind::Refund,
                number_of(conn, "SELECT number FROM refunds WHERE id = ?1", source_id)?,
                number_of(
                    conn,
                    "SELECT i.number FROM refunds r JOIN invoice_orders io ON io.order_id = r.order_id
                     JOIN invoices i ON i.id = io.invoice_id WHERE r.id = ?1",
                    source_id,
                )?,
            ),
            "customer_payment" => (
                StatementKind::Payment,
                number_of(
                    conn,
                    "SELECT number FROM customer_payments WHERE id = ?1",
                    source_id,
                )?,
                None,
            ),
            "order_void" => (
                StatementKind::Void,
                number_of(
                    conn,
                    "SELECT o.number FROM order_voids v JOIN orders o ON o.id = v.order_id
                     WHERE v.id = ?1",
                    source_id,
                )?,
                number_of(
                    conn,
                    "SELECT i.number FROM order_voids v JOIN invoice_orders io ON io.order_id = v.order_id
                     JOIN invoices i ON i.id = io.invoice_id WHERE v.id = ?1",
                    source_id,
                )?,
            ),
            _ => (StatementKind::Other, None, None),
        };
        balance += debit - credit;
        lines.push(StatementLine {
            entry_id,
            posted_at_ms,
            kind,
            source_id,
            document_number,
            invoice_number,
            memo,
            debit_minor: debit,
            credit_minor: credit,
            balance_minor: balance,
        });
    }
    let next_after_entry_id = if more {
        lines.last().map(|l| l.entry_id)
    } else {
        None
    };
    Ok(Statement {
        customer_id: req.customer_id,
        customer_name: name,
        opening_balance_minor: opening,
        closing_balance_minor: balance,
        lines,
        balance_minor: ledger::customer_balance(conn, req.customer_id)?,
        unallocated_credit_minor: unallocated_credit(conn, req.customer_id)?,
        next_after_entry_id,
    })
}

fn number_of(conn: &Connection, sql: &str, id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get(0))
        .optional()?)
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

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/// Checks for `tillbook verify`: each invoice equal to its orders' amounts and
/// each order amount equal to the order's on-account payments less the refunds
/// recorded before it; allocations within their invoice, their payment and
/// their customer; each payment equal to its journal entry; invoice and
/// receipt numbers gapless; and, per customer, the accounts receivable lines
/// balance equal to on-account sales (not voided) − refunds on account −
/// payments received.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let checks: [(&str, &str); 7] = [
        (
            "SELECT count(*) FROM invoices i WHERE
                i.total_minor <> (SELECT coalesce(sum(amount_minor), 0) FROM invoice_orders io WHERE io.invoice_id = i.id)
             OR i.order_count <> (SELECT count(*) FROM invoice_orders io WHERE io.invoice_id = i.id)",
            "invoice(s) differ from the sums of their orders",
        ),
        (
            "SELECT count(*) FROM invoice_orders io JOIN orders o ON o.id = io.order_id
             JOIN invoices i ON i.id = io.invoice_id WHERE
                o.customer_id IS NOT i.customer_id
             OR io.on_account_minor <> (SELECT coalesce(sum(amount_minor), 0) FROM payments p
                                        WHERE p.order_id = io.order_id AND p.tender = 'on_account')
             OR io.refunded_before_minor > (SELECT coalesce(sum(rp.amount_minor), 0) FROM refunds r
                                            JOIN refund_payments rp ON rp.refund_id = r.id
                                            WHERE r.order_id = io.order_id AND rp.tender = 'on_account')",
            "invoiced order(s) differ from the order's on-account payments or customer",
        ),
        (
            "SELECT count(*) FROM invoices i WHERE i.total_minor <
                (SELECT coalesce(sum(amount_minor), 0) FROM invoice_allocations a WHERE a.invoice_id = i.id)",
            "invoice(s) allocated beyond their total",
        ),
        (
            "SELECT count(*) FROM customer_payments p WHERE p.amount_minor <
                (SELECT coalesce(sum(amount_minor), 0) FROM invoice_allocations a WHERE a.payment_id = p.id)",
            "customer payment(s) allocated beyond their amount",
        ),
        (
            "SELECT count(*) FROM invoice_allocations a
             JOIN invoices i ON i.id = a.invoice_id JOIN customer_payments p ON p.id = a.payment_id
             WHERE i.customer_id <> p.customer_id",
            "allocation(s) cross customers",
        ),
        (
            "SELECT count(*) FROM customer_payments p LEFT JOIN journal_entries e ON e.id = p.entry_id
             WHERE e.id IS NULL OR e.total_minor <> p.amount_minor
                OR e.source_type <> 'customer_payment' OR e.source_id <> p.id
                OR p.amount_minor <> (SELECT coalesce(sum(l.credit_minor), 0) FROM journal_lines l
                                      JOIN accounts a ON a.id = l.account_id
                                      WHERE l.entry_id = e.id AND a.code = '1100'
                                        AND l.customer_id = p.customer_id)",
            "customer payment(s) differ from their journal entry",
        ),
        (
            "SELECT count(*) FROM invoice_orders io JOIN order_voids v ON v.order_id = io.order_id",
            "invoiced order(s) were voided afterwards (the invoice bills a sale that was undone)",
        ),
    ];
    for (sql, what) in checks {
        let n: i64 = conn.cached_row(sql, [], |r| r.get(0))?;
        if n > 0 {
            problems.push(format!("{n} {what}"));
        }
    }
    // Per customer: the ledger's AR lines against the documents behind them. A
    // void reverses its order's whole entry, so a voided sale counts for nothing.
    let mut st = conn.prepare_cached(
        "SELECT customer_id, sum(amount) FROM (
            SELECT l.customer_id, l.debit_minor - l.credit_minor AS amount
              FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
              JOIN accounts a ON a.id = l.account_id
             WHERE a.code = '1100' AND l.customer_id IS NOT NULL
            UNION ALL
            SELECT customer_id, -amount_minor FROM payments p
             WHERE tender = 'on_account'
               AND NOT EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = p.order_id)
            UNION ALL
            SELECT customer_id, amount_minor FROM refund_payments
             WHERE tender = 'on_account'
            UNION ALL
            SELECT customer_id, amount_minor FROM customer_payments
         ) GROUP BY customer_id HAVING sum(amount) <> 0 ORDER BY customer_id LIMIT 20",
    )?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (customer, diff) = row?;
        problems.push(format!(
            "customer {}: accounts receivable differs from on-account sales, refunds and payments by {diff}",
            customer.map_or_else(|| "(none)".to_string(), |c| c.to_string())
        ));
    }
    problems.extend(gapless_drift(conn, "invoices", "number", INVOICE_COUNTER)?);
    problems.extend(gapless_drift(
        conn,
        "customer_payments",
        "number",
        PAYMENT_COUNTER,
    )?);
    Ok(problems)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn calendar_days_round_trip() {
        // 2026-01-01T00:00:00Z, the test suite's start.
        let start = day_of_ms(1_767_225_600_000);
        assert_eq!(date_of_day(start), "2026-01-01");
        assert_eq!(parse_date("d", "2026-01-01").unwrap(), start);
        assert_eq!(date_of_day(start + 31 + 28), "2026-03-01");
        assert_eq!(
            date_of_day(parse_date("d", "2028-02-29").unwrap()),
            "2028-02-29"
        );
        assert_eq!(day_of_ms(1_767_225_600_000 - 1), start - 1);
        for d in start - 4000..start + 40_000 {
            assert_eq!(parse_date("d", &date_of_day(d)).unwrap(), d);
        }
    }

    #[test]
    fn impossible_dates_are_refused_naming_the_field() {
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "1999-12-31",
            "2026-04-31",
            "２０２６-01-01",
        ] {
            let e = parse_date("due_date", bad).unwrap_err();
            assert!(
                matches!(e, Error::Validation { ref field, .. } if field == "due_date"),
                "{bad}"
            );
        }
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
