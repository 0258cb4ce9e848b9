//! What every benchmark sells from: product names and barcodes drawn from
//! fixed word lists, a shop set up through the dispatcher as the till would,
//! the checkouts it confirms, and the accounts a sale posts to.

use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use tillbook_core::clock::SystemClock;
use tillbook_core::db::{CachedRow, Db, OpenOptions, Synchronous};
use tillbook_core::error::{Error, Result};
use tillbook_core::ledger::codes;
use tillbook_core::{Dispatcher, Session};

pub(crate) const ADJECTIVES: [&str; 24] = [
    "fresh", "organic", "smoked", "spicy", "sweet", "salted", "roasted", "frozen", "dried",
    "classic", "golden", "wild", "crispy", "creamy", "mild", "strong", "light", "dark", "green",
    "red", "white", "whole", "sliced", "premium",
];
pub(crate) const NOUNS: [&str; 40] = [
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
pub(crate) const CATEGORIES: [&str; 12] = [
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

pub(crate) fn name_of(rng: &mut fastrand::Rng) -> String {
    format!(
        "{} {} {}",
        ADJECTIVES[rng.usize(..ADJECTIVES.len())],
        NOUNS[rng.usize(..NOUNS.len())],
        rng.u32(1..100_000)
    )
}

pub(crate) fn barcode_of(i: usize) -> String {
    format!("{:013}", 2_000_000_000_000u64 + i as u64)
}

/// The owner of every benchmark file; the files are throwaway.
pub const BENCH_OWNER: &str = "owner";
pub const BENCH_PASSWORD: &str = "bench-owner-password";
/// Products in the shops the checkout benchmarks sell from.
pub(crate) const SHOP_PRODUCTS: usize = 50;
/// Lines of every benchmark checkout, each a distinct product.
const CHECKOUT_LINES: usize = 5;

pub(crate) fn opts_with(synchronous: Synchronous) -> OpenOptions {
    OpenOptions {
        synchronous,
        ..OpenOptions::default()
    }
}

/// Refuses a path that exists: a benchmark fills its own file from nothing.
pub(crate) fn fresh(path: &Path) -> Result<()> {
    if path.exists() {
        return Err(Error::validation(
            "path",
            format!("{} exists; the benchmark needs a new file", path.display()),
        ));
    }
    Ok(())
}

pub(crate) fn open_db(path: &Path, opts: OpenOptions) -> Result<Db> {
    Db::open(path, opts).map_err(|e| Error::internal(e.to_string()))
}

/// A product as the bare transaction needs it: id, list price, its one batch, cost.
#[derive(Clone, Copy)]
pub(crate) struct Stocked {
    pub(crate) id: i64,
    pub(crate) price: i64,
    pub(crate) batch: i64,
    pub(crate) cost: i64,
}

pub(crate) struct BenchShop {
    pub(crate) d: Dispatcher,
    pub(crate) owner: Option<Session>,
    pub(crate) products: Vec<Stocked>,
}

pub(crate) fn login(d: &Dispatcher, username: &str, password: &str) -> Result<Option<Session>> {
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
pub(crate) fn new_shop(path: &Path, opts: OpenOptions, products: usize) -> Result<BenchShop> {
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
        stocked.push(stock_product(&d, &mut owner, &mut rng, i)?);
    }
    // Cash needs an open drawer: the owner's shift is the till's one open
    // shift, so every benchmark till sells into it (till/drawer.rs).
    d.dispatch(
        &mut owner,
        "shifts.open",
        json!({ "idempotency_key": "bench-shift", "opening_float_minor": 0 }),
    )?;
    Ok(BenchShop {
        d,
        owner,
        products: stocked,
    })
}

/// The `i`th product of a bench shop and the batch it is sold from.
fn stock_product(
    d: &Dispatcher,
    owner: &mut Option<Session>,
    rng: &mut fastrand::Rng,
    i: usize,
) -> Result<Stocked> {
    let price = rng.i64(100..5_000);
    let cost = price * 2 / 5;
    let id = d.dispatch(
        owner,
        "catalog.create_product",
        json!({
            "idempotency_key": format!("bench-product-{i}"),
            "sku": format!("B{i:05}"),
            "name": name_of(rng),
            "price_minor": price,
            "tax_class": "standard",
        }),
    )?["id"]
        .as_i64()
        .ok_or_else(|| Error::internal("create_product returned no id"))?;
    let batch = d.dispatch(
        owner,
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
    Ok(Stocked {
        id,
        price,
        batch,
        cost,
    })
}

/// Five distinct products, 1–3 of each.
pub(crate) fn pick_lines(rng: &mut fastrand::Rng, products: &[Stocked]) -> Vec<(Stocked, i64)> {
    let mut lines: Vec<(Stocked, i64)> = Vec::with_capacity(CHECKOUT_LINES);
    while lines.len() < CHECKOUT_LINES.min(products.len()) {
        let p = products[rng.usize(..products.len())];
        if lines.iter().all(|(q, _)| q.id != p.id) {
            lines.push((p, rng.i64(1..=3)));
        }
    }
    lines
}

pub(crate) fn checkout_args(n: u64, tag: &str, lines: &[(Stocked, i64)]) -> Value {
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

/// Ids of the accounts a sale posts to.
pub(crate) struct Accounts {
    pub(crate) cash: i64,
    pub(crate) revenue: i64,
    pub(crate) tax: i64,
    pub(crate) cogs: i64,
    pub(crate) inventory: i64,
}

pub(crate) fn account_id(conn: &rusqlite::Connection, code: &str) -> Result<i64> {
    Ok(
        conn.cached_row("SELECT id FROM accounts WHERE code = ?1", [code], |r| {
            r.get(0)
        })?,
    )
}

pub(crate) fn accounts(conn: &rusqlite::Connection) -> Result<Accounts> {
    Ok(Accounts {
        cash: account_id(conn, codes::CASH)?,
        revenue: account_id(conn, codes::SALES_REVENUE)?,
        tax: account_id(conn, codes::TAX_PAYABLE)?,
        cogs: account_id(conn, codes::COST_OF_GOODS_SOLD)?,
        inventory: account_id(conn, codes::INVENTORY)?,
    })
}

/// `rate_bp` of `net`, rounded half away from zero (net is never negative).
pub(crate) fn tax_of(net: i64, rate_bp: i64) -> i64 {
    (net * rate_bp + 5_000) / 10_000
}

/// A sale's sums over its lines, in minor units.
#[derive(Default)]
pub(crate) struct Totals {
    pub(crate) net: i64,
    pub(crate) tax: i64,
    pub(crate) cost: i64,
}

impl Totals {
    pub(crate) fn total(&self) -> i64 {
        self.net + self.tax
    }
}
