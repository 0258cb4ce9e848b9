//! Lot codes and expiry dates on receipt, for both ways stock comes in
//! (`stock.receive` and `purchasing.receive`), so the counter asks the same
//! questions everywhere.
//!
//! - **A lot code is optional.** When none is given one is
//!   generated: the receipt's date and a running number for that product on
//!   that day, `2026-12-04-1`, `2026-12-04-2`. The date, not the receipt
//!   number, because opening stock has no receipt, because a date is what
//!   people read off a shelf or a label ("the lot from the 4th"), and because
//!   it sorts by age. The running number is the first one free for the
//!   product, so generated codes are unique per product even next to codes
//!   someone typed. The date is the UTC day (the shop's time zone is not a
//!   setting yet).
//! - **Expiry is asked only where the product tracks it** (`track_expiry`),
//!   and there it is required: a dated product received without a date would
//!   be picked last (FEFO puts undated batches after dated ones) and never
//!   show as expiring, which is almost always a slip at the counter, not a
//!   choice. For other products the screens do not ask; a date that still
//!   comes (an import, the CLI) is kept as given rather than refused or
//!   dropped: it only makes picking first-expiry-first more exact, products
//!   with dated and undated batches are part of the stock model (FEFO, then
//!   FIFO), and dropping a typed date silently would lose what someone knew.

use crate::catalog::ProductView;
use crate::db::CachedRow;
use crate::error::{Error, Result};
use crate::shared::{calendar, validate};
use rusqlite::Connection;

/// The most running numbers tried for one product and day before giving up
/// (a day with this many lots of one product is not a counter's day).
const GENERATED_PER_DAY_MAX: i64 = 10_000;

/// The lot code as given (`None`: left out, one is generated).
pub fn given_lot(lot_code: Option<&str>) -> Option<&str> {
    lot_code
}

/// Checks a lot code a person typed (absent is fine: one is generated; an
/// empty one is refused like any empty text, so the UI sends none instead).
pub fn check_lot(field: &str, lot_code: Option<&str>) -> Result<()> {
    match given_lot(lot_code) {
        Some(l) => validate::text(field, l, 1, 64),
        None => Ok(()),
    }
}

/// The lot code to store: the one given, or the first free `YYYY-MM-DD-N` of
/// `product_id` on the day of `now_ms` — free in the batches table and not in
/// `claimed` (codes earlier lines of the same receipt will take for it).
pub fn lot_code_for(
    conn: &Connection,
    product_id: i64,
    given: Option<&str>,
    now_ms: i64,
    claimed: &[String],
) -> Result<String> {
    if let Some(l) = given_lot(given) {
        return Ok(l.to_string());
    }
    let day = calendar::date_of_ms(now_ms);
    // Start after the lots of the day already there; step over any taken code.
    let already: i64 = conn.cached_row(
        "SELECT count(*) FROM batches WHERE product_id = ?1 AND substr(lot_code, 1, 11) = ?2 || '-'",
        rusqlite::params![product_id, day],
        |r| r.get(0),
    )?;
    for n in (already + 1)..=(already + GENERATED_PER_DAY_MAX) {
        let code = format!("{day}-{n}");
        if claimed.contains(&code) {
            continue;
        }
        let taken: bool = conn.cached_row(
            "SELECT EXISTS (SELECT 1 FROM batches WHERE product_id = ?1 AND lot_code = ?2)",
            rusqlite::params![product_id, code],
            |r| r.get(0),
        )?;
        if !taken {
            return Ok(code);
        }
    }
    Err(Error::validation(
        "lot_code",
        "too many lots of this product today; type a lot code",
    ))
}

/// Expiry against the product's switch: required where it tracks expiry
/// (see the module documentation).
pub fn check_expiry_for(
    product: &ProductView,
    field: &str,
    expires_on: Option<&str>,
) -> Result<()> {
    if product.track_expiry && expires_on.is_none() {
        return Err(Error::validation(
            field,
            format!(
                "enter the expiry date: {} is set to track expiry dates",
                product.name
            ),
        ));
    }
    Ok(())
}

/// Where a received line's fields are, for errors naming them.
pub struct Fields<'a> {
    pub product: &'a str,
    pub expiry: &'a str,
}

/// The product (active), its expiry checked, and the lot code to store
/// (`claimed`: see [`lot_code_for`]).
pub fn prepare_receipt(
    conn: &Connection,
    product_id: i64,
    fields: &Fields<'_>,
    lot_code: Option<&str>,
    expires_on: Option<&str>,
    now_ms: i64,
    claimed: &[String],
) -> Result<(ProductView, String)> {
    let (product_field, expiry_field) = (fields.product, fields.expiry);
    let product = crate::catalog::require_active(conn, product_id).map_err(|e| match e {
        Error::NotFound { .. } => Error::validation(product_field, "no such product"),
        other => other,
    })?;
    check_expiry_for(&product, expiry_field, expires_on)?;
    let lot = lot_code_for(conn, product_id, lot_code, now_ms, claimed)?;
    Ok((product, lot))
}
