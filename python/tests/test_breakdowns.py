"""leadkit.lost_analysis, leadkit.profile and leadkit.scorecard: hand-worked tables, scopes,
bad input, a plain reference implementation, and the merge property of the states."""

from __future__ import annotations

import functools
import json
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
from leadkit import Policy, Scope
from leadkit.synth import generate
from times import SH, ts

DEALERS = pd.DataFrame({"dealer_id": ["D1", "D2", "D3"], "region_id": ["R1", "R2", "R1"]})


# --- lost_analysis -------------------------------------------------------------------------

def lost_leads() -> pd.DataFrame:
    return pd.DataFrame({
        "lead_id": ["A", "B", "C", "D", "E", "F", "G"],
        "created_at": [ts("2024-05-01 10:00")] * 7,
        "channel": ["website", "showroom", "website", "phone", "website", "website", "website"],
        "dealer_id": ["D1", "D1", "D2", "D2", "D1", "D1", None],
        "status": ["lost", "lost", "lost", "lost", "lost", "won", "open"],
        # A: 07:00 on 1 June in Shanghai is still 31 May in UTC.
        "lost_at": [ts("2024-06-01 07:00"), ts("2024-06-01 10:00"), ts("2024-06-10 10:00"),
                    ts("2024-06-15 10:00"), pd.NaT, pd.NaT, pd.NaT],
        "lost_reason": ["price", "price", None, "price", "price", None, "price"],
        "lost_review": ["approved", "rejected", "pending", None, "approved", None, None],
    })


def test_lost_by_month_by_hand():
    out = leadkit.lost_analysis(lost_leads(), policy=Policy.preset("oabc"))
    assert list(out.columns) == ["month", "lost_reason", "lost", "share", "approved",
                                 "rejected", "pending", "review_null", "rejection_rate"]
    # June (Shanghai): A, B, D for price; C without a reason. E has no lost_at: a null month.
    # F is won and G open: not lost.
    assert out["month"].tolist() == ["2024-06", "2024-06", None]
    assert out["lost_reason"].tolist() == ["price", None, "price"]
    assert out["lost"].tolist() == [3, 1, 1]
    np.testing.assert_allclose(out["share"], [3 / 4, 1 / 4, 1])
    assert out[["approved", "rejected", "pending", "review_null"]].values.tolist() == [
        [1, 1, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0]]
    # price in June: 1 rejected of 2 reviewed (A approved, B rejected; D not reviewed).
    np.testing.assert_allclose(out["rejection_rate"], [1 / 2, 0, 0])


def test_lost_is_a_point_in_time():
    # As of 06-12: D (lost 06-15) is not lost yet; E has no lost_at, so it is lost by any
    # as_of (as in kpis). Lost: A, B, C, E — by reason: price A, B, E; none C.
    out = leadkit.lost_analysis(lost_leads(), by=None, as_of=ts("2024-06-12 00:00"))
    assert out[["lost_reason", "lost"]].values.tolist() == [["price", 3], [None, 1]]
    # Before any lead was created nothing is lost, not even E.
    early = leadkit.lost_analysis(lost_leads(), by=None, as_of=ts("2024-04-01 00:00"))
    assert len(early) == 0


def test_lost_period_zone_policy_then_tz():
    leads = lost_leads()
    in_utc = leadkit.lost_analysis(leads, tz="UTC")
    assert in_utc["month"].tolist() == ["2024-05", "2024-06", "2024-06", None]
    assert in_utc["lost"].tolist() == [1, 2, 1, 1]       # A | B, D | C | E
    # The policy's zone wins over tz (tz names only the zone of naive values).
    assert leadkit.lost_analysis(leads, tz="UTC", policy=Policy.preset("oabc"))[
        "month"].tolist() == ["2024-06", "2024-06", None]
    # Without either, the values' own zone (Shanghai).
    assert leadkit.lost_analysis(leads)["month"].tolist() == ["2024-06", "2024-06", None]
    naive = leads.assign(lost_at=leads["lost_at"].dt.tz_localize(None))
    with pytest.raises(ValueError, match=r"leads\.lost_at: timestamps without a time zone"):
        leadkit.lost_analysis(naive)
    assert leadkit.lost_analysis(naive, tz=SH)["lost"].tolist() == [3, 1, 1]


