"""Period labels as the report and Fingertips print them, turned into dates.

The label is kept as published; start/end dates and a type are derived from
it. A label can be read more than one way ("22/23" is a financial year for
smoking at delivery but an academic year for the child measurement
programme), so a row may name its period type; without one the parser uses
the usual reading for that form. An unknown form raises PeriodError naming it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

FINANCIAL_YEAR = "financial year"
ACADEMIC_YEAR = "academic year"
CALENDAR_YEAR = "calendar year"
QUARTER = "quarter"
MONTH = "month"
SURVEY_DATE = "survey date"
ROLLING = "rolling multi-year"
CENSUS = "census"
DATE_RANGE = "date range"
NOT_STATED = "not stated"

PERIOD_TYPES = (
    FINANCIAL_YEAR, ACADEMIC_YEAR, CALENDAR_YEAR, QUARTER, MONTH,
    SURVEY_DATE, ROLLING, CENSUS, DATE_RANGE, NOT_STATED,
)

# Which types a form may be given instead of its default reading.
_ALTERNATIVES = {
    FINANCIAL_YEAR: {FINANCIAL_YEAR, ACADEMIC_YEAR},
    CALENDAR_YEAR: {CALENDAR_YEAR, CENSUS},
    MONTH: {MONTH, SURVEY_DATE},
    ROLLING: {ROLLING},
    QUARTER: {QUARTER},
    DATE_RANGE: {DATE_RANGE},
    NOT_STATED: {NOT_STATED},
}

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}


class PeriodError(ValueError):
    """A period label whose form is not known, or a type it cannot have."""


@dataclass(frozen=True)
class Period:
    label: str
    type: str
    start: date | None
    end: date | None

    @property
    def midpoint(self) -> date | None:
        if self.start is None or self.end is None:
            return None
        return self.start + (self.end - self.start) / 2


def _year(text: str) -> int:
    """A 2- or 4-digit year; 2-digit years pivot at 70 (Fingertips starts in the 1990s)."""
    n = int(text)
    if len(text) == 4:
        return n
    return 1900 + n if n >= 70 else 2000 + n


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _split_year(first: str, second: str, label: str) -> int:
    """Start year of 'first/second' (2023/24, 22/23, 2021/2022), checking they are consecutive."""
    start = _year(first)
    end = _year(second) if len(second) == 4 else start + (int(second) - start) % 100
    if end != start + 1:
        raise PeriodError(f"period '{label}': {first} and {second} are not consecutive years")
    return start


def _split_year_start(start_year: int, ptype: str) -> tuple[date, date]:
    if ptype == ACADEMIC_YEAR:
        return date(start_year, 9, 1), date(start_year + 1, 8, 31)
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


_Y = r"(\d{2}|\d{4})"
_SPLIT = rf"{_Y}\s*[/-]\s*{_Y}"
_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^not stated$", re.I), NOT_STATED),
    (re.compile(r"^(\d{4})$"), CALENDAR_YEAR),
    (re.compile(r"^Q([1-4])\s+" + _SPLIT + r"$", re.I), QUARTER),
    (re.compile(r"^" + _SPLIT + r"\s+Q([1-4])$", re.I), QUARTER),
    (re.compile(rf"^{_Y}\s*/\s*{_Y}\s*-\s*{_Y}\s*/\s*{_Y}$"), ROLLING),
    (re.compile(r"^(\d{4})/(\d{2}|\d{4})$"), FINANCIAL_YEAR),
    (re.compile(r"^(\d{2})/(\d{2})$"), FINANCIAL_YEAR),
    (re.compile(r"^(\d{4})-(\d{2})$"), FINANCIAL_YEAR),  # "2023-24" as the report writes it
    (re.compile(r"^(\d{2}|\d{4})\s*-\s*(\d{2}|\d{4})$"), ROLLING),  # "20-22", "2013 - 15"
    (re.compile(r"^([A-Za-z]+)\s+(\d{4})\s*-\s*([A-Za-z]+)\s+(\d{4})$"), DATE_RANGE),
    (re.compile(r"^([A-Za-z]+)\s+(\d{4})$"), MONTH),
]


def parse_period(label: str, period_type: str | None = None) -> Period:
    """Parse a published period label; period_type overrides the default reading."""
    if not isinstance(label, str):
        raise PeriodError(f"period {label!r} is not text")
    return _parse(label.strip(), period_type or None)


@lru_cache(maxsize=4096)
def _parse(label: str, period_type: str | None) -> Period:
    if period_type is not None and period_type not in PERIOD_TYPES:
        raise PeriodError(f"period type '{period_type}' is not one of: {', '.join(PERIOD_TYPES)}")
    for pattern, default in _PATTERNS:
        match = pattern.match(label)
        if not match:
            continue
        ptype = period_type or default
        if ptype not in _ALTERNATIVES[default]:
            raise PeriodError(f"period '{label}' is a {default}, not a {ptype}")
        try:
            start, end = _dates(default, ptype, match, label)
        except ValueError as exc:  # e.g. year 0: date() refuses it
            if isinstance(exc, PeriodError):
                raise
            raise PeriodError(f"period '{label}' is not a real date range ({exc})") from None
        return Period(label, ptype, start, end)
    raise PeriodError(f"unknown period form '{label}'")


def _dates(form: str, ptype: str, m: re.Match, label: str) -> tuple[date | None, date | None]:
    g = m.groups()
    if form == NOT_STATED:
        return None, None
    if form == CALENDAR_YEAR:
        y = int(g[0])
        return date(y, 1, 1), date(y, 12, 31)
    if form == FINANCIAL_YEAR:
        return _split_year_start(_split_year(g[0], g[1], label), ptype)
    if form == QUARTER:
        quarter, first, second = (g[0], g[1], g[2]) if label[:1] in "Qq" else (g[2], g[0], g[1])
        fy = _split_year(first, second, label)
        q = int(quarter)
        month = 4 + 3 * (q - 1)  # financial quarters: Q1 is April to June
        year = fy + (month > 12)
        month = (month - 1) % 12 + 1
        return date(year, month, 1), _month_end(year, month + 2)
    if form == ROLLING:
        if len(g) == 4:  # 20/21-22/23: financial years
            first = _split_year(g[0], g[1], label)
            last = _split_year(g[2], g[3], label)
            if last <= first:
                raise PeriodError(f"period '{label}' ends before it starts")
            return date(first, 4, 1), date(last + 1, 3, 31)
        first = _year(g[0])
        span = (int(g[1]) - first) % 100  # "20-22" is 2020-2022; "1998 - 00" is 1998-2000
        last = _year(g[1]) if len(g[1]) == 4 else (first + span if span <= 50 else first - 1)
        if last <= first:
            raise PeriodError(f"period '{label}' ends before it starts")
        return date(first, 1, 1), date(last, 12, 31)
    if form == DATE_RANGE:
        m1, m2 = _month(g[0], label), _month(g[2], label)
        start, end = date(int(g[1]), m1, 1), _month_end(int(g[3]), m2)
        if end < start:
            raise PeriodError(f"period '{label}' ends before it starts")
        return start, end
    if form == MONTH:
        month, year = _month(g[0], label), int(g[1])
        return date(year, month, 1), _month_end(year, month)
    raise PeriodError(f"unknown period form '{label}'")  # pragma: no cover - table above is exhaustive


def _month(name: str, label: str) -> int:
    try:
        return _MONTHS[name.lower()]
    except KeyError:
        raise PeriodError(f"unknown period form '{label}' ('{name}' is not a month)") from None


def financial_year(label: str) -> Period:
    """A reporting year such as '2023/24' (1 April to 31 March)."""
    period = parse_period(label)
    if period.type != FINANCIAL_YEAR:
        raise PeriodError(f"reporting year '{label}' is not a financial year like 2023/24")
    return period


def canonical_year(label: str) -> str:
    """'2023-24', '23/24', '2023/2024' -> '2023/24', so one year has one spelling."""
    start = financial_year(label).start
    assert start is not None  # a financial year always has its dates
    return f"{start.year}/{(start.year + 1) % 100:02d}"
