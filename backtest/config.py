"""The event-study configuration: one frozen, validated object."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from backtest._typing import Conventions, ModelName, ReturnKind, VarianceDenominator
from backtest.errors import ConfigError
from backtest.models import model_k
from backtest.names import BootstrapInterval

#: The default event windows ``(τ1, τ2)`` (``docs/statistics.md``); defined here only.
DEFAULT_WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (0, 1), (-2, 2), (-5, 5), (0, 10))


class EventStudyConfig(BaseModel):
    """What to estimate and how; validated when constructed.

    Parameters
    ----------
    model
        The return model (``docs/statistics.md``, "Return models").
    benchmark
        Ticker (in the returns frame) of the market return ``R_m``: the regressor of
        ``market_adjusted``, ``market_model`` and ``capm``, and the benchmark of BHAR.
    estimation_start, estimation_end
        The estimation window ``[start, end]`` in sessions relative to day 0; it must
        end before the earliest event window starts.
    min_obs
        Minimum number of estimation sessions ``L_i`` (else ``insufficient_estimation``).
    windows
        Event windows ``(start, end)``, inclusive, in sessions relative to day 0.
    variance_denominator
        ``"L-k"`` (textbook) or ``"L-1"`` for the residual variance ``s²``.
    return_kind
        ``"simple"`` or ``"log"`` (``ln(1 + R)``) returns for estimation, AR and CAR.
    clean_estimation
        Drop, from each estimation window, the sessions inside the event period of
        another catalog event of the same ticker.
    market_wide_categories
        Event categories that confound every ticker (default ``{"macro"}``).
    conventions
        ``"default"``, or the conventions of another tool, to reproduce its numbers
        (``docs/statistics.md``, "Conventions"): ``"eventstudy"`` (s² = Σe²/L, ddof 0,
        and no prediction-error term: ``Var(AR) = s²``, ``Var(CAR) = L2 s²``; it
        replaces ``variance_denominator``), ``"estudy2"`` (``bw1985_t`` against N(0, 1)),
        ``"eventstudies"`` (``bootstrap_ci`` as the plain percentile interval of eventstudies'
        ``inference.bootstrap``, not the expanded percentile interval of the default).
    replications, seed
        Number of resamples of ``permutation_p`` and ``bootstrap_ci`` (0: those two are
        null) and the seed of their random draws (the same seed gives the same numbers).

    Raises
    ------
    ConfigError
        Naming the parameter, the value and what is allowed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: ModelName = "market_model"
    benchmark: str = "SPY"
    estimation_start: int = -260
    estimation_end: int = -11
    min_obs: int = 120
    windows: tuple[tuple[int, int], ...] = DEFAULT_WINDOWS
    variance_denominator: VarianceDenominator = "L-k"
    return_kind: ReturnKind = "simple"
    clean_estimation: bool = True
    market_wide_categories: frozenset[str] = Field(default_factory=lambda: frozenset({"macro"}))
    conventions: Conventions = "default"
    replications: int = Field(default=1000, ge=0, le=100_000)
    seed: int = Field(default=20261201, ge=0)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _as_config_error(exc) from exc

    @field_validator("benchmark", mode="after")
    @classmethod
    def _benchmark(cls, v: str) -> str:
        if not v or v != v.strip():
            raise ValueError(
                f"benchmark {v!r} must be a non-empty ticker without surrounding spaces, e.g. 'SPY'"
            )
        return v

    @field_validator("windows", mode="after")
    @classmethod
    def _windows(cls, v: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
        if not v:
            raise ValueError("at least one event window is needed, e.g. windows=((-1, 1),)")
        seen: set[tuple[int, int]] = set()
        for a, b in v:
            if a > b:
                raise ValueError(
                    f"window ({a}, {b}) starts after it ends; a window is (start, end) with "
                    "start <= end, in sessions relative to day 0"
                )
            if (a, b) in seen:
                raise ValueError(f"window ({a}, {b}) is listed twice")
            seen.add((a, b))
        return v

    @model_validator(mode="after")
    def _consistent(self) -> EventStudyConfig:
        s, e = self.estimation_start, self.estimation_end
        if s > e:
            raise ValueError(
                f"estimation_start = {s} is after estimation_end = {e}; the estimation window "
                "is [estimation_start, estimation_end] with start <= end"
            )
        first = min(a for a, _ in self.windows)
        if e >= first:
            raise ValueError(
                f"estimation_end = {e} overlaps the event windows: the estimation window must "
                f"end before the earliest window start ({first}); use estimation_end <= {first - 1}"
            )
        length = e - s + 1
        if self.min_obs > length:
            raise ValueError(
                f"min_obs = {self.min_obs} exceeds the estimation window length {length} "
                f"(estimation_start = {s} .. estimation_end = {e}); use min_obs <= {length}"
            )
        if self.conventions == "eventstudy" and "variance_denominator" in self.model_fields_set:
            raise ValueError(
                "conventions = 'eventstudy' fixes the residual variance (ddof 0, s² = Σe²/L); "
                "leave variance_denominator out, or use conventions = 'default'"
            )
        need = max(self.k + 1, 2)
        if self.min_obs < need:
            raise ValueError(
                f"min_obs = {self.min_obs} is too small for model {self.model!r} "
                f"(k = {self.k}): the residual variance needs min_obs >= {need}"
            )
        return self

    @property
    def event_period(self) -> tuple[int, int]:
        """The union of the windows, ``[min τ1, max τ2]`` (the widest event window)."""
        return min(a for a, _ in self.windows), max(b for _, b in self.windows)

    @property
    def denominator(self) -> str:
        """The residual-variance denominator in use: ``"L"`` under the eventstudy conventions."""
        return "L" if self.conventions == "eventstudy" else self.variance_denominator

    @property
    def prediction_error(self) -> bool:
        """Whether variances carry the estimation-error term (not under ``eventstudy``)."""
        return self.conventions != "eventstudy"

    @property
    def bootstrap_interval(self) -> BootstrapInterval:
        """The interval of ``bootstrap_ci``: plain ``"percentile"`` under ``eventstudies``."""
        return "percentile" if self.conventions == "eventstudies" else "expanded_percentile"

    @property
    def k(self) -> int:
        """Number of estimated parameters of the model."""
        return model_k(self.model)


def _as_config_error(exc: ValidationError) -> ConfigError:
    lines = []
    params = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "config"
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not err["loc"]:
            # cross-field checks: the message starts with the parameter's name
            loc = msg.split(" ", 1)[0]
        params.append(loc.split(".")[0])
        text = msg if msg.startswith(loc.split(".")[0]) else f"{loc}: {msg}"
        if err["type"] not in ("value_error", "assertion_error") and "input" in err:
            text += f" (got {err['input']!r})"
        lines.append(text)
    return ConfigError(
        "invalid EventStudyConfig: " + "; ".join(lines),
        parameter=params[0] if len(set(params)) == 1 else None,
    )
