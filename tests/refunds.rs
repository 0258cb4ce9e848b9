//! Refunds (of confirmed sales): the rule tests for T05 T09
//! T30 T31 T35, the schema's own guards (append-only rows, no line refunded
//! beyond what was sold, whatever code writes the rows), and `verify` clean
//! after refunds.

use crate::support::checks::{
    code, every_entry_balanced, field_of, one_answer, scalar, verify_is_clean,
};
use crate::support::faults::{chain_is_intact, snapshot, sweep_faults};
use crate::support::fixtures::{
    cash, checkout, customer, id, receive, replayed_at_once, sale_at_quote, Product, Refund,
};
use crate::support::{key, Shop};
use serde_json::{json, Value};
use tillbook_core::db::Db;
use tillbook_core::{Error, Session};

/// One confirmed cash sale of `qty` units; returns (order id, order line id).
fn sold_for_cash(shop: &Shop, s: &mut Option<Session>, qty: i64) -> (i64, i64) {
    let product = Product::new(&format!("R-{}", key()), 200)
        .name("Refundable")
        .tax("standard")
        .create(shop, s);
    receive(shop, s, product, 50, 80);
    let lines = json!([{ "product_id": product, "quantity": qty }]);
    let order_id = id(&sale_at_quote(shop, s, json!({ "lines": lines })));
    let line_id = scalar(
        &shop.db,
        &format!("SELECT id FROM order_lines WHERE order_id = {order_id}"),
    );
    (order_id, line_id)
}

/// Writes one refund of `qty` units of `line_id` (raw rows, as a command would).
fn raw_refund(db: &Db, order_id: i64, line_id: i64, qty: i64) -> tillbook_core::Result<()> {
    db.write(|tx| {
        tx.execute(
            "INSERT INTO refunds (number, order_id, refund_to, reason, line_count, net_minor,
                                  tax_minor, total_minor, restocked_cost_minor, created_by,
                                  created_at_ms)
             VALUES ((SELECT coalesce(max(number), 0) + 1 FROM refunds), ?1, 'original',
                     'customer changed their mind', 1, 0, 0, 0, 0,
                     (SELECT min(id) FROM users), 0)",
            [order_id],
        )?;
        tx.execute(
            "INSERT INTO refund_lines (refund_id, order_line_id, quantity, stock, net_minor,
                                       tax_minor, total_minor, cost_minor)
             VALUES ((SELECT max(id) FROM refunds), ?1, ?2, 'restock', 0, 0, 0, 0)",
            [line_id, qty],
        )?;
        Ok(())
    })
}

fn order_fingerprint(db: &Db, order_id: i64) -> String {
    db.read(|c| {
        Ok(c.query_row(
            "SELECT o.total_minor || '/' || o.entry_id || '/' ||
                    (SELECT group_concat(quantity) FROM order_lines WHERE order_id = o.id) || '/' ||
                    (SELECT group_concat(amount_minor) FROM payments WHERE order_id = o.id) || '/' ||
                    (SELECT sum(debit_minor) FROM journal_lines WHERE entry_id = o.entry_id)
             FROM orders o WHERE o.id = ?1",
            [order_id],
            |r| r.get(0),
        )?)
    })
    .unwrap()
}

#[test]
fn t31_refund_rows_are_append_only_in_the_schema() {
    let (shop, mut owner) = Shop::with_owner();
    let (order_id, line_id) = sold_for_cash(&shop, &mut owner, 3);
    let before = order_fingerprint(&shop.db, order_id);

    raw_refund(&shop.db, order_id, line_id, 1).unwrap();
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM refunds"), 1);
    assert_eq!(order_fingerprint(&shop.db, order_id), before);

    for sql in [
        "UPDATE refunds SET reason = 'other'",
        "DELETE FROM refunds",
        "UPDATE refund_lines SET quantity = 2",
        "DELETE FROM refund_lines",
    ] {
        let r = shop.db.write(|tx| {
            tx.execute(sql, [])?;
            Ok(())
        });
        assert!(r.is_err(), "{sql} must be refused");
    }
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM refund_lines"), 1);
    assert_eq!(order_fingerprint(&shop.db, order_id), before);
}

