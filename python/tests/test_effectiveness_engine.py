"""The effectiveness engine (leadkit.EffectivenessState, C++) against the pandas reference it
replaced (reference_effectiveness.py): the same tables on the hand-worked example of
docs/kpis.md, on generated data for every preset, for any thread count and any split of the
leads merged in any order; and the state class itself."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
import leadkit.synth
import reference_effectiveness as reference
from leadkit import EffectivenessState, Scope
from test_effectiveness import AS_OF, METHODS, build, example

PRESETS = ["three_level", "abcd", "oabc", "funnel"]
VIEWS = ["method_mix", "interval", "action"]
#: Content types the action view's touches carry (None: a touch without one).
CONTENTS = ["needs_questions", "offer", None]

#: A generated lead for test_effectiveness.build: hours from BASE, touches from its creation.
LEAD = st.fixed_dictionaries({
    "created_h": st.integers(0, 400),
    "status": st.sampled_from([None, "open", "won", "lost", "invalid"]),
    "won_h": st.one_of(st.none(), st.integers(0, 600)),
    "dealer": st.sampled_from(["D1", "D2", "D3", None]),
    "touches": st.lists(st.tuples(st.integers(0, 900), st.sampled_from(METHODS)), max_size=5),
    "part": st.integers(0, 3),
})


def same(engine, expected):
    pd.testing.assert_frame_equal(engine, expected, check_exact=True)


# --- the hand-worked example -----------------------------------------------------------------

@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("kwargs", [
    {},
    {"as_of": None},
    {"as_of": pd.Timestamp("2024-06-04 12:00", tz="Asia/Shanghai")},
    {"interval_buckets": [0.5, 5]},
    {"interval_buckets": (2,)},
    {"scope": Scope.dealer("D2")},
    {"scope": Scope.region("R1"), "dealers": True},
    {"scope": Scope.hq(), "dealers": True},
])
def test_example_matches_the_reference(view, kwargs):
    leads, touches, dealers = example()
    kwargs = {"as_of": AS_OF, **kwargs}
    if kwargs.get("dealers") is True:
        kwargs["dealers"] = dealers
    same(leadkit.effectiveness(leads, touches, view=view, **kwargs),
         reference.effectiveness(leads, touches, view=view, **kwargs))


@pytest.mark.parametrize("view", VIEWS)
def test_empty_tables_match_the_reference(view):
    leads, touches, _ = example()
    same(leadkit.effectiveness(leads.iloc[:0], touches.iloc[:0], view=view, as_of=AS_OF),
         reference.effectiveness(leads.iloc[:0], touches.iloc[:0], view=view, as_of=AS_OF))


# --- generated data, every preset ------------------------------------------------------------

@pytest.fixture(scope="module", params=PRESETS)
def generated(request):
    policy = leadkit.Policy.preset(request.param)
    return leadkit.synth.generate(leads=3000, dealers=5, seed=7, grades=tuple(policy.grades))


@pytest.mark.parametrize("view", VIEWS)
def test_generated_data_matches_the_reference(generated, view):
    leads, touches = generated.leads, generated.touches
    for as_of in (None, leads["created_at"].quantile(0.5)):
        expected = reference.effectiveness(leads, touches, view=view, as_of=as_of)
        for threads in (1, 2, 3):
            same(leadkit.effectiveness(leads, touches, view=view, as_of=as_of,
                                       threads=threads), expected)
    dealer = generated.dealers["dealer_id"].iloc[1]
    region = generated.dealers["region_id"].iloc[0]
    for scope in (Scope.dealer(dealer), Scope.region(region)):
        same(leadkit.effectiveness(leads, touches, view=view, scope=scope,
                                   dealers=generated.dealers, as_of=as_of, threads=2),
             reference.effectiveness(leads, touches, view=view, scope=scope,
                                     dealers=generated.dealers, as_of=as_of))


def test_generated_data_as_arrow_matches_the_reference(generated):
    pa = pytest.importorskip("pyarrow")
    leads, touches = generated.leads, generated.touches
    same(leadkit.effectiveness(pa.Table.from_pandas(leads), pa.Table.from_pandas(touches),
                               view="interval"),
         reference.effectiveness(leads, touches, view="interval"))


# --- any split, merged in any order ----------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(LEAD, min_size=1, max_size=14), st.integers(0, 700),
       st.sampled_from(VIEWS), st.randoms(use_true_random=False))
def test_any_split_merged_in_any_order_equals_the_whole(specs, as_of_h, view, random):
    leads, touches = build(specs)
    touches["content"] = pd.Series([CONTENTS[i % 3] for i in range(len(touches))], dtype=object)
    as_of = pd.Timestamp("2024-06-01 00:00", tz="Asia/Shanghai") + pd.Timedelta(hours=as_of_h)
    whole = EffectivenessState(view).add(leads, touches, as_of=as_of)
    same(whole.finalize(), reference.effectiveness(leads, touches, view=view, as_of=as_of))
    parts = np.array([s["part"] for s in specs])
    states = []
    for part in range(4):
        ids = set(leads["lead_id"][parts == part])
        states.append(EffectivenessState(view).add(
            leads[leads["lead_id"].isin(ids)], touches[touches["lead_id"].isin(ids)],
            as_of=as_of))
    random.shuffle(states)
    merged = EffectivenessState(view)
    for state in states:
        merged = merged + state
    assert merged == whole
    same(merged.finalize(), whole.finalize())
    # Through bytes, merged in another order.
    again = EffectivenessState.from_bytes(states[-1].to_bytes())
    for state in states[:-1]:
        again.merge(EffectivenessState.from_bytes(state.to_bytes()))
    assert again == whole


# --- the state class -------------------------------------------------------------------------

def test_state_class_protocol():
    leads, touches, dealers = example()
    state = EffectivenessState("interval", interval_buckets=[0.5, 5])
    assert state.add(leads, touches, as_of=AS_OF, scope=Scope.region("R1"),
                     dealers=dealers) is state
    assert state.view == "interval" and state.interval_buckets == (0.5, 5.0)
    assert repr(state) == "EffectivenessState(view='interval', interval_buckets=(0.5, 5))"
    # R1 (D1, D3): E1 (2 d), E2 (10 d), E7 (0.5 d); E6 invalid, E8 too new.
    table = state.finalize()
    assert list(table["interval"]) == ["no_touch", "single_touch", "<0.5d", "0.5-5d", "5d+"]
    assert list(table["leads"]) == [0, 0, 0, 2, 1]
    assert list(table["won"]) == [0, 0, 0, 2, 0]
    assert EffectivenessState.from_bytes(state.to_bytes()) == state
    assert pickle.loads(pickle.dumps(state)) == state
    assert state.to_bytes()[:6] == b"LKEFF2"
    assert state != EffectivenessState("interval", interval_buckets=[0.5, 5])
    with pytest.raises(TypeError, match="unhashable"):
        hash(state)


def test_state_class_errors():
    leads, touches, _ = example()
    mix = EffectivenessState().add(leads, touches, as_of=AS_OF)
    interval = EffectivenessState("interval").add(leads, touches, as_of=AS_OF)
    with pytest.raises(RuntimeError, match="a interval state cannot merge with a method_mix"):
        mix.merge(interval)
    with pytest.raises(RuntimeError, match=r"interval buckets \[no_touch, single_touch, <2d, "):
        interval + EffectivenessState("interval", interval_buckets=[2])
    with pytest.raises(TypeError, match="expected a leadkit.EffectivenessState"):
        mix.merge(mix.finalize())
    with pytest.raises(ValueError, match="needs an explicit as_of"):
        EffectivenessState().add(leads, touches, as_of=None)
    with pytest.raises(ValueError, match='did you mean "interval"'):
        EffectivenessState("intervals")
    with pytest.raises(ValueError, match="bounds must increase, but 1 follows 3"):
        EffectivenessState("interval", interval_buckets=[3, 1])
    with pytest.raises(ValueError, match="threads: expected 1 or more, got 0"):
        leadkit.effectiveness(leads, touches, as_of=AS_OF, threads=0)
    with pytest.raises(ValueError, match="effectiveness state bytes: not a leadkit effectiveness "
                                         "state"):
        EffectivenessState.from_bytes(b"LKKPI3 and more")
    damaged = bytearray(mix.to_bytes())
    damaged[9] ^= 0x01
    with pytest.raises(ValueError, match="effectiveness state bytes"):
        EffectivenessState.from_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="effectiveness state bytes: truncated"):
        EffectivenessState.from_bytes(mix.to_bytes()[:-4])


def test_a_failed_add_leaves_the_state_as_it_was():
    leads, touches, _ = example()
    state = EffectivenessState().add(leads, touches, as_of=AS_OF)
    before = state.to_bytes()
    bad = touches.assign(method=touches["method"].replace("visit", "none"))
    with pytest.raises(ValueError, match='touches row 7: lead_id "E4": method "none" cannot '
                                         "name a method"):
        state.add(leads, bad, as_of=AS_OF)
    assert state.to_bytes() == before


def test_deprecated_functions_warn_and_agree_with_the_class():
    leads, touches, _ = example()
    with pytest.warns(DeprecationWarning, match="use leadkit.EffectivenessState"):
        first = leadkit.effectiveness_state(leads[:4], touches[touches["lead_id"] <= "E4"],
                                            as_of=AS_OF, view="interval")
    with pytest.warns(DeprecationWarning):
        rest = leadkit.effectiveness_state(leads[4:], touches[touches["lead_id"] > "E4"],
                                           as_of=AS_OF, view="interval")
    with pytest.warns(DeprecationWarning):
        merged = leadkit.effectiveness_merge([first, rest])
    with pytest.warns(DeprecationWarning):
        table = leadkit.effectiveness_finalize(merged)
    same(table, EffectivenessState("interval").add(leads, touches, as_of=AS_OF).finalize())


# --- the action view -------------------------------------------------------------------------

def test_action_view_by_hand():
    """The example's touches with the content each brought (E3's phone call without any): a
    lead counts once in each action it received (effectiveness_test.cc, ActionByHand)."""
    leads, touches, _ = example()
    touches["content"] = pd.Series(
        ["needs_questions", "brochure", "offer", "needs_questions", "needs_questions",
         "brochure", None, "demonstration", "needs_questions", "needs_questions", "offer",
         "offer"], dtype=object)
    table = leadkit.effectiveness(leads, touches, view="action", as_of=AS_OF)
    assert list(table.columns) == ["method", "content", "leads", "won", "conversion_rate",
                                   "touches", "touches_per_lead"]
    assert [tuple(r) for r in table[["method", "content", "leads", "won", "touches"]]
            .itertuples(index=False)] == [
        ("none", None, 1, 0, 0), ("phone", None, 1, 0, 1), ("phone", "needs_questions", 3, 2, 4),
        ("phone", "offer", 2, 2, 2), ("visit", "demonstration", 1, 0, 1),
        ("wechat", "brochure", 2, 1, 2)]
    assert table["conversion_rate"][2] == pytest.approx(2 / 3)
    same(table, reference.effectiveness(leads, touches, view="action", as_of=AS_OF))
    # Without a content column, an action is its method.
    plain = leadkit.effectiveness(leads, touches.drop(columns="content"), view="action",
                                  as_of=AS_OF)
    assert [tuple(r) for r in plain[["method", "content", "leads", "won", "touches"]]
            .itertuples(index=False)] == [
        ("none", None, 1, 0, 0), ("phone", None, 4, 2, 7), ("visit", None, 1, 0, 1),
        ("wechat", None, 2, 1, 2)]


def test_action_view_bad_content_names_the_column():
    leads, touches, _ = example()
    touches["content"] = 1.5
    with pytest.raises(ValueError, match="touches.content"):
        leadkit.effectiveness(leads, touches, view="action", as_of=AS_OF)
    with pytest.raises(ValueError, match="deprecated effectiveness_state offers method_mix"):
        with pytest.warns(DeprecationWarning):
            leadkit.effectiveness_state(leads, touches, as_of=AS_OF, view="action")


# --- the action view next to the playbook ----------------------------------------------------

#: The policy of effectiveness_test.cc (HotColdPlaybook): dealer D1's leads hot, the others
#: cold; needs questions by phone at first contact, an offer by phone for a hot lead touched
#: before, updates by phone otherwise.
HOT_COLD = {
    "grades": ["hot", "cold"],
    "rules": [{"id": "d1", "when": [{"field": "dealer_id", "op": "==", "value": "D1"}],
               "grade": "hot"},
              {"id": "default", "grade": "cold"}],
    "cadence": {"follow_up_days": {"hot": 3, "cold": 14}},
    "playbook": {"rules": [
        {"id": "first", "when": [{"field": "task", "op": "==", "value": "first_contact"}],
         "action": {"method": "phone", "content": "needs_questions", "goal": "discover_needs"}},
        {"id": "hot_offer", "when": [{"field": "grade_now", "op": "==", "value": "hot"},
                                     {"field": "touches", "op": ">=", "value": 1}],
         "action": {"method": "phone", "content": "offer", "goal": "close_deal"}},
        {"id": "rest", "action": {"method": "phone", "content": "updates",
                                  "goal": "keep_interest"}}]},
}


def playbook_example():
    """The action example's touches, E7's first call recording the lead hot."""
    leads, touches, _ = example()
    touches["content"] = pd.Series(
        ["needs_questions", "brochure", "offer", "needs_questions", "needs_questions",
         "brochure", None, "demonstration", "needs_questions", "needs_questions", "offer",
         "offer"], dtype=object)
    touches["grade_after"] = pd.Series([None] * 9 + ["hot", None, None], dtype=object)
    return leads, touches, leadkit.Policy.from_json(json.dumps(HOT_COLD))


def test_action_view_next_to_the_playbook_by_hand():
    """effectiveness_test.cc, ActionNextToThePlaybookByHand: every touch by as_of, the task it
    answered and the action the playbook recommended for it, worked out there."""
    leads, touches, policy = playbook_example()
    table = leadkit.effectiveness(leads, touches, view="action", as_of=AS_OF, policy=policy)
    assert list(table.columns) == [
        "method", "content", "leads", "won", "conversion_rate", "touches", "touches_per_lead",
        "recommended_touches", "touches_as_recommended", "leads_as_recommended",
        "won_as_recommended", "conversion_rate_as_recommended"]
    counts = ["method", "content", "leads", "won", "touches", "recommended_touches",
              "touches_as_recommended", "leads_as_recommended", "won_as_recommended"]
    assert [tuple(r) for r in table[counts].itertuples(index=False)] == [
        ("none", None, 1, 0, 0, 0, 0, 0, 0),
        ("phone", None, 1, 0, 1, 0, 1, 1, 0),
        ("phone", "needs_questions", 3, 2, 4, 5, 3, 3, 2),
        ("phone", "offer", 2, 2, 2, 4, 2, 2, 2),
        ("phone", "updates", 0, 0, 0, 1, 0, 0, 0),
        ("visit", "demonstration", 1, 0, 1, 0, 0, 0, 0),
        ("wechat", "brochure", 2, 1, 2, 0, 0, 0, 0)]
    assert table["conversion_rate_as_recommended"][2] == pytest.approx(2 / 3)
    assert np.isnan(table["conversion_rate"][4])
    same(table, reference.effectiveness_next_to_playbook(leads, touches, policy, as_of=AS_OF))
    # The columns without the policy are the plain action view's.
    same(table[table["leads"] > 0].iloc[:, :7].reset_index(drop=True),
         leadkit.effectiveness(leads, touches, view="action", as_of=AS_OF))


@pytest.mark.parametrize("preset", PRESETS)
def test_action_view_next_to_the_playbook_matches_the_reference(preset):
    """Generated data under every preset's playbook, against the single-task form of the
    playbook called touch by touch; any thread count and any split merged."""
    policy = leadkit.Policy.preset(preset)
    data = leadkit.synth.generate(leads=120, dealers=3, seed=11, grades=tuple(policy.grades))
    leads, touches = data.leads, data.touches
    touches = touches.drop_duplicates(["lead_id", "at"]).reset_index(drop=True)
    as_of = leads["created_at"].quantile(0.8)
    expected = reference.effectiveness_next_to_playbook(leads, touches, policy, as_of=as_of)
    assert expected["touches_as_recommended"].sum() > 0
    for threads in (1, 3):
        same(leadkit.effectiveness(leads, touches, view="action", as_of=as_of, policy=policy,
                                   threads=threads), expected)
    half = set(leads["lead_id"][::2])
    states = [EffectivenessState("action", playbook=True).add(
        leads[leads["lead_id"].isin(ids)], touches[touches["lead_id"].isin(ids)],
        as_of=as_of, policy=policy)
        for ids in (half, set(leads["lead_id"]) - half)]
    merged = pickle.loads(pickle.dumps(states[1] + states[0]))
    assert merged.playbook
    same(merged.finalize(), expected)


def test_action_view_next_to_the_playbook_bad_arguments():
    leads, touches, policy = playbook_example()
    with pytest.raises(ValueError, match="only the action view"):
        leadkit.effectiveness(leads, touches, view="interval", as_of=AS_OF, policy=policy)
    with pytest.raises(ValueError, match="needs the policy"):
        EffectivenessState("action", playbook=True).add(leads, touches, as_of=AS_OF)
    with pytest.raises(ValueError, match="only the action view"):
        EffectivenessState("method_mix", playbook=True)
    with pytest.raises(TypeError, match="playbook"):
        EffectivenessState("action", playbook="yes")
    with pytest.raises(ValueError, match="cannot merge"):
        EffectivenessState("action") + EffectivenessState("action", playbook=True)
    # A grade_after that is not the policy's names the touch.
    bad = touches.assign(grade_after=touches["grade_after"].replace({"hot": "warm"}))
    with pytest.raises(ValueError, match='touches row 9.*lead_id "E7".*grade_after "warm"'):
        leadkit.effectiveness(leads, bad, view="action", as_of=AS_OF, policy=policy)
    assert repr(EffectivenessState("action", playbook=True)).endswith("playbook=True)")
