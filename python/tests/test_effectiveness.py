"""leadkit.effectiveness: conversion by follow-up method mix and by follow-up interval."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
import leadkit.synth
from leadkit import Scope
from times import SH, ts


AS_OF = ts("2024-06-20 12:00")


def example():
    """The hand-worked example of docs/kpis.md."""
    leads = pd.DataFrame({
        "lead_id": ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"],
        "created_at": [ts("2024-06-01 09:00"), ts("2024-06-02 09:00"), ts("2024-06-03 09:00"),
                       ts("2024-06-05 09:00"), ts("2024-06-06 09:00"), ts("2024-06-07 09:00"),
                       ts("2024-06-08 09:00"), ts("2024-06-21 09:00")],
        "dealer_id": ["D1", "D1", "D2", "D2", None, "D1", "D3", "D1"],
        "status": ["won", "open", "won", "lost", None, "invalid", "won", None],
        "won_at": [ts("2024-06-10 10:00"), pd.NaT, ts("2024-06-25 10:00"), pd.NaT, pd.NaT,
                   pd.NaT, pd.NaT, pd.NaT],
    })
    touches = pd.DataFrame({
        "lead_id": ["E1", "E1", "E1", "E2", "E2", "E3", "E3", "E4", "E6", "E7", "E7", "E7"],
        "at": [ts("2024-06-01 10:00"), ts("2024-06-03 10:00"), ts("2024-06-05 10:00"),
               ts("2024-06-02 10:00"), ts("2024-06-12 10:00"),
               ts("2024-06-03 11:00"), ts("2024-06-04 11:00"),
               ts("2024-06-06 10:00"), ts("2024-06-07 10:00"),
               ts("2024-06-08 10:00"), ts("2024-06-08 22:00"), ts("2024-06-21 10:00")],
        "method": ["phone", "wechat", "phone", "phone", "phone", "wechat", "phone", "visit",
                   "phone", "phone", "phone", "phone"],
    })
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2", "D3"], "region_id": ["R1", "R2", "R1"]})
    return leads, touches, dealers


def rows(frame):
    """The rows as plain tuples (NaN kept as NaN), for comparisons."""
    return [tuple(r) for r in frame.itertuples(index=False)]


def same_rows(actual, expected):
    assert len(actual) == len(expected), (actual, expected)
    for got, want in zip(actual, expected):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            if isinstance(w, float) and math.isnan(w):
                assert isinstance(g, float) and math.isnan(g), (got, want)
            elif isinstance(w, float):
                assert g == pytest.approx(w), (got, want)
            else:
                assert g == w, (got, want)


# --- the hand-worked example -----------------------------------------------------------------

def test_method_mix_by_hand():
    leads, touches, _ = example()
    out = leadkit.effectiveness(leads, touches, as_of=AS_OF)
    assert list(out.columns) == ["method_mix", "leads", "won", "conversion_rate", "touches",
                                 "touches_per_lead"]
    # E5 untouched; E2 and E7 phone only (E7's won_at unknown: won; its 06-21 touch is after
    # as_of); E1 won and E3 won only after as_of; E4 one visit; E6 invalid, E8 too new.
    same_rows(rows(out), [
        ("none", 1, 0, 0.0, 0, 0.0),
        ("phone", 2, 1, 0.5, 4, 2.0),
        ("phone+wechat", 2, 1, 0.5, 5, 2.5),
        ("visit", 1, 0, 0.0, 1, 1.0),
    ])


def test_interval_by_hand():
    leads, touches, _ = example()
    out = leadkit.effectiveness(leads, touches, view="interval", as_of=AS_OF)
    # E1: 4 days over 2 gaps = 2 d; E3: exactly 1 d (a bucket holds its lower bound);
    # E7: 12 h = 0.5 d; E2: 10 d.
    same_rows(rows(out), [
        ("no_touch", 1, 0, 0.0, 0, 0.0),
        ("single_touch", 1, 0, 0.0, 1, 1.0),
        ("<1d", 1, 1, 1.0, 2, 2.0),
        ("1-3d", 2, 1, 0.5, 5, 2.5),
        ("3-7d", 0, 0, math.nan, 0, math.nan),
        ("7-14d", 1, 0, 0.0, 2, 2.0),
        ("14-30d", 0, 0, math.nan, 0, math.nan),
        ("30d+", 0, 0, math.nan, 0, math.nan),
    ])


def test_custom_interval_buckets():
    leads, touches, _ = example()
    out = leadkit.effectiveness(leads, touches, view="interval", as_of=AS_OF,
                                interval_buckets=[0.5, 5])
    # E7's 0.5 d is in 0.5-5d with E1 (2 d) and E3 (1 d); E2's 10 d is 5d+.
    assert list(out["interval"]) == ["no_touch", "single_touch", "<0.5d", "0.5-5d", "5d+"]
    assert list(out["leads"]) == [1, 1, 0, 3, 1]
    assert list(out["won"]) == [0, 0, 0, 2, 0]


def test_default_as_of_is_the_latest_timestamp():
    leads, touches, _ = example()
    # The latest timestamp is E3's won_at (06-25 10:00): E3 counts as won, E8 and the 06-21
    # touch of E7 come in.
    out = leadkit.effectiveness(leads, touches)
    by_mix = out.set_index("method_mix")
    assert by_mix.loc["phone+wechat", "won"] == 2
    assert by_mix.loc["none", "leads"] == 2  # E5 and E8
    assert by_mix.loc["phone", "touches"] == 5


def test_naive_timestamps_need_tz():
    leads, touches, _ = example()
    naive = leads.assign(created_at=leads["created_at"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="leads.created_at: timestamps without a time zone"):
        leadkit.effectiveness(naive, touches, as_of=AS_OF)
    touches_naive = touches.assign(at=touches["at"].dt.tz_localize(None))
    won_naive = naive.assign(won_at=naive["won_at"].dt.tz_localize(None))
    out = leadkit.effectiveness(won_naive, touches_naive, as_of="2024-06-20 12:00", tz=SH)
    pd.testing.assert_frame_equal(out, leadkit.effectiveness(leads, touches, as_of=AS_OF))


def test_categorical_and_arrow_inputs_read_the_same():
    pa = pytest.importorskip("pyarrow")
    leads, touches, _ = example()
    expected = leadkit.effectiveness(leads, touches, as_of=AS_OF)
    categorical = touches.assign(method=touches["method"].astype("category"))
    pd.testing.assert_frame_equal(leadkit.effectiveness(leads, categorical, as_of=AS_OF),
                                  expected)
    arrow = leadkit.effectiveness(pa.Table.from_pandas(leads), pa.Table.from_pandas(touches),
                                  as_of=AS_OF)
    pd.testing.assert_frame_equal(arrow, expected)


# --- scopes ------------------------------------------------------------------------------------

def test_dealer_scope_sees_its_own_leads():
    leads, touches, dealers = example()
    out = leadkit.effectiveness(leads, touches, as_of=AS_OF, scope=Scope.dealer("D2"))
    # E3 (phone+wechat, won after as_of) and E4 (one visit).
    same_rows(rows(out), [("phone+wechat", 1, 0, 0.0, 2, 2.0), ("visit", 1, 0, 0.0, 1, 1.0)])


def test_region_scope_goes_through_the_dealers_table():
    leads, touches, dealers = example()
    out = leadkit.effectiveness(leads, touches, as_of=AS_OF, scope=Scope.region("R1"),
                                dealers=dealers)
    # D1 and D3: E1, E2, E7 (E6 invalid, E8 too new); E5 has no dealer: HQ only.
    same_rows(rows(out), [("phone", 2, 1, 0.5, 4, 2.0), ("phone+wechat", 1, 1, 1.0, 3, 3.0)])


def test_leads_without_a_dealer_only_at_hq():
    leads, touches, dealers = example()
    hq = leadkit.effectiveness(leads, touches, as_of=AS_OF, scope=Scope.hq())
    assert "none" in set(hq["method_mix"])
    for region in ("R1", "R2"):
        out = leadkit.effectiveness(leads, touches, as_of=AS_OF, scope=Scope.region(region),
                                    dealers=dealers)
        assert "none" not in set(out["method_mix"])


def test_empty_scope_gives_zero_counts_and_nan_rates():
    leads, touches, dealers = example()
    interval = leadkit.effectiveness(leads, touches, view="interval", as_of=AS_OF,
                                     scope=Scope.dealer("D9"), dealers=pd.concat(
                                         [dealers, pd.DataFrame({"dealer_id": ["D9"],
                                                                 "region_id": ["R3"]})]))
    assert len(interval) == 8
    assert interval["leads"].sum() == 0 and interval["touches"].sum() == 0
    assert interval["conversion_rate"].isna().all()
    mix = leadkit.effectiveness(leads, touches, as_of=AS_OF, scope=Scope.region("R3"),
                                dealers=pd.concat([dealers, pd.DataFrame(
                                    {"dealer_id": ["D9"], "region_id": ["R3"]})]))
    assert list(mix.columns)[0] == "method_mix" and len(mix) == 0


def test_unknown_scope_ids_are_key_errors():
    leads, touches, dealers = example()
    with pytest.raises(KeyError, match="unknown dealer 'D7'"):
        leadkit.effectiveness(leads, touches, as_of=AS_OF, scope=Scope.dealer("D7"))
    with pytest.raises(KeyError, match="unknown region 'R9'"):
        leadkit.effectiveness(leads, touches, as_of=AS_OF, scope=Scope.region("R9"),
                              dealers=dealers)
    with pytest.raises(ValueError, match="needs the dealers table"):
        leadkit.effectiveness(leads, touches, as_of=AS_OF, scope=Scope.region("R1"))


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("table, change, message", [
    ("leads", lambda l: l.drop(columns="created_at"),
     'leads: missing required column "created_at"'),
    ("leads", lambda l: l.assign(status=["won", "open", "won", "lost", None, "invalid", "wonn",
                                         None]),
     'leads row 6: lead_id "E7": unknown status "wonn" (open, won, lost, invalid)'),
    ("leads", lambda l: l.assign(lead_id=["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E2"]),
     'leads row 7: lead_id "E2" is given twice (first at row 1)'),
    ("leads", lambda l: l.assign(created_at=l["created_at"].where(l["lead_id"] != "E4")),
     'leads row 3: lead_id "E4": created_at is null'),
    ("leads", lambda l: l.assign(created_at=l["created_at"].astype(str)),
     "leads.created_at: lead_id='E1' (row 0) has '2024-06-01 09:00:00+08:00' (str); "
     "expected a timestamp"),
    ("leads", lambda l: l.assign(lead_id=range(8)), "leads.lead_id"),
    ("touches", lambda t: t.rename(columns={"method": "metod"}),
     'touches: missing required column "method"; did you mean "metod"?'),
    ("touches", lambda t: t.assign(lead_id=t["lead_id"].replace("E4", "E9")),
     'touches row 7: lead_id "E9" is not in the leads'),
    ("touches", lambda t: t.assign(method=t["method"].where(t.index != 3)),
     'touches row 3: lead_id "E2": method is null'),
    ("touches", lambda t: t.assign(method=t["method"].replace("visit", "phone+visit")),
     'touches row 7: lead_id "E4": method "phone+visit" cannot name a method'),
    ("touches", lambda t: t.assign(at=t["at"].where(t.index != 0)),
     'touches row 0: lead_id "E1": at is null'),
    ("touches", lambda t: t.assign(at=t["at"].where(t.index != 0, ts("2024-06-01 08:00"))),
     "touches row 0: lead_id \"E1\": at 2024-06-01T00:00:00Z is before the lead's created_at "
     "2024-06-01T01:00:00Z"),
])
def test_bad_input_names_table_row_id_and_value(table, change, message):
    leads, touches, _ = example()
    if table == "leads":
        leads = change(leads)
    else:
        touches = change(touches)
    with pytest.raises(ValueError) as caught:
        leadkit.effectiveness(leads, touches, as_of=AS_OF)
    assert message in str(caught.value)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"view": "intervals"}, ValueError, 'did you mean "interval"'),
    ({"interval_buckets": [3, 1]}, ValueError, "bounds must increase, but 1 follows 3"),
    ({"interval_buckets": [0, 1]}, ValueError, "0 is not a positive number of days"),
    ({"interval_buckets": []}, ValueError, "at least one bound"),
    ({"interval_buckets": "1,3"}, TypeError, "expected a sequence of day bounds"),
    ({"interval_buckets": [1, "3"]}, TypeError, "'3' is not a number of days"),
    ({"interval_buckets": [1, float("nan")]}, ValueError, "nan is not a positive number"),
    ({"as_of": pd.Timestamp("2024-06-20 12:00")}, ValueError, "as_of: naive time"),
])
def test_bad_arguments(kwargs, error, message):
    leads, touches, _ = example()
    kwargs = {"as_of": AS_OF, **kwargs}
    with pytest.raises(error, match=message):
        leadkit.effectiveness(leads, touches, **kwargs)


def test_not_a_table_is_a_type_error():
    _, touches, _ = example()
    with pytest.raises(TypeError, match="leads: expected a pandas DataFrame"):
        leadkit.effectiveness("leads.csv", touches, as_of=AS_OF)


def test_empty_tables_need_as_of():
    leads, touches, _ = example()
    with pytest.raises(ValueError, match="as_of: the inputs hold no timestamp"):
        leadkit.effectiveness(leads.iloc[:0], touches.iloc[:0])
    out = leadkit.effectiveness(leads.iloc[:0], touches.iloc[:0], view="interval", as_of=AS_OF)
    assert out["leads"].sum() == 0 and len(out) == 8


# --- merge property and an independent plain reference ---------------------------------------

BASE = ts("2024-06-01 00:00")
METHODS = ["phone", "wechat", "sms", "visit"]

_lead = st.fixed_dictionaries({
    "created_h": st.integers(0, 400),
    "status": st.sampled_from([None, "open", "won", "lost", "invalid"]),
    "won_h": st.one_of(st.none(), st.integers(0, 600)),
    "dealer": st.sampled_from(["D1", "D2", "D3", None]),
    "touches": st.lists(st.tuples(st.integers(0, 900), st.sampled_from(METHODS)), max_size=5),
    "part": st.integers(0, 3),
})


def build(specs):
    """Tables from generated lead specs; touch hours count from the lead's creation."""
    zoned = f"datetime64[ns, {SH}]"
    leads = pd.DataFrame({
        "lead_id": pd.Series([f"P{i:03d}" for i in range(len(specs))], dtype=object),
        "created_at": pd.Series([BASE + pd.Timedelta(hours=s["created_h"]) for s in specs],
                                dtype=zoned),
        "status": pd.Series([s["status"] for s in specs], dtype=object),
        "won_at": pd.Series([pd.NaT if s["won_h"] is None
                             else BASE + pd.Timedelta(hours=s["won_h"]) for s in specs],
                            dtype=zoned),
        "dealer_id": pd.Series([s["dealer"] for s in specs], dtype=object),
    })
    touch_rows = [(f"P{i:03d}", BASE + pd.Timedelta(hours=s["created_h"] + h), m)
                  for i, s in enumerate(specs) for h, m in s["touches"]]
    touches = pd.DataFrame({
        "lead_id": pd.Series([r[0] for r in touch_rows], dtype=object),
        "at": pd.Series([r[1] for r in touch_rows], dtype=zoned),
        "method": pd.Series([r[2] for r in touch_rows], dtype=object),
    })
    return leads, touches


