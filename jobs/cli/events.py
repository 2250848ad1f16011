"""``reaction events``: list, show, import and add events."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from events.names import CATEGORIES
from jobs.cli._common import context, flag, guarded, out, say

events_app = typer.Typer(help="The event catalog: list, show, import, add.", no_args_is_help=True)

_CATEGORIES_HELP = ", ".join(CATEGORIES)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@events_app.command("list")
@guarded
def events_list(
    ctx: typer.Context,
    as_json: Annotated[bool, flag("--json", help="Print a JSON array.")] = False,
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
    from rich.table import Table
    from rich.text import Text

    with context(ctx).open() as db:
        events = db.events.list(categories=category or None, tickers=ticker or None)
    if as_json:
        rows = [
            {
                "id": e.event_id,
                "title": e.title,
                "category": e.category,
                "announced": (
                    e.announced_at.astimezone(dt.UTC) if e.announced_at else e.announced_date
                ).isoformat(),
                "timing": e.timing,
                "day0": e.day0.isoformat(),
                "day0_rule": e.day0_rule,
                "timing_assumed": e.timing_assumed,
                "tickers": list(e.tickers),
                "tags": list(e.tags),
                "source": e.source,
            }
            for e in events
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(events)} events")
    for name in ("id", "day 0", "timing", "category", "tickers"):
        table.add_column(name, no_wrap=True, min_width=10 if name == "day 0" else None)
    table.add_column("title", overflow="ellipsis", no_wrap=True, max_width=60)
    for e in events:
        table.add_row(
            Text(e.event_id),
            str(e.day0),
            e.timing + (" (assumed)" if e.timing_assumed else ""),
            e.category,
            Text(",".join(e.tickers)),
            Text(_clip(e.title, 60)),
        )
    out.print(table)


@events_app.command("show")
@guarded
def events_show(
    ctx: typer.Context, event_id: Annotated[str, typer.Argument(help="The event id.")]
) -> None:
    """Show one event in full.

    Example: reaction events show amzn-q3
    """
    from rich.text import Text

    from jobs.errors import UsageError

    with context(ctx).open() as db:
        found = db.events.get(event_id)
    if found is None:
        raise UsageError(f"no event with id {event_id!r}; 'reaction events list' shows the ids")
    r = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(found).items()}
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
        out.print(Text.assemble((f"{key:>15}", "bold"), f" {r[key]}"), highlight=False)


@events_app.command("import")
@guarded
def events_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="TOML catalogs or CSV lists (ticker,date[,timing]).")
    ],
    category: Annotated[
        str, typer.Option(help=f"Category for CSV rows: {_CATEGORIES_HELP}.")
    ] = "earnings",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag added to CSV rows.")] = None,
) -> None:
    """Import events from catalog files (TOML) or bulk CSV lists.

    Example: reaction events import my-events.toml ../shared/data/earnings_dates.csv
    """
    from events import Event, load_catalog, read_event_csv
    from jobs.services import ingest

    with context(ctx).open() as db:
        for f in files:
            events: list[Event] = (
                read_event_csv(f, category=category, tags=tag or ())
                if f.suffix.lower() == ".csv"
                else load_catalog(f)
            )
            counts = ingest.store_events(db, events, catalog=str(f.absolute()))
            say(
                f"{f}: {len(events)} events ({counts.inserted} new, {counts.updated} changed, "
                f"{counts.unchanged} unchanged)"
            )


@events_app.command("add")
@guarded
def events_add(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Option("--id", help="A slug, e.g. amzn-q4-2025.")],
    title: Annotated[str, typer.Option(help="What happened.")],
    category: Annotated[str, typer.Option(help=f"One of {_CATEGORIES_HELP}.")],
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

    from events import parse_event
    from jobs.errors import UsageError
    from jobs.services import ingest

    when: dt.date | dt.datetime
    try:
        when = (
            dt.datetime.fromisoformat(announced)
            if "T" in announced
            else dt.date.fromisoformat(announced)
        )
    except ValueError as exc:
        raise UsageError(
            f"--announced {announced!r} is not a date (YYYY-MM-DD) or a time with offset "
            "(YYYY-MM-DDTHH:MM-04:00)"
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
    with context(ctx).open() as db:
        ingest.store_events(db, [ev], catalog="command line")
        stored = db.events.get(ev.id)
    assert stored is not None  # just written
    say(f"added {ev.id}: day 0 {stored.day0} ({stored.day0_rule})")


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
