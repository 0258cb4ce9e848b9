//! The append-only audit log. Each row's hash covers its content and the previous
//! row's hash, so a changed, removed or reordered row breaks the chain at a point
//! `tillbook verify` can name.

use crate::db::migrate::hex;
use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened to an attempted command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Refused,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// One audit entry before it is chained.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub at_ms: i64,
    pub user_id: Option<i64>,
    pub username: Option<&'a str>,
    pub command: &'a str,
    pub entity: Option<&'a str>,
    pub entity_id: Option<&'a str>,
    pub summary: &'a Value,
    pub outcome: Outcome,
    pub error_code: Option<&'a str>,
}

/// Appends `entry` in the caller's transaction, so it commits or rolls back with
/// the change it describes.
pub fn append(tx: &Tx<'_>, entry: &Entry<'_>) -> Result<i64> {
    append_approved(tx, entry, None)
}

/// Appends `entry`, naming the manager who approved it on the spot (T39):
/// `entry.user_id` stays the cashier who acted, `approved_by` is `(id, username)`.
pub fn append_approved(
    tx: &Tx<'_>,
    entry: &Entry<'_>,
    approved_by: Option<(i64, &str)>,
) -> Result<i64> {
    let prev: String = tx
        .conn()
        .cached_row(
            "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS_HASH.to_string());
    let summary = serde_json::to_string(entry.summary)?;
    let hash = chain_hash(
        &prev,
        entry.at_ms,
        entry.user_id,
        entry.username,
        entry.command,
        entry.entity,
        entry.entity_id,
        &summary,
        entry.outcome.as_str(),
        entry.error_code,
        approved_by,
    );
    Ok(tx.execute_returning(
        "INSERT INTO audit_log (at_ms, user_id, username, command, entity, entity_id,
                                summary, result, error_code, prev_hash, hash,
                                approved_by, approved_by_username)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id",
        rusqlite::params![
            entry.at_ms,
            entry.user_id,
            entry.username,
            entry.command,
            entry.entity,
            entry.entity_id,
            summary,
            entry.outcome.as_str(),
            entry.error_code,
            prev,
            hash,
            approved_by.map(|a| a.0),
            approved_by.map(|a| a.1)
        ],
        |r| r.get(0),
    )?)
}

#[allow(clippy::too_many_arguments)] // one argument per hashed column keeps the encoding explicit
fn chain_hash(
    prev: &str,
    at_ms: i64,
    user_id: Option<i64>,
    username: Option<&str>,
    command: &str,
    entity: Option<&str>,
    entity_id: Option<&str>,
    summary: &str,
    result: &str,
    error_code: Option<&str>,
    approved_by: Option<(i64, &str)>,
) -> String {
    // A JSON array is an unambiguous encoding: no field can bleed into the next.
    let mut canonical = serde_json::json!([
        prev, at_ms, user_id, username, command, entity, entity_id, summary, result, error_code
    ]);
    // The approver joins the hashed content only when there is one, so the
    // hashes of rows written before approvals existed stay as they were.
    if let (Some((id, name)), Some(items)) = (approved_by, canonical.as_array_mut()) {
        items.push(id.into());
        items.push(name.into());
    }
    hex(&Sha256::digest(canonical.to_string().as_bytes()))
}

/// The first place the chain is broken, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub id: i64,
    pub reason: String,
}

/// Walks the whole log in id order (streaming, constant memory) and reports the
/// first row whose hash or link does not match.
pub fn verify_chain(conn: &Connection) -> Result<Option<ChainBreak>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at_ms, user_id, username, command, entity, entity_id, summary,
                result, error_code, prev_hash, hash, approved_by, approved_by_username
         FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS_HASH.to_string();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let prev: String = r.get(10)?;
        let hash: String = r.get(11)?;
        if prev != expected_prev {
            return Ok(Some(ChainBreak {
                id,
                reason: "previous-hash link does not match the row before it".into(),
            }));
        }
        let recomputed = chain_hash(
            &prev,
            r.get(1)?,
            r.get(2)?,
            r.get::<_, Option<String>>(3)?.as_deref(),
            &r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?.as_deref(),
            r.get::<_, Option<String>>(6)?.as_deref(),
            &r.get::<_, String>(7)?,
            &r.get::<_, String>(8)?,
            r.get::<_, Option<String>>(9)?.as_deref(),
            match (
                r.get::<_, Option<i64>>(12)?,
                r.get::<_, Option<String>>(13)?,
            ) {
                (Some(id), Some(name)) => Some((id, name)),
                _ => None,
            }
            .as_ref()
            .map(|(id, name)| (*id, name.as_str())),
        );
        if recomputed != hash {
            return Ok(Some(ChainBreak {
                id,
                reason: "row content does not match its hash".into(),
            }));
        }
        expected_prev = hash;
    }
    Ok(None)
}

