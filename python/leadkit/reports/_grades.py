"""A lead's history as the pipeline reports read it (docs/kpis.md, "Pipeline reports").

One checked, scoped view of the leads and touches — :class:`History` — and three questions
asked of it at an instant t:

- the grade in force: the lead's grade at creation (its ``grade`` column, null = the
  policy's classification), then each touch's non-null ``grade_after`` in the cadence's
  touch order — by time, at equal times by method name, then by grade in the policy's order
  (so the result never depends on row order); the latest change at or before t holds;
- the state: not yet created, open with a grade, or closed as ``won``, ``lost`` or
  ``invalid`` (the close rules are in :func:`read`);
- the grades ever in force by t.

Everything is numpy over whole columns: instants are whole UTC seconds, grades are codes into
the policy's grade list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import _frames
from .._classify import classify
from .._policy import Policy, check_policy
from .._scope import check_scope

STATUSES = _frames.LEAD_FIELD_VALUES["status"]
REVIEWS = _frames.LEAD_FIELD_VALUES["lost_review"]
#: Every value the ``sales_stage`` column may hold.
SALES_STAGE_VALUES = _frames.LEAD_FIELD_VALUES["sales_stage"]
#: The sales stages a lead passes through, in order (001 §3.3); ``lost`` is not one of them.
SALES_STAGES = tuple(stage for stage in SALES_STAGE_VALUES if stage != "lost")
#: The closed states, after the grades, in the order reports list them.
CLOSED = ("won", "lost", "invalid")

#: ``closed`` of a lead that never closes.
NEVER = np.iinfo(np.int64).max

# Outcome codes: how a lead ends (or OPEN: it stays open whatever the instant).
OPEN, WON, LOST, INVALID = 0, 1, 2, 3

_INSTANTS = ("created_at", "entered_at", "assigned_at", "won_at", "delivered_at", "lost_at")


@dataclass(frozen=True, eq=False)
class History:
    """The in-scope leads (one entry per lead, input order) and their touches."""

    grades: tuple[str, ...]
    lead_ids: np.ndarray        # object
    created: np.ndarray         # int64 seconds
    closed: np.ndarray          # int64 seconds the lead closes at; NEVER when it stays open
    outcome: np.ndarray         # int8: OPEN, WON, LOST, INVALID
    won_at: np.ndarray          # int64 seconds, or NEVER when unknown
    sales_stage: np.ndarray     # int8 index into SALES_STAGES; -1 for null and ``lost``
    keys: pd.DataFrame          # the group columns (object, None for null), one row per lead
    change_lead: np.ndarray     # grade changes, by lead, then the cadence's touch order:
    change_time: np.ndarray     #   the creation grade (at created) first, then the touches'
    change_grade: np.ndarray    #   grade_after
    touch_lead: np.ndarray      # every touch of an in-scope lead: lead position and time
    touch_time: np.ndarray
    latest: int | None          # the latest instant in the inputs (before scoping)

    def __len__(self) -> int:
        return len(self.lead_ids)


def _check_values(values: np.ndarray, allowed: Sequence[str], column: str, ids, table: str,
                  unknown: str) -> None:
    """Every non-null value is one of `allowed`, else a ValueError naming the first other."""
    given = pd.Series(values, dtype=object)
    bad = np.flatnonzero((given.notna() & ~given.isin(list(allowed))).to_numpy())
    if len(bad):
        position = int(bad[0])
        value = values[position]
        raise ValueError(f"{_frames.lead_row(table, position, ids[position])}: " +
                         unknown.format(column=column, value=value,
                                        allowed=", ".join(allowed),
                                        hint=_frames.suggest(str(value), allowed)))


def _grade_codes(values: np.ndarray, grades: Sequence[str], column: str, ids,
                 table: str) -> np.ndarray:
    """Codes into `grades` (-1 for null); a value outside the policy's grades is an error."""
    _check_values(values, grades, column, ids, table,
                  '{column} "{value}" is not one of the policy\'s grades ({allowed}){hint}')
    index = pd.Index(list(grades), dtype=object)
    return index.get_indexer(pd.Index(values, dtype=object)).astype(np.int64)


def _initial_grades(frame: pd.DataFrame, given: np.ndarray, policy: Policy) -> np.ndarray:
    """The grade at creation: the given code, else the policy's classification."""
    codes = given.copy()
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        graded = classify(frame.iloc[missing].reset_index(drop=True), policy)["grade"]
        codes[missing] = pd.Categorical(graded, categories=policy.grades).codes
    return codes


