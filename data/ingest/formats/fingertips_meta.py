"""What a Fingertips file itself says about an indicator it holds: its unit, polarity, age band and
period basis, each with where that was read; or nothing, when the file does not say.

Nothing here guesses: a field the file does not settle is left out, and the upload preview asks
the editor for it (data/ingest/indicator_choices.py)."""
from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from data.domain.periods import (
    ACADEMIC_YEAR,
    CALENDAR_YEAR,
    FINANCIAL_YEAR,
    QUARTER,
    ROLLING,
    PeriodError,
    parse_period,
)
from data.domain.schema import PERCENT, UNITS

ENGLAND = "E92000001"
PERIOD_BASES = (FINANCIAL_YEAR, ACADEMIC_YEAR, CALENDAR_YEAR)

# Fingertips "Value type" / unit labels (API metadata, or a column of that name) -> the schema's unit.
_VALUE_TYPES = {
    "proportion": PERCENT, "percentage": PERCENT, "%": PERCENT, "percent": PERCENT,
    "per 100,000": "rate per 100,000", "per 100000": "rate per 100,000", "rate per 100,000": "rate per 100,000",
    "per 1,000": "rate per 1,000", "per 1000": "rate per 1,000", "rate per 1,000": "rate per 1,000",
    "count": "count", "number": "count",
}
_SCHOOL = re.compile(r"\b(reception|year \d{1,2}|school|pupils?|academic|key stage|eyfs)\b", re.I)


def hint(value: str, source: str) -> dict:
    return {"value": value, "from": source}


def unit_of(name: str, value_types: Iterable[str] = (), value_notes: Iterable[str] = ()) -> dict | None:
    """The unit, from a "Value type" cell, the value notes or the indicator's name; None when none says."""
    for label, where in ((v, "the file's Value type") for v in value_types):
        unit = _VALUE_TYPES.get(" ".join(str(label).lower().split()))
        if unit:
            return hint(unit, f"{where} ('{label}')")
        if str(label) in UNITS:
            return hint(str(label), f"{where} ('{label}')")
    text = name.lower()
    if "%" in text or "percentage" in text or "proportion" in text:
        return hint(PERCENT, "the indicator name says a percentage or proportion")
    if re.search(r"(?:per|/)\s*100[, ]?000(?![\d,])", text):
        return hint("rate per 100,000", "the indicator name says per 100,000")
    if re.search(r"(?:per|/)\s*1[, ]?000(?![\d,])", text):
        return hint("rate per 1,000", "the indicator name says per 1,000")
    for note in value_notes:
        low = str(note).lower()
        if "per 100,000" in low:
            return hint("rate per 100,000", f"a value note ('{note}')")
        if "per 1,000" in low:
            return hint("rate per 1,000", f"a value note ('{note}')")
    if re.match(r"^(number|count) of\b", text):
        return hint("count", "the indicator name says a number of")
    return None


def _direction(trend: str) -> str | None:
    """'higher is better' / 'lower is better' from a Fingertips "Recent Trend" cell, else None."""
    text = trend.lower()
    up, down = "increasing" in text, "decreasing" in text
    better, worse = "getting better" in text, "getting worse" in text
    if up == down or better == worse:
        return None
    return "higher is better" if up == better else "lower is better"


def polarity_of(rows: Iterable[tuple[str, str, str, str, str]]) -> dict | None:
    """The polarity Fingertips' own comparisons imply, from an indicator's area-total rows:
    (area_code, period, value, compared to England, recent trend) each.

    "Better"/"Worse" than England with the area's value above or below England's, and "Increasing/
    Decreasing and getting better/worse", each say which way is better; "Higher"/"Lower" alone say
    Fingertips makes no judgement. Any disagreement, or no such cell: None (the editor chooses)."""
    rows = list(rows)
    england: dict[str, str] = {}
    for area, period, value, _, _ in rows:
        if area == ENGLAND and value:
            england.setdefault(period, value)
    votes: dict[str, int] = {}
    neutral = 0
    for area, period, value, compared, trend in rows:
        word = compared.split()[0].lower() if compared.strip() else ""
        if word in ("better", "worse") and area != ENGLAND and value and period in england:
            try:
                diff = float(value) - float(england[period])
            except ValueError:
                diff = 0.0
            if diff:
                higher_better = (diff > 0) == (word == "better")
                key = "higher is better" if higher_better else "lower is better"
                votes[key] = votes.get(key, 0) + 1
        elif word in ("higher", "lower"):
            neutral += 1
        direction = _direction(trend) if trend else None
        if direction:
            votes[direction] = votes.get(direction, 0) + 1
    return _polarity_verdict(votes, neutral)


