"""Calendars in policies (docs/policy.md, "The calendar"): a preset's name, an inline document,
a file read by Policy.load; named dealer calendars, and every engine judging a lead on its
dealer's calendar, in its zone — the batch agreeing with each dealer computed alone."""

from __future__ import annotations

import datetime as dt
import json
import pickle

import numpy as np
import pandas as pd
import pytest

import leadkit
import leadkit.plot
import leadkit.report
from leadkit import Calendar, Policy, PolicyError, Scope

import surface

ABCD = json.loads(Policy.preset("abcd").to_json())


def document(**changes) -> str:
    """The abcd preset's document with top-level keys replaced."""
    return json.dumps({**ABCD, **changes})


# --- The policy's calendar ----------------------------------------------------------------------


@pytest.mark.parametrize("calendar, name, zone", [
    ("cn_office", "cn_office", "Asia/Shanghai"),
    ({"name": "cn_office", "time_zone": "Asia/Tokyo"}, "cn_office", "Asia/Tokyo"),
    (surface.BERLIN, "berlin_office", "Europe/Berlin"),
])
def test_a_calendar_by_name_or_inline_round_trips(calendar, name, zone):
    policy = Policy.from_json(document(calendar=calendar))
    assert (policy.calendar_name, policy.time_zone) == (name, zone)
    assert policy.calendar().time_zone == zone
    again = Policy.from_json(policy.to_json())
    assert again == policy and again.to_json() == policy.to_json()
    if isinstance(calendar, str) or "weekly" in calendar:  # written as it was read
        assert json.loads(policy.to_json())["calendar"] == calendar


def test_an_inline_calendar_judges_the_deadlines():
    # Berlin, Monday 2024-05-13 17:30 (15:30Z): one business hour is 30 minutes to 18:00, then
    # 30 minutes from Tuesday's 09:00 -> Tuesday 09:30 Berlin = 07:30Z.
    policy = Policy.from_json(document(calendar=surface.BERLIN))
    leads = pd.DataFrame({"lead_id": ["L1"], "channel": ["website"], "grade": ["A"],
                          "created_at": [pd.Timestamp("2024-05-13T15:30Z")]})
    touches = pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                            "at": pd.Series([], dtype="datetime64[ns, UTC]"),
                            "method": pd.Series([], dtype=object)})
    facts = leadkit.lead_kpis(leads, touches, policy, as_of=pd.Timestamp("2024-05-14T12:00Z"))
    assert facts["first_contact_due_at"][0] == pd.Timestamp("2024-05-14T07:30Z")


def test_a_calendar_file_is_read_relative_to_the_policy(tmp_path):
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "berlin.json").write_text(json.dumps(surface.BERLIN))
    text = document(calendar={"file": "calendars/berlin.json"},
                    calendars={"office": "cn_office",
                               "berlin": {"file": "calendars/berlin.json"}})
    (tmp_path / "policy.json").write_text(text)
    policy = Policy.load(tmp_path / "policy.json")
    assert policy.time_zone == "Europe/Berlin"
    assert sorted(policy.calendars) == ["berlin", "office"]
    assert policy.calendars["berlin"] == Calendar.from_json(json.dumps(surface.BERLIN))
    # to_json keeps the reference, not the file's contents.
    assert json.loads(policy.to_json())["calendar"] == {"file": "calendars/berlin.json"}
    # A pickled policy carries the file's calendar along (cluster workers have no file).
    assert pickle.loads(pickle.dumps(policy)) == policy
    # from_json takes the calendars by reference.
    same = Policy.from_json(text, files={"calendars/berlin.json": policy.calendars["berlin"]})
    assert same == policy


def test_a_bad_file_reference_names_the_path_and_the_file(tmp_path):
    (tmp_path / "policy.json").write_text(document(calendar={"file": "nowhere/sh_2027.json"}))
    with pytest.raises(PolicyError) as raised:
        Policy.load(tmp_path / "policy.json")
    [issue] = [i for i in raised.value.issues if i.severity == "error"]
    assert issue.path == "/calendar/file"
    assert str(tmp_path / "nowhere" / "sh_2027.json") in issue.message
    # A calendar file with errors: its own issues, with their paths in it.
    (tmp_path / "bad.json").write_text(json.dumps({**surface.BERLIN, "time_zone": "Mars/Base"}))
    (tmp_path / "policy.json").write_text(document(calendars={"x": {"file": "bad.json"}}))
    with pytest.raises(PolicyError) as raised:
        Policy.load(tmp_path / "policy.json")
    [issue] = [i for i in raised.value.issues if i.severity == "error"]
    assert issue.path == "/calendars/x/file"
    assert "bad.json" in issue.message and "/time_zone" in issue.message
    # from_json without the calendar: the reference is not loaded.
    with pytest.raises(PolicyError, match=r'/calendar/file.*"b\.json"'):
        Policy.from_json(document(calendar={"file": "b.json"}))


