//! Identity and access: who may call what, how a session begins, locks and ends,
//! and where secrets live (T01, T03, T04, T10, T13, T16, T18, T24, T39, D02,
//! D11, D13). Every test drives the real dispatcher (or the real `tillbook`
//! binary) against its own temporary database.

use crate::support::checks::{code, expect_err};
use crate::support::{self, key, password_of, Shop, OWNER, OWNER_PASSWORD, START_MS};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::{Arc, Barrier};
use tillbook_core::commands::{Access, CommandSpec, Effect, COMMANDS};
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::shared::access::{self, Permission, Role};
use tillbook_core::shared::settings::Settings;
use tillbook_core::{Dispatcher, Error, Session};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// The owner's PIN as `support::Shop::with_owner` sets it.
const OWNER_PIN: &str = "2468";
/// The PIN `support::Shop::create_user` gives every user.
const USER_PIN: &str = "1357";

/// Arguments that would pass validation for `name` (as far as a table of
/// commands can know without state), so a refusal can't hide behind a
/// validation error.
fn plausible_args(name: &str) -> Value {
    match name {
        "setup.create_owner" => json!({
            "shop_name": "Another Shop",
            "currency_code": "EUR",
            "username": "intruder",
            "display_name": "Intruder",
            "password": "intruder-password-1",
            "pin": "1111",
        }),
        "auth.login" => json!({ "username": OWNER, "password": OWNER_PASSWORD }),
        "auth.unlock" => json!({ "pin": OWNER_PIN }),
        "auth.change_password" => json!({
            "current_password": OWNER_PASSWORD,
            "new_password": "brand-new-password-1",
        }),
        "auth.set_pin" => json!({ "password": OWNER_PASSWORD, "pin": "9999" }),
        "users.list" => json!({ "limit": 10 }),
        "users.create" => json!({
            "username": "intruder",
            "display_name": "Intruder",
            "role": "owner",
            "password": "intruder-password-1",
        }),
        "users.update" => json!({ "id": 1, "version": 1, "display_name": "Taken Over" }),
        "users.archive" => json!({ "id": 1, "version": 1 }),
        "users.reset_password" => json!({ "id": 1, "version": 1, "password": "taken-over-pw-1" }),
        "settings.update" => json!({ "version": 1, "settings": {} }),
        "audit.list" => json!({ "limit": 10 }),
        _ => json!({}),
    }
}

/// Adds a fresh idempotency key when the command creates a record.
fn with_key(spec: &CommandSpec, mut args: Value) -> Value {
    if spec.effect == Effect::Create {
        args["idempotency_key"] = json!(key());
    }
    args
}

/// One login attempt into a fresh slot, through `d`.
fn try_login(
    d: &Dispatcher,
    username: &str,
    password: &str,
) -> (Result<Value, Error>, Option<Session>) {
    let mut slot = None;
    let r = d.dispatch(
        &mut slot,
        "auth.login",
        json!({ "username": username, "password": password }),
    );
    (r, slot)
}

/// A second, independent handle on the same file: its own connections, as a
/// second process would have.
fn second_dispatcher(shop: &Shop) -> Dispatcher {
    let db = Db::open(&shop.path, OpenOptions::default()).unwrap();
    Dispatcher::new(db, Arc::new(shop.clock.clone()))
}

