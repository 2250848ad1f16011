"""What the spillover tables and the heat map share: role letters, column order, cell marks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from jobs.definitions.roles import ROLES

if TYPE_CHECKING:
    from jobs.spillover.result import Spillover

LETTER = {"direct": "D", "spillover": "S", "peer": "P", "other": "O"}
ROLE_ORDER = ROLES  # the option set's order: direct, spillover, peer, other
#: The tests of the role table (the calendar-time portfolio last).
ROLE_TESTS = ("csect_t", "kp_bmp_t", "bw1985_t", "calendar_time_t")


def ticker_order(s: Spillover) -> list[str]:
    """Matrix columns: the events' counterparties in event order, then the other partners,
    the peers and any other measured ticker."""
    m = s.main_matrix
    out: list[str] = []
    for role in ROLE_ORDER:
        out += m.filter(pl.col("role") == role).get_column("ticker").to_list()
    return list(dict.fromkeys(out))


def beyond(cell: dict[str, Any], fdr: float) -> bool:
    """q ≤ fdr, status ok and no other event in the window."""
    q = cell.get("q")
    return (
        cell.get("status") == "ok"
        and q is not None
        and q <= fdr
        and not (cell.get("confounded_by") or [])
    )


def cell_mark(cell: dict[str, Any], fdr: float) -> str:
    """``*`` beyond noise, ``c`` confounded, else nothing."""
    if cell.get("confounded_by"):
        return "c"
    return "*" if beyond(cell, fdr) else ""
