import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
from leadkit import Policy
from times import SH, ts

OABC = Policy.preset("oabc")


def frame_leads():
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "created_at": pd.to_datetime(["2024-05-13 22:00", "2024-05-13 10:00", "2024-05-01 09:00",
                                      "2024-05-13 09:00", "2024-05-13 09:00",
                                      "2024-05-13 09:00"]).tz_localize(SH),
        "channel": ["website", "showroom", "phone", "website", "website", "website"],
        "consultant_id": ["C1", "C2", "C3", "C1", "C2", "C3"],
        "dealer_id": ["D1", "D1", "D2", "D2", "D1", "D1"],
        "status": ["open", "open", "open", "won", "lost", "invalid"],
        "won_at": pd.to_datetime([None, None, None, "2024-05-20 10:00", None, None]).tz_localize(SH),
        "lost_at": pd.to_datetime([None, None, None, None, "2024-05-20 10:00", None]).tz_localize(SH),
        "lost_review": [None, None, None, None, "pending", None],
        "purchase_within_days": [None, 10, 20, 5, 25, None],
    })


def frame_touches():
    return pd.DataFrame({
        "lead_id": ["L2", "L3", "L3", "L4", "L5"],
        "at": pd.to_datetime(["2024-05-13 10:30", "2024-05-01 10:00", "2024-05-04 10:00",
                              "2024-05-22 11:00", "2024-05-14 10:00"]).tz_localize(SH),
        "method": ["visit", "phone", "phone", "phone", "wechat"],
        "grade_after": [None, None, "B", None, None],
        "consultant_id": ["C2", "C3", "C3", "C1", "C2"],
    })


def rows(tasks):
    return [(r.lead_id, r.task, r.due_at.strftime("%Y-%m-%d %H:%M"), r.status)
            for r in tasks.itertuples()]


def test_schedule_lists_every_open_task_with_the_contract_columns():
    tasks = leadkit.schedule(frame_leads(), frame_touches(), OABC, as_of=ts("2024-05-23 12:00"))
    assert list(tasks.columns)[:6] == ["lead_id", "consultant_id", "task", "due_at", "agenda_at",
                                      "status"]
    # Worked by hand: L1 first contact 1 business hour after Monday 22:00; L2 a walk-in
    # (callback 24 h) whose visit opened the thank-you (24 h) and a grade A follow-up (2 days:
    # by the closing, 18:00, of 05-15); L3 re-graded B at its second touch (7 days: by 18:00 on
    # Saturday 05-11, the showroom open); L4 won, ordered follow-up 7 days after the
    # last touch; L5 lost, review pending, 48 business hours; L6 invalid: nothing.
    assert rows(tasks) == [
        ("L1", "first_contact", "2024-05-14 10:00", "overdue"),
        ("L2", "callback", "2024-05-14 10:00", "overdue"),
        ("L2", "thank_you", "2024-05-14 10:30", "overdue"),
        ("L2", "follow_up", "2024-05-15 18:00", "overdue"),
        ("L3", "follow_up", "2024-05-11 18:00", "overdue"),
        ("L4", "order_follow_up", "2024-05-29 11:00", "pending"),
        ("L5", "lost_review", "2024-05-25 13:00", "pending"),
    ]
    assert str(tasks["due_at"].dt.tz) == SH
    assert list(tasks["consultant_id"]) == ["C1", "C2", "C2", "C2", "C3", "C1", "C2"]


def test_as_of_defaults_to_the_latest_timestamp_in_the_inputs():
    leads, touches = frame_leads(), frame_touches()
    default = leadkit.schedule(leads, touches, OABC)
    explicit = leadkit.schedule(leads, touches, OABC, as_of=ts("2024-05-22 11:00"))
    pd.testing.assert_frame_equal(default, explicit)


