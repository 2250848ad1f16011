"""Inferring the timing of date-only events from the stored prices (``backtest.timing``).

``infer_stored`` runs the inference for stored events whose time of day nobody stated
(timing ``unknown``; with ``again``, also those already inferred) and records, per event, the
decision and its evidence; an event decided ``after_close`` gets timing
``inferred_after_close`` and day 0 the next session, one decided ``during_session`` timing
``inferred_during_session`` and day 0 the dated session. A stated time is never overridden.
Events whose ticker has no stored prices are left as they are (run it again when prices
arrive: ``reaction events infer``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from events import SessionCalendar, nyse, resolve_many
from events.model import Event
from storage.repos.events import EVIDENCE_COLUMNS, StoredEvent
from storage.session import OpenStore

#: The inference's decision -> the event's timing.
TIMING_OF_DECISION = {
    "after_close": "inferred_after_close",
    "during_session": "inferred_during_session",
    "undetermined": "unknown",
}


@dataclass(frozen=True)
class InferenceSummary:
    """What one inference run did: events considered, decided each way, undetermined, and
    left alone for lack of prices (or because the dated day is not a session)."""

    considered: int = 0
    after_close: int = 0
    during_session: int = 0
    undetermined: int = 0
    no_prices: int = 0
    closed_day: int = 0

    @property
    def inferred(self) -> int:
        return self.after_close + self.during_session

    def sentence(self) -> str:
        """One line for the terminal."""
        with_prices = self.after_close + self.during_session + self.undetermined
        share = f" ({self.after_close / with_prices:.1%} after the close)" if with_prices else ""
        return (
            f"timing inferred for {with_prices} of {self.considered} date-only events with "
            f"prices: {self.after_close} after the close, {self.during_session} during the "
            f"session, {self.undetermined} undetermined (day 0 stays the dated session){share}; "
            f"{self.no_prices} without stored prices, {self.closed_day} dated on a closed day "
            "(day 0 is the next session either way)"
        )


def _candidates(db: OpenStore, event_ids: Sequence[str] | None, again: bool) -> list[StoredEvent]:
    wanted = (
        ("unknown", "inferred_after_close", "inferred_during_session") if again else ("unknown",)
    )
    return [
        e
        for e in db.events.list(event_ids=event_ids)
        if e.timing in wanted and e.announced_at is None
    ]


def infer_stored(
    db: OpenStore,
    *,
    event_ids: Sequence[str] | None = None,
    again: bool = False,
    market: str = "SPY",
    calendar: SessionCalendar | None = None,
) -> InferenceSummary:
    """Infer the timing of stored date-only events from stored prices and record it.

    ``event_ids`` limits the run (default: every date-only event); ``again`` re-decides
    events inferred before (say, after a price revision).
    """
    from backtest.timing import TimingConfig, infer_timing

    cal = calendar or nyse()
    events = _candidates(db, event_ids, again)
    if not events:
        return InferenceSummary()
    on_session = [e for e in events if cal.is_session(e.announced_date)]
    closed = len(events) - len(on_session)
    tickers = sorted({e.tickers[0] for e in on_session})
    spans = db.market.spans([*tickers, market])
    priced = [e for e in on_session if e.tickers[0] in spans]
    no_prices = len(on_session) - len(priced)
    if not priced or market not in spans:
        return InferenceSummary(len(events), no_prices=len(on_session), closed_day=closed)
    cfg = TimingConfig()
    first = min(e.announced_date for e in priced)
    last = max(e.announced_date for e in priced)
    margin = dt.timedelta(days=2 * (1 - cfg.est_start))  # sessions -> calendar days, amply
    start, end = first - margin, last + dt.timedelta(days=10)
    prices = db.market.prices([*{e.tickers[0] for e in priced}, market], start=start, end=end)
    frame = pl.DataFrame(
        {
            "event_id": [e.event_id for e in priced],
            "ticker": [e.tickers[0] for e in priced],
            "session": [e.announced_date for e in priced],
        },
        schema={"event_id": pl.String, "ticker": pl.String, "session": pl.Date},
    )
    found = infer_timing(
        frame,
        prices.select("ticker", "date", "open", "close", "volume"),
        market=market,
        sessions=cal.sessions_in_range(start, end),
        config=cfg,
    )
    decisions = found.get_column("decision").to_list()
    timings = [TIMING_OF_DECISION[d] for d in decisions]
    resolved = resolve_many(
        [
            Event.model_construct(
                id=e.event_id,
                title=e.title,
                category=e.category,
                announced=e.announced_date,
                timing=t,
                tickers=e.tickers,
                source=e.source,
                tags=e.tags,
            )
            for e, t in zip(priced, timings, strict=True)
        ],
        cal,
    )
    now = db.now()
    rows = found.select(
        "event_id",
        pl.Series("timing", timings, dtype=pl.String),
        pl.Series("day0", [r.day0 for r in resolved], dtype=pl.Date),
        pl.Series("day0_rule", [r.rule for r in resolved], dtype=pl.String),
        pl.col("decision").alias("timing_decision"),
        pl.col("session").alias("timing_session"),
        pl.col("abnormal_volume_0").alias("timing_av0"),
        pl.col("abnormal_volume_1").alias("timing_av1"),
        pl.col("abs_ar_0").alias("timing_abs_ar0"),
        pl.col("abs_ar_1").alias("timing_abs_ar1"),
        pl.col("gap_1").alias("timing_gap1"),
        pl.col("score").alias("timing_score"),
        pl.col("confidence").alias("timing_confidence"),
        pl.col("n_est").cast(pl.Int32).alias("timing_n_est"),
        pl.col("reason").replace("", None).alias("timing_reason"),
        pl.lit(now, pl.Datetime("us", "UTC")).alias("timing_inferred_at"),
    )
    assert tuple(rows.columns[4:]) == EVIDENCE_COLUMNS
    with db.transaction():
        db.events.set_timing(rows)
    return InferenceSummary(
        considered=len(events),
        after_close=decisions.count("after_close"),
        during_session=decisions.count("during_session"),
        undetermined=decisions.count("undetermined"),
        no_prices=no_prices,
        closed_day=closed,
    )


# -- a study's timing policy -------------------------------------------------------------------


def policy_events(events: pl.DataFrame, policy: str) -> pl.DataFrame:
    """Stored events (``event_id, timing, announced_date, day0, day0_rule, ...``) dated as a
    study's ``timing_policy`` says.

    ``infer``: as stored (an inferred day 0 where the inference decided, else the dated
    session). ``assume`` and ``two_day``: the dated session for every date-only event, i.e.
    an event inferred after the close goes back to its dated session with timing ``unknown``
    (``two_day`` then measures the window [0, +1], see ``StudyDefinition``). Events with a
    stated time are never changed.
    """
    if policy == "infer":
        return events
    moved = pl.col("day0_rule") == "inferred_next_session"
    unstated = pl.col("timing").is_in(["inferred_after_close", "inferred_during_session"])
    return events.with_columns(
        pl.when(moved).then(pl.col("announced_date")).otherwise(pl.col("day0")).alias("day0"),
        pl.when(unstated).then(pl.lit("unknown")).otherwise(pl.col("timing")).alias("timing"),
        pl.when(unstated)
        .then(pl.lit("assumed_same_session"))
        .otherwise(pl.col("day0_rule"))
        .alias("day0_rule"),
    )


def policy_catalog(catalog: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The engine's catalog (``event_id, ticker, day0, category, ...``) with the day 0s of
    ``events`` (:func:`policy_events` output), so confounders are dated like the events."""
    day0 = events.select("event_id", pl.col("day0").alias("_day0"))
    return (
        catalog.join(day0, on="event_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_day0", "day0").alias("day0"))
        .drop("_day0")
    )
