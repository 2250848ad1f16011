"""A study's inputs: which events and observations, whether the prices are there, the data stamp.

Pure functions over polars frames (the stored events, coverage and prices); the study service
(:mod:`jobs.services.study`) calls them between reading the store and running the engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import polars as pl

from backtest.inputs import in_order
from jobs.definitions.study import StudyDefinition
from jobs.errors import MissingDataError, UsageError

# -- selecting events and observations ----------------------------------------------------------


def select_events(
    definition: StudyDefinition, events: pl.DataFrame, catalog_ids: Sequence[str] = ()
) -> pl.DataFrame:
    """The stored events (``Store.events()`` rows) that the study's ``[select]`` picks.

    ``catalog_ids`` are the ids from ``select.catalog`` (already loaded into the store).
    """
    sel = definition.select
    frame = events
    if sel.events:
        unknown = sorted(set(sel.events) - set(events.get_column("event_id").to_list()))
        if unknown:
            raise UsageError(
                f"unknown event id(s) {', '.join(unknown)}; 'reaction events list' shows the ids"
            )
        frame = frame.filter(pl.col("event_id").is_in(list(sel.events)))
    if catalog_ids:
        frame = frame.filter(pl.col("event_id").is_in(list(catalog_ids)))
    if sel.categories:
        frame = frame.filter(pl.col("category").is_in(list(sel.categories)))
    if sel.tags:
        frame = frame.filter(
            pl.col("tags").list.eval(pl.element().is_in(list(sel.tags))).list.any()
        )
    if sel.tickers:
        frame = frame.filter(
            pl.col("tickers").list.eval(pl.element().is_in(list(sel.tickers))).list.any()
        )
    if sel.from_ is not None:
        frame = frame.filter(pl.col("day0") >= sel.from_)
    if sel.to is not None:
        frame = frame.filter(pl.col("day0") <= sel.to)
    return frame.sort("day0", "event_id")


def observations(definition: StudyDefinition, selected: pl.DataFrame) -> pl.DataFrame:
    """One row per (event, measured ticker): ``event_id, ticker, day0, category, timing, own``.

    ``own`` says whether the ticker is one of the event's own tickers. Per event, in this
    order and each ticker once: its own tickers (with ``own_tickers``), the study's
    ``measure.tickers`` (those not already among its own), and in a spillover study
    (``[roles]``) every ticker with a role in the event. Events keep their order.
    """
    measure = definition.measure
    base = selected.select("event_id", "day0", "category", "timing", "tickers").with_row_index(
        "_row"
    )
    own_lists = base.select("_row", pl.col("tickers").fill_null([]).alias("_own"))
    parts: list[pl.LazyFrame] = []  # (_row, ticker, _part, _pos): where each ticker comes from
    if measure.own_tickers:
        parts.append(
            own_lists.lazy()
            .explode("_own")
            .select(
                "_row",
                pl.col("_own").alias("ticker"),
                pl.lit(0).alias("_part"),
                pl.int_range(pl.len()).over("_row").alias("_pos"),
            )
            .drop_nulls("ticker")
        )
    if measure.tickers:
        extra = pl.LazyFrame(
            {"ticker": list(measure.tickers), "_pos": range(len(measure.tickers))},
            schema={"ticker": pl.String, "_pos": pl.Int64},
        )
        parts.append(
            base.lazy()
            .select("_row")
            .join(extra, how="cross")
            .select("_row", "ticker", pl.lit(1).alias("_part"), "_pos")
        )
    if definition.roles is not None:
        from jobs.spillover.roles import assign_roles

        roles = assign_roles(definition.roles, selected).select("event_id", "ticker")
        parts.append(
            roles.lazy()
            .with_row_index("_pos")
            .join(base.lazy().select("event_id", "_row"), on="event_id", how="inner")
            .select("_row", "ticker", pl.lit(2).alias("_part"), "_pos")
        )
    schema = {
        "event_id": pl.String,
        "ticker": pl.String,
        "day0": pl.Date,
        "category": pl.String,
        "timing": pl.String,
        "own": pl.Boolean,
    }
    if not parts:
        return pl.DataFrame(schema=schema)
    cast = [
        pl.col("_row").cast(pl.UInt32),
        pl.col("_part").cast(pl.Int32),
        pl.col("_pos").cast(pl.Int64),
    ]
    wanted = (
        pl.concat([p.with_columns(*cast) for p in parts])
        .sort("_row", "_part", "_pos")
        .unique(subset=["_row", "ticker"], keep="first", maintain_order=True)
        .join(own_lists.lazy(), on="_row", how="left", maintain_order="left")
        .with_columns(pl.col("_own").list.contains(pl.col("ticker")).alias("own"))
        .join(base.lazy().drop("tickers"), on="_row", how="left", maintain_order="left")
        .select(*schema)
        .collect()
    )
    return wanted.cast(schema)  # type: ignore[arg-type]


def required_spans(
    obs: pl.DataFrame,
    definition: StudyDefinition,
    sessions: Sequence[dt.date],
    last_completed: dt.date,
) -> pl.DataFrame:
    """Per ticker (measured, benchmarks and a spillover study's controls): the first and last
    session the study needs.

    For an observation on session ``i`` the span is sessions ``i + lo`` to ``i + hi``
    (clipped to the calendar), ``lo`` the first estimation or window day less one, ``hi`` the
    last window day. The end is capped at ``last_completed``: a window that runs past the last
    completed session is reported as incomplete, not as missing data. Observations whose day
    0 is not a session are left out.
    """
    spec = definition.model
    lo = min(spec.estimation.start, min(a for a, _ in spec.windows)) - 1  # the first return
    hi = max(b for _, b in spec.windows)
    schema = {"ticker": pl.String, "start": pl.Date, "end": pl.Date}
    days = pl.Series("date", sessions, dtype=pl.Date)
    n = days.len()
    if n == 0 or obs.height == 0:
        return pl.DataFrame(schema=schema)
    where = pl.DataFrame({"day0": days, "_i": pl.int_range(n, eager=True)})
    spans = (
        obs.select("ticker", "day0")
        .join(where, on="day0", how="inner")
        .select(
            "ticker",
            pl.col("_i").add(lo).clip(0, n - 1).alias("_a"),
            pl.col("_i").add(hi).clip(0, n - 1).alias("_b"),
        )
    )
    if spans.height == 0:
        return pl.DataFrame(schema=schema)
    per = spans.group_by("ticker").agg(pl.col("_a").min(), pl.col("_b").max())
    controls = definition.roles.controls if definition.roles is not None else ()
    shared = [*definition.model.benchmarks, *controls]
    if shared:
        a, b = spans.get_column("_a").min(), spans.get_column("_b").max()
        per = (
            pl.concat([per, pl.DataFrame({"ticker": shared, "_a": a, "_b": b}, schema=per.schema)])
            .group_by("ticker")
            .agg(pl.col("_a").min(), pl.col("_b").max())
        )
    return (
        per.select(
            "ticker",
            days.gather(per.get_column("_a")).alias("start"),
            pl.min_horizontal(days.gather(per.get_column("_b")), pl.lit(last_completed)).alias(
                "end"
            ),
        )
        .sort("ticker")
        .cast(schema)  # type: ignore[arg-type]
    )


def missing_prices(required: pl.DataFrame, coverage: pl.DataFrame) -> pl.DataFrame:
    """Tickers whose stored prices do not reach the needed last session (or are absent).

    History that starts after the needed start is *not* missing (a listing date
    cannot be fetched away); the engine reports too-short estimation windows itself.
    """
    joined = required.join(coverage.select("ticker", "first", "last"), on="ticker", how="left")
    return joined.filter(pl.col("last").is_null() | (pl.col("last") < pl.col("end"))).select(
        "ticker",
        pl.when(pl.col("last").is_null())
        .then(pl.col("start"))
        .otherwise(pl.col("last") + pl.duration(days=1))
        .alias("from"),
        pl.col("end").alias("to"),
        pl.col("last").is_null().alias("absent"),
    )


def past_last_session(
    obs: pl.DataFrame,
    definition: StudyDefinition,
    sessions: Sequence[dt.date],
    last_completed: dt.date,
) -> str | None:
    """A clause for :func:`missing_sentence` when the longest window of some observation ends
    after the last completed session (its end is in the future, not missing), else None."""
    hi = max(b for _, b in definition.model.windows)
    if hi <= 0 or obs.height == 0:
        return None
    index = {d: i for i, d in enumerate(sessions)}
    late = [
        d
        for d in obs.get_column("day0").unique().to_list()
        if index.get(d, -1) + hi >= len(sessions)
    ]
    if not late:
        return None
    a, b = max(definition.model.windows, key=lambda w: w[1])
    return (
        f"the window [{a:+d},{b:+d}] of {len(late)} event day(s) ends after the last completed "
        f"session ({last_completed}): those windows are reported as incomplete, and prices can "
        "be needed only up to that session; shorten the window if that is not what you meant"
    )


def missing_sentence(
    missing: pl.DataFrame, *, fetched: bool = False, note: str | None = None
) -> str:
    """One sentence naming what is missing and how to add it (``fetched``: a fetch was tried;
    ``note``: a clause on why, e.g. :func:`past_last_session`)."""
    parts = [
        f"{r['ticker']} ({'no prices at all' if r['absent'] else 'nothing after ' + str(r['from'] - dt.timedelta(days=1))}; needed through {r['to']})"
        for r in missing.iter_rows(named=True)
    ]
    return (
        "prices are missing for "
        + ", ".join(parts)
        + ": import them with 'reaction prices import FILE' (e.g. a Yahoo CSV per ticker or the long "
        "date,ticker,open,high,low,close,adj_close,volume layout)"
        + (
            ", or fetch them again when Yahoo Finance can be reached (see the messages above)"
            if fetched
            else ", or run without --offline to fetch them"
        )
        + (f"; note: {note}" if note else "")
    )


def raise_if_missing(
    missing: pl.DataFrame, *, fetched: bool = False, note: str | None = None
) -> None:
    if missing.height:
        raise MissingDataError(missing_sentence(missing, fetched=fetched, note=note))


# -- reproducibility -----------------------------------------------------------------------------


def _hash_frame(h: Any, frame: pl.DataFrame) -> None:
    """Feed ``frame``'s names, types and values to the hash ``h`` column by column.

    Numbers, dates and flags go in as their machine values (with a null mask), text as its
    bytes with each value's length (so nothing can slide between rows): one pass over
    contiguous buffers, where writing CSV formatted every number.
    """
    h.update(f"{frame.height}|".encode())
    for name, dtype in frame.schema.items():
        col = frame.get_column(name)
        h.update(f"{name}:{dtype}|".encode())
        if dtype == pl.String:
            h.update(col.is_null().to_numpy().tobytes())
            h.update(col.str.len_bytes().fill_null(0).to_numpy().tobytes())
            h.update(col.fill_null("").str.join("").item().encode())
        elif dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean:
            phys = col.to_physical()
            h.update(phys.is_null().to_numpy().tobytes())
            h.update(phys.fill_null(0).to_numpy().tobytes())
        else:  # lists and other nested values: their JSON text
            h.update(frame.select(name).write_ndjson().encode())


def data_stamp(
    prices: pl.DataFrame,
    actions: pl.DataFrame,
    factors: pl.DataFrame | None,
    obs: pl.DataFrame,
    definition: StudyDefinition,
    catalog: pl.DataFrame | None,
    provenance: pl.DataFrame,
) -> tuple[list[dict[str, Any]], str]:
    """Per ticker: last session used, when it was loaded and from where; and a hash of all inputs.

    The hash covers the prices and actions used (values, not load times), the
    factors, the observations, the catalog events the engine saw (they decide
    the clean estimation windows and the confounding lists) and the canonical
    definition, so the same study on the same data gives the same hash and any
    change that can move a number changes it. ``provenance`` is ``ticker, loaded_at,
    source`` (:meth:`storage.repos.market.MarketRepo.price_provenance` over the same range).
    """
    value_cols = ["ticker", "date", "open", "close", "adj_close"]
    ordered = in_order(prices.select(value_cols), "ticker", "date")
    runs = ordered.get_column("ticker").rle()  # sorted: one run of rows per ticker
    lengths = runs.struct.field("len").cast(pl.Int64)
    ends = lengths.cum_sum()
    dates = ordered.get_column("date")
    per_ticker = (
        pl.DataFrame(
            {
                "ticker": runs.struct.field("value"),
                "first_used": dates.gather(ends - lengths),
                "last_used": dates.gather(ends - 1),
                "rows": lengths.cast(pl.UInt32),
            }
        )
        .join(provenance.select("ticker", "loaded_at", "source"), on="ticker", how="left")
        .sort("ticker")
    )
    h = hashlib.sha256()
    _hash_frame(h, ordered)
    _hash_frame(h, actions.select("ticker", "date", "kind", "value").sort("ticker", "date", "kind"))
    if factors is not None:
        _hash_frame(h, factors.drop("source", "loaded_at", strict=False).sort("date"))
    _hash_frame(h, obs.sort("event_id", "ticker"))
    if catalog is not None:
        _hash_frame(
            h,
            catalog.select("event_id", "ticker", "day0", "category").sort("event_id", "ticker"),
        )
    h.update(definition.canonical_json().encode())
    stamp = [
        {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in r.items()}
        for r in per_ticker.iter_rows(named=True)
    ]
    return stamp, h.hexdigest()


# -- day-0 moves ---------------------------------------------------------------------------------


def day0_moves(obs: pl.DataFrame, prices: pl.DataFrame) -> pl.DataFrame:
    """Gap, open-to-close and close-to-close price moves on day 0 for each observation.

    ``gap = open_0 / close_-1 - 1``, ``open_to_close = close_0 / open_0 - 1``,
    ``close_to_close = close_0 / close_-1 - 1`` (price moves, dividends not added):
    for news before the open or after the close the open-to-close move shows how
    the first reaction held up during the session (NVDA 2025-11-20 opened +5% and
    closed -3%).
    """
    symbol = pl.col("ticker")
    px = in_order(prices.select("ticker", "date", "open", "close"), "ticker", "date")
    px = px.with_columns(  # sorted: the row before is the ticker's previous stored session
        pl.when(symbol == symbol.shift(1)).then(pl.col("close").shift(1)).alias("prev_close")
    )
    wanted = obs.select("ticker", pl.col("day0").alias("date")).unique()
    day0_rows = px.join(wanted, on=["ticker", "date"], how="semi")  # small before the join
    joined = obs.select("event_id", "ticker", "day0", "timing").join(
        day0_rows,
        left_on=["ticker", "day0"],
        right_on=["ticker", "date"],
        how="left",
        maintain_order="left",
    )
    return joined.select(
        "event_id",
        "ticker",
        "day0",
        "timing",
        (pl.col("open") / pl.col("prev_close") - 1).alias("gap"),
        (pl.col("close") / pl.col("open") - 1).alias("open_to_close"),
        (pl.col("close") / pl.col("prev_close") - 1).alias("close_to_close"),
    ).sort("event_id", "ticker")