def _per_distinct(values: np.ndarray, of) -> tuple[np.ndarray, list]:
    """(codes, [of(u) for each distinct value u]): each distinct cell worked out once."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    return codes, [of(u) for u in uniques]


def polarity_of_columns(areas, periods, values, compared, trends) -> dict | None:
    """polarity_of for the rows given by column (object arrays of stripped text, aligned): the same
    reading, each distinct comparison, trend, period and value cell read once, the votes counted with numpy."""
    areas, periods, values = (np.asarray(a, dtype=object) for a in (areas, periods, values))
    if not len(areas):
        return None
    is_england = areas == ENGLAND
    has_value = values != ""
    england: dict[str, str] = {}
    for period, value in zip(periods[is_england & has_value].tolist(), values[is_england & has_value].tolist(), strict=True):
        england.setdefault(period, value)
    word_codes, words = _per_distinct(compared, lambda c: c.split()[0].lower() if c.strip() else "")
    judged = np.array([w in ("better", "worse") for w in words], dtype=bool)[word_codes]
    better = np.array([w == "better" for w in words], dtype=bool)[word_codes]
    neutral = int(np.count_nonzero(np.array([w in ("higher", "lower") for w in words], dtype=bool)[word_codes]))
    period_codes, period_list = _per_distinct(periods, lambda p: p)
    known = np.array([p in england for p in period_list], dtype=bool)[period_codes]
    votes: dict[str, int] = {}
    rows = np.flatnonzero(judged & ~is_england & has_value & known)
    if len(rows):
        def number(text: str) -> float | None:
            try:
                return float(text)
            except ValueError:
                return None
        value_codes, numbers = _per_distinct(values[rows], number)
        of_england = [number(england[p]) if p in england else None for p in period_list]
        mine = np.array([np.nan if x is None else x for x in numbers], dtype=float)[value_codes]
        theirs = np.array([np.nan if x is None else x for x in of_england], dtype=float)[period_codes[rows]]
        unread = (np.array([x is None for x in numbers], dtype=bool)[value_codes]
                  | np.array([x is None for x in of_england], dtype=bool)[period_codes[rows]])
        with np.errstate(invalid="ignore"):
            diff = np.where(unread, 0.0, mine - theirs)  # a cell float() cannot read: no difference
            counted = diff != 0  # NaN (inf - inf) counts, as `if diff` does
            higher_better = (diff > 0) == better[rows]
        for key, n in (("higher is better", np.count_nonzero(counted & higher_better)),
                       ("lower is better", np.count_nonzero(counted & ~higher_better))):
            if n:
                votes[key] = votes.get(key, 0) + int(n)
    trend_codes, directions = _per_distinct(trends, lambda t: _direction(t) if t else None)
    per_trend = np.bincount(trend_codes, minlength=len(directions))
    for direction, n in zip(directions, per_trend.tolist(), strict=True):
        if direction and n:
            votes[direction] = votes.get(direction, 0) + n
    return _polarity_verdict(votes, neutral)


def _polarity_verdict(votes: dict[str, int], neutral: int) -> dict | None:
    if len(votes) == 1:
        (polarity, n), = votes.items()
        return hint(polarity, f"Fingertips' comparisons in the file ({n:,} say so, none otherwise)")
    if not votes and neutral:
        return hint("no judgement", "Fingertips compares these areas as Higher/Lower, without judgement")
    return None


def period_basis_of(name: str, labels: Iterable[str], ranges: Iterable[str] = ()) -> dict | None:
    """Financial, academic or calendar year from the period labels (and the name, for school years)."""
    forms = set()
    for label in set(labels):
        try:
            forms.add(parse_period(label).type)
        except PeriodError:
            return None
    spans = sorted({r for r in ranges if r})
    said = f" (Time period range {', '.join(spans)})" if spans else ""
    if forms and forms <= {CALENDAR_YEAR, ROLLING} and all(not re.search(r"\d/\d", lb) for lb in labels):
        return hint(CALENDAR_YEAR, f"the periods are calendar years such as '{min(labels)}'{said}")
    if forms == {QUARTER}:
        return hint(FINANCIAL_YEAR, "the periods are financial-year quarters")
    if forms and forms <= {FINANCIAL_YEAR, ROLLING}:  # split years: 2019/20 is April-March or September-August
        school = _SCHOOL.search(name)
        if school:
            return hint(ACADEMIC_YEAR, f"the periods are split years and the name says '{school.group(0)}' (a school year)")
    return None


def age_band_of(age: str | None) -> dict | None:
    """'4-5 yrs' -> '4-5'; 'All ages' -> ''; None when the file has no Age."""
    if age is None:
        return None
    text = " ".join(age.split())
    if not text:
        return None
    if text.lower() == "all ages":
        return hint("", "the file's Age is 'All ages'")
    band = re.sub(r"\s*(yrs|years?)$", "", text, flags=re.I).replace(" ", "")
    return hint(band, f"the file's Age ('{text}')")
