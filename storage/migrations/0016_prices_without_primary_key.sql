-- Prices without a primary-key index.
--
-- Rows are written only by the counting upsert (storage/repos/_upsert.py), which removes
-- repeated keys from what it writes and inserts only keys the table does not hold, under the
-- store's single-writer lock; the repository's tests check the keys stay unique. The index
-- added nothing to reads (they filter on ticker and date ranges, which DuckDB serves from its
-- min/max zone maps) and cost most of a bulk load: importing 252,500 rows spent about 0.7 s
-- of 1 s maintaining it, and the commit another 0.2 s. The table keeps its columns, types,
-- order and NOT NULL columns, and its rows are rewritten in (ticker, date) order so each
-- ticker's rows sit together.

CREATE TABLE prices__new AS SELECT * FROM prices ORDER BY ticker, date;
ALTER TABLE prices__new ALTER COLUMN ticker SET NOT NULL;
ALTER TABLE prices__new ALTER COLUMN date SET NOT NULL;
ALTER TABLE prices__new ALTER COLUMN close SET NOT NULL;
ALTER TABLE prices__new ALTER COLUMN source SET NOT NULL;
ALTER TABLE prices__new ALTER COLUMN fetched_at SET NOT NULL;
DROP TABLE prices;
ALTER TABLE prices__new RENAME TO prices;
