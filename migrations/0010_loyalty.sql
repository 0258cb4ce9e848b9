-- Loyalty (issue 6): a points ledger per customer, earning rules, a rewards
-- catalog, claims and their redemption at the till, expiry runs, bulk
-- additions and revaluations.
-- Conventions as in 0001..0007: STRICT, CHECKs, *_minor, *_ms, append-only
-- history (triggers refuse UPDATE/DELETE), versioned rows bumped by one.
--
-- The points balance of a customer is the SUM of their movements. Each
-- movement also carries `balance_after`, chained by `seq` (UNIQUE per
-- customer) and checked by a trigger against the previous row, so a balance
-- below zero cannot be written by any code, and two writers that both read
-- the same last row cannot both append (the second breaks UNIQUE(customer_id,
-- seq)). `tillbook verify` recomputes the chain from the points.
--
-- Money: every movement is posted in the same transaction to '2300' Loyalty
-- liability (one line per customer, naming them) against '6100' Loyalty
-- expense. Invariant: balance(2300) = outstanding points × the configured
-- point value; a change of the value is posted as a revaluation.

INSERT INTO accounts (code, name, kind, normal_side) VALUES
    ('2300', 'Loyalty liability', 'liability', 'credit'),
    ('6100', 'Loyalty expense',   'expense',   'debit');

-- The one configuration row (id = 1). Earning is off (0 points per unit)
-- until a manager configures it.
CREATE TABLE loyalty_config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Points earned per major currency unit of eligible net spend (before multipliers).
    points_per_unit INTEGER NOT NULL CHECK (points_per_unit BETWEEN 0 AND 1000),
    -- What one point is worth, in minor units.
    point_value_minor INTEGER NOT NULL CHECK (point_value_minor BETWEEN 1 AND 1000000),
    -- An order earns nothing when its eligible net spend is below this.
    min_spend_minor INTEGER NOT NULL CHECK (min_spend_minor BETWEEN 0 AND 1000000000000),
    -- Points expire this many days after they were credited; NULL = never.
    expiry_days INTEGER CHECK (expiry_days IS NULL OR expiry_days BETWEEN 1 AND 3650),
    updated_by INTEGER REFERENCES users(id),
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
) STRICT;

INSERT INTO loyalty_config (id, points_per_unit, point_value_minor, min_spend_minor, expiry_days, updated_at_ms)
VALUES (1, 0, 1, 0, NULL, 0);

CREATE TRIGGER loyalty_config_version_bump BEFORE UPDATE ON loyalty_config
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'loyalty_config.version must increase by one on every update');
END;

CREATE TRIGGER loyalty_config_no_delete BEFORE DELETE ON loyalty_config
BEGIN
    SELECT RAISE(ABORT, 'the loyalty configuration is never deleted');
END;

-- Per-category earning multipliers (10000 = ×1). Replaced as a whole by
-- `loyalty.configure`; the audit row keeps what was set.
CREATE TABLE loyalty_category_multipliers (
    category TEXT PRIMARY KEY COLLATE NOCASE CHECK (length(category) BETWEEN 1 AND 100),
    multiplier_bp INTEGER NOT NULL CHECK (multiplier_bp BETWEEN 0 AND 100000)
) STRICT;

-- Products that never earn points.
CREATE TABLE loyalty_excluded_products (
    product_id INTEGER PRIMARY KEY REFERENCES products(id)
) STRICT;

