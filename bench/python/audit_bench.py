"""leadkit.audit (the C++ AuditState) against its pandas reference (python/tests/
reference_audit.py) and against leadkit.kpis on the same generated tables.

    python bench/python/audit_bench.py [--leads 200000] [--touches-per-lead 5] [--repeat 2]
        [--no-reference] [--policy abcd] [--memory] [--phases]

Checks that the engine's table equals the reference's (unless --no-reference), then reports
the best of --repeat calls: the reference, the engine on one and on two threads, and kpis()
on one thread, with the ratios the issue sets goals for (audit within 3x of kpis on one
thread; two threads at least 1.6x one).

--memory: the bytes of the state of eight batches and its memory once merged. --phases: one
audit() on the tables bench/dask_bench.py makes (in partitions of about 156,250 leads, as
its ten million in 64), phase by phase, with the peak resident memory of each (VmHWM, reset between phases) in bytes a lead.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import pathlib
import sys

import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent / "python" / "tests")]

import leadkit  # noqa: E402
import leadkit.synth  # noqa: E402
from _timing import best, give_back, peak, reset_peak  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--touches-per-lead", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--policy", default="abcd")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args()
    if args.phases:
        phases(args.leads, int(args.touches_per_lead))
        return

    policy = leadkit.Policy.preset(args.policy)
    data = leadkit.synth.generate(leads=args.leads, dealers=50, seed=3,
                                  grades=tuple(policy.grades),
                                  touches_per_lead=args.touches_per_lead)
    leads, touches = data.leads, data.touches
    as_of = leads["created_at"].max()
    print(f"{len(leads):,} leads, {len(touches):,} touches, policy {args.policy}")

    if args.memory:
        state_memory(leads, touches, policy, as_of)
        return

    def engine(threads: int) -> pd.DataFrame:
        return leadkit.audit(leads, touches, policy, as_of=as_of, threads=threads)

    out = engine(1)
    print(f"{len(out):,} findings")
    times = {}
    if not args.no_reference:
        import reference_audit

        expected = reference_audit.audit(leads, touches, policy, as_of=as_of)
        pd.testing.assert_frame_equal(out, expected, check_exact=True)
        print("engine table == reference table")
        times["pandas reference"] = best(
            lambda: reference_audit.audit(leads, touches, policy, as_of=as_of), args.repeat)
    times["engine, threads=1"] = best(lambda: engine(1), args.repeat)
    times["engine, threads=2"] = best(lambda: engine(2), args.repeat)
    times["kpis(), threads=1"] = best(
        lambda: leadkit.kpis(leads, touches, policy, as_of=as_of), args.repeat)
    for name, seconds in times.items():
        print(f"  {name:<20} {seconds:8.3f} s")
    one, two = times["engine, threads=1"], times["engine, threads=2"]
    print(f"  audit / kpis (1 thread)   {one / times['kpis(), threads=1']:.2f}x")
    print(f"  threads=1 / threads=2     {one / two:.2f}x")
    if "pandas reference" in times:
        print(f"  reference / engine (1 thread) {times['pandas reference'] / one:.1f}x")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def heap_bytes() -> int:
    """Bytes the C heap has handed out and not taken back (glibc's mallinfo2: in use in
    its arenas plus its mmapped blocks), which resident memory does not show once freed
    memory is reused."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return int(info.uordblks + info.hblkhd)


def state_memory(leads: pd.DataFrame, touches: pd.DataFrame, policy, as_of) -> None:
    batch = pd.util.hash_pandas_object(leads["lead_id"], index=False) % 8
    touch_batch = touches["lead_id"].map(dict(zip(leads["lead_id"], batch)))
    parts = []
    for k in range(8):
        state = leadkit.AuditState()
        state.add(leads[batch.to_numpy() == k], touches[touch_batch.to_numpy() == k], policy,
                  as_of=as_of)
        parts.append(state.to_bytes())
        del state
    shipped = sum(len(p) for p in parts)
    gc.collect()
    before = heap_bytes()
    merged = leadkit.AuditState.from_bytes(parts[0])
    for data in parts[1:]:
        merged.merge(leadkit.AuditState.from_bytes(data))
    gc.collect()
    held = heap_bytes() - before
    n = len(leads)
    print(f"  bytes of the eight states   {shipped / n:6.1f} B a lead ({shipped / 1e6:.1f} MB)")
    print(f"  merged state in memory      {held / n:6.1f} B a lead ({held / 1e6:.1f} MB)")
    out = merged.finalize()
    print(f"  {len(out):,} findings")


def phases(n: int, per_lead: int) -> None:
    """audit() on dask_bench's tables, phase by phase, with each phase's peak memory."""
    import time

    import dask_bench

    from leadkit import _core, _frames
    from leadkit.reports import _audit

    marks = []
    start = [time.perf_counter()]

    def mark(name: str) -> None:
        seconds = time.perf_counter() - start[0]
        gc.collect()
        give_back()  # so that each phase's growth is its own
        marks.append((name, seconds, peak(), _rss()))
        reset_peak()
        start[0] = time.perf_counter()

    reset_peak()
    mark("(start)")
    parts = max(1, round(n / 156_250))  # as dask_bench's ten million in 64 partitions
    frames = dask_bench.local_frames(n, parts, per_lead)
    leads, touches = frames["leads"], frames["touches"]
    del frames
    mark("frames")
    policy = leadkit.Policy.preset("abcd")
    as_of = pd.Timestamp("2024-12-31 12:00", tz=dask_bench.ZONE)
    # AuditState.add, step by step.
    impl = policy._impl
    lead_frame, touch_frame = _frames.lead_and_touch_frames(leads, touches)
    fields, compared = _frames.engine_fields(impl, cadence=True, extra=_audit._TEXT_FIELDS)
    lead_specs = _frames.table_specs(lead_frame, fields, table="leads", compared=compared,
                                     ids_as_strings=True, texts=_audit._TEXTS)
    touch_specs = _frames.table_specs(touch_frame, _audit._TOUCH_FIELDS, table="touches",
                                      ids_as_strings=True)
    at = _frames.as_of_seconds(as_of, [*lead_specs, *touch_specs])
    cadence = _frames.cadence_for(impl, None)
    mark("conversion")
    core = _core.AuditState(dask_bench.PHONE_KEY)
    core.add(cadence, len(lead_frame), lead_specs, len(touch_frame), touch_specs, at, None, 1)
    del lead_specs, touch_specs
    mark("add")
    state = _audit.AuditState._of(core)
    buffers = core.finalize()
    mark("finalize")
    del buffers
    mark("(buffers freed)")
    table = state.finalize()
    mark("finalize and table")
    rows = len(table)
    del table, state, core
    mark("(freed)")
    print(f"{n:,} leads, {len(touches):,} touches, {rows:,} findings")
    print("| phase | time | peak resident | grew by | per lead | resident after |")
    print("| --- | --- | --- | --- | --- | --- |")
    before = marks[0][3]
    for name, seconds, high, after in marks[1:]:
        grew = high - before
        print(f"| {name} | {seconds:.1f} s | {high / 2**20:,.0f} MiB | {grew / 2**20:,.0f} MiB "
              f"| {grew / n:,.0f} B | {after / 2**20:,.0f} MiB |")
        before = after


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
