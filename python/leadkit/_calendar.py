"""Business calendars from Python: aware datetimes in and out, and vectorised forms over
pandas and numpy columns (docs/calendars.md)."""

from __future__ import annotations

import datetime as _dt
import importlib.util
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frames
from ._errors import DocumentError, as_bytes, read_document

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_DAY = _dt.date(1970, 1, 1)
_SECOND = _dt.timedelta(seconds=1)


class CalendarError(DocumentError):
    """A calendar document has errors. ``.issues`` lists every issue found."""

    kind = "calendar"


class CalendarZoneError(CalendarError, KeyError):
    """A calendar document names a time zone the tz database does not know."""


class CoverageWarning(UserWarning):
    """Some results rest on a calendar's weekly hours past the dates it covers (its
    ``"outside": "estimate"``): public holidays and make-up workdays there are not known yet.
    The rows concerned carry ``estimated = True`` (docs/calendars.md, "Past the coverage")."""


def set_tz_dir(directory: str | os.PathLike[str] | None) -> None:
    """Reads the time zones that policies and calendars name from ``directory`` only: a tz
    database, one TZif file per IANA name (``/usr/share/zoneinfo``, or the ``zoneinfo``
    directory of the ``tzdata`` package). ``None`` goes back to the search: the ``TZDIR``
    environment variable, the system's database, then the ``tzdata`` package (docs/calendars.md,
    "Where time zones come from"). Policies and calendars loaded before keep their zones.

        >>> import leadkit
        >>> leadkit.set_tz_dir("/no/such/zoneinfo")
        Traceback (most recent call last):
        ...
        ValueError: time zone directory "/no/such/zoneinfo" is not a directory
    """
    chosen = "" if directory is None else os.fspath(directory)
    _core.set_tz_dir(chosen)
    _frames.tz_directory = chosen


def tz_dir() -> str:
    """The directory time zones are read from now ("" when no database is found)."""
    return _core.tz_dir()


def _tzdata_directory() -> str:
    """The ``zoneinfo`` directory of the ``tzdata`` package ("" when it is not installed),
    found without importing it."""
    spec = importlib.util.find_spec("tzdata")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = os.path.join(location, "zoneinfo")
        if os.path.isdir(candidate):
            return candidate
    return ""


# Where the system has no tz database, the zones come from the tzdata package, as for
# Python's own zoneinfo.
_core.set_fallback_tz_dir(_tzdata_directory())


def warn_estimated(calendars: _core.Calendar | list[_core.Calendar], count: int,
                   call: str, unit: str = "row") -> None:
    """One :class:`CoverageWarning` for a call (`call`) that returned `count` estimated rows;
    nothing when none is. `calendars`: the calendar the deadlines were judged on, or with
    dealer calendars each one the call judged on (those that estimate are named)."""
    if count <= 0:
        return
    if isinstance(calendars, _core.Calendar):
        calendars = [calendars]
    estimating = [c for c in calendars if c.outside == "estimate" and c.coverage is not None]
    rows = f"1 {unit}" if count == 1 else f"{count} {unit}s"
    if len(estimating) == 1:
        calendar = estimating[0]
        last_day = _EPOCH_DAY + _dt.timedelta(days=calendar.coverage[1])
        where = (f'their deadlines lie past {last_day}, the last date calendar '
                 f'"{calendar.name}" covers, and rest on its weekly hours alone')
    else:
        covered = ", ".join(
            f'"{c.name}" to {_EPOCH_DAY + _dt.timedelta(days=c.coverage[1])}'
            for c in estimating)
        where = (f"their deadlines lie past the last date their calendar covers ({covered}) "
                 "and rest on its weekly hours alone")
    warnings.warn(CoverageWarning(
        f"{call}: {rows} estimated (estimated = True): {where}; public holidays and make-up "
        "workdays after it are not known yet"),
        stacklevel=3)


def warn_as_of_past(calendar: _core.Calendar, as_of_day: _dt.date, what: str) -> bool:
    """One :class:`CoverageWarning` when `as_of_day` lies past an estimating calendar's
    coverage: `what` then rests on estimated deadlines. True when it warned."""
    coverage = calendar.coverage
    if calendar.outside != "estimate" or coverage is None:
        return False
    last_day = _EPOCH_DAY + _dt.timedelta(days=coverage[1])
    if as_of_day <= last_day:
        return False
    warnings.warn(CoverageWarning(
        f'{what}: as_of {as_of_day} lies past {last_day}, the last date calendar '
        f'"{calendar.name}" covers: deadlines after it rest on its weekly hours alone and are '
        "judged like any other (lead_kpis() marks the leads concerned, column estimated)"),
        stacklevel=3)
    return True


def _seconds(value: Any, what: str) -> int:
    """An aware datetime as whole seconds since the epoch (fractions are dropped, rounding
    down)."""
    if not isinstance(value, _dt.datetime):
        raise TypeError(f"{what}: expected an aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what}: naive datetime {value.isoformat()}; give it a time zone — leadkit never "
            "guesses one"
        )
    return (value - _EPOCH) // _SECOND


