"""Charts for notebooks and the report: each function returns a matplotlib Figure.

    >>> import leadkit, leadkit.plot, leadkit.synth
    >>> data = leadkit.synth.generate(leads=500, seed=3)
    >>> policy = leadkit.Policy.preset("abcd")
    >>> fig = leadkit.plot.sales_funnel(leadkit.funnel(data.leads, data.touches, policy))
    >>> fig.axes[0].get_title()
    'grade ever in force'

A chart draws the numbers of one of the library's reports (docs/kpis.md), never its own
version of them; the ``*_counts`` function beside it returns those numbers, so a chart, the
report's JSON and the report function cannot disagree:

=====================================  ==========================  ============================
chart                                  numbers                     from
=====================================  ==========================  ============================
``sales_funnel(table)``                the table                   ``leadkit.funnel``
``pipeline(table)``                    ``pipeline_counts``         ``leadkit.pipeline``
``lost_reasons(leads)``                ``lost_reason_counts``      ``leadkit.lost_analysis``
``traffic(visits, tz)``                ``traffic_counts``          ``leadkit.showroom``
``first_contact(leads, touches, p)``   ``first_contact_minutes``   ``leadkit.lead_kpis``
``activity_funnel(...)``               ``activity_funnel_counts``  ``leadkit.lead_kpis``
``channels(table)``                    the table                   ``leadkit.kpis``
=====================================  ==========================  ============================

``funnel`` and ``funnel_counts`` are the activity funnel under its first names.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frames
from ._messages import text as _text, value as _value
from .reports import _kpis, lead_kpis, lost_analysis, showroom
from ._policy import Policy

_STAGES = ["leads", "contacted", "visited", "test_drive", "won"]
_NONE = "(none)"


def pyplot():
    """matplotlib.pyplot, drawing without a display (the Agg backend) unless a notebook's
    inline backend is in use."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: Families with Chinese glyphs, in order of preference; those installed follow DejaVu Sans in
#: the font list the charts are drawn with (text_style), so Chinese labels are measured with
#: real glyphs. Their text is kept as text in the report's SVG, drawn by the browser's fonts.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "SimHei",
                "Droid Sans Fallback", "AR PL UMing CN")


