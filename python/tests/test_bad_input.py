"""The bad-input sweep: every public table function (surface.CALLS) × every column of every
table it takes × a fixed list of corruptions.

Each call either succeeds — a call of surface.ROWS returning every input lead exactly once, in
input order — or raises ValueError, KeyError or OverflowError whose message names the table
and the column, and the row (its id or its position) when one row was corrupted. No other
exception escapes. The tables are small (a few rows each) so that the whole sweep runs in
well under a minute.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np
import pandas as pd
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
#: Corruptions of one row: the message must name that row.
ROW_WISE = {"wrong_type", "nan", "inf", "nat", "mixed_zones", "far_past", "far_future",
            "duplicate_id", "unknown_reference", "huge_string", "lone_surrogate", "raw_bytes",
            "a_list"}
ALLOWED = (ValueError, KeyError, OverflowError)


def _message(error: BaseException) -> str:
    return str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)


def _names_row(message: str, frame: pd.DataFrame, table: str, column: str) -> bool:
    ids = IDS[table]
    if column == ids or ids not in frame.columns:
        return True
    shown = str(frame[ids].iloc[ROW])
    return f"row {ROW}" in message or shown in message


def _problem(name: str, table: str, column: str, corruption: str,
             tables: surface.Tables) -> str | None:
    """What is wrong with the call's answer to the corrupted tables, or None."""
    where = f"{name}: {table}.{column} {corruption}"
    try:
        result = surface.CALLS[name](tables, POLICY)
    except ALLOWED as error:
        message = _message(error)
        if not any(alias in message for alias in ALIASES.get(table, (table,))):
            return f"{where}: the table is not named: {message[:300]}"
        if column not in message:
            return f"{where}: the column is not named: {message[:300]}"
        if corruption in ROW_WISE and not _names_row(message, getattr(tables, table), table,
                                                     column):
            return f"{where}: the row is not named: {message[:300]}"
        return None
    except Exception as error:  # noqa: BLE001 — the sweep's point: nothing else escapes
        return f"{where}: {type(error).__name__}: {str(error)[:300]}"
    if name in ROWS and table == "leads":
        out = result[0] if isinstance(result, tuple) else result
        if list(out["lead_id"]) != list(tables.leads["lead_id"]):
            return f"{where}: the rows returned are not the input's, once each"
    return None


#: The report runs every engine and draws charts (seconds a call): it has its own few cases.
SWEPT = [name for name in surface.CALLS if name != "report"]


def _plan(table: str, column: str) -> list[tuple[str, str]]:
    """The (call, corruption) pairs of one column: every corruption that applies is made for
    some call, and every call that takes the table meets the column at least once — the
    corruptions spread round the calls (one conversion layer serves them all), so that the
    sweep stays within its time (a call costs tens of milliseconds)."""
    frame = getattr(BASE, table)
    corruptions = [c for c, corrupt in CORRUPTIONS.items() if corrupt(frame, column) is not None]
    calls = [n for n in SWEPT if table in _takes(surface.CALLS[n])]
    offset = list(frame.columns).index(column)
    return [(calls[(j + offset) % len(calls)], corruptions[j % len(corruptions)])
            for j in range(max(len(calls), len(corruptions)))]


@pytest.mark.parametrize("name", list(surface.CALLS))
def test_the_uncorrupted_tables_are_answered(name):
    surface.CALLS[name](BASE, POLICY)


def _columns():
    for table in TABLES:
        for column in getattr(BASE, table).columns:
            yield pytest.param(table, column, id=f"{table}.{column}")


@pytest.mark.parametrize("table, column", list(_columns()))
def test_every_corruption_of_every_column_is_answered_clearly(table, column):
    frame = getattr(BASE, table)
    problems = []
    for name, corruption in _plan(table, column):
        tables = dataclasses.replace(BASE, **{table: CORRUPTIONS[corruption](frame, column)})
        problems.append(_problem(name, table, column, corruption, tables))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("table", TABLES)
def test_zero_row_and_columnless_tables_are_answered_clearly(table):
    frame = getattr(BASE, table)
    problems = []
    for name in SWEPT:
        if table not in _takes(surface.CALLS[name]):
            continue
        for shown, changed in [("zero rows", frame.iloc[0:0]), ("no columns", pd.DataFrame())]:
            tables = dataclasses.replace(BASE, **{table: changed})
            try:
                surface.CALLS[name](tables, POLICY)
            except ALLOWED:
                # Any table may be named: an empty dealers table leaves the consultants'
                # dealers unknown.
                pass
            except Exception as error:  # noqa: BLE001
                problems.append(f"{name}: {table} {shown}: {type(error).__name__}: {error}")
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
