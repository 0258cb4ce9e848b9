//! Set-up through the real dispatcher: each fixture is the command a till or a
//! manager would send, with a fresh idempotency key, and answers the new row's
//! id or the whole reply. A fixture that must succeed unwraps; one a test may
//! expect to fail returns the `Result`.

use super::{key, password_of, Shop};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Barrier;
use tillbook_core::{Dispatcher, Error, Session};

/// `cmd` with `args` and a fresh idempotency key. A command that may take or
/// give cash first makes sure the till has an open drawer, as the till does
/// before Pay (cash needs an open shift): see [`ensure_drawer`].
pub fn submit(
    shop: &Shop,
    s: &mut Option<Session>,
    cmd: &str,
    mut args: Value,
) -> Result<Value, Error> {
    if matches!(
        cmd,
        "sales.checkout" | "sales.refund" | "customers.receive_payment"
    ) && needs_drawer(shop, s, &args)
    {
        ensure_drawer(shop, s);
    }
    args["idempotency_key"] = json!(key());
    shop.call(s, cmd, args)
}

/// Whether a command may take or give cash: any cash payment, or any at all
/// unless the shop allows card sales without a shift (see
/// [`card_sales_without_shift`]; tests of sales outside a shift turn it on).
fn needs_drawer(shop: &Shop, s: &mut Option<Session>, args: &Value) -> bool {
    let cash = args["payments"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["tender"] == "cash"))
        || args["tender"] == "cash";
    let card_ok = shop
        .call(s, "settings.get", json!({}))
        .is_ok_and(|v| v["settings"]["sell_card_without_shift"] == true);
    cash || !card_ok
}

/// Lets card (non-cash) sales be rung up with no shift open, keeping the
/// other settings: for tests about sales outside a shift.
pub fn card_sales_without_shift(shop: &Shop, s: &mut Option<Session>) {
    let v = shop.call(s, "settings.get", json!({})).unwrap();
    let mut settings = v["settings"].clone();
    settings["sell_card_without_shift"] = json!(true);
    shop.call(
        s,
        "settings.update",
        json!({ "version": v["version"], "settings": settings }),
    )
    .unwrap();
}

/// Opens a shift with no float for the session's user when no drawer would
/// take their cash (neither their own shift nor the shop's one open shift),
/// so tests about sales need not each count a float. Tests of the drawer rule
/// itself call the dispatcher directly (`shop.call`).
pub fn ensure_drawer(shop: &Shop, s: &mut Option<Session>) {
    if s.is_none() {
        return;
    }
    let current = shop.call(s, "shifts.current", json!({}));
    if matches!(current, Ok(Value::Null)) {
        let args = json!({ "idempotency_key": key(), "opening_float_minor": 0 });
        // A refusal (the role may not open shifts) leaves the command to say so.
        let _ = shop.call(s, "shifts.open", args);
    }
}

/// The `id` of a reply.
pub fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// Adds `extra`'s fields to `args`, replacing any of the same name.
pub fn merged(mut args: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    args
}

