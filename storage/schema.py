"""The store's schema, as an ordered list of migrations.

``schema_version`` holds one row per applied migration. Opening a store for
writing applies the missing ones, each in its own transaction; a store written
by a newer market-reaction (a version we do not know) is refused rather than
guessed at. Never edit a released migration: add a new one.
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

LATEST_VERSION = MIGRATIONS[-1].version
