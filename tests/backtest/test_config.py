"""EventStudyConfig: defaults, immutability, and messages that name the parameter."""

from __future__ import annotations

import pydantic
import pytest

from backtest import DEFAULT_WINDOWS, ConfigError, EventStudyConfig


def test_defaults_follow_the_spec() -> None:
    c = EventStudyConfig()
    assert c.model == "market_model"
    assert c.benchmark == "SPY"
    assert (c.estimation_start, c.estimation_end, c.min_obs) == (-260, -11, 120)
    assert c.windows == ((0, 0), (-1, 1), (0, 1), (-2, 2), (-5, 5), (0, 10)) == DEFAULT_WINDOWS
    assert c.variance_denominator == "L-k"
    assert c.return_kind == "simple"
    assert c.clean_estimation is True
    assert c.market_wide_categories == frozenset({"macro"})
    assert c.event_period == (-5, 10)
    assert c.k == 2


def test_frozen() -> None:
    c = EventStudyConfig()
    with pytest.raises(pydantic.ValidationError):
        c.min_obs = 10  # type: ignore[misc]


def test_lists_are_accepted_for_windows() -> None:
    c = EventStudyConfig(windows=[[-1, 1], [0, 3]])  # type: ignore[arg-type]
    assert c.windows == ((-1, 1), (0, 3))
    assert c.event_period == (-1, 3)


@pytest.mark.parametrize(
    ("kwargs", "parameter", "message"),
    [
        ({"windows": ((3, 1),)}, "windows", r"window \(3, 1\) starts after it ends.*start <= end"),
        ({"windows": ()}, "windows", r"at least one event window is needed"),
        ({"windows": ((0, 1), (0, 1))}, "windows", r"window \(0, 1\) is listed twice"),
        (
            {"estimation_end": -3},
            "estimation_end",
            r"estimation_end = -3 overlaps the event windows.*use estimation_end <= -6",
        ),
        (
            {"estimation_start": -5, "estimation_end": -20},
            "estimation_start",
            r"estimation_start = -5 is after estimation_end = -20",
        ),
        (
            {"min_obs": 300},
            "min_obs",
            r"min_obs = 300 exceeds the estimation window length 250.*use min_obs <= 250",
        ),
        (
            {"model": "ff5", "min_obs": 5},
            "min_obs",
            r"min_obs = 5 is too small for model 'ff5' \(k = 6\).*min_obs >= 7",
        ),
        ({"model": "ff9"}, "model", r"model: Input should be 'market_adjusted'.*'ff5'.*got 'ff9'"),
        ({"variance_denominator": "L-2"}, "variance_denominator", r"'L-k' or 'L-1'"),
        ({"return_kind": "pct"}, "return_kind", r"'simple' or 'log'"),
        ({"benchmark": " SPY"}, "benchmark", r"benchmark ' SPY' must be a non-empty ticker"),
        ({"windows": ((-1, 1),), "estimation_end": -1}, "estimation_end", r"before the earliest"),
        ({"min_obs": "many"}, "min_obs", r"min_obs: Input should be a valid integer"),
        ({"bogus": 1}, "bogus", r"bogus: Extra inputs are not permitted"),
    ],
    ids=lambda v: str(v)[:40] if not isinstance(v, dict) else ",".join(v),
)
def test_invalid_configs_name_the_parameter(
    kwargs: dict[str, object], parameter: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        EventStudyConfig(**kwargs)  # type: ignore[arg-type]
    assert info.value.parameter == parameter
    assert isinstance(info.value, ValueError)


def test_estimation_window_right_before_the_first_window_is_allowed() -> None:
    c = EventStudyConfig(windows=((-1, 1),), estimation_start=-100, estimation_end=-2, min_obs=99)
    assert c.event_period == (-1, 1)


def test_market_adjusted_needs_two_estimation_days() -> None:
    with pytest.raises(ConfigError, match="min_obs >= 2"):
        EventStudyConfig(model="market_adjusted", min_obs=1)
    assert EventStudyConfig(model="market_adjusted", min_obs=2).k == 0
