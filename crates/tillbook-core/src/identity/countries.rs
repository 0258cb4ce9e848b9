//! What a shop in each country starts with: currency, whether shelf prices
//! include tax, the usual tax rates, time zone and the locale dates and
//! amounts are written in. One table; the first-run form fills itself from it
//! (`setup.countries`) and every value stays editable there.

use crate::error::Result;
use crate::shared::handler::{NoArgs, ReadCtx};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// One default tax rate of a country.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct CountryTaxRate {
    /// The class's stable key products point at (`standard`, `reduced`, `zero`, …).
    pub code: String,
    pub name: String,
    pub rate_bp: i64,
}

/// A country's defaults for a new shop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct CountryDefaults {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    pub name: String,
    pub currency_code: String,
    pub currency_scale: u32,
    pub prices_include_tax: bool,
    pub tax_rates: Vec<CountryTaxRate>,
    /// IANA time zone.
    pub timezone: String,
    /// BCP-47 tag for date and number formats.
    pub locale: String,
}

struct Row {
    code: &'static str,
    name: &'static str,
    currency: &'static str,
    include: bool,
    rates: &'static [(&'static str, &'static str, i64)],
    timezone: &'static str,
    locale: &'static str,
}

/// The table. Shelf prices include tax where that is the custom (and, in the
/// EU, the UK and Australia, the law for prices shown to consumers); in the US
/// and Canada prices are shown before sales tax. The US has no national rate:
/// the owner enters her state's and city's rate.
const COUNTRIES: &[Row] = &[
    Row {
        code: "GB",
        name: "United Kingdom",
        currency: "GBP",
        include: true,
        rates: &[
            ("standard", "Standard", 2000),
            ("reduced", "Reduced", 500),
            ("zero", "Zero", 0),
        ],
        timezone: "Europe/London",
        locale: "en-GB",
    },
    Row {
        code: "IE",
        name: "Ireland",
        currency: "EUR",
        include: true,
        rates: &[
            ("standard", "Standard", 2300),
            ("reduced", "Reduced", 1350),
            ("second_reduced", "Second reduced", 900),
            ("zero", "Zero", 0),
        ],
        timezone: "Europe/Dublin",
        locale: "en-IE",
    },
    Row {
        code: "DE",
        name: "Deutschland",
        currency: "EUR",
        include: true,
        rates: &[
            ("standard", "Regelsatz", 1900),
            ("reduced", "Ermäßigt", 700),
            ("zero", "Steuerfrei", 0),
        ],
        timezone: "Europe/Berlin",
        locale: "de-DE",
    },
    Row {
        code: "FR",
        name: "France",
        currency: "EUR",
        include: true,
        rates: &[
            ("standard", "Normal", 2000),
            ("intermediate", "Intermédiaire", 1000),
            ("reduced", "Réduit", 550),
            ("special", "Particulier", 210),
            ("zero", "Exonéré", 0),
        ],
        timezone: "Europe/Paris",
        locale: "fr-FR",
    },
    Row {
        code: "NL",
        name: "Nederland",
        currency: "EUR",
        include: true,
        rates: &[
            ("standard", "Hoog", 2100),
            ("reduced", "Laag", 900),
            ("zero", "Nul", 0),
        ],
        timezone: "Europe/Amsterdam",
        locale: "nl-NL",
    },
    Row {
        code: "ES",
        name: "España",
        currency: "EUR",
        include: true,
        rates: &[
            ("standard", "General", 2100),
            ("reduced", "Reducido", 1000),
            ("super_reduced", "Superreducido", 400),
            ("zero", "Exento", 0),
        ],
        timezone: "Europe/Madrid",
        locale: "es-ES",
    },
    Row {
        code: "IT",
        name: "Italia",
        currency: "EUR",
        include: true,
        rates: &[
            ("standard", "Ordinaria", 2200),
            ("reduced", "Ridotta", 1000),
            ("second_reduced", "Ridotta 5 %", 500),
            ("super_reduced", "Minima", 400),
            ("zero", "Esente", 0),
        ],
        timezone: "Europe/Rome",
        locale: "it-IT",
    },
    Row {
        code: "AT",
        name: "Österreich",
        currency: "EUR",
        include: true,
        rates: &[
            ("standard", "Normalsatz", 2000),
            ("second_reduced", "Ermäßigt 13 %", 1300),
            ("reduced", "Ermäßigt", 1000),
            ("zero", "Steuerfrei", 0),
        ],
        timezone: "Europe/Vienna",
        locale: "de-AT",
    },
    Row {
        code: "US",
        name: "United States",
        currency: "USD",
        include: false,
        rates: &[
            ("standard", "Sales tax", 0),
            ("reduced", "Reduced", 0),
            ("zero", "Exempt", 0),
        ],
        timezone: "America/New_York",
        locale: "en-US",
    },
    Row {
        code: "CA",
        name: "Canada",
        currency: "CAD",
        include: false,
        rates: &[
            ("standard", "GST", 500),
            ("reduced", "HST", 1300),
            ("zero", "Zero-rated", 0),
        ],
        timezone: "America/Toronto",
        locale: "en-CA",
    },
    Row {
        code: "AU",
        name: "Australia",
        currency: "AUD",
        include: true,
        rates: &[("standard", "GST", 1000), ("zero", "GST-free", 0)],
        timezone: "Australia/Sydney",
        locale: "en-AU",
    },
];

fn defaults_of(r: &Row) -> CountryDefaults {
    CountryDefaults {
        code: r.code.into(),
        name: r.name.into(),
        currency_code: r.currency.into(),
        currency_scale: 2,
        prices_include_tax: r.include,
        tax_rates: r
            .rates
            .iter()
            .map(|(code, name, rate_bp)| CountryTaxRate {
                code: (*code).into(),
                name: (*name).into(),
                rate_bp: *rate_bp,
            })
            .collect(),
        timezone: r.timezone.into(),
        locale: r.locale.into(),
    }
}

/// A country's defaults, by its ISO code (capitals).
pub fn country(code: &str) -> Option<CountryDefaults> {
    COUNTRIES.iter().find(|r| r.code == code).map(defaults_of)
}

/// Every country in the table, in table order.
pub fn all() -> Vec<CountryDefaults> {
    COUNTRIES.iter().map(defaults_of).collect()
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct CountryList {
    pub countries: Vec<CountryDefaults>,
}

/// `setup.countries`: the table. Public: the first-run form reads it before
/// anyone can sign in.
pub fn list(_ctx: &ReadCtx<'_>, _conn: &Connection, _req: &NoArgs) -> Result<CountryList> {
    Ok(CountryList { countries: all() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_country_has_sane_defaults() {
        for c in all() {
            assert_eq!(c.code.len(), 2);
            assert_eq!(c.currency_code.len(), 3);
            assert!(!c.tax_rates.is_empty(), "{}", c.code);
            assert!(
                c.tax_rates.iter().any(|r| r.code == "standard"),
                "{}",
                c.code
            );
            for r in &c.tax_rates {
                assert!((0..=10_000).contains(&r.rate_bp));
            }
            assert!(c.timezone.contains('/'));
        }
        for code in [
            "GB", "IE", "DE", "FR", "NL", "ES", "IT", "AT", "US", "CA", "AU",
        ] {
            assert!(country(code).is_some(), "{code}");
        }
        let de = country("DE").unwrap();
        assert_eq!(
            (de.currency_code.as_str(), de.locale.as_str()),
            ("EUR", "de-DE")
        );
        assert!(de.prices_include_tax);
        assert_eq!(country("XX"), None);
    }
}
