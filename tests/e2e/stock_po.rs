//! Stock made simple in the real window: a product under its reorder point is
//! suggested on a purchase order, the order is edited, sent and received in
//! part, and the stock list shows the new on-hand; stock received with no lot
//! code gets one made up.

use crate::flows::{ok, set_up_and_log_in, shot, type_and_enter};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::json;
use std::time::Duration;

/// Waits until the element's text is exactly `want` (trimmed).
async fn wait_exact(app: &App, testid: &str, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let t = app.text(testid).await;
        if t.trim() == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{testid} says {t:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_purchase_order_suggested_from_reorder_point_and_received_in_part() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    let dairy = ok(
        &app,
        "vendors.create",
        json!({"idempotency_key": "e2e-vendor-dairy", "name": "Dairy Co"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let milk = ok(
        &app,
        "catalog.create_product",
        json!({"idempotency_key": "e2e-prod-milk", "sku": "MILK", "name": "Milk 1 l", "price_minor": 129,
               "category": "Dairy", "reorder_point": 10, "reorder_quantity": 24, "preferred_vendor_id": dairy}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    ok(
        &app,
        "stock.receive",
        json!({"idempotency_key": "e2e-recv-milk", "product_id": milk, "unit_cost_minor": 60, "quantity": 4}),
    )
    .await;

    // The stock list shows it low, with the badge.
    app.click("nav-stock").await;
    wait_exact(&app, "stock-list-on-hand-MILK", "4 each").await;
    app.wait_text("stock-low-badge", "1 low").await;
    shot(&app, "stock-1").await;

    // Suggest: one draft to Dairy Co with the reorder quantity.
    app.click("nav-purchase-orders").await;
    app.el("po-empty").await;
    app.click("po-suggest").await;
    wait_exact(&app, "po-status-1", "Draft").await;
    assert_eq!(
        app.attr("po-qty-1-MILK", "value").await.as_deref(),
        Some("24")
    );
    // Edit the line: 30 instead of 24, saved against the version read.
    app.fill("po-qty-1-MILK", "30").await;
    app.click("po-save-1").await;
    app.wait_text("po-message", "Order 1 saved").await;
    let order = ok(&app, "purchase_orders.get", json!({"id": 1})).await;
    assert_eq!(order["lines"][0]["quantity"], 30, "{order}");
    // Send, then receive 12 of the 30.
    app.click("po-send-1").await;
    wait_exact(&app, "po-status-1", "Sent").await;
    app.el("po-csv-1").await;
    app.fill("po-qty-1-MILK", "12").await;
    app.click("po-receive-1").await;
    wait_exact(&app, "po-status-1", "Partly received").await;
    wait_exact(&app, "po-received-1-MILK", "12").await;
    shot(&app, "po-1").await;
    let order = ok(&app, "purchase_orders.get", json!({"id": 1})).await;
    assert_eq!(
        (
            order["status"].as_str(),
            order["lines"][0]["received_quantity"].as_i64(),
            order["lines"][0]["remaining_quantity"].as_i64()
        ),
        (Some("partly_received"), Some(12), Some(18))
    );

    // The stock list has the new on-hand: 4 + 12, still on order 18.
    app.click("nav-stock").await;
    wait_exact(&app, "stock-list-on-hand-MILK", "16 each").await;
    let list = ok(&app, "stock.list", json!({"query": "MILK"})).await;
    assert_eq!(
        (
            list["lines"][0]["on_hand"].as_i64(),
            list["lines"][0]["on_order"].as_i64()
        ),
        (Some(16), Some(18))
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_receive_without_a_lot_code() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    ok(
        &app,
        "catalog.create_product",
        json!({"idempotency_key": "e2e-prod-tins", "sku": "TINS", "name": "Tinned tomatoes", "price_minor": 89}),
    )
    .await;
    app.click("nav-stock").await;
    type_and_enter(&app, "stock-lookup", "TINS").await;
    app.wait_text("stock-product", "Tinned tomatoes").await;
    app.click("stock-receive").await;
    app.el("receive-form").await;
    // Tins do not track expiry dates: the date is not asked.
    assert!(!app.exists("receive-expires_on").await);
    app.fill("receive-quantity", "24").await;
    app.fill("receive-unit_cost", "0.40").await;
    app.click("receive-submit").await;
    app.gone("stock-receive-dialog").await;
    app.wait_text("stock-on-hand", "24").await;
    let batches = ok(&app, "stock.batches", json!({"product_id": 1})).await;
    let lot = batches[0]["lot_code"].as_str().unwrap().to_string();
    // The receipt's date and a running number: 2026-12-04-1.
    let b = lot.as_bytes();
    assert!(
        lot.len() == 12 && b[4] == b'-' && b[7] == b'-' && lot.ends_with("-1"),
        "{lot}"
    );
    crate::flows::wait_css(&app, &format!("[data-lot='{lot}']")).await;
    app.close().await;
}
