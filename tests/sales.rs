//! Sales (orders and checkout): the rule tests for T05 T09 T12 T20
//! T26 T29 T35, and `tillbook verify` clean after a run of sales.

use crate::support::checks::{
    balance, code, every_entry_balanced, field_of, ledger_balances, on_hand, one_answer, scalar,
    tillbook_verify, verify_is_clean,
};
use crate::support::faults::{chain_is_intact, diff, snapshot, sweep_faults};
use crate::support::fixtures::{
    checkout, customer_on_account, ensure_drawer, hold, product, receive, replayed_at_once,
    set_credit, Batch, Refund,
};
use crate::support::{self, key, Shop};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::Barrier;
use tillbook_core::{ledger, Error, Session};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

fn prices_include_tax(shop: &Shop, s: &mut Option<Session>, inclusive: bool) {
    let v = shop.call(s, "settings.get", json!({})).unwrap();
    let mut settings = v["settings"].clone();
    settings["prices_include_tax"] = json!(inclusive);
    shop.call(
        s,
        "settings.update",
        json!({ "version": v["version"], "settings": settings }),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// T05: one transaction, nothing partial
// ---------------------------------------------------------------------------

#[test]
fn t05_checkout_is_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    // Cash needs an open drawer: the owner's, the till's one open shift.
    ensure_drawer(&shop, &mut owner);
    let milk = product(&shop, &mut owner, "MILK", 120, "reduced");
    let soap = product(&shop, &mut owner, "SOAP", 350, "standard");
    let old = Batch::of(milk, 100, 80)
        .expires_on("2026-02-01")
        .receive(&shop, &mut owner);
    let new = Batch::of(milk, 100, 90)
        .expires_on("2026-03-01")
        .receive(&shop, &mut owner);
    let soap_batch = receive(&shop, &mut owner, soap, 100, 200);
    let c = customer_on_account(&shop, &mut owner, "Atomic Customer", 50_000, "block");
    let before = snapshot(&shop.db);

    // Milk 2 × 120 at 5 % → 240 + 12; soap 1 × 350 − 50 at 20 % → 300 + 60. Total 612.
    let sweep = sweep_faults(&shop, &mut owner, "sales.checkout", || {
        json!({
            "idempotency_key": key(),
            "customer_id": c,
            "lines": [
                { "product_id": milk, "quantity": 2 },
                { "product_id": soap, "quantity": 1, "discount_minor": 50 },
            ],
            "payments": [
                { "tender": "card", "amount_minor": 300, "reference": "TRM-1" },
                { "tender": "on_account", "amount_minor": 100 },
                { "tender": "cash", "amount_minor": 500 },
            ],
        })
    });
    // numbers ×2, 2 lines, 2 movements, 2 picks, 3 payments, entry lines + header, order.
    assert!(sweep.statements >= 14, "{} statements", sweep.statements);
    // Every failed attempt left one `failed` audit row and nothing else.
    for rows in &sweep.audit_after_failure {
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].result, "failed");
    }
    assert_ne!(before, snapshot(&shop.db), "the last attempt committed");

    // Exactly one sale, from the earliest-expiring milk batch.
    assert_eq!(shop.count("orders"), 1);
    assert_eq!(on_hand(&shop.db, old), 98);
    assert_eq!(on_hand(&shop.db, new), 100);
    assert_eq!(on_hand(&shop.db, soap_batch), 99);
    let order = shop
        .call(&mut owner, "sales.get", json!({ "id": 1 }))
        .unwrap();
    assert_eq!(order["total_minor"], json!(612));
    assert_eq!(order["tax_minor"], json!(72));
    assert_eq!(order["net_minor"], json!(540));
    assert_eq!(order["change_minor"], json!(288)); // cash due 212 of 500
    assert_eq!(order["cost_minor"], json!(80 * 2 + 200));
    assert_eq!(order["number"], json!(1));
    assert_eq!(order["receipt_number"], json!(1));
    let balance = shop
        .db
        .read(|conn| ledger::customer_balance(conn, c))
        .unwrap();
    assert_eq!(balance, 100);
    every_entry_balanced(&shop.db);
    ledger_balances(&shop.db);
    verify_is_clean(&shop.db);
    chain_is_intact(&shop.db);
}

// ---------------------------------------------------------------------------
// T09: 50 concurrent identical submits make one sale
// ---------------------------------------------------------------------------

#[test]
fn t09_fifty_concurrent_identical_checkouts_make_one_sale() {
    const THREADS: usize = 50;
    for round in 0..3 {
        let (shop, mut owner) = Shop::with_owner();
        // Cash needs an open drawer: the owner's, the till's one open shift.
        ensure_drawer(&shop, &mut owner);
        let cashier = shop.session_as(&mut owner, "cashier");
        let p = product(&shop, &mut owner, &format!("T09-{round}"), 250, "standard");
        let batch = receive(&shop, &mut owner, p, 10, 100);
        let args = json!({
            "idempotency_key": key(),
            "lines": [{ "product_id": p, "quantity": 3 }],
            "payments": [{ "tender": "cash", "amount_minor": 1000 }],
        });
        let results = replayed_at_once(&shop, &cashier, THREADS, "sales.checkout", &args);
        let first = one_answer(&results, &format!("round {round}"));
        assert_eq!(shop.count("orders"), 1, "round {round}");
        assert_eq!(on_hand(&shop.db, batch), 7, "stock moved once");
        assert_eq!(
            scalar(
                &shop.db,
                "SELECT count(*) FROM stock_movements WHERE kind = 'sale'"
            ),
            1
        );
        assert_eq!(
            scalar(
                &shop.db,
                "SELECT count(*) FROM journal_entries WHERE source_type = 'order'"
            ),
            1
        );
        assert_eq!(
            scalar(
                &shop.db,
                "SELECT count(*) FROM outbox WHERE kind = 'sale.confirmed'"
            ),
            1
        );
        assert_eq!(
            scalar(
                &shop.db,
                "SELECT count(*) FROM audit_log WHERE command = 'sales.checkout'"
            ),
            1,
            "one audit row and no failed attempts"
        );
        // 3 × 250 = 750 + 20 % = 900; cash 1000 → change 100.
        assert_eq!(first["total_minor"], json!(900));
        assert_eq!(first["change_minor"], json!(100));

        // The same key with another cart is a mismatch and writes nothing.
        let mut other = args.clone();
        other["lines"][0]["quantity"] = json!(1);
        let mut s = cashier.clone();
        let r = shop.call(&mut s, "sales.checkout", other);
        assert_eq!(code(&r), "idempotency_mismatch");
        assert_eq!(shop.count("orders"), 1);
        verify_is_clean(&shop.db);
    }
}

