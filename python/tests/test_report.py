"""The report, its charts' numbers and the ``leadkit report`` / ``leadkit demo`` commands."""

import json
import os
import stat
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import leadkit
from leadkit import cli, plot, report, synth
from times import ts

pytest.importorskip("matplotlib")

ABCD = leadkit.Policy.preset("abcd")


@pytest.fixture(autouse=True)
def _close_figures():
    """A built report holds its figures open until written; each test's are closed after it
    (pyplot warns past 20 open figures, and warnings are errors here)."""
    yield
    plot.pyplot().close("all")


def test_funnel_counts_by_hand():
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4"],
        "store_visits": [0, 2, 0, 0],
        "test_drive": [False, True, None, True],
        "status": ["open", "won", "lost", "open"],
        "won_at": [None, ts("2025-03-09 10:00"), None, None],
    })
    touches = pd.DataFrame({"lead_id": ["L2", "L2", "L3"]})
    visits = pd.DataFrame({"lead_id": ["L4", None]})
    counts = plot.funnel_counts(leads, touches, visits)
    # L2 and L3 were touched; L2 (store_visits) and L4 (a visit) came in; L2 and L4 drove.
    assert counts.to_dict() == {"leads": 4, "contacted": 2, "visited": 2, "test_drive": 2,
                                "won": 1}


def test_activity_funnel_with_a_policy_counts_the_kpi_engines_leads():
    leads = pd.DataFrame({
        "lead_id": ["F1", "F2", "F3", "F4", "F5", "F6"],
        "created_at": [ts("2025-03-01 10:00"), ts("2025-03-02 10:00"), ts("2025-03-02 10:00"),
                       ts("2025-03-02 10:00"), ts("2025-03-11 10:00"), ts("2025-03-01 10:00")],
        "store_visits": [1, 0, 0, 1, 0, 0],
        "test_drive": [True, False, False, True, True, False],
        "status": ["won", "open", "won", "invalid", "open", "won"],
        "won_at": [ts("2025-03-05 10:00"), pd.NaT, ts("2025-03-12 10:00"), pd.NaT, pd.NaT,
                   pd.NaT],
    })
    touches = pd.DataFrame({
        "lead_id": ["F1", "F3", "F4", "F6"],
        "at": [ts("2025-03-01 10:30"), ts("2025-03-11 09:00"), ts("2025-03-02 11:00"),
               ts("2025-03-02 10:00")],
        "method": ["phone"] * 4,
    })
    visits = pd.DataFrame({"lead_id": ["F2", "F3", None],
                           "arrived_at": [ts("2025-03-03 10:00"), ts("2025-03-11 10:00"),
                                          ts("2025-03-04 10:00")]})
    as_of = ts("2025-03-10 12:00")
    counts = plot.activity_funnel_counts(leads, touches, visits, policy=ABCD, as_of=as_of)
    # F4 is invalid and F5 created after as_of: 4 leads. F3's touch, visit and win come after
    # as_of. Contacted: F1, F6; visited: F1 (store_visits), F2 (a visit); test drive: F1;
    # won: F1, and F6 (won, won_at unknown).
    assert counts.to_dict() == {"leads": 4, "contacted": 2, "visited": 2, "test_drive": 1,
                                "won": 2}
    headline = leadkit.kpis(leads, touches, ABCD, as_of=as_of)
    assert [counts["leads"], counts["won"]] == headline[["leads", "won"]].iloc[0].tolist()
    assert plot.funnel_counts(leads, touches, visits, policy=ABCD, as_of=as_of).equals(counts)


def test_first_contact_minutes_take_the_kpi_engines_start_touch_and_deadline():
    # abcd: cn_showroom opens 09:00-18:00 every day; first contact within 1 business hour.
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"],
        "created_at": [ts("2025-03-04 10:00"), ts("2025-03-04 17:30"), ts("2025-03-04 10:00"),
                       ts("2025-03-04 12:00"), ts("2025-03-04 12:00"), ts("2025-03-05 12:30"),
                       ts("2025-03-04 16:30"), ts("2025-03-04 17:00")],
        "assigned_at": [ts("2025-03-04 10:15"), None, ts("2025-03-04 12:00"), None, None, None,
                        None, None],
        "status": [None, None, None, None, "invalid", None, None, None],
    })
    touches = pd.DataFrame({
        "lead_id": ["L1", "L1", "L2", "L3", "L5", "L6", "L7", "L8"],
        "at": [ts("2025-03-04 11:00"), ts("2025-03-04 10:45"), ts("2025-03-05 09:20"),
               ts("2025-03-04 11:00"), ts("2025-03-04 12:10"), ts("2025-03-05 12:40"),
               ts("2025-03-05 10:00"), ts("2025-03-04 18:30")],
        "method": ["phone"] * 8,
    })
    got = plot.first_contact_minutes(leads, touches, ABCD, as_of=ts("2025-03-05 12:00"))
    # L1: from its assignment 10:15 to the earliest touch 10:45. L2: 30 minutes before
    # closing and 20 after opening; due 09:30. L3 was touched at 11:00, before its
    # assignment at 12:00: 0. L7: 90 minutes before closing, 60 after opening; due 17:30,
    # late. L8: the hour ends at closing, 18:00; the touch at 18:30 is late although only
    # those 60 open minutes passed. L4 has no touch, L5 is invalid, L6 comes after as_of.
    assert got["lead_id"].tolist() == ["L1", "L2", "L3", "L7", "L8"]
    assert got["business_minutes"].tolist() == [30, 50, 0, 150, 60]
    assert got["sla_minutes"].tolist() == [60, 60, 60, 60, 60]
    assert got["on_time"].tolist() == [True, True, True, False, False]
    summary = report._first_contact_summary(got)
    assert (summary["leads"], summary["after_sla"], summary["sla_minutes"]) == (5, 2, 60)


def test_first_contact_sla_minutes_on_a_calendar_clock_are_each_leads_deadline():
    doc = json.loads(ABCD.to_json())
    doc["cadence"]["first_contact_sla"] = {"hours": 2, "clock": "calendar",
                                           "closed_deadline": "keep"}
    policy = leadkit.Policy.from_json(json.dumps(doc))
    leads = pd.DataFrame({"lead_id": ["L1", "L2"],
                          "created_at": [ts("2025-03-04 10:00"), ts("2025-03-04 17:00")]})
    touches = pd.DataFrame({"lead_id": ["L1", "L2"],
                            "at": [ts("2025-03-04 11:00"), ts("2025-03-05 09:30")],
                            "method": ["phone", "phone"]})
    got = plot.first_contact_minutes(leads, touches, policy)
    # L1 is due at 12:00: 120 open minutes. L2 is due at 19:00 (kept, though closed), of
    # which 17:00-18:00 is open: 60; touched after 60 + 30 open minutes, late.
    assert got["sla_minutes"].tolist() == [120, 60]
    assert got["business_minutes"].tolist() == [60, 90]
    assert got["on_time"].tolist() == [True, False]
    assert plot.sla_line(got) == 60  # nearest-rank median of 60 and 120
    # Under the default closed_deadline (end_of_next_open_day) L2's 19:00 moves to the
    # closing of the next open day, 03-05 18:00: 60 + 540 open minutes; the 09:30 touch is
    # on time.
    doc["cadence"]["first_contact_sla"] = {"hours": 2, "clock": "calendar"}
    got = plot.first_contact_minutes(leads, touches, leadkit.Policy.from_json(json.dumps(doc)))
    assert got["sla_minutes"].tolist() == [120, 600]
    assert got["on_time"].tolist() == [True, True]


