"""The warnings a reader of a study must see next to its numbers, as typed objects.

The study service computes them once per run (:attr:`jobs.runs.StudyRun.warnings`);
reports render them, grouped by ``code``.
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
]

SMALL_N = 10


@dataclass(frozen=True)
class StudyWarning:
    """One warning: what kind (``code``), about which event and ticker if one, and the sentence."""

    code: WarningCode
    text: str
    event_id: str | None = None
    ticker: str | None = None

    def __str__(self) -> str:
        return self.text


def window_label(start: int, end: int) -> str:
    """``[-1,+1]`` (or ``[+0]`` for one day): an event window as reports print it."""
    return f"[{start:+d},{end:+d}]" if start != end else f"[{start:+d}]"


def study_warnings(
    res: Any, observations: pl.DataFrame, events: pl.DataFrame, catalog: pl.DataFrame
) -> list[StudyWarning]:
    """Confounded windows, small N, assumed timing, unmeasured observations, clustering.

    ``res`` is the main benchmark's :class:`backtest.EventStudyResult`; ``observations`` the
    (event, ticker) rows measured, ``events`` the selected stored events, ``catalog`` the
    ``event_id, day0`` of every catalog event (to date the confounders).
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
        mine = conf.filter(pl.col("own"))
        for (event_id, ticker), group in mine.group_by(["event_id", "ticker"], maintain_order=True):
            others = sorted({e for lst in group.get_column("confounded_by").to_list() for e in lst})
            windows = ", ".join(
                window_label(a, b) for a, b in group.select("start", "end").iter_rows()
            )
            named = ", ".join(f"{e} (day 0 {day0[e]})" if e in day0 else e for e in others)
            out.append(
                StudyWarning(
                    "confounded",
                    f"confounded: {ticker} around {event_id}: window(s) {windows} also contain {named}",
                    event_id,
                    ticker,
                )
            )
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
        assumed = events.filter(pl.col("timing_assumed"))
        for r in assumed.iter_rows(named=True):
            out.append(
                StudyWarning(
                    "assumed_timing",
                    f"assumed timing: {r['event_id']} has no known time of day; "
                    f"day 0 = {r['day0']} is assumed ({r['day0_rule']})",
                    r["event_id"],
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

    # 5. clustering on calendar dates
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
