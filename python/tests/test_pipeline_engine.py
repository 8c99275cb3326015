"""The pipeline engine (leadkit.PipelineState, C++) against the pandas reference it replaced
(reference_pipeline.py): the same tables on the hand-worked example of docs/kpis.md, on
generated data for every policy preset, for any thread count and any split of the leads
merged in any order; and the state class itself."""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
import leadkit.synth
import reference_pipeline as reference
from leadkit import PipelineState, Scope
from surface import POLICIES, policy as policy_named
from test_pipeline import AT, OABC, STAGES, example
from times import ts

START = ts("2024-06-01 00:00")
MONTHS = ["2024-05", "2024-06"]


def same(engine, expected):
    pd.testing.assert_frame_equal(engine, expected, check_exact=True)


def both(report, leads, touches, policy, threads=1, **kwargs):
    """(engine table on `threads`, reference table) of `report`."""
    def call(module, **more):
        args = {**kwargs, **more}
        if report == "touches_per_won_lead":
            return module.touches_per_won_lead(leads, touches, **args)
        return getattr(module, report)(leads, touches, policy, **args)
    return call(leadkit, threads=threads), call(reference)


# (report, arguments) of the example's calls, as docs/kpis.md makes them and more.
EXAMPLE_CALLS = [
    ("pipeline", {"at": AT}),
    ("pipeline", {"at": AT, "by": "dealer_id"}),
    ("pipeline", {"at": AT, "by": ["dealer_id", "channel"]}),
    ("pipeline", {"at": ts("2024-05-31 23:59")}),
    ("grade_migration", {"start": START, "end": AT}),
    ("grade_migration", {"start": START, "end": AT, "long": True}),
    ("grade_migration", {"start": ts("2024-05-01"), "end": ts("2024-07-01")}),
    ("monthly", {"months": MONTHS}),
    ("monthly", {"months": ["2024-04", "2024-06", "2024-07"]}),
    ("funnel", {"as_of": AT}),
    ("funnel", {}),
    ("funnel", {"as_of": ts("2024-06-10 14:00"), "by": "dealer_id"}),
    ("touches_per_won_lead", {"as_of": AT}),
    ("touches_per_won_lead", {}),
    ("touches_per_won_lead", {"as_of": AT, "by": "dealer_id"}),
]


@pytest.mark.parametrize("report, kwargs", EXAMPLE_CALLS)
@pytest.mark.parametrize("scope", [None, "D1", "R1", "hq"])
def test_example_matches_the_reference(report, kwargs, scope):
    leads, touches, dealers = example()
    if scope is not None:
        kwargs = {**kwargs, "dealers": dealers,
                  "scope": {"D1": Scope.dealer("D1"), "R1": Scope.region("R1"),
                            "hq": Scope.hq()}[scope]}
    engine, expected = both(report, leads, touches, OABC, **kwargs)
    same(engine, expected)


def test_by_region_matches_the_reference():
    leads, touches, dealers = example()
    for report, kwargs in EXAMPLE_CALLS:
        if report in ("pipeline", "funnel", "touches_per_won_lead"):
            kwargs = {**kwargs, "by": "region_id", "dealers": dealers}
            same(*both(report, leads, touches, OABC, **kwargs))


@pytest.mark.parametrize("report, kwargs", EXAMPLE_CALLS[::2])
def test_empty_tables_match_the_reference(report, kwargs):
    leads, touches, _ = example()
    if report in ("funnel", "touches_per_won_lead"):
        kwargs = {**kwargs, "as_of": AT}
    same(*both(report, leads.iloc[:0], touches.iloc[:0], OABC, **kwargs))


# --- generated data, every preset ------------------------------------------------------------

@pytest.fixture(scope="module", params=POLICIES)
def generated(request):
    policy = policy_named(request.param)
    synth = leadkit.synth.generate(leads=2000, dealers=5, seed=11,
                                   grades=tuple(policy.grades))
    rng = np.random.default_rng(3)
    leads = synth.leads.assign(sales_stage=rng.choice(
        np.array([*STAGES, "lost", None], dtype=object), len(synth.leads)))
    return policy, leads, synth.touches, synth.dealers


def generated_calls(leads):
    created = leads["created_at"]
    middle, late = created.quantile(0.5), created.quantile(0.9)
    months = sorted({str(p) for p in created.dt.tz_convert("UTC").dt.tz_localize(None)
                     .dt.to_period("M")})
    return [
        ("pipeline", {"at": middle, "by": "dealer_id"}),
        ("pipeline", {"at": late, "by": ["channel", "model"]}),
        ("grade_migration", {"start": middle, "end": late}),
        ("grade_migration", {"start": middle, "end": late, "long": True}),
        ("monthly", {"months": months}),
        ("funnel", {"as_of": late, "by": "channel"}),
        ("funnel", {}),
        ("touches_per_won_lead", {"by": "consultant_id"}),
        ("touches_per_won_lead", {"as_of": middle}),
    ]


