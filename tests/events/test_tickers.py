"""The ticker-symbol rule: Yahoo symbols pass, anything that could break a file name,
a URL or an SQL literal does not, and the error names the value.

The properties check the output with plain string tests, not with the module's pattern.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from events import EventError, TickerError, normalise_ticker, normalise_ticker_list

ALNUM = string.ascii_letters + string.digits
PUNCT = ".-="
CANONICAL = set(string.ascii_uppercase + string.digits + PUNCT + "^")


def _is_canonical(symbol: str) -> bool:
    body = symbol.removeprefix("^")
    return (
        1 <= len(symbol) <= 20
        and set(symbol) <= CANONICAL
        and "^" not in body
        and body[:1] in set(string.ascii_uppercase + string.digits)
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AMZN", "AMZN"),
        ("brk-b", "BRK-B"),  # Yahoo's class-B share
        ("BF.B", "BF.B"),  # the dotted class-share spelling
        ("RDS-A", "RDS-A"),
        ("^GSPC", "^GSPC"),  # an index
        ("^vix", "^VIX"),
        ("EURUSD=X", "EURUSD=X"),  # a currency pair
        ("GC=F", "GC=F"),  # a future
        ("BTC-USD", "BTC-USD"),
        ("7203.T", "7203.T"),  # Tokyo: digits first, exchange suffix
        ("  msft\t", "MSFT"),
        ("A", "A"),
        ("ABCDEFGHIJKLMNOPQRST", "ABCDEFGHIJKLMNOPQRST"),  # 20 characters
    ],
)
def test_yahoo_symbols_are_valid(raw: str, expected: str) -> None:
    assert normalise_ticker(raw) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("x'; drop table prices; --", r"' ', \"'\", ';' are not allowed"),
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("ABCDEFGHIJKLMNOPQRSTU", "it has 21 characters"),
        ("AMZN MSFT", "' ' is not allowed"),
        ("../etc", "'/' is not allowed"),
        ("SPY*", r"'\*' is not allowed"),
        ("ſpy", "'ſ' is not allowed"),  # upper-cases to 'SPY' but is not ASCII
        ("ＡＭＺＮ", "are not allowed"),  # full-width letters
        ("A^B", "'\\^' may only come first"),
        ("^", "must start with a letter or a digit"),
        ("-AB", "must start with a letter or a digit"),
        (".A", "must start with a letter or a digit"),
    ],
)
def test_invalid_symbols_say_why_and_what_is_allowed(raw: str, why: str) -> None:
    with pytest.raises(TickerError, match=why) as info:
        normalise_ticker(raw)
    message = str(info.value)
    assert message.startswith(f"{raw!r} is not a ticker symbol")
    assert "letters A-Z, digits 0-9, '.', '-', '=' and a leading '^'" in message


def test_ticker_error_is_a_value_error_and_an_event_error() -> None:
    # ValueError: pydantic validators and existing `except ValueError` keep working.
    assert issubclass(TickerError, ValueError)
    assert issubclass(TickerError, EventError)


valid_symbols = st.builds(
    lambda caret, head, tail: caret + head + tail,
    st.sampled_from(["", "^"]),
    st.sampled_from(ALNUM),
    st.text(alphabet=ALNUM + PUNCT, max_size=18),
)
padding = st.text(alphabet=" \t\n", max_size=3)


@given(valid_symbols, padding, padding)
def test_valid_symbols_are_stripped_and_upper_cased(symbol: str, left: str, right: str) -> None:
    out = normalise_ticker(left + symbol + right)
    assert out == symbol.upper()
    assert _is_canonical(out)
    assert normalise_ticker(out) == out  # idempotent


@given(st.text(max_size=30))
@example("x'; drop table prices; --")
@example('"AMZN"')
@example("AMZN\x00")
def test_any_text_is_either_rejected_or_canonical(raw: str) -> None:
    try:
        out = normalise_ticker(raw)
    except TickerError as exc:
        message = str(exc)
    else:
        assert _is_canonical(out)
        assert out == raw.strip().upper()
        return
    assert message.startswith(f"{raw!r} is not a ticker symbol")


@given(valid_symbols, st.sampled_from("'\";%*/\\,()[]{}<>|&$#@!?`~+:_é\x00"), st.data())
def test_one_forbidden_character_is_enough(symbol: str, bad: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=1, max_value=len(symbol)))
    with pytest.raises(TickerError, match="not allowed"):
        normalise_ticker(symbol[:position] + bad + symbol[position:])


@given(st.lists(valid_symbols, max_size=8))
def test_list_keeps_first_occurrence_order(symbols: list[str]) -> None:
    out = normalise_ticker_list(symbols + [s.lower() for s in symbols])
    expected: list[str] = []
    for s in symbols:
        if s.upper() not in expected:
            expected.append(s.upper())
    assert out == tuple(expected)


def test_list_names_the_bad_value() -> None:
    with pytest.raises(TickerError, match=r"^'BRK B' is not a ticker symbol"):
        normalise_ticker_list(["AMZN", "BRK B"])
