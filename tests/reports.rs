//! Reports: sales by day, hour, product, cashier and tender with
//! exact figures over a small known set of sales and a refund made through the
//! dispatcher; local-time bucketing across a day boundary; margin = net − cost;
//! stock valuation = Σ on_hand × unit_cost; access; ranges refused by field;
//! and the streaming CSV export (T33) equal to the sum of the lines.

use crate::support::checks::{code, scalar};
use crate::support::fixtures::{cash, ensure_drawer, product, receive, sale, void, Refund};
use crate::support::{self, Shop, OWNER, OWNER_PASSWORD, START_MS};
use serde_json::{json, Value};
use tillbook_core::reports::{self, DAY_MS, HOUR_MS, SALES_CSV_HEADER};
use tillbook_core::{Error, Session};

const A_PRICE: i64 = 1000; // standard tax, 20 %
const A_COST: i64 = 400;
const B_PRICE: i64 = 500; // reduced tax, 5 %
const B_COST: i64 = 200;

/// The known set: three sales on 1–2 January 2026 (UTC) and one refund.
///
/// | order | when (UTC)       | by      | lines                    | paid            |
/// |-------|------------------|---------|--------------------------|-----------------|
/// | 1     | 01-01 10:00      | owner   | A×2                      | cash 2400       |
/// | 2     | 01-01 23:30      | cashier | A×1, B×3                 | card 2775       |
/// | 3     | 01-02 12:00      | owner   | B×2 with 100 off         | cash 1000 (55 change) |
/// | refund| 01-02 13:00      | owner   | 1 A of order 1, restock  | cash 1200       |
struct Known {
    shop: Shop,
    owner: Option<Session>,
    cashier_name: String,
    cashier_id: i64,
    owner_id: i64,
    a: i64,
    b: i64,
}

/// Moves the clock and logs in again (the idle lock would hold a stale session).
fn at(shop: &Shop, ms: i64, user: &str, password: &str) -> Option<Session> {
    shop.clock.set_ms(ms);
    shop.login(user, password).unwrap()
}

fn known() -> Known {
    let (shop, mut owner) = Shop::with_owner();
    let a = product(&shop, &mut owner, "A", A_PRICE, "standard");
    let b = product(&shop, &mut owner, "B", B_PRICE, "reduced");
    receive(&shop, &mut owner, a, 10, A_COST);
    receive(&shop, &mut owner, b, 10, B_COST);
    let cashier_name = "till-1".to_string();
    let cashier_id = shop.create_user(&mut owner, &cashier_name, "cashier");
    let owner_id = scalar(
        &shop.db,
        &format!("SELECT id FROM users WHERE username = '{OWNER}'"),
    );
    let cashier_pw = support::password_of(&cashier_name);

    let mut s = at(&shop, START_MS + 10 * HOUR_MS, OWNER, OWNER_PASSWORD);
    let o1 = sale(
        &shop,
        &mut s,
        json!([{ "product_id": a, "quantity": 2 }]),
        json!([cash(2400)]),
    );
    assert_eq!(o1["total_minor"], 2400);

    let mut c = at(
        &shop,
        START_MS + 23 * HOUR_MS + 30 * 60_000,
        &cashier_name,
        &cashier_pw,
    );
    let o2 = sale(
        &shop,
        &mut c,
        json!([{ "product_id": a, "quantity": 1 }, { "product_id": b, "quantity": 3 }]),
        json!([{ "tender": "card", "amount_minor": 2775, "reference": "T-1" }]),
    );
    assert_eq!(o2["total_minor"], 2775);

    let mut s = at(
        &shop,
        START_MS + DAY_MS + 12 * HOUR_MS,
        OWNER,
        OWNER_PASSWORD,
    );
    let o3 = sale(
        &shop,
        &mut s,
        json!([{ "product_id": b, "quantity": 2, "discount_minor": 100 }]),
        json!([cash(1000)]),
    );
    assert_eq!(o3["total_minor"], 945);

    let mut s = at(
        &shop,
        START_MS + DAY_MS + 13 * HOUR_MS,
        OWNER,
        OWNER_PASSWORD,
    );
    let r = Refund::of(&o1["id"], "changed their mind")
        .line(&o1["lines"][0]["id"], 1, "restock")
        .submit(&shop, &mut s)
        .unwrap();
    assert_eq!(r["total_minor"], 1200);
    Known {
        shop,
        owner: s,
        cashier_name,
        cashier_id,
        owner_id,
        a,
        b,
    }
}

