//! `tillbook bench cold-start` (T32): one start on an existing file, phase by
//! phase, as the desktop shell does it before the till is usable.

use crate::shop::{login, open_db, BENCH_OWNER, BENCH_PASSWORD};
use crate::stats::{max_of, ms_2, percentile};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tillbook_core::clock::SystemClock;
use tillbook_core::db::OpenOptions;
use tillbook_core::error::{Error, Result};
use tillbook_core::Dispatcher;

/// One start, phase by phase.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    /// `Db::open`: location check, WAL, quick_check, migrations check,
    /// foreign-key check, pragmas, the read pool.
    pub open: Duration,
    /// `setup.status`, the first command the window sends.
    pub status: Duration,
    /// `auth.login` (Argon2id at the real cost).
    pub login: Duration,
    /// The first signed-in read: `sales.list`, the till's recent sales.
    pub first_read: Duration,
}

impl Phases {
    pub fn total(&self) -> Duration {
        self.open + self.status + self.login + self.first_read
    }

    /// One line a parent process can read back: microseconds of each phase.
    pub fn line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.open.as_micros(),
            self.status.as_micros(),
            self.login.as_micros(),
            self.first_read.as_micros()
        )
    }

    pub fn parse(line: &str) -> Option<Phases> {
        let v: Vec<u64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .ok()?;
        match v[..] {
            [a, b, c, d] => Some(Phases {
                open: Duration::from_micros(a),
                status: Duration::from_micros(b),
                login: Duration::from_micros(c),
                first_read: Duration::from_micros(d),
            }),
            _ => None,
        }
    }
}

/// Opens an existing file as the app does and runs its first commands.
pub fn cold_start_once(path: &Path) -> Result<Phases> {
    if !path.exists() {
        return Err(Error::validation(
            "path",
            format!("{} does not exist", path.display()),
        ));
    }
    let t = Instant::now();
    let db = open_db(path, OpenOptions::default())?;
    let open = t.elapsed();
    let d = Dispatcher::new(db, Arc::new(SystemClock));
    let mut session = None;
    let t = Instant::now();
    let status = d.dispatch(&mut session, "setup.status", json!({}))?;
    let status_t = t.elapsed();
    if status.is_null() {
        return Err(Error::internal("setup.status answered nothing"));
    }
    let t = Instant::now();
    let mut session = login(&d, BENCH_OWNER, BENCH_PASSWORD)?;
    let login_t = t.elapsed();
    let t = Instant::now();
    d.dispatch(&mut session, "sales.list", json!({ "limit": 20 }))?;
    Ok(Phases {
        open,
        status: status_t,
        login: login_t,
        first_read: t.elapsed(),
    })
}

type PhaseColumn = (&'static str, fn(&Phases) -> Duration);

/// p50 and max of each phase and of the total over several starts.
pub fn phases_table(title: &str, runs: &[Phases]) -> String {
    let mut s = format!(
        "{title} ({} runs)\n\n| phase | p50 ms | max ms |\n|---|---|---|\n",
        runs.len()
    );
    let cols: [PhaseColumn; 5] = [
        ("open (checks, migrations, pool)", |p| p.open),
        ("setup.status", |p| p.status),
        ("auth.login", |p| p.login),
        ("first read (sales.list)", |p| p.first_read),
        ("total", Phases::total),
    ];
    for (name, f) in cols {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort_unstable();
        s.push_str(&format!(
            "| {name} | {} | {} |\n",
            ms_2(percentile(&v, 50)),
            ms_2(max_of(&v))
        ));
    }
    s
}
