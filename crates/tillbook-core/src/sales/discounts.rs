//! Discount presets the owner defines for the till ("Staff 10 %", "Damaged
//! box £1 off"): a percentage or an amount, for one line or the whole basket,
//! with an optional cap on what it may take off. A cashier may apply a preset
//! (`sales.discount_preset`); any other discount needs `sales.discount`.
//!
//! Presets are versioned rows, archived and never deleted (migration 0017).
//! [`preset_amount`] is the one place a preset becomes an amount; quote and
//! checkout call it through `quote::compute`.

use crate::db::rows::Versioned;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::handler::{IdVersionRequest, NoArgs, ReadCtx, Request, WriteCtx};
use crate::shared::money::{Currency, Money};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::cart::{FULL_PERCENT_BP, MAX_ORDER_MINOR};

const PRESETS: Versioned = Versioned {
    table: "discount_presets",
    entity: "discount_preset",
};

/// The most live presets a shop may have: a row of buttons, not a catalogue.
pub const MAX_PRESETS: i64 = 50;
/// The longest preset name.
pub const MAX_NAME_CHARS: usize = 60;

tillbook_db::named_enum! {
    /// Where a preset applies.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum DiscountScope {
        Line = "line",
        Basket = "basket",
    }
}

/// `discounts.create_preset`: exactly one of `percent_bp` or `amount_minor`.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CreatePresetRequest {
    pub name: String,
    pub scope: DiscountScope,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub percent_bp: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub amount_minor: Option<i64>,
    /// The most the preset takes off one line (or the basket); none when omitted.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub max_minor: Option<i64>,
}

fn check_minor(field: &str, v: i64) -> Result<()> {
    if !(1..=MAX_ORDER_MINOR).contains(&v) {
        return Err(Error::validation(
            field,
            format!("must be 1 to {MAX_ORDER_MINOR} minor units, got {v}"),
        ));
    }
    Ok(())
}

impl Request for CreatePresetRequest {
    fn validate(&self) -> Result<()> {
        validate::text("name", &self.name, 1, MAX_NAME_CHARS)?;
        match (self.percent_bp, self.amount_minor) {
            (Some(bp), None) => {
                if !(1..=FULL_PERCENT_BP).contains(&bp) {
                    return Err(Error::validation(
                        "percent_bp",
                        format!("must be 1 to {FULL_PERCENT_BP} basis points, got {bp}"),
                    ));
                }
            }
            (None, Some(a)) => check_minor("amount_minor", a)?,
            _ => {
                return Err(Error::validation(
                    "percent_bp",
                    "give a percentage (percent_bp) or an amount (amount_minor), one of the two",
                ))
            }
        }
        if let Some(m) = self.max_minor {
            check_minor("max_minor", m)?;
        }
        Ok(())
    }
}

/// A preset as the till shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DiscountPreset {
    pub id: i64,
    pub name: String,
    pub scope: DiscountScope,
    pub percent_bp: Option<i64>,
    pub amount_minor: Option<i64>,
    pub max_minor: Option<i64>,
    pub archived: bool,
    pub version: i64,
}

const COLUMNS: &str =
    "id, name, scope, percent_bp, amount_minor, max_minor, archived_at_ms IS NOT NULL, version";

fn preset_of(r: &Row<'_>) -> rusqlite::Result<DiscountPreset> {
    let scope: String = r.get(2)?;
    Ok(DiscountPreset {
        id: r.get(0)?,
        name: r.get(1)?,
        scope: if scope == "basket" {
            DiscountScope::Basket
        } else {
            DiscountScope::Line
        },
        percent_bp: r.get(3)?,
        amount_minor: r.get(4)?,
        max_minor: r.get(5)?,
        archived: r.get(6)?,
        version: r.get(7)?,
    })
}

/// A preset by id, archived or not.
pub fn get_preset(conn: &Connection, id: i64) -> Result<DiscountPreset> {
    conn.cached_row(
        &format!("SELECT {COLUMNS} FROM discount_presets WHERE id = ?1"),
        [id],
        preset_of,
    )
    .optional()?
    .ok_or_else(|| Error::not_found("discount_preset", id))
}

/// The live preset `id` of `scope` for a cart; errors name `field`.
pub fn preset_for_cart(
    conn: &Connection,
    id: i64,
    scope: DiscountScope,
    field: &str,
) -> Result<DiscountPreset> {
    let p = match get_preset(conn, id) {
        Ok(p) => p,
        Err(Error::NotFound { .. }) => {
            return Err(Error::validation(field, format!("no discount preset {id}")))
        }
        Err(e) => return Err(e),
    };
    if p.archived {
        return Err(Error::validation(
            field,
            format!("the discount {:?} is no longer offered", p.name),
        ));
    }
    if p.scope != scope {
        return Err(Error::validation(
            field,
            format!(
                "the discount {:?} is for {}, not for {}",
                p.name,
                if p.scope == DiscountScope::Basket {
                    "the whole sale"
                } else {
                    "one line"
                },
                if scope == DiscountScope::Basket {
                    "the whole sale"
                } else {
                    "one line"
                }
            ),
        ));
    }
    Ok(p)
}

