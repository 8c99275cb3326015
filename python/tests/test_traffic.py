"""leadkit.showroom and leadkit.activity: hand-worked tables, local times, scopes, bad input,
a plain reference implementation, and the merge property of their states."""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
from leadkit import Scope
from leadkit.synth import generate
from times import SH, ts


def visits_table() -> pd.DataFrame:
    return pd.DataFrame({
        "visit_id": ["V1", "V2", "V3", "V4", "V5"],
        "dealer_id": ["D1", "D1", "D1", "D2", "D2"],
        "arrived_at": [ts("2024-06-01 10:15"), ts("2024-06-01 10:40"), ts("2024-06-01 14:05"),
                       ts("2024-06-02 10:20"), ts("2024-06-02 15:00")],
        "left_at": [ts("2024-06-01 10:45"), ts("2024-06-01 11:30"), pd.NaT,
                    ts("2024-06-02 10:30"), ts("2024-06-02 16:10")],
        "lead_id": ["L1", None, "L2", "L3", "L4"],
        "consultant_id": ["C1", "C1", "C2", "C3", "C3"],
        "effective": [True, False, True, None, True],
        "model": ["C200", "GLC", "C200", "GLC", None],
    })


def visit_leads() -> pd.DataFrame:
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4"],
        "created_at": [ts("2024-05-20 10:00")] * 4,
        "status": ["won", "lost", None, "won"],
    })


DEALERS = pd.DataFrame({"dealer_id": ["D1", "D2", "D3"], "region_id": ["R1", "R2", "R1"]})


# --- showroom: hand-worked ---------------------------------------------------------------

def test_showroom_overall_by_hand():
    out = leadkit.showroom(visits_table(), leads=visit_leads())
    # 5 visits; V2 left no lead; V1, V3, V5 effective (V4's null is not effective); V1 (L1)
    # and V5 (L4) belong to won leads; stays 30, 50, 10, 70 minutes (V3 has no left_at);
    # models C200 x2, GLC x2: a tie, by name.
    assert list(out.columns) == [
        "visits", "with_contact", "contact_share", "effective", "effective_share", "won",
        "visit_to_deal_rate", "avg_stay_minutes", "top_models"]
    row = out.iloc[0]
    assert len(out) == 1
    assert (row["visits"], row["with_contact"], row["effective"], row["won"]) == (5, 4, 3, 2)
    assert row["contact_share"] == pytest.approx(4 / 5)
    assert row["effective_share"] == pytest.approx(3 / 5)
    assert row["visit_to_deal_rate"] == pytest.approx(2 / 5)
    assert row["avg_stay_minutes"] == pytest.approx((30 + 50 + 10 + 70) / 4)
    assert row["top_models"] == "C200;GLC"


def test_showroom_by_hour_by_hand():
    out = leadkit.showroom(visits_table(), leads=visit_leads(), by="hour")
    assert out["hour"].tolist() == [10, 14, 15]
    assert out["visits"].tolist() == [3, 1, 1]           # V1 V2 V4 | V3 | V5
    assert out["with_contact"].tolist() == [2, 1, 1]     # V2 has no lead
    assert out["effective"].tolist() == [1, 1, 1]        # V1 | V3 | V5
    assert out["won"].tolist() == [1, 0, 1]              # L1 | L2 lost | L4
    np.testing.assert_allclose(out["contact_share"], [2 / 3, 1, 1])
    np.testing.assert_allclose(out["visit_to_deal_rate"], [1 / 3, 0, 1])
    # 10 o'clock: (30 + 50 + 10) / 3; V3 left no time: NaN; V5 stayed 70.
    np.testing.assert_allclose(out["avg_stay_minutes"], [30, np.nan, 70])
    # 10 o'clock: GLC twice (V2, V4), C200 once; V5 named no model.
    assert out["top_models"].tolist() == ["GLC;C200", "C200", None]


