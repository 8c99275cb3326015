"""leadkit.showroom and leadkit.activity (the C++ engine) against the pandas implementation they
replaced (python/tests/reference_traffic.py), on tables from leadkit.synth.

    python bench/python/traffic_bench.py [--leads 200000] [--repeat 3]

Checks that both give the same tables, then prints the best of --repeat calls of each: the
pandas reference, the engine on one thread and on two (conversion of the pandas columns
included, as a caller sees it).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "python" / "tests")]

import leadkit  # noqa: E402
import reference_traffic as reference  # noqa: E402
from _timing import best  # noqa: E402
from leadkit.synth import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = generate(leads=args.leads, dealers=50, seed=3)
    print(f"{len(data.leads)} leads, {len(data.touches)} touches, {len(data.visits)} visits")
    calls = {
        "showroom by dealer_id, hour": (
            lambda impl, **kw: impl.showroom(data.visits, leads=data.leads,
                                             by=["dealer_id", "hour"], **kw)),
        "activity by consultant_id, day": (
            lambda impl, **kw: impl.activity(data.touches, leads=data.leads, **kw)),
    }
    print(f"{'report':34} {'pandas':>9} {'1 thread':>9} {'2 threads':>9} {'speed-up':>9} "
          f"{'2 vs 1':>7}")
    for name, call in calls.items():
        pd.testing.assert_frame_equal(call(leadkit, threads=2), call(reference))
        pandas = best(lambda: call(reference), args.repeat)
        one = best(lambda: call(leadkit, threads=1), args.repeat)
        two = best(lambda: call(leadkit, threads=2), args.repeat)
        print(f"{name:34} {pandas:8.3f}s {one:8.3f}s {two:8.3f}s {pandas / one:8.1f}x "
              f"{one / two:6.2f}x")


if __name__ == "__main__":
    main()
