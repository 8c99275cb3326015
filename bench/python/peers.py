"""``leadkit.kpis`` written by hand the ways an analyst would: idiomatic pandas (merge,
sort_values, groupby, merge_asof — the style of bench/kpi_bench.py, generalised), tuned numpy
over the pandas columns, Polars (lazy API) and DuckDB (SQL).

All four compute the table of docs/kpis.md from the same facts leadkit reads:

- the policy's numbers — grade names, the upper bound of each grade's follow-up interval,
  the entry and first-contact SLAs with their clocks — are read from the ``Policy``;
- the grade at creation is the ``abcd`` preset's rules written out as expressions (the peers
  refuse another policy, and a ``grade`` column, rather than guess);
- the business clock is a **calendar table**: the open intervals of the policy's calendar,
  one row per opening, over the local days from the first lead's creation to a year past
  ``as_of``, with the open seconds counted up to each interval's end. It is built in plain
  Python from the calendar's JSON document (weekly hours, closed dates, extra workdays)
  inside each timed call. A deadline is then an as-of lookup into that table: the interval
  at or before an instant (pandas ``merge_asof``; ``np.searchsorted``; Polars
  ``search_sorted`` + ``gather``; a DuckDB ``ASOF JOIN``), so "1 business hour after t" is
  ``open_before(t) + 3600`` mapped back to an instant through the cumulative open seconds.

The zone must keep one UTC offset over the data's range (Asia/Shanghai has since 1991), so
``add_days`` is ``+ n * 86400`` and a local date is ``(t + offset) // 86400``; a zone with a
transition in the range is refused.

Each function returns the KPI table as pandas (group column as object strings with None
for the null group, sorted with the null group last; counts int64; rates and percentiles
float64), in the column order of ``leadkit.KPI_COLUMNS``, so the results compare directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

import leadkit

DAY = 86400
NAT = np.iinfo(np.int64).min
BYS = (None, "channel", "consultant_id", "month")
COUNTS = ["leads", "invalid", "won", "lost", "entered_on_time", "first_contacts_due",
          "first_contact_on_time", "follow_ups_due", "follow_ups_on_time", "timely_leads",
          "surveyed", "satisfied"]
RATES = {
    "conversion_rate": ("won", "leads"),
    "entry_timeliness_rate": ("entered_on_time", "leads"),
    "first_contact_timeliness_rate": ("first_contact_on_time", "first_contacts_due"),
    "follow_up_timeliness_rate": ("follow_ups_on_time", "follow_ups_due"),
    "timeliness_rate": ("timely_leads", "leads"),
    "satisfaction_rate": ("satisfied", "surveyed"),
}
PERCENTILES = {"first_contact_minutes_p50": 0.5, "first_contact_minutes_p90": 0.9}
LEAD_COLUMNS = ["lead_id", "created_at", "entered_at", "assigned_at", "channel",
                "consultant_id", "status", "won_at", "lost_at", "lost_review",
                "purchase_within_days", "test_drive", "asked_price"]
TOUCH_COLUMNS = ["lead_id", "at", "method", "grade_after"]
SURVEY_COLUMNS = ["lead_id", "at", "satisfied"]
CALENDAR_DAYS_AFTER_AS_OF = 365  # follow-up deadlines reach 90 days past as_of, plus rolling


# --- the facts: policy numbers and the calendar table -------------------------------------

@dataclasses.dataclass(frozen=True)
class Facts:
    """What every peer reads from the policy, and the calendar table (UTC seconds)."""

    grades: tuple[str, ...]
    max_days: np.ndarray       # per grade index: the follow-up interval's upper bound, days
    entry_sla: int             # seconds
    entry_business: bool       # counted on the business clock (else the calendar clock)
    contact_sla: int
    contact_business: bool
    offset: int                # the zone's UTC offset over the range, seconds
    starts: np.ndarray         # open intervals [start, end), sorted, disjoint
    ends: np.ndarray
    cum_end: np.ndarray        # open seconds from the table's start to each interval's end

    @property
    def cum_before(self) -> np.ndarray:
        return self.cum_end - (self.ends - self.starts)

    def table(self) -> pd.DataFrame:
        """The calendar table: one row per opening."""
        return pd.DataFrame({"start_s": self.starts, "end_s": self.ends,
                             "cum_before": self.cum_before, "cum_end": self.cum_end,
                             "next_start": np.append(self.starts[1:], np.iinfo(np.int64).max)})


def _clock_seconds(sla: dict, what: str) -> tuple[int, bool]:
    seconds = int(round(float(sla.get("hours", 0)) * 3600 + float(sla.get("minutes", 0)) * 60
                        + float(sla.get("seconds", 0))))
    clock = sla.get("clock", "calendar")
    if clock not in ("calendar", "business"):
        raise ValueError(f"policy: {what} has an unknown clock {clock!r}")
    return seconds, clock == "business"


def _time_of_day(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _dates(entry: dict) -> list[dt.date]:
    if "date" in entry:
        return [dt.date.fromisoformat(entry["date"])]
    first, last = dt.date.fromisoformat(entry["from"]), dt.date.fromisoformat(entry["to"])
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _day_hours(doc: dict, day: dt.date, closed: set, extra: dict) -> list:
    """The opening intervals of one local day, as [from, to] texts."""
    if day in closed:
        return []
    weekly = doc["weekly"]
    if day not in extra:
        return weekly.get(_WEEKDAYS[day.weekday()], [])
    entry = extra[day]
    if "hours" in entry:
        return entry["hours"]
    if "like" in entry:
        return weekly.get(entry["like"], [])
    for back in range(1, 8):  # the nearest earlier weekday with hours
        hours = weekly.get(_WEEKDAYS[(day.weekday() - back) % 7], [])
        if hours:
            return hours
    return []


def calendar_table(doc: dict, first: dt.date, last: dt.date, offset: int):
    """Open intervals (UTC seconds) of a calendar document over the local days first..last."""
    closed = {d for entry in doc.get("closed", []) for d in _dates(entry)}
    extra = {d: entry for entry in doc.get("extra", []) for d in _dates(entry)}
    starts, ends = [], []
    day = first
    epoch = dt.date(1970, 1, 1)
    while day <= last:  # one step per local day: a few hundred, not per row
        midnight = (day - epoch).days * DAY - offset
        for begin, end in _day_hours(doc, day, closed, extra):
            starts.append(midnight + _time_of_day(begin))
            ends.append(midnight + _time_of_day(end))
        day += dt.timedelta(days=1)
    starts, ends = np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)
    order = np.argsort(starts, kind="stable")
    return starts[order], ends[order]


def read_facts(policy: leadkit.Policy, first_instant: int, as_of: int) -> Facts:
    """The policy's numbers and its calendar's table from the first lead's local day to a year
    past as_of."""
    if policy.name != "abcd":
        raise ValueError(f"peers: the grade rules are written for the abcd preset, not "
                         f"{policy.name!r}")
    doc = json.loads(policy.to_json())
    cadence = doc["cadence"]
    calendar = json.loads(policy.calendar().to_json())
    zone = ZoneInfo(calendar["time_zone"])
    first = dt.datetime.fromtimestamp(first_instant, zone).date() - dt.timedelta(days=1)
    last = (dt.datetime.fromtimestamp(as_of, zone).date()
            + dt.timedelta(days=CALENDAR_DAYS_AFTER_AS_OF))
    offsets = {zone.utcoffset(dt.datetime.combine(first + dt.timedelta(days=i), dt.time(12)))
               for i in range((last - first).days + 1)}
    if len(offsets) != 1:
        raise ValueError(f"peers: {calendar['time_zone']} changes its UTC offset between "
                         f"{first} and {last}; the peers assume one offset")
    offset = int(offsets.pop().total_seconds())
    starts, ends = calendar_table(calendar, first, last, offset)
    follow_up = policy.follow_up_days
    grades = tuple(policy.grades)
    entry = _clock_seconds(cadence["entry_sla"], "entry_sla")
    contact = _clock_seconds(cadence["first_contact_sla"], "first_contact_sla")
    return Facts(grades=grades,
                 max_days=np.array([follow_up[g][1] for g in grades], dtype=np.int64),
                 entry_sla=entry[0], entry_business=entry[1],
                 contact_sla=contact[0], contact_business=contact[1], offset=offset,
                 starts=starts, ends=ends, cum_end=np.cumsum(ends - starts))


def _check_columns(frame_columns, table: str, needed: list[str]) -> None:
    missing = [c for c in needed if c not in frame_columns]
    if missing:
        raise KeyError(f"{table}: missing columns {missing}")
    if table == "leads" and "grade" in frame_columns:
        raise ValueError("peers: a leads.grade column is not supported; they classify")


def _finish(groups: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Rates from the counts, columns in leadkit's order."""
    for name, (num, den) in RATES.items():
        n = groups[num].to_numpy(dtype=np.float64)
        d = groups[den].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            groups[name] = np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)
    keys = [by] if by else []
    return groups[[*keys, *leadkit.KPI_COLUMNS]].reset_index(drop=True)


