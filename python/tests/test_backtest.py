"""leadkit.backtest: the hand-worked example of docs/backtest.md, and on generated data each
number against an independent reference built from other public calls (kpis on the re-graded
leads and mapped touches, classify, lead_kpis) and a direct count of won-lost pairs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import leadkit
import leadkit.synth

ZONE = "Asia/Shanghai"
OABC = leadkit.Policy.preset("oabc")
ABCD = leadkit.Policy.preset("abcd")
AS_OF = pd.Timestamp("2024-06-30 12:00", tz=ZONE)


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=ZONE)


def example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """docs/backtest.md: five leads recorded under oabc (grade_after "O" once)."""
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5"],
        "created_at": [t("2024-06-10 09:00"), t("2024-06-10 09:00"), t("2024-06-11 09:00"),
                       t("2024-06-11 09:00"), t("2024-06-12 09:00")],
        "consultant_id": ["c1", "c1", "c2", "c2", None],
        "deposit_paid": [True, None, None, None, None],
        "purchase_within_days": [10, 20, 60, None, 10],
        "grade": ["C", "B", "C", "C", "A"],  # recorded; the backtest grades again
        "status": ["won", "lost", "won", "lost", "open"],
        "won_at": [t("2024-06-20 12:00"), pd.NaT, t("2024-06-25 10:00"), pd.NaT, pd.NaT],
        "lost_at": [pd.NaT, t("2024-06-15 10:00"), pd.NaT, t("2024-06-20 10:00"), pd.NaT],
        "lost_review": [None, "approved", None, "approved", None],
    })
    touches = pd.DataFrame({
        "lead_id": ["L1", "L1", "L2", "L3", "L5"],
        "at": [t("2024-06-10 09:30"), t("2024-06-12 10:00"), t("2024-06-10 09:30"),
               t("2024-06-11 10:30"), t("2024-06-12 09:10")],
        "method": ["phone"] * 5,
        "grade_after": [None, "O", None, None, None],
    })
    return leads, touches


def test_hand_worked_example():
    leads, touches = example()
    result = leadkit.backtest(leads, touches, {"current": OABC, "proposed": ABCD},
                              as_of=AS_OF, grade_map={"proposed": {"O": "A"}})
    s = result.summary.set_index("policy")
    assert list(result.summary.columns) == leadkit.BACKTEST_COLUMNS
    assert list(s.index) == ["current", "proposed"]
    # Worked by hand in docs/backtest.md.
    for policy in ("current", "proposed"):
        row = s.loc[policy]
        assert (row["leads"], row["won"], row["lost"]) == (5, 2, 2)
        assert (row["first_contacts_due"], row["first_contact_on_time"]) == (5, 3)
        assert (row["follow_ups_due"], row["follow_ups_on_time"]) == (3, 1)
        assert row["timely_leads"] == 1
        assert row["tasks_per_consultant_day_mean"] == 0.75
        assert row["tasks_per_consultant_day_p90"] == 2
        assert row["tasks_per_consultant_day_max"] == 2
        assert row["top_grade_lift"] == 2.0
        assert row["notes"] == "2 tasks of leads without consultant_id not in the task load"
    assert s.loc["current", "grade_auc"] == 0.625
    assert s.loc["proposed", "grade_auc"] == 0.75

    assert result.grades.index.name == "current"
    assert result.grades.columns.name == "proposed"
    expected = pd.DataFrame([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1]],
                            index=["O", "A", "B", "C"], columns=["A", "B", "C", "D"])
    np.testing.assert_array_equal(result.grades.to_numpy(), expected.to_numpy())
    assert list(result.grades.index) == ["O", "A", "B", "C"]
    assert list(result.grades.columns) == ["A", "B", "C", "D"]

    c = result.conversion
    assert c["policy"].tolist() == ["current"] * 4 + ["proposed"] * 4
    assert c["leads"].tolist() == [1, 1, 1, 2, 2, 1, 1, 1]
    assert c["won"].tolist() == [1, 0, 0, 1, 1, 0, 1, 0]
    assert c["lost"].tolist() == [0, 0, 1, 1, 0, 1, 0, 1]
    assert result.task_load["tasks"].tolist() == [6, 6]
    assert result.task_load["consultant_days"].tolist() == [8, 8]


def test_without_a_map_the_grade_changes_are_left_out_and_said():
    leads, touches = example()
    result = leadkit.backtest(leads, touches, {"current": OABC, "proposed": ABCD},
                              as_of=AS_OF)
    notes = result.summary.set_index("policy")["notes"]
    assert notes["current"] == "2 tasks of leads without consultant_id not in the task load"
    assert notes["proposed"].startswith(
        '1 grade changes left out: grade_after "O" not among the policy\'s grades and no '
        "grade_map given; ")


def test_json_and_html():
    leads, touches = example()
    result = leadkit.backtest(leads, touches, {"current": OABC, "proposed": ABCD},
                              as_of=AS_OF, grade_map={"proposed": {"O": "A"}})
    data = json.loads(result.to_json())
    assert [row["policy"] for row in data["summary"]] == ["current", "proposed"]
    assert data["summary"][1]["grade_auc"] == 0.75
    assert data["grades"]["counts"]["C"]["D"] == 1
    assert data["as_of"] == "2024-06-30T12:00:00+08:00"
    # A rate with no denominator is null in JSON.
    assert data["summary"][0]["satisfaction_rate"] is None
    page = result.to_html()
    assert page.startswith("<!DOCTYPE html>") and "proposed" in page and "0.75" in page


@pytest.mark.parametrize("policies, grade_map, message", [
    ([OABC], None, "policies: expected a mapping"),
    ({}, None, "policies: expected a mapping"),
    ({1: OABC}, None, "policies: a name must be a non-empty string, got 1"),
    ({"current": "oabc"}, None, 'policies["current"]: expected a leadkit.Policy, got str'),
    ({"current": OABC, "proposed": ABCD}, {"propsed": {"O": "A"}},
     "grade_map: 'propsed' is not one of the policies (current, proposed)"),
    ({"current": OABC, "proposed": ABCD}, {"proposed": {"O": "E"}},
     'grade_map["proposed"]: "O" maps to "E", which is not one of the policy\'s grades '
     "(A, B, C, D)"),
    ({"current": OABC, "proposed": ABCD}, {"proposed": {"B": "B"}},
     'touches.grade_after: lead_id=\'L1\' (row 1) has "O", which grade_map["proposed"] has '
     "no entry for"),
    ({"current": OABC, "proposed": ABCD}, {"proposed": {"O": 1}},
     "grade_map[\"proposed\"]: grade names are strings, got 'O': 1"),
])
def test_bad_input_is_named(policies, grade_map, message):
    leads, touches = example()
    with pytest.raises(ValueError) as raised:
        leadkit.backtest(leads, touches, policies, as_of=AS_OF, grade_map=grade_map)
    assert message in str(raised.value)


# --- Groups ------------------------------------------------------------------------------------

#: docs/backtest.md: dealer D1 has L1, L2 and L5, D2 has L3 and L4.
DEALERS = ["D1", "D1", "D2", "D2", "D1"]


def test_by_dealer_hand_worked_example():
    leads, touches = example()
    leads["dealer_id"] = DEALERS
    result = leadkit.backtest(leads, touches, {"current": OABC, "proposed": ABCD},
                              as_of=AS_OF, grade_map={"proposed": {"O": "A"}}, by="dealer_id")
    s = result.summary
    assert list(s.columns) == ["dealer_id", *leadkit.BACKTEST_COLUMNS]
    assert s["dealer_id"].tolist() == ["D1", "D1", "D2", "D2"]
    assert s["policy"].tolist() == ["current", "proposed"] * 2
    # Worked by hand in docs/backtest.md, "By dealer".
    d1, d2 = s.iloc[:2], s.iloc[2:]
    assert d1["leads"].tolist() == [3, 3] and d2["leads"].tolist() == [2, 2]
    assert d1["won"].tolist() == [1, 1] and d1["lost"].tolist() == [1, 1]
    assert d2["won"].tolist() == [1, 1] and d2["lost"].tolist() == [1, 1]
    assert d1["first_contact_on_time"].tolist() == [3, 3]
    assert d2["first_contact_on_time"].tolist() == [0, 0]
    assert d1["follow_ups_due"].tolist() == [3, 3] and d2["follow_ups_due"].tolist() == [0, 0]
    assert d1["follow_ups_on_time"].tolist() == [1, 1]
    assert d1["timely_leads"].tolist() == [1, 1] and d2["timely_leads"].tolist() == [0, 0]
    assert result.task_load["tasks"].tolist() == [4, 4, 2, 2]
    assert result.task_load["consultant_days"].tolist() == [3, 3, 1, 1]
    assert d1["tasks_per_consultant_day_mean"].tolist() == [4 / 3, 4 / 3]
    assert d1["tasks_per_consultant_day_p90"].tolist() == [2, 2]
    assert d2["tasks_per_consultant_day_mean"].tolist() == [2, 2]
    assert s["grade_auc"].tolist() == [1.0, 1.0, 0.5, 1.0]
    assert d1["top_grade_lift"].tolist() == [2.0, 2.0]
    assert d2["top_grade_lift"].isna().all()  # no lead of the top grade in D2
    assert d1["notes"].tolist() == [
        "2 tasks of leads without consultant_id not in the task load"] * 2
    assert d2["notes"].tolist() == ["", ""]
    # The crosstab and the conversion by grade stay over every lead.
    whole = leadkit.backtest(leads, touches, {"current": OABC, "proposed": ABCD},
                             as_of=AS_OF, grade_map={"proposed": {"O": "A"}})
    pd.testing.assert_frame_equal(result.grades, whole.grades)
    pd.testing.assert_frame_equal(result.conversion, whole.conversion)
    assert result.to_dict()["by"] == ["dealer_id"]
    assert "D2" in result.to_html()


def _count_columns() -> list[str]:
    return [c for c in leadkit.KPI_COLUMNS
            if not c.endswith(("_rate", "_p50", "_p90"))] + ["tasks"]


@pytest.mark.parametrize("by", ["dealer_id", ["channel", "month"], "grade", "current_grade",
                                "region_id"])
def test_groups_add_up_to_the_whole(generated, by):
    tables, as_of, whole = generated
    grouped = leadkit.backtest(tables["leads"], tables["touches"],
                               {"current": OABC, "proposed": ABCD}, as_of=as_of,
                               grade_map={"proposed": MAP}, surveys=tables["surveys"],
                               dealers=tables["dealers"], by=by)
    names = [by] if isinstance(by, str) else by
    assert list(grouped.summary.columns[:len(names) + 1]) == [*names, "policy"]
    summary = grouped.summary.merge(grouped.task_load[[*names, "policy", "tasks"]],
                                    on=[*names, "policy"])
    totals = whole.summary.merge(whole.task_load[["policy", "tasks"]], on="policy")
    sums = summary.groupby("policy")[_count_columns()].sum()
    for policy in ("current", "proposed"):
        for column in _count_columns():
            assert sums.loc[policy, column] == totals.set_index("policy").loc[policy, column], (
                policy, column)
    pd.testing.assert_frame_equal(grouped.grades, whole.grades)
    pd.testing.assert_frame_equal(grouped.conversion, whole.conversion)


def test_groups_are_kpis_groups_under_each_policy(generated):
    """Each group's KPI columns are kpis(by=...) on the re-graded leads and mapped touches."""
    tables, as_of, _ = generated
    leads, touches = tables["leads"], tables["touches"]
    grouped = leadkit.backtest(leads, touches, {"current": OABC, "proposed": ABCD},
                               as_of=as_of, grade_map={"proposed": MAP},
                               surveys=tables["surveys"], by=["dealer_id", "grade"])
    plain = leads.drop(columns=["grade"], errors="ignore")
    for name, policy in (("current", OABC), ("proposed", ABCD)):
        mapped = touches.copy()
        after = mapped["grade_after"].astype(object)
        if name == "proposed":
            after = after.map(lambda g: MAP[g] if isinstance(g, str) else None)
        mapped["grade_after"] = pd.Series(after.to_numpy(dtype=object), dtype=object)
        want = leadkit.kpis(plain, mapped, policy, surveys=tables["surveys"], as_of=as_of,
                            by=["dealer_id", "grade"])
        got = grouped.summary[grouped.summary["policy"] == name]
        assert len(got) == len(want)
        for column in ["dealer_id", "grade", *leadkit.KPI_COLUMNS]:
            a, b = got[column].tolist(), want[column].tolist()
            assert [None if isinstance(x, float) and math.isnan(x) else x for x in a] == [
                None if isinstance(x, float) and math.isnan(x) else x for x in b], column


