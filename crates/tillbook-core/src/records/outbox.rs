//! The sync outbox: every business event, written in the same transaction as the
//! change it reports, waiting for the sync module to push it to head office.

use crate::db::Tx;
use crate::error::Result;
use serde_json::Value;

pub fn emit(
    tx: &Tx<'_>,
    kind: &str,
    entity: &str,
    entity_id: &str,
    payload: &Value,
    now_ms: i64,
) -> Result<i64> {
    Ok(tx.execute_returning(
        "INSERT INTO outbox (kind, entity, entity_id, payload, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        rusqlite::params![kind, entity, entity_id, payload.to_string(), now_ms],
        |r| r.get(0),
    )?)
}
