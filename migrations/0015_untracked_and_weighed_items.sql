-- tillbook: foreign_keys off
-- (The line above makes the migrator run this file with foreign keys off and
-- check them with `PRAGMA foreign_key_check` before committing: two tables are
-- rebuilt to change a CHECK, SQLite's documented 12-step way.)
--
-- Items that aren't counted, and items sold by weight or length (issue 12).
--
-- 1. Untracked products: `track_stock = 0` sells without batches, reservations
--    or movements; COGS is `standard_cost_minor` × quantity (none when NULL).
--    Existing products stay tracked.
-- 2. Units carry a precision: kg and l to 3 decimals (stored in g / ml), m to
--    2 (stored in cm); each, pack, g and ml are whole. Every quantity in SQL is
--    an integer in the smallest unit; prices and unit costs stay per unit (per
--    kg). A line's amount is `price × quantity / 10^decimals`, rounded once,
--    half away from zero (for these non-negative amounts: + half, then floor).
--    Rows written before this migration counted whole kg / l / m, so their
--    quantities are multiplied by 1000 (kg, l) or 100 (m) here; amounts do not
--    change, so nothing already stored changes meaning and the books still
--    reconcile.
-- 3. Scale barcodes: `plu` is the number a shop scale prints into a
--    price- or weight-embedded EAN-13 (catalog/barcodes.rs); unique when set.

ALTER TABLE products ADD COLUMN track_stock INTEGER NOT NULL DEFAULT 1
    CHECK (track_stock IN (0, 1));
ALTER TABLE products ADD COLUMN standard_cost_minor INTEGER
    CHECK (standard_cost_minor IS NULL OR standard_cost_minor BETWEEN 0 AND 1000000000000);
ALTER TABLE products ADD COLUMN plu TEXT
    CHECK (plu IS NULL OR (length(plu) BETWEEN 1 AND 6 AND plu NOT GLOB '*[^0-9]*'));
CREATE UNIQUE INDEX products_plu ON products (plu) WHERE plu IS NOT NULL;

-- The factor each existing weighed or measured product's quantities grow by.
CREATE TEMP TABLE rescale_products (product_id INTEGER PRIMARY KEY, factor INTEGER NOT NULL);
INSERT INTO temp.rescale_products (product_id, factor)
SELECT id, CASE unit WHEN 'm' THEN 100 ELSE 1000 END FROM products WHERE unit IN ('kg', 'l', 'm');
CREATE TEMP TABLE rescale_batches (batch_id INTEGER PRIMARY KEY, factor INTEGER NOT NULL);
INSERT INTO temp.rescale_batches (batch_id, factor)
SELECT b.id, r.factor FROM batches b JOIN temp.rescale_products r ON r.product_id = b.product_id;

-- Batches: receipt details are fixed by a trigger; it is dropped for the
-- rescale and re-created exactly as 0002 wrote it.
DROP TRIGGER batches_fixed;
UPDATE batches
   SET received_quantity = received_quantity * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = batches.id),
       on_hand = on_hand * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = batches.id),
       reserved = reserved * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = batches.id)
 WHERE id IN (SELECT batch_id FROM temp.rescale_batches);
CREATE TRIGGER batches_fixed BEFORE UPDATE ON batches
WHEN NEW.id IS NOT OLD.id OR NEW.product_id IS NOT OLD.product_id
  OR NEW.lot_code IS NOT OLD.lot_code OR NEW.expires_on IS NOT OLD.expires_on
  OR NEW.unit_cost_minor IS NOT OLD.unit_cost_minor
  OR NEW.received_quantity IS NOT OLD.received_quantity
  OR NEW.received_at_ms IS NOT OLD.received_at_ms
BEGIN
    SELECT RAISE(ABORT, 'a batch''s receipt details never change; adjust stock with a movement');
END;

DROP TRIGGER stock_movements_no_update;
UPDATE stock_movements
   SET quantity = quantity * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = stock_movements.batch_id)
 WHERE batch_id IN (SELECT batch_id FROM temp.rescale_batches);
CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN
    SELECT RAISE(ABORT, 'stock movements are append-only');
END;

DROP TRIGGER stock_reservations_once;
UPDATE stock_reservations
   SET quantity = quantity * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = stock_reservations.batch_id)
 WHERE batch_id IN (SELECT batch_id FROM temp.rescale_batches);
CREATE TRIGGER stock_reservations_once BEFORE UPDATE ON stock_reservations
WHEN OLD.released_at_ms IS NOT NULL OR NEW.released_at_ms IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.batch_id IS NOT OLD.batch_id
  OR NEW.quantity IS NOT OLD.quantity OR NEW.holder IS NOT OLD.holder
  OR NEW.created_at_ms IS NOT OLD.created_at_ms OR NEW.expires_at_ms IS NOT OLD.expires_at_ms
BEGIN
    SELECT RAISE(ABORT, 'a reservation is only ever released, once');
END;

