//! Tillbook's desktop shell: wires Tauri to `tillbook-core` and nothing else.
//!
//! - IPC: one generic command, [`dispatch`], hands `(cmd, args)` to the core's
//!   dispatcher. The session stays in Rust state ([`shell::Shell`]).
//! - Startup (before any window): configuration, the single-instance lock, the
//!   database (`shell::open`). If any of it fails the app does not panic: it
//!   logs the message, keeps running, and opens a small error window instead of
//!   the UI (`startup_page`). `startup_status` reports the same to the UI, and
//!   `dispatch` answers every call with an `internal` error carrying it.
//! - Logs: `logging`.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod logging;
mod shell;
mod startup_page;

use serde_json::Value;
use shell::Shell;
use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Manager, State, Url, WebviewUrl, WebviewWindowBuilder};

/// The only way the webview reaches the domain.
///
/// One generic command rather than one Tauri command per operation: the command
/// table in `tillbook-core` (`commands::COMMANDS`) is the single source of
/// truth for names, argument types and access, and the dispatcher checks the
/// session and permissions there, for the CLI and the app alike. A Tauri
/// command per operation would be a second list to keep in step, and a place
/// where a check could be forgotten. The webview sends a name and arguments;
/// it never sends, and cannot change, the session.
///
/// `async` + `spawn_blocking`: the core blocks (SQLite, Argon2id takes about a
/// second), so it runs on a blocking thread and the UI thread never waits.
#[tauri::command]
async fn dispatch(app: AppHandle, cmd: String, args: Option<Value>) -> Result<Value, Value> {
    tauri::async_runtime::spawn_blocking(move || match app.try_state::<Shell>() {
        Some(shell) => shell.dispatch(&cmd, args.unwrap_or(Value::Null)),
        None => Err(shell::internal("Tillbook is still starting")),
    })
    .await
    .unwrap_or_else(|e| Err(shell::internal(&format!("the command stopped: {e}"))))
}

/// Whether the database opened, and if not, why (`{ok, error, db_path, log_dir}`).
#[tauri::command]
fn startup_status(shell: State<'_, Shell>) -> Value {
    shell.startup_status()
}

fn main() {
    let env = |k: &str| std::env::var(k).ok();
    let log_dir = logging::init(env, logging::log_dir(env, dirs::data_dir()));
    let startup = shell::open(env, dirs::data_dir());
    match &startup {
        Ok(_) => tracing::info!("Tillbook started"),
        Err(e) => tracing::error!("{}", e.message),
    }
    let shell = Shell::new(startup, log_dir);
    if let Some(path) = shell.db_path() {
        tracing::info!(db = %path.display(), "database file");
    }

    let context = tauri::generate_context!("../tauri.conf.json");
    let result = tauri::Builder::default()
        .manage(shell)
        .invoke_handler(tauri::generate_handler![dispatch, startup_status])
        .register_uri_scheme_protocol(startup_page::SCHEME, |ctx, request| {
            let shell = ctx.app_handle().try_state::<Shell>();
            let report = shell.as_ref().and_then(|s| {
                s.startup_error().map(|e| startup_page::Report {
                    message: &e.message,
                    db_path: s.db_path().map(|p| p.display().to_string()),
                    log_dir: s.log_dir().map(|p| p.display().to_string()),
                })
            });
            startup_page::respond(request.uri().path(), report)
        })
        .setup(|app| {
            let failed = app.state::<Shell>().startup_error().is_some();
            if failed {
                open_error_window(app.handle())?;
            } else {
                open_main_window(app.handle())?;
            }
            Ok(())
        })
        .run(context);
    if let Err(e) = result {
        tracing::error!("Tillbook could not start its window: {e}");
        std::process::exit(1);
    }
}

/// The UI window, from `tauri.conf.json` (`create: false` there, so it is made
/// only once the database is open). It may navigate only within the app.
fn open_main_window(app: &AppHandle) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let dev_url = app.config().build.dev_url.clone();
    WebviewWindowBuilder::from_config(app, &config)?
        .on_navigation(move |url| {
            let allowed = is_app_url(url, dev_url.as_ref());
            if !allowed {
                tracing::warn!(scheme = url.scheme(), "blocked a navigation out of the app");
            }
            allowed
        })
        .on_new_window(|_, _| NewWindowResponse::Deny)
        .build()?;
    Ok(())
}

/// The app's own pages: Tauri's asset protocol (`tauri://localhost` on Linux and
/// macOS, `http(s)://tauri.localhost` on Windows), or the dev server in development.
fn is_app_url(url: &Url, dev_url: Option<&Url>) -> bool {
    url.scheme() == "tauri"
        || url.host_str() == Some("tauri.localhost")
        || dev_url.is_some_and(|d| d.origin() == url.origin())
}

fn open_error_window(app: &AppHandle) -> tauri::Result<()> {
    WebviewWindowBuilder::new(
        app,
        startup_page::WINDOW_LABEL,
        WebviewUrl::CustomProtocol(startup_page::url()?),
    )
    .title(startup_page::WINDOW_TITLE)
    .inner_size(760.0, 460.0)
    .center()
    .on_navigation(startup_page::is_own_url)
    .on_new_window(|_, _| NewWindowResponse::Deny)
    .build()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports failure
mod tests {
    use super::*;

    #[test]
    fn only_app_urls_are_navigable() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(is_app_url(&u("tauri://localhost/index.html"), None));
        assert!(is_app_url(&u("http://tauri.localhost/"), None));
        assert!(!is_app_url(&u("https://example.com/"), None));
        assert!(!is_app_url(&u("http://localhost:5173/"), None));
        let dev = u("http://localhost:5173");
        assert!(is_app_url(&u("http://localhost:5173/users"), Some(&dev)));
        assert!(!is_app_url(&u("http://localhost:5174/"), Some(&dev)));
    }
}
