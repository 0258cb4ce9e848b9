//! Balances, always summed from journal lines.

use crate::error::{Error, Result};
use crate::ledger::codes;
use crate::ledger::journal::Party;
use rusqlite::{Connection, OptionalExtension};

pub fn account_id(conn: &Connection, code: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM accounts WHERE code = ?1")?
        .query_row([code], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::internal(format!("account {code} is missing from the chart")))
}

/// An account's balance on its normal side (debits − credits for debit-normal
/// accounts, the reverse for credit-normal ones), summed over the ledger.
pub fn account_balance(conn: &Connection, code: &str) -> Result<i64> {
    conn.prepare_cached(
        "SELECT CASE a.normal_side WHEN 'debit' THEN coalesce(sum(l.debit_minor) - sum(l.credit_minor), 0)
                                   ELSE coalesce(sum(l.credit_minor) - sum(l.debit_minor), 0) END
         FROM accounts a LEFT JOIN journal_lines l ON l.account_id = a.id
         WHERE a.code = ?1 GROUP BY a.id",
    )?
    .query_row([code], |r| r.get(0))
    .optional()?
    .ok_or_else(|| Error::internal(format!("account {code} is missing from the chart")))
}

/// What a customer owes (accounts receivable lines naming them: debits − credits).
pub fn customer_balance(conn: &Connection, customer_id: i64) -> Result<i64> {
    Ok(-party_credit_balance(
        conn,
        Party::Customer(customer_id),
        codes::ACCOUNTS_RECEIVABLE,
    )?)
}

/// Store credit the shop owes a customer (store-credit liability lines naming them).
pub fn customer_store_credit(conn: &Connection, customer_id: i64) -> Result<i64> {
    party_credit_balance(conn, Party::Customer(customer_id), codes::STORE_CREDIT)
}

/// What the shop owes a vendor (accounts payable lines naming them: credits − debits).
pub fn vendor_balance(conn: &Connection, vendor_id: i64) -> Result<i64> {
    party_credit_balance(conn, Party::Vendor(vendor_id), codes::ACCOUNTS_PAYABLE)
}

/// Credits − debits of the lines of `account_code` naming `party`: the one
/// query behind every party balance, so they can't disagree on what they sum.
pub fn party_credit_balance(conn: &Connection, party: Party, account_code: &str) -> Result<i64> {
    let (column, id) = match party {
        Party::Customer(id) => ("customer_id", id),
        Party::Vendor(id) => ("vendor_id", id),
    };
    Ok(conn
        .prepare_cached(&format!(
            "SELECT coalesce(sum(l.credit_minor) - sum(l.debit_minor), 0)
             FROM journal_lines l JOIN accounts a ON a.id = l.account_id
             WHERE l.{column} = ?1 AND a.code = ?2"
        ))?
        .query_row(rusqlite::params![id, account_code], |r| r.get(0))?)
}
