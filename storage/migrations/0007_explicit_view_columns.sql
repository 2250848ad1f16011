-- public views name their columns: no SELECT * or t.* (same columns as before)

-- DuckDB binds a view over `SELECT *` afresh at every query, so a column added to (or dropped
-- from) a core table would silently appear in (or vanish from) the documented view. Names,
-- types and order of every view's columns are exactly those of migrations 1-6; only the
-- definitions change.

CREATE OR REPLACE VIEW main.study_runs AS
SELECT run_id, study_id, title, created_at, package_version, model, benchmarks, definition,
       data_stamp, input_hash, n_observations, n_ok, registered
FROM core.study_runs;

CREATE OR REPLACE VIEW main.event_diagnostics AS
SELECT run_id, benchmark, event_id, ticker, day0, status, model, alpha, beta, r2, sigma, n_est,
       n_dropped_clean, dof, params, confounded_by, timing, own, gap, open_to_close,
       close_to_close
FROM core.event_diagnostics;

CREATE OR REPLACE VIEW main.abnormal_returns AS
SELECT run_id, benchmark, event_id, ticker, rel_day, date, ret, expected, ar, var_ar, t, p
FROM core.abnormal_returns;

CREATE OR REPLACE VIEW main.cars AS
SELECT run_id, benchmark, event_id, ticker, start, "end", status, car, var_car, car_t, car_p,
       bhar, bhar_model, confounded_by
FROM core.cars;

CREATE OR REPLACE VIEW main.aar AS
SELECT run_id, benchmark, rel_day, n, aar, caar, t, p
FROM core.aar;

CREATE OR REPLACE VIEW main.car_paths AS
SELECT run_id, benchmark, event_id, ticker, rel_day, car, var_car
FROM core.car_paths;

CREATE OR REPLACE VIEW main.tests AS
SELECT run_id, benchmark, start, "end", test, n, caar, mean_bhar, stat, p, distribution, note
FROM core.tests;

CREATE OR REPLACE VIEW main.refresh_runs AS
SELECT refresh_id, started_at, finished_at, as_of, target_session, source, status, message,
       tickers_ok, tickers_failed, rows_inserted, rows_revised, studies_recomputed
FROM core.refresh_runs;

CREATE OR REPLACE VIEW main.refresh_tickers AS
SELECT refresh_id, ticker, fetch_start, fetch_end, rows_inserted, rows_revised, new_actions,
       refetched_history, status, error
FROM core.refresh_tickers;

CREATE OR REPLACE VIEW main.backtest_runs AS
SELECT run_id, rule_id, title, created_at, package_version, definition, data_stamp, input_hash,
       n_candidates, n_trades, n_overlapping, perfect_foresight, swept
FROM core.backtest_runs;

CREATE OR REPLACE VIEW main.trades AS
SELECT run_id, event_id, ticker, timing, direction, status, entry_date, entry_price, exit_date,
       exit_price, dividends, gross, cost, net, hedge_ratio, benchmark_return, hedge_cost,
       hedged, weight, perfect_foresight
FROM core.trades;

CREATE OR REPLACE VIEW main.backtest_stats AS
SELECT run_id, series, n, mean, median, sd, hit_rate, t, ci_low, ci_high, compounded,
       max_drawdown
FROM core.backtest_stats;

CREATE OR REPLACE VIEW main.sweep_cells AS
SELECT run_id, entry_offset, holding, exit_offset, n, mean_net, t_net, mean_hedged, sd_hedged,
       t_hedged, enough
FROM core.sweep_cells;

CREATE OR REPLACE VIEW main.loads AS
SELECT load_id, kind, target, started_at, finished_at, rows_inserted, rows_updated,
       rows_unchanged, rows_rejected, outcome, error
FROM core.loads;

CREATE OR REPLACE VIEW main.factors AS
SELECT date, mkt_rf, smb, hml, rmw, cma, mom, rf, source, loaded_at
FROM core.factors;

CREATE OR REPLACE VIEW main.latest_runs AS
SELECT r.run_id, r.study_id, r.title, r.created_at, r.package_version, r.model, r.benchmarks,
       r.definition, r.data_stamp, r.input_hash, r.n_observations, r.n_ok, r.registered
FROM core.study_runs r
JOIN core.studies s ON s.study_id = r.study_id
WHERE r.registered
QUALIFY row_number() OVER (PARTITION BY r.study_id ORDER BY r.created_at DESC, r.run_id DESC) = 1;

CREATE OR REPLACE VIEW main.latest_event_diagnostics AS
SELECT d.run_id, d.benchmark, d.event_id, d.ticker, d.day0, d.status, d.model, d.alpha, d.beta,
       d.r2, d.sigma, d.n_est, d.n_dropped_clean, d.dof, d.params, d.confounded_by, d.timing,
       d.own, d.gap, d.open_to_close, d.close_to_close
FROM core.event_diagnostics d JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_abnormal_returns AS
SELECT a.run_id, a.benchmark, a.event_id, a.ticker, a.rel_day, a.date, a.ret, a.expected, a.ar,
       a.var_ar, a.t, a.p
FROM core.abnormal_returns a JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_cars AS
SELECT c.run_id, c.benchmark, c.event_id, c.ticker, c.start, c."end", c.status, c.car, c.var_car,
       c.car_t, c.car_p, c.bhar, c.bhar_model, c.confounded_by
FROM core.cars c JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_bhars AS
SELECT b.run_id, b.benchmark, b.event_id, b.ticker, b.start, b."end", b.status, b.bhar,
       b.bhar_model
FROM main.bhars b JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_tests AS
SELECT t.run_id, t.benchmark, t.start, t."end", t.test, t.n, t.caar, t.mean_bhar, t.stat, t.p,
       t.distribution, t.note
FROM core.tests t JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.prices AS
WITH divs AS (
    SELECT ticker, date, sum(value) AS dividend FROM core.actions WHERE kind = 'dividend' GROUP BY ticker, date
), splits AS (
    SELECT ticker, date, max(value) AS split FROM core.actions WHERE kind = 'split' GROUP BY ticker, date
), base AS (
    SELECT p.ticker, p.date, p.open, p.high, p.low, p.close, p.adj_close, p.volume, p.source,
           p.fetched_at, coalesce(d.dividend, 0.0) AS dividend, s.split,
           count(p.adj_close) OVER (PARTITION BY p.ticker) = count(*) OVER (PARTITION BY p.ticker) AS has_adj
    FROM core.prices p
    LEFT JOIN divs d ON d.ticker = p.ticker AND d.date = p.date
    LEFT JOIN splits s ON s.ticker = p.ticker AND s.date = p.date
)
SELECT ticker, date, open, high, low, close, adj_close, volume, dividend, split,
       CASE WHEN has_adj THEN adj_close
            ELSE close * exp(coalesce(sum(ln(close / (close + dividend))) OVER (
                     PARTITION BY ticker ORDER BY date
                     ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0.0))
       END AS return_close,
       CASE WHEN has_adj THEN 'adj_close' ELSE 'close+dividends' END AS return_basis,
       source, fetched_at
FROM base;
