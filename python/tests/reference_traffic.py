"""The pandas showroom and activity reports as they were before the C++ engine (a test
reference, not part of the package): the engine must give the same tables (docs/kpis.md).

Both reports are built the same way, so that batches can be counted apart and combined:

1. a *state*: per group, additive counts from one batch of rows (``showroom_state``,
   ``activity_state``);
2. *merge*: concatenate states and sum per group (``merge_states``);
3. *finalize*: the rates from the sums (``showroom_finalize``, ``activity_finalize``).

The helpers at the top are those of ``leadkit._traffic`` at the time of the copy.
"""

from __future__ import annotations

import datetime as _dt
import zoneinfo
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

import reference_frames
from leadkit._scope import check_scope, scope_mask
from leadkit import _frames
from leadkit import Scope

#: Lead statuses and lost-review values (docs/data.md).
STATUSES = _frames.LEAD_FIELD_VALUES["status"]
REVIEWS = _frames.LEAD_FIELD_VALUES["lost_review"]
#: The contact methods that always get a ``contacts_<method>`` column (001 §3.2).
METHODS = ("phone", "wechat", "sms", "email", "visit", "event")

# A stand-in for a null key while grouping: sorts after every real string, so the null group
# comes last; never shown to callers.
_NULL = "\U0010ffff"


# --- shared helpers -------------------------------------------------------------------------

def check_zone(zone: Any, what: str = "tz"):
    """A time zone name (or tzinfo) that exists; KeyError otherwise."""
    if isinstance(zone, _dt.tzinfo):
        return zone
    if not isinstance(zone, str):
        raise TypeError(f"{what}: expected a time zone name, got {type(zone).__name__}")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise KeyError(f"{what}: unknown time zone {zone!r}") from None
    return zone


def own_zone(series: pd.Series, table: str, column: str):
    """The zone aware values carry (None when the column holds no aware value)."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return dtype.tz
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
        return getattr(dtype.pyarrow_dtype, "tz", None)
    if dtype == object:
        zones = {str(v.tzinfo) for v in series.dropna() if getattr(v, "tzinfo", None) is not None}
        if len(zones) > 1:
            raise ValueError(f"{table}.{column}: values in more than one time zone "
                             f"({', '.join(sorted(zones))}); pass tz= to name the local zone")
        if zones:
            return next(iter(zones))
    return None


def local_times(frame: pd.DataFrame, column: str, table: str, *, id_column: str | None,
                tz=None, zone=None, required: bool = False) -> pd.Series:
    """`frame[column]` as aware times in the local zone: `zone` if given, else `tz`, else the
    values' own zone. Naive values are read as wall times of `tz` (required for them). Null
    stays NaT; with `required`, a null is an error naming the row. An absent column is all
    NaT."""
    n = len(frame)
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    labels = _frames.RowLabels(frame, id_column)
    _, _, seconds, valid, _ = _frames.column_spec(frame, column, "instant", table=table,
                                                  labels=labels, tz=tz)
    valid = valid.astype(bool)
    if required and not valid.all():
        position = int(np.flatnonzero(~valid)[0])
        raise ValueError(f"{table}.{column}: {labels(position)} has no time (null)")
    local = zone if zone is not None else tz
    if local is None:
        local = own_zone(frame[column], table, column) or "UTC"
    stamps = pd.Series(pd.to_datetime(np.where(valid, seconds, 0), unit="s", utc=True))
    return stamps.where(valid).dt.tz_convert(local)


def strings(frame: pd.DataFrame, column: str, table: str, id_column: str | None) -> pd.Series:
    """A string column as object values with None for null, checked to hold only strings;
    an absent column is all None."""
    if column not in frame.columns:
        return pd.Series([None] * len(frame), dtype=object)
    labels = _frames.RowLabels(frame, id_column)
    _frames.column_spec(frame, column, "string", table=table, labels=labels)
    series = frame[column]
    return pd.Series(series.astype(object).where(series.notna().to_numpy(), None).to_numpy(),
                     dtype=object)


def booleans(frame: pd.DataFrame, column: str, table: str, id_column: str | None) -> np.ndarray:
    """True where the column says true; null and absent read as false."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    labels = _frames.RowLabels(frame, id_column)
    _, _, values, valid, _ = _frames.column_spec(frame, column, "bool", table=table,
                                                 labels=labels)
    values = values.astype(bool)
    return values if valid is None else values & valid.astype(bool)


