"""The follow-up schedule and the daily agenda (docs/cadence.md)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _core, _frames
from ._calendar import warn_estimated
from ._policy import Policy

_TASK_NAMES = list(_core.task_names())


class _Inputs:
    """The leads and touches of a cadence call, checked and converted once, and the cadence
    (each lead on its dealer's calendar when the dealers table names one)."""

    def __init__(self, leads, touches, policy: Policy, tz, dealers):
        if not isinstance(policy, Policy):
            raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
        self.leads = _frames.as_frame(leads, "leads")
        self.touches = _frames.as_frame(touches, "touches")
        _frames.require_columns(self.leads, "leads", ["lead_id", "created_at"])
        _frames.require_columns(self.touches, "touches", ["lead_id", "at", "method"])
        impl = policy._impl
        # The playbook's lead fields too: every task's action is read with its schedule.
        fields, compared = _frames.engine_fields(impl, cadence=True,
                                                 extra=_core.playbook_fields(impl))
        self.lead_specs = _frames.table_specs(self.leads, fields, table="leads",
                                              compared=compared, tz=tz, ids_as_strings=True)
        self.touch_specs = _frames.table_specs(self.touches, _frames.CADENCE_TOUCH_COLUMNS,
                                               table="touches", tz=tz, ids_as_strings=True)
        self.cadence = _frames.cadence_for(impl, _frames.dealers_frame(dealers))

    def tables(self) -> tuple:
        """The leads and touches as the core's (rows, specs) arguments."""
        return len(self.leads), self.lead_specs, len(self.touches), self.touch_specs

    def as_of(self, as_of, tz) -> int:
        return _frames.as_of_seconds(as_of, [*self.lead_specs, *self.touch_specs], tz)


def first_contact_overdue(leads, touches, policy: Policy, *, as_of, tz=None,
                          dealers=None) -> tuple[pd.DataFrame, np.ndarray]:
    """The leads table as a frame, and per row 1 when its first contact is overdue at `as_of`
    (C++ ``Cadence::FirstContactOverdue``)."""
    inputs = _Inputs(leads, touches, policy, tz, dealers)
    late = _core.first_contact_overdue(inputs.cadence, *inputs.tables(),
                                       inputs.as_of(as_of, tz))
    return inputs.leads, late


def _vocabularies(policy: Policy) -> dict[str, list[str]]:
    """The categories of the action columns: the playbook's methods, the policy's content
    types and goals, and the playbook's rule ids in order."""
    impl = policy._impl
    return {
        "method": list(_core.playbook_methods()),
        "content": list(_core.playbook_content_values(impl)),
        "goal": list(_core.playbook_goal_values(impl)),
        "rule": [r.id for r in _core.playbook_rules_of(impl)],
    }


def _actions(policy: Policy, rules: np.ndarray) -> dict[str, pd.Categorical]:
    """The playbook's action of each task from its rule index (C++ ``PlaybookBatch``):
    ``method``, ``content``, ``goal`` and ``rule`` as categoricals over the vocabularies."""
    book = _core.playbook_rules_of(policy._impl)
    words = _vocabularies(policy)
    rules = rules.astype(np.int32)

    def column(name, pick):
        codes = np.array([words[name].index(pick(r)) for r in book], dtype=np.int32)
        return pd.Categorical.from_codes(codes[rules], categories=words[name])

    return {
        "method": column("method", lambda r: r.method),
        "content": column("content", lambda r: r.content),
        "goal": column("goal", lambda r: r.goal),
        "rule": pd.Categorical.from_codes(rules, categories=words["rule"]),
    }


def _run(leads, touches, policy: Policy, as_of, tz, collect: bool, dealers=None,
         day: _dt.date | None = None, explain: bool = False):
    """The schedule at `as_of`, or with `day` that local day's agenda (each lead in its
    dealer's calendar); each task with its playbook action (and, with `explain`, the
    conditions that held)."""
    inputs = _Inputs(leads, touches, policy, tz, dealers)
    lead_frame, touch_frame, cadence = inputs.leads, inputs.touches, inputs.cadence
    if day is not None:
        as_of_seconds = _core.agenda_day(cadence, (day - _dt.date(1970, 1, 1)).days)[2]
    else:
        as_of_seconds = inputs.as_of(as_of, tz)
    out = _core.schedule(cadence, *inputs.tables(), as_of_seconds, collect,
                         None if day is None else (day - _dt.date(1970, 1, 1)).days,
                         explain)
    zone = policy.time_zone
    rows = out["lead_row"]
    lead_ids = lead_frame["lead_id"].reset_index(drop=True)
    consultants = (lead_frame["consultant_id"].reset_index(drop=True).take(rows)
                   .reset_index(drop=True)
                   if "consultant_id" in lead_frame.columns else pd.Series([None] * len(rows),
                                                                         dtype=object))
    tasks = pd.DataFrame({
        "lead_id": lead_ids.take(rows).reset_index(drop=True),
        "consultant_id": consultants,
        "task": pd.Categorical.from_codes(out["kind"], categories=_TASK_NAMES),
        "due_at": _frames.zoned_times(out["due"], zone),
        "agenda_at": _frames.zoned_times(out["agenda"], zone, out["agenda_valid"]),
        "status": pd.Categorical.from_codes(out["overdue"].astype(np.int8),
                                            categories=["pending", "overdue"]),
        "started_at": _frames.zoned_times(out["start"], zone),
        "detail": pd.Series([d or None for d in out["detail"]], dtype=object),
        "estimated": out["estimated"].astype(bool),
        **_actions(policy, out["rule"]),
    })
    if explain:
        tasks["reasons"] = pd.Series(list(out["reasons"]), dtype=object)
    errors = pd.DataFrame(
        [(table, row, (lead_frame if table == "leads" else touch_frame)["lead_id"].iloc[row],
          column or None, message) for table, row, column, message in out["errors"]],
        columns=["table", "row", "lead_id", "column", "reason"])
    return tasks, errors, lead_frame, rows, pd.Timestamp(as_of_seconds, unit="s", tz="UTC")


#: The columns each table of a cadence call must have.
_REQUIRED = {"leads": ["lead_id", "created_at"], "touches": ["lead_id", "at", "method"]}
#: The columns of the errors table of ``errors="collect"``.
_ERROR_COLUMNS = ["table", "row", "lead_id", "column", "reason"]


def _stream_tables(leads: Any, touches: Any, policy: Policy,
                   filters: tuple) -> dict | tuple | None:
    """The leads and touches as the engine reads them: a dict of pyarrow Tables (each stream
    read once, without pandas) when both are Arrow streams it reads as the pandas path does
    (docs/data.md, "Arrow streams") and the agenda's filters are text; those tables for the
    pandas path when not; None for other tables."""
    tables = _frames.arrow_tables({"leads": leads, "touches": touches})
    if tables is None or len(tables) < 2:
        return None if tables is None else tuple(tables.get(n) for n in ("leads", "touches"))
    impl = policy._impl
    # The pandas path's columns, with the consultant_id the tasks carry.
    fields, _ = _frames.engine_fields(impl, cadence=True,
                                      extra=[*_core.playbook_fields(impl), "consultant_id"])
    columns = {"leads": fields, "touches": _frames.CADENCE_TOUCH_COLUMNS}
    ready = _frames.stream_ready(tables, columns, required=_REQUIRED)
    if ready and all(f is None or isinstance(f, str) for f in filters):
        return tables
    return tables["leads"], tables["touches"]


def _consultants(values: pa.ChunkedArray, leads: pa.Table) -> pd.Series:
    """The tasks' consultant_id as the engine gives it, in the dtype the pandas path keeps:
    the leads' column's as :func:`_frames.arrow_frame` wraps it (Arrow strings, a
    categorical over its dictionaries, Arrow nulls), or Python objects (None) when the leads
    lack it."""
    schema = leads.schema
    index = schema.get_field_index("consultant_id")
    kind = schema.field(index).type if index >= 0 else None
    if kind is not None and pa.types.is_null(kind):
        return pd.Series(pd.arrays.ArrowExtensionArray(pa.nulls(len(values))))
    if kind is not None and (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                             or pa.types.is_string_view(kind)):
        # Arrow strings as they are (string views as large strings, as arrow_frame casts).
        kind = pa.string() if pa.types.is_string(kind) else pa.large_string()
        return pd.Series(pd.arrays.ArrowExtensionArray(values.cast(kind)))
    objects = pd.DataFrame({"consultant_id": pd.Series(
        values.to_numpy(zero_copy_only=False), dtype=object)})
    return _frames.restore_key_dtypes(objects, [leads])["consultant_id"]


def _run_arrow(tables: dict, policy: Policy, as_of, tz, collect: bool, dealers,
               day: _dt.date | None, explain: bool, consultant_id: str | None,
               dealer_id: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tasks (and rows rejected) of Arrow tables, read, scheduled and given their
    playbook actions by the C ABI's code (lk_schedule_actions_arrow, lk_agenda_actions_arrow
    with the agenda's filters): the frames of the pandas path."""
    impl = policy._impl
    cadence = _frames.cadence_for(impl, _frames.dealers_frame(dealers))
    leads = tables["leads"]
    # The pandas path's order: a bad row is named before a filter without its column.
    unfiltered = dealer_id is not None and "dealer_id" not in leads.column_names
    tasks_capsule, errors_capsule = _core.tasks_arrow(
        cadence, leads, tables["touches"],
        None if day is not None else _frames.stream_as_of(as_of, tz),
        day=None if day is None else (day - _dt.date(1970, 1, 1)).days, explain=explain,
        collect=collect, consultant_id=consultant_id,
        dealer_id=None if unfiltered else dealer_id)
    if unfiltered:
        raise ValueError('leads: dealer_id= needs a "dealer_id" column')
    out = _frames.ArrowResult(tasks_capsule).read_all()
    zone = policy.time_zone
    words = _vocabularies(policy)

    def seconds(name: str) -> tuple[np.ndarray, np.ndarray]:
        values = out[name].cast(pa.int64())
        return (values.fill_null(0).to_numpy(),
                values.is_valid().to_numpy(zero_copy_only=False))

    def codes(name: str, categories: list[str]) -> pd.Categorical:
        column = out[name]
        if pa.types.is_dictionary(column.type):
            indices = column.combine_chunks().indices.to_numpy(zero_copy_only=False)
        else:
            indices = pc.index_in(column, value_set=pa.array(categories)).to_numpy(
                zero_copy_only=False)
        return pd.Categorical.from_codes(indices.astype(np.int32), categories=categories)

    agenda, agenda_valid = seconds("agenda_at")
    tasks = pd.DataFrame({
        "lead_id": pd.arrays.ArrowExtensionArray(out["lead_id"]),
        "consultant_id": _consultants(out["consultant_id"], leads),
        "task": codes("task", _TASK_NAMES),
        "due_at": _frames.zoned_times(seconds("due_at")[0], zone),
        "agenda_at": _frames.zoned_times(agenda, zone, agenda_valid),
        "status": codes("status", ["pending", "overdue"]),
        "started_at": _frames.zoned_times(seconds("started_at")[0], zone),
        "detail": pd.Series(out["detail"].to_pylist(), dtype=object),
        "estimated": np.asarray(out["estimated"].to_numpy(), dtype=bool),
        **{name: codes(name, words[name]) for name in ("method", "content", "goal", "rule")},
    })
    if explain:
        tasks["reasons"] = pd.Series(out["reasons"].to_pylist(), dtype=object)
    rows = []
    if errors_capsule is not None:
        rejected = _frames.ArrowResult(errors_capsule).read_all()
        rows = list(zip(*(rejected[name].to_pylist() for name in _ERROR_COLUMNS)))
    return tasks, pd.DataFrame(rows, columns=_ERROR_COLUMNS)


def _tasks(leads, touches, policy: Policy, *, as_of=None, tz=None, collect: bool = False,
           dealers=None, day: _dt.date | None = None, explain: bool = False,
           consultant_id: str | None = None,
           dealer_id: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tasks of :func:`schedule`, :func:`agenda` (with `day`, kept by the filters) and
    :func:`next_actions` (with `explain`), and the rows rejected (with `collect`). Arrow
    streams go to the C ABI's engine as they are (:func:`_run_arrow`); other tables, and
    streams whose columns the importer does not read as the pandas path does, through
    pandas (:func:`_run`)."""
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
    tables = _stream_tables(leads, touches, policy, (consultant_id, dealer_id))
    if isinstance(tables, dict):
        return _run_arrow(tables, policy, as_of, tz, collect, dealers, day, explain,
                          consultant_id, dealer_id)
    if tables is not None:
        leads, touches = tables
    tasks, errors, lead_frame, rows, _ = _run(leads, touches, policy, as_of, tz, collect,
                                              dealers, day, explain)
    if consultant_id is None and dealer_id is None:
        return tasks, errors
    # A null never matches (Arrow-backed columns compare to NA there).
    keep = np.ones(len(tasks), dtype=bool)
    if consultant_id is not None:
        keep &= (tasks["consultant_id"] == consultant_id).to_numpy(dtype=bool, na_value=False)
    if dealer_id is not None:
        if "dealer_id" not in lead_frame.columns:
            raise ValueError('leads: dealer_id= needs a "dealer_id" column')
        lead_dealers = (lead_frame["dealer_id"].reset_index(drop=True).take(rows)
                        .reset_index(drop=True))
        keep &= (lead_dealers == dealer_id).to_numpy(dtype=bool, na_value=False)
    return tasks[keep].reset_index(drop=True), errors


def schedule(leads: Any, touches: Any, policy: Policy, *, as_of=None, tz: str | None = None,
             errors: str = "raise", dealers: Any = None):
    """Every open follow-up task at `as_of` (docs/cadence.md).

    `leads` needs ``lead_id`` and ``created_at``; `touches` needs ``lead_id``, ``at`` and
    ``method``; the other columns of docs/data.md are read when present. `as_of` defaults to
    the latest timestamp in the inputs — never the machine's clock. Naive timestamps need
    `tz`.

    Returns a DataFrame with one row per open task: ``lead_id``, ``consultant_id``, ``task``,
    ``due_at``, ``agenda_at`` (range intervals, else null), ``status`` (``pending`` or
    ``overdue``), ``started_at``, ``detail`` (post-sale step, greeting or campaign),
    ``estimated`` (the due or agenda date lies past the calendar's coverage and rests on its
    weekly hours; the call then warns once, :class:`leadkit.CoverageWarning`), then what to
    do, from the policy's playbook (docs/playbook.md): ``method``, ``content``, ``goal`` and
    the playbook ``rule`` that gave them; in lead order and by due time within a lead. With ``errors="collect"`` returns ``(tasks, errors)``: one
    row per rejected input row (``table``, ``row``, ``lead_id``, ``column``, ``reason``)
    instead of raising — a task whose deadline cannot be computed is such a row, and the
    lead's other tasks are kept; nothing is dropped silently.

    `dealers` (the dealers table, docs/data.md): when it has a ``calendar`` column, each
    lead's deadlines are judged on its dealer's calendar — one of the policy's
    ``calendars`` — in that calendar's zone (docs/policy.md, "Calendars per dealer").
    Instants are shown in the policy's zone whatever the calendar.

    When `leads` and `touches` are both Arrow streams (pyarrow, Polars, DuckDB, any
    ``__arrow_c_stream__``), the C++ engine reads them itself, without pandas (docs/data.md,
    "Arrow streams"); the result is the same. So for :func:`agenda` and :func:`next_actions`.
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f'errors: expected "raise" or "collect", got {errors!r}')
    tasks, rejected = _tasks(leads, touches, policy, as_of=as_of, tz=tz,
                             collect=errors == "collect", dealers=dealers)
    warn_estimated(_frames.judging_calendars(policy._impl, _frames.dealers_frame(dealers)),
                   int(tasks["estimated"].sum()), "schedule")
    return (tasks, rejected) if errors == "collect" else tasks


def agenda(leads: Any, touches: Any, policy: Policy, *, day: _dt.date,
           consultant_id: str | None = None, dealer_id: str | None = None,
           tz: str | None = None, dealers: Any = None) -> pd.DataFrame:
    """The daily work log (002 §2.5) of local `day` in the policy's calendar: the schedule
    at the day's last second, keeping every task that opens that day, is due that day, is on
    the agenda (range intervals), or is overdue; ``status`` is as the task stands on that
    day (``overdue``: due at or before the day's start) — optionally for one consultant or
    one dealer (docs/cadence.md, "The daily agenda"). With `dealers` and its ``calendar``
    column, each lead's day is `day` in its dealer's calendar (as :func:`schedule`)."""
    if isinstance(day, _dt.datetime) or not isinstance(day, _dt.date):
        raise TypeError(f"day: expected a datetime.date, got {type(day).__name__}")
    # The day's bounds and its rule are the cadence's (Cadence::Agenda), lead by lead.
    out, _ = _tasks(leads, touches, policy, tz=tz, dealers=dealers, day=day,
                    consultant_id=consultant_id, dealer_id=dealer_id)
    warn_estimated(_frames.judging_calendars(policy._impl, _frames.dealers_frame(dealers)),
                   int(out["estimated"].sum()), "agenda")
    return out


def next_actions(leads: Any, touches: Any, policy: Policy, *, as_of=None, tz: str | None = None,
                 dealers: Any = None, explain: bool = False) -> pd.DataFrame:
    """What to do next: one row per open task at `as_of` — exactly the tasks of
    :func:`schedule` — with ``lead_id``, ``task``, ``due_at``, ``method``, ``content``,
    ``goal`` and ``rule``, from the policy's playbook (docs/playbook.md). With `explain`, a
    ``reasons`` column lists each task's conditions that held, with the lead's values
    (personal data masked). Inputs, `as_of`, `tz` and `dealers` as :func:`schedule`."""
    if not isinstance(explain, bool):
        raise TypeError(f"explain: expected a bool, got {type(explain).__name__}")
    tasks, _ = _tasks(leads, touches, policy, as_of=as_of, tz=tz, dealers=dealers,
                      explain=explain)
    warn_estimated(_frames.judging_calendars(policy._impl, _frames.dealers_frame(dealers)),
                   int(tasks["estimated"].sum()), "next_actions")
    columns = ["lead_id", "task", "due_at", "method", "content", "goal", "rule"]
    return tasks[columns + (["reasons"] if explain else [])]
