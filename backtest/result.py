"""The result of an event study: frames, the configuration, and a plain-text summary."""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from backtest._typing import TEST_NAMES
from backtest.config import EventStudyConfig


@dataclass(frozen=True)
class EventStudyResult:
    """Everything :func:`backtest.run_event_study` measured (frames are polars; no NaN).

    Attributes
    ----------
    config
        The configuration used.
    diagnostics
        One row per observation: ``event_id, ticker, day0, status, model, alpha,
        beta, params`` (struct, one field per parameter), ``r2, sigma, n_est,
        n_dropped_clean, dof, confounded_by`` (list of event ids, event period).
    ar
        One row per observation and event-period day: ``event_id, ticker, rel_day,
        date, ret, expected, ar, var_ar, t, p, sar``; ``ret`` and ``expected`` are in
        the study's return kind (``ln(1 + R)`` with ``return_kind="log"``) and
        ``ar = ret − expected``; ``date`` is null beyond the calendar.
    car
        One row per observation and window: ``event_id, ticker, start, end, status,
        car, var_car, car_t, car_p, bhar, bhar_model, confounded_by``.
    car_path
        ``event_id, ticker, rel_day, car, var_car``: the CAR from the event period's
        first day to ``rel_day`` and its exact variance.
    aar
        ``rel_day, n, aar, caar, t, p`` over the event period (cross-sectional t);
        per group, with a leading ``group`` column, when the events have groups.
    tests
        One row per window and test: ``start, end, test, n, caar, mean_bhar, stat,
        p, distribution, df, rbar, note``; per group, with a leading ``group``
        column (rows by group, window, test), when the events have groups.
    rbar
        Kolari–Pynnönen average residual correlation over all observations with
        status ``ok`` (None if fewer than two), whatever the groups.
    """

    config: EventStudyConfig
    diagnostics: pl.DataFrame
    ar: pl.DataFrame
    car: pl.DataFrame
    car_path: pl.DataFrame
    aar: pl.DataFrame
    tests: pl.DataFrame
    rbar: float | None

    def on_windows(self, windows: tuple[tuple[int, int], ...]) -> EventStudyResult:
        """The result as a run on ``windows`` alone: their rows of ``car`` and ``tests``, in
        their order, and a configuration that names them.

        Every number of a window depends only on the window and the observations (the event
        period, the fits and the resamples do not change when windows are added inside the
        event period), so one run on extra windows, restricted, is the run on ``windows``.
        ``windows`` must be among the run's, in the run's order, and span the same event
        period.
        """
        have = {w: i for i, w in enumerate(self.config.windows)}
        missing = [w for w in windows if w not in have]
        if missing:
            raise ValueError(f"windows {missing} are not among the run's {self.config.windows}")
        at = [have[w] for w in windows]
        if at != sorted(set(at)):
            raise ValueError(f"windows {windows} are not in the run's order {self.config.windows}")
        config = self.config.model_copy(update={"windows": tuple(windows)})
        if config.event_period != self.config.event_period:
            raise ValueError(
                f"windows {windows} span {config.event_period}, not the run's event period "
                f"{self.config.event_period}"
            )
        if tuple(windows) == self.config.windows:
            return self
        return replace(
            self,
            config=config,
            car=_on(self.car, windows),
            tests=_on(self.tests, windows),
        )

    def summary(self) -> str:
        """A plain-text summary: set-up, statuses, and every test per window."""
        c = self.config
        lines = [
            f"Event study: {c.model} (benchmark {c.benchmark}, {c.return_kind} returns)",
            f"estimation window [{c.estimation_start}, {c.estimation_end}], min_obs {c.min_obs}, "
            f"s² with {c.denominator}, clean estimation {'on' if c.clean_estimation else 'off'}",
            f"conventions {c.conventions}; {c.replications} resamples (seed {c.seed})",
        ]
        counts = self.diagnostics.group_by("status").len().sort("status")
        status = ", ".join(f"{s} {n}" for s, n in counts.iter_rows())
        lines.append(f"observations: {self.diagnostics.height} ({status or 'none'})")
        lines.append(
            "average residual correlation r̄: "
            + ("n/a" if self.rbar is None else f"{self.rbar:.4f}")
        )
        if "group" in self.tests.columns:
            for label in self.tests.get_column("group").unique(maintain_order=True).to_list():
                lines.append(f"group {label!r}:")
                part = self.tests.filter(pl.col("group") == label)
                lines.extend("  " + line for line in _table(part, c.windows))
        else:
            lines.extend(_table(self.tests, c.windows))
        lines.append("statistic (two-sided p); docs/statistics.md defines each test")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _on(frame: pl.DataFrame, windows: tuple[tuple[int, int], ...]) -> pl.DataFrame:
    """The rows of ``frame`` on ``windows`` (columns ``start, end``), in ``frame``'s order."""
    keep = pl.DataFrame(
        {"start": [a for a, _ in windows], "end": [b for _, b in windows]},
        schema={"start": frame.schema["start"], "end": frame.schema["end"]},
    )
    return frame.join(keep, on=["start", "end"], how="semi", maintain_order="left")


def _table(tests: pl.DataFrame, windows: tuple[tuple[int, int], ...]) -> list[str]:
    """N, CAAR, mean BHAR and every test (rows) per window (columns)."""
    head = ["", *[_label(a, b) for a, b in windows]]
    rows: list[list[str]] = []
    by = {(r["test"], r["start"], r["end"]): r for r in tests.iter_rows(named=True)}
    first = {(r["start"], r["end"]): r for r in tests.iter_rows(named=True)}
    rows.append(["N", *[str(first[w]["n"]) if w in first else "-" for w in windows]])
    rows.append(["CAAR", *[_pct(first[w]["caar"]) if w in first else "-" for w in windows]])
    rows.append(
        ["mean BHAR", *[_pct(first[w]["mean_bhar"]) if w in first else "-" for w in windows]]
    )
    for name in TEST_NAMES:
        cells: list[str] = [name]
        for a, b in windows:
            r = by.get((name, a, b))
            if r is None or r["stat"] is None:
                cells.append("-")
            elif r.get("ci_low") is not None and r.get("ci_high") is not None:
                cells.append(f"{_pct(r['stat'])} [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]")
            elif r["p"] is None:
                cells.append(f"{r['stat']:.3f}")
            else:
                cells.append(f"{r['stat']:.3f} (p {r['p']:.3f})")
        rows.append(cells)
    table = [head, *rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    return [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in table
    ]


def _label(a: int, b: int) -> str:
    return f"[{a:+d},{b:+d}]" if (a, b) != (0, 0) else "[0]"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.2f}%"
