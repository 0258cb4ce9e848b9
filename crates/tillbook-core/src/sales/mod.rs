//! Sales at the till: quoting a cart and confirming it (checkout).
//!
//! # Totals (T20, T12)
//!
//! The core computes every amount from the cart's lines; a request has no
//! field for a total, tax or net amount, and unknown fields are refused. For
//! each line:
//!
//! - `unit_price_minor` comes from [`pricing::price_for`] (customer price,
//!   promotion, quantity break, category percent, list price);
//! - `gross_minor = unit_price_minor × quantity`, and the line's
//!   `discount_minor` (an amount, at most the gross) is taken off it;
//! - tax is computed **per line** at the product's tax class rate, rounded once
//!   to the minor unit **half away from zero** (the one rule of [`crate::shared::money`]):
//!   - prices exclude tax (`settings.prices_include_tax = false`):
//!     `net = gross − discount`, `tax = round(net × rate)`, `total = net + tax`;
//!   - prices include tax: `total = gross − discount`,
//!     `tax = round(total × rate / (1 + rate))`, `net = total − tax`.
//!
//! The order's net, tax, discount and total are exact sums of its lines.
//!
//! # Checkout (T05, T09, T26, T29)
//!
//! `sales.checkout` re-computes the quote inside one `BEGIN IMMEDIATE`
//! transaction and writes the order, its lines, the batches each line was taken
//! from (FEFO, then FIFO), the `sale` stock movements, the payments and one
//! balanced journal entry — Dr cash / card clearing / accounts receivable /
//! store credit liability, Dr discounts (the lines' discounts net of tax), Cr
//! sales revenue (net before discount) and tax payable; Dr cost of goods sold /
//! Cr inventory at the batches' unit cost — together with the audit row, the
//! outbox event and the idempotency record. Order and receipt numbers come
//! from counters in the same transaction.
//!
//! A line's discount needs `sales.discount` (checked by the dispatcher from the
//! request, [`discount_needs`]). `expected_total_minor` refuses a sale whose
//! prices changed after the customer saw the total (`conflict`). A held cart is
//! paid for by naming it (`held_cart_id` + version): its reservations are
//! released in the same transaction before the batches are picked, and the hold
//! is completed and linked to the order; the lines paid for are the request's
//! (the cashier may have changed the recalled cart). An on-account payment over
//! a `block` credit limit goes through only with an `approver` holding
//! `credit.approve` (T29), named in the audit row.

pub mod holds;
pub mod refunds;

use crate::catalog::pricing::{self, RuleApplied};
use crate::catalog::{self, MAX_AMOUNT_MINOR};
use crate::db::rows::{gapless_drift, next_number};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::ledger::{self, codes, JournalEntry, Line, Party};
use crate::loyalty::{self, ClaimGrant, Grant};
use crate::parties::customers::{self, Approver, CreditDecision};
use crate::shared::access::Permission;
use crate::shared::handler::{keyset_page, IdRequest};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::money::{Currency, Money};
use crate::shared::validate;
use crate::stock::{self, Move, MovementKind, Source};
use rusqlite::{Connection, OptionalExtension, Row};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter giving orders their gapless numbers.
pub const ORDER_COUNTER: &str = "orders";
/// The counter giving receipts their gapless numbers.
pub const RECEIPT_COUNTER: &str = "receipts";
/// The most lines one cart may have.
pub const MAX_LINES: usize = 200;
/// The most payments one checkout may have.
pub const MAX_PAYMENTS: usize = 10;
/// The most units of one line.
pub const MAX_LINE_QUANTITY: i64 = 1_000_000;
/// The largest order total, discount or payment (10^12 minor units).
pub const MAX_ORDER_MINOR: i64 = MAX_AMOUNT_MINOR;
/// Card terminal references are short codes.
pub const MAX_REFERENCE_CHARS: usize = 64;

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

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

fn check_claim(claim_id: Option<i64>, customer_id: Option<i64>) -> Result<()> {
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

fn check_cart(customer_id: Option<i64>, lines: &[CartLine]) -> Result<()> {
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
}

impl Request for QuoteRequest {
    fn validate(&self) -> Result<()> {
        check_cart(self.customer_id, &self.lines)?;
        check_claim(self.loyalty_claim_id, self.customer_id)
    }

    fn needs(&self) -> Vec<Permission> {
        discount_needs(&self.lines)
    }
}

/// A line with a discount needs `sales.discount`; the dispatcher checks it.
pub fn discount_needs(lines: &[CartLine]) -> Vec<Permission> {
    if lines.iter().any(|l| l.discount_minor > 0) {
        vec![Permission::SalesDiscount]
    } else {
        Vec::new()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesTender")]
#[serde(rename_all = "snake_case")]
pub enum Tender {
    Cash,
    Card,
    OnAccount,
    StoreCredit,
}

impl Tender {
    pub fn as_str(self) -> &'static str {
        match self {
            Tender::Cash => "cash",
            Tender::Card => "card",
            Tender::OnAccount => "on_account",
            Tender::StoreCredit => "store_credit",
        }
    }

    fn parse(s: &str) -> Tender {
        match s {
            "card" => Tender::Card,
            "on_account" => Tender::OnAccount,
            "store_credit" => Tender::StoreCredit,
            _ => Tender::Cash,
        }
    }

    fn account(self) -> &'static str {
        match self {
            Tender::Cash => codes::CASH,
            Tender::Card => codes::CARD_CLEARING,
            Tender::OnAccount => codes::ACCOUNTS_RECEIVABLE,
            Tender::StoreCredit => codes::STORE_CREDIT,
        }
    }
}

/// One payment of a checkout. For cash, `amount_minor` is what was handed over
/// (it may exceed what is due: the change is computed and recorded).
#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesPaymentInput")]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub tender: Tender,
    pub amount_minor: i64,
    /// The card terminal's reference: required for card, refused otherwise.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub reference: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesCheckoutRequest")]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub customer_id: Option<i64>,
    pub lines: Vec<CartLine>,
    pub payments: Vec<PaymentInput>,
    /// A claimed loyalty reward redeemed on this sale (a discount or a free
    /// unit); it is marked redeemed in the same transaction, once.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub loyalty_claim_id: Option<i64>,
    /// The total the customer was shown. When given and the cart now comes to
    /// something else (a price changed in between), checkout is refused with
    /// `conflict` rather than taking a different amount than was agreed.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub expected_total_minor: Option<i64>,
    /// Paying for a held cart: its id and version. Its reservations are released
    /// in this transaction, just before the sale takes the stock, and the hold is
    /// marked completed and linked to the order.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub held_cart_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub held_cart_version: Option<i64>,
    /// A second user with `credit.approve` letting an on-account payment over a
    /// `block` credit limit through (T29). Only checked when the limit blocks.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub approver: Option<Approver>,
}