def test_range_intervals_have_an_agenda_date():
    leads = pd.DataFrame({"lead_id": ["a"], "created_at": [ts("2024-05-13 09:00")],
                          "purchase_within_days": [60]})  # abcd: C, every 14 to 30 days
    touches = pd.DataFrame({"lead_id": ["a", "a"], "at": [ts("2024-05-13 10:00"), ts("2024-05-13 11:00")],
                            "method": ["phone", "wechat"]})
    tasks = leadkit.schedule(leads, touches, Policy.preset("abcd"), as_of=ts("2024-05-14 12:00"))
    assert len(tasks) == 1
    assert tasks["agenda_at"][0] == ts("2024-05-27 11:00")
    # Due on the 30th day, 06-12, by its closing; on the agenda from the 14th day's touch time.
    assert tasks["due_at"][0] == ts("2024-06-12 18:00")


def test_agenda_is_the_day_due_plus_everything_overdue():
    day = dt.date(2024, 5, 14)
    agenda = leadkit.agenda(frame_leads(), frame_touches(), OABC, day=day)
    # As of the day's end: L1's first contact and L2's callback and thank-you are due that
    # day; L3's follow-up and L4's first contact are overdue from before. L5 was first
    # contacted that day at 10:00 (done), which opened its thank-you (by 05-15 10:00) and
    # its next follow-up (grade B, 7 days: by 18:00 on 05-21).
    assert [(r.lead_id, r.task, r.due_at.strftime("%m-%d %H:%M"), r.status)
            for r in agenda.itertuples()] == [
        ("L1", "first_contact", "05-14 10:00", "pending"),
        ("L2", "callback", "05-14 10:00", "pending"),
        ("L2", "thank_you", "05-14 10:30", "pending"),
        ("L3", "follow_up", "05-11 18:00", "overdue"),
        ("L4", "first_contact", "05-13 10:00", "overdue"),
        ("L5", "thank_you", "05-15 10:00", "pending"),
        ("L5", "follow_up", "05-21 18:00", "pending")]
    mine = leadkit.agenda(frame_leads(), frame_touches(), OABC, day=day, consultant_id="C2")
    assert set(mine["lead_id"]) == {"L2", "L5"}
    d2 = leadkit.agenda(frame_leads(), frame_touches(), OABC, day=day, dealer_id="D2")
    assert set(d2["lead_id"]) == {"L3", "L4"}


def _with_special_days(greetings=(), campaigns=()):
    import json
    document = json.loads(OABC.to_json())
    document["cadence"]["greetings"] = list(greetings)
    document["cadence"]["campaigns"] = list(campaigns)
    return Policy.from_json(json.dumps(document))


def _day_leads(ids, **columns):
    """Leads created 2024-06-03 09:00, grade B (20 days), touched that day at 10:00 and
    again on 06-08 at 10:00: the first contact and thank-you are closed and the next
    follow-up is due 06-15 by 18:00, so only special days come on the agenda of 06-09 to
    06-14."""
    n = len(ids)
    leads = pd.DataFrame({"lead_id": ids, "created_at": [ts("2024-06-03 09:00")] * n,
                          "channel": ["website"] * n, "purchase_within_days": [20] * n,
                          **columns})
    touches = pd.DataFrame({"lead_id": [i for i in ids for _ in range(2)],
                            "at": [ts("2024-06-03 10:00"), ts("2024-06-08 10:00")] * n,
                            "method": ["phone"] * (2 * n)})
    return leads, touches


def _agenda_rows(leads, touches, policy, day, **filters):
    agenda = leadkit.agenda(leads, touches, policy, day=day, **filters)
    return [(r.lead_id, r.task, r.due_at.strftime("%m-%d %H:%M"), r.status, r.detail)
            for r in agenda.itertuples()]


