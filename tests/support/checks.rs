//! What a test reads back to judge a command: one-off queries on the file, the
//! invariants every area re-checks after its scenario, and the parts of an
//! error that assertions compare.

use super::Shop;
use serde_json::Value;
use std::path::Path;
use tillbook_core::db::Db;
use tillbook_core::{Error, Session};

/// The single integer a query answers (a count, a sum, an id, a version).
pub fn scalar(db: &Db, sql: &str) -> i64 {
    db.read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
        .unwrap()
}

pub fn version_of(db: &Db, table: &str, id: i64) -> i64 {
    scalar(db, &format!("SELECT version FROM {table} WHERE id = {id}"))
}

pub fn on_hand(db: &Db, batch: i64) -> i64 {
    scalar(
        db,
        &format!("SELECT on_hand FROM batches WHERE id = {batch}"),
    )
}

/// A ledger account's balance, by its code.
pub fn balance(db: &Db, account: &str) -> i64 {
    db.read(|c| tillbook_core::ledger::account_balance(c, account))
        .unwrap()
}

/// Everything `tillbook verify` checks holds.
pub fn verify_is_clean(db: &Db) {
    let report = tillbook_core::ops::verify::run(db).unwrap();
    assert!(report.is_clean(), "verify: {:?}", report.problems);
}

/// Every journal entry's debits equal its credits.
pub fn every_entry_balanced(db: &Db) {
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id
              HAVING sum(debit_minor) <> sum(credit_minor))"
        ),
        0
    );
}

/// All debits in the ledger equal all credits.
pub fn ledger_balances(db: &Db) {
    assert_eq!(
        scalar(
            db,
            "SELECT coalesce(sum(debit_minor) - sum(credit_minor), 0) FROM journal_lines"
        ),
        0
    );
}

/// The error code of a reply, or `ok`.
pub fn code(r: &Result<Value, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code().as_str(),
    }
}

#[track_caller]
pub fn expect_code(r: &Result<Value, Error>, want: &str, what: &str) {
    assert_eq!(code(r), want, "{what}: {r:?}");
}

/// The error of a refusal; a success fails the test, named by `what`.
#[track_caller]
pub fn expect_err(r: Result<Value, Error>, what: &str) -> Error {
    match r {
        Ok(v) => panic!("{what}: expected an error, got Ok({v})"),
        Err(e) => e,
    }
}

/// A refusal with `code` naming `field`, as the wire form (`to_json`) says it.
#[track_caller]
pub fn expect_refused(r: Result<Value, Error>, code: &str, field: &str, what: &str) {
    let j = expect_err(r, what).to_json();
    assert_eq!(
        (j["code"].as_str(), j["details"]["field"].as_str()),
        (Some(code), Some(field)),
        "{what}: got {j}"
    );
}

#[track_caller]
pub fn expect_validation(r: Result<Value, Error>, field: &str, what: &str) {
    expect_refused(r, "validation", field, what);
}

/// One input a command must refuse: (command, args, expected code, expected field).
pub type Refusal = (&'static str, Value, &'static str, &'static str);

/// Sends every row; a row refused otherwise fails the test naming its number,
/// command and (the start of) its arguments.
#[track_caller]
pub fn expect_refusals(shop: &Shop, s: &mut Option<Session>, rows: &[Refusal]) {
    for (i, (cmd, args, code, field)) in rows.iter().enumerate() {
        let shown: String = args.to_string().chars().take(120).collect();
        let what = format!("row {i}: {cmd} {shown}");
        expect_refused(shop.call(s, cmd, args.clone()), code, field, &what);
    }
}

/// (code, field named in the details) of a refusal; a success fails the test.
#[track_caller]
pub fn field_of(r: &Result<Value, Error>) -> (String, String) {
    match r {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => (
            e.code().as_str().to_string(),
            e.details()["field"].as_str().unwrap_or("").to_string(),
        ),
    }
}

/// Every reply is a success and the same as the first, which it returns.
#[track_caller]
pub fn one_answer(results: &[Result<Value, Error>], what: &str) -> Value {
    let first = results[0].as_ref().unwrap().clone();
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(v) => assert_eq!(v, &first, "{what}, thread {i}"),
            Err(e) => panic!("{what}, thread {i}: {}", e.to_json()),
        }
    }
    first
}

/// `tillbook verify` on a file, as a separate process: (exit code, stdout + stderr).
pub fn tillbook_verify(db: &Path) -> (i32, String) {
    let out = super::tillbook_on(db).arg("verify").output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}
