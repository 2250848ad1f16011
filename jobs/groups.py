"""Groups of observations with their own cross-event tests, and duplicates merged within them.

A study names its groups in ``[[report.groups]]`` (:class:`jobs.definitions.study.GroupSpec`):
one per event, category, day 0, ticker, own tickers vs measured peers, or an explicit list.
Every study also has the group ``all`` (every observation), and the answer's events get an
event group each (their clustering-robust evidence, :mod:`jobs.answer`).

Within a group each (ticker, day 0) is counted once: AMZN on 2025-10-30 is one observation even
when three events (googl-q3, meta-q3, msft-fy26q1) measure it. The copy kept is the one on an
event whose own ticker it is, else the first by event id; the others are listed as merged.

Each family of groups (the groups one ``by`` spec makes share no observation) is measured by
one :func:`backtest.run_event_study` call with a ``group`` column (cross-event tests and AAR
per group in one pass); the group ``all`` and the explicit groups share a call when they share
no observation (own news and peers do), else they get one each. The engine tests windows, and
per day gives only the cross-sectional t (its ``aar`` frame); for every test per day one
one-day window per day of the event period is added to these calls. A group that is the whole
study without duplicates reuses the study's main run for its windows, and gets one call with
the one-day windows alone. ``[report] daily_tests`` decides: ``"every"``, ``"t"`` (the daily t
only, no extra windows), or ``"auto"`` (every test up to
:data:`~jobs.definitions.study.DAILY_TESTS_AUTO_LIMIT` observations: the one-day windows cost
about half the engine's own time again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from jobs.definitions.study import DAILY_TESTS_AUTO_LIMIT, GroupSpec, StudyDefinition

ALL = "all"

#: ``engine(events, windows)``: the study's model, inputs and main benchmark on these
#: observations (``event_id, ticker, day0, category``) and windows.
Engine = Callable[[pl.DataFrame, Sequence[tuple[int, int]]], Any]

_OBS_COLUMNS = ("event_id", "ticker", "day0", "category", "own")


def every_daily_test(definition: StudyDefinition, n_observations: int) -> bool:
    """Whether the groups' daily tables hold every test (``[report] daily_tests``)."""
    policy = definition.report.daily_tests
    return policy == "every" or (policy == "auto" and n_observations <= DAILY_TESTS_AUTO_LIMIT)


def daily_t_note(definition: StudyDefinition, n_observations: int) -> str:
    """Why a daily table holds only the cross-sectional t."""
    if definition.report.daily_tests == "t":
        return 'per day only the cross-sectional t ([report] daily_tests = "t")'
    return (
        f"per day only the cross-sectional t: {n_observations:,} observations, above the "
        f'{DAILY_TESTS_AUTO_LIMIT:,} up to which daily_tests = "auto" runs every test per day; '
        'set [report] daily_tests = "every" for all of them'
    )


@dataclass(frozen=True)
class GroupMembers:
    """A group's observations (one per ticker and day 0) and the duplicates merged into them."""

    id: str
    label: str
    kind: str
    observations: pl.DataFrame
    merged: pl.DataFrame
    daily_tests: bool = False  # every test per day (one-day windows), not only the t
    #: groups of one family (one spec with ``by``) share no observation: with an engine that
    #: takes a group column they are measured in one call
    family: str = ""
    #: why the daily table holds only the t, when it does
    daily_note: str | None = None

    @property
    def n(self) -> int:
        return self.observations.height

    @property
    def n_duplicates_merged(self) -> int:
        return self.merged.height