# --- tuned numpy over pandas columns -------------------------------------------------------

def _seconds(col: pd.Series) -> np.ndarray:
    """UTC seconds of an aware timestamp column; NAT where missing."""
    return col.to_numpy(dtype="datetime64[s]").view(np.int64)


def _np_open_before(f: Facts, t: np.ndarray) -> np.ndarray:
    i = np.searchsorted(f.starts, t, side="right") - 1
    return f.cum_before[i] + np.minimum(t - f.starts[i], f.ends[i] - f.starts[i])


def _np_add_business(f: Facts, t: np.ndarray, seconds: int) -> np.ndarray:
    target = _np_open_before(f, t) + seconds
    j = np.searchsorted(f.cum_end, target, side="left")
    return f.ends[j] - (f.cum_end[j] - target)


def _np_roll_to_open(f: Facts, t: np.ndarray) -> np.ndarray:
    i = np.searchsorted(f.starts, t, side="right") - 1
    return np.where(t < f.ends[i], t, f.starts[np.minimum(i + 1, len(f.starts) - 1)])


def _np_deadline(f: Facts, t: np.ndarray, seconds: int, business: bool) -> np.ndarray:
    return _np_add_business(f, t, seconds) if business else t + seconds


def _lexical_codes(col: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes of a string or categorical column in the values' text order (what a byte-wise
    sort gives), -1 for null; and the values in that order."""
    codes, uniques = pd.factorize(col)
    labels = np.array([str(u) for u in uniques], dtype=object)
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), list(labels[order])


def _np_flag(col: pd.Series, value: str) -> np.ndarray:
    return col.eq(value).to_numpy(dtype=bool, na_value=False)


def _np_abcd(leads: pd.DataFrame) -> np.ndarray:
    days = leads["purchase_within_days"].to_numpy(dtype=np.float64, na_value=np.nan)
    drive = leads["test_drive"].to_numpy(dtype=bool, na_value=False)
    price = leads["asked_price"].to_numpy(dtype=bool, na_value=False)
    return np.select([(days <= 15) | (drive & price), days <= 30, days <= 90], [0, 1, 2], 3)


def _np_groups(leads: pd.DataFrame, by: str | None, created: np.ndarray, offset: int,
               exists: np.ndarray) -> tuple[np.ndarray, list]:
    """Per existing lead its group number, and the group labels in sorted order (null last)."""
    n = int(exists.sum())
    if by is None:
        return np.zeros(n, dtype=np.int64), [None]
    if by == "month":
        months = ((created[exists] + offset).astype("datetime64[s]")
                  .astype("datetime64[M]").astype(np.int64))
        values, codes = np.unique(months, return_inverse=True)
        labels = list(np.datetime_as_string(values.astype("datetime64[M]"), unit="M"))
        return codes.astype(np.int64), labels
    codes, labels = _lexical_codes(leads[by][exists])
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(None)
    return codes.astype(np.int64), labels


def numpy_kpis(leads: pd.DataFrame, touches: pd.DataFrame, surveys: pd.DataFrame,
               policy: leadkit.Policy, by: str | None, as_of: int) -> pd.DataFrame:
    """The KPI table in tuned numpy over the pandas columns: an index lookup from touches to
    their leads' rows, one lexsort of the touches, running maxima for the grade in force,
    searchsorted into the calendar table, bincounts per lead and per group."""
    _check_columns(leads.columns, "leads", LEAD_COLUMNS)
    created = _seconds(leads["created_at"])
    f = read_facts(policy, int(created.min()), as_of)
    n = len(leads)

    # Leads.
    status, review = leads["status"], leads["lost_review"]
    exists = created <= as_of
    valid = exists & ~_np_flag(status, "invalid")
    won_at, lost_at = _seconds(leads["won_at"]), _seconds(leads["lost_at"])
    won = _np_flag(status, "won") & ((won_at == NAT) | (won_at <= as_of))
    lost_now = _np_flag(status, "lost") & ((lost_at == NAT) | (lost_at <= as_of))
    approved = review.isna().to_numpy() | _np_flag(review, "approved")
    lost = lost_now & approved
    end = np.where(won & (won_at != NAT), won_at,
                   np.where(lost_now & ~_np_flag(review, "rejected") & (lost_at != NAT),
                            lost_at, as_of))
    entered = _seconds(leads["entered_at"])
    entered = np.where(entered == NAT, created, entered)
    entered_ok = entered <= _np_deadline(f, created, f.entry_sla, f.entry_business)
    assigned = _seconds(leads["assigned_at"])
    contact_start = np.where(assigned == NAT, created, assigned)
    contact_due = _np_deadline(f, contact_start, f.contact_sla, f.contact_business)
    grade0 = _np_abcd(leads)

    # Touches of the leads that count, by as_of, in the cadence's order.
    index = pd.Index(leads["lead_id"])
    row = index.get_indexer(touches["lead_id"])
    if (row < 0).any():
        raise ValueError("touches: a lead_id is not in the leads")
    at = _seconds(touches["at"])
    keep = (at <= as_of) & valid[row]
    row, at = row[keep], at[keep]
    method = _lexical_codes(touches["method"][keep])[0]
    grade_after = pd.Categorical(touches["grade_after"][keep], categories=list(f.grades)).codes
    order = np.lexsort((grade_after, method, at, row))
    row, at, grade_after = row[order], at[order], grade_after[order].astype(np.int64)
    m = len(row)
    first = np.ones(m, dtype=bool)
    first[1:] = row[1:] != row[:-1]
    pos = np.arange(m)
    lead_start = np.maximum.accumulate(np.where(first, pos, 0)) if m else pos
    last_set = np.maximum.accumulate(np.where(grade_after >= 0, pos, -1)) if m else pos
    grade_now = np.where(last_set >= lead_start, grade_after[np.maximum(last_set, 0)],
                         grade0[row])
    due_at = _np_roll_to_open(f, at + f.max_days[grade_now] * DAY)
    has_next = np.ones(m, dtype=bool)
    has_next[:-1] = ~first[1:]
    has_next[-1:] = False
    next_at = np.empty(m, dtype=np.int64)
    next_at[:-1] = at[1:]
    is_due = due_at <= end[row]
    on_time = is_due & has_next & (next_at <= due_at)
    due_n = np.bincount(row[is_due], minlength=n)
    on_time_n = np.bincount(row[on_time], minlength=n)
    first_at = np.full(n, NAT, dtype=np.int64)
    first_at[row[first]] = at[first]

    # Surveys: the latest by as_of; at equal times, not satisfied wins.
    s_row = index.get_indexer(surveys["lead_id"])
    if (s_row < 0).any():
        raise ValueError("surveys: a lead_id is not in the leads")
    s_at = _seconds(surveys["at"])
    said = surveys["satisfied"].to_numpy(dtype=bool)
    keep = s_at <= as_of
    s_row, s_at, said = s_row[keep], s_at[keep], said[keep]
    order = np.lexsort((~said, s_at, s_row))
    s_row, said = s_row[order], said[order]
    latest = np.ones(len(s_row), dtype=bool)
    latest[:-1] = s_row[1:] != s_row[:-1]
    surveyed = np.zeros(n, dtype=bool)
    satisfied = np.zeros(n, dtype=bool)
    surveyed[s_row[latest]] = True
    satisfied[s_row[latest]] = said[latest]

    # Per lead, then per group.
    has_touch = first_at != NAT
    contact_due_now = has_touch | (contact_due <= as_of)
    contact_on_time = has_touch & (first_at <= contact_due)
    timely = entered_ok & (~contact_due_now | contact_on_time) & (due_n == on_time_n)
    minutes = np.maximum(0, (first_at - contact_start) // 60)
    codes, labels = _np_groups(leads, by, created, f.offset, exists)
    k = len(labels)
    ok = valid[exists]

    def count(flag: np.ndarray) -> np.ndarray:
        return np.bincount(codes[ok & flag[exists]], minlength=k)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes[ok], weights=values[exists][ok], minlength=k).astype(np.int64)

    out = pd.DataFrame({
        "leads": np.bincount(codes[ok], minlength=k),
        "invalid": np.bincount(codes[~ok], minlength=k),
        "won": count(won), "lost": count(lost), "entered_on_time": count(entered_ok),
        "first_contacts_due": count(contact_due_now),
        "first_contact_on_time": count(contact_on_time),
        "follow_ups_due": total(due_n), "follow_ups_on_time": total(on_time_n),
        "timely_leads": count(timely), "surveyed": count(surveyed),
        "satisfied": count(satisfied),
    }).astype(np.int64)
    with_touch = ok & has_touch[exists]
    g, v = codes[with_touch], minutes[exists][with_touch]
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    size = np.bincount(g, minlength=k)
    offsets = np.concatenate([[0], np.cumsum(size)[:-1]])
    for name, q in PERCENTILES.items():
        rank = np.maximum(np.ceil(q * size.astype(np.float64)).astype(np.int64), 1)
        pick = np.minimum(offsets + rank - 1, max(len(v) - 1, 0))
        out[name] = np.where(size > 0, v[pick] if len(v) else 0, np.nan).astype(np.float64)
    if by:
        out.insert(0, by, pd.Series(labels, dtype=object))
    return _finish(out, by)


# --- idiomatic pandas: merge, sort_values, groupby, merge_asof ------------------------------

def _pd_as_of(frame: pd.DataFrame, column: str, calendar: pd.DataFrame,
              **options) -> pd.DataFrame:
    """Each row of `frame` with the calendar row found by an as-of merge on `column`, in the
    frame's own order (merge_asof needs both sides sorted)."""
    ordered = frame.reset_index(names="_position").sort_values(column, kind="stable")
    merged = pd.merge_asof(ordered, calendar, left_on=column, **options)
    return merged.set_index("_position").sort_index()


