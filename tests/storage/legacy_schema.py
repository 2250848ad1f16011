"""The store's migrations 1-6 as the Python list they were before they became ``.sql`` files.

Frozen test data (copied from ``storage/schema.py`` as it was): ``test_migrations.py`` builds a
store from this list and one from ``storage/migrations/*.sql`` and compares their schemas. Never
edit it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "events, prices, corporate actions, factors, load log",
        (
            """
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
            )
            """,
            """
            CREATE TABLE event_tickers (
                event_id  VARCHAR NOT NULL,
                ticker    VARCHAR NOT NULL,
                position  INTEGER NOT NULL,
                PRIMARY KEY (event_id, ticker)
            )
            """,
            """
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
            )
            """,
            """
            CREATE TABLE actions (
                ticker     VARCHAR NOT NULL,
                date       DATE NOT NULL,
                kind       VARCHAR NOT NULL,
                value      DOUBLE NOT NULL,
                source     VARCHAR NOT NULL,
                fetched_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (ticker, date, kind)
            )
            """,
            """
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
            )
            """,
            "CREATE SEQUENCE load_id_seq START 1",
            """
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
            )
            """,
        ),
    ),
)

MIGRATIONS += (
    Migration(
        2,
        "registered studies and refresh runs",
        (
            """
            CREATE TABLE studies (
                study_id      VARCHAR PRIMARY KEY,
                path          VARCHAR,
                definition    VARCHAR NOT NULL,
                registered_at TIMESTAMPTZ NOT NULL,
                last_run_id   VARCHAR,
                last_input_hash VARCHAR
            )
            """,
            "CREATE SEQUENCE refresh_id_seq START 1",
            """
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
            )
            """,
            """
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
            )
            """,
        ),
    ),
)

_PRICES_VIEW = """
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
FROM base
"""

_RETURNS_VIEW = """
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
WHERE r.ret IS NOT NULL
"""

_EVENTS_VIEW = """
CREATE OR REPLACE VIEW main.events AS
SELECT e.event_id, e.title, e.category, e.announced_date, e.announced_at, e.timing,
       e.timing_assumed, e.day0, e.day0_rule,
       (SELECT list(t.ticker ORDER BY t.position) FROM core.event_tickers t
         WHERE t.event_id = e.event_id) AS tickers,
       (SELECT t.ticker FROM core.event_tickers t
         WHERE t.event_id = e.event_id AND t.position = 0) AS primary_ticker,
       e.tags, e.source, e.catalog, e.updated_at
