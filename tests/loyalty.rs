//! Loyalty: points earned at checkout by typed rules, taken back by
//! refunds (never below zero), claims that two processes cannot make twice
//! (D01, D12), refused and failed claims audited (D08), expiry idempotent per
//! day, manager tools, the schema's own guards, results identical across runs
//! (D04), a fault sweep for every write command (T05), and a property test:
//! balance = sum of movements ≥ 0 and the loyalty liability = outstanding
//! points × point value after any sequence of operations.

use crate::support::checks::{code, scalar};
use crate::support::faults::{audit_after, chain_is_intact, line, max_audit_id, sweep_faults};
use crate::support::fixtures::{
    cash, checkout, customer, id, merged, open_shift, receive, sale_at_quote, submit, void,
    Product, Refund,
};
use crate::support::process::SpawnGuarded;
use crate::support::race::{await_ready, child_result, child_starts, sleep_until, start_both};
use crate::support::{key, Shop, OWNER, OWNER_PASSWORD, START_MS};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::{BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::SystemTime;
use tillbook_core::clock::ManualClock;
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::ops::verify;
use tillbook_core::{ledger, loyalty, Dispatcher, Error, Session};

const DAY_MS: i64 = 86_400_000;

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// A zero-rated product (net = price) with 1000 units in stock.
fn stocked(shop: &Shop, s: &mut Option<Session>, category: &str, price_minor: i64) -> i64 {
    let id = Product::new(&format!("L-{}", key()), price_minor)
        .name(&format!("{category} item"))
        .with("category", json!(category))
        .tax("zero")
        .create(shop, s);
    receive(shop, s, id, 1000, 10);
    id
}

/// A confirmed cash sale; returns (order id, its line ids in order).
fn sell(
    shop: &Shop,
    s: &mut Option<Session>,
    customer: Option<i64>,
    lines: &[(i64, i64)],
) -> (i64, Vec<i64>) {
    sell_with_claim(shop, s, customer, lines, None)
}

/// A confirmed cash sale using a claimed reward (`sales.checkout` redeems it).
fn sell_with_claim(
    shop: &Shop,
    s: &mut Option<Session>,
    customer: Option<i64>,
    lines: &[(i64, i64)],
    claim: Option<i64>,
) -> (i64, Vec<i64>) {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(p, q)| json!({ "product_id": p, "quantity": q }))
        .collect();
    let cart = json!({ "customer_id": customer, "lines": lines, "loyalty_claim_id": claim });
    let order_id = id(&sale_at_quote(shop, s, cart));
    let ids = shop
        .db
        .read(|c| {
            let mut st =
                c.prepare("SELECT id FROM order_lines WHERE order_id = ?1 ORDER BY line_no")?;
            let rows = st.query_map([order_id], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
        })
        .unwrap();
    (order_id, ids)
}

fn refund(
    shop: &Shop,
    s: &mut Option<Session>,
    order_id: i64,
    lines: &[(i64, i64)],
) -> Result<Value, Error> {
    lines
        .iter()
        .fold(Refund::of(order_id, "returned"), |r, (l, q)| {
            r.line(l, *q, "restock")
        })
        .submit(shop, s)
}

/// Sets the earning rules (reading the current version first).
fn configure(shop: &Shop, s: &mut Option<Session>, rules: Value) -> Result<Value, Error> {
    let cfg = shop.call(s, "loyalty.config", json!({})).unwrap();
    let defaults = json!({
        "version": cfg["version"],
        "points_per_unit": 1,
        "point_value_minor": 1,
        "min_spend_minor": 0,
    });
    shop.call(s, "loyalty.configure", merged(defaults, rules))
}

fn reward(shop: &Shop, s: &mut Option<Session>, extra: Value) -> i64 {
    let args = json!({
        "name": format!("Reward {}", key()),
        "points_cost": 100,
        "grant": { "kind": "amount", "amount_minor": 500 },
    });
    id(&submit(shop, s, "loyalty.create_reward", merged(args, extra)).unwrap())
}

fn claim(shop: &Shop, s: &mut Option<Session>, customer: i64, reward: i64) -> Result<Value, Error> {
    submit(
        shop,
        s,
        "loyalty.claim",
        json!({ "customer_id": customer, "reward_id": reward }),
    )
}

fn adjust(
    shop: &Shop,
    s: &mut Option<Session>,
    customer: i64,
    points: i64,
) -> Result<Value, Error> {
    submit(
        shop,
        s,
        "loyalty.adjust",
        json!({ "customer_id": customer, "points": points, "reason": "goodwill" }),
    )
}

fn points(shop: &Shop, customer: i64) -> i64 {
    shop.db.read(|c| loyalty::balance(c, customer)).unwrap()
}

fn liability(shop: &Shop) -> i64 {
    shop.db
        .read(|c| ledger::account_balance(c, ledger::codes::LOYALTY_LIABILITY))
        .unwrap()
}

fn point_value(shop: &Shop) -> i64 {
    shop.db
        .read(loyalty::load_config)
        .unwrap()
        .point_value_minor
}

/// Everything `tillbook verify` checks is clean, and the two loyalty
/// invariants hold: balances are sums ≥ 0; liability = outstanding × value.
fn assert_consistent(shop: &Shop) {
    let report = verify::run(&shop.db).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    let outstanding = scalar(
        &shop.db,
        "SELECT coalesce(sum(points), 0) FROM loyalty_movements",
    );
    let negative = scalar(
        &shop.db,
        "SELECT count(*) FROM (SELECT customer_id FROM loyalty_movements
                               GROUP BY customer_id HAVING sum(points) < 0)",
    );
    assert_eq!(negative, 0, "a customer's points went below zero");
    assert_eq!(liability(shop), outstanding * point_value(shop));
}

/// Time passes while the till is in use: the clock moves and the session
/// stays active (the idle lock is a separate rule, T24).
fn advance(shop: &Shop, s: &mut Option<Session>, ms: i64) {
    shop.clock.advance_ms(ms);
    if let Some(sess) = s.as_mut() {
        sess.last_active_ms += ms;
    }
}

/// A shop with loyalty on (1 point per currency unit, 1 minor unit per point),
/// one customer and one product at 10.00.
fn loyalty_shop() -> (Shop, Option<Session>, i64, i64) {
    let (shop, mut owner) = Shop::with_owner();
    configure(&shop, &mut owner, json!({})).unwrap();
    let c = customer(&shop, &mut owner, "Carla");
    let p = stocked(&shop, &mut owner, "Plain", 1000);
    (shop, owner, c, p)
}

// ---------------------------------------------------------------------------
// earning
// ---------------------------------------------------------------------------

