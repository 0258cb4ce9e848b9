//! What every command handler needs and nothing more: the typed [`Request`],
//! the contexts a read or a write handler is given, the caller's [`Session`],
//! and the request shapes and paging many commands share. Domain modules point
//! down to this module; the dispatcher, on top, is the only code that knows
//! every command and fills these contexts in.

use crate::error::{Error, Result};
use crate::shared::access::{Permission, Role};
use crate::shared::settings::Settings;
use crate::shared::validate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A typed request: parsed with unknown fields refused, validated once.
pub trait Request: DeserializeOwned + Serialize {
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// The request's passwords and PINs. They serialise as `[redacted]`, so the
    /// idempotency check compares them through a slow keyed fingerprint instead.
    fn secrets(&self) -> Vec<&crate::shared::validate::Secret> {
        Vec::new()
    }

    /// Permissions this particular request needs beyond its command's (a cart
    /// line with a discount needs `sales.discount`). The dispatcher checks them
    /// against the same role table, so access is still decided in one place.
    fn needs(&self) -> Vec<Permission> {
        Vec::new()
    }
}

/// Who is at the till. Lives only in the transport's memory (Rust state for the
/// desktop app, the process for `tillbook api`); nothing the caller sends can
/// name or change it (D02).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub started_at_ms: i64,
    pub last_active_ms: i64,
    pub locked: bool,
}

/// What a command does to the caller's session once its transaction commits.
#[derive(Clone, Debug)]
pub enum SessionEffect {
    Start(Session),
    End,
    Lock,
    Unlock,
}

/// What a read handler sees.
pub struct ReadCtx<'a> {
    pub session: Option<&'a Session>,
    pub now_ms: i64,
    pub settings: &'a Settings,
}

/// What a write handler sees and fills in. The dispatcher turns `note` into the
/// audit row and `events` into outbox rows, in the handler's transaction.
pub struct WriteCtx<'a> {
    pub session: Option<&'a Session>,
    pub now_ms: i64,
    pub settings: &'a Settings,
    pub(crate) note: Note,
    pub(crate) events: Vec<Event>,
    pub(crate) effect: Option<SessionEffect>,
    pub(crate) refusal: Option<Error>,
    pub(crate) audit_user: Option<(i64, String)>,
}

#[derive(Default)]
pub(crate) struct Note {
    pub(crate) entity: Option<&'static str>,
    pub(crate) entity_id: Option<String>,
    pub(crate) summary: Value,
}

pub(crate) struct Event {
    pub(crate) kind: &'static str,
    pub(crate) entity: &'static str,
    pub(crate) entity_id: String,
    pub(crate) payload: Value,
}

impl<'a> WriteCtx<'a> {
    pub(crate) fn new(session: Option<&'a Session>, now_ms: i64, settings: &'a Settings) -> Self {
        WriteCtx {
            session,
            now_ms,
            settings,
            note: Note {
                summary: Value::Object(Default::default()),
                ..Note::default()
            },
            events: Vec::new(),
            effect: None,
            refusal: None,
            audit_user: None,
        }
    }

    /// The acting user; write handlers behind a session-only command can rely on it.
    pub fn actor(&self) -> Result<&'a Session> {
        self.session
            .ok_or_else(|| Error::Unauthenticated("log in first".into()))
    }

    /// Describes the change for the audit log. Never put secrets in `summary`.
    pub fn audit(&mut self, entity: &'static str, entity_id: impl ToString, summary: Value) {
        self.note = Note {
            entity: Some(entity),
            entity_id: Some(entity_id.to_string()),
            summary,
        };
    }

    /// Attributes the audit row to a user when there is no session yet (login).
    pub fn audit_as(&mut self, user_id: i64, username: &str) {
        self.audit_user = Some((user_id, username.to_string()));
    }

    /// Queues a business event for head office, committed with the change.
    pub fn emit(
        &mut self,
        kind: &'static str,
        entity: &'static str,
        entity_id: impl ToString,
        payload: Value,
    ) {
        self.events.push(Event {
            kind,
            entity,
            entity_id: entity_id.to_string(),
            payload,
        });
    }

    pub fn set_session_effect(&mut self, effect: SessionEffect) {
        self.effect = Some(effect);
    }

    /// Commits what the handler wrote (a failed-login counter, its audit row) and
    /// then reports `err` to the caller.
    pub fn refuse_after_commit(&mut self, err: Error) {
        self.refusal = Some(err);
    }
}

#[derive(Debug, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

impl Request for NoArgs {}

/// Keyset paging: `rows` were read newest first with `LIMIT limit + 1`; keeps
/// `limit` of them and says which id the next page starts before (none when
/// this is the last page).
pub fn keyset_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    id_of: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<i64>) {
    let limit = limit as usize;
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(&id_of);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// One record by id.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct IdRequest {
    pub id: i64,
}

impl Request for IdRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)
    }
}

/// One record by id, at the version the caller read (archive and the like).
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct IdVersionRequest {
    pub id: i64,
    pub version: i64,
}

impl Request for IdVersionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)
    }
}
