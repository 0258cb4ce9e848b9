//! Shifts, cash in/out, voids and the Z-report: the Z-report's
//! arithmetic to the minor unit, the over/short posting, voids (T31: a new
//! record that reverses the sale and restocks its batches exactly), the rules
//! that refuse a void or a refund, one open shift per user under a race
//! (D01, D12), atomicity of every write command (T05), and `verify` (clean,
//! and reporting a tampered close).

use crate::support::checks::{
    balance, code, every_entry_balanced, on_hand, scalar, verify_is_clean, version_of,
};
use crate::support::faults::{audit_after, chain_is_intact, max_audit_id, snapshot, sweep_faults};
use crate::support::fixtures::{
    at_once, card, card_sales_without_shift, cash, id, open_shift, receive, sale, submit, void,
    Product, Refund,
};
use crate::support::{key, Shop};
use rusqlite::Connection;
use serde_json::{json, Value};
use tillbook_core::{Error, Session};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A product under a fresh SKU: these tests never look one up by it.
fn item(price: i64, tax: &str) -> Product {
    Product::new(&format!("SH-{}", key()), price)
        .name("Shift product")
        .tax(tax)
}

fn cash_move(
    shop: &Shop,
    s: &mut Option<Session>,
    direction: &str,
    amount: i64,
    reason: &str,
) -> Result<Value, Error> {
    submit(
        shop,
        s,
        "shifts.cash_move",
        json!({ "direction": direction, "amount_minor": amount, "reason": reason }),
    )
}

fn close(shop: &Shop, s: &mut Option<Session>, id: i64, counted: i64) -> Result<Value, Error> {
    shop.call(
        s,
        "shifts.close",
        json!({ "shift_id": id, "version": version_of(&shop.db, "shifts", id), "counted_cash_minor": counted }),
    )
}

