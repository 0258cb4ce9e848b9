//! Benchmarks run by `tillbook bench …` (never by tests: timings are measured,
//! not asserted). Results are recorded in docs/BENCHMARKS.md.

use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tillbook_core::catalog::{self, SearchRequest};
use tillbook_core::clock::SystemClock;
use tillbook_core::db::rows::next_number;
use tillbook_core::db::CachedRow;
use tillbook_core::db::{Db, OpenOptions, Synchronous, Tx};
use tillbook_core::error::{Error, Result};
use tillbook_core::ledger::codes;
use tillbook_core::reports::{self, GroupBy, SalesReportRequest, DAY_MS};
use tillbook_core::{Dispatcher, Session};

const ADJECTIVES: [&str; 24] = [
    "fresh", "organic", "smoked", "spicy", "sweet", "salted", "roasted", "frozen", "dried",
    "classic", "golden", "wild", "crispy", "creamy", "mild", "strong", "light", "dark", "green",
    "red", "white", "whole", "sliced", "premium",
];
const NOUNS: [&str; 40] = [
    "milk",
    "cheese",
    "butter",
    "yoghurt",
    "bread",
    "bagel",
    "apple",
    "banana",
    "cherry",
    "chocolate",
    "coffee",
    "tea",
    "juice",
    "water",
    "cola",
    "lemonade",
    "pasta",
    "rice",
    "flour",
    "sugar",
    "salt",
    "pepper",
    "ham",
    "salami",
    "chicken",
    "beef",
    "salmon",
    "tuna",
    "olive",
    "tomato",
    "potato",
    "onion",
    "garlic",
    "carrot",
    "pickle",
    "honey",
    "jam",
    "cereal",
    "biscuit",
    "cracker",
];
const CATEGORIES: [&str; 12] = [
    "Dairy",
    "Bakery",
    "Fruit",
    "Drinks",
    "Pantry",
    "Deli",
    "Meat",
    "Fish",
    "Vegetables",
    "Snacks",
    "Frozen",
    "Household",
];

/// One row of the results table.
pub struct Measure {
    pub name: String,
    pub samples: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub avg_hits: usize,
}

pub struct SearchReport {
    pub products: usize,
    pub build: Duration,
    pub file_bytes: u64,
    pub rows: Vec<Measure>,
}

impl SearchReport {
    /// A Markdown table, as recorded in docs/BENCHMARKS.md.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{} products built in {} s ({} MiB file)\n\n| query | samples | p50 µs | p99 µs | max µs | avg hits |\n|---|---|---|---|---|---|\n",
            self.products,
            self.build.as_secs(),
            self.file_bytes / (1024 * 1024)
        );
        for m in &self.rows {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                m.name,
                m.samples,
                m.p50.as_micros(),
                m.p99.as_micros(),
                m.max.as_micros(),
                m.avg_hits
            ));
        }
        s
    }
}

fn name_of(rng: &mut fastrand::Rng) -> String {
    format!(
        "{} {} {}",
        ADJECTIVES[rng.usize(..ADJECTIVES.len())],
        NOUNS[rng.usize(..NOUNS.len())],
        rng.u32(1..100_000)
    )
}

fn barcode_of(i: usize) -> String {
    format!("{:013}", 2_000_000_000_000u64 + i as u64)
}

/// Fills a new file at `path` with `products` products, then times barcode
/// lookups and as-you-type searches (`samples` of each kind) through the same
/// functions the commands use.
pub fn search(path: &Path, products: usize, samples: usize) -> Result<SearchReport> {
    if path.exists() {
        return Err(Error::validation(
            "path",
            format!("{} exists; the benchmark needs a new file", path.display()),
        ));
    }
    let db = Db::open(path, OpenOptions::default()).map_err(|e| Error::internal(e.to_string()))?;
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(42);
    let chunk = 50_000;
    let mut done = 0;
    while done < products {
        let end = (done + chunk).min(products);
        db.write(|tx| {
            for i in done..end {
                tx.execute(
                    "INSERT INTO products (sku, barcode, name, category, unit, tax_class, price_minor,
                                           created_at_ms, updated_at_ms)
                     VALUES (?1, ?2, ?3, ?4, 'each', 'standard', ?5, 0, 0)",
                    rusqlite::params![
                        format!("SKU{i:07}"),
                        barcode_of(i),
                        name_of(&mut rng),
                        CATEGORIES[i % CATEGORIES.len()],
                        rng.i64(1..100_000)
                    ],
                )?;
            }
            Ok(())
        })?;
        done = end;
    }
    // Merge the FTS segments and gather planner statistics, as a shop's
    // periodic maintenance would.
    db.write(|tx| {
        tx.execute(
            "INSERT INTO products_fts (products_fts) VALUES ('optimize')",
            [],
        )?;
        tx.conn().execute_batch("ANALYZE")?;
        Ok(())
    })?;
    let build = started.elapsed();
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);

    let mut rows = Vec::new();
    let mut q = fastrand::Rng::with_seed(7);
    rows.push(time("barcode lookup (hit)", samples, |_| {
        let b = barcode_of(q.usize(..products.max(1)));
        db.read(|c| Ok(usize::from(catalog::by_barcode(c, &b)?.is_some())))
    })?);
    rows.push(time("barcode lookup (miss)", samples, |i| {
        let b = format!("{:013}", 9_000_000_000_000u64 + i as u64);
        db.read(|c| Ok(usize::from(catalog::by_barcode(c, &b)?.is_some())))
    })?);
    let word = |q: &mut fastrand::Rng| -> &'static str {
        if q.bool() {
            NOUNS[q.usize(..NOUNS.len())]
        } else {
            ADJECTIVES[q.usize(..ADJECTIVES.len())]
        }
    };
    let run = |name: &str, make: &mut dyn FnMut(&mut fastrand::Rng) -> String| {
        let mut q = fastrand::Rng::with_seed(name.len() as u64);
        time(name, samples, |_| {
            let req = SearchRequest {
                query: make(&mut q),
                limit: Some(20),
                ..SearchRequest::default()
            };
            db.read(|c| Ok(catalog::search(c, &req)?.items.len()))
        })
    };
    rows.push(run("search: 1 letter", &mut |q| word(q)[..1].to_string())?);
    rows.push(run("search: 2-letter prefix", &mut |q| {
        word(q)[..2].to_string()
    })?);
    rows.push(run("search: 3-letter prefix", &mut |q| {
        word(q)[..3].to_string()
    })?);
    rows.push(run("search: whole word", &mut |q| word(q).to_string())?);
    rows.push(run("search: two word prefixes", &mut |q| {
        format!("{} {}", &word(q)[..3], &NOUNS[q.usize(..NOUNS.len())][..3])
    })?);
    rows.push(run("search: no match", &mut |q| {
        format!("zq{}", q.u32(..1000))
    })?);
    let mut q = fastrand::Rng::with_seed(99);
    rows.push(time("search: 2-letter prefix, page 3", samples, |_| {
        let req = SearchRequest {
            query: word(&mut q)[..2].to_string(),
            limit: Some(20),
            offset: 40,
            ..SearchRequest::default()
        };
        db.read(|c| Ok(catalog::search(c, &req)?.items.len()))
    })?);
    Ok(SearchReport {
        products,
        build,
        file_bytes,
        rows,
    })
}

