//! Storage: opening and refusing files, migrations, all-or-nothing transactions,
//! gapless numbers, optimistic versions and many writers in two processes
//! (T02, T05, T07, T11, T15, T25, T26/T36, D01, D03, D04, D05, D07, D08, D10, D12).
//!
//! The fault-injection sweep (`sweep_faults`) is the pattern later modules reuse
//! to prove a new command is one transaction: it fails each write statement in
//! turn and checks that nothing but the audit row of the failed attempt remains.

use crate::support::checks::{code, scalar, version_of};
use crate::support::faults::{
    audit_after, chain_is_intact, diff, line, max_audit_id, snapshot, sweep_faults,
};
use crate::support::fixtures::{at_once, user, user_args};
use crate::support::{self, key, password_of, Shop, OWNER, OWNER_PASSWORD, START_MS};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Barrier;
use tillbook_core::commands::{Effect, COMMANDS};
use tillbook_core::db::rows::next_number;
use tillbook_core::db::{Db, Migration, OpenError, OpenOptions, MIGRATIONS};
use tillbook_core::records::audit::{self, Entry, Outcome};
use tillbook_core::{Error, ErrorCode, Session};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------
/// Deterministic bytes that are not an SQLite file (xorshift64).
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn open_err(path: &Path, opts: OpenOptions) -> OpenError {
    match Db::open(path, opts) {
        Ok(_) => panic!("{} was opened but must be refused", path.display()),
        Err(e) => e,
    }
}

fn user_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn table_exists(path: &Path, name: &str) -> bool {
    Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        > 0
}

/// Folds the WAL into the main file and closes, so the file alone holds the data.
fn checkpoint(path: &Path) {
    let c = Connection::open(path).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(c);
}

/// A closed database file (all migrations applied) holding `rows` audit rows.
fn file_with_data(path: &Path, rows: usize) {
    let db = Db::open(path, OpenOptions::default()).unwrap();
    let pad = "x".repeat(300);
    db.write(|tx| {
        for i in 0..rows {
            let summary = json!({ "i": i, "pad": pad });
            audit::append(
                tx,
                &Entry {
                    at_ms: START_MS,
                    user_id: None,
                    username: None,
                    command: "storage.fill",
                    entity: None,
                    entity_id: None,
                    summary: &summary,
                    outcome: Outcome::Ok,
                    error_code: None,
                },
            )?;
        }
        Ok(())
    })
    .unwrap();
    drop(db);
    checkpoint(path);
}

fn page_size_and_count(path: &Path) -> (usize, usize) {
    let c = Connection::open(path).unwrap();
    let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    let count: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    (size as usize, count as usize)
}

/// Kills and reaps a helper process however the test ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ---------------------------------------------------------------------------
// T02: no command changes the schema; a newer schema is refused
// ---------------------------------------------------------------------------

#[test]
fn t02_no_command_changes_the_schema() {
    const SCHEMA_VERBS: [&str; 7] = ["migrate", "schema", "sql", "exec", "pragma", "seed", "push"];
    assert!(!COMMANDS.is_empty());
    for c in COMMANDS {
        let name = c.name.to_ascii_lowercase();
        for verb in SCHEMA_VERBS {
            assert!(
                !name.contains(verb),
                "command {} looks like a schema verb ({verb})",
                c.name
            );
        }
    }
}

#[test]
fn t02_a_database_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    drop(Db::open(&path, OpenOptions::default()).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    checkpoint(&path);
    let bytes = std::fs::read(&path).unwrap();

    let err = open_err(&path, OpenOptions::default());
    match &err {
        OpenError::NewerSchema {
            path: p,
            found,
            known,
        } => {
            assert_eq!(p, &path);
            assert_eq!(*found, 999);
            assert_eq!(*known, MIGRATIONS.len());
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("999"), "{msg}");

    assert_eq!(user_version(&path), 999);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file was changed");
}

#[test]
fn t02_the_cli_refuses_a_database_from_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    drop(Db::open(&path, OpenOptions::default()).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let out = support::tillbook_on(&path).arg("verify").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "verify accepted a newer schema");
    assert!(stderr.contains("999"), "stderr: {stderr}");
    assert!(
        stderr.contains(&path.display().to_string()),
        "stderr: {stderr}"
    );
    assert_eq!(user_version(&path), 999);
}

// ---------------------------------------------------------------------------
// T15: a failed or edited migration stops startup and changes nothing
// ---------------------------------------------------------------------------

const BROKEN: Migration = Migration {
    name: "0002_broken.sql",
    sql: "CREATE TABLE half_done (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);",
};

