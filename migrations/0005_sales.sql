-- Sales: orders, order lines, payments, receipts. (Filled in by the sales work.)
SELECT 1;
