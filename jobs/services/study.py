"""Running a study end to end: data in place, the engine, stored results, a run object.

``run_study`` is the Python API (``from jobs import run_study``); the CLI's
``reaction study``, the backtest service and the refresh's recompute call it too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import polars as pl

from backtest.models import needs_factors
from events import SessionCalendar, nyse
from jobs.answer import answer_observations, build_answer
from jobs.definitions.study import StudyDefinition
from jobs.errors import UsageError
from jobs.groups import measure_groups, resolve_groups
from jobs.report.study.notebook import NotebookStudyRun
from jobs.runs import TABLE_COLUMNS, StudyRun, package_version, result_frames
from jobs.services import ingest
from jobs.services.inputs import (
    data_stamp,
    day0_moves,
    missing_prices,
    observations,
    raise_if_missing,
    required_spans,
    select_events,
)
from jobs.warnings import study_warnings
from storage.errors import StoreError
from storage.sources.base import PriceSource
from storage.store import Store


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
    ingest.ensure_seeded(store)
    catalog_ids: Sequence[str] = ()
    if definition.select.catalog is not None:
        from events import load_catalog

        catalog_events = load_catalog(definition.select.catalog)
        ingest.store_events(store, catalog_events, catalog=str(definition.select.catalog))
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
            outcome = ingest.fetch_ticker(
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
    if needs_factors(spec.name):
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
    configs: dict[str, Any] = {}
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
        configs[bench] = config
        results[bench] = run_event_study(
            engine_events,
            returns,
            config=config,
            factors=engine_factors,
            sessions=session_dates,
            catalog=catalog,
        )
    # -- groups and the answer (jobs.groups, jobs.answer) ------------------------------------
    main_bench = spec.benchmarks[0]

    def engine(events: pl.DataFrame, windows: Sequence[tuple[int, int]]) -> Any:
        """The main benchmark's engine on some groups' observations (a ``group`` column: one
        call for a family of disjoint groups)."""
        wanted = [*events.get_column("ticker").unique().to_list(), main_bench]
        return run_event_study(
            events,
            returns.filter(pl.col("ticker").is_in(wanted)),
            config=configs[main_bench].model_copy(update={"windows": tuple(windows)}),
            factors=engine_factors,
            sessions=session_dates,
            catalog=catalog,
        )

    answer_events = answer_observations(definition, obs)[0].get_column("event_id").unique()
    groups = measure_groups(
        resolve_groups(definition, obs, selected, extra_events=answer_events.to_list()),
        study_observations=obs.height,
        main=results[main_bench],
        windows=spec.windows,
        engine=engine,
        grouped=True,
    )
    answer = build_answer(definition, obs, results[main_bench], groups)
    # -----------------------------------------------------------------------------------------
    stamp, input_hash = data_stamp(prices, actions, factors, obs, definition, catalog)
    created = now.astimezone(dt.UTC)
    catalog_days = catalog.select("event_id", "day0").unique(maintain_order=True)
    run = NotebookStudyRun(
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
        catalog=catalog_days,
        actions=actions.select("ticker", "date", "kind", "value"),
        warnings=tuple(
            study_warnings(
                results[main_bench], obs, selected, catalog_days, main_window=definition.main_window
            )
        ),
        groups=groups,
        answer=answer,
    )
    if save:
        save_run(store, run, registered=registered)
    return run


# -- persistence ----------------------------------------------------------------------------------


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
    for table in TABLE_COLUMNS:
        frames[table] = store.query(
            f"SELECT * FROM {table} WHERE run_id = ? ORDER BY ALL", [run_id]
        )
    return frames
