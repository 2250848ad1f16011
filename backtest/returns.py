"""Daily total returns from closes, adjusted closes and dividends."""

from __future__ import annotations

import polars as pl

from backtest.errors import InputSchemaError
from backtest.inputs import in_order, normalise_actions, require_columns


def total_returns(prices: pl.DataFrame, actions: pl.DataFrame | None = None) -> pl.DataFrame:
    """Simple and log daily total returns per ticker.

    Parameters
    ----------
    prices
        ``ticker`` (str), ``date`` (date), ``close`` (split-adjusted close),
        optional ``adj_close`` (nullable); other columns are ignored. One row per
        ticker and date.
    actions
        Optional ``ticker, date, kind, value`` with ``kind`` in ``{"dividend",
        "split"}``; ``value`` is the split-adjusted cash dividend per share whose
        ex-date is ``date``. Split rows are accepted and ignored: ``close`` is
        already split-adjusted. Several dividends on one date are added. The
        same validation as for trading (:func:`backtest.inputs.normalise_actions`).

    Returns
    -------
    polars.DataFrame
        ``ticker`` (str), ``date`` (date), ``ret`` (f64), ``log_ret`` (f64),
        ``basis`` (str: ``"adj_close"`` or ``"close+dividends"``), sorted by
        ticker and date. The first row of each ticker has no return and is not
        in the output, nor is a row whose return is undefined (missing or
        non-positive closes); ``log_ret`` is null when ``ret <= -1``.

    Notes
    -----
    ``docs/statistics.md``, "Returns": for a ticker whose ``adj_close`` is given
    on every row, ``R_t = adj_close_t / adj_close_{t-1} - 1``; otherwise
    ``R_t = (close_t + D_t) / close_{t-1} - 1`` with ``D_t`` the dividend whose
    ex-date is ``t`` (0 on other days). ``log_ret = ln(1 + R_t)``. Dividends on a
    date without a price row are ignored.
    """
    require_columns(
        prices,
        "prices",
        {"ticker": "str", "date": "date", "close": "num"},
        hint="prices has one row per ticker and date: ticker, date, close, adj_close (nullable)",
    )
    adj = (
        pl.col("adj_close").cast(pl.Float64)
        if "adj_close" in prices.columns
        else pl.lit(None, pl.Float64)
    )
    if "adj_close" in prices.columns:
        require_columns(prices, "prices", {"adj_close": "num"})
    px = prices.select(
        pl.col("ticker").cast(pl.String),
        pl.col("date").cast(pl.Date),
        pl.col("close").cast(pl.Float64),
        adj.alias("adj_close"),
    )
    px = in_order(px, "ticker", "date")
    # sorted by ticker and date: the previous row of the same ticker is the previous session
    px = px.with_columns(
        (pl.col("ticker") != pl.col("ticker").shift(1)).fill_null(True).alias("_first")
    )
    px = px.with_columns(pl.col("_first").cum_sum().alias("_run"))  # one number per ticker
    first = pl.col("_first")
    same = ~first & (pl.col("date") == pl.col("date").shift(1))
    dup = px.filter(same | same.shift(-1, fill_value=False))
    if dup.height:
        raise InputSchemaError(
            f"prices has {dup.height} rows with a duplicate (ticker, date), e.g. "
            f"{dup.drop('_first', '_run').row(0, named=True)}; keep one row per ticker and date",
            frame="prices",
            column="date",
        )
    divs = None if actions is None else normalise_actions(actions)
    if divs is not None and divs.height:
        # joined on one integer per (ticker, date): hashing every price row's ticker text
        # would cost most of the join
        key = (pl.col("_run").cast(pl.Int64) * 2**32 + pl.col("date").cast(pl.Int32)).alias("_key")
        runs = px.filter(first).select("ticker", "_run")
        divs = (
            divs.group_by("ticker", "date")
            .agg(pl.col("value").sum().alias("dividend"))
            .join(runs, on="ticker", how="inner")  # a ticker without prices: ignored
            .select(key, "dividend")
        )
        px = px.with_columns(key).join(divs, on="_key", how="left", maintain_order="left")
    else:
        px = px.with_columns(pl.lit(None, pl.Float64).alias("dividend"))
    has_adj = (pl.col("adj_close").null_count() == 0).over("_run")
    close_ok = pl.when(pl.col("close") > 0).then(pl.col("close"))
    adj_ok = pl.when(pl.col("adj_close") > 0).then(pl.col("adj_close"))
    prev = pl.when(first).then(None).otherwise(pl.col("_c").shift(1))
    prev_adj = pl.when(first).then(None).otherwise(pl.col("_a").shift(1))
    out = (
        px.with_columns(close_ok.alias("_c"), adj_ok.alias("_a"), has_adj.alias("_has_adj"))
        .with_columns(
            pl.when(pl.col("_has_adj"))
            .then(pl.col("_a") / prev_adj - 1.0)
            .otherwise((pl.col("_c") + pl.col("dividend").fill_null(0.0)) / prev - 1.0)
            .alias("ret"),
            pl.when(pl.col("_has_adj"))
            .then(pl.lit("adj_close"))
            .otherwise(pl.lit("close+dividends"))
            .alias("basis"),
        )
        .filter(pl.col("ret").is_not_null() & pl.col("ret").is_finite())
        .with_columns(
            pl.when(pl.col("ret") > -1.0).then((pl.col("ret") + 1.0).log()).alias("log_ret")
        )
        .select("ticker", "date", "ret", "log_ret", "basis")
    )
    return out
