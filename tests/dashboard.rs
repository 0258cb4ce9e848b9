//! Home's dashboard (`dashboard.today`) over a known week with a fixed clock:
//! exact figures with a refund, a void, an open shift, an overdue invoice and
//! a low product; the local day moved by the shop's offset across midnight;
//! bad inputs refused naming the field; access per role; and the
//! getting-started checklist's ticks, audited and atomic (T05).

use crate::support::checks::{code, expect_validation, field_of, scalar};
use crate::support::faults::{chain_is_intact, sweep_faults};
use crate::support::fixtures::{
    card, card_sales_without_shift, cash, customer_on_account, open_shift, submit, void, Batch,
    Product, Refund,
};
use crate::support::{Shop, OWNER, OWNER_PASSWORD, START_MS};
use serde_json::{json, Value};
use tillbook_core::reports::{DAY_MS, HOUR_MS};
use tillbook_core::Session;

const MINUTE_MS: i64 = 60_000;
/// Thursday 2026-01-08 00:00 UTC: "today"; START_MS (Thursday 2026-01-01) is a week before.
const TODAY_MS: i64 = START_MS + 7 * DAY_MS;

/// Moves the clock and signs the owner in again (the idle lock would hold a stale session).
fn owner_at(shop: &Shop, ms: i64) -> Option<Session> {
    shop.clock.set_ms(ms);
    shop.login(OWNER, OWNER_PASSWORD).unwrap()
}

fn dash(shop: &Shop, s: &mut Option<Session>, tz: i32) -> Value {
    shop.call(s, "dashboard.today", json!({ "tz_offset_minutes": tz }))
        .unwrap()
}

fn i(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"))
}

fn checkout(shop: &Shop, s: &mut Option<Session>, lines: Value, payments: Value) -> Value {
    submit(
        shop,
        s,
        "sales.checkout",
        json!({ "lines": lines, "payments": payments }),
    )
    .unwrap()
}

struct Week {
    shop: Shop,
    a: i64,
    b: i64,
    low: i64,
    customer: i64,
    invoice: i64,
    shift: i64,
}