def test_traffic_counts_are_showroom_by_hour():
    visits = pd.DataFrame({
        "visit_id": ["V1", "V2", "V3", "V4"],
        "dealer_id": ["D1", "D1", "D2", "D1"],
        "arrived_at": pd.to_datetime(["2025-03-04 02:05", "2025-03-04 02:55",
                                      "2025-03-04 07:00", "2025-03-04 02:30"]).tz_localize("UTC"),
        "lead_id": ["L1", None, None, "L2"]})
    traffic = plot.traffic_counts(visits, "Asia/Shanghai").set_index("hour")
    # In Shanghai (UTC+8) V1, V2 and V4 arrived in the 10 o'clock hour, V3 at 15:00.
    assert traffic.loc[10].to_dict() == {"visits": 3, "with_contact": 2, "with_lead": 2,
                                         "walk_in": 1}
    assert traffic.loc[15].to_dict() == {"visits": 1, "with_contact": 0, "with_lead": 0,
                                         "walk_in": 1}
    assert traffic.index.tolist() == list(range(24))
    assert int(traffic["visits"].sum()) == 4
    d2 = plot.traffic_counts(visits, "Asia/Shanghai", scope=leadkit.Scope.dealer("D2"))
    assert d2.loc[d2["visits"] > 0, ["hour", "visits", "walk_in"]].to_numpy().tolist() == [
        [15, 1, 1]]


def test_pipeline_counts_are_the_pipeline_report_at_as_of():
    leads = pd.DataFrame({
        "lead_id": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8"],
        "created_at": [ts("2025-03-01 10:00")] * 6 + [ts("2025-03-11 10:00"),
                                                      ts("2025-03-01 10:00")],
        "grade": ["A", "B", "C", "C", "D", "D", "B", "D"],
        "status": ["open", "open", "lost", "lost", "won", "invalid", "open", "won"],
        "won_at": [pd.NaT] * 4 + [ts("2025-03-08 10:00"), pd.NaT, pd.NaT,
                                  ts("2025-03-12 10:00")],
        "lost_at": [pd.NaT, pd.NaT, ts("2025-03-06 10:00"), ts("2025-03-07 10:00")]
        + [pd.NaT] * 4,
        "lost_review": [None, None, "pending", "rejected", None, None, None, None],
    })
    touches = pd.DataFrame({"lead_id": ["Q2"], "at": [ts("2025-03-05 10:00")],
                            "method": ["phone"], "grade_after": ["A"]})
    at = ts("2025-03-10 12:00")
    table = leadkit.pipeline(leads, touches, ABCD, at=at)
    # Open at 03-10 12:00: Q1 (A), Q2 (B, then A from 03-05), Q4 (its loss was rejected: C)
    # and Q8 (won only on 03-12: D). Q3 was lost with its review pending: closed. Q5 was won,
    # Q6 is invalid, Q7 comes later. Every grade, in the policy's order.
    assert list(plot.pipeline_counts(table).items()) == [("A", 2), ("B", 0), ("C", 1),
                                                         ("D", 1)]
    # A kpis table by current grade is still read as leads - won - lost, which keeps Q3 open.
    by_grade = leadkit.kpis(leads, touches, ABCD, by="current_grade", as_of=at)
    assert plot.pipeline_counts(by_grade).to_dict() == {"A": 2, "C": 2, "D": 1}
    legacy = pd.DataFrame({"current_grade": ["A", "B"], "leads": [10, 5], "won": [2, 0],
                           "lost": [1, 1], "invalid": [3, 0]})
    assert plot.pipeline_counts(legacy).to_dict() == {"A": 7, "B": 4}
    with pytest.raises(ValueError, match=r"expected the table of leadkit.pipeline"):
        plot.pipeline_counts(pd.DataFrame({"grade": ["A"]}))


def test_lost_reason_counts_are_lost_analysis_by_reason():
    leads = pd.DataFrame({
        "lead_id": ["A", "B", "C", "D", "E", "F"],
        "status": ["lost", "lost", "lost", "lost", "open", "won"],
        "lost_reason": ["price", "price", None, "financing", "price", None],
        "lost_review": ["approved", "rejected", "pending", None, None, None]})
    # Every lead with status lost, whatever its review; C has no reason; E is open again.
    assert list(plot.lost_reason_counts(leads).items()) == [("price", 2), ("financing", 1),
                                                            ("(none)", 1)]


def test_sales_funnel_draws_the_funnel_report_and_adds_groups_up():
    table = pd.DataFrame({
        "dealer_id": ["D1", "D1", "D2", "D2"],
        "kind": ["grade", "sales_stage", "grade", "sales_stage"],
        "stage": ["A", "won", "A", "won"],
        "leads": [4, 4, 6, 6], "reached": [3, 1, 2, 2]})
    fig = plot.sales_funnel(table)
    assert [ax.get_title() for ax in fig.axes] == ["grade ever in force", "sales stage reached"]
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert labels == [" 5 (50%)", " 3 (30%)"]
    with pytest.raises(ValueError, match=r"expected the table of leadkit.funnel"):
        plot.sales_funnel(pd.DataFrame({"stage": ["A"]}))


@pytest.fixture(scope="module")
def sample():
    return synth.generate(leads=3000, dealers=6, seed=11)


def test_report_figures_are_not_left_open_in_pyplot(sample):
    # Reports built in a loop must not fill pyplot's list of open figures (a warning past 20).
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    built = report.build(sample.leads.head(50), sample.touches.head(0), ABCD)
    assert plt.get_fignums() == before
    page = built.html()
    assert page.count("<figure") == page.count("<svg") == len(built.figures)


