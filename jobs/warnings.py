"""The warnings a reader of a study must see next to its numbers, as typed objects.

The study service computes them once per run (:attr:`jobs.runs.StudyRun.warnings`);
reports render them grouped by ``code`` and ranked (:func:`group_warnings`): one headline per
kind (repeated kinds counted), the details folded away.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import polars as pl

WarningCode: TypeAlias = Literal[
    "confounded",
    "confounded_peers",
    "small_sample",
    "wilcoxon_floor",
    "assumed_timing",
    "not_measured",
    "clustering",
    "duplicates",
]

SMALL_N = 10


@dataclass(frozen=True)
class StudyWarning:
    """One warning: what kind (``code``), about which event and ticker if one, and the sentence."""

    code: WarningCode
    text: str
    event_id: str | None = None
    ticker: str | None = None
    #: for ``confounded``: the other events inside any window, and those inside the main window
    others: tuple[str, ...] = ()
    in_main: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text


def window_label(start: int, end: int) -> str:
    """``[-1,+1]`` (or ``[+0]`` for one day): an event window as reports print it."""
    return f"[{start:+d},{end:+d}]" if start != end else f"[{start:+d}]"


def _confounded(
    mine: pl.DataFrame, day0: dict[str, Any], main_window: tuple[int, int] | None
) -> list[StudyWarning]:
    """One ``confounded`` warning per (event, ticker) of ``mine`` (its confounded windows in
    order, ``confounded_by`` lists), from one group-by rather than a frame per observation."""
    if mine.height == 0:
        return []
    pairs = mine.select("start", "end").unique()
    labels = pairs.with_columns(
        pl.Series("_label", [window_label(a, b) for a, b in pairs.iter_rows()], dtype=pl.String)
    )
    in_main = (
        (pl.col("start") == main_window[0]) & (pl.col("end") == main_window[1])
        if main_window is not None
        else pl.lit(False)
    )

    def ids(lists: pl.Expr) -> pl.Expr:  # the distinct ids of some list cells, sorted
        return lists.explode().drop_nulls().unique().sort()

    by = pl.col("confounded_by")
    rows = (
        mine.join(labels, on=["start", "end"], how="left", maintain_order="left")
        .group_by("event_id", "ticker", maintain_order=True)
        .agg(
            ids(by).alias("others"),
            pl.col("_label").str.join(", ").alias("windows"),
            ids(by.filter(in_main)).alias("in_main"),
        )
    )
    out: list[StudyWarning] = []
    for event_id, ticker, others, windows, main in rows.iter_rows():
        named = ", ".join(f"{e} (day 0 {day0[e]})" if e in day0 else e for e in others)
        out.append(
            StudyWarning(
                "confounded",
                f"confounded: {ticker} around {event_id}: window(s) {windows} also contain {named}",
                event_id,
                ticker,
                tuple(others),
                tuple(main),
            )
        )
    return out


def study_warnings(
    res: Any,
    observations: pl.DataFrame,
    events: pl.DataFrame,
    catalog: pl.DataFrame,
    *,
    main_window: tuple[int, int] | None = None,
) -> list[StudyWarning]:
    """Confounded windows, small N, assumed timing, unmeasured observations, clustering,
    duplicate (ticker, day 0) observations.

    ``res`` is the main benchmark's :class:`backtest.EventStudyResult`; ``observations`` the
    (event, ticker) rows measured, ``events`` the selected stored events, ``catalog`` the
    ``event_id, day0`` of every catalog event (to date the confounders); ``main_window`` the
    answer's window (which confounders fall inside it).
    """
    out: list[StudyWarning] = []
    day0 = dict(catalog.select("event_id", "day0").iter_rows()) if catalog.height else {}

    # 1. confounded windows: one line per observation on an event's own ticker; observations
    #    of the other measured tickers are counted (their lists are in study.json)
    conf = res.car.filter(pl.col("confounded_by").list.len() > 0)
    if conf.height:
        own = observations.select("event_id", "ticker", "own", "day0")
        conf = conf.join(own, on=["event_id", "ticker"], how="left").sort(
            "day0", "event_id", "ticker", "start", "end"
        )
        out += _confounded(conf.filter(pl.col("own")), day0, main_window)
        peers = conf.filter(~pl.col("own")).select("event_id", "ticker").unique()
        if peers.height:
            out.append(
                StudyWarning(
                    "confounded_peers",
                    f"confounded: {peers.height} more observation(s) of measured tickers that are not "
                    "the event's own have another event of theirs inside a window (see confounded_by "
                    "in study.json or the cars view)",
                )
            )

    # 2. small N for cross-event tests
    n = res.car.filter(pl.col("status") == "ok").select("event_id", "ticker").unique().height
    if n < SMALL_N:
        out.append(
            StudyWarning(
                "small_sample",
                f"small sample: N = {n} observations; cross-sectional t tests have {max(n - 1, 0)} "
                "degrees of freedom, and the sign and rank tests carry little information",
            )
        )
    if n < 6:
        out.append(
            StudyWarning(
                "wilcoxon_floor",
                f"Wilcoxon signed-rank cannot reach p < 0.05 (two-sided) with N = {n} < 6",
            )
        )

    # 3. assumed timing
    if events.height:
        assumed = events.filter(pl.col("timing_assumed")).select(
            "event_id",
            pl.when(pl.col("day0_rule").str.starts_with("inferred_"))
            .then(
                pl.format(
                    "assumed timing: {} has no known time of day; day 0 = {} is inferred from "
                    "the prices ({}, docs/timing.md)",
                    "event_id",
                    "day0",
                    "day0_rule",
                )
            )
            .otherwise(
                pl.format(
                    "assumed timing: {} has no known time of day; day 0 = {} is assumed ({})",
                    "event_id",
                    "day0",
                    "day0_rule",
                )
            )
            .alias("text"),
        )
        out.extend(
            StudyWarning("assumed_timing", text, event_id)
            for event_id, text in zip(
                assumed.get_column("event_id").to_list(),
                assumed.get_column("text").to_list(),
                strict=True,
            )
        )

    # 4. observations that could not be measured
    bad = res.diagnostics.filter(pl.col("status") != "ok")
    if bad.height:
        counts = Counter(bad.get_column("status").to_list())
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        names = ", ".join(
            f"{e}/{t}" for e, t in bad.select("event_id", "ticker").head(8).iter_rows()
        )
        out.append(
            StudyWarning(
                "not_measured",
                f"not measured: {bad.height} observation(s) ({detail}), e.g. {names}",
            )
        )

    # 5. the same (ticker, day 0) measured under several events
    dup = (
        observations.group_by("ticker", "day0")
        .agg(pl.col("event_id").sort().alias("events"))
        .filter(pl.col("events").list.len() > 1)
        .sort("day0", "ticker")
    )
    if dup.height:
        n_extra = int(dup.get_column("events").list.len().sum()) - dup.height
        examples = "; ".join(f"{t} {d} under {', '.join(e)}" for t, d, e in dup.head(3).iter_rows())
        out.append(
            StudyWarning(
                "duplicates",
                f"duplicates: {n_extra} observation(s) repeat the ticker and day 0 of another "
                f"event's ({examples}{'; ...' if dup.height > 3 else ''}); every group counts "
                "each (ticker, day 0) once, the pooled aggregate of all observations counts "
                "every copy",
            )
        )

    # 6. clustering on calendar dates
    clustered = observations.group_by("day0").len().filter(pl.col("len") > 1)
    if clustered.height:
        rbar = getattr(res, "rbar", None)
        extra = f" (average residual correlation r̄ = {rbar:.3f})" if isinstance(rbar, float) else ""
        out.append(
            StudyWarning(
                "clustering",
                f"clustering: {clustered.get_column('len').sum()} observations share a day 0 with "
                f"another{extra}; prefer the Kolari-Pynnönen-adjusted tests (kp_patell_z, "
                "kp_bmp_t), bw1985_t and grank_t",
            )
        )
    return out


# -- grouped and ranked, for the reports ------------------------------------------------------

#: The order in which kinds are shown: what can change a reading of the answer comes first.
RANK: tuple[WarningCode, ...] = (
    "confounded",
    "clustering",
    "duplicates",
    "small_sample",
    "wilcoxon_floor",
    "not_measured",
    "assumed_timing",
    "confounded_peers",
)


@dataclass(frozen=True)
class WarningGroup:
    """One kind of warning: a one-line headline, and the detail lines folded under it."""

    code: WarningCode
    headline: str
    lines: tuple[str, ...]
    count: int


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _confounded_lines(
    items: list[StudyWarning], main_window: tuple[int, int] | None, focus: list[str]
) -> tuple[str, list[str]]:
    by_event: dict[str, list[StudyWarning]] = {}
    for w in items:
        by_event.setdefault(w.event_id or "", []).append(w)
    label = window_label(*main_window) if main_window else "the main window"

    def line(event_id: str, ws: list[StudyWarning]) -> str:
        parts = []
        for w in ws:
            where = (
                f" ({', '.join(w.in_main)} in {label})"
                if w.in_main
                else (" (wider windows only)" if main_window else "")
            )
            parts.append(f"{w.ticker} by {', '.join(w.others)}{where}")
        return f"{event_id}: " + "; ".join(parts)

    order = {e: i for i, e in enumerate(focus)}
    events = sorted(
        by_event,
        key=lambda e: (
            e not in order,
            order.get(e, 0),
            not any(w.in_main for w in by_event[e]),
        ),
    )
    n_main = sum(any(w.in_main for w in by_event[e]) for e in events)
    headline = (
        f"confounded: {_plural(len(events), 'event')} with another event of the same ticker "
        f"inside a window"
        + (f", {n_main:,} of them inside the main window {label}" if main_window else "")
    )
    return headline, [line(e, by_event[e]) for e in events]


def group_warnings(
    warnings: tuple[StudyWarning, ...] | list[StudyWarning],
    *,
    main_window: tuple[int, int] | None = None,
    focus: list[str] | tuple[str, ...] = (),
) -> list[WarningGroup]:
    """The warnings by kind, ranked (:data:`RANK`): a headline each, repeated kinds counted.

    Confounded windows get one detail line per event with its confounders, the events in
    ``focus`` (the answer's) first; other kinds keep one line per warning.
    """
    by_code: dict[str, list[StudyWarning]] = {}
    for w in warnings:
        by_code.setdefault(w.code, []).append(w)
    out = []
    for code in (*RANK, *sorted(set(by_code) - set(RANK))):
        items = by_code.get(code)
        if not items:
            continue
        lines = [w.text for w in items]
        if code == "confounded":
            headline, lines = _confounded_lines(items, main_window, list(focus))
        elif code == "assumed_timing":
            named = ", ".join(w.event_id or "" for w in items[:3])
            inferred = sum("inferred from the prices" in w.text for w in items)
            how = (
                "day 0 assumed"
                if not inferred
                else "day 0 inferred from the prices"
                if inferred == len(items)
                else f"day 0 assumed ({inferred} inferred from the prices)"
            )
            headline = (
                f"assumed timing: {_plural(len(items), 'event')} without a known time of day, "
                f"{how} (e.g. {named}{', ...' if len(items) > 3 else ''})"
                if len(items) > 1
                else items[0].text
            )
        elif len(items) == 1:
            headline = items[0].text
        else:
            headline = f"{code.replace('_', ' ')}: {len(items):,} warnings"
        out.append(WarningGroup(code, headline, tuple(lines), len(items)))  # type: ignore[arg-type]
    return out
