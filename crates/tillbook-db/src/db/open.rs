//! Opening a file: refuse anything doubtful with a message that names the cause (T07).

use super::migrate::{self, Migration};
use crate::db::CachedRow;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How durable a commit is. `Full` fsyncs the WAL on every commit (a sale survives
/// a power cut); `Normal` may lose the last commits on power loss but never
/// corrupts the file. The default is `Full`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    #[default]
    Full,
    Normal,
}

impl Synchronous {
    pub fn parse(s: &str) -> Option<Synchronous> {
        match s.to_ascii_uppercase().as_str() {
            "FULL" => Some(Synchronous::Full),
            "NORMAL" => Some(Synchronous::Normal),
            _ => None,
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Tunables for one open file. Every one has a bound.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    pub synchronous: Synchronous,
    /// How long SQLite itself waits for another process's lock before reporting busy.
    pub busy_timeout_ms: u32,
    /// How many times a write transaction is attempted in all when the file is busy.
    pub max_write_attempts: u32,
    /// How long a writer in this process waits for its turn at the writer connection.
    pub write_wait_timeout_ms: u64,
    pub read_pool_size: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            synchronous: Synchronous::Full,
            busy_timeout_ms: 5_000,
            max_write_attempts: 6,
            write_wait_timeout_ms: 30_000,
            read_pool_size: 4,
        }
    }
}

impl OpenOptions {
    pub(crate) fn validate(&self) -> Result<(), OpenError> {
        let bad = |what: &str| Err(OpenError::BadOption(what.to_string()));
        if !(1..=60_000).contains(&self.busy_timeout_ms) {
            return bad("busy_timeout_ms must be 1..=60000");
        }
        if !(1..=20).contains(&self.max_write_attempts) {
            return bad("max_write_attempts must be 1..=20");
        }
        if !(1..=300_000).contains(&self.write_wait_timeout_ms) {
            return bad("write_wait_timeout_ms must be 1..=300000");
        }
        if !(1..=32).contains(&self.read_pool_size) {
            return bad("read_pool_size must be 1..=32");
        }
        Ok(())
    }
}

/// Why a database file could not be opened. Each message names the file and the cause.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("invalid database option: {0}")]
    BadOption(String),
    #[error("the folder {dir} for the database does not exist")]
    NoSuchDirectory { dir: PathBuf },
    #[error("{path} is a folder, not a database file")]
    IsADirectory { path: PathBuf },
    #[error("cannot write in the folder {dir} (SQLite needs to create files beside the database there): {reason}")]
    DirectoryNotWritable { dir: PathBuf, reason: String },
    #[error("cannot open {path}: {reason}")]
    CannotOpen { path: PathBuf, reason: String },
    #[error("{path} is not a Tillbook database (not an SQLite file, or encrypted)")]
    NotADatabase { path: PathBuf },
    #[error("{path} is locked by another program; close it and try again")]
    Locked { path: PathBuf },
    #[error("{path} is damaged: the integrity check reported: {report}")]
    Corrupt { path: PathBuf, report: String },
    #[error("{path} could not be switched to WAL mode (it answered {mode:?})")]
    NoWal { path: PathBuf, mode: String },
    #[error("{path} was written by a newer Tillbook (schema version {found}, this version knows up to {known}); update Tillbook")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: usize,
    },
    #[error("migration {name} was changed after it was applied to {path} (checksum differs); restore the original migration")]
    MigrationEdited { path: PathBuf, name: String },
    #[error("migration {name} failed on {path}; nothing was changed: {reason}")]
    MigrationFailed {
        path: PathBuf,
        name: String,
        reason: String,
    },
    #[error("{path} has broken references after migrating: {report}")]
    ForeignKeys { path: PathBuf, report: String },
}

