//! What `tillbook verify` recomputes.

use crate::db::CachedRow;
use crate::error::Result;
use crate::ledger;
use crate::loyalty::config::load_config;
use crate::loyalty::liability;
use crate::shared::findings::Findings;
use rusqlite::Connection;

/// Checks for `tillbook verify`: every customer's movement chain against the
/// sum of their points, the loyalty liability against outstanding points ×
/// the point value (in total and per customer), and each claim, earn, refund
/// reversal and expiry run against its movements.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut found = Findings::new(conn, |what, id| format!("{what} {id}"));
    found.check(
        "SELECT id FROM (
           SELECT id, seq, balance_after,
                  sum(points) OVER (PARTITION BY customer_id ORDER BY seq) AS running,
                  row_number() OVER (PARTITION BY customer_id ORDER BY seq) AS n
           FROM loyalty_movements)
         WHERE running <> balance_after OR n <> seq OR running < 0",
        "points movement breaks its customer's running balance:",
    )?;
    found.check(
        "SELECT m.id FROM loyalty_movements m
         WHERE m.kind = 'earn' AND m.points <> (SELECT coalesce(sum(points), 0)
                                                FROM loyalty_earn_lines WHERE movement_id = m.id)",
        "earn movement differs from its order lines:",
    )?;
    found.check(
        "SELECT c.id FROM loyalty_claims c JOIN loyalty_movements m ON m.id = c.movement_id
         WHERE m.kind <> 'redeem' OR m.points <> -c.points OR m.customer_id <> c.customer_id",
        "claim differs from its movement:",
    )?;
    found.check(
        "SELECT m.id FROM loyalty_movements m
         WHERE m.kind = 'redeem' AND NOT EXISTS (SELECT 1 FROM loyalty_claims c WHERE c.movement_id = m.id)",
        "redeem movement without a claim:",
    )?;
    found.check(
        "SELECT r.id FROM loyalty_reversals r
         LEFT JOIN loyalty_movements m ON m.id = r.movement_id
         WHERE coalesce(-m.points, 0) <> r.points_taken
            OR (m.id IS NOT NULL AND (m.kind <> 'reverse' OR m.refund_id IS NOT r.refund_id
                                      OR m.void_id IS NOT r.void_id))",
        "points reversal (refund or void) differs from its movement:",
    )?;
    found.check(
        "SELECT e.id FROM loyalty_expiry_runs e
         WHERE e.points <> -(SELECT coalesce(sum(points), 0) FROM loyalty_movements WHERE expiry_run_id = e.id)
            OR e.customers <> (SELECT count(*) FROM loyalty_movements WHERE expiry_run_id = e.id)",
        "expiry run differs from its movements:",
    )?;
    found.check(
        "SELECT b.id FROM loyalty_bulk_adds b
         WHERE b.customers <> (SELECT count(*) FROM loyalty_movements WHERE bulk_id = b.id)
            OR b.customers * b.points_each <> (SELECT coalesce(sum(points), 0) FROM loyalty_movements WHERE bulk_id = b.id)",
        "bulk addition differs from its movements:",
    )?;
    let value = load_config(conn)?.point_value_minor;
    let outstanding: i64 = conn.cached_row(
        "SELECT coalesce(sum(points), 0) FROM loyalty_movements",
        [],
        |r| r.get(0),
    )?;
    let ledger_total = ledger::account_balance(conn, liability())?;
    if ledger_total != outstanding * value {
        found.push(format!(
            "loyalty liability is {ledger_total} in the ledger but {outstanding} outstanding points × {value} = {}",
            outstanding * value
        ));
    }
    let per_customer: Vec<i64> = conn
        .prepare_cached(
            "WITH pts AS (SELECT customer_id, sum(points) AS p FROM loyalty_movements GROUP BY customer_id),
                  led AS (SELECT l.customer_id, sum(l.credit_minor) - sum(l.debit_minor) AS v
                          FROM journal_lines l JOIN accounts a ON a.id = l.account_id
                          WHERE a.code = ?1 GROUP BY l.customer_id)
             SELECT coalesce(pts.customer_id, led.customer_id, 0) FROM pts FULL OUTER JOIN led
                    ON led.customer_id IS pts.customer_id
             WHERE coalesce(pts.p, 0) * ?2 <> coalesce(led.v, 0) LIMIT 20",
        )?
        .query_map(rusqlite::params![liability(), value], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for c in per_customer {
        found.push(format!(
            "customer {c}'s loyalty liability differs from their points × {value}"
        ));
    }
    Ok(found.into_problems())
}
