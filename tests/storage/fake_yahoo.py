"""An offline stand-in for Yahoo's HTTP endpoints, for tests that run yfinance's own parser.

:class:`FakeYahoo` is a ``requests`` transport adapter. Mounted on a
``requests.Session`` (see :func:`fake_session`), it answers every request yfinance
makes without touching the network (ecosystem.md §1.6):

- ``/v8/finance/chart/{SYM}``: the next :class:`Reply` queued for ``SYM`` (the last
  one repeats). The timezone probe (``range=1d``) is answered from ``probes`` when
  the symbol is listed there, so it does not consume the data queue; otherwise it
  shares the data queue;
- ``/v1/test/getcrumb``: 200 with the text ``crumb``;
- anything else (fc.yahoo.com, consent pages, quoteSummary, v7 quote, ...): 404
  with an empty body.

The adapter returns responses and never raises, except for a :class:`Reply` whose
``raises`` is set (to simulate a timeout on the chart route).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

NOT_FOUND_BODY: dict[str, Any] = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}


@dataclass(frozen=True)
class Reply:
    """One canned answer on the chart route."""

    status: int = 200
    body: Any = None
    raises: type[Exception] | None = None


def ok(body: Any) -> Reply:
    """A 200 answer with the given JSON body."""
    return Reply(200, body)


TOO_MANY_REQUESTS = Reply(429, None)
NOT_FOUND = Reply(404, NOT_FOUND_BODY)


def empty_chart(sample: Mapping[str, Any]) -> dict[str, Any]:
    """A valid chart body with the ``meta`` of ``sample`` and no bars at all."""
    meta = sample["chart"]["result"][0]["meta"]
    return {
        "chart": {
            "result": [{"meta": meta, "indicators": {"quote": [{}], "adjclose": [{}]}}],
            "error": None,
        }
    }


class FakeYahoo(BaseAdapter):
    """Route yfinance's requests to canned replies; record what was asked.

    Parameters
    ----------
    charts
        Per upper-case symbol, one reply or a queue of replies for the chart route.
    probes
        Per symbol, the reply to the timezone probe (``range=1d``), kept apart from
        ``charts`` so a queue of data replies is not consumed by the probe.
    """

    def __init__(
        self,
        charts: Mapping[str, Reply | Sequence[Reply]],
        probes: Mapping[str, Reply] | None = None,
    ) -> None:
        super().__init__()
        self._queues: dict[str, list[Reply]] = {
            sym: [r] if isinstance(r, Reply) else list(r) for sym, r in charts.items()
        }
        self._probes = dict(probes or {})
        self.requests: list[str] = []

    def chart_calls(self, symbol: str, *, probes: bool = False) -> int:
        """How many chart requests for ``symbol`` reached the adapter (data only by default)."""
        count = 0
        for url in self.requests:
            parts = urlsplit(url)
            if parts.path.endswith(f"/v8/finance/chart/{symbol}"):
                is_probe = "range" in parse_qs(parts.query)
                count += probes or not is_probe
        return count

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        self.requests.append(url)
        parts = urlsplit(url)
        if "/v8/finance/chart/" in parts.path:
            symbol = parts.path.rsplit("/", 1)[-1]
            reply = self._chart_reply(symbol, is_probe="range" in parse_qs(parts.query))
            if reply.raises is not None:
                raise reply.raises(f"fake timeout for {url}")
            return _response(request, reply.status, reply.body)
        if parts.path.endswith("/v1/test/getcrumb"):
            return _response(request, 200, "crumb")
        return _response(request, 404, None)

    def close(self) -> None:
        """Nothing to release."""

    def _chart_reply(self, symbol: str, *, is_probe: bool) -> Reply:
        if is_probe and symbol in self._probes:
            return self._probes[symbol]
        queue = self._queues.get(symbol)
        if not queue:
            return NOT_FOUND
        return queue.pop(0) if len(queue) > 1 else queue[0]


def _response(request: requests.PreparedRequest, status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.url = request.url or ""
    response.request = request
    response.reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "")
    if body is None:
        content = b""
    elif isinstance(body, str):
        content = body.encode()
    else:
        content = json.dumps(body).encode()
    response._content = content
    response.encoding = "utf-8"
    response.headers = CaseInsensitiveDict(
        {"Content-Type": "application/json" if not isinstance(body, str) else "text/plain"}
    )
    return response


def fake_session(adapter: BaseAdapter) -> requests.Session:
    """A ``requests.Session`` whose every http(s) request goes to ``adapter``."""
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
