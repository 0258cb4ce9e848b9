-- Checkout extras (issue 5): discounts on their own account, loyalty rewards
-- on the lines they discounted, and held carts remembered by the order they became.
--
-- Discounts: revenue is credited before discount and the discount debited to
-- 'Discounts' (4100), both net of tax, so the books show gross sales, discounts
-- and net sales. `discount_net_minor` is the line's discount without its tax
-- (equal to `discount_minor` when prices exclude tax); refunds reverse their
-- share of it. Rows from before this migration posted revenue net of discount
-- and carry 0 here, which is what their journal entries say.
ALTER TABLE order_lines ADD COLUMN discount_net_minor INTEGER NOT NULL DEFAULT 0
    CHECK (discount_net_minor BETWEEN 0 AND discount_minor);
-- The part of a line's discount that a redeemed loyalty reward gave (the
-- redemption itself is in loyalty_redemptions).
ALTER TABLE order_lines ADD COLUMN reward_discount_minor INTEGER NOT NULL DEFAULT 0
    CHECK (reward_discount_minor BETWEEN 0 AND discount_minor);
ALTER TABLE refund_lines ADD COLUMN discount_net_minor INTEGER NOT NULL DEFAULT 0
    CHECK (discount_net_minor >= 0);

-- A held cart that was paid for: which order it became (at most one each way).
CREATE TABLE held_cart_orders (
    held_cart_id INTEGER PRIMARY KEY REFERENCES held_carts(id),
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TRIGGER held_cart_orders_no_update BEFORE UPDATE ON held_cart_orders
BEGIN
    SELECT RAISE(ABORT, 'held cart orders are never changed');
END;

CREATE TRIGGER held_cart_orders_no_delete BEFORE DELETE ON held_cart_orders
BEGIN
    SELECT RAISE(ABORT, 'held cart orders are never deleted');
END;
