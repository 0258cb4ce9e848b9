//! Items that aren't counted and items sold by weight (issue 12): untracked
//! products, units with precision (quantities in g / ml / cm, prices per kg),
//! scale barcodes, availability at add, and migration 0015's rescale of data
//! written before it. T30 (tracked stock never negative) is re-proved for a
//! weighed product.

use crate::support::checks::{
    balance, every_entry_balanced, expect_validation, ledger_balances, on_hand, scalar,
    verify_is_clean,
};
use crate::support::fixtures::{
    cash, checkout, hold, open_shift, receive, sale, vendor, void, Product, Refund,
};
use crate::support::{key, Shop};
use serde_json::{json, Value};
use tillbook_core::db::{Db, OpenOptions, MIGRATIONS};
use tillbook_core::{ledger, Dispatcher, Session};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// A flat white: made to order, never counted, 60 of ingredients per cup.
fn flat_white(shop: &Shop, s: &mut Option<Session>, standard_cost: Option<i64>) -> i64 {
    Product::new("FLATWHITE", 320)
        .name("Flat white")
        .with("track_stock", json!(false))
        .with("standard_cost_minor", json!(standard_cost))
        .create(shop, s)
}

/// Cheddar at 14.00 per kg, PLU 12, zero-rated so totals are the gross.
fn cheddar(shop: &Shop, s: &mut Option<Session>) -> i64 {
    Product::new("CHEDDAR", 1400)
        .name("Cheddar")
        .tax("zero")
        .with("unit", json!("kg"))
        .with("plu", json!("12"))
        .create(shop, s)
}

fn quote(shop: &Shop, s: &mut Option<Session>, lines: Value) -> Value {
    shop.call(s, "sales.quote", json!({ "lines": lines }))
        .unwrap()
}

fn set_scale_rules(shop: &Shop, s: &mut Option<Session>, rules: Value) {
    let v = shop.call(s, "settings.get", json!({})).unwrap();
    let mut settings = v["settings"].clone();
    settings["scale_barcodes"] = rules;
    shop.call(
        s,
        "settings.update",
        json!({ "version": v["version"], "settings": settings }),
    )
    .unwrap();
}

/// An EAN-13 of the 12 digits `body` with its check digit.
fn ean13(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn search(shop: &Shop, s: &mut Option<Session>, q: &str) -> Result<Value, tillbook_core::Error> {
    shop.call(s, "catalog.search", json!({ "query": q }))
}

// ---------------------------------------------------------------------------
// untracked items
// ---------------------------------------------------------------------------

#[test]
fn untracked_coffee_sells_with_no_stock_and_posts_its_standard_cost() {
    let (shop, mut owner) = Shop::with_owner();
    let coffee = flat_white(&shop, &mut owner, Some(60));
    let q = quote(
        &shop,
        &mut owner,
        json!([{ "product_id": coffee, "quantity": 2 }]),
    );
    assert_eq!(q["lines"][0]["track_stock"], json!(false));
    assert_eq!(q["lines"][0]["available_quantity"], Value::Null);
    assert!(
        q["lines"][0].get("standard_cost_minor").is_none(),
        "cost leaked to the till"
    );

    let total = q["total_minor"].as_i64().unwrap();
    let order = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": coffee, "quantity": 2 }]),
        json!([cash(total)]),
    );
    assert_eq!(order["cost_minor"], json!(120));
    assert_eq!(order["lines"][0]["batches"], json!([]));
    assert_eq!(order["lines"][0]["stock_tracked"], json!(false));
    let read = shop
        .call(&mut owner, "sales.get", json!({ "id": order["id"] }))
        .unwrap();
    assert_eq!(read["lines"][0]["stock_tracked"], json!(false));
    assert_eq!(shop.count("stock_movements"), 0);
    assert_eq!(shop.count("batches"), 0);
    assert_eq!(balance(&shop.db, ledger::codes::COST_OF_GOODS_SOLD), 120);
    every_entry_balanced(&shop.db);
    ledger_balances(&shop.db);
    verify_is_clean(&shop.db);
}

