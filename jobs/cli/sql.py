"""``reaction sql``: the documented views, read-only unless ``--write``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer

from jobs.cli._common import context, flag, guarded, print_frame, say

if TYPE_CHECKING:
    import polars as pl


#: What ``reaction sql --format`` writes.
SqlFormat: TypeAlias = Literal["table", "csv", "json", "parquet"]


def shower(fmt: SqlFormat, output: Path | None) -> Callable[[pl.DataFrame | None], None]:
    """The function that prints (or writes) one statement's result."""
    from jobs.services import sql as sqlmod

    def show(frame: pl.DataFrame | None) -> None:
        if frame is None:
            say("ok")
            return
        if fmt == "table" and output is None:
            print_frame(frame)
            return
        text = sqlmod.write_output(frame, "csv" if fmt == "table" else fmt, output)
        if text is not None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            say(f"wrote {frame.height} rows to {output}")

    return show


@guarded
def sql(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="SQL to run; none for an interactive prompt.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Run the SQL in this file.")
    ] = None,
    fmt: Annotated[SqlFormat, typer.Option("--format", help="How to print the result.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the result to this file.")
    ] = None,
    write: Annotated[
        bool, flag("--write", help="Open the store read-write (CREATE, INSERT, ...).")
    ] = False,
) -> None:
    """Query the store's documented views (see docs/sql.md); read-only unless --write.

    Example: reaction sql "SELECT * FROM returns WHERE ticker = 'AMZN' ORDER BY date DESC LIMIT 5"
    """
    from jobs.errors import UsageError
    from jobs.services import sql as sqlmod

    store = context(ctx).bare_store()
    show = shower(fmt, output)
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
        from jobs.cli.repl import interactive

        interactive(store, write, show)


def register(app: typer.Typer) -> None:
    app.command()(sql)