fn login_state(shop: &Shop, user_id: i64) -> (i64, i64, Option<i64>) {
    shop.db
        .read(|c| {
            Ok(c.query_row(
                "SELECT failed_attempts, lockouts, locked_until_ms FROM login_state WHERE user_id = ?1",
                [user_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .unwrap()
}

fn until_ms(e: &Error) -> i64 {
    assert_eq!(e.code().as_str(), "locked", "{e:?}");
    e.details()["until_ms"]
        .as_i64()
        .unwrap_or_else(|| panic!("a lockout names when it ends: {e:?}"))
}

/// Every (table, column) in the file.
fn all_columns(db: &Db) -> Vec<(String, String)> {
    db.read(|c| {
        let mut tables =
            c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
        let tables = tables
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for t in tables {
            let mut cols = c.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
            let cols = cols
                .query_map([&t], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.extend(cols.into_iter().map(|col| (t.clone(), col)));
        }
        Ok(out)
    })
    .unwrap()
}

fn table_names(db: &Db) -> Vec<String> {
    db.read(|c| {
        let mut stmt = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(names)
    })
    .unwrap()
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs `tillbook --db PATH api`, feeds it `requests` (one JSON line each) and
/// returns its response lines.
fn run_api(path: &Path, requests: &[Value]) -> Vec<Value> {
    let mut child = support::tillbook()
        .arg("--db")
        .arg(path)
        .arg("api")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for r in requests {
            writeln!(stdin, "{r}").unwrap();
        }
    } // closing stdin ends the session and the process
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "tillbook api failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), requests.len(), "one response line per request");
    lines
}

fn api_error_code(resp: &Value) -> &str {
    assert_eq!(resp["ok"], json!(false), "expected an error: {resp}");
    resp["error"]["code"].as_str().unwrap()
}

fn run_demo(path: &Path) -> Output {
    support::tillbook().arg("demo").arg(path).output().unwrap()
}

/// (role, username, password) lines printed by `tillbook demo`.
fn demo_credentials(out: &Output) -> Vec<(String, String, String)> {
    assert!(
        out.status.success(),
        "tillbook demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let creds: Vec<(String, String, String)> = stdout
        .lines()
        .skip(1)
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(
                parts.len(),
                3,
                "a credential line is role, username, password: {l:?}"
            );
            (
                parts[0].to_string(),
                parts[1].to_string(),
                parts[2].to_string(),
            )
        })
        .collect();
    assert_eq!(creds.len(), 3, "{stdout}");
    creds
}

fn user_count(db: &Db) -> i64 {
    db.read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
        .unwrap()
}

// ---------------------------------------------------------------------------
// T01, T10: nothing without a session
// ---------------------------------------------------------------------------

#[test]
fn t01_every_command_without_a_session_is_unauthenticated() {
    // The public surface is exactly first-run setup and login.
    let public: BTreeSet<&str> = COMMANDS
        .iter()
        .filter(|c| c.access == Access::Public)
        .map(|c| c.name)
        .collect();
    assert_eq!(
        public,
        BTreeSet::from([
            "setup.status",
            "setup.create_owner",
            "auth.login",
            // Staff sign-in by PIN on a shared till: the tiles and the sign-in.
            "auth.staff",
            "auth.pin_login",
            // The first-run form's table of country defaults (issue 13).
            "setup.countries",
        ])
    );
    let names: BTreeSet<&str> = COMMANDS.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), COMMANDS.len(), "command names are unique");

    // Against a set-up shop (data to steal) and a brand-new file.
    let (set_up, _owner) = Shop::with_owner();
    let empty = Shop::empty();
    for shop in [&set_up, &empty] {
        let users_before = shop.count("users");
        let mut checked = 0;
        for spec in COMMANDS.iter().filter(|c| c.access != Access::Public) {
            let attempts = [
                Value::Null,
                json!({}),
                with_key(spec, json!({})),
                with_key(spec, plausible_args(spec.name)),
                with_key(spec, json!({ "user_id": 1, "username": OWNER })),
            ];
            for args in attempts {
                let mut none: Option<Session> = None;
                let r = shop.call(&mut none, spec.name, args.clone());
                assert_eq!(
                    code(&r),
                    "unauthenticated",
                    "{} with args {args} and no session: {r:?}",
                    spec.name
                );
                assert!(none.is_none(), "{} started a session", spec.name);
            }
            // Every refusal is in the audit log, with no user.
            let rows = shop.audit_rows(spec.name);
            assert_eq!(rows.len(), 5, "{}: {rows:?}", spec.name);
            for row in rows {
                assert_eq!(row["result"], "refused", "{row}");
                assert_eq!(row["error_code"], "unauthenticated", "{row}");
                assert_eq!(row["user_id"], Value::Null, "{row}");
            }
            checked += 1;
        }
        assert_eq!(checked, COMMANDS.len() - public.len());
        assert_eq!(shop.count("users"), users_before, "nothing was created");
    }

    // The public commands give nothing away either.
    let mut none = None;
    let status = set_up.call(&mut none, "setup.status", json!({})).unwrap();
    assert_eq!(status["needs_setup"], json!(false));
    let r = set_up.call(
        &mut none,
        "setup.create_owner",
        with_key(
            tillbook_core::commands::find("setup.create_owner").unwrap(),
            plausible_args("setup.create_owner"),
        ),
    );
    assert_eq!(code(&r), "forbidden", "{r:?}");
    // PIN sign-in is off by default: no names shown, no sign-in by PIN.
    let tiles = set_up.call(&mut none, "auth.staff", json!({})).unwrap();
    assert_eq!(tiles, json!({ "enabled": false, "staff": [] }));
    let r = set_up.call(
        &mut none,
        "auth.pin_login",
        json!({ "user_id": 1, "pin": "2468" }),
    );
    assert_eq!(code(&r), "forbidden", "{r:?}");
    let (r, slot) = try_login(&set_up.d, OWNER, "not-the-owner-password");
    assert_eq!(code(&r), "unauthenticated");
    assert!(slot.is_none());
    assert!(none.is_none());
}

#[test]
fn t01_a_logged_out_or_archived_users_session_is_unauthenticated() {
    let (shop, mut owner) = Shop::with_owner();

    // Logged out: the slot is empty and stays empty.
    let mut s = shop.login(OWNER, OWNER_PASSWORD).unwrap();
    shop.call(&mut s, "auth.logout", json!({})).unwrap();
    assert!(s.is_none());
    let r = shop.call(&mut s, "shop.info", json!({}));
    assert_eq!(code(&r), "unauthenticated");

    // Archived while logged in: the next command is refused and ends the session.
    let id = shop.create_user(&mut owner, "cash-archived", "cashier");
    let mut cashier = shop
        .login("cash-archived", &password_of("cash-archived"))
        .unwrap();
    shop.call(&mut cashier, "shop.info", json!({})).unwrap();
    shop.call(
        &mut owner,
        "users.archive",
        json!({ "id": id, "version": 1 }),
    )
    .unwrap();
    let r = shop.call(&mut cashier, "shop.info", json!({}));
    assert_eq!(code(&r), "unauthenticated", "{r:?}");
    assert!(cashier.is_none(), "the archived user's session is gone");
    // ... and the archived user can't log in again.
    let (r, slot) = try_login(&shop.d, "cash-archived", &password_of("cash-archived"));
    assert_eq!(code(&r), "unauthenticated");
    assert!(slot.is_none());
}

#[test]
fn t10_calendar_and_appointment_commands_are_never_public() {
    let shop = Shop::empty();
    for spec in COMMANDS {
        let name = spec.name.to_ascii_lowercase();
        if name.starts_with("calendar.") || name.starts_with("appointments.") {
            assert_ne!(
                spec.access,
                Access::Public,
                "{} must need a session",
                spec.name
            );
            let mut none = None;
            let r = shop.call(&mut none, spec.name, with_key(spec, json!({})));
            assert_eq!(code(&r), "unauthenticated", "{}", spec.name);
        }
    }
}

// ---------------------------------------------------------------------------
// D13: one role × command table decides
// ---------------------------------------------------------------------------

#[test]
fn d13_every_role_against_every_command_matches_the_table() {
    // Every permission is needed by some command; credit.approve is reserved
    // for the second-user approval of credit limits (T21), checked in its flow;
    // sales.discount is needed by requests that carry a discount (`Request::needs`).
    for p in Permission::ALL {
        let used = COMMANDS.iter().any(|c| c.access == Access::Perm(p));
        assert!(
            used || matches!(
                p,
                Permission::CreditApprove
                    | Permission::SalesDiscount
                    | Permission::SalesDiscountPreset
                    | Permission::SalesPriceOverride
            ),
            "permission {} is granted but no command needs it",
            p.as_str()
        );
    }
    // Every role has exactly one row in the role table.
    for role in Role::ALL {
        let rows = access::ROLE_PERMISSIONS
            .iter()
            .filter(|(r, _)| *r == role)
            .count();
        assert_eq!(rows, 1, "role {} in ROLE_PERMISSIONS", role.as_str());
    }

    let (shop, mut owner) = Shop::with_owner();
    let sessions: Vec<(Role, Option<Session>)> = Role::ALL
        .iter()
        .map(|&r| (r, shop.session_as(&mut owner, r.as_str())))
        .collect();
    let users_before = shop.count("users");
    let mut refused = 0;
    let mut allowed = 0;
    for (role, session) in &sessions {
        assert_eq!(session.as_ref().unwrap().role, *role);
        for spec in COMMANDS {
            let needs = match spec.access {
                Access::Perm(p) => Some(p),
                _ => None,
            };
            let must_refuse = needs.is_some_and(|p| !access::role_has(*role, p));
            // A fresh copy each time: auth.lock and auth.logout change the session.
            let mut s = session.clone();
            let r = shop.call(&mut s, spec.name, with_key(spec, json!({})));
            if must_refuse {
                assert_eq!(
                    code(&r),
                    "forbidden",
                    "a {} calling {} with {{}}: {r:?}",
                    role.as_str(),
                    spec.name
                );
                // Valid arguments don't change the answer.
                let mut s = session.clone();
                let r = shop.call(&mut s, spec.name, with_key(spec, plausible_args(spec.name)));
                assert_eq!(
                    code(&r),
                    "forbidden",
                    "a {} calling {} with valid args: {r:?}",
                    role.as_str(),
                    spec.name
                );
                refused += 1;
            } else {
                for bad in ["forbidden", "unauthenticated", "locked"] {
                    assert_ne!(
                        code(&r),
                        bad,
                        "a {} calling {}: {r:?}",
                        role.as_str(),
                        spec.name
                    );
                }
                allowed += 1;
            }
        }
    }
    assert_eq!(refused + allowed, Role::ALL.len() * COMMANDS.len());
    assert!(refused > 0 && allowed > 0);
    assert_eq!(
        shop.count("users"),
        users_before,
        "no refused call created a user"
    );

    // Each refusal of access is audited against the user who tried.
    for (role, session) in &sessions {
        let uid = session.as_ref().unwrap().user_id;
        for spec in COMMANDS {
            if let Access::Perm(p) = spec.access {
                if !access::role_has(*role, p) {
                    let n = shop
                        .audit_rows(spec.name)
                        .into_iter()
                        .filter(|r| {
                            r["user_id"] == json!(uid)
                                && r["result"] == "refused"
                                && r["error_code"] == "forbidden"
                        })
                        .count();
                    assert_eq!(n, 2, "{} by {}", spec.name, role.as_str());
                }
            }
        }
    }
}

#[test]
fn d13_a_role_change_applies_to_an_open_session_at_once() {
    let (shop, mut owner) = Shop::with_owner();
    let id = shop.create_user(&mut owner, "mgr-demoted", "manager");
    let mut manager = shop
        .login("mgr-demoted", &password_of("mgr-demoted"))
        .unwrap();
    shop.call(&mut manager, "users.list", json!({})).unwrap();

    shop.call(
        &mut owner,
        "users.update",
        json!({ "id": id, "version": 1, "role": "cashier" }),
    )
    .unwrap();
    let r = shop.call(&mut manager, "users.list", json!({}));
    assert_eq!(
        code(&r),
        "forbidden",
        "the database, not the session's memory, decides: {r:?}"
    );
    assert_eq!(manager.as_ref().unwrap().role, Role::Cashier);
    let who = shop.call(&mut manager, "auth.whoami", json!({})).unwrap();
    assert_eq!(who["role"], "cashier");
}

// ---------------------------------------------------------------------------
// T03: first-run setup and user creation
// ---------------------------------------------------------------------------

#[test]
fn t03_two_racing_first_run_setups_make_exactly_one_owner() {
    const N: usize = 8;
    for rep in 0..20 {
        let shop = Shop::empty();
        // Even rounds: one process, N tills sharing a handle. Odd rounds: N
        // independent handles (own connections), like N processes on one file.
        let dispatchers: Vec<Dispatcher> = (0..N)
            .map(|_| {
                if rep % 2 == 0 {
                    shop.d.clone()
                } else {
                    second_dispatcher(&shop)
                }
            })
            .collect();
        let barrier = Arc::new(Barrier::new(N));
        let handles: Vec<_> = dispatchers
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    let mut slot = None;
                    barrier.wait();
                    let r = d.dispatch(
                        &mut slot,
                        "setup.create_owner",
                        json!({
                            "idempotency_key": format!("race-{rep}-{i}"),
                            "shop_name": format!("Shop {i}"),
                            "currency_code": "EUR",
                            "username": format!("owner{i}"),
                            "display_name": format!("Owner {i}"),
                            "password": format!("racing-owner-{i}-pw"),
                        }),
                    );
                    assert!(slot.is_none(), "setup starts no session");
                    (i, r.map_err(|e| e.code().as_str()))
                })
            })
            .collect();
        let results: Vec<(usize, Result<Value, &str>)> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<&(usize, Result<Value, &str>)> =
            results.iter().filter(|(_, r)| r.is_ok()).collect();
        assert_eq!(winners.len(), 1, "round {rep}: {results:?}");
        for (i, r) in &results {
            if let Err(c) = r {
                assert_eq!(*c, "forbidden", "round {rep}, till {i}");
            }
        }
        let (winner, view) = winners[0];
        let view = view.as_ref().unwrap();
        assert_eq!(view["username"], format!("owner{winner}"));
        assert_eq!(view["role"], "owner");

        assert_eq!(shop.count("users"), 1, "round {rep}");
        assert_eq!(shop.count("shop"), 1, "round {rep}");
        assert_eq!(shop.count("settings"), 1, "round {rep}");
        assert_eq!(shop.count("login_state"), 1, "round {rep}");
        let (name, username, role): (String, String, String) = shop
            .db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT s.name, u.username, u.role FROM shop s, users u",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            })
            .unwrap();
        assert_eq!(
            (name, username, role),
            (
                format!("Shop {winner}"),
                format!("owner{winner}"),
                "owner".to_string()
            ),
            "the shop and its owner come from the same setup"
        );
        let status = shop.call(&mut None, "setup.status", json!({})).unwrap();
        assert_eq!(status["needs_setup"], json!(false));
    }
}

