//! Purchase orders: what the shop asks a vendor for (migration 0022).
//!
//! An order is **suggested** from the low-stock list (`stock::low_stock`, the
//! one meaning of "low"): one draft per preferred vendor, each low product's
//! suggested quantity at its last unit cost; products with no (active)
//! preferred vendor are handed back for the owner to choose one, and products
//! already on an open order are left out, so asking twice does not order twice.
//! A draft is **edited** (its lines replaced, against the version read),
//! **sent** (its CSV is `purchase_orders.csv`; a PDF comes with the documents
//! issue) and then **received in full or in part** through `purchasing.receive`
//! naming the order and, per line, the order line: the receipt makes the
//! batches and the bill on account as any receipt does, a trigger adds the
//! quantities to the order lines, and the order becomes `partly_received` or
//! `received`. Receiving more than was ordered is refused (the CHECK on the
//! line is the lock; the check here only words it): extra goods are a receipt
//! of their own. An open order, or the remainder of a partly received one, is
//! **cancelled** with a reason.
//!
//! Who may order: owner and manager (`purchases.order`); receiving stays
//! `vendors.manage` (also owner and manager).

use crate::catalog::{self, Unit};
use crate::db::rows::{next_number, Versioned};
use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::parties::vendors::require_active_vendor;
use crate::shared::handler::{IdRequest, ReadCtx, Request, WriteCtx};
use crate::shared::money::{Currency, Money};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// The counter numbering purchase orders (gapless, T26).
pub const ORDER_COUNTER: &str = "purchase_orders";
/// Lines on one purchase order (as on one receipt).
pub const ORDER_LINES_MAX: usize = crate::parties::purchasing::RECEIPT_LINES_MAX;
/// A line's or an order's cost at most (as a receipt's).
pub const ORDER_TOTAL_MAX_MINOR: i64 = crate::parties::purchasing::RECEIPT_TOTAL_MAX_MINOR;
const NOTE_MAX: usize = 500;
const PAGE_DEFAULT: u32 = 50;

const ORDERS: Versioned = Versioned {
    table: "purchase_orders",
    entity: "purchase order",
};

tillbook_db::named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export, rename = "PurchaseOrderStatus")]
    pub enum OrderStatus {
        Draft = "draft",
        Sent = "sent",
        PartlyReceived = "partly_received",
        Received = "received",
        Cancelled = "cancelled",
    }
}

impl OrderStatus {
    fn parse(s: &str) -> OrderStatus {
        OrderStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .unwrap_or(OrderStatus::Draft)
    }

