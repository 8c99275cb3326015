import json

import pytest

import leadkit
from leadkit import Policy, PolicyError

MINIMAL = {
    "grades": ["hot", "cold"],
    "rules": [
        {"id": "hot", "when": [{"field": "purchase_within_days", "op": "<=", "value": 30}],
         "grade": "hot"},
        {"id": "default", "grade": "cold"},
    ],
    "cadence": {"follow_up_days": {"hot": 3, "cold": [14, 30]}},
}


def test_presets_are_the_contract_names():
    assert Policy.presets() == ["three_level", "abcd", "oabc", "funnel"]
    expected = {
        "three_level": ["high", "medium", "low"],
        "abcd": ["A", "B", "C", "D"],
        "oabc": ["O", "A", "B", "C"],
        "funnel": ["tofu", "mofu", "bofu"],
    }
    for name, grades in expected.items():
        policy = Policy.preset(name)
        assert policy.name == name
        assert policy.grades == grades
        assert policy.warnings == []
        assert policy.rule_ids[-1] == "default"
        assert policy.time_zone == "Asia/Shanghai"
        assert policy.calendar_name == "cn_showroom"


def test_preset_follow_up_intervals():
    assert Policy.preset("abcd").follow_up_days == {
        "A": (3, 3), "B": (7, 7), "C": (14, 30), "D": (30, 90)}
    assert Policy.preset("oabc").follow_up_days == {
        "O": (7, 7), "A": (2, 2), "B": (7, 7), "C": (14, 14)}


def test_unknown_preset_is_a_key_error_listing_the_presets():
    with pytest.raises(KeyError, match="three_level, abcd, oabc, funnel"):
        Policy.preset("three_levels")


def test_round_trip_gives_an_equal_policy_and_the_same_text():
    for name in Policy.presets():
        policy = Policy.preset(name)
        text = policy.to_json()
        again = Policy.from_json(text)
        assert again == policy
        assert hash(again) == hash(policy)
        assert again.to_json() == text


def test_from_json_and_load(tmp_path):
    policy = Policy.from_json(json.dumps(MINIMAL))
    assert policy.grades == ["hot", "cold"]
    assert policy.follow_up_days == {"hot": (3, 3), "cold": (14, 30)}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(MINIMAL), encoding="utf-8")
    assert Policy.load(path) == policy
    assert "Policy(name=''" in repr(policy)


def test_policy_error_carries_every_issue():
    doc = dict(MINIMAL)
    doc["rules"] = [
        {"id": "hot", "when": [{"field": "purchase_in_days", "op": "<=", "value": 30}],
         "grade": "warm"},
        {"id": "hot", "grade": "cold"},
    ]
    with pytest.raises(PolicyError) as caught:
        Policy.from_json(json.dumps(doc))
    error = caught.value
    assert isinstance(error, ValueError)
    found = {(i.severity, i.path, i.rule) for i in error.issues}
    assert ("error", "/rules/0/when/0/field", "hot") in found
    assert ("error", "/rules/0/grade", "hot") in found
    assert ("error", "/rules/1/id", "hot") in found
    by_path = {i.path: i for i in error.issues}
    assert 'did you mean "purchase_within_days"?' in by_path["/rules/0/when/0/field"].message
    assert "3 error(s)" in str(error)
    assert "/rules/0/grade" in str(error)


def test_malformed_json_reports_line_and_column():
    with pytest.raises(PolicyError) as caught:
        Policy.from_json('{\n  "grades": ["a",]\n}')
    (issue,) = caught.value.issues
    assert issue.severity == "error"
    assert issue.path == ""
    assert "line 2, column 18" in issue.message


def test_non_utf8_bytes_are_a_value_error():
    with pytest.raises(ValueError, match="not valid UTF-8"):
        Policy.from_json(b'{"grades": ["\xff"]}')


def test_warnings_stay_on_the_policy():
    doc = dict(MINIMAL)
    doc["rules"] = [
        {"id": "wide", "when": [{"field": "budget", "op": ">", "value": 1}], "grade": "hot"},
        {"id": "narrow", "when": [{"field": "budget", "op": ">", "value": 1},
                                  {"field": "test_drive", "op": "==", "value": True}],
         "grade": "cold"},
        {"id": "default", "grade": "cold"},
    ]
    policy = Policy.from_json(json.dumps(doc))
    (warning,) = policy.warnings
    assert warning.severity == "warning"
    assert warning.path == "/rules/1"
    assert warning.rule == "narrow"
    assert "can never fire" in warning.message
    assert "warning at /rules/1 (rule narrow)" in str(warning)


def test_issue_values_compare_and_hash():
    with pytest.raises(PolicyError) as first:
        Policy.from_json('{"grades": []}')
    with pytest.raises(PolicyError) as second:
        Policy.from_json('{"grades": []}')
    assert first.value.issues == second.value.issues
    assert len({*first.value.issues, *second.value.issues}) == len(first.value.issues)
    assert "Issue(severity='error'" in repr(first.value.issues[0])


