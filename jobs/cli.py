"""The ``reaction`` command line: thin wrappers over :mod:`jobs`.

Every command exits non-zero on failure and prints errors as one sentence on
stderr (the traceback only with ``--debug``). Machine-readable output
(``--json``) goes to stdout; progress and messages go to stderr.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from events import CATEGORIES, Event, EventError, load_catalog, parse_event, read_event_csv
from jobs import loading
from jobs.errors import JobError, UsageError
from jobs.settings import Settings, load_settings
from storage.errors import StorageError
from storage.store import Store

app = typer.Typer(
    name="reaction",
    help="Event studies of market reactions: events, prices, abnormal returns, tests, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _DefaultRun(TyperGroup):
    """A group whose default subcommand is ``run``: ``reaction study [FILE] [options]``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


study_app = typer.Typer(
    cls=_DefaultRun,
    help="Run event studies (default: the seed study), register them for the daily refresh, list runs.",
)
events_app = typer.Typer(help="The event catalog: list, show, import, add.", no_args_is_help=True)
prices_app = typer.Typer(
    help="Daily prices: fetch from Yahoo or import files.", no_args_is_help=True
)
factors_app = typer.Typer(help="Fama-French factor returns.", no_args_is_help=True)
app.add_typer(study_app, name="study")
app.add_typer(events_app, name="events")
app.add_typer(prices_app, name="prices")
app.add_typer(factors_app, name="factors")

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 160)


class _State:
    settings: Settings
    debug: bool = False


STATE = _State()


def known_errors() -> tuple[type[BaseException], ...]:
    """Our own error bases: printed as one sentence; anything else is a bug (traceback)."""
    errors: list[type[BaseException]] = [EventError, StorageError, JobError, ValidationError]
    try:
        from backtest.errors import BacktestError

        errors.append(BacktestError)
    except ImportError:  # pragma: no cover - backtest always ships
        pass
    return tuple(errors)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error sentence and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def run_guarded(func: Callable[[], Any]) -> Any:
    """Run a command body, turning our errors into one sentence and exit code 1."""
    try:
        return func()
    except known_errors() as exc:
        if STATE.debug:
            raise
        message = (
            str(exc).strip().splitlines()[0]
            if not isinstance(exc, ValidationError)
            else _pydantic(exc)
        )
        raise fail(message) from None
    except FileNotFoundError as exc:
        if STATE.debug:
            raise
        raise fail(str(exc)) from None