def test_lost_by_week_none_and_lists():
    leads = lost_leads()
    week = leadkit.lost_analysis(leads, by="week")
    # 1 June 2024 is a Saturday of ISO week 22; 10 and 15 June are in week 24.
    assert week[["week", "lost_reason", "lost"]].values.tolist() == [
        ["2024-W22", "price", 2], ["2024-W24", "price", 1], ["2024-W24", None, 1],
        [None, "price", 1]]
    total = leadkit.lost_analysis(leads, by=None)
    assert total["lost_reason"].tolist() == ["price", None]
    assert total["lost"].tolist() == [4, 1]
    np.testing.assert_allclose(total["share"], [4 / 5, 1 / 5])
    np.testing.assert_allclose(total["rejection_rate"], [1 / 3, 0])   # A, E approved; B rejected
    both = leadkit.lost_analysis(leads, by=["dealer_id", "channel"])
    assert both[["dealer_id", "channel", "lost_reason", "lost"]].values.tolist() == [
        ["D1", "showroom", "price", 1], ["D1", "website", "price", 2],
        ["D2", "phone", "price", 1], ["D2", "website", None, 1]]
    np.testing.assert_allclose(both["share"], [1, 1, 1, 1])


def test_lost_nothing_lost_gives_no_rows():
    leads = lost_leads().assign(status="open")
    out = leadkit.lost_analysis(leads)
    assert len(out) == 0
    assert "rejection_rate" in out.columns


def test_lost_scopes():
    leads = lost_leads()
    d2 = leadkit.lost_analysis(leads, by=None, scope=Scope.dealer("D2"))
    assert d2[["lost_reason", "lost"]].values.tolist() == [["price", 1], [None, 1]]
    r1 = leadkit.lost_analysis(leads, by="dealer_id", scope=Scope.region("R1"), dealers=DEALERS)
    assert r1["dealer_id"].unique().tolist() == ["D1"]
    assert r1["lost"].sum() == 3
    assert len(leadkit.lost_analysis(leads, scope=Scope.dealer("D3"), dealers=DEALERS)) == 0
    with pytest.raises(KeyError, match="unknown dealer 'D9'"):
        leadkit.lost_analysis(leads, scope=Scope.dealer("D9"))


def test_lost_bad_input():
    leads = lost_leads()
    with pytest.raises(ValueError, match=r"leads\.lost_review: lead_id='C' \(row 2\) has "
                                         r"'waiting'; expected one of pending, approved, "
                                         "rejected"):
        leadkit.lost_analysis(leads.assign(lost_review=[None, None, "waiting", None, None, None,
                                                        None]))
    with pytest.raises(ValueError, match=r"leads\.status: lead_id='A' \(row 0\) has 'Lost'"):
        leadkit.lost_analysis(leads.assign(status=["Lost"] + [None] * 6))
    with pytest.raises(ValueError, match="by: cannot group by 'months'; did you mean "
                                         '"month"'):
        leadkit.lost_analysis(leads, by="months")
    with pytest.raises(TypeError, match="policy: expected a leadkit.Policy"):
        leadkit.lost_analysis(leads, policy="oabc")
    with pytest.raises(ValueError, match=r"leads\.lost_at: lead_id='A' \(row 0\) has '2024-06-01'"):
        leadkit.lost_analysis(leads.assign(lost_at=["2024-06-01"] * 7))
    with pytest.raises(ValueError, match=r"leads\.lost_reason: lead_id='A' \(row 0\) has 3"):
        leadkit.lost_analysis(leads.assign(lost_reason=[3] * 7))
    with pytest.raises(ValueError, match=r'leads: missing required column "lead_id"; did you '
                                         r'mean "lead_ids"'):
        leadkit.lost_analysis(leads.rename(columns={"lead_id": "lead_ids"}))
    with pytest.raises(ValueError, match=r"leads\.lead_id: 'A' is given twice"):
        leadkit.lost_analysis(leads.assign(lead_id=["A", "A", "C", "D", "E", "F", "G"]))


# --- profile -------------------------------------------------------------------------------

def profile_leads() -> pd.DataFrame:
    return pd.DataFrame({
        "lead_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
        "created_at": [ts("2024-05-01 10:00")] * 7,
        "dealer_id": ["D1", "D1", "D2", "D2", "D1", "D1", None],
        "age": [24, 25, 34, 40, None, 60, 58],
        "gender": ["female", "male", "male", "female", "male", "female", "male"],
        "status": ["won", None, "won", "lost", "open", "invalid", "won"],
        "phone": ["13800000001"] * 7,
    })


