//! Held (parked) carts: the rule tests for T05 T09 T11 T17 T35.
//! A hold reserves its units in the same transaction that saves it.

use crate::support::checks::{code, field_of, scalar};
use crate::support::faults::{chain_is_intact, sweep_faults};
use crate::support::fixtures::{cash, checkout, hold_args, no_idle_lock, receive, Product};
use crate::support::{key, Shop};
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::{Dispatcher, Error, Session};

/// Units of a product not held by an open reservation.
fn available(shop: &Shop, product_id: i64) -> i64 {
    scalar(
        &shop.db,
        &format!("SELECT coalesce(sum(on_hand - reserved), 0) FROM batches WHERE product_id = {product_id}"),
    )
}

#[test]
fn t17_hold_then_cancel_leaves_available_stock_as_before() {
    let (shop, mut owner) = Shop::with_owner();
    let a = Product::new("HC-A", 250).create(&shop, &mut owner);
    let b = Product::new("HC-B", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, a, 3, 100);
    receive(&shop, &mut owner, a, 4, 100);
    receive(&shop, &mut owner, b, 5, 100);
    let before = (available(&shop, a), available(&shop, b));
    let held = shop
        .call(
            &mut owner,
            "sales.hold",
            hold_args(json!([{ "product_id": a, "quantity": 6 }, { "product_id": b, "quantity": 2, "discount_minor": 10 }])),
        )
        .unwrap();
    assert_eq!(held["status"], "held");
    assert_eq!(held["number"], 1);
    assert_eq!(held["reservations_live"], true);
    assert_eq!((available(&shop, a), available(&shop, b)), (1, 3));
    // Across two batches of A (FEFO/FIFO): two reservations for line 1.
    assert_eq!(
        scalar(&shop.db, "SELECT count(*) FROM held_cart_reservations"),
        3
    );

    let list = shop.call(&mut owner, "sales.held", json!({})).unwrap();
    assert_eq!(list["holds"].as_array().unwrap().len(), 1);
    let id = held["id"].as_i64().unwrap();
    let recalled = shop
        .call(&mut owner, "sales.recall", json!({ "id": id }))
        .unwrap();
    assert_eq!(recalled, held);

    let cancelled = shop
        .call(
            &mut owner,
            "sales.cancel_hold",
            json!({ "id": id, "version": held["version"] }),
        )
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["reservations_live"], false);
    assert_eq!((available(&shop, a), available(&shop, b)), before);
    assert_eq!(
        shop.call(&mut owner, "sales.held", json!({})).unwrap()["holds"],
        json!([])
    );
    // Never deleted.
    assert_eq!(shop.count("held_carts"), 1);
    let again = shop.call(
        &mut owner,
        "sales.cancel_hold",
        json!({ "id": id, "version": cancelled["version"] }),
    );
    assert_eq!(code(&again), "conflict");
    assert!(again.unwrap_err().to_string().contains("already cancelled"));
    chain_is_intact(&shop.db);
}

#[test]
fn t17_insufficient_stock_names_the_product_and_saves_nothing() {
    let (shop, mut owner) = Shop::with_owner();
    let a = Product::new("HC-PLENTY", 250).create(&shop, &mut owner);
    let b = Product::new("HC-SHORT", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, a, 10, 100);
    receive(&shop, &mut owner, b, 1, 100);
    let r = shop.call(
        &mut owner,
        "sales.hold",
        hold_args(json!([{ "product_id": a, "quantity": 2 }, { "product_id": b, "quantity": 2 }])),
    );
    assert_eq!(code(&r), "insufficient_stock");
    assert!(r.unwrap_err().to_string().contains("HC-SHORT"));
    assert_eq!(shop.count("held_carts"), 0);
    assert_eq!(shop.count("held_cart_lines"), 0);
    assert_eq!(shop.count("stock_reservations"), 0);
    assert_eq!((available(&shop, a), available(&shop, b)), (10, 1));
}

#[test]
fn t17_expired_reservations_show_on_recall() {
    let (shop, mut owner) = Shop::with_owner();
    no_idle_lock(&shop, &mut owner);
    let a = Product::new("HC-EXP", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, a, 2, 100);
    let held = shop
        .call(
            &mut owner,
            "sales.hold",
            hold_args(json!([{ "product_id": a, "quantity": 2 }])),
        )
        .unwrap();
    let id = held["id"].as_i64().unwrap();
    shop.clock.advance_ms(31 * 60 * 1000);
    let r = shop
        .call(&mut owner, "sales.recall", json!({ "id": id }))
        .unwrap();
    assert_eq!(r["status"], "held");
    assert_eq!(r["reservations_live"], false);
    assert_eq!(r["lost_lines"], json!([1]));
    assert_eq!(r["lines"][0]["reservation_live"], false);
    // Someone else may now take the units; cancelling still works and frees nothing twice.
    shop.call(
        &mut owner,
        "sales.hold",
        hold_args(json!([{ "product_id": a, "quantity": 2 }])),
    )
    .unwrap();
    shop.call(
        &mut owner,
        "sales.cancel_hold",
        json!({ "id": id, "version": r["version"] }),
    )
    .unwrap();
    assert_eq!(available(&shop, a), 0);
}

