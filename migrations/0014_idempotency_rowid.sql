-- The idempotency record (T09) back in a rowid table, keyed by a small unique
-- index on (command, key). Migration 0013 made it WITHOUT ROWID, which SQLite
-- recommends only for rows under about 1/20 of a page: an index B-tree keeps
-- whole rows in its interior cells too, and a checkout's row (its deflated
-- reply included) is ~850 B, so interior pages held four cells and the tree
-- grew four levels deep. Counted frame by frame in the WAL, each checkout
-- rewrote ~3.5 pages of that tree. Rows now append at the right edge of the
-- table and the key index takes ~60 B per entry: ~2.4 pages per create. Row
-- size no longer matters much, so new replies are stored as plain JSON again
-- (docs/BENCHMARKS.md, "Confirming a sale"); deflated ones still replay.
CREATE TABLE idempotency_records (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    key TEXT NOT NULL CHECK (length(key) BETWEEN 8 AND 128),
    request_hash TEXT NOT NULL CHECK (length(request_hash) = 64),
    encoding TEXT NOT NULL CHECK (encoding IN ('json', 'deflate')),
    response BLOB NOT NULL,
    user_id INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    UNIQUE (command, key)
) STRICT;

INSERT INTO idempotency_records
    (command, key, request_hash, encoding, response, user_id, created_at_ms)
SELECT command, key, request_hash, encoding, response, user_id, created_at_ms
  FROM idempotency
 ORDER BY created_at_ms, command, key;
DROP TABLE idempotency;
ALTER TABLE idempotency_records RENAME TO idempotency;
