//! Identity and the first screens in the real window: the first run, logins,
//! roles, the idle lock and the audit viewer; an account locked by wrong
//! passwords; a database that cannot be opened; and the catalog, stock count,
//! customer credit and vendor receipt screens the owner reaches after setup.

use crate::flows::{
    first_run, log_in, log_out, set_up_and_log_in, shot, testid_suffix, type_and_enter, wait_css,
    CASHIER_PW, MANAGER_PW, OWNER_PW,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tillbook_core::clock::SystemClock;
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::Dispatcher;

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

/// The owner's first path: first-run setup → login → create a cashier →
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
    first_run(&app).await;

    // Setup signs the owner in (issue 13); she logs out and in again.
    app.wait_text("header-user", "Olive Owner").await;
    log_out(&app).await;
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
    app.fill("settings-idle_lock_ms", "0.5").await; // minutes: 30 s
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
    // In sentences, by name: no command names on screen.
    for needle in [
        "added the user",
        "changed the settings",
        "unlocked the till",
        "Cass Cashier",
    ] {
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

/// The catalog's path: create a product → receive a batch of
/// 10 on the Stock screen → count 8 of it by scanning its barcode → review
/// (variance −2) → post → the movement history shows the receive (+10) and the
/// count variance (−2), and on-hand is 8.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_receive_count_with_variance_and_movement_history() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    const BARCODE: &str = "4006381333931";

    // Products: create one, then find it again by scanning its barcode.
    app.click("nav-products").await;
    app.el("products").await;
    app.click("products-create").await;
    app.fill("product-sku", "MILK-1L").await;
    app.fill("product-barcode", BARCODE).await;
    app.fill("product-name", "Milk 1 l").await;
    app.fill("product-category", "Dairy").await;
    app.fill("product-price", "1.29").await;
    app.click("product-submit").await;
    app.gone("product-create-dialog").await;
    app.wait_text("product-detail-sku", "MILK-1L").await;
    app.fill("products-search", "mil").await;
    app.el("product-row-MILK-1L").await;
    // Enter on an exact barcode opens the product.
    type_and_enter(&app, "products-search", BARCODE).await;
    app.wait_text("product-detail-barcode", BARCODE).await;
    app.wait_text("product-detail-price", "1.29").await;
    app.screenshot("10-products").await;

    // Stock: receive a batch of 10.
    app.click("nav-stock").await;
    type_and_enter(&app, "stock-lookup", BARCODE).await;
    app.wait_text("stock-product", "Milk 1 l").await;
    app.click("stock-receive").await;
    app.fill("receive-lot_code", "L2611").await;
    app.fill("receive-quantity", "10").await;
    app.fill("receive-unit_cost", "0.85").await;
    app.click("receive-submit").await;
    app.gone("stock-receive-dialog").await;
    app.wait_text("stock-on-hand", "10").await;
    let row = wait_css(&app, "[data-lot='L2611']").await;
    let batch_id = testid_suffix(&row, "batch-row-").await;
    app.wait_text(&format!("batch-on-hand-{batch_id}"), "10")
        .await;
    app.screenshot("11-stock").await;

    // Count: open, scan the barcode and record 8, review, post.
    app.click("nav-count").await;
    app.click("count-open").await;
    app.el("count-scan-form").await;
    app.fill("count-barcode", BARCODE).await;
    app.fill("count-counted", "8").await;
    app.click("count-record").await;
    app.wait_text("count-last", "variance -2").await;
    app.click("count-review").await;
    app.wait_text(&format!("count-variance-{batch_id}"), "-2")
        .await;
    app.screenshot("12-count").await;
    app.click("count-post").await;
    app.wait_text("count-status", "posted").await;
    assert_eq!(
        app.attr(&format!("count-line-{batch_id}"), "data-variance")
            .await
            .as_deref(),
        Some("-2")
    );

    // Back on Stock: the history shows both movements, and on-hand is 8.
    app.click("nav-stock").await;
    app.wait_text("stock-on-hand", "8").await;
    app.wait_text(&format!("batch-on-hand-{batch_id}"), "8")
        .await;
    wait_css(&app, "[data-kind='receive'][data-quantity='10']").await;
    wait_css(&app, "[data-kind='count_variance'][data-quantity='-2']").await;
    let history = app.wait_text("movements-table", "Count variance").await;
    assert!(history.contains("+10"), "{history}");
    assert!(history.contains("-2"), "{history}");
    app.screenshot("13-stock-history").await;

    // Customers and vendors: a record each, for the screenshots.
    app.click("nav-customers").await;
    app.click("customers-create").await;
    app.fill("customer-name", "Ana Lima").await;
    app.fill("customer-phone", "+351 912 000 000").await;
    app.click("customer-submit").await;
    app.wait_text("customers-table", "Ana Lima").await;
    app.screenshot("14-customers").await;

    // Credit above the threshold (default 1000.00) needs a second user holding
    // credit.approve (T21): refused beside the approver without one, then approved.
    let created = app
        .invoke(
            "users.create",
            json!({"idempotency_key": "e2e-manager-1", "username": "mara",
                   "display_name": "Mara Manager", "role": "manager",
                   "password": MANAGER_PW}),
        )
        .await;
    assert_eq!(created["ok"], true, "{created}");
    let customer_row = wait_css(&app, "[data-name='Ana Lima']").await;
    let customer_id = testid_suffix(&customer_row, "customer-row-").await;
    app.click(&format!("customer-credit-{customer_id}")).await;
    app.fill("credit-limit", "2000").await;
    app.el("credit-approval").await;
    app.click("credit-submit").await;
    app.el("field-error-approver_username").await;
    let kept = app.el("credit-limit").await.prop("value").await.unwrap();
    assert_eq!(
        kept.as_deref(),
        Some("2000"),
        "the credit form lost its input"
    );
    app.fill("credit-approver_username", "mara").await;
    app.fill("credit-approver_password", MANAGER_PW).await;
    app.screenshot("15-customer-credit").await;
    app.click("credit-submit").await;
    app.gone("credit-dialog").await;
    app.wait_text(&format!("customer-limit-{customer_id}"), "2000.00")
        .await;
    app.click("nav-vendors").await;
    app.click("vendors-create").await;
    app.fill("vendor-name", "Dairy Co").await;
    app.click("vendor-submit").await;
    app.wait_text("vendors-table", "Dairy Co").await;
    let vendor_row = wait_css(&app, "[data-name='Dairy Co']").await;
    let vendor_id = testid_suffix(&vendor_row, "vendor-row-").await;
    // A purchase receipt of 12 more from the vendor (a new batch, owed to them).
    app.click(&format!("vendor-receive-{vendor_id}")).await;
    app.fill("purchase-reference", "DN-5521").await;
    app.fill("purchase-product", "MILK-1L").await;
    app.fill("purchase-lot_code", "L2612").await;
    app.fill("purchase-unit_cost", "0.80").await;
    app.fill("purchase-quantity", "12").await;
    app.click("purchase-add-line").await;
    app.el("purchase-line-0").await;
    app.wait_text("purchase-submit", "1 line").await;
    shot(&app, "16-vendor-receipt").await;
    app.click("purchase-submit").await;
    app.wait_text("purchase-last", "total cost 9.60").await;
    app.wait_text("vendors-table", "9.60").await;
    app.screenshot("17-vendors").await;
    app.close().await;
}
