"""Every report moved into the C++ engine: the pandas implementation it replaced (kept as a
test reference under python/tests/reference_*.py) against the engine on one and two threads,
with kpis() for scale, on tables from leadkit.synth. Best of `--repeat` runs, in seconds;
docs/performance.md keeps the table.

    python bench/reports_bench.py                 # 200,000 leads
    python bench/reports_bench.py --leads 1000000
    python bench/reports_bench.py --only funnel monthly
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
import reference_pipeline  # noqa: E402
import reference_traffic  # noqa: E402
from _timing import best  # noqa: E402
from leadkit.synth import generate  # noqa: E402

ZONE = "Asia/Shanghai"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="+", metavar="REPORT", help="these reports only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # coverage warnings of far-future dates do not matter here
    data = generate(leads=args.leads, dealers=40, seed=1)
    policy = leadkit.Policy.preset("abcd")
    leads, touches, visits = data.leads, data.touches, data.visits
    as_of = touches["at"].max()
    at = leads["created_at"].quantile(0.5)
    months = sorted({str(p) for p in leads["created_at"].dt.tz_convert(ZONE)
                     .dt.tz_localize(None).dt.to_period("M")})
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
        "pipeline": (
            lambda: reference_pipeline.pipeline(leads, touches, policy, at=at, by="dealer_id"),
            lambda t: leadkit.pipeline(leads, touches, policy, at=at, by="dealer_id",
                                       threads=t)),
        "grade_migration": (
            lambda: reference_pipeline.grade_migration(leads, touches, policy, start=at,
                                                       end=as_of),
            lambda t: leadkit.grade_migration(leads, touches, policy, start=at, end=as_of,
                                              threads=t)),
        "monthly": (
            lambda: reference_pipeline.monthly(leads, touches, policy, months=months),
            lambda t: leadkit.monthly(leads, touches, policy, months=months, threads=t)),
        "funnel": (
            lambda: reference_pipeline.funnel(leads, touches, policy, as_of=as_of,
                                              by="channel"),
            lambda t: leadkit.funnel(leads, touches, policy, as_of=as_of, by="channel",
                                     threads=t)),
        "touches_per_won_lead": (
            lambda: reference_pipeline.touches_per_won_lead(leads, touches, as_of=as_of,
                                                            by="dealer_id"),
            lambda t: leadkit.touches_per_won_lead(leads, touches, as_of=as_of, by="dealer_id",
                                                   threads=t)),
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
        if args.only and name not in args.only:
            continue
        slow = best(pandas_fn, args.repeat)
        one = best(lambda: engine_fn(1), args.repeat)
        two = best(lambda: engine_fn(2), args.repeat)
        print(f"| {name} | {slow:.3f} | {one:.3f} | {two:.3f} | {one / kpis:.1f}x |")


if __name__ == "__main__":
    main()
