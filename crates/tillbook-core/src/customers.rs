//! Customers: contacts, credit limits and enforcement (T21, T29); archived,
//! never deleted (T22). The balance a customer owes is summed from the ledger's
//! accounts-receivable lines, never kept as a total of its own.
//!
//! Credit approval (T21): raising a limit above
//! `settings.credit_approval_threshold_minor` needs a second, different, active
//! user holding `credit.approve`. The request carries that approver's username
//! and password, verified inside the same transaction; the audit row is the
//! requesting user's and its summary names the approver (`approved_by`).

use crate::access::{role_has, Permission};
use crate::db::rows::Versioned;
use crate::db::Tx;
use crate::dispatch::{ReadCtx, Request, Session, WriteCtx};
use crate::error::{Error, Result};
use crate::ledger;
use crate::validate::{self, Secret};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

const CUSTOMERS: Versioned = Versioned {
    table: "customers",
    entity: "customer",
};

/// The most a credit limit can be (about 21 million in a 2-decimal currency).
pub const CREDIT_LIMIT_MAX_MINOR: i64 = i32::MAX as i64;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
#[serde(rename_all = "snake_case")]
pub enum CreditMode {
    /// A sale on account beyond the limit is refused (the default, T29).
    #[default]
    Block,
    /// Allowed but flagged; only when someone chose it explicitly.
    Warn,
}

impl CreditMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditMode::Block => "block",
            CreditMode::Warn => "warn",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
pub struct CustomerView {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tax_id: Option<String>,
    pub notes: String,
    #[ts(type = "number")]
    pub credit_limit_minor: i64,
    pub credit_mode: CreditMode,
    /// Accounts receivable owed by this customer, summed from the ledger.
    #[ts(type = "number")]
    pub balance_minor: i64,
    pub archived: bool,
    #[ts(type = "number")]
    pub version: i64,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

const COLUMNS: &str = "id, name, phone, email, tax_id, notes, credit_limit_minor, credit_mode,
    archived_at_ms IS NOT NULL, version, created_at_ms";

fn view_of(r: &Row<'_>) -> rusqlite::Result<CustomerView> {
    let mode: String = r.get(7)?;
    Ok(CustomerView {
        id: r.get(0)?,
        name: r.get(1)?,
        phone: r.get(2)?,
        email: r.get(3)?,
        tax_id: r.get(4)?,
        notes: r.get(5)?,
        credit_limit_minor: r.get(6)?,
        credit_mode: if mode == "warn" {
            CreditMode::Warn
        } else {
            CreditMode::Block
        },
        balance_minor: 0,
        archived: r.get(8)?,
        version: r.get(9)?,
        created_at_ms: r.get(10)?,
    })
}

pub fn get_customer(conn: &Connection, id: i64) -> Result<CustomerView> {
    let mut c = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM customers WHERE id = ?1"))?
        .query_row([id], view_of)
        .optional()?
        .ok_or_else(|| Error::not_found("customer", id))?;
    c.balance_minor = ledger::customer_balance(conn, id)?;
    Ok(c)
}

/// Contact fields shared by customers and vendors, validated the same way.
pub(crate) fn check_contacts(
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

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerRequest {
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

impl Request for CreateCustomerRequest {
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

/// `customers.create`: a new customer with no credit (limit 0, mode `block`).
pub fn create(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreateCustomerRequest,
) -> Result<CustomerView> {
    let actor = ctx.actor()?;
    let id: i64 = tx.execute_returning(
        "INSERT INTO customers (name, phone, email, tax_id, notes, created_by, created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
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
    ctx.audit("customer", id, summary.clone());
    ctx.emit("customer.created", "customer", id, summary);
    get_customer(tx.conn(), id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomerRequest {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
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

impl Request for UpdateCustomerRequest {
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

/// `customers.update`: replaces the contact details (absent = cleared) against
/// the version read. Credit is changed only by `customers.set_credit`.
pub fn update(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &UpdateCustomerRequest,
) -> Result<CustomerView> {
    let before = get_customer(tx.conn(), req.id)?;
    let notes = req.notes.clone().unwrap_or_default();
    CUSTOMERS.update(
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
    let after = get_customer(tx.conn(), req.id)?;
    let contacts = |c: &CustomerView| json!({ "name": c.name, "phone": c.phone, "email": c.email, "tax_id": c.tax_id, "notes": c.notes });
    ctx.audit(
        "customer",
        req.id,
        json!({ "before": contacts(&before), "after": contacts(&after) }),
    );
    ctx.emit("customer.updated", "customer", req.id, contacts(&after));
    Ok(after)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(
    export,
    export_to = "../../../ui/src/generated/",
    rename = "PartyIdVersionRequest"
)]
#[serde(deny_unknown_fields)]
pub struct IdVersionRequest {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub version: i64,
}

impl Request for IdVersionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)
    }
}

/// `customers.archive`: hidden from search and refused for new credit; every
/// ledger line naming the customer stays (T22).
pub fn archive(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &IdVersionRequest,
) -> Result<CustomerView> {
    let before = get_customer(tx.conn(), req.id)?;
    if before.archived {
        return Err(Error::StateConflict {
            message: format!("customer {} is already archived", before.name),
        });
    }
    CUSTOMERS.update(
        tx,
        req.id,
        req.version,
        &[
            ("archived_at_ms", &ctx.now_ms),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    ctx.audit(
        "customer",
        req.id,
        json!({ "name": before.name, "archived": true, "balance_minor": before.balance_minor }),
    );
    ctx.emit(
        "customer.archived",
        "customer",
        req.id,
        json!({ "name": before.name }),
    );
    get_customer(tx.conn(), req.id)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(
    export,
    export_to = "../../../ui/src/generated/",
    rename = "PartyIdRequest"
)]
#[serde(deny_unknown_fields)]
pub struct IdRequest {
    #[ts(type = "number")]
    pub id: i64,
}

impl Request for IdRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)
    }
}

/// `customers.get`
pub fn get(_ctx: &ReadCtx<'_>, conn: &Connection, req: &IdRequest) -> Result<CustomerView> {
    get_customer(conn, req.id)
}

pub const SEARCH_PAGE_MAX: u32 = 100;

/// Name-prefix search, in name order, keyset-paged by (`after_name`, `after_id`).
#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(
    export,
    export_to = "../../../ui/src/generated/",
    rename = "PartySearchRequest"
)]
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
    #[ts(optional = nullable, type = "number | null")]
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
        if let Some(l) = self.limit {
            if !(1..=SEARCH_PAGE_MAX).contains(&l) {
                return Err(Error::validation(
                    "limit",
                    format!("must be 1 to {SEARCH_PAGE_MAX}"),
                ));
            }
        }
        Ok(())
    }
}

/// A LIKE pattern matching names that start with `prefix`, wildcards escaped.
pub(crate) fn prefix_pattern(prefix: &str) -> String {
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

/// `customers.search`
pub fn search(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &SearchRequest,
) -> Result<Vec<CustomerView>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM customers
         WHERE name LIKE ?1 ESCAPE '\\' AND (?2 OR archived_at_ms IS NULL)
           AND (?3 IS NULL OR (name, id) > (?3, ?4))
         ORDER BY name, id LIMIT ?5"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            prefix_pattern(&req.prefix),
            req.include_archived,
            req.after_name,
            req.after_id,
            req.limit.unwrap_or(50)
        ],
        view_of,
    )?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for c in &mut out {
        c.balance_minor = ledger::customer_balance(conn, c.id)?;
    }
    Ok(out)
}

