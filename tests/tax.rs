//! Setup by country, the shop's details, and tax as dated data (issue 13):
//! rates with effective instants, the dated "prices include tax" switch, the
//! tax summaries, and every refusal in plain words naming its field.

use crate::support::checks::{expect_code, expect_validation, verify_is_clean};
use crate::support::faults::sweep_faults;
use crate::support::fixtures::{ensure_drawer, product, receive, submit};
use crate::support::{key, Shop, OWNER, OWNER_PASSWORD, START_MS};
use serde_json::{json, Value};
use tillbook_core::Session;

const DAY_MS: i64 = 86_400_000;

fn set_up(country: &str) -> (Shop, Option<Session>) {
    let shop = Shop::empty();
    let mut anon = None;
    shop.call(
        &mut anon,
        "setup.create_owner",
        json!({
            "idempotency_key": key(), "shop_name": "Deli", "currency_code": "GBP",
            "username": OWNER, "display_name": "Olive", "password": OWNER_PASSWORD,
            "country_code": country, "address": "1 High St\nLondon", "tax_number": "GB1",
        }),
    )
    .unwrap();
    let mut s = shop.login(OWNER, OWNER_PASSWORD).unwrap();
    // The tests move the clock a day on; the idle lock is not their subject.
    // (The whole document: a partial one resets "prices include tax" to its default.)
    let mut v = shop.call(&mut s, "settings.get", json!({})).unwrap();
    v["settings"]["idle_lock_ms"] = json!(DAY_MS);
    shop.call(
        &mut s,
        "settings.update",
        json!({ "version": v["version"], "settings": v["settings"] }),
    )
    .unwrap();
    (shop, s)
}

fn sell(shop: &Shop, s: &mut Option<Session>, product_id: i64) -> Value {
    ensure_drawer(shop, s);
    submit(
        shop,
        s,
        "sales.checkout",
        json!({ "lines": [{ "product_id": product_id, "quantity": 1 }],
                "payments": [{ "tender": "cash", "amount_minor": 100_000 }] }),
    )
    .unwrap()
}

#[test]
fn setup_by_country_fills_currency_tax_rates_zone_and_locale() {
    let (shop, mut owner) = set_up("DE");
    let info = shop.call(&mut owner, "shop.info", json!({})).unwrap();
    assert_eq!(info["country_code"], "DE");
    assert_eq!(info["timezone"], "Europe/Berlin");
    assert_eq!(info["locale"], "de-DE");
    assert_eq!(info["address"], "1 High St\nLondon");
    assert_eq!(info["tax_number"], "GB1");
    let tax = shop.call(&mut owner, "tax.classes", json!({})).unwrap();
    assert_eq!(tax["prices_include_tax"], true);
    let standard = &tax["classes"][0];
    assert_eq!(
        (standard["name"].as_str(), standard["rate_bp"].as_i64()),
        (Some("Regelsatz"), Some(1900))
    );
    // The table is public: the form reads it before anyone is signed in.
    let mut anon = None;
    let list = shop.call(&mut anon, "setup.countries", json!({})).unwrap();
    assert!(list["countries"].as_array().unwrap().len() >= 11);
    // A shop set up without a country keeps the old defaults (existing tests).
    let (plain, mut o2) = Shop::with_owner();
    let info = plain.call(&mut o2, "shop.info", json!({})).unwrap();
    assert_eq!(
        (info["country_code"].as_str(), info["locale"].as_str()),
        (Some(""), Some(""))
    );
    let tax = plain.call(&mut o2, "tax.classes", json!({})).unwrap();
    assert_eq!(tax["prices_include_tax"], false);
    assert_eq!(tax["classes"][0]["rate_bp"], 2000);
}

