//! The append-only audit log. Each row's hash covers its content and the previous
//! row's hash, so a changed, removed or reordered row breaks the chain at a point
//! `tillbook verify` can name.

use crate::db::migrate::hex;
use crate::db::{CachedRow, Tx};
use crate::error::{Error, FieldError, Result};
use crate::shared::handler::{ReadCtx, Request};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened to an attempted command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Refused,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// One audit entry before it is chained.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub at_ms: i64,
    pub user_id: Option<i64>,
    pub username: Option<&'a str>,
    pub command: &'a str,
    pub entity: Option<&'a str>,
    pub entity_id: Option<&'a str>,
    pub summary: &'a Value,
    pub outcome: Outcome,
    pub error_code: Option<&'a str>,
}

/// Appends `entry` in the caller's transaction, so it commits or rolls back with
/// the change it describes.
pub fn append(tx: &Tx<'_>, entry: &Entry<'_>) -> Result<i64> {
    append_approved(tx, entry, None)
}

/// Appends `entry`, naming the manager who approved it on the spot (T39):
/// `entry.user_id` stays the cashier who acted, `approved_by` is `(id, username)`.
pub fn append_approved(
    tx: &Tx<'_>,
    entry: &Entry<'_>,
    approved_by: Option<(i64, &str)>,
) -> Result<i64> {
    let prev: String = tx
        .conn()
        .cached_row(
            "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS_HASH.to_string());
    let summary = serde_json::to_string(entry.summary)?;
    let hash = chain_hash(
        &prev,
        entry.at_ms,
        entry.user_id,
        entry.username,
        entry.command,
        entry.entity,
        entry.entity_id,
        &summary,
        entry.outcome.as_str(),
        entry.error_code,
        approved_by,
    );
    Ok(tx.execute_returning(
        "INSERT INTO audit_log (at_ms, user_id, username, command, entity, entity_id,
                                summary, result, error_code, prev_hash, hash,
                                approved_by, approved_by_username)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id",
        rusqlite::params![
            entry.at_ms,
            entry.user_id,
            entry.username,
            entry.command,
            entry.entity,
            entry.entity_id,
            summary,
            entry.outcome.as_str(),
            entry.error_code,
            prev,
            hash,
            approved_by.map(|a| a.0),
            approved_by.map(|a| a.1)
        ],
        |r| r.get(0),
    )?)
}

#[allow(clippy::too_many_arguments)] // one argument per hashed column keeps the encoding explicit
fn chain_hash(
    prev: &str,
    at_ms: i64,
    user_id: Option<i64>,
    username: Option<&str>,
    command: &str,
    entity: Option<&str>,
    entity_id: Option<&str>,
    summary: &str,
    result: &str,
    error_code: Option<&str>,
    approved_by: Option<(i64, &str)>,
) -> String {
    // A JSON array is an unambiguous encoding: no field can bleed into the next.
    let mut canonical = serde_json::json!([
        prev, at_ms, user_id, username, command, entity, entity_id, summary, result, error_code
    ]);
    // The approver joins the hashed content only when there is one, so the
    // hashes of rows written before approvals existed stay as they were.
    if let (Some((id, name)), Some(items)) = (approved_by, canonical.as_array_mut()) {
        items.push(id.into());
        items.push(name.into());
    }
    hex(&Sha256::digest(canonical.to_string().as_bytes()))
}

/// The first place the chain is broken, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub id: i64,
    pub reason: String,
}

/// Walks the whole log in id order (streaming, constant memory) and reports the
/// first row whose hash or link does not match.
pub fn verify_chain(conn: &Connection) -> Result<Option<ChainBreak>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at_ms, user_id, username, command, entity, entity_id, summary,
                result, error_code, prev_hash, hash, approved_by, approved_by_username
         FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS_HASH.to_string();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let prev: String = r.get(10)?;
        let hash: String = r.get(11)?;
        if prev != expected_prev {
            return Ok(Some(ChainBreak {
                id,
                reason: "previous-hash link does not match the row before it".into(),
            }));
        }
        let recomputed = chain_hash(
            &prev,
            r.get(1)?,
            r.get(2)?,
            r.get::<_, Option<String>>(3)?.as_deref(),
            &r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?.as_deref(),
            r.get::<_, Option<String>>(6)?.as_deref(),
            &r.get::<_, String>(7)?,
            &r.get::<_, String>(8)?,
            r.get::<_, Option<String>>(9)?.as_deref(),
            match (
                r.get::<_, Option<i64>>(12)?,
                r.get::<_, Option<String>>(13)?,
            ) {
                (Some(id), Some(name)) => Some((id, name)),
                _ => None,
            }
            .as_ref()
            .map(|(id, name)| (*id, name.as_str())),
        );
        if recomputed != hash {
            return Ok(Some(ChainBreak {
                id,
                reason: "row content does not match its hash".into(),
            }));
        }
        expected_prev = hash;
    }
    Ok(None)
}

