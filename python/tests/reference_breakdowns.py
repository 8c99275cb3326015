"""The pandas implementation of leadkit.lost_analysis, leadkit.profile and leadkit.scorecard
as it stood before the reports moved into the C++ engine: the test reference the engine is
compared with (python/tests/test_breakdowns_engine.py). Not part of the package; the shared
pandas helpers it used come from reference_traffic, the traffic reports' frozen copy.
Functions keep their names: ``lost_analysis_state`` etc. return the DataFrame states of old."""

from __future__ import annotations

import datetime as _dt
import math
import zoneinfo
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from leadkit._policy import check_policy
from leadkit import _frames
from leadkit._frames import by_names
from leadkit._scope import check_scope, scope_mask
from leadkit import KPI_COLUMNS, Scope
from leadkit._policy import Policy

#: Lead statuses and lost-review values (docs/data.md).
# The shared pandas helpers, as they stood, from the traffic reports' reference.
from reference_traffic import (  # noqa: F401
    LeadTimes, METHODS, REVIEWS, resolve_as_of, STATUSES, _COUNT_COLUMNS, _NULL, booleans, check_zone, group_ids,
    is_count, lead_frame, local_times, merge_kind, merge_states, one_of, ordering, own_zone,
    period, ratio, state_keys, status_of, strings, sum_by, unique_ids)

# --- lost sales (002 §2.7) -------------------------------------------------------------------

LOST_KEYS = ("month", "week", "dealer_id", "consultant_id", "channel", "model")
_LOST_COUNTS = ["lost", "approved", "rejected", "pending", "review_null"]


def lost_analysis_state(leads: Any, *, by: Any = "month", policy: Policy | None = None, tz=None,
                        scope: Scope | None = None, dealers: Any = None,
                        as_of: Any = None) -> pd.DataFrame:
    """The additive state of :func:`lost_analysis` for one batch of leads: per group of `by`
    and ``lost_reason``, the counts ``lost``, ``approved``, ``rejected``, ``pending`` and
    ``review_null``. Batches of one report need one `as_of`: pass it (the default is the
    batch's own latest timestamp)."""
    names = by_names(by, LOST_KEYS, strict=True)
    scope = check_scope(scope)
    if policy is not None:
        check_policy(policy)
    if tz is not None:
        tz = check_zone(tz)
    dealer_frame = _frames.dealers_frame(dealers)
    frame = lead_frame(leads)
    review = strings(frame, "lost_review", "leads", "lead_id")
    one_of(review, REVIEWS, "leads", "lost_review", frame, "lead_id")
    keys = {}
    if {"month", "week"} & set(names):
        zone = policy.time_zone if policy is not None else None
        lost_at = local_times(frame, "lost_at", "leads", id_column="lead_id", tz=tz, zone=zone)
        for name in ("month", "week"):
            if name in names:
                keys[name] = period(lost_at, name)
    for name in names:
        if name not in keys:
            keys[name] = strings(frame, name, "leads", "lead_id")
    rows = pd.DataFrame({
        **{name: keys[name] for name in names},
        "lost_reason": strings(frame, "lost_reason", "leads", "lead_id"),
        "lost": np.ones(len(frame), dtype=np.int64),
        **{value: (review == value).to_numpy().astype(np.int64) for value in
           ("approved", "rejected", "pending")},
        "review_null": review.isna().to_numpy().astype(np.int64),
    })
    dealer_ids = pd.DataFrame({"dealer_id": strings(frame, "dealer_id", "leads", "lead_id")})
    times = LeadTimes(frame, tz, created_required=False)
    at = resolve_as_of(as_of, tz, times.latest())
    keep = ((status_of(frame) == "lost").to_numpy() & times.exists(at) & (times.lost_at <= at)
            & scope_mask(scope, dealer_ids, dealer_frame))
    return sum_by(rows[keep], [*names, "lost_reason"], _LOST_COUNTS)


