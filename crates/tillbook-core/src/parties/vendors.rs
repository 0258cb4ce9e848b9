//! Vendors (archived, never deleted — T22) and vendor payments. A payment's
//! payee must be an active vendor, checked inside the payment's transaction
//! (T19); payments are never changed or deleted, only reversed by a new entry,
//! and both are audited (T31). What the shop owes a vendor is summed from the
//! ledger's accounts-payable lines.

use crate::db::rows::{gapless_drift, next_number};
use crate::db::{CachedRow, Tx};
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::ledger::{self, codes, JournalEntry, Line, Party};
use crate::parties::purchasing::RECEIPT_COUNTER;
use crate::parties::{self, ContactsRequest, SearchRequest, UpdateContactsRequest};
use crate::shared::handler::{IdRequest, IdVersionRequest, ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter numbering vendor payments.
pub const PAYMENT_COUNTER: &str = "vendor_payments";
/// The largest single payment (about 21 million in a 2-decimal currency).
pub const PAYMENT_MAX_MINOR: i64 = i32::MAX as i64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct VendorView {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tax_id: Option<String>,
    pub notes: String,
    /// Accounts payable owed to this vendor, summed from the ledger.
    pub balance_minor: i64,
    pub archived: bool,
    pub version: i64,
    pub created_at_ms: i64,
}

const COLUMNS: &str =
    "id, name, phone, email, tax_id, notes, archived_at_ms IS NOT NULL, version, created_at_ms";

fn view_of(r: &Row<'_>) -> rusqlite::Result<VendorView> {
    Ok(VendorView {
        id: r.get(0)?,
        name: r.get(1)?,
        phone: r.get(2)?,
        email: r.get(3)?,
        tax_id: r.get(4)?,
        notes: r.get(5)?,
        balance_minor: 0,
        archived: r.get(6)?,
        version: r.get(7)?,
        created_at_ms: r.get(8)?,
    })
}

pub fn get_vendor(conn: &Connection, id: i64) -> Result<VendorView> {
    let mut v = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM vendors WHERE id = ?1"))?
        .query_row([id], view_of)
        .optional()?
        .ok_or_else(|| Error::not_found("vendor", id))?;
    v.balance_minor = ledger::vendor_balance(conn, id)?;
    Ok(v)
}

/// `vendors.create`
pub fn create(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &ContactsRequest) -> Result<VendorView> {
    let id = parties::insert(ctx, tx, &parties::VENDORS, req)?;
    get_vendor(tx.conn(), id)
}

/// `vendors.update`: replaces the contact details (absent = cleared) against the version read.
pub fn update(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &UpdateContactsRequest,
) -> Result<VendorView> {
    parties::update(ctx, tx, &parties::VENDORS, req)?;
    get_vendor(tx.conn(), req.id)
}

/// `vendors.archive`: no more payments to them; their history stays (T22).
pub fn archive(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &IdVersionRequest) -> Result<VendorView> {
    let balance = ledger::vendor_balance(tx.conn(), req.id)?;
    parties::archive(ctx, tx, &parties::VENDORS, req, balance)?;
    get_vendor(tx.conn(), req.id)
}

/// `vendors.get`
pub fn get(_ctx: &ReadCtx<'_>, conn: &Connection, req: &IdRequest) -> Result<VendorView> {
    get_vendor(conn, req.id)
}

/// `vendors.search`: same arguments as `customers.search`.
pub fn search(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &SearchRequest,
) -> Result<Vec<VendorView>> {
    let mut out = parties::search(conn, &parties::VENDORS, COLUMNS, req, view_of)?;
    for v in &mut out {
        v.balance_minor = ledger::vendor_balance(conn, v.id)?;
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "VendorTender")]
#[serde(rename_all = "snake_case")]
pub enum Tender {
    Cash,
    Bank,
}

impl Tender {
    fn as_str(self) -> &'static str {
        match self {
            Tender::Cash => "cash",
            Tender::Bank => "bank",
        }
    }

    fn account(self) -> &'static str {
        match self {
            Tender::Cash => codes::CASH,
            Tender::Bank => codes::BANK,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "VendorPaymentView")]
pub struct PaymentView {
    pub id: i64,
    pub number: i64,
    pub vendor_id: i64,
    pub amount_minor: i64,
    pub tender: String,
    pub reference: Option<String>,
    pub memo: String,
    pub entry_id: i64,
    pub paid_at_ms: i64,
    pub user_id: i64,
    pub reversal: Option<ReversalView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "VendorPaymentReversalView")]
pub struct ReversalView {
    pub reason: String,
    pub entry_id: i64,
    pub reversed_at_ms: i64,
    pub user_id: i64,
}

