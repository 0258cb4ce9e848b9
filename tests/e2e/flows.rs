//! What the end-to-end tests do the same way: first run and login, data over
//! IPC, scanning and paying at the till, finding and refunding a sale, and
//! amounts as the screens write them.

use crate::harness::App;
use fantoccini::elements::Element;
use serde_json::{json, Value};
use std::time::Duration;

pub const OWNER_PW: &str = "owner-e2e-password";
pub const CASHIER_PW: &str = "cass-e2e-password";
pub const MANAGER_PW: &str = "mara-e2e-password";

/// The WebDriver key for Enter: what a barcode scanner types after a code.
const ENTER: &str = "\u{e007}";

/// Bound on waiting for the till's quote.
const QUOTE_WAIT: Duration = Duration::from_secs(30);

pub async fn log_in(app: &App, username: &str, password: &str) {
    app.fill("login-username", username).await;
    app.fill("login-password", password).await;
    app.click("login-submit").await;
}

/// Logs out; with a shift open the app asks first, and this says yes.
pub async fn log_out(app: &App) {
    app.click("logout-button").await;
    let deadline = tokio::time::Instant::now() + QUOTE_WAIT;
    loop {
        if app.exists("login-form").await {
            return;
        }
        if app.exists("leave-confirm").await {
            app.click("leave-confirm").await;
            app.el("login-form").await;
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "log out did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Cash needs an open drawer: opens a shift with no float over IPC unless one
/// is open already (the shift tests open theirs on the Shift screen first).
pub async fn ensure_shift(app: &App) {
    let current = app.invoke("shifts.current", json!({})).await;
    assert_eq!(current["ok"], true, "{current}");
    if current["data"].is_null() {
        let opened = app
            .invoke(
                "shifts.open",
                json!({"idempotency_key": format!("e2e-shift-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()), "opening_float_minor": 0}),
            )
            .await;
        assert_eq!(opened["ok"], true, "{opened}");
    }
}

/// Fills and sends the first-run form: the shop and its owner, olive.
pub async fn first_run(app: &App) {
    app.el("setup-form").await;
    app.fill("setup-shop-name", "Corner Shop").await;
    app.fill("setup-username", "olive").await;
    app.fill("setup-display-name", "Olive Owner").await;
    app.fill("setup-password", OWNER_PW).await;
    app.fill("setup-password-confirm", OWNER_PW).await;
    app.fill("setup-pin", "2468").await;
    app.click("setup-submit").await;
}

/// First run; the owner is signed in with what she just typed and lands at
/// Home (issue 13); the tests then start where a login puts her, at the till.
pub async fn set_up_and_log_in(app: &App) {
    first_run(app).await;
    app.wait_text("header-user", "Olive Owner").await;
    app.el("home").await;
    app.click("nav-till").await;
    app.el("till").await;
}

/// Types `text` into the field and presses Enter, as a scanner does after a
/// code.
pub async fn type_and_enter(app: &App, testid: &str, text: &str) {
    app.fill(testid, text).await;
    app.el(testid).await.send_keys(ENTER).await.unwrap();
}

/// Waits until an element matching `css` is on screen.
pub async fn wait_css(app: &App, css: &str) -> Element {
    match app
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => panic!(
            "nothing matches {css} ({e}); the screen says:\n{}",
            app.body_text().await
        ),
    }
}

/// What follows `prefix` in the element's test id: the id of the row it shows.
pub async fn testid_suffix(element: &Element, prefix: &str) -> String {
    element
        .attr("data-testid")
        .await
        .unwrap()
        .unwrap()
        .strip_prefix(prefix)
        .unwrap()
        .to_string()
}

/// Calls the app's IPC as the logged-in user; panics on refusal.
pub async fn ok(app: &App, cmd: &str, args: Value) -> Value {
    let r = app.invoke(cmd, args).await;
    assert_eq!(r["ok"], true, "{cmd}: {r}");
    r["data"].clone()
}

/// A screenshot once the window has painted what the DOM already says.
pub async fn shot(app: &App, name: &str) {
    if std::env::var_os("TILLBOOK_SCREENSHOTS").is_some() {
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.screenshot(name).await;
    }
}

/// 1234 → `"12.34"`, -100 → `"-1.00"` (as ui/src/money.ts formats).
pub fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let a = minor.abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// `"12.34"` → 1234 (the shop's scale is 2 here).
pub fn minor(text: &str) -> i64 {
    let t = text.trim().replace('.', "");
    t.parse()
        .unwrap_or_else(|_| panic!("not an amount: {text:?}"))
}

/// Creates a product and receives `quantity` of it at half its price, through
/// the app's IPC as the logged-in owner. Returns the product id.
pub async fn product_in_stock(
    app: &App,
    sku: &str,
    barcode: &str,
    name: &str,
    price_minor: i64,
    quantity: i64,
) -> i64 {
    let p = app
        .invoke(
            "catalog.create_product",
            json!({"idempotency_key": format!("e2e-prod-{sku}"), "sku": sku, "barcode": barcode,
                   "name": name, "price_minor": price_minor}),
        )
        .await;
    assert_eq!(p["ok"], true, "{p}");
    let id = p["data"]["id"].as_i64().unwrap();
    let b = app
        .invoke(
            "stock.receive",
            json!({"idempotency_key": format!("e2e-recv-{sku}"), "product_id": id,
                   "lot_code": "L1", "unit_cost_minor": price_minor / 2, "quantity": quantity}),
        )
        .await;
    assert_eq!(b["ok"], true, "{b}");
    id
}

/// The shelf the till and shift tests sell from: ten each of milk (1.29),
/// bread (2.50) and eggs (1.99), by barcode `4006381333931`, `2000000000015`
/// and `2000000000022`. Returns their product ids in that order.
pub async fn milk_bread_and_eggs(app: &App) -> [i64; 3] {
    [
        product_in_stock(app, "MILK-1L", "4006381333931", "Milk 1 l", 129, 10).await,
        product_in_stock(app, "BREAD", "2000000000015", "Bread", 250, 10).await,
        product_in_stock(app, "EGGS-6", "2000000000022", "Eggs 6", 199, 10).await,
    ]
}

/// Scans a barcode into the till (type it and Enter, as a scanner does) and
/// waits until the cart holds `quantity` of it.
pub async fn scan(app: &App, barcode: &str, sku: &str, quantity: u32) {
    type_and_enter(app, "till-search", barcode).await;
    wait_css(
        app,
        &format!("[data-testid='cart-line-{sku}'][data-quantity='{quantity}']"),
    )
    .await;
}

/// Attaches a customer to the till's sale, found by typing `search`.
pub async fn till_customer(app: &App, search: &str, customer_id: i64) {
    app.fill("till-customer-search", search).await;
    app.click(&format!("till-customer-hit-{customer_id}")).await;
    wait_css(
        app,
        &format!("[data-testid='till-customer'][data-customer-id='{customer_id}']"),
    )
    .await;
}

/// Waits until the till's totals show a quote (the Pay button is enabled) and
/// returns its total.
pub async fn quoted_total(app: &App) -> i64 {
    ensure_shift(app).await;
    let deadline = tokio::time::Instant::now() + QUOTE_WAIT;
    loop {
        let pay = app.el("till-pay").await;
        let enabled = pay.attr("disabled").await.unwrap().is_none();
        let total = app.text("till-total").await;
        if enabled && total.trim() != "—" {
            return minor(&total);
        }
        assert!(tokio::time::Instant::now() < deadline, "no quote came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens the tender screen for the quoted cart and tenders its total in cash
/// (the amount the tender screen prefills).
pub async fn tender_cash(app: &App) {
    ensure_shift(app).await;
    wait_css(app, "[data-testid='till-pay']:not([disabled])").await;
    app.click("till-pay").await;
    app.el("tender").await;
    app.click("tender-add-cash").await;
    app.wait_text("tender-remaining", "0.00").await;
}

/// Pays the quoted total in cash and waits for the receipt.
pub async fn pay_cash(app: &App) {
    tender_cash(app).await;
    wait_css(app, "[data-testid='tender-pay']:not([disabled])").await;
    app.click("tender-pay").await;
    app.el("till-receipt").await;
}

/// The receipt's number, without its `#`.
pub async fn receipt_number(app: &App) -> String {
    let shown = app.text("receipt-number").await;
    shown.trim().trim_start_matches('#').to_string()
}

/// Leaves the receipt for an empty till.
pub async fn new_sale(app: &App) {
    app.click("receipt-new-sale").await;
    app.el("till-search").await;
}

/// Opens a sale on the Orders screen by its receipt number.
pub async fn open_order(app: &App, receipt_no: &str) {
    app.click("nav-orders").await;
    app.el("orders-table").await;
    type_and_enter(app, "orders-lookup", receipt_no).await;
    app.el("order-detail").await;
}

/// On the open order, starts a refund of `quantity` of line `line_no`, with
/// its reason; the form is left for `submit_refund`.
pub async fn fill_refund(app: &App, line_no: u32, quantity: u32, reason: &str) {
    app.click("order-refund").await;
    app.el("refund-dialog").await;
    let row = wait_css(
        app,
        &format!("[data-testid^='refund-line-'][data-line-no='{line_no}']"),
    )
    .await;
    let line_id = testid_suffix(&row, "refund-line-").await;
    app.fill(&format!("refund-qty-{line_id}"), &quantity.to_string())
        .await;
    app.fill("refund-reason", reason).await;
}

/// Sends the refund form and waits for the Orders screen to say `notice`.
pub async fn submit_refund(app: &App, notice: &str) {
    app.click("refund-submit").await;
    app.gone("refund-dialog").await;
    app.wait_text("orders-notice", notice).await;
}