def test_regression_agenda_misses_day_tasks_on_their_day():
    policy = _with_special_days(
        campaigns=[{"model": "C200", "date": "2024-06-12", "name": "C200 launch"}])
    leads, touches = _day_leads(
        ["B1", "K1", "N1"], consultant_id=["C1", "C2", "C1"], dealer_id=["D1", "D2", "D2"],
        model=["X5", "C200", "X5"],
        birthday=pd.to_datetime(["1990-06-10", None, None]))
    # The birthday opens at 09:00 on 10 June: at midnight it has not begun.
    at_midnight = leadkit.schedule(leads, touches, policy, as_of=ts("2024-06-10 00:00"))
    assert "birthday" not in set(at_midnight["task"])
    # B1's birthday (open 09:00-18:00) on its day, then overdue; K1's campaign likewise on
    # 12 June; N1 has neither, and nothing else is due.
    assert _agenda_rows(leads, touches, policy, dt.date(2024, 6, 9)) == []
    assert _agenda_rows(leads, touches, policy, dt.date(2024, 6, 10)) == [
        ("B1", "birthday", "06-10 18:00", "pending", None)]
    assert _agenda_rows(leads, touches, policy, dt.date(2024, 6, 11)) == [
        ("B1", "birthday", "06-10 18:00", "overdue", None)]
    assert _agenda_rows(leads, touches, policy, dt.date(2024, 6, 12)) == [
        ("B1", "birthday", "06-10 18:00", "overdue", None),
        ("K1", "campaign", "06-12 18:00", "pending", "C200 launch")]
    assert _agenda_rows(leads, touches, policy, dt.date(2024, 6, 13)) == [
        ("B1", "birthday", "06-10 18:00", "overdue", None),
        ("K1", "campaign", "06-12 18:00", "overdue", "C200 launch")]
    # The filters keep one consultant's or one dealer's rows.
    day = dt.date(2024, 6, 12)
    assert _agenda_rows(leads, touches, policy, day, consultant_id="C2") == [
        ("K1", "campaign", "06-12 18:00", "pending", "C200 launch")]
    assert _agenda_rows(leads, touches, policy, day, consultant_id="C1") == [
        ("B1", "birthday", "06-10 18:00", "overdue", None)]
    assert _agenda_rows(leads, touches, policy, day, dealer_id="D2") == [
        ("K1", "campaign", "06-12 18:00", "pending", "C200 launch")]
    # Greeted on the day at 15:00: done, off the agenda; the touch opens the next
    # follow-up (7 days: 06-17, by 18:00), listed the day it opens.
    greeted = pd.concat([touches, pd.DataFrame({"lead_id": ["B1"], "at": [ts("2024-06-10 15:00")],
                                                "method": ["wechat"]})], ignore_index=True)
    assert _agenda_rows(leads, greeted, policy, dt.date(2024, 6, 10)) == [
        ("B1", "follow_up", "06-17 18:00", "pending", None)]
    assert _agenda_rows(leads, greeted, policy, dt.date(2024, 6, 11)) == []


def test_regression_agenda_lists_a_holiday_greeting_on_its_day():
    policy = _with_special_days(greetings=[{"date": "2024-06-10",
                                            "name": "Dragon Boat Festival"}])
    # G1 is open; W1 won on 06-05 and is not delivered yet: no greetings (docs/cadence.md),
    # its order follow-up due 7 days after its last touch, 06-15 10:00.
    leads, touches = _day_leads(
        ["G1", "W1"], status=["open", "won"],
        won_at=[pd.NaT, ts("2024-06-05 10:00")])
    assert _agenda_rows(leads, touches, policy, dt.date(2024, 6, 9)) == []
    assert _agenda_rows(leads, touches, policy, dt.date(2024, 6, 10)) == [
        ("G1", "holiday_greeting", "06-10 18:00", "pending", "Dragon Boat Festival")]
    assert _agenda_rows(leads, touches, policy, dt.date(2024, 6, 11)) == [
        ("G1", "holiday_greeting", "06-10 18:00", "overdue", "Dragon Boat Festival")]


