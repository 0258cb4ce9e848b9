//! The accounts checks of `tillbook verify`.

use super::{INVOICE_COUNTER, PAYMENT_COUNTER};
use crate::db::rows::gapless_drift;
use crate::db::CachedRow;
use crate::error::Result;
use rusqlite::Connection;

/// Checks for `tillbook verify`: each invoice equal to its orders' amounts and
/// each order amount equal to the order's on-account payments less the refunds
/// recorded before it; allocations within their invoice, their payment and
/// their customer; each payment equal to its journal entry; invoice and
/// receipt numbers gapless; and, per customer, the accounts receivable lines
/// balance equal to on-account sales (not voided) − refunds on account −
/// payments received.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let checks: [(&str, &str); 7] = [
        (
            "SELECT count(*) FROM invoices i WHERE
                i.total_minor <> (SELECT coalesce(sum(amount_minor), 0) FROM invoice_orders io WHERE io.invoice_id = i.id)
             OR i.order_count <> (SELECT count(*) FROM invoice_orders io WHERE io.invoice_id = i.id)",
            "invoice(s) differ from the sums of their orders",
        ),
        (
            "SELECT count(*) FROM invoice_orders io JOIN orders o ON o.id = io.order_id
             JOIN invoices i ON i.id = io.invoice_id WHERE
                o.customer_id IS NOT i.customer_id
             OR io.on_account_minor <> (SELECT coalesce(sum(amount_minor), 0) FROM payments p
                                        WHERE p.order_id = io.order_id AND p.tender = 'on_account')
             OR io.refunded_before_minor > (SELECT coalesce(sum(rp.amount_minor), 0) FROM refunds r
                                            JOIN refund_payments rp ON rp.refund_id = r.id
                                            WHERE r.order_id = io.order_id AND rp.tender = 'on_account')",
            "invoiced order(s) differ from the order's on-account payments or customer",
        ),
        (
            "SELECT count(*) FROM invoices i WHERE i.total_minor <
                (SELECT coalesce(sum(amount_minor), 0) FROM invoice_allocations a WHERE a.invoice_id = i.id)",
            "invoice(s) allocated beyond their total",
        ),
        (
            "SELECT count(*) FROM customer_payments p WHERE p.amount_minor <
                (SELECT coalesce(sum(amount_minor), 0) FROM invoice_allocations a WHERE a.payment_id = p.id)",
            "customer payment(s) allocated beyond their amount",
        ),
        (
            "SELECT count(*) FROM invoice_allocations a
             JOIN invoices i ON i.id = a.invoice_id JOIN customer_payments p ON p.id = a.payment_id
             WHERE i.customer_id <> p.customer_id",
            "allocation(s) cross customers",
        ),
        (
            "SELECT count(*) FROM customer_payments p LEFT JOIN journal_entries e ON e.id = p.entry_id
             WHERE e.id IS NULL OR e.total_minor <> p.amount_minor
                OR e.source_type <> 'customer_payment' OR e.source_id <> p.id
                OR p.amount_minor <> (SELECT coalesce(sum(l.credit_minor), 0) FROM journal_lines l
                                      JOIN accounts a ON a.id = l.account_id
                                      WHERE l.entry_id = e.id AND a.code = '1100'
                                        AND l.customer_id = p.customer_id)",
            "customer payment(s) differ from their journal entry",
        ),
        (
            "SELECT count(*) FROM invoice_orders io JOIN order_voids v ON v.order_id = io.order_id",
            "invoiced order(s) were voided afterwards (the invoice bills a sale that was undone)",
        ),
    ];
    for (sql, what) in checks {
        let n: i64 = conn.cached_row(sql, [], |r| r.get(0))?;
        if n > 0 {
            problems.push(format!("{n} {what}"));
        }
    }
    // Per customer: the ledger's AR lines against the documents behind them. A
    // void reverses its order's whole entry, so a voided sale counts for nothing.
    let mut st = conn.prepare_cached(
        "SELECT customer_id, sum(amount) FROM (
            SELECT l.customer_id, l.debit_minor - l.credit_minor AS amount
              FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
              JOIN accounts a ON a.id = l.account_id
             WHERE a.code = '1100' AND l.customer_id IS NOT NULL
            UNION ALL
            SELECT customer_id, -amount_minor FROM payments p
             WHERE tender = 'on_account'
               AND NOT EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = p.order_id)
            UNION ALL
            SELECT customer_id, amount_minor FROM refund_payments
             WHERE tender = 'on_account'
            UNION ALL
            SELECT customer_id, amount_minor FROM customer_payments
         ) GROUP BY customer_id HAVING sum(amount) <> 0 ORDER BY customer_id LIMIT 20",
    )?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (customer, diff) = row?;
        problems.push(format!(
            "customer {}: accounts receivable differs from on-account sales, refunds and payments by {diff}",
            customer.map_or_else(|| "(none)".to_string(), |c| c.to_string())
        ));
    }
    problems.extend(gapless_drift(conn, "invoices", "number", INVOICE_COUNTER)?);
    problems.extend(gapless_drift(
        conn,
        "customer_payments",
        "number",
        PAYMENT_COUNTER,
    )?);
    Ok(problems)
}
