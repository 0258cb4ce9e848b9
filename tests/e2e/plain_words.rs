//! Plain words in the real window: the audit log as a history of sentences
//! (who did what, amounts with the currency sign, filters by person and kind
//! of action, the raw summary only behind Details), an error banner that says
//! what happened and what to do with the stable code only under Details, and
//! the settings in minutes and the currency.

use crate::flows::{
    ensure_shift, fill_refund, log_in, log_out, ok, open_order, pay_cash, product_in_stock,
    receipt_number, scan, set_up_and_log_in, shot, submit_refund, wait_css, CASHIER_PW, OWNER_PW,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::json;
use std::time::Duration;

/// Olive oil at 6.99, barcode 4006381333931.
const OLIVE: (&str, &str, &str, i64) = ("OLIVE", "4006381333931", "Olive oil", 699);

/// Waits until every audit row's sentence satisfies `pred` (and there is one).
async fn wait_rows(app: &App, what: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut texts = Vec::new();
        if let Ok(rows) = app
            .client
            .find_all(fantoccini::Locator::Css("[data-testid='audit-sentence']"))
            .await
        {
            for r in rows {
                texts.push(r.text().await.unwrap_or_default());
            }
        }
        if !texts.is_empty() && texts.iter().all(|t| pred(t)) {
            return texts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the audit rows never became {what}: {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_audit_log_reads_as_sentences() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    let (sku, barcode, name, price) = OLIVE;
    product_in_stock(&app, sku, barcode, name, price, 5).await;
    let cass = ok(
        &app,
        "users.create",
        json!({"idempotency_key": "e2e-user-cass", "username": "cass", "display_name": "Cass Cashier", "role": "cashier", "password": CASHIER_PW}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let sign = ok(&app, "shop.info", json!({})).await["currency_code"]
        .as_str()
        .map(|c| match c {
            "GBP" => "£",
            "USD" => "$",
            _ => "€",
        })
        .unwrap();

    // A sale of one olive oil, then a refund of it from the Sales screen.
    app.el("till").await;
    ensure_shift(&app).await;
    scan(&app, barcode, sku, 1).await;
    pay_cash(&app).await;
    let receipt = receipt_number(&app).await;
    open_order(&app, &receipt).await;
    fill_refund(&app, 1, 1, "leaking cap").await;
    submit_refund(&app, "Refund #1").await;

    // Cass signs in and out, so the history has a second person.
    log_out(&app).await;
    log_in(&app, "cass", CASHIER_PW).await;
    app.wait_text("header-user", "Cass Cashier").await;
    log_out(&app).await;
    log_in(&app, "olive", OWNER_PW).await;
    app.wait_text("header-user", "Olive Owner").await;

    // The history: sentences by name, the amount with its sign, no command names.
    app.click("nav-audit").await;
    app.el("audit-table").await;
    // The line's total with its tax, as the sale charged it.
    let sold = ok(&app, "sales.list", json!({})).await["orders"][0].clone();
    let total = crate::flows::money(sold["total_minor"].as_i64().unwrap());
    let refund_text = format!(
        "Olive Owner refunded 1 × Olive oil ({sign}{total}) on sale {}",
        sold["number"]
    );
    app.wait_text("audit-table", &refund_text).await;
    let table = app.text("audit-table").await;
    for needle in [
        "Olive Owner sold 1 × Olive oil",
        "added the product Olive oil",
        "added the user Cass Cashier",
        "Cass Cashier signed in",
        "opened shift",
    ] {
        assert!(
            table.contains(needle),
            "the history lacks {needle:?}:\n{table}"
        );
    }
    for raw in [
        "sales.refund",
        "sales.checkout",
        "total_minor",
        "auth.login",
    ] {
        assert!(!table.contains(raw), "the history shows {raw:?}:\n{table}");
    }
    assert!(
        !app.exists("audit-raw").await,
        "the raw summary shows without asking"
    );
    shot(&app, "audit-1").await;

    // The raw summary is behind the row's Details.
    app.click("audit-raw-toggle").await;
    let raw = app.text("audit-raw").await;
    assert!(raw.contains('.'), "the details show the command: {raw}");

    // Filter by person: only Cass's rows.
    app.select("audit-user", &cass.to_string()).await;
    app.click("audit-apply").await;
    wait_rows(&app, "Cass's", |t| t.starts_with("Cass Cashier")).await;
    shot(&app, "audit-2").await;

    // Filter by kind of action: refunds only, for anyone.
    app.select("audit-user", "").await;
    app.select("audit-kind", "refunds").await;
    app.click("audit-apply").await;
    let rows = wait_rows(&app, "refunds", |t| t.contains("refunded")).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains(&refund_text), "{rows:?}");

    // Filter by record: the sale's own history (the sale).
    app.select("audit-kind", "sales").await;
    app.click("audit-apply").await;
    wait_rows(&app, "sales", |t| {
        t.contains("sold") || t.contains("parked")
    })
    .await;
    app.click("audit-only-record").await;
    app.el("audit-record-filter").await;
    let rows = wait_rows(&app, "the sale's", |t| t.contains("sold 1 × Olive oil")).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    shot(&app, "audit-3").await;

    // Settings in minutes and the currency; nothing technical on screen.
    app.click("nav-settings").await;
    app.el("settings-form").await;
    wait_css(&app, "[data-testid='settings-idle_lock_ms']").await;
    let form = app.text("settings-form").await;
    assert!(form.contains("(minutes)"), "{form}");
    assert!(form.contains(&format!("{sign}1,000.00")), "{form}");
    for raw in ["(ms)", "minor", "version", "Version"] {
        assert!(!form.contains(raw), "settings show {raw:?}:\n{form}");
    }
    shot(&app, "settings-1").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_error_banner_in_plain_words() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    let (sku, barcode, name, price) = OLIVE;
    let id = product_in_stock(&app, sku, barcode, name, price, 1).await;

    // The cashier has the last bottle in the cart …
    app.el("till").await;
    ensure_shift(&app).await;
    scan(&app, barcode, sku, 1).await;
    // … when another till sells it.
    ok(
        &app,
        "sales.checkout",
        json!({"idempotency_key": "e2e-other-till", "lines": [{"product_id": id, "quantity": 1}],
               // More cash than the total (tax is added): the rest is change.
               "payments": [{"tender": "cash", "amount_minor": 2000}]}),
    )
    .await;

    // Pay: the banner says what happened and what to do, naming the product.
    crate::flows::tender_cash(&app).await;
    wait_css(&app, "[data-testid='tender-pay']:not([disabled])").await;
    app.click("tender-pay").await;
    app.wait_text("error-plain", "There is no Olive oil left in stock.")
        .await;
    app.wait_text("error-next", "Lower the quantity of Olive oil")
        .await;
    assert_eq!(
        app.attr("error-banner", "data-code").await.as_deref(),
        Some("insufficient_stock")
    );
    let banner = app.text("error-banner").await;
    for raw in ["insufficient_stock", "sales.checkout", "code:"] {
        assert!(!banner.contains(raw), "the banner shows {raw:?}: {banner}");
    }
    assert!(!app.exists("till-receipt").await, "a sale was made");
    shot(&app, "plain-1").await;

    // The stable code is there for support, under Details.
    app.click("error-details-toggle").await;
    app.wait_text("error-code", "insufficient_stock").await;
    shot(&app, "plain-2").await;
    app.close().await;
}
