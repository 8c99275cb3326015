"""leadkit's batch path, its single-lead path, the C++ library used from a C++ program, and an
independent numpy version of the presets all agree on a few thousand random leads."""

import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import leadkit
from leadkit import Policy

from reference import numpy_grades, random_leads

N = 3000


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return random_leads(N, seed=42)


@pytest.mark.parametrize("preset", Policy.presets())
def test_batch_matches_numpy(leads, preset):
    result = leadkit.classify(leads, Policy.preset(preset))
    np.testing.assert_array_equal(result["grade"].to_numpy(dtype=object),
                                  numpy_grades(leads, preset).astype(object))


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                        else v) for k, v in row.items()})
    return out


@pytest.mark.parametrize("preset", Policy.presets())
def test_single_lead_path_matches_batch(leads, preset):
    policy = Policy.preset(preset)
    subset = leads.head(300)
    batch = leadkit.classify(subset, policy)
    for record, (grade, rule) in zip(_records(subset), zip(batch["grade"], batch["rule"])):
        one = policy.classify(record)
        assert (one.grade, one.rule) == (grade, rule), record


@pytest.mark.skipif(not os.environ.get("LEADKIT_CONSUMER"),
                    reason="LEADKIT_CONSUMER (set by scripts/test) names the C++ consumer program")
@pytest.mark.parametrize("preset", Policy.presets())
def test_cpp_program_matches_python(leads, preset, tmp_path):
    path = tmp_path / "leads.json"
    path.write_text(json.dumps(_records(leads)), encoding="utf-8")
    out = subprocess.run([os.environ["LEADKIT_CONSUMER"], preset, str(path)],
                         check=True, capture_output=True, text=True).stdout
    cpp = [line.split(",") for line in out.splitlines()]
    python = leadkit.classify(leads, Policy.preset(preset))
    assert cpp == [[i, g, r] for i, g, r in zip(python["lead_id"], python["grade"], python["rule"])]


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

_days = st.one_of(st.none(), st.integers(min_value=-5, max_value=200))
_flag = st.one_of(st.none(), st.booleans())
_lead = st.fixed_dictionaries({
    "model": st.one_of(st.none(), st.sampled_from(["C200", "GLC"])),
    "models_considered": st.one_of(st.none(), st.integers(0, 5)),
    "asked_price": _flag, "asked_config": _flag, "deposit_paid": _flag, "test_drive": _flag,
    "purchase_within_days": _days,
    "store_visits": st.one_of(st.none(), st.integers(0, 3)),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(_lead, min_size=1, max_size=40), st.sampled_from(Policy.presets()))
def test_any_leads_any_preset_match_numpy(rows, preset):
    frame = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(len(rows))],
        **{col: pd.array([r[col] for r in rows],
                         dtype="boolean" if col in ("asked_price", "asked_config",
                                                    "deposit_paid", "test_drive")
                         else ("Float64" if col != "model" else object))
           for col in rows[0]},
    })
    result = leadkit.classify(frame, Policy.preset(preset))
    reference = frame.copy()
    for col in ("purchase_within_days", "models_considered", "store_visits"):
        reference[col] = reference[col].astype("float64")
    np.testing.assert_array_equal(result["grade"].to_numpy(dtype=object),
                                  numpy_grades(reference, preset).astype(object))
