//! The command surface as a client sees it: idempotent creates (T09), boundary
//! validation naming the field (T35), the pinned error wire form, typed startup
//! configuration (T14), typed settings defaults (T34), the JSON Lines transport,
//! and audit-log filters applied in SQL (T27).

use crate::support::checks::{
    code, expect_err, expect_refusals, expect_validation, one_answer, scalar, Refusal,
};
use crate::support::fixtures::replayed_at_once;
use crate::support::process::SpawnGuarded;
use crate::support::{self, key, Shop, OWNER, OWNER_PASSWORD};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use tillbook_core::config::{Config, ConfigError, ENV_BUSY_TIMEOUT_MS, ENV_DB, ENV_SYNCHRONOUS};
use tillbook_core::db::Synchronous;
use tillbook_core::records::audit::AuditRow;
use tillbook_core::shared::access::{role_has, Permission, Role, ROLE_PERMISSIONS};
use tillbook_core::shared::settings::Settings;
use tillbook_core::{Error, ErrorCode, Session};

// ---------------------------------------------------------------------------
// helpers

/// What a successful write leaves behind; a refused one must leave these alone.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Footprint {
    users: i64,
    outbox: i64,
    idempotency: i64,
    ok_audit: i64,
}

fn footprint(shop: &Shop) -> Footprint {
    Footprint {
        users: shop.count("users"),
        outbox: shop.count("outbox"),
        idempotency: shop.count("idempotency"),
        ok_audit: scalar(
            &shop.db,
            "SELECT count(*) FROM audit_log WHERE result = 'ok'",
        ),
    }
}

fn create_args(k: &str, username: &str, display_name: &str, password: &str) -> Value {
    json!({
        "idempotency_key": k,
        "username": username,
        "display_name": display_name,
        "role": "cashier",
        "password": password,
    })
}

// ---------------------------------------------------------------------------
// T09: idempotent creates

#[test]
fn t09_a_replayed_create_returns_the_first_result() {
    let (shop, mut owner) = Shop::with_owner();
    let before = footprint(&shop);
    let k = key();
    let args = create_args(&k, "carla", "Carla Cashier", "carla-password-1");

    let first = shop.call(&mut owner, "users.create", args.clone()).unwrap();
    shop.clock.advance_ms(1_000); // a replay later must still return the first result
    let second = shop.call(&mut owner, "users.create", args.clone()).unwrap();
    assert_eq!(
        first, second,
        "a replay returns the first response verbatim"
    );
    let id = first["id"].as_i64().unwrap();
    assert_eq!(first["created_at_ms"], json!(support::START_MS));

    let once = Footprint {
        users: before.users + 1,
        outbox: before.outbox + 1,
        idempotency: before.idempotency + 1,
        ok_audit: before.ok_audit + 1,
    };
    assert_eq!(footprint(&shop), once);
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM audit_log WHERE command = 'users.create' AND result = 'ok' \
                 AND entity = 'user' AND entity_id = '{id}'"
            )
        ),
        1
    );
    assert_eq!(
        scalar(
            &shop.db,
            &format!(
                "SELECT count(*) FROM outbox WHERE kind = 'user.created' AND entity_id = '{id}'"
            )
        ),
        1
    );

    // Same key, different content: refused, nothing written.
    for (what, changed) in [
        (
            "another display name",
            create_args(&k, "carla", "Carla C.", "carla-password-1"),
        ),
        (
            "another username",
            create_args(&k, "carlos", "Carla Cashier", "carla-password-1"),
        ),
        ("another role", {
            let mut a = args.clone();
            a["role"] = json!("manager");
            a
        }),
        ("a PIN added", {
            let mut a = args.clone();
            a["pin"] = json!("1234");
            a
        }),
    ] {
        let e = expect_err(shop.call(&mut owner, "users.create", changed), what);
        assert_eq!(
            e.to_json(),
            json!({
                "code": "idempotency_mismatch",
                "message": format!("idempotency key {k:?} was already used for a different request"),
                "details": { "idempotency_key": k },
            }),
            "{what}"
        );
        assert_eq!(footprint(&shop), once, "{what}: nothing may be written");
    }
    // The original request still replays after the mismatches.
    assert_eq!(shop.call(&mut owner, "users.create", args).unwrap(), first);

    // A create without a key, or with a malformed one, is refused naming the key.
    let mut no_key = create_args("x", "dora", "Dora", "dora-password-1");
    no_key.as_object_mut().unwrap().remove("idempotency_key");
    expect_validation(
        shop.call(&mut owner, "users.create", no_key),
        "idempotency_key",
        "create without a key",
    );
    let bad_keys = [
        json!("short7k"),
        json!("k".repeat(129)),
        json!("has a space 1234"),
        json!("tab\there-1234"),
        json!("ünïcödé-key-1234"),
        json!(""),
        json!(12_345_678),
        json!(null),
    ];
    for bad in bad_keys {
        let mut a = create_args("x", "dora", "Dora", "dora-password-1");
        a["idempotency_key"] = bad.clone();
        expect_validation(
            shop.call(&mut owner, "users.create", a),
            "idempotency_key",
            &format!("key {bad}"),
        );
    }

    // Commands that create nothing refuse a key instead of silently ignoring it.
    let k2 = key();
    let non_create = [
        (
            "users.update",
            json!({ "idempotency_key": k2, "id": id, "version": 1, "display_name": "New" }),
        ),
        (
            "users.archive",
            json!({ "idempotency_key": k2, "id": id, "version": 1 }),
        ),
        ("auth.lock", json!({ "idempotency_key": k2 })),
        ("users.list", json!({ "idempotency_key": k2 })),
        ("settings.get", json!({ "idempotency_key": k2 })),
    ];
    for (cmd, a) in non_create {
        expect_validation(shop.call(&mut owner, cmd, a), "idempotency_key", cmd);
    }
    let mut anon = None;
    expect_validation(
        shop.call(
            &mut anon,
            "auth.login",
            json!({ "idempotency_key": k2, "username": OWNER, "password": OWNER_PASSWORD }),
        ),
        "idempotency_key",
        "auth.login with a key",
    );
    assert!(anon.is_none());
    assert_eq!(footprint(&shop), once, "refused requests wrote nothing");
    // The user was not touched by the refused update/archive.
    let listed = shop.call(&mut owner, "users.list", json!({})).unwrap();
    let carla = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == json!(id))
        .unwrap();
    assert_eq!(carla, &first);

    // The key bounds are inclusive: 8 and 128 characters of the allowed set work.
    for (n, k) in [(8, "a-b_c:d.".to_string()), (128, "K".repeat(128))] {
        let a = create_args(&k, &format!("edge{n}"), "Edge", "edge-password-1");
        let v = shop.call(&mut owner, "users.create", a).unwrap();
        assert_eq!(v["username"], json!(format!("edge{n}")));
    }
}

