//! `tillbook bench confirm`: `sales.checkout` through the dispatcher against
//! the same rows written as plain statements in one `Db::write` transaction
//! (the baseline), at each durability level.

use crate::shop::{
    accounts, checkout_args, new_shop, opts_with, pick_lines, tax_of, Accounts, Stocked, Totals,
    SHOP_PRODUCTS,
};
use crate::stats::{per_second, percentile, ratio};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use tillbook_core::db::rows::next_number;
use tillbook_core::db::{Db, Synchronous, Tx};
use tillbook_core::error::{Error, Result};

/// Checkouts of each side before the timed ones.
const WARMUP_CHECKOUTS: usize = 50;
const RUSQLITE_DEFAULT_CACHE: usize = 16;
/// The bench shops sell at the standard rate only.
const TAX_RATE_BP: i64 = 2000;

pub struct ConfirmRow {
    pub synchronous: Synchronous,
    /// The connections' prepared-statement cache, when set back to rusqlite's
    /// default of 16: the diagnostic variant showing what a checkout costs
    /// when its statements do not fit the cache (`db/open.rs` sizes it).
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

/// What a bare checkout knows before it writes a row: the lines, who sells
/// and when, and the numbers it has drawn.
struct BareSale<'a> {
    lines: &'a [(Stocked, i64)],
    user_id: i64,
    now_ms: i64,
    order_id: i64,
    number: i64,
    receipt: i64,
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
    now_ms: i64,
    n: u64,
) -> Result<()> {
    let sale = draw_numbers(tx, lines, user_id, now_ms)?;
    let totals = insert_lines(tx, &sale)?;
    insert_payment(tx, &sale, &totals)?;
    let entry = post_entry(tx, acc, &sale, &totals)?;
    insert_order(tx, &sale, &totals, entry)?;
    insert_audit(tx, &sale, &totals, entry, n)?;
    insert_outbox(tx, &sale, &totals)
}

/// The order's id and its two gapless numbers (the counters' updates).
fn draw_numbers<'a>(
    tx: &Tx<'_>,
    lines: &'a [(Stocked, i64)],
    user_id: i64,
    now_ms: i64,
) -> Result<BareSale<'a>> {
    let order_id: i64 = tx
        .conn()
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM orders")?
        .query_row([], |r| r.get(0))?;
    let number = next_number(tx, tillbook_core::sales::ORDER_COUNTER)?;
    let receipt = next_number(tx, tillbook_core::sales::RECEIPT_COUNTER)?;
    Ok(BareSale {
        lines,
        user_id,
        now_ms,
        order_id,
        number,
        receipt,
    })
}

/// Each line with its `sale` movement (whose trigger updates the batch) and
/// its batch pick, in line order.
fn insert_lines(tx: &Tx<'_>, sale: &BareSale<'_>) -> Result<Totals> {
    let reason = format!("sale, order {}", sale.number);
    let mut totals = Totals::default();
    for (i, (p, q)) in sale.lines.iter().enumerate() {
        let gross = p.price * q;
        let t = tax_of(gross, TAX_RATE_BP);
        let line_cost = p.cost * q;
        totals.net += gross;
        totals.tax += t;
        totals.cost += line_cost;
        let line_id: i64 = tx.execute_returning(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, list_price_minor,
                                      unit_price_minor, gross_minor, discount_minor, tax_rate_bp,
                                      net_minor, tax_minor, total_minor, cost_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 0, 2000, ?6, ?7, ?8, ?9) RETURNING id",
            rusqlite::params![
                sale.order_id,
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
            rusqlite::params![
                p.batch,
                -q,
                reason,
                sale.user_id,
                sale.order_id.to_string(),
                sale.now_ms
            ],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO order_line_batches (line_id, batch_id, movement_id, quantity, unit_cost_minor)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![line_id, p.batch, movement, q, p.cost],
        )?;
    }
    Ok(totals)
}

/// The whole total in cash, no change.
fn insert_payment(tx: &Tx<'_>, sale: &BareSale<'_>, totals: &Totals) -> Result<()> {
    tx.execute(
        "INSERT INTO payments (order_id, tender, amount_minor, tendered_minor, change_minor,
                               created_at_ms)
         VALUES (?1, 'cash', ?2, ?2, 0, ?3)",
        rusqlite::params![sale.order_id, totals.total(), sale.now_ms],
    )?;
    Ok(())
}

/// The sale's balanced journal entry: its lines first, then the header whose
/// trigger checks the balance. Returns the entry's id.
fn post_entry(tx: &Tx<'_>, acc: &Accounts, sale: &BareSale<'_>, totals: &Totals) -> Result<i64> {
    let entry = next_number(tx, tillbook_core::ledger::ENTRY_COUNTER)?;
    let total = totals.total();
    for (account, debit, credit) in [
        (acc.cash, total, 0),
        (acc.revenue, 0, totals.net),
        (acc.tax, 0, totals.tax),
        (acc.cogs, totals.cost, 0),
        (acc.inventory, 0, totals.cost),
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
            sale.now_ms,
            format!("Sale, order {}", sale.number),
            sale.order_id,
            sale.user_id,
            total + totals.cost
        ],
    )?;
    Ok(entry)
}

