//! Ledger, customers and vendors: the rule tests for T11 T19 T21 T22 T25 T29
//! T31 T35, fault sweeps for every write command of this module (T05), a
//! property test over payments and reversals, and `tillbook verify` reporting
//! ledger drift.

use crate::support::checks::{code, expect_code, scalar, tillbook_verify, version_of};
use crate::support::faults::{chain_is_intact, snapshot, sweep_faults};
use crate::support::fixtures::{at_once, customer_with, vendor, Product};
use crate::support::{self, key, password_of, Shop, OWNER};
use proptest::prelude::*;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::sync::Barrier;
use tillbook_core::ledger::{self, codes, JournalEntry, Line, Party};
use tillbook_core::parties::customers::{self, CreditMode};
use tillbook_core::{Error, ErrorCode, Session};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// Every customer made here has a phone number besides its name.
const PHONE: &str = "+351 912 000 000";

fn pay(shop: &Shop, s: &mut Option<Session>, vendor_id: i64, amount: i64) -> Result<Value, Error> {
    shop.call(
        s,
        "vendors.pay",
        json!({ "idempotency_key": key(), "vendor_id": vendor_id, "amount_minor": amount, "tender": "cash" }),
    )
}

fn vendor_balance(shop: &Shop, vendor_id: i64) -> i64 {
    shop.db
        .read(|c| ledger::vendor_balance(c, vendor_id))
        .unwrap()
}

/// Posts "customer owes `amount`" (Dr receivable / Cr revenue) directly, as the
/// sales flow will.
fn charge_customer(shop: &Shop, customer_id: i64, amount: i64) -> i64 {
    shop.db
        .write(|tx| {
            ledger::post(
                tx,
                &JournalEntry {
                    posted_at_ms: support::START_MS,
                    memo: "test sale on account",
                    source_type: "test",
                    source_id: customer_id,
                    user_id: 1,
                    reverses_entry_id: None,
                    lines: vec![
                        Line::debit(
                            codes::ACCOUNTS_RECEIVABLE,
                            amount,
                            Some(Party::Customer(customer_id)),
                        ),
                        Line::credit(codes::SALES_REVENUE, amount, None),
                    ],
                },
            )
        })
        .unwrap()
}

fn ledger_drift(shop: &Shop) -> Vec<String> {
    shop.db
        .read(|c| {
            let mut problems = ledger::drift(c, 20)?;
            problems.extend(tillbook_core::parties::vendors::drift(c)?);
            Ok(problems)
        })
        .unwrap()
}

/// A manager who holds `credit.approve`, with a known password.
fn manager(shop: &Shop, owner: &mut Option<Session>, name: &str) -> i64 {
    shop.create_user(owner, name, "manager")
}

// ---------------------------------------------------------------------------
// the ledger itself
// ---------------------------------------------------------------------------

#[test]
fn ledger_post_refuses_unbalanced_entries_in_code_and_in_the_database() {
    let (shop, mut owner) = Shop::with_owner();
    let customer = customer_with(
        &shop,
        &mut owner,
        "Ledger Customer",
        json!({ "phone": PHONE }),
    );
    let entry = |lines: Vec<Line<'static>>| JournalEntry {
        posted_at_ms: support::START_MS,
        memo: "bad",
        source_type: "test",
        source_id: 1,
        user_id: 1,
        reverses_entry_id: None,
        lines,
    };
    let cases = [
        vec![],
        vec![Line::debit(codes::CASH, 100, None)],
        vec![
            Line::debit(codes::CASH, 100, None),
            Line::credit(codes::SALES_REVENUE, 99, None),
        ],
        vec![
            Line::debit(codes::CASH, 0, None),
            Line::credit(codes::SALES_REVENUE, 0, None),
        ],
        vec![
            Line::debit(codes::CASH, -5, None),
            Line::credit(codes::SALES_REVENUE, -5, None),
        ],
    ];
    for lines in cases {
        let e = entry(lines.clone());
        let r = shop.db.write(|tx| ledger::post(tx, &e));
        let err = r.expect_err("an unbalanced entry was posted");
        assert_eq!(err.code(), ErrorCode::Internal, "{lines:?}: {err}");
    }
    assert_eq!(shop.count("journal_entries"), 0);
    assert_eq!(shop.count("journal_lines"), 0);

    // The database refuses it too: an unbalanced header, a line added to a posted
    // entry, a line with no header at commit.
    let raw = |sql: &str| shop.db.write(|tx| Ok(tx.execute(sql, [])?));
    assert!(raw(
        "INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES (1, 1, 100, 0);"
    )
    .is_err());
    let unbalanced = shop.db.write(|tx| {
        tx.execute("INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES (1, 1, 100, 0)", [])?;
        tx.execute("INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES (1, 9, 0, 90)", [])?;
        tx.execute("INSERT INTO journal_entries (id, posted_at_ms, memo, source_type, source_id, user_id, total_minor) VALUES (1, 0, 'x', 'test', 1, 1, 100)", [])?;
        Ok(())
    });
    assert!(unbalanced.is_err());
    let good = charge_customer(&shop, customer, 500);
    assert_eq!(good, 1, "entry numbers start at 1");
    assert!(raw(&format!(
        "INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES ({good}, 1, 5, 0)"
    ))
    .is_err());
    assert!(raw("UPDATE journal_lines SET debit_minor = 1").is_err());
    assert!(raw("DELETE FROM journal_entries").is_err());
    assert!(raw("UPDATE accounts SET name = 'Petty cash' WHERE code = '1000'").is_err());
    assert_eq!(shop.count("journal_lines"), 2);
    // A reversal is a new, mirrored entry; a second reversal of the same entry
    // is refused by the schema (one reversal per entry) as `conflict`.
    let reverse = || {
        shop.db
            .write(|tx| ledger::reverse(tx, good, support::START_MS, "undo", "test", customer, 1))
    };
    let rev = reverse().unwrap();
    assert_eq!(rev, 2);
    assert_eq!(
        shop.db
            .read(|c| ledger::customer_balance(c, customer))
            .unwrap(),
        0
    );
    assert_eq!(reverse().unwrap_err().code(), ErrorCode::Conflict);
    assert_eq!(shop.count("journal_entries"), 2);
    assert!(ledger_drift(&shop).is_empty());
}

