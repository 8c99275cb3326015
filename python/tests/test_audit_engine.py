"""The audit engine (leadkit.AuditState, C++) against the pandas reference it replaced
(reference_audit.py): the same tables on the hand-worked example of docs/kpis.md, on generated
data for every preset, for any thread count and any split of the leads merged in any order;
and the state class itself."""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
import leadkit.synth
import reference_audit as reference
import surface
from leadkit import AuditState, Policy, Scope
from leadkit.reports import _audit
from test_audit import AS_OF, EXPECTED, OABC, example, rows


def same(engine, expected):
    pd.testing.assert_frame_equal(engine, expected, check_exact=True)


# --- the hand-worked example -----------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {},
    {"as_of": None},
    {"as_of": pd.Timestamp("2024-06-18 10:00", tz="Asia/Shanghai")},
    {"scope": Scope.dealer("D2")},
    {"scope": Scope.dealer("D1")},
    {"scope": Scope.region("R1"), "dealers": True},
    {"scope": Scope.hq(), "dealers": True},
])
def test_example_matches_the_reference(kwargs):
    leads, touches, dealers = example()
    kwargs = {"as_of": AS_OF, **kwargs}
    if kwargs.get("dealers") is True:
        kwargs["dealers"] = dealers
    same(leadkit.audit(leads, touches, OABC, **kwargs),
         reference.audit(leads, touches, OABC, **kwargs))


def test_empty_tables_match_the_reference():
    leads, touches, _ = example()
    same(leadkit.audit(leads.iloc[:0], touches.iloc[:0], OABC, as_of=AS_OF),
         reference.audit(leads.iloc[:0], touches.iloc[:0], OABC, as_of=AS_OF))


# --- generated data, every preset ------------------------------------------------------------

def _with_gaps(data, grades):
    """Synthetic tables with the things an audit finds: blank and missing fields, bad and
    shared numbers in several spellings, touches by other consultants."""
    assert {"name", "phone", "model", "consultant_id"} <= set(data.leads.columns)
    leads = data.leads.copy()
    n = len(leads)
    rng = np.random.default_rng(5)
    blanks = np.array([None, "", "  ", "\u3000"], dtype=object)
    for column, share in (("name", 0.05), ("model", 0.05), ("phone", 0.03)):
        picked = rng.random(n) < share
        leads.loc[picked, column] = rng.choice(blanks, picked.sum())
    # The grade the consultant set: one of the policy's, or null.
    leads["grade"] = pd.Series(rng.choice(np.array(grades, dtype=object), n), dtype=object)
    leads.loc[rng.random(n) < 0.1, "grade"] = None
    bad = rng.random(n) < 0.03
    leads.loc[bad, "phone"] = rng.choice(["12345", "8613800138000", "010-12345678"],
                                         bad.sum())
    shared = rng.random(n) < 0.08
    leads.loc[shared, "phone"] = rng.choice(
        ["13800138000", "+86 138-0013-8000", "0086 139 0000 0000", "(021) 5012-3456",
         "0755 2345 6789"], shared.sum())
    touches = data.touches.copy()
    other = rng.random(len(touches)) < 0.05
    touches.loc[other, "consultant_id"] = rng.choice(["X1", "X2", None], other.sum())
    return leads, touches


@pytest.fixture(scope="module", params=Policy.presets())
def generated(request):
    policy = Policy.preset(request.param)
    data = leadkit.synth.generate(leads=2000, dealers=5, seed=7, grades=tuple(policy.grades))
    leads, touches = _with_gaps(data, policy.grades)
    return policy, leads, touches, data.dealers


def test_generated_data_matches_the_reference(generated):
    policy, leads, touches, dealers = generated
    for as_of in (None, leads["created_at"].quantile(0.5)):
        expected = reference.audit(leads, touches, policy, as_of=as_of)
        assert len(expected) > 100
        for threads in (1, 2, 3):
            same(leadkit.audit(leads, touches, policy, as_of=as_of, threads=threads), expected)
    dealer = dealers["dealer_id"].iloc[1]
    region = dealers["region_id"].iloc[0]
    for scope in (Scope.dealer(dealer), Scope.region(region)):
        same(leadkit.audit(leads, touches, policy, scope=scope, dealers=dealers, threads=2),
             reference.audit(leads, touches, policy, scope=scope, dealers=dealers))


