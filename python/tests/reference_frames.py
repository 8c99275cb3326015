"""What the package's conversion once held for the pandas pipeline, effectiveness and audit
implementations kept here as test references: values of converted column specs, and the lead
and touch checks those implementations made themselves (the engine makes them now)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadkit import _frames


def string_values(spec, n: int) -> np.ndarray:
    """A string column spec as an object array (None for null); all None when absent."""
    if spec is None:
        return np.full(n, None, dtype=object)
    _, _, codes, _, dictionary = spec
    values = np.array([*dictionary, None], dtype=object)
    return values[np.where(codes < 0, len(dictionary), codes)]


def instant_values(spec, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(seconds, valid) of an instant column spec; an absent column is all null."""
    if spec is None:
        return np.zeros(n, np.int64), np.zeros(n, bool)
    _, _, seconds, valid, _ = spec
    return seconds, (np.ones(n, bool) if valid is None else valid.astype(bool))


def lead_ids_and_creation(specs, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The lead ids (unique) and creation times (never null) of the leads' specs."""
    ids = string_values(specs["lead_id"], n)
    twice = pd.Index(ids).duplicated()
    if twice.any():
        position = int(np.flatnonzero(twice)[0])
        first = int(np.flatnonzero(ids == ids[position])[0])
        raise ValueError(f'leads row {position}: lead_id "{ids[position]}" is given twice '
                         f"(first at row {first})")
    created, created_valid = instant_values(specs["created_at"], n)
    if not created_valid.all():
        position = int(np.flatnonzero(~created_valid)[0])
        raise ValueError(f"{_frames.lead_row('leads', position, ids[position])}: created_at is null")
    return ids, created


def touch_leads(specs, lead_ids: np.ndarray, m: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lead id, lead position, time, method) of each touch of the touches' specs, checked:
    its lead is one of `lead_ids`, and ``at`` and ``method`` are set."""
    touch_ids = string_values(specs["lead_id"], m)
    lead = pd.Index(lead_ids, dtype=object).get_indexer(pd.Index(touch_ids, dtype=object))
    unknown = np.flatnonzero(lead < 0)
    if len(unknown):
        position = int(unknown[0])
        raise ValueError(f'touches row {position}: lead_id "{touch_ids[position]}" is not in '
                         "the leads")
    time, valid = instant_values(specs["at"], m)
    if not valid.all():
        position = int(np.flatnonzero(~valid)[0])
        raise ValueError(f"{_frames.lead_row('touches', position, touch_ids[position])}: at is null")
    method = string_values(specs["method"], m)
    unnamed = np.flatnonzero(pd.isna(method))
    if len(unnamed):
        position = int(unnamed[0])
        raise ValueError(f"{_frames.lead_row('touches', position, touch_ids[position])}: method is "
                         "null")
    return touch_ids, lead, time, method


def check_touch_times(touch_ids: np.ndarray, time: np.ndarray, created: np.ndarray) -> None:
    """No touch is before its lead's creation (`created`: the lead's, per touch)."""
    early = np.flatnonzero(time < created)
    if len(early):
        position = int(early[0])
        raise ValueError(f"{_frames.lead_row('touches', position, touch_ids[position])}: at "
                         f"{_frames.utc_text(time[position])} is before the lead's created_at "
                         f"{_frames.utc_text(created[position])}")