def _pydantic(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return f"invalid value for {loc}: {first['msg']}"


def open_store(*, seed: bool = True) -> Store:
    """The configured store, created and seeded on first use."""
    s = STATE.settings
    store = Store(
        s.db, lock_timeout=s.lock_timeout, on_wait=lambda m: err.print(m, highlight=False)
    )
    if seed and s.seed:
        loading.ensure_seeded(store)
    else:
        store.init()
    return store


@app.callback()
def _main(
    db: Annotated[
        Path | None,
        typer.Option("--db", help="DuckDB store (default reaction.duckdb; env REACTION_DB)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML settings file (env REACTION_CONFIG).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """market-reaction: how did prices react to events, and is it more than noise?"""
    STATE.debug = debug
    # yfinance logs its own retries and failures; ours are reported as sentences instead
    logging.getLogger("yfinance").setLevel(logging.CRITICAL)
    try:
        STATE.settings = load_settings(config, db=db)
    except (ValidationError, FileNotFoundError) as exc:
        if debug:
            raise
        raise fail(_pydantic(exc) if isinstance(exc, ValidationError) else str(exc)) from None


# -- status ----------------------------------------------------------------------------------


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show the store: path, tickers with their date spans, events and the last loads.

    Example: reaction status --db ~/data/reaction.duckdb
    """

    def body() -> None:
        store = open_store()
        coverage = store.coverage()
        events = store.events()
        loads = store.recent_loads(8)
        if as_json:
            doc = {
                "db": str(store.path),
                "tickers": _records(coverage),
                "events": events.height,
                "loads": _records(loads),
            }
            out.print_json(json.dumps(doc, default=str))
            return
        out.print(
            f"[bold]store[/] {store.path}  ({events.height} events, {coverage.height} tickers)"
        )
        table = Table("ticker", "first", "last", "rows", "source", "last loaded", title="prices")
        for r in coverage.iter_rows(named=True):
            table.add_row(
                r["ticker"],
                str(r["first"]),
                str(r["last"]),
                f"{r['rows']:,}",
                r["source"],
                _ts(r["last_loaded"]),
            )
        out.print(
            table
            if coverage.height
            else "[dim]no prices yet: 'reaction prices fetch' or 'reaction prices import FILE'[/]"
        )
        lt = Table(
            "when", "kind", "target", "ins", "upd", "same", "rej", "outcome", title="last loads"
        )
        for r in loads.iter_rows(named=True):
            lt.add_row(
                _ts(r["finished_at"]),
                r["kind"],
                _short(r["target"]),
                str(r["rows_inserted"]),
                str(r["rows_updated"]),
                str(r["rows_unchanged"]),
                str(r["rows_rejected"]),
                r["outcome"] if not r["error"] else f"{r['outcome']}: {_short(r['error'], 60)}",
            )
        out.print(lt)

    run_guarded(body)


def _ts(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in r.items()}
        for r in frame.iter_rows(named=True)
    ]


# -- events ------------------------------------------------------------------------------------


@events_app.command("list")
def events_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    category: Annotated[
        list[str] | None, typer.Option("--category", "-c", help="Only these categories.")
    ] = None,
    ticker: Annotated[
        list[str] | None, typer.Option("--ticker", "-t", help="Only events on these tickers.")
    ] = None,
) -> None:
    """List events with their day 0 (first session that can reflect the news).

    Example: reaction events list --ticker AMZN --json
    """

    def body() -> None:
        frame = open_store().events()
        if category:
            frame = frame.filter(pl.col("category").is_in(category))
        if ticker:
            wanted = [t.upper() for t in ticker]
            frame = frame.filter(pl.col("tickers").list.eval(pl.element().is_in(wanted)).list.any())
        if as_json:
            rows = [
                {
                    "id": r["event_id"],
                    "title": r["title"],
                    "category": r["category"],
                    "announced": (r["announced_at"] or r["announced_date"]).isoformat(),
                    "timing": r["timing"],
                    "day0": r["day0"].isoformat(),
                    "day0_rule": r["day0_rule"],
                    "timing_assumed": r["timing_assumed"],
                    "tickers": r["tickers"],
                    "tags": r["tags"],
                    "source": r["source"],
                }
                for r in frame.iter_rows(named=True)
            ]
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        table = Table(title=f"{frame.height} events")
        for name in ("id", "day 0", "timing", "category", "tickers"):
            table.add_column(name, no_wrap=True, min_width=10 if name == "day 0" else None)
        table.add_column("title", overflow="ellipsis", no_wrap=True, max_width=60)
        for r in frame.iter_rows(named=True):
            timing = r["timing"] + (" (assumed)" if r["timing_assumed"] else "")
            table.add_row(
                r["event_id"],
                str(r["day0"]),
                timing,
                r["category"],
                ",".join(r["tickers"]),
                _clip(r["title"], 60),
            )
        out.print(table)

    run_guarded(body)


@events_app.command("show")
def events_show(event_id: Annotated[str, typer.Argument(help="The event id.")]) -> None:
    """Show one event in full.

    Example: reaction events show amzn-q3
    """

    def body() -> None:
        frame = open_store().events().filter(pl.col("event_id") == event_id)
        if frame.height == 0:
            raise UsageError(f"no event with id {event_id!r}; 'reaction events list' shows the ids")
        r = frame.row(0, named=True)
        for key in (
            "event_id",
            "title",
            "category",
            "announced_date",
            "announced_at",
            "timing",
            "day0",
            "day0_rule",
            "timing_assumed",
            "tickers",
            "tags",
            "source",
            "catalog",
        ):
            out.print(f"[bold]{key:>15}[/] {r[key]}", highlight=False)

    run_guarded(body)


@events_app.command("import")
def events_import(
    files: Annotated[
        list[Path], typer.Argument(help="TOML catalogs or CSV lists (ticker,date[,timing]).")
    ],
    category: Annotated[
        str, typer.Option(help=f"Category for CSV rows: {', '.join(CATEGORIES)}.")
    ] = "earnings",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag added to CSV rows.")] = None,
) -> None:
    """Import events from catalog files (TOML) or bulk CSV lists.

    Example: reaction events import my-events.toml ../shared/data/earnings_dates.csv
    """

    def body() -> None:
        store = open_store()
        for f in files:
            events: list[Event] = (
                read_event_csv(f, category=category, tags=tag or ())
                if f.suffix.lower() == ".csv"
                else load_catalog(f)
            )
            counts = loading.store_events(store, events, catalog=str(f.absolute()))
            err.print(
                f"{f}: {len(events)} events ({counts.inserted} new, {counts.updated} changed, {counts.unchanged} unchanged)"
            )

    run_guarded(body)


@events_app.command("add")
def events_add(
    event_id: Annotated[str, typer.Option("--id", help="A slug, e.g. amzn-q4-2025.")],
    title: Annotated[str, typer.Option(help="What happened.")],
    category: Annotated[str, typer.Option(help=f"One of {', '.join(CATEGORIES)}.")],
    announced: Annotated[
        str, typer.Option(help="Date (2025-10-30) or aware time (2025-10-30T16:05-04:00).")
    ],
    ticker: Annotated[
        list[str], typer.Option("--ticker", "-t", help="Ticker(s); the first is the primary one.")
    ],
    timing: Annotated[
        str | None, typer.Option(help="before_open, intraday, after_close or unknown.")
    ] = None,
    source: Annotated[str, typer.Option(help="Where the news came from.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Free-form tags.")] = None,
) -> None:
    """Add (or replace) one event.

    Example: reaction events add --id amzn-q3 --title "Amazon Q3" --category earnings --announced 2025-10-30 --timing after_close -t AMZN
    """

    def body() -> None:
        when: dt.date | dt.datetime
        try:
            when = (
                dt.datetime.fromisoformat(announced)
                if "T" in announced
                else dt.date.fromisoformat(announced)
            )
        except ValueError as exc:
            raise UsageError(
                f"--announced {announced!r} is not a date (YYYY-MM-DD) or a time with offset (YYYY-MM-DDTHH:MM-04:00)"
            ) from exc
        data: dict[str, Any] = {
            "id": event_id,
            "title": title,
            "category": category,
            "announced": when,
            "tickers": ticker,
            "source": source,
            "tags": tag or [],
        }
        if timing:
            data["timing"] = timing
        ev = parse_event(data, source="command line", entry=f"event {event_id!r}")
        store = open_store()
        loading.store_events(store, [ev], catalog="command line")
        row = store.events().filter(pl.col("event_id") == ev.id).row(0, named=True)
        err.print(f"added {ev.id}: day 0 {row['day0']} ({row['day0_rule']})")

    run_guarded(body)


# -- prices ------------------------------------------------------------------------------------


@prices_app.command("import")
def prices_import(
    files: Annotated[
        list[Path], typer.Argument(help="CSV or Parquet files (layout recognised by header).")
    ],
    ticker: Annotated[
        str | None, typer.Option(help="Ticker for per-ticker files (default: file name).")
    ] = None,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="Load good rows, report bad ones.")
    ] = False,
) -> None:
    """Import price, dividend or split files: long CSV (date,ticker,open,...), Yahoo CSV, Parquet.

    Example: reaction prices import ../shared/data/prices_daily.csv ../shared/data/dividends.csv
    """

    def body() -> None:
        loads = loading.import_price_files(
            open_store(), files, ticker=ticker, skip_bad_rows=skip_bad_rows
        )
        for fl in loads:
            c = fl.prices + fl.actions
            err.print(
                f"{fl.path}: {fl.layout} layout, {fl.rows_read:,} rows read: {c.inserted:,} inserted, "
                f"{c.updated:,} updated, {c.unchanged:,} unchanged"
                + (f", {len(fl.rejected)} rejected" if fl.rejected else ""),
                highlight=False,
            )
            for line, reason in fl.rejected[:20]:
                err.print(f"  rejected line {line}: {reason}", highlight=False)

    run_guarded(body)


