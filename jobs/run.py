"""Running a study end to end: data in place, the engine, stored results, a run object.

``run_study`` is the Python API (``from jobs.run import run_study``); the CLI's
``reaction study`` and the refresh job call it too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import duckdb
import polars as pl

from events import SessionCalendar, nyse
from jobs import loading
from jobs.errors import UsageError
from jobs.study import (
    FACTOR_MODELS,
    StudyDefinition,
    data_stamp,
    day0_moves,
    missing_prices,
    observations,
    raise_if_missing,
    required_spans,
    select_events,
)
from storage.errors import StoreError
from storage.sources.base import PriceSource
from storage.store import Store


def package_version() -> str:
    try:
        return metadata.version("market-reaction")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


@dataclass(frozen=True)
class StudyRun:
    """One run of a study: its id, definition, data stamp and one engine result per benchmark.

    ``results[benchmark]`` is a :class:`backtest.EventStudyResult`; the first
    benchmark of the definition is the main one. In Jupyter the object renders
    as tables; :meth:`plot` draws the CAR chart.
    """

    run_id: str
    definition: StudyDefinition
    created_at: dt.datetime
    package_version: str
    input_hash: str
    stamp: list[dict[str, Any]]
    observations: pl.DataFrame
    moves: pl.DataFrame
    results: dict[str, Any]
    events: pl.DataFrame = field(default_factory=pl.DataFrame)
    prices: pl.DataFrame = field(default_factory=pl.DataFrame)
    catalog: pl.DataFrame = field(default_factory=pl.DataFrame)
    actions: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def benchmark(self) -> str:
        return self.definition.model.benchmarks[0]

    @property
    def main(self) -> Any:
        """The engine result on the main benchmark."""
        return self.results[self.benchmark]

    def summary(self) -> str:
        lines = [
            f"study {self.definition.study.id} run {self.run_id} ({self.package_version}), "
            f"inputs {self.input_hash[:12]}"
        ]
        for bench, res in self.results.items():
            lines.append(f"--- benchmark {bench} ---")
            lines.append(res.summary())
        return "\n".join(lines)

    def warnings(self) -> list[str]:
        from jobs.report.warnings import study_warnings

        return study_warnings(self)

    def plot(self, event_id: str | None = None, ticker: str | None = None) -> Any:
        """The CAR path with its 95% band (one observation), or the CAAR path (all)."""
        from jobs.report.charts import car_figure

        return car_figure(self, event_id=event_id, ticker=ticker)

    def _repr_html_(self) -> str:
        from jobs.report.markdown import html_tables

        return html_tables(self)

    def to_json(self) -> dict[str, Any]:
        from jobs.report.jsondoc import json_document

        return json_document(self)


def _run_id(study_id: str, created: dt.datetime, input_hash: str) -> str:
    return f"{study_id}-{created.strftime('%Y%m%dT%H%M%S%fZ')}-{input_hash[:8]}"


def run_study(
    store: Store,
    definition: StudyDefinition,
    *,
    now: dt.datetime,
    offline: bool = False,
    source: PriceSource | None = None,
    calendar: SessionCalendar | None = None,
    save: bool = True,
    registered: bool = False,
    recent_sessions: int = 5,
    on_message: Callable[[str], None] | None = None,
) -> StudyRun:
    """Run a study on the store's data and (by default) store the results.

    Prices the study needs but the store lacks are fetched from ``source``
    unless ``offline``; if they are still missing, :class:`MissingDataError`
    says which tickers and dates and how to import them.
    """
    cal = calendar or nyse()
    say = on_message or (lambda _m: None)
    loading.ensure_seeded(store)
    catalog_ids: Sequence[str] = ()
    if definition.select.catalog is not None:
        from events import load_catalog

        catalog_events = load_catalog(definition.select.catalog)
        loading.store_events(store, catalog_events, catalog=str(definition.select.catalog))
        catalog_ids = [e.id for e in catalog_events]
    selected = select_events(definition, store.events(), catalog_ids)
    if selected.height == 0:
        raise UsageError(
            f"study {definition.study.id!r} selects no events; check its [select] filters "
            "against 'reaction events list'"
        )
    obs = observations(definition, selected)
    last_completed = cal.latest_completed_session(now)
    sessions = cal.sessions_in_range(dt.date(1990, 1, 2), last_completed)
    required = required_spans(obs, definition, sessions, last_completed)
    missing = missing_prices(required, store.coverage())
    if missing.height and not offline:
        if source is None:
            from storage.sources.yahoo import YahooSource

            source = YahooSource()
        say(f"fetching prices for {', '.join(missing.get_column('ticker').to_list())}")
        unreachable = 0
        for r in missing.iter_rows(named=True):
            if unreachable >= 2:
                say("two tickers in a row could not be fetched (network?): not trying the others")
                break
            outcome = loading.fetch_ticker(
                store,
                source,
                r["ticker"],
                end=last_completed,
                default_start=r["from"],
                recent_sessions=recent_sessions,
                calendar=cal,
            )
            if outcome.error:
                say(f"{r['ticker']}: {outcome.error}")
            unreachable = unreachable + 1 if outcome.transient else 0
        missing = missing_prices(required, store.coverage())
    raise_if_missing(missing, fetched=not offline)
    from backtest import EventStudyConfig, run_event_study, total_returns

    tickers = required.get_column("ticker").to_list()
    start = required.get_column("start").min()
    prices = store.prices(tickers, start=start, end=last_completed)  # type: ignore[arg-type]
    actions = store.actions(tickers)
    actions = actions.filter(pl.col("date").is_between(start, last_completed))
    spec = definition.model
    factors = None
    if spec.name in FACTOR_MODELS:
        factors = store.factors(start, last_completed)  # type: ignore[arg-type]
        if factors.height == 0:
            raise UsageError(
                f"model {spec.name!r} needs Fama-French factors: 'reaction factors import FILE' "
                "or 'reaction factors fetch'"
            )
    returns = total_returns(prices, actions)
    engine_factors = factors.drop("source", "loaded_at") if factors is not None else None
    catalog = store.event_tickers().select("event_id", "ticker", "day0", "category")
    engine_events = obs.select("event_id", "ticker", "day0", "category")
    session_dates = [d for d in sessions if d >= start]  # type: ignore[operator]
    results: dict[str, Any] = {}
    for bench in spec.benchmarks:
        config = EventStudyConfig(
            model=spec.name,
            benchmark=bench,
            estimation_start=spec.estimation.start,
            estimation_end=spec.estimation.end,
            min_obs=spec.estimation.min_obs,
            windows=spec.windows,
            variance_denominator=spec.variance_denominator,
            return_kind=spec.return_kind,
            clean_estimation=spec.clean_estimation,
        )
        results[bench] = run_event_study(
            engine_events,
            returns,
            config=config,
            factors=engine_factors,
            sessions=session_dates,
            catalog=catalog,
        )
    stamp, input_hash = data_stamp(prices, actions, factors, obs, definition, catalog)
    created = now.astimezone(dt.UTC)
    run = StudyRun(
        run_id=_run_id(definition.study.id, created, input_hash),
        definition=definition,
        created_at=created,
        package_version=package_version(),
        input_hash=input_hash,
        stamp=stamp,
        observations=obs,
        moves=day0_moves(obs, prices),
        results=results,
        events=selected,
        prices=prices.select("ticker", "date", "open", "close"),
        catalog=catalog.select("event_id", "day0").unique(maintain_order=True),
        actions=actions.select("ticker", "date", "kind", "value"),
    )
    if save:
        save_run(store, run, registered=registered)
    return run


# -- persistence ----------------------------------------------------------------------------------

_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "event_diagnostics": (
        "event_id",
        "ticker",
        "day0",
        "status",
        "model",
        "alpha",
        "beta",
        "r2",
        "sigma",
        "n_est",
        "n_dropped_clean",
        "dof",
        "params",
        "confounded_by",
        "timing",
        "own",
        "gap",
        "open_to_close",
        "close_to_close",
    ),
    "abnormal_returns": (
        "event_id",
        "ticker",
        "rel_day",
        "date",
        "ret",
        "expected",
        "ar",
        "var_ar",
        "t",
        "p",
    ),
    "cars": (
        "event_id",
        "ticker",
        "start",
        "end",
        "status",
        "car",
        "var_car",
        "car_t",
        "car_p",
        "bhar",
        "bhar_model",
        "confounded_by",
    ),
    "car_paths": ("event_id", "ticker", "rel_day", "car", "var_car"),
    "aar": ("rel_day", "n", "aar", "caar", "t", "p"),
    "tests": (
        "start",
        "end",
        "test",
        "n",
        "caar",
        "mean_bhar",
        "stat",
        "p",
        "distribution",
        "note",
    ),
}


def _clean_floats(frame: pl.DataFrame) -> pl.DataFrame:
    floats = [c for c, t in frame.schema.items() if t in (pl.Float64, pl.Float32)]
    return frame.with_columns(
        [pl.when(pl.col(c).is_nan()).then(None).otherwise(pl.col(c)).alias(c) for c in floats]
    )


def tests_with_df(tests: pl.DataFrame) -> pl.DataFrame:
    """The engine's tests with ``distribution`` spelled with its degrees of freedom, e.g. ``t(52)``."""
    if "df" not in tests.columns:
        return tests
    return tests.with_columns(
        pl.when(pl.col("df").is_not_null())
        .then(pl.format("{}({})", pl.col("distribution"), pl.col("df").round(0).cast(pl.Int64)))
        .otherwise(pl.col("distribution"))
        .alias("distribution")
    )


