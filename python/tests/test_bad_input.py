"""The bad-input sweep: every public table function (surface.CALLS) × every column of every
table it takes × a fixed list of corruptions × the table forms (pandas, pyarrow, Polars,
DuckDB); docs/testing.md.

Each call either succeeds — a call of surface.ROWS returning every input lead exactly once, in
input order — or raises ValueError, KeyError or OverflowError whose message names the table
and the column, and the row (its id or its position) when one row was corrupted. No other
exception escapes. The tables are small (a few rows each); each case calls a turn of the
functions (every function meets every column in every form), or all of them with
LEADKIT_FULL_SWEEP=1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import surface
from test_conformance import _plain

POLICY = surface.policy("abcd")
TABLES = ["leads", "touches", "surveys", "visits", "dealers", "consultants"]
#: Names a table goes by in messages: hand-over calls the leads it moves open_leads.
ALIASES = {"leads": ("leads", "open_leads", "lead")}
#: The row every row-wise corruption is made in: not the first, so that a message naming
#: "row 0" by default is caught.
ROW = 1
#: Calls that return one row per input lead (surface.ROWS).
ROWS = surface.ROWS
#: The columns of other tables (and the scope=, which names a dealer or a region) that refer
#: to a table's id column.
REFERENCES = {("leads", "lead_id"): ("touches.lead_id", "surveys.lead_id", "visits.lead_id"),
              ("dealers", "dealer_id"): ("consultants.dealer_id", "leads.dealer_id", "scope"),
              ("dealers", "region_id"): ("scope",),
              ("consultants", "consultant_id"): ("leads.consultant_id",
                                                 "touches.consultant_id")}
#: The id column of each table (its rows are named by it).
IDS = {"leads": "lead_id", "touches": "lead_id", "surveys": "lead_id", "visits": "visit_id",
       "dealers": "dealer_id", "consultants": "consultant_id"}


def _base() -> surface.Tables:
    tables = surface.generate(POLICY, leads=16, seed=3)
    # A few rows of each table (at least three), each table's rows belonging to its leads.
    out = {n: _plain(getattr(tables, n)) for n in TABLES}
    # Six leads, three of them surveyed.
    leads = out["leads"]
    surveyed = leads["lead_id"].isin(out["surveys"]["lead_id"].head(3))
    out["leads"] = pd.concat([leads[surveyed], leads[~surveyed].head(6 - int(surveyed.sum()))]
                             ).reset_index(drop=True)
    keep = set(out["leads"]["lead_id"])
    for name in ["touches", "surveys", "visits"]:
        frame = out[name]
        kept = frame[frame["lead_id"].isin(keep) | frame["lead_id"].isna()]
        out[name] = (kept if len(kept) >= 3 else frame).head(6).reset_index(drop=True)
    out["consultants"] = out["consultants"].groupby("dealer_id").head(2).reset_index(drop=True)
    return surface.Tables(**out)


BASE = _base()


def _takes(call) -> list[str]:
    """The tables a call of surface.CALLS reads (the attributes its lambda takes)."""
    return [name for name in TABLES if name in call.__code__.co_names]


# --- Corruptions ------------------------------------------------------------------------------
# Each takes (frame, column) and returns the corrupted frame, or None where it does not apply.
# A row-wise corruption changes row ROW only.


def _with_cell(frame: pd.DataFrame, column: str, value) -> pd.DataFrame:
    values = frame[column].astype(object).to_numpy().copy()
    values[ROW] = value
    out = frame.copy()
    out[column] = pd.Series(values, dtype=object)
    return out


def _is_time(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.DatetimeTZDtype) or series.dtype.kind == "M"


def wrong_type(frame, column):
    series = frame[column]
    if series.dtype == object:
        return _with_cell(frame, column, 12345)
    return _with_cell(frame, column, "not a value")


def nan(frame, column):
    return _with_cell(frame, column, float("nan"))


def inf(frame, column):
    return _with_cell(frame, column, float("inf"))


def nat(frame, column):
    if _is_time(frame[column]):
        out = frame.copy()
        out.loc[ROW, column] = pd.NaT
        return out
    return _with_cell(frame, column, pd.NaT)


def naive_times(frame, column):
    if not isinstance(frame[column].dtype, pd.DatetimeTZDtype):
        return None
    out = frame.copy()
    out[column] = frame[column].dt.tz_localize(None)
    return out


def mixed_zones(frame, column):
    """Aware timestamps with one naive among them."""
    if not isinstance(frame[column].dtype, pd.DatetimeTZDtype):
        return None
    return _with_cell(frame, column, pd.Timestamp("2025-06-01 10:00"))


def far_past(frame, column):
    if not _is_time(frame[column]):
        return None
    return _with_cell(frame, column, dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc))


def far_future(frame, column):
    if not _is_time(frame[column]):
        return None
    return _with_cell(frame, column, dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc))


def duplicate_id(frame, column):
    """The value of row 0 again in row ROW (an id given twice)."""
    if not column.endswith("_id"):
        return None
    return _with_cell(frame, column, frame[column].iloc[0])


def unknown_reference(frame, column):
    if not column.endswith("_id"):
        return None
    return _with_cell(frame, column, "NO-SUCH-ID")


def duplicate_column(frame, column):
    return pd.concat([frame, frame[[column]]], axis=1)


def all_null(frame, column):
    out = frame.copy()
    out[column] = pd.Series([None] * len(frame), dtype=object)
    return out


def huge_string(frame, column):
    return _with_cell(frame, column, "x" * 200_000)


def lone_surrogate(frame, column):
    """Text as a CSV read with errors="surrogateescape" gives for a byte it cannot decode."""
    return _with_cell(frame, column, "caf\udce9")


def raw_bytes(frame, column):
    return _with_cell(frame, column, b"caf\xe9")


def mixed_types(frame, column):
    values = [1, "a", 2.5, True, None, dt.date(2025, 1, 1)]
    out = frame.copy()
    out[column] = pd.Series([values[i % len(values)] for i in range(len(frame))], dtype=object)
    return out


def a_list(frame, column):
    return _with_cell(frame, column, ["a", "b"])


CORRUPTIONS = {f.__name__: f for f in [
    wrong_type, nan, inf, nat, naive_times, mixed_zones, far_past, far_future, duplicate_id,
    unknown_reference, duplicate_column, all_null, huge_string, lone_surrogate, raw_bytes,
    mixed_types, a_list]}


# --- Arrow forms: a pyarrow Table, a Polars DataFrame and a DuckDB relation -------------------
# A corruption above reaches them when Arrow can hold it (a column of a naive time, year 1, NaN,
# a value twice, a column twice; not a lone surrogate or a column of mixed types). The ones
# below are of Arrow's own types, which no pandas object column gives.


def _arrow(frame: pd.DataFrame) -> pa.Table | None:
    """The frame as an Arrow table, column by column (a name twice kept twice), or None where
    Arrow cannot hold a value."""
    arrays = []
    for i in range(frame.shape[1]):
        try:
            arrays.append(pa.array(frame.iloc[:, i], from_pandas=True))
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            return None
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def _arrow_with(frame: pd.DataFrame, column: str, array: pa.Array) -> pa.Table:
    table = _arrow(frame)
    assert table is not None
    return table.set_column(table.column_names.index(column), column, array)


def _cells(frame: pd.DataFrame, column: str) -> list:
    return [None if _is_null_cell(v) else v for v in frame[column].astype(object)]


def _is_null_cell(value) -> bool:
    return value is None or (not isinstance(value, (list, str, bytes)) and bool(pd.isna(value)))


def binary_text(frame, column):
    """Arrow binary: text as bytes, the row's not UTF-8."""
    values = [None if v is None else str(v).encode() for v in _cells(frame, column)]
    values[ROW] = b"caf\xe9"
    return _arrow_with(frame, column, pa.array(values, pa.binary()))


