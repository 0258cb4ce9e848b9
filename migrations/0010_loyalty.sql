-- Loyalty: points ledger, earning rules, rewards, claims. (Filled in by the loyalty work.)
SELECT 1;
