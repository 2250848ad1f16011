-- stored study runs and their public views

CREATE TABLE study_runs (
    run_id          VARCHAR PRIMARY KEY,
    study_id        VARCHAR NOT NULL,
    title           VARCHAR NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    package_version VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    benchmarks      VARCHAR[] NOT NULL,
    definition      JSON NOT NULL,
    data_stamp      JSON NOT NULL,
    input_hash      VARCHAR NOT NULL,
    n_observations  INTEGER NOT NULL,
    n_ok            INTEGER NOT NULL,
    registered      BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE event_diagnostics (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, day0 DATE, status VARCHAR NOT NULL, model VARCHAR,
    alpha DOUBLE, beta DOUBLE, r2 DOUBLE, sigma DOUBLE, n_est INTEGER, n_dropped_clean INTEGER,
    dof INTEGER, params JSON, confounded_by VARCHAR[], timing VARCHAR, own BOOLEAN,
    gap DOUBLE, open_to_close DOUBLE, close_to_close DOUBLE,
    PRIMARY KEY (run_id, benchmark, event_id, ticker)
);

CREATE TABLE abnormal_returns (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, rel_day INTEGER NOT NULL, date DATE, ret DOUBLE, expected DOUBLE,
    ar DOUBLE, var_ar DOUBLE, t DOUBLE, p DOUBLE,
    PRIMARY KEY (run_id, benchmark, event_id, ticker, rel_day)
);

CREATE TABLE cars (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    status VARCHAR NOT NULL, car DOUBLE, var_car DOUBLE, car_t DOUBLE, car_p DOUBLE,
    bhar DOUBLE, bhar_model DOUBLE, confounded_by VARCHAR[],
    PRIMARY KEY (run_id, benchmark, event_id, ticker, start, "end")
);

CREATE TABLE car_paths (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
    ticker VARCHAR NOT NULL, rel_day INTEGER NOT NULL, car DOUBLE, var_car DOUBLE,
    PRIMARY KEY (run_id, benchmark, event_id, ticker, rel_day)
);

CREATE TABLE aar (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, rel_day INTEGER NOT NULL,
    n INTEGER, aar DOUBLE, caar DOUBLE, t DOUBLE, p DOUBLE,
    PRIMARY KEY (run_id, benchmark, rel_day)
);

CREATE TABLE tests (
    run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, test VARCHAR NOT NULL, n INTEGER, caar DOUBLE, mean_bhar DOUBLE,
    stat DOUBLE, p DOUBLE, distribution VARCHAR, note VARCHAR,
    PRIMARY KEY (run_id, benchmark, start, "end", test)
);

CREATE OR REPLACE VIEW main.study_runs AS SELECT * FROM core.study_runs;

CREATE OR REPLACE VIEW main.event_diagnostics AS SELECT * FROM core.event_diagnostics;

CREATE OR REPLACE VIEW main.abnormal_returns AS SELECT * FROM core.abnormal_returns;

CREATE OR REPLACE VIEW main.cars AS SELECT * FROM core.cars;

CREATE OR REPLACE VIEW main.bhars AS
SELECT run_id, benchmark, event_id, ticker, start, "end", status, bhar, bhar_model
FROM core.cars;

CREATE OR REPLACE VIEW main.aar AS SELECT * FROM core.aar;

CREATE OR REPLACE VIEW main.car_paths AS SELECT * FROM core.car_paths;

CREATE OR REPLACE VIEW main.tests AS SELECT * FROM core.tests;

CREATE OR REPLACE VIEW main.latest_runs AS
SELECT r.* FROM core.study_runs r
JOIN core.studies s ON s.study_id = r.study_id
QUALIFY row_number() OVER (PARTITION BY r.study_id ORDER BY r.created_at DESC, r.run_id DESC) = 1;

CREATE OR REPLACE VIEW main.latest_event_diagnostics AS SELECT d.* FROM core.event_diagnostics d JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_abnormal_returns AS SELECT a.* FROM core.abnormal_returns a JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_cars AS SELECT c.* FROM core.cars c JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_bhars AS
SELECT b.* FROM main.bhars b JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_tests AS SELECT t.* FROM core.tests t JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.studies AS SELECT study_id, path, definition, registered_at, last_run_id FROM core.studies;

CREATE OR REPLACE VIEW main.refresh_runs AS SELECT * FROM core.refresh_runs;

CREATE OR REPLACE VIEW main.refresh_tickers AS SELECT * FROM core.refresh_tickers;