#[test]
fn setup_refuses_an_unknown_country_and_a_rate_out_of_range() {
    let shop = Shop::empty();
    let mut anon = None;
    let base = json!({ "shop_name": "Deli", "currency_code": "GBP", "username": OWNER,
                       "display_name": "Olive", "password": OWNER_PASSWORD });
    let with = |extra: Value| {
        let mut a = base.clone();
        a["idempotency_key"] = json!(key());
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    };
    expect_validation(
        shop.call(
            &mut anon,
            "setup.create_owner",
            with(json!({"country_code": "XX"})),
        ),
        "country_code",
        "unknown country",
    );
    expect_validation(
        shop.call(
            &mut anon,
            "setup.create_owner",
            with(
                json!({"tax_rates": [{"code": "standard", "name": "Standard", "rate_bp": 10_001}]}),
            ),
        ),
        "tax_rates[0].rate_bp",
        "rate over 100 %",
    );
    expect_validation(
        shop.call(
            &mut anon,
            "setup.create_owner",
            with(json!({"timezone": "London"})),
        ),
        "timezone",
        "not a zone",
    );
    expect_validation(
        shop.call(
            &mut anon,
            "setup.create_owner",
            with(json!({"address": "1\n2\n3\n4\n5\n6\n7"})),
        ),
        "address",
        "7 lines",
    );
}

#[test]
fn a_sale_before_a_scheduled_rate_change_keeps_the_old_rate_and_one_after_uses_the_new() {
    let (shop, mut owner) = set_up("GB");
    let olives = product(&shop, &mut owner, "OLIVES", 490, "standard");
    receive(&shop, &mut owner, olives, 10, 200);
    let from = START_MS + DAY_MS / 2;
    shop.call(
        &mut owner,
        "tax.schedule_rate",
        json!({"code": "standard", "rate_bp": 2200, "effective_from_ms": from}),
    )
    .unwrap();
    let list = shop.call(&mut owner, "tax.classes", json!({})).unwrap();
    assert_eq!(list["classes"][0]["rate_bp"], 2000);
    assert_eq!(list["classes"][0]["rates"][1]["pending"], true);

    let before = sell(&shop, &mut owner, olives);
    assert_eq!(before["lines"][0]["tax_rate_bp"], 2000);
    // 4.90 including 20 % holds 0.82.
    assert_eq!(before["tax_summary"]["rows"][0]["tax_minor"], 82);
    assert_eq!(before["tax_summary"]["rows"][0]["name"], "Standard");

    shop.clock.set_ms(from);
    let after = sell(&shop, &mut owner, olives);
    assert_eq!(after["lines"][0]["tax_rate_bp"], 2200);
    // 4.90 including 22 % holds 0.88; the shelf price stays.
    assert_eq!(after["tax_minor"], 88);
    assert_eq!(after["total_minor"], 490);
    // The first sale, read again, keeps its 20 %.
    let again = shop
        .call(&mut owner, "sales.get", json!({"id": before["id"]}))
        .unwrap();
    assert_eq!(again["tax_summary"]["rows"][0]["rate_bp"], 2000);

    // The sales report's summary has both rates; a refund subtracts at the sale's rate.
    submit(&shop, &mut owner, "sales.refund", json!({
        "order_id": before["id"], "refund_to": "original", "reason": "bruised",
        "lines": [{"order_line_id": before["lines"][0]["id"], "quantity": 1, "stock": "restock"}] })).unwrap();
    let summary = shop
        .call(
            &mut owner,
            "reports.tax_summary",
            json!({"from_ms": START_MS, "to_ms": from + DAY_MS}),
        )
        .unwrap();
    let rows = summary["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{summary}");
    assert_eq!(
        (rows[0]["rate_bp"].as_i64(), rows[0]["tax_minor"].as_i64()),
        (Some(2200), Some(88))
    );
    assert_eq!(
        (rows[1]["rate_bp"].as_i64(), rows[1]["tax_minor"].as_i64()),
        (Some(2000), Some(0))
    );
    verify_is_clean(&shop.db);
}

