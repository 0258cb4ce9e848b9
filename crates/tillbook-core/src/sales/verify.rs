//! The sales checks of `tillbook verify`.

use super::checkout::{ORDER_COUNTER, RECEIPT_COUNTER};
use crate::db::rows::gapless_drift;
use crate::db::CachedRow;
use crate::error::Result;
use rusqlite::Connection;

fn count(conn: &Connection, sql: &str) -> Result<i64> {
    Ok(conn.cached_row(sql, [], |r| r.get(0))?)
}

/// Sales checks for `tillbook verify`: every order equal to the sums of its
/// lines and payments, every line equal to its batches, every batch pick equal
/// to its `sale` movement, every order's journal entry equal to its total plus
/// its cost, and order and receipt numbers gapless up to their counters.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let checks: [(&str, &str); 5] = [
        (
            "SELECT count(*) FROM orders o WHERE
                o.line_count <> (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id)
             OR o.discount_minor <> (SELECT coalesce(sum(discount_minor), 0) FROM order_lines l WHERE l.order_id = o.id)
             OR o.net_minor <> (SELECT coalesce(sum(net_minor), 0) FROM order_lines l WHERE l.order_id = o.id)
             OR o.tax_minor <> (SELECT coalesce(sum(tax_minor), 0) FROM order_lines l WHERE l.order_id = o.id)
             OR o.total_minor <> (SELECT coalesce(sum(total_minor), 0) FROM order_lines l WHERE l.order_id = o.id)
             OR o.cost_minor <> (SELECT coalesce(sum(cost_minor), 0) FROM order_lines l WHERE l.order_id = o.id)",
            "order(s) differ from the sums of their lines",
        ),
        (
            "SELECT count(*) FROM orders o WHERE
                o.total_minor <> (SELECT coalesce(sum(amount_minor), 0) FROM payments p WHERE p.order_id = o.id)
             OR o.change_minor <> (SELECT coalesce(sum(change_minor), 0) FROM payments p WHERE p.order_id = o.id)",
            "order(s) differ from their payments",
        ),
        (
            // A tracked line's cost is its picks' unit cost (per kg) × quantity
            // (in g) summed, / 10^decimals rounded once (+ half, then floor, for
            // these non-negative sums: the rule of shared/money.rs); an untracked
            // line took no batches (its cost is the standard cost of the day).
            "SELECT count(*) FROM order_lines l WHERE
                (l.stock_tracked = 1 AND (
                    l.quantity <> (SELECT coalesce(sum(quantity), 0) FROM order_line_batches b WHERE b.line_id = l.id)
                 OR l.cost_minor <> (SELECT (coalesce(sum(quantity * unit_cost_minor), 0)
                                             + (CASE l.quantity_decimals WHEN 3 THEN 1000 WHEN 2 THEN 100 ELSE 1 END) / 2)
                                            / (CASE l.quantity_decimals WHEN 3 THEN 1000 WHEN 2 THEN 100 ELSE 1 END)
                                       FROM order_line_batches b WHERE b.line_id = l.id)))
             OR (l.stock_tracked = 0 AND EXISTS (SELECT 1 FROM order_line_batches b WHERE b.line_id = l.id))",
            "order line(s) differ from the batches they were taken from",
        ),
        (
            "SELECT count(*) FROM order_line_batches x
               JOIN order_lines l ON l.id = x.line_id
               JOIN batches b ON b.id = x.batch_id
               LEFT JOIN stock_movements m ON m.id = x.movement_id
             WHERE m.id IS NULL OR m.kind <> 'sale' OR m.batch_id <> x.batch_id
                OR m.quantity <> -x.quantity OR m.source_type IS NOT 'order'
                OR m.source_id IS NOT CAST(l.order_id AS TEXT)
                OR b.product_id <> l.product_id OR b.unit_cost_minor <> x.unit_cost_minor",
            "order batch pick(s) differ from their stock movement or batch",
        ),
        (
            "SELECT count(*) FROM orders o LEFT JOIN journal_entries e ON e.id = o.entry_id
             WHERE (o.entry_id IS NULL AND o.total_minor + o.cost_minor <> 0)
                OR (o.entry_id IS NOT NULL AND (e.id IS NULL
                    OR e.total_minor <> o.total_minor + o.cost_minor
                       + (SELECT coalesce(sum(discount_net_minor), 0) FROM order_lines l WHERE l.order_id = o.id)
                    OR e.source_type <> 'order' OR e.source_id <> o.id))",
            "order(s) differ from their journal entry",
        ),
    ];
    for (sql, what) in checks {
        let n = count(conn, sql)?;
        if n > 0 {
            problems.push(format!("{n} {what}"));
        }
    }
    let rewards = count(
        conn,
        "SELECT count(*) FROM orders o
          WHERE (SELECT coalesce(sum(reward_discount_minor), 0) FROM order_lines l WHERE l.order_id = o.id)
             <> (SELECT coalesce(sum(discount_minor), 0) FROM loyalty_redemptions r WHERE r.order_id = o.id)",
    )?;
    if rewards > 0 {
        problems.push(format!(
            "{rewards} order(s) differ from the loyalty rewards redeemed on them"
        ));
    }
    let orphans = count(
        conn,
        "SELECT count(*) FROM stock_movements m WHERE m.source_type = 'order'
           AND NOT EXISTS (SELECT 1 FROM order_line_batches x WHERE x.movement_id = m.id)",
    )?;
    if orphans > 0 {
        problems.push(format!(
            "{orphans} sale movement(s) belong to no order line"
        ));
    }
    for (column, counter) in [
        ("number", ORDER_COUNTER),
        ("receipt_number", RECEIPT_COUNTER),
    ] {
        problems.extend(gapless_drift(conn, "orders", column, counter)?);
    }
    Ok(problems)
}