def test_showroom_by_dealer_and_top_models_count():
    out = leadkit.showroom(visits_table(), leads=visit_leads(), by="dealer_id", top_models=1)
    assert out["dealer_id"].tolist() == ["D1", "D2"]
    assert out["visits"].tolist() == [3, 2]
    assert out["effective_share"].tolist() == [2 / 3, 1 / 2]
    assert out["avg_stay_minutes"].tolist() == [40.0, 40.0]   # (30+50)/2 and (10+70)/2
    assert out["top_models"].tolist() == ["C200", "GLC"]


def test_showroom_is_a_point_in_time():
    leads = visit_leads().assign(won_at=[ts("2024-06-01 12:00"), pd.NaT, pd.NaT,
                                         ts("2024-06-03 09:00")])
    out = leadkit.showroom(visits_table(), leads=leads, by="dealer_id",
                           as_of=ts("2024-06-02 10:25"))
    # D1: V1-V3 all before as_of; L1 won at 06-01 12:00: V1 counts as a deal. Stays 30, 50.
    # D2: only V4 has arrived (V5 at 15:00 is later); its departure (10:30) is after as_of,
    # so its stay is unknown; L3 is open. L4's win (06-03) is still ahead anyway.
    assert out["dealer_id"].tolist() == ["D1", "D2"]
    assert out["visits"].tolist() == [3, 1]
    assert out["won"].tolist() == [1, 0]
    assert out["avg_stay_minutes"].iloc[0] == 40
    assert np.isnan(out["avg_stay_minutes"].iloc[1])
    # By default as_of is the latest timestamp (the win at 06-03 09:00): all as before.
    assert leadkit.showroom(visits_table(), leads=leads, by="dealer_id")["won"].tolist() \
        == [1, 1]


def test_showroom_without_leads_has_no_deal_columns():
    out = leadkit.showroom(visits_table(), by="consultant_id")
    assert "won" not in out.columns and "visit_to_deal_rate" not in out.columns
    assert out["consultant_id"].tolist() == ["C1", "C2", "C3"]
    assert out["visits"].tolist() == [2, 1, 2]


def test_showroom_null_keys_are_a_group_sorted_last():
    visits = visits_table()
    visits.loc[[0, 3], "consultant_id"] = None
    out = leadkit.showroom(visits, by="consultant_id")
    assert out["consultant_id"].tolist() == ["C1", "C2", "C3", None]
    assert out["visits"].tolist() == [1, 1, 1, 2]
    assert out["visits"].sum() == len(visits)


def test_showroom_weekday_and_day_are_local():
    # 2024-06-01 is a Saturday (ISO 6), 2024-06-02 a Sunday (7).
    out = leadkit.showroom(visits_table(), by=["day", "weekday"])
    assert out[["day", "weekday"]].values.tolist() == [["2024-06-01", 6], ["2024-06-02", 7]]
    # 17:30 UTC on Saturday is 01:30 on Sunday in Shanghai.
    late = pd.DataFrame({"visit_id": ["X"], "dealer_id": ["D1"],
                         "arrived_at": [ts("2024-06-01 17:30", "UTC")]})
    own = leadkit.showroom(late, by=["day", "weekday", "hour"])
    assert own[["day", "weekday", "hour"]].values.tolist() == [["2024-06-01", 6, 17]]
    local = leadkit.showroom(late, by=["day", "weekday", "hour"], tz=SH)
    assert local[["day", "weekday", "hour"]].values.tolist() == [["2024-06-02", 7, 1]]


def test_showroom_naive_times_need_tz():
    naive = visits_table().assign(arrived_at=lambda f: f["arrived_at"].dt.tz_localize(None),
                                  left_at=lambda f: f["left_at"].dt.tz_localize(None))
    with pytest.raises(ValueError, match=r"visits\.arrived_at: timestamps without a time zone"):
        leadkit.showroom(naive)
    out = leadkit.showroom(naive, by="hour", tz=SH)
    assert out["hour"].tolist() == [10, 14, 15]


def test_showroom_empty_visits():
    empty = visits_table().iloc[:0]
    out = leadkit.showroom(empty)
    assert out["visits"].tolist() == [0]
    assert math.isnan(out["contact_share"].iloc[0])
    assert out["top_models"].tolist() == [None]
    assert len(leadkit.showroom(empty, by="hour")) == 0


