"""Recomputing registered studies after new data arrive (the refresh's last step)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from jobs.errors import JobError
from jobs.services.registry import registered_studies
from jobs.services.study import run_study, save_run
from storage.errors import StorageError
from storage.store import Store

log = logging.getLogger("reaction.recompute")


def recompute_registered(
    store: Store,
    changed: set[str],
    *,
    now: dt.datetime,
    reports_dir: Path | None = None,
    html: bool = True,
    seed: bool = True,
) -> list[str]:
    """Re-run every registered study whose inputs changed; store it and write its reports.

    A study's inputs changed when the hash of the prices, dividends, factors,
    events and definition it uses differs from its last stored run's: that
    covers new sessions, revised bars and new events alike, so ``changed`` (the
    tickers the refresh touched) is only logged. A study that fails (e.g. its
    prices are still missing) is logged and skipped; the others go on.
    """
    from jobs.report.study.files import write_report_files

    done: list[str] = []
    with store.open(write=True) as db:
        registered = registered_studies(db)
    for definition, last_hash in registered:
        sid = definition.study.id
        try:
            run = run_study(store, definition, now=now, offline=True, save=False, seed=seed)
        except (JobError, StorageError) as exc:
            log.warning("study %s not recomputed: %s", sid, str(exc).splitlines()[0])
            continue
        if run.input_hash == last_hash:
            log.info("study %s: inputs unchanged (%s), nothing to do", sid, run.input_hash[:12])
            continue
        save_run(store, run, registered=True)
        if reports_dir is not None:
            write_report_files(run, reports_dir / sid, html=html)
        log.info(
            "study %s recomputed as run %s (tickers changed: %s)",
            sid,
            run.run_id,
            ", ".join(sorted(changed)) or "none",
        )
        done.append(sid)
    return done


def recompute_hook(
    reports_dir: Path | None, clock: Callable[[], dt.datetime], *, seed: bool = True
) -> Callable[[Store, set[str]], list[str]]:
    """The ``recompute`` callable the refresh job takes, bound to a reports folder and a clock."""

    def hook(store: Store, changed: set[str]) -> list[str]:
        return recompute_registered(store, changed, now=clock(), reports_dir=reports_dir, seed=seed)

    return hook
