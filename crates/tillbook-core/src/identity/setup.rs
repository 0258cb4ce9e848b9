//! First-run setup, shop details, settings and the audit viewer's commands.

use crate::catalog::tax::{self, SetupTaxRate};
use crate::db::rows::Versioned;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::identity::countries;
use crate::identity::users::{self, CreateUserRequest, UserView};
use crate::shared::access::Role;
use crate::shared::denominations::denominations_minor;
use crate::shared::handler::NoArgs;
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::settings;
use crate::shared::validate::{self, Secret};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ShopInfo {
    pub name: String,
    pub currency_code: String,
    pub currency_scale: u32,
    pub host_id: String,
    pub created_at_ms: i64,
    /// The currency's notes and coins, largest first (quick cash, counting a drawer).
    pub denominations_minor: Vec<i64>,
    /// ISO 3166-1 alpha-2 country the shop was set up in; empty when not given.
    pub country_code: String,
    /// Printed on receipts and invoices; lines separated by `\n`.
    pub address: String,
    pub phone: String,
    /// The shop's VAT or tax number, printed on receipts and invoices.
    pub tax_number: String,
    /// IANA time zone dates are shown in (`Europe/London`); empty: the machine's.
    pub timezone: String,
    /// BCP-47 tag for date and number formats (`en-GB`); empty: the machine's.
    pub locale: String,
    pub version: i64,
}

pub fn load_shop(conn: &Connection) -> Result<Option<ShopInfo>> {
    Ok(conn
        .cached_row(
            "SELECT name, currency_code, currency_scale, host_id, created_at_ms, country_code,
                    address, phone, tax_number, timezone, locale, version
               FROM shop WHERE id = 1",
            [],
            |r| {
                let currency_code: String = r.get(1)?;
                let currency_scale: u32 = r.get(2)?;
                Ok(ShopInfo {
                    denominations_minor: denominations_minor(&currency_code, currency_scale),
                    name: r.get(0)?,
                    currency_code,
                    currency_scale,
                    host_id: r.get(3)?,
                    created_at_ms: r.get(4)?,
                    country_code: r.get(5)?,
                    address: r.get(6)?,
                    phone: r.get(7)?,
                    tax_number: r.get(8)?,
                    timezone: r.get(9)?,
                    locale: r.get(10)?,
                    version: r.get(11)?,
                })
            },
        )
        .optional()?)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SetupStatus {
    pub needs_setup: bool,
    pub shop_name: Option<String>,
}

/// `setup.status`: whether this file still needs its first owner. Public: the
/// first-run screen asks it before anyone can log in.
pub fn status(_ctx: &ReadCtx<'_>, conn: &Connection, _req: &NoArgs) -> Result<SetupStatus> {
    let shop = load_shop(conn)?;
    Ok(SetupStatus {
        needs_setup: shop.is_none(),
        shop_name: shop.map(|s| s.name),
    })
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CreateOwnerRequest {
    pub shop_name: String,
    pub currency_code: String,
    #[serde(default = "default_scale")]
    #[ts(optional = nullable)]
    pub currency_scale: u32,
    pub username: String,
    pub display_name: String,
    #[ts(type = "string")]
    pub password: Secret,
    #[serde(default)]
    #[ts(optional = nullable, type = "string | null")]
    pub pin: Option<Secret>,
    /// The country whose defaults fill what is not given (`setup.countries`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub country_code: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub address: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub phone: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub tax_number: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub timezone: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub locale: String,
    /// Whether shelf prices include tax; the country's custom when not given
    /// (off without a country).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub prices_include_tax: Option<bool>,
    /// The shop's tax rates; the country's when empty (the built-in
    /// Standard 20 %, Reduced 5 %, Zero 0 % without a country).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub tax_rates: Vec<SetupTaxRate>,
}

/// What the owner may change about her shop later (`shop.update`); empty
/// strings are "not given".
#[derive(Clone, Debug, Default)]
pub struct ShopDetails {
    pub address: String,
    pub phone: String,
    pub tax_number: String,
    pub timezone: String,
    pub locale: String,
}

/// The most lines an address prints on.
pub const MAX_ADDRESS_LINES: usize = 6;

impl ShopDetails {
    pub fn validate(&self) -> Result<()> {
        check_address(&self.address)?;
        optional_text("phone", &self.phone, 40)?;
        if self.phone.chars().any(|c| c.is_alphabetic()) {
            return Err(Error::validation(
                "phone",
                "enter digits, spaces and + ( ) - only",
            ));
        }
        optional_text("tax_number", &self.tax_number, 40)?;
        check_timezone(&self.timezone)?;
        check_locale(&self.locale)
    }
}

fn optional_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        Ok(())
    } else {
        validate::text(field, value, 1, max)
    }
}