fn insert_order(tx: &Tx<'_>, sale: &BareSale<'_>, totals: &Totals, entry: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO orders (id, number, receipt_number, status, customer_id, cashier_id,
                             prices_include_tax, line_count, discount_minor, net_minor, tax_minor,
                             total_minor, cost_minor, change_minor, entry_id, created_at_ms)
         VALUES (?1, ?2, ?3, 'confirmed', NULL, ?4, 0, ?5, 0, ?6, ?7, ?8, ?9, 0, ?10, ?11)",
        rusqlite::params![
            sale.order_id,
            sale.number,
            sale.receipt,
            sale.user_id,
            sale.lines.len() as i64,
            totals.net,
            totals.tax,
            totals.total(),
            totals.cost,
            entry,
            sale.now_ms
        ],
    )?;
    Ok(())
}

/// The audit row with the dispatcher's summary; `n` makes its hash unique.
fn insert_audit(
    tx: &Tx<'_>,
    sale: &BareSale<'_>,
    totals: &Totals,
    entry: i64,
    n: u64,
) -> Result<()> {
    let total = totals.total();
    // Distinct 64-hex-digit values: the bare path does not chain hashes.
    let hash = format!("{:064x}", u128::from(n) + (1u128 << 100));
    tx.execute(
        "INSERT INTO audit_log (at_ms, user_id, username, command, entity, entity_id, summary,
                                result, prev_hash, hash)
         VALUES (?1, ?2, 'owner', 'sales.checkout', 'order', ?3, ?4, 'ok', ?5, ?6)",
        rusqlite::params![
            sale.now_ms,
            sale.user_id,
            sale.order_id.to_string(),
            json!({
                "number": sale.number,
                "receipt_number": sale.receipt,
                "customer_id": null,
                "lines": sale.lines.len(),
                "total_minor": total,
                "tax_minor": totals.tax,
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
    Ok(())
}

fn insert_outbox(tx: &Tx<'_>, sale: &BareSale<'_>, totals: &Totals) -> Result<()> {
    // The core's own emit: the same row and the same chain link as the dispatcher writes.
    tillbook_core::records::outbox::emit(
        tx,
        "sale.confirmed",
        "order",
        &sale.order_id.to_string(),
        &json!({
            "number": sale.number,
            "receipt_number": sale.receipt,
            "customer_id": null,
            "total_minor": totals.total(),
            "tax_minor": totals.tax,
            "created_at_ms": sale.now_ms,
        }),
        sale.now_ms,
    )?;
    Ok(())
}

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

/// `sales.checkout` through the dispatcher against the same rows written as
/// plain statements in one `Db::write` transaction, at each durability level.
pub fn confirm(dir: &Path, ops: usize) -> Result<ConfirmReport> {
    let mut rows = Vec::new();
    for (sync, cache) in [
        (Synchronous::Full, None),
        (Synchronous::Normal, None),
        (Synchronous::Full, Some(RUSQLITE_DEFAULT_CACHE)),
        (Synchronous::Normal, Some(RUSQLITE_DEFAULT_CACHE)),
    ] {
        rows.push(confirm_mode(dir, ops, sync, cache)?);
    }
    Ok(ConfirmReport { rows })
}

/// One row of the table: two new shops, one per side, selling in turn.
fn confirm_mode(
    dir: &Path,
    ops: usize,
    sync: Synchronous,
    cache: Option<usize>,
) -> Result<ConfirmRow> {
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
    for n in 0..(WARMUP_CHECKOUTS + ops) as u64 {
        let d_lines = pick_lines(&mut rng, &shop.products);
        let b_lines = pick_lines(&mut rng, &bare_shop.products);
        let mut dispatcher = || -> Result<Duration> {
            let args = checkout_args(n, &tag, &d_lines);
            let t = Instant::now();
            shop.d.dispatch(&mut shop.owner, "sales.checkout", args)?;
            Ok(t.elapsed())
        };
        let bare = || -> Result<Duration> {
            let now_ms = bare_shop.d.now_ms();
            let t = Instant::now();
            db.write(|tx| bare_checkout(tx, &acc, &b_lines, user_id, now_ms, n))?;
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
        if n >= WARMUP_CHECKOUTS as u64 {
            d_lat.push(d_t);
            b_lat.push(b_t);
        }
    }
    let (dispatcher, bare) = (d_lat.iter().sum(), b_lat.iter().sum());
    d_lat.sort_unstable();
    b_lat.sort_unstable();
    Ok(ConfirmRow {
        synchronous: sync,
        statement_cache: cache,
        ops,
        dispatcher,
        bare,
        dispatcher_p50: percentile(&d_lat, 50),
        bare_p50: percentile(&b_lat, 50),
    })
}
