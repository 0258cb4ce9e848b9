//! One push attempt from start to end, on a current-thread runtime of its own
//! (the core has none): read the target, connect, handshake, push, and write
//! what happened to the cursor row, which `sync.status` shows.

use crate::client::{connect, within, Limits};
use crate::error::{Class, SyncError};
use crate::push::{push_all, Pushed};
use crate::verify::{self, Report};
use mysql_async::prelude::Queryable;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use tillbook_core::clock::Clock;
use tillbook_core::db::{CachedRow, Db};
use tillbook_core::records::sync_state::{self, Outcome, SyncState, SyncTarget};

/// The password file's variable (a file only its owner may read), and the
/// plain variable used when there is no file. Credentials are never stored in
/// the shop file, which every backup copies; the keyring comes next session.
pub const PASSWORD_FILE_VAR: &str = "TILLBOOK_SYNC_PASSWORD_FILE";
pub const PASSWORD_VAR: &str = "TILLBOOK_SYNC_PASSWORD";
/// Longest password file read.
const PASSWORD_FILE_MAX_BYTES: u64 = 4096;
/// Back-off after a failure: 2 s doubling per failure, at most 5 min, ±20 %.
const BACKOFF_FIRST_MS: i64 = 2_000;
const BACKOFF_CAP_MS: i64 = 300_000;

/// How a run ended.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub state: SyncState,
    pub pushed: Pushed,
    pub error: Option<SyncError>,
}

/// The push password, from the environment.
pub fn password() -> Result<String, SyncError> {
    if let Some(path) = std::env::var_os(PASSWORD_FILE_VAR) {
        let unreadable = |detail: String| {
            let mut e = SyncError::new(
                Class::Blocked,
                "password_file_unreadable",
                "The sync password file could not be read. Check the file named in TILLBOOK_SYNC_PASSWORD_FILE.",
            );
            e.detail = detail;
            e
        };
        let file = std::fs::File::open(&path).map_err(|e| unreadable(e.to_string()))?;
        let mode = file
            .metadata()
            .map_err(|e| unreadable(e.to_string()))?
            .permissions()
            .mode();
        // As ssh does with its keys: a secret others can read is refused.
        if mode & 0o077 != 0 {
            return Err(SyncError::new(
                Class::Blocked,
                "password_file_open",
                "The sync password file can be read by other people on this computer, so it was not used. Make it readable by its owner only (chmod 600).",
            ));
        }
        let mut text = String::new();
        file.take(PASSWORD_FILE_MAX_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| unreadable(e.to_string()))?;
        return Ok(text.lines().next().unwrap_or_default().to_string());
    }
    std::env::var(PASSWORD_VAR).map_err(|_| {
        SyncError::new(
            Class::Blocked,
            "no_password",
            "No password for head office is set on this computer (TILLBOOK_SYNC_PASSWORD_FILE).",
        )
    })
}

/// The enabled target `name` and this shop's id at head office.
fn prepare(db: &Db, name: &str) -> Result<(SyncTarget, String), SyncError> {
    let target = db
        .read(|c| sync_state::target(c, name))
        .map_err(SyncError::local)?
        .filter(|t| t.enabled)
        .ok_or_else(|| {
            SyncError::new(
                Class::Blocked,
                "no_target",
                "Sending to head office is not set up or is switched off.",
            )
        })?;
    let shop_id: String = db
        .read(|c| Ok(c.cached_row("SELECT host_id FROM shop WHERE id = 1", [], |r| r.get(0))?))
        .map_err(|_| {
            SyncError::new(
                Class::Blocked,
                "no_shop",
                "This file has no shop yet; set the shop up first.",
            )
        })?;
    Ok((target, shop_id))
}

fn runtime() -> Result<tokio::runtime::Runtime, SyncError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            let mut err = SyncError::new(
                Class::Retry,
                "runtime",
                "Sending could not start on this computer; it will be tried again.",
            );
            err.detail = e.to_string();
            err
        })
}

