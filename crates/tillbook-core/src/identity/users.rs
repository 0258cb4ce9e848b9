//! Users: one store for every role (T16); archived, never deleted (T22).

use crate::db::rows::Versioned;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::identity::auth::hash_secret;
use crate::shared::access::{Permission, Role};
use crate::shared::handler::NoArgs;
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate::{self, Secret};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

const USERS: Versioned = Versioned {
    table: "users",
    entity: "user",
};

/// A user as every command returns it: never a hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub has_pin: bool,
    pub archived: bool,
    pub locked_until_ms: Option<i64>,
    pub version: i64,
    pub created_at_ms: i64,
}

const VIEW_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.pin_hash IS NOT NULL,
     u.archived_at_ms IS NOT NULL, l.locked_until_ms, u.version, u.created_at_ms";

fn view_of(r: &Row<'_>) -> rusqlite::Result<UserView> {
    let role: String = r.get(3)?;
    Ok(UserView {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Cashier),
        has_pin: r.get(4)?,
        archived: r.get(5)?,
        locked_until_ms: r.get(6)?,
        version: r.get(7)?,
        created_at_ms: r.get(8)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<UserView> {
    conn.cached_row(
        &format!("SELECT {VIEW_COLUMNS} FROM users u LEFT JOIN login_state l ON l.user_id = u.id WHERE u.id = ?1"),
        [id],
        view_of,
    )
    .optional()?
    .ok_or_else(|| Error::not_found("user", id))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[ts(type = "string")]
    pub password: Secret,
    #[serde(default)]
    #[ts(optional = nullable, type = "string | null")]
    pub pin: Option<Secret>,
}

impl Request for CreateUserRequest {
    fn validate(&self) -> Result<()> {
        validate::username(&self.username)?;
        validate::text("display_name", &self.display_name, 1, 100)?;
        validate::password("password", &self.password)?;
        if let Some(pin) = &self.pin {
            validate::pin("pin", pin)?;
        }
        Ok(())
    }

    fn secrets(&self) -> Vec<&Secret> {
        std::iter::once(&self.password).chain(&self.pin).collect()
    }
}

/// Nobody hands out a role above their own, nor edits someone who outranks them.
fn check_rank(actor: Role, target: Role) -> Result<()> {
    if target.rank() > actor.rank() || (actor != Role::Owner && target == actor) {
        return Err(Error::forbidden(format!(
            "a {} may not manage {} accounts",
            actor.as_str(),
            target.as_str()
        )));
    }
    Ok(())
}

/// Inserts a user row; shared by `users.create` and first-run setup.
pub(crate) fn insert_user(
    tx: &Tx<'_>,
    req: &CreateUserRequest,
    created_by: Option<i64>,
    now_ms: i64,
) -> Result<i64> {
    let password_hash = hash_secret(&req.password)?;
    let pin_hash = req.pin.as_ref().map(hash_secret).transpose()?;
    let id = tx
        .execute_returning(
            "INSERT INTO users (username, display_name, role, password_hash, pin_hash,
                                created_by, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
            rusqlite::params![
                req.username,
                req.display_name,
                req.role.as_str(),
                password_hash,
                pin_hash,
                created_by,
                now_ms
            ],
            |r| r.get(0),
        )
        // The only unique constraint on users is the username (D05: chosen by code).
        .on_constraint(ConstraintKind::Unique, || Error::Duplicate {
            field: "username".into(),
            value: req.username.clone(),
        })?;
    tx.execute("INSERT INTO login_state (user_id) VALUES (?1)", [id])?;
    Ok(id)
}

/// `users.create`
pub fn create(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &CreateUserRequest) -> Result<UserView> {
    let actor = ctx.actor()?;
    check_rank(actor.role, req.role)?;
    let id = insert_user(tx, req, Some(actor.user_id), ctx.now_ms)?;
    let summary =
        json!({ "username": req.username, "display_name": req.display_name, "role": req.role });
    ctx.audit("user", id, summary.clone());
    ctx.emit("user.created", "user", id, summary);
    get(tx.conn(), id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ListUsersRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub include_archived: bool,
    /// Keyset paging: users with a larger id than this.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for ListUsersRequest {
    fn validate(&self) -> Result<()> {
        validate::page_limit(self.limit, validate::PAGE_MAX)?;
        Ok(())
    }
}

/// `users.list`
pub fn list(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &ListUsersRequest,
) -> Result<Vec<UserView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VIEW_COLUMNS} FROM users u LEFT JOIN login_state l ON l.user_id = u.id
         WHERE (?1 OR u.archived_at_ms IS NULL) AND u.id > ?2
         ORDER BY u.id LIMIT ?3"
    ))?;
    let rows = stmt.query_map(
        rusqlite::params![
            req.include_archived,
            req.after_id.unwrap_or(0),
            req.limit.unwrap_or(validate::PAGE_MAX)
        ],
        view_of,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub id: i64,
    pub version: i64,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub display_name: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub role: Option<Role>,
}