def _duration(value: Any, what: str) -> int:
    if not isinstance(value, _dt.timedelta):
        raise TypeError(f"{what}: expected a timedelta, got {type(value).__name__}")
    return value // _SECOND


class Calendar:
    """A validated business calendar. Build one with :meth:`preset`, :meth:`from_json` or
    :meth:`load`. Every method takes and returns aware datetimes (results in the calendar's
    zone); instants are whole seconds."""

    __slots__ = ("_impl", "_zone")

    def __init__(self, impl: _core.Calendar):
        if not isinstance(impl, _core.Calendar):
            raise TypeError("use Calendar.preset(), Calendar.from_json() or Calendar.load()")
        self._impl = impl
        self._zone = _frames.zone_info(impl.time_zone)

    @classmethod
    def presets(cls) -> list[str]:
        """The preset names: ``['cn_office', 'cn_showroom']``."""
        return list(_core.calendar_preset_names())

    @classmethod
    def preset(cls, name: str) -> "Calendar":
        return cls(_core.preset_calendar(name))

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str | None = None,
                  files: Mapping[str, "Calendar"] | None = None) -> "Calendar":
        """Parses a calendar document; raises :class:`CalendarError` with every issue (also a
        ``KeyError`` when the time zone is unknown).

        `files` maps each file reference the document names (``"extends": {"file": ...}``,
        see :meth:`file_references`), as written, to the loaded calendar it stands for; a
        reference it lacks is an issue at ``/extends/file``. :meth:`load` reads them for
        you."""
        impl, issues, unknown_zone = _core.load_calendar(as_bytes(text), _impls(files))
        if impl is None:
            raise (CalendarZoneError if unknown_zone else CalendarError)(issues, source)
        return cls(impl)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Calendar":
        """Reads a calendar file, and the files it extends, each found relative to the
        directory of the file that names it (docs/calendars.md, "Extending a calendar")."""
        return load_calendar_file(path)

    @staticmethod
    def file_references(text: str | bytes) -> list[str]:
        """The file references a calendar document names, as written (``[]`` for text that
        does not parse: loading it reports why)."""
        return list(_core.calendar_file_references(as_bytes(text)))

    def to_json(self) -> str:
        return self._impl.to_json()

    @property
    def name(self) -> str:
        return self._impl.name

    @property
    def time_zone(self) -> str:
        return self._impl.time_zone

    @property
    def coverage(self) -> tuple[_dt.date, _dt.date] | None:
        """The first and last day the closed/extra data covers; None for a calendar without
        coverage (weekly hours everywhere)."""
        coverage = self._impl.coverage
        if coverage is None:
            return None
        first, last = coverage
        return (_EPOCH_DAY + _dt.timedelta(days=first), _EPOCH_DAY + _dt.timedelta(days=last))

    @property
    def outside(self) -> str:
        """``'error'``, ``'weekly'`` or ``'estimate'``: what the calendar does beyond its
        coverage."""
        return self._impl.outside

    def _out(self, seconds: int) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(seconds, tz=self._zone)

    def is_open(self, t: _dt.datetime) -> bool:
        return self._impl.is_open(_seconds(t, "t"))

    def next_open(self, t: _dt.datetime) -> _dt.datetime:
        """`t` itself when open, else the next opening."""
        return self._out(self._impl.next_open(_seconds(t, "t")))

    def roll_to_open(self, t: _dt.datetime) -> _dt.datetime:
        return self.next_open(t)

    def is_workday(self, day: _dt.date) -> bool:
        """Does the local day have open hours?"""
        if isinstance(day, _dt.datetime) or not isinstance(day, _dt.date):
            raise TypeError(f"day: expected a datetime.date, got {type(day).__name__}")
        return self._impl.is_workday((day - _EPOCH_DAY).days)

    def add_business(self, t: _dt.datetime, d: _dt.timedelta) -> _dt.datetime:
        """The earliest instant by which `d` of open time has passed since `t`."""
        return self._out(self._impl.add_business(_seconds(t, "t"), _duration(d, "d")))

    def business_between(self, a: _dt.datetime, b: _dt.datetime) -> _dt.timedelta:
        """Open time inside [a, b); negative when b is before a."""
        return _dt.timedelta(seconds=self._impl.business_between(_seconds(a, "a"),
                                                                 _seconds(b, "b")))

    def add_days(self, t: _dt.datetime, n: int) -> _dt.datetime:
        """The same local wall time `n` local days later."""
        return self._out(self._impl.add_days(_seconds(t, "t"), int(n)))

    def add_months(self, t: _dt.datetime, n: int) -> _dt.datetime:
        """The same local wall time `n` months later, clamped to the month's end."""
        return self._out(self._impl.add_months(_seconds(t, "t"), int(n)))

    # Vectorised forms -------------------------------------------------------------------

    def _instants(self, values, what: str):
        series, index = _as_series(values)
        frame = pd.DataFrame({what: series.reset_index(drop=True)})
        _, _, seconds, valid, _ = _frames.column_spec(
            frame, what, "instant", table="calendar", labels=_frames.RowLabels(frame, None))
        return np.ascontiguousarray(seconds), np.ascontiguousarray(valid), index

    def _result_times(self, seconds, valid, index) -> pd.Series:
        times = pd.to_datetime(seconds, unit="s", utc=True).tz_convert(self.time_zone)
        out = pd.Series(times, index=index)
        return out.where(valid.astype(bool))

    def add_business_many(self, times, durations) -> pd.Series:
        """`add_business` over a column of aware timestamps and a column (or one value) of
        durations. Nulls give nulls; the result keeps the index of `times`."""
        seconds, valid, index = self._instants(times, "times")
        d, d_valid = _durations(durations, len(seconds))
        out, out_valid = self._impl.add_business_many(seconds, valid, d, d_valid)
        return self._result_times(out, out_valid, index)

    def business_between_many(self, starts, ends) -> pd.Series:
        """`business_between` row by row: a timedelta column, null where either is null."""
        a, a_valid, index = self._instants(starts, "starts")
        b, b_valid, _ = self._instants(ends, "ends")
        if len(a) != len(b):
            raise ValueError(f"starts and ends differ in length: {len(a)} and {len(b)}")
        out, valid = self._impl.business_between_many(a, a_valid, b, b_valid)
        result = pd.Series(pd.to_timedelta(out, unit="s"), index=index)
        return result.where(valid.astype(bool))

    def __reduce__(self):
        return (Calendar.from_json, (self.to_json(),))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calendar):
            return NotImplemented
        return self._impl == other._impl

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __repr__(self) -> str:
        coverage = self.coverage
        span = f"{coverage[0]}..{coverage[1]}" if coverage else "none"
        return (f"Calendar(name={self.name!r}, time_zone={self.time_zone!r}, coverage={span}, "
                f"outside={self.outside!r})")


