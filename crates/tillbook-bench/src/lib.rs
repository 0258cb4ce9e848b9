//! Benchmarks run by `tillbook bench …` (never by tests: timings are measured,
//! not asserted). Results are recorded in docs/BENCHMARKS.md.
//!
//! One module per benchmark (`dashboard`: Home's one read); `shop` sets up what they sell from, `bulk` writes
//! the many-order files of cold-start and reports, `stats` turns samples into
//! the numbers the tables print.

mod bulk;
mod cold_start;
mod confirm;
mod dashboard;
mod reports;
mod search;
mod shop;
mod stats;
mod tills;

pub use bulk::{build_orders, BuildInfo};
pub use cold_start::{cold_start_once, phases_table, Phases};
pub use confirm::{confirm, ConfirmReport, ConfirmRow};
pub use dashboard::{dashboard, DashboardBench, DashboardRun};
pub use reports::{reports, ReportMeasure, ReportsBench, ReportsRun};
pub use search::{search, Measure, SearchReport};
pub use shop::{BENCH_OWNER, BENCH_PASSWORD};
pub use tills::{tills, TillsReport};