/// A row as `audit.list` returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub command: String,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    #[ts(type = "unknown")]
    pub summary: Value,
    pub result: Outcome,
    pub error_code: Option<String>,
    /// The manager who approved this one action on the spot (T39); `user_id`
    /// is still the cashier who did it.
    pub approved_by: Option<i64>,
    pub approved_by_username: Option<String>,
    /// The people and records by name, joined when read so the log reads as a
    /// history ("Ana refunded 1 × Olive oil"): the user's and approver's
    /// display names, and the record's name where it has one (a product, a
    /// customer, a vendor, a user, a reward, a preset, a batch's product; for a
    /// sale, refund, invoice, payment or claim its customer; for a purchase
    /// receipt or vendor payment its vendor).
    pub user_display_name: Option<String>,
    pub approved_by_display_name: Option<String>,
    pub record_name: Option<String>,
    /// A sale's or refund's first lines ([`AUDIT_ITEMS_MAX`] at most), by
    /// product name; empty for other records.
    pub items: Vec<AuditItem>,
}

/// One line of a sale or refund as the audit history names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditItem {
    pub name: String,
    /// In the product's smallest unit (g for kg), as on the order line.
    pub quantity: i64,
    pub quantity_decimals: u32,
    pub unit: String,
    pub total_minor: i64,
}

/// How many lines of one sale or refund a history row names; the rest are
/// "and N more" from the summary's line count.
pub const AUDIT_ITEMS_MAX: u32 = 3;
/// The most commands one "kind of action" filter lists.
pub const AUDIT_COMMANDS_MAX: u32 = 100;

/// Filters for `audit.list`; all are applied in SQL (T27).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub user_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub command: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub entity: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub entity_id: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub result: Option<Outcome>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub from_ms: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub to_ms: Option<i64>,
    /// Keyset paging: rows with a smaller id than this (newest first).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
    /// Any of these commands (a kind of action: sales, refunds, stock…); at
    /// most [`AUDIT_COMMANDS_MAX`].
    #[serde(default)]
    #[ts(optional = nullable)]
    pub commands: Option<Vec<String>>,
}

pub const AUDIT_PAGE_DEFAULT: u32 = 100;

impl AuditFilter {
    pub fn validate(&self) -> Result<()> {
        validate::page_limit(self.limit, validate::HISTORY_PAGE_MAX)?;
        for (field, v) in [
            ("command", &self.command),
            ("entity", &self.entity),
            ("entity_id", &self.entity_id),
        ] {
            if v.as_ref().is_some_and(|s| s.is_empty() || s.len() > 64) {
                return Err(Error::validation(field, "must be 1 to 64 characters"));
            }
        }
        if let Some(cs) = &self.commands {
            if cs.is_empty() || cs.len() > AUDIT_COMMANDS_MAX as usize {
                return Err(Error::invalid_field(
                    "commands",
                    FieldError::OutOfRange {
                        min: Some(1),
                        max: Some(i64::from(AUDIT_COMMANDS_MAX)),
                    },
                    format!("must list 1 to {AUDIT_COMMANDS_MAX} commands"),
                ));
            }
            for (i, c) in cs.iter().enumerate() {
                validate::text(&format!("commands[{i}]"), c, 1, 64)?;
            }
        }
        if let (Some(a), Some(b)) = (self.from_ms, self.to_ms) {
            if a > b {
                return Err(Error::validation("from_ms", "must not be after to_ms"));
            }
        }
        Ok(())
    }
}