@prices_app.command("fetch")
def prices_fetch(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Tickers (default: the catalog's plus benchmarks).")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First date (YYYY-MM-DD); default: only what is missing.")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(help="Last date (YYYY-MM-DD); default: the last completed session."),
    ] = None,
) -> None:
    """Fetch daily prices from Yahoo Finance: only the sessions not yet stored, plus the last few again.

    Example: reaction prices fetch AMZN NVDA --start 2024-01-01
    """

    def body() -> None:
        from events import nyse
        from storage.sources.yahoo import YahooSource

        s = STATE.settings
        store = open_store()
        cal = nyse()
        last_session = cal.latest_completed_session(dt.datetime.now(dt.UTC))
        end_date = _date_option("--end", end) or last_session
        start_date = _date_option("--start", start)
        names = (
            [t.upper() for t in tickers]
            if tickers
            else loading.tickers_to_track(store, s.benchmarks)
        )
        default_start = s.history_start or dt.date(end_date.year - 10, 1, 1)
        failures = 0

        def report(o: loading.TickerOutcome) -> None:
            nonlocal failures
            if o.error:
                failures += 1
                err.print(f"{o.ticker}: failed: {o.error}", highlight=False)
            elif o.skipped:
                err.print(f"{o.ticker}: {o.skipped}", highlight=False)
            else:
                err.print(
                    f"{o.ticker}: {o.inserted} new, {o.revised} revised ({o.start} .. {o.end})"
                    + (" - new dividend/split, history re-fetched" if o.refetched_history else ""),
                    highlight=False,
                )

        with Progress(
            SpinnerColumn(),
            TextColumn("prices"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task("prices", total=len(names))

            def step(o: loading.TickerOutcome) -> None:
                report(o)
                progress.advance(task)

            loading.fetch_prices(
                store,
                YahooSource(),
                names,
                end=end_date,
                default_start=default_start,
                recent_sessions=s.recent_sessions,
                start=start_date,
                calendar=cal,
                on_ticker=step,
            )
        if failures:
            raise fail(
                f"{failures} of {len(names)} tickers failed; run the command again to retry them"
            )

    run_guarded(body)


def _date_option(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"{name} {value!r} is not a date; use YYYY-MM-DD") from exc


# -- factors -----------------------------------------------------------------------------------


@factors_app.command("import")
def factors_import(
    files: Annotated[
        list[Path],
        typer.Argument(help="Ken French daily CSVs (published, or date,mkt_rf,... in percent)."),
    ],
) -> None:
    """Import Fama-French daily factors (percent in the files, stored as fractions).

    Example: reaction factors import ../shared/data/ff_factors_daily.csv
    """

    def body() -> None:
        counts = loading.import_factor_files(open_store(), files)
        err.print(
            f"{', '.join(map(str, files))}: {counts.inserted:,} inserted, {counts.updated:,} updated, {counts.unchanged:,} unchanged"
        )

    run_guarded(body)


@factors_app.command("fetch")
def factors_fetch() -> None:
    """Download the daily 5-factor and momentum files from the Ken French Data Library.

    Example: reaction factors fetch
    """

    def body() -> None:
        from storage.sources.french import download_french_factors

        store = open_store()
        started = store.clock()
        frame = download_french_factors()
        counts = loading.store_factors(
            store, frame, source="ken-french", started=started, target="Ken French Data Library"
        )
        err.print(
            f"factors: {counts.inserted:,} inserted, {counts.updated:,} updated, {counts.unchanged:,} unchanged"
        )

    run_guarded(body)


# -- study -------------------------------------------------------------------------------------


def _parse_window(text: str) -> tuple[int, int]:
    try:
        a, b = text.split(":")
        return int(a), int(b)
    except ValueError as exc:
        raise UsageError(
            f"--window {text!r} is not START:END in sessions, e.g. -1:1 or 0:10"
        ) from exc


def _with_selection(
    data: dict[str, Any],
    event: list[str] | None,
    ticker: list[str] | None,
    category: list[str] | None,
) -> dict[str, Any]:
    """Apply --event (replaces the selection), --category and --ticker (measure only these)."""
    if event:
        data["select"] = {"events": list(event)}
    if category:
        data["select"]["categories"] = list(category)
    if ticker:
        data["measure"] = {"tickers": [t.upper() for t in ticker], "own_tickers": False}
    return data


def _definition(
    file: Path | None,
    event: list[str] | None,
    ticker: list[str] | None,
    category: list[str] | None,
    model: str | None,
    benchmark: list[str] | None,
    window: list[str] | None,
) -> Any:
    from jobs.study import load_study, parse_study, seed_study

    definition = load_study(file) if file is not None else seed_study()
    data = _with_selection(
        definition.model_dump(mode="python", by_alias=True), event, ticker, category
    )
    if any((event, ticker, category, model, benchmark, window)):
        # an ad-hoc variant gets its own id, so it neither overwrites the study's reports
        # nor passes for the registered study's latest run
        data["study"]["id"] = f"{definition.study.id}-adhoc"
    if model:
        data["model"]["name"] = model
    if benchmark:
        data["model"]["benchmarks"] = [b.upper() for b in benchmark]
    if window:
        data["model"]["windows"] = [_parse_window(w) for w in window]
    return parse_study(data, source=str(file) if file else "command line")


# the event selection options shared by `study` and `backtest`
EventOption = Annotated[
    list[str] | None, typer.Option("--event", "-e", help="Only these event ids.")
]
CategoryOption = Annotated[
    list[str] | None, typer.Option("--category", "-c", help="Only events of these categories.")
]


@study_app.command("run")
def study_run(
    file: Annotated[
        Path | None, typer.Argument(help="Study TOML (default: the seed study).")
    ] = None,
    event: EventOption = None,
    ticker: Annotated[
        list[str] | None,
        typer.Option("--ticker", "-t", help="Measure these tickers for every event."),
    ] = None,
    category: CategoryOption = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="market_adjusted, constant_mean, market_model, capm, ff3, carhart4, ff5."
        ),
    ] = None,
    benchmark: Annotated[
        list[str] | None,
        typer.Option("--benchmark", "-b", help="Benchmark(s); the first is the main one."),
    ] = None,
    window: Annotated[
        list[str] | None, typer.Option("--window", "-w", help="Event window START:END, e.g. -1:1.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for report.md, report.html, study.json, CSV/Parquet."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table, json or markdown (printed to stdout).")
    ] = "table",
    offline: Annotated[
        bool, typer.Option("--offline", help="Use only stored prices; never fetch.")
    ] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not store the run.")] = False,
    no_html: Annotated[bool, typer.Option("--no-html", help="Skip report.html (faster).")] = False,
) -> None:
    """Run an event study, store it, and write its reports.

    Example: reaction study --offline --event openai-aws --ticker AMZN --ticker NVDA --ticker MSFT
    """
    if fmt not in {"table", "json", "markdown"}:
        raise fail(f"--format {fmt!r} is not one of table, json, markdown", 2)

    def body() -> None:
        from jobs.report.files import write_report_files
        from jobs.report.jsondoc import json_document
        from jobs.report.markdown import markdown_report
        from jobs.report.terminal import print_report
        from jobs.run import run_study

        definition = _definition(file, event, ticker, category, model, benchmark, window)
        store = open_store()
        from jobs.studies_registry import is_registered

        run = run_study(
            store,
            definition,
            now=dt.datetime.now(dt.UTC),
            offline=offline,
            save=not no_save,
            registered=is_registered(store, definition),
            recent_sessions=STATE.settings.recent_sessions,
            on_message=lambda m: err.print(m, highlight=False),
        )
        target = out_dir or Path("reports") / definition.study.id
        written = write_report_files(run, target, html=not no_html)
        if fmt == "json":
            sys.stdout.write(json.dumps(json_document(run), indent=2) + "\n")
        elif fmt == "markdown":
            sys.stdout.write(markdown_report(run))
        else:
            print_report(run, out)
        err.print(
            f"run {run.run_id}{' (not stored)' if no_save else ' stored'}; reports in {target}/ "
            f"({', '.join(p.name for p in written[:3])}, ...)",
            highlight=False,
        )

    run_guarded(body)


@study_app.command("register")
def study_register(
    file: Annotated[Path, typer.Argument(help="Study TOML to recompute on every refresh.")],
) -> None:
    """Register a study so the daily refresh recomputes it when its inputs change.

    Example: reaction study register my-study.toml
    """

    def body() -> None:
        from jobs.studies_registry import register_study

        definition = register_study(open_store(), file)
        err.print(f"registered study {definition.study.id!r} from {file}")

    run_guarded(body)


@study_app.command("list")
def study_list() -> None:
    """List registered studies and their last run.

    Example: reaction study list
    """

    def body() -> None:
        frame = open_store().query(
            "SELECT study_id, path, registered_at, last_run_id FROM studies ORDER BY study_id"
        )
        _print_frame(frame)

    run_guarded(body)


@study_app.command("remove")
def study_remove(study_id: Annotated[str, typer.Argument(help="The study id.")]) -> None:
    """Unregister a study (its stored runs stay).

    Example: reaction study remove seed
    """

    def body() -> None:
        from jobs.studies_registry import remove_study

        remove_study(open_store(), study_id)
        err.print(f"removed study {study_id!r}")

    run_guarded(body)


@study_app.command("runs")
def study_runs(limit: Annotated[int, typer.Option(help="How many.")] = 20) -> None:
    """List stored study runs, newest first.

    Example: reaction study runs --limit 5
    """

    def body() -> None:
        from jobs.run import list_runs

        _print_frame(list_runs(open_store(), limit))

    run_guarded(body)


# -- backtest ------------------------------------------------------------------------------------


def _point(name: str, text: str | None) -> str | None:
    if text is None:
        return None
    if ":" not in text:
        raise UsageError(f"{name} {text!r} is not POINT:SESSION, e.g. close:-1 or open:0")
    return text


@app.command()
def backtest(
    rule_file: Annotated[
        str | None, typer.Argument(help="Rule TOML, or a seed rule: amzn-events, earnings-drift.")
    ] = None,
    event: EventOption = None,
    ticker: Annotated[
        list[str] | None,
        typer.Option("--ticker", "-t", help="Trade these tickers for every event."),
    ] = None,
    category: CategoryOption = None,
    entry: Annotated[str | None, typer.Option(help="Entry point, e.g. close:-1, open:0.")] = None,
    exit_: Annotated[str | None, typer.Option("--exit", help="Exit point, e.g. close:+5.")] = None,
    direction: Annotated[str | None, typer.Option(help="long, short or sign.")] = None,
    cost_bps: Annotated[
        float | None, typer.Option("--cost-bps", help="Cost per side in basis points.")
    ] = None,
    hedge: Annotated[str | None, typer.Option(help="none, benchmark or beta.")] = None,
    allow_lookahead: Annotated[
        bool,
        typer.Option(
            "--allow-lookahead", help="Allow entries before the news (perfect foresight)."
        ),
    ] = False,
    sweep: Annotated[
        bool, typer.Option("--sweep", help="Also sweep entry offsets × holding periods.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for report.md, report.html, backtest.json, CSV/Parquet."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or markdown.")] = "table",
    offline: Annotated[
        bool, typer.Option("--offline", help="Use only stored prices; never fetch.")
    ] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not store the run.")] = False,
) -> None:
    """Trade around events: entry and exit in event time, costs, hedging, and an optional sweep.

    Example: reaction backtest amzn-events --offline --entry close:0 --exit close:+5 --cost-bps 5 --hedge beta --sweep
    """
    if fmt not in {"table", "json", "markdown"}:
        raise fail(f"--format {fmt!r} is not one of table, json, markdown", 2)

    def body() -> None:
        from jobs.report.backtest import json_document as bt_json
        from jobs.report.backtest import markdown_backtest, print_backtest, write_backtest_files
        from jobs.trading import load_rule, parse_rule, run_backtest

        base = load_rule(rule_file or "amzn-events")
        data = _with_selection(
            base.model_dump(mode="python", by_alias=True), event, ticker, category
        )
        overrides = (event, ticker, category, entry, exit_, direction, hedge, allow_lookahead)
        if any(overrides) or cost_bps is not None:
            data["rule"]["id"] = f"{base.rule.id}-adhoc"  # keeps the rule's own reports intact
        for key, value in (
            ("entry", _point("--entry", entry)),
            ("exit", _point("--exit", exit_)),
            ("direction", direction),
            ("cost_bps", cost_bps),
            ("hedge", hedge),
        ):
            if value is not None:
                data["trade"][key] = value
        if allow_lookahead:
            data["trade"]["allow_lookahead"] = True
        definition = parse_rule(data, source=rule_file or "amzn-events")
        run = run_backtest(
            open_store(),
            definition,
            now=dt.datetime.now(dt.UTC),
            offline=offline,
            sweep=sweep,
            save=not no_save,
        )
        target = out_dir or Path("reports") / f"backtest-{definition.rule.id}"
        write_backtest_files(run, target)
        if fmt == "json":
            sys.stdout.write(json.dumps(bt_json(run), indent=2) + "\n")
        elif fmt == "markdown":
            sys.stdout.write(markdown_backtest(run))
        else:
            print_backtest(run, out)
        err.print(
            f"run {run.run_id}{' (not stored)' if no_save else ' stored'}; reports in {target}/",
            highlight=False,
        )

    run_guarded(body)


# -- refresh and schedule ----------------------------------------------------------------------


def _as_of(value: str | None) -> dt.datetime:
    """``--as-of``: a date means that day's 23:59 in New York; a naive time is New York time."""
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        if "T" not in value and " " not in value:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(23, 59), ny)
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(
            f"--as-of {value!r} is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM[+offset])"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ny)


@app.command()
def refresh(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Pretend it is this date/time (default: now).")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--source", help="Refresh from a price file or folder instead of Yahoo."),
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="Show the last refresh runs instead.")
    ] = False,
    details: Annotated[
        int | None, typer.Option("--details", help="Show one refresh run's tickers.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many runs --history shows.")] = 20,
) -> None:
    """Bring prices up to the last completed NYSE session and recompute registered studies.

    Example: reaction refresh --source vendor-drops/ --as-of 2025-11-21
    """

    def body() -> None:
        import threading

        from jobs import refresh as rf
        from jobs.recompute import recompute_hook
        from jobs.scheduler import configure_logging, remove_logging

        s = STATE.settings
        store = open_store()
        if history:
            runs = rf.refresh_history(store, limit)
            _print_frame(
                runs.select(
                    "refresh_id",
                    pl.col("started_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("started (UTC)"),
                    "target_session",
                    "status",
                    pl.col("tickers_ok").alias("ok"),
                    pl.col("tickers_failed").alias("failed"),
                    pl.col("rows_inserted").alias("new"),
                    pl.col("rows_revised").alias("revised"),
                    pl.col("studies_recomputed").list.join(",").alias("studies"),
                    "message",
                )
            )
            return
        if details is not None:
            _print_frame(rf.refresh_details(store, details))
            return
        when = _as_of(as_of)
        handler, stop = configure_logging(), threading.Event()
        try:
            with rf.stop_on_signals(stop):
                result = rf.run_refresh(
                    s,
                    as_of=when,
                    source=rf.default_source(s, source),
                    store=store,
                    recompute=recompute_hook(s.reports_dir, lambda: dt.datetime.now(dt.UTC)),
                    stop=stop,
                )
        finally:
            remove_logging(handler)
        err.print(
            f"refresh {result.refresh_id}: {result.status}: {result.message}", highlight=False
        )
        if result.exit_code:
            raise typer.Exit(result.exit_code)

    run_guarded(body)


@app.command()
def schedule(
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval", help="Every N seconds instead of the daily cron (for demonstrations)."
        ),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--source", help="Refresh from a price file or folder instead of Yahoo."),
    ] = None,
) -> None:
    """Run the refresh every weekday after the US close (18:30 New York) until stopped.

    Example: REACTION_SCHEDULE_TIME=19:00 reaction schedule
    """

    def body() -> None:
        from jobs import refresh as rf
        from jobs.recompute import recompute_hook
        from jobs.scheduler import serve

        s = STATE.settings
        if source is not None:
            s = s.model_copy(update={"source": source.expanduser().absolute()})
        serve(
            s,
            source_factory=rf.default_source_factory(s),
            recompute=recompute_hook(s.reports_dir, lambda: dt.datetime.now(dt.UTC)),
            interval_seconds=interval,
        )

    run_guarded(body)