/// The known week (all prices tax-free so the totals read plainly):
///
/// | when (UTC)        | what                                       | total |
/// |-------------------|--------------------------------------------|-------|
/// | 01-01 10:15       | card sale A×1                              | 1000  |
/// | 01-01 11:00       | A×3 on account, invoiced, due 01-05        | 3000  |
/// | 01-01 14:30       | card sale B×2                              | 500   |
/// | 01-08 08:00       | owner opens a shift with a float of 5000   |       |
/// | 01-08 09:10       | cash sale A×2                              | 2000  |
/// | 01-08 09:40       | card sale B×1                              | 250   |
/// | 01-08 13:05       | card sale A×1 + B×4                        | 2000  |
/// | 01-08 15:00       | cash sale B×1, voided at 15:05             | 250   |
/// | 01-08 16:00       | refund of 1 A of the 09:10 sale, in cash   | −1000 |
fn week() -> Week {
    let (shop, mut s) = Shop::with_owner();
    card_sales_without_shift(&shop, &mut s);
    let a = Product::new("A", 1000)
        .name("Olive oil")
        .tax("zero")
        .create(&shop, &mut s);
    let b = Product::new("B", 250)
        .name("Bread roll")
        .tax("zero")
        .create(&shop, &mut s);
    let low = Product::new("L", 400)
        .name("Saffron")
        .tax("zero")
        .with("reorder_point", json!(5))
        .create(&shop, &mut s);
    Batch::of(a, 100, 400).receive(&shop, &mut s);
    Batch::of(b, 100, 100).receive(&shop, &mut s);
    Batch::of(low, 3, 200).receive(&shop, &mut s);
    let customer = customer_on_account(&shop, &mut s, "Deli Catering Ltd", 100_000, "warn");

    let mut s = owner_at(&shop, START_MS + 10 * HOUR_MS + 15 * MINUTE_MS);
    checkout(
        &shop,
        &mut s,
        json!([{ "product_id": a, "quantity": 1 }]),
        json!([card(1000)]),
    );
    let mut s = owner_at(&shop, START_MS + 11 * HOUR_MS);
    let on_account = submit(
        &shop,
        &mut s,
        "sales.checkout",
        json!({ "customer_id": customer, "lines": [{ "product_id": a, "quantity": 3 }],
                "payments": [{ "tender": "on_account", "amount_minor": 3000 }] }),
    )
    .unwrap();
    let invoice = submit(
        &shop,
        &mut s,
        "invoices.create",
        json!({ "customer_id": customer, "order_ids": [on_account["id"]], "due_date": "2026-01-05" }),
    )
    .unwrap();
    let mut s = owner_at(&shop, START_MS + 14 * HOUR_MS + 30 * MINUTE_MS);
    checkout(
        &shop,
        &mut s,
        json!([{ "product_id": b, "quantity": 2 }]),
        json!([card(500)]),
    );

    let mut s = owner_at(&shop, TODAY_MS + 8 * HOUR_MS);
    let shift = open_shift(&shop, &mut s, 5000).unwrap();
    let mut s = owner_at(&shop, TODAY_MS + 9 * HOUR_MS + 10 * MINUTE_MS);
    let first = checkout(
        &shop,
        &mut s,
        json!([{ "product_id": a, "quantity": 2 }]),
        json!([cash(2000)]),
    );
    let mut s = owner_at(&shop, TODAY_MS + 9 * HOUR_MS + 40 * MINUTE_MS);
    checkout(
        &shop,
        &mut s,
        json!([{ "product_id": b, "quantity": 1 }]),
        json!([card(250)]),
    );
    let mut s = owner_at(&shop, TODAY_MS + 13 * HOUR_MS + 5 * MINUTE_MS);
    checkout(
        &shop,
        &mut s,
        json!([{ "product_id": a, "quantity": 1 }, { "product_id": b, "quantity": 4 }]),
        json!([card(2000)]),
    );
    let mut s = owner_at(&shop, TODAY_MS + 15 * HOUR_MS);
    let voided = checkout(
        &shop,
        &mut s,
        json!([{ "product_id": b, "quantity": 1 }]),
        json!([cash(250)]),
    );
    let mut s = owner_at(&shop, TODAY_MS + 15 * HOUR_MS + 5 * MINUTE_MS);
    void(&shop, &mut s, &voided["id"], "rang up twice").unwrap();
    let mut s = owner_at(&shop, TODAY_MS + 16 * HOUR_MS);
    let first_sale_line = i(&first["lines"][0]["id"]);
    Refund::of(&first["id"], "leaking bottle")
        .line(first_sale_line, 1, "damage")
        .submit(&shop, &mut s)
        .unwrap();
    Week {
        shop,
        a,
        b,
        low,
        customer,
        invoice: i(&invoice["id"]),
        shift: i(&shift["id"]),
    }
}

