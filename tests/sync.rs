//! Head-office sync against a real MariaDB started by the test (issue 14,
//! T06, T07): every event reaches head office once, a shop's history is
//! checked by its hash chain, untrusted servers are refused before anything
//! is sent, and an unreachable server never stops the till.

use crate::support::faults::sweep_faults;
use crate::support::fixtures::{receive, sale_at_quote, Product};
use crate::support::mariadb::{write_private, Certs, MariaDb, ADMIN, ADMIN_PASSWORD, DATABASE};
use crate::support::{key, tillbook_on, Shop, OWNER_PASSWORD, START_MS};
use serde_json::{json, Value};
use std::sync::Arc;
use tillbook_core::clock::ManualClock;
use tillbook_core::db::migrate::MIGRATIONS;
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::records::outbox;
use tillbook_core::records::sync_state::{SyncState, SyncTarget, TlsMode};
use tillbook_core::{Dispatcher, Session};
use tillbook_sync::{run_once_with, verify_once_with, Limits, RunReport};

const SHOP_PASSWORD: &str = "shop-pw-1";

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Head office's schema on `ho`, through the admin account over TLS.
fn init_server(ho: &MariaDb) {
    let lim = Limits::default();
    block_on(async {
        let (mut conn, _) = tillbook_sync::client::connect(&admin_target(ho), ADMIN_PASSWORD, &lim)
            .await
            .unwrap();
        tillbook_sync::server::init_schema(&mut conn, &lim)
            .await
            .unwrap();
    });
}

fn admin_target(ho: &MariaDb) -> SyncTarget {
    SyncTarget {
        name: "admin".into(),
        host: "127.0.0.1".into(),
        port: ho.port,
        database: DATABASE.into(),
        user: ADMIN.into(),
        tls_mode: TlsMode::Verify,
        ca_pem: ho.certs.as_ref().map(|c| c.ca_pem.clone()),
        enabled: true,
        updated_at_ms: 0,
    }
}

/// A shop account at head office for `shop`.
fn add_shop(ho: &MariaDb, user: &str, shop: &Shop) {
    let lim = Limits::default();
    let shop_id = shop_id(shop);
    block_on(async {
        let (mut conn, _) = tillbook_sync::client::connect(&admin_target(ho), ADMIN_PASSWORD, &lim)
            .await
            .unwrap();
        tillbook_sync::server::add_shop(
            &mut conn,
            DATABASE,
            user,
            SHOP_PASSWORD,
            &shop_id,
            true,
            &lim,
        )
        .await
        .unwrap();
    });
}

fn shop_id(shop: &Shop) -> String {
    shop.db
        .read(|c| {
            Ok(
                c.query_row("SELECT host_id FROM shop WHERE id = 1", [], |r| {
                    r.get::<_, String>(0)
                })?,
            )
        })
        .unwrap()
}

/// Points the shop at `ho` as the owner would (`sync.set_target`).
fn set_target(
    shop: &Shop,
    s: &mut Option<Session>,
    port: u16,
    user: &str,
    ca_pem: Option<&str>,
) -> Value {
    shop.call(
        s,
        "sync.set_target",
        json!({ "host": "127.0.0.1", "port": port, "database": DATABASE, "user": user, "ca_pem": ca_pem }),
    )
    .unwrap()
}

fn push(shop: &Shop) -> RunReport {
    run_once_with(
        &shop.db,
        &shop.clock,
        "head-office",
        &Limits::default(),
        Ok(SHOP_PASSWORD.into()),
    )
    .unwrap()
}

fn status(shop: &Shop, s: &mut Option<Session>) -> Value {
    shop.call(s, "sync.status", json!({})).unwrap()
}

fn last_id(shop: &Shop) -> i64 {
    shop.db.read(outbox::last).unwrap().0
}

/// `n` cash sales (each a product, a receipt and a checkout: several events).
fn sell(shop: &Shop, s: &mut Option<Session>, n: usize) {
    for _ in 0..n {
        let product = Product::new(&format!("S-{}", key()), 250)
            .name("Sync test loaf")
            .tax("standard")
            .create(shop, s);
        receive(shop, s, product, 5, 100);
        sale_at_quote(
            shop,
            s,
            json!({ "lines": [{ "product_id": product, "quantity": 1 }] }),
        );
    }
}

