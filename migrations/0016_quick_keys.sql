-- Adding items fast (issue 12): the till's quick keys — pages of tiles the
-- owner arranges, a favourites page first — and a product word index that
-- also holds the barcode and answers a one-letter word prefix.
-- Conventions as in 0001: STRICT tables, CHECKs, *_ms times, version bumps.

-- A page of tiles. 'favourites' is the one first page (seeded here, never
-- archived); 'tiles' pages hold the tiles placed on them; a 'category' page
-- shows every active product of its category, so it needs no arranging.
CREATE TABLE quick_key_pages (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    kind TEXT NOT NULL CHECK (kind IN ('favourites', 'tiles', 'category')),
    category TEXT COLLATE NOCASE CHECK (category IS NULL OR length(category) BETWEEN 1 AND 100),
    -- Order of the tabs, 1 first; the favourites page is always 1 (kept so by the core).
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 1000),
    archived_at_ms INTEGER,
    created_by INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((kind = 'category') = (category IS NOT NULL)),
    CHECK (kind <> 'favourites' OR archived_at_ms IS NULL)
) STRICT;

CREATE UNIQUE INDEX quick_key_pages_one_favourites ON quick_key_pages (kind) WHERE kind = 'favourites';
CREATE INDEX quick_key_pages_order ON quick_key_pages (position, id) WHERE archived_at_ms IS NULL;

INSERT INTO quick_key_pages (name, kind, position, created_at_ms, updated_at_ms)
VALUES ('Favourites', 'favourites', 1, 0, 0);

CREATE TRIGGER quick_key_pages_version_bump BEFORE UPDATE ON quick_key_pages
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'quick_key_pages.version must increase by one on every update');
END;

CREATE TRIGGER quick_key_pages_kind_fixed BEFORE UPDATE OF kind, category ON quick_key_pages
WHEN NEW.kind IS NOT OLD.kind OR NEW.category IS NOT OLD.category
BEGIN
    SELECT RAISE(ABORT, 'a quick key page keeps its kind and category');
END;

CREATE TRIGGER quick_key_pages_no_delete BEFORE DELETE ON quick_key_pages
BEGIN
    SELECT RAISE(ABORT, 'quick key pages are archived, never deleted');
END;

-- At most 20 live pages (the core says so first, in plain words).
CREATE TRIGGER quick_key_pages_limit BEFORE INSERT ON quick_key_pages
WHEN (SELECT count(*) FROM quick_key_pages WHERE archived_at_ms IS NULL) >= 20
BEGIN
    SELECT RAISE(ABORT, 'at most 20 quick key pages');
END;

-- A tile: one product on one page, at a position (1 = top left, row by row).
-- Layout, not a record: removing a tile deletes it (its audit row keeps what it was).
CREATE TABLE quick_key_tiles (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES quick_key_pages(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 48),
    -- Shown instead of the product's name when set (a short name fits a tile).
    label TEXT CHECK (label IS NULL OR length(label) BETWEEN 1 AND 40),
    colour TEXT NOT NULL DEFAULT 'grey'
        CHECK (colour IN ('grey', 'red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink', 'brown')),
    -- A small picture as a data URL: PNG, JPEG or WebP, at most 48 KiB of text.
    image TEXT CHECK (image IS NULL OR (length(image) <= 49152 AND (
        image LIKE 'data:image/png;base64,%' OR image LIKE 'data:image/jpeg;base64,%'
        OR image LIKE 'data:image/webp;base64,%'))),
    created_by INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;

-- A product is on a page at most once.
CREATE UNIQUE INDEX quick_key_tiles_once ON quick_key_tiles (page_id, product_id);
CREATE INDEX quick_key_tiles_order ON quick_key_tiles (page_id, position, id);
CREATE INDEX quick_key_tiles_product ON quick_key_tiles (product_id);

CREATE TRIGGER quick_key_tiles_version_bump BEFORE UPDATE ON quick_key_tiles
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'quick_key_tiles.version must increase by one on every update');
END;

CREATE TRIGGER quick_key_tiles_page_fixed BEFORE UPDATE OF page_id, product_id ON quick_key_tiles
WHEN NEW.page_id IS NOT OLD.page_id OR NEW.product_id IS NOT OLD.product_id
BEGIN
    SELECT RAISE(ABORT, 'a tile stays on its page with its product');
END;

-- At most 48 tiles a page, and only on a live page that holds tiles.
CREATE TRIGGER quick_key_tiles_limit BEFORE INSERT ON quick_key_tiles
WHEN (SELECT count(*) FROM quick_key_tiles WHERE page_id = NEW.page_id) >= 48
BEGIN
    SELECT RAISE(ABORT, 'at most 48 tiles on a quick key page');
END;

CREATE TRIGGER quick_key_tiles_on_tile_page BEFORE INSERT ON quick_key_tiles
WHEN NOT EXISTS (SELECT 1 FROM quick_key_pages
                 WHERE id = NEW.page_id AND kind <> 'category' AND archived_at_ms IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'tiles go on a live page that is not a category page');
END;

-- The word index again, now with the barcode and a one-character prefix index,
-- so "m" finds "Semi-skimmed milk" and a barcode's first digits find it too.
DROP TRIGGER products_fts_insert;
DROP TRIGGER products_fts_update;
DROP TABLE products_fts;

CREATE VIRTUAL TABLE products_fts USING fts5(
    name, sku, barcode, category,
    content = 'products', content_rowid = 'id',
    prefix = '1 2 3', tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER products_fts_insert AFTER INSERT ON products
BEGIN
    INSERT INTO products_fts (rowid, name, sku, barcode, category)
    VALUES (NEW.id, NEW.name, NEW.sku, NEW.barcode, NEW.category);
END;

CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku, barcode, category ON products
BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, sku, barcode, category)
    VALUES ('delete', OLD.id, OLD.name, OLD.sku, OLD.barcode, OLD.category);
    INSERT INTO products_fts (rowid, name, sku, barcode, category)
    VALUES (NEW.id, NEW.name, NEW.sku, NEW.barcode, NEW.category);
END;

INSERT INTO products_fts (products_fts) VALUES ('rebuild');
