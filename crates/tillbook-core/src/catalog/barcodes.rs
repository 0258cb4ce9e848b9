//! Scale barcodes: the EAN-13 codes a shop scale prints on a weighed item,
//! carrying the product's PLU and either the weight or the price.
//!
//! # Layout
//!
//! GS1 leaves the prefixes 20–29 to each shop ("restricted circulation"); a
//! scale prints, in 13 digits:
//!
//! ```text
//! P…  PLU…  V…  C
//! ```
//!
//! - the prefix, 1 or 2 digits, inside a configured range (`settings.scale_barcodes`:
//!   e.g. `2`, or `20`–`29`, each range saying whether its codes carry a
//!   weight or a price);
//! - the PLU, `plu_digits` digits (4–6), matched against `products.plu` as a
//!   number (leading zeros do not matter: `00042` is PLU `42`);
//! - the value, the 4–6 digits left: a weight in the product's smallest unit
//!   (grams for kg, ml for l, cm for m; whole units for each) or a price in
//!   minor units;
//! - the EAN-13 check digit, always verified: a code whose check digit is
//!   wrong was misread and is refused in plain words, never guessed at.
//!
//! The common layouts are `2 PPPPP WWWWWW C` (one-digit prefix, five-digit
//! PLU, six-digit weight in grams), `2X PPPPP VVVVV C`, and, where the scale
//! prints a price (or weight) check digit `K` before a 4- or 5-digit value,
//! `2X PPPP K VVVVV C` or `2X PPPPP K VVVV C` (`value_check_digit`). `K` is
//! GS1's price/weight check digit (General Specifications 7.9.3), verified
//! like the EAN one: a 5 misread as a 6 in the price field is caught by it
//! even when the whole code's check digit happens to hold.
//!
//! A code that some product carries as its own barcode is that product (the
//! search's barcode tier answers first), so pre-printed codes in the 2x range
//! keep working.

use crate::catalog::products::{view_of, ProductView, Unit, VIEW_COLUMNS};
use crate::error::{Error, Result};
use crate::shared::money::Money;
use crate::shared::settings::{ScaleBarcodeRule, ScaleEmbeds};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// What the value digits of a code said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleValue {
    /// A quantity in the product's smallest unit.
    Weight(i64),
    /// A price in minor units.
    Price(i64),
}

/// A scale code taken apart (before the PLU is looked up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleCode {
    pub plu: String,
    pub value: ScaleValue,
}

/// The EAN-13 check digit of the first 12 digits: weights 1, 3, 1, 3, … from
/// the left, and the digit that brings the sum to a multiple of 10.
pub fn ean13_check_digit(first12: &[u8]) -> Option<u8> {
    if first12.len() != 12 || !first12.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first12
        .iter()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    u8::try_from((10 - sum % 10) % 10).ok()
}

/// GS1's weighting tables for price/weight check digits (7.9.3): the units
/// digit of a digit times 2 less its tens digit ("2-"), times 5 plus its tens
/// digit ("5+"), times 5 less its tens digit ("5-").
const TWO_MINUS: [u32; 10] = [0, 2, 4, 6, 8, 9, 1, 3, 5, 7];
const FIVE_PLUS: [u32; 10] = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9];
const FIVE_MINUS: [u32; 10] = [0, 5, 9, 4, 8, 3, 7, 2, 6, 1];

/// The price/weight check digit of a 4- or 5-digit value, `None` for other
/// lengths or non-digits. Four digits: weights 2-, 2-, 3, 5-, the sum times 3,
/// its units digit. Five digits: weights 5+, 2-, 5-, 5+, 2-; the digit whose
/// 5- weighting brings the sum to a multiple of 10.
pub fn value_check_digit(value: &[u8]) -> Option<u8> {
    if !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let d: Vec<usize> = value.iter().map(|b| usize::from(b - b'0')).collect();
    let check = match d.as_slice() {
        [a, b, c, e] => {
            let sum = TWO_MINUS[*a] + TWO_MINUS[*b] + 3 * (*c as u32) + FIVE_MINUS[*e];
            (sum * 3) % 10
        }
        [a, b, c, e, f] => {
            let sum =
                FIVE_PLUS[*a] + TWO_MINUS[*b] + FIVE_MINUS[*c] + FIVE_PLUS[*e] + TWO_MINUS[*f];
            let want = (10 - sum % 10) % 10;
            let digit = FIVE_MINUS.iter().position(|w| *w == want)?;
            u32::try_from(digit).ok()?
        }
        _ => return None,
    };
    u8::try_from(check).ok()
}

