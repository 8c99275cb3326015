"""Personal data typed into free text (C++ ScrubText, include/leadkit/phone.h): masked in
report rows, the HTML/JSON report and error messages; ordinary values left alone."""

import json

import pandas as pd
import pytest

import leadkit
from leadkit import _core, _frames
from times import ts

PHONE = "13800138000"


@pytest.mark.parametrize("text, scrubbed", [
    ("客户电话13800138000已停机", "客户电话138****8000已停机"),
    ("call +86 138-0013-8000 after 6", "call 138****8000 after 6"),
    ("(010) 6552 8888 front desk", "010****8888 front desk"),
    ("13800138000 13900139000", "138****8000 139****9000"),
    ("mail li.lei@example.com today", "mail l***@example.com today"),
    ("wxid_abc123 added", "w********** added"),
    ("微信：lilei_88", "微信：l*******"),
    ("WeChat: lileiok", "WeChat: l******"),
])
def test_scrub_text_masks_phones_emails_and_wechat_ids(text, scrubbed):
    assert _core.scrub_text(text) == scrubbed


@pytest.mark.parametrize("text", [
    "C200", "2024-05-13", "2024-05-13 10:00:00+08:00", "L000123", "268000", "268000.50",
    "price too high", "WeChat group", "微信已加", "order 20240513001", "V6 engine", "",
])
def test_scrub_text_keeps_ordinary_values(text):
    assert _core.scrub_text(text) == text


def _lost_leads(reasons):
    n = len(reasons)
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "created_at": [ts("2024-05-01 10:00")] * n,
        "channel": ["website"] * n,
        "status": ["lost"] * n,
        "lost_at": [ts("2024-05-10 10:00")] * n,
        "lost_reason": reasons,
    })


def test_lost_analysis_rows_mask_a_phone_typed_into_lost_reason():
    leads = _lost_leads([f"客户电话{PHONE}已停机", "price", "price"])
    table = leadkit.lost_analysis(leads, by=None)
    reasons = sorted(table["lost_reason"])
    assert reasons == ["price", "客户电话138****8000已停机"]
    assert table.set_index("lost_reason")["lost"].to_dict() == {
        "price": 2, "客户电话138****8000已停机": 1}


def test_an_error_quoting_a_status_masks_the_phone_in_it():
    leads = _lost_leads(["price"])
    leads["status"] = [f"call {PHONE}"]
    touches = pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                            "at": pd.Series([], dtype="datetime64[ns, Asia/Shanghai]"),
                            "method": pd.Series([], dtype=object)})
    with pytest.raises(ValueError, match=r"138\*\*\*\*8000") as caught:
        leadkit.kpis(leads, touches, leadkit.Policy.preset("abcd"))
    assert PHONE not in str(caught.value)
    assert "status" in str(caught.value)


def test_a_json_parse_error_quoting_the_document_masks_the_phone_in_it():
    # nlohmann quotes what it read last: "last read: '13800138000x'".
    with pytest.raises(ValueError) as caught:
        leadkit.Policy.from_json('{"name": 13800138000x}')
    assert "last read: '138****8000x'" in str(caught.value)
    assert PHONE not in str(caught.value)


def test_python_messages_show_free_text_scrubbed_and_cut():
    assert _frames.show("channel", f"tel {PHONE}") == "'tel 138****8000'"
    assert _frames.show("phone", PHONE) == "'138****8000'"
    assert _frames.show("model", "C200") == "'C200'"
    long = _frames.show("lost_reason", "x" * 10_000)
    assert len(long) < 100 and "10,002 characters" in long
    # A lone surrogate (a CSV byte read with surrogateescape) is shown escaped.
    assert _frames.show("lost_reason", "bad\udcff") == "'bad\\\\udcff'"


def test_report_html_and_json_mask_personal_data_typed_into_lost_reason(tmp_path):
    pytest.importorskip("matplotlib")
    from leadkit import plot, report, synth

    data = synth.generate(leads=120, dealers=2, seed=3)
    leads = data.leads.copy()
    lost = leads["status"] == "lost"
    assert lost.any()
    # ASCII only: the charts' font has no CJK glyphs (a warning, an error here).
    leads.loc[lost, "lost_reason"] = f"wechat: lilei_88 tel {PHONE} li@example.com"
    built = report.build(leads, data.touches, leadkit.Policy.preset("abcd"))
    try:
        page = built.html()
        numbers = json.dumps(built.to_dict(), ensure_ascii=False)
    finally:
        plot.pyplot().close("all")
    for secret in [PHONE, "lilei_88", "li@example.com"]:
        assert secret not in page
        assert secret not in numbers
    masked = "wechat: l******* tel 138****8000 l***@example.com"
    assert built.charts["lost_reasons"][masked] == int(lost.sum())
