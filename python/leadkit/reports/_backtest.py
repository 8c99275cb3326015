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
from ._kpis import KPI_COLUMNS, by_list, with_region_id
from ._state import EngineState

#: The columns of ``Backtest.summary`` after the group columns (part of the contract).
BACKTEST_COLUMNS = [
    "policy", *KPI_COLUMNS, "tasks_per_consultant_day_mean", "tasks_per_consultant_day_p90",
    "tasks_per_consultant_day_max", "grade_auc", "top_grade_lift", "notes",
]
_TASK_LOAD_COLUMNS = ["policy", "tasks", "consultant_days", "tasks_per_consultant_day_mean",
                      "tasks_per_consultant_day_p90", "tasks_per_consultant_day_max"]
_CONVERSION_COLUMNS = ["policy", "grade", "leads", "won", "lost", "conversion_rate"]
_SURVEY_COLUMNS = {"lead_id": "string", "at": "instant", "satisfied": "bool"}


def check_policies(policies: Any) -> dict[str, Policy]:
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


def check_grade_maps(grade_map: Any, names: list[str]) -> list[dict[str, str] | None]:
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
    """The result of :func:`backtest`: ``summary`` (one row per policy, or per group and
    policy with `by`: the group columns, ``policy``, the :func:`kpis` columns under that
    policy's deadlines, the task load, ``grade_auc``, ``top_grade_lift`` and ``notes``),
    ``grades`` (the crosstab of the leads' grades under the first two policies, over every
    lead), ``conversion`` (leads, won, lost and conversion by grade under each policy, over
    every lead) and ``task_load`` (the tasks and consultant-days behind the load, per row of
    the summary). ``as_of`` is None for a result finalized from a state without one."""

    __slots__ = ("summary", "grades", "conversion", "task_load", "as_of", "by")

    def __init__(self, summary: pd.DataFrame, grades: pd.DataFrame, conversion: pd.DataFrame,
                 task_load: pd.DataFrame, as_of: pd.Timestamp | None,
                 by: tuple[str, ...] = ()):
        self.summary = summary
        self.grades = grades
        self.conversion = conversion
        self.task_load = task_load
        self.as_of = as_of
        self.by = tuple(by)

    def __repr__(self) -> str:
        policies = list(dict.fromkeys(self.conversion["policy"]))
        by = f", by={list(self.by)!r}" if self.by else ""
        return f"Backtest(policies={policies!r}{by}, as_of={self.as_of})"

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
        as_of = None if self.as_of is None else self.as_of.isoformat()
        return {"as_of": as_of, "by": list(self.by), "summary": records(self.summary),
                "task_load": records(self.task_load),
                "conversion": records(self.conversion), "grades": grades}

    def to_json(self, **kwargs: Any) -> str:
        """The result as JSON text (``json.dumps`` keywords pass through)."""
        return json.dumps(self.to_dict(), allow_nan=False, ensure_ascii=False, **kwargs)

    def to_html(self) -> str:
        """The result as one self-contained HTML page."""
        def table(frame: pd.DataFrame, index: bool = False) -> str:
            return frame.to_html(index=index, na_rep="", float_format=lambda v: f"{v:.4g}")
        summary = self.summary.set_index([*self.by, "policy"]).T
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


def _policy_names(policies: Any) -> list[str]:
    """The names of a state's policies: a list of names, or a mapping's keys."""
    if isinstance(policies, Mapping):
        return list(check_policies(policies))
    if isinstance(policies, (str, bytes)) or not isinstance(policies, (list, tuple)):
        raise ValueError("policies: expected the policies' names (a list) or a mapping of "
                         f"names to leadkit.Policy, got {type(policies).__name__}")
    names = list(policies)
    if not names:
        raise ValueError("policies: at least one name")
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"policies: a name must be a non-empty string, got {name!r}")
    return names


def state_for(leads: Any, touches: Any, policies: Mapping[str, Policy], *, grade_map=None,
              by=None, surveys=None, dealers=None, scope=None, as_of=None, tz=None,
              threads: int = 1, state: _core.BacktestState | None = None):
    """Adds a batch to a backtest state (a new one unless given): the one path of
    ``backtest`` and of distributed runs. Returns (state, as_of seconds)."""
    checked = check_policies(policies)
    names = list(checked)
    groups = by_list(by)
    maps = check_grade_maps(grade_map, names)
    if state is not None:
        if list(state.policies) != names:
            raise ValueError(f"policies: the state holds {list(state.policies)!r}, not "
                             f"{names!r}")
        if list(state.by) != groups:
            raise ValueError(f"by: the state groups by {list(state.by)!r}, not {groups!r}")
    lead_frame, touch_frame, survey_frame = _frames.kpi_tables(leads, touches, surveys)
    dealer_frame = _frames.dealers_frame(dealers)
    lead_frame = with_region_id(lead_frame, dealer_frame, groups)
    # What any of the policies reads, the consultant of the task load and the groups.
    fields: dict[str, str] = {}
    compared: set[str] = set()
    for policy in checked.values():
        f, c = _frames.engine_fields(policy._impl, cadence=True,
                                     extra=["consultant_id", *groups])
        fields.update(f)
        compared |= c
    if "region_id" in groups:
        fields["region_id"] = "string"
        compared.add("region_id")
    fields.pop("grade", None)  # re-graded: the recorded grade is not read (nor grouped by)
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
    state = state if state is not None else _core.BacktestState(names, groups)
    state.add(cadences, maps, len(lead_frame), lead_specs, len(touch_frame), touch_specs,
              len(survey_frame), survey_specs, as_of_seconds, mask,
              _frames.check_threads(threads))
    return state, as_of_seconds