def lost_analysis_merge(states: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One lost-sales state from the states of disjoint batches of leads."""
    return merge_states(merge_kind(states, "review_null", "lost_analysis"))


def lost_analysis_finalize(state: pd.DataFrame) -> pd.DataFrame:
    """The :func:`lost_analysis` table of a (merged) state."""
    keys = state_keys(state)
    out = sum_by(state, keys, _LOST_COUNTS)
    names = [k for k in keys if k != "lost_reason"]
    period_lost = out.groupby(group_ids(out, names))["lost"].transform("sum")
    share = ratio(out["lost"], period_lost)
    out.insert(len(keys) + 1, "share", share)
    reviewed = out["approved"] + out["rejected"] + out["pending"]
    out["rejection_rate"] = ratio(out["rejected"], reviewed)
    return out


def lost_analysis(leads: Any, *, by: Any = "month", policy: Policy | None = None, tz=None,
                  scope: Scope | None = None, dealers: Any = None,
                  as_of: Any = None) -> pd.DataFrame:
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
    timestamp of the leads."""
    state = lost_analysis_state(leads, by=by, policy=policy, tz=tz, scope=scope,
                                dealers=dealers, as_of=as_of)
    return lost_analysis_finalize(state)


# --- customer profile (000 §7.1.2) -----------------------------------------------------------

#: Default age bands: the lower edges of the bands after the first (``<25`` ... ``55+``).
AGE_BANDS = (25, 35, 45, 55)
_PROFILE_COUNTS = ["leads", "won", "invalid"]


def _profile_keys() -> list[str]:
    return ["age_band", *[name for name, (kind, personal, _) in _frames.LEAD_FIELDS.items()
                          if kind == "string" and not personal and name != "lead_id"]]


def _personal() -> list[str]:
    return [name for name, (_, personal, _) in _frames.LEAD_FIELDS.items() if personal]


def band_labels(edges: Any = None) -> list[str]:
    """The labels of the age bands cut at `edges` (whole years, strictly increasing):
    ``<e0``, ``e0-(e1-1)``, ..., ``eN+``."""
    edges = _band_edges(edges)
    inner = [f"{lo}-{hi - 1}" for lo, hi in zip(edges, edges[1:])]
    return [f"<{edges[0]}", *inner, f"{edges[-1]}+"]


def _band_edges(edges: Any) -> list[int]:
    if edges is None:
        return list(AGE_BANDS)
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Sequence):
        raise TypeError(f"age_bands: expected a list of whole-year ages, got {edges!r}")
    if not edges:
        raise ValueError("age_bands: expected at least one edge")
    for edge in edges:
        if isinstance(edge, (bool, np.bool_)) or not isinstance(edge, (int, np.integer)):
            raise TypeError(f"age_bands: expected whole years, got {edge!r}")
        if edge < 1:
            raise ValueError(f"age_bands: edges must be 1 or more, got {edge}")
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"age_bands: edges must increase strictly, got {list(edges)!r}")
    return [int(e) for e in edges]


def _age_bands(frame: pd.DataFrame, edges: list[int]) -> pd.Series:
    """Each lead's age band label; null age is a null band."""
    if "age" not in frame.columns:
        return pd.Series([None] * len(frame), dtype=object)
    labels = _frames.RowLabels(frame, "lead_id")
    _, _, values, valid, _ = _frames.column_spec(frame, "age", "number", table="leads",
                                                 labels=labels)
    ages = values.astype(np.float64)
    present = ~np.isnan(ages) if valid is None else valid.astype(bool) & ~np.isnan(ages)
    bad = present & ((ages < 0) | ~np.isfinite(ages))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        shown = _frames.show("age", frame["age"].iloc[position])
        raise ValueError(f"leads.age: {labels(position)} has {shown}; expected an age of 0 "
                         "or more")
    names = np.array([*band_labels(edges), None], dtype=object)
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), ages, side="right")
    return pd.Series(names[np.where(present, index, len(names) - 1)], dtype=object)


