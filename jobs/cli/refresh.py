"""``reaction refresh`` and ``reaction schedule``: keep prices and registered studies current."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from jobs.cli._common import context, flag, guarded, print_frame, say


def as_of_moment(value: str | None) -> dt.datetime:
    """``--as-of``: a date means that day's 23:59 in New York; a naive time is New York time."""
    from zoneinfo import ZoneInfo

    from jobs.errors import UsageError

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


@guarded
def refresh(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Pretend it is this date/time (default: now).")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--source", help="Refresh from a price file or folder instead of Yahoo."),
    ] = None,
    history: Annotated[bool, flag("--history", help="Show the last refresh runs instead.")] = False,
    details: Annotated[
        int | None, typer.Option("--details", help="Show one refresh run's tickers.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many runs --history shows.")] = 20,
) -> None:
    """Bring prices up to the last completed NYSE session and recompute registered studies.

    Example: reaction refresh --source vendor-drops/ --as-of 2025-11-21
    """
    import threading

    from jobs.runtime.logging import configure_logging, remove_logging
    from jobs.runtime.signals import stop_on_signals
    from jobs.services import refresh as rf
    from jobs.services.recompute import recompute_hook
    from jobs.services.sources import default_source

    s = context(ctx).settings
    store = context(ctx).store()
    if history:
        print_frame(rf.refresh_history_table(store, limit))
        return
    if details is not None:
        print_frame(rf.refresh_details(store, details))
        return
    when = as_of_moment(as_of)
    handler, stop = configure_logging(), threading.Event()
    try:
        with stop_on_signals(stop):
            result = rf.run_refresh(
                s,
                as_of=when,
                source=default_source(s, source),
                store=store,
                recompute=recompute_hook(s.reports_dir, lambda: dt.datetime.now(dt.UTC)),
                stop=stop,
            )
    finally:
        remove_logging(handler)
    say(f"refresh {result.refresh_id}: {result.status}: {result.message}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@guarded
def schedule(
    ctx: typer.Context,
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
    from jobs.services.recompute import recompute_hook
    from jobs.services.scheduler import serve
    from jobs.services.sources import default_source_factory

    s = context(ctx).settings
    if source is not None:
        s = s.model_copy(update={"source": source.expanduser().absolute()})
    serve(
        s,
        source_factory=default_source_factory(s),
        recompute=recompute_hook(s.reports_dir, lambda: dt.datetime.now(dt.UTC)),
        interval_seconds=interval,
    )


def register(app: typer.Typer) -> None:
    app.command()(refresh)
    app.command()(schedule)
