//! Purchase receipts: goods received from an active vendor (T19), one batch
//! per line, with their cost owed to the vendor on accounts payable.

use crate::db::rows::next_number;
use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::ledger::{self, codes, JournalEntry, Line, Party};
use crate::parties::purchase_orders;
use crate::parties::vendors::require_active_vendor;
use crate::shared::handler::{Request, WriteCtx};
use crate::shared::validate;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter numbering purchase receipts.
pub const RECEIPT_COUNTER: &str = "purchase_receipts";
/// Lines on one purchase receipt.
pub const RECEIPT_LINES_MAX: usize = 200;
/// The highest unit cost (as the batches table allows).
pub const UNIT_COST_MAX_MINOR: i64 = 1_000_000_000_000;
/// The most one receipt line or receipt may cost (10^15 minor units).
pub const RECEIPT_TOTAL_MAX_MINOR: i64 = 1_000_000_000_000_000;

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseReceiptLineRequest")]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineRequest {
    pub product_id: i64,
    /// Left out: one is generated (`2026-12-04-1`, see `stock/lots.rs`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub lot_code: Option<String>,
    /// Required where the product tracks expiry dates (screens ask only there).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub expires_on: Option<String>,
    pub unit_cost_minor: i64,
    pub quantity: i64,
    /// The purchase order line this delivers (the receipt names the order).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub order_line_id: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseReceiveRequest")]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    pub vendor_id: i64,
    /// The vendor's delivery note or invoice number.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub reference: Option<String>,
    /// The purchase order this receipt delivers, in full or in part.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub order_id: Option<i64>,
    pub lines: Vec<ReceiptLineRequest>,
}

fn check_date(field: &str, d: &str) -> Result<()> {
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let month = d.get(5..7).and_then(|m| m.parse::<u32>().ok()).unwrap_or(0);
    let day = d
        .get(8..10)
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    if !shaped || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(Error::validation(field, "must be a date like 2026-12-31"));
    }
    Ok(())
}

impl ReceiveRequest {
    /// The receipt's total, with each line's cost; overflow is a validation error.
    fn totals(&self) -> Result<(i64, Vec<i64>)> {
        let mut total = 0i64;
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let t = l
                .quantity
                .checked_mul(l.unit_cost_minor)
                .filter(|t| *t <= RECEIPT_TOTAL_MAX_MINOR)
                .ok_or_else(|| {
                    Error::validation(
                        format!("lines[{i}].quantity"),
                        "the line's cost is too large",
                    )
                })?;
            total = total
                .checked_add(t)
                .filter(|t| *t <= RECEIPT_TOTAL_MAX_MINOR)
                .ok_or_else(|| {
                    Error::validation(
                        format!("lines[{i}].quantity"),
                        "the receipt's total is too large",
                    )
                })?;
            lines.push(t);
        }
        Ok((total, lines))
    }
}

