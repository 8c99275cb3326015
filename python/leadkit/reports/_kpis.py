"""The core KPIs from pandas (docs/kpis.md)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from .. import _core, _frames
from .._calendar import warn_as_of_past, warn_estimated
from .._policy import Policy
from .._scope import Scope, check_scope
from ._state import EngineState

#: The columns of ``kpis()`` after the group columns, in order (part of the contract; listed
#: once, by C++ ``KpiFields``).
KPI_COLUMNS = list(_core.kpi_columns())
_DERIVED_KEYS = ["grade", "current_grade", "month", "week", "region_id"]
_SURVEY_COLUMNS = {"lead_id": "string", "at": "instant", "satisfied": "bool"}


def by_list(by) -> list[str]:
    """The group columns: lead columns, then the keys derived here (_DERIVED_KEYS)."""
    return _frames.by_names(by, [*_frames.GROUP_FIELDS, *_DERIVED_KEYS])


def with_region_id(lead_frame: pd.DataFrame, dealers: pd.DataFrame | None,
                   names: list[str]) -> pd.DataFrame:
    """The leads with the ``region_id`` of their dealer (through the dealers table) when the
    group columns `names` hold it; as they are otherwise."""
    if "region_id" not in names:
        return lead_frame
    if dealers is None:
        raise ValueError("by: region_id needs the dealers table (dealers=)")
    # The leads' dealers read as text (a list or a lone surrogate there is a ValueError naming
    # the lead), then joined by the C++ RegionsOf, the join the stream path's engine makes.
    rows = _frames.table_specs(lead_frame, {"dealer_id": "string"}, table="leads")
    codes, regions = _core.regions_of(
        len(lead_frame), rows, len(dealers),
        _frames.table_specs(dealers, {"dealer_id": "string", "region_id": "string"},
                            table="dealers", id_column="dealer_id"))
    values = np.array([*regions, None], dtype=object)[codes]
    return lead_frame.assign(region_id=pd.Series(values, index=lead_frame.index, dtype=object))


class _Inputs:
    """The tables of a KPI call, checked and turned into column specs once."""

    def __init__(self, leads, touches, policy, surveys, dealers, names, tz, as_of):
        if not isinstance(policy, Policy):
            raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
        lead_frame, touch_frame, survey_frame = _frames.kpi_tables(leads, touches, surveys)
        self.dealers = _frames.dealers_frame(dealers)
        lead_frame = with_region_id(lead_frame, self.dealers, names)
        impl = policy._impl
        fields, compared = _frames.engine_fields(impl, cadence=True, extra=names)
        if "region_id" in names:
            fields["region_id"] = "string"
            compared.add("region_id")
        self.leads = lead_frame
        self.lead_specs = _frames.table_specs(lead_frame, fields, table="leads",
                                              compared=compared, tz=tz, ids_as_strings=True)
        self.num_touches = len(touch_frame)
        self.touch_specs = _frames.table_specs(touch_frame, _frames.CADENCE_TOUCH_COLUMNS,
                                               table="touches", tz=tz, ids_as_strings=True)
        self.num_surveys = len(survey_frame)
        self.survey_specs = _frames.table_specs(survey_frame, _SURVEY_COLUMNS, table="surveys",
                                                tz=tz, ids_as_strings=True)
        self.as_of = _frames.as_of_seconds(
            as_of, [*self.lead_specs, *self.touch_specs, *self.survey_specs], tz)
        # Each lead's deadlines on its dealer's calendar when the dealers table gives one.
        self.cadence = _frames.cadence_for(impl, self.dealers)

    def tables(self) -> tuple:
        """The leads, touches and surveys as the core's (rows, specs) arguments."""
        return (len(self.leads), self.lead_specs, self.num_touches, self.touch_specs,
                self.num_surveys, self.survey_specs)


def state_for(leads: Any, touches: Any, policy: Policy, *, surveys=None, dealers=None,
              by=None, scope=None, as_of=None, tz=None, threads: int = 1,
              state: _core.KpiState | None = None):
    """Adds a batch to a KPI state (a new one unless given): the one path of ``kpis`` and of
    distributed runs. Returns (state, as_of seconds)."""
    names = by_list(by)
    inputs = _Inputs(leads, touches, policy, surveys, dealers, names, tz, as_of)
    mask = check_scope(scope).mask(inputs.leads, inputs.dealers)
    state = state if state is not None else _core.KpiState(names)
    if list(state.by) != names:
        raise ValueError(f"by: the state groups by {list(state.by)!r}, not {names!r}")
    state.add(inputs.cadence, *inputs.tables(), inputs.as_of, mask,
              _frames.check_threads(threads))
    return state, inputs.as_of


