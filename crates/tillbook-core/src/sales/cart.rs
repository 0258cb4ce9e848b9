//! A cart as the till sends it, and the checks every request carrying one
//! makes (quote, checkout, hold): its limits, its lines, a claimed reward's
//! customer, and the permission a discount needs.

use crate::catalog::MAX_AMOUNT_MINOR;
use crate::error::{Error, Result};
use crate::shared::access::Permission;
use crate::shared::validate;
use serde::{Deserialize, Serialize};

/// The most lines one cart may have.
pub const MAX_LINES: usize = 200;
/// The most units of one line.
pub const MAX_LINE_QUANTITY: i64 = 1_000_000;
/// The largest order total, discount or payment (10^12 minor units).
pub const MAX_ORDER_MINOR: i64 = MAX_AMOUNT_MINOR;

/// One line of a cart, as the till sends it.
#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesCartLine")]
#[serde(deny_unknown_fields)]
pub struct CartLine {
    pub product_id: i64,
    pub quantity: i64,
    /// An amount off this line (in the shop's price terms: tax-inclusive when
    /// prices include tax). At most the line's gross. 0 when omitted.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub discount_minor: i64,
}

/// A claimed reward needs the customer who claimed it.
pub fn check_claim(claim_id: Option<i64>, customer_id: Option<i64>) -> Result<()> {
    if let Some(c) = claim_id {
        validate::id("loyalty_claim_id", c)?;
        if customer_id.is_none() {
            return Err(Error::validation(
                "loyalty_claim_id",
                "a reward needs the customer who claimed it",
            ));
        }
    }
    Ok(())
}

/// The cart's customer id, its number of lines, and each line's product id,
/// quantity and discount, within the limits above.
pub fn check_cart(customer_id: Option<i64>, lines: &[CartLine]) -> Result<()> {
    if let Some(c) = customer_id {
        validate::id("customer_id", c)?;
    }
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(Error::validation(
            "lines",
            format!("must have 1 to {MAX_LINES} lines, got {}", lines.len()),
        ));
    }
    for (i, l) in lines.iter().enumerate() {
        validate::id(&format!("lines[{i}].product_id"), l.product_id)?;
        if !(1..=MAX_LINE_QUANTITY).contains(&l.quantity) {
            return Err(Error::validation(
                format!("lines[{i}].quantity"),
                format!("must be 1 to {MAX_LINE_QUANTITY}, got {}", l.quantity),
            ));
        }
        if !(0..=MAX_ORDER_MINOR).contains(&l.discount_minor) {
            return Err(Error::validation(
                format!("lines[{i}].discount_minor"),
                format!(
                    "must be 0 to {MAX_ORDER_MINOR} minor units, got {}",
                    l.discount_minor
                ),
            ));
        }
    }
    Ok(())
}

/// A line with a discount needs `sales.discount`; the dispatcher checks it.
pub fn discount_needs(lines: &[CartLine]) -> Vec<Permission> {
    if lines.iter().any(|l| l.discount_minor > 0) {
        vec![Permission::SalesDiscount]
    } else {
        Vec::new()
    }
}
