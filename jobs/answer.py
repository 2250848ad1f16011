"""The answer to a study's question: one row per (event, ticker) with a q-value and a verdict.

The rows are the observations that ``[report.answer]`` picks (by default every event's own
tickers), measured over the study's main window. Each row carries the CAR with its t and p, a
q-value that controls the false discovery rate over the rows of the answer (Benjamini and
Hochberg 1995), the clustering-robust test of the event's group (all the event's observations
share its day 0), the other catalog events inside the window, and a plain verdict:

* ``beyond noise``: q at or below ``fdr`` and no other event in the window;
* ``not distinguishable from noise``: q above ``fdr`` and no other event in the window;
* ``confounded by ...``: another event of the ticker (or a market-wide one) falls in the
  window, so the move cannot be put down to this news whatever its q;
* ``not measured (...)``: the observation has no CAR (its status says why).

When the study measures them (``[measure] measures``), each row also carries the abnormal
volume and volatility of its observation (:class:`MeasureCell`): day 0's and the main window's
value with its z and p. They inform the reading of a row, not its verdict.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import polars as pl

from jobs.definitions.study import StudyDefinition
from jobs.groups import GroupResult
from jobs.warnings import window_label

VerdictCode: TypeAlias = Literal["beyond_noise", "noise", "confounded", "not_measured"]


def bh_qvalues(pvalues: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg q-values: ``q_(i) = min_{j ≥ i} m p_(j) / j``, capped at 1.

    ``m`` counts the finite p-values; a missing p-value has no q-value and is not counted.
    Rejecting every row with ``q ≤ α`` keeps the expected false discovery rate at or below α
    for independent (or positively dependent) tests.
    """
    p = np.array(
        [float(v) if isinstance(v, int | float) else math.nan for v in pvalues], dtype=np.float64
    )
    finite = np.flatnonzero(np.isfinite(p))  # None, NaN: no q-value
    q: list[float | None] = [None] * len(pvalues)
    m = finite.size
    if m:
        order = finite[np.argsort(p[finite], kind="stable")]
        scaled = p[order] * m / np.arange(1, m + 1)  # (p m) / rank, as written above
        running = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        for i, v in zip(order.tolist(), running.tolist(), strict=True):
            q[i] = v
    return q


@dataclass(frozen=True)
class RobustEvidence:
    """The event group's clustering-robust test over the main window (None: not computed)."""

    test: str
    stat: float | None
    p: float | None
    n: int
    group_id: str | None
    note: str | None = None


@dataclass(frozen=True)
class MeasureCell:
    """One observation's abnormal volume or volatility on day 0 and over the answer's window.

    Volume: ``day0`` is the abnormal log volume ``AV_0`` (``exp`` of it: the day's volume as a
    multiple of the usual), ``value`` the window's ``CAV``; volatility: ``day0`` is ``U_0``
    (the squared standardized AR), ``value`` the window's variance ratio ``VR``
    (``docs/statistics.md``). ``z``, ``p``: their tests; None where not computed.
    """

    status: str
    day0: float | None
    day0_z: float | None
    value: float | None
    z: float | None
    p: float | None


@dataclass(frozen=True)
class AnswerRow:
    event_id: str
    ticker: str
    day0: dt.date
    own: bool
    start: int
    end: int
    status: str
    car: float | None
    t: float | None
    p: float | None
    q: float | None
    robust: RobustEvidence
    confounded_by: tuple[str, ...]
    verdict: str
    verdict_code: VerdictCode
    volume: MeasureCell | None = None  # when the study measures "volume"
    volatility: MeasureCell | None = None  # when the study measures "volatility"


#: the value column of each measure's daily and window frames (backtest.measures)
_VALUE_COLUMNS = {"volume": ("av", "cav"), "volatility": ("sar2", "ratio")}


