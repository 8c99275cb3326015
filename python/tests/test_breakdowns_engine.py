"""The C++ engine of lost_analysis, profile and scorecard against the pandas reference they
replaced (reference_breakdowns.py): the hand-worked examples of docs/kpis.md, generated data
under every policy preset, threads, and any split of the leads merged in any order; the state
classes' bytes and pickles."""

from __future__ import annotations

import functools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
import reference_breakdowns as reference
from leadkit import LostAnalysisState, Policy, ProfileState, Scope
from leadkit.synth import generate
from times import ts

PRESETS = ["three_level", "abcd", "oabc", "funnel"]


def lost_leads() -> pd.DataFrame:
    """The example of docs/kpis.md."""
    return pd.DataFrame({
        "lead_id": ["A", "B", "C", "D", "E", "F"],
        "created_at": [ts("2024-05-01 10:00")] * 6,
        "status": ["lost", "lost", "lost", "lost", "lost", "won"],
        "lost_at": [ts("2024-06-01 07:00"), ts("2024-06-01 10:00"), ts("2024-06-10 10:00"),
                    ts("2024-06-15 10:00"), pd.NaT, pd.NaT],
        "lost_reason": ["price", "price", None, "price", "price", None],
        "lost_review": ["approved", "rejected", "pending", None, "approved", None]})


def profile_leads() -> pd.DataFrame:
    """The example of docs/kpis.md."""
    return pd.DataFrame({
        "lead_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
        "created_at": [ts("2024-05-01 10:00")] * 7,
        "age": [24, 25, 34, 40, None, 60, 58],
        "gender": ["female", "male", "male", "female", "male", "female", "male"],
        "status": ["won", None, "won", "lost", "open", "invalid", "won"]})


@functools.lru_cache(maxsize=None)
def sample(grades: tuple[str, ...] = ("A", "B", "C", "D")):
    return generate(leads=600, dealers=5, seed=5, days=150, grades=grades)


# --- the hand-worked examples ----------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(policy=Policy.preset("oabc")), dict(tz="UTC"), dict(), dict(by="week"),
    dict(by=None), dict(by=["month"], tz="Asia/Shanghai"),
    dict(by=None, as_of=ts("2024-06-12 00:00")), dict(by=None, as_of=ts("2024-04-01 00:00"))])
def test_lost_examples_equal_the_reference(kwargs):
    pd.testing.assert_frame_equal(leadkit.lost_analysis(lost_leads(), **kwargs),
                                  reference.lost_analysis(lost_leads(), **kwargs))


def test_lost_example_by_hand():
    out = leadkit.lost_analysis(lost_leads(), policy=Policy.preset("oabc"))
    # June (Shanghai): A, B, D for price (A approved, B rejected, D none), C without a reason
    # (pending); E has no lost_at: a null month.
    assert out[["month", "lost_reason", "lost", "approved", "rejected", "pending",
                "review_null"]].values.tolist() == [
        ["2024-06", "price", 3, 1, 1, 0, 1], ["2024-06", None, 1, 0, 0, 1, 0],
        [None, "price", 1, 1, 0, 0, 0]]
    assert out["share"].tolist() == [0.75, 0.25, 1.0]
    assert out["rejection_rate"].tolist() == [0.5, 0.0, 0.0]


@pytest.mark.parametrize("kwargs", [
    dict(by="age_band"), dict(by="gender"), dict(by=["gender", "age_band"], age_bands=[30, 50]),
    dict(by=[]), dict(by="age_band", as_of=ts("2024-04-01 00:00"))])
def test_profile_examples_equal_the_reference(kwargs):
    pd.testing.assert_frame_equal(leadkit.profile(profile_leads(), **kwargs),
                                  reference.profile(profile_leads(), **kwargs))