// ---------------------------------------------------------------------------
// T20: totals computed by the core; a caller can't supply them
// ---------------------------------------------------------------------------

#[test]
fn t20_totals_are_computed_by_the_core_and_caller_totals_are_refused() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(&shop, &mut owner, "T20", 999, "standard");
    let batch = receive(&shop, &mut owner, p, 50, 400);
    let cart = json!([{ "product_id": p, "quantity": 1 }]);

    // Tax-exclusive prices: 999 + 20 % = 199.8 → 200.
    let q = shop
        .call(&mut owner, "sales.quote", json!({ "lines": cart }))
        .unwrap();
    assert_eq!(
        (&q["net_minor"], &q["tax_minor"], &q["total_minor"]),
        (&json!(999), &json!(200), &json!(1199))
    );
    // Tax-inclusive prices: 999 holds 999 × 20/120 = 166.5 → 167.
    prices_include_tax(&shop, &mut owner, true);
    let q = shop
        .call(&mut owner, "sales.quote", json!({ "lines": cart }))
        .unwrap();
    assert_eq!(
        (&q["net_minor"], &q["tax_minor"], &q["total_minor"]),
        (&json!(832), &json!(167), &json!(999))
    );
    assert_eq!(q["prices_include_tax"], json!(true));

    // Any attempt to supply an amount the core computes is an unknown field.
    let attempts = [
        (
            "total_minor",
            json!({ "lines": cart, "total_minor": 1,
            "payments": [{ "tender": "cash", "amount_minor": 1 }] }),
        ),
        (
            "tax_minor",
            json!({ "lines": cart, "tax_minor": 0,
            "payments": [{ "tender": "cash", "amount_minor": 999 }] }),
        ),
        (
            "unit_price_minor",
            json!({ "lines": [{ "product_id": p, "quantity": 1, "unit_price_minor": 1 }],
            "payments": [{ "tender": "cash", "amount_minor": 1 }] }),
        ),
        (
            "line_total_minor",
            json!({ "lines": [{ "product_id": p, "quantity": 1, "line_total_minor": 1 }],
            "payments": [{ "tender": "cash", "amount_minor": 1 }] }),
        ),
        (
            "change_minor",
            json!({ "lines": cart,
            "payments": [{ "tender": "cash", "amount_minor": 1000, "change_minor": 0 }] }),
        ),
    ];
    for (field, args) in attempts {
        let r = checkout(&shop, &mut owner, args);
        let (c, f) = field_of(&r);
        assert_eq!(c, "validation", "{field}: {r:?}");
        assert!(f.ends_with(field), "{field}: named {f}");
        let message = r.unwrap_err().to_string();
        assert!(message.contains("unknown field"), "{field}: {message}");
    }
    // A quote doesn't take them either.
    let r = shop.call(
        &mut owner,
        "sales.quote",
        json!({ "lines": cart, "total_minor": 5 }),
    );
    assert_eq!(field_of(&r), ("validation".into(), "total_minor".into()));
    assert_eq!(shop.count("orders"), 0);

    // Paying what the core computed works; the order keeps the rate and flag.
    let o = checkout(
        &shop,
        &mut owner,
        json!({ "lines": cart, "payments": [{ "tender": "card", "amount_minor": 999, "reference": "A1" }] }),
    )
    .unwrap();
    assert_eq!(o["total_minor"], json!(999));
    assert_eq!(o["tax_minor"], json!(167));
    assert_eq!(o["prices_include_tax"], json!(true));
    assert_eq!(o["lines"][0]["tax_rate_bp"], json!(2000));
    assert_eq!(on_hand(&shop.db, batch), 49);
    verify_is_clean(&shop.db);
}

// ---------------------------------------------------------------------------
// T12: random carts — totals, tax and change exact; journals balanced; stock conserved
// ---------------------------------------------------------------------------

/// `num / den` rounded half away from zero (all inputs here are ≥ 0).
fn round_div(num: i128, den: i128) -> i64 {
    i64::try_from((2 * num + den) / (2 * den)).unwrap()
}

#[derive(Clone, Debug)]
struct RandomLine {
    product: usize,
    quantity: i64,
    /// Discount as a fraction of the gross, in 1/1000.
    discount_per_mille: i64,
}

fn random_line() -> impl Strategy<Value = RandomLine> {
    (0usize..4, 1i64..7, prop_oneof![Just(0i64), 0i64..=1000]).prop_map(
        |(product, quantity, discount_per_mille)| RandomLine {
            product,
            quantity,
            discount_per_mille,
        },
    )
}

