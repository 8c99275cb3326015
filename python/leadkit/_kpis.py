"""The core KPIs from pandas (docs/kpis.md)."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from . import _core, _frames, _schedule
from ._policy import Policy

#: The columns of ``kpis()`` after the group columns, in order (part of the contract).
KPI_COLUMNS = [
    "leads", "invalid", "won", "lost", "conversion_rate", "entered_on_time",
    "entry_timeliness_rate", "first_contacts_due", "first_contact_on_time",
    "first_contact_timeliness_rate", "follow_ups_due", "follow_ups_on_time",
    "follow_up_timeliness_rate", "timely_leads", "timeliness_rate", "surveyed", "satisfied",
    "satisfaction_rate", "first_contact_minutes_p50", "first_contact_minutes_p90",
]
_DERIVED_KEYS = ["grade", "current_grade", "month", "week", "region_id"]
_SURVEY_COLUMNS = {"lead_id": "string", "at": "instant", "satisfied": "bool"}


class Scope:
    """Who sees what (003 §I): headquarters sees every lead, a region its dealers' leads, a
    dealer its own. Leads without a dealer are seen only at headquarters."""

    __slots__ = ("kind", "id")

    def __init__(self, kind: str, id: str | None = None):
        if kind not in ("hq", "region", "dealer"):
            raise ValueError(f"scope: unknown kind {kind!r} (hq, region, dealer)")
        self.kind = kind
        self.id = id

    @classmethod
    def hq(cls) -> "Scope":
        return cls("hq")

    @classmethod
    def region(cls, region_id: str) -> "Scope":
        return cls("region", region_id)

    @classmethod
    def dealer(cls, dealer_id: str) -> "Scope":
        return cls("dealer", dealer_id)

    def __eq__(self, other):
        return isinstance(other, Scope) and (self.kind, self.id) == (other.kind, other.id)

    def __hash__(self):
        return hash((self.kind, self.id))

    def __repr__(self):
        return "Scope.hq()" if self.kind == "hq" else f"Scope.{self.kind}({self.id!r})"

    def mask(self, leads: pd.DataFrame, dealers: pd.DataFrame | None) -> np.ndarray | None:
        """Per lead, 1 when in scope; None for headquarters (everything)."""
        if self.kind == "hq":
            return None
        lead_dealers = (leads["dealer_id"] if "dealer_id" in leads.columns
                        else pd.Series([None] * len(leads), dtype=object))
        if self.kind == "dealer":
            known = (set(dealers["dealer_id"]) if dealers is not None
                     else set(lead_dealers.dropna()))
            if self.id not in known:
                raise KeyError(f"scope: unknown dealer {self.id!r}")
            return (lead_dealers == self.id).fillna(False).to_numpy(dtype=np.uint8)
        if dealers is None:
            raise ValueError("scope: Scope.region needs the dealers table (dealers=)")
        if self.id not in set(dealers["region_id"]):
            raise KeyError(f"scope: unknown region {self.id!r}")
        mine = set(dealers.loc[dealers["region_id"] == self.id, "dealer_id"])
        return lead_dealers.isin(mine).to_numpy(dtype=np.uint8)


def _by_list(by) -> list[str]:
    if by is None:
        return []
    names = [by] if isinstance(by, str) else list(by)
    allowed = [f for f, (kind, personal, _) in _frames.LEAD_FIELDS.items()
               if kind == "string" and not personal and f not in ("lead_id", "grade")]
    allowed += _DERIVED_KEYS
    for name in names:
        if name not in allowed:
            raise ValueError(f"by: cannot group by {name!r}{_frames.suggest(name, allowed)}")
    if len(set(names)) != len(names):
        raise ValueError(f"by: a column is named twice in {names!r}")
    return names


def _dealers_frame(dealers) -> pd.DataFrame | None:
    if dealers is None:
        return None
    frame = _frames.as_frame(dealers, "dealers")
    _frames.require_columns(frame, "dealers", ["dealer_id", "region_id"])
    ids = _frames.require_ids(frame, "dealers", "dealer_id")
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise ValueError(f"dealers.dealer_id: {duplicated.iloc[0]!r} is given twice")
    return frame


def state_for(leads: Any, touches: Any, policy: Policy, *, surveys=None, dealers=None,
              by=None, scope=None, as_of=None, tz=None, threads: int = 1,
              state: _core.KpiState | None = None):
    """Adds a batch to a KPI state (a new one unless given): the one path of ``kpis`` and of
    distributed runs. Returns (state, as_of seconds)."""
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
    names = _by_list(by)
    lead_frame = _frames.as_frame(leads, "leads")
    touch_frame = _frames.as_frame(touches, "touches")
    survey_frame = (_frames.as_frame(surveys, "surveys") if surveys is not None
                    else pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                                       "at": pd.Series([], dtype="datetime64[ns, UTC]"),
                                       "satisfied": pd.Series([], dtype=bool)}))
    _frames.require_columns(lead_frame, "leads", ["lead_id", "created_at"])
    _frames.require_columns(touch_frame, "touches", ["lead_id", "at", "method"])
    _frames.require_columns(survey_frame, "surveys", ["lead_id", "at", "satisfied"])
    dealer_frame = _dealers_frame(dealers)
    if "region_id" in names:
        if dealer_frame is None:
            raise ValueError("by: region_id needs the dealers table (dealers=)")
        region_of = dict(zip(dealer_frame["dealer_id"], dealer_frame["region_id"]))
        lead_dealers = (lead_frame["dealer_id"] if "dealer_id" in lead_frame.columns
                        else pd.Series([None] * len(lead_frame), dtype=object))
        lead_frame = lead_frame.assign(region_id=lead_dealers.map(region_of).astype(object))
    mask = (scope or Scope.hq()).mask(lead_frame, dealer_frame)
    impl = policy._impl
    fields = {name: _frames.LEAD_FIELDS[name][0] for name in dict.fromkeys(
        [*_schedule._LEAD_COLUMNS, "entered_at", *impl.fields,
         *[n for n in names if n in _frames.LEAD_FIELDS]])}
    if "region_id" in names:
        fields["region_id"] = "string"
    compared = set(fields) - (set(impl.fields) - set(impl.compared_fields))
    lead_specs = _frames.table_specs(lead_frame, fields, table="leads", compared=compared, tz=tz)
    touch_specs = _frames.table_specs(touch_frame, _schedule._TOUCH_COLUMNS, table="touches",
                                      tz=tz)
    survey_specs = _frames.table_specs(survey_frame, _SURVEY_COLUMNS, table="surveys", tz=tz)
    if as_of is None:
        latest = [t for t in map(_frames.latest_instant, (lead_specs, touch_specs, survey_specs))
                  if t is not None]
        if not latest:
            raise ValueError("as_of: the inputs hold no timestamp to take it from; pass as_of=")
        as_of_seconds = max(latest)
    else:
        as_of_seconds = _frames.instant_seconds(as_of, "as_of", tz)
    state = state if state is not None else _core.KpiState(names)
    if list(state.by) != names:
        raise ValueError(f"by: the state groups by {list(state.by)!r}, not {names!r}")
    state.add(_core.cadence_for_policy(impl), len(lead_frame), lead_specs, len(touch_frame),
              touch_specs, len(survey_frame), survey_specs, as_of_seconds, mask, int(threads))
    return state, as_of_seconds


def frame_of(state: _core.KpiState) -> pd.DataFrame:
    """The KPI table of a state: group columns, then KPI_COLUMNS."""
    out = state.finalize()
    names = list(state.by)
    keys = out["keys"]
    data = {name: pd.Series([k[i] for k in keys], dtype=object) for i, name in enumerate(names)}
    for column in KPI_COLUMNS:
        data[column] = out[column]
    return pd.DataFrame(data, columns=[*names, *KPI_COLUMNS])


def kpis(leads: Any, touches: Any, policy: Policy, *, surveys=None, dealers=None, by=None,
         scope: Scope | None = None, as_of=None, tz: str | None = None,
         threads: int = 1) -> pd.DataFrame:
    """The core KPIs (docs/kpis.md): one row per group of `by` (one row when None), in sorted
    group order with the null group last.

    `by` takes lead columns (``channel``, ``dealer_id``, ``consultant_id``, ``model``, ...),
    ``grade`` (at creation), ``current_grade`` (at `as_of`), ``region_id`` (needs `dealers`),
    ``month`` (``YYYY-MM``) and ``week`` (ISO ``YYYY-Www``) of ``created_at`` in the policy's
    zone. `scope` is a :class:`Scope`. `as_of` defaults to the latest timestamp of the inputs.
    `threads` splits the leads over threads whose states are merged.
    """
    if int(threads) < 1:
        raise ValueError(f"threads: expected 1 or more, got {threads!r}")
    state, _ = state_for(leads, touches, policy, surveys=surveys, dealers=dealers, by=by,
                         scope=scope, as_of=as_of, tz=tz, threads=threads)
    return frame_of(state)