fn tenders(v: &Value) -> Vec<(String, i64, i64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tender"].as_str().unwrap().to_string(),
                t["count"].as_i64().unwrap(),
                t["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn t(tender: &str, count: i64, amount: i64) -> (String, i64, i64) {
    (tender.to_string(), count, amount)
}

/// A product at 1000 (standard, 20 %) with stock in two batches (2 at cost
/// 400, 50 at cost 450), and one at 500 (reduced, 5 %) with 50 at cost 200.
struct Stock {
    a: i64,
    b: i64,
    a_batches: [i64; 2],
}

fn stock(shop: &Shop, owner: &mut Option<Session>) -> Stock {
    let a = item(1000, "standard").create(shop, owner);
    let b = item(500, "reduced").create(shop, owner);
    let a1 = receive(shop, owner, a, 2, 400);
    let a2 = receive(shop, owner, a, 50, 450);
    receive(shop, owner, b, 50, 200);
    Stock {
        a,
        b,
        a_batches: [a1, a2],
    }
}

// ---------------------------------------------------------------------------
// The Z-report
// ---------------------------------------------------------------------------

#[test]
fn t12_the_z_report_of_a_full_shift_is_exact_to_the_minor_unit() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    let mut mgr = shop.session_as(&mut owner, "manager");
    let mgr_id = mgr.as_ref().unwrap().user_id;

    let shift = open_shift(&shop, &mut mgr, 10_000).unwrap();
    assert_eq!(shift["status"], json!("open"));
    assert_eq!(shift["number"], json!(1));
    assert_eq!(shift["user_id"], json!(mgr_id));
    let shift_id = id(&shift);
    let current = shop.call(&mut mgr, "shifts.current", json!({})).unwrap();
    assert_eq!(id(&current), shift_id);

    // 1: 2 × A with 100 off: net 1900, tax 380, total 2280; card 1000, cash
    //    2000 handed over → 1280 kept, 720 change.
    let s1 = sale(
        &shop,
        &mut mgr,
        json!([{ "product_id": st.a, "quantity": 2, "discount_minor": 100 }]),
        json!([card(1000), cash(2000)]),
    );
    assert_eq!(s1["total_minor"], json!(2280));
    assert_eq!(s1["change_minor"], json!(720));
    // 2: 2 × B: 1000 + 50 tax = 1050, exact cash.
    let s2 = sale(
        &shop,
        &mut mgr,
        json!([{ "product_id": st.b, "quantity": 2 }]),
        json!([cash(1050)]),
    );
    assert_eq!(s2["total_minor"], json!(1050));
    // 3: 1 × A: 1200, 1500 handed over, 300 change; voided below.
    let s3 = sale(
        &shop,
        &mut mgr,
        json!([{ "product_id": st.a, "quantity": 1 }]),
        json!([cash(1500)]),
    );
    assert_eq!(s3["total_minor"], json!(1200));
    // 4: 1 × B by card: 525.
    let s4 = sale(
        &shop,
        &mut mgr,
        json!([{ "product_id": st.b, "quantity": 1 }]),
        json!([card(525)]),
    );
    assert_eq!(s4["total_minor"], json!(525));
    // One unit of sale 2 comes back in cash: 500 + 25 tax.
    let r = Refund::of(id(&s2), "one too many")
        .line(&s2["lines"][0]["id"], 1, "restock")
        .submit(&shop, &mut mgr)
        .unwrap();
    assert_eq!(r["total_minor"], json!(525));
    let v = void(&shop, &mut mgr, id(&s3), "rang up twice").unwrap();
    assert_eq!(v["total_minor"], json!(1200));
    assert_eq!(v["cash_minor"], json!(1200));
    let moved_in = cash_move(&shop, &mut mgr, "in", 5_000, "float top-up").unwrap();
    assert_eq!(
        moved_in["expected_cash_minor"],
        json!(10_000 + 3_530 - 525 - 1_200 + 5_000)
    );
    cash_move(&shop, &mut mgr, "out", 3_000, "paid-out: cleaning supplies").unwrap();

    // Another user's sale with their own drawer open goes into theirs, not
    // this shift (cash needs an open drawer: without one the owner's sale
    // would go into the till's one open shift, the manager's).
    let own = open_shift(&shop, &mut owner, 0).unwrap();
    let loose = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": st.b, "quantity": 1 }]),
        json!([cash(600)]),
    );
    assert_eq!(
        id(&shop.call(&mut owner, "shifts.current", json!({})).unwrap()),
        id(&own)
    );
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM shift_orders WHERE order_id = {} AND shift_id = {shift_id}",
                id(&loose)
            )
        ),
        0
    );

    let expected = 10_000 + (1_280 + 1_050 + 1_200) - 525 + 5_000 - 3_000 - 1_200;
    assert_eq!(expected, 13_805);
    let z = shop
        .call(&mut mgr, "shifts.z_report", json!({ "shift_id": shift_id }))
        .unwrap();
    let want_open = json!({
        "sales_count": 4,
        "sales_total_minor": 2280 + 1050 + 1200 + 525,
        "sales_net_minor": 1900 + 1000 + 1000 + 500,
        "sales_tax_minor": 380 + 50 + 200 + 25,
        "sales_discount_minor": 100,
        "cash_tendered_minor": 2000 + 1050 + 1500,
        "change_given_minor": 720 + 300,
        "refunds_count": 1,
        "refunds_total_minor": 525,
        "refunds_tax_minor": 25,
        "voids_count": 1,
        "voids_total_minor": 1200,
        "voids_tax_minor": 200,
        "net_sales_minor": 5055 - 525 - 1200,
        "net_tax_minor": 655 - 25 - 200,
        "cash_in_count": 1,
        "cash_in_minor": 5000,
        "cash_out_count": 1,
        "cash_out_minor": 3000,
        "cash_sales_minor": 3530,
        "cash_refunds_minor": 525,
        "cash_voids_minor": 1200,
        "expected_cash_minor": expected,
        "counted_cash_minor": null,
        "over_short_minor": null,
    });
    for (k, want) in want_open.as_object().unwrap() {
        assert_eq!(&z[k], want, "{k}");
    }
    assert_eq!(
        tenders(&z["sales_by_tender"]),
        vec![t("card", 2, 1525), t("cash", 3, 3530)]
    );
    assert_eq!(tenders(&z["refunds_by_tender"]), vec![t("cash", 1, 525)]);
    assert_eq!(tenders(&z["voids_by_tender"]), vec![t("cash", 1, 1200)]);
    assert_eq!(z["shift"]["expected_cash_minor"], json!(expected));

    // Counted 25 short.
    let closed = close(&shop, &mut mgr, shift_id, 13_780).unwrap();
    assert_eq!(closed["shift"]["status"], json!("closed"));
    assert_eq!(closed["expected_cash_minor"], json!(expected));
    assert_eq!(closed["counted_cash_minor"], json!(13_780));
    assert_eq!(closed["over_short_minor"], json!(-25));
    for (k, want) in want_open.as_object().unwrap() {
        if !k.ends_with("cash_minor") && k != "over_short_minor" {
            assert_eq!(&closed[k], want, "{k} after close");
        }
    }
    let again = shop
        .call(&mut mgr, "shifts.z_report", json!({ "shift_id": shift_id }))
        .unwrap();
    assert_eq!(again, closed, "a closed shift's report never changes");
    // The manager's cash now goes into the till's one open drawer, the owner's.
    assert_eq!(
        id(&shop.call(&mut mgr, "shifts.current", json!({})).unwrap()),
        id(&own)
    );

    // The drawer account is back where it started (the loose sale's 525 aside),
    // the shortage is an expense, and the safe got the counted cash.
    assert_eq!(balance(&shop.db, "1000"), 525);
    assert_eq!(balance(&shop.db, "5900"), 25);
    assert_eq!(balance(&shop.db, "1030"), -10_000 - 5_000 + 3_000 + 13_780);
    let entry = closed["shift"]["close_entry_id"].as_i64().unwrap();
    let lines = scalar(
        &shop.db,
        &format!(
            "SELECT count(*) FROM journal_lines l JOIN accounts a ON a.id = l.account_id
             WHERE l.entry_id = {entry} AND ((a.code = '1030' AND l.debit_minor = 13780)
                OR (a.code = '1000' AND l.credit_minor = 13805)
                OR (a.code = '5900' AND l.debit_minor = 25))"
        ),
    );
    assert_eq!(lines, 3);
    every_entry_balanced(&shop.db);

    let listed = shop
        .call(&mut owner, "shifts.list", json!({ "status": "closed" }))
        .unwrap();
    assert_eq!(listed["shifts"].as_array().unwrap().len(), 1);
    assert_eq!(listed["shifts"][0]["over_short_minor"], json!(-25));
    verify_is_clean(&shop.db);
    chain_is_intact(&shop.db);
}

