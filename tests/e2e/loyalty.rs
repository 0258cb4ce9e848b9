//! Loyalty through the real window: the loyalty programme and a reward are set
//! up (over IPC, as the other tests set up data); a sale to a customer at the
//! till earns points; on the next sale the reward is claimed from the till's
//! loyalty panel and applied (the total on screen is the core's quote with the
//! claim); it is paid; that sale is refunded on the Orders screen; and the
//! customer's points are back where they were before the claim — on the till's
//! panel and over IPC (`loyalty.balance`).

use crate::flows::{
    fill_refund, money, new_sale, ok, open_order, pay_cash, receipt_number, scan,
    set_up_and_log_in, shot, submit_refund, till_customer, wait_css,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::json;

const TEA_BARCODE: &str = "5000000000024";

async fn points(app: &App, customer_id: i64) -> i64 {
    let b = ok(app, "loyalty.balance", json!({"customer_id": customer_id})).await;
    b["points"].as_i64().unwrap()
}

/// Scans the tea `quantity` times into the (empty) cart and attaches the customer.
async fn ring_up(app: &App, quantity: u32, customer_id: i64) {
    app.click("nav-till").await;
    app.el("till").await;
    for n in 1..=quantity {
        scan(app, TEA_BARCODE, "TEA-2", n).await;
    }
    till_customer(app, "Ana", customer_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_loyalty_earn_claim_at_the_till_redeem_and_refund_restores_points() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;

    // The programme: 10 points per currency unit of net spend, a point worth 0.01.
    let config = ok(&app, "loyalty.config", json!({})).await;
    ok(
        &app,
        "loyalty.configure",
        json!({"version": config["version"], "points_per_unit": 10, "point_value_minor": 1,
               "min_spend_minor": 0}),
    )
    .await;
    let reward = ok(
        &app,
        "loyalty.create_reward",
        json!({"idempotency_key": "e2e-reward-5off", "name": "Five off", "points_cost": 100,
               "grant": {"kind": "amount", "amount_minor": 500}}),
    )
    .await;
    let reward_id = reward["id"].as_i64().unwrap();
    let ana = ok(
        &app,
        "customers.create",
        json!({"idempotency_key": "e2e-cust-ana", "name": "Ana Lima"}),
    )
    .await;
    let ana_id = ana["id"].as_i64().unwrap();
    let tea = ok(
        &app,
        "catalog.create_product",
        json!({"idempotency_key": "e2e-prod-tea", "sku": "TEA-2", "barcode": TEA_BARCODE,
               "name": "Green tea", "price_minor": 450}),
    )
    .await;
    let tea_id = tea["id"].as_i64().unwrap();
    ok(
        &app,
        "stock.receive",
        json!({"idempotency_key": "e2e-recv-tea", "product_id": tea_id, "lot_code": "L1",
               "unit_cost_minor": 200, "quantity": 20}),
    )
    .await;

    // Sale 1: five teas to Ana earn points. The panel shows her at zero first.
    ring_up(&app, 5, ana_id).await;
    wait_css(
        &app,
        "[data-testid='till-loyalty-balance'][data-points='0']",
    )
    .await;
    // Not enough points for the reward yet: its Claim is disabled.
    wait_css(
        &app,
        &format!("[data-testid='till-loyalty-claim-{reward_id}'][disabled]"),
    )
    .await;
    pay_cash(&app).await;
    let earned = points(&app, ana_id).await;
    assert!(
        earned >= 100,
        "five teas earn enough for the reward: {earned}"
    );
    app.wait_text("receipt-points", &format!("Points balance: {earned}"))
        .await;
    new_sale(&app).await;

    // Sale 2: two teas; the reward is claimed on the till's panel and applied.
    ring_up(&app, 2, ana_id).await;
    wait_css(
        &app,
        &format!("[data-testid='till-loyalty-balance'][data-points='{earned}']"),
    )
    .await;
    let plain = ok(
        &app,
        "sales.quote",
        json!({"customer_id": ana_id, "lines": [{"product_id": tea_id, "quantity": 2}]}),
    )
    .await;
    app.wait_text("till-total", &money(plain["total_minor"].as_i64().unwrap()))
        .await;
    wait_css(
        &app,
        &format!("[data-testid='till-loyalty-claim-{reward_id}']:not([disabled])"),
    )
    .await;
    app.click(&format!("till-loyalty-claim-{reward_id}")).await;
    let applied = wait_css(&app, "[data-testid='till-reward'][data-claim-id]").await;
    let claim_id: i64 = applied
        .attr("data-claim-id")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    app.wait_text("till-reward", "Five off").await;
    app.wait_text("till-reward-amount", "5.00").await;
    // The claim took its points at once (the panel reloads her balance).
    wait_css(
        &app,
        &format!(
            "[data-testid='till-loyalty-balance'][data-points='{}']",
            earned - 100
        ),
    )
    .await;
    // The total on screen is the core's quote of this cart with the claim.
    let with_reward = ok(
        &app,
        "sales.quote",
        json!({"customer_id": ana_id, "lines": [{"product_id": tea_id, "quantity": 2}],
               "loyalty_claim_id": claim_id}),
    )
    .await;
    assert_eq!(with_reward["reward_discount_minor"], 500, "{with_reward}");
    let total = with_reward["total_minor"].as_i64().unwrap();
    assert!(
        total < plain["total_minor"].as_i64().unwrap(),
        "{with_reward}"
    );
    app.wait_text("till-total", &money(total)).await;
    shot(&app, "loyalty-1-reward-applied").await;
    pay_cash(&app).await;
    app.wait_text("receipt-total", &money(total)).await;
    app.wait_text("receipt-reward", "5.00").await;
    let receipt_no = receipt_number(&app).await;
    let order_id: i64 = app
        .attr("receipt", "data-order-id")
        .await
        .unwrap()
        .parse()
        .unwrap();
    let order = ok(&app, "sales.get", json!({"id": order_id})).await;
    assert_eq!(order["total_minor"], total, "{order}");
    assert_eq!(order["customer_id"], ana_id, "{order}");
    let after_sale = points(&app, ana_id).await;
    app.wait_text("receipt-points", &format!("Points balance: {after_sale}"))
        .await;
    shot(&app, "loyalty-2-receipt").await;
    // The claim is redeemed on this order: no longer open.
    let balance = ok(&app, "loyalty.balance", json!({"customer_id": ana_id})).await;
    assert!(
        balance["open_claims"].as_array().unwrap().is_empty(),
        "{balance}"
    );
    new_sale(&app).await;

    // Refund that sale, all of it, on the Orders screen.
    open_order(&app, &receipt_no).await;
    app.wait_text("order-receipt", &format!("#{receipt_no}"))
        .await;
    fill_refund(&app, 1, 2, "changed her mind").await;
    submit_refund(&app, "Refund #1").await;
    let refunds = ok(&app, "sales.refunds", json!({"order_id": order_id})).await;
    assert_eq!(refunds["refunds"][0]["total_minor"], total, "{refunds}");

    // Her points are back to what she had before the claim: the claim's points
    // returned, the points this sale earned reversed.
    let restored = points(&app, ana_id).await;
    assert_eq!(restored, earned, "points after the refund");
    ring_up(&app, 1, ana_id).await;
    wait_css(
        &app,
        &format!("[data-testid='till-loyalty-balance'][data-points='{earned}']"),
    )
    .await;
    shot(&app, "loyalty-3-restored").await;
    let balance = ok(&app, "loyalty.balance", json!({"customer_id": ana_id})).await;
    let kinds: Vec<&str> = balance["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"return"), "{balance}");
    assert!(kinds.contains(&"reverse"), "{balance}");
    assert!(kinds.contains(&"redeem"), "{balance}");

    app.close().await;
}
