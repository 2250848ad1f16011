"""Notices: typed warnings that results carry for their reports.

A :class:`Notice` is not an exception: the result is valid, but a reader must
be told something about it (the returns could not have been earned, the best
cell of a grid is optimistic, ...). Each notice has a stable ``code`` to branch
on, the words to print (``text``, also ``str(notice)``), and the event and
ticker it concerns when there is one. The message templates live here, next to
the constructors that fill them.
"""

from __future__ import annotations

from dataclasses import dataclass

from backtest._typing import NoticeCode

#: Template of the sweep's notice (``{cells}``, ``{bound}``): see :func:`sweep_optimistic`.
SWEEP_WARNING = (
    "The best cell of a sweep is optimistic: with {cells} cells tried on the same events, the "
    "largest mean and t-statistic are picked from many noisy, correlated estimates (multiple "
    "testing, data snooping). Treat it as a hypothesis and check it on other events or a later "
    "period; a Bonferroni bound for {cells} cells at 5% (two-sided) needs |t| > {bound:.2f}."
)

#: Text of the perfect-foresight notice of a single rule.
PERFECT_FORESIGHT = (
    "PERFECT FORESIGHT: some entries come before the news is public (allow_lookahead=True); "
    "these returns could not have been earned"
)

#: Text of the perfect-foresight notice of a sweep.
PERFECT_FORESIGHT_CELLS = (
    "PERFECT FORESIGHT: some cells enter before the news is public "
    "(allow_lookahead=True); their returns could not have been earned"
)


@dataclass(frozen=True)
class Notice:
    """One warning attached to a result.

    Attributes
    ----------
    code
        What kind of notice (:data:`backtest._typing.NoticeCode`).
    text
        The sentence(s) a report prints; ``str(notice)`` is the same.
    event_id, ticker
        The observation the notice concerns, when it concerns one.
    """

    code: NoticeCode
    text: str
    event_id: str | None = None
    ticker: str | None = None

    def __str__(self) -> str:
        return self.text


def perfect_foresight(*, cells: bool = False) -> Notice:
    """Some ``ok`` trades entered before the news (or their signal): ``allow_lookahead``."""
    return Notice("perfect_foresight", PERFECT_FORESIGHT_CELLS if cells else PERFECT_FORESIGHT)


def sweep_optimistic(cells: int) -> Notice:
    """The best of ``cells`` grid cells overstates what a rule earns (multiple testing).

    Notes
    -----
    The Bonferroni bound is the two-sided 5% critical value for ``cells``
    comparisons, ``z = Φ⁻¹(1 − 0.025 / cells)`` (computed as ``−Φ⁻¹(0.025 / cells)``,
    which is what ``scipy.stats.norm.isf`` does).
    """
    from scipy import special  # imported on use: keeps ``import backtest`` cheap

    bound = -float(special.ndtri(0.025 / cells))
    return Notice("sweep_optimistic", SWEEP_WARNING.format(cells=cells, bound=bound))
