"""Write the golden CSVs in tests/backtest/golden/ from the oracle (reference.py).

Configuration (fixed; the golden files depend on it):

* data: the folder in REACTION_DATA_DIR, else ../shared/data beside the repository
  (``storage.datadir.shared_data_dir``)
* panel: AMZN, MSFT, NVDA; benchmark SPY; calendar = the dates of SPY's rows
* returns: simple total returns (close_t + D_t) / close_{t-1} - 1 (adj_close is empty)
* estimation window [-260, -11], min_obs 120
* clean_estimation = False: no estimation day is removed around other catalog events
* windows [0,0] [-1,1] [0,1] [-2,2] [-5,5] [0,10]; event period [-5, 10]
* s² convention "L-k"
* FF3: ff_factors_daily.csv / 100 (percent -> fractions), excess returns over rf

Run (needs statsmodels, a dev dependency):

    .venv/bin/python tests/backtest/oracle/make_golden.py
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import anchors  # noqa: E402
import reference as ref  # noqa: E402

from storage.datadir import shared_data_dir  # noqa: E402

DATA_DIR = shared_data_dir()
OUT = HERE.parent / "golden"

TICKERS = ["AMZN", "MSFT", "NVDA"]
BENCH = "SPY"
EST = (-260, -11)
MIN_OBS = 120
WINDOWS = [(0, 0), (-1, 1), (0, 1), (-2, 2), (-5, 5), (0, 10)]
EVENT_PERIOD = (min(w[0] for w in WINDOWS), max(w[1] for w in WINDOWS))
AR_DAYS = (-5, 10)

OBSERVATIONS = [
    ("amzn-layoffs-14k", "AMZN", "2025-10-28"),
    ("msft-openai-recap", "MSFT", "2025-10-28"),
    ("msft-fy26q1", "MSFT", "2025-10-30"),
    ("amzn-q3", "AMZN", "2025-10-31"),
    ("openai-aws", "AMZN", "2025-11-03"),
    ("openai-aws", "NVDA", "2025-11-03"),
    ("openai-aws", "MSFT", "2025-11-03"),
    ("nvda-q3fy26", "NVDA", "2025-11-20"),
    ("nvda-openai-loi", "NVDA", "2025-09-22"),
]


def fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):  # also numpy float64, written as a plain Python float
        if not math.isfinite(v):
            raise ValueError("non-finite value in golden output")
        return repr(float(v))
    return str(v)


def write(name: str, header: list[str], rows: list[list[object]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / name).open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([fmt(v) for v in r])
    print(f"wrote {OUT / name} ({len(rows)} rows)")


CAR_HEADER = [
    "event_id",
    "ticker",
    "start",
    "end",
    "car",
    "var_car",
    "car_t",
    "car_p",
    "bhar",
    "bhar_model",
]


def car_rows(obs: list[ref.Obs]) -> list[list[object]]:
    rows: list[list[object]] = []
    for o in obs:
        for t1, t2 in WINDOWS:
            c = ref.car(o, t1, t2)
            assert c is not None
            v = ref.var_car(o, t1, t2)
            t = c / math.sqrt(v)
            b, bm = ref.bhar(o, t1, t2)
            rows.append([o.event_id, o.ticker, t1, t2, c, v, t, ref.t_two_sided(t, o.d), b, bm])
    return rows


def test_rows(obs: list[ref.Obs]) -> list[list[object]]:
    rows: list[list[object]] = []
    for t1, t2 in WINDOWS:
        n, trs = ref.cross_event_tests(obs, t1, t2, EVENT_PERIOD)
        for tr in trs:
            rows.append([t1, t2, n, tr.test, tr.stat, tr.p])
    return rows


def anchor_rows(obs: list[ref.Obs], with_conventions: bool) -> list[list[object]]:
    rows: list[list[object]] = []
    for t1, t2 in WINDOWS:
        n, trs = anchors.anchor_tests(obs, t1, t2, EVENT_PERIOD)
        if with_conventions:
            trs += anchors.convention_rows(obs, t1, t2)
        for tr in trs:
            rows.append([t1, t2, n, tr.conventions, tr.test, tr.stat, tr.p, tr.ci_low, tr.ci_high])
    return rows


ANCHOR_HEADER = ["start", "end", "n", "conventions", "test", "stat", "p", "ci_low", "ci_high"]


def main() -> None:
    closes = ref.load_closes(DATA_DIR, [*TICKERS, BENCH])
    divs = ref.load_dividends(DATA_DIR, [*TICKERS, BENCH])
    calendar = [d for d, _ in closes[BENCH]]
    rets = {t: ref.total_returns(closes[t], divs, t) for t in [*TICKERS, BENCH]}
    ff = ref.load_ff(DATA_DIR)

    def fit(model: str, eid: str, tk: str, d0: str) -> ref.Obs:
        return ref.fit_observation(
            eid,
            tk,
            d0,
            model,
            calendar,
            rets[tk],
            rets[BENCH],
            EST,
            EVENT_PERIOD,
            MIN_OBS,
            ff=ff if model == "ff3" else None,
        )

    mm = [fit("market_model", *ob) for ob in OBSERVATIONS]

    write(
        "seed_market_model_events.csv",
        ["event_id", "ticker", "day0", "alpha", "beta", "r2", "sigma", "n_est"],
        [
            [
                o.event_id,
                o.ticker,
                o.day0,
                o.params["alpha"],
                o.params["beta"],
                o.r2,
                math.sqrt(o.s2),
                o.L,
            ]
            for o in mm
        ],
    )
    ar_rows: list[list[object]] = []
    for o in mm:
        for rel in range(AR_DAYS[0], AR_DAYS[1] + 1):
            v = ref.var_ar(o, rel)
            ar_rows.append(
                [
                    o.event_id,
                    o.ticker,
                    rel,
                    o.date_of[rel],
                    o.ret[rel],
                    o.ar[rel],
                    v,
                    o.ar[rel] / math.sqrt(v),
                ]
            )
    write(
        "seed_market_model_ar.csv",
        ["event_id", "ticker", "rel_day", "date", "ret", "ar", "var_ar", "t_ar"],
        ar_rows,
    )
    write("seed_market_model_car.csv", CAR_HEADER, car_rows(mm))
    tests_header = ["start", "end", "n", "test", "stat", "p"]
    write("seed_market_model_tests.csv", tests_header, test_rows(mm))
    aws = [o for o in mm if o.event_id == "openai-aws"]
    write("seed_market_model_tests_openai_aws.csv", tests_header, test_rows(aws))
    write("seed_market_model_anchor_tests.csv", ANCHOR_HEADER, anchor_rows(mm, True))
    write("seed_market_model_anchor_tests_openai_aws.csv", ANCHOR_HEADER, anchor_rows(aws, False))

    cm = [fit("constant_mean", *ob) for ob in OBSERVATIONS]
    write("seed_constant_mean_car.csv", CAR_HEADER, car_rows(cm))
    ma = [fit("market_adjusted", *ob) for ob in OBSERVATIONS]
    write("seed_market_adjusted_car.csv", CAR_HEADER, car_rows(ma))

    f3 = [fit("ff3", *ob) for ob in OBSERVATIONS if ob[0] == "openai-aws"]
    write(
        "seed_ff3_events.csv",
        ["event_id", "ticker", "day0", "alpha", "b_mkt", "b_smb", "b_hml", "r2", "sigma", "n_est"],
        [
            [
                o.event_id,
                o.ticker,
                o.day0,
                o.params["alpha"],
                o.params["b_mkt"],
                o.params["b_smb"],
                o.params["b_hml"],
                o.r2,
                math.sqrt(o.s2),
                o.L,
            ]
            for o in f3
        ],
    )
    write("seed_ff3_car.csv", CAR_HEADER, car_rows(f3))


if __name__ == "__main__":
    main()
