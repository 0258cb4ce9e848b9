//! Product search (`catalog.search`).
//!
//! Search (`catalog.search`) answers in tiers, each in a stable order:
//! 1. exact barcode or SKU match;
//! 2. name prefix (case-insensitive), in (name, id) order, via the `products_name` index;
//! 3. word-prefix matches of every typed word in name, SKU, barcode or
//!    category, in any order ("m" and "milk semi" both find "Semi-skimmed
//!    milk"): FTS5, external content, `prefix='1 2 3'` (migration 0016), so a
//!    one-letter word reads one prefix-index entry, not every term; in id
//!    order, not already listed.
//!
//! Paging is `offset` + `limit` (≤ 100) over that combined order; `offset` is
//! bounded so a page never costs more than a few index walks.

use crate::catalog::barcodes::{self, ScaleRead};
use crate::catalog::products::{by_barcode, view_of, ProductView, VIEW_COLUMNS};
use crate::error::{Error, Result};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
pub const SEARCH_OFFSET_MAX: u32 = 1000;
const SEARCH_WORDS_MAX: usize = 8;

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ProductSearchRequest")]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// What was typed or scanned.
    pub query: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub include_archived: bool,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub offset: u32,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for SearchRequest {
    fn validate(&self) -> Result<()> {
        if self.query.trim().is_empty() || self.query.chars().count() > 200 {
            return Err(Error::validation("query", "must be 1 to 200 characters"));
        }
        if self.query.chars().any(char::is_control) {
            return Err(Error::validation(
                "query",
                "must not contain control characters",
            ));
        }
        validate::page_limit(self.limit, validate::SEARCH_LIMIT_MAX)?;
        if self.offset > SEARCH_OFFSET_MAX {
            return Err(Error::validation(
                "offset",
                format!("must be at most {SEARCH_OFFSET_MAX}; refine the search"),
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Barcode,
    Sku,
    NamePrefix,
    Words,
    /// A shop scale's weight or price barcode (catalog/barcodes.rs): the hit
    /// carries the quantity.
    ScaleCode,
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ProductSearchHit")]
pub struct SearchHit {
    #[serde(rename = "match")]
    pub matched: MatchKind,
    pub product: ProductView,
    /// For a scale code: the quantity it carries (and the printed price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub scale: Option<ScaleRead>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ProductSearchPage")]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    /// The `offset` of the next page, or null at the end.
    pub next_offset: Option<u32>,
}

/// The FTS5 query for typed text: every word as a quoted prefix term, all
/// required. Only letters and digits survive, so nothing typed is FTS syntax.
fn fts_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(SEARCH_WORDS_MAX)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The smallest string above every string starting with `prefix` (NOCASE order
/// for ASCII; other characters fall back to a bound that is still correct).
fn prefix_end(prefix: &str) -> String {
    let mut s = prefix.to_lowercase();
    s.push(char::MAX);
    s
}

/// Runs a search; the read command and the benchmark share it.
pub fn search(conn: &Connection, req: &SearchRequest) -> Result<SearchPage> {
    let limit = req.limit.unwrap_or(20) as usize;
    let offset = req.offset as usize;
    let want = offset + limit + 1;
    let q = req.query.trim();
    let mut seen = std::collections::HashSet::new();
    let mut hits: Vec<SearchHit> = Vec::new();
    let visible = |p: &ProductView| req.include_archived || !p.archived;

    // 1. Exact barcode, then exact SKU.
    if let Some(p) = by_barcode(conn, q)?.filter(|p| visible(p)) {
        seen.insert(p.id);
        hits.push(SearchHit {
            matched: MatchKind::Barcode,
            product: p,
            scale: None,
        });
    }
    let sku: Option<ProductView> = conn
        .prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} FROM products p WHERE p.sku = ?1"
        ))?
        .query_row([q], view_of)
        .optional()?;
    if let Some(p) = sku.filter(|p| visible(p) && !seen.contains(&p.id)) {
        seen.insert(p.id);
        hits.push(SearchHit {
            matched: MatchKind::Sku,
            product: p,
            scale: None,
        });
    }

    // 2. Name prefix, in (name, id) order.
    let end = prefix_end(q);
    {
        let mut st = conn.prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} FROM products p
             WHERE p.name >= ?1 AND p.name < ?2 AND (?3 OR p.archived_at_ms IS NULL)
             ORDER BY p.name, p.id LIMIT ?4"
        ))?;
        let rows = st.query_map(
            rusqlite::params![q, end, req.include_archived, want as i64],
            view_of,
        )?;
        for p in rows {
            let p = p?;
            if seen.insert(p.id) {
                hits.push(SearchHit {
                    matched: MatchKind::NamePrefix,
                    product: p,
                    scale: None,
                });
            }
        }
    }

    // 3. Every word as a prefix of a word in name, SKU, barcode or category, in id order.
    if hits.len() < want {
        if let Some(m) = fts_query(q) {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {VIEW_COLUMNS} FROM products_fts f CROSS JOIN products p ON p.id = f.rowid
                 WHERE products_fts MATCH ?1
                   AND NOT (p.name >= ?2 AND p.name < ?3)
                   AND (?4 OR p.archived_at_ms IS NULL)
                 ORDER BY f.rowid LIMIT ?5"
            ))?;
            let rows = st.query_map(
                rusqlite::params![m, q, end, req.include_archived, (want + 2) as i64],
                view_of,
            )?;
            for p in rows {
                let p = p?;
                if hits.len() >= want {
                    break;
                }
                if seen.insert(p.id) {
                    hits.push(SearchHit {
                        matched: MatchKind::Words,
                        product: p,
                        scale: None,
                    });
                }
            }
        }
    }

    let more = hits.len() > offset + limit;
    let items: Vec<SearchHit> = hits.into_iter().skip(offset).take(limit).collect();
    Ok(SearchPage {
        items,
        next_offset: more.then_some((offset + limit) as u32),
    })
}

