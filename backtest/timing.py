"""Which session first reflects a date-only announcement: the dated one, or the next?

An event known only by its date (an 8-K filing date, say) may have been released before the
open or during the session of that date (the dated session, day 0, reflects it) or after the
close (the next session, day +1, is the first to reflect it). Following the reference design
of Berkman and Truong (2009, "Event day 0? After-hours earnings announcements", *Journal of
Accounting Research* 47(1), 71-103), the data decide: the news shows up as abnormal trading
volume, an abnormal return and, for an after-close release, an overnight price gap into day +1.

For each event, on the ticker's own sessions, with the market ticker ``m`` (SPY):

* log volume ``v_t = ln(1 + volume_t)`` (Campbell and Wasley 1996 use log volume for its
  near-normal distribution);
* the market-adjusted log return ``ar_t = ln(C_t / C_{t-1}) - ln(Cm_t / Cm_{t-1})``;
* the market-adjusted overnight gap ``g_t = ln(O_t / C_{t-1}) - ln(Om_t / Cm_{t-1})`` (the raw
  gap when the market has no open);

each is standardized against the estimation window ``[est_start, est_end]`` around the dated
session with a robust location and scale, ``z = (x - median) / (1.4826 · MAD)``, so that an
earlier announcement inside the window (earnings come every ~63 sessions) does not mask this
one. The contrast between the two candidate days is

    D = w_v (zv_{+1} - zv_0) + w_r (|zar_{+1}| - |zar_0|) + w_g (|zg_{+1}| - |zg_0|),

positive when day +1 carries more of the news (an after-close release), negative when day 0
does (before the open or during the session). Its confidence is an empirical rank: the share
of ordinary consecutive-day pairs ``(t, t+1)`` inside the estimation window whose contrast
``|D_t|`` is smaller than ``|D|``. An event is decided only when that share reaches
``min_confidence`` (default 0.9); otherwise it stays undetermined (no news strong enough to
locate, e.g. a control date without an announcement) and keeps its assumed day 0.

The rule uses only the ticker's and the market's prices and volumes: no ticker identity and no
list of known reporters. Nothing here reads a store or a clock.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray
from backtest.errors import ConfigError
from backtest.inputs import require_columns, session_days
from backtest.panel import build_panel, gather, locate

#: What the inference decided for one event.
TimingDecision: TypeAlias = Literal["after_close", "during_session", "undetermined"]

#: ``timing_inference`` output columns, in order.
TIMING_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "session",
    "decision",
    "abnormal_volume_0",
    "abnormal_volume_1",
    "abs_ar_0",
    "abs_ar_1",
    "gap_1",
    "score",
    "confidence",
    "n_est",
    "reason",
)

_MAD_TO_SD = 1.4826  # 1 / Phi^-1(3/4): the MAD of a normal sample times this is its sd


@dataclass(frozen=True)
class TimingConfig:
    """Parameters of :func:`infer_timing` (see the module docstring for the rule).

    ``est_start``/``est_end`` bound the estimation window in sessions around the dated
    session; ``min_obs`` sessions with volume and returns are needed in it; ``weights`` are
    ``(w_v, w_r, w_g)``; ``min_confidence`` is the empirical rank a contrast needs to decide.
    """

    est_start: int = -120
    est_end: int = -11
    min_obs: int = 40
    weights: tuple[float, float, float] = (1.0, 0.5, 0.5)
    min_confidence: float = 0.9

    def __post_init__(self) -> None:
        if not self.est_start < self.est_end <= -2:
            raise ConfigError(
                f"timing estimation window [{self.est_start}, {self.est_end}] must end at -2 "
                "or earlier and start before it ends",
                parameter="est_start",
            )
        if not 10 <= self.min_obs <= self.est_end - self.est_start + 1:
            raise ConfigError(
                f"timing min_obs {self.min_obs} must be at least 10 and at most the "
                f"estimation window's {self.est_end - self.est_start + 1} sessions",
                parameter="min_obs",
            )
        if len(self.weights) != 3 or any(w < 0 for w in self.weights) or not any(self.weights):
            raise ConfigError(
                f"timing weights {self.weights} must be three non-negative numbers, not all 0",
                parameter="weights",
            )
        if not 0.5 <= self.min_confidence < 1:
            raise ConfigError(
                f"timing min_confidence {self.min_confidence} must be in [0.5, 1)",
                parameter="min_confidence",
            )


def _robust_z(x: FloatArray, est: slice) -> tuple[FloatArray, FloatArray]:
    """``(x - median) / (1.4826 MAD)`` row-wise over the columns ``est``; and the count used."""
    window = x[:, est]
    n = np.isfinite(window).sum(axis=1).astype(np.float64)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN, reported as such
        med = np.nanmedian(window, axis=1)
        mad = np.nanmedian(np.abs(window - med[:, None]), axis=1) * _MAD_TO_SD
        mad = np.where(mad > 0, mad, np.nan)
        return (x - med[:, None]) / mad[:, None], n


def _contrast(
    zv: FloatArray,
    zr: FloatArray,
    zg: FloatArray,
    a: int | slice,
    b: int | slice,
    w: Sequence[float],
) -> FloatArray:
    """``D`` between columns ``a`` (day 0) and ``b`` (day +1)."""
    wv, wr, wg = w
    return (
        wv * (zv[:, b] - zv[:, a])
        + wr * (np.abs(zr[:, b]) - np.abs(zr[:, a]))
        + wg * (np.abs(zg[:, b]) - np.abs(zg[:, a]))
    )


def infer_timing(
    events: pl.DataFrame,
    prices: pl.DataFrame,
    *,
    market: str = "SPY",
    sessions: Sequence[dt.date] | pl.Series | None = None,
    config: TimingConfig | None = None,
) -> pl.DataFrame:
    """Decide, per event, whether the dated session or the next one first reflects the news.

    Parameters
    ----------
    events
        ``event_id, ticker, session``: ``session`` is the dated session (a trading day).
    prices
        ``ticker, date, open, close, volume`` for the events' tickers and ``market``
        (split-adjusted closes and volumes; dividends are ignored, a small error on
        ex-dates only).
    market
        The market ticker for the market adjustment.
    sessions
        The trading calendar (default: the dates in ``prices``).

    Returns
    -------
    pl.DataFrame
        :data:`TIMING_COLUMNS`, one row per event in input order: ``decision``
        (``after_close``, ``during_session`` or ``undetermined``), the robust z of log volume
        on day 0 and day +1 (``abnormal_volume_*``), ``|z|`` of the market-adjusted return on
        both days (``abs_ar_*``), the z of the overnight gap into day +1 (``gap_1``, signed),
        the contrast ``score`` D, its ``confidence`` (empirical rank, in [0, 1]), the
        estimation sessions used ``n_est`` and a ``reason`` when nothing could be computed.
    """
    cfg = config or TimingConfig()
    require_columns(events, "events", {"event_id": "str", "ticker": "str", "session": "date"})
    require_columns(
        prices,
        "prices",
        {"ticker": "str", "date": "date", "open": "num", "close": "num", "volume": "num"},
    )
    n = events.height
    if n == 0:
        return _empty(events)
    tickers = sorted({*events.get_column("ticker").unique().to_list(), market})
    days = session_days(sessions, prices)
    panel = build_panel(
        prices, "prices", days, ("open", "close", "volume"), benchmark=market, tickers=tickers
    )
    close, open_, volume = (panel.values[c] for c in ("close", "open", "volume"))
    with np.errstate(all="ignore"):
        lc = np.log(np.where(close > 0, close, np.nan))
        lo = np.log(np.where(open_ > 0, open_, np.nan))
        lv = np.log1p(np.where(volume >= 0, volume, np.nan))
    prev = np.full_like(lc, np.nan)
    prev[:, 1:] = lc[:, :-1]
    ret, gap = lc - prev, lo - prev
    m = panel.benchmark_row
    if m >= 0:
        m_gap = gap[m]
        ret = ret - ret[m][None, :]
        gap = gap - np.where(np.isfinite(m_gap), m_gap, 0.0)[None, :]
    has_data: BoolArray = np.asarray(panel.present.any(axis=1), dtype=bool)
    rows, d0 = locate(panel.tickers, has_data, days, events.rename({"session": "day0"}))
    offsets = np.arange(cfg.est_start, 2, dtype=np.int64)
    index = d0[:, None] + offsets[None, :]
    valid = (rows[:, None] >= 0) & (d0[:, None] >= 0) & (index >= 0) & (index < days.shape[0])
    est = slice(0, cfg.est_end - cfg.est_start + 1)
    zv, n_v = _robust_z(gather(lv, rows, index, valid), est)
    zr, n_r = _robust_z(gather(ret, rows, index, valid), est)
    zg, _ = _robust_z(gather(gap, rows, index, valid), est)
    zg = np.where(np.isfinite(zg), zg, 0.0) if m >= 0 else zg
    d_col, p_col = len(offsets) - 2, len(offsets) - 1  # day 0, day +1
    score = _contrast(zv, zr, zg, d_col, p_col, cfg.weights)
    # the null: the same contrast between ordinary consecutive days of the estimation window
    null = _contrast(zv, zr, zg, slice(0, est.stop - 1), slice(1, est.stop), cfg.weights)
    finite_null = np.isfinite(null)
    with np.errstate(all="ignore"):
        below = (np.abs(null) < np.abs(score)[:, None]) & finite_null
        confidence = below.sum(axis=1) / finite_null.sum(axis=1)
    n_est = np.minimum(n_v, n_r)
    reason = np.full(n, "", dtype=object)
    reason[rows < 0] = "no prices for the ticker"
    reason[(rows >= 0) & (d0 < 0)] = "the dated day is not a session"
    short = (reason == "") & (n_est < cfg.min_obs)
    reason[short] = f"fewer than {cfg.min_obs} estimation sessions"
    ok = reason == ""
    missing = ok & ~(np.isfinite(zv[:, d_col]) & np.isfinite(zv[:, p_col]))
    missing |= ok & ~(np.isfinite(zr[:, d_col]) & np.isfinite(zr[:, p_col]))
    reason[missing] = "no price or volume on day 0 or day +1"
    ok = reason == ""
    decided = ok & (confidence >= cfg.min_confidence)
    decision = np.where(
        decided, np.where(score > 0, "after_close", "during_session"), "undetermined"
    )
    nan = np.nan
    floats: dict[str, FloatArray] = {
        "abnormal_volume_0": np.where(ok, zv[:, d_col], nan),
        "abnormal_volume_1": np.where(ok, zv[:, p_col], nan),
        "abs_ar_0": np.where(ok, np.abs(zr[:, d_col]), nan),
        "abs_ar_1": np.where(ok, np.abs(zr[:, p_col]), nan),
        "gap_1": np.where(ok, zg[:, p_col], nan),
        "score": np.where(ok, score, nan),
        "confidence": np.where(ok, confidence, nan),
    }
    base = events.select("event_id", "ticker", pl.col("session").cast(pl.Date))
    return base.with_columns(
        pl.Series("decision", decision.tolist(), dtype=pl.String),
        *[pl.Series(c, v, dtype=pl.Float64).fill_nan(None) for c, v in floats.items()],
        pl.Series("n_est", n_est, dtype=pl.Float64).cast(pl.Int64),
        pl.Series("reason", reason.tolist(), dtype=pl.String),
    ).select(TIMING_COLUMNS)


def _empty(events: pl.DataFrame) -> pl.DataFrame:
    return (
        events.select("event_id", "ticker", pl.col("session").cast(pl.Date))
        .with_columns(
            pl.lit(None, pl.String).alias("decision"),
            *[pl.lit(None, pl.Float64).alias(c) for c in TIMING_COLUMNS[4:11]],
            pl.lit(None, pl.Int64).alias("n_est"),
            pl.lit(None, pl.String).alias("reason"),
        )
        .select(TIMING_COLUMNS)
    )
