"""leadkit.audit: the supervisor's check of lead records and follow-up (000 §8.1.1)."""

import re

import pandas as pd
import pyarrow as pa
import pytest

import leadkit
import leadkit.synth
from leadkit import Policy, Scope
from leadkit.reports import _audit
from times import SH, ts

OABC = Policy.preset("oabc")
AS_OF = ts("2024-06-20 12:00")


def example():
    """The hand-worked example of docs/kpis.md (oabc: showroom open 09:00-18:00 every day)."""
    leads = pd.DataFrame({
        "lead_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7"],
        "created_at": [ts("2024-06-10 09:00"), ts("2024-06-10 20:00"), ts("2024-06-18 09:00"),
                       ts("2024-06-19 23:30"), ts("2024-06-12 09:00"), ts("2024-06-21 09:00"),
                       ts("2024-06-15 10:00")],
        "entered_at": [ts("2024-06-10 10:00"), ts("2024-06-12 18:30"), pd.NaT,
                       ts("2024-06-20 00:10"), ts("2024-06-14 09:00"), pd.NaT, pd.NaT],
        "channel": ["website"] * 7,
        "name": ["王伟", None, "李娜", "赵敏", None, None, "周平"],
        "phone": ["138 0013 8000", "+86 138-0013-8000", "010-6552 8888", "12345",
                  "13800138000", None, "0755 2345 6789"],
        "model": ["C200", None, "GLC", "EQE", "C200", "GLA", None],
        "grade": ["A", None, "B", "C", "A", None, "C"],
        "status": [None, None, None, None, "invalid", None, None],
        "dealer_id": ["D1", "D1", "D2", "D2", "D1", "D1", None],
        "consultant_id": ["C1", "C1", "C2", "C2", "C1", "C1", "C3"],
    })
    touches = pd.DataFrame({
        "lead_id": ["A1", "A2", "A4", "A5", "A7", "A7"],
        "at": [ts("2024-06-10 09:30"), ts("2024-06-11 09:30"), ts("2024-06-20 09:05"),
               ts("2024-06-12 09:10"), ts("2024-06-15 10:30"), ts("2024-06-21 10:00")],
        "method": ["phone", "wechat", "phone", "phone", "phone", "phone"],
        "consultant_id": ["C1", "C2", "C2", "C9", "C3", "C4"],
    })
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2"], "region_id": ["R1", "R2"]})
    return leads, touches, dealers


# Worked out by hand from the rules of docs/kpis.md:
# - A1 is clean but shares its phone (13800138000 once normalised) with A2.
# - A2: no name, model or grade (no purchase date: the policy's default grade C); its entry
#   was due 24 h after collection, 06-11 20:00, after closing, so by the closing of the next
#   open day, 06-12 18:00: entered 18:30 that day, late, and on a later day; collected at
#   20:00, after hours,
#   its first-contact hour starts at 09:00 the next day (due 10:00): the 09:30 WeChat message
#   is on time but not a phone call; it was made by C2, not the lead's C1.
# - A3: no touch, and its deadline (06-18 10:00) has passed by as_of.
# - A4: "12345" is no China number; entered 40 minutes after collection, but on the next day.
# - A5 is invalid: only record findings (no name); it is no duplicate of A1.
# - A6 was created after as_of. A7 has no model; its 06-21 touch by C4 is after as_of.
EXPECTED = [
    ("A1", "duplicate_phone", "same phone (138****8000) as A2"),
    ("A2", "missing_name", "name is empty"),
    ("A2", "missing_model", "model is empty"),
    ("A2", "missing_grade", "grade is empty (the policy classifies it C)"),
    ("A2", "entered_late", "entered 2024-06-12 18:30, due by 2024-06-12 18:00"),
    ("A2", "entered_next_day", "collected 2024-06-10 20:00, entered 2024-06-12 18:30"),
    ("A2", "first_contact_not_phone", "first touch by wechat at 2024-06-11 09:30"),
    ("A2", "duplicate_phone", "same phone (138****8000) as A1"),
    ("A2", "touch_by_other_consultant",
     "1 touch by C2 (the lead's consultant is C1); first at 2024-06-11 09:30"),
    ("A3", "first_contact_late", "no touch by 2024-06-20 12:00, due by 2024-06-18 10:00"),
    ("A4", "invalid_phone", "phone ***45 is not a China mobile or landline number"),
    ("A4", "entered_next_day", "collected 2024-06-19 23:30, entered 2024-06-20 00:10"),
    ("A5", "missing_name", "name is empty"),
    ("A7", "missing_model", "model is empty"),
]


def rows(frame):
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_the_hand_worked_example():
    leads, touches, _ = example()
    out = leadkit.audit(leads, touches, OABC, as_of=AS_OF)
    assert list(out.columns) == ["lead_id", "finding", "detail"]
    assert rows(out) == EXPECTED
    assert list(out.index) == list(range(len(EXPECTED)))


