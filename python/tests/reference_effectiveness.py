"""The pandas implementation of follow-up effectiveness (000 §7.1.3, docs/kpis.md) as it was
before the report moved into the C++ engine (EffectivenessState): the test reference the engine
is compared with (python/tests/test_effectiveness_engine.py). Not part of the package.

The numbers are additive per group — leads, won leads, touches — so a batch of leads (each with
all of its touches) gives a partial state, states merge by addition, and the rates come last:

    state = effectiveness_state(batch_leads, batch_touches, as_of=..., view=...)
    merged = effectiveness_merge([state_1, state_2, ...])
    table = effectiveness_finalize(merged)
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

import reference_frames
from leadkit._scope import check_scope, scope_mask
from leadkit import _frames
import leadkit
from leadkit import Scope

#: The views `effectiveness` offers; the group column of each is named after it.
VIEWS = ("method_mix", "interval")
#: Upper bounds, in days, of the default interval buckets: <1d, 1-3d, 3-7d, 7-14d, 14-30d, 30d+.
DEFAULT_INTERVAL_BUCKETS = (1, 3, 7, 14, 30)
#: The columns of a state after its group column: additive counts.
STATE_COLUMNS = ["leads", "won", "touches"]
#: The columns of `effectiveness` after its group column.
EFFECTIVENESS_COLUMNS = ["leads", "won", "conversion_rate", "touches", "touches_per_lead"]

_STATUSES = _frames.LEAD_FIELD_VALUES["status"]
_NO_TOUCH = "no_touch"
_SINGLE_TOUCH = "single_touch"
_UNTOUCHED_MIX = "none"
_SECONDS_PER_DAY = 86_400.0
_LEAD_TYPES = {"lead_id": "string", "created_at": "instant", "status": "string",
               "won_at": "instant", "dealer_id": "string"}
_TOUCH_TYPES = {"lead_id": "string", "at": "instant", "method": "string", "content": "string"}


# ---------------------------------------------------------------------------------------------
# Arguments


def _check_view(view: Any) -> str:
    if view not in VIEWS:
        raise ValueError(f"view: expected one of {', '.join(VIEWS)}, got {view!r}"
                         f"{_frames.suggest(str(view), VIEWS)}")
    return view


def interval_bounds(interval_buckets: Any = None) -> tuple[float, ...]:
    """The bucket bounds in days: `interval_buckets` checked (finite, > 0, increasing), or the
    defaults."""
    if interval_buckets is None:
        return tuple(float(b) for b in DEFAULT_INTERVAL_BUCKETS)
    if isinstance(interval_buckets, (str, bytes)) or not isinstance(interval_buckets, Iterable):
        raise TypeError("interval_buckets: expected a sequence of day bounds such as "
                        f"(1, 3, 7), got {type(interval_buckets).__name__}")
    bounds = list(interval_buckets)
    if not bounds:
        raise ValueError("interval_buckets: expected at least one bound in days, got none")
    for bound in bounds:
        if isinstance(bound, (bool, np.bool_)) or not isinstance(
                bound, (int, float, np.integer, np.floating)):
            raise TypeError(f"interval_buckets: {bound!r} is not a number of days")
        if not math.isfinite(bound) or bound <= 0:
            raise ValueError(f"interval_buckets: {bound!r} is not a positive number of days")
    for lower, upper in zip(bounds, bounds[1:]):
        if upper <= lower:
            raise ValueError(f"interval_buckets: bounds must increase, but {upper!r} follows "
                             f"{lower!r}")
    return tuple(float(b) for b in bounds)


def interval_labels(bounds: Sequence[float]) -> list[str]:
    """The interval groups in order: ``no_touch``, ``single_touch``, then one bucket per range
    of average days between touches (``<1d``, ``1-3d``, ..., ``30d+``)."""
    text = [f"{b:g}" for b in bounds]
    ranges = [f"<{text[0]}d", *[f"{a}-{b}d" for a, b in zip(text, text[1:])], f"{text[-1]}d+"]
    return [_NO_TOUCH, _SINGLE_TOUCH, *ranges]


# ---------------------------------------------------------------------------------------------
# Reading the tables


def _read_leads(leads: Any, tz: str | None) -> pd.DataFrame:
    """The lead columns effectiveness reads, checked: one row per input lead."""
    frame = _frames.as_frame(leads, "leads")
    _frames.require_columns(frame, "leads", ["lead_id", "created_at"])
    _frames.require_ids(frame, "leads", "lead_id")
    specs = {s[0]: s for s in _frames.table_specs(frame, _LEAD_TYPES, table="leads", tz=tz)}
    n = len(frame)
    ids, created = reference_frames.lead_ids_and_creation(specs, n)
    status = reference_frames.string_values(specs.get("status"), n)
    unknown = pd.notna(status) & ~np.isin(status.astype(str), _STATUSES)
    if unknown.any():
        position = int(np.flatnonzero(unknown)[0])
        raise ValueError(f'{_frames.lead_row("leads", position, ids[position])}: unknown '
                         f'status "{status[position]}" ({", ".join(_STATUSES)})')
    won_at, won_valid = reference_frames.instant_values(specs.get("won_at"), n)
    dealer = reference_frames.string_values(specs.get("dealer_id"), n)
    return pd.DataFrame({"lead_id": ids, "created": created, "status": status,
                         "won_at": won_at, "won_known": won_valid, "dealer_id": dealer})


def _read_touches(touches: Any, lead_table: pd.DataFrame, tz: str | None) -> pd.DataFrame:
    """The touch columns effectiveness reads, checked against the leads."""
    frame = _frames.touch_frame(touches)
    specs = {s[0]: s for s in _frames.table_specs(frame, _TOUCH_TYPES, table="touches", tz=tz)}
    ids, lead_row, at, text = reference_frames.touch_leads(
        specs, lead_table["lead_id"].to_numpy(dtype=object), len(frame))
    _, _, codes, _, dictionary = specs["method"]
    reserved = [code for code, name in enumerate(dictionary)
                if name == _UNTOUCHED_MIX or "+" in name]
    bad = np.isin(codes, reserved)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(f'{_frames.lead_row("touches", position, ids[position])}: method '
                         f'"{dictionary[codes[position]]}" cannot name a method ("none" and "+" '
                         "spell method mixes)")
    reference_frames.check_touch_times(ids, at, lead_table["created"].to_numpy()[lead_row])
    content = reference_frames.string_values(specs.get("content"), len(frame))
    return pd.DataFrame({"lead_row": lead_row, "at": at, "method": text,
                         "content": pd.Series(content, dtype=object)})


def _default_as_of(lead_table: pd.DataFrame, touch_table: pd.DataFrame) -> int:
    """The latest timestamp of the inputs, in seconds."""
    candidates = [lead_table["created"].to_numpy(),
                  lead_table["won_at"].to_numpy()[lead_table["won_known"].to_numpy()],
                  touch_table["at"].to_numpy()]
    present = [int(c.max()) for c in candidates if len(c)]
    if not present:
        raise ValueError("as_of: the inputs hold no timestamp to take it from; pass as_of=")
    return max(present)


# ---------------------------------------------------------------------------------------------
# Per lead, then per group


def _in_report(lead_table: pd.DataFrame, as_of: int, scope: Scope | None,
               dealers: Any) -> np.ndarray:
    """Leads the report counts: in scope, created by `as_of`, not invalid."""
    inside = scope_mask(check_scope(scope), lead_table[["dealer_id"]],
                                _frames.dealers_frame(dealers))
    keep = ((lead_table["created"].to_numpy() <= as_of)
            & (lead_table["status"] != "invalid").to_numpy())
    return keep & inside


def _won(lead_table: pd.DataFrame, as_of: int) -> np.ndarray:
    """Won at `as_of`: status ``won`` with ``won_at`` by `as_of` or unknown."""
    by_then = ~lead_table["won_known"].to_numpy() | (lead_table["won_at"].to_numpy() <= as_of)
    return (lead_table["status"] == "won").to_numpy() & by_then


def _method_mix(lead_table: pd.DataFrame, touch_table: pd.DataFrame) -> np.ndarray:
    """Per lead, its distinct touch methods in alphabetical order joined by ``+``; ``none``
    without touches."""
    mix = np.full(len(lead_table), _UNTOUCHED_MIX, dtype=object)
    codes, methods = pd.factorize(touch_table["method"], sort=True)
    rows = touch_table["lead_row"].to_numpy()
    if len(methods) <= 62:
        # Each method one bit; the distinct (lead, method) pairs summed give the lead's set.
        pairs = np.unique(rows.astype(np.int64) * 64 + codes)
        bits = np.left_shift(np.int64(1), pairs % 64)
        per_lead = pd.Series(bits).groupby(pairs // 64).sum()
        sets, inverse = np.unique(per_lead.to_numpy(), return_inverse=True)
        names = np.asarray(methods, dtype=object)
        labels = np.array(["+".join(names[[(s >> i) & 1 == 1 for i in range(len(names))]])
                           for s in sets], dtype=object)
        mix[per_lead.index.to_numpy()] = labels[inverse]
        return mix
    pairs = pd.DataFrame({"lead_row": rows, "code": codes}).drop_duplicates().sort_values(
        ["lead_row", "code"])
    joined = pairs.assign(method=np.asarray(methods, dtype=object)[pairs["code"]]).groupby(
        "lead_row", sort=False)["method"].agg("+".join)
    mix[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return mix


def _interval(lead_table: pd.DataFrame, touch_table: pd.DataFrame,
              bounds: Sequence[float]) -> pd.Categorical:
    """Per lead, its group of average days between consecutive touches: (last − first) ÷
    (touches − 1), in a bucket closed below and open above."""
    labels = interval_labels(bounds)
    per_lead = touch_table.groupby("lead_row")["at"].agg(["size", "min", "max"])
    count = np.zeros(len(lead_table), np.int64)
    span = np.zeros(len(lead_table), np.float64)
    count[per_lead.index.to_numpy()] = per_lead["size"].to_numpy()
    span[per_lead.index.to_numpy()] = (per_lead["max"] - per_lead["min"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        days = span / np.maximum(count - 1, 1) / _SECONDS_PER_DAY
    code = 2 + np.searchsorted(np.asarray(bounds), days, side="right")
    code = np.where(count == 0, 0, np.where(count == 1, 1, code))
    return pd.Categorical.from_codes(code, categories=labels, ordered=True)


def _state(lead_table: pd.DataFrame, touch_table: pd.DataFrame, as_of: int, view: str,
           bounds: Sequence[float], keep: np.ndarray) -> pd.DataFrame:
    """The additive counts per group of the kept leads."""
    touch_table = touch_table[(touch_table["at"].to_numpy() <= as_of)
                              & keep[touch_table["lead_row"].to_numpy()]]
    if view == "method_mix":
        group = pd.Series(_method_mix(lead_table, touch_table), dtype=object)
    else:
        group = pd.Series(_interval(lead_table, touch_table, bounds))
    touches = np.bincount(touch_table["lead_row"].to_numpy(), minlength=len(lead_table))
    per_lead = pd.DataFrame({view: group, "leads": np.ones(len(lead_table), np.int64),
                             "won": _won(lead_table, as_of).astype(np.int64),
                             "touches": touches.astype(np.int64)})[keep]
    return _sum_groups(per_lead, view)


def _sum_groups(frame: pd.DataFrame, view: str) -> pd.DataFrame:
    """Counts summed per group in sorted group order (interval groups in bucket order, every
    bucket present)."""
    summed = frame.groupby(view, sort=True, observed=False, dropna=False)[STATE_COLUMNS].sum()
    out = summed.reset_index()
    if view == "method_mix":
        out[view] = out[view].astype(object)
    return out.astype({c: np.int64 for c in STATE_COLUMNS})


# ---------------------------------------------------------------------------------------------
# Public


def effectiveness_state(leads: Any, touches: Any, *, as_of: Any, view: str = "method_mix",
                        tz: str | None = None, scope: Scope | None = None, dealers: Any = None,
                        interval_buckets: Any = None) -> pd.DataFrame:
    """The partial state of `effectiveness` for one batch of leads with all of their touches:
    the group column, then ``leads``, ``won``, ``touches`` (additive counts).

    `as_of` is required: every batch of one report must use the same instant. States of
    disjoint batches merge with :func:`effectiveness_merge`; :func:`effectiveness_finalize`
    turns a state into the report.
    """
    if as_of is None:
        raise ValueError("as_of: a partial state needs an explicit as_of, the same for every "
                         "batch")
    view = _check_view(view)
    bounds = interval_bounds(interval_buckets)
    lead_table = _read_leads(leads, tz)
    touch_table = _read_touches(touches, lead_table, tz)
    as_of_seconds = _frames.instant_seconds(as_of, "as_of", tz)
    keep = _in_report(lead_table, as_of_seconds, scope, dealers)
    return _state(lead_table, touch_table, as_of_seconds, view, bounds, keep)


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
    """One state from the states of disjoint batches: counts added per group."""
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
    return _sum_groups(pd.concat(states, ignore_index=True), view)


def effectiveness_finalize(state: pd.DataFrame) -> pd.DataFrame:
    """The report of a state: the group column, then EFFECTIVENESS_COLUMNS. A rate over zero
    leads is NaN."""
    view = _check_state(state, 0)
    leads = state["leads"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(leads > 0, state["won"].to_numpy() / leads, np.nan)
        per_lead = np.where(leads > 0, state["touches"].to_numpy() / leads, np.nan)
    out = state.assign(conversion_rate=conversion, touches_per_lead=per_lead)
    return out[[view, *EFFECTIVENESS_COLUMNS]].reset_index(drop=True)


def _actions(lead_table: pd.DataFrame, touch_table: pd.DataFrame, as_of: int,
             keep: np.ndarray) -> pd.DataFrame:
    """The action view: per (method, content) pair the kept leads that received it, their won
    leads and the pair's touches by `as_of`; ``none`` for the kept leads without a touch. Sorted
    by method, then content with None first."""
    touch_table = touch_table[(touch_table["at"].to_numpy() <= as_of)
                              & keep[touch_table["lead_row"].to_numpy()]]
    won = _won(lead_table, as_of)
    rows = []
    for (method, content), group in touch_table.groupby(["method", "content"], sort=False,
                                                        dropna=False):
        received = np.unique(group["lead_row"].to_numpy())
        rows.append((method, None if pd.isna(content) else content, len(received),
                     int(won[received].sum()), len(group)))
    untouched = keep.copy()
    untouched[touch_table["lead_row"].to_numpy()] = False
    if untouched.any():
        rows.append(("none", None, int(untouched.sum()), int(won[untouched].sum()), 0))
    rows.sort(key=lambda r: (r[0], r[1] is not None, r[1] or ""))
    leads = np.array([r[2] for r in rows], dtype=np.int64)
    won_count = np.array([r[3] for r in rows], dtype=np.int64)
    touches = np.array([r[4] for r in rows], dtype=np.int64)
    return pd.DataFrame({"method": pd.Series([r[0] for r in rows], dtype=object),
                         "content": pd.Series([r[1] for r in rows], dtype=object),
                         "leads": leads, "won": won_count,
                         "conversion_rate": won_count / leads.astype(np.float64),
                         "touches": touches,
                         "touches_per_lead": touches / leads.astype(np.float64)})


def effectiveness(leads: Any, touches: Any, *, view: str = "method_mix", as_of: Any = None,
                  tz: str | None = None, scope: Scope | None = None, dealers: Any = None,
                  interval_buckets: Any = None) -> pd.DataFrame:
    """Follow-up effectiveness (000 §7.1.3, docs/kpis.md): conversion by follow-up method mix
    (``view="method_mix"``) or by average follow-up interval (``view="interval"``).

    One row per group, the group column named after the view, then ``leads``, ``won``,
    ``conversion_rate``, ``touches``, ``touches_per_lead``. Counted: leads created by `as_of`,
    not invalid, in `scope`; touches by `as_of`; won = status ``won`` with ``won_at`` by `as_of`
    or unknown. Method mixes are each lead's distinct methods in alphabetical order joined by
    ``+`` (``none`` for untouched leads), in sorted order. Interval groups are ``no_touch``,
    ``single_touch`` and the buckets of `interval_buckets` (upper bounds in days, default
    1, 3, 7, 14, 30), every one listed. `as_of` defaults to the latest timestamp in the inputs.
    """
    view = view if view == "action" else _check_view(view)
    bounds = interval_bounds(interval_buckets)
    lead_table = _read_leads(leads, tz)
    touch_table = _read_touches(touches, lead_table, tz)
    as_of_seconds = (_default_as_of(lead_table, touch_table) if as_of is None
                     else _frames.instant_seconds(as_of, "as_of", tz))
    keep = _in_report(lead_table, as_of_seconds, scope, dealers)
    if view == "action":
        return _actions(lead_table, touch_table, as_of_seconds, keep)
    return effectiveness_finalize(_state(lead_table, touch_table, as_of_seconds, view, bounds,
                                         keep))


# ---------------------------------------------------------------------------------------------
# The action view next to the playbook


def _recommended_action(policy: Any, lead: dict, task: str, grade: Any, before: int) -> tuple:
    """The playbook's (method, content) for one task, by the single-task form
    (``Policy.next_action``, C++ ActionFor)."""
    action = policy.next_action(lead, task=task, grade_now=grade, touches=before)
    return action["method"], action["content"]


def effectiveness_next_to_playbook(leads: pd.DataFrame, touches: pd.DataFrame, policy: Any, *,
                                   as_of: Any) -> pd.DataFrame:
    """The action view with the playbook's columns, by a plain loop over every counted lead's
    touches by `as_of` (docs/kpis.md): each touch a task — the first touch the first contact,
    later ones follow-ups — with the grade (at creation: the leads' ``grade``, else the
    classification's; then each earlier touch's ``grade_after``) and the touches before it.
    The touches of one lead must not share a time (their order would be the engine's)."""
    table = effectiveness(leads, touches, view="action", as_of=as_of)
    as_of_seconds = _frames.instant_seconds(as_of, "as_of", None)
    lead_table = _read_leads(leads, None)
    keep = _in_report(lead_table, as_of_seconds, None, None)
    won = _won(lead_table, as_of_seconds)
    grades = list(leadkit.classify(leads, policy)["grade"])
    if "grade" in leads.columns:
        grades = [g if pd.notna(g) else c for g, c in zip(leads["grade"], grades)]
    fields = [c for c in leads.columns if c in _frames.LEAD_FIELDS]
    records = [{k: v for k, v in zip(fields, row) if not _missing(v)}
               for row in leads[fields].itertuples(index=False)]
    row_of = {lead_id: i for i, lead_id in enumerate(leads["lead_id"])}
    ordered = touches.assign(_row=touches["lead_id"].map(row_of)).sort_values(
        ["_row", "at"], kind="stable")
    recommended: dict = {}
    followed: dict = {}
    followed_leads: dict = {}
    for row, own in ordered.groupby("_row", sort=True):
        row = int(row)
        if not keep[row]:
            continue
        grade = grades[row]
        own = own[own["at"] <= pd.Timestamp(as_of_seconds, unit="s", tz="UTC")]
        for before, touch in enumerate(own.itertuples(index=False)):
            task = "first_contact" if before == 0 else "follow_up"
            advice = _recommended_action(policy, records[row], task, grade, before)
            recommended[advice] = recommended.get(advice, 0) + 1
            content = getattr(touch, "content", None)
            content = None if _missing(content) else content
            if touch.method == advice[0] and content in (None, advice[1]):
                used = (touch.method, content)
                followed[used] = followed.get(used, 0) + 1
                followed_leads.setdefault(used, set()).add(row)
            after = getattr(touch, "grade_after", None)
            if not _missing(after):
                grade = after
    keys = {(m, c) for m, c in zip(table["method"], table["content"])} | set(recommended)
    rows = []
    for method, content in sorted(keys, key=lambda k: (k[0], k[1] is not None, k[1] or "")):
        match = table[(table["method"] == method)
                      & (table["content"].isna() if content is None
                         else table["content"] == content)]
        leads_ = int(match["leads"].iloc[0]) if len(match) else 0
        won_ = int(match["won"].iloc[0]) if len(match) else 0
        touches_ = int(match["touches"].iloc[0]) if len(match) else 0
        with_advice = sorted(followed_leads.get((method, content), ()))
        rows.append((method, content, leads_, won_, touches_,
                     recommended.get((method, content), 0), followed.get((method, content), 0),
                     len(with_advice), int(won[with_advice].sum()) if with_advice else 0))
    column = lambda i: np.array([r[i] for r in rows], dtype=np.int64)  # noqa: E731
    leads_n, won_n, touches_n = column(2), column(3), column(4)
    advised_leads, advised_won = column(7), column(8)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame({
            "method": pd.Series([r[0] for r in rows], dtype=object),
            "content": pd.Series([r[1] for r in rows], dtype=object),
            "leads": leads_n, "won": won_n,
            "conversion_rate": won_n / leads_n.astype(np.float64),
            "touches": touches_n,
            "touches_per_lead": touches_n / leads_n.astype(np.float64),
            "recommended_touches": column(5), "touches_as_recommended": column(6),
            "leads_as_recommended": advised_leads, "won_as_recommended": advised_won,
            "conversion_rate_as_recommended": advised_won / advised_leads.astype(np.float64)})


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (str, list, tuple)) and pd.isna(value))