#[test]
fn ledger_accounts_and_entries_are_sums_and_filters_in_sql() {
    let (shop, mut owner) = Shop::with_owner();
    let v1 = vendor(&shop, &mut owner, "Acme Supplies");
    let v2 = vendor(&shop, &mut owner, "Beta Foods");
    pay(&shop, &mut owner, v1, 1_000).unwrap();
    pay(&shop, &mut owner, v2, 250).unwrap();
    shop.call(
        &mut owner,
        "vendors.pay",
        json!({ "idempotency_key": key(), "vendor_id": v1, "amount_minor": 40, "tender": "bank" }),
    )
    .unwrap();
    let accounts = shop.call(&mut owner, "ledger.accounts", json!({})).unwrap();
    let bal = |c: &str| {
        accounts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["code"] == c)
            .unwrap()["balance_minor"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(bal(codes::CASH), -1_250);
    assert_eq!(bal(codes::BANK), -40);
    assert_eq!(bal(codes::ACCOUNTS_PAYABLE), -1_290);
    // Every account of the chart is listed, even with no lines (later migrations add accounts).
    assert_eq!(
        accounts.as_array().unwrap().len() as i64,
        shop.count("accounts")
    );

    let for_v1 = shop
        .call(&mut owner, "ledger.entries", json!({ "vendor_id": v1 }))
        .unwrap();
    let ids: Vec<i64> = for_v1
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![3, 1], "newest first, only v1's entries");
    let bank = shop
        .call(
            &mut owner,
            "ledger.entries",
            json!({ "account_code": "1020" }),
        )
        .unwrap();
    assert_eq!(bank.as_array().unwrap().len(), 1);
    let page = shop
        .call(
            &mut owner,
            "ledger.entries",
            json!({ "before_id": 3, "limit": 1 }),
        )
        .unwrap();
    assert_eq!(page[0]["id"], 2);
    assert_eq!(page[0]["lines"].as_array().unwrap().len(), 2);
    // A cashier reads no ledger.
    let mut cashier = shop.session_as(&mut owner, "cashier");
    expect_code(
        &shop.call(&mut cashier, "ledger.entries", json!({})),
        "forbidden",
        "cashier reading the ledger",
    );
}

// ---------------------------------------------------------------------------
// T19: vendor payments go only to active vendors, checked in the transaction
// ---------------------------------------------------------------------------

#[test]
fn t19_payment_to_a_non_vendor_or_an_archived_vendor_is_refused() {
    let (shop, mut owner) = Shop::with_owner();
    customer_with(
        &shop,
        &mut owner,
        "First Customer",
        json!({ "phone": PHONE }),
    );
    let customer = customer_with(&shop, &mut owner, "Not A Vendor", json!({ "phone": PHONE }));
    let vendor = vendor(&shop, &mut owner, "Archived Vendor");
    // A customer's id is not a vendor's: there is no vendor with that id.
    assert!(customer > vendor, "ids must differ for the check below");
    expect_code(
        &pay(&shop, &mut owner, customer, 100),
        "not_found",
        "paying a customer's id",
    );
    expect_code(
        &pay(&shop, &mut owner, 999_999, 100),
        "not_found",
        "paying a made-up id",
    );
    shop.call(
        &mut owner,
        "vendors.archive",
        json!({ "id": vendor, "version": version_of(&shop.db, "vendors", vendor) }),
    )
    .unwrap();
    expect_code(
        &pay(&shop, &mut owner, vendor, 100),
        "conflict",
        "paying an archived vendor",
    );
    assert_eq!(shop.count("vendor_payments"), 0);
    assert_eq!(shop.count("journal_entries"), 0);
    // Each refusal is audited.
    let refused: Vec<Value> = shop
        .audit_rows("vendors.pay")
        .into_iter()
        .filter(|r| r["result"] == "refused")
        .collect();
    assert_eq!(refused.len(), 3);
}

#[test]
fn t19_d12_archive_racing_a_payment_never_pays_an_archived_vendor() {
    let (shop, mut owner) = Shop::with_owner();
    let mut payer = shop.session_as(&mut owner, "manager");
    let mut archiver = shop.session_as(&mut owner, "manager");
    let (mut paid, mut refused) = (0, 0);
    for round in 0..30 {
        let vendor = vendor(&shop, &mut owner, &format!("Race Vendor {round}"));
        let version = version_of(&shop.db, "vendors", vendor);
        let barrier = Barrier::new(2);
        let (pay_r, archive_r) = std::thread::scope(|s| {
            let p = s.spawn(|| {
                barrier.wait();
                pay(&shop, &mut payer, vendor, 500)
            });
            let a = s.spawn(|| {
                barrier.wait();
                shop.call(
                    &mut archiver,
                    "vendors.archive",
                    json!({ "id": vendor, "version": version }),
                )
            });
            (p.join().unwrap(), a.join().unwrap())
        });
        archive_r.unwrap();
        // The order of commits is the order of the ok audit rows.
        let order = |cmd: &str| {
            scalar(
                &shop.db,
                &format!(
                    "SELECT coalesce(max(id), 0) FROM audit_log WHERE command = '{cmd}'
                     AND result = 'ok' AND entity_id = '{vendor}'"
                ),
            )
        };
        match &pay_r {
            Ok(p) => {
                paid += 1;
                let pay_audit = scalar(
                    &shop.db,
                    &format!(
                        "SELECT id FROM audit_log WHERE command = 'vendors.pay' AND result = 'ok'
                         AND entity_id = '{}'",
                        p["id"]
                    ),
                );
                assert!(
                    pay_audit < order("vendors.archive"),
                    "round {round}: paid after the vendor was archived"
                );
            }
            Err(e) => {
                refused += 1;
                assert_eq!(e.code(), ErrorCode::Conflict, "round {round}: {e}");
            }
        }
        let to_archived = scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM vendor_payments p JOIN vendors v ON v.id = p.vendor_id
                 WHERE v.id = {vendor} AND p.paid_at_ms > v.archived_at_ms"
            ),
        );
        assert_eq!(to_archived, 0);
        assert_eq!(
            scalar(
                &shop.db,
                &format!("SELECT count(*) FROM vendor_payments WHERE vendor_id = {vendor}")
            ),
            i64::from(pay_r.is_ok())
        );
    }
    eprintln!("race: paid {paid}, refused {refused}");
    assert_eq!(paid + refused, 30);
    assert!(ledger_drift(&shop).is_empty());
}

// ---------------------------------------------------------------------------
// T21: raising a limit above the threshold needs a second user's approval
// ---------------------------------------------------------------------------