def _chunked(series: pd.Series, at: int) -> pd.Series:
    """`series` as Arrow strings in two chunks split at row `at`."""
    values = [None if pd.isna(v) else v for v in series]
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(
        [pa.array(values[:at], pa.large_string()), pa.array(values[at:], pa.large_string())])))


@pytest.mark.parametrize("at", [0, 3, 7])
def test_text_columns_in_arrow_chunks_give_the_hand_worked_rows(at):
    # Every text column the audit reads as Arrow strings in chunks (dictionary-encoded as
    # they lie, over one dictionary): values first met in the second chunk, nulls in both.
    leads, touches, _ = example()
    texts = ["lead_id", "channel", "name", "phone", "model", "grade", "status", "dealer_id",
             "consultant_id"]
    leads = leads.assign(**{name: _chunked(leads[name], at) for name in texts})
    touches = touches.assign(**{name: _chunked(touches[name], min(at, 6))
                                for name in ["lead_id", "method", "consultant_id"]})
    assert pa.array(leads["model"].array).num_chunks == 2
    assert rows(leadkit.audit(leads, touches, OABC, as_of=AS_OF)) == EXPECTED


def test_finding_codes_are_the_contract():
    assert leadkit.AUDIT_FINDINGS == (
        "missing_name", "missing_phone", "missing_model", "missing_grade", "invalid_phone",
        "entered_late", "entered_next_day", "first_contact_late", "first_contact_not_phone",
        "duplicate_phone", "touch_by_other_consultant")


def test_late_first_contact_and_several_other_consultants():
    leads, touches, _ = example()
    more = pd.DataFrame({
        "lead_id": ["A3", "A3", "A3"],
        "at": [ts("2024-06-18 11:00"), ts("2024-06-19 09:00"), ts("2024-06-19 10:00")],
        "method": ["sms", "phone", "phone"],
        "consultant_id": ["C5", "C2", "C1"],
    })
    out = leadkit.audit(leads, pd.concat([touches, more], ignore_index=True), OABC,
                        as_of=AS_OF)
    a3 = rows(out[out["lead_id"] == "A3"])
    # Due 06-18 10:00, first touched at 11:00 by SMS; C5 and C1 are not A3's C2.
    assert a3 == [
        ("A3", "first_contact_late", "first touch 2024-06-18 11:00, due by 2024-06-18 10:00"),
        ("A3", "first_contact_not_phone", "first touch by sms at 2024-06-18 11:00"),
        ("A3", "touch_by_other_consultant",
         "2 touches by C1, C5 (the lead's consultant is C2); first at 2024-06-18 11:00"),
    ]


def test_a_deadline_not_yet_passed_is_no_finding():
    leads, touches, _ = example()
    # As of 06-18 09:59, A3's first contact is not due yet; A4 and A7 do not exist yet.
    out = leadkit.audit(leads, touches, OABC, as_of=ts("2024-06-18 09:59"))
    assert set(out["lead_id"]) == {"A1", "A2", "A5", "A7"}
    out = leadkit.audit(leads, touches, OABC, as_of=ts("2024-06-18 10:00"))
    assert ("A3", "first_contact_late",
            "no touch by 2024-06-18 10:00, due by 2024-06-18 10:00") in rows(out)


def test_default_as_of_is_the_latest_timestamp():
    leads, touches, _ = example()
    # The latest timestamp is A6's creation (06-21 09:00): A6 is audited, A7's touch by C4
    # (06-21 10:00) is later still, so it becomes the as_of and counts.
    out = leadkit.audit(leads, touches, OABC)
    assert ("A6", "missing_name", "name is empty") in rows(out)
    assert ("A7", "touch_by_other_consultant",
            "1 touch by C4 (the lead's consultant is C3); first at 2024-06-21 10:00") in rows(out)


def test_blank_text_and_absent_columns_are_missing():
    leads, touches, _ = example()
    blank = leads.assign(name=leads["name"].replace("王伟", "  "))
    assert ("A1", "missing_name", "name is empty") in rows(
        leadkit.audit(blank, touches, OABC, as_of=AS_OF))
    without = leads.drop(columns=["model", "grade"])
    out = leadkit.audit(without, touches, OABC, as_of=AS_OF)
    assert set(out.loc[out["finding"] == "missing_model", "lead_id"]) == {
        "A1", "A2", "A3", "A4", "A5", "A7"}
    assert set(out.loc[out["finding"] == "missing_grade", "lead_id"]) == {
        "A1", "A2", "A3", "A4", "A5", "A7"}


