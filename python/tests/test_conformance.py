"""The conformance matrix: every public table function (surface.CALLS) × every preset × every
table form an analyst holds × full, sliced, strided, reversed and empty inputs.

For each cell the result equals the result on the same rows as plain pandas frames in numpy
dtypes (object strings): a form never changes a number, never raises where the plain form
succeeds, and a batch call returns every input lead exactly once, in input order. A form that
needs a package which is not installed is skipped with the reason.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import leadkit

import surface

#: The presets, and abcd with dealer calendars in two zones (surface.POLICIES).
PRESETS = surface.POLICIES
TABLES = ["leads", "touches", "surveys", "visits", "dealers", "consultants"]
#: Tables whose rows belong to leads: a view of the leads keeps only their rows.
OF_LEADS = ["touches", "surveys", "visits"]

_DATA: dict[str, surface.Tables] = {}


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in numpy dtypes: strings (and categoricals) as objects with None for null."""
    out = {}
    for name, column in frame.items():
        if (isinstance(column.dtype, (pd.CategoricalDtype, pd.StringDtype))
                or column.dtype == object):
            values = column.astype(object).to_numpy()
            out[name] = pd.Series(np.where(pd.isna(values), None, values), dtype=object)
        else:
            out[name] = column.reset_index(drop=True)
    return pd.DataFrame(out)


def data(preset: str) -> surface.Tables:
    if preset not in _DATA:
        tables = surface.generate(surface.policy(preset))
        _DATA[preset] = surface.Tables(**{n: _plain(getattr(tables, n)) for n in TABLES})
    return _DATA[preset]


# --- Forms ------------------------------------------------------------------------------------