def measure_cells(measured: Any, window: tuple[int, int]) -> dict[tuple[str, str], MeasureCell]:
    """The :class:`MeasureCell` of every observation of a :class:`jobs.runs.MeasureResult`."""
    day_col, win_col = _VALUE_COLUMNS[measured.name]
    day0 = {
        (r["event_id"], r["ticker"]): r
        for r in measured.daily.filter(pl.col("rel_day") == 0).iter_rows(named=True)
    }
    win = measured.windows.filter((pl.col("start") == window[0]) & (pl.col("end") == window[1]))
    out = {}
    for r in win.iter_rows(named=True):
        key = (r["event_id"], r["ticker"])
        d = day0.get(key, {})
        out[key] = MeasureCell(
            status=r["status"],
            day0=d.get(day_col),
            day0_z=d.get("z"),
            value=r[win_col],
            z=r["z"],
            p=r["p"],
        )
    return out


@dataclass(frozen=True)
class Answer:
    """The question, the rows, and what the q-values' family is."""

    question: str
    window: tuple[int, int]
    fdr: float
    robust_test: str
    rows: tuple[AnswerRow, ...]
    family: str
    fallback: bool = False  # the answer's filters matched nothing: every observation is listed
    #: indices of ``rows`` by importance: beyond noise first, then by q, then by |t|, the
    #: rows without a CAR last
    ranked: tuple[int, ...] = ()

    def counts(self) -> dict[str, int]:
        out = {"beyond_noise": 0, "noise": 0, "confounded": 0, "not_measured": 0}
        for r in self.rows:
            out[r.verdict_code] += 1
        return out


def _names(items: Sequence[str], *, many: str, limit: int = 4) -> str:
    if not items:
        return many
    if len(items) > limit:
        return f"{len(items)} {many}"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def built_title(definition: StudyDefinition, observations: pl.DataFrame) -> str:
    """``<tickers> around <events>``: a title from what is measured (for studies without one)."""
    tickers = observations.get_column("ticker").unique(maintain_order=True).to_list()
    events = observations.get_column("event_id").unique(maintain_order=True).to_list()
    return (
        f"{_names(tickers, many='tickers')} around {_names(events, many='events', limit=3)} "
        f"({definition.model.name} on {definition.model.benchmarks[0]})"
    )


def _question(definition: StudyDefinition, rows: pl.DataFrame) -> str:
    if definition.report.question:
        return definition.report.question
    tickers = rows.get_column("ticker").unique(maintain_order=True).to_list()
    events = rows.get_column("event_id").unique(maintain_order=True).to_list()
    return (
        f"How did {_names(tickers, many='tickers')} react to "
        f"{_names(events, many='events', limit=3)}, and which reactions are more than noise?"
    )


def answer_observations(
    definition: StudyDefinition, observations: pl.DataFrame
) -> tuple[pl.DataFrame, bool]:
    """The observations the answer lists, in its order; and whether the filters fell back."""
    spec = definition.report.answer
    rows = observations
    if spec.events:
        rows = rows.filter(pl.col("event_id").is_in(list(spec.events)))
    if spec.tickers:
        rows = rows.filter(pl.col("ticker").is_in(list(spec.tickers)))
    if spec.own:
        rows = rows.filter(pl.col("own"))
    fallback = rows.height == 0
    if fallback:
        rows = observations
    if spec.tickers and not fallback:
        rank = {t: i for i, t in enumerate(spec.tickers)}
        rows = (
            rows.with_columns(
                pl.col("ticker").replace_strict(rank, default=len(rank)).alias("_rank")
            )
            .sort("_rank", "day0", "event_id")
            .drop("_rank")
        )
    else:
        rows = rows.sort(
            "day0",
            "event_id",
            pl.col("own").cast(pl.Int8),
            "ticker",
            descending=[False, False, True, False],
        )
    return rows, fallback


def _robust(
    definition: StudyDefinition,
    event_id: str,
    n_event: int,
    groups: Mapping[str, GroupResult],
    window: tuple[int, int],
) -> RobustEvidence:
    test = definition.report.answer.robust_test
    group = groups.get(f"event:{event_id}")
    if group is None:
        note = (
            "one observation of this event: its own t is the evidence"
            if n_event <= 1
            else "the event's group was not measured"
        )
        return RobustEvidence(test, None, None, n_event, None, note)
    row = group.tests.filter(
        (pl.col("test") == test) & (pl.col("start") == window[0]) & (pl.col("end") == window[1])
    )
    if row.height == 0:
        return RobustEvidence(test, None, None, group.n, group.id, "not computed")
    r = row.row(0, named=True)
    return RobustEvidence(test, r["stat"], r["p"], int(r["n"] or 0), group.id, r.get("note"))


