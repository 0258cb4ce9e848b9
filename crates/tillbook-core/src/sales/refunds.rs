//! Refunds of confirmed sales: full or partial, by order line.
//!
//! `sales.refund` writes, in one transaction, a refund (gapless number from the
//! counter `refunds`), its lines, the batches each refunded unit went back to
//! with their `return` movements (source `refund`; damaged goods also get a
//! `damage` movement so stock reconciles, T30), the money handed back per
//! tender, and one reversing journal entry: Dr sales revenue (net plus the
//! line's discount net of tax), Cr discounts (that discount), Dr tax
//! payable, Cr the order's tenders (split with [`Money::allocate`]) or the
//! customer's store credit; Dr inventory / Cr cost of goods sold at batch cost
//! for restocked units. Nothing of the original sale is changed (T31).
//!
//! A line's refunded net, tax and discount are computed cumulatively —
//! `round(line × refunded_after / qty) − round(line × refunded_before / qty)` —
//! so refunding a line in parts gives back exactly the line, cent for cent.
//!
//! The steps, in the order they write: `plan` (the order, the number, each
//! line's share and batches — reads only, besides the counter),
//! `stock_back`, `money_back`, the entry of `journal_lines` (pure), and
//! `record` (the refund row, the shift and loyalty hooks, the audit row and
//! the event).

use super::cart::MAX_LINE_QUANTITY;
use super::checkout::Tender;
use super::void::ensure_not_voided;
use crate::db::rows::{gapless_drift, next_number};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::ledger::{self, codes, JournalEntry, Line, Party};
use crate::shared::findings::Findings;
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::money::Money;
use crate::shared::validate;
use crate::stock::{self, Move, MovementKind, Source};
use crate::{loyalty, till};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter refund numbers come from.
pub const REFUND_COUNTER: &str = "refunds";
/// Most lines in one refund (as many as an order can have).
pub const MAX_REFUND_LINES: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundStockDisposition")]
#[serde(rename_all = "snake_case")]
pub enum StockDisposition {
    /// Back on the shelf, into the batches the line was taken from.
    Restock,
    /// Returned, then written off as damaged.
    Damage,
}