def result_frames(run: StudyRun, benchmark: str) -> dict[str, pl.DataFrame]:
    """The engine's frames for one benchmark, shaped like the stored tables."""
    res = run.results[benchmark]
    diag = res.diagnostics.join(
        run.observations.select("event_id", "ticker", "timing", "own"),
        on=["event_id", "ticker"],
        how="left",
    ).join(
        run.moves.select("event_id", "ticker", "gap", "open_to_close", "close_to_close"),
        on=["event_id", "ticker"],
        how="left",
    )
    param_cols = [c for c in diag.columns if c.startswith("param_")]
    if "params" not in diag.columns:
        if param_cols:
            diag = diag.with_columns(
                pl.struct(param_cols)
                .map_elements(
                    lambda s: json.dumps({k.removeprefix("param_"): v for k, v in s.items()}),
                    return_dtype=pl.String,
                )
                .alias("params")
            )
        else:
            diag = diag.with_columns(pl.lit(None, pl.String).alias("params"))
    elif diag.schema["params"] != pl.String:
        diag = diag.with_columns(
            pl.col("params").map_elements(lambda s: json.dumps(s), return_dtype=pl.String)
        )
    frames = {
        "event_diagnostics": diag,
        "abnormal_returns": res.ar,
        "cars": res.car,
        "car_paths": res.car_path,
        "aar": res.aar,
        "tests": tests_with_df(res.tests),
    }
    out: dict[str, pl.DataFrame] = {}
    for name, frame in frames.items():
        cols = [c for c in _TABLE_COLUMNS[name] if c in frame.columns]
        shaped = frame.select(cols)
        for c in _TABLE_COLUMNS[name]:
            if c not in shaped.columns:
                shaped = shaped.with_columns(pl.lit(None).alias(c))
        out[name] = _clean_floats(
            shaped.select(_TABLE_COLUMNS[name]).with_columns(
                pl.lit(run.run_id).alias("run_id"), pl.lit(benchmark).alias("benchmark")
            )
        )
    return out


