//! What customers and vendors share: contact details and their validation,
//! and the create / update / archive / search steps, parameterised by table.
//! Each step writes its audit row and outbox event like any other change.

use crate::db::rows::Versioned;
use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::shared::handler::{IdVersionRequest, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A table of parties (`customers`, `vendors`) with the same contact columns.
pub struct PartyTable {
    pub versioned: Versioned,
    pub created_event: &'static str,
    pub updated_event: &'static str,
    pub archived_event: &'static str,
}

pub const CUSTOMERS: PartyTable = PartyTable {
    versioned: Versioned {
        table: "customers",
        entity: "customer",
    },
    created_event: "customer.created",
    updated_event: "customer.updated",
    archived_event: "customer.archived",
};

pub const VENDORS: PartyTable = PartyTable {
    versioned: Versioned {
        table: "vendors",
        entity: "vendor",
    },
    created_event: "vendor.created",
    updated_event: "vendor.updated",
    archived_event: "vendor.archived",
};

/// Contact fields shared by customers and vendors, validated the same way.
fn check_contacts(
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
    tax_id: Option<&str>,
    notes: Option<&str>,
) -> Result<()> {
    validate::text("name", name, 1, 200)?;
    if let Some(p) = phone {
        validate::text("phone", p, 1, 40)?;
        if !p
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
        {
            return Err(Error::validation(
                "phone",
                "may use only digits, spaces and + - ( ) .",
            ));
        }
    }
    if let Some(e) = email {
        validate::text("email", e, 3, 254)?;
        let ok = e
            .split_once('@')
            .is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !d.contains('@'))
            && !e.contains(' ');
        if !ok {
            return Err(Error::validation(
                "email",
                "must look like name@example.com",
            ));
        }
    }
    if let Some(t) = tax_id {
        validate::text("tax_id", t, 1, 40)?;
    }
    if let Some(n) = notes {
        if n.chars().count() > 2000 {
            return Err(Error::validation(
                "notes",
                "must be at most 2000 characters",
            ));
        }
    }
    Ok(())
}

/// Contact details of a new customer or vendor.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PartyContactsRequest")]
#[serde(deny_unknown_fields)]
pub struct ContactsRequest {
    pub name: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub phone: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub email: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub tax_id: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub notes: Option<String>,
}

impl Request for ContactsRequest {
    fn validate(&self) -> Result<()> {
        check_contacts(
            &self.name,
            self.phone.as_deref(),
            self.email.as_deref(),
            self.tax_id.as_deref(),
            self.notes.as_deref(),
        )
    }
}

/// New contact details (absent = cleared) against the version read.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PartyUpdateRequest")]
#[serde(deny_unknown_fields)]
pub struct UpdateContactsRequest {
    pub id: i64,
    pub version: i64,
    pub name: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub phone: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub email: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub tax_id: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub notes: Option<String>,
}

impl Request for UpdateContactsRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        check_contacts(
            &self.name,
            self.phone.as_deref(),
            self.email.as_deref(),
            self.tax_id.as_deref(),
            self.notes.as_deref(),
        )
    }
}

/// Name-prefix search, in name order, keyset-paged by (`after_name`, `after_id`).
#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "PartySearchRequest")]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub prefix: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub include_archived: bool,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_name: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for SearchRequest {
    fn validate(&self) -> Result<()> {
        validate::text("prefix", &self.prefix, 0, 200)?;
        if self.after_name.is_some() != self.after_id.is_some() {
            return Err(Error::validation(
                "after_id",
                "after_name and after_id go together (the last row of the previous page)",
            ));
        }
        if let Some(id) = self.after_id {
            validate::id("after_id", id)?;
        }
        validate::page_limit(self.limit, validate::SEARCH_LIMIT_MAX)?;
        Ok(())
    }
}