/// A row as `audit.list` returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub command: String,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    #[ts(type = "unknown")]
    pub summary: Value,
    pub result: Outcome,
    pub error_code: Option<String>,
    /// The manager who approved this one action on the spot (T39); `user_id`
    /// is still the cashier who did it.
    pub approved_by: Option<i64>,
    pub approved_by_username: Option<String>,
}

/// Filters for `audit.list`; all are applied in SQL (T27).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub user_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub command: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub entity: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub entity_id: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub result: Option<Outcome>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub from_ms: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub to_ms: Option<i64>,
    /// Keyset paging: rows with a smaller id than this (newest first).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

pub const AUDIT_PAGE_DEFAULT: u32 = 100;

impl AuditFilter {
    pub fn validate(&self) -> Result<()> {
        validate::page_limit(self.limit, validate::HISTORY_PAGE_MAX)?;
        for (field, v) in [
            ("command", &self.command),
            ("entity", &self.entity),
            ("entity_id", &self.entity_id),
        ] {
            if v.as_ref().is_some_and(|s| s.is_empty() || s.len() > 64) {
                return Err(Error::validation(field, "must be 1 to 64 characters"));
            }
        }
        if let (Some(a), Some(b)) = (self.from_ms, self.to_ms) {
            if a > b {
                return Err(Error::validation("from_ms", "must not be after to_ms"));
            }
        }
        Ok(())
    }
}

pub fn query(conn: &Connection, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    // Each filter is `?n IS NULL OR column = ?n`, so one prepared statement serves
    // every combination and nothing is filtered after loading.
    let mut stmt = conn.prepare_cached(
        "SELECT id, at_ms, user_id, username, command, entity, entity_id, summary, result, error_code,
                approved_by, approved_by_username
         FROM audit_log
         WHERE (?1 IS NULL OR user_id = ?1)
           AND (?2 IS NULL OR command = ?2)
           AND (?3 IS NULL OR entity = ?3)
           AND (?4 IS NULL OR entity_id = ?4)
           AND (?5 IS NULL OR result = ?5)
           AND (?6 IS NULL OR at_ms >= ?6)
           AND (?7 IS NULL OR at_ms <= ?7)
           AND (?8 IS NULL OR id < ?8)
         ORDER BY id DESC
         LIMIT ?9",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![
            f.user_id,
            f.command,
            f.entity,
            f.entity_id,
            f.result.map(Outcome::as_str),
            f.from_ms,
            f.to_ms,
            f.before_id,
            f.limit.unwrap_or(AUDIT_PAGE_DEFAULT)
        ],
        |r| {
            let summary: String = r.get(7)?;
            let result: String = r.get(8)?;
            Ok(AuditRow {
                id: r.get(0)?,
                at_ms: r.get(1)?,
                user_id: r.get(2)?,
                username: r.get(3)?,
                command: r.get(4)?,
                entity: r.get(5)?,
                entity_id: r.get(6)?,
                summary: serde_json::from_str(&summary).unwrap_or(Value::Null),
                result: match result.as_str() {
                    "ok" => Outcome::Ok,
                    "refused" => Outcome::Refused,
                    _ => Outcome::Failed,
                },
                error_code: r.get(9)?,
                approved_by: r.get(10)?,
                approved_by_username: r.get(11)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

impl Request for AuditFilter {
    fn validate(&self) -> Result<()> {
        AuditFilter::validate(self)
    }
}

/// `audit.list`
pub fn list(_ctx: &ReadCtx<'_>, conn: &Connection, req: &AuditFilter) -> Result<Vec<AuditRow>> {
    query(conn, req)
}
