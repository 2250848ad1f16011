"""The package surface: every exported name resolves, and ``import events`` stays cheap.

The import checks run in a fresh interpreter: this one has long imported everything.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import events

HEAVY = ("polars", "pandas", "exchange_calendars", "scipy", "pydantic", "numpy")


def test_every_exported_name_resolves() -> None:
    assert len(set(events.__all__)) == len(events.__all__)
    for name in events.__all__:
        assert getattr(events, name) is not None, name
    assert set(events.__all__) <= set(dir(events))


def test_from_import_and_unknown_names() -> None:
    from events import CATEGORIES, Event, TickerError, normalise_ticker, nyse

    assert "earnings" in CATEGORIES
    assert Event.__name__ == "Event"
    assert issubclass(TickerError, ValueError)
    assert normalise_ticker("spy") == "SPY"
    assert nyse().name == "XNYS"
    with pytest.raises(AttributeError, match="module 'events' has no attribute 'nope'"):
        _ = events.nope  # type: ignore[attr-defined]


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    ("code", "allowed"),
    [
        ("import events", set()),
        ("import events; events.normalise_ticker('brk-b')", set()),
        ("from events import EventError, TickerError", set()),
        ("import events; events.nyse().latest_completed_session", {"numpy"}),
        ("from events import Event", {"pydantic"}),
    ],
    ids=["import", "tickers", "errors", "calendar", "model"],
)
def test_imports_stay_light(code: str, allowed: set[str]) -> None:
    assert _loaded_after(code) <= allowed
