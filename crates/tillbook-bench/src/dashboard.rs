//! `tillbook bench dashboard`: Home's one read (`dashboard.today`) over a
//! baseline file and a file ten times its size, in one run, so the ratio
//! says whether it stays flat as the shop's history grows (it should: every
//! figure reads one local day, or an index of what is open or unsent).

use crate::bulk::{build_orders, BuildInfo};
use crate::shop::{login, open_db, BENCH_OWNER, BENCH_PASSWORD};
use crate::stats::{max_of, ms_2, percentile, ratio};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tillbook_core::clock::ManualClock;
use tillbook_core::db::OpenOptions;
use tillbook_core::error::Result;
use tillbook_core::reports::DAY_MS;
use tillbook_core::Dispatcher;

pub struct DashboardRun {
    pub info: BuildInfo,
    /// Sales on the measured day (a whole day inside the orders' span).
    pub day_sales: i64,
    /// Each read, ascending.
    pub samples: Vec<Duration>,
}

pub struct DashboardBench {
    pub runs: Vec<DashboardRun>,
}

/// Builds a file of `orders` orders and reads the dashboard `samples` times
/// with the clock one day before the last order, so "today" and the same day
/// last week are whole days of history.
fn dashboard_run(dir: &Path, orders: usize, samples: usize) -> Result<DashboardRun> {
    let path = dir.join(format!("dashboard-{orders}.db"));
    let (db, info) = build_orders(&path, orders)?;
    drop(db);
    let clock = ManualClock::new(info.to_ms - DAY_MS);
    let d = Dispatcher::new(open_db(&path, OpenOptions::default())?, Arc::new(clock));
    let mut owner = login(&d, BENCH_OWNER, BENCH_PASSWORD)?;
    let args = json!({ "tz_offset_minutes": 60 });
    // One read first, so every sample finds the statements cached, as Home does
    // after the first visit.
    let first = d.dispatch(&mut owner, "dashboard.today", args.clone())?;
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        d.dispatch(&mut owner, "dashboard.today", args.clone())?;
        times.push(t.elapsed());
    }
    times.sort();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(DashboardRun {
        info,
        day_sales: first["sales_count"].as_i64().unwrap_or(0),
        samples: times,
    })
}

/// The dashboard over a `baseline`-order file and an `orders`-order file.
pub fn dashboard(
    dir: &Path,
    orders: usize,
    baseline: usize,
    samples: usize,
) -> Result<DashboardBench> {
    let mut runs = Vec::new();
    for n in [baseline, orders] {
        runs.push(dashboard_run(dir, n, samples.max(1))?);
    }
    Ok(DashboardBench { runs })
}

impl DashboardBench {
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| orders in the file | sales that day | reads | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|\n",
        );
        for r in &self.runs {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                r.info.orders,
                r.day_sales,
                r.samples.len(),
                ms_2(percentile(&r.samples, 50)),
                ms_2(percentile(&r.samples, 95)),
                ms_2(max_of(&r.samples)),
            ));
        }
        if let (Some(base), Some(big)) = (self.runs.first(), self.runs.last()) {
            s.push_str(&format!(
                "\np50 ratio ({} / {} orders): {}\n",
                big.info.orders,
                base.info.orders,
                ratio(
                    percentile(&big.samples, 50).as_micros(),
                    percentile(&base.samples, 50).as_micros()
                )
            ));
        }
        s
    }
}