#[test]
fn untracked_item_without_standard_cost_posts_no_cogs() {
    let (shop, mut owner) = Shop::with_owner();
    let coffee = flat_white(&shop, &mut owner, None);
    let order = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": coffee, "quantity": 1 }]),
        json!([cash(1000)]),
    );
    assert_eq!(order["cost_minor"], json!(0));
    assert_eq!(balance(&shop.db, ledger::codes::COST_OF_GOODS_SOLD), 0);
    verify_is_clean(&shop.db);
}

#[test]
fn untracked_lines_are_parked_without_reservations_and_refunded_without_stock() {
    let (shop, mut owner) = Shop::with_owner();
    let coffee = flat_white(&shop, &mut owner, Some(60));
    let (hold_id, _) = hold(
        &shop,
        &mut owner,
        json!([{ "product_id": coffee, "quantity": 3 }]),
    );
    assert_eq!(shop.count("stock_reservations"), 0);
    let recalled = shop
        .call(&mut owner, "sales.recall", json!({ "id": hold_id }))
        .unwrap();
    assert_eq!(recalled["reservations_live"], json!(true), "{recalled}");

    let order = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": coffee, "quantity": 2 }]),
        json!([cash(2000)]),
    );
    let line = &order["lines"][0]["id"];
    // "damage" means nothing for a coffee: nothing was taken from stock.
    let refund = Refund::of(&order["id"], "spilt")
        .line(line, 1, "damage")
        .submit(&shop, &mut owner)
        .unwrap();
    assert_eq!(refund["restocked_cost_minor"], json!(0));
    assert_eq!(shop.count("stock_movements"), 0);
    verify_is_clean(&shop.db);
}

#[test]
fn untracked_products_are_neither_received_nor_counted() {
    let (shop, mut owner) = Shop::with_owner();
    let coffee = flat_white(&shop, &mut owner, None);
    let r = shop.call(
        &mut owner,
        "stock.receive",
        json!({ "idempotency_key": key(), "product_id": coffee, "lot_code": "L1",
                "unit_cost_minor": 10, "quantity": 5 }),
    );
    expect_validation(r, "product_id", "receiving an untracked product");

    // Tracked while it had stock, then emptied and switched off: a count of it is refused.
    let beans = Product::new("BEANS", 900)
        .with("barcode", json!("BEANS-1"))
        .create(&shop, &mut owner);
    let batch = receive(&shop, &mut owner, beans, 1, 400);
    shop.call(
        &mut owner,
        "stock.adjust",
        json!({ "idempotency_key": key(), "batch_id": batch, "kind": "write_off",
                "quantity": 1, "reason": "used up" }),
    )
    .unwrap();
    let p = shop
        .call(&mut owner, "catalog.get_product", json!({ "id": beans }))
        .unwrap();
    shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": beans, "version": p["version"], "track_stock": false }),
    )
    .unwrap();
    let count = shop
        .call(
            &mut owner,
            "stock.count_open",
            json!({ "idempotency_key": key() }),
        )
        .unwrap();
    let r = shop.call(
        &mut owner,
        "stock.count_record",
        json!({ "count_id": count["id"], "barcode": "BEANS-1", "counted": 3 }),
    );
    let e = r.unwrap_err();
    assert!(e.to_string().contains("does not track stock"), "{e}");
    let r = shop.call(
        &mut owner,
        "stock.count_record",
        json!({ "count_id": count["id"], "batch_id": batch, "counted": 3 }),
    );
    assert!(r.unwrap_err().to_string().contains("does not track stock"));
}

#[test]
fn stock_tracking_is_not_switched_off_while_stock_is_on_hand() {
    let (shop, mut owner) = Shop::with_owner();
    let beans = Product::new("BEANS", 900).create(&shop, &mut owner);
    receive(&shop, &mut owner, beans, 4, 400);
    let r = shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": beans, "version": 1, "track_stock": false }),
    );
    expect_validation(r, "track_stock", "untracking a product with stock");
}

