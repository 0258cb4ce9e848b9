//! Catalog and inventory: products archived never deleted (T22), versioned
//! updates (T11, T25), reservations that two processes can't overbook (T17,
//! D01, D12), samples and damage as movements of the same batch (T30), bad
//! inputs refused naming the field (T35), typed price rules and their
//! precedence (T40), a property test over random stock operations, and a
//! fault-injection sweep for every write command (T05).

use crate::support::checks::{code, field_of, scalar, version_of};
use crate::support::faults::{chain_is_intact, snapshot, sweep_faults};
use crate::support::fixtures::{at_once, customer, no_idle_lock, receive, Batch, Product};
use crate::support::process::SpawnGuarded;
use crate::support::race::{await_ready, child_result, child_starts, sleep_until, start_both};
use crate::support::{key, Shop, OWNER, OWNER_PASSWORD, START_MS};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, SystemTime};
use tillbook_core::catalog::pricing;
use tillbook_core::clock::{Clock, ManualClock};
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::stock;
use tillbook_core::{Dispatcher, Error, Session};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// The catalogue entry most tests here start from: 250, in Dairy.
fn dairy(sku: &str, barcode: Option<&str>) -> Product {
    Product::new(sku, 250)
        .with("barcode", json!(barcode))
        .with("category", json!("Dairy"))
}