UPDATE stock_count_lines
   SET counted = counted * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = stock_count_lines.batch_id),
       expected = expected * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = stock_count_lines.batch_id)
 WHERE batch_id IN (SELECT batch_id FROM temp.rescale_batches);

DROP TRIGGER order_line_batches_no_update;
UPDATE order_line_batches
   SET quantity = quantity * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = order_line_batches.batch_id)
 WHERE batch_id IN (SELECT batch_id FROM temp.rescale_batches);
CREATE TRIGGER order_line_batches_no_update BEFORE UPDATE ON order_line_batches
BEGIN
    SELECT RAISE(ABORT, 'order line batches are never changed');
END;

DROP TRIGGER refund_line_batches_no_update;
UPDATE refund_line_batches
   SET quantity = quantity * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = refund_line_batches.batch_id)
 WHERE batch_id IN (SELECT batch_id FROM temp.rescale_batches);
CREATE TRIGGER refund_line_batches_no_update BEFORE UPDATE ON refund_line_batches
BEGIN
    SELECT RAISE(ABORT, 'refund line batches are never changed');
END;

DROP TRIGGER order_void_batches_no_update;
UPDATE order_void_batches
   SET quantity = quantity * (SELECT factor FROM temp.rescale_batches r WHERE r.batch_id = order_void_batches.batch_id)
 WHERE batch_id IN (SELECT batch_id FROM temp.rescale_batches);
CREATE TRIGGER order_void_batches_no_update BEFORE UPDATE ON order_void_batches
BEGIN
    SELECT RAISE(ABORT, 'void batches are never changed');
END;

DROP TRIGGER held_cart_lines_no_update;
UPDATE held_cart_lines
   SET quantity = quantity * (SELECT factor FROM temp.rescale_products r WHERE r.product_id = held_cart_lines.product_id)
 WHERE product_id IN (SELECT product_id FROM temp.rescale_products);
CREATE TRIGGER held_cart_lines_no_update BEFORE UPDATE ON held_cart_lines
BEGIN
    SELECT RAISE(ABORT, 'held cart lines never change');
END;

-- A quantity break's threshold is a quantity too. Price rules are versioned:
-- the rescale is an update like any other, so it bumps the version.
UPDATE price_rules
   SET min_quantity = min_quantity * (SELECT factor FROM temp.rescale_products r WHERE r.product_id = price_rules.product_id),
       version = version + 1
 WHERE kind = 'quantity_break' AND product_id IN (SELECT product_id FROM temp.rescale_products);

DROP TRIGGER refund_lines_no_update;
UPDATE refund_lines
   SET quantity = quantity * (SELECT r.factor FROM order_lines l JOIN temp.rescale_products r ON r.product_id = l.product_id
                               WHERE l.id = refund_lines.order_line_id)
 WHERE order_line_id IN (SELECT l.id FROM order_lines l JOIN temp.rescale_products r ON r.product_id = l.product_id);
CREATE TRIGGER refund_lines_no_update BEFORE UPDATE ON refund_lines
BEGIN
    SELECT RAISE(ABORT, 'refund lines are never changed');
END;

-- Order lines, rebuilt: `quantity_decimals` says how many of the quantity's
-- digits are decimals of the priced unit, and the gross CHECK divides by it
-- with the one rounding rule; `stock_tracked` says whether the line took
-- batches (1) or was costed at the product's standard cost (0).
-- The trigger that re-reads order_lines on a refund is dropped first (it names
-- the table) and re-created exactly as 0006 wrote it.
DROP TRIGGER refund_lines_not_over;
CREATE TABLE order_lines_rebuilt (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    line_no INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 200),
    product_id INTEGER NOT NULL REFERENCES products(id),
    -- In the product's smallest unit (g for kg, ml for l, cm for m).
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    list_price_minor INTEGER NOT NULL CHECK (list_price_minor >= 0),
    -- Per priced unit (per kg for kg).
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    -- Before discount: unit price × quantity / 10^quantity_decimals, rounded
    -- once (tax-inclusive when the order is).
    gross_minor INTEGER NOT NULL,
    discount_minor INTEGER NOT NULL CHECK (discount_minor BETWEEN 0 AND gross_minor),
    tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    net_minor INTEGER NOT NULL CHECK (net_minor >= 0),
    tax_minor INTEGER NOT NULL CHECK (tax_minor >= 0),
    total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
    rule_id INTEGER REFERENCES price_rules(id),
    rule_kind TEXT CHECK (rule_kind IS NULL OR length(rule_kind) BETWEEN 1 AND 40),
    cost_minor INTEGER NOT NULL CHECK (cost_minor >= 0),
    discount_net_minor INTEGER NOT NULL DEFAULT 0
        CHECK (discount_net_minor BETWEEN 0 AND discount_minor),
    reward_discount_minor INTEGER NOT NULL DEFAULT 0
        CHECK (reward_discount_minor BETWEEN 0 AND discount_minor),
    quantity_decimals INTEGER NOT NULL DEFAULT 0 CHECK (quantity_decimals IN (0, 2, 3)),
    stock_tracked INTEGER NOT NULL DEFAULT 1 CHECK (stock_tracked IN (0, 1)),
    CHECK (gross_minor = CASE quantity_decimals
        WHEN 0 THEN unit_price_minor * quantity
        WHEN 2 THEN (unit_price_minor * quantity + 50) / 100
        ELSE (unit_price_minor * quantity + 500) / 1000 END),
    CHECK (total_minor = net_minor + tax_minor),
    CHECK ((rule_id IS NULL) = (rule_kind IS NULL)),
    UNIQUE (order_id, line_no)
) STRICT;

