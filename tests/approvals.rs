//! A manager's approval on the spot (T39) and the discounts it most often
//! approves: percentages, basket discounts spread by the one allocation rule,
//! presets a cashier may apply, and price overrides.

use crate::support::checks::{code, expect_err, verify_is_clean};
use crate::support::faults::{chain_is_intact, sweep_faults};
use crate::support::fixtures::{cash, checkout, hold_args, id, no_idle_lock, product, receive};
use crate::support::{key, password_of, Shop};
use serde_json::{json, Value};
use tillbook_core::Session;

/// The manager's PIN as `Shop::create_user` sets it.
const PIN: &str = "1357";

struct Till {
    shop: Shop,
    owner: Option<Session>,
    cashier: Option<Session>,
    manager: String,
    product: i64,
}

/// A shop with a manager (PIN 1357), a signed-in cashier and one product at
/// 10.00 without tax, 50 in stock.
fn till() -> Till {
    let (shop, mut owner) = Shop::with_owner();
    no_idle_lock(&shop, &mut owner);
    let manager = "mgr-anna".to_string();
    shop.create_user(&mut owner, &manager, "manager");
    let cashier = shop.session_as(&mut owner, "cashier");
    let p = product(&shop, &mut owner, "APR", 1000, "zero");
    receive(&shop, &mut owner, p, 50, 400);
    Till {
        shop,
        owner,
        cashier,
        manager,
        product: p,
    }
}

fn discounted_sale(product: i64, percent_bp: i64, pay: i64) -> Value {
    json!({
        "lines": [{ "product_id": product, "quantity": 1, "discount_percent_bp": percent_bp }],
        "payments": [cash(pay)],
    })
}

fn with_approval(mut args: Value, username: &str, pin: &str) -> Value {
    args["approval"] = json!({ "username": username, "pin": pin });
    args
}

fn orders(shop: &Shop) -> i64 {
    shop.count("orders")
}

