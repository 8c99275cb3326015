"""Turning caller tables into the column buffers the C++ engines read.

One converter serves every call: pandas DataFrames, pyarrow Tables and lists of dicts come in;
out go column specs ``(name, kind, values, valid, dictionary)`` over numpy buffers, with no
copy where numpy already holds the data in the engine's layout (float64, int64, bool, int32
codes). Every problem is a ``ValueError`` naming the table, column, row id and value;
personal data is masked in those messages.

The checks the reports share live here too, written once: the leads and touches tables and
their rules (unique lead ids, a creation time, touches of known leads), group names (`by`),
the dealers table, the scope and the policy argument.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import zoneinfo
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _core

#: field name -> (type, personal, required), from the C++ catalogue (docs/data.md).
LEAD_FIELDS: dict[str, tuple[str, bool, bool]] = {
    name: (kind, personal, required) for name, kind, personal, required in _core.lead_fields()
}

#: categorical field name -> its documented values, from the C++ catalogue (docs/data.md).
LEAD_FIELD_VALUES: dict[str, tuple[str, ...]] = {
    name: tuple(values) for name, values in _core.lead_field_values().items()
}

_NUMERIC_INFERRED = {"integer", "floating", "mixed-integer-float", "decimal", "empty"}


def as_frame(data: Any, table: str) -> pd.DataFrame:
    """The caller's table as a pandas DataFrame: a DataFrame as it is; a pyarrow Table or
    RecordBatch, a RecordBatchReader, or any object with ``__arrow_c_stream__`` (a Polars
    DataFrame, a DuckDB relation) read through Arrow, its columns wrapped, not converted
    (:func:`arrow_frame`); a list of dicts as records."""
    if isinstance(data, pd.DataFrame):
        return unique_columns(data, table)
    arrow = _arrow_table(data)
    if arrow is not None:
        if len(set(arrow.column_names)) != len(arrow.column_names):
            _duplicate_column(table, [c for c in arrow.column_names if c in CONTRACT_COLUMNS])
        return arrow_frame(arrow)
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return pd.DataFrame.from_records(data) if data else pd.DataFrame()
    raise TypeError(
        f"{table}: expected a pandas DataFrame, a pyarrow Table or RecordBatchReader, an object "
        f"with __arrow_c_stream__ (Polars, DuckDB) or a list of dicts, got {type(data).__name__}"
    )


def _duplicate_column(table: str, columns: Sequence[Any]) -> None:
    seen = set()
    for name in columns:
        if name in seen:
            raise ValueError(f'{table}: column "{printable(str(name))}" appears more than once')
        seen.add(name)


#: The column names of docs/data.md's tables (leads, touches, surveys, visits, dealers,
#: consultants).
CONTRACT_COLUMNS = frozenset([
    *LEAD_FIELDS, "at", "method", "grade_after", "content", "satisfied", "visit_id",
    "arrived_at", "left_at", "effective", "region_id", "models", "active", "experience_years",
    "max_open_leads", "open_leads", "weight", "code", "calendar"])


def unique_columns(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """`frame`, checked to name each column of docs/data.md once: with a name twice,
    ``frame[name]`` is a table, not a column, and no engine could tell which one the caller
    meant. Other columns (a caller's own notes) are left alone, twice or not."""
    if frame.columns.has_duplicates:
        _duplicate_column(table, [c for c in frame.columns if c in CONTRACT_COLUMNS])
    return frame


def _arrow_table(data: Any) -> pa.Table | None:
    """`data` as one Arrow table when it is Arrow data, else None."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data).read_all()
    return None


# --- Arrow streams straight to the engines ---------------------------------------------------
# A call whose every table is an Arrow stream (a pyarrow Table, RecordBatch or RecordBatchReader,
# or any object with __arrow_c_stream__: Polars, DuckDB, nanoarrow) hands the streams to the
# C ABI's importer (bindings/arrow_bindings.cc, src/c_api/arrow.h): no pandas frame is built.
# The pandas path (as_frame) takes them instead where a column the engine reads is of an Arrow
# type the importer does not read the same way (docs/data.md, "Arrow streams").


def _is_arrow_stream(data: Any) -> bool:
    return hasattr(data, "__arrow_c_stream__") and not isinstance(data, pd.DataFrame)


def arrow_readers(tables: dict[str, Any]) -> dict[str, pa.RecordBatchReader] | None:
    """The tables of a call (None ones left out) as RecordBatchReaders when every one given is
    an Arrow stream, else None (nothing read). A reader reads no batch until the engine does:
    it is how the schema is seen first; each stream is asked for once. With more than one
    table, each stream but a pyarrow Table's is read to its end, as the Arrow batches it gives,
    before the next is asked for: a DuckDB connection serves one open result at a time."""
    given = {name: table for name, table in tables.items() if table is not None}
    if not given or not all(_is_arrow_stream(table) for table in given.values()):
        return None
    readers = {}
    for name, table in given.items():
        reader = (table if isinstance(table, pa.RecordBatchReader)
                  else pa.RecordBatchReader.from_stream(table))
        if len(given) > 1 and not isinstance(table, (pa.Table, pa.RecordBatch)):
            reader = reader.read_all().to_reader()
        readers[name] = reader
    return readers


def arrow_tables(tables: dict[str, Any]) -> dict[str, pa.Table] | None:
    """The tables of a call (None ones left out) as pyarrow Tables when every one given is an
    Arrow stream (each read to its end in turn, as its Arrow batches), else None (nothing
    read)."""
    given = {name: table for name, table in tables.items() if table is not None}
    if not given or not all(_is_arrow_stream(table) for table in given.values()):
        return None
    out = {}
    for name, table in given.items():
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        elif not isinstance(table, pa.Table):
            reader = (table if isinstance(table, pa.RecordBatchReader)
                      else pa.RecordBatchReader.from_stream(table))
            table = reader.read_all()
        out[name] = table
    return out


def _reads_as(kind: pa.DataType, field_type: str, *, key: bool) -> bool:
    """Whether the C importer reads an Arrow column of `kind` as a field of `field_type` to
    the values the pandas path reads (src/c_api/arrow.cc): the type the field has in Arrow
    (strings of any width or a dictionary of them, a float or a signed integer, bool, a
    timestamp with a zone, a date), or all null. A `key` (an id or a group key that comes
    back in the result) is not dictionary-encoded: the pandas path gives it back as a
    categorical."""
    if pa.types.is_null(kind):
        return True
    if pa.types.is_dictionary(kind) and key:
        return False
    if field_type == "string":
        value = kind.value_type if pa.types.is_dictionary(kind) else kind
        return (pa.types.is_string(value) or pa.types.is_large_string(value)
                or pa.types.is_string_view(value))
    if field_type == "number":
        return pa.types.is_signed_integer(kind) or pa.types.is_float32(
            kind) or pa.types.is_float64(kind)
    if field_type == "bool":
        return pa.types.is_boolean(kind)
    if field_type == "instant":
        return pa.types.is_timestamp(kind) and kind.tz is not None
    if field_type == "date":
        return pa.types.is_date(kind)
    return False


def stream_ready(readers: dict[str, pa.RecordBatchReader],
                 columns: dict[str, dict[str, str]], *, required: dict[str, Sequence[str]],
                 keys: Iterable[str] = ()) -> bool:
    """Whether the engine may read the streams of `readers` itself: every column of
    ``columns[table]`` ({name: field type}) present in a stream reads as that type
    (:func:`_reads_as`; the columns named in `keys` and each table's ``lead_id`` as keys), the
    ``lead_id`` of each table as strings (the importer reads no other id, not even all null).
    Raises as the pandas path does for a contract column given twice or a `required` column
    missing."""
    for name, reader in readers.items():
        names = reader.schema.names
        if len(set(names)) != len(names):
            _duplicate_column(name, [c for c in names if c in CONTRACT_COLUMNS])
    for name, reader in readers.items():
        require_columns(reader.schema, name, required.get(name, ()))
    keys = {"lead_id", *keys}
    for name, reader in readers.items():
        schema = reader.schema
        ids = schema.get_field_index("lead_id")
        if ids >= 0 and pa.types.is_null(schema.field(ids).type):
            return False
        for column, field_type in columns.get(name, {}).items():
            index = schema.get_field_index(column)
            if index >= 0 and not _reads_as(schema.field(index).type, field_type,
                                            key=column in keys):
                return False
    return True


def stream_as_of(as_of: Any, tz: Any = None) -> int | None:
    """`as_of` in seconds for a stream engine; None for its default, the latest instant of the
    columns it reads (for a report, no limit without one). For the reports this gives the
    counts of the pandas path's default, the latest instant of every time column of the
    tables: the engines compare no other column with it."""
    return None if as_of is None else instant_seconds(as_of, "as_of", tz)


def schema_zone(schema: pa.Schema, column: str) -> str | None:
    """The zone of the timestamps of `column` in an Arrow stream's schema, as :func:`own_zone`
    gives it for the column wrapped as a frame; None without the column or a zone."""
    index = schema.get_field_index(column)
    if index < 0 or not pa.types.is_timestamp(schema.field(index).type):
        return None
    return schema.field(index).type.tz


class ArrowResult:
    """An "arrow_array_stream" capsule of the core as an object of the Arrow PyCapsule
    interface, for pyarrow to read."""

    def __init__(self, capsule: Any):
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        return self._capsule

    def read_all(self) -> pa.Table:
        return pa.RecordBatchReader.from_stream(self).read_all()


def _is_type(test: str, kind: pa.DataType) -> bool:
    """pyarrow.types.<test>(kind); False where this pyarrow has no such type."""
    return getattr(pa.types, test, lambda _: False)(kind)


def _arrow_column_type(kind: pa.DataType) -> pa.DataType | None:
    """The type an Arrow column is cast to before pandas wraps it, or None to keep it: the
    view types Polars gives, which pandas cannot wrap, become their plain forms (string and
    binary views large strings and binaries, list views large lists), inside lists and
    dictionaries too; the readers then judge the values (a binary or a list where text is
    expected is a ValueError naming the column and row)."""
    if pa.types.is_string_view(kind):
        return pa.large_string()
    if _is_type("is_binary_view", kind):
        return pa.large_binary()
    if pa.types.is_dictionary(kind):
        value = _arrow_column_type(kind.value_type)
        return None if value is None else pa.dictionary(kind.index_type, value)
    view = _is_type("is_list_view", kind) or _is_type("is_large_list_view", kind)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or view:
        value = _arrow_column_type(kind.value_type)
        if value is None and not view:
            return None
        return pa.large_list(value if value is not None else kind.value_type)
    return None


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a DataFrame whose columns are the Arrow arrays (``pd.ArrowDtype``):
    no values copied, so the engines read the Arrow buffers (ids and strings as they lie,
    :func:`id_spec`). Dictionary-encoded columns become categoricals over their codes."""
    casts = {name: _arrow_column_type(field.type) for name, field in zip(table.column_names,
                                                                        table.schema)}
    for name, kind in casts.items():
        if kind is not None:
            table = table.set_column(table.column_names.index(name), name,
                                     table[name].cast(kind))

    def wrap(kind: pa.DataType):
        return None if pa.types.is_dictionary(kind) else pd.ArrowDtype(kind)

    return table.to_pandas(types_mapper=wrap, ignore_metadata=True)


def _is_arrow_text(dtype) -> bool:
    """A pandas column dtype holding Arrow strings (``string`` or ``large_string``)."""
    return isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype)
                                                 or pa.types.is_large_string(dtype.pyarrow_dtype))


