"""The report, its charts' numbers and the ``leadkit report`` / ``leadkit demo`` commands."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import leadkit
from leadkit import cli, plot, report, synth

pytest.importorskip("matplotlib")

ABCD = leadkit.Policy.preset("abcd")


def ts(text):
    return pd.Timestamp(text, tz="Asia/Shanghai")


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


def test_first_contact_minutes_count_business_time_on_the_policy_calendar():
    # cn_showroom opens 09:00-18:00 every day.
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4"],
        "created_at": [ts("2025-03-04 10:00"), ts("2025-03-04 17:30"), ts("2025-03-04 12:00"),
                       ts("2025-03-04 12:00")],
        "assigned_at": [ts("2025-03-04 10:15"), None, None, None],
    })
    touches = pd.DataFrame({
        "lead_id": ["L1", "L1", "L2", "L3"],
        "at": [ts("2025-03-04 11:00"), ts("2025-03-04 10:45"), ts("2025-03-05 09:20"),
               ts("2025-03-04 11:00")],
    })
    got = plot.first_contact_minutes(leads, touches, ABCD)
    # L1: 10:15 -> 10:45 (earliest touch); L2: 30 min before closing + 20 after opening;
    # L3 touched before its creation: 0; L4 has no touch and is left out.
    assert got["lead_id"].tolist() == ["L1", "L2", "L3"]
    assert got["business_minutes"].tolist() == [30, 50, 0]
    assert got["sla_minutes"].tolist() == [60, 60, 60]


def test_traffic_and_pipeline_and_lost_reason_counts():
    visits = pd.DataFrame({"arrived_at": [ts("2025-03-04 10:05"), ts("2025-03-04 10:55"),
                                          ts("2025-03-04 15:00")],
                           "lead_id": ["L1", None, None]})
    traffic = plot.traffic_counts(visits, "Asia/Shanghai").set_index("hour")
    assert traffic.loc[10].tolist() == [1, 1]
    assert traffic.loc[15].tolist() == [0, 1]
    assert int(traffic.to_numpy().sum()) == 3
    table = pd.DataFrame({"current_grade": ["A", "B"], "leads": [10, 5], "won": [2, 0],
                          "lost": [1, 1], "invalid": [3, 0]})
    assert plot.pipeline_counts(table).to_dict() == {"A": 7, "B": 4}
    leads = pd.DataFrame({"lost_reason": ["price", None, "price", "financing"]})
    assert plot.lost_reason_counts(leads).to_dict() == {"price": 2, "financing": 1}


@pytest.fixture(scope="module")
def sample():
    return synth.generate(leads=3000, dealers=6, seed=11)


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
    assert set(built.figures) == {"funnel", "channels", "first_contact", "pipeline",
                                  "lost_reasons", "traffic"}
    data = built.to_dict()
    assert data["headline"]["leads"] == int(direct["leads"].iloc[0])
    assert data["charts"]["funnel"]["leads"] == len(sample.leads)
    assert sum(data["charts"]["pipeline"].values()) == int(
        (direct["leads"] - direct["won"] - direct["lost"]).iloc[0])


def test_report_scope_keeps_one_dealers_leads(sample):
    dealer = sample.dealers["dealer_id"].iloc[0]
    built = report.build(sample.leads, sample.touches, ABCD, dealers=sample.dealers,
                         scope=leadkit.Scope.dealer(dealer))
    expected = leadkit.kpis(sample.leads, sample.touches, ABCD, dealers=sample.dealers,
                            scope=leadkit.Scope.dealer(dealer))
    assert built.headline["leads"].tolist() == expected["leads"].tolist()
    assert built.tables["dealer"]["dealer_id"].tolist() == [dealer]


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
    result = run("report", "--leads", str(files / "leads.parquet"),
                 "--touches", str(files / "touches.parquet"),
                 "--surveys", str(files / "surveys.parquet"),
                 "--visits", str(files / "visits.parquet"), "--policy", "abcd",
                 "--out", str(html_path), "--json", str(json_path))
    assert result.returncode == 0, result.stderr
    assert "[6/6] charts" in result.stderr
    page = html_path.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 6
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


def test_demo_runs_the_whole_job_and_writes_the_report(tmp_path):
    result = run("demo", "--leads", "2000", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "== the whole job on 2,000 generated leads" in result.stdout
    assert "routing: assigned:" in result.stdout
    assert (tmp_path / "out" / "report.html").stat().st_size > 10_000
    summary = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert summary["charts"]["funnel"]["leads"] == 2000


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
