"""Policies: loading, validation errors as data, and single-lead classification."""

from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import _core, _frames
from ._calendar import Calendar, CalendarError
from ._errors import DocumentError, as_bytes, read_document

Issue = _core.Issue
Classification = _core.Classification
Explanation = _core.Explanation
TraceEntry = _core.TraceEntry


class PolicyError(DocumentError):
    """A policy document has errors. ``.issues`` lists every issue found, warnings included."""

    kind = "policy"


class Policy:
    """An immutable, validated policy (docs/policy.md). Build one with :meth:`preset`,
    :meth:`from_json` or :meth:`load`."""

    __slots__ = ("_impl", "_files")

    def __init__(self, impl: _core.Policy, files: Mapping[str, _core.Calendar] | None = None):
        if not isinstance(impl, _core.Policy):
            raise TypeError("use Policy.preset(), Policy.from_json() or Policy.load()")
        self._impl = impl
        # The calendars its file references stood for: pickling sends them along.
        self._files = dict(files or {})

    @classmethod
    def presets(cls) -> list[str]:
        """The preset names: ``['three_level', 'abcd', 'oabc', 'funnel']``."""
        return list(_core.preset_names())

    @classmethod
    def preset(cls, name: str) -> "Policy":
        """A preset policy. ``KeyError`` names an unknown preset and lists the known ones."""
        return cls(_core.preset_policy(name))

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str | None = None,
                  files: Mapping[str, Any] | None = None) -> "Policy":
        """Parses a policy document; raises :class:`PolicyError` carrying every issue when the
        document has errors. Warnings stay on the policy (``.warnings``).

        `files` maps each calendar file reference the document names
        (``{"file": "calendars/shanghai_2027.json"}``, as written) to its
        :class:`leadkit.Calendar`; :meth:`load` reads them for you."""
        supplied = {}
        for ref, calendar in (files or {}).items():
            impl = getattr(calendar, "_impl", calendar)
            if not isinstance(impl, _core.Calendar):
                raise TypeError(f"files[{ref!r}]: expected a leadkit.Calendar, got "
                                f"{type(calendar).__name__}")
            supplied[str(ref)] = impl
        impl, issues = _core.load_policy(as_bytes(text), supplied)
        if impl is None:
            raise PolicyError(issues, source)
        used = _core.policy_file_references(as_bytes(text))
        return cls(impl, {ref: supplied[ref] for ref in used if ref in supplied})

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Policy":
        """Reads a policy document from a file (UTF-8), and each calendar file it references
        (``"calendar": {"file": ...}``, in ``calendars`` and in an inline calendar's
        ``extends``) relative to the policy file's directory (:meth:`Calendar.load`)."""
        source = os.fspath(path)
        text = read_document(path, PolicyError)
        base = os.path.dirname(os.path.abspath(source))
        files, failed = {}, {}
        for ref in _core.policy_file_references(text):
            resolved = os.path.join(base, ref)
            try:
                files[ref] = Calendar.load(resolved)
            except CalendarError as e:
                errors = "; ".join(str(i) for i in e.issues if i.severity == "error")
                failed[ref] = f'calendar file "{resolved}" has errors: {errors}'
            except OSError as e:
                failed[ref] = f'calendar file "{resolved}": {e.strerror or e}'
        try:
            return cls.from_json(text, source=source, files=files)
        except PolicyError as e:
            if not failed:
                raise
            # Say why a reference was not loaded where the document names it.
            issues = []
            for issue in e.issues:
                reason = next((why for ref, why in failed.items()
                               if issue.path.endswith("/file") and f'"{ref}"' in issue.message),
                              None)
                issues.append(issue if reason is None else
                              _core.Issue(issue.severity, issue.path, issue.rule, reason))
            raise PolicyError(issues, source) from None

    def to_json(self) -> str:
        """The canonical document; ``Policy.from_json(p.to_json()) == p``."""
        return self._impl.to_json()

    @property
    def name(self) -> str:
        return self._impl.name

    @property
    def description(self) -> str:
        return self._impl.description

    @property
    def grades(self) -> list[str]:
        """The grade names, in the order the policy declares them."""
        return list(self._impl.grades)

    @property
    def rule_ids(self) -> list[str]:
        return list(self._impl.rule_ids)

    @property
    def warnings(self) -> list[Issue]:
        return list(self._impl.warnings)

    @property
    def fields(self) -> list[str]:
        """The lead fields the rules read."""
        return list(self._impl.fields)

    @property
    def playbook(self) -> tuple:
        """The follow-up playbook's rules, in order (docs/playbook.md): each a
        ``PlaybookRule`` with ``id``, ``when`` (its conditions as text), ``method``,
        ``content``, ``goal``, ``note`` and ``zh`` (its guidance in Chinese, "" when the document
        gives none). The first rule whose conditions hold gives a
        task's action; a document without ``playbook`` has leadkit's default playbook."""
        return tuple(_core.playbook_rules_of(self._impl))

    @property
    def playbook_names_zh(self) -> dict[str, dict[str, str]]:
        """The document's Chinese names of playbook words (``playbook.zh``, docs/policy.md):
        ``{"content": {word: name}, "goals": {word: name}}``, each empty when it gives none."""
        return _core.playbook_names_zh(self._impl)

    @property
    def time_zone(self) -> str:
        return self._impl.time_zone

    @property
    def calendar_name(self) -> str:
        return self._impl.calendar_name

    def calendar(self):
        """The :class:`leadkit.Calendar` deadlines count on: the policy's ``calendar`` — a
        preset (its hours and dates read as wall times of the policy's `time_zone`), an inline
        document or a file."""
        return Calendar(self._impl.business_calendar)

    @property
    def calendars(self) -> dict[str, Any]:
        """The named calendars of the document's ``calendars`` (name -> :class:`leadkit.Calendar`)
        a dealers table's ``calendar`` column may name (docs/policy.md, "Calendars per
        dealer")."""
        return {name: Calendar(c) for name, c in self._impl.dealer_calendars.items()}

    @property
    def follow_up_days(self) -> dict[str, tuple[int, int]]:
        """Per grade, the follow-up interval ``(min_days, max_days)``."""
        return dict(self._impl.follow_up_days)

    @property
    def scorecard_weights(self) -> dict[str, float]:
        """The appraisal weights of the document's ``scorecard`` section (000 §8.2.1): KPI rate
        name (a ``*_rate`` column of :data:`leadkit.KPI_COLUMNS`) -> weight; empty when the
        policy has none. :func:`leadkit.scorecard` reads them."""
        return dict(self._impl.scorecard_weights)

    def field_values(self, field: str) -> list[str]:
        """The values rules may compare the categorical lead field `field` with: its documented
        set (docs/data.md), then the channels the document declares under ``extra_values``;
        ``[]`` for a field without a fixed set. KeyError for a field leads do not have."""
        return list(self._impl.field_values(field))

    def explain(self, lead: Mapping[Any, Any]) -> Explanation:
        """Grades one lead and says why not the other rules: ``.grade``, ``.rule``,
        ``.reasons`` and ``.trace`` — for every rule before the one that fired, its first failed
        condition and the lead's value (masked when personal), then the fired rule; when scoring
        graded the lead, every scoring item with its points (``.score`` is the total)."""
        return _core.explain_trace(self._impl, 1, self._lead_specs(lead), 0)

    def classify(self, lead: Mapping[Any, Any]) -> Classification:
        """Grades one lead given as a dict of lead fields and explains the grade.

        Keys must be lead fields (docs/data.md); an unknown key is a ``ValueError`` with the
        nearest field name, so a typo in a rule test cannot pass silently.
        """
        return _core.explain(self._impl, 1, self._lead_specs(lead), 0)

    def next_action(self, lead: Mapping[Any, Any], *, task: str, grade_now: str | None = None,
                    touches: int = 0) -> dict[str, Any]:
        """What the playbook says for one task of one lead (docs/playbook.md): the lead as a
        dict of lead fields, and the task fields — `task` (a task name), `grade_now` (the
        grade in force, None when unknown) and `touches` (the lead's touches so far).
        Returns ``{"rule", "method", "content", "goal", "reasons"}``; the reasons are the
        conditions that held, with the lead's values (personal data masked)."""
        names = list(_core.task_names())
        if task not in names:
            raise ValueError(f'task: unknown task "{task}"{_frames.suggest(str(task), names)}')
        grades = self.grades
        if grade_now is not None and grade_now not in grades:
            raise ValueError(f'grade_now: "{grade_now}" is not a grade of the policy '
                             f'({", ".join(grades)})')
        if isinstance(touches, bool) or not isinstance(touches, (int, np.integer)) or touches < 0:
            raise ValueError(f"touches: expected a count >= 0, got {touches!r}")
        _, rule, method, content, goal, reasons = _core.action_for(
            self._impl, 1, self._lead_specs(lead, _core.playbook_fields(self._impl)), 0,
            names.index(task), -1 if grade_now is None else grades.index(grade_now),
            int(touches))
        return {"rule": rule, "method": method, "content": content, "goal": goal,
                "reasons": list(reasons)}

    def _lead_specs(self, lead: Mapping[Any, Any], fields=None):
        """One lead as a one-row batch: the same converter as tables."""
        if not isinstance(lead, Mapping):
            raise TypeError(f"lead: expected a dict of lead fields, got {type(lead).__name__}")
        for key in lead:
            if key not in _frames.LEAD_FIELDS:
                raise ValueError(
                    f'lead: unknown field "{key}"{_frames.suggest(str(key), _frames.LEAD_FIELDS)}'
                )
        frame = pd.DataFrame({k: pd.Series([v], dtype=object) for k, v in lead.items()})
        # Strings, numbers and booleans are converted with their values (not only their null
        # flags), so that reasons can show the values; rules only null-test instants and dates.
        fields = self._impl.fields if fields is None else fields
        shown = [f for f in fields if _frames.LEAD_FIELDS[f][0] not in ("instant", "date")]
        return _frames.lead_specs(frame, fields, table="lead", compared=shown)

    def __reduce__(self):
        # Pickled as its canonical document and the calendars its file references stand for
        # (for process pools and cluster workers).
        return (_restore, (self.to_json(), {ref: c.to_json() for ref, c in self._files.items()}))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return self._impl == other._impl

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __repr__(self) -> str:
        return (
            f"Policy(name={self.name!r}, grades={self.grades!r}, rules={len(self.rule_ids)}, "
            f"warnings={len(self.warnings)})"
        )


def _restore(text: str, files: dict[str, str]) -> Policy:
    """A pickled policy: its document, and its calendar files as their documents."""
    calendars = {ref: _core.load_calendar(doc)[0] for ref, doc in files.items()}
    return Policy.from_json(text, files=calendars)


def check_policy(policy: Any) -> None:
    """A TypeError unless `policy` is a leadkit.Policy."""
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