#[test]
fn t15_a_failed_migration_rolls_back_and_stops_startup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let good = MIGRATIONS[0];

    let err = match Db::open_with_migrations(&path, OpenOptions::default(), &[good, BROKEN]) {
        Ok(_) => panic!("startup went on after a failed migration"),
        Err(e) => e,
    };
    match &err {
        OpenError::MigrationFailed {
            name,
            path: p,
            reason,
        } => {
            assert_eq!(name, "0002_broken.sql");
            assert_eq!(p, &path);
            assert!(reason.contains("nowhere"), "reason: {reason}");
        }
        other => panic!("expected MigrationFailed, got {other:?}"),
    }
    assert!(err.to_string().contains("0002_broken.sql"), "{err}");

    assert!(
        !table_exists(&path, "half_done"),
        "half of the migration stayed"
    );
    assert_eq!(user_version(&path), 1);
    let c = Connection::open(&path).unwrap();
    let ledger: Vec<String> = c
        .prepare("SELECT name FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(ledger, vec![good.name.to_string()]);
    drop(c);

    let db = Db::open(&path, OpenOptions::default()).unwrap();
    assert_eq!(scalar(&db, "PRAGMA user_version"), MIGRATIONS.len() as i64);
}

#[test]
fn t15_a_broken_first_migration_leaves_a_new_file_without_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let broken_first = Migration {
        name: "0001_broken.sql",
        sql: BROKEN.sql,
    };
    let err = match Db::open_with_migrations(&path, OpenOptions::default(), &[broken_first]) {
        Ok(_) => panic!("startup went on after a failed migration"),
        Err(e) => e,
    };
    assert!(
        matches!(&err, OpenError::MigrationFailed { name, .. } if name == "0001_broken.sql"),
        "{err:?}"
    );
    let c = Connection::open(&path).unwrap();
    let objects: i64 = c
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        objects, 0,
        "the failed migration left schema objects behind"
    );
    assert_eq!(user_version(&path), 0);
    drop(c);
    drop(Db::open(&path, OpenOptions::default()).unwrap());
    assert_eq!(user_version(&path), MIGRATIONS.len() as i64);
}

#[test]
fn t15_an_edited_applied_migration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    // Only the first migration applied, so the edited list is not "older".
    drop(Db::open_with_migrations(&path, OpenOptions::default(), &MIGRATIONS[..1]).unwrap());

    let edited = Migration {
        name: MIGRATIONS[0].name,
        sql: "CREATE TABLE sneaky (x INTEGER) STRICT;",
    };
    let renamed = Migration {
        name: "0001_renamed.sql",
        sql: MIGRATIONS[0].sql,
    };
    for (m, expected_name) in [(edited, MIGRATIONS[0].name), (renamed, "0001_renamed.sql")] {
        let err = match Db::open_with_migrations(&path, OpenOptions::default(), &[m]) {
            Ok(_) => panic!("an edited migration ({}) was accepted", m.name),
            Err(e) => e,
        };
        match &err {
            OpenError::MigrationEdited { name, path: p } => {
                assert_eq!(name, expected_name);
                assert_eq!(p, &path);
            }
            other => panic!("expected MigrationEdited, got {other:?}"),
        }
        assert!(err.to_string().contains(expected_name), "{err}");
    }
    assert!(!table_exists(&path, "sneaky"));
    assert_eq!(user_version(&path), 1);
    drop(Db::open(&path, OpenOptions::default()).unwrap());
}

// ---------------------------------------------------------------------------
// T07: startup refuses a file it can't trust, saying why
// ---------------------------------------------------------------------------

#[test]
fn t07_startup_refuses_a_file_of_garbage_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    let bytes = garbage(64 * 1024, 7);
    std::fs::write(&path, &bytes).unwrap();

    let err = open_err(&path, OpenOptions::default());
    assert!(
        matches!(&err, OpenError::NotADatabase { path: p } if p == &path),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("not a Tillbook database"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file was changed");
}

#[test]
fn t07_startup_refuses_a_file_whose_pages_were_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    file_with_data(&path, 1000);
    let (page, pages) = page_size_and_count(&path);
    assert!(pages > 20, "only {pages} pages");
    let mut bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), page * pages);
    let noise = garbage(bytes.len() - page, 11);
    bytes[page..].copy_from_slice(&noise);
    std::fs::write(&path, &bytes).unwrap();

    let err = open_err(&path, OpenOptions::default());
    assert!(
        matches!(
            &err,
            OpenError::Corrupt { path: p, .. } | OpenError::NotADatabase { path: p } if p == &path
        ),
        "expected Corrupt or NotADatabase, got {err:?}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn t07_startup_refuses_a_file_that_fails_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    drop(Db::open(&path, OpenOptions::default()).unwrap());
    checkpoint(&path);
    let (_, schema_pages) = page_size_and_count(&path);
    file_with_data(&path, 1000);
    let (page, pages) = page_size_and_count(&path);
    assert!(pages > schema_pages + 20, "{schema_pages} → {pages} pages");
    // Damage a few data pages in the middle: the header and schema stay readable,
    // so the file looks fine until something reads (checks) its data.
    let first = schema_pages + (pages - schema_pages) / 2; // 1-based page number
    let mut bytes = std::fs::read(&path).unwrap();
    let (start, end) = ((first - 1) * page, (first + 3) * page);
    bytes[start..end].copy_from_slice(&garbage(end - start, 13));
    std::fs::write(&path, &bytes).unwrap();

    let err = open_err(&path, OpenOptions::default());
    match &err {
        OpenError::Corrupt { path: p, report } => {
            assert_eq!(p, &path);
            assert!(!report.is_empty());
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("damaged"), "{msg}");
}

#[test]
fn t07_startup_refuses_a_folder_as_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a-folder.db");
    std::fs::create_dir(&path).unwrap();
    let err = open_err(&path, OpenOptions::default());
    assert!(
        matches!(&err, OpenError::IsADirectory { path: p } if p == &path),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("folder"), "{msg}");
}

