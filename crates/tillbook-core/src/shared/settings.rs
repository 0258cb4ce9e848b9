//! Shop settings: typed, each with a default (T34), validated on every write.
//!
//! Stored as one JSON document in the `settings` row. A key missing from the
//! document takes its default, so adding a setting needs no migration.

use crate::db::rows::Versioned;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::shared::calendar::DAY_MS;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// A session locks after this long without a command (T24).
    #[ts(type = "number")]
    pub idle_lock_ms: i64,
    /// Wrong passwords or PINs in a row before the account locks (T18).
    #[ts(type = "number")]
    pub max_failed_logins: i64,
    /// The first lockout's length; each further lockout doubles it.
    #[ts(type = "number")]
    pub lockout_base_ms: i64,
    /// Lockouts never grow beyond this.
    #[ts(type = "number")]
    pub lockout_max_ms: i64,
    /// Raising a credit limit above this needs a second user with `credit.approve` (T21).
    #[ts(type = "number")]
    pub credit_approval_threshold_minor: i64,
    /// Prices entered include tax (true) or have tax added (false).
    pub prices_include_tax: bool,
    /// Printed at the bottom of receipts.
    pub receipt_footer: String,
    /// A stock reservation (held or parked sale) is released after this long (T17).
    #[ts(type = "number")]
    pub reservation_ttl_ms: i64,
    /// Days from an invoice's issue to its due date when none is given.
    pub invoice_terms_days: i64,
    /// Which EAN-13 prefixes shop scales print weights or prices into
    /// (catalog/barcodes.rs). Empty: no scale barcodes.
    pub scale_barcodes: Vec<ScaleBarcodeRule>,
    /// Whether a card payment needs the terminal's reference at the till:
    /// `required` (the core refuses a card payment without one), `optional`
    /// (the till offers the field; one-tap Card pays without it) or `off`
    /// (the till does not ask).
    pub card_reference: CardReference,
    /// Card (and other non-cash) sales may be rung up with no shift open;
    /// cash always needs an open drawer.
    pub sell_card_without_shift: bool,
    /// Staff sign in on a shared till by tapping their name and typing their
    /// PIN (same lockout as passwords); off: username and password.
    pub staff_pin_sign_in: bool,
}

/// What the value digits of a scale barcode are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ScaleEmbeds {
    /// The quantity in the product's smallest unit (grams for kg, ml for l).
    Weight,
    /// The line's price in minor units.
    Price,
}

/// One range of EAN-13 prefixes a shop scale prints: `prefix` (1–2 digits, a
/// range `prefix_from`..=`prefix_to` of the same length), then `plu_digits`
/// of PLU, then (when `value_check_digit`) the GS1 price/weight check digit,
/// then the value, then the EAN check digit. The value has what is left:
/// 12 − prefix − PLU digits − the value's check digit (4 to 6; 4 or 5 with
/// a value check digit, the lengths GS1 defines one for).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ScaleBarcodeRule {
    pub prefix_from: String,
    pub prefix_to: String,
    pub embeds: ScaleEmbeds,
    pub plu_digits: u32,
    /// The scale prints a check digit for the price or weight before it
    /// (`2X PPPP K VVVVV C`): verified, so a misread price is never charged.
    #[serde(default)]
    pub value_check_digit: bool,
}

/// The most scale barcode rules the settings hold.
pub const MAX_SCALE_RULES: usize = 10;

impl ScaleBarcodeRule {
    /// How many digits the value has (weight or price).
    pub fn value_digits(&self) -> usize {
        12usize
            .saturating_sub(self.prefix_from.len())
            .saturating_sub(self.plu_digits as usize)
            .saturating_sub(usize::from(self.value_check_digit))
    }

    fn validate(&self, i: usize) -> Result<()> {
        let field = |f: &str| format!("scale_barcodes[{i}].{f}");
        let digits =
            |v: &str| !v.is_empty() && v.len() <= 2 && v.bytes().all(|b| b.is_ascii_digit());
        if !digits(&self.prefix_from) || !digits(&self.prefix_to) {
            return Err(Error::validation(
                field("prefix_from"),
                "a prefix is 1 or 2 digits",
            ));
        }
        if self.prefix_from.len() != self.prefix_to.len() || self.prefix_from > self.prefix_to {
            return Err(Error::validation(
                field("prefix_to"),
                "must have as many digits as prefix_from and not be below it",
            ));
        }
        if !(4..=6).contains(&self.plu_digits) {
            return Err(Error::validation(
                field("plu_digits"),
                format!("must be 4 to 6, got {}", self.plu_digits),
            ));
        }
        if !(4..=6).contains(&self.value_digits()) {
            return Err(Error::validation(
                field("plu_digits"),
                "the prefix and PLU must leave 4 to 6 digits for the weight or price",
            ));
        }
        if self.value_check_digit && !(4..=5).contains(&self.value_digits()) {
            return Err(Error::validation(
                field("value_check_digit"),
                "a price or weight check digit goes with a 4- or 5-digit value: the prefix and PLU leave 6",
            ));
        }
        Ok(())
    }
}

