"""What every report's state class shares (docs/architecture.md, "One state protocol"): it
holds the report's C++ state and gives the protocol's Python form —

- ``merge(other)`` adds another state's counts to this one and returns this state;
- ``a + b`` is a new state, its operands left as they were;
- ``to_bytes()`` / ``from_bytes(data)``: the C++ state's versioned bytes with a checksum
  (bytes that are not one: a ValueError); states pickle through them;
- ``==`` compares the counts; ``copy()``.

A state whose options come with its first batch (showroom, activity, lost sales, profile) holds
no C++ state until then (``_state`` None); one whose options are constructor arguments
(KPIs, effectiveness, audit) holds one from the start. Each subclass adds ``add`` and
``finalize`` (conversion only) and, where its options could differ from another state's, the
``_check`` that names both.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Iterable


def _copy(core: Any) -> Any:
    """A C++ state's copy (through its bytes)."""
    return type(core).from_bytes(core.to_bytes())


class EngineState:
    """The protocol over a C++ state class (`_core_class`)."""

    __slots__ = ("_state",)
    _core_class: ClassVar[Any] = None

    def __init__(self) -> None:
        self._state: Any = None

    @classmethod
    def _of(cls, core: Any) -> Any:
        out = cls.__new__(cls)
        out._state = core
        return out

    def _empty(self) -> Any:
        """The C++ state of a state no batch was added to."""
        raise ValueError(f"{type(self).__name__}: no batch added yet")

    def _core(self) -> Any:
        return self._state if self._state is not None else self._empty()

    def _check(self, core: Any) -> None:
        """A ValueError naming both when `core`'s options differ from this state's (the C++
        Merge refuses them too; this names them as the Python arguments)."""

    def _fold(self, core: Any) -> None:
        """Adds a C++ state (a batch's, or another state's) to this one."""
        if self._state is None:
            self._state = core
            return
        self._check(core)
        self._state.merge(core)

    def merge(self, other: Any) -> Any:
        """Adds `other`'s counts (a state of the same options, over other leads) to this
        state; returns this state."""
        if not isinstance(other, type(self)):
            raise TypeError(f"merge: expected a leadkit.{type(self).__name__}, got "
                            f"{type(other).__name__}")
        if other._state is not None:
            self._fold(other._state if self._state is not None else _copy(other._state))
        return self

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.copy().merge(other)

    def copy(self) -> Any:
        return type(self)._of(None if self._state is None else _copy(self._state))

    def to_bytes(self) -> bytes:
        """The state as bytes (versioned, with a checksum) that :meth:`from_bytes` reads."""
        return self._core().to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:
        """The state :meth:`to_bytes` wrote; a ValueError for bytes that are not one."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expected bytes, got {type(data).__name__}")
        return cls._of(cls._core_class.from_bytes(bytes(data)))

    def __reduce__(self):
        if self._state is None:
            return (type(self), ())
        return (type(self).from_bytes, (self.to_bytes(),))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        if self._state is None or other._state is None:
            return self._state is None and other._state is None
        return self._state == other._state

    __hash__ = None  # type: ignore[assignment]  # a state grows with add()


# The deprecated ``*_state / *_merge / *_finalize`` functions (one release) ----------------


def deprecated(old: str, new: str) -> None:
    """The DeprecationWarning of ``leadkit.<old>``, naming what replaces it."""
    warnings.warn(f"leadkit.{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)


def states_to_merge(states: Iterable[Any], kind: type, report: str) -> list:
    """The states a deprecated ``*_merge`` call was given, each checked to be a `kind`."""
    if isinstance(states, kind) or not isinstance(states, Iterable) or isinstance(
            states, (str, bytes)) or hasattr(states, "columns"):
        raise TypeError(f"{report}: expected a list of states, got one "
                        f"{type(states).__name__}")
    states = list(states)
    if not states:
        raise ValueError("states: nothing to merge (an empty list)")
    for position, state in enumerate(states):
        if not isinstance(state, kind):
            raise ValueError(f"states[{position}]: not a {report} state")
    return states