def build_answer(
    definition: StudyDefinition,
    observations: pl.DataFrame,
    main: Any,
    groups: Sequence[GroupResult],
    *,
    measures: Mapping[str, Any] | None = None,
) -> Answer:
    """The answer rows over the main window of ``main`` (the main benchmark's result);
    ``measures``: the study's :class:`jobs.runs.MeasureResult` by name, shown beside each row."""
    window = definition.main_window
    cells = {name: measure_cells(m, window) for name, m in (measures or {}).items()}
    spec = definition.report.answer
    picked, fallback = answer_observations(definition, observations)
    car = main.car.filter((pl.col("start") == window[0]) & (pl.col("end") == window[1])).select(
        "event_id", "ticker", "status", "car", "car_t", "car_p", "confounded_by"
    )
    rows = picked.select("event_id", "ticker", "day0", "own").join(
        car, on=["event_id", "ticker"], how="left", maintain_order="left"
    )
    n_by_event = dict(observations.group_by("event_id").len().iter_rows())
    by_id = {g.id: g for g in groups}
    qs = bh_qvalues(
        rows.select(pl.when(pl.col("status") == "ok").then(pl.col("car_p"))).to_series().to_list()
    )
    robust: dict[str, RobustEvidence] = {}
    alone: dict[int, RobustEvidence] = {}  # events without a group, by their number of rows
    out = []
    names = rows.columns
    for values, q in zip(rows.iter_rows(), qs, strict=True):
        r = dict(zip(names, values, strict=True))
        event_id = r["event_id"]
        key = (event_id, r["ticker"])
        evidence = robust.get(event_id)
        if evidence is None:
            n_event = n_by_event.get(event_id, 0)
            if f"event:{event_id}" not in by_id and n_event in alone:
                evidence = alone[n_event]
            else:
                evidence = _robust(definition, event_id, n_event, by_id, window)
                if evidence.group_id is None:
                    alone[n_event] = evidence
            robust[event_id] = evidence
        conf = tuple(r["confounded_by"] or ())
        status = r["status"] or "not_measured"
        code: VerdictCode
        if status != "ok" or r["car"] is None:
            code, verdict = "not_measured", f"not measured ({status.replace('_', ' ')})"
        elif conf:
            code, verdict = "confounded", "confounded by " + ", ".join(conf)
        elif q is not None and q <= spec.fdr:
            code, verdict = "beyond_noise", "beyond noise"
        else:
            code, verdict = "noise", "not distinguishable from noise"
        out.append(
            AnswerRow(
                event_id=r["event_id"],
                ticker=r["ticker"],
                day0=r["day0"],
                own=bool(r["own"]),
                start=window[0],
                end=window[1],
                status=status,
                car=r["car"],
                t=r["car_t"],
                p=r["car_p"],
                q=q,
                robust=evidence,
                confounded_by=conf,
                verdict=verdict,
                verdict_code=code,
                volume=cells["volume"].get(key) if "volume" in cells else None,
                volatility=cells["volatility"].get(key) if "volatility" in cells else None,
            )
        )
    order = {"beyond_noise": 0, "confounded": 1, "noise": 1, "not_measured": 2}
    # by verdict, then q (none last), then |t| largest first; ties keep the rows' order
    ranked = np.lexsort(
        (
            np.arange(len(out)),
            np.array([-abs(r.t or 0.0) for r in out], dtype=np.float64),
            np.array([r.q if r.q is not None else 2.0 for r in out], dtype=np.float64),
            np.array([order[r.verdict_code] for r in out], dtype=np.int8),
        )
    ).tolist()
    m = sum(q is not None for q in qs)
    family = (
        f"q-values: Benjamini-Hochberg over the {m} row(s) of this answer with a p-value (the "
        f"CAR{window_label(*window)} t tests); a row is beyond noise at q ≤ {spec.fdr:g} when no "
        "other event falls in its window"
    )
    return Answer(
        question=_question(definition, picked),
        window=window,
        fdr=spec.fdr,
        robust_test=spec.robust_test,
        rows=tuple(out),
        family=family,
        fallback=fallback,
        ranked=tuple(ranked),
    )