fn set_limit(
    shop: &Shop,
    s: &mut Option<Session>,
    id: i64,
    limit: i64,
    approver: Option<(&str, &str)>,
) -> Result<Value, Error> {
    let mut args = json!({
        "id": id,
        "version": version_of(&shop.db, "customers", id),
        "credit_limit_minor": limit,
    });
    if let Some((u, p)) = approver {
        args["approver"] = json!({ "username": u, "password": p });
    }
    shop.call(s, "customers.set_credit", args)
}

#[test]
fn t21_raising_a_credit_limit_above_the_threshold_needs_a_second_approver() {
    let (shop, mut owner) = Shop::with_owner();
    let owner_id = owner.as_ref().unwrap().user_id;
    let threshold =
        tillbook_core::shared::settings::Settings::default().credit_approval_threshold_minor;
    let c = customer_with(
        &shop,
        &mut owner,
        "Credit Customer",
        json!({ "phone": PHONE }),
    );
    let cashier = "credit-cashier";
    shop.create_user(&mut owner, cashier, "cashier");
    let approver = "credit-approver";
    let approver_id = manager(&shop, &mut owner, approver);

    // Up to the threshold: no approval needed.
    set_limit(&shop, &mut owner, c, threshold, None).unwrap();
    let v = version_of(&shop.db, "customers", c);

    let above = threshold + 1;
    let r = set_limit(&shop, &mut owner, c, above, None);
    expect_code(&r, "validation", "no approver");
    assert_eq!(r.unwrap_err().details()["field"], "approver");
    expect_code(
        &set_limit(
            &shop,
            &mut owner,
            c,
            above,
            Some((cashier, &password_of(cashier))),
        ),
        "forbidden",
        "approver lacks credit.approve",
    );
    expect_code(
        &set_limit(
            &shop,
            &mut owner,
            c,
            above,
            Some((OWNER, support::OWNER_PASSWORD)),
        ),
        "forbidden",
        "self-approval",
    );
    expect_code(
        &set_limit(
            &shop,
            &mut owner,
            c,
            above,
            Some((approver, "not-their-password")),
        ),
        "forbidden",
        "wrong approver password",
    );
    expect_code(
        &set_limit(
            &shop,
            &mut owner,
            c,
            above,
            Some(("nobody-here", "whatever-password")),
        ),
        "forbidden",
        "unknown approver",
    );
    // A cashier may not set credit at all.
    let mut cashier_s = shop.login(cashier, &password_of(cashier)).unwrap();
    expect_code(
        &set_limit(&shop, &mut cashier_s, c, 10, None),
        "forbidden",
        "cashier setting credit",
    );
    assert_eq!(
        version_of(&shop.db, "customers", c),
        v,
        "refusals wrote nothing"
    );

    let ok = set_limit(
        &shop,
        &mut owner,
        c,
        above,
        Some((approver, &password_of(approver))),
    )
    .unwrap();
    assert_eq!(ok["credit_limit_minor"], above);
    let row = shop
        .audit_rows("customers.set_credit")
        .into_iter()
        .find(|r| r["result"] == "ok" && r["summary"]["after"]["credit_limit_minor"] == above)
        .unwrap();
    assert_eq!(row["user_id"], owner_id);
    assert_eq!(row["summary"]["requested_by"], owner_id);
    assert_eq!(row["summary"]["approved_by"], approver_id);
    assert_eq!(row["summary"]["approved_by_username"], approver);

    // An archived approver can no longer approve.
    let mut other = shop.login(approver, &password_of(approver)).unwrap();
    expect_code(
        &set_limit(
            &shop,
            &mut other,
            c,
            above + 1,
            Some((OWNER, support::OWNER_PASSWORD)),
        ),
        "ok",
        "manager raising with the owner's approval",
    );
    shop.call(
        &mut owner,
        "users.archive",
        json!({ "id": approver_id, "version": version_of(&shop.db, "users", approver_id) }),
    )
    .unwrap();
    expect_code(
        &set_limit(
            &shop,
            &mut owner,
            c,
            above + 2,
            Some((approver, &password_of(approver))),
        ),
        "forbidden",
        "archived approver",
    );
    // Lowering never needs approval.
    set_limit(&shop, &mut owner, c, 0, None).unwrap();
}

#[test]
fn t21_t18_wrong_approver_passwords_count_towards_the_approvers_lockout() {
    let (shop, mut owner) = Shop::with_owner();
    let c = customer_with(
        &shop,
        &mut owner,
        "Guessing Target",
        json!({ "phone": PHONE }),
    );
    let approver = "guessed-approver";
    manager(&shop, &mut owner, approver);
    let max = tillbook_core::shared::settings::Settings::default().max_failed_logins;
    let v = version_of(&shop.db, "customers", c);
    for i in 0..max {
        let r = set_limit(
            &shop,
            &mut owner,
            c,
            10_000_000,
            Some((approver, &format!("guess-number-{i}"))),
        );
        expect_code(&r, "forbidden", "a wrong approver password");
    }
    assert_eq!(version_of(&shop.db, "customers", c), v, "nothing changed");
    // The approver is now locked out, for logins and approvals alike.
    let login = shop.login(approver, &password_of(approver));
    assert_eq!(login.unwrap_err().code(), ErrorCode::Locked);
    expect_code(
        &set_limit(
            &shop,
            &mut owner,
            c,
            10_000_000,
            Some((approver, &password_of(approver))),
        ),
        "forbidden",
        "a locked approver",
    );
    // Every refusal is audited against the requesting user, naming the approver.
    let refused: Vec<Value> = shop
        .audit_rows("customers.set_credit")
        .into_iter()
        .filter(|r| r["result"] == "refused")
        .collect();
    assert_eq!(refused.len() as i64, max + 1);
    for r in &refused {
        assert_eq!(r["user_id"], owner.as_ref().unwrap().user_id);
        assert_eq!(r["summary"]["approver"], approver);
    }
    // The owner still works.
    assert!(shop.login(OWNER, support::OWNER_PASSWORD).is_ok());
}

// ---------------------------------------------------------------------------
// T22: archived, never deleted; history keeps its references
// ---------------------------------------------------------------------------

