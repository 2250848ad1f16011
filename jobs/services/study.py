"""Running a study end to end: data in place, the engine, stored results, a run object.

``run_study`` is the Python API (``from jobs import run_study``); the CLI's
``reaction study``, the backtest service and the refresh's recompute call it too.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl

from backtest.models import needs_factors
from events import SessionCalendar, nyse
from jobs.answer import answer_observations, build_answer
from jobs.definitions.study import StudyDefinition
from jobs.errors import UsageError
from jobs.groups import daily_windows, every_daily_test, measure_groups, resolve_groups
from jobs.report.study.notebook import NotebookStudyRun
from jobs.run_tables import stored_tables
from jobs.runs import MeasureResult, StudyRun, package_version
from jobs.services import ingest
from jobs.services.inputs import (
    data_stamp,
    day0_moves,
    missing_prices,
    observations,
    past_last_session,
    raise_if_missing,
    required_spans,
    select_events,
)
from jobs.services.measures import measure_extras
from jobs.services.registry import is_registered
from jobs.services.timing import policy_catalog, policy_events
from jobs.warnings import study_warnings
from storage.errors import NotFoundError
from storage.repos.study_runs import StudyRunRecord
from storage.session import OpenStore
from storage.sources.base import PriceSource
from storage.store import Store

#: What the engine imports on its first use (about 0.2 s on a 2-core machine; scipy.special
#: alone 0.13 s): :func:`_warm_engine` imports them while the store is read.
ENGINE_MODULES = ("backtest.engine", "scipy.special")


def _warm_engine() -> threading.Thread:
    """Import :data:`ENGINE_MODULES` on a second thread; join it before the engine runs.

    DuckDB reads the inputs without holding the GIL, so the imports (Python code, which
    holds it) fill that time instead of following it. The two threads import at the same
    time only while the store is read; the import system's per-module locks serialise a
    module both want, and without import cycles they cannot deadlock. A failed import is
    left for the main thread to repeat and raise, with its own traceback.
    """

    def warm() -> None:
        for name in ENGINE_MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # the main thread imports it again and raises
                return

    thread = threading.Thread(target=warm, name="warm-engine", daemon=True)
    thread.start()
    return thread


def _run_id(study_id: str, created: dt.datetime, input_hash: str) -> str:
    return f"{study_id}-{created.strftime('%Y%m%dT%H%M%S%fZ')}-{input_hash[:8]}"


@dataclass(frozen=True)
class _Inputs:
    """Everything a study reads from the store, read in one snapshot."""

    selected: pl.DataFrame
    obs: pl.DataFrame
    required: pl.DataFrame
    prices: pl.DataFrame
    actions: pl.DataFrame
    factors: pl.DataFrame | None
    catalog: pl.DataFrame
    provenance: pl.DataFrame  # per ticker: loaded_at, source (MarketRepo.price_provenance)


def run_study(
    store: Store,
    definition: StudyDefinition,
    *,
    now: dt.datetime,
    offline: bool = False,
    source: PriceSource | None = None,
    calendar: SessionCalendar | None = None,
    save: bool = True,
    registered: bool | None = False,
    recent_sessions: int = 5,
    seed: bool = True,
    on_message: Callable[[str], None] | None = None,
    while_storing: Callable[[StudyRun], None] | None = None,
) -> StudyRun:
    """Run a study on the store's data and (by default) store the results.

    Prices the study needs but the store lacks are fetched from ``source``
    unless ``offline``; if they are still missing, :class:`MissingDataError`
    says which tickers and dates and how to import them. Every input is read in
    one transaction (a concurrent refresh can neither fail nor skew the study);
    the store is not held while the engine runs. ``registered`` marks the stored run as
    the registered study's (it then feeds the ``latest_*`` views); ``None`` looks it up:
    whether ``definition`` is exactly a registered study.

    ``while_storing`` is called with the finished run while a second thread stores it
    (DuckDB writes without holding the GIL): work that needs the run but not the store,
    such as building the report files. Its error, else the store's, is raised once both
    are done; without ``save`` it is simply called.
    """
    warming = _warm_engine()
    cal = calendar or nyse()
    say = on_message or (lambda _m: None)
    last_completed = cal.latest_completed_session(now)
    sessions = cal.sessions_in_range(dt.date(1990, 1, 2), last_completed)
    with store.open(write=True) as db:
        ingest.prepare(db, seed=seed, calendar=cal)
        mark = is_registered(db, definition) if registered is None else registered
        catalog_ids: Sequence[str] = ()
        if definition.select.catalog is not None:
            from events import load_catalog

            catalog_events = load_catalog(definition.select.catalog)
            done = ingest.import_events(
                db, catalog_events, catalog=str(definition.select.catalog), calendar=cal
            )
            linked = dict(done.links)  # a duplicate of a stored event: that event
            catalog_ids = list(dict.fromkeys(linked.get(e.id, e.id) for e in catalog_events))
        with db.transaction():
            selected, obs, required, missing = _plan(
                db, definition, catalog_ids, sessions, last_completed
            )
            inputs = (
                None
                if missing.height
                else _read(db, definition, selected, obs, required, last_completed)
            )
    if inputs is None:
        if not offline:
            _fetch_missing(store, missing, source, last_completed, recent_sessions, cal, say)
        with store.open() as db:
            selected, obs, required, missing = _plan(
                db, definition, catalog_ids, sessions, last_completed
            )
            raise_if_missing(
                missing,
                fetched=not offline,
                note=past_last_session(obs, definition, sessions, last_completed),
            )
            inputs = _read(db, definition, selected, obs, required, last_completed)
    warming.join()
    run = _compute(definition, inputs, sessions, now)
    if not save:
        if while_storing is not None:
            while_storing(run)
        return run
    if while_storing is None:
        save_run(store, run, registered=mark)
        return run
    stored_tables(run)  # shaped once, here: the store and the report files both read them
    with ThreadPoolExecutor(1, thread_name_prefix="store-run") as pool:
        saving = pool.submit(save_run, store, run, registered=mark)
        while_storing(run)  # if it fails, leaving the block still waits for the store
        saving.result()
    return run


def _plan(
    db: OpenStore,
    definition: StudyDefinition,
    catalog_ids: Sequence[str],
    sessions: Sequence[dt.date],
    last_completed: dt.date,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The selected events, the observations, the spans they need and what is missing."""
    events = policy_events(db.events.frame(), definition.model.timing_policy)
    selected = select_events(_resolve_aliases(db, definition), events, catalog_ids)
    if selected.height == 0:
        raise UsageError(
            f"study {definition.study.id!r} selects no events; check its [select] filters "
            "against 'reaction events list'"
        )
    obs = observations(definition, selected)
    required = required_spans(obs, definition, sessions, last_completed)
    return selected, obs, required, missing_prices(required, db.market.coverage())