def test_by_region_needs_the_dealers_table():
    leads, touches = example()
    with pytest.raises(ValueError, match="by: region_id needs the dealers table"):
        leadkit.backtest(leads, touches, {"current": OABC}, as_of=AS_OF, by="region_id")


def test_a_personal_column_is_never_a_group():
    leads, touches = example()
    with pytest.raises(ValueError, match="phone"):
        leadkit.backtest(leads, touches, {"current": OABC}, as_of=AS_OF, by="phone")


# --- The state ----------------------------------------------------------------------------------


def test_state_batches_merge_to_the_whole_and_round_trip():
    import pickle

    leads, touches = example()
    leads["dealer_id"] = DEALERS
    policies = {"current": OABC, "proposed": ABCD}
    grade_map = {"proposed": {"O": "A"}}
    whole = leadkit.backtest(leads, touches, policies, as_of=AS_OF, grade_map=grade_map,
                             by="dealer_id")
    parts = []
    for rows in ([0, 3], [1, 2, 4]):
        part_leads = leads.iloc[rows]
        part_touches = touches[touches["lead_id"].isin(part_leads["lead_id"])]
        state = leadkit.BacktestState(["current", "proposed"], by="dealer_id").add(
            part_leads, part_touches, policies, as_of=AS_OF, grade_map=grade_map)
        parts.append(leadkit.BacktestState.from_bytes(state.to_bytes()))
    total = parts[1] + parts[0]
    assert total.policies == ("current", "proposed") and total.by == ("dealer_id",)
    assert repr(total) == "BacktestState(policies=['current', 'proposed'], by=['dealer_id'])"
    result = total.finalize(as_of=AS_OF)
    # A state's table has object keys; backtest() gives them the leads' dtype.
    pd.testing.assert_frame_equal(result.summary, whole.summary, check_dtype=False)
    pd.testing.assert_frame_equal(result.grades, whole.grades)
    assert result.to_json() == whole.to_json()
    assert pickle.loads(pickle.dumps(total)) == total
    assert total.finalize().as_of is None


