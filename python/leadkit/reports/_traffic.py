"""Showroom traffic and consultants' daily activity (docs/kpis.md): a facade over the C++
states ``ShowroomState`` and ``ActivityState`` (include/leadkit/showroom.h, activity.h).

Python converts the tables (``_frames``), resolves the default ``as_of`` and the scope mask,
calls the engine and builds the DataFrame from its columns. The classes :class:`ShowroomState`
and :class:`ActivityState` add batches, merge (``+``), go to bytes and back, and finalize to
the report; ``showroom_state / _merge / _finalize`` and ``activity_state / _merge /
_finalize`` remain as deprecated aliases.
"""

from __future__ import annotations

import functools
import operator
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from .. import _core, _frames
from .._scope import Scope, check_scope
from ._state import EngineState, deprecated, states_to_merge

#: The contact methods that always get a ``contacts_<method>`` column (001 §3.2; C++
#: ``kActivityMethods``).
METHODS = tuple(_core.ActivityState([], "UTC").methods)


# --- shared helpers -------------------------------------------------------------------------

def _key_columns(names: Sequence[str], keys: list, numeric: Sequence[str] = ()) -> dict:
    """The group columns of finalized rows: strings as objects (None for null), the `numeric`
    ones as int64."""
    columns = {}
    for i, name in enumerate(names):
        values = [key[i] for key in keys]
        if name in numeric:
            columns[name] = pd.Series(np.array([int(v) for v in values], dtype=np.int64))
        else:
            columns[name] = pd.Series(values, dtype=object)
    return columns


class _State(EngineState):
    """What ShowroomState and ActivityState share: options (`by`, the zone of local periods)
    that come with the first batch."""

    _periods: tuple[str, ...] = ()
    __slots__ = ()

    @property
    def by(self) -> tuple[str, ...] | None:
        """The group columns (None until a batch is added)."""
        return None if self._state is None else tuple(self._state.by)

    def _check_options(self, core, names: list[str], zone: str, periods: Sequence[str]) -> None:
        if list(core.by) != names:
            raise ValueError(f"states: grouped by {list(core.by)!r} and by {names!r}")
        if any(n in periods for n in names) and core.time_zone != zone:
            raise ValueError(f"states: local times in {core.time_zone!r} and in {zone!r}")

    def _check(self, core) -> None:
        self._check_options(self._state, list(core.by), core.time_zone, self._periods)

    def _start(self, names: list[str], zone: str) -> None:
        """The C++ state a batch of groups `names` in `zone` is added to: a new one for the
        first batch, else this one, its options checked."""
        if self._state is None:
            self._state = self._core_class(names, zone)
        self._check_options(self._state, names, zone, self._periods)

    def __repr__(self) -> str:
        if self._state is None:
            return f"{type(self).__name__}(empty)"
        return f"{type(self).__name__}(by={self.by!r}, tz={self._state.time_zone!r})"


def _streams(tables: dict[str, Any], columns: dict[str, dict[str, str]],
             required: dict[str, list[str]], keys: Sequence[str] = ()) -> Any:
    """The tables of a traffic call (the main one, then the leads or None) as the engine
    reads them: a dict of RecordBatchReaders when they are all Arrow streams it reads as the
    pandas path does (docs/data.md, "Arrow streams"); a tuple of the tables for the pandas
    path when they are Arrow streams it does not (each read once); None for other tables."""
    readers = _frames.arrow_readers(tables)
    if readers is None:
        return None
    if _frames.stream_ready(readers, columns, required=required, keys=keys):
        return readers
    main = next(iter(tables))
    return readers[main], readers.get("leads")


# --- showroom (002 §2.6) ---------------------------------------------------------------------

SHOWROOM_KEYS = ("dealer_id", "consultant_id", "model", "hour", "weekday", "day")
#: What the engine reads of the visits and of the leads (the leads' times for the default
#: as_of).
_VISIT_FIELDS = {"visit_id": "string", "dealer_id": "string", "lead_id": "string",
                 "consultant_id": "string", "model": "string", "arrived_at": "instant",
                 "left_at": "instant", "effective": "bool"}
_SHOWROOM_LEAD_FIELDS = {"lead_id": "string", "status": "string", "created_at": "instant",
                         "won_at": "instant", "lost_at": "instant", "entered_at": "instant",
                         "assigned_at": "instant"}