#[test]
fn t03_after_setup_only_users_manage_creates_users() {
    let (shop, mut owner) = Shop::with_owner();
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let manager_id = shop.create_user(&mut owner, "mgr-t03", "manager");
    let mut manager = shop.login("mgr-t03", &password_of("mgr-t03")).unwrap();
    let users_before = shop.count("users");

    let new_user = |username: &str, role: &str| {
        json!({
            "idempotency_key": key(),
            "username": username,
            "display_name": "New User",
            "role": role,
            "password": "new-user-password",
        })
    };

    // A cashier (no users.manage) creates nobody.
    for role in ["cashier", "manager", "owner"] {
        let r = shop.call(
            &mut cashier,
            "users.create",
            new_user(&format!("by-cashier-{role}"), role),
        );
        assert_eq!(code(&r), "forbidden", "cashier creating a {role}: {r:?}");
    }
    // A manager creates cashiers, but no one of their own rank or above.
    let made = shop
        .call(
            &mut manager,
            "users.create",
            new_user("by-manager-cashier", "cashier"),
        )
        .unwrap();
    assert_eq!(made["role"], "cashier");
    for role in ["manager", "owner"] {
        let r = shop.call(
            &mut manager,
            "users.create",
            new_user(&format!("by-manager-{role}"), role),
        );
        assert_eq!(code(&r), "forbidden", "manager creating a {role}: {r:?}");
    }
    // The owner may create a manager.
    let made_mgr = shop
        .call(
            &mut owner,
            "users.create",
            new_user("by-owner-manager", "manager"),
        )
        .unwrap();
    assert_eq!(made_mgr["role"], "manager");

    // First-run setup is closed for good, with or without a session.
    let setup = || {
        json!({
            "idempotency_key": key(),
            "shop_name": "Second Shop",
            "currency_code": "EUR",
            "username": "second-owner",
            "display_name": "Second Owner",
            "password": "second-owner-password",
        })
    };
    for slot in [None, cashier.clone(), manager.clone(), owner.clone()] {
        let mut slot = slot;
        let r = shop.call(&mut slot, "setup.create_owner", setup());
        assert_eq!(code(&r), "forbidden", "{r:?}");
    }

    assert_eq!(shop.count("users"), users_before + 2);
    assert_eq!(shop.count("shop"), 1);
    let created_by: Option<i64> = shop
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT created_by FROM users WHERE username = 'by-manager-cashier'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(
        created_by,
        Some(manager_id),
        "the creator comes from the session"
    );
    let (r, _) = try_login(&shop.d, "second-owner", "second-owner-password");
    assert_eq!(code(&r), "unauthenticated");
}

// ---------------------------------------------------------------------------
// T13: secrets are Argon2id PHC strings in password_hash / pin_hash only
// ---------------------------------------------------------------------------

