"""The pandas audit as it was before it moved into the C++ engine (AuditState), kept as the
reference the engine is compared with (python/tests/test_audit_engine.py). Not part of the
package.

The supervisor's regular check of lead records and follow-up (000 §8.1.1, docs/kpis.md).

One row per finding: ``lead_id``, ``finding`` (a code of FINDINGS), ``detail`` (personal data
masked). The deadlines behind ``entered_late`` and ``first_contact_late`` are the cadence
engine's, read through :func:`leadkit.lead_kpis`; nothing here re-derives a deadline.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

import reference_frames
from leadkit._scope import check_scope, scope_mask
from leadkit._policy import check_policy
from leadkit import _core, _frames
from leadkit import Scope, lead_kpis
from leadkit._policy import Policy

#: The finding codes, in the order findings of one lead are listed (part of the contract).
FINDINGS = (
    "missing_name", "missing_phone", "missing_model", "missing_grade", "invalid_phone",
    "entered_late", "entered_next_day", "first_contact_late", "first_contact_not_phone",
    "duplicate_phone", "touch_by_other_consultant",
)
#: Findings about the record itself; the only ones an invalid lead can have.
RECORD_FINDINGS = FINDINGS[:5]
AUDIT_COLUMNS = ["lead_id", "finding", "detail"]

# China numbers after normalisation (+86 / 0086 and separators removed): a mobile is 11 digits
# starting 13–19; a landline is 0, a 2-digit (10, 20–29) or 3-digit (30–99x) area code, then a
# 7–8 digit subscriber number that does not start with 0 or 1.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0(?:10|2\d|[3-9]\d\d)[2-9]\d{6,7}")
_INSTANT_FIELDS = ["created_at", "entered_at", "assigned_at", "won_at", "delivered_at", "lost_at"]
_TEXT_FIELDS = ["lead_id", "name", "phone", "model", "grade", "consultant_id", "dealer_id"]
_TOUCH_FIELDS = {"lead_id": "string", "at": "instant", "consultant_id": "string"}
_TIME_FORMAT = "%Y-%m-%d %H:%M"
_MAX_LISTED = 10


def _blank(values: np.ndarray) -> np.ndarray:
    """Null, empty or only spaces."""
    text = pd.Series(values, dtype=object)
    return (text.isna() | (text.astype(str).str.strip() == "")).to_numpy(dtype=bool)


def _local(seconds: np.ndarray, zone: str) -> pd.Series:
    return pd.Series(pd.to_datetime(seconds, unit="s", utc=True).tz_convert(zone))


def _text(times: pd.Series) -> np.ndarray:
    return times.dt.strftime(_TIME_FORMAT).to_numpy(dtype=object)


def phone_is_valid(phone: str) -> bool:
    """A China mobile or landline number, after ``+86``/``0086`` and separators are removed."""
    digits = _core.normalize_phone(phone)
    return bool(_MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits))


def _phones(values: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(normalised digits or None, valid) per lead; each distinct text is checked once."""
    uniques = pd.unique(pd.Series(values[present], dtype=object))
    digits = {p: _core.normalize_phone(str(p)) for p in uniques}
    ok = {p: bool(_MOBILE.fullmatch(d) or _LANDLINE.fullmatch(d)) for p, d in digits.items()}
    texts = pd.Series(values, dtype=object).where(present, None)
    normal = texts.map(digits).to_numpy(dtype=object)
    valid = texts.map(ok).eq(True).to_numpy(dtype=bool)  # no text at all maps to NaN
    return np.where(present, normal, None), valid & present


def _rows(positions: np.ndarray, finding: str, details) -> pd.DataFrame:
    details = np.broadcast_to(np.asarray(details, dtype=object), positions.shape)
    return pd.DataFrame({"position": positions.astype(np.int64), "finding": finding,
                         "detail": details})


def _duplicates(ids: np.ndarray, normal: np.ndarray, eligible: np.ndarray,
                phones: np.ndarray) -> pd.DataFrame:
    """``duplicate_phone``: leads sharing a normalised valid phone with another eligible lead;
    the detail names the other lead ids (at most ten, then a count)."""
    frame = pd.DataFrame({"position": np.flatnonzero(eligible),
                          "lead_id": ids[eligible], "phone": normal[eligible]})
    frame = frame[frame["phone"].duplicated(keep=False)]
    if frame.empty:
        return _rows(np.array([], np.int64), "duplicate_phone", "")
    groups = frame.sort_values("lead_id").groupby("phone")["lead_id"].agg(list)
    members = frame["phone"].map(groups).to_numpy(dtype=object)
    details = []
    for lead_id, position, group in zip(frame["lead_id"], frame["position"], members):
        others = [g for g in group[:_MAX_LISTED + 1] if g != lead_id][:_MAX_LISTED]
        more = len(group) - 1 - len(others)
        listed = ", ".join(others) + (f" and {more} more" if more else "")
        masked = _core.mask_value("phone", str(phones[position]))
        details.append(f"same phone ({masked}) as {listed}")
    return _rows(frame["position"].to_numpy(), "duplicate_phone", details)


