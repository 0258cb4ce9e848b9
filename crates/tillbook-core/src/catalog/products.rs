//! Products: created, updated and archived (never deleted: T22), read by id
//! or barcode, and the narrow read the till prices a line from.

use crate::db::rows::Versioned;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::handler::{IdVersionRequest, ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub(crate) const PRODUCTS: Versioned = Versioned {
    table: "products",
    entity: "product",
};

/// The largest price, cost or amount any catalog field accepts (10^12 minor units).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// The code of a tax class (`standard`, `reduced`, `zero` or one the owner
/// added under Tax rates); its rates live in `catalog::tax`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(transparent)]
pub struct TaxClass(pub String);

impl TaxClass {
    pub fn standard() -> TaxClass {
        TaxClass("standard".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Each,
    Kg,
    G,
    L,
    Ml,
    M,
    Pack,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Each => "each",
            Unit::Kg => "kg",
            Unit::G => "g",
            Unit::L => "l",
            Unit::Ml => "ml",
            Unit::M => "m",
            Unit::Pack => "pack",
        }
    }

    /// How many decimals a quantity of this unit has: kg and l to 3 (stored
    /// in g and ml), m to 2 (stored in cm), the rest whole. Every quantity in
    /// SQL and in stock is an integer in that smallest part.
    pub fn decimals(self) -> u32 {
        match self {
            Unit::Kg | Unit::L => 3,
            Unit::M => 2,
            Unit::Each | Unit::G | Unit::Ml | Unit::Pack => 0,
        }
    }

    /// The unit's name in plain words, for messages ("kg", "each").
    pub fn label(self) -> &'static str {
        self.as_str()
    }

    pub(crate) fn parse(s: &str) -> Unit {
        match s {
            "kg" => Unit::Kg,
            "g" => Unit::G,
            "l" => Unit::L,
            "ml" => Unit::Ml,
            "m" => Unit::M,
            "pack" => Unit::Pack,
            _ => Unit::Each,
        }
    }
}

/// `quantity` (in the unit's smallest part) written with its `decimals`:
/// `format_quantity(350, 3)` is `"0.350"`, `format_quantity(3, 0)` is `"3"`.
pub fn format_quantity(quantity: i64, decimals: u32) -> String {
    if decimals == 0 {
        return quantity.to_string();
    }
    let sign = if quantity < 0 { "-" } else { "" };
    let magnitude = quantity.unsigned_abs();
    let unit = 10u64.pow(decimals);
    format!(
        "{sign}{}.{:0width$}",
        magnitude / unit,
        magnitude % unit,
        width = decimals as usize
    )
}

/// A product as every command returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ProductView {
    pub id: i64,
    pub sku: String,
    pub barcode: Option<String>,
    pub name: String,
    pub category: String,
    pub unit: Unit,
    pub tax_class: TaxClass,
    pub tax_rate_bp: i64,
    pub price_minor: i64,
    pub archived: bool,
    /// Whether sales take batches and move stock (off: made to order, services).
    pub track_stock: bool,
    /// What one unit costs when stock is not tracked (COGS per unit); none when unset.
    pub standard_cost_minor: Option<i64>,
    /// The number a shop scale prints into a weight or price barcode.
    pub plu: Option<String>,
    /// Decimals of a quantity of this unit (see [`Unit::decimals`]).
    pub quantity_decimals: u32,
    /// Reorder when what is available falls to this (smallest unit); none: never low.
    pub reorder_point: Option<i64>,
    /// How much to order when it does (smallest unit); none: up to twice the point.
    pub reorder_quantity: Option<i64>,
    /// The vendor a purchase order for it goes to by default.
    pub preferred_vendor_id: Option<i64>,
    /// Whether receiving it asks for an expiry date.
    pub track_expiry: bool,
    /// Sum of the product's batches' on-hand and reserved quantities, in the
    /// unit's smallest part (g for kg).
    pub on_hand: i64,
    pub available: i64,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// The rate shown with a product is its class's rate in effect by the
