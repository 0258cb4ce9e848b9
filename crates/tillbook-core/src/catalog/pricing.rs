//! Price rules (T40) and the one function that prices a product: [`price_for`].
//!
//! A rule is a typed [`PriceRule`]: a serde enum whose variants refuse unknown
//! fields, validated on save, stored as typed columns of `price_rules` whose
//! CHECK pins each kind's shape. Never free-form JSON.
//!
//! # Precedence
//!
//! For product P, customer C (optional), quantity Q and time T the unit price is
//! the first of these that applies (archived rules never apply):
//!
//! 1. **customer price** for (P, C) — the customer's agreed price wins outright;
//! 2. **promotion** on P with `starts_at_ms ≤ T < ends_at_ms` — if several, the
//!    lowest price, then the lowest rule id;
//! 3. **quantity break** on P with the largest `min_quantity ≤ Q`;
//! 4. **category percent** off P's list price for P's category — if several, the
//!    largest percentage, then the lowest rule id; rounded once to a whole
//!    minor unit by [`Money::less_basis_points`] (money.rs's rule);
//! 5. the product's list price (`price_minor`), `rule_applied: null`.

use crate::catalog::{self, check_amount};
use crate::db::rows::Versioned;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::money::Money;
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

const PRICE_RULES: Versioned = Versioned {
    table: "price_rules",
    entity: "price_rule",
};

/// Quantities are whole units of the product's unit, at most this many per line.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// A price rule as saved. Unknown fields, missing fields and wrong types are
/// refused when the request is parsed; values are checked by [`PriceRule::check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PriceRule {
    /// This customer pays this unit price for this product.
    CustomerPrice {
        product_id: i64,
        customer_id: i64,
        unit_price_minor: i64,
    },
    /// From `min_quantity` units on a line, the unit price is this.
    QuantityBreak {
        product_id: i64,
        min_quantity: i64,
        unit_price_minor: i64,
    },
    /// Every product of the category costs this much less (basis points:
    /// 1000 = 10 %, 10000 = free).
    CategoryPercent {
        category: String,
        percent_off_bp: i64,
    },
    /// A unit price for a product during `[starts_at_ms, ends_at_ms)`.
    Promotion {
        product_id: i64,
        unit_price_minor: i64,
        starts_at_ms: i64,
        ends_at_ms: i64,
    },
}

