-- abnormal volume and volatility of study runs: per event day, per window, cross-event tests

-- One row per run, benchmark (the run's main one), event, ticker and event day / window, as
-- for abnormal_returns and cars; docs/statistics.md defines every column, docs/sql.md lists them.
-- no key indexes (see 0010): the repository checks each write's keys

CREATE TABLE volume_daily (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, rel_day INTEGER NOT NULL, date DATE, log_volume DOUBLE,
    expected DOUBLE, av DOUBLE, var_av DOUBLE, z DOUBLE
);

CREATE TABLE volume_windows (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    status VARCHAR NOT NULL, cav DOUBLE, var_cav DOUBLE, z DOUBLE, p DOUBLE,
    confounded_by VARCHAR[]
);

CREATE TABLE volume_tests (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, test VARCHAR NOT NULL, n INTEGER, mean DOUBLE,
    stat DOUBLE, p DOUBLE, distribution VARCHAR, note VARCHAR
);

CREATE TABLE volatility_daily (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, rel_day INTEGER NOT NULL, date DATE, sar2 DOUBLE, level DOUBLE,
    excess DOUBLE, z DOUBLE
);

CREATE TABLE volatility_windows (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    status VARCHAR NOT NULL, ratio DOUBLE, excess DOUBLE, z DOUBLE, p DOUBLE,
    confounded_by VARCHAR[]
);

CREATE TABLE volatility_tests (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, test VARCHAR NOT NULL, n INTEGER, mean DOUBLE,
    stat DOUBLE, p DOUBLE, distribution VARCHAR, note VARCHAR
);

CREATE OR REPLACE VIEW main.volume_daily AS
SELECT run_id, benchmark, event_id, ticker, rel_day, date, log_volume, expected, av, var_av, z
FROM core.volume_daily;

CREATE OR REPLACE VIEW main.volume_windows AS
SELECT run_id, benchmark, event_id, ticker, start, "end", status, cav, var_cav, z, p,
       confounded_by
FROM core.volume_windows;

CREATE OR REPLACE VIEW main.volume_tests AS
SELECT run_id, benchmark, start, "end", test, n, mean, stat, p, distribution, note
FROM core.volume_tests;

CREATE OR REPLACE VIEW main.volatility_daily AS
SELECT run_id, benchmark, event_id, ticker, rel_day, date, sar2, level, excess, z
FROM core.volatility_daily;

CREATE OR REPLACE VIEW main.volatility_windows AS
SELECT run_id, benchmark, event_id, ticker, start, "end", status, ratio, excess, z, p,
       confounded_by
FROM core.volatility_windows;

CREATE OR REPLACE VIEW main.volatility_tests AS
SELECT run_id, benchmark, start, "end", test, n, mean, stat, p, distribution, note
FROM core.volatility_tests;

-- the newest run of every study id, as the other latest_* views (migration 0008)
CREATE OR REPLACE VIEW main.latest_volume_windows AS
SELECT v.run_id, v.benchmark, v.event_id, v.ticker, v.start, v."end", v.status, v.cav,
       v.var_cav, v.z, v.p, v.confounded_by
FROM core.volume_windows v JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_volatility_windows AS
SELECT v.run_id, v.benchmark, v.event_id, v.ticker, v.start, v."end", v.status, v.ratio,
       v.excess, v.z, v.p, v.confounded_by
FROM core.volatility_windows v JOIN main.latest_runs USING (run_id);
