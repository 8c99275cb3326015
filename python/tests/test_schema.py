"""docs/policy.schema.json describes the documents leadkit loads."""

import json
import re

import pytest

import leadkit
from leadkit import Policy, _frames

from conftest import ROOT

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = json.loads((ROOT / "docs" / "policy.schema.json").read_text(encoding="utf-8"))


def _registry():
    """The calendar schema, which the policy schema's inline calendars refer to."""
    referencing = pytest.importorskip("referencing")
    calendar = json.loads((ROOT / "docs" / "calendar.schema.json").read_text(encoding="utf-8"))
    return referencing.Registry().with_resource(
        calendar["$id"], referencing.Resource.from_contents(calendar))


VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, registry=_registry())


def test_schema_is_valid():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", Policy.presets())
def test_presets_and_their_canonical_form_validate(name):
    source = json.loads((ROOT / "presets" / "policies" / f"{name}.json").read_text("utf-8"))
    VALIDATOR.validate(source)
    VALIDATOR.validate(json.loads(Policy.preset(name).to_json()))


def test_the_whole_document_of_the_docs_validates_and_loads():
    text = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    block = re.search(r"## A whole document\s+```json\n(.*?)```", text, re.S).group(1)
    VALIDATOR.validate(json.loads(block))
    assert Policy.from_json(block).grades == ["hot", "cold"]


def test_chinese_names_of_playbook_words_validate_and_load():
    doc = json.loads(Policy.preset("three_level").to_json())
    doc["playbook"]["goals"] = ["win_back"]
    doc["playbook"]["zh"] = {"content": {"updates": "最新资讯"}, "goals": {"win_back": "挽回客户"}}
    VALIDATOR.validate(doc)
    assert Policy.from_json(json.dumps(doc)).playbook_names_zh == doc["playbook"]["zh"]


def test_lead_fields_match_the_library():
    assert SCHEMA["$defs"]["lead_field"]["enum"] == list(_frames.LEAD_FIELDS)


@pytest.mark.parametrize("mutation", [
    lambda d: d.update(grads=[]),
    lambda d: d["rules"][0].update(when=[{"field": "modle", "op": "not_null"}]),
    lambda d: d["rules"][0].update(when=[{"field": "model", "op": "is_null", "value": 1}]),
    lambda d: d["rules"][0].update(when=[{"field": "model", "op": "in", "value": "C200"}]),
    lambda d: d["cadence"].update(entry_sla={"hours": 1, "minutes": 5}),
    lambda d: d["cadence"]["follow_up_days"].update(high=0),
    lambda d: d["cadence"]["thank_you"].update(closed_deadline="next_opne"),
    lambda d: d["cadence"]["first_contact_sla"].update(closed_deadline="next_open"),
    lambda d: d["cadence"]["follow_up_days"].update(high={"days": 3, "due": "end_of_dya"}),
    lambda d: d["cadence"]["follow_up_days"].update(high={"due": "exact"}),
    lambda d: d["routing"].update(overflow="next_dealr"),
    lambda d: d["routing"].update(overflow=True),
    lambda d: d["playbook"].update(zh={"goals": {"keep_interest": ""}}),
    lambda d: d["playbook"].update(zh={"goal": {"keep_interest": "保持兴趣"}}),
    lambda d: d["playbook"].update(zh={"content": ["新车型"]}),
])
def test_schema_and_loader_both_reject(mutation):
    doc = json.loads(Policy.preset("three_level").to_json())
    mutation(doc)
    assert list(VALIDATOR.iter_errors(doc))
    with pytest.raises(leadkit.PolicyError):
        Policy.from_json(json.dumps(doc))


BERLIN = {"name": "berlin_office", "time_zone": "Europe/Berlin",
          "weekly": {"mon": [["09:00", "18:00"]], "fri": [["09:00", "17:00"]]}}


@pytest.mark.parametrize("calendar", [
    "cn_office",
    {"name": "cn_office", "time_zone": "Asia/Tokyo"},
    {"file": "calendars/berlin.json"},
    BERLIN,
])
def test_each_form_of_calendar_validates_and_loads(calendar):
    doc = json.loads(Policy.preset("abcd").to_json())
    doc["calendar"] = calendar
    doc["calendars"] = {"berlin": BERLIN, "office": "cn_office"}
    VALIDATOR.validate(doc)
    files = {"calendars/berlin.json": leadkit.Calendar.from_json(json.dumps(BERLIN))}
    loaded = Policy.from_json(json.dumps(doc), files=files)
    VALIDATOR.validate(json.loads(loaded.to_json()))


