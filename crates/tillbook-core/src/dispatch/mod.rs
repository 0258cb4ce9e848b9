//! The command dispatcher: the single door into the domain.
//!
//! For every call it (1) finds the command in `commands::COMMANDS`, (2) checks
//! the session, its idle lock and the permission from the one role table
//! (`authorize`), (3) parses the arguments into the command's typed request and
//! validates it once, (4) runs the handler — reads on a `query_only` connection,
//! writes in one `BEGIN IMMEDIATE` transaction together with their audit row,
//! outbox events and idempotency record — and (5) audits refused or failed
//! attempts after the rollback, in a transaction of their own (D08).
//!
//! The check in (2) reads the user's role and the settings on the same
//! connection as (4): for a write, inside its transaction, so what was allowed
//! is decided on the very state the change commits against. A write's arguments
//! are parsed before its transaction (hashing secrets is slow), but an error in
//! them is reported only after (2) has let the caller in.
//!
//! Any write may carry an `approval` envelope (a manager's username and PIN or
//! password, T39), taken off the arguments like `idempotency_key` before the
//! request is parsed. It is looked at only when the session lacks a permission
//! the command or the request needs; then the approver is verified in the same
//! transaction (`identity::approval`) and, if they hold every lacking
//! permission, this one call runs and its audit row names them. Nothing is kept
//! in the session. A refused approval commits only its refused audit row (and
//! the approver's failure count).

pub mod authorize;
pub mod commands;
pub mod idempotency;
#[cfg(test)]
mod ts_map;

use crate::clock::Clock;
use crate::db::{Db, Tx};
use crate::dispatch::authorize::{admit, authorize, check_needs, lacking_needs, refusal};
use crate::dispatch::commands::{with_commands, CommandSpec, Effect};
use crate::dispatch::idempotency::{hash_request, idempotent_replay, take_idempotency_key};
use crate::error::{Error, Result};
use crate::identity::approval::{self, Approval, Approved, APPROVAL_FIELD};
use crate::records::audit::{self, Outcome};
use crate::shared::handler::{ReadCtx, Request, Session, SessionEffect, WriteCtx};
use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// The one entry point for every transport.
#[derive(Clone)]
pub struct Dispatcher {
    db: Db,
    clock: Arc<dyn Clock>,
}

enum WriteOutcome {
    Replayed(Value),
    /// The caller has access but the arguments were refused before the transaction.
    Invalid,
    Done {
        value: Value,
        effect: Option<SessionEffect>,
        refusal: Option<Error>,
    },
}

/// A single request's arguments; far above any real form, far below a memory problem.
pub const MAX_ARGS_BYTES: usize = 256 * 1024;

impl Dispatcher {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Dispatcher { db, clock }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Runs one command for the caller holding `session`.
    pub fn dispatch(&self, session: &mut Option<Session>, cmd: &str, args: Value) -> Result<Value> {
        let Some(spec) = commands::find(cmd) else {
            return Err(Error::validation(
                "cmd",
                format!("unknown command {:?}", truncate(cmd, 64)),
            ));
        };
        route(self, session, spec, args, self.clock.now_ms())
    }

