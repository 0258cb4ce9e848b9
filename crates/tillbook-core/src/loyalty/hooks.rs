//! Hooks run inside `sales.checkout`, `sales.refund` and `sales.void`.

use crate::db::{CachedRow, Tx};
use crate::error::{Error, Result};
use crate::identity::setup::load_shop;
use crate::loyalty::config::load_config;
use crate::loyalty::points::{balance, expires_at, move_points, mul_div, NewMovement};
use rusqlite::{Connection, OptionalExtension};

/// Called by `sales.checkout` in its transaction, after the order and its lines
/// are written: earns the customer's points for the sale (see the module docs).
pub fn earn_for_order(tx: &Tx<'_>, order_id: i64, user_id: i64, now_ms: i64) -> Result<()> {
    let conn = tx.conn();
    let customer: Option<Option<i64>> = conn
        .cached_row(
            "SELECT customer_id FROM orders WHERE id = ?1",
            [order_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(Some(customer_id)) = customer else {
        return Ok(());
    };
    let cfg = load_config(conn)?;
    if cfg.points_per_unit == 0 {
        return Ok(());
    }
    let scale = load_shop(conn)?
        .ok_or_else(|| Error::not_found("shop", 1))?
        .currency_scale;
    let unit = 10i64.pow(scale);
    let lines: Vec<(i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT l.id, l.net_minor, coalesce(m.multiplier_bp, 10000)
             FROM order_lines l JOIN products p ON p.id = l.product_id
             LEFT JOIN loyalty_category_multipliers m ON m.category = p.category
             WHERE l.order_id = ?1
               AND NOT EXISTS (SELECT 1 FROM loyalty_excluded_products x WHERE x.product_id = l.product_id)
             ORDER BY l.line_no",
        )?
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let eligible: i64 = lines.iter().map(|(_, net, _)| net).sum();
    if eligible == 0 || eligible < cfg.min_spend_minor {
        return Ok(());
    }
    let earned: Vec<(i64, i64, i64, i64)> = lines
        .into_iter()
        .map(|(id, net, mult)| {
            let points = mul_div(net, cfg.points_per_unit * mult, unit * 10_000);
            (id, net, mult, points)
        })
        .filter(|(.., p)| *p > 0)
        .collect();
    let total: i64 = earned.iter().map(|(.., p)| p).sum();
    if total == 0 {
        return Ok(());
    }
    let number: i64 =
        conn.cached_row("SELECT number FROM orders WHERE id = ?1", [order_id], |r| {
            r.get(0)
        })?;
    let (movement_id, _) = move_points(
        tx,
        &NewMovement {
            customer_id,
            kind: "earn",
            points: total,
            expires_at_ms: expires_at(&cfg, now_ms),
            order_id: Some(order_id),
            ..NewMovement::default()
        },
        &format!("loyalty points earned on order {number}"),
        user_id,
        now_ms,
    )?;
    for (line_id, net, mult, points) in earned {
        tx.execute(
            "INSERT INTO loyalty_earn_lines (movement_id, order_line_id, eligible_net_minor,
                                             multiplier_bp, points)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![movement_id, line_id, net, mult, points],
        )?;
    }
    Ok(())
}

/// What takes points back: a refund or a void of the sale that earned them.
#[derive(Clone, Copy)]
pub(super) enum Undo {
    Refund { id: i64, number: i64 },
    Void { id: i64 },
}

impl Undo {
    fn label(self) -> String {
        match self {
            Undo::Refund { number, .. } => format!("refund {number}"),
            Undo::Void { id } => format!("void {id}"),
        }
    }

    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Undo::Refund { id, .. } => (Some(id), None),
            Undo::Void { id } => (None, Some(id)),
        }
    }
}

/// Takes back `due` earned points from `customer_id` for `undo`, at most their
/// balance (the debt policy: the rest is written off), and records both.
pub(super) fn take_back(
    tx: &Tx<'_>,
    undo: Undo,
    customer_id: i64,
    due: i64,
    user_id: i64,
    now_ms: i64,
) -> Result<()> {
    if due <= 0 {
        return Ok(());
    }
    let (refund_id, void_id) = undo.ids();
    let taken = due.min(balance(tx.conn(), customer_id)?);
    let movement_id = if taken > 0 {
        Some(
            move_points(
                tx,
                &NewMovement {
                    customer_id,
                    kind: "reverse",
                    points: -taken,
                    refund_id,
                    void_id,
                    ..NewMovement::default()
                },
                &format!("loyalty points taken back by {}", undo.label()),
                user_id,
                now_ms,
            )?
            .0,
        )
    } else {
        None
    };
    tx.execute(
        "INSERT INTO loyalty_reversals (refund_id, void_id, customer_id, points_due,
                                        points_taken, movement_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![refund_id, void_id, customer_id, due, taken, movement_id],
    )?;
    Ok(())
}

/// Gives back `points` of claim `claim_id` for `undo`.
pub(super) fn return_claim(
    tx: &Tx<'_>,
    undo: Undo,
    claim_id: i64,
    customer_id: i64,
    points: i64,
    user_id: i64,
    now_ms: i64,
) -> Result<()> {
    if points <= 0 {
        return Ok(());
    }
    let (refund_id, void_id) = undo.ids();
    let cfg = load_config(tx.conn())?;
    move_points(
        tx,
        &NewMovement {
            customer_id,
            kind: "return",
            points,
            expires_at_ms: expires_at(&cfg, now_ms),
            refund_id,
            void_id,
            claim_id: Some(claim_id),
            ..NewMovement::default()
        },
        &format!(
            "loyalty points of claim {claim_id} returned by {}",
            undo.label()
        ),
        user_id,
        now_ms,
    )?;
    Ok(())
}

