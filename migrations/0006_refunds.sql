-- Refunds of confirmed sales (issue 5): full or partial, by order line.
-- Conventions as in 0001..0005: STRICT, CHECKs, *_minor, *_ms. Everything here
-- is append-only. A refund is a new record with its own reversing journal
-- entry; the original order, its lines, batches and payments are never
-- changed (T31). Refund numbers come from the counter 'refunds' in the same
-- transaction (T26): unique by constraint, gapless by `verify`.
-- A line can never be refunded beyond its sold quantity: the trigger
-- `refund_lines_not_over` re-checks the running sum inside the transaction.

CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    order_id INTEGER NOT NULL REFERENCES orders(id),
    -- Where the money goes: the order's tenders, proportionally, or store
    -- credit to the order's customer.
    refund_to TEXT NOT NULL CHECK (refund_to IN ('original', 'store_credit')),
    customer_id INTEGER REFERENCES customers(id),
    reason TEXT NOT NULL CHECK (length(trim(reason)) BETWEEN 1 AND 500),
    line_count INTEGER NOT NULL CHECK (line_count BETWEEN 1 AND 200),
    net_minor INTEGER NOT NULL CHECK (net_minor >= 0),
    tax_minor INTEGER NOT NULL CHECK (tax_minor >= 0),
    total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
    -- Batch cost of the units put back on the shelf (Dr inventory / Cr COGS).
    restocked_cost_minor INTEGER NOT NULL CHECK (restocked_cost_minor >= 0),
    -- NULL only when there was nothing to post.
    entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    CHECK (total_minor = net_minor + tax_minor),
    CHECK (refund_to <> 'store_credit' OR customer_id IS NOT NULL)
) STRICT;

CREATE INDEX refunds_order ON refunds (order_id, id);

CREATE TABLE refund_lines (
    id INTEGER PRIMARY KEY,
    refund_id INTEGER NOT NULL REFERENCES refunds(id) DEFERRABLE INITIALLY DEFERRED,
    order_line_id INTEGER NOT NULL REFERENCES order_lines(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    -- Where the stock goes: back to the line's batches, or written off.
    stock TEXT NOT NULL CHECK (stock IN ('restock', 'damage')),
    net_minor INTEGER NOT NULL CHECK (net_minor >= 0),
    tax_minor INTEGER NOT NULL CHECK (tax_minor >= 0),
    total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
    cost_minor INTEGER NOT NULL CHECK (cost_minor >= 0),
    CHECK (total_minor = net_minor + tax_minor),
    UNIQUE (refund_id, order_line_id)
) STRICT;

CREATE INDEX refund_lines_order_line ON refund_lines (order_line_id);

-- Which batch each refunded unit went back to, the 'return' movement (source
-- 'refund') and, for damaged goods, the matching 'damage' movement (T30).
CREATE TABLE refund_line_batches (
    id INTEGER PRIMARY KEY,
    refund_line_id INTEGER NOT NULL REFERENCES refund_lines(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    return_movement_id INTEGER NOT NULL UNIQUE REFERENCES stock_movements(id),
    damage_movement_id INTEGER UNIQUE REFERENCES stock_movements(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    unit_cost_minor INTEGER NOT NULL CHECK (unit_cost_minor >= 0)
) STRICT;

CREATE INDEX refund_line_batches_line ON refund_line_batches (refund_line_id);

-- The money handed back, per tender (negative of a payment; never an edit of it).
CREATE TABLE refund_payments (
    id INTEGER PRIMARY KEY,
    refund_id INTEGER NOT NULL REFERENCES refunds(id) DEFERRABLE INITIALLY DEFERRED,
    tender TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'on_account', 'store_credit')),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    customer_id INTEGER REFERENCES customers(id),
    created_at_ms INTEGER NOT NULL,
    CHECK (tender NOT IN ('on_account', 'store_credit') OR customer_id IS NOT NULL)
) STRICT;

CREATE INDEX refund_payments_refund ON refund_payments (refund_id);

CREATE TRIGGER refund_lines_not_over BEFORE INSERT ON refund_lines
WHEN NEW.quantity + (SELECT COALESCE(SUM(quantity), 0) FROM refund_lines
                     WHERE order_line_id = NEW.order_line_id)
     > (SELECT quantity FROM order_lines WHERE id = NEW.order_line_id)
BEGIN
    SELECT RAISE(ABORT, 'refund exceeds the unrefunded quantity of the order line');
END;

CREATE TRIGGER refunds_no_update BEFORE UPDATE ON refunds
BEGIN
    SELECT RAISE(ABORT, 'refunds are never changed; a mistake is reversed by a new entry');
END;

CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
BEGIN
    SELECT RAISE(ABORT, 'refunds are never deleted');
END;

CREATE TRIGGER refund_lines_no_update BEFORE UPDATE ON refund_lines
BEGIN
    SELECT RAISE(ABORT, 'refund lines are never changed');
END;

CREATE TRIGGER refund_lines_no_delete BEFORE DELETE ON refund_lines
BEGIN
    SELECT RAISE(ABORT, 'refund lines are never deleted');
END;

CREATE TRIGGER refund_line_batches_no_update BEFORE UPDATE ON refund_line_batches
BEGIN
    SELECT RAISE(ABORT, 'refund line batches are never changed');
END;

CREATE TRIGGER refund_line_batches_no_delete BEFORE DELETE ON refund_line_batches
BEGIN
    SELECT RAISE(ABORT, 'refund line batches are never deleted');
END;

CREATE TRIGGER refund_payments_no_update BEFORE UPDATE ON refund_payments
BEGIN
    SELECT RAISE(ABORT, 'refund payments are never changed');
END;

CREATE TRIGGER refund_payments_no_delete BEFORE DELETE ON refund_payments
BEGIN
    SELECT RAISE(ABORT, 'refund payments are never deleted');
END;
