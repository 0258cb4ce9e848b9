//! Head office's schema and accounts, for an administrator (and the tests):
//! the SQL in `sql/head_office.sql`, and one account per shop that can read
//! and add its own events and move its own mark, nothing else.

use crate::client::{within, Limits};
use crate::error::{Class, SyncError};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use tillbook_core::db::outbox_chain::GENESIS;

/// The schema, statements separated by lines holding `--;`.
pub const SCHEMA_SQL: &str = include_str!("../sql/head_office.sql");

pub fn schema_statements() -> impl Iterator<Item = &'static str> {
    SCHEMA_SQL.split("\n--;\n").map(str::trim).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
    })
}

/// Creates the tables and triggers (idempotent) in the connection's database.
pub async fn init_schema(conn: &mut Conn, lim: &Limits) -> Result<(), SyncError> {
    for stmt in schema_statements() {
        within(
            "apply the schema",
            lim.statement,
            false,
            conn.query_drop(stmt),
        )
        .await?;
    }
    Ok(())
}

fn plain(field: &'static str, value: &str, extra: &[u8]) -> Result<(), SyncError> {
    let ok = !value.is_empty()
        && value.len() <= 80
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || extra.contains(&b));
    if ok {
        Ok(())
    } else {
        Err(SyncError::new(
            Class::Blocked,
            "bad_name",
            format!("the {field} may hold only letters, digits and underscores"),
        ))
    }
}

/// An account for one shop: `user` may connect only over TLS when
/// `require_tls`, insert events and read them, and read and move the mark of
/// `shop_id` only (the triggers check the shop). Its mark starts at 0.
pub async fn add_shop(
    conn: &mut Conn,
    database: &str,
    user: &str,
    password: &str,
    shop_id: &str,
    require_tls: bool,
    lim: &Limits,
) -> Result<(), SyncError> {
    plain("database", database, b"")?;
    plain("user", user, b"")?;
    // DDL takes no placeholders; the password is limited to characters that
    // need no quoting instead.
    plain("password", password, b"-.:+=!#%")?;
    plain("shop id", shop_id, b"")?;
    let tls = if require_tls { " REQUIRE SSL" } else { "" };
    let statements = [
        format!("CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '{password}'{tls}"),
        format!("GRANT SELECT, INSERT ON `{database}`.shop_event TO '{user}'@'%'"),
        format!("GRANT SELECT, UPDATE ON `{database}`.shop_sync TO '{user}'@'%'"),
    ];
    for s in &statements {
        within(
            "create the account",
            lim.statement,
            false,
            conn.query_drop(s.as_str()),
        )
        .await?;
    }
    within(
        "register the shop",
        lim.statement,
        false,
        conn.exec_drop(
            format!("INSERT INTO `{database}`.shop_account (db_user, shop_id) VALUES (?, ?)"),
            (user, shop_id),
        ),
    )
    .await?;
    within(
        "start the shop's mark",
        lim.statement,
        false,
        conn.exec_drop(
            format!(
                "INSERT INTO `{database}`.shop_sync (shop_id, acked_seq, acked_chain) VALUES (?, 0, ?)"
            ),
            (shop_id, GENESIS.to_vec()),
        ),
    )
    .await?;
    Ok(())
}