def test_errors_inside_an_inline_calendar_have_their_path():
    bad = {**surface.BERLIN, "weekly": {"mon": [["18:00", "09:00"]]}}
    with pytest.raises(PolicyError) as raised:
        Policy.from_json(document(calendars={"berlin": bad}))
    assert [i.path for i in raised.value.issues if i.severity == "error"] == [
        "/calendars/berlin/weekly/mon/0"]


# --- Per-dealer calendars ------------------------------------------------------------------------

POLICY = surface.policy(surface.DEALER_CALENDARS)
TABLES = surface.generate(POLICY, leads=60, seed=5)
AS_OF = surface.AS_OF
DAY = dt.date(2025, 12, 30)


def _alone(dealer: str) -> tuple[Policy, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The policy with the dealer's calendar as its own, and the dealer's leads, touches and
    surveys: the dealer computed alone."""
    row = TABLES.dealers.set_index("dealer_id").loc[dealer]
    name = row["calendar"]
    calendar = ({"sh_office": "cn_office", "berlin": surface.BERLIN}[name]
                if isinstance(name, str) else ABCD["calendar"])
    policy = Policy.from_json(document(calendar=calendar))
    leads = TABLES.leads[TABLES.leads["dealer_id"] == dealer].reset_index(drop=True)
    mine = set(leads["lead_id"])
    touches = TABLES.touches[TABLES.touches["lead_id"].isin(mine)].reset_index(drop=True)
    surveys = TABLES.surveys[TABLES.surveys["lead_id"].isin(mine)].reset_index(drop=True)
    return policy, leads, touches, surveys


DEALERS = list(TABLES.dealers["dealer_id"])


def test_the_generated_dealers_use_each_kind_of_calendar():
    assert list(TABLES.dealers["calendar"]) == ["berlin", "sh_office", None]
    assert all((TABLES.leads["dealer_id"] == d).sum() >= 5 for d in DEALERS)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    return frame.astype(object).where(frame.notna(), None)


@pytest.mark.parametrize("dealer", DEALERS)
def test_schedule_and_agenda_agree_with_the_dealer_alone(dealer):
    policy, leads, touches, _ = _alone(dealer)
    tasks = leadkit.schedule(TABLES.leads, TABLES.touches, POLICY, as_of=AS_OF,
                             dealers=TABLES.dealers)
    alone = leadkit.schedule(leads, touches, policy, as_of=AS_OF)
    mine = tasks[tasks["lead_id"].isin(set(leads["lead_id"]))]
    assert len(alone) > 0
    pd.testing.assert_frame_equal(_plain(mine), _plain(alone), check_dtype=False)
    day = leadkit.agenda(TABLES.leads, TABLES.touches, POLICY, day=DAY, dealers=TABLES.dealers)
    day_alone = leadkit.agenda(leads, touches, policy, day=DAY)
    pd.testing.assert_frame_equal(_plain(day[day["lead_id"].isin(set(leads["lead_id"]))]),
                                  _plain(day_alone), check_dtype=False)


@pytest.mark.parametrize("dealer", DEALERS)
def test_kpis_and_lead_kpis_agree_with_the_dealer_alone(dealer):
    policy, leads, touches, surveys = _alone(dealer)
    by_dealer = leadkit.kpis(TABLES.leads, TABLES.touches, POLICY, surveys=TABLES.surveys,
                             dealers=TABLES.dealers, by="dealer_id", as_of=AS_OF)
    alone = leadkit.kpis(leads, touches, policy, surveys=surveys, as_of=AS_OF)
    row = by_dealer[by_dealer["dealer_id"] == dealer].drop(columns="dealer_id")
    pd.testing.assert_frame_equal(row.reset_index(drop=True), alone, check_dtype=False)
    facts = leadkit.lead_kpis(TABLES.leads, TABLES.touches, POLICY, surveys=TABLES.surveys,
                              dealers=TABLES.dealers, as_of=AS_OF)
    facts_alone = leadkit.lead_kpis(leads, touches, policy, surveys=surveys, as_of=AS_OF)
    mine = facts[facts["lead_id"].isin(set(leads["lead_id"]))]
    pd.testing.assert_frame_equal(_plain(mine), _plain(facts_alone), check_dtype=False)
    minutes = leadkit.plot.first_contact_minutes(TABLES.leads, TABLES.touches, POLICY,
                                                 as_of=AS_OF, dealers=TABLES.dealers)
    minutes_alone = leadkit.plot.first_contact_minutes(leads, touches, policy, as_of=AS_OF)
    pd.testing.assert_frame_equal(
        _plain(minutes[minutes["lead_id"].isin(set(leads["lead_id"]))]), _plain(minutes_alone))


def _utc(records: list[dict]) -> list[dict]:
    return [{k: (pd.Timestamp(v).tz_convert("UTC") if k.endswith("_at") and v else v)
             for k, v in r.items()} for r in records]


@pytest.mark.parametrize("dealer", DEALERS)
def test_the_report_of_a_dealer_agrees_with_the_dealer_alone(dealer):
    policy, leads, touches, surveys = _alone(dealer)
    scoped = leadkit.report.build(TABLES.leads, TABLES.touches, POLICY, surveys=surveys,
                                  dealers=TABLES.dealers, scope=Scope.dealer(dealer),
                                  as_of=AS_OF).to_dict()
    alone = leadkit.report.build(leads, touches, policy, surveys=surveys,
                                 as_of=AS_OF).to_dict()
    for part in ("headline", "tables"):
        assert scoped[part] == alone[part], part
    # The same instants, shown in each policy's zone.
    assert _utc(scoped["overdue"]) == _utc(alone["overdue"])
    assert scoped["charts"]["first_contact"] == alone["charts"]["first_contact"]


def test_berlin_leads_differ_from_the_policys_calendar():
    """The agreement above is not vacuous: on the policy's calendar (every day 09:00-18:00 in
    Shanghai) the Berlin dealer's deadlines mostly come out otherwise."""
    berlin = DEALERS[0]
    on_dealer = leadkit.lead_kpis(TABLES.leads, TABLES.touches, POLICY, dealers=TABLES.dealers,
                                  as_of=AS_OF)
    on_policy = leadkit.lead_kpis(TABLES.leads, TABLES.touches, POLICY, as_of=AS_OF)
    mine = (TABLES.leads["dealer_id"] == berlin).to_numpy()
    counted = on_dealer["counted"].to_numpy() & ~on_dealer["invalid"].to_numpy()
    moved = (on_dealer["first_contact_due_at"] != on_policy["first_contact_due_at"]).to_numpy()
    # Most move; a deadline inside the hours both calendars keep open (08:00-10:00 UTC in
    # winter) does not.
    assert moved[mine & counted].mean() > 0.5
    # The dealer without a calendar of its own is judged as before.
    default = (TABLES.leads["dealer_id"] == DEALERS[2]).to_numpy()
    assert (default & counted).any() and not moved[default & counted].any()


