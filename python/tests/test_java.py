"""The Java program of docs/c-api.md (tests/java/LeadkitExample.java), which classifies 1,000
leads and computes their KPIs by channel through libleadkit.so with JNA, against leadkit's
Python API on the very data the program made."""

import math
import os
import pathlib
import shutil
import subprocess

import pandas as pd
import pytest

import leadkit
from leadkit import Policy

_CONSUMER = os.environ.get("LEADKIT_CONSUMER")
_JNA = pathlib.Path("/usr/share/java/jna.jar")
_ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not _CONSUMER or shutil.which("javac") is None or not _JNA.exists(),
    reason="LEADKIT_CONSUMER (set by scripts/test, beside the installed libleadkit.so), a JDK "
           "and Debian's libjna-java")


@pytest.fixture(scope="module")
def java_run(tmp_path_factory):
    """The program's printed lines and the directory of the data it wrote."""
    work = tmp_path_factory.mktemp("java")
    lib = pathlib.Path(_CONSUMER).resolve().parents[1] / "install" / "lib"
    subprocess.run(["javac", "-cp", str(_JNA), "-d", str(work),
                    str(_ROOT / "tests" / "java" / "LeadkitExample.java")], check=True)
    out = subprocess.run(["java", "-cp", f"{_JNA}:{work}", f"-Djna.library.path={lib}",
                          "LeadkitExample", str(work)],
                         check=True, capture_output=True, text=True).stdout
    return out.splitlines(), work


def _tables(work):
    leads = pd.read_json(work / "leads.json", dtype={"lead_id": str, "model": str,
                                                     "channel": str, "status": str})
    leads["created_at"] = pd.to_datetime(leads["created_at"], unit="s", utc=True)
    touches = pd.read_json(work / "touches.json", dtype={"lead_id": str, "method": str})
    touches["at"] = pd.to_datetime(touches["at"], unit="s", utc=True)
    return leads, touches


def test_java_grades_equal_python(java_run):
    lines, work = java_run
    leads, _ = _tables(work)
    assert len(leads) == 1000
    python = leadkit.classify(leads, Policy.preset("three_level"))
    java = [line.split("\t") for line in (work / "classify.tsv").read_text().splitlines()]
    assert java == [[i, g, r] for i, g, r in
                    zip(python["lead_id"], python["grade"], python["rule"])]
    counts = python["grade"].value_counts()
    assert lines[1] == "classified 1000 leads: {" + ", ".join(
        f"{g}={counts[g]}" for g in sorted(counts.index)) + "}"


def test_java_kpis_equal_python(java_run):
    lines, work = java_run
    leads, touches = _tables(work)
    python = leadkit.kpis(leads, touches, Policy.preset("three_level"), by="channel",
                          as_of=pd.Timestamp("2025-04-01T00:00:00Z"))
    assert lines[2] == "KPIs by channel at 2025-04-01T00:00:00Z:"
    java = {}
    for line in lines[3:]:
        fields = dict(part.split("=", 1) for part in line.split(" "))
        java[fields.pop("channel")] = fields
    assert len(java) == len(python)
    for _, row in python.iterrows():
        key = "null" if pd.isna(row["channel"]) else row["channel"]
        got = java[key]
        assert set(got) <= set(python.columns), set(got) - set(python.columns)
        for name, text in got.items():
            want = row[name]
            if text == "nan":
                assert pd.isna(want), (key, name)
            elif "." in text:
                assert math.isclose(float(text), float(want), abs_tol=5e-7), (key, name)
            else:
                assert int(text) == int(want), (key, name)
