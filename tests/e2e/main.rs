//! End-to-end tests: the real `tillbook-app` in a real WebKit window under Xvfb,
//! driven through WebDriver (tauri-driver + WebKitWebDriver). Each test starts
//! its own display, driver and app on a fresh temporary database. Run with
//! TILLBOOK_SCREENSHOTS=1 (scripts/screenshots) to refresh docs/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports failure

mod harness;

use harness::App;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tillbook_core::clock::SystemClock;
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::Dispatcher;

/// The app and its WebDriver session are heavy on two cores; one at a time keeps
/// every wait well inside its bound.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const OWNER_PW: &str = "owner-e2e-password";
const CASHIER_PW: &str = "cass-e2e-password";

async fn log_in(app: &App, username: &str, password: &str) {
    app.fill("login-username", username).await;
    app.fill("login-password", password).await;
    app.click("login-submit").await;
}

async fn log_out(app: &App) {
    app.click("logout-button").await;
    app.el("login-form").await;
}

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

/// The desktop issue's main path: first-run setup → login → create a cashier →
/// the cashier can't reach users/settings/audit → idle lock → unlock with PIN →
/// the owner sees all of it in the audit viewer. Also T23: a refused form keeps
/// what was typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t23_t24_e2e_first_run_cashier_idle_lock_and_audit() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;

    // First run.
    app.el("setup-form").await;
    app.screenshot("01-first-run-setup").await;
    app.fill("setup-shop-name", "Corner Shop").await;
    app.fill("setup-username", "olive").await;
    app.fill("setup-display-name", "Olive Owner").await;
    app.fill("setup-password", OWNER_PW).await;
    app.fill("setup-password-confirm", OWNER_PW).await;
    app.fill("setup-pin", "2468").await;
    app.click("setup-submit").await;

    // Login.
    app.el("login-form").await;
    app.screenshot("02-login").await;
    log_in(&app, "olive", OWNER_PW).await;
    app.wait_text("header-user", "Olive Owner").await;
    app.screenshot("03-home").await;

    // The owner creates a cashier.
    app.click("nav-users").await;
    app.el("users-table").await;
    app.click("users-create").await;
    app.fill("user-username", "cass").await;
    app.fill("user-display-name", "Cass Cashier").await;
    app.select("user-role", "cashier").await;
    app.fill("user-password", CASHIER_PW).await;
    app.fill("user-pin", "1357").await;
    app.click("user-submit").await;
    app.el("user-row-cass").await;
    app.screenshot("04-users").await;

    // T23: a refused create (the username is taken) says why beside the field
    // and keeps everything typed.
    app.click("users-create").await;
    app.fill("user-username", "cass").await;
    app.fill("user-display-name", "Second Cass").await;
    app.fill("user-password", CASHIER_PW).await;
    app.click("user-submit").await;
    app.wait_text("field-error-username", "already in use")
        .await;
    let kept = app
        .el("user-display-name")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        kept.as_deref(),
        Some("Second Cass"),
        "the form lost its input"
    );
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{e00c}")
        .await
        .unwrap(); // Esc closes the dialog

    // Settings: the shortest idle lock, so the test waits 30 s rather than 5 min.
    app.click("nav-settings").await;
    app.el("settings-form").await;
    app.screenshot("05-settings").await;
    app.fill("settings-idle_lock_ms", "30000").await;
    app.click("settings-save").await;
    app.el("settings-saved").await;

    app.click("nav-audit").await;
    app.el("audit-table").await;
    app.screenshot("06-audit").await;
    log_out(&app).await;

    // The cashier sees no manager screens, and the core refuses them anyway.
    log_in(&app, "cass", CASHIER_PW).await;
    app.wait_text("header-user", "Cass Cashier").await;
    app.el("nav-account").await;
    for hidden in ["nav-users", "nav-settings", "nav-audit"] {
        assert!(!app.exists(hidden).await, "a cashier can see {hidden}");
    }
    let refused = app.invoke("users.list", json!({})).await;
    assert_eq!(refused["error"]["code"], "forbidden", "{refused}");
    let refused = app
        .invoke("settings.update", json!({"version": 2, "settings": {}}))
        .await;
    assert_eq!(refused["error"]["code"], "forbidden", "{refused}");

    // Idle lock: nothing touched for the idle time → the lock screen.
    app.el_within("lock-screen", Duration::from_secs(60)).await;
    app.wait_text("lock-user", "Cass").await;
    app.screenshot("07-idle-lock").await;
    app.fill("unlock-pin", "9999").await;
    app.click("unlock-submit").await;
    app.el("field-error-pin").await;
    app.fill("unlock-pin", "1357").await;
    app.click("unlock-submit").await;
    app.gone("lock-screen").await;
    let who = app.invoke("auth.whoami", json!({})).await;
    assert_eq!(who["data"]["locked"], false, "{who}");
    log_out(&app).await;

    // The owner sees all of it in the audit viewer.
    log_in(&app, "olive", OWNER_PW).await;
    app.click("nav-audit").await;
    let table = app.text("audit-table").await;
    for needle in ["users.create", "settings.update", "auth.unlock", "cass"] {
        assert!(
            table.contains(needle),
            "the audit viewer lacks {needle}:\n{table}"
        );
    }
    app.close().await;
}