def read(leads: Any, touches: Any, policy: Policy | None, *, tz=None, scope=None,
         dealers=None, by=None, sales_stage: bool = False) -> History:
    """Checks the leads and touches and returns the in-scope :class:`History`.

    Close rules (the point-in-time rules of ``leadkit.kpis``): status ``invalid`` closes at
    creation; ``won`` closes at ``won_at`` (null: at creation); ``lost`` closes at ``lost_at``
    (null: at creation) unless its ``lost_review`` is ``rejected`` (then it stays open); a
    close time before ``created_at`` counts as ``created_at``. ``open`` or null never closes.

    Without a policy the grades are neither read nor checked. `sales_stage` reads and checks
    that column. Every error names the table, the row, its ``lead_id`` and the value; the
    whole tables are checked before the scope applies.
    """
    if policy is not None:
        check_policy(policy)
    scope = check_scope(scope)
    # Group columns: the lead columns, and region_id through the dealers table.
    names = _frames.by_names(by, [*_frames.GROUP_FIELDS, "region_id"])
    lead_frame, touch_frame = _frames.lead_and_touch_frames(leads, touches)
    dealer_frame = _frames.dealers_frame(dealers)
    if "region_id" in names and dealer_frame is None:
        raise ValueError("by: region_id needs the dealers table (dealers=)")

    # Converting checks every value's type and names the row on failure.
    fields = {"lead_id": "string", **{name: "instant" for name in _INSTANTS},
              "status": "string", "lost_review": "string", "dealer_id": "string",
              **({"grade": "string"} if policy is not None else {}),
              **({"sales_stage": "string"} if sales_stage else {}),
              **{name: "string" for name in names if name != "region_id"}}
    specs = {s[0]: s for s in _frames.table_specs(lead_frame, fields, table="leads", tz=tz)}
    touch_fields = {"lead_id": "string", "at": "instant", "method": "string",
                    **({"grade_after": "string"} if policy is not None else {})}
    touch_specs = {s[0]: s for s in _frames.table_specs(touch_frame, touch_fields,
                                                        table="touches", tz=tz)}
    _frames.require_ids(lead_frame, "leads", "lead_id")
    _frames.require_ids(touch_frame, "touches", "lead_id")
    n, m = len(lead_frame), len(touch_frame)

    ids, created = _frames.lead_ids_and_creation(specs, n)
    outcome, closed, won_at = _closing(specs, ids, created)
    stage = _sales_stages(specs, ids) if sales_stage else np.full(n, -1, np.int8)
    touch_lead, touch_time, method = _touches(touch_specs, ids, created, m)
    grades: tuple[str, ...] = ()
    changes = (np.zeros(0, np.int64),) * 3
    if policy is not None:
        grades = tuple(policy.grades)
        given = _grade_codes(_frames.string_values(specs.get("grade"), n), grades, "grade",
                             ids, "leads")
        after = _grade_codes(_frames.string_values(touch_specs.get("grade_after"), m), grades,
                             "grade_after", ids[touch_lead], "touches")
        changes = _grade_changes(created, _initial_grades(lead_frame, given, policy),
                                 touch_lead, touch_time, method, after)
    keys = _group_keys(specs, names, dealer_frame, n)
    latest = _frames.latest_instant([*specs.values(), *touch_specs.values()])
    history = History(grades, ids, created, closed, outcome, won_at, stage, keys, *changes,
                      touch_lead, touch_time, latest)
    mask = scope.mask(lead_frame, dealer_frame)
    return history if mask is None else _subset(history, mask.astype(bool))


