"""A study run that renders itself in Jupyter and plots: what :func:`jobs.run_study` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobs.runs import StudyRun


@dataclass(frozen=True)
class NotebookStudyRun(StudyRun):
    """:class:`jobs.runs.StudyRun` plus the notebook surface: ``run`` shows tables, ``run.plot()``."""

    def plot(self, event_id: str | None = None, ticker: str | None = None) -> Any:
        """The CAR path with its 95% band (one observation), or the CAAR path (all)."""
        from jobs.report.study.charts import car_figure

        return car_figure(self, event_id=event_id, ticker=ticker)

    def _repr_html_(self) -> str:
        from jobs.report.study.markdown import html_tables

        return html_tables(self)

    def to_json(self) -> dict[str, Any]:
        """The study document of ``docs/study-json.md``."""
        from jobs.report.study.jsondoc import json_document

        return json_document(self)