def test_status_translation():
    core = leadkit._core
    with pytest.raises(ValueError, match="bad value"):
        core._raise_status(3, "bad value")
    with pytest.raises(KeyError, match="no such zone"):
        core._raise_status(5, "no such zone")
    with pytest.raises(OverflowError, match="outside"):
        core._raise_status(11, "outside the range")
    with pytest.raises(RuntimeError, match="not yet"):
        core._raise_status(9, "not yet")


def test_a_file_that_is_not_utf8_is_a_policy_error_naming_it(tmp_path):
    path = tmp_path / "gbk.json"
    path.write_bytes('{"grades": ["高"], "rules": [{"id": "d", "grade": "高"}]}'.encode("gbk"))
    with pytest.raises(PolicyError) as caught:
        Policy.load(path)
    assert str(path) in str(caught.value)
    (issue,) = caught.value.issues
    assert "not UTF-8 text: byte 0xb8 at offset 13" in issue.message


def test_lone_surrogates_are_a_value_error():
    with pytest.raises(ValueError, match="UTF-8"):
        Policy.from_json('{"grades": ["\ud800"]}')


def test_issues_can_be_built():
    issue = leadkit.Issue("warning", "/rules/1", "B", "can never fire")
    assert str(issue) == "warning at /rules/1 (rule B): can never fire"
    with pytest.raises(ValueError, match="severity"):
        leadkit.Issue("fatal", "", "", "")


def test_literal_outside_value_set_is_a_policy_error_with_the_nearest_value():
    cases = [
        ({"field": "channel", "op": "==", "value": "webiste"}, "/rules/0/when/0/value",
         'unknown channel "webiste"; did you mean "website"?'),
        ({"field": "status", "op": "==", "value": "wonn"}, "/rules/0/when/0/value",
         'unknown status "wonn"; did you mean "won"?'),
        ({"field": "sales_stage", "op": "in", "value": ["won", "negociation"]},
         "/rules/0/when/0/value/1",
         'unknown sales_stage "negociation"; did you mean "negotiation"?'),
        ({"field": "funnel_stage", "op": "!=", "value": "bofo"}, "/rules/0/when/0/value",
         'unknown funnel_stage "bofo"; did you mean "bofu"?'),
        ({"field": "lost_review", "op": "==", "value": "rejectd"}, "/rules/0/when/0/value",
         'unknown lost_review "rejectd"; did you mean "rejected"?'),
    ]
    for condition, path, message in cases:
        doc = json.loads(json.dumps(MINIMAL))
        doc["rules"][0]["when"] = [condition]
        with pytest.raises(PolicyError, match="did you mean") as caught:
            Policy.from_json(json.dumps(doc))
        (issue,) = caught.value.issues
        assert (issue.severity, issue.path, issue.rule, issue.message) == (
            "error", path, "hot", message)


def test_declared_extra_channels_extend_the_value_set():
    doc = json.loads(json.dumps(MINIMAL))
    doc["rules"][0]["when"] = [{"field": "channel", "op": "==", "value": "douyin"}]
    with pytest.raises(PolicyError, match='unknown channel "douyin"'):
        Policy.from_json(json.dumps(doc))
    doc["extra_values"] = {"channel": ["douyin"]}
    policy = Policy.from_json(json.dumps(doc))
    assert policy.field_values("channel") == [
        "website", "social", "vertical_media", "ecommerce", "showroom", "phone", "auto_show",
        "test_drive_event", "marketing_event", "referral", "douyin"]
    assert policy.field_values("status") == ["open", "won", "lost", "invalid"]
    assert policy.field_values("model") == []
    with pytest.raises(KeyError, match='did you mean "channel"'):
        policy.field_values("chanel")
    assert policy.classify({"channel": "douyin"}).rule == "hot"
    assert Policy.from_json(policy.to_json()) == policy


SHADOWED = {
    "grades": ["hot", "cold"],
    "rules": [
        {"id": "B", "when": [{"field": "purchase_within_days", "op": "<=", "value": 30}],
         "grade": "hot"},
        {"id": "A", "when": [{"field": "purchase_within_days", "op": "<=", "value": 15}],
         "grade": "hot"},
        {"id": "default", "grade": "cold"},
    ],
    "cadence": {"follow_up_days": {"hot": 3, "cold": 14}},
}


def test_shadowed_rule_by_range_is_a_warning_naming_both_rules():
    (warning,) = Policy.from_json(json.dumps(SHADOWED)).warnings
    assert (warning.severity, warning.path, warning.rule) == ("warning", "/rules/1", "A")
    assert warning.message == (
        'rule "A" can never fire: the earlier rule "B" (/rules/0) takes every lead it would '
        "(purchase_within_days <= 15 implies purchase_within_days <= 30)")


