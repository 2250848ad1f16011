"""Registered studies: the ones the daily refresh keeps up to date.

A registration keeps the study file's TOML text as it was (``definition``) and where it came
from (``path``); parsing it is the caller's business (:mod:`jobs` owns the study format).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from storage.errors import NotFoundError, StoreInputError
from storage.repos._db import Db

_COLUMNS = ("study_id", "path", "definition", "registered_at", "last_run_id", "last_input_hash")


@dataclass(frozen=True, kw_only=True)
class RegisteredStudy:
    """A ``studies`` row: the TOML text registered, when, and the last run the refresh stored.

    ``last_input_hash`` is the input hash of that run (``None`` until the study has run since
    it was registered, so the next refresh recomputes it).
    """

    study_id: str
    path: str | None
    definition: str
    registered_at: dt.datetime
    last_run_id: str | None = None
    last_input_hash: str | None = None


class StudiesRepo:
    """Register, list and unregister studies; record their last run."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def register(
        self,
        study_id: str,
        *,
        definition: str,
        path: str | None = None,
        registered_at: dt.datetime | None = None,
    ) -> None:
        """Register ``study_id`` with its TOML text, replacing an earlier registration.

        Re-registering forgets the last input hash, so the next refresh recomputes the study.
        """
        if not study_id:
            raise StoreInputError("a study needs an id")
        if not definition.strip():
            raise StoreInputError(f"study {study_id!r}: the definition is empty")
        self._db.require_write(f"register study {study_id}")
        self._db.execute(
            "INSERT INTO studies (study_id, path, definition, registered_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (study_id) DO UPDATE SET path = excluded.path, "
            "definition = excluded.definition, registered_at = excluded.registered_at, "
            "last_input_hash = NULL",
            [study_id, path, definition, registered_at or self._db.clock()],
            what=f"register study {study_id}",
        )

    def remove(self, study_id: str) -> None:
        """Unregister a study (its stored runs stay). Raises :class:`NotFoundError`."""
        self._db.require_write(f"remove study {study_id}")
        gone = self._db.rows(
            "DELETE FROM studies WHERE study_id = ? RETURNING study_id",
            [study_id],
            what=f"remove study {study_id}",
        )
        if not gone:
            raise NotFoundError(f"no registered study {study_id!r}", what="study", key=study_id)

    def is_registered(self, study_id: str) -> bool:
        """Whether a study with this id is registered."""
        return bool(
            self._db.value(
                "SELECT count(*) FROM studies WHERE study_id = ?",
                [study_id],
                what="look up a registered study",
            )
        )

    def get(self, study_id: str) -> RegisteredStudy | None:
        """One registered study, or ``None``."""
        row = self._db.row(
            f"SELECT {', '.join(_COLUMNS)} FROM studies WHERE study_id = ?",
            [study_id],
            what="read a registered study",
        )
        return _record(row) if row is not None else None

    def list(self) -> list[RegisteredStudy]:
        """Every registered study, by id."""
        rows = self._db.rows(
            f"SELECT {', '.join(_COLUMNS)} FROM studies ORDER BY study_id",
            what="list registered studies",
        )
        return [_record(r) for r in rows]

    def set_last_run(self, study_id: str, *, run_id: str, input_hash: str) -> None:
        """Record the run the refresh (or a run of exactly this study) stored last."""
        self._db.require_write(f"record the last run of study {study_id}")
        done = self._db.rows(
            "UPDATE studies SET last_run_id = ?, last_input_hash = ? WHERE study_id = ? "
            "RETURNING study_id",
            [run_id, input_hash, study_id],
            what=f"record the last run of study {study_id}",
        )
        if not done:
            raise NotFoundError(f"no registered study {study_id!r}", what="study", key=study_id)


def _record(r: tuple[Any, ...]) -> RegisteredStudy:
    return RegisteredStudy(**dict(zip(_COLUMNS, r, strict=True)))
