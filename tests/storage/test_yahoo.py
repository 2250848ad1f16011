"""YahooSource through yfinance's own parser, offline (fake transport, real Yahoo bodies).

Expected numbers are read from the captured JSON bodies themselves
(``shared/data/yahoo_samples``), independently of the adapter.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
import requests
import yfinance as yf
import yfinance.base
import yfinance.data

from storage.errors import (
    NoPriceDataError,
    RateLimitedError,
    SourceError,
    SourceTimeoutError,
    Transient,
    UnknownTickerError,
)
from storage.sources.base import ACTION_SCHEMA, PRICE_SCHEMA, PriceSource
from storage.sources.retry import RetryPolicy, call_with_retry
from storage.sources.yahoo import YahooSource
from tests.storage.fake_yahoo import (
    NOT_FOUND,
    TOO_MANY_REQUESTS,
    FakeYahoo,
    Reply,
    empty_chart,
    fake_session,
    ok,
)

# yfinance 1.7 calls pandas 3.1 APIs deprecated for pandas 4 (``inplace=`` in
# utils.parse_quotes / parse_actions): not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]

NEW_YORK = ZoneInfo("America/New_York")
SAMPLES = {
    "AMZN": "yahoo_v8_chart_AMZN_1d_2020-01-01_2020-01-03.body.json",
    "NVDA": "yahoo_v8_chart_NVDA_1d_2021-02-01_2022-01-31_split.body.json",
    "MSFT": "yahoo_v8_chart_MSFT_1d_2021-02-01_2022-01-31_div.body.json",
}
YEAR = (dt.date(2021, 2, 1), dt.date(2022, 1, 31))
AMZN_DAYS = (dt.date(2020, 1, 1), dt.date(2020, 1, 3))


# ------------------------------------------------------------------------ helpers


class UpperBound(random.Random):
    """``uniform(a, b)`` returns ``b``: makes full-jitter delays equal to their cap."""

    def uniform(self, a: float, b: float) -> float:
        return b


def session_date(ts: int | str) -> dt.date:
    return dt.datetime.fromtimestamp(int(ts), tz=NEW_YORK).date()


def bar(body: dict[str, Any], day: dt.date) -> dict[str, float]:
    """close / adjclose / volume of the bar dated ``day`` in a chart body."""
    result = body["chart"]["result"][0]
    i = [session_date(t) for t in result["timestamp"]].index(day)
    quote = result["indicators"]["quote"][0]
    return {
        "close": quote["close"][i],
        "adj_close": result["indicators"]["adjclose"][0]["adjclose"][i],
        "volume": quote["volume"][i],
    }


@pytest.fixture(scope="module")
def samples(shared_data: Path) -> dict[str, dict[str, Any]]:
    folder = shared_data / "yahoo_samples"
    return {sym: json.loads((folder / name).read_text()) for sym, name in SAMPLES.items()}


@pytest.fixture(autouse=True)
def yfinance_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reset yfinance's process-wide state around each test and check it is restored."""
    hide = yf.config.debug.hide_exceptions
    yfinance.data.YfData.cache_get.cache_clear()
    # The tz-probe fallback to Ticker.info is limited by a process-global counter.
    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", 0)
    yf.set_tz_cache_location(str(tmp_path / "yf-cache"))
    yield
    yfinance.data.YfData.cache_get.cache_clear()
    assert yf.config.debug.hide_exceptions == hide, "YahooSource leaked yfinance config"


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_source(fake: FakeYahoo, sleeps: list[float], tmp_path: Path, **kwargs: Any) -> YahooSource:
    kwargs.setdefault("rng", UpperBound())
    return YahooSource(
        session=fake_session(fake), sleep=sleeps.append, cache_dir=tmp_path / "yf-cache", **kwargs
    )


# ----------------------------------------------------------------------- parsing


@pytest.mark.shared_data
def test_amzn_single_bar(samples: dict[str, Any], sleeps: list[float], tmp_path: Path) -> None:
    source = make_source(FakeYahoo({"AMZN": ok(samples["AMZN"])}), sleeps, tmp_path)
    batch = source.fetch_daily("amzn", *AMZN_DAYS)

    assert isinstance(source, PriceSource)
    assert batch.ticker == "AMZN"
    assert batch.source == "yahoo"
    assert batch.prices.schema == pl.Schema(PRICE_SCHEMA)
    assert batch.actions.schema == pl.Schema(ACTION_SCHEMA)
    assert batch.actions.is_empty()
    expected = bar(samples["AMZN"], dt.date(2020, 1, 2))
    row = batch.prices.row(0, named=True)
    assert batch.prices.height == 1
    assert row["ticker"] == "AMZN"
    assert row["date"] == dt.date(2020, 1, 2)
    assert row["close"] == pytest.approx(expected["close"], rel=1e-12)
    assert row["close"] == pytest.approx(94.900497, abs=1e-6)
    assert row["adj_close"] == pytest.approx(expected["adj_close"], rel=1e-12)
    assert row["volume"] == expected["volume"]
    assert sleeps == []


