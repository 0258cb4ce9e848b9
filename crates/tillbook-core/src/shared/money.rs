//! Money: exact amounts in integer minor units (audit rule T12).
//!
//! An amount is a [`Money`], a signed count of the currency's minor units
//! (cents for USD, whole yen for JPY, 1/1000 dinar for KWD) held in an `i64`.
//! Money is never a binary floating-point number: conversions go through
//! [`rust_decimal::Decimal`] or plain integer arithmetic, and every operation
//! that could overflow returns [`MoneyError`] instead of wrapping or panicking.
//!
//! # The rounding rule
//!
//! There is exactly one rounding rule in Tillbook:
//!
//! > An amount that is not a whole number of minor units is rounded to the
//! > currency's minor unit **half away from zero** ("half-up" as shop owners
//! > know it: 0.125 → 0.13, -0.125 → -0.13, 0.124 → 0.12;
//! > [`RoundingStrategy::MidpointAwayFromZero`]).
//! >
//! > It is applied **once per line**: each line's price × quantity, tax and
//! > discount are rounded on their own, and receipt totals are exact sums of
//! > already-rounded lines (never re-rounded, never computed from unrounded
//! > intermediate values).
//!
//! [`Money::from_decimal_rounded`], [`Money::percent_of`],
//! [`Money::tax_included_part`] and [`Money::less_basis_points`] apply the rule
//! to the exact mathematical value (they round once, with no intermediate
//! rounding). [`Money::from_decimal_exact`]
//! and [`Money::parse`] never round: they refuse input with more decimals
//! than the currency allows. [`Money::allocate`] splits an amount without
//! losing or inventing a single minor unit.

use std::borrow::Borrow;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The largest supported number of minor-unit digits (ISO 4217 uses 0..=4).
pub const MAX_SCALE: u32 = 4;

/// The most integer digits [`Money::parse`] accepts. 18 digits always fit in
/// an `i64` (whose maximum has 19), so a longer integer part is refused with a
/// clear message rather than a confusing overflow.
pub const MAX_INTEGER_DIGITS: usize = 18;

/// The most parts [`Money::allocate`] and [`Money::allocate_evenly`] split into.
///
/// No real split (bill shared between guests, instalment plan, discount spread
/// over receipt lines) comes close; the cap bounds the memory and time a single
/// request can cost when the part count comes from user input or another
/// process, so a typo such as `allocate_evenly(1_000_000_000)` is an error and
/// not a multi-gigabyte allocation.
pub const MAX_ALLOCATION_PARTS: usize = 10_000;