class CStream:
    """An object that offers its rows only through the Arrow C stream interface."""

    def __init__(self, table: pa.Table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    strings = [n for n, c in frame.items() if c.dtype == object]
    return frame.astype({n: "category" for n in strings})


def _polars(table: pa.Table):
    polars = pytest.importorskip("polars", reason="polars is not installed")
    return polars.from_arrow(table)


def _duckdb(table: pa.Table):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed")
    return duckdb.from_arrow(table)


#: pandas forms: made from the plain frame, then viewed (so views stay views of them).
PANDAS_FORMS = {
    "numpy": lambda f: f,
    "nullable": lambda f: f.convert_dtypes(),
    "arrow_dtype": lambda f: f.convert_dtypes(dtype_backend="pyarrow"),
    "categorical": _categorical,
}
#: Arrow forms: made from the viewed Arrow table.
ARROW_FORMS = {
    "pyarrow_table": lambda t: t,
    "record_batch_reader": lambda t: t.to_reader(max_chunksize=7),
    "arrow_c_stream": CStream,
    # A stream that can be read once, in batches of 7 rows, offered only through
    # __arrow_c_stream__: what the C++ engine reads without pandas (docs/data.md).
    "arrow_c_stream_batches": lambda t: CStream(t.to_reader(max_chunksize=7)),
    "polars": _polars,
    "duckdb": _duckdb,
}
FORMS = [*PANDAS_FORMS, *ARROW_FORMS]

# --- Views ------------------------------------------------------------------------------------

VIEWS = {
    "full": slice(None),
    "sliced": slice(3, -2),       # an offset into the buffers
    "strided": slice(None, None, 2),
    "reversed": slice(None, None, -1),
    "empty": slice(0, 0),
}


def _positions(n: int, view: slice) -> np.ndarray:
    return np.arange(n)[view]


def _viewed(tables: surface.Tables, view: str, pandas_form=None, arrow_form=None):
    """The tables seen through `view`, each in the form given."""
    leads = tables.leads
    cut = VIEWS[view]
    kept = set(leads["lead_id"].iloc[cut])
    reverse = cut.step == -1
    out = {}
    for name in TABLES:
        frame = getattr(tables, name)
        if name == "leads":
            rows, offset = _positions(len(frame), cut), cut.step is None
        elif name in OF_LEADS:
            mine = frame["lead_id"].isna() if name == "visits" else np.zeros(len(frame), bool)
            rows = np.flatnonzero(np.asarray(mine) | frame["lead_id"].isin(kept).to_numpy())
            rows, offset = (rows[::-1] if reverse else rows), False
        else:
            rows, offset = (np.arange(len(frame))[::-1] if reverse else np.arange(len(frame))), False
        if pandas_form is not None:
            formed = PANDAS_FORMS[pandas_form](frame)
            if name == "leads":
                out[name] = formed.iloc[cut]
            elif reverse and len(rows) == len(frame):  # all of it, as a reversed view
                out[name] = formed.iloc[::-1]
            else:
                out[name] = formed.iloc[rows]
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if offset and len(rows):
                table = table.slice(int(rows[0]), len(rows))
            elif offset:
                table = table.slice(0, 0)
            else:
                table = table.take(pa.array(rows, type=pa.int64()))
            out[name] = ARROW_FORMS[arrow_form](table)
    return surface.Tables(**out)


# --- Comparing results -----------------------------------------------------------------------


def _canon_column(column: pd.Series) -> pd.Series:
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M":
        return column
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
        return column.astype(f"datetime64[ns, {dtype.pyarrow_dtype.tz}]"
                             if dtype.pyarrow_dtype.tz else "datetime64[ns]")
    if pd.api.types.is_bool_dtype(dtype) and not column.isna().any():
        return column.astype(bool)
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return column.astype("Float64").astype(float)
    values = column.astype(object).to_numpy()
    return pd.Series(np.where(pd.isna(values), None, values), dtype=object)


def canon(result):
    """A result as plain values, so forms can be compared cell by cell."""
    if isinstance(result, tuple):
        return tuple(canon(r) for r in result)
    if isinstance(result, dict):
        return json.loads(json.dumps(result, default=str, sort_keys=True))
    if isinstance(result, pd.Series):
        result = result.to_frame()
    assert isinstance(result, pd.DataFrame), type(result)
    frame = result.reset_index(drop=not isinstance(result.index, pd.MultiIndex)
                               and result.index.name is None)
    return pd.DataFrame({name: _canon_column(col) for name, col in frame.items()})


def assert_same(got, expected):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same(g, e)
    elif isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    else:
        assert got == expected


_EXPECTED: dict[tuple, object] = {}


def expected(call: str, preset: str, view: str):
    key = (call, preset, view)
    if key not in _EXPECTED:
        policy = surface.policy(preset)
        tables = _viewed(data(preset), view, pandas_form="numpy")
        try:
            _EXPECTED[key] = canon(surface.CALLS[call](tables, policy))
        except Exception as error:  # noqa: BLE001 — a form must fail the same way
            _EXPECTED[key] = error
    return _EXPECTED[key]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("call", list(surface.CALLS))
def test_conformance(call, preset, form):
    policy = surface.policy(preset)
    for view in VIEWS:
        want = expected(call, preset, view)
        if form in PANDAS_FORMS:
            tables = _viewed(data(preset), view, pandas_form=form)
        else:
            tables = _viewed(data(preset), view, arrow_form=form)
        context = f"{call} × {preset} × {form} × {view}"
        if isinstance(want, Exception):
            with pytest.raises(type(want)) as raised:
                surface.CALLS[call](tables, policy)
            assert str(raised.value) == str(want), context
            continue
        got = surface.CALLS[call](tables, policy)
        if call in surface.ROWS:
            ids = list(data(preset).leads["lead_id"].iloc[VIEWS[view]])
            assert got["lead_id"].astype(object).tolist() == ids, context
        try:
            assert_same(canon(got), want)
        except AssertionError as error:
            raise AssertionError(f"{context}: {error}") from None


@pytest.mark.parametrize("call", list(surface.CALLS))
def test_plain_form_succeeds_on_every_view(call):
    """The reference itself: on plain frames every call works on every view and preset (an
    error there would let the matrix pass by every form failing alike)."""
    for preset in PRESETS:
        for view in VIEWS:
            want = expected(call, preset, view)
            assert not isinstance(want, Exception), f"{call} × {preset} × {view}: {want!r}"
