-- trading sessions; public views prices, returns, events, event_returns; macros

CREATE TABLE sessions (date DATE PRIMARY KEY, session_no INTEGER NOT NULL UNIQUE);

CREATE OR REPLACE VIEW main.prices AS
WITH divs AS (
    SELECT ticker, date, sum(value) AS dividend FROM core.actions WHERE kind = 'dividend' GROUP BY ticker, date
), splits AS (
    SELECT ticker, date, max(value) AS split FROM core.actions WHERE kind = 'split' GROUP BY ticker, date
), base AS (
    SELECT p.*, coalesce(d.dividend, 0.0) AS dividend, s.split,
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

CREATE OR REPLACE VIEW main.returns AS
WITH r AS (
    SELECT ticker, date,
           CASE WHEN return_basis = 'adj_close' THEN adj_close / lag(adj_close) OVER w - 1
                ELSE (close + dividend) / lag(close) OVER w - 1 END AS ret,
           close / lag(close) OVER w - 1 AS price_ret,
           return_basis AS basis
    FROM main.prices
    WINDOW w AS (PARTITION BY ticker ORDER BY date)
)
SELECT r.ticker, r.date, r.ret, ln(1 + r.ret) AS log_ret, r.price_ret, r.basis,
       'SPY' AS benchmark, b.ret AS benchmark_ret
FROM r LEFT JOIN r b ON b.ticker = 'SPY' AND b.date = r.date
WHERE r.ret IS NOT NULL;

CREATE OR REPLACE VIEW main.events AS
SELECT e.event_id, e.title, e.category, e.announced_date, e.announced_at, e.timing,
       e.timing_assumed, e.day0, e.day0_rule,
       (SELECT list(t.ticker ORDER BY t.position) FROM core.event_tickers t
         WHERE t.event_id = e.event_id) AS tickers,
       (SELECT t.ticker FROM core.event_tickers t
         WHERE t.event_id = e.event_id AND t.position = 0) AS primary_ticker,
       e.tags, e.source, e.catalog, e.updated_at
FROM core.events e;

CREATE OR REPLACE VIEW main.event_returns AS
SELECT t.event_id, t.ticker, e.day0, s.session_no - s0.session_no AS rel_day, s.date,
       CASE WHEN s.session_no - s0.session_no <= -11 THEN 'estimation'
            WHEN s.session_no - s0.session_no <= -6 THEN 'gap'
            ELSE 'event' END AS phase,
       r.ret, r.benchmark_ret
FROM core.event_tickers t
JOIN core.events e ON e.event_id = t.event_id
JOIN core.sessions s0 ON s0.date = e.day0
JOIN core.sessions s ON s.session_no BETWEEN s0.session_no - 260 AND s0.session_no + 10
LEFT JOIN main.returns r ON r.ticker = t.ticker AND r.date = s.date;

CREATE OR REPLACE MACRO main.car(tk, d0, from_day, to_day) AS (
    SELECT CASE WHEN count(r.ret - r.benchmark_ret) = to_day - from_day + 1
                THEN sum(r.ret - r.benchmark_ret) END
    FROM core.sessions s
    JOIN main.returns r ON r.date = s.date AND r.ticker = upper(tk)
    WHERE s.session_no BETWEEN
          (SELECT session_no FROM core.sessions WHERE date = CAST(d0 AS DATE)) + from_day
      AND (SELECT session_no FROM core.sessions WHERE date = CAST(d0 AS DATE)) + to_day
);

CREATE OR REPLACE MACRO main.market_model_ar(
    bench := 'SPY', est_from := -260, est_to := -11, event_from := -5, event_to := 10, min_obs := 120
) AS TABLE
WITH er AS (
    SELECT t.event_id, t.ticker, e.day0, s.session_no - s0.session_no AS rel_day, s.date,
           r.ret, b.ret AS benchmark_ret
    FROM core.event_tickers t
    JOIN core.events e ON e.event_id = t.event_id
    JOIN core.sessions s0 ON s0.date = e.day0
    JOIN core.sessions s ON s.session_no BETWEEN s0.session_no + est_from AND s0.session_no + event_to
    LEFT JOIN main.returns r ON r.ticker = t.ticker AND r.date = s.date
    LEFT JOIN main.returns b ON b.ticker = upper(bench) AND b.date = s.date
), fit AS (
    SELECT event_id, ticker,
           regr_intercept(ret, benchmark_ret) AS alpha,
           regr_slope(ret, benchmark_ret) AS beta,
           regr_r2(ret, benchmark_ret) AS r2,
           regr_count(ret, benchmark_ret) AS n_est,
           sqrt((regr_syy(ret, benchmark_ret)
                 - regr_sxy(ret, benchmark_ret) ^ 2 / regr_sxx(ret, benchmark_ret))
                / (regr_count(ret, benchmark_ret) - 2)) AS sigma
    FROM er WHERE rel_day BETWEEN est_from AND est_to
    GROUP BY event_id, ticker
)
SELECT er.event_id, er.ticker, er.day0, er.rel_day, er.date, er.ret, er.benchmark_ret,
       f.alpha, f.beta, f.r2, f.sigma, f.n_est,
       er.ret - (f.alpha + f.beta * er.benchmark_ret) AS ar
FROM er JOIN fit f ON f.event_id = er.event_id AND f.ticker = er.ticker
WHERE er.rel_day BETWEEN event_from AND event_to AND f.n_est >= min_obs;
