"""Timestamps for the tests' hand-worked tables: wall times of a dealer in Shanghai."""

import pandas as pd

SH = "Asia/Shanghai"


def ts(text: str, tz: str = SH) -> pd.Timestamp:
    """`text` as an aware timestamp in `tz` (Shanghai unless said)."""
    return pd.Timestamp(text, tz=tz)