def result_of(state: _core.BacktestState, as_of: pd.Timestamp | None) -> Backtest:
    """The :class:`Backtest` of a state: its summary with the group columns first."""
    out = state.finalize()
    names = list(state.policies)
    groups = list(state.by)
    raw = out["summary"]
    keys = raw["keys"]
    data: dict[str, Any] = {name: pd.Series([k[i] for k in keys], dtype=object)
                            for i, name in enumerate(groups)}
    for column in BACKTEST_COLUMNS:
        if column != "notes":
            data[column] = raw[column]
    data["notes"] = ["; ".join(_frames.scrub(note) for note in notes)
                     for notes in raw["notes"]]
    summary = pd.DataFrame(data, columns=[*groups, *BACKTEST_COLUMNS])
    summary = summary.astype({"policy": object, "notes": object})
    task_load = pd.DataFrame({**{g: summary[g] for g in groups},
                              **{c: raw[c] for c in _TASK_LOAD_COLUMNS}},
                             columns=[*groups, *_TASK_LOAD_COLUMNS])
    task_load = task_load.astype({"policy": object})
    conversion = pd.DataFrame(out["grades"], columns=_CONVERSION_COLUMNS).astype(
        {"policy": object, "grade": object, "leads": "int64", "won": "int64",
         "lost": "int64", "conversion_rate": "float64"})
    return Backtest(summary, _crosstab(out, names), conversion, task_load, as_of, groups)


class BacktestState(EngineState):
    """The backtest counted so far (the C++ ``leadkit::BacktestState``, docs/backtest.md):
    :meth:`add` batches of leads, each with all of its touches and surveys, under the same
    policies; :meth:`merge` (or ``+``) states of other batches; :meth:`finalize` gives the
    :class:`Backtest` of :func:`backtest`. ``to_bytes`` / :meth:`from_bytes` carry a state
    between processes (docs/distributed.md), and states pickle.

        state = leadkit.BacktestState(["current", "proposed"], by="dealer_id")
        state.add(batch_leads, batch_touches, {"current": p1, "proposed": p2}, as_of=as_of)
        result = (state + other_state).finalize()
    """

    _core_class = _core.BacktestState
    __slots__ = ()

    def __init__(self, policies: Any, by: Any = None):
        self._state = _core.BacktestState(_policy_names(policies), by_list(by))

    @property
    def policies(self) -> tuple[str, ...]:
        """The policies' names, in order."""
        return tuple(self._state.policies)

    @property
    def by(self) -> tuple[str, ...]:
        """The group columns."""
        return tuple(self._state.by)

    def add(self, leads: Any, touches: Any, policies: Mapping[str, Policy], *, as_of: Any,
            grade_map: Mapping[str, Mapping[str, str]] | None = None, surveys=None,
            dealers=None, scope: Scope | None = None, tz: str | None = None,
            threads: int = 1) -> "BacktestState":
        """Adds a batch of leads with all of their touches and surveys, replayed at `as_of`
        (required: the same for every batch of one backtest) under `policies` (the state's,
        by name and in order); the tables and parameters as :func:`backtest`. Returns the
        state."""
        if as_of is None:
            raise ValueError("as_of: a partial state needs an explicit as_of, the same for "
                             "every batch")
        state_for(leads, touches, policies, grade_map=grade_map, by=list(self.by),
                  surveys=surveys, dealers=dealers, scope=scope, as_of=as_of, tz=tz,
                  threads=threads, state=self._state)
        return self

    def _check(self, core: _core.BacktestState) -> None:
        if list(core.policies) != list(self.policies):
            raise ValueError(f"merge: a backtest of {list(core.policies)!r} cannot merge into "
                             f"one of {list(self.policies)!r}")
        if list(core.by) != list(self.by):
            raise ValueError(f"merge: a state grouped by {list(core.by)!r} cannot merge into "
                             f"one grouped by {list(self.by)!r}")

    def finalize(self, as_of: Any = None) -> Backtest:
        """The :class:`Backtest` of the batches added and merged so far; `as_of` (the batches')
        is shown on the result, None when not given."""
        stamp = None if as_of is None else pd.Timestamp(as_of)
        return result_of(self._state, stamp)

    def __repr__(self) -> str:
        return f"BacktestState(policies={list(self.policies)!r}, by={list(self.by)!r})"


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
    its grade changes out, and its ``notes`` say so. `by` groups the summary as
    :func:`kpis` groups (lead columns, ``grade`` under each policy, ``current_grade``,
    ``region_id`` with `dealers`, ``month``, ``week``): one row per group and policy, the
    group columns first; the grade crosstab and the conversion by grade stay over every lead.
    `as_of`, `surveys`, `dealers`, `scope`, `tz` and `threads` are as in :func:`kpis`.
    """
    state, as_of_seconds = state_for(leads, touches, policies, grade_map=grade_map, by=by,
                                     surveys=surveys, dealers=dealers, scope=scope,
                                     as_of=as_of, tz=tz, threads=threads)
    as_of_time = pd.Timestamp(as_of_seconds, unit="s", tz="UTC").tz_convert(
        next(iter(policies.values())).time_zone)
    result = result_of(state, as_of_time)
    sources = [_frames.as_frame(leads, "leads"), _frames.dealers_frame(dealers)]
    result.summary = _frames.restore_key_dtypes(result.summary, sources)
    result.task_load = _frames.restore_key_dtypes(result.task_load, sources)
    return result