impl Request for ReceiveRequest {
    fn validate(&self) -> Result<()> {
        validate::id("vendor_id", self.vendor_id)?;
        if let Some(o) = self.order_id {
            validate::id("order_id", o)?;
        }
        if let Some(r) = &self.reference {
            validate::text("reference", r, 1, 100)?;
        }
        if self.lines.is_empty() || self.lines.len() > RECEIPT_LINES_MAX {
            return Err(Error::validation(
                "lines",
                format!("must have 1 to {RECEIPT_LINES_MAX} lines"),
            ));
        }
        for (i, l) in self.lines.iter().enumerate() {
            validate::id(&format!("lines[{i}].product_id"), l.product_id)?;
            crate::stock::lots::check_lot(&format!("lines[{i}].lot_code"), l.lot_code.as_deref())?;
            match (self.order_id, l.order_line_id) {
                (_, None) => {}
                (Some(_), Some(ol)) => validate::id(&format!("lines[{i}].order_line_id"), ol)?,
                (None, Some(_)) => {
                    return Err(Error::validation(
                        format!("lines[{i}].order_line_id"),
                        "name the purchase order (order_id) the line belongs to",
                    ))
                }
            }
            if let Some(d) = &l.expires_on {
                check_date(&format!("lines[{i}].expires_on"), d)?;
            }
            if !(0..=UNIT_COST_MAX_MINOR).contains(&l.unit_cost_minor) {
                return Err(Error::validation(
                    format!("lines[{i}].unit_cost_minor"),
                    format!("must be 0 to {UNIT_COST_MAX_MINOR}"),
                ));
            }
            if !(1..=crate::catalog::pricing::MAX_QUANTITY).contains(&l.quantity) {
                return Err(Error::validation(
                    format!("lines[{i}].quantity"),
                    format!("must be 1 to {}", crate::catalog::pricing::MAX_QUANTITY),
                ));
            }
        }
        self.totals().map(|_| ())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseReceiptView")]
pub struct ReceiptView {
    pub id: i64,
    pub number: i64,
    pub vendor_id: i64,
    pub reference: Option<String>,
    pub total_minor: i64,
    pub entry_id: Option<i64>,
    pub received_at_ms: i64,
    pub user_id: i64,
    #[ts(type = "number[]")]
    pub batch_ids: Vec<i64>,
    /// The lot code each line was stored under (generated where none was given).
    pub lot_codes: Vec<String>,
    pub order_id: Option<i64>,
    /// The order's status after this receipt (`partly_received`, `received`).
    pub order_status: Option<crate::parties::purchase_orders::OrderStatus>,
}

/// Each line's cost — the unit cost (per kg) × the quantity (in g) / 10^decimals
/// of the product's unit, rounded once (shared/money.rs) — with its decimals,
/// and the receipt's total (the exact sum of the lines).
fn scaled_totals(
    conn: &rusqlite::Connection,
    req: &ReceiveRequest,
) -> Result<(i64, Vec<(i64, u32)>)> {
    let mut total = 0i64;
    let mut lines = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let unit: Option<String> = conn
            .cached_row(
                "SELECT unit FROM products WHERE id = ?1",
                [l.product_id],
                |r| r.get(0),
            )
            .optional()?;
        let decimals = unit.map_or(0, |u| crate::catalog::Unit::parse(&u).decimals());
        let too_big = || {
            Error::validation(
                format!("lines[{i}].quantity"),
                "the receipt's total is too large",
            )
        };
        let t = crate::shared::money::Money::from_minor(l.unit_cost_minor)
            .times_quantity(l.quantity, decimals)
            .map_err(|_| too_big())?
            .minor();
        total = total.checked_add(t).ok_or_else(too_big)?;
        lines.push((t, decimals));
    }
    Ok((total, lines))
}

/// `purchasing.receive`: receives goods from an active vendor: one batch per
/// line (through `stock::receive_batch`), and the cost posted Dr inventory /
/// Cr accounts payable naming the vendor, all in one transaction.
pub fn receive(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &ReceiveRequest) -> Result<ReceiptView> {
    let actor = ctx.actor()?;
    let name = require_active_vendor(tx, req.vendor_id, "goods are received from")?;
    // The bound check of `validate` holds (a scaled total is never larger);
    // the amounts posted are scaled by each product's unit.
    req.totals()?;
    let (total, line_totals) = scaled_totals(tx.conn(), req)?;
    let lot_codes = prepare_lines(tx.conn(), req, ctx.now_ms)?;
    let number = next_number(tx, RECEIPT_COUNTER)?;
    let receipt_id: i64 = tx.conn().cached_row(
        "SELECT coalesce(max(id), 0) + 1 FROM purchase_receipts",
        [],
        |r| r.get(0),
    )?;
    let reason = format!("purchase receipt {number}");
    let mut batch_ids = Vec::with_capacity(req.lines.len());
    for ((l, (line_total, decimals)), lot_code) in
        req.lines.iter().zip(&line_totals).zip(&lot_codes)
    {
        let batch_id = crate::stock::receive_batch(
            tx,
            &crate::stock::Receipt {
                product_id: l.product_id,
                lot_code,
                expires_on: l.expires_on.as_deref(),
                unit_cost_minor: l.unit_cost_minor,
                quantity: l.quantity,
                reason: &reason,
                user_id: Some(actor.user_id),
                source: crate::stock::Source {
                    source_type: Some("purchase_receipt".into()),
                    source_id: Some(receipt_id.to_string()),
                },
                at_ms: ctx.now_ms,
            },
        )?; // the product was found by `prepare_lines`
        tx.execute(
            "INSERT INTO purchase_receipt_lines (receipt_id, batch_id, quantity, unit_cost_minor,
                                                 line_total_minor, quantity_decimals, order_line_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                receipt_id,
                batch_id,
                l.quantity,
                l.unit_cost_minor,
                line_total,
                decimals,
                l.order_line_id
            ],
        )?;
        batch_ids.push(batch_id);
    }
    let entry_id = post_bill(
        tx,
        &Bill {
            total,
            number,
            vendor_name: &name,
            vendor_id: req.vendor_id,
            receipt_id,
            user_id: actor.user_id,
            at_ms: ctx.now_ms,
        },
    )?;
    tx.execute(
        "INSERT INTO purchase_receipts (id, number, vendor_id, reference, total_minor, entry_id,
                                        received_at_ms, user_id, order_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        rusqlite::params![
            receipt_id,
            number,
            req.vendor_id,
            req.reference,
            total,
            entry_id,
            ctx.now_ms,
            actor.user_id,
            req.order_id
        ],
    )?;
    let order = (req.order_id)
        .map(|o| purchase_orders::after_receipt(tx, o, ctx.now_ms))
        .transpose()?;
    let summary = json!({
        "number": number,
        "vendor_id": req.vendor_id,
        "reference": req.reference,
        "total_minor": total,
        "entry_id": entry_id,
        "batch_ids": batch_ids,
        "lot_codes": lot_codes,
        "order_id": req.order_id,
        "order_number": order.as_ref().map(|o| o.number),
        "order_status": order.as_ref().map(|o| o.status),
    });
    ctx.audit("purchase_receipt", receipt_id, summary.clone());
    ctx.emit(
        "purchase_receipt.created",
        "purchase_receipt",
        receipt_id,
        summary,
    );
    Ok(ReceiptView {
        id: receipt_id,
        number,
        vendor_id: req.vendor_id,
        reference: req.reference.clone(),
        total_minor: total,
        entry_id,
        received_at_ms: ctx.now_ms,
        user_id: actor.user_id,
        batch_ids,
        lot_codes,
        order_id: req.order_id,
        order_status: order.map(|o| o.status),
    })
}

