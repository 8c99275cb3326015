"""Charts for notebooks and the report: each function returns a matplotlib Figure.

    >>> import leadkit, leadkit.plot, leadkit.synth
    >>> data = leadkit.synth.generate(leads=500, seed=3)
    >>> fig = leadkit.plot.funnel(data.leads, data.touches, data.visits)
    >>> fig.axes[0].get_title()
    'Funnel'

The numbers behind each chart come from the ``*_counts`` functions beside it, so a report's
JSON and its pictures cannot disagree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _frames
from ._policy import Policy

_STAGES = ["leads", "contacted", "visited", "test_drive", "won"]


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure(title: str, size=(6.4, 3.6)):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    ax.set_title(title)
    return fig, ax


def funnel_counts(leads: Any, touches: Any = None, visits: Any = None) -> pd.Series:
    """Leads at each stage: all, contacted (a touch), visited the showroom (a visit with the
    lead's id, or ``store_visits`` > 0), took a test drive, won (``won_at`` set or ``status``
    ``won``)."""
    frame = _frames.as_frame(leads, "leads")
    ids = _frames.require_ids(frame, "leads", "lead_id")
    contacted = np.zeros(len(frame), bool)
    if touches is not None:
        t = _frames.as_frame(touches, "touches")
        _frames.require_columns(t, "touches", ["lead_id"])
        contacted = ids.isin(t["lead_id"]).to_numpy()
    visited = np.zeros(len(frame), bool)
    if "store_visits" in frame.columns:
        visited |= (pd.to_numeric(frame["store_visits"], errors="coerce").fillna(0) > 0).to_numpy()
    if visits is not None:
        v = _frames.as_frame(visits, "visits")
        if "lead_id" in v.columns:
            visited |= ids.isin(v["lead_id"].dropna()).to_numpy()
    test_drive = (frame["test_drive"].fillna(False).astype(bool).to_numpy()
                  if "test_drive" in frame.columns else np.zeros(len(frame), bool))
    won = np.zeros(len(frame), bool)
    if "won_at" in frame.columns:
        won |= frame["won_at"].notna().to_numpy()
    if "status" in frame.columns:
        won |= (frame["status"] == "won").to_numpy()
    counts = [len(frame), contacted.sum(), visited.sum(), test_drive.sum(), won.sum()]
    return pd.Series([int(c) for c in counts], index=_STAGES, name="leads")


def funnel(leads: Any, touches: Any = None, visits: Any = None):
    """Horizontal bars of :func:`funnel_counts`, each labelled with its share of all leads."""
    counts = funnel_counts(leads, touches, visits)
    fig, ax = _figure("Funnel")
    y = np.arange(len(counts))[::-1]
    ax.barh(y, counts.to_numpy(), color="#3b6ea8")
    ax.set_yticks(y, [s.replace("_", " ") for s in counts.index])
    total = max(int(counts.iloc[0]), 1)
    for yi, value in zip(y, counts.to_numpy()):
        ax.text(value, yi, f" {value:,} ({value / total:.1%})", va="center", fontsize=8)
    ax.set_xlim(0, total * 1.3)
    ax.set_xlabel("leads")
    return fig


def channels(table: pd.DataFrame):
    """Leads and conversion rate per channel, from ``leadkit.kpis(..., by="channel")``."""
    if "channel" not in table.columns or "leads" not in table.columns:
        raise ValueError('channels: expected the table of leadkit.kpis(..., by="channel")')
    t = table.sort_values("leads", ascending=False)
    labels = t["channel"].fillna("(none)").astype(str).to_numpy()
    fig, ax = _figure("Leads and conversion by channel", size=(7.2, 3.8))
    x = np.arange(len(t))
    ax.bar(x, t["leads"].to_numpy(), color="#3b6ea8", label="leads")
    ax.set_xticks(x, labels, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("leads")
    rate = ax.twinx()
    rate.plot(x, 100 * t["conversion_rate"].astype(float).to_numpy(), "o-", color="#d9822b",
              label="conversion %")
    rate.set_ylabel("conversion %")
    rate.set_ylim(bottom=0)
    return fig


def first_contact_minutes(leads: Any, touches: Any, policy: Policy) -> pd.DataFrame:
    """Per lead with a touch: ``lead_id`` and ``business_minutes`` from the first-contact
    start (``assigned_at``, else ``created_at``) to the earliest touch on the policy's
    calendar (0 when the touch came first), and ``sla_minutes`` (the policy's first-contact
    SLA in business minutes)."""
    frame = _frames.as_frame(leads, "leads")
    _frames.require_ids(frame, "leads", "lead_id")
    _frames.require_columns(frame, "leads", ["created_at"])
    t = _frames.as_frame(touches, "touches")
    _frames.require_columns(t, "touches", ["lead_id", "at"])
    zone = policy.time_zone
    first = t.groupby("lead_id", sort=False)["at"].min()
    start = frame["created_at"]
    if "assigned_at" in frame.columns:
        start = frame["assigned_at"].where(frame["assigned_at"].notna(), start)
    joined = pd.DataFrame({"lead_id": frame["lead_id"].to_numpy(),
                           "start": _aware(start, zone)})
    joined["first"] = _aware(joined["lead_id"].map(first), zone)
    joined = joined[joined["first"].notna() & joined["start"].notna()].reset_index(drop=True)
    calendar = policy.calendar()
    ends = joined["first"].where(joined["first"] > joined["start"], joined["start"])
    spent = calendar.business_between_many(joined["start"], ends)
    minutes = (pd.to_timedelta(spent).dt.total_seconds() // 60).astype("int64")
    sla = _first_contact_sla_minutes(policy)
    return pd.DataFrame({"lead_id": joined["lead_id"], "business_minutes": minutes.to_numpy(),
                         "sla_minutes": sla})


def _aware(values: pd.Series, zone: str) -> pd.Series:
    times = pd.to_datetime(values, errors="raise", utc=False)
    if getattr(times.dt, "tz", None) is None:
        return _frames.localize_wall(times, zone)
    return times


def _first_contact_sla_minutes(policy: Policy) -> int:
    import json

    sla = json.loads(policy.to_json()).get("cadence", {}).get("first_contact_sla", {})
    return int(sla.get("hours", 0) * 60 + sla.get("minutes", 0))


def first_contact(leads: Any, touches: Any, policy: Policy):
    """Distribution of business minutes to first contact, with the SLA marked."""
    data = first_contact_minutes(leads, touches, policy)
    sla = _first_contact_sla_minutes(policy)
    fig, ax = _figure("Time to first contact (business minutes)")
    values = data["business_minutes"].to_numpy()
    top = max(sla * 4, 1) if len(values) == 0 else max(sla * 4, int(np.percentile(values, 95)), 1)
    bins = np.linspace(0, top, 41)
    ax.hist(np.clip(values, 0, top), bins=bins, color="#3b6ea8")
    ax.axvline(sla, color="#c23b22", linestyle="--", label=f"SLA {sla} min")
    late = float((values > sla).mean()) if len(values) else 0.0
    ax.legend(title=f"{late:.1%} after the SLA", fontsize=8)
    ax.set_xlabel(f"business minutes (values above {top} drawn at {top})")
    ax.set_ylabel("leads")
    return fig


def pipeline(table: pd.DataFrame):
    """Open leads by current grade, from ``leadkit.kpis(..., by="current_grade")``."""
    if "current_grade" not in table.columns:
        raise ValueError('pipeline: expected the table of leadkit.kpis(..., by="current_grade")')
    counts = pipeline_counts(table)
    fig, ax = _figure("Open pipeline by current grade")
    ax.bar(counts.index.astype(str), counts.to_numpy(), color="#5a9a5a")
    ax.set_ylabel("open leads")
    return fig


def pipeline_counts(table: pd.DataFrame) -> pd.Series:
    """Open leads per current grade: ``leads`` (which already leaves out invalid ones) less
    ``won`` and ``lost``."""
    open_ = table["leads"] - table["won"] - table["lost"]
    return pd.Series(open_.to_numpy(), index=table["current_grade"].fillna("(none)"),
                     name="open_leads")


def lost_reason_counts(leads: Any) -> pd.Series:
    frame = _frames.as_frame(leads, "leads")
    if "lost_reason" not in frame.columns:
        return pd.Series([], dtype="int64", name="lost_leads")
    return frame["lost_reason"].dropna().astype(str).value_counts().rename("lost_leads")


def lost_reasons(leads: Any):
    """Lost leads per reason."""
    counts = lost_reason_counts(leads)
    fig, ax = _figure("Lost reasons")
    y = np.arange(len(counts))[::-1]
    ax.barh(y, counts.to_numpy(), color="#a84b3b")
    ax.set_yticks(y, [s.replace("_", " ") for s in counts.index], fontsize=8)
    ax.set_xlabel("lost leads")
    return fig


def traffic_counts(visits: Any, tz: str | None = None) -> pd.DataFrame:
    """Showroom visits per local hour of arrival: ``hour``, ``with_lead`` (visits with a lead
    id) and ``walk_in`` (without)."""
    frame = _frames.as_frame(visits, "visits")
    _frames.require_columns(frame, "visits", ["arrived_at"])
    arrived = pd.to_datetime(frame["arrived_at"], errors="raise")
    if tz is not None and arrived.dt.tz is not None:
        arrived = arrived.dt.tz_convert(tz)
    hour = arrived.dt.hour
    has_lead = frame["lead_id"].notna() if "lead_id" in frame.columns else pd.Series(False, frame.index)
    out = pd.DataFrame({"hour": np.arange(24)})
    out["with_lead"] = hour[has_lead].value_counts().reindex(out["hour"], fill_value=0).to_numpy()
    out["walk_in"] = hour[~has_lead].value_counts().reindex(out["hour"], fill_value=0).to_numpy()
    return out


def traffic(visits: Any, tz: str | None = None):
    """Showroom traffic by hour of arrival, split by whether the visitor left contact details
    (a lead id) or not."""
    counts = traffic_counts(visits, tz)
    fig, ax = _figure("Showroom traffic by hour")
    ax.bar(counts["hour"], counts["with_lead"], color="#3b6ea8", label="with contact details")
    ax.bar(counts["hour"], counts["walk_in"], bottom=counts["with_lead"], color="#b0b8c4",
           label="without")
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("hour of arrival")
    ax.set_ylabel("visits")
    ax.legend(fontsize=8)
    return fig
