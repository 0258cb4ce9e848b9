//! Pricing a cart: `sales.quote`, and the same computation checkout repeats
//! inside its transaction.
//!
//! # Totals (T20, T12)
//!
//! The core computes every amount from the cart's lines; a request has no
//! field for a total, tax or net amount, and unknown fields are refused. For
//! each line:
//!
//! - `unit_price_minor` comes from [`pricing::price_for`] (customer price,
//!   promotion, quantity break, category percent, list price);
//! - a price override (`price_override_minor`, with a reason) replaces that
//!   unit price and every rule;
//! - `gross_minor = unit_price_minor × quantity`, and the line's own discount
//!   is taken off it: `discount_minor` (an amount, at most the gross), or
//!   `discount_percent_bp` of the gross, or a line preset
//!   (`discounts::preset_amount`), each rounded once;
//! - a basket discount (a percentage of, or an amount off, what the lines come
//!   to after their own discounts, or a basket preset) is worked out once on
//!   that sum and spread over the lines in proportion to it by the one
//!   allocation rule ([`Money::allocate`], largest remainder), so the lines'
//!   shares (`basket_discount_minor`) sum exactly to the basket's;
//! - tax is computed **per line** at the product's tax class rate, rounded once
//!   to the minor unit **half away from zero** (the one rule of [`crate::shared::money`]):
//!   - prices exclude tax (`settings.prices_include_tax = false`):
//!     `net = gross − discount`, `tax = round(net × rate)`, `total = net + tax`;
//!   - prices include tax: `total = gross − discount`,
//!     `tax = round(total × rate / (1 + rate))`, `net = total − tax`.
//!
//! The order's net, tax, discount and total are exact sums of its lines.

use super::cart::{
    check_basket, check_cart, check_claim, BasketDiscount, CartLine, MAX_ORDER_MINOR,
};
use super::discounts::{self, DiscountScope};
use crate::catalog::pricing::{self, RuleApplied};
use crate::catalog::{self, SaleProduct, Unit};
use crate::error::{Error, Result};
use crate::identity::setup::load_shop;
use crate::loyalty::{self, ClaimGrant, Grant};
use crate::parties::customers;
use crate::shared::access::Permission;
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::money::{Currency, Money, MoneyError};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesQuoteRequest")]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub customer_id: Option<i64>,
    pub lines: Vec<CartLine>,
    /// A claimed loyalty reward to apply (the customer's; see `loyalty.claim`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub loyalty_claim_id: Option<i64>,
    /// A discount on the whole basket, spread over the lines.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub basket_discount: Option<BasketDiscount>,
}

impl Request for QuoteRequest {
    fn validate(&self) -> Result<()> {
        check_cart(self.customer_id, &self.lines)?;
        check_basket(self.basket_discount.as_ref())?;
        check_claim(self.loyalty_claim_id, self.customer_id)
    }

    /// A quote is a preview that writes nothing: a discount or override the
    /// cashier's role lacks is shown priced, and the permission (or a
    /// manager's approval, T39) is asked for where it takes effect — when the
    /// sale is confirmed (`sales.checkout`) or parked (`sales.hold`).
    fn needs(&self) -> Vec<Permission> {
        Vec::new()
    }
}

/// A computed cart line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesQuoteLine")]
pub struct QuoteLine {
    pub line_no: i64,
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub list_price_minor: i64,
    pub unit_price_minor: i64,
    pub gross_minor: i64,
    pub discount_minor: i64,
    /// The part of `discount_minor` that a loyalty reward gave.
    pub reward_discount_minor: i64,
    /// The part of `discount_minor` that is this line's share of the basket discount.
    pub basket_discount_minor: i64,
    /// Why the unit price was overridden, when it was.
    pub price_override_reason: Option<String>,
    /// The discount without its tax: what is debited to Discounts (4100).
    pub discount_net_minor: i64,
    pub tax_rate_bp: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    #[ts(type = "{ id: number, kind: string } | null")]
    pub rule_applied: Option<RuleApplied>,
    /// The product's unit; `quantity` is in its smallest part (g for kg) and
    /// `unit_price_minor` is per unit (per kg).
    pub unit: Unit,
    /// Decimals of the quantity (3 for kg: 350 is 0.350 kg).
    pub quantity_decimals: u32,
    /// Whether the line takes stock; untracked lines never run short.
    pub track_stock: bool,
    /// Stock free to sell of this product now (on hand less live
    /// reservations), in the smallest part; `null` when not tracked. The till
    /// shows "Only 2 left" from it and refuses more at once.
    pub available_quantity: Option<i64>,
    /// COGS per unit of an untracked line; checkout's business, not the till's.
    #[serde(skip)]
    #[ts(skip)]
    pub standard_cost_minor: Option<i64>,
}