# -- sql -------------------------------------------------------------------------------------


@app.command()
def sql(
    query: Annotated[
        str | None, typer.Argument(help="SQL to run; none for an interactive prompt.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Run the SQL in this file.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or parquet.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the result to this file.")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Open the store read-write (CREATE, INSERT, ...).")
    ] = False,
) -> None:
    """Query the store's documented views (see docs/sql.md); read-only unless --write.

    Example: reaction sql "SELECT * FROM returns WHERE ticker = 'AMZN' ORDER BY date DESC LIMIT 5"
    """
    from jobs import sql as sqlmod

    def show(frame: pl.DataFrame | None) -> None:
        if frame is None:
            err.print("ok")
            return
        if fmt == "table" and output is None:
            _print_frame(frame)
            return
        text = sqlmod.write_output(frame, "csv" if fmt == "table" else fmt, output)
        if text is not None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            err.print(f"wrote {frame.height} rows to {output}")

    def body() -> None:
        s = STATE.settings
        store = Store(
            s.db, lock_timeout=s.lock_timeout, on_wait=lambda m: err.print(m, highlight=False)
        )
        if file is not None and query is not None:
            raise UsageError("give either a QUERY or --file, not both")
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot read --file {file}: {exc.strerror}") from exc
            show(sqlmod.run_sql(store, text, write=write).frame)
        elif query is not None:
            show(sqlmod.run_sql(store, query, write=write).frame)
        else:
            _interactive(store, write, show)

    run_guarded(body)


