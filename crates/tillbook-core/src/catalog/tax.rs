//! Tax as dated data: named classes, each with its rates over time, and
//! whether shelf prices include tax, also over time.
//!
//! A sale (quote, hold, checkout, invoice of it) uses the rate and the mode in
//! effect at the sale's instant ([`rate_at`], [`mode_at`]); its lines keep the
//! rate they were sold at, so a later change never touches a past sale, and a
//! refund takes the sale's rate from the line. Rates and mode switches are never
//! edited or deleted: a change is a new row from a later instant (the schema's
//! triggers refuse the rest).
//!
//! # Switching "prices include tax"
//!
//! The switch is a row in `tax_mode_changes` from an instant; before it sales
//! keep the old mode. The owner says plainly what stays the same:
//!
//! - `keep = prices`: shelf prices stay as they are (customers pay the same,
//!   the net changes). It can be scheduled for any future instant.
//! - `keep = net`: the net stays and every shelf price is recalculated once at
//!   the current rate of its class (rounded half away from zero), in the
//!   switch's own audited transaction. It takes effect at the instant it is
//!   recorded, never later: the core has no background process, so a re-pricing
//!   "on a future day" would have to ride on some unrelated write (a sale), and
//!   a sale must never re-price the shop. Doing it in the owner's own
//!   transaction means no sale ever sees new prices with the old mode, or old
//!   prices with the new one.

use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::shared::handler::{NoArgs, ReadCtx, Request, WriteCtx};
use crate::shared::money::{Currency, Money};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The most classes a shop may have (a country has at most five).
pub const MAX_TAX_CLASSES: i64 = 30;
/// The most rates scheduled for one class over its life.
pub const MAX_RATES_PER_CLASS: i64 = 200;
/// The most mode switches over the shop's life.
pub const MAX_MODE_CHANGES: i64 = 200;
/// The highest rate: 100 % (in basis points).
pub const MAX_RATE_BP: i64 = 10_000;

/// The rate of class `code` in effect at `at_ms`; `None` when the class is
/// unknown (or had no rate yet).
pub fn rate_at(conn: &Connection, code: &str, at_ms: i64) -> Result<Option<i64>> {
    Ok(conn
        .cached_row(
            "SELECT rate_bp FROM tax_rates WHERE class_code = ?1 AND effective_from_ms <= ?2
              ORDER BY effective_from_ms DESC LIMIT 1",
            rusqlite::params![code, at_ms],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether shelf prices include tax at `at_ms`: the latest switch in effect,
/// or `fallback` (the settings value) for a shop with no switch recorded.
pub fn mode_at(conn: &Connection, at_ms: i64, fallback: bool) -> Result<bool> {
    Ok(conn
        .cached_row(
            "SELECT prices_include_tax FROM tax_mode_changes WHERE effective_from_ms <= ?1
              ORDER BY effective_from_ms DESC, id DESC LIMIT 1",
            [at_ms],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(fallback))
}

/// Checks that `code` names a tax class (for products), as a field error.
pub fn require_class(conn: &Connection, field: &str, code: &str) -> Result<()> {
    let exists: bool = conn.cached_row(
        "SELECT EXISTS (SELECT 1 FROM tax_classes WHERE code = ?1)",
        [code],
        |r| r.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            format!("there is no tax class {code:?}; pick one from the list of tax rates"),
        ))
    }
}

fn check_rate(field: &str, rate_bp: i64) -> Result<()> {
    if (0..=MAX_RATE_BP).contains(&rate_bp) {
        Ok(())
    } else {
        Err(Error::validation(field, "must be a rate from 0 % to 100 %"))
    }
}

fn check_code(field: &str, code: &str) -> Result<()> {
    if (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            "must be 1 to 32 lower-case letters, digits or _",
        ))
    }
}

