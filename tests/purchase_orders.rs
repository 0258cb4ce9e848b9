//! Purchase orders (migration 0022) and stock made simple (issue 13): orders
//! suggested from reorder points, edited against their version, sent, received
//! in parts through purchase receipts, cancelled; lot codes generated when
//! none is given; expiry where the product tracks it; the stock list.

use crate::support::checks::{
    balance, code, expect_code, expect_refusals, expect_validation, scalar, verify_is_clean,
};
use crate::support::faults::sweep_faults;
use crate::support::fixtures::{at_once, id, receive, vendor, Product};
use crate::support::{key, Shop};
use serde_json::{json, Value};
use tillbook_core::Session;

fn call(shop: &Shop, s: &mut Option<Session>, cmd: &str, mut args: Value) -> Value {
    if tillbook_core::commands::find(cmd)
        .is_some_and(|c| c.effect == tillbook_core::dispatch::commands::Effect::Create)
    {
        args["idempotency_key"] = json!(key());
    }
    match shop.call(s, cmd, args) {
        Ok(v) => v,
        Err(e) => panic!("{cmd}: {}", e.to_json()),
    }
}

/// A product with a reorder point (and optionally a preferred vendor).
fn reordered(
    shop: &Shop,
    s: &mut Option<Session>,
    sku: &str,
    point: i64,
    vendor: Option<i64>,
) -> i64 {
    let mut p = Product::new(sku, 300)
        .name(&format!("Item {sku}"))
        .with("reorder_point", json!(point));
    if let Some(v) = vendor {
        p = p.with("preferred_vendor_id", json!(v));
    }
    p.create(shop, s)
}

fn order_of(shop: &Shop, s: &mut Option<Session>, id: i64) -> Value {
    call(shop, s, "purchase_orders.get", json!({ "id": id }))
}

fn line_quantities(o: &Value) -> Vec<(i64, i64, i64)> {
    o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["product_id"].as_i64().unwrap(),
                l["quantity"].as_i64().unwrap(),
                l["received_quantity"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// A sent order to `vendor` for `lines` of (product, quantity, unit cost).
fn sent_order(
    shop: &Shop,
    s: &mut Option<Session>,
    vendor: i64,
    lines: &[(i64, i64, i64)],
) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(p, q, c)| json!({ "product_id": p, "quantity": q, "unit_cost_minor": c }))
        .collect();
    let o = call(
        shop,
        s,
        "purchase_orders.create",
        json!({ "vendor_id": vendor, "lines": lines }),
    );
    call(
        shop,
        s,
        "purchase_orders.send",
        json!({ "id": o["id"], "version": o["version"] }),
    )
}

fn receipt_against(order: &Value, vendor: i64, parts: &[(usize, i64)]) -> Value {
    let lines: Vec<Value> = parts
        .iter()
        .map(|(i, q)| {
            let l = &order["lines"][*i];
            json!({ "product_id": l["product_id"], "order_line_id": l["id"],
                    "unit_cost_minor": l["unit_cost_minor"], "quantity": q })
        })
        .collect();
    json!({ "vendor_id": vendor, "order_id": order["id"], "reference": "DN-1", "lines": lines })
}