#[test]
fn t12_random_carts_have_exact_totals_balanced_journals_and_conserved_stock() {
    let (shop, owner) = Shop::with_owner();
    let mut o = owner.clone();
    // (id, price, rate_bp)
    let specs = [
        ("P12-A", 199, "standard", 2000),
        ("P12-B", 1, "reduced", 500),
        ("P12-C", 1234, "zero", 0),
        ("P12-D", 333, "standard", 2000),
    ];
    let products: Vec<(i64, i64, i64)> = specs
        .iter()
        .map(|(sku, price, tax, bp)| (product(&shop, &mut o, sku, *price, tax), *price, *bp))
        .collect();
    const RECEIVED: i64 = 10_000;
    for (i, (id, _, _)) in products.iter().enumerate() {
        Batch::of(*id, RECEIVED / 2, 50 + i as i64)
            .expires_on("2027-01-01")
            .receive(&shop, &mut o);
        receive(&shop, &mut o, *id, RECEIVED / 2, 70 + i as i64);
    }
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 40,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &(
                proptest::collection::vec(random_line(), 1..8),
                any::<bool>(),
                0i64..5000,
                any::<bool>(),
            ),
            |(lines, inclusive, extra_cash, split_card)| {
                let mut o = owner.clone();
                prices_include_tax(&shop, &mut o, inclusive);
                let mut expected_total = 0i64;
                let mut expected_tax = 0i64;
                let mut cart = Vec::new();
                let mut expected_lines = Vec::new();
                for l in &lines {
                    let (id, price, bp) = products[l.product];
                    let gross = price * l.quantity;
                    let discount = gross * l.discount_per_mille / 1000;
                    let amount = gross - discount;
                    let (net, tax) = if inclusive {
                        let tax = round_div(i128::from(amount) * i128::from(bp), 10_000 + i128::from(bp));
                        (amount - tax, tax)
                    } else {
                        (amount, round_div(i128::from(amount) * i128::from(bp), 10_000))
                    };
                    expected_total += net + tax;
                    expected_tax += tax;
                    expected_lines.push((net, tax));
                    cart.push(json!({ "product_id": id, "quantity": l.quantity, "discount_minor": discount }));
                }
                let card = if split_card { expected_total / 2 } else { 0 };
                let cash_due = expected_total - card;
                let mut payments = Vec::new();
                if card > 0 {
                    payments.push(json!({ "tender": "card", "amount_minor": card, "reference": "PROP" }));
                }
                if cash_due > 0 {
                    payments.push(json!({ "tender": "cash", "amount_minor": cash_due + extra_cash }));
                }
                let r = checkout(&shop, &mut o, json!({ "lines": cart, "payments": payments }));
                let order = r.map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&order["total_minor"], &json!(expected_total));
                prop_assert_eq!(&order["tax_minor"], &json!(expected_tax));
                let change = if cash_due > 0 { extra_cash } else { 0 };
                prop_assert_eq!(&order["change_minor"], &json!(change));
                let got_lines = order["lines"].as_array().unwrap();
                let mut sum = 0;
                for (gl, (net, tax)) in got_lines.iter().zip(&expected_lines) {
                    prop_assert_eq!(&gl["net_minor"], &json!(net));
                    prop_assert_eq!(&gl["tax_minor"], &json!(tax));
                    sum += gl["total_minor"].as_i64().unwrap();
                }
                prop_assert_eq!(sum, expected_total, "the total is the exact sum of the lines");
                Ok(())
            },
        )
        .unwrap();

    every_entry_balanced(&shop.db);
    ledger_balances(&shop.db);
    // Stock conserved: received = on hand + sold, per product.
    for (id, _, _) in &products {
        let on_hand = scalar(
            &shop.db,
            &format!("SELECT sum(on_hand) FROM batches WHERE product_id = {id}"),
        );
        let sold = scalar(
            &shop.db,
            &format!("SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE product_id = {id}"),
        );
        assert_eq!(on_hand + sold, RECEIVED, "product {id}");
    }
    // The ledger agrees with the orders: revenue − discounts + tax = Σ totals,
    // discounts = Σ the lines' discounts net of tax, COGS = Σ cost.
    let totals = scalar(&shop.db, "SELECT sum(total_minor) FROM orders");
    let tax = scalar(&shop.db, "SELECT sum(tax_minor) FROM orders");
    let cost = scalar(&shop.db, "SELECT sum(cost_minor) FROM orders");
    let discounts = scalar(
        &shop.db,
        "SELECT coalesce(sum(discount_net_minor), 0) FROM order_lines",
    );
    let bal = |code| balance(&shop.db, code);
    assert_eq!(bal(ledger::codes::DISCOUNTS), discounts);
    assert_eq!(
        bal(ledger::codes::SALES_REVENUE) - bal(ledger::codes::DISCOUNTS)
            + bal(ledger::codes::TAX_PAYABLE),
        totals
    );
    assert_eq!(bal(ledger::codes::TAX_PAYABLE), tax);
    assert_eq!(bal(ledger::codes::COST_OF_GOODS_SOLD), cost);
    assert_eq!(
        bal(ledger::codes::CASH) + bal(ledger::codes::CARD_CLEARING),
        totals
    );
    verify_is_clean(&shop.db);
}

// ---------------------------------------------------------------------------
// T26: order and receipt numbers gapless under concurrency, with failures
// ---------------------------------------------------------------------------

#[test]
fn t26_order_numbers_are_gapless_under_concurrency_with_failing_checkouts() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 8;
    let (shop, mut owner) = Shop::with_owner();
    // Cash needs an open drawer: the owner's, the till's one open shift.
    ensure_drawer(&shop, &mut owner);
    let plenty = product(&shop, &mut owner, "T26-PLENTY", 100, "zero");
    let scarce = product(&shop, &mut owner, "T26-SCARCE", 100, "zero");
    receive(&shop, &mut owner, plenty, 10_000, 10);
    receive(&shop, &mut owner, scarce, 12, 10);
    let barrier = Barrier::new(THREADS);
    let results: Vec<Result<Value, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let d = shop.d.clone();
                let mut session = owner.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    (0..PER_THREAD)
                        .map(|i| {
                            // Every other checkout also wants a scarce unit: once those
                            // are gone, it fails after taking its numbers.
                            let mut lines = vec![json!({ "product_id": plenty, "quantity": 1 })];
                            let mut total = 100;
                            if (t + i) % 2 == 0 {
                                lines.push(json!({ "product_id": scarce, "quantity": 1 }));
                                total += 100;
                            }
                            d.dispatch(
                                &mut session,
                                "sales.checkout",
                                json!({
                                    "idempotency_key": key(),
                                    "lines": lines,
                                    "payments": [{ "tender": "cash", "amount_minor": total }],
                                }),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count() as i64;
    let failed: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
    assert_eq!(
        failed.len(),
        32 - 12,
        "the scarce product runs out after 12"
    );
    for r in &failed {
        assert_eq!(code(r), "insufficient_stock", "{r:?}");
        let msg = r.as_ref().unwrap_err().to_string();
        assert!(msg.contains("T26-SCARCE"), "names the product: {msg}");
    }
    assert_eq!(ok, (THREADS * PER_THREAD) as i64 - 20);
    let mut numbers: Vec<i64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=ok).collect::<Vec<_>>(), "gapless and unique");
    let mut receipts: Vec<i64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|v| v["receipt_number"].as_i64().unwrap())
        .collect();
    receipts.sort_unstable();
    assert_eq!(receipts, (1..=ok).collect::<Vec<_>>());
    assert_eq!(
        scalar(&shop.db, "SELECT value FROM counters WHERE name = 'orders'"),
        ok
    );
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT sum(on_hand) FROM batches WHERE product_id = 2"
        ),
        0
    );
    verify_is_clean(&shop.db);
}

