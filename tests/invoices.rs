//! Invoices, customer payments on account and their allocation, AR aging and
//! statements: T36 (invoice numbers unique and gapless under
//! concurrency), T05 (every write command one transaction), T20 (totals
//! computed), exact allocation, the schema's own guards, and `tillbook verify`
//! clean after a run of invoicing.

use crate::support::checks::{code, field_of, one_answer, scalar, verify_is_clean};
use crate::support::faults::{chain_is_intact, diff, snapshot, sweep_faults};
use crate::support::fixtures::{
    at_once, cash, customer_on_account, open_shift, replayed_at_once, submit, void, Batch, Product,
    Refund,
};
use crate::support::{key, Shop, OWNER, OWNER_PASSWORD, START_MS};
use serde_json::{json, Value};
use std::sync::Barrier;
use tillbook_core::{ledger, Error, Session};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// A shop with a tax-free product (100 a unit, plenty of stock).
struct Fx {
    shop: Shop,
    owner: Option<Session>,
    product: i64,
}

impl Fx {
    fn new() -> Fx {
        let (shop, mut owner) = Shop::with_owner();
        let product = Product::new("INV-1", 100)
            .name("Invoiced goods")
            .tax("zero")
            .create(&shop, &mut owner);
        Batch::of(product, 100_000, 40)
            .lot_code("LOT-INV")
            .receive(&shop, &mut owner);
        Fx {
            shop,
            owner,
            product,
        }
    }

    fn call(&mut self, cmd: &str, args: Value) -> Result<Value, Error> {
        self.shop.call(&mut self.owner, cmd, args)
    }

    fn create(&mut self, cmd: &str, args: Value) -> Result<Value, Error> {
        submit(&self.shop, &mut self.owner, cmd, args)
    }

    /// A customer allowed to buy on account (a `warn` limit never blocks).
    fn customer(&mut self, name: &str) -> i64 {
        customer_on_account(&self.shop, &mut self.owner, name, 100_000, "warn")
    }

    /// A sale of `qty` units (100 each) paid `on_account` on account, the rest in cash.
    fn sale(&mut self, customer: Option<i64>, qty: i64, on_account: i64) -> Value {
        let total = qty * 100;
        let mut payments = Vec::new();
        if on_account > 0 {
            payments.push(json!({ "tender": "on_account", "amount_minor": on_account }));
        }
        if total > on_account {
            payments.push(cash(total - on_account));
        }
        self.create(
            "sales.checkout",
            json!({
                "customer_id": customer,
                "lines": [{ "product_id": self.product, "quantity": qty }],
                "payments": payments,
            }),
        )
        .unwrap()
    }

    /// An order of `qty` units, all on account; returns its id.
    fn account_sale(&mut self, customer: i64, qty: i64) -> i64 {
        self.sale(Some(customer), qty, qty * 100)["id"]
            .as_i64()
            .unwrap()
    }

    fn invoice(&mut self, customer: i64, orders: &[i64], due: Option<&str>) -> Value {
        self.create(
            "invoices.create",
            json!({ "customer_id": customer, "order_ids": orders, "due_date": due }),
        )
        .unwrap()
    }

    fn get(&mut self, invoice: &Value) -> Value {
        self.call("invoices.get", json!({ "id": invoice["id"] }))
            .unwrap()
    }

    fn refund_units(&mut self, order: &Value, qty: i64) -> Value {
        Refund::of(&order["id"], "returned")
            .line(&order["lines"][0]["id"], qty, "restock")
            .submit(&self.shop, &mut self.owner)
            .unwrap()
    }

    fn pay(
        &mut self,
        customer: i64,
        amount: i64,
        allocations: Option<Value>,
    ) -> Result<Value, Error> {
        let mut args = json!({ "customer_id": customer, "amount_minor": amount, "tender": "bank" });
        if let Some(a) = allocations {
            args["allocations"] = a;
        }
        self.create("customers.receive_payment", args)
    }

    fn balance(&self, customer: i64) -> i64 {
        self.shop
            .db
            .read(|c| ledger::customer_balance(c, customer))
            .unwrap()
    }

    /// Moves the clock and logs in again (the session idle-locks meanwhile).
    fn at(&mut self, ms: i64) {
        self.shop.clock.set_ms(ms);
        self.owner = self.shop.login(OWNER, OWNER_PASSWORD).unwrap();
    }

    fn aging(&mut self, as_of: &str) -> Value {
        self.call("invoices.aging", json!({ "as_of": as_of }))
            .unwrap()
    }
}

