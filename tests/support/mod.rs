//! Shared set-up for the integration tests. Each `Shop` is a fresh file in its
//! own temporary directory, with a manual clock, so tests share nothing (D04);
//! `fixtures` fills it through the dispatcher and `checks` reads it back.

#![allow(dead_code)] // not every test module uses every helper

pub mod checks;
pub mod faults;
pub mod fixtures;
pub mod mariadb;
pub mod process;
pub mod race;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tempfile::TempDir;
use tillbook_core::clock::ManualClock;
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::{Dispatcher, Error, Session};

pub const OWNER: &str = "owner";
pub const OWNER_PASSWORD: &str = "owner-password-1";
/// 2026-01-01T00:00:00Z: a fixed start so times in assertions are stable.
pub const START_MS: i64 = 1_767_225_600_000;

pub struct Shop {
    pub dir: TempDir,
    pub path: PathBuf,
    pub db: Db,
    pub clock: ManualClock,
    pub d: Dispatcher,
}

impl Shop {
    /// A new, empty database file (no shop, no users).
    pub fn empty() -> Shop {
        Self::empty_with(OpenOptions::default())
    }

    pub fn empty_with(opts: OpenOptions) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let db = Db::open(&path, opts).unwrap();
        let clock = ManualClock::new(START_MS);
        let d = Dispatcher::new(db.clone(), Arc::new(clock.clone()));
        Shop {
            dir,
            path,
            db,
            clock,
            d,
        }
    }

    /// A set-up shop with its owner logged in.
    pub fn with_owner() -> (Shop, Option<Session>) {
        let shop = Shop::empty();
        let mut anon = None;
        shop.call(
            &mut anon,
            "setup.create_owner",
            json!({
                "idempotency_key": key(),
                "shop_name": "Test Shop",
                "currency_code": "EUR",
                "username": OWNER,
                "display_name": "Olive Owner",
                "password": OWNER_PASSWORD,
                "pin": "2468",
            }),
        )
        .unwrap();
        let session = shop.login(OWNER, OWNER_PASSWORD).unwrap();
        (shop, session)
    }

    pub fn call(
        &self,
        session: &mut Option<Session>,
        cmd: &str,
        args: Value,
    ) -> Result<Value, Error> {
        self.d.dispatch(session, cmd, args)
    }

    pub fn login(&self, username: &str, password: &str) -> Result<Option<Session>, Error> {
        let mut s = None;
        self.call(
            &mut s,
            "auth.login",
            json!({ "username": username, "password": password }),
        )?;
        assert!(s.is_some(), "login succeeded but started no session");
        Ok(s)
    }

    /// Creates a user whose password is `password_of(username)`; returns its id.
    pub fn create_user(&self, by: &mut Option<Session>, username: &str, role: &str) -> i64 {
        let args = fixtures::merged(
            fixtures::user_args(username, role),
            json!({ "pin": "1357" }),
        );
        fixtures::id(&self.call(by, "users.create", args).unwrap())
    }

    /// A logged-in session for a new user of `role`.
    pub fn session_as(&self, owner: &mut Option<Session>, role: &str) -> Option<Session> {
        if role == "owner" {
            return self.login(OWNER, OWNER_PASSWORD).unwrap();
        }
        let username = format!("{role}-{}", unique());
        self.create_user(owner, &username, role);
        self.login(&username, &password_of(&username)).unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.db
            .read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
            .unwrap()
    }

    pub fn audit_rows(&self, command: &str) -> Vec<Value> {
        self.db
            .read(|c| {
                tillbook_core::records::audit::query(
                    c,
                    &tillbook_core::records::audit::AuditFilter {
                        command: Some(command.into()),
                        limit: Some(500),
                        ..Default::default()
                    },
                )
            })
            .unwrap()
            .into_iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect()
    }
}

pub fn password_of(username: &str) -> String {
    format!("{username}-secret-pw")
}

fn unique() -> u64 {
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::SeqCst)
}

/// A fresh idempotency key.
pub fn key() -> String {
    format!("test-key-{}-{}", std::process::id(), unique())
}

/// The real `tillbook` binary, built by cargo for this test run.
pub fn tillbook_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tillbook"))
}

/// The real `tillbook` binary with no Tillbook variable inherited from the
/// caller, so a developer's own `TILLBOOK_DB` or log filter never leaks in.
pub fn tillbook() -> std::process::Command {
    let mut c = std::process::Command::new(tillbook_bin());
    for name in [
        "TILLBOOK_DB",
        "TILLBOOK_SYNCHRONOUS",
        "TILLBOOK_BUSY_TIMEOUT_MS",
        "TILLBOOK_LOG",
    ] {
        c.env_remove(name);
    }
    c
}

/// [`tillbook`] on the file at `db` (`tillbook --db DB …`).
pub fn tillbook_on(db: &Path) -> std::process::Command {
    let mut c = tillbook();
    c.arg("--db").arg(db);
    c
}