def test_profile_example_by_hand():
    out = leadkit.profile(profile_leads(), by="age_band")
    # Six valid leads: <25 P1 (won); 25-34 P2, P3 (won); 35-44 P4; 55+ P7 (won) beside the
    # invalid P6; P5 has no age.
    assert out[["age_band", "leads", "won", "invalid"]].values.tolist() == [
        ["<25", 1, 1, 0], ["25-34", 2, 1, 0], ["35-44", 1, 0, 0], ["55+", 1, 1, 1],
        [None, 1, 0, 0]]
    assert out["share"].tolist() == [1 / 6, 2 / 6, 1 / 6, 1 / 6, 1 / 6]


def card_kpis() -> pd.DataFrame:
    return pd.DataFrame({"consultant_id": ["C1", "C2", "C3", "C4"],
                         "conversion_rate": [0.5, 0.25, 0.5, 0.5],
                         "timeliness_rate": [0.8, 1.0, 0.8, 0.8],
                         "satisfaction_rate": [float("nan"), 1.0, 0.5, 0.5]})


@pytest.mark.parametrize("weights", [
    {"conversion_rate": 0.5, "timeliness_rate": 0.3, "satisfaction_rate": 0.2},
    {"satisfaction_rate": 0, "conversion_rate": 1}, {"timeliness_rate": 2.5}])
def test_scorecard_examples_equal_the_reference(weights):
    pd.testing.assert_frame_equal(leadkit.scorecard(card_kpis(), weights),
                                  reference.scorecard(card_kpis(), weights))
    empty = card_kpis().iloc[:0]
    pd.testing.assert_frame_equal(leadkit.scorecard(empty, weights),
                                  reference.scorecard(empty, weights))


def test_scorecard_example_by_hand():
    out = leadkit.scorecard(card_kpis(), {"conversion_rate": 0.5, "timeliness_rate": 0.3,
                                          "satisfaction_rate": 0.2})
    # C2 0.125 + 0.3 + 0.2; C3 and C4 0.25 + 0.24 + 0.1 (a tie); C1 0.25 + 0.24 + NaN (0).
    assert out["consultant_id"].tolist() == ["C2", "C3", "C4", "C1"]
    assert out["rank"].tolist() == [1, 2, 2, 4]
    np.testing.assert_allclose(out["score"], [0.625, 0.59, 0.59, 0.49])
    assert out["missing"].tolist() == ["", "", "", "satisfaction_rate"]


# --- generated data under every preset -------------------------------------------------------

@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("by", ["month", "week", None, ["dealer_id", "channel"],
                                ["consultant_id", "model"]])
def test_lost_equals_the_reference_on_generated_data(preset, by):
    data = sample()
    policy = Policy.preset(preset)
    as_of = ts("2025-04-01 00:00")
    for kwargs in (dict(by=by, policy=policy), dict(by=by, tz="UTC", as_of=as_of),
                   dict(by=by, policy=policy, scope=Scope.region("R1"), dealers=data.dealers),
                   dict(by=by, scope=Scope.dealer("D002"), as_of=as_of)):
        engine = leadkit.lost_analysis(data.leads, **kwargs)
        pd.testing.assert_frame_equal(engine, reference.lost_analysis(data.leads, **kwargs))
        pd.testing.assert_frame_equal(leadkit.lost_analysis(data.leads, threads=2, **kwargs),
                                      engine)


@pytest.mark.parametrize("by", ["age_band", ["gender", "age_band"], "occupation", "purpose",
                                ["model", "channel"], "city", "dealer_id"])
@pytest.mark.parametrize("bands", [None, [30, 50], [20, 40, 60]])
def test_profile_equals_the_reference_on_generated_data(by, bands):
    data = sample()
    as_of = ts("2025-03-01 00:00")
    for kwargs in (dict(by=by, age_bands=bands), dict(by=by, age_bands=bands, as_of=as_of),
                   dict(by=by, age_bands=bands, scope=Scope.region("R1"),
                        dealers=data.dealers)):
        engine = leadkit.profile(data.leads, **kwargs)
        pd.testing.assert_frame_equal(engine, reference.profile(data.leads, **kwargs))
        pd.testing.assert_frame_equal(leadkit.profile(data.leads, threads=3, **kwargs), engine)


