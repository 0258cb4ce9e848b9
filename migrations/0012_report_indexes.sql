-- Indexes for the reports (issue 5). Sales reports and the CSV export drive
-- from `orders_created` (0005); refunds are reported in the period they were
-- given, so they need the same by-time index.
CREATE INDEX refunds_created ON refunds (created_at_ms, id);
