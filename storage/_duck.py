"""The DuckDB boundary: opening the file (waiting out another process's lock) and error text.

Nothing outside ``storage`` sees a ``duckdb`` exception or connection: every caller here
turns ``duckdb.Error`` into a :class:`~storage.errors.StoreError` whose message says what
failed, with DuckDB's own message on one line and the original chained.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb

from storage.errors import StoreError, StoreLockedError

_LOCK_MESSAGE = re.compile(r"Could not set lock|Conflicting lock", re.IGNORECASE)
_OTHER_CONFIG = re.compile(r"different configuration", re.IGNORECASE)
_CARET = re.compile(r"^(\s*)\^+\s*$")
_LINE = re.compile(r"^LINE (\d+): ")

#: Written into new files so that the DuckDB 1.5 command-line client (the newest on PyPI) reads them.
STORAGE_COMPATIBILITY = "v1.5.0"


def missing_store(path: Path) -> StoreError:
    """The sentence for a read of a store that does not exist yet."""
    return StoreError(
        f"no store at {path}: create one with 'reaction prices import FILE' "
        "or 'reaction events import', or point --db / REACTION_DB at an existing file"
    )


def connect(
    path: Path,
    *,
    read_only: bool,
    config: Mapping[str, object] | None = None,
    lock_timeout: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open ``path``, retrying for up to ``lock_timeout`` seconds while another process holds it.

    ``on_wait`` is told once, in a sentence, that the store is busy. Read-only opens of a
    missing file fail with the "no store at ..." sentence instead of creating it.
    """
    if read_only and not path.exists():
        raise missing_store(path)
    settings: dict[str, object] = dict(config or {})
    if not read_only:
        settings.setdefault("storage_compatibility_version", STORAGE_COMPATIBILITY)
    deadline = time.monotonic() + lock_timeout
    announced = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=settings)  # type: ignore[arg-type]
        except duckdb.IOException as exc:
            if not _LOCK_MESSAGE.search(str(exc)):
                raise StoreError(f"cannot open the store {path}: {one_line(exc)}") from exc
            if time.monotonic() >= deadline:
                raise StoreLockedError(
                    f"the store {path} is in use by another process (probably a running "
                    f"refresh){f'; waited {lock_timeout:g} s' if lock_timeout else ''}. "
                    "Try again when it has finished."
                ) from exc
            if on_wait is not None and not announced:
                on_wait(
                    f"the store {path} is busy (another process holds it); "
                    f"waiting up to {lock_timeout:g} s"
                )
                announced = True
            sleep(min(0.25, max(0.0, deadline - time.monotonic())))
        except duckdb.ConnectionException as exc:
            if _OTHER_CONFIG.search(str(exc)):
                raise StoreError(
                    f"the store {path} is already open in this process with other settings "
                    "(read-only vs read-write, or outside access for SQL); close that session first"
                ) from exc
            raise StoreError(f"cannot open the store {path}: {one_line(exc)}") from exc
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the store {path}: {one_line(exc)}") from exc


def one_line(exc: BaseException | str, *, line_offset: int = 0) -> str:
    """DuckDB's message on one line: ``<first line> (line L, column C)`` when it points somewhere.

    DuckDB writes a multi-line message: the error, hints ("Did you mean ..."), and a
    ``LINE n: <text>`` line followed by a caret line under the culprit. The position becomes
    ``(line n, column c)`` (``n`` shifted by ``line_offset`` when the statement came from
    further down a script); other lines are appended after `` - ``.
    """
    text = str(exc)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__ if isinstance(exc, BaseException) else ""
    position = ""
    extra: list[str] = []
    skip_next = False
    for i, line in enumerate(lines[1:], start=1):
        if skip_next:
            skip_next = False
            continue
        m = _LINE.match(line)
        if m:
            c = _CARET.match(lines[i + 1]) if i + 1 < len(lines) else None
            if c:
                column = len(c.group(1)) - len(m.group(0)) + 1
                position = f" (line {int(m.group(1)) + line_offset}, column {max(column, 1)})"
                skip_next = True
            continue
        extra.append(line.strip())
    return lines[0].strip() + position + (f" - {' '.join(extra)}" if extra else "")
