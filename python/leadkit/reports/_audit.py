"""The supervisor's regular check of lead records and follow-up (000 §8.1.1, docs/kpis.md).

One row per finding: ``lead_id``, ``finding`` (a code of FINDINGS), ``detail`` (personal data
masked). The findings are the C++ engine's (``AuditState``, include/leadkit/audit.h): its
deadlines are the cadence's as the KPIs read them, its phone rule ``PhoneIsValid``. Here the
tables are converted and the engine called.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import _core, _frames
from .._calendar import warn_estimated
from .._policy import Policy, check_policy
from .._scope import Scope, check_scope
from ._state import EngineState

#: The finding codes, in the order findings of one lead are listed (part of the contract).
FINDINGS: tuple[str, ...] = tuple(_core.AUDIT_FINDINGS)
#: Findings about the record itself; the only ones an invalid lead can have.
RECORD_FINDINGS = FINDINGS[:5]
AUDIT_COLUMNS = ["lead_id", "finding", "detail"]

# What the audit reads beside the cadence's columns.
_TEXT_FIELDS = ["name", "phone", "model", "grade", "consultant_id", "dealer_id"]
#: Text columns whose values seldom repeat: passed as strings, not dictionary codes.
_TEXTS = ("name", "phone")
_TOUCH_FIELDS = {**_frames.CADENCE_TOUCH_COLUMNS, "consultant_id": "string"}


def phone_is_valid(phone: str) -> bool:
    """A China mobile or landline number, after ``+86``/``0086`` and separators are removed
    (C++ ``PhoneIsValid``)."""
    return bool(_core.phone_is_valid(phone))


class AuditState(EngineState):
    """The audit's findings so far (docs/kpis.md, "audit"): the C++ ``AuditState``.
    :meth:`add` takes the arguments of :func:`audit`; states of disjoint batches of leads
    (each lead with its touches) merge with ``+`` or :meth:`merge`, duplicates then found
    across them; :meth:`finalize` gives the table of :func:`audit`. Batches of one audit need
    one `as_of`: pass it (the default is the batch's own latest timestamp). Pickles as its
    bytes, which hold no phone number: duplicates are found by a keyed hash of each
    normalised phone (SipHash-2-4 under `phone_key`, 16 secret bytes such as
    ``secrets.token_bytes(16)``; without one, a fixed key that offers no protection once the
    bytes leave the process). States merge only under one key. A state restored from bytes
    merges and finalizes; to add to it, give the key: ``AuditState.from_bytes(data,
    phone_key=key)``."""

    _core_class = _core.AuditState
    __slots__ = ()

    def __init__(self, *, phone_key: bytes | None = None) -> None:
        self._state = _core.AuditState(_phone_key(phone_key))

    @classmethod
    def from_bytes(cls, data: bytes, *, phone_key: bytes | None = None) -> "AuditState":
        """The state :meth:`to_bytes` wrote; with `phone_key` (the key it was made under:
        a ValueError for another) it can also add."""
        if phone_key is None:
            return super().from_bytes(data)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expected bytes, got {type(data).__name__}")
        return cls._of(_core.AuditState.from_bytes_with_key(bytes(data),
                                                             _phone_key(phone_key)))

    def _check(self, core: Any) -> None:
        if core.key_check != self._state.key_check:
            raise ValueError("merge: the audit states' phones are hashed under different "
                             "phone_keys (or one has a key and the other none): duplicates "
                             "across them could not be found")

    def add(self, leads: Any, touches: Any, policy: Policy, *, as_of: Any = None,
            tz: str | None = None, scope: Scope | None = None, dealers: Any = None,
            threads: int = 1) -> "AuditState":
        """Audits a batch of leads with their touches; returns the state."""
        check_policy(policy)
        if not self._state.can_add:
            raise ValueError("phone_key: this state was restored from bytes made under a "
                             "phone_key, without it; restore it with "
                             "AuditState.from_bytes(data, phone_key=key) to add to it")
        threads = _frames.check_threads(threads)
        impl = policy._impl
        fields, compared = _frames.engine_fields(impl, cadence=True, extra=_TEXT_FIELDS)
        tables = _frames.arrow_tables({"leads": leads, "touches": touches})
        if tables is not None:
            # Arrow streams the engine reads as the pandas path does: lk_audit_state_add's
            # code reads them, the scope applied there (docs/data.md, "Arrow streams").
            columns = {"leads": fields, "touches": _TOUCH_FIELDS}
            required = {"leads": ["lead_id", "created_at"],
                        "touches": ["lead_id", "at", "method"]}
            if _frames.stream_ready(tables, columns, required=required):
                dealer_frame = _frames.dealers_frame(dealers)
                _core.audit_add_arrow(self._state, _frames.cadence_for(impl, dealer_frame),
                                      tables["leads"], tables["touches"],
                                      _frames.stream_as_of(as_of, tz), threads,
                                      **check_scope(scope).stream_arguments(dealer_frame))
                return self
            leads, touches = tables["leads"], tables["touches"]
        lead_frame, touch_frame = _frames.lead_and_touch_frames(leads, touches)
        dealer_frame = _frames.dealers_frame(dealers)
        lead_specs = _frames.table_specs(lead_frame, fields, table="leads", compared=compared,
                                         tz=tz, ids_as_strings=True, texts=_TEXTS)
        touch_specs = _frames.table_specs(touch_frame, _TOUCH_FIELDS, table="touches", tz=tz,
                                          ids_as_strings=True)
        at = _frames.as_of_seconds(as_of, [*lead_specs, *touch_specs], tz)
        mask = check_scope(scope).mask(lead_frame, dealer_frame)
        cadence = _frames.cadence_for(impl, dealer_frame)
        self._state.add(cadence, len(lead_frame), lead_specs, len(touch_frame), touch_specs,
                        at, mask, threads)
        return self

    @property
    def estimated(self) -> int:
        """Audited valid leads whose deadlines rest on a calendar past its coverage."""
        return int(self._state.estimated)

    def finalize(self) -> pd.DataFrame:
        """The :func:`audit` table of the leads added (and merged) so far."""
        out = self._state.finalize(_CHUNK_ROWS)
        # The engine's buffers in chunks, each column an Arrow chunked array over them.
        dictionary = pa.array(FINDINGS, pa.large_string())
        findings = pa.chunked_array(
            [pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), dictionary).cast(
                pa.large_string()) for codes in out["finding"]], pa.large_string())
        columns = {"lead_id": _strings(out["lead_id"]), "finding": findings,
                   "detail": _strings(out["detail"])}
        if len(findings) and _TEXT_DTYPE != object:
            # The dtype pandas infers for text (Arrow-backed): over the same buffers.
            data = {name: pd.Series(values, dtype=_TEXT_DTYPE)
                    for name, values in columns.items()}
        else:
            data = {name: np.array(values.to_pylist(), dtype=object)
                    for name, values in columns.items()}
        return pd.DataFrame(data, columns=AUDIT_COLUMNS)


#: Rows of each chunk of the finalized table's Arrow columns (the engine writes a chunk at a
#: time, so that no buffer of the whole table is grown by copying).
_CHUNK_ROWS = 1 << 20

#: The dtype pandas gives a frame's column of Python strings (object, or with inferred
#: strings an Arrow-backed ``str``): the audit table's columns have it, as they had before
#: the engine.
_TEXT_DTYPE = pd.DataFrame({"text": np.array(["x"], dtype=object)})["text"].dtype
if _TEXT_DTYPE != object and getattr(_TEXT_DTYPE, "storage", None) != "pyarrow":
    _TEXT_DTYPE = object  # built from Python strings, as pandas would


def _phone_key(phone_key: Any) -> bytes | None:
    if phone_key is not None and not isinstance(phone_key, (bytes, bytearray)):
        raise TypeError(f"phone_key: expected 16 bytes, got {type(phone_key).__name__}")
    return None if phone_key is None else bytes(phone_key)


def _strings(chunks: list[tuple[np.ndarray, np.ndarray]]) -> pa.ChunkedArray:
    """An Arrow string column over the engine's chunks of (offsets, UTF-8 bytes) buffers."""
    return pa.chunked_array(
        [pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets),
                                          pa.py_buffer(chars)) for offsets, chars in chunks],
        pa.large_string())


