"""A child process for the refresh tests that need a real second process.

Usage: ``python refresh_worker.py MODE DB DIR [TICKER]``; ``DIR`` receives marker files.

===================  ==========================================================================
mode                 what the process does
===================  ==========================================================================
``block-fetch``      refresh; inside ``fetch_daily(TICKER)`` write ``DIR/blocked`` and hang
``block-write``      refresh; inside TICKER's transaction, after its prices were upserted,
                     write ``DIR/blocked`` (with the rows visible in the transaction) and hang
``pause-write``      as ``block-write``, but go on (commit, and refresh the rest) once
                     ``DIR/release`` exists
``hold-store``       hold a write session on DB until ``DIR/release`` exists
``serve``            :func:`jobs.scheduler.serve` with a slow source (``DIR/fetching-T`` per
                     ticker, then 1 s of "network"); exits when signalled
===================  ==========================================================================

The test module imports this file for :func:`make_source`, :func:`make_settings`
and :data:`AS_OF`, so both processes refresh exactly the same data.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from events import nyse
from jobs.settings import Settings
from storage.sources.base import PriceBatch
from storage.sources.memory import MemorySource

TICKERS = ("AAA", "BBB", "CCC", "DDD", "EEE")
AS_OF = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)  # Friday 18:00 New York
HISTORY_START = dt.date(2025, 5, 1)
HANG_SECONDS = 120.0  # the parent kills us long before


def make_settings(db: Path) -> Settings:
    return Settings(
        db=db,
        benchmarks=TICKERS,
        history_start=HISTORY_START,
        recent_sessions=5,
        lock_timeout=10,
        seed=False,
    )


def make_source() -> MemorySource:
    """Bars for every ticker from May to the week after AS_OF, and one dividend for BBB."""
    sessions = nyse().sessions_in_range(HISTORY_START, dt.date(2025, 11, 28))
    frames = []
    for k, ticker in enumerate(TICKERS):
        n = len(sessions)
        close = [50.0 + 10 * k + 0.1 * i for i in range(n)]
        frames.append(
            pl.DataFrame(
                {
                    "ticker": [ticker] * n,
                    "date": sessions,
                    "open": close,
                    "high": [c + 1 for c in close],
                    "low": [c - 1 for c in close],
                    "close": close,
                    "adj_close": [c * 0.99 for c in close],
                    "volume": [1000 + i for i in range(n)],
                }
            )
        )
    actions = pl.DataFrame(
        {"ticker": ["BBB"], "date": [dt.date(2025, 8, 14)], "kind": ["dividend"], "value": [0.5]}
    )
    return MemorySource(pl.concat(frames), actions)


def _mark(directory: Path, name: str, text: str = "") -> None:
    tmp = directory / f".{name}.tmp"
    tmp.write_text(text)
    tmp.replace(directory / name)  # atomic: the parent never reads half a marker


class _Hooked(MemorySource):
    """Calls ``hook(ticker)`` at the start of every fetch; it stands for a network source
    (``remote``), whose fetches the refresh makes with the store released."""

    hook: Any = None

    def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
        if self.hook is not None:
            self.hook(ticker)
        return super().fetch_daily(ticker, start, end)


def _hooked(hook: Any) -> _Hooked:
    base = make_source()
    source = _Hooked(base.prices, base.actions, remote=True)
    source.hook = hook
    return source


def _refresh(db: Path, source: MemorySource) -> None:
    from jobs.services.refresh import run_refresh
    from storage.store import Store

    run_refresh(make_settings(db), as_of=AS_OF, source=source, store=Store(db, lock_timeout=10))


def block_fetch(db: Path, directory: Path, ticker: str) -> None:
    def hook(t: str) -> None:
        if t == ticker:
            _mark(directory, "blocked", str(os.getpid()))
            time.sleep(HANG_SECONDS)

    _refresh(db, _hooked(hook))


def block_write(db: Path, directory: Path, ticker: str, *, until_released: bool = False) -> None:
    from storage.repos.market import MarketRepo

    current: list[str] = []
    original = MarketRepo.upsert_actions

    def upsert_actions(self: MarketRepo, actions: pl.DataFrame, **kwargs: Any) -> Any:
        # store_download calls upsert_prices, then this, in one transaction
        if current and current[-1] == ticker:
            visible = self.spans([ticker]).get(ticker)
            _mark(directory, "blocked", str(visible.rows if visible is not None else 0))
            _wait(directory / "release" if until_released else None)
        return original(self, actions, **kwargs)

    MarketRepo.upsert_actions = upsert_actions  # type: ignore[method-assign]
    _refresh(db, _hooked(current.append))


def _wait(release: Path | None) -> None:
    """Hang until ``release`` exists (for ``HANG_SECONDS`` at most; without one, that long)."""
    deadline = time.monotonic() + HANG_SECONDS
    while (release is None or not release.exists()) and time.monotonic() < deadline:
        time.sleep(0.01)


def hold_store(db: Path, directory: Path) -> None:
    from storage.store import Store

    with Store(db).open(write=True):
        _mark(directory, "holding", str(os.getpid()))
        _wait(directory / "release")


def serve(db: Path, directory: Path) -> None:
    from jobs.services.scheduler import serve as serve_forever
    from storage.store import Store

    def hook(t: str) -> None:
        _mark(directory, f"fetching-{t}")
        time.sleep(1.0)  # a slow network: the signal arrives while this ticker is under way

    serve_forever(
        make_settings(db),
        store=Store(db, lock_timeout=10),
        source_factory=lambda: _hooked(hook),
        interval_seconds=3600,
        clock=lambda: AS_OF,
    )


def main(argv: list[str]) -> int:
    mode, db, directory = argv[0], Path(argv[1]), Path(argv[2])
    if mode == "block-fetch":
        block_fetch(db, directory, argv[3])
    elif mode == "block-write":
        block_write(db, directory, argv[3])
    elif mode == "pause-write":
        block_write(db, directory, argv[3], until_released=True)
    elif mode == "hold-store":
        hold_store(db, directory)
    elif mode == "serve":
        serve(db, directory)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