def _other_consultants(touch_lead: np.ndarray, touch_at: np.ndarray, touch_by: np.ndarray,
                       lead_consultant: np.ndarray, eligible: np.ndarray, as_of: int,
                       zone: str) -> pd.DataFrame:
    """``touch_by_other_consultant``: per lead, its touches by `as_of` made by a consultant
    other than the lead's own (both set)."""
    owner = lead_consultant[touch_lead]
    other = (eligible[touch_lead] & (touch_at <= as_of) & pd.notna(touch_by)
             & pd.notna(owner))
    other &= touch_by.astype(str) != owner.astype(str)
    frame = pd.DataFrame({"position": touch_lead[other], "at": touch_at[other],
                          "by": touch_by[other].astype(str)})
    if frame.empty:
        return _rows(np.array([], np.int64), "touch_by_other_consultant", "")
    per_lead = frame.groupby("position").agg(
        count=("at", "size"), first=("at", "min"),
        by=("by", lambda b: ", ".join(sorted(set(b)))))
    first = _text(_local(per_lead["first"].to_numpy(), zone))
    details = [f"{count} touch{'es' if count > 1 else ''} by {by} (the lead's consultant is "
               f"{lead_consultant[position]}); first at {when}"
               for position, count, by, when in zip(per_lead.index, per_lead["count"],
                                                     per_lead["by"], first)]
    return _rows(per_lead.index.to_numpy(), "touch_by_other_consultant", details)


def _record_findings(text: dict[str, np.ndarray], grades: np.ndarray,
                     audited: np.ndarray) -> list[pd.DataFrame]:
    """``missing_name``, ``missing_phone``, ``missing_model``, ``missing_grade``: the field is
    null, empty or blank (an absent column is null throughout)."""
    found = []
    for field in ("name", "phone", "model"):
        blank = _blank(text[field]) & audited
        found.append(_rows(np.flatnonzero(blank), f"missing_{field}", f"{field} is empty"))
    blank = _blank(text["grade"]) & audited
    found.append(_rows(np.flatnonzero(blank), "missing_grade", [
        f"grade is empty (the policy classifies it {g})" if isinstance(g, str)
        else "grade is empty" for g in grades[blank]]))
    return found


def _entry_findings(per_lead: pd.DataFrame, lead_specs: dict, valid: np.ndarray,
                    zone: str) -> list[pd.DataFrame]:
    """``entered_late`` (after the cadence's entry deadline) and ``entered_next_day`` (on a
    later local day than collected). A null ``entered_at`` reads as ``created_at``."""
    created = lead_specs["created_at"][2]
    given, known = reference_frames.instant_values(lead_specs.get("entered_at"), len(created))
    entered = np.where(known, given, created)
    late = valid & ~per_lead["entered_on_time"].to_numpy(dtype=bool)
    entered_late = _rows(np.flatnonzero(late), "entered_late", [
        f"entered {e}, due by {d}" for e, d in zip(_text(_local(entered[late], zone)),
                                                   _text(per_lead["entry_due_at"][late]))])
    created_local, entered_local = _local(created, zone), _local(entered, zone)
    next_day = valid & known & (entered_local.dt.normalize() > created_local.dt.normalize()
                                ).to_numpy(dtype=bool)
    next_day_rows = _rows(np.flatnonzero(next_day), "entered_next_day", [
        f"collected {c}, entered {e}" for c, e in zip(_text(created_local[next_day]),
                                                       _text(entered_local[next_day]))])
    return [entered_late, next_day_rows]


