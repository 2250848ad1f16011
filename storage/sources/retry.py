"""Retry with capped exponential backoff and full jitter, with the clock injected.

Sources call :func:`call_with_retry` around one network call. Sleeping and
randomness are parameters, so tests run without waiting and with known delays.

Notes
-----
"Full jitter" (Brooker, *Exponential Backoff and Jitter*, AWS Architecture Blog,
2015): before retry ``k`` (0-based) wait ``uniform(0, min(max_backoff, backoff * 2**k))``.
Spreading the waits over the whole interval keeps many clients that were refused at
the same moment from coming back at the same moment.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure.

    Parameters
    ----------
    retries
        Retries after the first attempt (0 means "try once").
    backoff
        Base delay in seconds; the cap doubles with every retry.
    max_backoff
        Upper bound of any single delay, in seconds.
    """

    retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, got {self.retries}")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ValueError(
                f"backoff and max_backoff must not be negative, got {self.backoff} and "
                f"{self.max_backoff}"
            )

    @property
    def attempts(self) -> int:
        """Attempts in total when every one of them fails."""
        return self.retries + 1

    def cap(self, retry: int) -> float:
        """The largest delay before retry number ``retry`` (0-based)."""
        # min() before the power would be nicer, but 2**retry is exact and small here.
        return float(min(self.max_backoff, self.backoff * 2.0**retry))

    def delay(self, retry: int, rng: random.Random) -> float:
        """A full-jitter delay before retry number ``retry`` (0-based)."""
        return rng.uniform(0.0, self.cap(retry))


def call_with_retry(
    call: Callable[[], T],
    *,
    is_transient: Callable[[Exception], bool],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    rng: random.Random,
) -> T:
    """Run ``call``; after a transient failure wait and run it again.

    Parameters
    ----------
    call
        The operation, without arguments.
    is_transient
        Whether an exception raised by ``call`` may go away on its own.
    policy
        Number of retries and the delays between them.
    sleep, rng
        Injected ``time.sleep`` and random generator.

    Returns
    -------
    T
        What ``call`` returned on the first successful attempt.

    Raises
    ------
    Exception
        The last exception of ``call`` when it is not transient, or when the
        retries are used up. The caller translates it.
    """
    retry = 0
    while True:
        try:
            return call()
        except Exception as exc:
            if retry >= policy.retries or not is_transient(exc):
                raise
        sleep(policy.delay(retry, rng))
        retry += 1
