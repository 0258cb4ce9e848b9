//! Quick keys: the till's pages of product tiles that the owner arranges
//! (issue 12). A favourites page comes first (seeded by migration 0016 and
//! never archived); a "tiles" page holds the tiles placed on it; a "category"
//! page shows every active product of one category, so it needs no arranging.
//!
//! Pages and tiles are versioned; each command is one write transaction with
//! its audit and outbox rows. Positions are an order (1 first) kept dense by
//! renumbering in the same transaction, so moving one row never leaves a gap
//! or a tie. A tile of an archived product is hidden at the till.

use crate::catalog::products::require_active;
use crate::db::rows::Versioned;
use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::shared::handler::{IdVersionRequest, ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The most live pages a till shows (the tab row stays one row on a counter screen).
pub const MAX_KEY_PAGES: i64 = 20;
/// The most tiles on one page (8 × 6 on a 15" screen).
pub const MAX_TILES_PER_PAGE: i64 = 48;
/// The longest tile picture, as data-URL text (≈ 36 KiB of image).
pub const MAX_TILE_IMAGE_CHARS: usize = 49_152;
const NAME_MAX_CHARS: usize = 40;

const PAGES: Versioned = Versioned {
    table: "quick_key_pages",
    entity: "quick_key_page",
};
const TILES: Versioned = Versioned {
    table: "quick_key_tiles",
    entity: "quick_key_tile",
};

tillbook_db::named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum PageKind {
        Favourites = "favourites",
        Tiles = "tiles",
        Category = "category",
    }
}

tillbook_db::named_enum! {
    /// The small fixed palette a tile may take (the UI maps each to a colour
    /// that keeps its text readable).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum TileColour {
        Grey = "grey",
        Red = "red",
        Orange = "orange",
        Yellow = "yellow",
        Green = "green",
        Teal = "teal",
        Blue = "blue",
        Purple = "purple",
        Pink = "pink",
        Brown = "brown",
    }
}

impl PageKind {
    fn parse(s: &str) -> PageKind {
        PageKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(PageKind::Tiles)
    }
}

impl TileColour {
    fn parse(s: &str) -> TileColour {
        TileColour::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .unwrap_or(TileColour::Grey)
    }
}

/// One tile as the till draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "QuickKeyTile")]
pub struct TileView {
    /// The tile's id; null on a category page (its tiles are the category's products).
    pub id: Option<i64>,
    pub version: Option<i64>,
    pub position: i64,
    pub product_id: i64,
    pub sku: String,
    pub barcode: Option<String>,
    /// The product's name.
    pub name: String,
    /// Shown instead of the name when set.
    pub label: Option<String>,
    pub colour: TileColour,
    /// A data URL (PNG, JPEG or WebP), when the tile has a picture.
    pub image: Option<String>,
    pub price_minor: i64,
    /// The product is archived: the till hides the tile, the arrange screen marks it.
    pub archived: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "QuickKeyPage")]
pub struct PageView {
    pub id: i64,
    pub name: String,
    pub kind: PageKind,
    pub category: Option<String>,
    pub position: i64,
    pub archived: bool,
    pub version: i64,
    pub tiles: Vec<TileView>,
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "QuickKeyPagesRequest")]
#[serde(deny_unknown_fields)]
pub struct PagesRequest {
    /// Also archived pages and the tiles of archived products (the arrange screen).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub include_hidden: bool,
}

impl Request for PagesRequest {}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "QuickKeyPages")]
pub struct PagesView {
    pub pages: Vec<PageView>,
}

const PAGE_COLUMNS: &str =
    "id, name, kind, category, position, archived_at_ms IS NOT NULL, version";

fn page_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<PageView> {
    Ok(PageView {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: PageKind::parse(&r.get::<_, String>(2)?),
        category: r.get(3)?,
        position: r.get(4)?,
        archived: r.get(5)?,
        version: r.get(6)?,
        tiles: Vec::new(),
    })
}

