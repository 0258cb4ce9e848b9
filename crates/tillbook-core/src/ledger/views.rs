//! The `ledger.*` commands: the chart with balances, and the journal.

use crate::error::{Error, Result};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AccountView {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub normal_side: String,
    #[ts(type = "number")]
    pub debit_total_minor: i64,
    #[ts(type = "number")]
    pub credit_total_minor: i64,
    /// On the normal side.
    #[ts(type = "number")]
    pub balance_minor: i64,
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LedgerAccountsRequest")]
#[serde(deny_unknown_fields)]
pub struct AccountsRequest {}

impl Request for AccountsRequest {}

/// `ledger.accounts`: the chart of accounts with balances summed from the lines.
pub fn accounts(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    _req: &AccountsRequest,
) -> Result<Vec<AccountView>> {
    let mut st = conn.prepare_cached(
        "SELECT a.code, a.name, a.kind, a.normal_side,
                coalesce(sum(l.debit_minor), 0), coalesce(sum(l.credit_minor), 0)
         FROM accounts a LEFT JOIN journal_lines l ON l.account_id = a.id
         GROUP BY a.id ORDER BY a.code",
    )?;
    let rows = st.query_map([], |r| {
        let normal: String = r.get(3)?;
        let (d, c): (i64, i64) = (r.get(4)?, r.get(5)?);
        Ok(AccountView {
            code: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
            balance_minor: if normal == "debit" { d - c } else { c - d },
            normal_side: normal,
            debit_total_minor: d,
            credit_total_minor: c,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "JournalLineView")]
pub struct LineView {
    pub account_code: String,
    #[ts(type = "number")]
    pub debit_minor: i64,
    #[ts(type = "number")]
    pub credit_minor: i64,
    #[ts(type = "number | null")]
    pub customer_id: Option<i64>,
    #[ts(type = "number | null")]
    pub vendor_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "JournalEntryView")]
pub struct EntryView {
    /// The gapless entry number.
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub posted_at_ms: i64,
    pub memo: String,
    pub source_type: String,
    #[ts(type = "number")]
    pub source_id: i64,
    #[ts(type = "number | null")]
    pub reverses_entry_id: Option<i64>,
    #[ts(type = "number | null")]
    pub reversed_by_entry_id: Option<i64>,
    #[ts(type = "number")]
    pub user_id: i64,
    #[ts(type = "number")]
    pub total_minor: i64,
    pub lines: Vec<LineView>,
}

const ENTRY_COLUMNS: &str = "e.id, e.posted_at_ms, e.memo, e.source_type, e.source_id,
    e.reverses_entry_id, (SELECT r.id FROM journal_entries r WHERE r.reverses_entry_id = e.id),
    e.user_id, e.total_minor";

fn entry_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryView> {
    Ok(EntryView {
        id: r.get(0)?,
        posted_at_ms: r.get(1)?,
        memo: r.get(2)?,
        source_type: r.get(3)?,
        source_id: r.get(4)?,
        reverses_entry_id: r.get(5)?,
        reversed_by_entry_id: r.get(6)?,
        user_id: r.get(7)?,
        total_minor: r.get(8)?,
        lines: Vec::new(),
    })
}

fn lines_of(conn: &Connection, entry_id: i64) -> Result<Vec<LineView>> {
    let mut st = conn.prepare_cached(
        "SELECT a.code, l.debit_minor, l.credit_minor, l.customer_id, l.vendor_id
         FROM journal_lines l JOIN accounts a ON a.id = l.account_id
         WHERE l.entry_id = ?1 ORDER BY l.id",
    )?;
    let rows = st.query_map([entry_id], |r| {
        Ok(LineView {
            account_code: r.get(0)?,
            debit_minor: r.get(1)?,
            credit_minor: r.get(2)?,
            customer_id: r.get(3)?,
            vendor_id: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// One entry with its lines.
pub fn entry(conn: &Connection, id: i64) -> Result<EntryView> {
    let mut e = conn
        .prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM journal_entries e WHERE e.id = ?1"
        ))?
        .query_row([id], entry_of)
        .optional()?
        .ok_or_else(|| Error::not_found("journal_entry", id))?;
    e.lines = lines_of(conn, id)?;
    Ok(e)
}

/// Filters for `ledger.entries`; all applied in SQL (T27). Newest first.
#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "LedgerEntriesRequest")]
#[serde(deny_unknown_fields)]
pub struct EntriesRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub account_code: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable, type = "number | null")]
    pub customer_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable, type = "number | null")]
    pub vendor_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub source_type: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable, type = "number | null")]
    pub source_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable, type = "number | null")]
    pub from_ms: Option<i64>,
    /// Exclusive.
    #[serde(default)]
    #[ts(optional = nullable, type = "number | null")]
    pub to_ms: Option<i64>,
    /// Keyset paging: entries with a smaller number than this.
    #[serde(default)]
    #[ts(optional = nullable, type = "number | null")]
    pub before_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for EntriesRequest {
    fn validate(&self) -> Result<()> {
        if let Some(c) = &self.account_code {
            validate::text("account_code", c, 1, 16)?;
        }
        if let Some(s) = &self.source_type {
            validate::text("source_type", s, 1, 40)?;
        }
        for (field, v) in [
            ("customer_id", self.customer_id),
            ("vendor_id", self.vendor_id),
            ("source_id", self.source_id),
            ("before_id", self.before_id),
        ] {
            if let Some(v) = v {
                validate::id(field, v)?;
            }
        }
        if let (Some(f), Some(t)) = (self.from_ms, self.to_ms) {
            if t < f {
                return Err(Error::validation("to_ms", "must not be before from_ms"));
            }
        }
        validate::page_limit(self.limit, validate::PAGE_MAX)?;
        Ok(())
    }
}

/// `ledger.entries`: entries with their lines, newest first, filtered in SQL.
pub fn entries(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &EntriesRequest,
) -> Result<Vec<EntryView>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM journal_entries e
         WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM journal_lines l JOIN accounts a ON a.id = l.account_id
                                       WHERE l.entry_id = e.id AND a.code = ?1))
           AND (?2 IS NULL OR EXISTS (SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id AND l.customer_id = ?2))
           AND (?3 IS NULL OR EXISTS (SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id AND l.vendor_id = ?3))
           AND (?4 IS NULL OR e.source_type = ?4)
           AND (?5 IS NULL OR e.source_id = ?5)
           AND (?6 IS NULL OR e.posted_at_ms >= ?6)
           AND (?7 IS NULL OR e.posted_at_ms < ?7)
           AND e.id < ?8
         ORDER BY e.id DESC LIMIT ?9"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            req.account_code,
            req.customer_id,
            req.vendor_id,
            req.source_type,
            req.source_id,
            req.from_ms,
            req.to_ms,
            req.before_id.unwrap_or(i64::MAX),
            req.limit.unwrap_or(50),
        ],
        entry_of,
    )?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for e in &mut out {
        e.lines = lines_of(conn, e.id)?;
    }
    Ok(out)
}
