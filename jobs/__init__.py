"""Jobs: wiring events, storage and backtest together; the services, reports and the CLI.

The Python API, for scripts and notebooks (imported on first use, so ``import jobs`` is cheap)::

    from jobs import run_study, seed_study, load_study
    from storage import Store

    run = run_study(Store("reaction.duckdb"), seed_study(), now=..., offline=True)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.definitions.rule import load_rule
    from jobs.definitions.study import load_study, seed_study
    from jobs.services.backtest import run_backtest
    from jobs.services.study import list_runs, load_run_frames, run_study

_LAZY = {
    "load_rule": "jobs.definitions.rule",
    "load_study": "jobs.definitions.study",
    "seed_study": "jobs.definitions.study",
    "run_backtest": "jobs.services.backtest",
    "run_study": "jobs.services.study",
    "list_runs": "jobs.services.study",
    "load_run_frames": "jobs.services.study",
}

__all__ = [
    "list_runs",
    "load_rule",
    "load_run_frames",
    "load_study",
    "run_backtest",
    "run_study",
    "seed_study",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jobs' has no attribute {name!r}")