@pytest.mark.parametrize("change, table, column, reason", [
    (lambda l, t: t.loc.__setitem__(len(t), ["L9", ts("2024-05-14 10:00"), "phone", None, "C1"]),
     "touches", "lead_id", 'lead_id "L9" is not in the leads'),
    (lambda l, t: t.loc.__setitem__(0, ["L2", ts("2024-05-12 10:00"), "visit", None, "C2"]),
     "touches", "at", "is before the lead's created_at"),
    (lambda l, t: t.loc.__setitem__(2, ["L3", ts("2024-05-04 10:00"), "phone", "Z", "C3"]),
     "touches", "grade_after", 'grade_after "Z" is not one of the policy\'s grades'),
    (lambda l, t: l.loc.__setitem__((1, "status"), "opne"),
     "leads", "status", 'unknown status "opne"'),
    (lambda l, t: l.loc.__setitem__((4, "lost_review"), "maybe"),
     "leads", "lost_review", 'unknown lost_review "maybe"'),
    (lambda l, t: l.__setitem__("grade", [None, "Q", None, None, None, None]),
     "leads", "grade", 'grade "Q" is not one of the policy\'s grades'),
])
def test_bad_rows_raise_or_are_collected(change, table, column, reason):
    leads, touches = frame_leads(), frame_touches()
    change(leads, touches)
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        leadkit.schedule(leads, touches, OABC, as_of=ts("2024-05-23 12:00"))
    tasks, errors = leadkit.schedule(leads, touches, OABC, as_of=ts("2024-05-23 12:00"),
                                     errors="collect")
    assert len(errors) == 1
    assert (errors["table"][0], errors["column"][0]) == (table, column)
    assert reason in errors["reason"][0]
    assert errors["lead_id"][0] in set(leads["lead_id"]) | {"L9"}


def test_naive_timestamps_need_a_zone():
    leads, touches = frame_leads(), frame_touches()
    touches["at"] = touches["at"].dt.tz_localize(None)
    with pytest.raises(ValueError, match=r"touches\.at: timestamps without a time zone"):
        leadkit.schedule(leads, touches, OABC)
    with_tz = leadkit.schedule(leads, touches, OABC, tz=SH, as_of=ts("2024-05-23 12:00"))
    assert len(with_tz) == 7
    with pytest.raises(ValueError, match="as_of: naive time"):
        leadkit.schedule(frame_leads(), frame_touches(), OABC, as_of=pd.Timestamp("2024-05-23"))


def test_errors_argument_is_checked():
    with pytest.raises(ValueError, match='errors: expected "raise" or "collect"'):
        leadkit.schedule(frame_leads(), frame_touches(), OABC, errors="ignore")


# Properties over random leads and touches ------------------------------------------------

def random_inputs(seed: int, n: int = 40):
    rng = np.random.default_rng(seed)
    base = ts("2024-03-01 09:00")
    created = base + pd.to_timedelta(rng.integers(0, 60 * 24 * 3600, n), unit="s")
    statuses = rng.choice(["open", "won", "lost", "invalid"], n, p=[0.6, 0.15, 0.2, 0.05])
    leads = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "created_at": created,
        "channel": rng.choice(["website", "showroom", "phone"], n),
        "status": statuses,
        "won_at": [c + pd.Timedelta(days=int(d)) if s == "won" else pd.NaT
                   for c, s, d in zip(created, statuses, rng.integers(1, 30, n))],
        "delivered_at": [c + pd.Timedelta(days=int(d)) if s == "won" and d % 2 else pd.NaT
                         for c, s, d in zip(created, statuses, rng.integers(31, 60, n))],
        "lost_at": [c + pd.Timedelta(days=int(d)) if s == "lost" else pd.NaT
                    for c, s, d in zip(created, statuses, rng.integers(1, 30, n))],
        "lost_review": [rng.choice(["pending", "approved", "rejected"]) if s == "lost" else None
                        for s in statuses],
        "purchase_within_days": rng.integers(0, 120, n).astype(float),
    })
    m = n * 3
    owner = rng.integers(0, n, m)
    touches = pd.DataFrame({
        "lead_id": [f"L{i}" for i in owner],
        "at": created[owner] + pd.to_timedelta(rng.integers(0, 40 * 24 * 3600, m), unit="s"),
        "method": rng.choice(["phone", "wechat", "visit"], m),
        "grade_after": [rng.choice(["O", "A", "B", "C"]) if rng.random() < 0.3 else None
                        for _ in range(m)],
    })
    return leads, touches