/// A LIKE pattern matching names that start with `prefix`, wildcards escaped.
fn prefix_pattern(prefix: &str) -> String {
    let mut p = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The contact columns of one row as JSON (for audit before/after), and whether
/// it is archived.
fn contacts_of(conn: &Connection, t: &PartyTable, id: i64) -> Result<(Value, bool)> {
    conn.cached_row(
        &format!(
            "SELECT name, phone, email, tax_id, notes, archived_at_ms IS NOT NULL FROM {} WHERE id = ?1",
            t.versioned.table
        ),
        [id],
        |r| {
            Ok((
                json!({
                    "name": r.get::<_, String>(0)?,
                    "phone": r.get::<_, Option<String>>(1)?,
                    "email": r.get::<_, Option<String>>(2)?,
                    "tax_id": r.get::<_, Option<String>>(3)?,
                    "notes": r.get::<_, String>(4)?,
                }),
                r.get(5)?,
            ))
        },
    )
    .optional()?
    .ok_or_else(|| Error::not_found(t.versioned.entity, id))
}

/// Inserts a party; returns its id.
pub(crate) fn insert(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    t: &PartyTable,
    req: &ContactsRequest,
) -> Result<i64> {
    let actor = ctx.actor()?;
    let id: i64 = tx.execute_returning(
        &format!(
            "INSERT INTO {} (name, phone, email, tax_id, notes, created_by, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
            t.versioned.table
        ),
        rusqlite::params![
            req.name,
            req.phone,
            req.email,
            req.tax_id,
            req.notes.clone().unwrap_or_default(),
            actor.user_id,
            ctx.now_ms
        ],
        |r| r.get(0),
    )?;
    let summary =
        json!({ "name": req.name, "phone": req.phone, "email": req.email, "tax_id": req.tax_id });
    ctx.audit(t.versioned.entity, id, summary.clone());
    ctx.emit(t.created_event, t.versioned.entity, id, summary);
    Ok(id)
}

/// Replaces a party's contact details against the version read.
pub(crate) fn update(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    t: &PartyTable,
    req: &UpdateContactsRequest,
) -> Result<()> {
    let (before, _) = contacts_of(tx.conn(), t, req.id)?;
    let notes = req.notes.clone().unwrap_or_default();
    t.versioned.update(
        tx,
        req.id,
        req.version,
        &[
            ("name", &req.name),
            ("phone", &req.phone),
            ("email", &req.email),
            ("tax_id", &req.tax_id),
            ("notes", &notes),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    let (after, _) = contacts_of(tx.conn(), t, req.id)?;
    ctx.audit(
        t.versioned.entity,
        req.id,
        json!({ "before": before, "after": after }),
    );
    ctx.emit(t.updated_event, t.versioned.entity, req.id, after);
    Ok(())
}

/// Archives a party: hidden from search, history kept (T22). `balance_minor` is
/// recorded in the audit row so the log shows what was owed at the time.
pub(crate) fn archive(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    t: &PartyTable,
    req: &IdVersionRequest,
    balance_minor: i64,
) -> Result<()> {
    let (contacts, archived) = contacts_of(tx.conn(), t, req.id)?;
    let name = contacts["name"].clone();
    t.versioned.archive(
        tx,
        req.id,
        req.version,
        archived,
        name.as_str().unwrap_or_default(),
        ctx.now_ms,
    )?;
    ctx.audit(
        t.versioned.entity,
        req.id,
        json!({ "name": name, "archived": true, "balance_minor": balance_minor }),
    );
    ctx.emit(
        t.archived_event,
        t.versioned.entity,
        req.id,
        json!({ "name": name }),
    );
    Ok(())
}

/// Name-prefix search over a party table, keyset-paged; `columns` and `view`
/// are the caller's row shape.
pub(crate) fn search<T>(
    conn: &Connection,
    t: &PartyTable,
    columns: &str,
    req: &SearchRequest,
    view: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {columns} FROM {}
         WHERE name LIKE ?1 ESCAPE '\\' AND (?2 OR archived_at_ms IS NULL)
           AND (?3 IS NULL OR (name, id) > (?3, ?4))
         ORDER BY name, id LIMIT ?5",
        t.versioned.table
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            prefix_pattern(&req.prefix),
            req.include_archived,
            req.after_name,
            req.after_id,
            req.limit.unwrap_or(50)
        ],
        view,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
