"""The engine's imports are warmed on a second thread while a study reads the store."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from jobs.services import study

WARM = """
import sys
from jobs.services.study import ENGINE_MODULES, _warm_engine
before = [m in sys.modules for m in ENGINE_MODULES]
_warm_engine().join()
after = [m in sys.modules for m in ENGINE_MODULES]
print(before, after)
"""


def test_the_warm_up_imports_what_the_service_module_does_not() -> None:
    out = subprocess.run([sys.executable, "-c", WARM], capture_output=True, text=True, check=True)
    assert out.stdout.split("] [") == ["[False, False", "True, True]\n"], out.stderr


def test_a_failed_warm_up_import_is_left_to_the_main_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    monkeypatch.setattr(study, "ENGINE_MODULES", ("market_reaction_no_such_module", "json"))
    thread = study._warm_engine()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert raised == []
    assert "market_reaction_no_such_module" not in sys.modules