def plain_reference(specs, as_of_h, view, dealer=None, bounds=(1, 3, 7, 14, 30)):
    """The report by a plain loop over the leads, following docs/kpis.md word by word."""
    labels = ["no_touch", "single_touch", f"<{bounds[0]}d",
              *[f"{a}-{b}d" for a, b in zip(bounds, bounds[1:])], f"{bounds[-1]}d+"]
    sums = {} if view == "method_mix" else {label: [0, 0, 0] for label in labels}
    for s in specs:
        if s["created_h"] > as_of_h or s["status"] == "invalid":
            continue
        if dealer is not None and s["dealer"] != dealer:
            continue
        hours = sorted(s["created_h"] + h for h, _ in s["touches"]
                       if s["created_h"] + h <= as_of_h)
        methods = sorted({m for h, m in s["touches"] if s["created_h"] + h <= as_of_h})
        won = s["status"] == "won" and (s["won_h"] is None or s["won_h"] <= as_of_h)
        if view == "method_mix":
            key = "+".join(methods) if methods else "none"
        elif len(hours) == 0:
            key = "no_touch"
        elif len(hours) == 1:
            key = "single_touch"
        else:
            gaps = [b - a for a, b in zip(hours, hours[1:])]
            days = sum(gaps) / len(gaps) / 24
            key = labels[-1]
            for position, bound in enumerate(bounds):
                if days < bound:
                    key = labels[2 + position]
                    break
        entry = sums.setdefault(key, [0, 0, 0])
        entry[0] += 1
        entry[1] += int(won)
        entry[2] += len(hours)
    keys = sorted(sums) if view == "method_mix" else labels
    return [(k, sums[k][0], sums[k][1], sums[k][1] / sums[k][0] if sums[k][0] else math.nan,
             sums[k][2], sums[k][2] / sums[k][0] if sums[k][0] else math.nan) for k in keys]


