//! Reorder points (migration 0020): a product's reorder point, quantity and
//! preferred vendor, the low-stock list every screen reads, and the expiry
//! switch that decides whether receiving asks for a date.

use crate::support::checks::{expect_code, expect_refusals, expect_validation, version_of};
use crate::support::fixtures::{cash, open_shift, receive, sale, vendor, Product};
use crate::support::{key, Shop};
use serde_json::{json, Value};
use tillbook_core::db::{Db, OpenOptions, MIGRATIONS};
use tillbook_core::Session;

fn low(shop: &Shop, s: &mut Option<Session>, args: Value) -> Value {
    shop.call(s, "stock.low", args).unwrap()
}

fn low_names(v: &Value) -> Vec<&str> {
    v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect()
}

#[test]
fn low_stock_lists_tracked_products_at_or_below_their_point_most_short_first() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let milk = Product::new("MILK", 129)
        .name("Milk")
        .with("reorder_point", json!(10))
        .with("reorder_quantity", json!(24))
        .with("preferred_vendor_id", json!(dairy))
        .create(&shop, &mut owner);
    let eggs = Product::new("EGGS", 300)
        .name("Eggs")
        .with("reorder_point", json!(6))
        .create(&shop, &mut owner);
    let jam = Product::new("JAM", 450)
        .name("Jam")
        .with("reorder_point", json!(2))
        .create(&shop, &mut owner);
    // No point: never low; untracked: nothing to count.
    let bread = Product::new("BREAD", 250)
        .name("Bread")
        .create(&shop, &mut owner);
    Product::new("COFFEE", 320)
        .name("Coffee")
        .with("track_stock", json!(false))
        .with("reorder_point", json!(5))
        .create(&shop, &mut owner);
    receive(&shop, &mut owner, milk, 10, 60); // at the point: low
    receive(&shop, &mut owner, eggs, 2, 100); // 4 under
    receive(&shop, &mut owner, jam, 3, 200); // above
    receive(&shop, &mut owner, bread, 1, 100);

    let v = low(&shop, &mut owner, json!({}));
    assert_eq!(low_names(&v), ["Eggs", "Milk"], "{v}");
    assert_eq!(v["truncated"], false);
    let eggs_line = &v["lines"][0];
    // No reorder quantity: enough to reach twice the point.
    assert_eq!(
        (
            eggs_line["available"].as_i64(),
            eggs_line["suggested_quantity"].as_i64()
        ),
        (Some(2), Some(10))
    );
    let milk_line = &v["lines"][1];
    assert_eq!(milk_line["suggested_quantity"], 24);
    assert_eq!(milk_line["preferred_vendor_name"], "Dairy Co");

    // A sale takes jam to its point; the list follows what is available.
    open_shift(&shop, &mut owner, 0).unwrap();
    sale(
        &shop,
        &mut owner,
        json!([{ "product_id": jam, "quantity": 1 }]),
        json!([cash(540)]),
    );
    let v = low(&shop, &mut owner, json!({}));
    assert_eq!(low_names(&v), ["Eggs", "Jam", "Milk"], "{v}");

    // By vendor, and bounded.
    let v = low(&shop, &mut owner, json!({ "vendor_id": dairy }));
    assert_eq!(low_names(&v), ["Milk"]);
    let v = low(&shop, &mut owner, json!({ "limit": 1 }));
    assert_eq!(
        (low_names(&v), v["truncated"].as_bool()),
        (vec!["Eggs"], Some(true))
    );

    // Archived products drop off.
    shop.call(
        &mut owner,
        "catalog.archive_product",
        json!({ "id": eggs, "version": version_of(&shop.db, "products", eggs) }),
    )
    .unwrap();
    assert_eq!(
        low_names(&low(&shop, &mut owner, json!({}))),
        ["Jam", "Milk"]
    );
}