#[test]
fn t13_passwords_live_only_as_argon2id_phc_strings() {
    const PW: &str = "Plaintext-Cashier-Pw-4711";
    const PIN: &str = "86429753";
    const NEW_PW: &str = "Changed-Cashier-Pw-0815";
    const NEW_PIN: &str = "75318642";
    const RESET_PW: &str = "Reset-By-Owner-Pw-2207";
    const WRONG_PW: &str = "Wrong-Guess-Pw-9931";
    const WRONG_PIN: &str = "19283746";
    const PHC_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

    let (shop, mut owner) = Shop::with_owner();
    let created = shop
        .call(
            &mut owner,
            "users.create",
            json!({
                "idempotency_key": key(),
                "username": "cash-t13",
                "display_name": "Cash T13",
                "role": "cashier",
                "password": PW,
                "pin": PIN,
            }),
        )
        .unwrap();
    let cashier_id = created["id"].as_i64().unwrap();
    // A second user with the same password: salted, so a different hash.
    shop.call(
        &mut owner,
        "users.create",
        json!({
            "idempotency_key": key(),
            "username": "cash-t13-twin",
            "display_name": "Cash Twin",
            "role": "cashier",
            "password": PW,
            "pin": PIN,
        }),
    )
    .unwrap();

    // Exercise every path that handles a secret, right and wrong.
    assert_eq!(
        code(&try_login(&shop.d, "cash-t13", WRONG_PW).0),
        "unauthenticated"
    );
    let mut s = shop.login("cash-t13", PW).unwrap();
    shop.call(&mut s, "auth.lock", json!({})).unwrap();
    assert_eq!(
        code(&shop.call(&mut s, "auth.unlock", json!({ "pin": WRONG_PIN }))),
        "unauthenticated"
    );
    shop.call(&mut s, "auth.unlock", json!({ "pin": PIN }))
        .unwrap();
    shop.call(
        &mut s,
        "auth.change_password",
        json!({ "current_password": PW, "new_password": NEW_PW }),
    )
    .unwrap();
    shop.call(
        &mut s,
        "auth.set_pin",
        json!({ "password": NEW_PW, "pin": NEW_PIN }),
    )
    .unwrap();
    let version = shop
        .call(&mut owner, "users.list", json!({}))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == json!(cashier_id))
        .unwrap()["version"]
        .clone();
    shop.call(
        &mut owner,
        "users.reset_password",
        json!({ "id": cashier_id, "version": version, "password": RESET_PW }),
    )
    .unwrap();
    shop.login("cash-t13", RESET_PW).unwrap();
    let secrets = [
        PW,
        PIN,
        NEW_PW,
        NEW_PIN,
        RESET_PW,
        WRONG_PW,
        WRONG_PIN,
        OWNER_PASSWORD,
    ];

    // Schema: on users only password_hash and pin_hash look like secrets ...
    let columns = all_columns(&shop.db);
    let secretish = ["password", "pin", "secret", "hash"];
    let user_secret_cols: BTreeSet<&str> = columns
        .iter()
        .filter(|(t, c)| t == "users" && secretish.iter().any(|w| c.to_lowercase().contains(w)))
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(
        user_secret_cols,
        BTreeSet::from(["password_hash", "pin_hash"])
    );
    // ... and no other table has a password, PIN or secret column at all.
    for (t, c) in &columns {
        if t == "users" {
            continue;
        }
        let lower = c.to_lowercase();
        let words: Vec<&str> = lower.split('_').collect();
        for w in ["password", "passwd", "pwd", "pin", "secret", "passcode"] {
            assert!(!words.contains(&w), "{t}.{c} looks like it holds a secret");
        }
    }

    // Values: every stored hash is an Argon2id PHC string at the mandated cost,
    // salted (no two alike), and no other column anywhere holds one.
    let hashes: Vec<(String, Option<String>)> = shop
        .db
        .read(|c| {
            let mut stmt = c.prepare("SELECT password_hash, pin_hash FROM users")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .unwrap();
    assert_eq!(hashes.len(), 3);
    let mut seen = BTreeSet::new();
    for (pw, pin) in &hashes {
        for h in std::iter::once(pw).chain(pin.iter()) {
            assert!(h.starts_with(PHC_PREFIX), "not an Argon2id PHC string: {h}");
            let parts: Vec<&str> = h.split('$').collect();
            assert_eq!(parts.len(), 6, "{h}");
            assert!(
                parts[4].len() >= 16 && parts[5].len() >= 32,
                "salt and hash present: {h}"
            );
            assert!(seen.insert(h.clone()), "two identical hashes: no salt? {h}");
        }
        assert!(pin.is_some(), "every user here has a PIN");
    }
    for (t, c) in &columns {
        let hits: i64 = shop
            .db
            .read(|conn| {
                let sql = format!(
                    "SELECT count(*) FROM \"{t}\" WHERE instr(CAST(\"{c}\" AS TEXT), '$argon2') > 0"
                );
                Ok(conn.query_row(&sql, [], |r| r.get(0))?)
            })
            .unwrap();
        let allowed = t == "users" && (c == "password_hash" || c == "pin_hash");
        if !allowed {
            assert_eq!(hits, 0, "{t}.{c} holds a password hash");
        }
        for secret in secrets {
            let hits: i64 = shop
                .db
                .read(|conn| {
                    let sql = format!(
                        "SELECT count(*) FROM \"{t}\" WHERE instr(CAST(\"{c}\" AS TEXT), ?1) > 0"
                    );
                    Ok(conn.query_row(&sql, [secret], |r| r.get(0))?)
                })
                .unwrap();
            assert_eq!(hits, 0, "{t}.{c} holds the plaintext {secret:?}");
        }
    }

    // The audit log and the idempotency records, read the way a user would.
    let audit = shop
        .call(&mut owner, "audit.list", json!({ "limit": 500 }))
        .unwrap()
        .to_string();
    let responses: Vec<String> = shop
        .db
        .read(|c| {
            // Some may be stored deflated: decode them all, or a secret inside would hide from the scan.
            let mut stmt = c.prepare("SELECT encoding, response FROM idempotency")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.iter()
                .map(|(e, b)| {
                    Ok(tillbook_core::dispatch::idempotency::unpack_reply(e, b)?.to_string())
                })
                .collect()
        })
        .unwrap();
    assert!(responses.len() >= 3);
    let listed = shop
        .call(&mut owner, "users.list", json!({}))
        .unwrap()
        .to_string();
    for text in std::iter::once(&audit).chain(&responses).chain([&listed]) {
        assert!(!text.contains("$argon2"), "a hash leaked: {text}");
        assert!(
            !text.contains("password_hash") && !text.contains("pin_hash"),
            "{text}"
        );
        for secret in secrets {
            assert!(!text.contains(secret), "{secret:?} leaked into {text}");
        }
    }

    // The raw bytes of the file and its write-ahead log.
    let mut files = 0;
    for suffix in ["", "-wal", "-journal"] {
        let path = format!("{}{suffix}", shop.path.display());
        if let Ok(bytes) = std::fs::read(&path) {
            files += 1;
            for secret in secrets {
                assert!(
                    !contains_bytes(&bytes, secret.as_bytes()),
                    "{secret:?} is in the bytes of {path}"
                );
            }
        }
    }
    assert!(files >= 1);
}

// ---------------------------------------------------------------------------
// T18: throttling in the database, with growing back-off
// ---------------------------------------------------------------------------

#[test]
fn t18_the_nth_wrong_password_locks_even_against_the_right_one() {
    let (shop, mut owner) = Shop::with_owner();
    let defaults = Settings::default();
    let settings = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    assert_eq!(settings["settings"]["max_failed_logins"], json!(5));
    assert_eq!(
        settings["settings"],
        serde_json::to_value(&defaults).unwrap()
    );

    let user = "cash-t18";
    let id = shop.create_user(&mut owner, user, "cashier");
    let right = password_of(user);

    for i in 1..defaults.max_failed_logins {
        let (r, slot) = try_login(&shop.d, user, &format!("wrong-password-{i}"));
        assert_eq!(code(&r), "unauthenticated", "attempt {i}");
        assert!(slot.is_none());
        assert_eq!(
            login_state(&shop, id).0,
            i,
            "failed attempts are counted in the database"
        );
    }
    let locked_at = shop.d.now_ms();
    let (r, slot) = try_login(&shop.d, user, "wrong-password-5");
    assert!(slot.is_none());
    let until = until_ms(&expect_err(r, "a refused attempt"));
    assert_eq!(until, locked_at + defaults.lockout_base_ms);
    assert_eq!(login_state(&shop, id), (0, 1, Some(until)));

    // The right password is refused while the lock lasts, through any handle.
    let (r, slot) = try_login(&shop.d, user, &right);
    assert_eq!(until_ms(&expect_err(r, "a refused attempt")), until);
    assert!(slot.is_none());
    let same_db = Dispatcher::new(shop.db.clone(), Arc::new(shop.clock.clone()));
    let other_handle = second_dispatcher(&shop);
    for d in [&same_db, &other_handle] {
        let (r, slot) = try_login(d, user, &right);
        assert_eq!(until_ms(&expect_err(r, "a refused attempt")), until);
        assert!(slot.is_none());
    }
    shop.clock.advance_ms(until - shop.d.now_ms() - 1);
    let (r, _) = try_login(&other_handle, user, &right);
    assert_eq!(
        until_ms(&expect_err(r, "a refused attempt")),
        until,
        "one millisecond before the end"
    );
    // Other users are not affected.
    shop.login(OWNER, OWNER_PASSWORD).unwrap();

    // Once the lock has passed, the right password works and clears the count.
    shop.clock.advance_ms(2);
    let (r, slot) = try_login(&shop.d, user, &right);
    r.unwrap();
    assert_eq!(slot.unwrap().user_id, id);
    assert_eq!(login_state(&shop, id), (0, 0, None));

    // Every attempt is in the audit log, in order.
    let mut rows = shop.audit_rows("auth.login");
    rows.retain(|r| r["user_id"] == json!(id));
    rows.reverse();
    let seen: Vec<(String, Option<String>)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["username"], user);
            (
                r["result"].as_str().unwrap().to_string(),
                r["error_code"].as_str().map(str::to_string),
            )
        })
        .collect();
    let refused = |c: &str| ("refused".to_string(), Some(c.to_string()));
    let mut expected = vec![refused("unauthenticated"); 4];
    expected.extend(vec![refused("locked"); 5]);
    expected.push(("ok".to_string(), None));
    assert_eq!(seen, expected);

    // An unknown username is refused the same way and audited too.
    let (r, _) = try_login(&shop.d, "nobody-by-this-name", "whatever-password");
    let e = expect_err(r, "a refused attempt");
    assert_eq!(e.code().as_str(), "unauthenticated");
    let (r, _) = try_login(&shop.d, user, "wrong-password-x");
    assert_eq!(
        expect_err(r, "a refused attempt").to_string(),
        e.to_string(),
        "same message: usernames don't leak"
    );
    let unknown = shop
        .audit_rows("auth.login")
        .into_iter()
        .filter(|r| r["summary"]["username"] == "nobody-by-this-name")
        .count();
    assert_eq!(unknown, 1);
}