@pytest.mark.parametrize("preset", PRESETS)
def test_scorecard_equals_the_reference_on_kpis(preset):
    policy = Policy.preset(preset)
    data = sample(tuple(policy.grades))
    kpis = leadkit.kpis(data.leads, data.touches, policy, by=["dealer_id", "consultant_id"],
                        surveys=data.surveys)
    for weights in ({"conversion_rate": 1.0},
                    {rate: 1 / (i + 1) for i, rate in enumerate(reference.RATES)}):
        pd.testing.assert_frame_equal(leadkit.scorecard(kpis, weights),
                                      reference.scorecard(kpis, weights))


# --- splits merged in any order --------------------------------------------------------------

def parts_of(leads: pd.DataFrame, parts: int, seed: int) -> list[pd.DataFrame]:
    part = np.random.default_rng(seed).integers(0, parts, len(leads))
    return [leads[part == p] for p in range(parts)]


SPLITS = dict(parts=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
              order=st.randoms(use_true_random=False))


@settings(max_examples=30, deadline=None)
@given(by=st.sampled_from(["month", "week", None, ["dealer_id", "channel"], "model"]),
       preset=st.sampled_from(PRESETS), **SPLITS)
def test_lost_any_split_merges_to_the_whole(by, preset, parts, seed, order):
    data = sample()
    kwargs = dict(by=by, policy=Policy.preset(preset), as_of=ts("2025-05-01 00:00"))
    whole = LostAnalysisState().add(data.leads, **kwargs)
    states = [LostAnalysisState().add(p, **kwargs) for p in parts_of(data.leads, parts, seed)]
    order.shuffle(states)
    merged = LostAnalysisState()
    for state in states:
        merged.merge(state)
    assert merged == whole
    pd.testing.assert_frame_equal(merged.finalize(),
                                  reference.lost_analysis(data.leads, **kwargs))
    # Pairwise with +, from bytes, in another order.
    order.shuffle(states)
    total = functools.reduce(lambda a, b: a + LostAnalysisState.from_bytes(b.to_bytes()),
                             states)
    assert total == whole


@settings(max_examples=30, deadline=None)
@given(by=st.sampled_from(["age_band", ["gender", "age_band"], "occupation", []]),
       bands=st.sampled_from([None, [30, 50], [20, 40, 60]]), **SPLITS)
def test_profile_any_split_merges_to_the_whole(by, bands, parts, seed, order):
    data = sample()
    kwargs = dict(by=by, age_bands=bands, as_of=ts("2025-05-01 00:00"))
    whole = ProfileState().add(data.leads, **kwargs)
    states = [ProfileState().add(p, **kwargs) for p in parts_of(data.leads, parts, seed)]
    order.shuffle(states)
    merged = functools.reduce(lambda a, b: a + b, states)
    assert merged == whole
    pd.testing.assert_frame_equal(merged.finalize(), reference.profile(data.leads, **kwargs))


# --- the state classes -----------------------------------------------------------------------

def test_states_travel_as_bytes_and_pickles():
    lost = LostAnalysisState().add(lost_leads(), policy=Policy.preset("oabc"))
    assert LostAnalysisState.from_bytes(lost.to_bytes()) == lost
    assert pickle.loads(pickle.dumps(lost)) == lost
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(lost)).finalize(), lost.finalize())
    prof = ProfileState().add(profile_leads(), by="age_band", age_bands=[30, 50])
    again = pickle.loads(pickle.dumps(prof))
    assert again == prof and again.age_bands == [30, 50]
    assert "groups=4" in repr(prof)
    with pytest.raises(ValueError, match="profile state bytes: checksum mismatch"):
        data = bytearray(prof.to_bytes())
        data[-1] ^= 1
        ProfileState.from_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a leadkit lost analysis state"):
        LostAnalysisState.from_bytes(prof.to_bytes())


