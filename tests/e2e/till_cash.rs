//! Cash control in the real window (issue 12): a cash sale refused with no
//! shift open and "Open shift" from the till making it work; the blind close
//! counted by note and coin; a customer found by phone and one created at the
//! till; a split-tender refund that names each amount.

use crate::flows::{
    fill_refund, money, open_order, product_in_stock, scan, set_up_and_log_in, shot, submit_refund,
    wait_css,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::json;

/// Waits for the till's quote without opening a shift (`flows::quoted_total` would).
async fn wait_for_quote(app: &App) {
    wait_css(app, "[data-testid='till-pay']:not([disabled])").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_cash_sale_refused_without_an_open_shift() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    product_in_stock(&app, "MILK-1L", "4006381333931", "Milk 1 l", 129, 10).await;

    // The till says so before Pay.
    app.el("till").await;
    app.wait_text(
        "till-no-shift-text",
        "Open a shift (count the float) before taking cash",
    )
    .await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    wait_for_quote(&app).await;
    app.click("till-pay").await;
    app.el("tender").await;
    app.click("tender-add-cash").await;
    app.wait_text("tender-remaining", "0.00").await;
    wait_css(&app, "[data-testid='tender-pay']:not([disabled])").await;
    app.click("tender-pay").await;
    app.wait_text(
        "error-plain",
        "Open a shift (count the float) before taking cash",
    )
    .await;
    assert!(!app.exists("till-receipt").await);
    shot(&app, "till-cash-1").await;

    // "Open shift" in place: the float, then back to the same sale.
    app.click("till-open-shift").await;
    app.fill("till-shift-float", "100.00").await;
    shot(&app, "till-cash-2").await;
    app.click("till-shift-open").await;
    app.gone("till-no-shift").await;
    app.el("tender").await;
    wait_css(&app, "[data-testid='tender-pay']:not([disabled])").await;
    app.click("tender-pay").await;
    app.el("till-receipt").await;
    app.wait_text("receipt-total", "1.55").await;
    let current = app.invoke("shifts.current", json!({})).await;
    assert_eq!(current["data"]["opening_float_minor"], 10_000, "{current}");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_blind_close_by_denomination() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    product_in_stock(&app, "BREAD", "2000000000015", "Bread", 250, 10).await;

    app.click("nav-shift").await;
    app.fill("shift-open-float", "100.00").await;
    app.click("shift-open").await;
    app.el("xr").await;
    // A cash sale of 3.00 (2.50 and 20 % tax): the drawer should hold 103.00.
    let sold = app
        .invoke(
            "sales.checkout",
            json!({"idempotency_key": "e2e-blind-sale", "lines": [{"product_id": 1, "quantity": 1}],
                   "payments": [{"tender": "cash", "amount_minor": 300}]}),
        )
        .await;
    assert_eq!(sold["ok"], true, "{sold}");
    app.click("nav-till").await;
    app.el("till").await;
    app.click("nav-shift").await;
    app.el("xr").await;
    app.el("xr-drawer-hidden").await;
    app.el("shift-close-denominations").await;
    // The expected figure is nowhere on screen before the count.
    assert!(!app.exists("xr-expected").await);
    let before = app.body_text().await;
    assert!(
        !before.contains("103.00"),
        "the expected cash is on screen: {before}"
    );

    // Count by note and coin: 2 × 50.00, 1 × 2.00, 1 × 0.50 = 102.50 (short by 0.50).
    app.fill("count-denom-5000", "2").await;
    app.fill("count-denom-200", "1").await;
    app.fill("count-denom-50", "1").await;
    app.wait_text("shift-close-total", "102.50").await;
    shot(&app, "till-cash-3").await;
    app.click("shift-close").await;
    app.wait_text("shift-close-confirm-text", "102.50").await;
    shot(&app, "till-cash-4").await;
    app.click("shift-close-confirm").await;

    // Over/short after.
    app.wait_text("zr-title", "Z-report").await;
    app.wait_text("zr-expected", "103.00").await;
    app.wait_text("zr-counted", "102.50").await;
    app.wait_text("zr-over-short", "-0.50").await;
    app.wait_text("zr-over-short-word", "Short").await;
    app.wait_text("zr-count-5000", "50.00 × 2").await;
    shot(&app, "till-cash-5").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_customer_found_by_phone() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    let c = app
        .invoke(
            "customers.create",
            json!({"idempotency_key": "e2e-cust-priya", "name": "Priya Patel", "phone": "07700 900123"}),
        )
        .await;
    assert_eq!(c["ok"], true, "{c}");
    let id = c["data"]["id"].as_i64().unwrap();
    app.el("till").await;
    app.fill("till-customer-search", "07700").await;
    app.el(&format!("till-customer-hit-{id}")).await;
    shot(&app, "till-cash-6").await;
    app.click(&format!("till-customer-hit-{id}")).await;
    wait_css(
        &app,
        &format!("[data-testid='till-customer'][data-customer-id='{id}']"),
    )
    .await;
    // Any part of the name finds her too.
    app.click("till-customer-remove").await;
    app.fill("till-customer-search", "patel").await;
    app.el(&format!("till-customer-hit-{id}")).await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_customer_created_at_the_till() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    product_in_stock(&app, "MILK-1L", "4006381333931", "Milk 1 l", 129, 10).await;
    app.el("till").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    // Nobody found by that number: create them from what was typed.
    app.fill("till-customer-search", "07700 111222").await;
    app.click("till-customer-new").await;
    app.fill("till-new-customer-name", "Dana Scully").await;
    shot(&app, "till-cash-7").await;
    app.click("till-new-customer-save").await;
    app.wait_text("till-customer", "Dana Scully").await;
    // The sale is untouched.
    app.el("cart-line-MILK-1L").await;
    let found = app
        .invoke("customers.search", json!({"prefix": "07700111"}))
        .await;
    assert_eq!(found["data"][0]["name"], "Dana Scully", "{found}");
    assert_eq!(found["data"][0]["phone"], "07700 111222", "{found}");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_split_tender_refund_names_each_amount() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    product_in_stock(&app, "CHEESE", "2000000000039", "Cheese", 1400, 10).await;
    app.el("till").await;
    app.click("till-open-shift").await;
    app.fill("till-shift-float", "50").await;
    app.click("till-shift-open").await;
    app.gone("till-no-shift").await;
    scan(&app, "2000000000039", "CHEESE", 1).await;
    wait_for_quote(&app).await;
    // 16.80 (14.00 and 20 % tax): 12.28 by card, 4.52 cash.
    app.click("till-pay").await;
    app.click("tender-add-card").await;
    app.fill("tender-amount-0", "12.28").await;
    app.fill("tender-reference-0", "TRM-7").await;
    app.click("tender-add-cash").await;
    app.fill("tender-amount-1", "4.52").await;
    app.wait_text("tender-remaining", "0.00").await;
    wait_css(&app, "[data-testid='tender-pay']:not([disabled])").await;
    app.click("tender-pay").await;
    app.el("till-receipt").await;
    let receipt = app.text("receipt-number").await;
    let receipt = receipt.trim().trim_start_matches('#').to_string();

    open_order(&app, &receipt).await;
    fill_refund(&app, 1, 1, "mouldy").await;
    submit_refund(&app, "Give 4.52 cash, refund 12.28 to the card").await;
    app.wait_text(
        "refund-hand-back",
        "Give 4.52 cash, refund 12.28 to the card",
    )
    .await;
    app.wait_text("refund-slip-total", &money(1680)).await;
    shot(&app, "till-cash-8").await;
    app.close().await;
}

/// Staff sign-in by PIN on a shared till, and "Switch user" keeping the cart:
/// the owner's cart is parked under her name, the cashier taps her tile,
/// types her PIN and recalls the sale; the cash goes into the one open drawer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_pin_sign_in_and_switch_user_keep_the_cart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    product_in_stock(&app, "MILK-1L", "4006381333931", "Milk 1 l", 129, 10).await;
    let created = app
        .invoke(
            "users.create",
            json!({"idempotency_key": "e2e-cashier-pin", "username": "cass",
                   "display_name": "Cass Cashier", "role": "cashier",
                   "password": crate::flows::CASHIER_PW, "pin": "1357"}),
        )
        .await;
    assert_eq!(created["ok"], true, "{created}");
    let cass = created["data"]["id"].as_i64().unwrap();
    let settings = app.invoke("settings.get", json!({})).await;
    let mut doc = settings["data"]["settings"].clone();
    doc["staff_pin_sign_in"] = json!(true);
    let saved = app
        .invoke(
            "settings.update",
            json!({"version": settings["data"]["version"], "settings": doc}),
        )
        .await;
    assert_eq!(saved["ok"], true, "{saved}");
    let opened = app
        .invoke(
            "shifts.open",
            json!({"idempotency_key": "e2e-pin-shift", "opening_float_minor": 5000}),
        )
        .await;
    assert_eq!(opened["ok"], true, "{opened}");

    // The owner starts a sale, then switches user: the cart is parked under her name.
    app.el("till").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    scan(&app, "4006381333931", "MILK-1L", 2).await;
    app.click("switch-user").await;
    app.el(&format!("login-tile-{cass}")).await;
    shot(&app, "till-cash-9").await;
    // Cass taps her name and types her PIN (a wrong one first).
    app.click(&format!("login-tile-{cass}")).await;
    app.fill("login-pin-pin", "0000").await;
    app.click("login-pin-submit").await;
    app.wait_text("error-plain", "Wrong PIN").await;
    app.fill("login-pin-pin", "1357").await;
    app.click("login-pin-submit").await;
    app.wait_text("header-user", "Cass Cashier").await;
    let held = app.invoke("sales.held", json!({})).await;
    assert!(
        held.to_string().contains("Olive Owner's sale"),
        "the parked cart is labelled with the cashier's name: {held}"
    );

    // She recalls the parked sale and takes cash into the till's open drawer.
    app.el("till").await;
    app.click("till-held-toggle").await;
    let recall = wait_css(&app, "[data-testid^='held-recall-']").await;
    recall.click().await.unwrap();
    wait_css(&app, "[data-testid='cart-line-MILK-1L'][data-quantity='2']").await;
    assert!(!app.exists("till-no-shift").await);
    crate::flows::pay_cash(&app).await;
    let current = app.invoke("shifts.current", json!({})).await;
    assert_eq!(
        current["data"]["user_id"], 1,
        "the owner's drawer: {current}"
    );
    let sold = app
        .invoke("sales.list", json!({"shift_id": current["data"]["id"]}))
        .await;
    assert_eq!(
        sold["data"]["orders"].as_array().map(Vec::len),
        Some(1),
        "{sold}"
    );
    app.close().await;
}
