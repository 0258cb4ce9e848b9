-- Held (parked) carts (issue 5): a sale parked at the till, its lines, and the
-- stock reservations that keep its units (T17). A hold is versioned (T11) and
-- closed by status, never deleted (T22); its lines never change once saved.

CREATE TABLE held_carts (
    id INTEGER PRIMARY KEY,
    -- Gapless per shop, from the `held_carts` counter (T26).
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    status TEXT NOT NULL CHECK (status IN ('held', 'cancelled', 'completed')),
    customer_id INTEGER REFERENCES customers(id),
    cashier_id INTEGER NOT NULL REFERENCES users(id),
    line_count INTEGER NOT NULL CHECK (line_count BETWEEN 1 AND 200),
    -- When the reservations made with the hold lapse (settings.reservation_ttl_ms).
    expires_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    closed_at_ms INTEGER,
    closed_by INTEGER REFERENCES users(id),
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((status = 'held') = (closed_at_ms IS NULL))
) STRICT;

CREATE INDEX held_carts_open ON held_carts (id) WHERE status = 'held';

CREATE TRIGGER held_carts_version_bump BEFORE UPDATE ON held_carts
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'held_carts.version must increase by one on every update');
END;

CREATE TRIGGER held_carts_closed_once BEFORE UPDATE ON held_carts
WHEN OLD.status <> 'held'
BEGIN
    SELECT RAISE(ABORT, 'a closed hold is never changed');
END;

CREATE TRIGGER held_carts_no_delete BEFORE DELETE ON held_carts
BEGIN
    SELECT RAISE(ABORT, 'held carts are closed, never deleted');
END;

CREATE TABLE held_cart_lines (
    id INTEGER PRIMARY KEY,
    cart_id INTEGER NOT NULL REFERENCES held_carts(id),
    line_no INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 200),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    discount_minor INTEGER NOT NULL DEFAULT 0 CHECK (discount_minor BETWEEN 0 AND 1000000000000),
    UNIQUE (cart_id, line_no)
) STRICT;

CREATE TRIGGER held_cart_lines_no_update BEFORE UPDATE ON held_cart_lines
BEGIN
    SELECT RAISE(ABORT, 'held cart lines never change');
END;

CREATE TRIGGER held_cart_lines_no_delete BEFORE DELETE ON held_cart_lines
BEGIN
    SELECT RAISE(ABORT, 'held cart lines are never deleted');
END;

-- Which reservations (one per batch picked, FEFO) hold each line's units.
CREATE TABLE held_cart_reservations (
    line_id INTEGER NOT NULL REFERENCES held_cart_lines(id),
    reservation_id INTEGER NOT NULL UNIQUE REFERENCES stock_reservations(id),
    PRIMARY KEY (line_id, reservation_id)
) STRICT;

CREATE TRIGGER held_cart_reservations_no_update BEFORE UPDATE ON held_cart_reservations
BEGIN
    SELECT RAISE(ABORT, 'held cart reservations never change');
END;

CREATE TRIGGER held_cart_reservations_no_delete BEFORE DELETE ON held_cart_reservations
BEGIN
    SELECT RAISE(ABORT, 'held cart reservations are never deleted');
END;
