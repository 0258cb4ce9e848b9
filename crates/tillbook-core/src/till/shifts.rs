//! A cashier's shift: open, the current one, cash in and out, close, the
//! list, and the hooks checkout and refunds call.
//!
//! # Shifts
//!
//! A cashier opens a shift with the opening float counted into the drawer; a
//! user has at most one open shift (a unique partial index, so two tills or
//! two processes can't open a second one). Sales and refunds rung up while it
//! is open are attached to the drawer's shift by [`record_sale`] and
//! [`record_refund`], which checkout and refund call in their own transaction:
//! the user's own shift, or on a shared till the one open shift
//! (`super::drawer`). Cash needs a drawer (`super::drawer::require_drawer`);
//! a card-only sale without one is allowed when the settings say so, and
//! stays unattached — such a sale can't be voided, only refunded.
//!
//! # Cash and the ledger
//!
//! The drawer is account 1000 (Cash), the back office's safe 1030. The float
//! and cash in are posted Dr 1000 / Cr 1030, cash out Dr 1030 / Cr 1000, so at
//! any time the rows say what the drawer should hold (the one expression of
//! [`super::z_report`]):
//!
//! `expected = float + cash sales (kept, i.e. net of change) − cash refunds
//!             + cash in − cash out − cash of voided sales`
//!
//! Closing records the counted cash and `over_short = counted − expected`, and
//! posts one entry: Dr 1030 counted (the drawer goes back to the safe), Cr 1000
//! expected, and the difference Dr 5900 (short) or Cr 5900 (over). A closed
//! shift never changes, and nothing more can be attached to it.