// ---------------------------------------------------------------------------
// T29: on account respects the customer's credit limit and mode
// ---------------------------------------------------------------------------

#[test]
fn t29_on_account_sales_are_blocked_over_the_limit_or_warned_and_audited() {
    let (shop, mut owner) = Shop::with_owner();
    let cashier_session = shop.session_as(&mut owner, "cashier");
    let p = product(&shop, &mut owner, "T29", 100, "zero");
    receive(&shop, &mut owner, p, 100, 40);
    let c = customer_on_account(&shop, &mut owner, "Credit Carla", 1_000, "block");
    let sale = |qty: i64, with_customer: bool| {
        let mut args = json!({
            "lines": [{ "product_id": p, "quantity": qty }],
            "payments": [{ "tender": "on_account", "amount_minor": qty * 100 }],
        });
        if with_customer {
            args["customer_id"] = json!(c);
        }
        let mut s = cashier_session.clone();
        checkout(&shop, &mut s, args)
    };

    // On account needs a customer.
    assert_eq!(
        field_of(&sale(1, false)),
        ("validation".into(), "payments[0].tender".into())
    );
    // Block (the default): over the limit is refused, and nothing is written.
    let before = snapshot(&shop.db);
    let r = sale(12, true);
    assert_eq!(code(&r), "credit_limit", "{r:?}");
    assert_eq!(before, snapshot(&shop.db));
    let refused = shop.audit_rows("sales.checkout");
    assert!(
        refused
            .iter()
            .any(|r| r["result"] == "refused" && r["error_code"] == "credit_limit"),
        "the refusal is audited: {refused:?}"
    );
    // Within it: allowed, and the balance is the ledger's.
    let ok = sale(8, true).unwrap();
    assert_eq!(ok["credit"]["warning"], json!(false));
    let balance = |shop: &Shop| {
        shop.db
            .read(|conn| ledger::customer_balance(conn, c))
            .unwrap()
    };
    assert_eq!(balance(&shop), 800);
    assert_eq!(code(&sale(3, true)), "credit_limit");
    assert_eq!(balance(&shop), 800);

    // Warn, chosen explicitly: the sale goes through, says so, and the audit row records it.
    set_credit(&shop, &mut owner, c, 1_000, "warn");
    let warned = sale(3, true).unwrap();
    assert_eq!(warned["credit"]["warning"], json!(true));
    assert_eq!(warned["credit"]["over_limit_minor"], json!(100));
    assert_eq!(balance(&shop), 1_100);
    let rows = shop.audit_rows("sales.checkout");
    let row = rows
        .iter()
        .find(|r| r["result"] == "ok" && r["summary"]["credit"]["warning"] == json!(true))
        .unwrap_or_else(|| panic!("no audited warning in {rows:?}"));
    assert_eq!(row["entity_id"], json!(warned["id"].to_string()));
    verify_is_clean(&shop.db);
}

// ---------------------------------------------------------------------------
// T35: bad inputs are refused with the field named
// ---------------------------------------------------------------------------

