//! The push protocol (issue 14). The server's high-water mark (`shop_sync`) is
//! the truth: every session starts by reading it, and a session that failed is
//! followed by one that reads it again, which settles a COMMIT whose reply was
//! lost. Each batch is one MySQL transaction: a compare-and-set of the mark
//! that must touch exactly one row (a second pusher of the same shop loses it
//! and re-reads; no local lock is needed, D01), then one plain multi-row
//! INSERT whose affected count must equal the batch, then COMMIT. Never
//! `INSERT IGNORE` or `LOAD DATA LOCAL`: both turn errors into warnings.

use crate::client::{within, Limits};
use crate::error::{Class, SyncError};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Value};
use tillbook_core::db::Db;
use tillbook_core::records::outbox::{self, Event};
use tillbook_core::records::sync_state;

/// What one session did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pushed {
    pub sent: i64,
    pub batches: u32,
    pub acked_seq: i64,
}

/// Compare-and-set losses to another pusher before this session gives up.
const MAX_CAS_LOST: u32 = 5;

/// Reads the server's mark for `shop_id` and checks it against the local
/// history; the local cursor takes its value.
pub async fn handshake(
    conn: &mut Conn,
    db: &Db,
    target: &str,
    shop_id: &str,
    lim: &Limits,
) -> Result<(i64, Vec<u8>), SyncError> {
    let row: Option<(u64, Vec<u8>)> = within(
        "read the high-water mark",
        lim.statement,
        false,
        conn.exec_first(
            "SELECT acked_seq, acked_chain FROM shop_sync WHERE shop_id = ?",
            (shop_id,),
        ),
    )
    .await?;
    let Some((acked, chain)) = row else {
        return Err(SyncError::new(
            Class::Blocked,
            "shop_not_registered",
            "Head office has not set up a place for this shop yet. Ask head office to add it.",
        ));
    };
    let acked = i64::try_from(acked).unwrap_or(i64::MAX);
    let (last_id, _) = db.read(outbox::last).map_err(SyncError::local)?;
    if acked > last_id {
        return Err(SyncError::new(
            Class::Diverged,
            "diverged_shorter",
            format!(
                "Head office already has {acked} records from this shop, but this computer has only {last_id}. \
                 This shop file is older than what was sent (restored from a backup, or copied from another computer). \
                 Nothing more is sent until head office and the shop decide which history is right."
            ),
        ));
    }
    let local = db
        .read(|c| outbox::chain_at(c, acked))
        .map_err(SyncError::local)?;
    if local.as_deref() != Some(&chain[..]) {
        return Err(SyncError::new(
            Class::Diverged,
            "diverged_history",
            format!(
                "Head office's copy of this shop's first {acked} records differs from this computer's. \
                 This shop file may have been restored from a backup or copied from another computer. \
                 Nothing more is sent until head office and the shop decide which history is right."
            ),
        ));
    }
    db.write(|tx| sync_state::record_ack(tx, target, acked, &chain))
        .map_err(SyncError::local)?;
    Ok((acked, chain))
}

/// Pushes every local event after the server's mark, batch by batch.
pub async fn push_all(
    conn: &mut Conn,
    db: &Db,
    target: &str,
    shop_id: &str,
    lim: &Limits,
) -> Result<Pushed, SyncError> {
    let (mut acked, mut chain) = handshake(conn, db, target, shop_id, lim).await?;
    let mut out = Pushed {
        acked_seq: acked,
        ..Pushed::default()
    };
    let mut cas_lost = 0u32;
    loop {
        let batch = db
            .read(|c| outbox::batch_after(c, acked, lim.batch_rows, lim.batch_bytes))
            .map_err(SyncError::local)?;
        let Some(last) = batch.last() else {
            return Ok(out);
        };
        if let Some(gap) = batch
            .iter()
            .enumerate()
            .find(|(i, e)| e.id != acked + 1 + *i as i64)
        {
            return Err(SyncError::new(
                Class::Blocked,
                "local_gap",
                format!(
                    "This computer's records have a gap before number {}; nothing more is sent. Run the file check (tillbook verify).",
                    gap.1.id
                ),
            ));
        }
        let (last_id, last_chain) = (last.id, last.chain.clone());
        if !send_batch(conn, shop_id, acked, &chain, &batch, lim).await? {
            // Another pusher of this shop moved the mark: read it again.
            within(
                "rollback",
                lim.statement,
                false,
                conn.query_drop("ROLLBACK"),
            )
            .await?;
            cas_lost += 1;
            if cas_lost > MAX_CAS_LOST {
                return Err(SyncError::new(
                    Class::Retry,
                    "another_pusher",
                    "Another copy of Tillbook is sending this shop's records at the same time; this one will try again later.",
                ));
            }
            (acked, chain) = handshake(conn, db, target, shop_id, lim).await?;
            out.acked_seq = acked;
            continue;
        }
        acked = last_id;
        chain = last_chain;
        // A crash before this write is repaired by the next handshake.
        db.write(|tx| sync_state::record_ack(tx, target, acked, &chain))
            .map_err(SyncError::local)?;
        out.sent += batch.len() as i64;
        out.batches += 1;
        out.acked_seq = acked;
    }
}

/// One batch as one transaction. `Ok(false)`: the compare-and-set touched no
/// row (the caller rolls back and re-reads the mark).
async fn send_batch(
    conn: &mut Conn,
    shop_id: &str,
    acked: i64,
    prev_chain: &[u8],
    batch: &[Event],
    lim: &Limits,
) -> Result<bool, SyncError> {
    let (last_id, last_chain) = match batch.last() {
        Some(e) => (e.id, e.chain.clone()),
        None => return Ok(true),
    };
    within(
        "start transaction",
        lim.statement,
        false,
        conn.query_drop("START TRANSACTION"),
    )
    .await?;
    within(
        "move the high-water mark",
        lim.statement,
        false,
        conn.exec_drop(
            "UPDATE shop_sync SET acked_seq = ?, acked_chain = ? \
             WHERE shop_id = ? AND acked_seq = ? AND acked_chain = ?",
            (last_id, last_chain, shop_id, acked, prev_chain.to_vec()),
        ),
    )
    .await?;
    if conn.affected_rows() != 1 {
        return Ok(false);
    }
    let mut sql = String::from(
        "INSERT INTO shop_event (shop_id, seq, kind, entity, entity_id, payload, created_at_ms, chain) VALUES ",
    );
    let mut params: Vec<Value> = Vec::with_capacity(batch.len() * 8);
    for (i, e) in batch.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?)");
        params.extend([
            Value::from(shop_id),
            Value::from(e.id),
            Value::from(e.kind.as_str()),
            Value::from(e.entity.as_deref()),
            Value::from(e.entity_id.as_deref()),
            Value::from(e.payload.as_str()),
            Value::from(e.created_at_ms),
            Value::from(e.chain.clone()),
        ]);
    }
    within(
        "insert the batch",
        lim.statement,
        false,
        conn.exec_drop(sql, Params::Positional(params)),
    )
    .await?;
    if conn.affected_rows() != batch.len() as u64 {
        let _ = within(
            "rollback",
            lim.statement,
            false,
            conn.query_drop("ROLLBACK"),
        )
        .await;
        return Err(SyncError::new(
            Class::Blocked,
            "server_rejected",
            "Head office stored fewer records than were sent, so the batch was undone. Ask head office to check its database.",
        ));
    }
    // An I/O error here leaves the outcome unknown: the next handshake reads
    // the mark and settles it, never assumes.
    within("commit", lim.statement, false, conn.query_drop("COMMIT")).await?;
    Ok(true)
}