def insert_frames(
    con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], *, what: str
) -> None:
    """Append each frame to the table of its name (columns by name), inside ``con``'s transaction."""
    for table, frame in frames.items():
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.register("_frame", frame)
        try:
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _frame")
        except duckdb.Error as exc:
            raise StoreError(f"could not store {what} ({table}): {exc}") from exc
        finally:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it too
                con.unregister("_frame")


def save_run(store: Store, run: StudyRun, *, registered: bool = False) -> None:
    """Store a run with its configuration, version, data stamp and every result frame."""
    ok = run.main.diagnostics.filter(pl.col("status") == "ok").height
    with store.transaction() as con:
        con.execute(
            "INSERT INTO study_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                run.definition.study.id,
                run.definition.study.title,
                run.created_at,
                run.package_version,
                run.definition.model.name,
                list(run.definition.model.benchmarks),
                run.definition.canonical_json(),
                json.dumps(run.stamp),
                run.input_hash,
                run.observations.height,
                ok,
                registered,
            ],
        )
        for bench in run.results:
            insert_frames(con, result_frames(run, bench), what=f"run {run.run_id}")
        if registered:
            con.execute(
                "UPDATE studies SET last_run_id = ?, last_input_hash = ? WHERE study_id = ?",
                [run.run_id, run.input_hash, run.definition.study.id],
            )


def list_runs(store: Store, limit: int = 20) -> pl.DataFrame:
    """The latest stored runs, newest first."""
    return store.query(
        "SELECT run_id, study_id, created_at, model, benchmarks, n_observations, n_ok, input_hash "
        "FROM study_runs ORDER BY created_at DESC LIMIT ?",
        [limit],
    )


def load_run_frames(store: Store, run_id: str) -> dict[str, pl.DataFrame]:
    """A stored run's rows, table by table (``study_runs`` row included)."""
    head = store.query("SELECT * FROM study_runs WHERE run_id = ?", [run_id])
    if head.height == 0:
        raise UsageError(f"no stored run {run_id!r}; 'reaction study runs' lists them")
    frames = {"study_runs": head}
    for table in _TABLE_COLUMNS:
        frames[table] = store.query(
            f"SELECT * FROM {table} WHERE run_id = ? ORDER BY ALL", [run_id]
        )
    return frames


def finite_or_none(value: Any) -> Any:
    """Plain JSON numbers: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
