"""Registered studies: register (and re-register), remove, look up, record the last run."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.errors import NotFoundError, ReadOnlyError, StoreInputError
from storage.repos import RegisteredStudy
from storage.session import OpenStore
from storage.store import Store

TOML = '[study]\nid = "seed"\n'


def test_register_list_and_last_run(db: OpenStore, now: dt.datetime) -> None:
    db.studies.register("seed", definition=TOML, path="/studies/seed.toml")
    db.studies.register("other", definition='[study]\nid = "other"\n')
    assert db.studies.is_registered("seed") and not db.studies.is_registered("nope")
    assert [s.study_id for s in db.studies.list()] == ["other", "seed"]
    db.studies.set_last_run("seed", run_id="seed-1", input_hash="h1")
    assert db.studies.get("seed") == RegisteredStudy(
        study_id="seed",
        path="/studies/seed.toml",
        definition=TOML,
        registered_at=now,
        last_run_id="seed-1",
        last_input_hash="h1",
    )
    # registering again replaces the text and forgets the hash (so the refresh recomputes it)
    db.studies.register("seed", definition=TOML + "# edited\n", path=None)
    again = db.studies.get("seed")
    assert again is not None
    assert (again.definition, again.path, again.last_run_id, again.last_input_hash) == (
        TOML + "# edited\n",
        None,
        "seed-1",
        None,
    )


def test_remove_and_unknown_ids(db: OpenStore) -> None:
    db.studies.register("seed", definition=TOML)
    db.studies.remove("seed")
    assert db.studies.list() == []
    with pytest.raises(NotFoundError, match="no registered study 'seed'"):
        db.studies.remove("seed")
    with pytest.raises(NotFoundError, match="no registered study 'x'"):
        db.studies.set_last_run("x", run_id="r", input_hash="h")
    with pytest.raises(StoreInputError, match="definition is empty"):
        db.studies.register("x", definition="  ")


def test_read_only_sessions_refuse_registrations(store: Store) -> None:
    store.init()
    with store.open() as db, pytest.raises(ReadOnlyError, match="cannot register study seed"):
        db.studies.register("seed", definition=TOML)
