"""leadkit.backtest of two policies against one leadkit.kpis call per policy, on the generated
leads, touches and surveys of kpi_bench.py (abcd's grades recorded; three_level proposed with
a grade map), plus 400 consultants.

    python bench/backtest_bench.py [--leads 1000000] [--touches-per-lead 5] [--repeat 2]
                                   [--by channel]

Reports the best time of each and their ratio (docs/performance.md, "The policy backtest").
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import leadkit
from _timing import best
from kpi_bench import make

MAP = {"A": "high", "B": "medium", "C": "low", "D": "low"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--touches-per-lead", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--by", default=None, help="a group column of both calls")
    args = parser.parse_args()
    leads, touches, surveys = make(args.leads, args.touches_per_lead)
    rng = np.random.default_rng(9)
    leads["consultant_id"] = pd.Categorical(
        np.char.add("C", rng.integers(0, 400, len(leads)).astype(str)))
    as_of = pd.Timestamp("2024-12-31 10:00", tz="Asia/Shanghai")
    current = leadkit.Policy.preset("abcd")
    proposed = leadkit.Policy.preset("three_level")
    mapped = touches.assign(grade_after=touches["grade_after"].astype(object).map(MAP))

    def kpis_each() -> None:
        leadkit.kpis(leads, touches, current, surveys=surveys, as_of=as_of, by=args.by)
        leadkit.kpis(leads.drop(columns=["grade"], errors="ignore"), mapped, proposed,
                     surveys=surveys, as_of=as_of, by=args.by)

    def backtest() -> None:
        leadkit.backtest(leads, touches, {"current": current, "proposed": proposed},
                         grade_map={"proposed": MAP}, surveys=surveys, as_of=as_of, by=args.by)

    t_kpis = best(kpis_each, args.repeat)
    t_backtest = best(backtest, args.repeat)
    print(f"{args.leads:,} leads, {len(touches):,} touches, by {args.by}")
    print(f"kpis, once per policy: {t_kpis:.2f} s")
    print(f"backtest, two policies: {t_backtest:.2f} s")
    print(f"backtest / kpis: {t_backtest / t_kpis:.2f}x")


if __name__ == "__main__":
    main()