INSERT INTO order_lines_rebuilt (id, order_id, line_no, product_id, quantity, list_price_minor,
    unit_price_minor, gross_minor, discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor,
    rule_id, rule_kind, cost_minor, discount_net_minor, reward_discount_minor, quantity_decimals,
    stock_tracked)
SELECT l.id, l.order_id, l.line_no, l.product_id, l.quantity * coalesce(r.factor, 1),
       l.list_price_minor, l.unit_price_minor, l.gross_minor, l.discount_minor, l.tax_rate_bp,
       l.net_minor, l.tax_minor, l.total_minor, l.rule_id, l.rule_kind, l.cost_minor,
       l.discount_net_minor, l.reward_discount_minor,
       CASE r.factor WHEN 1000 THEN 3 WHEN 100 THEN 2 ELSE 0 END, 1
  FROM order_lines l LEFT JOIN temp.rescale_products r ON r.product_id = l.product_id;

DROP TABLE order_lines;
ALTER TABLE order_lines_rebuilt RENAME TO order_lines;
CREATE INDEX order_lines_product ON order_lines (product_id, order_id);

CREATE TRIGGER order_lines_no_update BEFORE UPDATE ON order_lines
BEGIN
    SELECT RAISE(ABORT, 'order lines are never changed');
END;

CREATE TRIGGER order_lines_no_delete BEFORE DELETE ON order_lines
BEGIN
    SELECT RAISE(ABORT, 'order lines are never deleted');
END;

CREATE TRIGGER refund_lines_not_over BEFORE INSERT ON refund_lines
WHEN NEW.quantity + (SELECT COALESCE(SUM(quantity), 0) FROM refund_lines
                     WHERE order_line_id = NEW.order_line_id)
     > (SELECT quantity FROM order_lines WHERE id = NEW.order_line_id)
BEGIN
    SELECT RAISE(ABORT, 'refund exceeds the unrefunded quantity of the order line');
END;

-- Purchase receipt lines, rebuilt the same way: the line total is the unit
-- cost (per kg) × the quantity (in g) / 10^quantity_decimals, rounded once.
CREATE TABLE purchase_receipt_lines_rebuilt (
    id INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES purchase_receipts(id) DEFERRABLE INITIALLY DEFERRED,
    batch_id INTEGER NOT NULL UNIQUE REFERENCES batches(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    unit_cost_minor INTEGER NOT NULL CHECK (unit_cost_minor >= 0),
    line_total_minor INTEGER NOT NULL,
    quantity_decimals INTEGER NOT NULL DEFAULT 0 CHECK (quantity_decimals IN (0, 2, 3)),
    CHECK (line_total_minor = CASE quantity_decimals
        WHEN 0 THEN quantity * unit_cost_minor
        WHEN 2 THEN (quantity * unit_cost_minor + 50) / 100
        ELSE (quantity * unit_cost_minor + 500) / 1000 END)
) STRICT;

INSERT INTO purchase_receipt_lines_rebuilt (id, receipt_id, batch_id, quantity, unit_cost_minor,
    line_total_minor, quantity_decimals)
SELECT l.id, l.receipt_id, l.batch_id, l.quantity * coalesce(r.factor, 1), l.unit_cost_minor,
       l.line_total_minor, CASE r.factor WHEN 1000 THEN 3 WHEN 100 THEN 2 ELSE 0 END
  FROM purchase_receipt_lines l LEFT JOIN temp.rescale_batches r ON r.batch_id = l.batch_id;

DROP TABLE purchase_receipt_lines;
ALTER TABLE purchase_receipt_lines_rebuilt RENAME TO purchase_receipt_lines;
CREATE INDEX purchase_receipt_lines_receipt ON purchase_receipt_lines (receipt_id);

CREATE TRIGGER purchase_receipt_lines_no_update BEFORE UPDATE ON purchase_receipt_lines
BEGIN
    SELECT RAISE(ABORT, 'purchase receipt lines are never changed');
END;

CREATE TRIGGER purchase_receipt_lines_no_delete BEFORE DELETE ON purchase_receipt_lines
BEGIN
    SELECT RAISE(ABORT, 'purchase receipt lines are never deleted');
END;

DROP TABLE temp.rescale_batches;
DROP TABLE temp.rescale_products;