fn assert_exact(shop: &Shop) {
    let r = verify_once_with(&shop.db, "head-office", &Limits::default(), SHOP_PASSWORD).unwrap();
    assert!(r.is_exact(), "sync verify: {r:?}");
    assert_eq!(r.server_count, last_id(shop));
    assert_eq!(r.rows_compared, last_id(shop));
    let local = tillbook_core::ops::verify::run(&shop.db).unwrap();
    assert!(local.is_clean(), "tillbook verify: {:?}", local.problems);
}

/// A head office with its schema and one shop, set up as its owner would.
fn shop_at(ho: &MariaDb, user: &str) -> (Shop, Option<Session>) {
    let (shop, mut s) = Shop::with_owner();
    add_shop(ho, user, &shop);
    let ca = ho.certs.as_ref().map(|c| c.ca_pem.clone());
    set_target(&shop, &mut s, ho.port, user, ca.as_deref());
    (shop, s)
}

#[test]
fn sync_pushes_a_shops_sales_and_verify_is_exact() {
    let ho = MariaDb::start();
    init_server(&ho);
    let (shop, mut s) = shop_at(&ho, "shop_a");
    sell(&shop, &mut s, 3);
    let before = status(&shop, &mut s);
    assert_eq!(before["state"], "idle");
    assert_eq!(before["pending"], last_id(&shop));

    let r = push(&shop);
    assert_eq!(r.state, SyncState::UpToDate, "{:?}", r.error);
    assert_eq!(r.pushed.sent, last_id(&shop));
    assert_eq!(ho.event_count(&shop_id(&shop)), last_id(&shop));
    assert_exact(&shop);
    let after = status(&shop, &mut s);
    assert_eq!(after["state"], "up_to_date");
    assert_eq!(after["pending"], 0);
    assert_eq!(after["last_success_ms"], START_MS);

    // The shipped oracle, as the real binary runs it, with the password in a 0600 file.
    let pw_file = shop.dir.path().join("sync.secret");
    write_private(&pw_file, SHOP_PASSWORD);
    let out = tillbook_on(&shop.path)
        .args(["sync", "verify"])
        .env("TILLBOOK_SYNC_PASSWORD_FILE", &pw_file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("exact"), "{text}");

    // `tillbook sync status` signs in and asks the dispatcher (`sync.status`).
    let mut child = tillbook_on(&shop.path)
        .args(["sync", "status", "--username", "owner"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{OWNER_PASSWORD}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["state"], "up_to_date", "{st}");
    assert_eq!(st["pending"], 0);
}

#[test]
fn sync_pushed_twice_duplicates_nothing() {
    let ho = MariaDb::start();
    init_server(&ho);
    let (shop, mut s) = shop_at(&ho, "shop_a");
    sell(&shop, &mut s, 2);
    assert_eq!(push(&shop).pushed.sent, last_id(&shop));
    let again = push(&shop);
    assert_eq!(again.state, SyncState::UpToDate);
    assert_eq!(again.pushed.sent, 0);
    assert_eq!(ho.event_count(&shop_id(&shop)), last_id(&shop));

    // New sales: only they go, through the real `tillbook sync run --once`.
    let acked = last_id(&shop);
    sell(&shop, &mut s, 1);
    let pw_file = shop.dir.path().join("sync.secret");
    write_private(&pw_file, SHOP_PASSWORD);
    let out = tillbook_on(&shop.path)
        .args(["sync", "run", "--once"])
        .env("TILLBOOK_SYNC_PASSWORD_FILE", &pw_file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("{} events sent", last_id(&shop) - acked)),
        "{text}"
    );
    assert_exact(&shop);
}

#[test]
fn sync_two_shops_into_one_server_stay_apart() {
    let ho = MariaDb::start();
    init_server(&ho);
    let (a, mut sa) = shop_at(&ho, "shop_a");
    let (b, mut sb) = shop_at(&ho, "shop_b");
    sell(&a, &mut sa, 2);
    sell(&b, &mut sb, 1);
    assert_eq!(push(&a).state, SyncState::UpToDate);
    let a_rows = ho.fingerprint(&shop_id(&a));
    assert_eq!(push(&b).state, SyncState::UpToDate);
    assert_eq!(
        ho.fingerprint(&shop_id(&a)),
        a_rows,
        "shop B's push touched shop A's rows"
    );
    assert_exact(&a);
    assert_exact(&b);
    assert_eq!(
        ho.sql(&format!("SELECT COUNT(*) FROM {DATABASE}.shop_event"))
            .parse::<i64>()
            .unwrap(),
        last_id(&a) + last_id(&b)
    );
}

