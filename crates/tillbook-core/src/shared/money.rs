//! Money: exact amounts in integer minor units (audit rule T12).
//!
//! An amount is a [`Money`], a signed count of the currency's minor units
//! (cents for USD, whole yen for JPY, 1/1000 dinar for KWD) held in an `i64`.
//! Money is never a binary floating-point number: rates are
//! [`rust_decimal::Decimal`]s, the arithmetic is on integers, and every
//! operation that could overflow returns [`MoneyError`] instead of wrapping or
//! panicking.
//!
//! # The rounding rule
//!
//! There is exactly one rounding rule in Tillbook:
//!
//! > An amount that is not a whole number of minor units is rounded to the
//! > currency's minor unit **half away from zero** ("half-up" as shop owners
//! > know it: 0.125 → 0.13, -0.125 → -0.13, 0.124 → 0.12;
//! > [`rust_decimal::RoundingStrategy::MidpointAwayFromZero`]).
//! >
//! > It is applied **once per line**: each line's price × quantity, tax and
//! > discount are rounded on their own, and receipt totals are exact sums of
//! > already-rounded lines (never re-rounded, never computed from unrounded
//! > intermediate values).
//!
//! [`Money::percent_of`], [`Money::tax_included_part`] and
//! [`Money::less_basis_points`] apply the rule to the exact mathematical value
//! (they round once, with no intermediate rounding). [`Money::allocate`]
//! splits an amount without losing or inventing a single minor unit.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The largest supported number of minor-unit digits (ISO 4217 uses 0..=4).
pub const MAX_SCALE: u32 = 4;

/// The most parts [`Money::allocate`] splits into.
///
/// No real split (bill shared between guests, instalment plan, discount spread
/// over receipt lines) comes close; the cap bounds the memory and time a single
/// request can cost when the part count comes from user input or another
/// process.
pub const MAX_ALLOCATION_PARTS: usize = 10_000;

/// Everything that can go wrong with money. Each message names the bad input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency code {code:?} is not 3 uppercase ASCII letters (ISO 4217)")]
    InvalidCurrencyCode { code: String },
    #[error("currency {code} has {scale} minor-unit digits but at most {max} are supported", max = MAX_SCALE)]
    InvalidScale { code: String, scale: u32 },
    #[error("arithmetic overflow: {operation}")]
    Overflow { operation: String },
    #[error("invalid rate {rate}: {reason}")]
    InvalidRate { rate: Decimal, reason: &'static str },
    #[error("cannot allocate an amount over zero parts")]
    NoParts,
    #[error("cannot allocate an amount over weights that are all zero")]
    ZeroWeights,
    #[error("cannot allocate an amount over {parts} parts; at most {max} are allowed", max = MAX_ALLOCATION_PARTS)]
    TooManyParts { parts: usize },
}

fn overflow(operation: String) -> MoneyError {
    MoneyError::Overflow { operation }
}

/// A currency: its ISO 4217 code and how many minor-unit digits it has.
///
/// The fields are private so every `Currency` in the program is valid; build
/// one with [`Currency::new`] (deserialisation validates too).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "CurrencySpec")]
pub struct Currency {
    /// ISO 4217 code: exactly 3 uppercase ASCII letters.
    code: String,
    /// Minor-unit digits, `0..=MAX_SCALE`.
    scale: u32,
}

/// The unvalidated wire form of [`Currency`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrencySpec {
    code: String,
    scale: u32,
}

impl TryFrom<CurrencySpec> for Currency {
    type Error = MoneyError;

    fn try_from(spec: CurrencySpec) -> Result<Self, Self::Error> {
        Currency::new(&spec.code, spec.scale)
    }
}

