"""The store's schema, as ordered ``.sql`` files in ``storage/migrations/``.

``NNNN_<name>.sql`` is migration ``NNNN``; its first line is a ``-- <description>`` comment
(stored in ``core.schema_version``) and the rest is DuckDB SQL run as one script, with the
default schema set to ``core`` (unqualified names are base tables; the public views are
created as ``main.<view>``). ``core.schema_version`` holds one row per applied migration.
Opening a store for writing applies the missing ones, each in its own transaction; a store
written by a newer market-reaction (a version we do not know) is refused rather than guessed
at. Never edit a released migration: add a new file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One migration file: its number, file name, description line and SQL script."""

    version: int
    name: str
    description: str
    sql: str


@functools.cache
def migrations() -> tuple[Migration, ...]:
    """Every migration, in order (read once per process from the package's ``migrations/``)."""
    found: list[Migration] = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        m = _FILE.match(entry.name)
        if m is None:
            continue
        text = entry.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        if not first.startswith("-- "):
            raise RuntimeError(f"migration {entry.name} must start with a '-- description' line")
        found.append(Migration(int(m.group(1)), entry.name, first[3:].strip(), text))
    found.sort(key=lambda mig: mig.version)
    numbers = [mig.version for mig in found]
    # numbers are assigned to parallel branches ahead of the merge, so one branch may carry a
    # gap (e.g. 1-8 and 13); duplicates and a first number other than 1 are still refused
    if len(set(numbers)) != len(numbers) or (numbers and numbers[0] != 1):
        raise RuntimeError(f"migrations must be numbered 1, 2, 3 ... once each; found {numbers}")
    return tuple(found)


MIGRATIONS: tuple[Migration, ...] = migrations()
LATEST_VERSION: int = MIGRATIONS[-1].version
