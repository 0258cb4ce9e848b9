-- Catalog and inventory: products, price rules, batches, stock movements,
-- reservations and stock counts. (Filled in by the catalog/inventory work.)
SELECT 1;
