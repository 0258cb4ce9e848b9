-- Foundation: the shop, users and their login state, settings, audit log,
-- sync outbox, idempotency records and gapless counters.
-- Conventions: every table STRICT; money in integer minor units (*_minor);
-- times in Unix milliseconds (*_ms); versioned rows bump `version` by exactly
-- one on every update, enforced by a trigger (T11, T25).

-- The one shop this file belongs to. id = 1 makes a second setup impossible.
CREATE TABLE shop (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    currency_code TEXT NOT NULL CHECK (length(currency_code) = 3 AND currency_code = upper(currency_code)),
    currency_scale INTEGER NOT NULL CHECK (currency_scale BETWEEN 0 AND 4),
    -- Identifies this till's events at head office (per-host sequence, insert-or-ignore).
    host_id TEXT NOT NULL CHECK (length(host_id) = 32),
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'cashier')),
    -- Argon2id PHC strings only (T13); no other column holds a secret.
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    pin_hash TEXT CHECK (pin_hash IS NULL OR pin_hash LIKE '$argon2id$%'),
    archived_at_ms INTEGER,
    created_by INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;

CREATE TRIGGER users_version_bump BEFORE UPDATE ON users
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'users.version must increase by one on every update');
END;

CREATE TRIGGER users_no_delete BEFORE DELETE ON users
BEGIN
    SELECT RAISE(ABORT, 'users are archived, never deleted');
END;

-- Login throttling lives apart from `users` so a failed login does not bump the
-- version a manager is editing against (T18).
CREATE TABLE login_state (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    lockouts INTEGER NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
    locked_until_ms INTEGER,
    last_login_ms INTEGER
) STRICT;

-- Typed settings, stored as one JSON document; missing keys take their defaults (T34).
CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    json TEXT NOT NULL CHECK (json_valid(json)),
    updated_at_ms INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;

CREATE TRIGGER settings_version_bump BEFORE UPDATE ON settings
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'settings.version must increase by one on every update');
END;

-- Append-only, hash-chained audit log (D08).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id),
    username TEXT,
    command TEXT NOT NULL CHECK (length(command) BETWEEN 1 AND 64),
    entity TEXT,
    entity_id TEXT,
    summary TEXT NOT NULL CHECK (json_valid(summary)),
    result TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
    error_code TEXT,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at_ms);
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_command ON audit_log (command, id);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Business events waiting for head office, written in the same transaction as
-- the change. `id` is this host's sequence number.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    entity TEXT,
    entity_id TEXT,
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    created_at_ms INTEGER NOT NULL,
    sent_at_ms INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0)
) STRICT;

CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at_ms IS NULL;

-- One row per create request: a replay returns the stored response (T09).
CREATE TABLE idempotency (
    command TEXT NOT NULL,
    key TEXT NOT NULL CHECK (length(key) BETWEEN 8 AND 128),
    request_hash TEXT NOT NULL CHECK (length(request_hash) = 64),
    response TEXT NOT NULL CHECK (json_valid(response)),
    user_id INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (command, key)
) STRICT;

-- Gapless document numbers, taken in the same transaction as the document (T26).
CREATE TABLE counters (
    name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    value INTEGER NOT NULL CHECK (value >= 0)
) STRICT;
