"""leadkit.schedule over one million leads and five million touches.

    python bench/schedule_bench.py [--leads 1000000] [--touches-per-lead 5] [--repeat 1]

Reports the whole call, its conversion step (pandas columns -> buffers) and its kernel (the
C++ schedule with the GIL released) apart.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import leadkit
from leadkit import _core, _frames, _schedule
from _timing import best


def make(n: int, per_lead: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    base = pd.Timestamp("2024-01-02 09:00", tz="Asia/Shanghai")
    created = base + pd.to_timedelta(rng.integers(0, 300 * 86400, n), unit="s")
    ids = pd.Series(np.char.add("L", np.arange(n).astype(str)), dtype="str")
    status = rng.choice(["open", "won", "lost"], n, p=[0.8, 0.06, 0.14])
    leads = pd.DataFrame({
        "lead_id": ids,
        "created_at": created,
        "channel": pd.Categorical(rng.choice(["website", "showroom", "phone", "social"], n)),
        "status": pd.Categorical(status),
        "purchase_within_days": rng.integers(0, 120, n).astype(float),
        "asked_price": rng.random(n) < 0.4,
        "test_drive": rng.random(n) < 0.2,
    })
    m = n * per_lead
    owner = rng.integers(0, n, m)
    touches = pd.DataFrame({
        "lead_id": ids.to_numpy()[owner],
        "at": created[owner] + pd.to_timedelta(rng.integers(0, 60 * 86400, m), unit="s"),
        "method": pd.Categorical(rng.choice(["phone", "wechat", "visit", "sms"], m)),
    })
    return leads, touches


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--touches-per-lead", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    leads, touches = make(args.leads, args.touches_per_lead)
    policy = leadkit.Policy.preset("abcd")
    impl = policy._impl
    as_of = pd.Timestamp("2024-12-31 12:00", tz="Asia/Shanghai")
    fields = list(dict.fromkeys([*_schedule._LEAD_COLUMNS, *impl.fields]))
    compared = set(_schedule._LEAD_COLUMNS) | set(impl.compared_fields)

    def convert():  # as leadkit.schedule converts its inputs
        return (_frames.lead_specs(leads, fields, compared=compared, ids_as_strings=True),
                _frames.table_specs(touches, _schedule._TOUCH_COLUMNS, table="touches",
                                    ids_as_strings=True))

    lead_specs, touch_specs = convert()
    cadence = _core.cadence_for_policy(impl)
    seconds = _frames.instant_seconds(as_of, "as_of")
    whole = best(lambda: leadkit.schedule(leads, touches, policy, as_of=as_of), args.repeat)
    conversion = best(convert, args.repeat)
    kernel = best(lambda: _core.schedule(cadence, len(leads), lead_specs, len(touches),
                                         touch_specs, seconds, False), args.repeat)
    tasks = leadkit.schedule(leads, touches, policy, as_of=as_of)
    print(f"{len(leads):,} leads, {len(touches):,} touches, {len(tasks):,} open tasks")
    print(f"whole call {whole:.2f} s; conversion {conversion:.2f} s; kernel {kernel:.2f} s "
          f"({len(leads) / kernel / 1e6:.2f} M leads/s, {len(touches) / kernel / 1e6:.2f} M "
          f"touches/s); the rest (building the result) {whole - conversion - kernel:.2f} s")


if __name__ == "__main__":
    main()
