-- spillover studies: the event x ticker matrix with roles, the per-role tests, the controls
-- (no key indexes, as for every run result table since 0010: the repository checks the keys)

-- one row per run, benchmark, event and measured ticker: the CAR of the study's main window,
-- its t, p and the Benjamini-Hochberg q over the matrix, and the cell's role
CREATE TABLE spillover_cells (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, role VARCHAR NOT NULL, day0 DATE, own BOOLEAN,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, status VARCHAR NOT NULL,
    car DOUBLE, t DOUBLE, p DOUBLE, q DOUBLE, confounded_by VARCHAR[]
);

-- one row per run, role, window and test (main benchmark): the engine's cross-event tests on
-- the role's observations, and the calendar-time portfolio test (test = 'calendar_time_t')
CREATE TABLE spillover_role_tests (
    run_id VARCHAR NOT NULL, role VARCHAR NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, test VARCHAR NOT NULL, n INTEGER, caar DOUBLE, stat DOUBLE,
    p DOUBLE, distribution VARCHAR, note VARCHAR
);

-- one row per run, event and control ticker: its own move over the main window and on day 0
CREATE TABLE spillover_controls (
    run_id VARCHAR NOT NULL, event_id VARCHAR NOT NULL, ticker VARCHAR NOT NULL,
    day0 DATE, start INTEGER NOT NULL, "end" INTEGER NOT NULL, window_ret DOUBLE,
    day0_ret DOUBLE
);

CREATE OR REPLACE VIEW main.spillover_matrix AS
SELECT c.run_id, r.study_id, c.benchmark, c.event_id, c.ticker, c.role, c.day0, c.own,
       c.start, c."end", c.status, c.car, c.t, c.p, c.q, c.confounded_by
FROM core.spillover_cells c
JOIN core.study_runs r ON r.run_id = c.run_id;

CREATE OR REPLACE VIEW main.spillover_roles AS
SELECT t.run_id, r.study_id, t.role, t.start, t."end", t.test, t.n, t.caar, t.stat, t.p,
       t.distribution, t.note
FROM core.spillover_role_tests t
JOIN core.study_runs r ON r.run_id = t.run_id;

CREATE OR REPLACE VIEW main.spillover_controls AS
SELECT c.run_id, r.study_id, c.event_id, c.ticker, c.day0, c.start, c."end", c.window_ret,
       c.day0_ret
FROM core.spillover_controls c
JOIN core.study_runs r ON r.run_id = c.run_id;

CREATE OR REPLACE VIEW main.latest_spillover_matrix AS
SELECT m.run_id, m.study_id, m.benchmark, m.event_id, m.ticker, m.role, m.day0, m.own,
       m.start, m."end", m.status, m.car, m.t, m.p, m.q, m.confounded_by
FROM main.spillover_matrix m
JOIN main.latest_runs l ON l.run_id = m.run_id;
