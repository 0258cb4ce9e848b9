//! `customers.statement`: a customer's accounts receivable movements with a
//! running balance, read from the ledger lines naming them.

use super::invoices::{customer_name, PAGE_MAX};
use super::payments::unallocated_credit;
use crate::error::{Error, Result};
use crate::ledger::{self, codes};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

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
