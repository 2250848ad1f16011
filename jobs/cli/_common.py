"""What every command shares: the consoles, the context, the error decorator, shared options.

Commands import their services inside the function body, so that ``reaction --help`` and
the light commands start without loading polars, the engine or matplotlib.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, ParamSpec, TypeAlias, TypeVar

import typer

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console

    from jobs.settings import Settings
    from storage.session import OpenStore
    from storage.store import Store

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def out() -> Console:
    """The console on standard output (tables, JSON), made on first use (rich takes about
    25 ms to import; a command that only says a line needs none). A terminal's own width;
    ``COLUMNS`` when set; else 160 (a pipe or a file)."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)


@functools.cache
def err() -> Console:
    """The console on standard error (messages, progress), made on first use; widths as
    :func:`out`'s."""
    from rich.console import Console

    return Console(
        stderr=True,
        soft_wrap=True,
        width=None if sys.stderr.isatty() or os.environ.get("COLUMNS") else 160,
    )


#: What ``--format`` prints to stdout for studies and backtests.
ReportFormat: TypeAlias = Literal["table", "json", "markdown"]


@dataclass
class CliContext:
    """The root options of one invocation; the settings are built on first use."""

    db: Path | None = None
    config: Path | None = None
    debug: bool = False
    no_seed: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from jobs.settings import load_settings

            self._settings = load_settings(
                self.config, db=self.db, seed=False if self.no_seed else None
            )
        return self._settings

    def store(self) -> Store:
        """The configured store (nothing is opened yet)."""
        from storage.store import Store

        s = self.settings
        return Store(s.db, lock_timeout=s.lock_timeout, on_wait=say)

    @contextmanager
    def open(self) -> Iterator[OpenStore]:
        """One write session on the configured store, made ready: created if needed, the
        session calendar, and the seed catalog unless the settings turn it off."""
        from jobs.services import ingest

        with ingest.open_ready(self.store(), seed=self.settings.seed) as db:
            yield db


def context(ctx: typer.Context) -> CliContext:
    """The :class:`CliContext` that the root callback put on the command's context."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext()
    return root.obj


def say(message: str) -> None:
    """A message on stderr, printed as it is (never read as markup or emoji codes); through
    the stderr console once there is one (it may be showing progress), else written."""
    if err.cache_info().currsize:
        err().print(message, highlight=False, markup=False, emoji=False)
        return
    sys.stderr.write(f"{message}\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error sentence and return the Exit to raise."""
    from rich.markup import escape

    err().print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def known_errors() -> tuple[type[BaseException], ...]:
    """Our own error bases: printed as one sentence; anything else is a bug (traceback)."""
    from pydantic import ValidationError

    from backtest.errors import BacktestError
    from events.errors import EventError
    from jobs.errors import JobError
    from storage.errors import StorageError

    return (EventError, StorageError, JobError, BacktestError, ValidationError, FileNotFoundError)


def one_sentence(exc: BaseException) -> str:
    """The first line of an error, or the first field error of a pydantic validation."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        return f"invalid value for {loc}: {first['msg']}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command, printing our errors as one sentence with exit code 1 (``--debug``: raise).

    The command takes ``ctx: typer.Context`` (by keyword, as typer passes it).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except Exception as exc:
            ctx = kwargs.get("ctx")
            debug = isinstance(ctx, typer.Context) and context(ctx).debug
            if not isinstance(exc, known_errors()) or debug:
                raise
            raise fail(one_sentence(exc)) from None

    return wrapper


def parse_date(name: str, value: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` option value, or None; a bad value names the option."""
    from jobs.errors import UsageError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"{name} {value!r} is not a date; use YYYY-MM-DD") from exc


def records(frame: Any) -> list[dict[str, Any]]:
    """A polars frame as JSON-ready rows (dates and times as ISO strings)."""
    return [
        {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in r.items()}
        for r in frame.iter_rows(named=True)
    ]


def cell(value: Any) -> str:
    """A value as a table cell: blank for None, 6 significant digits for floats."""
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def print_rows(
    columns: list[str], rows: list[tuple[Any, ...]], *, total: int | None = None, limit: int = 200
) -> None:
    """Rows as a rich table whose cells are never cut: too wide a table folds its cells onto more
    lines (the widest columns first) instead of ending them with an ellipsis; data is never
    markup.

    ``total`` is the number of rows there are when ``rows`` holds only the first ones.
    """
    from rich.table import Table
    from rich.text import Text

    n = len(rows) if total is None else total
    table = Table()
    for name in columns:
        table.add_column(Text(name), overflow="fold")
    for row in rows[:limit]:
        table.add_row(*[Text(cell(v)) for v in row])
    out().print(table)
    # a line of its own: a caption would wrap to the table's width ("row(s" on a 1-column table)
    out().print(Text(f"{n:,} row(s)" + (f", first {limit:,} shown" if n > limit else "")))


def print_frame(frame: pl.DataFrame, limit: int = 200) -> None:
    """A polars frame as a rich table (see :func:`print_rows`)."""
    print_rows(
        list(frame.columns), list(frame.head(limit).iter_rows()), total=frame.height, limit=limit
    )


# -- options shared by several commands -----------------------------------------------------------


def flag(*decls: str, help: str) -> Any:
    """A boolean option shown as a flag in help (``--offline``, not ``--offline <bool>``)."""
    return typer.Option(*decls, help=help, metavar="")


EventOption = Annotated[
    list[str] | None, typer.Option("--event", "-e", help="Only these event ids.")
]
CategoryOption = Annotated[
    list[str] | None, typer.Option("--category", "-c", help="Only events of these categories.")
]
FormatOption = Annotated[ReportFormat, typer.Option("--format", help="What to print on stdout.")]
OfflineOption = Annotated[bool, flag("--offline", help="Use only stored prices; never fetch.")]
NoSaveOption = Annotated[bool, flag("--no-save", help="Do not store the run.")]