#[test]
fn t35_bad_checkout_inputs_are_refused_with_the_field_named() {
    let (shop, mut owner) = Shop::with_owner();
    // Cash needs an open drawer: the owner's, the till's one open shift.
    ensure_drawer(&shop, &mut owner);
    let p = product(&shop, &mut owner, "T35", 100, "zero");
    receive(&shop, &mut owner, p, 5, 40);
    let gone = product(&shop, &mut owner, "T35-OLD", 100, "zero");
    let version = scalar(
        &shop.db,
        &format!("SELECT version FROM products WHERE id = {gone}"),
    );
    shop.call(
        &mut owner,
        "catalog.archive_product",
        json!({ "id": gone, "version": version }),
    )
    .unwrap();
    let c = customer_on_account(&shop, &mut owner, "T35 Customer", 0, "block");
    let line = |q: i64| json!({ "product_id": p, "quantity": q });
    let cash = |a: i64| json!({ "tender": "cash", "amount_minor": a });
    let many: Vec<Value> = (0..201).map(|_| line(1)).collect();
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "zero quantity",
            json!({ "lines": [line(0)], "payments": [cash(100)] }),
            "validation",
            "lines[0].quantity",
        ),
        (
            "negative quantity",
            json!({ "lines": [line(-3)], "payments": [cash(100)] }),
            "validation",
            "lines[0].quantity",
        ),
        (
            "absurd quantity",
            json!({ "lines": [line(1_000_000_000_000)], "payments": [cash(100)] }),
            "validation",
            "lines[0].quantity",
        ),
        (
            "quantity as text",
            json!({ "lines": [{ "product_id": p, "quantity": "2" }], "payments": [cash(100)] }),
            "validation",
            "lines[0].quantity",
        ),
        (
            "unknown product",
            json!({ "lines": [line(1), { "product_id": 9999, "quantity": 1 }], "payments": [cash(200)] }),
            "validation",
            "lines[1].product_id",
        ),
        (
            "archived product",
            json!({ "lines": [{ "product_id": gone, "quantity": 1 }], "payments": [cash(100)] }),
            "validation",
            "lines[0].product_id",
        ),
        (
            "no lines",
            json!({ "lines": [], "payments": [] }),
            "validation",
            "lines",
        ),
        (
            "too many lines",
            json!({ "lines": many, "payments": [cash(20_100)] }),
            "validation",
            "lines",
        ),
        (
            "negative discount",
            json!({ "lines": [{ "product_id": p, "quantity": 1, "discount_minor": -1 }], "payments": [cash(100)] }),
            "validation",
            "lines[0].discount_minor",
        ),
        (
            "discount over the line",
            json!({ "lines": [{ "product_id": p, "quantity": 1, "discount_minor": 101 }], "payments": [cash(100)] }),
            "validation",
            "lines[0].discount_minor",
        ),
        (
            "payments short",
            json!({ "lines": [line(2)], "payments": [cash(199)] }),
            "validation",
            "payments",
        ),
        (
            "no payments",
            json!({ "lines": [line(1)], "payments": [] }),
            "validation",
            "payments",
        ),
        (
            "card over the total",
            json!({ "lines": [line(1)], "payments": [{ "tender": "card", "amount_minor": 150, "reference": "X" }] }),
            "validation",
            "payments",
        ),
        (
            "card without reference",
            json!({ "lines": [line(1)], "payments": [{ "tender": "card", "amount_minor": 100 }] }),
            "validation",
            "payments[0].reference",
        ),
        (
            "cash with a reference",
            json!({ "lines": [line(1)], "payments": [{ "tender": "cash", "amount_minor": 100, "reference": "X" }] }),
            "validation",
            "payments[0].reference",
        ),
        (
            "two cash payments",
            json!({ "lines": [line(1)], "payments": [cash(50), cash(50)] }),
            "validation",
            "payments",
        ),
        (
            "zero payment",
            json!({ "lines": [line(1)], "payments": [cash(0), { "tender": "card", "amount_minor": 100, "reference": "X" }] }),
            "validation",
            "payments[0].amount_minor",
        ),
        (
            "negative payment",
            json!({ "lines": [line(1)], "payments": [cash(-100)] }),
            "validation",
            "payments[0].amount_minor",
        ),
        (
            "absurd payment",
            json!({ "lines": [line(1)], "payments": [cash(1_000_000_000_000_000)] }),
            "validation",
            "payments[0].amount_minor",
        ),
        (
            "unknown tender",
            json!({ "lines": [line(1)], "payments": [{ "tender": "cheque", "amount_minor": 100 }] }),
            "validation",
            "payments[0].tender",
        ),
        (
            "store credit without balance",
            json!({ "customer_id": c, "lines": [line(1)], "payments": [{ "tender": "store_credit", "amount_minor": 100 }] }),
            "validation",
            "payments",
        ),
        (
            "bad customer id",
            json!({ "customer_id": 0, "lines": [line(1)], "payments": [cash(100)] }),
            "validation",
            "customer_id",
        ),
        (
            "unknown customer",
            json!({ "customer_id": 777, "lines": [line(1)], "payments": [cash(100)] }),
            "validation",
            "customer_id",
        ),
        (
            "unknown field",
            json!({ "lines": [line(1)], "payments": [cash(100)], "discount": 5 }),
            "validation",
            "discount",
        ),
        (
            "more than in stock",
            json!({ "lines": [line(6)], "payments": [cash(600)] }),
            "insufficient_stock",
            "",
        ),
    ];
    let before = snapshot(&shop.db);
    for (what, args, want_code, want_field) in cases {
        let r = checkout(&shop, &mut owner, args);
        let (c, f) = field_of(&r);
        assert_eq!(
            (c.as_str(), f.as_str()),
            (want_code, want_field),
            "{what}: {r:?}"
        );
        if want_code == "insufficient_stock" {
            assert!(
                r.unwrap_err().to_string().contains("T35"),
                "{what} names the product"
            );
        }
    }
    assert_eq!(before, snapshot(&shop.db), "nothing was written");
    // Quotes refuse the same cart errors.
    let r = shop.call(&mut owner, "sales.quote", json!({ "lines": [line(0)] }));
    assert_eq!(
        field_of(&r),
        ("validation".into(), "lines[0].quantity".into())
    );
    let r = shop.call(&mut owner, "sales.list", json!({ "limit": 100_000 }));
    assert_eq!(field_of(&r), ("validation".into(), "limit".into()));
}

// ---------------------------------------------------------------------------
// Reading orders back; `tillbook verify` after a run of sales
// ---------------------------------------------------------------------------

