"""classify, kpis (also scoped), KpiState.add, showroom, activity, effectiveness, pipeline,
audit, lost_analysis, profile, route, schedule, next_actions and agenda of pyarrow tables: the
Arrow stream path (the C++ engine reads the Arrow C stream itself, docs/data.md "Arrow
streams") against the path through pandas (the tables wrapped as pandas frames of Arrow
arrays, then turned into column buffers), on tables from leadkit.synth.

    python bench/python/arrow_stream_bench.py [--leads 1000000] [--repeat 3]

Checks that both paths give the same tables (the stream call building no pandas frame), then
prints the best of --repeat calls of each, the table's conversion included (as a caller with a
pyarrow table sees it).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import pandas as pd
import pyarrow as pa

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bench")]

import leadkit  # noqa: E402
from _timing import best  # noqa: E402
from leadkit import _frames  # noqa: E402
from leadkit.synth import generate  # noqa: E402


def _decoded(table: pa.Table) -> pa.Table:
    """`table` with its dictionary-encoded columns as their values."""
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(index, field.name,
                                     table[field.name].cast(field.type.value_type))
    return table


def _without_pandas(call):
    """call(), failing if leadkit wraps an Arrow table as a pandas frame (the stream path
    builds none)."""

    def refuse(*args, **kwargs):
        raise AssertionError("the stream path built a pandas frame")

    kept = _frames.arrow_frame
    _frames.arrow_frame = refuse
    try:
        return call()
    finally:
        _frames.arrow_frame = kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = generate(leads=args.leads, dealers=50, seed=3)
    policy = leadkit.Policy.preset("abcd")
    # Strings as plain Arrow strings, as a Parquet or CSV file gives them: a dictionary-encoded
    # group key (synth's categoricals) takes the pandas path (docs/data.md, "Arrow streams").
    arrow = {name: _decoded(pa.Table.from_pandas(frame, preserve_index=False))
             for name, frame in (("leads", data.leads), ("touches", data.touches),
                                 ("surveys", data.surveys), ("visits", data.visits))}
    as_of = data.touches["at"].max()
    print(f"{arrow['leads'].num_rows} leads, {arrow['touches'].num_rows} touches, "
          f"{arrow['surveys'].num_rows} surveys, {arrow['visits'].num_rows} visits "
          "(pyarrow tables)")

    def via_pandas(name):
        # The path every Arrow table took before: wrapped as a pandas frame of Arrow arrays.
        return _frames.arrow_frame(arrow[name])

    day = as_of.tz_convert(policy.time_zone).date()
    dealer = leadkit.Scope.dealer(str(data.dealers["dealer_id"].iloc[0]))

    def kpi_state(tables):
        state = leadkit.KpiState(by=["channel"])
        return state.add(tables("leads"), tables("touches"), policy, surveys=tables("surveys"),
                         as_of=as_of).finalize()

    def both(call):
        """The call on the pyarrow tables, and on them wrapped as pandas frames."""
        return (lambda: call(lambda name: arrow[name]), lambda: call(via_pandas))

    calls = {
        "classify": both(lambda t: leadkit.classify(t("leads"), policy)),
        "kpis by channel, month": both(lambda t: leadkit.kpis(
            t("leads"), t("touches"), policy, surveys=t("surveys"), by=["channel", "month"],
            as_of=as_of)),
        "kpis of one dealer": both(lambda t: leadkit.kpis(
            t("leads"), t("touches"), policy, surveys=t("surveys"), by="month", scope=dealer,
            as_of=as_of)),
        "KpiState.add by channel": both(kpi_state),
        "lost_analysis by month": both(lambda t: leadkit.lost_analysis(
            t("leads"), by=["month", "channel"], policy=policy, as_of=as_of)),
        "profile by age band": both(lambda t: leadkit.profile(
            t("leads"), by=["age_band", "gender"], as_of=as_of)),
        "showroom by dealer, hour": both(lambda t: leadkit.showroom(
            t("visits"), leads=t("leads"), by=["dealer_id", "hour"], as_of=as_of)),
        "activity by consultant": both(lambda t: leadkit.activity(
            t("touches"), leads=t("leads"), by=["consultant_id", "month"], as_of=as_of)),
        "effectiveness by mix": both(lambda t: leadkit.effectiveness(
            t("leads"), t("touches"), as_of=as_of)),
        "pipeline by channel": both(lambda t: leadkit.pipeline(
            t("leads"), t("touches"), policy, at=as_of, by="channel")),
        "audit": both(lambda t: leadkit.audit(t("leads"), t("touches"), policy, as_of=as_of)),
        "schedule": both(lambda t: leadkit.schedule(t("leads"), t("touches"), policy,
                                                    as_of=as_of)),
        "next_actions": both(lambda t: leadkit.next_actions(t("leads"), t("touches"), policy,
                                                            as_of=as_of)),
        "route": both(lambda t: leadkit.route(t("leads"), data.dealers, data.consultants,
                                              policy)),
        "agenda of a day": both(lambda t: leadkit.agenda(t("leads"), t("touches"), policy,
                                                         day=day)),
    }
    print(f"{'call':24} {'via pandas':>11} {'stream':>9} {'speed-up':>9}")
    readers = _frames.arrow_readers(arrow)
    fields, _ = _frames.engine_fields(policy._impl, cadence=True, extra=["channel"])
    assert _frames.stream_ready(readers, {"leads": fields}, required={}, keys=["channel"])
    for name, (stream, pandas) in calls.items():
        pd.testing.assert_frame_equal(_without_pandas(stream), pandas(), check_exact=True)
        old = best(pandas, args.repeat)
        new = best(stream, args.repeat)
        print(f"{name:24} {old:10.3f}s {new:8.3f}s {old / new:8.1f}x")


if __name__ == "__main__":
    main()