def test_policy_check_prints_the_shadow_warning(tmp_path, capsys):
    from leadkit import cli

    path = tmp_path / "shadowed.json"
    path.write_text(json.dumps(SHADOWED), encoding="utf-8")
    assert cli.main(["policy", "check", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        'warning at /rules/1 (rule A): rule "A" can never fire: the earlier rule "B" (/rules/0) '
        "takes every lead it would (purchase_within_days <= 15 implies purchase_within_days <= 30)",
        "0 error(s), 1 warning(s)",
    ]


@pytest.mark.parametrize("name", Policy.presets())
def test_presets_state_their_deadline_rules(name):
    from conftest import ROOT
    source = json.loads((ROOT / "presets" / "policies" / f"{name}.json").read_text("utf-8"))
    cadence = source["cadence"]
    for sla in (cadence["entry_sla"], cadence["thank_you"], cadence["callback"]["within"]):
        assert sla["clock"] == "calendar"
        assert sla["closed_deadline"] == "end_of_next_open_day"
    for sla in (cadence["first_contact_sla"], cadence["lost_review"],
                cadence["downgrade_review"]["within"]):
        assert "closed_deadline" not in sla
    assert {interval["due"] for interval in cadence["follow_up_days"].values()} == {"end_of_day"}
    # The canonical document writes the same values (and the empty lists the sources omit).
    written = json.loads(Policy.preset(name).to_json())["cadence"]
    assert written == {"greetings": [], "campaigns": [], **cadence}


def test_a_document_without_the_deadline_rules_gets_the_presets():
    written = json.loads(Policy.from_json(json.dumps(MINIMAL)).to_json())["cadence"]
    assert written["thank_you"] == {"hours": 24, "clock": "calendar",
                                    "closed_deadline": "end_of_next_open_day"}
    assert written["callback"]["within"]["closed_deadline"] == "end_of_next_open_day"
    assert written["entry_sla"]["closed_deadline"] == "end_of_next_open_day"
    assert written["first_contact_sla"] == {"hours": 1, "clock": "business"}
    assert written["follow_up_days"] == {"hot": {"days": 3, "due": "end_of_day"},
                                         "cold": {"days": [14, 30], "due": "end_of_day"}}


@pytest.mark.parametrize("cadence,path,message", [
    ({"thank_you": {"hours": 24, "closed_deadline": "next_opne"}},
     "/cadence/thank_you/closed_deadline",
     'unknown closed_deadline "next_opne"; did you mean "next_open"?'),
    ({"callback": {"within": {"hours": 24, "clock": "calendar", "closed_deadline": "soon"}}},
     "/cadence/callback/within/closed_deadline",
     'unknown closed_deadline "soon" (expected one of keep, next_open, end_of_next_open_day)'),
    ({"lost_review": {"hours": 48, "clock": "business", "closed_deadline": "keep"}},
     "/cadence/lost_review/closed_deadline",
     "closed_deadline applies to the calendar clock only"),
    ({"follow_up_days": {"hot": {"days": 3, "due": "exatc"}, "cold": 14}},
     "/cadence/follow_up_days/hot/due", 'unknown due "exatc"; did you mean "exact"?'),
    ({"follow_up_days": {"hot": {"dayz": 3}, "cold": 14}},
     "/cadence/follow_up_days/hot/dayz", 'unknown key "dayz"; did you mean "days"?'),
])
def test_deadline_rule_problems_name_their_path(cadence, path, message):
    doc = json.loads(json.dumps(MINIMAL))
    doc["cadence"].update(cadence)
    with pytest.raises(PolicyError) as caught:
        Policy.from_json(json.dumps(doc))
    assert any(i.path == path and message in i.message for i in caught.value.issues), \
        [str(i) for i in caught.value.issues]


def test_deadline_rules_round_trip():
    doc = json.loads(json.dumps(MINIMAL))
    doc["cadence"].update({
        "thank_you": {"hours": 24, "clock": "calendar", "closed_deadline": "keep"},
        "callback": {"channels": [], "within": {"minutes": 90, "clock": "calendar",
                                                "closed_deadline": "next_open"}},
        "follow_up_days": {"hot": {"days": 3, "due": "exact"}, "cold": [14, 30]}})
    policy = Policy.from_json(json.dumps(doc))
    text = policy.to_json()
    written = json.loads(text)["cadence"]
    assert written["thank_you"]["closed_deadline"] == "keep"
    assert written["callback"]["within"] == {"minutes": 90, "clock": "calendar",
                                             "closed_deadline": "next_open"}
    assert written["follow_up_days"] == {"hot": {"days": 3, "due": "exact"},
                                         "cold": {"days": [14, 30], "due": "end_of_day"}}
    again = Policy.from_json(text)
    assert again == policy
    assert again.to_json() == text
    assert again != Policy.from_json(json.dumps(MINIMAL))


# Fault 1 of the hardening issue: deeply nested documents.

def test_deeply_nested_json_a_two_megabyte_policy_is_one_error_with_its_path(tmp_path):
    # {"rules": [[[...]]]}: level 101 (the first past the limit) is 99 steps below /rules.
    depth = 1024 * 1024
    text = '{"rules": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(PolicyError) as caught:
        Policy.from_json(text)
    (issue,) = caught.value.issues
    assert (issue.severity, issue.path) == ("error", "/rules" + "/0" * 99)
    assert issue.message == "policy document nests arrays and objects deeper than 100 levels"
    # Loading from a file looks up the calendar files first: the same one error.
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as loaded:
        Policy.load(path)
    assert [i.path for i in loaded.value.issues] == ["/rules" + "/0" * 99]
