import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import leadkit
from leadkit import Policy


def test_single_lead_explains_itself():
    policy = Policy.preset("three_level")
    c = policy.classify({"model": "C200", "asked_price": True, "purchase_within_days": 30})
    assert (c.grade, c.rule) == ("high", "high")
    assert c.reasons == [
        'model not_null (value: "C200")',
        "asked_price == true (value: true)",
        "purchase_within_days <= 90 (value: 30)",
    ]
    assert "Classification(grade='high'" in repr(c)


def test_single_lead_masks_personal_data():
    doc = {
        "grades": ["yes", "no"],
        "rules": [
            {"id": "r", "when": [{"field": "phone", "op": "==", "value": "13800138000"}],
             "grade": "yes"},
            {"id": "default", "grade": "no"},
        ],
        "cadence": {"follow_up_days": {"yes": 1, "no": 2}},
    }
    c = Policy.from_json(json.dumps(doc)).classify({"phone": "13800138000", "name": "王小明"})
    assert c.grade == "yes"
    assert "13800138000" not in " ".join(c.reasons)
    assert "138****8000" in c.reasons[0]


def test_single_lead_rejects_unknown_fields_with_a_suggestion():
    with pytest.raises(ValueError, match='unknown field "modle"; did you mean "model"'):
        Policy.preset("three_level").classify({"modle": "C200"})


def test_single_lead_rejects_a_string_in_a_number_field():
    with pytest.raises(ValueError, match=r"lead\.purchase_within_days: row 0 has 'soon'"):
        Policy.preset("abcd").classify({"purchase_within_days": "soon"})


def test_golden_presets_from_pandas(golden_dir):
    leads = json.loads((golden_dir / "classify_leads.json").read_text(encoding="utf-8"))
    expected = json.loads((golden_dir / "classify_expected.json").read_text(encoding="utf-8"))
    frame = pd.DataFrame.from_records(leads)
    for name in Policy.presets():
        policy = Policy.preset(name)
        result = leadkit.classify(frame, policy)
        assert list(result.columns) == ["lead_id", "grade", "rule"]
        assert list(result["lead_id"]) == [lead["lead_id"] for lead in leads]
        actual = {row.lead_id: [row.grade, row.rule] for row in result.itertuples()}
        want = {k: v for k, v in expected[name].items()}
        assert actual == want, name
        # The single-lead path agrees with the batch.
        for lead in leads:
            fields = {k: v for k, v in lead.items() if k != "lead_id"}
            fields["lead_id"] = lead["lead_id"]
            assert policy.classify(fields).grade == actual[lead["lead_id"]][0]


def test_result_columns_are_categoricals_over_the_policy():
    policy = Policy.preset("oabc")
    result = leadkit.classify(pd.DataFrame({"lead_id": ["a", "b"], "deposit_paid": [True, False]}),
                              policy)
    assert list(result["grade"].cat.categories) == policy.grades
    assert list(result["rule"].cat.categories) == policy.rule_ids
    assert list(result["grade"]) == ["O", "C"]


def test_input_grade_column_is_ignored():
    frame = pd.DataFrame({"lead_id": ["a"], "grade": ["A"], "purchase_within_days": [200]})
    assert list(leadkit.classify(frame, Policy.preset("abcd"))["grade"]) == ["D"]


def test_accepts_pyarrow_tables_and_lists_of_dicts():
    pa = pytest.importorskip("pyarrow")
    rows = [{"lead_id": "a", "purchase_within_days": 3}, {"lead_id": "b"}]
    policy = Policy.preset("abcd")
    from_list = leadkit.classify(rows, policy)
    from_arrow = leadkit.classify(pa.Table.from_pylist(rows), policy)
    assert list(from_list["grade"]) == ["A", "D"]
    # The ids come back in the caller's type: Arrow strings from an Arrow table.
    assert isinstance(from_arrow["lead_id"].dtype, pd.ArrowDtype)
    pd.testing.assert_frame_equal(from_list,
                                  from_arrow.astype({"lead_id": from_list["lead_id"].dtype}))


