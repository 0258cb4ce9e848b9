//! Cash control at the till (issue 12): cash needs an open drawer, the drawer
//! is the till's (staff switching on one till sell into the shift that is
//! open), the blind close counted by note and coin, cash paid on account in
//! the drawer's expected cash, refunds that say what to hand back, and
//! customers found by phone, email or any part of the name.

use crate::support::checks::{balance, code, scalar, verify_is_clean, version_of};
use crate::support::fixtures::{
    card, card_sales_without_shift, cash, customer_with, id, open_shift, product, receive, Batch,
    Product, Refund,
};
use crate::support::{key, Shop};
use serde_json::{json, Value};
use tillbook_core::Session;

fn sell(
    shop: &Shop,
    s: &mut Option<Session>,
    p: i64,
    payments: Value,
) -> Result<Value, tillbook_core::Error> {
    // Straight to the dispatcher: the fixtures would open a drawer first.
    shop.call(
        s,
        "sales.checkout",
        json!({ "idempotency_key": key(), "lines": [{ "product_id": p, "quantity": 1 }], "payments": payments }),
    )
}

fn stocked(shop: &Shop, owner: &mut Option<Session>) -> i64 {
    let p = product(shop, owner, &format!("TC-{}", key()), 1_000, "zero");
    receive(shop, owner, p, 100, 400);
    p
}

#[test]
fn t35_a_cash_sale_without_an_open_shift_is_refused_in_plain_words() {
    let (shop, mut owner) = Shop::with_owner();
    let p = stocked(&shop, &mut owner);
    let before = shop.count("orders");
    let r = sell(&shop, &mut owner, p, json!([cash(1_000)]));
    assert_eq!(code(&r), "conflict", "{r:?}");
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("Open a shift (count the float) before taking cash"));
    // Card too, until the shop allows card-only selling without a shift.
    assert_eq!(
        code(&sell(&shop, &mut owner, p, json!([card(1_000)]))),
        "conflict"
    );
    card_sales_without_shift(&shop, &mut owner);
    let by_card = sell(&shop, &mut owner, p, json!([card(1_000)])).unwrap();
    // ... and cash is still refused then, split tender included.
    let split = sell(&shop, &mut owner, p, json!([card(500), cash(500)]));
    assert_eq!(code(&split), "conflict", "{split:?}");
    assert_eq!(shop.count("orders"), before + 1);
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM shift_orders WHERE order_id = {}",
                id(&by_card)
            )
        ),
        0
    );
    // Opening the shift makes it work.
    open_shift(&shop, &mut owner, 5_000).unwrap();
    sell(&shop, &mut owner, p, json!([cash(1_000)])).unwrap();
    verify_is_clean(&shop.db);
}

#[test]
fn t12_a_cashier_on_a_shared_till_sells_into_its_one_open_shift() {
    let (shop, mut owner) = Shop::with_owner();
    let p = stocked(&shop, &mut owner);
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let shift = open_shift(&shop, &mut owner, 2_000).unwrap();
    // The cashier switched in by PIN has no shift of their own: the till's drawer takes the cash.
    let current = shop
        .call(&mut cashier, "shifts.current", json!({}))
        .unwrap();
    assert_eq!(id(&current), id(&shift));
    let sold = sell(&shop, &mut cashier, p, json!([cash(1_000)])).unwrap();
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT shift_id FROM shift_orders WHERE order_id = {}",
                id(&sold)
            )
        ),
        id(&shift)
    );
    let z = shop
        .call(
            &mut owner,
            "shifts.z_report",
            json!({ "shift_id": id(&shift) }),
        )
        .unwrap();
    assert_eq!(z["expected_cash_minor"], json!(3_000));
    // Two drawers open and neither the cashier's: which one is ambiguous, so cash is refused.
    let mut manager = shop.session_as(&mut owner, "manager");
    open_shift(&shop, &mut manager, 0).unwrap();
    let r = sell(&shop, &mut cashier, p, json!([cash(1_000)]));
    assert_eq!(code(&r), "conflict", "{r:?}");
    // With a shift of their own, it goes there.
    let own = open_shift(&shop, &mut cashier, 0).unwrap();
    let mine = sell(&shop, &mut cashier, p, json!([cash(1_000)])).unwrap();
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT shift_id FROM shift_orders WHERE order_id = {}",
                id(&mine)
            )
        ),
        id(&own)
    );
    verify_is_clean(&shop.db);
}

