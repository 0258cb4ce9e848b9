//! The one error type every operation returns, with stable codes.
//!
//! Transports (the CLI's JSON Lines, Tauri IPC) show an error as
//! `{"code": "...", "message": "...", "details": {...}}`. The codes are part of
//! the public contract and pinned by tests: renaming one breaks clients.

use serde::Serialize;
use serde_json::{json, Value};

crate::named_enum! {
    /// A stable, machine-readable error code.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
    #[ts(export)]
    pub enum ErrorCode {
        Unauthenticated = "unauthenticated",
        Forbidden = "forbidden",
        Validation = "validation",
        NotFound = "not_found",
        Conflict = "conflict",
        Duplicate = "duplicate",
        IdempotencyMismatch = "idempotency_mismatch",
        InsufficientStock = "insufficient_stock",
        CreditLimit = "credit_limit",
        Locked = "locked",
        Busy = "busy",
        Internal = "internal",
    }
}

/// What is wrong with one field, as a kind a UI turns into its own words
/// ("Enter a name (up to 100 letters)") with the field's label filled in. It
/// travels flattened into a validation error's `details` next to `field`:
/// `{"field": "name", "kind": "too_long", "max_chars": 100}`. The English
/// `message` stays for the log and the CLI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum FieldError {
    /// Nothing was entered; `max_chars` says how long it may be, when it is text.
    Required {
        max_chars: Option<u32>,
    },
    TooShort {
        min_chars: u32,
    },
    TooLong {
        max_chars: u32,
    },
    /// A number outside its bounds, in the field's own unit (`*_minor`, `*_ms`, …).
    OutOfRange {
        min: Option<i64>,
        max: Option<i64>,
    },
    /// Spaces at the start or end of a text.
    EdgeSpaces,
    /// Tabs, line breaks or other invisible characters.
    ControlChars,
    /// A username uses only letters a-z, digits and . _ -.
    UsernameChars,
    /// A PIN: `min_digits` to `max_digits` digits.
    Digits {
        min_digits: u32,
        max_digits: u32,
    },
    /// A date as YYYY-MM-DD.
    Date,
    /// Not in the expected shape (a code, an email, a barcode).
    Format,
    /// A value this field never takes (a choice not offered, a record that
    /// cannot be used here).
    NotAllowed,
    /// Anything else: the `message` says what.
    Invalid,
}

impl FieldError {
    /// The wire name of the kind (`"too_long"`), as in `details.kind`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            FieldError::Required { .. } => "required",
            FieldError::TooShort { .. } => "too_short",
            FieldError::TooLong { .. } => "too_long",
            FieldError::OutOfRange { .. } => "out_of_range",
            FieldError::EdgeSpaces => "edge_spaces",
            FieldError::ControlChars => "control_chars",
            FieldError::UsernameChars => "username_chars",
            FieldError::Digits { .. } => "digits",
            FieldError::Date => "date",
            FieldError::Format => "format",
            FieldError::NotAllowed => "not_allowed",
            FieldError::Invalid => "invalid",
        }
    }
}

/// Every failure an operation can report to a user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// Refused for permissions the session lacks that a manager's approval on
    /// the spot could grant (T39): `forbidden` on the wire, with `needs` and
    /// `approvable: true` in the details so the till can offer the approval.
    #[error("{message}")]
    NeedsApproval {
        message: String,
        needs: Vec<&'static str>,
    },
    #[error("{field}: {message}")]
    Validation {
        field: String,
        message: String,
        kind: FieldError,
    },
    #[error("{entity} {id} was not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{entity} {id} was changed by someone else (you had version {expected}); reload and try again")]
    Conflict {
        entity: &'static str,
        id: String,
        expected: i64,
    },
    #[error("{message}")]
    StateConflict { message: String },
    #[error("{field} {value:?} is already in use")]
    Duplicate { field: String, value: String },
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyMismatch { key: String },
    /// `product` and `left` (the free quantity with its unit, "1" or
    /// "0.350 kg") are set where the caller knows which product ran short.
    #[error("not enough stock: {message}")]
    InsufficientStock {
        message: String,
        product: Option<String>,
        left: Option<String>,
    },
    /// The amounts let a UI say by how much, in the shop's currency.
    #[error("credit limit exceeded: {message}")]
    CreditLimit {
        message: String,
        customer: Option<String>,
        limit_minor: Option<i64>,
        over_by_minor: Option<i64>,
    },
    #[error("{message}")]
    Locked {
        message: String,
        until_ms: Option<i64>,
    },
    #[error("the database stayed busy after {attempts} attempts; nothing was saved, try again")]
    Busy { attempts: u32 },
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A field error of the generic kind: the message says what is wrong.
    /// Prefer [`Error::invalid_field`] with a precise kind where one fits.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid_field(field, FieldError::Invalid, message)
    }

    pub fn invalid_field(
        field: impl Into<String>,
        kind: FieldError,
        message: impl Into<String>,
    ) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
            kind,
        }
    }

    /// Plain stock shortage without a product name (a batch, a reservation).
    pub fn insufficient_stock(message: impl Into<String>) -> Self {
        Error::InsufficientStock {
            message: message.into(),
            product: None,
            left: None,
        }
    }

    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden(message.into())
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Error::Forbidden(_) | Error::NeedsApproval { .. } => ErrorCode::Forbidden,
            Error::Validation { .. } => ErrorCode::Validation,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::Conflict { .. } | Error::StateConflict { .. } => ErrorCode::Conflict,
            Error::Duplicate { .. } => ErrorCode::Duplicate,
            Error::IdempotencyMismatch { .. } => ErrorCode::IdempotencyMismatch,
            Error::InsufficientStock { .. } => ErrorCode::InsufficientStock,
            Error::CreditLimit { .. } => ErrorCode::CreditLimit,
            Error::Locked { .. } => ErrorCode::Locked,
            Error::Busy { .. } => ErrorCode::Busy,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Structured details a UI can use (which field to highlight, when a lock ends).
    pub fn details(&self) -> Value {
        match self {
            Error::Validation { field, kind, .. } => {
                let mut d = serde_json::to_value(kind).unwrap_or_else(|_| json!({}));
                if let Value::Object(m) = &mut d {
                    // Absent bounds are left out rather than sent as null.
                    m.retain(|_, v| !v.is_null());
                    m.insert("field".into(), Value::String(field.clone()));
                }
                d
            }
            Error::InsufficientStock { product, left, .. } if product.is_some() => {
                json!({ "product": product, "left": left })
            }
            Error::CreditLimit {
                customer,
                limit_minor,
                over_by_minor,
                ..
            } if over_by_minor.is_some() => json!({
                "customer": customer,
                "limit_minor": limit_minor,
                "over_by_minor": over_by_minor,
            }),
            Error::NotFound { entity, id } => json!({ "entity": entity, "id": id }),
            Error::Conflict {
                entity,
                id,
                expected,
            } => json!({ "entity": entity, "id": id, "expected_version": expected }),
            Error::Duplicate { field, value } => json!({ "field": field, "value": value }),
            Error::IdempotencyMismatch { key } => json!({ "idempotency_key": key }),
            Error::Locked { until_ms, .. } => json!({ "until_ms": until_ms }),
            Error::Busy { attempts } => json!({ "attempts": attempts }),
            Error::NeedsApproval { needs, .. } => json!({ "needs": needs, "approvable": true }),
            _ => json!({}),
        }
    }

    /// The wire form shared by every transport.
    pub fn to_json(&self) -> Value {
        json!({
            "code": self.code().as_str(),
            "message": self.to_string(),
            "details": self.details(),
        })
    }

    /// Whether this failure is the caller's (refused) or ours (failed); the audit
    /// log records the two differently.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Error::Internal(_) | Error::Busy { .. })
    }
}