# --- showroom: scopes ----------------------------------------------------------------------

def test_showroom_scopes():
    visits = visits_table()
    visits.loc[4, "dealer_id"] = None                     # V5 has no dealer
    hq = leadkit.showroom(visits, by="dealer_id", scope=Scope.hq())
    assert hq["dealer_id"].tolist() == ["D1", "D2", None]
    dealer = leadkit.showroom(visits, scope=Scope.dealer("D2"))
    assert dealer["visits"].tolist() == [1]               # V4 only
    region = leadkit.showroom(visits, by="dealer_id", scope=Scope.region("R1"), dealers=DEALERS)
    assert region["dealer_id"].tolist() == ["D1"]
    assert region["visits"].tolist() == [3]


def test_showroom_empty_scope_gives_zero_not_other_data():
    out = leadkit.showroom(visits_table(), scope=Scope.dealer("D3"), dealers=DEALERS)
    assert out["visits"].tolist() == [0]
    assert math.isnan(out["effective_share"].iloc[0])
    assert len(leadkit.showroom(visits_table(), by="hour", scope=Scope.dealer("D3"),
                                dealers=DEALERS)) == 0


def test_showroom_scope_errors():
    with pytest.raises(KeyError, match="unknown dealer 'D9'"):
        leadkit.showroom(visits_table(), scope=Scope.dealer("D9"))
    with pytest.raises(KeyError, match="unknown region 'R9'"):
        leadkit.showroom(visits_table(), scope=Scope.region("R9"), dealers=DEALERS)
    with pytest.raises(ValueError, match="Scope.region needs the dealers table"):
        leadkit.showroom(visits_table(), scope=Scope.region("R1"))
    with pytest.raises(TypeError, match="scope: expected a leadkit.Scope"):
        leadkit.showroom(visits_table(), scope="D1")


# --- showroom: bad input -------------------------------------------------------------------

def test_showroom_bad_input():
    visits = visits_table()
    with pytest.raises(ValueError, match='missing required column "arrived_at"; did you mean '
                                         '"arived_at"'):
        leadkit.showroom(visits.rename(columns={"arrived_at": "arived_at"}))
    with pytest.raises(ValueError, match=r"visits\.visit_id: 'V1' is given twice"):
        leadkit.showroom(visits.assign(visit_id=["V1", "V1", "V3", "V4", "V5"]))
    with pytest.raises(ValueError, match=r"visits\.visit_id: row 2 has no id"):
        leadkit.showroom(visits.assign(visit_id=["V1", "V2", None, "V4", "V5"]))
    early = visits.copy()
    early.loc[1, "left_at"] = ts("2024-06-01 10:00")
    with pytest.raises(ValueError, match=r"visits\.left_at: visit_id='V2' \(row 1\) left at "
                                         r"2024-06-01T10:00:00\+08:00, before it arrived"):
        leadkit.showroom(early)
    with pytest.raises(ValueError, match=r"visits\.lead_id: visit_id='V4' \(row 3\) has 'L3', "
                                         "which is not in leads"):
        leadkit.showroom(visits, leads=visit_leads().iloc[[0, 1, 3]])
    with pytest.raises(ValueError, match=r"visits\.effective: visit_id='V1' \(row 0\) has "
                                         "'yes'"):
        leadkit.showroom(visits.assign(effective=["yes", "no", None, None, None]))
    with pytest.raises(ValueError, match=r"visits\.dealer_id: visit_id='V1' \(row 0\) has 7"):
        leadkit.showroom(visits.assign(dealer_id=[7, 7, 7, 8, 8]))
    missing = visits.copy()
    missing.loc[2, "arrived_at"] = pd.NaT
    with pytest.raises(ValueError, match=r"visits\.arrived_at: visit_id='V3' \(row 2\) has no "
                                         "time"):
        leadkit.showroom(missing)
    with pytest.raises(ValueError, match="by: cannot group by 'hours'; did you mean \"hour\""):
        leadkit.showroom(visits, by="hours")
    with pytest.raises(ValueError, match="by: a column is named twice"):
        leadkit.showroom(visits, by=["hour", "hour"])
    with pytest.raises(KeyError, match="tz: unknown time zone 'Asia/Shangai'"):
        leadkit.showroom(visits, tz="Asia/Shangai")
    with pytest.raises(ValueError, match="top_models: expected 1 or more, got 0"):
        leadkit.showroom(visits, top_models=0)
    with pytest.raises(ValueError, match=r"leads\.status: lead_id='L1' \(row 0\) has 'sold'"):
        leadkit.showroom(visits, leads=visit_leads().assign(status=["sold", None, None, None]))
    with pytest.raises(ValueError, match=r"leads\.lead_id: 'L1' is given twice"):
        leadkit.showroom(visits, leads=visit_leads().assign(lead_id=["L1", "L1", "L3", "L4"]))
    with pytest.raises(TypeError, match="visits: expected a pandas DataFrame"):
        leadkit.showroom("visits.csv")


