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


# --- touches_per_lead -------------------------------------------------------------------

@pytest.fixture(scope="module")
def five():
    return synth.generate(leads=20_000, dealers=12, seed=3, touches_per_lead=5)


def test_touches_per_lead_reaches_the_average(data):
    for wanted in [1.0, 5.0, 8.0]:
        got = synth.generate(leads=20_000, dealers=12, seed=3, touches_per_lead=wanted)
        # Poisson counts over ~18,000 open and lost leads: the standard error of the mean is
        # about sqrt(wanted) / 134 < 0.025, so 0.1 is four standard errors or more.
        assert abs(len(got.touches) / len(got.leads) - wanted) < 0.1, wanted
    # Without it, the average is the one of earlier releases (about 2.4).
    assert 2.2 < len(data.touches) / len(data.leads) < 2.6


def test_touches_per_lead_leaves_the_leads_and_is_deterministic(data, five):
    pd.testing.assert_frame_equal(five.leads, data.leads)
    pd.testing.assert_frame_equal(five.dealers, data.dealers)
    pd.testing.assert_frame_equal(five.consultants, data.consultants)
    again = synth.generate(leads=20_000, dealers=12, seed=3, touches_per_lead=5)
    for name, frame in five.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], obj=name)
    assert not synth.generate(leads=20_000, dealers=12, seed=3,
                              touches_per_lead=6).touches.equals(five.touches)


def test_touches_per_lead_keeps_the_shape(five):
    leads = five.leads.set_index("lead_id")
    count = five.touches.groupby("lead_id").size().reindex(leads.index, fill_value=0)
    status = leads["status"]
    assert count[status == "won"].between(5, 10).all()  # 003: 5-10 touches before a deal
    assert (count[status == "invalid"] == 0).all()
    assert count[status.isin(["open", "lost"])].mean() > 4  # scaled up from about 2.2
    owner = leads.loc[five.touches["lead_id"]]
    at = five.touches["at"].to_numpy()
    assert (at >= owner["created_at"].to_numpy()).all()  # never before the lead
    closed = owner["status"].isin(["won", "lost"]).to_numpy()
    close = owner["won_at"].fillna(owner["lost_at"]).to_numpy()
    assert (at[closed] < close[closed]).all()  # closed leads stop being followed up
    assert set(five.touches["grade_after"].dropna()) == {"A", "B", "C", "D"}
    k = leadkit.kpis(five.leads, five.touches, leadkit.Policy.preset("abcd"),
                     surveys=five.surveys)
    assert k["leads"].iloc[0] == (status != "invalid").sum()
    assert k["follow_ups_due"].iloc[0] > 0


def test_touches_per_lead_rejects_what_it_cannot_give():
    with pytest.raises(ValueError, match=r"touches_per_lead=0\.1 is below 0\.\d+, what the won"):
        synth.generate(leads=5000, seed=1, touches_per_lead=0.1)
    with pytest.raises(ValueError, match="finite number >= 0, got -1"):
        synth.generate(leads=10, touches_per_lead=-1)
    with pytest.raises(ValueError, match="got nan"):
        synth.generate(leads=10, touches_per_lead=float("nan"))
    with pytest.raises(TypeError, match="got str '5'"):
        synth.generate(leads=10, touches_per_lead="5")


def test_the_synth_command_takes_touches_per_lead(tmp_path):
    run = [sys.executable, "-m", "leadkit", "synth", "--leads", "2000", "--seed", "2",
           "--touches-per-lead", "6", "--out", str(tmp_path)]
    out = subprocess.run(run, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    touches = pd.read_csv(tmp_path / "touches.csv")
    # Its own mean within Poisson noise: the standard error is about sqrt(6) / 42 = 0.06.
    assert abs(len(touches) / 2000 - 6) < 0.3
    bad = subprocess.run(run[:-2] + ["--touches-per-lead", "0.01", "--out",
                                     str(tmp_path / "bad")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("leadkit: generate: touches_per_lead=0.01 is below")
    assert not (tmp_path / "bad").exists()


def test_sizes_below_one_are_a_clear_error():
    for kwargs in ({"leads": 0}, {"leads": -5}, {"dealers": 0}, {"days": 0}):
        with pytest.raises(ValueError, match="leads >= 1, dealers >= 1 and days >= 1"):
            synth.generate(seed=1, **kwargs)


def test_touch_content_is_of_the_playbook_vocabulary():
    """Each touch's content type is a word of docs/playbook.md that its method brings; one in
    ten is not recorded."""
    data = leadkit.synth.generate(leads=3000, seed=5)
    content = data.touches["content"]
    words = set(leadkit._core.playbook_contents())
    assert set(content.dropna()) <= words
    assert 0.05 < content.isna().mean() < 0.15
    recorded = data.touches[content.notna()]
    pairs = set(zip(recorded["method"].astype(str), recorded["content"].astype(str)))
    assert ("sms", "greeting") in pairs and ("email", "brochure") in pairs
    assert not any(method == "sms" and c == "demonstration" for method, c in pairs)
