"""Follow-up effectiveness (000 §7.1.3): conversion by the mix of follow-up methods, by the
average interval between follow-ups and by each action used — method and content
(docs/kpis.md), computed by the C++ engine
(``EffectivenessState``, include/leadkit/effectiveness.h). This module converts the tables,
checks the arguments that are Python objects and builds the DataFrame.

The counts are additive per group — leads, won leads, touches — so a batch of leads (each with
all of its touches) gives a partial state, states merge by addition, and the rates come last:

    state = EffectivenessState(view="interval")
    state.add(batch_leads, batch_touches, as_of=...)
    table = (state + other_state).finalize()
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .. import _core, _frames
from .._policy import Policy, check_policy
from .._scope import Scope, check_scope
from ._state import EngineState

#: The views `effectiveness` offers; the group column of each is named after it, but for
#: ``action``, whose groups are the columns ``method`` and ``content``.
VIEWS = ("method_mix", "interval", "action")
#: Upper bounds, in days, of the default interval buckets: <1d, 1-3d, 3-7d, 7-14d, 14-30d, 30d+.
DEFAULT_INTERVAL_BUCKETS = (1, 3, 7, 14, 30)
#: The columns of a state table (the deprecated functions) after its group column.
STATE_COLUMNS = ["leads", "won", "touches"]
#: The columns of `effectiveness` after its group column.
EFFECTIVENESS_COLUMNS = ["leads", "won", "conversion_rate", "touches", "touches_per_lead"]
#: The action view's columns next to the playbook (with a policy), after those.
PLAYBOOK_COLUMNS = ["recommended_touches", "touches_as_recommended", "leads_as_recommended",
                    "won_as_recommended", "conversion_rate_as_recommended"]

#: What the engine reads of the leads and the touches.
_LEAD_TYPES = {"lead_id": "string", "created_at": "instant", "status": "string",
               "won_at": "instant"}
_TOUCH_TYPES = {"lead_id": "string", "at": "instant", "method": "string"}
#: The action view also reads the touches' optional content.
_ACTION_TOUCH_TYPES = {**_TOUCH_TYPES, "content": "string"}


# ---------------------------------------------------------------------------------------------
# Arguments


def _check_view(view: Any) -> str:
    if view not in VIEWS:
        raise ValueError(f"view: expected one of {', '.join(VIEWS)}, got {view!r}"
                         f"{_frames.suggest(str(view), VIEWS)}")
    return view


def interval_bounds(interval_buckets: Any = None) -> list[float]:
    """The bucket bounds in days as floats (the engine checks that they are finite, above 0
    and increasing), or the defaults."""
    if interval_buckets is None:
        return [float(b) for b in DEFAULT_INTERVAL_BUCKETS]
    if isinstance(interval_buckets, (str, bytes)) or not isinstance(interval_buckets, Iterable):
        raise TypeError("interval_buckets: expected a sequence of day bounds such as "
                        f"(1, 3, 7), got {type(interval_buckets).__name__}")
    bounds = list(interval_buckets)
    for bound in bounds:
        if isinstance(bound, (bool, np.bool_)) or not isinstance(
                bound, (int, float, np.integer, np.floating)):
            raise TypeError(f"interval_buckets: {bound!r} is not a number of days")
    return [float(b) for b in bounds]


# ---------------------------------------------------------------------------------------------
# The state


class EffectivenessState(EngineState):
    """Mergeable counts of :func:`effectiveness` (the C++ ``leadkit::EffectivenessState``):
    :meth:`add` batches of leads, each with all of its touches; :meth:`merge` (or ``+``)
    states of other batches; :meth:`finalize` gives the report. ``to_bytes`` /
    :meth:`from_bytes` carry a state between processes, and states pickle."""

    _core_class = _core.EffectivenessState
    __slots__ = ()

    def __init__(self, view: str = "method_mix", *, interval_buckets: Any = None,
                 playbook: bool = False):
        if not isinstance(playbook, (bool, np.bool_)):
            raise TypeError(f"playbook: expected True or False, got {playbook!r}")
        self._state = _core.EffectivenessState(_check_view(view),
                                              interval_bounds(interval_buckets), bool(playbook))

    @property
    def view(self) -> str:
        return self._state.view

    @property
    def interval_buckets(self) -> tuple[float, ...]:
        return tuple(self._state.interval_buckets)

    @property
    def playbook(self) -> bool:
        """Whether the action view is compared with the policy's playbook (PLAYBOOK_COLUMNS);
        :meth:`add` then needs the policy."""
        return self._state.playbook

    def add(self, leads: Any, touches: Any, *, as_of: Any, tz: str | None = None,
            scope: Scope | None = None, dealers: Any = None, threads: int = 1,
            policy: Policy | None = None) -> "EffectivenessState":
        """Adds a batch of leads with all of their touches, counted at `as_of` (required: the
        same for every batch of one report); the tables and parameters as
        :func:`effectiveness`. A state made with ``playbook=True`` needs the `policy` whose
        playbook it reads. Returns the state."""
        if as_of is None:
            raise ValueError("as_of: a partial state needs an explicit as_of, the same for "
                             "every batch")
        _add(self._state, leads, touches, as_of=as_of, tz=tz, scope=scope, dealers=dealers,
             threads=threads, policy=policy)
        return self

    def finalize(self) -> pd.DataFrame:
        """The report: the group column (named after the view; ``method`` and ``content`` in
        the action view), then EFFECTIVENESS_COLUMNS (and PLAYBOOK_COLUMNS next to the
        playbook)."""
        return _frame(self.view, self._state.finalize(), self.playbook)

    def _check(self, core: Any) -> None:
        if core.playbook != self._state.playbook:
            raise ValueError("merge: a state next to the playbook (playbook=True) cannot merge "
                             "with one without it")

    def __repr__(self) -> str:
        buckets = ", ".join(f"{b:g}" for b in self.interval_buckets)
        playbook = ", playbook=True" if self.playbook else ""
        return (f"EffectivenessState(view={self.view!r}, interval_buckets=({buckets})"
                f"{playbook})")


def _add(impl: _core.EffectivenessState, leads: Any, touches: Any, *, as_of: Any,
         tz: str | None, scope: Scope | None, dealers: Any, threads: Any,
         policy: Policy | None = None) -> None:
    """Converts a batch and adds it to `impl`; `as_of` None: the latest timestamp of the
    inputs (leads' created_at and won_at, touches' at). With `policy` (a state next to the
    playbook), the leads are read as the cadence reads them, with the fields the policy's
    classification and playbook read, and the touches' grade_after."""
    threads = _frames.check_threads(threads)
    if impl.playbook and policy is None:
        raise ValueError("policy: the action view next to the playbook needs the policy whose "
                         "playbook it reads (policy=)")
    if policy is not None:
        check_policy(policy)
        if not impl.playbook:
            raise ValueError("policy: only the action view is compared with a policy's "
                             "playbook (view='action'; EffectivenessState(..., "
                             "playbook=True))")
    lead_types, compared = dict(_LEAD_TYPES), set(_LEAD_TYPES)
    touch_types = _ACTION_TOUCH_TYPES if impl.view == "action" else _TOUCH_TYPES
    if policy is not None:
        engine, engine_compared = _frames.engine_fields(
            policy._impl, cadence=True, extra=_core.playbook_fields(policy._impl))
        lead_types.update(engine)
        compared |= engine_compared
        touch_types = {**touch_types, "grade_after": "string"}
    readers = _frames.arrow_readers({"leads": leads, "touches": touches})
    if readers is not None:
        # The engine reads the touches' content in every view and the leads' dealer_id for
        # a scope: a stream whose columns it would not read alike takes the pandas path.
        columns = {"leads": {**lead_types, "dealer_id": "string"},
                   "touches": {**touch_types, "content": "string"}}
        required = {"leads": ["lead_id", "created_at"], "touches": ["lead_id", "at", "method"]}
        if _frames.stream_ready(readers, columns, required=required):
            dealer_frame = _frames.dealers_frame(dealers)
            _core.effectiveness_add_arrow(
                impl, readers["leads"], readers["touches"], _frames.stream_as_of(as_of, tz),
                threads, None if policy is None else policy._impl,
                **check_scope(scope).stream_arguments(dealer_frame))
            return
        leads, touches = readers["leads"], readers["touches"]
    lead_frame = _frames.as_frame(leads, "leads")
    _frames.require_columns(lead_frame, "leads", ["lead_id", "created_at"])
    _frames.require_ids(lead_frame, "leads", "lead_id")
    touch_frame = _frames.touch_frame(touches)
    lead_specs = _frames.table_specs(lead_frame, lead_types, table="leads", tz=tz,
                                     compared=compared, ids_as_strings=True)
    touch_specs = _frames.table_specs(touch_frame, touch_types, table="touches", tz=tz,
                                      ids_as_strings=True)
    as_of_seconds = _frames.as_of_seconds(as_of, [*lead_specs, *touch_specs], tz)
    mask = check_scope(scope).mask(lead_frame, _frames.dealers_frame(dealers))
    impl.add(len(lead_frame), lead_specs, len(touch_frame), touch_specs, as_of_seconds, mask,
             threads, None if policy is None else policy._impl)


