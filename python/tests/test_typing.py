"""The type stubs and annotations, checked as a user's type checker sees them: the extension's
stubs (leadkit/_core.pyi) against the module itself (mypy.stubtest), and a script that uses the
public API as a notebook does (typing/public_api.py) under mypy — which the test also runs, so
that what it type-checks is known to work."""

import pathlib
import runpy
import subprocess
import sys

HERE = pathlib.Path(__file__).parent
ALLOWLIST = HERE.parent / "stubtest-allowlist.txt"
SCRIPT = HERE / "typing" / "public_api.py"


def _run(args):
    done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          check=False)
    return done.returncode, done.stdout + done.stderr


def test_stubs_match_the_extension():
    code, out = _run(["mypy.stubtest", "leadkit._core", "--allowlist", str(ALLOWLIST)])
    assert code == 0, out


def test_a_script_of_the_public_api_type_checks(tmp_path):
    code, out = _run(["mypy", str(SCRIPT), "--cache-dir", str(tmp_path)])
    assert code == 0, out
    assert "Success: no issues found" in out


def test_the_type_checked_script_runs():
    counts = runpy.run_path(str(SCRIPT))["main"]()
    assert counts["graded"] == 200 and counts["routed"] == 20
    assert counts["audit"] == counts["audit_state"] > 0
    assert counts["merged"] == counts["kpis"] > 0
    # Two policies, one summary row each; 200 leads are too few to learn from.
    assert counts["backtest"] == 2
    assert counts["fell_back"] == 1 and counts["learned_grades"] == 4
