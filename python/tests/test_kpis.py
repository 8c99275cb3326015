import json
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import leadkit
from leadkit import Policy, Scope

from kpi_reference import reference_kpis
from texts import rows, texts
from times import ts

OABC = Policy.preset("oabc")
AS_OF = ts("2024-06-20 12:00")


def example():
    """The hand-worked example of docs/kpis.md."""
    leads = pd.DataFrame({
        "lead_id": ["K1", "K2", "K3", "K4", "K5", "K6"],
        "created_at": [ts("2024-06-10 09:00"), ts("2024-06-10 09:00"), ts("2024-06-18 09:00"),
                       ts("2024-06-20 11:30"), ts("2024-06-01 09:00"), ts("2024-06-21 09:00")],
        "channel": ["website", "showroom", "website", "website", "website", "website"],
        "dealer_id": ["D1", "D2", "D1", None, "D1", "D1"],
        "entered_at": [ts("2024-06-10 10:00"), pd.NaT, ts("2024-06-19 10:00"), pd.NaT, pd.NaT,
                       pd.NaT],
        "status": [None, "won", "lost", None, "invalid", None],
        "won_at": [pd.NaT, ts("2024-06-12 12:00"), pd.NaT, pd.NaT, pd.NaT, pd.NaT],
        "lost_at": [pd.NaT, pd.NaT, ts("2024-06-19 10:00"), pd.NaT, pd.NaT, pd.NaT],
        "lost_review": [None, None, "approved", None, None, None],
        "purchase_within_days": [10, 20, None, None, None, None],
    })
    touches = pd.DataFrame({
        "lead_id": ["K1", "K1", "K1", "K2", "K2"],
        "at": [ts("2024-06-10 09:30"), ts("2024-06-12 09:00"), ts("2024-06-15 09:00"),
               ts("2024-06-10 12:00"), ts("2024-06-11 10:00")],
        "method": ["phone"] * 5})
    surveys = pd.DataFrame({
        "lead_id": ["K1", "K1", "K2", "K2", "K3", "K4"],
        "at": [ts("2024-06-15 10:00"), ts("2024-06-16 10:00"), ts("2024-06-13 10:00"),
               ts("2024-06-13 10:00"), ts("2024-06-25 10:00"), ts("2024-06-20 11:45")],
        "satisfied": [True, False, True, False, True, True]})
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2", "D3"], "region_id": ["R1", "R2", "R1"]})
    return leads, touches, surveys, dealers


def test_the_hand_worked_example():
    leads, touches, surveys, _ = example()
    k = leadkit.kpis(leads, touches, OABC, surveys=surveys, as_of=AS_OF)
    assert list(k.columns) == leadkit.KPI_COLUMNS
    row = k.iloc[0]
    assert (row.leads, row.invalid, row.won, row.lost) == (4, 1, 1, 1)
    assert (row.entered_on_time, row.first_contacts_due, row.first_contact_on_time) == (3, 3, 1)
    assert (row.follow_ups_due, row.follow_ups_on_time, row.timely_leads) == (3, 1, 1)
    assert (row.surveyed, row.satisfied) == (3, 1)
    assert row.conversion_rate == 0.25 and row.timeliness_rate == 0.25
    assert (row.first_contact_minutes_p50, row.first_contact_minutes_p90) == (30, 180)
    pd.testing.assert_frame_equal(k, reference_kpis(leads, touches, surveys, OABC, AS_OF),
                                  check_dtype=False)


def test_groups_in_sorted_order_with_null_keys_kept():
    leads, touches, surveys, dealers = example()
    k = leadkit.kpis(leads, touches, OABC, surveys=surveys, dealers=dealers,
                     by=["region_id", "channel"], as_of=AS_OF)
    # Keys keep the inputs' dtype (pandas' str here: a null key is NaN); read as text.
    assert [tuple(r) for r in rows(k[["region_id", "channel"]])] == [
        ("R1", "website"), ("R2", "showroom"), (None, "website")]
    assert list(k["leads"]) == [2, 1, 1]
    by_dealer = leadkit.kpis(leads, touches, OABC, by="dealer_id", as_of=AS_OF)
    assert texts(by_dealer["dealer_id"]) == ["D1", "D2", None]