pub fn get_payment(conn: &Connection, id: i64) -> Result<PaymentView> {
    conn.prepare_cached(
        "SELECT p.id, p.number, p.vendor_id, p.amount_minor, p.tender, p.reference, p.memo,
                p.entry_id, p.paid_at_ms, p.user_id,
                r.reason, r.entry_id, r.reversed_at_ms, r.user_id
         FROM vendor_payments p LEFT JOIN vendor_payment_reversals r ON r.payment_id = p.id
         WHERE p.id = ?1",
    )?
    .query_row([id], |r| {
        let reversal = match r.get::<_, Option<String>>(10)? {
            Some(reason) => Some(ReversalView {
                reason,
                entry_id: r.get(11)?,
                reversed_at_ms: r.get(12)?,
                user_id: r.get(13)?,
            }),
            None => None,
        };
        Ok(PaymentView {
            id: r.get(0)?,
            number: r.get(1)?,
            vendor_id: r.get(2)?,
            amount_minor: r.get(3)?,
            tender: r.get(4)?,
            reference: r.get(5)?,
            memo: r.get(6)?,
            entry_id: r.get(7)?,
            paid_at_ms: r.get(8)?,
            user_id: r.get(9)?,
            reversal,
        })
    })
    .optional()?
    .ok_or_else(|| Error::not_found("vendor_payment", id))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "VendorPayRequest")]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    pub vendor_id: i64,
    pub amount_minor: i64,
    pub tender: Tender,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub reference: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub memo: Option<String>,
}

impl Request for PayRequest {
    fn validate(&self) -> Result<()> {
        validate::id("vendor_id", self.vendor_id)?;
        if !(1..=PAYMENT_MAX_MINOR).contains(&self.amount_minor) {
            return Err(Error::validation(
                "amount_minor",
                format!("must be 1 to {PAYMENT_MAX_MINOR}"),
            ));
        }
        if let Some(r) = &self.reference {
            validate::text("reference", r, 1, 100)?;
        }
        if let Some(m) = &self.memo {
            validate::text("memo", m, 0, 200)?;
        }
        Ok(())
    }
}

