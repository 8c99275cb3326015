"""The policy backtest from pandas (docs/backtest.md): the C++ ``BacktestState`` does the
work; this module converts the tables and shapes its result."""

from __future__ import annotations

import html
import json
import math
from typing import Any, Mapping

import pandas as pd

from .. import _core, _frames
from .._policy import Policy
from .._scope import Scope, check_scope
from ._kpis import KPI_COLUMNS

#: The columns of ``Backtest.summary`` (part of the contract).
BACKTEST_COLUMNS = [
    "policy", *KPI_COLUMNS, "tasks_per_consultant_day_mean", "tasks_per_consultant_day_p90",
    "tasks_per_consultant_day_max", "grade_auc", "top_grade_lift", "notes",
]
_TASK_LOAD_COLUMNS = ["policy", "tasks", "consultant_days", "tasks_per_consultant_day_mean",
                      "tasks_per_consultant_day_p90", "tasks_per_consultant_day_max"]
_CONVERSION_COLUMNS = ["policy", "grade", "leads", "won", "lost", "conversion_rate"]
_SURVEY_COLUMNS = {"lead_id": "string", "at": "instant", "satisfied": "bool"}


def _check_policies(policies: Any) -> dict[str, Policy]:
    if not isinstance(policies, Mapping) or not policies:
        raise ValueError("policies: expected a mapping of names to leadkit.Policy, such as "
                         "{'current': p1, 'proposed': p2}, with at least one entry; got "
                         f"{type(policies).__name__}")
    out = {}
    for name, policy in policies.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"policies: a name must be a non-empty string, got {name!r}")
        if not isinstance(policy, Policy):
            raise ValueError(f'policies["{name}"]: expected a leadkit.Policy, got '
                             f"{type(policy).__name__}")
        out[name] = policy
    return out


def _check_grade_maps(grade_map: Any, names: list[str]) -> list[dict[str, str] | None]:
    if grade_map is None:
        return [None] * len(names)
    if not isinstance(grade_map, Mapping):
        raise ValueError("grade_map: expected a mapping of policy names to {history grade: "
                         f"policy grade}}, got {type(grade_map).__name__}")
    for name in grade_map:
        if name not in names:
            raise ValueError(f"grade_map: {name!r} is not one of the policies "
                             f"({', '.join(names)}){_frames.suggest(str(name), names)}")
    maps: list[dict[str, str] | None] = []
    for name in names:
        given = grade_map.get(name)
        if given is None:
            maps.append(None)
            continue
        if not isinstance(given, Mapping):
            raise ValueError(f'grade_map["{name}"]: expected a mapping of grade names, got '
                             f"{type(given).__name__}")
        for key, value in given.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError(f'grade_map["{name}"]: grade names are strings, got '
                                 f"{key!r}: {value!r}")
        maps.append(dict(given))
    return maps