#[test]
fn t18_failed_attempts_are_shared_by_every_handle_on_the_file() {
    let (shop, mut owner) = Shop::with_owner();
    let user = "cash-t18-shared";
    let id = shop.create_user(&mut owner, user, "cashier");
    // Three tills: this one, another on the same handle, and one with its own
    // connections (as a second process would be).
    let tills = [
        shop.d.clone(),
        Dispatcher::new(shop.db.clone(), Arc::new(shop.clock.clone())),
        second_dispatcher(&shop),
    ];
    for i in 0..4 {
        let (r, _) = try_login(&tills[i % 3], user, &format!("wrong-{i}"));
        assert_eq!(code(&r), "unauthenticated", "attempt {i}");
    }
    assert_eq!(login_state(&shop, id).0, 4);
    let (r, _) = try_login(&tills[1], user, "wrong-4");
    let until = until_ms(&expect_err(r, "a refused attempt"));
    for till in &tills {
        let (r, slot) = try_login(till, user, &password_of(user));
        assert_eq!(until_ms(&expect_err(r, "a refused attempt")), until);
        assert!(slot.is_none());
    }
}

#[test]
fn t18_each_further_lockout_doubles_up_to_the_maximum() {
    let (shop, mut owner) = Shop::with_owner();
    // A cap that the third doubling reaches: 30 s, 60 s, then 100 s, 100 s.
    let current = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    let mut settings = current["settings"].clone();
    settings["lockout_max_ms"] = json!(100_000);
    shop.call(
        &mut owner,
        "settings.update",
        json!({ "version": current["version"], "settings": settings }),
    )
    .unwrap();
    let base = Settings::default().lockout_base_ms;
    let max_failed = Settings::default().max_failed_logins;
    assert_eq!(base, 30_000);

    let user = "cash-t18-backoff";
    let id = shop.create_user(&mut owner, user, "cashier");
    let lock_until = |round: i64| -> i64 {
        let mut until = None;
        for i in 1..=max_failed {
            let (r, slot) = try_login(&shop.d, user, &format!("wrong-{round}-{i}"));
            assert!(slot.is_none());
            if i < max_failed {
                assert_eq!(code(&r), "unauthenticated", "round {round}, attempt {i}");
            } else {
                until = Some(until_ms(&expect_err(r, "a refused attempt")));
            }
        }
        until.unwrap()
    };
    let mut durations = Vec::new();
    for round in 1..=4 {
        let now = shop.d.now_ms();
        let until = lock_until(round);
        durations.push(until - now);
        // Locked for the whole time, even against the right password.
        let (r, _) = try_login(&shop.d, user, &password_of(user));
        assert_eq!(until_ms(&expect_err(r, "a refused attempt")), until);
        shop.clock.advance_ms(until - now);
    }
    assert_eq!(durations, vec![base, 2 * base, 100_000, 100_000]);
    assert_eq!(login_state(&shop, id).1, 4);

    // Proving the password ends the streak: the next lockout is short again.
    let (r, _) = try_login(&shop.d, user, &password_of(user));
    r.unwrap();
    let now = shop.d.now_ms();
    assert_eq!(lock_until(5) - now, base);
}

#[test]
fn t18_wrong_pins_and_passwords_everywhere_count_toward_one_lockout() {
    let (shop, mut owner) = Shop::with_owner();
    let user = "cash-t18-pin";
    let id = shop.create_user(&mut owner, user, "cashier");
    let mut s = shop.login(user, &password_of(user)).unwrap();

    // 1: a wrong current password when changing it.
    let r = shop.call(
        &mut s,
        "auth.change_password",
        json!({ "current_password": "not-my-password", "new_password": "whatever-new-pw" }),
    );
    assert_ne!(code(&r), "ok");
    assert_eq!(login_state(&shop, id).0, 1);
    // 2: a wrong login from another till.
    assert_eq!(
        code(&try_login(&shop.d, user, "not-my-password").0),
        "unauthenticated"
    );
    // 3, 4: wrong PINs at the lock screen.
    shop.call(&mut s, "auth.lock", json!({})).unwrap();
    for pin in ["0000", "1111"] {
        let r = shop.call(&mut s, "auth.unlock", json!({ "pin": pin }));
        assert_eq!(code(&r), "unauthenticated", "{r:?}");
        assert!(s.as_ref().unwrap().locked);
    }
    assert_eq!(login_state(&shop, id).0, 4);
    // 5: the fifth wrong secret, a PIN, locks the account.
    let r = shop.call(&mut s, "auth.unlock", json!({ "pin": "2222" }));
    let until = until_ms(&expect_err(r, "a refused attempt"));
    assert_eq!(until, shop.d.now_ms() + Settings::default().lockout_base_ms);
    assert!(s.as_ref().unwrap().locked);

    // Now neither the right PIN nor the right password gets in.
    let r = shop.call(&mut s, "auth.unlock", json!({ "pin": USER_PIN }));
    assert_eq!(until_ms(&expect_err(r, "a refused attempt")), until);
    let r = shop.call(
        &mut s,
        "auth.unlock",
        json!({ "password": password_of(user) }),
    );
    assert_eq!(until_ms(&expect_err(r, "a refused attempt")), until);
    let (r, _) = try_login(&shop.d, user, &password_of(user));
    assert_eq!(until_ms(&expect_err(r, "a refused attempt")), until);
    assert_eq!(code(&shop.call(&mut s, "shop.info", json!({}))), "locked");

    // After the lock, the right PIN unlocks.
    shop.clock.advance_ms(until - shop.d.now_ms());
    shop.call(&mut s, "auth.unlock", json!({ "pin": USER_PIN }))
        .unwrap();
    shop.call(&mut s, "shop.info", json!({})).unwrap();
    let unlocks: Vec<Value> = shop
        .audit_rows("auth.unlock")
        .into_iter()
        .filter(|r| r["user_id"] == json!(id))
        .collect();
    assert_eq!(
        unlocks.len(),
        6,
        "every unlock attempt is audited: {unlocks:?}"
    );
}