def test_a_table_handed_over_in_many_chunks_matches_the_reference(generated, monkeypatch):
    # The engine hands the table over in chunks of rows (_audit._CHUNK_ROWS, a million in
    # use): in chunks of 7 rows, the last one shorter, it is still the reference's table.
    policy, leads, touches, _ = generated
    expected = reference.audit(leads, touches, policy)
    state = AuditState().add(leads, touches, policy)
    out = state._state.finalize(7)
    sizes = [len(codes) for codes in out["finding"]]
    assert sum(sizes) == len(expected) and set(sizes[:-1]) == {7} and 1 <= sizes[-1] <= 7
    assert [len(offsets) - 1 for offsets, _ in out["lead_id"]] == sizes
    assert [len(offsets) - 1 for offsets, _ in out["detail"]] == sizes
    monkeypatch.setattr(_audit, "_CHUNK_ROWS", 7)
    same(state.finalize(), expected)
    with pytest.raises(ValueError, match="chunk_rows: expected 1 or more, got 0"):
        state._state.finalize(0)


def test_more_leads_than_one_block_holds_match_the_reference():
    # The engine writes each thread's leads as blocks of at least 65,536 leads
    # (include/leadkit/audit.h): this batch makes three on one thread, with shuffled ids
    # so that the blocks' leads interleave, and duplicate phones across them.
    policy = Policy.preset("abcd")
    data = leadkit.synth.generate(leads=140_000, dealers=5, seed=11,
                                  grades=tuple(policy.grades), touches_per_lead=1)
    leads, touches = _with_gaps(data, policy.grades)
    rng = np.random.default_rng(5)
    names = dict(zip(leads["lead_id"], rng.permutation(len(leads)).astype(str)))
    leads = leads.assign(lead_id=leads["lead_id"].map(names))
    touches = touches.assign(lead_id=touches["lead_id"].map(names))
    leads.loc[leads.index[::997], "phone"] = "13912345678"
    expected = reference.audit(leads, touches, policy)
    assert (expected["finding"] == "duplicate_phone").sum() >= 140
    same(leadkit.audit(leads, touches, policy), expected)


def test_dealer_calendars_match_the_reference():
    # Dealers judged on calendars of their own (one in Berlin): details stay in the policy's
    # zone, deadlines are each dealer's.
    policy = surface.policy(surface.DEALER_CALENDARS)
    data = surface.generate(policy, leads=400, seed=5)
    leads, touches = _with_gaps(data, policy.grades)
    assert data.dealers["calendar"].notna().any()
    as_of = leads["created_at"].max()
    expected = reference.audit(leads, touches, policy, dealers=data.dealers, as_of=as_of)
    assert (expected["finding"] == "first_contact_late").any()
    same(leadkit.audit(leads, touches, policy, dealers=data.dealers, as_of=as_of, threads=2),
         expected)


# --- any split, merged in any order ----------------------------------------------------------

_SMALL = Policy.preset("abcd")
_DATA = leadkit.synth.generate(leads=240, dealers=3, seed=19, grades=tuple(_SMALL.grades))
_LEADS, _TOUCHES = _with_gaps(_DATA, _SMALL.grades)
_AS_OF = _LEADS["created_at"].max()
_WHOLE = reference.audit(_LEADS, _TOUCHES, _SMALL, as_of=_AS_OF)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=len(_LEADS), max_size=len(_LEADS)),
       st.permutations(range(4)))
def test_any_split_merged_in_any_order_equals_the_whole(part_of, order):
    part_of = np.asarray(part_of)
    states = []
    for part in range(4):
        leads = _LEADS[part_of == part]
        touches = _TOUCHES[_TOUCHES["lead_id"].isin(leads["lead_id"])]
        states.append(AuditState().add(leads, touches, _SMALL, as_of=_AS_OF))
    merged = AuditState()
    for k in order:
        merged = merged + states[k]
    same(merged.finalize(), _WHOLE)
    assert merged == AuditState().add(_LEADS, _TOUCHES, _SMALL, as_of=_AS_OF)


# --- the state class -------------------------------------------------------------------------

def test_state_bytes_pickle_and_merge():
    leads, touches, _ = example()
    first, second = leads.iloc[[0, 2, 4, 6]], leads.iloc[[1, 3, 5]]
    a = AuditState().add(first, touches[touches["lead_id"].isin(first["lead_id"])], OABC,
                         as_of=AS_OF)
    b = AuditState().add(second, touches[touches["lead_id"].isin(second["lead_id"])], OABC,
                         as_of=AS_OF)
    # Apart, A1 and A2 are no duplicates; together they are.
    assert "duplicate_phone" not in set(a.finalize()["finding"])
    assert rows((a + b).finalize()) == EXPECTED
    assert rows((b + a).finalize()) == EXPECTED
    assert AuditState.from_bytes(a.to_bytes()) == a
    assert pickle.loads(pickle.dumps(a + b)) == a + b
    assert rows(a.finalize()) == rows(AuditState.from_bytes(a.to_bytes()).finalize())
    merged = AuditState().merge(a).merge(b)
    assert merged == a + b
    # + leaves its operands alone.
    assert "duplicate_phone" not in set(a.finalize()["finding"])


