-- A refund without a receipt may take back an untracked item (a coffee, a
-- service): its line moves no stock, so it has no batch and no movements, and
-- its stock disposition is 'untracked'. Tracked lines keep their batch and
-- return movement exactly as before. Nothing references this table, so it is
-- rebuilt in place.

CREATE TABLE unreceipted_refund_lines_new (
    id INTEGER PRIMARY KEY,
    refund_id INTEGER NOT NULL REFERENCES unreceipted_refunds(id) DEFERRABLE INITIALLY DEFERRED,
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000),
    stock TEXT NOT NULL CHECK (stock IN ('restock', 'damage', 'untracked')),
    net_minor INTEGER NOT NULL CHECK (net_minor >= 0),
    tax_minor INTEGER NOT NULL CHECK (tax_minor >= 0),
    batch_id INTEGER REFERENCES batches(id),
    -- Per unit of the product (per kg), as the batch holds it; 0 when untracked.
    unit_cost_minor INTEGER NOT NULL CHECK (unit_cost_minor >= 0),
    return_movement_id INTEGER UNIQUE REFERENCES stock_movements(id),
    damage_movement_id INTEGER UNIQUE REFERENCES stock_movements(id),
    CHECK ((stock = 'untracked') = (batch_id IS NULL)),
    CHECK ((batch_id IS NULL) = (return_movement_id IS NULL)),
    CHECK (batch_id IS NOT NULL OR unit_cost_minor = 0),
    CHECK ((stock = 'damage') = (damage_movement_id IS NOT NULL))
) STRICT;

INSERT INTO unreceipted_refund_lines_new
SELECT id, refund_id, product_id, quantity, stock, net_minor, tax_minor, batch_id,
       unit_cost_minor, return_movement_id, damage_movement_id
  FROM unreceipted_refund_lines;

DROP TABLE unreceipted_refund_lines;
ALTER TABLE unreceipted_refund_lines_new RENAME TO unreceipted_refund_lines;
CREATE INDEX unreceipted_refund_lines_refund ON unreceipted_refund_lines (refund_id);

CREATE TRIGGER unreceipted_refund_lines_no_update BEFORE UPDATE ON unreceipted_refund_lines
BEGIN
    SELECT RAISE(ABORT, 'refund lines are never changed');
END;

CREATE TRIGGER unreceipted_refund_lines_no_delete BEFORE DELETE ON unreceipted_refund_lines
BEGIN
    SELECT RAISE(ABORT, 'refund lines are never deleted');
END;