fn amount(v: &Value, key: &str) -> i64 {
    v[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

// ---------------------------------------------------------------------------
// Creating invoices
// ---------------------------------------------------------------------------

#[test]
fn t20_an_invoice_bills_the_on_account_parts_it_computes() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let a = fx.account_sale(c, 3); // 300 on account
    let b = fx.sale(Some(c), 5, 200)["id"].as_i64().unwrap(); // 200 of 500 on account

    // A caller can't supply a total.
    let r = fx.create(
        "invoices.create",
        json!({ "customer_id": c, "order_ids": [a], "total_minor": 1 }),
    );
    assert_eq!(field_of(&r), ("validation".into(), "total_minor".into()));

    let inv = fx.invoice(c, &[a, b], None);
    assert_eq!(amount(&inv, "number"), 1);
    assert_eq!(amount(&inv, "total_minor"), 500);
    assert_eq!(amount(&inv, "outstanding_minor"), 500);
    assert_eq!(inv["status"], "open");
    // Default terms: settings.invoice_terms_days (30) after the issue day.
    assert_eq!(inv["due_on"], "2026-01-31");
    let amounts: Vec<i64> = inv["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| amount(o, "amount_minor"))
        .collect();
    assert_eq!(amounts, vec![300, 200]);
    // The refused attempt and the invoice are both in the audit log.
    let results: Vec<String> = fx
        .shop
        .audit_rows("invoices.create")
        .iter()
        .map(|r| r["result"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        results.iter().filter(|r| *r == "ok").count(),
        1,
        "{results:?}"
    );
    assert_eq!(results.len(), 2, "{results:?}");
    verify_is_clean(&fx.shop.db);
}

#[test]
fn invoicing_another_customers_order_or_one_without_an_account_part_is_refused() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let other = fx.customer("Other");
    let theirs = fx.account_sale(other, 1);
    let mine = fx.account_sale(c, 1);
    let cash_only = fx.sale(Some(c), 1, 0)["id"].as_i64().unwrap();
    let anonymous = fx.sale(None, 1, 0)["id"].as_i64().unwrap();

    let tries = [
        (json!([mine, theirs]), "order_ids[1]"),
        (json!([cash_only]), "order_ids[0]"),
        (json!([anonymous]), "order_ids[0]"),
        (json!([9999]), "order_ids[0]"),
        (json!([mine, mine]), "order_ids[1]"),
        (json!([]), "order_ids"),
    ];
    for (orders, field) in tries {
        let r = fx.create(
            "invoices.create",
            json!({ "customer_id": c, "order_ids": orders }),
        );
        assert_eq!(
            field_of(&r),
            ("validation".into(), field.into()),
            "{orders}"
        );
    }
    let r = fx.create(
        "invoices.create",
        json!({ "customer_id": c, "order_ids": [mine], "due_date": "2025-12-31" }),
    );
    assert_eq!(field_of(&r), ("validation".into(), "due_date".into()));
    let r = fx.create(
        "invoices.create",
        json!({ "customer_id": c, "order_ids": [mine], "due_date": "2026-02-30" }),
    );
    assert_eq!(field_of(&r), ("validation".into(), "due_date".into()));
    assert_eq!(fx.shop.count("invoices"), 0);
    // A refused attempt gives its number back: the next invoice is number 1.
    assert_eq!(amount(&fx.invoice(c, &[mine], None), "number"), 1);
    verify_is_clean(&fx.shop.db);
}

#[test]
fn an_order_is_invoiced_at_most_once() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let a = fx.account_sale(c, 1);
    let b = fx.account_sale(c, 2);
    fx.invoice(c, &[a], None);
    let r = fx.create(
        "invoices.create",
        json!({ "customer_id": c, "order_ids": [b, a] }),
    );
    assert_eq!(code(&r), "conflict");
    assert_eq!(fx.shop.count("invoices"), 1);
    assert_eq!(fx.shop.count("invoice_orders"), 1);
    // What is left to invoice is b alone.
    let left = fx
        .call("invoices.invoiceable", json!({ "customer_id": c }))
        .unwrap();
    let ids: Vec<i64> = left["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| amount(o, "order_id"))
        .collect();
    assert_eq!(ids, vec![b]);
}

/// Two tills invoicing the same order at the same moment: exactly one invoice,
/// the other a `conflict`, and no number lost — many times over.
#[test]
fn t36_two_racing_invoices_for_one_order_make_exactly_one() {
    const ROUNDS: usize = 15;
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    for round in 0..ROUNDS {
        let order = fx.account_sale(c, 1);
        let invoice =
            || json!({ "idempotency_key": key(), "customer_id": c, "order_ids": [order] });
        let results = at_once(
            &fx.owner,
            vec![
                (&fx.shop.d, "invoices.create", invoice()),
                (&fx.shop.d, "invoices.create", invoice()),
            ],
        );
        let mut codes: Vec<&str> = results.iter().map(code).collect();
        codes.sort_unstable();
        assert_eq!(codes, vec!["conflict", "ok"], "round {round}");
        assert_eq!(fx.shop.count("invoices"), round as i64 + 1);
    }
    assert_eq!(
        scalar(&fx.shop.db, "SELECT max(number) FROM invoices"),
        ROUNDS as i64
    );
    verify_is_clean(&fx.shop.db);
}

/// T36: 8 threads creating invoices at once, round after round, with refused
/// attempts mixed in: the numbers are exactly 1..N, each once, and verify is clean.
#[test]
fn t36_invoice_numbers_are_unique_and_gapless_under_concurrency() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 4;
    const ROUNDS: usize = 3;
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let cash_only = fx.sale(Some(c), 1, 0)["id"].as_i64().unwrap();
    let mut made = 0usize;
    for _ in 0..ROUNDS {
        let orders: Vec<Vec<i64>> = (0..THREADS)
            .map(|_| (0..PER_THREAD).map(|_| fx.account_sale(c, 1)).collect())
            .collect();
        let barrier = Barrier::new(THREADS);
        let results: Vec<Vec<Result<Value, Error>>> = std::thread::scope(|s| {
            let handles: Vec<_> = orders
                .iter()
                .map(|mine| {
                    let d = fx.shop.d.clone();
                    let mut session = fx.owner.clone();
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        let mut out = Vec::new();
                        for order in mine {
                            // A refused attempt (no on-account part) in the mix.
                            out.push(d.dispatch(
                                &mut session,
                                "invoices.create",
                                json!({ "idempotency_key": key(), "customer_id": c, "order_ids": [order, cash_only] }),
                            ));
                            out.push(d.dispatch(
                                &mut session,
                                "invoices.create",
                                json!({ "idempotency_key": key(), "customer_id": c, "order_ids": [order] }),
                            ));
                            // Receipts race for their own counter alongside.
                            out.push(d.dispatch(
                                &mut session,
                                "customers.receive_payment",
                                json!({ "idempotency_key": key(), "customer_id": c, "amount_minor": 30, "tender": "cash" }),
                            ));
                        }
                        out
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results.iter().flatten() {
            let c = code(r);
            assert!(c == "ok" || c == "validation", "{r:?}");
        }
        made += results
            .iter()
            .flatten()
            .filter(|r| r.as_ref().is_ok_and(|v| v.get("due_on").is_some()))
            .count();
        assert_eq!(made, fx.shop.count("invoices") as usize);
    }
    let n = (THREADS * PER_THREAD * ROUNDS) as i64;
    assert_eq!(made as i64, n);
    let numbers: Vec<i64> = fx
        .shop
        .db
        .read(|c| {
            let mut st = c.prepare("SELECT number FROM invoices ORDER BY number")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
        })
        .unwrap();
    assert_eq!(numbers, (1..=n).collect::<Vec<_>>());
    assert_eq!(
        scalar(
            &fx.shop.db,
            "SELECT value FROM counters WHERE name = 'invoices'"
        ),
        n
    );
    // As many receipts, numbered 1..n, and every cent allocated oldest first.
    assert_eq!(
        scalar(
            &fx.shop.db,
            "SELECT count(DISTINCT number) * 1000000 + min(number) * 1000 + max(number) FROM customer_payments"
        ),
        n * 1_000_000 + 1_000 + n
    );
    assert_eq!(
        scalar(
            &fx.shop.db,
            "SELECT sum(amount_minor) FROM invoice_allocations"
        ),
        n * 30
    );
    assert_eq!(fx.balance(c), n * 100 - n * 30);
    verify_is_clean(&fx.shop.db);
}

// ---------------------------------------------------------------------------
// Payments and allocation
// ---------------------------------------------------------------------------

/// Three invoices issued out of due-date order; a payment without allocations
/// settles the earliest due first, exactly.
#[test]
fn payments_allocate_oldest_due_first_exactly() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let o1 = fx.account_sale(c, 3);
    let o2 = fx.account_sale(c, 2);
    let o3 = fx.account_sale(c, 4);
    let late = fx.invoice(c, &[o1], Some("2026-03-01")); // 300
    let early = fx.invoice(c, &[o2], Some("2026-02-01")); // 200
    let middle = fx.invoice(c, &[o3], Some("2026-02-15")); // 400

    let p = fx.pay(c, 350, None).unwrap();
    assert_eq!(amount(&p, "number"), 1);
    assert_eq!(amount(&p, "allocated_minor"), 350);
    assert_eq!(amount(&p, "unallocated_minor"), 0);
    let alloc: Vec<(i64, i64)> = p["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (amount(a, "invoice_id"), amount(a, "amount_minor")))
        .collect();
    assert_eq!(
        alloc,
        vec![(amount(&early, "id"), 200), (amount(&middle, "id"), 150)]
    );
    let (e, m, l) = (fx.get(&early), fx.get(&middle), fx.get(&late));
    assert_eq!(
        (e["status"].as_str(), amount(&e, "outstanding_minor")),
        (Some("paid"), 0)
    );
    assert_eq!(
        (m["status"].as_str(), amount(&m, "outstanding_minor")),
        (Some("partially_paid"), 250)
    );
    assert_eq!(
        (l["status"].as_str(), amount(&l, "outstanding_minor")),
        (Some("open"), 300)
    );

    // More than is owed: the rest stays as credit on account.
    let p2 = fx.pay(c, 600, None).unwrap();
    assert_eq!(amount(&p2, "allocated_minor"), 550);
    assert_eq!(amount(&p2, "unallocated_minor"), 50);
    assert_eq!(fx.balance(c), 900 - 950);
    let open = fx
        .call(
            "invoices.list",
            json!({ "customer_id": c, "status": "paid" }),
        )
        .unwrap();
    assert_eq!(open["invoices"].as_array().unwrap().len(), 3);
    // The ledger: Dr bank, Cr accounts receivable naming the customer.
    let entry = fx
        .shop
        .db
        .read(|conn| ledger::entry(conn, amount(&p2, "entry_id")))
        .unwrap();
    let lines: Vec<(String, i64, i64, Option<i64>)> = entry
        .lines
        .iter()
        .map(|l| {
            (
                l.account_code.clone(),
                l.debit_minor,
                l.credit_minor,
                l.customer_id,
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("1020".to_string(), 600, 0, None),
            ("1100".to_string(), 0, 600, Some(c))
        ]
    );
    verify_is_clean(&fx.shop.db);
}

#[test]
fn chosen_allocations_are_applied_exactly_and_credit_is_allocated_later() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let o1 = fx.account_sale(c, 3);
    let o2 = fx.account_sale(c, 2);
    let first = fx.invoice(c, &[o1], Some("2026-02-01")); // 300, due first
    let second = fx.invoice(c, &[o2], Some("2026-03-01")); // 200

    // Chosen: the later invoice, in part; the rest stays credit.
    let p = fx
        .pay(
            c,
            500,
            Some(json!([{ "invoice_id": second["id"], "amount_minor": 120 }])),
        )
        .unwrap();
    assert_eq!(amount(&p, "allocated_minor"), 120);
    assert_eq!(amount(&p, "unallocated_minor"), 380);
    assert_eq!(amount(&fx.get(&first), "outstanding_minor"), 300);
    assert_eq!(amount(&fx.get(&second), "outstanding_minor"), 80);
    let unallocated = fx
        .call(
            "customers.payments",
            json!({ "customer_id": c, "unallocated_only": true }),
        )
        .unwrap();
    assert_eq!(unallocated["payments"].as_array().unwrap().len(), 1);

    // Later, as chosen again…
    let a = fx
        .create(
            "invoices.allocate",
            json!({ "payment_id": p["id"], "allocations": [{ "invoice_id": first["id"], "amount_minor": 100 }] }),
        )
        .unwrap();
    assert_eq!(a["made"].as_array().unwrap().len(), 1);
    assert_eq!(amount(&a["made"][0], "amount_minor"), 100);
    assert_eq!(amount(&a["payment"], "unallocated_minor"), 280);
    // …then oldest due first with what is left: 200 to the first, 80 to the second.
    let a = fx
        .create("invoices.allocate", json!({ "payment_id": p["id"] }))
        .unwrap();
    let made: Vec<(i64, i64)> = a["made"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (amount(m, "invoice_id"), amount(m, "amount_minor")))
        .collect();
    assert_eq!(
        made,
        vec![(amount(&first, "id"), 200), (amount(&second, "id"), 80)]
    );
    assert_eq!(amount(&a["payment"], "unallocated_minor"), 0);
    assert_eq!(fx.get(&first)["status"], "paid");
    assert_eq!(fx.get(&second)["status"], "paid");
    // Nothing left to allocate.
    let r = fx.create("invoices.allocate", json!({ "payment_id": p["id"] }));
    assert_eq!(code(&r), "conflict");
    let empty = fx
        .call(
            "customers.payments",
            json!({ "customer_id": c, "unallocated_only": true }),
        )
        .unwrap();
    assert!(empty["payments"].as_array().unwrap().is_empty());
    verify_is_clean(&fx.shop.db);
}

#[test]
fn over_allocation_is_refused_naming_the_field_and_writes_nothing() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let other = fx.customer("Other");
    let o1 = fx.account_sale(c, 3);
    let o2 = fx.account_sale(other, 1);
    let inv = fx.invoice(c, &[o1], None); // 300
    let theirs = fx.invoice(other, &[o2], None);
    let before = snapshot(&fx.shop.db);

    let tries = [
        (
            400,
            json!([{ "invoice_id": inv["id"], "amount_minor": 301 }]),
            "allocations[0].amount_minor",
        ),
        (
            100,
            json!([{ "invoice_id": inv["id"], "amount_minor": 101 }]),
            "allocations",
        ),
        (
            100,
            json!([{ "invoice_id": theirs["id"], "amount_minor": 10 }]),
            "allocations[0].invoice_id",
        ),
        (
            100,
            json!([{ "invoice_id": 999, "amount_minor": 10 }]),
            "allocations[0].invoice_id",
        ),
        (
            100,
            json!([{ "invoice_id": inv["id"], "amount_minor": 0 }]),
            "allocations[0].amount_minor",
        ),
        (
            100,
            json!([{ "invoice_id": inv["id"], "amount_minor": 10 }, { "invoice_id": inv["id"], "amount_minor": 10 }]),
            "allocations[1].invoice_id",
        ),
        (0, json!([]), "amount_minor"),
    ];
    for (amount_minor, allocations, field) in tries {
        let r = fx.pay(c, amount_minor, Some(allocations.clone()));
        assert_eq!(
            field_of(&r),
            ("validation".into(), field.into()),
            "{allocations}"
        );
    }
    assert_eq!(before, snapshot(&fx.shop.db));

    // Allocating later: beyond what is left of the payment, or of the invoice.
    let p = fx.pay(c, 100, Some(json!([]))).unwrap();
    assert_eq!(amount(&p, "unallocated_minor"), 100);
    let r = fx.create(
        "invoices.allocate",
        json!({ "payment_id": p["id"], "allocations": [{ "invoice_id": inv["id"], "amount_minor": 101 }] }),
    );
    assert_eq!(field_of(&r), ("validation".into(), "allocations".into()));
    fx.pay(c, 250, None).unwrap(); // 250 of 300 now paid
    let r = fx.create(
        "invoices.allocate",
        json!({ "payment_id": p["id"], "allocations": [{ "invoice_id": inv["id"], "amount_minor": 51 }] }),
    );
    assert_eq!(
        field_of(&r),
        ("validation".into(), "allocations[0].amount_minor".into())
    );
    let r = fx.create("invoices.allocate", json!({ "payment_id": 999 }));
    assert_eq!(field_of(&r), ("validation".into(), "payment_id".into()));
    assert_eq!(amount(&fx.get(&inv), "outstanding_minor"), 50);
    verify_is_clean(&fx.shop.db);
}

// ---------------------------------------------------------------------------
// Refunds of invoiced orders
// ---------------------------------------------------------------------------

#[test]
fn refunds_before_invoicing_lower_the_total_and_after_it_are_credits() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let order = fx.sale(Some(c), 5, 500);
    fx.refund_units(&order, 1); // 100 back on account before the invoice
    let inv = fx.invoice(c, &[amount(&order, "id")], None);
    assert_eq!(amount(&inv, "total_minor"), 400);
    assert_eq!(amount(&inv["orders"][0], "refunded_before_minor"), 100);

    fx.refund_units(&order, 2); // 200 more, after: a credit on the invoice
    let v = fx.get(&inv);
    assert_eq!(amount(&v, "credited_minor"), 200);
    assert_eq!(amount(&v, "outstanding_minor"), 200);
    assert_eq!(v["status"], "partially_paid");
    assert_eq!(amount(&v["orders"][0], "refunded_after_minor"), 200);

    fx.pay(c, 200, None).unwrap();
    assert_eq!(fx.get(&inv)["status"], "paid");
    // A refund of a paid invoice's order: the customer is owed, on the invoice and the ledger.
    fx.refund_units(&order, 1);
    let v = fx.get(&inv);
    assert_eq!(amount(&v, "outstanding_minor"), -100);
    assert_eq!(v["status"], "paid");
    assert_eq!(fx.balance(c), -100);
    // A refund in full before invoicing leaves nothing to bill.
    let gone = fx.sale(Some(c), 1, 100);
    fx.refund_units(&gone, 1);
    let r = fx.create(
        "invoices.create",
        json!({ "customer_id": c, "order_ids": [gone["id"]] }),
    );
    assert_eq!(field_of(&r), ("validation".into(), "order_ids[0]".into()));
    verify_is_clean(&fx.shop.db);
}

// ---------------------------------------------------------------------------
// Aging and status at day boundaries
// ---------------------------------------------------------------------------

#[test]
fn aging_buckets_and_overdue_status_change_exactly_at_day_boundaries() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let o = fx.account_sale(c, 7);
    // Issued 2026-01-01, due the same day: overdue from 2026-01-02.
    let inv = fx.invoice(c, &[o], Some("2026-01-01"));
    assert_eq!(inv["status"], "open");

    let bucket_of = |report: &Value| -> (&'static str, i64) {
        let t = &report["totals"];
        for k in [
            "current_minor",
            "days_1_30_minor",
            "days_31_60_minor",
            "days_61_90_minor",
            "over_90_minor",
        ] {
            if amount(t, k) != 0 {
                return (k, amount(t, k));
            }
        }
        ("none", 0)
    };
    for (as_of, bucket) in [
        ("2025-12-31", "none"), // before the invoice was issued
        ("2026-01-01", "current_minor"),
        ("2026-01-02", "days_1_30_minor"),
        ("2026-01-31", "days_1_30_minor"),
        ("2026-02-01", "days_31_60_minor"),
        ("2026-03-02", "days_31_60_minor"),
        ("2026-03-03", "days_61_90_minor"),
        ("2026-04-01", "days_61_90_minor"),
        ("2026-04-02", "over_90_minor"),
    ] {
        let report = fx.aging(as_of);
        let expected = if bucket == "none" { 0 } else { 700 };
        assert_eq!(bucket_of(&report), (bucket, expected), "as of {as_of}");
        assert_eq!(amount(&report["totals"], "total_minor"), expected);
    }
    let row = &fx.aging("2026-02-01")["customers"][0];
    assert_eq!(amount(row, "customer_id"), c);
    assert_eq!(amount(row, "days_31_60_minor"), 700);
    assert_eq!(amount(row, "invoice_count"), 1);

    // The status follows the clock: the last millisecond of the due day is not
    // overdue, the first of the next day is.
    fx.at(START_MS + DAY_MS - 1);
    let v = fx.get(&inv);
    assert_eq!(
        (v["status"].as_str(), amount(&v, "days_past_due")),
        (Some("open"), 0)
    );
    fx.at(START_MS + DAY_MS);
    let v = fx.get(&inv);
    assert_eq!(
        (v["status"].as_str(), amount(&v, "days_past_due")),
        (Some("overdue"), 1)
    );
    let overdue = fx
        .call("invoices.list", json!({ "status": "overdue" }))
        .unwrap();
    assert_eq!(overdue["invoices"].as_array().unwrap().len(), 1);
    let today = fx.call("invoices.aging", json!({})).unwrap();
    assert_eq!(today["as_of"], "2026-01-02");
    assert_eq!(amount(&today["totals"], "days_1_30_minor"), 700);

    // A payment made on 2026-01-02 counts from that day on, not before.
    fx.pay(c, 300, None).unwrap();
    assert_eq!(
        amount(&fx.aging("2026-01-01")["totals"], "total_minor"),
        700
    );
    assert_eq!(
        amount(&fx.aging("2026-01-02")["totals"], "total_minor"),
        400
    );
    assert_eq!(fx.get(&inv)["status"], "overdue");
}

// ---------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------

#[test]
fn the_statement_runs_to_the_ledger_balance_across_pages() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let other = fx.customer("Other");
    let o1 = fx.sale(Some(c), 4, 400);
    fx.account_sale(other, 9); // not on this customer's statement
    let o2 = fx.sale(Some(c), 3, 100); // 100 on account, 200 cash
    fx.sale(Some(c), 2, 0); // cash only: not on the statement
    let inv = fx.invoice(c, &[amount(&o1, "id"), amount(&o2, "id")], None);
    fx.refund_units(&o1, 1); // 100 back on account
    fx.pay(c, 250, None).unwrap();
    fx.pay(c, 500, None).unwrap(); // 150 allocated, 350 credit

    let whole = fx
        .call("customers.statement", json!({ "customer_id": c }))
        .unwrap();
    let kinds: Vec<(&str, i64, i64)> = whole["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap(),
                amount(l, "debit_minor"),
                amount(l, "credit_minor"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("sale", 400, 0),
            ("sale", 100, 0),
            ("refund", 0, 100),
            ("payment", 0, 250),
            ("payment", 0, 500)
        ]
    );
    assert_eq!(whole["lines"][0]["invoice_number"], inv["number"]);
    assert_eq!(whole["lines"][2]["invoice_number"], inv["number"]);
    let balance = fx.balance(c);
    assert_eq!(balance, 500 - 100 - 750);
    assert_eq!(amount(&whole, "opening_balance_minor"), 0);
    assert_eq!(amount(&whole, "closing_balance_minor"), balance);
    assert_eq!(amount(&whole, "balance_minor"), balance);
    assert_eq!(amount(&whole, "unallocated_credit_minor"), 350);
    assert_eq!(amount(&fx.get(&inv), "outstanding_minor"), 0);

    // Two lines a page: each page opens where the last closed, the last ends at the ledger.
    let mut after: Option<i64> = None;
    let mut opening = 0;
    let mut pages = 0;
    loop {
        let page = fx
            .call(
                "customers.statement",
                json!({ "customer_id": c, "limit": 2, "after_entry_id": after }),
            )
            .unwrap();
        pages += 1;
        assert_eq!(amount(&page, "opening_balance_minor"), opening);
        opening = amount(&page, "closing_balance_minor");
        match page["next_after_entry_id"].as_i64() {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(opening, balance);

    // From a date: earlier movements open the balance.
    fx.at(START_MS + 1000);
    fx.account_sale(c, 1);
    let recent = fx
        .call(
            "customers.statement",
            json!({ "customer_id": c, "from_ms": START_MS + 1000 }),
        )
        .unwrap();
    assert_eq!(amount(&recent, "opening_balance_minor"), balance);
    assert_eq!(recent["lines"].as_array().unwrap().len(), 1);
    assert_eq!(amount(&recent, "closing_balance_minor"), fx.balance(c));
    let r = fx.call("customers.statement", json!({ "customer_id": 999 }));
    assert_eq!(code(&r), "not_found");
    verify_is_clean(&fx.shop.db);
}

// ---------------------------------------------------------------------------
// T05: one transaction each; T09 replay
// ---------------------------------------------------------------------------

#[test]
fn t05_invoice_create_is_atomic_under_injected_failure() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let a = fx.account_sale(c, 1);
    let b = fx.account_sale(c, 2);
    let Fx { shop, owner, .. } = &mut fx;
    let sweep = sweep_faults(
        shop,
        owner,
        "invoices.create",
        || json!({ "idempotency_key": key(), "customer_id": c, "order_ids": [a, b] }),
    );
    // counter, invoice, 2 orders, audit, outbox, idempotency.
    assert!(sweep.statements >= 7, "{} statements", sweep.statements);
    for rows in &sweep.audit_after_failure {
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].result, "failed");
    }
    assert_eq!(shop.count("invoices"), 1);
    assert_eq!(scalar(&shop.db, "SELECT number FROM invoices"), 1);
    chain_is_intact(&shop.db);
    verify_is_clean(&shop.db);
}