impl StockDisposition {
    pub fn as_str(self) -> &'static str {
        match self {
            StockDisposition::Restock => "restock",
            StockDisposition::Damage => "damage",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundTo")]
#[serde(rename_all = "snake_case")]
pub enum RefundTo {
    /// The order's tenders, in proportion to what each paid.
    Original,
    /// Store credit for the order's customer.
    StoreCredit,
}

impl RefundTo {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundTo::Original => "original",
            RefundTo::StoreCredit => "store_credit",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundLineInput")]
#[serde(deny_unknown_fields)]
pub struct RefundLineInput {
    pub order_line_id: i64,
    pub quantity: i64,
    pub stock: StockDisposition,
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundRequest")]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    pub order_id: i64,
    pub lines: Vec<RefundLineInput>,
    pub refund_to: RefundTo,
    pub reason: String,
}

impl Request for RefundRequest {
    fn validate(&self) -> Result<()> {
        validate::text("reason", self.reason.trim(), 1, 500)?;
        if self.lines.is_empty() || self.lines.len() > MAX_REFUND_LINES {
            return Err(Error::validation(
                "lines",
                format!("must have 1 to {MAX_REFUND_LINES} lines"),
            ));
        }
        for (i, l) in self.lines.iter().enumerate() {
            if !(1..=MAX_LINE_QUANTITY).contains(&l.quantity) {
                return Err(Error::validation(
                    format!("lines[{i}].quantity"),
                    format!("must be 1 to {MAX_LINE_QUANTITY}, got {}", l.quantity),
                ));
            }
            if self.lines[..i]
                .iter()
                .any(|o| o.order_line_id == l.order_line_id)
            {
                return Err(Error::validation(
                    format!("lines[{i}].order_line_id"),
                    "each order line at most once per refund",
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundsRequest")]
#[serde(deny_unknown_fields)]
pub struct RefundsRequest {
    pub order_id: i64,
}

impl Request for RefundsRequest {}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundLineView")]
pub struct RefundLineView {
    pub id: i64,
    pub order_line_id: i64,
    pub quantity: i64,
    pub stock: String,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub cost_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundPaymentView")]
pub struct RefundPaymentView {
    pub tender: String,
    pub amount_minor: i64,
    pub customer_id: Option<i64>,
}

/// What the cashier does with one tender's share of a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundHandBackAction")]
#[serde(rename_all = "snake_case")]
pub enum HandBackAction {
    /// Notes and coins out of the drawer.
    GiveCash,
    /// Back to the card the customer paid with (on the terminal).
    RefundToCard,
    /// Onto the customer's store credit.
    StoreCredit,
    /// Off the customer's account balance.
    CreditAccount,
}

/// One instruction of "what to hand back": "give 4.52 cash", "refund 9.48 to the card".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundHandBack")]
pub struct HandBack {
    pub action: HandBackAction,
    pub amount_minor: i64,
}

/// The refund's payments as instructions, cash first (it is handed over at
/// once, while the card refund runs on the terminal).
pub fn hand_back_of(payments: &[RefundPaymentView]) -> Vec<HandBack> {
    let mut out: Vec<HandBack> = payments
        .iter()
        .map(|p| HandBack {
            action: match Tender::parse(&p.tender) {
                Tender::Cash => HandBackAction::GiveCash,
                Tender::Card => HandBackAction::RefundToCard,
                Tender::StoreCredit => HandBackAction::StoreCredit,
                Tender::OnAccount => HandBackAction::CreditAccount,
            },
            amount_minor: p.amount_minor,
        })
        .collect();
    out.sort_by_key(|h| h.action != HandBackAction::GiveCash);
    out
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundView")]
pub struct RefundView {
    pub id: i64,
    pub number: i64,
    pub order_id: i64,
    pub refund_to: String,
    pub customer_id: Option<i64>,
    pub reason: String,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub restocked_cost_minor: i64,
    pub entry_id: Option<i64>,
    pub created_by: i64,
    pub created_at_ms: i64,
    pub lines: Vec<RefundLineView>,
    pub payments: Vec<RefundPaymentView>,
    /// What to hand back, per tender, in the order the cashier does it.
    pub hand_back: Vec<HandBack>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RefundList")]
pub struct RefundList {
    pub refunds: Vec<RefundView>,
}

/// `round(amount × num / den)`, half away from zero (amounts are never negative).
fn share(amount: i64, num: i64, den: i64) -> i64 {
    let (a, n, d) = (amount as i128, num as i128, den as i128);
    ((2 * a * n + d) / (2 * d)) as i64
}

pub fn get_refund(conn: &Connection, id: i64) -> Result<RefundView> {
    let mut v = conn
        .cached_row(
            "SELECT id, number, order_id, refund_to, customer_id, reason, net_minor, tax_minor,
                    total_minor, restocked_cost_minor, entry_id, created_by, created_at_ms
             FROM refunds WHERE id = ?1",
            [id],
            |r| {
                Ok(RefundView {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    order_id: r.get(2)?,
                    refund_to: r.get(3)?,
                    customer_id: r.get(4)?,
                    reason: r.get(5)?,
                    net_minor: r.get(6)?,
                    tax_minor: r.get(7)?,
                    total_minor: r.get(8)?,
                    restocked_cost_minor: r.get(9)?,
                    entry_id: r.get(10)?,
                    created_by: r.get(11)?,
                    created_at_ms: r.get(12)?,
                    lines: Vec::new(),
                    payments: Vec::new(),
                    hand_back: Vec::new(),
                })
            },
        )
        .optional()?
        .ok_or_else(|| Error::not_found("refund", id))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, order_line_id, quantity, stock, net_minor, tax_minor, total_minor, cost_minor
         FROM refund_lines WHERE refund_id = ?1 ORDER BY id",
    )?;
    v.lines = stmt
        .query_map([id], |r| {
            Ok(RefundLineView {
                id: r.get(0)?,
                order_line_id: r.get(1)?,
                quantity: r.get(2)?,
                stock: r.get(3)?,
                net_minor: r.get(4)?,
                tax_minor: r.get(5)?,
                total_minor: r.get(6)?,
                cost_minor: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT tender, amount_minor, customer_id FROM refund_payments
         WHERE refund_id = ?1 ORDER BY id",
    )?;
    v.payments = stmt
        .query_map([id], |r| {
            Ok(RefundPaymentView {
                tender: r.get(0)?,
                amount_minor: r.get(1)?,
                customer_id: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    v.hand_back = hand_back_of(&v.payments);
    Ok(v)
}

/// `sales.refunds`: the refunds of one order, oldest first.
pub fn list(_ctx: &ReadCtx<'_>, conn: &Connection, req: &RefundsRequest) -> Result<RefundList> {
    let exists: Option<i64> = conn
        .cached_row("SELECT id FROM orders WHERE id = ?1", [req.order_id], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Err(Error::not_found("order", req.order_id));
    }
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM refunds WHERE order_id = ?1 ORDER BY id")?
        .query_map([req.order_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let refunds = ids
        .into_iter()
        .map(|id| get_refund(conn, id))
        .collect::<Result<_>>()?;
    Ok(RefundList { refunds })
}

/// One line of a refund, worked out before anything is written.
struct LinePlan<'r> {
    input: &'r RefundLineInput,
    /// This refund's share of the sold line's net, tax and discount net of tax.
    net: i64,
    tax: i64,
    discount_net: i64,
    /// `(batch_id, unit_cost_minor, quantity)`: where the units go back to,
    /// most recently picked first.
    batches: Vec<(i64, i64, i64)>,
    /// What the restocked units cost (0 when they are written off as damaged).
    cost: i64,
}

/// A refund's amounts: the sums of its lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    net: i64,
    tax: i64,
    discount_net: i64,
    restocked_cost: i64,
}

impl Totals {
    /// What the customer gets back.
    fn total(&self) -> i64 {
        self.net + self.tax
    }
}

/// What a refund settles before it writes.
struct Plan<'r> {
    order_number: i64,
    customer_id: Option<i64>,
    refund_id: i64,
    number: i64,
    lines: Vec<LinePlan<'r>>,
    totals: Totals,
}

/// Money handed back: a tender's share, or the customer's store credit.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PaidBack {
    tender: Tender,
    amount: i64,
    customer_id: Option<i64>,
}

/// `sales.refund`: see the module documentation.
pub fn refund(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &RefundRequest) -> Result<RefundView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let plan = plan(tx, req)?;
    stock_back(tx, req, &plan, actor.user_id, now)?;
    let paid_back = money_back(tx, req, &plan, now)?;
    till::require_drawer(
        tx,
        actor.user_id,
        till::CashUse::when(paid_back.iter().any(|p| p.tender == Tender::Cash)),
        false,
        ctx.settings,
    )?;
    let journal = journal_lines(&plan.totals, &paid_back);
    let entry_id = if journal.is_empty() {
        None
    } else {
        let memo = format!("Refund {} of order {}", plan.number, plan.order_number);
        Some(ledger::post(
            tx,
            &JournalEntry {
                posted_at_ms: now,
                memo: &memo,
                source_type: "refund",
                source_id: plan.refund_id,
                user_id: actor.user_id,
                reverses_entry_id: None,
                lines: journal,
            },
        )?)
    };
    record(ctx, tx, req, &plan, entry_id)
}

/// The order (not voided; with a customer when the money goes to store
/// credit), the refund's id and number, and each line's share and batches.
fn plan<'r>(tx: &Tx<'_>, req: &'r RefundRequest) -> Result<Plan<'r>> {
    let conn = tx.conn();
    let order: Option<(i64, Option<i64>)> = conn
        .cached_row(
            "SELECT number, customer_id FROM orders WHERE id = ?1",
            [req.order_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((order_number, customer_id)) = order else {
        return Err(Error::validation(
            "order_id",
            format!("no order {}", req.order_id),
        ));
    };
    ensure_not_voided(conn, req.order_id)?;
    if req.refund_to == RefundTo::StoreCredit && customer_id.is_none() {
        return Err(Error::validation(
            "refund_to",
            format!("order {order_number} has no customer to give store credit to"),
        ));
    }
    let refund_id: i64 =
        conn.cached_row("SELECT coalesce(max(id), 0) + 1 FROM refunds", [], |r| {
            r.get(0)
        })?;
    let number = next_number(tx, REFUND_COUNTER)?;
    let lines = req
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| plan_line(conn, req.order_id, i, l))
        .collect::<Result<Vec<_>>>()?;
    let totals = lines.iter().fold(Totals::default(), |t, l| Totals {
        net: t.net + l.net,
        tax: t.tax + l.tax,
        discount_net: t.discount_net + l.discount_net,
        restocked_cost: t.restocked_cost + l.cost,
    });
    Ok(Plan {
        order_number,
        customer_id,
        refund_id,
        number,
        lines,
        totals,
    })
}

/// Line `i`: the order line (of this order, with enough unrefunded units),
/// this refund's cumulative share of its net, tax and discount, and the
/// batches its units go back to.
fn plan_line<'r>(
    conn: &Connection,
    order_id: i64,
    i: usize,
    l: &'r RefundLineInput,
) -> Result<LinePlan<'r>> {
    let field = format!("lines[{i}].order_line_id");
    let sold: Option<(i64, i64, i64, i64, i64)> = conn
        .cached_row(
            "SELECT order_id, quantity, net_minor, tax_minor, discount_net_minor
             FROM order_lines WHERE id = ?1",
            [l.order_line_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    // An untracked line took nothing from stock, so nothing goes back (and
    // "damaged" changes nothing); a weighed line's cost is scaled like checkout's.
    let (tracked, decimals): (bool, u32) = conn
        .cached_row(
            "SELECT stock_tracked, quantity_decimals FROM order_lines WHERE id = ?1",
            [l.order_line_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((true, 0));
    let (quantity, net, tax, discount_net) = match sold {
        None => {
            return Err(Error::validation(
                field,
                format!("no order line {}", l.order_line_id),
            ))
        }
        Some((o, ..)) if o != order_id => {
            return Err(Error::validation(
                field,
                format!("order line {} belongs to another order", l.order_line_id),
            ))
        }
        Some((_, q, n, t, d)) => (q, n, t, d),
    };
    let before: i64 = conn.cached_row(
        "SELECT coalesce(sum(quantity), 0) FROM refund_lines WHERE order_line_id = ?1",
        [l.order_line_id],
        |r| r.get(0),
    )?;
    let left = quantity - before;
    if l.quantity > left {
        return Err(Error::validation(
            format!("lines[{i}].quantity"),
            format!(
                "order line {} has {left} unrefunded units, not {}",
                l.order_line_id, l.quantity
            ),
        ));
    }
    let after = before + l.quantity;
    let part = |amount| share(amount, after, quantity) - share(amount, before, quantity);

    // Back to the batches the line used, most recently picked first.
    let picks: Vec<(i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT b.batch_id, b.unit_cost_minor,
                    b.quantity - coalesce((SELECT sum(rb.quantity) FROM refund_line_batches rb
                                           JOIN refund_lines rl ON rl.id = rb.refund_line_id
                                           WHERE rl.order_line_id = b.line_id
                                             AND rb.batch_id = b.batch_id), 0)
             FROM order_line_batches b WHERE b.line_id = ?1 ORDER BY b.id DESC",
        )?
        .query_map([l.order_line_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut batches = Vec::new();
    let mut remaining = l.quantity;
    if !tracked {
        remaining = 0;
    }
    for (batch_id, unit_cost, open) in picks.into_iter().filter(|_| tracked) {
        let qty = remaining.min(open);
        if qty > 0 {
            remaining -= qty;
            batches.push((batch_id, unit_cost, qty));
        }
    }
    if remaining != 0 {
        return Err(Error::internal(format!(
            "order line {} has no batches left to return {remaining} units to",
            l.order_line_id
        )));
    }
    let cost = match l.stock {
        StockDisposition::Restock => stock::cost_of_picks(
            &batches.iter().map(|(_, c, q)| (*c, *q)).collect::<Vec<_>>(),
            decimals,
        )?,
        StockDisposition::Damage => 0,
    };
    Ok(LinePlan {
        input: l,
        net: part(net),
        tax: part(tax),
        discount_net: part(discount_net),
        batches,
        cost,
    })
}

/// The refund's lines, and per batch a `return` movement (and a `damage`
/// one for damaged goods) and the batch row.
fn stock_back(
    tx: &Tx<'_>,
    req: &RefundRequest,
    plan: &Plan<'_>,
    user_id: i64,
    now: i64,
) -> Result<()> {
    let source = Source {
        source_type: Some("refund".into()),
        source_id: Some(plan.refund_id.to_string()),
    };
    let reason = format!(
        "refund {} of order {}: {}",
        plan.number,
        plan.order_number,
        req.reason.trim()
    );
    let movement = |batch_id, kind, quantity| Move {
        batch_id,
        kind,
        quantity,
        reason: &reason,
        user_id: Some(user_id),
        source: source.clone(),
        at_ms: now,
    };
    for line in &plan.lines {
        let l = line.input;
        let line_id: i64 = tx.execute_returning(
            "INSERT INTO refund_lines (refund_id, order_line_id, quantity, stock, net_minor,
                                       tax_minor, total_minor, cost_minor, discount_net_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
            rusqlite::params![
                plan.refund_id,
                l.order_line_id,
                l.quantity,
                l.stock.as_str(),
                line.net,
                line.tax,
                line.net + line.tax,
                line.cost,
                line.discount_net
            ],
            |r| r.get(0),
        )?;
        for &(batch_id, unit_cost, qty) in &line.batches {
            let return_id = stock::move_stock(tx, &movement(batch_id, MovementKind::Return, qty))?;
            let damage_id = match l.stock {
                StockDisposition::Restock => None,
                StockDisposition::Damage => Some(stock::move_stock(
                    tx,
                    &movement(batch_id, MovementKind::Damage, -qty),
                )?),
            };
            tx.execute(
                "INSERT INTO refund_line_batches (refund_line_id, batch_id, return_movement_id,
                                                  damage_movement_id, quantity, unit_cost_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![line_id, batch_id, return_id, damage_id, qty, unit_cost],
            )?;
        }
    }
    Ok(())
}

/// Where the money goes — the customer's store credit, or the order's tenders
/// in proportion to what each paid — and its rows.
fn money_back(
    tx: &Tx<'_>,
    req: &RefundRequest,
    plan: &Plan<'_>,
    now: i64,
) -> Result<Vec<PaidBack>> {
    let total = plan.totals.total();
    let paid_back = match req.refund_to {
        RefundTo::StoreCredit if total > 0 => vec![PaidBack {
            tender: Tender::StoreCredit,
            amount: total,
            customer_id: plan.customer_id,
        }],
        RefundTo::StoreCredit => Vec::new(),
        RefundTo::Original => {
            let payments: Vec<PaidBack> = tx
                .conn()
                .prepare_cached(
                    "SELECT tender, amount_minor, customer_id FROM payments
                     WHERE order_id = ?1 ORDER BY id",
                )?
                .query_map([req.order_id], |r| {
                    Ok(PaidBack {
                        tender: Tender::parse(&r.get::<_, String>(0)?),
                        amount: r.get(1)?,
                        customer_id: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            if total > 0 && payments.is_empty() {
                return Err(Error::validation(
                    "refund_to",
                    "the order has no payments to refund to",
                ));
            }
            split_back(total, &payments)?
        }
    };
    for p in &paid_back {
        tx.execute(
            "INSERT INTO refund_payments (refund_id, tender, amount_minor, customer_id, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![plan.refund_id, p.tender.as_str(), p.amount, p.customer_id, now],
        )?;
    }
    Ok(paid_back)
}

/// `total` split over what was paid, in proportion to each amount
/// ([`Money::allocate`], so the parts sum to it exactly); parts of 0 are left out.
fn split_back(total: i64, paid: &[PaidBack]) -> Result<Vec<PaidBack>> {
    if total <= 0 {
        return Ok(Vec::new());
    }
    let weights: Vec<u64> = paid
        .iter()
        .map(|p| p.amount.max(0).unsigned_abs())
        .collect();
    let parts = Money::from_minor(total)
        .allocate(&weights)
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(paid
        .iter()
        .zip(parts)
        .filter(|(_, part)| part.minor() > 0)
        .map(|(p, part)| PaidBack {
            amount: part.minor(),
            ..p.clone()
        })
        .collect())
}

/// The refund's one balanced entry, reversing its share of the sale: Dr
/// revenue (net plus the discount, as the sale credited revenue before
/// discount) / Cr discounts, Dr tax, Cr the money handed back, and for
/// restocked units Dr inventory / Cr COGS at batch cost.
///
/// Empty when no money and no stock value moves: as at checkout, a free
/// line's discount was never posted either.
fn journal_lines(t: &Totals, paid_back: &[PaidBack]) -> Vec<Line<'static>> {
    if t.total() == 0 && t.restocked_cost == 0 {
        return Vec::new();
    }
    let mut lines = Vec::new();
    if t.net + t.discount_net > 0 {
        lines.push(Line::debit(
            codes::SALES_REVENUE,
            t.net + t.discount_net,
            None,
        ));
    }
    if t.discount_net > 0 {
        lines.push(Line::credit(codes::DISCOUNTS, t.discount_net, None));
    }
    if t.tax > 0 {
        lines.push(Line::debit(codes::TAX_PAYABLE, t.tax, None));
    }
    for p in paid_back {
        let party = p.tender.customer(p.customer_id).map(Party::Customer);
        lines.push(Line::credit(p.tender.account(), p.amount, party));
    }
    if t.restocked_cost > 0 {
        lines.push(Line::debit(codes::INVENTORY, t.restocked_cost, None));
        lines.push(Line::credit(
            codes::COST_OF_GOODS_SOLD,
            t.restocked_cost,
            None,
        ));
    }
    lines
}

/// The refund row, the shift and the points taken back, the audit row and
/// the `sale.refunded` event; answers the refund as stored.
fn record(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &RefundRequest,
    plan: &Plan<'_>,
    entry_id: Option<i64>,
) -> Result<RefundView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let t = &plan.totals;
    tx.execute(
        "INSERT INTO refunds (id, number, order_id, refund_to, customer_id, reason, line_count,
                              net_minor, tax_minor, total_minor, restocked_cost_minor, entry_id,
                              created_by, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        rusqlite::params![
            plan.refund_id,
            plan.number,
            req.order_id,
            req.refund_to.as_str(),
            plan.customer_id,
            req.reason.trim(),
            req.lines.len() as i64,
            t.net,
            t.tax,
            t.total(),
            t.restocked_cost,
            entry_id,
            actor.user_id,
            now
        ],
    )?;
    till::record_refund(tx, actor.user_id, plan.refund_id)?;
    loyalty::reverse_for_refund(tx, plan.refund_id, actor.user_id, now)?;
    ctx.audit(
        "refund",
        plan.refund_id,
        json!({
            "number": plan.number,
            "order_id": req.order_id,
            "order_number": plan.order_number,
            "refund_to": req.refund_to.as_str(),
            "reason": req.reason.trim(),
            "lines": req.lines.len(),
            "total_minor": t.total(),
            "tax_minor": t.tax,
            "restocked_cost_minor": t.restocked_cost,
            "entry_id": entry_id,
        }),
    );
    ctx.emit(
        "sale.refunded",
        "refund",
        plan.refund_id,
        json!({
            "number": plan.number,
            "order_id": req.order_id,
            "total_minor": t.total(),
            "tax_minor": t.tax,
            "created_at_ms": now,
        }),
    );
    get_refund(tx.conn(), plan.refund_id)
}

/// Refund checks for `tillbook verify`: each refund equal to the sums of its
/// lines and of the money handed back, each line's batches equal to its
/// quantity, no line refunded beyond what was sold, and refund numbers gapless.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut found = Findings::new(conn, |what, id| format!("refund {id}: {what}"));
    found.check(
        "SELECT r.id FROM refunds r
         WHERE r.net_minor <> (SELECT coalesce(sum(net_minor), 0) FROM refund_lines WHERE refund_id = r.id)
            OR r.tax_minor <> (SELECT coalesce(sum(tax_minor), 0) FROM refund_lines WHERE refund_id = r.id)
            OR r.line_count <> (SELECT count(*) FROM refund_lines WHERE refund_id = r.id)",
        "totals differ from its lines",
    )?;
    found.check(
        "SELECT r.id FROM refunds r
         WHERE r.total_minor <> (SELECT coalesce(sum(amount_minor), 0) FROM refund_payments
                                 WHERE refund_id = r.id)",
        "total differs from the money handed back",
    )?;
    found.check(
        "SELECT DISTINCT l.refund_id FROM refund_lines l
           JOIN order_lines o ON o.id = l.order_line_id
         WHERE (o.stock_tracked = 1
                AND l.quantity <> (SELECT coalesce(sum(quantity), 0) FROM refund_line_batches
                                   WHERE refund_line_id = l.id))
            OR (o.stock_tracked = 0
                AND (l.cost_minor <> 0
                     OR EXISTS (SELECT 1 FROM refund_line_batches WHERE refund_line_id = l.id)))",
        "a line's batches differ from its quantity",
    )?;
    found.check(
        "SELECT min(l.refund_id) FROM refund_lines l JOIN order_lines o ON o.id = l.order_line_id
         GROUP BY l.order_line_id HAVING sum(l.quantity) > max(o.quantity)",
        "an order line refunded beyond what was sold",
    )?;
    found.check(
        "SELECT r.id FROM refunds r LEFT JOIN journal_entries e ON e.id = r.entry_id
         WHERE (r.entry_id IS NULL AND r.total_minor + r.restocked_cost_minor <> 0)
            OR (r.entry_id IS NOT NULL AND (e.id IS NULL
                OR e.total_minor <> r.total_minor + r.restocked_cost_minor
                   + (SELECT coalesce(sum(discount_net_minor), 0) FROM refund_lines WHERE refund_id = r.id)
                OR e.source_type <> 'refund' OR e.source_id <> r.id))",
        "differs from its journal entry",
    )?;
    if let Some(p) = gapless_drift(conn, "refunds", "number", REFUND_COUNTER)? {
        found.push(p);
    }
    Ok(found.into_problems())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn paid(tender: Tender, amount: i64, customer_id: Option<i64>) -> PaidBack {
        PaidBack {
            tender,
            amount,
            customer_id,
        }
    }

    #[test]
    fn share_rounds_half_away_from_zero_and_parts_sum_to_the_line() {
        // 1000 over 3 units, refunded one at a time: 333, 334, 333.
        let parts: Vec<i64> = (0..3)
            .map(|before| share(1000, before + 1, 3) - share(1000, before, 3))
            .collect();
        assert_eq!(parts, vec![333, 334, 333]);
        assert_eq!(parts.iter().sum::<i64>(), 1000);
    }

    #[test]
    fn money_goes_back_over_the_tenders_in_proportion() {
        // The sale was paid 1000 by card and 800 cash; 540 goes back 300 / 240.
        let sale = [
            paid(Tender::Card, 1000, None),
            paid(Tender::Cash, 800, None),
        ];
        assert_eq!(
            split_back(540, &sale).unwrap(),
            vec![paid(Tender::Card, 300, None), paid(Tender::Cash, 240, None)]
        );
        // A part that rounds to nothing is left out; nothing back, no rows.
        let lopsided = [paid(Tender::Card, 999, None), paid(Tender::Cash, 1, None)];
        assert_eq!(
            split_back(1, &lopsided).unwrap(),
            vec![paid(Tender::Card, 1, None)]
        );
        assert!(split_back(0, &sale).unwrap().is_empty());
    }

    #[test]
    fn journal_lines_of_a_refund_reverse_its_share_of_the_sale() {
        // Net 450 (after a discount of 50 net of tax), tax 90: 540 back, split
        // over card and cash; the restocked units cost 320.
        let totals = Totals {
            net: 450,
            tax: 90,
            discount_net: 50,
            restocked_cost: 320,
        };
        assert_eq!(totals.total(), 540);
        let back = [paid(Tender::Card, 300, None), paid(Tender::Cash, 240, None)];
        let lines = journal_lines(&totals, &back);
        assert_eq!(
            lines,
            vec![
                // The sale credited revenue before discount: 450 + 50.
                Line::debit(codes::SALES_REVENUE, 500, None),
                Line::credit(codes::DISCOUNTS, 50, None),
                Line::debit(codes::TAX_PAYABLE, 90, None),
                Line::credit(codes::CARD_CLEARING, 300, None),
                Line::credit(codes::CASH, 240, None),
                Line::debit(codes::INVENTORY, 320, None),
                Line::credit(codes::COST_OF_GOODS_SOLD, 320, None),
            ]
        );
        let debits: i64 = lines.iter().map(|l| l.debit_minor).sum();
        let credits: i64 = lines.iter().map(|l| l.credit_minor).sum();
        assert_eq!((debits, credits), (910, 910));

        // To store credit, damaged (nothing restocked): the customer is named.
        let damaged = Totals {
            restocked_cost: 0,
            ..totals
        };
        let credit = [paid(Tender::StoreCredit, 540, Some(7))];
        assert_eq!(
            journal_lines(&damaged, &credit)[3],
            Line::credit(codes::STORE_CREDIT, 540, Some(Party::Customer(7)))
        );
        assert_eq!(journal_lines(&damaged, &credit).len(), 4);
    }

    #[test]
    fn journal_lines_are_empty_when_no_money_or_stock_value_moves() {
        // A free line (its whole price discounted) written off as damaged.
        let free = Totals {
            net: 0,
            tax: 0,
            discount_net: 100,
            restocked_cost: 0,
        };
        assert!(journal_lines(&free, &[]).is_empty());
    }
}