#[test]
fn t22_customers_and_vendors_are_archived_never_deleted() {
    let (shop, mut owner) = Shop::with_owner();
    let c = customer_with(&shop, &mut owner, "Keep Me", json!({ "phone": PHONE }));
    let v = vendor(&shop, &mut owner, "Keep Vendor");
    charge_customer(&shop, c, 7_000);
    let payment = pay(&shop, &mut owner, v, 300).unwrap();
    for sql in [
        format!("DELETE FROM customers WHERE id = {c}"),
        format!("DELETE FROM vendors WHERE id = {v}"),
        format!("DELETE FROM vendor_payments WHERE id = {}", payment["id"]),
        "DELETE FROM journal_lines".to_string(),
    ] {
        let r = shop.db.write(|tx| Ok(tx.execute(&sql, [])?));
        assert!(r.is_err(), "{sql} was allowed");
    }
    shop.call(
        &mut owner,
        "customers.archive",
        json!({ "id": c, "version": version_of(&shop.db, "customers", c) }),
    )
    .unwrap();
    shop.call(
        &mut owner,
        "vendors.archive",
        json!({ "id": v, "version": version_of(&shop.db, "vendors", v) }),
    )
    .unwrap();
    let got = shop
        .call(&mut owner, "customers.get", json!({ "id": c }))
        .unwrap();
    assert_eq!(got["archived"], true);
    assert_eq!(
        got["balance_minor"], 7_000,
        "the archived customer still owes"
    );
    let history = shop
        .call(&mut owner, "ledger.entries", json!({ "customer_id": c }))
        .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(vendor_balance(&shop, v), -300);
    // Archived rows leave search unless asked for.
    let found = shop
        .call(&mut owner, "customers.search", json!({ "prefix": "keep" }))
        .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 0);
    let found = shop
        .call(
            &mut owner,
            "customers.search",
            json!({ "prefix": "keep", "include_archived": true }),
        )
        .unwrap();
    assert_eq!(found[0]["id"], c);
    // Archiving twice is a conflict; no new credit for the archived customer.
    expect_code(
        &shop.call(
            &mut owner,
            "customers.archive",
            json!({ "id": c, "version": version_of(&shop.db, "customers", c) }),
        ),
        "conflict",
        "archiving twice",
    );
    let r = shop.db.read(|conn| customers::check_credit(conn, c, 1));
    assert_eq!(r.unwrap_err().code(), ErrorCode::Conflict);
}

#[test]
fn customers_search_is_a_paged_name_prefix_in_stable_order() {
    let (shop, mut owner) = Shop::with_owner();
    for name in ["Anna", "anabel", "Andre", "Bruno", "An_dy", "An%x"] {
        customer_with(&shop, &mut owner, name, json!({ "phone": PHONE }));
    }
    let reader = owner.clone();
    let names = |args: Value| -> Vec<String> {
        shop.call(&mut reader.clone(), "customers.search", args)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(json!({ "prefix": "an" })),
        ["An%x", "An_dy", "anabel", "Andre", "Anna"]
    );
    // Wildcards are literal.
    assert_eq!(names(json!({ "prefix": "An_" })), ["An_dy"]);
    let first = shop
        .call(
            &mut owner,
            "customers.search",
            json!({ "prefix": "an", "limit": 2 }),
        )
        .unwrap();
    let last = &first[1];
    assert_eq!(
        names(json!({ "prefix": "an", "after_name": last["name"], "after_id": last["id"] })),
        ["anabel", "Andre", "Anna"]
    );
}

// ---------------------------------------------------------------------------
// T29: credit enforcement is explicit and defaults to block
// ---------------------------------------------------------------------------

#[test]
fn t29_credit_blocks_by_default_and_warns_only_when_set_explicitly() {
    let (shop, mut owner) = Shop::with_owner();
    let c = customer_with(&shop, &mut owner, "Credit Check", json!({ "phone": PHONE }));
    let created = shop
        .call(&mut owner, "customers.get", json!({ "id": c }))
        .unwrap();
    assert_eq!(created["credit_mode"], "block");
    assert_eq!(created["credit_limit_minor"], 0);
    // Setting a limit without naming a mode keeps `block`.
    set_limit(&shop, &mut owner, c, 50_000, None).unwrap();
    charge_customer(&shop, c, 30_000);
    let check = |amount: i64| {
        shop.db
            .read(|conn| customers::check_credit(conn, c, amount))
    };

    let d = check(20_000).unwrap();
    assert_eq!(
        d,
        customers::CreditDecision {
            customer_id: c,
            mode: CreditMode::Block,
            limit_minor: 50_000,
            balance_minor: 30_000,
            projected_minor: 50_000,
            over_limit_minor: 0,
            warning: false,
            overridden_by: None,
        }
    );
    let e = check(20_001).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CreditLimit, "{e}");
    assert!(check(-1).is_err());

    // An override needs credit.approve, and the decision names who gave it.
    let mgr = shop.session_as(&mut owner, "manager");
    let cashier = shop.session_as(&mut owner, "cashier");
    let d = shop
        .db
        .read(|conn| customers::check_credit_with_override(conn, c, 20_001, mgr.as_ref()))
        .unwrap();
    assert_eq!(d.overridden_by, Some(mgr.as_ref().unwrap().user_id));
    assert_eq!(d.over_limit_minor, 1);
    let r = shop
        .db
        .read(|conn| customers::check_credit_with_override(conn, c, 20_001, cashier.as_ref()));
    assert_eq!(r.unwrap_err().code(), ErrorCode::Forbidden);

    // Warn only when chosen.
    shop.call(
        &mut owner,
        "customers.set_credit",
        json!({ "id": c, "version": version_of(&shop.db, "customers", c),
                "credit_limit_minor": 50_000, "credit_mode": "warn" }),
    )
    .unwrap();
    let d = check(25_000).unwrap();
    assert!(d.warning);
    assert_eq!(d.mode, CreditMode::Warn);
    assert_eq!(d.over_limit_minor, 5_000);
    assert_eq!(d.projected_minor, 55_000);
    assert!(!check(20_000).unwrap().warning);
    // An update of the limit that doesn't name the mode goes back to block.
    set_limit(&shop, &mut owner, c, 50_000, None).unwrap();
    assert_eq!(check(20_001).unwrap_err().code(), ErrorCode::CreditLimit);
}

// ---------------------------------------------------------------------------
// T31: payments are reversed by a new entry, never deleted
// ---------------------------------------------------------------------------

