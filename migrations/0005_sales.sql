-- Sales: confirmed orders, their lines, the batches each line was taken from,
-- and the payments that settled them.
-- Conventions as in 0001..0004: STRICT, CHECKs, *_minor, *_ms. Everything here
-- is append-only (a later refund or void is a new record, never an edit: T31).
-- Totals are computed by the core (T20) and re-checked here: a line's
-- total = net + tax, an order's total = net + tax; `tillbook verify` checks the
-- order's totals against the sums of its lines and payments.
-- Numbers come from the counters 'orders' and 'receipts' in the same
-- transaction (T26): unique by constraint, gapless by `verify`.

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    receipt_number INTEGER NOT NULL UNIQUE CHECK (receipt_number >= 1),
    status TEXT NOT NULL CHECK (status IN ('confirmed')),
    customer_id INTEGER REFERENCES customers(id),
    cashier_id INTEGER NOT NULL REFERENCES users(id),
    -- settings.prices_include_tax as of the sale.
    prices_include_tax INTEGER NOT NULL CHECK (prices_include_tax IN (0, 1)),
    line_count INTEGER NOT NULL CHECK (line_count BETWEEN 1 AND 200),
    discount_minor INTEGER NOT NULL CHECK (discount_minor >= 0),
    net_minor INTEGER NOT NULL CHECK (net_minor >= 0),
    tax_minor INTEGER NOT NULL CHECK (tax_minor >= 0),
    total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
    -- Sum of the batches' unit cost × quantity (posted as COGS).
    cost_minor INTEGER NOT NULL CHECK (cost_minor >= 0),
    -- Cash handed back (sum of the payments' change).
    change_minor INTEGER NOT NULL CHECK (change_minor >= 0),
    -- NULL only when there was nothing to post (a free sale of free goods).
    entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    created_at_ms INTEGER NOT NULL,
    CHECK (total_minor = net_minor + tax_minor),
    CHECK ((entry_id IS NULL) = (total_minor = 0 AND cost_minor = 0))
) STRICT;

CREATE INDEX orders_customer ON orders (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX orders_created ON orders (created_at_ms, id);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    line_no INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 200),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    list_price_minor INTEGER NOT NULL CHECK (list_price_minor >= 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    -- Before discount: unit price × quantity (tax-inclusive when the order is).
    gross_minor INTEGER NOT NULL CHECK (gross_minor = unit_price_minor * quantity),
    discount_minor INTEGER NOT NULL CHECK (discount_minor BETWEEN 0 AND gross_minor),
    tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    net_minor INTEGER NOT NULL CHECK (net_minor >= 0),
    tax_minor INTEGER NOT NULL CHECK (tax_minor >= 0),
    total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
    rule_id INTEGER REFERENCES price_rules(id),
    rule_kind TEXT CHECK (rule_kind IS NULL OR length(rule_kind) BETWEEN 1 AND 40),
    cost_minor INTEGER NOT NULL CHECK (cost_minor >= 0),
    CHECK (total_minor = net_minor + tax_minor),
    CHECK ((rule_id IS NULL) = (rule_kind IS NULL)),
    UNIQUE (order_id, line_no)
) STRICT;

CREATE INDEX order_lines_product ON order_lines (product_id, order_id);

-- Which batch each line's units came from (FEFO, then FIFO), at what cost, and
-- the stock movement (kind 'sale', source 'order') that took them.
CREATE TABLE order_line_batches (
    id INTEGER PRIMARY KEY,
    line_id INTEGER NOT NULL REFERENCES order_lines(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    movement_id INTEGER NOT NULL UNIQUE REFERENCES stock_movements(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    unit_cost_minor INTEGER NOT NULL CHECK (unit_cost_minor >= 0)
) STRICT;

CREATE INDEX order_line_batches_line ON order_line_batches (line_id);
CREATE INDEX order_line_batches_batch ON order_line_batches (batch_id);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    tender TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'on_account', 'store_credit')),
    -- What this payment settles of the order's total.
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    -- Cash handed over; the difference is the change given back.
    tendered_minor INTEGER NOT NULL CHECK (tendered_minor >= amount_minor),
    change_minor INTEGER NOT NULL CHECK (change_minor = tendered_minor - amount_minor),
    -- The external card terminal's reference.
    reference TEXT CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 64),
    customer_id INTEGER REFERENCES customers(id),
    created_at_ms INTEGER NOT NULL,
    CHECK (tender = 'cash' OR change_minor = 0),
    CHECK ((tender = 'card') = (reference IS NOT NULL)),
    CHECK (tender NOT IN ('on_account', 'store_credit') OR customer_id IS NOT NULL)
) STRICT;

CREATE INDEX payments_order ON payments (order_id);

CREATE TRIGGER orders_no_update BEFORE UPDATE ON orders
BEGIN
    SELECT RAISE(ABORT, 'orders are never changed; refunds and voids are new records');
END;

CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders
BEGIN
    SELECT RAISE(ABORT, 'orders are never deleted');
END;

CREATE TRIGGER order_lines_no_update BEFORE UPDATE ON order_lines
BEGIN
    SELECT RAISE(ABORT, 'order lines are never changed');
END;

CREATE TRIGGER order_lines_no_delete BEFORE DELETE ON order_lines
BEGIN
    SELECT RAISE(ABORT, 'order lines are never deleted');
END;

CREATE TRIGGER order_line_batches_no_update BEFORE UPDATE ON order_line_batches
BEGIN
    SELECT RAISE(ABORT, 'order line batches are never changed');
END;

CREATE TRIGGER order_line_batches_no_delete BEFORE DELETE ON order_line_batches
BEGIN
    SELECT RAISE(ABORT, 'order line batches are never deleted');
END;

CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments are never changed; a mistake is reversed by a new entry');
END;

CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments are never deleted');
END;