fn time(name: &str, samples: usize, mut f: impl FnMut(usize) -> Result<usize>) -> Result<Measure> {
    // Warm the caches the way a running till has them warm.
    for i in 0..samples.min(50) {
        f(i)?;
    }
    let mut times = Vec::with_capacity(samples);
    let mut hits = 0;
    for i in 0..samples {
        let t = Instant::now();
        hits += f(i)?;
        times.push(t.elapsed());
    }
    times.sort_unstable();
    let at = |p: usize| times[(times.len() * p / 100).min(times.len().saturating_sub(1))];
    Ok(Measure {
        name: name.to_string(),
        samples,
        p50: at(50),
        p99: at(99),
        max: times.last().copied().unwrap_or_default(),
        avg_hits: hits / samples.max(1),
    })
}

// ---------------------------------------------------------------------------
// A shop to sell from (issue 5 benchmarks)
// ---------------------------------------------------------------------------

/// The owner of every benchmark file; the files are throwaway.
pub const BENCH_OWNER: &str = "owner";
pub const BENCH_PASSWORD: &str = "bench-owner-password";
/// Products in the shops the checkout benchmarks sell from.
const SHOP_PRODUCTS: usize = 50;
/// Lines of every benchmark checkout, as in the "1 order, 5 lines".
const CHECKOUT_LINES: usize = 5;

fn opts_with(synchronous: Synchronous) -> OpenOptions {
    OpenOptions {
        synchronous,
        ..OpenOptions::default()
    }
}

fn fresh(path: &Path) -> Result<()> {
    if path.exists() {
        return Err(Error::validation(
            "path",
            format!("{} exists; the benchmark needs a new file", path.display()),
        ));
    }
    Ok(())
}

fn open_db(path: &Path, opts: OpenOptions) -> Result<Db> {
    Db::open(path, opts).map_err(|e| Error::internal(e.to_string()))
}

/// A product as the bare transaction needs it: id, list price, its one batch, cost.
#[derive(Clone, Copy)]
struct Stocked {
    id: i64,
    price: i64,
    batch: i64,
    cost: i64,
}

struct BenchShop {
    d: Dispatcher,
    owner: Option<Session>,
    products: Vec<Stocked>,
}

fn login(d: &Dispatcher, username: &str, password: &str) -> Result<Option<Session>> {
    let mut s = None;
    d.dispatch(
        &mut s,
        "auth.login",
        json!({ "username": username, "password": password }),
    )?;
    Ok(s)
}

/// A set-up shop with an owner and `products` products, each with one batch
/// of ample stock, made through the dispatcher as the till would.
fn new_shop(path: &Path, opts: OpenOptions, products: usize) -> Result<BenchShop> {
    fresh(path)?;
    let d = Dispatcher::new(open_db(path, opts)?, Arc::new(SystemClock));
    let mut anon = None;
    d.dispatch(
        &mut anon,
        "setup.create_owner",
        json!({
            "idempotency_key": "bench-setup-owner",
            "shop_name": "Bench Shop",
            "currency_code": "EUR",
            "username": BENCH_OWNER,
            "display_name": "Bench Owner",
            "password": BENCH_PASSWORD,
        }),
    )?;
    let mut owner = login(&d, BENCH_OWNER, BENCH_PASSWORD)?;
    let mut rng = fastrand::Rng::with_seed(5);
    let mut stocked = Vec::with_capacity(products);
    for i in 0..products {
        let price = rng.i64(100..5_000);
        let cost = price * 2 / 5;
        let id = d.dispatch(
            &mut owner,
            "catalog.create_product",
            json!({
                "idempotency_key": format!("bench-product-{i}"),
                "sku": format!("B{i:05}"),
                "name": name_of(&mut rng),
                "price_minor": price,
                "tax_class": "standard",
            }),
        )?["id"]
            .as_i64()
            .ok_or_else(|| Error::internal("create_product returned no id"))?;
        let batch = d.dispatch(
            &mut owner,
            "stock.receive",
            json!({
                "idempotency_key": format!("bench-receive-{i}"),
                "product_id": id,
                "lot_code": format!("LOT{i}"),
                "expires_on": null,
                "unit_cost_minor": cost,
                "quantity": 500_000_000,
            }),
        )?["id"]
            .as_i64()
            .ok_or_else(|| Error::internal("stock.receive returned no id"))?;
        stocked.push(Stocked {
            id,
            price,
            batch,
            cost,
        });
    }
    Ok(BenchShop {
        d,
        owner,
        products: stocked,
    })
}