#[test]
fn the_dashboard_adds_up_the_day_exactly() {
    let w = week();
    let shop = &w.shop;
    let mut s = owner_at(shop, TODAY_MS + 17 * HOUR_MS);
    let d = dash(shop, &mut s, 0);

    assert_eq!(d["day"], "2026-01-08");
    assert_eq!(d["last_week_day"], "2026-01-01");
    assert_eq!(i(&d["day_start_ms"]), TODAY_MS);
    assert_eq!(i(&d["day_end_ms"]), TODAY_MS + DAY_MS);
    // 2000 + 250 + 2000 sold (the voided 250 is no sale), 1000 refunded.
    assert_eq!(i(&d["sales_gross_minor"]), 4250);
    assert_eq!(i(&d["refunds_minor"]), 1000);
    assert_eq!(i(&d["refunds_count"]), 1);
    assert_eq!(i(&d["sales_total_minor"]), 3250);
    assert_eq!(i(&d["sales_count"]), 3);
    // 4250 / 3 = 1416.67, rounded half away from zero.
    assert_eq!(i(&d["average_basket_minor"]), 1417);
    assert_eq!(i(&d["last_week_total_minor"]), 4500);

    let hours = d["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    let by_hour: Vec<(i64, i64, i64)> = hours
        .iter()
        .filter(|h| i(&h["today_minor"]) != 0 || i(&h["last_week_minor"]) != 0)
        .map(|h| {
            (
                i(&h["hour"]),
                i(&h["today_minor"]),
                i(&h["last_week_minor"]),
            )
        })
        .collect();
    assert_eq!(
        by_hour,
        [
            (9, 2250, 0),
            (10, 0, 1000),
            (11, 0, 3000),
            (13, 2000, 0),
            (14, 0, 500),
            (16, -1000, 0)
        ]
    );
    let sum: i64 = hours.iter().map(|h| i(&h["today_minor"])).sum();
    assert_eq!(sum, i(&d["sales_total_minor"]));

    // A: 2 + 1 − 1 refunded = 2 units, 2000 + 1000 − 1000; B: 1 + 4 units, 250 + 1000.
    let top: Vec<(i64, &str, i64, i64)> = d["top_products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                i(&p["product_id"]),
                p["name"].as_str().unwrap(),
                i(&p["quantity"]),
                i(&p["revenue_minor"]),
            )
        })
        .collect();
    assert_eq!(
        top,
        [(w.a, "Olive oil", 2, 2000), (w.b, "Bread roll", 5, 1250)]
    );
    assert_eq!(d["top_products"][0]["unit"], "each");
    assert_eq!(d["top_products"][0]["quantity_decimals"], 0);

    // The money agrees with the sales report over the same day.
    let report = shop
        .call(
            &mut s,
            "reports.sales",
            json!({ "from_ms": TODAY_MS, "to_ms": TODAY_MS + DAY_MS, "group_by": "day" }),
        )
        .unwrap();
    assert_eq!(
        i(&report["totals"]["total_minor"]) - i(&report["totals"]["refund_total_minor"]),
        i(&d["sales_total_minor"])
    );
    assert_eq!(i(&report["totals"]["orders"]), i(&d["sales_count"]));

    let low = d["low_stock"]["lines"].as_array().unwrap();
    assert_eq!(low.len(), 1);
    assert_eq!(
        (
            i(&low[0]["product_id"]),
            i(&low[0]["available"]),
            i(&low[0]["reorder_point"])
        ),
        (w.low, 3, 5)
    );

    // Float 5000 + cash sale 2000 + voided cash sale 250 − its void 250 − cash refund 1000.
    let shifts = d["open_shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 1);
    assert_eq!(i(&shifts[0]["shift_id"]), w.shift);
    assert_eq!(shifts[0]["user_name"], "Olive Owner");
    assert_eq!(i(&shifts[0]["opened_at_ms"]), TODAY_MS + 8 * HOUR_MS);
    assert_eq!(i(&shifts[0]["expected_cash_minor"]), 6000);
    let z = shop
        .call(&mut s, "shifts.z_report", json!({ "shift_id": w.shift }))
        .unwrap();
    assert_eq!(i(&z["expected_cash_minor"]), 6000);

    // Due 2026-01-05, unpaid: three days overdue on the 8th.
    let inv = &d["invoices"];
    assert_eq!(
        (
            i(&inv["unpaid_count"]),
            i(&inv["unpaid_minor"]),
            i(&inv["overdue_minor"])
        ),
        (1, 3000, 3000)
    );
    assert_eq!(
        (i(&inv["overdue_count"]), &inv["overdue_count_is_floor"]),
        (1, &json!(false))
    );
    let oldest = &inv["oldest_overdue"];
    assert_eq!(i(&oldest["invoice_id"]), w.invoice);
    assert_eq!(i(&oldest["customer_id"]), w.customer);
    assert_eq!(oldest["customer_name"], "Deli Catering Ltd");
    assert_eq!(
        (oldest["due_on"].as_str(), i(&oldest["days_past_due"])),
        (Some("2026-01-05"), 3)
    );
    assert_eq!(i(&oldest["outstanding_minor"]), 3000);

    // Sync does not exist yet: every outbox row is waiting.
    let pending = scalar(
        &shop.db,
        "SELECT count(*) FROM outbox WHERE sent_at_ms IS NULL",
    );
    assert!(pending > 0);
    assert_eq!(i(&d["sync"]["pending"]), pending);
    assert_eq!(
        i(&d["sync"]["oldest_pending_at_ms"]),
        scalar(&shop.db, "SELECT min(created_at_ms) FROM outbox")
    );

    // Reading changes nothing: the same clock, the same answer.
    assert_eq!(dash(shop, &mut s, 0), d);
}