impl Request for UpdateUserRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        if let Some(n) = &self.display_name {
            validate::text("display_name", n, 1, 100)?;
        }
        if self.display_name.is_none() && self.role.is_none() {
            return Err(Error::validation("display_name", "nothing to change"));
        }
        Ok(())
    }
}

fn active_owners(tx: &Tx<'_>) -> Result<i64> {
    Ok(tx.conn().cached_row(
        "SELECT count(*) FROM users WHERE role = 'owner' AND archived_at_ms IS NULL",
        [],
        |r| r.get(0),
    )?)
}

/// `users.update`: display name and role, against the version the caller read.
pub fn update(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &UpdateUserRequest) -> Result<UserView> {
    let actor = ctx.actor()?;
    let before = get(tx.conn(), req.id)?;
    check_rank(actor.role, before.role)?;
    if let Some(role) = req.role {
        check_rank(actor.role, role)?;
        if before.role == Role::Owner && role != Role::Owner && active_owners(tx)? <= 1 {
            return Err(Error::StateConflict {
                message: "the shop needs at least one owner".into(),
            });
        }
    }
    let name = req
        .display_name
        .clone()
        .unwrap_or(before.display_name.clone());
    let role = req.role.unwrap_or(before.role).as_str();
    USERS.update(
        tx,
        req.id,
        req.version,
        &[
            ("display_name", &name),
            ("role", &role),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    let after = get(tx.conn(), req.id)?;
    ctx.audit(
        "user",
        req.id,
        json!({
            "before": { "display_name": before.display_name, "role": before.role },
            "after": { "display_name": after.display_name, "role": after.role },
        }),
    );
    ctx.emit(
        "user.updated",
        "user",
        req.id,
        json!({ "display_name": after.display_name, "role": after.role }),
    );
    Ok(after)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ArchiveUserRequest {
    pub id: i64,
    pub version: i64,
}

impl Request for ArchiveUserRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)
    }
}

/// `users.archive`: the user can no longer log in; their history keeps its name.
pub fn archive(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &ArchiveUserRequest) -> Result<UserView> {
    let actor = ctx.actor()?;
    if actor.user_id == req.id {
        return Err(Error::StateConflict {
            message: "you cannot archive your own account".into(),
        });
    }
    let before = get(tx.conn(), req.id)?;
    check_rank(actor.role, before.role)?;
    USERS.archive(
        tx,
        req.id,
        req.version,
        before.archived,
        &before.username,
        ctx.now_ms,
    )?;
    ctx.audit(
        "user",
        req.id,
        json!({ "username": before.username, "archived": true }),
    );
    ctx.emit(
        "user.archived",
        "user",
        req.id,
        json!({ "username": before.username }),
    );
    get(tx.conn(), req.id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub id: i64,
    pub version: i64,
    #[ts(type = "string")]
    pub password: Secret,
}

impl Request for ResetPasswordRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        validate::password("password", &self.password)
    }
}

/// `users.reset_password`: a manager sets a new password and clears any lockout.
pub fn reset_password(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ResetPasswordRequest,
) -> Result<UserView> {
    let actor = ctx.actor()?;
    let before = get(tx.conn(), req.id)?;
    check_rank(actor.role, before.role)?;
    let hash = hash_secret(&req.password)?;
    USERS.update(
        tx,
        req.id,
        req.version,
        &[("password_hash", &hash), ("updated_at_ms", &ctx.now_ms)],
    )?;
    tx.execute(
        "UPDATE login_state SET failed_attempts = 0, lockouts = 0, locked_until_ms = NULL WHERE user_id = ?1",
        [req.id],
    )?;
    ctx.audit(
        "user",
        req.id,
        json!({ "username": before.username, "changed": "password" }),
    );
    get(tx.conn(), req.id)
}

/// One role and the permissions it holds: a row of `users.roles`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RolePermissions {
    pub role: Role,
    pub permissions: Vec<Permission>,
}

/// `users.roles`: the role × permission table, for the users screen.
pub fn roles(
    _ctx: &ReadCtx<'_>,
    _conn: &Connection,
    _req: &NoArgs,
) -> Result<Vec<RolePermissions>> {
    Ok(crate::shared::access::ROLE_PERMISSIONS
        .iter()
        .map(|(role, perms)| RolePermissions {
            role: *role,
            permissions: perms.to_vec(),
        })
        .collect())
}