#[test]
fn t12_cash_paid_on_account_needs_a_drawer_and_counts_in_its_expected_cash() {
    let (shop, mut owner) = Shop::with_owner();
    let c = customer_with(&shop, &mut owner, "Priya Patel", json!({}));
    let pay = |shop: &Shop, s: &mut Option<Session>, tender: &str| {
        shop.call(
            s,
            "customers.receive_payment",
            json!({ "idempotency_key": key(), "customer_id": c, "amount_minor": 700, "tender": tender }),
        )
    };
    let r = pay(&shop, &mut owner, "cash");
    assert_eq!(code(&r), "conflict", "{r:?}");
    pay(&shop, &mut owner, "card").unwrap();
    let shift = open_shift(&shop, &mut owner, 1_000).unwrap();
    pay(&shop, &mut owner, "cash").unwrap();
    let z = shop
        .call(
            &mut owner,
            "shifts.z_report",
            json!({ "shift_id": id(&shift) }),
        )
        .unwrap();
    assert_eq!(z["cash_on_account_minor"], json!(700));
    assert_eq!(z["expected_cash_minor"], json!(1_700));
    let closed = shop
        .call(
            &mut owner,
            "shifts.close",
            json!({ "shift_id": id(&shift), "version": version_of(&shop.db, "shifts", id(&shift)), "counted_cash_minor": 1_700 }),
        )
        .unwrap();
    assert_eq!(closed["over_short_minor"], json!(0));
    verify_is_clean(&shop.db);
}

#[test]
fn t12_a_blind_close_counted_by_note_and_coin_is_stored_and_on_the_z_report() {
    let (shop, mut owner) = Shop::with_owner();
    let p = stocked(&shop, &mut owner);
    let shift = open_shift(&shop, &mut owner, 10_000).unwrap();
    sell(&shop, &mut owner, p, json!([cash(2_000)])).unwrap();
    let sid = id(&shift);
    let close = |shop: &Shop, s: &mut Option<Session>, counted: i64, counts: Value| {
        shop.call(
            s,
            "shifts.close",
            json!({ "shift_id": sid, "version": version_of(&shop.db, "shifts", sid),
                    "counted_cash_minor": counted, "counts": counts }),
        )
    };
    // EUR: 2 × 50, 1 × 10, 3 × 0.20 = 110.60, not the 110.00 claimed.
    let counts = json!([
        { "denomination_minor": 5_000, "quantity": 2 },
        { "denomination_minor": 1_000, "quantity": 1 },
        { "denomination_minor": 20, "quantity": 3 },
        { "denomination_minor": 200, "quantity": 0 },
    ]);
    let r = close(&shop, &mut owner, 11_000, counts.clone());
    assert_eq!(code(&r), "validation", "{r:?}");
    // A note the currency does not have.
    let r = close(
        &shop,
        &mut owner,
        300,
        json!([{ "denomination_minor": 300, "quantity": 1 }]),
    );
    assert_eq!(code(&r), "validation", "{r:?}");
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("counts[0].denomination_minor"));
    let z = close(&shop, &mut owner, 11_060, counts).unwrap();
    // 100 float + 10 sale expected: over by 0.60.
    assert_eq!(z["expected_cash_minor"], json!(11_000));
    assert_eq!(z["over_short_minor"], json!(60));
    assert_eq!(
        z["counted_by_denomination"],
        json!([
            { "denomination_minor": 5_000, "quantity": 2 },
            { "denomination_minor": 1_000, "quantity": 1 },
            { "denomination_minor": 20, "quantity": 3 },
        ])
    );
    assert_eq!(
        scalar(&shop.db, "SELECT count(*) FROM shift_close_counts"),
        3
    );
    let again = shop
        .call(&mut owner, "shifts.z_report", json!({ "shift_id": sid }))
        .unwrap();
    assert_eq!(again, z);
    verify_is_clean(&shop.db);
}

