"""backtest.walsh: order statistics of the Walsh averages against sorting all of them."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.walsh import walsh_orders


@pytest.mark.parametrize("kind", ["normal", "ties", "cauchy", "constant", "lognormal"])
def test_orders_equal_sorting_every_average(kind: str) -> None:
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
    i, j = np.triu_indices(n)
    w = np.sort((x[i] + x[j]) / 2)
    M = w.size
    ks = [1, 2, 17, M // 3, (M + 1) // 2, M // 2 + 1, M - 5, M, 4000, M - 4000]
    assert walsh_orders(x, ks) == [float(w[k - 1]) for k in ks]


def test_orders_in_any_order_and_repeated() -> None:
    x = np.sort(np.random.default_rng(2).normal(size=2100))
    i, j = np.triu_indices(x.size)
    w = np.sort((x[i] + x[j]) / 2)
    ks = [w.size // 2, 5, w.size // 2, w.size - 1]
    assert walsh_orders(x, ks) == [float(w[k - 1]) for k in ks]
