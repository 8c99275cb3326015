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

    monkeypatch.setattr(cli, "classify", interrupted)
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
