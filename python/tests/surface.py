"""Every public table function of leadkit, called on one set of tables: the list the
conformance matrix (test_conformance.py) and the fresh-install check (scripts/fresh-install)
run. It needs leadkit, numpy and pandas only.

A call takes a `Tables` (each table in whatever form the caller chose) and a policy, and
returns a pandas DataFrame (or a tuple of them). `ROWS` names the calls that return one row per
input lead, in input order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any, Callable

import pandas as pd

import leadkit
import leadkit.plot
import leadkit.report
import leadkit.synth

#: Every point in time the calls are judged at: after the generated year (2025).
ZONE = "Asia/Shanghai"  # the generated dealers' zone
AS_OF = pd.Timestamp("2026-01-01 00:00", tz=ZONE)
START = pd.Timestamp("2025-03-01 00:00", tz=ZONE)


@dataclasses.dataclass
class Tables:
    leads: Any
    touches: Any
    surveys: Any
    visits: Any
    dealers: Any
    consultants: Any


#: A dealer calendar in another zone: Monday to Friday, 09:00-18:00 in Berlin.
BERLIN = {"name": "berlin_office", "time_zone": "Europe/Berlin",
          "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}}

#: The policies every call runs under: the presets, and abcd with dealer calendars (the
#: generated dealers D001 on cn_office in Shanghai, D002 in Berlin, D003 on the policy's).
DEALER_CALENDARS = "abcd+dealer_calendars"
POLICIES = [*leadkit.Policy.presets(), DEALER_CALENDARS]


def policy(name: str) -> leadkit.Policy:
    if name != DEALER_CALENDARS:
        return leadkit.Policy.preset(name)
    document = json.loads(leadkit.Policy.preset("abcd").to_json())
    document["calendars"] = {"sh_office": "cn_office", "berlin": BERLIN}
    return leadkit.Policy.from_json(json.dumps(document))


def generate(policy: leadkit.Policy, leads: int = 40, seed: int = 1) -> Tables:
    """Generated tables whose grades are the policy's; when the policy names calendars, the
    dealers table gives the first dealers one each (in name order) and the last none."""
    data = leadkit.synth.generate(leads=leads, dealers=3, seed=seed,
                                  grades=tuple(policy.grades))
    tables = Tables(**data.tables())
    names = sorted(policy.calendars)
    if names:
        dealers = tables.dealers.copy()
        given = [*names, *[None] * len(dealers)][: len(dealers) - 1] + [None]
        dealers["calendar"] = pd.Series(given, dtype=object)
        tables.dealers = dealers
    return tables


#: A consultant of every generated network (the first of the first dealer).
LEAVING = "D001-C01"


Call = Callable[[Tables, leadkit.Policy], Any]

#: Each preset's grades as three_level's, for the backtest's grade changes.
BACKTEST_MAPS = {
    "abcd": {"A": "high", "B": "medium", "C": "low", "D": "low"},
    "oabc": {"O": "high", "A": "high", "B": "medium", "C": "low"},
    "three_level": {"high": "high", "medium": "medium", "low": "low"},
    "funnel": None,  # no map: its grade changes are left out, and the notes say so
}

def _learned(result: leadkit.LearnedScoring) -> dict:
    return {"policy": json.loads(result.policy.to_json()), "fields": result.fields,
            "reason": result.reason, "report": json.loads(result.report_json())}


CALLS: dict[str, Call] = {
    "classify": lambda t, p: leadkit.classify(t.leads, p),
    "route": lambda t, p: leadkit.route(t.leads, t.dealers, t.consultants, p),
    "handover": lambda t, p: leadkit.handover(t.leads, t.dealers, t.consultants, p,
                                              leaving=LEAVING),
    "reclaim": lambda t, p: leadkit.reclaim(t.leads, t.touches, t.dealers, t.consultants, p,
                                            as_of=AS_OF),
    "schedule": lambda t, p: leadkit.schedule(t.leads, t.touches, p, as_of=AS_OF,
                                              dealers=t.dealers),
    "next_actions": lambda t, p: leadkit.next_actions(t.leads, t.touches, p, as_of=AS_OF,
                                                      dealers=t.dealers, explain=True),
    "agenda": lambda t, p: leadkit.agenda(t.leads, t.touches, p, day=dt.date(2025, 12, 30),
                                          dealers=t.dealers),
    "kpis": lambda t, p: leadkit.kpis(t.leads, t.touches, p, surveys=t.surveys,
                                      dealers=t.dealers, by=["channel", "region_id"],
                                      as_of=AS_OF),
    # Without region_id (a join with the dealers) and without a scope: the call the C++ engine
    # reads Arrow streams for itself (docs/data.md, "Arrow streams").
    "kpis_by_month": lambda t, p: leadkit.kpis(t.leads, t.touches, p, surveys=t.surveys,
                                               dealers=t.dealers, by=["channel", "month"],
                                               as_of=AS_OF),
    # One dealer's leads (the engine applies the scope to the streams it reads).
    "kpis_scoped": lambda t, p: leadkit.kpis(t.leads, t.touches, p, surveys=t.surveys,
                                             by=["channel", "month"],
                                             scope=leadkit.Scope.dealer("D001"),
                                             dealers=t.dealers, as_of=AS_OF),
    "lead_kpis": lambda t, p: leadkit.lead_kpis(t.leads, t.touches, p, surveys=t.surveys,
                                                as_of=AS_OF, dealers=t.dealers),
    "KpiState": lambda t, p: leadkit.KpiState(by=["month"]).add(
        t.leads, t.touches, p, surveys=t.surveys, dealers=t.dealers, as_of=AS_OF).finalize(),
    # The preset against three_level: grade changes mapped where the names differ.
    "backtest": lambda t, p: leadkit.backtest(
        t.leads, t.touches, {"history": p, "three_level": leadkit.Policy.preset("three_level")},
        grade_map={"three_level": BACKTEST_MAPS[p.name]}, surveys=t.surveys,
        as_of=AS_OF).to_dict(),
    # The preset beside itself, by region, grade and month, on the dealers' calendars.
    "backtest_by": lambda t, p: leadkit.backtest(
        t.leads, t.touches, {"history": p, "again": p}, surveys=t.surveys, dealers=t.dealers,
        by=["region_id", "grade", "month"], as_of=AS_OF).to_dict(),
    "BacktestState": lambda t, p: leadkit.BacktestState(["history"], by="dealer_id").add(
        t.leads, t.touches, {"history": p}, surveys=t.surveys, dealers=t.dealers,
        as_of=AS_OF).finalize().to_dict(),
    "audit": lambda t, p: leadkit.audit(t.leads, t.touches, p, as_of=AS_OF, dealers=t.dealers),
    "effectiveness": lambda t, p: leadkit.effectiveness(t.leads, t.touches, as_of=AS_OF),
    "effectiveness_action": lambda t, p: leadkit.effectiveness(t.leads, t.touches,
                                                               view="action", as_of=AS_OF),
    "effectiveness_playbook": lambda t, p: leadkit.effectiveness(
        t.leads, t.touches, view="action", as_of=AS_OF, policy=p),
    "funnel": lambda t, p: leadkit.funnel(t.leads, t.touches, p, as_of=AS_OF),
    "grade_migration": lambda t, p: leadkit.grade_migration(t.leads, t.touches, p, start=START,
                                                            end=AS_OF),
    "monthly": lambda t, p: leadkit.monthly(t.leads, t.touches, p,
                                            months=["2025-06", "2025-07"]),
    "pipeline": lambda t, p: leadkit.pipeline(t.leads, t.touches, p, at=AS_OF,
                                              by="channel"),
    "touches_per_won_lead": lambda t, p: leadkit.touches_per_won_lead(t.leads, t.touches,
                                                                      as_of=AS_OF),
    # Reports of local days and hours name the zone: a DuckDB relation gives times in UTC.
    "activity": lambda t, p: leadkit.activity(t.touches, leads=t.leads, as_of=AS_OF, tz=ZONE),
    "showroom": lambda t, p: leadkit.showroom(t.visits, leads=t.leads, as_of=AS_OF, tz=ZONE),
    # One dealer's visits, and a region's leads and their touches (the scope applied by the
    # engine to the streams it reads).
    "showroom_scoped": lambda t, p: leadkit.showroom(
        t.visits, leads=t.leads, by=["day", "model"], scope=leadkit.Scope.dealer("D002"),
        dealers=t.dealers, as_of=AS_OF, tz=ZONE),
    "activity_scoped": lambda t, p: leadkit.activity(
        t.touches, leads=t.leads, by=["dealer_id", "week"], scope=leadkit.Scope.region("R1"),
        dealers=t.dealers, tz=ZONE),
    "lost_analysis": lambda t, p: leadkit.lost_analysis(t.leads, policy=p, as_of=AS_OF),
    "profile": lambda t, p: leadkit.profile(t.leads, by="channel", as_of=AS_OF),
    # A region's leads, through the dealers table; the periods in lost_at's own zone.
    "lost_analysis_scoped": lambda t, p: leadkit.lost_analysis(
        t.leads, by=["week", "dealer_id"], scope=leadkit.Scope.region("R1"), dealers=t.dealers,
        as_of=AS_OF),
    "profile_scoped": lambda t, p: leadkit.profile(t.leads, by=["age_band", "gender"],
                                                   scope=leadkit.Scope.dealer("D002"),
                                                   dealers=t.dealers),
    "scorecard": lambda t, p: leadkit.scorecard(
        leadkit.kpis(t.leads, t.touches, p, by="consultant_id", as_of=AS_OF),
        {"first_contact_timeliness_rate": 0.5, "conversion_rate": 0.5}),
    "report": lambda t, p: leadkit.report.build(
        t.leads, t.touches, p, surveys=t.surveys, visits=t.visits, dealers=t.dealers,
        as_of=AS_OF).to_dict(),
    "plot.first_contact_minutes": lambda t, p: leadkit.plot.first_contact_minutes(
        t.leads, t.touches, p, as_of=AS_OF, dealers=t.dealers),
    "plot.traffic_counts": lambda t, p: leadkit.plot.traffic_counts(t.visits, ZONE,
                                                                      as_of=AS_OF),
    "plot.funnel_counts": lambda t, p: leadkit.plot.funnel_counts(t.leads, t.touches,
                                                                  t.visits, policy=p,
                                                                  as_of=AS_OF),
    "plot.lost_reason_counts": lambda t, p: leadkit.plot.lost_reason_counts(t.leads,
                                                                            as_of=AS_OF),
}

# learn_scoring fits with scikit-learn, the optional extra leadkit[learn]: listed where it is
# installed (the test environment), left out of a bare install. Forty leads teach little: the
# result is often the base policy with its reason.
try:
    import sklearn  # noqa: F401
except ImportError:
    pass
else:
    CALLS["learn_scoring"] = lambda t, p: _learned(leadkit.learn_scoring(
        t.leads, as_of=AS_OF, base=p, min_outcomes=1, min_item_leads=1,
        on_insufficient="base"))

#: Calls that return one row per input lead, in input order.
ROWS = {"classify", "route", "lead_kpis"}
