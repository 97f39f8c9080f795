"""The overview table's rows (issue 14): one per indicator, grouped by set, every cell as words.

ONE function, overview_rows, builds them from status.py's public functions (indicator_status,
change_direction) and formatting.py, so what the table says is what the rest of the site says; a
new status (staleness, significance, overdue: issue 13) reaches the table by changing the few
lines marked "status.py" below. Plain pandas: no Dash, unit-tested without a browser.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from data.domain.dataset import DEFAULT_REPORTING_YEAR, HOME_AREA, Dataset, expanded
from data.domain.formatting import display_name, format_change, format_period, format_value, is_missing, movement
from data.domain.status import OUT_OF_DATE, PENDING, change_direction, indicator_status

FINGERTIPS_COMPARISON = "Compared with England: "  # how a Fingertips row's note carries the source's own comparison


@dataclass(frozen=True)
class OverviewRow:
    id: str
    set: str
    name: str  # display name (short_name, else the report's wording)
    value: str  # York's latest value, formatted ("" when there is none)
    period: str  # its period in the one display form ("2022/23")
    published_period: str  # the period as the source printed it ("22/23")
    change: str  # "+0.7 percentage points since 2017/18", or "" when there is no earlier value
    change_word: str  # "better" | "worse" | "no change" | "no judgement" | ""
    movement: str  # "up" | "down" | "same" (the arrow)
    england: str  # England's value for the same period, formatted, or ""
    comparison: str  # "Better than England (Fingertips)", "Higher than England (not tested)", ...
    trend: tuple[tuple[float, float], ...]  # (years since the first point, value) of York's dated values
    trend_text: str  # the sparkline in words
    status: str  # status.py's CURRENT | PENDING | OUT_OF_DATE
    status_text: str  # "Pending 2023/24", "Current", "No 2023/24 value"
    reason: str  # why it is pending (the part of the footnote about it), else ""


def overview_rows(dataset: Dataset, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list[OverviewRow]:
    """Every indicator, in catalogue order within its set, sets in the data's order."""
    return list(dataset.cache.remember("overview_rows", reporting_year, lambda: _rows(dataset, reporting_year)))


def _rows(dataset: Dataset, reporting_year: str) -> tuple[OverviewRow, ...]:
    status = indicator_status(dataset, reporting_year)  # status.py
    home = expanded(dataset.observations[(dataset.observations["area_code"] == HOME_AREA) & (dataset.observations["category_type"] == "")])
    dated = home[home["period_end"].notna() & home["value"].notna()]
    series = {str(k): g for k, g in dated.groupby("indicator_id", sort=False)}
    notes = home.set_index(["indicator_id", "period"])["note"]
    notes = notes[~notes.index.duplicated(keep="last")]
    rows = []
    for set_name in dataset.sets:
        for ind_id in dataset.indicators.index[dataset.indicators["set"] == set_name]:
            key = str(ind_id)
            st = status.loc[key]
            assert isinstance(st, pd.Series)  # ids are unique
            rows.append(_row(key, dataset.indicator(key), st, series.get(key), notes, reporting_year))
    return tuple(rows)


def _row(ind_id: str, ind: pd.Series, st: pd.Series, series: pd.DataFrame | None, notes: pd.Series, reporting_year: str) -> OverviewRow:
    unit, latest, previous = ind["unit"], st["latest_value"], st["previous_value"]
    has_latest = not is_missing(latest)
    published = "" if pd.isna(st["latest_period"]) else str(st["latest_period"])
    change, word, arrow = "", "", "same"
    if has_latest and not is_missing(previous):
        delta = latest - previous
        change = f"{format_change(delta, unit)} since {format_period(st['previous_period'])}"
        word, arrow = change_direction(delta, ind["polarity"]), movement(delta)  # status.py
    england = "" if is_missing(st["england_value"]) else format_value(st["england_value"], unit)
    note = str(notes.get((ind_id, published), "") or "") if published else ""
    points = _trend(series)
    return OverviewRow(
        id=ind_id, set=str(ind["set"]), name=display_name(ind),
        value=format_value(latest, unit) if has_latest else "",
        period=format_period(published), published_period=published,
        change=change, change_word=word, movement=arrow,
        england=england, comparison=england_comparison(latest, st["england_value"], note),
        trend=points, trend_text=trend_words(series, unit),
        status=st["status"], status_text=status_words(st["status"], reporting_year),
        reason=(ind.get("pending_reason") or st["pending_reason"] or "") if st["status"] == PENDING else "",
    )


def england_comparison(value, england, note: str = "") -> str:
    """York against England in words. The source's own comparison when it states one (Fingertips:
    Better / Similar / Worse, tested on confidence intervals); otherwise higher/lower, said to be untested."""
    if note.startswith(FINGERTIPS_COMPARISON):
        verdict = note.removeprefix(FINGERTIPS_COMPARISON).strip().rstrip(".")
        if verdict:
            return f"{verdict} {'to' if verdict.lower() == 'similar' else 'than'} England (Fingertips)"
    if is_missing(value) or is_missing(england):
        return ""
    if value == england:
        return "Same as England"
    return f"{'Higher' if value > england else 'Lower'} than England (not tested)"


def status_words(status: str, reporting_year: str) -> str:
    if status == PENDING:
        return f"Pending {reporting_year}"
    if status == OUT_OF_DATE:
        return f"No {reporting_year} value"
    return "Current"


def _trend(series: pd.DataFrame | None) -> tuple[tuple[float, float], ...]:
    """The points of a sparkline on a time axis (years since the first), so a gap shows as a gap."""
    if series is None or len(series) < 2:
        return ()
    ends = pd.to_datetime(series["period_end"])
    first = ends.min()
    return tuple((round((e - first).days / 365.25, 3), float(v)) for e, v in zip(ends, series["value"], strict=True) if not math.isnan(float(v)))


def trend_words(series: pd.DataFrame | None, unit: str) -> str:
    """The sparkline in words: how many values, from when to when, first and last."""
    if series is None or len(series) < 2:
        return ""
    first, last = series.iloc[0], series.iloc[-1]
    return (f"Trend: {len(series)} values from {format_period(first['period'])} ({format_value(first['value'], unit)}) "
            f"to {format_period(last['period'])} ({format_value(last['value'], unit)})")