fn check_address(address: &str) -> Result<()> {
    if address.chars().count() > 300 {
        return Err(Error::validation(
            "address",
            "must be at most 300 characters",
        ));
    }
    let lines: Vec<&str> = address.split('\n').collect();
    if lines.len() > MAX_ADDRESS_LINES {
        return Err(Error::validation(
            "address",
            format!("must be at most {MAX_ADDRESS_LINES} lines"),
        ));
    }
    for line in lines {
        if line.chars().any(char::is_control) {
            return Err(Error::validation(
                "address",
                "must not contain control characters",
            ));
        }
    }
    Ok(())
}

/// An IANA zone name (`Europe/Berlin`, `America/Argentina/Buenos_Aires`, `UTC`):
/// checked for shape here; the UI's `Intl` checks it exists.
fn check_timezone(tz: &str) -> Result<()> {
    let ok = tz.is_empty()
        || tz == "UTC"
        || (tz.len() <= 64
            && tz.contains('/')
            && tz.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
            }));
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            "timezone",
            "must be a time zone like Europe/London",
        ))
    }
}

/// A BCP-47 tag's shape (`en-GB`, `de-DE`, `sr-Latn-RS`).
fn check_locale(tag: &str) -> Result<()> {
    let ok = tag.is_empty()
        || (tag.len() <= 35
            && tag.split('-').enumerate().all(|(i, part)| {
                let letters = part.bytes().all(|b| b.is_ascii_alphabetic());
                if i == 0 {
                    (2..=3).contains(&part.len()) && letters
                } else {
                    (2..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
                }
            }));
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            "locale",
            "must be a language tag like en-GB",
        ))
    }
}

fn default_scale() -> u32 {
    2
}

impl Request for CreateOwnerRequest {
    fn validate(&self) -> Result<()> {
        validate::text("shop_name", &self.shop_name, 1, 100)?;
        if self.currency_code.len() != 3
            || !self.currency_code.bytes().all(|b| b.is_ascii_uppercase())
        {
            return Err(Error::validation(
                "currency_code",
                "must be a 3-letter ISO code in capitals, like EUR",
            ));
        }
        if self.currency_scale > 4 {
            return Err(Error::validation("currency_scale", "must be 0 to 4"));
        }
        if !self.country_code.is_empty() && countries::country(&self.country_code).is_none() {
            return Err(Error::validation(
                "country_code",
                "is not a country Tillbook knows yet; pick one from the list",
            ));
        }
        self.details().validate()?;
        tax::check_setup_rates(&self.tax_rates)?;
        self.as_user().validate()
    }

    fn secrets(&self) -> Vec<&Secret> {
        std::iter::once(&self.password).chain(&self.pin).collect()
    }
}

impl CreateOwnerRequest {
    fn details(&self) -> ShopDetails {
        ShopDetails {
            address: self.address.clone(),
            phone: self.phone.clone(),
            tax_number: self.tax_number.clone(),
            timezone: self.timezone.clone(),
            locale: self.locale.clone(),
        }
    }

    fn as_user(&self) -> CreateUserRequest {
        CreateUserRequest {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: Role::Owner,
            password: self.password.clone(),
            pin: self.pin.clone(),
        }
    }
}