def _contact_findings(per_lead: pd.DataFrame, valid: np.ndarray, as_of: int,
                      zone: str) -> list[pd.DataFrame]:
    """``first_contact_late`` (due and not on time, as the first-contact KPI counts it) and
    ``first_contact_not_phone`` (the earliest touch is not a phone call)."""
    late = (valid & per_lead["first_contact_due"].to_numpy(dtype=bool)
            & ~per_lead["first_contact_on_time"].to_numpy(dtype=bool))
    first = per_lead["first_contact_at"]
    touched = first.notna().to_numpy()
    as_of_text = _text(_local(np.array([as_of]), zone))[0]
    late_rows = _rows(np.flatnonzero(late), "first_contact_late", [
        (f"first touch {f}, due by {d}" if t else f"no touch by {as_of_text}, due by {d}")
        for f, d, t in zip(_text(first[late]), _text(per_lead["first_contact_due_at"][late]),
                           touched[late])])
    method = per_lead["first_contact_method"].to_numpy(dtype=object)
    other = valid & touched & (method != "phone")
    other_rows = _rows(np.flatnonzero(other), "first_contact_not_phone", [
        f"first touch by {m} at {f}" for m, f in zip(method[other], _text(first[other]))])
    return [late_rows, other_rows]


@_frames.keeps_key_dtypes("leads", "touches", "dealers")
def audit(leads: Any, touches: Any, policy: Policy, *, as_of: Any = None,
          tz: str | None = None, scope: Scope | None = None,
          dealers: Any = None) -> pd.DataFrame:
    """The supervisor's check (000 §8.1.1, docs/kpis.md): one row per finding, columns
    ``lead_id``, ``finding`` (a code of :data:`FINDINGS`) and ``detail`` (personal data
    masked), sorted by ``lead_id`` and then by the order of FINDINGS.

    Audited: the leads created by `as_of` in `scope`; invalid leads only for the record
    findings (RECORD_FINDINGS). Touches after `as_of` are ignored. Deadlines are the cadence's
    (:func:`leadkit.lead_kpis`). `as_of` defaults to the latest timestamp in the inputs.
    """
    check_policy(policy)
    lead_frame, touch_frame = _frames.lead_and_touch_frames(leads, touches)
    fields = {name: _frames.LEAD_FIELDS[name][0] for name in [*_INSTANT_FIELDS, *_TEXT_FIELDS]}
    lead_specs = {s[0]: s for s in _frames.table_specs(lead_frame, fields, table="leads", tz=tz)}
    touch_specs = {s[0]: s for s in _frames.table_specs(touch_frame, _TOUCH_FIELDS,
                                                        table="touches", tz=tz)}
    as_of_seconds = _frames.as_of_seconds(as_of, [*lead_specs.values(), *touch_specs.values()],
                                          tz)
    per_lead = lead_kpis(lead_frame, touch_frame, policy,
                         as_of=pd.Timestamp(as_of_seconds, unit="s", tz="UTC"), tz=tz,
                         dealers=dealers)
    inside = scope_mask(check_scope(scope), lead_frame,
                                _frames.dealers_frame(dealers))
    n = len(lead_frame)
    audited = per_lead["counted"].to_numpy(dtype=bool) & inside
    valid = audited & ~per_lead["invalid"].to_numpy(dtype=bool)
    zone = policy.time_zone
    text = {name: reference_frames.string_values(lead_specs.get(name), n) for name in _TEXT_FIELDS}
    ids = text["lead_id"]

    grades = per_lead["grade"].to_numpy(dtype=object)
    found = _record_findings(text, grades, audited)
    has_phone = ~_blank(text["phone"])
    normal, phone_ok = _phones(text["phone"], has_phone)
    bad_phone = audited & has_phone & ~phone_ok
    found.append(_rows(np.flatnonzero(bad_phone), "invalid_phone", [
        f"phone {_core.mask_value('phone', str(p))} is not a China mobile or landline number"
        for p in text["phone"][bad_phone]]))
    found += _entry_findings(per_lead, lead_specs, valid, zone)
    found += _contact_findings(per_lead, valid, as_of_seconds, zone)
    found.append(_duplicates(ids, normal, valid & phone_ok, text["phone"]))
    m = len(touch_frame)
    lead_row = pd.Index(ids).get_indexer(reference_frames.string_values(touch_specs["lead_id"], m))
    found.append(_other_consultants(
        lead_row, touch_specs["at"][2],
        reference_frames.string_values(touch_specs.get("consultant_id"), m), text["consultant_id"],
        valid, as_of_seconds, zone))

    rows = pd.concat(found, ignore_index=True)
    rows["lead_id"] = ids[rows["position"].to_numpy()]
    rows["order"] = rows["finding"].map({f: i for i, f in enumerate(FINDINGS)})
    rows = rows.sort_values(["lead_id", "order"], kind="stable")
    return pd.DataFrame({column: rows[column].to_numpy(dtype=object)
                         for column in AUDIT_COLUMNS})
