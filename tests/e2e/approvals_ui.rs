//! A manager's approval on the cashier's screen, away from the till's cart:
//! a refund without a receipt (the "Refund without receipt" dialog on Orders)
//! and a refund of a sale's line, both done by a cashier whose role may not,
//! approved by the manager's PIN where the cashier stands; the audit row names
//! both.

use crate::flows::{
    ensure_shift, fill_refund, log_in, log_out, milk_bread_and_eggs, money, new_sale, ok,
    open_order, pay_cash, quoted_total, receipt_number, scan, set_up_and_log_in, shot,
    type_and_enter, wait_css, CASHIER_PW, MANAGER_PW, OWNER_PW,
};
use crate::harness::App;
use crate::ONE_AT_A_TIME;
use serde_json::{json, Value};

/// The manager's PIN in these tests (the cashier's differs: nobody approves their own action).
const MANAGER_PIN: &str = "1357";

/// The owner's shelf, a cashier (cass) and a manager (mara, PIN 1357); then cass signs in.
async fn shop_with_cashier_and_manager(app: &App) -> [i64; 3] {
    set_up_and_log_in(app).await;
    let ids = milk_bread_and_eggs(app).await;
    for (key, username, name, role, pw, pin) in [
        (
            "e2e-cass",
            "cass",
            "Cass Cashier",
            "cashier",
            CASHIER_PW,
            "2468",
        ),
        (
            "e2e-mara",
            "mara",
            "Mara Manager",
            "manager",
            MANAGER_PW,
            MANAGER_PIN,
        ),
    ] {
        ok(
            app,
            "users.create",
            json!({ "idempotency_key": key, "username": username, "display_name": name,
                    "role": role, "password": pw, "pin": pin }),
        )
        .await;
    }
    log_out(app).await;
    log_in(app, "cass", CASHIER_PW).await;
    app.wait_text("header-user", "Cass Cashier").await;
    app.el("till").await;
    // Cash goes out of the drawer: the cashier's shift is open.
    ensure_shift(app).await;
    ids
}

/// The approved audit row of `command`, as the owner reads it.
async fn approved_row(app: &App, command: &str) -> Value {
    log_out(app).await;
    log_in(app, "olive", OWNER_PW).await;
    app.wait_text("header-user", "Olive Owner").await;
    let rows = ok(app, "audit.list", json!({ "command": command })).await;
    let rows = rows.as_array().unwrap();
    let done: Vec<&Value> = rows.iter().filter(|r| r["result"] == "ok").collect();
    assert_eq!(done.len(), 1, "{rows:?}");
    done[0].clone()
}

/// Two cartons of milk come back without a receipt; the cashier refunds them
/// in cash, the manager's PIN approves it on the cashier's screen, and the
/// notice says how much cash to hand back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_cashier_refund_without_receipt_approved_by_manager() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    let [milk, _, _] = shop_with_cashier_and_manager(&app).await;

    app.click("nav-orders").await;
    app.el("orders-table").await;
    app.click("orders-no-receipt").await;
    app.el("no-receipt-dialog").await;
    // Scanned, as at the till: the barcode puts the product straight in.
    type_and_enter(&app, "no-receipt-search", "4006381333931").await;
    app.el(&format!("no-receipt-line-{milk}")).await;
    app.fill(&format!("no-receipt-qty-{milk}"), "2").await;
    app.fill("no-receipt-reason", "Gift, no receipt; cartons unopened")
        .await;
    shot(&app, "till-refund-no-receipt-1").await;
    app.click("no-receipt-submit").await;

    app.el("approval-dialog").await;
    app.wait_text("approval-reason", "refund goods without a receipt")
        .await;
    app.fill("approval-username", "mara").await;
    app.fill("approval-secret", MANAGER_PIN).await;
    app.click("approval-submit").await;
    app.gone("no-receipt-dialog").await;

    // Priced as milk sells today: 2 × 1.29 and the shop's 20 % tax (2.58 + 0.52), all of it in cash.
    let total = money(310);
    let said = app.wait_text("no-receipt-hand-back", "cash").await;
    assert!(
        said.contains(&format!("Give {total} cash")),
        "the notice says what to hand back: {said}"
    );
    assert_eq!(app.text("no-receipt-slip-total").await.trim(), total);
    shot(&app, "till-refund-no-receipt-2").await;

    let row = approved_row(&app, "sales.refund_unreceipted").await;
    assert_eq!(row["username"], "cass", "{row}");
    assert_eq!(row["approved_by_username"], "mara", "{row}");
    app.close().await;
}

/// A cashier sells a carton of milk, then refunds it from Orders: the Refund
/// button is there for the cashier, the manager's PIN approves it on the spot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_cashier_refund_of_a_line_approved_by_manager() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    shop_with_cashier_and_manager(&app).await;

    scan(&app, "4006381333931", "MILK-1L", 1).await;
    let sold_minor = quoted_total(&app).await;
    pay_cash(&app).await;
    let receipt = receipt_number(&app).await;
    new_sale(&app).await;

    open_order(&app, &receipt).await;
    fill_refund(&app, 1, 1, "Carton leaking").await;
    app.click("refund-submit").await;
    app.el("approval-dialog").await;
    app.wait_text("approval-reason", "refund a sale").await;
    app.fill("approval-username", "mara").await;
    app.fill("approval-secret", MANAGER_PIN).await;
    app.click("approval-submit").await;
    app.gone("refund-dialog").await;
    app.wait_text("orders-notice", &format!("Give {} cash", money(sold_minor)))
        .await;
    app.el("refund-slip").await;
    wait_css(&app, "[data-testid^='refund-row-']").await;

    let row = approved_row(&app, "sales.refund").await;
    assert_eq!(row["username"], "cass", "{row}");
    assert_eq!(row["approved_by_username"], "mara", "{row}");
    app.close().await;
}

/// "No sale" at the till: the cashier opens the drawer for change, the
/// manager's PIN approves that one open on the cashier's screen, the till says
/// so, and the audit row names both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_cashier_no_sale_approved_by_manager() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    shop_with_cashier_and_manager(&app).await;

    app.click("till-no-sale").await;
    app.el("no-sale-dialog").await;
    app.fill("no-sale-reason", "change for a 20 note").await;
    app.click("no-sale-submit").await;
    app.el("approval-dialog").await;
    app.wait_text("approval-reason", "open the drawer without a sale")
        .await;
    app.fill("approval-username", "mara").await;
    app.fill("approval-secret", MANAGER_PIN).await;
    app.click("approval-submit").await;
    app.gone("no-sale-dialog").await;
    app.wait_text("till-notice", "No sale recorded").await;
    shot(&app, "till-no-sale-1").await;

    let row = approved_row(&app, "shifts.no_sale").await;
    assert_eq!(row["username"], "cass", "{row}");
    assert_eq!(row["approved_by_username"], "mara", "{row}");
    app.close().await;
}