def test_state_refuses_what_does_not_fit():
    leads, touches = example()
    state = leadkit.BacktestState({"current": OABC, "proposed": ABCD})
    with pytest.raises(ValueError, match="as_of: a partial state needs an explicit as_of"):
        state.add(leads, touches, {"current": OABC, "proposed": ABCD}, as_of=None)
    with pytest.raises(ValueError, match=r"policies: the state holds \['current', 'proposed'\], "
                                         r"not \['proposed', 'current'\]"):
        state.add(leads, touches, {"proposed": ABCD, "current": OABC}, as_of=AS_OF)
    with pytest.raises(ValueError, match="merge: a backtest of \\['current'\\] cannot merge"):
        state.merge(leadkit.BacktestState(["current"]))
    with pytest.raises(ValueError, match="merge: a state grouped by \\['channel'\\]"):
        state.merge(leadkit.BacktestState(["current", "proposed"], by="channel"))
    with pytest.raises(ValueError, match="policies: expected the policies' names"):
        leadkit.BacktestState("current")
    data = state.add(leads, touches, {"current": OABC, "proposed": ABCD}, as_of=AS_OF,
                     grade_map={"proposed": {"O": "A"}}).to_bytes()
    assert data[:6] == b"LKBKT1"
    with pytest.raises(ValueError, match="^backtest state bytes"):
        leadkit.BacktestState.from_bytes(data[:-1])
    for at in range(0, len(data), 7):
        flipped = bytearray(data)
        flipped[at] ^= 0x04
        with pytest.raises(ValueError, match="^backtest state bytes"):
            leadkit.BacktestState.from_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="^backtest state bytes"):
        leadkit.BacktestState.from_bytes(b"LKKPI3" + data[6:])