def test_default_as_of_is_the_latest_timestamp():
    leads, touches, surveys, _ = example()
    # The latest timestamp is K6's creation (2024-06-21 09:00) or the 06-25 survey.
    default = leadkit.kpis(leads, touches, OABC, surveys=surveys)
    assert default.equals(leadkit.kpis(leads, touches, OABC, surveys=surveys,
                                       as_of=ts("2024-06-25 10:00")))


@pytest.mark.parametrize("by", [None, "channel", "dealer_id", "grade", "current_grade", "month",
                                "week", "region_id", ["channel", "month"]])
@pytest.mark.parametrize("scope", [Scope.hq(), Scope.region("R1"), Scope.region("R2"),
                                   Scope.dealer("D1"), Scope.dealer("D3")])
def test_a_scope_is_exactly_its_leads(by, scope):
    leads, touches, surveys, dealers = example()
    scoped = leadkit.kpis(leads, touches, OABC, surveys=surveys, dealers=dealers, by=by,
                          scope=scope, as_of=AS_OF)
    if scope.kind == "hq":
        mine = leads
    else:
        ids = ({scope.id} if scope.kind == "dealer"
               else set(dealers.loc[dealers["region_id"] == scope.id, "dealer_id"]))
        mine = leads[leads["dealer_id"].isin(ids)]
    keep = lambda t: t[t["lead_id"].isin(mine["lead_id"])]  # noqa: E731
    alone = leadkit.kpis(mine, keep(touches), OABC, surveys=keep(surveys), dealers=dealers,
                         by=by, as_of=AS_OF)
    pd.testing.assert_frame_equal(scoped, alone)
    if scope == Scope.dealer("D3"):  # a dealer with no leads: nothing, never others' data
        assert scoped["leads"].sum() == 0
        if by is None:
            assert np.isnan(scoped["conversion_rate"][0])


def test_unknown_scope_ids_are_key_errors():
    leads, touches, surveys, dealers = example()
    with pytest.raises(KeyError, match="unknown region 'R9'"):
        leadkit.kpis(leads, touches, OABC, dealers=dealers, scope=Scope.region("R9"))
    with pytest.raises(KeyError, match="unknown dealer 'D9'"):
        leadkit.kpis(leads, touches, OABC, dealers=dealers, scope=Scope.dealer("D9"))
    with pytest.raises(ValueError, match="needs the dealers table"):
        leadkit.kpis(leads, touches, OABC, scope=Scope.region("R1"))


@pytest.mark.parametrize("change, message", [
    (lambda l, t, s: l.drop(columns="created_at"), 'leads: missing required column "created_at"'),
    (lambda l, t, s: t.rename(columns={"at": "time"}), 'touches: missing required column "at"'),
    (lambda l, t, s: l.assign(lead_id=["K1", "K1", "K3", "K4", "K5", "K6"]),
     'lead_id "K1" is given twice'),
    (lambda l, t, s: t.assign(lead_id=["K1", "K1", "K1", "K2", "K9"]),
     'touches row 4: lead_id "K9" is not in the leads'),
    (lambda l, t, s: t.assign(at=[ts("2024-06-01 09:30")] + list(t["at"][1:])),
     "is before the lead's created_at"),
    (lambda l, t, s: l.assign(status=["opne", "won", "lost", None, "invalid", None]),
     'unknown status "opne"'),
    (lambda l, t, s: s.assign(lead_id=["K1", "K1", "K2", "K2", "K3", "K8"]),
     'surveys row 5: lead_id "K8" is not in the leads'),
])
def test_bad_input_names_table_row_id_and_value(change, message):
    leads, touches, surveys, _ = example()
    changed = change(leads, touches, surveys)
    if "touches" in message or "is before" in message:
        touches = changed
    elif "surveys" in message:
        surveys = changed
    else:
        leads = changed
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        leadkit.kpis(leads, touches, OABC, surveys=surveys, as_of=AS_OF)