/// A checkout may take units whose hold has expired: it releases that hold as
/// `expired` in its own transaction (the pick counted the units as available),
/// and only then moves them, so the batch never shows more reserved than on hand.
#[test]
fn t17_a_sale_takes_units_whose_hold_expired_and_releases_the_hold() {
    let (shop, mut owner) = Shop::with_owner();
    no_idle_lock(&shop, &mut owner);
    let a = Product::new("HC-LAPSED", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, a, 3, 100);
    shop.call(
        &mut owner,
        "sales.hold",
        hold_args(json!([{ "product_id": a, "quantity": 2 }])),
    )
    .unwrap();
    let sell = |s: &mut Option<Session>, quantity: i64| {
        let lines = json!([{ "product_id": a, "quantity": quantity }]);
        checkout(
            &shop,
            s,
            json!({ "lines": lines, "payments": [cash(100_000)] }),
        )
    };
    assert_eq!(code(&sell(&mut owner, 2)), "insufficient_stock");
    shop.clock.advance_ms(31 * 60 * 1000);
    let sale = sell(&mut owner, 3).unwrap();
    assert_eq!(sale["lines"][0]["batches"][0]["quantity"], 3);
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM stock_reservations WHERE release_reason = 'expired'"
        ),
        1
    );
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT sum(on_hand) + sum(reserved) FROM batches WHERE product_id = {a}")
        ),
        0
    );
}

const T17_UNITS: i64 = 5;
const T17_TILLS: usize = 3;
const T17_TRIES: usize = 4;

