"""Comparable series: which values of an indicator may be compared with which (issue 13, points 1-3).

A *series* is the values of one indicator for one area on one source basis. The basis is the
publisher and, for Fingertips, its indicator number: "Annual Report 2023/24" and "OHID Fingertips
(indicator 20601)" are two series of the same indicator, so a line is broken where the source
changes and no change is claimed across the break. Within a series, a change is stated between
the latest value and the one before it, and the words say how far back that one is
("since 2017/18, five years earlier").

Plain pandas; every function takes rows as `Dataset.observations_for` gives them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from data.domain.formatting import format_period
from data.domain.periods import QUARTER, financial_year

_FINGERTIPS_ID = re.compile(r"indicator\s+(\d+)", re.I)
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve")
# Two periods are consecutive when the later starts no more than this long after the earlier ends
# (a few days of slack for month ends).
_CONSECUTIVE_SLACK = pd.Timedelta(days=7)


@lru_cache(maxsize=4096)
def source_basis(source: str) -> str:
    """The source basis of a row: one series per basis.

    "OHID Fingertips, OGL v3.0 (indicator 20601, extract x.csv)" -> "OHID Fingertips (indicator 20601)"
    (an upload of the same Fingertips indicator joins the same series); "Annual Report 2023/24, <section>"
    -> "Annual Report 2023/24"; anything else: the text before its first comma or bracket."""
    text = (source or "").strip()
    if "fingertips" in text.lower():
        found = _FINGERTIPS_ID.search(text)
        return f"OHID Fingertips (indicator {found.group(1)})" if found else "OHID Fingertips"
    head = re.split(r"[,(]", text, maxsplit=1)[0].strip()
    return head or "source not stated"


def with_series(rows: pd.DataFrame, by: str = "area_code") -> pd.DataFrame:
    """The dated rows with a value, sorted by `by` (the area) and period end, with `basis` and `segment`
    columns: segment counts the breaks so far within the group (0, 1, ...), so (group, segment) is one
    unbroken line."""
    dated = rows[rows["value"].notna().to_numpy() & rows["period_end"].notna().to_numpy()]
    if len(dated) > 1:
        keys = list(zip(dated[by].tolist(), dated["period_end"].tolist(), dated["period_start"].tolist(), strict=True))
        order = sorted(range(len(dated)), key=keys.__getitem__)
        dated = dated.iloc[order]
    basis = [source_basis(str(x)) for x in dated["source"].tolist()]
    groups = dated[by].tolist()
    segment, current = [], 0
    for i in range(len(groups)):
        if i and groups[i] == groups[i - 1]:
            current += basis[i] != basis[i - 1]
        else:
            current = 0
        segment.append(current)
    return dated.assign(basis=basis, segment=segment)


POINT_COLUMNS = ("indicator_id", "area_code", "area_name", "period", "period_start", "period_end", "value", "lower_ci",
                 "upper_ci", "count", "denominator", "source", "note", "basis")


def records(frame: pd.DataFrame, columns) -> list[dict]:
    """The frame's rows as dicts of those of `columns` it has (as to_dict("records") gives them), in order, at a
    fraction of its cost."""
    have = set(frame.columns)
    cols = [c for c in columns if c in have]
    return [dict(zip(cols, row, strict=True)) for row in zip(*(frame[c].tolist() for c in cols), strict=True)] if len(frame) else []


def points_of(shaped: pd.DataFrame) -> list[dict]:
    """with_series rows as plain dicts, in order (cheap to walk); only the columns the rules read."""
    return records(shaped, POINT_COLUMNS)


def points(rows: pd.DataFrame) -> list[dict]:
    """One area's dated rows with a value as with_series points, oldest first, without building a frame."""
    keep = rows["value"].notna().to_numpy() & rows["period_end"].notna().to_numpy()
    out = records(rows[keep], [c for c in POINT_COLUMNS if c != "basis"])
    for p in out:
        p["basis"] = source_basis(str(p["source"]))
    out.sort(key=lambda p: (p["period_end"], p["period_start"]))
    return out