/// A replay is recognised by the request's content. A password or PIN is content
/// too: retrying a key with another password must not pretend the new password
/// was set.
#[test]
fn t09_same_key_with_another_secret_is_a_mismatch() {
    let (shop, mut owner) = Shop::with_owner();
    let k = key();
    let mut args = create_args(&k, "sam", "Sam", "sam-password-1");
    args["pin"] = json!("1111");
    let first = shop.call(&mut owner, "users.create", args.clone()).unwrap();
    let after_first = footprint(&shop);

    let mut other_password = args.clone();
    other_password["password"] = json!("sam-password-2");
    let mut other_pin = args.clone();
    other_pin["pin"] = json!("2222");
    let mut replayed = Vec::new();
    for (what, a) in [("password", other_password), ("pin", other_pin)] {
        let r = shop.call(&mut owner, "users.create", a);
        if code(&r) != "idempotency_mismatch" {
            replayed.push(format!("another {what} was answered with {r:?}"));
        }
        assert_eq!(footprint(&shop), after_first, "{what}");
    }
    // Whatever happened above, the user still logs in only with the first password.
    assert!(shop.login("sam", "sam-password-1").is_ok());
    assert_eq!(
        code(&shop.login("sam", "sam-password-2").map(|_| Value::Null)),
        "unauthenticated"
    );
    assert!(
        replayed.is_empty(),
        "same key, other secret, first result {first}:\n{}",
        replayed.join("\n")
    );
}

#[test]
fn t09_fifty_concurrent_identical_submits_make_one_record() {
    const THREADS: usize = 50;
    const ROUNDS: usize = 5;
    for round in 0..ROUNDS {
        let (shop, owner) = Shop::with_owner();
        let before = footprint(&shop);
        let k = key();
        let username = format!("racer{round}");
        let args = create_args(&k, &username, "Racer", "racer-password-1");
        let results = replayed_at_once(&shop, &owner, THREADS, "users.create", &args);
        let first = one_answer(&results, &format!("round {round}"));
        let id = first["id"].as_i64().unwrap();
        assert_eq!(first["username"], json!(username));
        assert_eq!(
            footprint(&shop),
            Footprint {
                users: before.users + 1,
                outbox: before.outbox + 1,
                idempotency: before.idempotency + 1,
                ok_audit: before.ok_audit + 1,
            },
            "round {round}"
        );
        assert_eq!(
            scalar(
                &shop.db,
                &format!("SELECT count(*) FROM users WHERE username = '{username}'")
            ),
            1
        );
        assert_eq!(
            scalar(
                &shop.db,
                &format!(
                    "SELECT count(*) FROM audit_log WHERE command = 'users.create' AND entity_id = '{id}'"
                )
            ),
            1,
            "round {round}: one audit row, and no refused or failed attempts"
        );
        assert_eq!(
            scalar(
                &shop.db,
                &format!(
                    "SELECT count(*) FROM outbox WHERE kind = 'user.created' AND entity_id = '{id}'"
                )
            ),
            1
        );
    }
}

// ---------------------------------------------------------------------------
// T35: bad inputs

/// What the boundary refuses (T35), given the stored settings `good`: each row
/// is (command, args, expected code, expected field).
#[rustfmt::skip]
fn bad_inputs(good: &Value) -> Vec<Refusal> {
    const V: &str = "validation";
    let user = |username: &str| create_args(&key(), username, "Valid Name", "valid-password");
    let user_with = |field: &str, value: Value| {
        let mut a = user("valid.user");
        a[field] = value;
        a
    };
    let settings = |s: Value| json!({ "version": 1, "settings": s });
    let settings_with = |field: &str, value: Value| {
        let mut s = good.clone();
        s[field] = value;
        settings(s)
    };
    let mut max_below_base = good.clone();
    max_below_base["lockout_base_ms"] = json!(60_000);
    max_below_base["lockout_max_ms"] = json!(59_999);
    vec![
        // usernames
        ("users.create", user(""), V, "username"),
        ("users.create", user(&"u".repeat(65)), V, "username"),
        ("users.create", user("two words"), V, "username"),
        ("users.create", user(" lead"), V, "username"),
        ("users.create", user("tab\tin"), V, "username"),
        ("users.create", user("bell\u{7}"), V, "username"),
        ("users.create", user("nul\u{0}"), V, "username"),
        ("users.create", user("jos\u{e9}"), V, "username"),
        ("users.create", user("\u{441}\u{430}\u{43c}"), V, "username"),
        ("users.create", user("semi;colon"), V, "username"),
        ("users.create", user_with("username", json!(5)), V, "username"),
        // display names
        ("users.create", user_with("display_name", json!("")), V, "display_name"),
        ("users.create", user_with("display_name", json!("d".repeat(101))), V, "display_name"),
        ("users.create", user_with("display_name", json!(" Leading")), V, "display_name"),
        ("users.create", user_with("display_name", json!("Trailing ")), V, "display_name"),
        ("users.create", user_with("display_name", json!("line\nbreak")), V, "display_name"),
        // passwords and PINs
        ("users.create", user_with("password", json!("1234567")), V, "password"),
        ("users.create", user_with("password", json!("p".repeat(257))), V, "password"),
        ("users.create", user_with("password", json!(12345678)), V, "password"),
        ("users.create", user_with("pin", json!("12")), V, "pin"),
        ("users.create", user_with("pin", json!("123456789")), V, "pin"),
        ("users.create", user_with("pin", json!("12ab")), V, "pin"),
        ("users.create", user_with("pin", json!("１２３４")), V, "pin"),
        ("users.create", user_with("pin", json!(1234)), V, "pin"),
        // roles
        ("users.create", user_with("role", json!("superuser")), V, "role"),
        ("users.create", user_with("role", json!("Owner")), V, "role"),
        ("users.create", user_with("role", json!(null)), V, "role"),
        // missing and unknown fields
        ("users.create", json!({ "idempotency_key": key(), "username": "x", "display_name": "X", "role": "cashier" }), V, "password"),
        ("users.create", user_with("is_admin", json!(true)), V, "is_admin"),
        ("users.update", json!({ "id": 2, "version": 1, "display_name": "X", "password_hash": "$argon2id$x" }), V, "password_hash"),
        ("users.list", json!({ "archived": true }), V, "archived"),
        ("settings.get", json!({ "anything": 1 }), V, "anything"),
        // ids and versions
        ("users.update", json!({ "id": 0, "version": 1, "display_name": "X" }), V, "id"),
        ("users.update", json!({ "id": -3, "version": 1, "display_name": "X" }), V, "id"),
        ("users.update", json!({ "id": 2, "version": 0, "display_name": "X" }), V, "version"),
        ("users.update", json!({ "id": 2, "version": -1, "role": "cashier" }), V, "version"),
        ("users.update", json!({ "id": 2, "version": 1, "display_name": "" }), V, "display_name"),
        ("users.update", json!({ "id": 2, "version": 1 }), V, "display_name"),
        ("users.archive", json!({ "id": 0, "version": 1 }), V, "id"),
        ("users.archive", json!({ "id": 2, "version": 0 }), V, "version"),
        ("users.archive", json!({ "id": "2", "version": 1 }), V, "id"),
        ("users.reset_password", json!({ "id": -1, "version": 1, "password": "valid-password" }), V, "id"),
        ("users.reset_password", json!({ "id": 2, "version": 0, "password": "valid-password" }), V, "version"),
        ("users.reset_password", json!({ "id": 2, "version": 1, "password": "short" }), V, "password"),
        ("users.list", json!({ "limit": 0 }), V, "limit"),
        ("users.list", json!({ "limit": 201 }), V, "limit"),
        // settings
        ("settings.update", settings_with("idle_lock_ms", json!(0)), V, "idle_lock_ms"),
        ("settings.update", settings_with("idle_lock_ms", json!(-1)), V, "idle_lock_ms"),
        ("settings.update", settings_with("max_failed_logins", json!(100)), V, "max_failed_logins"),
        ("settings.update", settings_with("max_failed_logins", json!(0)), V, "max_failed_logins"),
        ("settings.update", settings_with("lockout_base_ms", json!(0)), V, "lockout_base_ms"),
        ("settings.update", settings(max_below_base), V, "lockout_max_ms"),
        ("settings.update", settings_with("credit_approval_threshold_minor", json!(-1)), V, "credit_approval_threshold_minor"),
        ("settings.update", settings_with("receipt_footer", json!("f".repeat(501))), V, "receipt_footer"),
        ("settings.update", settings_with("no_such_setting", json!(1)), V, "settings.no_such_setting"),
        ("settings.update", json!({ "version": 0, "settings": good }), V, "version"),
        ("settings.update", json!({ "settings": good }), V, "version"),
        // audit.list
        ("audit.list", json!({ "limit": 0 }), V, "limit"),
        ("audit.list", json!({ "limit": 501 }), V, "limit"),
        ("audit.list", json!({ "limit": -1 }), V, "limit"),
        ("audit.list", json!({ "command": "" }), V, "command"),
        ("audit.list", json!({ "entity_id": "e".repeat(65) }), V, "entity_id"),
        ("audit.list", json!({ "result": "maybe" }), V, "result"),
        ("audit.list", json!({ "from_ms": 10, "to_ms": 9 }), V, "from_ms"),
        ("audit.list", json!({ "user": 1 }), V, "user"),
        // args that are not an object, or far too big
        ("users.create", json!([1]), V, "args"),
        ("users.create", json!("x"), V, "args"),
        ("users.update", json!(7), V, "args"),
        ("users.list", json!(true), V, "args"),
        ("audit.list", json!([]), V, "args"),
        ("users.create", user_with("display_name", json!("x".repeat(300 * 1024))), V, "args"),
        // an unknown command
        ("users.delete", json!({ "id": 2 }), V, "cmd"),
        ("", json!({}), V, "cmd"),
    ]
}

