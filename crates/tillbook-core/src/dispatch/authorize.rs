//! The one permission check: the session against the database's truth, the
//! idle lock, and the role × permission table, for every command and for what
//! a request itself needs.

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
    let settings = settings::load(conn)?.settings;
    let required = match spec.access {
        Access::Public => return Ok(settings),
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
    if let Some(p) = required {
        if !role_has(session.role, p) {
            return Err(Error::forbidden(format!(
                "a {} may not use {} (needs {})",
                session.role.as_str(),
                spec.name,
                p.as_str()
            )));
        }
    }
    // Commands usable at a locked till (whoami, lock, unlock, logout) are not
    // activity: a UI polling whoami must not keep the till from locking.
    // Unlocking marks the session active itself.
    if !spec.while_locked {
        session.last_active_ms = now_ms;
    }
    Ok(settings)
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
