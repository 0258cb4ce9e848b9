//! `customers.statement`: a customer's accounts receivable movements with a
//! running balance, read from the ledger lines naming them.

use super::invoices::{customer_name, invoice_number_of_order, number_of};
use super::payments::unallocated_credit;
use crate::error::{Error, Result};
use crate::ledger::{self, codes};
use crate::shared::handler::{keyset_page, ReadCtx, Request};
use crate::shared::validate;
use rusqlite::Connection;
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
        validate::page_limit(self.limit, validate::PAGE_MAX)
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
    let limit = req.limit.unwrap_or(validate::PAGE_MAX);
    let opening = opening_balance(conn, req, ar, after)?;
    let (page, next_after_entry_id) =
        keyset_page(movements(conn, req, ar, after, limit)?, limit, |m| {
            m.entry_id
        });
    let described = page
        .into_iter()
        .map(|m| Ok((source_of(conn, &m.source_type, m.source_id)?, m)))
        .collect::<Result<Vec<_>>>()?;
    let (lines, closing) = running_lines(opening, described);
    Ok(Statement {
        customer_id: req.customer_id,
        customer_name: name,
        opening_balance_minor: opening,
        closing_balance_minor: closing,
        lines,
        balance_minor: ledger::customer_balance(conn, req.customer_id)?,
        unallocated_credit_minor: unallocated_credit(conn, req.customer_id)?,
        next_after_entry_id,
    })
}

/// One journal entry's lines on the customer's receivable, summed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Movement {
    entry_id: i64,
    posted_at_ms: i64,
    source_type: String,
    source_id: i64,
    memo: String,
    debit_minor: i64,
    credit_minor: i64,
}

/// What a movement is and the documents it names.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Source {
    kind: StatementKind,
    document_number: Option<i64>,
    invoice_number: Option<i64>,
}

/// What the customer owed before the page: everything before `from_ms`, and
/// every entry up to the previous page's last.
fn opening_balance(conn: &Connection, req: &StatementRequest, ar: i64, after: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(sum(l.debit_minor) - sum(l.credit_minor), 0)
             FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
             WHERE l.customer_id = ?1 AND l.account_id = ?2
               AND ((?3 IS NOT NULL AND e.posted_at_ms < ?3) OR e.id <= ?4)",
        )?
        .query_row(
            rusqlite::params![req.customer_id, ar, req.from_ms, after],
            |r| r.get(0),
        )?)
}

/// Up to `limit + 1` movements after entry `after`, in entry order (one more
/// than the page says whether there is a next page).
fn movements(
    conn: &Connection,
    req: &StatementRequest,
    ar: i64,
    after: i64,
    limit: u32,
) -> Result<Vec<Movement>> {
    let mut st = conn.prepare_cached(
        "SELECT e.id, e.posted_at_ms, e.source_type, e.source_id, e.memo,
                sum(l.debit_minor), sum(l.credit_minor)
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
         WHERE l.customer_id = ?1 AND l.account_id = ?2
           AND (?3 IS NULL OR e.posted_at_ms >= ?3) AND e.id > ?4
         GROUP BY e.id ORDER BY e.id LIMIT ?5",
    )?;
    let rows = st.query_map(
        rusqlite::params![
            req.customer_id,
            ar,
            req.from_ms,
            after,
            i64::from(limit) + 1
        ],
        |r| {
            Ok(Movement {
                entry_id: r.get(0)?,
                posted_at_ms: r.get(1)?,
                source_type: r.get(2)?,
                source_id: r.get(3)?,
                memo: r.get(4)?,
                debit_minor: r.get(5)?,
                credit_minor: r.get(6)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The kind of a movement from its entry's source, with the order, refund or
/// receipt number and the invoice it is billed on.
fn source_of(conn: &Connection, source_type: &str, source_id: i64) -> Result<Source> {
    let (kind, document_number, invoice_number) = match source_type {
        "order" => (
            StatementKind::Sale,
            number_of(conn, "SELECT number FROM orders WHERE id = ?1", source_id)?,
            invoice_number_of_order(conn, source_id)?,
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
    Ok(Source {
        kind,
        document_number,
        invoice_number,
    })
}

/// The statement lines, each with what the customer owes after it, starting
/// from `opening_minor`; and the closing balance.
fn running_lines(
    opening_minor: i64,
    described: Vec<(Source, Movement)>,
) -> (Vec<StatementLine>, i64) {
    let mut balance = opening_minor;
    let lines = described
        .into_iter()
        .map(|(source, m)| {
            balance += m.debit_minor - m.credit_minor;
            StatementLine {
                entry_id: m.entry_id,
                posted_at_ms: m.posted_at_ms,
                kind: source.kind,
                source_id: m.source_id,
                document_number: source.document_number,
                invoice_number: source.invoice_number,
                memo: m.memo,
                debit_minor: m.debit_minor,
                credit_minor: m.credit_minor,
                balance_minor: balance,
            }
        })
        .collect();
    (lines, balance)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn movement(entry_id: i64, debit_minor: i64, credit_minor: i64) -> Movement {
        Movement {
            entry_id,
            posted_at_ms: entry_id * 1000,
            source_type: "order".into(),
            source_id: entry_id + 100,
            memo: format!("entry {entry_id}"),
            debit_minor,
            credit_minor,
        }
    }

    fn sale(number: i64) -> Source {
        Source {
            kind: StatementKind::Sale,
            document_number: Some(number),
            invoice_number: None,
        }
    }

    #[test]
    fn each_line_carries_the_balance_after_it_from_the_opening_balance() {
        let (lines, closing) = running_lines(
            250,
            vec![
                (sale(1), movement(4, 1000, 0)),
                (sale(2), movement(7, 0, 300)),
                (sale(3), movement(9, 50, 2000)),
            ],
        );
        let balances: Vec<i64> = lines.iter().map(|l| l.balance_minor).collect();
        assert_eq!(balances, [1250, 950, -1000]);
        assert_eq!(closing, -1000);
        assert_eq!(lines[1].entry_id, 7);
        assert_eq!(lines[1].source_id, 107);
        assert_eq!(lines[1].document_number, Some(2));
        assert_eq!((lines[2].debit_minor, lines[2].credit_minor), (50, 2000));
        assert_eq!(lines[2].memo, "entry 9");
    }

    #[test]
    fn an_empty_page_closes_at_its_opening_balance() {
        let (lines, closing) = running_lines(-75, Vec::new());
        assert!(lines.is_empty());
        assert_eq!(closing, -75);
    }
}
