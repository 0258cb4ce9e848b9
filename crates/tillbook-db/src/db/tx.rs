//! The write transaction handed to domain code, and the fault-injection hook that
//! proves every operation is all-or-nothing (T05).

use crate::error::Error;
use rusqlite::{Connection, Params, Row, Transaction};
use std::sync::atomic::{AtomicU32, Ordering};

/// A `BEGIN IMMEDIATE` transaction. Domain code writes through [`Tx::execute`] and
/// [`Tx::execute_returning`] so the fault injector sees every write statement.
pub struct Tx<'c> {
    tx: Transaction<'c>,
    fault: &'c FaultInjector,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(tx: Transaction<'c>, fault: &'c FaultInjector) -> Self {
        Tx { tx, fault }
    }

    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        self.tx.commit()
    }

    /// Runs one write statement; returns the number of rows changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> rusqlite::Result<usize> {
        self.fault.before_write()?;
        self.tx.prepare_cached(sql)?.execute(params)
    }

    /// Runs one write statement with a `RETURNING` clause that yields exactly one row.
    pub fn execute_returning<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.fault.before_write()?;
        self.tx.prepare_cached(sql)?.query_row(params, map)
    }

    /// The connection, for reads inside the transaction (they see its own writes).
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    pub fn last_insert_rowid(&self) -> i64 {
        self.tx.last_insert_rowid()
    }
}

/// Makes the Nth write statement of the next transaction fail, once.
#[derive(Default)]
pub struct FaultInjector {
    fail_at: AtomicU32,
    seen: AtomicU32,
}

/// The error an injected fault raises; tests recognise it by this text.
pub const INJECTED_FAULT: &str = "injected fault";

impl FaultInjector {
    /// Arms the hook: statement `n` (1-based) of the next transaction fails.
    pub fn fail_statement(&self, n: u32) {
        self.seen.store(0, Ordering::SeqCst);
        self.fail_at.store(n, Ordering::SeqCst);
    }

    /// Whether an armed fault is still waiting (it did not fire).
    pub fn is_armed(&self) -> bool {
        self.fail_at.load(Ordering::SeqCst) != 0
    }

    pub fn disarm(&self) {
        self.fail_at.store(0, Ordering::SeqCst);
    }

    pub(crate) fn begin_transaction(&self) {
        self.seen.store(0, Ordering::SeqCst);
    }

    fn before_write(&self) -> rusqlite::Result<()> {
        let fail_at = self.fail_at.load(Ordering::SeqCst);
        if fail_at == 0 {
            return Ok(());
        }
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        if n == fail_at {
            self.fail_at.store(0, Ordering::SeqCst);
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
                Some(format!("{INJECTED_FAULT} at write statement {n}")),
            ));
        }
        Ok(())
    }
}

/// Whether an error is the one the fault injector raised.
pub fn is_injected_fault(err: &Error) -> bool {
    matches!(err, Error::Internal(m) if m.contains(INJECTED_FAULT))
}