@lru_cache(maxsize=1)
def cjk_families() -> tuple[str, ...]:
    """The families of CJK_FAMILIES matplotlib can use here. A font installed after
    matplotlib built its font cache is not in it: when none is known, the system's fonts not
    in the cache are added once."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if not any(f.name in CJK_FAMILIES for f in manager.ttflist):
        known = {f.fname for f in manager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    manager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # a file FreeType cannot read is no font for the charts
    names = {f.name for f in manager.ttflist}
    return tuple(f for f in CJK_FAMILIES if f in names)


def text_style() -> dict[str, Any]:
    """matplotlib settings for charts whose text may be Chinese: DejaVu Sans, then the CJK
    families installed (cjk_families), and SVG text kept as text."""
    return {"font.family": ["DejaVu Sans", *cjk_families()], "svg.fonttype": "none"}


def _figure(title: str, size=(6.4, 3.6)):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    ax.set_title(title)
    return fig, ax


def _aware(frame: pd.DataFrame, table: str, column: str, id_column: str,
           tz: str | None) -> pd.Series:
    """Instants (UTC) of a time column, read as every engine reads one (_frames): naive values
    are wall times of `tz`, and an error without it (leadkit never guesses a zone); a value
    that is no time is an error naming its row."""
    spec = _frames.column_spec(frame, column, "instant", table=table,
                               labels=_frames.RowLabels(frame, id_column), tz=tz)
    return _frames.zoned_times(spec[2], "UTC", spec[3])


def _lead_column(frame: pd.DataFrame, column: str, kind: str) -> np.ndarray:
    """A number or true/false column of the leads as the engines read it (_frames): true where
    the value is > 0 (a number) or true; a value of another type is an error naming its row."""
    values, valid = _frames.column_spec(frame, column, kind, table="leads",
                                        labels=_frames.RowLabels(frame, "lead_id"))[2:4]
    values = np.asarray(values, dtype=np.float64)
    present = ~np.isnan(values) if valid is None else valid.astype(bool)
    return present & (np.nan_to_num(values) > 0)


def _instant(value, tz: str | None) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        if tz is None:
            raise ValueError(f"as_of: naive time {stamp.isoformat()}; pass an aware time or tz=")
        stamp = _frames.localize_wall(pd.Series([stamp]), tz).iloc[0]
    return stamp


# --- Funnels ---------------------------------------------------------------------------------


def sales_funnel(table: pd.DataFrame, *, lang: str = "en", grades_as: str = "funnel"):
    """How far leads got, from ``leadkit.funnel(...)`` (docs/kpis.md): one panel per kind in
    the table — ``grade`` (leads that had each grade in force at some instant, in the policy's
    order), then ``sales_stage`` (leads that reached each stage) — with each bar labelled by
    its ``reached`` count and its share of the leads. Groups of ``by`` are added up. Draw a
    table without its ``sales_stage`` rows when the leads record no ``sales_stage``: there
    the stages reached are only the won leads'.

    `lang` is the language of the words (docs/report.md); ``grades_as="distribution"`` draws
    the ``grade`` panel as a distribution — a grade scheme is no ordered sequence of stages,
    so its bars carry their counts and no share of a funnel's top."""
    if not {"kind", "stage", "leads", "reached"} <= set(table.columns):
        raise ValueError("sales_funnel: expected the table of leadkit.funnel(...)")
    sums = table.groupby(["kind", "stage"], sort=False)[["leads", "reached"]].sum()
    kinds = list(dict.fromkeys(sums.index.get_level_values("kind")))
    plt = pyplot()
    fig, axes = plt.subplots(1, max(len(kinds), 1), figsize=(3.6 * max(len(kinds), 1) + 1, 3.6),
                             layout="constrained", squeeze=False)
    distribution = grades_as == "distribution"
    titles = {"grade": _text("chart.grade_distribution" if distribution else
                             "chart.grade_ever", lang),
              "sales_stage": _text("chart.sales_stage", lang)}
    if len(kinds) > 1:
        fig.suptitle(_text("chart.funnel", lang))
    else:  # one panel: its title is the chart's
        titles["sales_stage"] = _text("chart.sales_funnel", lang)
    for ax, kind in zip(axes[0], kinds):
        part = sums.loc[kind]
        reached = part["reached"].to_numpy()
        total = max(int(part["leads"].iloc[0]), 1)
        y = np.arange(len(part))[::-1]
        ax.barh(y, reached, color="#3b6ea8" if kind == "grade" else "#5a9a5a")
        # Stages by their names in `lang`; a funnel policy's grades are the funnel stages.
        field = "sales_stage" if kind == "sales_stage" else "funnel_stage"
        names = [_value(field, s, lang) if lang != "en" else str(s).replace("_", " ")
                 for s in part.index]
        ax.set_yticks(y, names, fontsize=8)
        for yi, value in zip(y, reached):
            label = (f" {value:,}" if distribution and kind == "grade"
                     else f" {value:,} ({value / total:.0%})")
            ax.text(value, yi, label, va="center", fontsize=8)
        ax.set_xlim(0, total * 1.35)
        ax.set_title(titles.get(kind, str(kind)))
        ax.set_xlabel(_text("chart.of_leads", lang, total=f"{total:,}"))
    if not kinds:
        axes[0][0].set_title(_text("chart.no_leads", lang))
    return fig


def activity_funnel_counts(leads: Any, touches: Any = None, visits: Any = None, *,
                           policy: Policy | None = None, as_of=None,
                           tz: str | None = None) -> pd.Series:
    """Leads at each step of their activity: ``leads``; ``contacted`` (a touch); ``visited``
    (a visit naming the lead, or ``store_visits`` > 0); ``test_drive`` (``test_drive`` true);
    ``won``.

    With `policy` (it needs `touches`), the leads are those :func:`leadkit.kpis` counts at
    `as_of` (created by then, not invalid), and ``contacted`` and ``won`` are
    :func:`leadkit.lead_kpis`' (a touch by `as_of`; won at `as_of`): at the same `as_of`,
    ``leads`` and ``won`` are the ``kpis()`` headline's. Visits arriving after `as_of`, when
    given, are ignored. Without a policy, every row of `leads` counts as given: any touch,
    won when ``won_at`` is set or ``status`` is ``won``."""
    frame = _frames.as_frame(leads, "leads")
    ids = _frames.require_ids(frame, "leads", "lead_id")
    n = len(frame)
    if policy is not None:
        if touches is None:
            raise ValueError("activity_funnel_counts: policy= needs the touches")
        facts = lead_kpis(frame, touches, policy, as_of=as_of, tz=tz)
        kept = (facts["counted"] & ~facts["invalid"]).to_numpy(dtype=bool)
        contacted = facts["first_contact_at"].notna().to_numpy()
        won = facts["won"].to_numpy(dtype=bool)
    else:
        kept = np.ones(n, bool)
        contacted = np.zeros(n, bool)
        if touches is not None:
            t = _frames.as_frame(touches, "touches")
            _frames.require_columns(t, "touches", ["lead_id"])
            contacted = ids.isin(t["lead_id"]).to_numpy()
        won = np.zeros(n, bool)
        if "won_at" in frame.columns:
            won |= frame["won_at"].notna().to_numpy()
        if "status" in frame.columns:
            won |= (frame["status"] == "won").to_numpy()
    visited = np.zeros(n, bool)
    if "store_visits" in frame.columns:
        visited |= _lead_column(frame, "store_visits", "number")
    if visits is not None:
        v = _frames.as_frame(visits, "visits")
        if "lead_id" in v.columns:
            if policy is not None and as_of is not None and "arrived_at" in v.columns:
                arrived = _aware(v, "visits", "arrived_at", "visit_id", tz)
                v = v[(arrived <= _instant(as_of, tz)).to_numpy()]
            visited |= ids.isin(v["lead_id"].dropna()).to_numpy()
    test_drive = (_lead_column(frame, "test_drive", "bool")
                  if "test_drive" in frame.columns else np.zeros(n, bool))
    counts = [kept, contacted & kept, visited & kept, test_drive & kept, won & kept]
    return pd.Series([int(c.sum()) for c in counts], index=_STAGES, name="leads")


