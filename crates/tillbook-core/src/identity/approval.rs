//! A manager's approval on the spot (T39): the cashier's session lacks a
//! permission for one action, and a manager types their username and PIN or
//! password on the cashier's screen.
//!
//! The dispatcher takes the `approval` envelope off any command's arguments
//! (as it takes `idempotency_key`), and — only when the session lacks
//! something the command or the request needs — calls [`verify`] inside the
//! command's own transaction. Nothing is kept: the session is unchanged and
//! the next call needs a new approval ("There is no impersonation. A manager's
//! override is for one action and is audited"). The audit row of the change
//! names both people (`user_id` = the cashier, `approved_by` = the manager); a
//! refused approval is committed as a refused row, with the approver's failure
//! count when the secret was wrong, and nothing else changes.

use crate::db::Tx;
use crate::error::{Error, Result};
use crate::shared::access::{role_has, Permission};
use crate::shared::handler::{Session, WriteCtx};
use crate::shared::validate::{self, Secret};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The name of the envelope field every command accepts.
pub const APPROVAL_FIELD: &str = "approval";

/// A manager's credentials for one action: their username and either their
/// PIN or their password.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub username: String,
    #[serde(default)]
    #[ts(optional = nullable, type = "string | null")]
    pub pin: Option<Secret>,
    #[serde(default)]
    #[ts(optional = nullable, type = "string | null")]
    pub password: Option<Secret>,
}

impl Approval {
    /// Parses and checks the envelope; errors name `approval.<field>`.
    pub fn from_value(v: serde_json::Value) -> Result<Approval> {
        let a: Approval = serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let field = match path.as_str() {
                "." | "" => APPROVAL_FIELD.to_string(),
                p => format!("{APPROVAL_FIELD}.{p}"),
            };
            Error::validation(field, inner)
        })?;
        validate::text("approval.username", &a.username, 1, 64)?;
        match (&a.pin, &a.password) {
            (Some(p), None) => validate::pin("approval.pin", p)?,
            (None, Some(p)) => {
                if p.expose().is_empty()
                    || p.expose().chars().count() > validate::PASSWORD_MAX_CHARS
                {
                    return Err(Error::validation(
                        "approval.password",
                        "must not be empty or too long",
                    ));
                }
            }
            _ => {
                return Err(Error::validation(
                    "approval.pin",
                    "give the manager's PIN or their password, one of the two",
                ))
            }
        }
        Ok(a)
    }

    fn secret(&self) -> Option<(&Secret, bool)> {
        match (&self.pin, &self.password) {
            (Some(p), _) => Some((p, true)),
            (None, Some(p)) => Some((p, false)),
            (None, None) => None,
        }
    }
}

/// Who approved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approved {
    pub user_id: i64,
    pub username: String,
}

/// Verifies `approval` for the permissions `lacking` (what the cashier's role
/// does not hold for this command and request), inside the command's
/// transaction. `Ok(Some(..))` lets the one call run; `Ok(None)` means a
/// refusal is registered in `ctx` with its audit note (and the approver's
/// failure count when the secret was wrong): the caller must commit only that.
pub fn verify(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    actor: &Session,
    approval: &Approval,
    lacking: &[Permission],
) -> Result<Option<Approved>> {
    let needs: Vec<&str> = lacking.iter().map(|p| p.as_str()).collect();
    let Some((secret, by_pin)) = approval.secret() else {
        return Err(Error::validation(
            "approval.pin",
            "give the manager's PIN or their password",
        ));
    };
    let checked = crate::identity::auth::verify_approver_secret(
        ctx,
        tx,
        actor.user_id,
        &approval.username,
        secret,
        by_pin,
    )?;
    let Some((id, username, role)) = checked else {
        ctx.audit(
            "approval",
            &approval.username,
            json!({ "approval": "refused", "approver": approval.username, "needs": needs }),
        );
        return Ok(None);
    };
    if let Some(missing) = lacking.iter().find(|p| !role_has(role, **p)) {
        ctx.audit(
            "approval",
            &username,
            json!({ "approval": "refused", "approver": username, "needs": needs }),
        );
        ctx.refuse_after_commit(Error::forbidden(format!(
            "{username} (a {}) may not approve this either (needs {})",
            role.as_str(),
            missing.as_str()
        )));
        return Ok(None);
    }
    Ok(Some(Approved {
        user_id: id,
        username,
    }))
}
