"""Testing rule policies: golden cases and policy diffs.

A golden case says what grade (and optionally which rule) a lead must get::

    [{"name": "walk-in with a deposit", "lead": {"deposit_paid": true}, "grade": "O", "rule": "O"}]

``run_cases(policy, cases)`` grades every case and reports the failures with their why-not
traces; ``leadkit policy test POLICY CASES.json`` runs it from the shell. ``diff(old, new,
leads)`` shows what a rule change would do to real leads (``leadkit policy diff``).

In a pytest suite::

    def test_my_policy():
        report = leadkit.testing.run_cases(Policy.load("policy.json"), "cases.json")
        assert report.ok, report.format()
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Sequence

import pandas as pd

from ._classify import classify
from ._policy import Explanation, Policy

__all__ = ["CaseError", "CaseReport", "CaseResult", "PolicyDiff", "diff", "format_explanation",
           "load_cases", "run_cases"]

_CASE_KEYS = {"name", "lead", "grade", "rule", "note"}


class CaseError(ValueError):
    """A golden-case file or case is malformed; the message names the case's index and name."""


@dataclasses.dataclass(frozen=True)
class CaseResult:
    index: int
    name: str
    expected_grade: str
    expected_rule: str | None
    explanation: Explanation

    @property
    def grade(self) -> str:
        return self.explanation.grade

    @property
    def rule(self) -> str:
        return self.explanation.rule

    @property
    def passed(self) -> bool:
        return self.grade == self.expected_grade and (
            self.expected_rule is None or self.rule == self.expected_rule)

    def format(self) -> str:
        expected = self.expected_grade + (f" by rule {self.expected_rule}"
                                          if self.expected_rule else "")
        head = (f"FAIL cases[{self.index}] {self.name!r}: expected {expected}, "
                f"got {self.grade} by rule {self.rule}")
        return head + "\n" + format_explanation(self.explanation, indent="    ")


@dataclasses.dataclass(frozen=True)
class CaseReport:
    results: list[CaseResult]

    @property
    def passed(self) -> list[CaseResult]:
        return [r for r in self.results if r.passed]

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return f"{len(self.passed)} passed, {len(self.failed)} failed"

    def format(self) -> str:
        """Every failing case with expected, actual and the trace, then the summary line."""
        return "\n".join([r.format() for r in self.failed] + [self.summary()])


def format_explanation(explanation: Explanation, indent: str = "") -> str:
    """The why-not trace as lines a person reads."""
    lines = []
    for entry in explanation.trace:
        if entry.points is not None:
            mark = "+" if entry.fired else " "
            lines.append(f"{indent}{mark} {entry.rule}: {entry.condition} "
                         f"[{entry.value}] -> {entry.points:g} points")
        elif entry.fired:
            lines.append(f"{indent}* {entry.rule} fired: {entry.condition or '(no conditions)'}"
                         + (f" [{entry.value}]" if entry.value else ""))
        else:
            lines.append(f"{indent}- {entry.rule} did not fire: {entry.condition} "
                         f"is false for [{entry.value}]")
    if explanation.score is not None:
        lines.append(f"{indent}= total {explanation.score:g} -> {explanation.grade}")
    return "\n".join(lines)


def load_cases(source: str | os.PathLike | Sequence[Any]) -> list[dict]:
    """Golden cases from a JSON file or a list; every problem is a :class:`CaseError`."""
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, encoding="utf-8") as f:
                cases = json.load(f)
        except json.JSONDecodeError as e:
            raise CaseError(f"{os.fspath(source)}: malformed JSON at line {e.lineno}, "
                            f"column {e.colno}: {e.msg}") from None
        except RecursionError:
            # Python's reader recurses once per level: a hostile file must not escape as
            # RecursionError (the C++ documents' limit is 100 levels).
            raise CaseError(f"{os.fspath(source)}: malformed JSON: arrays and objects nested "
                            "too deeply") from None
    else:
        cases = source
    if not isinstance(cases, list):
        raise CaseError(f"cases: expected a list of cases, got {type(cases).__name__}")
    out = []
    for index, case in enumerate(cases):
        if not isinstance(case, dict):
            raise CaseError(f"cases[{index}]: expected an object, got {type(case).__name__}")
        name = case.get("name", f"case {index}")
        where = f"cases[{index}] ({name!r})"
        unknown = sorted(set(case) - _CASE_KEYS)
        if unknown:
            raise CaseError(f"{where}: unknown key {unknown[0]!r} (keys: "
                            f"{', '.join(sorted(_CASE_KEYS))})")
        if not isinstance(case.get("lead"), dict):
            raise CaseError(f"{where}: needs \"lead\", an object of lead fields")
        if not isinstance(case.get("grade"), str):
            raise CaseError(f"{where}: needs \"grade\", the grade the lead must get")
        if "rule" in case and not isinstance(case["rule"], str):
            raise CaseError(f"{where}: \"rule\" is a rule id (a string)")
        out.append(dict(case, name=str(name)))
    return out