#[test]
fn t35_bad_inputs_are_refused_with_the_field_named() {
    let (shop, mut owner) = Shop::with_owner();
    let settings = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    assert_eq!(settings["version"], json!(1));
    let good = settings["settings"].clone();
    let before = footprint(&shop);

    expect_refusals(&shop, &mut owner, &bad_inputs(&good));
    assert_eq!(footprint(&shop), before, "refused inputs wrote nothing");
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM audit_log WHERE result <> 'ok' AND error_code <> 'validation'"
        ),
        0
    );
    let stored = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    assert_eq!(stored, settings, "settings are unchanged");

    // The bounds are inclusive: the largest and smallest accepted values pass.
    let mut edge = create_args(&key(), &"u".repeat(64), &"\u{e9}".repeat(100), "12345678");
    edge["pin"] = json!("12345678");
    let v = shop.call(&mut owner, "users.create", edge).unwrap();
    assert_eq!(v["display_name"], json!("\u{e9}".repeat(100)));
    let mut edge = create_args(&key(), "u.s-e_r9", "A", &"p".repeat(256));
    edge["pin"] = json!("0000");
    shop.call(&mut owner, "users.create", edge).unwrap();
    assert!(shop.login("u.s-e_r9", &"p".repeat(256)).is_ok());
    let mut s = good.clone();
    s["idle_lock_ms"] = json!(30_000);
    s["max_failed_logins"] = json!(20);
    s["lockout_base_ms"] = json!(1_000);
    s["lockout_max_ms"] = json!(1_000);
    s["receipt_footer"] = json!("f".repeat(500));
    let updated = shop
        .call(
            &mut owner,
            "settings.update",
            json!({ "version": 1, "settings": s }),
        )
        .unwrap();
    assert_eq!(updated["version"], json!(2));
}

// ---------------------------------------------------------------------------
// The error wire form

/// Exhaustive on purpose: a new variant does not compile until it is pinned here.
fn variant_name(e: &Error) -> &'static str {
    match e {
        Error::Unauthenticated(_) => "Unauthenticated",
        Error::Forbidden(_) => "Forbidden",
        Error::NeedsApproval { .. } => "NeedsApproval",
        Error::Validation { .. } => "Validation",
        Error::NotFound { .. } => "NotFound",
        Error::Conflict { .. } => "Conflict",
        Error::StateConflict { .. } => "StateConflict",
        Error::Duplicate { .. } => "Duplicate",
        Error::IdempotencyMismatch { .. } => "IdempotencyMismatch",
        Error::InsufficientStock { .. } => "InsufficientStock",
        Error::CreditLimit { .. } => "CreditLimit",
        Error::Locked { .. } => "Locked",
        Error::Busy { .. } => "Busy",
        Error::Internal(_) => "Internal",
    }
}