/// machine's clock (a view for the back office and the till's search);
/// pricing a sale never reads it: [`for_sale`] takes the sale's instant.
pub(super) const VIEW_COLUMNS: &str =
    "p.id, p.sku, p.barcode, p.name, p.category, p.unit, p.tax_class,
    coalesce((SELECT r.rate_bp FROM tax_rates r WHERE r.class_code = p.tax_class
                AND r.effective_from_ms <= CAST(unixepoch('subsec') * 1000 AS INTEGER)
              ORDER BY r.effective_from_ms DESC LIMIT 1), 0),
    p.price_minor, p.archived_at_ms IS NOT NULL,
    (SELECT coalesce(sum(b.on_hand), 0) FROM batches b WHERE b.product_id = p.id),
    (SELECT coalesce(sum(b.on_hand - b.reserved), 0) FROM batches b WHERE b.product_id = p.id),
    p.version, p.created_at_ms, p.updated_at_ms, p.track_stock, p.standard_cost_minor, p.plu,
    p.reorder_point, p.reorder_quantity, p.preferred_vendor_id, p.track_expiry";

pub(super) fn view_of(r: &Row<'_>) -> rusqlite::Result<ProductView> {
    let unit = Unit::parse(&r.get::<_, String>(5)?);
    Ok(ProductView {
        id: r.get(0)?,
        sku: r.get(1)?,
        barcode: r.get(2)?,
        name: r.get(3)?,
        category: r.get(4)?,
        unit,
        tax_class: TaxClass(r.get(6)?),
        tax_rate_bp: r.get(7)?,
        price_minor: r.get(8)?,
        archived: r.get(9)?,
        on_hand: r.get(10)?,
        available: r.get(11)?,
        version: r.get(12)?,
        created_at_ms: r.get(13)?,
        updated_at_ms: r.get(14)?,
        track_stock: r.get(15)?,
        standard_cost_minor: r.get(16)?,
        plu: r.get(17)?,
        quantity_decimals: unit.decimals(),
        reorder_point: r.get(18)?,
        reorder_quantity: r.get(19)?,
        preferred_vendor_id: r.get(20)?,
        track_expiry: r.get(21)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<ProductView> {
    conn.prepare_cached(&format!(
        "SELECT {VIEW_COLUMNS} FROM products p WHERE p.id = ?1"
    ))?
    .query_row([id], view_of)
    .optional()?
    .ok_or_else(|| Error::not_found("product", id))
}

/// What a sale needs of a product, in one narrow read: the till prices every
/// line, and [`get`]'s stock sums are not needed for that.
pub(crate) struct SaleProduct {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub tax_rate_bp: i64,
    pub price_minor: i64,
    pub archived: bool,
    pub unit: Unit,
    pub track_stock: bool,
    pub standard_cost_minor: Option<i64>,
}

/// `at_ms` is the sale's instant: the product's tax class's rate in effect then.
pub(crate) fn for_sale(conn: &Connection, id: i64, at_ms: i64) -> Result<SaleProduct> {
    conn.prepare_cached(
        "SELECT p.id, p.sku, p.name, p.category,
                coalesce((SELECT r.rate_bp FROM tax_rates r WHERE r.class_code = p.tax_class
                            AND r.effective_from_ms <= ?2
                          ORDER BY r.effective_from_ms DESC LIMIT 1), 0),
                p.price_minor, p.archived_at_ms IS NOT NULL, p.unit, p.track_stock,
                p.standard_cost_minor
           FROM products p WHERE p.id = ?1",
    )?
    .query_row([id, at_ms], |r| {
        Ok(SaleProduct {
            id: r.get(0)?,
            sku: r.get(1)?,
            name: r.get(2)?,
            category: r.get(3)?,
            tax_rate_bp: r.get(4)?,
            price_minor: r.get(5)?,
            archived: r.get(6)?,
            unit: Unit::parse(&r.get::<_, String>(7)?),
            track_stock: r.get(8)?,
            standard_cost_minor: r.get(9)?,
        })
    })
    .optional()?
    .ok_or_else(|| Error::not_found("product", id))
}

/// A product that may still be sold, stocked or priced (not archived).
pub(crate) fn require_active(conn: &Connection, id: i64) -> Result<ProductView> {
    let p = get(conn, id)?;
    if p.archived {
        return Err(Error::StateConflict {
            message: format!("product {} ({}) is archived", p.id, p.sku),
        });
    }
    Ok(p)
}

fn check_sku(v: &str) -> Result<()> {
    validate::text("sku", v, 1, 64)
}

fn check_barcode(v: &str) -> Result<()> {
    validate::text("barcode", v, 1, 64)?;
    if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::validation(
            "barcode",
            "may use only letters, digits and -",
        ));
    }
    Ok(())
}

fn check_category(v: &str) -> Result<()> {
    if v.is_empty() {
        return Ok(());
    }
    validate::text("category", v, 1, 100)
}

pub(crate) fn check_amount(field: &str, v: i64) -> Result<()> {
    if !(0..=MAX_AMOUNT_MINOR).contains(&v) {
        return Err(Error::validation(
            field,
            format!("must be 0 to {MAX_AMOUNT_MINOR} minor units, got {v}"),
        ));
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    pub sku: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub barcode: Option<String>,
    pub name: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub category: String,
    #[serde(default = "default_unit")]
    #[ts(optional = nullable)]
    pub unit: Unit,
    #[serde(default = "default_tax")]
    #[ts(optional = nullable)]
    pub tax_class: TaxClass,
    pub price_minor: i64,
    /// Off for items nobody counts (made-to-order coffee, services). On when omitted.
    #[serde(default = "default_track")]
    #[ts(optional = nullable)]
    pub track_stock: bool,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub standard_cost_minor: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub plu: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub reorder_point: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub reorder_quantity: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub preferred_vendor_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub track_expiry: bool,
}

fn default_track() -> bool {
    true
}

/// A PLU is the 1–6 digit product number a shop scale prints into a barcode.
pub(crate) fn check_plu(v: &str) -> Result<()> {
    if v.is_empty() || v.len() > 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::validation(
            "plu",
            format!("must be 1 to 6 digits, got {v:?}"),
        ));
    }
    Ok(())
}