#[test]
fn earning_rules_apply_per_line_with_multipliers_exclusions_and_minimum_spend() {
    let (shop, mut owner) = Shop::with_owner();
    let tea = stocked(&shop, &mut owner, "Tea", 1000);
    let plain = stocked(&shop, &mut owner, "Plain", 250);
    let gift = stocked(&shop, &mut owner, "Gift cards", 5000);
    configure(
        &shop,
        &mut owner,
        json!({
            "points_per_unit": 2,
            "point_value_minor": 3,
            "min_spend_minor": 1500,
            "category_multipliers": [{ "category": "tea", "multiplier_bp": 15000 }],
            "excluded_product_ids": [gift],
        }),
    )
    .unwrap();
    let c = customer(&shop, &mut owner, "Carla");

    // Tea: 2 × 10.00 × 2 pts × 1.5 = 60; plain: 3 × 2.50 × 2 = 15; gift: none.
    sell(
        &shop,
        &mut owner,
        Some(c),
        &[(tea, 2), (plain, 3), (gift, 1)],
    );
    assert_eq!(points(&shop, c), 75);
    assert_eq!(liability(&shop), 75 * 3);
    assert_eq!(
        scalar(&shop.db, "SELECT count(*) FROM loyalty_earn_lines"),
        2
    );

    // Eligible spend 10.00 < 15.00 minimum (the gift card does not count).
    sell(&shop, &mut owner, Some(c), &[(tea, 1), (gift, 2)]);
    // No customer, no points.
    sell(&shop, &mut owner, None, &[(tea, 5)]);
    assert_eq!(points(&shop, c), 75);

    let bal = shop
        .call(&mut owner, "loyalty.balance", json!({ "customer_id": c }))
        .unwrap();
    assert_eq!(bal["points"], 75);
    assert_eq!(bal["value_minor"], 225);
    assert_eq!(bal["movements"][0]["kind"], "earn");
    assert_consistent(&shop);
}

#[test]
fn configure_refuses_bad_rules_naming_the_field_and_a_stale_version() {
    let (shop, mut owner) = Shop::with_owner();
    let bad = [
        (json!({ "points_per_unit": -1 }), "points_per_unit"),
        (json!({ "point_value_minor": 0 }), "point_value_minor"),
        (
            json!({ "min_spend_minor": 2_000_000_000_000i64 }),
            "min_spend_minor",
        ),
        (json!({ "expiry_days": 0 }), "expiry_days"),
        (
            json!({ "category_multipliers": [{ "category": "", "multiplier_bp": 1 }] }),
            "category_multipliers[0].category",
        ),
        (
            json!({ "excluded_product_ids": [999] }),
            "excluded_product_ids[0]",
        ),
        (json!({ "bonus": 1 }), "bonus"),
    ];
    for (rules, field) in bad {
        match configure(&shop, &mut owner, rules.clone()) {
            Err(Error::Validation { field: f, .. }) => assert_eq!(f, field, "{rules}"),
            other => panic!("{rules}: {other:?}"),
        }
    }
    configure(&shop, &mut owner, json!({})).unwrap();
    let stale = shop.call(
        &mut owner,
        "loyalty.configure",
        json!({ "version": 1, "points_per_unit": 5, "point_value_minor": 1, "min_spend_minor": 0 }),
    );
    assert_eq!(code(&stale), "conflict");
}

#[test]
fn a_changed_point_value_revalues_the_outstanding_points() {
    let (shop, mut owner, c, p) = loyalty_shop();
    sell(&shop, &mut owner, Some(c), &[(p, 4)]);
    assert_eq!(points(&shop, c), 40);
    assert_eq!(liability(&shop), 40);
    configure(&shop, &mut owner, json!({ "point_value_minor": 5 })).unwrap();
    assert_eq!(liability(&shop), 200);
    assert_eq!(
        scalar(&shop.db, "SELECT count(*) FROM loyalty_revaluations"),
        1
    );
    let r = reward(&shop, &mut owner, json!({ "points_cost": 30 }));
    claim(&shop, &mut owner, c, r).unwrap();
    assert_eq!(liability(&shop), 50);
    configure(&shop, &mut owner, json!({ "point_value_minor": 2 })).unwrap();
    assert_eq!(liability(&shop), 20);
    assert_consistent(&shop);
}

// ---------------------------------------------------------------------------
// refunds
// ---------------------------------------------------------------------------

#[test]
fn refunds_take_back_earned_points_proportionally_and_never_below_zero() {
    let (shop, mut owner, c, p) = loyalty_shop();
    let (order, lines) = sell(&shop, &mut owner, Some(c), &[(p, 7)]);
    assert_eq!(points(&shop, c), 70);

    // 7 units in parts of 2, 2 and 3: exactly the 70 points come back.
    refund(&shop, &mut owner, order, &[(lines[0], 2)]).unwrap();
    assert_eq!(points(&shop, c), 50);
    refund(&shop, &mut owner, order, &[(lines[0], 2)]).unwrap();
    assert_eq!(points(&shop, c), 30);
    refund(&shop, &mut owner, order, &[(lines[0], 3)]).unwrap();
    assert_eq!(points(&shop, c), 0);
    assert_consistent(&shop);

    // Points already spent: the refund takes what is left, the rest is
    // written off, and both are recorded.
    let (order, lines) = sell(&shop, &mut owner, Some(c), &[(p, 5)]);
    let r = reward(&shop, &mut owner, json!({ "points_cost": 40 }));
    claim(&shop, &mut owner, c, r).unwrap();
    assert_eq!(points(&shop, c), 10);
    let refunded = refund(&shop, &mut owner, order, &[(lines[0], 5)]).unwrap();
    assert_eq!(points(&shop, c), 0);
    let rid = refunded["id"].as_i64().unwrap();
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT points_due * 1000 + points_taken FROM loyalty_reversals WHERE refund_id = {rid}")
        ),
        50 * 1000 + 10
    );
    assert_consistent(&shop);
}

