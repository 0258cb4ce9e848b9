//! Login, the idle lock, and the one way secrets are hashed (T13, T16, T18, T24).

use crate::db::rows::Versioned;
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::shared::access::Role;
use crate::shared::handler::{NoArgs, ReadCtx, Request, Session, SessionEffect, WriteCtx};
use crate::shared::validate::{self, Secret};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::OnceLock;

/// Argon2id at OWASP's minimum: 19 MiB, 2 passes, 1 lane.
pub const ARGON2_M_KIB: u32 = 19_456;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

pub(crate) fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|e| Error::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password or PIN into an Argon2id PHC string.
pub fn hash_secret(secret: &Secret) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()?
        .hash_password(secret.expose().as_bytes(), &salt)
        .map_err(|e| Error::internal(format!("hashing failed: {e}")))?
        .to_string())
}

/// Checks a secret against a stored PHC string (its own parameters apply).
pub fn verify_secret(secret: &Secret, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(secret.expose().as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the same time as a real check when the username is unknown, so timing
/// doesn't tell which usernames exist.
fn verify_against_dummy(secret: &Secret) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash_secret(&Secret::new("tillbook-dummy")).ok()) {
        let _ = verify_secret(secret, phc);
    }
}

const WRONG_CREDENTIALS: &str = "wrong username or password";

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    #[ts(type = "string")]
    pub password: Secret,
}

