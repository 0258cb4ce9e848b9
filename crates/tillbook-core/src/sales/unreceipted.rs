//! `sales.refund_unreceipted`: a refund without the original receipt.
//!
//! The customer brings goods back but not the receipt, so there is no order
//! line to refund: the refund names products and quantities, priced as they
//! sell today (`quote::compute`, the one pricing path, without discounts), and
//! the money goes to the customer's store credit or out of the drawer in cash.
//! It needs its own permission (`sales.refund_unreceipted`, owner and manager;
//! a cashier asks a manager to approve it), checked by the dispatcher.
//!
//! One transaction writes the refund (gapless number), its lines, the stock
//! (a `return` into the product's most recently received batch, then a
//! `damage` when it can't be sold again; nothing for an untracked product), one journal entry (Dr revenue net
//! and tax payable, Cr cash or store credit; Dr inventory / Cr COGS at the
//! batch's cost for restocked units), the audit row and the event. Cash needs
//! an open drawer (`till::require_drawer`); the cash refund is tied to that
//! shift, and its expected cash counts it (`till::z_report`).

use super::cart::CartLine;
use super::quote::{compute, CartQuote};
use super::refunds::{HandBack, HandBackAction, StockDisposition};
use crate::db::rows::next_number;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::ledger::{self, codes, JournalEntry, Line, Party};
use crate::shared::handler::{Request, WriteCtx};
use crate::shared::validate;
use crate::stock::{self, Move, MovementKind, Source};
use crate::till;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter giving these refunds their gapless numbers.
pub const UNRECEIPTED_REFUND_COUNTER: &str = "unreceipted_refunds";
/// A return at the counter is a few items, not a delivery.
pub const MAX_UNRECEIPTED_LINES: usize = 100;
const MAX_LINE_QUANTITY: i64 = 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "UnreceiptedRefundTo")]
#[serde(rename_all = "snake_case")]
pub enum UnreceiptedRefundTo {
    /// Notes and coins out of the drawer (needs an open shift).
    Cash,
    /// The customer's store credit (needs `customer_id`).
    StoreCredit,
}