#[test]
fn claim_for_checkout_and_mark_redeemed_with_a_real_order_and_its_refund_returns_the_points() {
    let (shop, mut owner, c, p) = loyalty_shop();
    let other = customer(&shop, &mut owner, "Olga");
    sell(&shop, &mut owner, Some(c), &[(p, 20)]);
    let r = reward(
        &shop,
        &mut owner,
        json!({ "points_cost": 120, "valid_until_ms": START_MS + 10 * DAY_MS }),
    );
    let cl = claim(&shop, &mut owner, c, r).unwrap();
    let claim_id = cl["id"].as_i64().unwrap();
    assert_eq!(points(&shop, c), 80);
    let now = shop.d.now_ms();

    let grant = shop
        .db
        .read(|conn| loyalty::claim_for_checkout(conn, claim_id, c, now))
        .unwrap();
    assert_eq!(grant.grant, loyalty::Grant::Amount { amount_minor: 500 });
    let wrong = shop
        .db
        .read(|conn| loyalty::claim_for_checkout(conn, claim_id, other, now));
    assert!(matches!(wrong, Err(Error::Validation { ref field, .. }) if field == "claim_id"));
    let late = shop
        .db
        .read(|conn| loyalty::claim_for_checkout(conn, claim_id, c, START_MS + 10 * DAY_MS));
    assert_eq!(late.unwrap_err().code().as_str(), "conflict");

    // Marked redeemed on a real order directly (`sales.checkout` does this in
    // its transaction; here the order's lines carry no reward discount, and
    // verify compares the two, so the redemption records 0).
    let (order, lines) = sell(&shop, &mut owner, Some(c), &[(p, 4)]);
    assert_eq!(points(&shop, c), 120);
    shop.db
        .write(|tx| loyalty::mark_redeemed(tx, claim_id, order, 0))
        .unwrap();
    let again = shop
        .db
        .write(|tx| loyalty::mark_redeemed(tx, claim_id, order, 0));
    assert_eq!(again.unwrap_err().code().as_str(), "conflict");
    let used = shop
        .db
        .read(|conn| loyalty::claim_for_checkout(conn, claim_id, c, now));
    assert_eq!(used.unwrap_err().code().as_str(), "conflict");
    let missing = shop
        .db
        .write(|tx| loyalty::mark_redeemed(tx, 9999, order, 1));
    assert_eq!(missing.unwrap_err().code().as_str(), "not_found");

    // Half the order refunded: half its earned points back, half the claim's
    // points returned. Then the rest.
    refund(&shop, &mut owner, order, &[(lines[0], 2)]).unwrap();
    assert_eq!(points(&shop, c), 120 - 20 + 60);
    refund(&shop, &mut owner, order, &[(lines[0], 2)]).unwrap();
    assert_eq!(points(&shop, c), 80 + 120);
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT sum(points) FROM loyalty_movements WHERE kind = 'return'"
        ),
        120
    );
    assert_consistent(&shop);
}

#[test]
fn a_reward_used_at_checkout_is_redeemed_once_and_its_points_return_with_a_refund() {
    let (shop, mut owner, c, p) = loyalty_shop();
    sell(&shop, &mut owner, Some(c), &[(p, 20)]);
    let r = reward(&shop, &mut owner, json!({ "points_cost": 150 }));
    let claim_id = claim(&shop, &mut owner, c, r).unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(points(&shop, c), 50);

    // 4 × 10.00 less the reward's 5.00: 35.00 paid, 35 points earned on it.
    let (order, lines) = sell_with_claim(&shop, &mut owner, Some(c), &[(p, 4)], Some(claim_id));
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT total_minor FROM orders WHERE id = {order}")
        ),
        3500
    );
    assert_eq!(points(&shop, c), 85);
    let bal = shop
        .call(&mut owner, "loyalty.balance", json!({ "customer_id": c }))
        .unwrap();
    assert!(bal["open_claims"].as_array().unwrap().is_empty());
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT order_id FROM loyalty_redemptions WHERE claim_id = {claim_id}")
        ),
        order
    );
    // The same claim cannot be used twice.
    let twice = checkout(
        &shop,
        &mut owner,
        json!({ "customer_id": c, "loyalty_claim_id": claim_id,
                "lines": [{ "product_id": p, "quantity": 1 }], "payments": [cash(1000)] }),
    );
    assert!(
        matches!(code(&twice), "conflict" | "validation"),
        "{twice:?}"
    );

    // The whole sale refunded: its 35 points go, the claim's 150 come back.
    refund(&shop, &mut owner, order, &[(lines[0], 4)]).unwrap();
    assert_eq!(points(&shop, c), 85 - 35 + 150);
    assert_consistent(&shop);
}

#[test]
fn a_voided_sale_gives_back_its_claim_and_takes_back_its_points() {
    let (shop, mut owner, c, p) = loyalty_shop();
    open_shift(&shop, &mut owner, 0).unwrap();
    sell(&shop, &mut owner, Some(c), &[(p, 20)]);
    let r = reward(&shop, &mut owner, json!({ "points_cost": 150 }));
    let claim_id = claim(&shop, &mut owner, c, r).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (order, _) = sell_with_claim(&shop, &mut owner, Some(c), &[(p, 4)], Some(claim_id));
    assert_eq!(points(&shop, c), 85);
    let void = void(&shop, &mut owner, order, "rang up twice").unwrap();
    let void_id = void["id"].as_i64().unwrap();
    let hooked = format!("SELECT count(*) FROM loyalty_movements WHERE void_id = {void_id}");
    // `sales.void` reversed the points in its own transaction: the sale's 35
    // points go and the claim's 150 come back, once.
    assert_eq!(points(&shop, c), 85 - 35 + 150);
    assert_eq!(scalar(&shop.db, &hooked), 2);
    let user = owner.as_ref().unwrap().user_id;
    let twice = shop
        .db
        .write(|tx| loyalty::reverse_for_void(tx, void_id, user, START_MS));
    assert!(twice.is_err());
    assert_eq!(points(&shop, c), 200);
    assert_consistent(&shop);
}

// ---------------------------------------------------------------------------
// claims
// ---------------------------------------------------------------------------

#[test]
fn t09_a_claim_replay_returns_the_first_claim_and_a_second_claim_is_conflict() {
    let (shop, mut owner, c, p) = loyalty_shop();
    sell(&shop, &mut owner, Some(c), &[(p, 50)]);
    let r = reward(&shop, &mut owner, json!({ "per_customer_limit": 1 }));
    let k = key();
    let args = json!({ "idempotency_key": k, "customer_id": c, "reward_id": r });
    let first = shop
        .call(&mut owner, "loyalty.claim", args.clone())
        .unwrap();
    let replay = shop.call(&mut owner, "loyalty.claim", args).unwrap();
    assert_eq!(first, replay);
    let second = claim(&shop, &mut owner, c, r);
    assert_eq!(code(&second), "conflict");
    assert_eq!(points(&shop, c), 400);
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM loyalty_claims"), 1);
    let mismatch = shop.call(
        &mut owner,
        "loyalty.claim",
        json!({ "idempotency_key": k, "customer_id": c, "reward_id": r + 1 }),
    );
    assert_eq!(code(&mismatch), "idempotency_mismatch");
}

