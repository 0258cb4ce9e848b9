-- Invoices for account sales, customers' payments on account and their
-- allocation to invoices (issue 5).
-- Conventions as in 0001..0006: STRICT, CHECKs, *_minor, *_ms. Everything here
-- is append-only: an invoice, its orders, a payment and an allocation are
-- never changed or deleted. An invoice's status is not stored: it is computed
-- from its allocations, the later on-account refunds of its orders and the
-- date (crates/tillbook-core/src/invoices.rs).
-- Invoice numbers come from the counter 'invoices' and payment receipt numbers
-- from 'customer_payments', in the same transaction (T26, T36): unique by
-- constraint, gapless by `verify`.

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    order_count INTEGER NOT NULL CHECK (order_count BETWEEN 1 AND 100),
    -- The sum of its orders' amounts (computed by the core, T20; re-checked by verify).
    total_minor INTEGER NOT NULL CHECK (total_minor >= 1),
    issued_at_ms INTEGER NOT NULL,
    -- The UTC calendar day it is due; it is overdue from the day after.
    due_on TEXT NOT NULL CHECK (length(due_on) = 10
        AND due_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    created_by INTEGER NOT NULL REFERENCES users(id)
) STRICT;

CREATE INDEX invoices_customer ON invoices (customer_id, due_on, id);

-- The orders an invoice bills. An order is invoiced at most once.
CREATE TABLE invoice_orders (
    id INTEGER PRIMARY KEY,
    invoice_id INTEGER NOT NULL REFERENCES invoices(id),
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
    -- The order's on-account payments.
    on_account_minor INTEGER NOT NULL CHECK (on_account_minor >= 1),
    -- On-account refunds of the order made before it was invoiced.
    refunded_before_minor INTEGER NOT NULL CHECK (refunded_before_minor >= 0),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 1),
    CHECK (amount_minor = on_account_minor - refunded_before_minor)
) STRICT;

CREATE INDEX invoice_orders_invoice ON invoice_orders (invoice_id);

CREATE TRIGGER invoice_orders_same_customer BEFORE INSERT ON invoice_orders
WHEN (SELECT customer_id FROM orders WHERE id = NEW.order_id)
     IS NOT (SELECT customer_id FROM invoices WHERE id = NEW.invoice_id)
BEGIN
    SELECT RAISE(ABORT, 'an invoice bills only its own customer''s orders');
END;

-- Money received from a customer on account.
CREATE TABLE customer_payments (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor BETWEEN 1 AND 1000000000000),
    tender TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'bank')),
    reference TEXT CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 100),
    entry_id INTEGER NOT NULL UNIQUE REFERENCES journal_entries(id),
    received_at_ms INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id)
) STRICT;

CREATE INDEX customer_payments_customer ON customer_payments (customer_id, id);

-- Which part of a payment settles which invoice.
CREATE TABLE invoice_allocations (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES customer_payments(id),
    invoice_id INTEGER NOT NULL REFERENCES invoices(id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 1),
    allocated_at_ms INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id)
) STRICT;

CREATE INDEX invoice_allocations_invoice ON invoice_allocations (invoice_id);
CREATE INDEX invoice_allocations_payment ON invoice_allocations (payment_id);

-- The schema's own guard, whatever code writes the rows: a payment settles
-- only its customer's invoices, and neither a payment nor an invoice is ever
-- allocated beyond its amount.
CREATE TRIGGER invoice_allocations_guard BEFORE INSERT ON invoice_allocations
WHEN (SELECT customer_id FROM customer_payments WHERE id = NEW.payment_id)
        IS NOT (SELECT customer_id FROM invoices WHERE id = NEW.invoice_id)
  OR NEW.amount_minor + (SELECT coalesce(sum(amount_minor), 0) FROM invoice_allocations
                         WHERE payment_id = NEW.payment_id)
        > (SELECT amount_minor FROM customer_payments WHERE id = NEW.payment_id)
  OR NEW.amount_minor + (SELECT coalesce(sum(amount_minor), 0) FROM invoice_allocations
                         WHERE invoice_id = NEW.invoice_id)
        > (SELECT total_minor FROM invoices WHERE id = NEW.invoice_id)
BEGIN
    SELECT RAISE(ABORT, 'an allocation exceeds its payment or its invoice, or crosses customers');
END;

CREATE TRIGGER invoices_no_update BEFORE UPDATE ON invoices
BEGIN
    SELECT RAISE(ABORT, 'invoices are never changed; their status is computed');
END;

CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices
BEGIN
    SELECT RAISE(ABORT, 'invoices are never deleted');
END;

CREATE TRIGGER invoice_orders_no_update BEFORE UPDATE ON invoice_orders
BEGIN
    SELECT RAISE(ABORT, 'invoice orders are never changed');
END;

CREATE TRIGGER invoice_orders_no_delete BEFORE DELETE ON invoice_orders
BEGIN
    SELECT RAISE(ABORT, 'invoice orders are never deleted');
END;

CREATE TRIGGER customer_payments_no_update BEFORE UPDATE ON customer_payments
BEGIN
    SELECT RAISE(ABORT, 'customer payments are never changed');
END;

CREATE TRIGGER customer_payments_no_delete BEFORE DELETE ON customer_payments
BEGIN
    SELECT RAISE(ABORT, 'customer payments are never deleted (T31)');
END;

CREATE TRIGGER invoice_allocations_no_update BEFORE UPDATE ON invoice_allocations
BEGIN
    SELECT RAISE(ABORT, 'allocations are never changed');
END;

CREATE TRIGGER invoice_allocations_no_delete BEFORE DELETE ON invoice_allocations
BEGIN
    SELECT RAISE(ABORT, 'allocations are never deleted');
END;