/// Five distinct products, 1–3 of each.
fn pick_lines(rng: &mut fastrand::Rng, products: &[Stocked]) -> Vec<(Stocked, i64)> {
    let mut lines: Vec<(Stocked, i64)> = Vec::with_capacity(CHECKOUT_LINES);
    while lines.len() < CHECKOUT_LINES.min(products.len()) {
        let p = products[rng.usize(..products.len())];
        if lines.iter().all(|(q, _)| q.id != p.id) {
            lines.push((p, rng.i64(1..=3)));
        }
    }
    lines
}

fn checkout_args(n: u64, tag: &str, lines: &[(Stocked, i64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(p, q)| json!({ "product_id": p.id, "quantity": q }))
        .collect();
    json!({
        // Later keys sort later, as the till's do (`newIdempotencyKey` puts
        // the time first), so the key index grows at its right edge.
        "idempotency_key": format!("bench-{tag}-{n:012}"),
        "lines": lines,
        // Cash handed over; the core computes the total and the change.
        "payments": [{ "tender": "cash", "amount_minor": 100_000_000 }],
    })
}

// ---------------------------------------------------------------------------
// bench confirm
// ---------------------------------------------------------------------------

pub struct ConfirmRow {
    pub synchronous: Synchronous,
    /// The connections' prepared-statement cache, when set back to rusqlite's
    /// default of 16 (the diagnostic variant showing the cost before the fix
    /// in `db/open.rs`).
    pub statement_cache: Option<usize>,
    pub ops: usize,
    pub dispatcher: Duration,
    pub bare: Duration,
    pub dispatcher_p50: Duration,
    pub bare_p50: Duration,
}

pub struct ConfirmReport {
    pub rows: Vec<ConfirmRow>,
}

fn per_second(ops: usize, d: Duration) -> u128 {
    (ops as u128 * 1_000_000) / d.as_micros().max(1)
}

/// `a / b` as a decimal with two places, without floats.
fn ratio(a: u128, b: u128) -> String {
    let hundredths = (a * 100 + b / 2) / b.max(1);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

impl ConfirmReport {
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| synchronous | checkouts | dispatcher ops/s | bare ops/s | ratio | dispatcher p50 µs | bare p50 µs | goal |\n|---|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let (d, b) = (per_second(r.ops, r.dispatcher), per_second(r.ops, r.bare));
            let goal = match r.synchronous {
                Synchronous::Full => "≥ 0.80",
                Synchronous::Normal => "≥ 0.50",
            };
            let mode = match r.statement_cache {
                Some(n) => format!("{:?}, statement cache {n}", r.synchronous),
                None => format!("{:?}", r.synchronous),
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                mode,
                r.ops,
                d,
                b,
                ratio(d, b),
                r.dispatcher_p50.as_micros(),
                r.bare_p50.as_micros(),
                goal
            ));
        }
        s
    }
}

/// Ids of the accounts a sale posts to.
struct Accounts {
    cash: i64,
    revenue: i64,
    tax: i64,
    cogs: i64,
    inventory: i64,
}

fn accounts(conn: &rusqlite::Connection) -> Result<Accounts> {
    let id = |code: &str| -> Result<i64> {
        Ok(
            conn.cached_row("SELECT id FROM accounts WHERE code = ?1", [code], |r| {
                r.get(0)
            })?,
        )
    };
    Ok(Accounts {
        cash: id(codes::CASH)?,
        revenue: id(codes::SALES_REVENUE)?,
        tax: id(codes::TAX_PAYABLE)?,
        cogs: id(codes::COST_OF_GOODS_SOLD)?,
        inventory: id(codes::INVENTORY)?,
    })
}

/// 20 % of `net`, rounded half away from zero (net is never negative).
fn tax_of(net: i64, rate_bp: i64) -> i64 {
    (net * rate_bp + 5_000) / 10_000
}

