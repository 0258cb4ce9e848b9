//! One connection to head office per push session: no pool, TCP only
//! (`prefer_socket(false)`: otherwise mysql_async moves a loopback target to
//! the Unix socket, past any proxy or TLS), TLS options always set, and every
//! await under a deadline. mysql_async has no read timeout, and a future
//! dropped mid-query leaves its connection unusable, so on any error or
//! timeout the caller drops the `Conn` and starts again.

use crate::error::SyncError;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, SslOpts};
use std::future::Future;
use std::time::Duration;
use tillbook_core::records::sync_state::{SyncTarget, TlsMode};

/// Deadlines and batch sizes.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub connect: Duration,
    pub statement: Duration,
    /// At most this many events per batch (one MySQL transaction).
    pub batch_rows: usize,
    /// ... and at most about this many bytes of them.
    pub batch_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: Duration::from_secs(5),
            statement: Duration::from_secs(15),
            batch_rows: 1000,
            batch_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Runs one client call under `deadline`.
pub async fn within<T>(
    what: &str,
    deadline: Duration,
    connecting: bool,
    fut: impl Future<Output = mysql_async::Result<T>>,
) -> Result<T, SyncError> {
    match tokio::time::timeout(deadline, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(SyncError::from_mysql(&e, connecting)),
        Err(_) => Err(SyncError::timeout(what, connecting)),
    }
}

/// TLS options for a target: always set, so TLS is required. `verify` checks
/// the certificate against the target's CA (only it, when one is given) or
/// the public roots, and the host name; `insecure` checks neither and says so
/// in the log on every connection.
pub fn ssl_opts(t: &SyncTarget) -> SslOpts {
    let mut ssl = SslOpts::default();
    if let Some(pem) = &t.ca_pem {
        ssl = ssl
            .with_root_certs(vec![pem.as_bytes().to_vec().into()])
            .with_disable_built_in_roots(true);
    }
    if t.tls_mode == TlsMode::Insecure {
        tracing::warn!(
            target = %t.name,
            host = %t.host,
            "sync: TLS verification is off for this target (tls_mode = insecure): the server is not checked"
        );
        ssl = ssl
            .with_danger_accept_invalid_certs(true)
            .with_danger_skip_domain_validation(true);
    }
    ssl
}

/// Connects, sets the session up, and returns the connection with its id.
pub async fn connect(
    t: &SyncTarget,
    password: &str,
    lim: &Limits,
) -> Result<(Conn, u32), SyncError> {
    let opts = OptsBuilder::default()
        .ip_or_hostname(t.host.clone())
        .tcp_port(t.port)
        .user(Some(t.user.clone()))
        .pass(Some(password.to_string()))
        .db_name(Some(t.database.clone()))
        .prefer_socket(false)
        .ssl_opts(ssl_opts(t))
        .stmt_cache_size(8usize);
    let mut conn = within("connect", lim.connect, true, Conn::new(opts)).await?;
    // A dead session must not hold the high-water-mark row's lock for hours:
    // short lock waits, and an idle or open-but-idle session ends soon.
    within(
        "session settings",
        lim.statement,
        true,
        conn.query_drop(
            "SET SESSION innodb_lock_wait_timeout = 10, wait_timeout = 120, \
             sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'",
        ),
    )
    .await?;
    within(
        "isolation",
        lim.statement,
        true,
        conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"),
    )
    .await?;
    // MariaDB only; MySQL has no such variable (error 1193), which is fine.
    if let Err(e) = within(
        "idle transaction timeout",
        lim.statement,
        true,
        conn.query_drop("SET SESSION idle_transaction_timeout = 30"),
    )
    .await
    {
        tracing::debug!(detail = %e.detail, "sync: no idle_transaction_timeout on this server");
    }
    let id = conn.id();
    Ok((conn, id))
}
