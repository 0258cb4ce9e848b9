//! Customers: contacts, credit limits and enforcement (T21, T29); archived,
//! never deleted (T22). The balance a customer owes is summed from the ledger's
//! accounts-receivable lines, never kept as a total of its own.
//!
//! Credit approval (T21): raising a limit above
//! `settings.credit_approval_threshold_minor` needs a second, different, active
//! user holding `credit.approve`. The request carries that approver's username
//! and password, verified inside the same transaction; the audit row is the
//! requesting user's and its summary names the approver (`approved_by`).

use crate::db::Tx;
use crate::error::{Error, Result};
use crate::ledger;
use crate::parties::{self, ContactsRequest, SearchRequest, UpdateContactsRequest};
use crate::shared::access::{role_has, Permission};
use crate::shared::handler::{IdRequest, IdVersionRequest, ReadCtx, Request, Session, WriteCtx};
use crate::shared::validate::{self, Secret};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The most a credit limit can be (about 21 million in a 2-decimal currency).
pub const CREDIT_LIMIT_MAX_MINOR: i64 = i32::MAX as i64;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
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
#[ts(export)]
pub struct CustomerView {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tax_id: Option<String>,
    pub notes: String,
    pub credit_limit_minor: i64,
    pub credit_mode: CreditMode,
    /// Accounts receivable owed by this customer, summed from the ledger.
    pub balance_minor: i64,
    /// Store credit the shop owes this customer (refunds to store credit, less
    /// what was spent at the till), summed from the ledger.
    pub store_credit_minor: i64,
    pub archived: bool,
    pub version: i64,
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
        store_credit_minor: 0,
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
    with_balances(conn, &mut c)?;
    Ok(c)
}

fn with_balances(conn: &Connection, c: &mut CustomerView) -> Result<()> {
    c.balance_minor = ledger::customer_balance(conn, c.id)?;
    c.store_credit_minor = ledger::customer_store_credit(conn, c.id)?;
    Ok(())
}

/// `customers.create`: a new customer with no credit (limit 0, mode `block`).
pub fn create(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &ContactsRequest) -> Result<CustomerView> {
    let id = parties::insert(ctx, tx, &parties::CUSTOMERS, req)?;
    get_customer(tx.conn(), id)
}

/// `customers.update`: replaces the contact details (absent = cleared) against
/// the version read. Credit is changed only by `customers.set_credit`.
pub fn update(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &UpdateContactsRequest,
) -> Result<CustomerView> {
    parties::update(ctx, tx, &parties::CUSTOMERS, req)?;
    get_customer(tx.conn(), req.id)
}

/// `customers.archive`: hidden from search and refused for new credit; every
/// ledger line naming the customer stays (T22).
pub fn archive(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &IdVersionRequest,
) -> Result<CustomerView> {
    let balance = ledger::customer_balance(tx.conn(), req.id)?;
    parties::archive(ctx, tx, &parties::CUSTOMERS, req, balance)?;
    get_customer(tx.conn(), req.id)
}

/// `customers.get`
pub fn get(_ctx: &ReadCtx<'_>, conn: &Connection, req: &IdRequest) -> Result<CustomerView> {
    get_customer(conn, req.id)
}

/// Fewer digits than this are not looked up as a phone number (every number
/// starts with "0").
const PHONE_MIN_DIGITS: usize = 3;

/// The digits of a query that is a phone number as typed ("07700 900",
/// "+44 7700"): only digits and separators, at least [`PHONE_MIN_DIGITS`].
fn phone_digits(query: &str) -> Option<String> {
    let q = query.trim();
    if !q
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '+' | '.'))
    {
        return None;
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= PHONE_MIN_DIGITS).then_some(digits)
}

/// `s` with LIKE's wildcards escaped (`\` is the escape).
fn like_escaped(s: &str) -> String {
    let mut p = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p
}

/// `customers.search`: `prefix` is what the cashier typed, matched against
/// any part of the name ("patel" finds "Priya Patel"), any run of the phone
/// number's digits however either was typed ("07700", "0770 0900", "020 7946"
/// finds "+44 (0)20-7946 0000") and the start of the email; an empty query
/// lists everyone. In name order, keyset-paged.
///
/// A scan of the customers in name order (the `customers_name` index) that
/// stops at the page's limit, comparing the phone digits and folded email
/// that migration 0018's `customer_search` keeps (triggers): a common query
/// ends early, a rare one reads the table once (docs/BENCHMARKS.md, customer
/// search). No index serves "any part of" a name or a number.
pub fn search(
    _ctx: &ReadCtx<'_>,
    conn: &Connection,
    req: &SearchRequest,
) -> Result<Vec<CustomerView>> {
    let query = req.prefix.trim();
    let digits = phone_digits(query);
    // '~' sorts after every character an email starts with in practice, so
    // `>= q AND < q || '~'` is the prefix range, case folded.
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM customers
         LEFT JOIN customer_search cs ON cs.customer_id = customers.id
         WHERE (?1 = '' OR name LIKE '%' || ?2 || '%' ESCAPE '\\'
                OR (?3 IS NOT NULL AND instr(cs.phone_digits, ?3) > 0)
                OR (cs.email_lower >= lower(?1) AND cs.email_lower < lower(?1) || '~'))
           AND (?4 OR archived_at_ms IS NULL)
           AND (?5 IS NULL OR (name, id) > (?5, ?6))
         ORDER BY name, id LIMIT ?7"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            query,
            like_escaped(query),
            digits,
            req.include_archived,
            req.after_name,
            req.after_id,
            req.limit.unwrap_or(50)
        ],
        view_of,
    )?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for c in &mut out {
        with_balances(conn, c)?;
    }
    Ok(out)
}