#[test]
fn t05_receive_payment_is_atomic_under_injected_failure() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let a = fx.account_sale(c, 1);
    let b = fx.account_sale(c, 2);
    fx.invoice(c, &[a], Some("2026-01-10"));
    fx.invoice(c, &[b], Some("2026-01-20"));
    let Fx { shop, owner, .. } = &mut fx;
    let sweep = sweep_faults(
        shop,
        owner,
        "customers.receive_payment",
        || json!({ "idempotency_key": key(), "customer_id": c, "amount_minor": 250, "tender": "cash" }),
    );
    // counter, entry counter, 2 lines, entry, payment, 2 allocations, audit, outbox, key.
    assert!(sweep.statements >= 11, "{} statements", sweep.statements);
    assert_eq!(shop.count("customer_payments"), 1);
    assert_eq!(shop.count("invoice_allocations"), 2);
    chain_is_intact(&shop.db);
    verify_is_clean(&shop.db);
}

#[test]
fn t05_allocate_is_atomic_under_injected_failure() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let a = fx.account_sale(c, 1);
    let b = fx.account_sale(c, 2);
    fx.invoice(c, &[a], None);
    fx.invoice(c, &[b], None);
    let p = fx.pay(c, 300, Some(json!([]))).unwrap();
    let Fx { shop, owner, .. } = &mut fx;
    let sweep = sweep_faults(
        shop,
        owner,
        "invoices.allocate",
        || json!({ "idempotency_key": key(), "payment_id": p["id"] }),
    );
    assert!(sweep.statements >= 5, "{} statements", sweep.statements);
    assert_eq!(shop.count("invoice_allocations"), 2);
    verify_is_clean(&shop.db);
}

