//! Items that aren't counted and items sold by weight, in the real window: a
//! flat white made in the Products form with "Track stock" off and sold with
//! no stock ever received; cheddar by a typed weight and by a scale label;
//! "Only 2 left" said when the line is added.

use crate::flows::{
    money, ok, pay_cash, product_in_stock, quoted_total, scan, set_up_and_log_in, shot,
    type_and_enter, wait_css,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::{json, Value};

/// Cash sales may need an open drawer (issue 12): open one, as a cashier would.
async fn open_shift(app: &App) {
    let _ = app
        .invoke("shifts.open", json!({ "opening_float_minor": 5000 }))
        .await;
}

/// Cheddar at 14.00 per kg, PLU 12, zero-rated (the total is the gross),
/// with 2.000 kg received at 9.00 per kg.
async fn cheddar_in_stock(app: &App) -> i64 {
    let p = ok(
        app,
        "catalog.create_product",
        json!({ "idempotency_key": "e2e-prod-cheddar", "sku": "CHEDDAR", "name": "Cheddar",
                "unit": "kg", "tax_class": "zero", "price_minor": 1400, "plu": "12" }),
    )
    .await;
    let id = p["id"].as_i64().unwrap();
    ok(
        app,
        "stock.receive",
        json!({ "idempotency_key": "e2e-recv-cheddar", "product_id": id, "lot_code": "CH-1",
                "unit_cost_minor": 900, "quantity": 2000 }),
    )
    .await;
    id
}

/// The EAN-13 of the 12 digits `body`, with its check digit.
fn ean13(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

async fn last_order(app: &App) -> Value {
    let page = ok(app, "sales.list", json!({})).await;
    let id = page["orders"][0]["id"].clone();
    ok(app, "sales.get", json!({ "id": id })).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_untracked_coffee_sold() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    open_shift(&app).await;

    // The owner makes the flat white in the Products form: not counted, 0.60 of ingredients.
    app.click("nav-products").await;
    app.click("products-create").await;
    app.el("product-create-dialog").await;
    app.fill("product-sku", "FLATWHITE").await;
    app.fill("product-name", "Flat white").await;
    app.fill("product-price", "3.20").await;
    app.click("product-track_stock").await;
    app.fill("product-standard_cost", "0.60").await;
    shot(&app, "till-items-1").await;
    app.click("product-submit").await;
    app.gone("product-create-dialog").await;
    app.wait_text("product-detail-stock", "not tracked").await;

    // Sold at the till with no stock ever received.
    app.click("nav-till").await;
    scan(&app, "FLATWHITE", "FLATWHITE", 1).await;
    let total = quoted_total(&app).await;
    shot(&app, "till-items-2").await;
    pay_cash(&app).await;
    app.wait_text("receipt-total", &money(total)).await;

    let order = last_order(&app).await;
    assert_eq!(order["cost_minor"], json!(60), "{order}");
    assert_eq!(order["lines"][0]["batches"], json!([]), "{order}");
    let product_id = order["lines"][0]["product_id"].clone();
    let moves = ok(&app, "stock.movements", json!({ "product_id": product_id })).await;
    assert_eq!(moves, json!([]), "an untracked sale moved stock");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_cheese_by_typed_weight() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    open_shift(&app).await;
    cheddar_in_stock(&app).await;

    app.el("till").await;
    // A weighed product comes in at 1.000 kg with its weight field ready for typing.
    scan(&app, "CHEDDAR", "CHEDDAR", 1000).await;
    type_and_enter(&app, "cart-weight-CHEDDAR", "0.350").await;
    wait_css(
        &app,
        "[data-testid='cart-line-CHEDDAR'][data-quantity='350']",
    )
    .await;
    app.wait_text("cart-summary-CHEDDAR", "0.350 kg × 14.00/kg")
        .await;
    app.wait_text("cart-total-CHEDDAR", "4.90").await;
    assert_eq!(quoted_total(&app).await, 490);
    shot(&app, "till-items-3").await;

    // Too many decimals is said beside the line, and the weight stays as it was.
    type_and_enter(&app, "cart-weight-CHEDDAR", "0.3505").await;
    app.wait_text("cart-error-CHEDDAR", "at most 3 decimals")
        .await;
    wait_css(
        &app,
        "[data-testid='cart-line-CHEDDAR'][data-quantity='350']",
    )
    .await;
    type_and_enter(&app, "cart-weight-CHEDDAR", "0.350").await;

    pay_cash(&app).await;
    app.wait_text("receipt-total", "4.90").await;
    app.wait_text("till-receipt", "0.350 kg × 14.00/kg").await;
    let order = last_order(&app).await;
    assert_eq!(order["lines"][0]["quantity"], json!(350));
    assert_eq!(order["cost_minor"], json!(315));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_cheese_by_scale_barcode() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    open_shift(&app).await;
    cheddar_in_stock(&app).await;
    // The deli's scale prints 21 | PLU (5) | grams (5) | check digit.
    let s = ok(&app, "settings.get", json!({})).await;
    let mut settings = s["settings"].clone();
    settings["scale_barcodes"] =
        json!([{ "prefix_from": "21", "prefix_to": "21", "embeds": "weight", "plu_digits": 5 }]);
    ok(
        &app,
        "settings.update",
        json!({ "version": s["version"], "settings": settings }),
    )
    .await;

    app.el("till").await;
    let label = ean13("210001200350");
    scan(&app, &label, "CHEDDAR", 350).await;
    app.wait_text("cart-total-CHEDDAR", "4.90").await;
    app.wait_text("cart-summary-CHEDDAR", "0.350 kg").await;
    shot(&app, "till-items-4").await;

    // A misread label (wrong check digit) is refused in plain words; the cart is as it was.
    let last = label.as_bytes()[12] - b'0';
    let misread = format!("{}{}", &label[..12], (last + 1) % 10);
    type_and_enter(&app, "till-search", &misread).await;
    app.wait_text("error-banner", "check digit is wrong").await;
    shot(&app, "till-items-5").await;
    wait_css(
        &app,
        "[data-testid='cart-line-CHEDDAR'][data-quantity='350']",
    )
    .await;
    assert_eq!(quoted_total(&app).await, 490);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_only_two_left_shown_when_the_line_is_added() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    open_shift(&app).await;
    product_in_stock(&app, "SOAP", "5012345678900", "Soap", 250, 2).await;

    app.el("till").await;
    scan(&app, "5012345678900", "SOAP", 1).await;
    scan(&app, "5012345678900", "SOAP", 2).await;
    // Both are in the cart: the line says so at once.
    app.wait_text("cart-left-SOAP", "Only 2 left").await;
    // A third scan is refused then and there, not first at Pay.
    type_and_enter(&app, "till-search", "5012345678900").await;
    app.wait_text("cart-error-SOAP", "Only 2 left").await;
    shot(&app, "till-items-6").await;
    wait_css(&app, "[data-testid='cart-line-SOAP'][data-quantity='2']").await;
    assert_eq!(quoted_total(&app).await, 600);

    // Parked, the two are reserved; recalled, they are this cart's own: no "Only 0 left".
    app.click("till-park").await;
    app.fill("park-label", "soap order").await;
    app.click("park-submit").await;
    app.gone("park-dialog").await;
    app.click("till-held-toggle").await;
    let row = wait_css(&app, "[data-testid^='held-row-'][data-label='soap order']").await;
    let hold_id = crate::flows::testid_suffix(&row, "held-row-").await;
    app.click(&format!("held-recall-{hold_id}")).await;
    wait_css(&app, "[data-testid='cart-line-SOAP'][data-quantity='2']").await;
    assert_eq!(quoted_total(&app).await, 600);
    assert!(
        !app.exists("cart-error-SOAP").await,
        "a recalled hold's own units were counted as taken"
    );
    pay_cash(&app).await;
    app.wait_text("receipt-total", "6.00").await;
    app.close().await;
}
