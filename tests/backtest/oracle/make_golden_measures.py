"""Write the golden CSVs of abnormal volume and volatility (tests/backtest/golden/seed_volume_*,
seed_volatility_*) from the oracle (measures_reference.py, reference.py).

The configuration is make_golden.py's: AMZN, MSFT, NVDA against SPY, the nine seed
observations, estimation [-260, -11], min_obs 120, clean_estimation = False, windows [0,0]
[-1,1] [0,1] [-2,2] [-5,5] [0,10]; volume: the constant-mean model on ln(1 + volume);
volatility: on the market model's ARs.

Run (needs statsmodels): ``.venv/bin/python tests/backtest/oracle/make_golden_measures.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_golden as mg  # noqa: E402
import measures_reference as mr  # noqa: E402
import reference as ref  # noqa: E402

#: the tests compared for each measure (the reported ones, and the parametric ones that share
#: the oracle's formulas)
TESTS = ("csect_t", "patell_z", "bmp_t", "kp_bmp_t", "bw1985_t", "corrado_rank_z")
DAILY_HEADER = ["event_id", "ticker", "rel_day", "date", "value", "excess", "var", "z", "p"]
WINDOW_HEADER = ["event_id", "ticker", "start", "end", "sum", "mean_value", "var_sum", "z", "p"]


def main() -> None:
    tickers = [*mg.TICKERS, mg.BENCH]
    closes = ref.load_closes(mg.DATA_DIR, tickers)
    divs = ref.load_dividends(mg.DATA_DIR, tickers)
    calendar = [d for d, _ in closes[mg.BENCH]]
    rets = {t: ref.total_returns(closes[t], divs, t) for t in tickers}
    logv = mr.load_log_volumes(mg.DATA_DIR, tickers)

    def fit(model: str, series: dict[str, float], eid: str, tk: str, d0: str) -> ref.Obs:
        return ref.fit_observation(
            eid, tk, d0, model, calendar, series, rets[mg.BENCH], mg.EST, mg.EVENT_PERIOD,
            mg.MIN_OBS,
        )  # fmt: skip

    volume = [fit("constant_mean", logv[tk], e, tk, d) for e, tk, d in mg.OBSERVATIONS]
    market = [fit("market_model", rets[tk], e, tk, d) for e, tk, d in mg.OBSERVATIONS]
    vol = [mr.volatility_observation(o, rets[o.ticker], rets[mg.BENCH]) for o in market]
    for name, obs in (("volume", volume), ("volatility", vol)):
        mg.write(
            f"seed_{name}_daily.csv",
            DAILY_HEADER,
            [r for o in obs for r in mr.daily_rows(o, mg.EVENT_PERIOD)],
        )
        mg.write(
            f"seed_{name}_windows.csv",
            WINDOW_HEADER,
            [r for o in obs for r in mr.window_rows(o, mg.WINDOWS)],
        )
        rows: list[list[object]] = []
        for t1, t2 in mg.WINDOWS:
            n, trs = ref.cross_event_tests(obs, t1, t2, mg.EVENT_PERIOD)
            rows += [[t1, t2, n, tr.test, tr.stat, tr.p] for tr in trs if tr.test in TESTS]
        mg.write(f"seed_{name}_tests.csv", ["start", "end", "n", "test", "stat", "p"], rows)


if __name__ == "__main__":
    main()