impl PriceRule {
    pub fn kind(&self) -> &'static str {
        match self {
            PriceRule::CustomerPrice { .. } => "customer_price",
            PriceRule::QuantityBreak { .. } => "quantity_break",
            PriceRule::CategoryPercent { .. } => "category_percent",
            PriceRule::Promotion { .. } => "promotion",
        }
    }

    /// Value checks, each naming its field (T35, T40).
    pub fn check(&self) -> Result<()> {
        match self {
            PriceRule::CustomerPrice {
                product_id,
                customer_id,
                unit_price_minor,
            } => {
                validate::id("product_id", *product_id)?;
                validate::id("customer_id", *customer_id)?;
                check_amount("unit_price_minor", *unit_price_minor)
            }
            PriceRule::QuantityBreak {
                product_id,
                min_quantity,
                unit_price_minor,
            } => {
                validate::id("product_id", *product_id)?;
                if !(2..=MAX_QUANTITY).contains(min_quantity) {
                    return Err(Error::validation(
                        "min_quantity",
                        format!("must be 2 to {MAX_QUANTITY}"),
                    ));
                }
                check_amount("unit_price_minor", *unit_price_minor)
            }
            PriceRule::CategoryPercent {
                category,
                percent_off_bp,
            } => {
                validate::text("category", category, 1, 100)?;
                if !(1..=10_000).contains(percent_off_bp) {
                    return Err(Error::validation(
                        "percent_off_bp",
                        "must be 1 to 10000 basis points (0.01 % to 100 %)",
                    ));
                }
                Ok(())
            }
            PriceRule::Promotion {
                product_id,
                unit_price_minor,
                starts_at_ms,
                ends_at_ms,
            } => {
                validate::id("product_id", *product_id)?;
                check_amount("unit_price_minor", *unit_price_minor)?;
                if *starts_at_ms < 0 {
                    return Err(Error::validation("starts_at_ms", "must not be negative"));
                }
                if ends_at_ms <= starts_at_ms {
                    return Err(Error::validation(
                        "ends_at_ms",
                        "must be after starts_at_ms",
                    ));
                }
                Ok(())
            }
        }
    }

    fn product_id(&self) -> Option<i64> {
        match self {
            PriceRule::CustomerPrice { product_id, .. }
            | PriceRule::QuantityBreak { product_id, .. }
            | PriceRule::Promotion { product_id, .. } => Some(*product_id),
            PriceRule::CategoryPercent { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PriceRuleView {
    pub id: i64,
    #[serde(flatten)]
    pub rule: PriceRule,
    pub archived: bool,
    pub version: i64,
    pub created_at_ms: i64,
}

const RULE_COLUMNS: &str = "id, kind, product_id, category, customer_id, min_quantity,
    unit_price_minor, percent_off_bp, starts_at_ms, ends_at_ms,
    archived_at_ms IS NOT NULL, version, created_at_ms";

fn rule_of(r: &Row<'_>) -> rusqlite::Result<PriceRuleView> {
    let kind: String = r.get(1)?;
    let g = |i: usize| -> rusqlite::Result<i64> { Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0)) };
    let rule = match kind.as_str() {
        "customer_price" => PriceRule::CustomerPrice {
            product_id: g(2)?,
            customer_id: g(4)?,
            unit_price_minor: g(6)?,
        },
        "quantity_break" => PriceRule::QuantityBreak {
            product_id: g(2)?,
            min_quantity: g(5)?,
            unit_price_minor: g(6)?,
        },
        "category_percent" => PriceRule::CategoryPercent {
            category: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            percent_off_bp: g(7)?,
        },
        _ => PriceRule::Promotion {
            product_id: g(2)?,
            unit_price_minor: g(6)?,
            starts_at_ms: g(8)?,
            ends_at_ms: g(9)?,
        },
    };
    Ok(PriceRuleView {
        id: r.get(0)?,
        rule,
        archived: r.get(10)?,
        version: r.get(11)?,
        created_at_ms: r.get(12)?,
    })
}

pub fn get_rule(conn: &Connection, id: i64) -> Result<PriceRuleView> {
    conn.cached_row(
        &format!("SELECT {RULE_COLUMNS} FROM price_rules WHERE id = ?1"),
        [id],
        rule_of,
    )
    .optional()?
    .ok_or_else(|| Error::not_found("price_rule", id))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CreatePriceRuleRequest")]
#[serde(deny_unknown_fields)]
pub struct CreateRuleRequest {
    pub rule: PriceRule,
}

impl Request for CreateRuleRequest {
    fn validate(&self) -> Result<()> {
        self.rule.check()
    }
}

/// `catalog.create_price_rule`
pub fn create_rule(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreateRuleRequest,
) -> Result<PriceRuleView> {
    let actor = ctx.actor()?;
    req.rule.check()?;
    if let Some(pid) = req.rule.product_id() {
        catalog::require_active(tx.conn(), pid).map_err(|e| match e {
            Error::NotFound { .. } => Error::validation("product_id", "no such product"),
            other => other,
        })?;
    }
    if let PriceRule::CustomerPrice { customer_id, .. } = &req.rule {
        // Checked here for a clear error; migration 0004's triggers hold it too.
        let active: Option<bool> = tx
            .conn()
            .cached_row(
                "SELECT archived_at_ms IS NULL FROM customers WHERE id = ?1",
                [customer_id],
                |r| r.get(0),
            )
            .optional()?;
        match active {
            Some(true) => {}
            Some(false) => {
                return Err(Error::validation(
                    "customer_id",
                    "that customer is archived",
                ))
            }
            None => return Err(Error::validation("customer_id", "no such customer")),
        }
    }
    let (mut product, mut category, mut customer, mut minq, mut price, mut pct, mut from, mut to) =
        (None, None, None, None, None, None, None, None);
    match &req.rule {
        PriceRule::CustomerPrice {
            product_id,
            customer_id,
            unit_price_minor,
        } => {
            product = Some(*product_id);
            customer = Some(*customer_id);
            price = Some(*unit_price_minor);
        }
        PriceRule::QuantityBreak {
            product_id,
            min_quantity,
            unit_price_minor,
        } => {
            product = Some(*product_id);
            minq = Some(*min_quantity);
            price = Some(*unit_price_minor);
        }
        PriceRule::CategoryPercent {
            category: c,
            percent_off_bp,
        } => {
            category = Some(c.clone());
            pct = Some(*percent_off_bp);
        }
        PriceRule::Promotion {
            product_id,
            unit_price_minor,
            starts_at_ms,
            ends_at_ms,
        } => {
            product = Some(*product_id);
            price = Some(*unit_price_minor);
            from = Some(*starts_at_ms);
            to = Some(*ends_at_ms);
        }
    }
    let id: i64 = tx
        .execute_returning(
            "INSERT INTO price_rules (kind, product_id, category, customer_id, min_quantity,
                 unit_price_minor, percent_off_bp, starts_at_ms, ends_at_ms,
                 created_by, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) RETURNING id",
            rusqlite::params![
                req.rule.kind(),
                product,
                category,
                customer,
                minq,
                price,
                pct,
                from,
                to,
                actor.user_id,
                ctx.now_ms
            ],
            |r| r.get(0),
        )
        // The partial unique indexes: one live customer price / break per product.
        .on_constraint(ConstraintKind::Unique, || Error::Duplicate {
            field: "rule".into(),
            value: format!(
                "a live {} rule for this product already exists; archive it first",
                req.rule.kind()
            ),
        })?;
    let view = get_rule(tx.conn(), id)?;
    ctx.audit("price_rule", id, json!(view));
    ctx.emit("price_rule.created", "price_rule", id, json!(view));
    Ok(view)
}

/// `catalog.archive_price_rule`: the rule stops applying; its history stays.
pub fn archive_rule(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &crate::shared::handler::IdVersionRequest,
) -> Result<PriceRuleView> {
    let before = get_rule(tx.conn(), req.id)?;
    PRICE_RULES.archive(
        tx,
        req.id,
        req.version,
        before.archived,
        &req.id.to_string(),
        ctx.now_ms,
    )?;
    ctx.audit(
        "price_rule",
        req.id,
        json!({ "kind": before.rule.kind(), "archived": true }),
    );
    ctx.emit(
        "price_rule.archived",
        "price_rule",
        req.id,
        json!({ "kind": before.rule.kind() }),
    );
    get_rule(tx.conn(), req.id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ListRulesRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub product_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub category: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub include_archived: bool,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for ListRulesRequest {
    fn validate(&self) -> Result<()> {
        if let Some(id) = self.product_id {
            validate::id("product_id", id)?;
        }
        if let Some(c) = &self.category {
            validate::text("category", c, 1, 100)?;
        }
        validate::page_limit(self.limit, validate::PAGE_MAX)
    }
}

/// `catalog.price_rules`: rules in id order, filtered in SQL.
pub fn list_rules(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &ListRulesRequest,
) -> Result<Vec<PriceRuleView>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {RULE_COLUMNS} FROM price_rules
         WHERE (?1 IS NULL OR product_id = ?1) AND (?2 IS NULL OR category = ?2)
           AND (?3 OR archived_at_ms IS NULL) AND id > ?4
         ORDER BY id LIMIT ?5"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            req.product_id,
            req.category,
            req.include_archived,
            req.after_id.unwrap_or(0),
            req.limit.unwrap_or(validate::PAGE_MAX)
        ],
        rule_of,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RuleApplied {
    pub id: i64,
    pub kind: String,
}

/// The answer of [`price_for`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Quote {
    pub product_id: i64,
    pub quantity: i64,
    pub list_price_minor: i64,
    pub unit_price_minor: i64,
    /// `unit_price_minor × quantity / 10^decimals` (a price per kg times a
    /// quantity in g), rounded once by the one rule of `shared::money`.
    pub line_total_minor: i64,
    pub rule_applied: Option<RuleApplied>,
}

fn check_quantity(quantity: i64) -> Result<()> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(Error::validation(
            "quantity",
            format!("must be 1 to {MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

/// The price of `product_id` for `customer_id` at `quantity` units at `at_ms`,
/// with the rule that decided it (see the module docs for the precedence).
pub fn price_for(
    conn: &Connection,
    product_id: i64,
    customer_id: Option<i64>,
    quantity: i64,
    at_ms: i64,
) -> Result<Quote> {
    check_quantity(quantity)?;
    let (list, category, unit): (i64, String, String) = conn
        .prepare_cached("SELECT price_minor, category, unit FROM products WHERE id = ?1")?
        .query_row([product_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or_else(|| Error::not_found("product", product_id))?;
    price_with(
        conn,
        product_id,
        list,
        &category,
        customer_id,
        quantity,
        crate::catalog::Unit::parse(&unit).decimals(),
        at_ms,
    )
}

/// Prices a line for a product whose list price, category and unit (its
/// quantity's `decimals`) the caller has already read (the till reads each
/// product once per line). `quantity` is in the unit's smallest part.
///
/// Every live rule that could apply is read in one statement and ranked here,
/// in the documented order: the customer's own price, then the cheapest
/// running promotion, then the largest quantity break reached, then the
/// largest category discount; ties go to the older rule (lower id).
#[allow(clippy::too_many_arguments)] // the already-read parts of one product, and the line
pub fn price_with(
    conn: &Connection,
    product_id: i64,
    list: i64,
    category: &str,
    customer_id: Option<i64>,
    quantity: i64,
    decimals: u32,
    at_ms: i64,
) -> Result<Quote> {
    check_quantity(quantity)?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, unit_price_minor, percent_off_bp, customer_id, min_quantity,
                starts_at_ms, ends_at_ms
           FROM price_rules
          WHERE archived_at_ms IS NULL
            AND (product_id = ?1 OR (kind = 'category_percent' AND category = ?2))",
    )?;
    let mut rows = stmt.query(rusqlite::params![product_id, category])?;
    // (rank key, id, unit price) of the best rule of each kind so far.
    let mut customer: Option<(i64, i64)> = None;
    let mut promotion: Option<(i64, i64)> = None;
    let mut quantity_break: Option<(i64, i64, i64)> = None;
    let mut category_percent: Option<(i64, i64)> = None;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let kind: String = r.get(1)?;
        let unit: Option<i64> = r.get(2)?;
        match (kind.as_str(), unit) {
            ("customer_price", Some(unit)) => {
                let for_customer: Option<i64> = r.get(4)?;
                if for_customer.is_some() && for_customer == customer_id {
                    customer = Some((id, unit));
                }
            }
            ("promotion", Some(unit)) => {
                let (starts, ends): (Option<i64>, Option<i64>) = (r.get(6)?, r.get(7)?);
                let running = starts.is_some_and(|s| s <= at_ms) && ends.is_some_and(|e| at_ms < e);
                if running && promotion.is_none_or(|(best_id, best)| (unit, id) < (best, best_id)) {
                    promotion = Some((id, unit));
                }
            }
            ("quantity_break", Some(unit)) => {
                let min: Option<i64> = r.get(5)?;
                if let Some(min) = min.filter(|m| *m <= quantity) {
                    if quantity_break
                        .is_none_or(|(best_min, best_id, _)| (min, -id) > (best_min, -best_id))
                    {
                        quantity_break = Some((min, id, unit));
                    }
                }
            }
            ("category_percent", None) => {
                let bp: Option<i64> = r.get(3)?;
                if let Some(bp) = bp {
                    if category_percent.is_none_or(|(best_id, best)| (bp, -id) > (best, -best_id)) {
                        category_percent = Some((id, bp));
                    }
                }
            }
            _ => {}
        }
    }
    let category_percent = category_percent
        .map(|(id, bp)| percent_off(list, bp).map(|p| (id, p)))
        .transpose()?;
    let found: Option<(i64, i64, &str)> = customer
        .map(|(id, p)| (id, p, "customer_price"))
        .or(promotion.map(|(id, p)| (id, p, "promotion")))
        .or(quantity_break.map(|(_, id, p)| (id, p, "quantity_break")))
        .or(category_percent.map(|(id, p)| (id, p, "category_percent")));
    let (unit, rule_applied) = match found {
        Some((id, price, kind)) => (
            price,
            Some(RuleApplied {
                id,
                kind: kind.into(),
            }),
        ),
        None => (list, None),
    };
    let line_total_minor = Money::from_minor(unit)
        .times_quantity(quantity, decimals)
        .map(Money::minor)
        .map_err(|_| Error::validation("quantity", "the line total is too large"))?;
    Ok(Quote {
        product_id,
        quantity,
        list_price_minor: list,
        unit_price_minor: unit,
        line_total_minor,
        rule_applied,
    })
}

/// `price × (1 − bp/10000)` to a whole minor unit. Only a list price or a
/// rule outside its CHECKed range could overflow, so that is an internal error.
fn percent_off(price: i64, bp: i64) -> Result<i64> {
    Money::from_minor(price)
        .less_basis_points(bp)
        .map(Money::minor)
        .map_err(|e| Error::internal(e.to_string()))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub product_id: i64,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub customer_id: Option<i64>,
    #[serde(default = "one")]
    #[ts(optional = nullable, type = "number")]
    pub quantity: i64,
    /// Defaults to now.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub at_ms: Option<i64>,
}

fn one() -> i64 {
    1
}

impl Request for QuoteRequest {
    fn validate(&self) -> Result<()> {
        validate::id("product_id", self.product_id)?;
        if let Some(c) = self.customer_id {
            validate::id("customer_id", c)?;
        }
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            return Err(Error::validation(
                "quantity",
                format!("must be 1 to {MAX_QUANTITY}"),
            ));
        }
        if self.at_ms.is_some_and(|t| t < 0) {
            return Err(Error::validation("at_ms", "must not be negative"));
        }
        Ok(())
    }
}

/// `catalog.quote`
pub fn quote(ctx: &ReadCtx<'_>, conn: &Connection, req: &QuoteRequest) -> Result<Quote> {
    price_for(
        conn,
        req.product_id,
        req.customer_id,
        req.quantity,
        req.at_ms.unwrap_or(ctx.now_ms),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::MAX_AMOUNT_MINOR;
    use proptest::prelude::*;

    #[test]
    fn percent_off_rounds_half_up_once() {
        assert_eq!(percent_off(1000, 1000).ok(), Some(900));
        assert_eq!(percent_off(5, 5000).ok(), Some(3)); // 2.5 → 3
        assert_eq!(percent_off(999, 10_000).ok(), Some(0));
        assert_eq!(percent_off(199, 3333).ok(), Some(133)); // 132.6667 → 133
    }

    /// Oracle: `price × (10000 − bp) / 10000` rounded half up, on plain i128,
    /// written without money.rs.
    fn half_up_percent_off(price: i64, bp: i64) -> i64 {
        let num = i128::from(price) * i128::from(10_000 - bp);
        let rounded = (num + 5_000) / 10_000;
        i64::try_from(rounded).unwrap_or(price)
    }

    #[test]
    fn t40_percent_off_matches_half_up_for_small_prices_and_every_bp() {
        for price in 0..=20 {
            for bp in 1..=10_000 {
                assert_eq!(
                    percent_off(price, bp).ok(),
                    Some(half_up_percent_off(price, bp)),
                    "{price} less {bp} bp"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn t40_percent_off_matches_half_up_over_every_price_rule_input(
            price in prop_oneof![
                0..=MAX_AMOUNT_MINOR,
                0i64..=100_000,
                // k·10⁴ + 5000 with an odd bp lands exactly on a half.
                (0..MAX_AMOUNT_MINOR / 10_000).prop_map(|k| k * 10_000 + 5_000),
                Just(MAX_AMOUNT_MINOR),
            ],
            bp in prop_oneof![1i64..=10_000, Just(1i64), Just(9_999i64), Just(10_000i64)],
        ) {
            prop_assert_eq!(percent_off(price, bp).ok(), Some(half_up_percent_off(price, bp)));
        }
    }

    #[test]
    fn t40_unknown_fields_and_kinds_are_refused() {
        let bad = [
            r#"{"kind":"promotion","product_id":1,"unit_price_minor":5,"starts_at_ms":0,"ends_at_ms":9,"discount":3}"#,
            r#"{"kind":"free_lunch","product_id":1}"#,
            r#"{"kind":"quantity_break","product_id":1,"min_quantity":"ten","unit_price_minor":5}"#,
            r#"{"product_id":1,"unit_price_minor":5}"#,
        ];
        for b in bad {
            assert!(serde_json::from_str::<PriceRule>(b).is_err(), "{b}");
        }
    }
}