#[test]
fn t39_approval_is_for_one_action_only() {
    let mut t = till();
    let args = discounted_sale(t.product, 2000, 800);
    // Without an approval the cashier is refused, and told a manager could approve.
    let e = expect_err(
        checkout(&t.shop, &mut t.cashier, args.clone()),
        "20 % off by a cashier",
    )
    .to_json();
    assert_eq!(e["code"], "forbidden", "{e}");
    assert_eq!(e["details"]["approvable"], true, "{e}");
    assert_eq!(e["details"]["needs"], json!(["sales.discount"]), "{e}");
    // The manager's PIN approves that one sale.
    let order = checkout(
        &t.shop,
        &mut t.cashier,
        with_approval(args.clone(), &t.manager, PIN),
    )
    .unwrap();
    assert_eq!(order["discount_minor"], 200);
    assert_eq!(order["total_minor"], 800);
    assert_eq!(order["cashier_id"], t.cashier.as_ref().unwrap().user_id);
    // Nothing was kept: the session is still the cashier's, and the next
    // discount needs a new approval.
    let who = t
        .shop
        .call(&mut t.cashier, "auth.whoami", json!({}))
        .unwrap();
    assert_eq!(who["role"], "cashier");
    assert!(!who["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("sales.discount")));
    let again = checkout(&t.shop, &mut t.cashier, args.clone());
    assert_eq!(code(&again), "forbidden", "{again:?}");
    // A replay of the approved call under its key is the same sale, not a second one.
    assert_eq!(orders(&t.shop), 1);
    // A read takes no approval (it changes nothing, and could not count a wrong PIN).
    let r = t.shop.call(
        &mut t.cashier,
        "sales.get",
        json!({ "id": id(&order), "approval": { "username": t.manager, "pin": PIN } }),
    );
    assert_eq!(code(&r), "validation", "{r:?}");
    verify_is_clean(&t.shop.db);
}

#[test]
fn t39_wrong_approver_secret_counts_towards_the_approvers_lockout() {
    let mut t = till();
    let args = discounted_sale(t.product, 1000, 900);
    let before = orders(&t.shop);
    // Five wrong PINs (settings.max_failed_logins) lock the manager's account.
    for n in 1..=5 {
        let r = checkout(
            &t.shop,
            &mut t.cashier,
            with_approval(args.clone(), &t.manager, "0000"),
        );
        let e = expect_err(r, "a wrong PIN").to_json();
        assert_eq!(e["code"], "forbidden", "attempt {n}: {e}");
    }
    assert_eq!(orders(&t.shop), before, "nothing was sold");
    let locked: Option<i64> = t
        .shop
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT l.locked_until_ms FROM login_state l JOIN users u ON u.id = l.user_id
                  WHERE u.username = ?1",
                [&t.manager],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert!(locked.is_some(), "the approver's account is locked");
    // The manager's own login is now refused like after five wrong logins …
    let login = t.shop.login(&t.manager, &password_of(&t.manager));
    assert_eq!(
        login.as_ref().err().map(|e| e.code().as_str()),
        Some("locked")
    );
    // … and so is an approval with the right PIN, without checking it.
    let r = checkout(
        &t.shop,
        &mut t.cashier,
        with_approval(args.clone(), &t.manager, PIN),
    );
    let e = expect_err(r, "a locked approver").to_string();
    assert!(e.contains("locked"), "{e}");
    // The cashier's own account counted nothing: the cashier still sells.
    checkout(
        &t.shop,
        &mut t.cashier,
        json!({ "lines": [{ "product_id": t.product, "quantity": 1 }], "payments": [cash(1000)] }),
    )
    .unwrap();
    // Every refused approval is audited, naming who was asked.
    let refused: Vec<_> = t
        .shop
        .audit_rows("sales.checkout")
        .into_iter()
        .filter(|r| r["result"] == "refused" && r["summary"]["approver"] == json!(t.manager))
        .collect();
    assert_eq!(refused.len(), 6, "{refused:?}");
    chain_is_intact(&t.shop.db);
}

#[test]
fn t39_a_right_approval_ends_the_approvers_run_of_wrong_secrets() {
    let mut t = till();
    let args = discounted_sale(t.product, 1000, 900);
    let failed = |t: &Till| -> i64 {
        t.shop
            .db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT l.failed_attempts FROM login_state l JOIN users u ON u.id = l.user_id
                      WHERE u.username = ?1",
                    [&t.manager],
                    |r| r.get(0),
                )?)
            })
            .unwrap()
    };
    // Four wrong PINs in a row, one short of the lockout …
    for _ in 0..4 {
        let r = checkout(
            &t.shop,
            &mut t.cashier,
            with_approval(args.clone(), &t.manager, "0000"),
        );
        assert_eq!(expect_err(r, "a wrong PIN").to_json()["code"], "forbidden");
    }
    assert_eq!(failed(&t), 4);
    // … then the right one: the sale goes through and the run is over.
    checkout(
        &t.shop,
        &mut t.cashier,
        with_approval(args.clone(), &t.manager, PIN),
    )
    .unwrap();
    assert_eq!(failed(&t), 0);
    // Four more wrong ones do not lock the manager out.
    for _ in 0..4 {
        let r = checkout(
            &t.shop,
            &mut t.cashier,
            with_approval(args.clone(), &t.manager, "0000"),
        );
        assert_eq!(expect_err(r, "a wrong PIN").to_json()["code"], "forbidden");
    }
    assert!(t.shop.login(&t.manager, &password_of(&t.manager)).is_ok());
}

