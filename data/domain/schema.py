"""The one schema for indicators and observations, and its checks.

Every bundled CSV and (later) every upload is checked here. A check never
raises for bad data: it returns Problems that name the row and the column,
so a user can fix the file. Row numbers are 1-based data rows (the header is
row 0), the way a spreadsheet user counts them after the header.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

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

PERCENT = "%"  # a value within 0-100
MONEY = "£"  # may be negative (a deficit)
UNITS = (PERCENT, "rate per 1,000", "rate per 100,000", "count", MONEY, "days", "hectares")
NEVER_NEGATIVE_UNITS = tuple(u for u in UNITS if u not in (PERCENT, MONEY))

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
    "short_name",  # display name (issue 14); empty: show `name`
    "period_basis",  # financial year | academic year | calendar year; empty: read from the period labels
    "expected_by",  # YYYY-MM (or YYYY-MM-DD) the pending value was expected by; once past with no value: overdue
    "pending_reason",  # the part of the report's footnote that concerns this indicator
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
    file whose blank lines were skipped; when it is shorter than the frame, only that many rows
    are checked. progress(fraction) is called now and then (at most ~50 times) while the rows are checked.

    Every rule is a mask over the whole frame (_RULES); messages are made only for the rows it flags,
    and each row's problems come in the order of _RULES.
    stripped=True: the caller promises no text cell starts or ends with whitespace (the importer
    strips every cell), so a blank cell is an empty one and need not be stripped.
    numbers_out: when given and every cell is text, numbers_out[col] = (float(cell) or NaN, cells
    float() could not read) for each number column, so a caller need not read them again.
    """
    problems = _missing_columns(frame, OBSERVATION_REQUIRED, OBSERVATION_COLUMNS)
    if problems:
        return problems
    numbers_of = list(range(1, len(frame) + 1) if row_numbers is None else row_numbers)
    whole = len(numbers_of) == len(frame)
    if len(numbers_of) < len(frame):
        frame = frame.iloc[:len(numbers_of)]
    rows = _Rows(frame, dict(zip(indicators["id"], indicators["unit"], strict=True)), numbers_of, stripped)
    flagged: list[tuple[np.ndarray, int]] = []  # (positions, rule) for each rule that flags a row
    for r, rule in enumerate(_RULES):
        if progress is not None and len(frame):
            progress(r / len(_RULES))
        positions = np.flatnonzero(rule.flags(rows))
        if len(positions):
            flagged.append((positions, r))
    if numbers_out is not None and whole and rows.all_text:
        numbers_out.update({col: rows.floats_of(col) for col in NUMERIC_OBSERVATION_COLUMNS})
    return _problems_in_row_order(rows, flagged)


def _problems_in_row_order(rows: _Rows, flagged: list[tuple[np.ndarray, int]]) -> list[Problem]:
    """A Problem for every flagged (row, rule), by row and then in the order of _RULES."""
    if not flagged:
        return []
    positions = np.concatenate([p for p, _ in flagged])
    rules = np.concatenate([np.full(len(p), r) for p, r in flagged])
    order = np.lexsort((rules, positions))
    return [Problem(rows.row_number(k), _RULES[r].column, _RULES[r].message(rows, k))
            for k, r in zip(positions[order].tolist(), rules[order].tolist(), strict=True)]


@dataclass(frozen=True)
class _Cells:
    """One column read once: its cells and which are blank (as _blank reads them)."""

    values: np.ndarray  # object
    blank: np.ndarray  # bool
    text: bool  # every cell text, None or NaN: read with column operations
    empty_is_blank: bool = False  # every cell a str and the blank ones exactly '': keys() are the cells themselves

    def keys(self) -> np.ndarray:
        """Each cell as the duplicate check compares it: '' when blank, else str(cell)."""
        if self.empty_is_blank:
            return self.values
        if self.text:
            return np.where(self.blank, "", self.values)
        return np.array(["" if b else str(v) for v, b in zip(self.values, self.blank, strict=True)], dtype=object)


