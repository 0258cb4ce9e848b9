-- Shifts at the till, cash in/out, voids and the Z-report (issue 5).
-- Conventions as in 0001..0007: STRICT, CHECKs, *_minor, *_ms. A shift is the
-- one versioned row here (opened, then closed once); everything else is
-- append-only. Orders and refunds are immutable, so they are tied to a shift by
-- link tables (`shift_orders`, `shift_refunds`) written in the sale's or the
-- refund's own transaction.
--
-- Ledger: the drawer is account 1000 (Cash); the back office's safe is the new
-- 1030. The opening float is posted Dr 1000 / Cr 1030, cash in Dr 1000 / Cr
-- 1030, cash out Dr 1030 / Cr 1000. At close the counted cash goes back to the
-- safe and the difference to what the rows say the drawer should hold is
-- posted to 5900 (Cash over and short): Dr 1030 counted, Cr 1000 expected, and
-- Dr 5900 a shortage or Cr 5900 an overage. So each closed shift leaves the
-- drawer account where it found it.

INSERT INTO accounts (id, code, name, kind, normal_side) VALUES
    (12, '1030', 'Cash safe',           'asset',   'debit'),
    (13, '5900', 'Cash over and short', 'expense', 'debit');

CREATE TABLE shifts (
    id INTEGER PRIMARY KEY,
    -- Gapless, from the counter 'shifts' (the Z-report's number).
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    -- The cashier whose drawer this is; only they attach sales to it.
    user_id INTEGER NOT NULL REFERENCES users(id),
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opening_float_minor INTEGER NOT NULL CHECK (opening_float_minor BETWEEN 0 AND 1000000000000),
    -- Dr 1000 / Cr 1030 for the float; NULL only when the float is 0.
    float_entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    opened_at_ms INTEGER NOT NULL,
    closed_at_ms INTEGER,
    closed_by INTEGER REFERENCES users(id),
    -- What the rows said the drawer held at close (float + cash sales − cash
    -- refunds + cash in − cash out − cash of voided sales).
    expected_cash_minor INTEGER CHECK (expected_cash_minor BETWEEN -100000000000000 AND 100000000000000),
    counted_cash_minor INTEGER CHECK (counted_cash_minor BETWEEN 0 AND 1000000000000),
    -- counted − expected: positive over, negative short.
    over_short_minor INTEGER,
    -- The close's entry; NULL only when nothing was expected nor counted.
    close_entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((float_entry_id IS NULL) = (opening_float_minor = 0)),
    CHECK ((status = 'open') = (closed_at_ms IS NULL)),
    CHECK (status = 'closed' OR (closed_by IS NULL AND expected_cash_minor IS NULL
        AND counted_cash_minor IS NULL AND over_short_minor IS NULL AND close_entry_id IS NULL)),
    CHECK (status = 'open' OR (closed_by IS NOT NULL AND expected_cash_minor IS NOT NULL
        AND counted_cash_minor IS NOT NULL AND over_short_minor IS NOT NULL)),
    CHECK (over_short_minor = counted_cash_minor - expected_cash_minor),
    CHECK (status = 'open'
        OR (close_entry_id IS NULL) = (expected_cash_minor = 0 AND counted_cash_minor = 0))
) STRICT;

-- One open shift per user, whatever code path or process tries a second.
CREATE UNIQUE INDEX shifts_one_open_per_user ON shifts (user_id) WHERE status = 'open';
CREATE INDEX shifts_user ON shifts (user_id, id);

CREATE TRIGGER shifts_version_bump BEFORE UPDATE ON shifts
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'shifts.version must increase by one on every update');
END;

CREATE TRIGGER shifts_closed_once BEFORE UPDATE ON shifts
WHEN OLD.status <> 'open'
BEGIN
    SELECT RAISE(ABORT, 'a closed shift is never changed');
END;

CREATE TRIGGER shifts_opening_fixed BEFORE UPDATE ON shifts
WHEN NEW.number IS NOT OLD.number OR NEW.user_id IS NOT OLD.user_id
  OR NEW.opening_float_minor IS NOT OLD.opening_float_minor
  OR NEW.float_entry_id IS NOT OLD.float_entry_id OR NEW.opened_at_ms IS NOT OLD.opened_at_ms
BEGIN
    SELECT RAISE(ABORT, 'how a shift was opened is never changed');
END;

CREATE TRIGGER shifts_no_delete BEFORE DELETE ON shifts
BEGIN
    SELECT RAISE(ABORT, 'shifts are closed, never deleted');
END;