class ShowroomState(_State):
    """Showroom traffic counted so far (docs/kpis.md, "Showroom traffic"): the C++
    ``ShowroomState``. :meth:`add` takes the arguments of :func:`showroom`; states of disjoint
    batches of visits merge with ``+``; :meth:`finalize` gives the table of :func:`showroom`.
    Batches of one report need one `as_of`: pass it (the default is the batch's own latest
    timestamp)."""

    _core_class = _core.ShowroomState
    _periods = ("hour", "weekday", "day")
    __slots__ = ()

    def add(self, visits: Any, *, leads: Any = None, by: Any = None,
            scope: Scope | None = None, dealers: Any = None, tz=None, as_of: Any = None,
            threads: int = 1) -> "ShowroomState":
        """Adds a batch of visits (with the leads they name); returns the state."""
        names = _frames.by_names(by, SHOWROOM_KEYS, strict=True)
        scope = check_scope(scope)
        dealer_frame = _frames.dealers_frame(dealers)
        if tz is not None:
            tz = _frames.zone_name(tz)
        threads = _frames.check_threads(threads)
        readers = _streams({"visits": visits, "leads": leads},
                           {"visits": _VISIT_FIELDS, "leads": _SHOWROOM_LEAD_FIELDS},
                           {"visits": ["visit_id", "dealer_id", "arrived_at"],
                            "leads": ["lead_id"]}, keys=["visit_id"])
        if isinstance(readers, dict):
            zone = _frames.zone_name(tz if tz is not None else _frames.schema_zone(
                readers["visits"].schema, "arrived_at") or "UTC")
            self._start(names, zone)
            _core.showroom_add_arrow(self._state, readers["visits"], readers.get("leads"),
                                     _frames.stream_as_of(as_of, tz), threads,
                                     **scope.stream_arguments(dealer_frame))
            return self
        if readers is not None:
            visits, leads = readers
        frame = _frames.as_frame(visits, "visits")
        _frames.require_columns(frame, "visits", ["visit_id", "dealer_id", "arrived_at"])
        specs = _frames.table_specs(frame, _VISIT_FIELDS, table="visits", tz=tz,
                                    id_column="visit_id")
        zone = _frames.zone_name(tz if tz is not None else _frames.own_zone(
            frame["arrived_at"], "visits", "arrived_at") or "UTC")
        lead_table, lead_specs = None, []
        if leads is not None:
            lead_table = _frames.as_frame(leads, "leads")
            _frames.require_columns(lead_table, "leads", ["lead_id"])
            lead_specs = _frames.table_specs(lead_table, _SHOWROOM_LEAD_FIELDS, table="leads",
                                             tz=tz)
        at = _frames.as_of_seconds(as_of, [*specs, *lead_specs], tz, required=False)
        mask = scope.mask(frame, dealer_frame)
        self._start(names, zone)
        self._state.add(len(frame), specs, None if lead_table is None else len(lead_table),
                        lead_specs, at, mask, threads)
        return self

    def finalize(self, *, top_models: int = 3) -> pd.DataFrame:
        """The :func:`showroom` table of the visits added (and merged) so far."""
        top_models = _top_count(top_models)
        core = self._core()
        out = core.finalize(top_models)
        names = list(core.by)
        data = _key_columns(names, out["keys"], numeric=("hour", "weekday"))
        for column in ("visits", "with_contact", "contact_share", "effective",
                       "effective_share"):
            data[column] = out[column]
        if core.has_won:
            data["won"] = out["won"]
            data["visit_to_deal_rate"] = out["visit_to_deal_rate"]
        data["avg_stay_minutes"] = out["avg_stay_minutes"]
        data["top_models"] = pd.Series(out["top_models"], dtype=object)
        return pd.DataFrame(data)


def _top_count(top_models: Any) -> int:
    if isinstance(top_models, (bool, np.bool_)) or not isinstance(top_models, (int, np.integer)):
        raise TypeError(f"top_models: expected an integer, got {top_models!r}")
    if top_models < 1:
        raise ValueError(f"top_models: expected 1 or more, got {top_models}")
    return int(top_models)


def showroom_state(visits: Any, *, leads: Any = None, by: Any = None, scope: Scope | None = None,
                   dealers: Any = None, tz=None, as_of: Any = None) -> ShowroomState:
    """Deprecated: ``ShowroomState().add(visits, ...)``."""
    deprecated("showroom_state", "leadkit.ShowroomState().add(...)")
    return ShowroomState().add(visits, leads=leads, by=by, scope=scope, dealers=dealers, tz=tz,
                               as_of=as_of)


def showroom_merge(states: Iterable[ShowroomState]) -> ShowroomState:
    """Deprecated: ``a + b`` (ShowroomState.merge)."""
    deprecated("showroom_merge", "a + b (leadkit.ShowroomState.merge)")
    return functools.reduce(operator.add, states_to_merge(states, ShowroomState, "showroom"))