/// The kind of constraint SQLite reported, taken from the extended result code
/// (never from the message text: D05).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    Unique,
    Check,
    ForeignKey,
    NotNull,
    Trigger,
    Other,
}

/// Classifies a rusqlite error as a constraint violation, if it is one.
pub fn constraint_kind(err: &rusqlite::Error) -> Option<ConstraintKind> {
    use rusqlite::ffi;
    let rusqlite::Error::SqliteFailure(e, _) = err else {
        return None;
    };
    if e.code != rusqlite::ErrorCode::ConstraintViolation {
        return None;
    }
    Some(match e.extended_code {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ConstraintKind::Unique,
        ffi::SQLITE_CONSTRAINT_CHECK => ConstraintKind::Check,
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ConstraintKind::ForeignKey,
        ffi::SQLITE_CONSTRAINT_NOTNULL => ConstraintKind::NotNull,
        ffi::SQLITE_CONSTRAINT_TRIGGER => ConstraintKind::Trigger,
        _ => ConstraintKind::Other,
    })
}

/// Whether SQLite asks us to retry the whole transaction.
pub fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        match constraint_kind(&err) {
            // Call sites that know which constraint a statement can break map it
            // to a precise error (see `ResultExt::on_constraint`); these are the
            // generic fallbacks, still chosen by code and not by text.
            Some(ConstraintKind::Check) => {
                Error::validation("input", "a value is outside its allowed range")
            }
            Some(ConstraintKind::ForeignKey) => {
                Error::validation("reference", "a referenced record does not exist")
            }
            Some(ConstraintKind::Unique) => Error::Duplicate {
                field: "record".into(),
                value: String::new(),
            },
            _ => {
                if is_busy(&err) {
                    Error::Busy { attempts: 1 }
                } else {
                    tracing::error!(error = %err, "sqlite error");
                    Error::Internal(format!("database error: {err}"))
                }
            }
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::Internal(format!("serialisation error: {err}"))
    }
}

/// Maps the constraint a statement may break to the precise error for it.
pub trait ResultExt<T> {
    fn on_constraint(self, kind: ConstraintKind, to: impl FnOnce() -> Error) -> Result<T>;
}

impl<T> ResultExt<T> for std::result::Result<T, rusqlite::Error> {
    fn on_constraint(self, kind: ConstraintKind, to: impl FnOnce() -> Error) -> Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) if constraint_kind(&e) == Some(kind) => Err(to()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            let via_serde = serde_json::to_value(c).unwrap();
            assert_eq!(via_serde, Value::String(c.as_str().into()));
            assert!(seen.insert(c.as_str()));
        }
    }

    #[test]
    fn d05_constraint_kind_comes_from_the_code_not_the_message() {
        // A message that lies about the constraint must not change the mapping.
        let err = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error {
                code: rusqlite::ErrorCode::ConstraintViolation,
                extended_code: rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE,
            },
            Some("CHECK constraint failed: FOREIGN KEY".into()),
        );
        assert_eq!(constraint_kind(&err), Some(ConstraintKind::Unique));
        let plain = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error {
                code: rusqlite::ErrorCode::ConstraintViolation,
                extended_code: rusqlite::ffi::SQLITE_CONSTRAINT_CHECK,
            },
            Some("UNIQUE constraint failed: users.username".into()),
        );
        assert_eq!(constraint_kind(&plain), Some(ConstraintKind::Check));
        assert_eq!(Error::from(plain).code(), ErrorCode::Validation);
    }
}
