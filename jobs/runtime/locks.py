"""Pid lock files next to the store: only one refresh (or scheduler) per store at a time."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from jobs.errors import AlreadyRunningError, RefreshRunningError


def lock_path(db: Path, kind: str = "refresh") -> Path:
    """The lock file next to the store: ``<db>.refresh.lock`` (or ``<db>.<kind>.lock``)."""
    return db.with_name(f"{db.name}.{kind}.lock")


@contextmanager
def pid_lock(
    path: Path,
    *,
    started: dt.datetime,
    busy: Callable[[int | None, str | None], AlreadyRunningError],
) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (non-blocking) with "pid started" written in it.

    The OS drops the lock when the process dies, even on SIGKILL, so a stale
    file never blocks anyone. When another process holds it, ``busy(pid, started)``
    builds the error to raise.
    """
    import fcntl  # POSIX only; imported here so the module imports everywhere

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, when = _lock_holder(fd)
            raise busy(pid, when) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started.isoformat(timespec='seconds')}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _lock_holder(fd: int) -> tuple[int | None, str | None]:
    parts = os.pread(fd, 200, 0).decode(errors="replace").split()
    pid = int(parts[0]) if parts and parts[0].isdigit() else None
    return pid, (parts[1] if len(parts) > 1 else None)


def refresh_lock(db: Path, *, started: dt.datetime) -> contextlib.AbstractContextManager[None]:
    """The refresh lock of the store ``db``; raises :class:`RefreshRunningError` when taken."""

    def busy(pid: int | None, when: str | None) -> AlreadyRunningError:
        who = f"pid {pid}, started {when}" if pid else "its process is just starting"
        stop = f"; wait for it to finish, or stop it with 'kill -TERM {pid}'" if pid else ""
        return RefreshRunningError(
            f"a refresh is already running ({who}) on {db}{stop}", pid=pid, started=when
        )

    return pid_lock(lock_path(db), started=started, busy=busy)