fn report(k: &mut Known, args: Value) -> Result<Value, Error> {
    k.shop.call(&mut k.owner, "reports.sales", args)
}

fn two_days(group_by: &str, tz: i64) -> Value {
    json!({
        "from_ms": START_MS - DAY_MS,
        "to_ms": START_MS + 3 * DAY_MS,
        "group_by": group_by,
        "tz_offset_minutes": tz,
    })
}

/// The figures of a row as a compact array:
/// [orders, units, discount, net, tax, total, cost, margin,
///  refunds, refunded units, refund net, refund tax, refund total, refund cost,
///  net after refunds, margin after refunds]
fn figures(row: &Value) -> Vec<Value> {
    [
        "orders",
        "units",
        "discount_minor",
        "net_minor",
        "tax_minor",
        "total_minor",
        "cost_minor",
        "margin_minor",
        "refunds",
        "refunded_units",
        "refund_net_minor",
        "refund_tax_minor",
        "refund_total_minor",
        "refund_cost_minor",
        "net_after_refunds_minor",
        "margin_after_refunds_minor",
    ]
    .iter()
    .map(|f| row[*f].clone())
    .collect()
}

fn nums(v: [i64; 16]) -> Vec<Value> {
    v.iter().map(|n| json!(n)).collect()
}

const TOTALS: [i64; 16] = [
    3, 8, 100, 5400, 720, 6120, 2200, 3200, 1, 1, 1000, 200, 1200, 400, 4400, 2600,
];

#[test]
fn sales_by_day_in_utc_has_exact_figures_and_refunds_as_their_own_columns() {
    let mut k = known();
    let r = report(&mut k, two_days("day", 0)).unwrap();
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{r:#}");
    assert_eq!(rows[0]["key"], "2026-01-01");
    assert_eq!(rows[0]["bucket_start_ms"], START_MS);
    assert_eq!(
        figures(&rows[0]),
        nums([2, 6, 0, 4500, 675, 5175, 1800, 2700, 0, 0, 0, 0, 0, 0, 4500, 2700])
    );
    assert_eq!(rows[1]["key"], "2026-01-02");
    assert_eq!(rows[1]["bucket_start_ms"], START_MS + DAY_MS);
    assert_eq!(
        figures(&rows[1]),
        nums([1, 2, 100, 900, 45, 945, 400, 500, 1, 1, 1000, 200, 1200, 400, -100, -100])
    );
    assert_eq!(figures(&r["totals"]), nums(TOTALS));
    assert_eq!(r["truncated"], false);
}

#[test]
fn day_buckets_follow_the_shops_offset_across_midnight() {
    let mut k = known();
    // UTC+1: order 2 (23:30 UTC) was sold at 00:30 on 2 January, local time.
    let r = report(&mut k, two_days("day", 60)).unwrap();
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["key"], "2026-01-01");
    assert_eq!(rows[0]["bucket_start_ms"], START_MS - HOUR_MS);
    assert_eq!(
        figures(&rows[0]),
        nums([1, 2, 0, 2000, 400, 2400, 800, 1200, 0, 0, 0, 0, 0, 0, 2000, 1200])
    );
    assert_eq!(rows[1]["key"], "2026-01-02");
    assert_eq!(rows[1]["bucket_start_ms"], START_MS + DAY_MS - HOUR_MS);
    assert_eq!(
        figures(&rows[1]),
        nums([2, 6, 100, 3400, 320, 3720, 1400, 2000, 1, 1, 1000, 200, 1200, 400, 2400, 1400])
    );
    // UTC−1: nothing crosses midnight; the buckets start an hour later.
    let r = report(&mut k, two_days("day", -60)).unwrap();
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows[0]["bucket_start_ms"], START_MS + HOUR_MS);
    assert_eq!(rows[0]["orders"], 2);
    assert_eq!(rows[1]["orders"], 1);
    // The offset moves the buckets, never the totals.
    assert_eq!(figures(&r["totals"]), nums(TOTALS));
}