def test_profile_by_age_band_by_hand():
    out = leadkit.profile(profile_leads(), by="age_band")
    assert list(out.columns) == ["age_band", "leads", "share", "won", "conversion_rate",
                                 "invalid"]
    # <25: P1 (24).  25-34: P2 (25), P3 (34).  35-44: P4.  45-54: nobody.  55+: P7, and P6
    # which is invalid.  P5 has no age.  Six valid leads in all.
    assert out["age_band"].tolist() == ["<25", "25-34", "35-44", "55+", None]
    assert out["leads"].tolist() == [1, 2, 1, 1, 1]
    assert out["won"].tolist() == [1, 1, 0, 1, 0]
    assert out["invalid"].tolist() == [0, 0, 0, 1, 0]
    np.testing.assert_allclose(out["share"], [1 / 6, 2 / 6, 1 / 6, 1 / 6, 1 / 6])
    np.testing.assert_allclose(out["conversion_rate"], [1, 1 / 2, 0, 1, 0])


def test_profile_is_a_point_in_time():
    leads = profile_leads().assign(
        created_at=[ts("2024-05-01 10:00")] * 6 + [ts("2024-06-01 10:00")],
        won_at=[ts("2024-05-03 10:00"), pd.NaT, ts("2024-05-20 10:00"), pd.NaT, pd.NaT,
                pd.NaT, ts("2024-06-02 10:00")])
    # As of 05-10: P7 does not exist yet; P3's win (05-20) is still ahead; P1's counts.
    # Valid leads: P1-P5 (P6 invalid).
    out = leadkit.profile(leads, by="gender", as_of=ts("2024-05-10 00:00"))
    assert out[["gender", "leads", "won", "invalid"]].values.tolist() == [
        ["female", 2, 1, 1], ["male", 3, 0, 0]]
    # By default as_of is the latest timestamp (06-02 10:00): every win has happened.
    later = leadkit.profile(leads, by="gender")
    assert later[["gender", "leads", "won"]].values.tolist() == [["female", 2, 1],
                                                                 ["male", 4, 2]]
    with pytest.raises(ValueError, match="timestamps without a time zone"):
        leadkit.profile(leads.assign(created_at=leads["created_at"].dt.tz_localize(None)),
                        by="gender")


def test_profile_custom_bands_and_two_keys():
    out = leadkit.profile(profile_leads(), by=["gender", "age_band"], age_bands=[30, 50])
    # female: P1 (<30), P4 (30-49), P6 invalid (50+).  male: P2 (<30), P3 (30-49), P7 (50+),
    # P5 (no age).
    assert out[["gender", "age_band"]].values.tolist() == [
        ["female", "<30"], ["female", "30-49"], ["female", "50+"],
        ["male", "<30"], ["male", "30-49"], ["male", "50+"], ["male", None]]
    assert out["leads"].tolist() == [1, 1, 0, 1, 1, 1, 1]
    assert out["invalid"].tolist() == [0, 0, 1, 0, 0, 0, 0]
    assert out["won"].tolist() == [1, 0, 0, 0, 1, 1, 0]
    assert math.isnan(out["conversion_rate"].iloc[2])   # only an invalid lead: 0 / 0
    gender = leadkit.profile(profile_leads(), by="gender")
    np.testing.assert_allclose(gender["share"], [2 / 6, 4 / 6])
    np.testing.assert_allclose(gender["conversion_rate"], [1 / 2, 2 / 4])


def test_profile_any_non_personal_string_column():
    out = leadkit.profile(profile_leads().assign(occupation=["a", "b", None, "a", "b", "a", "a"]),
                          by="occupation")
    assert out["occupation"].tolist() == ["a", "b", None]
    assert out["leads"].tolist() == [3, 2, 1]
    assert leadkit.profile(profile_leads(), by="model")["model"].tolist() == [None]


def test_profile_scopes():
    leads = profile_leads()
    d2 = leadkit.profile(leads, by="gender", scope=Scope.dealer("D2"))
    assert d2[["gender", "leads", "won"]].values.tolist() == [["female", 1, 0], ["male", 1, 1]]
    np.testing.assert_allclose(d2["share"], [1 / 2, 1 / 2])
    r1 = leadkit.profile(leads, by="gender", scope=Scope.region("R1"), dealers=DEALERS)
    assert r1["leads"].sum() == 3          # P1, P2, P5 (P6 invalid; P7 has no dealer)
    empty = leadkit.profile(leads, by="gender", scope=Scope.dealer("D3"), dealers=DEALERS)
    assert len(empty) == 0
    with pytest.raises(ValueError, match="Scope.region needs the dealers table"):
        leadkit.profile(leads, by="gender", scope=Scope.region("R1"))


