//! What a drift check for `tillbook verify` found: each check is a query that
//! selects the ids of the rows that disagree with what they should be.

use crate::error::Result;
use rusqlite::Connection;

/// Bound on the rows listed per check; the first few say enough to start.
pub const MAX_LISTED_PER_CHECK: usize = 20;

/// Problems found so far, each described in the module's own words.
pub struct Findings<'c> {
    conn: &'c Connection,
    describe: fn(&str, i64) -> String,
    problems: Vec<String>,
}

impl<'c> Findings<'c> {
    /// `describe` turns a check's wording and an offending row's id into one line.
    pub fn new(conn: &'c Connection, describe: fn(&str, i64) -> String) -> Self {
        Findings {
            conn,
            describe,
            problems: Vec::new(),
        }
    }

    /// Runs `sql` (it selects offending ids) and records up to
    /// [`MAX_LISTED_PER_CHECK`] of them as `what`.
    pub fn check(&mut self, sql: &str, what: &str) -> Result<()> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(sql)?
            .query_map([], |r| r.get(0))?
            .take(MAX_LISTED_PER_CHECK)
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            self.problems.push((self.describe)(what, id));
        }
        Ok(())
    }

    /// A problem found some other way than by a query of ids.
    pub fn push(&mut self, problem: String) {
        self.problems.push(problem);
    }

    pub fn into_problems(self) -> Vec<String> {
        self.problems
    }
}