#[test]
fn a_rate_change_is_never_in_the_past_never_twice_at_one_instant_and_always_in_range() {
    let (shop, mut owner) = set_up("GB");
    let at = START_MS + DAY_MS;
    expect_validation(
        shop.call(
            &mut owner,
            "tax.schedule_rate",
            json!({"code": "standard", "rate_bp": 2200, "effective_from_ms": START_MS - 1}),
        ),
        "effective_from_ms",
        "in the past",
    );
    shop.call(
        &mut owner,
        "tax.schedule_rate",
        json!({"code": "standard", "rate_bp": 2200, "effective_from_ms": at}),
    )
    .unwrap();
    expect_validation(
        shop.call(
            &mut owner,
            "tax.schedule_rate",
            json!({"code": "standard", "rate_bp": 2100, "effective_from_ms": at}),
        ),
        "effective_from_ms",
        "two rates at one instant",
    );
    expect_validation(
        shop.call(
            &mut owner,
            "tax.schedule_rate",
            json!({"code": "standard", "rate_bp": -1, "effective_from_ms": at + 1}),
        ),
        "rate_bp",
        "negative rate",
    );
    expect_validation(
        shop.call(
            &mut owner,
            "tax.schedule_rate",
            json!({"code": "nope", "rate_bp": 100, "effective_from_ms": at + 1}),
        ),
        "code",
        "unknown class",
    );
    expect_validation(
        shop.call(
            &mut owner,
            "tax.create_class",
            json!({"idempotency_key": key(), "name": "Luxury", "rate_bp": 10_001}),
        ),
        "rate_bp",
        "rate out of range",
    );
}

#[test]
fn a_product_in_an_unknown_class_is_refused_naming_the_field() {
    let (shop, mut owner) = set_up("GB");
    expect_validation(
        shop.call(
            &mut owner,
            "catalog.create_product",
            json!({"idempotency_key": key(), "sku": "X", "name": "X",
            "price_minor": 100, "tax_class": "luxury"}),
        ),
        "tax_class",
        "unknown tax class",
    );
    // Once the owner adds it, the product may use it.
    let c = shop
        .call(
            &mut owner,
            "tax.create_class",
            json!({"idempotency_key": key(), "name": "Luxury", "rate_bp": 2500}),
        )
        .unwrap();
    assert_eq!(c["code"], "luxury");
    shop.call(
        &mut owner,
        "catalog.create_product",
        json!({"idempotency_key": key(), "sku": "X", "name": "X",
        "price_minor": 100, "tax_class": "luxury"}),
    )
    .unwrap();
    let renamed = shop
        .call(
            &mut owner,
            "tax.rename_class",
            json!({"code": "luxury", "name": "Luxury goods", "version": 1}),
        )
        .unwrap();
    assert_eq!(renamed["name"], "Luxury goods");
}

#[test]
fn shop_update_is_the_owners_and_audited() {
    let (shop, mut owner) = set_up("GB");
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let args = json!({"version": 1, "name": "Deli", "address": "2 High St", "phone": "020 1", "tax_number": "GB2",
                      "timezone": "Europe/London", "locale": "en-GB"});
    expect_code(
        &shop.call(&mut cashier, "shop.update", args.clone()),
        "forbidden",
        "a cashier edits the shop",
    );
    let mut manager = shop.session_as(&mut owner, "manager");
    expect_code(
        &shop.call(&mut manager, "shop.update", args.clone()),
        "forbidden",
        "a manager edits the shop",
    );
    let after = shop.call(&mut owner, "shop.update", args.clone()).unwrap();
    assert_eq!(
        (after["address"].as_str(), after["version"].as_i64()),
        (Some("2 High St"), Some(2))
    );
    expect_code(
        &shop.call(&mut owner, "shop.update", args),
        "conflict",
        "a stale version",
    );
    // One row for the change, one for each refusal.
    assert_eq!(shop.audit_rows("shop.update").len(), 4);
}

