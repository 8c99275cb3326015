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