def showroom_finalize(state: ShowroomState, *, top_models: int = 3) -> pd.DataFrame:
    """Deprecated: ``state.finalize(top_models=...)``."""
    deprecated("showroom_finalize", "leadkit.ShowroomState.finalize")
    if not isinstance(state, ShowroomState):
        raise TypeError(f"state: expected a leadkit.ShowroomState, got {type(state).__name__}")
    return state.finalize(top_models=top_models)


def showroom(visits: Any, *, leads: Any = None, by: Any = None, scope: Scope | None = None,
             dealers: Any = None, tz=None, top_models: int = 3, as_of: Any = None,
             threads: int = 1) -> pd.DataFrame:
    """Showroom traffic (002 §2.6, docs/kpis.md): one row per group of `by` (one row when
    None) in sorted group order, null keys last.

    `by` takes ``dealer_id``, ``consultant_id``, ``model``, ``hour`` (local hour of arrival,
    0-23), ``weekday`` (local ISO weekday, 1 = Monday ... 7 = Sunday) and ``day`` (local date,
    ``YYYY-MM-DD``). Local times are in `tz` when given, else in the zone of ``arrived_at``;
    naive times need `tz`. Columns: ``visits``, ``with_contact``, ``contact_share``,
    ``effective``, ``effective_share``, with `leads` ``won`` and ``visit_to_deal_rate``,
    ``avg_stay_minutes`` and ``top_models`` (the `top_models` most-asked models, ``;``-joined).
    `scope` keeps the visits of the dealers it sees (a region needs `dealers`). Point in time
    as in :func:`leadkit.kpis`: visits after `as_of` are left out, a departure after it is not
    known yet, a lead won after it is not won yet; `as_of` defaults to the latest timestamp of
    the visits and leads. `threads` splits the visits over threads (the same table)."""
    top_models = _top_count(top_models)
    state = ShowroomState().add(visits, leads=leads, by=by, scope=scope, dealers=dealers, tz=tz,
                                as_of=as_of, threads=threads)
    return state.finalize(top_models=top_models)


# --- activity (002 §2.4) ---------------------------------------------------------------------

ACTIVITY_KEYS = ("consultant_id", "dealer_id", "day", "week", "month")
_TOUCH_FIELDS = {"lead_id": "string", "at": "instant", "method": "string",
                 "consultant_id": "string"}
_ACTIVITY_LEAD_FIELDS = {"lead_id": "string", "created_at": "instant",
                         "assigned_at": "instant", "won_at": "instant", "lost_at": "instant",
                         "entered_at": "instant", "status": "string", "dealer_id": "string",
                         "consultant_id": "string"}