FROM core.events e
"""

_EVENT_RETURNS_VIEW = """
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
LEFT JOIN main.returns r ON r.ticker = t.ticker AND r.date = s.date
"""

_CAR_MACRO = """
CREATE OR REPLACE MACRO main.car(tk, d0, from_day, to_day) AS (
    SELECT CASE WHEN count(r.ret - r.benchmark_ret) = to_day - from_day + 1
                THEN sum(r.ret - r.benchmark_ret) END
    FROM core.sessions s
    JOIN main.returns r ON r.date = s.date AND r.ticker = upper(tk)
    WHERE s.session_no BETWEEN
          (SELECT session_no FROM core.sessions WHERE date = CAST(d0 AS DATE)) + from_day
      AND (SELECT session_no FROM core.sessions WHERE date = CAST(d0 AS DATE)) + to_day
)
"""

_MARKET_MODEL_MACRO = """
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
WHERE er.rel_day BETWEEN event_from AND event_to AND f.n_est >= min_obs
"""

MIGRATIONS += (
    Migration(
        3,
        "trading sessions; public views prices, returns, events, event_returns; macros",
        (
            "CREATE TABLE sessions (date DATE PRIMARY KEY, session_no INTEGER NOT NULL UNIQUE)",
            _PRICES_VIEW,
            _RETURNS_VIEW,
            _EVENTS_VIEW,
            _EVENT_RETURNS_VIEW,
            _CAR_MACRO,
            _MARKET_MODEL_MACRO,
        ),
    ),
)

_RESULT_TABLES = (
    """
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
    )
    """,
    """
    CREATE TABLE event_diagnostics (
        run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
        ticker VARCHAR NOT NULL, day0 DATE, status VARCHAR NOT NULL, model VARCHAR,
        alpha DOUBLE, beta DOUBLE, r2 DOUBLE, sigma DOUBLE, n_est INTEGER, n_dropped_clean INTEGER,
        dof INTEGER, params JSON, confounded_by VARCHAR[], timing VARCHAR, own BOOLEAN,
        gap DOUBLE, open_to_close DOUBLE, close_to_close DOUBLE,
        PRIMARY KEY (run_id, benchmark, event_id, ticker)
    )
    """,
    """
    CREATE TABLE abnormal_returns (
        run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
        ticker VARCHAR NOT NULL, rel_day INTEGER NOT NULL, date DATE, ret DOUBLE, expected DOUBLE,
        ar DOUBLE, var_ar DOUBLE, t DOUBLE, p DOUBLE,
        PRIMARY KEY (run_id, benchmark, event_id, ticker, rel_day)
    )
    """,
    """
    CREATE TABLE cars (
        run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
        ticker VARCHAR NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        status VARCHAR NOT NULL, car DOUBLE, var_car DOUBLE, car_t DOUBLE, car_p DOUBLE,
        bhar DOUBLE, bhar_model DOUBLE, confounded_by VARCHAR[],
        PRIMARY KEY (run_id, benchmark, event_id, ticker, start, "end")
    )
    """,
    """
    CREATE TABLE car_paths (
        run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
        ticker VARCHAR NOT NULL, rel_day INTEGER NOT NULL, car DOUBLE, var_car DOUBLE,
        PRIMARY KEY (run_id, benchmark, event_id, ticker, rel_day)
    )
    """,
    """
    CREATE TABLE aar (
        run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, rel_day INTEGER NOT NULL,
        n INTEGER, aar DOUBLE, caar DOUBLE, t DOUBLE, p DOUBLE,
        PRIMARY KEY (run_id, benchmark, rel_day)
    )
    """,
    """
    CREATE TABLE tests (
        run_id VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, start INTEGER NOT NULL,
        "end" INTEGER NOT NULL, test VARCHAR NOT NULL, n INTEGER, caar DOUBLE, mean_bhar DOUBLE,
        stat DOUBLE, p DOUBLE, distribution VARCHAR, note VARCHAR,
        PRIMARY KEY (run_id, benchmark, start, "end", test)
    )
    """,
)

_RESULT_VIEWS = (
    "CREATE OR REPLACE VIEW main.study_runs AS SELECT * FROM core.study_runs",
    "CREATE OR REPLACE VIEW main.event_diagnostics AS SELECT * FROM core.event_diagnostics",
    "CREATE OR REPLACE VIEW main.abnormal_returns AS SELECT * FROM core.abnormal_returns",
    "CREATE OR REPLACE VIEW main.cars AS SELECT * FROM core.cars",
    """
    CREATE OR REPLACE VIEW main.bhars AS
    SELECT run_id, benchmark, event_id, ticker, start, "end", status, bhar, bhar_model
    FROM core.cars
    """,
    "CREATE OR REPLACE VIEW main.aar AS SELECT * FROM core.aar",
    "CREATE OR REPLACE VIEW main.car_paths AS SELECT * FROM core.car_paths",
    "CREATE OR REPLACE VIEW main.tests AS SELECT * FROM core.tests",
    """
    CREATE OR REPLACE VIEW main.latest_runs AS
    SELECT r.* FROM core.study_runs r
    JOIN core.studies s ON s.study_id = r.study_id
    QUALIFY row_number() OVER (PARTITION BY r.study_id ORDER BY r.created_at DESC, r.run_id DESC) = 1
    """,
    "CREATE OR REPLACE VIEW main.latest_event_diagnostics AS SELECT d.* FROM core.event_diagnostics d JOIN main.latest_runs USING (run_id)",
    "CREATE OR REPLACE VIEW main.latest_abnormal_returns AS SELECT a.* FROM core.abnormal_returns a JOIN main.latest_runs USING (run_id)",
    "CREATE OR REPLACE VIEW main.latest_cars AS SELECT c.* FROM core.cars c JOIN main.latest_runs USING (run_id)",
    """
    CREATE OR REPLACE VIEW main.latest_bhars AS
    SELECT b.* FROM main.bhars b JOIN main.latest_runs USING (run_id)
    """,
    "CREATE OR REPLACE VIEW main.latest_tests AS SELECT t.* FROM core.tests t JOIN main.latest_runs USING (run_id)",
    "CREATE OR REPLACE VIEW main.studies AS SELECT study_id, path, definition, registered_at, last_run_id FROM core.studies",
    "CREATE OR REPLACE VIEW main.refresh_runs AS SELECT * FROM core.refresh_runs",
    "CREATE OR REPLACE VIEW main.refresh_tickers AS SELECT * FROM core.refresh_tickers",
)

MIGRATIONS += (
    Migration(4, "stored study runs and their public views", _RESULT_TABLES + _RESULT_VIEWS),
)

_BACKTEST = (
    """
    CREATE TABLE backtest_runs (
        run_id VARCHAR PRIMARY KEY, rule_id VARCHAR NOT NULL, title VARCHAR NOT NULL DEFAULT '',
        created_at TIMESTAMPTZ NOT NULL, package_version VARCHAR NOT NULL, definition JSON NOT NULL,
        data_stamp JSON NOT NULL, input_hash VARCHAR NOT NULL, n_candidates INTEGER NOT NULL,
        n_trades INTEGER NOT NULL, n_overlapping INTEGER NOT NULL, perfect_foresight BOOLEAN NOT NULL,
        swept BOOLEAN NOT NULL
    )
    """,
    """
    CREATE TABLE trades (
        run_id VARCHAR NOT NULL, event_id VARCHAR NOT NULL, ticker VARCHAR NOT NULL, timing VARCHAR,
        direction VARCHAR, status VARCHAR NOT NULL, entry_date DATE, entry_price DOUBLE,
        exit_date DATE, exit_price DOUBLE, dividends DOUBLE, gross DOUBLE, cost DOUBLE, net DOUBLE,
        hedge_ratio DOUBLE, benchmark_return DOUBLE, hedge_cost DOUBLE, hedged DOUBLE,
        weight DOUBLE, perfect_foresight BOOLEAN,
        PRIMARY KEY (run_id, event_id, ticker)
    )
    """,
    """
    CREATE TABLE backtest_stats (
        run_id VARCHAR NOT NULL, series VARCHAR NOT NULL, n BIGINT, mean DOUBLE, median DOUBLE,
        sd DOUBLE, hit_rate DOUBLE, t DOUBLE, ci_low DOUBLE, ci_high DOUBLE, compounded DOUBLE,
        max_drawdown DOUBLE,
        PRIMARY KEY (run_id, series)
    )
    """,
    """
    CREATE TABLE sweep_cells (
        run_id VARCHAR NOT NULL, entry_offset INTEGER NOT NULL, holding INTEGER NOT NULL,
        exit_offset INTEGER, n BIGINT, mean_net DOUBLE, t_net DOUBLE, mean_hedged DOUBLE,
        sd_hedged DOUBLE, t_hedged DOUBLE, enough BOOLEAN,
        PRIMARY KEY (run_id, entry_offset, holding)
    )
    """,
    "CREATE OR REPLACE VIEW main.backtest_runs AS SELECT * FROM core.backtest_runs",
    "CREATE OR REPLACE VIEW main.trades AS SELECT * FROM core.trades",
    "CREATE OR REPLACE VIEW main.backtest_stats AS SELECT * FROM core.backtest_stats",
    "CREATE OR REPLACE VIEW main.sweep_cells AS SELECT * FROM core.sweep_cells",
)

MIGRATIONS += (Migration(5, "event-time trading runs: trades, statistics, sweeps", _BACKTEST),)

MIGRATIONS += (
    Migration(
        6,
        "latest_* views keep to registered runs; public views over loads, actions, factors, sessions",
        (
            """
            CREATE OR REPLACE VIEW main.latest_runs AS
            SELECT r.* FROM core.study_runs r
            JOIN core.studies s ON s.study_id = r.study_id
            WHERE r.registered
            QUALIFY row_number() OVER (PARTITION BY r.study_id ORDER BY r.created_at DESC, r.run_id DESC) = 1
            """,
            "CREATE OR REPLACE VIEW main.loads AS SELECT * FROM core.loads",
            # the ticker list on the event row too, so that an upsert sees a changed list
            "ALTER TABLE events ADD COLUMN tickers VARCHAR[]",
            "CREATE OR REPLACE VIEW main.actions AS SELECT ticker, date, kind, value, source, fetched_at FROM core.actions",
            "CREATE OR REPLACE VIEW main.factors AS SELECT * FROM core.factors",
            "CREATE OR REPLACE VIEW main.sessions AS SELECT date, session_no FROM core.sessions",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