def frame_of(state: _core.KpiState) -> pd.DataFrame:
    """The KPI table of a state: group columns, then KPI_COLUMNS."""
    out = state.finalize()
    names = list(state.by)
    keys = out["keys"]
    data = {name: pd.Series([k[i] for k in keys], dtype=object) for i, name in enumerate(names)}
    for column in KPI_COLUMNS:
        data[column] = out[column]
    return pd.DataFrame(data, columns=[*names, *KPI_COLUMNS])


class KpiState(EngineState):
    """The core KPIs counted so far (the C++ ``leadkit::KpiState``, docs/kpis.md): :meth:`add`
    batches of leads, each with all of its touches and surveys; :meth:`merge` (or ``+``)
    states of other batches; :meth:`finalize` gives the table of :func:`kpis`. ``to_bytes`` /
    :meth:`from_bytes` carry a state between processes (docs/distributed.md), and states
    pickle.

        state = leadkit.KpiState(by=["month"])
        state.add(batch_leads, batch_touches, policy, as_of=as_of)
        table = (state + other_state).finalize()
    """

    _core_class = _core.KpiState
    __slots__ = ()

    def __init__(self, by: Any = None):
        self._state = _core.KpiState(by_list(by))

    @property
    def by(self) -> tuple[str, ...]:
        """The group columns."""
        return tuple(self._state.by)

    def add(self, leads: Any, touches: Any, policy: Policy, *, as_of: Any, surveys=None,
            dealers=None, scope: Scope | None = None, tz: str | None = None,
            threads: int = 1) -> "KpiState":
        """Adds a batch of leads with all of their touches and surveys, counted at `as_of`
        (required: the same for every batch of one report); the tables and parameters as
        :func:`kpis`. Returns the state."""
        if as_of is None:
            raise ValueError("as_of: a partial state needs an explicit as_of, the same for "
                             "every batch")
        names = list(self.by)
        readers = stream_readers(leads, touches, surveys, policy, names)
        if readers is not None and not isinstance(readers, tuple):
            add_streams(self._state, readers, policy, dealers, scope, as_of, tz, threads)
            return self
        if readers is not None:
            leads, touches, surveys = readers
        state_for(leads, touches, policy, surveys=surveys, dealers=dealers, by=list(self.by),
                  scope=scope, as_of=as_of, tz=tz, threads=threads, state=self._state)
        return self

    def _check(self, core: _core.KpiState) -> None:
        if list(core.by) != list(self.by):
            raise ValueError(f"merge: a state grouped by {list(core.by)!r} cannot merge into "
                             f"one grouped by {list(self.by)!r}")

    def finalize(self) -> pd.DataFrame:
        """The :func:`kpis` table of the batches added and merged so far: the group columns,
        then KPI_COLUMNS."""
        return frame_of(self._state)

    @property
    def estimated(self) -> int:
        """Leads counted so far whose deadlines rest on a calendar past its coverage."""
        return int(np.sum(self._state.finalize()["estimated"]))

    def __repr__(self) -> str:
        return f"KpiState(by={list(self.by)!r})"


def warn_coverage(policy: Policy, dealers: Any, as_of_seconds: int, estimated: int) -> None:
    """The one CoverageWarning of a KPI call: `as_of` past a judging calendar's coverage, else
    how many leads rest on estimates (docs/calendars.md, "Past the coverage")."""
    calendars = _frames.judging_calendars(policy._impl, _frames.dealers_frame(dealers))
    if not any(warn_as_of_past(c, _local_day(as_of_seconds, c.time_zone), "kpis")
               for c in calendars):
        warn_estimated(calendars, estimated, "kpis", unit="lead")


def kpis(leads: Any, touches: Any, policy: Policy, *, surveys=None, dealers=None, by=None,
         scope: Scope | None = None, as_of=None, tz: str | None = None,
         threads: int = 1) -> pd.DataFrame:
    """The core KPIs (docs/kpis.md): one row per group of `by` (one row when None), in sorted
    group order with the null group last.

    `by` takes lead columns (``channel``, ``dealer_id``, ``consultant_id``, ``model``, ...),
    ``grade`` (at creation), ``current_grade`` (at `as_of`), ``region_id`` (needs `dealers`),
    ``month`` (``YYYY-MM``) and ``week`` (ISO ``YYYY-Www``) of ``created_at`` in the policy's
    zone — whatever the dealers' calendars. `scope` is a :class:`Scope`. With `dealers` and
    its ``calendar`` column, each lead's deadlines are judged on its dealer's calendar
    (docs/policy.md, "Calendars per dealer"). `as_of` defaults to the latest timestamp of the
    inputs. `threads` splits the leads over threads whose states are merged.

    When `leads`, `touches` and `surveys` (if given) are all Arrow streams (pyarrow, Polars,
    DuckDB, any ``__arrow_c_stream__``), the C++ engine reads them itself, without pandas
    (docs/data.md, "Arrow streams"); the result is the same.
    """
    names = by_list(by)
    readers = stream_readers(leads, touches, surveys, policy, names)
    if readers is not None and not isinstance(readers, tuple):
        return _kpis_arrow(readers, policy, dealers, scope, names, as_of, tz, threads)
    if readers is not None:
        leads, touches, surveys = readers
    return _kpis_frames(leads, touches, policy, surveys=surveys, dealers=dealers, by=by,
                        scope=scope, as_of=as_of, tz=tz, threads=threads)


