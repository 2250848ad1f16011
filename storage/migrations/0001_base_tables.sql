-- events, prices, corporate actions, factors, load log

CREATE TABLE events (
    event_id      VARCHAR PRIMARY KEY,
    title         VARCHAR NOT NULL,
    category      VARCHAR NOT NULL,
    announced_date DATE NOT NULL,
    announced_at  TIMESTAMPTZ,
    timing        VARCHAR NOT NULL,
    day0          DATE NOT NULL,
    day0_rule     VARCHAR NOT NULL,
    timing_assumed BOOLEAN NOT NULL,
    source        VARCHAR NOT NULL DEFAULT '',
    tags          VARCHAR[] NOT NULL DEFAULT [],
    catalog       VARCHAR NOT NULL DEFAULT '',
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE event_tickers (
    event_id  VARCHAR NOT NULL,
    ticker    VARCHAR NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (event_id, ticker)
);

CREATE TABLE prices (
    ticker     VARCHAR NOT NULL,
    date       DATE NOT NULL,
    open       DOUBLE,
    high       DOUBLE,
    low        DOUBLE,
    close      DOUBLE NOT NULL,
    adj_close  DOUBLE,
    volume     BIGINT,
    source     VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ticker, date)
);

CREATE TABLE actions (
    ticker     VARCHAR NOT NULL,
    date       DATE NOT NULL,
    kind       VARCHAR NOT NULL,
    value      DOUBLE NOT NULL,
    source     VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ticker, date, kind)
);

CREATE TABLE factors (
    date    DATE PRIMARY KEY,
    mkt_rf  DOUBLE,
    smb     DOUBLE,
    hml     DOUBLE,
    rmw     DOUBLE,
    cma     DOUBLE,
    mom     DOUBLE,
    rf      DOUBLE,
    source  VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE load_id_seq START 1;

CREATE TABLE loads (
    load_id        BIGINT PRIMARY KEY DEFAULT nextval('load_id_seq'),
    kind           VARCHAR NOT NULL,
    target         VARCHAR NOT NULL,
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ NOT NULL,
    rows_inserted  BIGINT NOT NULL DEFAULT 0,
    rows_updated   BIGINT NOT NULL DEFAULT 0,
    rows_unchanged BIGINT NOT NULL DEFAULT 0,
    rows_rejected  BIGINT NOT NULL DEFAULT 0,
    outcome        VARCHAR NOT NULL,
    error          VARCHAR
);
