//! The state the desktop shell keeps: the opened database (or why it could not
//! be opened) and the session of whoever is at the till.
//!
//! The session lives here, in Rust, behind a mutex. The webview sends only a
//! command name and its arguments; nothing it sends can name or replace the
//! session (D02).

use serde_json::{json, Value};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tillbook_core::clock::SystemClock;
use tillbook_core::config::{self, Config};
use tillbook_core::db::Db;
use tillbook_core::{commands, Dispatcher, Session};

/// Every startup failure's message starts with this, so the UI, the error
/// window and the log all say the same thing.
pub const STARTUP_FAILED: &str = "Tillbook could not open its database";

/// A database that opened, and the lock that keeps a second app off it.
pub struct Opened {
    dispatcher: Dispatcher,
    db_path: PathBuf,
    /// Held (and so locked) for as long as the app runs; the OS releases the
    /// lock when the process ends, however it ends.
    _instance_lock: Option<File>,
}

/// Why startup failed, in words for the person at the till.
#[derive(Clone, Debug)]
pub struct StartupError {
    pub db_path: Option<PathBuf>,
    pub message: String,
}

impl StartupError {
    fn new(db_path: Option<&Path>, reason: impl std::fmt::Display) -> Self {
        StartupError {
            db_path: db_path.map(Path::to_path_buf),
            message: format!("{STARTUP_FAILED}: {reason}"),
        }
    }
}

/// Reads the configuration (`TILLBOOK_DB` etc., through `var`), creates the
/// database's folder, takes the single-instance lock and opens the file.
/// Never panics: every failure is a [`StartupError`] naming its cause.
pub fn open(
    var: impl Fn(&str) -> Option<String>,
    data_dir: Option<PathBuf>,
) -> Result<Opened, StartupError> {
    let config = Config::load(None, var, config::default_db_path(data_dir))
        .map_err(|e| StartupError::new(None, e))?;
    let path = config.db_path.as_path();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StartupError::new(
                Some(path),
                format_args!("cannot create {}: {e}", dir.display()),
            )
        })?;
    }
    let instance_lock = lock_instance(path)?;
    let db = Db::open(path, config.open.clone()).map_err(|e| StartupError::new(Some(path), e))?;
    Ok(Opened {
        dispatcher: Dispatcher::new(db, Arc::new(SystemClock)),
        db_path: config.db_path,
        _instance_lock: instance_lock,
    })
}

/// The lock file beside the database: `<db>.lock`.
pub fn lock_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes an exclusive advisory lock on `<db>.lock`, so that a second Tillbook
/// window on the same file gets a clear message instead of a second, competing
/// session. The lock is a courtesy, not what keeps the data correct (SQLite's
/// own locking and `BEGIN IMMEDIATE` do that, and the CLI may run beside the
/// app), so a file system without advisory locks only gets a warning.
fn lock_instance(db_path: &Path) -> Result<Option<File>, StartupError> {
    let path = lock_path(db_path);
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) => {
            // Db::open reports an unusable folder with a better message.
            tracing::warn!(lock = %path.display(), error = %e, "no single-instance lock");
            return Ok(None);
        }
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(StartupError::new(
            Some(db_path),
            format_args!(
                "Tillbook is already open on this file ({}). Switch to that window, or close it and start Tillbook again.",
                db_path.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => {
            tracing::warn!(lock = %path.display(), error = %e, "no single-instance lock");
            Ok(None)
        }
    }
}

enum Backend {
    Ready(Opened),
    Failed(StartupError),
}

/// Tauri's managed state: one per app.
pub struct Shell {
    backend: Backend,
    session: Mutex<Option<Session>>,
    log_dir: Option<PathBuf>,
}

impl Shell {
    pub fn new(startup: Result<Opened, StartupError>, log_dir: Option<PathBuf>) -> Self {
        Shell {
            backend: match startup {
                Ok(opened) => Backend::Ready(opened),
                Err(e) => Backend::Failed(e),
            },
            session: Mutex::new(None),
            log_dir,
        }
    }

    pub fn startup_error(&self) -> Option<&StartupError> {
        match &self.backend {
            Backend::Ready(_) => None,
            Backend::Failed(e) => Some(e),
        }
    }

    pub fn db_path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Ready(o) => Some(&o.db_path),
            Backend::Failed(e) => e.db_path.as_deref(),
        }
    }

    pub fn log_dir(&self) -> Option<&Path> {
        self.log_dir.as_deref()
    }

    /// What the `startup_status` command returns.
    pub fn startup_status(&self) -> Value {
        json!({
            "ok": self.startup_error().is_none(),
            "error": self.startup_error().map(|e| e.message.as_str()),
            "db_path": self.db_path().map(|p| p.display().to_string()),
            "log_dir": self.log_dir().map(|p| p.display().to_string()),
        })
    }

    /// Runs one command for the person at the till. Blocks (SQLite, Argon2):
    /// call it off the UI thread. Logs the command's name, outcome and
    /// duration, never its arguments.
    pub fn dispatch(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let started = Instant::now();
        let result = match &self.backend {
            Backend::Ready(o) => o
                .dispatcher
                .dispatch(&mut self.session(), cmd, args)
                .map_err(|e| e.to_json()),
            Backend::Failed(e) => Err(internal(&e.message)),
        };
        // The name from the command table, not the caller's string: an unknown
        // name is whatever the webview sent and is not worth a log line's trust.
        let command = commands::find(cmd).map_or("(unknown command)", |c| c.name);
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.get("code").and_then(Value::as_str).unwrap_or("internal"),
        };
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(command, outcome, ms, "ipc");
        result
    }

    /// The session slot, held for the whole command so calls from the webview
    /// run one at a time against one session. If a command ever panicked while
    /// holding it, the session is dropped (the user logs in again) rather than
    /// trusted half-updated.
    fn session(&self) -> MutexGuard<'_, Option<Session>> {
        self.session.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = None;
            self.session.clear_poison();
            tracing::error!("a command failed mid-way; the session was ended");
            guard
        })
    }
}