#[test]
fn t35_the_schema_refuses_a_line_refunded_beyond_its_quantity() {
    let (shop, mut owner) = Shop::with_owner();
    let (order_id, line_id) = sold_for_cash(&shop, &mut owner, 3);

    raw_refund(&shop.db, order_id, line_id, 2).unwrap();
    let over = raw_refund(&shop.db, order_id, line_id, 2);
    assert!(over.is_err(), "4 of 3 units refunded");
    // The failed refund wrote nothing: neither its header nor its line.
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM refunds"), 1);
    assert_eq!(
        scalar(&shop.db, "SELECT sum(quantity) FROM refund_lines"),
        2
    );
    raw_refund(&shop.db, order_id, line_id, 1).unwrap();
    assert_eq!(
        scalar(&shop.db, "SELECT sum(quantity) FROM refund_lines"),
        3
    );
    assert!(raw_refund(&shop.db, order_id, line_id, 1).is_err());

    // Zero units, and store credit with no customer, are refused by CHECKs.
    assert!(raw_refund(&shop.db, order_id, line_id, 0).is_err());
    let no_customer = shop.db.write(|tx| {
        tx.execute(
            "INSERT INTO refunds (number, order_id, refund_to, reason, line_count, net_minor,
                                  tax_minor, total_minor, restocked_cost_minor, created_by,
                                  created_at_ms)
             VALUES (99, ?1, 'store_credit', 'x', 1, 0, 0, 0, 0, (SELECT min(id) FROM users), 0)",
            [order_id],
        )?;
        Ok(())
    });
    assert!(no_customer.is_err());
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM refunds"), 2);
}

// ---------------------------------------------------------------------------
// sales.refund
// ---------------------------------------------------------------------------

struct Sold {
    order_id: i64,
    line_id: i64,
    customer_id: Option<i64>,
    total: i64,
}

/// A sale of `qty` units (200 each, standard tax) taken from two batches (costs
/// 80 then 90), paid by card and cash; with a customer when `with_customer`.
fn split_sale(shop: &Shop, s: &mut Option<Session>, qty: i64, with_customer: bool) -> Sold {
    let product = Product::new(&format!("S-{}", key()), 200)
        .name("Split")
        .tax("standard")
        .create(shop, s);
    for (n, cost) in [(2, 80), (50, 90)] {
        receive(shop, s, product, n, cost);
    }
    let customer_id = with_customer.then(|| customer(shop, s, &format!("Refund Rita {}", key())));
    let lines = json!([{ "product_id": product, "quantity": qty }]);
    let q = shop
        .call(
            s,
            "sales.quote",
            json!({ "customer_id": customer_id, "lines": lines }),
        )
        .unwrap();
    let total = q["total_minor"].as_i64().unwrap();
    let card = json!({ "tender": "card", "amount_minor": total / 3, "reference": "TRM-9" });
    let order = checkout(
        shop,
        s,
        json!({ "customer_id": customer_id, "lines": lines, "payments": [card, cash(total - total / 3)] }),
    )
    .unwrap();
    let order_id = id(&order);
    let line_id = scalar(
        &shop.db,
        &format!("SELECT id FROM order_lines WHERE order_id = {order_id}"),
    );
    Sold {
        order_id,
        line_id,
        customer_id,
        total,
    }
}

fn refund_args(sold: &Sold, qty: i64, stock: &str, to: &str) -> Value {
    Refund::of(sold.order_id, "wrong size")
        .line(sold.line_id, qty, stock)
        .to(to)
        .args()
}

fn refund(shop: &Shop, s: &mut Option<Session>, args: Value) -> Result<Value, Error> {
    shop.call(s, "sales.refund", args)
}