#[test]
fn an_overage_posts_a_balanced_credit_to_over_and_short() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    let shift = open_shift(&shop, &mut owner, 2_000).unwrap();
    sale(
        &shop,
        &mut owner,
        json!([{ "product_id": st.b, "quantity": 2 }]),
        json!([cash(2_000)]),
    );
    // Expected 2000 + 1050; counted 40 more.
    let z = close(&shop, &mut owner, id(&shift), 3_090).unwrap();
    assert_eq!(z["expected_cash_minor"], json!(3_050));
    assert_eq!(z["over_short_minor"], json!(40));
    assert_eq!(balance(&shop.db, "5900"), -40);
    assert_eq!(balance(&shop.db, "1000"), 0);
    assert_eq!(balance(&shop.db, "1030"), -2_000 + 3_090);
    every_entry_balanced(&shop.db);

    // An exact count has no over/short line; an empty drawer no entry at all.
    let exact = open_shift(&shop, &mut owner, 700).unwrap();
    let z = close(&shop, &mut owner, id(&exact), 700).unwrap();
    assert_eq!(z["over_short_minor"], json!(0));
    let entry = z["shift"]["close_entry_id"].as_i64().unwrap();
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT count(*) FROM journal_lines WHERE entry_id = {entry}")
        ),
        2
    );
    let empty = open_shift(&shop, &mut owner, 0).unwrap();
    assert_eq!(empty["float_entry_id"], Value::Null);
    let z = close(&shop, &mut owner, id(&empty), 0).unwrap();
    assert_eq!(z["shift"]["close_entry_id"], Value::Null);
    assert_eq!(balance(&shop.db, "5900"), -40);
    verify_is_clean(&shop.db);
}

// ---------------------------------------------------------------------------
// Voids
// ---------------------------------------------------------------------------

#[test]
fn t31_a_void_restores_each_batch_exactly_and_reverses_the_sale() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    open_shift(&shop, &mut owner, 1_000).unwrap();
    let before = [
        on_hand(&shop.db, st.a_batches[0]),
        on_hand(&shop.db, st.a_batches[1]),
    ];
    // 5 units: the 2 of the first batch, then 3 of the second.
    let sale = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": st.a, "quantity": 5 }]),
        json!([card(2_000), cash(4_000)]),
    );
    assert_eq!(on_hand(&shop.db, st.a_batches[0]), 0);
    assert_eq!(on_hand(&shop.db, st.a_batches[1]), before[1] - 3);
    let order_before = shop
        .call(&mut owner, "sales.get", json!({ "id": id(&sale) }))
        .unwrap();
    let entries = shop.count("journal_entries");

    let v = void(&shop, &mut owner, id(&sale), "rang up twice").unwrap();
    assert_eq!(
        [
            on_hand(&shop.db, st.a_batches[0]),
            on_hand(&shop.db, st.a_batches[1])
        ],
        before
    );
    assert_eq!(v["batches"].as_array().unwrap().len(), 2);
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM stock_movements WHERE kind = 'return' AND source_type = 'void'"
        ),
        2
    );
    // The sale is untouched — it only reads as voided — and the void is a new
    // entry reversing it.
    let mut expected = order_before.clone();
    expected["status"] = json!("voided");
    assert_eq!(
        shop.call(&mut owner, "sales.get", json!({ "id": id(&sale) }))
            .unwrap(),
        expected
    );
    assert_eq!(shop.count("journal_entries"), entries + 1);
    let reversed = scalar(
        &shop.db,
        &format!(
            "SELECT reverses_entry_id FROM journal_entries WHERE id = {}",
            v["entry_id"]
        ),
    );
    assert_eq!(json!(reversed), sale["entry_id"]);
    for code in ["4000", "2100", "1010", "5000", "1200"] {
        let moved = scalar(
            &shop.db,
            &format!(
                "SELECT coalesce(sum(l.debit_minor - l.credit_minor), 0) FROM journal_lines l
                 JOIN accounts a ON a.id = l.account_id JOIN journal_entries e ON e.id = l.entry_id
                 WHERE a.code = '{code}' AND e.source_type IN ('order', 'order_void')"
            ),
        );
        assert_eq!(moved, 0, "account {code} after the void");
    }
    // Audited and announced in the same transaction.
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM audit_log WHERE command = 'sales.void' AND result = 'ok'
                 AND entity = 'order_void' AND entity_id = '{}'",
                id(&v)
            )
        ),
        1
    );
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM outbox WHERE kind = 'sale.voided'"
        ),
        1
    );
    every_entry_balanced(&shop.db);
    verify_is_clean(&shop.db);
}