/// Whether `code` is 13 digits with a correct EAN-13 check digit.
fn check_ean13(code: &str) -> Result<()> {
    let bytes = code.as_bytes();
    let (Some(first), Some(last)) = (bytes.get(..12), bytes.get(12)) else {
        return Err(Error::validation("query", "a scale barcode has 13 digits"));
    };
    match ean13_check_digit(first) {
        Some(d) if last.is_ascii_digit() && d == last - b'0' => Ok(()),
        _ => Err(Error::validation(
            "query",
            "this barcode's check digit is wrong; scan it again or type the weight",
        )),
    }
}

/// The rule whose prefix range `code` falls in, if any.
fn rule_for<'a>(code: &str, rules: &'a [ScaleBarcodeRule]) -> Option<&'a ScaleBarcodeRule> {
    rules.iter().find(|r| {
        let n = r.prefix_from.len();
        code.get(..n)
            .is_some_and(|p| r.prefix_from.as_str() <= p && p <= r.prefix_to.as_str())
    })
}

/// Reads `code` as a scale barcode under `rules`: `None` when it is not one
/// (not 13 digits, or no rule's prefix); an error when it is one but its check
/// digit is wrong.
pub fn read_scale_code(code: &str, rules: &[ScaleBarcodeRule]) -> Result<Option<ScaleCode>> {
    if code.len() != 13 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let Some(rule) = rule_for(code, rules) else {
        return Ok(None);
    };
    check_ean13(code)?;
    let prefix = rule.prefix_from.len();
    let plu_end = prefix + rule.plu_digits as usize;
    let value_start = plu_end + usize::from(rule.value_check_digit);
    let (Some(plu), Some(value)) = (code.get(prefix..plu_end), code.get(value_start..12)) else {
        return Ok(None);
    };
    if rule.value_check_digit {
        let printed = code.as_bytes().get(plu_end).map(|b| b.wrapping_sub(b'0'));
        if value_check_digit(value.as_bytes()) != printed {
            return Err(Error::validation(
                "query",
                "the price or weight on this label does not pass its check; scan it again or type the weight",
            ));
        }
    }
    let value: i64 = value
        .parse()
        .map_err(|_| Error::validation("query", "the barcode's value is not a number"))?;
    let plu = plu.trim_start_matches('0');
    let plu = if plu.is_empty() { "0" } else { plu };
    Ok(Some(ScaleCode {
        plu: plu.to_string(),
        value: match rule.embeds {
            ScaleEmbeds::Weight => ScaleValue::Weight(value),
            ScaleEmbeds::Price => ScaleValue::Price(value),
        },
    }))
}

/// What a scanned scale code puts on the line: the quantity (in the product's
/// smallest unit), and the price the scale printed when it printed one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ScaleRead {
    /// The code as scanned.
    pub code: String,
    /// The line's quantity, in the product's smallest unit (g for kg).
    pub quantity: i64,
    /// The price printed on the label (price codes only); the line's total
    /// at the product's list price comes to exactly this.
    pub printed_price_minor: Option<i64>,
}

/// The product a PLU names (archived or not; the caller decides).
fn by_plu(conn: &Connection, plu: &str) -> Result<Option<ProductView>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} FROM products p WHERE p.plu = ?1"
        ))?
        .query_row([plu], view_of)
        .optional()?)
}

