-- Head-office sync, the shop's side (issue 14).
--
-- 1. A hash chain over the outbox: each row's `chain` is
--    tillbook_outbox_chain(previous chain, id, kind, entity, entity_id, payload,
--    created_at_ms) (tillbook-db's db/outbox_chain.rs), written in the emitting
--    transaction as the audit chain is. Head office stores it with each event,
--    so a shop restored from an older backup is seen as a different history
--    instead of being merged into the old one. Rows that existed before this
--    migration are chained here, in id order, the same way (deterministic).
--    Outbox rows never change again: the push keeps a cursor per target instead
--    of marking rows sent (sent_at_ms and attempts stay, unused).
ALTER TABLE outbox ADD COLUMN chain BLOB CHECK (chain IS NULL OR length(chain) = 32);

CREATE TEMP TABLE outbox_chain_fill (id INTEGER PRIMARY KEY, chain BLOB NOT NULL);
WITH RECURSIVE links(id, chain) AS (
    SELECT 0, zeroblob(32)
    UNION ALL
    SELECT o.id, tillbook_outbox_chain(l.chain, o.id, o.kind, o.entity, o.entity_id, o.payload, o.created_at_ms)
      FROM links l
      JOIN outbox o ON o.id = (SELECT min(n.id) FROM outbox n WHERE n.id > l.id)
)
INSERT INTO outbox_chain_fill (id, chain) SELECT id, chain FROM links WHERE id > 0;
UPDATE outbox SET chain = (SELECT f.chain FROM temp.outbox_chain_fill f WHERE f.id = outbox.id);
DROP TABLE temp.outbox_chain_fill;
DROP INDEX outbox_unsent;

-- A new row must carry its link (NOT NULL cannot be added to a column of a
-- table that has rows, so a trigger holds it as strictly).
CREATE TRIGGER outbox_chain_required BEFORE INSERT ON outbox
WHEN NEW.chain IS NULL OR length(NEW.chain) <> 32
BEGIN
    SELECT RAISE(ABORT, 'an outbox row needs its chain link');
END;

CREATE TRIGGER outbox_no_change BEFORE UPDATE OF id, kind, entity, entity_id, payload, created_at_ms, chain ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox rows never change');
END;

CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox rows are never deleted');
END;

-- 2. Where the shop pushes: one row per head-office target, changed only by the
--    owner-only, audited `sync.set_target`. No password here: backups copy this
--    file, so credentials live outside it.
CREATE TABLE sync_targets (
    name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 40),
    host TEXT NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
    port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    database_name TEXT NOT NULL CHECK (length(database_name) BETWEEN 1 AND 64),
    db_user TEXT NOT NULL CHECK (length(db_user) BETWEEN 1 AND 80),
    -- 'verify': TLS required, the CA and the host name checked (T06);
    -- 'insecure': TLS without checks, set explicitly and audited.
    tls_mode TEXT NOT NULL CHECK (tls_mode IN ('verify', 'insecure')),
    ca_pem TEXT CHECK (ca_pem IS NULL OR length(ca_pem) BETWEEN 1 AND 65536),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at_ms INTEGER NOT NULL
) STRICT;

-- 3. The per-target cursor: a cache of the server's high-water mark (the
--    server's row is the truth; every push session starts by reading it) and
--    what the last attempt found. Written by the pusher as system bookkeeping.
CREATE TABLE sync_state (
    target TEXT PRIMARY KEY REFERENCES sync_targets(name) ON DELETE CASCADE,
    acked_seq INTEGER NOT NULL CHECK (acked_seq >= 0),
    acked_chain BLOB NOT NULL CHECK (length(acked_chain) = 32),
    state TEXT NOT NULL CHECK (state IN ('idle', 'pushing', 'up_to_date', 'retrying', 'offline', 'blocked', 'diverged')),
    failures INTEGER NOT NULL CHECK (failures >= 0),
    last_attempt_ms INTEGER,
    last_success_ms INTEGER,
    next_attempt_ms INTEGER,
    error_code TEXT CHECK (error_code IS NULL OR length(error_code) BETWEEN 1 AND 64),
    last_error TEXT CHECK (last_error IS NULL OR length(last_error) BETWEEN 1 AND 500),
    -- The server session of the last push, killed by the next one so a dead
    -- connection cannot keep holding the high-water-mark row's lock.
    server_connection_id INTEGER CHECK (server_connection_id IS NULL OR server_connection_id > 0)
) STRICT;