def one_of(values: pd.Series, allowed: Sequence[str], table: str, column: str,
           frame: pd.DataFrame, id_column: str | None) -> None:
    """Every non-null value is one of `allowed`; else names the first row that is not."""
    bad = (values.notna() & ~values.isin(allowed)).to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        labels = _frames.RowLabels(frame, id_column)
        raise ValueError(f"{table}.{column}: {labels(position)} has "
                         f"{_frames.show(column, values.iloc[position])}; expected one of "
                         f"{', '.join(allowed)}")


def unique_ids(frame: pd.DataFrame, table: str, column: str) -> pd.Series:
    """The id column, present, non-null, string and unique."""
    ids = _frames.require_ids(frame, table, column)
    values = strings(frame, column, table, column)
    duplicated = values.duplicated().to_numpy()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated)[0])
        raise ValueError(f"{table}.{column}: {values.iloc[position]!r} is given twice "
                         f"(row {position})")
    return pd.Series(ids.to_numpy(), dtype=object)


def lead_frame(leads: Any, required: Sequence[str] = ("lead_id",)) -> pd.DataFrame:
    """The leads table, with unique ids and known statuses."""
    frame = _frames.as_frame(leads, "leads")
    _frames.require_columns(frame, "leads", required)
    unique_ids(frame, "leads", "lead_id")
    one_of(strings(frame, "status", "leads", "lead_id"), STATUSES, "leads", "status", frame,
           "lead_id")
    return frame


def status_of(frame: pd.DataFrame) -> pd.Series:
    """Each lead's status, null read as ``open``."""
    return strings(frame, "status", "leads", "lead_id").fillna("open")


def ordering(keys: Sequence[str], orders: Mapping[str, Sequence[str]] | None):
    return {k: list(v) for k, v in (orders or {}).items() if k in keys}


