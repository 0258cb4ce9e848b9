//! Schema migrations: SQL files from `migrations/`, embedded in the binary and
//! applied in order at open, each in its own `BEGIN IMMEDIATE` transaction and
//! recorded with a checksum. No command can change the schema (T02).

use super::open::OpenError;
use crate::db::CachedRow;
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::Path;

/// One embedded migration. `name` is the file name in `migrations/`.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. A unit test checks this list against the folder.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_foundation.sql",
        sql: include_str!("../../../../migrations/0001_foundation.sql"),
    },
    Migration {
        name: "0002_catalog_inventory.sql",
        sql: include_str!("../../../../migrations/0002_catalog_inventory.sql"),
    },
    Migration {
        name: "0003_ledger_parties.sql",
        sql: include_str!("../../../../migrations/0003_ledger_parties.sql"),
    },
    Migration {
        name: "0004_price_rule_customers.sql",
        sql: include_str!("../../../../migrations/0004_price_rule_customers.sql"),
    },
    Migration {
        name: "0005_sales.sql",
        sql: include_str!("../../../../migrations/0005_sales.sql"),
    },
    Migration {
        name: "0006_refunds.sql",
        sql: include_str!("../../../../migrations/0006_refunds.sql"),
    },
    Migration {
        name: "0007_held_carts.sql",
        sql: include_str!("../../../../migrations/0007_held_carts.sql"),
    },
    Migration {
        name: "0008_shifts.sql",
        sql: include_str!("../../../../migrations/0008_shifts.sql"),
    },
    Migration {
        name: "0009_invoices.sql",
        sql: include_str!("../../../../migrations/0009_invoices.sql"),
    },
    Migration {
        name: "0010_loyalty.sql",
        sql: include_str!("../../../../migrations/0010_loyalty.sql"),
    },
    Migration {
        name: "0011_checkout_extras.sql",
        sql: include_str!("../../../../migrations/0011_checkout_extras.sql"),
    },
    Migration {
        name: "0012_report_indexes.sql",
        sql: include_str!("../../../../migrations/0012_report_indexes.sql"),
    },
    Migration {
        name: "0013_idempotency_one_tree.sql",
        sql: include_str!("../../../../migrations/0013_idempotency_one_tree.sql"),
    },
    Migration {
        name: "0014_idempotency_rowid.sql",
        sql: include_str!("../../../../migrations/0014_idempotency_rowid.sql"),
    },
    Migration {
        name: "0015_untracked_and_weighed_items.sql",
        sql: include_str!("../../../../migrations/0015_untracked_and_weighed_items.sql"),
    },
    Migration {
        name: "0016_quick_keys.sql",
        sql: include_str!("../../../../migrations/0016_quick_keys.sql"),
    },
    Migration {
        name: "0017_approvals_discounts.sql",
        sql: include_str!("../../../../migrations/0017_approvals_discounts.sql"),
    },
    Migration {
        name: "0018_cash_control.sql",
        sql: include_str!("../../../../migrations/0018_cash_control.sql"),
    },
    Migration {
        name: "0019_no_sale.sql",
        sql: include_str!("../../../../migrations/0019_no_sale.sql"),
    },
    Migration {
        name: "0020_reorder_points.sql",
        sql: include_str!("../../../../migrations/0020_reorder_points.sql"),
    },
    Migration {
        name: "0021_shop_details_tax_rates.sql",
        sql: include_str!("../../../../migrations/0021_shop_details_tax_rates.sql"),
    },
    Migration {
        name: "0022_purchase_orders.sql",
        sql: include_str!("../../../../migrations/0022_purchase_orders.sql"),
    },
    Migration {
        name: "0023_getting_started.sql",
        sql: include_str!("../../../../migrations/0023_getting_started.sql"),
    },
    Migration {
        name: "0024_unreceipted_untracked.sql",
        sql: include_str!("../../../../migrations/0024_unreceipted_untracked.sql"),
    },
    Migration {
        name: "0025_sync_foundation.sql",
        sql: include_str!("../../../../migrations/0025_sync_foundation.sql"),
    },
];

/// A migration whose first line is this runs with foreign keys off (SQLite's
/// documented way to rebuild a table that others reference: the pragma is a
/// no-op inside a transaction, so it is set before `BEGIN`), and is refused
/// unless `PRAGMA foreign_key_check` finds nothing before it commits.
const FOREIGN_KEYS_OFF: &str = "-- tillbook: foreign_keys off";