#[test]
fn t39_approver_without_the_permission_is_refused() {
    let mut t = till();
    let args = discounted_sale(t.product, 1000, 900);
    // Another cashier cannot approve a discount.
    let other = "cash-ben";
    t.shop.create_user(&mut t.owner, other, "cashier");
    let r = checkout(
        &t.shop,
        &mut t.cashier,
        with_approval(args.clone(), other, PIN),
    );
    let e = expect_err(r, "a cashier approving").to_string();
    assert!(e.contains("may not approve"), "{e}");
    // A manager cannot approve what a manager may not do (settings.manage).
    let s = t
        .shop
        .call(&mut t.cashier, "settings.get", json!({}))
        .unwrap();
    let r = t.shop.call(
        &mut t.cashier,
        "settings.update",
        with_approval(
            json!({ "version": s["version"], "settings": { "receipt_footer": "hi" } }),
            &t.manager,
            PIN,
        ),
    );
    let e = expect_err(r, "a manager approving settings").to_string();
    assert!(e.contains("settings.manage"), "{e}");
    // One cannot approve one's own action, even with the right secret.
    let me = t.cashier.as_ref().unwrap().username.clone();
    let r = checkout(
        &t.shop,
        &mut t.cashier,
        json!({
            "lines": [{ "product_id": t.product, "quantity": 1, "discount_percent_bp": 1000 }],
            "payments": [cash(900)],
            "approval": { "username": me, "password": password_of(&me) },
        }),
    );
    assert_eq!(code(&r), "forbidden", "{r:?}");
    assert_eq!(orders(&t.shop), 0);
    let footer = t
        .shop
        .call(&mut t.owner, "settings.get", json!({}))
        .unwrap();
    assert_eq!(footer["settings"]["receipt_footer"], "");
    // A malformed approval names its field.
    let r = checkout(
        &t.shop,
        &mut t.cashier,
        merged_approval(args, json!({ "username": t.manager })),
    );
    let e = expect_err(r, "an approval without a secret").to_json();
    assert_eq!(e["details"]["field"], "approval.pin", "{e}");
}

fn merged_approval(mut args: Value, approval: Value) -> Value {
    args["approval"] = approval;
    args
}

#[test]
fn t39_approval_is_audited_with_both_names() {
    let mut t = till();
    let cashier = t.cashier.as_ref().unwrap().username.clone();
    let order = checkout(
        &t.shop,
        &mut t.cashier,
        with_approval(discounted_sale(t.product, 2000, 800), &t.manager, PIN),
    )
    .unwrap();
    let rows = t.shop.audit_rows("sales.checkout");
    let row = rows
        .iter()
        .find(|r| r["result"] == "ok")
        .expect("the approved sale is audited");
    assert_eq!(row["username"], json!(cashier), "the actor is the cashier");
    assert_eq!(row["approved_by_username"], json!(t.manager), "{row}");
    assert_eq!(row["entity_id"], json!(order["id"].to_string()));
    // An approval by password works the same, and is named the same way.
    let mut args = discounted_sale(t.product, 1000, 900);
    args["approval"] = json!({ "username": t.manager, "password": password_of(&t.manager) });
    checkout(&t.shop, &mut t.cashier, args).unwrap();
    let named = t
        .shop
        .audit_rows("sales.checkout")
        .into_iter()
        .filter(|r| r["approved_by_username"] == json!(t.manager))
        .count();
    assert_eq!(named, 2);
    // A sale without an approval names no approver.
    checkout(
        &t.shop,
        &mut t.cashier,
        json!({ "lines": [{ "product_id": t.product, "quantity": 1 }], "payments": [cash(1000)] }),
    )
    .unwrap();
    let plain = t.shop.audit_rows("sales.checkout");
    assert_eq!(plain[0]["approved_by"], Value::Null);
    // The approver is part of the hashed row: the chain verifies.
    chain_is_intact(&t.shop.db);
    verify_is_clean(&t.shop.db);
}

// ---------------------------------------------------------------------------
// Discounts

