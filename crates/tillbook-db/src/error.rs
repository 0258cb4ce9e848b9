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
    Validation { field: String, message: String },
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
    #[error("not enough stock: {message}")]
    InsufficientStock { message: String },
    #[error("credit limit exceeded: {message}")]
    CreditLimit { message: String },
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
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
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
            Error::Validation { field, .. } => json!({ "field": field }),
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