#[test]
fn error_json_form_is_pinned() {
    let cases: Vec<(Error, Value)> = vec![
        (
            Error::Unauthenticated("log in first".into()),
            json!({ "code": "unauthenticated", "message": "log in first", "details": {} }),
        ),
        (
            Error::Forbidden("a cashier may not use users.create".into()),
            json!({
                "code": "forbidden",
                "message": "a cashier may not use users.create",
                "details": {},
            }),
        ),
        (
            Error::NeedsApproval {
                message: "a cashier may not do this with sales.checkout (needs sales.discount)"
                    .into(),
                needs: vec!["sales.discount"],
            },
            json!({
                "code": "forbidden",
                "message": "a cashier may not do this with sales.checkout (needs sales.discount)",
                "details": { "needs": ["sales.discount"], "approvable": true },
            }),
        ),
        (
            Error::validation("username", "must be 1 to 64 characters, got 0"),
            json!({
                "code": "validation",
                "message": "username: must be 1 to 64 characters, got 0",
                "details": { "field": "username", "kind": "invalid" },
            }),
        ),
        (
            // The kind a UI words from: "Enter a username (up to 64 letters)".
            Error::invalid_field(
                "username",
                tillbook_core::error::FieldError::Required {
                    max_chars: Some(64),
                },
                "must be 1 to 64 characters, got 0",
            ),
            json!({
                "code": "validation",
                "message": "username: must be 1 to 64 characters, got 0",
                "details": { "field": "username", "kind": "required", "max_chars": 64 },
            }),
        ),
        (
            Error::not_found("user", 42),
            json!({
                "code": "not_found",
                "message": "user 42 was not found",
                "details": { "entity": "user", "id": "42" },
            }),
        ),
        (
            Error::Conflict {
                entity: "user",
                id: "7".into(),
                expected: 3,
            },
            json!({
                "code": "conflict",
                "message": "user 7 was changed by someone else (you had version 3); reload and try again",
                "details": { "entity": "user", "id": "7", "expected_version": 3 },
            }),
        ),
        (
            Error::StateConflict {
                message: "the shop needs at least one owner".into(),
            },
            json!({
                "code": "conflict",
                "message": "the shop needs at least one owner",
                "details": {},
            }),
        ),
        (
            Error::Duplicate {
                field: "username".into(),
                value: "ann".into(),
            },
            json!({
                "code": "duplicate",
                "message": "username \"ann\" is already in use",
                "details": { "field": "username", "value": "ann" },
            }),
        ),
        (
            Error::IdempotencyMismatch {
                key: "key-0001".into(),
            },
            json!({
                "code": "idempotency_mismatch",
                "message": "idempotency key \"key-0001\" was already used for a different request",
                "details": { "idempotency_key": "key-0001" },
            }),
        ),
        (
            Error::InsufficientStock {
                message: "Only 2 × Cheddar left".into(),
                product: Some("Cheddar".into()),
                left: Some("2".into()),
            },
            json!({
                "code": "insufficient_stock",
                "message": "not enough stock: Only 2 × Cheddar left",
                "details": { "product": "Cheddar", "left": "2" },
            }),
        ),
        (
            Error::CreditLimit {
                message: "over by 5.00".into(),
                customer: Some("Ana".into()),
                limit_minor: Some(10_000),
                over_by_minor: Some(500),
            },
            json!({
                "code": "credit_limit",
                "message": "credit limit exceeded: over by 5.00",
                "details": { "customer": "Ana", "limit_minor": 10_000, "over_by_minor": 500 },
            }),
        ),
        (
            Error::Locked {
                message: "the account is locked for 30 more seconds".into(),
                until_ms: Some(1_767_225_630_000),
            },
            json!({
                "code": "locked",
                "message": "the account is locked for 30 more seconds",
                "details": { "until_ms": 1_767_225_630_000_i64 },
            }),
        ),
        (
            Error::Locked {
                message: "the till is locked".into(),
                until_ms: None,
            },
            json!({
                "code": "locked",
                "message": "the till is locked",
                "details": { "until_ms": null },
            }),
        ),
        (
            Error::Busy { attempts: 6 },
            json!({
                "code": "busy",
                "message": "the database stayed busy after 6 attempts; nothing was saved, try again",
                "details": { "attempts": 6 },
            }),
        ),
        (
            Error::internal("boom"),
            json!({ "code": "internal", "message": "internal error: boom", "details": {} }),
        ),
    ];
    let mut variants = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for (err, expected) in &cases {
        assert_eq!(&err.to_json(), expected, "{err:?}");
        assert_eq!(err.code().as_str(), expected["code"].as_str().unwrap());
        variants.insert(variant_name(err));
        codes.insert(err.code().as_str());
    }
    assert_eq!(variants.len(), 14, "every Error variant is pinned");

    let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        all,
        [
            "unauthenticated",
            "forbidden",
            "validation",
            "not_found",
            "conflict",
            "duplicate",
            "idempotency_mismatch",
            "insufficient_stock",
            "credit_limit",
            "locked",
            "busy",
            "internal",
        ]
    );
    for c in ErrorCode::ALL {
        assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
    }
    assert_eq!(
        codes,
        all.iter().copied().collect::<BTreeSet<_>>(),
        "every code is reachable from some Error"
    );
    // Refusals are the caller's; only internal and busy are ours.
    for (err, _) in &cases {
        let ours = matches!(err.code(), ErrorCode::Internal | ErrorCode::Busy);
        assert_eq!(err.is_refusal(), !ours, "{err:?}");
    }
}

// ---------------------------------------------------------------------------
// T14: configuration

fn load(
    env: &[(&str, &str)],
    cli_db: Option<&str>,
    default: Option<&str>,
) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::load(
        cli_db.map(PathBuf::from),
        |k| env.get(k).cloned(),
        default.map(PathBuf::from),
    )
}

#[test]
fn t14_malformed_configuration_stops_startup_naming_it() {
    let dflt = Some("/data/tillbook/tillbook.db");
    // Set but empty is an error, never "use an empty string".
    for empty in ["", "   ", "\t"] {
        for name in [ENV_DB, ENV_SYNCHRONOUS, ENV_BUSY_TIMEOUT_MS] {
            let err = load(&[(name, empty)], None, dflt).unwrap_err();
            assert_eq!(err, ConfigError::Empty { name }, "{name}={empty:?}");
            assert!(err.to_string().contains(name), "{err}");
        }
    }
    // An explicit --db does not hide a broken variable.
    assert_eq!(
        load(&[(ENV_DB, "")], Some("/tmp/x.db"), dflt).unwrap_err(),
        ConfigError::Empty { name: ENV_DB }
    );

    let malformed = [
        (ENV_SYNCHRONOUS, "sometimes"),
        (ENV_SYNCHRONOUS, "OFF"),
        (ENV_SYNCHRONOUS, "0"),
        (ENV_BUSY_TIMEOUT_MS, "abc"),
        (ENV_BUSY_TIMEOUT_MS, "0"),
        (ENV_BUSY_TIMEOUT_MS, "-5"),
        (ENV_BUSY_TIMEOUT_MS, "60001"),
        (ENV_BUSY_TIMEOUT_MS, "999999"),
        (ENV_BUSY_TIMEOUT_MS, "99999999999"),
        (ENV_BUSY_TIMEOUT_MS, "2.5"),
        (ENV_BUSY_TIMEOUT_MS, "250ms"),
    ];
    for (name, value) in malformed {
        let err = load(&[(name, value)], Some("/tmp/x.db"), dflt).unwrap_err();
        match &err {
            ConfigError::Malformed {
                name: n, value: v, ..
            } => {
                assert_eq!((*n, v.as_str()), (name, value));
            }
            other => panic!("{name}={value:?}: expected Malformed, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains(name) && msg.contains(value), "{msg}");
    }

    let err = load(&[], None, None).unwrap_err();
    assert_eq!(err, ConfigError::NoDefaultPath);
    assert!(err.to_string().contains(ENV_DB), "{err}");

    // Valid values parse into typed values; unset ones take typed defaults.
    let c = load(
        &[(ENV_SYNCHRONOUS, "normal"), (ENV_BUSY_TIMEOUT_MS, "250")],
        None,
        dflt,
    )
    .unwrap();
    assert_eq!(c.open.synchronous, Synchronous::Normal);
    assert_eq!(c.open.busy_timeout_ms, 250);
    assert_eq!(c.db_path, PathBuf::from("/data/tillbook/tillbook.db"));
    let c = load(
        &[(ENV_SYNCHRONOUS, "FULL"), (ENV_BUSY_TIMEOUT_MS, "60000")],
        None,
        dflt,
    )
    .unwrap();
    assert_eq!(c.open.synchronous, Synchronous::Full);
    assert_eq!(c.open.busy_timeout_ms, 60_000);
    let c = load(&[], None, dflt).unwrap();
    assert_eq!(c.open.synchronous, Synchronous::Full);
    assert_eq!(c.open.busy_timeout_ms, 5_000);
    // Precedence: --db, then TILLBOOK_DB, then the default.
    let env = [(ENV_DB, "/env/shop.db")];
    assert_eq!(
        load(&env, None, dflt).unwrap().db_path,
        PathBuf::from("/env/shop.db")
    );
    assert_eq!(
        load(&env, Some("/cli/shop.db"), dflt).unwrap().db_path,
        PathBuf::from("/cli/shop.db")
    );

    // The real binary refuses to start and names the variable.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    for (name, value) in [(ENV_SYNCHRONOUS, "sometimes"), (ENV_BUSY_TIMEOUT_MS, "abc")] {
        let out = support::tillbook_on(&db)
            .env(name, value)
            .arg("verify")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}={value}: {:?}", out.status);
        assert!(stderr.contains(name) && stderr.contains(value), "{stderr}");
        assert!(!db.exists(), "nothing is created when startup stops");
    }
}