def _resolve_aliases(db: OpenStore, definition: StudyDefinition) -> StudyDefinition:
    """``select.events`` with ids of linked duplicates replaced by the events they are."""
    wanted = definition.select.events
    aliases = {a.alias_id: a.event_id for a in db.events.aliases()} if wanted else {}
    if not any(e in aliases for e in wanted):
        return definition
    ids = tuple(dict.fromkeys(aliases.get(e, e) for e in wanted))
    return definition.model_copy(
        update={"select": definition.select.model_copy(update={"events": ids})}
    )


def _read(
    db: OpenStore,
    definition: StudyDefinition,
    selected: pl.DataFrame,
    obs: pl.DataFrame,
    required: pl.DataFrame,
    last_completed: dt.date,
) -> _Inputs:
    tickers = required.get_column("ticker").to_list()
    start: dt.date = required.get_column("start").min()  # type: ignore[assignment]
    factors = None
    if needs_factors(definition.model.name):
        factors = db.market.factors(start, last_completed)
        if factors.height == 0:
            raise UsageError(
                f"model {definition.model.name!r} needs Fama-French factors: "
                "'reaction factors import FILE' or 'reaction factors fetch'"
            )
    return _Inputs(
        selected=selected,
        obs=obs,
        required=required,
        prices=db.market.prices(tickers, start=start, end=last_completed, provenance=False),
        provenance=db.market.price_provenance(tickers, start=start, end=last_completed),
        actions=db.market.actions(tickers, start=start, end=last_completed),
        factors=factors,
        catalog=_catalog(db, definition),
    )


def _catalog(db: OpenStore, definition: StudyDefinition) -> pl.DataFrame:
    """Every catalog event x ticker, dated by the study's timing policy."""
    catalog = db.events.catalog().select("event_id", "ticker", "day0", "category")
    if definition.model.timing_policy == "infer":
        return catalog
    events = policy_events(db.events.frame(), definition.model.timing_policy)
    return policy_catalog(catalog, events)


def _fetch_missing(
    store: Store,
    missing: pl.DataFrame,
    source: PriceSource | None,
    last_completed: dt.date,
    recent_sessions: int,
    cal: SessionCalendar,
    say: Callable[[str], None],
) -> None:
    """Fetch the missing tickers; stop after two unreachable ones in a row (no network)."""
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