def test_nullable_dtypes_and_storage_variants():
    policy = Policy.preset("abcd")
    frame = pd.DataFrame({
        "lead_id": ["a", "b", "c", "d"],
        "purchase_within_days": pd.array([10, None, 40, 25], dtype="Int64"),
        "test_drive": pd.array([False, True, None, False], dtype="boolean"),
        "asked_price": pd.array([False, True, True, None], dtype="boolean"),
    })
    assert list(leadkit.classify(frame, policy)["grade"]) == ["A", "A", "C", "B"]
    frame["purchase_within_days"] = frame["purchase_within_days"].astype("Float64")
    assert list(leadkit.classify(frame, policy)["grade"]) == ["A", "A", "C", "B"]
    frame["test_drive"] = [0, 1, 0, 0]
    frame["asked_price"] = [0.0, 1.0, np.nan, 1.0]
    assert list(leadkit.classify(frame, policy)["grade"]) == ["A", "A", "C", "B"]


def test_string_columns_from_objects_and_categoricals():
    doc = {
        "grades": ["yes", "no"],
        "rules": [
            {"id": "r", "when": [{"field": "channel", "op": "in", "value": ["showroom", "phone"]}],
             "grade": "yes"},
            {"id": "default", "grade": "no"},
        ],
        "cadence": {"follow_up_days": {"yes": 1, "no": 2}},
    }
    policy = Policy.from_json(json.dumps(doc))
    channels = ["website", "phone", None, "showroom"]
    frame = pd.DataFrame({"lead_id": list("abcd"), "channel": channels})
    assert list(leadkit.classify(frame, policy)["grade"]) == ["no", "yes", "no", "yes"]
    frame["channel"] = frame["channel"].astype("category")
    assert list(leadkit.classify(frame, policy)["grade"]) == ["no", "yes", "no", "yes"]


@pytest.mark.parametrize(
    "column, values, message",
    [
        ("purchase_within_days", [10, "soon"],
         r"leads\.purchase_within_days: lead_id='b' \(row 1\) has 'soon' \(str\); expected a number"),
        ("asked_price", [True, "yes"],
         r"leads\.asked_price: lead_id='b' \(row 1\) has 'yes' \(str\); expected true or false"),
        ("asked_price", [1, 2],
         r"leads\.asked_price: lead_id='b' \(row 1\) has 2 .*expected true or false"),
        ("model", ["C200", 320],
         r"leads\.model: lead_id='b' \(row 1\) has 320 \(int\); expected a string"),
    ],
)
def test_bad_values_name_column_row_and_value(column, values, message):
    frame = pd.DataFrame({"lead_id": ["a", "b"], column: values})
    doc = json.loads(Policy.preset("three_level").to_json())
    # The preset only null-tests model; compare it so that its values are read.
    doc["rules"][1]["when"].append({"field": "model", "op": "!=", "value": "X"})
    policy = Policy.from_json(json.dumps(doc))
    with pytest.raises(ValueError, match=message):
        leadkit.classify(frame, policy)


def test_personal_values_are_masked_in_errors():
    doc = {
        "grades": ["yes", "no"],
        "rules": [{"id": "r", "when": [{"field": "phone", "op": "==", "value": "1"}],
                   "grade": "yes"}, {"id": "default", "grade": "no"}],
        "cadence": {"follow_up_days": {"yes": 1, "no": 2}},
    }
    frame = pd.DataFrame({"lead_id": ["a", "b"], "phone": ["13800138000", 13912345678]})
    with pytest.raises(ValueError) as caught:
        leadkit.classify(frame, Policy.from_json(json.dumps(doc)))
    assert "13912345678" not in str(caught.value)
    assert "139****5678" in str(caught.value)


def test_missing_lead_id_suggests_the_nearest_column():
    with pytest.raises(ValueError, match='leads: missing required column "lead_id"; did you mean "leadid"'):
        leadkit.classify(pd.DataFrame({"leadid": ["a"]}), Policy.preset("abcd"))


def test_null_lead_id_is_an_error():
    with pytest.raises(ValueError, match=r"leads\.lead_id: row 1 has no id"):
        leadkit.classify(pd.DataFrame({"lead_id": ["a", None]}), Policy.preset("abcd"))


def test_not_a_table_is_a_type_error():
    with pytest.raises(TypeError, match="leads: expected a pandas DataFrame"):
        leadkit.classify("leads.csv", Policy.preset("abcd"))