#[test]
fn t31_a_reversed_payment_keeps_both_entries_and_restores_the_balance() {
    let (shop, mut owner) = Shop::with_owner();
    let v = vendor(&shop, &mut owner, "Reverse Me");
    pay(&shop, &mut owner, v, 1_000).unwrap();
    let before = vendor_balance(&shop, v);
    let cash_before = shop
        .db
        .read(|c| ledger::account_balance(c, codes::CASH))
        .unwrap();
    let p = pay(&shop, &mut owner, v, 12_345).unwrap();
    assert_eq!(vendor_balance(&shop, v), before - 12_345);
    let original = shop
        .db
        .read(|c| ledger::entry(c, p["entry_id"].as_i64().unwrap()))
        .unwrap();

    let r = shop
        .call(
            &mut owner,
            "vendors.reverse_payment",
            json!({ "idempotency_key": key(), "payment_id": p["id"], "reason": "paid twice" }),
        )
        .unwrap();
    let reversal_entry = r["reversal"]["entry_id"].as_i64().unwrap();
    assert_ne!(reversal_entry, original.id);
    assert_eq!(vendor_balance(&shop, v), before);
    assert_eq!(
        shop.db
            .read(|c| ledger::account_balance(c, codes::CASH))
            .unwrap(),
        cash_before
    );
    // The original payment and entry are intact; the reversal names it.
    let mut after = shop.db.read(|c| ledger::entry(c, original.id)).unwrap();
    assert_eq!(after.reversed_by_entry_id, Some(reversal_entry));
    after.reversed_by_entry_id = None;
    assert_eq!(after, original);
    let rev = shop.db.read(|c| ledger::entry(c, reversal_entry)).unwrap();
    assert_eq!(rev.reverses_entry_id, Some(original.id));
    assert_eq!(rev.total_minor, 12_345);
    assert_eq!(shop.count("vendor_payments"), 2);
    assert_eq!(shop.count("journal_entries"), 3);
    // Twice is refused.
    expect_code(
        &shop.call(
            &mut owner,
            "vendors.reverse_payment",
            json!({ "idempotency_key": key(), "payment_id": p["id"], "reason": "again" }),
        ),
        "conflict",
        "reversing twice",
    );
    // Both are audited.
    let pid = p["id"].to_string();
    assert!(shop
        .audit_rows("vendors.pay")
        .iter()
        .any(|r| r["result"] == "ok" && r["entity_id"] == pid.as_str()));
    assert!(shop
        .audit_rows("vendors.reverse_payment")
        .iter()
        .any(|r| r["result"] == "ok"
            && r["entity_id"] == pid.as_str()
            && r["summary"]["reversal_entry_id"] == reversal_entry));
    assert!(ledger_drift(&shop).is_empty());
}

#[test]
fn t09_a_replayed_payment_pays_once() {
    let (shop, mut owner) = Shop::with_owner();
    let v = vendor(&shop, &mut owner, "Once Only");
    let args =
        json!({ "idempotency_key": key(), "vendor_id": v, "amount_minor": 700, "tender": "bank" });
    let a = shop.call(&mut owner, "vendors.pay", args.clone()).unwrap();
    let b = shop.call(&mut owner, "vendors.pay", args.clone()).unwrap();
    assert_eq!(a, b);
    let mut changed = args;
    changed["amount_minor"] = json!(701);
    expect_code(
        &shop.call(&mut owner, "vendors.pay", changed),
        "idempotency_mismatch",
        "same key, other amount",
    );
    assert_eq!(shop.count("vendor_payments"), 1);
    assert_eq!(vendor_balance(&shop, v), -700);
    assert_eq!(a["number"], 1);
}

// ---------------------------------------------------------------------------
// purchase receipts: batches and accounts payable in one transaction
// ---------------------------------------------------------------------------

#[test]
fn t19_purchase_receipt_creates_batches_and_payables_from_an_active_vendor_only() {
    let (shop, mut owner) = Shop::with_owner();
    let v = vendor(&shop, &mut owner, "Dairy Co");
    let milk = Product::new("MILK-1L", 199).create(&shop, &mut owner);
    let r = shop
        .call(
            &mut owner,
            "purchasing.receive",
            json!({ "idempotency_key": key(), "vendor_id": v, "reference": "DN-1", "lines": [
                { "product_id": milk, "lot_code": "A", "expires_on": "2026-02-01", "unit_cost_minor": 85, "quantity": 48 },
                { "product_id": milk, "lot_code": "B", "unit_cost_minor": 90, "quantity": 10 },
            ] }),
        )
        .unwrap();
    assert_eq!(r["number"], 1);
    assert_eq!(r["total_minor"], 48 * 85 + 10 * 90);
    let batches: Vec<i64> = r["batch_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_i64().unwrap())
        .collect();
    assert_eq!(batches.len(), 2);
    assert_eq!(
        scalar(
            &shop.db,
            &format!("SELECT on_hand FROM batches WHERE id = {}", batches[0])
        ),
        48
    );
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM batches WHERE source_type = 'purchase_receipt' AND source_id = '{}'",
                r["id"]
            )
        ),
        2
    );
    assert_eq!(vendor_balance(&shop, v), 4_980);
    assert_eq!(
        shop.db
            .read(|c| ledger::account_balance(c, codes::INVENTORY))
            .unwrap(),
        4_980
    );
    // Paying the vendor brings what we owe down.
    pay(&shop, &mut owner, v, 980).unwrap();
    assert_eq!(vendor_balance(&shop, v), 4_000);

    // Unknown product: nothing at all is written.
    let before = snapshot(&shop.db);
    let bad = shop.call(
        &mut owner,
        "purchasing.receive",
        json!({ "idempotency_key": key(), "vendor_id": v, "lines": [
            { "product_id": milk, "lot_code": "C", "unit_cost_minor": 1, "quantity": 1 },
            { "product_id": 9_999, "lot_code": "D", "unit_cost_minor": 1, "quantity": 1 },
        ] }),
    );
    let e = bad.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation, "{e}");
    assert_eq!(e.details()["field"], "lines[1].product_id");
    assert_eq!(before["batches"], snapshot(&shop.db)["batches"]);
    assert_eq!(before["journal_lines"], snapshot(&shop.db)["journal_lines"]);
    // Archived vendor: refused.
    shop.call(
        &mut owner,
        "vendors.archive",
        json!({ "id": v, "version": version_of(&shop.db, "vendors", v) }),
    )
    .unwrap();
    let before_archive = shop.count("batches");
    expect_code(
        &shop.call(
            &mut owner,
            "purchasing.receive",
            json!({ "idempotency_key": key(), "vendor_id": v, "lines": [
                { "product_id": milk, "lot_code": "E", "unit_cost_minor": 1, "quantity": 1 },
            ] }),
        ),
        "conflict",
        "receiving from an archived vendor",
    );
    assert_eq!(shop.count("batches"), before_archive);
    assert_eq!(shop.count("purchase_receipts"), 1);
    assert!(ledger_drift(&shop).is_empty());
}