#[test]
fn purchase_orders_are_suggested_per_preferred_vendor_from_reorder_points() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let bakery = vendor(&shop, &mut owner, "Bakery Ltd");
    let milk = reordered(&shop, &mut owner, "MILK", 10, Some(dairy));
    let butter = reordered(&shop, &mut owner, "BUTTER", 4, Some(dairy));
    let bread = reordered(&shop, &mut owner, "BREAD", 6, Some(bakery));
    let salt = reordered(&shop, &mut owner, "SALT", 2, None);
    let jam = reordered(&shop, &mut owner, "JAM", 1, Some(dairy));
    shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": milk, "version": 1, "reorder_quantity": 24 }),
    )
    .unwrap();
    receive(&shop, &mut owner, milk, 3, 60); // low: 24 (its reorder quantity)
    receive(&shop, &mut owner, butter, 1, 150); // low: 2 × 4 − 1 = 7
    receive(&shop, &mut owner, bread, 6, 90); // at its point: 2 × 6 − 6 = 6
    receive(&shop, &mut owner, jam, 5, 200); // above its point: not suggested

    let s = call(&shop, &mut owner, "purchase_orders.suggest", json!({}));
    let orders = s["orders"].as_array().unwrap();
    // One draft per vendor, by vendor name; the last batch's cost is the expected cost.
    assert_eq!(orders.len(), 2, "{s}");
    assert_eq!(
        (
            orders[0]["vendor_name"].as_str(),
            orders[0]["status"].as_str()
        ),
        (Some("Bakery Ltd"), Some("draft"))
    );
    assert_eq!(line_quantities(&orders[0]), [(bread, 6, 0)]);
    assert_eq!(orders[0]["lines"][0]["unit_cost_minor"], 90);
    assert_eq!(orders[1]["vendor_name"], "Dairy Co");
    let mut dairy_lines = line_quantities(&orders[1]);
    dairy_lines.sort_unstable();
    assert_eq!(dairy_lines, [(milk, 24, 0), (butter, 7, 0)]);
    assert_eq!(orders[1]["total_minor"], 24 * 60 + 7 * 150);
    // Gapless numbers in vendor order.
    assert_eq!(
        (orders[0]["number"].as_i64(), orders[1]["number"].as_i64()),
        (Some(1), Some(2))
    );
    // Salt has no preferred vendor: handed back for the owner to choose one.
    let without: Vec<i64> = s["without_vendor"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["product_id"].as_i64().unwrap())
        .collect();
    assert_eq!(without, [salt]);
    assert_eq!(s["already_on_order"], json!([]));

    // Asking again orders nothing twice.
    let again = call(&shop, &mut owner, "purchase_orders.suggest", json!({}));
    assert_eq!(again["orders"], json!([]));
    assert_eq!(again["already_on_order"].as_array().unwrap().len(), 3);
    assert_eq!(shop.count("purchase_orders"), 2);

    // The owner picks a vendor for salt: an order of its own.
    let o = call(
        &shop,
        &mut owner,
        "purchase_orders.create",
        json!({ "vendor_id": bakery, "lines": [{ "product_id": salt, "quantity": 4, "unit_cost_minor": 30 }] }),
    );
    assert_eq!(o["number"], 3);
    let audit = shop.audit_rows("purchase_orders.suggest");
    assert_eq!(audit.len(), 2, "one audit row per suggestion");
    verify_is_clean(&shop.db);
}

