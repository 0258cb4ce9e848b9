//! Head-office sync, the shop's side: where the shop pushes (`sync_targets`,
//! changed only by the owner through `sync.set_target`, audited) and how far
//! each target got (`sync_state`, a cache of the server's high-water mark plus
//! what the last attempt found). No network here: the pusher lives in the
//! `tillbook-sync` crate and writes the cursor through the functions below as
//! system bookkeeping (no audit or outbox row per batch, which would loop).
//! No password either: this file is copied by every backup.

use crate::db::outbox_chain::GENESIS;
use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::records::outbox;
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The target a shop has when it names none.
pub const DEFAULT_TARGET: &str = "head-office";
/// Longest CA certificate file accepted (a chain of a few certificates).
pub const CA_PEM_MAX_BYTES: usize = 65_536;

tillbook_db::named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum TlsMode {
        /// TLS required, the server's certificate checked against the CA and the host name (T06).
        Verify = "verify",
        /// TLS without any check of who the server is: explicit, audited, warned on every connection.
        Insecure = "insecure",
    }
}

tillbook_db::named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum SyncState {
        /// No target, or the target is switched off.
        Disabled = "disabled",
        /// Set up, not tried yet since the last change.
        Idle = "idle",
        Pushing = "pushing",
        UpToDate = "up_to_date",
        /// Connected, then something broke; tried again by timer.
        Retrying = "retrying",
        /// The server could not be reached; tried again by timer.
        Offline = "offline",
        /// Stopped until the configuration changes (untrusted certificate, wrong password…).
        Blocked = "blocked",
        /// Head office has a different history for this shop; nothing more is sent.
        Diverged = "diverged",
    }
}

impl SyncState {
    fn parse(s: &str) -> SyncState {
        SyncState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .unwrap_or(SyncState::Blocked)
    }
}

/// A target as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncTarget {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub tls_mode: TlsMode,
    /// The CA that signed the server's certificate, when it is not a public one.
    #[ts(optional = nullable)]
    pub ca_pem: Option<String>,
    pub enabled: bool,
    pub updated_at_ms: i64,
}

/// The cursor and the last attempt's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub acked_seq: i64,
    pub acked_chain: Vec<u8>,
    pub state: SyncState,
    pub failures: i64,
    pub last_attempt_ms: Option<i64>,
    pub last_success_ms: Option<i64>,
    pub next_attempt_ms: Option<i64>,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    pub server_connection_id: Option<i64>,
}

pub fn target(conn: &Connection, name: &str) -> Result<Option<SyncTarget>> {
    Ok(conn
        .cached_row(
            "SELECT name, host, port, database_name, db_user, tls_mode, ca_pem, enabled, updated_at_ms
             FROM sync_targets WHERE name = ?1",
            [name],
            |r| {
                let tls: String = r.get(5)?;
                Ok(SyncTarget {
                    name: r.get(0)?,
                    host: r.get(1)?,
                    port: u16::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    database: r.get(3)?,
                    user: r.get(4)?,
                    tls_mode: if tls == "insecure" {
                        TlsMode::Insecure
                    } else {
                        TlsMode::Verify
                    },
                    ca_pem: r.get(6)?,
                    enabled: r.get::<_, i64>(7)? == 1,
                    updated_at_ms: r.get(8)?,
                })
            },
        )
        .optional()?)
}

pub fn cursor(conn: &Connection, name: &str) -> Result<Option<Cursor>> {
    Ok(conn
        .cached_row(
            "SELECT acked_seq, acked_chain, state, failures, last_attempt_ms, last_success_ms,
                    next_attempt_ms, error_code, last_error, server_connection_id
             FROM sync_state WHERE target = ?1",
            [name],
            |r| {
                Ok(Cursor {
                    acked_seq: r.get(0)?,
                    acked_chain: r.get(1)?,
                    state: SyncState::parse(&r.get::<_, String>(2)?),
                    failures: r.get(3)?,
                    last_attempt_ms: r.get(4)?,
                    last_success_ms: r.get(5)?,
                    next_attempt_ms: r.get(6)?,
                    error_code: r.get(7)?,
                    last_error: r.get(8)?,
                    server_connection_id: r.get(9)?,
                })
            },
        )
        .optional()?)
}

/// The pusher: a session began (state `pushing`, the server session's id kept
/// so the next session can end it if this one dies holding a lock).
pub fn record_session_start(
    tx: &Tx<'_>,
    name: &str,
    now_ms: i64,
    server_connection_id: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE sync_state SET state = 'pushing', last_attempt_ms = ?2, server_connection_id = ?3
         WHERE target = ?1",
        rusqlite::params![name, now_ms, server_connection_id],
    )?;
    Ok(())
}