#[test]
fn t31_a_refund_is_a_new_entry_and_the_sale_is_unchanged_both_audited() {
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 5, false);
    let before = order_fingerprint(&shop.db, sold.order_id);
    let entries = shop.count("journal_entries");

    let r = refund(
        &shop,
        &mut owner,
        refund_args(&sold, 5, "restock", "original"),
    )
    .unwrap();
    assert_eq!(r["number"], json!(1));
    assert_eq!(r["total_minor"], json!(sold.total));
    let back: i64 = r["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["amount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(back, sold.total, "no cent lost or invented");
    assert_eq!(r["payments"].as_array().unwrap().len(), 2);
    // Most recently picked batch first: 2 units at 80 + 3 at 90.
    assert_eq!(r["restocked_cost_minor"], json!(2 * 80 + 3 * 90));

    assert_eq!(order_fingerprint(&shop.db, sold.order_id), before);
    assert_eq!(shop.count("journal_entries"), entries + 1);
    assert_eq!(shop.count("payments"), 2);
    for (entity, id) in [
        ("order", sold.order_id),
        ("refund", r["id"].as_i64().unwrap()),
    ] {
        assert_eq!(
            scalar(
                &shop.db,
                &format!(
                    "SELECT count(*) FROM audit_log WHERE entity = '{entity}'
                     AND entity_id = '{id}' AND result = 'ok'"
                ),
            ),
            1,
            "{entity} {id} audited"
        );
    }
    let listed = shop
        .call(
            &mut owner,
            "sales.refunds",
            json!({ "order_id": sold.order_id }),
        )
        .unwrap();
    assert_eq!(listed["refunds"].as_array().unwrap().len(), 1);
    // Revenue, tax, cash, card, inventory and COGS are back where they started.
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT coalesce(sum(l.debit_minor - l.credit_minor), 0) FROM journal_lines l
             JOIN accounts a ON a.id = l.account_id WHERE a.code IN ('4000', '2100', '1000', '1010')"
        ),
        0
    );
    every_entry_balanced(&shop.db);
    verify_is_clean(&shop.db);
    chain_is_intact(&shop.db);
}

#[test]
fn t05_refund_is_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 40, false);
    let before = snapshot(&shop.db);
    let sweep = sweep_faults(&shop, &mut owner, "sales.refund", || {
        refund_args(&sold, 3, "damage", "original")
    });
    // number, line, 2 movements, batch row, 2 payments, entry, refund.
    assert!(sweep.statements >= 8, "{} statements", sweep.statements);
    for rows in &sweep.audit_after_failure {
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].result, "failed");
    }
    assert_ne!(before, snapshot(&shop.db));
    assert_eq!(shop.count("refunds"), 1);
    every_entry_balanced(&shop.db);
    verify_is_clean(&shop.db);
}

#[test]
fn t09_a_replayed_refund_makes_one_refund() {
    const THREADS: usize = 20;
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 4, false);
    let args = refund_args(&sold, 2, "restock", "original");
    let results = replayed_at_once(&shop, &owner, THREADS, "sales.refund", &args);
    let first = one_answer(&results, "a replayed refund");
    // A later replay still answers the first response.
    assert_eq!(refund(&shop, &mut owner, args).unwrap(), first);
    assert_eq!(shop.count("refunds"), 1);
    assert_eq!(
        scalar(&shop.db, "SELECT sum(quantity) FROM refund_lines"),
        2
    );
    verify_is_clean(&shop.db);
}

#[test]
fn d13_a_cashier_may_list_but_not_make_refunds() {
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 2, false);
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let mut manager = shop.session_as(&mut owner, "manager");
    let denied = refund(
        &shop,
        &mut cashier,
        refund_args(&sold, 1, "restock", "original"),
    );
    assert_eq!(code(&denied), "forbidden");
    assert_eq!(shop.count("refunds"), 0);
    refund(
        &shop,
        &mut manager,
        refund_args(&sold, 1, "restock", "original"),
    )
    .unwrap();
    let listed = shop
        .call(
            &mut cashier,
            "sales.refunds",
            json!({ "order_id": sold.order_id }),
        )
        .unwrap();
    assert_eq!(listed["refunds"].as_array().unwrap().len(), 1);
}