/// The file as a backup had it: a shop of its own on a copy of the file.
fn restored(backup: &std::path::Path) -> (Shop, Option<Session>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("restored.db");
    std::fs::copy(backup, &path).unwrap();
    let db = Db::open(&path, OpenOptions::default()).unwrap();
    let clock = ManualClock::new(START_MS + 3_600_000);
    let d = Dispatcher::new(db.clone(), Arc::new(clock.clone()));
    let shop = Shop {
        dir,
        path,
        db,
        clock,
        d,
    };
    let s = shop.login("owner", OWNER_PASSWORD).unwrap();
    (shop, s)
}

#[test]
fn sync_restored_older_copy_diverges_and_sends_nothing() {
    let ho = MariaDb::start();
    init_server(&ho);
    let (shop, mut s) = shop_at(&ho, "shop_a");
    sell(&shop, &mut s, 1);
    let backup = shop.dir.path().join("older.db");
    shop.db.backup_to(&backup).unwrap();
    sell(&shop, &mut s, 2);
    assert_eq!(push(&shop).state, SyncState::UpToDate);
    let sent = ho.fingerprint(&shop_id(&shop));
    let acked = last_id(&shop);

    // Shorter than what head office has.
    let (old, mut so) = restored(&backup);
    assert!(last_id(&old) < acked);
    let r = push(&old);
    assert_eq!(r.state, SyncState::Diverged, "{:?}", r.error);
    assert_eq!(r.pushed.sent, 0);
    // Then sold on past head office's mark: a different history at the mark.
    sell(&old, &mut so, 3);
    assert!(last_id(&old) > acked);
    let r = push(&old);
    assert_eq!(r.state, SyncState::Diverged, "{:?}", r.error);
    assert_eq!(
        ho.fingerprint(&shop_id(&shop)),
        sent,
        "nothing more may reach head office"
    );
    let st = status(&old, &mut so);
    assert_eq!(st["state"], "diverged");
    let message = st["message"].as_str().unwrap();
    assert!(
        message.contains("backup") && message.contains("Nothing more is sent"),
        "{message}"
    );
    // The real file goes on as before.
    assert_eq!(push(&shop).state, SyncState::UpToDate);
    assert_exact(&shop);
}

/// Pushes to a server the shop must refuse; nothing may arrive.
fn refused(ho: &MariaDb, shop_ca: Option<&str>, host: &str) -> (RunReport, Value) {
    let (shop, mut s) = Shop::with_owner();
    sell(&shop, &mut s, 1);
    shop.call(
        &mut s,
        "sync.set_target",
        json!({ "host": host, "port": ho.port, "database": DATABASE, "user": "shop_a", "ca_pem": shop_ca }),
    )
    .unwrap();
    let r = push(&shop);
    let st = status(&shop, &mut s);
    assert_eq!(st["acked_seq"], 0);
    assert_eq!(st["pending"], last_id(&shop));
    assert_eq!(
        st["next_attempt_ms"],
        Value::Null,
        "blocked waits for a change, not a timer"
    );
    (r, st)
}

#[test]
fn t06_certificate_from_another_ca_is_refused() {
    let ho = MariaDb::start();
    init_server(&ho);
    let other = Certs::new(&["localhost"], true);
    let (r, st) = refused(&ho, Some(&other.ca_pem), "127.0.0.1");
    assert_eq!(r.state, SyncState::Blocked, "{:?}", r.error);
    assert_eq!(st["state"], "blocked");
    assert_eq!(st["error_code"], "tls_untrusted");
    assert!(st["message"]
        .as_str()
        .unwrap()
        .contains("certificate is not trusted"));
    assert_eq!(
        ho.sql(&format!("SELECT COUNT(*) FROM {DATABASE}.shop_event")),
        "0"
    );
}