#[test]
fn t31_a_split_tender_refund_names_what_to_hand_back_per_tender() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(&shop, &mut owner, &format!("TC-{}", key()), 1_400, "zero");
    receive(&shop, &mut owner, p, 10, 400);
    open_shift(&shop, &mut owner, 5_000).unwrap();
    let sold = shop
        .call(
            &mut owner,
            "sales.checkout",
            json!({ "idempotency_key": key(), "lines": [{ "product_id": p, "quantity": 1 }],
                    "payments": [card(948), cash(452)] }),
        )
        .unwrap();
    let refund = Refund::whole(&sold, "wrong size")
        .submit(&shop, &mut owner)
        .unwrap();
    assert_eq!(
        refund["hand_back"],
        json!([
            { "action": "give_cash", "amount_minor": 452 },
            { "action": "refund_to_card", "amount_minor": 948 },
        ])
    );
}

#[test]
fn customers_are_found_by_phone_email_or_any_part_of_the_name() {
    let (shop, mut owner) = Shop::with_owner();
    let priya = customer_with(
        &shop,
        &mut owner,
        "Priya Patel",
        json!({ "phone": "07700 900123", "email": "Priya@Example.com" }),
    );
    let sam = customer_with(
        &shop,
        &mut owner,
        "Sam Okafor",
        json!({ "phone": "+44 (0)20-7946-0000" }),
    );
    customer_with(&shop, &mut owner, "Pat O'Brien", json!({}));
    let find = |shop: &Shop, s: &mut Option<Session>, q: &str| -> Vec<i64> {
        shop.call(s, "customers.search", json!({ "prefix": q }))
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect()
    };
    assert_eq!(find(&shop, &mut owner, "07700"), vec![priya]);
    assert_eq!(find(&shop, &mut owner, "07700 900"), vec![priya]);
    assert_eq!(find(&shop, &mut owner, "0770090"), vec![priya]);
    assert_eq!(find(&shop, &mut owner, "020 7946"), vec![sam]);
    assert_eq!(find(&shop, &mut owner, "900123"), vec![priya]);
    assert_eq!(find(&shop, &mut owner, "patel"), vec![priya]);
    assert_eq!(
        find(&shop, &mut owner, "PAT").len(),
        2,
        "Pat O'Brien and Priya Patel"
    );
    assert_eq!(find(&shop, &mut owner, "priya@ex"), vec![priya]);
    assert_eq!(find(&shop, &mut owner, "nobody"), Vec::<i64>::new());
    assert_eq!(find(&shop, &mut owner, "").len(), 3);
    assert_eq!(
        find(&shop, &mut owner, "%").len(),
        0,
        "wildcards are literal"
    );
}

fn staff_pin_sign_in(shop: &Shop, s: &mut Option<Session>, on: bool) {
    let v = shop.call(s, "settings.get", json!({})).unwrap();
    let mut settings = v["settings"].clone();
    settings["staff_pin_sign_in"] = json!(on);
    shop.call(
        s,
        "settings.update",
        json!({ "version": v["version"], "settings": settings }),
    )
    .unwrap();
}

fn cashier_with_pin(shop: &Shop, owner: &mut Option<Session>, name: &str, pin: &str) -> i64 {
    let mut args = crate::support::fixtures::user_args(name, "cashier");
    args["pin"] = json!(pin);
    id(&crate::support::fixtures::submit(shop, owner, "users.create", args).unwrap())
}

fn pin_login(
    shop: &Shop,
    user_id: i64,
    pin: &str,
) -> (Result<Value, tillbook_core::Error>, Option<Session>) {
    let mut s = None;
    let r = shop.call(
        &mut s,
        "auth.pin_login",
        json!({ "user_id": user_id, "pin": pin }),
    );
    (r, s)
}