def test_profile_bad_input():
    leads = profile_leads()
    with pytest.raises(ValueError, match="by: 'phone' is personal data"):
        leadkit.profile(leads, by="phone")
    with pytest.raises(ValueError, match="by: cannot group by 'age_bands'; did you mean "
                                         '"age_band"'):
        leadkit.profile(leads, by="age_bands")
    with pytest.raises(ValueError, match=r"leads\.age: lead_id='P2' \(row 1\) has -3"):
        leadkit.profile(leads.assign(age=[24, -3, 34, 40, None, 60, 58]), by="age_band")
    with pytest.raises(ValueError, match=r"leads\.age: lead_id='P1' \(row 0\) has 'old'"):
        leadkit.profile(leads.assign(age=["old"] * 7), by="age_band")
    with pytest.raises(ValueError, match="age_bands: edges must increase strictly"):
        leadkit.profile(leads, by="age_band", age_bands=[30, 30])
    with pytest.raises(TypeError, match="age_bands: expected whole years"):
        leadkit.profile(leads, by="age_band", age_bands=[30.5])
    with pytest.raises(ValueError, match="age_bands: expected at least one edge"):
        leadkit.profile(leads, by="age_band", age_bands=[])
    with pytest.raises(ValueError, match=r"leads\.gender: lead_id='P1' \(row 0\) has 1"):
        leadkit.profile(leads.assign(gender=[1] * 7), by="gender")


# --- scorecard -----------------------------------------------------------------------------

def rates() -> pd.DataFrame:
    return pd.DataFrame({
        "consultant_id": ["C1", "C2", "C3", "C4"],
        "conversion_rate": [0.5, 0.25, 0.5, 0.5],
        "timeliness_rate": [0.8, 1.0, 0.8, 0.8],
        "satisfaction_rate": [np.nan, 1.0, 0.5, 0.5],
    })


WEIGHTS = {"conversion_rate": 0.5, "timeliness_rate": 0.3, "satisfaction_rate": 0.2}


def test_scorecard_by_hand():
    out = leadkit.scorecard(rates(), WEIGHTS)
    assert list(out.columns) == ["consultant_id", "conversion_rate_points",
                                 "timeliness_rate_points", "satisfaction_rate_points", "score",
                                 "missing", "rank"]
    # C1: 0.25 + 0.24 + (NaN: 0) = 0.49; C2: 0.125 + 0.3 + 0.2 = 0.625;
    # C3 and C4: 0.25 + 0.24 + 0.1 = 0.59 — a tie, both ranked 2, in the input's order.
    assert out["consultant_id"].tolist() == ["C2", "C3", "C4", "C1"]
    np.testing.assert_allclose(out["score"], [0.625, 0.59, 0.59, 0.49])
    assert out["rank"].tolist() == [1, 2, 2, 4]
    np.testing.assert_allclose(out["conversion_rate_points"], [0.125, 0.25, 0.25, 0.25])
    assert math.isnan(out["satisfaction_rate_points"].iloc[3])
    assert out["missing"].tolist() == ["", "", "", "satisfaction_rate"]


def test_scorecard_weight_order_and_zero_weights():
    out = leadkit.scorecard(rates(), {"satisfaction_rate": 0, "conversion_rate": 1})
    # Points columns follow the order of leadkit.KPI_COLUMNS.
    assert list(out.columns)[1:3] == ["conversion_rate_points", "satisfaction_rate_points"]
    assert out["score"].tolist() == [0.5, 0.5, 0.5, 0.25]
    assert out["rank"].tolist() == [1, 1, 1, 4]


def test_scorecard_from_policy():
    card = json.loads(Policy.preset("abcd").to_json())
    card["scorecard"] = {"weights": {"timeliness_rate": 0.6, "conversion_rate": 0.4}}
    policy = Policy.from_json(json.dumps(card))
    out = leadkit.scorecard(rates(), policy)
    # C2: 0.4 × 0.25 + 0.6 × 1.0 = 0.7; the others 0.4 × 0.5 + 0.6 × 0.8 = 0.68.
    assert out["consultant_id"].tolist() == ["C2", "C1", "C3", "C4"]
    np.testing.assert_allclose(out["score"], [0.7, 0.68, 0.68, 0.68])
    with pytest.raises(ValueError, match="policy 'abcd' has no scorecard section"):
        leadkit.scorecard(rates(), Policy.preset("abcd"))