#[test]
fn t06_certificate_for_another_host_name_is_refused() {
    // Signed by the CA the shop trusts, but for another name and no IP.
    let ho = MariaDb::start_with(Some(Certs::new(&["other.example"], false)));
    init_server_by_socket(&ho);
    let ca = ho.certs.as_ref().unwrap().ca_pem.clone();
    let (r, st) = refused(&ho, Some(&ca), "127.0.0.1");
    assert_eq!(r.state, SyncState::Blocked, "{:?}", r.error);
    assert_eq!(st["error_code"], "tls_wrong_host", "{st}");
    assert!(st["message"].as_str().unwrap().contains("another name"));
    assert_eq!(
        ho.sql(&format!("SELECT COUNT(*) FROM {DATABASE}.shop_event")),
        "0"
    );
}

#[test]
fn t06_server_without_tls_is_refused() {
    let ho = MariaDb::start_with(None);
    init_server_by_socket(&ho);
    let (r, st) = refused(&ho, None, "127.0.0.1");
    assert_eq!(r.state, SyncState::Blocked, "{:?}", r.error);
    assert_eq!(st["error_code"], "tls_unavailable", "{st}");
    assert!(st["message"]
        .as_str()
        .unwrap()
        .contains("encrypted connection"));
    assert_eq!(
        ho.sql(&format!("SELECT COUNT(*) FROM {DATABASE}.shop_event")),
        "0"
    );
}

/// The schema through root's socket (for servers the TLS client must refuse),
/// with an account that could write if the shop ever connected.
fn init_server_by_socket(ho: &MariaDb) {
    for stmt in tillbook_sync::server::schema_statements() {
        let out = std::process::Command::new("mariadb")
            .arg("--no-defaults")
            .arg(format!("--socket={}", ho.dir.path().join("sock").display()))
            .args(["-uroot", "--delimiter=$$", DATABASE, "-e"])
            .arg(stmt)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    ho.sql(&format!(
        "CREATE USER 'shop_a'@'%' IDENTIFIED BY '{SHOP_PASSWORD}'; \
         GRANT SELECT, INSERT ON {DATABASE}.shop_event TO 'shop_a'@'%'; \
         GRANT SELECT, UPDATE ON {DATABASE}.shop_sync TO 'shop_a'@'%';"
    ));
}

#[test]
fn t07_server_down_shows_offline_and_the_till_keeps_selling() {
    let mut ho = MariaDb::start();
    init_server(&ho);
    let (shop, mut s) = shop_at(&ho, "shop_a");
    sell(&shop, &mut s, 1);
    assert_eq!(push(&shop).state, SyncState::UpToDate);

    ho.stop();
    sell(&shop, &mut s, 1);
    let r = push(&shop);
    assert_eq!(r.state, SyncState::Offline, "{:?}", r.error);
    let st = status(&shop, &mut s);
    assert_eq!(st["state"], "offline");
    assert!(st["pending"].as_i64().unwrap() > 0);
    let next = st["next_attempt_ms"].as_i64().unwrap();
    assert!(next > START_MS, "a retry is planned: {st}");
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{st}"
    );
    // Selling goes on while head office is away (T07).
    sell(&shop, &mut s, 1);
    assert_eq!(
        status(&shop, &mut s)["pending"].as_i64().unwrap(),
        last_id(&shop) - st["acked_seq"].as_i64().unwrap()
    );

    ho.restart();
    let r = push(&shop);
    assert_eq!(r.state, SyncState::UpToDate, "{:?}", r.error);
    assert_exact(&shop);
    assert_eq!(status(&shop, &mut s)["next_attempt_ms"], Value::Null);
}

