-- registered studies and refresh runs

CREATE TABLE studies (
    study_id      VARCHAR PRIMARY KEY,
    path          VARCHAR,
    definition    VARCHAR NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    last_run_id   VARCHAR,
    last_input_hash VARCHAR
);

CREATE SEQUENCE refresh_id_seq START 1;

CREATE TABLE refresh_runs (
    refresh_id     BIGINT PRIMARY KEY DEFAULT nextval('refresh_id_seq'),
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    as_of          TIMESTAMPTZ NOT NULL,
    target_session DATE,
    source         VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,
    message        VARCHAR,
    tickers_ok     INTEGER NOT NULL DEFAULT 0,
    tickers_failed INTEGER NOT NULL DEFAULT 0,
    rows_inserted  BIGINT NOT NULL DEFAULT 0,
    rows_revised   BIGINT NOT NULL DEFAULT 0,
    studies_recomputed VARCHAR[] NOT NULL DEFAULT []
);

CREATE TABLE refresh_tickers (
    refresh_id     BIGINT NOT NULL,
    ticker         VARCHAR NOT NULL,
    fetch_start    DATE,
    fetch_end      DATE,
    rows_inserted  BIGINT NOT NULL DEFAULT 0,
    rows_revised   BIGINT NOT NULL DEFAULT 0,
    new_actions    BIGINT NOT NULL DEFAULT 0,
    refetched_history BOOLEAN NOT NULL DEFAULT FALSE,
    status         VARCHAR NOT NULL,
    error          VARCHAR,
    PRIMARY KEY (refresh_id, ticker)
);
