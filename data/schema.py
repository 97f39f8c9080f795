"""The one schema for indicators and observations, and its checks.

Every bundled CSV and (later) every upload is checked here. A check never
raises for bad data: it returns Problems that name the row and the column,
so a user can fix the file. Row numbers are 1-based data rows (the header is
row 0), the way a spreadsheet user counts them after the header.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data.periods import PERIOD_TYPES, PeriodError, parse_period

SETS = (
    "Local context",
    "First 1001 days",
    "Aged 2-5",
    "Aged 5-11",
    "Aged 12+",
    "Children and young people (census)",
    "Children and young people",
    "Hospital admissions",
    "Harmful Sexual Behaviour survey",
    "Child exploitation",
    "Children missing from education",
    "Learning and development",
    "E-learning",
    "Multi-agency training",
    "Webinars (YHMAST)",
    "Communication and engagement",
    "Partnership finance",
    "Fingertips indicators",  # created from a Fingertips download for an indicator the catalogue lacks
)

UNITS = ("%", "rate per 1,000", "rate per 100,000", "count", "£", "days", "hectares")

POLARITIES = ("higher is better", "lower is better", "no judgement")

INDICATOR_COLUMNS = (
    "id",  # stable slug: lower case, digits and hyphens
    "name",  # as the report words it
    "set",
    "age_band",
    "unit",
    "polarity",
    "definition",
    "source",  # report section, or "OHID Fingertips, OGL v3.0 (indicator N)"
    "fingertips_id",  # Fingertips indicator id whose definition is the same, else empty
    "expected_update_for",  # reporting year an update is expected for, e.g. 2023/24
    "expected_update",  # why it is missing and when it is expected (report footnote)
    "note",
)
INDICATOR_REQUIRED = ("id", "name", "set", "unit", "polarity", "source")

OBSERVATION_COLUMNS = (
    "indicator_id",
    "area_code",
    "area_name",
    "period",  # label as published
    "period_type",  # empty: the parser's default for the label
    "category_type",  # empty for an area total
    "category",
    "value",  # empty: not stated / not published (see note)
    "lower_ci",
    "upper_ci",
    "count",
    "denominator",
    "source",
    "note",
)
OBSERVATION_REQUIRED = ("indicator_id", "area_code", "area_name", "period", "source")
NUMERIC_OBSERVATION_COLUMNS = ("value", "lower_ci", "upper_ci", "count", "denominator")
# One observation per key: a second row for the same key is a duplicate.
OBSERVATION_KEY = ("indicator_id", "area_code", "period", "category_type", "category")

AREAS = {"E06000014": "York", "E92000001": "England"}


@dataclass(frozen=True)
class Problem:
    row: int | None  # 1-based data row; None for a whole-file problem
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _missing_columns(frame: pd.DataFrame, required: tuple[str, ...], known: tuple[str, ...]) -> list[Problem]:
    problems = [Problem(None, c, "required column is missing") for c in required if c not in frame.columns]
    problems += [Problem(None, c, "unknown column") for c in frame.columns if c not in known]
    return problems


def validate_indicators(frame: pd.DataFrame) -> list[Problem]:
    problems = _missing_columns(frame, INDICATOR_REQUIRED, INDICATOR_COLUMNS)
    if problems:
        return problems
    seen: dict[str, int] = {}
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        for col in INDICATOR_REQUIRED:
            if _blank(rec.get(col)):
                problems.append(Problem(i, col, "is empty"))
        ind_id = str(rec.get("id") or "")
        if ind_id and not _is_slug(ind_id):
            problems.append(Problem(i, "id", f"'{ind_id}' is not a slug (a-z, 0-9, hyphens)"))
        if ind_id in seen:
            problems.append(Problem(i, "id", f"'{ind_id}' repeats row {seen[ind_id]}"))
        seen.setdefault(ind_id, i)
        for col, allowed in (("set", SETS), ("unit", UNITS), ("polarity", POLARITIES)):
            val = rec.get(col)
            if not _blank(val) and val not in allowed:
                problems.append(Problem(i, col, f"'{val}' is not one of: {', '.join(allowed)}"))
        if _blank(rec.get("expected_update_for")) != _blank(rec.get("expected_update")):
            problems.append(Problem(i, "expected_update", "give both expected_update_for and expected_update, or neither"))
    return problems


def _is_slug(text: str) -> bool:
    return text == text.lower() and all(ch.isalnum() or ch == "-" for ch in text) and text.isascii()


def to_number(text) -> float | None:
    """Read a number as people type it: '8.1%', '1,150', '£(49,520)'. None when blank."""
    if _blank(text):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    cleaned = str(text).strip().replace(",", "").replace("£", "").rstrip("%").strip()
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = cleaned[1:-1]  # accounting style, as the report's finance table
    number = float(cleaned)  # ValueError for anything else
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(text)
    return number


def validate_observations(frame: pd.DataFrame, indicators: pd.DataFrame, *, row_numbers=None, progress=None) -> list[Problem]:
    """Check observation rows against the schema and the indicator catalogue.

    row_numbers: the number to report for each row (default 1, 2, 3 ...), for a
    file whose blank lines were skipped. progress(fraction) is called now and
    then (at most ~50 times) while the rows are checked.
    """
    problems = _missing_columns(frame, OBSERVATION_REQUIRED, OBSERVATION_COLUMNS)
    if problems:
        return problems
    units = dict(zip(indicators["id"], indicators["unit"]))
    seen: dict[tuple, int] = {}
    numbers_of = range(1, len(frame) + 1) if row_numbers is None else row_numbers
    step = max(1, len(frame) // 50)
    for n, (i, rec) in enumerate(zip(numbers_of, frame.to_dict("records"))):
        if progress is not None and n % step == 0:
            progress(n / len(frame))
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
        key = tuple("" if _blank(rec.get(c)) else str(rec.get(c)) for c in OBSERVATION_KEY)
        if key in seen:
            problems.append(Problem(i, "period", f"duplicate of row {seen[key]} (same indicator, area, period and category)"))
        seen.setdefault(key, i)
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