#[test]
fn sales_get_and_list_page_newest_first_and_a_cashier_may_sell() {
    let (shop, mut owner) = Shop::with_owner();
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let p = product(&shop, &mut owner, "LIST", 100, "zero");
    receive(&shop, &mut owner, p, 100, 40);
    for _ in 0..5 {
        checkout(
            &shop,
            &mut cashier,
            json!({ "lines": [{ "product_id": p, "quantity": 1 }], "payments": [{ "tender": "cash", "amount_minor": 100 }] }),
        )
        .unwrap();
    }
    let page = shop
        .call(&mut cashier, "sales.list", json!({ "limit": 2 }))
        .unwrap();
    let ids: Vec<i64> = page["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [5, 4]);
    let page = shop
        .call(
            &mut cashier,
            "sales.list",
            json!({ "limit": 10, "before_id": page["next_before_id"] }),
        )
        .unwrap();
    assert_eq!(page["orders"].as_array().unwrap().len(), 3);
    assert_eq!(page["next_before_id"], Value::Null);
    let o = shop
        .call(&mut cashier, "sales.get", json!({ "id": 3 }))
        .unwrap();
    assert_eq!(o["number"], json!(3));
    assert_eq!(o["lines"][0]["batches"].as_array().unwrap().len(), 1);
    let r = shop.call(&mut cashier, "sales.get", json!({ "id": 99 }));
    assert_eq!(code(&r), "not_found");
    // Orders and payments are append-only.
    let r = shop.db.write(|tx| {
        tx.execute("UPDATE orders SET total_minor = 0 WHERE id = 1", [])?;
        Ok(())
    });
    assert!(r.is_err());
    let r = shop.db.write(|tx| {
        tx.execute("DELETE FROM payments WHERE order_id = 1", [])?;
        Ok(())
    });
    assert!(r.is_err());
}

#[test]
fn verify_is_clean_after_a_run_of_sales_and_reports_tampering() {
    let (shop, mut owner) = Shop::with_owner();
    let a = product(&shop, &mut owner, "V-A", 250, "standard");
    let b = product(&shop, &mut owner, "V-B", 99, "reduced");
    Batch::of(a, 20, 100)
        .expires_on("2026-05-01")
        .receive(&shop, &mut owner);
    receive(&shop, &mut owner, a, 20, 120);
    receive(&shop, &mut owner, b, 50, 30);
    let c = customer_on_account(&shop, &mut owner, "Verify Vera", 100_000, "block");
    for i in 0..12i64 {
        let lines = json!([
            { "product_id": a, "quantity": 1 + i % 4 },
            { "product_id": b, "quantity": 2, "discount_minor": i },
        ]);
        let q = shop
            .call(
                &mut owner,
                "sales.quote",
                json!({ "customer_id": c, "lines": lines }),
            )
            .unwrap();
        let total = q["total_minor"].as_i64().unwrap();
        let payments = match i % 3 {
            0 => json!([{ "tender": "cash", "amount_minor": total + 37 }]),
            1 => json!([{ "tender": "card", "amount_minor": total, "reference": format!("T{i}") }]),
            _ => json!([{ "tender": "on_account", "amount_minor": total / 2 },
                        { "tender": "cash", "amount_minor": total - total / 2 }]),
        };
        checkout(
            &shop,
            &mut owner,
            json!({ "customer_id": c, "lines": lines, "payments": payments }),
        )
        .unwrap();
    }
    let (code0, out) = tillbook_verify(&shop.path);
    assert_eq!(code0, 0, "clean after sales: {out}");

    // A sale movement written behind the app's back, claiming to be order 1: verify sees it.
    shop.db
        .write(|tx| {
            tx.execute(
                "INSERT INTO stock_movements (batch_id, kind, quantity, reason, source_type, source_id, at_ms)
                 VALUES (3, 'sale', -1, 'sneaky', 'order', '1', 0)",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    let (code1, out) = tillbook_verify(&shop.path);
    assert_ne!(code1, 0, "tampering is reported: {out}");
    assert!(out.contains("sale movement"), "{out}");
}

/// T26: `tillbook verify` notices a number handed out by a counter but missing
/// from its documents (what a lost or half-written sale would leave).
#[test]
fn t26_verify_reports_a_gap_in_order_numbers() {
    let (shop, _owner) = Shop::with_owner();
    assert!(tillbook_core::ops::verify::run(&shop.db)
        .unwrap()
        .is_clean());
    shop.db
        .write(|tx| {
            Ok(tx.execute(
                "INSERT INTO counters (name, value) VALUES ('orders', 3)",
                [],
            )?)
        })
        .unwrap();
    let report = tillbook_core::ops::verify::run(&shop.db).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("orders.number is not gapless")),
        "{:?}",
        report.problems
    );
}

// ---------------------------------------------------------------------------
// Discounts on their own account; prices changed; held carts; credit override
// ---------------------------------------------------------------------------

#[test]
fn t12_discounts_post_to_4100_net_of_tax_and_refunds_take_their_share_back() {
    use ledger::codes::{DISCOUNTS, SALES_REVENUE, TAX_PAYABLE};
    for inclusive in [false, true] {
        let (shop, mut owner) = Shop::with_owner();
        prices_include_tax(&shop, &mut owner, inclusive);
        let p = product(&shop, &mut owner, "DISC", 1_210, "standard");
        receive(&shop, &mut owner, p, 10, 500);
        // 3 × 1210 = 3630, less 330.
        let sale = checkout(
            &shop,
            &mut owner,
            json!({
                "lines": [{ "product_id": p, "quantity": 3, "discount_minor": 330 }],
                "payments": [{ "tender": "card", "amount_minor": if inclusive { 3_300 } else { 3_960 }, "reference": "T-1" }],
            }),
        )
        .unwrap();
        let line = &sale["lines"][0];
        let (net, tax, dnet) = (
            line["net_minor"].as_i64().unwrap(),
            line["tax_minor"].as_i64().unwrap(),
            line["discount_net_minor"].as_i64().unwrap(),
        );
        if inclusive {
            // 3300 holds 550 of tax at 20 %; undiscounted 3630 would be 3025 net.
            assert_eq!((net, tax, dnet), (2_750, 550, 275));
        } else {
            assert_eq!((net, tax, dnet), (3_300, 660, 330));
        }
        assert_eq!(balance(&shop.db, DISCOUNTS), dnet);
        assert_eq!(balance(&shop.db, SALES_REVENUE), net + dnet);
        assert_eq!(balance(&shop.db, TAX_PAYABLE), tax);
        every_entry_balanced(&shop.db);
        ledger_balances(&shop.db);
        verify_is_clean(&shop.db);

        // Refund the three units one at a time: the discount comes back exactly.
        let line_id = line["id"].as_i64().unwrap();
        for _ in 0..3 {
            Refund::of(&sale["id"], "changed mind")
                .line(line_id, 1, "restock")
                .submit(&shop, &mut owner)
                .unwrap();
        }
        assert_eq!(balance(&shop.db, DISCOUNTS), 0, "inclusive {inclusive}");
        assert_eq!(balance(&shop.db, SALES_REVENUE), 0);
        assert_eq!(balance(&shop.db, TAX_PAYABLE), 0);
        every_entry_balanced(&shop.db);
        ledger_balances(&shop.db);
        verify_is_clean(&shop.db);
    }
}

#[test]
fn t35_a_price_changed_after_the_quote_is_a_conflict_and_nothing_is_written() {
    let (shop, mut owner) = Shop::with_owner();
    // Cash needs an open drawer: the owner's, the till's one open shift.
    ensure_drawer(&shop, &mut owner);
    let p = product(&shop, &mut owner, "PCHG", 200, "zero");
    receive(&shop, &mut owner, p, 10, 50);
    let lines = json!([{ "product_id": p, "quantity": 2 }]);
    let quoted = shop
        .call(&mut owner, "sales.quote", json!({ "lines": lines }))
        .unwrap()["total_minor"]
        .as_i64()
        .unwrap();
    assert_eq!(quoted, 400);
    let version = scalar(
        &shop.db,
        &format!("SELECT version FROM products WHERE id = {p}"),
    );
    shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": p, "version": version, "price_minor": 250 }),
    )
    .unwrap();
    let before = snapshot(&shop.db);
    let r = checkout(
        &shop,
        &mut owner,
        json!({ "lines": lines, "expected_total_minor": quoted,
                "payments": [{ "tender": "cash", "amount_minor": 500 }] }),
    );
    assert_eq!(code(&r), "conflict", "{r:?}");
    let message = r.unwrap_err().to_string();
    assert!(
        message.contains("prices changed") && message.contains("400") && message.contains("500"),
        "{message}"
    );
    assert_eq!(before, snapshot(&shop.db));
    // Re-quoted at the new price, it goes through.
    let ok = checkout(
        &shop,
        &mut owner,
        json!({ "lines": lines, "expected_total_minor": 500,
                "payments": [{ "tender": "cash", "amount_minor": 500 }] }),
    )
    .unwrap();
    assert_eq!(ok["total_minor"], json!(500));
    assert_eq!(
        field_of(&checkout(
            &shop,
            &mut owner,
            json!({ "lines": lines, "expected_total_minor": -1, "payments": [] })
        )),
        ("validation".into(), "expected_total_minor".into())
    );
}

#[test]
fn t17_a_held_cart_is_paid_with_the_stock_it_reserved_and_completed_once() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(&shop, &mut owner, "HELD", 300, "zero");
    let batch = receive(&shop, &mut owner, p, 4, 100);
    let lines = json!([{ "product_id": p, "quantity": 4 }]);
    let (cart, version) = hold(&shop, &mut owner, lines.clone());
    let pay = json!([{ "tender": "card", "amount_minor": 1_200, "reference": "H-1" }]);

    // All four units are kept for the hold: a plain sale can't have them.
    let r = checkout(
        &shop,
        &mut owner,
        json!({ "lines": lines, "payments": pay }),
    );
    assert_eq!(code(&r), "insufficient_stock", "{r:?}");
    // A stale version of the hold is refused, and nothing is written.
    let before = snapshot(&shop.db);
    let r = checkout(
        &shop,
        &mut owner,
        json!({ "lines": lines, "payments": pay, "held_cart_id": cart, "held_cart_version": version + 1 }),
    );
    assert_eq!(code(&r), "conflict", "{r:?}");
    assert_eq!(before, snapshot(&shop.db));

    // Paying for the hold releases its reservations in the same transaction.
    let sweep = sweep_faults(&shop, &mut owner, "sales.checkout", || {
        json!({ "idempotency_key": key(), "lines": lines, "payments": pay,
                "held_cart_id": cart, "held_cart_version": version })
    });
    assert!(sweep.statements >= 8, "{} statements", sweep.statements);
    assert_eq!(on_hand(&shop.db, batch), 0);
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT reserved FROM batches WHERE id = {batch}")
        ),
        0
    );
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT count(*) FROM held_carts WHERE id = {cart} AND status = 'completed'")
        ),
        1
    );
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT order_id FROM held_cart_orders WHERE held_cart_id = {cart}")
        ),
        scalar(&shop.db, "SELECT max(id) FROM orders")
    );
    // A hold is paid for once.
    receive(&shop, &mut owner, p, 4, 100);
    let r = checkout(
        &shop,
        &mut owner,
        json!({ "lines": lines, "payments": pay, "held_cart_id": cart, "held_cart_version": version + 1 }),
    );
    assert_eq!(code(&r), "conflict", "{r:?}");
    for (args, field) in [
        (json!({ "held_cart_id": cart }), "held_cart_version"),
        (json!({ "held_cart_version": 1 }), "held_cart_id"),
        (
            json!({ "held_cart_id": 0, "held_cart_version": 1 }),
            "held_cart_id",
        ),
    ] {
        let mut a = json!({ "lines": lines, "payments": pay });
        for (k, v) in args.as_object().unwrap() {
            a[k] = v.clone();
        }
        assert_eq!(
            field_of(&checkout(&shop, &mut owner, a)),
            ("validation".into(), field.into())
        );
    }
    verify_is_clean(&shop.db);
}

