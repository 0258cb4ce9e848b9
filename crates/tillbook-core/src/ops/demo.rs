//! Demo data, loaded only by the CLI into a new, empty file (T04). It goes
//! through the dispatcher like any till would, and its passwords are random and
//! printed once: there is no default credential anywhere (D11).

use crate::clock::Clock;
use crate::db::{Db, OpenOptions};
use crate::dispatch::Dispatcher;
use crate::error::{Error, Result};
use crate::shared::handler::Session;
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Serialize)]
pub struct DemoUser {
    pub username: String,
    pub role: &'static str,
    pub password: String,
}

fn random_password() -> String {
    // 16 characters from 62 gives ~95 bits: plenty for a demo login.
    (0..16).map(|_| fastrand::alphanumeric()).collect()
}

/// Creates `path` with a demo shop. Refuses a file that already holds anything.
pub fn create(path: &Path, opts: OpenOptions, clock: Arc<dyn Clock>) -> Result<Vec<DemoUser>> {
    if path.exists() && std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(true) {
        return Err(Error::StateConflict {
            message: format!(
                "{} already exists and is not empty; demo data goes only into a new file",
                path.display()
            ),
        });
    }
    let db = Db::open(path, opts).map_err(|e| Error::internal(e.to_string()))?;
    let d = Dispatcher::new(db, clock);
    let mut session: Option<Session> = None;
    let users = [
        ("owner", "Olive Owner", "owner"),
        ("manager", "Max Manager", "manager"),
        ("cashier", "Cass Cashier", "cashier"),
    ];
    let creds: Vec<DemoUser> = users
        .iter()
        .map(|(u, _, r)| DemoUser {
            username: u.to_string(),
            role: r,
            password: random_password(),
        })
        .collect();
    d.dispatch(
        &mut session,
        "setup.create_owner",
        json!({
            "idempotency_key": "demo-setup-owner",
            "shop_name": "Demo Corner Shop",
            "currency_code": "EUR",
            "username": creds[0].username,
            "display_name": users[0].1,
            "password": creds[0].password,
        }),
    )?;
    d.dispatch(
        &mut session,
        "auth.login",
        json!({ "username": creds[0].username, "password": creds[0].password }),
    )?;
    for (i, (_, name, role)) in users.iter().enumerate().skip(1) {
        d.dispatch(
            &mut session,
            "users.create",
            json!({
                "idempotency_key": format!("demo-user-{i}"),
                "username": creds[i].username,
                "display_name": name,
                "role": role,
                "password": creds[i].password,
            }),
        )?;
    }
    stock_the_deli(&d, &mut session)?;
    d.dispatch(&mut session, "auth.logout", json!({}))?;
    Ok(creds)
}

/// A demo product: SKU, name, category, price (per kg for kg), unit, barcode,
/// PLU, stock received (smallest unit) at a unit cost, reorder point.
struct DemoProduct {
    sku: &'static str,
    name: &'static str,
    category: &'static str,
    price_minor: i64,
    unit: &'static str,
    barcode: Option<&'static str>,
    plu: Option<&'static str>,
    /// `None`: not counted (made to order), sold at a standard cost instead.
    stock: Option<(i64, i64)>,
    standard_cost_minor: Option<i64>,
    reorder_point: Option<i64>,
}

