//! Crash safety: the real `tillbook api` is killed with SIGKILL again
//! and again in the middle of a stream of checkouts, and afterwards the file
//! holds every acknowledged sale, nothing half-written, gapless numbers and
//! conserved stock (T05, T26); a request that was in flight at the kill is
//! replayed with its key and makes its sale exactly once (T09). Also: two
//! handles racing two different refunds for a line's last unit (T31, D01), and
//! a property test that stock is conserved over random sales and refunds (T30).

use crate::support::checks::{code, scalar, verify_is_clean};
use crate::support::faults::chain_is_intact;
use crate::support::fixtures::{
    at_once, cash, checkout, ensure_drawer, id, product, receive, sale, Refund,
};
use crate::support::{self, Shop, OWNER, OWNER_PASSWORD};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tillbook_core::clock::{Clock, SystemClock};
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::Dispatcher;

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// A small seeded generator (SplitMix64): the same seed replays the same run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// The seed of the kill loop; `TILLBOOK_CRASH_SEED` picks another (the failure
/// message names the one used).
fn crash_seed() -> u64 {
    std::env::var("TILLBOOK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7111_b00c)
}

/// Units by movement kind, as positive numbers.
fn moved(db: &Db, kind: &str) -> i64 {
    scalar(
        db,
        &format!(
            "SELECT coalesce(sum(abs(quantity)), 0) FROM stock_movements WHERE kind = '{kind}'"
        ),
    )
}

/// received = on hand + sold − returned + written off, over every batch (T30).
fn stock_is_conserved(db: &Db) {
    let on_hand = scalar(db, "SELECT coalesce(sum(on_hand), 0) FROM batches");
    assert_eq!(
        moved(db, "receive"),
        on_hand + moved(db, "sale") - moved(db, "return") + moved(db, "damage"),
        "received = on hand + sold − returned + damaged"
    );
    assert_eq!(
        moved(db, "sale"),
        scalar(db, "SELECT coalesce(sum(quantity), 0) FROM order_lines"),
        "every unit sold is on an order line"
    );
    assert_eq!(
        moved(db, "return"),
        scalar(db, "SELECT coalesce(sum(quantity), 0) FROM refund_lines"),
        "every unit returned is on a refund line"
    );
}

/// Order and receipt numbers run 1..=count with no gap and no repeat (T26).
fn numbers_are_gapless(db: &Db) {
    for column in ["number", "receipt_number"] {
        let (n, distinct, max) = db
            .read(|c| {
                Ok(c.query_row(
                    &format!(
                        "SELECT count(*), count(DISTINCT {column}), coalesce(max({column}), 0)
                         FROM orders"
                    ),
                    [],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    },
                )?)
            })
            .unwrap();
        assert_eq!((distinct, max), (n, n), "orders.{column} is not 1..={n}");
    }
}

/// What `sales.checkout` answered, without the credit decision `sales.get` lacks.
fn order_of(checkout: &Value) -> Value {
    let mut v = checkout.clone();
    v.as_object_mut().unwrap().remove("credit");
    v
}

// ---------------------------------------------------------------------------
// T05 / T26 / T09: kill -9 in a loop of checkouts
// ---------------------------------------------------------------------------

/// Rounds of spawn, log in, sell, kill.
const KILL_ROUNDS: usize = 25;
/// Most acknowledged sales in one round before the kill.
const MAX_ACKED_PER_ROUND: u64 = 8;
/// Most requests unacknowledged when the kill comes.
const MAX_IN_FLIGHT: u64 = 3;
/// Bound on any one wait for the binary; far above a checkout's real time.
const REPLY_WAIT: Duration = Duration::from_secs(60);
/// Stock per product: more than the whole loop can sell.
const UNITS: i64 = 100_000;

/// One `tillbook api` process on the shop file, its answers read on a thread so
/// every wait is bounded.
struct Api {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    stderr: PathBuf,
}

impl Api {
    fn spawn(db: &Path, stderr: &Path) -> Api {
        let err = File::create(stderr).unwrap();
        let mut child = support::tillbook_on(db)
            .arg("api")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Api {
            child,
            stdin,
            lines,
            stderr: stderr.to_path_buf(),
        }
    }