def list_cells(frame, column):
    """An Arrow list column: each value in a list of one, the row's a list of two."""
    values = [None if v is None else [str(v)] for v in _cells(frame, column)]
    values[ROW] = ["a", "b"]
    return _arrow_with(frame, column, pa.array(values, pa.list_(pa.string())))


def other_type(frame, column):
    """The column in another Arrow type: text as whole numbers, anything else as text (the
    row's not a value of the column's kind)."""
    if frame[column].dtype == object:
        return _arrow_with(frame, column, pa.array(range(len(frame)), pa.int64()))
    values = [None if v is None else str(v) for v in _cells(frame, column)]
    values[ROW] = "not a value"
    return _arrow_with(frame, column, pa.array(values, pa.string()))


ARROW_CORRUPTIONS = {f.__name__: f for f in [binary_text, list_cells, other_type]}
#: Corruptions of one row: the message must name that row.
ROW_WISE = {"wrong_type", "nan", "inf", "nat", "mixed_zones", "far_past", "far_future",
            "duplicate_id", "unknown_reference", "huge_string", "lone_surrogate", "raw_bytes",
            "a_list", "binary_text", "list_cells", "other_type"}
ALLOWED = (ValueError, KeyError, OverflowError)
FORMS = ["pandas", "pyarrow", "polars", "duckdb"]


