"""``reaction sql``: the documented views, read-only unless ``--write``; nothing outside the
store (files, network, extensions) unless ``--allow-external``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer

from jobs.cli._common import context, flag, guarded, print_rows, say

if TYPE_CHECKING:
    from jobs.services.sql import SqlResult


#: What ``reaction sql --format`` writes.
SqlFormat: TypeAlias = Literal["table", "csv", "json", "parquet"]


def shower(fmt: SqlFormat, output: Path | None) -> Callable[[SqlResult], None]:
    """The function that prints (or writes) one statement's result.

    A table on the terminal is printed from the rows as DuckDB gives them (no polars, so a
    quick query stays quick); files and CSV/JSON go through a polars frame.
    """
    from jobs.services import sql as sqlmod

    def show(result: SqlResult) -> None:
        q = result.result
        if not q.has_rows:
            say("ok")
            return
        if fmt == "table" and output is None:
            print_rows(list(q.columns), q.rows)
            return
        frame = result.frame
        assert frame is not None  # has_rows
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
    allow_external: Annotated[
        bool,
        flag(
            "--allow-external",
            help="Let the SQL reach files, the network and extensions (COPY, read_csv, ATTACH, ...).",
        ),
    ] = False,
) -> None:
    """Query the store's documented views (see docs/sql.md); read-only unless --write, and no
    file, network or extension access unless --allow-external.

    Example: reaction sql "SELECT * FROM returns WHERE ticker = 'AMZN' ORDER BY date DESC LIMIT 5"
    """
    from jobs.errors import UsageError
    from jobs.services import sql as sqlmod

    store = context(ctx).store()
    show = shower(fmt, output)
    if file is not None and query is not None:
        raise UsageError("give either a QUERY or --file, not both")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read --file {file}: {exc.strerror}") from exc
        show(sqlmod.run_sql(store, text, write=write, allow_external=allow_external))
    elif query is not None:
        show(sqlmod.run_sql(store, query, write=write, allow_external=allow_external))
    else:
        from jobs.cli.repl import interactive

        interactive(store, write, show, allow_external=allow_external)


def register(app: typer.Typer) -> None:
    app.command()(sql)
