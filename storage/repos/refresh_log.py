"""The refresh record: one ``refresh_runs`` row per run, one ``refresh_tickers`` row per ticker.

A run is written ``running`` when it starts (:meth:`RefreshLogRepo.begin`) and gets its
outcome when it ends (:meth:`~RefreshLogRepo.finish`). Only one refresh runs at a time
(the caller holds a lock), so a ``running`` row found by ``begin`` belongs to a process that
died: it is marked ``interrupted``. A run that did not settle (``interrupted``, ``failed``)
may have stored prices without recomputing studies; :meth:`~RefreshLogRepo.left_over_tickers`
finds the tickers loaded since the oldest such run.

Run statuses: ``running``, ``ok``, ``noop``, ``partial``, ``failed``, ``interrupted``.
Ticker statuses: ``ok``, ``incomplete``, ``error``, ``skipped``, ``up_to_date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from storage.errors import NotFoundError, StoreInputError
from storage.repos._db import Db
from storage.repos.market import MarketRepo

RefreshStatus = Literal["running", "ok", "noop", "partial", "failed", "interrupted"]
TickerStatus = Literal["ok", "incomplete", "error", "skipped", "up_to_date"]
SETTLED: tuple[RefreshStatus, ...] = ("ok", "partial", "noop")  # recomputed what they changed
UNSETTLED: tuple[RefreshStatus, ...] = ("interrupted", "failed")

_RUN_COLUMNS = (
    "refresh_id",
    "started_at",
    "finished_at",
    "as_of",
    "target_session",
    "source",
    "status",
    "message",
    "tickers_ok",
    "tickers_failed",
    "rows_inserted",
    "rows_revised",
    "studies_recomputed",
)
_TICKER_COLUMNS = (
    "ticker",
    "status",
    "fetch_start",
    "fetch_end",
    "rows_inserted",
    "rows_revised",
    "new_actions",
    "refetched_history",
    "error",
)


@dataclass(frozen=True)
class RefreshStart:
    """What :meth:`RefreshLogRepo.begin` did: the new run's id and the dead runs it closed."""

    refresh_id: int
    interrupted: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RefreshTicker:
    """A ``refresh_tickers`` row: what one run did for one ticker (``error`` says why it failed,
    or why it was skipped or incomplete)."""

    ticker: str
    status: TickerStatus
    fetch_start: dt.date | None = None
    fetch_end: dt.date | None = None
    rows_inserted: int = 0
    rows_revised: int = 0
    new_actions: int = 0
    refetched_history: bool = False
    error: str | None = None

    def __post_init__(self) -> None:
        if self.status not in get_args(TickerStatus):
            raise StoreInputError(
                f"{self.ticker}: ticker status {self.status!r} is not one of "
                f"{', '.join(get_args(TickerStatus))}"
            )


@dataclass(frozen=True, kw_only=True)
class RefreshRun:
    """A ``refresh_runs`` row (``finished_at`` is ``None`` while running)."""

    refresh_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    as_of: dt.datetime
    target_session: dt.date | None
    source: str
    status: RefreshStatus
    message: str | None
    tickers_ok: int
    tickers_failed: int
    rows_inserted: int
    rows_revised: int
    studies_recomputed: tuple[str, ...]