/// `percent_bp` basis points of `base_minor`, rounded once by money.rs's rule,
/// at most the base.
pub fn percent_amount(base_minor: i64, percent_bp: i64, currency: &Currency) -> Result<i64> {
    let off = Money::from_minor(base_minor)
        .percent_of(Decimal::new(percent_bp, 2), currency)
        .map_err(|e| Error::validation("discount", e.to_string()))?;
    Ok(off.minor().clamp(0, base_minor.max(0)))
}

/// What a preset takes off `base_minor`: its percentage (rounded once) or its
/// amount, capped by its maximum and by the base itself.
pub fn preset_amount(p: &DiscountPreset, base_minor: i64, currency: &Currency) -> Result<i64> {
    let raw = match (p.percent_bp, p.amount_minor) {
        (Some(bp), _) => percent_amount(base_minor, bp, currency)?,
        (None, Some(a)) => a,
        (None, None) => 0,
    };
    Ok(raw
        .min(p.max_minor.unwrap_or(i64::MAX))
        .min(base_minor.max(0)))
}

/// `discounts.create_preset`
pub fn create_preset(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreatePresetRequest,
) -> Result<DiscountPreset> {
    let actor = ctx.actor()?;
    let live: i64 = tx.conn().cached_row(
        "SELECT count(*) FROM discount_presets WHERE archived_at_ms IS NULL",
        [],
        |r| r.get(0),
    )?;
    if live >= MAX_PRESETS {
        return Err(Error::validation(
            "name",
            format!("a shop may offer at most {MAX_PRESETS} discounts: archive one first"),
        ));
    }
    let id: i64 = tx
        .execute_returning(
            "INSERT INTO discount_presets (name, scope, percent_bp, amount_minor, max_minor,
                                           created_by, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
            rusqlite::params![
                req.name,
                req.scope.as_str(),
                req.percent_bp,
                req.amount_minor,
                req.max_minor,
                actor.user_id,
                ctx.now_ms
            ],
            |r| r.get(0),
        )
        .on_constraint(ConstraintKind::Unique, || Error::Duplicate {
            field: "name".into(),
            value: req.name.clone(),
        })?;
    let summary = json!({
        "name": req.name,
        "scope": req.scope.as_str(),
        "percent_bp": req.percent_bp,
        "amount_minor": req.amount_minor,
        "max_minor": req.max_minor,
    });
    ctx.audit("discount_preset", id, summary.clone());
    ctx.emit("discount_preset.created", "discount_preset", id, summary);
    get_preset(tx.conn(), id)
}

/// `discounts.archive_preset`: the preset is no longer offered; sales that
/// used it keep their amounts.
pub fn archive_preset(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &IdVersionRequest,
) -> Result<DiscountPreset> {
    let before = get_preset(tx.conn(), req.id)?;
    PRESETS.archive(
        tx,
        req.id,
        req.version,
        before.archived,
        &before.name,
        ctx.now_ms,
    )?;
    ctx.audit(
        "discount_preset",
        req.id,
        json!({ "name": before.name, "archived": true }),
    );
    ctx.emit(
        "discount_preset.archived",
        "discount_preset",
        req.id,
        json!({ "name": before.name }),
    );
    get_preset(tx.conn(), req.id)
}

/// `discounts.presets`: the live presets, by name (the till's buttons).
pub fn presets(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    _req: &NoArgs,
) -> Result<Vec<DiscountPreset>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM discount_presets WHERE archived_at_ms IS NULL ORDER BY name, id LIMIT ?1"
    ))?;
    let rows = st.query_map([MAX_PRESETS], preset_of)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn preset(
        percent_bp: Option<i64>,
        amount_minor: Option<i64>,
        max: Option<i64>,
    ) -> DiscountPreset {
        DiscountPreset {
            id: 1,
            name: "p".into(),
            scope: DiscountScope::Line,
            percent_bp,
            amount_minor,
            max_minor: max,
            archived: false,
            version: 1,
        }
    }

    #[test]
    fn a_preset_is_rounded_once_capped_by_its_maximum_and_the_base() {
        let gbp = Currency::new("GBP", 2).unwrap();
        // 10 % of 699 = 69.9 → 70.
        assert_eq!(
            preset_amount(&preset(Some(1000), None, None), 699, &gbp).unwrap(),
            70
        );
        // Capped at 50.
        assert_eq!(
            preset_amount(&preset(Some(1000), None, Some(50)), 699, &gbp).unwrap(),
            50
        );
        // An amount never exceeds the line.
        assert_eq!(
            preset_amount(&preset(None, Some(500), None), 300, &gbp).unwrap(),
            300
        );
        assert_eq!(
            preset_amount(&preset(None, Some(100), None), 300, &gbp).unwrap(),
            100
        );
    }
}