    /// A read: the session check and the handler share one read connection,
    /// and so one snapshot. Arguments are looked at only once access is granted.
    pub(crate) fn run_read<R: Request, S: Serialize>(
        &self,
        slot: &mut Option<Session>,
        spec: &CommandSpec,
        args: Value,
        now_ms: i64,
        handler: fn(&ReadCtx<'_>, &Connection, &R) -> Result<S>,
    ) -> Result<Value> {
        let mut decided = slot.clone();
        let result = self.db.read(|conn| {
            let settings = authorize(conn, &mut decided, spec, now_ms)?;
            let mut args = normalise_args(args)?;
            if take_approval(&mut args)?.is_some() {
                // A read changes nothing a manager needs to approve, and its
                // connection could not count a wrong PIN towards a lockout.
                return Err(Error::validation(
                    APPROVAL_FIELD,
                    format!("{} only reads; an approval is for changes", spec.name),
                ));
            }
            let req: R = parse(args)?;
            req.validate()?;
            check_needs(decided.as_ref(), spec, &req.needs())?;
            let ctx = ReadCtx {
                session: decided.as_ref(),
                now_ms,
                settings: &settings,
            };
            // A handler may refuse access for what it reads (another user's
            // shift); such refusals are audited like the dispatcher's own (D08).
            Ok(serde_json::to_value(handler(&ctx, conn, &req)?)?)
        });
        *slot = decided;
        if let Err(e) = &result {
            self.audit_attempt(slot.as_ref(), spec, now_ms, e);
        }
        result
    }

    /// A write: the session check runs inside the command's `BEGIN IMMEDIATE`
    /// transaction, so the role and settings it decides on are the ones the
    /// change commits against (no window for a role change in between), and
    /// it reads them on the writer connection, whose page cache is warm.
    pub(crate) fn run_write<R: Request, S: Serialize>(
        &self,
        slot: &mut Option<Session>,
        spec: &CommandSpec,
        args: Value,
        now_ms: i64,
        handler: fn(&mut WriteCtx<'_>, &Tx<'_>, &R) -> Result<S>,
    ) -> Result<Value> {
        // Parsed before the transaction, because fingerprinting a request's
        // secrets is deliberately slow and must not hold the write lock; its
        // error is reported only once the caller is known to have access.
        let prepared = (|| {
            let mut args = normalise_args(args)?;
            let key = take_idempotency_key(spec, &mut args)?;
            let approval = take_approval(&mut args)?;
            let req: R = parse(args)?;
            req.validate()?;
            let request_hash = match &key {
                Some(k) => hash_request(spec.name, k, &req)?,
                None => String::new(),
            };
            Ok::<_, Error>((key, req, request_hash, approval))
        })();
        let before = slot.clone();
        let mut decided = slot.clone();
        let result = self.db.write(|tx| {
            let mut session = before.clone();
            let admitted = admit(tx.conn(), &mut session, spec, now_ms);
            decided = session.clone();
            let (settings, mut lacking) = admitted?;
            let of_command = !lacking.is_empty();
            let Ok((key, req, request_hash, approval)) = &prepared else {
                if of_command {
                    return Err(refusal(session.as_ref(), spec, &lacking, true));
                }
                return Ok(WriteOutcome::Invalid);
            };
            for p in lacking_needs(session.as_ref(), spec, &req.needs())? {
                if !lacking.contains(&p) {
                    lacking.push(p);
                }
            }
            let mut ctx = WriteCtx::new(session.as_ref(), now_ms, &settings);
            let approved = if lacking.is_empty() {
                None
            } else {
                let (Some(approval), Some(actor)) = (approval, session.as_ref()) else {
                    return Err(refusal(session.as_ref(), spec, &lacking, of_command));
                };
                match approval::verify(&mut ctx, tx, actor, approval, &lacking)? {
                    Some(a) => Some(a),
                    None => {
                        // Only the refused row and the approver's failure count commit.
                        record(tx, spec, &ctx, None)?;
                        return Ok(WriteOutcome::Done {
                            value: Value::Null,
                            effect: None,
                            refusal: ctx.refusal.take(),
                        });
                    }
                }
            };
            if let Some(key) = key {
                if let Some(stored) = idempotent_replay(tx, spec.name, key, request_hash)? {
                    return Ok(WriteOutcome::Replayed(stored));
                }
            }
            let out = handler(&mut ctx, tx, req)?;
            let value = serde_json::to_value(out)?;
            record(tx, spec, &ctx, approved.as_ref())?;
            if let (Some(key), None) = (key, &ctx.refusal) {
                tx.execute(
                    "INSERT INTO idempotency (command, key, request_hash, encoding, response, user_id,
                                              created_at_ms)
                     VALUES (?1, ?2, ?3, 'json', ?4, ?5, ?6)",
                    rusqlite::params![
                        spec.name,
                        key,
                        request_hash,
                        // Stored as the JSON itself (`encoding = 'json'`); docs/BENCHMARKS.md
                        // ("Confirming a sale") says why not deflated.
                        serde_json::to_vec(&value)?,
                        session.as_ref().map(|s| s.user_id),
                        now_ms
                    ],
                )?;
            }
            Ok(WriteOutcome::Done {
                value,
                effect: ctx.effect.take(),
                refusal: ctx.refusal.take(),
            })
        });
        *slot = decided;
        let failed = |e: Error| {
            self.audit_attempt(slot.as_ref(), spec, now_ms, &e);
            Err(e)
        };
        match result {
            Ok(WriteOutcome::Replayed(v)) => Ok(v),
            Ok(WriteOutcome::Invalid) => match prepared {
                Err(e) => failed(e),
                Ok(_) => failed(Error::internal("a valid request was reported invalid")),
            },
            Ok(WriteOutcome::Done {
                value,
                effect,
                refusal,
            }) => {
                if let Some(effect) = effect {
                    apply_effect(slot, effect, now_ms);
                }
                match refusal {
                    Some(e) => Err(e),
                    None => Ok(value),
                }
            }
            Err(e) => failed(e),
        }
    }

