"""``reaction study``: run a study (the default subcommand), register it, list runs."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperGroup

from backtest.names import ModelName
from jobs.cli._common import (
    CategoryOption,
    EventOption,
    FormatOption,
    NoSaveOption,
    OfflineOption,
    context,
    err,
    flag,
    guarded,
    out,
    print_frame,
    say,
)

if TYPE_CHECKING:
    from jobs.report.study.files import PreparedReport
    from jobs.runs import StudyRun


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


@study_app.command("run")
@guarded
def study_run(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Study TOML, or a shipped study's name (openai-deals; default: the seed study)."
        ),
    ] = None,
    event: EventOption = None,
    ticker: Annotated[
        list[str] | None,
        typer.Option("--ticker", "-t", help="Measure these tickers for every event."),
    ] = None,
    category: CategoryOption = None,
    model: Annotated[ModelName | None, typer.Option(help="The return model.")] = None,
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
    fmt: FormatOption = "table",
    offline: OfflineOption = False,
    no_save: NoSaveOption = False,
    no_html: Annotated[
        bool,
        flag(
            "--no-html",
            help="Terminal only: leave the report folder as it is (with --out: write it without report.html).",
        ),
    ] = False,
    verbose: Annotated[
        bool, flag("--verbose", "-v", help="Print every table and every warning line.")
    ] = False,
) -> None:
    """Run an event study, store it, and write its reports.

    The report folder (reports/<study id>/, or --out) is replaced as a whole when the new one
    is complete; --no-save and --no-html leave it alone unless --out names a folder.

    Example: reaction study --offline --event openai-aws --ticker AMZN --ticker NVDA --ticker MSFT
    """
    from jobs.definitions.shipped import load_study_argument
    from jobs.definitions.study import parse_window, seed_study
    from jobs.report.study.terminal import print_report
    from jobs.services.study import run_study

    base = load_study_argument(file) if file is not None else seed_study()
    definition = base.with_overrides(
        events=event or (),
        tickers=ticker or (),
        categories=category or (),
        model=model,
        benchmarks=benchmark or (),
        windows=[parse_window(w) for w in window or ()],
        source=str(file) if file else "command line",
    )
    steps = _Steps(err())
    settings = context(ctx).settings
    store = context(ctx).store()
    target = out_dir or Path("reports") / definition.study.id
    write = out_dir is not None or not (no_save or no_html)
    prepared: list[PreparedReport] = []

    def show(done: StudyRun, written: Sequence[Path]) -> None:
        if fmt == "json":
            from jobs.report.format import json_text
            from jobs.report.study.jsondoc import json_document

            sys.stdout.write(json_text(json_document(done)))
        elif fmt == "markdown":
            from jobs.report.study.markdown import markdown_report

            sys.stdout.write(markdown_report(done))
        else:
            footer = (
                f"Reports in {target}/ ({', '.join(p.name for p in written[:4])}, ...). "
                if written
                else f"No report folder written (--no-save / --no-html): {target}/ keeps the last one. "
            )
            print_report(
                done,
                out(),
                verbose=verbose,
                footer=footer
                + ("" if verbose else "--verbose prints every table; ")
                + "'reaction study show EVENT' prints one event in full.",
            )

    # on this thread, while a second one stores the run: the report folder (published once
    # the run is stored), or without one the printed report, which names no folder
    def build(done: StudyRun) -> None:
        from jobs.report.study.files import prepare_report_files  # only a report folder needs it

        prepared.append(prepare_report_files(done, target, html=not no_html, progress=steps.update))

    label = (
        "running the study"
        + ("" if no_save else " and storing it")
        + (f", writing the reports in {target}/" if write else "")
    )
    try:
        with steps.step(label):
            run = run_study(
                store,
                definition,
                now=dt.datetime.now(dt.UTC),
                offline=offline,
                save=not no_save,
                registered=None,  # looked up in the study's first session
                recent_sessions=settings.recent_sessions,
                seed=settings.seed,
                on_message=say,
                while_storing=build if write else lambda done: show(done, ()),
            )
        written = prepared[0].publish() if prepared else []  # after the run is stored
    except BaseException:
        for report in prepared:
            report.discard()
        raise
    if write:
        with steps.step("printing the report"):
            show(run, written)
    say(f"run {run.run_id}{' (not stored)' if no_save else ' stored'}")


class _Steps:
    """Progress on stderr: a spinner on a terminal while a step runs, and a line with the time
    of every step that took more than a second."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self._status: Any = None
        self._label = ""

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[_Steps]:
        import time

        self._label = label
        started = time.perf_counter()
        live = self.console.is_terminal
        status = self.console.status(Text(label + " ...")) if live else contextlib.nullcontext()
        with status as s:
            self._status = s if live else None
            yield self
        self._status = None
        elapsed = time.perf_counter() - started
        if elapsed > 1.0:
            say(f"{label}: {elapsed:.1f} s")

    def update(self, detail: str) -> None:
        if self._status is not None:
            self._status.update(Text(f"{self._label}: {detail} ..."))


@study_app.command("show")
@guarded
def study_show(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(help="The event id.")],
    file: Annotated[
        Path | None, typer.Argument(help="Study TOML (default: the seed study).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="The report folder (default reports/<study id>).")
    ] = None,
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", "-b", help="Benchmark (default: the main one).")
    ] = None,
) -> None:
    """Print one event of the last report in full: every ticker, window and day.

    Reads the report folder's Parquet files, so it shows the run that wrote them.

    Example: reaction study show openai-aws
    """
    from jobs.definitions.shipped import load_study_argument
    from jobs.definitions.study import seed_study
    from jobs.report.study.show import print_event

    if out_dir is None:
        definition = load_study_argument(file) if file is not None else seed_study()
        out_dir = Path("reports") / definition.study.id
    print_event(out_dir, event_id, out(), benchmark=benchmark)


@study_app.command("register")
@guarded
def study_register(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Study TOML to recompute on every refresh.")],
) -> None:
    """Register a study so the daily refresh recomputes it when its inputs change.

    Example: reaction study register my-study.toml
    """
    from jobs.services.registry import register_study

    with context(ctx).open() as db:
        definition = register_study(db, file)
    say(f"registered study {definition.study.id!r} from {file}")


@study_app.command("list")
@guarded
def study_list(ctx: typer.Context) -> None:
    """List registered studies and their last run.

    Example: reaction study list
    """
    from jobs.services.registry import list_registered

    with context(ctx).open() as db:
        print_frame(list_registered(db))


@study_app.command("remove")
@guarded
def study_remove(
    ctx: typer.Context, study_id: Annotated[str, typer.Argument(help="The study id.")]
) -> None:
    """Unregister a study (its stored runs stay).

    Example: reaction study remove seed
    """
    from jobs.services.registry import remove_study

    with context(ctx).open() as db:
        remove_study(db, study_id)
    say(f"removed study {study_id!r}")


@study_app.command("runs")
@guarded
def study_runs(
    ctx: typer.Context, limit: Annotated[int, typer.Option(help="How many.")] = 20
) -> None:
    """List stored study runs, newest first.

    Example: reaction study runs --limit 5
    """
    from jobs.services.study import list_runs

    print_frame(list_runs(context(ctx).store(), limit))


def register(app: typer.Typer) -> None:
    app.add_typer(study_app, name="study")