def test_by_names_are_checked():
    leads, touches, surveys, _ = example()
    with pytest.raises(ValueError, match="by: cannot group by 'chanel'; did you mean \"channel\""):
        leadkit.kpis(leads, touches, OABC, by="chanel")
    with pytest.raises(ValueError, match="by: cannot group by 'phone'"):
        leadkit.kpis(leads, touches, OABC, by="phone")
    with pytest.raises(ValueError, match="region_id needs the dealers table"):
        leadkit.kpis(leads, touches, OABC, by="region_id")


# Random data: the engine against the reference, threads, and any split merged -----------

def random_inputs(seed: int, n: int = 30):
    rng = np.random.default_rng(seed)
    created = ts("2024-03-01 09:00") + pd.to_timedelta(rng.integers(0, 80 * 86400, n), unit="s")
    statuses = rng.choice(["open", "won", "lost", "invalid"], n, p=[0.6, 0.15, 0.2, 0.05])
    leads = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "created_at": created,
        "assigned_at": [c + pd.Timedelta(minutes=int(m)) if m % 3 else pd.NaT
                        for c, m in zip(created, rng.integers(0, 600, n))],
        "entered_at": [c + pd.Timedelta(hours=int(h)) for c, h in zip(created, rng.integers(0, 40, n))],
        "channel": rng.choice(["website", "showroom", "phone"], n),
        "dealer_id": rng.choice(["D1", "D2", None], n),
        "status": statuses,
        "won_at": [c + pd.Timedelta(days=int(d)) if s == "won" else pd.NaT
                   for c, s, d in zip(created, statuses, rng.integers(1, 40, n))],
        "lost_at": [c + pd.Timedelta(days=int(d)) if s == "lost" else pd.NaT
                    for c, s, d in zip(created, statuses, rng.integers(1, 40, n))],
        "lost_review": [rng.choice(["pending", "approved", "rejected"]) if s == "lost" else None
                        for s in statuses],
        "purchase_within_days": rng.integers(0, 60, n).astype(float),
    })
    m = n * 3
    owner = rng.integers(0, n, m)
    touches = pd.DataFrame({
        "lead_id": [f"L{i}" for i in owner],
        "at": created[owner] + pd.to_timedelta(rng.integers(0, 30 * 86400, m), unit="s"),
        "method": rng.choice(["phone", "wechat", "visit"], m),
        "grade_after": [rng.choice(["O", "A", "B", "C"]) if rng.random() < 0.2 else None
                        for _ in range(m)],
    })
    k = n
    asked = rng.integers(0, n, k)
    surveys = pd.DataFrame({
        "lead_id": [f"L{i}" for i in asked],
        "at": created[asked] + pd.to_timedelta(rng.integers(0, 30 * 86400, k), unit="s"),
        "satisfied": rng.random(k) < 0.7,
    })
    return leads, touches, surveys


RANDOM_AS_OF = ts("2024-05-10 12:00")


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([(), ("channel",), ("month", "current_grade"),
                                                ("week",), ("grade", "dealer_id")]))
def test_the_engine_agrees_with_the_reference(seed, by):
    leads, touches, surveys = random_inputs(seed)
    ours = leadkit.kpis(leads, touches, OABC, surveys=surveys, by=list(by) or None,
                        as_of=RANDOM_AS_OF)
    theirs = reference_kpis(leads, touches, surveys, OABC, RANDOM_AS_OF, by=list(by))
    # Keys keep the leads' dtype (a null key is NaN in pandas' str); the reference's are objects.
    ours = ours.assign(**{key: pd.Series(texts(ours[key]), dtype=object) for key in by})
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(1, 29), max_size=4, unique=True),
       st.randoms(use_true_random=False))