def test_showroom_accepts_list_of_dicts():
    records = visits_table().to_dict("records")
    out = leadkit.showroom(records, by="dealer_id")
    assert out["visits"].tolist() == [3, 2]


# --- activity: hand-worked -----------------------------------------------------------------

def activity_leads() -> pd.DataFrame:
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4"],
        "created_at": [ts("2024-06-03 08:50"), ts("2024-06-04 10:00"), ts("2024-06-03 19:00"),
                       ts("2024-06-04 11:00")],
        "assigned_at": [ts("2024-06-03 09:00"), pd.NaT, ts("2024-06-03 20:00"), pd.NaT],
        "channel": ["website"] * 4,
        "dealer_id": ["D1", "D1", "D2", None],
        "consultant_id": ["C1", "C1", "C2", None],
    })


def activity_touches() -> pd.DataFrame:
    return pd.DataFrame({
        "lead_id": ["L1", "L1", "L2", "L1", "L3", "L4"],
        "at": [ts("2024-06-03 09:30"), ts("2024-06-03 15:00"), ts("2024-06-04 10:30"),
               ts("2024-06-04 16:00"), ts("2024-06-04 09:00"), ts("2024-06-04 12:00")],
        "method": ["phone", "wechat", "phone", "fax", "phone", "sms"],
        "consultant_id": ["C1", "C1", "C1", "C1", "C2", None],
    })


def test_activity_by_hand():
    out = leadkit.activity(activity_touches(), leads=activity_leads())
    assert list(out.columns) == [
        "consultant_id", "day", "contacts", "contacts_phone", "contacts_wechat", "contacts_sms",
        "contacts_email", "contacts_visit", "contacts_event", "contacts_fax", "leads_touched",
        "new_leads"]
    # C1 on 06-03: L1 by phone and WeChat; L1 assigned that day.
    # C1 on 06-04: L2 by phone, L1 by fax; L2 unassigned, created that day.
    # C2 on 06-03: no touch; L3 assigned that day.  C2 on 06-04: L3 by phone.
    # No consultant on 06-04: L4 by SMS; L4 (no consultant) created that day.
    expected = pd.DataFrame({
        "consultant_id": pd.Series(["C1", "C1", "C2", "C2", None], dtype=object),
        "day": pd.Series(["2024-06-03", "2024-06-04", "2024-06-03", "2024-06-04", "2024-06-04"],
                         dtype=object),
        "contacts": [2, 2, 0, 1, 1],
        "contacts_phone": [1, 1, 0, 1, 0],
        "contacts_wechat": [1, 0, 0, 0, 0],
        "contacts_sms": [0, 0, 0, 0, 1],
        "contacts_email": [0] * 5, "contacts_visit": [0] * 5, "contacts_event": [0] * 5,
        "contacts_fax": [0, 1, 0, 0, 0],
        "leads_touched": [1, 2, 0, 1, 1],
        "new_leads": [1, 1, 1, 0, 1],
    })
    pd.testing.assert_frame_equal(out, expected)


