//! What `tillbook verify` recomputes for the ledger.

use crate::db::rows::gapless_drift;
use crate::db::CachedRow;
use crate::error::Result;
use crate::ledger::journal::ENTRY_COUNTER;
use rusqlite::Connection;

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