def run_cases(policy: Policy, cases: str | os.PathLike | Sequence[Any]) -> CaseReport:
    """Grades every golden case under `policy`. A case that names a grade or rule the policy
    does not have, or whose lead has an unknown field or a wrong value, is a
    :class:`CaseError` naming the case."""
    results = []
    for index, case in enumerate(load_cases(cases)):
        where = f"cases[{index}] ({case['name']!r})"
        if case["grade"] not in policy.grades:
            raise CaseError(f"{where}: unknown grade {case['grade']!r} (policy grades: "
                            f"{', '.join(policy.grades)})")
        if "rule" in case and case["rule"] not in policy.rule_ids:
            raise CaseError(f"{where}: unknown rule {case['rule']!r} (policy rules: "
                            f"{', '.join(policy.rule_ids)})")
        try:
            explanation = policy.explain(case["lead"])
        except (ValueError, TypeError) as e:
            raise CaseError(f"{where}: {e}") from None
        results.append(CaseResult(index, case["name"], case["grade"], case.get("rule"),
                                  explanation))
    return CaseReport(results)


@dataclasses.dataclass(frozen=True)
class PolicyDiff:
    matrix: pd.DataFrame   # old grade (rows) x new grade (columns): lead counts
    changes: pd.DataFrame  # the leads whose grade changed: lead_id, old/new grade and rule

    def format(self, examples: int = 3) -> str:
        lines = ["leads by grade: old (rows) -> new (columns)", self.matrix.to_string(), ""]
        if self.changes.empty:
            lines.append("no lead changes grade")
            return "\n".join(lines)
        lines.append(f"{len(self.changes)} lead(s) change grade:")
        groups = self.changes.groupby(["old_grade", "new_grade"], observed=True, sort=True)
        for (old, new), group in groups:
            shown = group.head(examples)
            ids = ", ".join(f"{r.lead_id} ({r.old_rule} -> {r.new_rule})"
                            for r in shown.itertuples())
            more = f" and {len(group) - len(shown)} more" if len(group) > len(shown) else ""
            lines.append(f"  {old} -> {new}: {len(group)}, e.g. {ids}{more}")
        return "\n".join(lines)


def diff(old: Policy, new: Policy, leads: Any) -> PolicyDiff:
    """Classifies `leads` under both policies: the grade-change matrix and the changed leads."""
    before = classify(leads, old)
    after = classify(leads, new)
    old_grade = before["grade"].astype(str)
    new_grade = after["grade"].astype(str)
    matrix = pd.crosstab(
        pd.Categorical(old_grade, categories=old.grades, ordered=True),
        pd.Categorical(new_grade, categories=new.grades, ordered=True),
        rownames=["old"], colnames=["new"], dropna=False,
    )
    changed = (old_grade != new_grade).to_numpy()
    changes = pd.DataFrame({
        "lead_id": before["lead_id"].to_numpy()[changed],
        "old_grade": old_grade.to_numpy()[changed],
        "new_grade": new_grade.to_numpy()[changed],
        "old_rule": before["rule"].astype(str).to_numpy()[changed],
        "new_rule": after["rule"].astype(str).to_numpy()[changed],
    })
    return PolicyDiff(matrix, changes)
