//! The oracle, shipped as `tillbook sync verify`: head office holds exactly
//! this shop's history, once. On the server `COUNT = MAX(seq) = acked_seq =`
//! the local last event id and `MIN(seq) = 1`; row by row the chain link and
//! the payload's SHA-256 equal the local ones.

use crate::client::{within, Limits};
use crate::error::SyncError;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tillbook_core::db::migrate::hex;
use tillbook_core::db::Db;
use tillbook_core::records::outbox;

/// Rows compared per round trip (memory stays flat however long the history).
const PAGE_ROWS: usize = 2000;
/// Problems listed at most.
const MAX_PROBLEMS: usize = 20;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub server_count: i64,
    pub server_min_seq: i64,
    pub server_max_seq: i64,
    pub server_acked_seq: i64,
    pub local_last_id: i64,
    pub rows_compared: i64,
    pub problems: Vec<String>,
}

impl Report {
    pub fn is_exact(&self) -> bool {
        self.problems.is_empty()
    }
}

pub async fn verify(
    conn: &mut Conn,
    db: &Db,
    shop_id: &str,
    lim: &Limits,
) -> Result<Report, SyncError> {
    let (count, min, max): (i64, i64, i64) = within(
        "count events",
        lim.statement,
        false,
        conn.exec_first(
            "SELECT COUNT(*), CAST(COALESCE(MIN(seq), 0) AS SIGNED), CAST(COALESCE(MAX(seq), 0) AS SIGNED) \
             FROM shop_event WHERE shop_id = ?",
            (shop_id,),
        ),
    )
    .await?
    .unwrap_or((0, 0, 0));
    let acked: Option<i64> = within(
        "read the high-water mark",
        lim.statement,
        false,
        conn.exec_first(
            "SELECT CAST(acked_seq AS SIGNED) FROM shop_sync WHERE shop_id = ?",
            (shop_id,),
        ),
    )
    .await?;
    let (local_last, _) = db.read(outbox::last).map_err(SyncError::local)?;
    let mut r = Report {
        server_count: count,
        server_min_seq: min,
        server_max_seq: max,
        server_acked_seq: acked.unwrap_or(0),
        local_last_id: local_last,
        ..Report::default()
    };
    if acked.is_none() {
        r.problems
            .push("head office has no high-water mark for this shop".into());
    }
    if !(count == max && max == r.server_acked_seq && r.server_acked_seq == local_last) {
        r.problems.push(format!(
            "counts differ: head office has {count} events (highest {max}, acknowledged {}), this shop has {local_last}",
            r.server_acked_seq
        ));
    }
    if count > 0 && min != 1 {
        r.problems
            .push(format!("head office's first event is {min}, not 1"));
    }
    compare_rows(conn, db, shop_id, lim, &mut r).await?;
    Ok(r)
}

async fn compare_rows(
    conn: &mut Conn,
    db: &Db,
    shop_id: &str,
    lim: &Limits,
    r: &mut Report,
) -> Result<(), SyncError> {
    let mut after = 0i64;
    loop {
        let server: Vec<(i64, Vec<u8>, String)> = within(
            "read events",
            lim.statement,
            false,
            conn.exec(
                "SELECT CAST(seq AS SIGNED), chain, SHA2(payload, 256) FROM shop_event \
                 WHERE shop_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (shop_id, after, PAGE_ROWS as u64),
            ),
        )
        .await?;
        if server.is_empty() {
            return Ok(());
        }
        let local = db
            .read(|c| outbox::batch_after(c, after, server.len(), usize::MAX))
            .map_err(SyncError::local)?;
        for (i, (seq, chain, payload_sha)) in server.iter().enumerate() {
            r.rows_compared += 1;
            let problem = match local.get(i) {
                None => Some(format!("event {seq} is at head office but not here")),
                Some(l) if l.id != *seq => Some(format!(
                    "head office has event {seq} where this shop has {}",
                    l.id
                )),
                Some(l) if l.chain != *chain => {
                    Some(format!("event {seq}: the chain link differs"))
                }
                Some(l) if hex(&Sha256::digest(l.payload.as_bytes())) != *payload_sha => {
                    Some(format!("event {seq}: the payload differs"))
                }
                Some(_) => None,
            };
            if let Some(p) = problem {
                if r.problems.len() < MAX_PROBLEMS {
                    r.problems.push(p);
                }
            }
            after = *seq;
        }
    }
}