#[test]
fn t35_bad_refunds_are_refused_with_the_field_named_and_nothing_written() {
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 3, false);
    let other = split_sale(&shop, &mut owner, 1, false);
    refund(
        &shop,
        &mut owner,
        refund_args(&sold, 2, "restock", "original"),
    )
    .unwrap();
    let before = snapshot(&shop.db);

    // Over-refunding the line across two refunds.
    let over = refund(
        &shop,
        &mut owner,
        refund_args(&sold, 2, "restock", "original"),
    );
    assert_eq!(field_of(&over).1, "lines[0].quantity");
    // Unknown line, and a line of another order.
    let mut unknown = refund_args(&sold, 1, "restock", "original");
    unknown["lines"][0]["order_line_id"] = json!(9_999);
    assert_eq!(
        field_of(&refund(&shop, &mut owner, unknown)).1,
        "lines[0].order_line_id"
    );
    let mut foreign = refund_args(&sold, 1, "restock", "original");
    foreign["lines"][0]["order_line_id"] = json!(other.line_id);
    assert_eq!(
        field_of(&refund(&shop, &mut owner, foreign)).1,
        "lines[0].order_line_id"
    );
    // Zero units, a blank reason, store credit with no customer.
    let zero = refund(
        &shop,
        &mut owner,
        refund_args(&sold, 0, "restock", "original"),
    );
    assert_eq!(field_of(&zero).1, "lines[0].quantity");
    let mut blank = refund_args(&sold, 1, "restock", "original");
    blank["reason"] = json!("   ");
    assert_eq!(field_of(&refund(&shop, &mut owner, blank)).1, "reason");
    let mut missing = refund_args(&sold, 1, "restock", "original");
    missing.as_object_mut().unwrap().remove("reason");
    assert!(refund(&shop, &mut owner, missing).is_err());
    let credit = refund(
        &shop,
        &mut owner,
        refund_args(&sold, 1, "restock", "store_credit"),
    );
    assert_eq!(field_of(&credit).1, "refund_to");

    let after = snapshot(&shop.db);
    assert!(
        crate::support::faults::diff(&before, &after).is_empty(),
        "{}",
        crate::support::faults::diff(&before, &after)
    );
    // What is left can still be refunded, to store credit when there is a customer.
    refund(
        &shop,
        &mut owner,
        refund_args(&sold, 1, "restock", "original"),
    )
    .unwrap();
    let with_customer = split_sale(&shop, &mut owner, 2, true);
    let r = refund(
        &shop,
        &mut owner,
        refund_args(&with_customer, 2, "restock", "store_credit"),
    )
    .unwrap();
    assert_eq!(r["customer_id"], json!(with_customer.customer_id));
    assert_eq!(r["payments"][0]["tender"], json!("store_credit"));
    verify_is_clean(&shop.db);
}

#[test]
fn t30_a_damaged_refund_reconciles_stock() {
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 5, false);
    let on_hand_before = scalar(&shop.db, "SELECT sum(on_hand) FROM batches");
    refund(
        &shop,
        &mut owner,
        refund_args(&sold, 3, "damage", "original"),
    )
    .unwrap();
    refund(
        &shop,
        &mut owner,
        refund_args(&sold, 1, "restock", "original"),
    )
    .unwrap();
    // 3 damaged stay off the shelf, 1 restocked comes back.
    assert_eq!(
        scalar(&shop.db, "SELECT sum(on_hand) FROM batches"),
        on_hand_before + 1
    );
    // received = on hand + sold − returned + written off (damage).
    let q = |kind: &str| {
        scalar(
            &shop.db,
            &format!(
                "SELECT coalesce(sum(abs(quantity)), 0) FROM stock_movements WHERE kind = '{kind}'"
            ),
        )
    };
    let on_hand = scalar(&shop.db, "SELECT sum(on_hand) FROM batches");
    assert_eq!(
        q("receive"),
        on_hand + q("sale") - q("return") + q("damage")
    );
    assert_eq!(q("return"), 4);
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM stock_movements WHERE source_type = 'refund'"
        ),
        3, // damage: return + damage on the last-picked batch; restock: one return
    );
    every_entry_balanced(&shop.db);
    verify_is_clean(&shop.db);
}