/// `catalog.search`
pub fn search_cmd(ctx: &ReadCtx<'_>, conn: &Connection, req: &SearchRequest) -> Result<SearchPage> {
    // A shop scale's label (catalog/barcodes.rs) that no product carries as
    // its own barcode: one hit with the weight it says, or a plain-words error.
    let q = req.query.trim();
    if by_barcode(conn, q)?.is_none() {
        if let Some((product, read)) = barcodes::lookup(conn, q, &ctx.settings.scale_barcodes)? {
            return Ok(SearchPage {
                items: vec![SearchHit {
                    matched: MatchKind::ScaleCode,
                    product,
                    scale: Some(read),
                }],
                next_offset: None,
            });
        }
    }
    search(conn, req)
}

// ---------------------------------------------------------------------------
// The catalogue as a list (the Products screen without a search)
// ---------------------------------------------------------------------------

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ListProductsRequest {
    /// Only this category (`""` = products without one).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub category: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub include_archived: bool,
    /// The page after this product (the previous page's `next_after_id`), in name order.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for ListProductsRequest {
    fn validate(&self) -> Result<()> {
        if let Some(c) = self.category.as_deref().filter(|c| !c.is_empty()) {
            validate::text("category", c, 1, 100)?;
        }
        validate::page(self.after_id, self.limit)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ProductListPage {
    pub items: Vec<ProductView>,
    /// Pass as `after_id` for the next page; null at the end.
    pub next_after_id: Option<i64>,
}

const LIST_DEFAULT: u32 = 50;

/// `catalog.list_products`: by name, keyset-paged on (name, id) so a page
/// deep in the catalogue costs what the first one does (the `products_name`
/// and `products_category` indexes).
pub fn list_products(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &ListProductsRequest,
) -> Result<ProductListPage> {
    let limit = req.limit.unwrap_or(LIST_DEFAULT);
    // The cursor's name, read here so the page starts exactly after it.
    let after: Option<(String, i64)> = match req.after_id {
        None => None,
        Some(id) => Some((
            conn.prepare_cached("SELECT name FROM products WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::not_found("product", id))?,
            id,
        )),
    };
    let (after_name, after_id) = after.unwrap_or_default();
    let mut st = conn.prepare_cached(&format!(
        "SELECT {VIEW_COLUMNS} FROM products p
          WHERE (?1 IS NULL OR p.category = ?1)
            AND (?2 OR p.archived_at_ms IS NULL)
            AND (?3 = 0 OR p.name > ?4 OR (p.name = ?4 AND p.id > ?3))
          ORDER BY p.name, p.id LIMIT ?5"
    ))?;
    let rows = st
        .query_map(
            rusqlite::params![
                req.category,
                req.include_archived,
                after_id,
                after_name,
                i64::from(limit) + 1
            ],
            view_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (items, next_after_id) = crate::shared::handler::keyset_page(rows, limit, |p| p.id);
    Ok(ProductListPage {
        items,
        next_after_id,
    })
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct CategoryCount {
    /// `""` = products without a category.
    pub category: String,
    pub products: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct CategoryList {
    pub categories: Vec<CategoryCount>,
}

/// The most categories `catalog.categories` lists (a shop's filter list, not a report).
const CATEGORIES_MAX: i64 = 500;

/// `catalog.categories`: the categories of active products with how many each has.
pub fn categories(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    _req: &crate::shared::handler::NoArgs,
) -> Result<CategoryList> {
    let mut st = conn.prepare_cached(
        "SELECT category, count(*) FROM products
          WHERE archived_at_ms IS NULL GROUP BY category ORDER BY category LIMIT ?1",
    )?;
    let categories = st
        .query_map([CATEGORIES_MAX], |r| {
            Ok(CategoryCount {
                category: r.get(0)?,
                products: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(CategoryList { categories })
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn every_typed_word_is_a_prefix_term_even_one_letter() {
        assert_eq!(fts_query("m").as_deref(), Some("\"m\"*"));
        assert_eq!(
            fts_query("milk semi").as_deref(),
            Some("\"milk\"* \"semi\"*")
        );
        // FTS syntax typed by hand is only words.
        assert_eq!(
            fts_query("a\" OR b*").as_deref(),
            Some("\"a\"* \"OR\"* \"b\"*")
        );
        assert_eq!(fts_query("--").as_deref(), None);
    }
}
