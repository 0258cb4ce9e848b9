//! A file of realistic size for `bench cold-start` and `bench reports`: a shop
//! set up through the dispatcher, then many orders written in bulk straight
//! into the real schema.

use crate::shop::{
    account_id, accounts, barcode_of, name_of, new_shop, tax_of, Accounts, Totals, BENCH_PASSWORD,
    CATEGORIES,
};
use serde_json::json;
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};
use tillbook_core::db::{CachedRow, Db, OpenOptions, Tx};
use tillbook_core::error::{Error, Result};
use tillbook_core::ledger::codes;
use tillbook_core::reports::DAY_MS;
use tillbook_core::{Dispatcher, Session};

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
/// Orders per transaction.
const BULK_CHUNK_ORDERS: usize = 20_000;
/// Lines of an order, at the most.
const MAX_ORDER_LINES: usize = 5;

/// A product as the bulk orders sell it.
#[derive(Clone, Copy)]
struct BulkProduct {
    id: i64,
    price: i64,
    unit_cost: i64,
    rate_bp: i64,
}

/// What every bulk order draws from: the products, who sells, the accounts,
/// the first journal entry's id and the span the orders are spread over.
struct Plan {
    orders: usize,
    products: Vec<BulkProduct>,
    cashiers: Vec<i64>,
    acc: Accounts,
    card: i64,
    first_entry: i64,
    from_ms: i64,
    span_ms: i64,
}

/// One bulk order: its ids, its time and who sold it.
struct BulkOrder {
    order_id: i64,
    entry: i64,
    at_ms: i64,
    cashier: i64,
}

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
    let cashiers = create_cashiers(&shop.d, shop.owner)?;
    let db = shop.d.db().clone();
    let to_ms = shop.d.now_ms();
    let from_ms = to_ms - 365 * DAY_MS;
    let mut rng = fastrand::Rng::with_seed(2026);
    let products = insert_products(&db, &mut rng, from_ms)?;
    let plan = Plan {
        orders,
        products,
        cashiers,
        acc: db.read(accounts)?,
        card: db.read(|c| account_id(c, codes::CARD_CLEARING))?,
        first_entry: db.read(|c| {
            Ok(c.cached_row(
                "SELECT coalesce(max(id), 0) + 1 FROM journal_entries",
                [],
                |r| r.get(0),
            )?)
        })?,
        from_ms,
        span_ms: to_ms - from_ms,
    };
    let mut lines_written = 0usize;
    let mut done = 0usize;
    while done < orders {
        let end = (done + BULK_CHUNK_ORDERS).min(orders);
        lines_written += db.write(|tx| write_orders(tx, &plan, &mut rng, done..end))?;
        done = end;
    }
    set_counters(&db, orders, plan.first_entry)?;
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

/// The owner's user id and the cashiers', in the order they are drawn from.
fn create_cashiers(d: &Dispatcher, mut owner: Option<Session>) -> Result<Vec<i64>> {
    let mut cashiers = vec![owner.as_ref().map(|s| s.user_id).unwrap_or(1)];
    for i in 0..BULK_CASHIERS {
        let id = d.dispatch(
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
    Ok(cashiers)
}

/// Products, a third each at 20 %, 5 % and 0 % tax, each with one batch of
/// stock at 40 % of its price.
fn insert_products(db: &Db, rng: &mut fastrand::Rng, from_ms: i64) -> Result<Vec<BulkProduct>> {
    let rates = [2000i64, 500, 0];
    let classes = ["standard", "reduced", "zero"];
    db.write(|tx| {
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
                    name_of(rng),
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
            out.push(BulkProduct {
                id,
                price,
                unit_cost: price * 2 / 5,
                rate_bp: rates[i % 3],
            });
        }
        Ok(out)
    })
}

/// Orders number `range` (0-based), in one transaction; returns the lines written.
fn write_orders(
    tx: &Tx<'_>,
    plan: &Plan,
    rng: &mut fastrand::Rng,
    range: Range<usize>,
) -> Result<usize> {
    let mut lines_here = 0usize;
    for i in range {
        lines_here += write_order(tx, plan, rng, i)?;
    }
    Ok(lines_here)
}

/// The `i`th order (0-based) with its lines, payment and journal entry;
/// returns its number of lines.
fn write_order(tx: &Tx<'_>, plan: &Plan, rng: &mut fastrand::Rng, i: usize) -> Result<usize> {
    let order = BulkOrder {
        order_id: i as i64 + 1,
        entry: plan.first_entry + i as i64,
        at_ms: plan.from_ms
            + (plan.span_ms as i128 * i as i128 / plan.orders.max(1) as i128) as i64,
        cashier: plan.cashiers[rng.usize(..plan.cashiers.len())],
    };
    let n_lines = rng.usize(1..=MAX_ORDER_LINES);
    let mut used: Vec<usize> = Vec::with_capacity(n_lines);
    while used.len() < n_lines {
        let p = rng.usize(..plan.products.len());
        if !used.contains(&p) {
            used.push(p);
        }
    }
    let totals = write_lines(tx, plan, rng, &order, &used)?;
    let by_card = rng.u8(..10) < 4;
    write_payment(tx, &order, &totals, by_card)?;
    write_entry(tx, plan, &order, &totals, by_card)?;
    tx.execute(
        "INSERT INTO orders (id, number, receipt_number, status, customer_id,
                             cashier_id, prices_include_tax, line_count,
                             discount_minor, net_minor, tax_minor, total_minor,
                             cost_minor, change_minor, entry_id, created_at_ms)
         VALUES (?1, ?1, ?1, 'confirmed', NULL, ?2, 0, ?3, 0, ?4, ?5, ?6, ?7, 0, ?8, ?9)",
        rusqlite::params![
            order.order_id,
            order.cashier,
            n_lines as i64,
            totals.net,
            totals.tax,
            totals.total(),
            totals.cost,
            order.entry,
            order.at_ms
        ],
    )?;
    Ok(n_lines)
}

