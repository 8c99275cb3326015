"""The vectorised calendar forms over one million rows, against the scalar C++ rate.

    python bench/calendar_bench.py [--rows 1000000] [--repeat 3]

Reports, for add_business_many and business_between_many on cn_office, the whole call, its
conversion step (pandas timestamps -> int64 seconds) and its kernel (the C++ loop), best of
`repeat`.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from leadkit import Calendar

from _timing import best




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    start = pd.Timestamp("2019-01-01", tz="UTC").value // 10**9
    seconds = start + rng.integers(0, 7 * 365 * 86400, args.rows)
    times = pd.Series(pd.to_datetime(seconds, unit="s", utc=True).tz_convert("Asia/Shanghai"))
    durations = pd.Series(pd.to_timedelta(rng.integers(0, 30 * 8 * 3600, args.rows), unit="s"))
    ends = times + pd.to_timedelta(rng.integers(0, 60 * 86400, args.rows), unit="s")
    cal = Calendar.preset("cn_office")
    impl = cal._impl

    t, tv, _ = cal._instants(times, "times")
    e, ev, _ = cal._instants(ends, "ends")
    d = durations.to_numpy().astype("timedelta64[s]").astype(np.int64)
    dv = np.ones(args.rows, np.uint8)

    rows = [
        ("add_business_many", lambda: cal.add_business_many(times, durations),
         lambda: cal._instants(times, "times"), lambda: impl.add_business_many(t, tv, d, dv)),
        ("business_between_many", lambda: cal.business_between_many(times, ends),
         lambda: (cal._instants(times, "a"), cal._instants(ends, "b")),
         lambda: impl.business_between_many(t, tv, e, ev)),
    ]
    print(f"{args.rows:,} rows on cn_office; best of {args.repeat}; times in ms")
    print(f"{'call':<24}{'whole':>9}{'convert':>9}{'kernel':>9}{'M rows/s kernel':>17}")
    for name, whole, convert, kernel in rows:
        w, c, k = best(whole, args.repeat), best(convert, args.repeat), best(kernel, args.repeat)
        print(f"{name:<24}{w * 1e3:>9.0f}{c * 1e3:>9.0f}{k * 1e3:>9.0f}{args.rows / k / 1e6:>17.1f}")


if __name__ == "__main__":
    main()