#[test]
fn hour_buckets_are_local_hours_even_at_half_hour_offsets() {
    let mut k = known();
    let r = report(&mut k, two_days("hour", 0)).unwrap();
    let keys: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "2026-01-01 10:00",
            "2026-01-01 23:00",
            "2026-01-02 12:00",
            "2026-01-02 13:00"
        ]
    );
    // The refund's hour has the refund and no sales.
    assert_eq!(
        figures(&r["rows"][3]),
        nums([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1000, 200, 1200, 400, -1000, -600])
    );
    // UTC+05:30: order 2 at 23:30 UTC is 05:00 on 2 January locally; the
    // bucket is the local hour, which starts on the half hour in UTC.
    let r = report(&mut k, two_days("hour", 330)).unwrap();
    let row = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "2026-01-02 05:00")
        .cloned()
        .unwrap_or_else(|| panic!("no 05:00 bucket in {r:#}"));
    assert_eq!(
        row["bucket_start_ms"],
        START_MS + 23 * HOUR_MS + 30 * 60_000
    );
    assert_eq!(row["orders"], 1);
    assert_eq!(row["total_minor"], 2775);
}

#[test]
fn sales_by_product_have_exact_figures_biggest_first_and_limit_cuts_rows_not_totals() {
    let mut k = known();
    let r = report(&mut k, two_days("product", 0)).unwrap();
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], k.a);
    assert_eq!(rows[0]["key"], k.a.to_string());
    assert_eq!(rows[0]["label"], "A · Product A");
    assert_eq!(
        figures(&rows[0]),
        nums([2, 3, 0, 3000, 600, 3600, 1200, 1800, 1, 1, 1000, 200, 1200, 400, 2000, 1200])
    );
    assert_eq!(rows[1]["id"], k.b);
    assert_eq!(
        figures(&rows[1]),
        nums([2, 5, 100, 2400, 120, 2520, 1000, 1400, 0, 0, 0, 0, 0, 0, 2400, 1400])
    );
    assert_eq!(r["truncated"], false);

    let mut args = two_days("product", 0);
    args["limit"] = json!(1);
    let r = report(&mut k, args).unwrap();
    assert_eq!(r["rows"].as_array().unwrap().len(), 1);
    assert_eq!(r["rows"][0]["id"], k.a);
    assert_eq!(r["truncated"], true);
    assert_eq!(figures(&r["totals"]), nums(TOTALS));
}

#[test]
fn sales_by_cashier_and_by_tender_have_exact_figures() {
    let mut k = known();
    let r = report(&mut k, two_days("cashier", 0)).unwrap();
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], k.owner_id);
    assert_eq!(rows[0]["label"], "Olive Owner");
    // The owner sold orders 1 and 3 and gave the refund.
    assert_eq!(
        figures(&rows[0]),
        nums([2, 4, 100, 2900, 445, 3345, 1200, 1700, 1, 1, 1000, 200, 1200, 400, 1900, 1100])
    );
    assert_eq!(rows[1]["id"], k.cashier_id);
    assert_eq!(rows[1]["label"], format!("User {}", k.cashier_name));
    assert_eq!(
        figures(&rows[1]),
        nums([1, 4, 0, 2500, 275, 2775, 1000, 1500, 0, 0, 0, 0, 0, 0, 2500, 1500])
    );

    let r = report(&mut k, two_days("tender", 0)).unwrap();
    let rows = r["rows"].as_array().unwrap();
    let short = |row: &Value| {
        (
            row["key"].as_str().unwrap().to_string(),
            row["orders"].as_i64().unwrap(),
            row["total_minor"].as_i64().unwrap(),
            row["refunds"].as_i64().unwrap(),
            row["refund_total_minor"].as_i64().unwrap(),
        )
    };
    assert_eq!(
        rows.iter().map(short).collect::<Vec<_>>(),
        [
            ("card".to_string(), 1, 2775, 0, 0),
            // Cash settles 2400 + 945 (the 55 of change is not takings).
            ("cash".to_string(), 2, 3345, 1, 1200),
        ]
    );
    // A payment is not split over lines: those columns are null, not zero.
    for col in [
        "units",
        "net_minor",
        "tax_minor",
        "cost_minor",
        "margin_minor",
    ] {
        assert!(rows[0][col].is_null(), "{col}: {}", rows[0][col]);
    }
    assert_eq!(figures(&r["totals"]), nums(TOTALS));
}