/// The claims redeemed on an order: (claim id, customer id, points).
pub(super) fn claims_redeemed_on(conn: &Connection, order_id: i64) -> Result<Vec<(i64, i64, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT c.id, c.customer_id, c.points FROM loyalty_redemptions r
             JOIN loyalty_claims c ON c.id = r.claim_id
             WHERE r.order_id = ?1 ORDER BY c.id",
        )?
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Called by `sales.refund` in its transaction, after the refund and its lines
/// are written: takes back the points earned on the refunded lines, and gives
/// back the points of claims redeemed on the order (see the module docs).
pub fn reverse_for_refund(tx: &Tx<'_>, refund_id: i64, user_id: i64, now_ms: i64) -> Result<()> {
    let conn = tx.conn();
    let Some((order_id, number)) = conn
        .cached_row(
            "SELECT order_id, number FROM refunds WHERE id = ?1",
            [refund_id],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .optional()?
    else {
        return Err(Error::internal(format!(
            "refund {refund_id} is not written yet"
        )));
    };
    let undo = Undo::Refund {
        id: refund_id,
        number,
    };

    // Earned points on the refunded lines, cumulatively per line:
    // (points, sold, refunded now, refunded so far including now, customer).
    let lines: Vec<(i64, i64, i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT e.points, o.quantity, rl.quantity,
                    (SELECT coalesce(sum(quantity), 0) FROM refund_lines x
                     WHERE x.order_line_id = rl.order_line_id),
                    m.customer_id
             FROM refund_lines rl
             JOIN order_lines o ON o.id = rl.order_line_id
             JOIN loyalty_earn_lines e ON e.order_line_id = rl.order_line_id
             JOIN loyalty_movements m ON m.id = e.movement_id
             WHERE rl.refund_id = ?1",
        )?
        .query_map([refund_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(customer_id) = lines.first().map(|l| l.4) {
        let due: i64 = lines
            .iter()
            .map(|(points, qty, this, after, _)| {
                let before = after - this;
                mul_div(*points, *after, *qty) - mul_div(*points, before, *qty)
            })
            .sum();
        take_back(tx, undo, customer_id, due, user_id, now_ms)?;
    }

    // Points of claims redeemed on this order, in proportion to refunded units.
    let claims = claims_redeemed_on(conn, order_id)?;
    if claims.is_empty() {
        return Ok(());
    }
    let (units, refunded_after, this): (i64, i64, i64) = conn.cached_row(
        "SELECT (SELECT sum(quantity) FROM order_lines WHERE order_id = ?1),
                (SELECT coalesce(sum(rl.quantity), 0) FROM refund_lines rl
                 JOIN refunds r ON r.id = rl.refund_id WHERE r.order_id = ?1),
                (SELECT coalesce(sum(quantity), 0) FROM refund_lines WHERE refund_id = ?2)",
        rusqlite::params![order_id, refund_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let before = refunded_after - this;
    for (claim_id, customer_id, points) in claims {
        let back = mul_div(points, refunded_after, units) - mul_div(points, before, units);
        return_claim(tx, undo, claim_id, customer_id, back, user_id, now_ms)?;
    }
    Ok(())
}

/// For `sales.void`, in its transaction after the void row (`order_voids`) is
/// written: takes back whatever the voided sale earned that refunds have not
/// already taken back (never below zero, as for refunds), and gives back
/// whatever is left of the points of claims redeemed on it.
pub fn reverse_for_void(tx: &Tx<'_>, void_id: i64, user_id: i64, now_ms: i64) -> Result<()> {
    let conn = tx.conn();
    let Some(order_id) = conn
        .cached_row(
            "SELECT order_id FROM order_voids WHERE id = ?1",
            [void_id],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
    else {
        return Err(Error::internal(format!(
            "void {void_id} is not written yet"
        )));
    };
    let undo = Undo::Void { id: void_id };
    let earned: Option<(i64, i64)> = conn
        .cached_row(
            "SELECT customer_id, points FROM loyalty_movements WHERE kind = 'earn' AND order_id = ?1",
            [order_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((customer_id, points)) = earned {
        let already: i64 = conn.cached_row(
            "SELECT coalesce(sum(v.points_due), 0) FROM loyalty_reversals v
             JOIN refunds f ON f.id = v.refund_id WHERE f.order_id = ?1",
            [order_id],
            |r| r.get(0),
        )?;
        take_back(tx, undo, customer_id, points - already, user_id, now_ms)?;
    }
    for (claim_id, customer_id, points) in claims_redeemed_on(conn, order_id)? {
        let returned: i64 = conn.cached_row(
            "SELECT coalesce(sum(points), 0) FROM loyalty_movements
             WHERE kind = 'return' AND claim_id = ?1",
            [claim_id],
            |r| r.get(0),
        )?;
        return_claim(
            tx,
            undo,
            claim_id,
            customer_id,
            points - returned,
            user_id,
            now_ms,
        )?;
    }
    Ok(())
}
