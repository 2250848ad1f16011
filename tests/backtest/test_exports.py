"""The curated public surface of backtest."""

from __future__ import annotations

import backtest
import backtest.errors as errors


def test_all_is_exactly_the_public_names() -> None:
    assert sorted(backtest.__all__) == sorted(set(backtest.__all__))
    assert set(backtest.__all__) == {
        "DEFAULT_WINDOWS",
        "MODEL_NAMES",
        "STATUSES",
        "TEST_NAMES",
        "BacktestError",
        "ConfigError",
        "EventStudyConfig",
        "EventStudyResult",
        "InputSchemaError",
        "run_event_study",
        "total_returns",
        # event-time trading
        "SWEEP_WARNING",
        "TRADE_STATUSES",
        "LookaheadError",
        "PricePoint",
        "TradeResult",
        "TradeRule",
        "TradeSweepResult",
        "TradingError",
        "run_trade_sweep",
        "run_trades",
    }
    for name in backtest.__all__:
        assert hasattr(backtest, name), name


def test_trading_surface() -> None:
    import backtest.trading as trading

    assert sorted(trading.__all__) == sorted(set(trading.__all__))
    for name in trading.__all__:
        assert hasattr(trading, name), name
    for name in ("TradeRule", "run_trades", "run_trade_sweep", "TradeResult", "TradeSweepResult"):
        assert getattr(trading, name) is getattr(backtest, name)
    assert trading.TradingError is errors.TradingError
    assert trading.LookaheadError is errors.LookaheadError


def test_error_hierarchy() -> None:
    assert issubclass(errors.TradingError, errors.BacktestError)
    assert issubclass(errors.TradingError, ValueError)
    assert issubclass(errors.LookaheadError, errors.TradingError)
    assert errors.LookaheadError("x", field="entry", event_id="e1").event_id == "e1"
    assert backtest.TradingError is errors.TradingError
    assert issubclass(errors.ConfigError, errors.BacktestError)
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.InputSchemaError, errors.BacktestError)
    assert issubclass(errors.InputSchemaError, ValueError)
    e = errors.InputSchemaError("x", frame="events", column="day0")
    assert (e.frame, e.column, str(e)) == ("events", "day0", "x")


def test_names() -> None:
    assert backtest.TEST_NAMES == (
        "csect_t",
        "patell_z",
        "bmp_t",
        "kp_patell_z",
        "kp_bmp_t",
        "bw1985_t",
        "corrado_rank_z",
        "generalized_sign_z",
        "sign_z",
        "wilcoxon_w",
        "grank_t",
        "skew_adj_t",
        "bw1980_t",
        "lamb_z",
        "cz_sign_z",
        "caar_indep_t",
        "jackknife_t",
        "permutation_p",
        "bootstrap_ci",
        "wilcoxon_ci",
    )
    assert backtest.STATUSES == (
        "ok",
        "no_returns",
        "day0_outside_data",
        "no_benchmark",
        "no_factors",
        "insufficient_estimation",
        "zero_variance",
        "missing_event_returns",
        "incomplete_window",
    )