@settings(max_examples=60, deadline=None)
@given(st.lists(_lead, max_size=14), st.integers(0, 700),
       st.sampled_from(["method_mix", "interval"]), st.sampled_from([None, "D1", "D2"]))
def test_matches_a_plain_reference(specs, as_of_h, view, dealer):
    leads, touches = build(specs)
    if dealer is not None and dealer not in set(leads["dealer_id"].dropna()):
        return
    scope = Scope.dealer(dealer) if dealer else None
    out = leadkit.effectiveness(leads, touches, view=view, scope=scope,
                                as_of=BASE + pd.Timedelta(hours=as_of_h))
    same_rows(rows(out), plain_reference(specs, as_of_h, view, dealer))


@settings(max_examples=60, deadline=None)
@given(st.lists(_lead, min_size=1, max_size=14), st.integers(0, 700),
       st.sampled_from(["method_mix", "interval"]))
def test_any_split_merged_equals_the_whole(specs, as_of_h, view):
    leads, touches = build(specs)
    as_of = BASE + pd.Timedelta(hours=as_of_h)
    whole = leadkit.effectiveness(leads, touches, view=view, as_of=as_of)
    parts = np.array([s["part"] for s in specs])
    states = []
    with pytest.warns(DeprecationWarning, match="use leadkit.EffectivenessState"):
        for part in range(4):
            ids = set(leads["lead_id"][parts == part])
            states.append(leadkit.effectiveness_state(
                leads[leads["lead_id"].isin(ids)], touches[touches["lead_id"].isin(ids)],
                as_of=as_of, view=view))
        merged = leadkit.effectiveness_finalize(leadkit.effectiveness_merge(states[::-1]))
    pd.testing.assert_frame_equal(merged, whole)


