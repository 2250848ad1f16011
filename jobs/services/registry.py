"""Registered studies: the ones the daily refresh keeps up to date."""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl

from jobs.definitions.study import StudyDefinition, load_study, parse_study
from jobs.errors import UsageError
from storage.errors import NotFoundError
from storage.session import OpenStore


def register_study(db: OpenStore, path: Path) -> StudyDefinition:
    """Validate a study file and register it (replacing a study with the same id)."""
    definition = load_study(path)
    text = path.read_text(encoding="utf-8")
    db.studies.register(definition.study.id, definition=text, path=str(path.absolute()))
    return definition


def remove_study(db: OpenStore, study_id: str) -> None:
    """Unregister a study (its stored runs stay)."""
    try:
        db.studies.remove(study_id)
    except NotFoundError as exc:
        raise UsageError(
            f"no registered study {study_id!r}; 'reaction study list' shows them"
        ) from exc


def is_registered(db: OpenStore, definition: StudyDefinition) -> bool:
    """Whether ``definition`` is exactly a registered study (its runs feed the ``latest_*`` views)."""
    wanted = definition.canonical_json()
    return any(d.canonical_json() == wanted for d, _ in registered_studies(db))


def registered_studies(db: OpenStore) -> list[tuple[StudyDefinition, str | None]]:
    """Each registered study's definition (as stored at registration) and its last input hash."""
    out = []
    for r in db.studies.list():
        definition = parse_study(tomllib.loads(r.definition), source=r.path or r.study_id)
        out.append((definition, r.last_input_hash))
    return out


def list_registered(db: OpenStore) -> pl.DataFrame:
    """Registered studies with their file and last run (``reaction study list``)."""
    return pl.DataFrame(
        [
            {
                "study_id": r.study_id,
                "path": r.path,
                "registered_at": r.registered_at,
                "last_run_id": r.last_run_id,
            }
            for r in db.studies.list()
        ],
        schema={
            "study_id": pl.String,
            "path": pl.String,
            "registered_at": pl.Datetime("us", "UTC"),
            "last_run_id": pl.String,
        },
    )