def test_scorecard_on_kpis_with_scope():
    data = sample()
    policy = Policy.preset("abcd")
    consultants = data.consultants
    kpis = leadkit.kpis(data.leads, data.touches, policy, by="consultant_id",
                        scope=Scope.dealer("D002"), dealers=data.dealers)
    out = leadkit.scorecard(kpis, {"conversion_rate": 1.0})
    mine = set(consultants.loc[consultants["dealer_id"] == "D002", "consultant_id"])
    assert set(out["consultant_id"]) <= mine and len(out) == len(kpis)
    # The score of each consultant is their conversion rate, NaN counted as 0.
    by_id = dict(zip(kpis["consultant_id"], kpis["conversion_rate"].fillna(0)))
    assert out["score"].tolist() == [by_id[c] for c in out["consultant_id"]]
    assert out["score"].is_monotonic_decreasing


def test_scorecard_bad_input():
    with pytest.raises(ValueError, match="weights: 'conversion_rte' is not a rate of "
                                         'leadkit.kpis; did you mean "conversion_rate"'):
        leadkit.scorecard(rates(), {"conversion_rte": 1})
    with pytest.raises(ValueError, match="weights: 'leads' is not a rate"):
        leadkit.scorecard(rates(), {"leads": 1})
    with pytest.raises(ValueError, match="conversion_rate has weight -0.5; weights must be 0 "
                                         "or more"):
        leadkit.scorecard(rates(), {"conversion_rate": -0.5})
    with pytest.raises(ValueError, match="conversion_rate has weight True"):
        leadkit.scorecard(rates(), {"conversion_rate": True})
    with pytest.raises(ValueError, match="conversion_rate has weight nan"):
        leadkit.scorecard(rates(), {"conversion_rate": float("nan")})
    with pytest.raises(ValueError, match="weights: pass a mapping"):
        leadkit.scorecard(rates())
    with pytest.raises(ValueError, match="weights: no rate is weighted"):
        leadkit.scorecard(rates(), {})
    with pytest.raises(TypeError, match="weights: expected a mapping or a leadkit.Policy"):
        leadkit.scorecard(rates(), [("conversion_rate", 1)])
    with pytest.raises(ValueError, match='kpis_frame: missing required column '
                                         '"entry_timeliness_rate"'):
        leadkit.scorecard(rates(), {"entry_timeliness_rate": 1})
    with pytest.raises(ValueError, match=r"kpis_frame\.timeliness_rate: row 1 "
                                         r"\(consultant_id='C2'\) has 80\.0; expected a rate"):
        leadkit.scorecard(rates().assign(timeliness_rate=[0.8, 80, 0.8, 0.8]), WEIGHTS)
    with pytest.raises(ValueError, match=r"kpis_frame\.conversion_rate: a column of dtype"):
        leadkit.scorecard(rates().assign(conversion_rate=["high"] * 4), WEIGHTS)
    with pytest.raises(TypeError, match="kpis_frame: expected the DataFrame"):
        leadkit.scorecard(rates().to_dict("records"), WEIGHTS)


# --- personal data never comes out -------------------------------------------------------

def test_reports_carry_no_personal_data():
    data = sample()
    personal = set()
    for column in ("name", "phone"):
        personal |= set(data.leads[column].dropna())
    policy = Policy.preset("abcd")
    outputs = [
        leadkit.showroom(data.visits, leads=data.leads, by=["dealer_id", "consultant_id"]),
        leadkit.activity(data.touches, leads=data.leads, by=["dealer_id", "consultant_id"]),
        leadkit.lost_analysis(data.leads, by=["dealer_id", "consultant_id", "channel", "model"]),
        leadkit.profile(data.leads, by=["gender", "occupation", "purpose", "city"]),
        leadkit.scorecard(leadkit.kpis(data.leads, data.touches, policy, by="consultant_id"),
                          {"conversion_rate": 1}),
    ]
    for out in outputs:
        cells = set(out.astype(str).to_numpy().ravel())
        assert not cells & personal
        assert not {"name", "phone", "wechat", "email"} & set(out.columns)


# --- against a plain implementation on sample data -----------------------------------------

@functools.lru_cache(maxsize=None)
def sample():
    return generate(leads=400, dealers=4, seed=11, days=120)


