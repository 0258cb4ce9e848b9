-- Ledger, customers and vendors: chart of accounts, journal entries,
-- customers with credit limits, vendors and vendor payments.
-- (Filled in by the ledger/parties work.)
SELECT 1;