#[test]
fn claims_respect_balance_stock_window_archive_and_access() {
    let (shop, mut owner, c, p) = loyalty_shop();
    let d = customer(&shop, &mut owner, "Dora");
    sell(&shop, &mut owner, Some(c), &[(p, 30)]);
    sell(&shop, &mut owner, Some(d), &[(p, 30)]);

    let dear = reward(&shop, &mut owner, json!({ "points_cost": 301 }));
    assert_eq!(code(&claim(&shop, &mut owner, c, dear)), "conflict");

    let limited = reward(
        &shop,
        &mut owner,
        json!({ "points_cost": 10, "stock_limit": 2 }),
    );
    claim(&shop, &mut owner, c, limited).unwrap();
    claim(&shop, &mut owner, d, limited).unwrap();
    assert_eq!(code(&claim(&shop, &mut owner, c, limited)), "conflict");

    let later = reward(
        &shop,
        &mut owner,
        json!({ "valid_from_ms": START_MS + DAY_MS, "valid_until_ms": START_MS + 2 * DAY_MS }),
    );
    assert_eq!(code(&claim(&shop, &mut owner, c, later)), "conflict");
    advance(&shop, &mut owner, DAY_MS + 1);
    claim(&shop, &mut owner, c, later).unwrap();
    advance(&shop, &mut owner, DAY_MS);
    assert_eq!(code(&claim(&shop, &mut owner, c, later)), "conflict");

    let gone = reward(&shop, &mut owner, json!({}));
    shop.call(
        &mut owner,
        "loyalty.archive_reward",
        json!({ "id": gone, "version": 1 }),
    )
    .unwrap();
    assert_eq!(code(&claim(&shop, &mut owner, c, gone)), "conflict");
    let listed = shop.call(&mut owner, "loyalty.rewards", json!({})).unwrap();
    assert!(listed["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"] != gone));

    assert_eq!(code(&claim(&shop, &mut owner, 999, limited)), "validation");
    assert_eq!(code(&claim(&shop, &mut owner, c, 999)), "validation");

    // A cashier claims at the till but cannot adjust points or change rules.
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let open = reward(&shop, &mut owner, json!({ "points_cost": 1 }));
    claim(&shop, &mut cashier, c, open).unwrap();
    assert_eq!(code(&adjust(&shop, &mut cashier, c, 5)), "forbidden");
    assert_eq!(
        code(&configure(&shop, &mut cashier, json!({}))),
        "forbidden"
    );
    assert_consistent(&shop);
}