@dataclass(frozen=True)
class GroupResult:
    """A group's cross-event tests per window and its daily AAR table with the tests per day.

    ``tests``: ``start, end, test, n, caar, mean_bhar, stat, p, distribution, df, note, ci_low,
    ci_high`` (the engine's ``tests`` frame on the study's windows); ``daily``: ``rel_day, n, aar,
    caar, test, stat, p, distribution, df, note, ci_low, ci_high``, one row per event day and
    test; ``members``: ``event_id, ticker, day0, own``; ``merged``: ``event_id, ticker, day0,
    kept_event_id``.
    """

    id: str
    label: str
    kind: str
    members: pl.DataFrame
    merged: pl.DataFrame
    tests: pl.DataFrame
    daily: pl.DataFrame
    rbar: float | None
    source: str  # "group run" or "main run"
    daily_note: str | None = None  # why the daily table holds only the t, if it does

    @property
    def n(self) -> int:
        return self.members.height

    @property
    def n_duplicates_merged(self) -> int:
        return self.merged.height


# -- which observations ------------------------------------------------------------------------


def merge_duplicates(obs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One observation per (ticker, day 0): kept rows, and the merged ones with the kept event."""
    ranked = obs.with_row_index("_order").sort(
        pl.col("own").cast(pl.Int8), "event_id", descending=[True, False]
    )
    kept = ranked.unique(subset=["ticker", "day0"], keep="first", maintain_order=True)
    merged = (
        ranked.join(kept.select("_order"), on="_order", how="anti")
        .join(
            kept.select("ticker", "day0", pl.col("event_id").alias("kept_event_id")),
            on=["ticker", "day0"],
            how="left",
        )
        .sort("day0", "ticker", "event_id")
        .select("event_id", "ticker", "day0", "kept_event_id")
    )
    return kept.sort("_order").drop("_order"), merged


def _filtered(spec: GroupSpec, obs: pl.DataFrame) -> pl.DataFrame:
    out = obs
    if spec.events:
        out = out.filter(pl.col("event_id").is_in(list(spec.events)))
    if spec.categories:
        out = out.filter(pl.col("category").is_in(list(spec.categories)))
    if spec.tickers:
        out = out.filter(pl.col("ticker").is_in(list(spec.tickers)))
    if spec.own is not None:
        out = out.filter(pl.col("own") == spec.own)
    return out


def _split(
    spec: GroupSpec, obs: pl.DataFrame, titles: dict[str, str]
) -> list[tuple[str, str, str, pl.DataFrame]]:
    """(id, label, kind, observations) for each group a spec makes."""
    by = spec.by
    if by is None or by == "all":
        gid = spec.id or ALL
        label = spec.label or ("All observations" if gid == ALL else gid)
        return [(gid, label, "explicit" if spec.id else "all", obs)]
    if by == "own":
        parts = []
        for value, name, label in (
            (True, "own", "Each ticker on its own news"),
            (False, "peers", "Measured peers (not the event's own tickers)"),
        ):
            part = obs.filter(pl.col("own") == value)
            parts.append((f"own:{name}", label, "own", part))
        return parts
    column = {"event": "event_id", "category": "category", "day0": "day0", "ticker": "ticker"}[by]
    out: list[tuple[str, str, str, pl.DataFrame]] = []
    order = obs.select(column).unique(maintain_order=True).get_column(column).to_list()
    if by == "day0" or by == "event":
        order = (
            obs.group_by(column)
            .agg(pl.col("day0").min().alias("_d"))
            .sort("_d", column)
            .get_column(column)
            .to_list()
        )
    by_value = obs.partition_by(column, as_dict=True, maintain_order=True)
    for value in order:
        part = by_value[(value,)]
        key = value.isoformat() if by == "day0" else str(value)
        if by == "event":
            day0 = part.item(0, "day0")
            label = f"{key} (day 0 {day0}): {titles.get(key, '')}".rstrip(": ")
        elif by == "category":
            label = f"{key} events"
        elif by == "day0":
            label = f"day 0 on {key}"
        else:
            label = f"{key} on every event measured"
        out.append((f"{by}:{key}", label, by, part))
    return out


def resolve_groups(
    definition: StudyDefinition,
    obs: pl.DataFrame,
    events: pl.DataFrame | None = None,
    *,
    extra_events: Iterable[str] = (),
) -> list[GroupMembers]:
    """The study's groups: ``all``, the definition's, and an event group per ``extra_events``.

    ``obs`` are the study's observations (``event_id, ticker, day0, category, own``), ``events``
    the selected events (their titles label the event groups). Empty groups are left out; when
    two specs make the same id the first one counts.
    """
    titles: dict[str, str] = {}
    if events is not None and "title" in events.columns:
        titles = dict(events.select("event_id", "title").iter_rows())
    base = obs.select(_OBS_COLUMNS)
    specs: list[GroupSpec] = [GroupSpec(by="all"), *definition.report.groups]
    seen: set[str] = set()
    out: list[GroupMembers] = []
    daily = every_daily_test(definition, obs.height)
    note = None if daily else daily_t_note(definition, obs.height)

    def add(gid: str, label: str, kind: str, part: pl.DataFrame, family: str) -> None:
        if gid in seen or part.height == 0:
            return
        seen.add(gid)
        kept, merged = merge_duplicates(part)
        alone = kind in ("all", "explicit")
        out.append(
            GroupMembers(gid, label, kind, kept, merged, daily, gid if alone else family, note)
        )

    for k, spec in enumerate(specs):
        for gid, label, kind, part in _split(spec, _filtered(spec, base), titles):
            add(gid, label, kind, part, f"spec{k}")
    wanted = set(extra_events) - {g.id.removeprefix("event:") for g in out if g.kind == "event"}
    if wanted:  # one observation: its own t is the evidence, no group needed
        several = base.filter(pl.col("event_id").is_in(list(wanted))).filter(
            pl.len().over("event_id") > 1
        )
        for gid, label, kind, part in _split(GroupSpec(by="event"), several, titles):
            add(gid, label, kind, part, "answer-events")
    return out


# -- measuring them ------------------------------------------------------------------------------


def daily_windows(windows: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The study's windows plus one one-day window per day of the event period (no repeats)."""
    lo = min(a for a, _ in windows)
    hi = max(b for _, b in windows)
    pairs = [(int(a), int(b)) for a, b in windows] + [(d, d) for d in range(lo, hi + 1)]
    return tuple(dict.fromkeys(pairs))


def _daily_from_tests(aar: pl.DataFrame, tests: pl.DataFrame) -> pl.DataFrame:
    one_day = tests.filter(pl.col("start") == pl.col("end")).select(
        pl.col("start").alias("rel_day"),
        "test",
        "stat",
        "p",
        "distribution",
        "df",
        "note",
        *(
            pl.col(c) if c in tests.columns else pl.lit(None, pl.Float64).alias(c)
            for c in ("ci_low", "ci_high")
        ),
    )
    return (
        aar.select("rel_day", "n", "aar", "caar")
        .join(one_day, on="rel_day", how="left")
        .sort("rel_day", "test")
    )


def _daily_from_aar(aar: pl.DataFrame) -> pl.DataFrame:
    return aar.select(
        "rel_day",
        "n",
        "aar",
        "caar",
        pl.lit("csect_t").alias("test"),
        pl.col("t").alias("stat"),
        "p",
        pl.lit("t").alias("distribution"),
        (pl.col("n") - 1).cast(pl.Float64).alias("df"),
        pl.when(pl.col("t").is_null())
        .then(pl.lit("needs at least two observations with a spread"))
        .otherwise(pl.lit(None, pl.String))
        .alias("note"),
        pl.lit(None, pl.Float64).alias("ci_low"),
        pl.lit(None, pl.Float64).alias("ci_high"),
    ).sort("rel_day")


def _tests_on(tests: pl.DataFrame, windows: Sequence[tuple[int, int]]) -> pl.DataFrame:
    wanted = pl.DataFrame(
        {"start": [a for a, _ in windows], "end": [b for _, b in windows]},
        schema={"start": tests.schema["start"], "end": tests.schema["end"]},
    )
    return tests.join(wanted, on=["start", "end"], how="semi")


def _family_results(
    family: Sequence[GroupMembers],
    engine: Engine,
    windows: Sequence[tuple[int, int]],
    grouped: bool,
) -> dict[str, tuple[pl.DataFrame, pl.DataFrame, float | None]]:
    """``tests, aar, rbar`` of each group of one family: one engine call per group, or with an
    engine that takes a ``group`` column one call for the family (its groups are disjoint)."""
    cols = ("event_id", "ticker", "day0", "category")
    if not grouped or len(family) == 1:
        out = {}
        for g in family:
            res = engine(g.observations.select(cols), windows)
            out[g.id] = (res.tests, res.aar, res.rbar)
        return out
    events = pl.concat([g.observations.select(*cols, pl.lit(g.id).alias("group")) for g in family])
    res = engine(events, windows)
    by_tests = res.tests.partition_by("group", as_dict=True)
    by_aar = res.aar.partition_by("group", as_dict=True)
    out = {}
    for g in family:
        tests = by_tests[(g.id,)].drop("group")
        rbar = tests.get_column("rbar").drop_nulls().first() if "rbar" in tests.columns else None
        out[g.id] = (tests, by_aar[(g.id,)].drop("group"), rbar)
    return out


def measure_groups(
    groups: Sequence[GroupMembers],
    *,
    study_observations: int,
    main: Any,
    windows: Sequence[tuple[int, int]],
    engine: Engine,
    grouped: bool = False,
    main_daily: pl.DataFrame | None = None,
) -> tuple[GroupResult, ...]:
    """Cross-event tests per window and per day for each group.

    ``main`` is the study's main-benchmark :class:`backtest.EventStudyResult` (reused for a group
    that is every observation without duplicates); ``engine`` measures the others: one call per
    group, or with ``grouped`` (an engine that takes a ``group`` column) one call per family.
    ``main_daily``, the main run's tests on every one-day window of the event period (a main
    run on :func:`daily_windows`), gives the reused groups' daily tests without an engine call.
    """
    wide = daily_windows(windows)
    one_day = tuple(w for w in wide if w[0] == w[1])
    reuse = {g.id for g in groups if g.n == study_observations and g.n_duplicates_merged == 0}
    families: dict[tuple[str, bool], list[GroupMembers]] = {}
    packed: list[tuple[str, set[tuple[str, str]]]] = []  # standalone calls and their members
    for g in groups:
        if g.id in reuse and (not g.daily_tests or main_daily is not None):
            continue
        key = g.family or g.id
        if key == g.id and grouped:  # standalone groups that share no observation: one call
            keys = set(g.observations.select("event_id", "ticker").iter_rows())
            for name, taken in packed:
                if not taken & keys:
                    key = name
                    taken |= keys
                    break
            else:
                packed.append((key, keys))
        families.setdefault((key, g.id in reuse), []).append(g)
    measured: dict[str, tuple[pl.DataFrame, pl.DataFrame, float | None]] = {}
    for (_key, reused), family in families.items():
        family_windows = one_day if reused else wide if family[0].daily_tests else tuple(windows)
        measured.update(_family_results(family, engine, family_windows, grouped))
    out = []
    for g in groups:
        members = g.observations.select("event_id", "ticker", "day0", "own")
        note = g.daily_note
        if g.id in reuse:
            tests, rbar, source = main.tests, main.rbar, "main run"
            if g.daily_tests and main_daily is not None:
                daily = _daily_from_tests(main.aar, main_daily)
            elif g.id in measured:
                daily = _daily_from_tests(main.aar, measured[g.id][0])
            else:
                daily = _daily_from_aar(main.aar)
        else:
            all_tests, aar, rbar = measured[g.id]
            tests = _tests_on(all_tests, windows)
            daily = _daily_from_tests(aar, all_tests) if g.daily_tests else _daily_from_aar(aar)
            source = "group run"
        out.append(
            GroupResult(
                id=g.id,
                label=g.label,
                kind=g.kind,
                members=members,
                merged=g.merged,
                tests=tests,
                daily=daily,
                rbar=rbar,
                source=source,
                daily_note=note,
            )
        )
    return tuple(out)