fn default_unit() -> Unit {
    Unit::Each
}

fn default_tax() -> TaxClass {
    TaxClass::standard()
}

impl Request for CreateProductRequest {
    fn validate(&self) -> Result<()> {
        check_sku(&self.sku)?;
        if let Some(b) = &self.barcode {
            check_barcode(b)?;
        }
        validate::text("name", &self.name, 1, 200)?;
        check_category(&self.category)?;
        check_amount("price_minor", self.price_minor)?;
        if let Some(c) = self.standard_cost_minor {
            check_amount("standard_cost_minor", c)?;
        }
        if let Some(p) = &self.plu {
            check_plu(p)?;
        }
        check_reorder(self.reorder_point, self.reorder_quantity)?;
        if let Some(v) = self.preferred_vendor_id {
            validate::id("preferred_vendor_id", v)?;
        }
        Ok(())
    }
}

/// The most a reorder point or quantity may be (as a batch may hold).
pub const REORDER_MAX: i64 = 1_000_000_000;

fn check_reorder(point: Option<i64>, quantity: Option<i64>) -> Result<()> {
    if let Some(v) = point.filter(|v| !(0..=REORDER_MAX).contains(v)) {
        return Err(Error::validation(
            "reorder_point",
            format!("must be 0 to {REORDER_MAX}, got {v}"),
        ));
    }
    if let Some(v) = quantity.filter(|v| !(1..=REORDER_MAX).contains(v)) {
        return Err(Error::validation(
            "reorder_quantity",
            format!("must be 1 to {REORDER_MAX}, got {v}"),
        ));
    }
    Ok(())
}

/// A preferred vendor must exist and be active when it is set (T19). Read
/// here rather than through `parties`, which sits above the catalog.
fn check_preferred_vendor(conn: &Connection, vendor_id: Option<i64>) -> Result<()> {
    let Some(id) = vendor_id else {
        return Ok(());
    };
    let active: Option<(String, bool)> = conn
        .cached_row(
            "SELECT name, archived_at_ms IS NULL FROM vendors WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match active {
        None => Err(Error::not_found("vendor", id)),
        Some((name, false)) => Err(Error::StateConflict {
            message: format!("vendor {name} is archived: choose an active vendor to reorder from"),
        }),
        Some(_) => Ok(()),
    }
}