def breaks(rows: pd.DataFrame) -> list[dict]:
    """Each break in an area's series: area, the last period before, the first after, both bases."""
    # with_series' rows (dated, with a value, sorted by area, period end and start) as lists: each area's rows are
    # together, in the order groupby(sort=False) gives them.
    dated = rows[rows["value"].notna().to_numpy() & rows["period_end"].notna().to_numpy()]
    codes, names, periods, sources = (dated[c].tolist() for c in ("area_code", "area_name", "period", "source"))
    if len(codes) > 1:
        keys = list(zip(codes, dated["period_end"].tolist(), dated["period_start"].tolist(), strict=True))
        order = sorted(range(len(codes)), key=keys.__getitem__)
        codes, names, periods, sources = ([column[i] for i in order] for column in (codes, names, periods, sources))
    basis = [source_basis(str(x)) for x in sources]
    return [{"area_code": codes[i], "area_name": names[i], "before": periods[i - 1], "after": periods[i],
             "basis_before": basis[i - 1], "basis_after": basis[i]}
            for i in range(1, len(codes)) if codes[i] == codes[i - 1] and basis[i] != basis[i - 1] and not pd.isna(codes[i])]


def break_caption(rows: pd.DataFrame) -> str:
    """A sentence for a chart's caption naming each break (empty when there is none)."""
    parts = []
    for b in breaks(rows):
        parts.append(f"{b['area_name']}: the source changes between {b['before']} ({b['basis_before']}) and "
                     f"{b['after']} ({b['basis_after']}), so the line is broken there and no change is stated across it")
    return ("Break in the series. " + "; ".join(parts) + ".") if parts else ""


def consecutive(earlier_end, later_start) -> bool:
    """True when the later period follows the earlier with no gap (or overlaps it)."""
    if pd.isna(earlier_end) or pd.isna(later_start):
        return False
    return bool(pd.Timestamp(later_start) - pd.Timestamp(earlier_end) <= _CONSECUTIVE_SLACK)


def years_between(earlier_end, later_end) -> int:
    """Whole years from one period's end to another's (rounded)."""
    return int(round((pd.Timestamp(later_end) - pd.Timestamp(earlier_end)).days / 365.25))


