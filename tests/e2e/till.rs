//! The till in the real window: scanning, split payment with change, the
//! receipt, a refund by line from the Orders screen, and a double-clicked Pay
//! that makes exactly one sale (T09).

use crate::flows::{
    fill_refund, log_in, log_out, milk_bread_and_eggs, money, new_sale, open_order, pay_cash,
    product_in_stock, quoted_total, receipt_number, scan, set_up_and_log_in, shot, submit_refund,
    tender_cash, testid_suffix, wait_css, CASHIER_PW,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use serde_json::{json, Value};

async fn orders(app: &App) -> Vec<Value> {
    let page = app.invoke("sales.list", json!({})).await;
    assert_eq!(page["ok"], true, "{page}");
    page["data"]["orders"].as_array().unwrap().clone()
}

/// T09 in the window: Pay clicked twice in a row (a real double click) makes one
/// sale — the button disables while the checkout is in flight, and every Pay of
/// one tender screen sends the same idempotency key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t09_e2e_a_double_clicked_pay_makes_exactly_one_sale() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    product_in_stock(&app, "MILK-1L", "4006381333931", "Milk 1 l", 129, 10).await;

    // Whoever may sell lands on the till.
    app.el("till").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    let total = quoted_total(&app).await;
    tender_cash(&app).await;
    let key = app.attr("tender-pay", "data-key").await.unwrap();
    assert!(key.starts_with("ui-"), "{key}");

    let pay = app.el("tender-pay").await;
    let double = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: pay,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    app.client
        .perform_actions(double)
        .await
        .expect("double click");
    let _ = app.client.release_actions().await;
    app.el("till-receipt").await;
    app.wait_text("receipt-total", &money(total)).await;

    let made = orders(&app).await;
    assert_eq!(
        made.len(),
        1,
        "a double click made {} sales: {made:?}",
        made.len()
    );
    assert_eq!(made[0]["total_minor"], total);
    // A replay of the same key (what a third click would send) returns the same order.
    let receipt = app.text("receipt-number").await;
    assert_eq!(receipt.trim(), format!("#{}", made[0]["receipt_number"]));
    app.close().await;
}

/// The till's main path: scan three products, pay part by card and the
/// rest in cash, see the change and the receipt; then find the sale on the
/// Orders screen by its receipt number and refund one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_sell_three_items_split_cash_and_card_then_refund_one_line() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    let [_, _, eggs] = milk_bread_and_eggs(&app).await;

    app.el("till").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    scan(&app, "2000000000015", "BREAD", 1).await;
    // By name: type, pick the hit.
    app.fill("till-search", "Egg").await;
    app.click("till-hit-EGGS-6").await;
    wait_css(&app, "[data-testid='cart-line-EGGS-6'][data-quantity='1']").await;
    let total = quoted_total(&app).await;
    let quote = app
        .invoke(
            "sales.quote",
            json!({"lines": [{"product_id": eggs, "quantity": 1}]}),
        )
        .await;
    assert_eq!(quote["ok"], true, "{quote}");
    app.screenshot("till-1-cart").await;

    // Tender: 2.00 by card, 20.00 cash handed over.
    app.click("till-pay").await;
    app.wait_text("tender-total", &money(total)).await;
    app.click("tender-add-card").await;
    app.fill("tender-amount-0", "2.00").await;
    app.fill("tender-reference-0", "TRM-0042").await;
    app.click("tender-add-cash").await;
    app.fill("tender-amount-1", "20.00").await;
    let change = 2000 - (total - 200);
    app.wait_text("tender-change", &money(change)).await;
    app.wait_text("tender-remaining", "0.00").await;
    app.screenshot("till-2-tender").await;
    app.click("tender-pay").await;

    // The receipt: shop, number, three lines, tax, both payments, the change.
    app.el("till-receipt").await;
    app.wait_text("receipt-shop", "Corner Shop").await;
    app.wait_text("receipt-total", &money(total)).await;
    app.wait_text("receipt-change", &money(change)).await;
    app.wait_text("till-change", &money(change)).await;
    for line in 1..=3 {
        app.el(&format!("receipt-line-{line}")).await;
    }
    app.wait_text("receipt-line-3", "Eggs 6").await;
    assert_eq!(
        app.attr("receipt-payment-0", "data-tender")
            .await
            .as_deref(),
        Some("card")
    );
    assert!(app.text("receipt-payment-0").await.contains("TRM-0042"));
    assert_eq!(
        app.attr("receipt-payment-1", "data-tender")
            .await
            .as_deref(),
        Some("cash")
    );
    app.wait_text("receipt-payment-1", "20.00").await;
    let receipt_no = receipt_number(&app).await;
    shot(&app, "till-3-receipt").await;
    new_sale(&app).await;

    // Orders: find it by receipt number, refund the eggs (line 3) to stock.
    open_order(&app, &receipt_no).await;
    app.wait_text("order-receipt", &format!("#{receipt_no}"))
        .await;
    fill_refund(&app, 3, 1, "cracked shell").await;
    app.screenshot("till-4-refund").await;
    submit_refund(&app, "Refund #1").await;
    app.el("refunds-table").await;
    app.screenshot("till-5-orders").await;

    // The core agrees: one refund of the eggs' line total, back over the tenders.
    let order_id = orders(&app).await[0]["id"].as_i64().unwrap();
    let refunds = app
        .invoke("sales.refunds", json!({"order_id": order_id}))
        .await;
    assert_eq!(refunds["ok"], true, "{refunds}");
    let list = refunds["data"]["refunds"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{refunds}");
    assert_eq!(list[0]["total_minor"], quote["data"]["total_minor"]);
    assert_eq!(list[0]["lines"][0]["quantity"], 1);
    assert_eq!(list[0]["lines"][0]["stock"], "restock");
    app.close().await;
}

