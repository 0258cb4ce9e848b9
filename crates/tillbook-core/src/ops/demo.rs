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
    d.dispatch(&mut session, "auth.logout", json!({}))?;
    Ok(creds)
}