def test_empty_table_gives_an_empty_result():
    result = leadkit.classify(pd.DataFrame({"lead_id": pd.Series([], dtype=object)}),
                              Policy.preset("abcd"))
    assert len(result) == 0
    assert list(result.columns) == ["lead_id", "grade", "rule"]


def test_naive_timestamps_need_a_zone():
    doc = {
        "grades": ["yes", "no"],
        "rules": [{"id": "r", "when": [{"field": "entered_at", "op": "is_null"}], "grade": "yes"},
                  {"id": "default", "grade": "no"}],
        "cadence": {"follow_up_days": {"yes": 1, "no": 2}},
    }
    policy = Policy.from_json(json.dumps(doc))
    frame = pd.DataFrame({"lead_id": ["a", "b"],
                          "entered_at": pd.to_datetime(["2026-01-01 10:00", None])})
    # Null tests read only which values are missing, so a naive column is fine here.
    assert list(leadkit.classify(frame, policy)["grade"]) == ["no", "yes"]
    from leadkit import _frames
    labels = _frames.RowLabels(frame, "lead_id")
    with pytest.raises(ValueError, match="timestamps without a time zone; pass tz="):
        _frames.column_spec(frame, "entered_at", "instant", table="leads", labels=labels)
    name, kind, seconds, valid, _ = _frames.column_spec(
        frame, "entered_at", "instant", table="leads", labels=labels, tz="Asia/Shanghai")
    assert kind == "instant"
    assert list(valid) == [1, 0]
    assert seconds[0] == int(pd.Timestamp("2026-01-01 02:00", tz="UTC").timestamp())


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_zoned_arrow_timestamps_are_read_from_their_buffers(unit):
    """A zoned Arrow column (a pandas ArrowDtype, as pyarrow and Polars tables give) is read as
    its UTC ticks, rounded down to whole seconds: before 1970 too, sliced, in several chunks."""
    from leadkit import _frames
    per = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    # 2026-01-01 10:00:00.5 +08:00 is 1767232800.5 s; 1969-12-31 23:59:59.25 UTC is -0.75 s.
    ticks = [0, 1767232800 * per + per // 2, None, -per + per // 4, 5 * per]
    array = pa.array(ticks, type=pa.timestamp(unit, "Asia/Shanghai"))
    chunked = pa.chunked_array([array.slice(1, 2), array.slice(3, 1)])  # rows 1 to 3
    frame = pd.DataFrame({"lead_id": ["a", "b", "c"],
                          "entered_at": pd.arrays.ArrowExtensionArray(chunked)})
    labels = _frames.RowLabels(frame, "lead_id")
    name, kind, seconds, valid, _ = _frames.column_spec(
        frame, "entered_at", "instant", table="leads", labels=labels)
    assert (name, kind, list(valid)) == ("entered_at", "instant", [1, 0, 1])
    assert [seconds[0], seconds[2]] == [1767232800, -1]
    if unit == "ns":
        return  # every nanosecond instant is one pandas holds
    # An instant pandas cannot hold (year 1) is named as before.
    frame["entered_at"] = pd.arrays.ArrowExtensionArray(pa.chunked_array([pa.array(
        [0, -62135596800 * per, 0], type=pa.timestamp(unit, "UTC"))]))
    with pytest.raises(ValueError, match=r"leads.entered_at: lead_id='b' \(row 1\) has .*"
                                         r"expected a timestamp from 1677-09-21 to 2262-04-11"):
        _frames.column_spec(frame, "entered_at", "instant", table="leads", labels=labels)


def test_unsigned_columns_never_wrap():
    policy = Policy.preset("abcd")
    frame = pd.DataFrame({"lead_id": ["a", "b"],
                          "purchase_within_days": np.array([2**63, 10], dtype=np.uint64)})
    assert list(leadkit.classify(frame, policy)["grade"]) == ["D", "A"]
    frame["purchase_within_days"] = pd.array([2**64 - 1, None], dtype="UInt64")
    assert list(leadkit.classify(frame, policy)["grade"]) == ["D", "D"]


def test_an_all_null_string_column_is_null_whatever_its_dtype():
    doc = {"grades": ["yes", "no"],
           "rules": [{"id": "r", "when": [{"any_of": [
               {"field": "model", "op": "==", "value": "C200"},
               {"field": "models_considered", "op": ">=", "value": 2}]}], "grade": "yes"},
               {"id": "default", "grade": "no"}],
           "cadence": {"follow_up_days": {"yes": 1, "no": 2}}}
    frame = pd.DataFrame({"lead_id": ["a", "b"], "model": [np.nan, np.nan],
                          "models_considered": [3, 0]})
    result = leadkit.classify(frame, Policy.from_json(json.dumps(doc)))
    assert list(result["grade"]) == ["yes", "no"]


def test_arrow_backed_columns():
    pa = pytest.importorskip("pyarrow")
    table = pa.table({
        "lead_id": ["a", "b", "c"],
        "purchase_within_days": pa.array([10, None, 40], pa.int64()),
        "test_drive": pa.array([False, True, None]),
        "asked_price": pa.array([False, True, True]),
    })
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    assert list(leadkit.classify(frame, Policy.preset("abcd"))["grade"]) == ["A", "A", "C"]


def test_unrelated_duplicate_columns_are_left_alone():
    frame = pd.DataFrame([["a", 10, "x", "y"]],
                         columns=["lead_id", "purchase_within_days", "note", "note"])
    assert list(leadkit.classify(frame, Policy.preset("abcd"))["grade"]) == ["A"]
    frame.columns = ["lead_id", "purchase_within_days", "purchase_within_days", "note"]
    with pytest.raises(ValueError, match='column "purchase_within_days" appears more than once'):
        leadkit.classify(frame, Policy.preset("abcd"))


def test_single_lead_booleans_may_be_zero_or_one():
    policy = Policy.preset("funnel")
    assert policy.classify({"asked_price": 1}).grade == "bofu"
    assert policy.classify({"asked_price": 0}).grade == "tofu"
    with pytest.raises(ValueError, match="expected true or false"):
        policy.classify({"asked_price": 2})


def test_personal_fields_compare_normalised():
    # Regression: a phone rule compared raw text, so "+86 138-0000-0000" missed
    # "13800000000" while the reason showed both masked alike.
    doc = {
        "grades": ["vip", "mail", "other"],
        "rules": [
            {"id": "vip", "when": [{"field": "phone", "op": "==", "value": "13800000000"}],
             "grade": "vip"},
            {"id": "mail", "when": [{"field": "email", "op": "in",
                                     "value": ["Li.Lei@Example.com"]}],
             "grade": "mail"},
            {"id": "default", "grade": "other"},
        ],
        "cadence": {"follow_up_days": {"vip": 1, "mail": 2, "other": 3}},
    }
    policy = Policy.from_json(json.dumps(doc))
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "phone": ["+86 138-0000-0000", "0086 13800000000", "13800000001", None,
                  "+86 138-0000-0000", "138 0000 0001"],
        "email": [None, None, None, " LI.LEI@example.com ", None, "li.lei@example.org"],
    })
    result = leadkit.classify(leads, policy)
    assert list(result["rule"]) == ["vip", "vip", "default", "mail", "vip", "default"]
    assert list(result["grade"]) == ["vip", "vip", "other", "mail", "vip", "other"]
    # The single-lead path agrees with the batch, row by row.
    for row, want in zip(leads.to_dict("records"), result["rule"]):
        lead = {k: v for k, v in row.items() if k != "lead_id" and v is not None}
        assert policy.classify(lead).rule == want

    c = policy.classify({"phone": "+86 138-0000-0000"})
    assert (c.grade, c.rule) == ("vip", "vip")
    assert c.reasons == ['phone == "138****0000" (value: "138****0000")']

    e = policy.explain({"phone": "13800000001", "email": " LI.LEI@example.com "})
    assert [(t.rule, t.fired, t.condition, t.value) for t in e.trace] == [
        ("vip", False, 'phone == "138****0000"', '"138****0001"'),
        ("mail", True, 'email in ["l***@example.com"]', '"l***@example.com"'),
    ]
    shown = " ".join([*e.reasons, *(t.condition + t.value for t in e.trace)])
    for raw in ("13800000000", "13800000001", "LI.LEI", "li.lei"):
        assert raw not in shown