#[test]
fn t07_startup_refuses_a_folder_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let path = missing.join("shop.db");
    let err = open_err(&path, OpenOptions::default());
    assert!(
        matches!(&err, OpenError::NoSuchDirectory { dir: d } if d == &missing),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&missing.display().to_string()), "{msg}");
    assert!(msg.contains("does not exist"), "{msg}");
    assert!(!missing.exists(), "opening created the folder");
}

#[test]
fn t07_startup_refuses_a_folder_that_cannot_be_written() {
    // The tests run as root, where permissions stop nothing; nobody can create
    // files in /proc/self.
    let path = PathBuf::from("/proc/self/tillbook.db");
    let err = open_err(&path, OpenOptions::default());
    assert!(
        matches!(
            &err,
            OpenError::DirectoryNotWritable { .. } | OpenError::CannotOpen { .. }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("/proc/self"), "{msg}");
}

#[test]
fn t07_startup_refuses_a_file_locked_by_another_program() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    drop(Db::open(&path, OpenOptions::default()).unwrap());

    let mut locker = KillOnDrop(
        Command::new("python3")
            .arg("-c")
            .arg(
                "import fcntl,sys,time; f=open(sys.argv[1],'r+b'); \
                 fcntl.lockf(f, fcntl.LOCK_EX, 0, 0); print('locked', flush=True); time.sleep(60)",
            )
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 is needed for this test"),
    );
    let mut said = String::new();
    BufReader::new(locker.0.stdout.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    assert_eq!(said.trim(), "locked", "the locking helper did not start");

    let opts = OpenOptions {
        busy_timeout_ms: 200,
        ..Default::default()
    };
    let err = open_err(&path, opts.clone());
    assert!(
        matches!(&err, OpenError::Locked { path: p } if p == &path),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("locked"), "{msg}");

    drop(locker); // killed and reaped: its lock is gone
    drop(Db::open(&path, opts).unwrap());
}

#[test]
fn t07_the_cli_refuses_a_garbage_file_with_the_reason_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, garbage(16 * 1024, 3)).unwrap();
    let out = support::tillbook_on(&path).arg("verify").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "verify accepted garbage");
    assert!(
        stderr.contains("not a Tillbook database"),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains(&path.display().to_string()),
        "stderr: {stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("ok"),
        "stdout claims success"
    );
}

#[test]
fn d07_open_options_without_a_bound_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let d = OpenOptions::default;
    let cases = [
        (
            OpenOptions {
                busy_timeout_ms: 0,
                ..d()
            },
            "busy_timeout_ms",
        ),
        (
            OpenOptions {
                busy_timeout_ms: 60_001,
                ..d()
            },
            "busy_timeout_ms",
        ),
        (
            OpenOptions {
                max_write_attempts: 0,
                ..d()
            },
            "max_write_attempts",
        ),
        (
            OpenOptions {
                max_write_attempts: 21,
                ..d()
            },
            "max_write_attempts",
        ),
        (
            OpenOptions {
                write_wait_timeout_ms: 0,
                ..d()
            },
            "write_wait_timeout_ms",
        ),
        (
            OpenOptions {
                read_pool_size: 0,
                ..d()
            },
            "read_pool_size",
        ),
    ];
    for (opts, field) in cases {
        let err = open_err(&path, opts);
        assert!(matches!(err, OpenError::BadOption(_)), "{err:?}");
        assert!(err.to_string().contains(field), "{err}");
        assert!(!path.exists(), "a bad option still created the file");
    }
}

// ---------------------------------------------------------------------------
// T05 / D08: every operation is all or nothing; failures are audited afterwards
// ---------------------------------------------------------------------------

#[test]
fn t05_failure_injected_at_every_write_statement_leaves_nothing_partial() {
    let (shop, mut owner) = Shop::with_owner();
    let users_before = shop.count("users");
    let mut n = 0;
    let sweep = sweep_faults(&shop, &mut owner, "users.create", || {
        n += 1;
        user_args(&format!("atomic-{n}"), "cashier")
    });
    assert!(
        sweep.statements >= 3,
        "users.create made only {} write statements",
        sweep.statements
    );
    // Only the last, unfailed call created a user, with its login state.
    assert_eq!(shop.count("users"), users_before + 1);
    assert_eq!(shop.count("login_state"), users_before + 1);
    chain_is_intact(&shop.db);
}

/// The foundation's commands, swept here; each domain module sweeps its own.
const FOUNDATION_PREFIXES: [&str; 5] = ["setup.", "auth.", "users.", "settings.", "shop."];