#[test]
fn t35_t40_reward_requests_are_typed_and_bounded() {
    let (shop, mut owner, _c, _p) = loyalty_shop();
    let bad = [
        (json!({ "name": "" }), "name"),
        (json!({ "points_cost": 0 }), "points_cost"),
        (json!({ "points_cost": 2_000_000_000i64 }), "points_cost"),
        (
            json!({ "grant": { "kind": "amount", "amount_minor": 0 } }),
            "grant.amount_minor",
        ),
        (
            json!({ "grant": { "kind": "percent", "percent_bp": 10001 } }),
            "grant.percent_bp",
        ),
        (
            json!({ "grant": { "kind": "product", "product_id": 999 } }),
            "grant.product_id",
        ),
        (
            json!({ "grant": { "kind": "amount", "amount_minor": 5, "percent_bp": 1 } }),
            "grant",
        ),
        (json!({ "grant": { "kind": "points" } }), "grant"),
        (
            json!({ "valid_from_ms": 10, "valid_until_ms": 10 }),
            "valid_until_ms",
        ),
        (json!({ "stock_limit": 0 }), "stock_limit"),
        (json!({ "per_customer_limit": 0 }), "per_customer_limit"),
        (json!({ "free": true }), "free"),
    ];
    for (extra, field) in bad {
        let mut args = json!({
            "idempotency_key": key(),
            "name": "Coffee",
            "points_cost": 100,
            "grant": { "kind": "amount", "amount_minor": 500 },
        });
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        match shop.call(&mut owner, "loyalty.create_reward", args) {
            Err(Error::Validation { field: f, .. }) => {
                assert!(f.starts_with(field), "{extra}: field {f}, expected {field}")
            }
            other => panic!("{extra}: {other:?}"),
        }
    }
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM loyalty_rewards"), 0);
    for (args, field) in [
        (json!({ "limit": 0 }), "limit"),
        (json!({ "limit": 201 }), "limit"),
    ] {
        match shop.call(&mut owner, "loyalty.rewards", args.clone()) {
            Err(Error::Validation { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{args}: {other:?}"),
        }
    }
}

#[test]
fn d08_a_claim_failing_mid_transaction_moves_no_points_and_leaves_one_audit_row() {
    let (shop, mut owner, c, p) = loyalty_shop();
    sell(&shop, &mut owner, Some(c), &[(p, 50)]);
    let r = reward(&shop, &mut owner, json!({ "per_customer_limit": 1 }));
    let owner_id = owner.as_ref().unwrap().user_id;
    let sweep = sweep_faults(
        &shop,
        &mut owner,
        "loyalty.claim",
        || json!({ "idempotency_key": key(), "customer_id": c, "reward_id": r }),
    );
    assert!(sweep.statements >= 4, "{}", sweep.statements);
    for rows in &sweep.audit_after_failure {
        assert_eq!(
            rows,
            &vec![line(
                "loyalty.claim",
                "failed",
                Some("internal"),
                Some(owner_id)
            )]
        );
    }
    // The sweep ended with the one successful claim: points moved once.
    assert_eq!(points(&shop, c), 400);

    // A refused claim: nothing moves, and the refusal is in the audit log.
    let before = max_audit_id(&shop.db);
    assert_eq!(code(&claim(&shop, &mut owner, c, r)), "conflict");
    assert_eq!(
        audit_after(&shop.db, before),
        vec![line(
            "loyalty.claim",
            "refused",
            Some("conflict"),
            Some(owner_id)
        )]
    );
    assert_eq!(points(&shop, c), 400);
    chain_is_intact(&shop.db);
    assert_consistent(&shop);
}

// ---------------------------------------------------------------------------
// D01 / D12: two processes × four threads claim a once-per-customer reward
// ---------------------------------------------------------------------------

const RACE_THREADS: usize = 4;
const RACE_TRIES: usize = 25; // 2 processes × 4 threads × 25 = 200 claims
const RACE_ROUNDS: usize = 20;
const RACE_DB_ENV: &str = "TILLBOOK_LOYALTY_RACE_DB";
const RACE_IDS_ENV: &str = "TILLBOOK_LOYALTY_RACE_IDS";

/// Four threads claim the reward `RACE_TRIES` times each after `barrier`,
/// each claim with its own idempotency key; returns (ok claim ids, conflicts).
fn race_claims(
    d: &Dispatcher,
    session: &Option<Session>,
    customer: i64,
    reward: i64,
    barrier: &Barrier,
    start_at: &OnceLock<SystemTime>,
) -> (Vec<i64>, usize) {
    let outcomes: Vec<Result<Value, Error>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..RACE_THREADS)
            .map(|t| {
                let mut sess = session.clone();
                s.spawn(move || {
                    barrier.wait();
                    sleep_until(start_at);
                    (0..RACE_TRIES)
                        .map(|i| {
                            d.dispatch(
                                &mut sess,
                                "loyalty.claim",
                                json!({
                                    "idempotency_key": format!("race-{}-{t}-{i}", std::process::id()),
                                    "customer_id": customer,
                                    "reward_id": reward,
                                }),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let ok: Vec<i64> = outcomes
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    let conflicts = outcomes.iter().filter(|r| code(r) == "conflict").count();
    assert_eq!(
        ok.len() + conflicts,
        outcomes.len(),
        "unexpected errors: {:?}",
        outcomes
            .iter()
            .filter(|r| code(r) != "ok" && code(r) != "conflict")
            .collect::<Vec<_>>()
    );
    (ok, conflicts)
}

#[test]
#[ignore = "run as a child process by d01_d12_two_processes_claim_a_once_per_customer_reward_exactly_once"]
fn loyalty_race_child_process() {
    let Ok(path) = std::env::var(RACE_DB_ENV) else {
        return;
    };
    let ids: Vec<i64> = std::env::var(RACE_IDS_ENV)
        .unwrap()
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    let db = Db::open(std::path::Path::new(&path), OpenOptions::default()).unwrap();
    let d = Dispatcher::new(db, Arc::new(ManualClock::new(START_MS)));
    let mut session = None;
    d.dispatch(
        &mut session,
        "auth.login",
        json!({ "username": OWNER, "password": OWNER_PASSWORD }),
    )
    .unwrap();
    let barrier = Barrier::new(RACE_THREADS + 1);
    let start_at = OnceLock::new();
    let (ok, conflicts) = std::thread::scope(|s| {
        let h = s.spawn(|| race_claims(&d, &session, ids[0], ids[1], &barrier, &start_at));
        child_starts("RACE-READY", &start_at, &barrier);
        h.join().unwrap()
    });
    let ok: Vec<String> = ok.iter().map(i64::to_string).collect();
    println!("RACE-RESULT {conflicts} {}", ok.join(","));
    std::io::stdout().flush().unwrap();
}

/// One round: the customer holds 1000 points and 200 claims of reward `terms`
/// race from two processes; exactly `winners` may succeed.
fn race_once(terms: Value, winners: usize) {
    let (shop, mut owner, c, p) = loyalty_shop();
    sell(&shop, &mut owner, Some(c), &[(p, 100)]);
    assert_eq!(points(&shop, c), 1000);
    let r = reward(&shop, &mut owner, terms);
    let cost = scalar(
        &shop.db,
        &format!("SELECT points_cost FROM loyalty_rewards WHERE id = {r}"),
    );

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "loyalty::loyalty_race_child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(RACE_DB_ENV, &shop.path)
        .env(RACE_IDS_ENV, format!("{c},{r}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn_guarded()
        .unwrap();
    let mut child_in = child.stdin.take().unwrap();
    let mut child_out = BufReader::new(child.stdout.take().unwrap());
    await_ready(&mut child_out, "RACE-READY");
    let barrier = Barrier::new(RACE_THREADS + 1);
    let start_at = OnceLock::new();
    let (local_ok, local_conflicts) = std::thread::scope(|s| {
        let h = s.spawn(|| race_claims(&shop.d, &owner, c, r, &barrier, &start_at));
        start_both(&mut child_in, &start_at, &barrier);
        h.join().unwrap()
    });
    let child_result = child_result(&mut child_out, "RACE-RESULT ").map(|rest| {
        let mut parts = rest.splitn(2, ' ');
        let conflicts: usize = parts.next().unwrap().parse().unwrap();
        let ok: Vec<i64> = parts
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().unwrap())
            .collect();
        (ok, conflicts)
    });
    assert!(child.wait().unwrap().success(), "the child process failed");
    let (child_ok, child_conflicts) = child_result.expect("the child reported no result");

    eprintln!(
        "loyalty race: this process claimed {}, the other {}",
        local_ok.len(),
        child_ok.len()
    );
    let attempts = 2 * RACE_THREADS * RACE_TRIES;
    assert_eq!(attempts, 200);
    assert_eq!(
        local_ok.len() + child_ok.len() + local_conflicts + child_conflicts,
        attempts
    );
    assert_eq!(
        local_ok.len() + child_ok.len(),
        winners,
        "local {local_ok:?}, child {child_ok:?}"
    );
    let n = winners as i64;
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM loyalty_claims"), n);
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM loyalty_movements WHERE kind = 'redeem'"
        ),
        n
    );
    assert_eq!(points(&shop, c), 1000 - n * cost);
    // Every refusal is in the audit log (D08), from either process.
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM audit_log WHERE command = 'loyalty.claim' AND result = 'refused'"
        ),
        200 - n
    );
    assert_consistent(&shop);
    chain_is_intact(&shop.db);
}

#[test]
fn d01_d12_two_processes_claim_a_once_per_customer_reward_exactly_once() {
    for _ in 0..RACE_ROUNDS {
        race_once(json!({ "per_customer_limit": 1 }), 1);
    }
}

/// The balance is checked inside the transaction too: 1000 points buy exactly
/// three claims of 300, however the 200 attempts interleave.
#[test]
fn d01_d12_two_processes_cannot_spend_the_same_points_twice() {
    for _ in 0..5 {
        race_once(json!({ "points_cost": 300 }), 3);
    }
}

// ---------------------------------------------------------------------------
// expiry
// ---------------------------------------------------------------------------

#[test]
fn expiry_takes_the_oldest_unspent_points_once_per_day() {
    let (shop, mut owner, c, p) = loyalty_shop();
    configure(&shop, &mut owner, json!({ "expiry_days": 30 })).unwrap();
    let first = shop.call(&mut owner, "loyalty.expire", json!({})).unwrap();
    assert_eq!(first["points"], 0);
    assert_eq!(first["already_ran"], false);

    sell(&shop, &mut owner, Some(c), &[(p, 10)]); // 100 points, day 0
    advance(&shop, &mut owner, 10 * DAY_MS);
    sell(&shop, &mut owner, Some(c), &[(p, 5)]); // 50 points, day 10
    let r = reward(&shop, &mut owner, json!({ "points_cost": 30 }));
    claim(&shop, &mut owner, c, r).unwrap(); // spends the oldest: 70 of day 0 left
    assert_eq!(points(&shop, c), 120);

    advance(&shop, &mut owner, 21 * DAY_MS); // day 31: day-0 points expired
    let run = shop.call(&mut owner, "loyalty.expire", json!({})).unwrap();
    assert_eq!(run["points"], 70);
    assert_eq!(run["customers"], 1);
    assert_eq!(points(&shop, c), 50);
    // Idempotent per day: the same day's second call changes nothing.
    let again = shop.call(&mut owner, "loyalty.expire", json!({})).unwrap();
    assert_eq!(again["already_ran"], true);
    assert_eq!(again["id"], run["id"]);
    assert_eq!(points(&shop, c), 50);
    assert_eq!(
        scalar(&shop.db, "SELECT count(*) FROM loyalty_expiry_runs"),
        2
    );
    // The next day, nothing new has expired.
    advance(&shop, &mut owner, DAY_MS);
    let quiet = shop.call(&mut owner, "loyalty.expire", json!({})).unwrap();
    assert_eq!(quiet["points"], 0);
    advance(&shop, &mut owner, 10 * DAY_MS); // day 42: the day-10 points expire
    let run = shop.call(&mut owner, "loyalty.expire", json!({})).unwrap();
    assert_eq!(run["points"], 50);
    assert_eq!(points(&shop, c), 0);
    assert_eq!(
        scalar(&shop.db, "SELECT count(*) FROM loyalty_expiry_runs"),
        4
    );
    assert_consistent(&shop);
}

// ---------------------------------------------------------------------------
// manager tools
// ---------------------------------------------------------------------------

#[test]
fn manual_adjustments_need_a_reason_and_never_take_the_balance_below_zero() {
    let (shop, mut owner, c, _p) = loyalty_shop();
    adjust(&shop, &mut owner, c, 40).unwrap();
    assert_eq!(code(&adjust(&shop, &mut owner, c, -41)), "conflict");
    let m = adjust(&shop, &mut owner, c, -40).unwrap();
    assert_eq!(m["balance_after"], 0);
    assert_eq!(m["reason"], "goodwill");
    for (args, field) in [
        (
            json!({ "customer_id": c, "points": 5, "reason": "" }),
            "reason",
        ),
        (json!({ "customer_id": c, "points": 5 }), "reason"),
        (
            json!({ "customer_id": c, "points": 0, "reason": "x" }),
            "points",
        ),
        (
            json!({ "customer_id": c, "points": 2_000_000, "reason": "x" }),
            "points",
        ),
    ] {
        let mut args = args;
        args["idempotency_key"] = json!(key());
        match shop.call(&mut owner, "loyalty.adjust", args.clone()) {
            Err(Error::Validation { field: f, .. }) => assert_eq!(f, field, "{args}"),
            other => panic!("{args}: {other:?}"),
        }
    }
    let audited = shop.audit_rows("loyalty.adjust");
    assert!(audited.iter().any(|r| r["result"] == "refused"));
    assert_consistent(&shop);
}

#[test]
fn bulk_add_matches_its_preview_in_one_transaction() {
    let (shop, mut owner, c, p) = loyalty_shop();
    let d = customer(&shop, &mut owner, "Dora");
    let e = customer(&shop, &mut owner, "Emil");
    sell(&shop, &mut owner, Some(c), &[(p, 10)]);
    let filter = json!({ "max_points": 50 });
    let preview = shop
        .call(
            &mut owner,
            "loyalty.bulk_preview",
            json!({ "filter": filter, "points_each": 25 }),
        )
        .unwrap();
    assert_eq!(preview["customers"], 2);
    assert_eq!(preview["total_points"], 50);
    let ids: Vec<i64> = preview["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["customer_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![d, e]);

    // The set changed since the preview: nothing is added.
    let f = customer(&shop, &mut owner, "Fred");
    let stale = shop.call(
        &mut owner,
        "loyalty.bulk_add",
        json!({ "idempotency_key": key(), "filter": filter, "points_each": 25,
                "reason": "spring promotion", "expected_customers": 2 }),
    );
    assert_eq!(code(&stale), "conflict");
    assert_eq!(points(&shop, d), 0);

    let done = shop
        .call(
            &mut owner,
            "loyalty.bulk_add",
            json!({ "idempotency_key": key(), "filter": filter, "points_each": 25,
                    "reason": "spring promotion", "expected_customers": 3 }),
        )
        .unwrap();
    assert_eq!(done["customers"], 3);
    for x in [d, e, f] {
        assert_eq!(points(&shop, x), 25);
    }
    assert_eq!(points(&shop, c), 100);
    // One journal entry for the whole addition.
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(DISTINCT entry_id) FROM loyalty_movements WHERE bulk_id IS NOT NULL"
        ),
        1
    );

    let stats = shop
        .call(&mut owner, "loyalty.stats", json!({ "top": 2 }))
        .unwrap();
    assert_eq!(stats["earned_points"], 100);
    assert_eq!(stats["adjusted_in_points"], 75);
    assert_eq!(stats["issued_points"], 175);
    assert_eq!(stats["outstanding_points"], 175);
    assert_eq!(stats["liability_minor"], 175);
    assert_eq!(stats["customers_with_points"], 4);
    assert_eq!(stats["top_customers"][0]["customer_id"], c);
    assert_eq!(stats["top_customers"].as_array().unwrap().len(), 2);
    assert_consistent(&shop);
}

// ---------------------------------------------------------------------------
// the schema's own guards
// ---------------------------------------------------------------------------

#[test]
fn the_schema_keeps_movements_append_only_chained_and_claims_within_limits() {
    let (shop, mut owner, c, p) = loyalty_shop();
    sell(&shop, &mut owner, Some(c), &[(p, 10)]);
    let r = reward(
        &shop,
        &mut owner,
        json!({ "points_cost": 10, "per_customer_limit": 1 }),
    );
    claim(&shop, &mut owner, c, r).unwrap();
    for sql in [
        "UPDATE loyalty_movements SET points = 1000",
        "DELETE FROM loyalty_movements",
        "UPDATE loyalty_claims SET points = 1",
        "DELETE FROM loyalty_claims",
        "UPDATE loyalty_rewards SET points_cost = 1, version = version + 1",
        // A movement that skips the chain or takes the balance below zero.
        "INSERT INTO loyalty_movements (customer_id, seq, kind, points, balance_after, point_value_minor,
                value_minor, reason, entry_id, user_id, created_at_ms)
         SELECT customer_id, seq + 1, 'adjust', -500, balance_after - 500, 1, -500, 'x', entry_id, user_id, 0
         FROM loyalty_movements ORDER BY seq DESC LIMIT 1",
        "INSERT INTO loyalty_movements (customer_id, seq, kind, points, balance_after, point_value_minor,
                value_minor, reason, entry_id, user_id, created_at_ms)
         SELECT customer_id, seq, 'adjust', 5, balance_after + 5, 1, 5, 'x', entry_id, user_id, 0
         FROM loyalty_movements ORDER BY seq DESC LIMIT 1",
        // A second claim of a once-per-customer reward, whatever code writes it.
        "INSERT INTO loyalty_claims (reward_id, customer_id, points, movement_id, customer_seq,
                stock_seq, claimed_at_ms, user_id)
         SELECT reward_id, customer_id, points, (SELECT min(id) FROM loyalty_movements), 2, 2, 0, user_id
         FROM loyalty_claims",
    ] {
        let r = shop.db.write(|tx| {
            tx.execute(sql, [])?;
            Ok(())
        });
        assert!(r.is_err(), "{sql} must be refused");
    }
    assert_consistent(&shop);
}

