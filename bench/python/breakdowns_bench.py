"""Lost-sales analysis, customer profile and scorecard: the pandas reference they replaced
(python/tests/reference_breakdowns.py) against the engine on one and two threads, on leads from
leadkit.synth. Best of `--repeat` runs, in seconds:

    python bench/python/breakdowns_bench.py               # 200,000 leads
    python bench/python/breakdowns_bench.py --leads 1000000
"""

from __future__ import annotations

import argparse
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1] / "python" / "tests")]

import leadkit  # noqa: E402
import reference_breakdowns as reference  # noqa: E402
from _timing import best  # noqa: E402
from leadkit.synth import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = generate(leads=args.leads, dealers=40, seed=1)
    policy = leadkit.Policy.preset("abcd")
    kpis = leadkit.kpis(data.leads, data.touches, policy, by="consultant_id")
    weights = {"conversion_rate": 0.5, "timeliness_rate": 0.3, "satisfaction_rate": 0.2}
    reports = {
        "lost_analysis by month": (
            lambda: reference.lost_analysis(data.leads, policy=policy),
            lambda t: leadkit.lost_analysis(data.leads, policy=policy, threads=t)),
        "profile by age band, gender": (
            lambda: reference.profile(data.leads, by=["age_band", "gender"]),
            lambda t: leadkit.profile(data.leads, by=["age_band", "gender"], threads=t)),
        f"scorecard ({len(kpis)} consultants)": (
            lambda: reference.scorecard(kpis, weights),
            lambda t: leadkit.scorecard(kpis, weights)),
    }
    print(f"{args.leads:,} leads; best of {args.repeat}, seconds; for scale, kpis() by "
          f"consultant: {best(lambda: leadkit.kpis(data.leads, data.touches, policy, by='consultant_id'), args.repeat):.3f}")
    print(f"{'report':34} {'pandas':>8} {'1 thread':>9} {'2 threads':>10}")
    for name, (pandas_fn, engine_fn) in reports.items():
        slow = best(pandas_fn, args.repeat)
        one = best(lambda: engine_fn(1), args.repeat)
        two = best(lambda: engine_fn(2), args.repeat)
        print(f"{name:34} {slow:8.3f} {one:9.3f} {two:10.3f}")


if __name__ == "__main__":
    main()