#[test]
fn t29_a_manager_lets_a_blocked_credit_sale_through_and_is_named_in_the_audit() {
    let (shop, mut owner) = Shop::with_owner();
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let manager = format!("mgr-{}", key());
    let manager_id = shop.create_user(&mut owner, &manager, "manager");
    let other_cashier = format!("csh-{}", key());
    shop.create_user(&mut owner, &other_cashier, "cashier");
    let p = product(&shop, &mut owner, "OVR", 1_000, "zero");
    receive(&shop, &mut owner, p, 10, 100);
    let c = customer_on_account(&shop, &mut owner, "Over Olga", 500, "block");
    let args = |approver: Value| {
        json!({
            "customer_id": c,
            "lines": [{ "product_id": p, "quantity": 1 }],
            "payments": [{ "tender": "on_account", "amount_minor": 1_000 }],
            "approver": approver,
        })
    };

    // A wrong password: refused, only the approver's failed attempt is kept.
    let before = shop.count("orders");
    let r = checkout(
        &shop,
        &mut cashier,
        args(json!({ "username": manager, "password": "wrong password 1" })),
    );
    assert_ne!(code(&r), "ok");
    assert!(r.is_err(), "{r:?}");
    assert_eq!(shop.count("orders"), before);
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT failed_attempts FROM login_state WHERE user_id = {manager_id}")
        ),
        1
    );
    // A cashier can't approve.
    let r = checkout(
        &shop,
        &mut cashier,
        args(
            json!({ "username": other_cashier, "password": support::password_of(&other_cashier) }),
        ),
    );
    assert_eq!(code(&r), "forbidden", "{r:?}");
    assert_eq!(shop.count("orders"), before);

    // The manager's password: the sale goes through and says who let it.
    let ok = checkout(
        &shop,
        &mut cashier,
        args(json!({ "username": manager, "password": support::password_of(&manager) })),
    )
    .unwrap();
    assert_eq!(ok["credit"]["overridden_by"], json!(manager_id));
    assert_eq!(ok["credit"]["over_limit_minor"], json!(500));
    let rows = shop.audit_rows("sales.checkout");
    assert!(
        rows.iter()
            .any(|r| r["result"] == "ok"
                && r["summary"]["credit"]["overridden_by"] == json!(manager_id)),
        "{rows:?}"
    );
    // The password never reaches the audit log.
    assert!(!serde_json::to_string(&rows)
        .unwrap()
        .contains(&support::password_of(&manager)));
    verify_is_clean(&shop.db);
}