def test_report_numbers_are_the_engines_numbers(sample):
    built = report.build(sample.leads, sample.touches, ABCD, surveys=sample.surveys,
                         visits=sample.visits, dealers=sample.dealers)
    direct = leadkit.kpis(sample.leads, sample.touches, ABCD, surveys=sample.surveys)
    pd.testing.assert_frame_equal(built.headline, direct)
    by_channel = leadkit.kpis(sample.leads, sample.touches, ABCD, surveys=sample.surveys,
                              by="channel")
    assert built.tables["channel"]["leads"].tolist() == by_channel["leads"].tolist()
    assert set(built.tables) == {"channel", "consultant", "dealer", "month"}
    tasks = leadkit.schedule(sample.leads, sample.touches, ABCD)
    assert built.overdue_total == int((tasks["status"] == "overdue").sum())
    assert built.overdue["due_at"].is_monotonic_increasing
    # Each overdue task says what to do, as next_actions does (docs/playbook.md).
    actions = leadkit.next_actions(sample.leads, sample.touches, ABCD)
    keys = ["lead_id", "task", "due_at"]
    joined = built.overdue.merge(actions, on=keys, suffixes=("", "_playbook"))
    assert len(joined) == len(built.overdue) > 0
    for column in ("method", "content", "goal", "rule"):
        assert (joined[column] == joined[f"{column}_playbook"]).all()
    assert "<th>goal</th>" in built.html()
    # The generated leads record no sales_stage: no sales-stage funnel, the grades' distribution.
    assert "sales_stage" not in sample.leads.columns
    assert set(built.figures) == {"grades", "activity_funnel", "channels",
                                  "first_contact", "pipeline", "lost_reasons", "traffic"}
    # One instant for every number: the KPI engine's default, the latest timestamp read.
    latest = max([sample.leads[c].max() for c in sample.leads.columns if c.endswith("_at")]
                 + [sample.touches["at"].max(), sample.surveys["at"].max()])
    assert built.as_of == latest
    data = built.to_dict()
    assert data["headline"]["leads"] == int(direct["leads"].iloc[0])
    for name in ("funnel", "activity_funnel"):
        assert data["charts"][name]["leads"] == int(direct["leads"].iloc[0])
        assert data["charts"][name]["won"] == int(direct["won"].iloc[0])
    stages = leadkit.funnel(sample.leads, sample.touches, ABCD, as_of=built.as_of)
    assert data["charts"]["sales_funnel"] == report._records(stages)
    # The open pipeline closes the leads lost with their review pending, which kpis' lost
    # leaves out.
    open_leads = leadkit.pipeline(sample.leads, sample.touches, ABCD, at=built.as_of)
    assert data["charts"]["pipeline"] == dict(zip(open_leads["grade"], open_leads["open_leads"]))
    assert list(data["charts"]["pipeline"]) == ABCD.grades
    leads = sample.leads
    pending = int(((leads["status"] == "lost") & (leads["lost_review"] == "pending")).sum())
    assert pending > 0
    assert sum(data["charts"]["pipeline"].values()) == int(
        (direct["leads"] - direct["won"] - direct["lost"]).iloc[0]) - pending
    lost = leadkit.lost_analysis(sample.leads, by=None)
    assert data["charts"]["lost_reasons"] == dict(zip(lost["lost_reason"], lost["lost"]))
    hours = leadkit.showroom(sample.visits, by="hour", tz=ABCD.time_zone)
    traffic = {row["hour"]: row for row in data["charts"]["traffic"]}
    assert {h: traffic[h]["visits"] for h in hours["hour"]} == dict(
        zip(hours["hour"], hours["visits"]))
    assert sum(row["with_contact"] for row in traffic.values()) == int(
        hours["with_contact"].sum())
    first = data["charts"]["first_contact"]
    assert first["sla_minutes"] == 60
    assert first["leads"] - first["after_sla"] == int(direct["first_contact_on_time"].iloc[0])


def test_report_scope_keeps_one_dealers_leads(sample):
    dealer = sample.dealers["dealer_id"].iloc[0]
    built = report.build(sample.leads, sample.touches, ABCD, visits=sample.visits,
                         dealers=sample.dealers, scope=leadkit.Scope.dealer(dealer))
    expected = leadkit.kpis(sample.leads, sample.touches, ABCD, dealers=sample.dealers,
                            scope=leadkit.Scope.dealer(dealer))
    assert built.headline["leads"].tolist() == expected["leads"].tolist()
    assert built.tables["dealer"]["dealer_id"].tolist() == [dealer]
    # The traffic is the dealer's visits, walk-ins without contact details included.
    at_dealer = sample.visits[sample.visits["dealer_id"] == dealer]
    traffic = built.charts["traffic"]
    assert int(traffic["visits"].sum()) == len(at_dealer)
    assert int(traffic["walk_in"].sum()) == int(at_dealer["lead_id"].isna().sum()) > 0


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "leadkit", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.fixture(scope="module")
def files(tmp_path_factory, sample):
    folder = tmp_path_factory.mktemp("tables")
    for name, frame in sample.tables().items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def test_report_command_writes_self_contained_html_and_json(files, tmp_path, sample):
    html_path, json_path = tmp_path / "r.html", tmp_path / "r.json"
    result = subprocess.run(
        [sys.executable, "-m", "leadkit", "report", "--leads", str(files / "leads.parquet"),
         "--touches", str(files / "touches.parquet"),
         "--surveys", str(files / "surveys.parquet"),
         "--visits", str(files / "visits.parquet"), "--policy", "abcd",
         "--out", str(html_path), "--json", str(json_path)],
        capture_output=True, text=True, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    # Under umask 022 a written file is 0644, as any program's would be (not mkstemp's 0600).
    assert stat.S_IMODE(html_path.stat().st_mode) == 0o644
    assert stat.S_IMODE(json_path.stat().st_mode) == 0o644
    assert "[6/6] charts" in result.stderr
    page = html_path.read_text(encoding="utf-8")
    assert page.count("<figure") == page.count("</svg>") == 7
    assert "http://" not in page and "https://" not in page
    for phone in sample.leads["phone"].dropna().astype(str).head(200):
        assert phone not in page
    numbers = json.loads(json_path.read_text(encoding="utf-8"))
    assert numbers["policy"] == "abcd"
    direct = leadkit.kpis(sample.leads, sample.touches, ABCD, surveys=sample.surveys)
    for column in ["leads", "won", "surveyed", "satisfied", "first_contact_on_time"]:
        assert numbers["headline"][column] == int(direct[column].iloc[0])


@pytest.mark.parametrize("change, message", [
    ({"leads": "missing.csv"}, "leads: no such file"),
    ({"policy": "nope"}, 'policy: "nope" is neither a preset (three_level, abcd'),
    ({"scope": "dealer"}, "--scope: expected hq, region:ID or dealer:ID"),
    ({"touches": "renamed"}, 'touches: missing required column "at"'),
])
def test_report_bad_input_is_one_line_exit_2_and_no_file(files, tmp_path, change, message):
    renamed = tmp_path / "touches.csv"
    pd.read_parquet(files / "touches.parquet").rename(columns={"at": "at_time"}).to_csv(
        renamed, index=False)
    options = {"leads": str(files / "leads.parquet"), "touches": str(files / "touches.parquet"),
               "policy": "abcd"}
    for key, value in change.items():
        options[key] = {"missing.csv": str(tmp_path / "missing.csv"),
                        "renamed": str(renamed)}.get(value, value)
    args = ["report", "--out", str(tmp_path / "r.html"), "--quiet"]
    for key, value in options.items():
        args += [f"--{key}", value]
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()
    assert not list(tmp_path.glob(".leadkit-*"))


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_report_files_honour_the_umask_not_0600(tmp_path, umask, mode):
    before = os.umask(umask)
    try:
        report._write_atomically(str(tmp_path / "r.html"), "<p>x</p>")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "r.html").stat().st_mode) == mode
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == "<p>x</p>"
    assert os.umask(before) == before  # the process's umask is as it was
    os.umask(before)