fn t17_hold_race_once() {
    let (shop, mut owner) = Shop::with_owner();
    let plenty = Product::new("T17-PLENTY", 250).create(&shop, &mut owner);
    let last = Product::new("T17-LAST", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, plenty, 100, 100);
    receive(&shop, &mut owner, last, 2, 100);
    receive(&shop, &mut owner, last, T17_UNITS - 2, 100);
    // Till 0 and 1 share the shop's Db through two dispatchers; till 2 opens the file again.
    let second = Dispatcher::new(shop.db.clone(), Arc::new(shop.clock.clone()));
    let other_db = Db::open(&shop.path, OpenOptions::default()).unwrap();
    let third = Dispatcher::new(other_db, Arc::new(shop.clock.clone()));
    let tills: [&Dispatcher; T17_TILLS] = [&shop.d, &second, &third];
    let barrier = Barrier::new(T17_TILLS);
    let outcomes: Vec<Result<Value, Error>> = std::thread::scope(|s| {
        let hs: Vec<_> = tills
            .iter()
            .enumerate()
            .map(|(t, d)| {
                let mut sess = owner.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    (0..T17_TRIES)
                        .map(|i| {
                            d.dispatch(
                                &mut sess,
                                "sales.hold",
                                json!({
                                    "idempotency_key": format!("t17-hold-{t}-{i}-{}", key()),
                                    "label": format!("till {t}"),
                                    "lines": [{ "product_id": plenty, "quantity": 1 },
                                              { "product_id": last, "quantity": 1 }],
                                }),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let ok = outcomes.iter().filter(|r| r.is_ok()).count() as i64;
    let short = outcomes
        .iter()
        .filter(|r| code(r) == "insufficient_stock")
        .count() as i64;
    assert_eq!(
        ok + short,
        (T17_TILLS * T17_TRIES) as i64,
        "unexpected errors: {outcomes:?}"
    );
    assert_eq!(ok, T17_UNITS);
    assert_eq!(available(&shop, last), 0);
    // The losers saved nothing: not a hold, not a line, not the plentiful line's reservation.
    assert_eq!(available(&shop, plenty), 100 - T17_UNITS);
    assert_eq!(shop.count("held_carts"), T17_UNITS);
    assert_eq!(shop.count("held_cart_lines"), 2 * T17_UNITS);
    assert_eq!(
        scalar(&shop.db, "SELECT coalesce(max(number), 0) FROM held_carts"),
        T17_UNITS,
        "hold numbers are gapless"
    );
    chain_is_intact(&shop.db);
}

#[test]
fn t17_two_tills_cannot_hold_the_last_units_twice() {
    for _ in 0..3 {
        t17_hold_race_once();
    }
}

#[test]
fn t05_hold_and_cancel_hold_are_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    let a = Product::new("SW-A", 250).create(&shop, &mut owner);
    let b = Product::new("SW-B", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, a, 1, 100);
    receive(&shop, &mut owner, a, 50, 100);
    receive(&shop, &mut owner, b, 50, 100);
    let s = sweep_faults(&shop, &mut owner, "sales.hold", || {
        hold_args(json!([{ "product_id": a, "quantity": 2 }, { "product_id": b, "quantity": 1 }]))
    });
    assert!(s.statements >= 6, "{}", s.statements);
    let id = scalar(&shop.db, "SELECT max(id) FROM held_carts");
    let s = sweep_faults(
        &shop,
        &mut owner,
        "sales.cancel_hold",
        || json!({ "id": id, "version": 1 }),
    );
    assert!(s.statements >= 2, "{}", s.statements);
    assert_eq!(available(&shop, a), 51);
    assert_eq!(available(&shop, b), 50);
    chain_is_intact(&shop.db);
}

#[test]
fn t09_replayed_hold_makes_one_hold() {
    let (shop, mut owner) = Shop::with_owner();
    let a = Product::new("T09-A", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, a, 5, 100);
    let args = hold_args(json!([{ "product_id": a, "quantity": 3 }]));
    let first = shop.call(&mut owner, "sales.hold", args.clone()).unwrap();
    let again = shop.call(&mut owner, "sales.hold", args).unwrap();
    assert_eq!(first, again);
    assert_eq!(shop.count("held_carts"), 1);
    assert_eq!(available(&shop, a), 2);
}

#[test]
fn t11_stale_version_on_cancel_is_a_conflict() {
    let (shop, mut owner) = Shop::with_owner();
    let a = Product::new("T11-A", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, a, 5, 100);
    let held = shop
        .call(
            &mut owner,
            "sales.hold",
            hold_args(json!([{ "product_id": a, "quantity": 3 }])),
        )
        .unwrap();
    let id = held["id"].as_i64().unwrap();
    let r = shop.call(
        &mut owner,
        "sales.cancel_hold",
        json!({ "id": id, "version": 2 }),
    );
    assert_eq!(code(&r), "conflict");
    assert_eq!(available(&shop, a), 2);
    let r = shop
        .call(&mut owner, "sales.recall", json!({ "id": id }))
        .unwrap();
    assert_eq!(
        (r["status"].clone(), r["version"].clone()),
        (json!("held"), json!(1))
    );
    let r = shop.call(
        &mut owner,
        "sales.cancel_hold",
        json!({ "id": id + 1, "version": 1 }),
    );
    assert_eq!(code(&r), "not_found");
}

#[test]
fn t35_bad_hold_inputs_name_the_field() {
    let (shop, mut owner) = Shop::with_owner();
    let a = Product::new("T35-A", 250).create(&shop, &mut owner);
    receive(&shop, &mut owner, a, 5, 100);
    let many: Vec<Value> = (0..201)
        .map(|_| json!({ "product_id": a, "quantity": 1 }))
        .collect();
    let attempts = [
        (
            "lines[0].quantity",
            json!({ "idempotency_key": key(), "lines": [{ "product_id": a, "quantity": 0 }] }),
        ),
        (
            "lines[1].product_id",
            json!({ "idempotency_key": key(), "lines": [{ "product_id": a, "quantity": 1 }, { "product_id": 999_999, "quantity": 1 }] }),
        ),
        ("lines", json!({ "idempotency_key": key(), "lines": many })),
        ("lines", json!({ "idempotency_key": key(), "lines": [] })),
        (
            "label",
            json!({ "idempotency_key": key(), "label": "x".repeat(101), "lines": [{ "product_id": a, "quantity": 1 }] }),
        ),
        (
            "customer_id",
            json!({ "idempotency_key": key(), "customer_id": 424_242, "lines": [{ "product_id": a, "quantity": 1 }] }),
        ),
    ];
    for (field, args) in attempts {
        let r = shop.call(&mut owner, "sales.hold", args);
        assert_eq!(field_of(&r), ("validation".to_string(), field.to_string()));
    }
    assert_eq!(shop.count("held_carts"), 0);
    assert_eq!(shop.count("stock_reservations"), 0);
    assert_eq!(available(&shop, a), 5);
}