/// A second user's credentials, approving a credit change (T21).
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "CreditApprover")]
#[serde(deny_unknown_fields)]
pub struct Approver {
    pub username: String,
    #[ts(type = "string")]
    pub password: Secret,
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct SetCreditRequest {
    pub id: i64,
    pub version: i64,
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
pub(crate) fn verify_approver(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    actor: &Session,
    approver: &Approver,
) -> Result<Option<(i64, String)>> {
    let Some((id, username, role)) = crate::identity::auth::verify_second_user(
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

/// The refusal of a raise above the threshold without an approver, in the
/// shop's currency, saying how a shop with one owner proceeds: there is no
/// second person to sign, so the owner raises the threshold in Settings (an
/// audited change of its own) and sets the limit again — T21 still holds for
/// every raise above whatever the threshold is.
fn approval_needed(conn: &Connection, threshold_minor: i64) -> Result<Error> {
    let amount = match crate::identity::setup::load_shop(conn)? {
        Some(shop) => {
            match crate::shared::money::Currency::new(&shop.currency_code, shop.currency_scale) {
                Ok(c) => format!(
                    "{} {}",
                    crate::shared::money::Money::from_minor(threshold_minor).display(&c),
                    c.code()
                ),
                Err(_) => threshold_minor.to_string(),
            }
        }
        None => threshold_minor.to_string(),
    };
    Ok(Error::validation(
        "approver",
        format!(
            "a credit limit above {amount} needs a second person who may approve credit (an owner or manager) to sign it; \
             if you run the shop alone, raise the approval threshold in Settings (the change is recorded) and set the limit again"
        ),
    ))
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
        (None, true) => return Err(approval_needed(tx.conn(), threshold)?),
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
    parties::CUSTOMERS.versioned.update(
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
#[ts(export)]
pub struct CreditDecision {
    pub customer_id: i64,
    pub mode: CreditMode,
    pub limit_minor: i64,
    pub balance_minor: i64,
    /// The balance once the additional amount is on account.
    pub projected_minor: i64,
    /// How far `projected_minor` is over the limit (0 when within it).
    pub over_limit_minor: i64,
    /// True in `warn` mode when over the limit: allowed, but the till must say so.
    pub warning: bool,
    /// The user whose `credit.approve` let a `block` refusal through; the caller
    /// puts the decision in its audit summary (T29).
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
    let (d, name) = evaluate(conn, customer_id, additional_minor)?;
    if d.over_limit_minor == 0 || d.mode == CreditMode::Warn {
        return Ok(d);
    }
    match override_by {
        Some(s) if role_has(s.role, Permission::CreditApprove) => Ok(CreditDecision {
            overridden_by: Some(s.user_id),
            ..d
        }),
        Some(s) => Err(Error::forbidden(format!(
            "a {} may not override a credit limit (needs credit.approve)",
            s.role.as_str()
        ))),
        None => Err(blocked(&d, &name)),
    }
}

/// For checkout: `approver_id` passed [`verify_approver`] (their password and
/// `credit.approve`, checked in this transaction), so a `block` refusal is let
/// through and names them.
pub(crate) fn check_credit_approved(
    conn: &Connection,
    customer_id: i64,
    additional_minor: i64,
    approver_id: i64,
) -> Result<CreditDecision> {
    let (d, _) = evaluate(conn, customer_id, additional_minor)?;
    let over_a_block = d.over_limit_minor > 0 && d.mode == CreditMode::Block;
    Ok(CreditDecision {
        overridden_by: over_a_block.then_some(approver_id),
        ..d
    })
}

fn blocked(d: &CreditDecision, name: &str) -> Error {
    Error::CreditLimit {
        message: format!(
            "{name} would owe {}, over the limit of {} by {}",
            d.projected_minor, d.limit_minor, d.over_limit_minor
        ),
        customer: Some(name.to_string()),
        limit_minor: Some(d.limit_minor),
        over_by_minor: Some(d.over_limit_minor),
    }
}

/// Where `additional_minor` more on account would leave the customer, with
/// `warning` set for `warn` mode; enforcing `block` is the caller's part.
fn evaluate(
    conn: &Connection,
    customer_id: i64,
    additional_minor: i64,
) -> Result<(CreditDecision, String)> {
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
    let d = CreditDecision {
        customer_id,
        mode: c.credit_mode,
        limit_minor: c.credit_limit_minor,
        balance_minor: c.balance_minor,
        projected_minor: projected,
        over_limit_minor: over,
        warning: over > 0 && c.credit_mode == CreditMode::Warn,
        overridden_by: None,
    };
    Ok((d, c.name))
}

#[cfg(test)]
mod search_tests {
    use super::*;

    #[test]
    fn a_query_of_digits_and_separators_is_a_phone_number() {
        assert_eq!(phone_digits("07700"), Some("07700".into()));
        assert_eq!(phone_digits(" 07700 900-1 "), Some("077009001".into()));
        assert_eq!(phone_digits("+44 (0)7700"), Some("4407700".into()));
        assert_eq!(phone_digits("07"), None);
        assert_eq!(phone_digits("patel"), None);
        assert_eq!(phone_digits("flat 12"), None);
        assert_eq!(like_escaped("50%_off"), "50\\%\\_off");
    }
}
