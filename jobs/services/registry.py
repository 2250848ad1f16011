"""Registered studies: the ones the daily refresh keeps up to date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from jobs.definitions.study import StudyDefinition, load_study, parse_study
from jobs.errors import UsageError
from storage.store import Store


def register_study(store: Store, path: Path) -> StudyDefinition:
    """Validate a study file and register it (replacing a study with the same id)."""
    definition = load_study(path)
    text = path.read_text(encoding="utf-8")
    with store.transaction() as con:
        con.execute(
            "INSERT INTO studies (study_id, path, definition, registered_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (study_id) DO UPDATE SET path = excluded.path, definition = excluded.definition, "
            "registered_at = excluded.registered_at, last_input_hash = NULL",
            [definition.study.id, str(path.absolute()), text, dt.datetime.now(dt.UTC)],
        )
    return definition


def remove_study(store: Store, study_id: str) -> None:
    with store.transaction() as con:
        found = con.execute(
            "SELECT count(*) FROM studies WHERE study_id = ?", [study_id]
        ).fetchall()[0][0]
        if not found:
            raise UsageError(f"no registered study {study_id!r}; 'reaction study list' shows them")
        con.execute("DELETE FROM studies WHERE study_id = ?", [study_id])


def is_registered(store: Store, definition: StudyDefinition) -> bool:
    """Whether ``definition`` is exactly a registered study (its runs feed the ``latest_*`` views)."""
    wanted = definition.canonical_json()
    return any(d.canonical_json() == wanted for d, _ in registered_studies(store))


def registered_studies(store: Store) -> list[tuple[StudyDefinition, str | None]]:
    """Each registered study's definition (as stored at registration) and its last input hash."""
    import tomllib

    rows = store.query(
        "SELECT study_id, path, definition, last_input_hash FROM studies ORDER BY study_id"
    )
    out = []
    for r in rows.iter_rows(named=True):
        definition = parse_study(tomllib.loads(r["definition"]), source=r["path"] or r["study_id"])
        out.append((definition, r["last_input_hash"]))
    return out


def list_registered(store: Store) -> pl.DataFrame:
    """Registered studies with their file and last run (``reaction study list``)."""
    return store.query(
        "SELECT study_id, path, registered_at, last_run_id FROM studies ORDER BY study_id"
    )