#: The columns each table of a KPI call must have (_frames.kpi_tables).
_REQUIRED = {"leads": ["lead_id", "created_at"], "touches": ["lead_id", "at", "method"],
             "surveys": ["lead_id", "at", "satisfied"]}


def stream_readers(leads: Any, touches: Any, surveys: Any, policy: Policy,
                   names: list[str]) -> dict | tuple | None:
    """The tables of a KPI call as the engine reads them: a dict of pyarrow Tables (each
    stream read once, without pandas: a dictionary-encoded group key's categories are in
    them) when they are all Arrow streams it reads as the pandas path does (docs/data.md,
    "Arrow streams"); those tables for the pandas path when it does not; None for other
    tables."""
    readers = _frames.arrow_tables({"leads": leads, "touches": touches, "surveys": surveys})
    if readers is None:
        return None
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
    fields, _ = _frames.engine_fields(policy._impl, cadence=True, extra=names)
    columns = {"leads": fields, "touches": _frames.CADENCE_TOUCH_COLUMNS,
               "surveys": _SURVEY_COLUMNS}
    if _frames.stream_ready(readers, columns, required=_REQUIRED):
        return readers
    return readers["leads"], readers["touches"], readers.get("surveys")


def add_streams(state: _core.KpiState, readers: dict, policy: Policy, dealers: Any,
                scope: Any, as_of: Any, tz: Any, threads: Any
                ) -> tuple[int, pd.DataFrame | None]:
    """Adds the Arrow tables of `readers` to `state`, read and counted by the C ABI's code
    (lk_kpi_state_add), the scope applied by it too, and a ``region_id`` group each lead's
    dealer's region in the dealers table (the join of :func:`with_region_id`); the dealers
    table, a few rows, read as on the pandas path. Returns the as_of used (seconds) and the
    dealers frame."""
    dealer_frame = _frames.dealers_frame(dealers)
    if "region_id" in state.by and dealer_frame is None:
        raise ValueError("by: region_id needs the dealers table (dealers=)")
    scope = check_scope(scope)
    # The streams' times are zoned (stream_ready): `tz` names only a naive as_of's zone.
    seconds = _frames.stream_as_of(as_of, tz)
    cadence = _frames.cadence_for(policy._impl, dealer_frame)
    threads = _frames.check_threads(threads)
    as_of_seconds = _core.kpi_state_add_arrow(
        state, cadence, readers["leads"], readers["touches"], readers.get("surveys"), seconds,
        threads, **scope.stream_arguments(dealer_frame))
    return as_of_seconds, dealer_frame


def _kpis_arrow(readers: dict, policy: Policy, dealers: Any, scope: Any, names: list[str],
                as_of: Any, tz: Any, threads: Any) -> pd.DataFrame:
    """kpis() of Arrow streams (:func:`add_streams`)."""
    state = _core.KpiState(names)
    sources = [readers.get(name) for name in ("leads", "touches", "surveys")]
    as_of_seconds, dealer_frame = add_streams(state, readers, policy, dealers, scope, as_of,
                                              tz, threads)
    warn_coverage(policy, dealer_frame, as_of_seconds,
                  int(np.sum(state.finalize()["estimated"])))
    return _frames.restore_key_dtypes(frame_of(state), [*sources, dealer_frame])


@_frames.keeps_key_dtypes("leads", "touches", "surveys", "dealers")
def _kpis_frames(leads: Any, touches: Any, policy: Policy, *, surveys, dealers, by, scope,
                 as_of, tz, threads) -> pd.DataFrame:
    """kpis() of pandas frames (and of Arrow tables the C importer does not take)."""
    state, as_of_seconds = state_for(leads, touches, policy, surveys=surveys, dealers=dealers,
                                     by=by, scope=scope, as_of=as_of, tz=tz, threads=threads)
    warn_coverage(policy, dealers, as_of_seconds, int(np.sum(state.finalize()["estimated"])))
    return frame_of(state)


def _local_day(seconds: int, zone: str) -> _dt.date:
    return pd.Timestamp(seconds, unit="s", tz="UTC").tz_convert(zone).date()


