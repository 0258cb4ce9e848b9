//! Row helpers every domain module shares: gapless counters and versioned updates.

use super::Tx;
use crate::db::CachedRow;
use crate::error::{Error, Result};
use rusqlite::types::ToSql;
use rusqlite::OptionalExtension;

/// Takes the next number of the named sequence (orders, invoices, receipts) in the
/// caller's transaction: a rollback gives the number back, so numbers are unique
/// and gapless (T26, T36). Numbers start at 1.
pub fn next_number(tx: &Tx<'_>, counter: &str) -> Result<i64> {
    if counter.is_empty() || counter.len() > 64 {
        return Err(Error::internal(format!("bad counter name {counter:?}")));
    }
    Ok(tx.execute_returning(
        "INSERT INTO counters (name, value) VALUES (?1, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1
         RETURNING value",
        [counter],
        |r| r.get(0),
    )?)
}

/// Checks that `table.column` holds exactly the numbers 1..=n handed out by
/// `counter` (unique by constraint, so count = max = counter means no gap).
/// Returns a description of the drift, if any, for `tillbook verify`.
/// `table`, `column` and `counter` are compile-time names, never user input.
pub fn gapless_drift(
    conn: &rusqlite::Connection,
    table: &str,
    column: &str,
    counter: &str,
) -> Result<Option<String>> {
    let (count, max): (i64, i64) = conn.cached_row(
        &format!("SELECT count(*), coalesce(max({column}), 0) FROM {table}"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let value: i64 = conn
        .cached_row(
            "SELECT value FROM counters WHERE name = ?1",
            [counter],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    Ok((count != max || value != max).then(|| {
        format!(
            "{table}.{column} is not gapless: {count} rows, highest number {max}, counter {counter} at {value}"
        )
    }))
}

/// A versioned table and the columns an update may set. Names are compile-time
/// constants, never user input, because they are spliced into SQL.
pub struct Versioned {
    pub table: &'static str,
    pub entity: &'static str,
}

impl Versioned {
    /// Sets `columns` on row `id` only if its version is still `expected_version`,
    /// and bumps the version. A stale version is `conflict` and writes nothing
    /// (T11); every versioned update goes through here (T25). Returns the new version.
    pub fn update(
        &self,
        tx: &Tx<'_>,
        id: i64,
        expected_version: i64,
        columns: &[(&'static str, &dyn ToSql)],
    ) -> Result<i64> {
        let mut sql = format!("UPDATE {} SET version = version + 1", self.table);
        for (i, (col, _)) in columns.iter().enumerate() {
            debug_assert!(col.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            sql.push_str(&format!(", {col} = ?{}", i + 3));
        }
        sql.push_str(" WHERE id = ?1 AND version = ?2 RETURNING version");
        let mut params: Vec<&dyn ToSql> = vec![&id, &expected_version];
        params.extend(columns.iter().map(|(_, v)| *v));
        let updated: Option<i64> = tx
            .execute_returning(&sql, params.as_slice(), |r| r.get(0))
            .optional()?;
        match updated {
            Some(v) => Ok(v),
            None => {
                let exists: bool = tx.conn().cached_row(
                    &format!("SELECT EXISTS (SELECT 1 FROM {} WHERE id = ?1)", self.table),
                    [id],
                    |r| r.get(0),
                )?;
                if exists {
                    Err(Error::Conflict {
                        entity: self.entity,
                        id: id.to_string(),
                        expected: expected_version,
                    })
                } else {
                    Err(Error::not_found(self.entity, id))
                }
            }
        }
    }

    /// Archives row `id` (sets `archived_at_ms`) against the caller's version:
    /// records are archived, never deleted (T22). `label` names the record in
    /// the message when it is already archived.
    pub fn archive(
        &self,
        tx: &Tx<'_>,
        id: i64,
        expected_version: i64,
        already_archived: bool,
        label: &str,
        now_ms: i64,
    ) -> Result<i64> {
        if already_archived {
            return Err(Error::StateConflict {
                message: format!("{} {label} is already archived", self.entity),
            });
        }
        self.update(
            tx,
            id,
            expected_version,
            &[("archived_at_ms", &now_ms), ("updated_at_ms", &now_ms)],
        )
    }
}