def number_words(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def gap_phrase(previous_period: str, previous_end, previous_start, latest_start, latest_end) -> str:
    """"since 2021/22" when the previous value is the period just before; "since 2017/18, five years
    earlier" when it is further back."""
    previous_period = format_period(previous_period)
    if consecutive(previous_end, latest_start):
        return f"since {previous_period}"
    years = years_between(previous_end, latest_end)
    if years >= 1:
        return f"since {previous_period}, {number_words(years)} year{'s' if years != 1 else ''} earlier"
    months = int(round((pd.Timestamp(latest_end) - pd.Timestamp(previous_end)).days / 30.44))
    return f"since {previous_period}, {number_words(months)} month{'s' if months != 1 else ''} earlier"


@dataclass(frozen=True)
class Change:
    """The change an indicator's latest value may claim, for one area."""

    latest: Mapping | None  # the latest dated row with a value
    previous: Mapping | None  # the comparable previous row (same basis), else None
    prior: Mapping | None  # the row just before the latest, whatever its basis
    comparable: bool  # a change can be stated
    phrase: str  # "since 2017/18, five years earlier", or why no change is stated
    gap_years: int | None

    @property
    def delta(self) -> float | None:
        if not self.comparable or self.latest is None or self.previous is None:
            return None
        return float(self.latest["value"] - self.previous["value"])

    @property
    def relative(self) -> float | None:
        """The change as a share of the previous value (unit-free); None if the previous is 0."""
        delta = self.delta
        if delta is None or self.previous is None or self.previous["value"] == 0:
            return None
        return delta / abs(float(self.previous["value"]))


def latest_change(area_rows: pd.DataFrame) -> Change:
    """The latest value of one area's total rows and the change it may claim."""
    return change_of(points(area_rows))


def change_of(points: list[dict]) -> Change:
    """latest_change on with_series points of one area (oldest first)."""
    if not points:
        return Change(None, None, None, False, "", None)
    latest = points[-1]
    earlier = [p for p in points if p["period_end"] < latest["period_end"]]
    if not earlier:
        return Change(latest, None, None, False, "only one period in the data", None)
    prior = earlier[-1]
    if prior["basis"] != latest["basis"]:
        return Change(latest, None, prior, False,
                      f"no change stated: the source changed after {format_period(prior['period'])}, from {prior['basis']} to {latest['basis']}", None)
    phrase = gap_phrase(prior["period"], prior["period_end"], prior["period_start"], latest["period_start"], latest["period_end"])
    gap = None if consecutive(prior["period_end"], latest["period_start"]) else years_between(prior["period_end"], latest["period_end"])
    return Change(latest, prior, prior, True, phrase, gap)


def comparable_run(area_rows: pd.DataFrame) -> list[dict]:
    """The latest run of consecutive periods on one basis (the rows a trend test may use), oldest first."""
    return run_of(points(area_rows))


def run_of(points: list[dict]) -> list[dict]:
    """comparable_run on with_series points of one area (oldest first)."""
    if not points:
        return []
    run = [points[-1]]
    for this in reversed(points[:-1]):
        after = run[-1]
        if this["basis"] != after["basis"] or not consecutive(this["period_end"], after["period_start"]):
            break
        run.append(this)
    return run[::-1]


# -- age against the reporting year ------------------------------------------------------------

def age_in_years(period_start, period_end, reporting_year: str) -> int | None:
    """How many years a period is older than the reporting year (midpoint to midpoint, rounded);
    0 for a period in or after it; None for an undated period."""
    if pd.isna(period_start) or pd.isna(period_end):
        return None
    year = financial_year(reporting_year)
    assert year.start is not None and year.end is not None
    year_mid = pd.Timestamp(year.start) + (pd.Timestamp(year.end) - pd.Timestamp(year.start)) / 2
    mid = pd.Timestamp(period_start) + (pd.Timestamp(period_end) - pd.Timestamp(period_start)) / 2
    return max(0, int(round((year_mid - mid).days / 365.25)))


def age_phrase(age: int | None, reporting_year: str) -> str:
    if age is None:
        return "its period is not stated"
    if age == 0:
        return f"for the reporting year {reporting_year}"
    return f"{number_words(age)} year{'s' if age != 1 else ''} older than the reporting year {reporting_year}"


# -- year filters on the right basis ------------------------------------------------------------

def period_year(period_start, period_type: str) -> int | None:
    """The year a period belongs to on its own basis: 2017/18 (financial or academic) is 2017, whatever its
    end; calendar 2018 is 2018; a quarter is its financial year's (Q4 2017/18, January 2018, is 2017)."""
    if pd.isna(period_start):
        return None
    start = pd.Timestamp(period_start)
    if period_type == QUARTER:
        return start.year if start.month >= 4 else start.year - 1
    return start.year


def in_years(rows: pd.DataFrame, from_year: int | None, to_year: int | None) -> pd.Series:
    """Which rows' periods lie within the years chosen, each read on its own basis (period_year): "from
    2018" keeps 2018/19 and 2018 but not 2017/18, which only ends in 2018. Undated rows are always kept."""
    keep = pd.Series(True, index=rows.index)
    if from_year is None and to_year is None:
        return keep
    years = pd.Series([period_year(s, str(t)) for s, t in zip(rows["period_start"], rows["period_type"], strict=True)],
                      index=rows.index, dtype="float64")
    undated = years.isna()
    if from_year is not None:
        keep &= undated | (years >= int(from_year))
    if to_year is not None:
        keep &= undated | (years <= int(to_year))
    return keep