/// (on_hand, reserved) of a batch.
fn stock(shop: &Shop, batch: i64) -> (i64, i64) {
    shop.db
        .read(|c| {
            Ok(c.query_row(
                "SELECT on_hand, reserved FROM batches WHERE id = ?1",
                [batch],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap()
}

fn drift(db: &Db) -> Vec<String> {
    db.read(stock::reconcile).unwrap()
}

/// FTS5's own check that the external-content index matches `products`.
fn fts_is_in_step(db: &Db) {
    db.write(|tx| {
        tx.execute(
            "INSERT INTO products_fts (products_fts, rank) VALUES ('integrity-check', 1)",
            [],
        )?;
        Ok(())
    })
    .unwrap();
}

// ---------------------------------------------------------------------------
// T11 / T25: product updates name their version; every update bumps it once
// ---------------------------------------------------------------------------

#[test]
fn t11_a_stale_product_version_is_a_conflict_and_writes_nothing() {
    let (shop, mut owner) = Shop::with_owner();
    let p = dairy("T11-A", Some("1100001")).reply(&shop, &mut owner);
    let id = p["id"].as_i64().unwrap();
    let v = p["version"].as_i64().unwrap();
    shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": id, "version": v, "price_minor": 300 }),
    )
    .unwrap();
    let before = snapshot(&shop.db);
    let r = shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": id, "version": v, "price_minor": 1 }),
    );
    assert_eq!(code(&r), "conflict", "{r:?}");
    assert_eq!(r.unwrap_err().details()["expected_version"], json!(v));
    let after = snapshot(&shop.db);
    assert_eq!(before.get("products"), after.get("products"));
    // A missing version is refused before anything runs.
    let r = shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": id, "price_minor": 1 }),
    );
    assert_eq!(field_of(&r), ("validation".into(), "version".into()));
}

#[test]
fn t11_concurrent_product_edits_with_the_same_version_one_wins() {
    for _ in 0..5 {
        let (shop, mut owner) = Shop::with_owner();
        let p = dairy("T11-RACE", None).reply(&shop, &mut owner);
        let id = p["id"].as_i64().unwrap();
        let edit = |i| json!({ "id": id, "version": 1, "price_minor": 1000 + i });
        let results = at_once(
            &owner,
            (0..4)
                .map(|i| (&shop.d, "catalog.update_product", edit(i)))
                .collect(),
        );
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results.iter().filter(|r| code(r) == "conflict").count();
        assert_eq!((ok, conflicts), (1, 3), "{results:?}");
        assert_eq!(version_of(&shop.db, "products", id), 2);
    }
}

#[test]
fn t25_every_catalog_and_stock_update_bumps_its_version_by_exactly_one() {
    let (shop, mut owner) = Shop::with_owner();
    let p = dairy("T25-A", Some("2500001")).reply(&shop, &mut owner);
    let id = p["id"].as_i64().unwrap();
    let batch = receive(&shop, &mut owner, id, 5, 100);
    let rule = shop
        .call(
            &mut owner,
            "catalog.create_price_rule",
            json!({ "idempotency_key": key(), "rule": { "kind": "quantity_break", "product_id": id, "min_quantity": 10, "unit_price_minor": 200 } }),
        )
        .unwrap();
    let rule_id = rule["id"].as_i64().unwrap();
    let count = shop
        .call(
            &mut owner,
            "stock.count_open",
            json!({ "idempotency_key": key() }),
        )
        .unwrap();
    let count_id = count["id"].as_i64().unwrap();

    let mut check = |cmd: &str, table: &str, row: i64, args: Value| {
        let before = version_of(&shop.db, table, row);
        let mut args = args;
        if args.get("version").is_some() {
            args["version"] = json!(before);
        }
        shop.call(&mut owner, cmd, args)
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        assert_eq!(
            version_of(&shop.db, table, row),
            before + 1,
            "{cmd} did not bump {table} {row} by one"
        );
    };
    check(
        "catalog.update_product",
        "products",
        id,
        json!({ "id": id, "version": 0, "name": "Renamed" }),
    );
    check(
        "catalog.update_product",
        "products",
        id,
        json!({ "id": id, "version": 0, "barcode": "" }),
    );
    check(
        "catalog.archive_price_rule",
        "price_rules",
        rule_id,
        json!({ "id": rule_id, "version": 0 }),
    );
    check(
        "stock.count_record",
        "stock_counts",
        count_id,
        json!({ "count_id": count_id, "batch_id": batch, "counted": 4 }),
    );
    check(
        "stock.count_post",
        "stock_counts",
        count_id,
        json!({ "count_id": count_id, "version": 0 }),
    );
    check(
        "catalog.archive_product",
        "products",
        id,
        json!({ "id": id, "version": 0 }),
    );
}

// ---------------------------------------------------------------------------
// T17 / D01 / D12: two processes × four threads reserve the last 10 units
// ---------------------------------------------------------------------------

const T17_UNITS: i64 = 10;
const T17_THREADS: usize = 4;
const T17_TRIES: usize = 6;
const T17_DB_ENV: &str = "TILLBOOK_T17_DB";
const T17_BATCH_ENV: &str = "TILLBOOK_T17_BATCH";

/// Four threads, each with the owner's session, try to reserve one unit
/// `T17_TRIES` times after `barrier`; returns (reserved, insufficient).
fn t17_reserve_from_threads(
    d: &Dispatcher,
    session: &Option<Session>,
    batch: i64,
    barrier: &Barrier,
    start_at: &OnceLock<SystemTime>,
) -> (usize, usize) {
    let outcomes: Vec<Result<Value, Error>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..T17_THREADS)
            .map(|t| {
                let mut sess = session.clone();
                s.spawn(move || {
                    barrier.wait();
                    sleep_until(start_at);
                    (0..T17_TRIES)
                        .map(|i| {
                            // A till's pace between scans, so both processes interleave.
                            std::thread::sleep(Duration::from_millis(((t + i) % 3) as u64));
                            d.dispatch(
                                &mut sess,
                                "stock.reserve",
                                json!({
                                    "idempotency_key": format!("t17-{}-{t}-{i}", std::process::id()),
                                    "batch_id": batch,
                                    "quantity": 1,
                                    "holder": format!("till-{}-{t}", std::process::id()),
                                }),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let ok = outcomes.iter().filter(|r| r.is_ok()).count();
    let short = outcomes
        .iter()
        .filter(|r| code(r) == "insufficient_stock")
        .count();
    assert_eq!(
        ok + short,
        outcomes.len(),
        "unexpected errors: {outcomes:?}"
    );
    (ok, short)
}

/// The second process: this test binary run again with the file's path in the
/// environment (ignored in ordinary runs). It uses a manual clock at the same
/// fixed time as the first process, so neither sees the other's reservations
/// as expired (the `tillbook api` binary runs on the wall clock).
#[test]
#[ignore = "run as a child process by t17_two_processes_cannot_reserve_the_last_units_twice"]
fn t17_child_process() {
    let Ok(path) = std::env::var(T17_DB_ENV) else {
        return;
    };
    let batch: i64 = std::env::var(T17_BATCH_ENV).unwrap().parse().unwrap();
    let db = Db::open(std::path::Path::new(&path), OpenOptions::default()).unwrap();
    let d = Dispatcher::new(db, Arc::new(ManualClock::new(START_MS)));
    let mut session = None;
    d.dispatch(
        &mut session,
        "auth.login",
        json!({ "username": OWNER, "password": OWNER_PASSWORD }),
    )
    .unwrap();
    let barrier = Barrier::new(T17_THREADS + 1);
    let start_at = OnceLock::new();
    let (ok, short) = std::thread::scope(|s| {
        let h = s.spawn(|| t17_reserve_from_threads(&d, &session, batch, &barrier, &start_at));
        child_starts("T17-READY", &start_at, &barrier);
        h.join().unwrap()
    });
    println!("T17-RESULT {ok} {short}");
    std::io::stdout().flush().unwrap();
}

fn t17_once() {
    let (shop, mut owner) = Shop::with_owner();
    let p = dairy("T17", None).reply(&shop, &mut owner);
    let pid = p["id"].as_i64().unwrap();
    // 25 received, 15 sold off as samples/damage: the last 10 units remain.
    let batch = receive(&shop, &mut owner, pid, 25, 100);
    for kind in ["sample", "damage", "write_off"] {
        shop.call(
            &mut owner,
            "stock.adjust",
            json!({ "idempotency_key": key(), "batch_id": batch, "kind": kind, "quantity": 5, "reason": "t17 set-up" }),
        )
        .unwrap();
    }
    assert_eq!(stock(&shop, batch), (T17_UNITS, 0));

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "inventory::t17_child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(T17_DB_ENV, &shop.path)
        .env(T17_BATCH_ENV, batch.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn_guarded()
        .unwrap();
    let mut child_in = child.stdin.take().unwrap();
    let mut child_out = BufReader::new(child.stdout.take().unwrap());
    await_ready(&mut child_out, "T17-READY");
    let barrier = Barrier::new(T17_THREADS + 1);
    let start_at = OnceLock::new();
    let (local_ok, local_short) = std::thread::scope(|s| {
        let h = s.spawn(|| t17_reserve_from_threads(&shop.d, &owner, batch, &barrier, &start_at));
        start_both(&mut child_in, &start_at, &barrier);
        h.join().unwrap()
    });
    let child_result = child_result(&mut child_out, "T17-RESULT ").map(|rest| {
        let n: Vec<usize> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
        (n[0], n[1])
    });
    assert!(child.wait().unwrap().success(), "the child process failed");
    let (child_ok, child_short) = child_result.expect("the child reported no result");

    eprintln!("t17: this process reserved {local_ok}, the other {child_ok}");
    let attempts = 2 * T17_THREADS * T17_TRIES;
    assert_eq!(local_ok + local_short + child_ok + child_short, attempts);
    assert_eq!(
        local_ok + child_ok,
        T17_UNITS as usize,
        "local {local_ok}, child {child_ok}"
    );
    assert_eq!(stock(&shop, batch), (T17_UNITS, T17_UNITS));
    assert_eq!(
        scalar(&shop.db, &format!("SELECT sum(quantity) FROM stock_reservations WHERE batch_id = {batch} AND released_at_ms IS NULL")),
        T17_UNITS
    );
    assert!(drift(&shop.db).is_empty(), "{:?}", drift(&shop.db));
    chain_is_intact(&shop.db);
}

#[test]
fn t17_two_processes_cannot_reserve_the_last_units_twice() {
    for _ in 0..3 {
        t17_once();
    }
}

/// The same race with the real `tillbook api` binary as the second process,
/// sending `stock.reserve` lines while four threads here reserve in-process.
/// The binary runs on the wall clock, so this process's clock is set to it.
#[test]
fn t17_d01_the_real_api_binary_and_this_process_share_the_last_units() {
    for _ in 0..2 {
        let (shop, _) = Shop::with_owner();
        shop.clock
            .set_ms(tillbook_core::clock::SystemClock.now_ms());
        let mut owner = shop.login(OWNER, OWNER_PASSWORD).unwrap();
        let pid = dairy("T17-API", None).create(&shop, &mut owner);
        let batch = receive(&shop, &mut owner, pid, T17_UNITS, 100);

        let mut api = crate::support::tillbook_on(&shop.path)
            .arg("api")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn_guarded()
            .unwrap();
        let mut api_in = api.stdin.take().unwrap();
        let mut api_out = BufReader::new(api.stdout.take().unwrap());
        let login = json!({ "id": "login", "cmd": "auth.login", "args": { "username": OWNER, "password": OWNER_PASSWORD } });
        writeln!(api_in, "{login}").unwrap();
        api_in.flush().unwrap();
        let mut line = String::new();
        api_out.read_line(&mut line).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&line).unwrap()["ok"],
            true,
            "{line}"
        );

        let api_tries = T17_THREADS * T17_TRIES;
        let barrier = Barrier::new(T17_THREADS + 1);
        let start_at = OnceLock::new();
        let (local_ok, _) = std::thread::scope(|s| {
            let h =
                s.spawn(|| t17_reserve_from_threads(&shop.d, &owner, batch, &barrier, &start_at));
            start_at
                .set(SystemTime::now() + Duration::from_millis(300))
                .unwrap();
            barrier.wait();
            sleep_until(&start_at);
            for i in 0..api_tries {
                let req = json!({ "id": i, "cmd": "stock.reserve", "args": {
                    "idempotency_key": format!("t17-api-{}-{i}", std::process::id()),
                    "batch_id": batch, "quantity": 1, "holder": "api till" } });
                writeln!(api_in, "{req}").unwrap();
            }
            api_in.flush().unwrap();
            h.join().unwrap()
        });
        drop(api_in);
        let mut api_ok = 0;
        let mut answered = 0;
        loop {
            line.clear();
            if api_out.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let v: Value = serde_json::from_str(&line).unwrap();
            answered += 1;
            if v["ok"] == true {
                api_ok += 1;
            } else {
                assert_eq!(v["error"]["code"], "insufficient_stock", "{v}");
            }
        }
        eprintln!("t17: this process reserved {local_ok}, tillbook api {api_ok}");
        assert!(api.wait().unwrap().success());
        assert_eq!(answered, api_tries);
        assert_eq!(
            local_ok + api_ok,
            T17_UNITS as usize,
            "local {local_ok}, api {api_ok}"
        );
        assert_eq!(stock(&shop, batch), (T17_UNITS, T17_UNITS));
        assert!(drift(&shop.db).is_empty());
    }
}

#[test]
fn t09_a_replayed_reserve_or_receive_changes_nothing() {
    let (shop, mut owner) = Shop::with_owner();
    let pid = dairy("T09", None).create(&shop, &mut owner);
    let k = key();
    let args = json!({ "idempotency_key": k, "product_id": pid, "lot_code": "L1", "unit_cost_minor": 5, "quantity": 4 });
    let first = shop
        .call(&mut owner, "stock.receive", args.clone())
        .unwrap();
    assert_eq!(shop.call(&mut owner, "stock.receive", args).unwrap(), first);
    let batch = first["id"].as_i64().unwrap();
    assert_eq!(stock(&shop, batch), (4, 0));
    let args =
        json!({ "idempotency_key": key(), "batch_id": batch, "quantity": 3, "holder": "parked" });
    let r1 = shop
        .call(&mut owner, "stock.reserve", args.clone())
        .unwrap();
    assert_eq!(shop.call(&mut owner, "stock.reserve", args).unwrap(), r1);
    assert_eq!(stock(&shop, batch), (4, 3));
    let r = shop.call(&mut owner, "stock.receive", json!({ "idempotency_key": k, "product_id": pid, "lot_code": "L2", "unit_cost_minor": 5, "quantity": 4 }));
    assert_eq!(code(&r), "idempotency_mismatch");
}

#[test]
fn t17_reservations_expire_and_free_the_stock() {
    let (shop, mut owner) = Shop::with_owner();
    no_idle_lock(&shop, &mut owner);
    let pid = dairy("T17-EXP", None).create(&shop, &mut owner);
    let batch = receive(&shop, &mut owner, pid, 3, 100);
    let r = shop
        .call(&mut owner, "stock.reserve", json!({ "idempotency_key": key(), "batch_id": batch, "quantity": 3, "holder": "parked-1" }))
        .unwrap();
    assert_eq!(r["expires_at_ms"], json!(START_MS + 30 * 60 * 1000));
    let sell = |s: &mut Option<Session>| {
        shop.call(s, "stock.adjust", json!({ "idempotency_key": key(), "batch_id": batch, "kind": "damage", "quantity": 1, "reason": "dropped" }))
    };
    assert_eq!(code(&sell(&mut owner)), "insufficient_stock");
    shop.clock.advance_ms(30 * 60 * 1000);
    // The next write touching the batch releases the expired hold first.
    sell(&mut owner).unwrap();
    assert_eq!(stock(&shop, batch), (2, 0));
    let released = shop.call(&mut owner, "stock.release", json!({ "id": r["id"] }));
    assert_eq!(code(&released), "conflict");

    // Or the sweep command does it.
    shop.call(
        &mut owner,
        "stock.reserve",
        json!({ "idempotency_key": key(), "batch_id": batch, "quantity": 2, "holder": "parked-2" }),
    )
    .unwrap();
    shop.clock.advance_ms(31 * 60 * 1000);
    let v = shop
        .call(&mut owner, "stock.expire_reservations", json!({}))
        .unwrap();
    assert_eq!(v["released"], 1);
    assert_eq!(stock(&shop, batch), (2, 0));
    assert!(drift(&shop.db).is_empty());
}

// ---------------------------------------------------------------------------
// T22: archived, never deleted
// ---------------------------------------------------------------------------

#[test]
fn t22_products_are_archived_never_deleted_and_history_keeps_them() {
    let (shop, mut owner) = Shop::with_owner();
    let p = dairy("T22", Some("2200001")).reply(&shop, &mut owner);
    let id = p["id"].as_i64().unwrap();
    let batch = receive(&shop, &mut owner, id, 4, 100);
    shop.call(&mut owner, "stock.adjust", json!({ "idempotency_key": key(), "batch_id": batch, "kind": "sample", "quantity": 1, "reason": "tasting" }))
        .unwrap();

    for sql in [
        format!("DELETE FROM products WHERE id = {id}"),
        format!("DELETE FROM batches WHERE id = {batch}"),
        "DELETE FROM stock_movements".to_string(),
        "UPDATE stock_movements SET quantity = 99".to_string(),
        format!("UPDATE batches SET product_id = product_id + 1 WHERE id = {batch}"),
    ] {
        let r = shop.db.write(|tx| Ok(tx.execute(&sql, [])?));
        assert!(r.is_err(), "{sql} was allowed");
    }
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM products"), 1);

    let archived = shop
        .call(
            &mut owner,
            "catalog.archive_product",
            json!({ "id": id, "version": p["version"] }),
        )
        .unwrap();
    assert_eq!(archived["archived"], true);
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM products"), 1);
    // History keeps its reference.
    let moves = shop
        .call(&mut owner, "stock.movements", json!({ "product_id": id }))
        .unwrap();
    assert_eq!(moves.as_array().unwrap().len(), 2);
    assert_eq!(
        shop.call(
            &mut owner,
            "catalog.get_product",
            json!({ "barcode": "2200001" })
        )
        .unwrap()["id"],
        id
    );
    // Gone from search unless asked; can't be stocked, edited or priced.
    let hits = shop
        .call(&mut owner, "catalog.search", json!({ "query": "2200001" }))
        .unwrap();
    assert!(hits["items"].as_array().unwrap().is_empty(), "{hits}");
    let hits = shop
        .call(
            &mut owner,
            "catalog.search",
            json!({ "query": "2200001", "include_archived": true }),
        )
        .unwrap();
    assert_eq!(hits["items"][0]["product"]["id"], id);
    let r = shop.call(&mut owner, "stock.receive", json!({ "idempotency_key": key(), "product_id": id, "lot_code": "L", "unit_cost_minor": 1, "quantity": 1 }));
    assert_eq!(code(&r), "conflict");
    let r = shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": id, "version": archived["version"], "name": "Back" }),
    );
    assert_eq!(code(&r), "conflict");
    let r = shop.call(&mut owner, "catalog.create_price_rule", json!({ "idempotency_key": key(), "rule": { "kind": "promotion", "product_id": id, "unit_price_minor": 1, "starts_at_ms": 0, "ends_at_ms": 10 } }));
    assert_eq!(code(&r), "conflict");
}

// ---------------------------------------------------------------------------
// T30: samples, damage and shrinkage are movements of the same batch
// ---------------------------------------------------------------------------

#[test]
fn t30_samples_and_damage_reconcile_with_the_batch() {
    let (shop, mut owner) = Shop::with_owner();
    let pid = dairy("T30", Some("3000001")).create(&shop, &mut owner);
    let batch = Batch::of(pid, 100, 100)
        .expires_on("2026-06-30")
        .receive(&shop, &mut owner);
    let outbound: [(&str, i64); 5] = [
        ("sample", 3),
        ("damage", 2),
        ("write_off", 1),
        ("adjustment", -4),
        ("sample", 7),
    ];
    for (kind, q) in outbound {
        shop.call(&mut owner, "stock.adjust", json!({ "idempotency_key": key(), "batch_id": batch, "kind": kind, "quantity": q, "reason": format!("{kind} test") }))
            .unwrap();
    }
    let (on_hand, _) = stock(&shop, batch);
    let out: i64 = outbound.iter().map(|(_, q)| q.abs()).sum();
    let received = scalar(
        &shop.db,
        &format!("SELECT received_quantity FROM batches WHERE id = {batch}"),
    );
    assert_eq!(received, on_hand + out, "received = on_hand + outbound");
    assert_eq!(on_hand, 83);
    // Each outbound movement is of this batch, with its reason and user.
    let moves = shop
        .call(&mut owner, "stock.movements", json!({ "batch_id": batch }))
        .unwrap();
    let moves = moves.as_array().unwrap();
    assert_eq!(moves.len(), 6);
    assert!(moves
        .iter()
        .all(|m| m["batch_id"] == batch && m["user_id"] == owner.as_ref().unwrap().user_id));
    let sum: i64 = moves.iter().map(|m| m["quantity"].as_i64().unwrap()).sum();
    assert_eq!(sum, on_hand);
    // Never below zero: the 84th unit can't be damaged.
    let r = shop.call(&mut owner, "stock.adjust", json!({ "idempotency_key": key(), "batch_id": batch, "kind": "damage", "quantity": 84, "reason": "flood" }));
    assert_eq!(code(&r), "insufficient_stock");
    assert_eq!(stock(&shop, batch).0, 83);
    // A raw write around the core can't take it negative either.
    let r = shop.db.write(|tx| Ok(tx.execute(&format!("INSERT INTO stock_movements (batch_id, kind, quantity, reason, at_ms) VALUES ({batch}, 'damage', -84, 'raw', 0)"), [])?));
    assert!(r.is_err());
    assert!(drift(&shop.db).is_empty(), "{:?}", drift(&shop.db));
}

#[test]
fn stock_count_flow_receive_count_with_variance_history_and_on_hand() {
    let (shop, mut owner) = Shop::with_owner();
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let pid = dairy("COUNT", Some("4000001")).create(&shop, &mut owner);
    let batch = Batch::of(pid, 12, 100)
        .expires_on("2026-03-01")
        .receive(&shop, &mut owner);
    let count = shop
        .call(
            &mut cashier,
            "stock.count_open",
            json!({ "idempotency_key": key(), "note": "shelf A" }),
        )
        .unwrap();
    let cid = count["id"].as_i64().unwrap();
    assert_eq!(count["number"], 1);
    // Ten scans of one unit each, by barcode.
    for _ in 0..10 {
        shop.call(
            &mut cashier,
            "stock.count_record",
            json!({ "count_id": cid, "barcode": "4000001", "counted": 1, "add": true }),
        )
        .unwrap();
    }
    let review = shop
        .call(
            &mut cashier,
            "stock.count_review",
            json!({ "count_id": cid }),
        )
        .unwrap();
    assert_eq!(review["lines"][0]["counted"], 10);
    assert_eq!(review["lines"][0]["expected"], 12);
    assert_eq!(review["lines"][0]["variance"], -2);
    // A cashier counts; posting needs stock.adjust.
    let v = review["count"]["version"].clone();
    let r = shop.call(
        &mut cashier,
        "stock.count_post",
        json!({ "count_id": cid, "version": v }),
    );
    assert_eq!(code(&r), "forbidden");
    // A recording after the review makes the reviewed version stale.
    shop.call(
        &mut cashier,
        "stock.count_record",
        json!({ "count_id": cid, "barcode": "4000001", "counted": 11 }),
    )
    .unwrap();
    let r = shop.call(
        &mut owner,
        "stock.count_post",
        json!({ "count_id": cid, "version": v }),
    );
    assert_eq!(code(&r), "conflict");
    let review = shop
        .call(&mut owner, "stock.count_review", json!({ "count_id": cid }))
        .unwrap();
    let posted = shop
        .call(
            &mut owner,
            "stock.count_post",
            json!({ "count_id": cid, "version": review["count"]["version"] }),
        )
        .unwrap();
    assert_eq!(posted["count"]["status"], "posted");
    assert_eq!(posted["lines"][0]["variance"], -1);
    assert_eq!(stock(&shop, batch).0, 11);
    let history = shop
        .call(&mut owner, "stock.movements", json!({ "batch_id": batch }))
        .unwrap();
    assert_eq!(history[0]["kind"], "count_variance");
    assert_eq!(history[0]["quantity"], -1);
    assert_eq!(history[0]["source_type"], "stock_count");
    assert_eq!(history[1]["kind"], "receive");
    let product = shop
        .call(&mut owner, "catalog.get_product", json!({ "id": pid }))
        .unwrap();
    assert_eq!(
        (product["on_hand"].as_i64(), product["available"].as_i64()),
        (Some(11), Some(11))
    );
    // Posted once.
    let r = shop.call(
        &mut owner,
        "stock.count_post",
        json!({ "count_id": cid, "version": posted["count"]["version"] }),
    );
    assert_eq!(code(&r), "conflict");
    let r = shop.call(
        &mut cashier,
        "stock.count_record",
        json!({ "count_id": cid, "batch_id": batch, "counted": 1 }),
    );
    assert_eq!(code(&r), "conflict");
}

#[test]
fn batches_are_picked_fefo_then_fifo() {
    let (shop, mut owner) = Shop::with_owner();
    let pid = dairy("FEFO", None).create(&shop, &mut owner);
    let no_expiry = receive(&shop, &mut owner, pid, 5, 100);
    let late = Batch::of(pid, 5, 100)
        .expires_on("2027-01-01")
        .receive(&shop, &mut owner);
    let early_b = Batch::of(pid, 2, 100)
        .expires_on("2026-02-01")
        .receive(&shop, &mut owner);
    shop.clock.advance_ms(1000);
    let early_a_later = Batch::of(pid, 3, 100)
        .expires_on("2026-02-01")
        .receive(&shop, &mut owner);
    let picks: Vec<(i64, i64)> = shop
        .db
        .read(|c| stock::pick_batches(c, pid, 11, START_MS))
        .unwrap()
        .iter()
        .map(|p| (p.batch_id, p.quantity))
        .collect();
    assert_eq!(
        picks,
        vec![(early_b, 2), (early_a_later, 3), (late, 5), (no_expiry, 1)]
    );
    let r = shop.db.read(|c| stock::pick_batches(c, pid, 16, START_MS));
    assert_eq!(r.unwrap_err().code().as_str(), "insufficient_stock");

    // A held sale reserves across batches in the same order, then completes.
    let held = shop
        .db
        .write(|tx| stock::reserve_product(tx, pid, 6, "held-1", None, START_MS, START_MS + 60_000))
        .unwrap();
    let batches: Vec<(i64, i64)> = held.iter().map(|(_, b, q)| (*b, *q)).collect();
    assert_eq!(batches, vec![(early_b, 2), (early_a_later, 3), (late, 1)]);
    let r = shop.db.write(|tx| {
        stock::reserve_product(tx, pid, 10, "held-2", None, START_MS, START_MS + 60_000)
    });
    assert_eq!(r.unwrap_err().code().as_str(), "insufficient_stock");
    shop.db
        .write(|tx| {
            for (id, _, _) in &held {
                stock::consume_reservation(tx, *id, None, stock::Source::default(), START_MS)?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(stock(&shop, early_b), (0, 0));
    assert_eq!(stock(&shop, late), (4, 0));
    assert!(drift(&shop.db).is_empty());
}

// ---------------------------------------------------------------------------
// T35: bad inputs are refused, naming the field
// ---------------------------------------------------------------------------

#[test]
fn t35_bad_catalog_and_stock_inputs_name_the_field() {
    let (shop, mut owner) = Shop::with_owner();
    let pid = dairy("T35", Some("3500001")).create(&shop, &mut owner);
    let batch = receive(&shop, &mut owner, pid, 5, 100);
    let k = || json!(key());
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "catalog.create_product",
            json!({ "idempotency_key": k(), "sku": "", "name": "X", "price_minor": 1 }),
            "sku",
        ),
        (
            "catalog.create_product",
            json!({ "idempotency_key": k(), "sku": "A", "name": "X", "price_minor": -1 }),
            "price_minor",
        ),
        (
            "catalog.create_product",
            json!({ "idempotency_key": k(), "sku": "A", "name": "X", "price_minor": 1_000_000_000_001i64 }),
            "price_minor",
        ),
        (
            "catalog.create_product",
            json!({ "idempotency_key": k(), "sku": "A", "name": "x".repeat(201), "price_minor": 1 }),
            "name",
        ),
        (
            "catalog.create_product",
            json!({ "idempotency_key": k(), "sku": "A", "name": "X", "price_minor": 1, "barcode": "12 34" }),
            "barcode",
        ),
        (
            "catalog.create_product",
            json!({ "idempotency_key": k(), "sku": "A", "name": "X", "price_minor": 1, "unit": "bucket" }),
            "unit",
        ),
        (
            "catalog.create_product",
            json!({ "idempotency_key": k(), "sku": "A", "name": "X", "price_minor": 1, "colour": "red" }),
            "colour",
        ),
        (
            "catalog.create_product",
            json!({ "idempotency_key": k(), "sku": "A", "name": "X", "price_minor": 1.5 }),
            "price_minor",
        ),
        (
            "catalog.update_product",
            json!({ "id": pid, "version": 1 }),
            "name",
        ),
        (
            "catalog.update_product",
            json!({ "id": 0, "version": 1, "name": "X" }),
            "id",
        ),
        ("catalog.search", json!({ "query": "" }), "query"),
        (
            "catalog.search",
            json!({ "query": "mi", "limit": 101 }),
            "limit",
        ),
        (
            "catalog.search",
            json!({ "query": "mi", "offset": 5000 }),
            "offset",
        ),
        (
            "catalog.quote",
            json!({ "product_id": pid, "quantity": 0 }),
            "quantity",
        ),
        (
            "stock.receive",
            json!({ "idempotency_key": k(), "product_id": pid, "lot_code": "L", "unit_cost_minor": 1, "quantity": 0 }),
            "quantity",
        ),
        (
            "stock.receive",
            json!({ "idempotency_key": k(), "product_id": pid, "lot_code": "L", "unit_cost_minor": 1, "quantity": 2_000_000_000 }),
            "quantity",
        ),
        (
            "stock.receive",
            json!({ "idempotency_key": k(), "product_id": pid, "lot_code": "L", "unit_cost_minor": -5, "quantity": 1 }),
            "unit_cost_minor",
        ),
        (
            "stock.receive",
            json!({ "idempotency_key": k(), "product_id": pid, "lot_code": "L", "unit_cost_minor": 1, "quantity": 1, "expires_on": "31/12/2026" }),
            "expires_on",
        ),
        (
            "stock.receive",
            json!({ "idempotency_key": k(), "product_id": pid, "lot_code": "", "unit_cost_minor": 1, "quantity": 1 }),
            "lot_code",
        ),
        (
            "stock.receive",
            json!({ "idempotency_key": k(), "product_id": 999_999, "lot_code": "L", "unit_cost_minor": 1, "quantity": 1 }),
            "product_id",
        ),
        (
            "stock.adjust",
            json!({ "idempotency_key": k(), "batch_id": batch, "kind": "damage", "quantity": 1, "reason": "" }),
            "reason",
        ),
        (
            "stock.adjust",
            json!({ "idempotency_key": k(), "batch_id": batch, "kind": "damage", "quantity": -1, "reason": "r" }),
            "quantity",
        ),
        (
            "stock.adjust",
            json!({ "idempotency_key": k(), "batch_id": batch, "kind": "adjustment", "quantity": 0, "reason": "r" }),
            "quantity",
        ),
        (
            "stock.adjust",
            json!({ "idempotency_key": k(), "batch_id": batch, "kind": "theft", "quantity": 1, "reason": "r" }),
            "kind",
        ),
        (
            "stock.adjust",
            json!({ "idempotency_key": k(), "batch_id": batch, "kind": "damage", "quantity": 1 }),
            "reason",
        ),
        (
            "stock.reserve",
            json!({ "idempotency_key": k(), "batch_id": batch, "quantity": -3, "holder": "h" }),
            "quantity",
        ),
        (
            "stock.reserve",
            json!({ "idempotency_key": k(), "batch_id": batch, "quantity": 1, "holder": "" }),
            "holder",
        ),
        (
            "stock.count_record",
            json!({ "count_id": 1, "counted": 1 }),
            "barcode",
        ),
        (
            "stock.count_record",
            json!({ "count_id": 1, "batch_id": batch, "counted": -1 }),
            "counted",
        ),
        (
            "stock.batches",
            json!({ "product_id": pid, "limit": 0 }),
            "limit",
        ),
        ("stock.movements", json!({}), "batch_id"),
    ];
    for (cmd, args, field) in cases {
        let r = shop.call(&mut owner, cmd, args.clone());
        assert_eq!(
            field_of(&r),
            ("validation".to_string(), field.to_string()),
            "{cmd} {args}"
        );
    }
    assert_eq!(stock(&shop, batch), (5, 0));
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM products"), 1);
    // Uniqueness names the field too.
    let r = shop.call(
        &mut owner,
        "catalog.create_product",
        json!({ "idempotency_key": key(), "sku": "t35", "name": "Other", "price_minor": 1 }),
    );
    assert_eq!(code(&r), "duplicate");
    assert_eq!(r.unwrap_err().details()["field"], "sku");
    let r = shop.call(&mut owner, "catalog.create_product", json!({ "idempotency_key": key(), "sku": "OTHER", "barcode": "3500001", "name": "Other", "price_minor": 1 }));
    assert_eq!(r.unwrap_err().details()["field"], "barcode");
}

// ---------------------------------------------------------------------------
// T40: typed price rules, validated on save, with a documented precedence
// ---------------------------------------------------------------------------

#[test]
fn t40_price_rules_refuse_unknown_fields_and_bad_values() {
    let (shop, mut owner) = Shop::with_owner();
    let pid = dairy("T40", None).create(&shop, &mut owner);
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({ "kind": "promotion", "product_id": pid, "unit_price_minor": 5, "starts_at_ms": 0, "ends_at_ms": 9, "stackable": true }),
            "rule",
        ),
        (
            json!({ "kind": "discount_everything", "percent": 90 }),
            "rule",
        ),
        (
            json!({ "kind": "quantity_break", "product_id": pid, "min_quantity": "ten", "unit_price_minor": 5 }),
            "rule",
        ),
        (
            json!({ "kind": "quantity_break", "product_id": pid, "min_quantity": 1, "unit_price_minor": 5 }),
            "min_quantity",
        ),
        (
            json!({ "kind": "quantity_break", "product_id": pid, "min_quantity": 5, "unit_price_minor": -5 }),
            "unit_price_minor",
        ),
        (
            json!({ "kind": "category_percent", "category": "Dairy", "percent_off_bp": 0 }),
            "percent_off_bp",
        ),
        (
            json!({ "kind": "category_percent", "category": "Dairy", "percent_off_bp": 10_001 }),
            "percent_off_bp",
        ),
        (
            json!({ "kind": "category_percent", "category": "", "percent_off_bp": 100 }),
            "category",
        ),
        (
            json!({ "kind": "promotion", "product_id": pid, "unit_price_minor": 5, "starts_at_ms": 10, "ends_at_ms": 10 }),
            "ends_at_ms",
        ),
        (
            json!({ "kind": "customer_price", "product_id": pid, "customer_id": 0, "unit_price_minor": 5 }),
            "customer_id",
        ),
        (
            json!({ "kind": "customer_price", "product_id": pid, "customer_id": 424_242, "unit_price_minor": 5 }),
            "customer_id",
        ),
        (
            json!({ "kind": "customer_price", "product_id": 999_999, "customer_id": 1, "unit_price_minor": 5 }),
            "product_id",
        ),
    ];
    for (rule, field) in bad {
        let r = shop.call(
            &mut owner,
            "catalog.create_price_rule",
            json!({ "idempotency_key": key(), "rule": rule }),
        );
        let (c, f) = field_of(&r);
        assert_eq!(c, "validation", "{rule}: {r:?}");
        assert!(f.starts_with(field), "{rule}: field {f}, wanted {field}");
    }
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM price_rules"), 0);
    // The table itself refuses a row of the wrong shape.
    let r = shop.db.write(|tx| Ok(tx.execute(&format!("INSERT INTO price_rules (kind, product_id, percent_off_bp, created_at_ms, updated_at_ms) VALUES ('promotion', {pid}, 50, 0, 0)"), [])?));
    assert!(r.is_err());
    // ...and a customer price for a customer that doesn't exist (migration 0004).
    let r = shop.db.write(|tx| Ok(tx.execute(&format!("INSERT INTO price_rules (kind, product_id, customer_id, unit_price_minor, created_at_ms, updated_at_ms) VALUES ('customer_price', {pid}, 424242, 5, 0, 0)"), [])?));
    assert!(r.is_err(), "a price rule for a missing customer was stored");
}

#[test]
fn t40_price_precedence_customer_then_promotion_then_break_then_category() {
    let (shop, mut owner) = Shop::with_owner();
    let pid = dairy("T40-P", None).create(&shop, &mut owner); // list 250, Dairy
    let other = dairy("T40-Q", None).create(&shop, &mut owner);
    let (c7, c8) = (
        customer(&shop, &mut owner, "Seven"),
        customer(&shop, &mut owner, "Eight"),
    );
    let mut rule = |r: Value| -> i64 {
        shop.call(
            &mut owner,
            "catalog.create_price_rule",
            json!({ "idempotency_key": key(), "rule": r }),
        )
        .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let cat =
        rule(json!({ "kind": "category_percent", "category": "dairy", "percent_off_bp": 1000 }));
    let cat_small =
        rule(json!({ "kind": "category_percent", "category": "Dairy", "percent_off_bp": 500 }));
    let brk10 = rule(
        json!({ "kind": "quantity_break", "product_id": pid, "min_quantity": 10, "unit_price_minor": 200 }),
    );
    let brk50 = rule(
        json!({ "kind": "quantity_break", "product_id": pid, "min_quantity": 50, "unit_price_minor": 180 }),
    );
    let promo = rule(
        json!({ "kind": "promotion", "product_id": pid, "unit_price_minor": 190, "starts_at_ms": START_MS + 1000, "ends_at_ms": START_MS + 2000 }),
    );
    let promo_cheaper = rule(
        json!({ "kind": "promotion", "product_id": pid, "unit_price_minor": 170, "starts_at_ms": START_MS + 1500, "ends_at_ms": START_MS + 1600 }),
    );
    let cust = rule(
        json!({ "kind": "customer_price", "product_id": pid, "customer_id": c7, "unit_price_minor": 150 }),
    );
    let dup = shop.call(&mut owner, "catalog.create_price_rule", json!({ "idempotency_key": key(), "rule": { "kind": "customer_price", "product_id": pid, "customer_id": c7, "unit_price_minor": 1 } }));
    assert_eq!(code(&dup), "duplicate");

    let q = |customer: Option<i64>, qty: i64, at: i64| {
        shop.db
            .read(|c| pricing::price_for(c, pid, customer, qty, at))
            .unwrap()
    };
    let applied = |quote: &pricing::Quote| quote.rule_applied.as_ref().map(|r| r.id);
    // (price, rule) for each situation.
    let t0 = START_MS;
    let cases = [
        (q(None, 1, t0), 225, Some(cat)), // 10 % off 250; the larger category rule wins
        (q(None, 10, t0), 200, Some(brk10)), // a break beats the category
        (q(None, 60, t0), 180, Some(brk50)), // the largest break that applies
        (q(None, 60, t0 + 1000), 190, Some(promo)), // a running promotion beats breaks
        (q(None, 1, t0 + 1550), 170, Some(promo_cheaper)), // overlapping: the lowest price
        (q(None, 1, t0 + 2000), 225, Some(cat)), // promotions end exclusive
        (q(Some(c7), 60, t0 + 1550), 150, Some(cust)), // the customer's price beats everything
        (q(Some(c8), 1, t0), 225, Some(cat)), // another customer doesn't get it
    ];
    for (i, (quote, price, rule)) in cases.iter().enumerate() {
        assert_eq!(
            (quote.unit_price_minor, applied(quote)),
            (*price, *rule),
            "case {i}: {quote:?}"
        );
    }
    assert_eq!(q(None, 60, t0).line_total_minor, 180 * 60);
    let _ = cat_small;
    // The read command gives the same answer; a product outside the category gets list price.
    let v = shop
        .call(
            &mut owner,
            "catalog.quote",
            json!({ "product_id": pid, "customer_id": c7, "quantity": 2 }),
        )
        .unwrap();
    assert_eq!(
        (
            v["unit_price_minor"].as_i64(),
            v["rule_applied"]["kind"].as_str()
        ),
        (Some(150), Some("customer_price"))
    );
    shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": other, "version": 1, "category": "Bakery" }),
    )
    .unwrap();
    let v = shop
        .call(&mut owner, "catalog.quote", json!({ "product_id": other }))
        .unwrap();
    assert_eq!(
        (v["unit_price_minor"].as_i64(), &v["rule_applied"]),
        (Some(250), &Value::Null)
    );
    // Archiving a rule takes it out of the precedence.
    let v = version_of(&shop.db, "price_rules", cust);
    shop.call(
        &mut owner,
        "catalog.archive_price_rule",
        json!({ "id": cust, "version": v }),
    )
    .unwrap();
    assert_eq!(applied(&q(Some(c7), 1, t0)), Some(cat));
}

// ---------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------

#[test]
fn search_barcode_first_then_name_prefix_then_words_paged_in_a_stable_order() {
    let (shop, mut owner) = Shop::with_owner();
    let mk = |s: &mut Option<Session>, sku: &str, barcode: Option<&str>, name: &str| {
        Product::new(sku, 1)
            .name(name)
            .with("barcode", json!(barcode))
            .with("category", json!("Food"))
            .create(&shop, s)
    };
    let choc = mk(&mut owner, "S1", Some("111"), "Chocolate bar");
    let milk_choc = mk(&mut owner, "S2", None, "Milk chocolate");
    let chai = mk(&mut owner, "S3", None, "chai tea");
    let cheese = mk(&mut owner, "S4", None, "Cheddar cheese");
    let _ = mk(&mut owner, "S5", None, "Apple");
    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["product"]["id"].as_i64().unwrap())
            .collect()
    };
    let r = shop
        .call(&mut owner, "catalog.search", json!({ "query": "111" }))
        .unwrap();
    assert_eq!(ids(&r), vec![choc]);
    assert_eq!(r["items"][0]["match"], "barcode");
    let r = shop
        .call(&mut owner, "catalog.search", json!({ "query": "ch" }))
        .unwrap();
    // Name prefixes by name (case-insensitive), then word matches by id.
    assert_eq!(ids(&r), vec![chai, cheese, choc, milk_choc]);
    assert_eq!(r["items"][3]["match"], "words");
    let p1 = shop
        .call(
            &mut owner,
            "catalog.search",
            json!({ "query": "ch", "limit": 2 }),
        )
        .unwrap();
    assert_eq!(ids(&p1), vec![chai, cheese]);
    let p2 = shop
        .call(
            &mut owner,
            "catalog.search",
            json!({ "query": "ch", "limit": 2, "offset": p1["next_offset"] }),
        )
        .unwrap();
    assert_eq!(ids(&p2), vec![choc, milk_choc]);
    assert_eq!(p2["next_offset"], Value::Null);
    let r = shop
        .call(
            &mut owner,
            "catalog.search",
            json!({ "query": "milk choc" }),
        )
        .unwrap();
    assert_eq!(ids(&r), vec![milk_choc]);
    let r = shop
        .call(&mut owner, "catalog.search", json!({ "query": "\"choc*" }))
        .unwrap();
    assert!(
        ids(&r).contains(&choc),
        "FTS syntax in the query is only text"
    );
    // Renames reach the index.
    shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": cheese, "version": 1, "name": "Gouda" }),
    )
    .unwrap();
    let r = shop
        .call(&mut owner, "catalog.search", json!({ "query": "chedd" }))
        .unwrap();
    assert!(ids(&r).is_empty());
    let r = shop
        .call(&mut owner, "catalog.search", json!({ "query": "gou" }))
        .unwrap();
    assert_eq!(ids(&r), vec![cheese]);
    fts_is_in_step(&shop.db);
}

// ---------------------------------------------------------------------------
// Property: random stock operations keep on-hand = Σ movements ≥ 0, available ≥ 0
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    NewBatch(i64),
    Receive(i64),
    Adjust(i64),
    Sample(i64),
    Damage(i64),
    Reserve(i64),
    Release(usize),
    Advance(i64),
    Count(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..20).prop_map(Op::NewBatch),
        (1i64..20).prop_map(Op::Receive),
        (-15i64..15)
            .prop_filter("non-zero", |q| *q != 0)
            .prop_map(Op::Adjust),
        (1i64..10).prop_map(Op::Sample),
        (1i64..10).prop_map(Op::Damage),
        (1i64..10).prop_map(Op::Reserve),
        (0usize..8).prop_map(Op::Release),
        (0i64..3).prop_map(|n| Op::Advance(n * 20 * 60 * 1000)),
        (0i64..25).prop_map(Op::Count),
    ]
}

