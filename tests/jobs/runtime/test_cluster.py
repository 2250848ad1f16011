"""The chunk map on a local two-worker Dask cluster gives the local executor's numbers.

The cluster executor sums the chunks in the same (chunk) order, so its frames are
equal to the local run's exactly, and to the in-memory engine's to 1e-12.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from backtest import EventStudyConfig, run_event_study
from backtest.chunked import run_event_study_chunked
from jobs.errors import UsageError
from jobs.runtime.cluster import DaskExecutor

TOL = {"check_exact": False, "rel_tol": 1e-12, "abs_tol": 1e-12}
FRAMES = ("diagnostics", "ar", "car", "car_path", "aar", "tests")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.mark.slow
def test_two_workers_equal_the_local_run(
    crowded_study: dict[str, Any], tmp_path: Path, client: Any
) -> None:
    config = EventStudyConfig(windows=((0, 0), (-1, 1), (-5, 5)))
    memory = run_event_study(config=config, **crowded_study)
    local = run_event_study_chunked(
        config=config, directory=tmp_path / "local", chunk_size=300, **crowded_study
    ).to_result()
    dask = run_event_study_chunked(
        config=config,
        directory=tmp_path / "dask",
        chunk_size=300,
        executor=DaskExecutor(client=client),
        **crowded_study,
    )
    assert dask.executor == "dask"
    assert dask.n_chunks == 6
    # two workers, each writing the parts of the chunks it ran into the one directory
    assert len(client.scheduler_info()["workers"]) == 2
    assert len(list((tmp_path / "dask" / "ar").glob("part-*.parquet"))) == 6
    assert (tmp_path / "dask" / "_shared" / "panel.parquet").is_file()
    got = dask.to_result()
    for name in FRAMES:
        assert_frame_equal(getattr(local, name), getattr(got, name))
        assert_frame_equal(getattr(memory, name), getattr(got, name), **TOL)
    assert got.rbar == local.rbar


def test_usage_errors() -> None:
    with pytest.raises(UsageError, match="an address or a client, not both"):
        DaskExecutor("tcp://127.0.0.1:8786", client=object())
    with pytest.raises(UsageError, match="at least one worker"):
        DaskExecutor(n_workers=0)
