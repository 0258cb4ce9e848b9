-- Held (parked) carts that reserve stock. (Filled in by the held-carts work.)
SELECT 1;
