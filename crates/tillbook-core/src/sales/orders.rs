//! Reading orders back: the views `sales.get` and `sales.checkout` answer,
//! the order's derived status, and `sales.list`.

use super::checkout::Tender;
use crate::catalog::pricing::RuleApplied;
use crate::catalog::tax::{summarize, TaxSummary};
use crate::error::{Error, Result};
use crate::shared::handler::{keyset_page, IdRequest, ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

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

impl Request for ListRequest {
    fn validate(&self) -> Result<()> {
        if let Some(c) = self.customer_id {
            validate::id("customer_id", c)?;
        }
        if let Some(n) = self.receipt_number {
            validate::id("receipt_number", n)?;
        }
        if let Some(n) = self.shift_id {
            validate::id("shift_id", n)?;
        }
        validate::page(self.before_id, self.limit)
    }
}

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
    /// Decimals of `quantity` (3 for kg: 350 is 0.350 kg; 0 for whole units).
    pub quantity_decimals: u32,
    /// The product's unit (what `unit_price_minor` is per).
    pub unit: crate::catalog::Unit,
    /// Whether the line took stock (an untracked line has no batches; a
    /// refund of it returns nothing to stock).
    pub stock_tracked: bool,
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
    /// The receipt's tax by rate (each rate named as its class was at the sale).
    pub tax_summary: TaxSummary,
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

/// Order `id`'s tax by rate, from its stored lines (checkout calls it in its
/// transaction, after writing them).
pub(crate) fn order_tax_summary(conn: &Connection, id: i64, at_ms: i64) -> Result<TaxSummary> {
    summarize(
        conn,
        "SELECT tax_rate_bp, sum(net_minor), sum(tax_minor), sum(total_minor)
           FROM order_lines WHERE order_id = ?1 GROUP BY tax_rate_bp",
        &[&id],
        at_ms,
    )
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
                tax_summary: TaxSummary::default(),
            })
        })
        .optional()?;
    let mut order = head.ok_or_else(|| Error::not_found("order", id))?;
    order.tax_summary = order_tax_summary(conn, id, order.created_at_ms)?;
    let mut st = conn.prepare_cached(
        "SELECT id, line_no, product_id, quantity, list_price_minor, unit_price_minor, gross_minor,
                discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor, rule_id, rule_kind,
                cost_minor, discount_net_minor, reward_discount_minor, quantity_decimals,
                (SELECT p.unit FROM products p WHERE p.id = order_lines.product_id), stock_tracked
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
            quantity_decimals: r.get(17)?,
            unit: crate::catalog::Unit::parse(&r.get::<_, String>(18)?),
            stock_tracked: r.get(19)?,
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
