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
