"""Writing a run's report folder: report.md, report.html, study.json, CSV/Parquet exports.

The folder is written aside (``.<name>.tmp-<pid>`` next to it) and renamed into place when
every file is complete, so a crash or a kill while writing leaves the previous complete report
(or none), never a folder that mixes two runs. The old folder is moved to ``.<name>.old-<pid>``
for the instant between the two renames; a writer that finds a leftover ``.old`` folder and no
report puts it back first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from jobs.report.format import json_text
from jobs.report.study.html import html_report
from jobs.report.study.jsondoc import json_document
from jobs.report.study.markdown import markdown_report

if TYPE_CHECKING:
    import polars as pl

    from jobs.runs import StudyRun

#: The engine's frames (every benchmark), one CSV and one Parquet file each; a study that
#: measures volume or volatility adds volume_daily, volume_windows, volatility_daily and
#: volatility_windows (its main benchmark).
EXPORTS = ("abnormal_returns", "cars", "tests", "event_diagnostics", "aar")
#: The report's own tables: the answer, and each group's tests per window and per day.
REPORT_EXPORTS = ("answer", "group_tests", "group_daily", "group_members")
#: Every table written, as stored (:mod:`jobs.run_tables`; the SQL views of the same names).
ALL_EXPORTS = EXPORTS + REPORT_EXPORTS

Progress = Callable[[str], None]


def _write_frame(frame: pl.DataFrame, base: Path) -> list[Path]:
    import polars as pl

    csv_ready = frame.with_columns(
        [pl.col(c).list.join(";") for c, t in frame.schema.items() if isinstance(t, pl.List)]
    ).select([c for c, t in frame.schema.items() if not isinstance(t, pl.Struct)])
    csv_path, parquet_path = base.with_suffix(".csv"), base.with_suffix(".parquet")
    csv_ready.write_csv(csv_path)
    frame.write_parquet(parquet_path)
    return [csv_path, parquet_path]


def _fill(run: StudyRun, folder: Path, *, html: bool, progress: Progress) -> list[str]:
    """Every report file of ``run`` in ``folder`` (a new, empty folder); their names."""
    import polars as pl

    names: list[str] = []

    def put(name: str, text: str) -> None:
        (folder / name).write_text(text, encoding="utf-8")
        names.append(name)

    progress("report.md")
    put("report.md", markdown_report(run))
    progress("study.json")
    put("study.json", json_text(json_document(run)))
    if html:
        progress("report.html")
        put("report.html", html_report(run, progress=progress))
    progress("CSV and Parquet")
    from jobs.run_tables import stored_tables

    frames = stored_tables(run)
    for name in ALL_EXPORTS:
        parts = [frames[b][name] for b in run.results if name in frames[b]]
        if parts:
            frame = pl.concat(parts, how="vertical_relaxed")
            names += [p.name for p in _write_frame(frame, folder / name)]
    main = frames[run.benchmark]
    for measured in run.measures.values():  # the main benchmark's volume_* / volatility_*
        for name in (f"{measured.name}_daily", f"{measured.name}_windows"):
            names += [p.name for p in _write_frame(main[name], folder / name)]
    if run.spillover is not None:  # spillover_cells, spillover_role_tests, spillover_controls
        from jobs.spillover.frames import store_frames

        for name, frame in store_frames(run.spillover).items():
            names += [p.name for p in _write_frame(frame, folder / name)]
    return names


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


def _recover(target: Path) -> None:
    """Clear what dead writers left: put back a report moved aside between the two renames,
    and remove half-written folders."""
    for kind in ("old", "tmp"):
        for left in sorted(target.parent.glob(f".{target.name}.{kind}-*")):
            pid = left.name.rsplit("-", 1)[-1]
            if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                continue  # another writer is at work
            if kind == "old" and not target.exists():
                left.rename(target)
            else:
                shutil.rmtree(left, ignore_errors=True)


class PreparedReport:
    """A complete report folder written aside, waiting to replace ``target``.

    :meth:`publish` renames it into place (the previous report moved aside for the instant
    between the two renames); :meth:`discard` removes it and leaves ``target`` as it was.
    """

    def __init__(self, target: Path, folder: Path, names: list[str]) -> None:
        self.target = target
        self._folder = folder
        self._names = names

    def publish(self) -> list[Path]:
        """Put the folder in place of ``target``; the paths of the files written."""
        target, tmp = self.target, self._folder
        try:
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            if target.exists():
                target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            self.discard()
            raise
        return [target / n for n in self._names]

    def discard(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


def prepare_report_files(
    run: StudyRun, out_dir: Path, *, html: bool = True, progress: Progress | None = None
) -> PreparedReport:
    """Write every report file of ``run`` into a new folder beside ``out_dir``; nothing in
    ``out_dir`` changes until the result is published. ``progress`` is told which file is
    being written."""
    say = progress or (lambda _m: None)
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover(target)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        return PreparedReport(target, tmp, _fill(run, tmp, html=html, progress=say))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_report_files(
    run: StudyRun, out_dir: Path, *, html: bool = True, progress: Progress | None = None
) -> list[Path]:
    """Write every report file into ``out_dir``, replacing its previous content as one step.

    Returns the paths of the files written. ``progress`` is told which file is being written.
    """
    return prepare_report_files(run, out_dir, html=html, progress=progress).publish()
