"""The follow-up playbook (docs/playbook.md): next_actions, the action columns of schedule and
agenda, Policy.playbook and Policy.next_action, and C++/Python agreement on the golden tasks."""

import datetime as dt
import json

import pandas as pd
import pytest

import leadkit
import leadkit.synth
from leadkit import Policy, PolicyError
from conftest import ROOT
from times import SH, ts

ABCD = Policy.preset("abcd")
SCHEDULE_COLUMNS = ["lead_id", "consultant_id", "task", "due_at", "agenda_at", "status",
                    "started_at", "detail", "estimated"]
ACTION_COLUMNS = ["method", "content", "goal", "rule"]


def leads():
    # L1: 10 days (abcd A) and a test drive; L2: 60 days (C), in negotiation; L3 lost, its
    # loss pending review. Personal data in every personal column.
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3"],
        "created_at": pd.to_datetime(["2024-06-03 09:00"] * 3).tz_localize(SH),
        "channel": ["website"] * 3,
        "purchase_within_days": [10, 60, 20],
        "test_drive": [True, False, None],
        "sales_stage": [None, "negotiation", "lost"],
        "status": ["open", "open", "lost"],
        "lost_at": pd.to_datetime([None, None, "2024-06-04 10:00"]).tz_localize(SH),
        "lost_review": [None, None, "pending"],
        "name": ["王小明", "李雷", "韩梅梅"],
        "phone": ["+86 138-0013-8000", "13900139000", "13700137000"],
        "wechat": ["wx_xiaoming", "wx_lilei", "wx_meimei"],
        "email": ["xiaoming@example.com", "li.lei@example.com", "mm@example.com"],
    })


def touches():
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L2", "L3"],
        "at": pd.to_datetime(["2024-06-03 10:00", "2024-06-03 10:00", "2024-06-03 15:00",
                              "2024-06-03 10:00"]).tz_localize(SH),
        "method": ["phone", "phone", "wechat", "phone"],
    })


AS_OF = ts("2024-06-04 12:00")


def test_next_actions_gives_every_open_task_an_action_worked_by_hand():
    got = leadkit.next_actions(leads(), touches(), ABCD, as_of=AS_OF)
    assert list(got.columns) == ["lead_id", "task", "due_at", *ACTION_COLUMNS]
    # By hand from the abcd playbook (docs/playbook.md): L1, one touch at 10:00, has its
    # thank-you (due 06-04 10:00) and its A follow-up (3 days); a test drive and grade A:
    # a_after_test_drive. L2, two touches: the follow-up only (grade C), in negotiation.
    # L3, lost with its review pending: the lost_review task, the polite reason call.
    assert [tuple(r) for r in got[["lead_id", "task", "rule", "method", "content",
                                   "goal"]].astype(str).itertuples(index=False)] == [
        ("L1", "thank_you", "thank_you", "sms", "thanks", "agree_next_contact"),
        ("L1", "follow_up", "a_after_test_drive", "phone", "objection_answers",
         "resolve_objection"),
        ("L2", "follow_up", "negotiation", "email", "purchase_plan", "close_deal"),
        ("L3", "lost_review", "lost", "phone", "loss_reason", "learn_loss_reason"),
    ]
    assert list(got["method"].cat.categories) == ["phone", "sms", "email", "wechat", "visit",
                                                  "test_drive", "event"]
    assert list(got["rule"].cat.categories) == [r.id for r in ABCD.playbook]


def test_next_actions_are_exactly_the_schedules_tasks():
    tasks = leadkit.schedule(leads(), touches(), ABCD, as_of=AS_OF)
    got = leadkit.next_actions(leads(), touches(), ABCD, as_of=AS_OF)
    pd.testing.assert_frame_equal(got, tasks[["lead_id", "task", "due_at", *ACTION_COLUMNS]])


