"""Test and benchmark support: random leads, and the presets' rules written the way an analyst
would with numpy (``np.select`` over the columns). The numpy version is an oracle independent
of leadkit's engine, and the baseline of bench/classify_bench.py."""

from __future__ import annotations

import numpy as np
import pandas as pd

MODELS = np.array(["A200", "C200", "E300", "GLC", "GLE", "EQE"], dtype=object)


def random_leads(n: int, seed: int = 0) -> pd.DataFrame:
    """Leads with the classification fields, nulls included, in analyst-style dtypes:
    float64 with NaN for numbers, pandas ``boolean`` for flags, object strings."""
    rng = np.random.default_rng(seed)

    def flags(p_true: float, p_null: float):
        values = rng.random(n) < p_true
        mask = rng.random(n) < p_null
        return pd.arrays.BooleanArray(values, mask)

    days = rng.integers(0, 200, n).astype(np.float64)
    days[rng.random(n) < 0.3] = np.nan
    considered = rng.integers(0, 5, n).astype(np.float64)
    considered[rng.random(n) < 0.2] = np.nan
    visits = rng.integers(0, 4, n).astype(np.float64)
    visits[rng.random(n) < 0.2] = np.nan
    model = MODELS[rng.integers(0, len(MODELS), n)].copy()
    model[rng.random(n) < 0.35] = None
    return pd.DataFrame({
        "lead_id": np.char.add("L", np.arange(n).astype(str)).astype(object),
        "model": model,
        "models_considered": considered,
        "asked_price": flags(0.4, 0.1),
        "asked_config": flags(0.3, 0.1),
        "purchase_within_days": days,
        "deposit_paid": flags(0.05, 0.1),
        "test_drive": flags(0.2, 0.1),
        "store_visits": visits,
    })


def _true(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A nullable flag as a plain bool array where null is False."""
    return frame[column].fillna(False).to_numpy(dtype=bool)


def numpy_grades(frame: pd.DataFrame, preset: str) -> np.ndarray:
    """The preset's decision list with np.select (first true condition wins)."""
    days = frame["purchase_within_days"].to_numpy(dtype=np.float64, na_value=np.nan)
    considered = frame["models_considered"].to_numpy(dtype=np.float64, na_value=np.nan)
    visits = frame["store_visits"].to_numpy(dtype=np.float64, na_value=np.nan)
    has_model = frame["model"].notna().to_numpy()
    price, config = _true(frame, "asked_price"), _true(frame, "asked_config")
    deposit, drive = _true(frame, "deposit_paid"), _true(frame, "test_drive")
    if preset == "three_level":
        conditions = [has_model & (price | config) & (days <= 90), has_model | (considered >= 2)]
        choices, default = ["high", "medium"], "low"
    elif preset == "abcd":
        conditions = [(days <= 15) | (drive & price), days <= 30, days <= 90]
        choices, default = ["A", "B", "C"], "D"
    elif preset == "oabc":
        conditions = [deposit, days <= 15, days <= 30]
        choices, default = ["O", "A", "B"], "C"
    elif preset == "funnel":
        conditions = [deposit | drive | price, config | (considered >= 1) | (visits >= 1)]
        choices, default = ["bofu", "mofu"], "tofu"
    else:
        raise KeyError(preset)
    return np.select(conditions, choices, default=default)