#[test]
fn a_purchase_order_is_edited_against_its_version_sent_and_received_in_two_parts() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let milk = reordered(&shop, &mut owner, "MILK", 10, Some(dairy));
    let cheese = Product::new("CHEESE", 900)
        .with("unit", json!("kg"))
        .with("preferred_vendor_id", json!(dairy))
        .create(&shop, &mut owner);
    let o = call(
        &shop,
        &mut owner,
        "purchase_orders.create",
        json!({ "vendor_id": dairy, "lines": [{ "product_id": milk, "quantity": 12, "unit_cost_minor": 60 }] }),
    );
    // Edit: change milk, add 2.5 kg of cheese at 8.00 a kg.
    let edited = call(
        &shop,
        &mut owner,
        "purchase_orders.update",
        json!({ "id": o["id"], "version": o["version"], "note": "Before Friday", "lines": [
            { "product_id": milk, "quantity": 20, "unit_cost_minor": 55 },
            { "product_id": cheese, "quantity": 2500, "unit_cost_minor": 800 },
        ] }),
    );
    assert_eq!(line_quantities(&edited), [(milk, 20, 0), (cheese, 2500, 0)]);
    assert_eq!(edited["lines"][1]["line_total_minor"], 2000);
    assert_eq!(edited["total_minor"], 20 * 55 + 2000);
    assert_eq!(edited["note"], "Before Friday");
    // A stale version changes nothing.
    expect_code(
        &shop.call(
            &mut owner,
            "purchase_orders.update",
            json!({ "id": o["id"], "version": o["version"], "lines": [{ "product_id": milk, "quantity": 1, "unit_cost_minor": 1 }] }),
        ),
        "conflict",
        "a stale version",
    );
    // Removing a line is leaving it out.
    let edited = call(
        &shop,
        &mut owner,
        "purchase_orders.update",
        json!({ "id": o["id"], "version": edited["version"], "lines": [
            { "product_id": cheese, "quantity": 2500, "unit_cost_minor": 800 },
            { "product_id": milk, "quantity": 20, "unit_cost_minor": 55 },
        ] }),
    );
    assert_eq!(line_quantities(&edited), [(cheese, 2500, 0), (milk, 20, 0)]);
    assert_eq!(edited["note"], "Before Friday", "an absent note is kept");

    let sent = call(
        &shop,
        &mut owner,
        "purchase_orders.send",
        json!({ "id": o["id"], "version": edited["version"] }),
    );
    assert_eq!(sent["status"], "sent");
    expect_code(
        &shop.call(
            &mut owner,
            "purchase_orders.update",
            json!({ "id": o["id"], "version": sent["version"], "lines": [{ "product_id": milk, "quantity": 1, "unit_cost_minor": 1 }] }),
        ),
        "conflict",
        "editing a sent order",
    );
    let csv = call(
        &shop,
        &mut owner,
        "purchase_orders.csv",
        json!({ "id": o["id"] }),
    );
    assert_eq!(csv["filename"], "purchase-order-1.csv");
    let text = csv["csv"].as_str().unwrap();
    assert!(text.starts_with("Purchase order,1\r\n"), "{text}");
    assert!(text.contains("To,Dairy Co\r\n"), "{text}");
    assert!(
        text.contains("1,CHEESE,Product CHEESE,2.500,kg,8.00,20.00\r\n"),
        "{text}"
    );
    assert!(
        text.contains("2,MILK,Item MILK,20,each,0.55,11.00\r\n"),
        "{text}"
    );
    assert!(text.ends_with(",,,,,Total,31.00\r\n"), "{text}");

    // First delivery: 1.2 kg of cheese, 8 milk.
    let ap_before = balance(&shop.db, "2000");
    let r1 = call(
        &shop,
        &mut owner,
        "purchasing.receive",
        receipt_against(&sent, dairy, &[(0, 1200), (1, 8)]),
    );
    assert_eq!(r1["order_status"], "partly_received");
    assert_eq!(r1["total_minor"], 960 + 440);
    let o1 = order_of(&shop, &mut owner, o["id"].as_i64().unwrap());
    assert_eq!(o1["status"], "partly_received");
    assert_eq!(line_quantities(&o1), [(cheese, 2500, 1200), (milk, 20, 8)]);
    assert_eq!(
        (
            o1["lines"][0]["remaining_quantity"].as_i64(),
            o1["lines"][1]["remaining_quantity"].as_i64()
        ),
        (Some(1300), Some(12))
    );
    assert_eq!(o1["receipt_ids"], json!([r1["id"]]));
    // The batches and their receive movements, and the bill on account.
    for (batch, product, q, cost) in [
        (&r1["batch_ids"][0], cheese, 1200, 800),
        (&r1["batch_ids"][1], milk, 8, 55),
    ] {
        let b = call(
            &shop,
            &mut owner,
            "stock.batches",
            json!({ "product_id": product }),
        );
        let b = b
            .as_array()
            .unwrap()
            .iter()
            .find(|x| &x["id"] == batch)
            .unwrap()
            .clone();
        assert_eq!(
            (b["on_hand"].as_i64(), b["unit_cost_minor"].as_i64()),
            (Some(q), Some(cost))
        );
        let m = call(
            &shop,
            &mut owner,
            "stock.movements",
            json!({ "batch_id": batch }),
        );
        assert_eq!(
            (m[0]["kind"].as_str(), m[0]["quantity"].as_i64()),
            (Some("receive"), Some(q))
        );
    }
    assert_eq!(balance(&shop.db, "2000") - ap_before, 1400);
    let entries = call(
        &shop,
        &mut owner,
        "ledger.entries",
        json!({ "source_type": "purchase_receipt", "source_id": r1["id"] }),
    );
    let lines = &entries[0]["lines"];
    assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
    let mut got: Vec<(String, i64, i64, Value)> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["account_code"].as_str().unwrap().to_string(),
                l["debit_minor"].as_i64().unwrap(),
                l["credit_minor"].as_i64().unwrap(),
                l["vendor_id"].clone(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("1200".to_string(), 1400, 0, Value::Null),
            ("2000".to_string(), 0, 1400, json!(dairy)),
        ]
    );

    // The rest in a second delivery: received in full.
    let r2 = call(
        &shop,
        &mut owner,
        "purchasing.receive",
        receipt_against(&o1, dairy, &[(0, 1300), (1, 12)]),
    );
    assert_eq!(r2["order_status"], "received");
    let o2 = order_of(&shop, &mut owner, o["id"].as_i64().unwrap());
    assert_eq!(line_quantities(&o2), [(cheese, 2500, 2500), (milk, 20, 20)]);
    assert!(o2["closed_at_ms"].is_i64());
    assert_eq!(balance(&shop.db, "2000") - ap_before, 1400 + 1040 + 660);
    // A received order takes no more, and is not cancelled.
    expect_code(
        &shop.call(
            &mut owner,
            "purchasing.receive",
            merged_key(receipt_against(&o1, dairy, &[(1, 1)])),
        ),
        "conflict",
        "receiving against a received order",
    );
    expect_code(
        &shop.call(
            &mut owner,
            "purchase_orders.cancel",
            json!({ "id": o["id"], "version": o2["version"], "reason": "late" }),
        ),
        "conflict",
        "cancelling a received order",
    );
    let list = call(
        &shop,
        &mut owner,
        "stock.list",
        json!({ "query": "cheese" }),
    );
    assert_eq!(list["lines"][0]["on_hand"], 2500);
    assert_eq!(list["lines"][0]["value_minor"], 2000);
    assert_eq!(list["lines"][0]["on_order"], 0);
    verify_is_clean(&shop.db);
}

fn merged_key(mut v: Value) -> Value {
    v["idempotency_key"] = json!(key());
    v
}

