//! Issue 6 through the real window: the loyalty programme and a reward are set
//! up (over IPC, as the other tests set up data); a sale to a customer at the
//! till earns points; on the next sale the reward is claimed from the till's
//! loyalty panel and applied (the total on screen is the core's quote with the
//! claim); it is paid; that sale is refunded on the Orders screen; and the
//! customer's points are back where they were before the claim — on the till's
//! panel and over IPC (`loyalty.balance`).

use super::{set_up_and_log_in, wait_css, ONE_AT_A_TIME};
use crate::harness::App;
use serde_json::{json, Value};

const ENTER: &str = "\u{e007}";
const TEA_BARCODE: &str = "5000000000024";

/// Calls the app's IPC as the logged-in owner; panics on refusal.
async fn ok(app: &App, cmd: &str, args: Value) -> Value {
    let r = app.invoke(cmd, args).await;
    assert_eq!(r["ok"], true, "{cmd}: {r}");
    r["data"].clone()
}

/// A screenshot once the window has painted what the DOM already says.
async fn shot(app: &App, name: &str) {
    if std::env::var_os("TILLBOOK_SCREENSHOTS").is_some() {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        app.screenshot(name).await;
    }
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

async fn points(app: &App, customer_id: i64) -> i64 {
    let b = ok(app, "loyalty.balance", json!({"customer_id": customer_id})).await;
    b["points"].as_i64().unwrap()
}

/// Scans the tea `quantity` times into the (empty) cart and attaches the customer.
async fn ring_up(app: &App, quantity: i64, customer_id: i64) {
    app.click("nav-till").await;
    app.el("till").await;
    for n in 1..=quantity {
        app.fill("till-search", TEA_BARCODE).await;
        app.el("till-search").await.send_keys(ENTER).await.unwrap();
        wait_css(
            app,
            &format!("[data-testid='cart-line-TEA-2'][data-quantity='{n}']"),
        )
        .await;
    }
    app.fill("till-customer-search", "Ana").await;
    app.click(&format!("till-customer-hit-{customer_id}")).await;
    wait_css(
        app,
        &format!("[data-testid='till-customer'][data-customer-id='{customer_id}']"),
    )
    .await;
}

/// Pays the quoted total in cash (the amount the tender screen prefills) and
/// waits for the receipt.
async fn pay_cash(app: &App) {
    wait_css(app, "[data-testid='till-pay']:not([disabled])").await;
    app.click("till-pay").await;
    app.el("tender").await;
    app.click("tender-add-cash").await;
    app.wait_text("tender-remaining", "0.00").await;
    wait_css(app, "[data-testid='tender-pay']:not([disabled])").await;
    app.click("tender-pay").await;
    app.el("till-receipt").await;
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
    app.click("receipt-new-sale").await;
    app.el("till-search").await;

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
    let receipt_no = app.text("receipt-number").await;
    let receipt_no = receipt_no.trim().trim_start_matches('#').to_string();
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
    app.click("receipt-new-sale").await;
    app.el("till-search").await;

    // Refund that sale, all of it, on the Orders screen.
    app.click("nav-orders").await;
    app.el("orders-table").await;
    app.fill("orders-lookup", &receipt_no).await;
    app.el("orders-lookup")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    app.el("order-detail").await;
    app.wait_text("order-receipt", &format!("#{receipt_no}"))
        .await;
    app.click("order-refund").await;
    app.el("refund-dialog").await;
    let row = wait_css(&app, "[data-testid^='refund-line-'][data-line-no='1']").await;
    let line_id = row
        .attr("data-testid")
        .await
        .unwrap()
        .unwrap()
        .strip_prefix("refund-line-")
        .unwrap()
        .to_string();
    app.fill(&format!("refund-qty-{line_id}"), "2").await;
    app.fill("refund-reason", "changed her mind").await;
    app.click("refund-submit").await;
    app.gone("refund-dialog").await;
    app.wait_text("orders-notice", "Refund #1").await;
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
