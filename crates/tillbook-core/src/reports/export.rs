//! The streaming CSV export of order lines (T33): one row at a time from the
//! query cursor, whatever the range holds.

use super::sales::{check_range, MAX_RANGE_DAYS};
use crate::error::{Error, Result};
use crate::shared::calendar::utc_timestamp;
use rusqlite::Connection;
use std::io::Write;

/// The export's first line.
pub const SALES_CSV_HEADER: &str = "order_number,receipt_number,created_at,created_at_ms,\
cashier_id,customer_id,line_no,product_id,sku,product_name,quantity,unit,unit_price_minor,\
gross_minor,discount_minor,net_minor,tax_minor,total_minor,cost_minor";

/// One CSV field: quoted when it holds a separator, quote or line break; a
/// leading `= + - @` (a spreadsheet formula) is defused with a `'`.
fn csv_text(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Writes the order lines of the sales in `[from_ms, to_ms)` (voided sales
/// left out) to `out` as CSV
/// (header first, oldest sale first), one row at a time straight from the
/// query cursor: memory stays the same whatever the number of lines. Pass a
/// buffered writer. Returns the number of lines written (without the header).
pub fn export_sales_csv<W: Write>(
    conn: &Connection,
    from_ms: i64,
    to_ms: i64,
    out: &mut W,
) -> Result<u64> {
    check_range(from_ms, to_ms, MAX_RANGE_DAYS)?;
    let io = |e: std::io::Error| Error::internal(format!("writing the sales export: {e}"));
    writeln!(out, "{SALES_CSV_HEADER}").map_err(io)?;
    // Walks `orders_created` in order and each order's lines by their unique
    // (order_id, line_no) index: no sort, so nothing is gathered before output.
    let mut st = conn.prepare_cached(
        "SELECT o.number, o.receipt_number, o.created_at_ms, o.cashier_id, o.customer_id,
                l.line_no, l.product_id, p.sku, p.name, l.quantity, l.unit_price_minor,
                l.gross_minor, l.discount_minor, l.net_minor, l.tax_minor, l.total_minor,
                l.cost_minor, p.unit, l.quantity_decimals
         FROM orders o JOIN order_lines l ON l.order_id = o.id
              JOIN products p ON p.id = l.product_id
         WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2
           AND NOT EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = o.id)
         ORDER BY o.created_at_ms, o.id, l.line_no",
    )?;
    let mut rows = st.query(rusqlite::params![from_ms, to_ms])?;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let at: i64 = r.get(2)?;
        let customer: Option<i64> = r.get(4)?;
        let sku: String = r.get(7)?;
        let name: String = r.get(8)?;
        let mut nums = [0i64; 8];
        for (i, v) in nums.iter_mut().enumerate() {
            *v = r.get(9 + i)?;
        }
        let unit: String = r.get(17)?;
        let decimals: u32 = r.get(18)?;
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            utc_timestamp(at),
            at,
            r.get::<_, i64>(3)?,
            customer.map(|c| c.to_string()).unwrap_or_default(),
            r.get::<_, i64>(5)?,
            r.get::<_, i64>(6)?,
            csv_text(&sku),
            csv_text(&name),
            decimal_quantity(nums[0], decimals),
            unit,
            nums[1],
            nums[2],
            nums[3],
            nums[4],
            nums[5],
            nums[6],
            nums[7]
        )
        .map_err(io)?;
        n += 1;
    }
    out.flush().map_err(io)?;
    Ok(n)
}

/// A quantity in its unit for a spreadsheet: `0.350` (kg) from 350 (g), `2` from 2.
fn decimal_quantity(quantity: i64, decimals: u32) -> String {
    if decimals == 0 {
        return quantity.to_string();
    }
    rust_decimal::Decimal::new(quantity, decimals).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_written_in_their_unit() {
        assert_eq!(decimal_quantity(350, 3), "0.350");
        assert_eq!(decimal_quantity(1_250, 3), "1.250");
        assert_eq!(decimal_quantity(150, 2), "1.50");
        assert_eq!(decimal_quantity(7, 0), "7");
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_text("-1,2"), "\"'-1,2\"");
    }
}