def _print_frame(frame: pl.DataFrame, limit: int = 200) -> None:
    """A frame as a rich table; every column but the last keeps to one line."""
    table = Table(
        caption=f"{frame.height} row(s)"
        + (f", first {limit} shown" if frame.height > limit else "")
    )
    for i, name in enumerate(frame.columns):
        table.add_column(name, no_wrap=i < len(frame.columns) - 1)
    for row in frame.head(limit).iter_rows():
        table.add_row(
            *["" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v)) for v in row]
        )
    out.print(table)


def _interactive(store: Store, write: bool, show: Callable[[pl.DataFrame | None], None]) -> None:
    """A small SQL prompt: statements end with ';', .tables, .schema NAME, .quit."""
    from jobs import sql as sqlmod

    with contextlib.suppress(ImportError):  # line editing and in-session history, where available
        import readline  # noqa: F401
    err.print(
        f"reaction sql on {store.path} ({'read-write' if write else 'read-only'}); "
        "end statements with ';'; .tables, .schema NAME, .quit",
        highlight=False,
    )
    buffer: list[str] = []
    while True:
        try:
            line = input("...> " if buffer else "sql> ")
        except EOFError:
            break
        stripped = line.strip()
        if not buffer and stripped.startswith("."):
            command, _, arg = stripped.partition(" ")
            try:
                if command in {".quit", ".exit"}:
                    break
                if command == ".tables":
                    _print_frame(sqlmod.list_relations(store))
                elif command == ".schema" and arg:
                    _print_frame(sqlmod.describe(store, arg.strip()))
                else:
                    err.print("commands: .tables, .schema NAME, .quit")
            except sqlmod.SqlError as exc:
                err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            continue
        if not stripped:
            continue
        buffer.append(line)
        if stripped.endswith(";"):
            statement = "\n".join(buffer)
            buffer = []
            try:
                show(sqlmod.run_sql(store, statement, write=write).frame)
            except known_errors() as exc:
                err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