/// One line per product in `used` (indexes into the plan's products), 1–3
/// units each, tax rounded per line.
fn write_lines(
    tx: &Tx<'_>,
    plan: &Plan,
    rng: &mut fastrand::Rng,
    order: &BulkOrder,
    used: &[usize],
) -> Result<Totals> {
    let mut totals = Totals::default();
    for (ln, p) in used.iter().enumerate() {
        let product = plan.products[*p];
        let q = rng.i64(1..=3);
        let gross = product.price * q;
        let t = tax_of(gross, product.rate_bp);
        totals.net += gross;
        totals.tax += t;
        totals.cost += product.unit_cost * q;
        tx.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity,
                                      list_price_minor, unit_price_minor, gross_minor,
                                      discount_minor, tax_rate_bp, net_minor,
                                      tax_minor, total_minor, cost_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 0, ?7, ?6, ?8, ?9, ?10)",
            rusqlite::params![
                order.order_id,
                ln as i64 + 1,
                product.id,
                q,
                product.price,
                gross,
                product.rate_bp,
                t,
                gross + t,
                product.unit_cost * q
            ],
        )?;
    }
    Ok(totals)
}

/// The whole total by card (with a terminal reference) or in cash, no change.
fn write_payment(tx: &Tx<'_>, order: &BulkOrder, totals: &Totals, by_card: bool) -> Result<()> {
    tx.execute(
        "INSERT INTO payments (order_id, tender, amount_minor, tendered_minor,
                               change_minor, reference, created_at_ms)
         VALUES (?1, ?2, ?3, ?3, 0, ?4, ?5)",
        rusqlite::params![
            order.order_id,
            if by_card { "card" } else { "cash" },
            totals.total(),
            by_card.then(|| format!("T{}", order.order_id)),
            order.at_ms
        ],
    )?;
    Ok(())
}

/// The order's balanced entry: its non-zero lines, then the header whose
/// trigger checks the balance.
fn write_entry(
    tx: &Tx<'_>,
    plan: &Plan,
    order: &BulkOrder,
    totals: &Totals,
    by_card: bool,
) -> Result<()> {
    let total = totals.total();
    let acc = &plan.acc;
    for (account, debit, credit) in [
        (if by_card { plan.card } else { acc.cash }, total, 0),
        (acc.revenue, 0, totals.net),
        (acc.tax, 0, totals.tax),
        (acc.cogs, totals.cost, 0),
        (acc.inventory, 0, totals.cost),
    ] {
        if debit + credit > 0 {
            tx.execute(
                "INSERT INTO journal_lines (entry_id, account_id, debit_minor,
                                            credit_minor)
                 VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![order.entry, account, debit, credit],
            )?;
        }
    }
    tx.execute(
        "INSERT INTO journal_entries (id, posted_at_ms, memo, source_type, source_id,
                                      user_id, total_minor)
         VALUES (?1, ?2, 'Sale', 'order', ?3, ?4, ?5)",
        rusqlite::params![
            order.entry,
            order.at_ms,
            order.order_id,
            order.cashier,
            total + totals.cost
        ],
    )?;
    Ok(())
}

/// The counters as if the orders and entries had been numbered one by one,
/// then planner statistics for the reports.
fn set_counters(db: &Db, orders: usize, first_entry: i64) -> Result<()> {
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
    })
}