def _frame(view: str, out: dict, playbook: bool = False) -> pd.DataFrame:
    """The engine's rows as the report's DataFrame: interval groups an ordered categorical of
    every group, method mixes strings; actions a method and a content (None without one)."""
    groups = list(out["group"])
    counts = {name: out[name] for name in EFFECTIVENESS_COLUMNS}
    if view == "action":
        advice = {name: out[name] for name in PLAYBOOK_COLUMNS} if playbook else {}
        return pd.DataFrame({"method": pd.Series(groups, dtype=object),
                             "content": pd.Series(list(out["content"]), dtype=object),
                             **counts, **advice})
    if view == "interval":
        column = pd.Categorical(groups, categories=groups, ordered=True)
    else:
        column = pd.Series(groups, dtype=object)
    return pd.DataFrame({view: column, **counts})


# ---------------------------------------------------------------------------------------------
# Public


def effectiveness(leads: Any, touches: Any, *, view: str = "method_mix", as_of: Any = None,
                  tz: str | None = None, scope: Scope | None = None, dealers: Any = None,
                  interval_buckets: Any = None, threads: int = 1,
                  policy: Policy | None = None) -> pd.DataFrame:
    """Follow-up effectiveness (000 §7.1.3, docs/kpis.md): conversion by follow-up method mix
    (``view="method_mix"``), by average follow-up interval (``view="interval"``) or by each
    action used (``view="action"``: the touches' ``method`` and optional ``content``).

    One row per group, the group column named after the view (``method`` and ``content`` for
    actions), then ``leads``, ``won``,
    ``conversion_rate``, ``touches``, ``touches_per_lead``. Counted: leads created by `as_of`,
    not invalid, in `scope`; touches by `as_of`; won = status ``won`` with ``won_at`` by `as_of`
    or unknown. Method mixes are each lead's distinct methods in alphabetical order joined by
    ``+`` (``none`` for untouched leads), in sorted order. Interval groups are ``no_touch``,
    ``single_touch`` and the buckets of `interval_buckets` (upper bounds in days, default
    1, 3, 7, 14, 30), every one listed. Actions are each (method, content) pair a lead's touches
    used, by method then content (None, touches without content, first), with ``none`` for
    untouched leads; a lead counts once in each action it received, so their ``leads`` do not
    add up to the leads counted. `as_of` defaults to the latest timestamp in the inputs.
    `threads` splits the leads over threads (the same table for any number).

    With `policy` (the action view only), each action is shown next to what the policy's
    playbook recommended (docs/playbook.md): every touch answers a task — a lead's first
    touch its first contact, later ones follow-ups — read with the lead's grade and touch count
    as they stood before it, and was taken as recommended when its method is the recommended
    one and its content the recommended one or null. PLAYBOOK_COLUMNS follow:
    ``recommended_touches`` (touches the playbook recommended this action for),
    ``touches_as_recommended`` (its touches taken as recommended), ``leads_as_recommended``
    and ``won_as_recommended`` (leads with such a touch, and of them won) and
    ``conversion_rate_as_recommended``; an action only recommended is a row with 0 leads. The
    leads are then read as the cadence reads them (grades at creation, the touches'
    ``grade_after``).
    """
    state = EffectivenessState(view, interval_buckets=interval_buckets,
                               playbook=policy is not None and view == "action")
    _add(state._state, leads, touches, as_of=as_of, tz=tz, scope=scope, dealers=dealers,
         threads=threads, policy=policy)
    return state.finalize()