@pytest.mark.shared_data
def test_nvda_split_year(samples: dict[str, Any], sleeps: list[float], tmp_path: Path) -> None:
    body = samples["NVDA"]
    source = make_source(FakeYahoo({"NVDA": ok(body)}), sleeps, tmp_path)
    batch = source.fetch_daily("NVDA", *YEAR)

    result = body["chart"]["result"][0]
    expected_dates = [session_date(t) for t in result["timestamp"]]
    assert batch.prices.height == 252
    assert batch.prices["date"].to_list() == expected_dates
    assert batch.prices["date"].is_sorted()

    (split,) = result["events"]["splits"].values()
    split_day = session_date(split["date"])
    assert split_day == dt.date(2021, 7, 20)
    assert batch.actions.rows() == [
        ("NVDA", split_day, "split", split["numerator"] / split["denominator"])
    ]
    assert batch.actions["value"].to_list() == [4.0]

    expected = bar(body, split_day)
    row = batch.prices.filter(pl.col("date") == split_day).row(0, named=True)
    assert row["close"] == pytest.approx(expected["close"], rel=1e-12)
    assert row["close"] == pytest.approx(18.612, abs=1e-3)
    assert row["adj_close"] == pytest.approx(expected["adj_close"], rel=1e-12)
    assert row["volume"] == expected["volume"]


@pytest.mark.shared_data
def test_msft_dividends(samples: dict[str, Any], sleeps: list[float], tmp_path: Path) -> None:
    body = samples["MSFT"]
    source = make_source(FakeYahoo({"MSFT": ok(body)}), sleeps, tmp_path)
    batch = source.fetch_daily("MSFT", *YEAR)

    events = body["chart"]["result"][0]["events"]["dividends"].values()
    expected_actions = sorted(
        ("MSFT", session_date(e["date"]), "dividend", e["amount"]) for e in events
    )
    assert batch.actions.rows() == expected_actions
    assert batch.actions["value"].to_list() == [0.56, 0.56, 0.56, 0.62]
    assert batch.prices.height == 252

    day = dt.date(2021, 2, 17)
    assert (batch.actions["date"] == day).any()
    expected = bar(body, day)
    row = batch.prices.filter(pl.col("date") == day).row(0, named=True)
    assert row["close"] == pytest.approx(expected["close"], rel=1e-12)
    assert row["adj_close"] == pytest.approx(expected["adj_close"], rel=1e-12)
    assert row["close"] == pytest.approx(244.199997, abs=1e-6)
    assert row["adj_close"] == pytest.approx(236.118362, abs=1e-6)


@pytest.mark.shared_data
def test_range_is_inclusive_and_trimmed(
    samples: dict[str, Any], sleeps: list[float], tmp_path: Path
) -> None:
    """Bars outside [start, end] are dropped even if the body carries them."""
    source = make_source(FakeYahoo({"MSFT": ok(samples["MSFT"])}), sleeps, tmp_path)
    start, end = dt.date(2021, 2, 16), dt.date(2021, 2, 18)
    batch = source.fetch_daily("MSFT", start, end)
    assert batch.prices["date"].to_list() == [
        dt.date(2021, 2, 16),
        dt.date(2021, 2, 17),
        dt.date(2021, 2, 18),
    ]
    assert batch.actions["date"].to_list() == [dt.date(2021, 2, 17)]


@pytest.mark.shared_data
def test_null_bars_are_dropped(
    samples: dict[str, Any], sleeps: list[float], tmp_path: Path
) -> None:
    body = json.loads(json.dumps(samples["MSFT"]))
    result = body["chart"]["result"][0]
    quote = result["indicators"]["quote"][0]
    for key in quote:
        quote[key][1] = None  # 2021-02-02: all-null bar
    quote["close"][2] = None  # 2021-02-03: close missing only
    source = make_source(FakeYahoo({"MSFT": ok(body)}), sleeps, tmp_path)
    batch = source.fetch_daily("MSFT", *YEAR)
    dates = batch.prices["date"].to_list()
    assert dt.date(2021, 2, 2) not in dates
    assert dt.date(2021, 2, 3) not in dates
    assert batch.prices.height == 250
    assert batch.prices["close"].null_count() == 0