/// Three lines of 3.33, 3.33 and 3.34 (no tax) and 10 % off the basket: the
/// basket's 1.00 is worked out once and spread by the one allocation rule, so
/// the lines' shares sum to it exactly.
#[test]
fn a_basket_percentage_is_spread_over_the_lines_and_sums_exactly() {
    let (shop, mut owner) = Shop::with_owner();
    let a = product(&shop, &mut owner, "BA", 333, "zero");
    let b = product(&shop, &mut owner, "BB", 333, "zero");
    let c = product(&shop, &mut owner, "BC", 334, "zero");
    let lines = json!([
        { "product_id": a, "quantity": 1 },
        { "product_id": b, "quantity": 1 },
        { "product_id": c, "quantity": 1 },
    ]);
    let q = shop
        .call(
            &mut owner,
            "sales.quote",
            json!({ "lines": lines, "basket_discount": { "percent_bp": 1000 } }),
        )
        .unwrap();
    assert_eq!(q["basket_discount_minor"], 100);
    let shares: Vec<i64> = q["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["basket_discount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(shares.iter().sum::<i64>(), 100, "{shares:?}");
    assert_eq!(q["discount_minor"], 100);
    assert_eq!(q["total_minor"], 900);
}

#[test]
fn presets_are_for_cashiers_and_capped_and_overrides_need_their_permission() {
    let mut t = till();
    let staff = t
        .shop
        .call(
            &mut t.owner,
            "discounts.create_preset",
            json!({ "idempotency_key": key(), "name": "Staff 10 %", "scope": "line",
                    "percent_bp": 1000, "max_minor": 50 }),
        )
        .unwrap();
    let basket = t
        .shop
        .call(
            &mut t.owner,
            "discounts.create_preset",
            json!({ "idempotency_key": key(), "name": "Loyal £1", "scope": "basket",
                    "amount_minor": 100 }),
        )
        .unwrap();
    let listed = t
        .shop
        .call(&mut t.cashier, "discounts.presets", json!({}))
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // A cashier applies presets without an approval; the cap holds (10 % of 10.00 → 0.50).
    let order = checkout(
        &t.shop,
        &mut t.cashier,
        json!({
            "lines": [{ "product_id": t.product, "quantity": 1, "discount_preset_id": id(&staff) }],
            "basket_discount": { "preset_id": id(&basket) },
            "payments": [cash(850)],
        }),
    )
    .unwrap();
    assert_eq!(order["discount_minor"], 150);
    assert_eq!(order["total_minor"], 850);
    // A line preset is not a basket preset.
    let r = t.shop.call(
        &mut t.cashier,
        "sales.quote",
        json!({ "lines": [{ "product_id": t.product, "quantity": 1 }],
                "basket_discount": { "preset_id": id(&staff) } }),
    );
    assert_eq!(code(&r), "validation", "{r:?}");
    // A price override needs sales.price_override: a manager's approval.
    let override_args = json!({
        "lines": [{ "product_id": t.product, "quantity": 2, "price_override_minor": 700,
                    "price_override_reason": "price match" }],
        "payments": [cash(1400)],
    });
    let r = checkout(&t.shop, &mut t.cashier, override_args.clone());
    let e = expect_err(r, "an override by a cashier").to_json();
    assert_eq!(
        e["details"]["needs"],
        json!(["sales.price_override"]),
        "{e}"
    );
    let sold = checkout(
        &t.shop,
        &mut t.cashier,
        with_approval(override_args, &t.manager, PIN),
    )
    .unwrap();
    assert_eq!(sold["total_minor"], 1400);
    assert_eq!(sold["lines"][0]["unit_price_minor"], 700);
    // An override without a reason is refused, naming the field.
    let r = t.shop.call(
        &mut t.owner,
        "sales.quote",
        json!({ "lines": [{ "product_id": t.product, "quantity": 1, "price_override_minor": 1 }] }),
    );
    let e = expect_err(r, "no reason").to_json();
    assert_eq!(
        e["details"]["field"], "lines[0].price_override_reason",
        "{e}"
    );
    // Archived, a preset is no longer offered.
    t.shop
        .call(
            &mut t.owner,
            "discounts.archive_preset",
            json!({ "id": id(&staff), "version": staff["version"] }),
        )
        .unwrap();
    let listed = t
        .shop
        .call(&mut t.cashier, "discounts.presets", json!({}))
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    verify_is_clean(&t.shop.db);
}

#[test]
fn discounts_survive_parking_and_recall() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(&shop, &mut owner, "HLD", 1000, "zero");
    receive(&shop, &mut owner, p, 10, 100);
    let mut args = hold_args(json!([
        { "product_id": p, "quantity": 1, "discount_percent_bp": 1500 },
        { "product_id": p, "quantity": 1, "price_override_minor": 800, "price_override_reason": "dented" },
    ]));
    args["basket_discount"] = json!({ "amount_minor": 100 });
    let held = shop.call(&mut owner, "sales.hold", args).unwrap();
    let recalled = shop
        .call(&mut owner, "sales.recall", json!({ "id": id(&held) }))
        .unwrap();
    assert_eq!(recalled["basket_discount"]["amount_minor"], 100);
    assert_eq!(recalled["lines"][0]["discount_percent_bp"], 1500);
    assert_eq!(recalled["lines"][1]["price_override_minor"], 800);
    assert_eq!(recalled["lines"][1]["price_override_reason"], "dented");
    // The recalled cart priced again by the core comes to the same total.
    let lines: Vec<Value> = recalled["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let mut line = json!({ "product_id": l["product_id"], "quantity": l["quantity"] });
            for f in [
                "discount_percent_bp",
                "price_override_minor",
                "price_override_reason",
            ] {
                if !l[f].is_null() {
                    line[f] = l[f].clone();
                }
            }
            line
        })
        .collect();
    let q = shop
        .call(
            &mut owner,
            "sales.quote",
            json!({ "lines": lines, "basket_discount": recalled["basket_discount"] }),
        )
        .unwrap();
    // 1000 − 150, 800; then 1.00 off the basket.
    assert_eq!(q["total_minor"], 850 + 800 - 100);
}