// ---------------------------------------------------------------------------
// units with precision
// ---------------------------------------------------------------------------

#[test]
fn t30_cheese_by_weight_0_350_kg_at_14_per_kg_is_4_90_and_costs_scaled() {
    let (shop, mut owner) = Shop::with_owner();
    let cheese = cheddar(&shop, &mut owner);
    // 2.000 kg at 9.00 per kg.
    let batch = receive(&shop, &mut owner, cheese, 2000, 900);
    let q = quote(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": 350 }]),
    );
    let line = &q["lines"][0];
    assert_eq!(line["quantity_decimals"], json!(3));
    assert_eq!(line["unit"], json!("kg"));
    assert_eq!(line["unit_price_minor"], json!(1400));
    assert_eq!(line["gross_minor"], json!(490));
    assert_eq!(line["available_quantity"], json!(2000));
    assert_eq!(q["total_minor"], json!(490));

    let order = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": 350 }]),
        json!([cash(500)]),
    );
    assert_eq!(order["total_minor"], json!(490));
    // 9.00/kg × 0.350 kg = 3.15.
    assert_eq!(order["cost_minor"], json!(315));
    assert_eq!(order["lines"][0]["quantity_decimals"], json!(3));
    assert_eq!(on_hand(&shop.db, batch), 1650);

    // 0.333 kg: 14 × 0.333 = 4.662 → 4.66; cost 9 × 0.333 = 2.997 → 3.00, each rounded once.
    let order = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": 333 }]),
        json!([cash(500)]),
    );
    assert_eq!(order["total_minor"], json!(466));
    assert_eq!(order["cost_minor"], json!(300));

    // Never below zero (T30): 1.317 kg left, 1.318 is refused and names the cheese.
    let r = checkout(
        &shop,
        &mut owner,
        json!({ "lines": [{ "product_id": cheese, "quantity": 1318 }],
                "payments": [cash(10_000)] }),
    );
    let e = r.unwrap_err();
    assert_eq!(e.code().as_str(), "insufficient_stock");
    assert!(
        e.to_string().contains("Only 1.317 kg of Cheddar left"),
        "{e}"
    );
    assert_eq!(on_hand(&shop.db, batch), 1317);

    // A refund of 0.100 kg goes back in grams at the scaled cost (0.90).
    let refund = Refund::of(&order["id"], "too much")
        .line(&order["lines"][0]["id"], 100, "restock")
        .submit(&shop, &mut owner)
        .unwrap();
    assert_eq!(refund["restocked_cost_minor"], json!(90));
    assert_eq!(on_hand(&shop.db, batch), 1417);

    let valuation = shop
        .call(&mut owner, "reports.stock_valuation", json!({}))
        .unwrap();
    // 1.417 kg × 9.00 = 12.753 → 12.75.
    assert_eq!(valuation["rows"][0]["value_minor"], json!(1275));
    assert_eq!(valuation["total_value_minor"], json!(1275));
    every_entry_balanced(&shop.db);
    verify_is_clean(&shop.db);
}

#[test]
fn a_void_returns_the_weighed_grams_and_nothing_for_the_untracked_line() {
    let (shop, mut owner) = Shop::with_owner();
    open_shift(&shop, &mut owner, 5000).unwrap();
    let cheese = cheddar(&shop, &mut owner);
    let coffee = flat_white(&shop, &mut owner, Some(60));
    let batch = receive(&shop, &mut owner, cheese, 1000, 900);
    let order = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": 250 }, { "product_id": coffee, "quantity": 1 }]),
        json!([cash(10_000)]),
    );
    // 9.00 × 0.250 = 2.25, plus the coffee's 0.60.
    assert_eq!(order["cost_minor"], json!(285));
    assert_eq!(on_hand(&shop.db, batch), 750);
    void(&shop, &mut owner, &order["id"], "rang up wrong").unwrap();
    assert_eq!(on_hand(&shop.db, batch), 1000);
    assert_eq!(balance(&shop.db, ledger::codes::COST_OF_GOODS_SOLD), 0);
    every_entry_balanced(&shop.db);
    verify_is_clean(&shop.db);
}

