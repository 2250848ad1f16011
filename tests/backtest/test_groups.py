"""Groups of events: one engine call computes every cross-event test and the AAR per group.

The per-group numbers must equal those of a separate run on the group alone (to 1e-12),
statistic by statistic and through the public run_event_study.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from backtest import EventStudyConfig, InputSchemaError, blocks, run_event_study
from backtest import ranktests as rt
from backtest import significance as sig
from backtest.crossevent import CalendarSums
from backtest.groups import Segments

TOL = {"check_exact": False, "rel_tol": 1e-12, "abs_tol": 1e-12}

# -- the statistics, group by group

SIZES = [0, 1, 2, 3, 7, 60, 25]  # empty, tiny, exact Wilcoxon, normal approximation


def _sample(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = np.concatenate([np.full(k, g) for g, k in enumerate(SIZES)])
    rng.shuffle(codes)
    x = rng.standard_normal(codes.size) * 0.02 + 0.003
    x[codes == 6] = np.round(x[codes == 6], 2)  # ties and zeros in group 6
    return x, codes


def _same(grouped: sig.Outcomes, alone: sig.Outcomes, g: int) -> None:
    assert alone.stat.shape == (1,)
    for a, b in ((grouped.stat[g], alone.stat[0]), (grouped.p[g], alone.p[0])):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-12)
    assert grouped.df[g] == alone.df[0]
    assert grouped.distribution[g] == alone.distribution[0]
    assert grouped.note[g] == alone.note[0]


CROSS: dict[str, Callable[[np.ndarray, np.ndarray, Segments], sig.Outcomes]] = {
    "csect_t": lambda x, d, s: sig.csect_t(x, s),
    "patell_z": lambda x, d, s: sig.patell_z(x * 50, d, s),
    "bmp_t": lambda x, d, s: sig.bmp_t(x * 50, s),
    "sign_z": lambda x, d, s: sig.sign_z(x, s),
    "wilcoxon_w": lambda x, d, s: rt.wilcoxon_w(x, s),
    "skew_adj_t": lambda x, d, s: sig.skew_adj_t(x, s),
}


@pytest.mark.parametrize("name", list(CROSS), ids=list(CROSS))
def test_each_cross_sectional_statistic_per_group(name: str) -> None:
    x, codes = _sample(1)
    dof = np.where(codes == 4, 2.0, 100.0)  # group 4: some d_i <= 2
    G = len(SIZES)
    grouped = CROSS[name](x, dof, Segments(codes, G))
    for g in range(G):
        m = codes == g
        _same(grouped, CROSS[name](x[m], dof[m], Segments.whole(int(m.sum()))), g)


def test_kolari_pynnonen_and_generalized_sign_per_group() -> None:
    x, codes = _sample(2)
    G = len(SIZES)
    rbar = np.array([0.01, np.nan, 0.02, -0.6, 0.0, 0.03, -0.01])
    pos = np.array([50.0, 10, 0, 30, 40, 55, 100])
    est = np.array([100.0, 20, 20, 60, 0, 110, 100])
    dof = np.full(x.size, 120.0)
    seg = Segments(codes, G)
    kp_z = sig.kp_patell_z(x * 50, dof, rbar, seg)
    kp_t = sig.kp_bmp_t(x * 50, rbar, seg)
    gs = sig.generalized_sign_z(x, pos, est, seg)
    for g in range(G):
        m = codes == g
        one = Segments.whole(int(m.sum()))
        _same(kp_z, sig.kp_patell_z(x[m] * 50, dof[m], rbar[g : g + 1], one), g)
        _same(kp_t, sig.kp_bmp_t(x[m] * 50, rbar[g : g + 1], one), g)
        _same(gs, sig.generalized_sign_z(x[m], pos[g : g + 1], est[g : g + 1], one), g)


def test_event_day_statistics_per_group() -> None:
    rng = np.random.default_rng(3)
    G, D = 5, 30
    values = rng.normal(0, 0.01, (G, D))
    present = rng.random((G, D)) > 0.2
    present[1] = False
    present[2, 2:] = False
    caar = np.array([0.01, 0.02, np.nan, -0.03, 0.0])
    n = np.array([4, 3, 0, 9, 2])
    bw = sig.bw1985_t(values, present, caar, 3)
    co = rt.corrado_rank_z(values, present | (np.arange(D) >= 25), 25, 5, n)
    u0 = rng.uniform(-0.5, 0.5, int(n.sum()))
    codes = np.repeat(np.arange(G), n)
    gr = rt.grank_t(u0, Segments(codes, G), values, np.where(present, 3.0, 0.0))
    for g in range(G):
        r = slice(g, g + 1)
        _same(bw, sig.bw1985_t(values[r], present[r], caar[r], 3), g)
        _same(co, rt.corrado_rank_z(values[r], present[r] | (np.arange(D) >= 25), 25, 5, n[r]), g)
        one = Segments.whole(int(n[g]))
        _same(gr, rt.grank_t(u0[codes == g], one, values[r], np.where(present[r], 3.0, 0.0)), g)


# -- the engine: a grouped run equals separate runs


@pytest.fixture(scope="module")
def study(
    make_market_panel: Callable[..., tuple[pl.DataFrame, list[dt.date]]],
) -> tuple[pl.DataFrame, pl.DataFrame, list[dt.date]]:
    tickers = {f"S{i}": (0.0002 * i, 0.6 + 0.1 * i, 0.01 + 0.002 * i) for i in range(8)}
    returns, days = make_market_panel(700, tickers, seed=11)
    rng = np.random.default_rng(5)
    rows = []
    for k in range(90):
        t = f"S{k % 8}"
        rows.append((f"e{k:02d}", t, days[int(rng.integers(280, 690))], ["a", "b", "c"][k % 3]))
    rows.append(("lonely", "S1", days[400], "d"))  # a group of one: its tests are null
    events = pl.DataFrame(rows, schema=["event_id", "ticker", "day0", "group"], orient="row")
    return events, returns, days


@pytest.mark.parametrize(
    ("model", "block", "dense"),
    [
        ("market_model", None, None),
        ("market_adjusted", None, None),
        ("constant_mean", None, None),
        # groups spread over many blocks: calendar sums carried from block to block,
        # in dense and in sorted (sparse) form
        ("market_model", 7, None),
        ("market_model", 7, 1),
    ],
    ids=["market_model", "market_adjusted", "constant_mean", "small-blocks", "small-sparse"],
)
def test_a_grouped_run_equals_separate_runs(
    study: tuple[pl.DataFrame, pl.DataFrame, list[dt.date]],
    model: str,
    block: int | None,
    dense: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if block is not None:
        monkeypatch.setattr(blocks, "BLOCK", block)
    if dense is not None:
        monkeypatch.setattr(CalendarSums, "DENSE_CELLS", dense)
    events, returns, days = study
    config = EventStudyConfig(model=model, windows=((0, 0), (-1, 1), (0, 5)))
    catalog = events.drop("group")
    grouped = run_event_study(events, returns, config, sessions=days, catalog=catalog)
    assert grouped.tests.columns[0] == "group" and grouped.aar.columns[0] == "group"
    assert grouped.tests.get_column("group").unique().sort().to_list() == ["a", "b", "c", "d"]
    per_obs: dict[str, list[pl.DataFrame]] = {}
    for label in ["a", "b", "c", "d"]:
        part = events.filter(pl.col("group") == label).drop("group")
        alone = run_event_study(part, returns, config, sessions=days, catalog=catalog)
        for name in ("tests", "aar"):
            mine = getattr(grouped, name).filter(pl.col("group") == label).drop("group")
            assert_frame_equal(mine, getattr(alone, name), **TOL)
        for name in ("diagnostics", "ar", "car", "car_path"):
            per_obs.setdefault(name, []).append(getattr(alone, name))
    for name, parts in per_obs.items():
        together = pl.concat(parts).sort("event_id", "ticker", maintain_order=True)
        assert_frame_equal(getattr(grouped, name), together, **TOL)
    lonely = grouped.tests.filter(pl.col("group") == "d")
    assert lonely.get_column("n").to_list() == [1] * lonely.height
    ungrouped = run_event_study(catalog, returns, config, sessions=days)
    assert "group" not in ungrouped.tests.columns and "group" not in ungrouped.aar.columns
    assert grouped.rbar == pytest.approx(ungrouped.rbar, rel=1e-12)


def test_integer_groups_and_one_group(
    study: tuple[pl.DataFrame, pl.DataFrame, list[dt.date]],
) -> None:
    events, returns, days = study
    config = EventStudyConfig(windows=((0, 0), (-1, 1)))
    coded = events.with_columns(pl.col("group").rank("dense").cast(pl.Int32))
    by_int = run_event_study(coded, returns, config, sessions=days)
    assert by_int.tests.schema["group"] == pl.Int64
    assert by_int.tests.get_column("group").unique().sort().to_list() == [1, 2, 3, 4]
    one = run_event_study(
        events.with_columns(pl.lit("all").alias("group")), returns, config, sessions=days
    )
    plain = run_event_study(events.drop("group"), returns, config, sessions=days)
    assert_frame_equal(one.tests.drop("group"), plain.tests, **TOL)
    assert_frame_equal(one.aar.drop("group"), plain.aar, **TOL)
    assert "group 'all'" in one.summary()


def test_group_column_is_validated(
    study: tuple[pl.DataFrame, pl.DataFrame, list[dt.date]],
) -> None:
    events, returns, days = study
    first = pl.col("event_id") == "e00"
    bad = events.with_columns(pl.when(first).then(None).otherwise(pl.col("group")).alias("group"))
    with pytest.raises(InputSchemaError, match=r"events.group has 1 null value"):
        run_event_study(bad, returns, sessions=days)
    with pytest.raises(InputSchemaError, match=r"events.group must be a string"):
        run_event_study(events.with_columns(pl.lit(1.5).alias("group")), returns, sessions=days)