#[test]
fn margin_is_net_minus_the_batch_cost_recorded_on_each_line() {
    let mut k = known();
    let line_cost = scalar(&k.shop.db, "SELECT sum(cost_minor) FROM order_lines");
    let line_net = scalar(&k.shop.db, "SELECT sum(net_minor) FROM order_lines");
    for g in ["day", "hour", "product", "cashier"] {
        let r = report(&mut k, two_days(g, 0)).unwrap();
        let mut cost = 0;
        for row in r["rows"].as_array().unwrap().iter().chain([&r["totals"]]) {
            let (net, c) = (
                row["net_minor"].as_i64().unwrap(),
                row["cost_minor"].as_i64().unwrap(),
            );
            assert_eq!(row["margin_minor"], net - c, "{g}: {row}");
            cost += c;
        }
        assert_eq!(cost, 2 * line_cost, "{g}: rows + totals");
    }
    assert_eq!((line_net, line_cost), (5400, 2200));
    // The ledger agrees: revenue less discounts and cost of goods sold,
    // refunds included.
    let ledger_margin = scalar(
        &k.shop.db,
        "SELECT sum(l.credit_minor - l.debit_minor)
         FROM journal_lines l JOIN accounts a ON a.id = l.account_id
         WHERE a.code IN ('4000', '4100', '5000')",
    );
    assert_eq!(ledger_margin, TOTALS[15]);
}

#[test]
fn a_range_cuts_by_when_the_sale_or_refund_happened() {
    let mut k = known();
    // From 11:00 on 1 January to noon on 2 January: order 2 only.
    let r = report(
        &mut k,
        json!({
            "from_ms": START_MS + 11 * HOUR_MS,
            "to_ms": START_MS + DAY_MS + 12 * HOUR_MS,
            "group_by": "day",
        }),
    )
    .unwrap();
    assert_eq!(r["totals"]["orders"], 1);
    assert_eq!(r["totals"]["total_minor"], 2775);
    assert_eq!(r["totals"]["refunds"], 0);
    // `to_ms` is exclusive, `from_ms` inclusive: the refund at 13:00 sharp.
    let at13 = START_MS + DAY_MS + 13 * HOUR_MS;
    let r = report(
        &mut k,
        json!({ "from_ms": at13, "to_ms": at13 + 1, "group_by": "tender" }),
    )
    .unwrap();
    assert_eq!(r["totals"]["orders"], 0);
    assert_eq!(r["totals"]["refund_total_minor"], 1200);
    let r = report(
        &mut k,
        json!({ "from_ms": at13 - 1, "to_ms": at13, "group_by": "tender" }),
    )
    .unwrap();
    assert_eq!(r["rows"], json!([]));
    assert_eq!(r["totals"]["refunds"], 0);
}

#[test]
fn stock_valuation_is_the_sum_of_on_hand_times_unit_cost_paged_by_product() {
    let mut k = known();
    // A second batch of A at another cost; a product with no stock.
    receive(&k.shop, &mut k.owner, k.a, 5, 450);
    product(&k.shop, &mut k.owner, "C", 300, "zero");
    let v = k
        .shop
        .call(&mut k.owner, "reports.stock_valuation", json!({}))
        .unwrap();
    // A: 10 − 3 sold + 1 restocked = 8 at 400, plus 5 at 450; B: 10 − 5 at 200.
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v:#}");
    assert_eq!(
        (
            &rows[0]["product_id"],
            &rows[0]["batches"],
            &rows[0]["on_hand"],
            &rows[0]["value_minor"]
        ),
        (
            &json!(k.a),
            &json!(2),
            &json!(13),
            &json!(8 * 400 + 5 * 450)
        )
    );
    assert_eq!(
        (
            &rows[1]["product_id"],
            &rows[1]["on_hand"],
            &rows[1]["value_minor"]
        ),
        (&json!(k.b), &json!(5), &json!(5 * 200))
    );
    assert_eq!(v["total_products"], 2);
    assert_eq!(v["total_on_hand"], 18);
    assert_eq!(v["total_value_minor"], 6450);
    assert_eq!(
        v["total_value_minor"],
        scalar(
            &k.shop.db,
            "SELECT sum(on_hand * unit_cost_minor) FROM batches"
        )
    );
    assert!(v["next_after_product_id"].is_null());

    let p1 = k
        .shop
        .call(
            &mut k.owner,
            "reports.stock_valuation",
            json!({ "limit": 1 }),
        )
        .unwrap();
    assert_eq!(p1["rows"].as_array().unwrap().len(), 1);
    assert_eq!(p1["next_after_product_id"], k.a);
    assert_eq!(p1["total_value_minor"], 6450);
    let p2 = k
        .shop
        .call(
            &mut k.owner,
            "reports.stock_valuation",
            json!({ "limit": 1, "after_product_id": p1["next_after_product_id"] }),
        )
        .unwrap();
    assert_eq!(p2["rows"][0]["product_id"], k.b);
    assert!(p2["next_after_product_id"].is_null());
}