// ---------------------------------------------------------------------------
// T05: every loyalty write command is one transaction
// ---------------------------------------------------------------------------

#[test]
fn t05_every_loyalty_write_command_is_atomic_under_injected_failure() {
    let (shop, mut owner, c, p) = loyalty_shop();
    let d = customer(&shop, &mut owner, "Dora");
    sell(&shop, &mut owner, Some(c), &[(p, 30)]);
    advance(&shop, &mut owner, DAY_MS);

    let v = shop.call(&mut owner, "loyalty.config", json!({})).unwrap()["version"].clone();
    sweep_faults(&shop, &mut owner, "loyalty.configure", || {
        json!({ "version": v, "points_per_unit": 2, "point_value_minor": 3, "min_spend_minor": 0,
                "expiry_days": 30,
                "category_multipliers": [{ "category": "Plain", "multiplier_bp": 20000 }],
                "excluded_product_ids": [p] })
    });
    assert_eq!(liability(&shop), 300 * 3);
    sweep_faults(&shop, &mut owner, "loyalty.create_reward", || {
        json!({ "idempotency_key": key(), "name": format!("R {}", key()), "points_cost": 10,
                "grant": { "kind": "percent", "percent_bp": 1000 }, "stock_limit": 5 })
    });
    let r = reward(&shop, &mut owner, json!({ "points_cost": 10 }));
    sweep_faults(
        &shop,
        &mut owner,
        "loyalty.archive_reward",
        || json!({ "id": r, "version": 1 }),
    );
    let r = reward(&shop, &mut owner, json!({ "points_cost": 10 }));
    sweep_faults(
        &shop,
        &mut owner,
        "loyalty.claim",
        || json!({ "idempotency_key": key(), "customer_id": c, "reward_id": r }),
    );
    sweep_faults(
        &shop,
        &mut owner,
        "loyalty.adjust",
        || json!({ "idempotency_key": key(), "customer_id": d, "points": 7, "reason": "fix" }),
    );
    sweep_faults(&shop, &mut owner, "loyalty.bulk_add", || {
        json!({ "idempotency_key": key(), "filter": { "customer_ids": [c, d] }, "points_each": 3,
                "reason": "promo", "expected_customers": 2 })
    });
    advance(&shop, &mut owner, 40 * DAY_MS);
    let s = sweep_faults(&shop, &mut owner, "loyalty.expire", || json!({}));
    assert!(
        s.statements > 3,
        "the expiry moved points: {}",
        s.statements
    );
    assert_eq!(points(&shop, d), 0);
    assert_consistent(&shop);
    chain_is_intact(&shop.db);
}

