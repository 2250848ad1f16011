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

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_data_dir() -> Path:
    env = os.environ.get("REACTION_DATA_DIR")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with ``prices_daily.csv``, ``dividends.csv``, ``ff_factors_daily.csv`` ..."""
    path = _shared_data_dir()
    if not (path / "prices_daily.csv").is_file():
        message = (
            f"shared test data not found at {path}: set REACTION_DATA_DIR to the folder "
            "holding prices_daily.csv, or place it at ../shared/data next to the repository"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