/// `setup.create_owner`: creates the shop and its first owner, only while no user
/// exists. Racing setups serialise on the write lock, and the single-row `shop`
/// table refuses a second one even so (T03).
pub fn create_owner(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreateOwnerRequest,
) -> Result<UserView> {
    let users: i64 = tx
        .conn()
        .cached_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    if users > 0 {
        return Err(Error::forbidden(
            "this shop is already set up; ask its owner or a manager to create your account",
        ));
    }
    let host_id = crate::db::migrate::hex(&fastrand::u128(..).to_le_bytes());
    let country = countries::country(&req.country_code);
    // What the owner left empty comes from her country's defaults.
    let or_country = |given: &str, default: fn(&countries::CountryDefaults) -> &str| -> String {
        match (&country, given) {
            (Some(c), "") => default(c).to_string(),
            _ => given.to_string(),
        }
    };
    let timezone = or_country(&req.timezone, |c| &c.timezone);
    let locale = or_country(&req.locale, |c| &c.locale);
    tx.execute(
        "INSERT INTO shop (id, name, currency_code, currency_scale, host_id, created_at_ms,
                           country_code, address, phone, tax_number, timezone, locale, updated_at_ms)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?5)",
        rusqlite::params![
            req.shop_name,
            req.currency_code,
            req.currency_scale,
            host_id,
            ctx.now_ms,
            req.country_code,
            req.address,
            req.phone,
            req.tax_number,
            timezone,
            locale,
        ],
    )
    .on_constraint(ConstraintKind::Unique, || {
        Error::forbidden("this shop is already set up")
    })?;
    let id = users::insert_user(tx, &req.as_user(), None, ctx.now_ms)?;
    settings::insert_defaults(tx, ctx.now_ms, Some(id))?;
    let prices_include_tax = req
        .prices_include_tax
        .unwrap_or(country.as_ref().is_some_and(|c| c.prices_include_tax));
    if prices_include_tax {
        let mut s = settings::load(tx.conn())?;
        s.settings.prices_include_tax = true;
        settings::store(tx, s.version, &s.settings, ctx.now_ms, id)?;
    }
    let rates: Vec<SetupTaxRate> = match (&country, req.tax_rates.is_empty()) {
        (Some(c), true) => c
            .tax_rates
            .iter()
            .map(|r| SetupTaxRate {
                code: r.code.clone(),
                name: r.name.clone(),
                rate_bp: r.rate_bp,
            })
            .collect(),
        _ => req.tax_rates.clone(),
    };
    tax::apply_setup(tx, &rates, prices_include_tax, id, ctx.now_ms)?;
    ctx.audit_as(id, &req.username);
    let summary = json!({
        "shop_name": req.shop_name,
        "currency_code": req.currency_code,
        "owner": req.username,
        "country_code": req.country_code,
        "prices_include_tax": prices_include_tax,
        "tax_rates": rates.iter().map(|r| json!({"code": r.code, "name": r.name, "rate_bp": r.rate_bp})).collect::<Vec<_>>(),
        "timezone": timezone,
        "locale": locale,
    });
    ctx.audit("shop", 1, summary.clone());
    ctx.emit("shop.created", "shop", 1, summary);
    users::get(tx.conn(), id)
}

/// `shop.info`
pub fn info(_ctx: &ReadCtx<'_>, conn: &Connection, _req: &NoArgs) -> Result<ShopInfo> {
    load_shop(conn)?.ok_or_else(|| Error::not_found("shop", 1))
}

const SHOP: Versioned = Versioned {
    table: "shop",
    entity: "shop",
};

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct UpdateShopRequest {
    pub version: i64,
    pub name: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub address: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub phone: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub tax_number: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub timezone: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub locale: String,
}

impl UpdateShopRequest {
    fn details(&self) -> ShopDetails {
        ShopDetails {
            address: self.address.clone(),
            phone: self.phone.clone(),
            tax_number: self.tax_number.clone(),
            timezone: self.timezone.clone(),
            locale: self.locale.clone(),
        }
    }
}

impl Request for UpdateShopRequest {
    fn validate(&self) -> Result<()> {
        validate::version(self.version)?;
        validate::text("name", &self.name, 1, 100)?;
        self.details().validate()
    }
}

/// `shop.update`: the owner edits the shop's name, address, phone, tax number,
/// time zone and locale (the currency and country stay as set up: sales
/// already made in them).
pub fn update(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &UpdateShopRequest) -> Result<ShopInfo> {
    ctx.actor()?;
    let before = load_shop(tx.conn())?.ok_or_else(|| Error::not_found("shop", 1))?;
    let d = req.details();
    SHOP.update(
        tx,
        1,
        req.version,
        &[
            ("name", &req.name),
            ("address", &d.address),
            ("phone", &d.phone),
            ("tax_number", &d.tax_number),
            ("timezone", &d.timezone),
            ("locale", &d.locale),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    let after = load_shop(tx.conn())?.ok_or_else(|| Error::not_found("shop", 1))?;
    let pick = |s: &ShopInfo| {
        json!({
            "name": s.name, "address": s.address, "phone": s.phone,
            "tax_number": s.tax_number, "timezone": s.timezone, "locale": s.locale,
        })
    };
    ctx.audit(
        "shop",
        1,
        json!({ "before": pick(&before), "after": pick(&after) }),
    );
    ctx.emit("shop.updated", "shop", 1, pick(&after));
    Ok(after)
}
