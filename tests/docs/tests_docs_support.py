"""Executing the worked queries of docs/sql.md.

Each example is a ```sql block followed by a ```text block with its output,
rendered by :func:`render`. The test runs every query against a store built
from the shared data and compares. To refresh the shown outputs after an
intended change: ``python tests/docs/tests_docs_support.py`` (it rewrites docs/sql.md).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from pathlib import Path

import polars as pl

DOC = Path(__file__).resolve().parents[2] / "docs" / "sql.md"
_BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```\n\n```text\n(?P<out>.*?)```", re.DOTALL)


def render(frame: pl.DataFrame | None) -> str:
    """A small, stable text table: floats with 6 significant digits, lists joined by commas."""
    if frame is None:
        return "ok\n"

    def cell(v: object) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, float):
            return "NaN" if math.isnan(v) else f"{v:.6g}"
        if isinstance(v, list):
            return "[" + ", ".join(cell(x) for x in v) + "]"
        if isinstance(v, dt.datetime):
            return v.isoformat()
        return str(v)

    rows = [[cell(v) for v in r] for r in frame.iter_rows()]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(frame.columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(frame.columns, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def examples(text: str) -> list[tuple[str, str]]:
    return [(m.group("sql"), m.group("out")) for m in _BLOCK.finditer(text)]


def build_store(data: Path, db: Path) -> Path:
    """Import the shared data, run the seed study offline and register it."""
    from typer.testing import CliRunner

    from jobs.cli import app

    runner = CliRunner()
    seed = Path(__file__).resolve().parents[2] / "jobs" / "studies" / "seed.toml"
    for args in (
        ["prices", "import", str(data / "prices_daily.csv"), str(data / "dividends.csv")],
        ["factors", "import", str(data / "ff_factors_daily.csv")],
        ["study", "register", str(seed)],
        [
            "study",
            "--offline",
            "--no-html",
            "--out",
            str(db.parent / "reports"),
            "--format",
            "json",
        ],
        ["refresh", "--source", str(data / "prices_daily.csv"), "--as-of", "2026-05-29"],
    ):
        result = runner.invoke(app, ["--db", str(db), *args])
        if result.exit_code != 0:
            raise RuntimeError(
                f"reaction {' '.join(args)} failed: {result.stderr} {result.exception!r}"
            )
    return db


def rewrite(data: Path) -> None:  # pragma: no cover - a maintenance tool
    import tempfile

    from jobs.services.sql import run_sql
    from storage.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(build_store(data, Path(tmp) / "docs.duckdb"))
        text = DOC.read_text(encoding="utf-8")

        def replace(m: re.Match[str]) -> str:
            out = render(run_sql(store, m.group("sql")).frame)
            return f"```sql\n{m.group('sql')}```\n\n```text\n{out}```"

        DOC.write_text(_BLOCK.sub(replace, text), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    from storage.datadir import shared_data_dir

    rewrite(shared_data_dir())
    sys.stdout.write(f"rewrote {DOC}\n")