def test_month_keys_stay_in_the_policys_zone():
    """A Berlin lead created at 23:30 on 31 January in Berlin is a February lead (00:30 / 06:30
    on 1 February in Shanghai, the policy's zone)."""
    leads = pd.DataFrame({"lead_id": ["B1"], "dealer_id": ["D001"], "channel": ["website"],
                          "created_at": [pd.Timestamp("2025-01-31T23:30", tz="Europe/Berlin")]})
    touches = TABLES.touches.iloc[0:0]
    table = leadkit.kpis(leads, touches, POLICY, dealers=TABLES.dealers, by="month",
                         as_of=pd.Timestamp("2025-03-01T00:00Z"))
    assert list(table["month"]) == ["2025-02"]


@pytest.mark.parametrize("call", ["schedule", "agenda", "kpis", "lead_kpis"])
def test_an_unknown_calendar_names_the_dealer_and_the_name(call):
    dealers = TABLES.dealers.assign(calendar=["berln", "sh_office", None])
    run = {
        "schedule": lambda: leadkit.schedule(TABLES.leads, TABLES.touches, POLICY, as_of=AS_OF,
                                             dealers=dealers),
        "agenda": lambda: leadkit.agenda(TABLES.leads, TABLES.touches, POLICY, day=DAY,
                                         dealers=dealers),
        "kpis": lambda: leadkit.kpis(TABLES.leads, TABLES.touches, POLICY, dealers=dealers),
        "lead_kpis": lambda: leadkit.lead_kpis(TABLES.leads, TABLES.touches, POLICY,
                                               dealers=dealers),
    }[call]
    with pytest.raises(ValueError, match=r'dealers row 0: dealer_id "D001": unknown calendar '
                                         r'"berln"; did you mean "berlin"\?'):
        run()