    fn send(&mut self, request: &Value) {
        writeln!(self.stdin, "{request}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// An answer that has already arrived, if any.
    fn try_recv(&mut self) -> Option<Value> {
        self.lines
            .try_recv()
            .ok()
            .map(|line| serde_json::from_str(&line).unwrap())
    }

    /// The next answer, which must be for `id`.
    fn recv(&mut self, id: &str) -> Value {
        let line = match self.lines.recv_timeout(REPLY_WAIT) {
            Ok(line) => line,
            Err(e) => panic!(
                "tillbook api gave no answer to {id} within {REPLY_WAIT:?} ({e}); stderr: {}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            ),
        };
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["id"], json!(id), "answers come in request order: {line}");
        v
    }

    /// SIGKILL on Unix: no destructor, no rollback, no checkpoint.
    fn kill(mut self) {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert!(!status.success(), "the killed process exited normally");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(status.signal(), Some(9), "{status:?}");
        }
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        // A failed assertion must not leave the binary running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One checkout request: 1–3 distinct products, 1–3 units each, paid in cash
/// or split between card and cash (cash over the total; the change is computed).
fn random_checkout(rng: &mut Rng, products: &[i64], n: usize) -> (String, Value) {
    let k = format!("crash-{}-{n}-{}", std::process::id(), rng.next());
    let mut picked = BTreeSet::new();
    for _ in 0..=rng.below(3) {
        picked.insert(products[rng.below(products.len() as u64) as usize]);
    }
    let lines: Vec<Value> = picked
        .into_iter()
        .map(|p| json!({ "product_id": p, "quantity": 1 + rng.below(3) }))
        .collect();
    // Every product costs at least 150, so a card part of 1–100 never covers the total.
    let payments = if rng.one_in(3) {
        json!([
            { "tender": "card", "amount_minor": 1 + rng.below(100), "reference": format!("TRM-{n}") },
            { "tender": "cash", "amount_minor": 100_000 },
        ])
    } else {
        json!([{ "tender": "cash", "amount_minor": 100_000 }])
    };
    let args = json!({ "idempotency_key": k, "lines": lines, "payments": payments });
    (k, args)
}

struct Acked {
    key: String,
    args: Value,
    response: Value,
}

/// A request written to the binary and not acknowledged when it was killed.
struct InFlight {
    key: String,
    args: Value,
    at: KillAt,
    first_of_round: bool,
    /// The answer that had arrived but that the till never took in.
    unseen: Option<Value>,
}

/// When, in a round, the binary dies.
#[derive(Clone, Copy, Debug)]
enum KillAt {
    /// Right after starting, with its login still in flight.
    Startup,
    /// Between two requests, nothing in flight.
    Idle,
    /// Right after writing requests: mostly before it has read them.
    Sent,
    /// As soon as the write-ahead log grows: inside or just after the commit.
    WalGrows,
    /// As soon as another connection sees the first in-flight sale committed:
    /// before or while its answer is written.
    Committed,
    /// After the first in-flight answer has arrived, unread by the till.
    Answered,
}

/// A shop file with products and plenty of stock, made in-process and closed;
/// the wall clock is used throughout, as the binary uses it.
fn crash_shop() -> (tempfile::TempDir, PathBuf, Vec<i64>) {
    let (shop, _) = Shop::with_owner();
    shop.clock.set_ms(SystemClock.now_ms());
    let mut owner = shop.login(OWNER, OWNER_PASSWORD).unwrap();
    // Cash needs an open drawer; the binary's sessions sell into this one.
    ensure_drawer(&shop, &mut owner);
    let mut products = Vec::new();
    for (i, (price, tax)) in [
        (150, "standard"),
        (275, "reduced"),
        (999, "standard"),
        (1234, "zero"),
    ]
    .into_iter()
    .enumerate()
    {
        let p = product(&shop, &mut owner, &format!("CRASH-{i}"), price, tax);
        receive(&shop, &mut owner, p, UNITS / 2, 60 + i as i64);
        receive(&shop, &mut owner, p, UNITS / 2, 70 + i as i64);
        products.push(p);
    }
    let Shop {
        dir, path, db, d, ..
    } = shop;
    drop(d);
    drop(db);
    (dir, path, products)
}

/// Whether the checkout sent with `key` has committed (its idempotency record
/// is written in the same transaction).
fn committed(conn: &rusqlite::Connection, key: &str) -> bool {
    conn.query_row(
        "SELECT count(*) FROM idempotency WHERE command = 'sales.checkout' AND key = ?1",
        [key],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        == 1
}

/// Polls `done` until it holds; the bound only turns a hang into a message.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + REPLY_WAIT;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "waited {REPLY_WAIT:?} for {what}"
        );
        std::thread::yield_now();
    }
}

#[test]
fn t05_t26_kill_9_in_a_loop_of_checkouts_loses_no_confirmed_sale() {
    let seed = crash_seed();
    eprintln!("kill loop seed: {seed} (set TILLBOOK_CRASH_SEED to replay another)");
    let mut rng = Rng(seed);
    let (dir, path, products) = crash_shop();
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let wal_len = || std::fs::metadata(&wal).map_or(0, |m| m.len());

    let mut acked: Vec<Acked> = Vec::new();
    let mut in_flight: Vec<InFlight> = Vec::new();
    let mut attempted = 0usize;
    let mut kills: BTreeMap<String, usize> = BTreeMap::new();
    for round in 0..KILL_ROUNDS {
        let mut api = Api::spawn(&path, &dir.path().join(format!("api-{round}.err")));
        api.send(&json!({ "id": "login", "cmd": "auth.login",
                          "args": { "username": OWNER, "password": OWNER_PASSWORD } }));
        let at = match rng.below(10) {
            0 => KillAt::Startup,
            1 => KillAt::Idle,
            2..=3 => KillAt::Sent,
            4..=5 => KillAt::WalGrows,
            6..=7 => KillAt::Committed,
            _ => KillAt::Answered,
        };
        *kills.entry(format!("{at:?}")).or_default() += 1;
        if let KillAt::Startup = at {
            api.kill();
            continue;
        }
        let login = api.recv("login");
        assert_eq!(login["ok"], true, "round {round}: {login}");

        for _ in 0..rng.below(MAX_ACKED_PER_ROUND + 1) {
            let (k, args) = random_checkout(&mut rng, &products, attempted);
            attempted += 1;
            api.send(&json!({ "id": k, "cmd": "sales.checkout", "args": args }));
            let answer = api.recv(&k);
            assert_eq!(answer["ok"], true, "round {round}, seed {seed}: {answer}");
            acked.push(Acked {
                key: k,
                args,
                response: answer["data"].clone(),
            });
        }
        let unread = match at {
            KillAt::Idle => 0,
            _ => 1 + rng.below(MAX_IN_FLIGHT),
        };
        let first = in_flight.len();
        let wal_before = wal_len();
        for i in 0..unread {
            let (key, args) = random_checkout(&mut rng, &products, attempted);
            attempted += 1;
            api.send(&json!({ "id": key, "cmd": "sales.checkout", "args": args }));
            in_flight.push(InFlight {
                key,
                args,
                at,
                first_of_round: i == 0,
                unseen: None,
            });
        }
        let mut arrived = None;
        match at {
            KillAt::Startup | KillAt::Idle | KillAt::Sent => {}
            KillAt::WalGrows => wait_for("the write-ahead log to grow", || {
                // After a checkpoint the log is rewritten in place without
                // growing; the answer then ends the wait instead.
                arrived = arrived.take().or_else(|| api.try_recv());
                arrived.is_some() || wal_len() > wal_before
            }),
            KillAt::Committed => {
                let watcher = rusqlite::Connection::open(&path).unwrap();
                watcher.pragma_update(None, "query_only", "ON").unwrap();
                let key = &in_flight[first].key;
                wait_for("the first in-flight sale to commit", || {
                    committed(&watcher, key)
                });
                // Closed while the binary lives, so this is never the last
                // connection and never checkpoints the log away.
                drop(watcher);
            }
            KillAt::Answered => arrived = Some(api.recv(&in_flight[first].key)),
        }
        if let Some(answer) = arrived {
            assert_eq!(answer["id"], json!(in_flight[first].key), "{answer}");
            in_flight[first].unseen = Some(answer);
        }
        api.kill();
    }
    eprintln!("kill loop: kills by moment {kills:?}");
    assert!(
        !acked.is_empty() && !in_flight.is_empty(),
        "seed {seed} made {} acknowledged and {} in-flight sales; pick another",
        acked.len(),
        in_flight.len()
    );

    // The file opens (WAL recovery) and nothing has drifted.
    let db = Db::open(&path, OpenOptions::default()).unwrap();
    verify_is_clean(&db);
    chain_is_intact(&db);
    let d = Dispatcher::new(db.clone(), Arc::new(SystemClock));
    let mut owner = None;
    d.dispatch(
        &mut owner,
        "auth.login",
        json!({ "username": OWNER, "password": OWNER_PASSWORD }),
    )
    .unwrap();

    // Every acknowledged sale is there, exactly as it was answered.
    let orders = scalar(&db, "SELECT count(*) FROM orders") as usize;
    eprintln!(
        "kill loop: {attempted} checkouts sent, {} acknowledged, {orders} stored",
        acked.len()
    );
    assert!(
        (acked.len()..=attempted).contains(&orders),
        "{orders} orders for {} acknowledged of {attempted} sent (seed {seed})",
        acked.len()
    );
    let ids: BTreeSet<i64> = acked
        .iter()
        .map(|a| a.response["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        acked.len(),
        "two acknowledgements name one order"
    );
    for a in &acked {
        let stored = d
            .dispatch(&mut owner, "sales.get", json!({ "id": a.response["id"] }))
            .unwrap();
        assert_eq!(stored, order_of(&a.response), "acknowledged sale {}", a.key);
    }
    numbers_are_gapless(&db);
    stock_is_conserved(&db);
    assert_eq!(
        moved(&db, "receive"),
        UNITS * products.len() as i64,
        "no receipt of stock lost or doubled"
    );
    // Each order came with its idempotency record, in the same transaction.
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM idempotency WHERE command = 'sales.checkout'"
        ) as usize,
        orders
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM audit_log WHERE command = 'sales.checkout' AND result = 'ok'"
        ) as usize,
        orders
    );

    // Replaying what was in flight makes each sale exactly once.
    let committed_at_kill: Vec<bool> = in_flight
        .iter()
        .map(|f| db.read(|c| Ok(committed(c, &f.key))).unwrap())
        .collect();
    let mut outcomes: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (f, c) in in_flight.iter().zip(&committed_at_kill) {
        let o = outcomes.entry(format!("{:?}", f.at)).or_default();
        o.0 += usize::from(*c);
        o.1 += 1;
    }
    eprintln!("kill loop: in-flight sales committed / sent, by moment of kill: {outcomes:?}");
    for (f, c) in in_flight.iter().zip(&committed_at_kill) {
        if f.first_of_round && matches!(f.at, KillAt::Committed | KillAt::Answered) {
            assert!(c, "{} was seen committed before the kill", f.key);
        }
    }
    for (f, committed) in in_flight.iter().zip(committed_at_kill) {
        let k = &f.key;
        let before = scalar(&db, "SELECT count(*) FROM orders");
        let first = d
            .dispatch(&mut owner, "sales.checkout", f.args.clone())
            .unwrap_or_else(|e| panic!("replay of {k}: {e}"));
        let after = scalar(&db, "SELECT count(*) FROM orders");
        if committed {
            assert_eq!(after, before, "{k} had committed; its replay sold again");
            assert!(first["number"].as_i64().unwrap() <= orders as i64);
        } else {
            assert_eq!(
                after,
                before + 1,
                "{k} had not committed; its replay must sell"
            );
            assert_eq!(first["number"], json!(after), "the next gapless number");
        }
        if let Some(unseen) = &f.unseen {
            assert!(committed, "{k} was answered, so it had committed: {unseen}");
            assert_eq!(unseen["ok"], true, "{unseen}");
            assert_eq!(
                first, unseen["data"],
                "the replay of {k} answers the first answer"
            );
        }
        let stored = d
            .dispatch(&mut owner, "sales.get", json!({ "id": first["id"] }))
            .unwrap();
        assert_eq!(stored, order_of(&first));
        let again = d
            .dispatch(&mut owner, "sales.checkout", f.args.clone())
            .unwrap();
        assert_eq!(again, first, "a second replay of {k} answers the same");
        assert_eq!(scalar(&db, "SELECT count(*) FROM orders"), after);
    }
    // So does replaying a few acknowledged ones.
    for a in acked.iter().step_by(5) {
        let before = scalar(&db, "SELECT count(*) FROM orders");
        let again = d
            .dispatch(&mut owner, "sales.checkout", a.args.clone())
            .unwrap();
        assert_eq!(again, a.response, "replay of acknowledged {}", a.key);
        assert_eq!(scalar(&db, "SELECT count(*) FROM orders"), before);
    }
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM orders") as usize,
        acked.len() + in_flight.len(),
        "every request sent is now exactly one order"
    );
    numbers_are_gapless(&db);
    stock_is_conserved(&db);
    verify_is_clean(&db);
    chain_is_intact(&db);

    // The real binary's own check agrees.
    drop(d);
    drop(db);
    let out = support::tillbook_on(&path).arg("verify").output().unwrap();
    assert!(
        out.status.success(),
        "tillbook verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------
// T31 / D01: two refunds race for the last unit of a line
// ---------------------------------------------------------------------------

const REFUND_RACES: usize = 30;

#[test]
fn t31_d01_two_refunds_racing_for_the_last_unit_reverse_it_once() {
    let (shop, mut owner) = Shop::with_owner();
    let p = product(&shop, &mut owner, "LAST-UNIT", 500, "standard");
    receive(&shop, &mut owner, p, 10 * REFUND_RACES as i64, 120);
    // Two independent handles on the file, as two processes would have.
    let tills: Vec<Dispatcher> = (0..2)
        .map(|_| {
            let db = Db::open(&shop.path, OpenOptions::default()).unwrap();
            Dispatcher::new(db, Arc::new(shop.clock.clone()))
        })
        .collect();
    let q = shop
        .call(
            &mut owner,
            "sales.quote",
            json!({ "lines": [{ "product_id": p, "quantity": 2 }] }),
        )
        .unwrap();
    let total = q["total_minor"].as_i64().unwrap();

    let mut wins = [0usize; 2];
    for round in 0..REFUND_RACES {
        let card = json!({ "tender": "card", "amount_minor": total / 2, "reference": format!("R-{round}") });
        let order = sale(
            &shop,
            &mut owner,
            json!([{ "product_id": p, "quantity": 2 }]),
            json!([card, cash(total)]),
        );
        let order_id = id(&order);
        let line_id = order["lines"][0]["id"].as_i64().unwrap();
        let args = |stock: &str| {
            Refund::of(order_id, "race for the last unit")
                .line(line_id, 1, stock)
                .args()
        };
        shop.call(&mut owner, "sales.refund", args("restock"))
            .unwrap();

        let on_hand = scalar(&shop.db, "SELECT sum(on_hand) FROM batches");
        let entries = scalar(
            &shop.db,
            "SELECT count(*) FROM journal_entries WHERE source_type = 'refund'",
        );
        let refunded = scalar(&shop.db, "SELECT count(*) FROM refunds");
        // Till 0 puts its unit back on the shelf, till 1 writes it off: the
        // stock shows whose refund won.
        let dispositions = ["restock", "damage"];
        let outcomes = at_once(
            &owner,
            tills
                .iter()
                .zip(dispositions)
                .map(|(d, stock)| (d, "sales.refund", args(stock)))
                .collect(),
        );

        let winners: Vec<usize> = (0..2).filter(|&i| outcomes[i].is_ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        let winner = winners[0];
        match &outcomes[1 - winner] {
            Err(e) => {
                assert_eq!(e.code().as_str(), "validation", "round {round}: {e}");
                assert_eq!(e.details()["field"], json!("lines[0].quantity"), "{e}");
            }
            Ok(v) => panic!("round {round}: both refunds went through: {v}"),
        }
        let refund = outcomes[winner].as_ref().unwrap();
        assert_eq!(refund["lines"][0]["stock"], json!(dispositions[winner]));
        assert_eq!(
            scalar(&shop.db, "SELECT count(*) FROM refunds"),
            refunded + 1
        );
        assert_eq!(
            scalar(
                &shop.db,
                &format!("SELECT sum(quantity) FROM refund_lines WHERE order_line_id = {line_id}")
            ),
            2,
            "the line is refunded exactly once over"
        );
        assert_eq!(
            scalar(
                &shop.db,
                "SELECT count(*) FROM journal_entries WHERE source_type = 'refund'"
            ),
            entries + 1,
            "one reversing entry"
        );
        let refund_id = refund["id"].as_i64().unwrap();
        assert_eq!(
            scalar(
                &shop.db,
                &format!(
                    "SELECT coalesce(sum(quantity), 0) FROM stock_movements
                     WHERE kind = 'return' AND source_type = 'refund' AND source_id = '{refund_id}'"
                )
            ),
            1,
            "the unit came back once"
        );
        let restocked = i64::from(dispositions[winner] == "restock");
        assert_eq!(
            scalar(&shop.db, "SELECT sum(on_hand) FROM batches"),
            on_hand + restocked
        );
        // The money handed back for the two refunds is the sale's total.
        assert_eq!(
            scalar(
                &shop.db,
                &format!(
                    "SELECT sum(p.amount_minor) FROM refund_payments p
                     JOIN refunds r ON r.id = p.refund_id WHERE r.order_id = {order_id}"
                )
            ),
            total
        );
        verify_is_clean(&shop.db);
        wins[winner] += 1;
    }
    eprintln!("refund races won by till 0 / till 1: {wins:?}");
    // One ok and one refused attempt audited per race, besides the set-up refunds.
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM audit_log WHERE command = 'sales.refund' AND result = 'ok'"
        ),
        2 * REFUND_RACES as i64
    );
    assert_eq!(
        scalar(
            &shop.db,
            "SELECT count(*) FROM audit_log WHERE command = 'sales.refund' AND result <> 'ok'
               AND error_code = 'validation'"
        ),
        REFUND_RACES as i64
    );
    stock_is_conserved(&shop.db);
    verify_is_clean(&shop.db);
    chain_is_intact(&shop.db);
}

