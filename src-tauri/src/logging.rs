//! Logs: a daily file in `<data dir>/tillbook/logs` (or `TILLBOOK_LOG_DIR`),
//! at most [`KEEP_FILES`] kept, plus warnings and errors on stderr.
//!
//! What is logged is decided at the call sites, and they log no arguments: a
//! command is logged as its name from the command table, its outcome code and
//! its duration (see `shell.rs`). Passwords, PINs, names and amounts never reach
//! a log line.
//!
//! The file writer is synchronous on purpose: Tauri ends the process with
//! `exit` when the last window closes, so a background writer's queue (and its
//! last lines) could be lost. One short line per command costs microseconds.

use std::path::{Path, PathBuf};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Where logs go instead of the data dir (tests point it at a temporary folder).
pub const ENV_LOG_DIR: &str = "TILLBOOK_LOG_DIR";
/// A tracing filter for the log file, as for the CLI (`TILLBOOK_LOG=debug`).
pub const ENV_LOG: &str = "TILLBOOK_LOG";
/// Daily files kept; older ones are deleted when a new day's file starts.
pub const KEEP_FILES: usize = 14;
pub const FILE_PREFIX: &str = "tillbook-app";

/// Tillbook's own crates at `info`, everything else (Tauri, WebKit glue) at `warn`.
const DEFAULT_FILTER: &str = "warn,tillbook_app=info,tillbook_core=info";

/// The log folder: `TILLBOOK_LOG_DIR` if set, else `<data dir>/tillbook/logs`.
pub fn log_dir(var: impl Fn(&str) -> Option<String>, data_dir: Option<PathBuf>) -> Option<PathBuf> {
    match var(ENV_LOG_DIR) {
        Some(v) if !v.trim().is_empty() => Some(PathBuf::from(v)),
        _ => data_dir.map(|d| d.join("tillbook").join("logs")),
    }
}

/// Installs the global subscriber. Returns the folder being logged to, or
/// `None` (with a warning on stderr) when no file could be opened: the app
/// still runs, logging to stderr only.
pub fn init(var: impl Fn(&str) -> Option<String>, dir: Option<PathBuf>) -> Option<PathBuf> {
    let file = dir.as_deref().map(open_appender).and_then(|r| match r {
        Ok(appender) => Some(appender),
        Err(e) => {
            eprintln!("tillbook-app: logging to stderr only: {e}");
            None
        }
    });
    let logging_to = file.as_ref().and(dir);
    let filter = match var(ENV_LOG).map(EnvFilter::try_new) {
        Some(Ok(filter)) => filter,
        Some(Err(e)) => {
            eprintln!(
                "tillbook-app: {ENV_LOG} is not a valid filter ({e}); using {DEFAULT_FILTER}"
            );
            EnvFilter::new(DEFAULT_FILTER)
        }
        None => EnvFilter::new(DEFAULT_FILTER),
    };
    let file_layer = file.map(|appender| {
        tracing_subscriber::fmt::layer()
            .with_writer(appender)
            .with_ansi(false)
            .with_filter(filter)
    });
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(LevelFilter::WARN);
    if let Err(e) = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
    {
        eprintln!("tillbook-app: could not set up logging: {e}");
    }
    logging_to
}

fn open_appender(dir: &Path) -> Result<RollingFileAppender, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| format!("cannot open a log file in {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_dir_prefers_the_variable_then_the_data_dir() {
        let data = Some(PathBuf::from("/data"));
        assert_eq!(
            log_dir(|_| Some("/tmp/logs".into()), data.clone()),
            Some(PathBuf::from("/tmp/logs"))
        );
        assert_eq!(
            log_dir(|_| None, data.clone()),
            Some(PathBuf::from("/data/tillbook/logs"))
        );
        assert_eq!(
            log_dir(|_| Some(" ".into()), data),
            Some(PathBuf::from("/data/tillbook/logs"))
        );
        assert_eq!(log_dir(|_| None, None), None);
    }

    #[test]
    fn the_default_filter_parses() {
        assert!(EnvFilter::try_new(DEFAULT_FILTER).is_ok());
    }
}
