"""Lead routing from Python (docs/routing.md)."""

from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _core, _frames
from ._classify import classify
from ._policy import Policy
from ._schedule import first_contact_overdue

Assignment = _core.Assignment


def _value(row: dict, column: str, default=None):
    """A cell, or `default` when it is null; a list or other container is returned as it is
    (the reader of the column names it)."""
    value = row.get(column, default)
    if value is None or (np.ndim(value) == 0 and not isinstance(value, str)
                         and bool(pd.isna(value))):
        return default
    return value


def _who(row: dict, id_column: str) -> str:
    return f"{id_column} {_frames.show(id_column, row[id_column])}"


def _number(table: str, row: dict, id_column: str, column: str, default=None, *,
            whole: bool = False):
    """A finite number (with `whole`, a whole one), or `default` when null."""
    value = _value(row, column, default)
    if value is None:
        return None
    expected = "a whole number" if whole else "a number"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{table}.{column}: {_who(row, id_column)} has "
                         f"{_frames.show(column, value)}; expected {expected}")
    number = float(value)
    if not np.isfinite(number) or (whole and number != int(number)):
        raise ValueError(f"{table}.{column}: {_who(row, id_column)} has "
                         f"{_frames.show(column, value)}; expected {expected}")
    return number


def _text(table: str, row: dict, id_column: str, column: str, default: str = "") -> str:
    """A cell as text for the engine (`default` when null): valid text only."""
    value = _value(row, column, default)
    if not isinstance(value, str):
        # As the other engines read a string column: a number is not an id (a CSV column of
        # digits read as numbers has lost its leading zeros).
        raise ValueError(f"{table}.{column}: {_who(row, id_column)} has "
                         f"{_frames.show(column, value)} ({type(value).__name__}); expected a "
                         "string (read the column as text, e.g. dtype=str)")
    text = value
    if _frames.first_not_text([text]) >= 0:
        raise _frames.not_text_error(table, column, _who(row, id_column), text)
    return text


def _flag(table: str, row: dict, id_column: str, column: str) -> bool:
    """A true/false column (default true); text such as "false" is an error, not true."""
    value = _value(row, column, True)
    if isinstance(value, (bool, np.bool_)) or (
            isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1)):
        return bool(value)
    raise ValueError(f"{table}.{column}: {_who(row, id_column)} has "
                     f"{_frames.show(column, value)}; expected true or false")


_MODELS_EXPECTED = ("expected model names: a list of strings, or text separated by ';' or ','; "
                    "null or empty for every model")


def _models(table: str, row: dict, id_column: str) -> list[str]:
    """A dealer's or consultant's ``models`` cell as a list of names; [] = every model.

    Accepted: null (None, NaN, pd.NA: every model), text separated by ``;`` or ``,`` (``"C200; GLC"``), or
    a list-like of strings (list, tuple, 1-d numpy array: what pandas gives for
    ``pd.ArrowDtype(pa.list_(pa.string()))`` columns and pyarrow list columns). Names are
    trimmed and empty ones dropped. Anything else is a ValueError naming the table, the row's
    id, the column and the value.
    """
    value = row.get("models")

    def bad(shown) -> ValueError:
        return ValueError(f"{table}.models: {_who(row, id_column)} has "
                          f"{_frames.show('models', shown)}; {_MODELS_EXPECTED}")

    if isinstance(value, str):
        if _frames.first_not_text([value]) >= 0:
            raise _frames.not_text_error(table, "models", _who(row, id_column), value)
        names = re.split(r"[;,]", value)
    elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        names = list(value)
        for name in names:
            if not isinstance(name, str) or _frames.first_not_text([name]) >= 0:
                raise bad(value.tolist() if isinstance(value, np.ndarray) else value)
    elif value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, (float, np.floating)) and np.isnan(value)):
        return []
    else:
        raise bad(value)
    return [name.strip() for name in names if name.strip()]


def _records(data, table: str, id_column: str, required: list[str]) -> list[dict]:
    frame = _frames.as_frame(data, table)
    _frames.require_columns(frame, table, required)
    _frames.require_ids(frame, table, id_column)
    return frame.to_dict("records")