/// Every write command in the table has a fault-injection sweep in some test
/// module: a `sweep_faults(` call naming it within the next few lines.
#[test]
fn t05_every_write_command_has_a_fault_sweep() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests");
    let mut sources = String::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let lines: Vec<&str> = sources.lines().collect();
    let swept: BTreeSet<String> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("sweep_faults(") && !l.contains("fn sweep_faults"))
        .flat_map(|(i, _)| lines[i..(i + 6).min(lines.len())].iter())
        .flat_map(|l| l.split('"').skip(1).step_by(2).map(str::to_string))
        .collect();
    let missing: Vec<&str> = COMMANDS
        .iter()
        .filter(|c| c.effect != Effect::Read && !swept.contains(c.name))
        .map(|c| c.name)
        .collect();
    assert!(
        missing.is_empty(),
        "write commands without a fault-injection sweep: {missing:?}"
    );
}

#[test]
fn t05_every_write_command_is_atomic_under_injected_failure() {
    let mut covered: BTreeMap<&str, u32> = BTreeMap::new();

    // First-run setup, on a file of its own.
    let fresh = Shop::empty();
    let mut anon = None;
    let s = sweep_faults(&fresh, &mut anon, "setup.create_owner", || {
        json!({
            "idempotency_key": key(),
            "shop_name": "Atomic Shop",
            "currency_code": "EUR",
            "username": OWNER,
            "display_name": "Olive Owner",
            "password": OWNER_PASSWORD,
        })
    });
    covered.insert("setup.create_owner", s.statements);
    assert_eq!(fresh.count("shop"), 1);
    assert_eq!(fresh.count("users"), 1);
    chain_is_intact(&fresh.db);

    let (shop, mut owner) = Shop::with_owner();
    let mut n = 0;
    let mut next = move || {
        n += 1;
        n
    };

    let s = sweep_faults(&shop, &mut owner, "users.create", || {
        user_args(&format!("sweep-{}", next()), "cashier")
    });
    covered.insert("users.create", s.statements);

    let target = user(&shop, &mut owner, "sweep-target", "cashier");
    let s = sweep_faults(&shop, &mut owner, "users.update", || {
        json!({
            "id": target,
            "version": version_of(&shop.db, "users", target),
            "display_name": format!("Renamed {}", next()),
        })
    });
    covered.insert("users.update", s.statements);

    let s = sweep_faults(&shop, &mut owner, "users.reset_password", || {
        json!({
            "id": target,
            "version": version_of(&shop.db, "users", target),
            "password": "a-brand-new-password",
        })
    });
    covered.insert("users.reset_password", s.statements);

    let s = sweep_faults(
        &shop,
        &mut owner,
        "users.archive",
        || json!({ "id": target, "version": version_of(&shop.db, "users", target) }),
    );
    covered.insert("users.archive", s.statements);

    let s = sweep_faults(&shop, &mut owner, "settings.update", || {
        json!({
            "version": version_of(&shop.db, "settings", 1),
            "settings": { "receipt_footer": format!("Thank you {}", next()) },
        })
    });
    covered.insert("settings.update", s.statements);

    let s = sweep_faults(
        &shop,
        &mut owner,
        "shop.update",
        || json!({ "version": version_of(&shop.db, "shop", 1), "name": format!("Shop {}", next()) }),
    );
    covered.insert("shop.update", s.statements);

    // A cashier's own commands.
    let name = "sweep-self";
    let pw = password_of(name);
    user(&shop, &mut owner, name, "cashier");
    let mut cashier = None;
    let s = sweep_faults(
        &shop,
        &mut cashier,
        "auth.login",
        || json!({ "username": name, "password": pw }),
    );
    covered.insert("auth.login", s.statements);
    assert!(cashier.is_some(), "the successful login started no session");

    let s = sweep_faults(&shop, &mut cashier, "auth.lock", || json!({}));
    covered.insert("auth.lock", s.statements);
    assert!(cashier.as_ref().unwrap().locked);

    let s = sweep_faults(
        &shop,
        &mut cashier,
        "auth.unlock",
        || json!({ "password": pw }),
    );
    covered.insert("auth.unlock", s.statements);
    assert!(!cashier.as_ref().unwrap().locked);

    let s = sweep_faults(
        &shop,
        &mut cashier,
        "auth.set_pin",
        || json!({ "password": pw, "pin": "4321" }),
    );
    covered.insert("auth.set_pin", s.statements);

    let mut other_tab = cashier.clone();
    let s = sweep_faults(&shop, &mut other_tab, "auth.logout", || json!({}));
    covered.insert("auth.logout", s.statements);
    assert!(other_tab.is_none(), "logout kept the session");

    let s = sweep_faults(
        &shop,
        &mut cashier,
        "auth.change_password",
        || json!({ "current_password": pw, "new_password": "changed-password-1" }),
    );
    covered.insert("auth.change_password", s.statements);

    // Staff sign-in by PIN (the shop turns it on); the PIN set above.
    let v = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    let mut settings = v["settings"].clone();
    settings["staff_pin_sign_in"] = json!(true);
    shop.call(
        &mut owner,
        "settings.update",
        json!({ "version": v["version"], "settings": settings }),
    )
    .unwrap();
    let cashier_id = cashier.as_ref().unwrap().user_id;
    let mut tile = None;
    let s = sweep_faults(
        &shop,
        &mut tile,
        "auth.pin_login",
        || json!({ "user_id": cashier_id, "pin": "4321" }),
    );
    covered.insert("auth.pin_login", s.statements);
    assert!(tile.is_some(), "the PIN sign-in started no session");

    for (cmd, statements) in &covered {
        let spec = COMMANDS.iter().find(|c| c.name == *cmd).unwrap();
        if spec.effect == Effect::Create {
            assert!(
                *statements >= 3,
                "{cmd} made only {statements} write statements (row, audit, idempotency)"
            );
        }
    }
    let writes: BTreeSet<&str> = COMMANDS
        .iter()
        .filter(|c| c.effect != Effect::Read)
        .filter(|c| FOUNDATION_PREFIXES.iter().any(|p| c.name.starts_with(p)))
        .map(|c| c.name)
        .collect();
    let swept: BTreeSet<&str> = covered.keys().copied().collect();
    assert_eq!(
        writes, swept,
        "every write command needs a fault-injection sweep here (statements seen: {covered:?})"
    );
    chain_is_intact(&shop.db);
}