// ---------------------------------------------------------------------------
// T11 / T25: versioned updates
// ---------------------------------------------------------------------------

#[test]
fn t11_concurrent_edits_of_a_customer_or_vendor_one_wins() {
    let (shop, mut owner) = Shop::with_owner();
    let c = customer_with(&shop, &mut owner, "Contested", json!({ "phone": PHONE }));
    let v = vendor(&shop, &mut owner, "Contested Vendor");
    for (cmd, table, id) in [
        ("customers.update", "customers", c),
        ("vendors.update", "vendors", v),
    ] {
        let version = version_of(&shop.db, table, id);
        let edit = |i| json!({ "id": id, "version": version, "name": format!("Editor {i}") });
        let results = at_once(&owner, (0..4).map(|i| (&shop.d, cmd, edit(i))).collect());
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "{cmd}: {results:?}");
        for r in results.iter().filter(|r| r.is_err()) {
            assert_eq!(code(r), "conflict");
        }
        assert_eq!(version_of(&shop.db, table, id), version + 1);
        // A missing version is refused too.
        expect_code(
            &shop.call(&mut owner, cmd, json!({ "id": id, "name": "No Version" })),
            "validation",
            "missing version",
        );
    }
}

#[test]
fn t25_every_customer_and_vendor_update_bumps_the_version_by_one() {
    let (shop, mut owner) = Shop::with_owner();
    let c = customer_with(&shop, &mut owner, "Bump", json!({ "phone": PHONE }));
    let v = vendor(&shop, &mut owner, "Bump Vendor");
    let check =
        |session: &mut Option<Session>, cmd: &str, table: &str, id: i64, mut args: Value| {
            let before = version_of(&shop.db, table, id);
            args["version"] = json!(before);
            shop.call(session, cmd, args)
                .unwrap_or_else(|e| panic!("{cmd}: {e}"));
            assert_eq!(version_of(&shop.db, table, id), before + 1, "{cmd}");
        };
    check(
        &mut owner,
        "customers.update",
        "customers",
        c,
        json!({ "id": c, "name": "Bumped", "notes": "n" }),
    );
    check(
        &mut owner,
        "customers.set_credit",
        "customers",
        c,
        json!({ "id": c, "credit_limit_minor": 10 }),
    );
    check(
        &mut owner,
        "customers.archive",
        "customers",
        c,
        json!({ "id": c }),
    );
    check(
        &mut owner,
        "vendors.update",
        "vendors",
        v,
        json!({ "id": v, "name": "Bumped Vendor" }),
    );
    check(
        &mut owner,
        "vendors.archive",
        "vendors",
        v,
        json!({ "id": v }),
    );
    // The triggers refuse any other way of changing a row.
    for sql in [
        format!("UPDATE customers SET name = 'x' WHERE id = {c}"),
        format!("UPDATE vendors SET version = version + 2 WHERE id = {v}"),
    ] {
        assert!(shop.db.write(|tx| Ok(tx.execute(&sql, [])?)).is_err());
    }
}

// ---------------------------------------------------------------------------
// T35: bad inputs are refused at the boundary, naming the field
// ---------------------------------------------------------------------------

#[test]
fn t35_bad_inputs_are_refused_with_the_field_named() {
    let (shop, mut owner) = Shop::with_owner();
    let c = customer_with(&shop, &mut owner, "Valid", json!({ "phone": PHONE }));
    let v = vendor(&shop, &mut owner, "Valid Vendor");
    let long = "x".repeat(201);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("customers.create", json!({ "name": "" }), "name"),
        ("customers.create", json!({ "name": long }), "name"),
        ("customers.create", json!({ "name": " padded" }), "name"),
        (
            "customers.create",
            json!({ "name": "A", "phone": "call me" }),
            "phone",
        ),
        (
            "customers.create",
            json!({ "name": "A", "email": "nobody" }),
            "email",
        ),
        (
            "customers.create",
            json!({ "name": "A", "tax_id": "" }),
            "tax_id",
        ),
        (
            "customers.create",
            json!({ "name": "A", "notes": "n".repeat(2001) }),
            "notes",
        ),
        (
            "customers.create",
            json!({ "name": "A", "balance_minor": 5 }),
            "balance_minor",
        ),
        (
            "customers.update",
            json!({ "id": 0, "version": 1, "name": "A" }),
            "id",
        ),
        (
            "customers.update",
            json!({ "id": c, "version": 0, "name": "A" }),
            "version",
        ),
        (
            "customers.set_credit",
            json!({ "id": c, "version": 1, "credit_limit_minor": -1 }),
            "credit_limit_minor",
        ),
        (
            "customers.set_credit",
            json!({ "id": c, "version": 1, "credit_limit_minor": 1_i64 << 40 }),
            "credit_limit_minor",
        ),
        (
            "customers.set_credit",
            json!({ "id": c, "version": 1, "credit_limit_minor": 5, "credit_mode": "ignore" }),
            "credit_mode",
        ),
        (
            "customers.set_credit",
            json!({ "id": c, "version": 1, "credit_limit_minor": 5, "approver": { "username": "", "password": "long-enough-pw" } }),
            "approver.username",
        ),
        (
            "customers.set_credit",
            json!({ "id": c, "version": 1, "credit_limit_minor": 5, "credit_limit": 5 }),
            "credit_limit",
        ),
        ("customers.search", json!({ "limit": 0 }), "limit"),
        ("customers.search", json!({ "limit": 101 }), "limit"),
        ("customers.search", json!({ "after_id": 3 }), "after_id"),
        ("customers.get", json!({ "id": -4 }), "id"),
        ("vendors.create", json!({ "name": "\u{7}bell" }), "name"),
        (
            "vendors.update",
            json!({ "id": v, "version": 1, "name": "B", "email": "a b@c.d" }),
            "email",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": v, "amount_minor": 0, "tender": "cash" }),
            "amount_minor",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": v, "amount_minor": -100, "tender": "cash" }),
            "amount_minor",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": v, "amount_minor": 1_i64 << 40, "tender": "cash" }),
            "amount_minor",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": v, "amount_minor": 1.5, "tender": "cash" }),
            "amount_minor",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": v, "amount_minor": "100", "tender": "cash" }),
            "amount_minor",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": v, "amount_minor": 100, "tender": "card" }),
            "tender",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": 0, "amount_minor": 100, "tender": "cash" }),
            "vendor_id",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": v, "amount_minor": 100, "tender": "cash", "reference": "" }),
            "reference",
        ),
        (
            "vendors.pay",
            json!({ "vendor_id": v, "amount_minor": 100, "tender": "cash", "payee_id": 1 }),
            "payee_id",
        ),
        (
            "vendors.reverse_payment",
            json!({ "payment_id": 1, "reason": "" }),
            "reason",
        ),
        (
            "vendors.reverse_payment",
            json!({ "payment_id": 0, "reason": "r" }),
            "payment_id",
        ),
        (
            "vendors.payments",
            json!({ "vendor_id": v, "limit": 1000 }),
            "limit",
        ),
        (
            "purchasing.receive",
            json!({ "vendor_id": v, "lines": [] }),
            "lines",
        ),
        (
            "purchasing.receive",
            json!({ "vendor_id": v, "lines": [{ "product_id": 1, "lot_code": "L", "unit_cost_minor": -1, "quantity": 1 }] }),
            "lines[0].unit_cost_minor",
        ),
        (
            "purchasing.receive",
            json!({ "vendor_id": v, "lines": [{ "product_id": 1, "lot_code": "L", "unit_cost_minor": 1, "quantity": 0 }] }),
            "lines[0].quantity",
        ),
        (
            "purchasing.receive",
            json!({ "vendor_id": v, "lines": [{ "product_id": 1, "lot_code": "", "unit_cost_minor": 1, "quantity": 1 }] }),
            "lines[0].lot_code",
        ),
        (
            "purchasing.receive",
            json!({ "vendor_id": v, "lines": [{ "product_id": 1, "lot_code": "L", "expires_on": "2026-13-01", "unit_cost_minor": 1, "quantity": 1 }] }),
            "lines[0].expires_on",
        ),
        (
            "purchasing.receive",
            json!({ "vendor_id": v, "lines": [{ "product_id": 1, "lot_code": "L", "unit_cost_minor": 1_000_000_000_000_i64, "quantity": 1_000_000_000 }] }),
            "lines[0].quantity",
        ),
        ("ledger.entries", json!({ "limit": 0 }), "limit"),
        ("ledger.entries", json!({ "customer_id": 0 }), "customer_id"),
        (
            "ledger.entries",
            json!({ "from_ms": 10, "to_ms": 5 }),
            "to_ms",
        ),
        (
            "ledger.entries",
            json!({ "account_code": "" }),
            "account_code",
        ),
    ];
    let before = snapshot(&shop.db);
    for (cmd, mut args, field) in cases {
        let spec = tillbook_core::commands::find(cmd).unwrap();
        if spec.effect == tillbook_core::commands::Effect::Create {
            args["idempotency_key"] = json!(key());
        }
        let r = shop.call(&mut owner, cmd, args.clone());
        let e = match r {
            Ok(v) => panic!("{cmd} {args} was accepted: {v}"),
            Err(e) => e,
        };
        assert_eq!(e.code(), ErrorCode::Validation, "{cmd} {args}: {e}");
        assert_eq!(
            e.details()["field"],
            field,
            "{cmd} {args}: {e} names the wrong field"
        );
    }
    let after = snapshot(&shop.db);
    let changed: Vec<&String> = before
        .keys()
        .filter(|t| *t != "audit_log" && before.get(*t) != after.get(*t))
        .collect();
    assert!(changed.is_empty(), "bad inputs changed {changed:?}");
}