#[test]
fn t05_discount_preset_commands_leave_nothing_partial() {
    let (shop, mut owner) = Shop::with_owner();
    let mut n = 0;
    sweep_faults(&shop, &mut owner, "discounts.create_preset", || {
        n += 1;
        json!({ "idempotency_key": key(), "name": format!("Preset {n}"), "scope": "basket",
                "percent_bp": 500 })
    });
    let made = shop
        .call(
            &mut owner,
            "discounts.create_preset",
            json!({ "idempotency_key": key(), "name": "To archive", "scope": "line", "amount_minor": 10 }),
        )
        .unwrap();
    let (pid, version) = (id(&made), made["version"].clone());
    sweep_faults(
        &shop,
        &mut owner,
        "discounts.archive_preset",
        || json!({ "id": pid, "version": version }),
    );
}

/// The terminal reference is the shop's choice (`card_reference`): required by
/// default (the core refuses a card payment without it), optional or off.
#[test]
fn a_card_payment_needs_its_reference_only_when_the_shop_requires_it() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(&shop, &mut owner, "CRD", 500, "zero");
    receive(&shop, &mut owner, p, 10, 100);
    let sale = || {
        json!({ "lines": [{ "product_id": p, "quantity": 1 }],
                "payments": [{ "tender": "card", "amount_minor": 500 }] })
    };
    let e = expect_err(checkout(&shop, &mut owner, sale()), "no reference").to_json();
    assert_eq!(e["details"]["field"], "payments[0].reference", "{e}");
    for mode in ["optional", "off"] {
        let s = shop.call(&mut owner, "settings.get", json!({})).unwrap();
        shop.call(
            &mut owner,
            "settings.update",
            json!({ "version": s["version"], "settings": { "card_reference": mode } }),
        )
        .unwrap();
        let order = checkout(&shop, &mut owner, sale()).unwrap();
        assert_eq!(order["payments"][0]["reference"], Value::Null, "{mode}");
    }
    // A reference is still for card payments only.
    let r = checkout(
        &shop,
        &mut owner,
        json!({ "lines": [{ "product_id": p, "quantity": 1 }],
                "payments": [{ "tender": "cash", "amount_minor": 500, "reference": "X" }] }),
    );
    assert_eq!(code(&r), "validation", "{r:?}");
    verify_is_clean(&shop.db);
}