def _activity_funnel_figure(counts: pd.Series, title: str, lang: str = "en"):
    fig, ax = _figure(title)
    y = np.arange(len(counts))[::-1]
    ax.barh(y, counts.to_numpy(), color="#3b6ea8")
    ax.set_yticks(y, [_value("activity", s, lang) for s in counts.index])
    total = max(int(counts.iloc[0]), 1)
    for yi, value in zip(y, counts.to_numpy()):
        ax.text(value, yi, f" {value:,} ({value / total:.1%})", va="center", fontsize=8)
    ax.set_xlim(0, total * 1.3)
    ax.set_xlabel(_text("chart.leads", lang))
    return fig


def activity_funnel(leads: Any, touches: Any = None, visits: Any = None, *,
                    policy: Policy | None = None, as_of=None, tz: str | None = None,
                    lang: str = "en"):
    """Horizontal bars of :func:`activity_funnel_counts`, each labelled with its share of the
    leads."""
    counts = activity_funnel_counts(leads, touches, visits, policy=policy, as_of=as_of, tz=tz)
    return _activity_funnel_figure(counts, _text("chart.activity_funnel", lang), lang)


def funnel_counts(leads: Any, touches: Any = None, visits: Any = None, *,
                  policy: Policy | None = None, as_of=None, tz: str | None = None) -> pd.Series:
    """The activity funnel's first name: :func:`activity_funnel_counts`."""
    return activity_funnel_counts(leads, touches, visits, policy=policy, as_of=as_of, tz=tz)


def funnel(leads: Any, touches: Any = None, visits: Any = None, *,
           policy: Policy | None = None, as_of=None, tz: str | None = None):
    """The activity funnel's first name: :func:`activity_funnel`, titled "Funnel". The
    grade and sales-stage funnel of ``leadkit.funnel`` is :func:`sales_funnel`."""
    counts = activity_funnel_counts(leads, touches, visits, policy=policy, as_of=as_of, tz=tz)
    return _activity_funnel_figure(counts, _text("chart.funnel"))


# --- Channels --------------------------------------------------------------------------------


