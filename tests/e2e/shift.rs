//! A shift in the real window: open a shift with a float →
//! sell three items at the till, split card + cash → refund one line on the
//! Orders screen → close the shift with the counted cash → the Z-report on
//! screen shows the sales by tender, the refund, the expected cash and the
//! shortage, to the cent.

use crate::flows::{
    fill_refund, milk_bread_and_eggs, money, new_sale, open_order, pay_cash, product_in_stock,
    quoted_total, receipt_number, scan, set_up_and_log_in, shot, submit_refund, wait_css,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::{json, Value};
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

/// The open shift's running figures as the core has them (the screen hides
/// the drawer's until the blind count at close).
async fn running(app: &App) -> Value {
    let current = app.invoke("shifts.current", json!({})).await;
    let z = app
        .invoke(
            "shifts.z_report",
            json!({"shift_id": current["data"]["id"]}),
        )
        .await;
    assert_eq!(z["ok"], true, "{z}");
    z["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_shift_open_sell_refund_close_and_z_report() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    let [_, _, eggs] = milk_bread_and_eggs(&app).await;

    // Open a shift with a counted float of 150.00.
    app.click("nav-shift").await;
    app.el("shift-open-form").await;
    app.fill("shift-open-float", "150.00").await;
    app.click("shift-open").await;
    app.el("xr").await;
    // A blind close: the drawer figures are hidden until the count.
    app.el("xr-drawer-hidden").await;
    assert!(!app.exists("xr-expected").await);
    assert_eq!(running(&app).await["expected_cash_minor"], 15_000);
    let current = app.invoke("shifts.current", json!({})).await;
    assert_eq!(current["data"]["status"], "open", "{current}");
    app.screenshot("shift-1-open").await;

    // Sell three items: 2.00 by card, 20.00 cash handed over.
    app.click("nav-till").await;
    app.el("till").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    scan(&app, "2000000000015", "BREAD", 1).await;
    scan(&app, "2000000000022", "EGGS-6", 1).await;
    let total = quoted_total(&app).await;
    let eggs_quote = app
        .invoke(
            "sales.quote",
            json!({"lines": [{"product_id": eggs, "quantity": 1}]}),
        )
        .await;
    assert_eq!(eggs_quote["ok"], true, "{eggs_quote}");
    let eggs_total = eggs_quote["data"]["total_minor"].as_i64().unwrap();
    app.click("till-pay").await;
    app.click("tender-add-card").await;
    app.fill("tender-amount-0", "2.00").await;
    app.fill("tender-reference-0", "TRM-0042").await;
    app.click("tender-add-cash").await;
    app.fill("tender-amount-1", "20.00").await;
    app.wait_text("tender-remaining", "0.00").await;
    app.click("tender-pay").await;
    app.el("till-receipt").await;
    app.wait_text("receipt-total", &money(total)).await;
    let receipt_no = receipt_number(&app).await;
    new_sale(&app).await;
    let cash_sale = total - 200;

    // The running figures already count the sale.
    app.click("nav-shift").await;
    wait_exact(&app, "xr-sales-tender-cash-amount", &money(cash_sale)).await;
    assert_eq!(
        running(&app).await["expected_cash_minor"],
        15_000 + cash_sale
    );

    // Refund the eggs (line 3) on the Orders screen, back to the original payments.
    open_order(&app, &receipt_no).await;
    fill_refund(&app, 3, 1, "cracked shell").await;
    submit_refund(&app, "Refund #1").await;

    // How the core split the refund over card and cash (in proportion).
    let page = app.invoke("sales.list", json!({})).await;
    let order_id = page["data"]["orders"][0]["id"].as_i64().unwrap();
    let refunds = app
        .invoke("sales.refunds", json!({"order_id": order_id}))
        .await;
    assert_eq!(refunds["ok"], true, "{refunds}");
    let refund = &refunds["data"]["refunds"][0];
    assert_eq!(refund["total_minor"], eggs_total, "{refund}");
    let by_tender = |t: &str| -> i64 {
        refund["payments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p: &&Value| p["tender"] == t)
            .map(|p| p["amount_minor"].as_i64().unwrap())
            .sum()
    };
    let cash_refund = by_tender("cash");
    let card_refund = by_tender("card");
    assert_eq!(cash_refund + card_refund, eggs_total, "{refund}");
    let expected = 15_000 + cash_sale - cash_refund;

    // Close with the counted cash, one short.
    app.click("nav-shift").await;
    app.el("shift-close-form").await;
    wait_exact(&app, "xr-refunds-total", &money(eggs_total)).await;
    app.click("shift-close-by-amount").await;
    app.fill("shift-close-counted", &money(expected - 100))
        .await;
    app.click("shift-close").await;
    app.click("shift-close-confirm").await;
    app.el("zr").await;
    assert_eq!(
        app.attr("zr", "data-status").await.as_deref(),
        Some("closed")
    );
    app.wait_text("zr-title", "Z-report").await;

    // The Z-report on screen, exact to the cent.
    wait_exact(&app, "zr-sales-count", "1").await;
    wait_exact(&app, "zr-sales-total", &money(total)).await;
    wait_exact(&app, "zr-sales-tender-card-amount", "2.00").await;
    wait_exact(&app, "zr-sales-tender-card-count", "1").await;
    wait_exact(&app, "zr-sales-tender-cash-amount", &money(cash_sale)).await;
    wait_exact(&app, "zr-cash-tendered", "20.00").await;
    wait_exact(&app, "zr-change-given", &money(2000 - cash_sale)).await;
    wait_exact(&app, "zr-refunds-count", "1").await;
    wait_exact(&app, "zr-refunds-total", &money(eggs_total)).await;
    if cash_refund > 0 {
        wait_exact(&app, "zr-refunds-tender-cash-amount", &money(cash_refund)).await;
    }
    if card_refund > 0 {
        wait_exact(&app, "zr-refunds-tender-card-amount", &money(card_refund)).await;
    }
    wait_exact(&app, "zr-voids-count", "0").await;
    wait_exact(&app, "zr-net-sales", &money(total - eggs_total)).await;
    wait_exact(&app, "zr-float", "150.00").await;
    wait_exact(&app, "zr-cash-sales", &money(cash_sale)).await;
    wait_exact(&app, "zr-cash-refunds", &money(cash_refund)).await;
    wait_exact(&app, "zr-expected", &money(expected)).await;
    wait_exact(&app, "zr-counted", &money(expected - 100)).await;
    wait_exact(&app, "zr-over-short", "-1.00").await;
    wait_exact(&app, "zr-over-short-word", "Short").await;
    app.el("zr-print").await;
    shot(&app, "shift-2-z-report").await;

    // The core stored the same figures; the owner sees the closed shift in the list.
    let shift_id = current["data"]["id"].as_i64().unwrap();
    let z = app
        .invoke("shifts.z_report", json!({"shift_id": shift_id}))
        .await;
    assert_eq!(z["data"]["expected_cash_minor"], expected, "{z}");
    assert_eq!(z["data"]["over_short_minor"], -100, "{z}");
    wait_css(
        &app,
        &format!("[data-testid='shift-row-{shift_id}'][data-status='closed']"),
    )
    .await;
    // Back to "Open a shift" for the next one.
    app.el("shift-open-form").await;
    app.close().await;
}

/// Sells one item in cash at the till; returns the sale's total.
async fn sell_one_in_cash(app: &App, barcode: &str, sku: &str) -> i64 {
    app.click("nav-till").await;
    app.el("till").await;
    scan(app, barcode, sku, 1).await;
    let total = quoted_total(app).await;
    pay_cash(app).await;
    app.wait_text("receipt-total", &money(total)).await;
    new_sale(app).await;
    total
}

/// Cash in and out of the drawer, a sale voided from the Shift screen (stock
/// back, the cash out of the expected figure), an even close; then the Reports
/// screen leaves the voided sale out and values the stock at cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_shift_cash_moves_void_even_close_and_reports() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    let milk = product_in_stock(&app, "MILK-1L", "4006381333931", "Milk 1 l", 129, 10).await;

    app.click("nav-shift").await;
    app.fill("shift-open-float", "100.00").await;
    app.click("shift-open").await;
    app.el("cash-move-form").await;
    app.fill("cash-move-amount", "20.00").await;
    app.fill("cash-move-reason", "change from the bank").await;
    app.click("cash-move-submit").await;
    app.wait_text("shift-notice", "Cash in 20.00 recorded")
        .await;
    app.select("cash-move-direction", "out").await;
    app.fill("cash-move-amount", "5.00").await;
    app.fill("cash-move-reason", "window cleaner").await;
    app.click("cash-move-submit").await;
    app.wait_text("shift-notice", "Cash out 5.00 recorded")
        .await;
    let x = running(&app).await;
    assert_eq!(
        (x["cash_in_minor"].as_i64(), x["cash_out_minor"].as_i64()),
        (Some(2_000), Some(500)),
        "{x}"
    );
    assert_eq!(x["expected_cash_minor"], 11_500, "{x}");

    // Two cash sales; the first is voided.
    let first = sell_one_in_cash(&app, "4006381333931", "MILK-1L").await;
    let second = sell_one_in_cash(&app, "4006381333931", "MILK-1L").await;
    let page = app.invoke("sales.list", json!({})).await;
    let orders = page["data"]["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2, "{page}");
    let first_id = orders[1]["id"].as_i64().unwrap();

    app.click("nav-shift").await;
    app.click(&format!("shift-void-{first_id}")).await;
    app.el("void-dialog").await;
    app.fill("void-reason", "rang up twice").await;
    app.click("void-submit").await;
    app.gone("void-dialog").await;
    app.wait_text("shift-notice", "voided").await;
    wait_css(
        &app,
        &format!("[data-testid='shift-order-{first_id}'][data-voided='true']"),
    )
    .await;
    wait_exact(&app, "xr-voids-count", "1").await;
    wait_exact(&app, "xr-voids-total", &money(first)).await;
    let expected = 10_000 + 2_000 - 500 + first + second - first;
    let x = running(&app).await;
    assert_eq!(x["cash_voids_minor"], first, "{x}");
    assert_eq!(x["expected_cash_minor"], expected, "{x}");
    let product = app.invoke("catalog.get_product", json!({"id": milk})).await;
    assert_eq!(
        product["data"]["on_hand"], 9,
        "the void put the unit back: {product}"
    );

    // An even close.
    app.click("shift-close-by-amount").await;
    app.fill("shift-close-counted", &money(expected)).await;
    app.click("shift-close").await;
    app.click("shift-close-confirm").await;
    app.el("zr").await;
    wait_exact(&app, "zr-sales-count", "2").await;
    wait_exact(&app, "zr-voids-count", "1").await;
    wait_exact(&app, "zr-net-sales", &money(second)).await;
    wait_exact(&app, "zr-expected", &money(expected)).await;
    wait_exact(&app, "zr-over-short", "0.00").await;
    wait_exact(&app, "zr-over-short-word", "Even").await;

    // Reports: the voided sale is left out; stock at cost is 9 × 0.64.
    app.click("nav-reports").await;
    app.el("report-table").await;
    wait_exact(&app, "report-totals-total", &money(second)).await;
    app.select("report-group_by", "product").await;
    app.click("report-run").await;
    wait_exact(&app, &format!("report-row-{milk}-total"), &money(second)).await;
    let bar = wait_css(&app, "[data-testid='report-chart-bar-0']").await;
    assert_eq!(
        bar.attr("data-value").await.unwrap(),
        Some(second.to_string())
    );
    wait_exact(&app, "valuation-total-value", "5.76").await;
    wait_exact(&app, &format!("valuation-value-{milk}"), "5.76").await;
    shot(&app, "shift-3-reports").await;
    app.close().await;
}