# ---------------------------------------------------------------------------------------------
# Deprecated: the state as a DataFrame of counts


def _deprecated(name: str) -> None:
    warnings.warn(f"leadkit.{name} is deprecated; use leadkit.EffectivenessState (.add, "
                  ".merge or +, .finalize)", DeprecationWarning, stacklevel=3)


def effectiveness_state(leads: Any, touches: Any, *, as_of: Any, view: str = "method_mix",
                        tz: str | None = None, scope: Scope | None = None, dealers: Any = None,
                        interval_buckets: Any = None) -> pd.DataFrame:
    """Deprecated (use :class:`EffectivenessState`): a batch's counts as a DataFrame, the
    group column, then ``leads``, ``won``, ``touches``."""
    _deprecated("effectiveness_state")
    if view == "action":
        raise ValueError("view: the deprecated effectiveness_state offers method_mix and "
                         "interval; use EffectivenessState(view='action')")
    state = EffectivenessState(view, interval_buckets=interval_buckets)
    state.add(leads, touches, as_of=as_of, tz=tz, scope=scope, dealers=dealers)
    table = state.finalize()
    return table[[state.view, *STATE_COLUMNS]]


def _check_state(state: Any, position: int) -> str:
    if not isinstance(state, pd.DataFrame):
        raise TypeError(f"states[{position}]: expected a DataFrame from effectiveness_state, "
                        f"got {type(state).__name__}")
    view = state.columns[0] if len(state.columns) else None
    if view not in VIEWS or list(state.columns[1:]) != STATE_COLUMNS:
        raise ValueError(f"states[{position}]: not an effectiveness state (columns "
                         f"{list(state.columns)!r}; expected a view column, then "
                         f"{STATE_COLUMNS!r})")
    return view