-- The rewards catalog. What a reward costs and grants never changes once
-- created (claims refer to it); it can only be archived.
CREATE TABLE loyalty_rewards (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    points_cost INTEGER NOT NULL CHECK (points_cost BETWEEN 1 AND 1000000000),
    grant_kind TEXT NOT NULL CHECK (grant_kind IN ('amount', 'percent', 'product')),
    amount_minor INTEGER CHECK (amount_minor IS NULL OR amount_minor BETWEEN 1 AND 1000000000000),
    percent_bp INTEGER CHECK (percent_bp IS NULL OR percent_bp BETWEEN 1 AND 10000),
    product_id INTEGER REFERENCES products(id),
    valid_from_ms INTEGER NOT NULL,
    valid_until_ms INTEGER,
    -- How many claims there can ever be; NULL = unlimited.
    stock_limit INTEGER CHECK (stock_limit IS NULL OR stock_limit BETWEEN 1 AND 1000000),
    -- How many claims one customer can make; NULL = unlimited, 1 = once.
    per_customer_limit INTEGER CHECK (per_customer_limit IS NULL OR per_customer_limit BETWEEN 1 AND 1000),
    archived_at_ms INTEGER,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((grant_kind = 'amount') = (amount_minor IS NOT NULL)),
    CHECK ((grant_kind = 'percent') = (percent_bp IS NOT NULL)),
    CHECK ((grant_kind = 'product') = (product_id IS NOT NULL)),
    CHECK (valid_until_ms IS NULL OR valid_until_ms > valid_from_ms)
) STRICT;

CREATE TRIGGER loyalty_rewards_version_bump BEFORE UPDATE ON loyalty_rewards
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'loyalty_rewards.version must increase by one on every update');
END;

CREATE TRIGGER loyalty_rewards_terms_fixed BEFORE UPDATE ON loyalty_rewards
WHEN NEW.points_cost IS NOT OLD.points_cost OR NEW.grant_kind IS NOT OLD.grant_kind
  OR NEW.amount_minor IS NOT OLD.amount_minor OR NEW.percent_bp IS NOT OLD.percent_bp
  OR NEW.product_id IS NOT OLD.product_id OR NEW.stock_limit IS NOT OLD.stock_limit
  OR NEW.per_customer_limit IS NOT OLD.per_customer_limit
BEGIN
    SELECT RAISE(ABORT, 'a reward''s cost, grant and limits never change; archive it and create another');
END;

CREATE TRIGGER loyalty_rewards_no_delete BEFORE DELETE ON loyalty_rewards
BEGIN
    SELECT RAISE(ABORT, 'rewards are archived, never deleted');
END;

-- Expiry runs: at most one per UTC day (days since the Unix epoch).
CREATE TABLE loyalty_expiry_runs (
    id INTEGER PRIMARY KEY,
    day INTEGER NOT NULL UNIQUE CHECK (day >= 0),
    -- Points credited with expires_at_ms <= cutoff_ms were considered.
    cutoff_ms INTEGER NOT NULL,
    customers INTEGER NOT NULL CHECK (customers >= 0),
    points INTEGER NOT NULL CHECK (points >= 0),
    entry_id INTEGER UNIQUE REFERENCES journal_entries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    run_at_ms INTEGER NOT NULL,
    CHECK ((entry_id IS NULL) = (points = 0)),
    CHECK ((customers = 0) = (points = 0))
) STRICT;

-- One manager's bulk addition to a filtered set of customers.
CREATE TABLE loyalty_bulk_adds (
    id INTEGER PRIMARY KEY,
    points_each INTEGER NOT NULL CHECK (points_each BETWEEN 1 AND 1000000),
    customers INTEGER NOT NULL CHECK (customers BETWEEN 1 AND 10000),
    reason TEXT NOT NULL CHECK (length(trim(reason)) BETWEEN 1 AND 500),
    -- The filter as given, for the record.
    filter TEXT NOT NULL CHECK (json_valid(filter)),
    entry_id INTEGER NOT NULL UNIQUE REFERENCES journal_entries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL
) STRICT;

-- A change of the point value: outstanding points re-valued in the ledger.
CREATE TABLE loyalty_revaluations (
    id INTEGER PRIMARY KEY,
    old_value_minor INTEGER NOT NULL CHECK (old_value_minor >= 1),
    new_value_minor INTEGER NOT NULL CHECK (new_value_minor >= 1),
    points_outstanding INTEGER NOT NULL CHECK (points_outstanding >= 1),
    amount_minor INTEGER NOT NULL
        CHECK (amount_minor = points_outstanding * (new_value_minor - old_value_minor)),
    entry_id INTEGER NOT NULL UNIQUE REFERENCES journal_entries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    at_ms INTEGER NOT NULL,
    CHECK (old_value_minor <> new_value_minor)
) STRICT;