impl Request for CheckoutRequest {
    fn needs(&self) -> Vec<Permission> {
        discount_needs(&self.lines)
    }

    fn secrets(&self) -> Vec<&crate::shared::validate::Secret> {
        self.approver.iter().map(|a| &a.password).collect()
    }

    fn validate(&self) -> Result<()> {
        check_cart(self.customer_id, &self.lines)?;
        check_claim(self.loyalty_claim_id, self.customer_id)?;
        if let Some(t) = self.expected_total_minor {
            if !(0..=MAX_ORDER_MINOR).contains(&t) {
                return Err(Error::validation(
                    "expected_total_minor",
                    format!("must be 0 to {MAX_ORDER_MINOR} minor units, got {t}"),
                ));
            }
        }
        match (self.held_cart_id, self.held_cart_version) {
            (None, None) => {}
            (Some(id), Some(v)) => {
                validate::id("held_cart_id", id)?;
                validate::version(v)?;
            }
            (Some(_), None) => {
                return Err(Error::validation(
                    "held_cart_version",
                    "is needed with held_cart_id",
                ))
            }
            (None, Some(_)) => {
                return Err(Error::validation(
                    "held_cart_id",
                    "is needed with held_cart_version",
                ))
            }
        }
        if let Some(a) = &self.approver {
            validate::text("approver.username", &a.username, 1, 64)?;
            validate::password("approver.password", &a.password)?;
        }
        if self.payments.len() > MAX_PAYMENTS {
            return Err(Error::validation(
                "payments",
                format!("must have at most {MAX_PAYMENTS} payments"),
            ));
        }
        let mut cash = 0;
        for (i, p) in self.payments.iter().enumerate() {
            if !(1..=MAX_ORDER_MINOR).contains(&p.amount_minor) {
                return Err(Error::validation(
                    format!("payments[{i}].amount_minor"),
                    format!(
                        "must be 1 to {MAX_ORDER_MINOR} minor units, got {}",
                        p.amount_minor
                    ),
                ));
            }
            match (p.tender, &p.reference) {
                (Tender::Card, None) => {
                    return Err(Error::validation(
                        format!("payments[{i}].reference"),
                        "a card payment needs the terminal's reference",
                    ))
                }
                (Tender::Card, Some(r)) => validate::text(
                    &format!("payments[{i}].reference"),
                    r,
                    1,
                    MAX_REFERENCE_CHARS,
                )?,
                (_, Some(_)) => {
                    return Err(Error::validation(
                        format!("payments[{i}].reference"),
                        "only a card payment has a reference",
                    ))
                }
                (_, None) => {}
            }
            if matches!(p.tender, Tender::OnAccount | Tender::StoreCredit)
                && self.customer_id.is_none()
            {
                return Err(Error::validation(
                    format!("payments[{i}].tender"),
                    format!("{} needs a customer", p.tender.as_str()),
                ));
            }
            if p.tender == Tender::Cash {
                cash += 1;
            }
        }
        if cash > 1 {
            return Err(Error::validation(
                "payments",
                "at most one cash payment (hand over the cash as one amount)",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesListRequest")]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    /// Only this customer's orders.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub customer_id: Option<i64>,
    /// Only the orders sold in this shift (the shift screen's list).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub shift_id: Option<i64>,
    /// Only the order with this receipt number (refund by scanning a receipt).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub receipt_number: Option<i64>,
    /// Orders older than this id (the previous page's `next_before_id`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    /// 1 to 200; 50 when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

pub const LIST_LIMIT_MAX: u32 = 200;

impl Request for ListRequest {
    fn validate(&self) -> Result<()> {
        if let Some(c) = self.customer_id {
            validate::id("customer_id", c)?;
        }
        if let Some(b) = self.before_id {
            validate::id("before_id", b)?;
        }
        if let Some(n) = self.receipt_number {
            validate::id("receipt_number", n)?;
        }
        if let Some(n) = self.shift_id {
            validate::id("shift_id", n)?;
        }
        validate::page_limit(self.limit, LIST_LIMIT_MAX)
    }
}

// ---------------------------------------------------------------------------
// Quote
// ---------------------------------------------------------------------------

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
    /// The discount without its tax: what is debited to Discounts (4100).
    pub discount_net_minor: i64,
    pub tax_rate_bp: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    #[ts(type = "{ id: number, kind: string } | null")]
    pub rule_applied: Option<RuleApplied>,
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
    pub lines: Vec<QuoteLine>,
    pub discount_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

fn shop_currency(conn: &Connection) -> Result<Currency> {
    let (code, scale): (String, u32) = conn
        .cached_row(
            "SELECT currency_code, currency_scale FROM shop WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| Error::internal("the shop is not set up"))?;
    Currency::new(&code, scale).map_err(|e| Error::internal(e.to_string()))
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
    let too_big = |e: crate::shared::money::MoneyError| Error::validation("lines", e.to_string());
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

/// Computes a cart: prices, discounts, tax per line and the totals.
pub fn compute(
    conn: &Connection,
    customer_id: Option<i64>,
    lines: &[CartLine],
    prices_include_tax: bool,
    now_ms: i64,
    reward: Option<&ClaimGrant>,
) -> Result<CartQuote> {
    check_cart(customer_id, lines)?;
    if let Some(c) = customer_id {
        require_customer(conn, c)?;
    }
    let currency = shop_currency(conn)?;
    let mut out = Vec::with_capacity(lines.len());
    let (mut discount, mut net, mut tax, mut total) = (0i64, 0i64, 0i64, 0i64);
    let mut reward_total = 0i64;
    let mut priced = Vec::with_capacity(lines.len());
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
    for (i, l) in lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        let p = match catalog::for_sale(conn, l.product_id) {
            Ok(p) => p,
            Err(Error::NotFound { .. }) => {
                return Err(Error::validation(
                    field("product_id"),
                    format!("no product {}", l.product_id),
                ))
            }
            Err(e) => return Err(e),
        };
        if p.archived {
            return Err(Error::validation(
                field("product_id"),
                format!("product {} ({}) is archived", p.id, p.sku),
            ));
        }
        let q = pricing::price_with(
            conn,
            p.id,
            p.price_minor,
            &p.category,
            customer_id,
            l.quantity,
            now_ms,
        )
        .map_err(|e| match e {
            Error::Validation { message, .. } => Error::validation(field("quantity"), message),
            other => other,
        })?;
        let gross = q.line_total_minor;
        if gross > MAX_ORDER_MINOR {
            return Err(Error::validation(
                field("quantity"),
                format!("the line comes to {gross}, over {MAX_ORDER_MINOR} minor units"),
            ));
        }
        if l.discount_minor > gross {
            return Err(Error::validation(
                field("discount_minor"),
                format!(
                    "a discount of {} is more than the line's {gross}",
                    l.discount_minor
                ),
            ));
        }
        priced.push((p, q, gross));
    }
    let rewards = reward_discounts(&priced, lines, reward, &currency)?;
    for (i, ((p, q, gross), l)) in priced.into_iter().zip(lines).enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        let reward_discount = rewards.get(i).copied().unwrap_or(0);
        let line_discount = l.discount_minor + reward_discount; // ≤ gross by construction
        let after_discount = gross - line_discount;
        let (line_net, line_tax) =
            line_tax(after_discount, p.tax_rate_bp, prices_include_tax, &currency)?;
        // Net of tax, the discount is what the undiscounted line would have
        // earned less what it earns: 0 ≤ it ≤ the discount, as rounding is monotonic.
        let (gross_net, _) = self::line_tax(gross, p.tax_rate_bp, prices_include_tax, &currency)?;
        let discount_net = gross_net - line_net;
        if !(0..=line_discount).contains(&discount_net) {
            return Err(Error::internal(format!(
                "line {}: the discount net of tax ({discount_net}) is outside 0..={line_discount}",
                i + 1,
            )));
        }
        let line_total = line_net
            .checked_add(line_tax)
            .ok_or_else(|| Error::validation(field("quantity"), "the line total is too large"))?;
        discount = sum(discount, line_discount)?;
        reward_total = sum(reward_total, reward_discount)?;
        net = sum(net, line_net)?;
        tax = sum(tax, line_tax)?;
        total = sum(total, line_total)?;
        out.push(QuoteLine {
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
            discount_net_minor: discount_net,
            tax_rate_bp: p.tax_rate_bp,
            net_minor: line_net,
            tax_minor: line_tax,
            total_minor: line_total,
            rule_applied: q.rule_applied,
        });
    }
    Ok(CartQuote {
        customer_id,
        prices_include_tax,
        loyalty_claim_id: reward.map(|r| r.claim_id),
        reward_discount_minor: reward_total,
        lines: out,
        discount_minor: discount,
        net_minor: net,
        tax_minor: tax,
        total_minor: total,
    })
}

/// How much of a claimed reward each line takes, in the shop's price terms
/// (added to the line's own discount; at most what is left of the line):
/// an amount is split over the lines in proportion to what they come to after
/// their own discounts (largest remainder, so it sums exactly, capped at the
/// cart), a percentage is taken off each line, rounded once per line, and a
/// free product is one unit's price off the first line of that product.
fn reward_discounts(
    priced: &[(catalog::SaleProduct, pricing::Quote, i64)],
    lines: &[CartLine],
    reward: Option<&ClaimGrant>,
    currency: &Currency,
) -> Result<Vec<i64>> {
    let Some(reward) = reward else {
        return Ok(vec![0; priced.len()]);
    };
    let bases: Vec<i64> = priced
        .iter()
        .zip(lines)
        .map(|((_, _, gross), l)| gross - l.discount_minor)
        .collect();
    let field = "loyalty_claim_id";
    let too_big = |e: crate::shared::money::MoneyError| Error::validation(field, e.to_string());
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
            let Some(i) = priced.iter().position(|(p, _, _)| p.id == *product_id) else {
                return Err(Error::validation(
                    field,
                    format!(
                        "{} is one free unit of product {product_id}: add it to the cart",
                        reward.reward_name
                    ),
                ));
            };
            let mut out = vec![0; priced.len()];
            if let (Some(slot), Some((_, q, _)), Some(base)) =
                (out.get_mut(i), priced.get(i), bases.get(i))
            {
                *slot = q.unit_price_minor.min(*base);
            }
            Ok(out)
        }
    }
}

/// The claimed reward a cart uses, checked against its customer.
fn claimed_reward(
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
        ctx.settings.prices_include_tax,
        ctx.now_ms,
        reward.as_ref(),
    )
}

// ---------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------

struct PlannedPayment {
    tender: Tender,
    amount: i64,
    tendered: i64,
    change: i64,
    reference: Option<String>,
}

/// Settles `total` with the payments: the non-cash payments may not exceed it;
/// cash covers the rest and may exceed it (the difference is change). Anything
/// else — too little, or more than due without cash — is refused.
fn plan_payments(total: i64, payments: &[PaymentInput]) -> Result<Vec<PlannedPayment>> {
    let non_cash: i64 = payments
        .iter()
        .filter(|p| p.tender != Tender::Cash)
        .map(|p| p.amount_minor)
        .sum(); // at most 10 × 10^12: no overflow
    let cash = payments.iter().find(|p| p.tender == Tender::Cash);
    let paid = non_cash + cash.map_or(0, |c| c.amount_minor);
    if non_cash > total {
        return Err(Error::validation(
            "payments",
            format!("the non-cash payments come to {non_cash}, more than the total {total}"),
        ));
    }
    if paid < total {
        return Err(Error::validation(
            "payments",
            format!("the payments come to {paid} but the total is {total}"),
        ));
    }
    if let Some(c) = cash {
        if non_cash == total {
            return Err(Error::validation(
                "payments",
                format!(
                    "the other payments already cover the total {total}; the cash payment of {} is not needed",
                    c.amount_minor
                ),
            ));
        }
    }
    Ok(payments
        .iter()
        .map(|p| {
            let (amount, change) = if p.tender == Tender::Cash {
                let due = total - non_cash;
                (due, p.amount_minor - due)
            } else {
                (p.amount_minor, 0)
            };
            PlannedPayment {
                tender: p.tender,
                amount,
                tendered: p.amount_minor,
                change,
                reference: p.reference.clone(),
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesLineBatchView")]
pub struct LineBatchView {
    pub batch_id: i64,
    pub movement_id: i64,
    pub quantity: i64,
    pub unit_cost_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesOrderLineView")]
pub struct OrderLineView {
    pub id: i64,
    pub line_no: i64,
    pub product_id: i64,
    pub quantity: i64,
    pub list_price_minor: i64,
    pub unit_price_minor: i64,
    pub gross_minor: i64,
    pub discount_minor: i64,
    /// The part of `discount_minor` a loyalty reward gave.
    pub reward_discount_minor: i64,
    pub discount_net_minor: i64,
    pub tax_rate_bp: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    #[ts(type = "{ id: number, kind: string } | null")]
    pub rule_applied: Option<RuleApplied>,
    pub cost_minor: i64,
    pub batches: Vec<LineBatchView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesPaymentView")]
pub struct PaymentView {
    pub id: i64,
    pub tender: Tender,
    pub amount_minor: i64,
    pub tendered_minor: i64,
    pub change_minor: i64,
    pub reference: Option<String>,
}

/// An order as `sales.get` and `sales.checkout` return it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesOrderView")]
pub struct OrderView {
    pub id: i64,
    pub number: i64,
    pub receipt_number: i64,
    /// `confirmed`; `voided` once `sales.void` reversed it; `partly_refunded`
    /// or `refunded` (every unit) once `sales.refund` took some back.
    pub status: String,
    pub customer_id: Option<i64>,
    pub cashier_id: i64,
    pub prices_include_tax: bool,
    pub discount_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub cost_minor: i64,
    pub change_minor: i64,
    pub entry_id: Option<i64>,
    pub created_at_ms: i64,
    pub lines: Vec<OrderLineView>,
    pub payments: Vec<PaymentView>,
}

/// What `sales.checkout` answers: the order, and the credit decision when part
/// of it went on account (`warning: true` is a sale over a `warn` limit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesCheckoutView")]
pub struct CheckoutView {
    #[serde(flatten)]
    pub order: OrderView,
    pub credit: Option<CreditDecision>,
}

/// One row of `sales.list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesOrderSummary")]
pub struct OrderSummary {
    pub id: i64,
    pub number: i64,
    pub receipt_number: i64,
    /// `confirmed`; `voided` once `sales.void` reversed it; `partly_refunded`
    /// or `refunded` (every unit) once `sales.refund` took some back.
    pub status: String,
    pub customer_id: Option<i64>,
    pub cashier_id: i64,
    pub line_count: i64,
    pub total_minor: i64,
    pub created_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesOrderPage")]
pub struct OrderPage {
    pub orders: Vec<OrderSummary>,
    /// Pass as `before_id` for the next page; absent on the last page.
    pub next_before_id: Option<i64>,
}

/// An order row never changes; a void or a refund is a row of its own, so the
/// status a reader sees is derived here, in the one expression every read
/// of an order uses: `voided`, `refunded` (every unit returned),
/// `partly_refunded`, else the stored `confirmed`.
macro_rules! order_status_sql {
    () => {
        "CASE WHEN EXISTS (SELECT 1 FROM order_voids v WHERE v.order_id = orders.id) THEN 'voided'
              WHEN NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = orders.id) THEN status
              WHEN (SELECT sum(rl.quantity) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
                     WHERE r.order_id = orders.id)
                   >= (SELECT sum(l.quantity) FROM order_lines l WHERE l.order_id = orders.id)
                   THEN 'refunded'
              ELSE 'partly_refunded' END"
    };
}

const SUMMARY_COLUMNS: &str = concat!(
    "id, number, receipt_number, ",
    order_status_sql!(),
    ", customer_id, cashier_id, line_count, total_minor, created_at_ms"
);

fn summary_of(r: &Row<'_>) -> rusqlite::Result<OrderSummary> {
    Ok(OrderSummary {
        id: r.get(0)?,
        number: r.get(1)?,
        receipt_number: r.get(2)?,
        status: r.get(3)?,
        customer_id: r.get(4)?,
        cashier_id: r.get(5)?,
        line_count: r.get(6)?,
        total_minor: r.get(7)?,
        created_at_ms: r.get(8)?,
    })
}

pub fn get_order(conn: &Connection, id: i64) -> Result<OrderView> {
    let head = conn
        .prepare_cached(concat!(
            "SELECT id, number, receipt_number, ",
            order_status_sql!(),
            ", customer_id, cashier_id, prices_include_tax,
                    discount_minor, net_minor, tax_minor, total_minor, cost_minor, change_minor,
                    entry_id, created_at_ms
             FROM orders WHERE id = ?1"
        ))?
        .query_row([id], |r| {
            Ok(OrderView {
                id: r.get(0)?,
                number: r.get(1)?,
                receipt_number: r.get(2)?,
                status: r.get(3)?,
                customer_id: r.get(4)?,
                cashier_id: r.get(5)?,
                prices_include_tax: r.get(6)?,
                discount_minor: r.get(7)?,
                net_minor: r.get(8)?,
                tax_minor: r.get(9)?,
                total_minor: r.get(10)?,
                cost_minor: r.get(11)?,
                change_minor: r.get(12)?,
                entry_id: r.get(13)?,
                created_at_ms: r.get(14)?,
                lines: Vec::new(),
                payments: Vec::new(),
            })
        })
        .optional()?;
    let mut order = head.ok_or_else(|| Error::not_found("order", id))?;
    let mut st = conn.prepare_cached(
        "SELECT id, line_no, product_id, quantity, list_price_minor, unit_price_minor, gross_minor,
                discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor, rule_id, rule_kind,
                cost_minor, discount_net_minor, reward_discount_minor
         FROM order_lines WHERE order_id = ?1 ORDER BY line_no",
    )?;
    let lines = st.query_map([id], |r| {
        let rule_id: Option<i64> = r.get(12)?;
        let rule_kind: Option<String> = r.get(13)?;
        Ok(OrderLineView {
            id: r.get(0)?,
            line_no: r.get(1)?,
            product_id: r.get(2)?,
            quantity: r.get(3)?,
            list_price_minor: r.get(4)?,
            unit_price_minor: r.get(5)?,
            gross_minor: r.get(6)?,
            discount_minor: r.get(7)?,
            tax_rate_bp: r.get(8)?,
            net_minor: r.get(9)?,
            tax_minor: r.get(10)?,
            total_minor: r.get(11)?,
            rule_applied: rule_id
                .zip(rule_kind)
                .map(|(id, kind)| RuleApplied { id, kind }),
            cost_minor: r.get(14)?,
            discount_net_minor: r.get(15)?,
            reward_discount_minor: r.get(16)?,
            batches: Vec::new(),
        })
    })?;
    order.lines = lines.collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare_cached(
        "SELECT batch_id, movement_id, quantity, unit_cost_minor
         FROM order_line_batches WHERE line_id = ?1 ORDER BY id",
    )?;
    for line in &mut order.lines {
        let rows = st.query_map([line.id], |r| {
            Ok(LineBatchView {
                batch_id: r.get(0)?,
                movement_id: r.get(1)?,
                quantity: r.get(2)?,
                unit_cost_minor: r.get(3)?,
            })
        })?;
        line.batches = rows.collect::<rusqlite::Result<_>>()?;
    }
    let mut st = conn.prepare_cached(
        "SELECT id, tender, amount_minor, tendered_minor, change_minor, reference
         FROM payments WHERE order_id = ?1 ORDER BY id",
    )?;
    let payments = st.query_map([id], |r| {
        Ok(PaymentView {
            id: r.get(0)?,
            tender: Tender::parse(&r.get::<_, String>(1)?),
            amount_minor: r.get(2)?,
            tendered_minor: r.get(3)?,
            change_minor: r.get(4)?,
            reference: r.get(5)?,
        })
    })?;
    order.payments = payments.collect::<rusqlite::Result<_>>()?;
    Ok(order)
}

/// `sales.get`
pub fn get(_ctx: &ReadCtx<'_>, conn: &Connection, req: &IdRequest) -> Result<OrderView> {
    get_order(conn, req.id)
}

/// `sales.list`: newest first, filtered and paged in SQL (T27).
pub fn list(_ctx: &ReadCtx<'_>, conn: &Connection, req: &ListRequest) -> Result<OrderPage> {
    if let Some(n) = req.receipt_number {
        // Its own query: the unique index finds it at once, however many orders.
        let found = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM orders WHERE receipt_number = ?1
                   AND (?2 IS NULL OR customer_id = ?2)"
            ))?
            .query_row(rusqlite::params![n, req.customer_id], summary_of)
            .optional()?;
        return Ok(OrderPage {
            orders: found.into_iter().collect(),
            next_before_id: None,
        });
    }
    let limit = req.limit.unwrap_or(50);
    let mut st = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM orders
         WHERE (?1 IS NULL OR customer_id = ?1) AND id < ?2
           AND (?4 IS NULL OR id IN (SELECT order_id FROM shift_orders WHERE shift_id = ?4))
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            req.customer_id,
            req.before_id.unwrap_or(i64::MAX),
            i64::from(limit) + 1,
            req.shift_id
        ],
        summary_of,
    )?;
    let (orders, next_before_id) =
        keyset_page(rows.collect::<rusqlite::Result<Vec<_>>>()?, limit, |o| o.id);
    Ok(OrderPage {
        orders,
        next_before_id,
    })
}

// ---------------------------------------------------------------------------
// Checkout
// ---------------------------------------------------------------------------

/// `sales.checkout`: confirms a cart in the dispatcher's one transaction.
/// `None` only when an approver's password was wrong: the dispatcher then
/// commits nothing but the approver's failed attempt and answers the refusal.
pub fn checkout(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CheckoutRequest,
) -> Result<Option<CheckoutView>> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let reward = claimed_reward(conn, req.loyalty_claim_id, req.customer_id, now)?;
    let quote = compute(
        conn,
        req.customer_id,
        &req.lines,
        ctx.settings.prices_include_tax,
        now,
        reward.as_ref(),
    )?;
    if let Some(expected) = req.expected_total_minor {
        if expected != quote.total_minor {
            return Err(Error::StateConflict {
                message: format!(
                    "prices changed since the cart was quoted: it came to {expected}, it now comes to {}; show the customer the new total and take payment again",
                    quote.total_minor
                ),
            });
        }
    }
    let planned = plan_payments(quote.total_minor, &req.payments)?;

    // Credit (T29) and store credit, checked inside the transaction.
    let on_account: i64 = planned
        .iter()
        .filter(|p| p.tender == Tender::OnAccount)
        .map(|p| p.amount)
        .sum();
    let store_credit: i64 = planned
        .iter()
        .filter(|p| p.tender == Tender::StoreCredit)
        .map(|p| p.amount)
        .sum();
    let credit = match (req.customer_id, on_account > 0) {
        (Some(c), true) => match customers::check_credit(conn, c, on_account) {
            Err(Error::CreditLimit { message }) => {
                let Some(a) = &req.approver else {
                    return Err(Error::CreditLimit { message });
                };
                // The override is a second user's decision: checked here, inside
                // the transaction, against the one role table (T29).
                let Some((approver_id, _)) = customers::verify_approver(ctx, tx, actor, a)? else {
                    return Ok(None);
                };
                Some(customers::check_credit_approved(
                    conn,
                    c,
                    on_account,
                    approver_id,
                )?)
            }
            other => Some(other?),
        },
        _ => None,
    };
    if let (Some(c), true) = (req.customer_id, store_credit > 0) {
        let available = ledger::customer_store_credit(conn, c)?;
        if store_credit > available {
            return Err(Error::validation(
                "payments",
                format!("customer {c} has {available} of store credit, not {store_credit}"),
            ));
        }
    }

    let order_id: i64 =
        conn.cached_row("SELECT coalesce(max(id), 0) + 1 FROM orders", [], |r| {
            r.get(0)
        })?;
    let number = next_number(tx, ORDER_COUNTER)?;
    let receipt_number = next_number(tx, RECEIPT_COUNTER)?;
    let source = Source {
        source_type: Some("order".into()),
        source_id: Some(order_id.to_string()),
    };
    let reason = format!("sale, order {number}");

    if let (Some(id), Some(version)) = (req.held_cart_id, req.held_cart_version) {
        crate::sales::holds::release_for_checkout(tx, id, version, actor.user_id, now)?;
        tx.execute(
            "INSERT INTO held_cart_orders (held_cart_id, order_id) VALUES (?1, ?2)",
            rusqlite::params![id, order_id],
        )?;
    }

    let mut cost_total = 0i64;
    let mut discount_net_total = 0i64;
    // The reply is built from what this transaction wrote rather than read
    // back; `checkout_reply_is_the_order_sales_get_reads` pins the two equal.
    let mut line_views = Vec::with_capacity(quote.lines.len());
    for line in &quote.lines {
        discount_net_total += line.discount_net_minor;
        let picks = stock::pick_batches(conn, line.product_id, line.quantity, now).map_err(
            |e| match e {
                Error::InsufficientStock { message } => Error::InsufficientStock {
                    message: format!("{} ({}): {message}", line.sku, line.name),
                },
                other => other,
            },
        )?;
        let mut line_cost = 0i64;
        for p in &picks {
            line_cost = p
                .unit_cost_minor
                .checked_mul(p.quantity)
                .and_then(|c| c.checked_add(line_cost))
                .ok_or_else(|| Error::internal("the cost of a line overflows"))?;
        }
        cost_total = cost_total
            .checked_add(line_cost)
            .ok_or_else(|| Error::internal("the cost of an order overflows"))?;
        let line_id: i64 = tx.execute_returning(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, list_price_minor,
                                      unit_price_minor, gross_minor, discount_minor, tax_rate_bp,
                                      net_minor, tax_minor, total_minor, rule_id, rule_kind, cost_minor,
                                      discount_net_minor, reward_discount_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             RETURNING id",
            rusqlite::params![
                order_id,
                line.line_no,
                line.product_id,
                line.quantity,
                line.list_price_minor,
                line.unit_price_minor,
                line.gross_minor,
                line.discount_minor,
                line.tax_rate_bp,
                line.net_minor,
                line.tax_minor,
                line.total_minor,
                line.rule_applied.as_ref().map(|r| r.id),
                line.rule_applied.as_ref().map(|r| r.kind.as_str()),
                line_cost,
                line.discount_net_minor,
                line.reward_discount_minor
            ],
            |r| r.get(0),
        )?;
        let mut batch_views = Vec::with_capacity(picks.len());
        for pick in picks {
            let (batch_id, qty, unit_cost) = (pick.batch_id, pick.quantity, pick.unit_cost_minor);
            let movement_id = stock::move_picked(
                tx,
                &pick,
                &Move {
                    batch_id,
                    kind: MovementKind::Sale,
                    quantity: -qty,
                    reason: &reason,
                    user_id: Some(actor.user_id),
                    source: source.clone(),
                    at_ms: now,
                },
            )
            .map_err(|e| match e {
                Error::InsufficientStock { message } => Error::InsufficientStock {
                    message: format!("{} ({}): {message}", line.sku, line.name),
                },
                other => other,
            })?;
            tx.execute(
                "INSERT INTO order_line_batches (line_id, batch_id, movement_id, quantity, unit_cost_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![line_id, batch_id, movement_id, qty, unit_cost],
            )?;
            batch_views.push(LineBatchView {
                batch_id,
                movement_id,
                quantity: qty,
                unit_cost_minor: unit_cost,
            });
        }
        line_views.push(OrderLineView {
            id: line_id,
            line_no: line.line_no,
            product_id: line.product_id,
            quantity: line.quantity,
            list_price_minor: line.list_price_minor,
            unit_price_minor: line.unit_price_minor,
            gross_minor: line.gross_minor,
            discount_minor: line.discount_minor,
            reward_discount_minor: line.reward_discount_minor,
            discount_net_minor: line.discount_net_minor,
            tax_rate_bp: line.tax_rate_bp,
            net_minor: line.net_minor,
            tax_minor: line.tax_minor,
            total_minor: line.total_minor,
            rule_applied: line.rule_applied.clone(),
            cost_minor: line_cost,
            batches: batch_views,
        });
    }

    let mut change_total = 0i64;
    let mut payment_views = Vec::with_capacity(planned.len());
    for p in &planned {
        change_total += p.change;
        let customer = match p.tender {
            Tender::OnAccount | Tender::StoreCredit => req.customer_id,
            _ => None,
        };
        let id: i64 = tx.execute_returning(
            "INSERT INTO payments (order_id, tender, amount_minor, tendered_minor, change_minor,
                                   reference, customer_id, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             RETURNING id",
            rusqlite::params![
                order_id,
                p.tender.as_str(),
                p.amount,
                p.tendered,
                p.change,
                p.reference,
                customer,
                now
            ],
            |r| r.get(0),
        )?;
        payment_views.push(PaymentView {
            id,
            tender: p.tender,
            amount_minor: p.amount,
            tendered_minor: p.tendered,
            change_minor: p.change,
            reference: p.reference.clone(),
        });
    }

    // One balanced entry: the tenders against revenue and tax, and the cost.
    let mut lines: Vec<Line<'_>> = Vec::new();
    for tender in [
        Tender::Cash,
        Tender::Card,
        Tender::OnAccount,
        Tender::StoreCredit,
    ] {
        let amount: i64 = planned
            .iter()
            .filter(|p| p.tender == tender)
            .map(|p| p.amount)
            .sum();
        if amount > 0 {
            let party = match tender {
                Tender::OnAccount | Tender::StoreCredit => req.customer_id.map(Party::Customer),
                _ => None,
            };
            lines.push(Line::debit(tender.account(), amount, party));
        }
    }
    // Revenue before discount, and the discount on its own account (both net of tax).
    if discount_net_total > 0 {
        lines.push(Line::debit(codes::DISCOUNTS, discount_net_total, None));
    }
    let revenue = quote.net_minor + discount_net_total; // each ≤ 10^12
    if revenue > 0 {
        lines.push(Line::credit(codes::SALES_REVENUE, revenue, None));
    }
    if quote.tax_minor > 0 {
        lines.push(Line::credit(codes::TAX_PAYABLE, quote.tax_minor, None));
    }
    if cost_total > 0 {
        lines.push(Line::debit(codes::COST_OF_GOODS_SOLD, cost_total, None));
        lines.push(Line::credit(codes::INVENTORY, cost_total, None));
    }
    // Nothing changed hands (free goods that cost nothing): no entry, even if a
    // discount made them free — the books would show revenue and discount cancelling.
    let entry_id = if quote.total_minor == 0 && cost_total == 0 {
        None
    } else {
        let memo = format!("Sale, order {number}");
        Some(ledger::post(
            tx,
            &JournalEntry {
                posted_at_ms: now,
                memo: &memo,
                source_type: "order",
                source_id: order_id,
                user_id: actor.user_id,
                reverses_entry_id: None,
                lines,
            },
        )?)
    };

    tx.execute(
        "INSERT INTO orders (id, number, receipt_number, status, customer_id, cashier_id,
                             prices_include_tax, line_count, discount_minor, net_minor, tax_minor,
                             total_minor, cost_minor, change_minor, entry_id, created_at_ms)
         VALUES (?1, ?2, ?3, 'confirmed', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        rusqlite::params![
            order_id,
            number,
            receipt_number,
            req.customer_id,
            actor.user_id,
            quote.prices_include_tax,
            quote.lines.len() as i64,
            quote.discount_minor,
            quote.net_minor,
            quote.tax_minor,
            quote.total_minor,
            cost_total,
            change_total,
            entry_id,
            now
        ],
    )?;

    if let Some(r) = &reward {
        loyalty::mark_redeemed(tx, r.claim_id, order_id, quote.reward_discount_minor)?;
    }
    let shift_id = crate::till::record_sale(tx, actor.user_id, order_id)?;
    crate::loyalty::earn_for_order(tx, order_id, actor.user_id, now)?;

    let tenders: Vec<_> = planned
        .iter()
        .map(|p| json!({ "tender": p.tender.as_str(), "amount_minor": p.amount, "change_minor": p.change }))
        .collect();
    ctx.audit(
        "order",
        order_id,
        json!({
            "number": number,
            "receipt_number": receipt_number,
            "customer_id": req.customer_id,
            "lines": quote.lines.len(),
            "total_minor": quote.total_minor,
            "tax_minor": quote.tax_minor,
            "payments": tenders,
            "entry_id": entry_id,
            "shift_id": shift_id,
            "held_cart_id": req.held_cart_id,
            "loyalty_claim_id": req.loyalty_claim_id,
            "reward_discount_minor": quote.reward_discount_minor,
            // T29: a sale over a `warn` limit goes through and says so here.
            "credit": credit,
        }),
    );
    ctx.emit(
        "sale.confirmed",
        "order",
        order_id,
        json!({
            "number": number,
            "receipt_number": receipt_number,
            "customer_id": req.customer_id,
            "total_minor": quote.total_minor,
            "tax_minor": quote.tax_minor,
            "created_at_ms": now,
        }),
    );
    Ok(Some(CheckoutView {
        order: OrderView {
            id: order_id,
            number,
            receipt_number,
            status: "confirmed".into(),
            customer_id: req.customer_id,
            cashier_id: actor.user_id,
            prices_include_tax: quote.prices_include_tax,
            discount_minor: quote.discount_minor,
            net_minor: quote.net_minor,
            tax_minor: quote.tax_minor,
            total_minor: quote.total_minor,
            cost_minor: cost_total,
            change_minor: change_total,
            entry_id,
            created_at_ms: now,
            lines: line_views,
            payments: payment_views,
        },
        credit,
    }))
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

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
            "SELECT count(*) FROM order_lines l WHERE
                l.quantity <> (SELECT coalesce(sum(quantity), 0) FROM order_line_batches b WHERE b.line_id = l.id)
             OR l.cost_minor <> (SELECT coalesce(sum(quantity * unit_cost_minor), 0) FROM order_line_batches b WHERE b.line_id = l.id)",
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

    #[test]
    fn t20_requests_have_no_total_fields() {
        let bad = [
            r#"{"lines":[{"product_id":1,"quantity":1}],"payments":[],"total_minor":1}"#,
            r#"{"lines":[{"product_id":1,"quantity":1,"tax_minor":0}],"payments":[]}"#,
            r#"{"lines":[{"product_id":1,"quantity":1,"unit_price_minor":0}],"payments":[]}"#,
        ];
        for b in bad {
            assert!(serde_json::from_str::<CheckoutRequest>(b).is_err(), "{b}");
        }
    }

    #[test]
    fn payments_must_cover_the_total_exactly_except_cash_change() {
        let p = |tender, amount_minor: i64| PaymentInput {
            tender,
            amount_minor,
            reference: (tender == Tender::Card).then(|| "T1".to_string()),
        };
        assert!(plan_payments(100, &[p(Tender::Card, 100)]).is_ok());
        assert!(plan_payments(100, &[p(Tender::Card, 99)]).is_err());
        assert!(plan_payments(100, &[p(Tender::Card, 101)]).is_err());
        let plan = plan_payments(100, &[p(Tender::Card, 30), p(Tender::Cash, 100)]).unwrap();
        assert_eq!(plan[1].amount, 70);
        assert_eq!(plan[1].change, 30);
        assert!(plan_payments(100, &[p(Tender::Card, 100), p(Tender::Cash, 5)]).is_err());
        assert!(plan_payments(0, &[]).is_ok());
    }
}