/// Refuses a SKU or barcode another product holds, naming the field (checked
/// inside the write transaction, so no other writer can slip in between).
fn check_unique(
    tx: &Tx<'_>,
    id: i64,
    sku: &str,
    barcode: Option<&str>,
    plu: Option<&str>,
) -> Result<()> {
    if let Some(p) = plu {
        let taken: bool = tx.conn().cached_row(
            "SELECT EXISTS (SELECT 1 FROM products WHERE plu = ?1 AND id <> ?2)",
            rusqlite::params![p, id],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::Duplicate {
                field: "plu".into(),
                value: p.into(),
            });
        }
    }
    let taken: bool = tx.conn().cached_row(
        "SELECT EXISTS (SELECT 1 FROM products WHERE sku = ?1 AND id <> ?2)",
        rusqlite::params![sku, id],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Error::Duplicate {
            field: "sku".into(),
            value: sku.into(),
        });
    }
    if let Some(b) = barcode {
        let taken: bool = tx.conn().cached_row(
            "SELECT EXISTS (SELECT 1 FROM products WHERE barcode = ?1 AND id <> ?2)",
            rusqlite::params![b, id],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::Duplicate {
                field: "barcode".into(),
                value: b.into(),
            });
        }
    }
    Ok(())
}

/// Inserts a product; also used by the benchmark and demo loaders.
pub fn insert_product(
    tx: &Tx<'_>,
    req: &CreateProductRequest,
    user_id: Option<i64>,
    now_ms: i64,
) -> Result<i64> {
    check_unique(tx, 0, &req.sku, req.barcode.as_deref(), req.plu.as_deref())?;
    check_preferred_vendor(tx.conn(), req.preferred_vendor_id)?;
    crate::catalog::tax::require_class(tx.conn(), "tax_class", req.tax_class.as_str())?;
    let id = tx
        .execute_returning(
            "INSERT INTO products (sku, barcode, name, category, unit, tax_class, price_minor,
                                   created_by, created_at_ms, updated_at_ms, track_stock,
                                   standard_cost_minor, plu, reorder_point, reorder_quantity,
                                   preferred_vendor_id, track_expiry)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             RETURNING id",
            rusqlite::params![
                req.sku,
                req.barcode,
                req.name,
                req.category,
                req.unit.as_str(),
                req.tax_class.as_str(),
                req.price_minor,
                user_id,
                now_ms,
                req.track_stock,
                req.standard_cost_minor,
                req.plu,
                req.reorder_point,
                req.reorder_quantity,
                req.preferred_vendor_id,
                req.track_expiry
            ],
            |r| r.get(0),
        )
        .on_constraint(ConstraintKind::Unique, || Error::Duplicate {
            field: "sku".into(),
            value: req.sku.clone(),
        })?;
    Ok(id)
}

/// `catalog.create_product`
pub fn create_product(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreateProductRequest,
) -> Result<ProductView> {
    let actor = ctx.actor()?;
    let id = insert_product(tx, req, Some(actor.user_id), ctx.now_ms)?;
    let view = get(tx.conn(), id)?;
    ctx.audit("product", id, json!(view));
    ctx.emit("product.created", "product", id, json!(view));
    Ok(view)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    pub id: i64,
    pub version: i64,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub sku: Option<String>,
    /// `null` keeps the barcode; `""` removes it.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub barcode: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub name: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub category: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub unit: Option<Unit>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub tax_class: Option<TaxClass>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub price_minor: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub track_stock: Option<bool>,
    /// `null` keeps it; `clear_standard_cost` removes it.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub standard_cost_minor: Option<i64>,
    /// Removes the standard cost (COGS none for untracked sales).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub clear_standard_cost: Option<bool>,
    /// `null` keeps the PLU; `""` removes it.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub plu: Option<String>,
    /// `null` keeps it; `clear_reorder` removes the point and quantity.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub reorder_point: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub reorder_quantity: Option<i64>,
    /// The product is no longer reordered (no point, no quantity).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub clear_reorder: Option<bool>,
    /// `null` keeps it; `0` removes the preferred vendor.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub preferred_vendor_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub track_expiry: Option<bool>,
}

