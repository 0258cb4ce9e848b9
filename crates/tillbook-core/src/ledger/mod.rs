//! The double-entry ledger: a fixed chart of accounts, append-only journal
//! entries, and balances that are always sums over journal lines — never a
//! separately updated total that could drift.
//!
//! Every business event posts through [`post`], inside the event's own
//! transaction. `post` refuses an entry whose debits don't equal its credits
//! (that is a bug, reported as `internal`), and the schema refuses it again:
//! lines are written before their header, and the header's insert trigger checks
//! the sums (migrations/0003_ledger_parties.sql). A mistake is corrected by a
//! reversing entry ([`reverse`]), never by changing or deleting one (T31).

use crate::db::rows::{gapless_drift, next_number};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// Stable account codes (seeded by migration 0003).
pub mod codes {
    pub const CASH: &str = "1000";
    pub const CARD_CLEARING: &str = "1010";
    pub const BANK: &str = "1020";
    /// The back office's safe: where floats come from and drawer cash goes (migration 0008).
    pub const CASH_SAFE: &str = "1030";
    pub const ACCOUNTS_RECEIVABLE: &str = "1100";
    pub const INVENTORY: &str = "1200";
    pub const ACCOUNTS_PAYABLE: &str = "2000";
    pub const TAX_PAYABLE: &str = "2100";
    pub const STORE_CREDIT: &str = "2200";
    pub const LOYALTY_LIABILITY: &str = "2300";
    pub const SALES_REVENUE: &str = "4000";
    pub const DISCOUNTS: &str = "4100";
    pub const COST_OF_GOODS_SOLD: &str = "5000";
    /// Drawer differences found at a shift's close (migration 0008).
    pub const CASH_OVER_SHORT: &str = "5900";
}

/// The counter giving journal entries their gapless numbers (= their ids).
pub const ENTRY_COUNTER: &str = "journal_entries";

/// Whom a line concerns, for customer (AR) and vendor (AP) balances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Party {
    Customer(i64),
    Vendor(i64),
}

/// One line of an entry to post: exactly one of `debit_minor`/`credit_minor` is non-zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The account's code (see [`codes`]).
    pub account: &'a str,
    pub debit_minor: i64,
    pub credit_minor: i64,
    pub party: Option<Party>,
}

impl<'a> Line<'a> {
    pub fn debit(account: &'a str, amount_minor: i64, party: Option<Party>) -> Line<'a> {
        Line {
            account,
            debit_minor: amount_minor,
            credit_minor: 0,
            party,
        }
    }

    pub fn credit(account: &'a str, amount_minor: i64, party: Option<Party>) -> Line<'a> {
        Line {
            account,
            debit_minor: 0,
            credit_minor: amount_minor,
            party,
        }
    }
}

/// An entry to post.
#[derive(Clone, Debug)]
pub struct JournalEntry<'a> {
    pub posted_at_ms: i64,
    pub memo: &'a str,
    /// The business document this entry records, e.g. `("vendor_payment", 12)`.
    pub source_type: &'static str,
    pub source_id: i64,
    pub user_id: i64,
    /// The entry this one reverses, if it is a reversal.
    pub reverses_entry_id: Option<i64>,
    pub lines: Vec<Line<'a>>,
}

/// Checks an entry before it is written: at least two lines, each with exactly
/// one positive side, and debits equal to credits. Returns the total.
pub fn check_balanced(entry: &JournalEntry<'_>) -> Result<i64> {
    let bug = |m: String| Error::internal(format!("unbalanced journal entry refused: {m}"));
    if entry.lines.len() < 2 {
        return Err(bug(format!(
            "{} line(s); at least 2 needed",
            entry.lines.len()
        )));
    }
    let (mut debits, mut credits) = (0i64, 0i64);
    for (i, l) in entry.lines.iter().enumerate() {
        let one_sided = (l.debit_minor > 0 && l.credit_minor == 0)
            || (l.credit_minor > 0 && l.debit_minor == 0);
        if !one_sided {
            return Err(bug(format!(
                "line {i} has debit {} and credit {}",
                l.debit_minor, l.credit_minor
            )));
        }
        debits = debits
            .checked_add(l.debit_minor)
            .ok_or_else(|| bug("debits overflow".into()))?;
        credits = credits
            .checked_add(l.credit_minor)
            .ok_or_else(|| bug("credits overflow".into()))?;
    }
    if debits != credits {
        return Err(bug(format!("debits {debits} != credits {credits}")));
    }
    Ok(debits)
}

/// Posts `entry` in the caller's transaction and returns its id, which is also
/// its gapless number. Refuses (as `internal`: a caller bug) an unbalanced entry.
pub fn post(tx: &Tx<'_>, entry: &JournalEntry<'_>) -> Result<i64> {
    let total = check_balanced(entry)?;
    let id = next_number(tx, ENTRY_COUNTER)?;
    // Lines first (their reference to the entry is checked at commit), then the
    // header, whose trigger re-checks the sums in the database.
    for l in &entry.lines {
        let account_id = account_id(tx.conn(), l.account)?;
        let (customer_id, vendor_id) = match l.party {
            Some(Party::Customer(c)) => (Some(c), None),
            Some(Party::Vendor(v)) => (None, Some(v)),
            None => (None, None),
        };
        tx.execute(
            "INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor, customer_id, vendor_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![id, account_id, l.debit_minor, l.credit_minor, customer_id, vendor_id],
        )?;
    }
    tx.execute(
        "INSERT INTO journal_entries (id, posted_at_ms, memo, source_type, source_id,
                                      reverses_entry_id, user_id, total_minor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            id,
            entry.posted_at_ms,
            entry.memo,
            entry.source_type,
            entry.source_id,
            entry.reverses_entry_id,
            entry.user_id,
            total
        ],
    )
    // The id comes from the counter, so the one unique value that can clash is
    // `reverses_entry_id`: an entry is reversed at most once (T31).
    .on_constraint(ConstraintKind::Unique, || Error::StateConflict {
        message: format!(
            "journal entry {} is already reversed",
            entry.reverses_entry_id.unwrap_or_default()
        ),
    })?;
    Ok(id)
}