# --- Generated data against an independent reference ------------------------------------------

MAP = {"O": "A", "A": "A", "B": "B", "C": "C"}  # oabc's grades as abcd's


@pytest.fixture(scope="module")
def generated():
    data = leadkit.synth.generate(leads=600, dealers=3, seed=7, grades=tuple(OABC.grades))
    tables = data.tables()
    as_of = pd.Timestamp("2026-01-01", tz=ZONE)
    result = leadkit.backtest(tables["leads"], tables["touches"],
                              {"current": OABC, "proposed": ABCD}, as_of=as_of,
                              grade_map={"proposed": MAP}, surveys=tables["surveys"])
    return tables, as_of, result


def reference_auc(grades: list[int], won: list[bool]) -> float:
    """Every won-lost pair counted: 1 when the won lead's grade ranks above (a lower index),
    1/2 when equal."""
    won_grades = [g for g, w in zip(grades, won) if w]
    lost_grades = [g for g, w in zip(grades, won) if not w]
    score = sum(1.0 if w < l else 0.5 if w == l else 0.0
                for w in won_grades for l in lost_grades)
    return score / (len(won_grades) * len(lost_grades))


@pytest.mark.parametrize("name, policy", [("current", OABC), ("proposed", ABCD)])
def test_generated_data_against_kpis_classify_and_pairs(generated, name, policy):
    tables, as_of, result = generated
    leads, touches = tables["leads"], tables["touches"]
    row = result.summary.set_index("policy").loc[name]

    # The KPIs: kpis() on the leads without their recorded grade and the touches' grade
    # changes mapped by hand.
    mapped = touches.copy()
    after = mapped["grade_after"].astype(object)
    if name == "proposed":
        after = after.map(lambda g: MAP[g] if isinstance(g, str) else None)
    mapped["grade_after"] = pd.Series(after.to_numpy(dtype=object), dtype=object)
    plain = leads.drop(columns=["grade"], errors="ignore")
    want = leadkit.kpis(plain, mapped, policy, surveys=tables["surveys"], as_of=as_of).iloc[0]
    for column in leadkit.KPI_COLUMNS:
        got, expected = row[column], want[column]
        if isinstance(expected, float) and math.isnan(expected):
            assert math.isnan(got), column
        else:
            assert got == expected, column

    # The grade order's AUC: classify() for the grade at creation, lead_kpis() for won and
    # lost, every pair counted.
    per_lead = leadkit.lead_kpis(plain, mapped, policy, surveys=tables["surveys"],
                                 as_of=as_of)
    grades = leadkit.classify(plain, policy)["grade"].astype(object)
    index = {g: i for i, g in enumerate(policy.grades)}
    closed = per_lead["counted"] & ~per_lead["invalid"] & (per_lead["won"] | per_lead["lost"])
    codes = [index[g] for g in grades[closed.to_numpy()]]
    won = per_lead.loc[closed, "won"].tolist()
    assert 0 < sum(won) < len(won)
    assert row["grade_auc"] == pytest.approx(reference_auc(codes, won), abs=1e-12)
    # Top-grade lift: the first grade's conversion over all closed leads'.
    top = [w for c, w in zip(codes, won) if c == 0]
    if top:
        assert row["top_grade_lift"] == pytest.approx(
            (sum(top) / len(top)) / (sum(won) / len(won)), abs=1e-12)

    # Conversion by grade: the same leads counted per grade.
    conv = result.conversion[result.conversion["policy"] == name].set_index("grade")
    counted = (per_lead["counted"] & ~per_lead["invalid"]).to_numpy()
    for g in policy.grades:
        of_grade = counted & (grades == g).to_numpy()
        assert conv.loc[g, "leads"] == of_grade.sum()
        assert conv.loc[g, "won"] == (per_lead["won"].to_numpy() & of_grade).sum()
        assert conv.loc[g, "lost"] == (per_lead["lost"].to_numpy() & of_grade).sum()

    # The task load's total: every due first contact and follow-up of a lead with a
    # consultant.
    load = result.task_load.set_index("policy").loc[name]
    has = leads["consultant_id"].notna().to_numpy() & counted
    assert load["tasks"] == (per_lead["first_contact_due"].to_numpy()[has].sum()
                             + per_lead["follow_ups_due"].to_numpy()[has].sum())
    assert row["tasks_per_consultant_day_mean"] == load["tasks"] / load["consultant_days"]
    assert row["tasks_per_consultant_day_max"] >= row["tasks_per_consultant_day_p90"]