def test_generated_data_matches_the_reference(generated):
    policy, leads, touches, dealers = generated
    for report, kwargs in generated_calls(leads):
        expected = both(report, leads, touches, policy, **kwargs)[1]
        for threads in (1, 2, 3):
            same(both(report, leads, touches, policy, threads=threads, **kwargs)[0], expected)
        region = dealers["region_id"].iloc[0]
        scoped = {**kwargs, "scope": Scope.region(region), "dealers": dealers}
        same(*both(report, leads, touches, policy, **scoped))


def test_generated_data_as_arrow_matches_the_reference(generated):
    pa = pytest.importorskip("pyarrow")
    policy, leads, touches, _ = generated
    as_arrow = (pa.Table.from_pandas(leads), pa.Table.from_pandas(touches))
    same(leadkit.funnel(*as_arrow, policy, by="channel"),
         reference.funnel(leads, touches, policy, by="channel"))


# --- any split, merged in any order ----------------------------------------------------------

#: A generated lead: hours from BASE, touches (hours after its creation, method, grade_after).
LEAD = st.fixed_dictionaries({
    "created_h": st.integers(0, 1500),
    "status": st.sampled_from([None, "open", "won", "lost", "invalid"]),
    "close_h": st.one_of(st.none(), st.integers(-30, 900)),
    "review": st.sampled_from([None, "pending", "approved", "rejected"]),
    "grade": st.sampled_from([None, "O", "A", "B", "C"]),
    "stage": st.sampled_from([None, *STAGES, "lost"]),
    "dealer": st.sampled_from(["D1", "D2", "D3", None]),
    "touches": st.lists(st.tuples(st.integers(0, 900), st.sampled_from(["phone", "visit"]),
                                  st.sampled_from([None, "O", "A", "B", "C"])), max_size=4),
    "part": st.integers(0, 3),
})
BASE = ts("2024-04-01 00:00")


def build(specs):
    """Leads and touches of generated lead specs."""
    hours = pd.to_timedelta([s["created_h"] for s in specs], unit="h")
    created = BASE + hours
    close = [pd.NaT if s["close_h"] is None else created[i] + pd.Timedelta(hours=s["close_h"])
             for i, s in enumerate(specs)]
    status = [s["status"] for s in specs]
    leads = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(len(specs))],
        "created_at": created,
        "dealer_id": pd.Series([s["dealer"] for s in specs], dtype=object),
        "grade": pd.Series([s["grade"] for s in specs], dtype=object),
        "deposit_paid": [i % 3 == 0 for i in range(len(specs))],
        "status": pd.Series(status, dtype=object),
        "won_at": pd.Series([c if st_ == "won" else pd.NaT for c, st_ in zip(close, status)],
                            dtype="datetime64[ns, Asia/Shanghai]"),
        "lost_at": pd.Series([c if st_ == "lost" else pd.NaT for c, st_ in zip(close, status)],
                             dtype="datetime64[ns, Asia/Shanghai]"),
        "lost_review": pd.Series([s["review"] if s["status"] == "lost" else None
                                  for s in specs], dtype=object),
        "sales_stage": pd.Series([s["stage"] for s in specs], dtype=object),
    })
    rows = [(f"L{i}", created[i] + pd.Timedelta(hours=h), method, grade)
            for i, s in enumerate(specs) for h, method, grade in s["touches"]]
    touches = pd.DataFrame(rows, columns=["lead_id", "at", "method", "grade_after"])
    touches["at"] = pd.to_datetime(touches["at"]).dt.tz_convert("Asia/Shanghai") \
        if len(rows) else pd.Series([], dtype="datetime64[ns, Asia/Shanghai]")
    touches["grade_after"] = touches["grade_after"].astype(object)
    return leads, touches


def states_of(leads, touches, t):
    return {
        "pipeline": PipelineState.pipeline(leads, touches, OABC, at=t, by="dealer_id"),
        "grade_migration": PipelineState.grade_migration(
            leads, touches, OABC, start=t - pd.Timedelta(days=20), end=t),
        "monthly": PipelineState.monthly(leads, touches, OABC,
                                         months=["2024-04", "2024-05", "2024-06"]),
        "funnel": PipelineState.funnel(leads, touches, OABC, as_of=t, by="dealer_id"),
        "touches_per_won_lead": PipelineState.touches_per_won_lead(leads, touches, as_of=t),
    }


@settings(max_examples=40, deadline=None)
@given(st.lists(LEAD, min_size=1, max_size=12), st.integers(0, 1800),
       st.randoms(use_true_random=False))