// ---------------------------------------------------------------------------
// T24: idle lock, PIN unlock, nothing long-lived
// ---------------------------------------------------------------------------

#[test]
fn t24_idle_session_locks_and_unlocks_with_pin() {
    let (shop, mut owner) = Shop::with_owner();
    let idle = Settings::default().idle_lock_ms;
    assert_eq!(idle, 300_000);
    let mut s = shop.session_as(&mut owner, "cashier");

    // Activity keeps the session open: the lock is about idleness.
    for _ in 0..3 {
        shop.clock.advance_ms(idle - 1);
        shop.call(&mut s, "shop.info", json!({})).unwrap();
    }
    shop.clock.advance_ms(idle);
    let r = shop.call(&mut s, "shop.info", json!({}));
    assert_eq!(code(&r), "locked", "{r:?}");
    assert!(s.as_ref().unwrap().locked);
    for cmd in ["settings.get", "auth.change_password", "auth.set_pin"] {
        assert_eq!(code(&shop.call(&mut s, cmd, json!({}))), "locked", "{cmd}");
    }
    let who = shop.call(&mut s, "auth.whoami", json!({})).unwrap();
    assert_eq!(who["locked"], json!(true));
    assert_eq!(who["idle_lock_ms"], json!(idle));

    // A wrong PIN is refused and leaves it locked.
    let r = shop.call(&mut s, "auth.unlock", json!({ "pin": "9999" }));
    assert_eq!(code(&r), "unauthenticated");
    assert_eq!(code(&shop.call(&mut s, "shop.info", json!({}))), "locked");

    // The right PIN unlocks, and commands work again.
    let v = shop
        .call(&mut s, "auth.unlock", json!({ "pin": USER_PIN }))
        .unwrap();
    assert_eq!(v["locked"], json!(false));
    let r = shop.call(&mut s, "shop.info", json!({}));
    assert_eq!(
        code(&r),
        "ok",
        "just unlocked with the PIN, the next command must work: {r:?}"
    );
    let who = shop.call(&mut s, "auth.whoami", json!({})).unwrap();
    assert_eq!(who["locked"], json!(false));

    // auth.lock locks at once; the password unlocks too.
    shop.call(&mut s, "auth.lock", json!({})).unwrap();
    assert_eq!(code(&shop.call(&mut s, "shop.info", json!({}))), "locked");
    assert_eq!(
        shop.call(&mut s, "auth.whoami", json!({})).unwrap()["locked"],
        json!(true)
    );
    let username = s.as_ref().unwrap().username.clone();
    shop.call(
        &mut s,
        "auth.unlock",
        json!({ "password": password_of(&username) }),
    )
    .unwrap();
    shop.call(&mut s, "shop.info", json!({})).unwrap();

    // Step away after locking, come back much later, unlock: work resumes.
    shop.call(&mut s, "auth.lock", json!({})).unwrap();
    shop.clock.advance_ms(2 * idle);
    shop.call(&mut s, "auth.unlock", json!({ "pin": USER_PIN }))
        .unwrap();
    let r = shop.call(&mut s, "shop.info", json!({}));
    assert_eq!(code(&r), "ok", "unlocked after a long break: {r:?}");

    // A locked till can still be logged out.
    shop.call(&mut s, "auth.lock", json!({})).unwrap();
    shop.call(&mut s, "auth.logout", json!({})).unwrap();
    assert!(s.is_none());
}

#[test]
fn t24_the_idle_time_is_a_setting() {
    let (shop, mut owner) = Shop::with_owner();
    // Below the minimum is refused: the lock can't be configured away.
    let current = shop.call(&mut owner, "settings.get", json!({})).unwrap();
    let mut settings = current["settings"].clone();
    settings["idle_lock_ms"] = json!(0);
    let r = shop.call(
        &mut owner,
        "settings.update",
        json!({ "version": current["version"], "settings": settings.clone() }),
    );
    assert_eq!(code(&r), "validation", "{r:?}");
    settings["idle_lock_ms"] = json!(60_000);
    shop.call(
        &mut owner,
        "settings.update",
        json!({ "version": current["version"], "settings": settings }),
    )
    .unwrap();

    let mut s = shop.login(OWNER, OWNER_PASSWORD).unwrap();
    shop.clock.advance_ms(59_999);
    shop.call(&mut s, "shop.info", json!({})).unwrap();
    shop.clock.advance_ms(60_000);
    assert_eq!(code(&shop.call(&mut s, "shop.info", json!({}))), "locked");
    let who = shop.call(&mut s, "auth.whoami", json!({})).unwrap();
    assert_eq!(
        (who["locked"].as_bool(), who["idle_lock_ms"].as_i64()),
        (Some(true), Some(60_000))
    );
    shop.call(&mut s, "auth.unlock", json!({ "pin": OWNER_PIN }))
        .unwrap();
    let r = shop.call(&mut s, "shop.info", json!({}));
    assert_eq!(code(&r), "ok", "unlocked with the PIN: {r:?}");
}

#[test]
fn t24_nothing_long_lived_is_stored() {
    let (shop, mut owner) = Shop::with_owner();
    let _cashier = shop.session_as(&mut owner, "cashier");
    // No table for sessions or tokens, and no column that could hold one.
    for t in table_names(&shop.db) {
        let t = t.to_lowercase();
        assert!(!t.contains("session") && !t.contains("token"), "table {t}");
    }
    for (t, c) in all_columns(&shop.db) {
        let c = c.to_lowercase();
        assert!(
            !c.contains("session") && !c.contains("token") && !c.contains("refresh"),
            "{t}.{c}"
        );
    }

    // A session lives only as long as its process: a new `tillbook api`
    // starts signed out, and nothing sent can resume the old session.
    let first = run_api(
        &shop.path,
        &[
            json!({ "id": 1, "cmd": "auth.login", "args": { "username": OWNER, "password": OWNER_PASSWORD } }),
            json!({ "id": 2, "cmd": "auth.whoami" }),
        ],
    );
    assert_eq!(first[0]["ok"], json!(true), "{first:?}");
    for k in first[0]["data"].as_object().unwrap().keys() {
        assert!(
            !k.contains("token") && !k.contains("secret"),
            "login hands out {k}"
        );
    }
    assert_eq!(first[1]["data"]["username"], OWNER);
    let second = run_api(&shop.path, &[json!({ "id": 1, "cmd": "auth.whoami" })]);
    assert_eq!(api_error_code(&second[0]), "unauthenticated");
}

// ---------------------------------------------------------------------------
// D02: the session is the only identity
// ---------------------------------------------------------------------------

