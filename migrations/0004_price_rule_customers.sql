-- Price rules name real customers (the customers table arrived in 0003).
-- SQLite cannot add a foreign key to an existing column without a table
-- rebuild; these triggers give the same guarantee for new and changed rows.
CREATE TRIGGER price_rules_customer_exists_insert BEFORE INSERT ON price_rules
WHEN NEW.customer_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM customers WHERE id = NEW.customer_id)
BEGIN
    SELECT RAISE(ABORT, 'price_rules.customer_id must name a customer');
END;

CREATE TRIGGER price_rules_customer_exists_update BEFORE UPDATE OF customer_id ON price_rules
WHEN NEW.customer_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM customers WHERE id = NEW.customer_id)
BEGIN
    SELECT RAISE(ABORT, 'price_rules.customer_id must name a customer');
END;
