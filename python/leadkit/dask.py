"""leadkit on Dask: the same tables as one process, on a cluster (docs/distributed.md).

    import leadkit.dask
    table = leadkit.dask.kpis(leads_ddf, touches_ddf, policy, by="dealer_id")
    lost = leadkit.dask.lost_analysis(leads_ddf, by="month", policy=policy)

Every report with a mergeable state runs on one path (:func:`_merged`): the tables a report
reads are aligned by ``lead_id`` (a lead's touches, surveys and visits in its partition), each
partition adds its rows to a fresh public state (``leadkit.KpiState``, ``ShowroomState``, ...)
at one ``as_of`` resolved on the client, only the state's bytes travel, merged in a tree of
`split_every` states, and the merged state is finalized once on the client into the DataFrame
the pandas function returns. Whole groups are never shuffled to one worker. A report is one
entry of ``_REPORTS`` (its state class, which tables it reads and how, its default as_of's
rule) and a ``_plan_<report>`` that checks its arguments once on the client.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from . import _frames, _schedule
from ._calendar import warn_estimated
from ._classify import classify as _classify_frame
from ._policy import Policy, check_policy
from ._scope import Scope, check_scope
from .reports import (ActivityState, AuditState, BacktestState, EffectivenessState, KpiState,
                      LostAnalysisState, PipelineState, ProfileState, ShowroomState, _kpis)
from .reports import _backtest
from .reports import _pipeline
from .reports import scorecard as _scorecard_frame

__all__ = ["activity", "audit", "backtest", "classify", "effectiveness", "funnel", "grade_migration",
           "kpis", "lost_analysis", "monthly", "partial_states", "pipeline", "profile",
           "report_states", "schedule", "scorecard", "showroom", "touches_per_won_lead"]

_PART = "_leadkit_part"

#: The leads' instants that the lead-only reports (lost sales, profile) and the showroom's and
#: activity's leads take their default as_of from (docs/kpis.md, "Point in time").
_LEAD_TIMES = frozenset({"created_at", "won_at", "lost_at", "entered_at", "assigned_at"})


# --- the reports: one entry each ------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Report:
    """How a report runs on partitions.

    `state` is its public state class; `tables` the tables it reads, the first the one rows
    are counted from; `positional` the tables its ``add`` takes by position (the others by
    keyword); `by_lead` whether the tables are aligned by ``lead_id`` (a lead's rows in one
    partition: its touches beside it, and a lead id given twice in one partition, where the
    state's ``add`` refuses it as the pandas function does); `as_of` the default as_of's
    rule: "raise" when the inputs hold no timestamp (as the pandas function does), or "open"
    (no limit); `keys` the tables whose dtypes the result's text keys come back in; `build`
    the state's class method that builds it from a first batch (for a state without an empty
    constructor: ``PipelineState.funnel(...)``), None to construct it empty and ``add``."""

    state: type
    tables: tuple[str, ...]
    positional: tuple[str, ...]
    by_lead: bool
    as_of: str = "open"
    keys: tuple[str, ...] = ()
    build: str | None = None


def _pipeline_report(name: str, as_of: str = "open") -> _Report:
    """A report of the pipeline family: leads with their touches, built by the
    ``PipelineState`` class method of its name."""
    return _Report(PipelineState, ("leads", "touches"), ("leads", "touches"), True,
                   as_of=as_of, keys=("leads", "touches"), build=name)


_REPORTS: dict[str, _Report] = {
    "kpis": _Report(KpiState, ("leads", "touches", "surveys"), ("leads", "touches"), True,
                    as_of="raise", keys=("leads", "touches", "surveys")),
    "backtest": _Report(BacktestState, ("leads", "touches", "surveys"), ("leads", "touches"),
                        True, as_of="raise", keys=("leads", "touches", "surveys")),
    "showroom": _Report(ShowroomState, ("visits", "leads"), ("visits",), True),
    "activity": _Report(ActivityState, ("touches", "leads"), ("touches",), True),
    "effectiveness": _Report(EffectivenessState, ("leads", "touches"), ("leads", "touches"),
                             True, as_of="raise"),
    "lost_analysis": _Report(LostAnalysisState, ("leads",), ("leads",), True),
    "profile": _Report(ProfileState, ("leads",), ("leads",), True),
    "audit": _Report(AuditState, ("leads", "touches"), ("leads", "touches"), True,
                     as_of="raise", keys=("leads", "touches")),
    "pipeline": _pipeline_report("pipeline"),
    "grade_migration": _pipeline_report("grade_migration"),
    "monthly": _pipeline_report("monthly"),
    "funnel": _pipeline_report("funnel", as_of="raise"),
    "touches_per_won_lead": _pipeline_report("touches_per_won_lead", as_of="raise"),
}


@dataclasses.dataclass(frozen=True)
class _Job:
    """One call of a report: what every partition runs (pickled to the workers)."""

    report: str
    options: dict  # the state's constructor arguments (its builder's report parameters)
    params: dict  # the keyword arguments of add() beside the tables (as_of resolved)
    names: tuple[str, ...]  # the tables given, in the report's order


# --- alignment ------------------------------------------------------------------------------

def _text_hash(column: pd.Series) -> np.ndarray:
    """A hash of each value's text: the same for a lead id in any table, whatever its dtype
    there (object, pandas' str, Arrow strings, a categorical)."""
    return pd.util.hash_array(column.astype(str).to_numpy(dtype=object))


def _hash_part(frame: pd.DataFrame, fallback: str | None) -> pd.DataFrame:
    """`frame` with what picks its rows' partition: a hash of ``lead_id``; rows without one
    (visits of visitors who left no contact details) by a hash of `fallback`."""
    ids = frame["lead_id"]
    hashed = _text_hash(ids)
    if fallback is not None:
        missing = ids.isna().to_numpy()
        if missing.any():
            hashed = np.where(missing, _text_hash(frame[fallback]), hashed)
    # The whole hash, not its remainder: Dask's shuffle hashes this column again to pick the
    # partition, and a few distinct values would collide into fewer partitions.
    return frame.assign(**{_PART: hashed.view(np.int64)})


def _aligned(frames: list[dd.DataFrame]) -> bool:
    """True when every frame is indexed by lead_id with the same known divisions."""
    first = frames[0]
    return all(f.index.name == "lead_id" and f.known_divisions
               and f.divisions == first.divisions for f in frames)


def _drop_part(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=_PART)


def _shuffle_method() -> str:
    """The user's configured shuffle (``dataframe.shuffle.method``), else the task-based one:
    Dask's P2P shuffle logs a warning on the scheduler for every shuffle it starts and ends,
    which a user cannot act on."""
    return dask.config.get("dataframe.shuffle.method", None) or "tasks"


def _align(frames: list[dd.DataFrame], fallbacks: list[str | None] | None = None
           ) -> list[dd.DataFrame]:
    """The frames repartitioned alike by a hash of lead_id (a lead's rows in one partition)."""
    if _aligned(frames):
        return [f.reset_index() for f in frames]
    fallbacks = fallbacks or [None] * len(frames)
    n = max(f.npartitions for f in frames)
    out = []
    for f, fallback in zip(frames, fallbacks):
        if f.index.name == "lead_id":
            f = f.reset_index()
        keyed = f.map_partitions(_hash_part, fallback, meta=_hash_part(f._meta, fallback))
        shuffled = keyed.shuffle(on=_PART, npartitions=n, shuffle_method=_shuffle_method())
        out.append(shuffled.map_partitions(_drop_part, meta=f._meta))
    return out


# --- as_of and scope, once on the client ----------------------------------------------------

def _lead_instants(policy: Policy, extra=()) -> set[str]:
    """The lead columns the cadence reads as instants (so the same as_of is found)."""
    fields, _ = _frames.engine_fields(policy._impl, cadence=True, extra=extra)
    return {n for n, kind in fields.items() if kind == "instant"}


def _instant_max(frame: dd.DataFrame, read: set[str]) -> list:
    """Delayed maxima of the frame's columns in `read`: only what leadkit reads counts."""
    return [frame[c].max() for c in frame.columns if c in read]


def _resolve_as_of(frames: list[tuple[dd.DataFrame | None, set[str]]], as_of, tz,
                   report: str | None = None) -> pd.Timestamp | None:
    """as_of once for every partition: given, or the latest timestamp of the instant columns
    the report reads, as in pandas. When the inputs hold none: a ValueError, or None for a
    `report` whose rule is "open" (every partition then counts without a limit, as one
    process does)."""
    if as_of is not None:
        return pd.Timestamp(_frames.instant_seconds(as_of, "as_of", tz), unit="s", tz="UTC")
    maxima = [m for f, read in frames if f is not None for m in _instant_max(f, read)]
    values = [v for v in dask.compute(*maxima) if not pd.isna(v)]
    if not values:
        if report is not None and _REPORTS[report].as_of == "open":
            return None
        raise ValueError("as_of: the inputs hold no timestamp to take it from; pass as_of=")
    seconds = [_frames.instant_seconds(v, "as_of", tz) for v in values]
    return pd.Timestamp(max(seconds), unit="s", tz="UTC")


def _pandas(table: Any) -> Any:
    """A small table sent whole to every partition (dealers), as pandas."""
    return table.compute() if isinstance(table, dd.DataFrame) else table


def _checked_scope(scope, rows: dd.DataFrame | None, dealers) -> tuple[Scope | None, Any]:
    """Validates the scope once, over all partitions of `rows` (the table the scope keeps rows
    of), and returns the dealers table every partition checks against (partitions alone
    cannot tell an unknown dealer)."""
    scope = check_scope(scope) if scope is not None else None
    if scope is None or scope.kind == "hq" or rows is None:
        return scope, dealers
    if dealers is not None or scope.kind == "region":
        frame = _frames.dealers_frame(dealers) if dealers is not None else None
        scope.mask(rows._meta, frame)  # raises for unknown ids (or a missing dealers table)
        return scope, dealers
    seen = rows["dealer_id"].eq(scope.id).any().compute() if "dealer_id" in rows.columns else False
    if not seen:
        raise KeyError(f"scope: unknown dealer {scope.id!r}")
    return scope, pd.DataFrame({"dealer_id": [scope.id], "region_id": [None]})


# --- the one path: partial states, a tree of merges, one finalize ---------------------------

def _add(job: _Job, state: Any, tables: dict[str, pd.DataFrame]) -> Any:
    report = _REPORTS[job.report]
    args = [tables[n] for n in report.positional]
    keywords = {n: tables[n] for n in job.names if n not in report.positional}
    return state.add(*args, **keywords, **job.params)


def _state_of(job: _Job, tables: dict[str, pd.DataFrame]) -> Any:
    """The state of `tables` under the job's parameters: constructed empty and added to, or
    built from them by the report's builder."""
    report = _REPORTS[job.report]
    if report.build is None:
        return _add(job, report.state(**job.options), tables)
    args = [tables[n] for n in report.positional]
    keywords = {n: tables[n] for n in job.names if n not in report.positional}
    return getattr(report.state, report.build)(*args, **keywords, **job.options, **job.params)


def _partial(job: _Job, *parts: pd.DataFrame) -> bytes | None:
    """A partition's state as bytes; None when the partition holds no row of any table."""
    if all(len(p) == 0 for p in parts):
        return None
    return _state_of(job, dict(zip(job.names, parts))).to_bytes()


def _merge(report: str, *states: bytes | None) -> bytes | None:
    """States merged into one (read back from their checked bytes)."""
    kind = _REPORTS[report].state
    present = [s for s in states if s is not None]
    if not present:
        return None
    merged = kind.from_bytes(present[0])
    for data in present[1:]:
        merged.merge(kind.from_bytes(data))
    return merged.to_bytes()


@dataclasses.dataclass
class _Plan:
    job: _Job
    frames: list[dd.DataFrame]  # the tables given, aligned when the report needs it
    sources: list  # the inputs' meta frames whose key dtypes the result keeps


def _plan(report: str, tables: dict[str, Any], options: dict, params: dict) -> _Plan:
    spec = _REPORTS[report]
    names = tuple(n for n in spec.tables if tables.get(n) is not None)
    for name in names:
        if not isinstance(tables[name], dd.DataFrame):
            raise TypeError(f"{name}: expected a dask DataFrame, got "
                            f"{type(tables[name]).__name__}")
    frames = [tables[n] for n in names]
    # Even a table alone is aligned: activity's touches count distinct leads, a lead id (or a
    # visit id) given twice must meet its twin to be refused.
    if spec.by_lead:
        fallbacks = ["visit_id" if n == "visits" else None for n in names]
        frames = _align(frames, fallbacks)
    sources = [getattr(tables.get(n), "_meta", None) for n in spec.keys]
    return _Plan(_Job(report, options, params, names), frames, sources)


def _states(plan: _Plan) -> list:
    """One delayed serialized state per partition."""
    parts = zip(*(f.to_delayed() for f in plan.frames))
    return [dask.delayed(_partial)(plan.job, *p) for p in parts]


def _merged(plan: _Plan, split_every: int) -> Any:
    """The merged public state (merged on the workers in a tree, read on the client)."""
    states = _states(plan)
    split_every = max(2, int(split_every))
    while len(states) > 1:  # a tree of merges; only states travel
        states = [dask.delayed(_merge)(plan.job.report, *states[i:i + split_every])
                  for i in range(0, len(states), split_every)]
    (merged,) = dask.compute(states[0])
    if merged is None:  # no rows at all: the state of the empty tables, as pandas gives it
        return _empty_state(plan)
    return _REPORTS[plan.job.report].state.from_bytes(merged)


def _empty_state(plan: _Plan) -> Any:
    """The state of the tables without their rows (their meta frames)."""
    return _state_of(plan.job, {n: f._meta for n, f in zip(plan.job.names, plan.frames)})


def _table(plan: _Plan, split_every: int, **finalize: Any) -> pd.DataFrame:
    table = _merged(plan, split_every).finalize(**finalize)
    if not _REPORTS[plan.job.report].keys:  # the pandas function gives object keys too
        return table
    return _frames.restore_key_dtypes(table, [*plan.sources, plan.job.params.get("dealers")])


# --- the reports ----------------------------------------------------------------------------

def _plan_kpis(leads, touches, policy, *, surveys=None, dealers=None, by=None, scope=None,
               as_of=None, tz=None) -> _Plan:
    check_policy(policy)
    names = _kpis.by_list(by)
    dealers = _pandas(dealers)
    if "region_id" in names and dealers is None:
        raise ValueError("by: region_id needs the dealers table (dealers=)")
    scope, dealers = _checked_scope(scope, leads, dealers)
    stamp = _resolve_as_of([(leads, _lead_instants(policy, ["entered_at", *names])),
                            (touches, {"at"}), (surveys, {"at"})], as_of, tz, "kpis")
    return _plan("kpis", {"leads": leads, "touches": touches, "surveys": surveys},
                 {"by": names}, {"policy": policy, "dealers": dealers, "scope": scope,
                                 "as_of": stamp, "tz": tz})


def kpis(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, surveys=None,
         dealers=None, by=None, scope: Scope | None = None, as_of=None, tz: str | None = None,
         split_every: int = 8) -> pd.DataFrame:
    """``leadkit.kpis`` on Dask DataFrames; the same pandas DataFrame, exactly. `dealers` is
    a small table sent whole to every partition."""
    plan = _plan_kpis(leads, touches, policy, surveys=surveys, dealers=dealers, by=by,
                      scope=scope, as_of=as_of, tz=tz)
    state = _merged(plan, split_every)
    # The warning leadkit.kpis gives, once for the whole table.
    stamp = plan.job.params["as_of"]
    _kpis.warn_coverage(policy, plan.job.params.get("dealers"),
                        _frames.instant_seconds(stamp, "as_of", tz), state.estimated)
    return _frames.restore_key_dtypes(state.finalize(), [*plan.sources,
                                                         plan.job.params.get("dealers")])


def scorecard(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, weights=None,
              surveys=None, dealers=None, by="consultant_id", scope: Scope | None = None,
              as_of=None, tz: str | None = None, split_every: int = 8) -> pd.DataFrame:
    """``leadkit.scorecard`` of the merged :func:`kpis` table (by consultant unless `by`
    says otherwise); `weights` as in ``leadkit.scorecard``, the policy's when None."""
    table = kpis(leads, touches, policy, surveys=surveys, dealers=dealers, by=by, scope=scope,
                 as_of=as_of, tz=tz, split_every=split_every)
    return _scorecard_frame(table, policy if weights is None else weights)


def _plan_showroom(visits, *, leads=None, by=None, scope=None, dealers=None, tz=None,
                   as_of=None) -> _Plan:
    dealers = _pandas(dealers)
    scope, dealers = _checked_scope(scope, visits, dealers)
    stamp = _resolve_as_of([(visits, {"arrived_at", "left_at"}), (leads, set(_LEAD_TIMES))],
                           as_of, tz, "showroom")
    return _plan("showroom", {"visits": visits, "leads": leads}, {},
                 {"by": by, "scope": scope, "dealers": dealers, "tz": tz, "as_of": stamp})


def showroom(visits: dd.DataFrame, *, leads: dd.DataFrame | None = None, by=None,
             scope: Scope | None = None, dealers=None, tz=None, top_models: int = 3,
             as_of=None, split_every: int = 8) -> pd.DataFrame:
    """``leadkit.showroom`` on Dask DataFrames; the same table. With `leads`, each visit sits
    with the lead it names (visits without a lead spread by ``visit_id``)."""
    plan = _plan_showroom(visits, leads=leads, by=by, scope=scope, dealers=dealers, tz=tz,
                          as_of=as_of)
    return _table(plan, split_every, top_models=top_models)


def _plan_activity(touches, *, leads=None, by=("consultant_id", "day"), tz=None, scope=None,
                   dealers=None, as_of=None) -> _Plan:
    dealers = _pandas(dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    stamp = _resolve_as_of([(touches, {"at"}), (leads, set(_LEAD_TIMES))], as_of, tz,
                           "activity")
    return _plan("activity", {"touches": touches, "leads": leads}, {},
                 {"by": by, "tz": tz, "scope": scope, "dealers": dealers, "as_of": stamp})


def activity(touches: dd.DataFrame, *, leads: dd.DataFrame | None = None,
             by=("consultant_id", "day"), tz=None, scope: Scope | None = None, dealers=None,
             as_of=None, split_every: int = 8) -> pd.DataFrame:
    """``leadkit.activity`` on Dask DataFrames; the same table. Touches sit with their lead
    (its distinct leads counted once)."""
    plan = _plan_activity(touches, leads=leads, by=by, tz=tz, scope=scope, dealers=dealers,
                          as_of=as_of)
    return _table(plan, split_every)


def _plan_effectiveness(leads, touches, *, view="method_mix", as_of=None, tz=None, scope=None,
                        dealers=None, interval_buckets=None, policy=None) -> _Plan:
    options = {"view": view, "interval_buckets": interval_buckets,
               "playbook": policy is not None and view == "action"}
    EffectivenessState(**options)  # the arguments checked once, on the client
    if policy is not None:
        check_policy(policy)
        if view != "action":
            raise ValueError("policy: only the action view is compared with a policy's "
                             "playbook (view='action')")
    dealers = _pandas(dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    stamp = _resolve_as_of([(leads, {"created_at", "won_at"}), (touches, {"at"})], as_of, tz,
                           "effectiveness")
    params = {"as_of": stamp, "tz": tz, "scope": scope, "dealers": dealers}
    if policy is not None:
        params["policy"] = policy
    return _plan("effectiveness", {"leads": leads, "touches": touches}, options, params)


def effectiveness(leads: dd.DataFrame, touches: dd.DataFrame, *, view: str = "method_mix",
                  as_of=None, tz: str | None = None, scope: Scope | None = None, dealers=None,
                  interval_buckets=None, policy: Policy | None = None,
                  split_every: int = 8) -> pd.DataFrame:
    """``leadkit.effectiveness`` on Dask DataFrames; the same table."""
    plan = _plan_effectiveness(leads, touches, view=view, as_of=as_of, tz=tz, scope=scope,
                               dealers=dealers, interval_buckets=interval_buckets,
                               policy=policy)
    return _table(plan, split_every)


def _plan_lost_analysis(leads, *, by="month", policy=None, tz=None, scope=None, dealers=None,
                        as_of=None) -> _Plan:
    if policy is not None:
        check_policy(policy)
    dealers = _pandas(dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    stamp = _resolve_as_of([(leads, set(_LEAD_TIMES))], as_of, tz, "lost_analysis")
    return _plan("lost_analysis", {"leads": leads}, {},
                 {"by": by, "policy": policy, "tz": tz, "scope": scope, "dealers": dealers,
                  "as_of": stamp})


def lost_analysis(leads: dd.DataFrame, *, by="month", policy: Policy | None = None, tz=None,
                  scope: Scope | None = None, dealers=None, as_of=None,
                  split_every: int = 8) -> pd.DataFrame:
    """``leadkit.lost_analysis`` on Dask DataFrames; the same table."""
    plan = _plan_lost_analysis(leads, by=by, policy=policy, tz=tz, scope=scope, dealers=dealers,
                               as_of=as_of)
    return _table(plan, split_every)


def _plan_profile(leads, *, by, scope=None, dealers=None, age_bands=None, as_of=None,
                  tz=None) -> _Plan:
    dealers = _pandas(dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    stamp = _resolve_as_of([(leads, set(_LEAD_TIMES))], as_of, tz, "profile")
    return _plan("profile", {"leads": leads}, {},
                 {"by": by, "scope": scope, "dealers": dealers, "age_bands": age_bands,
                  "as_of": stamp, "tz": tz})


def profile(leads: dd.DataFrame, *, by, scope: Scope | None = None, dealers=None,
            age_bands=None, as_of=None, tz: str | None = None,
            split_every: int = 8) -> pd.DataFrame:
    """``leadkit.profile`` on Dask DataFrames; the same table."""
    plan = _plan_profile(leads, by=by, scope=scope, dealers=dealers, age_bands=age_bands,
                         as_of=as_of, tz=tz)
    return _table(plan, split_every)


def _plan_backtest(leads, touches, policies, *, as_of=None, grade_map=None, by=None,
                   surveys=None, dealers=None, scope=None, tz=None) -> _Plan:
    checked = _backtest.check_policies(policies)
    _backtest.check_grade_maps(grade_map, list(checked))
    names = _kpis.by_list(by)
    dealers = _pandas(dealers)
    if "region_id" in names and dealers is None:
        raise ValueError("by: region_id needs the dealers table (dealers=)")
    scope, dealers = _checked_scope(scope, leads, dealers)
    instants: set[str] = set()
    for policy in checked.values():
        instants |= _lead_instants(policy, ["entered_at", "consultant_id", *names])
    stamp = _resolve_as_of([(leads, instants), (touches, {"at"}), (surveys, {"at"})], as_of,
                           tz, "backtest")
    return _plan("backtest", {"leads": leads, "touches": touches, "surveys": surveys},
                 {"policies": list(checked), "by": names},
                 {"policies": checked, "grade_map": grade_map, "dealers": dealers,
                  "scope": scope, "as_of": stamp, "tz": tz})


def backtest(leads: dd.DataFrame, touches: dd.DataFrame, policies, *, as_of=None,
             grade_map=None, by=None, surveys=None, dealers=None, scope: Scope | None = None,
             tz: str | None = None, split_every: int = 8) -> _backtest.Backtest:
    """``leadkit.backtest`` on Dask DataFrames; the same :class:`leadkit.Backtest`, exactly.
    `dealers` is a small table sent whole to every partition."""
    plan = _plan_backtest(leads, touches, policies, as_of=as_of, grade_map=grade_map, by=by,
                          surveys=surveys, dealers=dealers, scope=scope, tz=tz)
    state = _merged(plan, split_every)
    zone = next(iter(plan.job.params["policies"].values())).time_zone
    result = state.finalize(as_of=plan.job.params["as_of"].tz_convert(zone))
    sources = [*plan.sources, plan.job.params.get("dealers")]
    result.summary = _frames.restore_key_dtypes(result.summary, sources)
    result.task_load = _frames.restore_key_dtypes(result.task_load, sources)
    return result


def _plan_audit(leads, touches, policy, *, as_of=None, tz=None, scope=None,
                dealers=None, phone_key=None) -> _Plan:
    check_policy(policy)
    options = {} if phone_key is None else {"phone_key": phone_key}
    AuditState(**options)  # the key checked once, on the client
    dealers = _pandas(dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    touch_instants = {n for n, kind in _frames.CADENCE_TOUCH_COLUMNS.items()
                      if kind == "instant"}
    stamp = _resolve_as_of([(leads, _lead_instants(policy)), (touches, touch_instants)],
                           as_of, tz, "audit")
    return _plan("audit", {"leads": leads, "touches": touches}, options,
                 {"policy": policy, "as_of": stamp, "tz": tz, "scope": scope,
                  "dealers": dealers})


def audit(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, as_of=None,
          tz: str | None = None, scope: Scope | None = None, dealers=None,
          phone_key: bytes | None = None, split_every: int = 8) -> pd.DataFrame:
    """``leadkit.audit`` on Dask DataFrames; the same table. Duplicate phone numbers are found
    across partitions: the merge of the states compares keyed hashes of the normalised
    numbers, so no phone number is shipped; give `phone_key` (16 secret bytes) so that the
    shipped hashes cannot be tested against guessed numbers (docs/distributed.md)."""
    dealers = _pandas(dealers)
    plan = _plan_audit(leads, touches, policy, as_of=as_of, tz=tz, scope=scope, dealers=dealers,
                       phone_key=phone_key)
    state = _merged(plan, split_every)
    warn_estimated(_frames.judging_calendars(policy._impl, _frames.dealers_frame(dealers)),
                   state.estimated, "audit")
    return _frames.restore_key_dtypes(state.finalize(), [*plan.sources,
                                                         plan.job.params.get("dealers")])


def _pipeline_by(by, dealers) -> list[str]:
    names = _frames.by_names(by, [*_frames.GROUP_FIELDS, "region_id"])
    if "region_id" in names and dealers is None:
        raise ValueError("by: region_id needs the dealers table (dealers=)")
    return names


def _plan_pipeline_family(report: str, leads, touches, policy, options: dict, *, tz, scope,
                          dealers) -> _Plan:
    """A pipeline report's plan; its arguments checked once, on the client, by building the
    state of the tables without their rows."""
    params = {"tz": tz, "scope": scope, "dealers": dealers}
    if policy is not None:
        params["policy"] = policy
    plan = _plan(report, {"leads": leads, "touches": touches}, options, params)
    _empty_state(plan)
    return plan


def _pipeline_instants(policy: Policy | None, names: list[str]) -> set[str]:
    """The lead columns the pipeline reports read as instants (their default as_of's)."""
    read = set(_pipeline.LEAD_INSTANTS)
    if policy is not None:
        read |= _lead_instants(policy)
    return read - set(names)


def _plan_pipeline(leads, touches, policy, *, at, by=None, tz=None, scope=None,
                   dealers=None) -> _Plan:
    check_policy(policy)
    dealers = _pandas(dealers)
    names = _pipeline_by(by, dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    return _plan_pipeline_family("pipeline", leads, touches, policy, {"at": at, "by": names},
                                 tz=tz, scope=scope, dealers=dealers)


def pipeline(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, at, by=None,
             tz: str | None = None, scope: Scope | None = None, dealers=None,
             split_every: int = 8) -> pd.DataFrame:
    """``leadkit.pipeline`` on Dask DataFrames; the same table."""
    plan = _plan_pipeline(leads, touches, policy, at=at, by=by, tz=tz, scope=scope,
                          dealers=dealers)
    return _table(plan, split_every)


def _plan_grade_migration(leads, touches, policy, *, start, end, tz=None, scope=None,
                          dealers=None) -> _Plan:
    check_policy(policy)
    dealers = _pandas(dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    return _plan_pipeline_family("grade_migration", leads, touches, policy,
                                 {"start": start, "end": end}, tz=tz, scope=scope,
                                 dealers=dealers)


def grade_migration(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, start, end,
                    tz: str | None = None, scope: Scope | None = None, dealers=None,
                    long: bool = False, split_every: int = 8) -> pd.DataFrame:
    """``leadkit.grade_migration`` on Dask DataFrames; the same table (``long=True``: the
    same counts as rows)."""
    plan = _plan_grade_migration(leads, touches, policy, start=start, end=end, tz=tz,
                                 scope=scope, dealers=dealers)
    return _table(plan, split_every, long=long)


def _plan_monthly(leads, touches, policy, *, months, tz=None, scope=None,
                  dealers=None) -> _Plan:
    check_policy(policy)
    dealers = _pandas(dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    return _plan_pipeline_family("monthly", leads, touches, policy,
                                 {"months": months}, tz=tz, scope=scope, dealers=dealers)


def monthly(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, months,
            tz: str | None = None, scope: Scope | None = None, dealers=None,
            split_every: int = 8) -> pd.DataFrame:
    """``leadkit.monthly`` on Dask DataFrames; the same table."""
    plan = _plan_monthly(leads, touches, policy, months=months, tz=tz, scope=scope,
                         dealers=dealers)
    return _table(plan, split_every)


def _plan_funnel(leads, touches, policy, *, as_of=None, by=None, tz=None, scope=None,
                 dealers=None) -> _Plan:
    check_policy(policy)
    dealers = _pandas(dealers)
    names = _pipeline_by(by, dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    stamp = _resolve_as_of([(leads, _pipeline_instants(policy, names)), (touches, {"at"})],
                           as_of, tz, "funnel")
    return _plan_pipeline_family("funnel", leads, touches, policy,
                                 {"as_of": stamp, "by": names}, tz=tz, scope=scope,
                                 dealers=dealers)


def funnel(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, as_of=None, by=None,
           tz: str | None = None, scope: Scope | None = None, dealers=None,
           split_every: int = 8) -> pd.DataFrame:
    """``leadkit.funnel`` on Dask DataFrames; the same table (the default as_of found once,
    over all partitions)."""
    plan = _plan_funnel(leads, touches, policy, as_of=as_of, by=by, tz=tz, scope=scope,
                        dealers=dealers)
    return _table(plan, split_every)


def _plan_touches_per_won_lead(leads, touches, *, as_of=None, by=None, tz=None, scope=None,
                               dealers=None) -> _Plan:
    dealers = _pandas(dealers)
    names = _pipeline_by(by, dealers)
    scope, dealers = _checked_scope(scope, leads, dealers)
    stamp = _resolve_as_of([(leads, _pipeline_instants(None, names)), (touches, {"at"})],
                           as_of, tz, "touches_per_won_lead")
    return _plan_pipeline_family("touches_per_won_lead", leads, touches, None,
                                 {"as_of": stamp, "by": names}, tz=tz, scope=scope,
                                 dealers=dealers)


def touches_per_won_lead(leads: dd.DataFrame, touches: dd.DataFrame, *, as_of=None, by=None,
                         tz: str | None = None, scope: Scope | None = None, dealers=None,
                         split_every: int = 8) -> pd.DataFrame:
    """``leadkit.touches_per_won_lead`` on Dask DataFrames; the same table (the default as_of
    found once, over all partitions)."""
    plan = _plan_touches_per_won_lead(leads, touches, as_of=as_of, by=by, tz=tz, scope=scope,
                                      dealers=dealers)
    return _table(plan, split_every)


_PLANS: dict[str, Callable[..., _Plan]] = {
    "kpis": _plan_kpis, "showroom": _plan_showroom, "activity": _plan_activity,
    "effectiveness": _plan_effectiveness, "lost_analysis": _plan_lost_analysis,
    "profile": _plan_profile, "audit": _plan_audit, "backtest": _plan_backtest,
    "pipeline": _plan_pipeline,
    "grade_migration": _plan_grade_migration, "monthly": _plan_monthly,
    "funnel": _plan_funnel, "touches_per_won_lead": _plan_touches_per_won_lead,
}


def report_states(report: str, *args: Any, **kwargs: Any) -> list:
    """One delayed serialized state (bytes, or None for a partition without rows) per
    partition of ``leadkit.dask.<report>(*args, **kwargs)``: what that call merges, and what a
    benchmark measures the size of. `report` is one of ``kpis``, ``showroom``, ``activity``,
    ``effectiveness``, ``lost_analysis``, ``profile``, ``audit``, ``pipeline``,
    ``grade_migration``, ``monthly``, ``funnel``, ``touches_per_won_lead`` and ``backtest``."""
    if report not in _PLANS:
        raise ValueError(f"report: expected one of {', '.join(sorted(_PLANS))}, got "
                         f"{report!r}{_frames.suggest(str(report), _PLANS)}")
    return _states(_PLANS[report](*args, **kwargs))


def partial_states(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *,
                   surveys=None, dealers=None, by=None, scope: Scope | None = None,
                   as_of=None, tz: str | None = None) -> tuple[list, list[str]]:
    """One delayed serialized KPI state per aligned partition, and the `by` names: what
    :func:`kpis` merges (``report_states("kpis", ...)``)."""
    plan = _plan_kpis(leads, touches, policy, surveys=surveys, dealers=dealers, by=by,
                      scope=scope, as_of=as_of, tz=tz)
    return _states(plan), list(plan.job.options["by"])


# --- partition by partition (no state) ------------------------------------------------------

def classify(leads: dd.DataFrame, policy: Policy) -> dd.DataFrame:
    """``leadkit.classify`` partition by partition."""
    meta = _classify_frame(leads._meta, policy)
    return leads.map_partitions(_classify_frame, policy, meta=meta)


def _schedule_part(leads, touches, policy, as_of, tz, dealers):
    return _schedule.schedule(leads, touches, policy, as_of=as_of, tz=tz, dealers=dealers)


def schedule(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, as_of=None,
             tz: str | None = None, dealers=None) -> dd.DataFrame:
    """``leadkit.schedule`` partition by partition, with one as_of for all, after aligning
    touches with their leads. Tasks come in partition order. `dealers` (a pandas table, sent
    whole to every partition) gives each dealer's calendar as in ``leadkit.schedule``."""
    stamp = _resolve_as_of([(leads, _lead_instants(policy)), (touches, {"at"})], as_of, tz)
    lead_parts, touch_parts = _align([leads, touches])
    if dealers is not None:
        dealers = _frames.dealers_frame(_pandas(dealers))
    meta = _schedule.schedule(lead_parts._meta, touch_parts._meta, policy, as_of=stamp, tz=tz,
                              dealers=dealers)
    parts = [dask.delayed(_schedule_part)(l, t, policy, stamp, tz, dealers)
             for l, t in zip(lead_parts.to_delayed(), touch_parts.to_delayed())]
    return dd.from_delayed(parts, meta=meta)
