"""The answer of a spillover study, as sentences generated from its numbers.

1. Per event: did it move its counterparty beyond noise? The direct cell's CAR over the main
   window, its t and its q (Benjamini-Hochberg over the whole matrix); "beyond noise" when
   q ≤ ``fdr`` and no other catalog event falls in the window. The same sentence counts the
   event's partner and peer cells beyond noise and gives the controls' own move.
2. Per role: did the deals move the counterparties, the other partners, the peers? The role's
   CAAR with its clustering-robust test (``robust_test``, default ``bw1985_t``) and the
   calendar-time portfolio t; "beyond noise" when both p ≤ ``fdr`` (the role tests are judged
   at the answer's level).
3. The pattern: consistent with the deals lifting all partners when the partners' CAAR is
   positive and beyond noise on both tests while the peers' is not; a sector-wide move when
   the peers rose beyond noise as well; partly consistent when only one test is beyond noise;
   otherwise not consistent.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from jobs.spillover.result import Spillover

_ROLE_NOUN = {"direct": "counterparties", "spillover": "other partners", "peer": "peers"}


def _ok(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _pct(x: Any) -> str:
    return f"{100 * x:+.1f}%" if _ok(x) else "n/a"


def _num(x: Any) -> str:
    return f"{x:.2f}" if _ok(x) else "n/a"


def _p(x: Any) -> str:
    if not _ok(x):
        return "n/a"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def _peq(x: Any) -> str:
    """``= 0.351`` or ``< 0.001``: a p- or q-value after its name."""
    text = _p(x)
    return text if text.startswith("<") else f"= {text}"


def _wl(a: int, b: int) -> str:
    return f"[{a:+d},{b:+d}]" if a != b else f"[{a:+d}]"


def _beyond(cell: dict[str, Any], fdr: float) -> bool:
    return (
        cell["status"] == "ok"
        and _ok(cell["q"])
        and cell["q"] <= fdr
        and not (cell["confounded_by"] or [])
    )


def _event_sentences(s: Spillover) -> list[str]:
    m = s.main_matrix
    a, b = s.window
    out = []
    controls = {
        (r["event_id"], r["ticker"]): r["window_ret"] for r in s.controls.iter_rows(named=True)
    }
    for (event_id,), part in m.partition_by("event_id", as_dict=True, maintain_order=True).items():
        cells = part.to_dicts()
        direct = [c for c in cells if c["role"] == "direct"]
        head = f"{event_id} (day 0 {cells[0]['day0']}): "
        bits = []
        for c in direct:
            if c["status"] != "ok" or not _ok(c["car"]):
                bits.append(
                    f"{c['ticker']} could not be measured ({c['status'].replace('_', ' ')})"
                )
                continue
            if c["confounded_by"]:
                verdict = (
                    f"but {', '.join(c['confounded_by'])} fell in the same window, so the move "
                    "cannot be put down to the deal alone"
                )
            elif _beyond(c, s.fdr):
                verdict = "beyond noise"
            else:
                verdict = "not distinguishable from noise"
            bits.append(
                f"the counterparty {c['ticker']} moved {_pct(c['car'])} over {_wl(a, b)} "
                f"(t = {_num(c['t'])}, q {_peq(c['q'])}), {verdict}"
            )
        if not direct:
            bits.append("no counterparty is named")
        for role in ("spillover", "peer"):
            rc = [c for c in cells if c["role"] == role and c["status"] == "ok"]
            if not rc:
                continue
            hits = [c["ticker"] for c in rc if _beyond(c, s.fdr)]
            mean = sum(c["car"] for c in rc) / len(rc)
            named = f" ({', '.join(hits)})" if hits else ""
            bits.append(
                f"{len(hits)} of {len(rc)} {_ROLE_NOUN[role]} beyond noise{named}, "
                f"mean CAR {_pct(mean)}"
            )
        market = [
            f"{t} {_pct(controls.get((event_id, t)))}"
            for t in s.controls_tickers
            if (event_id, t) in controls
        ]
        sentence = head + "; ".join(bits)
        if market:
            sentence += f"; the market itself: {', '.join(market)}"
        out.append(sentence + ".")
    return out


def role_evidence(s: Spillover, role: str) -> dict[str, Any] | None:
    """The role's CAAR, robust test and calendar-time test over the main window (None: the
    role has no observations)."""
    a, b = s.window
    group = next((g for g in s.role_tests if g.id == f"role:{role}"), None)
    if group is None:
        return None
    tests = group.tests.filter((pl.col("start") == a) & (pl.col("end") == b))
    robust = tests.filter(pl.col("test") == s.robust_test)
    r = robust.row(0, named=True) if robust.height else {}
    cal = s.calendar.filter(
        (pl.col("role") == role) & (pl.col("start") == a) & (pl.col("end") == b)
    )
    c = cal.row(0, named=True) if cal.height else {}
    return {
        "n": r.get("n", group.n),
        "caar": r.get("caar"),
        "robust_stat": r.get("stat"),
        "robust_p": r.get("p"),
        "calendar_stat": c.get("stat"),
        "calendar_p": c.get("p"),
        "calendar_events": c.get("n_events"),
    }


def _significant(e: dict[str, Any], which: str, alpha: float) -> bool:
    p = e[f"{which}_p"]
    return _ok(p) and p <= alpha and _ok(e["caar"]) and e["caar"] > 0


def _role_sentence(s: Spillover, role: str, e: dict[str, Any]) -> str:
    p_robust, p_cal = e["robust_p"], e["calendar_p"]
    hits = sum(_ok(p) and p <= s.fdr for p in (p_robust, p_cal))
    judged = (
        "beyond noise on both tests"
        if hits == 2
        else "beyond noise on one of the two tests only"
        if hits == 1
        else "not distinguishable from noise"
    )
    return (
        f"Across the events, the {_ROLE_NOUN[role]} (N = {e['n']}) moved {_pct(e['caar'])} on "
        f"average over {_wl(*s.window)}: {s.robust_test} = {_num(e['robust_stat'])} "
        f"(p {_peq(p_robust)}), calendar-time portfolio t = {_num(e['calendar_stat'])} "
        f"(p {_peq(p_cal)}, {e['calendar_events'] or 0} event portfolios): {judged}."
    )


def _pattern(s: Spillover, ev: dict[str, dict[str, Any]]) -> str:
    spill, peer = ev.get("spillover"), ev.get("peer")
    if spill is None:
        return "No event has other partners measured, so the study cannot say whether the deals lifted all partners."
    robust = _significant(spill, "robust", s.fdr)
    cal = _significant(spill, "calendar", s.fdr)
    peers_up = peer is not None and (
        _significant(peer, "robust", s.fdr) or _significant(peer, "calendar", s.fdr)
    )
    caar = _pct(spill["caar"])
    if robust and cal and not peers_up:
        return (
            f"The pattern is consistent with the deals lifting all partners: the other partners "
            f"rose together ({caar} on average), beyond noise with the same-day clustering "
            "allowed for, while the peers did not."
        )
    if (robust or cal) and peers_up:
        return (
            f"The other partners rose ({caar} on average), but so did the peers: the pattern "
            "looks like a sector-wide move on deal days rather than a lift of the partners."
        )
    if robust or cal:
        return (
            f"The pattern is only partly consistent with the deals lifting all partners: the "
            f"other partners' average move ({caar}) is beyond noise on "
            f"{'the clustering-robust test' if robust else 'the calendar-time portfolio'} only."
        )
    return (
        f"The pattern is not consistent with the deals lifting all partners: the other "
        f"partners' average move ({caar}) is not distinguishable from noise once the same-day "
        f"clustering is allowed for ({s.robust_test} p {_peq(spill['robust_p'])}, "
        f"calendar-time p {_peq(spill['calendar_p'])})."
    )


def sentences(s: Spillover) -> list[str]:
    """The answer: one sentence per event, one per role, and the pattern."""
    out = _event_sentences(s)
    ev: dict[str, dict[str, Any]] = {}
    for role in ("direct", "spillover", "peer"):
        e = role_evidence(s, role)
        if e is not None:
            ev[role] = e
            out.append(_role_sentence(s, role, e))
    out.append(_pattern(s, ev))
    return out
