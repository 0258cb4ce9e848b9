-- Ledger, customers and vendors: chart of accounts, journal entries and lines,
-- customers with credit limits, vendors and vendor payments.
-- Conventions as in 0001: STRICT, CHECKs, *_minor, *_ms, version-bump and
-- no-delete triggers. The ledger is append-only: a mistake is reversed by a
-- new entry (T31). Balances are sums over journal_lines, never stored totals.

-- The chart of accounts. Codes are stable: code refers to them, not ids.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 16),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind TEXT NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'revenue', 'contra_revenue', 'expense')),
    -- The side on which the balance is normally positive.
    normal_side TEXT NOT NULL CHECK (normal_side IN ('debit', 'credit'))
) STRICT;

INSERT INTO accounts (id, code, name, kind, normal_side) VALUES
    (1,  '1000', 'Cash',                    'asset',          'debit'),
    (2,  '1010', 'Card clearing',           'asset',          'debit'),
    (3,  '1020', 'Bank',                    'asset',          'debit'),
    (4,  '1100', 'Accounts receivable',     'asset',          'debit'),
    (5,  '1200', 'Inventory',               'asset',          'debit'),
    (6,  '2000', 'Accounts payable',        'liability',      'credit'),
    (7,  '2100', 'Tax payable',             'liability',      'credit'),
    (8,  '2200', 'Store credit liability',  'liability',      'credit'),
    (9,  '4000', 'Sales revenue',           'revenue',        'credit'),
    (10, '4100', 'Discounts',               'contra_revenue', 'debit'),
    (11, '5000', 'Cost of goods sold',      'expense',        'debit');
-- Loyalty liability ('2300') arrives with the loyalty issue's migration.

CREATE TRIGGER accounts_no_update BEFORE UPDATE ON accounts
BEGIN
    SELECT RAISE(ABORT, 'accounts are fixed; add new ones in a migration');
END;

CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
BEGIN
    SELECT RAISE(ABORT, 'accounts are never deleted');
END;

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 200),
    phone TEXT CHECK (phone IS NULL OR length(phone) BETWEEN 1 AND 40),
    email TEXT CHECK (email IS NULL OR length(email) BETWEEN 3 AND 254),
    tax_id TEXT CHECK (tax_id IS NULL OR length(tax_id) BETWEEN 1 AND 40),
    notes TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    credit_limit_minor INTEGER NOT NULL DEFAULT 0 CHECK (credit_limit_minor >= 0),
    -- 'block' unless someone explicitly chose 'warn' (T29).
    credit_mode TEXT NOT NULL DEFAULT 'block' CHECK (credit_mode IN ('block', 'warn')),
    archived_at_ms INTEGER,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;

CREATE INDEX customers_name ON customers (name, id);

CREATE TRIGGER customers_version_bump BEFORE UPDATE ON customers
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'customers.version must increase by one on every update');
END;

CREATE TRIGGER customers_no_delete BEFORE DELETE ON customers
BEGIN
    SELECT RAISE(ABORT, 'customers are archived, never deleted');
END;

CREATE TABLE vendors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 200),
    phone TEXT CHECK (phone IS NULL OR length(phone) BETWEEN 1 AND 40),
    email TEXT CHECK (email IS NULL OR length(email) BETWEEN 3 AND 254),
    tax_id TEXT CHECK (tax_id IS NULL OR length(tax_id) BETWEEN 1 AND 40),
    notes TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    archived_at_ms INTEGER,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;

CREATE INDEX vendors_name ON vendors (name, id);

CREATE TRIGGER vendors_version_bump BEFORE UPDATE ON vendors
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'vendors.version must increase by one on every update');
END;

CREATE TRIGGER vendors_no_delete BEFORE DELETE ON vendors
BEGIN
    SELECT RAISE(ABORT, 'vendors are archived, never deleted');
END;

-- A journal entry. Its id is its gapless number (counter 'journal_entries').
-- The lines are inserted FIRST (their foreign key to the entry is deferred to
-- commit), then this header; the header's insert trigger refuses an entry whose
-- lines don't balance, and the lines' insert trigger refuses a line for an entry
-- that already exists. So every committed entry is complete and balanced.
CREATE TABLE journal_entries (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    posted_at_ms INTEGER NOT NULL,
    memo TEXT NOT NULL CHECK (length(memo) BETWEEN 1 AND 200),
    source_type TEXT NOT NULL CHECK (length(source_type) BETWEEN 1 AND 40),
    source_id INTEGER NOT NULL,
    reverses_entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    -- The sum of the debits, which equals the sum of the credits.
    total_minor INTEGER NOT NULL CHECK (total_minor > 0)
) STRICT;

CREATE INDEX journal_entries_source ON journal_entries (source_type, source_id);
CREATE INDEX journal_entries_posted ON journal_entries (posted_at_ms, id);

CREATE TABLE journal_lines (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    debit_minor INTEGER NOT NULL CHECK (debit_minor >= 0),
    credit_minor INTEGER NOT NULL CHECK (credit_minor >= 0),
    customer_id INTEGER REFERENCES customers(id),
    vendor_id INTEGER REFERENCES vendors(id),
    CHECK ((debit_minor = 0) <> (credit_minor = 0)),
    CHECK (customer_id IS NULL OR vendor_id IS NULL)
) STRICT;

