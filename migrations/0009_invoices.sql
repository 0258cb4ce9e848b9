-- Invoices for account sales and the allocation of customer payments. (Filled in by the invoices work.)
SELECT 1;
