"""Catalog events on the session calendar: confounding lists and clean estimation days.

``docs/statistics.md``, "Confounding" and "Estimation window": an observation's
window is confounded by another catalog event of the same ticker, or of a
market-wide category, whose day 0 lies in the window; with clean estimation the
sessions inside the event period (the widest window, ``[min τ1, max τ2]``) of
another catalog event of the same ticker leave the estimation window. A catalog
day 0 that is not a session counts from the next session.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import polars as pl

from backtest._typing import BoolArray, IntArray
from backtest.frames import nested


def catalog_positions(catalog: pl.DataFrame, days: IntArray) -> pl.DataFrame:
    """``event_id, ticker, category, pos``: catalog rows with day 0 inside the calendar span."""
    T = days.shape[0]
    d = catalog.get_column("day0").cast(pl.Int32).to_numpy().astype(np.int64)
    pos = np.searchsorted(days, d) if T else np.zeros(d.shape, np.int64)
    inside = (pos < T) & (d >= (days[0] if T else 0)) if T else np.zeros(d.shape, bool)
    return catalog.with_columns(pl.Series("pos", pos.astype(np.int64))).filter(pl.Series(inside))


def _pairs(
    obs_key: IntArray, lo: int, hi: int, cat_key_sorted: IntArray
) -> tuple[IntArray, IntArray]:
    """All (observation, catalog) index pairs with ``obs_key + lo <= cat_key <= obs_key + hi``."""
    left = np.searchsorted(cat_key_sorted, obs_key + lo, side="left")
    right = np.searchsorted(cat_key_sorted, obs_key + hi, side="right")
    counts = np.maximum(right - left, 0)
    total = int(counts.sum())
    obs_idx = np.repeat(np.arange(obs_key.shape[0]), counts)
    starts = np.repeat(left - (np.cumsum(counts) - counts), counts)
    return obs_idx, starts + np.arange(total)


def confounders(
    obs: pl.DataFrame,
    pos: IntArray,
    cat: pl.DataFrame,
    *,
    n_sessions: int,
    windows: Sequence[tuple[int, int]],
    market_wide: Collection[str],
) -> list[pl.Series]:
    """One ``list[str]`` series per window: ids of the catalog events confounding it.

    Parameters
    ----------
    obs
        Observations, ``event_id, ticker`` (N rows).
    pos
        ``(N,)`` session index of each day 0 (-1: not located; its lists are null).
    cat
        :func:`catalog_positions` output.
    windows
        ``(τ1, τ2)`` pairs; the lists are sorted and unique.
    """
    N = obs.height
    lo = min(a for a, _ in windows)
    hi = max(b for _, b in windows)
    located = pos >= 0
    tick = pl.concat([obs.get_column("ticker"), cat.get_column("ticker")]).unique().sort()
    enum = pl.Enum(tick.to_list())
    stride = n_sessions + abs(lo) + abs(hi) + 2
    o_code = obs.get_column("ticker").cast(enum).to_physical().to_numpy().astype(np.int64)
    c_code = cat.get_column("ticker").cast(enum).to_physical().to_numpy().astype(np.int64)
    c_pos = cat.get_column("pos").to_numpy().astype(np.int64)
    o_idx_all = np.flatnonzero(located)
    # same ticker
    c_key = c_code * stride + c_pos
    order = np.argsort(c_key, kind="stable")
    o_key = o_code[o_idx_all] * stride + pos[o_idx_all]
    oi, ci = _pairs(o_key, lo, hi, c_key[order])
    pair_obs = [o_idx_all[oi]]
    pair_cat = [order[ci]]
    # market-wide categories
    if market_wide:
        cats = cat.get_column("category").is_in(list(market_wide)).fill_null(False).to_numpy()
        mw = np.flatnonzero(cats)
        if mw.size:
            morder = mw[np.argsort(c_pos[mw], kind="stable")]
            oi, ci = _pairs(pos[o_idx_all], lo, hi, c_pos[morder])
            pair_obs.append(o_idx_all[oi])
            pair_cat.append(morder[ci])
    po = np.concatenate(pair_obs)
    pc = np.concatenate(pair_cat)
    W = len(windows)
    ids = cat.get_column("event_id")
    if po.size == 0 or ids.null_count():
        return _lists_by_frames(obs, pos, cat, po, pc, windows)
    rel = c_pos[pc] - pos[po]
    keep = (obs.get_column("event_id").gather(po) != ids.gather(pc)).to_numpy()
    starts = np.asarray([a for a, _ in windows])
    ends = np.asarray([b for _, b in windows])
    inside = (rel[:, None] >= starts[None, :]) & (rel[:, None] <= ends[None, :]) & keep[:, None]
    pi, wi = np.nonzero(inside)
    # the ids' order as integers (dense ranks: equal ids, equal ranks), so that one numpy
    # unique sorts and dedups every list: key = (window, observation, rank of the id)
    rank = ids.rank("dense").cast(pl.Int64).to_numpy() - 1
    R = int(rank.max()) + 1
    cell = wi.astype(np.int64) * N + po[pi]
    key = np.sort(cell * R + rank[pc[pi]])
    if key.size:  # unique (numpy's own unique hashes, much slower here)
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    by_rank = np.empty(R, dtype=np.int64)
    by_rank[rank] = np.arange(rank.size)  # a catalog row of each rank
    values = ids.gather(by_rank[key % R])
    # one list per (window, observation) cell, null where day 0 was not located; polars
    # alone, so the engine needs no pyarrow
    lists = nested(key // R, values.alias("confounded_by"), W * N)
    full = pl.select(pl.when(pl.Series(np.tile(located, W))).then(lists)).to_series()
    return [full.slice(j * N, N) for j in range(W)]


def _lists_by_frames(
    obs: pl.DataFrame,
    pos: IntArray,
    cat: pl.DataFrame,
    po: IntArray,
    pc: IntArray,
    windows: Sequence[tuple[int, int]],
) -> list[pl.Series]:
    """:func:`confounders`' lists from its (observation, catalog) pairs ``po, pc`` by a
    group-by (no pairs, or null ids)."""
    N, W = obs.height, len(windows)
    located = pos >= 0
    c_pos = cat.get_column("pos").to_numpy().astype(np.int64)
    empty = pl.lit([], dtype=pl.List(pl.String))
    base = pl.DataFrame(
        {
            "w": np.repeat(np.arange(W, dtype=np.int64), N),
            "i": np.tile(np.arange(N, dtype=np.int64), W),
            "located": np.tile(located, W),
        }
    )
    if po.size:
        rel = c_pos[pc] - pos[po]
        own = obs.get_column("event_id").gather(po)
        other = cat.get_column("event_id").gather(pc)
        keep = (own != other).to_numpy()
        starts = np.asarray([a for a, _ in windows])
        ends = np.asarray([b for _, b in windows])
        inside = (rel[:, None] >= starts[None, :]) & (rel[:, None] <= ends[None, :]) & keep[:, None]
        pi, wi = np.nonzero(inside)
        lists = (
            pl.DataFrame({"w": wi.astype(np.int64), "i": po[pi], "other": other.gather(pi)})
            .group_by("w", "i")
            .agg(pl.col("other").unique().sort().alias("confounded_by"))
        )
        base = base.join(lists, on=["w", "i"], how="left", maintain_order="left")
        col = pl.col("confounded_by").fill_null(empty)
    else:
        col = empty
    full = base.select(pl.when(pl.col("located")).then(col).alias("confounded_by")).get_column(
        "confounded_by"
    )
    return [full.slice(j * N, N) for j in range(W)]


def clean_coverage(
    cat: pl.DataFrame,
    *,
    panel_tickers: Sequence[str],
    n_sessions: int,
    event_period: tuple[int, int],
) -> IntArray:
    """``(n_tickers, T)`` number of catalog events whose event period covers each session.

    Rows follow ``panel_tickers``; built once with a difference array per ticker.
    """
    a, b = event_period
    nt = len(panel_tickers)
    diff = np.zeros((nt, n_sessions + 1), dtype=np.int32)
    if nt and n_sessions and cat.height:
        lookup = pl.DataFrame({"ticker": list(panel_tickers), "row": np.arange(nt, dtype=np.int64)})
        c = cat.join(lookup, on="ticker", how="inner")
        c_row = c.get_column("row").to_numpy().astype(np.int64)
        c_pos = c.get_column("pos").to_numpy().astype(np.int64)
        np.add.at(diff, (c_row, np.clip(c_pos + a, 0, n_sessions)), 1)
        np.add.at(diff, (c_row, np.clip(c_pos + b + 1, 0, n_sessions)), -1)
    return np.cumsum(diff[:, :n_sessions], axis=1, dtype=np.int32).astype(np.int32)


def own_catalog_position(obs: pl.DataFrame, cat: pl.DataFrame) -> IntArray:
    """Session index of each observation's own catalog entry (same event id and ticker; -1: none)."""
    return (
        obs.select("event_id", "ticker")
        .join(
            cat.select("event_id", "ticker", "pos"),
            on=["event_id", "ticker"],
            how="left",
            maintain_order="left",
        )
        .get_column("pos")
        .fill_null(-1)
        .to_numpy()
        .astype(np.int64)
    )


def clean_days(
    coverage: IntArray,
    rows: IntArray,
    est_index: IntArray,
    est_valid: BoolArray,
    own_pos: IntArray,
    event_period: tuple[int, int],
) -> BoolArray:
    """``(N, L)`` True on estimation days inside another same-ticker event's event period.

    ``coverage`` is :func:`clean_coverage`; the observation's own catalog entry
    (``own_pos``, -1 if none) is not counted.
    """
    N, L = est_index.shape
    if N == 0 or coverage.size == 0:
        return np.zeros((N, L), dtype=bool)
    a, b = event_period
    T = coverage.shape[1]
    count = coverage[np.maximum(rows, 0)[:, None], np.clip(est_index, 0, T - 1)]
    has_own = (own_pos >= 0)[:, None]
    own_in = has_own & (est_index >= (own_pos + a)[:, None]) & (est_index <= (own_pos + b)[:, None])
    return ((count - own_in) > 0) & est_valid & (rows >= 0)[:, None]
