//! Paying fast in the real window (issue 12): the quick cash buttons, one-tap
//! Card, a basket discount spread by the core, and a cashier's discount
//! approved by a manager's PIN on the cashier's screen (T39). Each test counts
//! the cashier's actions after the scan (keys and clicks) against the targets.

use crate::flows::{
    log_in, log_out, money, ok, product_in_stock, quoted_total, scan, set_up_and_log_in, shot,
    wait_css, CASHIER_PW, MANAGER_PW,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::{json, Value};

/// The WebDriver key for F9: the till's Pay.
const F9: &str = "\u{e039}";

/// Counts what the cashier does, so the test can hold it to the targets.
struct Actions(u32);

impl Actions {
    async fn key(&mut self, app: &App, testid: &str, key: &str) {
        self.0 += 1;
        app.el(testid).await.send_keys(key).await.unwrap();
    }

    async fn click(&mut self, app: &App, testid: &str) {
        self.0 += 1;
        app.click(testid).await;
    }
}

async fn orders(app: &App) -> Vec<Value> {
    ok(app, "sales.list", json!({})).await["orders"]
        .as_array()
        .unwrap()
        .clone()
}

/// The deli's settings: prices include tax (so the totals are the shelf
/// prices), plus `extra` keys. An update names the whole document.
async fn shop_settings(app: &App, extra: Value) {
    let s = ok(app, "settings.get", json!({})).await;
    let mut doc = s["settings"].clone();
    doc["prices_include_tax"] = json!(true);
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    ok(
        app,
        "settings.update",
        json!({ "version": s["version"], "settings": doc }),
    )
    .await;
}

/// A coffee at 6.99 by barcode, the deli's best seller; prices include tax.
async fn coffee(app: &App) -> i64 {
    shop_settings(app, json!({})).await;
    product_in_stock(app, "FLAT-W", "4006381333948", "Flat white", 699, 50).await
}

/// One barcoded item paid with exact cash: F9, Exact — two actions (target ≤ 3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_exact_cash_in_three_actions() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    coffee(&app).await;
    app.el("till").await;
    scan(&app, "4006381333948", "FLAT-W", 1).await;
    assert_eq!(quoted_total(&app).await, 699);

    let mut n = Actions(0);
    n.key(&app, "till-search", F9).await;
    app.el("tender-quick").await;
    // Exact and the next notes above the total, from the currency's denominations.
    app.wait_text("tender-exact", "6.99").await;
    for note in [1000, 2000, 5000] {
        assert!(
            app.exists(&format!("tender-quick-{note}")).await,
            "no {note} button"
        );
    }
    shot(&app, "till-paying-1").await;
    n.click(&app, "tender-exact").await;
    app.el("till-receipt").await;
    app.wait_text("receipt-total", "6.99").await;
    assert!(n.0 <= 3, "exact cash took {} actions", n.0);
    let made = orders(&app).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["total_minor"], 699);
    app.close().await;
}

/// Paid with a note: F9, "10.00" — the sale is done with the change shown; and
/// the amount field selects its content on focus, so typing replaces it, and
/// Enter pays once the payment covers the total.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_paid_with_a_note() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    coffee(&app).await;
    app.el("till").await;
    scan(&app, "4006381333948", "FLAT-W", 1).await;
    quoted_total(&app).await;

    let mut n = Actions(0);
    n.key(&app, "till-search", F9).await;
    n.click(&app, "tender-quick-1000").await;
    app.el("till-receipt").await;
    app.wait_text("till-change", "3.01").await;
    assert!(n.0 <= 3, "a note took {} actions", n.0);

    // The next sale, typed: the prefilled amount is replaced, Enter pays.
    app.click("receipt-new-sale").await;
    scan(&app, "4006381333948", "FLAT-W", 1).await;
    quoted_total(&app).await;
    app.el("till-search").await.send_keys(F9).await.unwrap();
    app.click("tender-add-cash").await;
    // The new row's amount has focus with "6.99" selected: typing replaces it.
    wait_css(&app, "[data-testid='tender-amount-0']:focus").await;
    type_keys(&app, "20").await;
    app.wait_text("tender-change", "13.01").await;
    type_and_enter_keep(&app, "tender-amount-0").await;
    app.el("till-receipt").await;
    app.wait_text("till-change", "13.01").await;
    assert_eq!(orders(&app).await.len(), 2);
    app.close().await;
}