def sum_by(frame: pd.DataFrame, keys: Sequence[str], counts: Sequence[str],
           orders: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """`counts` summed per group of `keys`, in sorted group order; a null key is a group of
    its own, sorted last. `orders` gives, per key, the order of its values when it is not the
    natural one (age bands). With no keys: one row of totals."""
    keys, counts = list(keys), list(counts)
    if not keys:
        return pd.DataFrame({c: [frame[c].sum()] for c in counts}).astype(
            {c: frame[c].dtype for c in counts})
    orders = ordering(keys, orders)
    work = frame[keys + counts].copy()
    for key in keys:
        column = work[key]
        if key in orders:
            position = {label: i for i, label in enumerate(orders[key])}
            mapped = column.map(position)
            unknown = column.notna() & mapped.isna()
            if unknown.any():
                raise ValueError(f"{key}: value {column[unknown].iloc[0]!r} is not one of "
                                 f"{orders[key]!r}")
            work[key] = mapped.fillna(len(position)).astype(np.int64)
        elif column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            work[key] = column.astype(object).where(column.notna(), _NULL)
    out = work.groupby(keys, sort=True)[counts].sum().reset_index()
    for key in keys:
        if key in orders:
            labels = np.array([*orders[key], None], dtype=object)
            out[key] = pd.Series(labels[out[key].to_numpy()], dtype=object)
        elif out[key].dtype == object or isinstance(out[key].dtype, pd.StringDtype):
            out[key] = pd.Series(out[key].astype(object).to_numpy(), dtype=object).where(
                out[key].to_numpy() != _NULL, None)
    return out


#: The count columns of every report's state; any other state column is a group key.
_COUNT_COLUMNS = frozenset({
    "visits", "with_contact", "effective", "stayed", "stay_seconds", "won", "contacts",
    "leads_touched", "new_leads", "lost", "approved", "rejected", "pending", "review_null",
    "leads", "invalid"})


def is_count(column: str) -> bool:
    return column in _COUNT_COLUMNS or column.startswith("contacts_")


def state_keys(state: pd.DataFrame) -> list[str]:
    """The group columns of a state, in order."""
    return [c for c in state.columns if not is_count(c)]


def merge_states(states: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Merges states of one report, in any order and any grouping of batches: concatenates
    them and sums the counts per group. The states must group by the same columns; a count
    one state lacks (a contact method it never saw) is 0 there."""
    states = list(states)
    if not states:
        raise ValueError("states: nothing to merge (an empty list)")
    keys = state_keys(states[0])
    counts = [c for c in states[0].columns if is_count(c)]
    for state in states[1:]:
        if state_keys(state) != keys:
            raise ValueError(f"states: grouped by {keys!r} and by "
                             f"{state_keys(state)!r}")
        counts += [c for c in state.columns if is_count(c) and c not in counts]
    filled = [s.reindex(columns=[*keys, *counts]) for s in states]
    combined = pd.concat(filled, ignore_index=True)
    combined[counts] = combined[counts].fillna(0).astype(np.int64)
    return sum_by(combined, keys, counts)


def group_ids(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """Per row, a number naming its group of `keys` (null keys a group of their own); all
    zeros with no keys."""
    keys = list(keys)
    if not keys:
        return np.zeros(len(frame), dtype=np.int64)
    filled = frame[keys].astype(object).where(frame[keys].notna(), _NULL)
    return filled.groupby(keys, sort=False).ngroup().to_numpy()


def merge_kind(states: Iterable[pd.DataFrame], marker: str, report: str) -> list[pd.DataFrame]:
    """The states, each checked to be a DataFrame state of `report` (it has `marker`)."""
    if isinstance(states, pd.DataFrame):
        raise TypeError(f"{report}: expected a list of states, got one DataFrame")
    states = list(states)
    for position, state in enumerate(states):
        if not isinstance(state, pd.DataFrame) or marker not in state.columns:
            raise ValueError(f"states[{position}]: not a {report} state")
    return states


def ratio(numerator, denominator) -> np.ndarray:
    """numerator / denominator as floats; NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def period(local: pd.Series, kind: str) -> pd.Series:
    """Local times as ``day`` (YYYY-MM-DD), ``week`` (ISO YYYY-Www), ``month`` (YYYY-MM),
    ``hour`` (0-23) or ``weekday`` (ISO 1 = Monday ... 7 = Sunday); null stays null. Labels
    are formatted once per distinct day or month, not per row."""
    present = local.notna().to_numpy()
    wall = local.dt.tz_localize(None).to_numpy()       # local wall times, NaT for null
    if kind in ("hour", "weekday"):
        if kind == "hour":
            values = wall.astype("datetime64[h]").astype(np.int64) % 24
        else:  # 1970-01-01 was a Thursday (ISO 4)
            values = (wall.astype("datetime64[D]").astype(np.int64) + 3) % 7 + 1
        if present.all():
            return pd.Series(values, dtype=np.int64)
        return pd.Series(pd.arrays.IntegerArray(values, ~present))
    unit = "M" if kind == "month" else "D"
    uniques, inverse = np.unique(wall[present].astype(f"datetime64[{unit}]"),
                                 return_inverse=True)
    if kind == "week":
        iso = pd.DatetimeIndex(uniques).isocalendar()
        labels = np.array([f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"])],
                          dtype=object)
    else:
        labels = np.datetime_as_string(uniques, unit=unit).astype(object)
    values = np.full(len(local), None, dtype=object)
    values[present] = labels[inverse] if len(uniques) else []
    return pd.Series(values, dtype=object)


# --- showroom (002 §2.6) ---------------------------------------------------------------------

SHOWROOM_KEYS = ("dealer_id", "consultant_id", "model", "hour", "weekday", "day")
_SHOWROOM_COUNTS = ["visits", "with_contact", "effective", "stayed", "stay_seconds"]
_VISIT_STRINGS = ("visit_id", "dealer_id", "lead_id", "consultant_id", "model")


def _visit_frame(visits: Any) -> pd.DataFrame:
    frame = _frames.as_frame(visits, "visits")
    _frames.require_columns(frame, "visits", ["visit_id", "dealer_id", "arrived_at"])
    unique_ids(frame, "visits", "visit_id")
    return frame


def _visit_leads(frame: pd.DataFrame, lead_ids: pd.Series, leads: pd.DataFrame) -> pd.Series:
    """Each visit's lead status (None without a lead); a visit for an unknown lead is an
    error."""
    known = pd.Series(status_of(leads).to_numpy(), index=strings(leads, "lead_id", "leads",
                                                                  "lead_id"))
    status = lead_ids.map(known)
    unknown = (lead_ids.notna() & status.isna()).to_numpy()
    if unknown.any():
        position = int(np.flatnonzero(unknown)[0])
        labels = _frames.RowLabels(frame, "visit_id")
        raise ValueError(f"visits.lead_id: {labels(position)} has {lead_ids.iloc[position]!r}, "
                         "which is not in leads")
    return status


def showroom_state(visits: Any, *, leads: Any = None, by: Any = None, scope: Scope | None = None,
                   dealers: Any = None, tz=None, as_of: Any = None) -> pd.DataFrame:
    """The additive state of :func:`showroom` for one batch of visits (with the leads they
    name): per group of `by` and model asked about (``visit_model``), the counts ``visits``,
    ``with_contact``, ``effective``, ``stayed``, ``stay_seconds`` and, with `leads`, ``won``.
    Merge states with :func:`showroom_merge`, turn them into the report with
    :func:`showroom_finalize`. Batches of one report need one `as_of`: pass it (the default
    is the batch's own latest timestamp)."""
    names = _frames.by_names(by, SHOWROOM_KEYS, strict=True)
    scope = check_scope(scope)
    dealer_frame = _frames.dealers_frame(dealers)
    if tz is not None:
        tz = check_zone(tz)
    frame = _visit_frame(visits)
    values = {c: strings(frame, c, "visits", "visit_id") for c in _VISIT_STRINGS}
    arrived = local_times(frame, "arrived_at", "visits", id_column="visit_id", tz=tz,
                          required=True)
    left = local_times(frame, "left_at", "visits", id_column="visit_id", tz=tz)
    lead_table = lead_frame(leads) if leads is not None else None
    lead_times = (LeadTimes(lead_table, tz, created_required=False)
                  if lead_table is not None else None)
    arrived_s, left_s = series_seconds(arrived), series_seconds(left)
    at = resolve_as_of(as_of, tz, arrived_s, left_s,
                               lead_times.latest() if lead_times is not None else None)
    # A visit after as_of has not happened; a departure after it is not known yet.
    happened = arrived_s <= at
    left = left.where(left_s <= at)
    stay = (left - arrived).dt.total_seconds().to_numpy()
    early = stay < 0
    if early.any():
        position = int(np.flatnonzero(early)[0])
        raise ValueError(f"visits.left_at: {_frames.RowLabels(frame, 'visit_id')(position)} "
                         f"left at {left.iloc[position].isoformat()}, before it arrived at "
                         f"{arrived.iloc[position].isoformat()}")
    stayed = ~np.isnan(stay)
    rows = {
        "visits": np.ones(len(frame), dtype=np.int64),
        "with_contact": values["lead_id"].notna().to_numpy().astype(np.int64),
        "effective": booleans(frame, "effective", "visits", "visit_id").astype(np.int64),
        "stayed": stayed.astype(np.int64),
        "stay_seconds": np.where(stayed, stay, 0).astype(np.int64),
    }
    counts = list(_SHOWROOM_COUNTS)
    if lead_table is not None:
        status = _visit_leads(frame, values["lead_id"], lead_table)
        won_at = pd.Series(lead_times.won_at.astype(float),
                           index=strings(lead_table, "lead_id", "leads", "lead_id"))
        won_by_then = values["lead_id"].map(won_at).to_numpy(dtype=float) <= at
        rows["won"] = ((status == "won").to_numpy() & won_by_then).astype(np.int64)
        counts.append("won")
    keys = {name: (period(arrived, name) if name in ("hour", "weekday", "day")
                   else values[name]) for name in names}
    table = pd.DataFrame({**keys, "visit_model": values["model"], **rows})
    inside = scope_mask(scope, pd.DataFrame({"dealer_id": values["dealer_id"]}),
                                dealer_frame) & happened
    return sum_by(table[inside], [*names, "visit_model"], counts)


def showroom_merge(states: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One showroom state from the states of disjoint batches of visits."""
    return merge_states(merge_kind(states, "visits", "showroom"))


def showroom_finalize(state: pd.DataFrame, *, top_models: int = 3) -> pd.DataFrame:
    """The :func:`showroom` table of a (merged) state."""
    top_models = _top_count(top_models)
    keys = [k for k in state_keys(state) if k != "visit_model"]
    counts = [c for c in state.columns if is_count(c)]
    totals = sum_by(state, keys, counts)
    out = totals[keys].copy()
    out["visits"] = totals["visits"]
    out["with_contact"] = totals["with_contact"]
    out["contact_share"] = ratio(totals["with_contact"], totals["visits"])
    out["effective"] = totals["effective"]
    out["effective_share"] = ratio(totals["effective"], totals["visits"])
    if "won" in counts:
        out["won"] = totals["won"]
        out["visit_to_deal_rate"] = ratio(totals["won"], totals["visits"])
    out["avg_stay_minutes"] = ratio(totals["stay_seconds"], totals["stayed"] * 60)
    out["top_models"] = pd.Series(_top_models(state, keys, totals, top_models), dtype=object,
                                  index=out.index)
    return out


def _top_count(top_models: Any) -> int:
    if isinstance(top_models, (bool, np.bool_)) or not isinstance(top_models, (int, np.integer)):
        raise TypeError(f"top_models: expected an integer, got {top_models!r}")
    if top_models < 1:
        raise ValueError(f"top_models: expected 1 or more, got {top_models}")
    return int(top_models)


def _top_models(state: pd.DataFrame, keys: list[str], totals: pd.DataFrame, n: int) -> list:
    """Per row of `totals`, the `n` models with most visits (then by name), joined by ";";
    None when no visit of the group named a model."""
    named = state[state["visit_model"].notna()]
    named = sum_by(named, [*keys, "visit_model"], ["visits"])
    if not keys:
        ranked = named.sort_values(["visits", "visit_model"], ascending=[False, True],
                                   kind="stable")
        return [";".join(ranked["visit_model"].head(n)) or None]
    # Group positions: the groups of `totals` are sorted, as are those of `named`.
    group_of = _group_positions(totals, named, keys)
    named = named.assign(_group=group_of).sort_values(
        ["_group", "visits", "visit_model"], ascending=[True, False, True], kind="stable")
    best = named.groupby("_group", sort=True).head(n)
    joined = best.groupby("_group", sort=True)["visit_model"].agg(";".join)
    out = np.full(len(totals), None, dtype=object)
    out[joined.index.to_numpy()] = joined.to_numpy()
    return list(out)


def _group_positions(groups: pd.DataFrame, rows: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each row of `rows`, the position of its group (by `keys`) in `groups`."""
    def fill(frame):
        return pd.MultiIndex.from_frame(frame[keys].astype(object).where(frame[keys].notna(),
                                                                         _NULL))
    index = fill(groups)
    positions = index.get_indexer(fill(rows))
    if (positions < 0).any():  # cannot happen: every row belongs to a total
        raise AssertionError("showroom: a model row without its group")
    return positions


def showroom(visits: Any, *, leads: Any = None, by: Any = None, scope: Scope | None = None,
             dealers: Any = None, tz=None, top_models: int = 3, as_of: Any = None
             ) -> pd.DataFrame:
    """Showroom traffic (002 §2.6, docs/kpis.md): one row per group of `by` (one row when
    None) in sorted group order, null keys last.

    `by` takes ``dealer_id``, ``consultant_id``, ``model``, ``hour`` (local hour of arrival,
    0-23), ``weekday`` (local ISO weekday, 1 = Monday ... 7 = Sunday) and ``day`` (local date,
    ``YYYY-MM-DD``). Local times are in `tz` when given, else in the zone of ``arrived_at``;
    naive times need `tz`. Columns: ``visits``, ``with_contact``, ``contact_share``,
    ``effective``, ``effective_share``, with `leads` ``won`` and ``visit_to_deal_rate``,
    ``avg_stay_minutes`` and ``top_models`` (the `top_models` most-asked models, ``;``-joined).
    `scope` keeps the visits of the dealers it sees (a region needs `dealers`). Point in time
    as in :func:`leadkit.kpis`: visits after `as_of` are left out, a departure after it is not
    known yet, a lead won after it is not won yet; `as_of` defaults to the latest timestamp of
    the visits and leads."""
    top_models = _top_count(top_models)
    state = showroom_state(visits, leads=leads, by=by, scope=scope, dealers=dealers, tz=tz,
                           as_of=as_of)
    return showroom_finalize(state, top_models=top_models)


# --- activity (002 §2.4) ---------------------------------------------------------------------

ACTIVITY_KEYS = ("consultant_id", "dealer_id", "day", "week", "month")


def activity_state(touches: Any, *, leads: Any = None, by: Any = ("consultant_id", "day"),
                   tz=None, scope: Scope | None = None, dealers: Any = None,
                   as_of: Any = None) -> pd.DataFrame:
    """The additive state of :func:`activity` for one batch of touches and the leads they
    belong to (each lead's touches in one batch): per group, ``contacts``, one
    ``contacts_<method>`` per method, ``leads_touched`` and, with `leads`, ``new_leads``.
    Batches of one report need one `as_of`: pass it (the default is the batch's own latest
    timestamp)."""
    names = _frames.by_names(by, ACTIVITY_KEYS, strict=True)
    scope = check_scope(scope)
    dealer_frame = _frames.dealers_frame(dealers)
    if tz is not None:
        tz = check_zone(tz)
    if leads is None and scope.kind != "hq":
        raise ValueError(f"scope: {scope!r} needs the leads table (leads=): touches carry "
                         "no dealer_id")
    if leads is None and "dealer_id" in names:
        raise ValueError("by: dealer_id needs the leads table (leads=): touches carry no "
                         "dealer_id")
    frame = _frames.touch_frame(touches)
    lead_ids = strings(frame, "lead_id", "touches", "lead_id")
    methods = strings(frame, "method", "touches", "lead_id")
    if methods.isna().any():
        position = int(np.flatnonzero(methods.isna().to_numpy())[0])
        raise ValueError(f"touches.method: {_frames.RowLabels(frame, 'lead_id')(position)} "
                         "has no method (null)")
    at = local_times(frame, "at", "touches", id_column="lead_id", tz=tz, required=True)
    zone = at.dt.tz
    touch_keys = {}
    if "consultant_id" in names:
        touch_keys["consultant_id"] = strings(frame, "consultant_id", "touches", "lead_id")
    for name in ("day", "week", "month"):
        if name in names:
            touch_keys[name] = period(at, name)
    at_seconds = series_seconds(at)
    table = lead_frame(leads, ("lead_id", "created_at")) if leads is not None else None
    cut = resolve_as_of(
        as_of, tz, at_seconds, LeadTimes(table, tz).latest() if table is not None else None)
    inside = at_seconds <= cut  # a touch after as_of has not happened yet
    new = None
    if table is not None:
        ids = strings(table, "lead_id", "leads", "lead_id")
        lead_dealers = strings(table, "dealer_id", "leads", "lead_id")
        row_of = pd.Series(np.arange(len(table)), index=ids)
        position = lead_ids.map(row_of)
        unknown = position.isna().to_numpy()
        if unknown.any():
            first = int(np.flatnonzero(unknown)[0])
            raise ValueError(f"touches.lead_id: row {first} has {lead_ids.iloc[first]!r}, "
                             "which is not in leads")
        position = position.to_numpy(dtype=np.int64)
        lead_inside = scope_mask(scope, pd.DataFrame({"dealer_id": lead_dealers}),
                                         dealer_frame)
        inside &= lead_inside[position]
        if "dealer_id" in names:
            touch_keys["dealer_id"] = pd.Series(lead_dealers.to_numpy()[position], dtype=object)
        new, received = _new_leads(table, names, zone, tz)
        new = new[lead_inside & (received <= cut)]
    method_columns = _method_columns(methods)
    rows = pd.DataFrame({**{n: touch_keys[n] for n in names}, "_lead": lead_ids,
                         "_method": methods})[inside]
    counted = pd.get_dummies(rows["_method"]).reindex(columns=method_columns,
                                                      fill_value=False).astype(np.int64)
    counted.columns = [f"contacts_{m}" for m in method_columns]
    counted.insert(0, "contacts", np.ones(len(rows), dtype=np.int64))
    contacts = sum_by(pd.concat([rows[names], counted], axis=1), names, list(counted.columns))
    touched = rows.drop_duplicates([*names, "_lead"]).assign(leads_touched=np.int64(1))
    touched = sum_by(touched, names, ["leads_touched"])
    parts = [contacts, touched]
    if new is not None:
        parts.append(sum_by(new, names, ["new_leads"]))
    counts = [*counted.columns, "leads_touched", *(["new_leads"] if new is not None else [])]
    combined = pd.concat(parts, ignore_index=True)
    combined[counts] = combined[counts].fillna(0).astype(np.int64)
    return sum_by(combined, names, counts)


def _method_columns(methods: pd.Series) -> list[str]:
    """The six methods, then any other method present, by name."""
    others = sorted(set(methods.dropna()) - set(METHODS))
    return [*METHODS, *others]


def _new_leads(table: pd.DataFrame, names: list[str], zone, tz
               ) -> tuple[pd.DataFrame, np.ndarray]:
    """Per lead, its group keys for ``new_leads`` (the lead's consultant and dealer, and the
    local day of ``assigned_at``, null: ``created_at``) and when it was received, as
    seconds."""
    assigned = local_times(table, "assigned_at", "leads", id_column="lead_id", tz=tz, zone=zone)
    created = local_times(table, "created_at", "leads", id_column="lead_id", tz=tz, zone=zone,
                          required=True)
    received = assigned.where(assigned.notna(), created)
    keys = {}
    for name in names:
        if name in ("consultant_id", "dealer_id"):
            keys[name] = strings(table, name, "leads", "lead_id")
        else:
            keys[name] = period(received, name)
    return (pd.DataFrame({**keys, "new_leads": np.ones(len(table), dtype=np.int64)}),
            series_seconds(received))


def activity_merge(states: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One activity state from the states of disjoint batches (each lead's touches in one
    batch)."""
    return merge_states(merge_kind(states, "contacts", "activity"))


def activity_finalize(state: pd.DataFrame) -> pd.DataFrame:
    """The :func:`activity` table of a (merged) state: the state's sums; method columns past
    the six defaults sorted by name."""
    keys = state_keys(state)
    methods = [c[len("contacts_"):] for c in state.columns if c.startswith("contacts_")]
    ordered = [f"contacts_{m}" for m in _method_columns(pd.Series(methods, dtype=object))]
    tail = [c for c in ("leads_touched", "new_leads") if c in state.columns]
    return sum_by(state, keys, ["contacts", *ordered, *tail])


def activity(touches: Any, *, leads: Any = None, by: Any = ("consultant_id", "day"), tz=None,
             scope: Scope | None = None, dealers: Any = None, as_of: Any = None
             ) -> pd.DataFrame:
    """Each consultant's daily work (002 §2.4, docs/kpis.md): one row per group of `by`
    (default consultant and local day), sorted, null keys last.

    `by` takes ``consultant_id`` (the touch's), ``dealer_id`` (the lead's; needs `leads`),
    ``day`` (``YYYY-MM-DD``), ``week`` (ISO ``YYYY-Www``) and ``month`` (``YYYY-MM``) of the
    touch in `tz`, else in the zone of ``touches.at``. Columns: ``contacts``, one
    ``contacts_<method>`` per method (``phone``, ``wechat``, ``sms``, ``email``, ``visit``,
    ``event``, then any other method in the data), ``leads_touched`` (distinct leads) and,
    with `leads`, ``new_leads`` (leads whose ``assigned_at``, null: ``created_at``, falls in
    the group, counted for the lead's consultant). A non-HQ `scope` needs `leads`. Touches
    and leads received after `as_of` are left out; `as_of` defaults to the latest timestamp
    of the touches and leads."""
    return activity_finalize(activity_state(touches, leads=leads, by=by, tz=tz, scope=scope,
                                            dealers=dealers, as_of=as_of))


# --- What the package once held for these references -------------------------------------

_LEAD_TIMES = {"created_at": "instant", "won_at": "instant", "lost_at": "instant",
               "entered_at": "instant", "assigned_at": "instant"}


class LeadTimes:
    """The leads' timestamps as seconds, for reports that follow the point-in-time rules of
    ``kpis()``: a lead exists from ``created_at``; a close (``won_at``, ``lost_at``) after
    `as_of` has not happened yet; a close without its time has happened by any `as_of`."""

    def __init__(self, frame: pd.DataFrame, tz=None, *, created_required: bool = True):
        if created_required:
            _frames.require_columns(frame, "leads", ["created_at"])
        self.specs = _frames.table_specs(frame, _LEAD_TIMES, table="leads", tz=tz)
        by_name = {spec[0]: spec for spec in self.specs}
        n = len(frame)
        self.created = None
        if "created_at" in by_name:
            created, valid = reference_frames.instant_values(by_name["created_at"], n)
            if not valid.all():
                position = int(np.flatnonzero(~valid)[0])
                raise ValueError(f"{_frames.lead_row('leads', position, frame['lead_id'].iloc[position])}"
                                 ": created_at is null")
            self.created = created
        closes = {}
        for name in ("won_at", "lost_at"):
            values, valid = reference_frames.instant_values(by_name.get(name), n)
            closes[name] = np.where(valid, values, np.iinfo(np.int64).min)
        self.won_at, self.lost_at = closes["won_at"], closes["lost_at"]
        self._n = n

    def latest(self) -> int | None:
        return _frames.latest_instant(self.specs)

    def exists(self, at: int) -> np.ndarray:
        return np.ones(self._n, bool) if self.created is None else self.created <= at


def series_seconds(times: pd.Series) -> np.ndarray:
    """Seconds of an aware timestamp series; NaT as the smallest int64."""
    utc = times.dt.tz_convert(None).to_numpy()
    seconds = utc.astype("datetime64[s]").view(np.int64).copy()
    seconds[np.isnat(utc)] = np.iinfo(np.int64).min
    return seconds


def resolve_as_of(as_of, tz, *latest) -> int:
    """`as_of` as seconds; when None, the latest of `latest` — instants as seconds or arrays of
    them (the smallest int64 or None: no instant) — and no limit when they hold none; never the
    machine's clock."""
    if as_of is not None:
        return _frames.instant_seconds(as_of, "as_of", tz)
    null = np.iinfo(np.int64).min
    top = max((int(np.max(value, initial=null)) for value in latest if value is not None),
              default=null)
    return top if top > null else np.iinfo(np.int64).max
