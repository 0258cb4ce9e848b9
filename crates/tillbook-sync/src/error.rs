//! What can stop a push, sorted by what happens next, in the owner's words.
//! *Retry* and *offline* are tried again by timer; *blocked* waits for the
//! configuration to change; *diverged* stops sending until someone decides.

use std::fmt;
use tillbook_core::records::sync_state::SyncState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Connected, then something broke (I/O, lock wait, deadlock, server gone).
    Retry,
    /// The server could not be reached at all.
    Offline,
    /// Stopped until the configuration changes (certificate, host name, password, account, schema).
    Blocked,
    /// Head office holds another history for this shop.
    Diverged,
}

impl Class {
    pub fn state(self) -> SyncState {
        match self {
            Class::Retry => SyncState::Retrying,
            Class::Offline => SyncState::Offline,
            Class::Blocked => SyncState::Blocked,
            Class::Diverged => SyncState::Diverged,
        }
    }
}

/// A push failure: its class, a stable code, plain words for the owner, and
/// the technical detail for the log (never a password: the client's errors
/// do not carry it).
#[derive(Clone, Debug)]
pub struct SyncError {
    pub class: Class,
    pub code: &'static str,
    pub message: String,
    pub detail: String,
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SyncError {}

impl SyncError {
    pub fn new(class: Class, code: &'static str, message: impl Into<String>) -> Self {
        SyncError {
            class,
            code,
            message: message.into(),
            detail: String::new(),
        }
    }

    fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = detail.to_string();
        self
    }

    /// The shop's own file failed (it is retried; the file's own checks say more).
    pub fn local(e: tillbook_core::Error) -> Self {
        SyncError::new(
            Class::Retry,
            "local_file",
            "This computer could not read its own records for sending; it will try again.",
        )
        .with_detail(e)
    }

    /// A step took longer than its deadline; the connection is dropped.
    pub fn timeout(what: &str, connecting: bool) -> Self {
        if connecting {
            SyncError::new(
                Class::Offline,
                "server_unreachable",
                "Head office's server did not answer; sales are kept here and sent when it does.",
            )
            .with_detail(format!("{what}: deadline passed"))
        } else {
            SyncError::new(
                Class::Retry,
                "server_slow",
                "Head office's server stopped answering part-way; it will be tried again.",
            )
            .with_detail(format!("{what}: deadline passed"))
        }
    }

    /// Sorts a MySQL client error. `connecting`: no session was open yet, so
    /// an I/O error means the server is out of reach.
    pub fn from_mysql(e: &mysql_async::Error, connecting: bool) -> Self {
        use mysql_async::{DriverError, Error, IoError};
        let text = e.to_string();
        let err = match e {
            // Certificates are checked in the handshake; a TLS error later
            // (a missing close_notify on a cut link) is a broken connection.
            Error::Io(IoError::Tls(_)) if connecting => tls(&text),
            Error::Driver(DriverError::NoClientSslFlagFromServer) => SyncError::new(
                Class::Blocked,
                "tls_unavailable",
                "Head office's server does not offer an encrypted connection, so nothing was sent. Ask head office to turn on TLS.",
            ),
            Error::Io(IoError::Io(io)) if connecting || io.kind() == std::io::ErrorKind::ConnectionRefused => {
                // rustls reports some certificate problems as I/O errors.
                if text.contains("certificate") || text.contains("peer") {
                    tls(&text)
                } else {
                    SyncError::new(
                        Class::Offline,
                        "server_unreachable",
                        "Head office's server cannot be reached; sales are kept here and sent when it can.",
                    )
                }
            }
            Error::Server(s) => server(s.code),
            _ if connecting => SyncError::new(
                Class::Offline,
                "server_unreachable",
                "Head office's server cannot be reached; sales are kept here and sent when it can.",
            ),
            _ => SyncError::new(
                Class::Retry,
                "connection_lost",
                "The connection to head office broke part-way; it will be tried again.",
            ),
        };
        err.with_detail(text)
    }
}

fn tls(text: &str) -> SyncError {
    if text.contains("NotValidForName") || text.contains("not valid for name") {
        SyncError::new(
            Class::Blocked,
            "tls_wrong_host",
            "The server's certificate is for another name than the one set up, so nothing was sent. Check the server name, or ask head office for the right one.",
        )
    } else if text.contains("UnknownIssuer")
        || text.contains("issuer")
        || text.contains("certificate")
    {
        SyncError::new(
            Class::Blocked,
            "tls_untrusted",
            "The server's certificate is not trusted, so nothing was sent. Ask head office for its CA certificate and add it to the sync settings.",
        )
    } else {
        SyncError::new(
            Class::Blocked,
            "tls_failed",
            "An encrypted connection to head office could not be set up, so nothing was sent.",
        )
    }
}

fn server(code: u16) -> SyncError {
    match code {
        1045 => SyncError::new(
            Class::Blocked,
            "bad_credentials",
            "Head office refused the user name or password. Check them in the sync settings.",
        ),
        1044 | 1142 | 1143 | 1644 => SyncError::new(
            Class::Blocked,
            "account_mismatch",
            "Head office's account for this shop may not write these records. Ask head office to check the shop's account.",
        ),
        1049 => SyncError::new(
            Class::Blocked,
            "unknown_database",
            "Head office's server has no database by that name. Check the database name in the sync settings.",
        ),
        1146 | 1054 => SyncError::new(
            Class::Blocked,
            "schema_mismatch",
            "Head office's database is not set up for Tillbook yet. Ask head office to prepare it.",
        ),
        1205 | 1213 => SyncError::new(
            Class::Retry,
            "server_busy",
            "Head office's server was busy; it will be tried again.",
        ),
        3159 => SyncError::new(
            Class::Blocked,
            "tls_unavailable",
            "Head office requires an encrypted connection that could not be made, so nothing was sent.",
        ),
        _ => SyncError::new(
            Class::Retry,
            "server_error",
            "Head office's server reported a problem; it will be tried again.",
        ),
    }
}