def _family(kind: pa.DataType) -> str:
    """An Arrow type's kind of value: a timestamp in any unit or zone, text of any width."""
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    return str(kind)


def _polars(table: pa.Table):
    polars = pytest.importorskip("polars", reason="polars is not installed")
    return polars.from_arrow(table)


def _duckdb(table: pa.Table):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed")
    return duckdb.from_arrow(table)


def _corrupted(table: str, column: str, corruption: str, form: str):
    """The table corrupted and in the form (None where the form cannot hold the corruption),
    and whether one row alone is bad: in an Arrow form a value of another type makes the whole
    column of that type, so its first row is the one named."""
    frame = getattr(BASE, table)
    if corruption in ARROW_CORRUPTIONS:
        if form == "pandas":
            return None, False
        arrow = ARROW_CORRUPTIONS[corruption](frame, column)
    else:
        corrupted = CORRUPTIONS[corruption](frame, column)
        if corrupted is None or form == "pandas":
            return corrupted, corruption in ROW_WISE
        arrow = _arrow(corrupted)
    if arrow is None:
        return None, False
    before = _arrow(frame).schema.field(column).type
    one_row = (corruption in ROW_WISE and _family(before)
               == _family(arrow.schema.field(arrow.column_names.index(column)).type))
    if form == "polars":
        if len(set(arrow.column_names)) != len(arrow.column_names):
            return None, False  # a Polars frame names each column once
        return _polars(arrow), one_row
    if form == "duckdb":
        return _duckdb(arrow), one_row
    return arrow, one_row


def _message(error: BaseException) -> str:
    return str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)


def _names_row(message: str, frame: pd.DataFrame, table: str, column: str) -> bool:
    ids = IDS[table]
    if column == ids or ids not in frame.columns:
        return True
    shown = str(frame[ids].iloc[ROW])
    return f"row {ROW}" in message or shown in message


def _problem(name: str, table: str, column: str, corruption: str,
             tables: surface.Tables, one_row: bool | None = None) -> str | None:
    """What is wrong with the call's answer to the corrupted tables, or None."""
    where = f"{name}: {table}.{column} {corruption}"
    try:
        result = surface.CALLS[name](tables, POLICY)
    except ALLOWED as error:
        message = _message(error)
        if any(f"{other}:" in message or f"{other} " in message
               for other in REFERENCES.get((table, column), ())):
            # An id changed: the rows of another table that named it name an unknown one.
            return None
        if not any(alias in message for alias in ALIASES.get(table, (table,))):
            return f"{where}: the table is not named: {message[:300]}"
        if column not in message:
            return f"{where}: the column is not named: {message[:300]}"
        if one_row is None:
            one_row = corruption in ROW_WISE
        if one_row and not _names_row(message, getattr(BASE, table), table, column):
            return f"{where}: the row is not named: {message[:300]}"
        return None
    except Exception as error:  # noqa: BLE001 — the sweep's point: nothing else escapes
        return f"{where}: {type(error).__name__}: {str(error)[:300]}"
    if name in ROWS and table == "leads":
        out = result[0] if isinstance(result, tuple) else result
        if list(out["lead_id"]) != _lead_ids(tables.leads):
            return f"{where}: the rows returned are not the input's, once each"
    return None


def _lead_ids(leads) -> list:
    """The lead ids of a leads table in any form (the first lead_id column)."""
    if isinstance(leads, pd.DataFrame):
        return list(leads.iloc[:, list(leads.columns).index("lead_id")])
    if not isinstance(leads, pa.Table):
        leads = pa.RecordBatchReader.from_stream(leads).read_all()
    return leads.column(leads.column_names.index("lead_id")).to_pylist()


#: The report runs every engine and draws charts (seconds a call): it has its own few cases.
SWEPT = [name for name in surface.CALLS if name != "report"]
#: The calls that read each table.
READERS = {table: [n for n in SWEPT if table in _takes(surface.CALLS[n])] for table in TABLES}


