"""The chunked engine gives the in-memory engine's numbers, whatever the chunk size.

Per-event frames must be identical (same blocks, same arithmetic); the tests frame,
the AAR table and r̄ equal to 1e-12 (their sums are added chunk by chunk, in
another order). The merge rules are checked against direct numpy computations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from backtest import EventStudyConfig, run_event_study
from backtest.chunked import ChunkedStudyResult, LocalExecutor, run_event_study_chunked
from backtest.chunked.sums import KeptCalendarSums, merge_moments
from backtest.errors import ConfigError, InputSchemaError, OutputError

TOL = {"check_exact": False, "rel_tol": 1e-12, "abs_tol": 1e-12}
PER_EVENT = ("diagnostics", "ar", "car", "car_path")


def assert_same_study(memory: Any, chunked: ChunkedStudyResult) -> None:
    """Per-event frames identical; tests, AAR and r̄ to 1e-12."""
    got = chunked.to_result()
    for name in PER_EVENT:
        assert_frame_equal(getattr(memory, name), getattr(got, name))
    assert_frame_equal(memory.tests, got.tests, **TOL)
    assert_frame_equal(memory.aar, got.aar, **TOL)
    if memory.rbar is None:
        assert got.rbar is None
    else:
        assert memory.rbar == pytest.approx(got.rbar, rel=1e-12)


@pytest.mark.parametrize("chunk_size", [97, 700, 5000], ids=lambda n: f"chunk{n}")
def test_grouped_study_with_a_catalog_equals_the_in_memory_run(
    crowded_study: dict[str, Any], tmp_path: Path, chunk_size: int
) -> None:
    config = EventStudyConfig(windows=((0, 0), (-1, 1), (-5, 5)))
    memory = run_event_study(config=config, **crowded_study)
    chunked = run_event_study_chunked(
        config=config, directory=tmp_path / "out", chunk_size=chunk_size, **crowded_study
    )
    n = crowded_study["events"].height
    assert chunked.n_chunks == -(-n // chunk_size)
    assert chunked.executor == "local"
    assert_same_study(memory, chunked)
    # the study exercises what crosses chunks: groups, confounders, dropped days, statuses
    assert memory.tests.get_column("group").n_unique() == 3
    assert memory.car.get_column("confounded_by").list.len().max() > 0
    assert memory.diagnostics.get_column("n_dropped_clean").max() > 0
    assert memory.diagnostics.get_column("status").n_unique() >= 2


def test_chunks_of_one_observation(crowded_study: dict[str, Any], tmp_path: Path) -> None:
    inputs = {**crowded_study, "events": crowded_study["events"].head(40)}
    memory = run_event_study(**inputs)
    chunked = run_event_study_chunked(directory=tmp_path / "o", chunk_size=1, **inputs)
    assert chunked.n_chunks == 40
    assert_same_study(memory, chunked)


def test_ungrouped_log_returns_without_clean_estimation(
    crowded_study: dict[str, Any], tmp_path: Path
) -> None:
    inputs = {**crowded_study, "events": crowded_study["events"].drop("group")}
    config = EventStudyConfig(return_kind="log", clean_estimation=False, model="market_adjusted")
    memory = run_event_study(config=config, **inputs)
    chunked = run_event_study_chunked(
        config=config, directory=tmp_path / "o", chunk_size=333, executor=LocalExecutor(), **inputs
    )
    assert "group" not in chunked.tests.columns
    assert_same_study(memory, chunked)
    threaded = run_event_study_chunked(
        config=config,
        directory=tmp_path / "t",
        chunk_size=333,
        executor=LocalExecutor(threads=2),
        **inputs,
    )
    # chunks in flight two at a time, merged in chunk order: the sequential run's numbers
    for name in ("tests", "aar"):
        assert_frame_equal(getattr(chunked.to_result(), name), getattr(threaded.to_result(), name))
    with pytest.raises(ConfigError, match="threads = 0"):
        LocalExecutor(threads=0)


def test_outputs_on_disk(crowded_study: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = run_event_study_chunked(directory=out, chunk_size=500, **crowded_study)
    assert res.per_event == PER_EVENT
    assert sorted(p.name for p in (out / "ar").iterdir()) == [
        f"part-{i:06d}.parquet" for i in range(4)
    ]
    assert_frame_equal(pl.read_parquet(out / "tests.parquet"), res.tests)
    assert_frame_equal(pl.read_parquet(out / "aar.parquet"), res.averages["aar"])
    one = res.scan("car").filter(pl.col("event_id") == "E00042").collect()
    assert one.height == len(res.config.windows)
    with pytest.raises(OutputError, match="no per-event frame 'tests'"):
        res.scan("tests")


def test_empty_events(crowded_study: dict[str, Any], tmp_path: Path) -> None:
    inputs = {**crowded_study, "events": crowded_study["events"].clear()}
    memory = run_event_study(**inputs)
    chunked = run_event_study_chunked(directory=tmp_path / "o", **inputs)
    assert chunked.n_obs == 0
    assert_same_study(memory, chunked)


def test_refuses_a_used_directory_and_a_bad_chunk_size(
    crowded_study: dict[str, Any], tmp_path: Path
) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("a previous run")
    with pytest.raises(OutputError, match="is not empty"):
        run_event_study_chunked(directory=used, **crowded_study)
    assert (used / "keep.txt").read_text() == "a previous run"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        run_event_study_chunked(directory=a_file, **crowded_study)
    bad = {**crowded_study, "events": crowded_study["events"].drop("day0")}
    with pytest.raises(InputSchemaError, match="day0"):
        run_event_study_chunked(directory=tmp_path / "never", **bad)
    assert not (tmp_path / "never").exists()  # so the corrected call can use it
    with pytest.raises(ConfigError, match="chunk_size = 0") as info:
        run_event_study_chunked(directory=tmp_path / "new", chunk_size=0, **crowded_study)
    assert info.value.parameter == "chunk_size"


def test_merge_moments_equals_the_pooled_sample() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(3, 2, 17), rng.normal(-1, 5, 40)
    n, total, ss = merge_moments(
        np.asarray([a.size]),
        np.asarray([a.sum()]),
        np.asarray([((a - a.mean()) ** 2).sum()]),
        np.asarray([b.size]),
        np.asarray([b.sum()]),
        np.asarray([((b - b.mean()) ** 2).sum()]),
    )
    both = np.concatenate([a, b])
    assert n[0] == 57
    assert total[0] == pytest.approx(both.sum(), rel=1e-14)
    assert ss[0] == pytest.approx(56 * both.var(ddof=1), rel=1e-13)
    # an empty side adds nothing (no 0/0)
    n, total, ss = merge_moments(
        np.asarray([0]),
        np.asarray([0.0]),
        np.asarray([0.0]),
        np.asarray([3]),
        np.asarray([6.0]),
        np.asarray([2.0]),
    )
    assert (n[0], total[0], ss[0]) == (3, 6.0, 2.0)


@pytest.mark.parametrize("dense", [True, False], ids=["dense", "sparse"])
def test_kept_calendar_sums_merge_to_the_norm_of_the_summed_vectors(
    dense: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not dense:
        monkeypatch.setattr(KeptCalendarSums, "DENSE_CELLS", 1)
    rng = np.random.default_rng(9)
    G, T = 4, 30
    vectors = np.zeros((G, T))
    halves = []
    for _ in range(2):
        kept = KeptCalendarSums(G, T)
        for _ in range(3):
            g, t, u = rng.integers(0, G, 50), rng.integers(0, T, 50), rng.standard_normal(50)
            np.add.at(vectors, (g, t), u)
            kept.add(g, t, u, complete_below=G)  # a chunk never finishes a group
        halves.append(kept)
    halves[0].merge(halves[1])
    assert halves[0].dense is dense
    np.testing.assert_allclose(halves[0].norm2(), (vectors**2).sum(axis=1), rtol=1e-12)


def test_event_day_tests_after_the_resampled_ones_give_the_same_numbers(
    crowded_study: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large studies read the event-day values back only once the resampled tests are done
    (``OVERLAP_BYTES``); small ones while they run. The order changes no number."""
    import backtest.chunked.finish as finish

    inputs = {**crowded_study, "events": crowded_study["events"].head(300)}
    memory = run_event_study(**inputs)
    overlapped = run_event_study_chunked(directory=tmp_path / "a", chunk_size=128, **inputs)
    monkeypatch.setattr(finish, "OVERLAP_BYTES", 0)
    waited = run_event_study_chunked(directory=tmp_path / "b", chunk_size=128, **inputs)
    assert_frame_equal(overlapped.tests, waited.tests)
    assert_same_study(memory, waited)
    resampled = memory.tests.filter(pl.col("test").is_in(["permutation_p", "bootstrap_ci"]))
    assert resampled.get_column("p").drop_nulls().len() > 0
    assert resampled.get_column("ci_low").drop_nulls().len() > 0
