//! The sync outbox: every business event, written in the same transaction as the
//! change it reports, waiting for the sync module to push it to head office.
//!
//! An event's id is its sequence number at head office: ids are dense (each
//! row takes the last id + 1 inside `BEGIN IMMEDIATE`, so id order is commit
//! order) and each row carries a hash-chain link over its content and the
//! link before it (`db::outbox_chain`), so the shop and the server can agree on
//! "the same history" by comparing one link. Rows never change (triggers of
//! migration 0025); a cursor per target says how far each head office got.

use crate::db::outbox_chain::{self, Link, GENESIS};
use crate::db::{CachedRow, Tx};
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;

pub fn emit(
    tx: &Tx<'_>,
    kind: &str,
    entity: &str,
    entity_id: &str,
    payload: &Value,
    now_ms: i64,
) -> Result<i64> {
    // One indexed read for the previous link, as the audit chain does.
    let (last_id, prev) = last(tx.conn())?;
    let id = last_id + 1;
    let payload = payload.to_string();
    let chain = outbox_chain::link(
        &prev,
        &Link {
            id,
            kind,
            entity: Some(entity),
            entity_id: Some(entity_id),
            payload: &payload,
            created_at_ms: now_ms,
        },
    );
    Ok(tx.execute_returning(
        "INSERT INTO outbox (id, kind, entity, entity_id, payload, created_at_ms, chain)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        rusqlite::params![id, kind, entity, entity_id, payload, now_ms, chain.to_vec()],
        |r| r.get(0),
    )?)
}

/// The last event's id and link (0 and the genesis link when there is none).
pub fn last(conn: &Connection) -> Result<(i64, Vec<u8>)> {
    Ok(conn
        .cached_row(
            "SELECT id, chain FROM outbox ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, GENESIS.to_vec())))
}

/// The link at `id` (the genesis link at 0); `None` when there is no such event.
pub fn chain_at(conn: &Connection, id: i64) -> Result<Option<Vec<u8>>> {
    if id == 0 {
        return Ok(Some(GENESIS.to_vec()));
    }
    Ok(conn
        .cached_row("SELECT chain FROM outbox WHERE id = ?1", [id], |r| r.get(0))
        .optional()?)
}

/// Age of the oldest event after `id`: what "waiting since" is measured from.
pub fn created_after(conn: &Connection, id: i64) -> Result<Option<i64>> {
    Ok(conn
        .cached_row(
            "SELECT created_at_ms FROM outbox WHERE id > ?1 ORDER BY id LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?)
}

/// One event as it is pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub payload: String,
    pub created_at_ms: i64,
    pub chain: Vec<u8>,
}

impl Event {
    /// Bytes the event takes in a batch (its texts), for the batch size cap.
    pub fn size_bytes(&self) -> usize {
        self.kind.len()
            + self.entity.as_ref().map_or(0, String::len)
            + self.entity_id.as_ref().map_or(0, String::len)
            + self.payload.len()
            + 64
    }
}

/// The events after `after_id` in id order: at most `max_rows`, and no more
/// than `max_bytes` in total (always at least one, however big).
pub fn batch_after(
    conn: &Connection,
    after_id: i64,
    max_rows: usize,
    max_bytes: usize,
) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, entity, entity_id, payload, created_at_ms, chain
         FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut rows = stmt.query(rusqlite::params![after_id, max_rows as i64])?;
    let mut out = Vec::new();
    let mut bytes = 0usize;
    while let Some(r) = rows.next()? {
        let e = Event {
            id: r.get(0)?,
            kind: r.get(1)?,
            entity: r.get(2)?,
            entity_id: r.get(3)?,
            payload: r.get(4)?,
            created_at_ms: r.get(5)?,
            chain: r.get(6)?,
        };
        bytes += e.size_bytes();
        if !out.is_empty() && bytes > max_bytes {
            break;
        }
        out.push(e);
    }
    Ok(out)
}

/// Where the outbox is not one dense, correctly linked chain from id 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    pub id: i64,
    pub reason: &'static str,
}

/// Walks every event in id order (streaming) and names the first one whose id
/// or link is not what the events before it say.
pub fn verify_chain(conn: &Connection) -> Result<Option<ChainBreak>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, entity, entity_id, payload, created_at_ms, chain FROM outbox ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_vec();
    let mut expected_id = 1i64;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if id != expected_id {
            return Ok(Some(ChainBreak {
                id,
                reason: "an event is missing before this one",
            }));
        }
        let kind: String = r.get(1)?;
        let entity: Option<String> = r.get(2)?;
        let entity_id: Option<String> = r.get(3)?;
        let payload: String = r.get(4)?;
        let chain: Option<Vec<u8>> = r.get(6)?;
        let link = outbox_chain::link(
            &prev,
            &Link {
                id,
                kind: &kind,
                entity: entity.as_deref(),
                entity_id: entity_id.as_deref(),
                payload: &payload,
                created_at_ms: r.get(5)?,
            },
        );
        if chain.as_deref() != Some(&link[..]) {
            return Ok(Some(ChainBreak {
                id,
                reason: "the event's content does not match its chain link",
            }));
        }
        prev = link.to_vec();
        expected_id += 1;
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Every string literal that follows one of `markers` in the Rust files under `dir`.
    fn literals_after(dir: &Path, markers: &[&str], out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                literals_after(&path, markers, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                // This test's own markers are not events.
                && !path.ends_with("records/outbox.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in markers {
                    for (at, _) in text.match_indices(marker) {
                        let rest = text[at + marker.len()..].trim_start();
                        if let Some(lit) = rest.strip_prefix('"') {
                            if let Some(end) = lit.find('"') {
                                out.insert(lit[..end].to_string());
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn events_md_documents_every_kind() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut emitted = BTreeSet::new();
        // Kinds are `&'static str`: literals at the call or in a party's table.
        literals_after(&root.join("src"), &[".emit(", "_event:"], &mut emitted);
        let doc = std::fs::read_to_string(root.join("../../docs/EVENTS.md")).unwrap();
        let documented: BTreeSet<String> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_string)
            .collect();
        assert!(emitted.len() > 60, "the scan found only {emitted:?}");
        let missing: Vec<_> = emitted.difference(&documented).collect();
        assert!(missing.is_empty(), "docs/EVENTS.md lacks {missing:?}");
        let unknown: Vec<_> = documented.difference(&emitted).collect();
        assert!(
            unknown.is_empty(),
            "docs/EVENTS.md lists unknown {unknown:?}"
        );
    }
}