def _key_dtype(column: pd.Series):
    """The dtype a result column of the same name keeps: the input's categorical, pandas
    string or Arrow string dtype; None for any other."""
    dtype = column.dtype
    if isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)):
        return dtype
    return dtype if _is_arrow_text(dtype) else None


def _schema_key_dtype(schema: pa.Schema, name: str):
    """The dtype :func:`_key_dtype` gives the column `name` of an Arrow stream read through
    :func:`arrow_frame`: Arrow strings (string views as large strings); None for another
    type. Dictionary-encoded key columns never come here (:func:`stream_ready`)."""
    kind = schema.field(schema.get_all_field_indices(name)[0]).type
    kind = _arrow_column_type(kind) or kind
    return pd.ArrowDtype(kind) if pa.types.is_string(kind) or pa.types.is_large_string(
        kind) else None


def _table_key_dtype(table: pa.Table, name: str):
    """The dtype :func:`_key_dtype` gives the column `name` of an Arrow table wrapped by
    :func:`arrow_frame`, from the table's schema and dictionaries alone: Arrow strings as
    :func:`_schema_key_dtype`; a dictionary of text the categorical over its dictionaries
    unified in chunk order, as pandas makes it."""
    column = table.column(table.column_names.index(name))
    kind = column.type
    if not pa.types.is_dictionary(kind):
        return _schema_key_dtype(table.schema, name)
    kind = _arrow_column_type(kind) or kind
    value = kind.value_type
    if not (pa.types.is_string(value) or pa.types.is_large_string(value)):
        return None
    unified = pa.Table.from_arrays([column], ["key"]).unify_dictionaries()["key"]
    dictionary = (unified.chunk(0).dictionary.cast(value) if unified.num_chunks
                  else pa.array([], value))
    empty = pa.DictionaryArray.from_arrays(pa.array([], kind.index_type), dictionary,
                                           ordered=kind.ordered)
    return pa.table({"key": empty}).to_pandas(ignore_metadata=True)["key"].dtype


