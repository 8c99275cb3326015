"""leadkit on Dask: the same numbers as one process, on a cluster (docs/distributed.md).

    import leadkit.dask
    table = leadkit.dask.kpis(leads_ddf, touches_ddf, policy, by="dealer_id")

Each partition of leads, with the touches and surveys of its leads beside it, becomes a
partial KPI state (:class:`leadkit.KpiState`); only the serialized states travel, merged in a
tree of `split_every` states, and the merged state is finalized on the client into the same
DataFrame ``leadkit.kpis`` returns. Whole groups are never shuffled to one worker. Touches and
surveys are first aligned with their leads: repartitioned by a hash of ``lead_id`` unless all
three frames already share their ``lead_id`` divisions.
"""

from __future__ import annotations

from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from . import _frames, _schedule
from ._classify import classify as _classify_frame
from ._policy import Policy
from ._scope import Scope
from .reports import KpiState, _kpis

__all__ = ["classify", "kpis", "partial_states", "schedule"]

_PART = "_leadkit_part"


def _hash_part(frame: pd.DataFrame, npartitions: int) -> pd.DataFrame:
    hashed = pd.util.hash_pandas_object(frame["lead_id"].astype(str), index=False)
    return frame.assign(**{_PART: (hashed % np.uint64(npartitions)).astype(np.int64)})


def _aligned(frames: list[dd.DataFrame]) -> bool:
    """True when every frame is indexed by lead_id with the same known divisions."""
    first = frames[0]
    return all(f.index.name == "lead_id" and f.known_divisions
               and f.divisions == first.divisions for f in frames)


def _align(frames: list[dd.DataFrame]) -> list[dd.DataFrame]:
    """The frames repartitioned alike by a hash of lead_id (a lead's rows in one partition)."""
    if _aligned(frames):
        return [f.reset_index() for f in frames]
    n = max(f.npartitions for f in frames)
    out = []
    for f in frames:
        if f.index.name == "lead_id":
            f = f.reset_index()
        keyed = f.map_partitions(_hash_part, n, meta=_hash_part(f._meta, n))
        shuffled = keyed.shuffle(on=_PART, npartitions=n)
        out.append(shuffled.map_partitions(lambda p: p.drop(columns=_PART),
                                           meta=f._meta))
    return out


def _lead_instants(policy: Policy, extra=()) -> set[str]:
    """The lead columns read as instants by the pandas path (so the same as_of is found)."""
    fields, _ = _frames.engine_fields(policy._impl, cadence=True, extra=extra)
    return {n for n, kind in fields.items() if kind == "instant"}


def _instant_max(frame: dd.DataFrame, read: set[str]) -> list:
    """Delayed maxima of the frame's columns in `read`: only what leadkit reads counts."""
    return [frame[c].max() for c in frame.columns if c in read]


def _resolve_as_of(frames: list[tuple[dd.DataFrame, set[str]]], as_of, tz) -> pd.Timestamp:
    """as_of once for every partition: given, or the latest timestamp of the instant columns
    leadkit reads, as in pandas."""
    if as_of is not None:
        return pd.Timestamp(_frames.instant_seconds(as_of, "as_of", tz), unit="s", tz="UTC")
    maxima = [m for f, read in frames for m in _instant_max(f, read)]
    values = [v for v in dask.compute(*maxima) if not pd.isna(v)]
    if not values:
        raise ValueError("as_of: the inputs hold no timestamp to take it from; pass as_of=")
    seconds = [_frames.instant_seconds(v, "as_of", tz) for v in values]
    return pd.Timestamp(max(seconds), unit="s", tz="UTC")


def _partial_state(leads, touches, surveys, policy, dealers, by, scope, as_of, tz) -> bytes:
    state = KpiState(by).add(leads, touches, policy, surveys=surveys, dealers=dealers,
                             scope=scope, as_of=as_of, tz=tz)
    return state.to_bytes()


def _merge_states(by, *states: bytes) -> bytes:
    merged = KpiState(list(by))
    for state in states:
        merged.merge(KpiState.from_bytes(state))
    return merged.to_bytes()


