"""Writing a run's report files: report.md, report.html, study.json, and CSV/Parquet exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from jobs.report.study.html import html_report
from jobs.report.study.jsondoc import json_document
from jobs.report.study.markdown import markdown_report

if TYPE_CHECKING:
    from jobs.runs import StudyRun

EXPORTS = ("abnormal_returns", "cars", "tests", "event_diagnostics", "aar")


def write_report_files(run: StudyRun, out_dir: Path, *, html: bool = True) -> list[Path]:
    """Write every report file into ``out_dir`` (created if needed); return the paths."""
    from jobs.runs import result_frames

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, text: str) -> None:
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    put("report.md", markdown_report(run))
    put("study.json", json.dumps(json_document(run), indent=2) + "\n")
    if html:
        put("report.html", html_report(run))
    else:
        (out_dir / "report.html").unlink(missing_ok=True)  # never leave an older run's report
    frames = {b: result_frames(run, b) for b in run.results}
    import polars as pl

    for name in EXPORTS:
        frame = pl.concat([frames[b][name] for b in run.results], how="vertical_relaxed")
        for suffix in ("csv", "parquet"):
            path = out_dir / f"{name}.{suffix}"
            if suffix == "csv":
                csv_ready = frame.with_columns(
                    [
                        pl.col(c).list.join(";")
                        for c, t in frame.schema.items()
                        if isinstance(t, pl.List)
                    ]
                )
                csv_ready.write_csv(path)
            else:
                frame.write_parquet(path)
            written.append(path)
    return written
