"""``import backtest`` stays cheap: no scipy at import time."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_scipy() -> None:
    code = "import sys, backtest; print(sorted(m for m in sys.modules if m.startswith('scipy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