/// Types into whatever has focus, as a keyboard does (no element is clicked,
/// so the selection the field made on focus stays).
async fn type_keys(app: &App, text: &str) {
    let mut keys = KeyActions::new("keyboard".into());
    for c in text.chars() {
        keys = keys
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    app.client.perform_actions(keys).await.expect("typing");
    let _ = app.client.release_actions().await;
}

/// Presses Enter in a field without changing what it holds.
async fn type_and_enter_keep(app: &App, testid: &str) {
    app.el(testid).await.send_keys("\u{e007}").await.unwrap();
}

/// Three items, one of them a quick key (a croissant has no barcode), and
/// one-tap Card with the terminal reference optional: two scans, a tile, F9,
/// Card — five actions (target ≤ 6).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_one_tap_card() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    coffee(&app).await;
    let croissant = product_in_stock(&app, "CROIS", "2000000000039", "Croissant", 180, 20).await;
    product_in_stock(&app, "JAM", "2000000000046", "Jam", 350, 20).await;
    shop_settings(&app, json!({ "card_reference": "optional" })).await;
    let pages = ok(&app, "catalog.key_pages", json!({})).await;
    let favourites = pages["pages"][0]["id"].as_i64().unwrap();
    ok(
        &app,
        "catalog.place_tile",
        json!({ "idempotency_key": "e2e-tile-croissant", "page_id": favourites,
                "product_id": croissant }),
    )
    .await;
    // The till reads its quick keys when the cart view opens.
    app.click("nav-orders").await;
    app.click("nav-till").await;
    app.el("grid-tile-CROIS").await;

    let mut n = Actions(0);
    for (barcode, sku) in [("4006381333948", "FLAT-W"), ("2000000000046", "JAM")] {
        n.0 += 1; // a scan is one action
        scan(&app, barcode, sku, 1).await;
    }
    n.click(&app, "grid-tile-CROIS").await;
    wait_css(&app, "[data-testid='cart-line-CROIS'][data-quantity='1']").await;
    assert_eq!(quoted_total(&app).await, 699 + 180 + 350);
    n.key(&app, "till-search", F9).await;
    app.wait_text("tender-card-now", &money(1229)).await;
    n.click(&app, "tender-card-now").await;
    app.el("till-receipt").await;
    assert!(n.0 <= 6, "three items by card took {} actions", n.0);
    let made = orders(&app).await;
    let order = ok(&app, "sales.get", json!({ "id": made[0]["id"] })).await;
    assert_eq!(order["payments"][0]["tender"], "card");
    assert_eq!(order["payments"][0]["amount_minor"], 1229);
    app.close().await;
}

