//! `tillbook bench tills`: several tills, each with its own `Db` handle on one
//! file, confirming sales at once; counts `busy` and other errors.

use crate::shop::{
    checkout_args, login, new_shop, open_db, opts_with, pick_lines, Stocked, BENCH_PASSWORD,
    SHOP_PRODUCTS,
};
use crate::stats::{max_of, ms_2, per_second, percentile};
use serde_json::json;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tillbook_core::clock::SystemClock;
use tillbook_core::db::Synchronous;
use tillbook_core::error::{Error, Result};
use tillbook_core::Dispatcher;

pub struct TillsReport {
    pub tills: usize,
    pub seconds: u64,
    pub synchronous: Synchronous,
    pub confirms: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub busy: usize,
    pub other_errors: usize,
    pub first_error: Option<String>,
}

impl TillsReport {
    pub fn table(&self) -> String {
        format!(
            "| tills | synchronous | seconds | confirms | confirms/s | p50 ms | p99 ms | max ms | busy errors | other errors |\n|---|---|---|---|---|---|---|---|---|---|\n| {} | {:?} | {} | {} | {} | {} | {} | {} | {} | {} |\n{}",
            self.tills,
            self.synchronous,
            self.seconds,
            self.confirms,
            per_second(self.confirms, self.elapsed),
            ms_2(self.p50),
            ms_2(self.p99),
            ms_2(self.max),
            self.busy,
            self.other_errors,
            self.first_error
                .as_ref()
                .map(|e| format!("\nfirst error: {e}\n"))
                .unwrap_or_default()
        )
    }
}

/// What one till thread saw.
struct TillRun {
    lat: Vec<Duration>,
    busy: usize,
    other: usize,
    first: Option<String>,
    elapsed: Duration,
}

/// `tills` threads, each a till with its own `Db` handle (its own writer
/// connection and FIFO gate, as a separate app process has) on one file, each
/// logged in as its own cashier, confirming sales for `seconds`.
pub fn tills(dir: &Path, tills: usize, seconds: u64, sync: Synchronous) -> Result<TillsReport> {
    let path = dir.join("tills.db");
    let mut shop = new_shop(&path, opts_with(sync), SHOP_PRODUCTS)?;
    let mut names = Vec::new();
    for i in 0..tills {
        let name = format!("till{i}");
        shop.d.dispatch(
            &mut shop.owner,
            "users.create",
            json!({
                "idempotency_key": format!("bench-till-user-{i}"),
                "username": name,
                "display_name": format!("Till {i}"),
                "role": "cashier",
                "password": BENCH_PASSWORD,
            }),
        )?;
        names.push(name);
    }
    let products = shop.products.clone();
    let barrier = Arc::new(Barrier::new(tills));
    let mut handles = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let (path, products, barrier) = (path.clone(), products.clone(), barrier.clone());
        handles.push(std::thread::spawn(move || {
            till(&path, sync, &name, i, &products, &barrier, seconds)
        }));
    }
    let (mut lat, mut busy, mut other, mut first, mut elapsed) =
        (Vec::new(), 0, 0, None, Duration::ZERO);
    for h in handles {
        let run = h
            .join()
            .map_err(|_| Error::internal("a till thread panicked"))??;
        lat.extend(run.lat);
        busy += run.busy;
        other += run.other;
        if first.is_none() {
            first = run.first;
        }
        elapsed = elapsed.max(run.elapsed);
    }
    lat.sort_unstable();
    Ok(TillsReport {
        tills,
        seconds,
        synchronous: sync,
        confirms: lat.len(),
        elapsed,
        p50: percentile(&lat, 50),
        p99: percentile(&lat, 99),
        max: max_of(&lat),
        busy,
        other_errors: other,
        first_error: first,
    })
}

/// The `i`th till: its own `Db` and login as `name`, then checkouts as fast
/// as it can from the barrier for `seconds`.
fn till(
    path: &Path,
    sync: Synchronous,
    name: &str,
    i: usize,
    products: &[Stocked],
    barrier: &Barrier,
    seconds: u64,
) -> Result<TillRun> {
    let d = Dispatcher::new(open_db(path, opts_with(sync))?, Arc::new(SystemClock));
    let mut session = login(&d, name, BENCH_PASSWORD)?;
    let mut rng = fastrand::Rng::with_seed(100 + i as u64);
    let (mut lat, mut busy, mut other, mut first) = (Vec::new(), 0, 0, None);
    barrier.wait();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let args = checkout_args(n, &format!("till{i}"), &pick_lines(&mut rng, products));
        let t = Instant::now();
        match d.dispatch(&mut session, "sales.checkout", args) {
            Ok(_) => lat.push(t.elapsed()),
            Err(Error::Busy { .. }) => busy += 1,
            Err(e) => {
                other += 1;
                first.get_or_insert_with(|| e.to_string());
            }
        }
    }
    Ok(TillRun {
        lat,
        busy,
        other,
        first,
        elapsed: started.elapsed(),
    })
}