def test_demo_runs_the_whole_job_and_writes_the_report(tmp_path):
    result = run("demo", "--leads", "2000", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "== the whole job on 2,000 generated leads" in result.stdout
    assert "routing: assigned:" in result.stdout
    assert (tmp_path / "out" / "report.html").stat().st_size > 10_000
    summary = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert summary["charts"]["funnel"]["leads"] == summary["headline"]["leads"]
    assert summary["charts"]["sales_funnel"][0]["leads"] == summary["headline"]["leads"]


def test_policy_calendar_takes_the_policys_zone():
    doc = json.loads(ABCD.to_json())
    doc["calendar"]["time_zone"] = "Europe/Berlin"
    berlin = leadkit.Policy.from_json(json.dumps(doc))
    assert berlin.calendar().time_zone == "Europe/Berlin"
    assert ABCD.calendar().time_zone == "Asia/Shanghai"
    leads = pd.DataFrame({"lead_id": ["L1"],
                          "created_at": [pd.Timestamp("2024-05-13 22:00", tz="Europe/Berlin")]})
    tasks = leadkit.schedule(leads, pd.DataFrame({
        "lead_id": pd.Series([], dtype=object),
        "at": pd.Series([], dtype="datetime64[ns, Europe/Berlin]"),
        "method": pd.Series([], dtype=object)}), berlin,
        as_of=pd.Timestamp("2024-05-13 23:00", tz="Europe/Berlin"))
    first = tasks.loc[tasks["task"] == "first_contact", "due_at"].iloc[0]
    assert first == pd.Timestamp("2024-05-14 10:00", tz="Europe/Berlin")
    month = leadkit.kpis(pd.DataFrame({
        "lead_id": ["L1"], "created_at": [pd.Timestamp("2024-05-31 20:00", tz="Europe/Berlin")]}),
        pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                      "at": pd.Series([], dtype="datetime64[ns, Europe/Berlin]"),
                      "method": pd.Series([], dtype=object)}), berlin, by="month")
    assert month["month"].tolist() == ["2024-05"]


def test_kpis_need_no_calendar_past_as_of_for_follow_ups_not_yet_due():
    doc = json.loads(ABCD.to_json())
    doc["calendar"]["name"] = "cn_office"  # its table ends with 2026
    office = leadkit.Policy.from_json(json.dumps(doc))
    leads = pd.DataFrame({"lead_id": ["L1"], "created_at": [ts("2026-12-28 09:30")]})
    touches = pd.DataFrame({"lead_id": ["L1"], "at": [ts("2026-12-28 10:00")],
                            "method": ["phone"], "grade_after": ["C"]})
    k = leadkit.kpis(leads, touches, office, as_of=ts("2026-12-29 12:00"))
    # The C follow-up (14-30 days) is due in 2027: not due yet, and no error for it.
    assert k[["leads", "follow_ups_due", "first_contact_on_time"]].iloc[0].tolist() == [1, 0, 1]


def test_a_null_survey_value_names_column_row_and_lead():
    leads = pd.DataFrame({"lead_id": ["L1"], "created_at": [ts("2026-01-05 10:00")]})
    touches = pd.DataFrame({"lead_id": ["L1"], "at": [ts("2026-01-05 10:30")],
                            "method": ["phone"]})
    surveys = pd.DataFrame({"lead_id": ["L1"], "at": [ts("2026-01-06 10:00")],
                            "satisfied": [None]})
    with pytest.raises(ValueError, match=r'surveys.satisfied: row 0 \(lead_id "L1"\) is null'):
        leadkit.kpis(leads, touches, ABCD, surveys=surveys)


def test_report_reads_csv_like_parquet(files, tmp_path, sample):
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, frame in sample.tables().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    out = {}
    for ending, where in (("csv", folder), ("parquet", files)):
        result = run("report", "--leads", str(where / f"leads.{ending}"),
                     "--touches", str(where / f"touches.{ending}"),
                     "--surveys", str(where / f"surveys.{ending}"),
                     "--visits", str(where / f"visits.{ending}"), "--policy", "abcd",
                     "--out", str(tmp_path / f"{ending}.html"),
                     "--json", str(tmp_path / f"{ending}.json"), "--quiet")
        assert result.returncode == 0, result.stderr
        out[ending] = json.loads((tmp_path / f"{ending}.json").read_text(encoding="utf-8"))
    assert out["csv"]["headline"] == out["parquet"]["headline"]
    assert out["csv"]["charts"]["traffic"] == out["parquet"]["charts"]["traffic"]


@pytest.mark.parametrize("text, message", [
    ("lead_id,created_at\nL1,2026-01-05 10:00\nL2,2026-01-05T10:00:00+01:00\n",
     "leads.created_at: lead_id='L2' (row 1) has '2026-01-05T10:00:00+01:00', but "
     "'2026-01-05 10:00' came before: mixed time zones"),
    ("lead_id,created_at\nL1,2026-01-05 10:00\nL2,soon\n",
     "leads.created_at: lead_id='L2' (row 1) has 'soon'; expected an ISO timestamp"),
    ("lead_id;created_at\nL1;2026-01-05 10:00\n",
     "has one column 'lead_id;created_at'; expected comma-separated columns"),
])
def test_bad_csv_timestamps_and_delimiters_are_exit_2(tmp_path, files, text, message):
    leads = tmp_path / "leads.csv"
    leads.write_text(text, encoding="utf-8")
    result = run("report", "--leads", str(leads), "--touches", str(files / "touches.parquet"),
                 "--policy", "abcd", "--out", str(tmp_path / "r.html"), "--quiet")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()


