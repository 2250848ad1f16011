"""The oracle for abnormal volume and abnormal volatility (docs/statistics.md, "Abnormal volume"
and "Abnormal volatility"), written from the formulas; it reads nothing in ``backtest/``.

* Volume: ``y = ln(1 + V)`` read from ``prices_daily.csv`` with a literal loop, fitted with the
  oracle's constant-mean model (statsmodels OLS on a column of ones, ``reference.py``).
* Volatility: the market model fitted by statsmodels; the estimation values are statsmodels'
  externally studentized residuals squared (``OLSInfluence.resid_studentized_external``), the
  event values the squared ARs over the oracle's textbook prediction-error variance. The
  level, spread, z and windows are then plain loops; the cross-event tests are the oracle's
  (``reference.cross_event_tests``) on an observation whose "residuals" are ``u − m`` and whose
  "ARs" are ``U − m`` under the constant-mean formulas.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import reference as ref
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import OLSInfluence


def load_log_volumes(data_dir: Path, tickers: list[str]) -> dict[str, dict[str, float]]:
    """``{ticker: {date: ln(1 + volume)}}`` from prices_daily.csv (a missing volume is left out)."""
    out: dict[str, dict[str, float]] = {t: {} for t in tickers}
    with (data_dir / "prices_daily.csv").open() as fh:
        for row in csv.DictReader(fh):
            t = row["ticker"]
            if t in out and row["volume"] not in ("", None):
                v = float(row["volume"])
                if v >= 0:
                    out[t][row["date"]] = math.log(1.0 + v)
    return out


def volatility_observation(mm: ref.Obs, r_i: dict[str, float], r_m: dict[str, float]) -> ref.Obs:
    """The volatility observation of a fitted market-model observation ``mm``."""
    y = np.array([r_i[d] for d in mm.est_dates])
    x = np.array([r_m[d] for d in mm.est_dates])
    res = sm.OLS(y, sm.add_constant(x)).fit()
    t_ext = OLSInfluence(res).resid_studentized_external
    u = [float(t) ** 2 for t in t_ext]
    L = len(u)
    m = sum(u) / L
    v = sum((ui - m) ** 2 for ui in u) / (L - 1)
    o = ref.Obs(mm.event_id, mm.ticker, mm.day0, "constant_mean")
    o.k, o.L, o.d, o.s2 = 1, L, L - 1, v
    o.params = {"mu": m}
    o.est_rel, o.est_dates = list(mm.est_rel), list(mm.est_dates)
    o.resid = [ui - m for ui in u]
    o.date_of = dict(mm.date_of)
    for rel, a in mm.ar.items():
        big_u = a * a / ref.var_ar(mm, rel)
        o.ret[rel] = big_u  # U itself (the "measured value")
        o.expected[rel] = m
        o.ar[rel] = big_u - m
        o.rm[rel] = mm.rm[rel]
    return o


def daily_rows(o: ref.Obs, days: tuple[int, int]) -> list[list[object]]:
    """``event_id, ticker, rel_day, date, value, excess, var, z, p`` per event day."""
    rows: list[list[object]] = []
    for rel in range(days[0], days[1] + 1):
        var = ref.var_ar(o, rel)
        z = o.ar[rel] / math.sqrt(var)
        rows.append(
            [o.event_id, o.ticker, rel, o.date_of[rel], o.ret[rel], o.ar[rel], var, z,
             ref.t_two_sided(z, o.d)]
        )  # fmt: skip
    return rows


def window_rows(o: ref.Obs, windows: list[tuple[int, int]]) -> list[list[object]]:
    """``event_id, ticker, start, end, sum, mean_value, var_sum, z, p`` per window."""
    rows: list[list[object]] = []
    for t1, t2 in windows:
        c = ref.car(o, t1, t2)
        assert c is not None
        v = ref.var_car(o, t1, t2)
        z = c / math.sqrt(v)
        mean_value = sum(o.ret[t] for t in ref.window_days(t1, t2)) / (t2 - t1 + 1)
        rows.append([o.event_id, o.ticker, t1, t2, c, mean_value, v, z, ref.t_two_sided(z, o.d)])
    return rows