def _number(value: Any) -> Any:
    """A float for JSON: NaN as None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class Backtest:
    """The result of :func:`backtest`: ``summary`` (one row per policy: ``policy``, the
    :func:`kpis` columns under that policy's deadlines, the task load, ``grade_auc``,
    ``top_grade_lift`` and ``notes``), ``grades`` (the crosstab of the leads' grades under
    the first two policies), ``conversion`` (leads, won, lost and conversion by grade under
    each policy) and ``task_load`` (the tasks and consultant-days behind the load)."""

    __slots__ = ("summary", "grades", "conversion", "task_load", "as_of")

    def __init__(self, summary: pd.DataFrame, grades: pd.DataFrame, conversion: pd.DataFrame,
                 task_load: pd.DataFrame, as_of: pd.Timestamp):
        self.summary = summary
        self.grades = grades
        self.conversion = conversion
        self.task_load = task_load
        self.as_of = as_of

    def __repr__(self) -> str:
        return f"Backtest(policies={list(self.summary['policy'])!r}, as_of={self.as_of})"

    def to_dict(self) -> dict:
        """The result as plain data (NaN as None): what :meth:`to_json` writes."""
        def records(frame: pd.DataFrame) -> list[dict]:
            return [{key: _number(value.item() if hasattr(value, "item") else value)
                     for key, value in row.items()} for row in frame.to_dict("records")]
        grades = {
            "rows": self.grades.index.name, "columns": self.grades.columns.name,
            "counts": {str(row): {str(col): int(self.grades.loc[row, col])
                                  for col in self.grades.columns}
                       for row in self.grades.index},
        }
        return {"as_of": self.as_of.isoformat(), "summary": records(self.summary),
                "task_load": records(self.task_load),
                "conversion": records(self.conversion), "grades": grades}

    def to_json(self, **kwargs: Any) -> str:
        """The result as JSON text (``json.dumps`` keywords pass through)."""
        return json.dumps(self.to_dict(), allow_nan=False, ensure_ascii=False, **kwargs)

    def to_html(self) -> str:
        """The result as one self-contained HTML page."""
        def table(frame: pd.DataFrame, index: bool = False) -> str:
            return frame.to_html(index=index, na_rep="", float_format=lambda v: f"{v:.4g}")
        summary = self.summary.set_index("policy").T
        parts = [
            "<!DOCTYPE html>", '<html><head><meta charset="utf-8">',
            "<title>leadkit policy backtest</title>",
            "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}</style>",
            "</head><body>",
            f"<h1>Policy backtest as of {html.escape(str(self.as_of))}</h1>",
            "<h2>Summary</h2>", table(summary, index=True),
            "<h2>Grades under the first two policies (leads)</h2>",
            table(self.grades, index=True),
            "<h2>Conversion by grade (won / (won + lost))</h2>", table(self.conversion),
            "<h2>Task load</h2>", table(self.task_load), "</body></html>",
        ]
        return "\n".join(parts)


def _crosstab(out: dict, names: list[str]) -> pd.DataFrame:
    grade_names = out["grade_names"]
    first = grade_names[0]
    second = grade_names[1] if len(names) > 1 else grade_names[0]
    counts = [[0] * len(second) for _ in first]
    for key, leads in out["combinations"]:
        counts[key[0]][key[1] if len(names) > 1 else key[0]] += leads
    frame = pd.DataFrame(counts, index=pd.Index(first, dtype=object),
                         columns=pd.Index(second, dtype=object), dtype="int64")
    frame.index.name = names[0]
    frame.columns.name = names[1] if len(names) > 1 else names[0]
    return frame


@_frames.keeps_key_dtypes("leads", "touches", "surveys", "dealers")
def backtest(leads: Any, touches: Any, policies: Mapping[str, Policy], *, as_of=None,
             grade_map: Mapping[str, Mapping[str, str]] | None = None, by=None, surveys=None,
             dealers=None, scope: Scope | None = None, tz: str | None = None,
             threads: int = 1) -> Backtest:
    """The leads and touches replayed under each policy of `policies` (a mapping of names to
    :class:`Policy`), side by side (docs/backtest.md).

    Under each policy every lead is graded again from its fields (a recorded ``grade`` column
    is not read), and the touches' ``grade_after`` values — the history's grade names — are
    read through ``grade_map[name]`` (history grade -> the policy's grade). Without a map, a
    policy that has every recorded grade reads them as they are; one that lacks some leaves
    its grade changes out, and its ``notes`` say so. `as_of`, `surveys`, `dealers`, `scope`,
    `tz` and `threads` are as in :func:`kpis`. `by` is not supported yet (None only).
    """
    if by is not None:
        raise ValueError("by: the backtest has no groups yet; pass by=None")
    checked = _check_policies(policies)
    names = list(checked)
    maps = _check_grade_maps(grade_map, names)
    lead_frame, touch_frame, survey_frame = _frames.kpi_tables(leads, touches, surveys)
    dealer_frame = _frames.dealers_frame(dealers)
    # What any of the policies reads, and the consultant of the task load.
    fields: dict[str, str] = {}
    compared: set[str] = set()
    for policy in checked.values():
        f, c = _frames.engine_fields(policy._impl, cadence=True, extra=["consultant_id"])
        fields.update(f)
        compared |= c
    fields.pop("grade", None)  # re-graded: the recorded grade is not read
    lead_specs = _frames.table_specs(lead_frame, fields, table="leads", compared=compared,
                                     tz=tz, ids_as_strings=True)
    touch_specs = _frames.table_specs(touch_frame, _frames.CADENCE_TOUCH_COLUMNS,
                                      table="touches", tz=tz, ids_as_strings=True)
    survey_specs = _frames.table_specs(survey_frame, _SURVEY_COLUMNS, table="surveys", tz=tz,
                                       ids_as_strings=True)
    as_of_seconds = _frames.as_of_seconds(as_of, [*lead_specs, *touch_specs, *survey_specs],
                                          tz)
    mask = check_scope(scope).mask(lead_frame, dealer_frame)
    cadences = [_frames.cadence_for(policy._impl, dealer_frame) for policy in checked.values()]
    out = _core.backtest(names, cadences, maps, len(lead_frame), lead_specs, len(touch_frame),
                         touch_specs, len(survey_frame), survey_specs, as_of_seconds, mask,
                         _frames.check_threads(threads))
    raw = out["summary"]
    summary = pd.DataFrame({column: raw[column] for column in BACKTEST_COLUMNS
                            if column != "notes"})
    summary["notes"] = ["; ".join(_frames.scrub(note) for note in notes)
                        for notes in raw["notes"]]
    summary = summary.astype({"policy": object, "notes": object})
    task_load = pd.DataFrame({column: raw[column] for column in _TASK_LOAD_COLUMNS})
    task_load = task_load.astype({"policy": object})
    conversion = pd.DataFrame(out["grades"], columns=_CONVERSION_COLUMNS).astype(
        {"policy": object, "grade": object, "leads": "int64", "won": "int64",
         "lost": "int64", "conversion_rate": "float64"})
    as_of_time = pd.Timestamp(as_of_seconds, unit="s", tz="UTC").tz_convert(
        next(iter(checked.values())).time_zone)
    return Backtest(summary, _crosstab(out, names), conversion, task_load, as_of_time)
