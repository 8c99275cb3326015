"""leadkit.kpis against the same definitions written in vectorised pandas (groupby, shift,
merge; no per-row Python), on generated leads and touches.

    python bench/kpi_bench.py [--leads 1000000] [--touches-per-lead 5] [--threads 2]
        [--no-pandas] [--repeat 3]

Both give the same table (checked); times are the best of --repeat calls. The pandas version
hard-codes what leadkit reads from its policy and calendar: the abcd preset's grades and
intervals, and the cn_showroom calendar (every day 09:00-18:00 in Shanghai, closed on the
Chinese New Year days). Reports the two times and their ratio, leadkit's conversion (pandas
columns to buffers), kernel (C++) and table-building times apart, threads=1 against
threads=2, and the peak memory growth of the leadkit call against the input columns' size.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd

import leadkit
from leadkit import _core
from leadkit.reports import _kpis
from _timing import best, peak, reset_peak

ZONE = "Asia/Shanghai"
OFFSET = 8 * 3600
DAY = 86400
OPEN, CLOSE = 9 * 3600, 18 * 3600
INTERVAL = {"A": 3, "B": 7, "C": 30, "D": 90}  # abcd, upper bounds in days


def make(n: int, per_lead: int, seed: int = 5):
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-02 00:00", tz=ZONE) + pd.to_timedelta(
        rng.integers(0, 300 * DAY, n), unit="s")
    status = rng.choice(["open", "won", "lost", "invalid"], n, p=[0.75, 0.06, 0.15, 0.04])
    won_at = created + pd.to_timedelta(rng.integers(DAY, 40 * DAY, n), unit="s")
    lost_at = created + pd.to_timedelta(rng.integers(DAY, 40 * DAY, n), unit="s")
    leads = pd.DataFrame({
        "lead_id": pd.Series(np.char.add("L", np.arange(n).astype(str)), dtype="str"),
        "created_at": created,
        "entered_at": created + pd.to_timedelta(rng.integers(0, 40 * 3600, n), unit="s"),
        "channel": pd.Categorical(rng.choice(["website", "showroom", "phone", "social"], n)),
        "status": pd.Categorical(status),
        "won_at": pd.Series(won_at).where(status == "won"),
        "lost_at": pd.Series(lost_at).where(status == "lost"),
        "lost_review": pd.Categorical(np.where(status == "lost",
                                               rng.choice(["pending", "approved", "rejected"], n),
                                               None)),
        "purchase_within_days": rng.integers(0, 120, n).astype(float),
        "test_drive": rng.random(n) < 0.2,
        "asked_price": rng.random(n) < 0.4,
    })
    m = n * per_lead
    owner = rng.integers(0, n, m)
    touches = pd.DataFrame({
        "lead_id": leads["lead_id"].to_numpy()[owner],
        "at": created[owner] + pd.to_timedelta(rng.integers(0, 60 * DAY, m), unit="s"),
        "method": pd.Categorical(rng.choice(["phone", "wechat", "visit"], m)),
        "grade_after": pd.Categorical(np.where(rng.random(m) < 0.2,
                                               rng.choice(list(INTERVAL), m), None)),
    })
    k = n // 5
    asked = rng.integers(0, n, k)
    surveys = pd.DataFrame({
        "lead_id": leads["lead_id"].to_numpy()[asked],
        "at": created[asked] + pd.to_timedelta(rng.integers(0, 60 * DAY, k), unit="s"),
        "satisfied": rng.random(k) < 0.7,
    })
    return leads, touches, surveys


# --- the pandas version ---------------------------------------------------------------

def closed_days() -> np.ndarray:
    doc = json.loads(leadkit.Calendar.preset("cn_showroom").to_json())
    days = []
    for entry in doc["closed"]:
        first = pd.Timestamp(entry["from"]).value // 10**9 // DAY
        last = pd.Timestamp(entry["to"]).value // 10**9 // DAY
        days.extend(range(first, last + 1))
    return np.array(days, dtype=np.int64)


CLOSED = closed_days()


def next_open_day(day: np.ndarray) -> np.ndarray:
    day = day.copy()
    for _ in range(6):  # at most four closed days in a row
        shut = np.isin(day, CLOSED)
        if not shut.any():
            break
        day[shut] += 1
    return day


def next_open(t: np.ndarray) -> np.ndarray:
    local = t + OFFSET
    day, tod = local // DAY, local % DAY
    shut = np.isin(day, CLOSED)
    out = np.where(~shut & (tod >= OPEN) & (tod < CLOSE), t, 0)
    before = ~shut & (tod < OPEN)
    out = np.where(before, day * DAY + OPEN - OFFSET, out)
    later = ~(~shut & (tod < CLOSE))
    out = np.where(later, next_open_day(day + 1) * DAY + OPEN - OFFSET, out)
    return out


def add_business(t: np.ndarray, seconds: int) -> np.ndarray:
    s = next_open(t)
    day = (s + OFFSET) // DAY
    close = day * DAY + CLOSE - OFFSET
    e = s + seconds
    over = e > close
    return np.where(over, next_open_day(day + 1) * DAY + OPEN - OFFSET + (e - close), e)


def seconds_of(col: pd.Series) -> np.ndarray:
    values = col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[s]")
    return values.astype(np.int64)  # NaT -> int64 min


def abcd_grades(leads) -> np.ndarray:
    days = leads["purchase_within_days"].to_numpy(dtype=np.float64)
    drive, price = leads["test_drive"].to_numpy(), leads["asked_price"].to_numpy()
    return np.select([(days <= 15) | (drive & price), days <= 30, days <= 90], ["A", "B", "C"], "D")


def pandas_kpis(leads, touches, surveys, as_of: int) -> pd.DataFrame:
    nat = np.iinfo(np.int64).min
    created = seconds_of(leads["created_at"])
    keep = created <= as_of
    L = pd.DataFrame({
        "row": np.arange(len(leads)), "channel": leads["channel"].astype(str),
        "created": created, "entered": seconds_of(leads["entered_at"]),
        "won_at": seconds_of(leads["won_at"]), "lost_at": seconds_of(leads["lost_at"]),
        "status": leads["status"].astype(str), "review": leads["lost_review"].astype(object),
        "grade": abcd_grades(leads),
    })[keep]
    L["entered"] = np.where(L["entered"] == nat, L["created"], L["entered"])
    invalid = L["status"] == "invalid"
    won = (L["status"] == "won") & ((L["won_at"] == nat) | (L["won_at"] <= as_of))
    lost_now = (L["status"] == "lost") & ((L["lost_at"] == nat) | (L["lost_at"] <= as_of))
    L["won"] = won
    L["lost"] = lost_now & (L["review"].isna() | (L["review"] == "approved"))
    end = np.full(len(L), as_of)
    end = np.where(won & (L["won_at"] != nat), L["won_at"], end)
    end = np.where(lost_now & (L["review"] != "rejected") & (L["lost_at"] != nat), L["lost_at"], end)
    L["end"] = end
    L["entered_ok"] = L["entered"] <= L["created"] + DAY
    L["contact_due_at"] = add_business(L["created"].to_numpy(), 3600)

    index = pd.Index(leads["lead_id"])
    T = pd.DataFrame({"row": index.get_indexer(touches["lead_id"]), "at": seconds_of(touches["at"]),
                      "method": touches["method"].astype(str),
                      "grade_after": touches["grade_after"].astype(object)})
    T = T[T["at"] <= as_of].merge(L[["row", "grade", "end"]], on="row")
    T = T.sort_values(["row", "at", "method"], kind="stable")
    T["grade_now"] = T.groupby("row")["grade_after"].ffill().fillna(T["grade"])
    T["days"] = T["grade_now"].map(INTERVAL).astype(np.int64)
    T["due"] = next_open(T["at"].to_numpy() + T["days"].to_numpy() * DAY)
    T["next_at"] = T.groupby("row")["at"].shift(-1)
    T["is_due"] = T["due"] <= T["end"]
    T["on_time"] = T["is_due"] & (T["next_at"] <= T["due"])
    T["late"] = T["is_due"] & ~T["on_time"]
    per_lead = T.groupby("row").agg(first_at=("at", "min"), due=("is_due", "sum"),
                                    on_time=("on_time", "sum"), late=("late", "sum"))
    L = L.merge(per_lead, left_on="row", right_index=True, how="left")
    has_touch = L["first_at"].notna()
    L["fc_due"] = has_touch | (L["contact_due_at"] <= as_of)
    L["fc_on_time"] = has_touch & (L["first_at"] <= L["contact_due_at"])
    L["minutes"] = np.where(has_touch, np.maximum(0, (L["first_at"] - L["created"]) // 60), np.nan)
    L["timely"] = L["entered_ok"] & (~L["fc_due"] | L["fc_on_time"]) & (L["late"].fillna(0) == 0)

    S = pd.DataFrame({"row": index.get_indexer(surveys["lead_id"]), "at": seconds_of(surveys["at"]),
                      "satisfied": surveys["satisfied"].to_numpy()})
    S = S[S["at"] <= as_of]
    S = S[S["at"] == S.groupby("row")["at"].transform("max")]
    said = S.groupby("row")["satisfied"].all()
    L["surveyed"] = L["row"].isin(said.index)
    L["satisfied"] = L["row"].map(said).fillna(False).astype(bool)

    V = L[~invalid]
    g = V.groupby("channel", sort=True)
    out = pd.DataFrame({
        "leads": g.size(), "invalid": L[invalid].groupby("channel").size(),
        "won": g["won"].sum(), "lost": g["lost"].sum(),
        "entered_on_time": g["entered_ok"].sum(),
        "first_contacts_due": g["fc_due"].sum(), "first_contact_on_time": g["fc_on_time"].sum(),
        "follow_ups_due": g["due"].sum(), "follow_ups_on_time": g["on_time"].sum(),
        "timely_leads": g["timely"].sum(), "surveyed": g["surveyed"].sum(),
        "satisfied": g["satisfied"].sum(),
    }).fillna(0).astype(np.int64)
    out["conversion_rate"] = out["won"] / out["leads"]
    out["entry_timeliness_rate"] = out["entered_on_time"] / out["leads"]
    out["first_contact_timeliness_rate"] = out["first_contact_on_time"] / out["first_contacts_due"]
    out["follow_up_timeliness_rate"] = out["follow_ups_on_time"] / out["follow_ups_due"]
    out["timeliness_rate"] = out["timely_leads"] / out["leads"]
    out["satisfaction_rate"] = out["satisfied"] / out["surveyed"]
    M = V.loc[V["minutes"].notna(), ["channel", "minutes"]].sort_values(["channel", "minutes"])
    M["rank"] = M.groupby("channel").cumcount() + 1
    size = M.groupby("channel")["minutes"].transform("size")
    for q, name in [(0.5, "first_contact_minutes_p50"), (0.9, "first_contact_minutes_p90")]:
        pick = M[M["rank"] == np.maximum(np.ceil(q * size), 1)]
        out[name] = pick.set_index("channel")["minutes"].astype(float)
    out = out.reset_index().rename(columns={"index": "channel"})
    return out[["channel", *leadkit.KPI_COLUMNS]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--touches-per-lead", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-pandas", action="store_true",
                        help="leadkit only (the pandas version needs ~10x the memory)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="times are the best of this many calls (memory: the first)")
    args = parser.parse_args()
    leads, touches, surveys = make(args.leads, args.touches_per_lead)
    policy = leadkit.Policy.preset("abcd")
    as_of_ts = pd.Timestamp("2024-12-31 12:00", tz=ZONE)
    as_of = as_of_ts.value // 10**9
    inputs = sum(f.memory_usage(deep=True).sum() for f in (leads, touches, surveys))

    def ours_with(threads: int) -> pd.DataFrame:
        return leadkit.kpis(leads, touches, policy, surveys=surveys, by="channel",
                            as_of=as_of_ts, threads=threads)

    # Peak memory growth: the peak during the first call above the memory in use before it.
    before = reset_peak()
    ours = ours_with(1)
    growth = max(0, peak() - before)
    pd.testing.assert_frame_equal(ours, ours_with(args.threads))
    one = best(lambda: ours_with(1), args.repeat)
    many = best(lambda: ours_with(args.threads), args.repeat)

    # The call's three steps, timed apart (as leadkit.kpis runs them).
    names = _kpis._by_list("channel")

    def convert():
        return _kpis._Inputs(leads, touches, policy, surveys, None, names, None, as_of_ts)

    converted = convert()

    def kernel():
        state = _core.KpiState(names)
        state.add(converted.cadence, *converted.tables(), converted.as_of, None, 1)
        return state

    state = kernel()
    steps = [best(convert, args.repeat), best(kernel, args.repeat),
             best(lambda: _kpis.frame_of(state), args.repeat)]

    print(f"{len(leads):,} leads, {len(touches):,} touches, {len(surveys):,} surveys")
    print(f"leadkit.kpis threads=1 steps: conversion {steps[0]:.2f} s, kernel {steps[1]:.2f} s "
          f"({len(leads) / steps[1]:,.0f} leads/s, {len(touches) / steps[1]:,.0f} touches/s), "
          f"table {steps[2]:.3f} s")
    print(f"leadkit.kpis threads=1: {one:.2f} s ({len(leads) / one:,.0f} leads/s); "
          f"threads={args.threads}: {many:.2f} s ({one / many:.2f}x)")
    if not args.no_pandas:
        theirs = pandas_kpis(leads, touches, surveys, as_of)
        pandas_time = best(lambda: pandas_kpis(leads, touches, surveys, as_of), args.repeat)
        pd.testing.assert_frame_equal(ours.reset_index(drop=True),
                                      theirs.reset_index(drop=True), check_dtype=False)
        print(f"vectorised pandas:      {pandas_time:.2f} s  -> leadkit is "
              f"{pandas_time / one:.1f}x faster (threads=1), {pandas_time / many:.1f}x "
              f"(threads={args.threads}); same answers: yes")
    print(f"peak memory growth during the leadkit call: {growth / 2**20:.0f} MiB = "
          f"{growth / inputs:.2f}x the inputs' {inputs / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