def _read_cells(frame: pd.DataFrame, col: str, stripped: bool) -> _Cells:
    if col not in frame.columns:
        return _Cells(np.full(len(frame), None, dtype=object), np.ones(len(frame), dtype=bool), True)
    series = frame[col]
    if isinstance(series, pd.DataFrame):  # a repeated column name: the last one, as to_dict("records") reads it
        series = series.iloc[:, -1]
    return _cells_of(series, stripped)


def _cells_of(series: pd.Series, stripped: bool) -> _Cells:
    text = _text_cells(series, stripped)
    if text is not None:
        values, blank, all_str = text
        return _Cells(values, blank, True, stripped and all_str)
    n = len(series)
    cells = np.empty(n, dtype=object)
    cells[:] = [_native(v) for v in series.tolist()]
    return _Cells(cells, np.fromiter(map(_blank, cells), dtype=bool, count=n), False)


def _native(value):
    """A cell as DataFrame.to_dict("records") hands it over: pd.NA as None, NumPy scalars as Python's."""
    if value is pd.NA:
        return None
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
    return value.item() if isinstance(value, np.generic) else value


def _read_numbers(cells: _Cells) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """(to_number of each cell, NaN when blank or unreadable; the unreadable ones; floats() of a text
    column, or None). Text goes through float() in one pass and only the cells it refuses through
    to_number; other cells through to_number one by one."""
    unreadable = np.zeros(len(cells.values), dtype=bool)
    if cells.text:
        got = floats(cells.values, cells.blank)
        candidates = np.flatnonzero(got[1])
        numbers = got[0].copy() if len(candidates) else got[0]  # floats() stays as it was (numbers_out)
    else:
        got, numbers, candidates = None, np.full(len(cells.values), np.nan), np.flatnonzero(~cells.blank)
    for k in candidates:
        try:
            number = to_number(cells.values[k])
        except (ValueError, TypeError):
            number, unreadable[k] = None, True
        numbers[k] = np.nan if number is None else number
    return numbers, unreadable, got