impl Currency {
    /// Validates `code` (3 uppercase ASCII letters) and `scale` (`0..=4`).
    pub fn new(code: &str, scale: u32) -> Result<Currency, MoneyError> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(MoneyError::InvalidCurrencyCode {
                code: code.to_owned(),
            });
        }
        if scale > MAX_SCALE {
            return Err(MoneyError::InvalidScale {
                code: code.to_owned(),
                scale,
            });
        }
        Ok(Currency {
            code: code.to_owned(),
            scale,
        })
    }

    /// The ISO 4217 code, e.g. `"USD"`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Number of minor-unit digits, e.g. 2 for USD, 0 for JPY.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// 10^scale: how many minor units make one major unit.
    fn minor_per_major(&self) -> i128 {
        pow10(self.scale)
    }
}

/// 10^exp for the small exponents used here (at most 28 + 2 = 30, which fits
/// an `i128` with room to spare).
const fn pow10(exp: u32) -> i128 {
    let mut value: i128 = 1;
    let mut i = 0;
    while i < exp {
        value *= 10;
        i += 1;
    }
    value
}

/// An amount in integer minor units of some currency (the currency is kept
/// alongside, e.g. in the shop's settings, not in every amount).
///
/// There is deliberately no `impl Add`: every operation is checked and
/// returns `Result`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// An amount of `minor` minor units (cents for USD).
    pub const fn from_minor(minor: i64) -> Money {
        Money(minor)
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }

    /// Formats in major units with exactly `scale` decimals and no
    /// separators: `"12.30"`, `"-0.05"`, `"7"` (scale 0).
    pub fn display(self, currency: &Currency) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        if currency.scale == 0 {
            return format!("{sign}{magnitude}");
        }
        // 10^scale ≤ 10^4 always fits a u64.
        let unit = u64::try_from(currency.minor_per_major()).unwrap_or(u64::MAX);
        let width = usize::try_from(currency.scale).unwrap_or(0);
        format!(
            "{sign}{}.{:0width$}",
            magnitude / unit,
            magnitude % unit,
            width = width
        )
    }

    /// `rate` percent of this amount (`rate` 8.25 means 8.25 %), rounded to
    /// the minor unit by the module's rule. Negative rates are allowed and
    /// give negative results.
    pub fn percent_of(self, rate: Decimal, currency: &Currency) -> Result<Money, MoneyError> {
        // exact = minor × mantissa / (100 × 10^rate_scale); rate_scale ≤ 28.
        let denominator = pow10(rate.scale() + 2);
        mul_div_round_half_away(self.0, rate.mantissa(), denominator)
            .map(Money)
            .ok_or_else(|| {
                overflow(format!(
                    "{rate}% of {} {}",
                    self.display(currency),
                    currency.code
                ))
            })
    }

    /// The tax contained in this tax-inclusive gross amount at `rate` percent:
    /// `gross - gross / (1 + rate/100)`, i.e. exactly `gross × rate / (100 + rate)`,
    /// rounded once to the minor unit by the module's rule. The net amount is
    /// then `gross - tax`, so net + tax always equals gross.
    ///
    /// A negative rate is [`MoneyError::InvalidRate`].
    pub fn tax_included_part(
        self,
        rate: Decimal,
        currency: &Currency,
    ) -> Result<Money, MoneyError> {
        if rate < Decimal::ZERO {
            return Err(MoneyError::InvalidRate {
                rate,
                reason: "a tax rate cannot be negative",
            });
        }
        // rate = m / 10^s, so tax = gross × m / (100 × 10^s + m). With s ≤ 28
        // and m < 2^96 the denominator stays below 2^101.
        let mantissa = rate.mantissa();
        let denominator = pow10(rate.scale() + 2) + mantissa;
        mul_div_round_half_away(self.0, mantissa, denominator)
            .map(Money)
            .ok_or_else(|| {
                overflow(format!(
                    "{rate}% tax included in {} {}",
                    self.display(currency),
                    currency.code
                ))
            })
    }

    /// This amount less `bp` basis points of it (1000 = 10 %): exactly
    /// `self × (10000 − bp) / 10000`, rounded once to the minor unit by the
    /// module's rule. The remainder is what gets rounded, not the discount:
    /// 5 minor units less 50 % is 3 (2.5 → 3), where 5 − round(2.5) would be 2.
    pub fn less_basis_points(self, bp: i64) -> Result<Money, MoneyError> {
        let factor = 10_000 - i128::from(bp);
        mul_div_round_half_away(self.0, factor, 10_000)
            .map(Money)
            .ok_or_else(|| overflow(format!("{} minor units less {bp} basis points", self.0)))
    }

    /// This per-unit amount (a price or cost per kg) times `quantity` counted
    /// in the unit's smallest part (grams), where `10^decimals` parts make one
    /// unit: exactly `self × quantity / 10^decimals`, rounded once to the
    /// minor unit by the module's rule. With `decimals = 0` it is the plain
    /// product. 14.00 per kg × 350 g (3 decimals) = 4.90.
    pub fn times_quantity(self, quantity: i64, decimals: u32) -> Result<Money, MoneyError> {
        if decimals > 6 {
            return Err(overflow(format!("a quantity with {decimals} decimals")));
        }
        mul_div_round_half_away(self.0, i128::from(quantity), pow10(decimals))
            .map(Money)
            .ok_or_else(|| {
                overflow(format!(
                    "{} minor units × {quantity} / 10^{decimals}",
                    self.0
                ))
            })
    }

    /// Splits this amount into parts proportional to `weights` by the
    /// largest-remainder method: each part first gets the floor of its exact
    /// share, then the minor units left over go one each to the parts with
    /// the largest remainders (equal remainders: the earlier part first).
    ///
    /// The parts always sum exactly to `self`, and each part is within one
    /// minor unit of its exact share (zero weight → zero). A negative amount
    /// is split as its magnitude and every part negated (mirrored).
    ///
    /// Errors: empty `weights` ([`MoneyError::NoParts`]), all weights zero
    /// ([`MoneyError::ZeroWeights`]), more than [`MAX_ALLOCATION_PARTS`] parts
    /// ([`MoneyError::TooManyParts`]).
    pub fn allocate(self, weights: &[u64]) -> Result<Vec<Money>, MoneyError> {
        if weights.is_empty() {
            return Err(MoneyError::NoParts);
        }
        if weights.len() > MAX_ALLOCATION_PARTS {
            return Err(MoneyError::TooManyParts {
                parts: weights.len(),
            });
        }
        // At most 10_000 weights below 2^64: the total is below 2^78.
        let total_weight: u128 = weights.iter().map(|&w| u128::from(w)).sum();
        if total_weight == 0 {
            return Err(MoneyError::ZeroWeights);
        }

        let magnitude = u128::from(self.0.unsigned_abs());
        let mut shares = Vec::with_capacity(weights.len());
        let mut remainders = Vec::with_capacity(weights.len());
        let mut allocated: u128 = 0;
        for (index, &weight) in weights.iter().enumerate() {
            // magnitude ≤ 2^63 and weight < 2^64: the product is below 2^127.
            let scaled = magnitude * u128::from(weight);
            let share = scaled / total_weight;
            shares.push(share);
            remainders.push((scaled % total_weight, index));
            allocated += share;
        }
        // Largest remainder first; equal remainders in their original order.
        remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        // Fewer than `weights.len()` units are left over, and every part that
        // receives one has a non-zero remainder.
        let mut leftover = magnitude - allocated;
        for &(_, index) in &remainders {
            if leftover == 0 {
                break;
            }
            if let Some(share) = shares.get_mut(index) {
                *share += 1;
                leftover -= 1;
            }
        }

        shares
            .into_iter()
            .map(|share| {
                // Each share is at most |self|, so this never actually fails.
                let share = i128::try_from(share).unwrap_or(i128::MAX);
                let signed = if self.0 < 0 { -share } else { share };
                i64::try_from(signed)
                    .map(Money)
                    .map_err(|_| overflow(format!("allocating {} minor units", self.0)))
            })
            .collect()
    }
}

