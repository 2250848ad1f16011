"""The ``reaction`` command line: thin wrappers over :mod:`jobs.services`.

Every command exits non-zero on failure and prints errors as one sentence on
stderr (the traceback only with ``--debug``). Machine-readable output goes to
stdout; progress and messages go to stderr. One module per command group;
each imports what it needs when it runs, so start-up stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from jobs.cli import backtest, events, prices, refresh, sql, status, study
from jobs.cli._common import CliContext, flag

app = typer.Typer(
    name="reaction",
    help="Event studies of market reactions: events, prices, abnormal returns, tests, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
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


status.register(app)
events.register(app)
prices.register(app)
study.register(app)
backtest.register(app)
refresh.register(app)
sql.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reaction`` command: the exit code (``argv`` defaults to sys.argv)."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="reaction")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return 1
    return 0


def run() -> NoReturn:
    """The installed ``reaction`` script: :func:`main`, then the end of the process.

    The interpreter's own teardown (clearing the modules of numpy, scipy, polars and
    DuckDB, a last garbage collection) takes 0.15-0.2 s after every command, a tenth of
    a study of 1,000 events. Once the command has returned (its store closed, its files
    written), the exit handlers run and the streams are flushed here, and the process
    ends without that teardown (``os._exit``). While any other Python thread is still
    alive, or a stream cannot be flushed, the interpreter ends the process as usual.
    """
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
