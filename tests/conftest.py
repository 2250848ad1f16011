"""Shared test fixtures.

Real data (``../shared/data``) is reached through one fixture, :func:`shared_data`:
``REACTION_DATA_DIR`` if set, else ``shared/data`` beside the repository. Under CI
(``CI=true``) missing data fails the test; elsewhere the test is skipped with a
message that says where to put the data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.datadir import REPO_ROOT, shared_data_dir

__all__ = ["REPO_ROOT"]

#: Variables a test may not inherit from the developer's shell (the data folder is found once,
#: by :func:`storage.datadir.shared_data_dir`, so it stays).
_KEPT = {"REACTION_DATA_DIR"}


@pytest.fixture(autouse=True)
def _clean_reaction_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the caller's ``REACTION_*`` settings (e.g. ``REACTION_SEED``)."""
    for name in list(os.environ):
        if name.startswith("REACTION_") and name not in _KEPT:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with ``prices_daily.csv``, ``dividends.csv``, ``ff_factors_daily.csv`` ..."""
    path = shared_data_dir()
    if not (path / "prices_daily.csv").is_file():
        message = (
            f"shared test data not found at {path}: set REACTION_DATA_DIR to the folder "
            "holding prices_daily.csv, or place it at ../shared/data next to the repository"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
