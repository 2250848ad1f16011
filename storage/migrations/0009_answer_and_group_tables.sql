-- the answer and the groups of a study run (issue 11): the rows that answer the study's
-- question, each group's cross-event tests per window and per event day, and its members.
-- Stored under the run's main benchmark (the first of model.benchmarks).

CREATE TABLE answer (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, day0 DATE, own BOOLEAN, start INTEGER, "end" INTEGER,
    status VARCHAR, car DOUBLE, t DOUBLE, p DOUBLE, q DOUBLE, robust_test VARCHAR,
    robust_stat DOUBLE, robust_p DOUBLE, robust_n INTEGER, confounded_by VARCHAR[],
    verdict VARCHAR,
    PRIMARY KEY (run_id, benchmark, event_id, ticker)
);

CREATE TABLE group_tests (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, group_id VARCHAR NOT NULL,
    label VARCHAR, start INTEGER NOT NULL, "end" INTEGER NOT NULL, test VARCHAR NOT NULL,
    n INTEGER, caar DOUBLE, mean_bhar DOUBLE, stat DOUBLE, p DOUBLE, distribution VARCHAR,
    df DOUBLE, note VARCHAR,
    PRIMARY KEY (run_id, benchmark, group_id, start, "end", test)
);

CREATE TABLE group_daily (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, group_id VARCHAR NOT NULL,
    label VARCHAR, rel_day INTEGER NOT NULL, n INTEGER, aar DOUBLE, caar DOUBLE,
    test VARCHAR NOT NULL, stat DOUBLE, p DOUBLE, distribution VARCHAR, df DOUBLE, note VARCHAR,
    PRIMARY KEY (run_id, benchmark, group_id, rel_day, test)
);

CREATE TABLE group_members (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, group_id VARCHAR NOT NULL,
    label VARCHAR, event_id VARCHAR NOT NULL, ticker VARCHAR NOT NULL, day0 DATE, own BOOLEAN,
    merged_into VARCHAR,
    PRIMARY KEY (run_id, benchmark, group_id, event_id, ticker)
);

CREATE OR REPLACE VIEW main.answer AS
SELECT run_id, benchmark, event_id, ticker, day0, own, start, "end", status, car, t, p, q,
       robust_test, robust_stat, robust_p, robust_n, confounded_by, verdict
FROM core.answer;

CREATE OR REPLACE VIEW main.group_tests AS
SELECT run_id, benchmark, group_id, label, start, "end", test, n, caar, mean_bhar, stat, p,
       distribution, df, note
FROM core.group_tests;

CREATE OR REPLACE VIEW main.group_daily AS
SELECT run_id, benchmark, group_id, label, rel_day, n, aar, caar, test, stat, p, distribution,
       df, note
FROM core.group_daily;

CREATE OR REPLACE VIEW main.group_members AS
SELECT run_id, benchmark, group_id, label, event_id, ticker, day0, own, merged_into
FROM core.group_members;

CREATE OR REPLACE VIEW main.latest_answer AS
SELECT a.run_id, a.benchmark, a.event_id, a.ticker, a.day0, a.own, a.start, a."end", a.status,
       a.car, a.t, a.p, a.q, a.robust_test, a.robust_stat, a.robust_p, a.robust_n,
       a.confounded_by, a.verdict
FROM core.answer a JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_group_tests AS
SELECT g.run_id, g.benchmark, g.group_id, g.label, g.start, g."end", g.test, g.n, g.caar,
       g.mean_bhar, g.stat, g.p, g.distribution, g.df, g.note
FROM core.group_tests g JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_group_daily AS
SELECT g.run_id, g.benchmark, g.group_id, g.label, g.rel_day, g.n, g.aar, g.caar, g.test,
       g.stat, g.p, g.distribution, g.df, g.note
FROM core.group_daily g JOIN main.latest_runs USING (run_id);