-- Cash put into (in) or taken out of (out) the drawer during a shift.
CREATE TABLE shift_cash_moves (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    amount_minor INTEGER NOT NULL CHECK (amount_minor BETWEEN 1 AND 1000000000000),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    entry_id INTEGER NOT NULL UNIQUE REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX shift_cash_moves_shift ON shift_cash_moves (shift_id, id);

-- The sales and refunds rung up during a shift (at most one shift each).
CREATE TABLE shift_orders (
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (shift_id, order_id)
) STRICT;

CREATE TABLE shift_refunds (
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    refund_id INTEGER NOT NULL UNIQUE REFERENCES refunds(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (shift_id, refund_id)
) STRICT;

-- A voided sale: a new record, never an edit of the order (T31). Its units go
-- back to the batches they came from (`return` movements, source 'void') and
-- the order's journal entry is reversed.
CREATE TABLE order_voids (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
    -- The order's shift, still open when voided.
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    -- The reversal of the order's entry; NULL only when the order posted none.
    entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX order_voids_shift ON order_voids (shift_id, id);

-- One row per batch pick of the voided order: the units returned to it.
CREATE TABLE order_void_batches (
    id INTEGER PRIMARY KEY,
    void_id INTEGER NOT NULL REFERENCES order_voids(id) DEFERRABLE INITIALLY DEFERRED,
    order_line_batch_id INTEGER NOT NULL UNIQUE REFERENCES order_line_batches(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    movement_id INTEGER NOT NULL UNIQUE REFERENCES stock_movements(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 1)
) STRICT;

CREATE INDEX order_void_batches_void ON order_void_batches (void_id);

-- The schema's own guards, whatever code writes the rows.
CREATE TRIGGER shift_cash_moves_open_shift BEFORE INSERT ON shift_cash_moves
WHEN NOT EXISTS (SELECT 1 FROM shifts WHERE id = NEW.shift_id AND status = 'open')
BEGIN
    SELECT RAISE(ABORT, 'cash moves only into or out of an open shift');
END;

CREATE TRIGGER shift_orders_open_shift BEFORE INSERT ON shift_orders
WHEN NOT EXISTS (SELECT 1 FROM shifts WHERE id = NEW.shift_id AND status = 'open')
BEGIN
    SELECT RAISE(ABORT, 'sales are attached only to an open shift');
END;

CREATE TRIGGER shift_refunds_open_shift BEFORE INSERT ON shift_refunds
WHEN NOT EXISTS (SELECT 1 FROM shifts WHERE id = NEW.shift_id AND status = 'open')
BEGIN
    SELECT RAISE(ABORT, 'refunds are attached only to an open shift');
END;

CREATE TRIGGER order_voids_in_open_shift BEFORE INSERT ON order_voids
WHEN NOT EXISTS (SELECT 1 FROM shift_orders so JOIN shifts s ON s.id = so.shift_id
                 WHERE so.order_id = NEW.order_id AND so.shift_id = NEW.shift_id
                   AND s.status = 'open')
BEGIN
    SELECT RAISE(ABORT, 'a sale is voided only within its still-open shift');
END;

CREATE TRIGGER order_voids_not_refunded BEFORE INSERT ON order_voids
WHEN EXISTS (SELECT 1 FROM refunds WHERE order_id = NEW.order_id)
BEGIN
    SELECT RAISE(ABORT, 'a refunded sale cannot be voided');
END;

CREATE TRIGGER refunds_not_voided BEFORE INSERT ON refunds
WHEN EXISTS (SELECT 1 FROM order_voids WHERE order_id = NEW.order_id)
BEGIN
    SELECT RAISE(ABORT, 'a voided sale cannot be refunded');
END;

CREATE TRIGGER shift_cash_moves_no_update BEFORE UPDATE ON shift_cash_moves
BEGIN
    SELECT RAISE(ABORT, 'cash moves are never changed');
END;

CREATE TRIGGER shift_cash_moves_no_delete BEFORE DELETE ON shift_cash_moves
BEGIN
    SELECT RAISE(ABORT, 'cash moves are never deleted');
END;

CREATE TRIGGER shift_orders_no_update BEFORE UPDATE ON shift_orders
BEGIN
    SELECT RAISE(ABORT, 'shift orders are never changed');
END;

CREATE TRIGGER shift_orders_no_delete BEFORE DELETE ON shift_orders
BEGIN
    SELECT RAISE(ABORT, 'shift orders are never deleted');
END;

CREATE TRIGGER shift_refunds_no_update BEFORE UPDATE ON shift_refunds
BEGIN
    SELECT RAISE(ABORT, 'shift refunds are never changed');
END;

CREATE TRIGGER shift_refunds_no_delete BEFORE DELETE ON shift_refunds
BEGIN
    SELECT RAISE(ABORT, 'shift refunds are never deleted');
END;

CREATE TRIGGER order_voids_no_update BEFORE UPDATE ON order_voids
BEGIN
    SELECT RAISE(ABORT, 'voids are never changed');
END;

CREATE TRIGGER order_voids_no_delete BEFORE DELETE ON order_voids
BEGIN
    SELECT RAISE(ABORT, 'voids are never deleted');
END;

CREATE TRIGGER order_void_batches_no_update BEFORE UPDATE ON order_void_batches
BEGIN
    SELECT RAISE(ABORT, 'void batches are never changed');
END;

CREATE TRIGGER order_void_batches_no_delete BEFORE DELETE ON order_void_batches
BEGIN
    SELECT RAISE(ABORT, 'void batches are never deleted');
END;
