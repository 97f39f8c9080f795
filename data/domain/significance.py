"""Significance, Fingertips' way (issue 13, points 4 and 5). Plain Python, no SciPy.

Comparison with England
    1. Where the source states it (a Fingertips extract's "Compared with England: Similar", kept in the
       observation's note), that is the comparison shown.
    2. Otherwise, where the area's value has a 95% confidence interval and England has a value for the
       same period: the interval wholly above England's value is "Higher", wholly below "Lower", else
       "Similar"; with the indicator's polarity, Higher/Lower read as Better/Worse.
    3. Otherwise "not compared".

Trend
    The chi-squared test for linear trend in proportions (Armitage's test; the test Fingertips uses for
    its recent trends), on the latest five consecutive values of one series that has counts and
    denominators, the periods scored 1..5:

        N = sum n_i,  R = sum r_i,  p = R / N
        T = sum r_i x_i - p * sum n_i x_i
        V = p (1 - p) * (sum n_i x_i^2 - (sum n_i x_i)^2 / N)
        chi2 = T^2 / V  (1 degree of freedom)

    We call a trend significant when chi2 exceeds 9.5495, the 99.8% point of chi-squared on one degree of
    freedom (z = 3.0902): with ninety indicators in the data set, a 95% level would flag about four trends
    by chance alone. The direction is the sign of T: "increasing" or "decreasing"; else "no significant
    change". By polarity an increase is "better" or "worse".
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from data.domain.formatting import format_period

BETTER, SIMILAR, WORSE, HIGHER, LOWER, NOT_COMPARED = "Better", "Similar", "Worse", "Higher", "Lower", "not compared"
COMPARISONS = (BETTER, SIMILAR, WORSE, HIGHER, LOWER, NOT_COMPARED)
SIGNIFICANT = (BETTER, WORSE, HIGHER, LOWER)
STATED, BY_CI = "stated by the source", "95% confidence interval against England's value"

INCREASING, DECREASING, NO_CHANGE = "increasing", "decreasing", "no significant change"
TREND_POINTS = 5
CHI2_CRITICAL = 9.5495  # chi-squared, 1 df, 99.8% (z = 3.0902 squared)

_STATED = re.compile(r"compared (?:with|to) england(?: value or percentiles)?\s*:\s*(better|similar|worse|higher|lower|not compared)", re.I)

METHOD = (
    "Comparison with England: where Fingertips states it (Better, Similar or Worse than England), that is shown. "
    "Otherwise, where York's value has a 95% confidence interval, the interval is compared with England's value "
    "for the same period: wholly above or below it is a significant difference (Better or Worse when the indicator "
    "says which direction is better, otherwise Higher or Lower); an interval that contains England's value is Similar. "
    "Without either, the values are not compared. "
    "Trend: where a series has at least five consecutive values with counts and denominators, the chi-squared test "
    "for trend in proportions (as Fingertips uses) on the latest five, significant at the 99.8% level. "
    "A change is stated only between values of the same source; a value more than the configured number of years "
    "older than the reporting year is out of date."
)


def stated_comparison(note: str | None) -> str | None:
    """The comparison the source states in a note ("Compared with England: Worse" -> "Worse"), else None."""
    if not note:
        return None
    found = _STATED.search(str(note))
    if not found:
        return None
    word = found.group(1).lower()
    return NOT_COMPARED if word == "not compared" else word.capitalize()


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def by_polarity(direction: str, polarity: str) -> str:
    """Higher/Lower -> Better/Worse by polarity; Similar and not compared unchanged."""
    if direction not in (HIGHER, LOWER):
        return direction
    if polarity == "higher is better":
        return BETTER if direction == HIGHER else WORSE
    if polarity == "lower is better":
        return BETTER if direction == LOWER else WORSE
    return direction


def ci_comparison(lower, upper, england, polarity: str) -> str:
    """The area's 95% interval against England's value: Better/Similar/Worse (or Higher/Similar/Lower)."""
    if _missing(lower) or _missing(upper) or _missing(england):
        return NOT_COMPARED
    if float(lower) > float(england):
        return by_polarity(HIGHER, polarity)
    if float(upper) < float(england):
        return by_polarity(LOWER, polarity)
    return SIMILAR


@dataclass(frozen=True)
class Comparison:
    result: str  # one of COMPARISONS
    basis: str  # STATED, BY_CI or ""
    period: str

    @property
    def significant(self) -> bool:
        return self.result in SIGNIFICANT

    def sentence(self, area: str = "York") -> str:
        if self.result == NOT_COMPARED:
            return f"{area} is not compared with England" + (f" in {format_period(self.period)}" if self.period and self.period != "not stated" else "") + "."
        if self.result == SIMILAR:
            words = "similar to England"
        else:
            words = {BETTER: "significantly better than England", WORSE: "significantly worse than England",
                     HIGHER: "significantly higher than England", LOWER: "significantly lower than England"}[self.result]
        how = "as the source states" if self.basis == STATED else "by its 95% confidence interval"
        return f"{area} was {words} in {format_period(self.period)} ({how})."


def compare_with_england(note, lower, upper, england, polarity: str, period: str) -> Comparison:
    """The comparison for one area value: stated by the source first, else by CI, else not compared."""
    stated = stated_comparison(note)
    if stated is not None:
        # A source that says Higher/Lower for an indicator with a polarity reads as Better/Worse.
        return Comparison(by_polarity(stated, polarity), STATED if stated != NOT_COMPARED else "", period)
    result = ci_comparison(lower, upper, england, polarity)
    return Comparison(result, BY_CI if result != NOT_COMPARED else "", period)


# -- trend ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrendTest:
    chi2: float
    direction: str  # INCREASING | DECREASING | NO_CHANGE
    points: int
    first_period: str
    last_period: str

    def judgement(self, polarity: str) -> str:
        """better | worse | no judgement (no polarity or no significant change)."""
        if self.direction == NO_CHANGE:
            return "no judgement"
        if polarity == "higher is better":
            return "better" if self.direction == INCREASING else "worse"
        if polarity == "lower is better":
            return "better" if self.direction == DECREASING else "worse"
        return "no judgement"

    def sentence(self, polarity: str) -> str:
        span = f"over the {number_of(self.points)} periods {format_period(self.first_period)} to {format_period(self.last_period)}"
        if self.direction == NO_CHANGE:
            return f"No significant change {span} (chi-squared test for trend)."
        judged = self.judgement(polarity)
        tail = f", getting {judged}" if judged in ("better", "worse") else ""
        return f"Significantly {self.direction} {span}{tail} (chi-squared test for trend, 99.8% level)."


def number_of(n: int) -> str:
    return {2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))


def chi2_trend(counts: Sequence[float], denominators: Sequence[float], scores: Sequence[float] | None = None) -> tuple[float, float]:
    """(chi-squared statistic, T) of the test for linear trend in the proportions counts/denominators.

    T > 0 means the proportion rises with the score. Raises ValueError for fewer than two groups,
    a count outside 0..denominator, or proportions all 0 or all 1 (no variance to test)."""
    r = [float(c) for c in counts]
    n = [float(d) for d in denominators]
    if len(r) != len(n) or len(r) < 2:
        raise ValueError("the test for trend needs at least two groups, each with a count and a denominator")
    if any(_missing(v) for v in r + n) or any(d <= 0 or c < 0 or c > d for c, d in zip(r, n, strict=True)):
        raise ValueError("each count must be between 0 and its (positive) denominator")
    x = [float(s) for s in scores] if scores is not None else [float(i + 1) for i in range(len(r))]
    big_n, big_r = sum(n), sum(r)
    p = big_r / big_n
    sum_nx = sum(ni * xi for ni, xi in zip(n, x, strict=True))
    sum_nxx = sum(ni * xi * xi for ni, xi in zip(n, x, strict=True))
    t = sum(ri * xi for ri, xi in zip(r, x, strict=True)) - p * sum_nx
    v = p * (1 - p) * (sum_nxx - sum_nx * sum_nx / big_n)
    if v <= 0:
        raise ValueError("the proportions have no variance to test (all 0 or all 1, or one period)")
    return t * t / v, t


def trend_test(periods: Sequence[str], counts: Sequence[float], denominators: Sequence[float]) -> TrendTest | None:
    """The test on the latest TREND_POINTS values (oldest first); None when fewer, or counts are missing."""
    if len(periods) < TREND_POINTS:
        return None
    periods, counts, denominators = periods[-TREND_POINTS:], counts[-TREND_POINTS:], denominators[-TREND_POINTS:]
    try:
        chi2, t = chi2_trend(counts, denominators)
    except ValueError:
        return None
    direction = NO_CHANGE if chi2 <= CHI2_CRITICAL else (INCREASING if t > 0 else DECREASING)
    return TrendTest(chi2, direction, TREND_POINTS, periods[0], periods[-1])