/// The weight a price label stands for at the product's list price: the
/// quantity `q` whose line total `price × q / 10^decimals`, rounded by the
/// one rule, is the printed price. A label whose price no quantity gives (the
/// scale priced it differently) is refused rather than charged differently.
fn quantity_for_price(p: &ProductView, printed_minor: i64) -> Result<i64> {
    if p.price_minor <= 0 {
        return Err(Error::validation(
            "query",
            format!(
                "{} has no price per {}, so a price label cannot be read",
                p.name,
                p.unit.as_str()
            ),
        ));
    }
    let scale = 10i64.pow(p.quantity_decimals);
    // The nearest quantity, then its neighbours: rounding can put the exact
    // answer one step either side.
    let guess = (printed_minor * scale + p.price_minor / 2) / p.price_minor;
    for q in [guess, guess - 1, guess + 1] {
        if q < 1 {
            continue;
        }
        let total = Money::from_minor(p.price_minor)
            .times_quantity(q, p.quantity_decimals)
            .map_err(|e| Error::validation("query", e.to_string()))?;
        if total.minor() == printed_minor {
            return Ok(q);
        }
    }
    Err(Error::validation(
        "query",
        format!(
            "the label's price does not match {}'s price per {}; weigh it again or check the price",
            p.name,
            p.unit.as_str()
        ),
    ))
}

