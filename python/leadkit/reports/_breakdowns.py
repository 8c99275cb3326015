"""Breakdowns of leads: lost sales, customer profile, and the consultant scorecard
(docs/kpis.md).

The counting is the C++ engine's (``lost_analysis.h``, ``profile.h``, ``scorecard.h``): this
module checks the Python arguments, converts the tables (``_frames``), computes the scope mask,
calls the engine and builds the DataFrames. :class:`LostAnalysisState` and
:class:`ProfileState` are the mergeable states of the first two reports.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import _core, _frames
from .._frames import by_names
from .._policy import Policy, check_policy
from .._scope import Scope, check_scope
from ._kpis import KPI_COLUMNS
from ._state import EngineState, deprecated, states_to_merge

#: The leads' instants a report reads: the point in time and the default ``as_of`` (the
#: latest of them).
_LEAD_TIMES = ("created_at", "won_at", "lost_at", "entered_at", "assigned_at")


# --- shared: zones, leads, as_of ------------------------------------------------------------

class _Leads:
    """A leads table converted once for the engine: its specs, the scope mask and `as_of`."""

    def __init__(self, leads: Any, strings: Iterable[str], *, scope, dealers, as_of, tz,
                 numbers: Iterable[str] = ()):
        self.scope = check_scope(scope)
        dealer_frame = _frames.dealers_frame(dealers)
        frame = _frames.as_frame(leads, "leads")
        _frames.require_columns(frame, "leads", ["lead_id"])
        fields = _lead_columns(strings, numbers)
        self.frame = frame
        self.specs = _frames.table_specs(frame, fields, table="leads", tz=tz,
                                         ids_as_strings=True)
        self.as_of = _frames.as_of_seconds(as_of, self.specs, tz, required=False)
        mask = self.scope.mask(frame, dealer_frame)
        self.include = None if mask is None else np.ascontiguousarray(mask, dtype=np.uint8)


def _lead_columns(strings: Iterable[str], numbers: Iterable[str] = ()) -> dict[str, str]:
    """What :class:`_Leads` reads of the leads: {column: field type}."""
    return {"lead_id": "string", "status": "string", **{name: "string" for name in strings},
            "dealer_id": "string", **{name: "number" for name in numbers},
            **{name: "instant" for name in _LEAD_TIMES}}


def _lead_stream(leads: Any, columns: dict[str, str], required: Sequence[str]):
    """`leads` as a RecordBatchReader when it is an Arrow stream the engine reads as the
    pandas path does (`columns` read, `required` present; docs/data.md, "Arrow streams"), else
    the table for the pandas path (a stream read once) and None."""
    readers = _frames.arrow_readers({"leads": leads})
    if readers is None:
        return leads, None
    if _frames.stream_ready(readers, {"leads": columns}, required={"leads": required}):
        return leads, readers["leads"]
    return readers["leads"], None


def _add_stream(add: Any, state: Any, reader: Any, *, scope, dealers, as_of, tz,
                threads: int) -> None:
    """Adds the leads of an Arrow stream to the C++ `state` through `add` (a
    ``_core.*_add_arrow``: the C ABI's reader and engine, the scope applied there;
    :func:`_frames.stream_as_of`)."""
    dealer_frame = _frames.dealers_frame(dealers)
    scope = check_scope(scope)
    add(state, reader, _frames.stream_as_of(as_of, tz), threads,
        **scope.stream_arguments(dealer_frame))


def _keys_frame(names: Sequence[str], keys: list) -> dict[str, pd.Series]:
    return {name: pd.Series([k[i] for k in keys], dtype=object) for i, name in enumerate(names)}


# --- lost sales (002 §2.7) -------------------------------------------------------------------

LOST_KEYS = tuple(_core.lost_analysis_keys())
_LOST_COUNTS = ["lost", "share", "approved", "rejected", "pending", "review_null",
                "rejection_rate"]


class LostAnalysisState(EngineState):
    """The mergeable state of :func:`lost_analysis` (C++ ``leadkit::LostAnalysisState``): per
    group of `by` and ``lost_reason``, the counts ``lost``, ``approved``, ``rejected``,
    ``pending`` and ``review_null``.

    ``add`` takes a batch of leads with the arguments of :func:`lost_analysis` (the first batch
    fixes `by` and the zone of the periods; batches of one report need one `as_of`: pass it).
    States of disjoint batches merge (``merge``, ``+``) in any order into the state of the
    whole; ``finalize()`` gives the table; ``to_bytes()`` / ``from_bytes()`` and pickling carry
    a state between processes."""

    _core_class = _core.LostAnalysisState
    __slots__ = ()

    def add(self, leads: Any, *, by: Any = "month", policy: Policy | None = None, tz=None,
            scope: Scope | None = None, dealers: Any = None, as_of: Any = None,
            threads: int = 1) -> "LostAnalysisState":
        """Adds a batch of leads; returns the state."""
        names = by_names(by, LOST_KEYS, strict=True)
        threads = _frames.check_threads(threads)
        if policy is not None:
            check_policy(policy)
        if tz is not None:
            tz_name = _frames.zone_name(tz, "tz")
        strings = ["lost_review", "lost_reason",
                   *[n for n in names if n not in ("month", "week", "dealer_id")]]
        # The dealers first: a DuckDB connection serves one open result at a time.
        dealers = _frames.dealers_frame(dealers)
        leads, reader = _lead_stream(leads, _lead_columns(strings), ["lead_id"])
        frame = _frames.as_frame(leads, "leads") if reader is None else None
        zone = "UTC"
        if {"month", "week"} & set(names):
            if policy is not None:
                zone = policy.time_zone
            elif tz is not None:
                zone = tz_name
            elif reader is not None:
                own = _frames.schema_zone(reader.schema, "lost_at")
                zone = "UTC" if own is None else _frames.zone_name(own, "leads.lost_at")
            elif "lost_at" in frame.columns:
                own = _frames.own_zone(frame["lost_at"], "leads", "lost_at")
                zone = "UTC" if own is None else _frames.zone_name(own, "leads.lost_at")
        state = _core.LostAnalysisState(names, zone)
        if reader is not None:
            _add_stream(_core.lost_analysis_add_arrow, state, reader, scope=scope,
                        dealers=dealers, as_of=as_of, tz=tz, threads=threads)
        else:
            batch = _Leads(frame, strings, scope=scope, dealers=dealers, as_of=as_of, tz=tz)
            state.add(len(batch.frame), batch.specs, batch.as_of, batch.include, threads)
        self._fold(state)
        return self

    def _check(self, state) -> None:
        if list(state.by) != list(self._state.by) or state.time_zone != self._state.time_zone:
            raise ValueError(f"by: the state groups by {list(self._state.by)!r} in "
                             f"{self._state.time_zone}, not by {list(state.by)!r} in "
                             f"{state.time_zone}")

    def __repr__(self):
        state = self._core()
        return (f"LostAnalysisState(by={list(state.by)!r}, time_zone={state.time_zone!r}, "
                f"groups={len(state.finalize()['keys'])})")

    def _empty(self):
        # A state no batch was added to: by month, in UTC, empty.
        return _core.LostAnalysisState(["month"], "UTC")

    def finalize(self) -> pd.DataFrame:
        """The :func:`lost_analysis` table of the state."""
        state = self._core()
        out = state.finalize()
        names = [*state.by, "lost_reason"]
        data = _keys_frame(names, out["keys"])
        for column in _LOST_COUNTS:
            data[column] = pd.Series(out[column])
        return pd.DataFrame(data, columns=[*names, *_LOST_COUNTS])


def lost_analysis_state(leads: Any, *, by: Any = "month", policy: Policy | None = None, tz=None,
                        scope: Scope | None = None, dealers: Any = None,
                        as_of: Any = None) -> LostAnalysisState:
    """Deprecated: ``leadkit.LostAnalysisState().add(...)``."""
    deprecated("lost_analysis_state", "leadkit.LostAnalysisState().add(...)")
    return LostAnalysisState().add(leads, by=by, policy=policy, tz=tz, scope=scope,
                                   dealers=dealers, as_of=as_of)


def lost_analysis_merge(states: Iterable[LostAnalysisState]) -> LostAnalysisState:
    """Deprecated: ``LostAnalysisState.merge`` (or ``+``)."""
    deprecated("lost_analysis_merge", "LostAnalysisState.merge or +")
    states = states_to_merge(states, LostAnalysisState, "lost_analysis")
    merged = LostAnalysisState()
    for state in states:
        merged.merge(state)
    return merged


def lost_analysis_finalize(state: LostAnalysisState) -> pd.DataFrame:
    """Deprecated: ``LostAnalysisState.finalize()``."""
    deprecated("lost_analysis_finalize", "LostAnalysisState.finalize()")
    if not isinstance(state, LostAnalysisState):
        raise TypeError(f"state: expected a leadkit.LostAnalysisState, got "
                        f"{type(state).__name__}")
    return state.finalize()


def lost_analysis(leads: Any, *, by: Any = "month", policy: Policy | None = None, tz=None,
                  scope: Scope | None = None, dealers: Any = None,
                  as_of: Any = None, threads: int = 1) -> pd.DataFrame:
    """Lost sales by reason (002 §2.7, docs/kpis.md): one row per group of `by` and
    ``lost_reason`` (null reason its own group), sorted, null keys last.

    Leads with status ``lost`` count. `by` takes ``month`` (``YYYY-MM``) or ``week`` (ISO
    ``YYYY-Www``) of ``lost_at`` — in the policy's zone when `policy` is given, else in `tz`,
    else in the values' own zone; null ``lost_at`` is a null period — and ``dealer_id``,
    ``consultant_id``, ``channel``, ``model``, a list of these, or None. Columns: ``lost``,
    ``share`` (of the lost leads of the same `by` group), the review counts ``approved``,
    ``rejected``, ``pending``, ``review_null``, and ``rejection_rate`` = rejected ÷
    (approved + rejected + pending). Point in time as in :func:`leadkit.kpis`: a lead lost
    after `as_of` (or created after it) is not lost yet; `as_of` defaults to the latest
    timestamp of the leads. `threads` splits the leads over threads."""
    return LostAnalysisState().add(leads, by=by, policy=policy, tz=tz, scope=scope,
                                   dealers=dealers, as_of=as_of, threads=threads).finalize()


# --- customer profile (000 §7.1.2) -----------------------------------------------------------

#: Default age bands: the lower edges of the bands after the first (``<25`` ... ``55+``).
AGE_BANDS = (25, 35, 45, 55)
_PROFILE_COUNTS = ["leads", "share", "won", "conversion_rate", "invalid"]


def _profile_keys() -> list[str]:
    return ["age_band", *[name for name, (kind, personal, _) in _frames.LEAD_FIELDS.items()
                          if kind == "string" and not personal and name != "lead_id"]]


def _personal() -> list[str]:
    return [name for name, (_, personal, _) in _frames.LEAD_FIELDS.items() if personal]


def band_labels(edges: Any = None) -> list[str]:
    """The labels of the age bands cut at `edges` (whole years, strictly increasing):
    ``<e0``, ``e0-(e1-1)``, ..., ``eN+``."""
    return list(_core.age_band_labels(_band_edges(edges)))


def _band_edges(edges: Any) -> list[int]:
    """The band edges as whole years (TypeError otherwise); their values are the engine's to
    check."""
    if edges is None:
        return list(AGE_BANDS)
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Sequence):
        raise TypeError(f"age_bands: expected a list of whole-year ages, got {edges!r}")
    for edge in edges:
        if isinstance(edge, (bool, np.bool_)) or not isinstance(edge, (int, np.integer)):
            raise TypeError(f"age_bands: expected whole years, got {edge!r}")
    return [int(e) for e in edges]


class ProfileState(EngineState):
    """The mergeable state of :func:`profile` (C++ ``leadkit::ProfileState``): per group,
    ``leads`` (not invalid), ``won`` and ``invalid``.

    ``add`` takes a batch of leads with the arguments of :func:`profile` (the first batch fixes
    `by` and `age_bands`; batches of one report need one `as_of`: pass it). States of disjoint
    batches merge (``merge``, ``+``) in any order into the state of the whole; ``finalize()``
    gives the table; ``to_bytes()`` / ``from_bytes()`` and pickling carry a state between
    processes."""

    _core_class = _core.ProfileState
    __slots__ = ()

    def add(self, leads: Any, *, by: Any, scope: Scope | None = None, dealers: Any = None,
            age_bands: Any = None, as_of: Any = None, tz: str | None = None,
            threads: int = 1) -> "ProfileState":
        """Adds a batch of leads; returns the state."""
        names = by_names(by, _profile_keys(), personal=_personal(), strict=True)
        threads = _frames.check_threads(threads)
        edges = _band_edges(age_bands)
        if tz is not None:
            _frames.zone_name(tz, "tz")
        strings = [n for n in names if n not in ("age_band", "dealer_id")]
        numbers = ["age"] if "age_band" in names else []
        # The engine reads the ages whatever the groups: a stream whose ages it would not read
        # as numbers goes down the pandas path, which leaves them alone.
        dealers = _frames.dealers_frame(dealers)  # first, as in LostAnalysisState.add
        leads, reader = _lead_stream(leads, _lead_columns(strings, ["age"]),
                                     ["lead_id", "created_at"])
        state = _core.ProfileState(names, edges)
        if reader is not None:
            _add_stream(_core.profile_add_arrow, state, reader, scope=scope, dealers=dealers,
                        as_of=as_of, tz=tz, threads=threads)
        else:
            batch = _Leads(leads, strings, scope=scope, dealers=dealers, as_of=as_of, tz=tz,
                           numbers=numbers)
            _frames.require_columns(batch.frame, "leads", ["created_at"])
            state.add(len(batch.frame), batch.specs, batch.as_of, batch.include, threads)
        self._fold(state)
        return self

    def _check(self, state) -> None:
        if list(state.by) != list(self._state.by) or list(state.age_bands) != list(
                self._state.age_bands):
            raise ValueError(f"by: the state groups by {list(self._state.by)!r} with age bands "
                             f"{list(self._state.age_bands)!r}, not by {list(state.by)!r} with "
                             f"{list(state.age_bands)!r}")

    def __repr__(self):
        state = self._core()
        return (f"ProfileState(by={list(state.by)!r}, age_bands={list(state.age_bands)!r}, "
                f"groups={len(state.finalize()['keys'])})")

    def _empty(self):
        # A state no batch was added to: ungrouped, default bands, empty.
        return _core.ProfileState([], list(AGE_BANDS))

    @property
    def age_bands(self) -> list[int]:
        return list(self._core().age_bands)

    def finalize(self) -> pd.DataFrame:
        """The :func:`profile` table of the state."""
        state = self._core()
        out = state.finalize()
        names = list(state.by)
        data = _keys_frame(names, out["keys"])
        for column in _PROFILE_COUNTS:
            data[column] = pd.Series(out[column])
        return pd.DataFrame(data, columns=[*names, *_PROFILE_COUNTS])


def _check_bands(state: ProfileState, age_bands: Any) -> None:
    if age_bands is not None and _band_edges(age_bands) != state.age_bands:
        raise ValueError(f"age_bands: the state cuts at {state.age_bands!r}, not "
                         f"{list(age_bands)!r}")


def profile_state(leads: Any, *, by: Any, scope: Scope | None = None, dealers: Any = None,
                  age_bands: Any = None, as_of: Any = None, tz: str | None = None
                  ) -> ProfileState:
    """Deprecated: ``leadkit.ProfileState().add(...)``."""
    deprecated("profile_state", "leadkit.ProfileState().add(...)")
    return ProfileState().add(leads, by=by, scope=scope, dealers=dealers, age_bands=age_bands,
                              as_of=as_of, tz=tz)


def profile_merge(states: Iterable[ProfileState], *, age_bands: Any = None) -> ProfileState:
    """Deprecated: ``ProfileState.merge`` (or ``+``); `age_bands` as given to the states."""
    deprecated("profile_merge", "ProfileState.merge or +")
    states = states_to_merge(states, ProfileState, "profile")
    merged = ProfileState()
    for state in states:
        merged.merge(state)
    _check_bands(merged, age_bands)
    return merged


def profile_finalize(state: ProfileState, *, age_bands: Any = None) -> pd.DataFrame:
    """Deprecated: ``ProfileState.finalize()``; `age_bands` as given to the states."""
    deprecated("profile_finalize", "ProfileState.finalize()")
    if not isinstance(state, ProfileState):
        raise TypeError(f"state: expected a leadkit.ProfileState, got {type(state).__name__}")
    _check_bands(state, age_bands)
    return state.finalize()


def profile(leads: Any, *, by: Any, scope: Scope | None = None, dealers: Any = None,
            age_bands: Any = None, as_of: Any = None, tz: str | None = None,
            threads: int = 1) -> pd.DataFrame:
    """The customer profile (000 §7.1.2, docs/kpis.md): one row per group of `by`, sorted
    (age bands youngest first), null keys last.

    `by` takes ``age_band`` (from ``age``; bands cut at `age_bands`, default ``<25``,
    ``25-34``, ``35-44``, ``45-54``, ``55+``), ``gender``, ``occupation``, ``purpose``,
    ``model`` (preference) or any other non-personal lead string column, or a list of these.
    Columns: ``leads`` (not invalid), ``share`` (of all such leads in scope), ``won``,
    ``conversion_rate`` = won ÷ leads, ``invalid``. Point in time as in :func:`leadkit.kpis`:
    leads created after `as_of` are left out and a win after it is not yet a win; `as_of`
    defaults to the latest timestamp of the leads. `threads` splits the leads over threads."""
    return ProfileState().add(leads, by=by, scope=scope, dealers=dealers, age_bands=age_bands,
                              as_of=as_of, tz=tz, threads=threads).finalize()


# --- scorecard (000 §8.2.1) ------------------------------------------------------------------

#: The rates a scorecard can weigh (C++ ``ScorecardRates()``).
RATES = list(_core.scorecard_rates())


def _weights(weights: Any) -> list[tuple[str, float]]:
    """(rate, weight) pairs from a mapping or a policy's scorecard section; the Python types
    checked here, the values by the engine."""
    if weights is None:
        raise ValueError("weights: pass a mapping {rate column: weight} or a leadkit.Policy "
                         "with a scorecard section")
    if isinstance(weights, Policy):
        given = weights.scorecard_weights
        if not given:
            raise ValueError(f"weights: policy {weights.name!r} has no scorecard section; "
                             "pass a mapping {rate column: weight}")
        weights = given
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights: expected a mapping or a leadkit.Policy, got "
                        f"{type(weights).__name__}")
    out = []
    for rate, weight in weights.items():
        if not isinstance(rate, str):
            raise ValueError(f"weights: {rate!r} is not a rate of leadkit.kpis")
        if (isinstance(weight, (bool, np.bool_))
                or not isinstance(weight, (int, float, np.integer, np.floating))):
            raise ValueError(f"weights: {rate} has weight {weight!r}; expected a finite number")
        out.append((rate, float(weight)))
    return out


def _rate_spec(frame: pd.DataFrame, rate: str):
    """A rate column as doubles (NaN = no rate); a column that is not numbers is an error."""
    column = frame[rate]
    if pd.api.types.is_bool_dtype(column.dtype) or not (
            pd.api.types.is_numeric_dtype(column.dtype) or column.isna().all()):
        raise ValueError(f"kpis_frame.{rate}: a column of dtype {column.dtype}; expected rates "
                         "(numbers from 0 to 1)")
    values = pd.to_numeric(column).astype("Float64").to_numpy(dtype=np.float64,
                                                              na_value=np.nan)
    return (rate, "double", np.ascontiguousarray(values), None, None)


def _key_spec(frame: pd.DataFrame, key: str):
    """A group column as strings, to name rows in messages; None when it holds other values."""
    column = frame[key]
    if not isinstance(key, str) or pd.api.types.infer_dtype(column, skipna=True) not in (
            "string", "empty"):
        return None
    codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=True)
    return (key, "code", codes.astype(np.int32), None, [str(u) for u in uniques])


def scorecard(kpis_frame: Any, weights: Any = None) -> pd.DataFrame:
    """A consultant's appraisal score (000 §8.2.1, docs/kpis.md) from a
    :func:`leadkit.kpis` table (typically ``by="consultant_id"``).

    `weights` is a mapping {rate column of ``leadkit.KPI_COLUMNS`` ending in ``_rate``:
    weight ≥ 0} or a :class:`leadkit.Policy` (its ``scorecard_weights``). Output: the group
    columns, ``<rate>_points`` = weight × rate per weighted rate (NaN when the rate is NaN),
    ``score`` = the sum of the points (a NaN rate adds 0), ``missing`` (the ``;``-joined
    weighted rates that were NaN, ``""`` when none) and ``rank`` (1 = best; equal scores share
    the better rank), sorted by score, best first, ties in the input's order."""
    pairs = _weights(weights)
    if not isinstance(kpis_frame, pd.DataFrame):
        raise TypeError(f"kpis_frame: expected the DataFrame of leadkit.kpis, got "
                        f"{type(kpis_frame).__name__}")
    frame = kpis_frame.reset_index(drop=True)
    weighted = [rate for rate, _ in pairs if rate in RATES]
    _frames.require_columns(frame, "kpis_frame", [r for r in RATES if r in weighted])
    keys = [c for c in frame.columns if c not in KPI_COLUMNS]
    specs = [spec for spec in (_key_spec(frame, k) for k in keys) if spec is not None]
    specs += [_rate_spec(frame, rate) for rate in RATES if rate in weighted]
    out = _core.scorecard(len(frame), specs, pairs, "kpis_frame")
    order = out["row"]
    result = frame[keys].iloc[order].reset_index(drop=True)
    for rate, points in zip(out["rates"], out["points"]):
        result[f"{rate}_points"] = points
    result["score"] = out["score"]
    result["missing"] = pd.Series(out["missing"], dtype=object)
    result["rank"] = out["rank"]
    return result
