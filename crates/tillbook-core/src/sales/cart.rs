//! A cart as the till sends it, and the checks every request carrying one
//! makes (quote, checkout, hold): its limits, its lines, a claimed reward's
//! customer, and the permission a discount needs.
//!
//! A discount is sent as what the cashier asked for — an amount, a percentage
//! or a preset, on a line or on the whole basket — and a price override as the
//! new unit price with a reason; the core works out every amount (T20).
//! Presets need `sales.discount_preset` (a cashier holds it), any other
//! discount `sales.discount`, an override `sales.price_override`, so a cashier
//! without them is refused with an approvable `forbidden` (T39).

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
    /// A percentage off this line, in basis points (1000 = 10 %), instead of an amount.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub discount_percent_bp: Option<i64>,
    /// A line preset the owner defined (`discounts.presets`), instead of an amount.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub discount_preset_id: Option<i64>,
    /// A new unit price for this line, replacing the catalogue's and its rules.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub price_override_minor: Option<i64>,
    /// Why the price was overridden (needed with `price_override_minor`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub price_override_reason: Option<String>,
}

/// A discount on the whole basket: exactly one of a percentage, an amount, or
/// a basket preset. Spread over the lines by [`crate::shared::money::Money::allocate`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct BasketDiscount {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub percent_bp: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub amount_minor: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub preset_id: Option<i64>,
}

/// The longest reason a price override may give.
pub const MAX_REASON_CHARS: usize = 200;
/// 100 % in basis points.
pub const FULL_PERCENT_BP: i64 = 10_000;

fn check_percent(field: &str, bp: i64) -> Result<()> {
    if !(1..=FULL_PERCENT_BP).contains(&bp) {
        return Err(Error::validation(
            field,
            format!("must be 1 to {FULL_PERCENT_BP} basis points (0.01 % to 100 %), got {bp}"),
        ));
    }
    Ok(())
}

/// A basket discount is exactly one of its three kinds, within the limits.
pub fn check_basket(b: Option<&BasketDiscount>) -> Result<()> {
    let Some(b) = b else {
        return Ok(());
    };
    let kinds = usize::from(b.percent_bp.is_some())
        + usize::from(b.amount_minor.is_some())
        + usize::from(b.preset_id.is_some());
    if kinds != 1 {
        return Err(Error::validation(
            "basket_discount",
            "give one of percent_bp, amount_minor or preset_id",
        ));
    }
    if let Some(bp) = b.percent_bp {
        check_percent("basket_discount.percent_bp", bp)?;
    }
    if let Some(a) = b.amount_minor {
        if !(1..=MAX_ORDER_MINOR).contains(&a) {
            return Err(Error::validation(
                "basket_discount.amount_minor",
                format!("must be 1 to {MAX_ORDER_MINOR} minor units, got {a}"),
            ));
        }
    }
    if let Some(id) = b.preset_id {
        validate::id("basket_discount.preset_id", id)?;
    }
    Ok(())
}

/// Line `i`'s discount is one kind at most, and an override has its reason.
fn check_line_discount(i: usize, l: &CartLine) -> Result<()> {
    let kinds = usize::from(l.discount_minor > 0)
        + usize::from(l.discount_percent_bp.is_some())
        + usize::from(l.discount_preset_id.is_some());
    if kinds > 1 {
        return Err(Error::validation(
            format!("lines[{i}].discount_minor"),
            "give one discount per line: an amount, a percentage or a preset",
        ));
    }
    if let Some(bp) = l.discount_percent_bp {
        check_percent(&format!("lines[{i}].discount_percent_bp"), bp)?;
    }
    if let Some(id) = l.discount_preset_id {
        validate::id(&format!("lines[{i}].discount_preset_id"), id)?;
    }
    match (l.price_override_minor, &l.price_override_reason) {
        (None, None) => Ok(()),
        (Some(p), Some(reason)) => {
            if !(0..=MAX_ORDER_MINOR).contains(&p) {
                return Err(Error::validation(
                    format!("lines[{i}].price_override_minor"),
                    format!("must be 0 to {MAX_ORDER_MINOR} minor units, got {p}"),
                ));
            }
            validate::text(
                &format!("lines[{i}].price_override_reason"),
                reason,
                1,
                MAX_REASON_CHARS,
            )
        }
        (Some(_), None) => Err(Error::validation(
            format!("lines[{i}].price_override_reason"),
            "say why the price is overridden",
        )),
        (None, Some(_)) => Err(Error::validation(
            format!("lines[{i}].price_override_minor"),
            "a reason needs the new price",
        )),
    }
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
        check_line_discount(i, l)?;
    }
    Ok(())
}

/// What a cart's discounts and overrides need; the dispatcher checks it: a
/// preset `sales.discount_preset`, any other discount `sales.discount`, a
/// price override `sales.price_override`.
pub fn discount_needs(lines: &[CartLine], basket: Option<&BasketDiscount>) -> Vec<Permission> {
    let mut needs = Vec::new();
    let mut need = |p: Permission| {
        if !needs.contains(&p) {
            needs.push(p);
        }
    };
    for l in lines {
        if l.discount_minor > 0 || l.discount_percent_bp.is_some() {
            need(Permission::SalesDiscount);
        }
        if l.discount_preset_id.is_some() {
            need(Permission::SalesDiscountPreset);
        }
        if l.price_override_minor.is_some() {
            need(Permission::SalesPriceOverride);
        }
    }
    if let Some(b) = basket {
        if b.preset_id.is_some() {
            need(Permission::SalesDiscountPreset);
        } else {
            need(Permission::SalesDiscount);
        }
    }
    needs
}