// ---------------------------------------------------------------------------
// T30: stock is conserved over any sequence of sales and refunds
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    /// Sell `qty` of product `product` (an index).
    Sell { product: usize, qty: i64 },
    /// Refund up to `qty` of the `order`-th sale's line (modulo the sales made).
    Refund {
        order: usize,
        qty: i64,
        damage: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 1..6i64).prop_map(|(product, qty)| Op::Sell { product, qty }),
        2 => (0..50usize, 1..4i64, any::<bool>())
            .prop_map(|(order, qty, damage)| Op::Refund { order, qty, damage }),
    ]
}

proptest! {
    // Each case is a new shop with a real Argon2id login: few, long cases.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn t30_stock_is_conserved_over_random_sales_and_refunds(
        ops in prop::collection::vec(op(), 1..25)
    ) {
        let (shop, mut owner) = Shop::with_owner();
        let products: Vec<i64> = (0..3)
            .map(|i| {
                let p = product(&shop, &mut owner, &format!("P{i}"), 200 + 75 * i as i64, "standard");
                // Two small batches each, so some sales span batches and some run out.
                receive(&shop, &mut owner, p, 7, 50);
                receive(&shop, &mut owner, p, 8, 55);
                p
            })
            .collect();
        // (order id, line id, units sold, units refunded so far)
        let mut sales: Vec<(i64, i64, i64, i64)> = Vec::new();
        for op in ops {
            match op {
                Op::Sell { product, qty } => {
                    let p = products[product];
                    let available = scalar(
                        &shop.db,
                        &format!("SELECT sum(on_hand - reserved) FROM batches WHERE product_id = {p}"),
                    );
                    let lines = json!([{ "product_id": p, "quantity": qty }]);
                    let r = checkout(&shop, &mut owner, json!({ "lines": lines, "payments": [cash(100_000)] }));
                    if qty <= available {
                        let v = r.unwrap();
                        sales.push((v["id"].as_i64().unwrap(), v["lines"][0]["id"].as_i64().unwrap(), qty, 0));
                    } else {
                        prop_assert_eq!(code(&r), "insufficient_stock");
                    }
                }
                Op::Refund { order, qty, damage } => {
                    if sales.is_empty() {
                        continue;
                    }
                    let i = order % sales.len();
                    let (order_id, line_id, sold, refunded) = sales[i];
                    let stock = if damage { "damage" } else { "restock" };
                    let r = Refund::of(order_id, "property test")
                        .line(line_id, qty, stock)
                        .submit(&shop, &mut owner);
                    if refunded + qty <= sold {
                        r.unwrap();
                        sales[i].3 += qty;
                    } else {
                        prop_assert_eq!(code(&r), "validation");
                    }
                }
            }
            stock_is_conserved(&shop.db);
        }
        let sold: i64 = sales.iter().map(|s| s.2).sum();
        let refunded: i64 = sales.iter().map(|s| s.3).sum();
        prop_assert_eq!(moved(&shop.db, "sale"), sold);
        prop_assert_eq!(moved(&shop.db, "return"), refunded);
        prop_assert_eq!(moved(&shop.db, "receive"), 3 * 15);
        numbers_are_gapless(&shop.db);
        verify_is_clean(&shop.db);
    }
}