#[test]
fn d08_a_failed_attempt_is_audited_after_the_rollback() {
    let (shop, mut owner) = Shop::with_owner();
    let owner_id = owner.as_ref().unwrap().user_id;
    let mut n = 0;
    let sweep = sweep_faults(&shop, &mut owner, "users.create", || {
        n += 1;
        user_args(&format!("audited-{n}"), "cashier")
    });
    assert_eq!(sweep.audit_after_failure.len() as u32, sweep.statements);
    for (i, rows) in sweep.audit_after_failure.iter().enumerate() {
        assert_eq!(
            rows,
            &vec![line(
                "users.create",
                "failed",
                Some("internal"),
                Some(owner_id)
            )],
            "failure at statement {} was not audited exactly once",
            i + 1
        );
    }

    // A refused attempt (bad input) leaves one `refused` row and nothing else.
    let before = snapshot(&shop.db);
    let last = max_audit_id(&shop.db);
    let mut args = user_args("refused-one", "cashier");
    args["password"] = json!("short");
    let r = shop.call(&mut owner, "users.create", args);
    assert_eq!(code(&r), "validation");
    let d = diff(&before, &snapshot(&shop.db));
    assert!(d.is_empty(), "a refused attempt wrote:\n{d}");
    assert_eq!(
        audit_after(&shop.db, last),
        vec![line(
            "users.create",
            "refused",
            Some("validation"),
            Some(owner_id)
        )]
    );
    chain_is_intact(&shop.db);
}

// ---------------------------------------------------------------------------
// D05: constraint violations become typed errors, by constraint
// ---------------------------------------------------------------------------

#[test]
fn d05_constraint_violations_map_by_constraint() {
    let (shop, mut owner) = Shop::with_owner();
    let owner_id = owner.as_ref().unwrap().user_id;
    user(&shop, &mut owner, "Alice", "cashier");

    let before = snapshot(&shop.db);
    let last = max_audit_id(&shop.db);
    let err = shop
        .call(&mut owner, "users.create", user_args("aLICE", "cashier"))
        .expect_err("a username differing only in case was accepted");
    assert_eq!(err.code(), ErrorCode::Duplicate, "{err}");
    assert_eq!(err.details()["field"], "username", "{:?}", err.details());
    assert_eq!(err.details()["value"], "aLICE");
    let d = diff(&before, &snapshot(&shop.db));
    assert!(d.is_empty(), "a duplicate wrote:\n{d}");
    assert_eq!(
        audit_after(&shop.db, last),
        vec![line(
            "users.create",
            "refused",
            Some("duplicate"),
            Some(owner_id)
        )]
    );
}

// ---------------------------------------------------------------------------
// T26 / T36: gapless numbers
// ---------------------------------------------------------------------------

fn rolls_back(thread: usize, i: usize) -> bool {
    (thread + i).is_multiple_of(3)
}

