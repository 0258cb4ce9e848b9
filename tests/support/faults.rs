//! The fault-injection sweep (T05, D08): proves a command is one transaction by
//! failing each of its write statements in turn and checking that nothing but
//! the audit row of the failed attempt remains. Every write command has one:
//! `t05_every_write_command_has_a_fault_sweep` checks the test sources.

use crate::support::Shop;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use tillbook_core::db::{is_injected_fault, Db};
use tillbook_core::records::audit;
use tillbook_core::{ErrorCode, Session};

/// Every row of every table, each table's rows sorted, with the audit log cut
/// down to its `ok` rows. Two equal snapshots mean nothing was written except
/// audit rows of refused or failed attempts.
pub type Snapshot = BTreeMap<String, Vec<String>>;

pub fn snapshot(db: &Db) -> Snapshot {
    db.read(|c| {
        let tables: Vec<String> = {
            let mut st =
                c.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")?;
            let rows = st.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut snap = Snapshot::new();
        for table in tables {
            let sql = if table == "audit_log" {
                "SELECT * FROM audit_log WHERE result = 'ok'".to_string()
            } else {
                format!("SELECT * FROM \"{table}\"")
            };
            let mut st = c.prepare(&sql)?;
            let n = st.column_count();
            let mut rows: Vec<String> = st
                .query_map([], |r| {
                    let values = (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i))
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok(format!("{values:?}"))
                })?
                .collect::<rusqlite::Result<_>>()?;
            rows.sort();
            snap.insert(table, rows);
        }
        Ok(snap)
    })
    .unwrap()
}

/// The rows that differ between two snapshots, for a readable failure message.
pub fn diff(before: &Snapshot, after: &Snapshot) -> String {
    let mut out = String::new();
    let tables: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for t in tables {
        let empty = Vec::new();
        let b: BTreeSet<&String> = before.get(t).unwrap_or(&empty).iter().collect();
        let a: BTreeSet<&String> = after.get(t).unwrap_or(&empty).iter().collect();
        let (nb, na) = (
            before.get(t).map_or(0, Vec::len),
            after.get(t).map_or(0, Vec::len),
        );
        if a == b && na == nb {
            continue;
        }
        out.push_str(&format!("table {t}: {nb} rows before, {na} after\n"));
        for r in a.difference(&b) {
            out.push_str(&format!("  + {r}\n"));
        }
        for r in b.difference(&a) {
            out.push_str(&format!("  - {r}\n"));
        }
    }
    out
}

pub fn max_audit_id(db: &Db) -> i64 {
    db.read(|c| {
        Ok(
            c.query_row("SELECT coalesce(max(id), 0) FROM audit_log", [], |r| {
                r.get(0)
            })?,
        )
    })
    .unwrap()
}

/// An audit row reduced to what the attempt tests compare.
#[derive(Debug, PartialEq, Eq)]
pub struct AuditLine {
    pub command: String,
    pub result: String,
    pub error_code: Option<String>,
    pub user_id: Option<i64>,
}

pub fn audit_after(db: &Db, after_id: i64) -> Vec<AuditLine> {
    db.read(|c| {
        let mut st = c.prepare(
            "SELECT command, result, error_code, user_id FROM audit_log WHERE id > ?1 ORDER BY id",
        )?;
        let rows = st.query_map([after_id], |r| {
            Ok(AuditLine {
                command: r.get(0)?,
                result: r.get(1)?,
                error_code: r.get(2)?,
                user_id: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
    .unwrap()
}

pub fn line(
    command: &str,
    result: &str,
    error_code: Option<&str>,
    user_id: Option<i64>,
) -> AuditLine {
    AuditLine {
        command: command.into(),
        result: result.into(),
        error_code: error_code.map(str::to_string),
        user_id,
    }
}

pub fn chain_is_intact(db: &Db) {
    let broken = db.read(audit::verify_chain).unwrap();
    assert_eq!(broken, None, "the audit hash chain is broken");
}

/// What one fault-injection sweep over a command saw.
pub struct FaultSweep {
    /// Write statements the command makes when none fails.
    pub statements: u32,
    /// For each injected failure, in order, the audit rows written after it.
    pub audit_after_failure: Vec<Vec<AuditLine>>,
}

/// Runs `cmd` once for each of its write statements with that statement made to
/// fail (T05): every such call must fail with `internal` and leave every table
/// exactly as before, apart from audit rows of the failed attempt. The sweep ends
/// with the first call whose armed fault never fired, which must succeed; `args`
/// is called once per attempt (give fresh keys and names each time).
pub fn sweep_faults(
    shop: &Shop,
    session: &mut Option<Session>,
    cmd: &str,
    mut args: impl FnMut() -> Value,
) -> FaultSweep {
    let injector = shop.db.fault_injector();
    let mut audit_after_failure = Vec::new();
    for n in 1..=50u32 {
        let call_args = args();
        let before = snapshot(&shop.db);
        let last_audit = max_audit_id(&shop.db);
        injector.fail_statement(n);
        let result = shop.call(session, cmd, call_args);
        if injector.is_armed() {
            injector.disarm();
            if let Err(e) = result {
                panic!("{cmd} failed before write statement {n} could be made to fail: {e}");
            }
            assert!(n > 1, "{cmd} wrote nothing at all");
            return FaultSweep {
                statements: n - 1,
                audit_after_failure,
            };
        }
        match &result {
            Ok(v) => panic!("{cmd} succeeded although its write statement {n} failed: {v}"),
            Err(e) => {
                assert!(
                    is_injected_fault(e),
                    "{cmd} with statement {n} failing reported another error: {e}"
                );
                assert_eq!(e.code(), ErrorCode::Internal, "{cmd}: {e}");
            }
        }
        let d = diff(&before, &snapshot(&shop.db));
        assert!(
            d.is_empty(),
            "{cmd} with write statement {n} failing left partial rows:\n{d}"
        );
        audit_after_failure.push(audit_after(&shop.db, last_audit));
    }
    panic!("{cmd} had still not finished after 50 write statements");
}
