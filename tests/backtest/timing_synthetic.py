"""A synthetic market with known announcement timings, for the timing-inference tests.

Prices follow a one-factor model with an overnight and an intraday part; log volume is an
AR(1) around a ticker level. Announcements are injected at known sessions:

* ``after_close``: the news reaches prices in the overnight gap into day +1, volume peaks on
  day +1 (and is mildly raised on day 0 by pre-announcement positioning);
* ``before_open``: the gap into day 0 carries the news, volume peaks on day 0;
* ``intraday``: the day-0 open-to-close move carries it, volume peaks on day 0;
* ``control``: a date with no news at all.

Every announcement raises the next day's volume too (continued trading), so the test is not
just "which day has any volume". Written independently of ``backtest.timing``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

KINDS = ("after_close", "before_open", "intraday", "control")


def synthetic_market(
    seed: int = 20090101, n_tickers: int = 40, n_sessions: int = 420
) -> tuple[pl.DataFrame, pl.DataFrame, list[dt.date]]:
    """``prices`` (ticker, date, open, close, volume; SPY included), ``events`` (event_id,
    ticker, session, truth) and the sessions."""
    rng = np.random.default_rng(seed)
    sessions = (
        [
            d.date()
            for d in np.arange("2020-01-01", "2022-12-31", dtype="datetime64[D]")
            .astype("datetime64[D]")
            .astype(object)
            if isinstance(d, dt.date) and d.weekday() < 5
        ][:n_sessions]
        if False
        else []
    )
    day = dt.date(2020, 1, 1)
    while len(sessions) < n_sessions:
        if day.weekday() < 5:
            sessions.append(day)
        day += dt.timedelta(days=1)
    T = n_sessions
    m_gap = rng.normal(0.0001, 0.004, T)
    m_intra = rng.normal(0.0002, 0.009, T)
    frames = [_bars("SPY", m_gap, m_intra, np.full(T, 18.0) + rng.normal(0, 0.2, T), sessions)]
    events: list[dict[str, object]] = []
    for k in range(n_tickers):
        beta = rng.uniform(0.8, 1.4)
        sd = rng.uniform(0.010, 0.025)
        gap = beta * m_gap + rng.normal(0, sd * 0.5, T)
        intra = beta * m_intra + rng.normal(0, sd, T)
        lv = np.empty(T)
        e = rng.normal(0, 0.3, T)
        lv[0] = e[0]
        for t in range(1, T):
            lv[t] = 0.5 * lv[t - 1] + e[t]
        lv += rng.uniform(14, 18)
        ticker = f"T{k:03d}"
        for j, t0 in enumerate(range(150, T - 5, 63)):
            kind = KINDS[int(rng.integers(0, 4))]
            if kind != "control":
                jump = rng.normal(0, 0.05)
                boost = rng.uniform(0.4, 1.6)  # log volume: x1.5 to x5
                react = t0 + 1 if kind == "after_close" else t0
                lv[react] += boost
                lv[react + 1] += 0.4 * boost
                if kind == "after_close":
                    lv[t0] += rng.uniform(0.0, 0.25)
                    gap[t0 + 1] += jump
                elif kind == "before_open":
                    gap[t0] += jump
                else:
                    intra[t0] += jump
            events.append(
                {
                    "event_id": f"{ticker.lower()}-{j}",
                    "ticker": ticker,
                    "session": sessions[t0],
                    "truth": kind,
                }
            )
        frames.append(_bars(ticker, gap, intra, lv, sessions))
    prices = pl.concat(frames)
    return prices, pl.DataFrame(events), sessions


def _bars(
    ticker: str,
    gap: np.ndarray,
    intra: np.ndarray,
    log_volume: np.ndarray,
    sessions: list[dt.date],
) -> pl.DataFrame:
    log_close = 4.0 + np.cumsum(gap + intra)
    log_open = log_close - intra
    return pl.DataFrame(
        {
            "ticker": ticker,
            "date": sessions,
            "open": np.exp(log_open),
            "close": np.exp(log_close),
            "volume": np.round(np.exp(log_volume)),
        }
    )
