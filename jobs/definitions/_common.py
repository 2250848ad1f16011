"""What study and rule definitions share: strict models, error sentences, TOML reading, overrides."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from jobs.errors import UsageError

#: The id suffix of a study or rule changed by command-line options (an ad-hoc variant).
ADHOC_SUFFIX = "-adhoc"


class Strict(BaseModel):
    """Frozen, and unknown keys are errors (a typo in a TOML file is never ignored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def validation_sentence(exc: ValidationError, source: str) -> str:
    """The first validation error as ``<source>: field 'a.b': <message>``."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return f"{source}: field {loc!r}: {first['msg'].removeprefix('Value error, ')}"


def read_toml(path: Path, *, what: str, hint: str = "") -> dict[str, Any]:
    """Parse a TOML file; unreadable files and bad TOML raise :class:`UsageError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}{hint}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{what} {path} is not valid TOML: {exc}") from exc


def with_selection(
    data: dict[str, Any],
    events: Sequence[str],
    tickers: Sequence[str],
    categories: Sequence[str],
) -> dict[str, Any]:
    """Apply event ids (replace the selection), categories, and tickers (measure only these)."""
    if events:
        data["select"] = {"events": list(events)}
    if categories:
        data["select"]["categories"] = list(categories)
    if tickers:
        data["measure"] = {"tickers": [t.upper() for t in tickers], "own_tickers": False}
    return data