#[test]
fn over_receiving_is_refused_and_cancelling_keeps_what_came() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let other = vendor(&shop, &mut owner, "Other Co");
    let milk = reordered(&shop, &mut owner, "MILK", 10, Some(dairy));
    let eggs = reordered(&shop, &mut owner, "EGGS", 10, Some(dairy));
    let o = sent_order(&shop, &mut owner, dairy, &[(milk, 10, 50)]);
    let before = (shop.count("batches"), shop.count("purchase_receipts"));
    // More than ordered, in one line or two lines of the same order line.
    expect_validation(
        shop.call(
            &mut owner,
            "purchasing.receive",
            merged_key(receipt_against(&o, dairy, &[(0, 11)])),
        ),
        "lines[0].quantity",
        "over-receiving",
    );
    expect_validation(
        shop.call(
            &mut owner,
            "purchasing.receive",
            merged_key(receipt_against(&o, dairy, &[(0, 6), (0, 5)])),
        ),
        "lines[1].quantity",
        "over-receiving over two lines",
    );
    // Another vendor, another product, a line not on the order.
    expect_validation(
        shop.call(
            &mut owner,
            "purchasing.receive",
            merged_key(receipt_against(&o, other, &[(0, 1)])),
        ),
        "order_id",
        "another vendor's receipt",
    );
    let mut wrong = receipt_against(&o, dairy, &[(0, 1)]);
    wrong["lines"][0]["product_id"] = json!(eggs);
    expect_validation(
        shop.call(&mut owner, "purchasing.receive", merged_key(wrong)),
        "lines[0].product_id",
        "another product on the order line",
    );
    let mut wrong = receipt_against(&o, dairy, &[(0, 1)]);
    wrong["lines"][0]["order_line_id"] = json!(999);
    expect_validation(
        shop.call(&mut owner, "purchasing.receive", merged_key(wrong)),
        "lines[0].order_line_id",
        "a line of no order",
    );
    assert_eq!(
        (shop.count("batches"), shop.count("purchase_receipts")),
        before
    );

    // A draft is not received against.
    let draft = call(
        &shop,
        &mut owner,
        "purchase_orders.create",
        json!({ "vendor_id": dairy, "lines": [{ "product_id": eggs, "quantity": 5, "unit_cost_minor": 20 }] }),
    );
    expect_code(
        &shop.call(
            &mut owner,
            "purchasing.receive",
            merged_key(receipt_against(&draft, dairy, &[(0, 1)])),
        ),
        "conflict",
        "receiving against a draft",
    );

    // Part comes, the rest is cancelled: what came stays.
    call(
        &shop,
        &mut owner,
        "purchasing.receive",
        receipt_against(&o, dairy, &[(0, 4)]),
    );
    let now = order_of(&shop, &mut owner, o["id"].as_i64().unwrap());
    let c = call(
        &shop,
        &mut owner,
        "purchase_orders.cancel",
        json!({ "id": o["id"], "version": now["version"], "reason": "vendor out of stock" }),
    );
    assert_eq!(
        (c["status"].as_str(), c["cancel_reason"].as_str()),
        (Some("cancelled"), Some("vendor out of stock"))
    );
    assert_eq!(line_quantities(&c), [(milk, 10, 4)]);
    assert_eq!(c["lines"][0]["remaining_quantity"], 0);
    expect_code(
        &shop.call(
            &mut owner,
            "purchasing.receive",
            merged_key(receipt_against(&o, dairy, &[(0, 1)])),
        ),
        "conflict",
        "receiving against a cancelled order",
    );
    let list = call(&shop, &mut owner, "stock.list", json!({ "query": "MILK" }));
    assert_eq!(
        (
            list["lines"][0]["on_hand"].as_i64(),
            list["lines"][0]["on_order"].as_i64()
        ),
        (Some(4), Some(0))
    );
    // A draft is cancelled too.
    let c = call(
        &shop,
        &mut owner,
        "purchase_orders.cancel",
        json!({ "id": draft["id"], "version": draft["version"], "reason": "ordered elsewhere" }),
    );
    assert_eq!(c["status"], "cancelled");
    verify_is_clean(&shop.db);
}