#[test]
fn reorder_fields_are_checked_and_can_be_cleared() {
    let (shop, mut owner) = Shop::with_owner();
    let dairy = vendor(&shop, &mut owner, "Dairy Co");
    let create = |extra: Value| {
        let mut args =
            json!({ "idempotency_key": key(), "sku": "X", "name": "X", "price_minor": 1 });
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        args
    };
    expect_refusals(
        &shop,
        &mut owner,
        &[
            (
                "catalog.create_product",
                create(json!({ "reorder_point": -1 })),
                "validation",
                "reorder_point",
            ),
            (
                "catalog.create_product",
                create(json!({ "reorder_point": 1_000_000_001_i64 })),
                "validation",
                "reorder_point",
            ),
            (
                "catalog.create_product",
                create(json!({ "reorder_quantity": 0 })),
                "validation",
                "reorder_quantity",
            ),
            (
                "catalog.create_product",
                create(json!({ "preferred_vendor_id": -3 })),
                "validation",
                "preferred_vendor_id",
            ),
            ("stock.low", json!({ "limit": 0 }), "validation", "limit"),
            ("stock.low", json!({ "limit": 501 }), "validation", "limit"),
            (
                "stock.low",
                json!({ "vendor_id": 0 }),
                "validation",
                "vendor_id",
            ),
        ],
    );
    expect_code(
        &shop.call(&mut owner, "catalog.create_product",
            json!({ "idempotency_key": key(), "sku": "X", "name": "X", "price_minor": 1, "preferred_vendor_id": 999 })),
        "not_found",
        "an unknown vendor",
    );
    assert_eq!(shop.count("products"), 0, "nothing stored by a refusal");

    let p = Product::new("MILK", 129)
        .with("reorder_point", json!(10))
        .with("preferred_vendor_id", json!(dairy))
        .create(&shop, &mut owner);
    shop.call(
        &mut owner,
        "vendors.archive",
        json!({ "id": dairy, "version": version_of(&shop.db, "vendors", dairy) }),
    )
    .unwrap();
    let other = vendor(&shop, &mut owner, "Other Co");
    let update = |shop: &Shop, s: &mut Option<Session>, fields: Value| {
        let mut args = json!({ "id": p, "version": version_of(&shop.db, "products", p) });
        for (k, v) in fields.as_object().unwrap() {
            args[k] = v.clone();
        }
        shop.call(s, "catalog.update_product", args)
    };
    // Other edits keep the vendor even once it is archived; choosing it anew is refused.
    let v = update(&shop, &mut owner, json!({ "reorder_quantity": 12 })).unwrap();
    assert_eq!(
        (v["reorder_point"].as_i64(), v["reorder_quantity"].as_i64()),
        (Some(10), Some(12))
    );
    assert_eq!(v["preferred_vendor_id"], dairy);
    let v = update(
        &shop,
        &mut owner,
        json!({ "preferred_vendor_id": other, "track_expiry": true }),
    )
    .unwrap();
    assert_eq!(
        (
            v["preferred_vendor_id"].as_i64(),
            v["track_expiry"].as_bool()
        ),
        (Some(other), Some(true))
    );
    expect_code(
        &update(&shop, &mut owner, json!({ "preferred_vendor_id": dairy })),
        "conflict",
        "choosing an archived vendor",
    );
    assert_eq!(
        (
            v["preferred_vendor_id"].as_i64(),
            v["track_expiry"].as_bool()
        ),
        (Some(other), Some(true))
    );
    expect_validation(
        update(&shop, &mut owner, json!({ "reorder_quantity": 0 })),
        "reorder_quantity",
        "a zero reorder quantity",
    );
    let v = update(
        &shop,
        &mut owner,
        json!({ "clear_reorder": true, "preferred_vendor_id": 0 }),
    )
    .unwrap();
    assert_eq!(
        (
            &v["reorder_point"],
            &v["reorder_quantity"],
            &v["preferred_vendor_id"]
        ),
        (&Value::Null, &Value::Null, &Value::Null)
    );
}

#[test]
fn migration_0020_asks_expiry_of_products_that_already_have_dated_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let at = MIGRATIONS
        .iter()
        .position(|m| m.name.starts_with("0020_"))
        .unwrap();
    drop(Db::open_with_migrations(&path, OpenOptions::default(), &MIGRATIONS[..at]).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "INSERT INTO products (id, sku, name, unit, tax_class, price_minor, created_at_ms, updated_at_ms)
              VALUES (1, 'YOG', 'Yoghurt', 'each', 'standard', 99, 1, 1),
                     (2, 'TIN', 'Tinned beans', 'each', 'standard', 89, 1, 1);
         INSERT INTO batches (product_id, lot_code, expires_on, unit_cost_minor, received_quantity, received_at_ms)
              VALUES (1, 'L1', '2027-01-31', 40, 5, 1), (2, 'L2', NULL, 30, 5, 1);",
    )
    .unwrap();
    drop(c);
    let db = Db::open(&path, OpenOptions::default()).unwrap();
    let rows: Vec<(String, bool, Option<i64>)> = db
        .read(|c| {
            let mut st =
                c.prepare("SELECT sku, track_expiry, reorder_point FROM products ORDER BY id")?;
            let rows = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .unwrap();
    assert_eq!(
        rows,
        [
            ("YOG".to_string(), true, None),
            ("TIN".to_string(), false, None)
        ]
    );
}