/// One session: connect, end the previous session's server connection if it
/// is still there (a dead one may hold the mark's row lock), push everything.
async fn session(
    db: &Db,
    clock: &dyn Clock,
    t: &SyncTarget,
    password: &str,
    shop_id: &str,
    lim: &Limits,
) -> Result<Pushed, SyncError> {
    let previous = db
        .read(|c| sync_state::cursor(c, &t.name))
        .map_err(SyncError::local)?
        .and_then(|c| c.server_connection_id);
    let (mut conn, id) = connect(t, password, lim).await?;
    if let Some(prev) = previous.filter(|p| *p != i64::from(id)) {
        // 1094 (no such thread) is the usual answer and is fine.
        let _ = within(
            "end the previous session",
            lim.statement,
            false,
            conn.query_drop(format!("KILL CONNECTION {prev}")),
        )
        .await;
    }
    db.write(|tx| sync_state::record_session_start(tx, &t.name, clock.now_ms(), i64::from(id)))
        .map_err(SyncError::local)?;
    match push_all(&mut conn, db, &t.name, shop_id, lim).await {
        Ok(p) => {
            let _ = within("disconnect", lim.statement, false, conn.disconnect()).await;
            Ok(p)
        }
        // Dropped, never reused: it may be mid-query.
        Err(e) => Err(e),
    }
}

fn backoff_ms(failures: i64) -> i64 {
    let base = BACKOFF_FIRST_MS
        .saturating_mul(1i64 << failures.clamp(0, 20))
        .min(BACKOFF_CAP_MS);
    let jitter = base / 5;
    base - jitter + fastrand::i64(0..=2 * jitter)
}

/// Pushes once: a session, and after a *retry* failure one more at once (its
/// handshake re-reads the mark, settling a COMMIT whose reply was lost). The
/// outcome is written to the cursor row either way. `Err` only when there is
/// nothing to push to (no target, no shop) or the outcome cannot be written.
pub fn run_once(
    db: &Db,
    clock: &dyn Clock,
    target: &str,
    lim: &Limits,
) -> Result<RunReport, SyncError> {
    run_once_with(db, clock, target, lim, password())
}

/// [`run_once`] with the password given (or why there is none).
pub fn run_once_with(
    db: &Db,
    clock: &dyn Clock,
    target: &str,
    lim: &Limits,
    password: Result<String, SyncError>,
) -> Result<RunReport, SyncError> {
    let (t, shop_id) = prepare(db, target)?;
    let result = match password {
        Ok(pw) => runtime()?.block_on(async {
            match session(db, clock, &t, &pw, &shop_id, lim).await {
                Err(e) if e.class == Class::Retry => {
                    tracing::info!(code = e.code, detail = %e.detail, "sync: session failed; reading the mark again");
                    session(db, clock, &t, &pw, &shop_id, lim).await
                }
                other => other,
            }
        }),
        Err(e) => Err(e),
    };
    let now = clock.now_ms();
    let (outcome, report) = match result {
        Ok(pushed) => (
            Outcome {
                state: SyncState::UpToDate,
                error_code: None,
                message: None,
                next_attempt_ms: None,
            },
            RunReport {
                state: SyncState::UpToDate,
                pushed,
                error: None,
            },
        ),
        Err(e) => {
            tracing::warn!(code = e.code, detail = %e.detail, "sync: {}", e.message);
            let failures = db
                .read(|c| sync_state::cursor(c, target))
                .map_err(SyncError::local)?
                .map_or(0, |c| c.failures);
            let next = matches!(e.class, Class::Retry | Class::Offline)
                .then(|| now + backoff_ms(failures));
            (
                Outcome {
                    state: e.class.state(),
                    error_code: Some(e.code.to_string()),
                    message: Some(e.message.clone()),
                    next_attempt_ms: next,
                },
                RunReport {
                    state: e.class.state(),
                    pushed: Pushed::default(),
                    error: Some(e),
                },
            )
        }
    };
    db.write(|tx| sync_state::record_outcome(tx, target, now, &outcome))
        .map_err(SyncError::local)?;
    Ok(report)
}

/// `tillbook sync verify`: the oracle against the target's server.
pub fn verify_once(db: &Db, target: &str, lim: &Limits) -> Result<Report, SyncError> {
    verify_once_with(db, target, lim, password()?.as_str())
}

/// [`verify_once`] with the password given.
pub fn verify_once_with(
    db: &Db,
    target: &str,
    lim: &Limits,
    pw: &str,
) -> Result<Report, SyncError> {
    let (t, shop_id) = prepare(db, target)?;
    runtime()?.block_on(async {
        let (mut conn, _) = connect(&t, pw, lim).await?;
        let report = verify::verify(&mut conn, db, &shop_id, lim).await?;
        let _ = within("disconnect", lim.statement, false, conn.disconnect()).await;
        Ok(report)
    })
}