def test_schedule_and_agenda_gain_the_action_columns_after_the_contract_ones():
    tasks = leadkit.schedule(leads(), touches(), ABCD, as_of=AS_OF)
    assert list(tasks.columns) == SCHEDULE_COLUMNS + ACTION_COLUMNS
    day = leadkit.agenda(leads(), touches(), ABCD, day=dt.date(2024, 6, 4))
    assert list(day.columns) == SCHEDULE_COLUMNS + ACTION_COLUMNS
    # The agenda of 06-04 lists L1's thank-you (due that day) with its action.
    thanks = day[(day["lead_id"] == "L1") & (day["task"] == "thank_you")]
    assert thanks[ACTION_COLUMNS].astype(str).values.tolist() == [
        ["sms", "thanks", "agree_next_contact", "thank_you"]]


def test_regression_personal_data_never_enters_an_action_or_its_reasons():
    got = leadkit.next_actions(leads(), touches(), ABCD, as_of=AS_OF, explain=True)
    text = got.astype(str).to_string() + json.dumps(got["reasons"].tolist(), ensure_ascii=False)
    for secret in ["王小明", "李雷", "韩梅梅", "138-0013", "13800138000", "13900139000",
                   "wx_xiaoming", "wx_lilei", "xiaoming@", "li.lei", "mm@example"]:
        assert secret not in text
    # A playbook that reads personal fields shows them masked.
    document = json.loads(ABCD.to_json())
    document["playbook"] = {"rules": [
        {"id": "known", "when": [{"field": "phone", "op": "not_null"},
                                 {"field": "name", "op": "==", "value": "王小明"}],
         "action": {"method": "phone", "content": "offer", "goal": "close_deal"}},
        {"id": "rest", "action": {"method": "sms", "content": "updates",
                                  "goal": "keep_interest"}}]}
    reading = Policy.from_json(json.dumps(document))
    got = leadkit.next_actions(leads(), touches(), reading, as_of=AS_OF, explain=True)
    first = got.iloc[0]
    assert first["rule"] == "known"
    assert first["reasons"] == ['phone not_null (value: "138****8000")',
                                'name == "王**" (value: "王**")']
    assert "王小明" not in json.dumps(got["reasons"].tolist(), ensure_ascii=False)


def test_explain_lists_the_conditions_that_held():
    got = leadkit.next_actions(leads(), touches(), ABCD, as_of=AS_OF, explain=True)
    assert list(got.columns)[-1] == "reasons"
    assert got["reasons"].iloc[1] == ['task == "follow_up" (value: "follow_up")',
                                      'grade_now == "A" (value: "A")',
                                      "test_drive == true (value: true)"]


def test_next_actions_empty_inputs_give_an_empty_table_with_the_columns():
    got = leadkit.next_actions(leads().iloc[:0], touches().iloc[:0], ABCD, as_of=AS_OF)
    assert len(got) == 0
    assert list(got.columns) == ["lead_id", "task", "due_at", *ACTION_COLUMNS]


def test_next_actions_rejects_bad_input_with_table_column_row_and_value():
    # test_drive is read for the playbook (abcd's a_after_test_drive), so a bad value of it
    # is an error naming the table, column, row id and value, as every engine's.
    bad = leads()
    bad["test_drive"] = pd.Series([True, "yes", None], dtype=object)
    with pytest.raises(ValueError, match=r"leads\.test_drive: lead_id='L2' \(row 1\) has 'yes'"):
        leadkit.next_actions(bad, touches(), ABCD, as_of=AS_OF)
    with pytest.raises(TypeError, match="explain"):
        leadkit.next_actions(leads(), touches(), ABCD, as_of=AS_OF, explain="yes")


def test_policy_playbook_exposes_the_rules():
    book = ABCD.playbook
    assert book[0].id == "first_contact"
    assert book[0].when == ['task == "first_contact"']
    assert (book[0].method, book[0].content, book[0].goal) == ("phone", "needs_questions",
                                                               "discover_needs")
    assert book[-1].id == "default" and book[-1].when == []
    assert "001 §3.2" in book[0].note
    # A document without a playbook has leadkit's default, by task kind.
    document = json.loads(ABCD.to_json())
    del document["playbook"]
    default = Policy.from_json(json.dumps(document)).playbook
    assert [r.id for r in default] == [*leadkit._core.task_names(), "default"]


