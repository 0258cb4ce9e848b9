//! Idempotency (T09): the key a creating command must carry, the digest of the
//! request it remembers, and the stored reply a retry gets back.

use crate::db::{CachedRow, Tx};
use crate::dispatch::commands::{CommandSpec, Effect};
use crate::error::{Error, Result};
use crate::shared::handler::Request;
use crate::shared::validate::Secret;
use rusqlite::OptionalExtension;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Idempotency keys are client-made (a UUID is 36 characters); bounds keep them sane.
pub const IDEMPOTENCY_KEY_MIN: usize = 8;
pub const IDEMPOTENCY_KEY_MAX: usize = 128;
pub(super) fn idempotent_replay(
    tx: &Tx<'_>,
    cmd: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<Value>> {
    let stored: Option<(String, String, Vec<u8>)> = tx
        .conn()
        .cached_row(
            "SELECT request_hash, encoding, response FROM idempotency WHERE command = ?1 AND key = ?2",
            rusqlite::params![cmd, key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match stored {
        None => Ok(None),
        Some((hash, _, _)) if hash != request_hash => Err(Error::IdempotencyMismatch {
            key: key.to_string(),
        }),
        Some((_, encoding, response)) => Ok(Some(unpack_reply(&encoding, &response)?)),
    }
}

/// Replies are far below this; the bound keeps a damaged record from
/// inflating into gigabytes.
const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;

/// A reply as its idempotency record stores it, decoded (public for the tests
/// that check no secret is ever stored). New records hold the JSON itself;
/// those written between migration 0013 and the switch back hold it deflated
/// and still replay.
pub fn unpack_reply(encoding: &str, stored: &[u8]) -> Result<Value> {
    match encoding {
        "json" => Ok(serde_json::from_slice(stored)?),
        "deflate" => {
            let json = miniz_oxide::inflate::decompress_to_vec_with_limit(stored, MAX_REPLY_BYTES)
                .map_err(|e| {
                    Error::internal(format!(
                        "a stored idempotency reply cannot be inflated: {e}"
                    ))
                })?;
            Ok(serde_json::from_slice(&json)?)
        }
        other => Err(Error::internal(format!(
            "a stored idempotency reply has an unknown encoding {other:?}"
        ))),
    }
}

pub(super) fn take_idempotency_key(spec: &CommandSpec, args: &mut Value) -> Result<Option<String>> {
    let raw = args
        .as_object_mut()
        .and_then(|m| m.remove("idempotency_key"));
    match (spec.effect, raw) {
        (Effect::Create, Some(Value::String(k))) => {
            let ok_chars = k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
            if !(IDEMPOTENCY_KEY_MIN..=IDEMPOTENCY_KEY_MAX).contains(&k.len()) || !ok_chars {
                return Err(Error::validation(
                    "idempotency_key",
                    format!(
                        "must be {IDEMPOTENCY_KEY_MIN} to {IDEMPOTENCY_KEY_MAX} characters of letters, digits and - _ : ."
                    ),
                ));
            }
            Ok(Some(k))
        }
        (Effect::Create, Some(_)) => Err(Error::validation("idempotency_key", "must be a string")),
        (Effect::Create, None) => Err(Error::validation(
            "idempotency_key",
            format!(
                "{} creates a record and needs an idempotency_key",
                spec.name
            ),
        )),
        (_, Some(_)) => Err(Error::validation(
            "idempotency_key",
            format!("{} does not take an idempotency_key", spec.name),
        )),
        (_, None) => Ok(None),
    }
}

/// What the idempotency record remembers of a request: a digest of its
/// arguments, with each secret represented by an Argon2id fingerprint salted by
/// the key, so the stored digest is no easier to brute-force than the password
/// hash itself, yet a different password under the same key is still a mismatch.
pub(super) fn hash_request<R: Request>(cmd: &str, key: &str, req: &R) -> Result<String> {
    let body = serde_json::to_string(req)?;
    let mut h = Sha256::new();
    h.update(cmd.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    let salt = Sha256::digest(format!("{cmd}\n{key}").as_bytes());
    for secret in req.secrets() {
        h.update(b"\n");
        h.update(secret_fingerprint(secret, &salt[..16])?);
    }
    Ok(crate::db::migrate::hex(&h.finalize()))
}

/// A deterministic Argon2id digest of a secret under `salt` (at least 8 bytes).
pub fn secret_fingerprint(secret: &Secret, salt: &[u8]) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    crate::identity::auth::hasher()?
        .hash_password_into(secret.expose().as_bytes(), salt, &mut out)
        .map_err(|e| Error::internal(format!("fingerprint failed: {e}")))?;
    Ok(out)
}