#[test]
fn shortfall_at_pay_names_the_product_and_how_many_are_left() {
    let (shop, mut owner) = Shop::with_owner();
    let soap = Product::new("SOAP", 250)
        .name("Soap")
        .create(&shop, &mut owner);
    receive(&shop, &mut owner, soap, 2, 100);
    // The till is told how many are free when the line is added.
    let q = quote(
        &shop,
        &mut owner,
        json!([{ "product_id": soap, "quantity": 1 }]),
    );
    assert_eq!(q["lines"][0]["available_quantity"], json!(2));
    // Another till sells one meanwhile.
    sale(
        &shop,
        &mut owner,
        json!([{ "product_id": soap, "quantity": 1 }]),
        json!([cash(300)]),
    );
    let e = checkout(
        &shop,
        &mut owner,
        json!({ "lines": [{ "product_id": soap, "quantity": 2 }], "payments": [cash(600)] }),
    )
    .unwrap_err();
    assert_eq!(e.code().as_str(), "insufficient_stock");
    assert!(e.to_string().contains("Only 1 × Soap left"), "{e}");
}

#[test]
fn a_weighed_purchase_receipt_totals_the_scaled_cost() {
    let (shop, mut owner) = Shop::with_owner();
    let cheese = cheddar(&shop, &mut owner);
    let v = vendor(&shop, &mut owner, "Dairy Co");
    let r = shop
        .call(
            &mut owner,
            "purchasing.receive",
            json!({ "idempotency_key": key(), "vendor_id": v, "lines": [
                { "product_id": cheese, "lot_code": "CH-1", "unit_cost_minor": 905, "quantity": 1555 }
            ]}),
        )
        .unwrap();
    // 9.05 × 1.555 = 14.07275 → 14.07.
    assert_eq!(r["total_minor"], json!(1407));
    assert_eq!(balance(&shop.db, ledger::codes::INVENTORY), 1407);
    verify_is_clean(&shop.db);
}

#[test]
fn a_quantity_break_on_a_weighed_product_counts_grams() {
    let (shop, mut owner) = Shop::with_owner();
    let cheese = cheddar(&shop, &mut owner);
    receive(&shop, &mut owner, cheese, 5000, 900);
    shop.call(
        &mut owner,
        "catalog.create_price_rule",
        json!({ "idempotency_key": key(), "rule": { "kind": "quantity_break", "product_id": cheese,
                "min_quantity": 1000, "unit_price_minor": 1200 } }),
    )
    .unwrap();
    let q = quote(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": 999 }]),
    );
    assert_eq!(q["lines"][0]["unit_price_minor"], json!(1400));
    let q = quote(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": 1250 }]),
    );
    assert_eq!(q["lines"][0]["unit_price_minor"], json!(1200));
    assert_eq!(q["lines"][0]["gross_minor"], json!(1500));
}

#[test]
fn a_quantity_with_decimals_is_refused_naming_the_field() {
    let (shop, mut owner) = Shop::with_owner();
    let cheese = cheddar(&shop, &mut owner);
    // Quantities are integers in the smallest unit (350 g), never 0.35.
    let r = shop.call(
        &mut owner,
        "sales.quote",
        json!({ "lines": [{ "product_id": cheese, "quantity": 0.35 }] }),
    );
    let e = r.unwrap_err();
    assert_eq!(e.code().as_str(), "validation", "{e}");
}

#[test]
fn a_unit_of_another_precision_is_refused_once_the_product_has_stock() {
    let (shop, mut owner) = Shop::with_owner();
    let cheese = cheddar(&shop, &mut owner);
    receive(&shop, &mut owner, cheese, 500, 900);
    let r = shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": cheese, "version": 1, "unit": "each" }),
    );
    expect_validation(r, "unit", "kg → each with stock");
    // kg → l keeps the precision, so it is allowed.
    shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": cheese, "version": 1, "unit": "l" }),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// scale barcodes
