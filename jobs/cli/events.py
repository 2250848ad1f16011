"""``reaction events``: list, show, import and add events."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from events.names import CATEGORIES, STATED_TIMINGS
from jobs.cli._common import context, flag, guarded, out, say

if TYPE_CHECKING:
    from storage.repos.events import TimingEvidence

events_app = typer.Typer(help="The event catalog: list, show, import, add.", no_args_is_help=True)

_CATEGORIES_HELP = ", ".join(CATEGORIES)
_TIMING_CHOICES = (*STATED_TIMINGS, "infer")
_TIMING_LABEL = {
    "unknown": "unknown (assumed)",
    "inferred_after_close": "~after_close",
    "inferred_during_session": "~in_session",
}


def evidence_json(ev: TimingEvidence | None) -> dict[str, Any] | None:
    """The timing evidence of an event as JSON (``None`` when the inference never ran)."""
    if ev is None:
        return None
    return {
        "decision": ev.decision,
        "session": ev.session.isoformat() if ev.session else None,
        "abnormal_volume_0": ev.abnormal_volume_0,
        "abnormal_volume_1": ev.abnormal_volume_1,
        "abs_ar_0": ev.abs_ar_0,
        "abs_ar_1": ev.abs_ar_1,
        "gap_1": ev.gap_1,
        "score": ev.score,
        "confidence": ev.confidence,
        "n_est": ev.n_est,
        "reason": ev.reason,
        "inferred_at": ev.inferred_at.astimezone(dt.UTC).isoformat() if ev.inferred_at else None,
    }


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
                "timing_evidence": evidence_json(e.timing_evidence),
            }
            for e in events
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    inferred = any(e.timing.startswith("inferred_") for e in events)
    table = Table(
        title=f"{len(events)} events",
        caption="~ inferred from the prices (evidence: reaction events show ID)"
        if inferred
        else None,
    )
    # the short columns keep their width (up to a cap); the title takes what is left
    widest = {
        "id": max((len(e.event_id) for e in events), default=2),
        "day 0": 10,
        "timing": max((len(_TIMING_LABEL.get(e.timing, e.timing)) for e in events), default=6),
        "category": max((len(e.category) for e in events), default=8),
        "tickers": max((len(",".join(e.tickers)) for e in events), default=7),
    }
    caps = {"id": 26, "day 0": 10, "timing": 17, "category": 13, "tickers": 12}
    width = {k: min(widest[k], caps[k]) for k in caps}
    spare = out().width - sum(width.values()) - 3 * 6 - 1 - 14  # borders; 14 for the title
    for name in ("tickers", "category", "timing", "id"):  # narrow terminals: shrink these
        cut = min(max(-spare, 0), width[name] - 8)
        width[name] -= max(cut, 0)
        spare += max(cut, 0)
    for name in ("id", "day 0", "timing", "category", "tickers"):
        # an id, a timing or a ticker list longer than its column folds onto the next line:
        # never cut (the title, prose, is cut; 'reaction events show ID' prints it whole)
        table.add_column(name, overflow="fold", min_width=width[name], max_width=width[name])
    # the title (prose, shown whole by 'events show') gets what is left, cut with an ellipsis
    left = out().width - sum(width.values()) - 3 * 6 - 1
    table.add_column("title", overflow="ellipsis", no_wrap=True, max_width=max(8, min(60, left)))
    for e in events:
        table.add_row(
            Text(e.event_id),
            str(e.day0),
            _TIMING_LABEL.get(e.timing, e.timing),
            e.category,
            Text(",".join(e.tickers)),
            Text(e.title),
        )
    out().print(table)


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
        out().print(Text.assemble((f"{key:>15}", "bold"), f" {r[key]}"), highlight=False)
    ev = evidence_json(found.timing_evidence)
    if ev is not None:
        text = ", ".join(
            f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
            for k, v in ev.items()
            if v is not None
        )
        out().print(
            Text.assemble((f"{'timing_evidence':>15}", "bold"), f" {text}"), highlight=False
        )


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
    timing: Annotated[
        str | None,
        typer.Option(
            help="Timing of CSV rows without one: before_open, intraday, after_close, unknown, "
            "or 'infer' (unknown, then inferred from the stored prices; see docs/timing.md)."
        ),
    ] = None,
) -> None:
    """Import events from catalog files (TOML) or bulk CSV lists.

    A CSV's date column may be called date, event_date, filing_date or announced. An event
    that is already stored under another id (same ticker and category, one of the two without
    a time of day, day 0 within one session) is linked to it as an alias, not stored twice.

    Example: reaction events import ../shared/data/earnings_dates.csv --timing infer
    """
    from events import Event, load_catalog, read_event_csv
    from jobs.errors import UsageError
    from jobs.services import ingest
    from jobs.services.timing import infer_stored

    if timing is not None and timing not in _TIMING_CHOICES:
        raise UsageError(f"--timing {timing!r} is not one of {', '.join(_TIMING_CHOICES)}")
    row_timing = "unknown" if timing == "infer" else timing
    with context(ctx).open() as db:
        for f in files:
            events: list[Event] = (
                read_event_csv(f, category=category, tags=tag or (), timing=row_timing)
                if f.suffix.lower() == ".csv"
                else load_catalog(f)
            )
            done = ingest.import_events(db, events, catalog=str(f.absolute()))
            counts = done.counts
            say(
                f"{f}: {len(events)} events ({counts.inserted} new, {counts.updated} changed, "
                f"{counts.unchanged} unchanged)"
            )
            if done.links:
                say(f"{f}: {done.sentence()}")
            if timing == "infer":
                aliases = {a for a, _ in done.links}
                ids = [e.id for e in events if e.id not in aliases]
                say(f"{f}: {infer_stored(db, event_ids=ids).sentence()}")


@events_app.command("infer")
@guarded
def events_infer(
    ctx: typer.Context,
    event: Annotated[
        list[str] | None, typer.Option("--event", "-e", help="Only these event ids.")
    ] = None,
    again: Annotated[bool, flag("--again", help="Also re-decide events inferred before.")] = False,
) -> None:
    """Infer the timing of date-only events from the stored prices (after the close or not).

    Runs for every event whose timing is unknown (e.g. once prices arrive); a stated time is
    never changed. See docs/timing.md for the rule.

    Example: reaction events infer
    """
    from jobs.services.timing import infer_stored

    with context(ctx).open() as db:
        summary = infer_stored(db, event_ids=event or None, again=again)
    say(summary.sentence())


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
