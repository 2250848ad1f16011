"""Stopping cleanly on SIGTERM / Ctrl-C: finish the current step, then record the stop."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


@contextmanager
def stop_on_signals(
    stop: threading.Event,
    signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
    then: Callable[[signal.Signals], None] | None = None,
) -> Iterator[threading.Event]:
    """Set ``stop`` on SIGTERM/SIGINT (then call ``then(signal)`` once); restore handlers after.

    For ``reaction refresh``: Ctrl-C or ``kill`` finishes the current ticker and
    records ``interrupted`` instead of dying mid-ticker. Main thread only.
    """
    previous: dict[signal.Signals, Any] = {}

    def handler(signum: int, _frame: FrameType | None) -> None:
        first = not stop.is_set()
        stop.set()
        if first and then is not None:
            then(signal.Signals(signum))

    try:
        for sig in signals:
            previous[sig] = signal.signal(sig, handler)
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