def test_states_refuse_other_options():
    state = LostAnalysisState().add(lost_leads(), by="month", tz="UTC")
    with pytest.raises(ValueError, match=r"by: the state groups by \['month'\] in UTC"):
        state.add(lost_leads(), by="week", tz="UTC")
    with pytest.raises(ValueError, match="by: the state groups by"):
        state.merge(LostAnalysisState().add(lost_leads(), by="month", tz="Asia/Shanghai"))
    prof = ProfileState().add(profile_leads(), by="age_band")
    with pytest.raises(ValueError, match=r"age bands \[25, 35, 45, 55\]"):
        prof.add(profile_leads(), by="age_band", age_bands=[30])
    with pytest.raises(TypeError, match="expected a leadkit.ProfileState"):
        prof.merge(state)


def test_an_empty_state_finalizes_to_no_rows():
    out = LostAnalysisState().finalize()
    assert list(out.columns) == ["month", "lost_reason", "lost", "share", "approved",
                                 "rejected", "pending", "review_null", "rejection_rate"]
    assert len(out) == 0
    merged = LostAnalysisState().merge(LostAnalysisState().add(lost_leads(), tz="UTC"))
    assert merged == LostAnalysisState().add(lost_leads(), tz="UTC")


def test_deprecated_functions_warn_and_agree():
    with pytest.warns(DeprecationWarning, match="lost_analysis_state is deprecated"):
        state = leadkit.lost_analysis_state(lost_leads(), by=None)
    with pytest.warns(DeprecationWarning, match="lost_analysis_merge"):
        merged = leadkit.lost_analysis_merge([state])
    with pytest.warns(DeprecationWarning, match="lost_analysis_finalize"):
        out = leadkit.lost_analysis_finalize(merged)
    pd.testing.assert_frame_equal(out, leadkit.lost_analysis(lost_leads(), by=None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        prof = leadkit.profile_state(profile_leads(), by="gender", age_bands=[30])
        with pytest.raises(ValueError, match=r"age_bands: the state cuts at \[30\], not \[25\]"):
            leadkit.profile_finalize(prof, age_bands=[25])
        pd.testing.assert_frame_equal(leadkit.profile_finalize(prof, age_bands=[30]),
                                      leadkit.profile(profile_leads(), by="gender"))


# --- errors: the engine's messages, personal data masked ------------------------------------

def test_bad_rows_are_named_by_the_engine():
    leads = lost_leads()
    with pytest.raises(ValueError, match=r"leads\.lead_id: row 2 has no id \(null\)"):
        leadkit.lost_analysis(leads.assign(lead_id=["A", "B", None, "D", "E", "F"]))
    with pytest.raises(ValueError, match=r"leads row 1: lead_id \"P2\": created_at is null"):
        leadkit.profile(profile_leads().assign(created_at=[ts("2024-05-01 10:00"), pd.NaT] +
                                               [ts("2024-05-01 10:00")] * 5), by="gender")
    with pytest.raises(ValueError, match=r"leads\.age: lead_id='P6' \(row 5\) has inf"):
        leadkit.profile(profile_leads().assign(age=[1, 2, 3, 4, 5, float("inf"), 7]),
                        by="age_band")
    with pytest.raises(ValueError, match="threads: expected 1 or more"):
        leadkit.profile(profile_leads(), by="gender", threads=0)


def test_personal_data_is_never_a_group_nor_shown():
    leads = profile_leads().assign(phone=["13800138000"] * 7, name=["Li Lei"] * 7)
    for column in ("phone", "name", "wechat", "email"):
        with pytest.raises(ValueError, match=f"by: '{column}' is personal data"):
            leadkit.profile(leads, by=column)
    out = leadkit.profile(leads, by=["gender", "age_band"])
    assert not {"13800138000", "Li Lei"} & set(out.astype(str).to_numpy().ravel())
