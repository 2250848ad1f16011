-- event-time trading runs: trades, statistics, sweeps

CREATE TABLE backtest_runs (
    run_id VARCHAR PRIMARY KEY, rule_id VARCHAR NOT NULL, title VARCHAR NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL, package_version VARCHAR NOT NULL, definition JSON NOT NULL,
    data_stamp JSON NOT NULL, input_hash VARCHAR NOT NULL, n_candidates INTEGER NOT NULL,
    n_trades INTEGER NOT NULL, n_overlapping INTEGER NOT NULL, perfect_foresight BOOLEAN NOT NULL,
    swept BOOLEAN NOT NULL
);

CREATE TABLE trades (
    run_id VARCHAR NOT NULL, event_id VARCHAR NOT NULL, ticker VARCHAR NOT NULL, timing VARCHAR,
    direction VARCHAR, status VARCHAR NOT NULL, entry_date DATE, entry_price DOUBLE,
    exit_date DATE, exit_price DOUBLE, dividends DOUBLE, gross DOUBLE, cost DOUBLE, net DOUBLE,
    hedge_ratio DOUBLE, benchmark_return DOUBLE, hedge_cost DOUBLE, hedged DOUBLE,
    weight DOUBLE, perfect_foresight BOOLEAN,
    PRIMARY KEY (run_id, event_id, ticker)
);

CREATE TABLE backtest_stats (
    run_id VARCHAR NOT NULL, series VARCHAR NOT NULL, n BIGINT, mean DOUBLE, median DOUBLE,
    sd DOUBLE, hit_rate DOUBLE, t DOUBLE, ci_low DOUBLE, ci_high DOUBLE, compounded DOUBLE,
    max_drawdown DOUBLE,
    PRIMARY KEY (run_id, series)
);

CREATE TABLE sweep_cells (
    run_id VARCHAR NOT NULL, entry_offset INTEGER NOT NULL, holding INTEGER NOT NULL,
    exit_offset INTEGER, n BIGINT, mean_net DOUBLE, t_net DOUBLE, mean_hedged DOUBLE,
    sd_hedged DOUBLE, t_hedged DOUBLE, enough BOOLEAN,
    PRIMARY KEY (run_id, entry_offset, holding)
);

CREATE OR REPLACE VIEW main.backtest_runs AS SELECT * FROM core.backtest_runs;

CREATE OR REPLACE VIEW main.trades AS SELECT * FROM core.trades;

CREATE OR REPLACE VIEW main.backtest_stats AS SELECT * FROM core.backtest_stats;

CREATE OR REPLACE VIEW main.sweep_cells AS SELECT * FROM core.sweep_cells;