/// An `internal` error in the wire shape `Error::to_json` uses.
pub fn internal(message: &str) -> Value {
    json!({ "code": "internal", "message": message, "details": {} })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports failure
mod tests {
    use super::*;
    use std::io::Write;

    fn env_db(path: &Path) -> impl Fn(&str) -> Option<String> {
        let path = path.display().to_string();
        move |k| (k == config::ENV_DB).then(|| path.clone())
    }

    #[test]
    fn opens_a_fresh_file_in_a_new_folder_and_answers_commands() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("new").join("shop.db");
        let shell = Shell::new(open(env_db(&db), None), None);
        assert!(shell.startup_error().is_none());
        let status = shell.dispatch("setup.status", Value::Null).unwrap();
        assert_eq!(status["needs_setup"], true);
        assert_eq!(shell.startup_status()["ok"], true);
        assert_eq!(
            shell.startup_status()["db_path"],
            db.display().to_string().as_str()
        );
    }

    #[test]
    fn errors_keep_the_core_wire_shape() {
        let dir = tempfile::tempdir().unwrap();
        let shell = Shell::new(open(env_db(&dir.path().join("shop.db")), None), None);
        let err = shell.dispatch("no.such_command", json!({})).unwrap_err();
        assert_eq!(err["code"], "validation");
        assert_eq!(err["details"]["field"], "cmd");
        let err = shell.dispatch("shop.info", Value::Null).unwrap_err();
        assert_eq!(err["code"], "unauthenticated");
    }

    #[test]
    fn a_garbage_file_is_a_startup_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("shop.db");
        let mut f = File::create(&db).unwrap();
        f.write_all(&[0x5a; 8192]).unwrap();
        drop(f);
        let shell = Shell::new(open(env_db(&db), None), None);
        let message = shell.startup_error().unwrap().message.clone();
        assert!(message.starts_with(STARTUP_FAILED), "{message}");
        assert!(message.contains("not a Tillbook database"), "{message}");
        let err = shell.dispatch("setup.status", Value::Null).unwrap_err();
        assert_eq!(err["code"], "internal");
        assert_eq!(err["message"], message.as_str());
        let status = shell.startup_status();
        assert_eq!(status["ok"], false);
        assert_eq!(status["error"], message.as_str());
    }

    #[test]
    fn a_bad_variable_is_a_startup_error() {
        let e = open(|k| (k == config::ENV_DB).then(String::new), None)
            .err()
            .unwrap();
        assert!(e.message.contains("TILLBOOK_DB"), "{}", e.message);
    }

    #[test]
    fn a_second_app_on_the_same_file_is_told_it_is_already_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("shop.db");
        let first = open(env_db(&db), None);
        assert!(first.is_ok());
        let second = open(env_db(&db), None).err().unwrap();
        assert!(
            second.message.contains("already open on this file"),
            "{}",
            second.message
        );
        drop(first);
        assert!(
            open(env_db(&db), None).is_ok(),
            "the lock ends with the app"
        );
        // Another file in the same folder is not affected.
        let _a = open(env_db(&db), None).unwrap();
        assert!(open(env_db(&dir.path().join("other.db")), None).is_ok());
    }

    #[test]
    fn the_log_line_has_the_command_outcome_and_duration_but_no_arguments() {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let dir = tempfile::tempdir().unwrap();
        let shell = Shell::new(open(env_db(&dir.path().join("shop.db")), None), None);
        tracing::subscriber::with_default(subscriber, || {
            let err = shell
                .dispatch(
                    "auth.login",
                    json!({"username": "someone-unique", "password": "hunter2-very-secret"}),
                )
                .unwrap_err();
            assert_eq!(err["code"], "unauthenticated");
            let _ = shell.dispatch("password: hunter2-very-secret", json!({}));
        });
        let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("command=\"auth.login\""), "{log}");
        assert!(log.contains("outcome=\"unauthenticated\""), "{log}");
        assert!(log.contains("ms="), "{log}");
        assert!(log.contains("(unknown command)"), "{log}");
        assert!(!log.contains("hunter2"), "{log}");
        assert!(!log.contains("someone-unique"), "{log}");
    }
}