impl Request for LoginRequest {
    fn validate(&self) -> Result<()> {
        validate::text("username", &self.username, 1, 64)?;
        if self.password.expose().is_empty()
            || self.password.expose().chars().count() > validate::PASSWORD_MAX_CHARS
        {
            return Err(Error::validation(
                "password",
                "must not be empty or too long",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SessionView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub locked: bool,
    pub idle_lock_ms: i64,
    /// What this role may do, from the one role table: the UI hides what the
    /// role lacks (the dispatcher still decides).
    pub permissions: Vec<crate::shared::access::Permission>,
}

impl SessionView {
    fn of(s: &Session, idle_lock_ms: i64) -> Self {
        SessionView {
            user_id: s.user_id,
            username: s.username.clone(),
            display_name: s.display_name.clone(),
            role: s.role,
            locked: s.locked,
            idle_lock_ms,
            permissions: crate::shared::access::permissions_of(s.role),
        }
    }
}

struct LoginRow {
    user_id: i64,
    username: String,
    display_name: String,
    role: Role,
    password_hash: String,
    pin_hash: Option<String>,
    failed_attempts: i64,
    lockouts: i64,
    locked_until_ms: Option<i64>,
}

fn load_login_row(
    conn: &Connection,
    by: &str,
    key: &dyn rusqlite::ToSql,
) -> Result<Option<LoginRow>> {
    let sql = format!(
        "SELECT u.id, u.username, u.display_name, u.role, u.password_hash, u.pin_hash,
                COALESCE(l.failed_attempts, 0), COALESCE(l.lockouts, 0), l.locked_until_ms
         FROM users u LEFT JOIN login_state l ON l.user_id = u.id
         WHERE u.{by} = ?1 AND u.archived_at_ms IS NULL"
    );
    Ok(conn
        .cached_row(&sql, [key], |r| {
            let role: String = r.get(3)?;
            Ok(LoginRow {
                user_id: r.get(0)?,
                username: r.get(1)?,
                display_name: r.get(2)?,
                role: Role::parse(&role).unwrap_or(Role::Cashier),
                password_hash: r.get(4)?,
                pin_hash: r.get(5)?,
                failed_attempts: r.get(6)?,
                lockouts: r.get(7)?,
                locked_until_ms: r.get(8)?,
            })
        })
        .optional()?)
}

/// Refuses while an account is locked, without even checking the secret (T18).
fn refuse_if_locked(ctx: &mut WriteCtx<'_>, row: &LoginRow) -> bool {
    match row.locked_until_ms {
        Some(until) if until > ctx.now_ms => {
            let secs = (until - ctx.now_ms + 999) / 1000;
            ctx.refuse_after_commit(Error::Locked {
                message: format!(
                    "too many wrong attempts: the account is locked for {secs} more seconds"
                ),
                until_ms: Some(until),
            });
            true
        }
        _ => false,
    }
}

/// Records a wrong password or PIN; locks the account with a doubling back-off
/// once `max_failed_logins` are reached in a row.
fn record_failure(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, row: &LoginRow) -> Result<()> {
    record_failure_saying(ctx, tx, row, WRONG_CREDENTIALS)
}

/// [`record_failure`], with the words for a wrong secret that is not a password.
fn record_failure_saying(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    row: &LoginRow,
    wrong: &str,
) -> Result<()> {
    let s = ctx.settings;
    let mut failed = row.failed_attempts + 1;
    let mut lockouts = row.lockouts;
    let mut until = None;
    if failed >= s.max_failed_logins {
        lockouts += 1;
        failed = 0;
        let shift = u32::try_from((lockouts - 1).clamp(0, 30)).unwrap_or(30);
        let ms = s
            .lockout_base_ms
            .saturating_mul(1i64 << shift)
            .min(s.lockout_max_ms);
        until = Some(ctx.now_ms + ms);
    }
    tx.execute(
        "INSERT INTO login_state (user_id, failed_attempts, lockouts, locked_until_ms)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id) DO UPDATE SET failed_attempts = ?2, lockouts = ?3, locked_until_ms = ?4",
        rusqlite::params![row.user_id, failed, lockouts, until],
    )?;
    ctx.refuse_after_commit(match until {
        Some(u) => Error::Locked {
            message: format!(
                "too many wrong attempts: the account is locked for {} seconds",
                (u - ctx.now_ms + 999) / 1000
            ),
            until_ms: Some(u),
        },
        None => Error::Unauthenticated(wrong.into()),
    });
    Ok(())
}

fn record_success(ctx: &WriteCtx<'_>, tx: &Tx<'_>, user_id: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO login_state (user_id, failed_attempts, lockouts, locked_until_ms, last_login_ms)
         VALUES (?1, 0, 0, NULL, ?2)
         ON CONFLICT (user_id) DO UPDATE SET failed_attempts = 0, lockouts = 0,
             locked_until_ms = NULL, last_login_ms = ?2",
        rusqlite::params![user_id, ctx.now_ms],
    )?;
    Ok(())
}

/// `auth.login`: the only way a session begins (D02, T16).
pub fn login(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &LoginRequest,
) -> Result<Option<SessionView>> {
    let Some(row) = load_login_row(tx.conn(), "username", &req.username)? else {
        verify_against_dummy(&req.password);
        ctx.audit("user", "?", json!({ "username": req.username }));
        ctx.refuse_after_commit(Error::Unauthenticated(WRONG_CREDENTIALS.into()));
        return Ok(None);
    };
    ctx.audit_as(row.user_id, &row.username);
    ctx.audit("user", row.user_id, json!({ "username": row.username }));
    if refuse_if_locked(ctx, &row) {
        return Ok(None);
    }
    if !verify_secret(&req.password, &row.password_hash) {
        record_failure(ctx, tx, &row)?;
        return Ok(None);
    }
    record_success(ctx, tx, row.user_id)?;
    Ok(Some(start_session(ctx, row)))
}

// ---------------------------------------------------------------------------
// Staff sign-in by PIN on a shared till
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct PinLoginRequest {
    /// The tile tapped on the sign-in screen (`auth.staff`).
    pub user_id: i64,
    #[ts(type = "string")]
    pub pin: Secret,
}

impl Request for PinLoginRequest {
    fn validate(&self) -> Result<()> {
        validate::id("user_id", self.user_id)?;
        validate::pin("pin", &self.pin)
    }
}

/// One tile of the PIN sign-in screen.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct StaffTile {
    pub user_id: i64,
    pub display_name: String,
    pub role: Role,
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct StaffList {
    /// Whether the shop signs staff in by PIN (`settings.staff_pin_sign_in`).
    pub enabled: bool,
    /// Active users with a PIN, by name; empty when PIN sign-in is off, so
    /// the names are not shown to whoever opens the app.
    pub staff: Vec<StaffTile>,
}

/// At most this many tiles (a shop's staff; the rest log in by password).
pub const MAX_STAFF_TILES: i64 = 48;

/// `auth.staff`: the tiles of the PIN sign-in screen. Public, like the
/// sign-in itself, and only when the shop turned PIN sign-in on.
pub fn staff(ctx: &ReadCtx<'_>, conn: &Connection, _req: &NoArgs) -> Result<StaffList> {
    if !ctx.settings.staff_pin_sign_in {
        return Ok(StaffList {
            enabled: false,
            staff: Vec::new(),
        });
    }
    let mut st = conn.prepare_cached(
        "SELECT id, display_name, role FROM users
         WHERE archived_at_ms IS NULL AND pin_hash IS NOT NULL
         ORDER BY display_name, id LIMIT ?1",
    )?;
    let rows = st.query_map([MAX_STAFF_TILES], |r| {
        let role: String = r.get(2)?;
        Ok(StaffTile {
            user_id: r.get(0)?,
            display_name: r.get(1)?,
            role: Role::parse(&role).unwrap_or(Role::Cashier),
        })
    })?;
    Ok(StaffList {
        enabled: true,
        staff: rows.collect::<rusqlite::Result<_>>()?,
    })
}

/// `auth.pin_login`: a session begins with a tapped name and the user's PIN,
/// when the shop signs staff in by PIN. The PIN is checked against its
/// Argon2id hash and counts towards the same lockout as passwords (T18).
pub fn pin_login(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &PinLoginRequest,
) -> Result<Option<SessionView>> {
    if !ctx.settings.staff_pin_sign_in {
        return Err(Error::forbidden(
            "signing in by PIN is off in this shop's settings (staff_pin_sign_in); log in with your username and password",
        ));
    }
    let Some(row) = load_login_row(tx.conn(), "id", &req.user_id)? else {
        verify_against_dummy(&req.pin);
        ctx.audit(
            "user",
            "?",
            json!({ "user_id": req.user_id, "method": "pin" }),
        );
        ctx.refuse_after_commit(Error::Unauthenticated(WRONG_PIN.into()));
        return Ok(None);
    };
    ctx.audit_as(row.user_id, &row.username);
    ctx.audit(
        "user",
        row.user_id,
        json!({ "username": row.username, "method": "pin" }),
    );
    if refuse_if_locked(ctx, &row) {
        return Ok(None);
    }
    let ok = match row.pin_hash.as_deref() {
        Some(h) => verify_secret(&req.pin, h),
        None => {
            // Same time as a real check, so a tile without a PIN can't be told apart.
            verify_against_dummy(&req.pin);
            false
        }
    };
    if !ok {
        record_failure_saying(ctx, tx, &row, WRONG_PIN)?;
        return Ok(None);
    }
    record_success(ctx, tx, row.user_id)?;
    Ok(Some(start_session(ctx, row)))
}

const WRONG_PIN: &str = "wrong PIN";

/// The session of a user who just proved who they are.
fn start_session(ctx: &mut WriteCtx<'_>, row: LoginRow) -> SessionView {
    let session = Session {
        user_id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        role: row.role,
        started_at_ms: ctx.now_ms,
        last_active_ms: ctx.now_ms,
        locked: false,
    };
    let view = SessionView::of(&session, ctx.settings.idle_lock_ms);
    ctx.set_session_effect(SessionEffect::Start(session));
    view
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct UnlockRequest {
    #[serde(default)]
    #[ts(optional = nullable, type = "string | null")]
    pub pin: Option<Secret>,
    #[serde(default)]
    #[ts(optional = nullable, type = "string | null")]
    pub password: Option<Secret>,
}

impl Request for UnlockRequest {
    fn validate(&self) -> Result<()> {
        match (&self.pin, &self.password) {
            (Some(p), None) => validate::pin("pin", p),
            (None, Some(p)) if !p.expose().is_empty() => Ok(()),
            _ => Err(Error::validation(
                "pin",
                "give either your PIN or your password",
            )),
        }
    }
}

/// `auth.unlock`: the same user resumes with a PIN or password; wrong ones count
/// towards the account lockout exactly like wrong logins (T24, T18).
pub fn unlock(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &UnlockRequest) -> Result<SessionView> {
    let session = ctx.actor()?;
    let Some(row) = load_login_row(tx.conn(), "id", &session.user_id)? else {
        return Err(Error::Unauthenticated(
            "this user is no longer active".into(),
        ));
    };
    ctx.audit(
        "user",
        row.user_id,
        json!({ "method": if req.pin.is_some() { "pin" } else { "password" } }),
    );
    let view = SessionView::of(session, ctx.settings.idle_lock_ms);
    if refuse_if_locked(ctx, &row) {
        return Ok(view);
    }
    let ok = match (&req.pin, &req.password) {
        (Some(pin), _) => row
            .pin_hash
            .as_deref()
            .is_some_and(|h| verify_secret(pin, h)),
        (None, Some(pw)) => verify_secret(pw, &row.password_hash),
        (None, None) => false,
    };
    if !ok {
        if req.pin.is_some() && row.pin_hash.is_none() {
            return Err(Error::validation(
                "pin",
                "this user has no PIN; use the password",
            ));
        }
        record_failure(ctx, tx, &row)?;
        return Ok(view);
    }
    record_success(ctx, tx, row.user_id)?;
    ctx.set_session_effect(SessionEffect::Unlock);
    Ok(SessionView {
        locked: false,
        ..view
    })
}

/// `auth.lock`: lock the till now (stepping away).
pub fn lock(ctx: &mut WriteCtx<'_>, _tx: &Tx<'_>, _req: &NoArgs) -> Result<()> {
    let s = ctx.actor()?;
    ctx.audit("user", s.user_id, json!({}));
    ctx.set_session_effect(SessionEffect::Lock);
    Ok(())
}

/// `auth.logout`: end the session.
pub fn logout(ctx: &mut WriteCtx<'_>, _tx: &Tx<'_>, _req: &NoArgs) -> Result<()> {
    let s = ctx.actor()?;
    ctx.audit("user", s.user_id, json!({}));
    ctx.set_session_effect(SessionEffect::End);
    Ok(())
}

/// `auth.whoami`
pub fn whoami(ctx: &ReadCtx<'_>, _conn: &Connection, _req: &NoArgs) -> Result<SessionView> {
    let s = ctx
        .session
        .ok_or_else(|| Error::Unauthenticated("log in first".into()))?;
    Ok(SessionView::of(s, ctx.settings.idle_lock_ms))
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[ts(type = "string")]
    pub current_password: Secret,
    #[ts(type = "string")]
    pub new_password: Secret,
}

impl Request for ChangePasswordRequest {
    fn validate(&self) -> Result<()> {
        validate::password("new_password", &self.new_password)
    }
}

const USERS: Versioned = Versioned {
    table: "users",
    entity: "user",
};

fn current_version(tx: &Tx<'_>, user_id: i64) -> Result<i64> {
    tx.conn()
        .cached_row("SELECT version FROM users WHERE id = ?1", [user_id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| Error::not_found("user", user_id))
}

/// `auth.change_password`: a user changes their own password, proving the old one.
pub fn change_password(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &ChangePasswordRequest,
) -> Result<()> {
    let s = ctx.actor()?;
    let Some(row) = load_login_row(tx.conn(), "id", &s.user_id)? else {
        return Err(Error::not_found("user", s.user_id));
    };
    ctx.audit("user", s.user_id, json!({ "changed": "password" }));
    if refuse_if_locked(ctx, &row) {
        return Ok(());
    }
    if !verify_secret(&req.current_password, &row.password_hash) {
        record_failure(ctx, tx, &row)?;
        return Ok(());
    }
    let hash = hash_secret(&req.new_password)?;
    let version = current_version(tx, s.user_id)?;
    USERS.update(
        tx,
        s.user_id,
        version,
        &[("password_hash", &hash), ("updated_at_ms", &ctx.now_ms)],
    )?;
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct SetPinRequest {
    #[ts(type = "string")]
    pub password: Secret,
    /// `null` removes the PIN.
    #[ts(type = "string | null")]
    pub pin: Option<Secret>,
}

impl Request for SetPinRequest {
    fn validate(&self) -> Result<()> {
        match &self.pin {
            Some(p) => validate::pin("pin", p),
            None => Ok(()),
        }
    }
}

/// `auth.set_pin`: a user sets or removes their own quick-unlock PIN.
pub fn set_pin(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &SetPinRequest) -> Result<()> {
    let s = ctx.actor()?;
    let Some(row) = load_login_row(tx.conn(), "id", &s.user_id)? else {
        return Err(Error::not_found("user", s.user_id));
    };
    ctx.audit(
        "user",
        s.user_id,
        json!({ "changed": "pin", "removed": req.pin.is_none() }),
    );
    if refuse_if_locked(ctx, &row) {
        return Ok(());
    }
    if !verify_secret(&req.password, &row.password_hash) {
        record_failure(ctx, tx, &row)?;
        return Ok(());
    }
    let hash = req.pin.as_ref().map(hash_secret).transpose()?;
    let version = current_version(tx, s.user_id)?;
    USERS.update(
        tx,
        s.user_id,
        version,
        &[("pin_hash", &hash), ("updated_at_ms", &ctx.now_ms)],
    )?;
    Ok(())
}

/// Checks a second user's password inside the caller's transaction, for an
/// approval (raising a credit limit, T21), with the same failed-attempt count and
/// lockout as a login (T18). `Ok(Some((id, username, role)))` when the password
/// is right. Otherwise a `forbidden` refusal is registered (the failure count is
/// committed with it) and `Ok(None)` returned: the caller must then change nothing.
/// Naming the acting user (`not_user_id`) is refused before any check.
pub(crate) fn verify_second_user(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    not_user_id: i64,
    username: &str,
    password: &Secret,
) -> Result<Option<(i64, String, Role)>> {
    let wrong = || Error::forbidden("the approver's username or password is wrong");
    let Some(row) = load_login_row(tx.conn(), "username", &username)? else {
        verify_against_dummy(password);
        ctx.refuse_after_commit(wrong());
        return Ok(None);
    };
    if row.user_id == not_user_id {
        return Err(Error::forbidden(
            "this needs a second user: you cannot approve your own change",
        ));
    }
    if row.locked_until_ms.is_some_and(|u| u > ctx.now_ms) {
        ctx.refuse_after_commit(Error::forbidden(
            "the approver's account is locked after too many wrong attempts",
        ));
        return Ok(None);
    }
    if !verify_secret(password, &row.password_hash) {
        record_failure(ctx, tx, &row)?;
        // Not `unauthenticated`: the caller's own session is fine.
        ctx.refuse_after_commit(wrong());
        return Ok(None);
    }
    // The lockout counts wrong secrets in a row: a right one ends the row, as
    // a login does (a login also forgives earlier lockouts; an approval does not).
    if row.failed_attempts > 0 {
        tx.execute(
            "UPDATE login_state SET failed_attempts = 0 WHERE user_id = ?1",
            [row.user_id],
        )?;
    }
    Ok(Some((row.user_id, row.username, row.role)))
}

/// Checks an approver's PIN (`by_pin`) or password inside the caller's
/// transaction for a manager's approval on the spot (T39): the same lookup,
/// locked-account refusal and failure count as a login (T18), so a wrong
/// secret counts towards the approver's lockout. `Ok(Some((id, username,
/// role)))` when the secret is right; otherwise a refusal is registered with
/// the failure count and `Ok(None)` returned, and the caller changes nothing.
pub(crate) fn verify_approver_secret(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    not_user_id: i64,
    username: &str,
    secret: &Secret,
    by_pin: bool,
) -> Result<Option<(i64, String, Role)>> {
    let what = if by_pin { "PIN" } else { "password" };
    let wrong = || Error::forbidden(format!("the approver's username or {what} is wrong"));
    let Some(row) = load_login_row(tx.conn(), "username", &username)? else {
        verify_against_dummy(secret);
        ctx.refuse_after_commit(wrong());
        return Ok(None);
    };
    if row.user_id == not_user_id {
        ctx.refuse_after_commit(Error::forbidden(
            "this needs another person: you cannot approve your own action",
        ));
        return Ok(None);
    }
    if let Some(until) = row.locked_until_ms.filter(|u| *u > ctx.now_ms) {
        ctx.refuse_after_commit(Error::forbidden(format!(
            "the approver's account is locked after too many wrong attempts, for {} more seconds",
            (until - ctx.now_ms + 999) / 1000
        )));
        return Ok(None);
    }
    let ok = if by_pin {
        row.pin_hash
            .as_deref()
            .is_some_and(|h| verify_secret(secret, h))
    } else {
        verify_secret(secret, &row.password_hash)
    };
    if !ok {
        if by_pin && row.pin_hash.is_none() {
            ctx.refuse_after_commit(Error::forbidden(
                "the approver has no PIN: use their password",
            ));
            return Ok(None);
        }
        record_failure(ctx, tx, &row)?;
        // Not `unauthenticated`: the caller's own session is fine.
        let now_locked = matches!(ctx.refusal, Some(Error::Locked { .. }));
        ctx.refuse_after_commit(if now_locked {
            Error::forbidden(format!(
                "the approver's {what} is wrong, and their account is now locked"
            ))
        } else {
            wrong()
        });
        return Ok(None);
    }
    // The lockout counts wrong secrets in a row: a right one ends the row, as
    // a login does (a login also forgives earlier lockouts; an approval does not).
    if row.failed_attempts > 0 {
        tx.execute(
            "UPDATE login_state SET failed_attempts = 0 WHERE user_id = ?1",
            [row.user_id],
        )?;
    }
    Ok(Some((row.user_id, row.username, row.role)))
}