/// A second user's credentials, approving a credit change (T21).
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(
    export,
    export_to = "../../../ui/src/generated/",
    rename = "CreditApprover"
)]
#[serde(deny_unknown_fields)]
pub struct Approver {
    pub username: String,
    #[ts(type = "string")]
    pub password: Secret,
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
#[serde(deny_unknown_fields)]
pub struct SetCreditRequest {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub version: i64,
    #[ts(type = "number")]
    pub credit_limit_minor: i64,
    /// Omitted = `block`: warning instead of blocking must be chosen explicitly (T29).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub credit_mode: CreditMode,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub approver: Option<Approver>,
}

impl Request for SetCreditRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)?;
        if !(0..=CREDIT_LIMIT_MAX_MINOR).contains(&self.credit_limit_minor) {
            return Err(Error::validation(
                "credit_limit_minor",
                format!("must be 0 to {CREDIT_LIMIT_MAX_MINOR}"),
            ));
        }
        if let Some(a) = &self.approver {
            validate::text("approver.username", &a.username, 1, 64)?;
            validate::password("approver.password", &a.password)?;
        }
        Ok(())
    }

    fn secrets(&self) -> Vec<&Secret> {
        self.approver.iter().map(|a| &a.password).collect()
    }
}

/// Checks the approver inside the transaction: another active user, not locked
/// out, whose role holds `credit.approve`, with the right password (a wrong one
/// counts towards their lockout, as a login would). `Ok(None)`: refused, the
/// refusal is registered and nothing may change.
fn verify_approver(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    actor: &Session,
    approver: &Approver,
) -> Result<Option<(i64, String)>> {
    let Some((id, username, role)) = crate::auth::verify_second_user(
        ctx,
        tx,
        actor.user_id,
        &approver.username,
        &approver.password,
    )?
    else {
        return Ok(None);
    };
    if !role_has(role, Permission::CreditApprove) {
        return Err(Error::forbidden(format!(
            "{username} (a {}) may not approve credit limits (needs credit.approve)",
            role.as_str()
        )));
    }
    Ok(Some((id, username)))
}