def test_a_playbook_with_errors_is_a_policy_error_with_paths():
    document = json.loads(ABCD.to_json())
    document["playbook"]["rules"][0]["action"]["method"] = "fax"
    with pytest.raises(PolicyError) as e:
        Policy.from_json(json.dumps(document))
    assert [(i.path, i.rule) for i in e.value.issues if i.severity == "error"] == [
        ("/playbook/rules/0/action/method", "first_contact")]


def test_chinese_names_of_playbook_words_round_trip_and_bad_ones_are_errors_at_their_path():
    document = json.loads(ABCD.to_json())
    assert ABCD.playbook_names_zh == {"content": {}, "goals": {}}
    document["playbook"]["content"] = ["ev_range"]
    document["playbook"]["zh"] = {"content": {"ev_range": "新能源续航"},
                                  "goals": {"win_back": "挽回客户"}}
    with pytest.raises(PolicyError) as e:
        Policy.from_json(json.dumps(document))
    # win_back is no goal of this policy: an error at its path, naming it.
    assert [(i.path, i.message) for i in e.value.issues if i.severity == "error"] == [
        ("/playbook/zh/goals/win_back",
         'unknown goal "win_back" (expected one of ' + ", ".join(leadkit._core.playbook_goals())
         + "); a policy may declare more under /playbook/goals")]
    document["playbook"]["goals"] = ["win_back"]
    document["playbook"]["zh"]["content"]["ev_range"] = ""
    with pytest.raises(PolicyError) as e:
        Policy.from_json(json.dumps(document))
    assert [(i.path, i.message) for i in e.value.issues if i.severity == "error"] == [
        ("/playbook/zh/content/ev_range", 'expected a non-empty name, got ""')]
    document["playbook"]["zh"]["content"]["ev_range"] = "新能源续航"
    named = Policy.from_json(json.dumps(document))
    assert named.playbook_names_zh == {"content": {"ev_range": "新能源续航"},
                                       "goals": {"win_back": "挽回客户"}}
    # The canonical document keeps them.
    assert json.loads(named.to_json())["playbook"]["zh"] == document["playbook"]["zh"]
    assert Policy.from_json(named.to_json()).playbook_names_zh == named.playbook_names_zh


def test_next_action_of_one_task():
    got = ABCD.next_action({"test_drive": True}, task="follow_up", grade_now="A", touches=2)
    assert got == {"rule": "a_after_test_drive", "method": "phone",
                   "content": "objection_answers", "goal": "resolve_objection",
                   "reasons": ['task == "follow_up" (value: "follow_up")',
                               'grade_now == "A" (value: "A")',
                               "test_drive == true (value: true)"]}
    with pytest.raises(ValueError, match='unknown task "folow_up"'):
        ABCD.next_action({}, task="folow_up")
    with pytest.raises(ValueError, match='"E" is not a grade'):
        ABCD.next_action({}, task="follow_up", grade_now="E")


GOLDEN = json.loads((ROOT / "tests" / "golden" / "playbook_expected.json").read_text("utf-8"))


@pytest.mark.parametrize("preset", Policy.presets())
def test_python_agrees_with_the_cpp_golden_tasks(preset):
    # The tasks and hand-worked actions tests/playbook_test.cc checks in C++.
    policy = Policy.preset(preset)
    for case in GOLDEN[preset]:
        lead = {k: v for k, v in case["lead"].items() if k != "lead_id"}
        got = policy.next_action(lead, task=case["task"], grade_now=case["grade_now"],
                                 touches=case["touches"])
        assert [got["rule"], got["method"], got["content"], got["goal"]] == case["expect"], \
            case["id"]


@pytest.mark.parametrize("preset", Policy.presets())
def test_every_task_of_a_generated_batch_has_an_action_and_its_reasons(preset):
    policy = Policy.preset(preset)
    data = leadkit.synth.generate(leads=60, dealers=2, seed=3, grades=tuple(policy.grades))
    tables = data.tables()
    as_of = tables["touches"]["at"].max()
    got = leadkit.next_actions(tables["leads"], tables["touches"], policy, as_of=as_of,
                               explain=True)
    assert len(got) > 0
    schedule = leadkit.schedule(tables["leads"], tables["touches"], policy, as_of=as_of)
    assert len(got) == len(schedule)
    for row in got.itertuples():
        assert row.reasons, row
        assert row.rule in [r.id for r in policy.playbook]