AS_OF = ts("2024-05-15 12:00")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_deadlines_are_never_before_their_start(seed):
    tasks = leadkit.schedule(*random_inputs(seed), OABC, as_of=AS_OF)
    assert (tasks["due_at"] >= tasks["started_at"]).all()
    assert (tasks["started_at"] <= AS_OF).all()
    assert ((tasks["status"] == "overdue") == (tasks["due_at"] < AS_OF)).all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_reordering_input_rows_changes_nothing(seed, shuffle):
    leads, touches = random_inputs(seed)
    key = ["lead_id", "task", "due_at"]
    whole = leadkit.schedule(leads, touches, OABC, as_of=AS_OF).sort_values(key)
    shuffled = leadkit.schedule(leads.sample(frac=1, random_state=shuffle),
                                touches.sample(frac=1, random_state=shuffle + 1), OABC,
                                as_of=AS_OF).sort_values(key)
    pd.testing.assert_frame_equal(whole.reset_index(drop=True), shuffled.reset_index(drop=True))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 39))
def test_splitting_the_leads_and_concatenating_equals_the_whole(seed, cut):
    leads, touches = random_inputs(seed)
    whole = leadkit.schedule(leads, touches, OABC, as_of=AS_OF)
    parts = []
    for part in (leads.iloc[:cut], leads.iloc[cut:]):
        mine = touches[touches["lead_id"].isin(part["lead_id"])]
        parts.append(leadkit.schedule(part, mine, OABC, as_of=AS_OF))
    pd.testing.assert_frame_equal(whole, pd.concat(parts, ignore_index=True))


@pytest.mark.parametrize("preset", Policy.presets())
def test_golden_scenario_per_preset(preset, golden_dir):
    import json
    scenario = json.loads((golden_dir / "cadence_scenario.json").read_text(encoding="utf-8"))
    expected = json.loads((golden_dir / "cadence_expected.json").read_text(encoding="utf-8"))[preset]
    policy = Policy.preset(preset)

    def grade(value):  # '@k' is the policy's k-th grade
        return policy.grades[int(value[1:])] if isinstance(value, str) else value

    leads = pd.DataFrame.from_records(scenario["leads"])
    for column in ["created_at", "assigned_at", "won_at", "delivered_at", "lost_at"]:
        leads[column] = pd.to_datetime(leads[column], utc=True).dt.tz_convert(SH)
    leads["birthday"] = pd.to_datetime(leads["birthday"])
    leads["grade"] = leads["grade"].map(grade).astype(object)
    touches = pd.DataFrame.from_records(scenario["touches"])
    touches["at"] = pd.to_datetime(touches["at"], utc=True).dt.tz_convert(SH)
    touches["grade_after"] = touches["grade_after"].map(grade).astype(object)
    tasks = leadkit.schedule(leads, touches, policy, as_of=pd.Timestamp(scenario["as_of"]))
    actual = [[r.lead_id, r.task, r.due_at.strftime("%Y-%m-%d %H:%M"),
               None if pd.isna(r.agenda_at) else r.agenda_at.strftime("%Y-%m-%d %H:%M"),
               r.status, r.detail] for r in tasks.itertuples()]
    assert actual == expected, json.dumps(actual, ensure_ascii=False)


# --- Past the calendar's coverage -------------------------------------------------------------

def on_cn_office(preset: str) -> Policy:
    """A preset policy whose deadlines count on cn_office (covered to 2026-12-31)."""
    doc = json.loads(Policy.preset(preset).to_json())
    doc["calendar"]["name"] = "cn_office"
    return Policy.from_json(json.dumps(doc))


def december_2026(grades: tuple[str, str]):
    """L1 touched on 2 November 2026, L2 on 1 December, L3 on Saturday 5 December; L2 has the
    first (most urgent) grade, L1 and L3 the last."""
    top, bottom = grades
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3"],
        "created_at": [ts("2026-11-02 09:00"), ts("2026-12-01 09:00"), ts("2026-12-05 09:00")],
        "grade": [bottom, top, bottom],
    })
    touches = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3"],
        "at": [ts("2026-11-02 10:00"), ts("2026-12-01 10:00"), ts("2026-12-05 10:00")],
        "method": ["phone", "phone", "phone"],
    })
    return leads, touches


