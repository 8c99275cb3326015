import subprocess
import sys

import pandas as pd
import pytest

import leadkit
from leadkit import synth


@pytest.fixture(scope="module")
def data():
    return synth.generate(leads=20_000, dealers=12, seed=3)


def test_deterministic_for_a_seed(data):
    again = synth.generate(leads=20_000, dealers=12, seed=3)
    for name, frame in data.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], obj=name)
    other = synth.generate(leads=20_000, dealers=12, seed=4)
    assert not other.leads["created_at"].equals(data.leads["created_at"])


def test_shaped_like_the_sources(data):
    leads = data.leads
    shares = leads["channel"].value_counts(normalize=True)
    assert abs(shares["website"] - 0.25) < 0.02 and abs(shares["showroom"] - 0.15) < 0.02
    conversion = (leads["status"] == "won").mean()
    assert 0.04 <= conversion <= 0.08
    won = leads.loc[leads["status"] == "won", "lead_id"]
    per_won = data.touches[data.touches["lead_id"].isin(won)].groupby("lead_id").size()
    assert 5 <= per_won.mean() <= 10  # 003: 5-10 touches before a deal
    lost = leads[leads["status"] == "lost"]
    assert lost["lost_reason"].notna().all()
    assert set(lost["lost_review"]) == {"pending", "approved", "rejected"}
    assert data.visits["lead_id"].isna().any() and data.visits["lead_id"].notna().any()
    assert (data.touches["at"].to_numpy() >= leads.set_index("lead_id").loc[
        data.touches["lead_id"], "created_at"].to_numpy()).all()


def test_the_engines_take_the_tables_without_errors(data):
    policy = leadkit.Policy.preset("abcd")
    k = leadkit.kpis(data.leads, data.touches, policy, surveys=data.surveys,
                     dealers=data.dealers, by="region_id")
    assert k["leads"].sum() == (data.leads["status"] != "invalid").sum()
    tasks, errors = leadkit.schedule(data.leads, data.touches, policy, errors="collect")
    assert errors.empty and len(tasks) > 0
    routed = leadkit.route(data.leads.drop(columns="dealer_id"), data.dealers, data.consultants,
                           policy)
    assert len(routed) == len(data.leads)


def test_the_synth_command_writes_every_table(tmp_path):
    out = subprocess.run([sys.executable, "-m", "leadkit", "synth", "--leads", "500", "--out",
                          str(tmp_path), "--policy", "oabc"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in ["leads", "touches", "surveys", "visits", "dealers", "consultants"]:
        assert (tmp_path / f"{name}.csv").exists()
    touches = pd.read_csv(tmp_path / "touches.csv")
    assert set(touches["grade_after"].dropna()) <= {"O", "A", "B", "C"}


def test_consultant_codes_stay_unique_past_26_dealers():
    many = synth.generate(leads=2000, dealers=60, seed=5)
    codes = many.consultants["code"]
    assert not codes.duplicated().any()
    assert codes.str.fullmatch(r"[A-Z]\d*\d\d").all()
    routed = leadkit.route(many.leads.drop(columns=["dealer_id", "consultant_id"]),
                           many.dealers, many.consultants, leadkit.Policy.preset("abcd"))
    numbers = routed["file_number"].dropna()
    assert not numbers.duplicated().any()
