"""The small SQL prompt of ``reaction sql`` without a query."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.markup import escape

from jobs.cli._common import err, known_errors, print_rows, say

if TYPE_CHECKING:
    from jobs.services.sql import SqlResult
    from storage.store import Store


def interactive(
    store: Store,
    write: bool,
    show: Callable[[SqlResult], None],
    *,
    allow_external: bool = False,
) -> None:
    """A small SQL prompt: statements end with ';', .tables, .schema NAME, .quit."""
    from jobs.errors import SqlError
    from jobs.services import sql as sqlmod

    with contextlib.suppress(ImportError):  # line editing and in-session history, where available
        import readline  # noqa: F401
    say(
        f"reaction sql on {store.path} ({'read-write' if write else 'read-only'}); "
        "end statements with ';'; .tables, .schema NAME, .quit"
    )
    buffer: list[str] = []
    while True:
        try:
            line = input("...> " if buffer else "sql> ")
        except EOFError:
            break
        stripped = line.strip()
        if not buffer and stripped.startswith("."):
            command, _, arg = stripped.partition(" ")
            try:
                if command in {".quit", ".exit"}:
                    break
                if command == ".tables":
                    print_rows(*sqlmod.list_relations(store))
                elif command == ".schema" and arg:
                    print_rows(*sqlmod.describe(store, arg.strip()))
                else:
                    say("commands: .tables, .schema NAME, .quit")
            except SqlError as exc:
                err().print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            continue
        if not stripped:
            continue
        buffer.append(line)
        if stripped.endswith(";"):
            statement = "\n".join(buffer)
            buffer = []
            try:
                show(sqlmod.run_sql(store, statement, write=write, allow_external=allow_external))
            except known_errors() as exc:
                err().print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