def test_any_split_and_merge_order_gives_the_same_state(seed, cuts, shuffle):
    leads, touches, surveys = random_inputs(seed)
    by = ["channel", "month"]
    whole = leadkit.KpiState(by).add(leads, touches, OABC, surveys=surveys, as_of=RANDOM_AS_OF)
    bounds = [0, *sorted(cuts), len(leads)]
    parts = []
    for a, b in zip(bounds, bounds[1:]):
        mine = leads.iloc[a:b]
        keep = lambda t: t[t["lead_id"].isin(mine["lead_id"])]  # noqa: E731
        state = leadkit.KpiState(by).add(mine, keep(touches), OABC, surveys=keep(surveys),
                                         as_of=RANDOM_AS_OF)
        parts.append(leadkit.KpiState.from_bytes(state.to_bytes()))  # as a cluster ships them
    shuffle.shuffle(parts)
    merged = leadkit.KpiState(by)
    for part in parts:
        merged.merge(part)
    assert merged == whole
    pd.testing.assert_frame_equal(merged.finalize(), whole.finalize())
    # The state's keys are objects; kpis() gives them the dtype they have in the leads.
    pd.testing.assert_frame_equal(whole.finalize(), object_keys(
        leadkit.kpis(leads, touches, OABC, surveys=surveys, by=by, as_of=RANDOM_AS_OF), by))


