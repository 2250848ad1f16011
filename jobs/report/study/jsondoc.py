"""The machine-readable study document (``reaction study --format json``; see docs/study-json.md).

Numbers are plain JSON numbers; a number that cannot be computed is ``null``
and its row says why (``status`` for observations, ``note`` for tests). NaN
and infinities never appear.

Its size is bounded: above :data:`JSON_ROWS` observations, answer rows or warnings it lists
the ones that matter (the answer's observations and the largest |t|; the answer's rows beyond
noise first; the first warnings), says so in ``complete`` and ``counts``, and names the files
that hold every row (``full_data``).
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any

import polars as pl

from backtest.names import INTERVAL_TESTS
from jobs.report.format import json_clean

if TYPE_CHECKING:
    from jobs.runs import StudyRun

SCHEMA_VERSION = 1
#: Rows of ``events``, ``answer`` and ``warnings`` listed in full (above: the ones that matter).
JSON_ROWS = 1_000
FULL_DATA = (
    "event_diagnostics",
    "cars",
    "abnormal_returns",
    "answer",
    "group_tests",
    "group_daily",
)


#: each measure beyond returns: its key in ``events[]`` and its daily and window value columns
MEASURE_KEYS = {
    "volume": ("abnormal_volume", "av", "cav"),
    "volatility": ("abnormal_volatility", "sar2", "ratio"),
}


def _measure_entries(
    run: StudyRun, shown: pl.DataFrame | None
) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    """Per measure key, per (event, ticker): ``{"daily": [...], "windows": [...]}``."""
    out: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for name, measured in run.measures.items():
        key, day_col, win_col = MEASURE_KEYS[name]
        daily, windows = measured.daily, measured.windows
        if shown is not None:
            daily = daily.join(shown, on=["event_id", "ticker"], how="semi")
            windows = windows.join(shown, on=["event_id", "ticker"], how="semi")
        entries: dict[tuple[str, str], dict[str, Any]] = {}
        for r in daily.sort("event_id", "ticker", "rel_day").iter_rows(named=True):
            e = entries.setdefault((r["event_id"], r["ticker"]), {"daily": [], "windows": []})
            e["daily"].append(
                {"rel_day": r["rel_day"], "date": r["date"], "value": r[day_col], "z": r["z"]}
            )
        for r in windows.sort("event_id", "ticker", "start", "end").iter_rows(named=True):
            e = entries.setdefault((r["event_id"], r["ticker"]), {"daily": [], "windows": []})
            e["windows"].append(
                {
                    "start": r["start"],
                    "end": r["end"],
                    "status": r["status"],
                    "value": r[win_col],
                    "stat": r["z"],
                    "p": r["p"],
                }
            )
        out[key] = entries
    return out


def _events(
    run: StudyRun, benchmark: str, shown: pl.DataFrame | None = None
) -> list[dict[str, Any]]:
    res = run.results[benchmark]
    measures = _measure_entries(run, shown) if benchmark == run.benchmark else {}
    ar, car, diagnostics = res.ar, res.car, res.diagnostics
    if shown is not None:
        ar = ar.join(shown, on=["event_id", "ticker"], how="semi")
        car = car.join(shown, on=["event_id", "ticker"], how="semi")
        diagnostics = diagnostics.join(shown, on=["event_id", "ticker"], how="semi")
    ar = ar.sort("event_id", "ticker", "rel_day")
    car = car.sort("event_id", "ticker", "start", "end")
    ar_by = dict(ar.group_by(["event_id", "ticker"]))
    car_by = dict(car.group_by(["event_id", "ticker"]))
    moves = {(r["event_id"], r["ticker"]): r for r in run.moves.iter_rows(named=True)}
    timing = {(r["event_id"], r["ticker"]): r for r in run.observations.iter_rows(named=True)}
    out = []
    for d in diagnostics.sort("day0", "event_id", "ticker").iter_rows(named=True):
        key = (d["event_id"], d["ticker"])
        a = ar_by.get(key, pl.DataFrame())
        c = car_by.get(key, pl.DataFrame())
        m = moves.get(key, {})
        o = timing.get(key, {})
        out.append(
            {
                "event_id": d["event_id"],
                "ticker": d["ticker"],
                "day0": d["day0"],
                "timing": o.get("timing"),
                "own_ticker": o.get("own"),
                "benchmark": benchmark,
                "status": d["status"],
                "model": d.get("model"),
                "alpha": d.get("alpha"),
                "beta": d.get("beta"),
                "r2": d.get("r2"),
                "sigma": d.get("sigma"),
                "n_est": d.get("n_est"),
                "n_dropped_clean": d.get("n_dropped_clean"),
                "confounded_by": d.get("confounded_by") or [],
                "day0_gap": m.get("gap"),
                "day0_open_to_close": m.get("open_to_close"),
                "day0_close_to_close": m.get("close_to_close"),
                "ar": [
                    {
                        "rel_day": r["rel_day"],
                        "date": r["date"],
                        "ret": r.get("ret"),
                        "ar": r["ar"],
                        "t": r["t"],
                        "p": r.get("p"),
                    }
                    for r in (a.iter_rows(named=True) if a.height else [])
                ],
                "windows": [
                    {
                        "start": r["start"],
                        "end": r["end"],
                        "status": r["status"],
                        "car": r["car"],
                        "car_t": r["car_t"],
                        "car_p": r["car_p"],
                        "bhar": r["bhar"],
                        "bhar_model": r.get("bhar_model"),
                        "confounded_by": r.get("confounded_by") or [],
                    }
                    for r in (c.iter_rows(named=True) if c.height else [])
                ],
                **{
                    k: entries.get(key, {"daily": [], "windows": []})
                    for k, entries in measures.items()
                },
            }
        )
    return out


def _cell(cell: Any) -> dict[str, Any] | None:
    if cell is None:
        return None
    return {
        "status": cell.status,
        "day0": cell.day0,
        "day0_z": cell.day0_z,
        "value": cell.value,
        "stat": cell.z,
        "p": cell.p,
    }


def _measure_aggregate(run: StudyRun) -> dict[str, list[dict[str, Any]]]:
    """Per measure key: the cross-event tests per window, as ``aggregate``."""
    from jobs.run_tables import tests_with_df

    out: dict[str, list[dict[str, Any]]] = {}
    for name, measured in run.measures.items():
        tests = tests_with_df(measured.tests).sort("start", "end", "test")
        windows = []
        for (start, end), group in tests.group_by(["start", "end"], maintain_order=True):
            first = group.row(0, named=True)
            windows.append(
                {
                    "start": start,
                    "end": end,
                    "n": first.get("n"),
                    "mean": first.get("caar"),
                    "tests": {
                        r["test"]: _test_entry(r)
                        for r in group.iter_rows(named=True)
                        if r["test"] != "skew_adj_t"
                    },
                }
            )
        out[MEASURE_KEYS[name][0]] = windows
    return out


def _aggregate(run: StudyRun, benchmark: str) -> list[dict[str, Any]]:
    from jobs.run_tables import tests_with_df

    tests = tests_with_df(run.results[benchmark].tests).sort("start", "end", "test")
    out = []
    for (start, end), group in tests.group_by(["start", "end"], maintain_order=True):
        first = group.row(0, named=True)
        out.append(
            {
                "start": start,
                "end": end,
                "n": first.get("n"),
                "caar": first.get("caar"),
                "mean_bhar": first.get("mean_bhar"),
                "tests": {
                    r["test"]: _test_entry(r)
                    for r in group.iter_rows(named=True)
                    if r["test"] in run.definition.report.tests
                },
            }
        )
    return out


def _answer(run: StudyRun) -> list[dict[str, Any]]:
    from jobs.report.study.answer import shown_rows

    if run.answer is None:
        return []
    return [
        {
            "event_id": r.event_id,
            "ticker": r.ticker,
            "day0": r.day0,
            "own_ticker": r.own,
            "start": r.start,
            "end": r.end,
            "status": r.status,
            "car": r.car,
            "t": r.t,
            "p": r.p,
            "q": r.q,
            "robust": {
                "test": r.robust.test,
                "stat": r.robust.stat,
                "p": r.robust.p,
                "n": r.robust.n,
                "group": r.robust.group_id,
                "note": r.robust.note,
            },
            "confounded_by": list(r.confounded_by),
            "verdict": r.verdict,
            "verdict_code": r.verdict_code,
            **({"abnormal_volume": _cell(r.volume)} if "volume" in run.measures else {}),
            **(
                {"abnormal_volatility": _cell(r.volatility)} if "volatility" in run.measures else {}
            ),
        }
        for r in shown_rows(run.answer, JSON_ROWS)
    ]


def _test_entry(r: dict[str, Any]) -> dict[str, Any]:
    """A test's JSON: ``stat, p, distribution, note``; an interval test (``bootstrap_ci``,
    ``wilcoxon_ci``: ``stat`` the point estimate, ``p`` null) adds ``ci``."""
    out = {
        "stat": r["stat"],
        "p": r["p"],
        "distribution": r.get("distribution"),
        "note": r.get("note"),
    }
    if r.get("test") in INTERVAL_TESTS:
        out["ci"] = {"low": r.get("ci_low"), "high": r.get("ci_high"), "level": 0.95}
    return out


def _groups(run: StudyRun) -> list[dict[str, Any]]:
    from jobs.run_tables import tests_with_df

    wanted = set(run.definition.report.tests)
    out = []
    for g in run.groups:
        # rows read once, grouped as they come (sorted by the keys): a polars group_by would
        # gather a frame per window and per day, most of the JSON's time for a seed study
        tests = tests_with_df(g.tests).sort("start", "end", "test").iter_rows(named=True)
        windows = []
        for (start, end), rows in groupby(tests, key=lambda r: (r["start"], r["end"])):
            part = list(rows)
            first = part[0]
            windows.append(
                {
                    "start": start,
                    "end": end,
                    "n": first.get("n"),
                    "caar": first.get("caar"),
                    "mean_bhar": first.get("mean_bhar"),
                    "tests": {r["test"]: _test_entry(r) for r in part if r["test"] in wanted},
                }
            )
        daily = []
        frame = tests_with_df(g.daily).sort("rel_day", "test").iter_rows(named=True)
        for rel_day, rows in groupby(frame, key=lambda r: r["rel_day"]):
            part = list(rows)
            first = part[0]
            daily.append(
                {
                    "rel_day": rel_day,
                    "n": first.get("n"),
                    "aar": first.get("aar"),
                    "caar": first.get("caar"),
                    "tests": {
                        r["test"]: _test_entry(r)
                        for r in part
                        if r["test"] is not None and r["test"] in wanted
                    },
                }
            )
        out.append(
            {
                "id": g.id,
                "label": g.label,
                "kind": g.kind,
                "n": g.n,
                "n_duplicates_merged": g.n_duplicates_merged,
                "merged": g.merged.to_dicts(),
                "rbar": g.rbar,
                "windows": windows,
                "daily": daily,
                "daily_note": g.daily_note,
            }
        )
    return out


def json_document(run: StudyRun) -> dict[str, Any]:
    """The whole run as one JSON-ready dict (main benchmark at the top level)."""
    from jobs.report.study.tables import shown_observations

    main = run.benchmark
    shown = shown_observations(run, JSON_ROWS)
    n_answer = len(run.answer.rows) if run.answer else 0
    warnings = run.warnings[:JSON_ROWS]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run.run_id,
        "study_id": run.definition.study.id,
        "title": run.definition.study.title,
        "created_at": run.created_at,
        "package_version": run.package_version,
        "input_hash": run.input_hash,
        "model": run.definition.model.name,
        "benchmark": main,
        "data_stamp": run.stamp,
        "config": run.definition.model_dump(mode="json", by_alias=True),
        "question": run.answer.question if run.answer else None,
        "answer_window": {
            "start": run.definition.main_window[0],
            "end": run.definition.main_window[1],
        },
        "answer_family": run.answer.family if run.answer else None,
        "answer": _answer(run),
        "groups": _groups(run),
        "events": _events(run, main, shown),
        "aggregate": _aggregate(run, main),
        "measures": list(run.definition.measure.measures),
        "measure_aggregate": _measure_aggregate(run),
        "other_benchmarks": {
            b: {"events": _events(run, b, shown), "aggregate": _aggregate(run, b)}
            for b in run.results
            if b != main
        },
        "warnings": [w.text for w in warnings],
        "warning_details": [
            {"code": w.code, "event_id": w.event_id, "ticker": w.ticker, "text": w.text}
            for w in warnings
        ],
        "complete": {
            "events": shown is None,
            "answer": n_answer <= JSON_ROWS,
            "warnings": len(run.warnings) <= JSON_ROWS,
        },
        "counts": {
            "events": run.observations.height,
            "answer": n_answer,
            "warnings": len(run.warnings),
        },
        "full_data": [f"{name}.parquet" for name in FULL_DATA],
    }
    if run.spillover is not None:
        from jobs.report.study.spillover import spillover_json

        doc.update(spillover_json(run))
    cleaned: dict[str, Any] = json_clean(doc)
    return cleaned