/// The pusher: the server's high-water mark, read or just committed.
pub fn record_ack(tx: &Tx<'_>, name: &str, acked_seq: i64, acked_chain: &[u8]) -> Result<()> {
    tx.execute(
        "UPDATE sync_state SET acked_seq = ?2, acked_chain = ?3 WHERE target = ?1",
        rusqlite::params![name, acked_seq, acked_chain],
    )?;
    Ok(())
}

/// How a push attempt ended, in the words the owner sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub state: SyncState,
    pub error_code: Option<String>,
    /// Plain words, at most 500 characters; never a password.
    pub message: Option<String>,
    pub next_attempt_ms: Option<i64>,
}

/// The pusher: the attempt ended. A success resets the failure count; any
/// other outcome adds one (the back-off grows from it).
pub fn record_outcome(tx: &Tx<'_>, name: &str, now_ms: i64, o: &Outcome) -> Result<()> {
    let ok = o.state == SyncState::UpToDate;
    let message: Option<String> = o.message.as_ref().map(|m| m.chars().take(500).collect());
    tx.execute(
        "UPDATE sync_state SET state = ?2, error_code = ?3, last_error = ?4, next_attempt_ms = ?5,
                failures = CASE WHEN ?6 THEN 0 ELSE failures + 1 END,
                last_success_ms = CASE WHEN ?6 THEN ?7 ELSE last_success_ms END
         WHERE target = ?1",
        rusqlite::params![
            name,
            o.state.as_str(),
            o.error_code,
            message.filter(|m| !m.is_empty()),
            o.next_attempt_ms,
            ok,
            now_ms
        ],
    )?;
    Ok(())
}

/// `sync.status` arguments.
#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct SyncStatusRequest {
    /// Which target (default: `head-office`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub target: Option<String>,
}

impl Request for SyncStatusRequest {
    fn validate(&self) -> Result<()> {
        self.target.as_deref().map_or(Ok(()), valid_name)
    }
}

/// What the owner is shown about sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncStatus {
    pub state: SyncState,
    /// The target without its CA text (`has_custom_ca` says whether there is one).
    #[ts(optional = nullable)]
    pub target: Option<SyncTargetView>,
    /// Events not yet confirmed by head office.
    pub pending: i64,
    /// When the oldest of those was recorded.
    #[ts(optional = nullable)]
    pub oldest_pending_at_ms: Option<i64>,
    pub acked_seq: i64,
    #[ts(optional = nullable)]
    pub last_attempt_ms: Option<i64>,
    #[ts(optional = nullable)]
    pub last_success_ms: Option<i64>,
    #[ts(optional = nullable)]
    pub next_attempt_ms: Option<i64>,
    #[ts(optional = nullable)]
    pub error_code: Option<String>,
    /// The last problem in plain words.
    #[ts(optional = nullable)]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncTargetView {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub tls_mode: TlsMode,
    pub has_custom_ca: bool,
    pub enabled: bool,
}

impl From<&SyncTarget> for SyncTargetView {
    fn from(t: &SyncTarget) -> Self {
        SyncTargetView {
            name: t.name.clone(),
            host: t.host.clone(),
            port: t.port,
            database: t.database.clone(),
            user: t.user.clone(),
            tls_mode: t.tls_mode,
            has_custom_ca: t.ca_pem.is_some(),
            enabled: t.enabled,
        }
    }
}

/// The status of target `name` as the file says now (whichever process pushes).
pub fn status_of(conn: &Connection, name: &str) -> Result<SyncStatus> {
    let (last_id, _) = outbox::last(conn)?;
    let t = target(conn, name)?;
    let c = cursor(conn, name)?;
    let acked = c.as_ref().map_or(0, |c| c.acked_seq);
    let state = match (&t, &c) {
        (Some(t), Some(c)) if t.enabled => c.state,
        _ => SyncState::Disabled,
    };
    Ok(SyncStatus {
        state,
        target: t.as_ref().map(SyncTargetView::from),
        pending: (last_id - acked).max(0),
        oldest_pending_at_ms: outbox::created_after(conn, acked)?,
        acked_seq: acked,
        last_attempt_ms: c.as_ref().and_then(|c| c.last_attempt_ms),
        last_success_ms: c.as_ref().and_then(|c| c.last_success_ms),
        next_attempt_ms: c.as_ref().and_then(|c| c.next_attempt_ms),
        error_code: c.as_ref().and_then(|c| c.error_code.clone()),
        message: c.and_then(|c| c.last_error),
    })
}

