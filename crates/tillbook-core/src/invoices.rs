//! Invoices for account sales, customer payments and their allocation, AR aging.
//! (Being built: issue 5.)

use crate::error::Result;
use rusqlite::Connection;

/// Checks for `tillbook verify`.
pub fn drift(_conn: &Connection) -> Result<Vec<String>> {
    Ok(Vec::new())
}
