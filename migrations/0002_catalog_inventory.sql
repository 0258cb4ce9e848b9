-- Catalog and inventory: tax classes, products (with an FTS5 search index),
-- typed price rules, batches (lots), stock movements, reservations and stock
-- counts. Conventions as in 0001: STRICT tables, CHECKs, *_minor money, *_ms
-- times, version-bump triggers on versioned rows, archive-never-delete (T22).

-- Tax classes a product can belong to; the rate is in basis points (2000 = 20 %).
-- Fixed reference data for now: there is no command that edits it.
CREATE TABLE tax_classes (
    code TEXT PRIMARY KEY CHECK (code IN ('standard', 'reduced', 'zero')),
    rate_bp INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000)
) STRICT;

INSERT INTO tax_classes (code, rate_bp) VALUES ('standard', 2000), ('reduced', 500), ('zero', 0);

CREATE TRIGGER tax_classes_no_delete BEFORE DELETE ON tax_classes
BEGIN
    SELECT RAISE(ABORT, 'tax classes are never deleted');
END;

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(sku) BETWEEN 1 AND 64),
    barcode TEXT UNIQUE CHECK (barcode IS NULL OR length(barcode) BETWEEN 1 AND 64),
    name TEXT NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 200),
    category TEXT NOT NULL COLLATE NOCASE DEFAULT '' CHECK (length(category) <= 100),
    unit TEXT NOT NULL CHECK (unit IN ('each', 'kg', 'g', 'l', 'ml', 'm', 'pack')),
    tax_class TEXT NOT NULL REFERENCES tax_classes(code),
    price_minor INTEGER NOT NULL CHECK (price_minor BETWEEN 0 AND 1000000000000),
    archived_at_ms INTEGER,
    created_by INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;

-- As-you-type name prefix search walks this index in (name, id) order.
CREATE INDEX products_name ON products (name, id);
CREATE INDEX products_category ON products (category, id);

CREATE TRIGGER products_version_bump BEFORE UPDATE ON products
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'products.version must increase by one on every update');
END;

CREATE TRIGGER products_no_delete BEFORE DELETE ON products
BEGIN
    SELECT RAISE(ABORT, 'products are archived, never deleted');
END;

-- Word search over name, SKU and category. External content: the text lives in
-- `products`; these triggers keep the index in step in the same statement.
-- prefix='2 3' indexes 2- and 3-character prefixes so short queries are fast.
CREATE VIRTUAL TABLE products_fts USING fts5(
    name, sku, category,
    content = 'products', content_rowid = 'id',
    prefix = '2 3', tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER products_fts_insert AFTER INSERT ON products
BEGIN
    INSERT INTO products_fts (rowid, name, sku, category)
    VALUES (NEW.id, NEW.name, NEW.sku, NEW.category);
END;

CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku, category ON products
BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, sku, category)
    VALUES ('delete', OLD.id, OLD.name, OLD.sku, OLD.category);
    INSERT INTO products_fts (rowid, name, sku, category)
    VALUES (NEW.id, NEW.name, NEW.sku, NEW.category);
END;

-- Price rules, one typed row per rule (T40). The request is a serde enum with
-- deny_unknown_fields; these CHECKs pin which columns each kind uses, so a row
-- of the wrong shape cannot exist even if written around the core.
CREATE TABLE price_rules (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('customer_price', 'quantity_break', 'category_percent', 'promotion')),
    product_id INTEGER REFERENCES products(id),
    category TEXT COLLATE NOCASE,
    -- A customer's id (customers live in 0003); not a foreign key yet.
    customer_id INTEGER CHECK (customer_id IS NULL OR customer_id >= 1),
    min_quantity INTEGER CHECK (min_quantity IS NULL OR min_quantity BETWEEN 2 AND 1000000000),
    unit_price_minor INTEGER CHECK (unit_price_minor IS NULL OR unit_price_minor BETWEEN 0 AND 1000000000000),
    percent_off_bp INTEGER CHECK (percent_off_bp IS NULL OR percent_off_bp BETWEEN 1 AND 10000),
    starts_at_ms INTEGER,
    ends_at_ms INTEGER,
    archived_at_ms INTEGER,
    created_by INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (
        (kind = 'customer_price' AND product_id IS NOT NULL AND customer_id IS NOT NULL
            AND unit_price_minor IS NOT NULL AND category IS NULL AND min_quantity IS NULL
            AND percent_off_bp IS NULL AND starts_at_ms IS NULL AND ends_at_ms IS NULL)
        OR (kind = 'quantity_break' AND product_id IS NOT NULL AND min_quantity IS NOT NULL
            AND unit_price_minor IS NOT NULL AND category IS NULL AND customer_id IS NULL
            AND percent_off_bp IS NULL AND starts_at_ms IS NULL AND ends_at_ms IS NULL)
        OR (kind = 'category_percent' AND category IS NOT NULL AND length(category) BETWEEN 1 AND 100
            AND percent_off_bp IS NOT NULL AND product_id IS NULL AND customer_id IS NULL
            AND min_quantity IS NULL AND unit_price_minor IS NULL
            AND starts_at_ms IS NULL AND ends_at_ms IS NULL)
        OR (kind = 'promotion' AND product_id IS NOT NULL AND unit_price_minor IS NOT NULL
            AND starts_at_ms IS NOT NULL AND ends_at_ms IS NOT NULL AND starts_at_ms < ends_at_ms
            AND category IS NULL AND customer_id IS NULL AND min_quantity IS NULL
            AND percent_off_bp IS NULL)
    )
) STRICT;

