"""The analyst's report: headline KPIs, breakdown tables, overdue follow-ups and charts, as one
self-contained HTML file (charts embedded as SVG, their text kept as text; no network needed to
view it), in English or Chinese, and as JSON with the same numbers.

    report = leadkit.report.build(leads, touches, policy, surveys=..., visits=..., lang="zh")
    report.write_html("report.html"); report.write_json("report.json")

Every word the HTML shows comes from the message catalogue, data/messages.json (_messages).

The ``leadkit report`` command wraps this (docs/report.md).
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import json
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import _core, _frames, _messages, plot
from ._files import write_atomically as _write_atomically
from ._messages import text as _t
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
#: The consultants shown at each end of the ranking (the JSON has them all).
_RANK_ROWS = 10
#: The KPI consultants are ranked by when the policy's scorecard weights none.
_DEFAULT_RANKING = "conversion_rate"
_CARDS = ["leads", "won", "conversion_rate", "first_contact_timeliness_rate",
          "follow_up_timeliness_rate", "timeliness_rate", "satisfaction_rate"]
#: Columns that count something: shown as integers with separators.
_COUNTS = {"leads", "won", "lost", "open_leads", "reached", "visits", "rank"}
#: Columns whose values have a name in the catalogue (_messages.value).
_NAMED_VALUES = {"channel": "channel", "status": "status", "sales_stage": "sales_stage",
                 "method": "method", "task": "task", "content": "content", "goal": "goal"}
#: Columns of wall-clock minutes.
_WALL_MINUTES = {"first_contact_minutes_p50", "first_contact_minutes_p90"}

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
    lang: str = "en"
    #: the rate consultants are ranked by: the one the policy's scorecard weights most
    ranking: str = _DEFAULT_RANKING
    #: the earliest due time of the overdue tasks listed (None: every overdue task)
    overdue_since: pd.Timestamp | None = None
    draw: Callable[[str], dict[str, Any]] | None = field(default=None, repr=False)
    #: the scope applied (None: every lead), named in the page in its language
    scoped_to: Scope | None = field(default=None, repr=False)
    #: the policy's playbook rules (Policy.playbook): the overdue tasks' ``rule`` is shown by
    #: the rule's text in the page's language, its id when the policy gives none
    playbook: tuple = field(default=(), repr=False)
    #: the policy's Chinese names of playbook words (Policy.playbook_names_zh): a zh page
    #: shows a task's ``content`` and ``goal`` by them, before the catalogue's names
    playbook_names_zh: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {
            "policy": self.policy,
            "as_of": self.as_of.isoformat(),
            "scope": self.scope,
            "headline": _records(self.headline)[0],
            "tables": {name: _records(t) for name, t in self.tables.items()},
            "consultant_ranking": self.ranking,
            "overdue_since": (self.overdue_since.isoformat()
                              if self.overdue_since is not None else None),
            "overdue_total": self.overdue_total,
            "overdue": _records(self.overdue),
            "charts": {name: _chart_json(data) for name, data in self.charts.items()},
        }

    def write_json(self, path: str) -> None:
        _write_atomically(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1))

    def write_html(self, path: str, lang: str | None = None) -> None:
        _write_atomically(path, self.html(lang))

    def html(self, lang: str | None = None) -> str:
        """The report as one HTML page in `lang` (default: the language it was built in)."""
        lang = _messages.check_language(lang or self.lang)
        figures = self.figures if lang == self.lang or self.draw is None else self.draw(lang)
        zone = str(self.as_of.tz)
        head = self.headline.iloc[0]
        cards = "".join(_card(_cell(head[c], c, lang, zone), _t(f"column.{c}", lang))
                        for c in _CARDS)
        fc = self.charts.get("first_contact", {})
        for p in ("p50", "p90"):
            # On the SLA's business clock, with the KPI engine's wall-clock figure beside it.
            if fc.get(f"business_minutes_{p}") is not None:
                cards += _card(_duration(fc[f"business_minutes_{p}"], lang),
                               _t(f"column.first_contact_business_{p}", lang))
            wall = f"first_contact_minutes_{p}"
            if wall in head.index:
                cards += _card(_cell(head[wall], wall, lang, zone), _t(f"column.{wall}", lang))
        charts = "".join(_svg_figure(name, fig) for name, fig in figures.items())
        tables = ""
        for name, table in self.tables.items():
            if name == "consultant":
                tables += self._consultants(table, lang, zone)
                continue
            heading = _t("report.by", lang, name=_t(f"breakdown.{name}", lang))
            tables += f"<h2>{html.escape(heading)}</h2>{_table(table, lang, zone)}"
        fields = dict(total=f"{self.overdue_total:,}", shown=f"{len(self.overdue):,}")
        heading = (_t("report.overdue", lang, **fields) if self.overdue_since is None else
                   _t("report.overdue_since", lang, since=_when(self.overdue_since, zone),
                      **fields))
        overdue = f"<h2>{html.escape(heading)}</h2>{_table(self._overdue_in(lang), lang, zone)}"
        meta = _t("report.meta", lang, policy=self.policy,
                  as_of=f"{_when(self.as_of, zone)} ({zone})",
                  scope=_scope_text(self.scoped_to, lang))
        title = html.escape(_t("report.title", lang))
        return (
            f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head>"
            f"<meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
            f"<title>{title}</title><style>{_CSS}</style></head><body><h1>{title}</h1>"
            f"<p class='meta'>{html.escape(meta)}</p>"
            f"<div class='cards'>{cards}</div><div class='charts'>{charts}</div>{tables}"
            f"{overdue}</body></html>")

    def _overdue_in(self, lang: str) -> pd.DataFrame:
        """The overdue tasks with each playbook ``rule`` shown by its text in `lang` (the
        rule's ``note`` under en, its ``zh`` under zh), its id where the policy gives none;
        under zh, each ``content`` and ``goal`` by the policy's own Chinese name where it
        gives one (the catalogue names the rest, _cell)."""
        names = {"rule": {rule.id: rule.zh if lang == "zh" else rule.note
                          for rule in self.playbook}}
        if lang == "zh":
            names["content"] = self.playbook_names_zh.get("content", {})
            names["goal"] = self.playbook_names_zh.get("goals", {})
        frame = self.overdue
        for column, shown in names.items():
            shown = {word: name for word, name in shown.items() if name}
            if not shown or column not in frame.columns:
                continue
            frame = frame.copy() if frame is self.overdue else frame
            frame[column] = pd.Series([shown.get(w, w) if isinstance(w, str) else w
                                       for w in frame[column].astype(object)],
                                      dtype=object, index=frame.index)
        return frame

    def _consultants(self, table: pd.DataFrame, lang: str, zone: str) -> str:
        """The consultants ranked by `ranking` (leadkit.scorecard with that rate alone): the
        top and bottom _RANK_ROWS, best first; those without the rate are left out here."""
        from .reports import scorecard

        kpi = _t(f"column.{self.ranking}", lang)
        ranked = scorecard(table, {self.ranking: 1.0})
        ranked = ranked[ranked["missing"] == ""].reset_index(drop=True)
        keys = table["consultant_id"].astype(object).where(table["consultant_id"].notna(), None)
        position = {key: i for i, key in enumerate(keys)}
        order = [position[k if pd.notna(k) else None] for k in ranked["consultant_id"]]
        rows = table.iloc[order].reset_index(drop=True)
        rows.insert(0, "rank", ranked["rank"].to_numpy())
        total = f"{len(table):,}"
        if len(rows) <= 2 * _RANK_ROWS:
            heading = _t("report.consultants_all", lang, total=total, kpi=kpi)
            body = _table(rows, lang, zone)
        else:
            heading = _t("report.consultants", lang, n=_RANK_ROWS, total=total, kpi=kpi)
            body = _table(pd.concat([rows.head(_RANK_ROWS), rows.tail(_RANK_ROWS)]), lang, zone,
                          gap_after=_RANK_ROWS)
        return (f"<h2>{html.escape(heading)}</h2>{body}"
                f"<p class='note'>{html.escape(_t('report.consultants_note', lang))}</p>")


_CSS = ("body{font:14px system-ui,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',"
        "'WenQuanYi Micro Hei',sans-serif;margin:24px;color:#222;max-width:1200px}"
        ".cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ccd;"
        "border-radius:6px;padding:8px 14px;min-width:120px}.v{font-size:22px;font-weight:600}"
        ".k{color:#667;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:8px}"
        "figure{margin:0;max-width:100%}figure svg{max-width:100%;height:auto}"
        "table{border-collapse:collapse;font-size:12px;max-width:100%}"
        "td,th{border-bottom:1px solid #dde;padding:3px 6px;text-align:right;"
        "overflow-wrap:anywhere}td.t{text-align:left}th{background:#f3f4f8}tr.gap td{border-bottom:2px dashed #99a}"
        ".meta,.note{color:#667}")


def _missing(value) -> bool:
    return (value is None or value is pd.NaT or value is pd.NA
            or (isinstance(value, float) and math.isnan(value)))


def _duration(minutes, lang: str) -> str:
    """Whole minutes as people write a duration: minutes under an hour, else hours and
    minutes."""
    minutes = int(minutes)
    if minutes < 60:
        return _t("report.minutes", lang, minutes=f"{minutes:,}")
    return _t("report.hours_minutes", lang, hours=f"{minutes // 60:,}",
              minutes=f"{minutes % 60:02d}")


def _when(value, zone: str) -> str:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(zone)
    return f"{stamp:%Y-%m-%d %H:%M}"


def _cell(value, column: str, lang: str = "en", zone: str = "UTC") -> str:
    """A table cell as people write it: counts as integers with separators, rates as
    percentages with one decimal, minutes as a duration, instants as local date and time,
    named values in `lang`, free text scrubbed of personal data."""
    if _missing(value):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "✓" if value else ""
    if column.endswith("_rate"):
        return f"{float(value):.1%}"
    if column in _WALL_MINUTES:  # the header names the clock
        return html.escape(_duration(value, lang))
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return _when(value, zone)
    if column in _COUNTS or isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{int(value):,}" if float(value).is_integer() else f"{float(value):,.1f}"
    shown = _frames.scrub(value)
    if column in _NAMED_VALUES:
        shown = _messages.value(_NAMED_VALUES[column], shown, lang)
    return html.escape(shown)


def _header(column: str, lang: str) -> str:
    key = f"column.{column}"
    return html.escape(_t(key, lang) if _messages.has_text(key, lang) else column)


def _table(frame: pd.DataFrame, lang: str = "en", zone: str = "UTC",
           gap_after: int | None = None) -> str:
    head = "".join(f"<th>{_header(str(c), lang)}</th>" for c in frame.columns)
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        gap = " class='gap'" if gap_after is not None and i == gap_after - 1 else ""
        rows.append(f"<tr{gap}>" + "".join(
            f"<td{' class=t' if isinstance(v, str) else ''}>{_cell(v, str(c), lang, zone)}</td>"
            for c, v in zip(frame.columns, row)) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _card(value: str, label: str) -> str:
    return (f'<div class="card"><div class="v">{value}</div>'
            f'<div class="k">{html.escape(label)}</div></div>')


#: matplotlib's default SVG metadata (None leaves each out), and the namespace declarations it
#: writes.
_SVG_METADATA = ("Creator", "Date", "Format", "Type")
_SVG_NAMESPACES = (' xmlns:xlink="http://www.w3.org/1999/xlink"',
                   ' xmlns="http://www.w3.org/2000/svg"')


def _figure_title(fig) -> str:
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        return suptitle.get_text()
    return fig.axes[0].get_title() if fig.axes else ""


def _svg_figure(name: str, fig) -> str:
    """`fig` as inline SVG, its text kept as text (the browser draws it with its own fonts,
    Chinese included), titled for readers of the page's structure. The salt keeps the ids of
    one chart's clip paths apart from another's in the same page."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({**plot.text_style(), "svg.hashsalt": f"leadkit-{name}"}):
        fig.savefig(buffer, format="svg", metadata=dict.fromkeys(_SVG_METADATA))
    plot.pyplot().close(fig)
    svg = buffer.getvalue()
    # Inline in HTML, the SVG needs neither its XML prologue nor its namespace declarations
    # (the HTML parser knows svg and xlink): the page names no address.
    svg = svg[svg.index("<svg"):]
    for declaration in _SVG_NAMESPACES:
        svg = svg.replace(declaration, "", 1)
    title = html.escape(_figure_title(fig))
    opening = svg.index(">") + 1
    svg = f"{svg[:opening]}<title>{title}</title>{svg[opening:]}"
    return f'<figure data-chart="{html.escape(name)}" aria-label="{title}">{svg}</figure>'


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
    # The bins and their counts are C++'s (kFirstContactBinEdges, BinCounts): each bin up to
    # and including its edge, a last one above a day.
    edges, counts = _core.first_contact_bins(values.to_numpy(dtype=np.int64))
    labels = [f"<= {edge}" for edge in edges] + [f"> {edges[-1]}"]
    return {"sla_minutes": plot.sla_line(minutes), "leads": int(len(values)),
            "after_sla": int((~minutes["on_time"]).sum()),
            **_business_percentiles(values),
            "histogram": dict(zip(labels, counts))}


def _business_percentiles(values: pd.Series) -> dict:
    """``business_minutes_p50`` and ``_p90``: the nearest-rank percentiles (C++
    ``NearestRank``, as the KPI engine takes first_contact_minutes_p50 and _p90, docs/kpis.md)
    of the contacted leads' business minutes; None without a contacted lead."""
    p50, p90 = _core.nearest_rank(values.to_numpy(dtype=np.int64), [0.5, 0.9])
    return {"business_minutes_p50": None if math.isnan(p50) else int(p50),
            "business_minutes_p90": None if math.isnan(p90) else int(p90)}


def _ranking(policy: Policy) -> str:
    """The rate the policy's scorecard weights most (the first of equal weights), else
    conversion_rate."""
    weights = policy.scorecard_weights
    if not weights:
        return _DEFAULT_RANKING
    return max(weights.items(), key=lambda item: item[1])[0]


def _overdue_since(since, instant: pd.Timestamp, zone: str) -> pd.Timestamp | None:
    """overdue_since: a duration back from the report's instant (a pandas.Timedelta, or text
    such as ``30d``, ``12h`` or ``2w``), or an instant (naive: a wall time of `zone`)."""
    if since is None:
        return None
    if isinstance(since, str) and since[:1].isdigit() and since[-1:] in ("d", "h", "w"):
        try:
            since = pd.Timedelta(int(since[:-1]), unit={"d": "D", "h": "h", "w": "W"}[since[-1]])
        except ValueError:
            raise ValueError(f"overdue_since: expected a duration such as 30d or an ISO "
                             f"time, got {since!r}") from None
    if isinstance(since, (pd.Timedelta, _dt.timedelta)):
        return instant - pd.Timedelta(since)
    try:
        stamp = pd.Timestamp(since)
    except (ValueError, TypeError):
        raise ValueError(f"overdue_since: expected a duration such as 30d or an ISO time, "
                         f"got {since!r}") from None
    return stamp.tz_localize(zone) if stamp.tzinfo is None else stamp


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
          progress=None, lang: str = "en", overdue_since=None) -> Report:
    """Computes everything the report shows. Each table may be a pandas DataFrame, a pyarrow
    Table or a list of dicts (converted once, here). A missing required column, or a column the
    report reads that is missing while an unknown column is within two edits of its name, is a
    ValueError naming them (docs/report.md). `progress` is a stream for step lines (None:
    quiet). A `scope` keeps the leads it covers with their touches and surveys, and the
    visits to its dealers.

    One instant, `as_of` or by default the one the KPI engine takes (the latest timestamp of
    the leads, touches and surveys it reads), is passed to every report function that takes
    one.

    `lang` (``en`` or ``zh``) is the language of the HTML and the charts; `overdue_since`
    keeps the overdue tasks due since then (a duration back from `as_of` such as ``"30d"``,
    or an instant)."""
    _messages.check_language(lang)
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
    since = _overdue_since(overdue_since, instant, policy.time_zone)
    if since is not None:
        overdue = overdue[overdue["due_at"] >= since]
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

    def draw(language: str) -> dict[str, Any]:
        import matplotlib

        # The grades are no ordered stages (a lead may skip or go back): their panel is a
        # distribution; the sales stages (001 §3.3), and a funnel policy's stages, a funnel.
        grades_as = "funnel" if _ordered_grades(policy) else "distribution"
        with matplotlib.rc_context(plot.text_style()):
            figures = {"grades": plot.sales_funnel(stages[stages["kind"] == "grade"],
                                                   lang=language, grades_as=grades_as)}
            if _records_sales_stage(leads):
                figures["sales_funnel"] = plot.sales_funnel(
                    stages[stages["kind"] == "sales_stage"], lang=language)
            figures["activity_funnel"] = plot.activity_funnel(
                leads, touches, visits, policy=policy, lang=language, **at)
            if "channel" in tables:
                figures["channels"] = plot.channels(tables["channel"], lang=language)
            figures["first_contact"] = plot.first_contact(leads, touches, policy,
                                                          dealers=dealers, lang=language, **at)
            figures["pipeline"] = plot.pipeline(open_leads, lang=language)
            figures["lost_reasons"] = plot.lost_reasons(leads, as_of=instant, lang=language)
            if visits is not None:
                figures["traffic"] = plot.traffic(visits, policy.time_zone, lang=language,
                                                  **visit_scope)
        # The report keeps its figures, not pyplot: reports built in a loop never fill pyplot's
        # list of open figures (a closed figure still draws and saves).
        for fig in figures.values():
            plot.pyplot().close(fig)
        return figures

    figures = steps.run("charts", lambda: draw(lang))
    return Report(
        policy=policy.name, as_of=instant, scope=repr(scope) if scope is not None else "all",
        headline=headline, tables=tables, overdue=overdue.head(_OVERDUE_ROWS).reset_index(drop=True),
        overdue_total=int(len(overdue)), charts=charts, figures=figures, lang=lang,
        ranking=_ranking(policy), overdue_since=since, draw=draw, scoped_to=scope,
        playbook=policy.playbook, playbook_names_zh=policy.playbook_names_zh)


def _scope_text(scope: Scope | None, lang: str) -> str:
    """The scope as the page names it: every lead (headquarters), or one region or dealer."""
    if scope is None or scope.kind == "hq":
        return _t("report.scope_all", lang)
    return _t(f"report.scope_{scope.kind}", lang, id=_frames.scrub(str(scope.id)))


def _ordered_grades(policy: Policy) -> bool:
    """A policy whose grades are the funnel stages of 003 §II (tofu, mofu, bofu, in order):
    those are stages a lead goes through, so they are drawn as a funnel."""
    return list(policy.grades) == ["tofu", "mofu", "bofu"]


def _scoped(leads: pd.DataFrame, dealers, scope: Scope | None) -> pd.DataFrame:
    if scope is None:
        return leads
    mask = scope.mask(leads, dealers)
    return leads if mask is None else leads[mask.astype(bool)].reset_index(drop=True)
