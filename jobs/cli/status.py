"""``reaction status``: the store, its tickers and the last loads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from jobs.cli._common import context, flag, guarded, out, records


def _ts(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


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

    store = context(ctx).store()
    coverage = store.coverage()
    events = store.events()
    loads = store.recent_loads(8)
    if as_json:
        doc = {
            "db": str(store.path),
            "tickers": records(coverage),
            "events": events.height,
            "loads": records(loads),
        }
        out.print_json(json.dumps(doc, default=str))
        return
    out.print(
        Text.assemble(
            ("store", "bold"), f" {store.path}  ({events.height} events, {coverage.height} tickers)"
        )
    )
    table = Table("ticker", "first", "last", "rows", "source", "last loaded", title="prices")
    for r in coverage.iter_rows(named=True):
        table.add_row(
            Text(r["ticker"]),
            str(r["first"]),
            str(r["last"]),
            f"{r['rows']:,}",
            Text(r["source"] or ""),
            _ts(r["last_loaded"]),
        )
    out.print(
        table
        if coverage.height
        else "[dim]no prices yet: 'reaction prices fetch' or 'reaction prices import FILE'[/]"
    )
    lt = Table("when", "kind", "target", "ins", "upd", "same", "rej", "outcome", title="last loads")
    for r in loads.iter_rows(named=True):
        lt.add_row(
            _ts(r["finished_at"]),
            r["kind"],
            Text(_short(r["target"])),
            str(r["rows_inserted"]),
            str(r["rows_updated"]),
            str(r["rows_unchanged"]),
            str(r["rows_rejected"]),
            Text(r["outcome"] if not r["error"] else f"{r['outcome']}: {_short(r['error'], 60)}"),
        )
    out.print(lt)


def register(app: typer.Typer) -> None:
    app.command()(status)