CREATE INDEX price_rules_product ON price_rules (product_id, kind) WHERE archived_at_ms IS NULL;
CREATE INDEX price_rules_category ON price_rules (category) WHERE archived_at_ms IS NULL;
-- One live customer price per product and customer; one live break per quantity.
CREATE UNIQUE INDEX price_rules_one_customer_price ON price_rules (product_id, customer_id)
    WHERE kind = 'customer_price' AND archived_at_ms IS NULL;
CREATE UNIQUE INDEX price_rules_one_break ON price_rules (product_id, min_quantity)
    WHERE kind = 'quantity_break' AND archived_at_ms IS NULL;

CREATE TRIGGER price_rules_version_bump BEFORE UPDATE ON price_rules
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'price_rules.version must increase by one on every update');
END;

CREATE TRIGGER price_rules_no_delete BEFORE DELETE ON price_rules
BEGIN
    SELECT RAISE(ABORT, 'price rules are archived, never deleted');
END;

-- A batch (lot) of one product. `on_hand` and `reserved` are caches kept by the
-- triggers below in the same statement as the movement or reservation that
-- changes them; the CHECKs make the database the lock: stock never goes
-- negative and nothing reserves more than is on hand (T17, T30).
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id),
    lot_code TEXT NOT NULL CHECK (length(lot_code) BETWEEN 1 AND 64),
    -- ISO date (YYYY-MM-DD) or NULL for goods that do not expire.
    expires_on TEXT CHECK (expires_on IS NULL OR date(expires_on) IS expires_on),
    unit_cost_minor INTEGER NOT NULL CHECK (unit_cost_minor BETWEEN 0 AND 1000000000000),
    received_quantity INTEGER NOT NULL CHECK (received_quantity BETWEEN 1 AND 1000000000),
    received_at_ms INTEGER NOT NULL,
    received_by INTEGER REFERENCES users(id),
    source_type TEXT CHECK (source_type IS NULL OR length(source_type) BETWEEN 1 AND 32),
    source_id TEXT CHECK (source_id IS NULL OR length(source_id) BETWEEN 1 AND 64),
    on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand)
) STRICT;

-- FEFO then FIFO picking order per product.
CREATE INDEX batches_pick ON batches (product_id, expires_on IS NULL, expires_on, received_at_ms, id);

CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches
BEGIN
    SELECT RAISE(ABORT, 'batches are never deleted');
END;

-- Only the caches may change, and only through the triggers' arithmetic.
CREATE TRIGGER batches_fixed BEFORE UPDATE ON batches
WHEN NEW.id IS NOT OLD.id OR NEW.product_id IS NOT OLD.product_id
  OR NEW.lot_code IS NOT OLD.lot_code OR NEW.expires_on IS NOT OLD.expires_on
  OR NEW.unit_cost_minor IS NOT OLD.unit_cost_minor
  OR NEW.received_quantity IS NOT OLD.received_quantity
  OR NEW.received_at_ms IS NOT OLD.received_at_ms
BEGIN
    SELECT RAISE(ABORT, 'a batch''s receipt details never change; adjust stock with a movement');
END;

-- Every change of quantity. A batch's on-hand is the sum of its movements.
CREATE TABLE stock_movements (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    kind TEXT NOT NULL CHECK (kind IN ('receive', 'sale', 'return', 'adjustment',
        'count_variance', 'sample', 'damage', 'write_off')),
    quantity INTEGER NOT NULL CHECK (quantity <> 0 AND quantity BETWEEN -1000000000 AND 1000000000),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    user_id INTEGER REFERENCES users(id),
    source_type TEXT CHECK (source_type IS NULL OR length(source_type) BETWEEN 1 AND 32),
    source_id TEXT CHECK (source_id IS NULL OR length(source_id) BETWEEN 1 AND 64),
    at_ms INTEGER NOT NULL,
    CHECK (CASE
        WHEN kind IN ('receive', 'return') THEN quantity > 0
        WHEN kind IN ('sale', 'sample', 'damage', 'write_off') THEN quantity < 0
        ELSE 1 END)
) STRICT;