#[test]
fn t09_a_replayed_payment_is_received_once() {
    const THREADS: usize = 10;
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let a = fx.account_sale(c, 5);
    fx.invoice(c, &[a], None);
    let args = json!({ "idempotency_key": key(), "customer_id": c, "amount_minor": 200, "tender": "card", "reference": "T-1" });
    let cmd = "customers.receive_payment";
    let results = replayed_at_once(&fx.shop, &fx.owner, THREADS, cmd, &args);
    one_answer(&results, "a replayed payment");
    assert_eq!(fx.shop.count("customer_payments"), 1);
    assert_eq!(fx.balance(c), 300);
    verify_is_clean(&fx.shop.db);
}

// ---------------------------------------------------------------------------
// The schema's own guards; verify
// ---------------------------------------------------------------------------

#[test]
fn t31_invoices_payments_and_allocations_are_append_only_and_guarded() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let other = fx.customer("Other");
    let a = fx.account_sale(c, 2);
    let b = fx.account_sale(other, 1);
    let b2 = fx.account_sale(other, 1);
    let inv = fx.invoice(c, &[a], None);
    let theirs = fx.invoice(other, &[b], None);
    let p = fx.pay(c, 300, Some(json!([]))).unwrap();
    let (inv, theirs, p) = (amount(&inv, "id"), amount(&theirs, "id"), amount(&p, "id"));

    for sql in [
        "UPDATE invoices SET total_minor = 1".to_string(),
        "DELETE FROM invoices".into(),
        "UPDATE invoice_orders SET amount_minor = 1".into(),
        "DELETE FROM invoice_orders".into(),
        "UPDATE customer_payments SET amount_minor = 1".into(),
        "DELETE FROM customer_payments".into(),
        // Beyond the invoice's total, beyond the payment, across customers.
        format!("INSERT INTO invoice_allocations (payment_id, invoice_id, amount_minor, allocated_at_ms, user_id) VALUES ({p}, {inv}, 201, 0, 1)"),
        format!("INSERT INTO invoice_allocations (payment_id, invoice_id, amount_minor, allocated_at_ms, user_id) VALUES ({p}, {theirs}, 10, 0, 1)"),
        // Another customer's order on an invoice.
        format!("INSERT INTO invoice_orders (invoice_id, order_id, on_account_minor, refunded_before_minor, amount_minor) VALUES ({inv}, {b2}, 100, 0, 100)"),
    ] {
        let r = fx.shop.db.write(|tx| {
            tx.execute(&sql, [])?;
            Ok(())
        });
        assert!(r.is_err(), "{sql} must be refused");
    }
    fx.shop
        .db
        .write(|tx| {
            tx.execute(
                &format!("INSERT INTO invoice_allocations (payment_id, invoice_id, amount_minor, allocated_at_ms, user_id) VALUES ({p}, {inv}, 200, 0, 1)"),
                [],
            )?;
            Ok(())
        })
        .unwrap();
    for sql in [
        "UPDATE invoice_allocations SET amount_minor = 1",
        "DELETE FROM invoice_allocations",
    ] {
        let r = fx.shop.db.write(|tx| {
            tx.execute(sql, [])?;
            Ok(())
        });
        assert!(r.is_err(), "{sql} must be refused");
    }
    verify_is_clean(&fx.shop.db);
}