def restore_key_dtypes(result: Any,
                       sources: Sequence[pd.DataFrame | pa.Schema | pa.Table | None]) -> Any:
    """`result` with each text column that an input table also has (a group key such as
    ``channel``, an id) in that input's dtype instead of ``object``: categoricals stay
    categoricals over the same categories, Arrow strings stay Arrow strings. A column holding a
    value the input's dtype cannot (a label of leadkit's own) is left as it is."""
    if not isinstance(result, pd.DataFrame):
        return result
    changed = {}
    for name in result.columns:
        values = result[name]
        if not isinstance(name, str) or values.dtype != object:
            continue
        source = next((f for f in sources if f is not None and name in _column_names(f)),
                      None)
        if source is None:
            dtype = None
        elif isinstance(source, pa.Table):
            dtype = _table_key_dtype(source, name)
        elif isinstance(source, pa.Schema):
            dtype = _schema_key_dtype(source, name)
        else:
            dtype = _key_dtype(source[name])
        if dtype is None or pd.api.types.infer_dtype(values, skipna=True) not in ("string",
                                                                                   "empty"):
            continue
        if isinstance(dtype, pd.CategoricalDtype) and not (
                values.isna() | values.isin(dtype.categories)).all():
            continue
        changed[name] = values.astype(dtype)
    return result.assign(**changed) if changed else result