/// `a × b / d` computed exactly and rounded half away from zero, or `None` if
/// `d` is zero or the result does not fit an `i64`.
///
/// `b` is a `Decimal` mantissa or a basis-point factor (below 2^96) and `|d|`
/// is below 2^127, so the product can exceed 128 bits; it is kept as a 256-bit
/// (hi, lo) pair and divided bit by bit. No intermediate rounding happens
/// anywhere.
fn mul_div_round_half_away(a: i64, b: i128, d: i128) -> Option<i64> {
    if d == 0 {
        return None;
    }
    let negative = (a < 0) ^ (b < 0) ^ (d < 0);
    let divisor = d.unsigned_abs();
    if divisor > u128::MAX >> 1 {
        return None;
    }
    let (hi, lo) = widening_mul(u128::from(a.unsigned_abs()), b.unsigned_abs());
    let (quotient, remainder) = div_wide(hi, lo, divisor)?;
    // remainder < divisor; "remainder ≥ divisor / 2" without overflow:
    let quotient = if remainder >= divisor - remainder {
        quotient.checked_add(1)?
    } else {
        quotient
    };
    let magnitude = i128::try_from(quotient).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// The full 256-bit product of two `u128`, as (high, low) halves.
fn widening_mul(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // Each term is below 2^64, so the sum is below 3 × 2^64.
    let middle = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | ((middle & MASK) << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
    (hi, lo)
}

/// (hi·2^128 + lo) / divisor as (quotient, remainder) for
/// `0 < divisor < 2^127`, or `None` if the quotient needs more than 128 bits.
fn div_wide(hi: u128, lo: u128, divisor: u128) -> Option<(u128, u128)> {
    if divisor == 0 || hi >= divisor {
        return None;
    }
    let mut remainder = hi;
    let mut quotient: u128 = 0;
    for bit in (0..128).rev() {
        // remainder < divisor < 2^127, so the shift cannot lose a bit.
        remainder = (remainder << 1) | ((lo >> bit) & 1);
        quotient <<= 1;
        if remainder >= divisor {
            remainder -= divisor;
            quotient |= 1;
        }
    }
    Some((quotient, remainder))
}

#[cfg(test)]
// Tests may unwrap: a panic is exactly how a failing test should report.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn usd() -> Currency {
        Currency::new("USD", 2).unwrap()
    }

    fn cur(scale: u32) -> Currency {
        Currency::new("XTS", scale).unwrap()
    }

    fn m(minor: i64) -> Money {
        Money::from_minor(minor)
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Reference: num / den rounded half away from zero, in plain i128.
    fn round_half_away_ref(num: i128, den: i128) -> i128 {
        assert!(den > 0);
        let q = num / den;
        let r = num % den;
        if 2 * r.abs() >= den {
            q + num.signum()
        } else {
            q
        }
    }

    /// Reference: the exact total of `parts`, in plain i128.
    fn sum_minor(parts: &[Money]) -> i128 {
        parts.iter().map(|p| i128::from(p.minor())).sum()
    }

    // ---------- unit tests ----------

    #[test]
    fn times_quantity_scales_and_rounds_once() {
        let m = Money::from_minor;
        assert_eq!(m(1400).times_quantity(350, 3).unwrap(), m(490));
        assert_eq!(m(999).times_quantity(1, 3).unwrap(), m(1)); // 0.999 → 1
        assert_eq!(m(499).times_quantity(1, 3).unwrap(), m(0)); // 0.499 → 0
        assert_eq!(m(500).times_quantity(1, 3).unwrap(), m(1)); // 0.5 → 1
        assert_eq!(m(250).times_quantity(3, 0).unwrap(), m(750));
        assert_eq!(m(1234).times_quantity(150, 2).unwrap(), m(1851)); // 18.51
        assert!(m(i64::MAX).times_quantity(2, 0).is_err());
    }

    #[test]
    fn currency_validation() {
        assert_eq!(usd().code(), "USD");
        assert_eq!(usd().scale(), 2);
        assert!(Currency::new("JPY", 0).is_ok());
        assert!(Currency::new("KWD", 3).is_ok());
        assert!(Currency::new("CLF", 4).is_ok());
        for bad in ["usd", "US", "USDX", "", "U1D", "ÜSD", "US "] {
            assert_eq!(
                Currency::new(bad, 2),
                Err(MoneyError::InvalidCurrencyCode { code: bad.into() }),
                "{bad:?}"
            );
        }
        assert_eq!(
            Currency::new("USD", 5),
            Err(MoneyError::InvalidScale {
                code: "USD".into(),
                scale: 5
            })
        );
    }

    #[test]
    fn currency_serde_validates() {
        let c: Currency = serde_json::from_str(r#"{"code":"EUR","scale":2}"#).unwrap();
        assert_eq!(c, Currency::new("EUR", 2).unwrap());
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"code":"EUR","scale":2}"#
        );
        assert!(serde_json::from_str::<Currency>(r#"{"code":"eur","scale":2}"#).is_err());
        assert!(serde_json::from_str::<Currency>(r#"{"code":"EUR","scale":9}"#).is_err());
    }

    #[test]
    fn money_serde_is_a_plain_integer() {
        assert_eq!(serde_json::to_string(&m(-1230)).unwrap(), "-1230");
        assert_eq!(serde_json::from_str::<Money>("1230").unwrap(), m(1230));
        assert!(serde_json::from_str::<Money>("12.3").is_err());
    }

    #[test]
    fn basics() {
        assert_eq!(Money::default(), m(0));
        assert_eq!(m(5).minor(), 5);
    }

    #[test]
    fn display_examples() {
        assert_eq!(m(1230).display(&usd()), "12.30");
        assert_eq!(m(-5).display(&usd()), "-0.05");
        assert_eq!(m(0).display(&usd()), "0.00");
        assert_eq!(m(7).display(&cur(0)), "7");
        assert_eq!(m(-7).display(&cur(0)), "-7");
        assert_eq!(m(1).display(&cur(4)), "0.0001");
        assert_eq!(m(i64::MIN).display(&cur(4)), "-922337203685477.5808");
        assert_eq!(m(i64::MAX).display(&cur(0)), "9223372036854775807");
    }

    #[test]
    fn percent_and_tax_examples() {
        let usd = usd();
        // 8.25 % of 19.99 = 1.649175 → 1.65
        assert_eq!(m(1999).percent_of(dec("8.25"), &usd), Ok(m(165)));
        // 10 % of 0.05 = 0.005 → 0.01 (half away from zero), and mirrored.
        assert_eq!(m(5).percent_of(dec("10"), &usd), Ok(m(1)));
        assert_eq!(m(-5).percent_of(dec("10"), &usd), Ok(m(-1)));
        assert_eq!(m(5).percent_of(dec("-10"), &usd), Ok(m(-1)));
        assert_eq!(m(1000).percent_of(Decimal::ZERO, &usd), Ok(m(0)));
        // 20 % VAT included in 12.00: 12 - 12/1.2 = 2.00
        assert_eq!(m(1200).tax_included_part(dec("20"), &usd), Ok(m(200)));
        // 19 % in 1.00: 1 - 1/1.19 = 0.159663… → 0.16
        assert_eq!(m(100).tax_included_part(dec("19"), &usd), Ok(m(16)));
        assert_eq!(m(-100).tax_included_part(dec("19"), &usd), Ok(m(-16)));
        // 25 % in 0.05: 0.05 × 25/125 = 0.01 exactly; in 0.025-ish midpoints:
        // 1 × 100/200 = 0.5 unit → rounds away from zero.
        assert_eq!(m(1).tax_included_part(dec("100"), &usd), Ok(m(1)));
        assert_eq!(m(-1).tax_included_part(dec("100"), &usd), Ok(m(-1)));
        assert_eq!(m(999).tax_included_part(Decimal::ZERO, &usd), Ok(m(0)));
        assert!(matches!(
            m(100).tax_included_part(dec("-5"), &usd),
            Err(MoneyError::InvalidRate { .. })
        ));
        assert!(matches!(
            m(i64::MAX).percent_of(dec("200"), &usd),
            Err(MoneyError::Overflow { .. })
        ));
    }

    #[test]
    fn less_basis_points_examples() {
        assert_eq!(m(1000).less_basis_points(1000), Ok(m(900)));
        // 5 × 0.5 = 2.5 → 3: the remainder is rounded, not the discount.
        assert_eq!(m(5).less_basis_points(5000), Ok(m(3)));
        assert_eq!(m(-5).less_basis_points(5000), Ok(m(-3)));
        assert_eq!(m(199).less_basis_points(3333), Ok(m(133)));
        assert_eq!(m(999).less_basis_points(10_000), Ok(m(0)));
        assert_eq!(m(100).less_basis_points(-1000), Ok(m(110)));
        assert_eq!(m(i64::MIN).less_basis_points(0), Ok(m(i64::MIN)));
        assert!(matches!(
            m(i64::MAX).less_basis_points(-1),
            Err(MoneyError::Overflow { .. })
        ));
    }

    #[test]
    fn percent_of_is_exact_beyond_128_bit_products() {
        let c = cur(0);
        // i64::MAX × 50.000…000 (24 decimals): the product exceeds 2^128, the
        // exact value is i64::MAX / 2 = …903.5, which rounds away from zero.
        let rate = Decimal::from_i128_with_scale(50 * pow10(24), 24);
        assert_eq!(
            m(i64::MAX).percent_of(rate, &c),
            Ok(m(4_611_686_018_427_387_904))
        );
        assert_eq!(
            m(-i64::MAX).percent_of(rate, &c),
            Ok(m(-4_611_686_018_427_387_904))
        );
        // 33.333…% (28 significant digits) of i64::MAX = i64::MAX/3 - tiny
        // = 3074457345618258602.333… → …602.
        let third = Decimal::from_i128_with_scale((pow10(29) - 1) / 3, 27);
        assert_eq!(
            m(i64::MAX).percent_of(third, &c),
            Ok(m(3_074_457_345_618_258_602))
        );
        // 100 % of i64::MIN with the maximum Decimal scale.
        let hundred = Decimal::from_i128_with_scale(pow10(28) * 100 / pow10(2), 26);
        assert_eq!(m(i64::MIN).percent_of(hundred, &c), Ok(m(i64::MIN)));
    }

    #[test]
    fn wide_arithmetic_helpers() {
        assert_eq!(widening_mul(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(widening_mul(1 << 64, 1 << 64), (1, 0));
        assert_eq!(div_wide(1, 0, 1 << 100), Some((1 << 28, 0)));
        assert_eq!(div_wide(5, 7, 5), None);
        assert_eq!(mul_div_round_half_away(7, 1, 0), None);
        assert_eq!(mul_div_round_half_away(7, 1, -2), Some(-4));
        assert_eq!(mul_div_round_half_away(-7, -1, 2), Some(4));
    }

    #[test]
    fn allocation_examples() {
        assert_eq!(m(100).allocate(&[1, 1, 1]), Ok(vec![m(34), m(33), m(33)]));
        assert_eq!(
            m(-100).allocate(&[1, 1, 1]),
            Ok(vec![m(-34), m(-33), m(-33)])
        );
        assert_eq!(m(5).allocate(&[1, 1]), Ok(vec![m(3), m(2)]));
        assert_eq!(m(0).allocate(&[1, 2]), Ok(vec![m(0), m(0)]));
        // 10 over 1:2:0:3 → exact 1.67, 3.33, 0, 5 → floors 1, 3, 0, 5,
        // one left over goes to the largest remainder (the first part).
        assert_eq!(
            m(10).allocate(&[1, 2, 0, 3]),
            Ok(vec![m(2), m(3), m(0), m(5)])
        );
        // Equal remainders: earliest first.
        assert_eq!(m(2).allocate(&[1, 1, 1]), Ok(vec![m(1), m(1), m(0)]));
        assert_eq!(m(i64::MIN).allocate(&[1]), Ok(vec![m(i64::MIN)]));
        assert_eq!(
            m(i64::MIN).allocate(&[u64::MAX, u64::MAX]),
            Ok(vec![m(i64::MIN / 2), m(i64::MIN / 2)])
        );
        assert_eq!(m(1).allocate(&[]), Err(MoneyError::NoParts));
        assert_eq!(m(1).allocate(&[0, 0]), Err(MoneyError::ZeroWeights));
        assert_eq!(
            m(1).allocate(&vec![1; MAX_ALLOCATION_PARTS + 1]),
            Err(MoneyError::TooManyParts {
                parts: MAX_ALLOCATION_PARTS + 1
            })
        );
        let parts = m(1).allocate(&vec![1; MAX_ALLOCATION_PARTS]).unwrap();
        assert_eq!(parts.len(), MAX_ALLOCATION_PARTS);
        assert_eq!(parts.first(), Some(&m(1)));
        assert_eq!(sum_minor(&parts), 1);
    }

    #[test]
    fn t12_money_source_has_no_float_types() {
        // Built from pieces so this test does not contain what it looks for.
        let source = include_str!("money.rs");
        for bits in ["32", "64"] {
            let needle = format!("f{bits}");
            let found = source.match_indices(&needle).any(|(at, _)| {
                let before = source[..at].chars().next_back();
                let after = source[at + needle.len()..].chars().next();
                let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !ident(before) && !ident(after)
            });
            assert!(!found, "money.rs mentions a binary float type");
        }
    }

    // ---------- property tests (audit rule T12) ----------

    fn any_amount() -> impl Strategy<Value = i64> {
        prop_oneof![
            any::<i64>(),
            -1_000_000i64..1_000_000,
            Just(i64::MAX),
            Just(i64::MIN),
            Just(0i64),
        ]
    }

    proptest! {
        #[test]
        fn t12_display_matches_decimal(minor in any_amount(), scale in 0u32..=4) {
            let shown = Money::from_minor(minor).display(&cur(scale));
            // The display has exactly `scale` decimals.
            let decimals = shown.split_once('.').map_or(0, |(_, f)| f.len());
            prop_assert_eq!(decimals, scale as usize);
            prop_assert_eq!(shown, Decimal::new(minor, scale).to_string());
        }

        #[test]
        fn t12_allocation_never_loses_a_cent(
            total in any_amount(),
            weights in prop::collection::vec(any::<u64>(), 1..40),
        ) {
            let total_weight: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            let parts = Money::from_minor(total).allocate(&weights);
            if total_weight == 0 {
                prop_assert_eq!(parts, Err(MoneyError::ZeroWeights));
                return Ok(());
            }
            let parts = parts.unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(sum_minor(&parts), i128::from(total));
            let magnitude = u128::from(total.unsigned_abs());
            for (part, &w) in parts.iter().zip(&weights) {
                // |part| is the floor or the ceiling of the exact share.
                let scaled = magnitude * u128::from(w);
                let floor = scaled / total_weight;
                let ceil = floor + u128::from(scaled % total_weight != 0);
                let got = u128::from(part.minor().unsigned_abs());
                prop_assert!(got == floor || got == ceil);
                prop_assert!(part.minor() == 0 || (part.minor() < 0) == (total < 0));
            }
        }

        #[test]
        fn t12_allocation_parts_within_one_unit_of_exact_share(
            total in any_amount(),
            weights in prop::collection::vec(0u64..=u64::from(u32::MAX), 1..50),
        ) {
            let total_weight: i128 = weights.iter().map(|&w| i128::from(w)).sum();
            prop_assume!(total_weight > 0);
            let parts = Money::from_minor(total).allocate(&weights).unwrap();
            prop_assert_eq!(sum_minor(&parts), i128::from(total));
            // |part - total·w/W| < 1  ⇔  |part·W - total·w| < W  (all in i128).
            let mut errors = Vec::new();
            for (part, &w) in parts.iter().zip(&weights) {
                let error = i128::from(part.minor()) * total_weight - i128::from(total) * i128::from(w);
                prop_assert!(error.abs() < total_weight, "part {:?} weight {}", part, w);
                errors.push(error.abs());
            }
            // Largest remainder: a part that got the extra unit never has a
            // smaller remainder than one that did not (mirrored for negatives).
            let rounded_up: Vec<bool> = parts
                .iter()
                .zip(&weights)
                .map(|(p, &w)| {
                    i128::from(p.minor()).abs() * total_weight
                        > i128::from(total).abs() * i128::from(w)
                })
                .collect();
            let remainder = |i: usize| {
                (i128::from(total).abs() * i128::from(weights[i])) % total_weight
            };
            for i in 0..parts.len() {
                for j in 0..parts.len() {
                    if rounded_up[i] && !rounded_up[j] {
                        prop_assert!(
                            remainder(i) > remainder(j) || (remainder(i) == remainder(j) && i < j)
                        );
                    }
                }
            }
        }

        #[test]
        fn t12_percent_of_matches_i128_reference(
            minor in any_amount(),
            mantissa in prop_oneof![-100_000i64..=100_000, any::<i64>()],
            rate_scale in prop_oneof![0u32..=4, 0u32..=28],
        ) {
            let rate = Decimal::from_i128_with_scale(i128::from(mantissa), rate_scale);
            let expected = round_half_away_ref(
                i128::from(minor) * i128::from(mantissa),
                pow10(rate_scale + 2),
            );
            let got = Money::from_minor(minor).percent_of(rate, &usd());
            match i64::try_from(expected) {
                Ok(v) => prop_assert_eq!(got, Ok(Money::from_minor(v))),
                Err(_) => {
                    let is_overflow = matches!(got, Err(MoneyError::Overflow { .. }));
                    prop_assert!(is_overflow);
                }
            }
        }

        #[test]
        fn t12_tax_included_part_matches_i128_reference(
            gross in any_amount(),
            mantissa in prop_oneof![0i64..=100_000, 0i64..=i64::MAX],
            rate_scale in prop_oneof![0u32..=4, 0u32..=28],
        ) {
            let rate = Decimal::from_i128_with_scale(i128::from(mantissa), rate_scale);
            let expected = round_half_away_ref(
                i128::from(gross) * i128::from(mantissa),
                pow10(rate_scale + 2) + i128::from(mantissa),
            );
            let tax = Money::from_minor(gross).tax_included_part(rate, &usd()).unwrap();
            prop_assert_eq!(i128::from(tax.minor()), expected);
            // The tax never exceeds the gross amount, so net = gross - tax fits.
            prop_assert!(tax.minor().unsigned_abs() <= gross.unsigned_abs());
            prop_assert!(gross.checked_sub(tax.minor()).is_some());
        }

        #[test]
        fn t12_less_basis_points_matches_i128_reference(
            minor in any_amount(),
            bp in prop_oneof![0i64..=10_000, -20_000i64..=20_000, any::<i64>()],
        ) {
            let expected = round_half_away_ref(
                i128::from(minor) * (10_000 - i128::from(bp)),
                10_000,
            );
            let got = Money::from_minor(minor).less_basis_points(bp);
            match i64::try_from(expected) {
                Ok(v) => prop_assert_eq!(got, Ok(Money::from_minor(v))),
                Err(_) => {
                    let is_overflow = matches!(got, Err(MoneyError::Overflow { .. }));
                    prop_assert!(is_overflow);
                }
            }
        }
    }
}
