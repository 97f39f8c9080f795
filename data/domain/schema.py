"""The one schema for indicators and observations, and its checks.

Every bundled CSV and (later) every upload is checked here. A check never
raises for bad data: it returns Problems that name the row and the column,
so a user can fix the file. Row numbers are 1-based data rows (the header is
row 0), the way a spreadsheet user counts them after the header.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.domain.periods import PERIOD_TYPES, PeriodError, parse_period

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


def validate_observations(frame: pd.DataFrame, indicators: pd.DataFrame, *, row_numbers=None, progress=None,
                          stripped: bool = False, numbers_out: dict | None = None) -> list[Problem]:
    """Check observation rows against the schema and the indicator catalogue.

    row_numbers: the number to report for each row (default 1, 2, 3 ...), for a
    file whose blank lines were skipped. progress(fraction) is called now and
    then (at most ~50 times) while the rows are checked.

    Text frames (every column object or str, as files are read) are screened with
    column operations first; only rows that may have a problem go through the
    row-by-row checks, so the answer is the same as checking every row that way.
    stripped=True: the caller promises no text cell starts or ends with whitespace (the importer
    strips every cell), so a blank cell is an empty one and the screen need not strip each cell.
    numbers_out: when given and the frame was screened, numbers_out[col] = (float(cell) or NaN,
    cells float() could not read) for each number column, so a caller need not read them again.
    """
    problems = _missing_columns(frame, OBSERVATION_REQUIRED, OBSERVATION_COLUMNS)
    if problems:
        return problems
    units = dict(zip(indicators["id"], indicators["unit"]))
    numbers_of = range(1, len(frame) + 1) if row_numbers is None else list(row_numbers)
    step = max(1, len(frame) // 50)
    screened = _screen(frame, units, stripped) if len(numbers_of) == len(frame) else None
    if screened is None:
        return _check_rows(frame, units, numbers_of, range(min(len(frame), len(numbers_of))), None, progress, step)
    suspect, first_of, numbers = screened
    if numbers_out is not None:
        numbers_out.update(numbers)
    for n in range(0, len(frame), step):
        if progress is not None:
            progress(n / len(frame))
    return _check_rows(frame, units, numbers_of, suspect, first_of, None, step)


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


_NUMBER_UNITS = ("count", "days", "hectares", "rate per 1,000", "rate per 100,000")


def _text_column(frame: pd.DataFrame, col: str, n: int, stripped: bool = False):
    """(values as an object array, blank mask) of a text column, or None when a cell is not text/None/NaN."""
    if col not in frame.columns:
        return np.full(n, None, dtype=object), np.ones(n, dtype=bool)
    series = frame[col]
    if isinstance(series, pd.DataFrame):
        return None
    return text_values(series, stripped)


def text_values(series: pd.Series, stripped: bool = False):
    """(cells as an object array, mask of the blank ones, as _blank reads them) when every cell is
    text, None or NaN; None otherwise (such a column is read cell by cell). stripped: no cell has
    whitespace at either end, so blank means empty (one comparison instead of a strip per cell)."""
    if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        return None
    values = series.to_numpy(dtype=object, na_value=np.nan) if series.dtype != object else series.to_numpy()
    missing = pd.isna(values)
    if missing.any() and not all(v is None or isinstance(v, float) for v in values[missing]):
        return None  # pd.NA / NaT read as text by _blank: leave them to the row checks
    present = values[~missing]
    if len(present) and pd.api.types.infer_dtype(present, skipna=False) != "string":
        return None
    blank = missing.copy()
    if stripped:
        blank[~missing] = present == ""
    else:
        blank[~missing] = np.fromiter((not v.strip() for v in present), dtype=bool, count=len(present))
    return values, blank


def floats(values: np.ndarray, blank: np.ndarray):
    """(numbers, bad): float(cell) for non-blank cells (NaN where blank), bad where that fails or is not finite.

    When float(cell) works, to_number(cell) gives the same number (to_number only strips
    and removes characters float() refuses); the other cells are left to the row checks."""
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    idx = np.flatnonzero(~blank)
    try:
        got = values[idx].astype(np.float64)
    except (ValueError, TypeError):
        got = np.empty(len(idx))
        for k, v in enumerate(values[idx]):
            try:
                got[k] = float(v)
            except (ValueError, TypeError):
                got[k] = np.nan
                bad[idx[k]] = True
    out[idx] = got
    bad[idx] |= ~np.isfinite(got)
    return out, bad


def _screen(frame: pd.DataFrame, units: dict, stripped: bool = False):
    """(positions of rows that may have a problem, position of each row's first row with its key,
    {number column: floats(...)}), or None when the frame is not plain text (then every row is
    checked one by one)."""
    n = len(frame)
    cols = {}
    for col in set(OBSERVATION_COLUMNS):
        got = _text_column(frame, col, n, stripped)
        if got is None:
            return None
        cols[col] = got
    blank = {c: b for c, (_, b) in cols.items()}
    value_of = {c: v for c, (v, _) in cols.items()}
    suspect = np.zeros(n, dtype=bool)
    for col in OBSERVATION_REQUIRED:
        suspect |= blank[col]
    ids = pd.Series(value_of["indicator_id"], dtype=object)
    known = ids.isin(list(units)).to_numpy(dtype=bool)
    suspect |= ~blank["indicator_id"] & ~known
    # Periods: each distinct (label, type) is parsed once.
    has_period = ~blank["period"]
    ptypes = np.where(blank["period_type"], None, value_of["period_type"])
    if has_period.any():
        pairs = pd.DataFrame({"p": value_of["period"][has_period], "t": ptypes[has_period]}, dtype=object)
        group = pairs.groupby(["p", "t"], sort=False, dropna=False).ngroup().to_numpy()
        _, first = np.unique(group, return_index=True)
        ok = np.ones(len(first), dtype=bool)
        for g, k in enumerate(first):
            label, ptype = pairs.iat[k, 0], pairs.iat[k, 1]
            if ptype is not None and ptype not in PERIOD_TYPES:
                ok[g] = False
                continue
            try:
                parse_period(str(label), ptype)
            except PeriodError:
                ok[g] = False
        suspect[np.flatnonzero(has_period)[~ok[group]]] = True
    numbers, unread = {}, {}
    for col in NUMERIC_OBSERVATION_COLUMNS:
        numbers[col], unread[col] = floats(value_of[col], blank[col])
        suspect |= unread[col]
    unit = ids.map(units).to_numpy(dtype=object)
    value, low, high = numbers["value"], numbers["lower_ci"], numbers["upper_ci"]
    with np.errstate(invalid="ignore"):
        suspect |= (unit == "%") & ~np.isnan(value) & ~((value >= 0) & (value <= 100))
        suspect |= (numbers["count"] < 0) | (numbers["denominator"] < 0)
        suspect |= pd.Series(unit, dtype=object).isin(_NUMBER_UNITS).to_numpy(dtype=bool) & (value < 0)
        suspect |= (low > value) | (high < value)
    suspect |= blank["category_type"] != blank["category"]
    group, first_index = group_ids(*(np.where(blank[c], "", value_of[c]) for c in OBSERVATION_KEY))
    first_of = first_index[group]
    suspect |= first_of != np.arange(n)
    return np.flatnonzero(suspect), first_of, {c: (numbers[c], unread[c]) for c in NUMERIC_OBSERVATION_COLUMNS}


def group_ids(*arrays) -> tuple[np.ndarray, np.ndarray]:
    """(group of each row, first row of each group) for the rows' tuples of values: groups numbered in
    order of first appearance, a missing value its own value (as groupby(sort=False, dropna=False)).
    Each column factorized once and the codes combined: cheaper than a groupby over object columns."""
    n = len(arrays[0]) if arrays else 0
    combined = np.zeros(n, dtype=np.int64)
    for values in arrays:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
        size = max(len(uniques), 1)
        if n and int(combined.max()) >= (2 ** 62) // size:  # renumber before the product could overflow
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * size + codes
    group = pd.factorize(combined)[0]
    _, first = np.unique(group, return_index=True)
    return group, first


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