#[test]
fn sync_set_target_is_owner_only_and_audited() {
    let (shop, mut owner) = Shop::with_owner();
    let mut manager = shop.session_as(&mut owner, "manager");
    let mut cashier = shop.session_as(&mut owner, "cashier");
    let args =
        json!({ "host": "ho.example.com", "port": 3306, "database": "ho", "user": "shop_a" });
    let e = shop
        .call(&mut manager, "sync.set_target", args.clone())
        .unwrap_err();
    assert_eq!(e.code().as_str(), "forbidden");
    assert_eq!(
        shop.call(&mut manager, "sync.status", json!({})).unwrap()["state"],
        "disabled"
    );
    assert_eq!(
        shop.call(&mut cashier, "sync.status", json!({}))
            .unwrap_err()
            .code()
            .as_str(),
        "forbidden"
    );

    let v = shop
        .call(&mut owner, "sync.set_target", args.clone())
        .unwrap();
    assert_eq!(
        v["tls_mode"], "verify",
        "TLS is verified unless the owner says otherwise"
    );
    // The manager's refused attempt is audited too (D08); the owner's is the one that took.
    let audit = shop.audit_rows("sync.set_target");
    assert_eq!(
        audit.iter().filter(|a| a["result"] == "ok").count(),
        1,
        "{audit:?}"
    );
    assert_eq!(
        audit.iter().filter(|a| a["result"] == "refused").count(),
        1,
        "{audit:?}"
    );
    let insecure = json!({ "host": "ho.example.com", "port": 3306, "database": "ho", "user": "shop_a", "tls_mode": "insecure" });
    shop.call(&mut owner, "sync.set_target", insecure).unwrap();
    let audit = shop.audit_rows("sync.set_target");
    assert!(
        audit
            .iter()
            .any(|a| a["summary"]["tls_verification_disabled"] == true),
        "{audit:?}"
    );
    let bad = shop
        .call(
            &mut owner,
            "sync.set_target",
            json!({ "host": "ho example", "port": 3306, "database": "ho", "user": "u" }),
        )
        .unwrap_err();
    assert_eq!(bad.code().as_str(), "validation");
    assert!(bad.to_string().contains("host"), "{bad}");

    sweep_faults(&shop, &mut owner, "sync.set_target", || args.clone());
}

#[test]
fn sync_migration_0025_chains_existing_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let before = &MIGRATIONS[..MIGRATIONS.len() - 1];
    assert_eq!(MIGRATIONS.last().unwrap().name, "0025_sync_foundation.sql");
    {
        let db = Db::open_with_migrations(&path, OpenOptions::default(), before).unwrap();
        db.write(|tx| {
            for i in 0..50 {
                tx.conn().execute(
                    "INSERT INTO outbox (kind, entity, entity_id, payload, created_at_ms) VALUES ('old.kind', 'thing', ?1, ?2, ?3)",
                    rusqlite::params![i.to_string(), json!({ "n": i, "text": "ünïcode \"quoted\"\n" }).to_string(), START_MS + i],
                )?;
            }
            Ok(())
        })
        .unwrap();
    }
    // Two copies migrated apart give the same links (deterministic), and the
    // chain checks out row by row.
    let copy = dir.path().join("copy.db");
    // Through SQLite, not a file copy: the rows may still be in the WAL.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    let chains = |p: &std::path::Path| -> Vec<Vec<u8>> {
        let db = Db::open(p, OpenOptions::default()).unwrap();
        assert_eq!(db.read(outbox::verify_chain).unwrap(), None);
        db.read(|c| {
            let mut st = c.prepare("SELECT chain FROM outbox ORDER BY id")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<Vec<u8>>>>()?)
        })
        .unwrap()
    };
    let a = chains(&path);
    assert_eq!(a.len(), 50);
    assert_eq!(a, chains(&copy));
    // Rows never change and a row without its link is refused.
    let db = Db::open(&path, OpenOptions::default()).unwrap();
    let e = db
        .write(|tx| {
            Ok(tx
                .conn()
                .execute("UPDATE outbox SET payload = '{}' WHERE id = 1", [])?)
        })
        .unwrap_err();
    assert!(e.to_string().contains("never change"), "{e}");
    let e = db
        .write(|tx| {
            Ok(tx.conn().execute(
                "INSERT INTO outbox (kind, entity, entity_id, payload, created_at_ms) VALUES ('k', 'e', '1', '{}', 1)",
                [],
            )?)
        })
        .unwrap_err();
    assert!(e.to_string().contains("chain link"), "{e}");
    // The next event links to the last migrated one.
    db.write(|tx| outbox::emit(tx, "new.kind", "thing", "51", &json!({}), START_MS))
        .unwrap();
    assert_eq!(db.read(outbox::verify_chain).unwrap(), None);
    assert_eq!(db.read(outbox::last).unwrap().0, 51);
}

/// A TCP proxy in front of the server that cuts the first connection after
/// `cut_after` bytes from the shop (FIN both ways, as a dropped link or a
/// killed process does) and passes every later one. TLS hides the packets,
/// so the cut lands wherever the byte count falls: inside some batch.
struct CutProxy {
    port: u16,
    cuts: Arc<std::sync::atomic::AtomicUsize>,
}