def _pd_business(frame: pd.DataFrame, column: str, seconds: int,
                 calendar: pd.DataFrame) -> np.ndarray:
    """`column` + `seconds` of open time: two as-of merges with the calendar table."""
    a = _pd_as_of(frame[[column]], column, calendar[["start_s", "end_s", "cum_before"]],
                  right_on="start_s")
    a["target"] = (a["cum_before"] + np.minimum(a[column] - a["start_s"], a["end_s"] - a["start_s"])
                   + seconds)
    b = _pd_as_of(a[["target"]], "target", calendar[["end_s", "cum_end"]], right_on="cum_end",
                  direction="forward")
    return (b["end_s"] - (b["cum_end"] - b["target"])).to_numpy()


def _pd_deadline(frame: pd.DataFrame, column: str, seconds: int, business: bool,
                 calendar: pd.DataFrame) -> np.ndarray:
    if business:
        return _pd_business(frame, column, seconds, calendar)
    return (frame[column] + seconds).to_numpy()


def _pd_key(leads: pd.DataFrame, by: str | None, zone: str) -> pd.Series:
    if by is None:
        return pd.Series("all", index=leads.index)
    if by == "month":
        local = leads["created_at"].dt.tz_convert(zone).dt.tz_localize(None)
        return local.dt.to_period("M")
    return leads[by].astype("str")


