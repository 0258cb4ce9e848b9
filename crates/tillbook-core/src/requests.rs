//! Request shapes many commands share.

use crate::dispatch::Request;
use crate::error::Result;
use crate::validate;
use serde::{Deserialize, Serialize};

/// Keyset paging: `rows` were read newest first with `LIMIT limit + 1`; keeps
/// `limit` of them and says which id the next page starts before (none when
/// this is the last page).
pub fn keyset_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    id_of: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<i64>) {
    let limit = limit as usize;
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(&id_of);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// One record by id.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
#[serde(deny_unknown_fields)]
pub struct IdRequest {
    pub id: i64,
}

impl Request for IdRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)
    }
}

/// One record by id, at the version the caller read (archive and the like).
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
#[serde(deny_unknown_fields)]
pub struct IdVersionRequest {
    pub id: i64,
    pub version: i64,
}

impl Request for IdVersionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)
    }
}