def test_state_helpers():
    # The state functions are deprecated aliases of leadkit.EffectivenessState.
    with pytest.warns(DeprecationWarning, match="use leadkit.EffectivenessState"):
        leads, touches, _ = example()
        state = leadkit.effectiveness_state(leads, touches, as_of=AS_OF, view="interval")
        assert list(state.columns) == ["interval", "leads", "won", "touches"]
        assert list(state["leads"]) == [1, 1, 1, 2, 0, 1, 0, 0]
        with pytest.raises(ValueError, match="needs an explicit as_of"):
            leadkit.effectiveness_state(leads, touches, as_of=None)
        mix = leadkit.effectiveness_state(leads, touches, as_of=AS_OF)
        with pytest.raises(ValueError, match="a method_mix state cannot merge with a interval"):
            leadkit.effectiveness_merge([state, mix])
        other = leadkit.effectiveness_state(leads, touches, as_of=AS_OF, view="interval",
                                            interval_buckets=[2])
        with pytest.raises(ValueError, match="interval buckets"):
            leadkit.effectiveness_merge([state, other])
        with pytest.raises(ValueError, match="nothing to merge"):
            leadkit.effectiveness_merge([])
        with pytest.raises(ValueError, match="not an effectiveness state"):
            leadkit.effectiveness_merge([state.drop(columns="won")])
        with pytest.raises(TypeError, match="expected a DataFrame"):
            leadkit.effectiveness_finalize({"leads": 1})


def test_synthetic_tables_agree_with_the_reference_counts():
    data = leadkit.synth.generate(leads=400, seed=5)
    as_of = data.leads["created_at"].max()
    mix = leadkit.effectiveness(data.leads, data.touches, as_of=as_of)
    interval = leadkit.effectiveness(data.leads, data.touches, view="interval", as_of=as_of)
    counted = data.leads[(data.leads["status"] != "invalid")
                         & (data.leads["created_at"] <= as_of)]
    assert mix["leads"].sum() == interval["leads"].sum() == len(counted)
    in_time = data.touches[(data.touches["at"] <= as_of)
                           & data.touches["lead_id"].isin(set(counted["lead_id"]))]
    assert mix["touches"].sum() == interval["touches"].sum() == len(in_time)