#[test]
fn a_receipt_without_a_lot_code_gets_a_generated_one_unique_per_product() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let milk = Product::new("MILK", 120).create(&shop, &mut owner);
    let eggs = Product::new("EGGS", 300).create(&shop, &mut owner);
    // Someone typed the first generated code by hand: it is stepped over.
    call(
        &shop,
        &mut owner,
        "stock.receive",
        json!({ "product_id": milk, "lot_code": "2026-01-01-1", "unit_cost_minor": 50, "quantity": 1 }),
    );
    let b = call(
        &shop,
        &mut owner,
        "stock.receive",
        json!({ "product_id": milk, "unit_cost_minor": 50, "quantity": 5 }),
    );
    assert_eq!(b["lot_code"], "2026-01-01-2");
    let r = call(
        &shop,
        &mut owner,
        "purchasing.receive",
        json!({ "vendor_id": dairy, "lines": [
            { "product_id": milk, "unit_cost_minor": 50, "quantity": 5 },
            { "product_id": milk, "lot_code": null, "unit_cost_minor": 55, "quantity": 5 },
            { "product_id": eggs, "unit_cost_minor": 20, "quantity": 6 },
        ] }),
    );
    assert_eq!(
        r["lot_codes"],
        json!(["2026-01-01-3", "2026-01-01-4", "2026-01-01-1"])
    );
    // A new day starts again at 1.
    shop.clock.advance_ms(86_400_000);
    let mut owner = shop.session_as(&mut owner, "owner");
    let b = call(
        &shop,
        &mut owner,
        "stock.receive",
        json!({ "product_id": milk, "unit_cost_minor": 50, "quantity": 5 }),
    );
    assert_eq!(b["lot_code"], "2026-01-02-1");
    let distinct = scalar(
        &shop.db,
        &format!(
            "SELECT count(DISTINCT lot_code) = count(*) FROM batches WHERE product_id = {milk}"
        ),
    );
    assert_eq!(distinct, 1);
    // An empty lot code is refused as before (the screens send none instead).
    expect_validation(
        shop.call(
            &mut owner,
            "stock.receive",
            json!({ "idempotency_key": key(), "product_id": milk, "lot_code": "", "unit_cost_minor": 1, "quantity": 1 }),
        ),
        "lot_code",
        "an empty lot code",
    );
    verify_is_clean(&shop.db);
}

#[test]
fn expiry_is_required_where_the_product_tracks_it_and_kept_as_given_elsewhere() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let yoghurt = Product::new("YOG", 99)
        .name("Yoghurt")
        .with("track_expiry", json!(true))
        .create(&shop, &mut owner);
    let tins = Product::new("TIN", 89).create(&shop, &mut owner);
    expect_validation(
        shop.call(
            &mut owner,
            "stock.receive",
            json!({ "idempotency_key": key(), "product_id": yoghurt, "unit_cost_minor": 40, "quantity": 6 }),
        ),
        "expires_on",
        "a dated product without its date",
    );
    let r = shop.call(
        &mut owner,
        "purchasing.receive",
        json!({ "idempotency_key": key(), "vendor_id": dairy, "lines": [
            { "product_id": tins, "unit_cost_minor": 30, "quantity": 6 },
            { "product_id": yoghurt, "unit_cost_minor": 40, "quantity": 6 },
        ] }),
    );
    expect_validation(r, "lines[1].expires_on", "a receipt line without the date");
    let e = shop
        .call(
            &mut owner,
            "stock.receive",
            json!({ "idempotency_key": key(), "product_id": yoghurt, "unit_cost_minor": 40, "quantity": 6 }),
        )
        .unwrap_err();
    assert!(e.to_string().contains("Yoghurt"), "{e}");
    assert_eq!(shop.count("batches"), 0);
    let b = call(
        &shop,
        &mut owner,
        "stock.receive",
        json!({ "product_id": yoghurt, "expires_on": "2026-01-20", "unit_cost_minor": 40, "quantity": 6 }),
    );
    assert_eq!(b["expires_on"], "2026-01-20");
    // Tins do not track expiry: not asked; a date given anyway is kept.
    let b = call(
        &shop,
        &mut owner,
        "stock.receive",
        json!({ "product_id": tins, "unit_cost_minor": 30, "quantity": 6 }),
    );
    assert_eq!(b["expires_on"], Value::Null);
    let b = call(
        &shop,
        &mut owner,
        "stock.receive",
        json!({ "product_id": tins, "expires_on": "2028-01-01", "unit_cost_minor": 30, "quantity": 6 }),
    );
    assert_eq!(b["expires_on"], "2028-01-01");
}