impl CutProxy {
    fn start(upstream: u16, cut_after: usize) -> CutProxy {
        use std::io::{Read, Write};
        use std::net::{Shutdown, TcpListener, TcpStream};
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cuts = Arc::new(AtomicUsize::new(0));
        let counted = cuts.clone();
        // The thread ends with the test process; it holds no server state.
        std::thread::spawn(move || {
            let mut first = true;
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let cut = std::mem::take(&mut first).then_some(cut_after);
                let done = Arc::new(AtomicBool::new(false));
                let pump = |mut from: TcpStream,
                            mut to: TcpStream,
                            limit: Option<usize>,
                            done: Arc<AtomicBool>,
                            cuts: Arc<AtomicUsize>| {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        let mut sent = 0usize;
                        loop {
                            let n = match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            let n = match limit {
                                Some(l) if sent + n >= l => {
                                    let _ = to.write_all(&buf[..l - sent]);
                                    cuts.fetch_add(1, Ordering::SeqCst);
                                    break;
                                }
                                _ => n,
                            };
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                            sent += n;
                            if done.load(Ordering::SeqCst) {
                                break;
                            }
                        }
                        done.store(true, Ordering::SeqCst);
                        let _ = from.shutdown(Shutdown::Both);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                pump(client, server, cut, done.clone(), counted.clone());
                pump(s2, c2, None, done, counted.clone());
            }
        });
        CutProxy { port, cuts }
    }
}

#[test]
fn sync_cut_mid_batch_resumes_exactly() {
    let ho = MariaDb::start();
    init_server(&ho);
    let (shop, mut s) = Shop::with_owner();
    add_shop(&ho, "shop_a", &shop);
    // 600 events of ~1 KB: 30 batches of 20 below, ~600 KB through the proxy.
    shop.db
        .write(|tx| {
            for i in 0..600 {
                let payload = json!({ "n": i, "filler": "x".repeat(1000) });
                outbox::emit(
                    tx,
                    "test.event",
                    "thing",
                    &i.to_string(),
                    &payload,
                    START_MS + i,
                )?;
            }
            Ok(())
        })
        .unwrap();
    let proxy = CutProxy::start(ho.port, 200_000);
    let ca = ho.certs.as_ref().unwrap().ca_pem.clone();
    set_target(&shop, &mut s, proxy.port, "shop_a", Some(&ca));
    let lim = Limits {
        batch_rows: 20,
        ..Limits::default()
    };
    // The first session is cut part-way; the run's second session reads the
    // mark again and goes on from it.
    let r = run_once_with(
        &shop.db,
        &shop.clock,
        "head-office",
        &lim,
        Ok(SHOP_PASSWORD.into()),
    )
    .unwrap();
    assert_eq!(
        proxy.cuts.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the cut happened"
    );
    assert_eq!(r.state, SyncState::UpToDate, "{:?}", r.error);
    assert!(
        r.pushed.sent < last_id(&shop),
        "the second session sent only the rest: {:?}",
        r.pushed
    );
    assert_exact(&shop);
}

#[test]
fn t06_insecure_mode_is_explicit_and_then_connects() {
    let ho = MariaDb::start();
    init_server(&ho);
    let (shop, mut s) = Shop::with_owner();
    add_shop(&ho, "shop_a", &shop);
    sell(&shop, &mut s, 1);
    // No CA given: verified, the test CA is unknown and the push is refused.
    set_target(&shop, &mut s, ho.port, "shop_a", None);
    assert_eq!(push(&shop).state, SyncState::Blocked);
    assert_eq!(ho.event_count(&shop_id(&shop)), 0);
    // Only the owner's explicit `insecure` turns the checks off (audited by name).
    shop.call(
        &mut s,
        "sync.set_target",
        json!({ "host": "127.0.0.1", "port": ho.port, "database": DATABASE, "user": "shop_a", "tls_mode": "insecure" }),
    )
    .unwrap();
    let st = status(&shop, &mut s);
    assert_eq!(st["target"]["tls_mode"], "insecure", "the status shows it");
    assert_eq!(push(&shop).state, SyncState::UpToDate);
    assert_eq!(ho.event_count(&shop_id(&shop)), last_id(&shop));
    let audit = shop.audit_rows("sync.set_target");
    assert!(audit
        .iter()
        .any(|a| a["summary"]["tls_verification_disabled"] == true));
}