-- The points ledger. Append-only; the balance is the sum of `points`.
CREATE TABLE loyalty_movements (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    seq INTEGER NOT NULL CHECK (seq >= 1),
    kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'reverse', 'return', 'expire', 'adjust')),
    points INTEGER NOT NULL CHECK (points <> 0 AND points BETWEEN -1000000000000 AND 1000000000000),
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    point_value_minor INTEGER NOT NULL CHECK (point_value_minor >= 1),
    value_minor INTEGER NOT NULL CHECK (value_minor = points * point_value_minor),
    -- When the credited points expire (positive movements only); NULL = never.
    expires_at_ms INTEGER CHECK (expires_at_ms IS NULL OR points > 0),
    order_id INTEGER REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    refund_id INTEGER REFERENCES refunds(id) DEFERRABLE INITIALLY DEFERRED,
    void_id INTEGER REFERENCES order_voids(id) DEFERRABLE INITIALLY DEFERRED,
    -- The claim whose redeemed points a 'return' gives back.
    claim_id INTEGER REFERENCES loyalty_claims(id),
    expiry_run_id INTEGER REFERENCES loyalty_expiry_runs(id) DEFERRABLE INITIALLY DEFERRED,
    bulk_id INTEGER REFERENCES loyalty_bulk_adds(id) DEFERRABLE INITIALLY DEFERRED,
    reason TEXT CHECK (reason IS NULL OR length(trim(reason)) BETWEEN 1 AND 500),
    entry_id INTEGER NOT NULL REFERENCES journal_entries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    UNIQUE (customer_id, seq),
    CHECK (CASE kind WHEN 'earn' THEN points > 0 AND order_id IS NOT NULL
                     WHEN 'return' THEN points > 0 AND claim_id IS NOT NULL
                                        AND (refund_id IS NULL) <> (void_id IS NULL)
                     WHEN 'redeem' THEN points < 0
                     WHEN 'reverse' THEN points < 0 AND (refund_id IS NULL) <> (void_id IS NULL)
                     WHEN 'expire' THEN points < 0 AND expiry_run_id IS NOT NULL
                     ELSE reason IS NOT NULL END)
) STRICT;

CREATE UNIQUE INDEX loyalty_movements_one_earn_per_order ON loyalty_movements (order_id) WHERE kind = 'earn';
CREATE UNIQUE INDEX loyalty_movements_one_reverse_per_refund ON loyalty_movements (refund_id) WHERE kind = 'reverse';
CREATE UNIQUE INDEX loyalty_movements_one_return_per_refund_claim ON loyalty_movements (refund_id, claim_id) WHERE kind = 'return';
CREATE UNIQUE INDEX loyalty_movements_one_reverse_per_void ON loyalty_movements (void_id) WHERE kind = 'reverse';
CREATE UNIQUE INDEX loyalty_movements_one_return_per_void_claim ON loyalty_movements (void_id, claim_id) WHERE kind = 'return';
CREATE UNIQUE INDEX loyalty_movements_one_expiry_per_run ON loyalty_movements (expiry_run_id, customer_id) WHERE kind = 'expire';
CREATE UNIQUE INDEX loyalty_movements_one_per_bulk ON loyalty_movements (bulk_id, customer_id) WHERE bulk_id IS NOT NULL;
CREATE INDEX loyalty_movements_expiring ON loyalty_movements (expires_at_ms, customer_id) WHERE expires_at_ms IS NOT NULL;
CREATE INDEX loyalty_movements_entry ON loyalty_movements (entry_id);

