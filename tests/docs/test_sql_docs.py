"""docs/sql.md: every worked query runs and prints exactly the output shown."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from jobs.services.sql import run_sql
from storage.store import Store


def _support() -> ModuleType:
    """The helper module beside this file (tests are not a package: load it by path)."""
    path = Path(__file__).with_name("tests_docs_support.py")
    spec = importlib.util.spec_from_file_location("tests_docs_support", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_s = _support()
DOC, build_store, examples, render = _s.DOC, _s.build_store, _s.examples, _s.render

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(build_store(shared_data, tmp_path_factory.mktemp("docs") / "docs.duckdb"))


def test_the_page_has_at_least_ten_examples() -> None:
    assert len(examples(DOC.read_text(encoding="utf-8"))) >= 10


@pytest.mark.parametrize("index", range(len(examples(DOC.read_text(encoding="utf-8")))))
def test_documented_query(store: Store, index: int) -> None:
    sql, shown = examples(DOC.read_text(encoding="utf-8"))[index]
    assert render(run_sql(store, sql).frame) == shown, (
        "docs/sql.md is stale: run 'python tests/docs/tests_docs_support.py' and review the diff"
    )