/// T18 in the window: five wrong passwords lock the account, and the message
/// says so; the right password is refused while the lock lasts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t18_five_wrong_passwords_lock_the_account_visibly() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("shop.db");
    {
        let db = Db::open(&db_path, OpenOptions::default()).unwrap();
        let d = Dispatcher::new(db, Arc::new(SystemClock));
        d.dispatch(
            &mut None,
            "setup.create_owner",
            json!({
                "idempotency_key": "e2e-setup-1",
                "shop_name": "Lock Shop",
                "currency_code": "EUR",
                "username": "olive",
                "display_name": "Olive Owner",
                "password": OWNER_PW,
            }),
        )
        .unwrap();
    }
    let app = App::start_on(dir, db_path).await;
    app.el("login-form").await;
    for attempt in 1..=4 {
        log_in(&app, "olive", "not-the-password").await;
        let code = app.attr("error-banner", "data-code").await;
        assert_eq!(
            code.as_deref(),
            Some("unauthenticated"),
            "attempt {attempt}"
        );
        app.click("error-dismiss").await;
        app.gone("error-banner").await;
    }
    log_in(&app, "olive", "not-the-password").await;
    app.wait_text("error-banner", "locked").await;
    assert_eq!(
        app.attr("error-banner", "data-code").await.as_deref(),
        Some("locked")
    );
    app.screenshot("08-account-locked").await;
    app.click("error-dismiss").await;
    app.gone("error-banner").await;
    log_in(&app, "olive", OWNER_PW).await;
    app.wait_text("error-banner", "locked").await;
    assert!(
        !app.exists("main-frame").await,
        "the right password got in during the lock"
    );
    app.close().await;
}

/// T07 in the window: a file that isn't a Tillbook database opens no UI, only a
/// page that says why (no panic, no half-started app).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t07_a_database_that_cannot_be_opened_shows_why() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("not-a-shop.db");
    std::fs::write(&db_path, vec![0x42u8; 16 * 1024]).unwrap();
    let app = App::start_on(dir, db_path.clone()).await;
    let message = app
        .client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css("#startup-error"))
        .await
        .expect("the startup error page")
        .text()
        .await
        .unwrap();
    assert!(message.contains("not a Tillbook database"), "{message}");
    assert!(message.contains("not-a-shop.db"), "{message}");
    app.screenshot("09-startup-error").await;
    assert_eq!(std::fs::read(&db_path).unwrap(), vec![0x42u8; 16 * 1024]);
    app.close().await;
}