def network(dealers: Any, consultants: Any) -> _core.Network:
    """The network routing works on; bad rows are a ValueError naming table, id, column and
    value."""
    drows = []
    for row in _records(dealers, "dealers", "dealer_id", ["dealer_id", "region_id", "lat", "lon"]):
        drows.append((_text("dealers", row, "dealer_id", "dealer_id"),
                      _text("dealers", row, "dealer_id", "region_id"),
                      _number("dealers", row, "dealer_id", "lat", float("nan")),
                      _number("dealers", row, "dealer_id", "lon", float("nan")),
                      _text("dealers", row, "dealer_id", "city"),
                      _models("dealers", row, "dealer_id"),
                      _flag("dealers", row, "dealer_id", "active")))
    crows = []
    for row in _records(consultants, "consultants", "consultant_id", ["consultant_id", "dealer_id"]):
        capacity = _number("consultants", row, "consultant_id", "max_open_leads", whole=True)
        crows.append((_text("consultants", row, "consultant_id", "consultant_id"),
                      _text("consultants", row, "consultant_id", "dealer_id"),
                      _models("consultants", row, "consultant_id"),
                      _number("consultants", row, "consultant_id", "experience_years", 0.0),
                      _flag("consultants", row, "consultant_id", "active"),
                      None if capacity is None else int(capacity),
                      int(_number("consultants", row, "consultant_id", "open_leads", 0.0,
                                  whole=True)),
                      _number("consultants", row, "consultant_id", "weight", 1.0),
                      _text("consultants", row, "consultant_id", "code")))
    return _core.Network.create(drows, crows)


def _seconds(value, what: str) -> int:
    return _frames.instant_seconds(value, what)


