//! Refunds of confirmed sales (issue 5): full or partial, by order line.
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
            if !(1..=crate::sales::MAX_LINE_QUANTITY).contains(&l.quantity) {
                return Err(Error::validation(
                    format!("lines[{i}].quantity"),
                    format!(
                        "must be 1 to {}, got {}",
                        crate::sales::MAX_LINE_QUANTITY,
                        l.quantity
                    ),
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

fn tender_account(tender: &str) -> &'static str {
    match tender {
        "card" => codes::CARD_CLEARING,
        "on_account" => codes::ACCOUNTS_RECEIVABLE,
        "store_credit" => codes::STORE_CREDIT,
        _ => codes::CASH,
    }
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

struct SoldLine {
    quantity: i64,
    net: i64,
    tax: i64,
    discount_net: i64,
}

/// `sales.refund`: see the module documentation.
pub fn refund(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &RefundRequest) -> Result<RefundView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
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
    crate::till::ensure_not_voided(conn, req.order_id)?;
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
    let source = Source {
        source_type: Some("refund".into()),
        source_id: Some(refund_id.to_string()),
    };
    let memo_reason = format!(
        "refund {number} of order {order_number}: {}",
        req.reason.trim()
    );

    let (mut net_total, mut tax_total, mut restocked_cost) = (0i64, 0i64, 0i64);
    let mut discount_net_total = 0i64;
    for (i, l) in req.lines.iter().enumerate() {
        let field = format!("lines[{i}].order_line_id");
        let sold: Option<(i64, SoldLine)> = conn
            .cached_row(
                "SELECT order_id, quantity, net_minor, tax_minor, discount_net_minor
                 FROM order_lines WHERE id = ?1",
                [l.order_line_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        SoldLine {
                            quantity: r.get(1)?,
                            net: r.get(2)?,
                            tax: r.get(3)?,
                            discount_net: r.get(4)?,
                        },
                    ))
                },
            )
            .optional()?;
        let sold = match sold {
            None => {
                return Err(Error::validation(
                    field,
                    format!("no order line {}", l.order_line_id),
                ))
            }
            Some((o, _)) if o != req.order_id => {
                return Err(Error::validation(
                    field,
                    format!("order line {} belongs to another order", l.order_line_id),
                ))
            }
            Some((_, s)) => s,
        };
        let before: i64 = conn.cached_row(
            "SELECT coalesce(sum(quantity), 0) FROM refund_lines WHERE order_line_id = ?1",
            [l.order_line_id],
            |r| r.get(0),
        )?;
        let left = sold.quantity - before;
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
        let net = share(sold.net, after, sold.quantity) - share(sold.net, before, sold.quantity);
        let tax = share(sold.tax, after, sold.quantity) - share(sold.tax, before, sold.quantity);
        let discount_net = share(sold.discount_net, after, sold.quantity)
            - share(sold.discount_net, before, sold.quantity);

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
        let mut plan: Vec<(i64, i64, i64)> = Vec::new();
        let mut remaining = l.quantity;
        for (batch_id, unit_cost, open) in picks {
            let qty = remaining.min(open);
            if qty > 0 {
                remaining -= qty;
                plan.push((batch_id, unit_cost, qty));
            }
        }
        if remaining != 0 {
            return Err(Error::internal(format!(
                "order line {} has no batches left to return {remaining} units to",
                l.order_line_id
            )));
        }
        let line_cost: i64 = match l.stock {
            StockDisposition::Restock => plan.iter().map(|(_, c, q)| c * q).sum(),
            StockDisposition::Damage => 0,
        };
        restocked_cost += line_cost;
        let line_id: i64 = tx.execute_returning(
            "INSERT INTO refund_lines (refund_id, order_line_id, quantity, stock, net_minor,
                                       tax_minor, total_minor, cost_minor, discount_net_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
            rusqlite::params![
                refund_id,
                l.order_line_id,
                l.quantity,
                l.stock.as_str(),
                net,
                tax,
                net + tax,
                line_cost,
                discount_net
            ],
            |r| r.get(0),
        )?;
        for (batch_id, unit_cost, qty) in plan {
            let return_id = stock::move_stock(
                tx,
                &Move {
                    batch_id,
                    kind: MovementKind::Return,
                    quantity: qty,
                    reason: &memo_reason,
                    user_id: Some(actor.user_id),
                    source: source.clone(),
                    at_ms: now,
                },
            )?;
            let damage_id = match l.stock {
                StockDisposition::Restock => None,
                StockDisposition::Damage => Some(stock::move_stock(
                    tx,
                    &Move {
                        batch_id,
                        kind: MovementKind::Damage,
                        quantity: -qty,
                        reason: &memo_reason,
                        user_id: Some(actor.user_id),
                        source: source.clone(),
                        at_ms: now,
                    },
                )?),
            };
            tx.execute(
                "INSERT INTO refund_line_batches (refund_line_id, batch_id, return_movement_id,
                                                  damage_movement_id, quantity, unit_cost_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![line_id, batch_id, return_id, damage_id, qty, unit_cost],
            )?;
        }
        net_total += net;
        tax_total += tax;
        discount_net_total += discount_net;
    }
    let total = net_total + tax_total;

    // Where the money goes.
    let mut paid_back: Vec<(String, i64, Option<i64>)> = Vec::new();
    match req.refund_to {
        RefundTo::StoreCredit => {
            if total > 0 {
                paid_back.push(("store_credit".into(), total, customer_id));
            }
        }
        RefundTo::Original => {
            let payments: Vec<(String, i64, Option<i64>)> = conn
                .prepare_cached(
                    "SELECT tender, amount_minor, customer_id FROM payments
                     WHERE order_id = ?1 ORDER BY id",
                )?
                .query_map([req.order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            if total > 0 {
                if payments.is_empty() {
                    return Err(Error::validation(
                        "refund_to",
                        "the order has no payments to refund to",
                    ));
                }
                let weights: Vec<u64> = payments.iter().map(|p| p.1 as u64).collect();
                let parts = Money::from_minor(total)
                    .allocate(&weights)
                    .map_err(|e| Error::internal(e.to_string()))?;
                for (p, part) in payments.into_iter().zip(parts) {
                    if part.minor() > 0 {
                        paid_back.push((p.0, part.minor(), p.2));
                    }
                }
            }
        }
    }
    for (tender, amount, customer) in &paid_back {
        tx.execute(
            "INSERT INTO refund_payments (refund_id, tender, amount_minor, customer_id, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![refund_id, tender, amount, customer, now],
        )?;
    }

    // One balanced reversing entry.
    let mut lines: Vec<Line<'_>> = Vec::new();
    // The sale credited revenue before discount and debited the discount: take
    // back this refund's share of both.
    if net_total + discount_net_total > 0 {
        lines.push(Line::debit(
            codes::SALES_REVENUE,
            net_total + discount_net_total,
            None,
        ));
    }
    if discount_net_total > 0 {
        lines.push(Line::credit(codes::DISCOUNTS, discount_net_total, None));
    }
    if tax_total > 0 {
        lines.push(Line::debit(codes::TAX_PAYABLE, tax_total, None));
    }
    for (tender, amount, customer) in &paid_back {
        let party = match tender.as_str() {
            "on_account" | "store_credit" => customer.map(Party::Customer),
            _ => None,
        };
        lines.push(Line::credit(tender_account(tender), *amount, party));
    }
    if restocked_cost > 0 {
        lines.push(Line::debit(codes::INVENTORY, restocked_cost, None));
        lines.push(Line::credit(
            codes::COST_OF_GOODS_SOLD,
            restocked_cost,
            None,
        ));
    }
    // As at checkout: when no money and no stock value moves, nothing is posted
    // (a free line's discount was never posted either).
    let entry_id = if total == 0 && restocked_cost == 0 {
        None
    } else {
        let memo = format!("Refund {number} of order {order_number}");
        Some(ledger::post(
            tx,
            &JournalEntry {
                posted_at_ms: now,
                memo: &memo,
                source_type: "refund",
                source_id: refund_id,
                user_id: actor.user_id,
                reverses_entry_id: None,
                lines,
            },
        )?)
    };

    tx.execute(
        "INSERT INTO refunds (id, number, order_id, refund_to, customer_id, reason, line_count,
                              net_minor, tax_minor, total_minor, restocked_cost_minor, entry_id,
                              created_by, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        rusqlite::params![
            refund_id,
            number,
            req.order_id,
            req.refund_to.as_str(),
            customer_id,
            req.reason.trim(),
            req.lines.len() as i64,
            net_total,
            tax_total,
            total,
            restocked_cost,
            entry_id,
            actor.user_id,
            now
        ],
    )?;

    crate::till::record_refund(tx, actor.user_id, refund_id)?;
    crate::loyalty::reverse_for_refund(tx, refund_id, actor.user_id, now)?;
    ctx.audit(
        "refund",
        refund_id,
        json!({
            "number": number,
            "order_id": req.order_id,
            "order_number": order_number,
            "refund_to": req.refund_to.as_str(),
            "reason": req.reason.trim(),
            "lines": req.lines.len(),
            "total_minor": total,
            "tax_minor": tax_total,
            "restocked_cost_minor": restocked_cost,
            "entry_id": entry_id,
        }),
    );
    ctx.emit(
        "sale.refunded",
        "refund",
        refund_id,
        json!({
            "number": number,
            "order_id": req.order_id,
            "total_minor": total,
            "tax_minor": tax_total,
            "created_at_ms": now,
        }),
    );
    get_refund(conn, refund_id)
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
         WHERE l.quantity <> (SELECT coalesce(sum(quantity), 0) FROM refund_line_batches
                              WHERE refund_line_id = l.id)",
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