@functools.cache
def _kinds(table: str, column: str, corruption: str) -> tuple[bool, bool]:
    """Whether a pandas corruption applies to the column, and whether Arrow can hold it."""
    corrupted = CORRUPTIONS[corruption](getattr(BASE, table), column)
    return corrupted is not None, corrupted is not None and _arrow(corrupted) is not None


def _applies(table: str, column: str, corruption: str, form: str) -> bool:
    if corruption in ARROW_CORRUPTIONS:
        return form != "pandas"
    in_pandas, in_arrow = _kinds(table, column, corruption)
    if form == "pandas":
        return in_pandas
    return in_arrow and not (form == "polars" and corruption == "duplicate_column")


#: LEADKIT_FULL_SWEEP=1: every case calls every function that reads the table (tens of
#: thousands of calls, minutes); by default the calls are spread (_cases).
FULL = os.environ.get("LEADKIT_FULL_SWEEP") == "1"
ALL_CORRUPTIONS = [*CORRUPTIONS, *ARROW_CORRUPTIONS]


def _cases():
    """Every form × table × column × corruption the form can hold, each with the calls it is
    given: all of them with LEADKIT_FULL_SWEEP=1, else a turn of them, so that in every form
    every call meets every column (and every corruption meets a call or two). The table
    layer (leadkit._frames) reads a column the same way for every call, so the spread finds
    what the full product finds in a tenth of the time (a call costs ~10 ms)."""
    for form in FORMS:
        for table in TABLES:
            readers = READERS[table]
            for offset, column in enumerate(getattr(BASE, table).columns):
                kinds = [c for c in ALL_CORRUPTIONS if _applies(table, column, c, form)]
                turn = -(-len(readers) // len(kinds))  # calls per corruption: all met
                for j, corruption in enumerate(kinds):
                    calls = tuple(readers) if FULL else tuple(
                        readers[(offset + j * turn + i) % len(readers)] for i in range(turn))
                    yield pytest.param(form, table, column, corruption, calls,
                                       id=f"{form}-{table}.{column}-{corruption}")


CASES = list(_cases())


@pytest.mark.parametrize("name", list(surface.CALLS))
def test_the_uncorrupted_tables_are_answered(name):
    surface.CALLS[name](BASE, POLICY)


@pytest.mark.parametrize("form, table, column, corruption, calls", CASES)
def test_every_corruption_of_every_column_is_answered_clearly(form, table, column, corruption,
                                                               calls):
    corrupted, one_row = _corrupted(table, column, corruption, form)
    assert corrupted is not None
    tables = dataclasses.replace(BASE, **{table: corrupted})
    problems = [_problem(name, table, column, corruption, tables, one_row) for name in calls]
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


def test_the_sweep_covers_every_column_corruption_and_call():
    """In every form each column meets every call that reads its table, and every corruption
    that applies to it; every column meets the corruptions of every kind of value."""
    seen = {(f, t, col, k) for f, t, col, k, _ in (case.values for case in CASES)}
    met = {(f, t, col, name) for f, t, col, _, calls in (case.values for case in CASES)
           for name in calls}
    for form in FORMS:
        for table in TABLES:
            for column in getattr(BASE, table).columns:
                for name in READERS[table]:
                    assert (form, table, column, name) in met, (form, table, column, name)
                for corruption in ALL_CORRUPTIONS:
                    if _applies(table, column, corruption, form):
                        assert (form, table, column, corruption) in seen
                assert (form == "pandas") == ((form, table, column, "binary_text") not in seen)
            for corruption in ["wrong_type", "nan", "all_null", "huge_string", "mixed_types",
                               "a_list"]:
                assert (form == "pandas") <= ((form, table, IDS[table], corruption) in seen)


def _emptied(frame: pd.DataFrame, shown: str, form: str):
    changed = frame.iloc[0:0] if shown == "zero rows" else pd.DataFrame()
    if form == "pandas":
        return changed
    arrow = (pa.Table.from_pandas(changed, preserve_index=False) if shown == "zero rows"
             else pa.table({}))
    return {"pyarrow": lambda t: t, "polars": _polars, "duckdb": _duckdb}[form](arrow)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("table", TABLES)
def test_zero_row_and_columnless_tables_are_answered_clearly(table, form):
    frame = getattr(BASE, table)
    problems = []
    for name in READERS[table]:
        for shown in ["zero rows", "no columns"]:
            if form == "duckdb" and shown == "no columns":
                continue  # a DuckDB relation has a column at least
            tables = dataclasses.replace(BASE, **{table: _emptied(frame, shown, form)})
            try:
                result = surface.CALLS[name](tables, POLICY)
            except ALLOWED:
                # Any table may be named: an empty dealers table leaves the consultants'
                # dealers unknown.
                continue
            except Exception as error:  # noqa: BLE001
                problems.append(f"{name}: {table} {shown}: {type(error).__name__}: {error}")
                continue
            if name in ROWS and table == "leads":
                out = result[0] if isinstance(result, tuple) else result
                if len(out) != 0:
                    problems.append(f"{name}: {table} {shown}: rows from no leads")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("table, column, corruption", [
    ("leads", "lost_reason", "lone_surrogate"),
    ("leads", "channel", "duplicate_column"),
    ("visits", "arrived_at", "a_list"),
])
def test_the_report_answers_bad_input_clearly(table, column, corruption):
    frame = getattr(BASE, table)
    tables = dataclasses.replace(BASE, **{table: CORRUPTIONS[corruption](frame, column)})
    assert _problem("report", table, column, corruption, tables) is None


# --- The defects the sweep found, one regression test each (issue 21, fault 5) ----------------


def test_lone_surrogate_in_a_string_column_is_a_value_error_naming_the_row():
    leads = _with_cell(BASE.leads, "channel", "web\udcff")
    row_id = leads["lead_id"].iloc[ROW]
    for call in ["kpis", "schedule", "funnel"]:
        with pytest.raises(ValueError, match=r"leads\.channel: lead_id='" + row_id
                           + r"' \(row 1\) has 'web\\\\udcff', which is not valid text"):
            surface.CALLS[call](dataclasses.replace(BASE, leads=leads), POLICY)
    dealers = _with_cell(BASE.dealers, "city", "Shangh\udce9i")
    with pytest.raises(ValueError, match=r"dealers\.city: dealer_id 'D002' has "
                                         r"'Shangh\\\\udce9i', which is not valid text"):
        surface.CALLS["route"](dataclasses.replace(BASE, dealers=dealers), POLICY)


def test_a_column_name_with_a_lone_surrogate_is_a_clear_error_not_a_binding_error():
    # The report looks for near misses among the unknown column names (a C++ edit distance):
    # such a name reaches it escaped, and the missing column is named.
    leads = BASE.leads.copy()
    leads.columns = pd.Index(["chann\udcffl" if c == "channel" else c for c in leads.columns],
                             dtype=object)
    with pytest.raises(ValueError, match=r'^leads: missing required column "channel"$'):
        surface.CALLS["report"](dataclasses.replace(BASE, leads=leads), POLICY)


@pytest.mark.parametrize("name", ["classify", "route", "schedule", "kpis", "activity",
                                  "plot.funnel_counts"])
def test_duplicate_column_names_are_one_value_error_everywhere(name):
    leads = pd.concat([BASE.leads, BASE.leads[["status"]]], axis=1)
    with pytest.raises(ValueError, match=r'^leads: column "status" appears more than once$'):
        surface.CALLS[name](dataclasses.replace(BASE, leads=leads), POLICY)


def test_inf_in_max_open_leads_is_a_value_error_not_an_overflow():
    consultants = BASE.consultants.assign(max_open_leads=[3.0, float("inf"), 3.0, 3.0, 3.0,
                                                          3.0])
    with pytest.raises(ValueError, match=r"consultants\.max_open_leads: consultant_id "
                                         r"'D001-C02' has inf; expected a whole number"):
        surface.CALLS["route"](dataclasses.replace(BASE, consultants=consultants), POLICY)


@pytest.mark.parametrize("column, expected", [
    ("lat", r"leads\.lat: lead_id='L00000014' \(row 1\) has \['a', 'b'\] \(list\); "
            r"expected a number"),
    ("grade", r"leads\.grade: lead_id='L00000014' \(row 1\) has \['a', 'b'\] \(list\); "
              r"expected a string"),
])
def test_a_list_in_lat_or_grade_is_a_value_error_naming_the_row(column, expected):
    leads = BASE.leads.assign(grade=None) if column == "grade" else BASE.leads
    leads = _with_cell(leads, column, ["a", "b"])
    with pytest.raises(ValueError, match=expected):
        surface.CALLS["route"](dataclasses.replace(BASE, leads=leads), POLICY)


def test_a_time_outside_the_range_pandas_holds_names_its_row():
    leads = _with_cell(BASE.leads, "created_at", dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc))
    with pytest.raises(ValueError, match=r"leads\.created_at: lead_id='L00000014' \(row 1\) "
                                         r"has .*expected a timestamp from 1677-09-21"):
        surface.CALLS["kpis"](dataclasses.replace(BASE, leads=leads), POLICY)


