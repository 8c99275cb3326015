"""The showroom and activity engines (leadkit.ShowroomState, leadkit.ActivityState) against the
pandas implementation they replace (reference_traffic.py): the hand-worked examples of
docs/kpis.md, generated data for every policy preset, threads, and any split of the rows into
states merged in any order."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
import reference_traffic as reference
from leadkit import Scope
from leadkit.synth import generate
from times import SH, ts

SHOWROOM_BYS = [None, "hour", "weekday", "day", "dealer_id", "consultant_id", "model",
                ["dealer_id", "hour"], ["model", "day", "consultant_id"]]
ACTIVITY_BYS = [None, ("consultant_id", "day"), "dealer_id", ["month", "dealer_id"], "week",
                ["day", "consultant_id", "dealer_id"]]


# --- the hand-worked examples of docs/kpis.md ----------------------------------------------

def docs_visits() -> pd.DataFrame:
    return pd.DataFrame({
        "visit_id": ["V1", "V2", "V3", "V4", "V5"],
        "dealer_id": ["D1", "D1", "D1", "D2", "D2"],
        "arrived_at": [ts("2024-06-01 10:15"), ts("2024-06-01 10:40"), ts("2024-06-01 14:05"),
                       ts("2024-06-02 10:20"), ts("2024-06-02 15:00")],
        "left_at": [ts("2024-06-01 10:45"), ts("2024-06-01 11:30"), pd.NaT,
                    ts("2024-06-02 10:30"), ts("2024-06-02 16:10")],
        "lead_id": ["L1", None, "L2", "L3", "L4"],
        "consultant_id": ["C1", "C1", "C2", "C3", "C3"],
        "effective": [True, False, True, None, True],
        "model": ["C200", "GLC", "C200", "GLC", None]})


def docs_visit_leads() -> pd.DataFrame:
    return pd.DataFrame({"lead_id": ["L1", "L2", "L3", "L4"],
                         "created_at": [ts("2024-05-20 10:00")] * 4,
                         "status": ["won", "lost", None, "won"]})


def docs_activity_leads() -> pd.DataFrame:
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4"],
        "created_at": [ts("2024-06-03 08:50"), ts("2024-06-04 10:00"), ts("2024-06-03 19:00"),
                       ts("2024-06-04 11:00")],
        "assigned_at": [ts("2024-06-03 09:00"), pd.NaT, ts("2024-06-03 20:00"), pd.NaT],
        "dealer_id": ["D1", "D1", "D2", None],
        "consultant_id": ["C1", "C1", "C2", None]})


def docs_touches() -> pd.DataFrame:
    return pd.DataFrame({
        "lead_id": ["L1", "L1", "L2", "L1", "L3", "L4"],
        "at": [ts("2024-06-03 09:30"), ts("2024-06-03 15:00"), ts("2024-06-04 10:30"),
               ts("2024-06-04 16:00"), ts("2024-06-04 09:00"), ts("2024-06-04 12:00")],
        "method": ["phone", "wechat", "phone", "fax", "phone", "sms"],
        "consultant_id": ["C1", "C1", "C1", "C1", "C2", None]})


@pytest.mark.parametrize("by", SHOWROOM_BYS)
@pytest.mark.parametrize("with_leads", [False, True])
def test_showroom_docs_example_equals_reference(by, with_leads):
    leads = docs_visit_leads() if with_leads else None
    for kwargs in ({}, {"as_of": ts("2024-06-02 10:25")}, {"tz": "UTC"}, {"top_models": 1}):
        pd.testing.assert_frame_equal(
            leadkit.showroom(docs_visits(), leads=leads, by=by, **kwargs),
            reference.showroom(docs_visits(), leads=leads, by=by, **kwargs))


def test_showroom_docs_example_by_hand():
    # docs/kpis.md: at 10 o'clock V1, V2, V4 arrived; two left details; V1's lead was won;
    # stays (30 + 50 + 10) / 3 = 30 minutes; GLC (V2, V4) before C200 (V1).
    out = leadkit.showroom(docs_visits(), leads=docs_visit_leads(), by="hour")
    assert out["hour"].tolist() == [10, 14, 15]
    assert out["hour"].dtype == np.int64
    assert out.loc[0, ["visits", "with_contact", "won"]].tolist() == [3, 2, 1]
    assert out.loc[0, "avg_stay_minutes"] == 30.0
    assert out["top_models"].tolist() == ["GLC;C200", "C200", None]


@pytest.mark.parametrize("by", ACTIVITY_BYS)
@pytest.mark.parametrize("with_leads", [False, True])
def test_activity_docs_example_equals_reference(by, with_leads):
    if not with_leads and by is not None and "dealer_id" in by:
        return  # needs the leads (an error in both)
    leads = docs_activity_leads() if with_leads else None
    for kwargs in ({}, {"as_of": ts("2024-06-04 10:45")}, {"tz": "UTC"}):
        pd.testing.assert_frame_equal(
            leadkit.activity(docs_touches(), leads=leads, by=by, **kwargs),
            reference.activity(docs_touches(), leads=leads, by=by, **kwargs))


# --- generated data, every preset ----------------------------------------------------------

@functools.lru_cache(maxsize=None)
def data_for(preset: str):
    grades = tuple(leadkit.Policy.preset(preset).grades)
    return generate(leads=400, dealers=5, seed=len(preset), days=45, grades=grades)


@pytest.mark.parametrize("preset", leadkit.Policy.presets())
def test_showroom_generated_equals_reference(preset):
    data = data_for(preset)
    as_of = data.visits["arrived_at"].quantile(0.8)
    for by in SHOWROOM_BYS:
        for kwargs in ({"leads": data.leads}, {"leads": data.leads, "as_of": as_of},
                       {"scope": Scope.region("R1"), "dealers": data.dealers},
                       {"tz": "UTC", "leads": data.leads}):
            expected = reference.showroom(data.visits, by=by, **kwargs)
            for threads in (1, 2):
                pd.testing.assert_frame_equal(
                    leadkit.showroom(data.visits, by=by, threads=threads, **kwargs), expected)


@pytest.mark.parametrize("preset", leadkit.Policy.presets())
def test_activity_generated_equals_reference(preset):
    data = data_for(preset)
    as_of = data.touches["at"].quantile(0.8)
    for by in ACTIVITY_BYS:
        for kwargs in ({"leads": data.leads}, {"leads": data.leads, "as_of": as_of},
                       {"leads": data.leads, "scope": Scope.region("R1"),
                        "dealers": data.dealers},
                       {"tz": SH, "leads": data.leads}):
            expected = reference.activity(data.touches, by=by, **kwargs)
            for threads in (1, 2, 3):
                pd.testing.assert_frame_equal(
                    leadkit.activity(data.touches, by=by, threads=threads, **kwargs), expected)
        if by is None or "dealer_id" not in by:
            pd.testing.assert_frame_equal(leadkit.activity(data.touches, by=by, threads=2),
                                          reference.activity(data.touches, by=by))


def test_arrow_tables_equal_pandas():
    pa = pytest.importorskip("pyarrow")
    data = data_for("abcd")
    visits, touches = pa.Table.from_pandas(data.visits), pa.Table.from_pandas(data.touches)
    leads = pa.Table.from_pandas(data.leads)
    pd.testing.assert_frame_equal(
        leadkit.showroom(visits, leads=leads, by=["dealer_id", "day"]),
        reference.showroom(data.visits, leads=data.leads, by=["dealer_id", "day"]))
    pd.testing.assert_frame_equal(
        leadkit.activity(touches, leads=leads, threads=2),
        reference.activity(data.touches, leads=data.leads))


# --- states: any split, any order ----------------------------------------------------------

def split(data, parts: int, seed: int):
    """Leads into `parts` batches at random; visits and touches follow their lead; walk-ins
    land anywhere."""
    rng = np.random.default_rng(seed)
    lead_part = pd.Series(rng.integers(0, parts, len(data.leads)),
                          index=data.leads["lead_id"].to_numpy())
    touch_part = lead_part.reindex(data.touches["lead_id"].to_numpy()).to_numpy()
    visit_lead = data.visits["lead_id"]
    visit_part = np.where(visit_lead.notna(),
                          lead_part.reindex(visit_lead.fillna("").to_numpy()).fillna(0),
                          rng.integers(0, parts, len(data.visits))).astype(int)
    return [(data.leads[lead_part.to_numpy() == p], data.touches[touch_part == p],
             data.visits[visit_part == p]) for p in range(parts)]


SPLITS = dict(parts=st.integers(1, 5), seed=st.integers(0, 2**32 - 1), order=st.randoms())


@settings(max_examples=25, deadline=None)
@given(by=st.sampled_from(SHOWROOM_BYS), **SPLITS)
def test_showroom_any_split_in_any_order(by, parts, seed, order):
    data = data_for("abcd")
    kwargs = dict(by=by, scope=Scope.region("R1"), dealers=data.dealers,
                  as_of=ts("2025-02-10 12:00"))
    whole = reference.showroom(data.visits, leads=data.leads, **kwargs)
    states = [leadkit.ShowroomState().add(v, leads=l, **kwargs)
              for l, _, v in split(data, parts, seed)]
    order.shuffle(states)
    # Through bytes and pickles too: a state sent to another process.
    states = [pickle.loads(pickle.dumps(s)) if i % 2 else leadkit.ShowroomState.from_bytes(
        s.to_bytes()) for i, s in enumerate(states)]
    pd.testing.assert_frame_equal(functools.reduce(lambda a, b: a + b, states).finalize(),
                                  whole)


@settings(max_examples=25, deadline=None)
@given(by=st.sampled_from(ACTIVITY_BYS), **SPLITS)
def test_activity_any_split_in_any_order(by, parts, seed, order):
    data = data_for("abcd")
    kwargs = dict(by=by, as_of=ts("2025-02-10 12:00"))
    whole = reference.activity(data.touches, leads=data.leads, **kwargs)
    states = [leadkit.ActivityState().add(t, leads=l, **kwargs)
              for l, t, _ in split(data, parts, seed)]
    order.shuffle(states)
    states = [pickle.loads(pickle.dumps(s)) for s in states]
    pd.testing.assert_frame_equal(functools.reduce(lambda a, b: a + b, states).finalize(),
                                  whole)


# --- the state classes ---------------------------------------------------------------------

def test_states_merge_bytes_and_equality():
    visits, leads = docs_visits(), docs_visit_leads()
    first = leadkit.ShowroomState().add(visits.iloc[:3], leads=leads, by="dealer_id",
                                        as_of=ts("2024-06-02 16:10"))
    second = leadkit.ShowroomState().add(visits.iloc[3:], leads=leads, by="dealer_id",
                                         as_of=ts("2024-06-02 16:10"))
    merged = first + second
    assert merged == leadkit.ShowroomState().add(visits, leads=leads, by="dealer_id")
    assert merged != first
    assert first.by == ("dealer_id",)
    assert leadkit.ShowroomState.from_bytes(merged.to_bytes()) == merged
    # + leaves its operands as they were.
    assert first.finalize()["visits"].tolist() == [3]
    assert merged.finalize()["visits"].tolist() == [3, 2]
    assert repr(first) == "ShowroomState(by=('dealer_id',), tz='Asia/Shanghai')"
    with pytest.raises(ValueError, match="showroom state bytes: checksum mismatch"):
        data = bytearray(merged.to_bytes())
        data[-1] ^= 1
        leadkit.ShowroomState.from_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"states: grouped by \['dealer_id'\] and by "
                                         r"\['hour'\]"):
        first + leadkit.ShowroomState().add(visits, by="hour")
    with pytest.raises(ValueError, match="ActivityState: no batch added yet"):
        leadkit.ActivityState().finalize()
    with pytest.raises(TypeError, match="merge: expected a leadkit.ShowroomState"):
        first.merge(leadkit.ActivityState())
    with pytest.raises(ValueError, match="activity state bytes: not a leadkit activity state"):
        leadkit.ActivityState.from_bytes(merged.to_bytes())
    empty = leadkit.ActivityState()
    touches = leadkit.ActivityState().add(docs_touches(), by="consultant_id")
    assert empty + touches == touches
    assert pickle.loads(pickle.dumps(empty)) == empty


def test_states_refuse_another_grouping_or_zone():
    state = leadkit.ActivityState().add(docs_touches(), by="day")
    with pytest.raises(ValueError, match=r"states: grouped by \['day'\] and by \['week'\]"):
        state.add(docs_touches(), by="week")
    with pytest.raises(ValueError, match="states: local times in 'Asia/Shanghai' and in 'UTC'"):
        state.add(docs_touches(), by="day", tz="UTC")


def test_threads_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="threads: expected 1 or more, got 0"):
        leadkit.showroom(docs_visits(), threads=0)
    with pytest.raises(TypeError, match="threads: expected an integer"):
        leadkit.activity(docs_touches(), threads="2")


def test_deprecated_functions_warn_and_agree():
    visits, leads = docs_visits(), docs_visit_leads()
    with pytest.deprecated_call(match="showroom_state is deprecated"):
        state = leadkit.showroom_state(visits, leads=leads, by="hour")
    with pytest.deprecated_call(match="showroom_merge is deprecated"):
        merged = leadkit.showroom_merge([state])
    with pytest.deprecated_call(match="showroom_finalize is deprecated"):
        out = leadkit.showroom_finalize(merged, top_models=1)
    pd.testing.assert_frame_equal(out, leadkit.showroom(visits, leads=leads, by="hour",
                                                        top_models=1))
    with pytest.deprecated_call(match="activity_finalize is deprecated"):
        out = leadkit.activity_finalize(leadkit.ActivityState().add(docs_touches()))
    pd.testing.assert_frame_equal(out, leadkit.activity(docs_touches()))


def test_fixed_offset_zones_are_named():
    # Timestamps parsed with an offset carry a fixed-offset zone: +08:00 is Etc/GMT-8.
    visits = docs_visits().assign(arrived_at=pd.to_datetime(
        ["2024-06-01T10:15+08:00", "2024-06-01T10:40+08:00", "2024-06-01T14:05+08:00",
         "2024-06-02T10:20+08:00", "2024-06-02T15:00+08:00"]))
    visits = visits.assign(left_at=visits["left_at"].dt.tz_convert("Etc/GMT-8"))
    pd.testing.assert_frame_equal(leadkit.showroom(visits, by=["day", "hour"]),
                                  reference.showroom(visits, by=["day", "hour"]))
    assert leadkit._frames.zone_name(visits["arrived_at"].dt.tz) == "Etc/GMT-8"