fn tiles_of(conn: &Connection, page: &PageView, include_hidden: bool) -> Result<Vec<TileView>> {
    let tile = |r: &rusqlite::Row<'_>| -> rusqlite::Result<TileView> {
        Ok(TileView {
            id: r.get(0)?,
            version: r.get(1)?,
            position: r.get(2)?,
            product_id: r.get(3)?,
            sku: r.get(4)?,
            barcode: r.get(5)?,
            name: r.get(6)?,
            label: r.get(7)?,
            colour: TileColour::parse(&r.get::<_, String>(8)?),
            image: r.get(9)?,
            price_minor: r.get(10)?,
            archived: r.get(11)?,
        })
    };
    let rows = if let Some(category) = page.category.as_deref() {
        // Derived tiles: the category's active products by name, as many as a page holds.
        let mut st = conn.prepare_cached(
            "SELECT NULL, NULL, row_number() OVER (ORDER BY p.name, p.id), p.id, p.sku, p.barcode,
                    p.name, NULL, 'grey', NULL, p.price_minor, 0
               FROM products p
              WHERE p.category = ?1 AND p.archived_at_ms IS NULL
              ORDER BY p.name, p.id LIMIT ?2",
        )?;
        let rows = st.query_map(rusqlite::params![category, MAX_TILES_PER_PAGE], tile)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    } else {
        let mut st = conn.prepare_cached(
            "SELECT t.id, t.version, t.position, p.id, p.sku, p.barcode, p.name, t.label,
                    t.colour, t.image, p.price_minor, p.archived_at_ms IS NOT NULL
               FROM quick_key_tiles t JOIN products p ON p.id = t.product_id
              WHERE t.page_id = ?1 AND (?2 OR p.archived_at_ms IS NULL)
              ORDER BY t.position, t.id",
        )?;
        let rows = st.query_map(rusqlite::params![page.id, include_hidden], tile)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    Ok(rows)
}

/// The pages in tab order, each with its tiles.
pub fn pages(conn: &Connection, include_hidden: bool) -> Result<Vec<PageView>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {PAGE_COLUMNS} FROM quick_key_pages
          WHERE ?1 OR archived_at_ms IS NULL
          ORDER BY archived_at_ms IS NOT NULL, position, id"
    ))?;
    let mut out = st
        .query_map([include_hidden], page_of)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for p in &mut out {
        p.tiles = tiles_of(conn, p, include_hidden)?;
    }
    Ok(out)
}

/// `catalog.key_pages`: what the till's grid shows (anyone who sells).
pub fn key_pages(_ctx: &ReadCtx<'_>, conn: &Connection, req: &PagesRequest) -> Result<PagesView> {
    Ok(PagesView {
        pages: pages(conn, req.include_hidden)?,
    })
}

fn page(conn: &Connection, id: i64) -> Result<PageView> {
    let mut p = conn
        .cached_row(
            &format!("SELECT {PAGE_COLUMNS} FROM quick_key_pages WHERE id = ?1"),
            [id],
            page_of,
        )
        .optional()?
        .ok_or_else(|| Error::not_found("quick_key_page", id))?;
    p.tiles = tiles_of(conn, &p, true)?;
    Ok(p)
}

fn check_name(v: &str) -> Result<()> {
    validate::text("name", v, 1, NAME_MAX_CHARS)
}

/// Sets positions 1..n in the order given, through `Versioned::update` for
/// every row whose position changes. `rows` are (id, position, version) as
/// read in this transaction, except the one the caller moves, whose version
/// is the caller's (a stale one is `conflict`).
fn renumber(tx: &Tx<'_>, table: &Versioned, rows: &[(i64, i64, i64)], now_ms: i64) -> Result<()> {
    for (i, (id, position, version)) in rows.iter().enumerate() {
        let want = i as i64 + 1;
        if *position != want {
            table.update(
                tx,
                *id,
                *version,
                &[("position", &want), ("updated_at_ms", &now_ms)],
            )?;
        }
    }
    Ok(())
}

