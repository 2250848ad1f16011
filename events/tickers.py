"""The one rule for ticker symbols, shared by catalogs, studies, storage and jobs.

A ticker symbol is Yahoo Finance style:

* surrounding whitespace is dropped and ASCII letters are upper-cased
  (``" brk-b "`` becomes ``"BRK-B"``);
* 1 to :data:`TICKER_MAX_LENGTH` (20) characters;
* ASCII letters ``A-Z``, digits ``0-9`` and the punctuation ``.`` ``-`` ``=``,
  plus ``^`` only as the first character (an index: ``^GSPC``);
* the first letter or digit comes first (after the optional ``^``).

So ``AMZN``, ``BRK-B``, ``BF.B``, ``RDS-A``, ``7203.T``, ``^GSPC``,
``EURUSD=X`` and ``GC=F`` are valid; quotes, ``;``, spaces inside, ``/``,
``*``, ``%`` and non-ASCII letters (even ones that upper-case to ASCII, such as
``ſ``) are not. A symbol that passes can be used as a file name, a URL path
segment or an SQL literal without escaping.

Call :func:`normalise_ticker` at every entry point (catalogs, CSV imports,
``--ticker`` options, settings) and store only what it returns.
"""

from __future__ import annotations

import re

from events.errors import TickerError

__all__ = ["TICKER_MAX_LENGTH", "TickerError", "normalise_ticker", "normalise_ticker_list"]

#: Longest accepted symbol, ``^`` and suffixes included.
TICKER_MAX_LENGTH = 20

_PUNCTUATION = ".-="
_SYMBOL = re.compile(r"\^?[A-Za-z0-9][A-Za-z0-9.=-]*")
_ALLOWED = "letters A-Z, digits 0-9, '.', '-', '=' and a leading '^'"
_EXAMPLES = "e.g. 'AMZN', 'BRK-B', 'BF.B', '^GSPC', 'EURUSD=X'"


def _problem(symbol: str) -> str:
    """Why ``symbol`` (already stripped) is not a ticker, in a few words."""
    if not symbol:
        return "it is empty"
    bad = sorted(
        {c for c in symbol if not (c.isascii() and (c.isalnum() or c in _PUNCTUATION + "^"))}
    )
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"{shown} {'is' if len(bad) == 1 else 'are'} not allowed"
    if len(symbol) > TICKER_MAX_LENGTH:
        return f"it has {len(symbol)} characters"
    if "^" in symbol[1:]:
        return "'^' may only come first"
    return "it must start with a letter or a digit (after an optional '^')"


def normalise_ticker(value: str) -> str:
    """The canonical form of a ticker symbol (see the module docstring for the rule).

    Parameters
    ----------
    value
        A symbol as a user or a file wrote it, e.g. ``" brk-b"``.

    Returns
    -------
    str
        The stripped, upper-cased symbol, e.g. ``"BRK-B"``.

    Raises
    ------
    TickerError
        (a ``ValueError``) naming ``value``, what is wrong with it and what is allowed.
    """
    symbol = value.strip()
    if len(symbol) <= TICKER_MAX_LENGTH and _SYMBOL.fullmatch(symbol):
        return symbol.upper()
    raise TickerError(
        f"{value!r} is not a ticker symbol: {_problem(symbol)}; use 1-{TICKER_MAX_LENGTH} "
        f"{_ALLOWED} ({_EXAMPLES})"
    )


def normalise_ticker_list(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Normalise each symbol and drop repeats, keeping the first occurrence's order.

    Raises
    ------
    TickerError
        for the first value that is not a ticker symbol.
    """
    out: dict[str, None] = {}
    for v in values:
        out.setdefault(normalise_ticker(v), None)
    return tuple(out)