/// One rate of a class, with whether it is already in effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TaxRateView {
    pub effective_from_ms: i64,
    pub rate_bp: i64,
    /// Not yet in effect (scheduled).
    pub pending: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TaxClassView {
    pub code: String,
    pub name: String,
    /// The rate in effect now.
    pub rate_bp: i64,
    /// Every rate, oldest first.
    pub rates: Vec<TaxRateView>,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TaxModeView {
    pub effective_from_ms: i64,
    pub prices_include_tax: bool,
    /// `prices` (shelf prices stayed) or `net` (prices were recalculated).
    pub keep: String,
    pub repriced_products: i64,
    pub pending: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TaxClassList {
    pub classes: Vec<TaxClassView>,
    /// Whether shelf prices include tax now.
    pub prices_include_tax: bool,
    /// Every switch of that, oldest first.
    pub modes: Vec<TaxModeView>,
}

/// Every class with its rates, as of `now_ms`.
pub fn classes(conn: &Connection, now_ms: i64, fallback_mode: bool) -> Result<TaxClassList> {
    let mut stmt =
        conn.prepare_cached("SELECT code, name, version FROM tax_classes ORDER BY rowid LIMIT ?1")?;
    let rows = stmt
        .query_map([MAX_TAX_CLASSES], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<Vec<(String, String, i64)>>>()?;
    let mut rates_stmt = conn.prepare_cached(
        "SELECT effective_from_ms, rate_bp FROM tax_rates WHERE class_code = ?1
          ORDER BY effective_from_ms LIMIT ?2",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (code, name, version) in rows {
        let rates = rates_stmt
            .query_map(rusqlite::params![code, MAX_RATES_PER_CLASS], |r| {
                let from: i64 = r.get(0)?;
                Ok(TaxRateView {
                    effective_from_ms: from,
                    rate_bp: r.get(1)?,
                    pending: from > now_ms,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let rate_bp = rates.iter().rfind(|r| !r.pending).map_or(0, |r| r.rate_bp);
        out.push(TaxClassView {
            code,
            name,
            rate_bp,
            rates,
            version,
        });
    }
    // The highest rate first (Standard), then by name: how every list shows them.
    out.sort_by(|a, b| b.rate_bp.cmp(&a.rate_bp).then_with(|| a.name.cmp(&b.name)));
    let modes = conn
        .prepare_cached(
            "SELECT effective_from_ms, prices_include_tax, keep, repriced_products
               FROM tax_mode_changes ORDER BY effective_from_ms, id LIMIT ?1",
        )?
        .query_map([MAX_MODE_CHANGES], |r| {
            let from: i64 = r.get(0)?;
            Ok(TaxModeView {
                effective_from_ms: from,
                prices_include_tax: r.get(1)?,
                keep: r.get(2)?,
                repriced_products: r.get(3)?,
                pending: from > now_ms,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(TaxClassList {
        classes: out,
        prices_include_tax: mode_at(conn, now_ms, fallback_mode)?,
        modes,
    })
}

/// `tax.classes`
pub fn list(ctx: &ReadCtx<'_>, conn: &Connection, _req: &NoArgs) -> Result<TaxClassList> {
    classes(conn, ctx.now_ms, ctx.settings.prices_include_tax)
}

fn class_version(conn: &Connection, code: &str) -> Result<Option<i64>> {
    Ok(conn
        .cached_row(
            "SELECT version FROM tax_classes WHERE code = ?1",
            [code],
            |r| r.get(0),
        )
        .optional()?)
}

/// A code from a name: lower-case ASCII letters and digits, the rest `_`.
fn code_from_name(name: &str) -> String {
    let mut code = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            code.push(c);
        } else if !code.ends_with('_') && !code.is_empty() {
            code.push('_');
        }
        if code.len() >= 24 {
            break;
        }
    }
    let code = code.trim_end_matches('_').to_string();
    if code.is_empty() {
        "class".into()
    } else {
        code
    }
}

/// Inserts class `code` with its first rate (in effect from the start: no sale
/// can name a class before it exists). Used by setup and `tax.create_class`.
pub(crate) fn insert_class(
    tx: &Tx<'_>,
    code: &str,
    name: &str,
    rate_bp: i64,
    user_id: Option<i64>,
    now_ms: i64,
) -> Result<()> {
    let count: i64 = tx
        .conn()
        .cached_row("SELECT count(*) FROM tax_classes", [], |r| r.get(0))?;
    if count >= MAX_TAX_CLASSES {
        return Err(Error::validation(
            "name",
            format!("a shop has at most {MAX_TAX_CLASSES} tax classes"),
        ));
    }
    tx.execute(
        "INSERT INTO tax_classes (code, name, created_by, created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        rusqlite::params![code, name, user_id, now_ms],
    )
    .on_constraint(ConstraintKind::Unique, || Error::Duplicate {
        field: "code".into(),
        value: code.into(),
    })?;
    tx.execute(
        "INSERT INTO tax_rates (class_code, effective_from_ms, rate_bp, created_by, created_at_ms)
         VALUES (?1, 0, ?2, ?3, ?4)",
        rusqlite::params![code, rate_bp, user_id, now_ms],
    )?;
    Ok(())
}

/// Adds a rate of `code` from `from_ms` (never two on one instant).
pub(crate) fn insert_rate(
    tx: &Tx<'_>,
    code: &str,
    rate_bp: i64,
    from_ms: i64,
    user_id: Option<i64>,
    now_ms: i64,
) -> Result<()> {
    let count: i64 = tx.conn().cached_row(
        "SELECT count(*) FROM tax_rates WHERE class_code = ?1",
        [code],
        |r| r.get(0),
    )?;
    if count >= MAX_RATES_PER_CLASS {
        return Err(Error::validation(
            "effective_from_ms",
            format!("a tax class keeps at most {MAX_RATES_PER_CLASS} rates"),
        ));
    }
    tx.execute(
        "INSERT INTO tax_rates (class_code, effective_from_ms, rate_bp, created_by, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![code, from_ms, rate_bp, user_id, now_ms],
    )
    .on_constraint(ConstraintKind::Unique, || {
        Error::validation(
            "effective_from_ms",
            "this tax class already has a rate starting at that moment; pick another date",
        )
    })?;
    Ok(())
}

/// Renames class `code` (setup, `tax.rename_class`); returns the new version.
fn rename(tx: &Tx<'_>, code: &str, name: &str, version: i64, now_ms: i64) -> Result<i64> {
    let updated: Option<i64> = tx
        .execute_returning(
            "UPDATE tax_classes SET name = ?3, updated_at_ms = ?4, version = version + 1
              WHERE code = ?1 AND version = ?2 RETURNING version",
            rusqlite::params![code, version, name, now_ms],
            |r| r.get(0),
        )
        .optional()?;
    match updated {
        Some(v) => Ok(v),
        None => match class_version(tx.conn(), code)? {
            Some(_) => Err(Error::Conflict {
                entity: "tax class",
                id: code.into(),
                expected: version,
            }),
            None => Err(Error::not_found("tax class", code)),
        },
    }
}

/// One tax rate as setup takes it.
#[derive(Clone, Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct SetupTaxRate {
    pub code: String,
    pub name: String,
    pub rate_bp: i64,
}

pub(crate) fn check_setup_rates(rates: &[SetupTaxRate]) -> Result<()> {
    if rates.len() > 10 {
        return Err(Error::validation(
            "tax_rates",
            "enter at most 10 tax rates; add more later under Tax rates",
        ));
    }
    for (i, r) in rates.iter().enumerate() {
        check_code(&format!("tax_rates[{i}].code"), &r.code)?;
        validate::text(&format!("tax_rates[{i}].name"), &r.name, 1, 60)?;
        check_rate(&format!("tax_rates[{i}].rate_bp"), r.rate_bp)?;
        if rates[..i].iter().any(|o| o.code == r.code) {
            return Err(Error::validation(
                format!("tax_rates[{i}].code"),
                "appears twice",
            ));
        }
    }
    Ok(())
}

/// The first-run rates and mode: known classes take the name and, when it
/// differs, the rate from setup's instant; new classes are added. Classes not
/// named stay as they are (never deleted).
pub(crate) fn apply_setup(
    tx: &Tx<'_>,
    rates: &[SetupTaxRate],
    prices_include_tax: bool,
    user_id: i64,
    now_ms: i64,
) -> Result<()> {
    for r in rates {
        match class_version(tx.conn(), &r.code)? {
            Some(version) => {
                rename(tx, &r.code, &r.name, version, now_ms)?;
                if rate_at(tx.conn(), &r.code, now_ms)? != Some(r.rate_bp) {
                    insert_rate(tx, &r.code, r.rate_bp, now_ms, Some(user_id), now_ms)?;
                }
            }
            None => insert_class(tx, &r.code, &r.name, r.rate_bp, Some(user_id), now_ms)?,
        }
    }
    // No sale exists yet: the mode holds from the start.
    tx.execute(
        "INSERT INTO tax_mode_changes (effective_from_ms, prices_include_tax, keep, created_by, created_at_ms)
         VALUES (0, ?1, 'prices', ?2, ?3)",
        rusqlite::params![prices_include_tax, user_id, now_ms],
    )?;
    Ok(())
}

/// Records that `settings.update` changed "prices include tax" (the settings
/// key kept for compatibility): a switch from now, shelf prices kept.
pub(crate) fn record_settings_switch(
    tx: &Tx<'_>,
    prices_include_tax: bool,
    user_id: i64,
    now_ms: i64,
) -> Result<()> {
    if mode_at(tx.conn(), now_ms, !prices_include_tax)? == prices_include_tax {
        return Ok(());
    }
    insert_mode(tx, prices_include_tax, "prices", 0, user_id, now_ms, now_ms)
}

/// Whether a switch already starts at `from_ms` (`tax.schedule_mode` never
/// schedules two at one instant).
fn mode_change_at(conn: &Connection, from_ms: i64) -> Result<bool> {
    Ok(conn.cached_row(
        "SELECT EXISTS (SELECT 1 FROM tax_mode_changes WHERE effective_from_ms = ?1)",
        [from_ms],
        |r| r.get(0),
    )?)
}

fn insert_mode(
    tx: &Tx<'_>,
    prices_include_tax: bool,
    keep: &str,
    repriced: i64,
    user_id: i64,
    from_ms: i64,
    now_ms: i64,
) -> Result<()> {
    let count: i64 = tx
        .conn()
        .cached_row("SELECT count(*) FROM tax_mode_changes", [], |r| r.get(0))?;
    if count >= MAX_MODE_CHANGES {
        return Err(Error::validation(
            "effective_from_ms",
            format!("the shop keeps at most {MAX_MODE_CHANGES} switches"),
        ));
    }
    tx.execute(
        "INSERT INTO tax_mode_changes (effective_from_ms, prices_include_tax, keep,
                                       repriced_products, created_by, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![from_ms, prices_include_tax, keep, repriced, user_id, now_ms],
    )?;
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CreateTaxClassRequest {
    pub name: String,
    pub rate_bp: i64,
    /// The stable key; made from the name when not given.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub code: Option<String>,
}

impl Request for CreateTaxClassRequest {
    fn validate(&self) -> Result<()> {
        validate::text("name", &self.name, 1, 60)?;
        check_rate("rate_bp", self.rate_bp)?;
        if let Some(code) = &self.code {
            check_code("code", code)?;
        }
        Ok(())
    }
}

/// `tax.create_class`
pub fn create_class(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreateTaxClassRequest,
) -> Result<TaxClassView> {
    let actor = ctx.actor()?;
    let code = match &req.code {
        Some(c) => c.clone(),
        None => {
            let base = code_from_name(&req.name);
            let mut code = base.clone();
            let mut n = 2;
            while class_version(tx.conn(), &code)?.is_some() && n <= MAX_TAX_CLASSES + 1 {
                code = format!("{base}_{n}");
                n += 1;
            }
            code
        }
    };
    insert_class(
        tx,
        &code,
        &req.name,
        req.rate_bp,
        Some(actor.user_id),
        ctx.now_ms,
    )?;
    let summary = json!({ "code": code, "name": req.name, "rate_bp": req.rate_bp });
    ctx.audit("tax_class", &code, summary.clone());
    ctx.emit("tax_class.created", "tax_class", &code, summary);
    view_of(tx.conn(), &code, ctx.now_ms)
}

fn view_of(conn: &Connection, code: &str, now_ms: i64) -> Result<TaxClassView> {
    classes(conn, now_ms, false)?
        .classes
        .into_iter()
        .find(|c| c.code == code)
        .ok_or_else(|| Error::not_found("tax class", code))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ScheduleTaxRateRequest {
    pub code: String,
    pub rate_bp: i64,
    /// The instant the rate applies from (the UI: the picked day at 00:00 in
    /// the shop's time zone); never in the past.
    pub effective_from_ms: i64,
}

impl Request for ScheduleTaxRateRequest {
    fn validate(&self) -> Result<()> {
        check_code("code", &self.code)?;
        check_rate("rate_bp", self.rate_bp)?;
        if self.effective_from_ms < 0 {
            return Err(Error::validation("effective_from_ms", "pick a date"));
        }
        Ok(())
    }
}

fn not_in_past(from_ms: i64, now_ms: i64) -> Result<()> {
    if from_ms < now_ms {
        return Err(Error::validation(
            "effective_from_ms",
            "a change can only start from now on; past sales keep their tax",
        ));
    }
    Ok(())
}

/// `tax.schedule_rate`
pub fn schedule_rate(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ScheduleTaxRateRequest,
) -> Result<TaxClassView> {
    let actor = ctx.actor()?;
    not_in_past(req.effective_from_ms, ctx.now_ms)?;
    require_class(tx.conn(), "code", &req.code)?;
    let before = rate_at(tx.conn(), &req.code, req.effective_from_ms)?;
    insert_rate(
        tx,
        &req.code,
        req.rate_bp,
        req.effective_from_ms,
        Some(actor.user_id),
        ctx.now_ms,
    )?;
    let summary = json!({
        "code": req.code,
        "rate_bp": req.rate_bp,
        "before_rate_bp": before,
        "effective_from_ms": req.effective_from_ms,
    });
    ctx.audit("tax_class", &req.code, summary.clone());
    ctx.emit("tax_rate.scheduled", "tax_class", &req.code, summary);
    view_of(tx.conn(), &req.code, ctx.now_ms)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct RenameTaxClassRequest {
    pub code: String,
    pub name: String,
    pub version: i64,
}

impl Request for RenameTaxClassRequest {
    fn validate(&self) -> Result<()> {
        check_code("code", &self.code)?;
        validate::text("name", &self.name, 1, 60)?;
        validate::version(self.version)
    }
}

/// `tax.rename_class`
pub fn rename_class(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &RenameTaxClassRequest,
) -> Result<TaxClassView> {
    ctx.actor()?;
    let before: Option<String> = tx
        .conn()
        .cached_row(
            "SELECT name FROM tax_classes WHERE code = ?1",
            [&req.code],
            |r| r.get(0),
        )
        .optional()?;
    rename(tx, &req.code, &req.name, req.version, ctx.now_ms)?;
    let summary = json!({ "code": req.code, "before": before, "after": req.name });
    ctx.audit("tax_class", &req.code, summary.clone());
    ctx.emit("tax_class.renamed", "tax_class", &req.code, summary);
    view_of(tx.conn(), &req.code, ctx.now_ms)
}

tillbook_db::named_enum! {
    /// What stays the same when "prices include tax" switches.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum TaxModeKeep {
        /// Shelf prices stay; customers pay the same and the net changes.
        Prices = "prices",
        /// The net stays; shelf prices are recalculated once, now.
        Net = "net",
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ScheduleTaxModeRequest {
    pub prices_include_tax: bool,
    pub keep: TaxModeKeep,
    /// From when; `null`: now. Keeping the net takes effect now only (see the
    /// module docs).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub effective_from_ms: Option<i64>,
}

impl Request for ScheduleTaxModeRequest {
    fn validate(&self) -> Result<()> {
        if self.keep == TaxModeKeep::Net && self.effective_from_ms.is_some() {
            return Err(Error::validation(
                "effective_from_ms",
                "keeping the net recalculates every price at once, so it starts now; \
                 to switch on a later day, choose it on that day or keep shelf prices",
            ));
        }
        if self.effective_from_ms.is_some_and(|t| t < 0) {
            return Err(Error::validation("effective_from_ms", "pick a date"));
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TaxModeScheduled {
    pub effective_from_ms: i64,
    pub prices_include_tax: bool,
    pub keep: TaxModeKeep,
    pub repriced_products: i64,
}

/// `tax.schedule_mode`: switches "prices include tax" from an instant.
pub fn schedule_mode(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ScheduleTaxModeRequest,
) -> Result<TaxModeScheduled> {
    let actor = ctx.actor()?;
    let from_ms = req.effective_from_ms.unwrap_or(ctx.now_ms);
    not_in_past(from_ms, ctx.now_ms)?;
    if mode_change_at(tx.conn(), from_ms)? {
        return Err(Error::validation(
            "effective_from_ms",
            "a switch already starts at that moment; pick another date",
        ));
    }
    let fallback = ctx.settings.prices_include_tax;
    if mode_at(tx.conn(), from_ms, fallback)? == req.prices_include_tax {
        return Err(Error::StateConflict {
            message: if req.prices_include_tax {
                "prices already include tax from then".into()
            } else {
                "prices already exclude tax from then".into()
            },
        });
    }
    let repriced = if req.keep == TaxModeKeep::Net {
        reprice_all(tx, req.prices_include_tax, ctx.now_ms)?
    } else {
        0
    };
    insert_mode(
        tx,
        req.prices_include_tax,
        req.keep.as_str(),
        repriced,
        actor.user_id,
        from_ms,
        ctx.now_ms,
    )?;
    let summary = json!({
        "prices_include_tax": req.prices_include_tax,
        "keep": req.keep.as_str(),
        "effective_from_ms": from_ms,
        "repriced_products": repriced,
    });
    ctx.audit("tax_mode", from_ms, summary.clone());
    ctx.emit("tax_mode.scheduled", "tax_mode", from_ms, summary);
    Ok(TaxModeScheduled {
        effective_from_ms: from_ms,
        prices_include_tax: req.prices_include_tax,
        keep: req.keep,
        repriced_products: repriced,
    })
}

/// Every live product's shelf price recalculated so its net stays: to include
/// tax, `price × (1 + rate)`; to exclude it, the price less the tax it held.
/// Rounded once, half away from zero. Returns how many prices changed.
fn reprice_all(tx: &Tx<'_>, to_include: bool, now_ms: i64) -> Result<i64> {
    // Read here, not through identity (which points down at the catalog).
    let (code, scale): (String, u32) = tx
        .conn()
        .cached_row(
            "SELECT currency_code, currency_scale FROM shop WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| Error::internal("the shop is not set up"))?;
    let currency = Currency::new(&code, scale).map_err(|e| Error::internal(e.to_string()))?;
    let products = tx
        .conn()
        .prepare_cached(
            "SELECT id, price_minor, tax_class FROM products WHERE archived_at_ms IS NULL",
        )?
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut changed = 0;
    for (id, price, class) in products {
        let rate_bp = rate_at(tx.conn(), &class, now_ms)?.unwrap_or(0);
        let rate = Decimal::new(rate_bp, 2);
        let amount = Money::from_minor(price);
        let too_big = |e: crate::shared::money::MoneyError| {
            Error::validation("keep", format!("product {id}: {e}"))
        };
        let new_price = if to_include {
            price + amount.percent_of(rate, &currency).map_err(too_big)?.minor()
        } else {
            price
                - amount
                    .tax_included_part(rate, &currency)
                    .map_err(too_big)?
                    .minor()
        };
        if new_price == price {
            continue;
        }
        if new_price > crate::catalog::MAX_AMOUNT_MINOR {
            return Err(Error::validation(
                "keep",
                format!("product {id}'s price would be too large"),
            ));
        }
        tx.execute(
            "UPDATE products SET price_minor = ?2, updated_at_ms = ?3, version = version + 1
              WHERE id = ?1",
            rusqlite::params![id, new_price, now_ms],
        )?;
        changed += 1;
    }
    Ok(changed)
}

/// One rate's part of a receipt, an invoice, a Z-report or a report: what was
/// sold at that rate before tax, the tax, and both together. Refunds subtract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TaxSummaryRow {
    pub rate_bp: i64,
    /// The name of the class that had this rate then (`Standard`); empty when
    /// none did any more.
    pub name: String,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// Lines grouped by rate, highest rate first, with the sums.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TaxSummary {
    pub rows: Vec<TaxSummaryRow>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// The most rates a summary lists (more than any shop has).
const MAX_SUMMARY_RATES: usize = 50;

/// Runs `sql`, which must return `(rate_bp, net, tax, total)` grouped by rate,
/// and names each rate after the class that had it at `at_ms`.
pub fn summarize(
    conn: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
    at_ms: i64,
) -> Result<TaxSummary> {
    let rows = conn
        .prepare_cached(sql)?
        .query_map(params, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .take(MAX_SUMMARY_RATES)
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = TaxSummary::default();
    for (rate_bp, net, tax, total) in rows {
        out.net_minor += net;
        out.tax_minor += tax;
        out.total_minor += total;
        out.rows.push(TaxSummaryRow {
            rate_bp,
            name: name_for_rate(conn, rate_bp, at_ms)?,
            net_minor: net,
            tax_minor: tax,
            total_minor: total,
        });
    }
    out.rows.sort_by_key(|r| std::cmp::Reverse(r.rate_bp));
    Ok(out)
}

/// The name of the first class whose rate at `at_ms` was `rate_bp`.
fn name_for_rate(conn: &Connection, rate_bp: i64, at_ms: i64) -> Result<String> {
    Ok(conn
        .cached_row(
            "SELECT c.name FROM tax_classes c
              WHERE (SELECT r.rate_bp FROM tax_rates r WHERE r.class_code = c.code
                       AND r.effective_from_ms <= ?2
                     ORDER BY r.effective_from_ms DESC LIMIT 1) = ?1
              ORDER BY c.rowid LIMIT 1",
            rusqlite::params![rate_bp, at_ms],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_names() {
        assert_eq!(code_from_name("Ermäßigt 13 %"), "erm_igt_13");
        assert_eq!(code_from_name("Standard"), "standard");
        assert_eq!(code_from_name("%%"), "class");
    }
}
