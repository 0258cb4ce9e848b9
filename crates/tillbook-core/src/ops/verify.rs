//! `tillbook verify`: recomputes what can drift and reports any difference.
//! Ledger checks live in `ledger::drift`, stock in `stock::reconcile`,
//! sales (orders, lines, payments, numbers) in `sales::drift`.

use crate::db::CachedRow;
use crate::db::Db;
use crate::error::Result;
use crate::records::audit::{self, ChainBreak};
use serde::Serialize;

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub integrity: Vec<String>,
    pub foreign_keys: Vec<String>,
    pub audit_chain: Option<ChainBreak>,
    pub audit_rows: i64,
    pub problems: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A module's own drift check: one line per problem found.
type DriftCheck = fn(&rusqlite::Connection) -> Result<Vec<String>>;

/// Bound on how many problems of one kind are listed; the first few say enough.
const MAX_LISTED: usize = 20;

pub fn run(db: &Db) -> Result<Report> {
    db.read(|conn| {
        let mut report = Report::default();
        let integrity = crate::db::collect_strings(conn, "PRAGMA integrity_check(20)")?;
        if integrity != ["ok"] {
            report
                .problems
                .push(format!("integrity check: {}", integrity.join("; ")));
            report.integrity = integrity;
        }
        let mut stmt = conn.prepare_cached("PRAGMA foreign_key_check")?;
        let fk: Vec<String> = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{} row {} references missing {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                    r.get::<_, String>(2)?
                ))
            })?
            .take(MAX_LISTED)
            .collect::<rusqlite::Result<_>>()?;
        if !fk.is_empty() {
            report
                .problems
                .push(format!("broken references: {}", fk.join("; ")));
            report.foreign_keys = fk;
        }
        report.audit_rows = conn.cached_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?;
        report.audit_chain = audit::verify_chain(conn)?;
        if let Some(b) = &report.audit_chain {
            report.problems.push(format!(
                "audit log chain broken at row {}: {}",
                b.id, b.reason
            ));
        }
        if let Some(b) = crate::records::outbox::verify_chain(conn)? {
            report.problems.push(format!(
                "outbox chain broken at event {}: {}",
                b.id, b.reason
            ));
        }
        let mut ledger = crate::ledger::drift(conn, MAX_LISTED)?;
        ledger.extend(crate::parties::vendors::drift(conn)?);
        report
            .problems
            .extend(ledger.into_iter().map(|p| format!("ledger: {p}")));
        // Stock: each batch's cached on-hand/reserved against its movements and reservations.
        let stock = crate::stock::reconcile(conn)?;
        report.problems.extend(
            stock
                .into_iter()
                .take(MAX_LISTED)
                .map(|p| format!("stock: {p}")),
        );
        if let Some(p) = crate::db::rows::gapless_drift(
            conn,
            "held_carts",
            "number",
            crate::sales::holds::HOLD_COUNTER,
        )? {
            report.problems.push(format!("held carts: {p}"));
        }
        let sales = crate::sales::drift(conn)?;
        report
            .problems
            .extend(sales.into_iter().map(|p| format!("sales: {p}")));
        let refunds = crate::sales::refunds::drift(conn)?;
        report
            .problems
            .extend(refunds.into_iter().map(|p| format!("refunds: {p}")));
        if let Some(p) = crate::db::rows::gapless_drift(
            conn,
            "purchase_orders",
            "number",
            crate::parties::purchase_orders::ORDER_COUNTER,
        )? {
            report.problems.push(format!("purchase orders: {p}"));
        }
        // An order's received quantities against its receipts' lines.
        report.problems.extend(
            crate::parties::purchase_orders::drift(conn)?
                .into_iter()
                .take(MAX_LISTED)
                .map(|p| format!("purchase orders: {p}")),
        );
        let checks: [(&str, DriftCheck); 3] = [
            ("shifts", crate::till::drift),
            ("invoices", crate::accounts::drift),
            ("loyalty", crate::loyalty::drift),
        ];
        for (what, check) in checks {
            report
                .problems
                .extend(check(conn)?.into_iter().map(|p| format!("{what}: {p}")));
        }
        Ok(report)
    })
}