/// The live pages in tab order as (id, position, version).
fn live_pages(tx: &Tx<'_>) -> Result<Vec<(i64, i64, i64)>> {
    let mut st = tx.conn().prepare_cached(
        "SELECT id, position, version FROM quick_key_pages
          WHERE archived_at_ms IS NULL ORDER BY position, id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The tiles of a page in order as (id, position, version).
fn page_tiles(tx: &Tx<'_>, page_id: i64) -> Result<Vec<(i64, i64, i64)>> {
    let mut st = tx.conn().prepare_cached(
        "SELECT id, position, version FROM quick_key_tiles
          WHERE page_id = ?1 ORDER BY position, id",
    )?;
    let rows = st.query_map([page_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Moves `id` to 1-based `position` (clamped to the list) within `rows`,
/// carrying the caller's `version` for it.
fn reordered(
    mut rows: Vec<(i64, i64, i64)>,
    id: i64,
    version: i64,
    position: i64,
) -> Vec<(i64, i64, i64)> {
    let from = rows.iter().position(|r| r.0 == id);
    let moved = match from {
        Some(i) => {
            let (_, p, _) = rows.remove(i);
            (id, p, version)
        }
        None => (id, 0, version),
    };
    let at = (position.max(1) as usize - 1).min(rows.len());
    rows.insert(at, moved);
    rows
}

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CreateKeyPageRequest")]
#[serde(deny_unknown_fields)]
pub struct CreatePageRequest {
    pub name: String,
    /// Makes a category page: every active product of this category.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub category: Option<String>,
}

impl Request for CreatePageRequest {
    fn validate(&self) -> Result<()> {
        check_name(&self.name)?;
        if let Some(c) = &self.category {
            validate::text("category", c, 1, 100)?;
        }
        Ok(())
    }
}

/// `catalog.create_key_page`: a new page at the end of the tabs.
pub fn create_page(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreatePageRequest,
) -> Result<PageView> {
    let actor = ctx.actor()?;
    let live = live_pages(tx)?;
    if live.len() as i64 >= MAX_KEY_PAGES {
        return Err(Error::validation(
            "name",
            format!("the till has {MAX_KEY_PAGES} pages, the most it holds; archive one first"),
        ));
    }
    let kind = if req.category.is_some() {
        PageKind::Category
    } else {
        PageKind::Tiles
    };
    let id: i64 = tx.execute_returning(
        "INSERT INTO quick_key_pages (name, kind, category, position, created_by,
                                      created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id",
        rusqlite::params![
            req.name.trim(),
            kind.as_str(),
            req.category.as_deref().map(str::trim),
            live.len() as i64 + 1,
            actor.user_id,
            ctx.now_ms
        ],
        |r| r.get(0),
    )?;
    let view = page(tx.conn(), id)?;
    let summary = json!({ "name": view.name, "kind": view.kind, "category": view.category, "position": view.position });
    ctx.audit("quick_key_page", id, summary.clone());
    ctx.emit("quick_key_page.created", "quick_key_page", id, summary);
    Ok(view)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RenameKeyPageRequest")]
#[serde(deny_unknown_fields)]
pub struct RenamePageRequest {
    pub id: i64,
    pub version: i64,
    pub name: String,
}

impl Request for RenamePageRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        check_name(&self.name)
    }
}

/// `catalog.rename_key_page`
pub fn rename_page(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &RenamePageRequest,
) -> Result<PageView> {
    let before = page(tx.conn(), req.id)?;
    let name = req.name.trim();
    PAGES.update(
        tx,
        req.id,
        req.version,
        &[("name", &name), ("updated_at_ms", &ctx.now_ms)],
    )?;
    let summary = json!({ "before": before.name, "after": name });
    ctx.audit("quick_key_page", req.id, summary.clone());
    ctx.emit("quick_key_page.renamed", "quick_key_page", req.id, summary);
    page(tx.conn(), req.id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "MoveKeyPageRequest")]
#[serde(deny_unknown_fields)]
pub struct MovePageRequest {
    pub id: i64,
    pub version: i64,
    /// The tab it goes to, 2 or later (favourites stays first); past the end = last.
    pub position: i64,
}

impl Request for MovePageRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        if !(2..=MAX_KEY_PAGES).contains(&self.position) {
            return Err(Error::validation(
                "position",
                format!("must be 2 to {MAX_KEY_PAGES}: favourites is always the first page"),
            ));
        }
        Ok(())
    }
}

fn live_page(conn: &Connection, id: i64) -> Result<PageView> {
    let p = page(conn, id)?;
    if p.archived {
        return Err(Error::StateConflict {
            message: format!("quick key page “{}” is archived", p.name),
        });
    }
    Ok(p)
}

/// `catalog.move_key_page`: to another tab; the pages between shift by one.
pub fn move_page(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &MovePageRequest) -> Result<PageView> {
    let before = live_page(tx.conn(), req.id)?;
    if before.kind == PageKind::Favourites {
        return Err(Error::validation(
            "id",
            "the favourites page is always the first page",
        ));
    }
    // The caller's version is checked first, even when the page is already there.
    let version = PAGES.update(tx, req.id, req.version, &[("updated_at_ms", &ctx.now_ms)])?;
    let rows = reordered(live_pages(tx)?, req.id, version, req.position);
    renumber(tx, &PAGES, &rows, ctx.now_ms)?;
    let after = page(tx.conn(), req.id)?;
    let summary = json!({ "name": after.name, "from": before.position, "to": after.position });
    ctx.audit("quick_key_page", req.id, summary.clone());
    ctx.emit("quick_key_page.moved", "quick_key_page", req.id, summary);
    Ok(after)
}

/// `catalog.archive_key_page`: gone from the till; its tiles stay with it.
pub fn archive_page(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &IdVersionRequest,
) -> Result<PageView> {
    let before = page(tx.conn(), req.id)?;
    if before.kind == PageKind::Favourites {
        return Err(Error::validation(
            "id",
            "the favourites page cannot be archived",
        ));
    }
    PAGES.archive(
        tx,
        req.id,
        req.version,
        before.archived,
        &format!("“{}”", before.name),
        ctx.now_ms,
    )?;
    // Close the gap it leaves in the tabs.
    renumber(tx, &PAGES, &live_pages(tx)?, ctx.now_ms)?;
    let summary = json!({ "name": before.name, "archived": true });
    ctx.audit("quick_key_page", req.id, summary.clone());
    ctx.emit("quick_key_page.archived", "quick_key_page", req.id, summary);
    page(tx.conn(), req.id)
}

// ---------------------------------------------------------------------------
// Tiles
// ---------------------------------------------------------------------------

/// A tile picture: a base64 data URL of a PNG, JPEG or WebP image, bounded.
fn check_image(v: &str) -> Result<()> {
    if v.len() > MAX_TILE_IMAGE_CHARS {
        return Err(Error::validation(
            "image",
            format!(
                "must be at most {MAX_TILE_IMAGE_CHARS} characters (a small picture, about 36 KB)"
            ),
        ));
    }
    let body = [
        "data:image/png;base64,",
        "data:image/jpeg;base64,",
        "data:image/webp;base64,",
    ]
    .iter()
    .find_map(|p| v.strip_prefix(p));
    match body {
        Some(b)
            if !b.is_empty()
                && b.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=') =>
        {
            Ok(())
        }
        _ => Err(Error::validation(
            "image",
            "must be a PNG, JPEG or WebP picture as a base64 data URL",
        )),
    }
}

fn check_label(v: &str) -> Result<()> {
    validate::text("label", v, 1, NAME_MAX_CHARS)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PlaceTileRequest")]
#[serde(deny_unknown_fields)]
pub struct PlaceTileRequest {
    pub page_id: i64,
    pub product_id: i64,
    /// Where it goes (1 = first); absent or past the end = last.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub position: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub label: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub colour: Option<TileColour>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub image: Option<String>,
}

impl Request for PlaceTileRequest {
    fn validate(&self) -> Result<()> {
        validate::id("page_id", self.page_id)?;
        validate::id("product_id", self.product_id)?;
        if let Some(p) = self.position {
            if !(1..=MAX_TILES_PER_PAGE).contains(&p) {
                return Err(Error::validation(
                    "position",
                    format!("must be 1 to {MAX_TILES_PER_PAGE}"),
                ));
            }
        }
        if let Some(l) = &self.label {
            check_label(l)?;
        }
        if let Some(i) = &self.image {
            check_image(i)?;
        }
        Ok(())
    }
}

fn tile_view(conn: &Connection, id: i64) -> Result<(i64, TileView)> {
    let page_id: i64 = conn
        .cached_row(
            "SELECT page_id FROM quick_key_tiles WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| Error::not_found("quick_key_tile", id))?;
    let p = page(conn, page_id)?;
    let t = p
        .tiles
        .into_iter()
        .find(|t| t.id == Some(id))
        .ok_or_else(|| Error::not_found("quick_key_tile", id))?;
    Ok((page_id, t))
}

/// `catalog.place_tile`: a product onto a tiles page (or favourites).
pub fn place_tile(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &PlaceTileRequest) -> Result<TileView> {
    let actor = ctx.actor()?;
    let p = live_page(tx.conn(), req.page_id)?;
    if p.kind == PageKind::Category {
        return Err(Error::validation(
            "page_id",
            format!(
                "“{}” shows its category's products by itself; place tiles on another page",
                p.name
            ),
        ));
    }
    let product = require_active(tx.conn(), req.product_id)?;
    let tiles = page_tiles(tx, p.id)?;
    if tiles.len() as i64 >= MAX_TILES_PER_PAGE {
        return Err(Error::validation(
            "page_id",
            format!(
                "“{}” holds {MAX_TILES_PER_PAGE} tiles, the most a page holds",
                p.name
            ),
        ));
    }
    if p.tiles.iter().any(|t| t.product_id == req.product_id) {
        return Err(Error::Duplicate {
            field: "product_id".into(),
            value: product.sku,
        });
    }
    let end = tiles.len() as i64 + 1;
    let id: i64 = tx.execute_returning(
        "INSERT INTO quick_key_tiles (page_id, product_id, position, label, colour, image,
                                      created_by, created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
        rusqlite::params![
            p.id,
            req.product_id,
            end,
            req.label.as_deref().map(str::trim),
            req.colour.unwrap_or(TileColour::Grey).as_str(),
            req.image,
            actor.user_id,
            ctx.now_ms
        ],
        |r| r.get(0),
    )?;
    if let Some(at) = req.position.filter(|at| *at < end) {
        let mut rows = tiles;
        rows.insert(at as usize - 1, (id, end, 1));
        renumber(tx, &TILES, &rows, ctx.now_ms)?;
    }
    let (_, view) = tile_view(tx.conn(), id)?;
    let summary = json!({ "page_id": p.id, "product_id": req.product_id, "sku": view.sku, "position": view.position, "colour": view.colour });
    ctx.audit("quick_key_tile", id, summary.clone());
    ctx.emit("quick_key_tile.placed", "quick_key_tile", id, summary);
    Ok(view)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "UpdateTileRequest")]
#[serde(deny_unknown_fields)]
pub struct UpdateTileRequest {
    pub id: i64,
    pub version: i64,
    /// Moves the tile to this place on its page (1 = first); the tiles between shift by one.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub position: Option<i64>,
    /// `""` removes the label (the product's name shows).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub label: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub colour: Option<TileColour>,
    /// `""` removes the picture.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub image: Option<String>,
}

impl Request for UpdateTileRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        if let Some(p) = self.position {
            if !(1..=MAX_TILES_PER_PAGE).contains(&p) {
                return Err(Error::validation(
                    "position",
                    format!("must be 1 to {MAX_TILES_PER_PAGE}"),
                ));
            }
        }
        if let Some(l) = self.label.as_deref().filter(|l| !l.is_empty()) {
            check_label(l)?;
        }
        if let Some(i) = self.image.as_deref().filter(|i| !i.is_empty()) {
            check_image(i)?;
        }
        if self.position.is_none()
            && self.label.is_none()
            && self.colour.is_none()
            && self.image.is_none()
        {
            return Err(Error::validation("position", "nothing to change"));
        }
        Ok(())
    }
}

/// `catalog.update_tile`: move it on its page, or change its label, colour or picture.
pub fn update_tile(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &UpdateTileRequest,
) -> Result<TileView> {
    let (page_id, before) = tile_view(tx.conn(), req.id)?;
    let label = match req.label.as_deref().map(str::trim) {
        None => before.label.clone(),
        Some("") => None,
        Some(l) => Some(l.to_string()),
    };
    let image = match req.image.as_deref() {
        None => before.image.clone(),
        Some("") => None,
        Some(i) => Some(i.to_string()),
    };
    let colour = req.colour.unwrap_or(before.colour).as_str();
    let version = TILES.update(
        tx,
        req.id,
        req.version,
        &[
            ("label", &label),
            ("colour", &colour),
            ("image", &image),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    if let Some(at) = req.position {
        let rows = reordered(page_tiles(tx, page_id)?, req.id, version, at);
        renumber(tx, &TILES, &rows, ctx.now_ms)?;
    }
    let (_, after) = tile_view(tx.conn(), req.id)?;
    let summary = json!({
        "page_id": page_id, "sku": after.sku,
        "before": { "position": before.position, "label": before.label, "colour": before.colour, "image": before.image.is_some() },
        "after": { "position": after.position, "label": after.label, "colour": after.colour, "image": after.image.is_some() },
    });
    ctx.audit("quick_key_tile", req.id, summary.clone());
    ctx.emit("quick_key_tile.updated", "quick_key_tile", req.id, summary);
    Ok(after)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "RemovedTile")]
pub struct RemovedTile {
    pub id: i64,
    pub page_id: i64,
}

/// `catalog.remove_tile`: the tile goes (the product stays); the tiles after it move up.
pub fn remove_tile(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &IdVersionRequest,
) -> Result<RemovedTile> {
    let (page_id, before) = tile_view(tx.conn(), req.id)?;
    let gone = tx.execute(
        "DELETE FROM quick_key_tiles WHERE id = ?1 AND version = ?2",
        rusqlite::params![req.id, req.version],
    )?;
    if gone == 0 {
        return Err(Error::Conflict {
            entity: "quick_key_tile",
            id: req.id.to_string(),
            expected: req.version,
        });
    }
    renumber(tx, &TILES, &page_tiles(tx, page_id)?, ctx.now_ms)?;
    let summary = json!({ "page_id": page_id, "product_id": before.product_id, "sku": before.sku, "position": before.position, "removed": true });
    ctx.audit("quick_key_tile", req.id, summary.clone());
    ctx.emit("quick_key_tile.removed", "quick_key_tile", req.id, summary);
    Ok(RemovedTile {
        id: req.id,
        page_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reordered_moves_one_row_and_keeps_the_rest_in_order() {
        let rows = vec![(1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 4, 1)];
        let ids = |r: Vec<(i64, i64, i64)>| r.into_iter().map(|x| x.0).collect::<Vec<_>>();
        assert_eq!(ids(reordered(rows.clone(), 4, 7, 2)), vec![1, 4, 2, 3]);
        assert_eq!(ids(reordered(rows.clone(), 1, 7, 3)), vec![2, 3, 1, 4]);
        assert_eq!(ids(reordered(rows.clone(), 2, 7, 99)), vec![1, 3, 4, 2]);
        // The moved row carries the caller's version.
        assert!(reordered(rows, 3, 7, 1).contains(&(3, 3, 7)));
    }

    #[test]
    fn images_must_be_small_pictures_as_data_urls() {
        assert!(check_image("data:image/png;base64,iVBORw0KGgo=").is_ok());
        assert!(check_image("data:image/svg+xml;base64,PHN2Zz4=").is_err());
        assert!(check_image("data:image/png;base64,").is_err());
        assert!(check_image("data:image/png;base64,<script>").is_err());
        let big = format!("data:image/png;base64,{}", "A".repeat(MAX_TILE_IMAGE_CHARS));
        assert!(check_image(&big).is_err());
    }
}