#[test]
fn an_empty_day_is_zeros_not_errors() {
    let (shop, mut s) = Shop::with_owner();
    let d = dash(&shop, &mut s, 0);
    assert_eq!(i(&d["sales_total_minor"]), 0);
    assert_eq!(i(&d["sales_count"]), 0);
    assert_eq!(i(&d["average_basket_minor"]), 0);
    assert_eq!(d["hours"].as_array().unwrap().len(), 24);
    assert_eq!(d["top_products"], json!([]));
    assert_eq!(d["low_stock"]["lines"], json!([]));
    assert_eq!(d["open_shifts"], json!([]));
    assert_eq!(d["invoices"]["oldest_overdue"], Value::Null);
}

#[test]
fn the_shops_offset_moves_a_late_sale_into_the_next_local_day() {
    let (shop, mut s) = Shop::with_owner();
    card_sales_without_shift(&shop, &mut s);
    let a = Product::new("A", 1000).tax("zero").create(&shop, &mut s);
    Batch::of(a, 10, 400).receive(&shop, &mut s);
    let mut s = owner_at(&shop, TODAY_MS + 12 * HOUR_MS);
    checkout(
        &shop,
        &mut s,
        json!([{ "product_id": a, "quantity": 1 }]),
        json!([card(1000)]),
    );
    // 23:30 UTC on the 8th is 00:30 on the 9th in a shop at UTC+1.
    let mut s = owner_at(&shop, TODAY_MS + 23 * HOUR_MS + 30 * MINUTE_MS);
    checkout(
        &shop,
        &mut s,
        json!([{ "product_id": a, "quantity": 2 }]),
        json!([card(2000)]),
    );
    let mut s = owner_at(&shop, TODAY_MS + 23 * HOUR_MS + 45 * MINUTE_MS);

    let utc = dash(&shop, &mut s, 0);
    assert_eq!(utc["day"], "2026-01-08");
    assert_eq!(
        (i(&utc["sales_count"]), i(&utc["sales_total_minor"])),
        (2, 3000)
    );
    assert_eq!(i(&utc["hours"][23]["today_minor"]), 2000);

    let plus_one = dash(&shop, &mut s, 60);
    assert_eq!(plus_one["day"], "2026-01-09");
    assert_eq!(i(&plus_one["day_start_ms"]), TODAY_MS + 23 * HOUR_MS);
    assert_eq!(
        (
            i(&plus_one["sales_count"]),
            i(&plus_one["sales_total_minor"])
        ),
        (1, 2000)
    );
    assert_eq!(i(&plus_one["hours"][0]["today_minor"]), 2000);
    assert_eq!(plus_one["last_week_day"], "2026-01-02");

    // West of UTC the noon sale is the morning's and the late one still the 8th's.
    let minus_five = dash(&shop, &mut s, -300);
    assert_eq!(minus_five["day"], "2026-01-08");
    assert_eq!(i(&minus_five["hours"][7]["today_minor"]), 1000);
    assert_eq!(i(&minus_five["hours"][18]["today_minor"]), 2000);
}