def test_activity_is_a_point_in_time():
    out = leadkit.activity(activity_touches(), leads=activity_leads(), by="consultant_id",
                           as_of=ts("2024-06-04 10:45"))
    # By 06-04 10:45: C1 touched L1 twice (06-03) and L2 (10:30); the fax at 16:00 is later.
    # C2 touched L3 at 09:00. L4's SMS (12:00) and L4 itself (11:00) are later.
    # New leads: L1 (06-03 09:00), L2 (06-04 10:00) for C1; L3 (06-03 20:00) for C2.
    assert out["consultant_id"].tolist() == ["C1", "C2"]
    assert out["contacts"].tolist() == [3, 1]
    assert out["contacts_fax"].tolist() == [0, 0]
    assert out["leads_touched"].tolist() == [2, 1]
    assert out["new_leads"].tolist() == [2, 1]


def test_activity_without_leads_and_totals():
    out = leadkit.activity(activity_touches(), by=None)
    assert "new_leads" not in out.columns
    assert out[["contacts", "contacts_phone", "contacts_fax", "leads_touched"]].values.tolist() \
        == [[6, 3, 1, 4]]
    assert leadkit.activity(activity_touches(), by="consultant_id")["leads_touched"].tolist() \
        == [2, 1, 1]


def test_activity_month_week_and_dealer():
    out = leadkit.activity(activity_touches(), leads=activity_leads(), by=["dealer_id", "week"])
    # 2024-06-03 is the Monday of ISO week 23.
    assert out["dealer_id"].tolist() == ["D1", "D2", None]
    assert out["week"].tolist() == ["2024-W23"] * 3
    assert out["contacts"].tolist() == [4, 1, 1]
    assert out["new_leads"].tolist() == [2, 1, 1]
    month = leadkit.activity(activity_touches(), by="month")
    assert month[["month", "contacts"]].values.tolist() == [["2024-06", 6]]


def test_activity_days_follow_tz():
    touches = pd.DataFrame({"lead_id": ["L1"], "at": [ts("2024-06-03 17:00", "UTC")],
                            "method": ["phone"], "consultant_id": ["C1"]})
    assert leadkit.activity(touches)["day"].tolist() == ["2024-06-03"]
    assert leadkit.activity(touches, tz=SH)["day"].tolist() == ["2024-06-04"]
    # The leads' times are read in the touches' zone too: L1 assigned 01:00 on 06-04 local.
    leads = activity_leads().iloc[[0]].assign(assigned_at=[ts("2024-06-04 01:00")])
    out = leadkit.activity(touches, leads=leads)    # zone of touches.at: UTC
    assert out[["day", "contacts", "new_leads"]].values.tolist() == [["2024-06-03", 1, 1]]


def test_activity_scopes():
    leads, touches = activity_leads(), activity_touches()
    d1 = leadkit.activity(touches, leads=leads, scope=Scope.dealer("D1"), by="consultant_id")
    assert d1["consultant_id"].tolist() == ["C1"]
    assert d1[["contacts", "new_leads"]].values.tolist() == [[4, 2]]
    r2 = leadkit.activity(touches, leads=leads, scope=Scope.region("R2"), dealers=DEALERS,
                          by=None)
    assert r2[["contacts", "leads_touched", "new_leads"]].values.tolist() == [[1, 1, 1]]
    empty = leadkit.activity(touches, leads=leads, scope=Scope.dealer("D3"), dealers=DEALERS,
                             by=None)
    assert empty[["contacts", "leads_touched", "new_leads"]].values.tolist() == [[0, 0, 0]]
    hq = leadkit.activity(touches, leads=leads, by=None)   # L4 (no dealer) only at HQ
    assert hq["contacts"].tolist() == [6]
    with pytest.raises(ValueError, match="needs the leads table"):
        leadkit.activity(touches, scope=Scope.dealer("D1"))
    with pytest.raises(KeyError, match="unknown dealer 'D7'"):
        leadkit.activity(touches, leads=leads, scope=Scope.dealer("D7"))


