//! Posting: balanced, append-only journal entries and their reversals.

use crate::db::rows::next_number;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::ledger::balances::account_id;
use crate::ledger::views::entry;
use serde::{Deserialize, Serialize};

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