// ---------------------------------------------------------------------------

#[test]
fn scale_barcodes_give_the_weight_or_the_printed_price() {
    let (shop, mut owner) = Shop::with_owner();
    let cheese = cheddar(&shop, &mut owner);
    set_scale_rules(
        &shop,
        &mut owner,
        json!([
            { "prefix_from": "21", "prefix_to": "21", "embeds": "weight", "plu_digits": 5 },
            { "prefix_from": "22", "prefix_to": "29", "embeds": "price", "plu_digits": 5 },
        ]),
    );
    // 21 | 00012 | 00350 | C → 0.350 kg of cheddar.
    let code = ean13("210001200350");
    let page = search(&shop, &mut owner, &code).unwrap();
    let hit = &page["items"][0];
    assert_eq!(hit["match"], json!("scale_code"));
    assert_eq!(hit["product"]["id"], json!(cheese));
    assert_eq!(hit["scale"]["quantity"], json!(350));
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // 22 | 00012 | 00490 | C → a line that comes to exactly 4.90.
    let code = ean13("220001200490");
    let page = search(&shop, &mut owner, &code).unwrap();
    let hit = &page["items"][0];
    assert_eq!(hit["scale"]["printed_price_minor"], json!(490));
    let q = quote(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": hit["scale"]["quantity"] }]),
    );
    assert_eq!(q["total_minor"], json!(490));

    // 0.02 at 14.00/kg: 1 g comes to 0.01, 2 g to 0.03 — no weight gives it, so it is refused.
    let e = search(&shop, &mut owner, &ean13("220001200002")).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
}

#[test]
fn scale_barcodes_refuse_a_bad_check_digit_an_unknown_plu_and_a_piece_product() {
    let (shop, mut owner) = Shop::with_owner();
    cheddar(&shop, &mut owner);
    Product::new("BUN", 80)
        .with("plu", json!("77"))
        .create(&shop, &mut owner);
    set_scale_rules(
        &shop,
        &mut owner,
        json!([{ "prefix_from": "2", "prefix_to": "2", "embeds": "weight", "plu_digits": 5 }]),
    );
    let good = ean13("200012000350");
    let last = good.as_bytes()[12] - b'0';
    let bad = format!("{}{}", &good[..12], (last + 1) % 10);
    let e = search(&shop, &mut owner, &bad).unwrap_err();
    assert!(e.to_string().contains("check digit is wrong"), "{e}");

    let e = search(&shop, &mut owner, &ean13("200099000350")).unwrap_err();
    assert!(e.to_string().contains("no product has PLU 99"), "{e}");

    let e = search(&shop, &mut owner, &ean13("200077000350")).unwrap_err();
    assert!(e.to_string().contains("not weighed"), "{e}");

    // A product's own barcode in the range is that product, not a scale code.
    let own = ean13("200012000999");
    Product::new("PRE", 500)
        .with("barcode", json!(own))
        .create(&shop, &mut owner);
    let page = search(&shop, &mut owner, &own).unwrap();
    assert_eq!(page["items"][0]["match"], json!("barcode"));

    // Settings refuse a layout that leaves too few digits for the value.
    let v = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    let mut settings = v["settings"].clone();
    settings["scale_barcodes"] =
        json!([{ "prefix_from": "20", "prefix_to": "29", "embeds": "weight", "plu_digits": 7 }]);
    let r = shop.call(
        &mut owner,
        "settings.update",
        json!({ "version": v["version"], "settings": settings }),
    );
    assert!(r.is_err());
}