def _compute(
    definition: StudyDefinition, inputs: _Inputs, sessions: Sequence[dt.date], now: dt.datetime
) -> StudyRun:
    """The engine on every benchmark, and the run object.

    The data stamp (a SHA-256 of every input value: about 200 MB for 3 million price rows)
    and the day-0 moves depend on the inputs alone, so they are computed on a second thread
    while the engine runs (hashlib, numpy and polars release the GIL for their loops).
    """
    with ThreadPoolExecutor(1, thread_name_prefix="study-inputs") as pool:
        stamped = pool.submit(
            data_stamp,
            inputs.prices,
            inputs.actions,
            inputs.factors,
            inputs.obs,
            definition,
            inputs.catalog,
            provenance=inputs.provenance,
        )
        moved = pool.submit(day0_moves, inputs.obs, inputs.prices)
        return _measured(definition, inputs, sessions, now, stamped, moved)


def _measured(
    definition: StudyDefinition,
    inputs: _Inputs,
    sessions: Sequence[dt.date],
    now: dt.datetime,
    stamped: Future[tuple[list[dict[str, Any]], str]],
    moved: Future[pl.DataFrame],
) -> StudyRun:
    from backtest import EventStudyConfig, run_event_study, total_returns

    spec = definition.model
    start: dt.date = inputs.required.get_column("start").min()  # type: ignore[assignment]
    prices, actions, factors, obs = inputs.prices, inputs.actions, inputs.factors, inputs.obs
    returns = total_returns(prices, actions)
    engine_factors = factors.drop("source", "loaded_at") if factors is not None else None
    engine_events = obs.select("event_id", "ticker", "day0", "category")
    session_dates = [d for d in sessions if d >= start]
    results: dict[str, Any] = {}
    configs: dict[str, Any] = {}
    measures: dict[str, MeasureResult] = {}
    main_daily: pl.DataFrame | None = None  # the main run's tests on its one-day windows
    for bench in spec.benchmarks:
        config = EventStudyConfig(
            model=spec.name,
            benchmark=bench,
            estimation_start=spec.estimation.start,
            estimation_end=spec.estimation.end,
            min_obs=spec.estimation.min_obs,
            windows=spec.windows,
            return_kind=spec.return_kind,
            clean_estimation=spec.clean_estimation,
            conventions=spec.conventions,
            replications=spec.replications,
            seed=spec.seed,
            # the eventstudy conventions fix it (ddof 0)
            **(
                {"variance_denominator": spec.variance_denominator}
                if spec.conventions != "eventstudy"
                else {}
            ),
        )
        configs[bench] = config
        if bench == spec.benchmarks[0] and len(definition.measure.measures) > 1:
            results[bench], measures = measure_extras(
                definition.measure.measures,
                config,
                events=engine_events,
                prices=prices,
                returns=returns,
                factors=engine_factors,
                sessions=session_dates,
                catalog=inputs.catalog,
            )
            continue
        if bench == spec.benchmarks[0] and every_daily_test(definition, obs.height):
            # every test on every day as well: one run on the windows and the one-day windows
            wide = run_event_study(
                engine_events,
                returns,
                config=config.model_copy(update={"windows": daily_windows(spec.windows)}),
                factors=engine_factors,
                sessions=session_dates,
                catalog=inputs.catalog,
            )
            main_daily = wide.tests
            results[bench] = wide.on_windows(config.windows)
            continue
        results[bench] = run_event_study(
            engine_events,
            returns,
            config=config,
            factors=engine_factors,
            sessions=session_dates,
            catalog=inputs.catalog,
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
            catalog=inputs.catalog,
        )

    answer_events = answer_observations(definition, obs)[0].get_column("event_id").unique()
    groups = measure_groups(
        resolve_groups(definition, obs, inputs.selected, extra_events=answer_events.to_list()),
        study_observations=obs.height,
        main=results[main_bench],
        windows=spec.windows,
        engine=engine,
        grouped=True,
        main_daily=main_daily,
    )
    answer = build_answer(definition, obs, results[main_bench], groups, measures=measures)
    spillover = (
        _spillover(
            definition,
            inputs,
            results,
            returns,
            session_dates,
            engine,
            configs[main_bench],
            engine_factors,
        )
        if definition.roles is not None
        else None
    )
    # -----------------------------------------------------------------------------------------
    stamp, input_hash = stamped.result()
    created = now.astimezone(dt.UTC)
    catalog_days = inputs.catalog.select("event_id", "day0").unique(maintain_order=True)
    return NotebookStudyRun(
        run_id=_run_id(definition.study.id, created, input_hash),
        definition=definition,
        created_at=created,
        package_version=package_version(),
        input_hash=input_hash,
        stamp=stamp,
        observations=obs,
        moves=moved.result(),
        results=results,
        events=inputs.selected,
        prices=prices.select("ticker", "date", "open", "close"),
        catalog=catalog_days,
        actions=actions.select("ticker", "date", "kind", "value"),
        warnings=tuple(
            study_warnings(
                results[main_bench],
                obs,
                inputs.selected,
                catalog_days,
                main_window=definition.main_window,
            )
        ),
        groups=groups,
        answer=answer,
        measures=measures,
        spillover=spillover,
    )