def test_generated_crosstab_against_classify(generated):
    tables, _, result = generated
    plain = tables["leads"].drop(columns=["grade"], errors="ignore")
    counted = (plain["status"].astype(object) != "invalid").to_numpy()
    a = leadkit.classify(plain, OABC)["grade"].astype(object)[counted]
    b = leadkit.classify(plain, ABCD)["grade"].astype(object)[counted]
    want = pd.crosstab(a.to_numpy(), b.to_numpy())
    for g in OABC.grades:
        for h in ABCD.grades:
            expected = int(want.loc[g, h]) if g in want.index and h in want.columns else 0
            assert result.grades.loc[g, h] == expected, (g, h)


# --- Command line -------------------------------------------------------------------------------


def test_command_line_writes_html_and_json(tmp_path, capsys):
    from leadkit import cli

    leads, touches = example()
    leads.to_csv(tmp_path / "leads.csv", index=False)
    touches.to_csv(tmp_path / "touches.csv", index=False)
    (tmp_path / "map.json").write_text('{"O": "A"}', encoding="utf-8")
    (tmp_path / "proposed.json").write_text(ABCD.to_json(), encoding="utf-8")
    out, js = tmp_path / "backtest.html", tmp_path / "backtest.json"
    status = cli.main(["policy", "backtest", "--leads", str(tmp_path / "leads.csv"),
                       "--touches", str(tmp_path / "touches.csv"), "oabc",
                       str(tmp_path / "proposed.json"), "--grade-map",
                       f"proposed={tmp_path / 'map.json'}", "--as-of",
                       "2024-06-30T12:00:00+08:00", "--out", str(out), "--json", str(js)])
    assert status == 0, capsys.readouterr().err
    data = json.loads(js.read_text(encoding="utf-8"))
    assert [row["policy"] for row in data["summary"]] == ["oabc", "proposed"]
    assert [row["grade_auc"] for row in data["summary"]] == [0.625, 0.75]
    assert "<h1>Policy backtest" in out.read_text(encoding="utf-8")