/// The shelves of a small deli, enough to try every kind of line: made-to-order
/// coffee nobody counts, pastries by the piece, cheese by weight (with PLUs for
/// scale labels), packaged goods with barcodes, and milk below its reorder
/// point so the low-stock list has something to say.
const DELI: [DemoProduct; 8] = [
    DemoProduct {
        sku: "FLATWHITE",
        name: "Flat white",
        category: "Coffee",
        price_minor: 320,
        unit: "each",
        barcode: None,
        plu: None,
        stock: None,
        standard_cost_minor: Some(60),
        reorder_point: None,
    },
    DemoProduct {
        sku: "LATTE",
        name: "Latte",
        category: "Coffee",
        price_minor: 340,
        unit: "each",
        barcode: None,
        plu: None,
        stock: None,
        standard_cost_minor: Some(70),
        reorder_point: None,
    },
    DemoProduct {
        sku: "CROISSANT",
        name: "Croissant",
        category: "Bakery",
        price_minor: 180,
        unit: "each",
        barcode: None,
        plu: None,
        stock: Some((24, 60)),
        standard_cost_minor: None,
        reorder_point: Some(6),
    },
    DemoProduct {
        sku: "SOURDOUGH",
        name: "Sourdough loaf",
        category: "Bakery",
        price_minor: 450,
        unit: "each",
        barcode: None,
        plu: None,
        stock: Some((10, 150)),
        standard_cost_minor: None,
        reorder_point: Some(3),
    },
    DemoProduct {
        sku: "CHEDDAR",
        name: "Cheddar",
        category: "Cheese",
        price_minor: 1400,
        unit: "kg",
        barcode: None,
        plu: Some("12"),
        stock: Some((5_000, 900)),
        standard_cost_minor: None,
        reorder_point: Some(1_000),
    },
    DemoProduct {
        sku: "BRIE",
        name: "Brie",
        category: "Cheese",
        price_minor: 2200,
        unit: "kg",
        barcode: None,
        plu: Some("13"),
        stock: Some((2_000, 1_300)),
        standard_cost_minor: None,
        reorder_point: None,
    },
    DemoProduct {
        sku: "MILK-1L",
        name: "Milk 1 l",
        category: "Dairy",
        price_minor: 129,
        unit: "each",
        barcode: Some("4006381333931"),
        plu: None,
        stock: Some((8, 60)),
        standard_cost_minor: None,
        reorder_point: Some(10),
    },
    DemoProduct {
        sku: "BUTTER",
        name: "Butter 250 g",
        category: "Dairy",
        price_minor: 235,
        unit: "each",
        barcode: Some("5012345678900"),
        plu: None,
        stock: Some((20, 120)),
        standard_cost_minor: None,
        reorder_point: Some(5),
    },
];

/// Products, their opening stock, a vendor for the dairy, the favourites page
/// of quick keys and the shop's scale labels (`2 PPPPP WWWWWW C`), each
/// through the dispatcher as the owner would.
fn stock_the_deli(d: &Dispatcher, session: &mut Option<Session>) -> Result<()> {
    let vendor = d.dispatch(
        session,
        "vendors.create",
        json!({ "idempotency_key": "demo-vendor-dairy", "name": "Dairy Co", "email": "orders@dairy.example" }),
    )?;
    let vendor_id = vendor["id"].as_i64();
    let mut favourites = Vec::new();
    for (i, p) in DELI.iter().enumerate() {
        let created = d.dispatch(
            session,
            "catalog.create_product",
            json!({
                "idempotency_key": format!("demo-product-{i}"),
                "sku": p.sku, "name": p.name, "category": p.category, "price_minor": p.price_minor,
                "unit": p.unit, "barcode": p.barcode, "plu": p.plu,
                "track_stock": p.stock.is_some(), "standard_cost_minor": p.standard_cost_minor,
                "reorder_point": p.reorder_point,
                "preferred_vendor_id": if p.category == "Dairy" { vendor_id } else { None },
            }),
        )?;
        let id = created["id"]
            .as_i64()
            .ok_or_else(|| Error::internal("a demo product came back without an id"))?;
        if let Some((quantity, cost)) = p.stock {
            d.dispatch(
                session,
                "stock.receive",
                json!({ "idempotency_key": format!("demo-stock-{i}"), "product_id": id,
                        "lot_code": "OPENING", "unit_cost_minor": cost, "quantity": quantity }),
            )?;
        }
        if i < 5 {
            favourites.push(id);
        }
    }
    let pages = d.dispatch(session, "catalog.key_pages", json!({}))?;
    let page_id = pages["pages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["kind"] == "favourites"))
        .and_then(|p| p["id"].as_i64())
        .ok_or_else(|| Error::internal("the demo shop has no favourites page"))?;
    let colours = ["teal", "teal", "orange", "orange", "yellow"];
    for (i, (id, colour)) in favourites.iter().zip(colours).enumerate() {
        d.dispatch(
            session,
            "catalog.place_tile",
            json!({ "idempotency_key": format!("demo-tile-{i}"), "page_id": page_id,
                    "product_id": id, "colour": colour }),
        )?;
    }
    let current = d.dispatch(session, "settings.get", json!({}))?;
    let mut settings = current["settings"].clone();
    settings["scale_barcodes"] =
        json!([{ "prefix_from": "2", "prefix_to": "2", "embeds": "weight", "plu_digits": 5 }]);
    d.dispatch(
        session,
        "settings.update",
        json!({ "version": current["version"], "settings": settings }),
    )?;
    Ok(())
}
