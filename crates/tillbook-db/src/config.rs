//! Startup configuration: read once, parsed into typed values; anything missing
//! or malformed stops startup with a message naming it (T14). An empty variable
//! is malformed, never "use an empty string".

use crate::db::{OpenOptions, Synchronous};
use std::path::PathBuf;

pub const ENV_DB: &str = "TILLBOOK_DB";
pub const ENV_SYNCHRONOUS: &str = "TILLBOOK_SYNCHRONOUS";
pub const ENV_BUSY_TIMEOUT_MS: &str = "TILLBOOK_BUSY_TIMEOUT_MS";

#[derive(Clone, Debug)]
pub struct Config {
    pub db_path: PathBuf,
    pub open: OpenOptions,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is set but empty; unset it or give a value")]
    Empty { name: &'static str },
    #[error("{name}={value:?} is not valid: {expected}")]
    Malformed {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(
        "no database path: pass --db PATH or set {ENV_DB} (no data folder was found for a default)"
    )]
    NoDefaultPath,
}

/// The default database file: `<data dir>/tillbook/tillbook.db`.
pub fn default_db_path(data_dir: Option<PathBuf>) -> Option<PathBuf> {
    data_dir.map(|d| d.join("tillbook").join("tillbook.db"))
}

impl Config {
    /// Builds the configuration from an explicit `--db` (wins), the environment
    /// (read through `var`, so tests pass their own), and the default path.
    pub fn load(
        cli_db: Option<PathBuf>,
        var: impl Fn(&str) -> Option<String>,
        default_db: Option<PathBuf>,
    ) -> Result<Config, ConfigError> {
        let get = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match var(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Err(ConfigError::Empty { name }),
                Some(v) => Ok(Some(v)),
            }
        };
        let db_path = match (cli_db, get(ENV_DB)?) {
            (Some(p), _) => p,
            (None, Some(p)) => PathBuf::from(p),
            (None, None) => default_db.ok_or(ConfigError::NoDefaultPath)?,
        };
        let mut open = OpenOptions::default();
        if let Some(v) = get(ENV_SYNCHRONOUS)? {
            open.synchronous = Synchronous::parse(&v).ok_or(ConfigError::Malformed {
                name: ENV_SYNCHRONOUS,
                value: v,
                expected: "FULL or NORMAL",
            })?;
        }
        if let Some(v) = get(ENV_BUSY_TIMEOUT_MS)? {
            open.busy_timeout_ms = v
                .parse::<u32>()
                .ok()
                .filter(|ms| (1..=60_000).contains(ms))
                .ok_or(ConfigError::Malformed {
                    name: ENV_BUSY_TIMEOUT_MS,
                    value: v,
                    expected: "a whole number of milliseconds from 1 to 60000",
                })?;
        }
        Ok(Config { db_path, open })
    }
}