@pytest.mark.parametrize("calendar", [
    "cn_ofice",
    {"file": ""},
    {"file": "a.json", "name": "x"},
    {**BERLIN, "weekly": {"monday": []}},
    {"weekly": {"mon": []}},
])
def test_schema_and_loader_both_reject_a_calendar(calendar):
    doc = json.loads(Policy.preset("abcd").to_json())
    doc["calendars"] = {"x": calendar}
    assert list(VALIDATOR.iter_errors(doc))
    with pytest.raises(leadkit.PolicyError):
        Policy.from_json(json.dumps(doc), files={"a.json": leadkit.Calendar.preset("cn_office")})


CALENDAR_SCHEMA = json.loads((ROOT / "docs" / "calendar.schema.json").read_text(encoding="utf-8"))
CALENDAR_VALIDATOR = jsonschema.Draft202012Validator(CALENDAR_SCHEMA)


@pytest.mark.parametrize("name", leadkit.Calendar.presets())
def test_calendar_presets_validate(name):
    jsonschema.Draft202012Validator.check_schema(CALENDAR_SCHEMA)
    source = json.loads((ROOT / "presets" / "calendars" / f"{name}.json").read_text("utf-8"))
    CALENDAR_VALIDATOR.validate(source)
    CALENDAR_VALIDATOR.validate(json.loads(leadkit.Calendar.preset(name).to_json()))


def test_the_calendar_document_of_the_docs_validates_and_loads():
    text = (ROOT / "docs" / "calendars.md").read_text(encoding="utf-8")
    block = re.search(r"## The document\s+```json\n(.*?)```", text, re.S).group(1)
    CALENDAR_VALIDATOR.validate(json.loads(block))
    assert leadkit.Calendar.from_json(block).name == "my_office"


def test_the_extending_document_of_the_docs_validates_and_loads():
    text = (ROOT / "docs" / "calendars.md").read_text(encoding="utf-8")
    block = re.search(r"## Extending a calendar: next year's holidays.*?```json\n(.*?)```",
                      text, re.S).group(1)
    doc = json.loads(block)
    assert "time_zone" not in doc and "weekly" not in doc
    CALENDAR_VALIDATOR.validate(doc)
    CALENDAR_VALIDATOR.validate({"extends": {"file": "../shared/cn_office_2027.json"},
                                 "weekly": {"sat": [["10:00", "16:00"]]}})
    calendar = leadkit.Calendar.from_json(block)
    assert calendar.name == "cn_office_2027"
    assert calendar.coverage[1].isoformat() == "2027-12-31"
    # The flattened form is an ordinary document again.
    CALENDAR_VALIDATOR.validate(json.loads(calendar.to_json()))


@pytest.mark.parametrize("mutation", [
    lambda d: d.pop("time_zone"),  # required without "extends"
    lambda d: d.update(extends=3),
    lambda d: d.update(extends={"file": "base.json", "fiel": "x"}),
    lambda d: d.update(extends={"path": "base.json"}),
])
def test_calendar_schema_and_loader_both_reject_a_bad_extends(mutation):
    doc = json.loads(leadkit.Calendar.preset("cn_office").to_json())
    mutation(doc)
    assert list(CALENDAR_VALIDATOR.iter_errors(doc))
    with pytest.raises(leadkit.CalendarError):
        leadkit.Calendar.from_json(json.dumps(doc), files={
            "base.json": leadkit.Calendar.preset("cn_office")})


@pytest.mark.parametrize("mutation", [
    lambda d: d.update(weekly={"monday": []}),
    lambda d: d["weekly"].update(mon=[["9:00", "12:00"]]),
    lambda d: d.update(coverage={"from": "2024-01-01"}),
    lambda d: d.update(extra=[{"date": "2024-02-04", "hours": [["09:00", "18:00"]], "like": "mon"}]),
])
def test_calendar_schema_and_loader_both_reject(mutation):
    doc = json.loads(leadkit.Calendar.preset("cn_office").to_json())
    mutation(doc)
    assert list(CALENDAR_VALIDATOR.iter_errors(doc))
    with pytest.raises(leadkit.CalendarError):
        leadkit.Calendar.from_json(json.dumps(doc))


def test_a_scoring_policy_validates():
    from test_testing import SCORED
    VALIDATOR.validate(SCORED)
    VALIDATOR.validate(json.loads(Policy.from_json(json.dumps(SCORED)).to_json()))
    only = {k: v for k, v in SCORED.items() if k != "rules"}
    VALIDATOR.validate(only)
    assert Policy.from_json(json.dumps(only)).rule_ids == ["scoring"]