def test_bad_bytes_are_a_value_error():
    data = AuditState().add(*example()[:2], OABC, as_of=AS_OF).to_bytes()
    with pytest.raises(ValueError, match="bad header"):
        AuditState.from_bytes(b"nonsense")
    with pytest.raises(ValueError, match="audit state bytes"):
        AuditState.from_bytes(data[:-1])
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x40
    with pytest.raises(ValueError, match="audit state bytes"):
        AuditState.from_bytes(bytes(changed))


def test_threads_must_be_a_positive_integer():
    leads, touches, _ = example()
    with pytest.raises(ValueError, match="threads: expected 1 or more, got 0"):
        leadkit.audit(leads, touches, OABC, as_of=AS_OF, threads=0)
    with pytest.raises(TypeError, match="threads: expected an integer"):
        leadkit.audit(leads, touches, OABC, as_of=AS_OF, threads=1.5)


def test_merge_takes_only_an_audit_state():
    with pytest.raises(TypeError, match="expected a leadkit.AuditState"):
        AuditState().merge("state")


# --- phones at rest: keyed hashes ------------------------------------------------------------

KEY = bytes(range(16))
OTHER_KEY = bytes(range(16, 32))


def _halves(phone_key=None):
    leads, touches, _ = example()
    first, second = leads.iloc[[0, 2, 4, 6]], leads.iloc[[1, 3, 5]]
    return [AuditState(phone_key=phone_key).add(
        part, touches[touches["lead_id"].isin(part["lead_id"])], OABC, as_of=AS_OF)
        for part in (first, second)]


@pytest.mark.parametrize("phone_key", [None, KEY])
def test_state_bytes_hold_no_phone_number(phone_key):
    """The example's phones (docs/kpis.md, audit): A1 and A2 share 138 0013 8000; the bytes
    hold that number masked, as the detail shows it, and no number."""
    leads, touches, _ = example()
    state = AuditState(phone_key=phone_key).add(leads, touches, OABC, as_of=AS_OF)
    data = state.to_bytes()
    assert data[:6] == b"LKAUD2"
    assert b"138****8000" in data
    for number in leads["phone"].dropna():
        digits = "".join(c for c in number if c.isdigit())
        assert digits.encode() not in data, number
        assert digits[-8:].encode() not in data, number
    assert rows(state.finalize()) == EXPECTED
    assert rows(leadkit.audit(leads, touches, OABC, as_of=AS_OF,
                              phone_key=phone_key)) == EXPECTED


def test_states_merge_only_under_one_key():
    a, b = _halves(KEY)
    assert rows((a + b).finalize()) == EXPECTED
    with pytest.raises(ValueError, match="different phone_keys"):
        a + _halves(OTHER_KEY)[1]
    with pytest.raises(ValueError, match="different phone_keys"):
        a + _halves()[1]
    with pytest.raises(ValueError, match="16 bytes"):
        AuditState(phone_key=b"short")
    with pytest.raises(TypeError, match="phone_key"):
        AuditState(phone_key="0123456789abcdef")


def test_keyed_bytes_restore_with_or_without_their_key():
    a, b = _halves(KEY)
    data = a.to_bytes()
    # Without the key: merges and finalizes (pickles the same way), but cannot add.
    restored = AuditState.from_bytes(data)
    assert rows((restored + b).finalize()) == EXPECTED
    assert pickle.loads(pickle.dumps(a)) == a
    leads, touches, _ = example()
    second = leads.iloc[[1, 3, 5]]
    second_touches = touches[touches["lead_id"].isin(second["lead_id"])]
    with pytest.raises(ValueError, match="restored from bytes made under a phone_key"):
        AuditState.from_bytes(data).add(second, second_touches, OABC, as_of=AS_OF)
    # With it: adds too.
    with_key = AuditState.from_bytes(data, phone_key=KEY).add(second, second_touches, OABC,
                                                               as_of=AS_OF)
    assert rows(with_key.finalize()) == EXPECTED
    with pytest.raises(ValueError, match="another phone_key"):
        AuditState.from_bytes(data, phone_key=OTHER_KEY)