#[test]
fn reports_are_refused_to_a_cashier_and_allowed_to_a_manager() {
    let (shop, mut owner) = Shop::with_owner();
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let mut manager = shop.session_as(&mut owner, "manager");
    let args = json!({ "from_ms": START_MS, "to_ms": START_MS + DAY_MS, "group_by": "day" });
    for (cmd, a) in [
        ("reports.sales", args.clone()),
        ("reports.stock_valuation", json!({})),
    ] {
        let r = shop.call(&mut cashier, cmd, a.clone());
        assert_eq!(code(&r), "forbidden", "{cmd}");
        assert_eq!(code(&shop.call(&mut manager, cmd, a)), "ok", "{cmd}");
    }
    // Refusals of access are audited (D08).
    let audited = shop.audit_rows("reports.sales");
    assert!(
        audited.iter().any(|r| r["result"] == "refused"),
        "{audited:?}"
    );
}

#[test]
fn bad_ranges_and_arguments_are_refused_naming_the_field() {
    let (shop, mut owner) = Shop::with_owner();
    let cases = [
        (
            json!({ "from_ms": START_MS, "to_ms": START_MS, "group_by": "day" }),
            "to_ms",
        ),
        (
            json!({ "from_ms": START_MS, "to_ms": START_MS - 1, "group_by": "day" }),
            "to_ms",
        ),
        (
            json!({ "from_ms": -5, "to_ms": START_MS, "group_by": "day" }),
            "from_ms",
        ),
        (
            json!({ "from_ms": START_MS, "to_ms": START_MS + 401 * DAY_MS, "group_by": "day" }),
            "to_ms",
        ),
        (
            json!({ "from_ms": START_MS, "to_ms": START_MS + 41 * DAY_MS, "group_by": "hour" }),
            "to_ms",
        ),
        (
            json!({ "from_ms": START_MS, "to_ms": START_MS + DAY_MS, "group_by": "day",
                    "tz_offset_minutes": 900 }),
            "tz_offset_minutes",
        ),
        (
            json!({ "from_ms": START_MS, "to_ms": START_MS + DAY_MS, "group_by": "product",
                    "limit": 1001 }),
            "limit",
        ),
        (
            json!({ "from_ms": START_MS, "to_ms": START_MS + DAY_MS, "group_by": "week" }),
            "group_by",
        ),
        (
            json!({ "from_ms": START_MS, "to_ms": START_MS + DAY_MS, "group_by": "day",
                    "total_minor": 1 }),
            "total_minor",
        ),
    ];
    for (args, field) in cases {
        let r = shop.call(&mut owner, "reports.sales", args.clone());
        let e = r.expect_err(&format!("{args} was accepted"));
        assert_eq!(e.code().as_str(), "validation", "{args}");
        assert_eq!(e.details()["field"], field, "{args}: {e}");
    }
    for (args, field) in [
        (json!({ "limit": 201 }), "limit"),
        (json!({ "after_product_id": 0 }), "after_product_id"),
    ] {
        let e = shop
            .call(&mut owner, "reports.stock_valuation", args.clone())
            .expect_err("accepted");
        assert_eq!(e.details()["field"], field, "{args}: {e}");
    }
}

