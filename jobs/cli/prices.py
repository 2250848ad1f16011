"""``reaction prices`` and ``reaction factors``: import files or fetch from the network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jobs.cli._common import context, err, fail, flag, guarded, parse_date, say

if TYPE_CHECKING:
    from jobs.services.ingest import TickerOutcome

prices_app = typer.Typer(
    help="Daily prices: fetch from Yahoo or import files.", no_args_is_help=True
)
factors_app = typer.Typer(help="Fama-French factor returns.", no_args_is_help=True)


@prices_app.command("import")
@guarded
def prices_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="CSV or Parquet files (layout recognised by header).")
    ],
    ticker: Annotated[
        str | None, typer.Option(help="Ticker for per-ticker files (default: file name).")
    ] = None,
    skip_bad_rows: Annotated[
        bool, flag("--skip-bad-rows", help="Load good rows, report bad ones.")
    ] = False,
) -> None:
    """Import price, dividend or split files: long CSV (date,ticker,open,...), Yahoo CSV, Parquet.

    Example: reaction prices import ../shared/data/prices_daily.csv ../shared/data/dividends.csv
    """
    from jobs.services import ingest

    with context(ctx).open() as db:
        loads = ingest.import_price_files(db, files, ticker=ticker, skip_bad_rows=skip_bad_rows)
    for fl in loads:
        c = fl.prices + fl.actions
        say(
            f"{fl.path}: {fl.layout} layout, {fl.rows_read:,} rows read: {c.inserted:,} inserted, "
            f"{c.updated:,} updated, {c.unchanged:,} unchanged"
            + (f", {len(fl.rejected)} rejected" if fl.rejected else "")
        )
        for line, reason in fl.rejected[:20]:
            say(f"  rejected line {line}: {reason}")


@prices_app.command("fetch")
@guarded
def prices_fetch(
    ctx: typer.Context,
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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from events import normalise_ticker_list, nyse
    from jobs.services import ingest
    from storage.sources.yahoo import YahooSource

    s = context(ctx).settings
    store = context(ctx).store()
    with context(ctx).open() as db:
        tracked = ingest.tickers_to_track(db, s.benchmarks)
    cal = nyse()
    last_session = cal.latest_completed_session(dt.datetime.now(dt.UTC))
    end_date = parse_date("--end", end) or last_session
    start_date = parse_date("--start", start)
    names = list(normalise_ticker_list(tickers)) if tickers else tracked
    failures = 0

    def report(o: TickerOutcome) -> None:
        nonlocal failures
        if o.error:
            failures += 1
            say(f"{o.ticker}: failed: {o.error}")
        elif o.skipped:
            say(f"{o.ticker}: {o.skipped}")
        else:
            say(
                f"{o.ticker}: {o.inserted} new, {o.revised} revised ({o.start} .. {o.end})"
                + (" - new dividend/split, history re-fetched" if o.refetched_history else "")
            )

    with Progress(
        SpinnerColumn(),
        TextColumn("prices"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err(),
        transient=True,
        disable=not err().is_terminal,
    ) as progress:
        task = progress.add_task("prices", total=len(names))

        def step(o: TickerOutcome) -> None:
            report(o)
            progress.advance(task)

        ingest.fetch_prices(
            store,
            YahooSource(),
            names,
            end=end_date,
            default_start=ingest.default_history_start(s, end_date),
            recent_sessions=s.recent_sessions,
            start=start_date,
            calendar=cal,
            on_ticker=step,
        )
    if failures:
        raise fail(
            f"{failures} of {len(names)} tickers failed; run the command again to retry them"
        )


@factors_app.command("import")
@guarded
def factors_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Ken French daily CSVs (published, or date,mkt_rf,... in percent)."),
    ],
) -> None:
    """Import Fama-French daily factors (percent in the files, stored as fractions).

    Example: reaction factors import ../shared/data/ff_factors_daily.csv
    """
    from jobs.services import ingest

    with context(ctx).open() as db:
        counts = ingest.import_factor_files(db, files)
    say(
        f"{', '.join(map(str, files))}: {counts.inserted:,} inserted, {counts.updated:,} updated, "
        f"{counts.unchanged:,} unchanged"
    )


@factors_app.command("fetch")
@guarded
def factors_fetch(ctx: typer.Context) -> None:
    """Download the daily 5-factor and momentum files from the Ken French Data Library.

    Example: reaction factors fetch
    """
    from jobs.services import ingest

    counts = ingest.fetch_factors(context(ctx).store())
    say(
        f"factors: {counts.inserted:,} inserted, {counts.updated:,} updated, "
        f"{counts.unchanged:,} unchanged"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(prices_app, name="prices")
    app.add_typer(factors_app, name="factors")