#[test]
fn t05_checkout_and_refund_earn_and_take_back_points_atomically() {
    let (shop, mut owner, c, p) = loyalty_shop();
    let r = reward(&shop, &mut owner, json!({ "points_cost": 10 }));
    sell(&shop, &mut owner, Some(c), &[(p, 2)]);
    let claim_id = claim(&shop, &mut owner, c, r).unwrap()["id"]
        .as_i64()
        .unwrap();
    let lines = json!([{ "product_id": p, "quantity": 3 }]);
    // The reward takes 5.00 off: 25.00 paid, 25 points earned and the claim
    // redeemed, all or nothing.
    sweep_faults(&shop, &mut owner, "sales.checkout", || {
        json!({ "idempotency_key": key(), "customer_id": c, "lines": lines,
                "loyalty_claim_id": claim_id,
                "payments": [{ "tender": "cash", "amount_minor": 2500 }] })
    });
    assert_eq!(points(&shop, c), 35);
    let order = scalar(&shop.db, "SELECT max(id) FROM orders");
    let line = scalar(
        &shop.db,
        &format!("SELECT id FROM order_lines WHERE order_id = {order}"),
    );
    sweep_faults(&shop, &mut owner, "sales.refund", || {
        json!({ "idempotency_key": key(), "order_id": order,
                "lines": [{ "order_line_id": line, "quantity": 3, "stock": "restock" }],
                "refund_to": "original", "reason": "returned" })
    });
    // The 25 points earned are taken back and the claim's 10 returned.
    assert_eq!(points(&shop, c), 20);
    assert_consistent(&shop);
}

#[test]
fn verify_reports_a_loyalty_liability_out_of_step_with_the_points() {
    let (shop, mut owner, c, p) = loyalty_shop();
    sell(&shop, &mut owner, Some(c), &[(p, 2)]);
    assert_consistent(&shop);
    let user = owner.as_ref().unwrap().user_id;
    shop.db
        .write(|tx| {
            ledger::post(
                tx,
                &ledger::JournalEntry {
                    posted_at_ms: START_MS,
                    memo: "written around the loyalty module",
                    source_type: "test",
                    source_id: 1,
                    user_id: user,
                    reverses_entry_id: None,
                    lines: vec![
                        ledger::Line::debit(loyalty::LOYALTY_EXPENSE, 5, None),
                        ledger::Line::credit(
                            ledger::codes::LOYALTY_LIABILITY,
                            5,
                            Some(ledger::Party::Customer(c)),
                        ),
                    ],
                },
            )
        })
        .unwrap();
    let problems = verify::run(&shop.db).unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("loyalty: loyalty liability is 25")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&format!("customer {c}'s loyalty liability"))),
        "{problems:?}"
    );
}

// ---------------------------------------------------------------------------
// D04: the same operations give the same results, run after run
// ---------------------------------------------------------------------------

