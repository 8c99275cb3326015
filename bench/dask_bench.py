"""leadkit.dask.kpis on a local cluster of two worker processes against single-process
leadkit.kpis, on the same generated data.

    python bench/dask_bench.py [--leads 10000000] [--touches-per-lead 1] [--partitions 16]

Each partition's leads and touches are generated on the workers (dd.from_map), so the data
never passes through the client; the single-process run computes the same frames into pandas.
Reports both times, that the tables are equal, and the bytes of KPI state shipped.
"""

from __future__ import annotations

import argparse
import time

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster

import leadkit
import leadkit.dask as ld

ZONE = "Asia/Shanghai"


def part_leads(index: int, per_part: int) -> pd.DataFrame:
    rng = np.random.default_rng(1000 + index)
    created = pd.Timestamp("2024-01-02", tz=ZONE) + pd.to_timedelta(
        rng.integers(0, 300 * 86400, per_part), unit="s")
    return pd.DataFrame({
        "lead_id": pd.Series(np.char.add(f"P{index}-", np.arange(per_part).astype(str)),
                             dtype="str"),
        "created_at": created,
        "channel": rng.choice(["website", "showroom", "phone", "social"], per_part),
        "dealer_id": rng.choice([f"D{d:03d}" for d in range(200)], per_part),
        "purchase_within_days": rng.integers(0, 120, per_part).astype(float),
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
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000_000)
    parser.add_argument("--touches-per-lead", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=16)
    args = parser.parse_args()
    per_part = args.leads // args.partitions
    policy = leadkit.Policy.preset("abcd")
    as_of = pd.Timestamp("2024-12-31 12:00", tz=ZONE)
    by = "dealer_id"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", memory_limit="10GiB") as cluster, Client(cluster):
        parts = range(args.partitions)
        leads = dd.from_map(part_leads, parts, per_part=per_part)
        touches = dd.from_map(part_touches, parts, per_part=per_part,
                              per_lead=args.touches_per_lead)
        start = time.perf_counter()
        table = ld.kpis(leads, touches, policy, by=by, as_of=as_of)
        cluster_time = time.perf_counter() - start
        states, _ = ld.partial_states(leads, touches, policy, by=by, as_of=as_of)
        sizes = [len(s) for s in dask.compute(*states)]
        local_leads, local_touches = dask.compute(leads, touches)
    start = time.perf_counter()
    single = leadkit.kpis(local_leads, local_touches, policy, by=by, as_of=as_of)
    single_time = time.perf_counter() - start
    pd.testing.assert_frame_equal(table, single)
    print(f"{len(local_leads):,} leads, {len(local_touches):,} touches, {args.partitions} "
          f"partitions, {len(table)} groups; same table: yes")
    print(f"local cluster, 2 workers: {cluster_time:.1f} s (generation included); "
          f"single process: {single_time:.1f} s (generation excluded)")
    print(f"KPI state shipped: {sum(sizes):,} bytes in {len(sizes)} partial states "
          f"({sum(sizes) / len(sizes) / len(table):.0f} bytes per group per state)")


if __name__ == "__main__":
    main()