pub fn query(conn: &Connection, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    // Each filter is `?n IS NULL OR column = ?n`, so one prepared statement serves
    // every combination and nothing is filtered after loading.
    // Names are joined per row by primary key (a page is at most
    // HISTORY_PAGE_MAX rows), and a sale's or refund's lines are capped at
    // AUDIT_ITEMS_MAX, so a page costs a bounded number of lookups.
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.at_ms, a.user_id, a.username, a.command, a.entity, a.entity_id, a.summary,
                a.result, a.error_code, a.approved_by, a.approved_by_username,
                u.display_name, ap.display_name,
                CASE a.entity
                  WHEN 'product' THEN (SELECT name FROM products WHERE id = CAST(a.entity_id AS INTEGER))
                  WHEN 'customer' THEN (SELECT name FROM customers WHERE id = CAST(a.entity_id AS INTEGER))
                  WHEN 'vendor' THEN (SELECT name FROM vendors WHERE id = CAST(a.entity_id AS INTEGER))
                  WHEN 'user' THEN (SELECT display_name FROM users WHERE id = CAST(a.entity_id AS INTEGER))
                  WHEN 'loyalty_reward' THEN (SELECT name FROM loyalty_rewards WHERE id = CAST(a.entity_id AS INTEGER))
                  WHEN 'discount_preset' THEN (SELECT name FROM discount_presets WHERE id = CAST(a.entity_id AS INTEGER))
                  WHEN 'batch' THEN (SELECT p.name FROM batches b JOIN products p ON p.id = b.product_id
                                     WHERE b.id = CAST(a.entity_id AS INTEGER))
                  WHEN 'order' THEN (SELECT c.name FROM orders o JOIN customers c ON c.id = o.customer_id
                                     WHERE o.id = CAST(a.entity_id AS INTEGER))
                  WHEN 'refund' THEN (SELECT c.name FROM refunds r JOIN customers c ON c.id = r.customer_id
                                      WHERE r.id = CAST(a.entity_id AS INTEGER))
                  WHEN 'invoice' THEN (SELECT c.name FROM invoices i JOIN customers c ON c.id = i.customer_id
                                       WHERE i.id = CAST(a.entity_id AS INTEGER))
                  WHEN 'customer_payment' THEN (SELECT c.name FROM customer_payments x
                                                JOIN customers c ON c.id = x.customer_id
                                                WHERE x.id = CAST(a.entity_id AS INTEGER))
                  WHEN 'loyalty_claim' THEN (SELECT c.name FROM loyalty_claims x
                                             JOIN customers c ON c.id = x.customer_id
                                             WHERE x.id = CAST(a.entity_id AS INTEGER))
                  WHEN 'vendor_payment' THEN (SELECT v.name FROM vendor_payments x
                                              JOIN vendors v ON v.id = x.vendor_id
                                              WHERE x.id = CAST(a.entity_id AS INTEGER))
                  WHEN 'purchase_receipt' THEN (SELECT v.name FROM purchase_receipts x
                                                JOIN vendors v ON v.id = x.vendor_id
                                                WHERE x.id = CAST(a.entity_id AS INTEGER))
                END,
                CASE a.entity
                  WHEN 'refund' THEN (
                    SELECT json_group_array(json_object('name', p.name, 'quantity', rl.quantity,
                             'quantity_decimals', ol.quantity_decimals, 'unit', p.unit,
                             'total_minor', rl.total_minor))
                    FROM (SELECT order_line_id, quantity, total_minor FROM refund_lines
                          WHERE refund_id = CAST(a.entity_id AS INTEGER) ORDER BY id LIMIT ?11) rl
                    JOIN order_lines ol ON ol.id = rl.order_line_id
                    JOIN products p ON p.id = ol.product_id)
                  WHEN 'order' THEN (
                    SELECT json_group_array(json_object('name', p.name, 'quantity', ol.quantity,
                             'quantity_decimals', ol.quantity_decimals, 'unit', p.unit,
                             'total_minor', ol.total_minor))
                    FROM (SELECT product_id, quantity, quantity_decimals, total_minor FROM order_lines
                          WHERE order_id = CAST(a.entity_id AS INTEGER) ORDER BY line_no LIMIT ?11) ol
                    JOIN products p ON p.id = ol.product_id)
                END
         FROM audit_log a
         LEFT JOIN users u ON u.id = a.user_id
         LEFT JOIN users ap ON ap.id = a.approved_by
         WHERE (?1 IS NULL OR a.user_id = ?1)
           AND (?2 IS NULL OR a.command = ?2)
           AND (?3 IS NULL OR a.entity = ?3)
           AND (?4 IS NULL OR a.entity_id = ?4)
           AND (?5 IS NULL OR a.result = ?5)
           AND (?6 IS NULL OR a.at_ms >= ?6)
           AND (?7 IS NULL OR a.at_ms <= ?7)
           AND (?8 IS NULL OR a.id < ?8)
           AND (?10 IS NULL OR a.command IN (SELECT value FROM json_each(?10)))
         ORDER BY a.id DESC
         LIMIT ?9",
    )?;
    let commands = match &f.commands {
        Some(cs) => Some(serde_json::to_string(cs)?),
        None => None,
    };
    let rows = stmt.query_map(
        rusqlite::params![
            f.user_id,
            f.command,
            f.entity,
            f.entity_id,
            f.result.map(Outcome::as_str),
            f.from_ms,
            f.to_ms,
            f.before_id,
            f.limit.unwrap_or(AUDIT_PAGE_DEFAULT),
            commands,
            AUDIT_ITEMS_MAX
        ],
        |r| {
            let summary: String = r.get(7)?;
            let result: String = r.get(8)?;
            Ok(AuditRow {
                id: r.get(0)?,
                at_ms: r.get(1)?,
                user_id: r.get(2)?,
                username: r.get(3)?,
                command: r.get(4)?,
                entity: r.get(5)?,
                entity_id: r.get(6)?,
                summary: serde_json::from_str(&summary).unwrap_or(Value::Null),
                result: match result.as_str() {
                    "ok" => Outcome::Ok,
                    "refused" => Outcome::Refused,
                    _ => Outcome::Failed,
                },
                error_code: r.get(9)?,
                approved_by: r.get(10)?,
                approved_by_username: r.get(11)?,
                user_display_name: r.get(12)?,
                approved_by_display_name: r.get(13)?,
                record_name: r.get(14)?,
                items: r
                    .get::<_, Option<String>>(15)?
                    .and_then(|j| serde_json::from_str(&j).ok())
                    .unwrap_or_default(),
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

impl Request for AuditFilter {
    fn validate(&self) -> Result<()> {
        AuditFilter::validate(self)
    }
}

/// `audit.list`
pub fn list(_ctx: &ReadCtx<'_>, conn: &Connection, req: &AuditFilter) -> Result<Vec<AuditRow>> {
    query(conn, req)
}
