"""Batch classification from tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frames
from ._policy import Policy


def classify(leads: Any, policy: Policy) -> pd.DataFrame:
    """Grades every lead under `policy`.

    `leads` is a pandas DataFrame, a pyarrow Table, any object with ``__arrow_c_stream__``
    (Polars, DuckDB) or a list of dicts with a ``lead_id`` column and any lead fields
    (docs/data.md); fields the rules read but the table lacks are null. An Arrow stream goes
    to the C++ engine as it is, without pandas (docs/data.md, "Arrow streams"). A
    ``grade`` column in the input is ignored: the grade comes from the rules.

    Returns one row per input row, in input order: ``lead_id``, ``grade`` and ``rule``
    (categoricals over the policy's grades and rule ids). A value of the wrong type raises
    ``ValueError`` naming the column, the row's ``lead_id`` and the value.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
    impl = policy._impl
    readers = _frames.arrow_readers({"leads": leads})
    if readers is not None:
        fields = {name: _frames.LEAD_FIELDS[name][0] for name in ["lead_id", *impl.fields]}
        if _frames.stream_ready(readers, {"leads": fields}, required={}):
            return _classify_arrow(readers["leads"], impl)
        leads = readers["leads"]
    frame = _frames.as_frame(leads, "leads")
    ids = _frames.require_ids(frame, "leads", "lead_id")
    specs = _frames.lead_specs(frame, impl.fields, compared=impl.compared_fields)
    grades, rules = _core.classify_batch(impl, len(frame), specs)
    return pd.DataFrame(
        {
            "lead_id": ids.array,  # the caller's array: no conversion to Python objects
            "grade": pd.Categorical.from_codes(grades, categories=impl.grades),
            "rule": pd.Categorical.from_codes(rules, categories=impl.rule_ids),
        }
    )


def _classify_arrow(leads: Any, impl: _core.Policy) -> pd.DataFrame:
    """classify() of an Arrow stream, read and graded by the C ABI's code (lk_classify_arrow):
    the same frame as the pandas path gives, the ids the stream's strings."""
    result = _frames.ArrowResult(_core.classify_arrow(impl, leads)).read_all()

    def codes(name: str) -> np.ndarray:
        column = result[name].combine_chunks()
        return column.indices.to_numpy(zero_copy_only=False)

    return pd.DataFrame(
        {
            "lead_id": pd.arrays.ArrowExtensionArray(result["lead_id"]),
            "grade": pd.Categorical.from_codes(codes("grade"), categories=impl.grades),
            "rule": pd.Categorical.from_codes(codes("rule"), categories=impl.rule_ids),
        }
    )