def test_activity_bad_input():
    touches, leads = activity_touches(), activity_leads()
    with pytest.raises(ValueError, match='touches: missing required column "method"; did you '
                                         'mean "methods"'):
        leadkit.activity(touches.rename(columns={"method": "methods"}))
    with pytest.raises(ValueError, match=r"touches\.lead_id: row 5 has 'L4', which is not in "
                                         "leads"):
        leadkit.activity(touches, leads=leads.iloc[:3])
    with pytest.raises(ValueError, match=r"touches\.method: lead_id='L2' \(row 2\) has no "
                                         "method"):
        leadkit.activity(touches.assign(method=["phone", "sms", None, "sms", "sms", "sms"]))
    with pytest.raises(ValueError, match=r"touches\.at: lead_id='L1' \(row 0\) has "
                                         "'yesterday'"):
        leadkit.activity(touches.assign(at=["yesterday"] * 6))
    with pytest.raises(ValueError, match="by: dealer_id needs the leads table"):
        leadkit.activity(touches, by="dealer_id")
    with pytest.raises(ValueError, match="by: cannot group by 'consultant'; did you mean "
                                         '"consultant_id"'):
        leadkit.activity(touches, by="consultant")
    with pytest.raises(ValueError, match=r"leads: missing required column \"created_at\""):
        leadkit.activity(touches, leads=leads.drop(columns="created_at"))
    with pytest.raises(ValueError, match=r"leads\.lead_id: 'L1' is given twice"):
        leadkit.activity(touches, leads=leads.assign(lead_id=["L1", "L1", "L3", "L4"]))


# --- against a plain implementation on sample data -----------------------------------------

@functools.lru_cache(maxsize=None)
def sample():
    return generate(leads=300, dealers=4, seed=7, days=60)