/// Reads `code` as a scale barcode and finds its product: `None` when the
/// code is not a scale code; errors in plain words for a wrong check digit,
/// an unknown PLU, an archived product, or a weight of nothing.
pub fn lookup(
    conn: &Connection,
    code: &str,
    rules: &[ScaleBarcodeRule],
) -> Result<Option<(ProductView, ScaleRead)>> {
    let Some(read) = read_scale_code(code, rules)? else {
        return Ok(None);
    };
    let product = by_plu(conn, &read.plu)?.ok_or_else(|| {
        Error::validation(
            "query",
            format!(
                "no product has PLU {} (from the scale barcode {code})",
                read.plu
            ),
        )
    })?;
    if product.archived {
        return Err(Error::validation(
            "query",
            format!("{} (PLU {}) is archived", product.name, read.plu),
        ));
    }
    if matches!(product.unit, Unit::Each | Unit::Pack) {
        return Err(Error::validation(
            "query",
            format!(
                "{} is sold by the {}, not weighed; PLU {} should belong to a product sold by weight",
                product.name,
                if product.unit == Unit::Pack { "pack" } else { "piece" },
                read.plu
            ),
        ));
    }
    let (quantity, printed) = match read.value {
        ScaleValue::Weight(q) => (q, None),
        ScaleValue::Price(m) => (quantity_for_price(&product, m)?, Some(m)),
    };
    if quantity < 1 {
        return Err(Error::validation(
            "query",
            format!("the scale barcode for {} carries no weight", product.name),
        ));
    }
    Ok(Some((
        product,
        ScaleRead {
            code: code.to_string(),
            quantity,
            printed_price_minor: printed,
        },
    )))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rule(from: &str, to: &str, embeds: ScaleEmbeds, plu_digits: u32) -> ScaleBarcodeRule {
        ScaleBarcodeRule {
            prefix_from: from.into(),
            prefix_to: to.into(),
            embeds,
            plu_digits,
            value_check_digit: false,
        }
    }

    #[test]
    fn gs1_price_check_digits() {
        // 2875 → 2-:4, 2-:5, 3:21, 5-:3 = 33 (×3 = 99) → 9; the tables'
        // worked examples (General Specifications 7.9.3).
        assert_eq!(value_check_digit(b"2875"), Some(9));
        // 14685 → 5+:5, 2-:8, 5-:7, 5+:4, 2-:9 = 33; 5- of 6 is 7 → 6.
        assert_eq!(value_check_digit(b"14685"), Some(6));
        assert_eq!(value_check_digit(b"0000"), Some(0));
        assert_eq!(value_check_digit(b"00000"), Some(0));
        assert_eq!(value_check_digit(b"123"), None);
        assert_eq!(value_check_digit(b"123456"), None);
        assert_eq!(value_check_digit(b"12a4"), None);
    }

    #[test]
    fn a_price_code_with_its_price_check_digit() {
        // 22 | 0042 | K | 00490 | C: PLU 42, 4.90, K checked.
        let k = value_check_digit(b"00490").unwrap();
        let body = format!("220042{k}00490");
        let c = ean13_check_digit(body.as_bytes()).unwrap();
        let mut r = rule("20", "29", ScaleEmbeds::Price, 4);
        r.value_check_digit = true;
        let read = read_scale_code(&format!("{body}{c}"), std::slice::from_ref(&r))
            .unwrap()
            .unwrap();
        assert_eq!(
            (read.plu.as_str(), read.value),
            ("42", ScaleValue::Price(490))
        );
        // A wrong K with a right EAN check digit (a misprint or a clever
        // misread) is refused, never charged.
        let wrong_k = (k + 1) % 10;
        let body = format!("220042{wrong_k}00490");
        let c = ean13_check_digit(body.as_bytes()).unwrap();
        let err = read_scale_code(&format!("{body}{c}"), &[r]).unwrap_err();
        assert!(err.to_string().contains("does not pass its check"), "{err}");
    }

    #[test]
    fn a_value_check_digit_needs_a_four_or_five_digit_value() {
        let with = |plu_digits| {
            let mut r = rule("2", "2", ScaleEmbeds::Weight, plu_digits);
            r.value_check_digit = true;
            crate::shared::settings::Settings {
                scale_barcodes: vec![r],
                ..Default::default()
            }
            .validate()
        };
        assert!(with(5).is_ok()); // 12 - 1 - 5 - 1 = 5 digits of weight
        let err = with(4).unwrap_err(); // 6 left: GS1 has no check digit for it
        assert!(err.to_string().contains("4- or 5-digit"), "{err}");
    }

    #[test]
    fn ean13_check_digits_of_real_codes() {
        // Printed on real packs (GS1 examples and retail goods).
        assert_eq!(ean13_check_digit(b"400638133393"), Some(1)); // 4006381333931
        assert_eq!(ean13_check_digit(b"501234567890"), Some(0)); // 5012345678900
        assert_eq!(ean13_check_digit(b"978020137962"), Some(4)); // 9780201379624 (ISBN)
        assert_eq!(ean13_check_digit(b"200012000350"), Some(7)); // a deli scale label
        assert_eq!(ean13_check_digit(b"12345"), None);
        assert_eq!(ean13_check_digit(b"40063813339x"), None);
    }

    #[test]
    fn a_weight_code_gives_plu_and_grams() {
        // 2 | 00012 | 000350 | 7 → PLU 12, 350 g.
        let rules = [rule("2", "2", ScaleEmbeds::Weight, 5)];
        let read = read_scale_code("2000120003507", &rules).unwrap().unwrap();
        assert_eq!(read.plu, "12");
        assert_eq!(read.value, ScaleValue::Weight(350));
    }

    #[test]
    fn a_price_code_in_a_two_digit_range() {
        // 22 | 00042 | 00490 | C → PLU 42, 4.90.
        let body = b"220004200490";
        let c = ean13_check_digit(body).unwrap();
        let code = format!("{}{c}", std::str::from_utf8(body).unwrap());
        let rules = [
            rule("20", "21", ScaleEmbeds::Weight, 5),
            rule("22", "29", ScaleEmbeds::Price, 5),
        ];
        let read = read_scale_code(&code, &rules).unwrap().unwrap();
        assert_eq!(read.plu, "42");
        assert_eq!(read.value, ScaleValue::Price(490));
    }

    #[test]
    fn a_wrong_check_digit_is_refused_in_plain_words() {
        let rules = [rule("2", "2", ScaleEmbeds::Weight, 5)];
        let err = read_scale_code("2000120003508", &rules).unwrap_err();
        assert!(err.to_string().contains("check digit is wrong"), "{err}");
    }

    #[test]
    fn codes_outside_the_ranges_are_not_scale_codes() {
        let rules = [rule("20", "29", ScaleEmbeds::Weight, 5)];
        assert_eq!(read_scale_code("4006381333931", &rules).unwrap(), None);
        assert_eq!(read_scale_code("200012000350", &rules).unwrap(), None); // 12 digits
        assert_eq!(read_scale_code("2000120003507", &[]).unwrap(), None); // no rules
                                                                          // Outside the range, even a wrong check digit is not this module's business.
        assert_eq!(read_scale_code("4006381333930", &rules).unwrap(), None);
    }
}
