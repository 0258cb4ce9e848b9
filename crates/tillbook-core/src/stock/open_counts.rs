//! `stock.open_counts`: the counts still open, so "continue a count" is a
//! choice from a list rather than a number to remember.

use crate::error::Result;
use crate::shared::handler::{NoArgs, ReadCtx};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// The most open counts the list shows; a shop has one or two open at a time,
/// and older ones are still reachable by posting or finishing them.
pub const OPEN_COUNTS_MAX: u32 = 50;

/// An open count as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct OpenCountView {
    pub id: i64,
    pub number: i64,
    pub note: String,
    pub opened_at_ms: i64,
    /// Who opened it, by display name (None if that user is gone).
    pub opened_by_name: Option<String>,
    /// How many batches have been counted so far.
    pub lines_counted: i64,
}

/// `stock.open_counts`: newest first, at most [`OPEN_COUNTS_MAX`].
pub fn open_counts(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    _req: &NoArgs,
) -> Result<Vec<OpenCountView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.number, c.note, c.opened_at_ms, u.display_name,
                (SELECT count(*) FROM stock_count_lines l WHERE l.count_id = c.id)
         FROM stock_counts c
         LEFT JOIN users u ON u.id = c.opened_by
         WHERE c.status = 'open'
         ORDER BY c.id DESC
         LIMIT ?1",
    )?;
    let rows = stmt.query_map([OPEN_COUNTS_MAX], |r| {
        Ok(OpenCountView {
            id: r.get(0)?,
            number: r.get(1)?,
            note: r.get(2)?,
            opened_at_ms: r.get(3)?,
            opened_by_name: r.get(4)?,
            lines_counted: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
