//! Invoices, customer payments, AR aging and loyalty in the real window: a
//! customer buys on account at the till, the sale is invoiced from the
//! Invoices screen, a payment is received and allocated to the invoice by
//! hand, the invoice shows paid and the aging table no longer lists the
//! customer; then a manual points adjustment on the Loyalty screen shows on
//! the customer's balance.

use crate::flows::{
    ensure_shift, money, ok, scan, set_up_and_log_in, shot, till_customer, wait_css,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_invoice_an_account_sale_receive_payment_and_adjust_points() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;

    // A customer with credit (at the approval threshold: no second user needed).
    let ana = ok(
        &app,
        "customers.create",
        json!({"idempotency_key": "e2e-cust-ana", "name": "Ana Lima"}),
    )
    .await;
    let ana_id = ana["id"].as_i64().unwrap();
    ok(
        &app,
        "customers.set_credit",
        json!({"id": ana_id, "version": ana["version"], "credit_limit_minor": 100_000,
               "credit_mode": "block"}),
    )
    .await;
    let product = ok(
        &app,
        "catalog.create_product",
        json!({"idempotency_key": "e2e-prod-tea", "sku": "TEA-1", "barcode": "5000000000017",
               "name": "Tea", "price_minor": 450}),
    )
    .await;
    let product_id = product["id"].as_i64().unwrap();
    ok(
        &app,
        "stock.receive",
        json!({"idempotency_key": "e2e-recv-tea", "product_id": product_id, "lot_code": "L1",
               "unit_cost_minor": 200, "quantity": 10}),
    )
    .await;

    // She buys three on account at the till (a scanner types the barcode and Enter).
    app.click("nav-till").await;
    app.el("till").await;
    for quantity in 1..=3 {
        scan(&app, "5000000000017", "TEA-1", quantity).await;
    }
    till_customer(&app, "Ana", ana_id).await;
    // The core's total for her cart (what the till shows, and what she owes).
    let quote = ok(
        &app,
        "sales.quote",
        json!({"customer_id": ana_id, "lines": [{"product_id": product_id, "quantity": 3}]}),
    )
    .await;
    let total = quote["total_minor"].as_i64().unwrap();
    app.wait_text("till-total", &money(total)).await;
    ensure_shift(&app).await;
    wait_css(&app, "[data-testid='till-pay']:not([disabled])").await;
    app.click("till-pay").await;
    app.el("tender").await;
    app.click("tender-add-on_account").await;
    app.wait_text("tender-remaining", "0.00").await;
    app.click("tender-pay").await;
    app.el("till-receipt").await;
    let orders = ok(&app, "sales.list", json!({})).await;
    let order = &orders["orders"][0];
    assert_eq!(order["customer_id"], ana_id, "{orders}");
    assert_eq!(order["total_minor"], total, "{orders}");
    let order_number = order["number"].as_i64().unwrap();

    // The Invoices screen: pick her, invoice the sale.
    app.click("nav-invoices").await;
    app.el("invoices").await;
    app.fill("inv-customer-search", "Ana").await;
    app.click(&format!("inv-customer-pick-{ana_id}")).await;
    app.wait_text("inv-customer-name", "Ana Lima").await;
    app.click("inv-tab-create").await;
    app.el(&format!("invoiceable-check-{order_number}")).await;
    app.click("invoice-create").await;
    let created = app.el("invoice-created").await;
    let invoice_number = created.attr("data-number").await.unwrap().unwrap();
    app.wait_text("invoice-doc-total", &money(total)).await;
    shot(&app, "accounts-1-invoice").await;
    app.click("invoice-dialog-close").await;
    app.gone("invoice-dialog").await;

    // Receive a payment, allocated to the invoice by hand.
    app.click("inv-tab-pay").await;
    app.el(&format!("pay-invoice-{invoice_number}")).await;
    app.fill("pay-amount", &money(total)).await;
    app.select("pay-tender", "bank").await;
    app.fill("pay-reference", "TRF 889").await;
    app.select("pay-mode", "choose").await;
    app.fill(&format!("pay-alloc-{invoice_number}"), &money(total))
        .await;
    app.click("pay-submit").await;
    wait_css(
        &app,
        &format!("[data-testid='pay-result-alloc-{invoice_number}'][data-amount='{total}']"),
    )
    .await;
    assert_eq!(
        app.attr("pay-result", "data-unallocated").await.as_deref(),
        Some("0")
    );
    shot(&app, "accounts-2-payment").await;

    // The invoice shows paid.
    app.click("inv-tab-list").await;
    wait_css(
        &app,
        &format!("[data-testid='invoice-status-{invoice_number}'][data-status='paid']"),
    )
    .await;
    app.wait_text(&format!("invoice-outstanding-{invoice_number}"), "0.00")
        .await;

    // Her statement ends at zero; the aging table no longer lists her.
    app.click("inv-tab-statement").await;
    app.wait_text("statement-closing", "0.00").await;
    app.click("inv-tab-aging").await;
    app.el("aging").await;
    app.el("aging-empty").await;
    assert!(!app.exists(&format!("aging-row-{ana_id}")).await);
    app.wait_text("aging-totals", "0.00").await;

    // Loyalty: a manual adjustment with its reason shows on her balance.
    app.click("nav-loyalty").await;
    app.el("loyalty").await;
    app.click("loyalty-tab-customer").await;
    app.fill("loyalty-customer-search", "Ana").await;
    app.click(&format!("loyalty-customer-pick-{ana_id}")).await;
    app.wait_text("loyalty-points", "0").await;
    app.fill("adjust-points", "40").await;
    app.fill("adjust-reason", "welcome bonus").await;
    app.click("adjust-submit").await;
    wait_css(&app, "[data-testid='loyalty-balance'][data-points='40']").await;
    wait_css(
        &app,
        "[data-testid='loyalty-movement-1'][data-kind='adjust']",
    )
    .await;
    shot(&app, "accounts-3-loyalty").await;
    let balance = ok(&app, "loyalty.balance", json!({"customer_id": ana_id})).await;
    assert_eq!(balance["points"], 40, "{balance}");
    assert_eq!(balance["movements"][0]["reason"], "welcome bonus");

    // A reward from the catalog form, and the programme's figures with the chart.
    app.click("loyalty-tab-rewards").await;
    app.fill("reward-name", "Free tea").await;
    app.fill("reward-points_cost", "30").await;
    app.select("reward-kind", "product").await;
    app.fill("reward-product-search", "Tea").await;
    app.click(&format!("reward-product-pick-{product_id}"))
        .await;
    app.wait_text("reward-product-name", "Tea").await;
    app.fill("reward-per_customer_limit", "1").await;
    app.click("reward-create").await;
    wait_css(&app, "[data-name='Free tea'][data-archived='false']").await;
    // The long rewards form leaves the tabs scrolled out of view.
    app.client
        .execute(
            "document.querySelector(\"[data-testid='loyalty-tab-stats']\").scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    app.click("loyalty-tab-stats").await;
    app.wait_text("stats-outstanding", "40").await;
    app.el("loyalty-chart").await;
    shot(&app, "accounts-4-loyalty-stats").await;

    app.close().await;
}