/// `vendors.pay`: pays an active vendor (checked here, inside the transaction:
/// T19) and posts Dr accounts payable / Cr cash or bank.
pub fn pay(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &PayRequest) -> Result<PaymentView> {
    let actor = ctx.actor()?;
    let name = require_active_vendor(tx, req.vendor_id, "payments go to")?;
    let number = next_number(tx, PAYMENT_COUNTER)?;
    let memo = req.memo.clone().unwrap_or_default();
    let entry_memo = format!("Payment {number} to {name}");
    let entry_memo: String = entry_memo.chars().take(200).collect();
    // The payment's id is taken before the entry so the entry can name its source.
    let payment_id: i64 = tx.conn().cached_row(
        "SELECT coalesce(max(id), 0) + 1 FROM vendor_payments",
        [],
        |r| r.get(0),
    )?;
    let party = Some(Party::Vendor(req.vendor_id));
    let entry_id = ledger::post(
        tx,
        &JournalEntry {
            posted_at_ms: ctx.now_ms,
            memo: &entry_memo,
            source_type: "vendor_payment",
            source_id: payment_id,
            user_id: actor.user_id,
            reverses_entry_id: None,
            lines: vec![
                Line::debit(codes::ACCOUNTS_PAYABLE, req.amount_minor, party),
                Line::credit(req.tender.account(), req.amount_minor, None),
            ],
        },
    )?;
    tx.execute(
        "INSERT INTO vendor_payments (id, number, vendor_id, amount_minor, tender, reference, memo,
                                      entry_id, paid_at_ms, user_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            payment_id,
            number,
            req.vendor_id,
            req.amount_minor,
            req.tender.as_str(),
            req.reference,
            memo,
            entry_id,
            ctx.now_ms,
            actor.user_id
        ],
    )?;
    let summary = json!({
        "number": number,
        "vendor_id": req.vendor_id,
        "amount_minor": req.amount_minor,
        "tender": req.tender,
        "entry_id": entry_id,
    });
    ctx.audit("vendor_payment", payment_id, summary.clone());
    ctx.emit(
        "vendor_payment.created",
        "vendor_payment",
        payment_id,
        summary,
    );
    get_payment(tx.conn(), payment_id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ReverseVendorPaymentRequest")]
#[serde(deny_unknown_fields)]
pub struct ReversePaymentRequest {
    pub payment_id: i64,
    pub reason: String,
}

impl Request for ReversePaymentRequest {
    fn validate(&self) -> Result<()> {
        validate::id("payment_id", self.payment_id)?;
        validate::text("reason", &self.reason, 1, 200)
    }
}

/// `vendors.reverse_payment`: posts the payment's mirror entry and records the
/// reversal; the payment and its entry stay as they were (T31).
pub fn reverse_payment(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ReversePaymentRequest,
) -> Result<PaymentView> {
    let actor = ctx.actor()?;
    let payment = get_payment(tx.conn(), req.payment_id)?;
    if payment.reversal.is_some() {
        return Err(Error::StateConflict {
            message: format!("payment {} is already reversed", payment.number),
        });
    }
    let memo: String = format!("Reversal of payment {}: {}", payment.number, req.reason)
        .chars()
        .take(200)
        .collect();
    let entry_id = ledger::reverse(
        tx,
        payment.entry_id,
        ctx.now_ms,
        &memo,
        "vendor_payment_reversal",
        payment.id,
        actor.user_id,
    )?;
    tx.execute(
        "INSERT INTO vendor_payment_reversals (payment_id, reason, entry_id, reversed_at_ms, user_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![payment.id, req.reason, entry_id, ctx.now_ms, actor.user_id],
    )
    .on_constraint(ConstraintKind::Unique, || Error::StateConflict {
        message: format!("payment {} is already reversed", payment.number),
    })?;
    let summary = json!({
        "number": payment.number,
        "vendor_id": payment.vendor_id,
        "amount_minor": payment.amount_minor,
        "reason": req.reason,
        "original_entry_id": payment.entry_id,
        "reversal_entry_id": entry_id,
    });
    ctx.audit("vendor_payment", payment.id, summary.clone());
    ctx.emit(
        "vendor_payment.reversed",
        "vendor_payment",
        payment.id,
        summary,
    );
    get_payment(tx.conn(), payment.id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "VendorPaymentsRequest")]
#[serde(deny_unknown_fields)]
pub struct PaymentsRequest {
    pub vendor_id: i64,
    /// Keyset paging: payments with a smaller id than this (newest first).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for PaymentsRequest {
    fn validate(&self) -> Result<()> {
        validate::id("vendor_id", self.vendor_id)?;
        validate::page(self.before_id, self.limit)
    }
}

/// `vendors.payments`: a vendor's payments, newest first, filtered in SQL.
pub fn payments(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &PaymentsRequest,
) -> Result<Vec<PaymentView>> {
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM vendor_payments WHERE vendor_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
        )?
        .query_map(
            rusqlite::params![
                req.vendor_id,
                req.before_id.unwrap_or(i64::MAX),
                req.limit.unwrap_or(50)
            ],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    ids.into_iter().map(|id| get_payment(conn, id)).collect()
}

/// Checks, inside the caller's transaction, that `vendor_id` is an active vendor (T19).
pub(super) fn require_active_vendor(tx: &Tx<'_>, vendor_id: i64, what: &str) -> Result<String> {
    let row: Option<(String, bool)> = tx
        .conn()
        .cached_row(
            "SELECT name, archived_at_ms IS NULL FROM vendors WHERE id = ?1",
            [vendor_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        None => Err(Error::not_found("vendor", vendor_id)),
        Some((name, false)) => Err(Error::StateConflict {
            message: format!("vendor {name} is archived: {what} only active vendors"),
        }),
        Some((name, true)) => Ok(name),
    }
}

/// What can drift in vendor documents: payments and purchase receipts against
/// their journal entries and batches, and their gapless numbers. Reported by
/// `tillbook verify` beside the ledger's own checks.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let payments: i64 = conn.cached_row(
        "SELECT count(*) FROM vendor_payments p JOIN journal_entries e ON e.id = p.entry_id
         WHERE e.total_minor <> p.amount_minor",
        [],
        |r| r.get(0),
    )?;
    if payments > 0 {
        problems.push(format!(
            "{payments} vendor payment(s) differ from their journal entry"
        ));
    }
    let receipts: i64 = conn.cached_row(
        "SELECT count(*) FROM purchase_receipts p
         LEFT JOIN journal_entries e ON e.id = p.entry_id
         WHERE coalesce(e.total_minor, 0) <> p.total_minor
            OR p.total_minor <> (SELECT coalesce(sum(line_total_minor), 0)
                                 FROM purchase_receipt_lines l WHERE l.receipt_id = p.id)",
        [],
        |r| r.get(0),
    )?;
    if receipts > 0 {
        problems.push(format!(
            "{receipts} purchase receipt(s) differ from their lines or journal entry"
        ));
    }
    let receipt_batches: i64 = conn.cached_row(
        "SELECT count(*) FROM purchase_receipt_lines l JOIN batches b ON b.id = l.batch_id
         WHERE b.received_quantity <> l.quantity OR b.unit_cost_minor <> l.unit_cost_minor",
        [],
        |r| r.get(0),
    )?;
    if receipt_batches > 0 {
        problems.push(format!(
            "{receipt_batches} purchase receipt line(s) differ from their batch"
        ));
    }
    // Document numbers: unique by constraint, gapless up to their counter.
    for (table, counter) in [
        ("vendor_payments", PAYMENT_COUNTER),
        ("purchase_receipts", RECEIPT_COUNTER),
    ] {
        problems.extend(gapless_drift(conn, table, "number", counter)?);
    }
    Ok(problems)
}