def test_naive_timestamps_with_tz():
    leads, touches, _ = example()
    naive_leads = leads.assign(created_at=leads["created_at"].dt.tz_localize(None),
                               entered_at=leads["entered_at"].dt.tz_localize(None))
    naive_touches = touches.assign(at=touches["at"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="timestamps without a time zone"):
        leadkit.audit(naive_leads, naive_touches, OABC, as_of=AS_OF)
    out = leadkit.audit(naive_leads, naive_touches, OABC, as_of="2024-06-20 12:00", tz=SH)
    assert rows(out) == EXPECTED


# --- phone numbers -------------------------------------------------------------------------

@pytest.mark.parametrize("phone, valid", [
    ("13800138000", True),            # mobile
    ("+86 138 0013 8000", True),      # country code and spaces
    ("0086-199-1234-5678", True),
    ("12800138000", False),           # no mobile starts 12
    ("1380013800", False),            # 10 digits
    ("8613800138000", False),         # country code without + or 00
    ("010-6552 8888", True),          # Beijing: 10 + 8 digits
    ("(021) 5012-3456", True),        # Shanghai
    ("0755-2345678", True),           # Shenzhen, 7-digit subscriber
    ("0755-23456789", True),
    ("010-12345678", False),          # a subscriber number never starts with 1
    ("010-02345678", False),          # ... nor with 0
    ("011-62345678", False),          # 11 is no area code
    ("65528888", False),              # no area code
    ("0755-234567890", False),        # 9-digit subscriber
    ("138 0013 8000 ext 1", False),   # letters
    ("", False),
])
def test_phone_rule(phone, valid):
    assert _audit.phone_is_valid(phone) is valid


def test_duplicates_are_found_within_the_audit_only():
    leads, touches, _ = example()
    # A2 moves to dealer D2: seen from D1, A1 has no duplicate; at HQ both still do.
    moved = leads.assign(dealer_id=["D1", "D2", "D2", "D2", "D1", "D1", None])
    d1 = leadkit.audit(moved, touches, OABC, as_of=AS_OF, scope=Scope.dealer("D1"))
    assert "duplicate_phone" not in set(d1["finding"])
    hq = leadkit.audit(moved, touches, OABC, as_of=AS_OF)
    assert set(hq.loc[hq["finding"] == "duplicate_phone", "lead_id"]) == {"A1", "A2"}


def test_many_duplicates_list_ten_then_a_count():
    n = 13
    leads = pd.DataFrame({
        "lead_id": [f"M{i:02d}" for i in range(n)],
        "created_at": [ts("2024-06-10 09:00")] * n,
        "channel": ["website"] * n, "name": ["张三"] * n, "model": ["C200"] * n,
        "grade": ["C"] * n, "phone": ["139-0000-0000"] * n,
    })
    touches = pd.DataFrame({"lead_id": [f"M{i:02d}" for i in range(n)],
                            "at": [ts("2024-06-10 09:10")] * n, "method": ["phone"] * n})
    out = leadkit.audit(leads, touches, OABC, as_of=AS_OF)
    details = dict(zip(out["lead_id"], out["detail"]))
    assert details["M00"] == ("same phone (139****0000) as M01, M02, M03, M04, M05, M06, M07, "
                              "M08, M09, M10 and 2 more")
    assert details["M05"] == ("same phone (139****0000) as M00, M01, M02, M03, M04, M06, M07, "
                              "M08, M09, M10 and 2 more")
    assert set(out["finding"]) == {"duplicate_phone"}


# --- scopes ----------------------------------------------------------------------------------

def test_dealer_scope():
    leads, touches, _ = example()
    out = leadkit.audit(leads, touches, OABC, as_of=AS_OF, scope=Scope.dealer("D2"))
    assert rows(out) == [r for r in EXPECTED if r[0] in ("A3", "A4")]


def test_region_scope_and_null_dealer_only_at_hq():
    leads, touches, dealers = example()
    out = leadkit.audit(leads, touches, OABC, as_of=AS_OF, scope=Scope.region("R1"),
                        dealers=dealers)
    assert rows(out) == [r for r in EXPECTED if r[0] in ("A1", "A2", "A5")]
    hq = leadkit.audit(leads, touches, OABC, as_of=AS_OF, scope=Scope.hq(), dealers=dealers)
    assert "A7" in set(hq["lead_id"])


def test_empty_scope_has_no_findings():
    leads, touches, dealers = example()
    dealers = pd.concat([dealers, pd.DataFrame({"dealer_id": ["D3"], "region_id": ["R3"]})])
    out = leadkit.audit(leads, touches, OABC, as_of=AS_OF, scope=Scope.region("R3"),
                        dealers=dealers)
    assert list(out.columns) == ["lead_id", "finding", "detail"] and len(out) == 0


def test_unknown_scope_ids_are_key_errors():
    leads, touches, dealers = example()
    with pytest.raises(KeyError, match="unknown dealer 'D9'"):
        leadkit.audit(leads, touches, OABC, as_of=AS_OF, scope=Scope.dealer("D9"))
    with pytest.raises(KeyError, match="unknown region 'R9'"):
        leadkit.audit(leads, touches, OABC, as_of=AS_OF, scope=Scope.region("R9"),
                      dealers=dealers)
    with pytest.raises(ValueError, match="needs the dealers table"):
        leadkit.audit(leads, touches, OABC, as_of=AS_OF, scope=Scope.region("R1"))


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("table, change, message", [
    ("leads", lambda l: l.drop(columns="lead_id"), 'leads: missing required column "lead_id"'),
    ("leads", lambda l: l.assign(phone=[13800138000] * 7),
     "leads.phone: lead_id='A1' (row 0) has '138****8000' (int); expected a string"),
    ("leads", lambda l: l.assign(lead_id=["A1", "A2", "A3", "A4", "A5", "A6", "A1"]),
     'leads row 6: lead_id "A1" is given twice (first at row 0)'),
    ("leads", lambda l: l.assign(grade=["A", None, "B", "C", "A", None, "Z"]), '"Z"'),
    ("touches", lambda t: t.assign(lead_id=t["lead_id"].replace("A4", "A9")),
     'touches row 2: lead_id "A9" is not in the leads'),
    ("touches", lambda t: t.assign(consultant_id=[1, 2, 3, 4, 5, 6]),
     "touches.consultant_id: lead_id='A1' (row 0) has 1 (int); expected a string"),
    ("touches", lambda t: t.drop(columns="at"), 'touches: missing required column "at"'),
])
def test_bad_input_names_table_row_id_and_value(table, change, message):
    leads, touches, _ = example()
    if table == "leads":
        leads = change(leads)
    else:
        touches = change(touches)
    with pytest.raises(ValueError) as caught:
        leadkit.audit(leads, touches, OABC, as_of=AS_OF)
    assert message in str(caught.value)
    assert "13800138000" not in str(caught.value)


def test_not_a_policy_is_a_type_error():
    leads, touches, _ = example()
    with pytest.raises(TypeError, match="policy: expected a leadkit.Policy"):
        leadkit.audit(leads, touches, "oabc", as_of=AS_OF)


def test_empty_inputs_need_as_of():
    leads, touches, _ = example()
    with pytest.raises(ValueError, match="as_of: the inputs hold no timestamp"):
        leadkit.audit(leads.iloc[:0], touches.iloc[:0], OABC)
    assert len(leadkit.audit(leads.iloc[:0], touches.iloc[:0], OABC, as_of=AS_OF)) == 0


# --- on generated tables ---------------------------------------------------------------------

def test_synthetic_tables_agree_with_the_kpis_and_hide_personal_data():
    data = leadkit.synth.generate(leads=600, seed=11)
    policy = Policy.preset("abcd")
    leads = data.leads.copy()
    # Some records with gaps and bad numbers, and a touch by someone else.
    leads.loc[leads.index[:5], "name"] = None
    leads.loc[leads.index[5:8], "phone"] = "12345678"
    touches = data.touches.copy()
    touches.loc[touches.index[:4], "consultant_id"] = "X-99"
    as_of = leads["created_at"].max()
    out = leadkit.audit(leads, touches, policy, as_of=as_of)
    k = leadkit.kpis(leads, touches, policy, as_of=as_of).iloc[0]
    counts = out["finding"].value_counts()
    assert counts.get("entered_late", 0) == k["leads"] - k["entered_on_time"]
    assert counts.get("first_contact_late", 0) == (k["first_contacts_due"]
                                                    - k["first_contact_on_time"])
    assert counts.get("missing_name", 0) == 5
    assert counts.get("invalid_phone", 0) == 3
    # Leads with a touch by a consultant other than their own, by a plain join.
    joined = touches.merge(leads[["lead_id", "consultant_id", "status"]], on="lead_id",
                           suffixes=("", "_lead"))
    other = joined[joined["consultant_id"].notna() & joined["consultant_id_lead"].notna()
                   & (joined["consultant_id"] != joined["consultant_id_lead"])
                   & (joined["status"] != "invalid") & (joined["at"] <= as_of)]
    assert counts.get("touch_by_other_consultant", 0) == other["lead_id"].nunique() > 0
    # Sorted by lead id, then in the order of the finding codes.
    order = out["finding"].map({f: i for i, f in enumerate(leadkit.AUDIT_FINDINGS)})
    keys = list(zip(out["lead_id"], order))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    text = " ".join(out["detail"])
    for value in pd.concat([leads["name"], leads["phone"]]).dropna().unique():
        assert str(value) not in text
    assert re.search(r"\d{11}", text) is None