#[test]
fn a_plu_is_unique_and_digits_only() {
    let (shop, mut owner) = Shop::with_owner();
    cheddar(&shop, &mut owner);
    let r = shop.call(
        &mut owner,
        "catalog.create_product",
        json!({ "idempotency_key": key(), "sku": "BRIE", "name": "Brie", "price_minor": 1800,
                "unit": "kg", "plu": "12" }),
    );
    assert_eq!(r.unwrap_err().code().as_str(), "duplicate");
    let r = shop.call(
        &mut owner,
        "catalog.create_product",
        json!({ "idempotency_key": key(), "sku": "BRIE", "name": "Brie", "price_minor": 1800,
                "plu": "12a" }),
    );
    expect_validation(r, "plu", "a PLU with a letter");
}

// ---------------------------------------------------------------------------
// migration 0015
// ---------------------------------------------------------------------------

/// A shop file at schema 0014 with a kg product (3 kg received at 9.00, 1 kg
/// parked, a break from 2 kg, 1 kg sold at 14.00 for cash with its COGS) and
/// an `each` product; opened with 0015, every kg quantity is in grams, the
/// `each` one is unchanged, the books still reconcile, and the new code sells
/// 0.500 kg of what is left.
#[test]
fn migration_0015_rescales_weighed_quantities_and_the_books_still_reconcile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let at_0015 = MIGRATIONS
        .iter()
        .position(|m| m.name.starts_with("0015_"))
        .unwrap();
    let previous = &MIGRATIONS[..at_0015];
    // The shop and its owner as 0014 held them, written directly: today's
    // commands write columns the old schema does not have yet. The owner's
    // password hash is made by today's setup on a scratch file.
    let password_hash: String = {
        let scratch = dir.path().join("scratch.db");
        let db = Db::open(&scratch, OpenOptions::default()).unwrap();
        let clock = tillbook_core::clock::ManualClock::new(crate::support::START_MS);
        let d = Dispatcher::new(db.clone(), std::sync::Arc::new(clock));
        d.dispatch(
            &mut None,
            "setup.create_owner",
            json!({ "idempotency_key": key(), "shop_name": "Old Shop", "currency_code": "EUR",
                    "username": "owner", "display_name": "Olive", "password": "owner-password-1" }),
        )
        .unwrap();
        db.read(|c| {
            Ok(
                c.query_row("SELECT password_hash FROM users WHERE id = 1", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap()
    };
    drop(Db::open_with_migrations(&path, OpenOptions::default(), previous).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute(
        "INSERT INTO shop (id, name, currency_code, currency_scale, host_id, created_at_ms)
             VALUES (1, 'Old Shop', 'EUR', 2, '0123456789abcdef0123456789abcdef', 1)",
        [],
    )
    .unwrap();
    c.execute(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at_ms, updated_at_ms)
             VALUES (1, 'owner', 'Olive', 'owner', ?1, 1, 1)",
        [&password_hash],
    )
    .unwrap();
    drop(c);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "BEGIN;
         INSERT INTO products (id, sku, name, unit, tax_class, price_minor, created_at_ms, updated_at_ms)
             VALUES (1, 'CHEDDAR', 'Cheddar', 'kg', 'zero', 1400, 1, 1),
                    (2, 'SOAP', 'Soap', 'each', 'standard', 250, 1, 1);
         INSERT INTO batches (id, product_id, lot_code, unit_cost_minor, received_quantity, received_at_ms)
             VALUES (1, 1, 'CH-1', 900, 3, 1), (2, 2, 'SO-1', 100, 5, 1);
         INSERT INTO stock_movements (batch_id, kind, quantity, reason, at_ms)
             VALUES (1, 'receive', 3, 'received', 1), (2, 'receive', 5, 'received', 1);
         INSERT INTO stock_reservations (batch_id, quantity, holder, created_at_ms, expires_at_ms)
             VALUES (1, 1, 'hold 1', 1, 9999999999999);
         INSERT INTO price_rules (kind, product_id, min_quantity, unit_price_minor, created_at_ms, updated_at_ms)
             VALUES ('quantity_break', 1, 2, 1300, 1, 1);
         INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES
             (1, (SELECT id FROM accounts WHERE code = '1000'), 1400, 0),
             (1, (SELECT id FROM accounts WHERE code = '4000'), 0, 1400),
             (1, (SELECT id FROM accounts WHERE code = '5000'), 900, 0),
             (1, (SELECT id FROM accounts WHERE code = '1200'), 0, 900);
         INSERT INTO journal_entries (id, posted_at_ms, memo, source_type, source_id, user_id, total_minor)
             VALUES (1, 2, 'Sale, order 1', 'order', 1, 1, 2300);
         INSERT INTO orders (id, number, receipt_number, status, cashier_id, prices_include_tax,
                             line_count, discount_minor, net_minor, tax_minor, total_minor, cost_minor,
                             change_minor, entry_id, created_at_ms)
             VALUES (1, 1, 1, 'confirmed', 1, 0, 1, 0, 1400, 0, 1400, 900, 0, 1, 2);
         INSERT INTO payments (order_id, tender, amount_minor, tendered_minor, change_minor, created_at_ms)
             VALUES (1, 'cash', 1400, 1400, 0, 2);
         INSERT INTO stock_movements (id, batch_id, kind, quantity, reason, source_type, source_id, at_ms)
             VALUES (10, 1, 'sale', -1, 'sale, order 1', 'order', '1', 2);
         INSERT INTO order_lines (id, order_id, line_no, product_id, quantity, list_price_minor,
                                  unit_price_minor, gross_minor, discount_minor, tax_rate_bp,
                                  net_minor, tax_minor, total_minor, cost_minor)
             VALUES (1, 1, 1, 1, 1, 1400, 1400, 1400, 0, 0, 1400, 0, 1400, 900);
         INSERT INTO order_line_batches (line_id, batch_id, movement_id, quantity, unit_cost_minor)
             VALUES (1, 1, 10, 1, 900);
         INSERT INTO counters (name, value) VALUES ('orders', 1), ('receipts', 1), ('journal_entries', 1)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value;
         COMMIT;",
    )
    .unwrap();
    drop(c);

    let db = Db::open(&path, OpenOptions::default()).unwrap();
    let q = |sql: &str| scalar(&db, sql);
    assert_eq!(
        q("SELECT received_quantity FROM batches WHERE id = 1"),
        3000
    );
    assert_eq!(q("SELECT on_hand FROM batches WHERE id = 1"), 2000);
    assert_eq!(q("SELECT reserved FROM batches WHERE id = 1"), 1000);
    assert_eq!(
        q("SELECT sum(quantity) FROM stock_movements WHERE batch_id = 1"),
        2000
    );
    assert_eq!(q("SELECT quantity FROM stock_reservations"), 1000);
    assert_eq!(q("SELECT min_quantity FROM price_rules"), 2000);
    assert_eq!(q("SELECT version FROM price_rules"), 2);
    assert_eq!(q("SELECT quantity FROM order_lines WHERE id = 1"), 1000);
    assert_eq!(
        q("SELECT quantity_decimals FROM order_lines WHERE id = 1"),
        3
    );
    assert_eq!(q("SELECT quantity FROM order_line_batches"), 1000);
    // The each product is as it was.
    assert_eq!(q("SELECT on_hand FROM batches WHERE id = 2"), 5);
    assert_eq!(q("SELECT track_stock FROM products WHERE id = 2"), 1);
    // The protections are back: a movement is still append-only, a batch's receipt fixed.
    let c = rusqlite::Connection::open(&path).unwrap();
    assert!(c
        .execute("UPDATE stock_movements SET quantity = 1 WHERE id = 10", [])
        .is_err());
    assert!(c
        .execute("UPDATE batches SET received_quantity = 1 WHERE id = 1", [])
        .is_err());
    assert!(c
        .execute("UPDATE order_lines SET quantity = 1 WHERE id = 1", [])
        .is_err());
    drop(c);
    verify_is_clean(&db);
    every_entry_balanced(&db);

    // The new code on the old file: 0.500 kg of the 1.000 kg free (1 kg is still parked).
    let clock = tillbook_core::clock::ManualClock::new(crate::support::START_MS);
    let d = Dispatcher::new(db.clone(), std::sync::Arc::new(clock));
    let mut owner = None;
    d.dispatch(
        &mut owner,
        "auth.login",
        json!({ "username": "owner", "password": "owner-password-1" }),
    )
    .unwrap();
    // Cash needs an open drawer.
    d.dispatch(
        &mut owner,
        "shifts.open",
        json!({ "idempotency_key": key(), "opening_float_minor": 0 }),
    )
    .unwrap();
    let order = d
        .dispatch(
            &mut owner,
            "sales.checkout",
            json!({ "idempotency_key": key(), "lines": [{ "product_id": 1, "quantity": 500 }],
                    "payments": [cash(700)] }),
        )
        .unwrap();
    assert_eq!(order["total_minor"], json!(700));
    assert_eq!(order["cost_minor"], json!(450));
    assert_eq!(q("SELECT on_hand FROM batches WHERE id = 1"), 1500);
    verify_is_clean(&db);
}

#[test]
fn reports_show_weighed_quantities_in_their_unit_and_count_items_elsewhere() {
    let (shop, mut owner) = Shop::with_owner();
    let cheese = cheddar(&shop, &mut owner);
    let bread = Product::new("BREAD", 250)
        .name("Bread")
        .tax("zero")
        .create(&shop, &mut owner);
    receive(&shop, &mut owner, cheese, 2000, 900);
    receive(&shop, &mut owner, bread, 10, 100);
    sale(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": 350 }, { "product_id": bread, "quantity": 2 }]),
        json!([cash(990)]),
    );
    sale(
        &shop,
        &mut owner,
        json!([{ "product_id": cheese, "quantity": 900 }]),
        json!([cash(1260)]),
    );
    let range = |group_by: &str| {
        json!({ "from_ms": crate::support::START_MS - 86_400_000, "to_ms": crate::support::START_MS + 86_400_000,
                "group_by": group_by, "tz_offset_minutes": 0 })
    };
    let by_product = shop
        .call(&mut owner, "reports.sales", range("product"))
        .unwrap();
    let row = |id: i64| {
        by_product["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    // 0.350 + 0.900 = 1.250 kg of cheese, in grams with its unit; 2 loaves.
    let c = row(cheese);
    assert_eq!(
        (&c["units"], &c["unit"], &c["quantity_decimals"]),
        (&json!(1250), &json!("kg"), &json!(3))
    );
    let b = row(bread);
    assert_eq!((&b["units"], &b["unit"]), (&json!(2), &json!("each")));
    // By day and in the totals: items, each cheese line one item (2 + 1 + 1).
    let by_day = shop
        .call(&mut owner, "reports.sales", range("day"))
        .unwrap();
    assert_eq!(by_day["rows"][0]["units"], json!(4));
    assert_eq!(by_day["rows"][0]["unit"], Value::Null);
    assert_eq!(by_day["totals"]["units"], json!(4));
    // The export writes 0.350 kg, not 350.
    let mut out = Vec::new();
    shop.db
        .read(|c| {
            tillbook_core::reports::export_sales_csv(
                c,
                crate::support::START_MS - 86_400_000,
                crate::support::START_MS + 86_400_000,
                &mut out,
            )
        })
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let (q, u) = (
        header.iter().position(|h| *h == "quantity").unwrap(),
        header.iter().position(|h| *h == "unit").unwrap(),
    );
    let cells: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[q].to_string(), f[u].to_string())
        })
        .collect();
    assert_eq!(
        cells,
        [
            ("0.350".to_string(), "kg".to_string()),
            ("2".to_string(), "each".to_string()),
            ("0.900".to_string(), "kg".to_string())
        ]
    );
    // The valuation adds up loaves, not grams with loaves: 8 pieces of bread.
    let v = shop
        .call(&mut owner, "reports.stock_valuation", json!({}))
        .unwrap();
    assert_eq!(v["total_on_hand"], json!(8));
    assert_eq!(v["total_products"], json!(2));
}