def effectiveness_merge(states: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Deprecated (use :class:`EffectivenessState` and ``+``): one table of counts from the
    tables of disjoint batches, counts added per group."""
    _deprecated("effectiveness_merge")
    states = list(states)
    if not states:
        raise ValueError("states: nothing to merge (an empty list)")
    views = [_check_state(s, i) for i, s in enumerate(states)]
    view = views[0]
    for position, other in enumerate(views):
        if other != view:
            raise ValueError(f"states[{position}]: a {other} state cannot merge with a {view} "
                             "state")
    if view == "interval":
        labels = list(states[0][view].cat.categories)
        for position, state in enumerate(states):
            if list(state[view].cat.categories) != labels:
                raise ValueError(f"states[{position}]: interval buckets "
                                 f"{list(state[view].cat.categories)!r} differ from {labels!r}")
    frame = pd.concat(states, ignore_index=True)
    summed = frame.groupby(view, sort=True, observed=False, dropna=False)[STATE_COLUMNS].sum()
    out = summed.reset_index()
    if view == "method_mix":
        out[view] = out[view].astype(object)
    return out.astype({c: np.int64 for c in STATE_COLUMNS})


def effectiveness_finalize(state: pd.DataFrame) -> pd.DataFrame:
    """Deprecated (use :meth:`EffectivenessState.finalize`): the report of a table of counts.
    A rate over zero leads is NaN."""
    _deprecated("effectiveness_finalize")
    view = _check_state(state, 0)
    leads = state["leads"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(leads > 0, state["won"].to_numpy() / leads, math.nan)
        per_lead = np.where(leads > 0, state["touches"].to_numpy() / leads, math.nan)
    out = state.assign(conversion_rate=conversion, touches_per_lead=per_lead)
    return out[[view, *EFFECTIVENESS_COLUMNS]].reset_index(drop=True)