#[test]
fn t18_staff_sign_in_by_pin_needs_the_setting_and_locks_out_like_passwords() {
    let (shop, mut owner) = Shop::with_owner();
    let cass = cashier_with_pin(&shop, &mut owner, "cass", "1357");
    // Off (the default): no tiles, no PIN sign-in.
    let mut anon = None;
    let tiles = shop.call(&mut anon, "auth.staff", json!({})).unwrap();
    assert_eq!(tiles, json!({ "enabled": false, "staff": [] }));
    let (r, s) = pin_login(&shop, cass, "1357");
    assert_eq!(code(&r), "forbidden", "{r:?}");
    assert!(s.is_none());

    staff_pin_sign_in(&shop, &mut owner, true);
    let tiles = shop.call(&mut anon, "auth.staff", json!({})).unwrap();
    let names: Vec<&str> = tiles["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(tiles["enabled"], true);
    assert!(names.contains(&"User cass"), "{tiles}");
    let (r, s) = pin_login(&shop, cass, "1357");
    assert_eq!(r.unwrap()["username"], "cass");
    assert_eq!(s.unwrap().user_id, cass);
    // Wrong PINs count towards the same lockout as passwords (T18).
    for _ in 0..5 {
        let (r, s) = pin_login(&shop, cass, "0000");
        assert!(s.is_none());
        assert!(matches!(code(&r), "unauthenticated" | "locked"), "{r:?}");
    }
    let (r, _) = pin_login(&shop, cass, "1357");
    assert_eq!(code(&r), "locked", "{r:?}");
    let (r, _) = shop
        .login("cass", &crate::support::password_of("cass"))
        .map(|s| (Ok::<_, tillbook_core::Error>(json!(null)), s))
        .unwrap_or_else(|e| (Err(e), None));
    assert_eq!(code(&r), "locked", "the password is locked out too: {r:?}");
    let audit = shop.audit_rows("auth.pin_login");
    assert!(audit.len() >= 7, "every attempt is audited: {audit:?}");
}

#[test]
fn t05_pin_sign_in_is_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    let cass = cashier_with_pin(&shop, &mut owner, "cass", "1357");
    staff_pin_sign_in(&shop, &mut owner, true);
    let mut anon = None;
    let sweep = crate::support::faults::sweep_faults(
        &shop,
        &mut anon,
        "auth.pin_login",
        || json!({ "user_id": cass, "pin": "1357" }),
    );
    assert!(sweep.statements >= 1);
}

#[test]
fn t31_a_refund_without_a_receipt_needs_a_manager_and_goes_back_to_stock_and_the_drawer() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(
        &shop,
        &mut owner,
        &format!("TC-{}", key()),
        1_000,
        "standard",
    );
    receive(&shop, &mut owner, p, 10, 400);
    let c = customer_with(&shop, &mut owner, "Priya Patel", json!({}));
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let mut manager = shop.session_as(&mut owner, "manager");
    let args = |to: &str, customer: Option<i64>, stock: &str| {
        json!({ "idempotency_key": key(), "lines": [{ "product_id": p, "quantity": 2, "stock": stock }],
                "refund_to": to, "customer_id": customer, "reason": "no receipt, unopened" })
    };
    // A cashier may not (a manager approves it on the cashier's screen).
    let r = shop.call(
        &mut cashier,
        "sales.refund_unreceipted",
        args("cash", None, "restock"),
    );
    assert_eq!(code(&r), "forbidden", "{r:?}");
    // Cash needs an open drawer.
    let r = shop.call(
        &mut manager,
        "sales.refund_unreceipted",
        args("cash", None, "restock"),
    );
    assert_eq!(code(&r), "conflict", "{r:?}");
    let shift = open_shift(&shop, &mut manager, 10_000).unwrap();
    // 2 × 10.00 + 20 % tax = 24.00 out of the drawer; the units back on the shelf.
    let r = shop
        .call(
            &mut manager,
            "sales.refund_unreceipted",
            args("cash", None, "restock"),
        )
        .unwrap();
    assert_eq!(r["total_minor"], json!(2_400));
    assert_eq!(
        r["hand_back"],
        json!([{ "action": "give_cash", "amount_minor": 2_400 }])
    );
    assert_eq!(r["shift_id"], json!(id(&shift)));
    let product = shop
        .call(&mut owner, "catalog.get_product", json!({ "id": p }))
        .unwrap();
    assert_eq!(product["on_hand"], json!(12));
    let z = shop
        .call(
            &mut manager,
            "shifts.z_report",
            json!({ "shift_id": id(&shift) }),
        )
        .unwrap();
    assert_eq!(z["cash_unreceipted_refunds_minor"], json!(2_400));
    assert_eq!(z["expected_cash_minor"], json!(10_000 - 2_400));
    // To store credit, damaged: no stock back, the credit on the customer.
    let r = shop
        .call(
            &mut manager,
            "sales.refund_unreceipted",
            args("store_credit", Some(c), "damage"),
        )
        .unwrap();
    assert_eq!(r["hand_back"][0]["action"], json!("store_credit"));
    let product = shop
        .call(&mut owner, "catalog.get_product", json!({ "id": p }))
        .unwrap();
    assert_eq!(product["on_hand"], json!(12));
    let customer = shop
        .call(&mut owner, "customers.get", json!({ "id": c }))
        .unwrap();
    assert_eq!(customer["store_credit_minor"], json!(2_400));
    assert_eq!(
        code(&shop.call(
            &mut manager,
            "sales.refund_unreceipted",
            args("store_credit", None, "restock")
        )),
        "validation"
    );
    assert_eq!(
        shop.audit_rows("sales.refund_unreceipted")
            .iter()
            .filter(|r| r["result"] == "ok")
            .count(),
        2
    );
    verify_is_clean(&shop.db);
}