/// The same rows a checkout writes, as plain statements with everything
/// known up front: no session, parsing, pricing, picking, hashing or reply.
/// The rows carry the same contents as the dispatcher's (the movement reason,
/// the journal memo, the audit summary and the outbox payload), so the two
/// write the same bytes and the comparison measures the dispatcher's work.
fn bare_checkout(
    tx: &Tx<'_>,
    acc: &Accounts,
    lines: &[(Stocked, i64)],
    user_id: i64,
    now: i64,
    n: u64,
) -> Result<()> {
    let c = tx.conn();
    let order_id: i64 = c
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM orders")?
        .query_row([], |r| r.get(0))?;
    let number = next_number(tx, tillbook_core::sales::ORDER_COUNTER)?;
    let receipt = next_number(tx, tillbook_core::sales::RECEIPT_COUNTER)?;
    let reason = format!("sale, order {number}");
    let (mut net, mut tax, mut cost) = (0i64, 0i64, 0i64);
    for (i, (p, q)) in lines.iter().enumerate() {
        let gross = p.price * q;
        let t = tax_of(gross, 2000);
        let line_cost = p.cost * q;
        net += gross;
        tax += t;
        cost += line_cost;
        let line_id: i64 = tx.execute_returning(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, list_price_minor,
                                      unit_price_minor, gross_minor, discount_minor, tax_rate_bp,
                                      net_minor, tax_minor, total_minor, cost_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 0, 2000, ?6, ?7, ?8, ?9) RETURNING id",
            rusqlite::params![
                order_id,
                i as i64 + 1,
                p.id,
                q,
                p.price,
                gross,
                t,
                gross + t,
                line_cost
            ],
            |r| r.get(0),
        )?;
        let movement: i64 = tx.execute_returning(
            "INSERT INTO stock_movements (batch_id, kind, quantity, reason, user_id, source_type,
                                          source_id, at_ms)
             VALUES (?1, 'sale', ?2, ?3, ?4, 'order', ?5, ?6) RETURNING id",
            rusqlite::params![p.batch, -q, reason, user_id, order_id.to_string(), now],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO order_line_batches (line_id, batch_id, movement_id, quantity, unit_cost_minor)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![line_id, p.batch, movement, q, p.cost],
        )?;
    }
    let total = net + tax;
    tx.execute(
        "INSERT INTO payments (order_id, tender, amount_minor, tendered_minor, change_minor,
                               created_at_ms)
         VALUES (?1, 'cash', ?2, ?2, 0, ?3)",
        rusqlite::params![order_id, total, now],
    )?;
    let entry = next_number(tx, tillbook_core::ledger::ENTRY_COUNTER)?;
    for (account, debit, credit) in [
        (acc.cash, total, 0),
        (acc.revenue, 0, net),
        (acc.tax, 0, tax),
        (acc.cogs, cost, 0),
        (acc.inventory, 0, cost),
    ] {
        tx.execute(
            "INSERT INTO journal_lines (entry_id, account_id, debit_minor, credit_minor)
             VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![entry, account, debit, credit],
        )?;
    }
    tx.execute(
        "INSERT INTO journal_entries (id, posted_at_ms, memo, source_type, source_id, user_id,
                                      total_minor)
         VALUES (?1, ?2, ?3, 'order', ?4, ?5, ?6)",
        rusqlite::params![
            entry,
            now,
            format!("Sale, order {number}"),
            order_id,
            user_id,
            total + cost
        ],
    )?;
    tx.execute(
        "INSERT INTO orders (id, number, receipt_number, status, customer_id, cashier_id,
                             prices_include_tax, line_count, discount_minor, net_minor, tax_minor,
                             total_minor, cost_minor, change_minor, entry_id, created_at_ms)
         VALUES (?1, ?2, ?3, 'confirmed', NULL, ?4, 0, ?5, 0, ?6, ?7, ?8, ?9, 0, ?10, ?11)",
        rusqlite::params![
            order_id,
            number,
            receipt,
            user_id,
            lines.len() as i64,
            net,
            tax,
            total,
            cost,
            entry,
            now
        ],
    )?;
    // Distinct 64-hex-digit values: the bare path does not chain hashes.
    let hash = format!("{:064x}", u128::from(n) + (1u128 << 100));
    tx.execute(
        "INSERT INTO audit_log (at_ms, user_id, username, command, entity, entity_id, summary,
                                result, prev_hash, hash)
         VALUES (?1, ?2, 'owner', 'sales.checkout', 'order', ?3, ?4, 'ok', ?5, ?6)",
        rusqlite::params![
            now,
            user_id,
            order_id.to_string(),
            json!({
                "number": number,
                "receipt_number": receipt,
                "customer_id": null,
                "lines": lines.len(),
                "total_minor": total,
                "tax_minor": tax,
                "payments": [{ "tender": "cash", "amount_minor": total, "change_minor": 0 }],
                "entry_id": entry,
                "shift_id": null,
                "held_cart_id": null,
                "loyalty_claim_id": null,
                "reward_discount_minor": 0,
                "credit": null,
            })
            .to_string(),
            hash,
            hash
        ],
    )?;
    tx.execute(
        "INSERT INTO outbox (kind, entity, entity_id, payload, created_at_ms)
         VALUES ('sale.confirmed', 'order', ?1, ?2, ?3)",
        rusqlite::params![
            order_id.to_string(),
            json!({
                "number": number,
                "receipt_number": receipt,
                "customer_id": null,
                "total_minor": total,
                "tax_minor": tax,
                "created_at_ms": now,
            })
            .to_string(),
            now
        ],
    )?;
    Ok(())
}

const RUSQLITE_DEFAULT_CACHE: usize = 16;

/// Sets the prepared-statement cache of the writer connection and of the read
/// connections the pool hands out. With rusqlite's default of 16, fewer than a
/// checkout's distinct statements, most statements are parsed again each sale.
fn set_statement_cache(db: &Db, n: usize) -> Result<()> {
    db.write(|tx| {
        tx.conn().set_prepared_statement_cache_capacity(n);
        Ok(())
    })?;
    for _ in 0..8 {
        db.read(|c| {
            c.set_prepared_statement_cache_capacity(n);
            Ok(())
        })?;
    }
    Ok(())
}