@_frames.keeps_key_dtypes("leads", "touches", "dealers", streams=True)
def audit(leads: Any, touches: Any, policy: Policy, *, as_of: Any = None,
          tz: str | None = None, scope: Scope | None = None,
          dealers: Any = None, threads: int = 1,
          phone_key: bytes | None = None) -> pd.DataFrame:
    """The supervisor's check (000 §8.1.1, docs/kpis.md): one row per finding, columns
    ``lead_id``, ``finding`` (a code of :data:`FINDINGS`) and ``detail`` (personal data
    masked), sorted by ``lead_id`` and then by the order of FINDINGS.

    Audited: the leads created by `as_of` in `scope`; invalid leads only for the record
    findings (RECORD_FINDINGS). Touches after `as_of` are ignored. Deadlines are the cadence's
    (:func:`leadkit.lead_kpis`). `as_of` defaults to the latest timestamp in the inputs.
    `threads` splits the leads over threads (the table is the same for any number).
    `phone_key` keys the hash duplicates are found by (:class:`AuditState`); the table is the
    same under any key.
    """
    state = AuditState(phone_key=phone_key).add(leads, touches, policy, as_of=as_of, tz=tz, scope=scope,
                             dealers=dealers, threads=threads)
    warn_estimated(_frames.judging_calendars(policy._impl, _frames.dealers_frame(dealers)),
                   state.estimated, "audit")
    return state.finalize()
