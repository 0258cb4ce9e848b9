//! The shift and void checks of `tillbook verify` (reported as `shifts`).

use super::shifts::SHIFT_COUNTER;
use super::z_report::EXPECTED_CASH_SQL;
use crate::db::rows::gapless_drift;
use crate::error::Result;
use crate::ledger::codes;
use crate::shared::findings::Findings;
use rusqlite::Connection;

/// Shift and void checks for `tillbook verify`: each closed shift's stored
/// expected cash equal to what its rows say and its close entry equal to the
/// stored counts (and to its count by note and coin, when counted so); float and cash-move entries equal to their amounts; each void
/// reversing its order's entry and returning exactly the units the order took,
/// to the same batches; no voided order refunded; shift numbers gapless.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut found = Findings::new(conn, |what, id| format!("{what} (id {id})"));
    // Net debit of `account` on entry `entry` (an expression over e.id).
    let net = |entry: &str, account: &str| {
        format!(
            "coalesce((SELECT sum(l.debit_minor - l.credit_minor) FROM journal_lines l
                       JOIN accounts a ON a.id = l.account_id
                       WHERE l.entry_id = {entry} AND a.code = '{account}'), 0)"
        )
    };
    found.check(
        &format!(
            "SELECT s.id FROM shifts s WHERE s.status = 'closed'
               AND (s.expected_cash_minor IS NOT {EXPECTED_CASH_SQL}
                    OR s.over_short_minor IS NOT s.counted_cash_minor - s.expected_cash_minor)"
        ),
        "closed shift: expected cash or over/short stored at close differs from its rows",
    )?;
    // A blind close counted by note and coin: the rows come to the counted cash.
    found.check(
        "SELECT s.id FROM shifts s
         JOIN (SELECT shift_id, sum(denomination_minor * quantity) AS total
               FROM shift_close_counts GROUP BY shift_id) c ON c.shift_id = s.id
         WHERE s.status <> 'closed' OR c.total <> s.counted_cash_minor",
        "closed shift: its count by note and coin differs from the counted cash",
    )?;
    found.check(
        &format!(
            "SELECT s.id FROM shifts s LEFT JOIN journal_entries e ON e.id = s.close_entry_id
             WHERE s.status = 'closed' AND (
                   {} <> s.counted_cash_minor
                OR {} <> -s.expected_cash_minor
                OR {} <> -s.over_short_minor
                OR (e.id IS NULL) <> (s.counted_cash_minor = 0 AND s.expected_cash_minor = 0)
                OR (e.id IS NOT NULL AND (e.source_type <> 'shift_close' OR e.source_id <> s.id)))",
            net("s.close_entry_id", codes::CASH_SAFE),
            net("s.close_entry_id", codes::CASH),
            net("s.close_entry_id", codes::CASH_OVER_SHORT),
        ),
        "closed shift: close entry differs from the counted, expected and over/short cash",
    )?;
    found.check(
        &format!(
            "SELECT s.id FROM shifts s LEFT JOIN journal_entries e ON e.id = s.float_entry_id
             WHERE coalesce(e.total_minor, 0) <> s.opening_float_minor
                OR {} <> s.opening_float_minor
                OR (e.id IS NOT NULL AND (e.source_type <> 'shift' OR e.source_id <> s.id))",
            net("s.float_entry_id", codes::CASH),
        ),
        "shift: opening float differs from its journal entry",
    )?;
    found.check(
        &format!(
            "SELECT m.id FROM shift_cash_moves m LEFT JOIN journal_entries e ON e.id = m.entry_id
             WHERE e.id IS NULL OR e.total_minor <> m.amount_minor
                OR e.source_type <> 'shift_cash_move' OR e.source_id <> m.id
                OR {} <> CASE m.direction WHEN 'in' THEN m.amount_minor ELSE -m.amount_minor END",
            net("m.entry_id", codes::CASH),
        ),
        "cash move differs from its journal entry",
    )?;
    found.check(
        "SELECT v.id FROM order_voids v JOIN orders o ON o.id = v.order_id
         LEFT JOIN journal_entries e ON e.id = v.entry_id
         WHERE (e.id IS NULL) <> (o.entry_id IS NULL)
            OR (e.id IS NOT NULL AND (e.reverses_entry_id IS NOT o.entry_id
                OR e.source_type <> 'order_void' OR e.source_id <> v.id))",
        "void does not reverse its order's journal entry",
    )?;
    found.check(
        "SELECT v.id FROM order_voids v
         WHERE EXISTS (SELECT 1 FROM order_line_batches x JOIN order_lines l ON l.id = x.line_id
                       WHERE l.order_id = v.order_id AND NOT EXISTS (
                           SELECT 1 FROM order_void_batches vb
                           WHERE vb.void_id = v.id AND vb.order_line_batch_id = x.id
                             AND vb.batch_id = x.batch_id AND vb.quantity = x.quantity))
            OR EXISTS (SELECT 1 FROM order_void_batches vb
                       JOIN order_line_batches x ON x.id = vb.order_line_batch_id
                       JOIN order_lines l ON l.id = x.line_id
                       WHERE vb.void_id = v.id AND l.order_id <> v.order_id)",
        "void did not return exactly the units its order took",
    )?;
    found.check(
        "SELECT vb.void_id FROM order_void_batches vb
         LEFT JOIN stock_movements m ON m.id = vb.movement_id
         WHERE m.id IS NULL OR m.kind <> 'return' OR m.batch_id <> vb.batch_id
            OR m.quantity <> vb.quantity OR m.source_type IS NOT 'void'
            OR m.source_id IS NOT CAST(vb.void_id AS TEXT)",
        "void's return differs from its stock movement",
    )?;
    found.check(
        "SELECT m.id FROM stock_movements m WHERE m.source_type = 'void'
           AND NOT EXISTS (SELECT 1 FROM order_void_batches vb WHERE vb.movement_id = m.id)",
        "stock movement of a void belongs to no void",
    )?;
    found.check(
        "SELECT v.id FROM order_voids v
         WHERE NOT EXISTS (SELECT 1 FROM shift_orders so
                           WHERE so.order_id = v.order_id AND so.shift_id = v.shift_id)
            OR EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = v.order_id)",
        "void is outside its order's shift, or its order was refunded",
    )?;
    if let Some(p) = gapless_drift(conn, "shifts", "number", SHIFT_COUNTER)? {
        found.push(p);
    }
    Ok(found.into_problems())
}
