"""Every report moved into the C++ engine: the pandas implementation it replaced (kept as a
test reference under python/tests/reference_*.py) against the engine on one and two threads,
with kpis() for scale, on tables from leadkit.synth. Best of `--repeat` runs, in seconds;
docs/performance.md keeps the table.

    python bench/reports_bench.py                 # 200,000 leads
    python bench/reports_bench.py --leads 1000000
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "python" / "tests")]

import leadkit  # noqa: E402
import reference_audit  # noqa: E402
import reference_breakdowns  # noqa: E402
import reference_effectiveness  # noqa: E402
import reference_traffic  # noqa: E402
from _timing import best  # noqa: E402
from leadkit.synth import generate  # noqa: E402

ZONE = "Asia/Shanghai"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # coverage warnings of far-future dates do not matter here
    data = generate(leads=args.leads, dealers=40, seed=1)
    policy = leadkit.Policy.preset("abcd")
    leads, touches, visits = data.leads, data.touches, data.visits
    as_of = touches["at"].max()
    reports = {
        "showroom": (
            lambda: reference_traffic.showroom(visits, leads=leads, as_of=as_of, tz=ZONE),
            lambda t: leadkit.showroom(visits, leads=leads, as_of=as_of, tz=ZONE, threads=t)),
        "activity": (
            lambda: reference_traffic.activity(touches, leads=leads, as_of=as_of, tz=ZONE),
            lambda t: leadkit.activity(touches, leads=leads, as_of=as_of, tz=ZONE, threads=t)),
        "effectiveness": (
            lambda: reference_effectiveness.effectiveness(leads, touches, as_of=as_of),
            lambda t: leadkit.effectiveness(leads, touches, as_of=as_of, threads=t)),
        "lost_analysis": (
            lambda: reference_breakdowns.lost_analysis(leads, policy=policy, as_of=as_of),
            lambda t: leadkit.lost_analysis(leads, policy=policy, as_of=as_of, threads=t)),
        "profile": (
            lambda: reference_breakdowns.profile(leads, by=["age_band", "gender"]),
            lambda t: leadkit.profile(leads, by=["age_band", "gender"], threads=t)),
        "audit": (
            lambda: reference_audit.audit(leads, touches, policy, as_of=as_of),
            lambda t: leadkit.audit(leads, touches, policy, as_of=as_of, threads=t)),
    }
    kpis = best(lambda: leadkit.kpis(leads, touches, policy, as_of=as_of), args.repeat)
    print(f"{args.leads:,} leads, {len(touches):,} touches, {len(visits):,} visits; best of "
          f"{args.repeat}, seconds; kpis() for scale: {kpis:.3f}")
    print(f"| report | pandas reference | engine, 1 thread | engine, 2 threads | "
          f"1 thread / kpis() |")
    print("| --- | --- | --- | --- | --- |")
    for name, (pandas_fn, engine_fn) in reports.items():
        slow = best(pandas_fn, args.repeat)
        one = best(lambda: engine_fn(1), args.repeat)
        two = best(lambda: engine_fn(2), args.repeat)
        print(f"| {name} | {slow:.3f} | {one:.3f} | {two:.3f} | {one / kpis:.1f}x |")


if __name__ == "__main__":
    main()