/// A computed cart: its lines and totals (exact sums of the lines).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesCartQuote")]
pub struct CartQuote {
    pub customer_id: Option<i64>,
    pub prices_include_tax: bool,
    /// The loyalty claim applied, and what it took off (included in the discounts).
    pub loyalty_claim_id: Option<i64>,
    pub reward_discount_minor: i64,
    /// What the basket discount took off (the sum of the lines' shares;
    /// included in `discount_minor`).
    pub basket_discount_minor: i64,
    pub lines: Vec<QuoteLine>,
    pub discount_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

impl CartQuote {
    /// Adds a line and its amounts to the totals, each of which stays at most
    /// [`MAX_ORDER_MINOR`].
    fn push(&mut self, line: QuoteLine) -> Result<()> {
        let sum = |acc: i64, v: i64| -> Result<i64> {
            acc.checked_add(v)
                .filter(|t| *t <= MAX_ORDER_MINOR)
                .ok_or_else(|| {
                    Error::validation(
                        "lines",
                        format!("the order total must be at most {MAX_ORDER_MINOR} minor units"),
                    )
                })
        };
        self.discount_minor = sum(self.discount_minor, line.discount_minor)?;
        self.reward_discount_minor = sum(self.reward_discount_minor, line.reward_discount_minor)?;
        self.basket_discount_minor = sum(self.basket_discount_minor, line.basket_discount_minor)?;
        self.net_minor = sum(self.net_minor, line.net_minor)?;
        self.tax_minor = sum(self.tax_minor, line.tax_minor)?;
        self.total_minor = sum(self.total_minor, line.total_minor)?;
        self.lines.push(line);
        Ok(())
    }
}

/// The shop's currency, from the shop row as setup wrote it.
fn shop_currency(conn: &Connection) -> Result<Currency> {
    let shop = load_shop(conn)?.ok_or_else(|| Error::internal("the shop is not set up"))?;
    Currency::new(&shop.currency_code, shop.currency_scale)
        .map_err(|e| Error::internal(e.to_string()))
}

/// `(net, tax)` of a line whose amount after discount is `amount_minor`, at
/// `rate_bp` basis points, rounded once, half away from zero (see the module docs).
pub fn line_tax(
    amount_minor: i64,
    rate_bp: i64,
    prices_include_tax: bool,
    currency: &Currency,
) -> Result<(i64, i64)> {
    let rate = Decimal::new(rate_bp, 2); // percent
    let amount = Money::from_minor(amount_minor);
    let too_big = |e: MoneyError| Error::validation("lines", e.to_string());
    if prices_include_tax {
        let tax = amount.tax_included_part(rate, currency).map_err(too_big)?;
        Ok((amount_minor - tax.minor(), tax.minor()))
    } else {
        let tax = amount.percent_of(rate, currency).map_err(too_big)?;
        Ok((amount_minor, tax.minor()))
    }
}

fn require_customer(conn: &Connection, id: i64) -> Result<()> {
    match customers::get_customer(conn, id) {
        Ok(c) if c.archived => Err(Error::validation(
            "customer_id",
            format!("customer {id} is archived"),
        )),
        Ok(_) => Ok(()),
        Err(Error::NotFound { .. }) => Err(Error::validation(
            "customer_id",
            format!("no customer {id}"),
        )),
        Err(e) => Err(e),
    }
}

/// A cart line with its product and price: what the reward and the tax are
/// worked out from.
struct Priced {
    product: SaleProduct,
    price: pricing::Quote,
    /// `unit_price_minor × quantity`, before any discount.
    gross: i64,
    /// Free stock of a tracked product.
    available: Option<i64>,
    /// The line's own discount (amount, percentage or preset), at most `gross`.
    own: i64,
    /// The line's share of the basket discount, at most `gross − own`.
    basket: i64,
}

/// Computes a cart: prices, discounts, tax per line and the totals.
pub fn compute(
    conn: &Connection,
    customer_id: Option<i64>,
    lines: &[CartLine],
    basket: Option<&BasketDiscount>,
    prices_include_tax: bool,
    now_ms: i64,
    reward: Option<&ClaimGrant>,
) -> Result<CartQuote> {
    check_cart(customer_id, lines)?;
    check_basket(basket)?;
    if let Some(c) = customer_id {
        require_customer(conn, c)?;
    }
    let currency = shop_currency(conn)?;
    let mut priced = lines
        .iter()
        .enumerate()
        .map(|(i, l)| price_line(conn, i, l, customer_id, now_ms, &currency))
        .collect::<Result<Vec<_>>>()?;
    spread_basket(conn, &mut priced, basket, &currency)?;
    let rewards = reward_discounts(&priced, reward, &currency)?;
    let mut quote = CartQuote {
        customer_id,
        prices_include_tax,
        loyalty_claim_id: reward.map(|r| r.claim_id),
        reward_discount_minor: 0,
        basket_discount_minor: 0,
        lines: Vec::with_capacity(lines.len()),
        discount_minor: 0,
        net_minor: 0,
        tax_minor: 0,
        total_minor: 0,
    };
    for (i, (p, l)) in priced.into_iter().zip(lines).enumerate() {
        let reward_discount = rewards.get(i).copied().unwrap_or(0);
        quote.push(quote_line(
            i,
            p,
            l,
            reward_discount,
            prices_include_tax,
            &currency,
        )?)?;
    }
    Ok(quote)
}

/// The basket discount worked out once on what the lines come to after their
/// own discounts, and spread over them in proportion by [`Money::allocate`]
/// (the one allocation rule), so the shares sum exactly to it.
fn spread_basket(
    conn: &Connection,
    priced: &mut [Priced],
    basket: Option<&BasketDiscount>,
    currency: &Currency,
) -> Result<()> {
    let Some(b) = basket else {
        return Ok(());
    };
    let bases: Vec<i64> = priced.iter().map(|p| p.gross - p.own).collect();
    let base_total: i64 = bases.iter().sum(); // ≤ 200 × 10^12
    let amount = match (b.percent_bp, b.amount_minor, b.preset_id) {
        (Some(bp), _, _) => discounts::percent_amount(base_total, bp, currency)?,
        (None, Some(a), _) => a.min(base_total),
        (None, None, Some(id)) => {
            let preset = discounts::preset_for_cart(
                conn,
                id,
                DiscountScope::Basket,
                "basket_discount.preset_id",
            )?;
            discounts::preset_amount(&preset, base_total, currency)?
        }
        (None, None, None) => 0,
    };
    if amount <= 0 {
        return Ok(());
    }
    let weights: Vec<u64> = bases.iter().map(|b| (*b).max(0).unsigned_abs()).collect();
    let shares = Money::from_minor(amount)
        .allocate(&weights)
        .map_err(|e| Error::validation("basket_discount", e.to_string()))?;
    for (p, share) in priced.iter_mut().zip(shares) {
        p.basket = share.minor();
    }
    Ok(())
}

/// Line `i`'s own discount: an amount, a percentage of its gross, or a line
/// preset, each at most the gross.
fn own_discount(
    conn: &Connection,
    i: usize,
    l: &CartLine,
    gross: i64,
    currency: &Currency,
) -> Result<i64> {
    if let Some(bp) = l.discount_percent_bp {
        return discounts::percent_amount(gross, bp, currency);
    }
    if let Some(id) = l.discount_preset_id {
        let field = format!("lines[{i}].discount_preset_id");
        let preset = discounts::preset_for_cart(conn, id, DiscountScope::Line, &field)?;
        return discounts::preset_amount(&preset, gross, currency);
    }
    if l.discount_minor > gross {
        return Err(Error::validation(
            format!("lines[{i}].discount_minor"),
            format!(
                "a discount of {} is more than the line's {gross}",
                l.discount_minor
            ),
        ));
    }
    Ok(l.discount_minor)
}

/// Line `i`'s product (on sale, not archived), its price for this customer
/// and quantity (or the override), its gross, and its own discount.
fn price_line(
    conn: &Connection,
    i: usize,
    l: &CartLine,
    customer_id: Option<i64>,
    now_ms: i64,
    currency: &Currency,
) -> Result<Priced> {
    let field = |f: &str| format!("lines[{i}].{f}");
    let product = match catalog::for_sale(conn, l.product_id, now_ms) {
        Ok(p) => p,
        Err(Error::NotFound { .. }) => {
            return Err(Error::validation(
                field("product_id"),
                format!("no product {}", l.product_id),
            ))
        }
        Err(e) => return Err(e),
    };
    if product.archived {
        return Err(Error::validation(
            field("product_id"),
            format!("product {} ({}) is archived", product.id, product.sku),
        ));
    }
    let price = pricing::price_with(
        conn,
        product.id,
        product.price_minor,
        &product.category,
        customer_id,
        l.quantity,
        product.unit.decimals(),
        now_ms,
    )
    .map_err(|e| match e {
        Error::Validation { message, .. } => Error::validation(field("quantity"), message),
        other => other,
    })?;
    let mut price = price;
    if let Some(unit) = l.price_override_minor {
        // The override replaces the price and every rule that made it.
        price.unit_price_minor = unit;
        price.rule_applied = None;
        price.line_total_minor = unit.checked_mul(l.quantity).ok_or_else(|| {
            Error::validation(field("price_override_minor"), "the line total is too large")
        })?;
    }
    let gross = price.line_total_minor;
    if gross > MAX_ORDER_MINOR {
        return Err(Error::validation(
            field("quantity"),
            format!("the line comes to {gross}, over {MAX_ORDER_MINOR} minor units"),
        ));
    }
    let own = own_discount(conn, i, l, gross, currency)?;
    let available = if product.track_stock {
        Some(crate::stock::free_quantity(conn, product.id, now_ms)?)
    } else {
        None
    };
    Ok(Priced {
        product,
        price,
        gross,
        available,
        own,
        basket: 0,
    })
}

/// Line `i` of the quote: its own discount plus the reward's part, then net
/// and tax, and the discount net of tax.
fn quote_line(
    i: usize,
    priced: Priced,
    l: &CartLine,
    reward_discount: i64,
    prices_include_tax: bool,
    currency: &Currency,
) -> Result<QuoteLine> {
    let Priced {
        product: p,
        price: q,
        gross,
        available,
        own,
        basket,
    } = priced;
    let line_discount = own + basket + reward_discount; // ≤ gross by construction
    let (net, tax) = line_tax(
        gross - line_discount,
        p.tax_rate_bp,
        prices_include_tax,
        currency,
    )?;
    // Net of tax, the discount is what the undiscounted line would have
    // earned less what it earns: 0 ≤ it ≤ the discount, as rounding is monotonic.
    let (gross_net, _) = line_tax(gross, p.tax_rate_bp, prices_include_tax, currency)?;
    let discount_net = gross_net - net;
    if !(0..=line_discount).contains(&discount_net) {
        return Err(Error::internal(format!(
            "line {}: the discount net of tax ({discount_net}) is outside 0..={line_discount}",
            i + 1,
        )));
    }
    let total = net.checked_add(tax).ok_or_else(|| {
        Error::validation(
            format!("lines[{i}].quantity"),
            "the line total is too large",
        )
    })?;
    Ok(QuoteLine {
        line_no: i as i64 + 1,
        product_id: p.id,
        sku: p.sku,
        name: p.name,
        quantity: l.quantity,
        list_price_minor: q.list_price_minor,
        unit_price_minor: q.unit_price_minor,
        gross_minor: gross,
        discount_minor: line_discount,
        reward_discount_minor: reward_discount,
        basket_discount_minor: basket,
        price_override_reason: l.price_override_reason.clone(),
        discount_net_minor: discount_net,
        tax_rate_bp: p.tax_rate_bp,
        net_minor: net,
        tax_minor: tax,
        total_minor: total,
        rule_applied: q.rule_applied,
        unit: p.unit,
        quantity_decimals: p.unit.decimals(),
        track_stock: p.track_stock,
        available_quantity: available,
        standard_cost_minor: p.standard_cost_minor,
    })
}

/// How much of a claimed reward each line takes, in the shop's price terms
/// (added to the line's own discount; at most what is left of the line):
/// an amount is split over the lines in proportion to what they come to after
/// their own and the basket's discounts (largest remainder, so it sums
/// exactly, capped at the cart), a percentage is taken off each line, rounded
/// once per line, and a free product is one unit's price off the first line
/// of that product.
fn reward_discounts(
    priced: &[Priced],
    reward: Option<&ClaimGrant>,
    currency: &Currency,
) -> Result<Vec<i64>> {
    let Some(reward) = reward else {
        return Ok(vec![0; priced.len()]);
    };
    let bases: Vec<i64> = priced.iter().map(|p| p.gross - p.own - p.basket).collect();
    let field = "loyalty_claim_id";
    let too_big = |e: MoneyError| Error::validation(field, e.to_string());
    match &reward.grant {
        Grant::Amount { amount_minor } => {
            let base_total: i64 = bases.iter().sum(); // ≤ 200 × 10^12
            let amount = (*amount_minor).min(base_total);
            if amount <= 0 {
                return Ok(vec![0; priced.len()]);
            }
            let weights: Vec<u64> = bases.iter().map(|b| (*b).max(0).unsigned_abs()).collect();
            Ok(Money::from_minor(amount)
                .allocate(&weights)
                .map_err(too_big)?
                .into_iter()
                .map(|m| m.minor())
                .collect())
        }
        Grant::Percent { percent_bp } => bases
            .iter()
            .map(|b| {
                Money::from_minor(*b)
                    .percent_of(Decimal::new(*percent_bp, 2), currency)
                    .map(|m| m.minor().min(*b))
                    .map_err(too_big)
            })
            .collect(),
        Grant::Product { product_id } => {
            let Some(i) = priced.iter().position(|p| p.product.id == *product_id) else {
                return Err(Error::validation(
                    field,
                    format!(
                        "{} is one free unit of product {product_id}: add it to the cart",
                        reward.reward_name
                    ),
                ));
            };
            let mut out = vec![0; priced.len()];
            if let (Some(slot), Some(p), Some(base)) = (out.get_mut(i), priced.get(i), bases.get(i))
            {
                *slot = p.price.unit_price_minor.min(*base);
            }
            Ok(out)
        }
    }
}

/// The claimed reward a cart uses, checked against its customer.
pub(super) fn claimed_reward(
    conn: &Connection,
    claim_id: Option<i64>,
    customer_id: Option<i64>,
    now_ms: i64,
) -> Result<Option<ClaimGrant>> {
    let Some(claim_id) = claim_id else {
        return Ok(None);
    };
    let Some(customer_id) = customer_id else {
        return Err(Error::validation(
            "loyalty_claim_id",
            "a reward needs the customer who claimed it",
        ));
    };
    match loyalty::claim_for_checkout(conn, claim_id, customer_id, now_ms) {
        Ok(g) => Ok(Some(g)),
        Err(Error::Validation { message, .. }) => {
            Err(Error::validation("loyalty_claim_id", message))
        }
        Err(Error::NotFound { .. }) => Err(Error::validation(
            "loyalty_claim_id",
            format!("no loyalty claim {claim_id}"),
        )),
        Err(e) => Err(e),
    }
}

/// `sales.quote`
pub fn quote(ctx: &ReadCtx<'_>, conn: &Connection, req: &QuoteRequest) -> Result<CartQuote> {
    let reward = claimed_reward(conn, req.loyalty_claim_id, req.customer_id, ctx.now_ms)?;
    compute(
        conn,
        req.customer_id,
        &req.lines,
        req.basket_discount.as_ref(),
        // The mode in effect at the sale's instant (a dated switch), not today's setting.
        crate::catalog::tax::mode_at(conn, ctx.now_ms, ctx.settings.prices_include_tax)?,
        ctx.now_ms,
        reward.as_ref(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn t12_tax_per_line_rounds_half_away_from_zero() {
        let eur = Currency::new("EUR", 2).unwrap();
        // 20 % of 125 minor units = 25 exactly.
        assert_eq!(line_tax(125, 2000, false, &eur).unwrap(), (125, 25));
        // 5 % of 10 = 0.5 → 1 (half away from zero).
        assert_eq!(line_tax(10, 500, false, &eur).unwrap(), (10, 1));
        // 5 % of 9 = 0.45 → 0.
        assert_eq!(line_tax(9, 500, false, &eur).unwrap(), (9, 0));
        // Inclusive: 120 at 20 % holds 20 of tax.
        assert_eq!(line_tax(120, 2000, true, &eur).unwrap(), (100, 20));
        // Inclusive: 21 at 5 % holds 1 (exactly 1.0).
        assert_eq!(line_tax(21, 500, true, &eur).unwrap(), (20, 1));
        // Inclusive: 63 at 5 % holds 3 (exactly 3.0).
        assert_eq!(line_tax(63, 500, true, &eur).unwrap(), (60, 3));
        assert_eq!(line_tax(0, 2000, true, &eur).unwrap(), (0, 0));
    }
}
