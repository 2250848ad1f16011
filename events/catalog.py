"""Reading event catalogs: hand-written TOML files and bulk CSV lists.

A catalog file is TOML with one ``[[event]]`` table per event::

    [[event]]
    id = "amzn-q3-2025"
    title = "Amazon Q3 2025 results"
    category = "earnings"
    announced = 2025-10-30                  # or 2025-10-30T16:05:00-04:00
    timing = "after_close"                  # before_open | intraday | after_close | unknown
    tickers = ["AMZN"]                      # first = primary
    source = "CNBC; Reuters"
    tags = ["seed"]

Bulk lists are CSV with a header ``ticker,date[,timing]``; the date column may also be
called ``event_date``, ``filing_date`` (as in SEC-derived earnings lists) or ``announced``.
Each row becomes an event ``<ticker>-<category>-<date>`` (lower case).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from events.errors import CatalogFileError, EventValidationError
from events.model import CATEGORIES, TIMINGS, Event
from events.tickers import normalise_ticker

SEED_CATALOG = "seed-events.toml"
#: The names a bulk CSV's date column may have, in the order they are looked for.
DATE_COLUMNS: tuple[str, ...] = ("date", "event_date", "filing_date", "announced")
_SLUG_UNSAFE = re.compile(r"[^a-z0-9._-]")


def _describe(errors: ValidationError) -> tuple[str, str]:
    first = errors.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(entry)"
    return loc, first["msg"].removeprefix("Value error, ")


def parse_event(data: Mapping[str, Any], *, source: str, entry: str) -> Event:
    """Validate one raw mapping into an :class:`Event`.

    Raises
    ------
    EventValidationError
        naming ``source`` (file), ``entry`` and the first invalid field.
    """
    try:
        return Event.model_validate(dict(data))
    except ValidationError as exc:
        field, msg = _describe(exc)
        raise EventValidationError(
            f"{source}: {entry}: field {field!r}: {msg}", source=source, entry=entry, field=field
        ) from exc


def parse_catalog(data: Mapping[str, Any], *, source: str) -> list[Event]:
    """Events from an already-parsed TOML document (``{"event": [...]}``)."""
    unknown = set(data) - {"event", "catalog"}
    if unknown:
        raise CatalogFileError(
            f"{source}: unexpected top-level key(s) {sorted(unknown)}; "
            "a catalog holds [[event]] tables (and an optional [catalog] table)",
            path=source,
        )
    raw = data.get("event", [])
    if not isinstance(raw, list):
        raise CatalogFileError(
            f"{source}: 'event' must be an array of tables ([[event]])", path=source
        )
    events: list[Event] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(raw, start=1):
        label = f"event #{n}" + (
            f" ({item.get('id')!r})" if isinstance(item, dict) and "id" in item else ""
        )
        if not isinstance(item, dict):
            raise EventValidationError(
                f"{source}: {label}: not a table", source=source, entry=label
            )
        ev = parse_event(item, source=source, entry=label)
        if ev.id in seen:
            raise EventValidationError(
                f"{source}: {label}: field 'id': {ev.id!r} is already used by event #{seen[ev.id]}",
                source=source,
                entry=label,
                field="id",
            )
        seen[ev.id] = n
        events.append(ev)
    return events


def load_catalog(path: str | Path) -> list[Event]:
    """Read a TOML catalog file.

    Raises
    ------
    CatalogFileError
        if the file is missing or is not valid TOML;
    EventValidationError
        if an entry is invalid (the message names file, entry and field).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogFileError(
            f"cannot read catalog {p}: {exc.strerror or exc}", path=str(p)
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogFileError(f"{p} is not valid TOML: {exc}", path=str(p)) from exc
    return parse_catalog(data, source=str(p))


def seed_catalog() -> list[Event]:
    """The verified seed events that ship with the package (``events/seed/seed-events.toml``)."""
    ref = resources.files("events") / "seed" / SEED_CATALOG
    data = tomllib.loads(ref.read_text(encoding="utf-8"))
    return parse_catalog(data, source=f"<package>/seed/{SEED_CATALOG}")


def _cell(row: list[str], idx: int | None) -> str:
    return row[idx].strip() if idx is not None and idx < len(row) else ""


def read_event_csv(
    path: str | Path,
    *,
    category: str = "earnings",
    title_template: str = "{ticker} {category} {date}",
    tags: Iterable[str] = (),
    timing: str | None = None,
) -> list[Event]:
    """Events from a bulk CSV list ``ticker,date[,timing]`` (date: any of :data:`DATE_COLUMNS`).

    ``timing`` is given to every row whose own ``timing`` cell is empty (a stated cell wins).
    Validation is done per row with plain Python (fast enough for tens of thousands of
    rows); the error names the file, the line and the column.
    """
    p = Path(path)
    if category not in CATEGORIES:
        raise CatalogFileError(
            f"category {category!r} is not one of {', '.join(CATEGORIES)}", path=str(p)
        )
    if timing is not None and timing not in TIMINGS:
        raise CatalogFileError(f"timing {timing!r} is not one of {', '.join(TIMINGS)}", path=str(p))
    try:
        handle = p.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise CatalogFileError(f"cannot read {p}: {exc.strerror or exc}", path=str(p)) from exc
    tag_tuple = tuple(tags)
    with handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        cols = {name: i for i, name in enumerate(header)}
        date_name = next((c for c in DATE_COLUMNS if c in cols), None)
        if "ticker" not in cols or date_name is None:
            raise CatalogFileError(
                f"{p}: header {header} must contain 'ticker' and a date column "
                f"({', '.join(repr(c) for c in DATE_COLUMNS)}), optionally 'timing'",
                path=str(p),
            )
        date_col = cols[date_name]
        t_col, tm_col = cols["ticker"], cols.get("timing")
        events: list[Event] = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            where = f"{p}: line {line}"
            try:
                ticker = normalise_ticker(_cell(row, t_col))
            except ValueError as exc:
                raise EventValidationError(
                    f"{where}: column 'ticker': {exc}",
                    source=str(p),
                    entry=f"line {line}",
                    field="ticker",
                ) from exc
            raw_date = _cell(row, date_col)
            try:
                day = dt.date.fromisoformat(raw_date)
            except ValueError as exc:
                raise EventValidationError(
                    f"{where}: column {date_name!r}: {raw_date!r} is not a date (use YYYY-MM-DD)",
                    source=str(p),
                    entry=f"line {line}",
                    field=date_name,
                ) from exc
            row_timing = _cell(row, tm_col) or timing or "unknown"
            if row_timing not in TIMINGS:
                raise EventValidationError(
                    f"{where}: column 'timing': {row_timing!r} is not one of {', '.join(TIMINGS)}",
                    source=str(p),
                    entry=f"line {line}",
                    field="timing",
                )
            event_id = _SLUG_UNSAFE.sub("", f"{ticker.lower()}-{category}-{day.isoformat()}")
            if event_id in seen:
                continue  # the same ticker and date twice is the same event
            seen.add(event_id)
            events.append(
                Event.model_construct(
                    id=event_id,
                    title=title_template.format(ticker=ticker, category=category, date=day),
                    category=category,
                    announced=day,
                    timing=row_timing,
                    tickers=(ticker,),
                    source=f"imported from {p.name}",
                    tags=tag_tuple,
                )
            )
    return events
