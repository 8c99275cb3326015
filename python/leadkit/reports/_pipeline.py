"""Pipeline reports (docs/kpis.md): open leads by grade at an instant, grade migration between
two instants, the monthly roll-over, the funnel and touches per won lead.

Each report is a sum of counts per group, so each is built in three steps that distributed
runs can take apart: a batch of leads (with their touches) gives a :class:`PipelineState` of
partial counts; states merge by concatenating and summing per group; ``finalize`` turns the
sums into the report (rates last, from the summed counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .. import _frames
from . import _grades
from ._grades import CLOSED, INVALID, LOST, SALES_STAGES, WON
from .._policy import Policy, check_policy

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
        h = _grades.read(leads, touches, policy, tz=tz, scope=scope, dealers=dealers, by=by)
        t = _grades.instant(at, "at", tz)
        names = list(h.keys.columns)
        state = _grades.state_at(h, t)
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
        h = _grades.read(leads, touches, policy, tz=tz, scope=scope, dealers=dealers)
        t0 = _grades.instant(start, "start", tz)
        t1 = _grades.instant(end, "end", tz)
        if t0 >= t1:
            raise ValueError(f"start: {_frames.utc_text(t0)} is not before end "
                             f"{_frames.utc_text(t1)}")
        g = len(h.grades)
        before, after = _grades.state_at(h, t0), _grades.state_at(h, t1)
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
        h = _grades.read(leads, touches, policy, tz=tz, scope=scope, dealers=dealers)
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
        h = _grades.read(leads, touches, policy, tz=tz, scope=scope, dealers=dealers, by=by,
                         sales_stage=True)
        t = (_grades.default_instant(h, "as_of") if as_of is None
             else _grades.instant(as_of, "as_of", tz))
        names = list(h.keys.columns)
        exists = h.created <= t
        counted = exists & (h.outcome != INVALID)
        grades = _grades.grades_reached(h, t) & counted[:, None]
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
        h = _grades.read(leads, touches, None, tz=tz, scope=scope, dealers=dealers, by=by)
        t = (_grades.default_instant(h, "as_of") if as_of is None
             else _grades.instant(as_of, "as_of", tz))
        names = list(h.keys.columns)
        exists = h.created <= t
        won_now = exists & (h.outcome == WON) & (h.closed <= t)
        until = np.where(h.won_at != _grades.NEVER, h.closed, t)
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