def _closing(specs, ids: np.ndarray, created: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(outcome, closed, won_at) of each lead by the close rules of :func:`read`; won_at is
    NEVER where unknown."""
    n = len(ids)
    status = _frames.string_values(specs.get("status"), n)
    _check_values(status, STATUSES, "status", ids, "leads",
                  'unknown {column} "{value}" ({allowed}){hint}')
    review = _frames.string_values(specs.get("lost_review"), n)
    _check_values(review, REVIEWS, "lost_review", ids, "leads",
                  'unknown {column} "{value}" ({allowed}){hint}')
    won_at, won_valid = _frames.instant_values(specs.get("won_at"), n)
    lost_at, lost_valid = _frames.instant_values(specs.get("lost_at"), n)
    outcome = np.full(n, OPEN, np.int8)
    outcome[status == "won"] = WON
    outcome[(status == "lost") & (review != "rejected")] = LOST
    outcome[status == "invalid"] = INVALID
    closed = np.full(n, NEVER, np.int64)
    closed = np.where(outcome == WON, np.where(won_valid, np.maximum(won_at, created), created),
                      closed)
    closed = np.where(outcome == LOST,
                      np.where(lost_valid, np.maximum(lost_at, created), created), closed)
    closed = np.where(outcome == INVALID, created, closed)
    return outcome, closed, np.where(won_valid, won_at, NEVER)


def _sales_stages(specs, ids: np.ndarray) -> np.ndarray:
    """Each lead's index in SALES_STAGES; -1 for null and ``lost``."""
    stages = _frames.string_values(specs.get("sales_stage"), len(ids))
    _check_values(stages, SALES_STAGE_VALUES, "sales_stage", ids, "leads",
                  'unknown {column} "{value}" ({allowed}){hint}')
    return pd.Index(list(SALES_STAGES), dtype=object).get_indexer(
        pd.Index(stages, dtype=object)).astype(np.int8)


def _touches(specs, ids: np.ndarray, created: np.ndarray, m: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lead position, time, method) of each touch: of a known lead, with a time and a method,
    not before its lead's creation."""
    touch_ids, lead, time, method = _frames.touch_leads(specs, ids, m)
    _frames.check_touch_times(touch_ids, time, created[lead])
    return lead, time, method


def _grade_changes(created, initial, touch_lead, touch_time, method, after
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lead, time, grade) of every grade change — the creation grade, then each touch's
    grade_after — sorted by lead, then the cadence's touch order: time; at equal times the
    creation first, then touches by method name, then by grade."""
    changed = np.flatnonzero(after >= 0)
    lead = np.concatenate([np.arange(len(created)), touch_lead[changed]])
    time = np.concatenate([created, touch_time[changed]])
    method_rank = np.concatenate([np.full(len(created), -1),
                                  pd.factorize(method[changed], sort=True)[0]])
    grade = np.concatenate([initial, after[changed]])
    order = np.lexsort((grade, method_rank, time, lead))
    return lead[order], time[order], grade[order]


def _group_keys(specs, names: list[str], dealer_frame, n: int) -> pd.DataFrame:
    """The group columns of each lead as objects (None for null); ``region_id`` through the
    dealers table (a dealer it lacks: null)."""
    columns = {name: pd.Series(_frames.string_values(specs.get(name), n), dtype=object)
               for name in names if name != "region_id"}
    if "region_id" in names:
        region_of = dict(zip(dealer_frame["dealer_id"], dealer_frame["region_id"]))
        regions = pd.Series(_frames.string_values(specs.get("dealer_id"), n),
                            dtype=object).map(region_of)
        columns["region_id"] = regions.astype(object).where(regions.notna(), None)
    return pd.DataFrame({name: columns[name] for name in names}, index=pd.RangeIndex(n))


def _subset(h: History, keep: np.ndarray) -> History:
    """The leads where `keep` holds, with their touches and grade changes."""
    new_position = np.cumsum(keep) - 1
    changes = keep[h.change_lead] if len(h.change_lead) else np.zeros(0, bool)
    touches = keep[h.touch_lead] if len(h.touch_lead) else np.zeros(0, bool)
    return History(
        h.grades, h.lead_ids[keep], h.created[keep], h.closed[keep], h.outcome[keep],
        h.won_at[keep], h.sales_stage[keep], h.keys[keep].reset_index(drop=True),
        new_position[h.change_lead[changes]], h.change_time[changes],
        h.change_grade[changes], new_position[h.touch_lead[touches]], h.touch_time[touches],
        h.latest)


def grade_at(h: History, t: int) -> np.ndarray:
    """Per lead, the code of the grade in force at `t`; -1 for leads created after `t`."""
    out = np.full(len(h), -1, np.int64)
    kept = np.flatnonzero(h.change_time <= t)
    if len(kept):
        leads = h.change_lead[kept]
        last = kept[np.r_[leads[1:] != leads[:-1], True]]  # changes are sorted by lead, time
        out[h.change_lead[last]] = h.change_grade[last]
    return out


def state_at(h: History, t: int) -> np.ndarray:
    """Per lead, its state at `t` as a code: -1 not created yet; 0..G-1 open with that grade
    in force; G won, G+1 lost, G+2 invalid (G = number of grades)."""
    g = len(h.grades)
    state = grade_at(h, t)
    created = h.created <= t
    closed = created & (h.closed <= t)
    state[closed] = g + h.outcome[closed].astype(np.int64) - 1
    state[~created] = -1
    return state


def grades_reached(h: History, t: int) -> np.ndarray:
    """(leads × grades) booleans: the grade was in force at some instant by `t`."""
    out = np.zeros((len(h), len(h.grades)), bool)
    kept = h.change_time <= t
    out[h.change_lead[kept], h.change_grade[kept]] = True
    return out


def instant(value, what: str, tz=None) -> int:
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


def default_instant(h: History, what: str) -> int:
    """The latest timestamp in the inputs — never the machine's clock."""
    if h.latest is None:
        raise ValueError(f"{what}: the inputs hold no timestamp to take it from; pass {what}=")
    return int(h.latest)
