//! Storage: the one way to reach the SQLite file.
//!
//! `Db` owns every connection. Writes go through [`Db::write`], which runs a
//! closure inside `BEGIN IMMEDIATE`, commits or rolls back, and retries the whole
//! closure a bounded number of times when SQLite reports the file busy. Within one
//! process, writers take turns through a FIFO gate in front of a single writer
//! connection: SQLite's busy handler polls and is unfair (seconds-long stalls were
//! measured with 4 competing connections), a queue is not. Across processes
//! `busy_timeout` plus the retry keep things correct; the database is the lock.
//! Reads use a pool of `query_only` connections, so a read path can never write.

pub mod backup;
mod gate;
pub mod migrate;
mod open;
pub mod outbox_chain;
pub mod rows;
mod tx;

pub use migrate::{Migration, MIGRATIONS};
pub use open::collect_strings;
pub use open::{OpenError, OpenOptions, Synchronous};
pub use tx::{is_injected_fault, FaultInjector, Tx};

/// One-row queries through the connection's statement cache.
///
/// `Connection::query_row` parses its SQL on every call; in a checkout's ~60
/// reads that parsing was about 15 % of the CPU (measured with `perf`, see
/// docs/BENCHMARKS.md). Clippy refuses the uncached methods outside tests
/// (`clippy.toml`), so every new query takes this path.
pub trait CachedRow {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl CachedRow for Connection {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

use crate::error::{Error, Result};
use gate::WriteGate;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A handle to one Tillbook database file. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    opts: OpenOptions,
    gate: WriteGate,
    writer: Mutex<Connection>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    fault: FaultInjector,
}

impl Db {
    /// Opens (creating if needed) the file at `path`, checks it and brings its
    /// schema up to date. Any problem stops here with an error naming its cause.
    pub fn open(path: &Path, opts: OpenOptions) -> Result<Db, OpenError> {
        Self::open_with_migrations(path, opts, MIGRATIONS)
    }

    /// As [`Db::open`], with an explicit migration list; tests use it to prove
    /// that a broken or edited migration stops startup and leaves the file as it was.
    #[doc(hidden)]
    pub fn open_with_migrations(
        path: &Path,
        opts: OpenOptions,
        migrations: &[Migration],
    ) -> Result<Db, OpenError> {
        opts.validate()?;
        let (writer, readers) = open::open_checked(path, &opts, migrations)?;
        Ok(Db {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                opts,
                gate: WriteGate::new(),
                writer: Mutex::new(writer),
                readers,
                fault: FaultInjector::default(),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn options(&self) -> &OpenOptions {
        &self.inner.opts
    }

    /// The test hook that makes the Nth write statement of the next transaction fail.
    #[doc(hidden)]
    pub fn fault_injector(&self) -> &FaultInjector {
        &self.inner.fault
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: all of its rows or none.
    ///
    /// The closure may run more than once (only when SQLite reported busy before
    /// anything was committed), so it must not have effects outside the database.
    pub fn write<T>(&self, mut f: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
        let inner = &*self.inner;
        let _turn = inner
            .gate
            .acquire(Duration::from_millis(inner.opts.write_wait_timeout_ms))?;
        // A poisoned mutex means a writer panicked mid-closure; its transaction was
        // rolled back when the `Transaction` dropped, so the connection is sound.
        let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        let max_attempts = inner.opts.max_write_attempts;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match run_once(&mut conn, &inner.fault, &mut f) {
                Ok(v) => return Ok(v),
                Err(Error::Busy { .. }) if attempt < max_attempts => {
                    tracing::debug!(attempt, "database busy, retrying the transaction");
                    std::thread::sleep(backoff(attempt));
                }
                Err(Error::Busy { .. }) => {
                    tracing::warn!(attempts = attempt, "database busy, giving up");
                    return Err(Error::Busy { attempts: attempt });
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs `f` on a read-only connection from the pool.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.inner.readers.get().map_err(|e| {
            tracing::warn!(error = %e, "no read connection available");
            Error::Busy { attempts: 1 }
        })?;
        f(&conn)
    }
}

fn run_once<T>(
    conn: &mut Connection,
    fault: &FaultInjector,
    f: &mut impl FnMut(&Tx<'_>) -> Result<T>,
) -> Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    fault.begin_transaction();
    let tx = Tx::new(tx, fault);
    let value = f(&tx)?; // dropping `tx` on error rolls back
    tx.commit()?;
    Ok(value)
}

/// Jittered exponential back-off: 4, 8, 16 … ms capped at 200 ms, each scaled by
/// a random 50–100 % so competing processes don't retry in lock-step.
fn backoff(attempt: u32) -> Duration {
    let base_ms: u64 = 4u64.saturating_mul(1u64 << attempt.min(6)).min(200);
    let jittered_ms = base_ms / 2 + fastrand::u64(0..=base_ms / 2);
    Duration::from_millis(jittered_ms)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    /// T08: one way to get a connection and run a transaction. Outside `db/`,
    /// no source file opens a connection or begins a transaction of its own.
    #[test]
    fn t08_only_the_db_module_opens_connections_or_begins_transactions() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let forbidden = [
            "Connection::open",
            "transaction_with_behavior",
            ".transaction()",
            "BEGIN IMMEDIATE",
            "BEGIN DEFERRED",
            "BEGIN EXCLUSIVE",
            "SqliteConnectionManager",
        ];
        let mut offenders = Vec::new();
        let mut dirs = vec![
            root.join("crates/tillbook-core/src"),
            root.join("crates/tillbook-bench/src"),
            root.join("crates/tillbook-cli/src"),
            root.join("src-tauri/src"),
        ];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with("db") {
                        dirs.push(path);
                    }
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or_default();
                    if forbidden.iter().any(|f| code.contains(f)) {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "connections or transactions outside db/:\n{}",
            offenders.join("\n")
        );
    }
}
