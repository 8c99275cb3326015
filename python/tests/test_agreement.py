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


# --- leadkit_reports (tests/install/reports.cc): every report from a C++ program -------------

_REPORTS = os.environ.get("LEADKIT_REPORTS")
_needs_reports = pytest.mark.skipif(
    not _REPORTS, reason="LEADKIT_REPORTS (set by scripts/test) names the C++ reports program")
#: Inside the synthetic data's 120 days: some leads, touches and visits come after it.
_AS_OF = "2025-04-20T12:00:00+08:00"


def _json_value(value):
    """A cell as JSON: instants as ISO 8601 text with their offset, every kind of null as
    null, numpy scalars as plain numbers and booleans."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _write_tables(data, directory) -> None:
    for name in ("leads", "touches", "visits", "surveys", "dealers"):
        frame = getattr(data, name)
        rows = [{k: _json_value(v) for k, v in row.items()}
                for row in frame.to_dict("records")]
        (directory / f"{name}.json").write_text(json.dumps(rows), encoding="utf-8")


def _run_reports(policy: str, directory, as_of: str = _AS_OF) -> subprocess.CompletedProcess:
    return subprocess.run([_REPORTS, policy, str(directory), as_of], capture_output=True,
                          text=True)


def _report_lines(policy: str, directory) -> dict[str, tuple[int, str, int]]:
    """{report: (rows, total's name, total)} from the program's `report,rows,name=value`
    lines."""
    run = _run_reports(policy, directory)
    assert run.returncode == 0, run.stderr
    out = {}
    for line in run.stdout.splitlines():
        report, rows, total = line.split(",", 2)
        name, value = total.split("=")
        out[report] = (int(rows), name, int(value))
    return out


def _last_three_months(zone: str) -> pd.PeriodIndex:
    """The month of _AS_OF in `zone` and the two before it, as reports.cc takes them."""
    month = pd.Timestamp(_AS_OF).tz_convert(zone).tz_localize(None).to_period("M")
    return pd.period_range(end=month, periods=3, freq="M")


def _python_lines(data, policy: Policy) -> dict[str, tuple[int, str, int]]:
    """The same lines from the Python report functions, grouped as reports.cc groups."""
    zone = policy.time_zone
    leads, touches = data.leads, data.touches
    kpis = leadkit.kpis(leads, touches, policy, surveys=data.surveys, dealers=data.dealers,
                        by="channel", as_of=_AS_OF)
    if policy.scorecard_weights:
        card = leadkit.scorecard(kpis, policy)
        scorecard = (len(card), "rank_1", int((card["rank"] == 1).sum()))
    else:
        scorecard = (0, "weights", 0)
    tasks = leadkit.schedule(leads, touches, policy, as_of=_AS_OF, dealers=data.dealers)
    showroom = leadkit.showroom(data.visits, leads=leads, by="dealer_id", tz=zone, as_of=_AS_OF)
    activity = leadkit.activity(touches, leads=leads, by=["consultant_id", "day"], tz=zone,
                                as_of=_AS_OF)
    mix = leadkit.effectiveness(leads, touches, view="method_mix", as_of=_AS_OF)
    interval = leadkit.effectiveness(leads, touches, view="interval", as_of=_AS_OF)
    lost = leadkit.lost_analysis(leads, by="month", policy=policy, as_of=_AS_OF)
    profile = leadkit.profile(leads, by="age_band", as_of=_AS_OF)
    audit = leadkit.audit(leads, touches, policy, as_of=_AS_OF, dealers=data.dealers)
    open_leads = leadkit.pipeline(leads, touches, policy, at=_AS_OF, by="dealer_id")
    migration = leadkit.grade_migration(leads, touches, policy,
                                        start=pd.Timestamp(_AS_OF) - pd.Timedelta(days=30),
                                        end=_AS_OF, long=True)
    months = leadkit.monthly(leads, touches, policy, months=_last_three_months(zone))
    funnel = leadkit.funnel(leads, touches, policy, as_of=_AS_OF)
    won_stage = funnel[(funnel["kind"] == "sales_stage") & (funnel["stage"] == "won")]
    per_won = leadkit.touches_per_won_lead(leads, touches, as_of=_AS_OF, by="channel")
    return {
        "kpis": (len(kpis), "leads", int(kpis["leads"].sum())),
        "scorecard": scorecard,
        "schedule": (len(tasks), "overdue", int((tasks["status"] == "overdue").sum())),
        "showroom": (len(showroom), "visits", int(showroom["visits"].sum())),
        "activity": (len(activity), "contacts", int(activity["contacts"].sum())),
        "effectiveness_method_mix": (len(mix), "leads", int(mix["leads"].sum())),
        "effectiveness_interval": (len(interval), "leads", int(interval["leads"].sum())),
        "lost_analysis": (len(lost), "lost", int(lost["lost"].sum())),
        "profile": (len(profile), "leads", int(profile["leads"].sum())),
        "audit": (len(audit), "leads", int(audit["lead_id"].nunique())),
        "pipeline": (len(open_leads), "open_leads", int(open_leads["open_leads"].sum())),
        "grade_migration": (len(migration), "leads", int(migration["leads"].sum())),
        "monthly": (len(months), "won", int(months["won"].sum())),
        "funnel": (len(funnel), "won", int(won_stage["reached"].sum())),
        "touches_per_won_lead": (len(per_won), "won_leads", int(per_won["won_leads"].sum())),
    }


def _synth_for(policy: Policy, seed: int = 11):
    """A few hundred leads over 120 days, their touches recording the policy's grades."""
    import leadkit.synth
    return leadkit.synth.generate(leads=300, dealers=4, seed=seed, start="2025-01-01",
                                  days=120, grades=tuple(policy.grades))


@_needs_reports
@pytest.mark.parametrize("preset", Policy.presets())
def test_reports_program_matches_python(preset, tmp_path):
    policy = Policy.preset(preset)
    data = _synth_for(policy, seed=11 + Policy.presets().index(preset))  # other data each time
    _write_tables(data, tmp_path)
    cpp = _report_lines(preset, tmp_path)
    python = _python_lines(data, policy)
    assert cpp == python
    # Not vacuous: the data reaches every report.
    assert all(rows > 0 for report, (rows, _, _) in python.items() if report != "scorecard")


@_needs_reports
def test_reports_program_scores_with_the_policys_weights(tmp_path):
    document = json.loads(Policy.preset("abcd").to_json())
    document["scorecard"] = {"weights": {"timeliness_rate": 0.6, "conversion_rate": 0.4}}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    policy = Policy.load(path)
    data = _synth_for(policy)
    _write_tables(data, tmp_path)
    cpp = _report_lines(str(path), tmp_path)
    assert cpp == _python_lines(data, policy)
    assert cpp["scorecard"][0] == cpp["kpis"][0] > 0


@pytest.fixture
def small_tables(tmp_path):
    """One lead with one touch, and no visits, surveys or dealers."""
    tables = {
        "leads": [{"lead_id": "L1", "created_at": "2025-03-03T10:00:00+08:00",
                   "channel": "website"}],
        "touches": [{"lead_id": "L1", "at": "2025-03-03T11:00:00+08:00", "method": "phone"}],
        "visits": [], "surveys": [], "dealers": [],
    }
    for name, rows in tables.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(rows), encoding="utf-8")
    return tmp_path


@_needs_reports
def test_reports_program_counts_a_single_lead(small_tables):
    lines = _report_lines("abcd", small_tables)
    # Worked out by hand: one open website lead, counted in one KPI row and one profile row
    # (null age band); its one phone touch is one contact on one consultant-day (null
    # consultant), the method mix "phone", and "single_touch" among the 8 interval groups
    # (no_touch, single_touch, <1d, 1-3d, 3-7d, 7-14d, 14-30d, 30d+). No visit, no loss, no
    # scorecard in the preset.
    assert lines["kpis"] == (1, "leads", 1)
    # The pipeline family, abcd's 4 grades: L1 (grade D: no purchase_within_days) is open at
    # as_of, in the null dealer group (4 rows); it was open 30 days before as_of too, so the
    # migration (5 froms x 7 tos = 35 rows) counts it once, D -> D; months 2025-02 to 2025-04
    # win nothing; the funnel has 4 grade rows and 6 stage rows, nothing won; one channel.
    assert lines["pipeline"] == (4, "open_leads", 1)
    assert lines["grade_migration"] == (35, "leads", 1)
    assert lines["monthly"] == (3, "won", 0)
    assert lines["funnel"] == (10, "won", 0)
    assert lines["touches_per_won_lead"] == (1, "won_leads", 0)
    assert lines["scorecard"] == (0, "weights", 0)
    assert lines["activity"] == (1, "contacts", 1)
    assert lines["effectiveness_method_mix"] == (1, "leads", 1)
    assert lines["effectiveness_interval"] == (8, "leads", 1)
    assert lines["profile"] == (1, "leads", 1)
    assert lines["showroom"] == (0, "visits", 0)
    assert lines["lost_analysis"] == (0, "lost", 0)


@_needs_reports
@pytest.mark.parametrize("table, rows, message", [
    ("touches", '[{"lead_id": "L1", "at": "yesterday", "method": "phone"}]',
     'touches[0] (lead_id "L1").at: expected an ISO 8601 time with an offset, or epoch '
     'seconds, got "yesterday"'),
    ("touches", '[{"lead_id": "L1", "at": "2025-03-03T11:00:00+08:00", "methd": "phone"}]',
     'touches[0] (lead_id "L1"): unknown column "methd"'),
    ("visits", '[{"visit_id": "V1", "dealer_id": "D1", "arrived_at": "2025-03-03T11:00:00"}]',
     'visits[0] (visit_id "V1").arrived_at: expected an ISO 8601 time'),
    ("surveys", '[{"lead_id": "L1", "at": ', "surveys ("),
    ("dealers", '{"dealer_id": "D1"}', "dealers ("),
])
def test_reports_program_rejects_bad_input(small_tables, table, rows, message):
    (small_tables / f"{table}.json").write_text(rows, encoding="utf-8")
    run = _run_reports("abcd", small_tables)
    assert (run.returncode, run.stdout) == (2, "")
    assert message in run.stderr


@_needs_reports
def test_reports_program_rejects_a_missing_file_and_a_bad_as_of(small_tables):
    (small_tables / "visits.json").unlink()
    run = _run_reports("abcd", small_tables)
    assert (run.returncode, run.stdout) == (2, "")
    assert "visits.json: cannot open" in run.stderr
    run = _run_reports("abcd", small_tables, as_of="soon")
    assert run.returncode == 2
    assert 'AS_OF: expected an ISO 8601 time with an offset or epoch seconds, got "soon"' \
        in run.stderr


@_needs_reports
def test_reports_program_rejects_a_policy_document_with_errors(small_tables):
    document = json.loads(Policy.preset("abcd").to_json())
    document["scorecard"] = {"weights": {"conversion_rte": 1}}
    path = small_tables / "policy.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    run = _run_reports(str(path), small_tables)
    assert (run.returncode, run.stdout) == (2, "")
    assert 'unknown KPI rate "conversion_rte"' in run.stderr


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
