-- Refunds of confirmed sales. (Filled in by the refunds work.)
SELECT 1;