#[test]
fn the_stock_list_filters_by_category_low_and_search_and_pages_by_name() {
    let (shop, mut owner) = Shop::with_owner();
    let mk = |shop: &Shop,
              s: &mut Option<Session>,
              sku: &str,
              name: &str,
              cat: &str,
              point: Option<i64>| {
        let mut p = Product::new(sku, 100)
            .name(name)
            .with("category", json!(cat));
        if let Some(pt) = point {
            p = p.with("reorder_point", json!(pt));
        }
        p.create(shop, s)
    };
    let apples = mk(&shop, &mut owner, "F-APL", "Apples", "Fruit", Some(5));
    let bananas = mk(&shop, &mut owner, "F-BAN", "Bananas", "Fruit", None);
    let cheddar = Product::new("D-CHD", 1200)
        .name("Cheddar")
        .with("category", json!("Dairy"))
        .with("unit", json!("kg"))
        .with("reorder_point", json!(2000))
        .create(&shop, &mut owner);
    let _dates = mk(&shop, &mut owner, "F-DAT", "Dates", "Fruit", Some(1));
    Product::new("SVC", 500)
        .name("Gift wrap")
        .with("track_stock", json!(false))
        .create(&shop, &mut owner);
    receive(&shop, &mut owner, apples, 3, 40);
    receive(&shop, &mut owner, apples, 1, 50);
    receive(&shop, &mut owner, bananas, 12, 20);
    receive(&shop, &mut owner, cheddar, 1500, 999); // 1.5 kg at 9.99/kg = 14.985 → 14.99
    receive(&shop, &mut owner, _dates, 9, 10);
    let names = |v: &Value| -> Vec<String> {
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = call(&shop, &mut owner, "stock.list", json!({}));
    assert_eq!(
        names(&all),
        ["Apples", "Bananas", "Cheddar", "Dates"],
        "untracked left out"
    );
    let a = &all["lines"][0];
    assert_eq!(
        (
            a["on_hand"].as_i64(),
            a["available"].as_i64(),
            a["value_minor"].as_i64(),
            a["low"].as_bool()
        ),
        (Some(4), Some(4), Some(170), Some(true))
    );
    let c = &all["lines"][2];
    assert_eq!(
        (
            c["on_hand"].as_i64(),
            c["value_minor"].as_i64(),
            c["quantity_decimals"].as_i64(),
            c["unit"].as_str()
        ),
        (Some(1500), Some(1499), Some(3), Some("kg"))
    );
    assert_eq!(all["next_after_id"], Value::Null);
    assert_eq!(
        names(&call(
            &shop,
            &mut owner,
            "stock.list",
            json!({ "low_only": true })
        )),
        ["Apples", "Cheddar"]
    );
    assert_eq!(
        names(&call(
            &shop,
            &mut owner,
            "stock.list",
            json!({ "category": "Dairy" })
        )),
        ["Cheddar"]
    );
    assert_eq!(
        names(&call(
            &shop,
            &mut owner,
            "stock.list",
            json!({ "query": "nan" })
        )),
        ["Bananas"]
    );
    assert_eq!(
        names(&call(
            &shop,
            &mut owner,
            "stock.list",
            json!({ "query": "f-d" })
        )),
        ["Dates"]
    );
    assert_eq!(
        names(&call(
            &shop,
            &mut owner,
            "stock.list",
            json!({ "category": "Fruit", "low_only": true })
        )),
        ["Apples"]
    );
    assert_eq!(
        names(&call(
            &shop,
            &mut owner,
            "stock.list",
            json!({ "query": "100%_" })
        )),
        Vec::<String>::new()
    );
    // Pages of two, in name order, to the end.
    let p1 = call(&shop, &mut owner, "stock.list", json!({ "limit": 2 }));
    assert_eq!(names(&p1), ["Apples", "Bananas"]);
    let p2 = call(
        &shop,
        &mut owner,
        "stock.list",
        json!({ "limit": 2, "after_name": p1["next_after_name"], "after_id": p1["next_after_id"] }),
    );
    assert_eq!(names(&p2), ["Cheddar", "Dates"]);
    assert_eq!(p2["next_after_id"], Value::Null);
    // A cashier reads it too.
    let mut cashier = shop.session_as(&mut owner, "cashier");
    assert_eq!(
        names(&call(
            &shop,
            &mut cashier,
            "stock.list",
            json!({ "limit": 1 })
        )),
        ["Apples"]
    );
}

#[test]
fn t35_bad_purchase_order_and_stock_list_inputs_name_the_field() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let milk = Product::new("MILK", 120).create(&shop, &mut owner);
    let wrap = Product::new("WRAP", 120)
        .with("track_stock", json!(false))
        .create(&shop, &mut owner);
    let line =
        |p: i64, q: i64, c: i64| json!({ "product_id": p, "quantity": q, "unit_cost_minor": c });
    let create =
        |lines: Value| json!({ "idempotency_key": key(), "vendor_id": dairy, "lines": lines });
    expect_refusals(
        &shop,
        &mut owner,
        &[
            (
                "purchase_orders.create",
                create(json!([])),
                "validation",
                "lines",
            ),
            (
                "purchase_orders.create",
                create(json!([line(0, 1, 1)])),
                "validation",
                "lines[0].product_id",
            ),
            (
                "purchase_orders.create",
                create(json!([line(milk, 1, 1), line(milk, 2, 1)])),
                "validation",
                "lines[1].product_id",
            ),
            (
                "purchase_orders.create",
                create(json!([line(milk, 0, 1)])),
                "validation",
                "lines[0].quantity",
            ),
            (
                "purchase_orders.create",
                create(json!([line(milk, 1_000_000_001, 1)])),
                "validation",
                "lines[0].quantity",
            ),
            (
                "purchase_orders.create",
                create(json!([line(milk, 1, -1)])),
                "validation",
                "lines[0].unit_cost_minor",
            ),
            (
                "purchase_orders.create",
                create(json!([line(999, 1, 1)])),
                "validation",
                "lines[0].product_id",
            ),
            (
                "purchase_orders.create",
                create(json!([line(wrap, 1, 1)])),
                "validation",
                "lines[0].product_id",
            ),
            (
                "purchase_orders.create",
                json!({ "idempotency_key": key(), "vendor_id": 0, "lines": [line(milk, 1, 1)] }),
                "validation",
                "vendor_id",
            ),
            (
                "purchase_orders.create",
                json!({ "idempotency_key": key(), "vendor_id": dairy, "note": " x", "lines": [line(milk, 1, 1)] }),
                "validation",
                "note",
            ),
            (
                "purchase_orders.update",
                json!({ "id": 1, "version": 0, "lines": [line(milk, 1, 1)] }),
                "validation",
                "version",
            ),
            (
                "purchase_orders.cancel",
                json!({ "id": 1, "version": 1, "reason": "" }),
                "validation",
                "reason",
            ),
            (
                "purchase_orders.send",
                json!({ "id": 0, "version": 1 }),
                "validation",
                "id",
            ),
            (
                "purchase_orders.list",
                json!({ "limit": 0 }),
                "validation",
                "limit",
            ),
            (
                "purchasing.receive",
                json!({ "idempotency_key": key(), "vendor_id": dairy, "lines": [{ "product_id": milk, "order_line_id": 1, "unit_cost_minor": 1, "quantity": 1 }] }),
                "validation",
                "lines[0].order_line_id",
            ),
            (
                "purchasing.receive",
                json!({ "idempotency_key": key(), "vendor_id": dairy, "order_id": 0, "lines": [{ "product_id": milk, "unit_cost_minor": 1, "quantity": 1 }] }),
                "validation",
                "order_id",
            ),
            (
                "purchasing.receive",
                json!({ "idempotency_key": key(), "vendor_id": dairy, "order_id": 77, "lines": [{ "product_id": milk, "unit_cost_minor": 1, "quantity": 1 }] }),
                "validation",
                "order_id",
            ),
            ("stock.list", json!({ "limit": 201 }), "validation", "limit"),
            (
                "stock.list",
                json!({ "after_name": "A" }),
                "validation",
                "after_id",
            ),
            (
                "stock.list",
                json!({ "query": "x".repeat(101) }),
                "validation",
                "query",
            ),
        ],
    );
    expect_code(
        &shop.call(&mut owner, "purchase_orders.get", json!({ "id": 42 })),
        "not_found",
        "an unknown order",
    );
    assert_eq!(shop.count("purchase_orders"), 0);
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT coalesce(max(value), 0) FROM counters WHERE name = 'purchase_orders'"
        ),
        0
    );
}

