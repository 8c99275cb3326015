"""A plain, readable implementation of docs/kpis.md for the presets, lead by lead in Python:
the test oracle beside the hand-worked examples. Deadlines use leadkit.Calendar (tested on its
own) and the presets' SLAs: entry within 24 h (calendar clock; landing in closed time, the
closing of the next open day), first contact within 1 hour (business clock), follow-ups due by
the closing of the first open day on or after the touch's date + the interval."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

import leadkit

DAY = dt.timedelta(days=1)


def _get(row, column):
    value = row.get(column)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def _closing_of_open_day(cal, day: dt.date, zone: str) -> pd.Timestamp:
    """The closing time of the first day on or after `day` with open hours."""
    while not cal.is_workday(day):
        day += DAY
    midnight = pd.Timestamp(day).tz_localize(zone).to_pydatetime()
    open_time = cal.business_between(midnight, midnight + DAY)  # zones without DST here
    return cal.add_business(cal.next_open(midnight), open_time)


def _entry_due(cal, created: pd.Timestamp, zone: str) -> pd.Timestamp:
    due = created + DAY
    if cal.is_open(due.to_pydatetime()) or cal.is_open((due - dt.timedelta(seconds=1)).to_pydatetime()):
        return due
    reopens = pd.Timestamp(cal.next_open(due.to_pydatetime())).tz_convert(zone)
    return _closing_of_open_day(cal, reopens.date(), zone)


def reference_kpis(leads: pd.DataFrame, touches: pd.DataFrame, surveys: pd.DataFrame | None,
                   policy: leadkit.Policy, as_of: pd.Timestamp, by=()) -> pd.DataFrame:
    cal = leadkit.Calendar.preset(policy.calendar_name)
    zone = policy.time_zone
    intervals = policy.follow_up_days
    initial = dict(zip(leads["lead_id"], leadkit.classify(leads, policy)["grade"].astype(str)))
    groups: dict[tuple, dict] = {}

    for row in leads.to_dict("records"):
        created = row["created_at"]
        if created > as_of:
            continue
        grade = _get(row, "grade") or initial[row["lead_id"]]
        mine = touches[(touches["lead_id"] == row["lead_id"]) & (touches["at"] <= as_of)]
        # The cadence's touch order (docs/kpis.md): by time; at equal times by method name,
        # then by grade_after in the policy's order, unchanged first.
        rank = (mine["grade_after"].map(lambda g: policy.grades.index(g) if isinstance(g, str)
                                        else -1)
                if "grade_after" in mine else -1)
        mine = mine.assign(_rank=rank).sort_values(["at", "method", "_rank"], kind="stable")
        current = grade
        for g in (mine["grade_after"] if "grade_after" in mine else []):
            if isinstance(g, str):
                current = g
        key = []
        for name in by:
            if name == "month":
                key.append(created.tz_convert(zone).strftime("%Y-%m"))
            elif name == "week":
                year, week, _ = created.tz_convert(zone).isocalendar()
                key.append(f"{year:04d}-W{week:02d}")
            elif name == "grade":
                key.append(grade)
            elif name == "current_grade":
                key.append(current)
            else:
                key.append(_get(row, name))
        g = groups.setdefault(tuple(key), {
            "leads": 0, "invalid": 0, "won": 0, "lost": 0, "entered_on_time": 0,
            "first_contacts_due": 0, "first_contact_on_time": 0, "follow_ups_due": 0,
            "follow_ups_on_time": 0, "timely_leads": 0, "surveyed": 0, "satisfied": 0,
            "minutes": []})
        status = _get(row, "status") or "open"
        if status == "invalid":
            g["invalid"] += 1
            continue
        g["leads"] += 1
        won_at, lost_at = _get(row, "won_at"), _get(row, "lost_at")
        review = _get(row, "lost_review")
        won = status == "won" and (won_at is None or won_at <= as_of)
        lost_now = status == "lost" and (lost_at is None or lost_at <= as_of)
        g["won"] += won
        g["lost"] += lost_now and review in (None, "approved")
        end = as_of
        if won and won_at is not None:
            end = won_at
        if lost_now and review != "rejected" and lost_at is not None:
            end = lost_at

        entered = _get(row, "entered_at") or created
        entered_ok = entered <= _entry_due(cal, created, zone)
        g["entered_on_time"] += entered_ok

        start = _get(row, "assigned_at") or created
        contact_due = cal.add_business(start.to_pydatetime(), dt.timedelta(hours=1))
        times = list(mine["at"])
        if times:
            first = times[0]
            due, on_time = True, first <= contact_due
            g["minutes"].append(max(0, int((first - start).total_seconds() // 60)))
        else:
            due, on_time = contact_due <= as_of, False
        g["first_contacts_due"] += due
        g["first_contact_on_time"] += on_time

        all_on_time = True
        grade_now = grade
        for i, t in enumerate(mine.itertuples()):
            if isinstance(getattr(t, "grade_after", None), str):
                grade_now = t.grade_after
            if grade_now not in intervals:
                continue
            day = t.at.tz_convert(zone).date() + DAY * intervals[grade_now][1]
            deadline = _closing_of_open_day(cal, day, zone)
            if deadline > end:
                continue
            g["follow_ups_due"] += 1
            met = i + 1 < len(times) and times[i + 1] <= deadline
            g["follow_ups_on_time"] += met
            all_on_time &= met
        g["timely_leads"] += entered_ok and (not due or on_time) and all_on_time

        if surveys is not None:
            said = surveys[(surveys["lead_id"] == row["lead_id"]) & (surveys["at"] <= as_of)]
            if len(said):
                latest = said[said["at"] == said["at"].max()]
                g["surveyed"] += 1
                g["satisfied"] += bool(latest["satisfied"].all())

    rows = []
    for key in sorted(groups, key=lambda k: [(v is None, v or "") for v in k]):
        g = groups[key]
        minutes = sorted(g.pop("minutes"))

        def rate(a, b):
            return a / b if b else math.nan

        def rank(q):
            return float(minutes[max(math.ceil(q * len(minutes)), 1) - 1]) if minutes else math.nan

        rows.append({**dict(zip(by, key)), **g,
                     "conversion_rate": rate(g["won"], g["leads"]),
                     "entry_timeliness_rate": rate(g["entered_on_time"], g["leads"]),
                     "first_contact_timeliness_rate": rate(g["first_contact_on_time"],
                                                           g["first_contacts_due"]),
                     "follow_up_timeliness_rate": rate(g["follow_ups_on_time"], g["follow_ups_due"]),
                     "timeliness_rate": rate(g["timely_leads"], g["leads"]),
                     "satisfaction_rate": rate(g["satisfied"], g["surveyed"]),
                     "first_contact_minutes_p50": rank(0.5),
                     "first_contact_minutes_p90": rank(0.9)})
    frame = pd.DataFrame(rows, columns=[*by, *leadkit.KPI_COLUMNS])
    for name in by:  # group keys as leadkit returns them: objects, None for the null group
        frame[name] = pd.Series([r[name] for r in rows], dtype=object)
    return frame
