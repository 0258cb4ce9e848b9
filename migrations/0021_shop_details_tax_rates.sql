-- tillbook: foreign_keys off
-- (The line above makes the migrator run this file with foreign keys off and
-- check them with `PRAGMA foreign_key_check` before committing: `tax_classes`
-- is rebuilt to lift its fixed CHECK, SQLite's documented 12-step way.)
--
-- A shop set up by country, and tax as dated data (issue 13).
--
-- 1. The shop's details printed on receipts and invoices, and the time zone and
--    locale dates and amounts are shown in. Empty strings for shops set up
--    before this migration (the owner fills them in under "Shop details").
-- 2. Tax classes become named data the owner edits: a class has a code (the
--    stable key products point at) and a name; its rate lives in `tax_rates`,
--    one row per rate with the instant it takes effect from. A sale uses the
--    row in effect at the sale's time; the sale's lines keep the rate they were
--    sold at (`tax_rate_bp`), so a later change never touches a past sale.
--    Existing classes keep their codes and rates (in effect since 0), so every
--    product keeps its class and price.
-- 3. Whether shelf prices include tax is dated too: `tax_mode_changes` holds
--    each switch with the instant it takes effect and what the owner chose to
--    keep (shelf prices, or the net with prices recalculated once). Seeded with
--    the shop's current setting, in effect since 0.

ALTER TABLE shop ADD COLUMN country_code TEXT NOT NULL DEFAULT ''
    CHECK (country_code = '' OR (length(country_code) = 2 AND country_code = upper(country_code)
                                 AND country_code NOT GLOB '*[^A-Z]*'));
ALTER TABLE shop ADD COLUMN address TEXT NOT NULL DEFAULT ''
    CHECK (length(address) <= 300);
ALTER TABLE shop ADD COLUMN phone TEXT NOT NULL DEFAULT ''
    CHECK (length(phone) <= 40);
ALTER TABLE shop ADD COLUMN tax_number TEXT NOT NULL DEFAULT ''
    CHECK (length(tax_number) <= 40);
ALTER TABLE shop ADD COLUMN timezone TEXT NOT NULL DEFAULT ''
    CHECK (length(timezone) <= 64);
ALTER TABLE shop ADD COLUMN locale TEXT NOT NULL DEFAULT ''
    CHECK (length(locale) <= 35);
ALTER TABLE shop ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shop ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);

CREATE TRIGGER shop_version_bump BEFORE UPDATE ON shop
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'shop.version must increase by one on every update');
END;

CREATE TRIGGER shop_fixed BEFORE UPDATE ON shop
WHEN NEW.id IS NOT OLD.id OR NEW.currency_code IS NOT OLD.currency_code
  OR NEW.currency_scale IS NOT OLD.currency_scale OR NEW.host_id IS NOT OLD.host_id
  OR NEW.created_at_ms IS NOT OLD.created_at_ms OR NEW.country_code IS NOT OLD.country_code
BEGIN
    SELECT RAISE(ABORT, 'a shop''s currency, country and identity never change');
END;

CREATE TABLE tax_classes_new (
    -- The stable key products point at: lower-case letters, digits and '_'.
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 32 AND code NOT GLOB '*[^a-z0-9_]*'),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    created_by INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;

CREATE TEMP TABLE old_rates (code TEXT PRIMARY KEY, rate_bp INTEGER NOT NULL);
INSERT INTO temp.old_rates (code, rate_bp) SELECT code, rate_bp FROM tax_classes;

INSERT INTO tax_classes_new (code, name, created_at_ms, updated_at_ms)
SELECT code, CASE code WHEN 'standard' THEN 'Standard' WHEN 'reduced' THEN 'Reduced'
                       WHEN 'zero' THEN 'Zero' ELSE code END, 0, 0
  FROM tax_classes;

DROP TABLE tax_classes;
ALTER TABLE tax_classes_new RENAME TO tax_classes;

CREATE TRIGGER tax_classes_no_delete BEFORE DELETE ON tax_classes
BEGIN
    SELECT RAISE(ABORT, 'tax classes are never deleted');
END;

CREATE TRIGGER tax_classes_version_bump BEFORE UPDATE ON tax_classes
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'tax_classes.version must increase by one on every update');
END;

CREATE TRIGGER tax_classes_code_fixed BEFORE UPDATE ON tax_classes
WHEN NEW.code IS NOT OLD.code OR NEW.created_at_ms IS NOT OLD.created_at_ms
BEGIN
    SELECT RAISE(ABORT, 'a tax class''s code never changes; rename it instead');
END;

-- A class's rates over time. Never updated or deleted: a change is a new row
-- from a later instant, and no two rows of a class share one instant.
CREATE TABLE tax_rates (
    id INTEGER PRIMARY KEY,
    class_code TEXT NOT NULL REFERENCES tax_classes(code),
    effective_from_ms INTEGER NOT NULL CHECK (effective_from_ms >= 0),
    rate_bp INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    created_by INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    UNIQUE (class_code, effective_from_ms)
) STRICT;

INSERT INTO tax_rates (class_code, effective_from_ms, rate_bp, created_at_ms)
SELECT code, 0, rate_bp, 0 FROM temp.old_rates;
DROP TABLE temp.old_rates;

CREATE TRIGGER tax_rates_no_update BEFORE UPDATE ON tax_rates
BEGIN
    SELECT RAISE(ABORT, 'tax rates are never changed; schedule a new rate instead');
END;

CREATE TRIGGER tax_rates_no_delete BEFORE DELETE ON tax_rates
BEGIN
    SELECT RAISE(ABORT, 'tax rates are never deleted');
END;

-- Whether shelf prices include tax, from an instant on. `keep` is what the
-- owner chose to stay the same: 'prices' (customers pay the same, the net
-- changes) or 'net' (prices were recalculated once, in the switch's own
-- transaction, at the instant it took effect).
CREATE TABLE tax_mode_changes (
    id INTEGER PRIMARY KEY,
    -- `tax.schedule_mode` never schedules two switches at one instant; the
    -- settings key's compatibility path may (two edits within a millisecond),
    -- and then the later row (higher id) wins.
    effective_from_ms INTEGER NOT NULL CHECK (effective_from_ms >= 0),
    prices_include_tax INTEGER NOT NULL CHECK (prices_include_tax IN (0, 1)),
    keep TEXT NOT NULL CHECK (keep IN ('prices', 'net')),
    repriced_products INTEGER NOT NULL DEFAULT 0 CHECK (repriced_products >= 0),
    created_by INTEGER REFERENCES users(id),
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX tax_mode_changes_from ON tax_mode_changes (effective_from_ms, id);

INSERT INTO tax_mode_changes (effective_from_ms, prices_include_tax, keep, created_at_ms)
SELECT 0, CASE WHEN json_extract(json, '$.prices_include_tax') THEN 1 ELSE 0 END, 'prices', 0
  FROM settings WHERE id = 1;

CREATE TRIGGER tax_mode_changes_no_update BEFORE UPDATE ON tax_mode_changes
BEGIN
    SELECT RAISE(ABORT, 'a tax mode change is never edited; schedule another');
END;

CREATE TRIGGER tax_mode_changes_no_delete BEFORE DELETE ON tax_mode_changes
BEGIN
    SELECT RAISE(ABORT, 'tax mode changes are never deleted');
END;
