"""Who sees what (003 §I): the scope a report applies as rows enter it. The rule lives in C++
(include/leadkit/scope.h, ``ScopeMask``); this module names a scope and converts the tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import _core, _frames


class Scope:
    """Who sees what (003 §I): headquarters sees every lead, a region its dealers' leads, a
    dealer its own. Leads without a dealer are seen only at headquarters."""

    __slots__ = ("kind", "id")

    def __init__(self, kind: str, id: str | None = None):
        if kind not in ("hq", "region", "dealer"):
            raise ValueError(f"scope: unknown kind {kind!r} (hq, region, dealer)")
        self.kind = kind
        self.id = id

    @classmethod
    def hq(cls) -> "Scope":
        return cls("hq")

    @classmethod
    def region(cls, region_id: str) -> "Scope":
        return cls("region", region_id)

    @classmethod
    def dealer(cls, dealer_id: str) -> "Scope":
        return cls("dealer", dealer_id)

    def __eq__(self, other):
        return isinstance(other, Scope) and (self.kind, self.id) == (other.kind, other.id)

    def __hash__(self):
        return hash((self.kind, self.id))

    def __repr__(self):
        return "Scope.hq()" if self.kind == "hq" else f"Scope.{self.kind}({self.id!r})"

    def mask(self, leads: pd.DataFrame, dealers: pd.DataFrame | None) -> np.ndarray | None:
        """Per lead (its ``dealer_id``), 1 when in scope (C++ ``ScopeMask``); None for
        headquarters (everything)."""
        if self.kind == "hq":
            return None
        rows = _frames.table_specs(leads, {"dealer_id": "string"}, table="leads",
                                   id_column="dealer_id")
        dealer_specs = ([] if dealers is None else
                        _frames.table_specs(dealers, _SCOPE_DEALER_COLUMNS, table="dealers",
                                            id_column="dealer_id"))
        return _core.scope_mask(self.kind, self.id, len(leads), rows,
                                None if dealers is None else len(dealers), dealer_specs)

    def stream_arguments(self, dealers: pd.DataFrame | None) -> dict[str, Any]:
        """The scope as the Arrow stream engines take it (``_core.*_add_arrow``): they build
        the C ABI's scope (``lk_scope_create``) and apply C++ ``ScopeMask`` to the rows they
        read; `dealers` is a checked dealers table, passed as an Arrow table."""
        return {"scope_kind": self.kind, "scope_id": self.id or "",
                "dealers": None if dealers is None else _dealers_arrow(dealers)}


def _dealers_arrow(dealers: pd.DataFrame) -> pa.Table:
    """The scope's columns of a checked dealers table (text or null) as a pyarrow Table."""
    def text(column: str) -> pa.Array:
        values = dealers[column]
        return pa.array([None if pd.isna(v) else str(v) for v in values],
                        type=pa.string())
    return pa.table({name: text(name) for name in _SCOPE_DEALER_COLUMNS})


#: What a scope reads of the dealers table.
_SCOPE_DEALER_COLUMNS = {"dealer_id": "string", "region_id": "string"}


def check_scope(scope: Any) -> Scope:
    """The scope to apply: headquarters when None."""
    if scope is None:
        return Scope.hq()
    if not isinstance(scope, Scope):
        raise TypeError(f"scope: expected a leadkit.Scope, got {type(scope).__name__}")
    return scope


def scope_mask(scope: Scope, rows: pd.DataFrame, dealers: pd.DataFrame | None) -> np.ndarray:
    """Per row of `rows` (with a ``dealer_id`` column), True when in scope."""
    mask = scope.mask(rows, dealers)
    return np.ones(len(rows), dtype=bool) if mask is None else mask.astype(bool)