fn p50(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// `sales.checkout` through the dispatcher against the same rows written as
/// plain statements in one `Db::write` transaction, at each durability level.
pub fn confirm(dir: &Path, ops: usize) -> Result<ConfirmReport> {
    let warmup = 50;
    let mut rows = Vec::new();
    for (sync, cache) in [
        (Synchronous::Full, None),
        (Synchronous::Normal, None),
        (Synchronous::Full, Some(RUSQLITE_DEFAULT_CACHE)),
        (Synchronous::Normal, Some(RUSQLITE_DEFAULT_CACHE)),
    ] {
        let tag = format!(
            "{}{}",
            format!("{sync:?}").to_lowercase(),
            cache.map(|n| format!("-cache{n}")).unwrap_or_default()
        );
        let mut shop = new_shop(
            &dir.join(format!("confirm-dispatcher-{tag}.db")),
            opts_with(sync),
            SHOP_PRODUCTS,
        )?;
        let bare_shop = new_shop(
            &dir.join(format!("confirm-bare-{tag}.db")),
            opts_with(sync),
            SHOP_PRODUCTS,
        )?;
        let db = bare_shop.d.db().clone();
        if let Some(n) = cache {
            set_statement_cache(shop.d.db(), n)?;
            set_statement_cache(&db, n)?;
        }
        let user_id = bare_shop
            .owner
            .as_ref()
            .map(|s| s.user_id)
            .ok_or_else(|| Error::internal("no owner session"))?;
        let acc = db.read(accounts)?;
        // The two alternate, one checkout each in turn, so both see the same
        // disk and the same neighbours on a shared machine.
        let mut rng = fastrand::Rng::with_seed(11);
        let (mut d_lat, mut b_lat) = (Vec::with_capacity(ops), Vec::with_capacity(ops));
        for n in 0..(warmup + ops) as u64 {
            let d_lines = pick_lines(&mut rng, &shop.products);
            let b_lines = pick_lines(&mut rng, &bare_shop.products);
            let mut dispatcher = || -> Result<Duration> {
                let args = checkout_args(n, &tag, &d_lines);
                let t = Instant::now();
                shop.d.dispatch(&mut shop.owner, "sales.checkout", args)?;
                Ok(t.elapsed())
            };
            let bare = || -> Result<Duration> {
                let now = bare_shop.d.now_ms();
                let t = Instant::now();
                db.write(|tx| bare_checkout(tx, &acc, &b_lines, user_id, now, n))?;
                Ok(t.elapsed())
            };
            // Each goes first every other time, so neither always meets the
            // other's write-back still in flight.
            let (d_t, b_t) = if n % 2 == 0 {
                let d = dispatcher()?;
                (d, bare()?)
            } else {
                let b = bare()?;
                (dispatcher()?, b)
            };
            if n >= warmup as u64 {
                d_lat.push(d_t);
                b_lat.push(b_t);
            }
        }
        rows.push(ConfirmRow {
            synchronous: sync,
            statement_cache: cache,
            ops,
            dispatcher: d_lat.iter().sum(),
            bare: b_lat.iter().sum(),
            dispatcher_p50: p50(d_lat),
            bare_p50: p50(b_lat),
        });
    }
    Ok(ConfirmReport { rows })
}

// ---------------------------------------------------------------------------
// bench tills
// ---------------------------------------------------------------------------

pub struct TillsReport {
    pub tills: usize,
    pub seconds: u64,
    pub synchronous: Synchronous,
    pub confirms: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub busy: usize,
    pub other_errors: usize,
    pub first_error: Option<String>,
}

impl TillsReport {
    pub fn table(&self) -> String {
        format!(
            "| tills | synchronous | seconds | confirms | confirms/s | p50 ms | p99 ms | max ms | busy errors | other errors |\n|---|---|---|---|---|---|---|---|---|---|\n| {} | {:?} | {} | {} | {} | {} | {} | {} | {} | {} |\n{}",
            self.tills,
            self.synchronous,
            self.seconds,
            self.confirms,
            per_second(self.confirms, self.elapsed),
            ms_2(self.p50),
            ms_2(self.p99),
            ms_2(self.max),
            self.busy,
            self.other_errors,
            self.first_error
                .as_ref()
                .map(|e| format!("\nfirst error: {e}\n"))
                .unwrap_or_default()
        )
    }
}

/// What one till thread saw.
struct TillRun {
    lat: Vec<Duration>,
    busy: usize,
    other: usize,
    first: Option<String>,
    elapsed: Duration,
}

/// Milliseconds with two decimals.
fn ms_2(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{:02}", us / 1000, us % 1000 / 10)
}

/// `tills` threads, each a till with its own `Db` handle (its own writer
/// connection and FIFO gate, as a separate app process has) on one file, each
/// logged in as its own cashier, confirming sales for `seconds`.
pub fn tills(dir: &Path, tills: usize, seconds: u64, sync: Synchronous) -> Result<TillsReport> {
    let path = dir.join("tills.db");
    let mut shop = new_shop(&path, opts_with(sync), SHOP_PRODUCTS)?;
    let mut names = Vec::new();
    for i in 0..tills {
        let name = format!("till{i}");
        shop.d.dispatch(
            &mut shop.owner,
            "users.create",
            json!({
                "idempotency_key": format!("bench-till-user-{i}"),
                "username": name,
                "display_name": format!("Till {i}"),
                "role": "cashier",
                "password": BENCH_PASSWORD,
            }),
        )?;
        names.push(name);
    }
    let products = shop.products.clone();
    let barrier = Arc::new(Barrier::new(tills));
    let mut handles = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let (path, products, barrier) = (path.clone(), products.clone(), barrier.clone());
        handles.push(std::thread::spawn(move || -> Result<TillRun> {
            let d = Dispatcher::new(open_db(&path, opts_with(sync))?, Arc::new(SystemClock));
            let mut session = login(&d, &name, BENCH_PASSWORD)?;
            let mut rng = fastrand::Rng::with_seed(100 + i as u64);
            let (mut lat, mut busy, mut other, mut first) = (Vec::new(), 0, 0, None);
            barrier.wait();
            let started = Instant::now();
            let deadline = started + Duration::from_secs(seconds);
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let args = checkout_args(n, &format!("till{i}"), &pick_lines(&mut rng, &products));
                let t = Instant::now();
                match d.dispatch(&mut session, "sales.checkout", args) {
                    Ok(_) => lat.push(t.elapsed()),
                    Err(Error::Busy { .. }) => busy += 1,
                    Err(e) => {
                        other += 1;
                        first.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            Ok(TillRun {
                lat,
                busy,
                other,
                first,
                elapsed: started.elapsed(),
            })
        }));
    }
    let (mut lat, mut busy, mut other, mut first, mut elapsed) =
        (Vec::new(), 0, 0, None, Duration::ZERO);
    for h in handles {
        let run = h
            .join()
            .map_err(|_| Error::internal("a till thread panicked"))??;
        lat.extend(run.lat);
        busy += run.busy;
        other += run.other;
        if first.is_none() {
            first = run.first;
        }
        elapsed = elapsed.max(run.elapsed);
    }
    lat.sort_unstable();
    let at = |p: usize| {
        lat.get((lat.len() * p / 100).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(TillsReport {
        tills,
        seconds,
        synchronous: sync,
        confirms: lat.len(),
        elapsed,
        p50: at(50),
        p99: at(99),
        max: lat.last().copied().unwrap_or_default(),
        busy,
        other_errors: other,
        first_error: first,
    })
}

// ---------------------------------------------------------------------------
// A file of realistic size: many orders, written in bulk (bench cold-start,
// bench reports)
// ---------------------------------------------------------------------------

pub struct BuildInfo {
    pub orders: usize,
    pub lines: usize,
    pub products: usize,
    pub build: Duration,
    pub file_bytes: u64,
    /// The orders span `[from_ms, to_ms)`.
    pub from_ms: i64,
    pub to_ms: i64,
}

const BULK_PRODUCTS: usize = 2_000;
const BULK_CASHIERS: usize = 4;
const BULK_CHUNK: usize = 20_000;

/// Creates a shop at `path` (owner and cashiers through the dispatcher) and
/// writes `orders` confirmed sales over the 365 days before now straight into
/// the real schema — orders, 1–5 lines each, a payment (cash or card) and a
/// balanced journal entry each (every CHECK, trigger and foreign key runs) —
/// in transactions of 20,000 orders. The shortcut: no stock movements, batch
/// picks, audit rows, outbox rows or idempotency records for these orders,
/// so `verify` reports stock and picks as drift, and the products' batches
/// keep their received stock. The sales reports read none of those.
pub fn build_orders(path: &Path, orders: usize) -> Result<(Db, BuildInfo)> {
    let started = Instant::now();
    let shop = new_shop(path, OpenOptions::default(), 0)?;
    let mut owner = shop.owner;
    let mut cashiers = vec![owner.as_ref().map(|s| s.user_id).unwrap_or(1)];
    for i in 0..BULK_CASHIERS {
        let id = shop.d.dispatch(
            &mut owner,
            "users.create",
            json!({
                "idempotency_key": format!("bench-cashier-{i}"),
                "username": format!("cashier{i}"),
                "display_name": format!("Cashier {i}"),
                "role": "cashier",
                "password": BENCH_PASSWORD,
            }),
        )?["id"]
            .as_i64()
            .ok_or_else(|| Error::internal("users.create returned no id"))?;
        cashiers.push(id);
    }
    let db = shop.d.db().clone();
    let to_ms = shop.d.now_ms();
    let from_ms = to_ms - 365 * DAY_MS;
    let mut rng = fastrand::Rng::with_seed(2026);
    // Products, each with one batch of stock at 40 % of its price.
    let rates = [2000i64, 500, 0];
    let classes = ["standard", "reduced", "zero"];
    let products: Vec<(i64, i64, i64, i64)> = db.write(|tx| {
        let mut out = Vec::with_capacity(BULK_PRODUCTS);
        for i in 0..BULK_PRODUCTS {
            let price = rng.i64(50..20_000);
            let id: i64 = tx.execute_returning(
                "INSERT INTO products (sku, barcode, name, category, unit, tax_class, price_minor,
                                       created_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, 'each', ?5, ?6, ?7, ?7) RETURNING id",
                rusqlite::params![
                    format!("SKU{i:07}"),
                    barcode_of(i),
                    name_of(&mut rng),
                    CATEGORIES[i % CATEGORIES.len()],
                    classes[i % 3],
                    price,
                    from_ms
                ],
                |r| r.get(0),
            )?;
            let batch: i64 = tx.execute_returning(
                "INSERT INTO batches (product_id, lot_code, unit_cost_minor, received_quantity,
                                      received_at_ms)
                 VALUES (?1, 'BULK', ?2, 1000000000, ?3) RETURNING id",
                rusqlite::params![id, price * 2 / 5, from_ms],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO stock_movements (batch_id, kind, quantity, reason, at_ms)
                 VALUES (?1, 'receive', 1000000000, 'bulk benchmark stock', ?2)",
                rusqlite::params![batch, from_ms],
            )?;
            out.push((id, price, price * 2 / 5, rates[i % 3]));
        }
        Ok(out)
    })?;
    let acc = db.read(accounts)?;
    let card: i64 = db.read(|c| {
        Ok(c.cached_row(
            "SELECT id FROM accounts WHERE code = ?1",
            [codes::CARD_CLEARING],
            |r| r.get(0),
        )?)
    })?;
    let first_entry: i64 = db.read(|c| {
        Ok(c.cached_row(
            "SELECT coalesce(max(id), 0) + 1 FROM journal_entries",
            [],
            |r| r.get(0),
        )?)
    })?;
    let mut lines_written = 0usize;
    let mut done = 0usize;
    let span = to_ms - from_ms;
    while done < orders {
        let end = (done + BULK_CHUNK).min(orders);
        lines_written += db.write(|tx| {
            let mut lines_here = 0usize;
            for i in done..end {
                let order_id = i as i64 + 1;
                let entry = first_entry + i as i64;
                let at = from_ms + (span as i128 * i as i128 / orders.max(1) as i128) as i64;
                let cashier = cashiers[rng.usize(..cashiers.len())];
                let n_lines = rng.usize(1..=5);
                let (mut net, mut tax, mut cost) = (0i64, 0i64, 0i64);
                let mut used: Vec<usize> = Vec::with_capacity(n_lines);
                while used.len() < n_lines {
                    let p = rng.usize(..products.len());
                    if !used.contains(&p) {
                        used.push(p);
                    }
                }
                for (ln, p) in used.iter().enumerate() {
                    let (pid, price, unit_cost, rate) = products[*p];
                    let q = rng.i64(1..=3);
                    let gross = price * q;
                    let t = tax_of(gross, rate);
                    net += gross;
                    tax += t;
                    cost += unit_cost * q;
                    tx.execute(
                        "INSERT INTO order_lines (order_id, line_no, product_id, quantity,
                                                  list_price_minor, unit_price_minor, gross_minor,
                                                  discount_minor, tax_rate_bp, net_minor,
                                                  tax_minor, total_minor, cost_minor)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 0, ?7, ?6, ?8, ?9, ?10)",
                        rusqlite::params![
                            order_id,
                            ln as i64 + 1,
                            pid,
                            q,
                            price,
                            gross,
                            rate,
                            t,
                            gross + t,
                            unit_cost * q
                        ],
                    )?;
                }
                lines_here += n_lines;
                let total = net + tax;
                let by_card = rng.u8(..10) < 4;
                tx.execute(
                    "INSERT INTO payments (order_id, tender, amount_minor, tendered_minor,
                                           change_minor, reference, created_at_ms)
                     VALUES (?1, ?2, ?3, ?3, 0, ?4, ?5)",
                    rusqlite::params![
                        order_id,
                        if by_card { "card" } else { "cash" },
                        total,
                        by_card.then(|| format!("T{order_id}")),
                        at
                    ],
                )?;
                for (account, debit, credit) in [
                    (if by_card { card } else { acc.cash }, total, 0),
                    (acc.revenue, 0, net),
                    (acc.tax, 0, tax),
                    (acc.cogs, cost, 0),
                    (acc.inventory, 0, cost),
                ] {
                    if debit + credit > 0 {
                        tx.execute(
                            "INSERT INTO journal_lines (entry_id, account_id, debit_minor,
                                                        credit_minor)
                             VALUES (?1, ?2, ?3, ?4)",
                            rusqlite::params![entry, account, debit, credit],
                        )?;
                    }
                }
                tx.execute(
                    "INSERT INTO journal_entries (id, posted_at_ms, memo, source_type, source_id,
                                                  user_id, total_minor)
                     VALUES (?1, ?2, 'Sale', 'order', ?3, ?4, ?5)",
                    rusqlite::params![entry, at, order_id, cashier, total + cost],
                )?;
                tx.execute(
                    "INSERT INTO orders (id, number, receipt_number, status, customer_id,
                                         cashier_id, prices_include_tax, line_count,
                                         discount_minor, net_minor, tax_minor, total_minor,
                                         cost_minor, change_minor, entry_id, created_at_ms)
                     VALUES (?1, ?1, ?1, 'confirmed', NULL, ?2, 0, ?3, 0, ?4, ?5, ?6, ?7, 0, ?8, ?9)",
                    rusqlite::params![
                        order_id,
                        cashier,
                        n_lines as i64,
                        net,
                        tax,
                        total,
                        cost,
                        entry,
                        at
                    ],
                )?;
            }
            Ok(lines_here)
        })?;
        done = end;
    }
    let last_entry = first_entry + orders as i64 - 1;
    db.write(|tx| {
        for (name, value) in [
            (tillbook_core::sales::ORDER_COUNTER, orders as i64),
            (tillbook_core::sales::RECEIPT_COUNTER, orders as i64),
            (
                tillbook_core::ledger::ENTRY_COUNTER,
                last_entry.max(first_entry - 1),
            ),
        ] {
            tx.execute(
                "INSERT INTO counters (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                rusqlite::params![name, value],
            )?;
        }
        tx.conn().execute_batch("ANALYZE")?;
        Ok(())
    })?;
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok((
        db,
        BuildInfo {
            orders,
            lines: lines_written,
            products: BULK_PRODUCTS,
            build: started.elapsed(),
            file_bytes,
            from_ms,
            to_ms: to_ms + 1,
        },
    ))
}

