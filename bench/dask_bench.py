"""Every report of leadkit.dask on a local cluster of two worker processes against the
single-process pandas function, on the same generated data.

    python bench/dask_bench.py [--leads 10000000] [--touches-per-lead 1] [--partitions 16]
                               [--reports kpis,showroom,...] [--fingerprints FILE]
                               [--cluster-only | --single-only]

Each partition's leads, touches and visits are generated on the workers (dd.from_map), so the
data never passes through the client, and kept there (persist; --no-persist generates them in
every report's run instead); the single-process run computes the same frames into pandas.
Prints per report both times, that the tables are equal (by a fingerprint of each: its
columns, dtypes, length and a hash of every row), the bytes of state shipped (in all, and the
largest partial state), the rows of the table, the single process's peak resident memory
during the report (VmHWM, with the frames) and the load average after it.

A run too big to keep one process's frames beside the cluster runs in two processes:
`--cluster-only --fingerprints FILE` writes the cluster's times, states and fingerprints,
then `--single-only --fingerprints FILE` (the same --leads, --touches-per-lead and
--partitions) runs one process alone and compares its tables with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster, wait

import leadkit
import leadkit.dask as ld
from _timing import give_back, peak, reset_peak

ZONE = "Asia/Shanghai"
DEALERS = [f"D{d:03d}" for d in range(200)]
MODELS = ["C200", "GLC", "EQE", "GLA", "S450"]
REASONS = ["price", "bought_elsewhere", "no_stock", "lost_contact"]


def part_leads(index: int, per_part: int) -> pd.DataFrame:
    rng = np.random.default_rng(1000 + index)
    created = pd.Timestamp("2024-01-02", tz=ZONE) + pd.to_timedelta(
        rng.integers(0, 300 * 86400, per_part), unit="s")
    status = rng.choice(["open", "won", "lost", "invalid"], per_part, p=[0.6, 0.15, 0.2, 0.05])
    closed = created + pd.to_timedelta(rng.integers(86400, 60 * 86400, per_part), unit="s")
    dealer = rng.choice(DEALERS, per_part)
    return pd.DataFrame({
        "lead_id": pd.Series(np.char.add(f"P{index}-", np.arange(per_part).astype(str)),
                             dtype="str"),
        "created_at": created,
        "entered_at": created + pd.to_timedelta(rng.integers(0, 2 * 86400, per_part), unit="s"),
        "channel": rng.choice(["website", "showroom", "phone", "social"], per_part),
        "dealer_id": dealer,
        "consultant_id": np.char.add(dealer, np.char.add("-C", rng.integers(
            0, 8, per_part).astype(str))),
        "model": rng.choice(MODELS, per_part),
        "name": rng.choice(["王伟", "李娜", None], per_part),
        # Numbers from a small range: some leads share one, across partitions too.
        "phone": np.char.add("138", rng.integers(10**7, 10**7 + 10**6, per_part).astype(str)),
        "purchase_within_days": rng.integers(0, 120, per_part).astype(float),
        "age": rng.integers(18, 70, per_part),
        "gender": rng.choice(["male", "female"], per_part),
        "status": status,
        "won_at": closed.where(status == "won"),
        "lost_at": closed.where(status == "lost"),
        "lost_reason": pd.Series(rng.choice(REASONS, per_part), dtype="str").where(
            status == "lost"),
    })


def part_touches(index: int, per_part: int, per_lead: int) -> pd.DataFrame:
    leads = part_leads(index, per_part)
    rng = np.random.default_rng(2000 + index)
    owner = rng.integers(0, per_part, per_part * per_lead)
    created = leads["created_at"].iloc[owner].reset_index(drop=True)
    return pd.DataFrame({
        "lead_id": leads["lead_id"].to_numpy()[owner],
        "at": created + pd.to_timedelta(rng.integers(0, 60 * 86400, len(owner)), unit="s"),
        "method": rng.choice(["phone", "wechat", "visit"], len(owner)),
        "consultant_id": leads["consultant_id"].to_numpy()[owner],
    })


def part_visits(index: int, per_part: int) -> pd.DataFrame:
    """A visit for every fourth lead's worth of traffic; a third leave no contact details."""
    leads = part_leads(index, per_part)
    rng = np.random.default_rng(3000 + index)
    n = max(1, per_part // 4)
    owner = rng.integers(0, per_part, n)
    arrived = leads["created_at"].iloc[owner].reset_index(drop=True) + pd.to_timedelta(
        rng.integers(0, 30 * 86400, n), unit="s")
    lead_ids = pd.Series(leads["lead_id"].to_numpy()[owner], dtype="str").where(
        rng.random(n) > 1 / 3)
    return pd.DataFrame({
        "visit_id": pd.Series(np.char.add(f"V{index}-", np.arange(n).astype(str)), dtype="str"),
        "dealer_id": leads["dealer_id"].to_numpy()[owner],
        "arrived_at": arrived,
        "left_at": arrived + pd.to_timedelta(rng.integers(300, 7200, n), unit="s"),
        "lead_id": lead_ids,
        "effective": rng.random(n) > 0.3,
        "model": rng.choice(MODELS, n),
    })


def local_frames(leads: int, partitions: int, per_lead: int,
                 names=("leads", "touches")) -> dict[str, pd.DataFrame]:
    """The tables `names` of the run (leads, touches, visits) made in this process, as
    pandas frames with Dask's dtypes."""
    per_part = leads // partitions
    parts = range(partitions)
    made = {"leads": lambda: dd.from_map(part_leads, parts, per_part=per_part),
            "touches": lambda: dd.from_map(part_touches, parts, per_part=per_part,
                                           per_lead=per_lead),
            "visits": lambda: dd.from_map(part_visits, parts, per_part=per_part)}
    # Without the index of repeated row numbers the partitions bring (8 bytes a row): no
    # report reads it.
    out = {name: made[name]().compute(scheduler="threads").reset_index(drop=True)
           for name in names}
    give_back()  # what making them freed
    return out


#: The audit's phone key (16 bytes; a real one is secret, e.g. secrets.token_bytes(16)).
PHONE_KEY = bytes(range(16))


def backtested(policy):
    """The policies the backtest replays: `policy` beside three_level (its grade changes left
    out, as the result says)."""
    return {"current": policy, "proposed": leadkit.Policy.preset("three_level")}


def calls(policy, as_of):
    """Each report called through a module (leadkit or leadkit.dask) on tables `t`."""
    return {
        "kpis": lambda m, t: m.kpis(t["leads"], t["touches"], policy, by="dealer_id",
                                    as_of=as_of),
        "showroom": lambda m, t: m.showroom(t["visits"], leads=t["leads"], by="dealer_id",
                                            as_of=as_of),
        "activity": lambda m, t: m.activity(t["touches"], leads=t["leads"], as_of=as_of),
        "effectiveness": lambda m, t: m.effectiveness(t["leads"], t["touches"], as_of=as_of),
        "lost_analysis": lambda m, t: m.lost_analysis(t["leads"], by=["month", "dealer_id"],
                                                      policy=policy, as_of=as_of),
        "profile": lambda m, t: m.profile(t["leads"], by=["age_band", "gender"], as_of=as_of),
        "audit": lambda m, t: m.audit(t["leads"], t["touches"], policy, as_of=as_of,
                                      phone_key=PHONE_KEY),
        "pipeline": lambda m, t: m.pipeline(t["leads"], t["touches"], policy, at=as_of,
                                            by="dealer_id"),
        "grade_migration": lambda m, t: m.grade_migration(
            t["leads"], t["touches"], policy, start=as_of - pd.Timedelta(days=90), end=as_of),
        "monthly": lambda m, t: m.monthly(t["leads"], t["touches"], policy,
                                          months=pd.period_range("2024-01", "2024-12", freq="M")),
        "funnel": lambda m, t: m.funnel(t["leads"], t["touches"], policy, as_of=as_of,
                                        by="dealer_id"),
        "touches_per_won_lead": lambda m, t: m.touches_per_won_lead(
            t["leads"], t["touches"], as_of=as_of, by="dealer_id"),
        # The summary, one row per policy, stands for the Backtest.
        "backtest": lambda m, t: m.backtest(t["leads"], t["touches"], backtested(policy),
                                            as_of=as_of).summary,
    }


def state_args(report, policy, as_of, t):
    """The arguments of ld.report_states for `report` (as `calls` gives them)."""
    return {
        "kpis": ((t["leads"], t["touches"], policy), {"by": "dealer_id", "as_of": as_of}),
        "showroom": ((t.get("visits"),), {"leads": t["leads"], "by": "dealer_id", "as_of": as_of}),
        "activity": ((t["touches"],), {"leads": t["leads"], "as_of": as_of}),
        "effectiveness": ((t["leads"], t["touches"]), {"as_of": as_of}),
        "lost_analysis": ((t["leads"],), {"by": ["month", "dealer_id"], "policy": policy,
                                          "as_of": as_of}),
        "profile": ((t["leads"],), {"by": ["age_band", "gender"], "as_of": as_of}),
        "audit": ((t["leads"], t["touches"], policy), {"as_of": as_of,
                                                       "phone_key": PHONE_KEY}),
        "pipeline": ((t["leads"], t["touches"], policy), {"at": as_of, "by": "dealer_id"}),
        "grade_migration": ((t["leads"], t["touches"], policy),
                            {"start": as_of - pd.Timedelta(days=90), "end": as_of}),
        "monthly": ((t["leads"], t["touches"], policy),
                    {"months": pd.period_range("2024-01", "2024-12", freq="M")}),
        "funnel": ((t["leads"], t["touches"], policy), {"as_of": as_of, "by": "dealer_id"}),
        "touches_per_won_lead": ((t["leads"], t["touches"]),
                                 {"as_of": as_of, "by": "dealer_id"}),
        "backtest": ((t["leads"], t["touches"], backtested(policy)), {"as_of": as_of}),
    }[report]


def fingerprint(table: pd.DataFrame, step: int = 1 << 20) -> tuple:
    """What two equal tables share and two different ones almost surely do not: the column
    names and dtypes, the length, and a 64-bit hash of every row with its index, summed
    and also weighted by position (so that rows in another order differ), modulo 2**64.
    Hashed `step` rows at a time: hashing a column of Arrow strings makes Python strings of
    it, which for tens of millions of rows would take more memory than the table."""
    total = weighted = 0
    for start in range(0, len(table), step):
        rows = pd.util.hash_pandas_object(table.iloc[start:start + step], index=True).to_numpy()
        weights = np.arange(start + 1, start + len(rows) + 1, dtype=np.uint64)
        total = (total + int(rows.sum())) % 2**64
        weighted = (weighted + int((rows * weights).sum())) % 2**64
    return (list(table.columns), [str(t) for t in table.dtypes], len(table), total, weighted)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000_000)
    parser.add_argument("--touches-per-lead", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--worker-memory", default="10GiB",
                        help="each of the two workers' memory limit")
    parser.add_argument("--no-persist", dest="persist", action="store_false",
                        help="generate the data in every report's run instead of once")
    parser.add_argument("--reports", default="kpis,showroom,activity,effectiveness,"
                                              "lost_analysis,profile,audit,pipeline,"
                                              "grade_migration,monthly,funnel,"
                                              "touches_per_won_lead,backtest")
    parser.add_argument("--fingerprints", metavar="FILE",
                        help="a JSON file the cluster's run writes each report's time, "
                             "states and table fingerprint to (with --single-only: reads)")
    step = parser.add_mutually_exclusive_group()
    step.add_argument("--cluster-only", action="store_true",
                      help="stop after the cluster's run (its fingerprints in --fingerprints)")
    step.add_argument("--single-only", action="store_true",
                      help="no cluster: one process alone, here, its tables compared with "
                           "the fingerprints an earlier --cluster-only run wrote")
    args = parser.parse_args()
    policy = leadkit.Policy.preset("abcd")
    as_of = pd.Timestamp("2024-12-31 12:00", tz=ZONE)
    reports = args.reports.split(",")
    report_calls = calls(policy, as_of)
    names = ["leads", "touches", *(["visits"] if "showroom" in reports else [])]
    if args.single_only:
        if not args.fingerprints:
            parser.error("--single-only needs --fingerprints FILE")
        with open(args.fingerprints) as f:
            run = json.load(f)
        if run["setup"] != setup(args):
            parser.error(f"{args.fingerprints} is of another run: {run['setup']}")
    else:
        run = {"setup": setup(args), **cluster_run(args, policy, as_of, reports, names)}
        if args.fingerprints:
            with open(args.fingerprints, "w") as f:
                json.dump(run, f)
        if args.cluster_only:
            return
    # The same frames made in this process once the cluster is gone (computing them through
    # the cluster would gather every partition on one worker first), with Dask's dtypes.
    reset_peak()
    local = local_frames(args.leads, args.partitions, args.touches_per_lead, names)
    made = (f"generated once in {run['generation']:.1f} s and kept on the workers; times "
            "with the alignment shuffle" if args.persist else
            "times with the generation and the alignment shuffle")
    visits = len(local["visits"]) if "visits" in local else 0
    print(f"{len(local['leads']):,} leads, {len(local['touches']):,} touches, "
          f"{visits:,} visits, {args.partitions} partitions; LocalCluster of 2 "
          f"workers ({made}) against one process (on the computed frames"
          f"{', in a process of its own' if args.single_only else ''}): peak resident "
          f"{peak() / 2**20:,.0f} MiB once the frames are made")
    print("| report | cluster | one process | same table | state shipped | states | "
          "largest state | rows | peak resident | load average |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for report in reports:
        cluster_time, sizes, expected = run["reports"][report]
        reset_peak()
        start = time.perf_counter()
        single = report_calls[report](leadkit, local)
        single_time = time.perf_counter() - start
        high = peak()  # the call's, with the frames (not the fingerprint's)
        if json.loads(json.dumps(fingerprint(single))) != expected:
            raise AssertionError(f"{report}: the cluster's table differs from one process's")
        del single
        print(f"| `{report}` | {cluster_time:.1f} s | {single_time:.1f} s | yes | "
              f"{sum(sizes):,} B | {len(sizes)} | {max(sizes, default=0):,} B | "
              f"{expected[2]:,} | {high / 2**20:,.0f} MiB | "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} |", flush=True)


def setup(args) -> dict:
    """What the tables of a run depend on."""
    return {"leads": args.leads, "touches_per_lead": args.touches_per_lead,
            "partitions": args.partitions}


def cluster_run(args, policy, as_of, reports, names) -> dict:
    """Each report on a LocalCluster of two workers: {"generation": seconds, "reports":
    {report: [seconds, [bytes of each state], fingerprint of its table]}}."""
    per_part = args.leads // args.partitions
    report_calls = calls(policy, as_of)
    out = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", memory_limit=args.worker_memory) as cluster, \
            Client(cluster):
        parts = range(args.partitions)
        frames = {
            "leads": dd.from_map(part_leads, parts, per_part=per_part),
            "touches": dd.from_map(part_touches, parts, per_part=per_part,
                                   per_lead=args.touches_per_lead),
            "visits": dd.from_map(part_visits, parts, per_part=per_part),
        }
        frames = {name: frames[name] for name in names}
        start = time.perf_counter()
        if args.persist:  # generated once, kept in the workers' memory
            frames = dict(zip(frames, dask.persist(*frames.values())))
            wait(list(frames.values()))
        generation = time.perf_counter() - start
        for report in reports:
            start = time.perf_counter()
            table = report_calls[report](ld, frames)
            cluster_time = time.perf_counter() - start
            # The table's fingerprint, not the table: the audit's has tens of millions of
            # rows, and the single-process run needs the memory.
            found = json.loads(json.dumps(fingerprint(table)))  # as the file holds it
            del table
            states_args, kwargs = state_args(report, policy, as_of, frames)
            states = dask.compute(*ld.report_states(report, *states_args, **kwargs))
            sizes = [len(s) for s in states if s is not None]
            out[report] = [cluster_time, sizes, found]
            # Progress as it goes (a run at ten million leads takes long on two cores).
            print(f"{report}: {cluster_time:.1f} s on the cluster, {sum(sizes):,} B of state, "
                  f"{found[2]:,} rows", file=sys.stderr, flush=True)
    return {"generation": generation, "reports": out}


if __name__ == "__main__":
    main()