impl Request for UpdateProductRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        if let Some(v) = &self.sku {
            check_sku(v)?;
        }
        if let Some(b) = self.barcode.as_deref().filter(|b| !b.is_empty()) {
            check_barcode(b)?;
        }
        if let Some(v) = &self.name {
            validate::text("name", v, 1, 200)?;
        }
        if let Some(v) = &self.category {
            check_category(v)?;
        }
        if let Some(v) = self.price_minor {
            check_amount("price_minor", v)?;
        }
        if let Some(v) = self.standard_cost_minor {
            check_amount("standard_cost_minor", v)?;
        }
        if let Some(p) = self.plu.as_deref().filter(|p| !p.is_empty()) {
            check_plu(p)?;
        }
        check_reorder(self.reorder_point, self.reorder_quantity)?;
        if let Some(v) = self.preferred_vendor_id.filter(|v| *v != 0) {
            validate::id("preferred_vendor_id", v)?;
        }
        if self.sku.is_none()
            && self.barcode.is_none()
            && self.name.is_none()
            && self.category.is_none()
            && self.unit.is_none()
            && self.tax_class.is_none()
            && self.price_minor.is_none()
            && self.track_stock.is_none()
            && self.standard_cost_minor.is_none()
            && self.clear_standard_cost.is_none()
            && self.plu.is_none()
            && self.reorder_point.is_none()
            && self.reorder_quantity.is_none()
            && self.clear_reorder.is_none()
            && self.preferred_vendor_id.is_none()
            && self.track_expiry.is_none()
        {
            return Err(Error::validation("name", "nothing to change"));
        }
        Ok(())
    }
}

/// A unit whose precision differs would change what every stored quantity of
/// the product means (350 g would read as 350 kg), so it may change only
/// while nothing has been stocked, sold or parked; likewise stock tracking may
/// not be switched off while the product has stock on hand.
fn check_unit_change(conn: &Connection, before: &ProductView, unit: Unit) -> Result<()> {
    if unit.decimals() == before.unit.decimals() {
        return Ok(());
    }
    let used: bool = conn.cached_row(
        "SELECT EXISTS (SELECT 1 FROM batches WHERE product_id = ?1)
             OR EXISTS (SELECT 1 FROM order_lines WHERE product_id = ?1)
             OR EXISTS (SELECT 1 FROM held_cart_lines WHERE product_id = ?1)
             OR EXISTS (SELECT 1 FROM price_rules WHERE product_id = ?1 AND kind = 'quantity_break')",
        [before.id],
        |r| r.get(0),
    )?;
    if used {
        return Err(Error::validation(
            "unit",
            format!(
                "{} already has stock, sales or quantity prices in {}; its unit can only change to one counted the same way",
                before.name,
                before.unit.label()
            ),
        ));
    }
    Ok(())
}

