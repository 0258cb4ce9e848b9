//! The points ledger: balances, movements appended on the chain, their journal entries.

use crate::db::{CachedRow, Tx};
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::ledger;
use crate::ledger::{JournalEntry, Line, Party};
use crate::loyalty::config::{load_config, ConfigView};
use crate::loyalty::{liability, DAY_MS, LOYALTY_EXPENSE};
use rusqlite::{Connection, OptionalExtension};

pub(super) fn exists(conn: &Connection, sql: &str, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The id the next row of `table` will get; safe inside `BEGIN IMMEDIATE`.
/// `table` is a compile-time name.
pub(super) fn next_id(conn: &Connection, table: &str) -> Result<i64> {
    Ok(conn.cached_row(
        &format!("SELECT coalesce(max(id), 0) + 1 FROM {table}"),
        [],
        |r| r.get(0),
    )?)
}

/// A customer's points: the sum of their movements.
pub fn balance(conn: &Connection, customer_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(sum(points), 0) FROM loyalty_movements WHERE customer_id = ?1",
        )?
        .query_row([customer_id], |r| r.get(0))?)
}

/// Posts the money side of movements: one 2300 line per customer (credit
/// when points were added, debit when taken away) against 6100 for the net.
pub(super) fn post_points(
    tx: &Tx<'_>,
    parts: &[(i64, i64)],
    memo: &str,
    source_type: &'static str,
    source_id: i64,
    user_id: i64,
    now: i64,
) -> Result<i64> {
    let mut lines = Vec::with_capacity(parts.len() + 1);
    let mut net: i64 = 0;
    for (customer, value) in parts {
        let party = Some(Party::Customer(*customer));
        if *value > 0 {
            lines.push(Line::credit(liability(), *value, party));
        } else if *value < 0 {
            lines.push(Line::debit(liability(), -value, party));
        }
        net = net
            .checked_add(*value)
            .ok_or_else(|| Error::internal("loyalty value overflow"))?;
    }
    if net > 0 {
        lines.push(Line::debit(LOYALTY_EXPENSE, net, None));
    } else if net < 0 {
        lines.push(Line::credit(LOYALTY_EXPENSE, -net, None));
    }
    ledger::post(
        tx,
        &JournalEntry {
            posted_at_ms: now,
            memo: &truncate(memo, 200),
            source_type,
            source_id,
            user_id,
            reverses_entry_id: None,
            lines,
        },
    )
}

pub(super) fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// One movement to append.
#[derive(Default)]
pub(super) struct NewMovement<'a> {
    pub(super) customer_id: i64,
    pub(super) kind: &'static str,
    pub(super) points: i64,
    pub(super) expires_at_ms: Option<i64>,
    pub(super) order_id: Option<i64>,
    pub(super) refund_id: Option<i64>,
    pub(super) void_id: Option<i64>,
    pub(super) claim_id: Option<i64>,
    pub(super) expiry_run_id: Option<i64>,
    pub(super) bulk_id: Option<i64>,
    pub(super) reason: Option<&'a str>,
}

/// Appends `m` with id `id` (taken by the caller with [`next_id`] so the
/// journal entry can name it), after the customer's last movement. Returns
/// the balance after it. Refuses a movement that would take the balance
/// below zero (the schema refuses it again).
pub(super) fn append(
    tx: &Tx<'_>,
    id: i64,
    m: &NewMovement<'_>,
    point_value_minor: i64,
    entry_id: i64,
    user_id: i64,
    now: i64,
) -> Result<i64> {
    let (seq, bal): (i64, i64) = tx
        .conn()
        .prepare_cached(
            "SELECT seq, balance_after FROM loyalty_movements
             WHERE customer_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([m.customer_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    let after = bal + m.points;
    if after < 0 {
        return Err(Error::StateConflict {
            message: format!(
                "customer {} has {bal} points; {} cannot be taken",
                m.customer_id, -m.points
            ),
        });
    }
    tx.execute(
        "INSERT INTO loyalty_movements (id, customer_id, seq, kind, points, balance_after,
                 point_value_minor, value_minor, expires_at_ms, order_id, refund_id, claim_id,
                 expiry_run_id, bulk_id, reason, entry_id, user_id, created_at_ms, void_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        rusqlite::params![
            id,
            m.customer_id,
            seq + 1,
            m.kind,
            m.points,
            after,
            point_value_minor,
            m.points * point_value_minor,
            m.expires_at_ms,
            m.order_id,
            m.refund_id,
            m.claim_id,
            m.expiry_run_id,
            m.bulk_id,
            m.reason,
            entry_id,
            user_id,
            now,
            m.void_id
        ],
    )
    .on_constraint(ConstraintKind::Unique, || Error::StateConflict {
        message: format!(
            "customer {}'s points changed meanwhile; try again",
            m.customer_id
        ),
    })?;
    Ok(after)
}

/// Appends one movement with its own journal entry; returns (movement id, balance after).
pub(super) fn move_points(
    tx: &Tx<'_>,
    m: &NewMovement<'_>,
    memo: &str,
    user_id: i64,
    now: i64,
) -> Result<(i64, i64)> {
    let conn = tx.conn();
    let value = load_config(conn)?.point_value_minor;
    let id = next_id(conn, "loyalty_movements")?;
    let amount = m
        .points
        .checked_mul(value)
        .ok_or_else(|| Error::internal("loyalty value overflow"))?;
    let entry_id = post_points(
        tx,
        &[(m.customer_id, amount)],
        memo,
        "loyalty_movement",
        id,
        user_id,
        now,
    )?;
    let after = append(tx, id, m, value, entry_id, user_id, now)?;
    Ok((id, after))
}

pub(super) fn expires_at(cfg: &ConfigView, now: i64) -> Option<i64> {
    cfg.expiry_days.map(|d| now + d * DAY_MS)
}

/// `round-down(a × b / c)` in 128 bits; callers keep the result in range.
pub(super) fn mul_div(a: i64, b: i64, c: i64) -> i64 {
    if c == 0 {
        return 0;
    }
    ((a as i128 * b as i128) / c as i128) as i64
}
