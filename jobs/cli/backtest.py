"""``reaction backtest``: trade around events in event time."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from backtest.names import Direction, HedgeName
from jobs.cli._common import (
    CategoryOption,
    EventOption,
    FormatOption,
    NoSaveOption,
    OfflineOption,
    context,
    flag,
    guarded,
    out,
    say,
)


def _point(name: str, text: str | None) -> str | None:
    from jobs.errors import UsageError

    if text is None:
        return None
    if ":" not in text:
        raise UsageError(f"{name} {text!r} is not POINT:SESSION, e.g. close:-1 or open:0")
    return text


@guarded
def backtest(
    ctx: typer.Context,
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
    direction: Annotated[Direction | None, typer.Option(help="The position's direction.")] = None,
    cost_bps: Annotated[
        float | None, typer.Option("--cost-bps", help="Cost per side in basis points.")
    ] = None,
    hedge: Annotated[HedgeName | None, typer.Option(help="The hedge leg.")] = None,
    allow_lookahead: Annotated[
        bool,
        flag("--allow-lookahead", help="Allow entries before the news (perfect foresight)."),
    ] = False,
    sweep: Annotated[
        bool, flag("--sweep", help="Also sweep entry offsets × holding periods.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for report.md, report.html, backtest.json, CSV/Parquet."
        ),
    ] = None,
    fmt: FormatOption = "table",
    offline: OfflineOption = False,
    no_save: NoSaveOption = False,
) -> None:
    """Trade around events: entry and exit in event time, costs, hedging, and an optional sweep.

    Example: reaction backtest amzn-events --offline --entry close:0 --exit close:+5 --cost-bps 5 --hedge beta --sweep
    """
    from jobs.definitions.rule import load_rule
    from jobs.report.backtest.files import write_backtest_files
    from jobs.report.backtest.jsondoc import json_document
    from jobs.report.backtest.markdown import markdown_backtest
    from jobs.report.backtest.terminal import print_backtest
    from jobs.report.format import json_text
    from jobs.services.backtest import run_backtest

    name = rule_file or "amzn-events"
    definition = load_rule(name).with_overrides(
        events=event or (),
        tickers=ticker or (),
        categories=category or (),
        trade={
            "entry": _point("--entry", entry),
            "exit": _point("--exit", exit_),
            "direction": direction,
            "cost_bps": cost_bps,
            "hedge": hedge,
            "allow_lookahead": allow_lookahead,
        },
        source=name,
    )
    run = run_backtest(
        context(ctx).store(),
        definition,
        now=dt.datetime.now(dt.UTC),
        offline=offline,
        sweep=sweep,
        save=not no_save,
    )
    target = out_dir or Path("reports") / f"backtest-{definition.rule.id}"
    write_backtest_files(run, target)
    if fmt == "json":
        sys.stdout.write(json_text(json_document(run)))
    elif fmt == "markdown":
        sys.stdout.write(markdown_backtest(run))
    else:
        print_backtest(run, out(), folder=target, stored=not no_save)
    say(f"run {run.run_id}{' (not stored)' if no_save else ' stored'}; reports in {target}/")


def register(app: typer.Typer) -> None:
    app.command()(backtest)
