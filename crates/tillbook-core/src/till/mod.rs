//! Shifts at the till, cash in/out, voids and the Z-report (issue 5).
//!
//! # Shifts
//!
//! A cashier opens a shift with the opening float counted into the drawer; it
//! is theirs, and a user has at most one open shift (a unique partial index,
//! so two tills or two processes can't open a second one). Sales and refunds
//! the cashier rings up while it is open are attached to it by
//! [`record_sale`] and [`record_refund`], which checkout and refund call in
//! their own transaction. A sale without an open shift is allowed and simply
//! not attached (the till UI always opens one; back-office and scripted sales
//! need not) — such a sale can't be voided, only refunded.
//!
//! # Cash and the ledger
//!
//! The drawer is account 1000 (Cash), the back office's safe 1030. The float
//! and cash in are posted Dr 1000 / Cr 1030, cash out Dr 1030 / Cr 1000, so at
//! any time the rows say what the drawer should hold:
//!
//! `expected = float + cash sales (kept, i.e. net of change) − cash refunds
//!             + cash in − cash out − cash of voided sales`
//!
//! Closing records the counted cash and `over_short = counted − expected`, and
//! posts one entry: Dr 1030 counted (the drawer goes back to the safe), Cr 1000
//! expected, and the difference Dr 5900 (short) or Cr 5900 (over). A closed
//! shift never changes, and nothing more can be attached to it.
//!
//! # Voids
//!
//! `sales.void` undoes a sale within its still-open shift: a new record
//! (`order_voids`), never an edit of the order (T31). Every unit goes back to
//! the batch it came from (`return` movements, source `void`), and the order's
//! journal entry is reversed with [`ledger::reverse`]. A sale that was
//! refunded, already voided, sold outside a shift or whose shift is closed is
//! refused with `conflict` (refund it instead); a voided sale can't be refunded.
//!
//! # Z-report
//!
//! Computed in SQL from the stored rows, exact to the minor unit: sales (count,
//! totals, tax, discounts, by tender, cash tendered and change), refunds and
//! voids (count, totals, by tender), cash in/out, expected and counted cash and
//! the over/short. `tillbook verify` recomputes each closed shift's expected
//! cash and compares it with what was stored at close ([`drift`]).

use crate::catalog::MAX_AMOUNT_MINOR;
use crate::db::rows::{gapless_drift, next_number, Versioned};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::ledger::{self, codes, JournalEntry, Line};
use crate::shared::access::{role_has, Permission};
use crate::shared::findings::Findings;
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::validate;
use crate::stock::{self, Move, MovementKind, Source};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The counter giving shifts their gapless numbers.
pub const SHIFT_COUNTER: &str = "shifts";
/// Reasons for cash moves and voids are a line on a report, not an essay.
pub const MAX_REASON_CHARS: usize = 200;
/// The most shifts one page of `shifts.list` holds.
pub const LIST_LIMIT_MAX: u32 = 200;

const SHIFTS: Versioned = Versioned {
    table: "shifts",
    entity: "shift",
};

/// What the rows of shift `s` say its drawer holds; one expression used by the
/// close, the Z-report and `verify`, so they can't disagree.
const EXPECTED_CASH_SQL: &str = "(s.opening_float_minor
    + coalesce((SELECT sum(p.amount_minor) FROM shift_orders so
                JOIN payments p ON p.order_id = so.order_id
                WHERE so.shift_id = s.id AND p.tender = 'cash'), 0)
    - coalesce((SELECT sum(rp.amount_minor) FROM shift_refunds sr
                JOIN refund_payments rp ON rp.refund_id = sr.refund_id
                WHERE sr.shift_id = s.id AND rp.tender = 'cash'), 0)
    + coalesce((SELECT sum(m.amount_minor) FROM shift_cash_moves m
                WHERE m.shift_id = s.id AND m.direction = 'in'), 0)
    - coalesce((SELECT sum(m.amount_minor) FROM shift_cash_moves m
                WHERE m.shift_id = s.id AND m.direction = 'out'), 0)
    - coalesce((SELECT sum(p.amount_minor) FROM order_voids v
                JOIN payments p ON p.order_id = v.order_id
                WHERE v.shift_id = s.id AND p.tender = 'cash'), 0))";

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
}

