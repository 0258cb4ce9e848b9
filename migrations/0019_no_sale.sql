-- A "no sale": the cash drawer opened without a sale (change for a note, a
-- check of the float), with a reason, in the shift whose drawer it is. Kept
-- like the drawer's cash moves: never changed, never deleted.
CREATE TABLE shift_no_sales (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX shift_no_sales_shift ON shift_no_sales (shift_id, id);

CREATE TRIGGER shift_no_sales_no_update BEFORE UPDATE ON shift_no_sales
BEGIN
    SELECT RAISE(ABORT, 'no-sale drawer opens are never changed');
END;

CREATE TRIGGER shift_no_sales_no_delete BEFORE DELETE ON shift_no_sales
BEGIN
    SELECT RAISE(ABORT, 'no-sale drawer opens are never deleted');
END;
