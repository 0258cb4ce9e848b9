//! Held (parked) carts: a cashier parks a sale, its units are
//! reserved in the same transaction (T17), and it is recalled or cancelled
//! later. A hold is versioned (T11, T25) and closed by status, never deleted.
//!
//! Reservations are made per batch, FEFO then FIFO, with
//! [`stock::reserve_product`], so the batch CHECKs decide who gets the last
//! units when two tills park at once. They lapse after
//! `settings.reservation_ttl_ms`; a recalled cart says which lines lost theirs.
//!
//! Checkout sells a held cart by calling [`release_for_checkout`] in its own
//! transaction, before it picks batches: the hold's reservations are released
//! and the hold is marked `completed`, so the units it kept are the ones
//! checkout then picks.

use super::cart::{check_basket, check_cart, discount_needs, BasketDiscount, CartLine};
use crate::catalog;
use crate::db::rows::{next_number, Versioned};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::shared::handler::IdVersionRequest;
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use crate::stock::{self, ReleaseReason};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter giving holds their gapless numbers.
pub const HOLD_COUNTER: &str = "held_carts";
/// The longest label a hold may have.
pub const MAX_LABEL_CHARS: usize = 100;

const HOLDS: Versioned = Versioned {
    table: "held_carts",
    entity: "held_cart",
};

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// `sales.hold`: the cart as checkout takes it, plus an optional label.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "HoldRequest")]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// What the cashier calls it ("table 4", "lady in red coat"); "Hold N" when omitted.
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub customer_id: Option<i64>,
    pub lines: Vec<CartLine>,
    /// A discount on the whole basket; kept with the hold and priced again on recall.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub basket_discount: Option<BasketDiscount>,
}

impl Request for HoldRequest {
    fn needs(&self) -> Vec<crate::shared::access::Permission> {
        discount_needs(&self.lines, self.basket_discount.as_ref())
    }

    fn validate(&self) -> Result<()> {
        if let Some(l) = &self.label {
            validate::text("label", l, 1, MAX_LABEL_CHARS)?;
        }
        check_cart(self.customer_id, &self.lines)?;
        check_basket(self.basket_discount.as_ref())
    }
}

/// `sales.held`: open holds, oldest first (keyset paging on id).
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "HeldRequest")]
#[serde(deny_unknown_fields)]
pub struct HeldRequest {
    #[serde(default)]
    pub after_id: Option<i64>,
    #[serde(default)]
    pub limit: Option<u32>,
}

impl Request for HeldRequest {
    fn validate(&self) -> Result<()> {
        if let Some(a) = self.after_id {
            validate::id("after_id", a)?;
        }
        validate::page_limit(self.limit, validate::PAGE_MAX)
    }
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "HeldLineView")]
pub struct HeldLineView {
    pub line_no: i64,
    pub product_id: i64,
    pub quantity: i64,
    pub discount_minor: i64,
    /// The discount and override as the cashier asked for them (see `SalesCartLine`).
    pub discount_percent_bp: Option<i64>,
    pub discount_preset_id: Option<i64>,
    pub price_override_minor: Option<i64>,
    pub price_override_reason: Option<String>,
    /// Units still held by live (unreleased, unexpired) reservations.
    pub reserved_quantity: i64,
    /// Whether all of the line's units are still reserved.
    pub reservation_live: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "HeldCartView")]
pub struct HeldCartView {
    pub id: i64,
    pub number: i64,
    pub label: String,
    /// `held`, `cancelled` or `completed`.
    pub status: String,
    pub customer_id: Option<i64>,
    pub cashier_id: i64,
    pub line_count: i64,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    pub version: i64,
    pub lines: Vec<HeldLineView>,
    /// The basket discount parked with the cart.
    pub basket_discount: Option<BasketDiscount>,
    /// True when the hold is open and every line is still fully reserved.
    pub reservations_live: bool,
    /// Line numbers whose reservation lapsed (or was released).
    pub lost_lines: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "HeldSummary")]
pub struct HeldSummary {
    pub id: i64,
    pub number: i64,
    pub label: String,
    pub customer_id: Option<i64>,
    pub cashier_id: i64,
    pub line_count: i64,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "HeldPage")]
