//! End-to-end tests: the real `tillbook-app` in a real WebKit window under Xvfb,
//! driven through WebDriver (tauri-driver + WebKitWebDriver). Each test starts
//! its own display, driver and app on a fresh temporary database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports failure

#[allow(dead_code)] // the screen helpers are used as the UI flows land
mod harness;

use harness::App;
use serde_json::json;

/// The app and its WebDriver session are heavy on two cores; one at a time keeps
/// every wait well inside its bound.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_starts_on_a_fresh_database_and_answers_over_ipc() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    let title = app.client.title().await.expect("title");
    assert_eq!(title, "Tillbook");
    let status = app.invoke("setup.status", json!({})).await;
    assert_eq!(status["ok"], true, "{status}");
    assert_eq!(status["data"]["needs_setup"], true);
    // Identity never comes from the webview: without a login, users.list is refused.
    let users = app.invoke("users.list", json!({})).await;
    assert_eq!(users["error"]["code"], "unauthenticated", "{users}");
    assert!(app.db_path.exists());
    app.close().await;
}
