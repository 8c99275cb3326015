"""Saved report states whose counts lie near the end of a 64-bit integer, framed correctly
(docs/architecture.md, "One state protocol") but written here by hand, as a forger would:
merging one with its copy is an OverflowError naming the state and the count, and leaves the
state as it was; bytes whose counts add up past 2**63 - 1 are a ValueError.

The bytes are written by this file's own writer of the format (zigzag LEB128 numbers,
length-prefixed strings; the magic, the payload's length (LEB128) and an FNV-1a 64 checksum), not by
leadkit.
"""

from __future__ import annotations

import struct

import pytest

import leadkit

NEAR_MAX = 2**63 - 1 - 5
HALF = NEAR_MAX // 2


def _int(v: int) -> bytes:
    """A number: zigzag, then LEB128."""
    return _uint(((v << 1) ^ (v >> 63)) & (2**64 - 1))


def _uint(z: int) -> bytes:
    """LEB128: seven bits a byte, the low ones first, the top bit set on all but the last."""
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _str(s: str) -> bytes:
    data = s.encode()
    return _int(len(data)) + data


def _frame(magic: bytes, payload: bytes) -> bytes:
    body = magic + _uint(len(payload)) + payload
    h = 0xCBF29CE484222325
    for byte in body:
        h = ((h ^ byte) * 0x100000001B3) & (2**64 - 1)
    return body + struct.pack("<Q", h)


def _ints(*values: int) -> bytes:
    return b"".join(_int(v) for v in values)


def showroom(visits: int, groups: int = 1) -> bytes:
    payload = _ints(0) + _str("UTC") + _ints(0, groups)
    for g in range(groups):
        payload += _ints(1) + _str(f"Model {g}") + _ints(visits, 0, 0, 0, 0, 0)
    return _frame(b"LKSHW1", payload)


def kpis(leads: int, groups: int = 1) -> bytes:
    payload = _ints(1) + _str("channel") + _ints(groups)
    for g in range(groups):
        # leads, invalid, won, lost, entered_on_time, first_contacts_due,
        # first_contact_on_time, follow_ups_due, follow_ups_on_time, timely_leads, surveyed,
        # satisfied, estimated; then an empty first-contact histogram.
        payload += _ints(1) + _str(f"web{g}") + _ints(leads, *[0] * 12) + _ints(0)
    return _frame(b"LKKPI3", payload)


def profile(leads: int, groups: int = 1) -> bytes:
    payload = _ints(1) + _str("channel") + _ints(1, 30, groups)
    for g in range(groups):
        payload += _ints(1) + _str(f"web{g}") + _ints(leads, 0, 0)
    return _frame(b"LKPRF1", payload)


def lost_analysis(lost: int, groups: int = 1) -> bytes:
    payload = _ints(0) + _str("UTC") + _ints(groups)
    for g in range(groups):
        payload += _ints(1) + _str(f"reason {g}") + _ints(lost, lost, 0, 0, 0)
    return _frame(b"LKLST1", payload)


def effectiveness(leads: int, groups: int = 1) -> bytes:
    bounds = [struct.unpack("<q", struct.pack("<d", b))[0] for b in (1.0, 3.0, 7.0, 14.0, 30.0)]
    payload = _ints(0, 5, *bounds, 0, groups)
    for g in range(groups):
        payload += _str(["phone", "wechat"][g]) + _ints(leads, 0, 0, 0, 0, 0, 0)
    return _frame(b"LKEFF2", payload)


def activity(contacts: int, groups: int = 1) -> bytes:
    payload = _ints(1) + _str("consultant_id") + _str("UTC") + _ints(0, 0, groups)
    for g in range(groups):
        payload += (_ints(1) + _str(f"C{g}") + _ints(contacts, 0, 0, 1) + _str("phone")
                    + _ints(contacts))
    return _frame(b"LKACT2", payload)


def pipeline(touches: int, groups: int = 1) -> bytes:
    assert groups == 1  # touches per won lead, ungrouped: one group
    payload = (_ints(4, 0, 0, 0, 0, 0, 0, 0) + _str("UTC") + _ints(1) + _ints(0, touches))
    return _frame(b"LKPIP1", payload)


def backtest(leads: int, groups: int = 1) -> bytes:
    # One policy "current" with one grade "A", by dealer_id; no grade change left out.
    payload = (_ints(1) + _str("current") + _ints(1) + _str("dealer_id") + _ints(1, 1)
               + _str("A") + _ints(0, 0, groups))
    for g in range(groups):
        # The KPI counts (leads, then 12 zeros) and an empty histogram; grade A's leads, won,
        # lost; no consultant with a task, no task without one.
        payload += (_ints(1) + _str(f"D{g}") + _ints(leads, *[0] * 12) + _ints(0)
                    + _ints(leads, 0, 0) + _ints(0, 0))
    return _frame(b"LKBKT1", payload + _ints(0))  # no combination of grades


#: state class, bytes writer, the count near the end that one state holds, what is named
CASES = {
    "ShowroomState": (leadkit.ShowroomState, showroom, NEAR_MAX, "showroom state", "visits"),
    "KpiState": (leadkit.KpiState, kpis, NEAR_MAX, "KPI state", "leads"),
    "ProfileState": (leadkit.ProfileState, profile, NEAR_MAX, "profile state", "leads"),
    # lost and approved are both counted: half the end each
    "LostAnalysisState": (leadkit.LostAnalysisState, lost_analysis, HALF,
                          "lost analysis state", "lost"),
    "EffectivenessState": (leadkit.EffectivenessState, effectiveness, NEAR_MAX,
                           "effectiveness state", "leads"),
    "ActivityState": (leadkit.ActivityState, activity, HALF, "activity state", "contacts"),
    "PipelineState": (leadkit.PipelineState, pipeline, NEAR_MAX, "pipeline state",
                      "touches_per_won_lead count 1"),
    "BacktestState": (leadkit.BacktestState, backtest, NEAR_MAX, "backtest state", "leads"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_merging_a_forged_state_near_the_end_with_its_copy_is_an_overflow_error(name):
    cls, write, count, what, field = CASES[name]
    data = write(count)
    state = cls.from_bytes(data)
    merged = cls.from_bytes(data)
    with pytest.raises(OverflowError, match=rf"^{what}: merging overflows {field}: the counts "
                                            rf"add up to more than 9223372036854775807$"):
        merged.merge(state)
    assert merged == state and merged.to_bytes() == data
    with pytest.raises(OverflowError, match=rf"^{what}: merging overflows"):
        state + state
    merged.finalize()  # still a state


@pytest.mark.parametrize("name", [n for n in CASES if n != "PipelineState"])
def test_forged_groups_adding_up_past_the_end_are_a_value_error(name):
    cls, write, count, what, field = CASES[name]
    with pytest.raises(ValueError, match=rf"^{what} bytes: restoring overflows {field}"):
        cls.from_bytes(write(count, groups=2))