def test_any_split_merged_in_any_order_equals_the_whole(specs, at_h, random):
    leads, touches = build(specs)
    t = BASE + pd.Timedelta(hours=at_h)
    whole = states_of(leads, touches, t)
    same(whole["pipeline"].finalize(),
         reference.pipeline(leads, touches, OABC, at=t, by="dealer_id"))
    same(whole["funnel"].finalize(),
         reference.funnel(leads, touches, OABC, as_of=t, by="dealer_id"))
    same(whole["monthly"].finalize(),
         reference.monthly(leads, touches, OABC, months=["2024-04", "2024-05", "2024-06"]))
    same(whole["touches_per_won_lead"].finalize(),
         reference.touches_per_won_lead(leads, touches, as_of=t))
    same(whole["grade_migration"].finalize(),
         reference.grade_migration(leads, touches, OABC, start=t - pd.Timedelta(days=20),
                                   end=t))
    parts = np.array([s["part"] for s in specs])
    pieces = []
    for part in range(4):
        ids = set(leads["lead_id"][parts == part])
        pieces.append(states_of(leads[leads["lead_id"].isin(ids)],
                                touches[touches["lead_id"].isin(ids)], t))
    random.shuffle(pieces)
    for name, state in whole.items():
        merged = PipelineState.merge([piece[name] for piece in pieces])
        assert merged == state
        same(merged.finalize(), state.finalize())
        # Through bytes, added one by one.
        again = PipelineState.from_bytes(pieces[-1][name].to_bytes())
        for piece in pieces[:-1]:
            again.merge(PipelineState.from_bytes(piece[name].to_bytes()))
        assert again == state


# --- the state class -------------------------------------------------------------------------

def test_state_class_protocol():
    leads, touches, _ = example()
    first = leads["lead_id"] <= "P4"
    state = PipelineState.funnel(leads[first], touches[touches["lead_id"] <= "P4"], OABC,
                                 as_of=AT)
    assert state.add(leads[~first], touches[touches["lead_id"] > "P4"], OABC) is state
    same(state.finalize(), leadkit.funnel(leads, touches, OABC, as_of=AT))
    assert state.report == "funnel" and state.keys == ("kind", "stage")
    assert dict(state.params)["grades"] == ("O", "A", "B", "C")
    assert state.to_bytes()[:6] == b"LKPIP1"
    assert PipelineState.from_bytes(state.to_bytes()) == state
    assert pickle.loads(pickle.dumps(state)) == state
    # The counts: keys, then the additive columns (P1-P6 counted; O reached by 2).
    assert list(state.counts.columns) == ["kind", "stage", "leads", "reached"]
    assert state.counts["reached"].tolist()[:4] == [2, 3, 3, 2]
    with pytest.raises(TypeError, match="unhashable"):
        hash(state)
    # merge on an instance adds in place; on the class it makes a new state.
    doubled = state.copy().merge(state)
    assert doubled.finalize()["reached"].tolist()[:4] == [4, 6, 6, 4]
    assert PipelineState.merge([state, state]) == doubled
    assert state + state == doubled


def test_state_class_errors():
    leads, touches, _ = example()
    state = PipelineState.pipeline(leads, touches, OABC, at=AT)
    with pytest.raises(ValueError, match="merge: other is a funnel state"):
        state.merge(PipelineState.funnel(leads, touches, OABC, as_of=AT))
    with pytest.raises(TypeError, match="expected a leadkit.PipelineState"):
        state.merge(state.finalize())
    with pytest.raises(TypeError, match="touches_per_won_lead reads no policy"):
        PipelineState.touches_per_won_lead(leads, touches, as_of=AT).add(leads, touches, OABC)
    with pytest.raises(ValueError, match=r"grades: the state counts grades \[O, A, B, C\], the "
                                         r"policy has \[A, B, C, D\]"):
        state.add(leads.drop(columns="grade"), touches.drop(columns="grade_after"),
                  leadkit.Policy.preset("abcd"))
    with pytest.raises(ValueError, match="threads: expected 1 or more, got 0"):
        leadkit.pipeline(leads, touches, OABC, at=AT, threads=0)
    with pytest.raises(ValueError, match="pipeline state bytes: not a leadkit pipeline state"):
        PipelineState.from_bytes(b"LKKPI3 and more")
    damaged = bytearray(state.to_bytes())
    damaged[9] ^= 0x01
    with pytest.raises(ValueError, match="pipeline state bytes"):
        PipelineState.from_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="pipeline state bytes: truncated"):
        PipelineState.from_bytes(state.to_bytes()[:-4])


def test_a_failed_add_leaves_the_state_as_it_was():
    leads, touches, _ = example()
    state = PipelineState.funnel(leads, touches, OABC, as_of=AT)
    before = state.to_bytes()
    bad = leads.assign(lead_id=[f"X{i}" for i in range(len(leads))],
                       sales_stage=["negociation"] + [None] * 7)
    with pytest.raises(ValueError, match='leads row 0: lead_id "X0": unknown sales_stage '
                                         '"negociation"'):
        state.add(bad, touches.iloc[:0], OABC)
    assert state.to_bytes() == before