// ---------------------------------------------------------------------------
// T05: every write command of this module is one transaction
// ---------------------------------------------------------------------------

#[test]
fn t05_every_party_and_ledger_write_is_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    let approver = "sweep-approver";
    manager(&shop, &mut owner, approver);
    let mut n = 0;
    let mut next = move || {
        n += 1;
        n
    };

    let s = sweep_faults(
        &shop,
        &mut owner,
        "customers.create",
        || json!({ "idempotency_key": key(), "name": format!("Sweep Customer {}", next()) }),
    );
    assert!(s.statements >= 3);
    let c = customer_with(&shop, &mut owner, "Sweep Target", json!({ "phone": PHONE }));
    let s = sweep_faults(
        &shop,
        &mut owner,
        "customers.update",
        || json!({ "id": c, "version": version_of(&shop.db, "customers", c), "name": "Swept Name" }),
    );
    assert!(s.statements >= 2);
    let s = sweep_faults(&shop, &mut owner, "customers.set_credit", || {
        json!({ "id": c, "version": version_of(&shop.db, "customers", c), "credit_limit_minor": 900_000,
                "approver": { "username": approver, "password": password_of(approver) } })
    });
    assert!(s.statements >= 2);
    let s = sweep_faults(
        &shop,
        &mut owner,
        "customers.archive",
        || json!({ "id": c, "version": version_of(&shop.db, "customers", c) }),
    );
    assert!(s.statements >= 2);

    let s = sweep_faults(
        &shop,
        &mut owner,
        "vendors.create",
        || json!({ "idempotency_key": key(), "name": format!("Sweep Vendor {}", next()) }),
    );
    assert!(s.statements >= 3);
    let v = vendor(&shop, &mut owner, "Sweep Payee");
    let s = sweep_faults(
        &shop,
        &mut owner,
        "vendors.update",
        || json!({ "id": v, "version": version_of(&shop.db, "vendors", v), "name": "Swept Payee" }),
    );
    assert!(s.statements >= 2);
    let s = sweep_faults(
        &shop,
        &mut owner,
        "vendors.pay",
        || json!({ "idempotency_key": key(), "vendor_id": v, "amount_minor": 4_200, "tender": "cash" }),
    );
    // counter, 2 lines, header, payment, audit, idempotency (+ outbox)
    assert!(s.statements >= 7, "vendors.pay made {}", s.statements);
    let payment = scalar(&shop.db, "SELECT max(id) FROM vendor_payments");
    let s = sweep_faults(
        &shop,
        &mut owner,
        "vendors.reverse_payment",
        || json!({ "idempotency_key": key(), "payment_id": payment, "reason": "swept" }),
    );
    assert!(s.statements >= 6);
    let product = Product::new("SWEEP-1", 199).create(&shop, &mut owner);
    let s = sweep_faults(&shop, &mut owner, "purchasing.receive", || {
        json!({ "idempotency_key": key(), "vendor_id": v, "lines": [
            { "product_id": product, "lot_code": "L1", "unit_cost_minor": 25, "quantity": 4 },
            { "product_id": product, "lot_code": "L2", "expires_on": "2027-01-31", "unit_cost_minor": 30, "quantity": 2 },
        ] })
    });
    assert!(
        s.statements >= 9,
        "purchasing.receive made {}",
        s.statements
    );
    let s = sweep_faults(
        &shop,
        &mut owner,
        "vendors.archive",
        || json!({ "id": v, "version": version_of(&shop.db, "vendors", v) }),
    );
    assert!(s.statements >= 2);

    // Exactly one of each went through, and the ledger is whole.
    assert_eq!(shop.count("vendor_payments"), 1);
    assert_eq!(shop.count("vendor_payment_reversals"), 1);
    assert_eq!(shop.count("purchase_receipts"), 1);
    assert_eq!(shop.count("batches"), 2);
    assert_eq!(shop.count("journal_entries"), 3);
    assert_eq!(vendor_balance(&shop, v), 160);
    assert!(ledger_drift(&shop).is_empty(), "{:?}", ledger_drift(&shop));
    chain_is_intact(&shop.db);
}