    /// Still expecting goods (or still being written).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::Draft | OrderStatus::Sent | OrderStatus::PartlyReceived
        )
    }

    /// How the owner reads it.
    fn words(self) -> &'static str {
        match self {
            OrderStatus::Draft => "a draft",
            OrderStatus::Sent => "sent",
            OrderStatus::PartlyReceived => "partly received",
            OrderStatus::Received => "received in full",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderLineView")]
pub struct OrderLineView {
    pub id: i64,
    pub position: i64,
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub unit: Unit,
    /// Decimals of the unit: quantities are in its smallest part (g for kg).
    pub quantity_decimals: u32,
    pub track_expiry: bool,
    pub quantity: i64,
    /// Per unit (per kg for a weighed product).
    pub unit_cost_minor: i64,
    /// unit cost × quantity / 10^decimals, rounded once (as a receipt line).
    pub line_total_minor: i64,
    pub received_quantity: i64,
    /// Still to come (0 once received in full, or on a cancelled order).
    pub remaining_quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderView")]
pub struct OrderView {
    pub id: i64,
    pub number: i64,
    pub vendor_id: i64,
    pub vendor_name: String,
    pub status: OrderStatus,
    pub note: String,
    pub lines: Vec<OrderLineView>,
    pub total_minor: i64,
    /// The receipts delivering it, oldest first.
    #[ts(type = "number[]")]
    pub receipt_ids: Vec<i64>,
    pub created_by: i64,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
    pub cancel_reason: Option<String>,
    pub updated_at_ms: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderLineRequest")]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    pub product_id: i64,
    /// In the product's smallest unit (g for kg).
    pub quantity: i64,
    /// Per unit (per kg), what the vendor is expected to charge.
    pub unit_cost_minor: i64,
}

fn check_lines(lines: &[OrderLineRequest]) -> Result<()> {
    if lines.is_empty() || lines.len() > ORDER_LINES_MAX {
        return Err(Error::validation(
            "lines",
            format!("must have 1 to {ORDER_LINES_MAX} lines"),
        ));
    }
    for (i, l) in lines.iter().enumerate() {
        validate::id(&format!("lines[{i}].product_id"), l.product_id)?;
        if lines[..i].iter().any(|o| o.product_id == l.product_id) {
            return Err(Error::validation(
                format!("lines[{i}].product_id"),
                "is on the order already; change that line's quantity instead",
            ));
        }
        if !(1..=catalog::pricing::MAX_QUANTITY).contains(&l.quantity) {
            return Err(Error::validation(
                format!("lines[{i}].quantity"),
                format!("must be 1 to {}", catalog::pricing::MAX_QUANTITY),
            ));
        }
        if !(0..=crate::parties::purchasing::UNIT_COST_MAX_MINOR).contains(&l.unit_cost_minor) {
            return Err(Error::validation(
                format!("lines[{i}].unit_cost_minor"),
                format!(
                    "must be 0 to {}",
                    crate::parties::purchasing::UNIT_COST_MAX_MINOR
                ),
            ));
        }
    }
    Ok(())
}

fn check_note(note: &str) -> Result<()> {
    if note.is_empty() {
        return Ok(());
    }
    validate::text("note", note, 1, NOTE_MAX)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderCreateRequest")]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    pub vendor_id: i64,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub note: String,
    pub lines: Vec<OrderLineRequest>,
}

impl Request for CreateOrderRequest {
    fn validate(&self) -> Result<()> {
        validate::id("vendor_id", self.vendor_id)?;
        check_note(&self.note)?;
        check_lines(&self.lines)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderUpdateRequest")]
#[serde(deny_unknown_fields)]
pub struct UpdateOrderRequest {
    pub id: i64,
    pub version: i64,
    /// Absent: unchanged.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub note: Option<String>,
    /// The draft's lines from now on (a line left out is removed).
    pub lines: Vec<OrderLineRequest>,
}

impl Request for UpdateOrderRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        if let Some(n) = &self.note {
            check_note(n)?;
        }
        check_lines(&self.lines)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderSendRequest")]
#[serde(deny_unknown_fields)]
pub struct SendOrderRequest {
    pub id: i64,
    pub version: i64,
}

impl Request for SendOrderRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderCancelRequest")]
#[serde(deny_unknown_fields)]
pub struct CancelOrderRequest {
    pub id: i64,
    pub version: i64,
    /// Why: "vendor out of stock", "ordered elsewhere".
    pub reason: String,
}

impl Request for CancelOrderRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        validate::text("reason", &self.reason, 1, 200)
    }
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderListRequest")]
#[serde(deny_unknown_fields)]
pub struct ListOrdersRequest {
    /// Only orders in this status.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub status: Option<OrderStatus>,
    /// Only open orders (draft, sent, partly received).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub open_only: bool,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub vendor_id: Option<i64>,
    /// Keyset paging, newest first: orders with a smaller id than this.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for ListOrdersRequest {
    fn validate(&self) -> Result<()> {
        if let Some(v) = self.vendor_id {
            validate::id("vendor_id", v)?;
        }
        validate::page(self.before_id, self.limit)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderPage")]
pub struct OrderPage {
    pub orders: Vec<OrderView>,
    /// Pass as `before_id` for the next page; absent on the last page.
    pub next_before_id: Option<i64>,
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderSuggestRequest")]
#[serde(deny_unknown_fields)]
pub struct SuggestRequest {}

impl Request for SuggestRequest {}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderSuggestion")]
pub struct Suggestion {
    /// The drafts made, one per vendor, by vendor name.
    pub orders: Vec<OrderView>,
    /// Low products with no active preferred vendor: choose one and order them.
    pub without_vendor: Vec<crate::stock::LowStockLine>,
    /// Low products left out because an open order already has them.
    pub already_on_order: Vec<crate::stock::LowStockLine>,
    /// More was low than one suggestion takes (500 products, 200 lines per
    /// vendor): suggest again once these are ordered.
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PurchaseOrderCsv")]
pub struct OrderCsv {
    /// A file name to save it under: `purchase-order-12.csv`.
    pub filename: String,
    pub csv: String,
}

// ---- reading ------------------------------------------------------------

fn line_total(unit_cost_minor: i64, quantity: i64, decimals: u32) -> Result<i64> {
    Ok(Money::from_minor(unit_cost_minor)
        .times_quantity(quantity, decimals)
        .map_err(|_| Error::validation("lines", "the order's total is too large"))?
        .minor())
}

fn lines_of(conn: &Connection, order_id: i64, open: bool) -> Result<Vec<OrderLineView>> {
    let mut st = conn.prepare_cached(
        "SELECT l.id, l.position, l.product_id, p.sku, p.name, p.unit, p.track_expiry, l.quantity,
                l.unit_cost_minor, l.received_quantity
           FROM purchase_order_lines l JOIN products p ON p.id = l.product_id
          WHERE l.order_id = ?1 ORDER BY l.position",
    )?;
    let rows = st
        .query_map([order_id], |r| {
            let unit: String = r.get(5)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                Unit::parse(&unit),
                r.get::<_, bool>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, i64>(9)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(
            |(id, position, product_id, sku, name, unit, track_expiry, q, cost, received)| {
                let decimals = unit.decimals();
                Ok(OrderLineView {
                    id,
                    position,
                    product_id,
                    sku,
                    name,
                    unit,
                    quantity_decimals: decimals,
                    track_expiry,
                    quantity: q,
                    unit_cost_minor: cost,
                    line_total_minor: line_total(cost, q, decimals)?,
                    received_quantity: received,
                    remaining_quantity: if open { q - received } else { 0 },
                })
            },
        )
        .collect()
}

const ORDER_SELECT: &str =
    "SELECT o.id, o.number, o.vendor_id, v.name, o.status, o.note, o.created_by,
        o.created_at_ms, o.sent_at_ms, o.closed_at_ms, o.cancel_reason, o.updated_at_ms, o.version
   FROM purchase_orders o JOIN vendors v ON v.id = o.vendor_id";

fn header_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrderView> {
    let status: String = r.get(4)?;
    Ok(OrderView {
        id: r.get(0)?,
        number: r.get(1)?,
        vendor_id: r.get(2)?,
        vendor_name: r.get(3)?,
        status: OrderStatus::parse(&status),
        note: r.get(5)?,
        lines: Vec::new(),
        total_minor: 0,
        receipt_ids: Vec::new(),
        created_by: r.get(6)?,
        created_at_ms: r.get(7)?,
        sent_at_ms: r.get(8)?,
        closed_at_ms: r.get(9)?,
        cancel_reason: r.get(10)?,
        updated_at_ms: r.get(11)?,
        version: r.get(12)?,
    })
}

fn complete(conn: &Connection, mut o: OrderView) -> Result<OrderView> {
    o.lines = lines_of(conn, o.id, o.status.is_open())?;
    let mut total = 0i64;
    for l in &o.lines {
        total = total
            .checked_add(l.line_total_minor)
            .ok_or_else(|| Error::validation("lines", "the order's total is too large"))?;
    }
    o.total_minor = total;
    let mut st =
        conn.prepare_cached("SELECT id FROM purchase_receipts WHERE order_id = ?1 ORDER BY id")?;
    o.receipt_ids = st
        .query_map([o.id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(o)
}

/// One order with its lines.
pub fn get_order(conn: &Connection, id: i64) -> Result<OrderView> {
    let o = conn
        .cached_row(&format!("{ORDER_SELECT} WHERE o.id = ?1"), [id], header_of)
        .optional()?
        .ok_or_else(|| Error::not_found("purchase order", id))?;
    complete(conn, o)
}

/// `purchase_orders.get`
pub fn get(_ctx: &ReadCtx<'_>, conn: &Connection, req: &IdRequest) -> Result<OrderView> {
    get_order(conn, req.id)
}

/// `purchase_orders.list`: newest first, keyset-paged, with their lines.
pub fn list(_ctx: &ReadCtx<'_>, conn: &Connection, req: &ListOrdersRequest) -> Result<OrderPage> {
    let limit = req.limit.unwrap_or(PAGE_DEFAULT);
    let mut st = conn.prepare_cached(&format!(
        "{ORDER_SELECT}
          WHERE (?1 IS NULL OR o.status = ?1)
            AND (NOT ?2 OR o.status IN ('draft', 'sent', 'partly_received'))
            AND (?3 IS NULL OR o.vendor_id = ?3)
            AND o.id < ?4
          ORDER BY o.id DESC LIMIT ?5"
    ))?;
    let headers = st
        .query_map(
            rusqlite::params![
                req.status.map(OrderStatus::as_str),
                req.open_only,
                req.vendor_id,
                req.before_id.unwrap_or(i64::MAX),
                i64::from(limit) + 1
            ],
            header_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (headers, next_before_id) = crate::shared::handler::keyset_page(headers, limit, |o| o.id);
    let orders = headers
        .into_iter()
        .map(|o| complete(conn, o))
        .collect::<Result<Vec<_>>>()?;
    Ok(OrderPage {
        orders,
        next_before_id,
    })
}

/// One CSV field, quoted when it holds a separator, a quote or a line break;
/// a leading `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet never
/// runs it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `purchase_orders.csv`: the order as the vendor reads it, one line per
/// product with quantities in its unit and amounts in the shop's currency.
pub fn csv(_ctx: &ReadCtx<'_>, conn: &Connection, req: &IdRequest) -> Result<OrderCsv> {
    let o = get_order(conn, req.id)?;
    let shop = crate::identity::setup::load_shop(conn)?;
    let (shop_name, currency) = match &shop {
        Some(s) => (
            s.name.clone(),
            Currency::new(&s.currency_code, s.currency_scale)
                .map_err(|e| Error::internal(e.to_string()))?,
        ),
        None => (
            String::new(),
            Currency::new("XXX", 2).map_err(|e| Error::internal(e.to_string()))?,
        ),
    };
    let date = crate::shared::calendar::date_of_ms(o.sent_at_ms.unwrap_or(o.created_at_ms));
    let mut out = String::new();
    let mut row = |cells: &[&str]| {
        let cells: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    row(&["Purchase order", &o.number.to_string()]);
    row(&["From", &shop_name]);
    row(&["To", &o.vendor_name]);
    row(&["Date", &date]);
    row(&["Currency", currency.code()]);
    if !o.note.is_empty() {
        row(&["Note", &o.note]);
    }
    row(&[]);
    row(&[
        "Line",
        "SKU",
        "Product",
        "Quantity",
        "Unit",
        "Unit cost",
        "Line total",
    ]);
    for l in &o.lines {
        row(&[
            &l.position.to_string(),
            &l.sku,
            &l.name,
            &catalog::format_quantity(l.quantity, l.quantity_decimals),
            l.unit.as_str(),
            &Money::from_minor(l.unit_cost_minor).display(&currency),
            &Money::from_minor(l.line_total_minor).display(&currency),
        ]);
    }
    row(&[
        "",
        "",
        "",
        "",
        "",
        "Total",
        &Money::from_minor(o.total_minor).display(&currency),
    ]);
    Ok(OrderCsv {
        filename: format!("purchase-order-{}.csv", o.number),
        csv: out,
    })
}

// ---- writing ------------------------------------------------------------

/// Checks the lines' products (active, stocked) and their totals.
fn check_products(conn: &Connection, lines: &[OrderLineRequest]) -> Result<()> {
    let mut total = 0i64;
    for (i, l) in lines.iter().enumerate() {
        let field = format!("lines[{i}].product_id");
        let p = catalog::require_active(conn, l.product_id).map_err(|e| match e {
            Error::NotFound { .. } => Error::validation(&field, "no such product"),
            other => other,
        })?;
        if !p.track_stock {
            return Err(Error::validation(
                field,
                format!(
                    "{} does not track stock, so it is not ordered for stock",
                    p.name
                ),
            ));
        }
        let t = line_total(l.unit_cost_minor, l.quantity, p.quantity_decimals)
            .ok()
            .filter(|t| *t <= ORDER_TOTAL_MAX_MINOR);
        total = t
            .and_then(|t| total.checked_add(t))
            .filter(|t| *t <= ORDER_TOTAL_MAX_MINOR)
            .ok_or_else(|| {
                Error::validation(
                    format!("lines[{i}].quantity"),
                    "the order's total is too large",
                )
            })?;
    }
    Ok(())
}

fn insert_lines(tx: &Tx<'_>, order_id: i64, lines: &[OrderLineRequest]) -> Result<()> {
    for (i, l) in lines.iter().enumerate() {
        tx.execute(
            "INSERT INTO purchase_order_lines (order_id, position, product_id, quantity, unit_cost_minor)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![order_id, i as i64 + 1, l.product_id, l.quantity, l.unit_cost_minor],
        )?;
    }
    Ok(())
}

/// A new draft (no audit: the caller describes the whole operation).
fn insert_order(
    ctx: &WriteCtx<'_>,
    tx: &Tx<'_>,
    vendor_id: i64,
    note: &str,
    lines: &[OrderLineRequest],
) -> Result<OrderView> {
    let actor = ctx.actor()?;
    require_active_vendor(tx, vendor_id, "goods are ordered from")?;
    check_products(tx.conn(), lines)?;
    let number = next_number(tx, ORDER_COUNTER)?;
    let id: i64 = tx.execute_returning(
        "INSERT INTO purchase_orders (number, vendor_id, note, created_by, created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
        rusqlite::params![number, vendor_id, note, actor.user_id, ctx.now_ms],
        |r| r.get(0),
    )?;
    insert_lines(tx, id, lines)?;
    get_order(tx.conn(), id)
}

fn summary_of(o: &OrderView) -> serde_json::Value {
    json!({
        "number": o.number,
        "vendor_id": o.vendor_id,
        "vendor_name": o.vendor_name,
        "status": o.status,
        "total_minor": o.total_minor,
        "lines": o.lines.iter().map(|l| json!({
            "product_id": l.product_id, "name": l.name, "quantity": l.quantity,
            "quantity_decimals": l.quantity_decimals, "unit_cost_minor": l.unit_cost_minor,
            "received_quantity": l.received_quantity,
        })).collect::<Vec<_>>(),
    })
}

/// `purchase_orders.create`: a draft to one vendor, lines as given.
pub fn create(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &CreateOrderRequest) -> Result<OrderView> {
    let o = insert_order(ctx, tx, req.vendor_id, &req.note, &req.lines)?;
    ctx.audit("purchase_order", o.id, summary_of(&o));
    ctx.emit(
        "purchase_order.created",
        "purchase_order",
        o.id,
        summary_of(&o),
    );
    Ok(o)
}

/// The unit cost a suggestion starts from: the product's latest batch's, else
/// its standard cost, else 0 (the owner types the vendor's price).
fn expected_cost(conn: &Connection, product_id: i64) -> Result<i64> {
    Ok(conn.cached_row(
        "SELECT coalesce(
             (SELECT unit_cost_minor FROM batches WHERE product_id = ?1
               ORDER BY received_at_ms DESC, id DESC LIMIT 1),
             (SELECT standard_cost_minor FROM products WHERE id = ?1), 0)",
        [product_id],
        |r| r.get(0),
    )?)
}

/// Whether an open order already expects more of the product.
fn on_open_order(conn: &Connection, product_id: i64) -> Result<bool> {
    Ok(conn.cached_row(
        "SELECT EXISTS (SELECT 1 FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.order_id
          WHERE l.product_id = ?1 AND o.status IN ('draft', 'sent', 'partly_received')
            AND l.received_quantity < l.quantity)",
        [product_id],
        |r| r.get(0),
    )?)
}

fn vendor_active(conn: &Connection, vendor_id: i64) -> Result<bool> {
    Ok(conn.cached_row(
        "SELECT EXISTS (SELECT 1 FROM vendors WHERE id = ?1 AND archived_at_ms IS NULL)",
        [vendor_id],
        |r| r.get(0),
    )?)
}

/// `purchase_orders.suggest`: one draft per preferred vendor from the
/// low-stock list (see the module documentation).
pub fn suggest(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, _req: &SuggestRequest) -> Result<Suggestion> {
    let low = crate::stock::low_stock(tx.conn(), crate::stock::LOW_STOCK_LIMIT_MAX, None)?;
    let mut truncated = low.truncated;
    let mut by_vendor: BTreeMap<(String, i64), Vec<OrderLineRequest>> = BTreeMap::new();
    let mut without_vendor = Vec::new();
    let mut already_on_order = Vec::new();
    for line in low.lines {
        if on_open_order(tx.conn(), line.product_id)? {
            already_on_order.push(line);
            continue;
        }
        let vendor = match (line.preferred_vendor_id, &line.preferred_vendor_name) {
            (Some(v), Some(name)) if vendor_active(tx.conn(), v)? => (name.to_lowercase(), v),
            _ => {
                without_vendor.push(line);
                continue;
            }
        };
        let lines = by_vendor.entry(vendor).or_default();
        if lines.len() == ORDER_LINES_MAX {
            truncated = true;
            continue;
        }
        lines.push(OrderLineRequest {
            product_id: line.product_id,
            quantity: line.suggested_quantity,
            unit_cost_minor: expected_cost(tx.conn(), line.product_id)?,
        });
    }
    let mut orders = Vec::with_capacity(by_vendor.len());
    for ((_, vendor_id), lines) in by_vendor {
        let o = insert_order(ctx, tx, vendor_id, "", &lines)?;
        ctx.emit(
            "purchase_order.created",
            "purchase_order",
            o.id,
            summary_of(&o),
        );
        orders.push(o);
    }
    let ids: Vec<String> = orders.iter().map(|o| o.id.to_string()).collect();
    ctx.audit(
        "purchase_order",
        if ids.is_empty() {
            "-".to_string()
        } else {
            ids.join(",")
        },
        json!({
            "suggested": orders.iter().map(summary_of).collect::<Vec<_>>(),
            "without_vendor": without_vendor.iter().map(|l| l.product_id).collect::<Vec<_>>(),
            "already_on_order": already_on_order.iter().map(|l| l.product_id).collect::<Vec<_>>(),
        }),
    );
    Ok(Suggestion {
        orders,
        without_vendor,
        already_on_order,
        truncated,
    })
}

fn require_status(o: &OrderView, allowed: &[OrderStatus], doing: &str) -> Result<()> {
    if allowed.contains(&o.status) {
        return Ok(());
    }
    Err(Error::StateConflict {
        message: format!(
            "purchase order {} is {}, so it cannot be {doing}",
            o.number,
            o.status.words()
        ),
    })
}

/// `purchase_orders.update`: a draft's note and lines, against its version.
pub fn update(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &UpdateOrderRequest) -> Result<OrderView> {
    let before = get_order(tx.conn(), req.id)?;
    require_status(&before, &[OrderStatus::Draft], "edited once sent")?;
    check_products(tx.conn(), &req.lines)?;
    let note = req.note.clone().unwrap_or_else(|| before.note.clone());
    ORDERS.update(
        tx,
        req.id,
        req.version,
        &[("note", &note), ("updated_at_ms", &ctx.now_ms)],
    )?;
    tx.execute(
        "DELETE FROM purchase_order_lines WHERE order_id = ?1",
        [req.id],
    )?;
    insert_lines(tx, req.id, &req.lines)?;
    let after = get_order(tx.conn(), req.id)?;
    ctx.audit(
        "purchase_order",
        req.id,
        json!({ "before": summary_of(&before), "after": summary_of(&after) }),
    );
    ctx.emit(
        "purchase_order.updated",
        "purchase_order",
        req.id,
        summary_of(&after),
    );
    Ok(after)
}

/// `purchase_orders.send`: the draft is final and goes to the vendor (its CSV
/// from `purchase_orders.csv`); from now on it is received against.
pub fn send(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &SendOrderRequest) -> Result<OrderView> {
    let before = get_order(tx.conn(), req.id)?;
    require_status(&before, &[OrderStatus::Draft], "sent again")?;
    require_active_vendor(tx, before.vendor_id, "orders are sent to")?;
    ORDERS.update(
        tx,
        req.id,
        req.version,
        &[
            ("status", &OrderStatus::Sent.as_str()),
            ("sent_at_ms", &ctx.now_ms),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    let after = get_order(tx.conn(), req.id)?;
    ctx.audit("purchase_order", req.id, summary_of(&after));
    ctx.emit(
        "purchase_order.sent",
        "purchase_order",
        req.id,
        summary_of(&after),
    );
    Ok(after)
}

/// `purchase_orders.cancel`: an open order, or what is still to come of a
/// partly received one; what was received stays received.
pub fn cancel(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &CancelOrderRequest) -> Result<OrderView> {
    let before = get_order(tx.conn(), req.id)?;
    require_status(
        &before,
        &[
            OrderStatus::Draft,
            OrderStatus::Sent,
            OrderStatus::PartlyReceived,
        ],
        "cancelled",
    )?;
    ORDERS.update(
        tx,
        req.id,
        req.version,
        &[
            ("status", &OrderStatus::Cancelled.as_str()),
            ("cancel_reason", &req.reason),
            ("closed_at_ms", &ctx.now_ms),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    let after = get_order(tx.conn(), req.id)?;
    let summary = json!({
        "number": after.number,
        "reason": req.reason,
        "was": before.status,
        "remaining_cancelled": before.lines.iter().map(|l| json!({
            "product_id": l.product_id, "quantity": l.remaining_quantity,
        })).collect::<Vec<_>>(),
    });
    ctx.audit("purchase_order", req.id, summary.clone());
    ctx.emit(
        "purchase_order.cancelled",
        "purchase_order",
        req.id,
        summary,
    );
    Ok(after)
}

// ---- receiving (called by purchasing.receive in its transaction) --------

/// One receipt line as it meets the order: which order line, product, quantity.
pub struct ReceiptAgainst {
    pub field: String,
    pub order_line_id: i64,
    pub product_id: i64,
    pub quantity: i64,
}

/// Checks a receipt against its order before anything is written: the order
/// is this vendor's, sent and still open; each line names one of its lines,
/// for that line's product, and no more than is still to come (several
/// receipt lines for one order line count together).
pub fn check_receipt(
    conn: &Connection,
    order_id: i64,
    vendor_id: i64,
    lines: &[ReceiptAgainst],
) -> Result<()> {
    let o = get_order(conn, order_id).map_err(|e| match e {
        Error::NotFound { .. } => Error::validation("order_id", "no such purchase order"),
        other => other,
    })?;
    if o.vendor_id != vendor_id {
        return Err(Error::validation(
            "order_id",
            format!(
                "purchase order {} is to {}, not this vendor",
                o.number, o.vendor_name
            ),
        ));
    }
    require_status(
        &o,
        &[OrderStatus::Sent, OrderStatus::PartlyReceived],
        "received against (send it first, or receive without the order)",
    )?;
    let mut taking: BTreeMap<i64, i64> = BTreeMap::new();
    for l in lines {
        let Some(ol) = o.lines.iter().find(|x| x.id == l.order_line_id) else {
            return Err(Error::validation(
                format!("{}.order_line_id", l.field),
                format!("is not a line of purchase order {}", o.number),
            ));
        };
        if ol.product_id != l.product_id {
            return Err(Error::validation(
                format!("{}.product_id", l.field),
                format!("order line {} is for {}", ol.position, ol.name),
            ));
        }
        let now = taking.entry(ol.id).or_insert(0);
        *now = now.saturating_add(l.quantity);
        if *now > ol.remaining_quantity {
            return Err(Error::validation(
                format!("{}.quantity", l.field),
                format!(
                    "only {} of {} is still to come on purchase order {}; receive the extra without the order",
                    catalog::format_quantity(ol.remaining_quantity, ol.quantity_decimals),
                    ol.name,
                    o.number
                ),
            ));
        }
    }
    Ok(())
}

/// After a receipt's lines counted towards the order: `received` once every
/// line came in full, else `partly_received`. Returns the order as it is now.
pub fn after_receipt(tx: &Tx<'_>, order_id: i64, now_ms: i64) -> Result<OrderView> {
    let o = get_order(tx.conn(), order_id)?;
    let complete = o.lines.iter().all(|l| l.received_quantity >= l.quantity);
    let status = if complete {
        OrderStatus::Received
    } else {
        OrderStatus::PartlyReceived
    };
    if status != o.status {
        let closed = complete.then_some(now_ms);
        ORDERS.update(
            tx,
            order_id,
            o.version,
            &[
                ("status", &status.as_str()),
                ("closed_at_ms", &closed),
                ("updated_at_ms", &now_ms),
            ],
        )?;
    }
    get_order(tx.conn(), order_id)
}

/// For `tillbook verify`: order lines whose received quantity is not the sum
/// of the receipt lines pointing at them, and receipt lines whose receipt
/// names another order than their line's.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT o.number, l.position, l.received_quantity,
                coalesce((SELECT sum(r.quantity) FROM purchase_receipt_lines r
                           WHERE r.order_line_id = l.id), 0) AS summed
           FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.order_id
          WHERE l.received_quantity <> coalesce((SELECT sum(r.quantity) FROM purchase_receipt_lines r
                                                  WHERE r.order_line_id = l.id), 0)
          ORDER BY l.id LIMIT 100",
    )?;
    let mut out = st
        .query_map([], |r| {
            Ok(format!(
                "purchase order {} line {} says {} received, its receipts' lines sum to {}",
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut st = conn.prepare_cached(
        "SELECT r.id, p.number FROM purchase_receipt_lines rl
           JOIN purchase_receipts r ON r.id = rl.receipt_id
           JOIN purchase_order_lines l ON l.id = rl.order_line_id
           JOIN purchase_orders p ON p.id = l.order_id
          WHERE r.order_id IS NOT l.order_id ORDER BY rl.id LIMIT 100",
    )?;
    out.extend(
        st.query_map([], |r| {
            Ok(format!(
                "purchase receipt {} has a line of purchase order {} but names another order",
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Milk"), "Milk");
        assert_eq!(csv_field("Milk, 2l"), "\"Milk, 2l\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-0.50"), "'-0.50");
    }
}
