//! The outbox's hash chain: each event's link covers its content and the link
//! before it, so the shop and head office can agree on "the same history" by
//! comparing one 32-byte value at a sequence number (a shop restored from an
//! older backup, or a file copied to a second laptop, has a different chain at
//! the server's high-water mark). It lives here, below the domain, because
//! migration 0025 computes the links of the rows that existed before it, and
//! migrations are SQL run by this crate: the writer connection gets the same
//! function as `tillbook_outbox_chain(...)`, so there is one encoding only.

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

/// The link "before the first event".
pub const GENESIS: [u8; 32] = [0; 32];

/// One event's content, as hashed.
#[derive(Clone, Copy, Debug)]
pub struct Link<'a> {
    pub id: i64,
    pub kind: &'a str,
    pub entity: Option<&'a str>,
    pub entity_id: Option<&'a str>,
    pub payload: &'a str,
    pub created_at_ms: i64,
}

/// sha256(prev ‖ id ‖ kind ‖ entity ‖ entity_id ‖ payload ‖ created_at_ms), with
/// integers as 8 big-endian bytes and each text as a presence byte plus its
/// length, so no field can bleed into the next.
pub fn link(prev: &[u8], e: &Link<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(e.id.to_be_bytes());
    for text in [Some(e.kind), e.entity, e.entity_id, Some(e.payload)] {
        match text {
            None => h.update([0u8]),
            Some(t) => {
                h.update([1u8]);
                h.update((t.len() as u64).to_be_bytes());
                h.update(t.as_bytes());
            }
        }
    }
    h.update(e.created_at_ms.to_be_bytes());
    h.finalize().into()
}

/// Makes `tillbook_outbox_chain(prev, id, kind, entity, entity_id, payload,
/// created_at_ms)` callable on `conn` (the writer, before migrations run).
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "tillbook_outbox_chain",
        7,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let prev: Vec<u8> = ctx.get(0)?;
            let kind: String = ctx.get(2)?;
            let entity: Option<String> = ctx.get(3)?;
            let entity_id: Option<String> = ctx.get(4)?;
            let payload: String = ctx.get(5)?;
            Ok(link(
                &prev,
                &Link {
                    id: ctx.get(1)?,
                    kind: &kind,
                    entity: entity.as_deref(),
                    entity_id: entity_id.as_deref(),
                    payload: &payload,
                    created_at_ms: ctx.get(6)?,
                },
            )
            .to_vec())
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::disallowed_methods)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_function_and_the_rust_link_agree() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let sql: Vec<u8> = conn
            .query_row(
                "SELECT tillbook_outbox_chain(zeroblob(32), 7, 'sale.confirmed', 'order', NULL, '{\"a\":1}', 99)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let rust = link(
            &GENESIS,
            &Link {
                id: 7,
                kind: "sale.confirmed",
                entity: Some("order"),
                entity_id: None,
                payload: "{\"a\":1}",
                created_at_ms: 99,
            },
        );
        assert_eq!(sql, rust.to_vec());
        // A field's bytes moved into its neighbour give another link.
        let moved = link(
            &GENESIS,
            &Link {
                id: 7,
                kind: "sale.confirmedorder",
                entity: Some(""),
                entity_id: None,
                payload: "{\"a\":1}",
                created_at_ms: 99,
            },
        );
        assert_ne!(moved, rust);
    }
}