CREATE INDEX stock_movements_batch ON stock_movements (batch_id, id);

CREATE TRIGGER stock_movements_apply AFTER INSERT ON stock_movements
BEGIN
    UPDATE batches SET on_hand = on_hand + NEW.quantity WHERE id = NEW.batch_id;
END;

CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN
    SELECT RAISE(ABORT, 'stock movements are append-only');
END;

CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
BEGIN
    SELECT RAISE(ABORT, 'stock movements are append-only');
END;

-- Quantity held for a parked sale. Released once (by hand, on expiry, when the
-- sale consumes it, or when a count finds less stock); a batch's `reserved` is
-- the sum of its unreleased reservations.
CREATE TABLE stock_reservations (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000),
    holder TEXT NOT NULL CHECK (length(holder) BETWEEN 1 AND 100),
    user_id INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    released_at_ms INTEGER,
    release_reason TEXT CHECK (release_reason IN ('released', 'expired', 'consumed', 'count')),
    CHECK ((released_at_ms IS NULL) = (release_reason IS NULL))
) STRICT;

CREATE INDEX stock_reservations_open ON stock_reservations (batch_id, expires_at_ms)
    WHERE released_at_ms IS NULL;
CREATE INDEX stock_reservations_expiry ON stock_reservations (expires_at_ms)
    WHERE released_at_ms IS NULL;

CREATE TRIGGER stock_reservations_hold AFTER INSERT ON stock_reservations
BEGIN
    UPDATE batches SET reserved = reserved + NEW.quantity WHERE id = NEW.batch_id;
END;

CREATE TRIGGER stock_reservations_once BEFORE UPDATE ON stock_reservations
WHEN OLD.released_at_ms IS NOT NULL OR NEW.released_at_ms IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.batch_id IS NOT OLD.batch_id
  OR NEW.quantity IS NOT OLD.quantity OR NEW.holder IS NOT OLD.holder
  OR NEW.created_at_ms IS NOT OLD.created_at_ms OR NEW.expires_at_ms IS NOT OLD.expires_at_ms
BEGIN
    SELECT RAISE(ABORT, 'a reservation is only ever released, once');
END;

CREATE TRIGGER stock_reservations_release AFTER UPDATE OF released_at_ms ON stock_reservations
BEGIN
    UPDATE batches SET reserved = reserved - NEW.quantity WHERE id = NEW.batch_id;
END;

CREATE TRIGGER stock_reservations_no_delete BEFORE DELETE ON stock_reservations
BEGIN
    SELECT RAISE(ABORT, 'reservations are released, never deleted');
END;

-- A stock count document: opened, lines recorded (each recording bumps the
-- version, so posting names the state that was reviewed), posted once.
CREATE TABLE stock_counts (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    status TEXT NOT NULL CHECK (status IN ('open', 'posted')),
    note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    opened_by INTEGER REFERENCES users(id),
    opened_at_ms INTEGER NOT NULL,
    posted_by INTEGER REFERENCES users(id),
    posted_at_ms INTEGER,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((status = 'posted') = (posted_at_ms IS NOT NULL))
) STRICT;

CREATE TRIGGER stock_counts_version_bump BEFORE UPDATE ON stock_counts
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'stock_counts.version must increase by one on every update');
END;

CREATE TRIGGER stock_counts_no_delete BEFORE DELETE ON stock_counts
BEGIN
    SELECT RAISE(ABORT, 'stock counts are never deleted');
END;

CREATE TABLE stock_count_lines (
    count_id INTEGER NOT NULL REFERENCES stock_counts(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    counted INTEGER NOT NULL CHECK (counted BETWEEN 0 AND 1000000000),
    recorded_by INTEGER REFERENCES users(id),
    recorded_at_ms INTEGER NOT NULL,
    -- Filled in when the count is posted: what the books said, and the movement.
    expected INTEGER CHECK (expected IS NULL OR expected >= 0),
    movement_id INTEGER REFERENCES stock_movements(id),
    PRIMARY KEY (count_id, batch_id)
) STRICT;

CREATE TRIGGER stock_count_lines_no_delete BEFORE DELETE ON stock_count_lines
BEGIN
    SELECT RAISE(ABORT, 'stock count lines are never deleted');
END;