def profile_state(leads: Any, *, by: Any, scope: Scope | None = None, dealers: Any = None,
                  age_bands: Any = None, as_of: Any = None, tz: str | None = None
                  ) -> pd.DataFrame:
    """The additive state of :func:`profile` for one batch of leads: per group, ``leads``
    (not invalid), ``won`` and ``invalid``. Batches of one report need one `as_of`: pass it
    (the default is the batch's own latest timestamp)."""
    names = by_names(by, _profile_keys(), personal=_personal(), strict=True)
    scope = check_scope(scope)
    edges = _band_edges(age_bands)
    dealer_frame = _frames.dealers_frame(dealers)
    frame = lead_frame(leads)
    status = status_of(frame)
    times = LeadTimes(frame, tz)
    at = resolve_as_of(as_of, tz, times.latest())
    exists = times.exists(at)
    keys = {name: (_age_bands(frame, edges) if name == "age_band"
                   else strings(frame, name, "leads", "lead_id")) for name in names}
    invalid = (status == "invalid").to_numpy() & exists
    won = (status == "won").to_numpy() & (times.won_at <= at) & exists
    rows = pd.DataFrame({**keys,
                         "leads": (exists & ~invalid).astype(np.int64),
                         "won": won.astype(np.int64),
                         "invalid": invalid.astype(np.int64)})
    dealer_ids = pd.DataFrame({"dealer_id": strings(frame, "dealer_id", "leads", "lead_id")})
    keep = scope_mask(scope, dealer_ids, dealer_frame) & exists
    return sum_by(rows[keep], names, _PROFILE_COUNTS, {"age_band": band_labels(edges)})


def profile_merge(states: Iterable[pd.DataFrame], *, age_bands: Any = None) -> pd.DataFrame:
    """One profile state from the states of disjoint batches of leads; `age_bands` as given to
    the states (it orders the bands)."""
    merged = merge_states(merge_kind(states, "invalid", "profile"))
    return sum_by(merged, state_keys(merged), _PROFILE_COUNTS,
                  {"age_band": band_labels(age_bands)})


def profile_finalize(state: pd.DataFrame, *, age_bands: Any = None) -> pd.DataFrame:
    """The :func:`profile` table of a (merged) state; `age_bands` as given to the states."""
    keys = state_keys(state)
    out = sum_by(state, keys, _PROFILE_COUNTS, {"age_band": band_labels(age_bands)})
    total = out["leads"].sum()
    result = out[keys].copy()
    result["leads"] = out["leads"]
    result["share"] = ratio(out["leads"], np.full(len(out), total))
    result["won"] = out["won"]
    result["conversion_rate"] = ratio(out["won"], out["leads"])
    result["invalid"] = out["invalid"]
    return result


def profile(leads: Any, *, by: Any, scope: Scope | None = None, dealers: Any = None,
            age_bands: Any = None, as_of: Any = None, tz: str | None = None) -> pd.DataFrame:
    """The customer profile (000 §7.1.2, docs/kpis.md): one row per group of `by`, sorted
    (age bands youngest first), null keys last.

    `by` takes ``age_band`` (from ``age``; bands cut at `age_bands`, default ``<25``,
    ``25-34``, ``35-44``, ``45-54``, ``55+``), ``gender``, ``occupation``, ``purpose``,
    ``model`` (preference) or any other non-personal lead string column, or a list of these.
    Columns: ``leads`` (not invalid), ``share`` (of all such leads in scope), ``won``,
    ``conversion_rate`` = won ÷ leads, ``invalid``. Point in time as in :func:`leadkit.kpis`:
    leads created after `as_of` are left out and a win after it is not yet a win; `as_of`
    defaults to the latest timestamp of the leads."""
    return profile_finalize(profile_state(leads, by=by, scope=scope, dealers=dealers,
                                          age_bands=age_bands, as_of=as_of, tz=tz),
                            age_bands=age_bands)


# --- scorecard (000 §8.2.1) ------------------------------------------------------------------

#: The rates a scorecard can weigh.
RATES = [c for c in KPI_COLUMNS if c.endswith("_rate")]


