"""leadkit.route from pandas, and against a numpy brute-force search for the nearest dealer.

    python bench/route_bench.py [--leads 1000000] [--compare 200000]

On 1,000 dealers with 20 consultants each: the whole leadkit.route over `--leads` leads with
its conversion and kernel times apart; then `--compare` leads routed whole by leadkit against
numpy finding only each lead's nearest dealer by brute force (haversine to every dealer, in
chunks), which must agree with leadkit's dealers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import leadkit
from leadkit import _frames, _routing

R = 6371.0088


def network(rng):
    dealers = pd.DataFrame({
        "dealer_id": [f"D{d:04d}" for d in range(1000)], "region_id": "R",
        "lat": rng.uniform(20, 45, 1000), "lon": rng.uniform(100, 125, 1000)})
    consultants = pd.DataFrame({
        "consultant_id": [f"D{d:04d}-C{c:02d}" for d in range(1000) for c in range(20)],
        "dealer_id": [f"D{d:04d}" for d in range(1000) for c in range(20)],
        "experience_years": rng.uniform(0, 8, 20000)})
    return dealers, consultants


def leads_frame(rng, n):
    return pd.DataFrame({
        "lead_id": pd.Series([f"L{i}" for i in range(n)], dtype="str"),
        "created_at": pd.Timestamp("2026-01-05", tz="Asia/Shanghai")
        + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
        "lat": rng.uniform(20, 45, n), "lon": rng.uniform(100, 125, n),
        "purchase_within_days": rng.integers(0, 120, n).astype(float)})


def numpy_nearest(leads, dealers, max_km=100.0, chunk=2000):
    lat1 = np.radians(leads["lat"].to_numpy())[:, None]
    lon1 = np.radians(leads["lon"].to_numpy())[:, None]
    lat2 = np.radians(dealers["lat"].to_numpy())[None, :]
    lon2 = np.radians(dealers["lon"].to_numpy())[None, :]
    out = np.empty(len(leads), dtype=object)
    for a in range(0, len(leads), chunk):
        dp, dl = lat2 - lat1[a:a + chunk], lon2 - lon1[a:a + chunk]
        h = np.sin(dp / 2) ** 2 + np.cos(lat1[a:a + chunk]) * np.cos(lat2) * np.sin(dl / 2) ** 2
        km = 2 * R * np.arcsin(np.minimum(1.0, np.sqrt(h)))
        best = km.argmin(axis=1)  # dealer ids are in order, so ties go to the smaller id
        near = km[np.arange(len(best)), best] <= max_km
        out[a:a + chunk] = np.where(near, dealers["dealer_id"].to_numpy()[best], None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--compare", type=int, default=200_000)
    args = parser.parse_args()
    rng = np.random.default_rng(4)
    dealers, consultants = network(rng)
    policy = leadkit.Policy.preset("three_level")

    big = leads_frame(rng, args.leads)
    start = time.perf_counter()
    leadkit.route(big, dealers, consultants, policy)
    whole = time.perf_counter() - start
    start = time.perf_counter()
    specs = _frames.table_specs(big, _routing._ROUTE_COLUMNS, table="leads")
    codes = leadkit.classify(big, policy)["grade"].cat.codes.to_numpy().astype(np.int32)
    convert = time.perf_counter() - start
    router = leadkit.Router(dealers, consultants, policy)
    start = time.perf_counter()
    router._impl.route_batch(len(big), specs, codes)
    kernel = time.perf_counter() - start
    print(f"leadkit.route, {len(big):,} leads: {whole:.2f} s whole; conversion (with "
          f"classification) {convert:.2f} s; kernel {kernel:.2f} s "
          f"({len(big) / kernel / 1e6:.2f} M leads/s)")

    small = leads_frame(rng, args.compare)
    start = time.perf_counter()
    routed = leadkit.route(small, dealers, consultants, policy)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    nearest = numpy_nearest(small, dealers)
    theirs = time.perf_counter() - start
    assert (routed["dealer_id"].to_numpy() == nearest).all(), "nearest dealers differ"
    print(f"{len(small):,} leads: leadkit.route (whole routing) {ours:.2f} s; numpy brute-force "
          f"nearest dealer alone {theirs:.2f} s -> {theirs / ours:.1f}x; same dealers: yes")


if __name__ == "__main__":
    main()