#[test]
fn t33_csv_export_streams_every_line_and_equals_the_sum_of_the_lines() {
    let k = known();
    let mut out = Vec::new();
    let n = k
        .shop
        .db
        .read(|c| reports::export_sales_csv(c, START_MS, START_MS + 2 * DAY_MS, &mut out))
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(SALES_CSV_HEADER));
    let header: Vec<&str> = SALES_CSV_HEADER.split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(n, 4);
    assert_eq!(
        rows.len() as i64,
        scalar(&k.shop.db, "SELECT count(*) FROM order_lines")
    );
    let sum = |name: &str| -> i64 {
        rows.iter()
            .map(|r| r[col(name)].parse::<i64>().unwrap())
            .sum()
    };
    for (name, column) in [
        ("quantity", "quantity"),
        ("gross_minor", "gross_minor"),
        ("discount_minor", "discount_minor"),
        ("net_minor", "net_minor"),
        ("tax_minor", "tax_minor"),
        ("total_minor", "total_minor"),
        ("cost_minor", "cost_minor"),
    ] {
        assert_eq!(
            sum(name),
            scalar(
                &k.shop.db,
                &format!("SELECT sum({column}) FROM order_lines")
            ),
            "{name}"
        );
    }
    assert_eq!(sum("total_minor"), TOTALS[5]);
    // Oldest first, each order's lines in order, with a readable UTC time.
    assert_eq!(rows[0][col("order_number")], "1");
    assert_eq!(rows[0][col("created_at")], "2026-01-01T10:00:00.000Z");
    assert_eq!(
        rows.iter()
            .map(|r| (r[col("order_number")], r[col("line_no")]))
            .collect::<Vec<_>>(),
        [("1", "1"), ("2", "1"), ("2", "2"), ("3", "1")]
    );
    assert_eq!(rows[1][col("sku")], "A");
    assert_eq!(rows[1][col("cashier_id")], k.cashier_id.to_string());

    // An empty range is the header alone; a bad range is refused by field.
    let mut out = Vec::new();
    let n = k
        .shop
        .db
        .read(|c| reports::export_sales_csv(c, 0, 1, &mut out))
        .unwrap();
    assert_eq!(
        (n, String::from_utf8(out).unwrap()),
        (0, format!("{SALES_CSV_HEADER}\n"))
    );
    let e = k
        .shop
        .db
        .read(|c| reports::export_sales_csv(c, 10, 5, &mut Vec::new()))
        .unwrap_err();
    assert_eq!(e.details()["field"], "to_ms");
}

#[test]
fn a_voided_sale_is_left_out_of_reports_and_the_export() {
    let k = known();
    let mut s = at(
        &k.shop,
        START_MS + 2 * DAY_MS + 9 * HOUR_MS,
        OWNER,
        OWNER_PASSWORD,
    );
    // The drawer is open already (cash needs it): the fixture opened it.
    ensure_drawer(&k.shop, &mut s);
    let sold = sale(
        &k.shop,
        &mut s,
        json!([{ "product_id": k.a, "quantity": 1 }]),
        json!([cash(1200)]),
    );
    let wide = json!({
        "from_ms": START_MS - DAY_MS, "to_ms": START_MS + 4 * DAY_MS, "group_by": "tender",
    });
    let before = k.shop.call(&mut s, "reports.sales", wide.clone()).unwrap();
    assert_eq!(before["totals"]["orders"], TOTALS[0] + 1);
    void(&k.shop, &mut s, &sold["id"], "wrong item").unwrap();
    let after = k.shop.call(&mut s, "reports.sales", wide).unwrap();
    assert_eq!(figures(&after["totals"]), nums(TOTALS));
    assert_eq!(
        after["rows"][1]["total_minor"], 3345,
        "cash without the void"
    );
    let mut out = Vec::new();
    let n = k
        .shop
        .db
        .read(|c| reports::export_sales_csv(c, START_MS, START_MS + 4 * DAY_MS, &mut out))
        .unwrap();
    assert_eq!(n, 4);
}

#[test]
fn t33_the_cli_export_streams_the_same_csv_and_refuses_a_bad_date() {
    let k = known();
    let mut expected = Vec::new();
    k.shop
        .db
        .read(|c| reports::export_sales_csv(c, START_MS, START_MS + 2 * DAY_MS, &mut expected))
        .unwrap();
    let run = |from: &str, to: &str| {
        crate::support::tillbook_on(&k.shop.path)
            .args(["export", "sales-lines", "--from", from, "--to", to])
            .output()
            .unwrap()
    };
    // START_MS is 2026-01-01T00:00Z; `--to` is included.
    let out = run("2026-01-01", "2026-01-02");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(expected).unwrap()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 order lines exported"));
    let bad = run("2026-02-30", "2026-03-01");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--from"));
}
