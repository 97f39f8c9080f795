"""The row-by-row observation checks as they were before issue 10 (data/domain/schema.py at 38efeb0),
kept verbatim as the oracle the one vectorised implementation is compared with (test_fast_paths.py),
as importer_legacy.py is for the importer. Not used by the app."""
from __future__ import annotations

import pandas as pd

from data.domain.periods import PERIOD_TYPES, PeriodError, parse_period
from data.domain.schema import NUMERIC_OBSERVATION_COLUMNS, OBSERVATION_KEY, OBSERVATION_REQUIRED, Problem, to_number


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _check_rows(frame, units, numbers_of, positions, first_of, progress, step) -> list[Problem]:
    """The row-by-row checks for the rows at `positions` (ascending). first_of: the position of each
    row's first row with the same key (from _screen), or None to find duplicates here."""
    problems: list[Problem] = []
    numbers_of = list(numbers_of)
    positions = list(positions)
    seen: dict[tuple, int] = {}
    records = frame.iloc[positions].to_dict("records") if len(positions) != len(frame) else frame.to_dict("records")
    for n, (pos, rec) in enumerate(zip(positions, records)):
        if progress is not None and n % step == 0:
            progress(n / len(frame))
        i = numbers_of[pos]
        problems += _row_problems(i, rec, units)
        if first_of is not None:
            if first_of[pos] != pos:
                problems.append(Problem(i, "period", f"duplicate of row {numbers_of[first_of[pos]]} (same indicator, area, period and category)"))
            continue
        key = tuple("" if _blank(rec.get(c)) else str(rec.get(c)) for c in OBSERVATION_KEY)
        if key in seen:
            problems.append(Problem(i, "period", f"duplicate of row {seen[key]} (same indicator, area, period and category)"))
        seen.setdefault(key, i)
    return problems


def _row_problems(i: int, rec: dict, units: dict) -> list[Problem]:
    """Every check of one row but the duplicate check."""
    problems = []
    for col in OBSERVATION_REQUIRED:
        if _blank(rec.get(col)):
            problems.append(Problem(i, col, "is empty"))
    ind_id = rec.get("indicator_id")
    if not _blank(ind_id) and ind_id not in units:
        problems.append(Problem(i, "indicator_id", f"unknown indicator '{ind_id}'"))
    if not _blank(rec.get("period")):
        ptype = None if _blank(rec.get("period_type")) else rec.get("period_type")
        if ptype is not None and ptype not in PERIOD_TYPES:
            problems.append(Problem(i, "period_type", f"'{ptype}' is not one of: {', '.join(PERIOD_TYPES)}"))
        else:
            try:
                parse_period(str(rec["period"]), ptype)
            except PeriodError as exc:
                problems.append(Problem(i, "period", str(exc)))
    numbers = {}
    for col in NUMERIC_OBSERVATION_COLUMNS:
        try:
            numbers[col] = to_number(rec.get(col))
        except (ValueError, TypeError):
            problems.append(Problem(i, col, f"'{rec.get(col)}' is not a number"))
    problems += _check_numbers(i, numbers, units.get(ind_id))
    if _blank(rec.get("category_type")) != _blank(rec.get("category")):
        problems.append(Problem(i, "category", "give both category_type and category, or neither"))
    return problems


def _check_numbers(row: int, numbers: dict, unit: str | None) -> list[Problem]:
    problems = []
    value, low, high = numbers.get("value"), numbers.get("lower_ci"), numbers.get("upper_ci")
    if unit == "%" and value is not None and not 0 <= value <= 100:
        problems.append(Problem(row, "value", f"{value:g} is outside 0-100 for a percentage"))
    for col in ("count", "denominator"):
        if numbers.get(col) is not None and numbers[col] < 0:
            problems.append(Problem(row, col, f"{numbers[col]:g} is negative"))
    if unit in ("count", "days", "hectares", "rate per 1,000", "rate per 100,000") and value is not None and value < 0:
        problems.append(Problem(row, "value", f"{value:g} is negative"))
    if value is not None and low is not None and low > value:
        problems.append(Problem(row, "lower_ci", f"lower CI {low:g} is above the value {value:g}"))
    if value is not None and high is not None and high < value:
        problems.append(Problem(row, "upper_ci", f"upper CI {high:g} is below the value {value:g}"))
    return problems
