"""Reading text columns in tests: a null is None whatever the column's dtype (object, pandas
`str` with NaN, categorical, Arrow)."""

import pandas as pd


def texts(column: pd.Series) -> list:
    """The column's values, None for a null."""
    return [None if pd.isna(v) else v for v in column]


def rows(frame: pd.DataFrame) -> list[list]:
    """The frame's rows as lists, None for a null."""
    return [[None if pd.isna(v) else v for v in row] for row in frame.itertuples(index=False)]
