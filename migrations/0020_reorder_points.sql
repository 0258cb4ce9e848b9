-- Stock made simple: when a product should be reordered, how much, from whom,
-- and whether its batches carry an expiry date.
-- Quantities are in the product's smallest unit (grams for kg), like stock.
-- A product with no reorder point is never "low".

ALTER TABLE products ADD COLUMN reorder_point INTEGER
    CHECK (reorder_point IS NULL OR reorder_point BETWEEN 0 AND 1000000000);
ALTER TABLE products ADD COLUMN reorder_quantity INTEGER
    CHECK (reorder_quantity IS NULL OR reorder_quantity BETWEEN 1 AND 1000000000);
ALTER TABLE products ADD COLUMN preferred_vendor_id INTEGER REFERENCES vendors(id);
-- Expiry is asked on receipt only for products that track it; products that
-- already have a batch with an expiry date keep being asked.
ALTER TABLE products ADD COLUMN track_expiry INTEGER NOT NULL DEFAULT 0
    CHECK (track_expiry IN (0, 1));

UPDATE products SET track_expiry = 1, version = version + 1
 WHERE EXISTS (SELECT 1 FROM batches b WHERE b.product_id = products.id AND b.expires_on IS NOT NULL);

-- The low-stock list walks only products that have a reorder point.
CREATE INDEX products_reorder_point ON products (id) WHERE reorder_point IS NOT NULL;