class _Terminal:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return True


def test_steps_draw_a_bar_on_a_terminal_and_lines_elsewhere():
    import io

    terminal = _Terminal()
    steps = report.Steps(2, terminal)
    assert steps.run("one", lambda: 1) == 1
    steps.run("two", lambda: None)
    assert "\r[" + "#" * 12 + "." * 12 + "] 1/2" in terminal.text
    assert terminal.text.endswith("\n") and "] 2/2" in terminal.text
    assert terminal.text.count("\n") == 1
    log = io.StringIO()
    lines = report.Steps(2, log)
    lines.run("one", lambda: None)
    lines.run("two", lambda: None)
    assert [line.split(" ...")[0] for line in log.getvalue().splitlines()] == [
        "[1/2] one", "[2/2] two"]


def _small_tables():
    """Two leads, one touch each, one survey, one visit: enough for every step of the report."""
    leads = pd.DataFrame({
        "lead_id": ["R1", "R2"],
        "created_at": [ts("2025-03-03 10:00"), ts("2025-03-04 10:00")],
        "channel": ["website", "showroom"],
        "consultant_id": ["C1", "C2"],
        "dealer_id": ["D1", "D1"],
        "purchase_within_days": [20, 60],
    })
    touches = pd.DataFrame({"lead_id": ["R1", "R2"],
                            "at": [ts("2025-03-03 10:30"), ts("2025-03-04 15:00")],
                            "method": ["phone", "wechat"], "grade_after": [None, None]})
    surveys = pd.DataFrame({"lead_id": ["R1"], "at": [ts("2025-03-05 10:00")],
                            "satisfied": [True]})
    visits = pd.DataFrame({"visit_id": ["V1"], "dealer_id": ["D1"],
                           "arrived_at": [ts("2025-03-04 10:00")],
                           "left_at": [ts("2025-03-04 10:40")], "lead_id": ["R2"]})
    return {"leads": leads, "touches": touches, "surveys": surveys, "visits": visits}


def _build(tables):
    return report.build(tables["leads"], tables["touches"], ABCD, surveys=tables["surveys"],
                        visits=tables["visits"])


@pytest.mark.parametrize("table, name, misnamed, message", [
    ("leads", "channel", "chanel",
     'leads: no column "channel", but a column "chanel"; did you mean "channel"?'),
    ("leads", "consultant_id", "consultantid",
     'leads: no column "consultant_id", but a column "consultantid"; '
     'did you mean "consultant_id"?'),
    ("touches", "grade_after", "grade_aftr",
     'touches: no column "grade_after", but a column "grade_aftr"; '
     'did you mean "grade_after"?'),
    ("surveys", "satisfied", "satisifed",
     'surveys: no column "satisfied", but a column "satisifed"; did you mean "satisfied"?'),
    ("visits", "left_at", "leftat",
     'visits: no column "left_at", but a column "leftat"; did you mean "left_at"?'),
])
def test_regression_report_ignores_a_misnamed_column(table, name, misnamed, message):
    tables = _small_tables()
    tables[table] = tables[table].rename(columns={name: misnamed})
    with pytest.raises(ValueError) as raised:
        _build(tables)
    assert str(raised.value) == message


def test_report_misnamed_column_further_than_two_edits_is_another_column():
    # "consultant" is three edits from "consultant_id": an extra column of the caller's, so
    # the report has no consultant breakdown but is no error.
    tables = _small_tables()
    tables["leads"] = tables["leads"].rename(columns={"consultant_id": "consultant"})
    built = _build(tables)
    assert set(built.tables) == {"channel", "dealer", "month"}


def test_report_needs_the_channel_column():
    tables = _small_tables()
    tables["leads"] = tables["leads"].drop(columns=["channel"])
    with pytest.raises(ValueError, match='^leads: missing required column "channel"$'):
        _build(tables)


def test_report_of_pyarrow_tables_equals_the_report_of_pandas_frames():
    pa = pytest.importorskip("pyarrow")
    tables = _small_tables()
    from_pandas = _build(tables)
    from_arrow = _build({name: pa.Table.from_pandas(frame, preserve_index=False)
                         for name, frame in tables.items()})
    assert set(from_arrow.tables) == {"channel", "consultant", "dealer", "month"}
    assert from_arrow.tables["channel"]["channel"].tolist() == ["showroom", "website"]
    assert from_arrow.tables["consultant"]["consultant_id"].tolist() == ["C1", "C2"]
    assert from_arrow.tables["dealer"]["dealer_id"].tolist() == ["D1"]
    assert from_arrow.to_dict() == from_pandas.to_dict()


# --- Languages, readable numbers, the consultants' ranking, the overdue window ---------------

import html  # noqa: E402
import re  # noqa: E402
import warnings  # noqa: E402

from leadkit import _messages  # noqa: E402


def _chinese_data():
    """Leads with Chinese lost reasons and dealer names, a consultant and touches."""
    created = [ts(f"2025-03-0{d} 10:00") for d in range(1, 7)]
    leads = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(1, 7)],
        "created_at": created,
        "channel": ["website", "auto_show", "showroom", "referral", "website", "phone"],
        "dealer_id": ["北京东方之星", "北京东方之星", "上海浦东汽车城", "上海浦东汽车城",
                      "北京东方之星", "上海浦东汽车城"],
        "consultant_id": ["C1", "C1", "C2", "C2", "C1", "C2"],
        "status": ["lost", "lost", "won", "open", "lost", "open"],
        "lost_reason": ["价格太高", "已购买竞品", None, None, "价格太高", None],
        "lost_at": [ts("2025-03-08 10:00"), ts("2025-03-09 10:00"), pd.NaT, pd.NaT,
                    ts("2025-03-09 11:00"), pd.NaT],
        "won_at": [pd.NaT, pd.NaT, ts("2025-03-07 10:00"), pd.NaT, pd.NaT, pd.NaT],
    })
    touches = pd.DataFrame({"lead_id": ["L1", "L2", "L3", "L4", "L5"],
                            "at": [c + pd.Timedelta(minutes=30) for c in created[:5]],
                            "method": ["phone"] * 5})
    return leads, touches