use super::drawer::drawer_shift_id;
use super::z_report::{expected_cash, z_report_of, DenominationCount, ZReport, EXPECTED_CASH_SQL};
use crate::catalog::MAX_AMOUNT_MINOR;
use crate::db::rows::{next_number, Versioned};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::ledger::{self, codes, JournalEntry, Line};
use crate::shared::access::{role_has, Permission};
use crate::shared::denominations::DENOMINATIONS_MAX;
use crate::shared::handler::{keyset_page, ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter giving shifts their gapless numbers.
pub const SHIFT_COUNTER: &str = "shifts";
/// Reasons for cash moves and voids are a line on a report, not an essay.
pub const MAX_REASON_CHARS: usize = 200;

const SHIFTS: Versioned = Versioned {
    table: "shifts",
    entity: "shift",
};

fn check_amount(field: &str, v: i64, min: i64) -> Result<()> {
    if !(min..=MAX_AMOUNT_MINOR).contains(&v) {
        return Err(Error::validation(
            field,
            format!("must be {min} to {MAX_AMOUNT_MINOR} minor units, got {v}"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftOpenRequest")]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// The cash counted into the drawer (0 to 10^12 minor units).
    pub opening_float_minor: i64,
}

impl Request for OpenRequest {
    fn validate(&self) -> Result<()> {
        check_amount("opening_float_minor", self.opening_float_minor, 0)
    }
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftCurrentRequest")]
#[serde(deny_unknown_fields)]
pub struct CurrentRequest {}

impl Request for CurrentRequest {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftCashDirection")]
#[serde(rename_all = "snake_case")]
pub enum CashDirection {
    /// Into the drawer (a float top-up from the safe).
    In,
    /// Out of the drawer (to the safe, or a paid-out for supplies).
    Out,
}

impl CashDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            CashDirection::In => "in",
            CashDirection::Out => "out",
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftCashMoveRequest")]
#[serde(deny_unknown_fields)]
pub struct CashMoveRequest {
    pub direction: CashDirection,
    /// 1 to 10^12 minor units.
    pub amount_minor: i64,
    /// 1 to 200 characters.
    pub reason: String,
}

impl Request for CashMoveRequest {
    fn validate(&self) -> Result<()> {
        check_amount("amount_minor", self.amount_minor, 1)?;
        validate::text("reason", &self.reason, 1, MAX_REASON_CHARS)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftCloseRequest")]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    pub shift_id: i64,
    /// The version of the shift the caller read (T11).
    pub version: i64,
    /// The cash counted in the drawer (0 to 10^12 minor units).
    pub counted_cash_minor: i64,
    /// The same count by note and coin (the blind close), at most 16 rows,
    /// each a denomination of the shop's currency at most once; when given,
    /// the rows must come to `counted_cash_minor` exactly. Absent or empty: the
    /// drawer was counted as one amount.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub counts: Option<Vec<DenominationCount>>,
}

impl Request for CloseRequest {
    fn validate(&self) -> Result<()> {
        validate::id("shift_id", self.shift_id)?;
        validate::version(self.version)?;
        check_amount("counted_cash_minor", self.counted_cash_minor, 0)?;
        let counts = self.counts.as_deref().unwrap_or_default();
        if counts.len() > DENOMINATIONS_MAX {
            return Err(Error::validation(
                "counts",
                format!(
                    "at most {DENOMINATIONS_MAX} notes and coins, got {}",
                    counts.len()
                ),
            ));
        }
        let mut sum: i128 = 0;
        for (i, c) in counts.iter().enumerate() {
            if !(1..=100_000_000).contains(&c.denomination_minor) {
                return Err(Error::validation(
                    format!("counts[{i}].denomination_minor"),
                    format!("must be 1 to 100000000, got {}", c.denomination_minor),
                ));
            }
            if !(0..=1_000_000).contains(&c.quantity) {
                return Err(Error::validation(
                    format!("counts[{i}].quantity"),
                    format!("must be 0 to 1000000, got {}", c.quantity),
                ));
            }
            if counts[..i]
                .iter()
                .any(|o| o.denomination_minor == c.denomination_minor)
            {
                return Err(Error::validation(
                    format!("counts[{i}].denomination_minor"),
                    "each note or coin at most once",
                ));
            }
            sum += i128::from(c.denomination_minor) * i128::from(c.quantity);
        }
        if !counts.is_empty() && sum != i128::from(self.counted_cash_minor) {
            return Err(Error::validation(
                "counted_cash_minor",
                format!(
                    "the notes and coins come to {sum}, not {}",
                    self.counted_cash_minor
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftStatus")]
#[serde(rename_all = "snake_case")]
pub enum ShiftStatus {
    Open,
    Closed,
}

impl ShiftStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShiftStatus::Open => "open",
            ShiftStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftListRequest")]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    /// Only this user's shifts.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub user_id: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub status: Option<ShiftStatus>,
    /// Shifts older than this id (the previous page's `next_before_id`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub before_id: Option<i64>,
    /// 1 to 200; 50 when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

impl Request for ListRequest {
    fn validate(&self) -> Result<()> {
        if let Some(u) = self.user_id {
            validate::id("user_id", u)?;
        }
        validate::page(self.before_id, self.limit)
    }
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftView")]
pub struct ShiftView {
    pub id: i64,
    pub number: i64,
    pub user_id: i64,
    pub status: ShiftStatus,
    pub opening_float_minor: i64,
    pub float_entry_id: Option<i64>,
    pub opened_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    pub closed_by: Option<i64>,
    /// What the drawer should hold: as stored at close, or now for an open shift.
    pub expected_cash_minor: i64,
    pub counted_cash_minor: Option<i64>,
    /// counted − expected: positive over, negative short.
    pub over_short_minor: Option<i64>,
    pub close_entry_id: Option<i64>,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftCashMoveView")]
pub struct CashMoveView {
    pub id: i64,
    pub shift_id: i64,
    pub direction: CashDirection,
    pub amount_minor: i64,
    pub reason: String,
    pub entry_id: i64,
    pub user_id: i64,
    pub created_at_ms: i64,
    /// What the drawer should hold after this move.
    pub expected_cash_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftPage")]
pub struct ShiftPage {
    pub shifts: Vec<ShiftView>,
    /// Pass as `before_id` for the next page; absent on the last page.
    pub next_before_id: Option<i64>,
}

const SHIFT_COLUMNS: &str = "s.id, s.number, s.user_id, s.status, s.opening_float_minor,
    s.float_entry_id, s.opened_at_ms, s.closed_at_ms, s.closed_by, s.expected_cash_minor,
    s.counted_cash_minor, s.over_short_minor, s.close_entry_id, s.version";

fn shift_of(r: &Row<'_>) -> rusqlite::Result<ShiftView> {
    let status: String = r.get(3)?;
    let stored_expected: Option<i64> = r.get(9)?;
    Ok(ShiftView {
        id: r.get(0)?,
        number: r.get(1)?,
        user_id: r.get(2)?,
        status: if status == "open" {
            ShiftStatus::Open
        } else {
            ShiftStatus::Closed
        },
        opening_float_minor: r.get(4)?,
        float_entry_id: r.get(5)?,
        opened_at_ms: r.get(6)?,
        closed_at_ms: r.get(7)?,
        closed_by: r.get(8)?,
        // Column 14 is the live expectation, computed only while the shift
        // is open (the CHECKs make exactly one of the two non-null).
        expected_cash_minor: match stored_expected {
            Some(v) => v,
            None => r.get::<_, Option<i64>>(14)?.unwrap_or_default(),
        },
        counted_cash_minor: r.get(10)?,
        over_short_minor: r.get(11)?,
        close_entry_id: r.get(12)?,
        version: r.get(13)?,
    })
}

fn select_shifts(where_and_order: &str) -> String {
    format!(
        "SELECT {SHIFT_COLUMNS}, CASE WHEN s.status = 'open' THEN {EXPECTED_CASH_SQL} END
         FROM shifts s {where_and_order}"
    )
}

pub fn get_shift(conn: &Connection, id: i64) -> Result<ShiftView> {
    conn.prepare_cached(&select_shifts("WHERE s.id = ?1"))?
        .query_row([id], shift_of)
        .optional()?
        .ok_or_else(|| Error::not_found("shift", id))
}

/// The user's open shift, if any.
pub fn open_shift_of(conn: &Connection, user_id: i64) -> Result<Option<ShiftView>> {
    Ok(conn
        .prepare_cached(&select_shifts("WHERE s.user_id = ?1 AND s.status = 'open'"))?
        .query_row([user_id], shift_of)
        .optional()?)
}

// ---------------------------------------------------------------------------
// Hooks for checkout and refunds
// ---------------------------------------------------------------------------

/// Called by `sales.checkout` in its transaction, after the order row is written:
/// ties the order to the drawer's open shift. Returns the shift's id; a
/// card-only sale without a drawer stays unattached (see the module docs).
pub fn record_sale(tx: &Tx<'_>, user_id: i64, order_id: i64) -> Result<Option<i64>> {
    let Some(shift) = drawer_shift_id(tx.conn(), user_id)? else {
        return Ok(None);
    };
    tx.execute(
        "INSERT INTO shift_orders (shift_id, order_id) VALUES (?1, ?2)",
        rusqlite::params![shift, order_id],
    )?;
    Ok(Some(shift))
}

/// Called by `sales.refund` in its transaction, after the refund row is written:
/// the money leaves the drawer of whoever hands it back, so the refund is tied
/// to the refunding user's drawer shift, if there is one.
pub fn record_refund(tx: &Tx<'_>, user_id: i64, refund_id: i64) -> Result<Option<i64>> {
    let Some(shift) = drawer_shift_id(tx.conn(), user_id)? else {
        return Ok(None);
    };
    tx.execute(
        "INSERT INTO shift_refunds (shift_id, refund_id) VALUES (?1, ?2)",
        rusqlite::params![shift, refund_id],
    )?;
    Ok(Some(shift))
}

/// The drawer's open shift for `user_id` (their own, or the shared till's).
pub fn drawer_shift_of(conn: &Connection, user_id: i64) -> Result<Option<ShiftView>> {
    match drawer_shift_id(conn, user_id)? {
        Some(id) => Ok(Some(get_shift(conn, id)?)),
        None => Ok(None),
    }
}

/// Called by `customers.receive_payment` in its transaction for a cash
/// payment: the cash went into the drawer of `shift_id` (from
/// [`super::require_drawer`]), so that drawer's expected cash counts it.
pub fn record_customer_payment(tx: &Tx<'_>, shift_id: Option<i64>, payment_id: i64) -> Result<()> {
    if let Some(shift) = shift_id {
        tx.execute(
            "INSERT INTO shift_customer_payments (shift_id, payment_id) VALUES (?1, ?2)",
            rusqlite::params![shift, payment_id],
        )?;
    }
    Ok(())
}

/// Debits positive, credits negative; zero amounts are left out.
fn signed_lines<'a>(amounts: &[(&'a str, i64)]) -> Vec<Line<'a>> {
    amounts
        .iter()
        .filter(|(_, v)| *v != 0)
        .map(|&(account, v)| {
            if v > 0 {
                Line::debit(account, v, None)
            } else {
                Line::credit(account, -v, None)
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// `shifts.open`
pub fn open(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &OpenRequest) -> Result<ShiftView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    if let Some(open) = open_shift_of(conn, actor.user_id)? {
        return Err(already_open(open.number));
    }
    let shift_id: i64 =
        conn.cached_row("SELECT coalesce(max(id), 0) + 1 FROM shifts", [], |r| {
            r.get(0)
        })?;
    let number = next_number(tx, SHIFT_COUNTER)?;
    let float_entry_id = if req.opening_float_minor > 0 {
        let memo = format!("Opening float, shift {number}");
        Some(ledger::post(
            tx,
            &JournalEntry {
                posted_at_ms: now,
                memo: &memo,
                source_type: "shift",
                source_id: shift_id,
                user_id: actor.user_id,
                reverses_entry_id: None,
                lines: vec![
                    Line::debit(codes::CASH, req.opening_float_minor, None),
                    Line::credit(codes::CASH_SAFE, req.opening_float_minor, None),
                ],
            },
        )?)
    } else {
        None
    };
    tx.execute(
        "INSERT INTO shifts (id, number, user_id, status, opening_float_minor, float_entry_id,
                             opened_at_ms)
         VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6)",
        rusqlite::params![
            shift_id,
            number,
            actor.user_id,
            req.opening_float_minor,
            float_entry_id,
            now
        ],
    )
    // The partial unique index is the lock: only a second open shift can clash.
    .on_constraint(ConstraintKind::Unique, || already_open(number))?;
    ctx.audit(
        "shift",
        shift_id,
        json!({
            "number": number,
            "opening_float_minor": req.opening_float_minor,
            "float_entry_id": float_entry_id,
        }),
    );
    ctx.emit(
        "shift.opened",
        "shift",
        shift_id,
        json!({
            "number": number,
            "user_id": actor.user_id,
            "opening_float_minor": req.opening_float_minor,
            "opened_at_ms": now,
        }),
    );
    get_shift(conn, shift_id)
}

fn already_open(number: i64) -> Error {
    Error::StateConflict {
        message: format!("you already have shift {number} open; close it before opening another"),
    }
}

/// `shifts.current`: the open shift whose drawer takes the caller's cash
/// (their own, or the shared till's), or null.
pub fn current(
    ctx: &ReadCtx<'_>,
    conn: &Connection,
    _req: &CurrentRequest,
) -> Result<Option<ShiftView>> {
    let session = ctx
        .session
        .ok_or_else(|| Error::Unauthenticated("log in first".into()))?;
    drawer_shift_of(conn, session.user_id)
}

/// `shifts.cash_move`: cash into or out of the caller's open shift's drawer.
pub fn cash_move(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CashMoveRequest,
) -> Result<CashMoveView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let Some(shift) = drawer_shift_of(conn, actor.user_id)? else {
        return Err(Error::StateConflict {
            message: "open a shift first: cash moves in or out of the shift's drawer".into(),
        });
    };
    if req.direction == CashDirection::Out && req.amount_minor > shift.expected_cash_minor {
        return Err(Error::validation(
            "amount_minor",
            format!(
                "the drawer should hold {}, not enough to take out {}",
                shift.expected_cash_minor, req.amount_minor
            ),
        ));
    }
    let move_id: i64 = conn.cached_row(
        "SELECT coalesce(max(id), 0) + 1 FROM shift_cash_moves",
        [],
        |r| r.get(0),
    )?;
    let (debit, credit) = match req.direction {
        CashDirection::In => (codes::CASH, codes::CASH_SAFE),
        CashDirection::Out => (codes::CASH_SAFE, codes::CASH),
    };
    let memo = format!("Cash {}, shift {}", req.direction.as_str(), shift.number);
    let entry_id = ledger::post(
        tx,
        &JournalEntry {
            posted_at_ms: now,
            memo: &memo,
            source_type: "shift_cash_move",
            source_id: move_id,
            user_id: actor.user_id,
            reverses_entry_id: None,
            lines: vec![
                Line::debit(debit, req.amount_minor, None),
                Line::credit(credit, req.amount_minor, None),
            ],
        },
    )?;
    tx.execute(
        "INSERT INTO shift_cash_moves (id, shift_id, direction, amount_minor, reason, entry_id,
                                       user_id, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            move_id,
            shift.id,
            req.direction.as_str(),
            req.amount_minor,
            req.reason,
            entry_id,
            actor.user_id,
            now
        ],
    )?;
    let expected = expected_cash(conn, shift.id)?;
    ctx.audit(
        "shift_cash_move",
        move_id,
        json!({
            "shift_id": shift.id,
            "shift_number": shift.number,
            "direction": req.direction.as_str(),
            "amount_minor": req.amount_minor,
            "reason": req.reason,
            "entry_id": entry_id,
        }),
    );
    ctx.emit(
        "shift.cash_moved",
        "shift",
        shift.id,
        json!({
            "cash_move_id": move_id,
            "direction": req.direction.as_str(),
            "amount_minor": req.amount_minor,
            "created_at_ms": now,
        }),
    );
    Ok(CashMoveView {
        id: move_id,
        shift_id: shift.id,
        direction: req.direction,
        amount_minor: req.amount_minor,
        reason: req.reason.clone(),
        entry_id,
        user_id: actor.user_id,
        created_at_ms: now,
        expected_cash_minor: expected,
    })
}

/// `shifts.close`: records the counted cash and the over/short, posts the
/// close, and answers the shift's Z-report. Only the shift's cashier closes
/// it, or a user who may void sales (a manager closing a drawer left open).
pub fn close(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &CloseRequest) -> Result<ZReport> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let shift = get_shift(conn, req.shift_id)?;
    if shift.user_id != actor.user_id && !role_has(actor.role, Permission::SalesVoid) {
        return Err(Error::forbidden(format!(
            "shift {} is another user's; closing it needs {}",
            shift.number,
            Permission::SalesVoid.as_str()
        )));
    }
    if shift.status == ShiftStatus::Closed {
        return Err(Error::StateConflict {
            message: format!("shift {} is already closed", shift.number),
        });
    }
    if shift.version != req.version {
        return Err(Error::Conflict {
            entity: SHIFTS.entity,
            id: shift.id.to_string(),
            expected: req.version,
        });
    }
    write_counts(
        tx,
        conn,
        shift.id,
        req.counts.as_deref().unwrap_or_default(),
    )?;
    let expected = expected_cash(conn, shift.id)?;
    let counted = req.counted_cash_minor;
    let over_short = counted - expected;
    // The drawer goes back to the safe; the difference is over or short.
    let lines = signed_lines(&[
        (codes::CASH_SAFE, counted),
        (codes::CASH, -expected),
        (codes::CASH_OVER_SHORT, -over_short),
    ]);
    let close_entry_id = if lines.is_empty() {
        None
    } else {
        let memo = format!("Close of shift {}", shift.number);
        Some(ledger::post(
            tx,
            &JournalEntry {
                posted_at_ms: now,
                memo: &memo,
                source_type: "shift_close",
                source_id: shift.id,
                user_id: actor.user_id,
                reverses_entry_id: None,
                lines,
            },
        )?)
    };
    SHIFTS.update(
        tx,
        shift.id,
        req.version,
        &[
            ("status", &"closed"),
            ("closed_at_ms", &now),
            ("closed_by", &actor.user_id),
            ("expected_cash_minor", &expected),
            ("counted_cash_minor", &counted),
            ("over_short_minor", &over_short),
            ("close_entry_id", &close_entry_id),
        ],
    )?;
    ctx.audit(
        "shift",
        shift.id,
        json!({
            "number": shift.number,
            "shift_user_id": shift.user_id,
            "expected_cash_minor": expected,
            "counted_cash_minor": counted,
            "over_short_minor": over_short,
            "close_entry_id": close_entry_id,
        }),
    );
    ctx.emit(
        "shift.closed",
        "shift",
        shift.id,
        json!({
            "number": shift.number,
            "user_id": shift.user_id,
            "expected_cash_minor": expected,
            "counted_cash_minor": counted,
            "over_short_minor": over_short,
            "closed_at_ms": now,
        }),
    );
    z_report_of(conn, get_shift(conn, shift.id)?)
}

/// The blind close's count, by note and coin of the shop's currency; the
/// notes counted as none are not stored.
fn write_counts(
    tx: &Tx<'_>,
    conn: &Connection,
    shift_id: i64,
    counts: &[DenominationCount],
) -> Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let shop = crate::identity::setup::load_shop(conn)?
        .ok_or_else(|| Error::internal("the shop is not set up"))?;
    for (i, c) in counts.iter().enumerate() {
        if !shop.denominations_minor.contains(&c.denomination_minor) {
            return Err(Error::validation(
                format!("counts[{i}].denomination_minor"),
                format!(
                    "{} is not a note or coin of {}",
                    c.denomination_minor, shop.currency_code
                ),
            ));
        }
        if c.quantity > 0 {
            tx.execute(
                "INSERT INTO shift_close_counts (shift_id, denomination_minor, quantity)
                 VALUES (?1, ?2, ?3)",
                rusqlite::params![shift_id, c.denomination_minor, c.quantity],
            )?;
        }
    }
    Ok(())
}

/// `shifts.list`: newest first, filtered and paged in SQL (T27).
pub fn list(_ctx: &ReadCtx<'_>, conn: &Connection, req: &ListRequest) -> Result<ShiftPage> {
    let limit = req.limit.unwrap_or(50);
    let mut st = conn.prepare_cached(&select_shifts(
        "WHERE (?1 IS NULL OR s.user_id = ?1) AND (?2 IS NULL OR s.status = ?2) AND s.id < ?3
         ORDER BY s.id DESC LIMIT ?4",
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            req.user_id,
            req.status.map(ShiftStatus::as_str),
            req.before_id.unwrap_or(i64::MAX),
            i64::from(limit) + 1
        ],
        shift_of,
    )?;
    let (shifts, next_before_id) =
        keyset_page(rows.collect::<rusqlite::Result<Vec<_>>>()?, limit, |s| s.id);
    Ok(ShiftPage {
        shifts,
        next_before_id,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signed_lines_balance_and_skip_zeros() {
        // Short by 30: 970 counted of 1000 expected.
        let lines = signed_lines(&[
            (codes::CASH_SAFE, 970),
            (codes::CASH, -1000),
            (codes::CASH_OVER_SHORT, 30),
        ]);
        assert_eq!(lines.len(), 3);
        let d: i64 = lines.iter().map(|l| l.debit_minor).sum();
        let c: i64 = lines.iter().map(|l| l.credit_minor).sum();
        assert_eq!((d, c), (1000, 1000));
        // Exact: no over/short line.
        let exact = signed_lines(&[
            (codes::CASH_SAFE, 500),
            (codes::CASH, -500),
            (codes::CASH_OVER_SHORT, 0),
        ]);
        assert_eq!(exact.len(), 2);
        assert!(signed_lines(&[(codes::CASH, 0)]).is_empty());
    }

    #[test]
    fn t35_requests_refuse_unknown_fields_and_bad_values() {
        assert!(
            serde_json::from_str::<OpenRequest>(r#"{"opening_float_minor":1,"user_id":2}"#)
                .is_err()
        );
        let bad = OpenRequest {
            opening_float_minor: -1,
        };
        assert!(bad.validate().is_err());
        let m = CashMoveRequest {
            direction: CashDirection::Out,
            amount_minor: 0,
            reason: "x".into(),
        };
        assert!(m.validate().is_err());
        let m = CashMoveRequest {
            direction: CashDirection::In,
            amount_minor: 5,
            reason: "a".repeat(201),
        };
        assert!(m.validate().is_err());
    }
}
