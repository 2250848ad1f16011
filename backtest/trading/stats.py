"""Statistics of trade returns: moments, a paired percentile bootstrap, drawdowns."""

from __future__ import annotations

import math

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray

_BOOT_CELLS = 2_000_000  # resampled values drawn per chunk of the bootstrap

#: Fewest trades for a t-statistic or a bootstrap interval of the mean trade return.
MIN_TRADES_FOR_INFERENCE = 10


def inference_note(n: int) -> str | None:
    """Why a series of ``n`` trades has no t-statistic or interval (``None`` when it has).

    Below :data:`MIN_TRADES_FOR_INFERENCE` neither is reported: ``t = mean / (sd/√n)``
    leans on the mean being close to normal, which a handful of skewed trade returns
    does not give (and with ``n = 2`` the sd is one difference, so ``|t|`` is arbitrarily
    large when the two trades happen to be close); a percentile bootstrap of ``n`` values
    has at most ``C(2n − 1, n)`` distinct means (3 for ``n = 2``), so its "95%" interval
    is the range of a few numbers.
    """
    if n >= MIN_TRADES_FOR_INFERENCE:
        return None
    return (
        f"n = {n} < {MIN_TRADES_FOR_INFERENCE}: no t-statistic or bootstrap interval; with so "
        "few trades the t-statistic's normal approximation fails and the bootstrap has only a "
        "handful of distinct means"
    )


def bootstrap_means(X: FloatArray, *, n_boot: int, seed: int) -> FloatArray:
    """Means of ``n_boot`` resamples (with replacement) of the rows of ``X`` (n, m).

    Every column is resampled with the same rows (a paired bootstrap), in
    chunks of about two million draws. Returns an ``(n_boot, m)`` array; the
    same ``seed`` gives the same draws.
    """
    n = int(X.shape[0])
    rng = np.random.default_rng(seed)
    means = np.empty((n_boot, X.shape[1]))
    chunk = max(1, _BOOT_CELLS // max(n, 1))
    columns = np.ascontiguousarray(X.T)
    for start in range(0, n_boot, chunk):  # chunks of resamples, not a loop over events
        m = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(m, n))
        for j in range(columns.shape[0]):  # a gather per series is faster than one 3-D gather
            means[start : start + m, j] = columns[j][idx].mean(axis=1)
    return means


def bootstrap_mean_ci(
    x: FloatArray, *, n_boot: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``x``: the ``(1 ± level)/2`` quantiles of the
    means of ``n_boot`` resamples (:func:`bootstrap_means`)."""
    if x.shape[0] == 0 or n_boot == 0:
        return (math.nan, math.nan)
    lo, hi = _ci(bootstrap_means(x[:, None], n_boot=n_boot, seed=seed), level)
    return float(lo[0]), float(hi[0])


def _ci(means: FloatArray, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    a = (1.0 - level) / 2.0
    q = np.quantile(means, [a, 1.0 - a], axis=0)
    return q[0], q[1]


def describe(X: FloatArray, *, n_boot: int, seed: int) -> list[dict[str, float | int | None]]:
    """Per column of ``X`` (n, m): n, mean, median, sd, hit rate (share > 0),
    ``t = mean / (sd/√n)`` and the paired percentile bootstrap 95% CI of the mean."""
    n, m = X.shape
    if n == 0:
        empty = dict.fromkeys(("mean", "median", "sd", "hit_rate", "t", "ci_low", "ci_high"))
        return [empty | {"n": 0} for _ in range(m)]
    mean = X.mean(axis=0)
    sd = X.std(axis=0, ddof=1) if n > 1 else np.full(m, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(sd > 0, mean / (sd / math.sqrt(n)), np.nan)
    if n_boot > 0:
        lo, hi = _ci(bootstrap_means(X, n_boot=n_boot, seed=seed))
    else:
        lo = hi = np.full(m, np.nan)
    median = np.median(X, axis=0)
    hit = (X > 0).mean(axis=0)
    return [
        {
            "n": int(n),
            "mean": float(mean[j]),
            "median": float(median[j]),
            "sd": _none(float(sd[j])),
            "hit_rate": float(hit[j]),
            "t": _none(float(t[j])),
            "ci_low": _none(float(lo[j])),
            "ci_high": _none(float(hi[j])),
        }
        for j in range(m)
    ]


def max_drawdown(equity: FloatArray) -> float:
    """``min_t (E_t / max_{s<=t} E_s - 1)`` with the curve starting at 1 (≤ 0)."""
    if equity.shape[0] == 0:
        return 0.0
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return float(min(0.0, (equity / peak - 1.0).min()))


def _none(v: float) -> float | None:
    return None if not math.isfinite(v) else v


def moments(x: FloatArray, ok: BoolArray) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """Per column over the ``ok`` rows: n, mean, sample sd, t = mean / (sd / √n)."""
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, x, 0.0).sum(axis=0) / n
        dev = np.where(ok, x - mean[None, :], 0.0)
        sd = np.sqrt((dev * dev).sum(axis=0) / (n - 1))
        t = mean / (sd / np.sqrt(n))
    sd = np.where(n > 1, sd, np.nan)
    t = np.where((n > 1) & (sd > 0), t, np.nan)
    return n.astype(np.int64), np.where(n > 0, mean, np.nan), sd, t