#[test]
fn purchase_orders_are_for_the_owner_and_managers() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let milk = Product::new("MILK", 120).create(&shop, &mut owner);
    let mut manager = shop.session_as(&mut owner, "manager");
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let o = call(
        &shop,
        &mut manager,
        "purchase_orders.create",
        json!({ "vendor_id": dairy, "lines": [{ "product_id": milk, "quantity": 3, "unit_cost_minor": 50 }] }),
    );
    assert_eq!(o["status"], "draft");
    for (cmd, args) in [
        (
            "purchase_orders.suggest",
            json!({ "idempotency_key": key() }),
        ),
        (
            "purchase_orders.create",
            json!({ "idempotency_key": key(), "vendor_id": dairy, "lines": [{ "product_id": milk, "quantity": 1, "unit_cost_minor": 1 }] }),
        ),
        (
            "purchase_orders.update",
            json!({ "id": o["id"], "version": o["version"], "lines": [{ "product_id": milk, "quantity": 1, "unit_cost_minor": 1 }] }),
        ),
        (
            "purchase_orders.send",
            json!({ "id": o["id"], "version": o["version"] }),
        ),
        (
            "purchase_orders.cancel",
            json!({ "id": o["id"], "version": o["version"], "reason": "no" }),
        ),
        ("purchase_orders.get", json!({ "id": o["id"] })),
        ("purchase_orders.list", json!({})),
        ("purchase_orders.csv", json!({ "id": o["id"] })),
    ] {
        assert_eq!(
            code(&shop.call(&mut cashier, cmd, args)),
            "forbidden",
            "a cashier: {cmd}"
        );
    }
    let sent = call(
        &shop,
        &mut manager,
        "purchase_orders.send",
        json!({ "id": o["id"], "version": o["version"] }),
    );
    let r = call(
        &shop,
        &mut manager,
        "purchasing.receive",
        receipt_against(&sent, dairy, &[(0, 3)]),
    );
    assert_eq!(r["order_status"], "received");
    let page = call(
        &shop,
        &mut owner,
        "purchase_orders.list",
        json!({ "status": "received" }),
    );
    assert_eq!(page["orders"].as_array().unwrap().len(), 1);
}