pub struct HeldPage {
    pub holds: Vec<HeldSummary>,
    /// Pass as `after_id` for the next page; None on the last page.
    pub next_after_id: Option<i64>,
}

const CART_COLUMNS: &str = "id, number, label, status, customer_id, cashier_id, line_count,
    expires_at_ms, created_at_ms, updated_at_ms, closed_at_ms, version,
    basket_percent_bp, basket_amount_minor, basket_preset_id";

fn cart_of(r: &Row<'_>) -> rusqlite::Result<HeldCartView> {
    Ok(HeldCartView {
        id: r.get(0)?,
        number: r.get(1)?,
        label: r.get(2)?,
        status: r.get(3)?,
        customer_id: r.get(4)?,
        cashier_id: r.get(5)?,
        line_count: r.get(6)?,
        expires_at_ms: r.get(7)?,
        created_at_ms: r.get(8)?,
        updated_at_ms: r.get(9)?,
        closed_at_ms: r.get(10)?,
        version: r.get(11)?,
        lines: Vec::new(),
        basket_discount: {
            let (percent_bp, amount_minor, preset_id) = (r.get(12)?, r.get(13)?, r.get(14)?);
            let b = BasketDiscount {
                percent_bp,
                amount_minor,
                preset_id,
            };
            (b != BasketDiscount::default()).then_some(b)
        },
        reservations_live: false,
        lost_lines: Vec::new(),
    })
}

/// A hold with its lines, judged live as of `now_ms`.
pub fn get_cart(conn: &Connection, id: i64, now_ms: i64) -> Result<HeldCartView> {
    let mut cart = conn
        .prepare_cached(&format!(
            "SELECT {CART_COLUMNS} FROM held_carts WHERE id = ?1"
        ))?
        .query_row([id], cart_of)
        .optional()?
        .ok_or_else(|| Error::not_found("held_cart", id))?;
    let mut st = conn.prepare_cached(
        "SELECT l.line_no, l.product_id, l.quantity, l.discount_minor,
                coalesce((SELECT sum(r.quantity) FROM held_cart_reservations h
                           JOIN stock_reservations r ON r.id = h.reservation_id
                          WHERE h.line_id = l.id AND r.released_at_ms IS NULL
                            AND r.expires_at_ms > ?2), 0),
                l.discount_percent_bp, l.discount_preset_id, l.price_override_minor,
                l.price_override_reason,
                (SELECT p.track_stock FROM products p WHERE p.id = l.product_id)
           FROM held_cart_lines l WHERE l.cart_id = ?1 ORDER BY l.line_no",
    )?;
    let rows = st.query_map(rusqlite::params![id, now_ms], |r| {
        let quantity: i64 = r.get(2)?;
        let reserved: i64 = r.get(4)?;
        // An untracked line never had units to keep, so it is never lost.
        let tracked: bool = r.get(9)?;
        Ok(HeldLineView {
            line_no: r.get(0)?,
            product_id: r.get(1)?,
            quantity,
            discount_minor: r.get(3)?,
            discount_percent_bp: r.get(5)?,
            discount_preset_id: r.get(6)?,
            price_override_minor: r.get(7)?,
            price_override_reason: r.get(8)?,
            reserved_quantity: reserved,
            reservation_live: !tracked || reserved >= quantity,
        })
    })?;
    cart.lines = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    cart.lost_lines = cart
        .lines
        .iter()
        .filter(|l| !l.reservation_live)
        .map(|l| l.line_no)
        .collect();
    cart.reservations_live = cart.status == "held" && cart.lost_lines.is_empty();
    Ok(cart)
}

