"""leadkit.effectiveness (the C++ engine) against the pandas implementation it replaced
(python/tests/reference_effectiveness.py), with leadkit.kpis on the same data as the yardstick,
on ``leadkit.synth.generate`` leads and touches.

    python bench/python/effectiveness_bench.py [--leads 200000] [--touches-per-lead 5]
        [--repeat 3] [--no-pandas]

Times are the best of --repeat calls, each from the DataFrames to the finished table; the two
views of effectiveness at threads=1 and threads=2, the pandas reference at one thread, kpis at
threads=1 and 2 (abcd preset, not grouped). Every engine table is checked equal to the
reference's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import pandas as pd

import leadkit
import leadkit.synth

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "tests"))
import reference_effectiveness as reference  # noqa: E402


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--touches-per-lead", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pandas", action="store_true")
    args = parser.parse_args()

    data = leadkit.synth.generate(leads=args.leads, seed=7,
                                  touches_per_lead=args.touches_per_lead)
    leads, touches = data.leads, data.touches
    as_of = leads["created_at"].max()
    print(f"{len(leads):,} leads, {len(touches):,} touches; best of {args.repeat}")
    policy = leadkit.Policy.preset("abcd")
    for threads in (1, 2):
        seconds, _ = best(lambda: leadkit.kpis(leads, touches, policy, as_of=as_of,
                                               threads=threads), args.repeat)
        print(f"kpis                       threads={threads}: {seconds:8.3f} s")
    for view in ("method_mix", "interval"):
        expected = None
        if not args.no_pandas:
            seconds, expected = best(
                lambda: reference.effectiveness(leads, touches, view=view, as_of=as_of),
                args.repeat)
            print(f"effectiveness {view:<10}   pandas: {seconds:8.3f} s")
        for threads in (1, 2):
            seconds, table = best(lambda: leadkit.effectiveness(
                leads, touches, view=view, as_of=as_of, threads=threads), args.repeat)
            print(f"effectiveness {view:<10} threads={threads}: {seconds:8.3f} s")
            if expected is not None:
                pd.testing.assert_frame_equal(table, expected, check_exact=True)


if __name__ == "__main__":
    main()
