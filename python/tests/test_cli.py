import json
import os
import shutil
import signal
import subprocess
import sys

import pandas as pd
import pytest

from leadkit import cli


def run(*args):
    return subprocess.run([sys.executable, "-m", "leadkit", *args], capture_output=True,
                          text=True)


def test_demo_grades_the_sample_under_every_preset_with_personal_data_masked(capsys):
    assert cli.main(["demo", "--leads", "0"]) == 0
    out = capsys.readouterr().out
    sample = pd.read_csv(cli.sample_path())
    for name in ["three_level", "abcd", "oabc", "funnel"]:
        assert f"== {name}:" in out
    # Counts per grade, hand-checked against the sample and the preset rules.
    assert "-- leads per grade: high: 7, medium: 10, low: 3" in out
    for phone in sample["phone"]:
        assert str(phone) not in out
    for name in sample["name"]:
        assert name not in out
    assert "138****8000" in out
    assert "王**" in out
    assert out.count("S001 ") == 4


def test_console_script_and_module_entry_points():
    assert run("presets").stdout.splitlines()[0].startswith("three_level:")
    script = shutil.which("leadkit")
    assert script is not None
    out = subprocess.run([script, "presets"], capture_output=True, text=True, check=True).stdout
    assert "funnel:" in out


def test_classify_command_writes_csv(tmp_path):
    out = tmp_path / "graded.csv"
    result = run("classify", "--leads", cli.sample_path(), "--policy", "oabc", "--out", str(out))
    assert result.returncode == 0, result.stderr
    graded = pd.read_csv(out)
    assert list(graded.columns) == ["lead_id", "grade", "rule"]
    assert len(graded) == 20
    assert graded.set_index("lead_id").loc["S003", "grade"] == "O"


def test_bad_input_is_exit_2_without_a_traceback(tmp_path):
    bad = tmp_path / "leads.csv"
    bad.write_text("lead_id,purchase_within_days\nL1,10\nL2,soon\n", encoding="utf-8")
    result = run("classify", "--leads", str(bad), "--policy", "abcd")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert ("leads.csv: leads.purchase_within_days: lead_id='L2' (row 1) has 'soon'; "
            "expected a number") in result.stderr
    missing = run("classify", "--leads", str(tmp_path / "nope.csv"), "--policy", "abcd")
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    unknown = run("classify", "--leads", str(bad), "--policy", "abdc")
    assert unknown.returncode == 2
    assert "neither a preset" in unknown.stderr


def test_policy_check_exit_codes(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"grades": ["a"], "rules": [{"id": "d", "grade": "a"}],
                                "cadence": {"follow_up_days": {"a": 1}}}), encoding="utf-8")
    result = run("policy", "check", str(good))
    assert result.returncode == 0
    assert "0 error(s), 0 warning(s)" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"grades": ["a"], "rules": [{"id": "d", "grade": "b"}]}', encoding="utf-8")
    result = run("policy", "check", str(bad))
    assert result.returncode == 1
    assert 'error at /rules/0/grade (rule d): grade "b" is not declared' in result.stdout
    assert "1 error(s)" in result.stdout


def test_policy_show_prints_the_canonical_document():
    result = run("policy", "show", "abcd")
    assert result.returncode == 0
    assert json.loads(result.stdout)["grades"] == ["A", "B", "C", "D"]


def _report_files(tmp_path, leads_header):
    leads = tmp_path / "leads.csv"
    leads.write_text(f"{leads_header}\nL1,2026-01-05T10:00:00+08:00,website\n", encoding="utf-8")
    touches = tmp_path / "touches.csv"
    touches.write_text("lead_id,at,method\nL1,2026-01-05T10:30:00+08:00,phone\n",
                       encoding="utf-8")
    return ["report", "--leads", str(leads), "--touches", str(touches), "--policy", "abcd",
            "--out", str(tmp_path / "r.html"), "--quiet"]


