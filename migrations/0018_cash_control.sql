-- Cash control at the till (issue 12): the count of a blind close by note and
-- coin, and cash payments on account tied to the drawer they went into.
-- Conventions as in 0001..0008: STRICT, CHECKs, *_minor; append-only rows
-- written in the same transaction as the command they belong to.

-- A closed shift's count, one row per denomination counted (quantity >= 1;
-- denominations counted as none are left out). Written by `shifts.close` while
-- the shift is still open, just before it is closed; the close checks that the
-- rows sum to `shifts.counted_cash_minor` and `tillbook verify` checks it again.
CREATE TABLE shift_close_counts (
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    denomination_minor INTEGER NOT NULL CHECK (denomination_minor BETWEEN 1 AND 100000000),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    PRIMARY KEY (shift_id, denomination_minor)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER shift_close_counts_open_shift BEFORE INSERT ON shift_close_counts
WHEN NOT EXISTS (SELECT 1 FROM shifts WHERE id = NEW.shift_id AND status = 'open')
BEGIN
    SELECT RAISE(ABORT, 'a count is written only by the close of an open shift');
END;

-- Bounded: a currency has at most 16 notes and coins (shared/denominations.rs).
CREATE TRIGGER shift_close_counts_bounded BEFORE INSERT ON shift_close_counts
WHEN (SELECT count(*) FROM shift_close_counts WHERE shift_id = NEW.shift_id) >= 32
BEGIN
    SELECT RAISE(ABORT, 'a close counts at most 32 denominations');
END;

CREATE TRIGGER shift_close_counts_no_update BEFORE UPDATE ON shift_close_counts
BEGIN
    SELECT RAISE(ABORT, 'a close''s count is never changed');
END;

CREATE TRIGGER shift_close_counts_no_delete BEFORE DELETE ON shift_close_counts
BEGIN
    SELECT RAISE(ABORT, 'a close''s count is never deleted');
END;

-- Cash received on account goes into the drawer it was handed over at, so the
-- drawer's expected cash counts it (till/z_report.rs, EXPECTED_CASH_SQL). Only
-- cash payments are linked.
CREATE TABLE shift_customer_payments (
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    payment_id INTEGER NOT NULL UNIQUE REFERENCES customer_payments(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (shift_id, payment_id)
) STRICT;

CREATE TRIGGER shift_customer_payments_open_shift BEFORE INSERT ON shift_customer_payments
WHEN NOT EXISTS (SELECT 1 FROM shifts WHERE id = NEW.shift_id AND status = 'open')
BEGIN
    SELECT RAISE(ABORT, 'payments are attached only to an open shift');
END;

CREATE TRIGGER shift_customer_payments_no_update BEFORE UPDATE ON shift_customer_payments
BEGIN
    SELECT RAISE(ABORT, 'shift payments are never changed');
END;

CREATE TRIGGER shift_customer_payments_no_delete BEFORE DELETE ON shift_customer_payments
BEGIN
    SELECT RAISE(ABORT, 'shift payments are never deleted');
END;


-- Customers found at the till by any run of their phone number's digits,
-- however it was typed or stored ("07700 900123", "+44 (0)20-7946 0000"), or
-- by the start of their email, as you type. The digits and the folded email
-- are a cache kept by these triggers in the same statement as the customer
-- row, so the search (parties/customers.rs) compares short strings instead of
-- normalising every row on every keystroke.
CREATE TABLE customer_search (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
    phone_digits TEXT CHECK (phone_digits IS NULL OR length(phone_digits) <= 40),
    email_lower TEXT CHECK (email_lower IS NULL OR length(email_lower) <= 254)
) STRICT;

CREATE INDEX customer_search_email ON customer_search (email_lower) WHERE email_lower IS NOT NULL;

CREATE TRIGGER customer_search_insert AFTER INSERT ON customers
BEGIN
    INSERT INTO customer_search (customer_id, phone_digits, email_lower) VALUES (
        NEW.id,
        replace(replace(replace(replace(replace(replace(NEW.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''),
        lower(NEW.email));
END;

CREATE TRIGGER customer_search_update AFTER UPDATE OF phone, email ON customers
BEGIN
    UPDATE customer_search SET
        phone_digits = replace(replace(replace(replace(replace(replace(NEW.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''),
        email_lower = lower(NEW.email)
    WHERE customer_id = NEW.id;
END;

INSERT INTO customer_search (customer_id, phone_digits, email_lower)
SELECT id,
       replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''),
       lower(email)
FROM customers;

-- A refund without the original receipt (`sales.refund_unreceipted`): products,
-- not lines of an order, at today's price, to the customer's store credit or
-- in cash from the drawer. Needs `sales.refund_unreceipted` (owner, manager; a
-- cashier gets a manager's approval). Stock goes back into the product's most
-- recently received batch, or is written off as damaged, as for a refund.
CREATE TABLE unreceipted_refunds (
    id INTEGER PRIMARY KEY,
    -- Gapless, from the counter 'unreceipted_refunds'.
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    refund_to TEXT NOT NULL CHECK (refund_to IN ('cash', 'store_credit')),
    customer_id INTEGER REFERENCES customers(id),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    line_count INTEGER NOT NULL CHECK (line_count BETWEEN 1 AND 100),
    net_minor INTEGER NOT NULL CHECK (net_minor BETWEEN 0 AND 1000000000000),
    tax_minor INTEGER NOT NULL CHECK (tax_minor BETWEEN 0 AND 1000000000000),
    total_minor INTEGER NOT NULL CHECK (total_minor = net_minor + tax_minor),
    restocked_cost_minor INTEGER NOT NULL CHECK (restocked_cost_minor >= 0),
    entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    -- The drawer the cash left (cash refunds only, and always then).
    shift_id INTEGER REFERENCES shifts(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    CHECK ((refund_to = 'store_credit') = (customer_id IS NOT NULL)),
    CHECK ((refund_to = 'cash') = (shift_id IS NOT NULL))
) STRICT;

CREATE INDEX unreceipted_refunds_shift ON unreceipted_refunds (shift_id) WHERE shift_id IS NOT NULL;

CREATE TABLE unreceipted_refund_lines (
    id INTEGER PRIMARY KEY,
    refund_id INTEGER NOT NULL REFERENCES unreceipted_refunds(id) DEFERRABLE INITIALLY DEFERRED,
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000),
    stock TEXT NOT NULL CHECK (stock IN ('restock', 'damage')),
    net_minor INTEGER NOT NULL CHECK (net_minor >= 0),
    tax_minor INTEGER NOT NULL CHECK (tax_minor >= 0),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    unit_cost_minor INTEGER NOT NULL CHECK (unit_cost_minor >= 0),
    return_movement_id INTEGER NOT NULL UNIQUE REFERENCES stock_movements(id),
    damage_movement_id INTEGER UNIQUE REFERENCES stock_movements(id),
    CHECK ((stock = 'damage') = (damage_movement_id IS NOT NULL))
) STRICT;

CREATE INDEX unreceipted_refund_lines_refund ON unreceipted_refund_lines (refund_id);

CREATE TRIGGER unreceipted_refunds_open_shift BEFORE INSERT ON unreceipted_refunds
WHEN NEW.shift_id IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM shifts WHERE id = NEW.shift_id AND status = 'open')
BEGIN
    SELECT RAISE(ABORT, 'cash refunds come only out of an open shift''s drawer');
END;

CREATE TRIGGER unreceipted_refunds_no_update BEFORE UPDATE ON unreceipted_refunds
BEGIN
    SELECT RAISE(ABORT, 'refunds are never changed');
END;

CREATE TRIGGER unreceipted_refunds_no_delete BEFORE DELETE ON unreceipted_refunds
BEGIN
    SELECT RAISE(ABORT, 'refunds are never deleted');
END;

CREATE TRIGGER unreceipted_refund_lines_no_update BEFORE UPDATE ON unreceipted_refund_lines
BEGIN
    SELECT RAISE(ABORT, 'refund lines are never changed');
END;

CREATE TRIGGER unreceipted_refund_lines_no_delete BEFORE DELETE ON unreceipted_refund_lines
BEGIN
    SELECT RAISE(ABORT, 'refund lines are never deleted');
END;