# ------------------------------------------------------------------------ failures


@pytest.mark.shared_data
def test_429_then_success_is_retried_with_growing_delays(
    samples: dict[str, Any], sleeps: list[float], tmp_path: Path
) -> None:
    body = samples["AMZN"]
    # yfinance re-sends a refused data request once itself (other cookie strategy), so
    # each of our attempts consumes two replies: two attempts fail, the third succeeds.
    fake = FakeYahoo({"AMZN": [TOO_MANY_REQUESTS] * 4 + [ok(body)]}, probes={"AMZN": ok(body)})
    source = make_source(fake, sleeps, tmp_path, backoff=1.0, max_backoff=30.0)
    batch = source.fetch_daily("AMZN", *AMZN_DAYS)
    assert batch.prices.height == 1
    assert sleeps == [1.0, 2.0]
    assert fake.chart_calls("AMZN") == 5


@pytest.mark.shared_data
def test_429_forever_raises_rate_limited(
    samples: dict[str, Any], sleeps: list[float], tmp_path: Path
) -> None:
    fake = FakeYahoo({"AMZN": TOO_MANY_REQUESTS}, probes={"AMZN": ok(samples["AMZN"])})
    source = make_source(fake, sleeps, tmp_path, retries=3, backoff=2.0, max_backoff=5.0)
    expected = r"\(HTTP 429\) for AMZN .* after 4 attempts"
    with pytest.raises(RateLimitedError, match=expected) as info:
        source.fetch_daily("AMZN", *AMZN_DAYS)
    assert info.value.ticker == "AMZN"
    assert isinstance(info.value, Transient)
    assert isinstance(info.value.__cause__, yf.exceptions.YFRateLimitError)
    assert sleeps == [2.0, 4.0, 5.0]  # capped by max_backoff


def test_429_on_the_timezone_probe_too(sleeps: list[float], tmp_path: Path) -> None:
    fake = FakeYahoo({"AMZN": TOO_MANY_REQUESTS})
    source = make_source(fake, sleeps, tmp_path, retries=1)
    with pytest.raises(RateLimitedError, match="AMZN"):
        source.fetch_daily("AMZN", *AMZN_DAYS)
    assert len(sleeps) == 1


@pytest.mark.parametrize("symbol", ["NOPE", "NOPE2", "NOPE3"], ids=["1st", "2nd", "3rd"])
def test_unknown_symbol_404_names_the_ticker(
    symbol: str, sleeps: list[float], tmp_path: Path
) -> None:
    """yfinance's outcome depends on a global counter (ecosystem.md §1.6.3): accept both."""
    fake = FakeYahoo({symbol: NOT_FOUND})
    source = make_source(fake, sleeps, tmp_path)
    with pytest.raises((UnknownTickerError, NoPriceDataError), match=symbol) as info:
        source.fetch_daily(symbol.lower(), *AMZN_DAYS)
    assert info.value.ticker == symbol
    assert info.value.__cause__ is not None
    assert not isinstance(info.value, Transient)
    assert sleeps == []  # not retried


