"""The look-ahead guard: no entry before the news, no signal before it is known.

Day 0 is the first session whose close can reflect the news; the first price
after it depends on the timing (:data:`backtest.trading.panel.EARLIEST_ENTRY`).
A ``sign`` rule's signal known at the close of ``known_at_rel_day = j`` may be
traded at ``close:j`` or later (``2·j + 1 <= 2·k + point``).

Scheduled events (``events.scheduled``: the date was public in advance, e.g. an
earnings release): a fixed ``long`` or ``short`` position uses no information from
after the news, so it may enter before the first price after it (e.g. ``close:-1``,
holding through the release) without being perfect foresight. A ``sign`` position
depends on the outcome and is refused as for any other event.
"""

from __future__ import annotations

import numpy as np

from backtest._typing import BoolArray
from backtest.errors import LookaheadError
from backtest.trading.panel import EARLIEST_ENTRY, EventArrays
from backtest.trading.rule import TradeRule


def lookahead_mask(ev: EventArrays, entry_key: int, *, sign: bool) -> tuple[BoolArray, BoolArray]:
    """Per event: (entry before the news, signal not yet known at entry).

    A fixed-direction entry (``sign=False``) before a scheduled event is not early.
    """
    early = ev.earliest > entry_key
    if not sign:
        early &= ~ev.scheduled
    late_signal = (ev.known > entry_key) & np.isfinite(ev.signal) if sign else np.zeros_like(early)
    return early, late_signal


def check_lookahead(
    ev: EventArrays, entry_key: int, entry_text: str, rule: TradeRule, *, field: str
) -> BoolArray:
    """Raise :class:`LookaheadError` on the first violation, unless the rule allows it.

    Returns the per-event perfect-foresight flag (all False when nothing is early).
    """
    early, late = lookahead_mask(ev, entry_key, sign=rule.direction == "sign")
    if not rule.allow_lookahead:
        if early.any():
            i = int(np.flatnonzero(early)[0])
            r = ev.frame.row(i, named=True)
            raise LookaheadError(
                f"{field}: entry {entry_text} is before the news of event {r['event_id']!r} "
                f"({r['ticker']}, day 0 {r['day0']}, timing {r['timing']}): the first price "
                f"after the news is {EARLIEST_ENTRY[r['timing']]}. {int(early.sum())} of "
                f"{ev.n} events are affected; enter at {EARLIEST_ENTRY[r['timing']]} or later, "
                "or set allow_lookahead=True to run it as perfect foresight"
                + (
                    " (the event's date was known in advance, but a sign-of-signal position "
                    "depends on the outcome)"
                    if bool(ev.scheduled[i])
                    else ""
                ),
                field=field,
                event_id=str(r["event_id"]),
            )
        if late.any():
            i = int(np.flatnonzero(late)[0])
            r = ev.frame.row(i, named=True)
            j = (int(ev.known[i]) - 1) // 2
            name = "direction" if field == "entry" else field
            raise LookaheadError(
                f"{name}: the signal of event {r['event_id']!r} ({r['ticker']}) is known at "
                f"the close of rel day {j:+d}, after the entry {entry_text}; enter at "
                f"close:{j:+d} or later, or set allow_lookahead=True (perfect foresight). "
                f"{int(late.sum())} of {ev.n} events are affected",
                field=name,
                event_id=str(r["event_id"]),
            )
    return early | late