#[test]
fn a_void_is_refused_twice_after_a_refund_outside_a_shift_and_after_close() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    let lines = json!([{ "product_id": st.b, "quantity": 1 }]);

    // Sold by card with no shift open (the shop allows it): refund it instead.
    card_sales_without_shift(&shop, &mut owner);
    let loose = sale(&shop, &mut owner, lines.clone(), json!([card(525)]));
    let shift = open_shift(&shop, &mut owner, 0).unwrap();
    let r = void(&shop, &mut owner, id(&loose), "rang up twice");
    assert_eq!(code(&r), "conflict", "{r:?}");

    let once = sale(&shop, &mut owner, lines.clone(), json!([cash(525)]));
    void(&shop, &mut owner, id(&once), "rang up twice").unwrap();
    let twice = void(&shop, &mut owner, id(&once), "rang up twice");
    assert_eq!(code(&twice), "conflict");
    // A voided sale can't be refunded either.
    let refund = Refund::whole(&once, "changed their mind").submit(&shop, &mut owner);
    assert_eq!(code(&refund), "conflict", "{refund:?}");

    let refunded = sale(&shop, &mut owner, lines.clone(), json!([cash(525)]));
    Refund::whole(&refunded, "changed their mind")
        .submit(&shop, &mut owner)
        .unwrap();
    assert_eq!(
        code(&void(&shop, &mut owner, id(&refunded), "rang up twice")),
        "conflict"
    );

    let late = sale(&shop, &mut owner, lines, json!([cash(525)]));
    // Cash: 3 sales − 1 refund − 1 void = 525.
    close(&shop, &mut owner, id(&shift), 525).unwrap();
    assert_eq!(
        code(&void(&shop, &mut owner, id(&late), "rang up twice")),
        "conflict"
    );
    // ... but it can still be refunded, in cash from an open drawer.
    let no_drawer = Refund::whole(&late, "changed their mind").submit(&shop, &mut owner);
    assert_eq!(code(&no_drawer), "conflict", "{no_drawer:?}");
    assert!(no_drawer.unwrap_err().to_string().contains("Open a shift"));
    open_shift(&shop, &mut owner, 0).unwrap();
    Refund::whole(&late, "changed their mind")
        .submit(&shop, &mut owner)
        .unwrap();
    assert_eq!(
        code(&void(&shop, &mut owner, 9_999, "rang up twice")),
        "not_found",
        "unknown order"
    );
    assert_eq!(shop.count("order_voids"), 1);

    // The schema refuses the same things whatever code writes the rows.
    let raw = |sql: String| shop.db.write(|tx| Ok(tx.execute(&sql, [])?));
    assert!(raw(format!(
        "INSERT INTO refunds (number, order_id, refund_to, reason, line_count, net_minor, tax_minor,
                              total_minor, restocked_cost_minor, created_by, created_at_ms)
         VALUES (99, {}, 'original', 'raw', 1, 0, 0, 0, 0, 1, 0)",
        id(&once)
    ))
    .is_err());
    assert!(raw(format!(
        "INSERT INTO order_voids (order_id, shift_id, reason, user_id, created_at_ms)
         VALUES ({}, {}, 'raw', 1, 0)",
        id(&late),
        id(&shift)
    ))
    .is_err());
    assert!(raw(format!(
        "INSERT INTO shift_orders (shift_id, order_id) VALUES ({}, {})",
        id(&shift),
        id(&loose)
    ))
    .is_err());
    for sql in [
        "UPDATE order_voids SET reason = 'edited'",
        "DELETE FROM order_voids",
        "DELETE FROM shifts",
        "UPDATE shifts SET counted_cash_minor = 0, version = version + 1",
    ] {
        assert!(raw(sql.to_string()).is_err(), "{sql} must be refused");
    }
    verify_is_clean(&shop.db);
}