CREATE INDEX journal_lines_entry ON journal_lines (entry_id);
CREATE INDEX journal_lines_account ON journal_lines (account_id, entry_id);
CREATE INDEX journal_lines_customer ON journal_lines (customer_id, entry_id) WHERE customer_id IS NOT NULL;
CREATE INDEX journal_lines_vendor ON journal_lines (vendor_id, entry_id) WHERE vendor_id IS NOT NULL;

CREATE TRIGGER journal_lines_before_header BEFORE INSERT ON journal_lines
WHEN EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id)
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only: no line can be added to a posted entry');
END;

CREATE TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
WHEN (SELECT count(*) FROM journal_lines WHERE entry_id = NEW.id) < 2
  OR (SELECT sum(debit_minor) FROM journal_lines WHERE entry_id = NEW.id) IS NOT NEW.total_minor
  OR (SELECT sum(credit_minor) FROM journal_lines WHERE entry_id = NEW.id) IS NOT NEW.total_minor
BEGIN
    SELECT RAISE(ABORT, 'a journal entry must have at least two lines and its debits must equal its credits');
END;

CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only; reverse with a new entry');
END;

CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only; reverse with a new entry');
END;

CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'journal lines are append-only; reverse with a new entry');
END;

CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'journal lines are append-only; reverse with a new entry');
END;

-- Money paid to a vendor. Never updated or deleted; a reversal is a row of its own.
CREATE TABLE vendor_payments (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    tender TEXT NOT NULL CHECK (tender IN ('cash', 'bank')),
    reference TEXT CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 100),
    memo TEXT NOT NULL DEFAULT '' CHECK (length(memo) <= 200),
    entry_id INTEGER NOT NULL UNIQUE REFERENCES journal_entries(id),
    paid_at_ms INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id)
) STRICT;

CREATE INDEX vendor_payments_vendor ON vendor_payments (vendor_id, id);

CREATE TRIGGER vendor_payments_no_update BEFORE UPDATE ON vendor_payments
BEGIN
    SELECT RAISE(ABORT, 'vendor payments are never changed; reverse them');
END;

CREATE TRIGGER vendor_payments_no_delete BEFORE DELETE ON vendor_payments
BEGIN
    SELECT RAISE(ABORT, 'vendor payments are never deleted; reverse them (T31)');
END;

-- A payment's reversal: at most one per payment, with its own journal entry.
CREATE TABLE vendor_payment_reversals (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL UNIQUE REFERENCES vendor_payments(id),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    entry_id INTEGER NOT NULL UNIQUE REFERENCES journal_entries(id),
    reversed_at_ms INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id)
) STRICT;

CREATE TRIGGER vendor_payment_reversals_no_update BEFORE UPDATE ON vendor_payment_reversals
BEGIN
    SELECT RAISE(ABORT, 'reversals are never changed');
END;

CREATE TRIGGER vendor_payment_reversals_no_delete BEFORE DELETE ON vendor_payment_reversals
BEGIN
    SELECT RAISE(ABORT, 'reversals are never deleted');
END;

-- A purchase receipt: goods received from an active vendor. Its batches are
-- created through the inventory module (source 'purchase_receipt', id = this
-- row's id) and its cost is posted Dr inventory / Cr accounts payable.
CREATE TABLE purchase_receipts (
    id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    reference TEXT CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 100),
    total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
    -- NULL only when the goods cost nothing (nothing to post).
    entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    received_at_ms INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    CHECK ((entry_id IS NULL) = (total_minor = 0))
) STRICT;

CREATE INDEX purchase_receipts_vendor ON purchase_receipts (vendor_id, id);

CREATE TABLE purchase_receipt_lines (
    id INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES purchase_receipts(id) DEFERRABLE INITIALLY DEFERRED,
    batch_id INTEGER NOT NULL UNIQUE REFERENCES batches(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    unit_cost_minor INTEGER NOT NULL CHECK (unit_cost_minor >= 0),
    line_total_minor INTEGER NOT NULL CHECK (line_total_minor = quantity * unit_cost_minor)
) STRICT;

CREATE INDEX purchase_receipt_lines_receipt ON purchase_receipt_lines (receipt_id);

CREATE TRIGGER purchase_receipts_no_update BEFORE UPDATE ON purchase_receipts
BEGIN
    SELECT RAISE(ABORT, 'purchase receipts are never changed');
END;

CREATE TRIGGER purchase_receipts_no_delete BEFORE DELETE ON purchase_receipts
BEGIN
    SELECT RAISE(ABORT, 'purchase receipts are never deleted');
END;

CREATE TRIGGER purchase_receipt_lines_no_update BEFORE UPDATE ON purchase_receipt_lines
BEGIN
    SELECT RAISE(ABORT, 'purchase receipt lines are never changed');
END;

CREATE TRIGGER purchase_receipt_lines_no_delete BEFORE DELETE ON purchase_receipt_lines
BEGIN
    SELECT RAISE(ABORT, 'purchase receipt lines are never deleted');
END;