def estimated_rows(tasks):
    return [(r.lead_id, r.task, r.due_at.strftime("%Y-%m-%d %H:%M"), r.status, r.estimated)
            for r in tasks.itertuples()]


# As of Sunday 2026-12-06 12:00, worked by hand on cn_office's weekly hours past 2026 (Mon-Fri
# 09:00-12:00, 13:30-18:00). Thank-yous are due 24 h after the touch.
# abcd (A 3 days, D 30 to 90 days): L1's follow-up 2026-11-02 + 90 days = Sunday 2027-01-31,
# so due on Monday 2027-02-01 (the defect: it made the batch fail); L3's 2026-12-05 + 90 days =
# Friday 2027-03-05. three_level (high 7, low 30 days): L1's 2026-12-02 is covered, L3's
# 2026-12-05 + 30 days = Monday 2027-01-04 is not.
# Follow-ups are due at the close (18:00) of their due day (the presets' `due`); L3's
# thank-you (24 h from Saturday 10:00) falls on a closed Sunday, so it is due at the close of
# Monday 2026-12-07 (the presets' `closed_deadline`).
PAST_COVERAGE = {
    "abcd": (("A", "D"), [
        ("L1", "thank_you", "2026-11-03 10:00", "overdue", False),
        ("L1", "follow_up", "2027-02-01 18:00", "pending", True),
        ("L2", "thank_you", "2026-12-02 10:00", "overdue", False),
        ("L2", "follow_up", "2026-12-04 18:00", "overdue", False),
        ("L3", "thank_you", "2026-12-07 18:00", "pending", False),
        ("L3", "follow_up", "2027-03-05 18:00", "pending", True),
    ]),
    "three_level": (("high", "low"), [
        ("L1", "thank_you", "2026-11-03 10:00", "overdue", False),
        ("L1", "follow_up", "2026-12-02 18:00", "overdue", False),
        ("L2", "thank_you", "2026-12-02 10:00", "overdue", False),
        ("L2", "follow_up", "2026-12-08 18:00", "pending", False),
        ("L3", "thank_you", "2026-12-07 18:00", "pending", False),
        ("L3", "follow_up", "2027-01-04 18:00", "pending", True),
    ]),
}


@pytest.mark.parametrize("preset", sorted(PAST_COVERAGE))
def test_schedule_never_fails_batch_past_coverage(preset):
    grades, expected = PAST_COVERAGE[preset]
    leads, touches = december_2026(grades)
    policy = on_cn_office(preset)
    count = sum(row[-1] for row in expected)
    with pytest.warns(leadkit.CoverageWarning) as caught:
        tasks = leadkit.schedule(leads, touches, policy, as_of=ts("2026-12-06 12:00"))
    assert estimated_rows(tasks) == expected
    assert len(caught) == 1
    message = str(caught[0].message)
    rows_text = "1 row" if count == 1 else f"{count} rows"
    assert message.startswith(f"schedule: {rows_text} estimated (estimated = True)")
    assert 'past 2026-12-31, the last date calendar "cn_office" covers' in message
    assert list(tasks.columns) == ["lead_id", "consultant_id", "task", "due_at", "agenda_at",
                                   "status", "started_at", "detail", "estimated",
                                   "method", "content", "goal", "rule"]
    assert tasks["estimated"].dtype == bool


@pytest.mark.parametrize("preset", sorted(PAST_COVERAGE))
def test_the_presets_own_calendar_covers_december_2026_without_estimates(preset):
    # The presets count on cn_showroom, covered to 2035: nothing estimated, nothing warned
    # (pytest turns a warning into an error).
    grades, expected = PAST_COVERAGE[preset]
    leads, touches = december_2026(grades)
    tasks = leadkit.schedule(leads, touches, Policy.preset(preset),
                             as_of=ts("2026-12-06 12:00"))
    assert not tasks["estimated"].any()
    assert len(tasks) == len(expected)