def keeps_key_dtypes(*tables: str, streams: bool = False) -> Callable:
    """A public function's decorator: its tables named `tables` are read once (an Arrow stream
    can be read only once) and the text columns of its result come back in their dtype in
    those tables (:func:`restore_key_dtypes`). With `streams`, when those tables (the dealers
    table aside, always read as a frame) are all Arrow streams they reach the function as
    pyarrow Tables, read without pandas (:func:`arrow_tables`), for its engine to read them
    as Arrow streams."""

    def decorate(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            arrow = (arrow_tables({name: bound.arguments.get(name) for name in tables
                                   if name != "dealers"}) if streams else None)
            sources = []
            for name in tables:
                value = bound.arguments.get(name)
                if arrow is not None and name in arrow:
                    value = arrow[name]
                    bound.arguments[name] = value
                elif value is not None and not isinstance(value, pd.DataFrame):
                    value = as_frame(value, name)
                    bound.arguments[name] = value
                sources.append(value)
            return restore_key_dtypes(function(*bound.args, **bound.kwargs), sources)

        return wrapper

    return decorate


def suggest(name: str, candidates: Iterable[str]) -> str:
    """'; did you mean "x"?' for a near miss, else ''."""
    nearest = _core.nearest_name(printable(str(name)), [printable(str(c)) for c in candidates])
    return f'; did you mean "{nearest}"?' if nearest else ""


def printable(text: str) -> str:
    """`text` as UTF-8 can carry it: a lone surrogate (a byte that a CSV read with
    ``errors="surrogateescape"`` could not decode) becomes its escape, ``\\udcff``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def scrub(text: Any) -> str:
    """Free text as a report or a message may show it: the phone numbers, e-mail addresses
    and WeChat ids typed into it masked (C++ ``ScrubText``, docs/data.md)."""
    return _core.scrub_text(printable(str(text)))


#: The most characters of a value an error message prints.
SHOWN_CHARACTERS = 80


def show(field: str, value: Any) -> str:
    """A value as an error message may print it: a personal field's masked, any other's
    scrubbed of personal data typed into it, cut to its first characters when long."""
    if isinstance(value, np.generic):
        value = value.item()
    if LEAD_FIELDS.get(field, ("", False, False))[1]:
        text = repr(_core.mask_value(field, printable(str(value))))
    elif isinstance(value, str):
        text = repr(scrub(value))
    else:
        text = scrub(repr(value))
    if len(text) > SHOWN_CHARACTERS:
        text = f"{text[:SHOWN_CHARACTERS - 20]}... ({len(text):,} characters)"
    return text


class RowLabels:
    """Names a row in messages by its id (``lead_id="L7"``), or by position without ids."""

    def __init__(self, frame: pd.DataFrame, id_column: str | None):
        # Only a reference: ids are looked up when a message needs one, never converted ahead.
        self._frame = frame
        self._id_column = id_column

    def __call__(self, position: int) -> str:
        if self._id_column not in self._frame.columns:
            return f"row {position}"
        value = self._frame[self._id_column].iloc[position]
        return f"{self._id_column}={show(self._id_column, str(value))} (row {position})"


def _column_names(table: pd.DataFrame | pa.Schema | pa.Table) -> list:
    if isinstance(table, pa.Table):
        return table.column_names
    return list(table.names) if isinstance(table, pa.Schema) else list(table.columns)


def require_columns(frame: pd.DataFrame | pa.Schema, table: str,
                    required: Iterable[str]) -> None:
    """Each of `required` a column of `frame` (a DataFrame, or an Arrow stream's schema)."""
    names = _column_names(frame)
    for column in required:
        if column not in names:
            raise ValueError(
                f'{table}: missing required column "{column}"'
                f"{suggest(column, names)}"
            )


def require_ids(frame: pd.DataFrame, table: str, column: str) -> pd.Series:
    """The id column, checked present and non-null."""
    require_columns(frame, table, [column])
    if list(frame.columns).count(column) > 1:
        raise ValueError(f'{table}: column "{column}" appears more than once')
    ids = frame[column]
    missing = ids.isna().to_numpy()
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{table}.{column}: row {position} has no id (null)")
    if ids.dtype == object:
        # The ids go back in results: one that is not valid text (a lone surrogate) could not
        # be written there.
        texts = [value if isinstance(value, str) else "" for value in ids.to_numpy()]
        position = first_not_text(texts)
        if position >= 0:
            raise not_text_error(table, column, f"row {position}", texts[position])
    return ids


def _first_bad(values: np.ndarray, ok) -> int:
    for position, value in enumerate(values):
        if not _is_null(value) and not ok(value):
            return position
    return -1


def _is_null(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and np.isnan(value)
    )


def _is_masked(series: pd.Series) -> bool:
    """A pandas masked extension array (Int64, UInt64, Float64, boolean)."""
    return isinstance(series.dtype, pd.api.extensions.ExtensionDtype) and hasattr(
        series.array, "_mask"
    )


def _masked_parts(series: pd.Series):
    """(values, valid) of a pandas masked extension array, without copying the values."""
    array = series.array
    return np.asarray(array._data), ~np.asarray(array._mask)


def _type_error(table, column, labels, position, value, expected, hint=""):
    return ValueError(
        f"{table}.{column}: {labels(position)} has {show(column, value)} "
        f"({type(value).__name__}); expected {expected}{hint}"
    )


def _reject(series, table, column, labels, ok, expected, hint=""):
    """The error for a column that cannot be read as `expected`: names the first value that is
    not `ok`, else the first non-null value (its type is the problem), else the dtype."""
    raw = series.to_numpy(dtype=object)
    position = _first_bad(raw, ok)
    if position < 0:
        position = _first_bad(raw, lambda v: False)
    if position < 0:
        return ValueError(f"{table}.{column}: a column of dtype {series.dtype} cannot be read "
                          f"as {expected}{hint}")
    return _type_error(table, column, labels, position, raw[position], expected, hint)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _inferred(series) -> str:
    return pd.api.types.infer_dtype(series, skipna=True)


def _number_spec(name, series, table, labels):
    dtype = series.dtype
    if _is_masked(series):
        values, valid = _masked_parts(series)
        if values.dtype.kind == "i":
            return (name, "int64", values.astype(np.int64, copy=False), valid.view(np.uint8), None)
        if values.dtype.kind in "uf":  # unsigned as double: large values never wrap
            return (name, "double", values.astype(np.float64, copy=False), valid.view(np.uint8), None)
    elif isinstance(dtype, np.dtype) and dtype.kind == "f":
        return (name, "double", series.to_numpy(dtype=np.float64, copy=False), None, None)
    elif isinstance(dtype, np.dtype) and dtype.kind == "i":
        return (name, "int64", series.to_numpy(dtype=np.int64, copy=False), None, None)
    elif isinstance(dtype, np.dtype) and dtype.kind == "u":
        return (name, "double", series.to_numpy(dtype=np.float64), None, None)
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        # Arrow-backed and other numeric extension dtypes: through pandas' masked Float64.
        return _number_spec(name, series.astype("Float64"), table, labels)
    elif dtype == object and _inferred(series) in _NUMERIC_INFERRED:
        values = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
        return (name, "double", values, None, None)
    raise _reject(series, table, name, labels, _is_number, "a number")


def _zero_one(name, series, table, labels):
    """A numeric column read as booleans: 0 and 1, nulls allowed."""
    numbers = series.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = ~np.isnan(numbers)
    bad = finite & (numbers != 0) & (numbers != 1)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise _type_error(table, name, labels, position, series.iloc[position],
                          "true or false")
    return (name, "bool", (numbers == 1).view(np.uint8), finite.view(np.uint8), None)


def _bool_spec(name, series, table, labels):
    dtype = series.dtype
    if dtype == bool:
        return (name, "bool", series.to_numpy(copy=False).view(np.uint8), None, None)
    if isinstance(dtype, pd.BooleanDtype):
        values, valid = _masked_parts(series)
        return (name, "bool", values.view(np.uint8), valid.view(np.uint8), None)
    if isinstance(dtype, pd.CategoricalDtype):
        return _bool_spec(name, series.astype(object), table, labels)
    if pd.api.types.is_bool_dtype(dtype):  # Arrow-backed booleans: through pandas' masked
        return _bool_spec(name, series.astype("boolean"), table, labels)
    if pd.api.types.is_numeric_dtype(dtype):
        return _zero_one(name, series, table, labels)
    if dtype == object:
        inferred = _inferred(series)
        if inferred in ("boolean", "empty"):
            raw = series.to_numpy(dtype=object)
            valid = ~pd.isna(raw)
            values = np.zeros(len(raw), dtype=np.uint8)
            values[valid] = raw[valid].astype(bool)
            return (name, "bool", values, valid.view(np.uint8), None)
        if inferred in _NUMERIC_INFERRED:
            return _zero_one(name, pd.to_numeric(series), table, labels)
    raise _reject(series, table, name, labels, lambda v: isinstance(v, (bool, np.bool_)),
                  "true or false")


def _string_spec(name, series, table, labels):
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        if len(categories) and _inferred(categories) != "string":
            raise ValueError(
                f"{table}.{name}: categorical column has non-string categories "
                f"({categories.dtype}); expected strings"
            )
        codes = series.cat.codes.to_numpy().astype(np.int32, copy=False)
        return _code_spec(name, codes, [str(c) for c in categories], table, labels)
    array = _arrow_strings(series, chunked=True)
    if array is not None:
        codes, dictionary = _arrow_codes(array)
        return (name, "code", codes, None, dictionary)
    # A pandas string dtype holds only strings: no need to look at every value.
    if (isinstance(dtype, pd.StringDtype) or _inferred(series) in ("string", "empty")
            or series.isna().all()):
        # An all-null column (CSV gives float NaN for an empty column) is all null.
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        dictionary = uniques.tolist() if isinstance(dtype, pd.StringDtype) else [
            str(u) for u in uniques]
        return _code_spec(name, codes.astype(np.int32, copy=False), dictionary, table, labels)
    raise _reject(series, table, name, labels, lambda v: isinstance(v, str), "a string",
                  " (read the column as text, e.g. dtype=str)")


def first_not_text(values: Sequence[str]) -> int:
    """The index of the first string of `values` that is not valid text — one holding a lone
    surrogate, as a byte that a file's encoding could not decode gives when it is read with
    ``errors="surrogateescape"`` — or -1. Costs one pass over the characters."""
    joined = "".join(values)
    if joined.isascii():
        return -1
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        for index, value in enumerate(values):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return index
    return -1


def not_text_error(table: str, column: str, where: str, value: str) -> ValueError:
    return ValueError(
        f"{table}.{column}: {where} has {show(column, value)}, which is not valid text (a lone "
        "surrogate: a byte the file's encoding could not decode); read the file in its encoding")


def _code_spec(name, codes, dictionary, table, labels):
    """A column of codes into `dictionary`, its strings checked to be valid text."""
    bad = first_not_text(dictionary)
    if bad >= 0:
        used = np.flatnonzero(codes == bad)
        where = labels(int(used[0])) if len(used) else "a category of the column"
        raise not_text_error(table, name, where, dictionary[bad])
    return (name, "code", codes, None, dictionary)


def _arrow_strings(series: pd.Series, *, chunked: bool = False):
    """The Arrow strings behind `series`, or None when it is not Arrow-backed: one array (its
    chunks combined into one, a copy, when it has several), or with `chunked` the chunks as
    they lie (a ChunkedArray, or an Array)."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        arrow_backed = dtype.storage == "pyarrow"
    elif isinstance(dtype, pd.ArrowDtype):
        arrow_backed = _is_arrow_text(dtype)
    else:
        arrow_backed = False
    if not arrow_backed:
        return None
    chunked_array = pa.array(series.array)
    if isinstance(chunked_array, pa.Array) or chunked:
        return chunked_array
    return (chunked_array.combine_chunks() if chunked_array.num_chunks != 1
            else chunked_array.chunk(0))


def _arrow_codes(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes of Arrow strings (-1 for a null) and the dictionary, in order of
    first appearance — what pd.factorize gives, without its copies. Chunks are encoded as
    they lie, over one dictionary, without combining their strings first."""
    if len(array) == 0:
        return np.zeros(0, np.int32), []
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.Array):
        return _indices(encoded.indices), encoded.dictionary.to_pylist()
    # Every chunk's dictionary is the one of the chunks so far: the last holds them all.
    chunks = [chunk for chunk in encoded.chunks if len(chunk)]
    codes = np.empty(len(array), np.int32)
    at = 0
    for chunk in chunks:
        codes[at:at + len(chunk)] = _indices(chunk.indices)
        at += len(chunk)
    return codes, chunks[-1].dictionary.to_pylist()


def _indices(indices: pa.Array) -> np.ndarray:
    """Dictionary indices (int32) as numpy, -1 for a null, in memory of their own."""
    n = len(indices)
    values = np.frombuffer(indices.buffers()[1], dtype=np.int32, count=n,
                           offset=indices.offset * 4)
    if indices.null_count == 0:
        return values.copy()  # the Arrow buffer lives only as long as the encoded array
    bits = np.unpackbits(np.frombuffer(indices.buffers()[0], dtype=np.uint8),
                         bitorder="little")[indices.offset:indices.offset + n]
    return np.where(bits.astype(bool), values, np.int32(-1))


def id_spec(name, series, table, labels):
    """An id column (every value differs): Arrow strings go to the core as they lie, offsets
    and characters without a copy or a dictionary; other columns as string codes."""
    array = _arrow_strings(series)
    if array is None:
        try:
            return _string_spec(name, series, table, labels)
        except ValueError:
            # Any null is null here too (column_spec): read again with None for each.
            nulls = series.isna()
            if series.dtype != object or not nulls.any():
                raise
            return _string_spec(name, series.where(~nulls, None), table, labels)
    n = len(array)
    _, offsets_buffer, chars_buffer = array.buffers()
    wide = pa.types.is_large_string(array.type)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32,
                            count=n + 1, offset=array.offset * (8 if wide else 4))
    chars = (np.frombuffer(chars_buffer, dtype=np.uint8) if chars_buffer is not None
             else np.zeros(0, np.uint8))
    valid = None if array.null_count == 0 else series.notna().to_numpy().view(np.uint8)
    return (name, "strings", offsets.astype(np.int64, copy=False), valid, chars)