// ---------------------------------------------------------------------------
// T34: settings

#[test]
fn t34_every_setting_has_a_typed_default() {
    let (shop, mut owner) = Shop::with_owner();
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    let got = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    assert_eq!(got["version"], json!(1));
    let keys: Vec<&String> = defaults.as_object().unwrap().keys().collect();
    assert!(keys.len() >= 7, "{keys:?}");
    for k in &keys {
        assert_eq!(got["settings"][k.as_str()], defaults[k.as_str()], "{k}");
    }
    assert_eq!(got["settings"], defaults);

    // A full valid document replaces the settings and bumps the version.
    let mut s = defaults.clone();
    s["idle_lock_ms"] = json!(120_000);
    s["max_failed_logins"] = json!(7);
    s["lockout_base_ms"] = json!(10_000);
    s["lockout_max_ms"] = json!(600_000);
    s["credit_approval_threshold_minor"] = json!(25_000);
    s["prices_include_tax"] = json!(true);
    s["receipt_footer"] = json!("Thank you!");
    let out = shop
        .call(
            &mut owner,
            "settings.update",
            json!({ "version": 1, "settings": s }),
        )
        .unwrap();
    assert_eq!(out, json!({ "version": 2, "settings": s }));
    let stored = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    assert_eq!(stored, out);
    let typed: Settings = serde_json::from_value(stored["settings"].clone()).unwrap();
    assert_eq!(typed.idle_lock_ms, 120_000);
    assert!(typed.prices_include_tax);

    // A stale version is a conflict and writes nothing.
    let outbox = shop.count("outbox");
    let stale = shop.call(
        &mut owner,
        "settings.update",
        json!({ "version": 1, "settings": defaults }),
    );
    let e = expect_err(stale, "stale settings update");
    assert_eq!(
        e.to_json()["details"],
        json!({ "entity": "settings", "id": "1", "expected_version": 1 })
    );
    assert_eq!(e.code(), ErrorCode::Conflict);
    assert_eq!(
        shop.call(&mut owner, "settings.get", json!({})).unwrap(),
        stored
    );
    assert_eq!(shop.count("outbox"), outbox);

    // Who may change settings comes from the role table.
    assert!(ROLE_PERMISSIONS.iter().any(|(r, _)| *r == Role::Owner));
    let mut version = 2;
    for role in Role::ALL {
        let mut session = shop.session_as(&mut owner, role.as_str());
        // Every signed-in user can read them.
        let seen = shop.call(&mut session, "settings.get", json!({})).unwrap();
        assert_eq!(seen["version"], json!(version), "{role:?}");
        let mut s = defaults.clone();
        s["receipt_footer"] = json!(format!("set by {}", role.as_str()));
        let r = shop.call(
            &mut session,
            "settings.update",
            json!({ "version": version, "settings": s }),
        );
        if role_has(role, Permission::SettingsManage) {
            assert_eq!(r.unwrap(), json!({ "version": version + 1, "settings": s }));
            version += 1;
        } else {
            assert_eq!(code(&r), "forbidden", "{role:?}");
            let now = shop.call(&mut owner, "settings.get", json!({})).unwrap();
            assert_eq!(now["version"], json!(version), "{role:?}: nothing written");
        }
    }
    assert!(!role_has(Role::Cashier, Permission::SettingsManage));
    assert!(role_has(Role::Owner, Permission::SettingsManage));

    // A stored document missing keys (an older version of Tillbook wrote it)
    // reads with the defaults for those keys.
    {
        let conn = rusqlite::Connection::open(&shop.path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn.execute(
            "UPDATE settings SET json = '{\"receipt_footer\":\"Old\"}', version = version + 1 WHERE id = 1",
            [],
        )
        .unwrap();
    }
    let got = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    let mut expected = defaults.clone();
    expected["receipt_footer"] = json!("Old");
    assert_eq!(got, json!({ "version": version + 1, "settings": expected }));
}

// ---------------------------------------------------------------------------
// The JSON Lines transport

#[test]
fn api_transport_speaks_json_lines() {
    let (shop, _owner) = Shop::with_owner();
    let oversized = format!(
        "{{\"id\":\"big\",\"cmd\":\"setup.status\",\"args\":{{\"pad\":\"{}\"}}}}",
        "a".repeat(1024 * 1024 + 16)
    );
    // (line, expected id, expected ok, expected error code and field)
    let login = json!({
        "id": 8,
        "cmd": "auth.login",
        "args": { "username": OWNER, "password": OWNER_PASSWORD },
    })
    .to_string();
    type Expect = Option<(Value, bool, Option<(&'static str, Option<&'static str>)>)>;
    let script: Vec<(String, Expect)> = vec![
        (
            r#"{"id":1,"cmd":"setup.status"}"#.into(),
            Some((json!(1), true, None)),
        ),
        (
            r#"{"id":2,"cmd":"users.list"}"#.into(),
            Some((json!(2), false, Some(("unauthenticated", None)))),
        ),
        (
            "{not json".into(),
            Some((Value::Null, false, Some(("validation", Some("request"))))),
        ),
        (
            "[1,2,3]".into(),
            Some((Value::Null, false, Some(("validation", Some("request"))))),
        ),
        (
            r#"{"id":"no-cmd","args":{}}"#.into(),
            Some((json!("no-cmd"), false, Some(("validation", Some("cmd"))))),
        ),
        (
            r#"{"id":5,"cmd":"no.such.command"}"#.into(),
            Some((json!(5), false, Some(("validation", Some("cmd"))))),
        ),
        (
            r#"{"id":6,"cmd":"auth.whoami","session":{"user_id":1,"role":"owner"}}"#.into(),
            Some((json!(6), false, Some(("validation", Some("session"))))),
        ),
        (
            r#"{"id":7,"cmd":"auth.whoami","args":{"user_id":1}}"#.into(),
            Some((json!(7), false, Some(("unauthenticated", None)))),
        ),
        (login, Some((json!(8), true, None))),
        (String::new(), None),
        ("   \t".into(), None),
        (
            r#"{"id":9,"cmd":"auth.whoami"}"#.into(),
            Some((json!(9), true, None)),
        ),
        (
            r#"{"id":{"n":10},"cmd":"users.list","args":null}"#.into(),
            Some((json!({ "n": 10 }), true, None)),
        ),
        (
            oversized,
            Some((Value::Null, false, Some(("validation", Some("request"))))),
        ),
        (
            r#"{"id":11,"cmd":"users.list","args":[1]}"#.into(),
            Some((json!(11), false, Some(("validation", Some("args"))))),
        ),
        (
            r#"{"id":12,"cmd":"users.list","args":{"limit":0}}"#.into(),
            Some((json!(12), false, Some(("validation", Some("limit"))))),
        ),
        (
            r#"{"id":"last","cmd":"auth.whoami"}"#.into(),
            Some((json!("last"), true, None)),
        ),
    ];
    let mut input = String::new();
    for (line, _) in &script {
        input.push_str(line);
        input.push('\n');
    }

    let mut child = support::tillbook_on(&shop.path)
        .arg("api")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_guarded()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).unwrap();
        // Dropping stdin closes it: EOF ends the process.
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);

    let stdout = String::from_utf8(out.stdout).unwrap();
    let responses: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect();
    let expected: Vec<_> = script.iter().filter_map(|(_, e)| e.clone()).collect();
    assert_eq!(
        responses.len(),
        expected.len(),
        "one line per request, none for blanks:\n{stdout}"
    );
    for (i, (resp, (id, ok, err))) in responses.iter().zip(expected).enumerate() {
        let obj = resp.as_object().unwrap();
        assert_eq!(resp["id"], id, "response {i}: {resp}");
        assert_eq!(resp["ok"], json!(ok), "response {i}: {resp}");
        if ok {
            assert_eq!(
                obj.keys().map(String::as_str).collect::<BTreeSet<_>>(),
                BTreeSet::from(["data", "id", "ok"]),
                "response {i}: {resp}"
            );
        } else {
            assert_eq!(
                obj.keys().map(String::as_str).collect::<BTreeSet<_>>(),
                BTreeSet::from(["error", "id", "ok"]),
                "response {i}: {resp}"
            );
            let e = resp["error"].as_object().unwrap();
            assert_eq!(
                e.keys().map(String::as_str).collect::<BTreeSet<_>>(),
                BTreeSet::from(["code", "details", "message"]),
                "response {i}: {resp}"
            );
            assert!(!e["message"].as_str().unwrap().is_empty());
            assert!(e["details"].is_object());
            let (code, field) = err.unwrap();
            assert_eq!(e["code"], json!(code), "response {i}: {resp}");
            if let Some(field) = field {
                assert_eq!(e["details"]["field"], json!(field), "response {i}: {resp}");
            }
        }
    }
    assert_eq!(responses[0]["data"]["needs_setup"], json!(false));
    assert_eq!(responses[0]["data"]["shop_name"], json!("Test Shop"));
    assert_eq!(responses[8]["data"]["username"], json!(OWNER));
    assert_eq!(responses[9]["data"]["username"], json!(OWNER));
    assert_eq!(responses[9]["data"]["role"], json!("owner"));
    let users = responses[10]["data"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["username"], json!(OWNER));
    assert!(users[0].get("password_hash").is_none());
    assert_eq!(responses.last().unwrap()["data"]["username"], json!(OWNER));
}