    /// Records a refused or failed attempt in its own transaction, after the
    /// attempt's own transaction rolled back (D08). Reads that fail validation are
    /// not changes and are not recorded; every refusal of access is.
    fn audit_attempt(
        &self,
        session: Option<&Session>,
        spec: &CommandSpec,
        now_ms: i64,
        err: &Error,
    ) {
        let access_refusal = matches!(
            err,
            Error::Unauthenticated(_)
                | Error::Forbidden(_)
                | Error::NeedsApproval { .. }
                | Error::Locked { .. }
        );
        if spec.effect == Effect::Read && !access_refusal {
            return;
        }
        let outcome = if err.is_refusal() {
            Outcome::Refused
        } else {
            Outcome::Failed
        };
        let summary = serde_json::json!({ "error": err.to_string() });
        let written = self.db.write(|tx| {
            audit::append(
                tx,
                &audit::Entry {
                    at_ms: now_ms,
                    user_id: session.map(|s| s.user_id),
                    username: session.map(|s| s.username.as_str()),
                    command: spec.name,
                    entity: None,
                    entity_id: None,
                    summary: &summary,
                    outcome,
                    error_code: Some(err.code().as_str()),
                },
            )
        });
        if let Err(e) = written {
            // The user still gets the original error; the log keeps the trace.
            tracing::error!(command = spec.name, error = %e, "could not audit a refused attempt");
        }
    }
}

fn apply_effect(slot: &mut Option<Session>, effect: SessionEffect, now_ms: i64) {
    match effect {
        SessionEffect::Start(s) => *slot = Some(s),
        SessionEffect::End => *slot = None,
        SessionEffect::Lock => {
            if let Some(s) = slot.as_mut() {
                s.locked = true;
            }
        }
        SessionEffect::Unlock => {
            if let Some(s) = slot.as_mut() {
                s.locked = false;
                s.last_active_ms = now_ms;
            }
        }
    }
}

/// Writes the audit row (naming the approver of an approved call) and outbox
/// rows for a handler's change, in its transaction.
fn record(
    tx: &Tx<'_>,
    spec: &CommandSpec,
    ctx: &WriteCtx<'_>,
    approved: Option<&Approved>,
) -> Result<()> {
    let (user_id, username) = match (&ctx.audit_user, ctx.session) {
        (Some((id, name)), _) => (Some(*id), Some(name.as_str())),
        (None, Some(s)) => (Some(s.user_id), Some(s.username.as_str())),
        (None, None) => (None, None),
    };
    let (outcome, code) = match &ctx.refusal {
        Some(e) => (Outcome::Refused, Some(e.code().as_str())),
        None => (Outcome::Ok, None),
    };
    audit::append_approved(
        tx,
        &audit::Entry {
            at_ms: ctx.now_ms,
            user_id,
            username,
            command: spec.name,
            entity: ctx.note.entity,
            entity_id: ctx.note.entity_id.as_deref(),
            summary: &ctx.note.summary,
            outcome,
            error_code: code,
        },
        approved.map(|a| (a.user_id, a.username.as_str())),
    )?;
    for ev in &ctx.events {
        crate::records::outbox::emit(
            tx,
            ev.kind,
            ev.entity,
            &ev.entity_id,
            &ev.payload,
            ctx.now_ms,
        )?;
    }
    Ok(())
}

/// The router: every command's name to its handler, run as a read or a write.
macro_rules! router {
    ($( $name:literal => $access:expr, $effect:ident, $locked:literal, $handler:path; )*) => {
        fn route(
            d: &Dispatcher,
            session: &mut Option<Session>,
            spec: &CommandSpec,
            args: Value,
            now_ms: i64,
        ) -> Result<Value> {
            match spec.name {
                $( $name => router!(@run $effect, d, session, spec, args, now_ms, $handler), )*
                other => Err(Error::internal(format!("command {other} has no handler"))),
            }
        }
    };
    (@run Read, $d:ident, $s:ident, $spec:ident, $a:ident, $n:ident, $h:path) => {
        $d.run_read($s, $spec, $a, $n, $h)
    };
    (@run Write, $d:ident, $s:ident, $spec:ident, $a:ident, $n:ident, $h:path) => {
        $d.run_write($s, $spec, $a, $n, $h)
    };
    (@run Create, $d:ident, $s:ident, $spec:ident, $a:ident, $n:ident, $h:path) => {
        $d.run_write($s, $spec, $a, $n, $h)
    };
}