def test_unknown_symbol_after_the_info_fallback_is_spent(
    sleeps: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", 2)
    source = make_source(FakeYahoo({"NOPE": NOT_FOUND}), sleeps, tmp_path)
    with pytest.raises(UnknownTickerError, match=r"does not know the symbol NOPE"):
        source.fetch_daily("NOPE", *AMZN_DAYS)


@pytest.mark.shared_data
def test_404_on_the_data_request_is_no_price_data(
    samples: dict[str, Any], sleeps: list[float], tmp_path: Path
) -> None:
    fake = FakeYahoo({"AMZN": NOT_FOUND}, probes={"AMZN": ok(samples["AMZN"])})
    source = make_source(fake, sleeps, tmp_path)
    with pytest.raises(NoPriceDataError, match=r"AMZN between 2020-01-01 and 2020-01-03"):
        source.fetch_daily("AMZN", *AMZN_DAYS)


@pytest.mark.parametrize(
    "exc",
    [
        requests.exceptions.ConnectTimeout,
        requests.exceptions.ReadTimeout,
        requests.exceptions.ConnectionError,
    ],
    ids=["connect-timeout", "read-timeout", "connection-error"],
)
def test_timeout_is_retried_then_source_timeout(
    exc: type[Exception], sleeps: list[float], tmp_path: Path
) -> None:
    fake = FakeYahoo({"AMZN": Reply(raises=exc)})
    source = make_source(fake, sleeps, tmp_path, retries=2)
    with pytest.raises(SourceTimeoutError, match=r"did not answer for AMZN.*3 attempts") as info:
        source.fetch_daily("AMZN", *AMZN_DAYS)
    assert isinstance(info.value.__cause__, exc)
    assert isinstance(info.value, Transient)
    assert sleeps == [1.0, 2.0]


@pytest.mark.shared_data
def test_timeout_then_success(samples: dict[str, Any], sleeps: list[float], tmp_path: Path) -> None:
    body = samples["AMZN"]
    timeout = Reply(raises=requests.exceptions.ReadTimeout)
    fake = FakeYahoo({"AMZN": [timeout, ok(body)]}, probes={"AMZN": ok(body)})
    batch = make_source(fake, sleeps, tmp_path).fetch_daily("AMZN", *AMZN_DAYS)
    assert batch.prices.height == 1
    assert sleeps == [1.0]


@pytest.mark.shared_data
def test_empty_series_raises_no_price_data(
    samples: dict[str, Any], sleeps: list[float], tmp_path: Path
) -> None:
    fake = FakeYahoo(
        {"AMZN": ok(empty_chart(samples["AMZN"]))}, probes={"AMZN": ok(samples["AMZN"])}
    )
    source = make_source(fake, sleeps, tmp_path)
    with pytest.raises(NoPriceDataError, match=r"AMZN between 2020-01-01 and 2020-01-03") as info:
        source.fetch_daily("AMZN", *AMZN_DAYS)
    assert info.value.ticker == "AMZN"
    assert sleeps == []


@pytest.mark.shared_data
def test_range_without_bars_raises_no_price_data(
    samples: dict[str, Any], sleeps: list[float], tmp_path: Path
) -> None:
    """A body whose only bar lies outside the asked range leaves nothing: an error, not []."""
    source = make_source(FakeYahoo({"AMZN": ok(samples["AMZN"])}), sleeps, tmp_path)
    with pytest.raises(NoPriceDataError, match="AMZN"):
        source.fetch_daily("AMZN", dt.date(2020, 1, 3), dt.date(2020, 1, 3))


def test_bad_arguments(sleeps: list[float], tmp_path: Path) -> None:
    source = make_source(FakeYahoo({}), sleeps, tmp_path)
    with pytest.raises(ValueError, match=r"end .* is before start"):
        source.fetch_daily("AMZN", dt.date(2020, 1, 3), dt.date(2020, 1, 1))
    with pytest.raises(ValueError, match="non-empty symbol"):
        source.fetch_daily("  ", *AMZN_DAYS)
    with pytest.raises(ValueError, match="retries"):
        YahooSource(retries=-1)


def test_default_cache_dir_is_a_temp_dir_not_home() -> None:
    source = YahooSource()
    assert source.cache_dir.is_dir()
    assert source.cache_dir.is_relative_to(tempfile.gettempdir())
    assert not source.cache_dir.is_relative_to(Path.home())
    source.cache_dir.rmdir()


# --------------------------------------------------------------------------- retry


def test_full_jitter_stays_under_the_cap() -> None:
    policy = RetryPolicy(retries=6, backoff=0.5, max_backoff=4.0)
    rng = random.Random(20241029)
    caps = [policy.cap(k) for k in range(6)]
    assert caps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    for k, cap in enumerate(caps):
        for _ in range(50):
            assert 0.0 <= policy.delay(k, rng) <= cap


def test_call_with_retry_does_not_retry_permanent_errors() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def fail() -> None:
        calls.append(1)
        raise LookupError("permanent")

    with pytest.raises(LookupError):
        call_with_retry(
            fail,
            is_transient=lambda e: isinstance(e, TimeoutError),
            policy=RetryPolicy(retries=3),
            sleep=slept.append,
            rng=random.Random(1),
        )
    assert calls == [1]
    assert slept == []


def test_source_error_is_the_common_base() -> None:
    for cls in (NoPriceDataError, UnknownTickerError, RateLimitedError, SourceTimeoutError):
        assert issubclass(cls, SourceError)