/// A no-sale (the drawer opened without a sale) needs an open drawer and,
/// for a cashier, a manager's approval for that one open; each is kept in its
/// shift and audited with both names. A reason is required.
#[test]
fn t39_a_no_sale_needs_a_drawer_and_a_managers_approval() {
    let mut t = till();
    let cashier = t.cashier.as_ref().unwrap().username.clone();
    let args = || json!({ "idempotency_key": key(), "reason": "change for a 20 note" });
    // No shift is open: there is no drawer to open, whoever asks.
    let r = t.shop.call(&mut t.owner, "shifts.no_sale", args());
    assert_eq!(code(&r), "conflict", "{r:?}");
    let shift = t
        .shop
        .call(
            &mut t.cashier,
            "shifts.open",
            json!({ "idempotency_key": key(), "opening_float_minor": 5000 }),
        )
        .unwrap();
    // The cashier alone is refused, and told a manager could approve.
    let e = expect_err(
        t.shop.call(&mut t.cashier, "shifts.no_sale", args()),
        "a cashier's no-sale",
    )
    .to_json();
    assert_eq!(e["code"], "forbidden", "{e}");
    assert_eq!(e["details"]["approvable"], true, "{e}");
    assert_eq!(e["details"]["needs"], json!(["drawer.open"]), "{e}");
    // An empty reason is named.
    let r = t.shop.call(
        &mut t.owner,
        "shifts.no_sale",
        json!({ "idempotency_key": key(), "reason": "" }),
    );
    assert_eq!(code(&r), "validation", "{r:?}");
    assert_eq!(t.shop.count("shift_no_sales"), 0);
    // The manager's PIN approves this one open, in the cashier's shift.
    let v = t
        .shop
        .call(
            &mut t.cashier,
            "shifts.no_sale",
            with_approval(args(), &t.manager, PIN),
        )
        .unwrap();
    assert_eq!(v["shift_id"], shift["id"], "{v}");
    assert_eq!(v["reason"], "change for a 20 note");
    let row = t
        .shop
        .audit_rows("shifts.no_sale")
        .into_iter()
        .find(|r| r["result"] == "ok")
        .expect("the no-sale is audited");
    assert_eq!(row["username"], json!(cashier), "{row}");
    assert_eq!(row["approved_by_username"], json!(t.manager), "{row}");
    // The next one needs a new approval.
    let again = t.shop.call(&mut t.cashier, "shifts.no_sale", args());
    assert_eq!(code(&again), "forbidden", "{again:?}");
    // The owner holds drawer.open and needs nobody.
    t.shop.call(&mut t.owner, "shifts.no_sale", args()).unwrap();
    assert_eq!(t.shop.count("shift_no_sales"), 2);
    // Both are on the shift's Z-report, newest first, with who and why.
    let z = t
        .shop
        .call(
            &mut t.owner,
            "shifts.z_report",
            json!({ "shift_id": shift["id"] }),
        )
        .unwrap();
    assert_eq!(z["no_sales_count"], 2, "{z}");
    let reasons: Vec<&str> = z["no_sales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["change for a 20 note", "change for a 20 note"]);
    assert_ne!(
        z["no_sales"][0]["user_name"], z["no_sales"][1]["user_name"],
        "{z}"
    );
    verify_is_clean(&t.shop.db);
}
