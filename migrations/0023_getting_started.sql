-- The getting-started checklist on Home. Most steps are read from the data
-- (products exist, stock was received, a second user); the ones the data
-- cannot tell — the tax rates looked at, a receipt printer (printers come
-- later), a backup taken (a backup leaves nothing in the shop's file) — are
-- ticked by the owner, and 'hidden' is the whole list put away once done.
-- One row per step, the last tick wins; who and when stay on the row and
-- every tick is in the audit log.
CREATE TABLE getting_started (
    step TEXT PRIMARY KEY CHECK (step IN ('tax_rates', 'printer', 'backup', 'hidden')),
    done INTEGER NOT NULL CHECK (done IN (0, 1)),
    updated_by INTEGER NOT NULL REFERENCES users(id),
    updated_at_ms INTEGER NOT NULL CHECK (updated_at_ms >= 0)
) STRICT, WITHOUT ROWID;