#[test]
fn bad_inputs_are_refused_naming_the_field() {
    let (shop, mut s) = Shop::with_owner();
    for tz in [841, -841] {
        expect_validation(
            shop.call(
                &mut s,
                "dashboard.today",
                json!({ "tz_offset_minutes": tz }),
            ),
            "tz_offset_minutes",
            "offset out of range",
        );
    }
    assert!(shop
        .call(
            &mut s,
            "dashboard.today",
            json!({ "tz_offset_minutes": 840 })
        )
        .is_ok());
    assert!(shop.call(&mut s, "dashboard.today", json!({})).is_ok());
    let r = shop.call(&mut s, "dashboard.today", json!({ "tz": 60 }));
    assert_eq!(code(&r), "validation");
    let r = shop.call(
        &mut s,
        "dashboard.checklist_tick",
        json!({ "step": "products", "done": true }),
    );
    assert_eq!(code(&r), "validation", "the data tells products: no tick");
    let r = shop.call(
        &mut s,
        "dashboard.checklist_tick",
        json!({ "step": "printer" }),
    );
    assert_eq!(code(&r), "validation");
}

#[test]
fn owner_and_manager_read_the_dashboard_a_cashier_does_not_and_only_the_owner_ticks() {
    let (shop, mut owner) = Shop::with_owner();
    let mut manager = shop.session_as(&mut owner, "manager");
    let mut cashier = shop.session_as(&mut owner, "cashier");
    assert!(shop.call(&mut owner, "dashboard.today", json!({})).is_ok());
    assert!(shop
        .call(&mut manager, "dashboard.today", json!({}))
        .is_ok());
    let r = shop.call(&mut cashier, "dashboard.today", json!({}));
    assert_eq!(
        code(&r),
        "forbidden",
        "a cashier does not see the shop's takings"
    );
    // What a cashier's Home shows instead: their drawer and the low-stock list.
    assert!(shop.call(&mut cashier, "shifts.current", json!({})).is_ok());
    assert!(shop.call(&mut cashier, "stock.low", json!({})).is_ok());

    let tick = json!({ "step": "printer", "done": true });
    assert!(shop
        .call(&mut owner, "dashboard.checklist_tick", tick.clone())
        .is_ok());
    for s in [&mut manager, &mut cashier] {
        let r = shop.call(s, "dashboard.checklist_tick", tick.clone());
        assert_eq!(code(&r), "forbidden");
    }
    let mut anon = None;
    let r = shop.call(&mut anon, "dashboard.today", json!({}));
    assert_eq!(code(&r), "unauthenticated");
}