/// Each of `handles.len() * per_handle` threads takes 50 numbers, rolling back
/// some; returns every result in no particular order.
fn take_numbers(handles: &[&Db], per_handle: usize) -> Vec<(bool, Result<i64, Error>)> {
    let threads = handles.len() * per_handle;
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        let joins: Vec<_> = (0..threads)
            .map(|t| {
                let (db, barrier) = (handles[t % handles.len()], &barrier);
                s.spawn(move || {
                    barrier.wait();
                    (0..50)
                        .map(|i| {
                            let r = db.write(|tx| {
                                let n = next_number(tx, "receipt")?;
                                if rolls_back(t, i) {
                                    return Err(Error::validation("x", "roll back"));
                                }
                                Ok(n)
                            });
                            (rolls_back(t, i), r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        joins.into_iter().flat_map(|j| j.join().unwrap()).collect()
    })
}

fn assert_gapless(db: &Db, results: Vec<(bool, Result<i64, Error>)>) {
    let mut committed = Vec::new();
    for (rolled_back, r) in results {
        match (rolled_back, r) {
            (false, Ok(n)) => committed.push(n),
            (true, Err(Error::Validation { .. })) => {}
            (rb, r) => panic!("unexpected outcome (rolled back: {rb}): {r:?}"),
        }
    }
    let expected_k = (0..8)
        .flat_map(|t| (0..50).map(move |i| (t, i)))
        .filter(|&(t, i)| !rolls_back(t, i))
        .count();
    let k = committed.len();
    assert_eq!(k, expected_k);
    committed.sort_unstable();
    let want: Vec<i64> = (1..=k as i64).collect();
    assert_eq!(committed, want, "numbers are not unique and gapless");
    assert_eq!(
        scalar(db, "SELECT value FROM counters WHERE name = 'receipt'"),
        k as i64
    );
}

#[test]
fn t26_t36_gapless_numbers_under_concurrency_and_rollback() {
    let shop = Shop::empty();
    let results = take_numbers(&[&shop.db], 8);
    assert_gapless(&shop.db, results);
}

#[test]
fn t26_d01_two_handles_on_one_file_number_gaplessly() {
    // Two `Db`s on one file share no in-process gate: only SQLite keeps them apart.
    let shop = Shop::empty();
    let second = Db::open(&shop.path, OpenOptions::default()).unwrap();
    let results = take_numbers(&[&shop.db, &second], 4);
    assert_gapless(&shop.db, results);
}

// ---------------------------------------------------------------------------
// T11: optimistic locking
// ---------------------------------------------------------------------------

#[test]
fn t11_concurrent_edits_with_the_same_version_one_wins() {
    let (shop, mut owner) = Shop::with_owner();
    let ok_updates = |shop: &Shop| {
        shop.audit_rows("users.update")
            .iter()
            .filter(|r| r["result"] == "ok")
            .count()
    };
    let ok_before = ok_updates(&shop);
    for rep in 0..20 {
        let id = user(&shop, &mut owner, &format!("race-{rep}"), "cashier");
        let names = ["Alpha", "Bravo"];
        let edit = |name| json!({ "id": id, "version": 1, "display_name": name });
        let replies = at_once(
            &owner,
            names
                .iter()
                .map(|name| (&shop.d, "users.update", edit(name)))
                .collect(),
        );
        let results: Vec<(&str, Result<Value, Error>)> = names.into_iter().zip(replies).collect();
        let winners: Vec<&str> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(winners.len(), 1, "rep {rep}: {results:?}");
        let loser = results.iter().find(|(_, r)| r.is_err()).unwrap();
        let err = loser.1.as_ref().err().unwrap();
        assert_eq!(err.code(), ErrorCode::Conflict, "rep {rep}: {err}");
        assert_eq!(err.details()["expected_version"], 1, "{:?}", err.details());
        assert_eq!(version_of(&shop.db, "users", id), 2);
        let name: String = shop
            .db
            .read(|c| {
                Ok(
                    c.query_row("SELECT display_name FROM users WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })?,
                )
            })
            .unwrap();
        assert_eq!(name, winners[0], "rep {rep}");
    }
    assert_eq!(ok_updates(&shop), ok_before + 20);
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM outbox WHERE kind = 'user.updated'"
        ),
        20
    );

    // A stale version writes nothing; a missing one is refused before anything runs.
    let id = user(&shop, &mut owner, "race-stale", "cashier");
    shop.call(
        &mut owner,
        "users.update",
        json!({ "id": id, "version": 1, "display_name": "Fresh" }),
    )
    .unwrap();
    let before = snapshot(&shop.db);
    let stale = shop.call(
        &mut owner,
        "users.update",
        json!({ "id": id, "version": 1, "display_name": "Stale" }),
    );
    assert_eq!(code(&stale), "conflict");
    let missing = shop
        .call(
            &mut owner,
            "users.update",
            json!({ "id": id, "display_name": "No version" }),
        )
        .expect_err("an update without a version was accepted");
    assert_eq!(missing.code(), ErrorCode::Validation);
    assert_eq!(missing.details()["field"], "version", "{missing}");
    let d = diff(&before, &snapshot(&shop.db));
    assert!(d.is_empty(), "a refused update wrote:\n{d}");
}

// ---------------------------------------------------------------------------
// T25: every write to a versioned row bumps its version by one
// ---------------------------------------------------------------------------

#[test]
fn t25_every_versioned_table_bumps_its_version() {
    let (shop, _owner) = Shop::with_owner();
    let tables: Vec<(String, Vec<String>)> = shop
        .db
        .read(|c| {
            let mut st = c.prepare(
                "SELECT m.name FROM sqlite_schema m
                 WHERE m.type = 'table'
                   AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'version' AND p.pk = 0)
                 ORDER BY m.name",
            )?;
            let names = st
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::new();
            for t in names {
                let mut cols = c.prepare("SELECT name FROM pragma_table_info(?1) WHERE pk = 0")?;
                let cols = cols
                    .query_map([&t], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                out.push((t, cols));
            }
            Ok(out)
        })
        .unwrap();
    let names: BTreeSet<&str> = tables.iter().map(|(t, _)| t.as_str()).collect();
    assert!(
        names.contains("users") && names.contains("settings"),
        "{names:?}"
    );

    let mut tested = BTreeSet::new();
    for (table, columns) in &tables {
        let guarded = scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'
                 AND tbl_name = '{table}' AND sql LIKE '%BEFORE UPDATE%' AND sql LIKE '%version%'"
            ),
        );
        assert!(guarded > 0, "{table} has no trigger guarding its version");
        let rowid: Option<i64> = shop
            .db
            .read(|c| {
                use rusqlite::OptionalExtension;
                Ok(
                    c.query_row(&format!("SELECT rowid FROM {table} LIMIT 1"), [], |r| {
                        r.get(0)
                    })
                    .optional()?,
                )
            })
            .unwrap();
        let Some(rowid) = rowid else { continue };
        let version = || {
            scalar(
                &shop.db,
                &format!("SELECT version FROM {table} WHERE rowid = {rowid}"),
            )
        };
        let v0 = version();
        let mut refused = vec![
            "version = version".to_string(),
            "version = version + 2".to_string(),
        ];
        refused.extend(
            columns
                .iter()
                .filter(|c| c.as_str() != "version")
                .map(|c| format!("{c} = {c}")),
        );
        for set in &refused {
            let sql = format!("UPDATE {table} SET {set} WHERE rowid = {rowid}");
            let r = shop.db.write(|tx| Ok(tx.execute(&sql, [])?));
            assert!(r.is_err(), "{sql} was allowed");
            assert_eq!(version(), v0);
        }
        let sql = format!("UPDATE {table} SET version = version + 1 WHERE rowid = {rowid}");
        assert_eq!(shop.db.write(|tx| Ok(tx.execute(&sql, [])?)).unwrap(), 1);
        assert_eq!(version(), v0 + 1);
        tested.insert(table.as_str());
    }
    assert!(tested.contains("users") && tested.contains("settings"));
}

#[test]
fn t25_every_update_command_bumps_its_row_version_by_exactly_one() {
    let (shop, mut owner) = Shop::with_owner();
    let target = user(&shop, &mut owner, "bump-target", "cashier");
    let archived = user(&shop, &mut owner, "bump-archive", "cashier");
    let me = "bump-self";
    let my_id = user(&shop, &mut owner, me, "cashier");
    let mut cashier = shop.login(me, &password_of(me)).unwrap();

    let check = |session: &mut Option<Session>, cmd: &str, table: &str, id: i64, args: Value| {
        let before = version_of(&shop.db, table, id);
        let mut args = args;
        if args.get("version").is_some() {
            args["version"] = json!(before);
        }
        shop.call(session, cmd, args)
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        assert_eq!(
            version_of(&shop.db, table, id),
            before + 1,
            "{cmd} did not bump {table} {id} by exactly one"
        );
    };
    check(
        &mut owner,
        "users.update",
        "users",
        target,
        json!({ "id": target, "version": 0, "display_name": "Bumped" }),
    );
    check(
        &mut owner,
        "users.reset_password",
        "users",
        target,
        json!({ "id": target, "version": 0, "password": "another-password-1" }),
    );
    check(
        &mut owner,
        "users.archive",
        "users",
        archived,
        json!({ "id": archived, "version": 0 }),
    );
    check(
        &mut owner,
        "settings.update",
        "settings",
        1,
        json!({ "version": 0, "settings": { "receipt_footer": "Bumped" } }),
    );
    check(
        &mut cashier,
        "auth.set_pin",
        "users",
        my_id,
        json!({ "password": password_of(me), "pin": "9753" }),
    );
    check(
        &mut cashier,
        "auth.change_password",
        "users",
        my_id,
        json!({ "current_password": password_of(me), "new_password": "bumped-password-1" }),
    );

    // Logging in, right or wrong, is not an edit: the version a manager holds stays valid.
    let v = version_of(&shop.db, "users", my_id);
    assert!(shop.login(me, "wrong-password-1").is_err());
    shop.login(me, "bumped-password-1").unwrap();
    assert_eq!(version_of(&shop.db, "users", my_id), v);
}

// ---------------------------------------------------------------------------
// D03 / D07: bounded waiting
// ---------------------------------------------------------------------------

#[test]
fn d07_d03_a_write_blocked_by_another_connection_gives_up_after_bounded_attempts() {
    let shop = Shop::empty_with(OpenOptions {
        busy_timeout_ms: 20,
        max_write_attempts: 2,
        ..Default::default()
    });
    let blocker = Connection::open(&shop.path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();

    let mut ran = 0;
    let r = shop.db.write(|tx| {
        ran += 1;
        next_number(tx, "receipt")
    });
    match r {
        Err(e @ Error::Busy { .. }) => {
            assert_eq!(e.code(), ErrorCode::Busy);
            assert_eq!(e.details()["attempts"], 2, "{e}");
        }
        other => panic!("expected busy, got {other:?}"),
    }
    assert_eq!(ran, 0, "the closure ran without the write lock");

    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(
        shop.db.write(|tx| next_number(tx, "receipt")).unwrap(),
        1,
        "the refused write took a number"
    );
}

// ---------------------------------------------------------------------------
// D01 / D03 / D10 / D12: many writers in two processes
// ---------------------------------------------------------------------------

const WRITERS: usize = 8;
const WRITES_EACH: usize = 100;
const API_LOCKS: usize = 300;

fn two_processes_once() {
    let (shop, _owner) = Shop::with_owner();
    let before = shop.count("audit_log");

    let mut api = KillOnDrop(
        support::tillbook_on(&shop.path)
            .arg("api")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdin = api.0.stdin.take().unwrap();
    let mut stdout = BufReader::new(api.0.stdout.take().unwrap());
    let mut stderr_pipe = api.0.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });

    let login = json!({
        "id": "login",
        "cmd": "auth.login",
        "args": { "username": OWNER, "password": OWNER_PASSWORD },
    });
    writeln!(stdin, "{login}").unwrap();
    stdin.flush().unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["ok"], true, "{first}");

    let barrier = Barrier::new(WRITERS + 1);
    let (local, responses) = std::thread::scope(|s| {
        let feeder = {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for i in 0..API_LOCKS {
                    writeln!(stdin, "{}", json!({ "id": i, "cmd": "auth.lock" })).unwrap();
                }
                stdin.flush().unwrap();
                drop(stdin); // end of input: the api process exits when done
            })
        };
        let writers: Vec<_> = (0..WRITERS)
            .map(|t| {
                let (db, barrier) = (&shop.db, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let command = format!("storage.writer{t}");
                    (0..WRITES_EACH)
                        .map(|i| {
                            let summary = json!({ "thread": t, "i": i });
                            db.write(|tx| {
                                audit::append(
                                    tx,
                                    &Entry {
                                        at_ms: START_MS,
                                        user_id: None,
                                        username: None,
                                        command: &command,
                                        entity: None,
                                        entity_id: None,
                                        summary: &summary,
                                        outcome: Outcome::Ok,
                                        error_code: None,
                                    },
                                )
                            })
                            .map(|_| ())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut responses = Vec::new();
        let mut l = String::new();
        while responses.len() < API_LOCKS {
            l.clear();
            if stdout.read_line(&mut l).unwrap() == 0 {
                break;
            }
            responses.push(serde_json::from_str::<Value>(&l).unwrap());
        }
        feeder.join().unwrap();
        let local: Vec<Result<(), Error>> = writers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        (local, responses)
    });

    let status = api.0.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(
        status.success(),
        "api exited with {status}; stderr: {stderr}"
    );

    let local_errors: Vec<String> = local
        .iter()
        .filter_map(|r| {
            r.as_ref()
                .err()
                .map(|e| format!("{}: {e}", e.code().as_str()))
        })
        .collect();
    assert!(
        local_errors.is_empty(),
        "{} of {} writes in this process failed: {:?}",
        local_errors.len(),
        local.len(),
        &local_errors[..local_errors.len().min(5)]
    );
    assert_eq!(local.len(), WRITERS * WRITES_EACH);
    assert_eq!(responses.len(), API_LOCKS, "stderr: {stderr}");
    let api_errors: Vec<&Value> = responses.iter().filter(|r| r["ok"] != true).collect();
    assert!(
        api_errors.is_empty(),
        "{} of {API_LOCKS} api writes failed: {:?}; stderr: {stderr}",
        api_errors.len(),
        &api_errors[..api_errors.len().min(5)]
    );
    let ids: BTreeSet<i64> = responses.iter().filter_map(|r| r["id"].as_i64()).collect();
    assert_eq!(ids.len(), API_LOCKS);

    assert_eq!(
        shop.count("audit_log"),
        before + (WRITERS * WRITES_EACH + API_LOCKS + 1) as i64,
        "writes were lost"
    );
    for t in 0..WRITERS {
        assert_eq!(
            scalar(
                &shop.db,
                &format!("SELECT count(*) FROM audit_log WHERE command = 'storage.writer{t}'")
            ),
            WRITES_EACH as i64
        );
    }
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM audit_log WHERE command = 'auth.lock' AND result = 'ok'"
        ),
        API_LOCKS as i64
    );
    chain_is_intact(&shop.db);
}

#[test]
fn d01_d03_d10_d12_many_writers_in_two_processes_lose_nothing() {
    for _ in 0..3 {
        two_processes_once();
    }
}

// ---------------------------------------------------------------------------
// D04: tests leave nothing behind
// ---------------------------------------------------------------------------

#[test]
fn d04_tests_leave_nothing_behind() {
    let shop = Shop::empty();
    let dir = shop.dir.path().to_path_buf();
    let file = shop.path.clone();
    assert!(file.starts_with(&dir) && file.exists());
    drop(shop);
    assert!(!dir.exists(), "{} outlived its Shop", dir.display());
    assert!(!file.exists());
}