def test_regression_report_command_ignores_a_misnamed_column(tmp_path):
    result = run(*_report_files(tmp_path, "lead_id,created_at,chanel"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        'leadkit: leads: no column "channel", but a column "chanel"; did you mean "channel"?')
    assert not (tmp_path / "r.html").exists()


def test_report_command_needs_the_channel_column(tmp_path):
    result = run(*_report_files(tmp_path, "lead_id,created_at,model"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == 'leadkit: leads: missing required column "channel"'
    assert not (tmp_path / "r.html").exists()


def test_csv_text_columns_are_read_as_text(tmp_path):
    """A CSV's phones, ids and codes are text (docs/data.md): read as numbers, a phone loses
    its form and an id its leading zeros, and routing then refuses them."""
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,created_at,phone,dealer_id,purchase_within_days\n"
                    "007,2024-06-01T09:00:00+08:00,13800138000,0101,10\n"
                    "008,2024-06-01T10:00:00+08:00,,0102,20\n", encoding="utf-8")
    frame = cli.read_table(str(path), "leads")
    assert list(frame["lead_id"]) == ["007", "008"]
    assert frame["phone"].iloc[0] == "13800138000"
    assert pd.isna(frame["phone"].iloc[1])
    assert list(frame["dealer_id"]) == ["0101", "0102"]
    assert frame["purchase_within_days"].dtype.kind in "if"
    touches = tmp_path / "touches.csv"
    touches.write_text("lead_id,at,method,grade_after\n007,2024-06-01T10:00:00+08:00,phone,1\n",
                       encoding="utf-8")
    read = cli.read_table(str(touches), "touches")
    assert read["lead_id"].iloc[0] == "007" and read["grade_after"].iloc[0] == "1"


def test_version():
    import leadkit
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"leadkit {leadkit.__version__}"


def test_ctrl_c_is_one_line_and_exit_130_not_a_traceback(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    import leadkit

    monkeypatch.setattr(leadkit, "classify", interrupted)
    assert cli.main(["classify", "--leads", cli.sample_path(), "--policy", "abcd"]) == 130
    err = capsys.readouterr().err
    assert err == "leadkit: interrupted\n"


def test_ctrl_c_on_a_running_command_exits_130_with_one_line():
    # The demo prints its first line, then grades and generates for a while: SIGINT then.
    process = subprocess.Popen([sys.executable, "-m", "leadkit", "demo", "--leads", "2000000"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout.readline().startswith("leadkit ")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert err.endswith("leadkit: interrupted\n")
    assert "Traceback" not in err


# --- One subcommand per engine -------------------------------------------------------------

from leadkit import _commands  # noqa: E402


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """Generated tables as the example commands name them (leads.csv, touches.csv, ...)."""
    from leadkit import synth

    folder = tmp_path_factory.mktemp("tables")
    for name, frame in synth.generate(leads=300, dealers=4, seed=5).tables().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    shutil.copy(os.path.join(root, "docs", "examples", "abcd_cases.json"), folder)
    return folder


def _examples():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = {}
    for name, command in sub.choices.items():
        lines = [line.strip() for line in (command.epilog or "").splitlines()]
        found.update({name: line for line in lines if line.startswith("leadkit ")})
        for inner in command._actions:
            if isinstance(inner, argparse._SubParsersAction):
                for inner_name, leaf in inner.choices.items():
                    for line in (leaf.epilog or "").splitlines():
                        if line.strip().startswith("leadkit "):
                            found[f"{name} {inner_name}"] = line.strip()
    return found


import argparse  # noqa: E402
import shlex  # noqa: E402


def test_every_engine_has_a_subcommand_with_an_example_in_its_help():
    examples = _examples()
    for engine in _commands.engines():
        assert engine.name in examples, engine.name
        assert examples[engine.name].startswith(f"leadkit {engine.name} ")
    for name in ["calendar show", "policy check", "policy show", "policy test", "policy diff",
                 "demo", "synth", "presets", "report"]:
        assert name in examples, name
    # The reports the package exports each have one (their subcommand names the function).
    for name in ["classify", "route", "schedule", "agenda", "kpis", "lead-kpis", "funnel",
                 "pipeline", "grade-migration", "monthly", "touches-per-won-lead", "lost",
                 "profile", "scorecard", "effectiveness", "activity", "showroom", "audit",
                 "next-actions"]:
        assert name in examples
    help_text = run("kpis", "--help").stdout
    assert "example:" in help_text and "leadkit kpis --leads leads.csv" in help_text


@pytest.mark.parametrize("name", sorted(_examples()))
def test_each_help_example_runs(name, tables, monkeypatch, capsys):
    """The worked example of each subcommand's --help, run on generated tables."""
    example = _examples()[name]
    monkeypatch.chdir(tables)
    status = cli.main(shlex.split(example)[1:])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    args = shlex.split(example)
    if "--out" in args:
        written = tables / args[args.index("--out") + 1]
        assert written.stat().st_size > 0
    elif "--format" in args and args[args.index("--format") + 1] == "json":
        rows = json.loads(captured.out)
        assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
    else:
        assert captured.out.strip()


def test_engine_output_formats_agree_with_the_python_api(tables, monkeypatch, capsys):
    import leadkit

    monkeypatch.chdir(tables)
    leads = cli.read_table("leads.csv", "leads")
    touches = cli.read_table("touches.csv", "touches")
    expected = leadkit.kpis(leads, touches, leadkit.Policy.preset("abcd"), by="channel")
    args = ["kpis", "--leads", "leads.csv", "--touches", "touches.csv", "--policy", "abcd",
            "--by", "channel"]
    assert cli.main([*args, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(expected)
    assert [r["channel"] for r in rows] == expected["channel"].tolist()
    assert [r["leads"] for r in rows] == expected["leads"].tolist()
    assert set(rows[0]) == {str(c) for c in expected.columns}
    assert cli.main([*args, "--out", "k.parquet"]) == 0
    assert "k.parquet" not in capsys.readouterr().out
    parquet = pd.read_parquet(tables / "k.parquet")
    assert parquet["leads"].tolist() == expected["leads"].tolist()
    assert cli.main([*args, "--out", "-"]) == 0
    csv = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert csv["won"].tolist() == expected["won"].tolist()


def test_a_table_from_standard_input():
    import pathlib

    sample = pathlib.Path(cli.sample_path()).read_text(encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "leadkit", "classify", "--leads", "-",
                             "--policy", "oabc", "--format", "json"], input=sample,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 20
    assert {"lead_id": "S003", "grade": "O"}.items() <= rows[2].items()
    both = run("kpis", "--leads", "-", "--touches", "-", "--policy", "abcd")
    assert both.returncode == 2
    assert "only one table can be read from standard input" in both.stderr


def test_engine_subcommands_answer_bad_input_with_exit_2(tables):
    missing = run("agenda", "--leads", str(tables / "leads.csv"), "--touches",
                  str(tables / "touches.csv"), "--policy", "abcd")
    assert missing.returncode == 2 and "--day" in missing.stderr
    bad_day = run("agenda", "--leads", str(tables / "leads.csv"), "--touches",
                  str(tables / "touches.csv"), "--policy", "abcd", "--day", "tomorrow")
    assert bad_day.returncode == 2
    assert bad_day.stderr.strip() == "leadkit: --day: expected YYYY-MM-DD, got 'tomorrow'"
    bad_column = run("kpis", "--leads", str(tables / "leads.csv"), "--touches",
                     str(tables / "touches.csv"), "--policy", "abcd", "--by", "chanel")
    assert bad_column.returncode == 2 and "Traceback" not in bad_column.stderr


def test_policy_check_as_json_records(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"grades": ["a"], "rules": [{"id": "d", "grade": "b"}]}', encoding="utf-8")
    result = run("policy", "check", str(bad), "--format", "json")
    assert result.returncode == 1
    issues = json.loads(result.stdout)
    # The same issues as the text form prints, one record each.
    assert issues == [
        {"severity": "error", "path": "/rules/0/grade", "rule": "d",
         "message": 'grade "b" is not declared in /grades (declared: a)'},
        {"severity": "warning", "path": "", "rule": "",
         "message": 'grade "a" has no follow-up interval (no "cadence" section): no '
                    'follow_up tasks for it'}]
    good = run("policy", "check", "abcd", "--format", "json")
    assert good.returncode == 0 and json.loads(good.stdout) == []


def test_calendar_show_cn_office_2026():
    """Days checked by hand against presets/calendars/cn_office.json and the State Council's
    2026 notice: 2026-01-01 (Thu) is New Year's Day, closed; 2026-01-05 a Monday with the
    office's two spans; Saturdays closed unless made a workday."""
    result = run("calendar", "show", "cn_office", "--year", "2026")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 365
    by_day = {line.split()[0]: line for line in lines}
    assert by_day["2026-01-01"] == "2026-01-01 closed"
    assert by_day["2026-01-05"] == "2026-01-05 open   09:00-12:00;13:30-18:00"
    assert by_day["2026-01-10"] == "2026-01-10 closed"
    # Sunday 2026-01-04 is a make-up workday (国办发明电〔2025〕7号); 10-01..10-07 closed.
    assert by_day["2026-01-04"].startswith("2026-01-04 open   09:00-")
    assert all(by_day[f"2026-10-0{d}"].endswith("closed") for d in range(1, 8))
    assert sum(line.split()[1] == "open" for line in lines) == sum(
        1 for line in lines if len(line.split()) == 3)
    as_json = json.loads(run("calendar", "show", "cn_office", "--year", "2026",
                             "--format", "json").stdout)
    assert len(as_json) == 365
    assert as_json[4] == {"date": "2026-01-05", "open": True,
                          "hours": "09:00-12:00;13:30-18:00", "open_minutes": 450}
    unknown = run("calendar", "show", "cn_ofice", "--year", "2026")
    assert unknown.returncode == 2 and "neither a preset" in unknown.stderr


def test_parquet_to_standard_output(tables):
    result = subprocess.run([sys.executable, "-m", "leadkit", "lost", "--leads",
                             str(tables / "leads.csv"), "--by", "channel", "--format",
                             "parquet"], capture_output=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout[:4] == b"PAR1"
    import io
    import leadkit

    read = pd.read_parquet(io.BytesIO(result.stdout))
    expected = leadkit.lost_analysis(cli.read_table(str(tables / "leads.csv"), "leads"),
                                     by="channel")
    assert read["lost"].tolist() == expected["lost"].tolist()
    assert read["channel"].tolist() == expected["channel"].tolist()


def test_calendar_show_across_a_change_of_daylight_saving_time(tmp_path):
    """Europe/Berlin moves from 02:00 to 03:00 on Sunday 2026-03-29 and back from 03:00 to
    02:00 on Sunday 2026-10-25: Sunday's 01:00-05:00 wall hours are 3 hours of open time on
    the first, 5 on the second, 4 on an ordinary Sunday."""
    path = tmp_path / "berlin.json"
    path.write_text(json.dumps({
        "format": 1, "name": "berlin_sundays", "time_zone": "Europe/Berlin",
        "weekly": {"mon": [], "tue": [], "wed": [], "thu": [], "fri": [], "sat": [],
                   "sun": [["01:00", "05:00"]]}}), encoding="utf-8")
    result = run("calendar", "show", str(path), "--year", "2026", "--format", "json")
    assert result.returncode == 0, result.stderr
    days = {row["date"]: row for row in json.loads(result.stdout)}
    assert days["2026-03-29"] == {"date": "2026-03-29", "open": True, "hours": "01:00-05:00",
                                  "open_minutes": 180}
    assert days["2026-10-25"]["hours"] == "01:00-05:00"
    assert days["2026-10-25"]["open_minutes"] == 300
    assert days["2026-03-22"]["open_minutes"] == 240
    assert days["2026-03-23"] == {"date": "2026-03-23", "open": False, "hours": "",
                                  "open_minutes": 0}


def test_calendar_show_past_a_refusing_coverage_is_exit_2(tmp_path):
    path = tmp_path / "short.json"
    path.write_text(json.dumps({
        "format": 1, "name": "short", "time_zone": "Asia/Shanghai",
        "weekly": {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
        | {"sat": [], "sun": []},
        "coverage": {"from": "2024-01-01", "to": "2024-12-31", "outside": "error"}}),
        encoding="utf-8")
    assert run("calendar", "show", str(path), "--year", "2024").returncode == 0
    result = run("calendar", "show", str(path), "--year", "2026")
    assert result.returncode == 2
    assert result.stderr.startswith("leadkit: calendar short: ") and "Traceback" not in \
        result.stderr


def test_engine_options_reach_the_engine(tables, monkeypatch, capsys):
    """--scope, a --by of two columns, --as-of, --day and --consultant are passed on as the
    Python API takes them: the same tables come back."""
    import datetime as dt

    import leadkit

    monkeypatch.chdir(tables)
    leads = cli.read_table("leads.csv", "leads")
    touches = cli.read_table("touches.csv", "touches")
    abcd = leadkit.Policy.preset("abcd")
    dealer = str(leads["dealer_id"].dropna().iloc[0])
    as_of = "2025-11-30T18:00:00+08:00"
    expected = leadkit.kpis(leads, touches, abcd, by=["channel", "month"],
                            scope=leadkit.Scope.dealer(dealer), as_of=as_of)
    assert cli.main(["kpis", "--leads", "leads.csv", "--touches", "touches.csv", "--policy",
                     "abcd", "--by", "channel,month", "--scope", f"dealer:{dealer}",
                     "--as-of", as_of, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) > 1
    assert [(r["channel"], r["month"], r["leads"]) for r in rows] == list(
        zip(expected["channel"], expected["month"].astype(str), expected["leads"]))
    consultant = str(leads["consultant_id"].dropna().iloc[0])
    day = dt.date(2025, 12, 30)
    tasks = leadkit.agenda(leads, touches, abcd, day=day, consultant_id=consultant)
    assert cli.main(["agenda", "--leads", "leads.csv", "--touches", "touches.csv", "--policy",
                     "abcd", "--day", "2025-12-30", "--consultant", consultant,
                     "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["lead_id"], r["task"]) for r in rows] == list(zip(tasks["lead_id"],
                                                                 tasks["task"]))
    assert len(rows) > 0 and {r["consultant_id"] for r in rows} == {consultant}