def test_command_line_groups_by_dealer(tmp_path, capsys):
    from leadkit import cli

    leads, touches = example()
    leads["dealer_id"] = DEALERS
    leads.to_csv(tmp_path / "leads.csv", index=False)
    touches.to_csv(tmp_path / "touches.csv", index=False)
    js = tmp_path / "backtest.json"
    status = cli.main(["policy", "backtest", "--leads", str(tmp_path / "leads.csv"),
                       "--touches", str(tmp_path / "touches.csv"), "oabc", "abcd",
                       "--by", "dealer_id", "--as-of", "2024-06-30T12:00:00+08:00",
                       "--out", str(tmp_path / "b.html"), "--json", str(js)])
    assert status == 0, capsys.readouterr().err
    rows = json.loads(js.read_text(encoding="utf-8"))["summary"]
    # As by_dealer_hand_worked_example: D1 holds L1, L2 and L5, D2 holds L3 and L4.
    assert [(r["dealer_id"], r["policy"], r["leads"]) for r in rows] == [
        ("D1", "oabc", 3), ("D1", "abcd", 3), ("D2", "oabc", 2), ("D2", "abcd", 2)]


def test_command_line_refuses_a_bad_grade_map(tmp_path, capsys):
    from leadkit import cli

    leads, touches = example()
    leads.to_csv(tmp_path / "leads.csv", index=False)
    touches.to_csv(tmp_path / "touches.csv", index=False)
    status = cli.main(["policy", "backtest", "--leads", str(tmp_path / "leads.csv"),
                       "--touches", str(tmp_path / "touches.csv"), "oabc", "abcd",
                       "--grade-map", "abdc=x.json", "--out", str(tmp_path / "b.html")])
    assert status == 2
    assert ('--grade-map: "abdc" is not one of the policies (oabc, abcd)'
            in capsys.readouterr().err)