// ---------------------------------------------------------------------------
// property: payments and reversals keep the ledger balanced
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Pay {
        vendor: usize,
        amount: i64,
        bank: bool,
    },
    Reverse {
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, 1..1_000_000i64, any::<bool>())
            .prop_map(|(vendor, amount, bank)| Op::Pay { vendor, amount, bank }),
        1 => any::<usize>().prop_map(|pick| Op::Reverse { pick }),
    ]
}

#[test]
fn random_payments_and_reversals_keep_every_entry_balanced() {
    let (shop, owner) = Shop::with_owner();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let case = std::cell::Cell::new(0);
    runner
        .run(&proptest::collection::vec(op(), 1..12), |ops| {
            case.set(case.get() + 1);
            let case = case.get();
            let mut owner = owner.clone();
            let vendors = [
                vendor(&shop, &mut owner, &format!("Prop A {case}")),
                vendor(&shop, &mut owner, &format!("Prop B {case}")),
            ];
            // (payment id, vendor index, amount, reversed)
            let mut paid: Vec<(i64, usize, i64, bool)> = Vec::new();
            for op in ops {
                match op {
                    Op::Pay { vendor, amount, bank } => {
                        let r = shop
                            .call(
                                &mut owner,
                                "vendors.pay",
                                json!({ "idempotency_key": key(), "vendor_id": vendors[vendor],
                                        "amount_minor": amount, "tender": if bank { "bank" } else { "cash" } }),
                            )
                            .unwrap();
                        paid.push((r["id"].as_i64().unwrap(), vendor, amount, false));
                    }
                    Op::Reverse { pick } => {
                        if paid.is_empty() {
                            continue;
                        }
                        let i = pick % paid.len();
                        let r = shop.call(
                            &mut owner,
                            "vendors.reverse_payment",
                            json!({ "idempotency_key": key(), "payment_id": paid[i].0, "reason": "prop" }),
                        );
                        if paid[i].3 {
                            prop_assert_eq!(code(&r), "conflict");
                        } else {
                            prop_assert!(r.is_ok(), "{:?}", r);
                            paid[i].3 = true;
                        }
                    }
                }
                prop_assert!(ledger_drift(&shop).is_empty(), "{:?}", ledger_drift(&shop));
            }
            for (i, &vid) in vendors.iter().enumerate() {
                let expected: i64 = paid
                    .iter()
                    .filter(|p| p.1 == i && !p.3)
                    .map(|p| -p.2)
                    .sum();
                let from_lines = scalar(
                    &shop.db,
                    &format!(
                        "SELECT coalesce(sum(credit_minor - debit_minor), 0) FROM journal_lines
                         WHERE vendor_id = {vid} AND account_id = (SELECT id FROM accounts WHERE code = '2000')"
                    ),
                );
                prop_assert_eq!(vendor_balance(&shop, vid), expected);
                prop_assert_eq!(from_lines, expected);
                let view = shop
                    .call(&mut owner, "vendors.get", json!({ "id": vid }))
                    .unwrap();
                prop_assert_eq!(view["balance_minor"].as_i64().unwrap(), expected);
            }
            Ok(())
        })
        .unwrap();
    // Over everything: debits equal credits across the whole ledger.
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT coalesce(sum(debit_minor) - sum(credit_minor), 0) FROM journal_lines"
        ),
        0
    );
}

// ---------------------------------------------------------------------------
// `tillbook verify` reports ledger drift
// ---------------------------------------------------------------------------

#[test]
fn verify_reports_an_unbalanced_entry_inserted_by_raw_sql() {
    let (shop, mut owner) = Shop::with_owner();
    let v = vendor(&shop, &mut owner, "Verify Vendor");
    let p = pay(&shop, &mut owner, v, 900).unwrap();
    shop.call(
        &mut owner,
        "vendors.reverse_payment",
        json!({ "idempotency_key": key(), "payment_id": p["id"], "reason": "check" }),
    )
    .unwrap();
    let (code0, out) = tillbook_verify(&shop.path);
    assert_eq!(code0, 0, "a clean ledger: {out}");

    // Someone writes an unbalanced entry behind the app's back: the schema's own
    // guard must be removed first, which is exactly what verify is for.
    let conn = Connection::open(&shop.path).unwrap();
    let refused = conn.execute_batch(
        "BEGIN;
         INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES (3, 1, 500, 0);
         INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES (3, 9, 0, 400);
         INSERT INTO journal_entries (id, posted_at_ms, memo, source_type, source_id, user_id, total_minor)
             VALUES (3, 0, 'tampered', 'raw', 1, 1, 500);
         COMMIT;",
    );
    assert!(refused.is_err(), "the balance trigger let it in");
    conn.execute_batch("ROLLBACK;").unwrap_or(());
    conn.execute_batch(
        "DROP TRIGGER journal_entries_balanced;
         BEGIN;
         INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES (3, 1, 500, 0);
         INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor) VALUES (3, 9, 0, 400);
         INSERT INTO journal_entries (id, posted_at_ms, memo, source_type, source_id, user_id, total_minor)
             VALUES (3, 0, 'tampered', 'raw', 1, 1, 500);
         UPDATE counters SET value = 3 WHERE name = 'journal_entries';
         COMMIT;",
    )
    .unwrap();
    drop(conn);

    let report = tillbook_core::ops::verify::run(&shop.db).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("journal entry 3 is unbalanced")),
        "{:?}",
        report.problems
    );
    let (code1, out) = tillbook_verify(&shop.path);
    assert_eq!(code1, 1, "{out}");
    assert!(
        out.contains("DRIFT: ledger: journal entry 3 is unbalanced"),
        "{out}"
    );
}