def _impls(files: Mapping[str, Calendar] | None) -> dict[str, _core.Calendar]:
    if files is None:
        return {}
    if not isinstance(files, Mapping):
        raise TypeError(f"files: expected a mapping of file reference to Calendar, got "
                        f"{type(files).__name__}")
    impls = {}
    for ref, calendar in files.items():
        if not isinstance(ref, str) or not isinstance(calendar, Calendar):
            raise TypeError(f"files: expected file reference (str) -> leadkit.Calendar, got "
                            f"{type(ref).__name__} -> {type(calendar).__name__}")
        impls[ref] = calendar._impl
    return impls


def _reference_error(message: str, source: str) -> CalendarError:
    return CalendarError([_core.Issue("error", "/extends/file", "", message)], source)


def load_calendar_file(path: str | os.PathLike, *, chain: tuple[str, ...] = ()) -> Calendar:
    """A calendar file, with the files it extends read first: each file reference is a path
    relative to the directory of the file that names it (a base may itself extend a file).

    `chain` lists the files that led here, outermost first (a policy file that names this
    calendar may start it): a file met again is a cycle, a :class:`CalendarError` naming the
    chain. A referenced file that cannot be read is a :class:`CalendarError` naming the
    document that references it, the path ``/extends/file`` and the resolved path; the file
    `path` itself that cannot be read raises the ``OSError``."""
    source = os.fspath(path)
    real = os.path.realpath(source)
    seen = [os.path.realpath(p) for p in chain]
    if real in seen:
        cycle = " -> ".join([*chain[seen.index(real):], source])
        raise _reference_error(f"calendar files extend one another in a cycle: {cycle}",
                               chain[-1])
    text = read_document(source, CalendarError)
    files = {}
    for ref in Calendar.file_references(text):
        target = os.path.normpath(os.path.join(os.path.dirname(source), ref))
        try:
            files[ref] = load_calendar_file(target, chain=(*chain, source))
        except OSError as e:
            raise _reference_error(
                f'cannot read calendar file "{target}" (file reference "{ref}"): '
                f"{e.strerror or e}", source) from None
    return Calendar.from_json(text, source=source, files=files)


def _as_series(values):
    """A Series (and the index to give results) from a Series, Index, array or list."""
    if isinstance(values, pd.Series):
        return values, values.index
    if isinstance(values, pd.Index):
        return pd.Series(values), pd.RangeIndex(len(values))
    return pd.Series(list(values) if not isinstance(values, np.ndarray) else values), None


def _durations(values, n: int):
    if isinstance(values, _dt.timedelta):
        return np.full(n, _duration(values, "durations"), np.int64), np.ones(n, np.uint8)
    series, _ = _as_series(values)
    if len(series) != n:
        raise ValueError(f"durations: {len(series)} values for {n} times")
    td = pd.to_timedelta(series.reset_index(drop=True))
    valid = td.notna().to_numpy()
    seconds = np.zeros(n, np.int64)
    seconds[valid] = td[valid].to_numpy().astype("timedelta64[s]").astype(np.int64)
    return seconds, valid.view(np.uint8).copy()