#[test]
fn a_discount_needs_sales_discount_checked_by_the_dispatcher_and_audited() {
    let (shop, mut owner) = Shop::with_owner();
    // Cash needs an open drawer: the owner's, the till's one open shift.
    ensure_drawer(&shop, &mut owner);
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let p = product(&shop, &mut owner, "DSC", 100, "zero");
    receive(&shop, &mut owner, p, 10, 10);
    let discounted = json!([{ "product_id": p, "quantity": 1, "discount_minor": 10 }]);
    let before = snapshot(&shop.db);
    let r = checkout(
        &shop,
        &mut cashier,
        json!({ "lines": discounted, "payments": [{ "tender": "cash", "amount_minor": 90 }] }),
    );
    assert_eq!(code(&r), "forbidden", "{r:?}");
    assert!(r.unwrap_err().to_string().contains("sales.discount"));
    // A quote is a preview that writes nothing: it prices the discount, and
    // the permission (or a manager's approval, T39) is asked for at checkout or hold.
    let r = shop.call(&mut cashier, "sales.quote", json!({ "lines": discounted }));
    assert_eq!(code(&r), "ok", "{r:?}");
    let r = shop.call(
        &mut cashier,
        "sales.hold",
        json!({ "idempotency_key": key(), "lines": discounted }),
    );
    assert_eq!(code(&r), "forbidden", "{r:?}");
    let refused: Vec<_> = ["sales.checkout", "sales.quote", "sales.hold"]
        .iter()
        .flat_map(|c| shop.audit_rows(c))
        .filter(|r| r["result"] == "refused" && r["error_code"] == "forbidden")
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    // Nothing but the audit rows of the refusals changed.
    let d = diff(&before, &snapshot(&shop.db));
    assert!(d.is_empty(), "{d}");
    // Without a discount the cashier sells; a manager may discount.
    checkout(
        &shop,
        &mut cashier,
        json!({ "lines": [{ "product_id": p, "quantity": 1 }], "payments": [{ "tender": "cash", "amount_minor": 100 }] }),
    )
    .unwrap();
    let mut manager = shop.session_as(&mut owner, "manager");
    checkout(
        &shop,
        &mut manager,
        json!({ "lines": discounted, "payments": [{ "tender": "cash", "amount_minor": 90 }] }),
    )
    .unwrap();
}

#[test]
fn sales_list_finds_an_order_by_its_receipt_number() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(&shop, &mut owner, "RCPT", 100, "zero");
    receive(&shop, &mut owner, p, 10, 10);
    for _ in 0..3 {
        checkout(
            &shop,
            &mut owner,
            json!({ "lines": [{ "product_id": p, "quantity": 1 }], "payments": [{ "tender": "cash", "amount_minor": 100 }] }),
        )
        .unwrap();
    }
    let page = shop
        .call(&mut owner, "sales.list", json!({ "receipt_number": 2 }))
        .unwrap();
    assert_eq!(page["orders"].as_array().unwrap().len(), 1);
    assert_eq!(page["orders"][0]["receipt_number"], json!(2));
    let none = shop
        .call(&mut owner, "sales.list", json!({ "receipt_number": 99 }))
        .unwrap();
    assert_eq!(none["orders"], json!([]));
    let r = shop.call(&mut owner, "sales.list", json!({ "receipt_number": 0 }));
    assert_eq!(code(&r), "validation");
}

/// The checkout reply is built from what the transaction wrote, not read back;
/// it must be exactly the order `sales.get` reads (lines split over batches, a
/// price rule, a discount, split tender with change and a card reference).
#[test]
fn checkout_reply_is_the_order_sales_get_reads() {
    let (shop, mut owner) = Shop::with_owner();
    let milk = product(&shop, &mut owner, "REPLY-MILK", 250, "standard");
    let bread = product(&shop, &mut owner, "REPLY-BREAD", 199, "reduced");
    Batch::of(milk, 2, 100)
        .expires_on("2030-01-01")
        .receive(&shop, &mut owner);
    Batch::of(milk, 10, 110)
        .expires_on("2031-01-01")
        .receive(&shop, &mut owner);
    receive(&shop, &mut owner, bread, 5, 80);
    shop.call(
        &mut owner,
        "catalog.create_price_rule",
        json!({ "idempotency_key": key(), "rule": { "kind": "quantity_break", "product_id": milk, "min_quantity": 3, "unit_price_minor": 220 } }),
    )
    .unwrap();
    let quote = shop
        .call(
            &mut owner,
            "sales.quote",
            json!({ "lines": [
                { "product_id": milk, "quantity": 4 },
                { "product_id": bread, "quantity": 2, "discount_minor": 50 },
            ] }),
        )
        .unwrap();
    let total = quote["total_minor"].as_i64().unwrap();
    let reply = checkout(
        &shop,
        &mut owner,
        json!({
            "lines": [
                { "product_id": milk, "quantity": 4 },
                { "product_id": bread, "quantity": 2, "discount_minor": 50 },
            ],
            "payments": [
                { "tender": "card", "amount_minor": 500, "reference": "AUTH-77" },
                { "tender": "cash", "amount_minor": total - 500 + 130 },
            ],
        }),
    )
    .unwrap();
    assert_eq!(reply["lines"][0]["batches"].as_array().unwrap().len(), 2);
    assert_eq!(reply["lines"][0]["rule_applied"]["kind"], "quantity_break");
    assert_eq!(reply["change_minor"], 130);
    let read = shop
        .call(&mut owner, "sales.get", json!({ "id": reply["id"] }))
        .unwrap();
    let mut order = reply.clone();
    order.as_object_mut().unwrap().remove("credit");
    assert_eq!(order, read);
}
