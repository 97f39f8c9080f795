"""Observations as a table people download: fixed columns, formula-safe text."""
from __future__ import annotations

import pandas as pd

EXPORT_COLUMNS = (
    "indicator_id", "indicator_name", "set", "area_code", "area_name", "period", "period_type",
    "period_start", "period_end", "category_type", "category", "value", "lower_ci", "upper_ci",
    "count", "denominator", "unit", "source", "note",
)

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text):
    if isinstance(text, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def export_frame(observations: pd.DataFrame) -> pd.DataFrame:
    """The public shape of observations: ISO dates, text cells made formula-safe, numbers left as numbers."""
    out = observations.reindex(columns=list(EXPORT_COLUMNS)).copy()
    for col in ("period_start", "period_end"):
        out[col] = out[col].dt.strftime("%Y-%m-%d")
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(formula_safe)
    return out


def to_csv(observations: pd.DataFrame) -> str:
    return export_frame(observations).to_csv(index=False, lineterminator="\r\n")


def to_records(observations: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: NaN/NaT become null."""
    frame = export_frame(observations).astype(object)
    return frame.where(frame.notna(), None).to_dict("records")