-- The chain: seq follows the customer's last seq and balance_after is the
-- previous balance plus these points (and never negative, by the CHECK).
CREATE TRIGGER loyalty_movements_chain BEFORE INSERT ON loyalty_movements
WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM loyalty_movements WHERE customer_id = NEW.customer_id), 0) + 1
  OR NEW.balance_after IS NOT coalesce((SELECT balance_after FROM loyalty_movements
                                        WHERE customer_id = NEW.customer_id ORDER BY seq DESC LIMIT 1), 0) + NEW.points
BEGIN
    SELECT RAISE(ABORT, 'a points movement must follow the customer''s last movement and balance');
END;

-- Which order lines earned the points of an 'earn' movement (refunds take
-- back a line's points in proportion to the refunded units).
CREATE TABLE loyalty_earn_lines (
    id INTEGER PRIMARY KEY,
    movement_id INTEGER NOT NULL REFERENCES loyalty_movements(id) DEFERRABLE INITIALLY DEFERRED,
    order_line_id INTEGER NOT NULL UNIQUE REFERENCES order_lines(id),
    eligible_net_minor INTEGER NOT NULL CHECK (eligible_net_minor >= 0),
    multiplier_bp INTEGER NOT NULL CHECK (multiplier_bp BETWEEN 0 AND 100000),
    points INTEGER NOT NULL CHECK (points >= 1)
) STRICT;

CREATE INDEX loyalty_earn_lines_movement ON loyalty_earn_lines (movement_id);

-- Claims of rewards. customer_seq / stock_seq number a customer's claims of a
-- reward and all claims of it; the UNIQUE constraints make a second claim
-- with the same number impossible and the trigger refuses numbers beyond the
-- reward's limits, so limits hold whatever code writes the rows.
CREATE TABLE loyalty_claims (
    id INTEGER PRIMARY KEY,
    reward_id INTEGER NOT NULL REFERENCES loyalty_rewards(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    points INTEGER NOT NULL CHECK (points >= 1),
    movement_id INTEGER NOT NULL UNIQUE REFERENCES loyalty_movements(id),
    customer_seq INTEGER NOT NULL CHECK (customer_seq >= 1),
    stock_seq INTEGER NOT NULL CHECK (stock_seq >= 1),
    claimed_at_ms INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    UNIQUE (reward_id, customer_id, customer_seq),
    UNIQUE (reward_id, stock_seq)
) STRICT;

CREATE INDEX loyalty_claims_customer ON loyalty_claims (customer_id, id);

CREATE TRIGGER loyalty_claims_within_limits BEFORE INSERT ON loyalty_claims
WHEN NEW.customer_seq > coalesce((SELECT per_customer_limit FROM loyalty_rewards WHERE id = NEW.reward_id), NEW.customer_seq)
  OR NEW.stock_seq > coalesce((SELECT stock_limit FROM loyalty_rewards WHERE id = NEW.reward_id), NEW.stock_seq)
  OR NEW.customer_seq IS NOT (SELECT count(*) + 1 FROM loyalty_claims
                              WHERE reward_id = NEW.reward_id AND customer_id = NEW.customer_id)
  OR NEW.stock_seq IS NOT (SELECT count(*) + 1 FROM loyalty_claims WHERE reward_id = NEW.reward_id)
BEGIN
    SELECT RAISE(ABORT, 'a claim beyond the reward''s stock or per-customer limit');
END;

-- A claim used at the till: at most once (the primary key).
CREATE TABLE loyalty_redemptions (
    claim_id INTEGER PRIMARY KEY REFERENCES loyalty_claims(id),
    order_id INTEGER NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    discount_minor INTEGER NOT NULL CHECK (discount_minor BETWEEN 0 AND 1000000000000)
) STRICT;

CREATE INDEX loyalty_redemptions_order ON loyalty_redemptions (order_id);

-- What a refund or a void owed back in earned points, and what it took. The
-- balance never goes negative: the part the customer has already spent is
-- written off (points_due - points_taken), and recorded here.
CREATE TABLE loyalty_reversals (
    id INTEGER PRIMARY KEY,
    refund_id INTEGER UNIQUE REFERENCES refunds(id),
    void_id INTEGER UNIQUE REFERENCES order_voids(id) DEFERRABLE INITIALLY DEFERRED,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    points_due INTEGER NOT NULL CHECK (points_due >= 1),
    points_taken INTEGER NOT NULL CHECK (points_taken BETWEEN 0 AND points_due),
    movement_id INTEGER UNIQUE REFERENCES loyalty_movements(id),
    CHECK ((movement_id IS NULL) = (points_taken = 0)),
    CHECK ((refund_id IS NULL) <> (void_id IS NULL))
) STRICT;

CREATE TRIGGER loyalty_movements_no_update BEFORE UPDATE ON loyalty_movements
BEGIN
    SELECT RAISE(ABORT, 'points movements are append-only; correct with a new movement');
END;
CREATE TRIGGER loyalty_movements_no_delete BEFORE DELETE ON loyalty_movements
BEGIN
    SELECT RAISE(ABORT, 'points movements are never deleted');
END;
CREATE TRIGGER loyalty_earn_lines_no_update BEFORE UPDATE ON loyalty_earn_lines
BEGIN
    SELECT RAISE(ABORT, 'earn lines are never changed');
END;
CREATE TRIGGER loyalty_earn_lines_no_delete BEFORE DELETE ON loyalty_earn_lines
BEGIN
    SELECT RAISE(ABORT, 'earn lines are never deleted');
END;
CREATE TRIGGER loyalty_claims_no_update BEFORE UPDATE ON loyalty_claims
BEGIN
    SELECT RAISE(ABORT, 'claims are never changed');
END;
CREATE TRIGGER loyalty_claims_no_delete BEFORE DELETE ON loyalty_claims
BEGIN
    SELECT RAISE(ABORT, 'claims are never deleted');
END;
CREATE TRIGGER loyalty_redemptions_no_update BEFORE UPDATE ON loyalty_redemptions
BEGIN
    SELECT RAISE(ABORT, 'redemptions are never changed');
END;
CREATE TRIGGER loyalty_redemptions_no_delete BEFORE DELETE ON loyalty_redemptions
BEGIN
    SELECT RAISE(ABORT, 'redemptions are never deleted');
END;
CREATE TRIGGER loyalty_reversals_no_update BEFORE UPDATE ON loyalty_reversals
BEGIN
    SELECT RAISE(ABORT, 'points reversals are never changed');
END;
CREATE TRIGGER loyalty_reversals_no_delete BEFORE DELETE ON loyalty_reversals
BEGIN
    SELECT RAISE(ABORT, 'points reversals are never deleted');
END;
CREATE TRIGGER loyalty_expiry_runs_no_update BEFORE UPDATE ON loyalty_expiry_runs
BEGIN
    SELECT RAISE(ABORT, 'expiry runs are never changed');
END;
CREATE TRIGGER loyalty_expiry_runs_no_delete BEFORE DELETE ON loyalty_expiry_runs
BEGIN
    SELECT RAISE(ABORT, 'expiry runs are never deleted');
END;
CREATE TRIGGER loyalty_bulk_adds_no_update BEFORE UPDATE ON loyalty_bulk_adds
BEGIN
    SELECT RAISE(ABORT, 'bulk additions are never changed');
END;
CREATE TRIGGER loyalty_bulk_adds_no_delete BEFORE DELETE ON loyalty_bulk_adds
BEGIN
    SELECT RAISE(ABORT, 'bulk additions are never deleted');
END;
CREATE TRIGGER loyalty_revaluations_no_update BEFORE UPDATE ON loyalty_revaluations
BEGIN
    SELECT RAISE(ABORT, 'revaluations are never changed');
END;
CREATE TRIGGER loyalty_revaluations_no_delete BEFORE DELETE ON loyalty_revaluations
BEGIN
    SELECT RAISE(ABORT, 'revaluations are never deleted');
END;