pub fn checksum(sql: &str) -> String {
    hex(&Sha256::digest(sql.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

const LEDGER_DDL: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL
) STRICT";

pub(super) fn apply(
    conn: &Connection,
    path: &Path,
    migrations: &[Migration],
) -> Result<(), OpenError> {
    let failed = |name: &str, e: rusqlite::Error| OpenError::MigrationFailed {
        path: path.into(),
        name: name.to_string(),
        reason: e.to_string(),
    };
    let version = user_version(conn).map_err(|e| failed("(reading the schema version)", e))?;
    if version > migrations.len() as i64 {
        return Err(OpenError::NewerSchema {
            path: path.into(),
            found: version,
            known: migrations.len(),
        });
    }
    verify_applied(conn, path, migrations, version)?;

    for (i, m) in migrations.iter().enumerate() {
        let target = i as i64 + 1;
        if target <= version {
            continue;
        }
        // `Connection::transaction_with_behavior` needs `&mut`; the writer is not
        // shared yet, so plain statements give the same IMMEDIATE transaction.
        let keys_off = m.sql.starts_with(FOREIGN_KEYS_OFF);
        if keys_off {
            conn.pragma_update(None, "foreign_keys", "OFF")
                .map_err(|e| failed(m.name, e))?;
        }
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| failed(m.name, e))?;
        let step = || -> rusqlite::Result<bool> {
            // Another process may have migrated while we waited for the lock.
            if user_version(conn)? >= target {
                return Ok(false);
            }
            conn.execute_batch(LEDGER_DDL)?;
            conn.execute_batch(m.sql)?;
            if keys_off {
                foreign_keys_hold(conn)?;
            }
            conn.prepare_cached(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at_ms)
                 VALUES (?1, ?2, ?3, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
            )?
            .execute(rusqlite::params![target, m.name, checksum(m.sql)])?;
            conn.pragma_update(None, "user_version", target)?;
            Ok(true)
        };
        let outcome = match step() {
            Ok(applied) => conn.execute_batch("COMMIT").map(|()| applied),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        };
        if keys_off {
            // Outside the transaction again, so the pragma takes effect.
            conn.pragma_update(None, "foreign_keys", "ON")
                .map_err(|e| failed(m.name, e))?;
        }
        if outcome.map_err(|e| failed(m.name, e))? {
            tracing::info!(migration = m.name, "applied migration");
        }
    }
    Ok(())
}

/// Refuses the migration when any row points at a row that is not there.
fn foreign_keys_hold(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("PRAGMA foreign_key_check")?;
    let mut rows = stmt.query([])?;
    if let Some(r) = rows.next()? {
        let table: String = r.get(0)?;
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
            Some(format!("a row of {table} points at a missing row")),
        ));
    }
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.cached_row("PRAGMA user_version", [], |r| r.get(0))
}

fn verify_applied(
    conn: &Connection,
    path: &Path,
    migrations: &[Migration],
    version: i64,
) -> Result<(), OpenError> {
    for (i, m) in migrations.iter().enumerate().take(version.max(0) as usize) {
        let stored: Option<(String, String)> = conn
            .cached_row(
                "SELECT name, checksum FROM schema_migrations WHERE version = ?1",
                [i as i64 + 1],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| OpenError::MigrationFailed {
                path: path.into(),
                name: m.name.to_string(),
                reason: format!("reading the migration record: {e}"),
            })?;
        match stored {
            Some((name, sum)) if name == m.name && sum == checksum(m.sql) => {}
            _ => {
                return Err(OpenError::MigrationEdited {
                    path: path.into(),
                    name: m.name.to_string(),
                })
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn embedded_list_matches_the_migrations_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = MIGRATIONS.iter().map(|m| m.name.to_string()).collect();
        assert_eq!(on_disk, embedded, "migrations/ and MIGRATIONS disagree");
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert!(
                m.name.starts_with(&format!("{:04}_", i + 1)),
                "{} is out of sequence",
                m.name
            );
            let text = std::fs::read_to_string(dir.join(m.name)).unwrap();
            assert_eq!(text, m.sql);
        }
    }
}
