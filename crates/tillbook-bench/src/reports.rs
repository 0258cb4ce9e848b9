//! `tillbook bench reports` (T33): the sales reports, the stock valuation and
//! the CSV export over a baseline file and a file ten times its size, with the
//! process's peak memory around each.

use crate::bulk::{build_orders, BuildInfo};
use crate::shop::{login, open_db, BENCH_OWNER, BENCH_PASSWORD};
use crate::stats::ratio;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tillbook_core::clock::SystemClock;
use tillbook_core::db::OpenOptions;
use tillbook_core::error::{Error, Result};
use tillbook_core::reports::{self, GroupBy, SalesReportRequest};
use tillbook_core::{Dispatcher, Session};

/// Resident memory figures from /proc/self/status, in KiB (0 where unknown).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the peak (VmHWM) to the current RSS, so the next reading is the
/// peak of what runs in between.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub struct ReportMeasure {
    pub name: String,
    pub time: Duration,
    pub rows: u64,
    pub rss_before_kib: u64,
    pub peak_kib: u64,
}

pub struct ReportsRun {
    pub info: BuildInfo,
    pub build_peak_kib: u64,
    pub csv_bytes: u64,
    pub measures: Vec<ReportMeasure>,
}

pub struct ReportsBench {
    pub runs: Vec<ReportsRun>,
}

fn measure(
    name: &str,
    f: impl FnOnce() -> Result<u64>,
    out: &mut Vec<ReportMeasure>,
) -> Result<()> {
    reset_peak();
    let rss_before_kib = status_kib("VmRSS:");
    let t = Instant::now();
    let rows = f()?;
    let time = t.elapsed();
    out.push(ReportMeasure {
        name: name.to_string(),
        time,
        rows,
        rss_before_kib,
        peak_kib: status_kib("VmHWM:"),
    });
    Ok(())
}

fn report_rows(v: &Value) -> u64 {
    v["rows"].as_array().map_or(0, |a| a.len() as u64)
}

/// Builds a file of `orders` orders, then times the reports and the export on it.
fn reports_run(dir: &Path, orders: usize) -> Result<ReportsRun> {
    let path = dir.join(format!("reports-{orders}.db"));
    reset_peak();
    let (db, info) = build_orders(&path, orders)?;
    let build_peak_kib = status_kib("VmHWM:");
    drop(db);
    // A fresh handle, as the app after a restart: nothing of the build cached
    // in this process (the OS page cache stays warm).
    let d = Dispatcher::new(
        open_db(&path, OpenOptions::default())?,
        Arc::new(SystemClock),
    );
    let mut owner = login(&d, BENCH_OWNER, BENCH_PASSWORD)?;
    let mut measures = Vec::new();
    measure_sales_reports(&d, &mut owner, &info, &mut measures)?;
    measure(
        "reports.stock_valuation (first page of 200)",
        || {
            Ok(report_rows(&d.dispatch(
                &mut owner,
                "reports.stock_valuation",
                json!({ "limit": 200 }),
            )?))
        },
        &mut measures,
    )?;
    let csv = dir.join(format!("sales-{orders}.csv"));
    measure(
        "CSV export of every order line (to a file)",
        || {
            let file = std::fs::File::create(&csv)
                .map_err(|e| Error::internal(format!("creating {}: {e}", csv.display())))?;
            let mut out = std::io::BufWriter::new(file);
            d.db()
                .read(|c| reports::export_sales_csv(c, info.from_ms, info.to_ms, &mut out))
        },
        &mut measures,
    )?;
    let csv_bytes = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&csv);
    Ok(ReportsRun {
        info,
        build_peak_kib,
        csv_bytes,
        measures,
    })
}

/// `reports.sales` over the whole span of the orders, grouped four ways.
fn measure_sales_reports(
    d: &Dispatcher,
    owner: &mut Option<Session>,
    info: &BuildInfo,
    measures: &mut Vec<ReportMeasure>,
) -> Result<()> {
    let range = |group_by: GroupBy, limit: Option<u32>| {
        serde_json::to_value(SalesReportRequest {
            from_ms: info.from_ms,
            to_ms: info.to_ms,
            group_by,
            tz_offset_minutes: 60,
            limit,
        })
    };
    for (name, g, limit) in [
        ("reports.sales by day", GroupBy::Day, None),
        (
            "reports.sales by product (limit 100)",
            GroupBy::Product,
            Some(100),
        ),
        ("reports.sales by cashier", GroupBy::Cashier, None),
        ("reports.sales by tender", GroupBy::Tender, None),
    ] {
        let args = range(g, limit)?;
        measure(
            name,
            || Ok(report_rows(&d.dispatch(owner, "reports.sales", args)?)),
            measures,
        )?;
    }
    Ok(())
}

/// The reports over a `baseline`-order file and an `orders`-order file, in
/// one invocation, so the ratios compare like with like.
pub fn reports(dir: &Path, orders: usize, baseline: usize) -> Result<ReportsBench> {
    let mut runs = Vec::new();
    for n in [baseline, orders] {
        runs.push(reports_run(dir, n)?);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!(
                "{}{suffix}",
                dir.join(format!("reports-{n}.db")).display()
            ));
        }
    }
    Ok(ReportsBench { runs })
}

fn mib(kib: u64) -> u64 {
    kib / 1024
}

impl ReportsBench {
    pub fn table(&self) -> String {
        let mut s = String::new();
        for r in &self.runs {
            s.push_str(&format!(
                "{} orders ({} lines, {} products) built in {} s, {} MiB file, peak RSS while building {} MiB; CSV {} MiB\n",
                r.info.orders,
                r.info.lines,
                r.info.products,
                r.info.build.as_secs(),
                r.info.file_bytes / (1024 * 1024),
                mib(r.build_peak_kib),
                r.csv_bytes / (1024 * 1024)
            ));
        }
        let (Some(base), Some(big)) = (self.runs.first(), self.runs.last()) else {
            return s;
        };
        s.push_str(&format!(
            "\n| measure | rows | {b} orders ms | {n} orders ms | time ratio | RSS before (MiB) | peak RSS {b} (MiB) | peak RSS {n} (MiB) |\n|---|---|---|---|---|---|---|---|\n",
            b = base.info.orders,
            n = big.info.orders
        ));
        for (m0, m1) in base.measures.iter().zip(&big.measures) {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                m1.name,
                m1.rows,
                m0.time.as_millis(),
                m1.time.as_millis(),
                ratio(m1.time.as_micros(), m0.time.as_micros()),
                mib(m1.rss_before_kib),
                mib(m0.peak_kib),
                mib(m1.peak_kib)
            ));
        }
        s
    }
}