/// `sync.status`
pub fn status(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &SyncStatusRequest,
) -> Result<SyncStatus> {
    status_of(conn, req.target.as_deref().unwrap_or(DEFAULT_TARGET))
}

fn default_target() -> String {
    DEFAULT_TARGET.to_string()
}

fn default_true() -> bool {
    true
}

/// `sync.set_target` arguments: the whole target, replacing what was there.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct SetSyncTargetRequest {
    #[serde(default = "default_target")]
    pub name: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    #[serde(default = "default_tls")]
    pub tls_mode: TlsMode,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub ca_pem: Option<String>,
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_tls() -> TlsMode {
    TlsMode::Verify
}

fn valid_name(name: &str) -> Result<()> {
    let ok = (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            "name",
            "use 1 to 40 small letters, digits or dashes",
        ))
    }
}

impl Request for SetSyncTargetRequest {
    fn validate(&self) -> Result<()> {
        valid_name(&self.name)?;
        let host_ok = (1..=253).contains(&self.host.len())
            && self
                .host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !host_ok {
            return Err(Error::validation(
                "host",
                "give the server's name (like sync.example.com) or its address (like 10.0.0.5)",
            ));
        }
        if self.port == 0 {
            return Err(Error::validation("port", "must be between 1 and 65535"));
        }
        let db_ok = (1..=64).contains(&self.database.len())
            && self
                .database
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !db_ok {
            return Err(Error::validation(
                "database",
                "use 1 to 64 letters, digits or underscores",
            ));
        }
        let user_ok = (1..=80).contains(&self.user.chars().count())
            && !self.user.chars().any(|c| c.is_control() || c == '@');
        if !user_ok {
            return Err(Error::validation(
                "user",
                "use 1 to 80 characters, without @ or control characters",
            ));
        }
        if let Some(pem) = &self.ca_pem {
            if pem.len() > CA_PEM_MAX_BYTES || !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(Error::validation(
                    "ca_pem",
                    "must be a certificate file in PEM form (it starts with -----BEGIN CERTIFICATE-----), at most 64 KB",
                ));
            }
        }
        Ok(())
    }
}

/// `sync.set_target`: owner only (the role table), audited. Setting a target
/// always sets its TLS mode; `insecure` is written to the audit row by name.
/// The attempt state starts again (a blocked target is tried with the new
/// settings); the cursor is only a cache of the server's mark, so a new server
/// starts it again from nothing.
pub fn set_target(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &SetSyncTargetRequest,
) -> Result<SyncTargetView> {
    let before = target(tx.conn(), &req.name)?;
    let same_server = before
        .as_ref()
        .is_some_and(|b| b.host == req.host && b.port == req.port && b.database == req.database);
    tx.execute(
        "INSERT INTO sync_targets (name, host, port, database_name, db_user, tls_mode, ca_pem, enabled, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (name) DO UPDATE SET host = excluded.host, port = excluded.port,
             database_name = excluded.database_name, db_user = excluded.db_user,
             tls_mode = excluded.tls_mode, ca_pem = excluded.ca_pem, enabled = excluded.enabled,
             updated_at_ms = excluded.updated_at_ms",
        rusqlite::params![
            req.name,
            req.host,
            i64::from(req.port),
            req.database,
            req.user,
            req.tls_mode.as_str(),
            req.ca_pem,
            req.enabled,
            ctx.now_ms
        ],
    )?;
    tx.execute(
        "INSERT INTO sync_state (target, acked_seq, acked_chain, state, failures)
         VALUES (?1, 0, ?2, 'idle', 0)
         ON CONFLICT (target) DO UPDATE SET state = 'idle', failures = 0, next_attempt_ms = NULL,
             error_code = NULL, last_error = NULL,
             acked_seq = CASE WHEN ?3 THEN acked_seq ELSE 0 END,
             acked_chain = CASE WHEN ?3 THEN acked_chain ELSE ?2 END,
             server_connection_id = CASE WHEN ?3 THEN server_connection_id ELSE NULL END",
        rusqlite::params![req.name, GENESIS.to_vec(), same_server],
    )?;
    let view = SyncTargetView {
        name: req.name.clone(),
        host: req.host.clone(),
        port: req.port,
        database: req.database.clone(),
        user: req.user.clone(),
        tls_mode: req.tls_mode,
        has_custom_ca: req.ca_pem.is_some(),
        enabled: req.enabled,
    };
    ctx.audit(
        "sync_target",
        &req.name,
        json!({
            "before": before.as_ref().map(SyncTargetView::from),
            "after": &view,
            "tls_verification_disabled": req.tls_mode == TlsMode::Insecure,
        }),
    );
    Ok(view)
}