#[test]
fn the_prices_include_tax_switch_is_dated_and_keeps_shelf_prices_or_the_net() {
    let (shop, mut owner) = set_up("US");
    let mug = product(&shop, &mut owner, "MUG", 1000, "standard");
    receive(&shop, &mut owner, mug, 10, 400);
    shop.call(
        &mut owner,
        "tax.schedule_rate",
        json!({"code": "standard", "rate_bp": 1000, "effective_from_ms": START_MS + 1}),
    )
    .unwrap();
    shop.clock.set_ms(START_MS + 1);
    // US: prices exclude tax. A switch from tomorrow, shelf prices kept.
    let from = START_MS + DAY_MS;
    shop.call(
        &mut owner,
        "tax.schedule_mode",
        json!({"prices_include_tax": true, "keep": "prices", "effective_from_ms": from}),
    )
    .unwrap();
    let before = sell(&shop, &mut owner, mug);
    assert_eq!(
        (
            before["prices_include_tax"].as_bool(),
            before["total_minor"].as_i64()
        ),
        (Some(false), Some(1100))
    );
    shop.clock.set_ms(from);
    let after = sell(&shop, &mut owner, mug);
    assert_eq!(
        (
            after["prices_include_tax"].as_bool(),
            after["total_minor"].as_i64()
        ),
        (Some(true), Some(1000))
    );
    // Back to excluding tax, keeping the net: 10.00 incl. 10 % is 9.09 net.
    expect_validation(
        shop.call(
            &mut owner,
            "tax.schedule_mode",
            json!({"prices_include_tax": false, "keep": "net", "effective_from_ms": from + DAY_MS}),
        ),
        "effective_from_ms",
        "net kept on a later day",
    );
    shop.clock.set_ms(from + 1);
    let r = shop
        .call(
            &mut owner,
            "tax.schedule_mode",
            json!({"prices_include_tax": false, "keep": "net"}),
        )
        .unwrap();
    assert_eq!(r["repriced_products"], 1);
    let p = shop
        .call(&mut owner, "catalog.get_product", json!({"id": mug}))
        .unwrap();
    assert_eq!(p["price_minor"], 909);
    expect_code(
        &shop.call(&mut owner, "tax.schedule_mode", json!({"prices_include_tax": false, "keep": "prices", "effective_from_ms": from + DAY_MS})),
        "conflict",
        "already excluding tax then",
    );
}

#[test]
fn t05_the_tax_and_shop_commands_are_atomic_under_injected_failure() {
    let (shop, mut owner) = set_up("GB");
    product(&shop, &mut owner, "OLIVES", 490, "standard");
    let s = sweep_faults(
        &shop,
        &mut owner,
        "shop.update",
        || json!({"version": 1, "name": "Deli", "address": "3 High St"}),
    );
    assert!(s.statements >= 1);
    let mut n = 0;
    let s = sweep_faults(&shop, &mut owner, "tax.create_class", || {
        n += 1;
        json!({"idempotency_key": key(), "name": format!("Class {n}"), "rate_bp": 1000})
    });
    assert!(s.statements >= 2);
    let mut at = START_MS + DAY_MS;
    let s = sweep_faults(&shop, &mut owner, "tax.schedule_rate", || {
        at += 1;
        json!({"code": "standard", "rate_bp": 2200, "effective_from_ms": at})
    });
    assert!(s.statements >= 1);
    let s = sweep_faults(
        &shop,
        &mut owner,
        "tax.rename_class",
        || json!({"code": "reduced", "name": "Lower", "version": 2}),
    );
    assert!(s.statements >= 1);
    let s = sweep_faults(
        &shop,
        &mut owner,
        "tax.schedule_mode",
        || json!({"prices_include_tax": false, "keep": "net"}),
    );
    assert!(s.statements >= 2, "{}", s.statements);
    verify_is_clean(&shop.db);
}