def _weights(weights: Any) -> dict[str, float]:
    """{rate: weight} from a mapping or a policy's scorecard section, checked."""
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
    if not weights:
        raise ValueError("weights: no rate is weighted")
    out = {}
    for rate, weight in weights.items():
        if rate not in RATES:
            raise ValueError(f"weights: {rate!r} is not a rate of leadkit.kpis"
                             f"{_frames.suggest(str(rate), RATES)}")
        if (isinstance(weight, (bool, np.bool_))
                or not isinstance(weight, (int, float, np.integer, np.floating))
                or not math.isfinite(weight)):
            raise ValueError(f"weights: {rate} has weight {weight!r}; expected a finite number")
        if weight < 0:
            raise ValueError(f"weights: {rate} has weight {weight!r}; weights must be 0 or more")
        out[rate] = float(weight)
    return {rate: out[rate] for rate in RATES if rate in out}


def _row_name(frame: pd.DataFrame, keys: list[str], position: int) -> str:
    if not keys:
        return f"row {position}"
    parts = ", ".join(f"{k}={frame[k].iloc[position]!r}" for k in keys)
    return f"row {position} ({parts})"


def _rate_values(frame: pd.DataFrame, rate: str, keys: list[str]) -> np.ndarray:
    column = frame[rate]
    if pd.api.types.is_bool_dtype(column.dtype) or not (
            pd.api.types.is_numeric_dtype(column.dtype) or column.isna().all()):
        raise ValueError(f"kpis_frame.{rate}: a column of dtype {column.dtype}; expected rates "
                         "(numbers from 0 to 1)")
    values = pd.to_numeric(column).astype("Float64").to_numpy(dtype=np.float64,
                                                              na_value=np.nan)
    bad = ~np.isnan(values) & ((values < 0) | (values > 1))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(f"kpis_frame.{rate}: {_row_name(frame, keys, position)} has "
                         f"{float(values[position])!r}; expected a rate from 0 to 1")
    return values


def scorecard(kpis_frame: Any, weights: Any = None) -> pd.DataFrame:
    """A consultant's appraisal score (000 §8.2.1, docs/kpis.md) from a
    :func:`leadkit.kpis` table (typically ``by="consultant_id"``).

    `weights` is a mapping {rate column of ``leadkit.KPI_COLUMNS`` ending in ``_rate``:
    weight ≥ 0} or a :class:`leadkit.Policy` (its ``scorecard_weights``). Output: the group
    columns, ``<rate>_points`` = weight × rate per weighted rate (NaN when the rate is NaN),
    ``score`` = the sum of the points (a NaN rate adds 0), ``missing`` (the ``;``-joined
    weighted rates that were NaN, ``""`` when none) and ``rank`` (1 = best; equal scores share
    the better rank), sorted by score, best first, ties in the input's order."""
    weights_table = _weights(weights)
    if not isinstance(kpis_frame, pd.DataFrame):
        raise TypeError(f"kpis_frame: expected the DataFrame of leadkit.kpis, got "
                        f"{type(kpis_frame).__name__}")
    _frames.require_columns(kpis_frame, "kpis_frame", list(weights_table))
    keys = [c for c in kpis_frame.columns if c not in KPI_COLUMNS]
    frame = kpis_frame.reset_index(drop=True)
    out = frame[keys].copy()
    points = {}
    missing = np.full(len(frame), "", dtype=object)
    for rate, weight in weights_table.items():
        values = _rate_values(frame, rate, keys)
        points[rate] = weight * values
        absent = np.isnan(values)
        missing = np.where(absent, np.where(missing == "", rate, missing + ";" + rate), missing)
    for rate, values in points.items():
        out[f"{rate}_points"] = values
    stacked = np.vstack(list(points.values())) if len(frame) else np.zeros((len(points), 0))
    out["score"] = np.nansum(stacked, axis=0) if len(frame) else np.zeros(0)
    out["missing"] = pd.Series(missing, dtype=object)
    out = out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = out["score"].rank(method="min", ascending=False).astype(np.int64)
    return out