def test_chinese_report_draws_chinese_text_as_text_without_missing_glyphs():
    leads, touches = _chinese_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = report.build(leads, touches, ABCD, lang="zh", as_of=ts("2025-03-10 12:00"))
        page = built.html()
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    assert glyphs == []
    assert "<html lang='zh-CN'>" in page
    svgs = "".join(re.findall(r"<svg.*?</svg>", page, flags=re.S))
    # The chart text is SVG text (the browser's fonts draw it), in Chinese.
    assert ">价格太高<" in svgs and ">已购买竞品<" in svgs
    assert "战败原因" in svgs and "车展" in svgs
    # Tables and headings: the dealer names, the channels' Chinese names, the catalogue's words.
    for words in ["北京东方之星", "上海浦东汽车城", "销售线索报告", "按渠道", "官方网站",
                  "客户转介绍", "成交率", "逾期跟进任务"]:
        assert words in page, words
    assert "conversion rate" not in page and "By channel" not in page
    # Every chart has its title, from the catalogue.
    titles = re.findall(r"<figure[^>]*aria-label=\"([^\"]*)\"", page)
    assert len(titles) == len(built.figures) and all(titles)
    assert "战败原因" in titles and "各渠道线索数与成交率" in titles


def test_the_same_report_in_english_and_chinese():
    leads, touches = _chinese_data()
    built = report.build(leads, touches, ABCD, as_of=ts("2025-03-10 12:00"))
    english, chinese = built.html(), built.html("zh")
    assert "<html lang='en'>" in english and "By channel" in english
    assert "Lost reasons" in english and "战败原因" not in english
    assert "按渠道" in chinese and "战败原因" in chinese and "Lost reasons" not in chinese
    # Free text is the data's in both: the lost reasons stay as written.
    assert "价格太高" in english and "价格太高" in chinese


def _playbook_tasks(policy) -> pd.DataFrame:
    """One overdue task per playbook rule of `policy`, with the rule's action."""
    rules = policy.playbook
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(len(rules))],
        "task": ["follow_up"] * len(rules),
        "due_at": [ts("2025-03-09 18:00")] * len(rules),
        "method": [r.method for r in rules], "content": [r.content for r in rules],
        "goal": [r.goal for r in rules], "rule": [r.id for r in rules]})


def _overdue_rows(page: str) -> list[list[str]]:
    """The cells of the page's last table, the overdue tasks', row by row."""
    table = page[page.rindex("<table>"):]
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table)[1:]]


def test_a_chinese_report_gives_every_presets_playbook_in_chinese():
    import dataclasses

    leads, touches = _chinese_data()
    built = report.build(leads, touches, ABCD, as_of=ts("2025-03-10 12:00"))
    for name in leadkit.Policy.presets():
        policy = leadkit.Policy.preset(name)
        shown = dataclasses.replace(built, overdue=_playbook_tasks(policy),
                                    overdue_total=len(policy.playbook), playbook=policy.playbook)
        page = shown.html("zh")
        rows, english = _overdue_rows(page), _overdue_rows(shown.html("en"))
        assert len(rows) == len(policy.playbook)
        for rule, row, en in zip(policy.playbook, rows, english):
            # Each rule's Chinese text, as the preset gives it, in place of its id; its method,
            # content and goal by their Chinese names; no English sentence of the playbook.
            assert row[3:] == [_messages.value(field, value, "zh") for field, value in (
                ("method", rule.method), ("content", rule.content), ("goal", rule.goal))] + [
                rule.zh], (name, rule.id)
            # In English, the rule's note (every preset rule has one) in place of its id.
            assert rule.note
            assert en[3:] == [rule.method, rule.content, rule.goal, rule.note]
            assert rule.note not in html.unescape(page)
            # Every cell of the playbook's columns is Chinese: no Latin word is left.
            for cell in row[3:]:
                assert not re.search(r"[A-Za-z]{2,}", cell), (name, cell)
    # By hand, abcd's first rule and oabc's O grade.
    abcd = dataclasses.replace(built, overdue=_playbook_tasks(ABCD), playbook=ABCD.playbook)
    assert _overdue_rows(abcd.html("zh"))[0][3:] == ["电话", "需求问询", "了解需求",
                                                     "电话首次联系,了解客户需求。"]
    assert _overdue_rows(abcd.html("en"))[0][3:] == [
        "phone", "needs_questions", "discover_needs", "001 §3.2: the phone for needs discovery."]
    oabc = leadkit.Policy.preset("oabc")
    rows = _overdue_rows(dataclasses.replace(built, overdue=_playbook_tasks(oabc),
                                             playbook=oabc.playbook).html("zh"))
    assert rows[2][3:] == ["电话", "订单进度", "跟进订单至交车",
                           "O 级(已下订)客户:至少每周回访一次,告知订单进度。"]


def test_a_playbook_without_chinese_text_shows_the_rule_ids():
    import dataclasses

    leads, touches = _chinese_data()
    built = report.build(leads, touches, ABCD, as_of=ts("2025-03-10 12:00"))
    document = json.loads(ABCD.to_json())
    for rule in document["playbook"]["rules"]:
        rule.pop("zh", None)
        rule.pop("note", None)
    document["playbook"]["content"] = ["ev_range"]
    document["playbook"]["rules"][0]["action"]["content"] = "ev_range"
    plain = leadkit.Policy.from_json(json.dumps(document))
    shown = dataclasses.replace(built, overdue=_playbook_tasks(plain), playbook=plain.playbook,
                                playbook_names_zh=plain.playbook_names_zh)
    # The fallback in both languages: the rule's id, and the policy's own content type as
    # written (it names it nowhere).
    assert _overdue_rows(shown.html("zh"))[0][3:] == ["电话", "ev_range", "了解需求",
                                                      "first_contact"]
    assert _overdue_rows(shown.html("en"))[0][3:] == ["phone", "ev_range", "discover_needs",
                                                      "first_contact"]


def test_a_chinese_report_names_a_policys_own_words_by_the_policys_names():
    import dataclasses

    leads, touches = _chinese_data()
    document = json.loads(ABCD.to_json())
    book = document["playbook"]
    book["content"], book["goals"] = ["ev_range", "nev_tour"], ["win_back"]
    # Its own content type ev_range and goal win_back named; nev_tour not; the documented
    # goal discover_needs named anew (the policy's name comes before the catalogue's).
    book["zh"] = {"content": {"ev_range": "新能源续航"},
                  "goals": {"win_back": "挽回客户", "discover_needs": "摸清需求"}}
    book["rules"][0]["action"].update(content="ev_range", goal="win_back")
    book["rules"][1]["action"].update(content="nev_tour", goal="discover_needs")
    policy = leadkit.Policy.from_json(json.dumps(document))
    assert policy.playbook_names_zh == {
        "content": {"ev_range": "新能源续航"},
        "goals": {"discover_needs": "摸清需求", "win_back": "挽回客户"}}
    built = report.build(leads, touches, policy, as_of=ts("2025-03-10 12:00"))
    assert built.playbook_names_zh == policy.playbook_names_zh
    shown = dataclasses.replace(built, overdue=_playbook_tasks(policy))
    rows, english = _overdue_rows(shown.html("zh")), _overdue_rows(shown.html("en"))
    assert rows[0][4:6] == ["新能源续航", "挽回客户"]
    assert rows[1][4:6] == ["nev_tour", "摸清需求"]
    # The rest by the catalogue's names, as before (abcd's third rule, lost_stage: the loss
    # reason, to learn it).
    assert rows[2][4:6] == ["战败原因回访", "了解战败原因"]
    # English shows the words as written.
    assert english[0][4:6] == ["ev_range", "win_back"]
    assert english[1][4:6] == ["nev_tour", "discover_needs"]