impl Request for CloseRequest {
    fn validate(&self) -> Result<()> {
        validate::id("shift_id", self.shift_id)?;
        validate::version(self.version)?;
        check_amount("counted_cash_minor", self.counted_cash_minor, 0)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftZReportRequest")]
#[serde(deny_unknown_fields)]
pub struct ZReportRequest {
    pub shift_id: i64,
}

impl Request for ZReportRequest {
    fn validate(&self) -> Result<()> {
        validate::id("shift_id", self.shift_id)
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
        if let Some(b) = self.before_id {
            validate::id("before_id", b)?;
        }
        validate::page_limit(self.limit, LIST_LIMIT_MAX)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesVoidRequest")]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    pub order_id: i64,
    /// Why the sale is voided: 1 to 200 characters.
    pub reason: String,
}

impl Request for VoidRequest {
    fn validate(&self) -> Result<()> {
        validate::id("order_id", self.order_id)?;
        validate::text("reason", &self.reason, 1, MAX_REASON_CHARS)
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

/// One tender's share of a Z-report section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftTenderTotal")]
pub struct TenderTotal {
    pub tender: String,
    /// Payments (or refund payments) of this tender.
    pub count: i64,
    pub amount_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "ShiftZReport")]
pub struct ZReport {
    pub shift: ShiftView,
    /// Every sale rung up in the shift, voided ones included.
    pub sales_count: i64,
    pub sales_total_minor: i64,
    pub sales_net_minor: i64,
    pub sales_tax_minor: i64,
    /// Line discounts given (`order_lines.discount_minor`).
    pub sales_discount_minor: i64,
    pub sales_by_tender: Vec<TenderTotal>,
    /// Cash handed over by customers, and the change given back.
    pub cash_tendered_minor: i64,
    pub change_given_minor: i64,
    pub refunds_count: i64,
    pub refunds_total_minor: i64,
    pub refunds_tax_minor: i64,
    pub refunds_by_tender: Vec<TenderTotal>,
    pub voids_count: i64,
    pub voids_total_minor: i64,
    pub voids_tax_minor: i64,
    pub voids_by_tender: Vec<TenderTotal>,
    /// Sales less refunds less voids.
    pub net_sales_minor: i64,
    pub net_tax_minor: i64,
    pub cash_in_count: i64,
    pub cash_in_minor: i64,
    pub cash_out_count: i64,
    pub cash_out_minor: i64,
    pub cash_sales_minor: i64,
    pub cash_refunds_minor: i64,
    pub cash_voids_minor: i64,
    /// float + cash sales − cash refunds + cash in − cash out − cash voids.
    pub expected_cash_minor: i64,
    pub counted_cash_minor: Option<i64>,
    pub over_short_minor: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesVoidBatchView")]
pub struct VoidBatchView {
    pub order_line_batch_id: i64,
    pub batch_id: i64,
    pub movement_id: i64,
    pub quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SalesVoidView")]
pub struct VoidView {
    pub id: i64,
    pub order_id: i64,
    pub order_number: i64,
    pub shift_id: i64,
    pub reason: String,
    pub total_minor: i64,
    /// The cash the sale kept, which leaves the drawer again.
    pub cash_minor: i64,
    pub entry_id: Option<i64>,
    pub user_id: i64,
    pub created_at_ms: i64,
    pub batches: Vec<VoidBatchView>,
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

/// What the rows of shift `id` say its drawer holds now.
pub fn expected_cash(conn: &Connection, id: i64) -> Result<i64> {
    conn.prepare_cached(&format!(
        "SELECT {EXPECTED_CASH_SQL} FROM shifts s WHERE s.id = ?1"
    ))?
    .query_row([id], |r| r.get(0))
    .optional()?
    .ok_or_else(|| Error::not_found("shift", id))
}

// ---------------------------------------------------------------------------
// Hooks for checkout and refunds
// ---------------------------------------------------------------------------

/// Called by `sales.checkout` in its transaction, after the order row is written:
/// ties the order to the cashier's open shift. Returns the shift's id; a sale
/// without an open shift is allowed and stays unattached (see the module docs).
pub fn record_sale(tx: &Tx<'_>, user_id: i64, order_id: i64) -> Result<Option<i64>> {
    let Some(shift) = open_shift_id(tx.conn(), user_id)? else {
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
/// to the refunding user's open shift, if they have one.
pub fn record_refund(tx: &Tx<'_>, user_id: i64, refund_id: i64) -> Result<Option<i64>> {
    let Some(shift) = open_shift_id(tx.conn(), user_id)? else {
        return Ok(None);
    };
    tx.execute(
        "INSERT INTO shift_refunds (shift_id, refund_id) VALUES (?1, ?2)",
        rusqlite::params![shift, refund_id],
    )?;
    Ok(Some(shift))
}

/// Called by `sales.refund` before anything is written: a voided order can't be refunded.
pub fn ensure_not_voided(conn: &Connection, order_id: i64) -> Result<()> {
    let voided: Option<i64> = conn
        .prepare_cached(
            "SELECT o.number FROM order_voids v JOIN orders o ON o.id = v.order_id
             WHERE v.order_id = ?1",
        )?
        .query_row([order_id], |r| r.get(0))
        .optional()?;
    match voided {
        Some(number) => Err(Error::StateConflict {
            message: format!("order {number} was voided; a voided sale can't be refunded"),
        }),
        None => Ok(()),
    }
}

fn open_shift_id(conn: &Connection, user_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM shifts WHERE user_id = ?1 AND status = 'open'")?
        .query_row([user_id], |r| r.get(0))
        .optional()?)
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

/// `shifts.current`: the caller's open shift, or null.
pub fn current(
    ctx: &ReadCtx<'_>,
    conn: &Connection,
    _req: &CurrentRequest,
) -> Result<Option<ShiftView>> {
    let session = ctx
        .session
        .ok_or_else(|| Error::Unauthenticated("log in first".into()))?;
    open_shift_of(conn, session.user_id)
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
    let Some(shift) = open_shift_of(conn, actor.user_id)? else {
        return Err(Error::StateConflict {
            message: "open a shift first: cash moves in or out of your shift's drawer".into(),
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

/// `shifts.z_report`: a cashier reads their own shifts' reports; anyone
/// else's needs `ledger.read`.
pub fn z_report(ctx: &ReadCtx<'_>, conn: &Connection, req: &ZReportRequest) -> Result<ZReport> {
    let session = ctx
        .session
        .ok_or_else(|| Error::Unauthenticated("log in first".into()))?;
    let shift = get_shift(conn, req.shift_id)?;
    if shift.user_id != session.user_id && !role_has(session.role, Permission::LedgerRead) {
        return Err(Error::forbidden(format!(
            "shift {} is another user's; its report needs {}",
            shift.number,
            Permission::LedgerRead.as_str()
        )));
    }
    z_report_of(conn, shift)
}

fn by_tender(conn: &Connection, sql: &str, shift_id: i64) -> Result<Vec<TenderTotal>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map([shift_id], |r| {
        Ok(TenderTotal {
            tender: r.get(0)?,
            count: r.get(1)?,
            amount_minor: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn tender_sum(totals: &[TenderTotal], tender: &str) -> i64 {
    totals
        .iter()
        .filter(|t| t.tender == tender)
        .map(|t| t.amount_minor)
        .sum()
}

/// The Z-report of one shift, summed in SQL from the stored rows.
pub fn z_report_of(conn: &Connection, shift: ShiftView) -> Result<ZReport> {
    let id = shift.id;
    let (sales_count, sales_total, sales_net, sales_tax): (i64, i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(o.total_minor), 0), coalesce(sum(o.net_minor), 0),
                    coalesce(sum(o.tax_minor), 0)
             FROM shift_orders so JOIN orders o ON o.id = so.order_id WHERE so.shift_id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let sales_discount: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(l.discount_minor), 0)
             FROM shift_orders so JOIN order_lines l ON l.order_id = so.order_id
             WHERE so.shift_id = ?1",
        )?
        .query_row([id], |r| r.get(0))?;
    let (cash_tendered, change_given): (i64, i64) = conn
        .prepare_cached(
            "SELECT coalesce(sum(p.tendered_minor), 0), coalesce(sum(p.change_minor), 0)
             FROM shift_orders so JOIN payments p ON p.order_id = so.order_id
             WHERE so.shift_id = ?1 AND p.tender = 'cash'",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let sales_by_tender = by_tender(
        conn,
        "SELECT p.tender, count(*), sum(p.amount_minor)
         FROM shift_orders so JOIN payments p ON p.order_id = so.order_id
         WHERE so.shift_id = ?1 GROUP BY p.tender ORDER BY p.tender",
        id,
    )?;
    let (refunds_count, refunds_total, refunds_tax): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(r.total_minor), 0), coalesce(sum(r.tax_minor), 0)
             FROM shift_refunds sr JOIN refunds r ON r.id = sr.refund_id WHERE sr.shift_id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let refunds_by_tender = by_tender(
        conn,
        "SELECT rp.tender, count(*), sum(rp.amount_minor)
         FROM shift_refunds sr JOIN refund_payments rp ON rp.refund_id = sr.refund_id
         WHERE sr.shift_id = ?1 GROUP BY rp.tender ORDER BY rp.tender",
        id,
    )?;
    let (voids_count, voids_total, voids_tax): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(o.total_minor), 0), coalesce(sum(o.tax_minor), 0)
             FROM order_voids v JOIN orders o ON o.id = v.order_id WHERE v.shift_id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let voids_by_tender = by_tender(
        conn,
        "SELECT p.tender, count(*), sum(p.amount_minor)
         FROM order_voids v JOIN payments p ON p.order_id = v.order_id
         WHERE v.shift_id = ?1 GROUP BY p.tender ORDER BY p.tender",
        id,
    )?;
    let (cash_in_count, cash_in, cash_out_count, cash_out): (i64, i64, i64, i64) = conn
        .prepare_cached(
            "SELECT coalesce(sum(direction = 'in'), 0),
                    coalesce(sum(CASE direction WHEN 'in' THEN amount_minor END), 0),
                    coalesce(sum(direction = 'out'), 0),
                    coalesce(sum(CASE direction WHEN 'out' THEN amount_minor END), 0)
             FROM shift_cash_moves WHERE shift_id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let live_expected = expected_cash(conn, id)?;
    Ok(ZReport {
        sales_count,
        sales_total_minor: sales_total,
        sales_net_minor: sales_net,
        sales_tax_minor: sales_tax,
        sales_discount_minor: sales_discount,
        cash_sales_minor: tender_sum(&sales_by_tender, "cash"),
        sales_by_tender,
        cash_tendered_minor: cash_tendered,
        change_given_minor: change_given,
        refunds_count,
        refunds_total_minor: refunds_total,
        refunds_tax_minor: refunds_tax,
        cash_refunds_minor: tender_sum(&refunds_by_tender, "cash"),
        refunds_by_tender,
        voids_count,
        voids_total_minor: voids_total,
        voids_tax_minor: voids_tax,
        cash_voids_minor: tender_sum(&voids_by_tender, "cash"),
        voids_by_tender,
        net_sales_minor: sales_total - refunds_total - voids_total,
        net_tax_minor: sales_tax - refunds_tax - voids_tax,
        cash_in_count,
        cash_in_minor: cash_in,
        cash_out_count,
        cash_out_minor: cash_out,
        // A closed shift reports what was signed off at close; `verify`
        // proves it still equals what the rows say.
        expected_cash_minor: if shift.status == ShiftStatus::Closed {
            shift.expected_cash_minor
        } else {
            live_expected
        },
        counted_cash_minor: shift.counted_cash_minor,
        over_short_minor: shift.over_short_minor,
        shift,
    })
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
    let (shifts, next_before_id) = crate::shared::handler::keyset_page(
        rows.collect::<rusqlite::Result<Vec<_>>>()?,
        limit,
        |s| s.id,
    );
    Ok(ShiftPage {
        shifts,
        next_before_id,
    })
}

// ---------------------------------------------------------------------------
// Voids
// ---------------------------------------------------------------------------

pub fn get_void(conn: &Connection, id: i64) -> Result<VoidView> {
    let mut v = conn
        .prepare_cached(
            "SELECT v.id, v.order_id, o.number, v.shift_id, v.reason, o.total_minor,
                    coalesce((SELECT sum(amount_minor) FROM payments p
                              WHERE p.order_id = v.order_id AND p.tender = 'cash'), 0),
                    v.entry_id, v.user_id, v.created_at_ms
             FROM order_voids v JOIN orders o ON o.id = v.order_id WHERE v.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(VoidView {
                id: r.get(0)?,
                order_id: r.get(1)?,
                order_number: r.get(2)?,
                shift_id: r.get(3)?,
                reason: r.get(4)?,
                total_minor: r.get(5)?,
                cash_minor: r.get(6)?,
                entry_id: r.get(7)?,
                user_id: r.get(8)?,
                created_at_ms: r.get(9)?,
                batches: Vec::new(),
            })
        })
        .optional()?
        .ok_or_else(|| Error::not_found("void", id))?;
    let mut st = conn.prepare_cached(
        "SELECT order_line_batch_id, batch_id, movement_id, quantity
         FROM order_void_batches WHERE void_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([id], |r| {
        Ok(VoidBatchView {
            order_line_batch_id: r.get(0)?,
            batch_id: r.get(1)?,
            movement_id: r.get(2)?,
            quantity: r.get(3)?,
        })
    })?;
    v.batches = rows.collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

fn conflict(message: String) -> Error {
    Error::StateConflict { message }
}

/// `sales.void`: see the module documentation.
pub fn void(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &VoidRequest) -> Result<VoidView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let (order_number, order_entry): (i64, Option<i64>) = conn
        .prepare_cached("SELECT number, entry_id FROM orders WHERE id = ?1")?
        .query_row([req.order_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::not_found("order", req.order_id))?;
    let voided: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM order_voids WHERE order_id = ?1)")?
        .query_row([req.order_id], |r| r.get(0))?;
    if voided {
        return Err(conflict(format!("order {order_number} is already voided")));
    }
    let refunded: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM refunds WHERE order_id = ?1)")?
        .query_row([req.order_id], |r| r.get(0))?;
    if refunded {
        return Err(conflict(format!(
            "order {order_number} has a refund and can't be voided; refund the rest instead"
        )));
    }
    // An invoice is a document the customer holds: once billed, a sale is
    // corrected by a refund (a credit on the invoice), not made to vanish.
    let invoiced: Option<i64> = conn
        .prepare_cached(
            "SELECT i.number FROM invoice_orders io JOIN invoices i ON i.id = io.invoice_id
              WHERE io.order_id = ?1",
        )?
        .query_row([req.order_id], |r| r.get(0))
        .optional()?;
    if let Some(n) = invoiced {
        return Err(conflict(format!(
            "order {order_number} is on invoice {n} and can't be voided; refund it instead"
        )));
    }
    let shift: Option<(i64, i64, String)> = conn
        .prepare_cached(
            "SELECT s.id, s.number, s.status FROM shift_orders so JOIN shifts s ON s.id = so.shift_id
             WHERE so.order_id = ?1",
        )?
        .query_row([req.order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let shift_id = match shift {
        None => {
            return Err(conflict(format!(
                "order {order_number} was not sold in a shift; refund it instead"
            )))
        }
        Some((_, number, status)) if status != "open" => {
            return Err(conflict(format!(
                "order {order_number} belongs to shift {number}, which is closed; refund it instead"
            )))
        }
        Some((id, _, _)) => id,
    };

    let void_id: i64 = conn.cached_row(
        "SELECT coalesce(max(id), 0) + 1 FROM order_voids",
        [],
        |r| r.get(0),
    )?;
    let source = Source {
        source_type: Some("void".into()),
        source_id: Some(void_id.to_string()),
    };
    let reason = format!("void of order {order_number}: {}", req.reason);
    // Every unit goes back to the batch it was picked from.
    let picks: Vec<(i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT x.id, x.batch_id, x.quantity FROM order_line_batches x
             JOIN order_lines l ON l.id = x.line_id WHERE l.order_id = ?1 ORDER BY x.id",
        )?
        .query_map([req.order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (pick_id, batch_id, qty) in picks {
        let movement_id = stock::move_stock(
            tx,
            &Move {
                batch_id,
                kind: MovementKind::Return,
                quantity: qty,
                reason: &reason,
                user_id: Some(actor.user_id),
                source: source.clone(),
                at_ms: now,
            },
        )?;
        tx.execute(
            "INSERT INTO order_void_batches (void_id, order_line_batch_id, batch_id, movement_id,
                                             quantity)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![void_id, pick_id, batch_id, movement_id, qty],
        )?;
    }
    let entry_id = match order_entry {
        Some(e) => Some(ledger::reverse(
            tx,
            e,
            now,
            &format!("Void of order {order_number}"),
            "order_void",
            void_id,
            actor.user_id,
        )?),
        None => None,
    };
    tx.execute(
        "INSERT INTO order_voids (id, order_id, shift_id, reason, entry_id, user_id, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            void_id,
            req.order_id,
            shift_id,
            req.reason,
            entry_id,
            actor.user_id,
            now
        ],
    )
    // The schema's guards (already voided, refunded, shift closed) re-check the
    // same rules; reaching one here means a racing writer got there first.
    .on_constraint(ConstraintKind::Unique, || {
        conflict(format!("order {order_number} is already voided"))
    })?;
    // The sale never happened: its points and any reward it used go back too.
    crate::loyalty::reverse_for_void(tx, void_id, actor.user_id, now)?;
    let view = get_void(conn, void_id)?;
    ctx.audit(
        "order_void",
        void_id,
        json!({
            "order_id": req.order_id,
            "order_number": order_number,
            "shift_id": shift_id,
            "reason": req.reason,
            "total_minor": view.total_minor,
            "cash_minor": view.cash_minor,
            "entry_id": entry_id,
        }),
    );
    ctx.emit(
        "sale.voided",
        "order",
        req.order_id,
        json!({
            "void_id": void_id,
            "number": order_number,
            "shift_id": shift_id,
            "total_minor": view.total_minor,
            "created_at_ms": now,
        }),
    );
    Ok(view)
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/// Shift and void checks for `tillbook verify`: each closed shift's stored
/// expected cash equal to what its rows say and its close entry equal to the
/// stored counts; float and cash-move entries equal to their amounts; each void
/// reversing its order's entry and returning exactly the units the order took,
/// to the same batches; no voided order refunded; shift numbers gapless.
pub fn drift(conn: &Connection) -> Result<Vec<String>> {
    let mut found = Findings::new(conn, |what, id| format!("{what} (id {id})"));
    // Net debit of `account` on entry `entry` (an expression over e.id).
    let net = |entry: &str, account: &str| {
        format!(
            "coalesce((SELECT sum(l.debit_minor - l.credit_minor) FROM journal_lines l
                       JOIN accounts a ON a.id = l.account_id
                       WHERE l.entry_id = {entry} AND a.code = '{account}'), 0)"
        )
    };
    found.check(
        &format!(
            "SELECT s.id FROM shifts s WHERE s.status = 'closed'
               AND (s.expected_cash_minor IS NOT {EXPECTED_CASH_SQL}
                    OR s.over_short_minor IS NOT s.counted_cash_minor - s.expected_cash_minor)"
        ),
        "closed shift: expected cash or over/short stored at close differs from its rows",
    )?;
    found.check(
        &format!(
            "SELECT s.id FROM shifts s LEFT JOIN journal_entries e ON e.id = s.close_entry_id
             WHERE s.status = 'closed' AND (
                   {} <> s.counted_cash_minor
                OR {} <> -s.expected_cash_minor
                OR {} <> -s.over_short_minor
                OR (e.id IS NULL) <> (s.counted_cash_minor = 0 AND s.expected_cash_minor = 0)
                OR (e.id IS NOT NULL AND (e.source_type <> 'shift_close' OR e.source_id <> s.id)))",
            net("s.close_entry_id", codes::CASH_SAFE),
            net("s.close_entry_id", codes::CASH),
            net("s.close_entry_id", codes::CASH_OVER_SHORT),
        ),
        "closed shift: close entry differs from the counted, expected and over/short cash",
    )?;
    found.check(
        &format!(
            "SELECT s.id FROM shifts s LEFT JOIN journal_entries e ON e.id = s.float_entry_id
             WHERE coalesce(e.total_minor, 0) <> s.opening_float_minor
                OR {} <> s.opening_float_minor
                OR (e.id IS NOT NULL AND (e.source_type <> 'shift' OR e.source_id <> s.id))",
            net("s.float_entry_id", codes::CASH),
        ),
        "shift: opening float differs from its journal entry",
    )?;
    found.check(
        &format!(
            "SELECT m.id FROM shift_cash_moves m LEFT JOIN journal_entries e ON e.id = m.entry_id
             WHERE e.id IS NULL OR e.total_minor <> m.amount_minor
                OR e.source_type <> 'shift_cash_move' OR e.source_id <> m.id
                OR {} <> CASE m.direction WHEN 'in' THEN m.amount_minor ELSE -m.amount_minor END",
            net("m.entry_id", codes::CASH),
        ),
        "cash move differs from its journal entry",
    )?;
    found.check(
        "SELECT v.id FROM order_voids v JOIN orders o ON o.id = v.order_id
         LEFT JOIN journal_entries e ON e.id = v.entry_id
         WHERE (e.id IS NULL) <> (o.entry_id IS NULL)
            OR (e.id IS NOT NULL AND (e.reverses_entry_id IS NOT o.entry_id
                OR e.source_type <> 'order_void' OR e.source_id <> v.id))",
        "void does not reverse its order's journal entry",
    )?;
    found.check(
        "SELECT v.id FROM order_voids v
         WHERE EXISTS (SELECT 1 FROM order_line_batches x JOIN order_lines l ON l.id = x.line_id
                       WHERE l.order_id = v.order_id AND NOT EXISTS (
                           SELECT 1 FROM order_void_batches vb
                           WHERE vb.void_id = v.id AND vb.order_line_batch_id = x.id
                             AND vb.batch_id = x.batch_id AND vb.quantity = x.quantity))
            OR EXISTS (SELECT 1 FROM order_void_batches vb
                       JOIN order_line_batches x ON x.id = vb.order_line_batch_id
                       JOIN order_lines l ON l.id = x.line_id
                       WHERE vb.void_id = v.id AND l.order_id <> v.order_id)",
        "void did not return exactly the units its order took",
    )?;
    found.check(
        "SELECT vb.void_id FROM order_void_batches vb
         LEFT JOIN stock_movements m ON m.id = vb.movement_id
         WHERE m.id IS NULL OR m.kind <> 'return' OR m.batch_id <> vb.batch_id
            OR m.quantity <> vb.quantity OR m.source_type IS NOT 'void'
            OR m.source_id IS NOT CAST(vb.void_id AS TEXT)",
        "void's return differs from its stock movement",
    )?;
    found.check(
        "SELECT m.id FROM stock_movements m WHERE m.source_type = 'void'
           AND NOT EXISTS (SELECT 1 FROM order_void_batches vb WHERE vb.movement_id = m.id)",
        "stock movement of a void belongs to no void",
    )?;
    found.check(
        "SELECT v.id FROM order_voids v
         WHERE NOT EXISTS (SELECT 1 FROM shift_orders so
                           WHERE so.order_id = v.order_id AND so.shift_id = v.shift_id)
            OR EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = v.order_id)",
        "void is outside its order's shift, or its order was refunded",
    )?;
    if let Some(p) = gapless_drift(conn, "shifts", "number", SHIFT_COUNTER)? {
        found.push(p);
    }
    Ok(found.into_problems())
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
        let v = VoidRequest {
            order_id: 1,
            reason: String::new(),
        };
        assert!(v.validate().is_err());
    }
}