#[test]
fn d13_a_cashier_can_not_void_and_the_refusal_is_audited() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let cashier_id = cashier.as_ref().unwrap().user_id;
    open_shift(&shop, &mut cashier, 500).unwrap();
    let sale = sale(
        &shop,
        &mut cashier,
        json!([{ "product_id": st.b, "quantity": 1 }]),
        json!([cash(525)]),
    );
    let last = max_audit_id(&shop.db);
    let r = void(&shop, &mut cashier, id(&sale), "rang up twice");
    assert_eq!(code(&r), "forbidden");
    let rows = audit_after(&shop.db, last);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].command, "sales.void");
    assert_eq!(rows[0].result, "refused");
    assert_eq!(rows[0].error_code.as_deref(), Some("forbidden"));
    assert_eq!(rows[0].user_id, Some(cashier_id));
    assert_eq!(shop.count("order_voids"), 0);

    // A manager voids it, within the cashier's still-open shift.
    let mut mgr = shop.session_as(&mut owner, "manager");
    let v = void(&shop, &mut mgr, id(&sale), "rang up twice").unwrap();
    let shift = shop
        .call(&mut cashier, "shifts.current", json!({}))
        .unwrap();
    assert_eq!(v["shift_id"], shift["id"]);
    assert_eq!(shift["expected_cash_minor"], json!(500));
}

// ---------------------------------------------------------------------------
// Who may do what with a shift
// ---------------------------------------------------------------------------