#[test]
fn t05_every_purchase_order_write_is_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let milk = Product::new("MILK", 120)
        .with("reorder_point", json!(5))
        .with("preferred_vendor_id", json!(dairy))
        .create(&shop, &mut owner);
    let eggs = Product::new("EGGS", 300)
        .with("reorder_point", json!(5))
        .with("preferred_vendor_id", json!(dairy))
        .create(&shop, &mut owner);
    let s = sweep_faults(
        &shop,
        &mut owner,
        "purchase_orders.suggest",
        || json!({ "idempotency_key": key() }),
    );
    assert!(s.statements >= 4, "{}", s.statements);
    let lines = json!([
        { "product_id": milk, "quantity": 3, "unit_cost_minor": 50 },
        { "product_id": eggs, "quantity": 6, "unit_cost_minor": 20 },
    ]);
    let s = sweep_faults(
        &shop,
        &mut owner,
        "purchase_orders.create",
        || json!({ "idempotency_key": key(), "vendor_id": dairy, "lines": lines }),
    );
    assert!(s.statements >= 4);
    let order = id(&call(
        &shop,
        &mut owner,
        "purchase_orders.create",
        json!({ "vendor_id": dairy, "lines": lines }),
    ));
    let version = |shop: &Shop| {
        scalar(
            &shop.db,
            &format!("SELECT version FROM purchase_orders WHERE id = {order}"),
        )
    };
    let s = sweep_faults(
        &shop,
        &mut owner,
        "purchase_orders.update",
        || json!({ "id": order, "version": version(&shop), "lines": [{ "product_id": eggs, "quantity": 12, "unit_cost_minor": 20 }] }),
    );
    assert!(s.statements >= 3);
    sweep_faults(
        &shop,
        &mut owner,
        "purchase_orders.send",
        || json!({ "id": order, "version": version(&shop) }),
    );
    let sent = order_of(&shop, &mut owner, order);
    let s = sweep_faults(&shop, &mut owner, "purchasing.receive", || {
        merged_key(receipt_against(&sent, dairy, &[(0, 5)]))
    });
    assert!(s.statements >= 6);
    assert_eq!(
        order_of(&shop, &mut owner, order)["status"],
        "partly_received"
    );
    sweep_faults(
        &shop,
        &mut owner,
        "purchase_orders.cancel",
        || json!({ "id": order, "version": version(&shop), "reason": "swept" }),
    );
    assert_eq!(order_of(&shop, &mut owner, order)["status"], "cancelled");
    verify_is_clean(&shop.db);
}

/// Two receipts against one order line, each for more than half of it, let go
/// together: exactly one is received, the other is refused as over-receiving,
/// every time.
#[test]
fn two_receipts_racing_for_one_order_line_never_receive_more_than_was_ordered() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let milk = Product::new("MILK", 120).create(&shop, &mut owner);
    for round in 0..20 {
        let o = sent_order(&shop, &mut owner, dairy, &[(milk, 10, 50)]);
        let r = receipt_against(&o, dairy, &[(0, 6)]);
        let results = at_once(
            &owner,
            vec![
                (&shop.d, "purchasing.receive", merged_key(r.clone())),
                (&shop.d, "purchasing.receive", merged_key(r)),
            ],
        );
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let over = results
            .iter()
            .filter(|r| matches!(r, Err(e) if e.details()["field"] == "lines[0].quantity"))
            .count();
        assert_eq!((ok, over), (1, 1), "round {round}: {results:?}");
        let now = order_of(&shop, &mut owner, o["id"].as_i64().unwrap());
        assert_eq!(line_quantities(&now), [(milk, 10, 6)], "round {round}");
        assert_eq!(now["status"], "partly_received");
    }
    assert_eq!(shop.count("purchase_receipts"), 20);
    verify_is_clean(&shop.db);
}

#[test]
fn verify_finds_an_order_line_whose_received_quantity_drifted() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let milk = Product::new("MILK", 120).create(&shop, &mut owner);
    let o = sent_order(&shop, &mut owner, dairy, &[(milk, 10, 50)]);
    call(
        &shop,
        &mut owner,
        "purchasing.receive",
        receipt_against(&o, dairy, &[(0, 4)]),
    );
    verify_is_clean(&shop.db);
    shop.db
        .write(|tx| Ok(tx.execute("UPDATE purchase_order_lines SET received_quantity = 5", [])?))
        .unwrap();
    let report = tillbook_core::ops::verify::run(&shop.db).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p
                .contains("purchase order 1 line 1 says 5 received, its receipts' lines sum to 4")),
        "{:?}",
        report.problems
    );
}
