"""The ``reaction`` command line: thin wrappers over :mod:`jobs.services`.

Every command exits non-zero on failure and prints errors as one sentence on
stderr (the traceback only with ``--debug``). Machine-readable output goes to
stdout; progress and messages go to stderr. One module per command group;
each imports what it needs when it runs, so start-up stays fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from jobs.cli._common import CliContext, flag

#: The command modules, in the order ``reaction --help`` lists them, with the top-level
#: commands each registers (tests/jobs/cli/test_build.py checks these against the app).
COMMANDS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "events": ("events",),
    "prices": ("prices", "factors"),
    "study": ("study",),
    "backtest": ("backtest",),
    "refresh": ("refresh", "schedule"),
    "sql": ("sql",),
}
#: The garbage collector's thresholds for a ``reaction`` process (see :func:`run`).
GC_THRESHOLDS = (50_000, 20, 100)
#: The root options that take a value (the word after them is not a command).
ROOT_VALUE_OPTIONS = ("--db", "--config")
ROOT_FLAGS = ("--debug", "--no-seed")


def _root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="DuckDB store (default reaction.duckdb; env REACTION_DB)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML settings file (env REACTION_CONFIG).")
    ] = None,
    debug: Annotated[bool, flag("--debug", help="Show tracebacks.")] = False,
    no_seed: Annotated[
        bool,
        flag(
            "--no-seed",
            help="Never load the seed catalog into the store (env REACTION_SEED=false).",
        ),
    ] = False,
) -> None:
    """market-reaction: how did prices react to events, and is it more than noise?"""
    ctx.obj = CliContext(db=db, config=config, debug=debug, no_seed=no_seed)


def build_app(modules: Sequence[str] | None = None) -> typer.Typer:
    """The ``reaction`` app with the commands of ``modules`` (keys of :data:`COMMANDS`;
    default all of them)."""
    app = typer.Typer(
        name="reaction",
        help="Event studies of market reactions: events, prices, abnormal returns, tests, reports.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    for name in COMMANDS if modules is None else modules:
        importlib.import_module(f"jobs.cli.{name}").register(app)
    return app


def command_module(args: Sequence[str]) -> str | None:
    """The module of the command ``args`` run (the first word after the root options), or
    None when they name none we know (help, a mistyped command, an unknown option)."""
    words = iter(args)
    for word in words:
        if word in ROOT_VALUE_OPTIONS:
            next(words, None)
        elif word in ROOT_FLAGS or word.startswith(tuple(f"{o}=" for o in ROOT_VALUE_OPTIONS)):
            continue
        else:
            return next((m for m, names in COMMANDS.items() if word in names), None)
    return None


def __getattr__(name: str) -> Any:
    """``jobs.cli.app``: the whole app, built on first use (a command builds only its own
    group: typer converts every command it holds, about 0.05 s for all of them)."""
    if name == "app":
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reaction`` command: the exit code (``argv`` defaults to sys.argv).

    Only the group of the command run is built (its help is the same); help and unknown
    commands get the whole app.
    """
    args = list(argv) if argv is not None else sys.argv[1:]
    module = command_module(args)
    app = build_app(None if module is None else [module])
    try:
        app(args=args, prog_name="reaction")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return 1
    return 0


def run() -> NoReturn:
    """The installed ``reaction`` script: :func:`main`, then the end of the process.

    The garbage collector runs every :data:`GC_THRESHOLDS` ``[0]`` new objects rather than
    every 700. The interpreter's own teardown (clearing the modules of numpy, scipy, polars and
    DuckDB, a last garbage collection) takes 0.15-0.2 s after every command, a tenth of
    a study of 1,000 events. Once the command has returned (its store closed, its files
    written), the exit handlers run and the streams are flushed here, and the process
    ends without that teardown (``os._exit``). While any other Python thread is still
    alive, or a stream cannot be flushed, the interpreter ends the process as usual.
    """
    import gc

    # a command creates some 10^5 objects importing polars, numpy, DuckDB and pydantic, and
    # the default thresholds (700, 10, 10) collect some 220 times on the way, 0.08 s of a
    # 1,000-event study; a collection every 50,000 new objects takes half that, and cyclic
    # garbage still never waits for more than 50,000 allocations
    gc.set_threshold(*GC_THRESHOLDS)
    code = main()
    _end(code)


def _end(code: int) -> NoReturn:
    import atexit
    import os
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and t.is_alive() for t in threading.enumerate()):
        # let the interpreter wait for them (non-daemon) as it always does
        sys.exit(code)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: the usual teardown
        sys.exit(code)
    run_exit_handlers()  # logging's flush, temporary directories, ...
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken stream: the usual path reports it
        sys.exit(code)
    os._exit(code)


__all__ = ["app", "main", "run"]