class Router:
    """Routes leads one by one (000 §5.1), keeping loads and file-number counters.

    ``Router(dealers, consultants, policy, open_leads=None, phone_key=None)``;
    ``router.route(lead_dict)`` returns an :class:`Assignment`; ``router.save()`` gives bytes
    that ``Router.restore(data, dealers, consultants, policy, phone_key=...)`` turns back into
    a router.

    `phone_key` (16 secret bytes, e.g. ``secrets.token_bytes(16)``, kept outside the saved
    state) is the key of the keyed hash that stands for each phone number seen: a saved state
    holds no phone number (docs/routing.md, "Saved state"). Without it a router that has seen
    a phone cannot be saved, and a state restores only under the key it was saved with.
    """

    def __init__(self, dealers: Any, consultants: Any, policy: Policy, *, open_leads=None,
                 phone_key: bytes | None = None):
        if not isinstance(policy, Policy):
            raise TypeError(f"policy: expected a leadkit.Policy, got {type(policy).__name__}")
        if phone_key is not None and not isinstance(phone_key, (bytes, bytearray)):
            raise TypeError(f"phone_key: expected 16 bytes, got {type(phone_key).__name__}")
        self._policy = policy
        self._impl = _core.Router(network(dealers, consultants), policy._impl,
                                  None if phone_key is None else bytes(phone_key))
        if open_leads is not None:
            for row in _records(open_leads, "open_leads", "lead_id", ["lead_id", "created_at"]):
                phone = _value(row, "phone", "")
                if not isinstance(phone, str):
                    # A number loses leading zeros and gains ".0": phones must be text.
                    raise ValueError(
                        f"open_leads.phone: {_who(row, 'lead_id')} has "
                        f"{_core.mask_value('phone', _frames.printable(str(phone)))} "
                        f"({type(phone).__name__}); "
                        "expected text")
                self._impl.add_open_lead(
                    _text("open_leads", row, "lead_id", "lead_id"),
                    _seconds(row["created_at"], "open_leads.created_at"),
                    _text("open_leads", row, "lead_id", "phone"),
                    _text("open_leads", row, "lead_id", "dealer_id"),
                    _text("open_leads", row, "lead_id", "consultant_id"))

    def _grade(self, lead: Mapping[Any, Any]) -> int:
        grades = self._policy.grades
        given = _value(dict(lead), "grade")
        if given is not None:
            if given not in grades:
                raise ValueError(f"lead.grade: {_frames.show('grade', given)} is not one of "
                                 "the policy's grades")
            return grades.index(given)
        fields = {k: v for k, v in lead.items() if k in self._policy.fields}
        return grades.index(self._policy.classify(fields).grade)

    def route(self, lead: Mapping[Any, Any], *, _phone: str | None = None) -> Assignment:
        """Routes one lead given as a dict of lead fields (lead_id and created_at needed)."""
        row = dict(lead)
        for column in ("lead_id", "created_at"):
            if _value(row, column) is None:
                raise ValueError(f"lead: {column} is required")
        return self._impl.route(
            str(row["lead_id"]), _seconds(row["created_at"], "lead.created_at"),
            str(_value(row, "phone", "")) if _phone is None else _phone,
            None if _value(row, "dealer_id") is None else str(row["dealer_id"]),
            str(_value(row, "model", "")), str(_value(row, "city", "")),
            _number("lead", row, "lead_id", "lat") if "lead_id" in row else _value(row, "lat"),
            _number("lead", row, "lead_id", "lon") if "lead_id" in row else _value(row, "lon"),
            self._grade(row))

    def save(self) -> bytes:
        """The router's state (loads, file-number counters, keyed hashes of the phones seen);
        RuntimeError when it has seen a phone and was made without `phone_key`."""
        return self._impl.save()

    @classmethod
    def restore(cls, data: bytes, dealers: Any, consultants: Any, policy: Policy, *,
                phone_key: bytes | None = None) -> "Router":
        """A router over this network with the state `data` from :meth:`save`; damaged bytes,
        a state of another network or another `phone_key` are a ValueError saying what is
        wrong."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"data: expected the bytes of Router.save(), got {type(data).__name__}")
        router = cls(dealers, consultants, policy, phone_key=phone_key)
        router._impl.restore(bytes(data))
        return router


def parse_file_number(text: str) -> tuple[str, int, int]:
    """``"A01-26-0001"`` -> ``("A01", 26, 1)``; a malformed number is a ValueError naming it."""
    return _core.parse_file_number(text)


_ROUTE_COLUMNS = {"lead_id": "string", "created_at": "instant", "phone": "string",
                  "dealer_id": "string", "model": "string", "city": "string",
                  "lat": "double", "lon": "double"}


def route(leads: Any, dealers: Any, consultants: Any, policy: Policy, *,
          open_leads=None) -> pd.DataFrame:
    """Routes every lead, in input order (docs/routing.md): one row per input lead with
    ``lead_id``, ``status``, ``dealer_id``, ``consultant_id``, ``distance_km``,
    ``file_number``, ``duplicate_of``, ``reason`` and ``passed_over``.

    With the policy's ``routing.overflow`` ``"next_dealer"`` (the presets' and the default), a
    lead whose nearest dealer cannot serve it goes to the next nearest dealer within
    ``max_distance_km`` that can; its ``reason`` says why the nearest was passed over
    (``no_model_at_nearest``, ``nearest_full``) and ``passed_over`` lists the dealers passed,
    nearest first, as ``"D1:nearest_full;D2:no_model_at_nearest"`` (None when none was).

    A lead is a duplicate when its normalised phone matches an earlier lead (earlier by
    ``created_at``, ties by input order; in the batch or in `open_leads`) within the policy's
    window; it keeps the original's dealer and consultant, and ``duplicate_of`` names the
    first lead of the chain.

    When `leads` is an Arrow stream (pyarrow, Polars, DuckDB, any ``__arrow_c_stream__``), the
    C++ engine reads it itself, without pandas (docs/data.md, "Arrow streams"); the result is
    the same. The dealers, consultants and `open_leads` are read as on the pandas path.
    """
    router = Router(dealers, consultants, policy, open_leads=open_leads)
    tables = _frames.arrow_tables({"leads": leads})
    if tables is not None:
        # The rules' fields and grade, read as the pandas path reads them (classify's).
        names = [*_ROUTE_COLUMNS, "grade", *policy._impl.fields]
        fields = {name: _frames.LEAD_FIELDS[name][0] for name in names}
        if _frames.stream_ready(tables, {"leads": fields},
                                required={"leads": ["lead_id", "created_at"]}):
            return _route_arrow(router, tables["leads"], policy)
        leads = tables["leads"]
    frame = _frames.as_frame(leads, "leads")
    ids = _frames.require_ids(frame, "leads", "lead_id")
    _frames.require_columns(frame, "leads", ["created_at"])
    specs = _frames.table_specs(frame, _ROUTE_COLUMNS, table="leads")
    codes = _grade_codes(frame, ids, policy, "leads")
    out = router._impl.route_batch(len(frame), specs, codes)
    result = pd.DataFrame({
        "lead_id": ids.reset_index(drop=True),
        "status": pd.Categorical.from_codes(out["status"],
                                            categories=["assigned", "duplicate", "unassigned"]),
        "dealer_id": pd.Series(out["dealer_id"], dtype=object),
        "consultant_id": pd.Series(out["consultant_id"], dtype=object),
        "distance_km": out["distance_km"],
        "file_number": pd.Series(out["file_number"], dtype=object),
        "duplicate_of": pd.Series(out["duplicate_of"], dtype=object),
        "reason": pd.Series(out["reason"], dtype=object),
        "passed_over": pd.Series(out["passed_over"], dtype=object),
    })
    return result


#: The categories of route()'s status column.
_ROUTE_STATUSES = ["assigned", "duplicate", "unassigned"]


def _route_arrow(router: Router, leads: pa.Table, policy: Policy) -> pd.DataFrame:
    """route() of an Arrow table, read, graded and routed by the C ABI's code
    (lk_route_arrow; ``passed_over`` as the pandas path's text): the same frame as the
    pandas path gives, the ids the table's strings."""
    try:
        capsule = router._impl.route_arrow(policy._impl, leads)
    except ValueError as error:
        if str(error).startswith("leads.grade: "):
            _check_grades(leads, policy)
        raise
    out = _frames.ArrowResult(capsule).read_all()
    status = pc.index_in(out["status"], value_set=pa.array(_ROUTE_STATUSES))

    def texts(name: str) -> pd.Series:
        return pd.Series(out[name].to_pylist(), dtype=object)

    return pd.DataFrame({
        "lead_id": pd.arrays.ArrowExtensionArray(out["lead_id"]),
        "status": pd.Categorical.from_codes(status.to_numpy(zero_copy_only=False),
                                            categories=_ROUTE_STATUSES),
        "dealer_id": texts("dealer_id"),
        "consultant_id": texts("consultant_id"),
        "distance_km": np.asarray(out["distance_km"].to_numpy(), dtype=np.float64),
        "file_number": texts("file_number"),
        "duplicate_of": texts("duplicate_of"),
        "reason": texts("reason"),
        "passed_over": texts("passed_over"),
    })


def _check_grades(leads: pa.Table, policy: Policy) -> None:
    """The first given ``grade`` that is not one of the policy's (the engine's error), named
    as the pandas path names it (:func:`_grade_codes`)."""
    if "grade" not in leads.column_names:
        return
    grades = leads["grade"]
    if pa.types.is_null(grades.type):
        return
    if pa.types.is_dictionary(grades.type):
        grades = grades.cast(grades.type.value_type)
    unknown = pc.and_(pc.is_valid(grades),
                      pc.invert(pc.is_in(grades, value_set=pa.array(policy.grades))))
    if not pc.any(unknown).as_py():
        return
    position = pc.index(unknown, True).as_py()
    lead_id = leads["lead_id"][position].as_py()
    raise ValueError(f"leads.grade: lead_id={_frames.show('lead_id', str(lead_id))} "
                     f"(row {position}) has {_frames.show('grade', grades[position].as_py())}, "
                     "not one of the policy's grades")


def _grade_codes(frame: pd.DataFrame, ids: pd.Series, policy: Policy, table: str) -> np.ndarray:
    """Each row's grade index: its ``grade`` when given (one of the policy's, else a
    ValueError naming the row), else the policy's classification."""
    grades = policy.grades
    codes = classify(frame, policy)["grade"].cat.codes.to_numpy().astype(np.int32)
    if "grade" in frame.columns:
        # Read as every string column is (a list, a number or a lone surrogate is an error
        # naming the row), then each value looked up among the policy's grades.
        labels = _frames.RowLabels(frame, "lead_id")
        _, _, given, _, dictionary = _frames.column_spec(frame, "grade", "string",
                                                         table=table, labels=labels)
        index = {g: i for i, g in enumerate(grades)}
        # The last entry stands for a null (code -1).
        known = np.array([index.get(v, -1) for v in dictionary] + [-1], dtype=np.int32)[given]
        bad = (given >= 0) & (known < 0)
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{table}.grade: {labels(position)} has "
                             f"{_frames.show('grade', dictionary[given[position]])}, not one of "
                             "the policy's grades")
        codes = np.where(given >= 0, known, codes).astype(np.int32)
    return np.ascontiguousarray(codes)


