"""Regression tests for defects found by using leadkit across its whole surface: a preset with
another engine, a table in another form. Each test is named after its defect."""

import numpy as np
import pandas as pd
import pytest

import leadkit
import leadkit.synth
from leadkit import Policy

from times import ts

THREE_LEVEL = Policy.preset("three_level")


def _two_leads_with_models():
    """Two leads assigned at 10:00 on Monday 10 June 2024: L1 called at 10:30 (within the
    business hour), L2 at 12:00 (late)."""
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2"],
        "created_at": [ts("2024-06-10 10:00")] * 2,
        "assigned_at": [ts("2024-06-10 10:00")] * 2,
        "channel": ["website", "website"],
        "model": ["C200", "GLC"],
        "asked_price": [True, False],
    })
    touches = pd.DataFrame({
        "lead_id": ["L1", "L2"],
        "at": [ts("2024-06-10 10:30"), ts("2024-06-10 12:00")],
        "method": ["phone", "phone"],
    })
    return leads, touches


def test_defect_kpis_three_level_with_model_column():
    # The rules only test `model` for null, the cadence reads its values: both must be passed.
    leads, touches = _two_leads_with_models()
    as_of = ts("2024-06-10 18:00")
    row = leadkit.kpis(leads, touches, THREE_LEVEL, as_of=as_of).iloc[0]
    assert (row["leads"], row["first_contacts_due"], row["first_contact_on_time"]) == (2, 2, 1)
    per_lead = leadkit.lead_kpis(leads, touches, THREE_LEVEL, as_of=as_of)
    assert per_lead["first_contact_on_time"].tolist() == [True, False]
    tasks = leadkit.schedule(leads, touches, THREE_LEVEL, as_of=as_of)
    assert set(tasks["lead_id"]) <= {"L1", "L2"}
    findings = leadkit.audit(leads, touches, THREE_LEVEL, as_of=as_of)
    assert "L2" in set(findings["lead_id"])


def test_defect_kpis_three_level_on_generated_data():
    data = leadkit.synth.generate(leads=200, dealers=3, seed=4, grades=("high", "medium", "low"))
    table = leadkit.kpis(data.leads, data.touches, THREE_LEVEL, by="channel")
    # `leads` counts the leads that are not invalid (docs/kpis.md): together, every lead.
    assert table["leads"].sum() + table["invalid"].sum() == len(data.leads)


def _nullable_leads():
    return pd.DataFrame({
        "lead_id": ["N1", "N2", "N3", "N4", "N5"],
        "created_at": [ts("2024-06-10 09:00")] * 5,
        "model": ["C200", None, "GLC", "C200", None],
        "asked_price": pd.array([True, False, None, True, True], dtype="boolean"),
        "asked_config": pd.array([True, True, False, None, True], dtype="boolean"),
        "purchase_within_days": pd.array([30, 200, None, 60, 10], dtype="Int64"),
        "models_considered": pd.array([1, 3, 2, None, 1], dtype="Int64"),
        "lat": [31.2, 31.3, np.nan, 31.25, 31.1],
        "lon": [121.4, 121.5, np.nan, 121.45, 121.3],
    })


@pytest.mark.parametrize("view", ["reversed", "every_other"])
def test_defect_strided_and_reversed_frames(view):
    leads = _nullable_leads()
    pick = slice(None, None, -1) if view == "reversed" else slice(None, None, 2)
    strided = leads.iloc[pick]
    # The views really are non-contiguous: the defect needs them.
    assert not strided["purchase_within_days"].array._data.flags.c_contiguous
    expected = leadkit.classify(leads, THREE_LEVEL).iloc[pick].reset_index(drop=True)
    got = leadkit.classify(strided, THREE_LEVEL)
    pd.testing.assert_frame_equal(got, expected)
    got = leadkit.classify(strided.astype({"lat": "float64"}), THREE_LEVEL)
    pd.testing.assert_frame_equal(got, expected)