/// `customers.set_credit`: sets the limit and enforcement mode. Raising the limit
/// above the threshold needs `approver` (T21); lowering it never does.
pub fn set_credit(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &SetCreditRequest,
) -> Result<CustomerView> {
    let actor = ctx.actor()?;
    let before = get_customer(tx.conn(), req.id)?;
    if before.archived {
        return Err(Error::StateConflict {
            message: format!("customer {} is archived", before.name),
        });
    }
    let threshold = ctx.settings.credit_approval_threshold_minor;
    let needs_approval =
        req.credit_limit_minor > threshold && req.credit_limit_minor > before.credit_limit_minor;
    let approved_by = match (&req.approver, needs_approval) {
        (None, true) => {
            return Err(Error::validation(
                "approver",
                format!(
                "raising a credit limit above {threshold} needs a second user with credit.approve"
            ),
            ))
        }
        (Some(a), true) => {
            ctx.audit(
                "customer",
                req.id,
                json!({ "credit_limit_minor": req.credit_limit_minor, "approver": a.username }),
            );
            match verify_approver(ctx, tx, actor, a)? {
                Some(ok) => Some(ok),
                // Refused; only the approver's failed-attempt count is kept.
                None => return Ok(before),
            }
        }
        // An approval that isn't needed is not checked, and not recorded.
        (_, false) => None,
    };
    CUSTOMERS.update(
        tx,
        req.id,
        req.version,
        &[
            ("credit_limit_minor", &req.credit_limit_minor),
            ("credit_mode", &req.credit_mode.as_str()),
            ("updated_at_ms", &ctx.now_ms),
        ],
    )?;
    let summary = json!({
        "before": { "credit_limit_minor": before.credit_limit_minor, "credit_mode": before.credit_mode },
        "after": { "credit_limit_minor": req.credit_limit_minor, "credit_mode": req.credit_mode },
        "threshold_minor": threshold,
        "requested_by": actor.user_id,
        "approved_by": approved_by.as_ref().map(|(id, _)| id),
        "approved_by_username": approved_by.as_ref().map(|(_, name)| name),
    });
    ctx.audit("customer", req.id, summary);
    ctx.emit(
        "customer.credit_set",
        "customer",
        req.id,
        json!({ "credit_limit_minor": req.credit_limit_minor, "credit_mode": req.credit_mode }),
    );
    get_customer(tx.conn(), req.id)
}

/// The answer to "may this customer take `additional_minor` more on account?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
pub struct CreditDecision {
    #[ts(type = "number")]
    pub customer_id: i64,
    pub mode: CreditMode,
    #[ts(type = "number")]
    pub limit_minor: i64,
    #[ts(type = "number")]
    pub balance_minor: i64,
    /// The balance once the additional amount is on account.
    #[ts(type = "number")]
    pub projected_minor: i64,
    /// How far `projected_minor` is over the limit (0 when within it).
    #[ts(type = "number")]
    pub over_limit_minor: i64,
    /// True in `warn` mode when over the limit: allowed, but the till must say so.
    pub warning: bool,
    /// The user whose `credit.approve` let a `block` refusal through; the caller
    /// puts the decision in its audit summary (T29).
    #[ts(type = "number | null")]
    pub overridden_by: Option<i64>,
}

/// Checks a customer's credit for a new amount on account (T29): within the
/// limit is allowed; over it, `block` refuses with `credit_limit` and `warn`
/// allows with `warning: true`. An archived customer gets no new credit.
pub fn check_credit(
    conn: &Connection,
    customer_id: i64,
    additional_minor: i64,
) -> Result<CreditDecision> {
    check_credit_with_override(conn, customer_id, additional_minor, None)
}

/// As [`check_credit`], but a `block` refusal is let through when `override_by`
/// is a user whose role holds `credit.approve`; the decision names them so the
/// caller's audit row records the override.
pub fn check_credit_with_override(
    conn: &Connection,
    customer_id: i64,
    additional_minor: i64,
    override_by: Option<&Session>,
) -> Result<CreditDecision> {
    if additional_minor < 0 {
        return Err(Error::validation("amount_minor", "must not be negative"));
    }
    let c = get_customer(conn, customer_id)?;
    if c.archived {
        return Err(Error::StateConflict {
            message: format!("customer {} is archived and gets no new credit", c.name),
        });
    }
    let projected = c
        .balance_minor
        .checked_add(additional_minor)
        .ok_or_else(|| Error::validation("amount_minor", "is too large"))?;
    let over = projected.saturating_sub(c.credit_limit_minor).max(0);
    let mut d = CreditDecision {
        customer_id,
        mode: c.credit_mode,
        limit_minor: c.credit_limit_minor,
        balance_minor: c.balance_minor,
        projected_minor: projected,
        over_limit_minor: over,
        warning: false,
        overridden_by: None,
    };
    if over == 0 {
        return Ok(d);
    }
    match c.credit_mode {
        CreditMode::Warn => {
            d.warning = true;
            Ok(d)
        }
        CreditMode::Block => match override_by {
            Some(s) if role_has(s.role, Permission::CreditApprove) => {
                d.overridden_by = Some(s.user_id);
                Ok(d)
            }
            Some(s) => Err(Error::forbidden(format!(
                "a {} may not override a credit limit (needs credit.approve)",
                s.role.as_str()
            ))),
            None => Err(Error::CreditLimit {
                message: format!(
                    "{} would owe {projected}, over the limit of {} by {over}",
                    c.name, c.credit_limit_minor
                ),
            }),
        },
    }
}