/// See [`Settings::card_reference`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum CardReference {
    #[default]
    Required,
    Optional,
    Off,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            idle_lock_ms: 5 * 60 * 1000,
            max_failed_logins: 5,
            lockout_base_ms: 30 * 1000,
            lockout_max_ms: 60 * 60 * 1000,
            credit_approval_threshold_minor: 100_000,
            prices_include_tax: false,
            receipt_footer: String::new(),
            reservation_ttl_ms: 30 * 60 * 1000,
            invoice_terms_days: 30,
            scale_barcodes: Vec::new(),
            card_reference: CardReference::Required,
            sell_card_without_shift: false,
            staff_pin_sign_in: false,
        }
    }
}

impl Settings {
    pub fn validate(&self) -> Result<()> {
        range("idle_lock_ms", self.idle_lock_ms, 30_000, DAY_MS)?;
        range("max_failed_logins", self.max_failed_logins, 3, 20)?;
        range("lockout_base_ms", self.lockout_base_ms, 1_000, DAY_MS)?;
        range("lockout_max_ms", self.lockout_max_ms, 1_000, 7 * DAY_MS)?;
        if self.lockout_max_ms < self.lockout_base_ms {
            return Err(Error::validation(
                "lockout_max_ms",
                "must be at least as long as the first lockout",
            ));
        }
        range(
            "credit_approval_threshold_minor",
            self.credit_approval_threshold_minor,
            0,
            i64::from(i32::MAX),
        )?;
        range(
            "reservation_ttl_ms",
            self.reservation_ttl_ms,
            60_000,
            7 * DAY_MS,
        )?;
        range("invoice_terms_days", self.invoice_terms_days, 1, 365)?;
        if self.scale_barcodes.len() > MAX_SCALE_RULES {
            return Err(Error::validation(
                "scale_barcodes",
                format!("at most {MAX_SCALE_RULES} rules"),
            ));
        }
        for (i, r) in self.scale_barcodes.iter().enumerate() {
            r.validate(i)?;
        }
        if self.receipt_footer.chars().count() > 500 {
            return Err(Error::validation(
                "receipt_footer",
                "must be at most 500 characters",
            ));
        }
        Ok(())
    }
}

fn range(field: &str, v: i64, min: i64, max: i64) -> Result<()> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            crate::error::FieldError::OutOfRange {
                min: Some(min),
                max: Some(max),
            },
            format!("must be between {min} and {max}, got {v}"),
        ))
    }
}

/// Settings as stored, with the version an update must name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct VersionedSettings {
    pub settings: Settings,
    #[ts(type = "number")]
    pub version: i64,
}

const TABLE: Versioned = Versioned {
    table: "settings",
    entity: "settings",
};

/// Reads the settings; before setup (no row) that is the defaults at version 0.
pub fn load(conn: &Connection) -> Result<VersionedSettings> {
    let row: Option<(String, i64)> = conn
        .cached_row("SELECT json, version FROM settings WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    match row {
        None => Ok(VersionedSettings {
            settings: Settings::default(),
            version: 0,
        }),
        Some((json, version)) => {
            let settings: Settings = serde_json::from_str(&json)
                .map_err(|e| Error::internal(format!("stored settings cannot be read: {e}")))?;
            Ok(VersionedSettings { settings, version })
        }
    }
}

pub(crate) fn insert_defaults(tx: &Tx<'_>, now_ms: i64, user_id: Option<i64>) -> Result<()> {
    let json = serde_json::to_string(&Settings::default())?;
    tx.execute(
        "INSERT INTO settings (id, json, updated_at_ms, updated_by, version) VALUES (1, ?1, ?2, ?3, 1)",
        rusqlite::params![json, now_ms, user_id],
    )?;
    Ok(())
}

/// Replaces the settings if `expected_version` is current; returns the new version.
pub(crate) fn store(
    tx: &Tx<'_>,
    expected_version: i64,
    settings: &Settings,
    now_ms: i64,
    user_id: i64,
) -> Result<i64> {
    settings.validate()?;
    let json = serde_json::to_string(settings)?;
    TABLE.update(
        tx,
        1,
        expected_version,
        &[
            ("json", &json),
            ("updated_at_ms", &now_ms),
            ("updated_by", &user_id),
        ],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn t34_every_setting_has_a_valid_default() {
        Settings::default().validate().unwrap();
        // An empty document is all defaults: no setting can be "missing".
        let from_empty: Settings = serde_json::from_str("{}").unwrap();
        assert_eq!(from_empty, Settings::default());
    }

    #[test]
    fn t34_unknown_or_malformed_settings_are_refused() {
        assert!(serde_json::from_str::<Settings>(r#"{"idle_lock":5}"#).is_err());
        assert!(serde_json::from_str::<Settings>(r#"{"idle_lock_ms":"soon"}"#).is_err());
        let bad = Settings {
            max_failed_logins: 0,
            ..Settings::default()
        };
        let err = bad.validate().unwrap_err();
        assert!(matches!(err, Error::Validation { ref field, .. } if field == "max_failed_logins"));
    }
}