#: The columns of ``lead_kpis()`` (part of the contract).
LEAD_KPI_COLUMNS = [
    "lead_id", "counted", "invalid", "grade", "current_grade", "won", "lost", "entry_due_at",
    "entered_on_time", "first_contact_start", "first_contact_due_at", "first_contact_at",
    "first_contact_method", "first_contact_due", "first_contact_on_time",
    "first_contact_minutes", "follow_ups_due", "follow_ups_on_time", "timely", "surveyed",
    "satisfied", "estimated",
]


@_frames.keeps_key_dtypes("leads", "touches", "surveys", "dealers")
def lead_kpis(leads: Any, touches: Any, policy: Policy, *, surveys=None, as_of=None,
              tz: str | None = None, dealers=None) -> pd.DataFrame:
    """Each lead's part in :func:`kpis` at `as_of`, with the deadlines behind it: one row per
    input lead, in input order (docs/kpis.md, "Lead by lead"). ``counted`` is False for leads
    created after `as_of`; the deadlines and flags hold for counted leads that are not
    invalid (NaT / False / 0 otherwise). Times are in the policy's zone. ``estimated`` is True
    when any of the lead's deadlines lies past the calendar's coverage and rests on its weekly
    hours (the call then warns once, :class:`leadkit.CoverageWarning`; docs/kpis.md, "Past the
    calendar's coverage"). With `dealers` and its ``calendar`` column, each lead's deadlines
    are judged on its dealer's calendar (docs/policy.md, "Calendars per dealer")."""
    return lead_kpis_with_minutes(leads, touches, policy, surveys=surveys, as_of=as_of, tz=tz,
                      dealers=dealers)[LEAD_KPI_COLUMNS]


def lead_kpis_with_minutes(leads: Any, touches: Any, policy: Policy, *, surveys=None, as_of=None,
               tz: str | None = None, dealers=None) -> pd.DataFrame:
    """:func:`lead_kpis`, with two more columns for a contacted lead (0 for the others):
    ``business_minutes``, whole minutes of its calendar's open time from
    ``first_contact_start`` to ``first_contact_at``, and ``sla_minutes``, the same to
    ``first_contact_due_at``."""
    inputs = _Inputs(leads, touches, policy, surveys, dealers, [], tz, as_of)
    out = _core.lead_kpis(inputs.cadence, *inputs.tables(), inputs.as_of)
    counted = out["counted"].astype(bool)
    valid = counted & ~out["invalid"].astype(bool)
    zone = policy.time_zone
    grades = np.array([*policy.grades, None], dtype=object)

    def times(name: str, present: np.ndarray) -> pd.Series:
        return _frames.zoned_times(out[name], zone, present)

    def grade(name: str) -> pd.Series:
        codes = np.where(counted, out[name], -1)
        return pd.Series(grades[codes], dtype=object)

    def flag(name: str) -> np.ndarray:
        return out[name].astype(bool) & valid

    contacted = out["contacted"].astype(bool) & valid
    minutes = pd.array(np.where(contacted, out["first_contact_minutes"], 0), dtype="Int64")
    minutes[~contacted] = pd.NA
    survey = np.where(counted, out["survey"], -1)
    methods = pd.Series(out["first_contact_method"], dtype=object)
    frame = pd.DataFrame({
        "lead_id": inputs.leads["lead_id"].to_numpy(dtype=object),
        "counted": counted,
        "invalid": out["invalid"].astype(bool) & counted,
        "grade": grade("grade"),
        "current_grade": grade("current_grade"),
        "won": flag("won"),
        "lost": flag("lost"),
        "entry_due_at": times("entry_due_at", valid),
        "entered_on_time": flag("entered_on_time"),
        "first_contact_start": times("first_contact_start", valid),
        "first_contact_due_at": times("first_contact_due_at", valid),
        "first_contact_at": times("first_contact_at", contacted),
        "first_contact_method": methods.where(contacted, None),
        "first_contact_due": flag("first_contact_due"),
        "first_contact_on_time": flag("first_contact_on_time"),
        "first_contact_minutes": minutes,
        "follow_ups_due": np.where(valid, out["follow_ups_due"], 0),
        "follow_ups_on_time": np.where(valid, out["follow_ups_on_time"], 0),
        "timely": flag("timely"),
        "surveyed": (survey >= 0) & valid,
        "satisfied": (survey == 1) & valid,
        "estimated": flag("estimated"),
        "business_minutes": np.where(contacted, out["first_contact_business"] // 60, 0),
        "sla_minutes": np.where(contacted, out["first_contact_allowed"] // 60, 0),
    })
    warn_estimated(_frames.judging_calendars(policy._impl, inputs.dealers),
                   int(frame["estimated"].sum()), "lead_kpis")
    return frame