/// `catalog.update_product`: against the version the caller read (T11, T25).
pub fn update_product(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &UpdateProductRequest,
) -> Result<ProductView> {
    let before = get(tx.conn(), req.id)?;
    if before.archived {
        return Err(Error::StateConflict {
            message: format!("product {} is archived", before.sku),
        });
    }
    let sku = req.sku.clone().unwrap_or(before.sku.clone());
    let barcode = match req.barcode.as_deref() {
        None => before.barcode.clone(),
        Some("") => None,
        Some(b) => Some(b.to_string()),
    };
    let name = req.name.clone().unwrap_or(before.name.clone());
    let category = req.category.clone().unwrap_or(before.category.clone());
    let unit = req.unit.unwrap_or(before.unit).as_str();
    let tax = req.tax_class.clone().unwrap_or(before.tax_class.clone());
    crate::catalog::tax::require_class(tx.conn(), "tax_class", tax.as_str())?;
    let tax = tax.as_str();
    let price = req.price_minor.unwrap_or(before.price_minor);
    let track_stock = req.track_stock.unwrap_or(before.track_stock);
    let standard_cost = match (req.clear_standard_cost, req.standard_cost_minor) {
        (Some(true), _) => None,
        (_, Some(c)) => Some(c),
        _ => before.standard_cost_minor,
    };
    let plu = match req.plu.as_deref() {
        None => before.plu.clone(),
        Some("") => None,
        Some(p) => Some(p.to_string()),
    };
    if before.track_stock && !track_stock && before.on_hand > 0 {
        return Err(Error::validation(
            "track_stock",
            format!(
                "{} still has {} on hand; count it to zero before you stop tracking its stock",
                before.name, before.on_hand
            ),
        ));
    }
    let (reorder_point, reorder_quantity) = if req.clear_reorder == Some(true) {
        (None, None)
    } else {
        (
            req.reorder_point.or(before.reorder_point),
            req.reorder_quantity.or(before.reorder_quantity),
        )
    };
    let preferred_vendor = match req.preferred_vendor_id {
        None => before.preferred_vendor_id,
        Some(0) => None,
        Some(v) => Some(v),
    };
    if preferred_vendor != before.preferred_vendor_id {
        check_preferred_vendor(tx.conn(), preferred_vendor)?;
    }
    let track_expiry = req.track_expiry.unwrap_or(before.track_expiry);
    let new_unit = req.unit.unwrap_or(before.unit);
    check_unit_change(tx.conn(), &before, new_unit)?;
    check_unique(tx, req.id, &sku, barcode.as_deref(), plu.as_deref())?;
    PRODUCTS
        .update(
            tx,
            req.id,
            req.version,
            &[
                ("sku", &sku),
                ("barcode", &barcode),
                ("name", &name),
                ("category", &category),
                ("unit", &unit),
                ("tax_class", &tax),
                ("price_minor", &price),
                ("track_stock", &track_stock),
                ("standard_cost_minor", &standard_cost),
                ("plu", &plu),
                ("reorder_point", &reorder_point),
                ("reorder_quantity", &reorder_quantity),
                ("preferred_vendor_id", &preferred_vendor),
                ("track_expiry", &track_expiry),
                ("updated_at_ms", &ctx.now_ms),
            ],
        )
        .map_err(|e| match e {
            Error::Duplicate { .. } => Error::Duplicate {
                field: "sku".into(),
                value: sku.clone(),
            },
            other => other,
        })?;
    let after = get(tx.conn(), req.id)?;
    ctx.audit(
        "product",
        req.id,
        json!({ "before": before, "after": after }),
    );
    ctx.emit("product.updated", "product", req.id, json!(after));
    Ok(after)
}

/// `catalog.archive_product`: never a delete (T22); batches, movements and
/// sales keep pointing at the row.
pub fn archive_product(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &IdVersionRequest,
) -> Result<ProductView> {
    let before = get(tx.conn(), req.id)?;
    PRODUCTS.archive(
        tx,
        req.id,
        req.version,
        before.archived,
        &before.sku,
        ctx.now_ms,
    )?;
    ctx.audit(
        "product",
        req.id,
        json!({ "sku": before.sku, "archived": true }),
    );
    ctx.emit(
        "product.archived",
        "product",
        req.id,
        json!({ "sku": before.sku }),
    );
    get(tx.conn(), req.id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct GetProductRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub barcode: Option<String>,
}

impl Request for GetProductRequest {
    fn validate(&self) -> Result<()> {
        match (&self.id, &self.barcode) {
            (Some(id), None) => validate::id("id", *id),
            (None, Some(b)) => check_barcode(b),
            _ => Err(Error::validation("id", "give either id or barcode")),
        }
    }
}

/// The product carrying `barcode`, archived or not.
pub fn by_barcode(conn: &Connection, barcode: &str) -> Result<Option<ProductView>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} FROM products p WHERE p.barcode = ?1"
        ))?
        .query_row([barcode], view_of)
        .optional()?)
}

/// `catalog.get_product`: by id or by barcode (a scan).
pub fn get_product(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &GetProductRequest,
) -> Result<ProductView> {
    match (&req.id, &req.barcode) {
        (Some(id), _) => get(conn, *id),
        (_, Some(b)) => by_barcode(conn, b)?.ok_or_else(|| Error::not_found("product", b)),
        _ => Err(Error::validation("id", "give either id or barcode")),
    }
}