#[test]
fn closing_and_reading_another_users_shift_needs_a_manager() {
    let (shop, mut owner) = Shop::with_owner();
    let mut ann = shop.session_as(&mut owner, "cashier");
    let mut bob = shop.session_as(&mut owner, "cashier");
    let mut mgr = shop.session_as(&mut owner, "manager");
    let shift = open_shift(&shop, &mut ann, 1_000).unwrap();
    let sid = id(&shift);

    // A second open shift for the same user is a conflict; another user's is fine.
    assert_eq!(code(&open_shift(&shop, &mut ann, 0)), "conflict");
    open_shift(&shop, &mut bob, 0).unwrap();

    assert_eq!(code(&close(&shop, &mut bob, sid, 1_000)), "forbidden");
    assert_eq!(
        code(&shop.call(&mut bob, "shifts.z_report", json!({ "shift_id": sid }))),
        "forbidden"
    );
    assert_eq!(
        code(&shop.call(&mut ann, "shifts.list", json!({}))),
        "forbidden"
    );
    shop.call(&mut mgr, "shifts.z_report", json!({ "shift_id": sid }))
        .unwrap();
    let stale = shop.call(
        &mut mgr,
        "shifts.close",
        json!({ "shift_id": sid, "version": 7, "counted_cash_minor": 1_000 }),
    );
    assert_eq!(code(&stale), "conflict");
    let z = close(&shop, &mut mgr, sid, 1_000).unwrap();
    assert_eq!(
        z["shift"]["closed_by"],
        json!(mgr.as_ref().unwrap().user_id)
    );
    assert_eq!(z["shift"]["version"], json!(2), "T25: one bump per update");
    assert_eq!(code(&close(&shop, &mut ann, sid, 1_000)), "conflict");
    assert_eq!(
        code(&shop.call(&mut mgr, "shifts.z_report", json!({ "shift_id": 9_999 }))),
        "not_found"
    );
    // Ann may open a new shift now, and read her old report.
    open_shift(&shop, &mut ann, 0).unwrap();
    shop.call(&mut ann, "shifts.z_report", json!({ "shift_id": sid }))
        .unwrap();

    let page = shop
        .call(&mut owner, "shifts.list", json!({ "limit": 2 }))
        .unwrap();
    assert_eq!(page["shifts"].as_array().unwrap().len(), 2);
    let rest = shop
        .call(
            &mut owner,
            "shifts.list",
            json!({ "limit": 2, "before_id": page["next_before_id"] }),
        )
        .unwrap();
    assert_eq!(rest["shifts"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_before_id"], Value::Null);
    verify_is_clean(&shop.db);
}

#[test]
fn t35_cash_moves_need_an_open_shift_and_enough_cash_in_the_drawer() {
    let (shop, mut owner) = Shop::with_owner();
    assert_eq!(
        code(&cash_move(&shop, &mut owner, "in", 100, "top-up")),
        "conflict"
    );
    open_shift(&shop, &mut owner, 1_000).unwrap();
    let before = snapshot(&shop.db);
    let too_much = cash_move(&shop, &mut owner, "out", 1_001, "to the safe");
    assert_eq!(code(&too_much), "validation");
    assert_eq!(
        too_much.unwrap_err().details()["field"],
        json!("amount_minor")
    );
    for (dir, amount, reason, field) in [
        ("out", 0, "x", "amount_minor"),
        ("in", 1_000_000_000_001, "x", "amount_minor"),
        ("in", 5, "", "reason"),
        ("in", 5, " padded ", "reason"),
        ("sideways", 5, "x", "direction"),
    ] {
        let r = cash_move(&shop, &mut owner, dir, amount, reason);
        assert_eq!(code(&r), "validation", "{dir} {amount} {reason:?}");
        assert_eq!(r.unwrap_err().details()["field"], json!(field));
    }
    let neg = open_shift(&shop, &mut owner, -1);
    assert_eq!(code(&neg), "validation");
    assert_eq!(snapshot(&shop.db), before, "refusals wrote nothing");
    let out = cash_move(&shop, &mut owner, "out", 1_000, "all to the safe").unwrap();
    assert_eq!(out["expected_cash_minor"], json!(0));
}

// ---------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------

#[test]
fn d01_d12_one_open_shift_per_user_when_two_tills_open_at_once() {
    let (shop, mut owner) = Shop::with_owner();
    let user = owner.as_ref().unwrap().user_id;
    for round in 0..50 {
        let open = || json!({ "idempotency_key": key(), "opening_float_minor": 100 });
        let results = at_once(
            &owner,
            vec![
                (&shop.d, "shifts.open", open()),
                (&shop.d, "shifts.open", open()),
            ],
        );
        let codes: Vec<&str> = results.iter().map(code).collect();
        let opened: Vec<&Value> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(opened.len(), 1, "round {round}: {codes:?}");
        assert!(codes.contains(&"conflict"), "round {round}: {codes:?}");
        assert_eq!(
            scalar(
                &shop.db,
                &format!("SELECT count(*) FROM shifts WHERE user_id = {user} AND status = 'open'")
            ),
            1
        );
        close(&shop, &mut owner, id(opened[0]), 100).unwrap();
    }
    assert_eq!(shop.count("shifts"), 50);
    verify_is_clean(&shop.db);
}

#[test]
fn d12_a_void_and_a_refund_racing_on_one_sale_one_wins() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    open_shift(&shop, &mut owner, 0).unwrap();
    for round in 0..20 {
        let sale = sale(
            &shop,
            &mut owner,
            json!([{ "product_id": st.b, "quantity": 1 }]),
            json!([cash(525)]),
        );
        let void_args =
            json!({ "idempotency_key": key(), "order_id": id(&sale), "reason": "race" });
        let refund_args = Refund::of(id(&sale), "race")
            .line(&sale["lines"][0]["id"], 1, "restock")
            .args();
        let results = at_once(
            &owner,
            vec![
                (&shop.d, "sales.void", void_args),
                (&shop.d, "sales.refund", refund_args),
            ],
        );
        let mut codes: Vec<&str> = results.iter().map(code).collect();
        codes.sort_unstable();
        assert_eq!(codes, ["conflict", "ok"], "round {round}");
    }
    assert_eq!(
        shop.count("order_voids") + shop.count("refunds"),
        20,
        "each sale voided or refunded, never both"
    );
    verify_is_clean(&shop.db);
}

// ---------------------------------------------------------------------------
// T05: every write command is one transaction
// ---------------------------------------------------------------------------

#[test]
fn t05_shift_commands_are_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);

    let sweep = sweep_faults(
        &shop,
        &mut owner,
        "shifts.open",
        || json!({ "idempotency_key": key(), "opening_float_minor": 2_500 }),
    );
    // counter, 2 journal lines, entry, shift, audit, outbox, idempotency.
    assert!(sweep.statements >= 8, "{} statements", sweep.statements);
    assert_eq!(shop.count("shifts"), 1);
    let shift_id = scalar(&shop.db, "SELECT id FROM shifts");

    let sweep = sweep_faults(&shop, &mut owner, "shifts.cash_move", || {
        json!({
            "idempotency_key": key(),
            "direction": "out",
            "amount_minor": 700,
            "reason": "to the safe",
        })
    });
    assert!(sweep.statements >= 7, "{} statements", sweep.statements);
    assert_eq!(shop.count("shift_cash_moves"), 1);

    let sweep = sweep_faults(
        &shop,
        &mut owner,
        "shifts.no_sale",
        || json!({ "idempotency_key": key(), "reason": "change for a note" }),
    );
    // the no-sale, audit, outbox, idempotency.
    assert!(sweep.statements >= 4, "{} statements", sweep.statements);
    assert_eq!(shop.count("shift_no_sales"), 1);

    // Checkout and refund attach to the shift inside their own transaction.
    let lines = json!([{ "product_id": st.a, "quantity": 3 }]);
    sweep_faults(
        &shop,
        &mut owner,
        "sales.checkout",
        || json!({ "idempotency_key": key(), "lines": lines, "payments": [cash(4_000)] }),
    );
    assert_eq!(shop.count("shift_orders"), 1);
    let order_id = scalar(&shop.db, "SELECT order_id FROM shift_orders");
    let order = shop
        .call(&mut owner, "sales.get", json!({ "id": order_id }))
        .unwrap();
    let line_id = order["lines"][0]["id"].clone();
    sweep_faults(&shop, &mut owner, "sales.refund", || {
        Refund::of(order_id, "scratched")
            .line(&line_id, 1, "restock")
            .args()
    });
    assert_eq!(shop.count("shift_refunds"), 1);

    // A second sale (from the batch the refund restocked) to void.
    let sale = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": st.a, "quantity": 2 }]),
        json!([cash(2_400)]),
    );
    let sweep = sweep_faults(
        &shop,
        &mut owner,
        "sales.void",
        || json!({ "idempotency_key": key(), "order_id": id(&sale), "reason": "wrong customer" }),
    );
    // movements + void batches, entry (lines + header), void, audit, outbox, key.
    assert!(sweep.statements >= 10, "{} statements", sweep.statements);
    assert_eq!(shop.count("order_voids"), 1);

    let sweep = sweep_faults(&shop, &mut owner, "shifts.close", || {
        json!({
            "shift_id": shift_id,
            "version": version_of(&shop.db, "shifts", shift_id),
            "counted_cash_minor": 4_000,
        })
    });
    assert!(sweep.statements >= 6, "{} statements", sweep.statements);
    let expected = 2_500 - 700 + 3_600 - 1_200;
    let z = shop
        .call(
            &mut owner,
            "shifts.z_report",
            json!({ "shift_id": shift_id }),
        )
        .unwrap();
    assert_eq!(z["expected_cash_minor"], json!(expected));
    assert_eq!(z["over_short_minor"], json!(4_000 - expected));
    every_entry_balanced(&shop.db);
    verify_is_clean(&shop.db);
    chain_is_intact(&shop.db);
}