def test_lost_matches_plain_count():
    leads = sample().leads
    counts = Counter()
    for row in leads.itertuples():
        if row.status != "lost":
            continue
        month = row.lost_at.tz_convert(SH).strftime("%Y-%m")
        reason = row.lost_reason if isinstance(row.lost_reason, str) else None
        review = row.lost_review if isinstance(row.lost_review, str) else "review_null"
        counts[(month, reason, "lost")] += 1
        counts[(month, reason, review)] += 1
    out = leadkit.lost_analysis(leads, policy=Policy.preset("abcd"))
    assert out["lost"].sum() == (leads["status"] == "lost").sum()
    for row in out.itertuples():
        key = (row.month, row.lost_reason)
        assert row.lost == counts[key + ("lost",)]
        for review in ("approved", "rejected", "pending", "review_null"):
            assert getattr(row, review) == counts[key + (review,)]
        month_total = sum(v for k, v in counts.items() if k[0] == row.month and k[2] == "lost")
        assert row.share == pytest.approx(row.lost / month_total)


def test_profile_matches_plain_count():
    leads = sample().leads
    bands = [(0, 25, "<25"), (25, 35, "25-34"), (35, 45, "35-44"), (45, 55, "45-54"),
             (55, 999, "55+")]
    counts = Counter()
    for row in leads.itertuples():
        band = next(label for lo, hi, label in bands if lo <= row.age < hi)
        if row.status == "invalid":
            counts[(band, "invalid")] += 1
            continue
        counts[(band, "leads")] += 1
        counts[(band, "won")] += row.status == "won"
    out = leadkit.profile(leads, by="age_band")
    total = sum(v for k, v in counts.items() if k[1] == "leads")
    assert out["age_band"].tolist() == [label for _, _, label in bands
                                        if counts[(label, "leads")] + counts[(label, "invalid")]]
    for row in out.itertuples():
        assert (row.leads, row.won, row.invalid) == (
            counts[(row.age_band, "leads")], counts[(row.age_band, "won")],
            counts[(row.age_band, "invalid")])
        assert row.share == pytest.approx(row.leads / total)


# --- mergeable states ----------------------------------------------------------------------

def batches(leads: pd.DataFrame, parts: int, seed: int):
    part = np.random.default_rng(seed).integers(0, parts, len(leads))
    return [leads[part == p] for p in range(parts)]


SPLITS = dict(parts=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))


@settings(max_examples=25, deadline=None)
@given(by=st.sampled_from(["month", "week", None, ["dealer_id", "channel"], "model"]), **SPLITS)
def test_lost_states_merge_to_the_whole(by, parts, seed):
    data = sample()
    kwargs = dict(by=by, policy=Policy.preset("abcd"), scope=Scope.region("R1"),
                  dealers=data.dealers)
    whole = leadkit.lost_analysis(data.leads, **kwargs)
    with pytest.deprecated_call():
        states = [leadkit.lost_analysis_state(b, **kwargs)
                  for b in batches(data.leads, parts, seed)]
    with pytest.deprecated_call():
        merged = leadkit.lost_analysis_finalize(leadkit.lost_analysis_merge(states[::-1]))
    pd.testing.assert_frame_equal(merged, whole)


@settings(max_examples=25, deadline=None)
@given(by=st.sampled_from(["age_band", ["gender", "age_band"], "occupation", "purpose"]),
       bands=st.sampled_from([None, [30, 50], [20, 40, 60]]), **SPLITS)
def test_profile_states_merge_to_the_whole(by, bands, parts, seed):
    data = sample()
    whole = leadkit.profile(data.leads, by=by, age_bands=bands)
    with pytest.deprecated_call():
        states = [leadkit.profile_state(b, by=by, age_bands=bands)
                  for b in batches(data.leads, parts, seed)]
    with pytest.deprecated_call():
        merged = leadkit.profile_merge(states[::-1], age_bands=bands)
    with pytest.deprecated_call():
        pd.testing.assert_frame_equal(leadkit.profile_finalize(merged, age_bands=bands), whole)


def test_merge_rejects_other_states():
    with pytest.deprecated_call():
        lost = leadkit.lost_analysis_state(lost_leads())
    with pytest.deprecated_call():
        profile = leadkit.profile_state(profile_leads(), by="gender")
    with pytest.raises(ValueError, match=r"states\[0\]: not a profile state"), \
            pytest.deprecated_call():
        leadkit.profile_merge([lost, profile])
    with pytest.raises(TypeError, match="expected a list of states"), pytest.deprecated_call():
        leadkit.lost_analysis_merge(lost)