def object_keys(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """`frame` with its key columns as objects, None for null."""
    return frame.assign(**{key: pd.Series(texts(frame[key]), dtype=object) for key in by})


def test_kpi_state_protocol():
    leads, touches, surveys, _ = example()
    first, second = leads.iloc[:2], leads.iloc[2:]
    keep = lambda t, part: t[t["lead_id"].isin(part["lead_id"])]  # noqa: E731
    a = leadkit.KpiState(by="channel").add(first, keep(touches, first), OABC,
                                           surveys=keep(surveys, first), as_of=AS_OF)
    b = leadkit.KpiState(by="channel").add(second, keep(touches, second), OABC,
                                           surveys=keep(surveys, second), as_of=AS_OF)
    before = a.to_bytes()
    total = a + b
    assert a.to_bytes() == before  # + makes a new state
    pd.testing.assert_frame_equal(total.finalize(), object_keys(leadkit.kpis(
        leads, touches, OABC, surveys=surveys, by="channel", as_of=AS_OF), ["channel"]))
    assert pickle.loads(pickle.dumps(total)) == total
    assert leadkit.KpiState.from_bytes(total.to_bytes()) == total
    assert total.by == ("channel",) and repr(total) == "KpiState(by=['channel'])"
    assert a.merge(b) is a and a == total  # merge adds in place
    with pytest.raises(ValueError, match="as_of: a partial state needs an explicit as_of"):
        leadkit.KpiState().add(leads, touches, OABC, as_of=None)
    with pytest.raises(ValueError, match=r"merge: a state grouped by \['month'\] cannot"):
        a.merge(leadkit.KpiState(by="month"))
    with pytest.raises(TypeError, match="merge: expected a leadkit.KpiState, got DataFrame"):
        a.merge(leads)
    with pytest.raises(ValueError):
        leadkit.KpiState.from_bytes(total.to_bytes()[:-1])


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_the_order_of_the_touch_rows_does_not_matter(seed, rnd):
    leads, touches, surveys = random_inputs(seed)
    # Many touches of one lead at the same time: they are taken by method name, then
    # grade_after (unchanged first), whatever their rows' order or their codes' order.
    touches = touches.assign(at=touches["at"].dt.ceil("2D"))
    rows = list(range(len(touches)))
    rnd.shuffle(rows)
    methods = sorted(set(touches["method"]), reverse=True)  # codes against name order
    shuffled = touches.iloc[rows].reset_index(drop=True).assign(
        method=lambda t: pd.Categorical(t["method"], categories=methods))
    one = leadkit.lead_kpis(leads, touches, OABC, surveys=surveys, as_of=RANDOM_AS_OF)
    two = leadkit.lead_kpis(leads, shuffled, OABC, surveys=surveys, as_of=RANDOM_AS_OF)
    pd.testing.assert_frame_equal(one, two)
    ours = leadkit.kpis(leads, shuffled, OABC, surveys=surveys, by="channel",
                        as_of=RANDOM_AS_OF, threads=2)
    theirs = reference_kpis(leads, touches, surveys, OABC, RANDOM_AS_OF, by=["channel"])
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


def test_threads_give_the_same_numbers():
    leads, touches, surveys = random_inputs(3, n=200)
    one = leadkit.kpis(leads, touches, OABC, surveys=surveys, by="channel", as_of=RANDOM_AS_OF)
    two = leadkit.kpis(leads, touches, OABC, surveys=surveys, by="channel", as_of=RANDOM_AS_OF,
                       threads=2)
    pd.testing.assert_frame_equal(one, two)
    with pytest.raises(ValueError, match="threads"):
        leadkit.kpis(leads, touches, OABC, threads=0)


# Lead by lead ----------------------------------------------------------------------------

SUMMED = {"won": "won", "lost": "lost", "entered_on_time": "entered_on_time",
          "first_contacts_due": "first_contact_due",
          "first_contact_on_time": "first_contact_on_time", "follow_ups_due": "follow_ups_due",
          "follow_ups_on_time": "follow_ups_on_time", "timely_leads": "timely",
          "surveyed": "surveyed", "satisfied": "satisfied"}


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_lead_facts_sum_to_the_kpis(seed):
    leads, touches, surveys = random_inputs(seed)
    facts = leadkit.lead_kpis(leads, touches, OABC, surveys=surveys, as_of=RANDOM_AS_OF)
    assert list(facts["lead_id"]) == list(leads["lead_id"])
    assert list(facts.columns) == leadkit.LEAD_KPI_COLUMNS
    counted = facts[facts["counted"]]
    valid = counted[~counted["invalid"]]
    expected = leadkit.kpis(leads, touches, OABC, surveys=surveys, by="channel",
                            as_of=RANDOM_AS_OF)
    for row in expected.itertuples():
        mine = valid[leads.loc[valid.index, "channel"] == row.channel]
        assert len(mine) == row.leads
        assert counted["invalid"][leads.loc[counted.index, "channel"] == row.channel].sum() \
            == row.invalid
        for kpi, flag in SUMMED.items():
            assert mine[flag].sum() == getattr(row, kpi), (kpi, row.channel)
    # Leads created after as_of are not counted; the earliest touch is the first contact.
    later = leads["created_at"] > RANDOM_AS_OF
    assert (~facts["counted"] == later).all()
    firsts = (touches[touches["at"] <= RANDOM_AS_OF].groupby("lead_id")["at"].min())
    touched = valid[valid["first_contact_at"].notna()]
    assert (touched["first_contact_at"].to_numpy()
            == firsts.reindex(touched["lead_id"]).to_numpy()).all()


def test_lead_facts_name_bad_rows():
    leads, touches, surveys, _ = example()
    with pytest.raises(ValueError, match='touches row 4: lead_id "K9" is not in the leads'):
        leadkit.lead_kpis(leads, touches.assign(lead_id=["K1", "K1", "K1", "K2", "K9"]), OABC,
                          as_of=AS_OF)


# Ids reach the core as Arrow strings (no dictionary), in any of pandas' string layouts ----

def _id_layouts(series: pd.Series):
    import pyarrow as pa
    yield series.astype(object)
    yield series.astype(pd.StringDtype("python"))
    yield series.astype(pd.StringDtype("pyarrow"))
    yield series.astype(pd.ArrowDtype(pa.string()))
    yield series.astype(pd.ArrowDtype(pa.large_string()))
    # Several chunks, and a slice that starts inside the Arrow buffers.
    half = len(series) // 2
    chunked = pa.chunked_array([pa.array(series[:half].tolist()),
                                pa.array(series[half:].tolist())])
    yield pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    padded = pa.array(["pad", *series.tolist()], type=pa.large_string()).slice(1)
    yield pd.Series(pd.arrays.ArrowExtensionArray(padded))


def test_every_string_layout_of_the_ids_gives_the_same_kpis():
    leads, touches, surveys, _ = example()
    expected = leadkit.kpis(leads, touches, OABC, surveys=surveys, as_of=AS_OF)
    for lead_ids, touch_ids, survey_ids in zip(*map(_id_layouts, (
            leads["lead_id"], touches["lead_id"], surveys["lead_id"]))):
        got = leadkit.kpis(leads.assign(lead_id=lead_ids), touches.assign(lead_id=touch_ids),
                           OABC, surveys=surveys.assign(lead_id=survey_ids), as_of=AS_OF)
        pd.testing.assert_frame_equal(got, expected)


def test_null_and_unknown_arrow_ids_are_named():
    leads, touches, surveys, _ = example()
    ids = pd.Series(["K1", "K2", None, "K4", "K5", "K6"], dtype=pd.StringDtype("pyarrow"))
    with pytest.raises(ValueError, match="leads row 2: lead_id is null"):
        leadkit.kpis(leads.assign(lead_id=ids), touches, OABC, as_of=AS_OF)
    stray = pd.Series(["K1", "K1", "K1", "K2", "K7"], dtype=pd.StringDtype("pyarrow"))
    with pytest.raises(ValueError, match='touches row 4: lead_id "K7" is not in the leads'):
        leadkit.kpis(leads, touches.assign(lead_id=stray), OABC, as_of=AS_OF)


def test_a_scope_that_is_not_a_scope_is_a_type_error():
    leads, touches, _, _ = example()
    for call in (leadkit.kpis, leadkit.audit):
        with pytest.raises(TypeError, match="scope: expected a leadkit.Scope, got str"):
            call(leads, touches, OABC, scope="D1", as_of=AS_OF)
    with pytest.raises(TypeError, match="scope: expected a leadkit.Scope, got str"):
        leadkit.effectiveness(leads, touches, scope="D1", as_of=AS_OF)


def test_long_ids_and_near_misses_find_their_leads():
    # Ids longer than the index keeps inline, ids that differ only in their last byte, and
    # ids of different lengths sharing a prefix all find their own lead.
    leads, touches, surveys, _ = example()
    long = {k: f"6f1c2b9e-4d2a-4f7e-9b1a-0000000000{k[1:]}" for k in leads["lead_id"]}
    prefix = {k: "K" * int(k[1:]) for k in leads["lead_id"]}  # K, KK, KKK, ...
    expected = leadkit.kpis(leads, touches, OABC, surveys=surveys, by="channel", as_of=AS_OF)
    for mapping in (long, prefix):
        def ids(frame):
            return frame["lead_id"].map(mapping).astype(pd.StringDtype("pyarrow"))
        got = leadkit.kpis(leads.assign(lead_id=ids(leads)), touches.assign(lead_id=ids(touches)),
                           OABC, surveys=surveys.assign(lead_id=ids(surveys)), by="channel",
                           as_of=AS_OF)
        pd.testing.assert_frame_equal(got, expected)
    twice = leads.assign(lead_id=leads["lead_id"].map(long)).astype({"lead_id": "str"})
    twice.loc[3, "lead_id"] = twice.loc[1, "lead_id"]
    with pytest.raises(ValueError, match="leads row 3: lead_id .* is given twice"):
        leadkit.kpis(twice, touches.assign(lead_id=touches["lead_id"].map(long)), OABC,
                     as_of=AS_OF)
    stray = touches.assign(lead_id=touches["lead_id"].map(long))
    stray.loc[4, "lead_id"] = stray.loc[4, "lead_id"][:-1] + "9"
    with pytest.raises(ValueError, match="touches row 4: lead_id .* is not in the leads"):
        leadkit.kpis(leads.assign(lead_id=leads["lead_id"].map(long)), stray, OABC, as_of=AS_OF)


def test_a_grade_after_outside_the_policy_is_named():
    leads, touches, _, _ = example()
    touches = touches.assign(grade_after=[None, "Z", None, None, None])
    with pytest.raises(ValueError, match='touches row 1: lead_id "K1": grade_after "Z" is not '
                                         "one of the policy's grades"):
        leadkit.kpis(leads, touches, OABC, as_of=AS_OF)
    with pytest.raises(ValueError, match='touches row 1: lead_id "K1": grade_after "Z"'):
        leadkit.lead_kpis(leads, touches, OABC, as_of=AS_OF)


# --- Past the calendar's coverage -------------------------------------------------------------

def _abcd_on_cn_office() -> Policy:
    doc = json.loads(Policy.preset("abcd").to_json())
    doc["calendar"]["name"] = "cn_office"  # covered to 2026-12-31, estimating past it
    return Policy.from_json(json.dumps(doc))


def _year_end_leads():
    """E1, E2 and E4 created Thursday 2026-12-31 17:30: first contact due after 1 business hour,
    30 min to 18:00 then Friday 2027-01-01 09:00-09:30 on cn_office's weekly hours (New Year's
    Day is not known past 2026): estimated. E3's 2026-12-01 10:00 + 1 h = 11:00 is covered.
    Grade D: no follow-up falls due by either as_of (30 to 90 days)."""
    leads = pd.DataFrame({
        "lead_id": ["E1", "E2", "E3", "E4"],
        "created_at": [ts("2026-12-31 17:30"), ts("2026-12-31 17:30"), ts("2026-12-01 10:00"),
                       ts("2026-12-31 17:30")],
        "grade": ["D", "D", "D", "D"],
    })
    touches = pd.DataFrame({
        "lead_id": ["E2", "E3", "E4"],
        "at": [ts("2026-12-31 17:50"), ts("2026-12-01 10:30"), ts("2027-01-04 10:00")],
        "method": ["phone", "phone", "phone"],
    })
    return leads, touches


@pytest.mark.parametrize("as_of, due, on_time, timely, warned", [
    # Inside the coverage the estimated 09:30 on 2027-01-01 lies ahead: nothing estimated
    # is missed (E4's touch has not happened yet); the rows are still marked and counted.
    ("2026-12-31 23:00", [False, True, True, False], [False, True, True, False],
     [True, True, True, True], 3),
    # Past the coverage the estimated deadlines are judged like any other.
    ("2027-01-04 12:00", [True, True, True, True], [False, True, True, False],
     [False, True, True, False], 3),
])
def test_lead_kpis_mark_estimated_deadlines(as_of, due, on_time, timely, warned):
    leads, touches = _year_end_leads()
    with pytest.warns(leadkit.CoverageWarning, match=f"^lead_kpis: {warned} rows estimated"):
        facts = leadkit.lead_kpis(leads, touches, _abcd_on_cn_office(), as_of=ts(as_of))
    assert list(facts.columns) == leadkit.LEAD_KPI_COLUMNS
    assert leadkit.LEAD_KPI_COLUMNS[-1] == "estimated"
    assert facts["estimated"].tolist() == [True, True, False, True]
    assert facts["first_contact_due"].tolist() == due
    assert facts["first_contact_on_time"].tolist() == on_time
    assert facts["timely"].tolist() == timely


def test_kpis_warn_once_counting_the_estimates_or_naming_as_of_past_the_coverage():
    leads, touches = _year_end_leads()
    policy = _abcd_on_cn_office()
    # Inside the coverage: how many leads rest on estimated deadlines (E1, E2, E4).
    with pytest.warns(leadkit.CoverageWarning,
                      match='^kpis: 3 leads estimated .*"cn_office" covers') as caught:
        inside = leadkit.kpis(leads, touches, policy, as_of=ts("2026-12-31 23:00"))
    assert len(caught) == 1
    # 4 leads; first contacts due: E2, E3 (touched), both on time.
    assert inside[["leads", "first_contacts_due", "first_contact_on_time", "timely_leads"]
                  ].iloc[0].tolist() == [4, 2, 2, 4]
    with pytest.warns(leadkit.CoverageWarning,
                      match='^kpis: as_of 2027-01-04 lies past 2026-12-31, the last date '
                            'calendar "cn_office" covers') as caught:
        past = leadkit.kpis(leads, touches, policy, as_of=ts("2027-01-04 12:00"))
    assert len(caught) == 1
    # All four due; E1 (no touch) and E4 (10:00 on 01-04) missed the estimated 09:30 on 01-01.
    assert past[["leads", "first_contacts_due", "first_contact_on_time", "timely_leads"]
                ].iloc[0].tolist() == [4, 4, 2, 2]