/// 10 % off a three-line basket: the core works it out once and spreads it over
/// the lines, whose shares sum to it; the till shows the core's totals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_percentage_basket_discount() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    shop_settings(&app, json!({})).await;
    let a = product_in_stock(&app, "MILK-1L", "4006381333931", "Milk 1 l", 129, 10).await;
    let b = product_in_stock(&app, "BREAD", "2000000000015", "Bread", 250, 10).await;
    let c = product_in_stock(&app, "EGGS-6", "2000000000022", "Eggs 6", 199, 10).await;
    app.el("till").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    scan(&app, "2000000000015", "BREAD", 1).await;
    scan(&app, "2000000000022", "EGGS-6", 1).await;
    assert_eq!(quoted_total(&app).await, 578);

    app.click("till-discount-sale").await;
    app.el("discount-dialog").await;
    app.fill("discount-basket", "10%").await;
    shot(&app, "till-paying-2").await;
    app.click("discount-basket-apply").await;
    app.gone("discount-dialog").await;
    // 10 % of 5.78 = 0.578 → 0.58, rounded once by the core.
    app.wait_text("till-basket-amount", "-0.58").await;
    app.wait_text("till-total", "5.20").await;

    // The same cart as the core prices it: the lines' shares sum to the basket's.
    let q = ok(
        &app,
        "sales.quote",
        json!({ "lines": [
            { "product_id": a, "quantity": 1 },
            { "product_id": b, "quantity": 1 },
            { "product_id": c, "quantity": 1 },
        ], "basket_discount": { "percent_bp": 1000 } }),
    )
    .await;
    let shares: i64 = q["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["basket_discount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(shares, 58);
    assert_eq!(q["basket_discount_minor"], 58);
    assert_eq!(q["total_minor"], 520);

    app.el("till-search").await.send_keys(F9).await.unwrap();
    app.click("tender-exact").await;
    app.el("till-receipt").await;
    app.wait_text("receipt-discount", "-0.58").await;
    let made = orders(&app).await;
    let order = ok(&app, "sales.get", json!({ "id": made[0]["id"] })).await;
    let line_discounts: i64 = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["discount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(line_discounts, 58);
    assert_eq!(order["total_minor"], 520);

    // The owner defines a preset from the same dialog; the till offers it as a button.
    app.click("receipt-new-sale").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    scan(&app, "2000000000015", "BREAD", 1).await;
    quoted_total(&app).await;
    app.click("till-discount-sale").await;
    app.click("preset-manager-open").await;
    app.fill("preset-name", "Regulars").await;
    app.fill("preset-value", "10%").await;
    app.fill("preset-max", "0.30").await;
    app.click("preset-create").await;
    let button = wait_css(&app, "[data-testid^='discount-preset-']").await;
    button.click().await.unwrap();
    app.gone("discount-dialog").await;
    // 10 % of 3.79 = 0.38, capped at 0.30 by the preset.
    app.wait_text("till-basket-amount", "-0.30").await;
    app.wait_text("till-total", "3.49").await;
    app.close().await;
}

/// A cashier asks 20 % off; the sale's Pay says a manager can approve it, the
/// manager's PIN approves it on the cashier's screen, the audit row names both,
/// and the next discount needs an approval again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_cashier_discount_approved_by_manager_pin() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    coffee(&app).await;
    for (key, username, name, role, pw) in [
        ("e2e-cass", "cass", "Cass Cashier", "cashier", CASHIER_PW),
        ("e2e-mara", "mara", "Mara Manager", "manager", MANAGER_PW),
    ] {
        ok(
            &app,
            "users.create",
            json!({ "idempotency_key": key, "username": username, "display_name": name,
                    "role": role, "password": pw, "pin": "1357" }),
        )
        .await;
    }
    log_out(&app).await;
    log_in(&app, "cass", CASHIER_PW).await;
    app.wait_text("header-user", "Cass Cashier").await;
    app.el("till").await;

    scan(&app, "4006381333948", "FLAT-W", 1).await;
    quoted_total(&app).await;
    app.click("till-discount-sale").await;
    app.fill("discount-basket", "20%").await;
    app.click("discount-basket-apply").await;
    // The core prices the preview (6.99 less 1.40); the permission is asked for at Pay.
    app.wait_text("till-total", "5.59").await;
    app.el("till-search").await.send_keys(F9).await.unwrap();
    app.click("tender-exact").await;
    app.el("approval-dialog").await;
    app.wait_text("approval-reason", "give this discount").await;
    app.fill("approval-username", "mara").await;
    app.fill("approval-secret", "1357").await;
    shot(&app, "till-paying-3").await;
    app.click("approval-submit").await;
    app.el("till-receipt").await;
    app.wait_text("receipt-total", "5.59").await;

    // The next discount needs an approval again: nothing was kept.
    app.click("receipt-new-sale").await;
    scan(&app, "4006381333948", "FLAT-W", 1).await;
    quoted_total(&app).await;
    app.click("till-discount-sale").await;
    app.fill("discount-basket", "20%").await;
    app.click("discount-basket-apply").await;
    app.wait_text("till-total", "5.59").await;
    app.el("till-search").await.send_keys(F9).await.unwrap();
    app.click("tender-exact").await;
    app.el("approval-dialog").await;
    // A wrong PIN is refused in plain words, and sells nothing.
    app.fill("approval-username", "mara").await;
    app.fill("approval-secret", "9999").await;
    app.click("approval-submit").await;
    app.wait_text("error-plain", "approval was refused").await;
    assert!(!app.exists("till-receipt").await);
    log_out_from_tender(&app).await;

    log_in(&app, "olive", crate::flows::OWNER_PW).await;
    app.wait_text("header-user", "Olive Owner").await;
    let rows = ok(&app, "audit.list", json!({ "command": "sales.checkout" })).await;
    let rows = rows.as_array().unwrap();
    let approved: Vec<&Value> = rows.iter().filter(|r| r["result"] == "ok").collect();
    assert_eq!(approved.len(), 1, "{rows:?}");
    assert_eq!(approved[0]["username"], "cass");
    assert_eq!(approved[0]["approved_by_username"], "mara");
    let refused = rows
        .iter()
        .filter(|r| r["result"] == "refused" && r["summary"]["approver"] == "mara")
        .count();
    assert_eq!(refused, 1, "{rows:?}");
    assert_eq!(orders(&app).await.len(), 1);
    app.close().await;
}

/// Back from the tender screen to the cart, then out.
async fn log_out_from_tender(app: &App) {
    if app.exists("tender-back").await {
        app.click("tender-back").await;
    }
    wait_css(app, "[data-testid='till-search']").await;
    log_out(app).await;
}
