"""The pandas pipeline reports as they were before the C++ engine (leadkit.reports._pipeline
and _grades), kept as the reference python/tests/test_pipeline_engine.py compares the engine
with. Not part of the package; only its imports changed.

A lead's history as the pipeline reports read it (docs/kpis.md, "Pipeline reports"): one
checked, scoped view of the leads and touches and three questions asked of it at an instant:
the grade in force, the state, the grades ever in force. Then the five reports as sums of
counts per group (PipelineState), finalized into rates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

import reference_frames
from leadkit import _frames
from leadkit._classify import classify
from leadkit._policy import Policy, check_policy
from leadkit._scope import check_scope


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

    ids, created = reference_frames.lead_ids_and_creation(specs, n)
    outcome, closed, won_at = _closing(specs, ids, created)
    stage = _sales_stages(specs, ids) if sales_stage else np.full(n, -1, np.int8)
    touch_lead, touch_time, method = _touches(touch_specs, ids, created, m)
    grades: tuple[str, ...] = ()
    changes = (np.zeros(0, np.int64),) * 3
    if policy is not None:
        grades = tuple(policy.grades)
        given = _grade_codes(reference_frames.string_values(specs.get("grade"), n), grades, "grade",
                             ids, "leads")
        after = _grade_codes(reference_frames.string_values(touch_specs.get("grade_after"), m), grades,
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
    status = reference_frames.string_values(specs.get("status"), n)
    _check_values(status, STATUSES, "status", ids, "leads",
                  'unknown {column} "{value}" ({allowed}){hint}')
    review = reference_frames.string_values(specs.get("lost_review"), n)
    _check_values(review, REVIEWS, "lost_review", ids, "leads",
                  'unknown {column} "{value}" ({allowed}){hint}')
    won_at, won_valid = reference_frames.instant_values(specs.get("won_at"), n)
    lost_at, lost_valid = reference_frames.instant_values(specs.get("lost_at"), n)
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
    stages = reference_frames.string_values(specs.get("sales_stage"), len(ids))
    _check_values(stages, SALES_STAGE_VALUES, "sales_stage", ids, "leads",
                  'unknown {column} "{value}" ({allowed}){hint}')
    return pd.Index(list(SALES_STAGES), dtype=object).get_indexer(
        pd.Index(stages, dtype=object)).astype(np.int8)


def _touches(specs, ids: np.ndarray, created: np.ndarray, m: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lead position, time, method) of each touch: of a known lead, with a time and a method,
    not before its lead's creation."""
    touch_ids, lead, time, method = reference_frames.touch_leads(specs, ids, m)
    reference_frames.check_touch_times(touch_ids, time, created[lead])
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
    columns = {name: pd.Series(reference_frames.string_values(specs.get(name), n), dtype=object)
               for name in names if name != "region_id"}
    if "region_id" in names:
        region_of = dict(zip(dealer_frame["dealer_id"], dealer_frame["region_id"]))
        regions = pd.Series(reference_frames.string_values(specs.get("dealer_id"), n),
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


# The reports --------------------------------------------------------------------------------


#: The from-state of a lead created between ``start`` and ``end`` in ``grade_migration``.
NEW = "new"


# Groups --------------------------------------------------------------------------------

def _as_keys(column: pd.Series) -> pd.Series:
    """A group column as objects, None for null (the form every report returns)."""
    values = column.astype(object)
    return values.where(values.notna(), None)


def _group_index(frame: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the number of its group in sorted group order (null keys last); and the first
    row of each group. Without `by`, one group (even over no rows)."""
    if not by:
        return np.zeros(len(frame), np.intp), np.zeros(1, np.intp)
    if len(frame) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    codes = []
    for name in by:
        code, uniques = pd.factorize(frame[name].to_numpy(dtype=object), sort=True,
                                     use_na_sentinel=True)
        codes.append(np.where(code < 0, len(uniques), code))  # null after every value
    _, first, inverse = np.unique(np.stack(codes, axis=1), axis=0, return_index=True,
                                  return_inverse=True)
    return inverse.ravel(), first


def _groups(frame: pd.DataFrame, by: list[str], first: np.ndarray) -> pd.DataFrame:
    """The group columns of the rows `first` (one empty row without `by`)."""
    if not by:
        return pd.DataFrame(index=pd.RangeIndex(1))
    rows = frame.iloc[first].reset_index(drop=True)
    return pd.DataFrame({name: _as_keys(rows[name]) for name in by},
                        index=pd.RangeIndex(len(first)))


def _group_sums(keys: pd.DataFrame, by: list[str], values: np.ndarray
                ) -> tuple[pd.DataFrame, np.ndarray]:
    """Per group of `keys` (one row per lead), the column sums of `values` (leads × k)."""
    group, first = _group_index(keys, by)
    sums = np.zeros((len(first), values.shape[1]), np.int64)
    np.add.at(sums, group, values.astype(np.int64))
    return _groups(keys, by, first), sums


def _long(groups: pd.DataFrame, sums: np.ndarray, labels: pd.DataFrame,
          count: str) -> pd.DataFrame:
    """One row per (group, label): the group columns, the label columns, then `count`."""
    n, k = sums.shape
    out = groups.iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
    for name in groups.columns:
        out[name] = _as_keys(out[name])
    for name in labels.columns:
        out[name] = labels[name].to_numpy(dtype=object)[np.tile(np.arange(k), n)]
    out[count] = sums.ravel()
    return out


def _sum_groups(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`frame` summed per distinct value of `keys` (the merge of partial counts)."""
    counts = [c for c in frame.columns if c not in keys]
    group, first = _group_index(frame, keys)
    sums = np.zeros((len(first), len(counts)), np.int64)
    if len(frame):
        np.add.at(sums, group, frame[counts].to_numpy(dtype=np.int64))
    out = _groups(frame, keys, first) if keys else pd.DataFrame(index=pd.RangeIndex(1))
    for i, name in enumerate(counts):
        out[name] = sums[:, i]
    return out


def _matrix(counts: pd.DataFrame, by: list[str], label: list[str], labels: list[tuple],
            value: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Summed counts as (groups, groups × labels matrix): `labels` are tuples of values of
    the `label` columns; rows with other labels are skipped."""
    group, first = _group_index(counts, by)
    out = np.zeros((len(first), len(labels)), np.int64)
    wanted = pd.MultiIndex.from_tuples(labels, names=label)
    given = pd.MultiIndex.from_arrays([counts[c].to_numpy(dtype=object) for c in label],
                                      names=label)
    code = wanted.get_indexer(given) if len(counts) else np.zeros(0, np.intp)
    ok = code >= 0
    np.add.at(out, (group[ok], code[ok]), counts[value].to_numpy(dtype=np.int64)[ok])
    return _groups(counts, by, first), out


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator ÷ denominator as floats; NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


def _with_groups(groups: pd.DataFrame, repeat: int, columns: dict[str, Any]) -> pd.DataFrame:
    """Each group row `repeat` times, then `columns` (already one value per output row)."""
    out = groups.iloc[np.repeat(np.arange(len(groups)), repeat)].reset_index(drop=True)
    for name in groups.columns:
        out[name] = _as_keys(out[name])
    for name, values in columns.items():
        out[name] = values
    return out


# Months ---------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _months(months) -> list[pd.Period]:
    """`months` as monthly periods, sorted; 'YYYY-MM' text or monthly periods."""
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
            out.append(item)
        elif isinstance(item, str) and _MONTH.match(item):
            out.append(pd.Period(item, freq="M"))
        else:
            raise ValueError(f"months[{position}]: expected 'YYYY-MM', got {item!r}")
    seen = pd.Index([str(p) for p in out])
    if seen.has_duplicates:
        raise ValueError(f"months: {seen[seen.duplicated()][0]!r} is given twice")
    return sorted(out)


def _month_starts(periods: list[pd.Period], zone: str) -> np.ndarray:
    """00:00 local on the 1st of each month and of the month after the last, as seconds."""
    walls = [p.start_time for p in periods] + [(p + 1).start_time for p in periods]
    local = _frames.localize_wall(pd.Series(pd.DatetimeIndex(walls)), zone)
    seconds = (local.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
               .astype("datetime64[s]").view(np.int64))
    return seconds


def _count_before(sorted_values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """How many of `sorted_values` are < each of `t`."""
    return np.searchsorted(sorted_values, t, side="left").astype(np.int64)


# The state -------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PipelineState:
    """Partial counts of one pipeline report over a batch of leads (each lead with all its
    touches). States of the same report and parameters merge by summing per group;
    :meth:`finalize` gives the report. Build one with :meth:`pipeline`,
    :meth:`grade_migration`, :meth:`monthly`, :meth:`funnel` or
    :meth:`touches_per_won_lead` (the arguments of the report of that name).

    ``counts`` is a plain DataFrame: the ``keys`` columns, then additive counts.
    """

    report: str
    params: tuple[tuple[str, Any], ...]
    keys: tuple[str, ...]
    counts: pd.DataFrame

    # Builders ----------------------------------------------------------------------------

    @classmethod
    def pipeline(cls, leads: Any, touches: Any, policy: Policy, *, at, by=None, tz=None,
                 scope=None, dealers=None) -> "PipelineState":
        """Per group of `by`, leads created by `at` by their state at `at` (a grade in
        force, or won, lost, invalid): columns ``*by``, ``state``, ``leads``."""
        check_policy(policy)
        h = read(leads, touches, policy, tz=tz, scope=scope, dealers=dealers, by=by)
        t = instant(at, "at", tz)
        names = list(h.keys.columns)
        state = state_at(h, t)
        exists = state >= 0
        labels = [*h.grades, *CLOSED]
        one_hot = np.zeros((int(exists.sum()), len(labels)), np.int64)
        one_hot[np.arange(len(one_hot)), state[exists]] = 1
        groups, sums = _group_sums(h.keys[exists], names, one_hot)
        counts = _long(groups, sums, pd.DataFrame({"state": labels}), "leads")
        return cls("pipeline", (("grades", h.grades), ("by", tuple(names)), ("at", t)),
                   (*names, "state"), counts)

    @classmethod
    def grade_migration(cls, leads: Any, touches: Any, policy: Policy, *, start, end,
                        tz=None, scope=None, dealers=None) -> "PipelineState":
        """Leads by (state at `start`, state at `end`): columns ``from``, ``to``, ``leads``,
        every pair present."""
        check_policy(policy)
        h = read(leads, touches, policy, tz=tz, scope=scope, dealers=dealers)
        t0 = instant(start, "start", tz)
        t1 = instant(end, "end", tz)
        if t0 >= t1:
            raise ValueError(f"start: {_frames.utc_text(t0)} is not before end "
                             f"{_frames.utc_text(t1)}")
        g = len(h.grades)
        before, after = state_at(h, t0), state_at(h, t1)
        created_between = (h.created > t0) & (h.created <= t1)
        open_at_start = (before >= 0) & (before < g)
        origin = np.where(created_between, g, before)  # g: the "new" row
        kept = open_at_start | created_between
        sources, targets = [*h.grades, NEW], [*h.grades, *CLOSED]
        matrix = np.zeros((len(sources), len(targets)), np.int64)
        np.add.at(matrix, (origin[kept], after[kept]), 1)
        counts = pd.DataFrame({
            "from": np.repeat(sources, len(targets)).astype(object),
            "to": np.tile(targets, len(sources)).astype(object),
            "leads": matrix.ravel()})
        return cls("grade_migration", (("grades", h.grades), ("start", t0), ("end", t1)),
                   ("from", "to"), counts)

    @classmethod
    def monthly(cls, leads: Any, touches: Any, policy: Policy, *, months, tz=None,
                scope=None, dealers=None) -> "PipelineState":
        """Per month: ``carried_over``, ``new``, ``invalid``, ``won``, ``lost``,
        ``open_at_end``."""
        check_policy(policy)
        periods = _months(months)
        h = read(leads, touches, policy, tz=tz, scope=scope, dealers=dealers)
        bounds = _month_starts(periods, policy.time_zone)
        start, end = bounds[:len(periods)], bounds[len(periods):]
        valid = h.outcome != INVALID
        created = np.sort(h.created[valid])
        invalid = np.sort(h.created[~valid])
        won = np.sort(h.closed[h.outcome == WON])
        lost = np.sort(h.closed[h.outcome == LOST])
        closes = np.sort(np.concatenate([won, lost]))

        def open_just_before(t):  # created before t, not closed before t
            return _count_before(created, t) - _count_before(closes, t)

        def within(values):  # in [start, end)
            return _count_before(values, end) - _count_before(values, start)

        counts = pd.DataFrame({
            "month": pd.Series([str(p) for p in periods], dtype=object),
            "carried_over": open_just_before(start), "new": within(created),
            "invalid": within(invalid), "won": within(won), "lost": within(lost),
            "open_at_end": open_just_before(end)})
        return cls("monthly", (("months", tuple(str(p) for p in periods)),
                               ("zone", policy.time_zone)), ("month",), counts)

    @classmethod
    def funnel(cls, leads: Any, touches: Any, policy: Policy, *, as_of=None, by=None,
               tz=None, scope=None, dealers=None) -> "PipelineState":
        """Per group: ``kind`` (``leads``, ``grade``, ``sales_stage``), ``stage``,
        ``leads`` reaching it."""
        check_policy(policy)
        h = read(leads, touches, policy, tz=tz, scope=scope, dealers=dealers, by=by,
                         sales_stage=True)
        t = (default_instant(h, "as_of") if as_of is None
             else instant(as_of, "as_of", tz))
        names = list(h.keys.columns)
        exists = h.created <= t
        counted = exists & (h.outcome != INVALID)
        grades = grades_reached(h, t) & counted[:, None]
        won_now = counted & (h.outcome == WON) & (h.closed <= t)
        last = len(SALES_STAGES) - 1
        stage = h.sales_stage.astype(np.int64)
        stage = np.where((stage == last) & ~won_now, last - 1, stage)  # not won yet
        stage = np.where(won_now, last, stage)
        stages = (np.arange(len(SALES_STAGES))[None, :] <= stage[:, None]) & counted[:, None]
        values = np.hstack([counted[:, None], grades, stages])[exists]
        labels = pd.DataFrame({
            "kind": ["leads"] + ["grade"] * len(h.grades) + ["sales_stage"] * len(SALES_STAGES),
            "stage": ["leads", *h.grades, *SALES_STAGES]})
        groups, sums = _group_sums(h.keys[exists], names, values)
        counts = _long(groups, sums, labels, "leads")
        return cls("funnel", (("grades", h.grades), ("by", tuple(names)), ("as_of", t)),
                   (*names, "kind", "stage"), counts)

    @classmethod
    def touches_per_won_lead(cls, leads: Any, touches: Any, *, as_of=None, by=None, tz=None,
                             scope=None, dealers=None) -> "PipelineState":
        """Per group: ``won_leads`` and their ``touches`` up to the win."""
        h = read(leads, touches, None, tz=tz, scope=scope, dealers=dealers, by=by)
        t = (default_instant(h, "as_of") if as_of is None
             else instant(as_of, "as_of", tz))
        names = list(h.keys.columns)
        exists = h.created <= t
        won_now = exists & (h.outcome == WON) & (h.closed <= t)
        until = np.where(h.won_at != NEVER, h.closed, t)
        counted = won_now[h.touch_lead] & (h.touch_time <= until[h.touch_lead])
        per_lead = np.bincount(h.touch_lead[counted], minlength=len(h))
        values = np.stack([won_now, per_lead], axis=1)[exists]
        groups, sums = _group_sums(h.keys[exists], names, values)
        counts = groups.copy()
        counts["won_leads"], counts["touches"] = sums[:, 0], sums[:, 1]
        return cls("touches_per_won_lead", (("by", tuple(names)), ("as_of", t)),
                   tuple(names), counts)

    # Merge and finalize ---------------------------------------------------------------------

    @staticmethod
    def merge(states: Iterable["PipelineState"]) -> "PipelineState":
        """One state holding the sums of `states` (same report, same parameters)."""
        states = list(states)
        if not states:
            raise ValueError("merge: no states given")
        first = states[0]
        for position, other in enumerate(states):
            if not isinstance(other, PipelineState):
                raise TypeError(f"merge: states[{position}] is a {type(other).__name__}, not "
                                "a PipelineState")
            if (other.report, other.params, other.keys) != (first.report, first.params,
                                                              first.keys):
                raise ValueError(f"merge: states[{position}] is a {other.report} state with "
                                 f"{dict(other.params)!r}; states[0] is a {first.report} "
                                 f"state with {dict(first.params)!r}")
        frame = pd.concat([s.counts for s in states], ignore_index=True)
        return PipelineState(first.report, first.params, first.keys,
                             _sum_groups(frame, list(first.keys)))

    def __add__(self, other: "PipelineState") -> "PipelineState":
        return PipelineState.merge([self, other])

    def finalize(self, *, long: bool = False) -> pd.DataFrame:
        """The report of these counts (the frame the report function returns). `long` is
        for ``grade_migration`` only: one row per (from, to) pair instead of a matrix."""
        if long and self.report != "grade_migration":
            raise ValueError(f"long: only grade_migration has a long form, not {self.report}")
        params = dict(self.params)
        if self.report == "pipeline":
            return _finalize_pipeline(self.counts, list(params["by"]), list(params["grades"]))
        if self.report == "grade_migration":
            return _finalize_migration(self.counts, list(params["grades"]), long)
        if self.report == "monthly":
            return _finalize_monthly(self.counts, list(params["months"]))
        if self.report == "funnel":
            return _finalize_funnel(self.counts, list(params["by"]), list(params["grades"]))
        return _finalize_touches(self.counts, list(params["by"]))

    def __repr__(self) -> str:
        return f"PipelineState({self.report}, {dict(self.params)!r}, {len(self.counts)} rows)"


def _finalize_pipeline(counts: pd.DataFrame, by: list[str], grades: list[str]) -> pd.DataFrame:
    groups, open_leads = _matrix(counts, by, ["state"], [(g,) for g in grades], "leads")
    share = _rate(open_leads, open_leads.sum(axis=1, keepdims=True))
    return _with_groups(groups, len(grades), {
        "grade": np.tile(np.array(grades, dtype=object), len(groups)),
        "open_leads": open_leads.ravel(), "share": share.ravel()})


def _finalize_migration(counts: pd.DataFrame, grades: list[str], long: bool) -> pd.DataFrame:
    sources, targets = [*grades, NEW], [*grades, *CLOSED]
    _, matrix = _matrix(counts, [], ["from", "to"],
                        [(a, b) for a in sources for b in targets], "leads")
    values = matrix.reshape(len(sources), len(targets))
    if long:
        return pd.DataFrame({"from": np.repeat(sources, len(targets)),
                             "to": np.tile(targets, len(sources)), "leads": values.ravel()})
    return pd.DataFrame(values, index=pd.Index(sources, name="from"),
                        columns=pd.Index(targets, name="to"))


def _finalize_monthly(counts: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    columns = ["carried_over", "new", "invalid", "won", "lost", "open_at_end"]
    sums = np.zeros((len(months), len(columns)), np.int64)
    row = pd.Index(months, dtype=object).get_indexer(
        pd.Index(counts["month"].to_numpy(dtype=object), dtype=object))
    np.add.at(sums, row, counts[columns].to_numpy(dtype=np.int64))
    out = pd.DataFrame(sums, columns=columns)
    out.insert(0, "month", months)
    base = out["carried_over"] + out["new"]
    out["conversion_rate"] = _rate(out["won"], base)
    out["loss_rate"] = _rate(out["lost"], base)
    return out


def _finalize_funnel(counts: pd.DataFrame, by: list[str], grades: list[str]) -> pd.DataFrame:
    kinds = ["grade"] * len(grades) + ["sales_stage"] * len(SALES_STAGES)
    stages = [*grades, *SALES_STAGES]
    labels = [("leads", "leads"), *zip(kinds, stages)]
    groups, sums = _matrix(counts, by, ["kind", "stage"], labels, "leads")
    leads, reached = sums[:, :1], sums[:, 1:]
    previous = np.full(reached.shape, -1, np.int64)  # -1: no previous stage
    previous[:, 1:] = reached[:, :-1]
    previous[:, len(grades)] = -1  # the first sales stage follows no grade
    conversion = np.where(previous >= 0, _rate(reached, np.maximum(previous, 0)), np.nan)
    k = len(stages)
    return _with_groups(groups, k, {
        "kind": np.tile(np.array(kinds, dtype=object), len(groups)),
        "stage": np.tile(np.array(stages, dtype=object), len(groups)),
        "leads": np.repeat(leads[:, 0], k), "reached": reached.ravel(),
        "share_of_leads": _rate(reached, leads).ravel(),
        "conversion_from_previous": conversion.ravel()})


def _finalize_touches(counts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    out = _sum_groups(counts, by)
    out["touches_per_won_lead"] = _rate(out["touches"], out["won_leads"])
    return out[[*by, "won_leads", "touches", "touches_per_won_lead"]]


# The reports -----------------------------------------------------------------------------

@_frames.keeps_key_dtypes("leads", "touches", "dealers")
def pipeline(leads: Any, touches: Any, policy: Policy, *, at, by=None, tz: str | None = None,
             scope=None, dealers=None) -> pd.DataFrame:
    """Open leads by the grade in force at `at` (002 §2.5; docs/kpis.md).

    One row per (group of `by`, grade): every policy grade in the policy's order, zeros
    included; groups in sorted order, a null key its own group, last. Columns: the `by`
    columns, ``grade``, ``open_leads`` and ``share`` (of the group's open leads; NaN when the
    group has none). `by` takes lead columns (``dealer_id``, ``consultant_id``, ``channel``,
    ``model``, ...) and ``region_id`` (needs `dealers`). `scope` is a :class:`leadkit.Scope`.
    A naive `at` or naive timestamps need `tz`.
    """
    return PipelineState.pipeline(leads, touches, policy, at=at, by=by, tz=tz, scope=scope,
                                  dealers=dealers).finalize()


@_frames.keeps_key_dtypes("leads", "touches", "dealers")
def grade_migration(leads: Any, touches: Any, policy: Policy, *, start, end,
                    tz: str | None = None, scope=None, dealers=None,
                    long: bool = False) -> pd.DataFrame:
    """The grade-to-grade matrix between `start` and `end` (002 §2.5; docs/kpis.md).

    Rows (``from``): the grade in force at `start` of each lead open then, in the policy's
    order, then ``new`` for leads created after `start` and by `end`. Columns (``to``): the
    lead's state at `end` — a grade, then ``won``, ``lost``, ``invalid``. Counts, zeros
    included; leads closed at or before `start` and leads created after `end` are left out.
    ``long=True`` gives the same counts as rows ``from``, ``to``, ``leads``.
    """
    return PipelineState.grade_migration(leads, touches, policy, start=start, end=end, tz=tz,
                                         scope=scope, dealers=dealers).finalize(long=long)


@_frames.keeps_key_dtypes("leads", "touches", "dealers")
def monthly(leads: Any, touches: Any, policy: Policy, *, months, tz: str | None = None,
            scope=None, dealers=None) -> pd.DataFrame:
    """The monthly roll-over (002 §2.5; docs/kpis.md): one row per month of `months` (a list
    of ``YYYY-MM`` or a pandas period range), in order, with months in the policy's time zone.

    Columns ``month``, ``carried_over`` (open as the month starts), ``new`` (created in the
    month, not invalid), ``invalid`` (invalid leads created in the month), ``won``, ``lost``
    (closed in the month), ``open_at_end``, ``conversion_rate`` = won ÷ (carried_over + new)
    and ``loss_rate`` = lost ÷ (carried_over + new). Always
    ``open_at_end = carried_over + new − won − lost``.
    """
    return PipelineState.monthly(leads, touches, policy, months=months, tz=tz, scope=scope,
                                 dealers=dealers).finalize()


@_frames.keeps_key_dtypes("leads", "touches", "dealers")
def funnel(leads: Any, touches: Any, policy: Policy, *, as_of=None, by=None,
           tz: str | None = None, scope=None, dealers=None) -> pd.DataFrame:
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
                                scope=scope, dealers=dealers).finalize()


@_frames.keeps_key_dtypes("leads", "touches", "dealers")
def touches_per_won_lead(leads: Any, touches: Any, *, as_of=None, by=None,
                         tz: str | None = None, scope=None, dealers=None) -> pd.DataFrame:
    """Touches it took to win a lead (003: 5–10 on average; docs/kpis.md).

    Per group of `by`: ``won_leads`` (won at `as_of`), ``touches`` (their touches at or before
    ``won_at``; an unknown ``won_at``: by `as_of`) and ``touches_per_won_lead`` = touches ÷
    won_leads (NaN without a won lead).
    """
    return PipelineState.touches_per_won_lead(leads, touches, as_of=as_of, by=by, tz=tz,
                                              scope=scope, dealers=dealers).finalize()