def test_the_scope_is_named_in_the_reports_language():
    leads, touches = _chinese_data()
    dealers = pd.DataFrame({"dealer_id": ["北京东方之星", "上海浦东汽车城"],
                            "region_id": ["华北", "华东"]})
    at = dict(as_of=ts("2025-03-10 12:00"), dealers=dealers)
    dealer = report.build(leads, touches, ABCD, scope=leadkit.Scope.dealer("北京东方之星"), **at)
    assert "范围 经销商 北京东方之星" in dealer.html("zh")
    assert "scope dealer 北京东方之星" in dealer.html("en")
    region = report.build(leads, touches, ABCD, scope=leadkit.Scope.region("华东"), **at)
    assert "范围 区域 华东" in region.html("zh") and "scope region 华东" in region.html("en")
    everyone = report.build(leads, touches, ABCD, scope=leadkit.Scope.hq(), **at)
    assert "范围 全部" in everyone.html("zh") and "Scope." not in everyone.html("zh")
    # The JSON keeps the scope as Python writes it.
    assert dealer.to_dict()["scope"] == "Scope.dealer('北京东方之星')"


def test_the_catalogue_has_every_word_the_code_asks_for_in_both_languages():
    import pathlib

    catalogue = _messages.catalogue()
    assert set(catalogue["text"]["en"]) == set(catalogue["text"]["zh"])
    source = "".join(
        (pathlib.Path(report.__file__).parent / name).read_text(encoding="utf-8")
        for name in ("report.py", "plot.py"))
    keys = set(re.findall(r'_(?:t|text)\(\s*"([a-z_.]+)"', source))
    keys |= {f"column.{c}" for c in report._CARDS}
    keys |= {f"column.first_contact_{clock}_{p}" for clock in ("business", "minutes")
             for p in ("p50", "p90")}
    assert len(keys) > 30
    assert keys <= set(catalogue["text"]["en"]), keys - set(catalogue["text"]["en"])
    # Every documented channel, status and sales stage (docs/data.md) has a Chinese name.
    values = catalogue["values"]["zh"]
    assert set(values["channel"]) == set(ABCD.field_values("channel"))
    assert set(values["sales_stage"]) == {"first_contact", "needs_analysis", "presentation",
                                          "objection_handling", "negotiation", "won", "lost"}
    assert {"open", "won", "lost", "invalid"} <= set(values["status"])
    # Every word of the playbook's vocabularies (docs/playbook.md) has a Chinese name.
    assert set(values["content"]) == set(leadkit._core.playbook_content_values(ABCD._impl))
    assert set(values["goal"]) == set(leadkit._core.playbook_goal_values(ABCD._impl))


@pytest.mark.parametrize("environ, lang", [
    ({"LC_ALL": "zh_CN.UTF-8"}, "zh"), ({"LANG": "zh_TW.UTF-8"}, "zh"),
    ({"LC_ALL": "", "LANG": "zh_CN.UTF-8"}, "zh"), ({"LC_ALL": "C", "LANG": "zh_CN"}, "en"),
    ({"LANG": "en_US.UTF-8"}, "en"), ({}, "en")])
def test_the_language_from_the_locale(environ, lang):
    assert _messages.language(environ) == lang


def test_numbers_as_people_write_them():
    assert report._cell(19385.0, "leads") == "19,385"
    assert report._cell(1234567, "won") == "1,234,567"
    assert report._cell(0.06234, "conversion_rate") == "6.2%"
    assert report._cell(float("nan"), "conversion_rate") == "–"
    assert report._duration(45, "en") == "45 min"
    assert report._duration(65, "en") == "1 h 05 min"
    assert report._duration(125, "zh") == "2 小时 05 分钟"
    assert report._cell(75.0, "first_contact_minutes_p50") == "1 h 15 min"
    assert report._cell(pd.Timestamp("2025-03-10 04:00", tz="UTC"), "due_at", "en",
                        "Asia/Shanghai") == \
        "2025-03-10 12:00"
    assert report._cell("auto_show", "channel", "zh") == "车展"
    assert report._cell("auto_show", "channel", "en") == "auto_show"
    assert report._cell("negotiation", "sales_stage", "zh") == "成交谈判"


def test_first_contact_percentiles_on_the_business_clock_by_hand():
    # Nearest rank (C++ NearestRank): of 1..10, the median is the 5th value and the 90th
    # percentile the 9th; one value is both; none is neither.
    values = pd.Series([7, 1, 3, 10, 2, 9, 4, 8, 6, 5])
    assert report._business_percentiles(values) == {"business_minutes_p50": 5,
                                                    "business_minutes_p90": 9}
    assert report._business_percentiles(pd.Series([42])) == {"business_minutes_p50": 42,
                                                             "business_minutes_p90": 42}
    assert report._business_percentiles(pd.Series([], dtype="int64")) == {
        "business_minutes_p50": None, "business_minutes_p90": None}
    with pytest.raises(ValueError, match=r"nearest_rank: q must lie in \[0, 1\], got 1.5"):
        leadkit._core.nearest_rank(values.to_numpy(), [1.5])
    leads, touches = _chinese_data()
    built = report.build(leads, touches, ABCD, as_of=ts("2025-03-10 12:00"))
    page = built.html()
    first = built.charts["first_contact"]
    # abcd's cn_showroom is open 09:00-18:00 daily; each lead touched 30 minutes after creation.
    assert first["business_minutes_p50"] == 30 and first["business_minutes_p90"] == 30
    # The business clock's figures, each labelled with its clock, the wall clock's beside them.
    assert ('<div class="v">30 min</div><div class="k">median time to first contact '
            '(business clock)</div>') in page
    assert ('<div class="k">90th percentile of time to first contact (business clock)</div>'
            in page)
    assert "median time to first contact (wall clock)" in page