/// The open reservations (released or not yet) a hold made.
fn open_reservations(conn: &Connection, cart_id: i64) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT r.id FROM held_cart_lines l
           JOIN held_cart_reservations h ON h.line_id = l.id
           JOIN stock_reservations r ON r.id = h.reservation_id
          WHERE l.cart_id = ?1 AND r.released_at_ms IS NULL ORDER BY r.id",
    )?;
    let rows = st.query_map([cart_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
}

/// Releases an open hold's reservations and sets its status, at the caller's
/// version (T11). Anything but an open hold is `state_conflict`.
fn close(
    tx: &Tx<'_>,
    cart_id: i64,
    expected_version: i64,
    status: &'static str,
    user_id: i64,
    now_ms: i64,
) -> Result<()> {
    let current: Option<String> = tx
        .conn()
        .cached_row(
            "SELECT status FROM held_carts WHERE id = ?1",
            [cart_id],
            |r| r.get(0),
        )
        .optional()?;
    match current.as_deref() {
        None => return Err(Error::not_found("held_cart", cart_id)),
        Some("held") => {}
        Some(other) => {
            return Err(Error::StateConflict {
                message: format!("hold {cart_id} is already {other}"),
            })
        }
    }
    HOLDS.update(
        tx,
        cart_id,
        expected_version,
        &[
            ("status", &status),
            ("closed_at_ms", &now_ms),
            ("closed_by", &user_id),
            ("updated_at_ms", &now_ms),
        ],
    )?;
    for rid in open_reservations(tx.conn(), cart_id)? {
        stock::release(tx, rid, ReleaseReason::Released, now_ms)?;
    }
    Ok(())
}

/// For checkout of a held cart: in checkout's transaction, before it picks
/// batches, releases the hold's reservations and marks it `completed`, so the
/// units it kept become available to that same checkout.
pub fn release_for_checkout(
    tx: &Tx<'_>,
    cart_id: i64,
    expected_version: i64,
    user_id: i64,
    now_ms: i64,
) -> Result<()> {
    close(tx, cart_id, expected_version, "completed", user_id, now_ms)
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// A shortage while reserving line `i`: the line and SKU in the message, the
/// product named for the UI's words ("There is no Olive oil left").
fn short_on_line(e: Error, i: usize, (sku, name): &(String, String)) -> Error {
    match e {
        Error::InsufficientStock {
            message,
            product,
            left,
        } => Error::InsufficientStock {
            message: format!("lines[{i}]: {sku} ({message})"),
            product: product.or_else(|| Some(name.clone())),
            left,
        },
        other => other,
    }
}

/// `sales.hold`: parks a cart and reserves its units, all in one transaction.
pub fn hold(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &HoldRequest) -> Result<HeldCartView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    if let Some(c) = req.customer_id {
        let exists: bool = tx.conn().cached_row(
            "SELECT EXISTS (SELECT 1 FROM customers WHERE id = ?1 AND archived_at_ms IS NULL)",
            [c],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(Error::validation("customer_id", "no such customer"));
        }
    }
    let mut skus = Vec::with_capacity(req.lines.len());
    let mut tracked = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let p = catalog::require_active(tx.conn(), l.product_id).map_err(|e| match e {
            Error::NotFound { .. } => {
                Error::validation(format!("lines[{i}].product_id"), "no such product")
            }
            other => other,
        })?;
        skus.push((p.sku, p.name));
        tracked.push(p.track_stock);
    }
    // Priced once as checkout will price it, so a discount, preset or override
    // the cart cannot have is refused now, naming its field, not at recall.
    super::quote::compute(
        tx.conn(),
        req.customer_id,
        &req.lines,
        req.basket_discount.as_ref(),
        // The mode in effect at the sale's instant (a dated switch), not today's setting.
        crate::catalog::tax::mode_at(tx.conn(), ctx.now_ms, ctx.settings.prices_include_tax)?,
        now,
        None,
    )?;
    let expires = now.saturating_add(ctx.settings.reservation_ttl_ms);
    let number = next_number(tx, HOLD_COUNTER)?;
    let label = req
        .label
        .clone()
        .unwrap_or_else(|| format!("Hold {number}"));
    let id: i64 = tx.execute_returning(
        "INSERT INTO held_carts (number, label, status, customer_id, cashier_id, line_count,
                                 expires_at_ms, created_at_ms, updated_at_ms,
                                 basket_percent_bp, basket_amount_minor, basket_preset_id)
         VALUES (?1, ?2, 'held', ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10) RETURNING id",
        rusqlite::params![
            number,
            label,
            req.customer_id,
            actor.user_id,
            req.lines.len() as i64,
            expires,
            now,
            req.basket_discount.as_ref().and_then(|b| b.percent_bp),
            req.basket_discount.as_ref().and_then(|b| b.amount_minor),
            req.basket_discount.as_ref().and_then(|b| b.preset_id)
        ],
        |r| r.get(0),
    )?;
    let holder = format!("hold {number}");
    for (i, l) in req.lines.iter().enumerate() {
        let line_id: i64 = tx.execute_returning(
            "INSERT INTO held_cart_lines (cart_id, line_no, product_id, quantity, discount_minor,
                                          discount_percent_bp, discount_preset_id,
                                          price_override_minor, price_override_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
            rusqlite::params![
                id,
                i as i64 + 1,
                l.product_id,
                l.quantity,
                l.discount_minor,
                l.discount_percent_bp,
                l.discount_preset_id,
                l.price_override_minor,
                l.price_override_reason
            ],
            |r| r.get(0),
        )?;
        // An untracked line (a coffee made to order) has nothing to keep back.
        if !tracked.get(i).copied().unwrap_or(true) {
            continue;
        }
        let picked = stock::reserve_product(
            tx,
            l.product_id,
            l.quantity,
            &holder,
            Some(actor.user_id),
            now,
            expires,
        )
        .map_err(|e| short_on_line(e, i, &skus[i]))?;
        for (reservation_id, _batch, _q) in picked {
            tx.execute(
                "INSERT INTO held_cart_reservations (line_id, reservation_id) VALUES (?1, ?2)",
                rusqlite::params![line_id, reservation_id],
            )?;
        }
    }
    let cart = get_cart(tx.conn(), id, now)?;
    let summary = json!({
        "number": cart.number,
        "label": cart.label,
        "lines": cart.line_count,
        "expires_at_ms": cart.expires_at_ms,
    });
    ctx.audit("held_cart", id, summary.clone());
    ctx.emit("sales.held", "held_cart", id, summary);
    Ok(cart)
}

