"""``reaction status``: the store, its tickers and the last loads."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated, Any

import typer

from jobs.cli._common import context, flag, guarded, out, records


def _ts(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    """A record's values as ``records`` gives a frame's rows: dates and times as ISO strings."""
    return {k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in row.items()}


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


@guarded
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, flag("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show the store: path, tickers with their date spans, events and the last loads.

    Example: reaction status --db ~/data/reaction.duckdb
    """
    from rich.table import Table
    from rich.text import Text

    with context(ctx).open() as db:
        coverage = db.market.coverage()
        n_events = db.events.count()
        loads = db.loads.recent(8)
        path = db.path
    if as_json:
        doc = {
            "db": str(path),
            "tickers": records(coverage),
            "events": n_events,
            "loads": [_iso(asdict(r)) for r in loads],
        }
        out().print_json(json.dumps(doc, default=str))
        return
    out().print(
        Text.assemble(("store", "bold"), f" {path}  ({n_events} events, {coverage.height} tickers)")
    )
    table = Table("ticker", "first", "last", "rows", "source", "last loaded", title="prices")
    for c in coverage.iter_rows(named=True):
        table.add_row(
            Text(c["ticker"]),
            str(c["first"]),
            str(c["last"]),
            f"{c['rows']:,}",
            Text(c["source"] or ""),
            _ts(c["last_loaded"]),
        )
    out().print(
        table
        if coverage.height
        else "[dim]no prices yet: 'reaction prices fetch' or 'reaction prices import FILE'[/]"
    )
    lt = Table("when", "kind", "target", "ins", "upd", "same", "rej", "outcome", title="last loads")
    for r in loads:
        lt.add_row(
            _ts(r.finished_at),
            r.kind,
            Text(_short(r.target)),
            str(r.rows_inserted),
            str(r.rows_updated),
            str(r.rows_unchanged),
            str(r.rows_rejected),
            Text(r.outcome if not r.error else f"{r.outcome}: {_short(r.error, 60)}"),
        )
    out().print(lt)


def register(app: typer.Typer) -> None:
    app.command()(status)