def test_agenda_marks_and_counts_estimated_rows():
    leads, touches = december_2026(("high", "low"))
    policy = on_cn_office("three_level")
    # Monday 2027-01-04: L3's follow-up is due that day (estimated); every other task is
    # overdue from 2026 (covered).
    with pytest.warns(leadkit.CoverageWarning, match="^agenda: 1 row estimated"):
        day = leadkit.agenda(leads, touches, policy, day=dt.date(2027, 1, 4))
    assert estimated_rows(day) == [
        ("L1", "thank_you", "2026-11-03 10:00", "overdue", False),
        ("L1", "follow_up", "2026-12-02 18:00", "overdue", False),
        ("L2", "thank_you", "2026-12-02 10:00", "overdue", False),
        ("L2", "follow_up", "2026-12-08 18:00", "overdue", False),
        ("L3", "thank_you", "2026-12-07 18:00", "overdue", False),
        ("L3", "follow_up", "2027-01-04 18:00", "pending", True),
    ]


def test_covered_schedules_do_not_warn():
    tasks = leadkit.schedule(frame_leads(), frame_touches(), OABC, as_of=ts("2024-05-15 12:00"))
    assert not tasks["estimated"].any()


def _with_rules(base, closed=None, due=None, calendar=None):
    """`base` with every calendar-clock SLA's closed_deadline, every interval's due and the
    calendar set as given."""
    import json
    doc = json.loads(base.to_json())
    cadence = doc["cadence"]
    if closed:
        for sla in (cadence["entry_sla"], cadence["thank_you"], cadence["callback"]["within"]):
            sla["closed_deadline"] = closed
    if due:
        for interval in cadence["follow_up_days"].values():
            interval["due"] = due
    if calendar:
        doc["calendar"]["name"] = calendar
    return Policy.from_json(json.dumps(doc))


# 24 hours after `start` lands in closed time; the deadline under keep, next_open and
# end_of_next_open_day, worked out from presets/calendars/*.json (cn_showroom: every day
# 09:00-18:00, closed New Year's Eve to day 3; cn_office: weekdays 09:00-12:00 and 13:30-18:00,
# closed on public holidays, make-up days worked).
CLOSED_CASES = [
    ("cn_showroom", "2024-02-08 10:00", "2024-02-09 10:00", "2024-02-13 09:00", "2024-02-13 18:00"),
    ("cn_showroom", "2025-01-27 10:00", "2025-01-28 10:00", "2025-02-01 09:00", "2025-02-01 18:00"),
    ("cn_office", "2024-02-09 10:00", "2024-02-10 10:00", "2024-02-18 09:00", "2024-02-18 18:00"),
    ("cn_office", "2025-01-27 10:00", "2025-01-28 10:00", "2025-02-05 09:00", "2025-02-05 18:00"),
    ("cn_office", "2024-09-30 10:00", "2024-10-01 10:00", "2024-10-08 09:00", "2024-10-08 18:00"),
    ("cn_office", "2025-09-30 10:00", "2025-10-01 10:00", "2025-10-09 09:00", "2025-10-09 18:00"),
    ("cn_showroom", "2024-05-13 03:00", "2024-05-14 03:00", "2024-05-14 09:00", "2024-05-14 18:00"),
]


@pytest.mark.parametrize("calendar,start,keep,next_open,end_of_day", CLOSED_CASES)
def test_calendar_clock_deadlines_in_closed_time(calendar, start, keep, next_open, end_of_day):
    leads = pd.DataFrame({"lead_id": ["N1"], "created_at": [ts(start)], "channel": ["showroom"],
                          "grade": ["C"]})
    touches = pd.DataFrame({"lead_id": ["N1"], "at": [ts(start)], "method": ["visit"]})
    for rule, expected in [("keep", keep), ("next_open", next_open),
                           ("end_of_next_open_day", end_of_day)]:
        policy = _with_rules(OABC, closed=rule, calendar=calendar)
        tasks = leadkit.schedule(leads, touches, policy, as_of=ts(start))
        due = {r.task: r.due_at.strftime("%Y-%m-%d %H:%M") for r in tasks.itertuples()}
        # The showroom walk-in's callback (from created_at) and the visit's thank-you.
        assert (rule, due["callback"], due["thank_you"]) == (rule, expected, expected)
        kpi = leadkit.lead_kpis(leads, touches, policy, as_of=ts(start))
        assert kpi["entry_due_at"][0].strftime("%Y-%m-%d %H:%M") == expected