pub(super) fn open_checked(
    path: &Path,
    opts: &OpenOptions,
    migrations: &[Migration],
) -> Result<(Connection, r2d2::Pool<SqliteConnectionManager>), OpenError> {
    check_location(path)?;
    let writer = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| classify(path, e))?;
    configure(&writer, opts, false).map_err(|e| classify(path, e))?;
    // Migration 0025 chains the outbox rows that existed before it.
    super::outbox_chain::register(&writer).map_err(|e| classify(path, e))?;

    let mode: String = writer
        .cached_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(OpenError::NoWal {
            path: path.into(),
            mode,
        });
    }
    integrity_check(&writer, path)?;
    migrate::apply(&writer, path, migrations)?;
    foreign_key_check(&writer, path)?;

    let init_opts = opts.clone();
    let manager = SqliteConnectionManager::file(path)
        .with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_init(move |c| configure(c, &init_opts, true));
    let readers = r2d2::Pool::builder()
        .max_size(opts.read_pool_size)
        .min_idle(Some(1))
        // A local file's connection does not go stale the way a socket does, and
        // a broken one fails its query with a clear error anyway; the check
        // statement on every checkout was measurable per command.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_millis(u64::from(opts.busy_timeout_ms)))
        .build(manager)
        .map_err(|e| OpenError::CannotOpen {
            path: path.into(),
            reason: format!("read connections: {e}"),
        })?;
    Ok((writer, readers))
}

/// Prepared statements kept per connection. rusqlite keeps 16 by default, fewer
/// than a checkout's distinct statements, so most were re-parsed on every sale:
/// `tillbook bench confirm` measured ≈ 2–3 ms → ≈ 1 ms per checkout at NORMAL.
const STATEMENT_CACHE_CAPACITY: usize = 256;

/// Per-connection settings: every connection, reader or writer, gets the same ones.
fn configure(conn: &Connection, opts: &OpenOptions, read_only: bool) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    conn.busy_timeout(Duration::from_millis(u64::from(opts.busy_timeout_ms)))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", opts.synchronous.pragma())?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    if read_only {
        conn.pragma_update(None, "query_only", "ON")?;
    }
    Ok(())
}

fn check_location(path: &Path) -> Result<(), OpenError> {
    if path.is_dir() {
        return Err(OpenError::IsADirectory { path: path.into() });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(OpenError::NoSuchDirectory { dir });
    }
    // WAL mode creates -wal and -shm files beside the database; a folder we can't
    // write in fails later and obscurely, so try it now with a throwaway file.
    let probe = dir.join(format!(".tillbook-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(OpenError::DirectoryNotWritable {
            dir,
            reason: e.to_string(),
        }),
    }
}

fn classify(path: &Path, err: rusqlite::Error) -> OpenError {
    use rusqlite::ErrorCode as C;
    let path = path.to_path_buf();
    match &err {
        rusqlite::Error::SqliteFailure(e, _) => match e.code {
            C::NotADatabase => OpenError::NotADatabase { path },
            C::DatabaseBusy | C::DatabaseLocked => OpenError::Locked { path },
            C::DatabaseCorrupt => OpenError::Corrupt {
                path,
                report: err.to_string(),
            },
            _ => OpenError::CannotOpen {
                path,
                reason: err.to_string(),
            },
        },
        _ => OpenError::CannotOpen {
            path,
            reason: err.to_string(),
        },
    }
}

fn integrity_check(conn: &Connection, path: &Path) -> Result<(), OpenError> {
    let report = collect_strings(conn, "PRAGMA quick_check(20)").map_err(|e| classify(path, e))?;
    if report.len() == 1 && report[0] == "ok" {
        Ok(())
    } else {
        Err(OpenError::Corrupt {
            path: path.into(),
            report: report.join("; "),
        })
    }
}

fn foreign_key_check(conn: &Connection, path: &Path) -> Result<(), OpenError> {
    let mut stmt = conn
        .prepare_cached("PRAGMA foreign_key_check")
        .map_err(|e| classify(path, e))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| {
            Ok(format!(
                "{} row {} -> {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                r.get::<_, String>(2)?
            ))
        })
        .and_then(|rows| rows.take(20).collect())
        .map_err(|e| classify(path, e))?;
    if rows.is_empty() {
        Ok(())
    } else {
        Err(OpenError::ForeignKeys {
            path: path.into(),
            report: rows.join("; "),
        })
    }
}

pub fn collect_strings(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}