with_commands!(router);

/// Takes the `approval` envelope off a write's arguments (absent or `null`: none).
fn take_approval(args: &mut Value) -> Result<Option<Approval>> {
    match args.as_object_mut().and_then(|m| m.remove(APPROVAL_FIELD)) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Approval::from_value(v).map(Some),
    }
}

/// A missing `args` is an empty object; anything but an object is refused.
fn normalise_args(args: Value) -> Result<Value> {
    match args {
        Value::Null => Ok(Value::Object(Default::default())),
        Value::Object(_) => {
            if args.to_string().len() > MAX_ARGS_BYTES {
                return Err(Error::validation(
                    "args",
                    format!("must be at most {MAX_ARGS_BYTES} bytes"),
                ));
            }
            Ok(args)
        }
        _ => Err(Error::validation("args", "must be an object")),
    }
}

/// Parses typed arguments; the error names the offending field.
pub fn parse<R: DeserializeOwned>(args: Value) -> Result<R> {
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." || path.is_empty() {
            // Unknown and missing fields are reported at the top level with the
            // name in backticks, which is serde's stable format for them.
            inner
                .split('`')
                .nth(1)
                .map(str::to_string)
                .unwrap_or_else(|| "args".into())
        } else {
            path
        };
        Error::validation(field, inner)
    })
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::db::OpenOptions;
    use crate::dispatch::commands::Access;
    use serde::Deserialize;
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static VALIDATIONS: AtomicUsize = AtomicUsize::new(0);
    static HANDLED: AtomicUsize = AtomicUsize::new(0);

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Probe {
        n: i64,
    }

    impl Request for Probe {
        fn validate(&self) -> Result<()> {
            VALIDATIONS.fetch_add(1, Ordering::SeqCst);
            if self.n < 0 {
                return Err(Error::validation("n", "must be 0 or more"));
            }
            Ok(())
        }
    }

    fn read_probe(_: &ReadCtx<'_>, _: &Connection, r: &Probe) -> Result<i64> {
        HANDLED.fetch_add(1, Ordering::SeqCst);
        Ok(r.n)
    }

    fn write_probe(_: &mut WriteCtx<'_>, _: &Tx<'_>, r: &Probe) -> Result<i64> {
        HANDLED.fetch_add(1, Ordering::SeqCst);
        Ok(r.n)
    }

    fn counts() -> (usize, usize) {
        (
            VALIDATIONS.load(Ordering::SeqCst),
            HANDLED.load(Ordering::SeqCst),
        )
    }

    /// D06: an input is validated once, in its typed request. The dispatcher
    /// parses and validates every request exactly once, before its handler,
    /// which only ever sees a validated value; a refused request never reaches
    /// a handler, and malformed JSON is refused by the parse before validation.
    #[test]
    fn d06_the_dispatcher_validates_each_request_exactly_once_before_its_handler() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("d06.db"), OpenOptions::default()).unwrap();
        let d = Dispatcher::new(db, Arc::new(ManualClock::new(1_000)));
        let spec = |effect| CommandSpec {
            name: "probe.run",
            access: Access::Public,
            effect,
            while_locked: false,
        };
        let (read, write) = (spec(Effect::Read), spec(Effect::Write));
        let mut s = None;

        let v = d.run_read(&mut s, &read, json!({ "n": 3 }), 1_000, read_probe);
        assert_eq!(v.unwrap(), json!(3));
        assert_eq!(counts(), (1, 1));
        let v = d.run_write(&mut s, &write, json!({ "n": 4 }), 1_000, write_probe);
        assert_eq!(v.unwrap(), json!(4));
        assert_eq!(counts(), (2, 2));

        for (spec, run_write) in [(&read, false), (&write, true)] {
            let bad = json!({ "n": -1 });
            let err = if run_write {
                d.run_write(&mut s, spec, bad, 1_000, write_probe)
            } else {
                d.run_read(&mut s, spec, bad, 1_000, read_probe)
            }
            .unwrap_err();
            assert_eq!(err.details()["field"], json!("n"), "{err}");
        }
        assert_eq!(counts(), (4, 2), "validated once each, never handled");

        let malformed = d.run_write(&mut s, &write, json!({ "n": "three" }), 1_000, write_probe);
        assert_eq!(malformed.unwrap_err().details()["field"], json!("n"));
        assert_eq!(counts(), (4, 2), "refused by the parse, before validation");
    }
}