/// Posts the mirror image of entry `entry_id` (debits and credits swapped) as a
/// new entry that names it; the original stays as it was (T31).
pub fn reverse(
    tx: &Tx<'_>,
    entry_id: i64,
    posted_at_ms: i64,
    memo: &str,
    source_type: &'static str,
    source_id: i64,
    user_id: i64,
) -> Result<i64> {
    let original = entry(tx.conn(), entry_id)?;
    let lines = original
        .lines
        .iter()
        .map(|l| Line {
            account: &l.account_code,
            debit_minor: l.credit_minor,
            credit_minor: l.debit_minor,
            party: match (l.customer_id, l.vendor_id) {
                (Some(c), _) => Some(Party::Customer(c)),
                (_, Some(v)) => Some(Party::Vendor(v)),
                _ => None,
            },
        })
        .collect();
    post(
        tx,
        &JournalEntry {
            posted_at_ms,
            memo,
            source_type,
            source_id,
            user_id,
            reverses_entry_id: Some(entry_id),
            lines,
        },
    )
}

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

pub const ENTRIES_PAGE_MAX: u32 = 200;

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
        if let Some(l) = self.limit {
            if !(1..=ENTRIES_PAGE_MAX).contains(&l) {
                return Err(Error::validation(
                    "limit",
                    format!("must be 1 to {ENTRIES_PAGE_MAX}"),
                ));
            }
        }
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

/// Ledger checks for `tillbook verify`: every entry complete and balanced, its
/// stated total equal to its lines, no line without an entry, and entry numbers
/// gapless up to the counter. Returns one message per problem (bounded).
pub fn drift(conn: &Connection, max_listed: usize) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut st = conn.prepare_cached(
        "SELECT e.id, e.total_minor, count(l.id), coalesce(sum(l.debit_minor), 0), coalesce(sum(l.credit_minor), 0)
         FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id
         GROUP BY e.id
         HAVING count(l.id) < 2 OR coalesce(sum(l.debit_minor), 0) <> coalesce(sum(l.credit_minor), 0)
             OR coalesce(sum(l.debit_minor), 0) <> e.total_minor
         ORDER BY e.id LIMIT ?1",
    )?;
    let rows = st.query_map([max_listed as i64], |r| {
        Ok(format!(
            "journal entry {} is unbalanced: {} lines, debits {}, credits {}, stated total {}",
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(1)?
        ))
    })?;
    problems.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
    let bad_lines: i64 = conn.cached_row(
        "SELECT count(*) FROM journal_lines l
         WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = l.entry_id)
            OR (l.debit_minor = 0) = (l.credit_minor = 0) OR l.debit_minor < 0 OR l.credit_minor < 0",
        [],
        |r| r.get(0),
    )?;
    if bad_lines > 0 {
        problems.push(format!(
            "{bad_lines} journal line(s) have no entry or are not one-sided"
        ));
    }
    problems.extend(gapless_drift(conn, "journal_entries", "id", ENTRY_COUNTER)?);
    Ok(problems)
}