#[test]
fn t09_a_replayed_void_and_cash_move_happen_once() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    open_shift(&shop, &mut owner, 1_000).unwrap();
    let sale = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": st.b, "quantity": 1 }]),
        json!([cash(525)]),
    );
    let args = json!({ "idempotency_key": key(), "order_id": id(&sale), "reason": "duplicate" });
    let first = shop.call(&mut owner, "sales.void", args.clone()).unwrap();
    assert_eq!(shop.call(&mut owner, "sales.void", args).unwrap(), first);
    let args = json!({
        "idempotency_key": key(), "direction": "in", "amount_minor": 50, "reason": "coins",
    });
    let first = shop
        .call(&mut owner, "shifts.cash_move", args.clone())
        .unwrap();
    assert_eq!(
        shop.call(&mut owner, "shifts.cash_move", args).unwrap(),
        first
    );
    assert_eq!(shop.count("order_voids"), 1);
    assert_eq!(shop.count("shift_cash_moves"), 1);
}

// ---------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------

#[test]
fn verify_reports_a_tampered_close() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    let shift = open_shift(&shop, &mut owner, 1_000).unwrap();
    sale(
        &shop,
        &mut owner,
        json!([{ "product_id": st.b, "quantity": 1 }]),
        json!([cash(1_000)]),
    );
    close(&shop, &mut owner, id(&shift), 1_500).unwrap();
    verify_is_clean(&shop.db);

    // Someone "fixes" the shortage behind the app's back: the schema refuses
    // it, so its guard has to go first.
    let conn = Connection::open(&shop.path).unwrap();
    let sql = format!(
        "UPDATE shifts SET expected_cash_minor = 1500, over_short_minor = 0,
                           version = version + 1 WHERE id = {}",
        id(&shift)
    );
    assert!(conn.execute_batch(&sql).is_err(), "a closed shift changed");
    conn.execute_batch(&format!("DROP TRIGGER shifts_closed_once; {sql}"))
        .unwrap();
    drop(conn);

    let report = tillbook_core::ops::verify::run(&shop.db).unwrap();
    let shifts: Vec<&String> = report
        .problems
        .iter()
        .filter(|p| p.starts_with("shifts: "))
        .collect();
    assert!(
        shifts
            .iter()
            .any(|p| p.contains("expected cash or over/short stored at close differs")),
        "{:?}",
        report.problems
    );
    assert!(
        shifts.iter().any(|p| p.contains("close entry differs")),
        "{:?}",
        report.problems
    );
}

