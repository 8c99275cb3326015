"""The analyst's report: headline KPIs, breakdown tables, overdue follow-ups and charts, as one
self-contained HTML file (charts embedded as PNG; no network needed to view it) and as JSON
with the same numbers.

    report = leadkit.report.build(leads, touches, policy, surveys=..., visits=...)
    report.write_html("report.html"); report.write_json("report.json")

The ``leadkit report`` command wraps this (docs/report.md).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from . import _core, _frames, plot
from ._files import write_atomically as _write_atomically
from ._policy import Policy
from ._schedule import schedule
from ._scope import Scope
from .reports import funnel, pipeline
from .reports._kpis import frame_of, kpis, state_for

_BREAKDOWNS = {"channel": "channel", "consultant": "consultant_id", "dealer": "dealer_id",
               "month": "month"}
_TABLE_COLUMNS = ["leads", "won", "lost", "conversion_rate", "first_contact_timeliness_rate",
                  "follow_up_timeliness_rate", "timeliness_rate", "satisfaction_rate",
                  "first_contact_minutes_p50"]
_OVERDUE_ROWS = 50

# Per table: the columns of docs/data.md it has, and those the report reads (required, then
# optional; the leads' also the fields the policy's rules read). A column the report reads
# that is missing while an unknown column is within two edits of its name is a mistake.
_CONTRACT = {
    "touches": ["lead_id", "at", "method", "consultant_id", "grade_after"],
    "surveys": ["lead_id", "at", "satisfied"],
    "visits": ["visit_id", "dealer_id", "arrived_at", "left_at", "lead_id", "consultant_id",
               "effective", "model"],
}
_READS = {
    "leads": (["lead_id", "created_at", "channel"],
              ["entered_at", "dealer_id", "consultant_id", "assigned_at", "model",
               "birthday", "grade", "status", "won_at", "delivered_at", "lost_at",
               "lost_reason", "lost_review", "sales_stage", "store_visits", "test_drive"]),
    "touches": (["lead_id", "at", "method"], ["consultant_id", "grade_after"]),
    "surveys": (["lead_id", "at", "satisfied"], []),
    "visits": (["visit_id", "dealer_id", "arrived_at"],
               ["left_at", "lead_id", "consultant_id", "effective", "model"]),
}
_NEAR_MISS_EDITS = 2


class Steps:
    """Reports each step on a stream (stderr by default), so a long run is never silent: on a
    terminal, one progress bar redrawn in place; elsewhere (a log file, a pipe), one line per
    step with the time it took. ``Steps(None)`` is quiet."""

    WIDTH = 24

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.began = time.perf_counter()
        self.live = stream is not None and getattr(stream, "isatty", lambda: False)()

    def _bar(self, finished: int, label: str) -> str:
        filled = self.WIDTH * finished // self.total
        elapsed = time.perf_counter() - self.began
        return (f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {finished}/{self.total} "
                f"{elapsed:5.1f} s  {label:<48.48}")

    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        self.done += 1
        began = time.perf_counter()
        if self.live:
            self.stream.write(self._bar(self.done - 1, label + " ..."))
        elif self.stream is not None:
            self.stream.write(f"[{self.done}/{self.total}] {label} ...")
        if self.stream is not None:
            self.stream.flush()
        result = fn()
        if self.live:
            last = self.done == self.total
            self.stream.write(self._bar(self.done, "done" if last else label)
                              + ("\n" if last else ""))
        elif self.stream is not None:
            self.stream.write(f" {time.perf_counter() - began:.1f} s\n")
        if self.stream is not None:
            self.stream.flush()
        return result


@dataclass
class Report:
    """What :func:`build` computed. ``headline`` is the one-row KPI table; ``tables`` the
    breakdowns by channel, consultant, dealer and month; ``overdue`` the overdue follow-ups,
    most overdue first; ``charts`` the data behind each chart; ``figures`` the matplotlib
    figures."""

    policy: str
    as_of: pd.Timestamp
    scope: str
    headline: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    overdue: pd.DataFrame
    overdue_total: int
    charts: dict[str, Any]
    figures: dict[str, Any] = field(repr=False)

    def to_dict(self) -> dict:
        return {
            "policy": self.policy,
            "as_of": self.as_of.isoformat(),
            "scope": self.scope,
            "headline": _records(self.headline)[0],
            "tables": {name: _records(t) for name, t in self.tables.items()},
            "overdue_total": self.overdue_total,
            "overdue": _records(self.overdue),
            "charts": {name: _chart_json(data) for name, data in self.charts.items()},
        }

    def write_json(self, path: str) -> None:
        _write_atomically(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1))

    def write_html(self, path: str) -> None:
        _write_atomically(path, self.html())

    def html(self) -> str:
        head = self.headline.iloc[0]
        cards = "".join(
            f'<div class="card"><div class="v">{_cell(head[c], c)}</div>'
            f'<div class="k">{html.escape(c.replace("_", " "))}</div></div>'
            for c in ["leads", "won", "conversion_rate", "first_contact_timeliness_rate",
                      "follow_up_timeliness_rate", "timeliness_rate", "satisfaction_rate",
                      "first_contact_minutes_p50"])
        charts = "".join(
            f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{_png(fig)}">'
            f"</figure>" for name, fig in self.figures.items())
        tables = "".join(
            f"<h2>By {html.escape(name)}</h2>{_table(t)}" for name, t in self.tables.items())
        overdue = (f"<h2>Overdue follow-ups ({self.overdue_total:,}; the "
                   f"{len(self.overdue)} most overdue)</h2>{_table(self.overdue)}")
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>leadkit report</title>"
            f"<style>{_CSS}</style></head><body><h1>leadkit report</h1>"
            f"<p class='meta'>policy {html.escape(self.policy)} · as of "
            f"{html.escape(self.as_of.isoformat())} · scope {html.escape(self.scope)}</p>"
            f"<div class='cards'>{cards}</div><div class='charts'>{charts}</div>{tables}"
            f"{overdue}</body></html>")


_CSS = ("body{font:14px system-ui,sans-serif;margin:24px;color:#222}"
        ".cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ccd;"
        "border-radius:6px;padding:8px 14px;min-width:120px}.v{font-size:22px;font-weight:600}"
        ".k{color:#667;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:8px}"
        "img{max-width:640px}table{border-collapse:collapse;font-size:12px}"
        "td,th{border-bottom:1px solid #dde;padding:3px 8px;text-align:right}"
        "th{background:#f3f4f8}.meta{color:#667}")


def _cell(value, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "–"
    if column.endswith("_rate"):
        return f"{float(value):.1%}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) or hasattr(value, "item") and isinstance(value.item(), int):
        return f"{int(value):,}"
    return html.escape(_frames.scrub(value))


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(v, c)}</td>" for c, v in zip(frame.columns, row)) + "</tr>"
        for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{rows}</table>"


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    plot.pyplot().close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plain(value):
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return _frames.scrub(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{c: _plain(v) for c, v in zip(frame.columns, row)}
            for row in frame.itertuples(index=False)]


def _chart_json(data):
    if isinstance(data, pd.Series):
        return {_frames.scrub(k): _plain(v) for k, v in data.items()}
    if isinstance(data, pd.DataFrame):
        return _records(data)
    return data


def _first_contact_summary(minutes: pd.DataFrame) -> dict:
    """The first-contact chart's numbers: contacted leads, how many were reached after their
    deadline (``on_time`` false: the KPI engine's ``first_contact_on_time``), the SLA line
    and a histogram of business minutes."""
    values = minutes["business_minutes"]
    bins = [0, 15, 30, 60, 120, 240, 480, 1440]
    counts = pd.cut(values, bins=[-1, *bins[1:], float("inf")], labels=[
        f"<= {b}" for b in bins[1:]] + [f"> {bins[-1]}"]).value_counts(sort=False)
    return {"sla_minutes": plot.sla_line(minutes), "leads": int(len(values)),
            "after_sla": int((~minutes["on_time"]).sum()),
            "histogram": {str(k): int(v) for k, v in counts.items()}}


def _records_sales_stage(leads: pd.DataFrame) -> bool:
    return "sales_stage" in leads.columns and bool(leads["sales_stage"].notna().any())


def _visit_dealers(dealers, scope: Scope | None):
    """The dealers table for scoping visits. A dealer scope has been checked against the
    leads already; without a dealers table, that dealer is named here, so that a dealer
    without visits has no traffic rather than being an unknown dealer to the visits."""
    if dealers is not None or scope is None or scope.kind != "dealer":
        return dealers
    return pd.DataFrame({"dealer_id": [scope.id], "region_id": [None]})


def _checked(data: Any, table: str, policy: Policy) -> pd.DataFrame:
    """`data` as a pandas frame (a pyarrow Table or a list of dicts converted here, once),
    with every column the report reads from it present or absent by design: a missing one
    that an unknown column is within two edits of (``chanel`` for ``channel``) is an error
    naming both, and a missing required one is an error naming it."""
    frame = _frames.as_frame(data, table)
    required, optional = _READS[table]
    reads = [*required, *optional]
    known = set(_CONTRACT.get(table, ()))
    if table == "leads":
        reads += [f for f in policy.fields if f not in reads]
        known = set(_frames.LEAD_FIELDS)
    present = {_frames.printable(str(c)) for c in frame.columns}
    unknown = [c for c in present if c not in known and c not in reads]
    for column in reads:
        if column in present:
            continue
        near = _core.nearest_name(column, sorted(unknown), max_distance=_NEAR_MISS_EDITS)
        if near:
            raise ValueError(f'{table}: no column "{column}", but a column "{near}"; '
                             f'did you mean "{column}"?')
    _frames.require_columns(frame, table, required)
    return frame


def build(leads: Any, touches: Any, policy: Policy, *, surveys=None, visits=None,
          dealers=None, as_of=None, tz: str | None = None, scope: Scope | None = None,
          progress=None) -> Report:
    """Computes everything the report shows. Each table may be a pandas DataFrame, a pyarrow
    Table or a list of dicts (converted once, here). A missing required column, or a column the
    report reads that is missing while an unknown column is within two edits of its name, is a
    ValueError naming them (docs/report.md). `progress` is a stream for step lines (None:
    quiet). A `scope` keeps the leads it covers with their touches and surveys, and the
    visits to its dealers.

    One instant, `as_of` or by default the one the KPI engine takes (the latest timestamp of
    the leads, touches and surveys it reads), is passed to every report function that takes
    one."""
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
    leads = _checked(leads, "leads", policy)
    touches = _checked(touches, "touches", policy)
    surveys = _checked(surveys, "surveys", policy) if surveys is not None else None
    visits = _checked(visits, "visits", policy) if visits is not None else None
    dealers = _frames.as_frame(dealers, "dealers") if dealers is not None else None
    steps = Steps(6, progress)
    leads = _scoped(leads, dealers, scope)
    if scope is not None:
        keep = set(leads["lead_id"])
        touches = touches[touches["lead_id"].isin(keep)]
        if surveys is not None:
            surveys = surveys[surveys["lead_id"].isin(keep)]

    def headline_kpis():
        state, seconds = state_for(leads, touches, policy, surveys=surveys, dealers=dealers,
                                   as_of=as_of, tz=tz)
        instant = pd.Timestamp(seconds, unit="s", tz="UTC").tz_convert(policy.time_zone)
        return frame_of(state), instant

    headline, instant = steps.run("headline KPIs", headline_kpis)
    common = dict(surveys=surveys, dealers=dealers, as_of=instant, tz=tz)
    tables = steps.run("KPIs by channel, consultant, dealer and month", lambda: {
        name: kpis(leads, touches, policy, by=column, **common)[[column, *_TABLE_COLUMNS]]
        for name, column in _BREAKDOWNS.items()
        if column == "month" or column in leads.columns})
    open_leads, stages = steps.run("pipeline and funnel", lambda: (
        pipeline(leads, touches, policy, at=instant, tz=tz),
        funnel(leads, touches, policy, as_of=instant, tz=tz)))
    tasks = steps.run("follow-up schedule", lambda: schedule(leads, touches, policy,
                                                              as_of=instant, tz=tz,
                                                              dealers=dealers))
    overdue = tasks[tasks["status"] == "overdue"].sort_values("due_at", kind="stable")
    at = dict(as_of=instant, tz=tz)
    minutes = steps.run("time to first contact", lambda: plot.first_contact_minutes(
        leads, touches, policy, dealers=dealers, **at))
    visit_scope = dict(scope=scope, dealers=_visit_dealers(dealers, scope), as_of=instant)
    activity = plot.activity_funnel_counts(leads, touches, visits, policy=policy, **at)
    charts = {
        "funnel": activity,
        "sales_funnel": stages,
        "activity_funnel": activity,
        "channels": tables.get("channel", pd.DataFrame())[["channel", "leads", "conversion_rate"]]
        if "channel" in tables else [],
        "first_contact": _first_contact_summary(minutes),
        "pipeline": plot.pipeline_counts(open_leads),
        "lost_reasons": plot.lost_reason_counts(leads, as_of=instant),
    }
    if visits is not None:
        charts["traffic"] = plot.traffic_counts(visits, policy.time_zone, **visit_scope)

    def draw():
        drawn = stages if _records_sales_stage(leads) else stages[stages["kind"] == "grade"]
        figures = {"sales_funnel": plot.sales_funnel(drawn),
                   "activity_funnel": plot.activity_funnel(leads, touches, visits,
                                                           policy=policy, **at)}
        if "channel" in tables:
            figures["channels"] = plot.channels(tables["channel"])
        figures["first_contact"] = plot.first_contact(leads, touches, policy, dealers=dealers,
                                                      **at)
        figures["pipeline"] = plot.pipeline(open_leads)
        figures["lost_reasons"] = plot.lost_reasons(leads, as_of=instant)
        if visits is not None:
            figures["traffic"] = plot.traffic(visits, policy.time_zone, **visit_scope)
        # The report keeps its figures, not pyplot: reports built in a loop never fill pyplot's
        # list of open figures (a closed figure still draws and saves).
        for fig in figures.values():
            plot.pyplot().close(fig)
        return figures

    figures = steps.run("charts", draw)
    return Report(
        policy=policy.name, as_of=instant, scope=repr(scope) if scope is not None else "all",
        headline=headline, tables=tables, overdue=overdue.head(_OVERDUE_ROWS).reset_index(drop=True),
        overdue_total=int(len(overdue)), charts=charts, figures=figures)


def _scoped(leads: pd.DataFrame, dealers, scope: Scope | None) -> pd.DataFrame:
    if scope is None:
        return leads
    mask = scope.mask(leads, dealers)
    return leads if mask is None else leads[mask.astype(bool)].reset_index(drop=True)