class RefreshLogRepo:
    """Begin, record and finish refresh runs; read the history back."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def begin(
        self, *, started_at: dt.datetime, as_of: dt.datetime, target_session: dt.date, source: str
    ) -> RefreshStart:
        """Record a new ``running`` run; mark runs still ``running`` (their process died)
        ``interrupted``. Call only under the refresh lock."""
        what = "record the start of a refresh"
        with self._db.atomic(what):
            stale = tuple(
                int(r[0])
                for r in self._db.rows(
                    "SELECT refresh_id FROM refresh_runs WHERE status = 'running' ORDER BY refresh_id",
                    what=what,
                )
            )
            row = self._db.row(
                "INSERT INTO refresh_runs (started_at, as_of, target_session, source, status) "
                "VALUES (?, ?, ?, ?, 'running') RETURNING refresh_id",
                [started_at, as_of, target_session, source],
                what=what,
            )
            assert row is not None  # RETURNING gives the inserted row
            refresh_id = int(row[0])
            if stale:
                self._db.execute(
                    "UPDATE refresh_runs SET status = 'interrupted', message = ? "
                    "WHERE refresh_id IN (SELECT unnest(?::BIGINT[]))",
                    [
                        "the refresh process ended without recording its outcome (killed or "
                        f"crashed); found by refresh {refresh_id}, which fetched what was missing",
                        list(stale),
                    ],
                    what=what,
                )
        return RefreshStart(refresh_id, stale)

    def record_tickers(self, refresh_id: int, tickers: Sequence[RefreshTicker]) -> None:
        """Record what the run did per ticker (one row each; a ticker once per run)."""
        what = f"record the tickers of refresh {refresh_id}"
        self._db.require_write(what)
        names = [t.ticker for t in tickers]
        if len(set(names)) != len(names):
            raise StoreInputError(f"refresh {refresh_id}: a ticker is recorded twice")
        with self._db.atomic(what):
            self._db.executemany(
                "INSERT INTO refresh_tickers (refresh_id, ticker, fetch_start, fetch_end, "
                "rows_inserted, rows_revised, new_actions, refetched_history, status, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        refresh_id,
                        t.ticker,
                        t.fetch_start,
                        t.fetch_end,
                        t.rows_inserted,
                        t.rows_revised,
                        t.new_actions,
                        t.refetched_history,
                        t.status,
                        t.error,
                    ]
                    for t in tickers
                ],
                what=what,
            )

    def finish(
        self,
        refresh_id: int,
        *,
        finished_at: dt.datetime,
        status: RefreshStatus,
        message: str,
        tickers_ok: int,
        tickers_failed: int,
        rows_inserted: int,
        rows_revised: int,
        studies_recomputed: Sequence[str] = (),
    ) -> None:
        """Record the run's outcome. Raises :class:`NotFoundError` for an unknown id."""
        if status not in get_args(RefreshStatus) or status == "running":
            raise StoreInputError(
                f"refresh {refresh_id}: {status!r} is not a final status "
                f"({', '.join(s for s in get_args(RefreshStatus) if s != 'running')})"
            )
        what = f"record the outcome of refresh {refresh_id}"
        self._db.require_write(what)
        done = self._db.rows(
            "UPDATE refresh_runs SET finished_at = ?, status = ?, message = ?, tickers_ok = ?, "
            "tickers_failed = ?, rows_inserted = ?, rows_revised = ?, studies_recomputed = ? "
            "WHERE refresh_id = ? RETURNING refresh_id",
            [
                finished_at,
                status,
                message,
                tickers_ok,
                tickers_failed,
                rows_inserted,
                rows_revised,
                list(studies_recomputed),
                refresh_id,
            ],
            what=what,
        )
        if not done:
            raise NotFoundError(f"no refresh run {refresh_id}", what="refresh run", key=refresh_id)

    def get(self, refresh_id: int) -> RefreshRun | None:
        """One run, or ``None``."""
        row = self._db.row(
            f"SELECT {', '.join(_RUN_COLUMNS)} FROM refresh_runs WHERE refresh_id = ?",
            [refresh_id],
            what="read a refresh run",
        )
        return _run(row) if row is not None else None

    def history(self, limit: int = 20) -> list[RefreshRun]:
        """The latest runs, newest first (``reaction refresh --history``)."""
        rows = self._db.rows(
            f"SELECT {', '.join(_RUN_COLUMNS)} FROM refresh_runs ORDER BY refresh_id DESC LIMIT ?",
            [int(limit)],
            what="read the refresh history",
        )
        return [_run(r) for r in rows]

    def details(self, refresh_id: int) -> list[RefreshTicker]:
        """One run's per-ticker rows: failures (``error``, ``incomplete``) first, then by ticker."""
        rows = self._db.rows(
            f"SELECT {', '.join(_TICKER_COLUMNS)} FROM refresh_tickers WHERE refresh_id = ? "
            "ORDER BY status NOT IN ('error', 'incomplete'), ticker",
            [refresh_id],
            what=f"read the tickers of refresh {refresh_id}",
        )
        return [RefreshTicker(**dict(zip(_TICKER_COLUMNS, r, strict=True))) for r in rows]

    def left_over_tickers(self, refresh_id: int) -> set[str]:
        """Tickers loaded since the oldest run before ``refresh_id`` that did not settle (and
        after the last one that did): their studies may not have been recomputed."""
        since = self._db.value(
            "SELECT min(started_at) FROM refresh_runs WHERE refresh_id < ? "
            "AND status IN (SELECT unnest(?::VARCHAR[])) AND refresh_id > coalesce(("
            "  SELECT max(refresh_id) FROM refresh_runs WHERE refresh_id < ? "
            "  AND status IN (SELECT unnest(?::VARCHAR[]))), 0)",
            [refresh_id, list(UNSETTLED), refresh_id, list(SETTLED)],
            what="find unsettled refresh runs",
        )
        if since is None:
            return set()
        return MarketRepo(self._db).tickers_changed_since(since)


def _run(r: tuple[Any, ...]) -> RefreshRun:
    values = dict(zip(_RUN_COLUMNS, r, strict=True))
    values["studies_recomputed"] = tuple(values["studies_recomputed"] or ())
    return RefreshRun(**values)