def read_numbers(series: pd.Series, stripped: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(to_number of every cell as float64, NaN for a blank or unreadable one; the unreadable cells):
    the numbers validate_observations checks, for a caller that types them."""
    if pd.api.types.is_float_dtype(series.dtype) or pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan), np.zeros(len(series), dtype=bool)  # to_number of each, at once
    numbers, unreadable, _ = _read_numbers(_cells_of(series, stripped))
    return numbers, unreadable


class _Rows:
    """The frame's cells, read once and each derived column worked out once, for every rule to use."""

    def __init__(self, frame: pd.DataFrame, units: dict, numbers_of: list, stripped: bool):
        self.n = len(frame)
        self.units = units
        self.numbers_of = numbers_of
        self.cells = {col: _read_cells(frame, col, stripped) for col in OBSERVATION_COLUMNS}
        self.all_text = all(c.text for c in self.cells.values())
        self._numbers: dict[str, tuple] = {}
        self._coded: dict[str, tuple[np.ndarray, int]] = {}

    def row_number(self, position: int):
        """The number a problem names for the row at this position."""
        return self.numbers_of[position]

    def blank(self, col: str) -> np.ndarray:
        return self.cells[col].blank

    def value(self, col: str, k: int):
        return self.cells[col].values[k]

    def _read(self, col: str) -> tuple:
        if col not in self._numbers:
            self._numbers[col] = _read_numbers(self.cells[col])
        return self._numbers[col]

    def number(self, col: str) -> np.ndarray:
        """to_number of each cell; NaN when blank or unreadable."""
        return self._read(col)[0]

    def unreadable(self, col: str) -> np.ndarray:
        return self._read(col)[1]

    def floats_of(self, col: str) -> tuple:
        return self._read(col)[2]

    def of_unit(self, wanted: tuple[str, ...]) -> np.ndarray:
        """Rows whose indicator's unit is one of these."""
        ids = [i for i, unit in self.units.items() if unit in wanted]
        return pd.Series(self.cells["indicator_id"].values, dtype=object).isin(ids).to_numpy(dtype=bool)

    @cached_property
    def known(self) -> np.ndarray:
        return pd.Series(self.cells["indicator_id"].values, dtype=object).isin(list(self.units)).to_numpy(dtype=bool)

    def period_types(self, rows: np.ndarray) -> np.ndarray:
        """The period_type cells of these rows, None where blank (the parser's default)."""
        types = self.cells["period_type"].values[rows]  # a copy (fancy indexing)
        types[self.blank("period_type")[rows]] = None
        return types

    @cached_property
    def refused_type(self) -> np.ndarray:
        """Rows with a period whose period_type is not one of PERIOD_TYPES."""
        given = ~self.blank("period_type") & ~self.blank("period")
        given[given] = ~pd.Series(self.cells["period_type"].values[given], dtype=object).isin(PERIOD_TYPES).to_numpy(dtype=bool)
        return given

    @cached_property
    def _periods(self) -> tuple[np.ndarray, list]:
        """(group of each row's (label, type), -1 for the rows not parsed; the parser's message for each
        group, None when it reads): each distinct (label, type) parsed once."""
        group = np.full(self.n, -1, dtype=np.int64)
        rows = np.flatnonzero(~self.blank("period") & ~self.refused_type)
        if not len(rows):
            return group, []
        # (label, type) as the codes of the period's key and the period_type's ('' when blank: its own code,
        # as None was; a type given here is one of PERIOD_TYPES, a str, so its key is itself)
        (periods, n_periods), (types, n_types) = self._codes("period", keep=True), self._codes("period_type")
        group[rows], first = _groups_of_codes([(periods[rows], n_periods), (types[rows], n_types)], len(rows))
        firsts = rows[first]
        labels, types = self.cells["period"].keys()[firsts], self.period_types(firsts)
        return group, [_period_error(label, period_type) for label, period_type in zip(labels, types, strict=True)]

    def unreadable_period(self) -> np.ndarray:
        group, errors = self._periods
        bad = np.array([e is not None for e in errors] + [False])  # group -1 takes the last: False
        return bad[group]

    def period_error(self, k: int) -> str:
        group, errors = self._periods
        return errors[group[k]]

    @cached_property
    def first_of_key(self) -> np.ndarray:
        """The position of each row's first row with the same key."""
        group, first = _groups_of_codes((self._codes(c) for c in OBSERVATION_KEY), self.n)  # one column's codes at a time
        return first[group]

    def _codes(self, col: str, keep: bool = False) -> tuple[np.ndarray, int]:
        """_codes_of the column's keys. keep: held for the next caller (the period column: the period check's
        codes serve the key check); otherwise handed over and let go (8 bytes a row)."""
        got = self._coded.get(col) if keep else self._coded.pop(col, None)
        if got is None:
            got = _codes_of(self.cells[col].keys())
            if keep:
                self._coded[col] = got
        return got


def _period_error(label: str, period_type) -> str | None:
    try:
        parse_period(label, period_type)
    except PeriodError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class _Rule:
    """One check of observation rows: the column it names, which rows break it (a mask over every row),
    and the message for a row it flags (made only for those)."""

    column: str
    flags: Callable[[_Rows], np.ndarray]
    message: Callable[[_Rows, int], str]


def _required(col: str) -> _Rule:
    return _Rule(col, lambda r: r.blank(col), lambda r, k: "is empty")


def _not_a_number(col: str) -> _Rule:
    return _Rule(col, lambda r: r.unreadable(col), lambda r, k: f"'{r.value(col, k)}' is not a number")


def _negative(col: str) -> _Rule:
    return _Rule(col, lambda r: r.number(col) < 0, lambda r, k: f"{_number_text(r, col, k)} is negative")


def _unknown_indicator(r: _Rows) -> np.ndarray:
    return ~r.blank("indicator_id") & ~r.known


def _percentage_outside_0_100(r: _Rows) -> np.ndarray:
    value = r.number("value")
    return r.of_unit((PERCENT,)) & ~np.isnan(value) & ~((value >= 0) & (value <= 100))


def _negative_value(r: _Rows) -> np.ndarray:
    return r.of_unit(NEVER_NEGATIVE_UNITS) & (r.number("value") < 0)


def _half_a_category(r: _Rows) -> np.ndarray:
    return r.blank("category_type") != r.blank("category")


def _repeated_key(r: _Rows) -> np.ndarray:
    return r.first_of_key != np.arange(r.n)


def _number_text(r: _Rows, col: str, k: int) -> str:
    return f"{r.number(col)[k]:g}"


# Every check of an observation row, in the order a row's problems are reported (NaN, a blank or
# unreadable number, compares False, so a rule on numbers never flags a missing one).
_RULES: tuple[_Rule, ...] = (
    *(_required(col) for col in OBSERVATION_REQUIRED),
    _Rule("indicator_id", _unknown_indicator, lambda r, k: f"unknown indicator '{r.value('indicator_id', k)}'"),
    _Rule("period_type", lambda r: r.refused_type,
          lambda r, k: f"'{r.value('period_type', k)}' is not one of: {', '.join(PERIOD_TYPES)}"),
    _Rule("period", _Rows.unreadable_period, _Rows.period_error),
    *(_not_a_number(col) for col in NUMERIC_OBSERVATION_COLUMNS),
    _Rule("value", _percentage_outside_0_100, lambda r, k: f"{_number_text(r, 'value', k)} is outside 0-100 for a percentage"),
    _negative("count"),
    _negative("denominator"),
    _Rule("value", _negative_value, lambda r, k: f"{_number_text(r, 'value', k)} is negative"),
    _Rule("lower_ci", lambda r: r.number("lower_ci") > r.number("value"),
          lambda r, k: f"lower CI {_number_text(r, 'lower_ci', k)} is above the value {_number_text(r, 'value', k)}"),
    _Rule("upper_ci", lambda r: r.number("upper_ci") < r.number("value"),
          lambda r, k: f"upper CI {_number_text(r, 'upper_ci', k)} is below the value {_number_text(r, 'value', k)}"),
    _Rule("category", _half_a_category, lambda r, k: "give both category_type and category, or neither"),
    _Rule("period", _repeated_key,
          lambda r, k: f"duplicate of row {r.row_number(r.first_of_key[k])} (same indicator, area, period and category)"),
)


# ---- reading columns: shared with the dataset and the importer ---------------------------------

def text_values(series: pd.Series, stripped: bool = False):
    """(cells as an object array, mask of the blank ones, as _blank reads them) when every cell is
    text, None or NaN; None otherwise (such a column is read cell by cell). stripped: no cell has
    whitespace at either end, so blank means empty (one comparison instead of a strip per cell)."""
    text = _text_cells(series, stripped)
    return None if text is None else text[:2]


def _text_cells(series: pd.Series, stripped: bool):
    """text_values and whether every cell is a str (nothing missing)."""
    if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        return None
    values = series.to_numpy(dtype=object, na_value=np.nan) if series.dtype != object else series.to_numpy()
    if every_cell_str(values):  # the usual case, told in one pass: nothing missing, no isna needed
        blank = (values == "") if stripped else np.fromiter((not v.strip() for v in values), dtype=bool, count=len(values))
        return values, blank, True
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
    return values, blank, False


def every_cell_str(values: np.ndarray) -> bool:
    """Every cell of this object array a str (none None, NaN or anything else)."""
    return len(values) > 0 and pd.api.types.infer_dtype(values, skipna=False) == "string"


def floats(values: np.ndarray, blank: np.ndarray):
    """(numbers, bad): float(cell) for non-blank cells (NaN where blank), bad where that fails or is not finite.

    When float(cell) works, to_number(cell) gives the same number (to_number only strips
    and removes characters float() refuses); the other cells are left to the row checks.
    A long column whose cells repeat a lot (counts, denominators) is read on its distinct cells."""
    idx = np.flatnonzero(~blank)
    if len(idx) >= _BY_DISTINCT_FROM and _repeats_a_lot(values[idx[::max(1, len(idx) // _SAMPLE)]]) and every_cell_str(values[idx]):
        return _floats_by_distinct(values, idx)  # str cells only: no None and NaN for factorize to take as one
    return _floats_cell_by_cell(values, idx)


_BY_DISTINCT_FROM = 50_000  # cells: below this, a column is cast cell by cell whatever its values
_SAMPLE = 20_000  # about this many cells, evenly spread over the column, tell whether it repeats a lot


def _repeats_a_lot(sample: np.ndarray) -> bool:
    """At most half of this sample's cells distinct (the synthetic 1M file's counts: 28%, 1.4% of the whole
    column; its denominators: 88%, 34%): hashing the column and casting its distinct cells beats casting each."""
    return len(pd.unique(sample)) * 2 <= len(sample)


def _floats_cell_by_cell(values: np.ndarray, idx: np.ndarray):
    """floats() of the cells at idx, every cell cast."""
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    got, refused = _cast(values[idx])
    out[idx] = got
    bad[idx] = refused
    return out, bad


def _floats_by_distinct(values: np.ndarray, idx: np.ndarray):
    """floats() of the cells at idx, each distinct cell cast once (float() of a str depends on nothing else)."""
    codes, uniques = pd.factorize(values[idx], use_na_sentinel=False)
    got, refused = _cast(np.asarray(uniques, dtype=object))
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    out[idx] = got[codes]
    bad[idx] = refused[codes]
    return out, bad


def _cast(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(float(cell), NaN where it fails; where it fails or is not finite) for an object array."""
    refused = np.zeros(len(cells), dtype=bool)
    try:
        got = cells.astype(np.float64)
    except (ValueError, TypeError):
        got = np.empty(len(cells))
        for k, v in enumerate(cells):
            try:
                got[k] = float(v)
            except (ValueError, TypeError):
                got[k] = np.nan
                refused[k] = True
    refused |= ~np.isfinite(got)
    return got, refused


def group_ids(*arrays) -> tuple[np.ndarray, np.ndarray]:
    """(group of each row, first row of each group) for the rows' tuples of values: groups numbered in
    order of first appearance, a missing value its own value (as groupby(sort=False, dropna=False)).
    Each column factorized once and the codes combined: cheaper than a groupby over object columns."""
    return _groups_of_codes([_codes_of(values) for values in arrays], len(arrays[0]) if arrays else 0)


def _codes_of(values) -> tuple[np.ndarray, int]:
    """(code of each cell, how many codes): pd.factorize, a missing value its own value."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    return codes, len(uniques)


def _groups_of_codes(coded: Iterable[tuple[np.ndarray, int]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """group_ids of the columns these codes (_codes_of) stand for."""
    combined = np.zeros(n, dtype=np.int64)
    for codes, count in coded:
        size = max(count, 1)
        if n and int(combined.max()) >= (2 ** 62) // size:  # renumber before the product could overflow
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * size + codes
    group = pd.factorize(combined)[0]
    return group, _firsts(group)


def _firsts(group: np.ndarray) -> np.ndarray:
    """The first position of each group, for groups numbered 0, 1, 2 ... in order of first appearance: where a
    row's group is above every group before it (one pass, no sort)."""
    if not len(group):
        return np.zeros(0, dtype=np.intp)
    seen = np.maximum.accumulate(group)
    return np.flatnonzero(np.concatenate(([True], group[1:] > seen[:-1])))