/// A cashier parks a sale (its units reserved), recalls it and pays: checkout
/// completes the hold in the same transaction, so the stock is taken once. The
/// cashier sees the order but no Refund (that needs `sales.refund`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t17_e2e_cashier_parks_recalls_and_pays_a_held_sale() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    set_up_and_log_in(&app).await;
    let milk = product_in_stock(&app, "MILK-1L", "4006381333931", "Milk 1 l", 129, 5).await;
    let created = app
        .invoke(
            "users.create",
            json!({"idempotency_key": "e2e-cashier-1", "username": "cass",
                   "display_name": "Cass Cashier", "role": "cashier", "password": CASHIER_PW}),
        )
        .await;
    assert_eq!(created["ok"], true, "{created}");
    log_out(&app).await;
    log_in(&app, "cass", CASHIER_PW).await;
    app.wait_text("header-user", "Cass Cashier").await;

    app.el("till").await;
    scan(&app, "4006381333931", "MILK-1L", 1).await;
    app.click("cart-inc-MILK-1L").await;
    app.click("cart-inc-MILK-1L").await;
    wait_css(&app, "[data-testid='cart-line-MILK-1L'][data-quantity='3']").await;
    // A cashier may ask for a discount; a manager approves it at Pay (T39, till_paying.rs).
    assert!(
        app.exists("cart-discount-MILK-1L").await,
        "a cashier cannot ask for a discount"
    );
    app.click("till-park").await;
    app.fill("park-label", "table 4").await;
    app.click("park-submit").await;
    app.gone("park-dialog").await;
    app.wait_text("till-notice", "table 4").await;
    let product = app.invoke("catalog.get_product", json!({"id": milk})).await;
    assert_eq!(product["data"]["available"], 2, "{product}");

    app.click("till-held-toggle").await;
    let row = wait_css(&app, "[data-testid^='held-row-'][data-label='table 4']").await;
    let hold_id = testid_suffix(&row, "held-row-").await;
    app.click(&format!("held-recall-{hold_id}")).await;
    wait_css(&app, "[data-testid='cart-line-MILK-1L'][data-quantity='3']").await;
    app.el(&format!("held-in-cart-{hold_id}")).await;
    let total = quoted_total(&app).await;
    pay_cash(&app).await;
    app.wait_text("receipt-total", &money(total)).await;

    let hold = app
        .invoke(
            "sales.recall",
            json!({"id": hold_id.parse::<i64>().unwrap()}),
        )
        .await;
    assert_eq!(hold["data"]["status"], "completed", "{hold}");
    let product = app.invoke("catalog.get_product", json!({"id": milk})).await;
    assert_eq!(product["data"]["on_hand"], 2, "{product}");
    assert_eq!(product["data"]["available"], 2, "{product}");

    app.click("nav-orders").await;
    let order_id = orders(&app).await[0]["id"].as_i64().unwrap();
    app.click(&format!("order-open-{order_id}")).await;
    app.el("order-detail").await;
    // The cashier sees Refund: a manager approves it on the spot (tests/e2e/approvals_ui.rs).
    assert!(
        app.exists("order-refund").await,
        "a cashier was not offered a refund to be approved"
    );
    app.close().await;
}
