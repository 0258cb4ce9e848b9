//! The one permission check: the session against the database's truth, the
//! idle lock, and the role × permission table, for every command and for what
//! a request itself needs. For a write, what the session lacks may be granted
//! for that one call by a manager's approval on the spot (T39,
//! `identity::approval`); [`admit`] and [`lacking_needs`] say what is lacking
//! and [`refusal`] is the error when no approval covers it.

use crate::db::CachedRow;
use crate::dispatch::commands::{Access, CommandSpec};
use crate::error::{Error, Result};
use crate::shared::access::{role_has, Permission, Role};
use crate::shared::handler::Session;
use crate::shared::settings::{self, Settings};
use rusqlite::{Connection, OptionalExtension};

/// Refuses a request whose own needs the session's role lacks.
pub(super) fn check_needs(
    session: Option<&Session>,
    spec: &CommandSpec,
    needs: &[Permission],
) -> Result<()> {
    for p in needs {
        let Some(s) = session else {
            return Err(Error::Unauthenticated(format!(
                "log in first: {} needs a signed-in user",
                spec.name
            )));
        };
        if !role_has(s.role, *p) {
            return Err(Error::forbidden(format!(
                "a {} may not do this with {} (needs {})",
                s.role.as_str(),
                spec.name,
                p.as_str()
            )));
        }
    }
    Ok(())
}

/// The permissions of `needs` the session's role lacks (none without a need).
pub(super) fn lacking_needs(
    session: Option<&Session>,
    spec: &CommandSpec,
    needs: &[Permission],
) -> Result<Vec<Permission>> {
    let mut lacking = Vec::new();
    for p in needs {
        let Some(s) = session else {
            return Err(Error::Unauthenticated(format!(
                "log in first: {} needs a signed-in user",
                spec.name
            )));
        };
        if !role_has(s.role, *p) && !lacking.contains(p) {
            lacking.push(*p);
        }
    }
    Ok(lacking)
}

/// The refusal of a write whose session lacks `lacking` (non-empty) and has no
/// approval covering it: `forbidden`, saying that a manager could approve it.
/// `of_command` when the first lacking permission is the command's own.
pub(super) fn refusal(
    session: Option<&Session>,
    spec: &CommandSpec,
    lacking: &[Permission],
    of_command: bool,
) -> Error {
    let role = session.map_or("signed-out user", |s| s.role.as_str());
    let first = lacking.first().map_or("a permission", |p| p.as_str());
    let message = if of_command {
        format!("a {role} may not use {} (needs {first})", spec.name)
    } else {
        format!(
            "a {role} may not do this with {} (needs {first})",
            spec.name
        )
    };
    Error::NeedsApproval {
        message,
        needs: lacking.iter().map(|p| p.as_str()).collect(),
    }
}

/// The one permission check: the session against the database's truth (the
/// user may have been archived or given another role since login), the idle
/// lock, and the role table. Updates the session in `slot` (its role, lock and
/// last activity); clears it when the user is no longer active.
pub(super) fn authorize(
    conn: &Connection,
    slot: &mut Option<Session>,
    spec: &CommandSpec,
    now_ms: i64,
) -> Result<Settings> {
    let (settings, lacking) = admit(conn, slot, spec, now_ms)?;
    if let (Some(p), Some(s)) = (lacking.first(), slot.as_ref()) {
        return Err(Error::forbidden(format!(
            "a {} may not use {} (needs {})",
            s.role.as_str(),
            spec.name,
            p.as_str()
        )));
    }
    Ok(settings)
}

/// [`authorize`] without refusing for the command's own permission: it is
/// returned as lacking instead (empty when the role holds it), for a write
/// that may carry a manager's approval. Everything else is refused as there.
pub(super) fn admit(
    conn: &Connection,
    slot: &mut Option<Session>,
    spec: &CommandSpec,
    now_ms: i64,
) -> Result<(Settings, Vec<Permission>)> {
    let settings = settings::load(conn)?.settings;
    let required = match spec.access {
        Access::Public => return Ok((settings, Vec::new())),
        Access::Session => None,
        Access::Perm(p) => Some(p),
    };
    let Some(session) = slot.as_mut() else {
        return Err(Error::Unauthenticated(format!(
            "log in first: {} needs a signed-in user",
            spec.name
        )));
    };
    match current_role(conn, session.user_id)? {
        Some(role) => session.role = role,
        None => {
            *slot = None;
            return Err(Error::Unauthenticated(
                "this user is no longer active; log in again".into(),
            ));
        }
    }
    let idle_ms = now_ms.saturating_sub(session.last_active_ms);
    if !session.locked && idle_ms >= settings.idle_lock_ms {
        session.locked = true;
    }
    if session.locked && !spec.while_locked {
        return Err(Error::Locked {
            message: "the till is locked; unlock it with your PIN or password".into(),
            until_ms: None,
        });
    }
    let lacking: Vec<Permission> = required
        .filter(|p| !role_has(session.role, *p))
        .into_iter()
        .collect();
    // Commands usable at a locked till (whoami, lock, unlock, logout) are not
    // activity: a UI polling whoami must not keep the till from locking.
    // Unlocking marks the session active itself. A refusal is not activity either.
    if !spec.while_locked && lacking.is_empty() {
        session.last_active_ms = now_ms;
    }
    Ok((settings, lacking))
}

fn current_role(conn: &Connection, user_id: i64) -> Result<Option<Role>> {
    let role: Option<String> = conn
        .cached_row(
            "SELECT role FROM users WHERE id = ?1 AND archived_at_ms IS NULL",
            [user_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(role.as_deref().and_then(Role::parse))
}
