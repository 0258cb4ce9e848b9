//! `shifts.no_sale`: the cash drawer opened without a sale, with a reason.
//! It moves no money, so it posts nothing; it is kept per shift and audited so
//! the owner sees every drawer open that was not a sale. A cashier lacks
//! `drawer.open`, so a manager approves each one on the spot (T39).

use super::shifts::{drawer_shift_of, MAX_REASON_CHARS};
use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::shared::handler::{Request, WriteCtx};
use crate::shared::validate;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct NoSaleRequest {
    /// Why the drawer is opened (1 to 200 characters), e.g. "change for a £20 note".
    pub reason: String,
}

impl Request for NoSaleRequest {
    fn validate(&self) -> Result<()> {
        validate::text("reason", &self.reason, 1, MAX_REASON_CHARS)
    }
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct NoSaleView {
    pub id: i64,
    pub shift_id: i64,
    pub shift_number: i64,
    pub reason: String,
    pub user_id: i64,
    pub created_at_ms: i64,
}

/// Records a no-sale in the drawer the user's cash would go to (their own open
/// shift, else the shop's one open shift); refused when no drawer is open.
pub fn no_sale(ctx: &mut WriteCtx<'_>, tx: &Tx<'_>, req: &NoSaleRequest) -> Result<NoSaleView> {
    let actor = ctx.actor()?;
    let now = ctx.now_ms;
    let conn = tx.conn();
    let Some(shift) = drawer_shift_of(conn, actor.user_id)? else {
        return Err(Error::StateConflict {
            message: "No shift is open, so there is no drawer to open: open a shift first".into(),
        });
    };
    let id: i64 = conn.cached_row(
        "SELECT coalesce(max(id), 0) + 1 FROM shift_no_sales",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO shift_no_sales (id, shift_id, reason, user_id, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![id, shift.id, req.reason, actor.user_id, now],
    )?;
    ctx.audit(
        "shift_no_sale",
        id,
        json!({ "shift_id": shift.id, "shift_number": shift.number, "reason": req.reason }),
    );
    ctx.emit(
        "shift.no_sale",
        "shift",
        shift.id,
        json!({ "no_sale_id": id, "created_at_ms": now }),
    );
    Ok(NoSaleView {
        id,
        shift_id: shift.id,
        shift_number: shift.number,
        reason: req.reason.clone(),
        user_id: actor.user_id,
        created_at_ms: now,
    })
}
