"""Pipeline reports: pipeline, grade_migration, monthly, funnel, touches_per_won_lead.

Expected numbers of the hand-worked example are derived in docs/kpis.md ("Pipeline
reports"); random data is checked against a plain per-lead reference written below, against
``leadkit.kpis``, and for every split of the leads merged.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
from leadkit import PipelineState, Policy, Scope
from texts import texts
from times import SH, ts

OABC = Policy.preset("oabc")
GRADES = ["O", "A", "B", "C"]
TARGETS = [*GRADES, "won", "lost", "invalid"]
STAGES = ["first_contact", "needs_analysis", "presentation", "objection_handling",
          "negotiation", "won"]


AT = ts("2024-06-20 12:00")


def example():
    """The example of docs/kpis.md, "Pipeline reports"."""
    leads = pd.DataFrame({
        "lead_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"],
        "created_at": [ts("2024-05-10 10:00"), ts("2024-05-15 10:00"), ts("2024-05-20 10:00"),
                       ts("2024-05-25 10:00"), ts("2024-06-02 10:00"), ts("2024-06-04 10:00"),
                       ts("2024-06-07 10:00"), ts("2024-06-25 10:00")],
        "channel": ["website"] * 8,
        "dealer_id": ["D1", "D1", "D2", "D2", "D1", None, "D1", "D2"],
        "grade": ["B", "C", "B", "C", "A", None, "C", "C"],
        "deposit_paid": [False, False, False, False, False, True, False, False],
        "status": ["open", "won", "lost", "lost", "lost", None, "invalid", "open"],
        "won_at": [pd.NaT, ts("2024-06-10 15:00"), pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.NaT,
                   pd.NaT],
        "lost_at": [pd.NaT, pd.NaT, ts("2024-06-03 10:00"), ts("2024-06-08 10:00"),
                    ts("2024-06-06 10:00"), pd.NaT, pd.NaT, pd.NaT],
        "lost_review": [None, None, "approved", "pending", "rejected", None, None, None],
        "sales_stage": ["negotiation", "won", "lost", "presentation", "needs_analysis", None,
                        None, None],
    })
    touches = pd.DataFrame({
        "lead_id": ["P1", "P1", "P2", "P2", "P2", "P2", "P3", "P5"],
        "at": [ts("2024-05-20 10:00"), ts("2024-06-05 10:00"), ts("2024-05-16 10:00"),
               ts("2024-06-01 10:00"), ts("2024-06-10 09:00"), ts("2024-06-12 10:00"),
               ts("2024-05-21 10:00"), ts("2024-06-02 11:00")],
        "method": ["phone", "phone", "phone", "visit", "phone", "wechat", "phone", "phone"],
        "grade_after": ["A", "O", "B", "A", None, None, None, None],
    })
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2", "D3"], "region_id": ["R1", "R2", "R1"]})
    return leads, touches, dealers


# The hand-worked example ------------------------------------------------------------------

def test_pipeline_hand_worked():
    leads, touches, _ = example()
    out = leadkit.pipeline(leads, touches, OABC, at=AT)
    expected = pd.DataFrame({"grade": GRADES, "open_leads": [2, 1, 0, 0],
                             "share": [2 / 3, 1 / 3, 0.0, 0.0]})
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)


def test_pipeline_by_dealer_has_every_grade_and_the_null_group_last():
    leads, touches, _ = example()
    out = leadkit.pipeline(leads, touches, OABC, at=AT, by="dealer_id")
    assert texts(out["dealer_id"]) == ["D1"] * 4 + ["D2"] * 4 + [None] * 4
    assert out["grade"].tolist() == GRADES * 3
    assert out["open_leads"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    # D2's leads are all closed: zero open leads, share NaN (not 0, not dropped).
    assert out["share"][4:8].isna().all()
    assert out["share"].tolist()[:4] == [0.5, 0.5, 0.0, 0.0]


def test_grade_migration_hand_worked():
    leads, touches, _ = example()
    out = leadkit.grade_migration(leads, touches, OABC, start=ts("2024-06-01 00:00"), end=AT)
    expected = pd.DataFrame(0, index=pd.Index([*GRADES, "new"], name="from"),
                            columns=pd.Index(TARGETS, name="to"))
    expected.loc["A", "O"] = 1      # P1: A since 05-20, O since 06-05
    expected.loc["B", "won"] = 1    # P2: B since 05-16 (A came 06-01 10:00, after start)
    expected.loc["B", "lost"] = 1   # P3
    expected.loc["C", "lost"] = 1   # P4, review pending: lost
    expected.loc["new", "A"] = 1    # P5, review rejected: open
    expected.loc["new", "O"] = 1    # P6, classified O (deposit paid)
    expected.loc["new", "invalid"] = 1  # P7; P8 is created after end
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)
    long = leadkit.grade_migration(leads, touches, OABC, start=ts("2024-06-01 00:00"), end=AT,
                                   long=True)
    assert list(long.columns) == ["from", "to", "leads"]
    assert len(long) == 5 * 7 and long["leads"].sum() == 7
    pairs = long[long["leads"] > 0][["from", "to"]].apply(tuple, axis=1).tolist()
    assert pairs == [("A", "O"), ("B", "won"), ("B", "lost"), ("C", "lost"), ("new", "O"),
                     ("new", "A"), ("new", "invalid")]


def test_monthly_hand_worked():
    leads, touches, _ = example()
    out = leadkit.monthly(leads, touches, OABC, months=["2024-06", "2024-05"])
    expected = pd.DataFrame({
        "month": ["2024-05", "2024-06"], "carried_over": [0, 4], "new": [4, 3],
        "invalid": [0, 1], "won": [0, 1], "lost": [0, 2], "open_at_end": [4, 4],
        "conversion_rate": [0.0, 1 / 7], "loss_rate": [0.0, 2 / 7]})
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)


def test_funnel_hand_worked():
    leads, touches, _ = example()
    out = leadkit.funnel(leads, touches, OABC, as_of=AT)
    assert list(out.columns) == ["kind", "stage", "leads", "reached", "share_of_leads",
                                 "conversion_from_previous"]
    assert out["kind"].tolist() == ["grade"] * 4 + ["sales_stage"] * 6
    assert out["stage"].tolist() == [*GRADES, *STAGES]
    assert (out["leads"] == 6).all()  # P1–P6: P7 is invalid, P8 created after as_of
    assert out["reached"].tolist() == [2, 3, 3, 2, 4, 4, 3, 2, 2, 1]
    np.testing.assert_allclose(out["share_of_leads"], np.array([2, 3, 3, 2, 4, 4, 3, 2, 2, 1]) / 6)
    np.testing.assert_allclose(
        out["conversion_from_previous"],
        [np.nan, 3 / 2, 3 / 3, 2 / 3, np.nan, 4 / 4, 3 / 4, 2 / 3, 2 / 2, 1 / 2])


def test_touches_per_won_lead_hand_worked():
    leads, touches, _ = example()
    out = leadkit.touches_per_won_lead(leads, touches, as_of=AT)
    # P2's touches up to its win on 06-10 15:00: 05-16, 06-01, 06-10 09:00 (not 06-12).
    assert out.to_dict("records") == [{"won_leads": 1, "touches": 3,
                                       "touches_per_won_lead": 3.0}]
    by = leadkit.touches_per_won_lead(leads, touches, as_of=AT, by="dealer_id")
    assert texts(by["dealer_id"]) == ["D1", "D2", None]
    assert by["won_leads"].tolist() == [1, 0, 0]
    assert by["touches_per_won_lead"].tolist()[0] == 3.0
    assert by["touches_per_won_lead"][1:].isna().all()


# Point-in-time rules ------------------------------------------------------------------------

def one_lead(**columns):
    base = {"lead_id": ["X"], "created_at": [ts("2024-06-01 10:00")], "grade": ["B"]}
    base.update({k: [v] for k, v in columns.items()})
    return pd.DataFrame(base)


def no_touches():
    return pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                         "at": pd.Series([], dtype=f"datetime64[ns, {SH}]"),
                         "method": pd.Series([], dtype=object)})


def open_by_grade(leads, touches, at):
    out = leadkit.pipeline(leads, touches, OABC, at=at)
    return dict(zip(out["grade"], out["open_leads"]))


def test_touches_after_the_instant_are_ignored_and_at_the_instant_count():
    leads, touches, _ = example()
    before = open_by_grade(leads, touches, ts("2024-06-05 09:59:59"))
    at = open_by_grade(leads, touches, ts("2024-06-05 10:00"))
    # P1 is A until its touch at 06-05 10:00 makes it O; P2 (A) and P5 (A) stay, P6 is O.
    assert (before["A"], before["O"]) == (3, 1)
    assert (at["A"], at["O"]) == (2, 2)


@pytest.mark.parametrize("methods, grades, expected", [
    (["phone", "phone"], ["O", "C"], "C"),    # same method: the later grade in policy order
    (["phone", "phone"], ["C", "O"], "C"),
    (["wechat", "phone"], ["O", "C"], "O"),   # by method name first: wechat after phone
    (["phone", "wechat"], ["O", "C"], "C"),
])
def test_equal_touch_times_follow_the_cadence_order_not_the_row_order(methods, grades,
                                                                      expected):
    touches = pd.DataFrame({"lead_id": ["X", "X"], "at": [ts("2024-06-02 10:00")] * 2,
                            "method": methods, "grade_after": grades})
    for rows in (touches, touches.iloc[::-1]):
        assert open_by_grade(one_lead(), rows, ts("2024-06-03"))[expected] == 1


def test_a_touch_at_creation_overrides_the_creation_grade():
    touches = pd.DataFrame({"lead_id": ["X"], "at": [ts("2024-06-01 10:00")],
                            "method": ["phone"], "grade_after": ["A"]})
    assert open_by_grade(one_lead(), touches, ts("2024-06-01 10:00"))["A"] == 1


@pytest.mark.parametrize("columns, at, expected", [
    # won at won_at; before it the lead is open
    ({"status": "won", "won_at": ts("2024-06-10 10:00")}, ts("2024-06-10 09:59"), "open"),
    ({"status": "won", "won_at": ts("2024-06-10 10:00")}, ts("2024-06-10 10:00"), "closed"),
    # no won_at: won from creation on
    ({"status": "won"}, ts("2024-06-01 10:00"), "closed"),
    # a won_at before creation counts at creation: not before the lead exists
    ({"status": "won", "won_at": ts("2024-05-01")}, ts("2024-06-01 10:00"), "closed"),
    ({"status": "lost", "lost_at": ts("2024-06-05"), "lost_review": "pending"}, ts("2024-06-05"),
     "closed"),
    ({"status": "lost", "lost_at": ts("2024-06-05"), "lost_review": "approved"},
     ts("2024-06-04"), "open"),
    ({"status": "lost", "lost_review": None}, ts("2024-06-01 10:00"), "closed"),
    ({"status": "lost", "lost_at": ts("2024-06-05"), "lost_review": "rejected"},
     ts("2025-01-01"), "open"),
    ({"status": "invalid"}, ts("2024-06-01 10:00"), "closed"),
    ({"status": None}, ts("2030-01-01"), "open"),
    ({}, ts("2024-06-01 09:59:59"), "not created"),
])
def test_close_rules(columns, at, expected):
    out = open_by_grade(one_lead(**columns), no_touches(), at)
    assert out["B"] == (1 if expected == "open" else 0)
    migration = leadkit.grade_migration(one_lead(**columns), no_touches(), OABC,
                                        start=ts("2024-05-01"), end=at)
    assert migration.to_numpy().sum() == (0 if expected == "not created" else 1)


def test_naive_instants_need_tz_and_then_read_as_wall_times():
    leads, touches, _ = example()
    with pytest.raises(ValueError, match="at: naive time 2024-06-20T12:00:00; pass an aware"):
        leadkit.pipeline(leads, touches, OABC, at="2024-06-20 12:00")
    naive = leadkit.pipeline(leads, touches, OABC, at="2024-06-20 12:00", tz=SH)
    pd.testing.assert_frame_equal(naive, leadkit.pipeline(leads, touches, OABC, at=AT))
    wall = leads.assign(created_at=leads["created_at"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="leads.created_at: timestamps without a time zone"):
        leadkit.funnel(wall, touches, OABC, as_of=AT)


@pytest.mark.parametrize("value, error, message", [
    (None, ValueError, "at: expected a time, got None"),
    (pd.NaT, ValueError, "at: expected a time, got NaT"),
    ("next week", ValueError, "at: cannot read 'next week' as a time"),
    (20240620, TypeError, "at: expected a time (datetime, Timestamp or ISO text), got int"),
])
def test_bad_instants_name_the_argument(value, error, message):
    leads, touches, _ = example()
    with pytest.raises(error) as raised:
        leadkit.pipeline(leads, touches, OABC, at=value)
    assert message in str(raised.value)
    with pytest.raises(error) as raised:
        leadkit.grade_migration(leads, touches, OABC, start=value, end=AT)
    assert message.replace("at:", "start:") in str(raised.value)


def test_months_are_local_to_the_policy_zone():
    # 2024-06-30 20:00 UTC is 2024-07-01 04:00 in Shanghai: a July lead.
    leads = pd.DataFrame({"lead_id": ["X"], "created_at": [pd.Timestamp("2024-06-30 20:00",
                                                                        tz="UTC")]})
    out = leadkit.monthly(leads, no_touches(), OABC, months=["2024-06", "2024-07"])
    assert out["new"].tolist() == [0, 1]
    assert out["carried_over"].tolist() == [0, 0]
    # A lead created exactly at 00:00 on the 1st is the new month's, not carried over.
    midnight = leads.assign(created_at=[ts("2024-07-01 00:00")])
    out = leadkit.monthly(midnight, no_touches(), OABC, months=["2024-06", "2024-07"])
    assert out[["new", "open_at_end"]].to_numpy().tolist() == [[0, 0], [1, 1]]


def test_months_accept_a_period_range_and_reject_bad_months():
    leads, touches, _ = example()
    text = leadkit.monthly(leads, touches, OABC, months=["2024-05", "2024-06"])
    periods = leadkit.monthly(leads, touches, OABC,
                              months=pd.period_range("2024-05", "2024-06", freq="M"))
    pd.testing.assert_frame_equal(text, periods)
    for bad, message in [(["2024-13"], r"months\[0\]: expected 'YYYY-MM', got '2024-13'"),
                         (["2024-05", 202406], r"months\[1\]: expected 'YYYY-MM', got 202406"),
                         (["2024-05", "2024-05"], "months: '2024-05' is given twice"),
                         (pd.period_range("2024-05-01", periods=2, freq="D"),
                          "is not a monthly period")]:
        with pytest.raises(ValueError, match=message):
            leadkit.monthly(leads, touches, OABC, months=bad)
    with pytest.raises(TypeError, match="months: expected a list"):
        leadkit.monthly(leads, touches, OABC, months=5)


def test_funnel_won_follows_the_point_in_time_rule():
    leads, touches, _ = example()
    # Before P2's win its recorded stage "won" counts as negotiation.
    out = leadkit.funnel(leads, touches, OABC, as_of=ts("2024-06-10 14:00"))
    stages = out[out["kind"] == "sales_stage"].set_index("stage")["reached"]
    assert stages["won"] == 0 and stages["negotiation"] == 2
    # A lead won at as_of reaches every stage whatever its recorded stage.
    won = one_lead(status="won", won_at=ts("2024-06-02"), sales_stage=None)
    out = leadkit.funnel(won, no_touches(), OABC, as_of=ts("2024-06-03"))
    assert out[out["kind"] == "sales_stage"]["reached"].tolist() == [1] * 6


def test_funnel_as_of_defaults_to_the_latest_input_time():
    leads, touches, _ = example()
    latest = ts("2024-06-25 10:00")  # P8's creation is the latest timestamp
    pd.testing.assert_frame_equal(leadkit.funnel(leads, touches, OABC),
                                  leadkit.funnel(leads, touches, OABC, as_of=latest))


# Scopes -------------------------------------------------------------------------------------

def run(report, leads, touches, **kwargs):
    if report == "pipeline":
        return leadkit.pipeline(leads, touches, OABC, at=AT, **kwargs)
    if report == "grade_migration":
        return leadkit.grade_migration(leads, touches, OABC, start=ts("2024-06-01"), end=AT,
                                       **kwargs)
    if report == "monthly":
        return leadkit.monthly(leads, touches, OABC, months=["2024-05", "2024-06"], **kwargs)
    if report == "funnel":
        return leadkit.funnel(leads, touches, OABC, as_of=AT, **kwargs)
    return leadkit.touches_per_won_lead(leads, touches, as_of=AT, **kwargs)


REPORTS = ["pipeline", "grade_migration", "monthly", "funnel", "touches_per_won_lead"]


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("scope, dealer_ids", [
    (Scope.dealer("D1"), {"D1"}), (Scope.region("R2"), {"D2"}), (Scope.region("R1"), {"D1"}),
])
def test_a_scope_sees_its_own_leads_only(report, scope, dealer_ids):
    leads, touches, dealers = example()
    scoped = run(report, leads, touches, scope=scope, dealers=dealers)
    mine = leads[leads["dealer_id"].isin(dealer_ids)]
    alone = run(report, mine, touches[touches["lead_id"].isin(mine["lead_id"])])
    pd.testing.assert_frame_equal(scoped, alone)


@pytest.mark.parametrize("report", REPORTS)
def test_an_empty_scope_gives_zeros_and_nan_rates(report):
    leads, touches, dealers = example()
    out = run(report, leads, touches, scope=Scope.dealer("D3"), dealers=dealers)
    numbers = out.select_dtypes("number")
    rates = {"share", "conversion_rate", "loss_rate", "share_of_leads",
             "conversion_from_previous", "touches_per_won_lead"}
    counts = numbers[[c for c in numbers.columns if c not in rates]]
    assert len(out) > 0 and (counts.to_numpy() == 0).all()
    rates = numbers.drop(columns=counts.columns)
    assert rates.isna().to_numpy().all()


def build(report, leads, touches, **kwargs):
    make = getattr(PipelineState, report)
    if report == "pipeline":
        return make(leads, touches, OABC, at=AT, **kwargs)
    if report == "grade_migration":
        return make(leads, touches, OABC, start=ts("2024-06-01"), end=AT, **kwargs)
    if report == "monthly":
        return make(leads, touches, OABC, months=["2024-05", "2024-06"], **kwargs)
    if report == "funnel":
        return make(leads, touches, OABC, as_of=AT, **kwargs)
    return make(leads, touches, as_of=AT, **kwargs)


@pytest.mark.parametrize("report", REPORTS)
def test_leads_without_a_dealer_are_seen_only_at_headquarters(report):
    leads, touches, dealers = example()
    hq = run(report, leads, touches, dealers=dealers, scope=Scope.hq())
    pd.testing.assert_frame_equal(hq, run(report, leads, touches))
    # Every dealer's scope together is exactly the leads that have a dealer.
    dealer_states = [build(report, leads, touches, dealers=dealers, scope=Scope.dealer(d))
                     for d in ("D1", "D2", "D3")]
    with_dealer = leads[leads["dealer_id"].notna()]
    alone = run(report, with_dealer, touches[touches["lead_id"].isin(with_dealer["lead_id"])])
    pd.testing.assert_frame_equal(PipelineState.merge(dealer_states).finalize(), alone)


def test_the_lead_without_a_dealer_counts_at_headquarters():
    leads, touches, dealers = example()
    hq = leadkit.pipeline(leads, touches, OABC, at=AT)
    regions = [leadkit.pipeline(leads, touches, OABC, at=AT, dealers=dealers,
                                scope=Scope.region(r)) for r in ("R1", "R2")]
    # P6 (no dealer, grade O) is open at HQ only.
    assert hq["open_leads"][0] == 2
    assert regions[0]["open_leads"][0] + regions[1]["open_leads"][0] == 1


@pytest.mark.parametrize("report", REPORTS)
def test_unknown_scope_ids_are_key_errors(report):
    leads, touches, dealers = example()
    with pytest.raises(KeyError, match="unknown region 'R9'"):
        run(report, leads, touches, dealers=dealers, scope=Scope.region("R9"))
    with pytest.raises(KeyError, match="unknown dealer 'D9'"):
        run(report, leads, touches, dealers=dealers, scope=Scope.dealer("D9"))
    with pytest.raises(ValueError, match="Scope.region needs the dealers table"):
        run(report, leads, touches, scope=Scope.region("R1"))
    with pytest.raises(TypeError, match="scope: expected a leadkit.Scope, got str"):
        run(report, leads, touches, scope="D1")


def test_group_by_region():
    leads, touches, dealers = example()
    out = leadkit.pipeline(leads, touches, OABC, at=AT, by="region_id", dealers=dealers)
    assert texts(out["region_id"]) == ["R1"] * 4 + ["R2"] * 4 + [None] * 4
    assert out["open_leads"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    with pytest.raises(ValueError, match="region_id needs the dealers table"):
        leadkit.pipeline(leads, touches, OABC, at=AT, by="region_id")


# Bad input ----------------------------------------------------------------------------------

BAD = [
    (lambda l, t: (l.drop(columns="created_at"), t), 'leads: missing required column "created_at"'),
    (lambda l, t: (l.rename(columns={"created_at": "created"}), t),
     'leads: missing required column "created_at"; did you mean "created"?'),
    (lambda l, t: (l, t.rename(columns={"at": "time"})), 'touches: missing required column "at"'),
    (lambda l, t: (l, t.drop(columns="method")), 'touches: missing required column "method"'),
    (lambda l, t: (l, t.assign(method=["phone", None] + list(t["method"][2:]))),
     'touches row 1: lead_id "P1": method is null'),
    (lambda l, t: (l.assign(lead_id=["P1", "P1", "P3", "P4", "P5", "P6", "P7", "P8"]), t),
     'leads row 1: lead_id "P1" is given twice (first at row 0)'),
    (lambda l, t: (l, t.assign(lead_id=["P1"] * 7 + ["P9"])),
     'touches row 7: lead_id "P9" is not in the leads'),
    (lambda l, t: (l, t.assign(at=[ts("2024-05-01 10:00")] + list(t["at"][1:]))),
     'touches row 0: lead_id "P1": at 2024-05-01T02:00:00Z is before the lead\'s created_at '
     "2024-05-10T02:00:00Z"),
    (lambda l, t: (l.assign(status=["opne"] + list(l["status"][1:])), t),
     'leads row 0: lead_id "P1": unknown status "opne" (open, won, lost, invalid); did you '
     'mean "open"?'),
    (lambda l, t: (l.assign(lost_review=["maybe"] + list(l["lost_review"][1:])), t),
     'leads row 0: lead_id "P1": unknown lost_review "maybe" (pending, approved, rejected)'),
    (lambda l, t: (l.assign(created_at=[pd.NaT] + list(l["created_at"][1:])), t),
     'leads row 0: lead_id "P1": created_at is null'),
    (lambda l, t: (l, t.assign(at=list(t["at"][:2]) + [pd.NaT] + list(t["at"][3:]))),
     'touches row 2: lead_id "P2": at is null'),
    (lambda l, t: (l.assign(won_at="soon"), t),
     "leads.won_at: lead_id='P1' (row 0) has 'soon' (str); expected a timestamp"),
]
GRADE_BAD = [
    (lambda l, t: (l, t.assign(grade_after=["Q"] + list(t["grade_after"][1:]))),
     'touches row 0: lead_id "P1": grade_after "Q" is not one of the policy\'s grades '
     "(O, A, B, C)"),
    (lambda l, t: (l.assign(grade=["hot"] + list(l["grade"][1:])), t),
     'leads row 0: lead_id "P1": grade "hot" is not one of the policy\'s grades (O, A, B, C)'),
]


@pytest.mark.parametrize("report, change, message", [
    (report, change, message) for report in REPORTS
    for change, message in BAD + (GRADE_BAD if report != "touches_per_won_lead" else [])])
def test_bad_input_names_table_row_id_and_value(report, change, message):
    leads, touches, _ = example()
    leads, touches = change(leads, touches)
    with pytest.raises(ValueError) as error:
        run(report, leads, touches)
    assert message in str(error.value)


def test_funnel_checks_sales_stages_and_by_names():
    leads, touches, _ = example()
    with pytest.raises(ValueError, match='lead_id "P1": unknown sales_stage "negociation"'):
        leadkit.funnel(leads.assign(sales_stage=["negociation"] + [None] * 7), touches, OABC)
    with pytest.raises(ValueError, match="by: cannot group by 'chanel'; did you mean \"channel\""):
        leadkit.funnel(leads, touches, OABC, by="chanel")
    with pytest.raises(ValueError, match="by: cannot group by 'phone'"):
        leadkit.pipeline(leads, touches, OABC, at=AT, by="phone")
    with pytest.raises(TypeError, match="policy: expected a leadkit.Policy, got str"):
        leadkit.pipeline(leads, touches, "oabc", at=AT)


def test_migration_start_must_be_before_end():
    leads, touches, _ = example()
    with pytest.raises(ValueError, match="start: 2024-06-20T04:00:00Z is not before end"):
        leadkit.grade_migration(leads, touches, OABC, start=AT, end=AT)


def test_other_table_forms_are_accepted():
    leads, touches, _ = example()
    records = leadkit.pipeline(leads.to_dict("records"), touches.to_dict("records"), OABC,
                               at=AT)
    pd.testing.assert_frame_equal(records, leadkit.pipeline(leads, touches, OABC, at=AT))


# States --------------------------------------------------------------------------------------

def test_states_merge_only_with_their_own_kind():
    leads, touches, _ = example()
    a = PipelineState.pipeline(leads, touches, OABC, at=AT)
    b = PipelineState.pipeline(leads, touches, OABC, at=ts("2024-06-21"))
    with pytest.raises(ValueError, match="merge: states\\[1\\] is a pipeline state"):
        a + b
    with pytest.raises(TypeError, match="merge: states\\[1\\] is a DataFrame"):
        PipelineState.merge([a, a.counts])
    with pytest.raises(ValueError, match="merge: no states given"):
        PipelineState.merge([])
    with pytest.raises(ValueError, match="long: only grade_migration"):
        a.finalize(long=True)
    again = pickle.loads(pickle.dumps(a))
    pd.testing.assert_frame_equal(again.finalize(), a.finalize())
    doubled = (a + a).finalize()
    assert doubled["open_leads"].tolist() == [4, 2, 0, 0]


# Random data: a plain reference, kpis, and any split merged ----------------------------------

DAY = 86400
BASE = ts("2024-04-01 00:00")


def random_inputs(seed: int, n: int):
    rng = np.random.default_rng(seed)
    created = BASE + pd.to_timedelta(rng.integers(0, 90 * DAY, n), unit="s")
    status = rng.choice(np.array(["open", "won", "lost", "invalid", None], dtype=object), n)
    when = created + pd.to_timedelta(rng.integers(-2 * DAY, 40 * DAY, n), unit="s")
    won_at = pd.Series(when).where((status == "won") & (rng.random(n) < 0.85))
    lost_at = pd.Series(when).where((status == "lost") & (rng.random(n) < 0.85))
    review = rng.choice(np.array(["pending", "approved", "rejected", None], dtype=object), n)
    grade = rng.choice(np.array([*GRADES, None], dtype=object), n)
    leads = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "created_at": created,
        "dealer_id": rng.choice(np.array(["D1", "D2", "D3", None], dtype=object), n),
        "channel": rng.choice(np.array(["website", "showroom", None], dtype=object), n),
        "grade": grade,
        "purchase_within_days": rng.choice([5.0, 20.0, 60.0, np.nan], n),
        "deposit_paid": rng.random(n) < 0.1,
        "status": status,
        "won_at": won_at.to_numpy(),
        "lost_at": lost_at.to_numpy(),
        "lost_review": np.where(status == "lost", review, None),
        "sales_stage": rng.choice(np.array([*STAGES, "lost", None], dtype=object), n),
    })
    per_lead = rng.integers(0, 5, n)
    rows = np.repeat(np.arange(n), per_lead)
    offsets = rng.integers(0, 30 * DAY, len(rows))
    offsets[rng.random(len(rows)) < 0.15] = 0  # touches at the creation instant
    at = created[rows] + pd.to_timedelta(offsets, unit="s")
    touches = pd.DataFrame({
        "lead_id": leads["lead_id"].to_numpy()[rows],
        "at": at,
        "method": rng.choice(["phone", "wechat", "visit"], len(rows)),
        "grade_after": rng.choice(np.array([*GRADES, None, None], dtype=object), len(rows)),
    })
    if len(touches) > 2:  # equal times: method names, then grades decide
        touches.loc[1, "lead_id"] = touches.loc[0, "lead_id"]
        touches.loc[1, "at"] = touches.loc[0, "at"]
    return leads, touches.sample(frac=1, random_state=seed).reset_index(drop=True)


def _value(row, column):
    value = row.get(column)
    return None if value is None or pd.isna(value) else value


def reference_states(leads, touches, t):
    """Per lead: None (created after t) or its state at t, one lead at a time."""
    out = {}
    for _, row in leads.iterrows():
        created = row["created_at"]
        if created > t:
            out[row["lead_id"]] = None
            continue
        status = _value(row, "status") or "open"
        if status == "invalid":
            out[row["lead_id"]] = "invalid"
            continue
        won_at = _value(row, "won_at")
        if status == "won" and max(won_at or created, created) <= t:
            out[row["lead_id"]] = "won"
            continue
        lost_at = _value(row, "lost_at")
        review = _value(row, "lost_review")
        if status == "lost" and review != "rejected" and max(lost_at or created, created) <= t:
            out[row["lead_id"]] = "lost"
            continue
        out[row["lead_id"]] = reference_grades(row, touches, t)[-1]
    return out


def reference_grades(row, touches, t):
    """The grades in force from creation to t, in order."""
    grade = _value(row, "grade")
    if grade is None:
        lead = {"deposit_paid": bool(row["deposit_paid"])}
        if _value(row, "purchase_within_days") is not None:
            lead["purchase_within_days"] = row["purchase_within_days"]
        grade = OABC.classify(lead).grade
    history = [grade]
    mine = touches[touches["lead_id"] == row["lead_id"]]
    changes = sorted((touch["at"], touch["method"], GRADES.index(touch["grade_after"]))
                     for _, touch in mine.iterrows()
                     if touch["at"] <= t and _value(touch, "grade_after") is not None)
    return history + [GRADES[code] for _, _, code in changes]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 25),
       day=st.integers(0, 120))
def test_pipeline_and_migration_match_the_reference(seed, n, day):
    leads, touches = random_inputs(seed, n)
    t = BASE + pd.Timedelta(days=day, hours=13)
    states = reference_states(leads, touches, t)
    out = leadkit.pipeline(leads, touches, OABC, at=t)
    expected = [sum(1 for s in states.values() if s == g) for g in GRADES]
    assert out["open_leads"].tolist() == expected

    start = t - pd.Timedelta(days=20)
    before = reference_states(leads, touches, start)
    matrix = pd.DataFrame(0, index=[*GRADES, "new"], columns=TARGETS)
    for lead_id, state in states.items():
        if state is None:
            continue
        origin = before[lead_id]
        if origin is None:
            matrix.loc["new", state] += 1
        elif origin in GRADES:
            matrix.loc[origin, state] += 1
    migration = leadkit.grade_migration(leads, touches, OABC, start=start, end=t)
    assert migration.to_numpy().tolist() == matrix.to_numpy().tolist()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 25), day=st.integers(0, 120))
def test_funnel_and_touches_per_won_match_the_reference(seed, n, day):
    leads, touches = random_inputs(seed, n)
    t = BASE + pd.Timedelta(days=day, hours=7)
    reached = {g: 0 for g in GRADES}
    stages = [0] * len(STAGES)
    won_leads = won_touches = counted = 0
    states = reference_states(leads, touches, t)
    for _, row in leads.iterrows():
        state = states[row["lead_id"]]
        if state is None or state == "invalid":
            continue
        counted += 1
        for g in set(reference_grades(row, touches, t)):
            reached[g] += 1
        recorded = _value(row, "sales_stage")
        index = STAGES.index(recorded) if recorded in STAGES else -1
        if state == "won":
            index = 5
            won_leads += 1
            until = _value(row, "won_at")
            until = t if until is None else max(until, row["created_at"])
            mine = touches[touches["lead_id"] == row["lead_id"]]
            won_touches += int((mine["at"] <= until).sum())
        elif index == 5:
            index = 4
        for k in range(index + 1):
            stages[k] += 1
    out = leadkit.funnel(leads, touches, OABC, as_of=t)
    assert out["reached"].tolist() == [reached[g] for g in GRADES] + stages
    assert (out["leads"] == counted).all()
    per_won = leadkit.touches_per_won_lead(leads, touches, as_of=t)
    assert (per_won["won_leads"][0], per_won["touches"][0]) == (won_leads, won_touches)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30))
def test_monthly_matches_the_reference_and_rolls_over(seed, n):
    leads, touches = random_inputs(seed, n)
    months = ["2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08"]
    out = leadkit.monthly(leads, touches, OABC, months=months)
    # The identity, and each month's end is the next month's start.
    assert (out["open_at_end"] == out["carried_over"] + out["new"] - out["won"]
            - out["lost"]).all()
    assert out["open_at_end"][:-1].tolist() == out["carried_over"][1:].tolist()
    for i, month in enumerate(months):
        start = pd.Period(month, freq="M").start_time.tz_localize(SH)
        end = (pd.Period(month, freq="M") + 1).start_time.tz_localize(SH)
        just_before = reference_states(leads, touches, start - pd.Timedelta(seconds=1))
        at_end = reference_states(leads, touches, end - pd.Timedelta(seconds=1))
        row = out.iloc[i]
        assert row["carried_over"] == sum(s in GRADES for s in just_before.values())
        assert row["open_at_end"] == sum(s in GRADES for s in at_end.values())
        in_month = leads[(leads["created_at"] >= start) & (leads["created_at"] < end)]
        invalid = (in_month["status"] == "invalid").sum()
        assert (row["new"], row["invalid"]) == (len(in_month) - invalid, invalid)
        closed_now = {k for k, s in at_end.items() if s in ("won", "lost")}
        closed_before = {k for k, s in just_before.items() if s in ("won", "lost")}
        won = sum(at_end[k] == "won" for k in closed_now - closed_before)
        assert (row["won"], row["lost"]) == (won, len(closed_now - closed_before) - won)
        # carried_over is the pipeline at the last second before the month.
        open_then = leadkit.pipeline(leads, touches, OABC, at=start - pd.Timedelta(seconds=1))
        assert open_then["open_leads"].sum() == row["carried_over"]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), day=st.integers(0, 120))
def test_pipeline_agrees_with_kpis_except_pending_reviews(seed, n, day):
    leads, touches = random_inputs(seed, n)
    t = BASE + pd.Timedelta(days=day)
    k = leadkit.kpis(leads, touches, OABC, by="current_grade", as_of=t)
    kpi_open = dict(zip(k["current_grade"], k["leads"] - k["won"] - k["lost"]))
    out = leadkit.pipeline(leads, touches, OABC, at=t)
    # kpis counts a lost lead whose review is pending as not lost; the pipeline closes it.
    states = reference_states(leads, touches, t)
    grades_now = {row["lead_id"]: reference_grades(row, touches, t)[-1]
                  for _, row in leads.iterrows() if states[row["lead_id"]] is not None}
    pending = leads[(leads["lead_id"].map(states) == "lost")
                    & (leads["lost_review"] == "pending")]
    pending_by_grade = pending["lead_id"].map(grades_now).value_counts()
    for grade, open_leads in zip(out["grade"], out["open_leads"]):
        assert open_leads == kpi_open.get(grade, 0) - pending_by_grade.get(grade, 0)
    # Without pending reviews the two agree exactly.
    settled = leads.assign(lost_review=leads["lost_review"].replace("pending", "approved"))
    k = leadkit.kpis(settled, touches, OABC, by="current_grade", as_of=t)
    kpi_open = dict(zip(k["current_grade"], k["leads"] - k["won"] - k["lost"]))
    out = leadkit.pipeline(settled, touches, OABC, at=t)
    assert out["open_leads"].tolist() == [kpi_open.get(g, 0) for g in GRADES]
    funnel = leadkit.funnel(settled, touches, OABC, as_of=t)
    assert funnel["reached"].iloc[-1] == k["won"].sum()


def states_of(leads, touches, t, dealers):
    return {
        "pipeline": PipelineState.pipeline(leads, touches, OABC, at=t, by="dealer_id"),
        "pipeline_region": PipelineState.pipeline(leads, touches, OABC, at=t,
                                                  by=["region_id", "channel"], dealers=dealers,
                                                  scope=Scope.region("R1")),
        "grade_migration": PipelineState.grade_migration(
            leads, touches, OABC, start=t - pd.Timedelta(days=30), end=t),
        "monthly": PipelineState.monthly(leads, touches, OABC,
                                         months=["2024-04", "2024-05", "2024-06"]),
        "funnel": PipelineState.funnel(leads, touches, OABC, as_of=t, by="channel"),
        "touches_per_won_lead": PipelineState.touches_per_won_lead(leads, touches, as_of=t,
                                                                   by="dealer_id"),
    }


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 25),
       parts=st.integers(1, 4), data=st.data())
def test_any_split_merged_is_the_whole(seed, n, parts, data):
    leads, touches = random_inputs(seed, n)
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2", "D3"], "region_id": ["R1", "R2", "R1"]})
    t = BASE + pd.Timedelta(days=50)
    where = data.draw(st.lists(st.integers(0, parts - 1), min_size=n, max_size=n))
    where = np.array(where, dtype=int)
    whole = states_of(leads, touches, t, dealers)
    pieces = []
    for p in range(parts):
        mine = leads[where == p]
        pieces.append(states_of(mine, touches[touches["lead_id"].isin(mine["lead_id"])], t,
                                dealers))
    order = data.draw(st.permutations(range(parts)))
    for name, state in whole.items():
        merged = PipelineState.merge([pieces[i][name] for i in order])
        pd.testing.assert_frame_equal(merged.finalize(), state.finalize())
        if name == "grade_migration":
            pd.testing.assert_frame_equal(merged.finalize(long=True),
                                          state.finalize(long=True))