#[test]
fn verify_reports_a_void_that_did_not_restock_what_the_sale_took() {
    let (shop, mut owner) = Shop::with_owner();
    let st = stock(&shop, &mut owner);
    open_shift(&shop, &mut owner, 0).unwrap();
    let sale = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": st.a, "quantity": 3 }]),
        json!([cash(3_600)]),
    );
    let v = void(&shop, &mut owner, id(&sale), "rang up twice").unwrap();
    verify_is_clean(&shop.db);

    // One of the void's batch rows is dropped behind the app's back, and a
    // stray return is booked as if a void had made it.
    let conn = Connection::open(&shop.path).unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER order_void_batches_no_delete;
         DELETE FROM order_void_batches WHERE id = (SELECT min(id) FROM order_void_batches);
         INSERT INTO stock_movements (batch_id, kind, quantity, reason, source_type, source_id, at_ms)
             VALUES ({}, 'return', 1, 'stray', 'void', '{}', 0);",
        st.a_batches[1],
        id(&v)
    ))
    .unwrap();
    drop(conn);
    let problems = tillbook_core::ops::verify::run(&shop.db).unwrap().problems;
    for want in [
        "void did not return exactly the units its order took",
        "stock movement of a void belongs to no void",
    ] {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("shifts: ") && p.contains(want)),
            "{want}: {problems:?}"
        );
    }
}

#[test]
fn a_voided_sale_reads_as_voided_and_another_users_z_report_refusal_is_audited() {
    let (shop, mut owner) = Shop::with_owner();
    let p = item(250, "zero").create(&shop, &mut owner);
    receive(&shop, &mut owner, p, 10, 100);
    let shift = open_shift(&shop, &mut owner, 1_000).unwrap();
    let sold = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": p, "quantity": 1 }]),
        json!([cash(250)]),
    );
    let kept = sale(
        &shop,
        &mut owner,
        json!([{ "product_id": p, "quantity": 1 }]),
        json!([cash(250)]),
    );
    void(&shop, &mut owner, id(&sold), "rang up twice").unwrap();
    let got = shop
        .call(&mut owner, "sales.get", json!({ "id": id(&sold) }))
        .unwrap();
    assert_eq!(got["status"], json!("voided"));
    let page = shop.call(&mut owner, "sales.list", json!({})).unwrap();
    let statuses: Vec<(i64, String)> = page["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (id(o), o["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (id(&kept), "confirmed".to_string()),
            (id(&sold), "voided".to_string())
        ]
    );
    // A cashier reading the owner's shift is refused inside the handler; the
    // refusal is audited all the same.
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let r = shop.call(
        &mut cashier,
        "shifts.z_report",
        json!({ "shift_id": id(&shift) }),
    );
    assert_eq!(code(&r), "forbidden", "{r:?}");
    let rows = shop.audit_rows("shifts.z_report");
    assert!(
        rows.iter()
            .any(|r| r["result"] == "refused" && r["error_code"] == "forbidden"),
        "{rows:?}"
    );
}

#[test]
fn sales_list_pages_through_the_orders_of_one_shift() {
    let (shop, mut owner) = Shop::with_owner();
    let p = item(100, "zero").create(&shop, &mut owner);
    receive(&shop, &mut owner, p, 50, 10);
    let sell = |shop: &Shop, s: &mut Option<Session>| {
        id(&sale(
            shop,
            s,
            json!([{ "product_id": p, "quantity": 1 }]),
            json!([card(100)]),
        ))
    };
    card_sales_without_shift(&shop, &mut owner);
    let outside = sell(&shop, &mut owner);
    let shift = id(&open_shift(&shop, &mut owner, 0).unwrap());
    let inside: Vec<i64> = (0..5).map(|_| sell(&shop, &mut owner)).collect();
    let mut cashier = shop.session_as(&mut owner, "cashier");
    open_shift(&shop, &mut cashier, 0).unwrap();
    let theirs = sell(&shop, &mut cashier);
    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let page = shop
            .call(
                &mut owner,
                "sales.list",
                json!({ "shift_id": shift, "limit": 2, "before_id": before }),
            )
            .unwrap();
        seen.extend(page["orders"].as_array().unwrap().iter().map(id));
        match page["next_before_id"].as_i64() {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    let mut expected = inside.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    assert!(!seen.contains(&outside) && !seen.contains(&theirs));
    let r = shop.call(&mut owner, "sales.list", json!({ "shift_id": 0 }));
    assert_eq!(code(&r), "validation");
}
