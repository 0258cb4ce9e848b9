//! Boundary checks shared by every typed request (T35). Each request validates
//! itself once, in its `Request::validate`, using these (D06).

use crate::error::{Error, FieldError, Result};
use serde::{Deserialize, Serialize, Serializer};

/// Checks a human-entered text: trimmed length within bounds, no control characters.
pub fn text(field: &str, value: &str, min_chars: usize, max_chars: usize) -> Result<()> {
    let n = value.chars().count();
    if n < min_chars || n > max_chars {
        // The kind says which bound was missed, so the UI can say "Enter a
        // name (up to 100 letters)" rather than echo the numbers.
        let kind = if n == 0 {
            FieldError::Required {
                max_chars: Some(chars_u32(max_chars)),
            }
        } else if n < min_chars {
            FieldError::TooShort {
                min_chars: chars_u32(min_chars),
            }
        } else {
            FieldError::TooLong {
                max_chars: chars_u32(max_chars),
            }
        };
        return Err(Error::invalid_field(
            field,
            kind,
            format!("must be {min_chars} to {max_chars} characters, got {n}"),
        ));
    }
    if value.trim() != value {
        return Err(Error::invalid_field(
            field,
            FieldError::EdgeSpaces,
            "must not start or end with spaces",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            field,
            FieldError::ControlChars,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Bounds are small constants; a bound past `u32` reads as "no practical limit".
fn chars_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A whole number within `min..=max` (both inclusive, in the field's unit).
pub fn range(field: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if !(min..=max).contains(&value) {
        return Err(Error::invalid_field(
            field,
            FieldError::OutOfRange {
                min: Some(min),
                max: Some(max),
            },
            format!("must be {min} to {max}, got {value}"),
        ));
    }
    Ok(())
}

/// A number that must be at least `min` (amounts, quantities).
pub fn at_least(field: &str, value: i64, min: i64) -> Result<()> {
    if value < min {
        return Err(Error::invalid_field(
            field,
            FieldError::OutOfRange {
                min: Some(min),
                max: None,
            },
            format!("must be {min} or more, got {value}"),
        ));
    }
    Ok(())
}

pub fn username(value: &str) -> Result<()> {
    text("username", value, 1, 64)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(Error::invalid_field(
            "username",
            FieldError::UsernameChars,
            "may use only letters a-z, digits and . _ -",
        ));
    }
    Ok(())
}

pub const PASSWORD_MIN_CHARS: usize = 8;
/// Argon2 accepts more, but a longer "password" is a paste accident or an attack.
pub const PASSWORD_MAX_CHARS: usize = 256;

pub fn password(field: &str, value: &Secret) -> Result<()> {
    let n = value.expose().chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n) {
        let kind = if n < PASSWORD_MIN_CHARS {
            FieldError::TooShort {
                min_chars: chars_u32(PASSWORD_MIN_CHARS),
            }
        } else {
            FieldError::TooLong {
                max_chars: chars_u32(PASSWORD_MAX_CHARS),
            }
        };
        return Err(Error::invalid_field(
            field,
            kind,
            format!("must be {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

pub fn pin(field: &str, value: &Secret) -> Result<()> {
    let p = value.expose();
    if !(4..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_field(
            field,
            FieldError::Digits {
                min_digits: 4,
                max_digits: 8,
            },
            "must be 4 to 8 digits",
        ));
    }
    Ok(())
}

/// The longest page a list command returns: a screen's table in one read,
/// short enough that one read never holds a connection for long.
pub const PAGE_MAX: u32 = 200;
/// The most hits one search returns: a search answers as the cashier types,
/// so a short list beats a long one.
pub const SEARCH_LIMIT_MAX: u32 = 100;
/// The longest page of history (audit rows, stock movements), whose rows are
/// small and are read when looking back over a day or more.
pub const HISTORY_PAGE_MAX: u32 = 500;

/// A keyset page: `before_id` (absent = from the newest) a positive id, and
/// `limit` absent (the command's default) or 1 to [`PAGE_MAX`].
pub fn page(before_id: Option<i64>, limit: Option<u32>) -> Result<()> {
    if let Some(b) = before_id {
        id("before_id", b)?;
    }
    page_limit(limit, PAGE_MAX)
}

/// A page size: absent (the command's default) or 1 to `max`.
pub fn page_limit(limit: Option<u32>, max: u32) -> Result<()> {
    match limit {
        Some(l) if !(1..=max).contains(&l) => Err(Error::invalid_field(
            "limit",
            FieldError::OutOfRange {
                min: Some(1),
                max: Some(i64::from(max)),
            },
            format!("must be 1 to {max}"),
        )),
        _ => Ok(()),
    }
}

pub fn id(field: &str, value: i64) -> Result<()> {
    if value < 1 {
        return Err(Error::invalid_field(
            field,
            FieldError::NotAllowed,
            "must be a positive id",
        ));
    }
    Ok(())
}

pub fn version(value: i64) -> Result<()> {
    if value < 1 {
        return Err(Error::validation(
            "version",
            "must be the version you read (1 or more)",
        ));
    }
    Ok(())
}

/// A password or PIN. It never prints, logs or serialises its content, so it
/// cannot leak into the audit log, idempotency records or tracing.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}