def _spillover(
    definition: StudyDefinition,
    inputs: _Inputs,
    results: dict[str, Any],
    returns: pl.DataFrame,
    sessions: Sequence[dt.date],
    group_engine: Any,
    config: Any,
    factors: pl.DataFrame | None,
) -> Any:
    """The spillover measures of a study with ``[roles]`` (:mod:`jobs.spillover`)."""
    from backtest import run_event_study
    from jobs.spillover.measure import measure_spillover
    from jobs.spillover.roles import assign_roles

    assert definition.roles is not None
    bench = definition.model.benchmarks[0]

    def portfolio_engine(events: pl.DataFrame, extra: pl.DataFrame, catalog: pl.DataFrame) -> Any:
        market = returns.filter(pl.col("ticker") == bench).select("ticker", "date", "ret")
        return run_event_study(
            events,
            pl.concat([market, extra.select("ticker", "date", pl.col("ret").cast(pl.Float64))]),
            config=config,
            factors=factors,
            sessions=sessions,
            catalog=catalog,
        )

    return measure_spillover(
        definition,
        inputs.obs,
        assign_roles(definition.roles, inputs.selected),
        results,
        returns=returns,
        catalog=inputs.catalog,
        sessions=sessions,
        group_engine=group_engine,
        portfolio_engine=portfolio_engine,
    )


# -- persistence ----------------------------------------------------------------------------------


def run_record(run: StudyRun, *, registered: bool) -> StudyRunRecord:
    """The ``study_runs`` row of a run."""
    return StudyRunRecord(
        run_id=run.run_id,
        study_id=run.definition.study.id,
        title=run.definition.study.title,
        created_at=run.created_at,
        package_version=run.package_version,
        model=run.definition.model.name,
        benchmarks=tuple(run.definition.model.benchmarks),
        definition=run.definition.canonical_json(),
        data_stamp=json.dumps(run.stamp),
        input_hash=run.input_hash,
        n_observations=run.observations.height,
        n_ok=run.main.diagnostics.filter(pl.col("status") == "ok").height,
        registered=registered,
    )


def save_run(store: Store, run: StudyRun, *, registered: bool = False) -> None:
    """Store a run with its configuration, version, data stamp and every result frame."""
    with store.open(write=True) as db:
        db.write_through()  # one commit of every result table: written once, not twice
        with db.transaction():
            db.study_runs.insert(
                run_record(run, registered=registered),
                stored_tables(run),
            )
            if run.spillover is not None:
                from jobs.spillover.frames import store_frames

                db.spillover.insert(run.run_id, store_frames(run.spillover))
            if registered:
                db.studies.set_last_run(
                    run.definition.study.id, run_id=run.run_id, input_hash=run.input_hash
                )


def list_runs(store: Store, limit: int = 20) -> pl.DataFrame:
    """The latest stored runs, newest first."""
    with store.open() as db:
        records = db.study_runs.list(limit)
    columns = (
        "run_id",
        "study_id",
        "created_at",
        "model",
        "benchmarks",
        "n_observations",
        "n_ok",
        "input_hash",
    )
    return pl.DataFrame(
        [{c: getattr(r, c) for c in columns} for r in records],
        schema={
            "run_id": pl.String,
            "study_id": pl.String,
            "created_at": pl.Datetime("us", "UTC"),
            "model": pl.String,
            "benchmarks": pl.List(pl.String),
            "n_observations": pl.Int64,
            "n_ok": pl.Int64,
            "input_hash": pl.String,
        },
    )


def load_run_frames(store: Store, run_id: str) -> dict[str, pl.DataFrame]:
    """A stored run's rows, table by table (``study_runs`` row included)."""
    try:
        with store.open() as db:
            return db.study_runs.load_frames(run_id)
    except NotFoundError as exc:
        raise UsageError(f"no stored run {run_id!r}; 'reaction study runs' lists them") from exc
