"""Where the shared real data lives: the one resolver used by tests, benchmarks and golden generators.

``REACTION_DATA_DIR`` if set, else ``shared/data`` beside the repository (``../shared/data`` from
its root). Nothing here reads the files; callers check for the ones they need.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository's root (the folder holding ``pyproject.toml``), for a source checkout.
REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``$REACTION_DATA_DIR``, else ``<repo>/../shared/data``."""
    env = os.environ.get("REACTION_DATA_DIR")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "data"