def test_a_null_of_another_kind_is_null_in_any_column():
    # NaT in a text column is a null like None, not a value of the wrong type.
    leads = _with_cell(BASE.leads, "channel", pd.NaT)
    expected = surface.CALLS["classify"](dataclasses.replace(
        BASE, leads=_with_cell(BASE.leads, "channel", None)), POLICY)
    got = surface.CALLS["classify"](dataclasses.replace(BASE, leads=leads), POLICY)
    pd.testing.assert_frame_equal(got, expected)


# --- Found by the sweep over the Arrow forms ---------------------------------------------------


@pytest.mark.parametrize("form", ["pyarrow", "polars", "duckdb"])
def test_an_arrow_time_outside_the_range_pandas_holds_names_its_row(form):
    # Arrow holds year 1 in microseconds; pandas' nanoseconds do not (it raised
    # OutOfBoundsDatetime naming no table).
    leads, one_row = _corrupted("leads", "created_at", "far_past", form)
    assert one_row
    with pytest.raises(ValueError, match=r"^leads\.created_at: lead_id='L00000014' \(row 1\) "
                                         r"has .*; expected a timestamp from 1677-09-21"):
        surface.CALLS["kpis"](dataclasses.replace(BASE, leads=leads), POLICY)


def test_a_polars_binary_column_is_a_value_error_not_a_binary_view_error():
    # Polars gives binary as Arrow binary views, which pandas cannot wrap
    # (NotImplementedError: binary_view).
    visits, _ = _corrupted("visits", "model", "binary_text", "polars")
    with pytest.raises(ValueError, match=r"^visits\.model: visit_id='V\d+' \(row 0\) has b'"):
        surface.CALLS["showroom"](dataclasses.replace(BASE, visits=visits), POLICY)