def test_defect_strided_float_columns_in_route_and_lead_kpis():
    leads = _nullable_leads()
    dealers = pd.DataFrame({"dealer_id": ["D1"], "region_id": ["R1"], "lat": [31.2],
                            "lon": [121.4]})
    consultants = pd.DataFrame({"consultant_id": ["C1"], "dealer_id": ["D1"]})
    touches = pd.DataFrame({"lead_id": ["N1"], "at": [ts("2024-06-10 09:30")],
                            "method": ["phone"]})
    reversed_leads = leads.iloc[::-1]
    assert reversed_leads["lat"].to_numpy().strides[0] < 0
    routed = leadkit.route(reversed_leads, dealers, consultants, THREE_LEVEL)
    assert routed["lead_id"].tolist() == ["N5", "N4", "N3", "N2", "N1"]
    # N3 has no location; the others are within a few km of D1.
    assert routed.set_index("lead_id").loc["N1", "dealer_id"] == "D1"
    as_of = ts("2024-06-11 09:00")
    forward = leadkit.lead_kpis(leads, touches, THREE_LEVEL, as_of=as_of)
    backward = leadkit.lead_kpis(reversed_leads, touches, THREE_LEVEL, as_of=as_of)
    pd.testing.assert_frame_equal(backward, forward.iloc[::-1].reset_index(drop=True))


def test_defect_route_nullable_int_coordinates():
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2"], "region_id": ["R1", "R1"],
                            "lat": [31.0, 40.0], "lon": [121.0, 116.0]})
    consultants = pd.DataFrame({"consultant_id": ["C1", "C2"], "dealer_id": ["D1", "D2"]})
    leads = pd.DataFrame({
        "lead_id": ["I1", "I2", "I3"],
        "created_at": [ts("2024-06-10 09:00")] * 3,
        "lat": pd.array([31, 40, None], dtype="Int64"),
        "lon": pd.array([121, 116, None], dtype="Int64"),
    })
    routed = leadkit.route(leads, dealers, consultants, THREE_LEVEL)
    assert routed["dealer_id"].tolist()[:2] == ["D1", "D2"]
    assert routed["distance_km"].tolist()[:2] == [0.0, 0.0]


def test_defect_package_imports_only_declared_dependencies():
    # `import leadkit` in a new environment failed: pyarrow was imported at import time but was
    # only an extra. Every module imported at the top of a leadkit module is the standard
    # library's, leadkit's own, or a declared dependency (scripts/fresh-install runs it too).
    import ast
    import pathlib
    import re
    import sys
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later

    root = pathlib.Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=\[ ]", spec)[0].replace("-", "_")
                for spec in project["dependencies"]}
    seen = {}
    for path in sorted((root / "python" / "leadkit").glob("*.py")):
        for node in ast.parse(path.read_text()).body:  # module level only: lazy imports are fine
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                seen.setdefault(name.split(".")[0], path.name)
    third_party = {name: where for name, where in seen.items()
                   if name not in sys.stdlib_module_names and name not in ("leadkit", "__future__")}
    # leadkit.dask is the Dask extra's module: it is imported only by those who use it.
    third_party = {n: w for n, w in third_party.items() if not (n in ("dask", "distributed")
                                                                   and w == "dask.py")}
    assert "pyarrow" in third_party
    missing = {name: where for name, where in third_party.items() if name not in declared}
    assert not missing, f"imported at module level but not in dependencies: {missing}"


@pytest.mark.parametrize("form", ["category", "str", "arrow"])
def test_group_keys_keep_the_dtype_they_came_in(form):
    leads, touches = _two_leads_with_models()
    if form == "arrow":
        import pyarrow as pa

        table = pa.Table.from_pandas(leads, preserve_index=False)
        want = pd.ArrowDtype(table.schema.field("channel").type)
        leads = table
    else:
        leads = leads.astype({"channel": form})
        want = leads["channel"].dtype
    as_of = ts("2024-06-10 18:00")
    out = leadkit.kpis(leads, touches, THREE_LEVEL, by="channel", as_of=as_of)
    assert out["channel"].dtype == want
    assert out["channel"].astype(object).tolist() == ["website"]
    funnel = leadkit.funnel(leads, touches, THREE_LEVEL, by="channel", as_of=as_of)
    assert funnel["channel"].dtype == want