#[test]
fn verify_reports_an_invoice_that_differs_from_its_orders_and_a_gap() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let a = fx.account_sale(c, 2);
    fx.invoice(c, &[a], None);
    fx.pay(c, 50, None).unwrap();
    verify_is_clean(&fx.shop.db);
    fx.shop
        .db
        .write(|tx| {
            tx.execute("DROP TRIGGER invoices_no_update", [])?;
            tx.execute("UPDATE invoices SET total_minor = total_minor + 1", [])?;
            tx.execute(
                "UPDATE counters SET value = value + 1 WHERE name = 'customer_payments'",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    let problems = tillbook_core::ops::verify::run(&fx.shop.db)
        .unwrap()
        .problems;
    let text = format!("{problems:?}");
    assert!(
        text.contains("invoice(s) differ from the sums of their orders"),
        "{text}"
    );
    assert!(
        text.contains("customer_payments.number is not gapless"),
        "{text}"
    );
}

#[test]
fn verify_is_clean_after_a_run_of_invoicing() {
    let mut fx = Fx::new();
    let customers: Vec<i64> = (0..3).map(|i| fx.customer(&format!("C{i}"))).collect();
    for round in 0..4i64 {
        for (i, &c) in customers.iter().enumerate() {
            let a = fx.account_sale(c, 1 + round);
            let b = fx.sale(Some(c), 2 + i as i64, 100);
            if round % 2 == 1 {
                fx.refund_units(&b, 1);
            }
            fx.invoice(c, &[a, amount(&b, "id")], None);
            fx.pay(c, 150 + 10 * round, None).unwrap();
        }
        fx.at(START_MS + (round + 1) * 20 * DAY_MS);
    }
    let report = fx.call("invoices.aging", json!({})).unwrap();
    let mut sum = 0;
    for &c in &customers {
        let st = fx
            .call("customers.statement", json!({ "customer_id": c }))
            .unwrap();
        assert_eq!(amount(&st, "closing_balance_minor"), fx.balance(c));
        // What the customer owes = outstanding on invoices − unallocated credit
        // (everything sold on account here was invoiced).
        let outstanding: i64 = fx
            .call("invoices.list", json!({ "customer_id": c, "limit": 200 }))
            .unwrap()["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| amount(i, "outstanding_minor"))
            .sum();
        assert_eq!(
            outstanding - amount(&st, "unallocated_credit_minor"),
            fx.balance(c)
        );
        sum += outstanding;
    }
    assert_eq!(amount(&report["totals"], "total_minor"), sum);
    verify_is_clean(&fx.shop.db);
    chain_is_intact(&fx.shop.db);
}

#[test]
fn a_cashier_may_neither_invoice_nor_take_payments_on_account() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    let o = fx.account_sale(c, 1);
    let mut cashier = fx.shop.session_as(&mut fx.owner, "cashier");
    for (cmd, args) in [
        (
            "invoices.create",
            json!({ "idempotency_key": key(), "customer_id": c, "order_ids": [o] }),
        ),
        (
            "customers.receive_payment",
            json!({ "idempotency_key": key(), "customer_id": c, "amount_minor": 10, "tender": "cash" }),
        ),
        ("invoices.aging", json!({})),
        ("customers.statement", json!({ "customer_id": c })),
    ] {
        let r = fx.shop.call(&mut cashier, cmd, args);
        assert_eq!(code(&r), "forbidden", "{cmd}");
    }
    assert_eq!(fx.shop.count("invoices"), 0);
    assert_eq!(fx.shop.count("customer_payments"), 0);
}

#[test]
fn a_voided_sale_is_not_invoiceable_and_the_ledger_still_agrees() {
    let mut fx = Fx::new();
    let c = fx.customer("Acme");
    open_shift(&fx.shop, &mut fx.owner, 0).unwrap();
    let kept = fx.account_sale(c, 2);
    let voided = fx.account_sale(c, 3);
    void(
        &fx.shop,
        &mut fx.owner,
        voided,
        "rang up the wrong customer",
    )
    .unwrap();
    let r = fx.create(
        "invoices.create",
        json!({ "customer_id": c, "order_ids": [kept, voided] }),
    );
    assert_eq!(field_of(&r), ("validation".into(), "order_ids[1]".into()));
    let left = fx
        .call("invoices.invoiceable", json!({ "customer_id": c }))
        .unwrap();
    assert_eq!(left["orders"].as_array().unwrap().len(), 1);
    fx.invoice(c, &[kept], None);
    let st = fx
        .call("customers.statement", json!({ "customer_id": c }))
        .unwrap();
    let kinds: Vec<&str> = st["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["sale", "sale", "void"]);
    assert_eq!(amount(&st, "closing_balance_minor"), 200);
    assert_eq!(fx.balance(c), 200);
    verify_is_clean(&fx.shop.db);
}

#[test]
fn an_invoiced_sale_can_not_be_voided_only_refunded() {
    let mut fx = Fx::new();
    let c = fx.customer("Billed Ltd");
    open_shift(&fx.shop, &mut fx.owner, 0).unwrap();
    let order = fx.account_sale(c, 2);
    fx.invoice(c, &[order], None);
    let before = snapshot(&fx.shop.db);
    let r = void(
        &fx.shop,
        &mut fx.owner,
        order,
        "customer changed their mind",
    );
    assert_eq!(code(&r), "conflict", "{r:?}");
    assert!(r.unwrap_err().to_string().contains("invoice 1"));
    let d = diff(&before, &snapshot(&fx.shop.db));
    // Only the audit row of the refusal was added.
    assert!(
        d.lines()
            .all(|l| l.contains("audit_log") || l.trim().is_empty()),
        "{d}"
    );
    verify_is_clean(&fx.shop.db);
}
