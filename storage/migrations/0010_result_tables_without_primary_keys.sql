-- Run result tables without primary keys.
--
-- Each stored run writes its result rows once, in one transaction, from frames whose keys are
-- unique by construction (tests check the stored keys of real runs). The primary-key indexes
-- added nothing but cost: on the 36,845-event study, saving the run (1.4 million rows) spent
-- most of its time maintaining them, and they made the file about five times larger than its
-- rows. The tables keep their columns, types, order and NOT NULL columns; only the key
-- indexes go. Reads filter on run_id, which DuckDB's min/max zone maps serve without an index
-- (rows of one run are written together). The head tables (study_runs, backtest_runs) keep
-- their keys.

CREATE TABLE event_diagnostics__new AS SELECT * FROM event_diagnostics;
ALTER TABLE event_diagnostics__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE event_diagnostics__new ALTER COLUMN benchmark SET NOT NULL;
ALTER TABLE event_diagnostics__new ALTER COLUMN event_id SET NOT NULL;
ALTER TABLE event_diagnostics__new ALTER COLUMN ticker SET NOT NULL;
ALTER TABLE event_diagnostics__new ALTER COLUMN status SET NOT NULL;
DROP TABLE event_diagnostics;
ALTER TABLE event_diagnostics__new RENAME TO event_diagnostics;

CREATE TABLE abnormal_returns__new AS SELECT * FROM abnormal_returns;
ALTER TABLE abnormal_returns__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE abnormal_returns__new ALTER COLUMN benchmark SET NOT NULL;
ALTER TABLE abnormal_returns__new ALTER COLUMN event_id SET NOT NULL;
ALTER TABLE abnormal_returns__new ALTER COLUMN ticker SET NOT NULL;
ALTER TABLE abnormal_returns__new ALTER COLUMN rel_day SET NOT NULL;
DROP TABLE abnormal_returns;
ALTER TABLE abnormal_returns__new RENAME TO abnormal_returns;

CREATE TABLE cars__new AS SELECT * FROM cars;
ALTER TABLE cars__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE cars__new ALTER COLUMN benchmark SET NOT NULL;
ALTER TABLE cars__new ALTER COLUMN event_id SET NOT NULL;
ALTER TABLE cars__new ALTER COLUMN ticker SET NOT NULL;
ALTER TABLE cars__new ALTER COLUMN start SET NOT NULL;
ALTER TABLE cars__new ALTER COLUMN "end" SET NOT NULL;
ALTER TABLE cars__new ALTER COLUMN status SET NOT NULL;
DROP TABLE cars;
ALTER TABLE cars__new RENAME TO cars;

CREATE TABLE car_paths__new AS SELECT * FROM car_paths;
ALTER TABLE car_paths__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE car_paths__new ALTER COLUMN benchmark SET NOT NULL;
ALTER TABLE car_paths__new ALTER COLUMN event_id SET NOT NULL;
ALTER TABLE car_paths__new ALTER COLUMN ticker SET NOT NULL;
ALTER TABLE car_paths__new ALTER COLUMN rel_day SET NOT NULL;
DROP TABLE car_paths;
ALTER TABLE car_paths__new RENAME TO car_paths;

CREATE TABLE aar__new AS SELECT * FROM aar;
ALTER TABLE aar__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE aar__new ALTER COLUMN benchmark SET NOT NULL;
ALTER TABLE aar__new ALTER COLUMN rel_day SET NOT NULL;
DROP TABLE aar;
ALTER TABLE aar__new RENAME TO aar;

CREATE TABLE tests__new AS SELECT * FROM tests;
ALTER TABLE tests__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE tests__new ALTER COLUMN benchmark SET NOT NULL;
ALTER TABLE tests__new ALTER COLUMN start SET NOT NULL;
ALTER TABLE tests__new ALTER COLUMN "end" SET NOT NULL;
ALTER TABLE tests__new ALTER COLUMN test SET NOT NULL;
DROP TABLE tests;
ALTER TABLE tests__new RENAME TO tests;

CREATE TABLE trades__new AS SELECT * FROM trades;
ALTER TABLE trades__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE trades__new ALTER COLUMN event_id SET NOT NULL;
ALTER TABLE trades__new ALTER COLUMN ticker SET NOT NULL;
ALTER TABLE trades__new ALTER COLUMN status SET NOT NULL;
DROP TABLE trades;
ALTER TABLE trades__new RENAME TO trades;

CREATE TABLE backtest_stats__new AS SELECT * FROM backtest_stats;
ALTER TABLE backtest_stats__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE backtest_stats__new ALTER COLUMN series SET NOT NULL;
DROP TABLE backtest_stats;
ALTER TABLE backtest_stats__new RENAME TO backtest_stats;

CREATE TABLE sweep_cells__new AS SELECT * FROM sweep_cells;
ALTER TABLE sweep_cells__new ALTER COLUMN run_id SET NOT NULL;
ALTER TABLE sweep_cells__new ALTER COLUMN entry_offset SET NOT NULL;
ALTER TABLE sweep_cells__new ALTER COLUMN holding SET NOT NULL;
DROP TABLE sweep_cells;
ALTER TABLE sweep_cells__new RENAME TO sweep_cells;