// ---------------------------------------------------------------------------
// bench cold-start (T32)
// ---------------------------------------------------------------------------

/// One start, phase by phase.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    /// `Db::open`: location check, WAL, quick_check, migrations check,
    /// foreign-key check, pragmas, the read pool.
    pub open: Duration,
    /// `setup.status`, the first command the window sends.
    pub status: Duration,
    /// `auth.login` (Argon2id at the real cost).
    pub login: Duration,
    /// The first signed-in read: `sales.list`, the till's recent sales.
    pub first_read: Duration,
}

impl Phases {
    pub fn total(&self) -> Duration {
        self.open + self.status + self.login + self.first_read
    }

    /// One line a parent process can read back: microseconds of each phase.
    pub fn line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.open.as_micros(),
            self.status.as_micros(),
            self.login.as_micros(),
            self.first_read.as_micros()
        )
    }

    pub fn parse(line: &str) -> Option<Phases> {
        let v: Vec<u64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .ok()?;
        match v[..] {
            [a, b, c, d] => Some(Phases {
                open: Duration::from_micros(a),
                status: Duration::from_micros(b),
                login: Duration::from_micros(c),
                first_read: Duration::from_micros(d),
            }),
            _ => None,
        }
    }
}

/// Opens an existing file as the app does and runs its first commands.
pub fn cold_start_once(path: &Path) -> Result<Phases> {
    if !path.exists() {
        return Err(Error::validation(
            "path",
            format!("{} does not exist", path.display()),
        ));
    }
    let t = Instant::now();
    let db = open_db(path, OpenOptions::default())?;
    let open = t.elapsed();
    let d = Dispatcher::new(db, Arc::new(SystemClock));
    let mut session = None;
    let t = Instant::now();
    let status = d.dispatch(&mut session, "setup.status", json!({}))?;
    let status_t = t.elapsed();
    if status.is_null() {
        return Err(Error::internal("setup.status answered nothing"));
    }
    let t = Instant::now();
    let mut session = login(&d, BENCH_OWNER, BENCH_PASSWORD)?;
    let login_t = t.elapsed();
    let t = Instant::now();
    d.dispatch(&mut session, "sales.list", json!({ "limit": 20 }))?;
    Ok(Phases {
        open,
        status: status_t,
        login: login_t,
        first_read: t.elapsed(),
    })
}