@pytest.mark.parametrize("column", ["dealer_id", "region_id"])
def test_a_list_column_in_dealers_names_the_dealers_column(column):
    # A list of dealer ids reached pandas' duplicated() (ArrowNotImplementedError), and a list
    # of regions was reported as leads.region_id after the join.
    dealers, _ = _corrupted("dealers", column, "list_cells", "pyarrow")
    with pytest.raises(ValueError, match=rf"^dealers\.{column}: dealer_id=.* \(row 0\) has "
                                         r".*; expected a string"):
        surface.CALLS["kpis"](dataclasses.replace(BASE, dealers=dealers), POLICY)


def test_a_lone_surrogate_in_a_lead_id_is_a_value_error_naming_the_row():
    # Ids go back in results, which could not hold it (UnicodeEncodeError naming no table).
    leads = _with_cell(BASE.leads, "lead_id", "L\udce9")
    with pytest.raises(ValueError, match=r"^leads\.lead_id: row 1 has 'L\\\\udce9', which is "
                                         r"not valid text"):
        surface.CALLS["classify"](dataclasses.replace(BASE, leads=leads), POLICY)


# --- Found by the full product (LEADKIT_FULL_SWEEP=1) ------------------------------------------


@pytest.mark.parametrize("corruption", ["a_list", "lone_surrogate"])
def test_the_leads_dealers_joined_to_regions_are_read_as_text_first(corruption):
    # kpis(by=region_id) looked the leads' dealers up in a dict: a list was a TypeError
    # (unhashable), a lone surrogate a UnicodeEncodeError naming nothing.
    leads = CORRUPTIONS[corruption](BASE.leads, "dealer_id")
    with pytest.raises(ValueError, match=r"^leads\.dealer_id: lead_id='L00000014' \(row 1\) "):
        surface.CALLS["kpis"](dataclasses.replace(BASE, leads=leads), POLICY)


@pytest.mark.parametrize("column", ["name", "phone"])
def test_nat_in_a_personal_text_column_is_null_for_the_audit(column):
    # The columns the audit reads as plain text (a dictionary would not shrink them) took NaT
    # for a value of the wrong type, and named row 0, whose value was fine.
    leads = _with_cell(BASE.leads, column, pd.NaT)
    expected = surface.CALLS["audit"](dataclasses.replace(
        BASE, leads=_with_cell(BASE.leads, column, None)), POLICY)
    got = surface.CALLS["audit"](dataclasses.replace(BASE, leads=leads), POLICY)
    pd.testing.assert_frame_equal(got, expected)