// ---------------------------------------------------------------------------
// T27: audit filters

fn audit_list(shop: &Shop, session: &mut Option<Session>, filter: Value) -> Vec<AuditRow> {
    let v = shop
        .call(session, "audit.list", filter.clone())
        .unwrap_or_else(|e| panic!("audit.list {filter}: {}", e.to_json()));
    serde_json::from_value(v).unwrap()
}

fn ids(rows: &[AuditRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

#[test]
fn t27_audit_filters_are_applied_in_sql() {
    let (shop, mut owner) = Shop::with_owner();
    let owner_id = owner.as_ref().unwrap().user_id;
    let step = 1_000;

    // Three users, created a second apart.
    shop.clock.advance_ms(step);
    let created_from = shop.d.now_ms();
    let mut users = Vec::new();
    for name in ["ann", "ben", "cal"] {
        users.push(shop.create_user(&mut owner, name, "cashier"));
        shop.clock.advance_ms(step);
    }
    let created_to = shop.d.now_ms() - step;
    let (ann, ben, cal) = (users[0], users[1], users[2]);

    // Wrong passwords: two for ann, one for ben, one for a name that doesn't exist.
    shop.clock.advance_ms(step);
    let failed_from = shop.d.now_ms();
    for name in ["ann", "ben", "ann", "ghost"] {
        let r = shop.login(name, "wrong-password").map(|_| Value::Null);
        assert_eq!(code(&r), "unauthenticated");
        shop.clock.advance_ms(step);
    }
    let failed_to = shop.d.now_ms() - step;
    // And a good one for cal.
    shop.clock.advance_ms(step);
    shop.login("cal", &support::password_of("cal")).unwrap();

    let all = audit_list(&shop, &mut owner, json!({ "limit": 500 }));
    // setup + owner login + 3 creates + 4 failed logins + 1 login
    assert_eq!(all.len(), 10, "{all:#?}");
    assert!(
        ids(&all).windows(2).all(|w| w[0] > w[1]),
        "newest first: {:?}",
        ids(&all)
    );
    let expect = |pred: &dyn Fn(&AuditRow) -> bool| -> Vec<i64> {
        all.iter().filter(|r| pred(r)).map(|r| r.id).collect()
    };

    let cases: Vec<(Value, Vec<i64>, usize)> = vec![
        (
            json!({ "command": "users.create" }),
            expect(&|r| r.command == "users.create"),
            3,
        ),
        (
            json!({ "command": "auth.login" }),
            expect(&|r| r.command == "auth.login"),
            6,
        ),
        (
            json!({ "result": "refused" }),
            expect(&|r| r.result == tillbook_core::records::audit::Outcome::Refused),
            4,
        ),
        (
            json!({ "result": "ok", "command": "auth.login" }),
            expect(&|r| {
                r.command == "auth.login" && r.result == tillbook_core::records::audit::Outcome::Ok
            }),
            2,
        ),
        (
            json!({ "user_id": ann }),
            expect(&|r| r.user_id == Some(ann)),
            2,
        ),
        (
            json!({ "user_id": owner_id }),
            expect(&|r| r.user_id == Some(owner_id)),
            5,
        ),
        (
            json!({ "entity": "user", "entity_id": ann.to_string() }),
            expect(&|r| {
                r.entity.as_deref() == Some("user")
                    && r.entity_id.as_deref() == Some(ann.to_string().as_str())
            }),
            3,
        ),
        (
            json!({ "entity": "user", "entity_id": cal.to_string() }),
            expect(&|r| {
                r.entity.as_deref() == Some("user")
                    && r.entity_id.as_deref() == Some(cal.to_string().as_str())
            }),
            2,
        ),
        (
            json!({ "entity": "shop" }),
            expect(&|r| r.entity.as_deref() == Some("shop")),
            1,
        ),
        (
            json!({ "from_ms": created_from, "to_ms": created_to }),
            expect(&|r| (created_from..=created_to).contains(&r.at_ms)),
            3,
        ),
        (
            json!({ "from_ms": failed_from, "to_ms": failed_to }),
            expect(&|r| (failed_from..=failed_to).contains(&r.at_ms)),
            4,
        ),
        (
            json!({ "from_ms": failed_from + 1, "to_ms": failed_from + step }),
            expect(&|r| (failed_from + 1..=failed_from + step).contains(&r.at_ms)),
            1,
        ),
        (
            json!({ "from_ms": failed_to + 1 }),
            expect(&|r| r.at_ms > failed_to),
            1,
        ),
        (
            json!({ "to_ms": support::START_MS }),
            expect(&|r| r.at_ms <= support::START_MS),
            2,
        ),
        (
            json!({ "user_id": ben, "result": "refused", "from_ms": failed_from }),
            expect(&|r| {
                r.user_id == Some(ben)
                    && r.result == tillbook_core::records::audit::Outcome::Refused
                    && r.at_ms >= failed_from
            }),
            1,
        ),
        (json!({ "command": "users.archive" }), vec![], 0),
        (json!({ "user_id": 999_999 }), vec![], 0),
    ];
    for (filter, expected, n) in cases {
        let mut f = filter.clone();
        f["limit"] = json!(500);
        let got = audit_list(&shop, &mut owner, f);
        assert_eq!(ids(&got), expected, "filter {filter}");
        assert_eq!(got.len(), n, "filter {filter}");
    }
    // The refused login of an unknown name is attributed to nobody.
    let ghost = audit_list(&shop, &mut owner, json!({ "entity_id": "?" }));
    assert_eq!(ghost.len(), 1);
    assert_eq!(
        (ghost[0].user_id, ghost[0].result),
        (None, tillbook_core::records::audit::Outcome::Refused)
    );

    // The limit applies after the filter: the two newest creates, although the
    // newest rows overall are logins (a filter after `LIMIT` would return none).
    let newest_creates = audit_list(
        &shop,
        &mut owner,
        json!({ "command": "users.create", "limit": 2 }),
    );
    assert_eq!(
        ids(&newest_creates),
        expect(&|r| r.command == "users.create")[..2].to_vec()
    );
    assert_eq!(newest_creates[0].entity_id, Some(cal.to_string()));
    assert_eq!(newest_creates[1].entity_id, Some(ben.to_string()));
    let one_refused = audit_list(
        &shop,
        &mut owner,
        json!({ "result": "refused", "limit": 1 }),
    );
    assert_eq!(one_refused.len(), 1);
    assert_eq!(one_refused[0].entity_id.as_deref(), Some("?"));

    // Keyset paging: disjoint pages, newest first, covering everything.
    for (filter, page) in [
        (json!({}), 3_u32),
        (json!({}), 1),
        (json!({}), 10),
        (json!({ "command": "auth.login" }), 4),
        (json!({ "result": "refused" }), 2),
    ] {
        let mut seen: Vec<i64> = Vec::new();
        let mut before: Option<i64> = None;
        let mut pages = 0;
        loop {
            let mut f = filter.clone();
            f["limit"] = json!(page);
            if let Some(b) = before {
                f["before_id"] = json!(b);
            }
            let rows = audit_list(&shop, &mut owner, f);
            assert!(rows.len() <= page as usize);
            if rows.is_empty() {
                break;
            }
            pages += 1;
            let page_ids = ids(&rows);
            assert!(page_ids.windows(2).all(|w| w[0] > w[1]), "{page_ids:?}");
            if let Some(last) = seen.last() {
                assert!(
                    page_ids[0] < *last,
                    "pages overlap: {seen:?} then {page_ids:?}"
                );
            }
            seen.extend(&page_ids);
            before = page_ids.last().copied();
        }
        let mut f = filter.clone();
        f["limit"] = json!(500);
        let everything = ids(&audit_list(&shop, &mut owner, f));
        assert_eq!(seen, everything, "filter {filter}, page {page}");
        assert_eq!(
            pages,
            everything.len().div_ceil(page as usize),
            "filter {filter}"
        );
    }

    // Listing is a read: it left no trace in the log.
    assert_eq!(audit_list(&shop, &mut owner, json!({ "limit": 500 })), all);
}

// ---------------------------------------------------------------------------
// D08: refused writes leave a trace, whatever refused them

#[test]
fn d08_every_refused_write_is_audited_once() {
    let (shop, mut owner) = Shop::with_owner();
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let k = key();
    let args = create_args(&k, "dan", "Dan", "dan-password-1");
    let dan = shop.call(&mut owner, "users.create", args).unwrap();
    let dan_id = dan["id"].as_i64().unwrap();
    let owner_id = owner.as_ref().unwrap().user_id;
    let cashier_id = cashier.as_ref().unwrap().user_id;
    let good_settings = serde_json::to_value(Settings::default()).unwrap();

    #[derive(Clone, Copy)]
    enum Who {
        Owner,
        Cashier,
        Nobody,
    }
    let cases: Vec<(&str, Who, &str, Value, &str)> = vec![
        (
            "missing field",
            Who::Owner,
            "users.create",
            json!({ "idempotency_key": key(), "username": "x", "display_name": "X", "role": "cashier" }),
            "validation",
        ),
        (
            "bad value",
            Who::Owner,
            "users.update",
            json!({ "id": dan_id, "version": 0, "display_name": "X" }),
            "validation",
        ),
        (
            "args an array",
            Who::Owner,
            "users.create",
            json!([1]),
            "validation",
        ),
        (
            "args a string",
            Who::Owner,
            "users.update",
            json!("x"),
            "validation",
        ),
        (
            "args too big",
            Who::Owner,
            "users.create",
            create_args(&key(), "big", &"x".repeat(300 * 1024), "big-password-1"),
            "validation",
        ),
        (
            "key reused for other content",
            Who::Owner,
            "users.create",
            create_args(&k, "dan", "Daniel", "dan-password-1"),
            "idempotency_mismatch",
        ),
        (
            "stale version",
            Who::Owner,
            "users.update",
            json!({ "id": dan_id, "version": 7, "display_name": "X" }),
            "conflict",
        ),
        (
            "missing user",
            Who::Owner,
            "users.archive",
            json!({ "id": 999_999, "version": 1 }),
            "not_found",
        ),
        (
            "bad setting",
            Who::Owner,
            "settings.update",
            json!({ "version": 1, "settings": { "idle_lock_ms": 1 } }),
            "validation",
        ),
        (
            "no permission",
            Who::Cashier,
            "settings.update",
            json!({ "version": 1, "settings": good_settings }),
            "forbidden",
        ),
        (
            "no session",
            Who::Nobody,
            "users.create",
            create_args(&key(), "eve", "Eve", "eve-password-1"),
            "unauthenticated",
        ),
    ];
    let mut missing = Vec::new();
    for (what, who, cmd, args, refusal) in cases {
        let last_id = scalar(&shop.db, "SELECT COALESCE(max(id), 0) FROM audit_log");
        let mut nobody = None;
        let (session, user_id) = match who {
            Who::Owner => (&mut owner, Some(owner_id)),
            Who::Cashier => (&mut cashier, Some(cashier_id)),
            Who::Nobody => (&mut nobody, None),
        };
        let r = shop.call(session, cmd, args);
        assert_eq!(code(&r), refusal, "{what}");
        let rows: Vec<(String, String, Option<String>, Option<i64>)> = shop
            .db
            .read(|c| {
                let mut st = c.prepare(
                    "SELECT command, result, error_code, user_id FROM audit_log WHERE id > ?1 ORDER BY id",
                )?;
                let rows = st
                    .query_map([last_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .unwrap();
        let want = vec![(
            cmd.to_string(),
            "refused".to_string(),
            Some(refusal.to_string()),
            user_id,
        )];
        if rows != want {
            missing.push(format!(
                "{what} ({cmd}): audit rows {rows:?}, expected {want:?}"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "refused writes without exactly one refused audit row:\n{}",
        missing.join("\n")
    );
}

/// T09 across migrations 0013 and 0014: a reply stored before 0013 (JSON
/// text) is copied as `encoding = 'json'`; new replies are stored as JSON; a
/// reply deflated by the versions between still replays. Every kind replays
/// the first result verbatim.
#[test]
fn t09_replies_stored_as_json_deflated_or_before_0013_all_replay() {
    use tillbook_core::db::{Db, OpenOptions, MIGRATIONS};
    // The migration copies what an older file holds.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let at = MIGRATIONS
        .iter()
        .position(|m| m.name == "0013_idempotency_one_tree.sql")
        .unwrap();
    let old = Db::open_with_migrations(&path, OpenOptions::default(), &MIGRATIONS[..at]).unwrap();
    old.write(|tx| {
        tx.execute(
            "INSERT INTO idempotency (command, key, request_hash, response, user_id, created_at_ms)
             VALUES ('users.create', 'old-key-0001', ?1, '{\"id\":7}', NULL, 1)",
            ["a".repeat(64)],
        )?;
        Ok(())
    })
    .unwrap();
    drop(old);
    let db = Db::open(&path, OpenOptions::default()).unwrap();
    let (encoding, response): (String, Vec<u8>) = db
        .read(|c| {
            Ok(c.query_row(
                "SELECT encoding, response FROM idempotency WHERE key = 'old-key-0001'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!(
        (encoding.as_str(), response.as_slice()),
        ("json", &b"{\"id\":7}"[..])
    );

    // A new reply is stored as its JSON; deflated, as the versions between
    // 0013 and 0014 stored it, it replays just the same.
    let (shop, mut owner) = Shop::with_owner();
    let k = key();
    let args = create_args(&k, "dora", "Dora Deflate", "dora-password-1");
    let first = shop.call(&mut owner, "users.create", args.clone()).unwrap();
    let stored = |shop: &Shop| -> (String, Vec<u8>) {
        shop.db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT encoding, response FROM idempotency WHERE command = 'users.create' AND key = ?1",
                    [&k],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap()
    };
    let (encoding, bytes) = stored(&shop);
    assert_eq!(encoding, "json");
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), first);
    assert_eq!(
        shop.call(&mut owner, "users.create", args.clone()).unwrap(),
        first
    );
    let deflated = miniz_oxide::deflate::compress_to_vec(&bytes, 1);
    shop.db
        .write(|tx| {
            tx.execute(
                "UPDATE idempotency SET encoding = 'deflate', response = ?1 WHERE key = ?2",
                rusqlite::params![deflated, k],
            )?;
            Ok(())
        })
        .unwrap();
    assert_eq!(stored(&shop), ("deflate".to_string(), deflated));
    assert_eq!(shop.call(&mut owner, "users.create", args).unwrap(), first);
}

/// T09 after migration 0014: the record is a rowid table whose (command, key)
/// is unique in the schema itself, so even a code path that skipped the replay
/// check could not store a second result for one key. (0013's WITHOUT ROWID
/// tree kept whole ~850 B rows in its interior pages; docs/BENCHMARKS.md.)
#[test]
fn t09_the_idempotency_record_is_unique_per_command_and_key_in_the_schema() {
    let (shop, mut owner) = Shop::with_owner();
    let k = key();
    let args = create_args(&k, "ivan", "Ivan Index", "ivan-password-1");
    shop.call(&mut owner, "users.create", args).unwrap();
    let (sql, unique_columns): (String, Vec<String>) = shop
        .db
        .read(|c| {
            let sql: String = c.query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'idempotency'",
                [],
                |r| r.get(0),
            )?;
            let index: String = c.query_row(
                "SELECT name FROM pragma_index_list('idempotency') WHERE \"unique\" = 1",
                [],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?;
            let columns = stmt
                .query_map([index], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok((sql, columns))
        })
        .unwrap();
    assert!(!sql.to_uppercase().contains("WITHOUT ROWID"), "{sql}");
    assert_eq!(unique_columns, ["command", "key"]);

    let duplicate = shop.db.write(|tx| {
        tx.execute(
            "INSERT INTO idempotency (command, key, request_hash, encoding, response, user_id,
                                      created_at_ms)
             VALUES ('users.create', ?1, ?2, 'json', CAST('{}' AS BLOB), NULL, 1)",
            rusqlite::params![k, "b".repeat(64)],
        )?;
        Ok(())
    });
    assert!(duplicate.is_err(), "a second record for one key was stored");
    let count: i64 = shop
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM idempotency WHERE command = 'users.create' AND key = ?1",
                [&k],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(count, 1);
}