type PhaseColumn = (&'static str, fn(&Phases) -> Duration);

/// p50 and max of each phase and of the total over several starts.
pub fn phases_table(title: &str, runs: &[Phases]) -> String {
    let mut s = format!(
        "{title} ({} runs)\n\n| phase | p50 ms | max ms |\n|---|---|---|\n",
        runs.len()
    );
    let cols: [PhaseColumn; 5] = [
        ("open (checks, migrations, pool)", |p| p.open),
        ("setup.status", |p| p.status),
        ("auth.login", |p| p.login),
        ("first read (sales.list)", |p| p.first_read),
        ("total", Phases::total),
    ];
    for (name, f) in cols {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort_unstable();
        s.push_str(&format!(
            "| {name} | {} | {} |\n",
            ms_2(v.get(v.len() / 2).copied().unwrap_or_default()),
            ms_2(v.last().copied().unwrap_or_default())
        ));
    }
    s
}

// ---------------------------------------------------------------------------
// bench reports (T33)
// ---------------------------------------------------------------------------

/// Resident memory figures from /proc/self/status, in KiB (0 where unknown).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the peak (VmHWM) to the current RSS, so the next reading is the
/// peak of what runs in between.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub struct ReportMeasure {
    pub name: String,
    pub time: Duration,
    pub rows: u64,
    pub rss_before_kib: u64,
    pub peak_kib: u64,
}