impl UnreceiptedRefundTo {
    pub fn as_str(self) -> &'static str {
        match self {
            UnreceiptedRefundTo::Cash => "cash",
            UnreceiptedRefundTo::StoreCredit => "store_credit",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct UnreceiptedLineInput {
    pub product_id: i64,
    pub quantity: i64,
    pub stock: StockDisposition,
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct UnreceiptedRefundRequest {
    pub lines: Vec<UnreceiptedLineInput>,
    pub refund_to: UnreceiptedRefundTo,
    /// Whose store credit; required for `store_credit`, refused for `cash`.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub customer_id: Option<i64>,
    /// 1 to 500 characters: why, and what the customer said.
    pub reason: String,
}

impl Request for UnreceiptedRefundRequest {
    fn validate(&self) -> Result<()> {
        validate::text("reason", self.reason.trim(), 1, 500)?;
        if self.lines.is_empty() || self.lines.len() > MAX_UNRECEIPTED_LINES {
            return Err(Error::validation(
                "lines",
                format!("must have 1 to {MAX_UNRECEIPTED_LINES} lines"),
            ));
        }
        for (i, l) in self.lines.iter().enumerate() {
            validate::id(&format!("lines[{i}].product_id"), l.product_id)?;
            if !(1..=MAX_LINE_QUANTITY).contains(&l.quantity) {
                return Err(Error::validation(
                    format!("lines[{i}].quantity"),
                    format!("must be 1 to {MAX_LINE_QUANTITY}, got {}", l.quantity),
                ));
            }
        }
        match (self.refund_to, self.customer_id) {
            (UnreceiptedRefundTo::StoreCredit, None) => Err(Error::validation(
                "customer_id",
                "store credit needs the customer it is for",
            )),
            (UnreceiptedRefundTo::Cash, Some(_)) => Err(Error::validation(
                "customer_id",
                "a cash refund goes to whoever is at the counter; leave the customer out",
            )),
            (_, Some(c)) => validate::id("customer_id", c),
            _ => Ok(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct UnreceiptedRefundView {
    pub id: i64,
    pub number: i64,
    pub refund_to: UnreceiptedRefundTo,
    pub customer_id: Option<i64>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub restocked_cost_minor: i64,
    pub entry_id: Option<i64>,
    pub shift_id: Option<i64>,
    /// What to hand back ("give 4.52 cash", or onto store credit).
    pub hand_back: Vec<HandBack>,
}

/// `sales.refund_unreceipted`: see the module documentation.
pub fn refund_unreceipted(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &UnreceiptedRefundRequest,
) -> Result<UnreceiptedRefundView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    // Today's price of each product, through the one pricing path.
    let cart: Vec<CartLine> = req
        .lines
        .iter()
        .map(|l| CartLine {
            product_id: l.product_id,
            quantity: l.quantity,
            discount_minor: 0,
            discount_percent_bp: None,
            discount_preset_id: None,
            price_override_minor: None,
            price_override_reason: None,
        })
        .collect();
    let quote = compute(
        conn,
        req.customer_id,
        &cart,
        None,
        // The mode in effect at the sale's instant (a dated switch), not today's setting.
        crate::catalog::tax::mode_at(conn, ctx.now_ms, ctx.settings.prices_include_tax)?,
        now,
        None,
    )?;
    let cash = req.refund_to == UnreceiptedRefundTo::Cash;
    let shift_id = if cash {
        till::require_drawer(tx, actor.user_id, till::CashUse::Cash, false, ctx.settings)?
    } else {
        None
    };
    let refund_id: i64 = conn.cached_row(
        "SELECT coalesce(max(id), 0) + 1 FROM unreceipted_refunds",
        [],
        |r| r.get(0),
    )?;
    let number = next_number(tx, UNRECEIPTED_REFUND_COUNTER)?;
    let reason = req.reason.trim();
    let (rows, restocked_cost) =
        stock_back(tx, req, &quote, refund_id, number, actor.user_id, now)?;
    let entry_id = post_entry(
        tx,
        req,
        &quote,
        restocked_cost,
        refund_id,
        number,
        actor.user_id,
        now,
    )?;
    tx.execute(
        "INSERT INTO unreceipted_refunds (id, number, refund_to, customer_id, reason, line_count,
             net_minor, tax_minor, total_minor, restocked_cost_minor, entry_id, shift_id,
             created_by, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        rusqlite::params![
            refund_id,
            number,
            req.refund_to.as_str(),
            req.customer_id,
            reason,
            req.lines.len() as i64,
            quote.net_minor,
            quote.tax_minor,
            quote.total_minor,
            restocked_cost,
            entry_id,
            shift_id,
            actor.user_id,
            now
        ],
    )?;
    write_lines(tx, refund_id, &rows)?;
    let summary = json!({
        "number": number,
        "refund_to": req.refund_to.as_str(),
        "customer_id": req.customer_id,
        "reason": reason,
        "lines": req.lines.len(),
        "total_minor": quote.total_minor,
        "tax_minor": quote.tax_minor,
        "restocked_cost_minor": restocked_cost,
        "entry_id": entry_id,
        "shift_id": shift_id,
    });
    ctx.audit("unreceipted_refund", refund_id, summary.clone());
    ctx.emit(
        "sale.refunded_unreceipted",
        "unreceipted_refund",
        refund_id,
        summary,
    );
    let action = if cash {
        HandBackAction::GiveCash
    } else {
        HandBackAction::StoreCredit
    };
    Ok(UnreceiptedRefundView {
        id: refund_id,
        number,
        refund_to: req.refund_to,
        customer_id: req.customer_id,
        net_minor: quote.net_minor,
        tax_minor: quote.tax_minor,
        total_minor: quote.total_minor,
        restocked_cost_minor: restocked_cost,
        entry_id,
        shift_id,
        hand_back: if quote.total_minor > 0 {
            vec![HandBack {
                action,
                amount_minor: quote.total_minor,
            }]
        } else {
            Vec::new()
        },
    })
}

/// One line as written: the request's line, its price, and where its units went.
struct LineRow<'r> {
    input: &'r UnreceiptedLineInput,
    /// `restock`, `damage`, or `untracked` for a product whose stock is not counted.
    stock: &'static str,
    net_minor: i64,
    tax_minor: i64,
    batch_id: Option<i64>,
    unit_cost_minor: i64,
    return_id: Option<i64>,
    damage_id: Option<i64>,
}

/// The stock disposition stored for a line that moved no stock.
const UNTRACKED: &str = "untracked";

/// Each tracked line's units back into its product's most recently received
/// batch (`return`), then `damage` when they can't be sold again; untracked
/// lines move nothing. Answers the lines and what the restocked units cost.
fn stock_back<'r>(
    tx: &Tx<'_>,
    req: &'r UnreceiptedRefundRequest,
    quote: &CartQuote,
    refund_id: i64,
    number: i64,
    user_id: i64,
    now: i64,
) -> Result<(Vec<LineRow<'r>>, i64)> {
    let conn = tx.conn();
    let memo_reason = format!("refund without receipt {number}: {}", req.reason.trim());
    let source = Source {
        source_type: Some("unreceipted_refund".into()),
        source_id: Some(refund_id.to_string()),
    };
    let mut restocked_cost = 0i64;
    let mut rows = Vec::with_capacity(req.lines.len());
    for (i, (l, q)) in req.lines.iter().zip(&quote.lines).enumerate() {
        if !q.track_stock {
            // Nothing was taken from stock when it sold, so nothing goes back.
            rows.push(LineRow {
                input: l,
                stock: UNTRACKED,
                net_minor: q.net_minor,
                tax_minor: q.tax_minor,
                batch_id: None,
                unit_cost_minor: 0,
                return_id: None,
                damage_id: None,
            });
            continue;
        }
        let batch: Option<(i64, i64)> = conn
            .cached_row(
                "SELECT id, unit_cost_minor FROM batches WHERE product_id = ?1
                 ORDER BY received_at_ms DESC, id DESC LIMIT 1",
                [l.product_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((batch_id, unit_cost)) = batch else {
            return Err(Error::validation(
                format!("lines[{i}].product_id"),
                format!(
                    "{} was never received, so it can't go back to stock",
                    q.name
                ),
            ));
        };
        let movement = |kind, quantity| Move {
            batch_id,
            kind,
            quantity,
            reason: &memo_reason,
            user_id: Some(user_id),
            source: source.clone(),
            at_ms: now,
        };
        let return_id = stock::move_stock(tx, &movement(MovementKind::Return, l.quantity))?;
        let damage_id = match l.stock {
            StockDisposition::Restock => {
                // Per kg × grams: scaled and rounded once, as the sale's COGS was.
                let cost = stock::cost_of_picks(&[(unit_cost, l.quantity)], q.quantity_decimals)?;
                restocked_cost = restocked_cost
                    .checked_add(cost)
                    .ok_or_else(|| Error::internal("the restocked cost overflows"))?;
                None
            }
            StockDisposition::Damage => Some(stock::move_stock(
                tx,
                &movement(MovementKind::Damage, -l.quantity),
            )?),
        };
        rows.push(LineRow {
            input: l,
            stock: l.stock.as_str(),
            net_minor: q.net_minor,
            tax_minor: q.tax_minor,
            batch_id: Some(batch_id),
            unit_cost_minor: unit_cost,
            return_id: Some(return_id),
            damage_id,
        });
    }
    Ok((rows, restocked_cost))
}

/// The refund's one entry: Dr revenue net and tax payable, Cr cash or the
/// customer's store credit; Dr inventory / Cr COGS for restocked units.
#[allow(clippy::too_many_arguments)]
fn post_entry(
    tx: &Tx<'_>,
    req: &UnreceiptedRefundRequest,
    quote: &CartQuote,
    restocked_cost: i64,
    refund_id: i64,
    number: i64,
    user_id: i64,
    now: i64,
) -> Result<Option<i64>> {
    let (paid_to, party) = match req.refund_to {
        UnreceiptedRefundTo::Cash => (codes::CASH, None),
        UnreceiptedRefundTo::StoreCredit => {
            (codes::STORE_CREDIT, req.customer_id.map(Party::Customer))
        }
    };
    let mut lines = Vec::new();
    if quote.net_minor > 0 {
        lines.push(Line::debit(codes::SALES_REVENUE, quote.net_minor, None));
    }
    if quote.tax_minor > 0 {
        lines.push(Line::debit(codes::TAX_PAYABLE, quote.tax_minor, None));
    }
    if quote.total_minor > 0 {
        lines.push(Line::credit(paid_to, quote.total_minor, party));
    }
    if restocked_cost > 0 {
        lines.push(Line::debit(codes::INVENTORY, restocked_cost, None));
        lines.push(Line::credit(
            codes::COST_OF_GOODS_SOLD,
            restocked_cost,
            None,
        ));
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let memo = format!("Refund without receipt {number}");
    Ok(Some(ledger::post(
        tx,
        &JournalEntry {
            posted_at_ms: now,
            memo: &memo,
            source_type: "unreceipted_refund",
            source_id: refund_id,
            user_id,
            reverses_entry_id: None,
            lines,
        },
    )?))
}

fn write_lines(tx: &Tx<'_>, refund_id: i64, rows: &[LineRow<'_>]) -> Result<()> {
    for r in rows {
        tx.execute(
            "INSERT INTO unreceipted_refund_lines (refund_id, product_id, quantity, stock,
                 net_minor, tax_minor, batch_id, unit_cost_minor, return_movement_id,
                 damage_movement_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                refund_id,
                r.input.product_id,
                r.input.quantity,
                r.stock,
                r.net_minor,
                r.tax_minor,
                r.batch_id,
                r.unit_cost_minor,
                r.return_id,
                r.damage_id
            ],
        )?;
    }
    Ok(())
}
