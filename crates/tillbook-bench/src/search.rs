//! `tillbook bench search`: barcode lookup and as-you-type search over a
//! catalog of many products, through the functions the commands use.

use crate::shop::{barcode_of, fresh, name_of, open_db, ADJECTIVES, CATEGORIES, NOUNS};
use crate::stats::{max_of, percentile};
use std::path::Path;
use std::time::{Duration, Instant};
use tillbook_core::catalog::{self, SearchRequest};
use tillbook_core::db::{Db, OpenOptions};
use tillbook_core::error::Result;

/// Products per transaction while filling the catalog.
const FILL_CHUNK_ROWS: usize = 50_000;
/// Calls before the timed ones, so the caches are as warm as a running till's.
const WARMUP_CALLS: usize = 50;

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

/// Fills a new file at `path` with `products` products, then times barcode
/// lookups and as-you-type searches (`samples` of each kind) through the same
/// functions the commands use.
pub fn search(path: &Path, products: usize, samples: usize) -> Result<SearchReport> {
    fresh(path)?;
    let db = open_db(path, OpenOptions::default())?;
    let started = Instant::now();
    fill_catalog(&db, products)?;
    let build = started.elapsed();
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(SearchReport {
        products,
        build,
        file_bytes,
        rows: time_queries(&db, products, samples)?,
    })
}

/// `products` generated products through the real schema (FTS5 triggers,
/// unique indexes), then the maintenance a shop's catalog gets.
fn fill_catalog(db: &Db, products: usize) -> Result<()> {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut done = 0;
    while done < products {
        let end = (done + FILL_CHUNK_ROWS).min(products);
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
    })
}

/// A word of the names, as a shopper would type it.
fn word(q: &mut fastrand::Rng) -> &'static str {
    if q.bool() {
        NOUNS[q.usize(..NOUNS.len())]
    } else {
        ADJECTIVES[q.usize(..ADJECTIVES.len())]
    }
}

/// One row per kind of query, each on a pooled read connection as a command's.
fn time_queries(db: &Db, products: usize, samples: usize) -> Result<Vec<Measure>> {
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
    Ok(rows)
}

fn time(name: &str, samples: usize, mut f: impl FnMut(usize) -> Result<usize>) -> Result<Measure> {
    for i in 0..samples.min(WARMUP_CALLS) {
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
    Ok(Measure {
        name: name.to_string(),
        samples,
        p50: percentile(&times, 50),
        p99: percentile(&times, 99),
        max: max_of(&times),
        avg_hits: hits / samples.max(1),
    })
}