#[test]
fn t31_a_line_refunded_in_parts_gives_back_exactly_the_sale() {
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 3, false);
    let mut back = 0;
    for _ in 0..3 {
        let r = refund(
            &shop,
            &mut owner,
            refund_args(&sold, 1, "restock", "original"),
        )
        .unwrap();
        back += r["total_minor"].as_i64().unwrap();
    }
    assert_eq!(back, sold.total);
    assert_eq!(
        scalar(&shop.db, "SELECT sum(amount_minor) FROM refund_payments"),
        sold.total
    );
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(DISTINCT number) * 10 + max(number) FROM refunds"
        ),
        33,
        "gapless refund numbers 1..=3"
    );
    let over = refund(
        &shop,
        &mut owner,
        refund_args(&sold, 1, "restock", "original"),
    );
    assert_eq!(field_of(&over).1, "lines[0].quantity");
    every_entry_balanced(&shop.db);
    verify_is_clean(&shop.db);
}

/// An order reads `partly_refunded` after a refund of some units and
/// `refunded` once every unit came back, in `sales.get` and `sales.list`
/// alike; the stored row still says `confirmed` (T31: nothing is updated).
#[test]
fn an_orders_status_shows_partly_refunded_then_refunded() {
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 3, false);
    let status = |owner: &mut Option<Session>| {
        let got = shop
            .call(owner, "sales.get", json!({ "id": sold.order_id }))
            .unwrap()["status"]
            .clone();
        let listed =
            shop.call(owner, "sales.list", json!({})).unwrap()["orders"][0]["status"].clone();
        assert_eq!(got, listed);
        got.as_str().unwrap().to_string()
    };
    assert_eq!(status(&mut owner), "confirmed");
    for (stock, after) in [
        ("restock", "partly_refunded"),
        ("damage", "partly_refunded"),
        ("restock", "refunded"),
    ] {
        refund(&shop, &mut owner, refund_args(&sold, 1, stock, "original")).unwrap();
        assert_eq!(status(&mut owner), after, "after a {stock} refund");
    }
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM orders WHERE id = {} AND status = 'confirmed'",
                sold.order_id
            )
        ),
        1
    );
}

/// A refund to store credit shows on the customer (`store_credit_minor`, from
/// the ledger), and spending it at the till takes it down again.
#[test]
fn store_credit_from_a_refund_shows_on_the_customer_and_is_spent_at_the_till() {
    let (shop, mut owner) = Shop::with_owner();
    let sold = split_sale(&shop, &mut owner, 2, true);
    let customer = sold.customer_id.unwrap();
    let credit = |owner: &mut Option<Session>| {
        shop.call(owner, "customers.get", json!({ "id": customer }))
            .unwrap()["store_credit_minor"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(credit(&mut owner), 0);
    let r = refund(
        &shop,
        &mut owner,
        refund_args(&sold, 2, "restock", "store_credit"),
    )
    .unwrap();
    let back = r["total_minor"].as_i64().unwrap();
    assert_eq!(back, sold.total);
    assert_eq!(credit(&mut owner), back);
    let hits = shop
        .call(
            &mut owner,
            "customers.search",
            json!({ "prefix": "Refund Rita" }),
        )
        .unwrap();
    assert_eq!(hits[0]["store_credit_minor"], json!(back));
    // Spend part of it on one more unit of the same product.
    let product = scalar(
        &shop.db,
        &format!(
            "SELECT product_id FROM order_lines WHERE id = {}",
            sold.line_id
        ),
    );
    let lines = json!([{ "product_id": product, "quantity": 1 }]);
    let total = shop
        .call(
            &mut owner,
            "sales.quote",
            json!({ "customer_id": customer, "lines": lines }),
        )
        .unwrap()["total_minor"]
        .as_i64()
        .unwrap();
    let store_credit = json!({ "tender": "store_credit", "amount_minor": total });
    checkout(
        &shop,
        &mut owner,
        json!({ "customer_id": customer, "lines": lines, "payments": [store_credit] }),
    )
    .unwrap();
    assert_eq!(credit(&mut owner), back - total);
    verify_is_clean(&shop.db);
}