class ActivityState(_State):
    """Consultants' activity counted so far (docs/kpis.md, "Consultants' activity"): the C++
    ``ActivityState``. :meth:`add` takes the arguments of :func:`activity`; states of
    disjoint batches (each lead's touches in one batch) merge with ``+``; :meth:`finalize`
    gives the table of :func:`activity`. Batches of one report need one `as_of`: pass it (the
    default is the batch's own latest timestamp)."""

    _core_class = _core.ActivityState
    _periods = ("day", "week", "month")
    __slots__ = ()

    def add(self, touches: Any, *, leads: Any = None, by: Any = ("consultant_id", "day"),
            tz=None, scope: Scope | None = None, dealers: Any = None, as_of: Any = None,
            threads: int = 1) -> "ActivityState":
        """Adds a batch of touches (with the leads they belong to); returns the state."""
        names = _frames.by_names(by, ACTIVITY_KEYS, strict=True)
        scope = check_scope(scope)
        dealer_frame = _frames.dealers_frame(dealers)
        if tz is not None:
            tz = _frames.zone_name(tz)
        threads = _frames.check_threads(threads)
        if leads is None and scope.kind != "hq":
            raise ValueError(f"scope: {scope!r} needs the leads table (leads=): touches carry "
                             "no dealer_id")
        if leads is None and "dealer_id" in names:
            raise ValueError("by: dealer_id needs the leads table (leads=): touches carry no "
                             "dealer_id")
        readers = _streams({"touches": touches, "leads": leads},
                           {"touches": _TOUCH_FIELDS, "leads": _ACTIVITY_LEAD_FIELDS},
                           {"touches": ["lead_id", "at", "method"],
                            "leads": ["lead_id", "created_at"]})
        if isinstance(readers, dict):
            zone = _frames.zone_name(tz if tz is not None else _frames.schema_zone(
                readers["touches"].schema, "at") or "UTC")
            self._start(names, zone)
            _core.activity_add_arrow(self._state, readers["touches"], readers.get("leads"),
                                     _frames.stream_as_of(as_of, tz), threads,
                                     **scope.stream_arguments(dealer_frame))
            return self
        if readers is not None:
            touches, leads = readers
        frame = _frames.touch_frame(touches)
        specs = _frames.table_specs(frame, _TOUCH_FIELDS, table="touches", tz=tz,
                                    ids_as_strings=True)
        zone = _frames.zone_name(tz if tz is not None else _frames.own_zone(
            frame["at"], "touches", "at") or "UTC")
        lead_table, lead_specs, mask = None, [], None
        if leads is not None:
            lead_table = _frames.as_frame(leads, "leads")
            _frames.require_columns(lead_table, "leads", ["lead_id", "created_at"])
            lead_specs = _frames.table_specs(lead_table, _ACTIVITY_LEAD_FIELDS, table="leads",
                                             tz=tz, ids_as_strings=True)
            mask = scope.mask(lead_table, dealer_frame)
        at = _frames.as_of_seconds(as_of, [*specs, *lead_specs], tz, required=False)
        self._start(names, zone)
        self._state.add(len(frame), specs, None if lead_table is None else len(lead_table),
                        lead_specs, at, mask, threads)
        return self

    def finalize(self) -> pd.DataFrame:
        """The :func:`activity` table of the touches added (and merged) so far: method
        columns past the six defaults sorted by name."""
        core = self._core()
        out = core.finalize()
        data = _key_columns(list(core.by), out["keys"])
        data["contacts"] = out["contacts"]
        for method, counts in zip(out["methods"], out["contacts_by_method"]):
            data[f"contacts_{method}"] = counts
        data["leads_touched"] = out["leads_touched"]
        if core.has_new_leads:
            data["new_leads"] = out["new_leads"]
        return pd.DataFrame(data)


def activity_state(touches: Any, *, leads: Any = None, by: Any = ("consultant_id", "day"),
                   tz=None, scope: Scope | None = None, dealers: Any = None,
                   as_of: Any = None) -> ActivityState:
    """Deprecated: ``ActivityState().add(touches, ...)``."""
    deprecated("activity_state", "leadkit.ActivityState().add(...)")
    return ActivityState().add(touches, leads=leads, by=by, tz=tz, scope=scope, dealers=dealers,
                               as_of=as_of)


def activity_merge(states: Iterable[ActivityState]) -> ActivityState:
    """Deprecated: ``a + b`` (ActivityState.merge)."""
    deprecated("activity_merge", "a + b (leadkit.ActivityState.merge)")
    return functools.reduce(operator.add, states_to_merge(states, ActivityState, "activity"))


def activity_finalize(state: ActivityState) -> pd.DataFrame:
    """Deprecated: ``state.finalize()``."""
    deprecated("activity_finalize", "leadkit.ActivityState.finalize")
    if not isinstance(state, ActivityState):
        raise TypeError(f"state: expected a leadkit.ActivityState, got {type(state).__name__}")
    return state.finalize()


def activity(touches: Any, *, leads: Any = None, by: Any = ("consultant_id", "day"), tz=None,
             scope: Scope | None = None, dealers: Any = None, as_of: Any = None,
             threads: int = 1) -> pd.DataFrame:
    """Each consultant's daily work (002 §2.4, docs/kpis.md): one row per group of `by`
    (default consultant and local day), sorted, null keys last.

    `by` takes ``consultant_id`` (the touch's), ``dealer_id`` (the lead's; needs `leads`),
    ``day`` (``YYYY-MM-DD``), ``week`` (ISO ``YYYY-Www``) and ``month`` (``YYYY-MM``) of the
    touch in `tz`, else in the zone of ``touches.at``. Columns: ``contacts``, one
    ``contacts_<method>`` per method (``phone``, ``wechat``, ``sms``, ``email``, ``visit``,
    ``event``, then any other method in the data), ``leads_touched`` (distinct leads) and,
    with `leads`, ``new_leads`` (leads whose ``assigned_at``, null: ``created_at``, falls in
    the group, counted for the lead's consultant). A non-HQ `scope` needs `leads`. Touches
    and leads received after `as_of` are left out; `as_of` defaults to the latest timestamp
    of the touches and leads. `threads` splits the work over threads (the same table)."""
    return ActivityState().add(touches, leads=leads, by=by, tz=tz, scope=scope, dealers=dealers,
                               as_of=as_of, threads=threads).finalize()
