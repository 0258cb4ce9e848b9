-- Issue 12 (till-paying): manager approval on the spot (T39), preset
-- discounts, and the discounts and price overrides a held cart keeps.

-- The manager who approved one action on the spot. `user_id` stays the cashier
-- who acted; both are in the row's hash when present (records/audit.rs).
ALTER TABLE audit_log ADD COLUMN approved_by INTEGER REFERENCES users(id);
ALTER TABLE audit_log ADD COLUMN approved_by_username TEXT
    CHECK ((approved_by IS NULL) = (approved_by_username IS NULL)
           AND (approved_by_username IS NULL OR length(approved_by_username) BETWEEN 1 AND 64));

-- Discounts the owner defines for the till (sales/discounts.rs): a percentage
-- or an amount, for one line or the whole basket, with an optional cap on what
-- it may take off. Versioned (T11), archived, never deleted.
CREATE TABLE discount_presets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    scope TEXT NOT NULL CHECK (scope IN ('line', 'basket')),
    percent_bp INTEGER CHECK (percent_bp IS NULL OR percent_bp BETWEEN 1 AND 10000),
    amount_minor INTEGER CHECK (amount_minor IS NULL OR amount_minor BETWEEN 1 AND 1000000000000),
    max_minor INTEGER CHECK (max_minor IS NULL OR max_minor BETWEEN 1 AND 1000000000000),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    archived_at_ms INTEGER,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- Exactly one of a percentage or an amount.
    CHECK ((percent_bp IS NULL) <> (amount_minor IS NULL))
) STRICT;

CREATE UNIQUE INDEX discount_presets_live_name ON discount_presets (name)
    WHERE archived_at_ms IS NULL;

CREATE TRIGGER discount_presets_version_bump BEFORE UPDATE ON discount_presets
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'discount_presets.version must increase by one on every update');
END;

CREATE TRIGGER discount_presets_no_delete BEFORE DELETE ON discount_presets
BEGIN
    SELECT RAISE(ABORT, 'discount presets are archived, never deleted');
END;

-- A held line keeps what the cashier asked for, so a recalled cart is priced
-- again by the core exactly as it was parked.
ALTER TABLE held_cart_lines ADD COLUMN discount_percent_bp INTEGER
    CHECK (discount_percent_bp IS NULL OR discount_percent_bp BETWEEN 1 AND 10000);
ALTER TABLE held_cart_lines ADD COLUMN discount_preset_id INTEGER REFERENCES discount_presets(id);
ALTER TABLE held_cart_lines ADD COLUMN price_override_minor INTEGER
    CHECK (price_override_minor IS NULL OR price_override_minor BETWEEN 0 AND 1000000000000);
ALTER TABLE held_cart_lines ADD COLUMN price_override_reason TEXT
    CHECK ((price_override_minor IS NULL) = (price_override_reason IS NULL)
           AND (price_override_reason IS NULL OR length(price_override_reason) BETWEEN 1 AND 200));

ALTER TABLE held_carts ADD COLUMN basket_percent_bp INTEGER
    CHECK (basket_percent_bp IS NULL OR basket_percent_bp BETWEEN 1 AND 10000);
ALTER TABLE held_carts ADD COLUMN basket_amount_minor INTEGER
    CHECK (basket_amount_minor IS NULL OR basket_amount_minor BETWEEN 1 AND 1000000000000);
ALTER TABLE held_carts ADD COLUMN basket_preset_id INTEGER REFERENCES discount_presets(id)
    CHECK ((basket_percent_bp IS NOT NULL) + (basket_amount_minor IS NOT NULL)
           + (basket_preset_id IS NOT NULL) <= 1);

-- Whether a card payment carries the terminal's reference is now the shop's
-- setting (`card_reference`: required, optional or off; the core enforces
-- "required"), so a card payment may have none. A reference still belongs to
-- card payments only. SQLite cannot change a CHECK in place: the table is
-- rebuilt with the same columns, rows, index and triggers (nothing references it).
CREATE TABLE payments_0017 (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    tender TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'on_account', 'store_credit')),
    -- What this payment settles of the order's total.
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    -- Cash handed over; the difference is the change given back.
    tendered_minor INTEGER NOT NULL CHECK (tendered_minor >= amount_minor),
    change_minor INTEGER NOT NULL CHECK (change_minor = tendered_minor - amount_minor),
    -- The external card terminal's reference, when the till took one.
    reference TEXT CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 64),
    customer_id INTEGER REFERENCES customers(id),
    created_at_ms INTEGER NOT NULL,
    CHECK (tender = 'cash' OR change_minor = 0),
    CHECK (reference IS NULL OR tender = 'card'),
    CHECK (tender NOT IN ('on_account', 'store_credit') OR customer_id IS NOT NULL)
) STRICT;

INSERT INTO payments_0017 (id, order_id, tender, amount_minor, tendered_minor, change_minor,
                           reference, customer_id, created_at_ms)
SELECT id, order_id, tender, amount_minor, tendered_minor, change_minor,
       reference, customer_id, created_at_ms
  FROM payments;

DROP TABLE payments;
ALTER TABLE payments_0017 RENAME TO payments;

CREATE INDEX payments_order ON payments (order_id);

CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments are never changed; a mistake is reversed by a new entry');
END;

CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments are never deleted');
END;