/// What a receipt owes its vendor, for the journal.
struct Bill<'a> {
    total: i64,
    number: i64,
    vendor_name: &'a str,
    vendor_id: i64,
    receipt_id: i64,
    user_id: i64,
    at_ms: i64,
}

/// The vendor's bill on account: Dr inventory / Cr accounts payable naming
/// the vendor (no entry when the goods cost nothing).
fn post_bill(tx: &Tx<'_>, b: &Bill<'_>) -> Result<Option<i64>> {
    Ok(if b.total > 0 {
        let memo: String = format!("Purchase receipt {} from {}", b.number, b.vendor_name)
            .chars()
            .take(200)
            .collect();
        Some(ledger::post(
            tx,
            &JournalEntry {
                posted_at_ms: b.at_ms,
                memo: &memo,
                source_type: "purchase_receipt",
                source_id: b.receipt_id,
                user_id: b.user_id,
                reverses_entry_id: None,
                lines: vec![
                    Line::debit(codes::INVENTORY, b.total, None),
                    Line::credit(
                        codes::ACCOUNTS_PAYABLE,
                        b.total,
                        Some(Party::Vendor(b.vendor_id)),
                    ),
                ],
            },
        )?)
    } else {
        None
    })
}

/// Before anything is written: each line's product, its expiry against the
/// product's switch and its lot code (generated where none was given; a line
/// generating one sees the lots the earlier lines will make, so two lines of
/// one product get `…-1` and `…-2`), and the lines against the order.
fn prepare_lines(
    conn: &rusqlite::Connection,
    req: &ReceiveRequest,
    now_ms: i64,
) -> Result<Vec<String>> {
    let mut lots: Vec<String> = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let claimed: Vec<String> = req.lines[..i]
            .iter()
            .zip(&lots)
            .filter(|(o, _)| o.product_id == l.product_id)
            .map(|(_, c)| c.clone())
            .collect();
        let (_, lot) = crate::stock::lots::prepare_receipt(
            conn,
            l.product_id,
            &crate::stock::lots::Fields {
                product: &format!("lines[{i}].product_id"),
                expiry: &format!("lines[{i}].expires_on"),
            },
            l.lot_code.as_deref(),
            l.expires_on.as_deref(),
            now_ms,
            &claimed,
        )?;
        lots.push(lot);
    }
    if let Some(order_id) = req.order_id {
        let against: Vec<purchase_orders::ReceiptAgainst> = req
            .lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                l.order_line_id.map(|ol| purchase_orders::ReceiptAgainst {
                    field: format!("lines[{i}]"),
                    order_line_id: ol,
                    product_id: l.product_id,
                    quantity: l.quantity,
                })
            })
            .collect();
        purchase_orders::check_receipt(conn, order_id, req.vendor_id, &against)?;
    }
    Ok(lots)
}
