"""Market data: counting upserts, reads by ticker and date, coverage, the session calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.errors import ReadOnlyError, StoreInputError
from storage.repos import PriceSpan, UpsertCounts
from storage.session import OpenStore
from storage.store import Store

D = dt.date


def test_price_upserts_count_new_changed_and_unchanged_rows(
    db: OpenStore, prices: Callable[..., pl.DataFrame]
) -> None:
    assert db.market.upsert_prices(prices("AMZN", [10, 11, 12]), source="a") == UpsertCounts(
        3, 0, 0
    )
    assert db.market.upsert_prices(prices("AMZN", [10, 11, 12]), source="a") == UpsertCounts(
        0, 0, 3
    )
    revised = prices("AMZN", [10, 11.5, 12, 13])  # one revised close, one new day
    assert db.market.upsert_prices(revised, source="b") == UpsertCounts(1, 1, 2)
    stored = db.market.prices(["amzn"])
    assert stored.get_column("close").to_list() == [10, 11.5, 12, 13]
    assert stored.get_column("source").to_list() == [
        "a",
        "b",
        "a",
        "b",
    ]  # unchanged rows keep theirs
    assert stored.columns == [
        "ticker", "date", "open", "high", "low", "close", "adj_close", "volume", "source", "fetched_at",
    ]  # fmt: skip


def test_duplicate_keys_in_one_batch_keep_the_last_row(
    db: OpenStore, prices: Callable[..., pl.DataFrame]
) -> None:
    batch = pl.concat([prices("AMZN", [10]), prices("AMZN", [99])])
    assert db.market.upsert_prices(batch, source="a") == UpsertCounts(1, 0, 0)
    assert db.market.prices().get_column("close").to_list() == [99]


def test_bad_price_rows_are_refused_before_anything_is_written(
    db: OpenStore, prices: Callable[..., pl.DataFrame]
) -> None:
    with pytest.raises(StoreInputError, match="lack the column"):
        db.market.upsert_prices(prices("AMZN", [10]).drop("volume"), source="a")
    with pytest.raises(StoreInputError, match="have no close"):
        db.market.upsert_prices(
            prices("AMZN", [10]).with_columns(pl.lit(None, pl.Float64).alias("close")), source="a"
        )
    with pytest.raises(StoreInputError, match="cannot be stored"):
        db.market.upsert_prices(
            prices("AMZN", [10]).with_columns(pl.lit("x").alias("volume")), source="a"
        )
    assert db.market.prices().height == 0


def test_reads_filter_by_ticker_and_inclusive_dates(
    db: OpenStore, prices: Callable[..., pl.DataFrame]
) -> None:
    db.market.upsert_prices(
        pl.concat([prices("AMZN", [1, 2, 3, 4]), prices("SPY", [5, 6])]), source="a"
    )
    picked = db.market.prices(["amzn"], start=D(2025, 10, 2), end=D(2025, 10, 3))
    assert picked.select("ticker", "date").rows() == [
        ("AMZN", D(2025, 10, 2)),
        ("AMZN", D(2025, 10, 3)),
    ]
    assert db.market.spans() == {
        "AMZN": PriceSpan("AMZN", D(2025, 10, 1), D(2025, 10, 4), 4),
        "SPY": PriceSpan("SPY", D(2025, 10, 1), D(2025, 10, 2), 2),
    }
    assert list(db.market.spans(["spy", "NVDA"])) == ["SPY"]
    cov = db.market.coverage()
    assert cov.columns == ["ticker", "first", "last", "rows", "last_loaded", "source"]
    assert cov.select("ticker", "rows").rows() == [("AMZN", 4), ("SPY", 2)]


def test_actions_and_factors(db: OpenStore) -> None:
    actions = pl.DataFrame(
        {
            "ticker": ["AAPL", "AAPL"],
            "date": [D(2020, 8, 31), D(2025, 8, 11)],
            "kind": ["split", "dividend"],
            "value": [4.0, 0.26],
        }
    )
    assert db.market.upsert_actions(actions, source="f") == UpsertCounts(2, 0, 0)
    assert db.market.upsert_actions(
        actions.with_columns(pl.lit(0.27).alias("value")).tail(1), source="f"
    ) == UpsertCounts(0, 1, 0)
    assert db.market.actions(["aapl"], start=D(2025, 1, 1)).select("kind", "value").rows() == [
        ("dividend", 0.27)
    ]
    with pytest.raises(StoreInputError, match="kind other than dividend or split"):
        db.market.upsert_actions(actions.with_columns(pl.lit("spinoff").alias("kind")), source="f")

    factors = pl.DataFrame(
        {"date": [D(2025, 10, 1), D(2025, 10, 2)], "mkt_rf": [0.01, -0.02], "rf": [0.0001, 0.0001]}
    )
    assert db.market.upsert_factors(factors, source="french") == UpsertCounts(2, 0, 0)
    stored = db.market.factors(start=D(2025, 10, 2))
    assert stored.columns == [
        "date",
        "mkt_rf",
        "smb",
        "hml",
        "rmw",
        "cma",
        "mom",
        "rf",
        "source",
        "loaded_at",
    ]
    assert stored.row(0)[:3] == (D(2025, 10, 2), -0.02, None)


def test_tickers_changed_since_a_time(store: Store, prices: Callable[..., pl.DataFrame]) -> None:
    early, late = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    with store.open(write=True) as db:
        db.market.upsert_prices(prices("AMZN", [1]), source="a", fetched_at=early)
        db.market.upsert_prices(prices("SPY", [1]), source="a", fetched_at=late)
        actions = pl.DataFrame(
            {"ticker": ["MSFT"], "date": [D(2025, 5, 1)], "kind": ["dividend"], "value": [0.8]}
        )
        db.market.upsert_actions(actions, source="a", fetched_at=late)
    with store.open() as db:
        assert db.market.tickers_changed_since(late) == {"SPY", "MSFT"}
        assert db.market.tickers_changed_since(early) == {"AMZN", "SPY", "MSFT"}


def _days(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def test_the_session_calendar_is_written_once_extended_and_kept(store: Store) -> None:
    cal = _days(D(2020, 1, 1), 100)
    with store.open(write=True) as db:
        assert db.market.ensure_sessions(cal[:60]) == 60
        assert db.market.ensure_sessions(cal[:60]) == 0  # the same: nothing written
        assert db.market.ensure_sessions(cal) == 40  # extends it: only the new ones
        assert db.market.ensure_sessions(cal[:80]) == 0  # a shorter calendar keeps the longer one
    with store.open() as db:
        assert (
            db.market.ensure_sessions(np.array(cal, dtype="datetime64[D]")) == 0
        )  # read-only is fine
        assert db.market.sessions() == cal
        with pytest.raises(
            ReadOnlyError, match=r"read-only, so it cannot store the session calendar"
        ):
            db.market.ensure_sessions(cal[1:])
    with store.open(write=True) as db:
        shifted = [d for d in cal if d != D(2020, 1, 10)]  # a closure added: renumbered
        assert db.market.ensure_sessions(shifted) == 99
        numbers = db.market.sessions()
        assert numbers == shifted
    with store.open_sql() as sql:
        con_rows = sql.run("SELECT date, session_no FROM core.sessions ORDER BY date").rows
    assert con_rows[9] == (D(2020, 1, 11), 9) and con_rows[-1] == (cal[-1], 98)
    with (
        store.open(write=True) as db,
        pytest.raises(StoreInputError, match="not strictly ascending"),
    ):
        db.market.ensure_sessions([D(2021, 1, 2), D(2021, 1, 1)])


# -- the upsert keeps keys unique without an index (migration 0016) -----------------------------

_BATCH = st.lists(
    st.tuples(
        st.sampled_from(["AMZN", "MSFT", "NVDA"]),
        st.integers(0, 6),  # day offset
        st.sampled_from([1.0, 2.0, 3.0]),  # close: few values, so rows often repeat exactly
    ),
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(_BATCH, min_size=1, max_size=4))
def test_upserts_match_a_dictionary_model(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[str, int, float]]]
) -> None:
    """Any sequence of batches (with repeats inside and across them) leaves one row per key,
    holding the last value written, and counts what a plain dictionary says changed."""
    store = Store(tmp_path_factory.mktemp("u") / "s.duckdb")
    model: dict[tuple[str, dt.date], tuple[float, int]] = {}  # key -> (close, batch written)
    with store.open(write=True) as db:
        for b, batch in enumerate(batches):
            frame = pl.DataFrame(
                {
                    "ticker": [t for t, _, _ in batch],
                    "date": [D(2025, 10, 1) + dt.timedelta(days=d) for _, d, _ in batch],
                    "close": [c for _, _, c in batch],
                },
                schema={"ticker": pl.String, "date": pl.Date, "close": pl.Float64},
            ).with_columns(
                *(pl.lit(None, pl.Float64).alias(c) for c in ("open", "high", "low", "adj_close")),
                pl.lit(None, pl.Int64).alias("volume"),
            )
            last = {(t, D(2025, 10, 1) + dt.timedelta(days=d)): c for t, d, c in batch}
            new = sum(k not in model for k in last)
            changed = sum(k in model and model[k][0] != c for k, c in last.items())
            got = db.market.upsert_prices(frame, source=f"batch{b}")
            assert got == UpsertCounts(new, changed, len(last) - new - changed)
            for k, c in last.items():
                if k not in model or model[k][0] != c:
                    model[k] = (c, b)
        stored = db.market.prices()
    assert stored.height == len(model)
    assert stored.select(pl.struct("ticker", "date").is_unique().all()).item()
    seen = {
        (r["ticker"], r["date"]): (r["close"], r["source"]) for r in stored.iter_rows(named=True)
    }
    assert seen == {k: (c, f"batch{b}") for k, (c, b) in model.items()}


def test_price_provenance_is_the_latest_load_of_each_ticker_in_the_range(
    store: Store, prices: Callable[..., pl.DataFrame]
) -> None:
    first = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
    later = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)
    with store.open(write=True) as db:
        db.market.upsert_prices(prices("AMZN", [10, 11, 12]), source="a", fetched_at=first)
        db.market.upsert_prices(prices("AMZN", [10, 11, 12.5]), source="b", fetched_at=later)
        db.market.upsert_prices(prices("MSFT", [5, 6]), source="c", fetched_at=first)
        whole = db.market.price_provenance()
        early = db.market.price_provenance(end=D(2025, 10, 2))  # before AMZN's revised day
        lean = db.market.prices(provenance=False)
    assert whole.rows() == [("AMZN", later, "b"), ("MSFT", first, "c")]
    assert early.rows() == [("AMZN", first, "a"), ("MSFT", first, "c")]
    assert lean.columns == ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume"]