def test_first_contact_histogram_and_sla_line_by_hand():
    # Thirteen contacted leads; the bins hold the minutes above the previous edge up to and
    # including their own (C++ kFirstContactBinEdges, BinCounts), as the report's pd.cut over
    # (-1, 15], (15, 30], ... (1440, inf) did: 0 and 15 | 16 and 30 | 31, 59 and 60 | 61 |
    # none | 480 | 481 and 1440 | 1441 and 5000.
    minutes = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(13)],
        "business_minutes": np.array([481, 0, 1441, 30, 15, 60, 16, 5000, 59, 480, 31, 1440,
                                      61], dtype=np.int64),
        # Sorted: 10, 20, ..., 130; the nearest-rank median is the 7th, 70.
        "sla_minutes": np.array([130, 10, 70, 20, 120, 30, 110, 40, 100, 50, 90, 60, 80],
                                dtype=np.int64),
        "on_time": [False, True, False, True, True, True, True, False, True, False, True,
                    False, True]})
    summary = report._first_contact_summary(minutes)
    assert summary["histogram"] == {"<= 15": 2, "<= 30": 2, "<= 60": 3, "<= 120": 1,
                                    "<= 240": 0, "<= 480": 1, "<= 1440": 2, "> 1440": 2}
    assert list(summary["histogram"]) == ["<= 15", "<= 30", "<= 60", "<= 120", "<= 240",
                                          "<= 480", "<= 1440", "> 1440"]
    assert (summary["leads"], summary["after_sla"], summary["sla_minutes"]) == (13, 5, 70)
    assert plot.sla_line(minutes) == 70
    # Sorted 0, 15, 16, 30, ...: the 7th of 13 is 60, the 12th (ceil(11.7)) 1441.
    assert (summary["business_minutes_p50"], summary["business_minutes_p90"]) == (60, 1441)
    # Four leads: the median is the 2nd of 30, 60, 60, 120.
    assert plot.sla_line(pd.DataFrame({"sla_minutes": [120, 60, 30, 60]})) == 60
    # No contacted lead: every bin empty, no line.
    empty = report._first_contact_summary(minutes.iloc[:0])
    assert set(empty["histogram"].values()) == {0} and len(empty["histogram"]) == 8
    assert (empty["leads"], empty["after_sla"], empty["sla_minutes"]) == (0, 0, None)
    assert plot.sla_line(minutes.iloc[:0]) is None
    # The binding's edges are the labels' and the counts one more.
    edges, counts = leadkit._core.first_contact_bins(np.array([0, 2000], dtype=np.int64))
    assert edges == [15, 30, 60, 120, 240, 480, 1440]
    assert counts == [1, 0, 0, 0, 0, 0, 0, 1]


def test_grades_are_a_distribution_and_stages_a_funnel():
    table = pd.DataFrame({"kind": ["grade", "grade", "sales_stage", "sales_stage"],
                          "stage": ["A", "B", "first_contact", "won"],
                          "leads": [10, 10, 10, 10], "reached": [4, 7, 9, 2]})
    grades = plot.sales_funnel(table[table["kind"] == "grade"], grades_as="distribution")
    assert [t.get_text() for t in grades.axes[0].texts] == [" 4", " 7"]
    assert grades.axes[0].get_title() == "Leads by grade ever in force"
    stages = plot.sales_funnel(table[table["kind"] == "sales_stage"], lang="zh")
    assert stages.axes[0].get_title() == "销售阶段漏斗" and stages._suptitle is None
    assert [t.get_text() for t in stages.axes[0].texts] == [" 9 (90%)", " 2 (20%)"]
    assert [t.get_text() for t in stages.axes[0].get_yticklabels()] == ["初次接触", "成交"]
    funnel = leadkit.Policy.preset("funnel")
    assert report._ordered_grades(funnel) and not report._ordered_grades(ABCD)
    # A funnel policy's grades are the stages of 003 §II, named as it names them under zh.
    tofu = pd.DataFrame({"kind": ["grade"] * 3, "stage": ["tofu", "mofu", "bofu"],
                         "leads": [10] * 3, "reached": [9, 5, 2]})
    drawn = plot.sales_funnel(tofu, lang="zh")
    assert [t.get_text() for t in drawn.axes[0].get_yticklabels()] == [
        "认知阶段", "考虑阶段", "偏好阶段"]
    assert [t.get_text() for t in drawn.axes[0].texts] == [" 9 (90%)", " 5 (50%)", " 2 (20%)"]


def test_consultants_top_and_bottom_ten_by_the_most_weighted_kpi(sample):
    built = report.build(sample.leads, sample.touches, ABCD)
    weights = ABCD.scorecard_weights
    kpi = max(weights, key=weights.get) if weights else "conversion_rate"
    assert built.ranking == kpi
    table = built.tables["consultant"]
    assert len(table) > 20  # the full table stays in the report's tables and JSON
    assert len(built.to_dict()["tables"]["consultant"]) == len(table)
    ranked = table[table[kpi].notna()].sort_values(kpi, ascending=False, kind="stable")
    section = built.html().split("<h2>Consultants")[1].split("</table>")[0]
    shown = re.findall(r"<tr[^>]*><td>[0-9,]+</td><td class=t>([^<]*)</td>", section)
    assert shown == (ranked["consultant_id"].head(10).tolist()
                     + ranked["consultant_id"].tail(10).tolist())


def test_overdue_tasks_within_the_window_oldest_first(sample):
    built = report.build(sample.leads, sample.touches, ABCD, overdue_since="30d")
    tasks = leadkit.schedule(sample.leads, sample.touches, ABCD, as_of=built.as_of)
    window = tasks[(tasks["status"] == "overdue")
                   & (tasks["due_at"] >= built.as_of - pd.Timedelta(days=30))]
    assert 0 < built.overdue_total == len(window)
    assert built.overdue["due_at"].is_monotonic_increasing
    assert built.overdue["due_at"].iloc[0] == window["due_at"].min()
    assert built.to_dict()["overdue_since"] == (built.as_of - pd.Timedelta(days=30)).isoformat()
    everything = report.build(sample.leads, sample.touches, ABCD)
    assert everything.overdue_total > built.overdue_total
    with pytest.raises(ValueError, match="overdue_since: expected a duration such as 30d"):
        report.build(sample.leads, sample.touches, ABCD, overdue_since="lately")


def test_report_command_language_from_the_locale(files, tmp_path):
    args = ["report", "--leads", str(files / "leads.parquet"),
            "--touches", str(files / "touches.parquet"), "--policy", "abcd", "--quiet"]
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LANG")}
    chinese = subprocess.run([sys.executable, "-m", "leadkit", *args, "--out", "-"],
                             capture_output=True, text=True, env={**env, "LANG": "zh_CN.UTF-8"})
    assert chinese.returncode == 0, chinese.stderr
    assert chinese.stdout.startswith("<!doctype html><html lang='zh-CN'>")
    english = subprocess.run([sys.executable, "-m", "leadkit", *args, "--out", "-",
                              "--lang", "en"], capture_output=True, text=True,
                             env={**env, "LANG": "zh_CN.UTF-8"})
    assert english.stdout.startswith("<!doctype html><html lang='en'>")