/// Sends each request from a thread of its own, all let go by one barrier, as
/// tills pressing "pay" together would; every thread has its own copy of
/// `session`. The replies in the order of `requests`.
pub fn at_once(
    session: &Option<Session>,
    requests: Vec<(&Dispatcher, &str, Value)>,
) -> Vec<Result<Value, Error>> {
    let barrier = Barrier::new(requests.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .into_iter()
            .map(|(d, cmd, args)| {
                let mut session = session.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    d.dispatch(&mut session, cmd, args)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// `threads` copies of one request (one idempotency key) at once.
pub fn replayed_at_once(
    shop: &Shop,
    session: &Option<Session>,
    threads: usize,
    cmd: &str,
    args: &Value,
) -> Vec<Result<Value, Error>> {
    at_once(session, vec![(&shop.d, cmd, args.clone()); threads])
}

/// The till's idle lock (T24) at its longest, for tests that move the clock by
/// hours while one session stays in use.
pub fn no_idle_lock(shop: &Shop, s: &mut Option<Session>) {
    let v = shop.call(s, "settings.get", json!({})).unwrap();
    shop.call(
        s,
        "settings.update",
        json!({ "version": v["version"], "settings": { "idle_lock_ms": 86_400_000 } }),
    )
    .unwrap();
}

/// Arguments for `users.create` with the password `password_of(username)` and
/// no PIN (one Argon2 hash per call).
pub fn user_args(username: &str, role: &str) -> Value {
    json!({
        "idempotency_key": key(),
        "username": username,
        "display_name": format!("User {username}"),
        "role": role,
        "password": password_of(username),
    })
}

/// A user without a PIN; its id.
pub fn user(shop: &Shop, by: &mut Option<Session>, username: &str, role: &str) -> i64 {
    id(&shop
        .call(by, "users.create", user_args(username, role))
        .unwrap())
}

// ---------------------------------------------------------------------------
// catalog and stock

/// `catalog.create_product` of `sku`, named `Product {sku}`; the tax class and
/// anything else are sent only when set.
pub struct Product(Value);

impl Product {
    pub fn new(sku: &str, price_minor: i64) -> Product {
        Product(json!({ "sku": sku, "name": format!("Product {sku}"), "price_minor": price_minor }))
    }

    pub fn tax(self, class: &str) -> Product {
        self.with("tax_class", json!(class))
    }

    pub fn name(self, name: &str) -> Product {
        self.with("name", json!(name))
    }

    pub fn with(mut self, field: &str, value: Value) -> Product {
        self.0[field] = value;
        self
    }

    pub fn reply(self, shop: &Shop, s: &mut Option<Session>) -> Value {
        submit(shop, s, "catalog.create_product", self.0).unwrap()
    }

    pub fn create(self, shop: &Shop, s: &mut Option<Session>) -> i64 {
        id(&self.reply(shop, s))
    }
}

/// A product named `Product {sku}` of a tax class; its id.
pub fn product(shop: &Shop, s: &mut Option<Session>, sku: &str, price: i64, tax: &str) -> i64 {
    Product::new(sku, price).tax(tax).create(shop, s)
}

/// `stock.receive` of a new batch under a fresh lot code, with no expiry unless set.
pub struct Batch(Value);

impl Batch {
    pub fn of(product_id: i64, quantity: i64, unit_cost_minor: i64) -> Batch {
        Batch(json!({
            "product_id": product_id,
            "lot_code": format!("LOT-{}", key()),
            "expires_on": null,
            "unit_cost_minor": unit_cost_minor,
            "quantity": quantity,
        }))
    }

    pub fn expires_on(mut self, date: &str) -> Batch {
        self.0["expires_on"] = json!(date);
        self
    }

    pub fn lot_code(mut self, code: &str) -> Batch {
        self.0["lot_code"] = json!(code);
        self
    }

    /// The new batch's id.
    pub fn receive(self, shop: &Shop, s: &mut Option<Session>) -> i64 {
        id(&submit(shop, s, "stock.receive", self.0).unwrap())
    }
}

/// A batch of `qty` units at `cost` each, with no expiry; its id.
pub fn receive(shop: &Shop, s: &mut Option<Session>, product_id: i64, qty: i64, cost: i64) -> i64 {
    Batch::of(product_id, qty, cost).receive(shop, s)
}

// ---------------------------------------------------------------------------
// customers and vendors

pub fn customer(shop: &Shop, s: &mut Option<Session>, name: &str) -> i64 {
    customer_with(shop, s, name, json!({}))
}

/// A customer with more fields than a name (`phone`, `email`, …).
pub fn customer_with(shop: &Shop, s: &mut Option<Session>, name: &str, extra: Value) -> i64 {
    let args = merged(json!({ "name": name }), extra);
    id(&submit(shop, s, "customers.create", args).unwrap())
}

/// Sets a customer's credit limit and mode (at its current version).
pub fn set_credit(shop: &Shop, s: &mut Option<Session>, id: i64, limit: i64, mode: &str) {
    let version = super::checks::version_of(&shop.db, "customers", id);
    shop.call(
        s,
        "customers.set_credit",
        json!({ "id": id, "version": version, "credit_limit_minor": limit, "credit_mode": mode }),
    )
    .unwrap();
}

/// A customer who may buy on account up to `limit` (`mode`: `block` or `warn`).
pub fn customer_on_account(
    shop: &Shop,
    s: &mut Option<Session>,
    name: &str,
    limit: i64,
    mode: &str,
) -> i64 {
    let id = customer(shop, s, name);
    set_credit(shop, s, id, limit, mode);
    id
}

pub fn vendor(shop: &Shop, s: &mut Option<Session>, name: &str) -> i64 {
    let args = json!({ "name": name, "email": "orders@vendor.example" });
    id(&submit(shop, s, "vendors.create", args).unwrap())
}

// ---------------------------------------------------------------------------
// the till

pub fn cash(amount: i64) -> Value {
    json!({ "tender": "cash", "amount_minor": amount })
}

pub fn card(amount: i64) -> Value {
    json!({ "tender": "card", "amount_minor": amount, "reference": "TRM-1" })
}

pub fn checkout(shop: &Shop, s: &mut Option<Session>, args: Value) -> Result<Value, Error> {
    submit(shop, s, "sales.checkout", args)
}

/// A checkout of `lines` paid by `payments` that must go through; the order.
pub fn sale(shop: &Shop, s: &mut Option<Session>, lines: Value, payments: Value) -> Value {
    checkout(shop, s, json!({ "lines": lines, "payments": payments })).unwrap()
}

/// Quotes `args` (lines, customer, claim…) and checks them out paying exactly
/// the quoted total in cash, or nothing when it is zero; the order.
pub fn sale_at_quote(shop: &Shop, s: &mut Option<Session>, mut args: Value) -> Value {
    let q = shop.call(s, "sales.quote", args.clone()).unwrap();
    let total = q["total_minor"].as_i64().unwrap();
    args["payments"] = if total > 0 {
        json!([cash(total)])
    } else {
        json!([])
    };
    checkout(shop, s, args).unwrap()
}

/// The arguments of `sales.hold` for `lines`, with a fresh key.
pub fn hold_args(lines: Value) -> Value {
    json!({ "idempotency_key": key(), "label": "table 4", "lines": lines })
}

/// A held cart of `lines`: (id, version).
pub fn hold(shop: &Shop, s: &mut Option<Session>, lines: Value) -> (i64, i64) {
    let v = shop.call(s, "sales.hold", hold_args(lines)).unwrap();
    (id(&v), v["version"].as_i64().unwrap())
}

/// `sales.refund` of an order, back over its original tenders unless `to` says otherwise.
pub struct Refund(Value);

impl Refund {
    pub fn of(order_id: impl Serialize, reason: &str) -> Refund {
        Refund(
            json!({ "order_id": order_id, "lines": [], "refund_to": "original", "reason": reason }),
        )
    }

    /// `quantity` units of an order line, their stock `restock` or `damage`.
    pub fn line(mut self, order_line_id: impl Serialize, quantity: i64, stock: &str) -> Refund {
        let line = json!({ "order_line_id": order_line_id, "quantity": quantity, "stock": stock });
        self.0["lines"].as_array_mut().unwrap().push(line);
        self
    }

    /// Every line of `order` (a checkout reply) in full, restocked.
    pub fn whole(order: &Value, reason: &str) -> Refund {
        order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .fold(Refund::of(&order["id"], reason), |r, l| {
                r.line(&l["id"], l["quantity"].as_i64().unwrap(), "restock")
            })
    }

    pub fn to(mut self, refund_to: &str) -> Refund {
        self.0["refund_to"] = json!(refund_to);
        self
    }

    /// The arguments, with a fresh key.
    pub fn args(mut self) -> Value {
        self.0["idempotency_key"] = json!(key());
        self.0
    }

    pub fn submit(self, shop: &Shop, s: &mut Option<Session>) -> Result<Value, Error> {
        if needs_drawer(shop, s, &json!({})) {
            ensure_drawer(shop, s);
        }
        shop.call(s, "sales.refund", self.args())
    }
}

pub fn open_shift(shop: &Shop, s: &mut Option<Session>, float: i64) -> Result<Value, Error> {
    submit(
        shop,
        s,
        "shifts.open",
        json!({ "opening_float_minor": float }),
    )
}

pub fn void(
    shop: &Shop,
    s: &mut Option<Session>,
    order_id: impl Serialize,
    reason: &str,
) -> Result<Value, Error> {
    submit(
        shop,
        s,
        "sales.void",
        json!({ "order_id": order_id, "reason": reason }),
    )
}
