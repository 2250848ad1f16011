"""backtest.walsh: order statistics of the Walsh averages against sorting all of them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backtest.walsh as walsh
from backtest.walsh import walsh_orders

#: One bracket from a sample (N up to 4,000), or one bracket per order narrowed by probes.
PATHS = {"band": walsh.BAND_MAX, "brackets": 0}


def _sorted_averages(x: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(x.size)
    return np.sort((x[i] + x[j]) / 2)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", ["normal", "ties", "cauchy", "constant", "lognormal"])
def test_orders_equal_sorting_every_average(
    kind: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(walsh, "BAND_MAX", PATHS[path])
    rng = np.random.default_rng(41)
    n = 2600  # M = 3.4 million averages: past the direct formation, probes and brackets
    x = {
        "normal": rng.normal(0.004, 0.02, n),
        "ties": np.round(rng.normal(size=n), 1),  # few distinct averages, many equal
        "cauchy": rng.standard_t(1, n),
        "constant": np.full(n, 0.3),
        "lognormal": rng.lognormal(0.0, 2.0, n),
    }[kind]
    x.sort()
    w = _sorted_averages(x)
    M = w.size
    ks = [1, 2, 17, M // 3, (M + 1) // 2, M // 2 + 1, M - 5, M, 4000, M - 4000]
    assert walsh_orders(x, ks) == [float(w[k - 1]) for k in ks]


@pytest.mark.parametrize("path", PATHS)
def test_orders_in_any_order_and_repeated(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(walsh, "BAND_MAX", PATHS[path])
    x = np.sort(np.random.default_rng(2).normal(size=2100))
    w = _sorted_averages(x)
    ks = [w.size // 2, 5, w.size // 2, w.size - 1]
    assert walsh_orders(x, ks) == [float(w[k - 1]) for k in ks]


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(301, 1500),
    decimals=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
    band=st.booleans(),
)
def test_tied_values_give_the_orders_of_the_averages_as_computed(
    n: int, decimals: int, seed: int, band: bool
) -> None:
    """Rounded values: different pairs whose averages are equal in exact arithmetic differ
    in the last bit as computed (-0.1 + -0.1 and -0.3 + 0.1), and an order must be the
    computed one: the count at a probe is exact, not one tie group off."""
    x = np.sort(np.round(np.random.default_rng(seed).normal(size=n), decimals))
    w = _sorted_averages(x)
    M = w.size
    spread = int(1.96 * np.sqrt(n * (n + 1) * (2 * n + 1) / 24))  # the interval's orders
    ks = [(M + 1) // 2, M // 2 + 1, M // 2 - spread, M // 2 + 1 + spread]
    old = walsh.BAND_MAX
    walsh.BAND_MAX = old if band else 0
    try:
        got = walsh_orders(x, ks)
    finally:
        walsh.BAND_MAX = old
    assert got == [float(w[k - 1]) for k in ks]


def test_a_missed_band_guess_widens_to_every_average(monkeypatch: pytest.MonkeyPatch) -> None:
    """A negative margin puts both guesses inside the orders: the band must widen."""
    monkeypatch.setattr(walsh, "MARGIN", -0.2)
    x = np.sort(np.random.default_rng(5).standard_t(3, 900))
    w = _sorted_averages(x)
    M = w.size
    ks = [M // 4, (M + 1) // 2, 3 * M // 4]
    assert walsh_orders(x, ks) == [float(w[k - 1]) for k in ks]


def test_a_missed_band_guess_past_the_cap_takes_the_brackets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Widening a missed band to every average would form more than CAP of them: the
    orders come from the per-order brackets instead, still exact."""
    monkeypatch.setattr(walsh, "MARGIN", -0.2)
    monkeypatch.setattr(walsh, "CAP", 50_000)  # below M = 405,450
    formed: list[int] = []
    select = walsh._select

    def counted(x: np.ndarray, lo: walsh._Point, hi: walsh._Point, at: list[int]) -> list[float]:
        formed.append(hi.c - lo.c)
        return select(x, lo, hi, at)

    monkeypatch.setattr(walsh, "_select", counted)
    x = np.sort(np.random.default_rng(6).normal(size=900))
    w = _sorted_averages(x)
    M = w.size
    ks = [M // 4, (M + 1) // 2, 3 * M // 4]
    assert walsh_orders(x, ks) == [float(w[k - 1]) for k in ks]
    assert formed and max(formed) <= max(50_000, 1 << 16)


def test_no_orders_asked_gives_none() -> None:
    assert walsh_orders(np.sort(np.random.default_rng(1).normal(size=500)), []) == []