fn steps(checklist: &Value) -> Vec<(String, bool, bool)> {
    checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["step"].as_str().unwrap().to_string(),
                i["done"].as_bool().unwrap(),
                i["ticked"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn done_steps(checklist: &Value) -> Vec<String> {
    steps(checklist)
        .into_iter()
        .filter(|(_, done, _)| *done)
        .map(|(s, _, _)| s)
        .collect()
}

#[test]
fn the_checklist_reads_the_data_takes_the_owners_ticks_and_hides_once_done() {
    let (shop, mut s) = Shop::with_owner();
    let list = |s: &mut Option<Session>| dash(&shop, s, 0)["checklist"].clone();
    let tick = |s: &mut Option<Session>, step: &str, done: bool| {
        shop.call(
            s,
            "dashboard.checklist_tick",
            json!({ "step": step, "done": done }),
        )
    };
    let c = list(&mut s);
    let order: Vec<String> = steps(&c).into_iter().map(|(s, _, _)| s).collect();
    assert_eq!(
        order,
        [
            "tax_rates",
            "products",
            "stock",
            "staff",
            "printer",
            "backup"
        ]
    );
    assert!(done_steps(&c).is_empty());
    assert_eq!(
        (c["complete"].as_bool(), c["hidden"].as_bool()),
        (Some(false), Some(false))
    );

    // A product alone is not stock; an untracked product (made to order) needs none.
    let p = Product::new("P", 100).create(&shop, &mut s);
    assert_eq!(done_steps(&list(&mut s)), ["products"]);
    Batch::of(p, 1, 50).receive(&shop, &mut s);
    assert_eq!(done_steps(&list(&mut s)), ["products", "stock"]);
    let t = tick(&mut s, "tax_rates", true).unwrap();
    assert_eq!(done_steps(&t), ["tax_rates", "products", "stock"]);
    assert!(steps(&t).contains(&("tax_rates".into(), true, true)));

    // Put away before it is done: refused, nothing written.
    let r = tick(&mut s, "hidden", true);
    assert_eq!(field_of(&r).0, "conflict");
    assert_eq!(list(&mut s)["hidden"], false);

    shop.create_user(&mut s, "sam", "cashier");
    tick(&mut s, "printer", true).unwrap();
    let c = tick(&mut s, "backup", true).unwrap();
    assert_eq!(c["complete"], true);
    // A tick taken back, and given again.
    assert_eq!(tick(&mut s, "backup", false).unwrap()["complete"], false);
    tick(&mut s, "backup", true).unwrap();
    assert_eq!(tick(&mut s, "hidden", true).unwrap()["hidden"], true);
    assert_eq!(list(&mut s)["hidden"], true);
    assert_eq!(tick(&mut s, "hidden", false).unwrap()["hidden"], false);

    // Each tick is in the audit log (with who) and the outbox.
    let audit = shop.audit_rows("dashboard.checklist_tick");
    assert_eq!(audit.iter().filter(|a| a["result"] == "ok").count(), 7);
    // The early "put away" was refused, and that is in the log too (D08).
    assert_eq!(audit.iter().filter(|a| a["result"] == "refused").count(), 1);
    assert!(audit.iter().all(
        |a| a["username"] == OWNER && a["entity"] == "getting_started" || a["result"] == "refused"
    ));
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM outbox WHERE kind = 'getting_started.ticked'"
        ),
        7
    );
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM getting_started g JOIN users u ON u.id = g.updated_by
              WHERE u.username = 'owner'"
        ),
        4
    );
    chain_is_intact(&shop.db);
}

#[test]
fn t05_a_checklist_tick_is_one_transaction_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    let sweep = sweep_faults(
        &shop,
        &mut owner,
        "dashboard.checklist_tick",
        || json!({ "step": "printer", "done": true }),
    );
    // The tick, its audit row and its outbox row.
    assert!(
        sweep.statements >= 3,
        "only {} statements",
        sweep.statements
    );
    assert_eq!(shop.count("getting_started"), 1);
    chain_is_intact(&shop.db);
}

#[test]
fn open_tills_are_listed_oldest_first_past_closed_ones_with_their_drawers() {
    let (shop, mut owner) = Shop::with_owner();
    let mut manager = shop.session_as(&mut owner, "manager");
    // The manager's long-open shift, then a run of the owner's closed ones.
    let m = open_shift(&shop, &mut manager, 1500).unwrap();
    for _ in 0..5 {
        let s = open_shift(&shop, &mut owner, 100).unwrap();
        shop.call(
            &mut owner,
            "shifts.close",
            json!({ "shift_id": s["id"], "version": s["version"], "counted_cash_minor": 100 }),
        )
        .unwrap();
    }
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let c = open_shift(&shop, &mut cashier, 2000).unwrap();
    let d = dash(&shop, &mut owner, 0);
    let open: Vec<(i64, i64)> = d["open_shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (i(&s["shift_id"]), i(&s["expected_cash_minor"])))
        .collect();
    assert_eq!(open, [(i(&m["id"]), 1500), (i(&c["id"]), 2000)]);
}