fn scenario() -> Vec<String> {
    let (shop, mut owner, c, p) = loyalty_shop();
    let d = customer(&shop, &mut owner, "Dora");
    configure(
        &shop,
        &mut owner,
        json!({ "points_per_unit": 3, "expiry_days": 5 }),
    )
    .unwrap();
    let (order, lines) = sell(&shop, &mut owner, Some(c), &[(p, 7)]);
    let r = reward(
        &shop,
        &mut owner,
        json!({ "points_cost": 50, "per_customer_limit": 1 }),
    );
    claim(&shop, &mut owner, c, r).unwrap();
    refund(&shop, &mut owner, order, &[(lines[0], 3)]).unwrap();
    adjust(&shop, &mut owner, d, 12).unwrap();
    advance(&shop, &mut owner, 6 * DAY_MS);
    shop.call(&mut owner, "loyalty.expire", json!({})).unwrap();
    shop.db
        .read(|conn| {
            let mut st = conn.prepare(
                "SELECT m.customer_id, m.seq, m.kind, m.points, m.balance_after, m.value_minor,
                        m.expires_at_ms, m.created_at_ms, e.total_minor
                 FROM loyalty_movements m JOIN journal_entries e ON e.id = m.entry_id
                 ORDER BY m.id",
            )?;
            let rows = st.query_map([], |r| {
                let vals = (0..9)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(format!("{vals:?}"))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap()
}

#[test]
fn d04_the_same_operations_give_identical_results_across_runs() {
    let first = scenario();
    assert!(first.len() >= 5, "{first:?}");
    assert_eq!(first, scenario());
}

// ---------------------------------------------------------------------------
// property: any sequence keeps balance = Σ movements ≥ 0 and liability = points × value
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Sale {
        customer: usize,
        product: usize,
        qty: i64,
    },
    Refund {
        order: usize,
        qty: i64,
    },
    Claim {
        customer: usize,
        reward: usize,
    },
    Redeem {
        customer: usize,
        qty: i64,
    },
    Expire {
        days: i64,
    },
    Adjust {
        customer: usize,
        points: i64,
    },
    Revalue {
        value: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..3usize, 1..8i64).prop_map(|(customer, product, qty)| Op::Sale { customer, product, qty }),
        3 => (0..50usize, 1..4i64).prop_map(|(order, qty)| Op::Refund { order, qty }),
        2 => (0..3usize, 0..2usize).prop_map(|(customer, reward)| Op::Claim { customer, reward }),
        2 => (0..3usize, 1..8i64).prop_map(|(customer, qty)| Op::Redeem { customer, qty }),
        1 => (0..60i64).prop_map(|days| Op::Expire { days }),
        1 => (0..3usize, -80..80i64).prop_map(|(customer, points)| Op::Adjust { customer, points }),
        1 => (1..5i64).prop_map(|value| Op::Revalue { value }),
    ]
}

proptest! {
    // Each case is a new shop with a real Argon2id login: few, long cases.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn loyalty_balances_and_liability_hold_over_random_operations(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        let (shop, mut owner) = Shop::with_owner();
        let products = [
            stocked(&shop, &mut owner, "Tea", 1500),
            stocked(&shop, &mut owner, "Plain", 990),
            stocked(&shop, &mut owner, "Gift", 1000),
        ];
        configure(&shop, &mut owner, json!({
            "points_per_unit": 2,
            "expiry_days": 30,
            "category_multipliers": [{ "category": "Tea", "multiplier_bp": 15000 }],
            "excluded_product_ids": [products[2]],
        })).unwrap();
        let customers: Vec<i64> = (0..3).map(|i| customer(&shop, &mut owner, &format!("C{i}"))).collect();
        let rewards = [
            reward(&shop, &mut owner, json!({ "points_cost": 50 })),
            reward(&shop, &mut owner, json!({ "points_cost": 120, "per_customer_limit": 1, "stock_limit": 2,
                                              "grant": { "kind": "percent", "percent_bp": 2500 } })),
        ];
        let mut orders: Vec<(i64, i64, i64, i64)> = Vec::new(); // (order, line, qty, customer)
        for op in ops {
            let result = match op.clone() {
                Op::Sale { customer, product, qty } => {
                    let c = customers[customer];
                    let (o, lines) = sell(&shop, &mut owner, Some(c), &[(products[product], qty)]);
                    orders.push((o, lines[0], qty, c));
                    Ok(Value::Null)
                }
                Op::Refund { order, qty } => {
                    if orders.is_empty() {
                        continue;
                    }
                    let (o, l, sold, _) = orders[order % orders.len()];
                    let done = scalar(&shop.db, &format!(
                        "SELECT coalesce(sum(quantity), 0) FROM refund_lines WHERE order_line_id = {l}"));
                    let q = qty.min(sold - done);
                    if q == 0 {
                        continue;
                    }
                    refund(&shop, &mut owner, o, &[(l, q)])
                }
                Op::Claim { customer, reward } => claim(&shop, &mut owner, customers[customer], rewards[reward]),
                Op::Redeem { customer, qty } => {
                    let c = customers[customer];
                    let open = scalar(&shop.db, &format!(
                        "SELECT coalesce(min(c.id), 0) FROM loyalty_claims c
                         WHERE c.customer_id = {c}
                           AND NOT EXISTS (SELECT 1 FROM loyalty_redemptions r WHERE r.claim_id = c.id)"));
                    if open == 0 {
                        continue;
                    }
                    // The claim used at the till by a real checkout.
                    let (o, lines) = sell_with_claim(&shop, &mut owner, Some(c), &[(products[1], qty)], Some(open));
                    orders.push((o, lines[0], qty, c));
                    Ok(Value::Null)
                }
                Op::Expire { days } => {
                    advance(&shop, &mut owner, days * DAY_MS);
                    shop.call(&mut owner, "loyalty.expire", json!({}))
                }
                Op::Adjust { customer, points } => {
                    if points == 0 {
                        continue;
                    }
                    adjust(&shop, &mut owner, customers[customer], points)
                }
                Op::Revalue { value } => configure(&shop, &mut owner, json!({
                    "points_per_unit": 2,
                    "point_value_minor": value,
                    "expiry_days": 30,
                    "category_multipliers": [{ "category": "Tea", "multiplier_bp": 15000 }],
                    "excluded_product_ids": [products[2]],
                })),
            };
            // Refusals are expected (not enough points, a limit reached); nothing else.
            prop_assert!(matches!(code(&result), "ok" | "conflict"), "{op:?}: {result:?}");
            assert_consistent(&shop);
        }
        for c in &customers {
            let listed = shop.call(&mut owner, "loyalty.balance", json!({ "customer_id": c })).unwrap();
            prop_assert_eq!(listed["points"].as_i64().unwrap(), points(&shop, *c));
            prop_assert!(points(&shop, *c) >= 0);
        }
    }
}