#[test]
fn a_refund_without_a_receipt_takes_back_weighed_and_untracked_items() {
    let (shop, mut owner) = Shop::with_owner();
    // Cheddar at 14.00 per kg, bought at 8.00 per kg; a flat white nobody counts.
    let cheddar = Product::new("CHEDDAR", 1_400)
        .name("Cheddar")
        .tax("zero")
        .with("unit", json!("kg"))
        .create(&shop, &mut owner);
    Batch::of(cheddar, 2_000, 800).receive(&shop, &mut owner);
    let coffee = Product::new("FLATWHITE", 320)
        .name("Flat white")
        .tax("zero")
        .with("track_stock", json!(false))
        .with("standard_cost_minor", json!(60))
        .create(&shop, &mut owner);
    open_shift(&shop, &mut owner, 10_000).unwrap();
    let inventory_before = balance(&shop.db, "1200");
    let movements_before = shop.count("stock_movements");
    let r = shop
        .call(
            &mut owner,
            "sales.refund_unreceipted",
            json!({ "idempotency_key": key(), "refund_to": "cash", "reason": "no receipt",
                    "lines": [{ "product_id": cheddar, "quantity": 350, "stock": "restock" },
                              { "product_id": coffee, "quantity": 1, "stock": "restock" }] }),
        )
        .unwrap();
    // 0.350 kg × 14.00 = 4.90, plus 3.20 for the coffee.
    assert_eq!(r["total_minor"], json!(490 + 320));
    // 0.350 kg × 8.00 = 2.80 back into inventory; the coffee's cost was used up.
    assert_eq!(r["restocked_cost_minor"], json!(280));
    assert_eq!(balance(&shop.db, "1200") - inventory_before, 280);
    // One return movement, for the cheese only.
    assert_eq!(shop.count("stock_movements") - movements_before, 1);
    let product = shop
        .call(&mut owner, "catalog.get_product", json!({ "id": cheddar }))
        .unwrap();
    assert_eq!(product["on_hand"], json!(2_350));
    let coffee_line: (String, Option<i64>) = shop
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT stock, batch_id FROM unreceipted_refund_lines WHERE product_id = ?1",
                [coffee],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!(coffee_line, ("untracked".to_string(), None));
    verify_is_clean(&shop.db);
}

#[test]
fn t05_a_refund_without_a_receipt_is_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(&shop, &mut owner, &format!("TC-{}", key()), 500, "zero");
    receive(&shop, &mut owner, p, 10, 200);
    open_shift(&shop, &mut owner, 10_000).unwrap();
    let sweep = crate::support::faults::sweep_faults(
        &shop,
        &mut owner,
        "sales.refund_unreceipted",
        || {
            json!({ "idempotency_key": key(), "lines": [{ "product_id": p, "quantity": 1, "stock": "damage" }],
                "refund_to": "cash", "reason": "no receipt" })
        },
    );
    assert!(sweep.statements >= 6, "{}", sweep.statements);
    verify_is_clean(&shop.db);
}
