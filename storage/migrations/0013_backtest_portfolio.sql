-- the calendar-time portfolio of a backtest run and of its benchmark, one row per session
-- (no key index, as for every run result table since 0010: the repository checks the keys)

CREATE TABLE backtest_portfolio (
    run_id VARCHAR NOT NULL, book VARCHAR NOT NULL, date DATE NOT NULL, ret DOUBLE,
    equity DOUBLE, gross_exposure DOUBLE, net_exposure DOUBLE, positions INTEGER,
    traded DOUBLE, costs DOUBLE
);

CREATE OR REPLACE VIEW main.backtest_portfolio AS
SELECT run_id, book, date, ret, equity, gross_exposure, net_exposure, positions, traded, costs
FROM core.backtest_portfolio;