struct Model {
    on_hand: i64,
    /// (id, quantity, expires_at_ms, open)
    holds: Vec<(i64, i64, i64, bool)>,
}

impl Model {
    fn active(&self, now: i64) -> i64 {
        self.holds
            .iter()
            .filter(|h| h.3 && h.2 > now)
            .map(|h| h.1)
            .sum()
    }
    fn expire(&mut self, now: i64) {
        for h in &mut self.holds {
            if h.3 && h.2 <= now {
                h.3 = false;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn property_random_stock_operations_keep_on_hand_equal_to_movements(ops in proptest::collection::vec(op(), 1..30)) {
        let (shop, mut owner) = Shop::with_owner();
        no_idle_lock(&shop, &mut owner);
        let pid = dairy("PROP", None).create(&shop, &mut owner);
        let batch = receive(&shop, &mut owner, pid, 10, 100);
        let mut other_batches = 0;
        let mut m = Model { on_hand: 10, holds: Vec::new() };
        for op in ops {
            let now = shop.clock.now_ms();
            let adjust = |s: &mut Option<Session>, kind: &str, q: i64| {
                shop.call(s, "stock.adjust", json!({ "idempotency_key": key(), "batch_id": batch, "kind": kind, "quantity": q, "reason": "prop" }))
            };
            match op {
                Op::NewBatch(q) => {
                    // A receipt of a new batch of the same product.
                    Batch::of(pid, q, 100).expires_on("2026-12-31").receive(&shop, &mut owner);
                    other_batches += q;
                }
                Op::Receive(q) => {
                    // A return of goods into the same batch.
                    shop.db.write(|tx| stock::move_stock(tx, &stock::Move {
                        batch_id: batch, kind: stock::MovementKind::Return, quantity: q, reason: "prop return",
                        user_id: None, source: stock::Source::default(), at_ms: now,
                    })).unwrap();
                    m.on_hand += q;
                }
                Op::Adjust(q) | Op::Sample(q) | Op::Damage(q) => {
                    let (kind, delta) = match op {
                        Op::Adjust(_) => ("adjustment", q),
                        Op::Sample(_) => ("sample", -q),
                        _ => ("damage", -q),
                    };
                    let r = adjust(&mut owner, kind, q);
                    let fits = delta > 0 || -delta <= m.on_hand - m.active(now);
                    if fits {
                        prop_assert!(r.is_ok(), "{kind} {q}: {r:?}");
                        if delta < 0 { m.expire(now); }
                        m.on_hand += delta;
                    } else {
                        prop_assert_eq!(code(&r), "insufficient_stock");
                    }
                }
                Op::Reserve(q) => {
                    let r = shop.call(&mut owner, "stock.reserve", json!({ "idempotency_key": key(), "batch_id": batch, "quantity": q, "holder": "prop" }));
                    if q <= m.on_hand - m.active(now) {
                        let v = r.unwrap();
                        m.expire(now);
                        m.holds.push((v["id"].as_i64().unwrap(), q, v["expires_at_ms"].as_i64().unwrap(), true));
                    } else {
                        prop_assert_eq!(code(&r), "insufficient_stock");
                    }
                }
                Op::Release(i) => {
                    if let Some(h) = m.holds.get(i).copied() {
                        let r = shop.call(&mut owner, "stock.release", json!({ "id": h.0 }));
                        if h.3 && h.2 > now {
                            prop_assert!(r.is_ok(), "{r:?}");
                        }
                        if r.is_ok() { m.holds[i].3 = false; }
                    }
                }
                Op::Advance(ms) => shop.clock.advance_ms(ms),
                Op::Count(c) => {
                    let count = shop.call(&mut owner, "stock.count_open", json!({ "idempotency_key": key() })).unwrap();
                    let cid = count["id"].as_i64().unwrap();
                    let line = shop.call(&mut owner, "stock.count_record", json!({ "count_id": cid, "batch_id": batch, "counted": c })).unwrap();
                    prop_assert_eq!(line["variance"].as_i64(), Some(c - m.on_hand));
                    let v = version_of(&shop.db, "stock_counts", cid);
                    shop.call(&mut owner, "stock.count_post", json!({ "count_id": cid, "version": v })).unwrap();
                    m.expire(now);
                    let mut reserved = m.active(now);
                    for h in m.holds.iter_mut().rev() {
                        if reserved <= c { break; }
                        if h.3 { h.3 = false; reserved -= h.1; }
                    }
                    m.on_hand = c;
                }
            }
            let (on_hand, reserved) = stock(&shop, batch);
            prop_assert_eq!(on_hand, m.on_hand);
            prop_assert!(on_hand >= 0 && reserved >= 0 && on_hand - reserved >= 0);
            let moved = scalar(&shop.db, &format!("SELECT coalesce(sum(quantity), 0) FROM stock_movements WHERE batch_id = {batch}"));
            prop_assert_eq!(on_hand, moved);
            let d = drift(&shop.db);
            prop_assert!(d.is_empty(), "{:?}", d);
            let product = shop.call(&mut owner, "catalog.get_product", json!({ "id": pid })).unwrap();
            prop_assert_eq!(product["on_hand"].as_i64(), Some(m.on_hand + other_batches));
            prop_assert!(product["available"].as_i64().unwrap() >= 0);
        }
    }
}

// ---------------------------------------------------------------------------
// T05: every write command of this module is one transaction
// ---------------------------------------------------------------------------

#[test]
fn t05_catalog_and_stock_writes_are_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    no_idle_lock(&shop, &mut owner);
    let mut n = 0;
    let mut next = move || {
        n += 1;
        n
    };
    let s = sweep_faults(
        &shop,
        &mut owner,
        "catalog.create_product",
        || json!({ "idempotency_key": key(), "sku": format!("SW-{}", next()), "name": "Swept", "price_minor": 5 }),
    );
    assert!(s.statements >= 3);
    let pid = dairy("SWEEP", Some("5000001")).create(&shop, &mut owner);

    let s = sweep_faults(
        &shop,
        &mut owner,
        "catalog.update_product",
        || json!({ "id": pid, "version": version_of(&shop.db, "products", pid), "name": "Swept again" }),
    );
    assert!(s.statements >= 2);
    sweep_faults(
        &shop,
        &mut owner,
        "catalog.create_price_rule",
        || json!({ "idempotency_key": key(), "rule": { "kind": "promotion", "product_id": pid, "unit_price_minor": 1, "starts_at_ms": 0, "ends_at_ms": 5 } }),
    );
    let rule = scalar(&shop.db, "SELECT max(id) FROM price_rules");
    sweep_faults(
        &shop,
        &mut owner,
        "catalog.archive_price_rule",
        || json!({ "id": rule, "version": version_of(&shop.db, "price_rules", rule) }),
    );

    let s = sweep_faults(
        &shop,
        &mut owner,
        "stock.receive",
        || json!({ "idempotency_key": key(), "product_id": pid, "lot_code": "SW", "unit_cost_minor": 3, "quantity": 20 }),
    );
    assert!(
        s.statements >= 4,
        "batch, movement, audit, outbox, idempotency"
    );
    let batch = scalar(&shop.db, "SELECT max(id) FROM batches");
    sweep_faults(
        &shop,
        &mut owner,
        "stock.adjust",
        || json!({ "idempotency_key": key(), "batch_id": batch, "kind": "damage", "quantity": 1, "reason": "swept" }),
    );
    sweep_faults(
        &shop,
        &mut owner,
        "stock.reserve",
        || json!({ "idempotency_key": key(), "batch_id": batch, "quantity": 2, "holder": "swept" }),
    );
    let reservation = scalar(&shop.db, "SELECT max(id) FROM stock_reservations");
    sweep_faults(
        &shop,
        &mut owner,
        "stock.release",
        || json!({ "id": reservation }),
    );
    shop.call(&mut owner, "stock.reserve", json!({ "idempotency_key": key(), "batch_id": batch, "quantity": 3, "holder": "to expire" }))
        .unwrap();
    shop.clock.advance_ms(60 * 60 * 1000);
    let s = sweep_faults(&shop, &mut owner, "stock.expire_reservations", || json!({}));
    assert!(s.statements >= 2);
    assert_eq!(stock(&shop, batch).1, 0);

    sweep_faults(
        &shop,
        &mut owner,
        "stock.count_open",
        || json!({ "idempotency_key": key() }),
    );
    let count = scalar(&shop.db, "SELECT max(id) FROM stock_counts");
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT number FROM stock_counts WHERE id = {count}")
        ),
        1,
        "failed attempts took no number"
    );
    // A reservation the count will have to release.
    shop.call(
        &mut owner,
        "stock.reserve",
        json!({ "idempotency_key": key(), "batch_id": batch, "quantity": 10, "holder": "held" }),
    )
    .unwrap();
    sweep_faults(
        &shop,
        &mut owner,
        "stock.count_record",
        || json!({ "count_id": count, "barcode": "5000001", "counted": 7 }),
    );
    let s = sweep_faults(
        &shop,
        &mut owner,
        "stock.count_post",
        || json!({ "count_id": count, "version": version_of(&shop.db, "stock_counts", count) }),
    );
    assert!(s.statements >= 5);
    assert_eq!(stock(&shop, batch), (7, 0));

    sweep_faults(
        &shop,
        &mut owner,
        "catalog.archive_product",
        || json!({ "id": pid, "version": version_of(&shop.db, "products", pid) }),
    );
    assert!(drift(&shop.db).is_empty(), "{:?}", drift(&shop.db));
    fts_is_in_step(&shop.db);
    chain_is_intact(&shop.db);
}
