-- Purchase orders: what the shop asked a vendor for, and how much of it came.
-- Suggested from reorder points (one draft per preferred vendor), edited while
-- a draft, sent, then received in full or in part through purchase receipts:
-- each receipt line may point at the order line it delivers, and the order
-- line's received quantity is the sum of those receipt lines (kept by a
-- trigger in the same statement, checked by `tillbook verify`).
-- Quantities are in the product's smallest unit (g for kg), like stock; unit
-- costs per unit (per kg), like receipts.

CREATE TABLE purchase_orders (
    id INTEGER PRIMARY KEY,
    -- Gapless, from the counter 'purchase_orders' in the same transaction.
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'sent', 'partly_received', 'received', 'cancelled')),
    note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    sent_at_ms INTEGER,
    -- When it was received in full or cancelled.
    closed_at_ms INTEGER,
    cancel_reason TEXT CHECK (cancel_reason IS NULL OR length(cancel_reason) BETWEEN 1 AND 200),
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- A draft was never sent; every later status but a cancelled draft was.
    CHECK (status <> 'draft' OR sent_at_ms IS NULL),
    CHECK (status NOT IN ('sent', 'partly_received', 'received') OR sent_at_ms IS NOT NULL),
    CHECK ((closed_at_ms IS NOT NULL) = (status IN ('received', 'cancelled'))),
    CHECK ((cancel_reason IS NOT NULL) = (status = 'cancelled'))
) STRICT;

CREATE INDEX purchase_orders_vendor ON purchase_orders (vendor_id, id);
CREATE INDEX purchase_orders_status ON purchase_orders (status, id);

CREATE TRIGGER purchase_orders_version_bump BEFORE UPDATE ON purchase_orders
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'purchase_orders.version must increase by one on every update');
END;

CREATE TRIGGER purchase_orders_fixed BEFORE UPDATE ON purchase_orders
WHEN NEW.number IS NOT OLD.number OR NEW.vendor_id IS NOT OLD.vendor_id
  OR NEW.created_by IS NOT OLD.created_by OR NEW.created_at_ms IS NOT OLD.created_at_ms
BEGIN
    SELECT RAISE(ABORT, 'a purchase order''s number, vendor and creation are fixed');
END;

-- Closed orders stay as they were.
CREATE TRIGGER purchase_orders_closed BEFORE UPDATE ON purchase_orders
WHEN OLD.status IN ('received', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'a received or cancelled purchase order is never changed');
END;

CREATE TRIGGER purchase_orders_no_delete BEFORE DELETE ON purchase_orders
BEGIN
    SELECT RAISE(ABORT, 'purchase orders are never deleted');
END;

CREATE TABLE purchase_order_lines (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES purchase_orders(id),
    -- The line's place on the order (1, 2, …), as printed.
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 200),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000),
    unit_cost_minor INTEGER NOT NULL CHECK (unit_cost_minor BETWEEN 0 AND 1000000000000),
    -- Over-receiving is refused: a delivery beyond the order is a receipt of its own.
    received_quantity INTEGER NOT NULL DEFAULT 0
        CHECK (received_quantity >= 0 AND received_quantity <= quantity),
    UNIQUE (order_id, position),
    UNIQUE (order_id, product_id)
) STRICT;

CREATE INDEX purchase_order_lines_product ON purchase_order_lines (product_id);

-- Only a draft's lines are edited (replaced); afterwards only deliveries count up.
CREATE TRIGGER purchase_order_lines_fixed BEFORE UPDATE ON purchase_order_lines
WHEN NEW.order_id IS NOT OLD.order_id OR NEW.position IS NOT OLD.position
  OR NEW.product_id IS NOT OLD.product_id
  OR ((NEW.quantity IS NOT OLD.quantity OR NEW.unit_cost_minor IS NOT OLD.unit_cost_minor)
      AND (SELECT status FROM purchase_orders WHERE id = OLD.order_id) <> 'draft')
BEGIN
    SELECT RAISE(ABORT, 'a sent purchase order''s lines are fixed');
END;

CREATE TRIGGER purchase_order_lines_draft_only_delete BEFORE DELETE ON purchase_order_lines
WHEN (SELECT status FROM purchase_orders WHERE id = OLD.order_id) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'only a draft purchase order''s lines are removed');
END;

CREATE TRIGGER purchase_order_lines_draft_only_insert BEFORE INSERT ON purchase_order_lines
WHEN (SELECT status FROM purchase_orders WHERE id = NEW.order_id) IS NOT 'draft'
BEGIN
    SELECT RAISE(ABORT, 'lines are added only to a draft purchase order');
END;

-- A receipt names the order it delivers; each of its lines the order line.
ALTER TABLE purchase_receipts ADD COLUMN order_id INTEGER REFERENCES purchase_orders(id);
ALTER TABLE purchase_receipt_lines ADD COLUMN order_line_id INTEGER REFERENCES purchase_order_lines(id);

CREATE INDEX purchase_receipt_lines_order_line ON purchase_receipt_lines (order_line_id)
    WHERE order_line_id IS NOT NULL;

-- A receipt line delivers its order line's product, on an order that was sent
-- and is still open, and counts towards the line in the same statement.
CREATE TRIGGER purchase_receipt_lines_order_line BEFORE INSERT ON purchase_receipt_lines
WHEN NEW.order_line_id IS NOT NULL AND (
       (SELECT product_id FROM purchase_order_lines WHERE id = NEW.order_line_id)
         IS NOT (SELECT product_id FROM batches WHERE id = NEW.batch_id)
    OR (SELECT o.status FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.order_id
         WHERE l.id = NEW.order_line_id) NOT IN ('sent', 'partly_received'))
BEGIN
    SELECT RAISE(ABORT, 'a receipt line delivers its order line''s product, on a sent, open order');
END;

CREATE TRIGGER purchase_receipt_lines_count_received AFTER INSERT ON purchase_receipt_lines
WHEN NEW.order_line_id IS NOT NULL
BEGIN
    UPDATE purchase_order_lines SET received_quantity = received_quantity + NEW.quantity
     WHERE id = NEW.order_line_id;
END;
