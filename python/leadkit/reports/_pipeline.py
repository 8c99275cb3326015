"""Pipeline reports (docs/kpis.md): open leads by grade at an instant, grade migration between
two instants, the monthly roll-over, the funnel and touches per won lead, computed by the C++
engine (``PipelineState``, include/leadkit/pipeline.h). This module converts the tables, checks
the arguments that are Python objects and builds the DataFrames.

Each report is a sum of counts per group, so a batch of leads (each with all of its touches)
gives a partial :class:`PipelineState`; states of the same report and parameters merge by
addition, and ``finalize`` turns the sums into the report (rates last):

    state = PipelineState.funnel(batch_leads, batch_touches, policy, as_of=as_of)
    state.add(other_leads, other_touches, policy)
    table = (state + other_state).finalize()
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .. import _core, _frames
from .._policy import Policy, check_policy
from .._scope import Scope, check_scope
from ._state import EngineState

#: The from-state of a lead created between ``start`` and ``end`` in ``grade_migration``.
NEW = "new"
#: The closed states, after the grades, in the order reports list them.
CLOSED = ("won", "lost", "invalid")
#: The sales stages a lead passes through, in order (001 §3.3; C++ ``SalesStages``).
SALES_STAGES = tuple(_core.sales_stages())

REPORTS = ("pipeline", "grade_migration", "monthly", "funnel", "touches_per_won_lead")

#: What the engine reads of the leads beside the policy's fields and the group columns: the
#: instants (every one: the default as_of is the latest of them) and the close.
_LEAD_TYPES = {"lead_id": "string", "created_at": "instant", "entered_at": "instant",
               "assigned_at": "instant", "won_at": "instant", "delivered_at": "instant",
               "lost_at": "instant", "status": "string", "lost_review": "string",
               "dealer_id": "string"}
_TOUCH_TYPES = {"lead_id": "string", "at": "instant", "method": "string"}
#: The lead columns read as instants besides the policy's (the default as_of is the latest of
#: them and of the touches' ``at``; leadkit.dask resolves it the same way over partitions).
LEAD_INSTANTS = frozenset(n for n, kind in _LEAD_TYPES.items() if kind == "instant")

# The columns of each report after its group columns, and the additive ones (a state's
# ``counts``).
_RATES = {"share", "conversion_rate", "loss_rate", "share_of_leads",
          "conversion_from_previous", "touches_per_won_lead"}


# Arguments ------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _months(months) -> list[str]:
    """`months` as sorted 'YYYY-MM' texts; 'YYYY-MM' text or monthly periods."""
    if isinstance(months, (str, pd.Period)):
        months = [months]
    try:
        items = list(months)
    except TypeError:
        raise TypeError("months: expected a list of 'YYYY-MM' strings or a pandas period "
                        f"range, got {type(months).__name__}") from None
    out = []
    for position, item in enumerate(items):
        if isinstance(item, pd.Period):
            if item.freqstr != "M":
                raise ValueError(f"months[{position}]: {item!r} is not a monthly period")
            out.append(str(item))
        elif isinstance(item, str) and _MONTH.match(item):
            out.append(item)
        else:
            raise ValueError(f"months[{position}]: expected 'YYYY-MM', got {item!r}")
    seen = pd.Index(out)
    if seen.has_duplicates:
        raise ValueError(f"months: {seen[seen.duplicated()][0]!r} is given twice")
    return sorted(out)


def _instant(value, what: str, tz=None) -> int:
    """An instant argument (aware datetime, Timestamp or ISO text; naive only with `tz`) as
    seconds; anything else is an error naming the argument."""
    if value is None or value is pd.NaT:
        raise ValueError(f"{what}: expected a time, got {value!r}")
    if isinstance(value, (bool, int, float, np.number)):
        raise TypeError(f"{what}: expected a time (datetime, Timestamp or ISO text), got "
                        f"{type(value).__name__} {value!r}")
    try:
        return _frames.instant_seconds(value, what, tz)
    except (TypeError, ValueError) as error:
        if str(error).startswith(f"{what}:"):
            raise
        raise ValueError(f"{what}: cannot read {value!r} as a time ({error})") from None


def _by(by) -> list[str]:
    return _frames.by_names(by, [*_frames.GROUP_FIELDS, "region_id"])


def _batch(leads, touches, policy: Policy | None, *, by: list[str], tz, scope, dealers,
           sales_stage: bool = False, stream: bool = True):
    """A batch for the engine: the Arrow streams themselves when leads and touches are both
    streams the engine reads as the pandas path does and `stream` (the report's parameters are
    known without the data: its `as_of` given) — `by` naming no ``region_id``, a join with the
    dealers done here — else the tables converted (:class:`_Batch`)."""
    tables = _frames.arrow_tables({"leads": leads, "touches": touches})
    if tables is not None and stream and "region_id" not in by:
        if policy is not None:
            check_policy(policy)
        scope = check_scope(scope)
        dealer_frame = _frames.dealers_frame(dealers)
        fields, _, touch_fields = _fields(policy, by, sales_stage)
        # The engine reads these too, whatever the report: a stream it would not read alike
        # takes the pandas path.
        columns = {"leads": {**fields, "grade": "string", "sales_stage": "string"},
                   "touches": {**touch_fields, "grade_after": "string"}}
        required = {"leads": ["lead_id", "created_at"], "touches": ["lead_id", "at", "method"]}
        if _frames.stream_ready(tables, columns, required=required):
            return _StreamBatch(tables, policy, scope.stream_arguments(dealer_frame))
    if tables is not None:
        leads, touches = tables["leads"], tables["touches"]
    return _Batch(leads, touches, policy, by=by, tz=tz, scope=scope, dealers=dealers,
                  sales_stage=sales_stage)


def _fields(policy: Policy | None, by: list[str], sales_stage: bool):
    """What a batch reads: the leads' {column: field type}, those compared with the
    policy's values, and the touches' {column: field type}."""
    fields = dict(_LEAD_TYPES)
    compared = set(fields)
    touch_fields = dict(_TOUCH_TYPES)
    if policy is not None:
        engine, engine_compared = _frames.engine_fields(policy._impl, cadence=True)
        fields.update(engine)
        compared |= engine_compared
        touch_fields = dict(_frames.CADENCE_TOUCH_COLUMNS)
    for name in [*by, *(["sales_stage"] if sales_stage else [])]:
        fields[name] = "string"
        compared.add(name)
    return fields, compared, touch_fields


class _StreamBatch:
    """A batch of Arrow tables the engine reads itself (lk_pipeline_state_add's code), the
    scope applied there."""

    def __init__(self, tables: dict, policy: Policy | None, scope_arguments: dict):
        self.tables = tables
        self.policy = None if policy is None else policy._impl
        self.scope_arguments = scope_arguments

    def as_of(self, as_of, tz) -> int:
        """`as_of` as seconds (a stream batch is made only when it is given)."""
        return _instant(as_of, "as_of", tz)

    def add_to(self, impl: _core.PipelineState, threads: int) -> None:
        _core.pipeline_add_arrow(impl, self.tables["leads"], self.tables["touches"],
                                 self.policy, threads, **self.scope_arguments)


class _Batch:
    """A batch of leads and touches converted for the engine, with its scope mask."""

    def __init__(self, leads, touches, policy: Policy | None, *, by: list[str], tz, scope,
                 dealers, sales_stage: bool = False):
        if policy is not None:
            check_policy(policy)
        scope = check_scope(scope)
        lead_frame, touch_frame = _frames.lead_and_touch_frames(leads, touches)
        dealer_frame = _frames.dealers_frame(dealers)
        if "region_id" in by:
            if dealer_frame is None:
                raise ValueError("by: region_id needs the dealers table (dealers=)")
            region_of = dict(zip(dealer_frame["dealer_id"], dealer_frame["region_id"]))
            lead_dealers = (lead_frame["dealer_id"] if "dealer_id" in lead_frame.columns
                            else pd.Series([None] * len(lead_frame), dtype=object))
            lead_frame = lead_frame.assign(region_id=lead_dealers.map(region_of).astype(object))
        _frames.require_ids(lead_frame, "leads", "lead_id")
        _frames.require_ids(touch_frame, "touches", "lead_id")
        fields, compared, touch_fields = _fields(policy, by, sales_stage)
        self.num_leads = len(lead_frame)
        self.lead_specs = _frames.table_specs(lead_frame, fields, table="leads",
                                              compared=compared, tz=tz, ids_as_strings=True)
        self.num_touches = len(touch_frame)
        self.touch_specs = _frames.table_specs(touch_frame, touch_fields, table="touches",
                                               tz=tz, ids_as_strings=True)
        self.mask = scope.mask(lead_frame, dealer_frame)
        self.policy = None if policy is None else policy._impl

    def as_of(self, as_of, tz) -> int:
        """`as_of` as seconds; None: the latest timestamp in the inputs."""
        if as_of is not None:
            return _instant(as_of, "as_of", tz)
        return _frames.as_of_seconds(None, [*self.lead_specs, *self.touch_specs])

    def add_to(self, impl: _core.PipelineState, threads: int) -> None:
        impl.add(self.policy, self.num_leads, self.lead_specs, self.num_touches,
                 self.touch_specs, self.mask, threads)


# The state ------------------------------------------------------------------------------------


def _params(core: _core.PipelineState) -> tuple[tuple[str, Any], ...]:
    """A C++ state's report parameters (states merge only with equal ones)."""
    grades = ("grades", tuple(core.grades))
    by = ("by", tuple(core.by))
    return {
        "pipeline": (grades, by, ("at", core.at)),
        "grade_migration": (grades, ("start", core.start), ("end", core.end)),
        "monthly": (("months", tuple(core.months)), ("zone", core.zone)),
        "funnel": (grades, by, ("as_of", core.as_of)),
        "touches_per_won_lead": (by, ("as_of", core.as_of)),
    }[core.report]


class _Merge:
    """``PipelineState.merge(states)`` on the class (a new state of the sums, as before the
    engine), ``state.merge(other)`` on an instance (the state protocol: adds in place)."""

    def __get__(self, state, cls):
        if state is None:
            return cls._merge_all
        return functools.partial(EngineState.merge, state)


class PipelineState(EngineState):
    """Partial counts of one pipeline report over batches of leads (each lead with all of its
    touches), the C++ ``leadkit::PipelineState``. Build one with :meth:`pipeline`,
    :meth:`grade_migration`, :meth:`monthly`, :meth:`funnel` or :meth:`touches_per_won_lead`
    (the arguments of the report of that name); :meth:`add` further batches; states of the
    same report and parameters merge (``PipelineState.merge(states)``, ``a.merge(b)`` or
    ``a + b``); :meth:`finalize` gives the report. ``to_bytes`` / :meth:`from_bytes` carry a
    state between processes, and states pickle.
    """

    _core_class = _core.PipelineState
    __slots__ = ()

    def __init__(self) -> None:
        raise TypeError("PipelineState: build one with PipelineState.pipeline(...), "
                        ".grade_migration(...), .monthly(...), .funnel(...) or "
                        ".touches_per_won_lead(...), or from_bytes")

    # Builders ------------------------------------------------------------------------------

    @classmethod
    def pipeline(cls, leads: Any, touches: Any, policy: Policy, *, at, by=None, tz=None,
                 scope=None, dealers=None, threads: int = 1) -> "PipelineState":
        """Per group of `by`, the leads open at `at` by the grade in force then."""
        check_policy(policy)
        names = _by(by)
        batch = _batch(leads, touches, policy, by=names, tz=tz, scope=scope, dealers=dealers)
        core = _core.PipelineState("pipeline", names, list(policy.grades),
                                   at=_instant(at, "at", tz))
        batch.add_to(core, _frames.check_threads(threads))
        return cls._of(core)

    @classmethod
    def grade_migration(cls, leads: Any, touches: Any, policy: Policy, *, start, end,
                        tz=None, scope=None, dealers=None, threads: int = 1
                        ) -> "PipelineState":
        """Leads by (state at `start`, state at `end`)."""
        check_policy(policy)
        batch = _batch(leads, touches, policy, by=[], tz=tz, scope=scope, dealers=dealers)
        t0, t1 = _instant(start, "start", tz), _instant(end, "end", tz)
        if t0 >= t1:
            raise ValueError(f"start: {_frames.utc_text(t0)} is not before end "
                             f"{_frames.utc_text(t1)}")
        core = _core.PipelineState("grade_migration", [], list(policy.grades), start=t0,
                                   end=t1)
        batch.add_to(core, _frames.check_threads(threads))
        return cls._of(core)

    @classmethod
    def monthly(cls, leads: Any, touches: Any, policy: Policy, *, months, tz=None,
                scope=None, dealers=None, threads: int = 1) -> "PipelineState":
        """Per month of `months`, in the policy's time zone: the roll-over counts."""
        check_policy(policy)
        periods = _months(months)
        batch = _batch(leads, touches, policy, by=[], tz=tz, scope=scope, dealers=dealers)
        core = _core.PipelineState("monthly", [], list(policy.grades), months=periods,
                                   zone=policy.time_zone)
        batch.add_to(core, _frames.check_threads(threads))
        return cls._of(core)

    @classmethod
    def funnel(cls, leads: Any, touches: Any, policy: Policy, *, as_of=None, by=None,
               tz=None, scope=None, dealers=None, threads: int = 1) -> "PipelineState":
        """Per group of `by`: the leads reaching each grade and sales stage by `as_of`."""
        check_policy(policy)
        names = _by(by)
        batch = _batch(leads, touches, policy, by=names, tz=tz, scope=scope, dealers=dealers,
                       sales_stage=True, stream=as_of is not None)
        core = _core.PipelineState("funnel", names, list(policy.grades),
                                   as_of=batch.as_of(as_of, tz))
        batch.add_to(core, _frames.check_threads(threads))
        return cls._of(core)

    @classmethod
    def touches_per_won_lead(cls, leads: Any, touches: Any, *, as_of=None, by=None, tz=None,
                             scope=None, dealers=None, threads: int = 1) -> "PipelineState":
        """Per group of `by`: the leads won at `as_of` and their touches up to the win."""
        names = _by(by)
        batch = _batch(leads, touches, None, by=names, tz=tz, scope=scope, dealers=dealers,
                       stream=as_of is not None)
        core = _core.PipelineState("touches_per_won_lead", names, [],
                                   as_of=batch.as_of(as_of, tz))
        batch.add_to(core, _frames.check_threads(threads))
        return cls._of(core)

    # The protocol ---------------------------------------------------------------------------

    @property
    def report(self) -> str:
        """Which report: ``pipeline``, ``grade_migration``, ``monthly``, ``funnel`` or
        ``touches_per_won_lead``."""
        return self._state.report

    @property
    def params(self) -> tuple[tuple[str, Any], ...]:
        """The report's parameters (states merge only with equal ones): instants as seconds."""
        return _params(self._state)

    @property
    def keys(self) -> tuple[str, ...]:
        """The key columns of :attr:`counts`."""
        by = tuple(self._state.by)
        return {"pipeline": (*by, "grade"), "grade_migration": ("from", "to"),
                "monthly": ("month",), "funnel": (*by, "kind", "stage"),
                "touches_per_won_lead": by}[self.report]

    @property
    def counts(self) -> pd.DataFrame:
        """The additive columns of the report: :attr:`keys`, then counts (no rates)."""
        table = self.finalize(long=True) if self.report == "grade_migration" else self.finalize()
        return table[[c for c in table.columns if c not in _RATES]]

    def add(self, leads: Any, touches: Any, policy: Policy | None = None, *, tz=None,
            scope: Scope | None = None, dealers=None, threads: int = 1) -> "PipelineState":
        """Adds another batch of leads, each with all of its touches, under this state's
        parameters (`policy`: one with the state's grades; none for
        ``touches_per_won_lead``). Returns the state."""
        report = self.report
        if report != "touches_per_won_lead":
            check_policy(policy)
        elif policy is not None:
            raise TypeError("policy: touches_per_won_lead reads no policy")
        batch = _batch(leads, touches, policy, by=list(self._state.by), tz=tz, scope=scope,
                       dealers=dealers, sales_stage=report == "funnel")
        batch.add_to(self._state, _frames.check_threads(threads))
        return self

    def _check(self, core: _core.PipelineState) -> None:
        if (core.report, _params(core)) != (self.report, self.params):
            raise ValueError(f"merge: other is a {core.report} state with "
                             f"{dict(_params(core))!r}; this is a {self.report} state with "
                             f"{dict(self.params)!r}")

    @classmethod
    def _merge_all(cls, states: Iterable["PipelineState"]) -> "PipelineState":
        """One new state holding the sums of `states` (same report, same parameters)."""
        states = list(states)
        if not states:
            raise ValueError("merge: no states given")
        first = states[0]
        for position, other in enumerate(states):
            if not isinstance(other, PipelineState):
                raise TypeError(f"merge: states[{position}] is a {type(other).__name__}, "
                                "not a PipelineState")
            if (other.report, other.params) != (first.report, first.params):
                raise ValueError(f"merge: states[{position}] is a {other.report} state with "
                                 f"{dict(other.params)!r}; states[0] is a {first.report} "
                                 f"state with {dict(first.params)!r}")
        out = first.copy()
        for other in states[1:]:
            EngineState.merge(out, other)
        return out

    merge = _Merge()

    def __add__(self, other: "PipelineState") -> "PipelineState":
        if not isinstance(other, PipelineState):
            return NotImplemented
        return PipelineState._merge_all([self, other])

    def finalize(self, *, long: bool = False) -> pd.DataFrame:
        """The report of these counts (the frame the report function returns). `long` is
        for ``grade_migration`` only: one row per (from, to) pair instead of a matrix."""
        report = self.report
        if long and report != "grade_migration":
            raise ValueError(f"long: only grade_migration has a long form, not {report}")
        out = self._state.finalize()
        by = list(self._state.by)
        if report == "grade_migration":
            return _migration_frame(out, list(self._state.grades), long)
        if report == "monthly":
            return _monthly_frame(out)
        if report == "pipeline":
            return _frame(by, out, {"grade": object, "open_leads": np.int64,
                                    "share": np.float64})
        if report == "funnel":
            return _frame(by, out, {"kind": object, "stage": object, "leads": np.int64,
                                    "reached": np.int64, "share_of_leads": np.float64,
                                    "conversion_from_previous": np.float64})
        return _frame(by, out, {"won_leads": np.int64, "touches": np.int64,
                                "touches_per_won_lead": np.float64})

    def __repr__(self) -> str:
        return f"PipelineState({self.report}, {dict(self.params)!r})"


def _frame(by: list[str], out: dict, columns: dict[str, Any]) -> pd.DataFrame:
    """The engine's columns as the report's DataFrame: the group columns (objects, None for
    null), then `columns` with their dtypes, assigned one by one (so that text columns get the
    dtype pandas gives an assigned object array)."""
    rows = len(out[next(iter(columns))])
    if by:
        frame = pd.DataFrame({name: pd.Series(list(values), dtype=object)
                              for name, values in zip(by, out["keys"])},
                             index=pd.RangeIndex(rows))
    else:
        frame = pd.DataFrame(index=pd.RangeIndex(rows))
    for name, dtype in columns.items():
        frame[name] = np.asarray(out[name], dtype=dtype)
    return frame


def _monthly_frame(out: dict) -> pd.DataFrame:
    counts = ["carried_over", "new", "invalid", "won", "lost", "open_at_end"]
    frame = pd.DataFrame(np.stack([np.asarray(out[c], dtype=np.int64) for c in counts], axis=1)
                         .reshape(len(out["month"]), len(counts)), columns=counts)
    frame.insert(0, "month", list(out["month"]))
    frame["conversion_rate"] = np.asarray(out["conversion_rate"], dtype=np.float64)
    frame["loss_rate"] = np.asarray(out["loss_rate"], dtype=np.float64)
    return frame


def _migration_frame(out: dict, grades: list[str], long: bool) -> pd.DataFrame:
    sources, targets = [*grades, NEW], [*grades, *CLOSED]
    values = np.asarray(out["leads"], dtype=np.int64)
    if long:
        return pd.DataFrame({"from": np.repeat(sources, len(targets)),
                             "to": np.tile(targets, len(sources)), "leads": values})
    return pd.DataFrame(values.reshape(len(sources), len(targets)),
                        index=pd.Index(sources, name="from"),
                        columns=pd.Index(targets, name="to"))


# The reports ----------------------------------------------------------------------------------

@_frames.keeps_key_dtypes("leads", "touches", "dealers", streams=True)
def pipeline(leads: Any, touches: Any, policy: Policy, *, at, by=None, tz: str | None = None,
             scope=None, dealers=None, threads: int = 1) -> pd.DataFrame:
    """Open leads by the grade in force at `at` (002 §2.5; docs/kpis.md).

    One row per (group of `by`, grade): every policy grade in the policy's order, zeros
    included; groups in sorted order, a null key its own group, last. Columns: the `by`
    columns, ``grade``, ``open_leads`` and ``share`` (of the group's open leads; NaN when the
    group has none). `by` takes lead columns (``dealer_id``, ``consultant_id``, ``channel``,
    ``model``, ...) and ``region_id`` (needs `dealers`). `scope` is a :class:`leadkit.Scope`.
    A naive `at` or naive timestamps need `tz`. `threads` splits the leads over threads (the
    same table for any number).
    """
    return PipelineState.pipeline(leads, touches, policy, at=at, by=by, tz=tz, scope=scope,
                                  dealers=dealers, threads=threads).finalize()


@_frames.keeps_key_dtypes("leads", "touches", "dealers", streams=True)
def grade_migration(leads: Any, touches: Any, policy: Policy, *, start, end,
                    tz: str | None = None, scope=None, dealers=None,
                    long: bool = False, threads: int = 1) -> pd.DataFrame:
    """The grade-to-grade matrix between `start` and `end` (002 §2.5; docs/kpis.md).

    Rows (``from``): the grade in force at `start` of each lead open then, in the policy's
    order, then ``new`` for leads created after `start` and by `end`. Columns (``to``): the
    lead's state at `end` — a grade, then ``won``, ``lost``, ``invalid``. Counts, zeros
    included; leads closed at or before `start` and leads created after `end` are left out.
    ``long=True`` gives the same counts as rows ``from``, ``to``, ``leads``.
    """
    return PipelineState.grade_migration(leads, touches, policy, start=start, end=end, tz=tz,
                                         scope=scope, dealers=dealers,
                                         threads=threads).finalize(long=long)


@_frames.keeps_key_dtypes("leads", "touches", "dealers", streams=True)
def monthly(leads: Any, touches: Any, policy: Policy, *, months, tz: str | None = None,
            scope=None, dealers=None, threads: int = 1) -> pd.DataFrame:
    """The monthly roll-over (002 §2.5; docs/kpis.md): one row per month of `months` (a list
    of ``YYYY-MM`` or a pandas period range), in order, with months in the policy's time zone.

    Columns ``month``, ``carried_over`` (open as the month starts), ``new`` (created in the
    month, not invalid), ``invalid`` (invalid leads created in the month), ``won``, ``lost``
    (closed in the month), ``open_at_end``, ``conversion_rate`` = won ÷ (carried_over + new)
    and ``loss_rate`` = lost ÷ (carried_over + new). Always
    ``open_at_end = carried_over + new − won − lost``.
    """
    return PipelineState.monthly(leads, touches, policy, months=months, tz=tz, scope=scope,
                                 dealers=dealers, threads=threads).finalize()


@_frames.keeps_key_dtypes("leads", "touches", "dealers", streams=True)
def funnel(leads: Any, touches: Any, policy: Policy, *, as_of=None, by=None,
           tz: str | None = None, scope=None, dealers=None, threads: int = 1) -> pd.DataFrame:
    """Leads reaching each grade and each sales stage by `as_of` (003; 001 §3.3;
    docs/kpis.md).

    Per group of `by`: one row per policy grade (``kind`` = ``grade``, in the policy's order),
    then one per sales stage (``kind`` = ``sales_stage``: ``first_contact`` …
    ``won``). Columns: the `by` columns, ``kind``, ``stage``, ``leads`` (the group's leads
    created by `as_of`, not invalid), ``reached``, ``share_of_leads`` = reached ÷ leads and
    ``conversion_from_previous`` = reached ÷ the previous row's reached of the same kind
    (NaN on the first row of each kind). `as_of` defaults to the latest timestamp in the
    inputs.
    """
    return PipelineState.funnel(leads, touches, policy, as_of=as_of, by=by, tz=tz,
                                scope=scope, dealers=dealers, threads=threads).finalize()


@_frames.keeps_key_dtypes("leads", "touches", "dealers", streams=True)
def touches_per_won_lead(leads: Any, touches: Any, *, as_of=None, by=None,
                         tz: str | None = None, scope=None, dealers=None,
                         threads: int = 1) -> pd.DataFrame:
    """Touches it took to win a lead (003: 5–10 on average; docs/kpis.md).

    Per group of `by`: ``won_leads`` (won at `as_of`), ``touches`` (their touches at or before
    ``won_at``; an unknown ``won_at``: by `as_of`) and ``touches_per_won_lead`` = touches ÷
    won_leads (NaN without a won lead).
    """
    return PipelineState.touches_per_won_lead(leads, touches, as_of=as_of, by=by, tz=tz,
                                              scope=scope, dealers=dealers,
                                              threads=threads).finalize()