def _checked_scope(scope, leads: dd.DataFrame, dealers) -> tuple[Scope | None, Any]:
    """Validates the scope once, over all partitions, and returns the dealers table every
    partition checks against (partitions alone cannot tell an unknown dealer)."""
    if scope is None or scope.kind == "hq":
        return scope, dealers
    if dealers is not None or scope.kind == "region":
        frame = _frames.dealers_frame(dealers) if dealers is not None else None
        scope.mask(leads._meta, frame)  # raises for unknown ids (or a missing dealers table)
        return scope, dealers
    seen = leads["dealer_id"].eq(scope.id).any().compute() if "dealer_id" in leads.columns else False
    if not seen:
        raise KeyError(f"scope: unknown dealer {scope.id!r}")
    return scope, pd.DataFrame({"dealer_id": [scope.id], "region_id": [None]})


def partial_states(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *,
                   surveys=None, dealers=None, by=None, scope: Scope | None = None,
                   as_of=None, tz: str | None = None) -> tuple[list, list[str]]:
    """One delayed serialized KPI state per aligned partition, and the `by` names: what
    ``kpis`` merges (and what a benchmark measures the size of)."""
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
    names = _kpis.by_list(by)
    if isinstance(dealers, dd.DataFrame):
        dealers = dealers.compute()
    if surveys is None:
        empty = pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                              "at": pd.Series([], dtype="datetime64[ns, UTC]"),
                              "satisfied": pd.Series([], dtype=bool)})
        surveys = dd.from_pandas(empty, npartitions=1)
    if "region_id" in names and dealers is None:
        raise ValueError("by: region_id needs the dealers table (dealers=)")
    scope, dealers = _checked_scope(scope, leads, dealers)
    stamp = _resolve_as_of([(leads, _lead_instants(policy, ["entered_at", *names])),
                            (touches, {"at"}), (surveys, {"at"})], as_of, tz)
    lead_parts, touch_parts, survey_parts = _align([leads, touches, surveys])
    states = [
        dask.delayed(_partial_state)(l, t, s, policy, dealers, names, scope, stamp, tz)
        for l, t, s in zip(lead_parts.to_delayed(), touch_parts.to_delayed(),
                           survey_parts.to_delayed())
    ]
    return states, names


def kpis(leads: dd.DataFrame, touches: dd.DataFrame, policy: Policy, *, surveys=None,
         dealers=None, by=None, scope: Scope | None = None, as_of=None, tz: str | None = None,
         split_every: int = 8) -> pd.DataFrame:
    """``leadkit.kpis`` on Dask DataFrames; the same pandas DataFrame, exactly."""
    states, names = partial_states(leads, touches, policy, surveys=surveys, dealers=dealers,
                                   by=by, scope=scope, as_of=as_of, tz=tz)
    split_every = max(2, int(split_every))
    while len(states) > 1:  # a tree of merges; only states travel
        states = [dask.delayed(_merge_states)(names, *states[i:i + split_every])
                  for i in range(0, len(states), split_every)]
    (merged,) = dask.compute(states[0])
    # Group keys in their dtype in the inputs, as leadkit.kpis gives them (a categorical whose
    # categories Dask does not know stays text).
    sources = [getattr(t, "_meta", t) for t in (leads, touches, surveys, dealers)]
    sources = [t if isinstance(t, pd.DataFrame) else None for t in sources]
    return _frames.restore_key_dtypes(KpiState.from_bytes(merged).finalize(),
                                      sources)


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
        dealers = _frames.dealers_frame(dealers.compute() if hasattr(dealers, "dask")
                                       else dealers)
    meta = _schedule.schedule(lead_parts._meta, touch_parts._meta, policy, as_of=stamp, tz=tz,
                              dealers=dealers)
    parts = [dask.delayed(_schedule_part)(l, t, policy, stamp, tz, dealers)
             for l, t in zip(lead_parts.to_delayed(), touch_parts.to_delayed())]
    return dd.from_delayed(parts, meta=meta)