def channels(table: pd.DataFrame, *, lang: str = "en"):
    """Leads and conversion rate per channel, from ``leadkit.kpis(..., by="channel")``."""
    if "channel" not in table.columns or "leads" not in table.columns:
        raise ValueError('channels: expected the table of leadkit.kpis(..., by="channel")')
    t = table.sort_values("leads", ascending=False)
    labels = [_value("channel", _frames.scrub(c), lang) if c is not None else
              _text("report.none", lang)
              for c in t["channel"].astype(object).where(t["channel"].notna(), None)]
    fig, ax = _figure(_text("chart.channels", lang), size=(7.2, 3.8))
    x = np.arange(len(t))
    ax.bar(x, t["leads"].to_numpy(), color="#3b6ea8", label=_text("chart.leads", lang))
    ax.set_xticks(x, labels, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel(_text("chart.leads", lang))
    rate = ax.twinx()
    rate.plot(x, 100 * t["conversion_rate"].astype(float).to_numpy(), "o-", color="#d9822b",
              label=_text("chart.conversion_pct", lang))
    rate.set_ylabel(_text("chart.conversion_pct", lang))
    rate.set_ylim(bottom=0)
    return fig


# --- First contact ---------------------------------------------------------------------------


def first_contact_minutes(leads: Any, touches: Any, policy: Policy, *, as_of=None,
                          tz: str | None = None, dealers: Any = None) -> pd.DataFrame:
    """Per lead contacted by `as_of`, as :func:`leadkit.lead_kpis` gives it (created by
    `as_of`, not invalid, with a touch by then), in input order:

    - ``lead_id``;
    - ``business_minutes``: whole minutes of the lead's calendar's open time from its
      ``first_contact_start`` to its ``first_contact_at`` (0 when the touch came first);
    - ``sla_minutes``: the same measure from the start to the lead's ``first_contact_due_at``,
      the cadence's deadline (60 for every lead under the presets' one business hour);
    - ``on_time``: ``first_contact_on_time``, the earliest touch at or before the deadline.

    The lead's calendar is the policy's, or with `dealers` and its ``calendar`` column its
    dealer's (docs/policy.md, "Calendars per dealer")."""
    facts = _kpis.lead_kpis_with_minutes(leads, touches, policy, as_of=as_of, tz=tz, dealers=dealers)
    facts = facts[facts["first_contact_at"].notna()].reset_index(drop=True)
    return pd.DataFrame({"lead_id": facts["lead_id"].to_numpy(dtype=object),
                         "business_minutes": facts["business_minutes"].to_numpy(dtype=np.int64),
                         "sla_minutes": facts["sla_minutes"].to_numpy(dtype=np.int64),
                         "on_time": facts["first_contact_on_time"].to_numpy(dtype=bool)})


def sla_line(minutes: pd.DataFrame) -> int | None:
    """The SLA to mark on the chart, in business minutes: the median (nearest rank) of
    ``sla_minutes`` — the SLA itself when it runs on the business clock, as in the presets,
    where every lead has the same value. None without a contacted lead. C++'s ``NearestRank``
    at 0.5, as the KPI engine takes first_contact_minutes_p50 (docs/kpis.md)."""
    (median,) = _core.nearest_rank(minutes["sla_minutes"].to_numpy(dtype=np.int64), [0.5])
    return None if math.isnan(median) else int(median)


def first_contact(leads: Any, touches: Any, policy: Policy, *, as_of=None,
                  tz: str | None = None, dealers: Any = None, lang: str = "en"):
    """Distribution of :func:`first_contact_minutes`, with the SLA marked and the share of
    contacted leads reached after their deadline."""
    data = first_contact_minutes(leads, touches, policy, as_of=as_of, tz=tz, dealers=dealers)
    sla = sla_line(data)
    fig, ax = _figure(_text("chart.first_contact", lang))
    values = data["business_minutes"].to_numpy()
    floor = max(sla or 0, 1) * 4
    top = floor if len(values) == 0 else max(floor, int(np.percentile(values, 95)), 1)
    bins = np.linspace(0, top, 41)
    ax.hist(np.clip(values, 0, top), bins=bins, color="#3b6ea8")
    late = float((~data["on_time"]).mean()) if len(data) else 0.0
    if sla is not None:
        ax.axvline(sla, color="#c23b22", linestyle="--",
                   label=_text("chart.sla", lang, sla=f"{sla:,}"))
        ax.legend(title=_text("chart.after_sla", lang, share=f"{late:.1%}"), fontsize=8)
    ax.set_xlabel(_text("chart.first_contact_x", lang, top=f"{top:,}"))
    ax.set_ylabel(_text("chart.leads", lang))
    return fig


# --- Pipeline --------------------------------------------------------------------------------


def pipeline_counts(table: pd.DataFrame) -> pd.Series:
    """Open leads per grade, from the table of ``leadkit.pipeline(...)``: its ``open_leads``,
    every grade in the policy's order (groups of ``by`` added up).

    The table of ``leadkit.kpis(..., by="current_grade")`` is still read, as before, as
    ``leads − won − lost`` per current grade; that counts leads lost with their review
    pending as open, where ``leadkit.pipeline`` closes them (docs/kpis.md, "Compared with
    kpis")."""
    if {"grade", "open_leads"} <= set(table.columns):
        sums = table.groupby("grade", sort=False)["open_leads"].sum()
        return pd.Series(sums.to_numpy(dtype="int64"),
                         index=pd.Index(sums.index, dtype=object, name="grade"),
                         name="open_leads")
    if {"current_grade", "leads", "won", "lost"} <= set(table.columns):
        open_ = table["leads"] - table["won"] - table["lost"]
        return pd.Series(open_.to_numpy(), index=table["current_grade"].fillna(_NONE),
                         name="open_leads")
    raise ValueError("pipeline: expected the table of leadkit.pipeline(...) "
                     '(or of leadkit.kpis(..., by="current_grade"))')


def pipeline(table: pd.DataFrame, *, lang: str = "en"):
    """Open leads by grade: bars of :func:`pipeline_counts`."""
    counts = pipeline_counts(table)
    fig, ax = _figure(_text("chart.pipeline", lang))
    ax.bar([_value("funnel_stage", g, lang) for g in counts.index.astype(str)],
           counts.to_numpy(), color="#5a9a5a")
    ax.set_ylabel(_text("chart.open_leads", lang))
    return fig


# --- Lost reasons ----------------------------------------------------------------------------


def lost_reason_counts(leads: Any, *, scope=None, dealers: Any = None,
                       as_of=None) -> pd.Series:
    """Lost leads per ``lost_reason``: the ``lost`` column of
    ``leadkit.lost_analysis(leads, by=None)`` — leads with status ``lost``, whatever their
    review; a null reason is labelled ``(none)``. Most first; equal counts in the report's
    order (by reason, ``(none)`` last). Lost by `as_of` (default: the latest timestamp)."""
    table = lost_analysis(leads, by=None, scope=scope, dealers=dealers, as_of=as_of)
    reasons = table["lost_reason"].astype(object).where(table["lost_reason"].notna(), _NONE)
    counts = pd.Series(table["lost"].to_numpy(dtype="int64"),
                       index=pd.Index(reasons, dtype=object, name="lost_reason"),
                       name="lost_leads")
    return counts.sort_values(ascending=False, kind="stable")


def lost_reasons(leads: Any, *, scope=None, dealers: Any = None, as_of=None,
                 lang: str = "en"):
    """Lost leads per reason: bars of :func:`lost_reason_counts`, each reason scrubbed of the
    personal data typed into it (docs/report.md)."""
    counts = lost_reason_counts(leads, scope=scope, dealers=dealers, as_of=as_of)
    fig, ax = _figure(_text("chart.lost_reasons", lang))
    y = np.arange(len(counts))[::-1]
    ax.barh(y, counts.to_numpy(), color="#a84b3b")
    names = [_text("report.none", lang) if s == _NONE else _frames.scrub(s).replace("_", " ")
             for s in counts.index]
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel(_text("chart.lost_leads", lang))
    return fig


# --- Showroom traffic ------------------------------------------------------------------------


def traffic_counts(visits: Any, tz: str | None = None, *, scope=None,
                   dealers: Any = None, as_of=None) -> pd.DataFrame:
    """Showroom visits per local hour of arrival, every hour 0–23: ``visits`` and
    ``with_contact`` of ``leadkit.showroom(visits, by="hour", tz=tz)``, then ``with_lead``
    (the same as ``with_contact``: visits naming a lead) and ``walk_in`` (the others).
    Hours are local to `tz`, else to the zone of ``arrived_at``; naive times need `tz`.
    Visits by `as_of` (default: the latest timestamp)."""
    table = showroom(visits, by="hour", tz=tz, scope=scope, dealers=dealers, as_of=as_of)
    hours = pd.RangeIndex(24, name="hour")
    per_hour = table.set_index("hour")[["visits", "with_contact"]].reindex(hours, fill_value=0)
    out = pd.DataFrame({"hour": np.arange(24),
                        "visits": per_hour["visits"].to_numpy(dtype="int64"),
                        "with_contact": per_hour["with_contact"].to_numpy(dtype="int64")})
    out["with_lead"] = out["with_contact"]
    out["walk_in"] = out["visits"] - out["with_contact"]
    return out


def traffic(visits: Any, tz: str | None = None, *, scope=None, dealers: Any = None,
            as_of=None, lang: str = "en"):
    """Showroom traffic by hour of arrival, split by whether the visitor left contact details
    (:func:`traffic_counts`)."""
    counts = traffic_counts(visits, tz, scope=scope, dealers=dealers, as_of=as_of)
    fig, ax = _figure(_text("chart.traffic", lang))
    ax.bar(counts["hour"], counts["with_contact"], color="#3b6ea8",
           label=_text("chart.with_contact", lang))
    ax.bar(counts["hour"], counts["walk_in"], bottom=counts["with_contact"], color="#b0b8c4",
           label=_text("chart.without", lang))
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel(_text("chart.hour", lang))
    ax.set_ylabel(_text("chart.visits", lang))
    ax.legend(fontsize=8)
    return fig