/// `sales.held`: open holds, oldest first.
pub fn held(_ctx: &ReadCtx<'_>, conn: &Connection, req: &HeldRequest) -> Result<HeldPage> {
    let limit = req.limit.unwrap_or(50);
    let mut st = conn.prepare_cached(
        "SELECT id, number, label, customer_id, cashier_id, line_count, expires_at_ms,
                created_at_ms, version
           FROM held_carts WHERE status = 'held' AND id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = st.query_map(
        rusqlite::params![req.after_id.unwrap_or(0), i64::from(limit) + 1],
        |r| {
            Ok(HeldSummary {
                id: r.get(0)?,
                number: r.get(1)?,
                label: r.get(2)?,
                customer_id: r.get(3)?,
                cashier_id: r.get(4)?,
                line_count: r.get(5)?,
                expires_at_ms: r.get(6)?,
                created_at_ms: r.get(7)?,
                version: r.get(8)?,
            })
        },
    )?;
    let mut holds = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    let more = holds.len() > limit as usize;
    holds.truncate(limit as usize);
    let next_after_id = if more {
        holds.last().map(|h| h.id)
    } else {
        None
    };
    Ok(HeldPage {
        holds,
        next_after_id,
    })
}

/// `sales.recall`: a hold with its lines and which of them are still reserved.
pub fn recall(
    ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &crate::shared::handler::IdRequest,
) -> Result<HeldCartView> {
    get_cart(conn, req.id, ctx.now_ms)
}

/// `sales.cancel_hold`: releases the hold's reservations and marks it cancelled.
pub fn cancel_hold(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &IdVersionRequest,
) -> Result<HeldCartView> {
    let actor = ctx.actor()?;
    close(
        tx,
        req.id,
        req.version,
        "cancelled",
        actor.user_id,
        ctx.now_ms,
    )?;
    let cart = get_cart(tx.conn(), req.id, ctx.now_ms)?;
    let summary = json!({ "number": cart.number, "status": cart.status });
    ctx.audit("held_cart", req.id, summary.clone());
    ctx.emit("sales.hold_cancelled", "held_cart", req.id, summary);
    Ok(cart)
}
