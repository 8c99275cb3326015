"""Why-not traces, point scoring from Python, golden cases and policy diffs."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import leadkit
from leadkit import Policy, testing

from conftest import ROOT

EXAMPLES = ROOT / "docs" / "examples"

SCORED = {
    "grades": ["A", "B", "C"],
    "rules": [{"id": "deposit", "when": [{"field": "deposit_paid", "op": "==", "value": True}],
               "grade": "A"}],
    "scoring": {
        "points": [
            {"id": "price", "when": [{"field": "asked_price", "op": "==", "value": True}], "points": 30},
            {"id": "drive", "when": [{"field": "test_drive", "op": "==", "value": True}], "points": 40},
            {"id": "phone_given", "when": [{"field": "phone", "op": "not_null"}], "points": 5},
        ],
        "bands": [{"max": 30, "grade": "C"}, {"min": 30, "max": 60, "grade": "B"},
                  {"min": 60, "grade": "A"}],
    },
    "cadence": {"follow_up_days": {"A": 3, "B": 7, "C": 14}},
}


def run(*args):
    return subprocess.run([sys.executable, "-m", "leadkit", *args], capture_output=True,
                          text=True)


def test_explain_traces_every_rule_before_the_one_that_fired():
    e = Policy.preset("abcd").explain({"purchase_within_days": 40, "test_drive": True})
    assert (e.grade, e.rule) == ("C", "C")
    assert [(t.rule, t.fired) for t in e.trace] == [("A", False), ("B", False), ("C", True)]
    assert e.trace[0].condition == ("any_of(purchase_within_days <= 15, "
                                    "all_of(test_drive == true, asked_price == true))")
    assert e.trace[0].value == "purchase_within_days: 40, test_drive: true, asked_price: null"
    assert (e.trace[1].condition, e.trace[1].value) == ("purchase_within_days <= 30", "40")
    assert e.trace[0].points is None and e.score is None


def test_explain_with_scoring_and_masked_personal_data():
    policy = Policy.from_json(json.dumps(SCORED))
    e = policy.explain({"asked_price": True, "phone": "13800138000", "deposit_paid": False})
    assert (e.grade, e.rule, e.score) == ("B", "scoring", 35)
    assert [(t.rule, t.fired, t.points) for t in e.trace] == [
        ("deposit", False, None), ("price", True, 30), ("drive", False, 0),
        ("phone_given", True, 5)]
    assert e.trace[3].value == '"138****8000"'
    assert "13800138000" not in repr([t.value for t in e.trace]) + " ".join(e.reasons)
    assert e.reasons[-1] == "total 35 is in the band [30, 60) of grade B"
    text = testing.format_explanation(e)
    assert "+ price: asked_price == true [true] -> 30 points" in text
    assert "= total 35 -> B" in text


def test_batch_classification_with_scoring():
    policy = Policy.from_json(json.dumps(SCORED))
    leads = pd.DataFrame({"lead_id": ["a", "b", "c"], "deposit_paid": [True, False, None],
                          "test_drive": [None, True, None], "asked_price": [None, True, None]})
    result = leadkit.classify(leads, policy)
    assert list(result["grade"]) == ["A", "A", "C"]
    assert list(result["rule"]) == ["deposit", "scoring", "scoring"]
    assert list(result["rule"].cat.categories) == ["deposit", "scoring"]


@pytest.mark.parametrize("preset", Policy.presets())
def test_the_presets_golden_cases_pass(preset):
    report = testing.run_cases(Policy.preset(preset), EXAMPLES / f"{preset}_cases.json")
    assert report.ok, report.format()
    assert len(report.results) >= 4


def test_a_failing_case_shows_expected_actual_and_the_trace(tmp_path):
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps([
        {"name": "should be A", "lead": {"purchase_within_days": 40}, "grade": "A"},
        {"name": "fine", "lead": {"purchase_within_days": 3}, "grade": "A", "rule": "A"},
    ]), encoding="utf-8")
    report = testing.run_cases(Policy.preset("abcd"), cases)
    assert [r.name for r in report.failed] == ["should be A"]
    assert report.summary() == "1 passed, 1 failed"
    result = run("policy", "test", "abcd", str(cases))
    assert result.returncode == 1
    assert "FAIL cases[0] 'should be A': expected A, got C by rule C" in result.stdout
    assert "- B did not fire: purchase_within_days <= 30 is false for [40]" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "1 passed, 1 failed"


@pytest.mark.parametrize("cases, message", [
    ({"name": "x"}, "cases: expected a list of cases, got dict"),
    ([{"name": "no lead", "grade": "A"}], "cases[0] ('no lead'): needs \"lead\""),
    ([{"lead": {}}], "cases[0] ('case 0'): needs \"grade\""),
    ([{"name": "g", "lead": {}, "grade": "Z"}], "cases[0] ('g'): unknown grade 'Z' (policy grades: A, B, C, D)"),
    ([{"name": "r", "lead": {}, "grade": "A", "rule": "AA"}], "cases[0] ('r'): unknown rule 'AA'"),
    ([{"name": "f", "lead": {"purchase_in_days": 3}, "grade": "A"}],
     "cases[0] ('f'): lead: unknown field \"purchase_in_days\"; did you mean \"purchase_within_days\""),
    ([{"name": "t", "lead": {}, "grade": "A", "expected": "A"}], "cases[0] ('t'): unknown key 'expected'"),
])
def test_bad_cases_name_the_case(cases, message, tmp_path):
    with pytest.raises(testing.CaseError) as caught:
        testing.run_cases(Policy.preset("abcd"), cases)
    assert message in str(caught.value)
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    result = run("policy", "test", "abcd", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_case_file_is_exit_2(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text("[{", encoding="utf-8")
    result = run("policy", "test", "abcd", str(path))
    assert result.returncode == 2
    assert "malformed JSON at line 1" in result.stderr


def test_policy_diff_shows_the_grade_change_matrix(tmp_path):
    new = json.loads(Policy.preset("abcd").to_json())
    new["rules"][1]["when"][0]["value"] = 45  # B: within 45 days instead of 30
    new_path = tmp_path / "new.json"
    new_path.write_text(json.dumps(new), encoding="utf-8")
    leads = pd.DataFrame({"lead_id": ["a", "b", "c", "d"],
                          "purchase_within_days": [10, 40, 44, 80]})
    d = testing.diff(Policy.preset("abcd"), Policy.load(new_path), leads)
    assert d.matrix.loc["C", "B"] == 2
    assert d.matrix.loc["A", "A"] == 1 and d.matrix.loc["C", "C"] == 1
    assert list(d.changes["lead_id"]) == ["b", "c"]
    assert list(d.changes["old_rule"]) == ["C", "C"] and list(d.changes["new_rule"]) == ["B", "B"]
    csv = tmp_path / "leads.csv"
    leads.to_csv(csv, index=False)
    result = run("policy", "diff", "abcd", str(new_path), str(csv))
    assert result.returncode == 0
    assert "C -> B: 2, e.g. b (C -> B), c (C -> B)" in result.stdout
    same = run("policy", "diff", "abcd", "abcd", str(csv))
    assert "no lead changes grade" in same.stdout


def test_deeply_nested_json_a_case_file_is_a_case_error(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(testing.CaseError, match=r"cases\.json: malformed JSON: arrays and objects "
                                                 r"nested too deeply"):
        testing.load_cases(path)