def test_showroom_matches_plain_count():
    data = sample()
    visits, leads = data.visits, data.leads
    status = dict(zip(leads["lead_id"], leads["status"]))
    groups = defaultdict(lambda: {"visits": 0, "contact": 0, "effective": 0, "won": 0,
                                  "stay": [], "models": Counter()})
    for row in visits.itertuples():
        arrived = row.arrived_at.tz_convert(SH)
        g = groups[(row.dealer_id, arrived.hour)]
        g["visits"] += 1
        g["contact"] += row.lead_id is not None
        g["effective"] += bool(row.effective)
        g["won"] += row.lead_id is not None and status[row.lead_id] == "won"
        g["stay"].append((row.left_at - row.arrived_at).total_seconds() / 60)
        g["models"][row.model] += 1
    out = leadkit.showroom(visits, leads=leads, by=["dealer_id", "hour"])
    assert [tuple(k) for k in out[["dealer_id", "hour"]].values] == sorted(groups)
    for row in out.itertuples():
        g = groups[(row.dealer_id, row.hour)]
        assert (row.visits, row.with_contact, row.effective, row.won) == (
            g["visits"], g["contact"], g["effective"], g["won"])
        assert row.avg_stay_minutes == pytest.approx(sum(g["stay"]) / len(g["stay"]), abs=1e-9)
        best = sorted(g["models"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert row.top_models == ";".join(m for m, _ in best)


def test_activity_matches_plain_count():
    data = sample()
    touches, leads = data.touches, data.leads
    contacts, touched, new = Counter(), defaultdict(set), Counter()
    for row in touches.itertuples():
        key = (row.consultant_id if isinstance(row.consultant_id, str) else None,
               row.at.tz_convert(SH).strftime("%Y-%m-%d"))
        contacts[key + (row.method,)] += 1
        touched[key].add(row.lead_id)
    for row in leads.itertuples():
        received = row.assigned_at if not pd.isna(row.assigned_at) else row.created_at
        consultant = row.consultant_id if isinstance(row.consultant_id, str) else None
        new[(consultant, received.tz_convert(SH).strftime("%Y-%m-%d"))] += 1
    out = leadkit.activity(touches, leads=leads)
    keys = set(touched) | set(new)
    assert len(out) == len(keys)
    for row in out.itertuples():
        key = (row.consultant_id, row.day)
        for method in leadkit.reports._traffic.METHODS:
            assert getattr(row, f"contacts_{method}") == contacts[key + (method,)]
        assert row.contacts == sum(contacts[key + (m,)] for m in leadkit.reports._traffic.METHODS)
        assert row.leads_touched == len(touched[key])
        assert row.new_leads == new[key]


# --- mergeable states ----------------------------------------------------------------------

def split(data, parts: int, seed: int):
    """Leads into `parts` batches at random; visits and touches follow their lead; walk-ins
    land anywhere."""
    rng = np.random.default_rng(seed)
    lead_part = pd.Series(rng.integers(0, parts, len(data.leads)),
                          index=data.leads["lead_id"].to_numpy())
    touch_part = lead_part.reindex(data.touches["lead_id"].to_numpy()).to_numpy()
    visit_lead = data.visits["lead_id"]
    visit_part = np.where(visit_lead.notna(),
                          lead_part.reindex(visit_lead.fillna("").to_numpy()).fillna(0),
                          rng.integers(0, parts, len(data.visits))).astype(int)
    for part in range(parts):
        yield (data.leads[lead_part.to_numpy() == part], data.touches[touch_part == part],
               data.visits[visit_part == part])


SPLITS = dict(parts=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))


@settings(max_examples=25, deadline=None)
@given(by=st.sampled_from([None, "hour", ["dealer_id", "weekday"], ["consultant_id", "day"],
                           "model"]), **SPLITS)
def test_showroom_states_merge_to_the_whole(by, parts, seed):
    data = sample()
    kwargs = dict(by=by, scope=Scope.region("R1"), dealers=data.dealers)
    whole = leadkit.showroom(data.visits, leads=data.leads, **kwargs)
    with pytest.deprecated_call():
        states = [leadkit.showroom_state(v, leads=l, **kwargs)
                  for l, _, v in split(data, parts, seed)]
    states.reverse()
    with pytest.deprecated_call():
        merged = leadkit.showroom_finalize(leadkit.showroom_merge(states))
    pd.testing.assert_frame_equal(merged, whole)


@settings(max_examples=25, deadline=None)
@given(by=st.sampled_from([None, ("consultant_id", "day"), "dealer_id", ["month", "dealer_id"]]),
       **SPLITS)
def test_activity_states_merge_to_the_whole(by, parts, seed):
    data = sample()
    whole = leadkit.activity(data.touches, leads=data.leads, by=by)
    with pytest.deprecated_call():
        states = [leadkit.activity_state(t, leads=l, by=by)
                  for l, t, _ in split(data, parts, seed)]
        merged = leadkit.activity_finalize(leadkit.activity_merge(states[::-1]))
    pd.testing.assert_frame_equal(merged, whole)


def test_activity_merge_fills_methods_a_batch_lacks():
    touches = activity_touches()
    l1 = (touches["lead_id"] == "L1").to_numpy()
    with pytest.deprecated_call():
        first = leadkit.activity_state(touches[~l1], by="consultant_id")  # no WeChat, no fax
        second = leadkit.activity_state(touches[l1], by="consultant_id")
        merged = leadkit.activity_finalize(leadkit.activity_merge([first, second]))
    pd.testing.assert_frame_equal(merged, leadkit.activity(touches, by="consultant_id"))


def test_merge_rejects_other_states():
    with pytest.deprecated_call():
        visits = leadkit.showroom_state(visits_table())
        touches = leadkit.activity_state(activity_touches())
        hours = leadkit.showroom_state(visits_table(), by="hour")
    with pytest.raises(ValueError, match=r"states\[1\]: not a showroom state"), \
            pytest.deprecated_call():
        leadkit.showroom_merge([visits, touches])
    with pytest.raises(ValueError, match="states: grouped by"), pytest.deprecated_call():
        leadkit.showroom_merge([visits, hours])
    with pytest.raises(ValueError, match="nothing to merge"), pytest.deprecated_call():
        leadkit.activity_merge([])
