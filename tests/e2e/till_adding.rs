//! Adding items fast, in the real window: the owner arranges a quick key page
//! and the cashier taps its tiles; `3*` then a scan; a scan on the receipt
//! screen starts the next sale with the item; an unknown code is an error that
//! leaves the field empty for the next scan (and offers "Add this product");
//! the Products screen lists the catalogue by category and "m" finds milk.
//! The scanner is played by WebDriver key actions: a whole code and Enter in
//! one burst, to whatever has the focus, as a USB scanner types.

use crate::flows::{
    log_in, log_out, milk_bread_and_eggs, ok, pay_cash, product_in_stock, scan, set_up_and_log_in,
    shot, wait_css, CASHIER_PW,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::json;

/// The WebDriver key for Enter.
const ENTER: char = '\u{e007}';

/// A scanner's burst: every character of `code`, then Enter, as one key
/// sequence to the focused element (no field is chosen: it types wherever
/// the focus is).
async fn scanner_types(app: &App, code: &str) {
    let mut keys = KeyActions::new("scanner".into());
    for c in code.chars().chain(std::iter::once(ENTER)) {
        keys = keys
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    app.client
        .perform_actions(keys)
        .await
        .expect("scanner keys");
    let _ = app.client.release_actions().await;
}

async fn add_cashier(app: &App) {
    ok(
        app,
        "users.create",
        json!({ "idempotency_key": "e2e-user-cass", "username": "cass", "display_name": "Cass Cashier",
                "role": "cashier", "password": CASHIER_PW }),
    )
    .await;
}

/// What an input holds (its text is always empty to WebDriver).
async fn value_of(app: &App, testid: &str) -> String {
    app.el(testid)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn cart_has(app: &App, sku: &str, quantity: u32) {
    wait_css(
        app,
        &format!("[data-testid='cart-line-{sku}'][data-quantity='{quantity}']"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_tile_page_adds_items() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    product_in_stock(&app, "CROISSANT", "2000000000039", "Croissant", 180, 20).await;
    product_in_stock(
        &app,
        "PAIN-CHOC",
        "2000000000046",
        "Pain au chocolat",
        210,
        20,
    )
    .await;
    milk_bread_and_eggs(&app).await;
    add_cashier(&app).await;

    // The owner arranges a page: two pastries, the second moved first, coloured.
    app.click("nav-quick-keys").await;
    app.el("quick-keys").await;
    app.fill("qk-new-name", "Bakery").await;
    app.click("qk-new-submit").await;
    app.wait_text("qk-notice", "Bakery").await;
    app.el("qk-page-detail").await;
    app.fill("qk-product-search", "crois").await;
    app.click("qk-pick-CROISSANT").await;
    app.el("qk-tile-CROISSANT").await;
    app.fill("qk-product-search", "pain").await;
    app.click("qk-pick-PAIN-CHOC").await;
    app.el("qk-tile-PAIN-CHOC").await;
    app.click("qk-up-PAIN-CHOC").await;
    wait_css(&app, "[data-testid='qk-tile-PAIN-CHOC'][data-position='1']").await;
    app.click("qk-colour-CROISSANT-yellow").await;
    wait_css(
        &app,
        "[data-testid='qk-tile-CROISSANT'][data-colour='yellow']",
    )
    .await;
    app.click("qk-colour-PAIN-CHOC-brown").await;
    wait_css(
        &app,
        "[data-testid='qk-tile-PAIN-CHOC'][data-colour='brown']",
    )
    .await;
    // Favourites, first: the milk.
    let pages = ok(&app, "catalog.key_pages", json!({})).await;
    let fav = pages["pages"][0]["id"].as_i64().unwrap();
    app.click(&format!("qk-page-{fav}")).await;
    wait_css(
        &app,
        &format!("[data-testid='qk-page-detail'][data-page-id='{fav}']"),
    )
    .await;
    app.fill("qk-product-search", "milk").await;
    app.click("qk-pick-MILK-1L").await;
    app.el("qk-tile-MILK-1L").await;
    app.click("qk-colour-MILK-1L-blue").await;
    wait_css(&app, "[data-testid='qk-tile-MILK-1L'][data-colour='blue']").await;
    shot(&app, "till-adding-2").await;
    log_out(&app).await;

    // The cashier: favourites shows first; taps add one each; a second tap adds another.
    log_in(&app, "cass", CASHIER_PW).await;
    app.el("till-grid").await;
    app.click("grid-tile-MILK-1L").await;
    cart_has(&app, "MILK-1L", 1).await;
    let bakery = pages["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Bakery")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    app.click(&format!("grid-tab-{bakery}")).await;
    // The page's order: pain au chocolat first, as arranged.
    let first = wait_css(&app, "[data-testid='grid-tiles'] button.tile").await;
    assert_eq!(
        first.attr("data-testid").await.unwrap().as_deref(),
        Some("grid-tile-PAIN-CHOC")
    );
    app.click("grid-tile-CROISSANT").await;
    cart_has(&app, "CROISSANT", 1).await;
    app.click("grid-tile-CROISSANT").await;
    cart_has(&app, "CROISSANT", 2).await;
    // Keyboard: the focused tile, Enter adds one; an arrow key moves to the next tile.
    app.el("grid-tile-PAIN-CHOC")
        .await
        .send_keys(&ENTER.to_string())
        .await
        .unwrap();
    cart_has(&app, "PAIN-CHOC", 1).await;
    // `3*` then a tile: three of it.
    app.fill("till-search", "3*").await;
    app.click("grid-tile-PAIN-CHOC").await;
    cart_has(&app, "PAIN-CHOC", 4).await;
    assert_eq!(value_of(&app, "till-search").await, "");
    shot(&app, "till-adding-1").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_quantity_multiplier_then_scan() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    milk_bread_and_eggs(&app).await;
    app.click("nav-till").await;
    app.el("till-search").await;
    // Typed by hand: 3 and *, then the scanner reads the milk.
    app.fill("till-search", "3*").await;
    scanner_types(&app, "4006381333931").await;
    cart_has(&app, "MILK-1L", 3).await;
    assert_eq!(value_of(&app, "till-search").await, "");
    // A typed quantity in the line replaces it; + and − step it.
    app.click("cart-qty-MILK-1L").await;
    // Its "3" is selected on focus; Backspace, 5, Enter (WebDriver's clear would blur it).
    app.el("cart-qty-input-MILK-1L")
        .await
        .send_keys(&format!("\u{e003}5{ENTER}"))
        .await
        .unwrap();
    cart_has(&app, "MILK-1L", 5).await;
    app.click("cart-dec-MILK-1L").await;
    cart_has(&app, "MILK-1L", 4).await;
    // A scan with no multiplier adds one.
    scan(&app, "2000000000015", "BREAD", 1).await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_scan_right_after_a_sale_starts_the_next_sale() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    milk_bread_and_eggs(&app).await;
    app.click("nav-till").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    pay_cash(&app).await;
    let first_receipt = app.text("receipt-number").await;
    // The receipt is up, "New sale" has the focus: the next customer's bread is scanned.
    app.el("receipt-new-sale").await;
    scanner_types(&app, "2000000000015").await;
    app.el("till-cart").await;
    cart_has(&app, "BREAD", 1).await;
    // The scan did not press "New sale" and lose the item, nor sell the milk again.
    assert!(!app.exists("cart-line-MILK-1L").await);
    let sales = ok(&app, "sales.list", json!({})).await;
    assert_eq!(sales["orders"].as_array().unwrap().len(), 1);
    pay_cash(&app).await;
    assert_ne!(app.text("receipt-number").await, first_receipt);
    // The receipt shows its code as text; scanning it opens that sale in Orders.
    let code = app.text("receipt-code").await;
    assert!(code.starts_with("RCPT-"), "{code}");
    scanner_types(&app, code.trim()).await;
    app.el("order-detail").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_scan_after_not_found_is_not_appended() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    milk_bread_and_eggs(&app).await;
    app.click("nav-till").await;
    app.el("till-search").await;
    scanner_types(&app, "5999999999999").await;
    // The error style (role=alert, the error class), not the green notice; the field is empty.
    let err = app.el("till-scan-error").await;
    assert_eq!(err.attr("role").await.unwrap().as_deref(), Some("alert"));
    assert!(err
        .attr("class")
        .await
        .unwrap()
        .unwrap()
        .contains("scan-error"));
    assert!(!app.exists("till-notice").await);
    assert_eq!(value_of(&app, "till-search").await, "");
    shot(&app, "till-adding-3").await;
    // The next scan goes in alone (not "5999…4006…").
    scanner_types(&app, "4006381333931").await;
    cart_has(&app, "MILK-1L", 1).await;
    app.gone("till-scan-error").await;

    // The owner may add the unknown product there and then: the barcode is filled in.
    scanner_types(&app, "5012345678900").await;
    app.el("till-scan-error").await;
    app.click("till-scan-add-product").await;
    app.el("till-add-product").await;
    assert_eq!(
        value_of(&app, "till-product-barcode").await,
        "5012345678900"
    );
    app.fill("till-product-sku", "JAM-340").await;
    app.fill("till-product-name", "Strawberry jam").await;
    app.fill("till-product-price", "3.20").await;
    app.click("till-product-submit").await;
    app.gone("till-add-product").await;
    cart_has(&app, "JAM-340", 1).await;
    // Clear empties the sale and leaves the scan field focused for the next scan.
    app.click("till-clear").await;
    app.gone("cart-line-JAM-340").await;
    let active = app.client.active_element().await.unwrap();
    assert_eq!(
        active.attr("data-testid").await.unwrap().as_deref(),
        Some("till-search")
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_products_listed_by_category_and_m_finds_milk() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    for (sku, name, cat) in [
        ("DAI-MILK", "Semi-skimmed milk", "Dairy"),
        ("DAI-BRIE", "Brie", "Dairy"),
        ("BAK-LOAF", "Sourdough loaf", "Bakery"),
    ] {
        ok(
            &app,
            "catalog.create_product",
            json!({ "idempotency_key": format!("e2e-{sku}"), "sku": sku, "name": name, "category": cat, "price_minor": 250 }),
        )
        .await;
    }
    app.click("nav-products").await;
    // No search typed: the catalogue, by name.
    app.el("products-list").await;
    app.el("product-row-BAK-LOAF").await;
    app.el("product-row-DAI-MILK").await;
    app.select("products-category", "Dairy").await;
    app.gone("product-row-BAK-LOAF").await;
    app.el("product-row-DAI-BRIE").await;
    shot(&app, "till-adding-4").await;
    // "m" finds "Semi-skimmed milk" by a word's prefix.
    app.fill("products-search", "m").await;
    app.el("product-row-DAI-MILK").await;
    app.gone("product-row-DAI-BRIE").await;
    app.close().await;
}
