//! Home as a dashboard in the real window: after a few sales at the till the
//! owner sees today's count, total and average sale with the currency sign, a
//! best seller, a product running low that opens its stock, and the
//! getting-started checklist with a tick that stays.

use crate::flows::{
    milk_bread_and_eggs, new_sale, ok, pay_cash, quoted_total, scan, set_up_and_log_in, shot,
    wait_css,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::json;

/// `€12.34` as Home writes an amount in this shop (EUR, scale 2).
fn euros(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let a = minor.abs();
    format!("{sign}€{}.{:02}", a / 100, a % 100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_dashboard_after_a_few_sales() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    milk_bread_and_eggs(&app).await;
    // Saffron: two left with a reorder point of five, so it is running low.
    let saffron = ok(
        &app,
        "catalog.create_product",
        json!({"idempotency_key": "e2e-prod-saffron", "sku": "SAFFRON", "name": "Saffron 1 g",
               "price_minor": 699, "reorder_point": 5}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    ok(
        &app,
        "stock.receive",
        json!({"idempotency_key": "e2e-recv-saffron", "product_id": saffron, "lot_code": "S1",
               "unit_cost_minor": 300, "quantity": 2}),
    )
    .await;

    // Three sales at the till: milk ×2; bread; milk, bread and eggs.
    app.click("nav-till").await;
    app.el("till").await;
    let mut totals = Vec::new();
    for basket in [
        &[("4006381333931", "MILK-1L", 2)][..],
        &[("2000000000015", "BREAD", 1)][..],
        &[
            ("4006381333931", "MILK-1L", 1),
            ("2000000000015", "BREAD", 1),
            ("2000000000022", "EGGS-6", 1),
        ][..],
    ] {
        for (barcode, sku, quantity) in basket {
            // A second scan of the same code adds one to its line.
            for q in 1..=*quantity {
                scan(&app, barcode, sku, q).await;
            }
        }
        totals.push(quoted_total(&app).await);
        pay_cash(&app).await;
        new_sale(&app).await;
    }
    let sum: i64 = totals.iter().sum();
    // Rounded half away from zero, as the core does.
    let average = (2 * sum + 3) / 6;

    app.click("nav-home").await;
    app.el("home").await;
    app.wait_text("home-sales-count", "3").await;
    app.wait_text("home-sales-total", &euros(sum)).await;
    app.wait_text("home-average-basket", &euros(average)).await;
    // Milk sold most: three units.
    app.wait_text("home-top-MILK-1L", "Milk 1 l").await;
    app.wait_text("home-top-products", "3 sold").await;
    // The chart has today's bar for this hour.
    let bars = wait_css(
        &app,
        "[data-testid^='home-bar-today-'][data-value]:not([data-value='0'])",
    )
    .await;
    assert!(bars.attr("height").await.unwrap().is_some());
    // An open till: the shift the sales went into.
    app.el("home-open-shifts").await;
    app.wait_text("home-open-shifts", "Olive Owner").await;
    // The checklist: products and stock done from the data, the rest to do.
    app.el("home-checklist").await;
    wait_css(&app, "[data-testid='home-step-products'][data-done='yes']").await;
    wait_css(&app, "[data-testid='home-step-stock'][data-done='yes']").await;
    wait_css(&app, "[data-testid='home-step-staff'][data-done='no']").await;
    app.click("home-tick-tax_rates").await;
    wait_css(&app, "[data-testid='home-step-tax_rates'][data-done='yes']").await;
    let body = app.body_text().await;
    for word in ["minor", "_ms", "version", "dashboard."] {
        assert!(!body.contains(word), "Home shows {word:?}:\n{body}");
    }
    app.el("home-low-SAFFRON").await;
    shot(&app, "home-1").await;
    // The panels below the chart: best sellers, running low, open tills, invoices.
    app.client
        .execute(
            "document.querySelector(\"[data-testid='home-top-products']\").scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    shot(&app, "home-2").await;

    // The tick was stored: it is still there after a fresh read.
    app.click("home-refresh").await;
    wait_css(&app, "[data-testid='home-step-tax_rates'][data-done='yes']").await;
    let d = ok(&app, "dashboard.today", json!({})).await;
    assert_eq!(d["sales_count"], 3);
    assert_eq!(d["sales_total_minor"], sum);

    // Saffron running low opens its stock.
    app.click("home-low-SAFFRON").await;
    app.el("stock").await;
    app.wait_text("stock-product", "Saffron").await;
    app.wait_text("stock-available", "2").await;
    app.close().await;
}
