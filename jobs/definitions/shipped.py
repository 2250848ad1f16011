"""The studies that ship with the package (``jobs/studies/*.toml``), by name.

``reaction study openai-deals`` runs ``jobs/studies/openai-deals.toml``: a study argument that
is not an existing file but the name of a shipped study is read from the package.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from jobs.definitions.study import StudyDefinition, load_study, parse_study
from jobs.errors import UsageError


def shipped_study_names() -> list[str]:
    """The shipped studies' names (file names without ``.toml``), sorted."""
    folder = resources.files("jobs") / "studies"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def shipped_study(name: str) -> StudyDefinition:
    """A shipped study by name; :class:`UsageError` lists the names when there is none."""
    names = shipped_study_names()
    if name not in names:
        raise UsageError(
            f"no study file {name!r} and no shipped study of that name; shipped: {', '.join(names)}"
        )
    text = (resources.files("jobs") / "studies" / f"{name}.toml").read_text(encoding="utf-8")
    return parse_study(tomllib.loads(text), source=f"<package>/studies/{name}.toml")


def load_study_argument(path: Path) -> StudyDefinition:
    """A study file, or a shipped study's name when no such file exists (``openai-deals``)."""
    if path.exists() or path.suffix == ".toml" or len(path.parts) > 1:
        return load_study(path)
    return shipped_study(str(path))
