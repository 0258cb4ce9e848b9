//! `sales.checkout`: confirming a cart (T05, T09, T26, T29).
//!
//! Checkout re-computes the quote inside one `BEGIN IMMEDIATE` transaction
//! and writes the order, its lines, the batches each line was taken from
//! (FEFO, then FIFO), the `sale` stock movements, the payments and one
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
//!
//! The steps, in the order they write: `plan` (the quote, the payments, the
//! credit and store-credit checks, the numbers), the held cart, `write_lines`
//! (lines, picks, movements), `write_payments`, the entry of
//! `journal_lines` (pure), and `record` (the order row, the shift and
//! loyalty hooks, the audit row and the event).

use super::cart::{
    check_basket, check_cart, check_claim, discount_needs, BasketDiscount, CartLine,
    MAX_ORDER_MINOR,
};
use super::holds;
use super::orders::{LineBatchView, OrderLineView, OrderView, PaymentView};
use super::quote::{claimed_reward, compute, CartQuote, QuoteLine};
use crate::db::rows::next_number;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::ledger::{self, codes, JournalEntry, Line, Party};
use crate::loyalty::{self, ClaimGrant};
use crate::parties::customers::{self, Approver, CreditDecision};
use crate::shared::access::Permission;
use crate::shared::handler::{Request, Session, WriteCtx};
use crate::shared::settings::CardReference;
use crate::shared::validate;
use crate::stock::{self, Move, MovementKind, Source};
use crate::till;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter giving orders their gapless numbers.
pub const ORDER_COUNTER: &str = "orders";
/// The counter giving receipts their gapless numbers.
pub const RECEIPT_COUNTER: &str = "receipts";
/// The most payments one checkout may have.
pub const MAX_PAYMENTS: usize = 10;
/// Card terminal references are short codes.
pub const MAX_REFERENCE_CHARS: usize = 64;

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

    /// A stored tender (`payments.tender`, `refund_payments.tender`).
    pub(super) fn parse(s: &str) -> Tender {
        match s {
            "card" => Tender::Card,
            "on_account" => Tender::OnAccount,
            "store_credit" => Tender::StoreCredit,
            _ => Tender::Cash,
        }
    }

    /// The account the tender's money is in.
    pub(super) fn account(self) -> &'static str {
        match self {
            Tender::Cash => codes::CASH,
            Tender::Card => codes::CARD_CLEARING,
            Tender::OnAccount => codes::ACCOUNTS_RECEIVABLE,
            Tender::StoreCredit => codes::STORE_CREDIT,
        }
    }

    /// The customer a payment of this tender concerns: on account and store
    /// credit are the customer's balances; cash and card concern no one.
    pub(super) fn customer(self, customer_id: Option<i64>) -> Option<i64> {
        match self {
            Tender::OnAccount | Tender::StoreCredit => customer_id,
            Tender::Cash | Tender::Card => None,
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
    /// The card terminal's reference: for card only; required when the
    /// `card_reference` setting says so (the default), optional otherwise.
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
    /// A discount on the whole basket, spread over the lines (see `sales.quote`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub basket_discount: Option<BasketDiscount>,
}

impl Request for CheckoutRequest {
    fn needs(&self) -> Vec<Permission> {
        discount_needs(&self.lines, self.basket_discount.as_ref())
    }

    fn secrets(&self) -> Vec<&crate::shared::validate::Secret> {
        self.approver.iter().map(|a| &a.password).collect()
    }

    fn validate(&self) -> Result<()> {
        check_cart(self.customer_id, &self.lines)?;
        check_basket(self.basket_discount.as_ref())?;
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
            // Whether a card payment must have its reference is the shop's
            // setting (`card_reference`), checked in `plan`.
            match (p.tender, &p.reference) {
                (Tender::Card, None) => {}
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

/// What `sales.checkout` answers: the order, and the credit decision when part
/// of it went on account (`warning: true` is a sale over a `warn` limit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesCheckoutView")]
pub struct CheckoutView {
    #[serde(flatten)]
    pub order: OrderView,
    pub credit: Option<CreditDecision>,
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

/// What the planned payments of one tender come to.
fn paid_by(payments: &[PlannedPayment], tender: Tender) -> i64 {
    payments
        .iter()
        .filter(|p| p.tender == tender)
        .map(|p| p.amount)
        .sum()
}

// ---------------------------------------------------------------------------
// Checkout
// ---------------------------------------------------------------------------

/// What checkout settles before it writes a line.
struct Plan {
    /// The cart as priced inside this transaction.
    quote: CartQuote,
    reward: Option<ClaimGrant>,
    payments: Vec<PlannedPayment>,
    credit: Option<CreditDecision>,
    order_id: i64,
    number: i64,
    receipt_number: i64,
}

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
    let Some(plan) = plan(ctx, tx, actor, req)? else {
        return Ok(None);
    };
    if let (Some(id), Some(version)) = (req.held_cart_id, req.held_cart_version) {
        holds::release_for_checkout(tx, id, version, actor.user_id, now)?;
        tx.execute(
            "INSERT INTO held_cart_orders (held_cart_id, order_id) VALUES (?1, ?2)",
            rusqlite::params![id, plan.order_id],
        )?;
    }
    // The reply is built from what this transaction wrote rather than read
    // back; `checkout_reply_is_the_order_sales_get_reads` pins the two equal.
    let lines = write_lines(tx, &plan, actor.user_id, now)?;
    let payments = write_payments(tx, &plan, now)?;
    let cost = lines
        .iter()
        .try_fold(0i64, |sum, l| sum.checked_add(l.cost_minor))
        .ok_or_else(|| Error::internal("the cost of an order overflows"))?;
    let journal = journal_lines(&plan.quote, &plan.payments, cost);
    let entry_id = if journal.is_empty() {
        None
    } else {
        let memo = format!("Sale, order {}", plan.number);
        Some(ledger::post(
            tx,
            &JournalEntry {
                posted_at_ms: now,
                memo: &memo,
                source_type: "order",
                source_id: plan.order_id,
                user_id: actor.user_id,
                reverses_entry_id: None,
                lines: journal,
            },
        )?)
    };
    let q = &plan.quote;
    let order = OrderView {
        id: plan.order_id,
        number: plan.number,
        receipt_number: plan.receipt_number,
        status: "confirmed".into(),
        customer_id: q.customer_id,
        cashier_id: actor.user_id,
        prices_include_tax: q.prices_include_tax,
        discount_minor: q.discount_minor,
        net_minor: q.net_minor,
        tax_minor: q.tax_minor,
        total_minor: q.total_minor,
        cost_minor: cost,
        change_minor: plan.payments.iter().map(|p| p.change).sum(),
        entry_id,
        created_at_ms: now,
        lines,
        payments,
        tax_summary: super::orders::order_tax_summary(tx.conn(), plan.order_id, now)?,
    };
    record(ctx, tx, req, &plan, &order)?;
    Ok(Some(CheckoutView {
        order,
        credit: plan.credit,
    }))
}

/// The quote (again, inside the transaction), the expected total, the
/// payments, the credit limit (T29) and the store credit available, then the
/// order's id and its order and receipt numbers. `None` when an approver's
/// password was wrong (see [`checkout`]).
fn plan(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    actor: &Session,
    req: &CheckoutRequest,
) -> Result<Option<Plan>> {
    let now = ctx.now_ms;
    let conn = tx.conn();
    let reward = claimed_reward(conn, req.loyalty_claim_id, req.customer_id, now)?;
    if ctx.settings.card_reference == CardReference::Required {
        if let Some(i) = req
            .payments
            .iter()
            .position(|p| p.tender == Tender::Card && p.reference.is_none())
        {
            return Err(Error::validation(
                format!("payments[{i}].reference"),
                "a card payment needs the terminal's reference (the shop's settings require it)",
            ));
        }
    }
    let quote = compute(
        conn,
        req.customer_id,
        &req.lines,
        req.basket_discount.as_ref(),
        // The mode in effect at the sale's instant (a dated switch), not today's setting.
        crate::catalog::tax::mode_at(conn, ctx.now_ms, ctx.settings.prices_include_tax)?,
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
    let payments = plan_payments(quote.total_minor, &req.payments)?;
    till::require_drawer(
        tx,
        actor.user_id,
        till::CashUse::when(req.payments.iter().any(|p| p.tender == Tender::Cash)),
        true,
        ctx.settings,
    )?;
    let on_account = paid_by(&payments, Tender::OnAccount);
    let credit = match (req.customer_id, on_account > 0) {
        (Some(c), true) => match customers::check_credit(conn, c, on_account) {
            Err(e @ Error::CreditLimit { .. }) => {
                let Some(a) = &req.approver else {
                    return Err(e);
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
    let store_credit = paid_by(&payments, Tender::StoreCredit);
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
    Ok(Some(Plan {
        quote,
        reward,
        payments,
        credit,
        order_id,
        number,
        receipt_number,
    }))
}

/// Each line: its batches picked (FEFO, then FIFO), the line row at their
/// cost, and per batch a `sale` movement and the pick row.
fn write_lines(tx: &Tx<'_>, plan: &Plan, user_id: i64, now: i64) -> Result<Vec<OrderLineView>> {
    let source = Source {
        source_type: Some("order".into()),
        source_id: Some(plan.order_id.to_string()),
    };
    let reason = format!("sale, order {}", plan.number);
    let mut views = Vec::with_capacity(plan.quote.lines.len());
    for line in &plan.quote.lines {
        if !line.track_stock {
            views.push(write_untracked_line(tx, plan.order_id, line)?);
            continue;
        }
        // Another till may have sold the units since the line was added: the
        // cashier is told which product ran short and by how much, and the
        // cart stays as it was (the whole transaction rolls back).
        let named = |e| match e {
            Error::InsufficientStock { .. } => short_of(tx.conn(), line, now),
            other => other,
        };
        let picks =
            stock::pick_batches(tx.conn(), line.product_id, line.quantity, now).map_err(named)?;
        let cost = stock::cost_of_picks(
            &picks
                .iter()
                .map(|p| (p.unit_cost_minor, p.quantity))
                .collect::<Vec<_>>(),
            line.quantity_decimals,
        )?;
        let line_id = insert_line(tx, plan.order_id, line, cost)?;
        let mut batches = Vec::with_capacity(picks.len());
        for pick in &picks {
            let movement_id = stock::move_picked(
                tx,
                pick,
                &Move {
                    batch_id: pick.batch_id,
                    kind: MovementKind::Sale,
                    quantity: -pick.quantity,
                    reason: &reason,
                    user_id: Some(user_id),
                    source: source.clone(),
                    at_ms: now,
                },
            )
            .map_err(named)?;
            tx.execute(
                "INSERT INTO order_line_batches (line_id, batch_id, movement_id, quantity, unit_cost_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![line_id, pick.batch_id, movement_id, pick.quantity, pick.unit_cost_minor],
            )?;
            batches.push(LineBatchView {
                batch_id: pick.batch_id,
                movement_id,
                quantity: pick.quantity,
                unit_cost_minor: pick.unit_cost_minor,
            });
        }
        views.push(OrderLineView {
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
            cost_minor: cost,
            batches,
            quantity_decimals: line.quantity_decimals,
            unit: line.unit,
            stock_tracked: true,
        });
    }
    Ok(views)
}

/// "Only 1 × Cheddar left" (or "Only 0.350 kg of Cheddar left"): the typed
/// shortfall of a tracked line at Pay, naming the product.
fn short_of(conn: &rusqlite::Connection, line: &QuoteLine, now: i64) -> Error {
    let free = stock::free_quantity(conn, line.product_id, now)
        .unwrap_or(0)
        .max(0);
    let (message, left) = if line.quantity_decimals == 0 {
        (
            format!("Only {free} × {} left", line.name),
            free.to_string(),
        )
    } else {
        let left = format!(
            "{} {}",
            crate::catalog::format_quantity(free, line.quantity_decimals),
            line.unit.as_str()
        );
        (format!("Only {left} of {} left", line.name), left)
    };
    Error::InsufficientStock {
        message,
        product: Some(line.name.clone()),
        left: Some(left),
    }
}

/// An untracked line (made to order, a service): no batches, no movement;
/// its cost is the product's standard cost × quantity, or nothing when unset.
fn write_untracked_line(tx: &Tx<'_>, order_id: i64, line: &QuoteLine) -> Result<OrderLineView> {
    let cost = match line.standard_cost_minor {
        Some(c) => crate::shared::money::Money::from_minor(c)
            .times_quantity(line.quantity, line.quantity_decimals)
            .map(crate::shared::money::Money::minor)
            .map_err(|e| Error::validation("lines", e.to_string()))?,
        None => 0,
    };
    let line_id = insert_line(tx, order_id, line, cost)?;
    Ok(OrderLineView {
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
        cost_minor: cost,
        batches: Vec::new(),
        quantity_decimals: line.quantity_decimals,
        unit: line.unit,
        stock_tracked: false,
    })
}

fn insert_line(tx: &Tx<'_>, order_id: i64, line: &QuoteLine, cost: i64) -> Result<i64> {
    Ok(tx.execute_returning(
        "INSERT INTO order_lines (order_id, line_no, product_id, quantity, list_price_minor,
                                  unit_price_minor, gross_minor, discount_minor, tax_rate_bp,
                                  net_minor, tax_minor, total_minor, rule_id, rule_kind, cost_minor,
                                  discount_net_minor, reward_discount_minor, quantity_decimals,
                                  stock_tracked)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19)
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
            cost,
            line.discount_net_minor,
            line.reward_discount_minor,
            line.quantity_decimals,
            line.track_stock
        ],
        |r| r.get(0),
    )?)
}

/// The payment rows; on account and store credit name the customer.
fn write_payments(tx: &Tx<'_>, plan: &Plan, now: i64) -> Result<Vec<PaymentView>> {
    let mut views = Vec::with_capacity(plan.payments.len());
    for p in &plan.payments {
        let id: i64 = tx.execute_returning(
            "INSERT INTO payments (order_id, tender, amount_minor, tendered_minor, change_minor,
                                   reference, customer_id, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             RETURNING id",
            rusqlite::params![
                plan.order_id,
                p.tender.as_str(),
                p.amount,
                p.tendered,
                p.change,
                p.reference,
                p.tender.customer(plan.quote.customer_id),
                now
            ],
            |r| r.get(0),
        )?;
        views.push(PaymentView {
            id,
            tender: p.tender,
            amount_minor: p.amount,
            tendered_minor: p.tendered,
            change_minor: p.change,
            reference: p.reference.clone(),
        });
    }
    Ok(views)
}

/// The sale's one balanced entry: the tenders (what each kept) against
/// revenue before discount, the discount on its own account (both net of tax)
/// and the tax; and the cost of the batches taken, Dr COGS / Cr inventory.
///
/// Empty when nothing changed hands (free goods that cost nothing), even if a
/// discount made them free: the books would show revenue and discount cancelling.
fn journal_lines(quote: &CartQuote, payments: &[PlannedPayment], cost: i64) -> Vec<Line<'static>> {
    if quote.total_minor == 0 && cost == 0 {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for tender in [
        Tender::Cash,
        Tender::Card,
        Tender::OnAccount,
        Tender::StoreCredit,
    ] {
        let amount = paid_by(payments, tender);
        if amount > 0 {
            let party = tender.customer(quote.customer_id).map(Party::Customer);
            lines.push(Line::debit(tender.account(), amount, party));
        }
    }
    let discount_net: i64 = quote.lines.iter().map(|l| l.discount_net_minor).sum();
    if discount_net > 0 {
        lines.push(Line::debit(codes::DISCOUNTS, discount_net, None));
    }
    let revenue = quote.net_minor + discount_net; // each ≤ 10^12
    if revenue > 0 {
        lines.push(Line::credit(codes::SALES_REVENUE, revenue, None));
    }
    if quote.tax_minor > 0 {
        lines.push(Line::credit(codes::TAX_PAYABLE, quote.tax_minor, None));
    }
    if cost > 0 {
        lines.push(Line::debit(codes::COST_OF_GOODS_SOLD, cost, None));
        lines.push(Line::credit(codes::INVENTORY, cost, None));
    }
    lines
}

/// The order row (exactly the reply), the reward redeemed, the shift and the
/// points earned, the audit row and the `sale.confirmed` event.
fn record(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CheckoutRequest,
    plan: &Plan,
    order: &OrderView,
) -> Result<()> {
    tx.execute(
        "INSERT INTO orders (id, number, receipt_number, status, customer_id, cashier_id,
                             prices_include_tax, line_count, discount_minor, net_minor, tax_minor,
                             total_minor, cost_minor, change_minor, entry_id, created_at_ms)
         VALUES (?1, ?2, ?3, 'confirmed', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        rusqlite::params![
            order.id,
            order.number,
            order.receipt_number,
            order.customer_id,
            order.cashier_id,
            order.prices_include_tax,
            order.lines.len() as i64,
            order.discount_minor,
            order.net_minor,
            order.tax_minor,
            order.total_minor,
            order.cost_minor,
            order.change_minor,
            order.entry_id,
            order.created_at_ms
        ],
    )?;
    let (user_id, now) = (order.cashier_id, order.created_at_ms);
    if let Some(r) = &plan.reward {
        loyalty::mark_redeemed(tx, r.claim_id, order.id, plan.quote.reward_discount_minor)?;
    }
    let shift_id = till::record_sale(tx, user_id, order.id)?;
    loyalty::earn_for_order(tx, order.id, user_id, now)?;

    let tenders: Vec<_> = plan
        .payments
        .iter()
        .map(|p| json!({ "tender": p.tender.as_str(), "amount_minor": p.amount, "change_minor": p.change }))
        .collect();
    ctx.audit(
        "order",
        order.id,
        json!({
            "number": order.number,
            "receipt_number": order.receipt_number,
            "customer_id": order.customer_id,
            "lines": order.lines.len(),
            "total_minor": order.total_minor,
            "tax_minor": order.tax_minor,
            "payments": tenders,
            "entry_id": order.entry_id,
            "shift_id": shift_id,
            "held_cart_id": req.held_cart_id,
            "loyalty_claim_id": req.loyalty_claim_id,
            "reward_discount_minor": plan.quote.reward_discount_minor,
            "discount_minor": plan.quote.discount_minor,
            "basket_discount": req.basket_discount,
            "basket_discount_minor": plan.quote.basket_discount_minor,
            "price_overrides": plan.quote.lines.iter()
                .filter_map(|l| l.price_override_reason.as_ref().map(|r| json!({
                    "line_no": l.line_no,
                    "list_price_minor": l.list_price_minor,
                    "unit_price_minor": l.unit_price_minor,
                    "reason": r,
                })))
                .collect::<Vec<_>>(),
            // T29: a sale over a `warn` limit goes through and says so here.
            "credit": plan.credit,
        }),
    );
    ctx.emit(
        "sale.confirmed",
        "order",
        order.id,
        json!({
            "number": order.number,
            "receipt_number": order.receipt_number,
            "customer_id": order.customer_id,
            "total_minor": order.total_minor,
            "tax_minor": order.tax_minor,
            "created_at_ms": now,
        }),
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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

    fn pay(tender: Tender, amount_minor: i64) -> PaymentInput {
        PaymentInput {
            tender,
            amount_minor,
            reference: (tender == Tender::Card).then(|| "T1".to_string()),
        }
    }

    #[test]
    fn payments_must_cover_the_total_exactly_except_cash_change() {
        let p = pay;
        assert!(plan_payments(100, &[p(Tender::Card, 100)]).is_ok());
        assert!(plan_payments(100, &[p(Tender::Card, 99)]).is_err());
        assert!(plan_payments(100, &[p(Tender::Card, 101)]).is_err());
        let plan = plan_payments(100, &[p(Tender::Card, 30), p(Tender::Cash, 100)]).unwrap();
        assert_eq!(plan[1].amount, 70);
        assert_eq!(plan[1].change, 30);
        assert!(plan_payments(100, &[p(Tender::Card, 100), p(Tender::Cash, 5)]).is_err());
        assert!(plan_payments(0, &[]).is_ok());
    }

    /// A quote line as `compute` would make it, excluding tax.
    fn line(
        line_no: i64,
        gross: i64,
        discount: i64,
        discount_net: i64,
        net: i64,
        tax: i64,
    ) -> QuoteLine {
        QuoteLine {
            line_no,
            product_id: line_no,
            sku: format!("SKU-{line_no}"),
            name: format!("Product {line_no}"),
            quantity: 1,
            list_price_minor: gross,
            unit_price_minor: gross,
            gross_minor: gross,
            discount_minor: discount,
            reward_discount_minor: 0,
            basket_discount_minor: 0,
            price_override_reason: None,
            discount_net_minor: discount_net,
            tax_rate_bp: 2000,
            net_minor: net,
            tax_minor: tax,
            total_minor: net + tax,
            rule_applied: None,
            unit: crate::catalog::Unit::Each,
            quantity_decimals: 0,
            track_stock: true,
            available_quantity: None,
            standard_cost_minor: None,
        }
    }

    fn cart(customer_id: Option<i64>, lines: Vec<QuoteLine>) -> CartQuote {
        CartQuote {
            customer_id,
            prices_include_tax: false,
            loyalty_claim_id: None,
            reward_discount_minor: 0,
            basket_discount_minor: 0,
            discount_minor: lines.iter().map(|l| l.discount_minor).sum(),
            net_minor: lines.iter().map(|l| l.net_minor).sum(),
            tax_minor: lines.iter().map(|l| l.tax_minor).sum(),
            total_minor: lines.iter().map(|l| l.total_minor).sum(),
            lines,
        }
    }

    #[test]
    fn journal_lines_of_a_discounted_taxed_sale_paid_three_ways() {
        // 20 % tax, prices exclude it. Line 1: 1000 less a 100 discount = 900
        // net, 180 tax; line 2: 250 net, 50 tax. The cart comes to 1380.
        let quote = cart(
            Some(7),
            vec![
                line(1, 1000, 100, 100, 900, 180),
                line(2, 250, 0, 0, 250, 50),
            ],
        );
        assert_eq!(quote.total_minor, 1380);
        // 600 by card, 400 on account, 500 cash handed over: 380 due, 120 change.
        let payments = plan_payments(
            1380,
            &[
                pay(Tender::Card, 600),
                pay(Tender::OnAccount, 400),
                pay(Tender::Cash, 500),
            ],
        )
        .unwrap();
        // The batches taken cost 640.
        let lines = journal_lines(&quote, &payments, 640);
        let customer = Some(Party::Customer(7));
        assert_eq!(
            lines,
            vec![
                Line::debit(codes::CASH, 380, None),
                Line::debit(codes::CARD_CLEARING, 600, None),
                Line::debit(codes::ACCOUNTS_RECEIVABLE, 400, customer),
                Line::debit(codes::DISCOUNTS, 100, None),
                // Revenue before discount: 900 + 250 + 100.
                Line::credit(codes::SALES_REVENUE, 1250, None),
                Line::credit(codes::TAX_PAYABLE, 230, None),
                Line::debit(codes::COST_OF_GOODS_SOLD, 640, None),
                Line::credit(codes::INVENTORY, 640, None),
            ]
        );
        let debits: i64 = lines.iter().map(|l| l.debit_minor).sum();
        let credits: i64 = lines.iter().map(|l| l.credit_minor).sum();
        assert_eq!((debits, credits), (2120, 2120));
    }

    #[test]
    fn journal_lines_are_empty_when_nothing_changed_hands() {
        // Discounted to nothing and costing nothing: no entry at all, rather
        // than a discount and revenue that cancel.
        let quote = cart(None, vec![line(1, 100, 100, 100, 0, 0)]);
        let payments = plan_payments(0, &[]).unwrap();
        assert!(journal_lines(&quote, &payments, 0).is_empty());
        // The same free line from stock that cost something moves the cost.
        assert_eq!(
            journal_lines(&quote, &payments, 30),
            vec![
                Line::debit(codes::DISCOUNTS, 100, None),
                Line::credit(codes::SALES_REVENUE, 100, None),
                Line::debit(codes::COST_OF_GOODS_SOLD, 30, None),
                Line::credit(codes::INVENTORY, 30, None),
            ]
        );
    }
}