/// Everything that can go wrong with money. Each message names the bad input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency code {code:?} is not 3 uppercase ASCII letters (ISO 4217)")]
    InvalidCurrencyCode { code: String },
    #[error("currency {code} has {scale} minor-unit digits but at most {max} are supported", max = MAX_SCALE)]
    InvalidScale { code: String, scale: u32 },
    #[error("amount is empty")]
    Empty,
    #[error("amount {input:?} contains non-ASCII characters; use digits 0-9, '-' and '.'")]
    NonAscii { input: String },
    #[error("amount {input:?} contains whitespace")]
    Whitespace { input: String },
    #[error("amount {input:?} has a '+' sign; write positive amounts without a sign")]
    PlusSign { input: String },
    #[error("amount {input:?} contains the thousands separator {separator:?}; write digits only, e.g. 1234.50")]
    ThousandsSeparator { input: String, separator: char },
    #[error("amount {input:?} uses exponent notation; write the digits out")]
    Exponent { input: String },
    #[error("amount {input:?} contains the invalid character {character:?}")]
    InvalidCharacter { input: String, character: char },
    #[error("amount {input:?} is malformed: {reason}")]
    Malformed { input: String, reason: &'static str },
    #[error("{input:?} has {decimals} decimals but {code} allows {scale}")]
    TooManyDecimals {
        input: String,
        decimals: u32,
        code: String,
        scale: u32,
    },
    #[error("amount {input:?} has {digits} integer digits but at most {max} are allowed", max = MAX_INTEGER_DIGITS)]
    TooManyIntegerDigits { input: String, digits: usize },
    #[error("amount {input:?} is out of range for {code}")]
    OutOfRange { input: String, code: String },
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

    /// Zero.
    pub const fn zero() -> Money {
        Money(0)
    }

    /// True for amounts below zero (refunds, discounts, change).
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Money)
            .ok_or_else(|| overflow(format!("{} + {} minor units", self.0, other.0)))
    }

    /// `self - other`, or [`MoneyError::Overflow`].
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Money)
            .ok_or_else(|| overflow(format!("{} - {} minor units", self.0, other.0)))
    }

    /// `self × qty` (a line's unit price times a whole quantity), or
    /// [`MoneyError::Overflow`].
    pub fn checked_mul_qty(self, qty: i64) -> Result<Money, MoneyError> {
        self.0
            .checked_mul(qty)
            .map(Money)
            .ok_or_else(|| overflow(format!("{} minor units × quantity {qty}", self.0)))
    }

    /// `-self`, or [`MoneyError::Overflow`] for `i64::MIN`.
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.0
            .checked_neg()
            .map(Money)
            .ok_or_else(|| overflow(format!("-({} minor units)", self.0)))
    }

    /// The exact sum of `amounts` (accepts `Money` or `&Money` items).
    ///
    /// Accumulates in `i128`, so only a total outside the `i64` range is an
    /// error; a temporary excursion (`[MAX, 1, -1]`) is not.
    pub fn sum<I>(amounts: I) -> Result<Money, MoneyError>
    where
        I: IntoIterator,
        I::Item: Borrow<Money>,
    {
        let mut total: i128 = 0;
        for amount in amounts {
            total = total
                .checked_add(i128::from(amount.borrow().0))
                .ok_or_else(|| overflow("sum of amounts".to_owned()))?;
        }
        i64::try_from(total)
            .map(Money)
            .map_err(|_| overflow(format!("sum of amounts is {total} minor units")))
    }

    /// The amount as a decimal in major units: 1230 cents → `12.30`.
    pub fn to_decimal(self, currency: &Currency) -> Decimal {
        // Never panics: the scale of a `Currency` is at most 4 (Decimal allows 28).
        Decimal::new(self.0, currency.scale)
    }

    /// Converts a decimal amount in major units, rounding to the minor unit
    /// by the module's rule (half away from zero). Errors if the result does
    /// not fit.
    pub fn from_decimal_rounded(value: Decimal, currency: &Currency) -> Result<Money, MoneyError> {
        let rounded =
            value.round_dp_with_strategy(currency.scale, RoundingStrategy::MidpointAwayFromZero);
        Self::from_decimal_unrounded(rounded, value, currency)
    }

    /// Converts a decimal amount in major units that is already a whole number
    /// of minor units: `12.30` and `12.300` are fine for USD, `12.345` is
    /// [`MoneyError::TooManyDecimals`].
    pub fn from_decimal_exact(value: Decimal, currency: &Currency) -> Result<Money, MoneyError> {
        let normalized = value.normalize();
        if normalized.scale() > currency.scale {
            return Err(MoneyError::TooManyDecimals {
                input: normalized.to_string(),
                decimals: normalized.scale(),
                code: currency.code.clone(),
                scale: currency.scale,
            });
        }
        Self::from_decimal_unrounded(normalized, value, currency)
    }

    /// `value` has at most `currency.scale` decimals; `original` is for errors.
    fn from_decimal_unrounded(
        value: Decimal,
        original: Decimal,
        currency: &Currency,
    ) -> Result<Money, MoneyError> {
        let out_of_range = || MoneyError::OutOfRange {
            input: original.to_string(),
            code: currency.code.clone(),
        };
        // The mantissa has at most 96 bits and the factor is at most 10^4, so
        // the product fits an i128; the checks are belt and braces.
        let shift = currency
            .scale
            .checked_sub(value.scale())
            .ok_or_else(out_of_range)?;
        let minor = value
            .mantissa()
            .checked_mul(pow10(shift))
            .ok_or_else(out_of_range)?;
        i64::try_from(minor).map(Money).map_err(|_| out_of_range())
    }

    /// Parses an amount typed by a person, in major units: an optional
    /// leading `-`, 1 to 18 digits, and optionally `.` followed by 1 to
    /// `scale` digits. Examples for USD: `"12"`, `"12.3"`, `"12.30"`,
    /// `"-0.05"`, `"0"`.
    ///
    /// Refused, each with its own [`MoneyError`] variant: empty input,
    /// whitespace anywhere, `+`, thousands separators (`,` `_` `'`),
    /// exponents, more decimals than the currency has, more than 18 integer
    /// digits, non-ASCII characters, a bare `.` at either end (`"1."`,
    /// `".5"`), and anything else that is not a digit.
    pub fn parse(input: &str, currency: &Currency) -> Result<Money, MoneyError> {
        let owned = || input.to_owned();
        if input.is_empty() {
            return Err(MoneyError::Empty);
        }
        if !input.is_ascii() {
            return Err(MoneyError::NonAscii { input: owned() });
        }
        if input.chars().any(char::is_whitespace) {
            return Err(MoneyError::Whitespace { input: owned() });
        }
        if input.contains('+') {
            return Err(MoneyError::PlusSign { input: owned() });
        }
        if let Some(separator) = input.chars().find(|c| matches!(c, ',' | '_' | '\'')) {
            return Err(MoneyError::ThousandsSeparator {
                input: owned(),
                separator,
            });
        }
        if input.contains(['e', 'E']) {
            return Err(MoneyError::Exponent { input: owned() });
        }
        let malformed = |reason| MoneyError::Malformed {
            input: owned(),
            reason,
        };

        let (negative, unsigned) = match input.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        if let Some(character) = unsigned
            .chars()
            .find(|c| !c.is_ascii_digit() && !matches!(c, '.' | '-'))
        {
            return Err(MoneyError::InvalidCharacter {
                input: owned(),
                character,
            });
        }
        if unsigned.contains('-') {
            return Err(malformed("a minus sign may only come first"));
        }
        let (int_part, frac_part) = match unsigned.split_once('.') {
            Some((int_part, frac_part)) => (int_part, Some(frac_part)),
            None => (unsigned, None),
        };
        if frac_part.is_some_and(|f| f.contains('.')) {
            return Err(malformed("more than one decimal point"));
        }
        if int_part.is_empty() {
            return Err(malformed(if frac_part.is_some() {
                "no digits before the decimal point"
            } else {
                "no digits"
            }));
        }
        if frac_part.is_some_and(str::is_empty) {
            return Err(malformed("no digits after the decimal point"));
        }
        if int_part.len() > MAX_INTEGER_DIGITS {
            return Err(MoneyError::TooManyIntegerDigits {
                input: owned(),
                digits: int_part.len(),
            });
        }
        let frac_part = frac_part.unwrap_or("");
        let frac_digits = u32::try_from(frac_part.len()).unwrap_or(u32::MAX);
        if frac_digits > currency.scale {
            return Err(MoneyError::TooManyDecimals {
                input: owned(),
                decimals: frac_digits,
                code: currency.code.clone(),
                scale: currency.scale,
            });
        }

        // Only ASCII digits remain: at most 18 + 4 of them, far below i128's
        // 38, so this arithmetic cannot overflow.
        let digits_value = |digits: &str| {
            digits
                .bytes()
                .fold(0i128, |acc, b| acc * 10 + i128::from(b - b'0'))
        };
        let magnitude = digits_value(int_part) * currency.minor_per_major()
            + digits_value(frac_part) * pow10(currency.scale - frac_digits);
        let signed = if negative { -magnitude } else { magnitude };
        i64::try_from(signed)
            .map(Money)
            .map_err(|_| MoneyError::OutOfRange {
                input: owned(),
                code: currency.code.clone(),
            })
    }

    /// Formats in major units with exactly `scale` decimals and no
    /// separators: `"12.30"`, `"-0.05"`, `"7"` (scale 0). [`Money::parse`]
    /// reads it back unchanged whenever the integer part has at most 18
    /// digits (every amount for scales 1..=4; below 10^18 for scale 0).
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

    /// Splits this amount into `parts` equal parts, the earlier parts taking
    /// the leftover minor units: 1.00 / 3 → 0.34, 0.33, 0.33.
    pub fn allocate_evenly(self, parts: usize) -> Result<Vec<Money>, MoneyError> {
        // Checked before building the weights so a huge `parts` costs nothing.
        if parts == 0 {
            return Err(MoneyError::NoParts);
        }
        if parts > MAX_ALLOCATION_PARTS {
            return Err(MoneyError::TooManyParts { parts });
        }
        self.allocate(&vec![1; parts])
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

    /// The grammar `parse` accepts, written independently of `parse`.
    fn is_canonical(s: &str, scale: u32) -> bool {
        let body = s.strip_prefix('-').unwrap_or(s);
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        (1..=18).contains(&int_part.len())
            && all_digits(int_part)
            && match frac_part {
                None => true,
                Some(f) => !f.is_empty() && f.len() <= scale as usize && all_digits(f),
            }
    }

    // ---------- unit tests ----------

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
    fn basics_and_checked_arithmetic() {
        assert_eq!(Money::default(), Money::zero());
        assert_eq!(m(5).minor(), 5);
        assert!(m(-1).is_negative());
        assert!(!m(0).is_negative());
        assert_eq!(m(2).checked_add(m(3)), Ok(m(5)));
        assert_eq!(m(2).checked_sub(m(3)), Ok(m(-1)));
        assert_eq!(m(250).checked_mul_qty(-3), Ok(m(-750)));
        assert_eq!(m(7).checked_neg(), Ok(m(-7)));
        assert!(matches!(
            m(i64::MAX).checked_add(m(1)),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(matches!(
            m(i64::MIN).checked_sub(m(1)),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(matches!(
            m(i64::MAX).checked_mul_qty(2),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(matches!(
            m(i64::MIN).checked_neg(),
            Err(MoneyError::Overflow { .. })
        ));
        assert_eq!(Money::sum(Vec::<Money>::new()), Ok(Money::zero()));
        assert_eq!(Money::sum([m(1), m(2), m(3)].iter()), Ok(m(6)));
        assert_eq!(Money::sum([m(i64::MAX), m(1), m(-1)]), Ok(m(i64::MAX)));
        assert!(matches!(
            Money::sum([m(i64::MAX), m(1)]),
            Err(MoneyError::Overflow { .. })
        ));
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
    fn parse_examples() {
        let usd = usd();
        assert_eq!(Money::parse("12", &usd), Ok(m(1200)));
        assert_eq!(Money::parse("12.3", &usd), Ok(m(1230)));
        assert_eq!(Money::parse("12.30", &usd), Ok(m(1230)));
        assert_eq!(Money::parse("-0.05", &usd), Ok(m(-5)));
        assert_eq!(Money::parse("0", &usd), Ok(m(0)));
        assert_eq!(Money::parse("-0", &usd), Ok(m(0)));
        assert_eq!(Money::parse("007.5", &usd), Ok(m(750)));
        assert_eq!(Money::parse("7", &cur(0)), Ok(m(7)));
        assert_eq!(
            Money::parse("-922337203685477.5808", &cur(4)),
            Ok(m(i64::MIN))
        );
        assert_eq!(
            Money::parse("922337203685477.5807", &cur(4)),
            Ok(m(i64::MAX))
        );
        assert_eq!(
            Money::parse("999999999999999999", &cur(0)),
            Ok(m(999_999_999_999_999_999))
        );
    }

    #[test]
    fn error_messages_name_the_input() {
        let err = Money::parse("12.345", &usd()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""12.345" has 3 decimals but USD allows 2"#
        );
        let err = Money::parse("1,234", &usd()).unwrap_err();
        assert!(err.to_string().contains(r#""1,234""#), "{err}");
        let err = Money::from_decimal_exact(dec("1.2340"), &usd()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""1.234" has 3 decimals but USD allows 2"#
        );
        let err = Money::parse("999999999999999999.99", &usd()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"amount "999999999999999999.99" is out of range for USD"#
        );
    }

    #[test]
    fn t12_parse_rejects_every_malformed_string_in_the_table() {
        use MoneyError as E;
        type Check = fn(&MoneyError) -> bool;
        let usd = usd();
        let table: &[(&str, Check)] = &[
            ("", |e| matches!(e, E::Empty)),
            (" ", |e| matches!(e, E::Whitespace { .. })),
            (" 12", |e| matches!(e, E::Whitespace { .. })),
            ("12 ", |e| matches!(e, E::Whitespace { .. })),
            ("1 234", |e| matches!(e, E::Whitespace { .. })),
            ("\t1", |e| matches!(e, E::Whitespace { .. })),
            ("12\n", |e| matches!(e, E::Whitespace { .. })),
            ("- 1", |e| matches!(e, E::Whitespace { .. })),
            ("+12", |e| matches!(e, E::PlusSign { .. })),
            ("-+1", |e| matches!(e, E::PlusSign { .. })),
            ("1,234", |e| {
                matches!(e, E::ThousandsSeparator { separator: ',', .. })
            }),
            ("1,234.50", |e| matches!(e, E::ThousandsSeparator { .. })),
            ("12,50", |e| matches!(e, E::ThousandsSeparator { .. })),
            ("1_000", |e| {
                matches!(e, E::ThousandsSeparator { separator: '_', .. })
            }),
            ("1'000", |e| {
                matches!(
                    e,
                    E::ThousandsSeparator {
                        separator: '\'',
                        ..
                    }
                )
            }),
            ("1e3", |e| matches!(e, E::Exponent { .. })),
            ("1E3", |e| matches!(e, E::Exponent { .. })),
            ("1.5e-2", |e| matches!(e, E::Exponent { .. })),
            ("12.345", |e| {
                matches!(
                    e,
                    E::TooManyDecimals {
                        decimals: 3,
                        scale: 2,
                        ..
                    }
                )
            }),
            ("0.001", |e| matches!(e, E::TooManyDecimals { .. })),
            ("12.300", |e| matches!(e, E::TooManyDecimals { .. })),
            ("1234567890123456789", |e| {
                matches!(e, E::TooManyIntegerDigits { digits: 19, .. })
            }),
            ("0000000000000000000", |e| {
                matches!(e, E::TooManyIntegerDigits { .. })
            }),
            ("-99999999999999999999.5", |e| {
                matches!(e, E::TooManyIntegerDigits { .. })
            }),
            ("999999999999999999.99", |e| {
                matches!(e, E::OutOfRange { .. })
            }),
            ("\u{ff11}\u{ff12}", |e| matches!(e, E::NonAscii { .. })),
            ("12\u{a0}000", |e| matches!(e, E::NonAscii { .. })),
            ("\u{20ac}12", |e| matches!(e, E::NonAscii { .. })),
            ("12\u{2212}", |e| matches!(e, E::NonAscii { .. })),
            ("\u{2212}12", |e| matches!(e, E::NonAscii { .. })),
            ("$12", |e| {
                matches!(e, E::InvalidCharacter { character: '$', .. })
            }),
            ("abc", |e| matches!(e, E::InvalidCharacter { .. })),
            ("NaN", |e| matches!(e, E::InvalidCharacter { .. })),
            ("inf", |e| matches!(e, E::InvalidCharacter { .. })),
            ("0x10", |e| matches!(e, E::InvalidCharacter { .. })),
            ("12\0", |e| matches!(e, E::InvalidCharacter { .. })),
            ("(12)", |e| matches!(e, E::InvalidCharacter { .. })),
            ("-", |e| matches!(e, E::Malformed { .. })),
            (".", |e| matches!(e, E::Malformed { .. })),
            ("1.", |e| matches!(e, E::Malformed { .. })),
            (".5", |e| matches!(e, E::Malformed { .. })),
            ("-.5", |e| matches!(e, E::Malformed { .. })),
            ("--1", |e| matches!(e, E::Malformed { .. })),
            ("1-", |e| matches!(e, E::Malformed { .. })),
            ("12.3-", |e| matches!(e, E::Malformed { .. })),
            ("1.2.3", |e| matches!(e, E::Malformed { .. })),
            ("1..2", |e| matches!(e, E::Malformed { .. })),
        ];
        for (input, check) in table {
            let result = Money::parse(input, &usd);
            match &result {
                Err(e) => assert!(check(e), "{input:?} gave the wrong error: {e:?}"),
                Ok(v) => panic!("{input:?} was accepted as {v:?}"),
            }
            // The offending input is carried along (except for "empty").
            if let Err(e) = result {
                if !input.is_empty() {
                    assert!(format!("{e:?}").contains(&format!("{input:?}")), "{e:?}");
                }
            }
        }
        // Scale 0 refuses any decimals, even zeros.
        for input in ["12.0", "12.5", "0.00"] {
            assert!(matches!(
                Money::parse(input, &cur(0)),
                Err(MoneyError::TooManyDecimals { scale: 0, .. })
            ));
        }
        assert!(matches!(
            Money::parse("-922337203685477.5809", &cur(4)),
            Err(MoneyError::OutOfRange { .. })
        ));
    }

    #[test]
    fn decimal_conversions() {
        let usd = usd();
        assert_eq!(m(1230).to_decimal(&usd), dec("12.30"));
        assert_eq!(m(-5).to_decimal(&usd), dec("-0.05"));
        assert_eq!(m(7).to_decimal(&cur(0)), dec("7"));
        let r = |s: &str| Money::from_decimal_rounded(dec(s), &usd).unwrap();
        assert_eq!(r("0.125"), m(13));
        assert_eq!(r("-0.125"), m(-13));
        assert_eq!(r("0.124999"), m(12));
        assert_eq!(r("0.135"), m(14));
        assert_eq!(r("2.5"), m(250));
        assert_eq!(r("-0.005"), m(-1));
        assert_eq!(r("-0.0049"), m(0));
        assert_eq!(Money::from_decimal_rounded(dec("0.5"), &cur(0)), Ok(m(1)));
        assert_eq!(Money::from_decimal_rounded(dec("2.5"), &cur(0)), Ok(m(3)));
        assert!(matches!(
            Money::from_decimal_rounded(dec("92233720368547758.08"), &usd),
            Err(MoneyError::OutOfRange { .. })
        ));
        assert_eq!(
            Money::from_decimal_rounded(dec("92233720368547758.07"), &usd),
            Ok(m(i64::MAX))
        );
        assert!(matches!(
            Money::from_decimal_rounded(Decimal::MAX, &usd),
            Err(MoneyError::OutOfRange { .. })
        ));
        assert_eq!(Money::from_decimal_exact(dec("12.300"), &usd), Ok(m(1230)));
        assert_eq!(Money::from_decimal_exact(dec("12"), &usd), Ok(m(1200)));
        assert!(matches!(
            Money::from_decimal_exact(dec("12.345"), &usd),
            Err(MoneyError::TooManyDecimals { decimals: 3, .. })
        ));
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
        assert_eq!(m(100).allocate_evenly(3), Ok(vec![m(34), m(33), m(33)]));
        assert_eq!(m(-100).allocate_evenly(3), Ok(vec![m(-34), m(-33), m(-33)]));
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
        assert_eq!(m(1).allocate_evenly(0), Err(MoneyError::NoParts));
        assert_eq!(
            m(1).allocate_evenly(MAX_ALLOCATION_PARTS + 1),
            Err(MoneyError::TooManyParts {
                parts: MAX_ALLOCATION_PARTS + 1
            })
        );
        assert_eq!(
            m(1).allocate_evenly(usize::MAX),
            Err(MoneyError::TooManyParts { parts: usize::MAX })
        );
        assert_eq!(
            m(1).allocate(&vec![1; MAX_ALLOCATION_PARTS + 1]),
            Err(MoneyError::TooManyParts {
                parts: MAX_ALLOCATION_PARTS + 1
            })
        );
        let parts = m(1).allocate_evenly(MAX_ALLOCATION_PARTS).unwrap();
        assert_eq!(parts.len(), MAX_ALLOCATION_PARTS);
        assert_eq!(parts.first(), Some(&m(1)));
        assert_eq!(Money::sum(&parts), Ok(m(1)));
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
        fn t12_parse_display_roundtrip(minor in any_amount(), scale in 0u32..=4) {
            let c = cur(scale);
            let shown = Money::from_minor(minor).display(&c);
            let int_digits = shown
                .trim_start_matches('-')
                .split('.')
                .next()
                .map_or(0, str::len);
            if int_digits <= MAX_INTEGER_DIGITS {
                prop_assert_eq!(Money::parse(&shown, &c), Ok(Money::from_minor(minor)));
            } else {
                let is_too_long = matches!(
                    Money::parse(&shown, &c),
                    Err(MoneyError::TooManyIntegerDigits { .. })
                );
                prop_assert!(is_too_long);
            }
            // The display has exactly `scale` decimals.
            let decimals = shown.split_once('.').map_or(0, |(_, f)| f.len());
            prop_assert_eq!(decimals, scale as usize);
        }

        #[test]
        fn t12_parse_accepts_only_the_canonical_grammar(
            input in prop_oneof![
                "-?[0-9]{0,20}(\\.[0-9]{0,5})?",
                "[-+0-9.,eE_ a$]{0,12}",
                "\\PC{0,8}",
            ],
            scale in 0u32..=4,
        ) {
            let c = cur(scale);
            let parsed = Money::parse(&input, &c);
            if is_canonical(&input, scale) {
                let exact = Decimal::from_str(&input).unwrap()
                    * Decimal::from_i128_with_scale(pow10(scale), 0);
                match i64::try_from(exact.mantissa() / pow10(exact.scale())) {
                    Ok(expected) => prop_assert_eq!(parsed, Ok(Money::from_minor(expected))),
                    Err(_) => {
                        let out_of_range = matches!(parsed, Err(MoneyError::OutOfRange { .. }));
                        prop_assert!(out_of_range);
                    }
                }
            } else {
                prop_assert!(parsed.is_err(), "accepted non-canonical {:?}", input);
            }
        }

        #[test]
        fn t12_sum_is_exact_and_overflow_is_an_error(
            amounts in prop::collection::vec(any_amount(), 0..20),
        ) {
            let exact: i128 = amounts.iter().map(|&a| i128::from(a)).sum();
            let monies: Vec<Money> = amounts.iter().copied().map(Money::from_minor).collect();
            match i64::try_from(exact) {
                Ok(total) => prop_assert_eq!(Money::sum(&monies), Ok(Money::from_minor(total))),
                Err(_) => {
                    let is_overflow = matches!(Money::sum(&monies), Err(MoneyError::Overflow { .. }));
                    prop_assert!(is_overflow);
                }
            }
        }

        #[test]
        fn t12_checked_arithmetic_matches_i128(a in any_amount(), b in any_amount()) {
            let (x, y) = (Money::from_minor(a), Money::from_minor(b));
            let check = |got: Result<Money, MoneyError>, exact: i128| match i64::try_from(exact) {
                Ok(v) => got == Ok(Money::from_minor(v)),
                Err(_) => matches!(got, Err(MoneyError::Overflow { .. })),
            };
            prop_assert!(check(x.checked_add(y), i128::from(a) + i128::from(b)));
            prop_assert!(check(x.checked_sub(y), i128::from(a) - i128::from(b)));
            prop_assert!(check(x.checked_mul_qty(b), i128::from(a) * i128::from(b)));
            prop_assert!(check(x.checked_neg(), -i128::from(a)));
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
            prop_assert_eq!(Money::sum(&parts), Ok(Money::from_minor(total)));
            let magnitude = u128::from(total.unsigned_abs());
            for (part, &w) in parts.iter().zip(&weights) {
                // |part| is the floor or the ceiling of the exact share.
                let scaled = magnitude * u128::from(w);
                let floor = scaled / total_weight;
                let ceil = floor + u128::from(scaled % total_weight != 0);
                let got = u128::from(part.minor().unsigned_abs());
                prop_assert!(got == floor || got == ceil);
                prop_assert!(part.minor() == 0 || part.is_negative() == (total < 0));
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
            prop_assert_eq!(Money::sum(&parts), Ok(Money::from_minor(total)));
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
        fn t12_allocate_evenly_is_fair(total in any_amount(), n in 1usize..200) {
            let parts = Money::from_minor(total).allocate_evenly(n).unwrap();
            prop_assert_eq!(parts.len(), n);
            prop_assert_eq!(Money::sum(&parts), Ok(Money::from_minor(total)));
            let max = parts.iter().max().unwrap().minor();
            let min = parts.iter().min().unwrap().minor();
            prop_assert!(i128::from(max) - i128::from(min) <= 1);
            // Bigger magnitudes come first.
            for pair in parts.windows(2) {
                prop_assert!(pair[0].minor().unsigned_abs() >= pair[1].minor().unsigned_abs());
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
            prop_assert!(Money::from_minor(gross).checked_sub(tax).is_ok());
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

        #[test]
        fn t12_from_decimal_rounded_matches_i128_reference(
            mantissa in any::<i64>(),
            value_scale in 0u32..=12,
            scale in 0u32..=4,
        ) {
            let c = cur(scale);
            let value = Decimal::new(mantissa, value_scale);
            // value in minor units = mantissa × 10^scale / 10^value_scale.
            let expected = round_half_away_ref(
                i128::from(mantissa) * pow10(scale),
                pow10(value_scale),
            );
            let got = Money::from_decimal_rounded(value, &c);
            match i64::try_from(expected) {
                Ok(v) => prop_assert_eq!(got.clone(), Ok(Money::from_minor(v))),
                Err(_) => {
                    let out_of_range = matches!(got, Err(MoneyError::OutOfRange { .. }));
                    prop_assert!(out_of_range);
                }
            }
            let exact = Money::from_decimal_exact(value, &c);
            if expected * pow10(value_scale) == i128::from(mantissa) * pow10(scale) {
                prop_assert_eq!(exact, got);
            } else {
                let too_many = matches!(exact, Err(MoneyError::TooManyDecimals { .. }));
                prop_assert!(too_many);
            }
        }

        #[test]
        fn t12_decimal_roundtrip(minor in any_amount(), scale in 0u32..=4) {
            let c = cur(scale);
            let x = Money::from_minor(minor);
            let d = x.to_decimal(&c);
            prop_assert_eq!(Money::from_decimal_exact(d, &c), Ok(x));
            prop_assert_eq!(Money::from_decimal_rounded(d, &c), Ok(x));
            prop_assert_eq!(d.to_string(), x.display(&c));
        }
    }
}