def pandas_kpis(leads: pd.DataFrame, touches: pd.DataFrame, surveys: pd.DataFrame,
                policy: leadkit.Policy, by: str | None, as_of: int) -> pd.DataFrame:
    """The KPI table the way bench/kpi_bench.py writes it, generalised (any `by`, the
    first-contact start at assigned_at, the calendar table): merge touches onto their leads,
    sort_values, groupby ffill / shift / agg, merge_asof with the calendar table."""
    _check_columns(leads.columns, "leads", LEAD_COLUMNS)
    created = _seconds(leads["created_at"])
    f = read_facts(policy, int(created.min()), as_of)
    calendar = f.table()
    zone = json.loads(policy.calendar().to_json())["time_zone"]
    status, review = leads["status"], leads["lost_review"]
    frame = pd.DataFrame({
        "lead_id": leads["lead_id"], "key": _pd_key(leads, by, zone), "created": created,
        "entered": _seconds(leads["entered_at"]), "assigned": _seconds(leads["assigned_at"]),
        "won_at": _seconds(leads["won_at"]), "lost_at": _seconds(leads["lost_at"]),
        "invalid": status.eq("invalid").fillna(False).astype(bool),
        "is_won": status.eq("won").fillna(False).astype(bool),
        "is_lost": status.eq("lost").fillna(False).astype(bool),
        "approved": review.isna() | review.eq("approved").fillna(False),
        "rejected": review.eq("rejected").fillna(False).astype(bool),
        "grade0": _np_abcd(leads),
    })
    L = frame[frame["created"] <= as_of].reset_index(drop=True)
    L["won"] = L["is_won"] & ((L["won_at"] == NAT) | (L["won_at"] <= as_of))
    lost_now = L["is_lost"] & ((L["lost_at"] == NAT) | (L["lost_at"] <= as_of))
    L["lost"] = lost_now & L["approved"]
    end = np.where(L["won"] & (L["won_at"] != NAT), L["won_at"], as_of)
    L["end"] = np.where(lost_now & ~L["rejected"] & (L["lost_at"] != NAT), L["lost_at"], end)
    L["entered"] = L["entered"].where(L["entered"] != NAT, L["created"])
    L["entered_ok"] = L["entered"] <= _pd_deadline(L, "created", f.entry_sla, f.entry_business,
                                                   calendar)
    L["contact_start"] = L["assigned"].where(L["assigned"] != NAT, L["created"])
    L["contact_due"] = _pd_deadline(L, "contact_start", f.contact_sla, f.contact_business,
                                    calendar)
    V = L[~L["invalid"]]

    at = _seconds(touches["at"])
    T = pd.DataFrame({"lead_id": touches["lead_id"], "at": at,
                      "method": touches["method"].astype("str"),
                      "g": pd.Categorical(touches["grade_after"],
                                          categories=list(f.grades)).codes})[at <= as_of]
    T = T.merge(V[["lead_id", "grade0", "end"]], on="lead_id")
    T = T.sort_values(["lead_id", "at", "method", "g"], kind="stable", ignore_index=True)
    changed = T["g"].where(T["g"] >= 0)
    T["grade_now"] = changed.groupby(T["lead_id"]).ffill().fillna(T["grade0"]).astype(np.int64)
    T["next_at"] = T.groupby("lead_id")["at"].shift(-1)
    T["due_from"] = T["at"] + f.max_days[T["grade_now"].to_numpy()] * DAY
    rolled = _pd_as_of(T[["due_from"]], "due_from", calendar[["start_s", "end_s", "next_start"]],
                       right_on="start_s")
    T["due_at"] = np.where(rolled["due_from"] < rolled["end_s"], rolled["due_from"],
                           rolled["next_start"])
    T["is_due"] = T["due_at"] <= T["end"]
    T["on_time"] = T["is_due"] & (T["next_at"] <= T["due_at"])
    per_lead = T.groupby("lead_id").agg(first_at=("at", "min"), due=("is_due", "sum"),
                                        on_time=("on_time", "sum"))

    s_at = _seconds(surveys["at"])
    S = pd.DataFrame({"lead_id": surveys["lead_id"], "at": s_at,
                      "satisfied": surveys["satisfied"]})[s_at <= as_of]
    S = S[S["at"] == S.groupby("lead_id")["at"].transform("max")]
    said = S.groupby("lead_id")["satisfied"].all()

    V = V.merge(per_lead, left_on="lead_id", right_index=True, how="left")
    has_touch = V["first_at"].notna()
    V["contacts_due"] = has_touch | (V["contact_due"] <= as_of)
    V["contact_on_time"] = has_touch & (V["first_at"] <= V["contact_due"])
    V["due"] = V["due"].fillna(0).astype(np.int64)
    V["on_time"] = V["on_time"].fillna(0).astype(np.int64)
    V["timely"] = (V["entered_ok"] & (~V["contacts_due"] | V["contact_on_time"])
                   & (V["due"] == V["on_time"]))
    V["surveyed"] = V["lead_id"].isin(said.index)
    V["satisfied"] = V["lead_id"].map(said).fillna(False).astype(bool)
    V["minutes"] = np.maximum(0, (V["first_at"] - V["contact_start"]) // 60)

    groups = L.groupby("key", dropna=False, sort=True).size().index
    g = V.groupby("key", dropna=False, sort=True)
    out = pd.DataFrame({
        "leads": g.size(),
        "invalid": L[L["invalid"]].groupby("key", dropna=False).size(),
        "won": g["won"].sum(), "lost": g["lost"].sum(),
        "entered_on_time": g["entered_ok"].sum(),
        "first_contacts_due": g["contacts_due"].sum(),
        "first_contact_on_time": g["contact_on_time"].sum(),
        "follow_ups_due": g["due"].sum(), "follow_ups_on_time": g["on_time"].sum(),
        "timely_leads": g["timely"].sum(), "surveyed": g["surveyed"].sum(),
        "satisfied": g["satisfied"].sum(),
    }).reindex(groups).fillna(0).astype(np.int64)
    M = V.loc[has_touch, ["key", "minutes"]].sort_values(["key", "minutes"])
    M["rank"] = M.groupby("key", dropna=False).cumcount() + 1
    size = M.groupby("key", dropna=False)["minutes"].transform("size")
    for name, q in PERCENTILES.items():
        pick = M[M["rank"] == np.maximum(np.ceil(q * size), 1)]
        out[name] = pick.set_index("key")["minutes"].reindex(groups).astype(np.float64)
    out = out.reset_index(drop=True)
    if by:
        out.insert(0, by, pd.Series([None if pd.isna(k) else str(k) for k in groups],
                                    dtype=object))
    return _finish(out, by)


# --- Polars, lazy --------------------------------------------------------------------------

def polars_kpis(leads, touches, surveys, policy: leadkit.Policy, by: str | None,
                as_of: int, engine: str = "in-memory") -> pd.DataFrame:
    """The KPI table as one Polars lazy query over in-memory DataFrames; the calendar table is
    looked up with search_sorted + gather (an as-of join against a sorted table). `engine`:
    Polars 2 defaults to its streaming engine; on this query the in-memory one is faster."""
    import polars as pl

    _check_columns(leads.columns, "leads", LEAD_COLUMNS)
    first_created = leads.select(pl.col("created_at").dt.epoch("s").min()).item()
    f = read_facts(policy, int(first_created), as_of)
    starts, ends = pl.Series(f.starts), pl.Series(f.ends)
    cum_before, cum_end = pl.Series(f.cum_before), pl.Series(f.cum_end)
    max_days = pl.Series(f.max_days)

    def at_or_before(t: pl.Expr) -> pl.Expr:  # the calendar row at or before t
        return pl.lit(starts).search_sorted(t, side="right").cast(pl.Int64) - 1

    def add_business(t: pl.Expr, seconds: int) -> pl.Expr:
        i = at_or_before(t)
        start, length = pl.lit(starts).gather(i), pl.lit(ends).gather(i) - pl.lit(starts).gather(i)
        target = pl.lit(cum_before).gather(i) + pl.min_horizontal(t - start, length) + seconds
        j = pl.lit(cum_end).search_sorted(target, side="left")
        return pl.lit(ends).gather(j) - (pl.lit(cum_end).gather(j) - target)

    def roll_to_open(t: pl.Expr) -> pl.Expr:
        i = at_or_before(t)
        return pl.when(t < pl.lit(ends).gather(i)).then(t).otherwise(pl.lit(starts).gather(i + 1))

    def deadline(t: pl.Expr, seconds: int, business: bool) -> pl.Expr:
        return add_business(t, seconds) if business else t + seconds

    def sec(name: str) -> pl.Expr:
        return pl.col(name).dt.epoch("s")

    def text(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.String)

    grade_index = {g: i for i, g in enumerate(f.grades)}
    if by is None:
        key = pl.lit(None, dtype=pl.String)
    elif by == "month":
        key = pl.from_epoch(sec("created_at") + f.offset, time_unit="s").dt.strftime("%Y-%m")
    else:
        key = text(by)
    status, review = text("status"), text("lost_review")
    days = pl.col("purchase_within_days")
    lead_frame = (
        leads.lazy()
        .with_row_index("row")
        .select("row", "lead_id", key.alias("key"), created=sec("created_at"),
                entered=sec("entered_at"), assigned=sec("assigned_at"), won_at=sec("won_at"),
                lost_at=sec("lost_at"), status=status, review=review,
                grade0=pl.when((days <= 15) | (pl.col("test_drive") & pl.col("asked_price")))
                .then(0).when(days <= 30).then(1).when(days <= 90).then(2).otherwise(3))
        .filter(pl.col("created") <= as_of)
        .with_columns(
            valid=(pl.col("status") != "invalid").fill_null(True),
            won=((pl.col("status") == "won")
                 & (pl.col("won_at").is_null() | (pl.col("won_at") <= as_of))).fill_null(False),
            lost_now=((pl.col("status") == "lost")
                      & (pl.col("lost_at").is_null() | (pl.col("lost_at") <= as_of))
                      ).fill_null(False),
            contact_start=pl.coalesce("assigned", "created"))
        .with_columns(
            lost=pl.col("lost_now")
            & (pl.col("review").is_null() | (pl.col("review") == "approved")),
            end=pl.when(pl.col("won") & pl.col("won_at").is_not_null()).then("won_at")
            .when(pl.col("lost_now") & (pl.col("review") != "rejected").fill_null(True)
                  & pl.col("lost_at").is_not_null()).then("lost_at")
            .otherwise(pl.lit(as_of)),
            entered_ok=pl.coalesce("entered", "created")
            <= deadline(pl.col("created"), f.entry_sla, f.entry_business),
            contact_due=deadline(pl.col("contact_start"), f.contact_sla, f.contact_business))
    )
    counted = lead_frame.filter("valid")
    touch_frame = (
        touches.lazy()
        .select("lead_id", at=sec("at"), method=text("method"),
                g=text("grade_after").replace_strict(grade_index, default=-1,
                                                     return_dtype=pl.Int64))
        .filter(pl.col("at") <= as_of)
        .join(counted.select("lead_id", "row", "grade0", "end"), on="lead_id", how="inner")
        .sort(["row", "at", "method", "g"])
        # Sorted by lead: a lead's touches are one run, so the grade in force and the next
        # touch come from running and shifted columns checked against the run's start (a
        # window .over("row") gives the same, three times slower).
        .with_columns(position=pl.int_range(pl.len(), dtype=pl.Int64))
        .with_columns(
            run_start=pl.when(pl.col("row") != pl.col("row").shift(1).fill_null(-1))
            .then("position").forward_fill(),
            last_change=pl.when(pl.col("g") >= 0).then("position").forward_fill(),
            next_at=pl.when(pl.col("row").shift(-1) == pl.col("row")).then(pl.col("at").shift(-1)))
        .with_columns(
            grade_now=pl.when(pl.col("last_change") >= pl.col("run_start"))
            .then(pl.col("g").gather(pl.col("last_change").fill_null(0)))
            .otherwise(pl.col("grade0")))
        .with_columns(
            due_at=roll_to_open(pl.col("at") + pl.lit(max_days).gather("grade_now") * DAY))
        .with_columns(is_due=pl.col("due_at") <= pl.col("end"))
        .with_columns(on_time=(pl.col("is_due") & (pl.col("next_at") <= pl.col("due_at")))
                      .fill_null(False))
        .group_by("row")
        .agg(first_at=pl.col("at").min(), due=pl.col("is_due").sum(),
             on_time=pl.col("on_time").sum())
    )
    survey_frame = (
        surveys.lazy()
        .select("lead_id", "satisfied", at=sec("at"))
        .filter(pl.col("at") <= as_of)
        .group_by("lead_id")
        .agg(satisfied=pl.col("satisfied").filter(pl.col("at") == pl.col("at").max()).all())
    )
    per_lead = (
        lead_frame
        .join(touch_frame, on="row", how="left")
        .join(survey_frame, on="lead_id", how="left")
        .with_columns(has_touch=pl.col("first_at").is_not_null())
        .with_columns(
            contacts_due=pl.col("has_touch") | (pl.col("contact_due") <= as_of),
            contact_on_time=pl.col("has_touch") & (pl.col("first_at") <= pl.col("contact_due")),
            minutes=pl.when(pl.col("has_touch")).then(
                pl.max_horizontal((pl.col("first_at") - pl.col("contact_start")) // 60, 0)),
            surveyed=pl.col("satisfied").is_not_null(),
            satisfied=pl.col("satisfied").fill_null(False))
        .with_columns(timely=pl.col("entered_ok")
                      & (~pl.col("contacts_due") | pl.col("contact_on_time")).fill_null(False)
                      & (pl.col("due").fill_null(0) == pl.col("on_time").fill_null(0)))
    )

    def count(name: str) -> pl.Expr:
        return (pl.col(name) & pl.col("valid")).sum()

    def total(name: str) -> pl.Expr:
        return pl.col(name).filter(pl.col("valid")).fill_null(0).sum()

    # The count is taken apart from the sorted values: with `minutes.len()` beside
    # `minutes.sort()`, Polars 2.1's in-memory engine shares the unsorted filter between them.
    with_minutes = pl.col("valid") & pl.col("minutes").is_not_null()
    minutes = pl.col("minutes").filter(with_minutes).sort()

    def nearest_rank(q: float) -> pl.Expr:
        rank = (pl.lit(q) * with_minutes.sum().cast(pl.Float64)).ceil().cast(pl.Int64).clip(1)
        return minutes.get(rank - 1, null_on_oob=True).cast(pl.Float64)

    aggregates = [
        pl.col("valid").sum().alias("leads"), (~pl.col("valid")).sum().alias("invalid"),
        count("won").alias("won"), count("lost").alias("lost"),
        count("entered_ok").alias("entered_on_time"),
        count("contacts_due").alias("first_contacts_due"),
        count("contact_on_time").alias("first_contact_on_time"),
        total("due").alias("follow_ups_due"), total("on_time").alias("follow_ups_on_time"),
        count("timely").alias("timely_leads"), count("surveyed").alias("surveyed"),
        count("satisfied").alias("satisfied"),
        *[nearest_rank(q).alias(name) for name, q in PERCENTILES.items()],
    ]
    if by is None:
        result = per_lead.select(aggregates)
    else:
        result = (per_lead.group_by("key").agg(aggregates)
                  .sort("key", nulls_last=True).rename({"key": by}))
    out = result.collect(engine=engine).to_pandas()
    for name in COUNTS:
        out[name] = out[name].fillna(0).astype(np.int64)
    if by:
        out[by] = pd.Series([None if v is None or v != v else str(v) for v in out[by]],
                            dtype=object)
    return _finish(out, by)


# --- DuckDB, SQL ---------------------------------------------------------------------------

def duckdb_kpis(con, policy: leadkit.Policy, by: str | None, as_of: int) -> pd.DataFrame:
    """The KPI table as one SQL query over DuckDB tables ``leads``, ``touches``, ``surveys``
    (timestamps as TIMESTAMPTZ); the calendar table is registered and ASOF-joined."""
    columns = [r[0] for r in con.execute("DESCRIBE leads").fetchall()]
    _check_columns(columns, "leads", LEAD_COLUMNS)
    first_created = con.execute(
        "SELECT epoch_ns(min(created_at)) // 1000000000 FROM leads").fetchall()[0][0]
    f = read_facts(policy, int(first_created), as_of)
    calendar = f.table()
    con.register("calendar_frame", calendar)
    con.execute("CREATE OR REPLACE TEMP TABLE calendar AS SELECT * FROM calendar_frame")
    con.unregister("calendar_frame")
    grades = pd.DataFrame({"grade": list(f.grades), "g": np.arange(len(f.grades)),
                           "max_days": f.max_days})
    con.register("grades_frame", grades)
    con.execute("CREATE OR REPLACE TEMP TABLE grades AS SELECT * FROM grades_frame")
    con.unregister("grades_frame")

    def deadline(start: str, seconds: int, business: bool, name: str) -> tuple:
        """(a join clause, the deadline expression) for start + seconds on the clock."""
        if not business:
            return "", f"{start} + {seconds}"
        a, b = f"{name}_a", f"{name}_b"
        return (f"""
            ASOF LEFT JOIN calendar {a} ON {start} >= {a}.start_s
            ASOF LEFT JOIN calendar {b}
              ON {a}.cum_before + least({start} - {a}.start_s, {a}.end_s - {a}.start_s)
                 + {seconds} <= {b}.cum_end""",
                f"""{b}.end_s - ({b}.cum_end - ({a}.cum_before
                 + least({start} - {a}.start_s, {a}.end_s - {a}.start_s) + {seconds}))""")

    entry_join, entry_deadline = deadline("l.created", f.entry_sla, f.entry_business, "en")
    contact_join, contact_deadline = deadline("l.contact_start", f.contact_sla,
                                              f.contact_business, "fc")
    if by is None:
        key = "NULL::VARCHAR"
    elif by == "month":
        local = f"(epoch_ns(created_at) // 1000000000 + {f.offset}) * 1000000"
        key = f"strftime(make_timestamp({local}), '%Y-%m')"
    else:
        key = f"CAST({by} AS VARCHAR)"
    sec = "epoch_ns({}) // 1000000000"
    sql = f"""
    WITH l0 AS (
      -- row: a lead's number, for cheaper joins and partitions than by lead_id; the CTE
      -- that carries it is MATERIALIZED so every reader sees the same numbers.
      SELECT row_number() OVER () AS row, lead_id, {key} AS key,
             {sec.format('created_at')} AS created, {sec.format('entered_at')} AS entered,
             {sec.format('assigned_at')} AS assigned, {sec.format('won_at')} AS won_at,
             {sec.format('lost_at')} AS lost_at, CAST(status AS VARCHAR) AS status,
             CAST(lost_review AS VARCHAR) AS review,
             CASE WHEN purchase_within_days <= 15 OR (test_drive AND asked_price) THEN 0
                  WHEN purchase_within_days <= 30 THEN 1
                  WHEN purchase_within_days <= 90 THEN 2 ELSE 3 END AS grade0
      FROM leads WHERE {sec.format('created_at')} <= {as_of}
    ),
    l1 AS (
      SELECT *, coalesce(status <> 'invalid', true) AS valid,
             coalesce(status = 'won' AND (won_at IS NULL OR won_at <= {as_of}), false) AS won,
             coalesce(status = 'lost' AND (lost_at IS NULL OR lost_at <= {as_of}), false)
               AS lost_now,
             coalesce(assigned, created) AS contact_start
      FROM l0
    ),
    l AS MATERIALIZED (
      SELECT l.*,
             l.lost_now AND (l.review IS NULL OR l.review = 'approved') AS lost,
             CASE WHEN l.won AND l.won_at IS NOT NULL THEN l.won_at
                  WHEN l.lost_now AND coalesce(l.review <> 'rejected', true)
                       AND l.lost_at IS NOT NULL THEN l.lost_at
                  ELSE {as_of} END AS finish,
             coalesce(l.entered, l.created) <= {entry_deadline} AS entered_ok,
             {contact_deadline} AS contact_due
      FROM l1 l {entry_join} {contact_join}
    ),
    t0 AS (
      SELECT l.row, t.at_s, l.grade0, l.finish,
             CAST(t.method AS VARCHAR) AS method, coalesce(g.g, -1) AS g
      FROM (SELECT lead_id, {sec.format('"at"')} AS at_s, method, grade_after FROM touches
            WHERE {sec.format('"at"')} <= {as_of}) t
      JOIN l ON l.lead_id = t.lead_id AND l.valid
      LEFT JOIN grades g ON g.grade = CAST(t.grade_after AS VARCHAR)
    ),
    t1 AS (
      SELECT row, at_s, finish,
             coalesce(last_value(CASE WHEN g >= 0 THEN g END IGNORE NULLS) OVER w, grade0)
               AS grade_now,
             lead(at_s) OVER w AS next_at
      FROM t0
      WINDOW w AS (PARTITION BY row ORDER BY at_s, method, g
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    t2 AS (
      SELECT t1.*, t1.at_s + gr.max_days * {DAY} AS due_from FROM t1
      JOIN grades gr ON gr.g = t1.grade_now
    ),
    t3 AS (
      SELECT t2.row, t2.at_s,
             CASE WHEN t2.due_from < c.end_s THEN t2.due_from ELSE c.next_start END
               <= t2.finish AS is_due,
             t2.next_at IS NOT NULL AND t2.next_at <=
               CASE WHEN t2.due_from < c.end_s THEN t2.due_from ELSE c.next_start END
               AS met
      FROM t2 ASOF LEFT JOIN calendar c ON t2.due_from >= c.start_s
    ),
    per_touch_lead AS (
      SELECT row, min(at_s) AS first_at, count(*) FILTER (WHERE is_due) AS due,
             count(*) FILTER (WHERE is_due AND met) AS on_time
      FROM t3 GROUP BY row
    ),
    per_survey_lead AS (
      SELECT lead_id, bool_and(satisfied) AS satisfied FROM (
        SELECT lead_id, satisfied, {sec.format('"at"')} AS at_s,
               max({sec.format('"at"')}) OVER (PARTITION BY lead_id) AS latest
        FROM surveys WHERE {sec.format('"at"')} <= {as_of})
      WHERE at_s = latest GROUP BY lead_id
    ),
    per_lead AS (
      SELECT l.key, l.valid, l.won, l.lost, l.entered_ok,
             p.first_at IS NOT NULL OR l.contact_due <= {as_of} AS contacts_due,
             p.first_at IS NOT NULL AND p.first_at <= l.contact_due AS contact_on_time,
             coalesce(p.due, 0) AS due, coalesce(p.on_time, 0) AS on_time,
             l.entered_ok
               AND (NOT (p.first_at IS NOT NULL OR l.contact_due <= {as_of})
                    OR coalesce(p.first_at <= l.contact_due, false))
               AND coalesce(p.due, 0) = coalesce(p.on_time, 0) AS timely,
             s.satisfied IS NOT NULL AS surveyed, coalesce(s.satisfied, false) AS satisfied,
             CASE WHEN p.first_at IS NOT NULL
                  THEN greatest((p.first_at - l.contact_start) // 60, 0) END AS minutes
      FROM l LEFT JOIN per_touch_lead p ON p.row = l.row
             LEFT JOIN per_survey_lead s ON s.lead_id = l.lead_id
    )
    SELECT key,
           count(*) FILTER (WHERE valid) AS leads, count(*) FILTER (WHERE NOT valid) AS invalid,
           count(*) FILTER (WHERE valid AND won) AS won,
           count(*) FILTER (WHERE valid AND lost) AS lost,
           count(*) FILTER (WHERE valid AND entered_ok) AS entered_on_time,
           count(*) FILTER (WHERE valid AND contacts_due) AS first_contacts_due,
           count(*) FILTER (WHERE valid AND contact_on_time) AS first_contact_on_time,
           coalesce(sum(due) FILTER (WHERE valid), 0) AS follow_ups_due,
           coalesce(sum(on_time) FILTER (WHERE valid), 0) AS follow_ups_on_time,
           count(*) FILTER (WHERE valid AND timely) AS timely_leads,
           count(*) FILTER (WHERE valid AND surveyed) AS surveyed,
           count(*) FILTER (WHERE valid AND satisfied) AS satisfied,
           quantile_disc(minutes, 0.5) FILTER (WHERE valid) AS first_contact_minutes_p50,
           quantile_disc(minutes, 0.9) FILTER (WHERE valid) AS first_contact_minutes_p90
    FROM per_lead GROUP BY key ORDER BY key NULLS LAST
    """
    out = con.execute(sql).df()
    for name in COUNTS:
        out[name] = out[name].astype(np.int64)
    for name in PERCENTILES:
        out[name] = out[name].astype(np.float64)
    if by:
        out = out.rename(columns={"key": by})
        out[by] = pd.Series([None if v is None or v != v else str(v) for v in out[by]],
                            dtype=object)
    else:
        out = out.drop(columns="key")
    return _finish(out, by)


# --- comparing -----------------------------------------------------------------------------

def differences(ours: pd.DataFrame, theirs: pd.DataFrame, by: str | None,
                tolerance: float = 1e-12) -> list[str]:
    """Where two KPI tables differ: counts and percentiles exactly, rates within `tolerance`,
    group keys and their order exactly. Empty when they agree."""
    problems: list[str] = []
    if len(ours) != len(theirs):
        return [f"{len(ours)} groups against {len(theirs)}"]
    if by:
        a = [None if v is None or v != v else str(v) for v in ours[by]]
        b = [None if v is None or v != v else str(v) for v in theirs[by]]
        if a != b:
            first = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
            return [f"group {first}: {a[first]!r} against {b[first]!r}"]
    for name in leadkit.KPI_COLUMNS:
        x = ours[name].to_numpy(dtype=np.float64)
        y = theirs[name].to_numpy(dtype=np.float64)
        both_nan = np.isnan(x) & np.isnan(y)
        if name in RATES:
            bad = ~both_nan & ~(np.abs(x - y) <= tolerance)
        else:
            bad = ~both_nan & (x != y)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            label = ours[by].iloc[i] if by else "all"
            problems.append(f"{name} in group {label!r}: {float(x[i])!r} against "
                            f"{float(y[i])!r} ({int(bad.sum())} groups differ)")
    return problems


def leadkit_kpis(leads, touches, surveys, policy: leadkit.Policy, by: str | None, as_of: int,
                 threads: int) -> pd.DataFrame:
    """leadkit's own call, with as_of as an aware timestamp."""
    when = pd.Timestamp(as_of, unit="s", tz="UTC")
    return leadkit.kpis(leads, touches, policy, surveys=surveys, by=by, as_of=when,
                        threads=threads)