# A touch, then a 3-day interval (abcd's grade A): due under end_of_day and exact.
DUE_CASES = [
    # Thursday 17:55 before the Spring Festival: Sunday 02-11 closed, Tuesday 02-13 open.
    ("cn_showroom", "2024-02-08 17:55", "2024-02-13 18:00", "2024-02-13 09:00"),
    ("cn_showroom", "2025-01-25 17:55", "2025-02-01 18:00", "2025-02-01 09:00"),
    ("cn_office", "2024-02-07 10:00", "2024-02-18 18:00", "2024-02-18 09:00"),
    ("cn_office", "2025-01-27 10:00", "2025-02-05 18:00", "2025-02-05 09:00"),
    # Thursday 17:55 before National Day: Sunday 09-29 (2024) and 09-28 (2025) are make-up days.
    ("cn_office", "2024-09-26 17:55", "2024-09-29 18:00", "2024-09-29 17:55"),
    ("cn_office", "2025-09-25 17:55", "2025-09-28 18:00", "2025-09-28 17:55"),
    ("cn_office", "2024-09-30 10:00", "2024-10-08 18:00", "2024-10-08 09:00"),
    ("cn_office", "2025-09-30 17:55", "2025-10-09 18:00", "2025-10-09 09:00"),
    ("cn_showroom", "2024-05-13 03:00", "2024-05-16 18:00", "2024-05-16 09:00"),
]


@pytest.mark.parametrize("calendar,touch,end_of_day,exact", DUE_CASES)
def test_follow_up_due_on_its_day(calendar, touch, end_of_day, exact):
    leads = pd.DataFrame({"lead_id": ["T1"], "created_at": [ts(touch)], "channel": ["website"],
                          "grade": ["A"]})
    touches = pd.DataFrame({"lead_id": ["T1"], "at": [ts(touch)], "method": ["phone"]})
    for due, expected in [("end_of_day", end_of_day), ("exact", exact)]:
        policy = _with_rules(Policy.preset("abcd"), due=due, calendar=calendar)
        tasks = leadkit.schedule(leads, touches, policy, as_of=ts(touch))
        follow_up = tasks[tasks["task"] == "follow_up"]["due_at"]
        assert (due, follow_up.iloc[0].strftime("%Y-%m-%d %H:%M")) == (due, expected)


def test_a_touch_on_the_due_day_after_the_exact_hour_is_on_time():
    # Thursday 17:55, 3 days: due Tuesday 02-13 by 18:00 (end_of_day). A call on Tuesday at
    # 15:00 is on time; under exact (due 09:00) it is late.
    leads = pd.DataFrame({"lead_id": ["T1"], "created_at": [ts("2024-02-08 17:00")],
                          "channel": ["website"], "grade": ["A"]})
    touches = pd.DataFrame({"lead_id": ["T1", "T1"], "method": ["phone", "phone"],
                            "at": [ts("2024-02-08 17:55"), ts("2024-02-13 15:00")]})
    as_of = ts("2024-02-14 12:00")
    on_time = {}
    for due in ["end_of_day", "exact"]:
        policy = _with_rules(Policy.preset("abcd"), due=due)
        kpi = leadkit.lead_kpis(leads, touches, policy, as_of=as_of)
        on_time[due] = (int(kpi["follow_ups_due"][0]), int(kpi["follow_ups_on_time"][0]))
    assert on_time == {"end_of_day": (1, 1), "exact": (1, 0)}