#: What hand-over and reclaim read of their leads.
_MOVE_COLUMNS = {"lead_id": "string", "created_at": "instant", "consultant_id": "string",
                 "dealer_id": "string", "model": "string", "reassignments": "number"}


def _moves_frame(out: dict, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    names = ["lead_id", "from_consultant_id", "to_consultant_id", "status", "reason", *extra]
    frame = pd.DataFrame({n: pd.Series(out[n], dtype=object) for n in names})
    frame["status"] = pd.Categorical(frame["status"],
                                     categories=["moved", "reclaimed", "escalated", "unassigned"])
    return frame


def handover(open_leads: Any, dealers: Any, consultants: Any, policy: Policy, *,
             leaving) -> pd.DataFrame:
    """When consultants leave or go on leave (002 §2.3), their open leads are spread over their
    dealer's remaining eligible consultants by the routing rule (C++ ``Router::Handover``).
    One row per move: ``lead_id``, ``from_consultant_id``, ``to_consultant_id``, ``status``
    (``moved`` or ``unassigned`` when nobody is eligible) and ``reason``."""
    leaving = [leaving] if isinstance(leaving, str) else [str(c) for c in leaving]
    router = Router(dealers, consultants, policy)
    frame = _frames.as_frame(open_leads, "open_leads")
    _frames.require_columns(frame, "open_leads", ["lead_id", "created_at", "dealer_id",
                                                  "consultant_id"])
    ids = _frames.require_ids(frame, "open_leads", "lead_id")
    specs = _frames.table_specs(frame, _MOVE_COLUMNS, table="open_leads")
    out = router._impl.handover(len(frame), specs, _grade_codes(frame, ids, policy,
                                                                "open_leads"), leaving)
    return _moves_frame(out)


def reclaim(leads: Any, touches: Any, dealers: Any, consultants: Any, policy: Policy, *,
            as_of) -> pd.DataFrame:
    """Leads whose first-contact deadline (the cadence's rule) passed by `as_of` without a
    touch go to another eligible consultant of their dealer (``reclaimed``, their
    ``reassignments`` rising by one); at the policy's ``reclaim_limit`` they are ``escalated``
    to the dealer's manager instead (C++ ``Cadence::FirstContactOverdue``, then
    ``Router::Reclaim``). With a ``calendar`` column in `dealers`, each deadline is judged on
    the lead's dealer's calendar, as :func:`schedule` does. One row per lead concerned, with
    the moves' columns and the lead's ``reassignments`` after it."""
    dealer_frame = _frames.as_frame(dealers, "dealers")
    # Deadlines on each dealer's calendar when the dealers table names one, as in schedule().
    calendars = dealer_frame if "calendar" in dealer_frame.columns else None
    frame, late = first_contact_overdue(leads, touches, policy, as_of=as_of, dealers=calendars)
    ids = _frames.require_ids(frame, "leads", "lead_id")
    staff = _frames.as_frame(consultants, "consultants")
    _frames.require_columns(staff, "consultants", ["consultant_id"])
    router = Router(dealer_frame, staff, policy)
    specs = _frames.table_specs(frame, _MOVE_COLUMNS, table="leads")
    out = router._impl.reclaim(len(frame), specs, _grade_codes(frame, ids, policy, "leads"),
                               late)
    # `reassignments`: the lead's count after this reclaim.
    return _moves_frame(out, ("reassignments",))