def test_a_policy_without_calendars_refuses_a_named_one():
    with pytest.raises(ValueError, match="the policy names no calendars"):
        leadkit.schedule(TABLES.leads, TABLES.touches, Policy.preset("abcd"), as_of=AS_OF,
                         dealers=TABLES.dealers)
    # A calendar column of nulls only: every lead on the policy's calendar.
    plain = TABLES.dealers.assign(calendar=None)
    got = leadkit.schedule(TABLES.leads, TABLES.touches, Policy.preset("abcd"), as_of=AS_OF,
                           dealers=plain)
    want = leadkit.schedule(TABLES.leads, TABLES.touches, Policy.preset("abcd"), as_of=AS_OF)
    pd.testing.assert_frame_equal(got, want)


def test_estimates_are_counted_per_call_whatever_the_calendar():
    # sh_office (cn_office) is covered to 2026-12-31 and estimates after it: a grade D lead
    # of D002 touched on 2 November 2026 has its follow-up due past the coverage.
    leads = pd.DataFrame({"lead_id": ["S1"], "dealer_id": ["D002"], "channel": ["website"],
                          "grade": ["D"],
                          "created_at": [pd.Timestamp("2026-11-02T09:00", tz="Asia/Shanghai")]})
    touches = pd.DataFrame({"lead_id": ["S1"], "method": ["phone"],
                            "at": [pd.Timestamp("2026-11-02T10:00", tz="Asia/Shanghai")]})
    with pytest.warns(leadkit.CoverageWarning):
        tasks = leadkit.schedule(leads, touches, POLICY, dealers=TABLES.dealers,
                                 as_of=pd.Timestamp("2026-12-06T12:00", tz="Asia/Shanghai"))
    assert tasks.loc[tasks["task"] == "follow_up", "estimated"].tolist() == [True]
    assert np.asarray(tasks["estimated"]).dtype == bool


def test_a_dealer_adds_2027_in_a_file_of_its_own(tmp_path):
    """The 2027 file a dealer writes (its dates made up for this test, not a notice) extends
    cn_office; the policy names it by file, and 2027 deadlines are no longer estimates."""
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "sh_2027.json").write_text(json.dumps({
        "extends": "cn_office",
        "coverage": {"from": "2027-01-01", "to": "2027-12-31", "outside": "estimate"},
        "closed": [{"from": "2027-01-01", "to": "2027-01-03",
                    "note": "made up for this test: New Year's Day 2027"}],
    }))
    (tmp_path / "dealer.json").write_text(json.dumps(
        {"extends": {"file": "calendars/sh_2027.json"}, "name": "sh_dealer"}))
    (tmp_path / "policy.json").write_text(document(
        calendar={"file": "calendars/sh_2027.json"},
        calendars={"dealer": {"file": "dealer.json"}}))
    policy = Policy.load(tmp_path / "policy.json")
    assert policy.calendar().coverage == (dt.date(2019, 1, 1), dt.date(2027, 12, 31))
    assert policy.calendars["dealer"].name == "sh_dealer"
    # Grade A (3 days) touched Thursday 2026-12-31 17:00: its day is Sunday 2027-01-03, closed;
    # the first open day after it, Monday 01-04, closes at 18:00 — known, not estimated.
    leads = pd.DataFrame({"lead_id": ["N1"], "channel": ["website"], "grade": ["A"],
                          "created_at": [pd.Timestamp("2026-12-31 16:00", tz="Asia/Shanghai")]})
    touches = pd.DataFrame({"lead_id": ["N1"], "method": ["phone"],
                            "at": [pd.Timestamp("2026-12-31 17:00", tz="Asia/Shanghai")]})
    as_of = pd.Timestamp("2027-01-02 12:00", tz="Asia/Shanghai")
    tasks = leadkit.schedule(leads, touches, policy, as_of=as_of)  # no CoverageWarning
    follow_up = tasks[tasks["task"] == "follow_up"].iloc[0]
    assert follow_up["due_at"] == pd.Timestamp("2027-01-04 18:00", tz="Asia/Shanghai")
    assert not tasks["estimated"].any()
    # The same lead on cn_office alone rests on an estimate.
    with pytest.warns(leadkit.CoverageWarning, match="2026-12-31"):
        alone = leadkit.schedule(leads, touches, Policy.from_json(document(calendar="cn_office")),
                                 as_of=as_of)
    assert alone["estimated"].any()
    assert pickle.loads(pickle.dumps(policy)) == policy
