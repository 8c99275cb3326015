"""Batch classification from tables."""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import _core, _frames
from ._policy import Policy


def classify(leads: Any, policy: Policy) -> pd.DataFrame:
    """Grades every lead under `policy`.

    `leads` is a pandas DataFrame, a pyarrow Table or a list of dicts with a ``lead_id`` column
    and any lead fields (docs/data.md); fields the rules read but the table lacks are null. A
    ``grade`` column in the input is ignored: the grade comes from the rules.

    Returns one row per input row, in input order: ``lead_id``, ``grade`` and ``rule``
    (categoricals over the policy's grades and rule ids). A value of the wrong type raises
    ``ValueError`` naming the column, the row's ``lead_id`` and the value.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
    frame = _frames.as_frame(leads, "leads")
    ids = _frames.require_ids(frame, "leads", "lead_id")
    impl = policy._impl
    specs = _frames.lead_specs(frame, impl.fields, compared=impl.compared_fields)
    grades, rules = _core.classify_batch(impl, len(frame), specs)
    return pd.DataFrame(
        {
            "lead_id": ids.array,  # the caller's array: no conversion to Python objects
            "grade": pd.Categorical.from_codes(grades, categories=impl.grades),
            "rule": pd.Categorical.from_codes(rules, categories=impl.rule_ids),
        }
    )