#: Ticks per second of the datetime64 units pandas columns come in.
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _whole_seconds(values: np.ndarray) -> np.ndarray:
    """Whole seconds (rounded down) of a datetime64 array, as int64; NaT gives some number."""
    unit, count = np.datetime_data(values.dtype)
    if unit in _PER_SECOND and count == 1:
        # As a cast to datetime64[s] rounds, at half its cost.
        return values.view(np.int64) // _PER_SECOND[unit]
    return values.astype("datetime64[s]").view(np.int64)


#: The whole seconds pandas' nanosecond timestamps can hold.
_SECONDS_RANGE = (pd.Timestamp.min.ceil("s").value // 10**9,
                  pd.Timestamp.max.floor("s").value // 10**9)


def _arrow_instants(series: pd.Series):
    """Whole seconds (rounded down) and validity of a column of zoned Arrow timestamps, read
    from its buffers (Arrow keeps a zoned instant as UTC ticks); None when an instant lies
    outside what pandas holds, which the caller reports as any column's."""
    array = pa.array(series.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    ticks = array.cast(pa.int64())
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    seconds = ticks.fill_null(0).to_numpy() // _PER_SECOND[array.type.unit]
    if valid.any():
        low, high = seconds[valid].min(), seconds[valid].max()
        if low < _SECONDS_RANGE[0] or high > _SECONDS_RANGE[1]:
            return None
    return seconds.astype(np.int64, copy=False), valid.view(np.uint8)


def _instant_spec(name, series, table, labels, tz):
    dtype = series.dtype
    if (isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M"
            and getattr(dtype.pyarrow_dtype, "tz", None)):
        # pandas converts a zoned Arrow column value by value; its buffers say the same.
        read = _arrow_instants(series)
        if read is not None:
            return (name, "instant", read[0], read[1], None)
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
        zone = getattr(dtype.pyarrow_dtype, "tz", None)
        try:
            series = series.astype(pd.DatetimeTZDtype("ns", zone) if zone else "datetime64[ns]")
        except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
            # Arrow holds instants (year 1, year 9999) that pandas' nanoseconds cannot.
            raw = np.array(pa.array(series.array).to_pylist(), dtype=object)
            position = _first_out_of_range(raw)
            if position < 0:
                raise
            raise _type_error(table, name, labels, position, raw[position],
                              f"a timestamp from {_TIME_RANGE}") from None
        dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert(None)  # the same numbers, no zone: no copy
    elif dtype.kind == "M":
        if tz is None and series.isna().all():
            # No instant to misread: an all-null column needs no zone.
            n = len(series)
            return (name, "instant", np.zeros(n, np.int64), np.zeros(n, np.uint8), None)
        if tz is None:
            first = int(np.flatnonzero(series.notna().to_numpy())[0])
            raise ValueError(
                f"{table}.{name}: timestamps without a time zone; pass tz= (for example "
                f'tz="Asia/Shanghai") or give the column a zone — leadkit never guesses one '
                f"(the first: {labels(first)} has {show(name, series.iloc[first])})"
            )
        utc = localize_wall(series, tz).dt.tz_convert("UTC").dt.tz_localize(None)
    elif dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "empty":
        return (name, "instant", np.zeros(len(series), np.int64), np.zeros(len(series), np.uint8), None)
    elif dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "datetime":
        raw = series.to_numpy(dtype=object)
        zoned = [v.tzinfo is not None for v in raw if not _is_null(v)]
        if all(zoned) or not any(zoned):
            times = _to_datetime(series, raw, table, name, labels, utc=all(zoned))
            return _instant_spec(name, times, table, labels, tz)
        position = _first_bad(raw, lambda v: v.tzinfo is not None)
        raise _type_error(
            table, name, labels, position, raw[position], "a timestamp with a time zone",
            " (the column mixes zoned and naive timestamps)",
        )
    else:
        raise _reject(series, table, name, labels, _is_time, "a timestamp")
    values = utc.to_numpy()
    valid = ~np.isnat(values)
    return (name, "instant", _whole_seconds(values), valid.view(np.uint8), None)


def _is_time(value) -> bool:
    return isinstance(value, (_dt.datetime, np.datetime64))


#: The instants a pandas column can hold (nanoseconds in 64 bits).
_TIME_RANGE = f"{pd.Timestamp.min:%Y-%m-%d} to {pd.Timestamp.max:%Y-%m-%d}"


def _to_datetime(series, raw, table, name, labels, *, utc=False, date=False):
    """`pd.to_datetime` of date or time objects; one outside the range pandas holds is a
    ValueError naming its row."""
    try:
        return pd.to_datetime(series, utc=utc)
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
        position = _first_out_of_range(raw)
        if position >= 0:
            raise _type_error(table, name, labels, position, raw[position],
                              f"a {'date' if date else 'timestamp'} from {_TIME_RANGE}")
        raise


def _first_out_of_range(raw) -> int:
    """The position of the first date or time of `raw` that pandas' nanoseconds cannot hold,
    or -1."""
    for position, value in enumerate(raw):
        if _is_null(value):
            continue
        try:
            pd.Timestamp(value).as_unit("ns")
        except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
            return position
    return -1


def _date_spec(name, series, table, labels):
    if series.dtype.kind == "M" and not isinstance(series.dtype, pd.DatetimeTZDtype):
        values = series.to_numpy()
    else:
        raw = series.to_numpy(dtype=object)
        position = _first_bad(raw, lambda v: isinstance(v, (_dt.date, np.datetime64)))
        if position >= 0:
            raise _type_error(table, name, labels, position, raw[position], "a date")
        values = _to_datetime(series, raw, table, name, labels, date=True).to_numpy()
    valid = ~np.isnat(values)
    days = values.astype("datetime64[D]").view(np.int64)
    return (name, "date", days, valid.view(np.uint8), None)


def column_spec(frame, name, field_type, *, table, labels, tz=None, validity_only=False):
    """The spec of one column of `frame` read as a field of `field_type`."""
    series = frame[name]
    if validity_only:
        return (name, "validity", None, series.notna().to_numpy().view(np.uint8), None)
    try:
        return _typed_spec(name, series, field_type, table, labels, tz)
    except ValueError:
        # Any null (None, NaN, NaT, pd.NA) is null in any column (docs/data.md): an object
        # column whose nulls are of another kind than its values is read again with None for
        # each. Only on this path, so a column that reads the first time costs nothing more.
        if series.dtype != object or field_type in ("instant", "date"):
            raise
        nulls = series.isna()
        if not nulls.any():
            raise
        return _typed_spec(name, series.where(~nulls, None), field_type, table, labels, tz)


def _typed_spec(name, series, field_type, table, labels, tz):
    if field_type == "number":
        return _number_spec(name, series, table, labels)
    if field_type == "double":  # a number an engine reads as double only (coordinates)
        spec = _number_spec(name, series, table, labels)
        if spec[1] == "int64":
            values, valid = spec[2].astype(np.float64), spec[3]
            if valid is not None:
                values[~valid.astype(bool)] = np.nan
            spec = (name, "double", values, None, None)
        return spec
    if field_type == "bool":
        return _bool_spec(name, series, table, labels)
    if field_type == "string":
        return _string_spec(name, series, table, labels)
    if field_type == "instant":
        return _instant_spec(name, series, table, labels, tz)
    return _date_spec(name, series, table, labels)


def table_specs(frame, fields, *, table, compared=None, tz=None, id_column="lead_id",
                ids_as_strings=False, texts=()):
    """Specs for the columns of `fields` ({name: type}) present in `frame`; absent ones read
    as null. Fields not in `compared` (None = all) pass only their null flags. With
    `ids_as_strings`, the id column goes as strings (:func:`id_spec`) for engines that read
    it so; so do the string columns named in `texts` (values that seldom repeat, such as
    names and phone numbers, which a dictionary would not shrink)."""
    columns = list(frame.columns)
    for name in [*fields, id_column]:
        if columns.count(name) > 1:
            raise ValueError(f'{table}: column "{name}" appears more than once')
    labels = RowLabels(frame, id_column)
    specs = []
    for name, field_type in fields.items():
        if name not in frame.columns:
            continue
        if (ids_as_strings and name == id_column) or name in texts:
            specs.append(id_spec(name, frame[name], table, labels))
            continue
        specs.append(
            column_spec(
                frame, name, field_type, table=table, labels=labels, tz=tz,
                validity_only=compared is not None and name not in compared,
            )
        )
    return specs


def lead_specs(frame, fields, *, table="leads", compared=(), tz=None, id_column="lead_id",
               ids_as_strings=False):
    """Specs for the lead `fields` present in `frame`; absent fields read as null.

    Fields not in `compared` are only tested for null, so only their validity is converted.
    """
    return table_specs(frame, {name: LEAD_FIELDS[name][0] for name in fields}, table=table,
                       compared=set(compared), tz=tz, id_column=id_column,
                       ids_as_strings=ids_as_strings)


#: The leads columns the cadence and the KPIs read beside the policy's rule fields (C++
#: ``kCadenceLeadColumns``): always passed with their values.
CADENCE_LEAD_COLUMNS = list(_core.cadence_lead_columns())


def engine_fields(impl, *, cadence: bool, extra: Iterable[str] = ()
                  ) -> tuple[dict[str, str], set[str]]:
    """What an engine reads of the leads table, in one place: ``({field: type}, compared)``.

    The policy's rule fields are read for their null flags only, unless a rule compares their
    values; with `cadence`, the columns the cadence (and so the KPIs) read are read in full, as
    are the `extra` lead fields (group keys). A field in both lists is read in full.
    """
    full = [*(CADENCE_LEAD_COLUMNS if cadence else ["lead_id"]),
            *[name for name in extra if name in LEAD_FIELDS]]
    names = list(dict.fromkeys([*full, *impl.fields]))
    compared = set(full) | set(impl.compared_fields)
    return {name: LEAD_FIELDS[name][0] for name in names}, compared


def latest_instant(specs) -> int | None:
    """The latest valid instant among the instant columns of `specs`, as seconds (C++
    ``DefaultAsOfSeconds``, the one rule); None when there is none."""
    instants = [(len(spec[2]), [spec]) for spec in specs if spec[1] == "instant"]
    try:
        return _core.default_as_of(instants)
    except ValueError:
        return None


def zoned_times(seconds: np.ndarray, zone: str, valid: np.ndarray | None = None) -> pd.Series:
    """Seconds since the epoch as aware timestamps in `zone`; NaT where `valid` is 0."""
    times = pd.Series(pd.to_datetime(seconds, unit="s", utc=True).tz_convert(zone))
    return times if valid is None else times.where(valid.astype(bool))


def localize_wall(series: pd.Series, tz) -> pd.Series:
    """Naive wall times read in zone `tz` by the calendars' rule (docs/calendars.md): a
    repeated time is its earlier instant; a skipped time moves forward by the gap (it is read
    with the offset in force before the gap)."""
    earlier = np.ones(len(series), dtype=bool)
    out = series.dt.tz_localize(tz, ambiguous=earlier, nonexistent="NaT")
    skipped = (out.isna() & series.notna()).to_numpy()
    if skipped.any():
        wall = series[skipped]
        before = (wall - pd.Timedelta(days=1)).dt.tz_localize(
            tz, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward")
        offset = before.dt.tz_localize(None) - before.dt.tz_convert("UTC").dt.tz_localize(None)
        out[skipped] = (wall - offset).dt.tz_localize("UTC").dt.tz_convert(tz)
    return out


def check_threads(threads: Any) -> int:
    """`threads=` of a report: a whole number, 1 or more."""
    if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads: expected an integer, got {threads!r}")
    if threads < 1:
        raise ValueError(f"threads: expected 1 or more, got {threads}")
    return int(threads)


# The directory set with leadkit.set_tz_dir ("" when none is): Python's tzinfo objects are
# then read from it too, so that they agree with the engine's zones.
tz_directory = ""


def zone_info(name: str) -> _dt.tzinfo:
    """Python's tzinfo of the IANA zone `name`, from the database the engine reads: the
    directory set with leadkit.set_tz_dir, else Python's own search (the system's database,
    then the tzdata package). ZoneInfoNotFoundError or ValueError when it has none."""
    if not tz_directory:
        return zoneinfo.ZoneInfo(name)
    return _zone_from(tz_directory, name)


@functools.lru_cache(maxsize=64)
def _zone_from(directory: str, name: str) -> _dt.tzinfo:
    # The engine decides what a zone name is and whether the directory holds it.
    if not _core.is_zone(name):
        raise zoneinfo.ZoneInfoNotFoundError(f"No time zone found with key {name}")
    try:
        with open(f"{directory}/{name}", "rb") as file:
            return zoneinfo.ZoneInfo.from_file(file, key=name)
    except OSError:  # UTC, which the engine knows without a file
        return zoneinfo.ZoneInfo(name)


def _known_zone(name: str) -> bool:
    try:
        zone_info(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_name(zone: Any, what: str = "tz") -> str:
    """The IANA name the engine reads for a zone given by name or as a tzinfo (zoneinfo,
    pytz, dateutil, a fixed offset): a name is checked (KeyError when unknown); a fixed
    whole-hour offset is its ``Etc/GMT`` zone (UTC as ``UTC``)."""
    if isinstance(zone, str):
        if not _known_zone(zone):
            raise KeyError(f"{what}: unknown time zone {zone!r}")
        return zone
    if not isinstance(zone, _dt.tzinfo):
        raise TypeError(f"{what}: expected a time zone name, got {type(zone).__name__}")
    filename = getattr(zone, "_filename", None)  # dateutil's tzfile
    names = [getattr(zone, "key", None), getattr(zone, "zone", None),  # zoneinfo, pytz
             filename.split("zoneinfo/", 1)[1] if isinstance(filename, str)
             and "zoneinfo/" in filename else None, str(zone)]
    for name in names:
        if isinstance(name, str) and _known_zone(name):
            return name
    offset = zone.utcoffset(None)
    if offset is not None and not offset % _dt.timedelta(hours=1):
        hours = offset // _dt.timedelta(hours=1)
        # Etc/GMT zones count the other way round: Etc/GMT-8 is UTC+08:00.
        return f"Etc/GMT{-hours:+d}" if hours else "UTC"
    raise ValueError(f"{what}: cannot name the time zone {zone!r}; pass an IANA name such as "
                     "'Asia/Shanghai'")


def own_zone(series: pd.Series, table: str, column: str):
    """The zone the aware values of a column carry (a tzinfo or a name; None when the column
    holds no aware value); values in more than one zone are a ValueError."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return dtype.tz
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
        return getattr(dtype.pyarrow_dtype, "tz", None)
    if dtype == object:
        zones = {}
        for value in series.dropna():
            zone = getattr(value, "tzinfo", None)
            if zone is not None:
                zones.setdefault(str(zone), zone)
        if len(zones) > 1:
            raise ValueError(f"{table}.{column}: values in more than one time zone "
                             f"({', '.join(sorted(zones))}); pass tz= to name the local zone")
        if zones:
            return next(iter(zones.values()))
    return None


def instant_seconds(value, what: str, tz=None) -> int:
    """One instant (aware datetime, pandas Timestamp or ISO text) as seconds; a naive one only
    with `tz`."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        if tz is None:
            raise ValueError(f"{what}: naive time {stamp.isoformat()}; pass an aware time or "
                             "tz= — leadkit never guesses a zone")
        stamp = localize_wall(pd.Series([stamp]), tz).iloc[0]
    return int(stamp.tz_convert("UTC").floor("s").timestamp())


# --- Reading specs back ----------------------------------------------------------------------


def utc_text(seconds: int) -> str:
    """An instant in seconds as ISO text in UTC, as error messages print it."""
    return pd.Timestamp(int(seconds), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def lead_row(table: str, position: int, lead_id: Any) -> str:
    """A row named in messages by its position and lead id: ``leads row 3: lead_id "L7"``."""
    return f'{table} row {position}: lead_id "{lead_id}"'


def as_of_seconds(as_of, specs, tz=None, *, required: bool = True) -> int:
    """`as_of` as seconds; when None, the latest instant of `specs` (C++
    ``DefaultAsOfSeconds``) — never the machine's clock. When they hold none: a ValueError, or
    without `required` no limit (the largest int64)."""
    if as_of is not None:
        return instant_seconds(as_of, "as_of", tz)
    latest = latest_instant(specs)
    if latest is None:
        if not required:
            return int(np.iinfo(np.int64).max)
        raise ValueError("as_of: the inputs hold no timestamp to take it from; pass as_of=")
    return latest


# --- Leads and touches -----------------------------------------------------------------------


def kpi_tables(leads: Any, touches: Any,
               surveys: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The leads, touches and surveys of a call the KPI engine counts, as frames with the
    columns every such call needs checked; surveys None is a table without rows."""
    lead_frame = as_frame(leads, "leads")
    touch_frame = as_frame(touches, "touches")
    survey_frame = (as_frame(surveys, "surveys") if surveys is not None
                    else pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                                       "at": pd.Series([], dtype="datetime64[ns, UTC]"),
                                       "satisfied": pd.Series([], dtype=bool)}))
    require_columns(lead_frame, "leads", ["lead_id", "created_at"])
    require_columns(touch_frame, "touches", ["lead_id", "at", "method"])
    require_columns(survey_frame, "surveys", ["lead_id", "at", "satisfied"])
    return lead_frame, touch_frame, survey_frame


def lead_and_touch_frames(leads: Any, touches: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leads and touches tables with their required columns (ids not yet checked)."""
    lead_frame = as_frame(leads, "leads")
    touch_frame = as_frame(touches, "touches")
    require_columns(lead_frame, "leads", ["lead_id", "created_at"])
    require_columns(touch_frame, "touches", ["lead_id", "at", "method"])
    return lead_frame, touch_frame


def touch_frame(touches: Any) -> pd.DataFrame:
    """The touches table with its required columns and a lead id on every row."""
    frame = as_frame(touches, "touches")
    require_columns(frame, "touches", ["lead_id", "at", "method"])
    require_ids(frame, "touches", "lead_id")
    return frame


# --- Report arguments ------------------------------------------------------------------------

#: The lead columns a report can group by: the non-personal string fields, but for the id
#: and the grade (reports add their own keys to these).
GROUP_FIELDS = [name for name, (kind, personal, _) in LEAD_FIELDS.items()
                if kind == "string" and not personal and name not in ("lead_id", "grade")]


def by_names(by: Any, allowed: Sequence[str], *, personal: Iterable[str] = (),
             strict: bool = False) -> list[str]:
    """`by` (None, a name or a collection of names) as a list of group names, each one of
    `allowed`, none twice. A name in `personal` is refused as personal data. `strict` takes
    only a name, a list or a tuple of strings, and raises TypeError for anything else."""
    if by is None:
        return []
    if isinstance(by, str):
        names = [by]
    elif strict and not isinstance(by, (list, tuple)):
        raise TypeError(f"by: expected a column name or a list of names, got {type(by).__name__}")
    else:
        names = list(by)
    personal = set(personal)
    for name in names:
        if not isinstance(name, str):
            if strict:
                raise TypeError(f"by: expected column names, got {name!r}")
        elif name in personal:
            raise ValueError(f"by: {name!r} is personal data and cannot be a group")
        if not isinstance(name, str) or name not in allowed:
            raise ValueError(f"by: cannot group by {name!r}{suggest(str(name), allowed)}")
    if len(set(names)) != len(names):
        raise ValueError(f"by: a column is named twice in {names!r}")
    return names


def dealers_frame(dealers: Any) -> pd.DataFrame | None:
    """The dealers table, checked: ``dealer_id`` unique and present, ``region_id`` present."""
    if dealers is None:
        return None
    frame = as_frame(dealers, "dealers")
    require_columns(frame, "dealers", ["dealer_id", "region_id"])
    ids = require_ids(frame, "dealers", "dealer_id")
    # Both read as text wherever dealers are joined (a list, bytes or a number there is a
    # ValueError naming the dealer, not an error of whatever reads them later).
    table_specs(frame, {"dealer_id": "string", "region_id": "string"}, table="dealers",
                id_column="dealer_id")
    twice = ids[ids.duplicated()]
    if len(twice):
        raise ValueError(f"dealers.dealer_id: {show('dealer_id', twice.iloc[0])} is given twice")
    return frame


#: What the cadence (and the KPIs) read of the touches.
CADENCE_TOUCH_COLUMNS = {"lead_id": "string", "at": "instant", "method": "string",
                         "grade_after": "string"}


#: What the cadence reads of the dealers table: each dealer's calendar (docs/policy.md).
DEALER_CALENDAR_COLUMNS = {"dealer_id": "string", "calendar": "string"}


def cadence_for(impl: _core.Policy, dealers: pd.DataFrame | None) -> _core.Cadence:
    """The policy's cadence; with a (checked) dealers table that has a ``calendar`` column,
    the one judging each lead on its dealer's calendar, one of the policy's ``calendars``
    (docs/policy.md, "Calendars per dealer"). An unknown name is a ValueError naming the
    dealer and the name."""
    cadence = _core.cadence_for_policy(impl)
    if dealers is None or "calendar" not in dealers.columns:
        return cadence
    specs = table_specs(dealers, DEALER_CALENDAR_COLUMNS, table="dealers",
                        id_column="dealer_id")
    return _core.cadence_with_dealers(cadence, len(dealers), specs)


def judging_calendars(impl: _core.Policy, dealers: pd.DataFrame | None) -> list:
    """The calendars a call judges deadlines on: the policy's, and each of its ``calendars``
    a (checked) dealers table names."""
    calendars = [impl.business_calendar]
    if dealers is not None and "calendar" in dealers.columns:
        named = impl.dealer_calendars
        for name in pd.unique(dealers["calendar"].dropna().astype(object)):
            if name in named:
                calendars.append(named[name])
    return calendars