pub struct ReportsRun {
    pub info: BuildInfo,
    pub build_peak_kib: u64,
    pub csv_bytes: u64,
    pub measures: Vec<ReportMeasure>,
}

pub struct ReportsBench {
    pub runs: Vec<ReportsRun>,
}

fn measure(
    name: &str,
    f: impl FnOnce() -> Result<u64>,
    out: &mut Vec<ReportMeasure>,
) -> Result<()> {
    reset_peak();
    let rss_before_kib = status_kib("VmRSS:");
    let t = Instant::now();
    let rows = f()?;
    let time = t.elapsed();
    out.push(ReportMeasure {
        name: name.to_string(),
        time,
        rows,
        rss_before_kib,
        peak_kib: status_kib("VmHWM:"),
    });
    Ok(())
}

fn report_rows(v: &Value) -> u64 {
    v["rows"].as_array().map_or(0, |a| a.len() as u64)
}

/// Builds a file of `orders` orders, then times the reports and the export on it.
fn reports_run(dir: &Path, orders: usize) -> Result<ReportsRun> {
    let path = dir.join(format!("reports-{orders}.db"));
    reset_peak();
    let (db, info) = build_orders(&path, orders)?;
    let build_peak_kib = status_kib("VmHWM:");
    drop(db);
    // A fresh handle, as the app after a restart: nothing of the build cached
    // in this process (the OS page cache stays warm).
    let d = Dispatcher::new(
        open_db(&path, OpenOptions::default())?,
        Arc::new(SystemClock),
    );
    let mut owner = login(&d, BENCH_OWNER, BENCH_PASSWORD)?;
    let range = |group_by: GroupBy, limit: Option<u32>| {
        serde_json::to_value(SalesReportRequest {
            from_ms: info.from_ms,
            to_ms: info.to_ms,
            group_by,
            tz_offset_minutes: 60,
            limit,
        })
    };
    let mut measures = Vec::new();
    for (name, g, limit) in [
        ("reports.sales by day", GroupBy::Day, None),
        (
            "reports.sales by product (limit 100)",
            GroupBy::Product,
            Some(100),
        ),
        ("reports.sales by cashier", GroupBy::Cashier, None),
        ("reports.sales by tender", GroupBy::Tender, None),
    ] {
        let args = range(g, limit)?;
        measure(
            name,
            || {
                Ok(report_rows(&d.dispatch(
                    &mut owner,
                    "reports.sales",
                    args,
                )?))
            },
            &mut measures,
        )?;
    }
    measure(
        "reports.stock_valuation (first page of 200)",
        || {
            Ok(report_rows(&d.dispatch(
                &mut owner,
                "reports.stock_valuation",
                json!({ "limit": 200 }),
            )?))
        },
        &mut measures,
    )?;
    let csv = dir.join(format!("sales-{orders}.csv"));
    measure(
        "CSV export of every order line (to a file)",
        || {
            let file = std::fs::File::create(&csv)
                .map_err(|e| Error::internal(format!("creating {}: {e}", csv.display())))?;
            let mut out = std::io::BufWriter::new(file);
            d.db()
                .read(|c| reports::export_sales_csv(c, info.from_ms, info.to_ms, &mut out))
        },
        &mut measures,
    )?;
    let csv_bytes = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&csv);
    Ok(ReportsRun {
        info,
        build_peak_kib,
        csv_bytes,
        measures,
    })
}

/// The reports over a `baseline`-order file and an `orders`-order file, in
/// one invocation, so the ratios compare like with like.
pub fn reports(dir: &Path, orders: usize, baseline: usize) -> Result<ReportsBench> {
    let mut runs = Vec::new();
    for n in [baseline, orders] {
        runs.push(reports_run(dir, n)?);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!(
                "{}{suffix}",
                dir.join(format!("reports-{n}.db")).display()
            ));
        }
    }
    Ok(ReportsBench { runs })
}

fn mib(kib: u64) -> u64 {
    kib / 1024
}

impl ReportsBench {
    pub fn table(&self) -> String {
        let mut s = String::new();
        for r in &self.runs {
            s.push_str(&format!(
                "{} orders ({} lines, {} products) built in {} s, {} MiB file, peak RSS while building {} MiB; CSV {} MiB\n",
                r.info.orders,
                r.info.lines,
                r.info.products,
                r.info.build.as_secs(),
                r.info.file_bytes / (1024 * 1024),
                mib(r.build_peak_kib),
                r.csv_bytes / (1024 * 1024)
            ));
        }
        let (Some(base), Some(big)) = (self.runs.first(), self.runs.last()) else {
            return s;
        };
        s.push_str(&format!(
            "\n| measure | rows | {b} orders ms | {n} orders ms | time ratio | RSS before (MiB) | peak RSS {b} (MiB) | peak RSS {n} (MiB) |\n|---|---|---|---|---|---|---|---|\n",
            b = base.info.orders,
            n = big.info.orders
        ));
        for (m0, m1) in base.measures.iter().zip(&big.measures) {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                m1.name,
                m1.rows,
                m0.time.as_millis(),
                m1.time.as_millis(),
                ratio(m1.time.as_micros(), m0.time.as_micros()),
                mib(m1.rss_before_kib),
                mib(m0.peak_kib),
                mib(m1.peak_kib)
            ));
        }
        s
    }
}