#[test]
fn d02_identity_comes_only_from_the_session() {
    let (shop, mut owner) = Shop::with_owner();
    let cashier_id = shop.create_user(&mut owner, "cash-d02", "cashier");
    let mut cashier = shop.login("cash-d02", &password_of("cash-d02")).unwrap();

    // Arguments that try to name a user are refused, naming the field.
    let attempts = [
        (true, "shop.info", json!({ "user_id": 1 }), "user_id"),
        (
            true,
            "shop.info",
            json!({ "username": "owner" }),
            "username",
        ),
        (true, "users.list", json!({ "user_id": 1 }), "user_id"),
        (
            true,
            "users.list",
            json!({ "username": "owner" }),
            "username",
        ),
        (true, "settings.get", json!({ "user_id": 1 }), "user_id"),
        (false, "settings.get", json!({ "role": "owner" }), "role"),
        (false, "auth.whoami", json!({ "user_id": 1 }), "user_id"),
        (
            false,
            "shop.info",
            json!({ "session": { "role": "owner" } }),
            "session",
        ),
        (false, "auth.lock", json!({ "as": "owner" }), "as"),
    ];
    for (as_owner, cmd, args, field) in attempts {
        let session = if as_owner { &mut owner } else { &mut cashier };
        let e = expect_err(shop.call(session, cmd, args.clone()), cmd);
        assert_eq!(e.code().as_str(), "validation", "{cmd} {args}: {e:?}");
        assert_eq!(e.details()["field"], field, "{cmd} {args}: {e:?}");
    }
    assert!(
        !cashier.as_ref().unwrap().locked,
        "the refused auth.lock did nothing"
    );

    // A cashier can't become an owner by any arguments.
    let tries = [
        ("users.list", json!({ "role": "owner" })),
        ("audit.list", json!({ "user_id": 1 })),
        (
            "settings.update",
            json!({ "version": 1, "settings": {}, "user_id": 1 }),
        ),
        (
            "users.update",
            json!({ "id": cashier_id, "version": 1, "role": "owner" }),
        ),
        (
            "users.create",
            json!({
                "idempotency_key": key(), "username": "cash-d02-boss", "display_name": "Boss",
                "role": "owner", "password": "boss-password-1",
            }),
        ),
        (
            "users.reset_password",
            json!({ "id": 1, "version": 1, "password": "taken-over-pw-1" }),
        ),
    ];
    for (cmd, args) in tries {
        let r = shop.call(&mut cashier, cmd, args.clone());
        assert_eq!(code(&r), "forbidden", "{cmd} {args}: {r:?}");
    }
    // Not even by editing the in-memory session's role: the database decides.
    let mut forged = cashier.clone();
    forged.as_mut().unwrap().role = Role::Owner;
    let r = shop.call(&mut forged, "users.list", json!({}));
    assert_eq!(code(&r), "forbidden", "{r:?}");
    assert_eq!(forged.as_ref().unwrap().role, Role::Cashier);
    // A failed login as the owner leaves the cashier's session as it was.
    let r = shop.call(
        &mut cashier,
        "auth.login",
        json!({ "username": OWNER, "password": "guessing-the-owner" }),
    );
    assert_eq!(code(&r), "unauthenticated");

    let who = shop.call(&mut cashier, "auth.whoami", json!({})).unwrap();
    assert_eq!(
        (who["user_id"].as_i64(), who["role"].as_str()),
        (Some(cashier_id), Some("cashier"))
    );
    let role: String = shop
        .db
        .read(|c| {
            Ok(
                c.query_row("SELECT role FROM users WHERE id = ?1", [cashier_id], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    assert_eq!(role, "cashier");
    assert_eq!(shop.count("users"), 2);
}

#[test]
fn d02_the_api_transport_takes_no_identity_from_the_request() {
    let (shop, _owner) = Shop::with_owner();
    let public = [
        "setup.status",
        "setup.create_owner",
        "auth.login",
        "auth.staff",
        "auth.pin_login",
        "setup.countries",
    ];
    let mut requests = vec![
        json!({ "id": "env-user", "cmd": "shop.info", "user": "owner" }),
        json!({ "id": "env-session", "cmd": "auth.whoami", "session": { "user_id": 1, "role": "owner" } }),
        // A login inside an envelope with an extra field is refused outright ...
        json!({ "id": "env-login", "cmd": "auth.login", "user": "owner",
                "args": { "username": OWNER, "password": OWNER_PASSWORD } }),
        // ... so it started nothing.
        json!({ "id": "after-env-login", "cmd": "auth.whoami" }),
        json!({ "id": "args-user", "cmd": "users.list", "args": { "user_id": 1 } }),
    ];
    for spec in COMMANDS.iter().filter(|c| !public.contains(&c.name)) {
        requests.push(json!({ "id": format!("anon-{}", spec.name), "cmd": spec.name, "args": with_key(spec, json!({})) }));
    }
    requests.push(json!({ "id": "login", "cmd": "auth.login",
                          "args": { "username": OWNER, "password": OWNER_PASSWORD } }));
    requests.push(json!({ "id": "whoami", "cmd": "auth.whoami" }));
    requests.push(json!({ "id": "env-user-2", "cmd": "auth.whoami", "user": "cashier" }));
    requests.push(
        json!({ "id": "args-username", "cmd": "users.list", "args": { "username": "cashier" } }),
    );

    let responses = run_api(&shop.path, &requests);
    for (req, resp) in requests.iter().zip(&responses) {
        assert_eq!(resp["id"], req["id"], "responses come back in order");
    }
    let by_id = |id: &str| -> &Value {
        responses
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no response {id}"))
    };
    for (id, field) in [
        ("env-user", "user"),
        ("env-session", "session"),
        ("env-login", "user"),
        ("env-user-2", "user"),
        ("args-username", "username"),
    ] {
        let r = by_id(id);
        assert_eq!(api_error_code(r), "validation", "{id}: {r}");
        assert_eq!(r["error"]["details"]["field"], field, "{id}: {r}");
    }
    assert_eq!(api_error_code(by_id("after-env-login")), "unauthenticated");
    assert_eq!(api_error_code(by_id("args-user")), "unauthenticated");
    for spec in COMMANDS.iter().filter(|c| !public.contains(&c.name)) {
        let r = by_id(&format!("anon-{}", spec.name));
        assert_eq!(api_error_code(r), "unauthenticated", "{}: {r}", spec.name);
    }
    assert_eq!(by_id("login")["ok"], json!(true), "{}", by_id("login"));
    let who = by_id("whoami");
    assert_eq!(who["data"]["username"], OWNER, "{who}");
    assert_eq!(who["data"]["role"], "owner", "{who}");
}

// ---------------------------------------------------------------------------
// D11: no default user, password or secret
// ---------------------------------------------------------------------------

const COMMON_DEFAULTS: [(&str, &str); 8] = [
    ("admin", "admin"),
    ("admin", "password"),
    ("admin", "123456"),
    ("owner", "owner"),
    ("owner", "password"),
    ("demo", "demo"),
    ("root", "root"),
    ("user", "user"),
];

#[test]
fn d11_no_default_user_password_or_secret() {
    // A fresh file: nobody, and it says it needs setting up.
    let fresh = Shop::empty();
    assert_eq!(fresh.count("users"), 0);
    assert_eq!(fresh.count("login_state"), 0);
    let status = fresh.call(&mut None, "setup.status", json!({})).unwrap();
    assert_eq!(status["needs_setup"], json!(true));
    assert_eq!(status["shop_name"], Value::Null);
    for (u, p) in COMMON_DEFAULTS {
        let (r, slot) = try_login(&fresh.d, u, p);
        assert_eq!(code(&r), "unauthenticated", "{u}/{p} on a fresh file");
        assert!(slot.is_none());
    }
    assert_eq!(fresh.count("users"), 0, "trying defaults created nothing");

    // Demo files: random passwords, printed once, different every time; and
    // each file gets its own host id.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let creds_a = demo_credentials(&run_demo(&a));
    let creds_b = demo_credentials(&run_demo(&b));
    for ((role_a, user_a, pw_a), (role_b, user_b, pw_b)) in creds_a.iter().zip(&creds_b) {
        assert_eq!((role_a, user_a), (role_b, user_b));
        assert_ne!(pw_a, pw_b, "the demo {user_a} has a fixed password");
        for pw in [pw_a, pw_b] {
            assert!(pw.len() >= 12, "a short demo password: {pw}");
            assert!(!COMMON_DEFAULTS.iter().any(|(_, d)| d == pw));
            assert_ne!(pw, user_a);
        }
    }
    let host_id = |p: &Path| -> String {
        let db = Db::open(p, OpenOptions::default()).unwrap();
        db.read(|c| Ok(c.query_row("SELECT host_id FROM shop", [], |r| r.get(0))?))
            .unwrap()
    };
    assert_ne!(host_id(&a), host_id(&b));
    // The demo owner doesn't answer to the common defaults either.
    let db = Db::open(&a, OpenOptions::default()).unwrap();
    let d = Dispatcher::new(
        db,
        Arc::new(tillbook_core::clock::ManualClock::new(START_MS)),
    );
    for (u, p) in COMMON_DEFAULTS.iter().take(4) {
        assert_eq!(
            code(&try_login(&d, u, p).0),
            "unauthenticated",
            "{u}/{p} on a demo file"
        );
    }
}

// ---------------------------------------------------------------------------
// T04: demo data only into a new, empty file
// ---------------------------------------------------------------------------

#[test]
fn t04_demo_data_only_into_a_new_empty_file() {
    // No command loads demo or seed data: only the CLI does.
    for c in COMMANDS {
        let n = c.name.to_lowercase();
        assert!(!n.contains("demo") && !n.contains("seed"), "{}", c.name);
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let creds = demo_credentials(&run_demo(&path));
    let roles: Vec<&str> = creds.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(roles, ["owner", "manager", "cashier"]);

    // The printed credentials log in, each with its role.
    let db = Db::open(&path, OpenOptions::default()).unwrap();
    let d = Dispatcher::new(
        db.clone(),
        Arc::new(tillbook_core::clock::ManualClock::new(START_MS)),
    );
    for (role, user, pw) in &creds {
        let (r, slot) = try_login(&d, user, pw);
        r.unwrap();
        assert_eq!(slot.unwrap().role.as_str(), role);
    }
    assert_eq!(user_count(&db), 3);
    // A deli to try the till on: coffee nobody counts, pastries, cheese by
    // weight with PLUs, milk with a barcode below its reorder point, quick keys.
    let count = |sql: &str| -> i64 {
        db.read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    };
    assert_eq!(count("SELECT count(*) FROM products"), 8);
    assert_eq!(
        count("SELECT count(*) FROM products WHERE track_stock = 0"),
        2
    );
    assert_eq!(
        count("SELECT count(*) FROM products WHERE unit = 'kg' AND plu IS NOT NULL"),
        2
    );
    assert_eq!(count("SELECT count(*) FROM batches"), 6);
    assert_eq!(count("SELECT count(*) FROM quick_key_tiles"), 5);
    let low = db
        .read(|c| tillbook_core::stock::low_stock(c, 10, None))
        .unwrap();
    let low: Vec<&str> = low.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(low, ["MILK-1L"]);
    crate::support::checks::verify_is_clean(&db);

    // Again on the same file: refused, nothing added.
    let out = run_demo(&path);
    assert!(
        !out.status.success(),
        "a second demo run into the same file succeeded"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(user_count(&db), 3);

    // A real shop's file (open in this process): refused, untouched.
    let (shop, _owner) = Shop::with_owner();
    let out = run_demo(&shop.path);
    assert!(!out.status.success(), "demo data went into a shop's file");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(shop.count("users"), 1);
    let info = shop.call(
        &mut shop.login(OWNER, OWNER_PASSWORD).unwrap(),
        "shop.info",
        json!({}),
    );
    assert_eq!(info.unwrap()["name"], "Test Shop");

    // Any other file with content: refused, its bytes as they were.
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, b"not a database").unwrap();
    let out = run_demo(&other);
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&other).unwrap(), b"not a database");
}

// ---------------------------------------------------------------------------
// T16, T39: one user store, one way in, no impersonation
// ---------------------------------------------------------------------------

#[test]
fn t16_one_user_store_and_one_login_path_for_every_role() {
    let (shop, mut owner) = Shop::with_owner();
    let mut ids = Vec::new();
    for role in Role::ALL {
        let (username, password) = if role == Role::Owner {
            (OWNER.to_string(), OWNER_PASSWORD.to_string())
        } else {
            let u = format!("{}-t16", role.as_str());
            shop.create_user(&mut owner, &u, role.as_str());
            let p = password_of(&u);
            (u, p)
        };
        let (r, mut slot) = try_login(&shop.d, &username, &password);
        let view = r.unwrap();
        assert_eq!(view["role"], role.as_str());
        assert_eq!(slot.as_ref().unwrap().role, role);
        let who = shop.call(&mut slot, "auth.whoami", json!({})).unwrap();
        assert_eq!(who["username"], username.as_str());
        ids.push(slot.unwrap().user_id);
    }
    // All of them are rows of the one users table.
    let listed = shop.call(&mut owner, "users.list", json!({})).unwrap();
    let listed: BTreeSet<(i64, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["id"].as_i64().unwrap(),
                u["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (id, role) in ids.iter().zip(Role::ALL) {
        assert!(
            listed.contains(&(*id, role.as_str().to_string())),
            "{listed:?}"
        );
    }
    // One store: only `users` holds usernames or credentials.
    let stores: BTreeSet<String> = all_columns(&shop.db)
        .into_iter()
        .filter(|(_, c)| c == "password_hash" || c == "pin_hash")
        .map(|(t, _)| t)
        .collect();
    assert_eq!(stores, BTreeSet::from(["users".to_string()]));
    // One way in: auth.login, and on a shared till auth.pin_login (issue 12)
    // — the same user row, the same lockout and the same session start
    // (identity/auth.rs: load_login_row, refuse_if_locked, record_failure,
    // start_session); nothing else logs anyone in.
    let logins: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|n| {
            let n = n.to_lowercase();
            n.contains("login")
                || n.contains("signin")
                || n.contains("sign_in")
                || n.contains("authenticate")
        })
        .collect();
    assert_eq!(logins, ["auth.login", "auth.pin_login"]);
}

#[test]
fn t39_there_is_no_impersonation() {
    for c in COMMANDS {
        let n = c.name.to_lowercase();
        for word in [
            "impersonat",
            "sudo",
            "switch_user",
            "switch-user",
            "become",
            "act_as",
            "run_as",
            "as_user",
            "assume",
        ] {
            assert!(!n.contains(word), "{} looks like impersonation", c.name);
        }
    }
    // The only way to act as someone else is their own password: an owner
    // can't log in as a cashier without it, and keeps their own session.
    let (shop, mut owner) = Shop::with_owner();
    shop.create_user(&mut owner, "cash-t39", "cashier");
    let r = shop.call(
        &mut owner,
        "auth.login",
        json!({ "username": "cash-t39", "password": "owner-guessing-it" }),
    );
    assert_eq!(code(&r), "unauthenticated");
    assert_eq!(owner.as_ref().unwrap().username, OWNER);
    let who = shop.call(&mut owner, "auth.whoami", json!({})).unwrap();
    assert_eq!(who["role"], "owner");
    // Nor by naming the user on a command.
    let r = shop.call(&mut owner, "auth.whoami", json!({ "username": "cash-t39" }));
    assert_eq!(code(&r), "validation");
}
