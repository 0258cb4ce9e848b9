//! Plain words from the core: each field error carries a kind a UI words in
//! its own language (T35), and `audit.list` joins the names a history reads by
//! — people, records, a sale's and refund's lines — and filters by a kind of
//! action (a set of commands), all in SQL (T27). Issue 13.

use crate::support::checks::expect_err;
use crate::support::fixtures::{cash, customer, product, receive, sale, Refund};
use crate::support::{key, Shop};
use serde_json::{json, Value};

fn details(shop: &Shop, s: &mut Option<tillbook_core::Session>, cmd: &str, args: Value) -> Value {
    expect_err(shop.call(s, cmd, args), cmd).to_json()["details"].clone()
}

#[test]
fn t35_a_field_error_says_its_kind_and_bounds() {
    let (shop, mut owner) = Shop::with_owner();
    let user = |username: &str, password: &str| {
        json!({ "idempotency_key": key(), "username": username, "display_name": "Ana",
                "role": "cashier", "password": password })
    };
    let d = details(&shop, &mut owner, "users.create", user("", "long-enough-1"));
    assert_eq!(
        d,
        json!({ "field": "username", "kind": "required", "max_chars": 64 })
    );
    let d = details(
        &shop,
        &mut owner,
        "users.create",
        user("ana owner", "long-enough-1"),
    );
    assert_eq!(d, json!({ "field": "username", "kind": "username_chars" }));
    let d = details(&shop, &mut owner, "users.create", user("ana", "short"));
    assert_eq!(
        d,
        json!({ "field": "password", "kind": "too_short", "min_chars": 8 })
    );
    let d = details(
        &shop,
        &mut owner,
        "users.create",
        user(" ana", "long-enough-1"),
    );
    assert_eq!(d["kind"], "edge_spaces", "{d}");

    // A setting out of its range names both bounds, in the wire's unit.
    let current = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    let mut settings = current["settings"].clone();
    settings["idle_lock_ms"] = json!(5);
    let d = details(
        &shop,
        &mut owner,
        "settings.update",
        json!({ "version": current["version"], "settings": settings }),
    );
    assert_eq!(d["field"], "idle_lock_ms", "{d}");
    assert_eq!(d["kind"], "out_of_range", "{d}");
    assert_eq!(d["min"], 30_000, "{d}");

    // A page size outside its bounds, from the shared check.
    let d = details(&shop, &mut owner, "audit.list", json!({ "limit": 0 }));
    assert_eq!(
        d,
        json!({ "field": "limit", "kind": "out_of_range", "min": 1, "max": 500 })
    );
}

#[test]
fn t27_audit_list_names_people_records_and_lines_and_filters_by_kind() {
    let (shop, mut owner) = Shop::with_owner();
    let oil = product(&shop, &mut owner, "OIL", 699, "zero");
    receive(&shop, &mut owner, oil, 5, 300);
    let ana = customer(&shop, &mut owner, "Ana Baker");
    let order = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": oil, "quantity": 2 }]),
        json!([cash(1398)]),
    );
    let line = &order["lines"][0]["id"];
    Refund::of(&order["id"], "leaking cap")
        .line(line, 1, "damage")
        .submit(&shop, &mut owner)
        .unwrap();

    let rows = shop
        .call(&mut owner, "audit.list", json!({ "limit": 50 }))
        .unwrap();
    let rows = rows.as_array().unwrap();
    let of = |cmd: &str| rows.iter().find(|r| r["command"] == cmd).unwrap().clone();

    let refund = of("sales.refund");
    assert_eq!(refund["user_display_name"], "Olive Owner", "{refund}");
    assert_eq!(
        refund["items"],
        json!([{ "name": "Product OIL", "quantity": 1, "quantity_decimals": 0, "unit": "each", "total_minor": 699 }]),
        "{refund}"
    );
    let sold = of("sales.checkout");
    assert_eq!(sold["items"][0]["quantity"], 2, "{sold}");
    assert_eq!(sold["items"][0]["total_minor"], 1398, "{sold}");
    assert_eq!(of("catalog.create_product")["record_name"], "Product OIL");
    assert_eq!(of("stock.receive")["record_name"], "Product OIL");
    let created = rows
        .iter()
        .find(|r| {
            r["command"] == "customers.create"
                && r["entity_id"].as_str().and_then(|id| id.parse().ok()) == Some(ana)
        })
        .unwrap();
    assert_eq!(created["record_name"], "Ana Baker", "{created}");
    assert_eq!(of("auth.login")["items"], json!([]));

    // A kind of action is a set of commands, filtered in SQL.
    let refunds = shop
        .call(
            &mut owner,
            "audit.list",
            json!({ "commands": ["sales.refund", "sales.void", "sales.refund_unreceipted"] }),
        )
        .unwrap();
    let commands: Vec<&str> = refunds
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["sales.refund"]);
    let d = details(&shop, &mut owner, "audit.list", json!({ "commands": [] }));
    assert_eq!(d["field"], "commands", "{d}");
}
