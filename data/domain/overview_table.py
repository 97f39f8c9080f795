"""The overview table's rows (issue 14): one per indicator, grouped by set, every cell as words.

ONE function, overview_rows, builds them from status.py's one status frame (indicator_status) and
formatting.py, so what the table says is what the tiles, explore, decks and the API say. Plain pandas: no Dash, unit-tested without a browser.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from data.domain.dataset import DEFAULT_REPORTING_YEAR, HOME_AREA, Dataset, expanded
from data.domain.formatting import display_name, format_period, format_value, is_missing, movement
from data.domain.significance import NOT_COMPARED, SIMILAR, STATED
from data.domain.status import OUT_OF_DATE, PENDING, indicator_status


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
    status: str  # status.py: current | recent | pending | overdue | out_of_date
    status_text: str  # "Pending 2023/24", "Current", "No 2023/24 value"
    reason: str  # why it is pending (the part of the footnote about it), else ""


def overview_rows(dataset: Dataset, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list[OverviewRow]:
    """Every indicator, in catalogue order within its set, sets in the data's order."""
    return list(dataset.cache.remember("overview_rows", reporting_year, lambda: _rows(dataset, reporting_year)))


def _rows(dataset: Dataset, reporting_year: str) -> tuple[OverviewRow, ...]:
    """Only the status cell changes with the reporting year: the rest of every row is built once per data
    version (_fixed_rows), and each year sets status, status_text and reason from status.py's frame."""
    status = indicator_status(dataset, reporting_year)  # status.py
    fixed = dataset.cache.once("overview_rows_fixed", lambda: _fixed_rows(dataset, status))
    by_id = {str(i): (s, label, pending, reason) for i, s, label, pending, reason in zip(
        status.index, status["status"], status["status_label"], status["pending"], status["pending_reason"], strict=True)}
    out = []
    for row in fixed:
        s, label, pending, reason = by_id[row.id]
        out.append(replace(row, status=s, status_text=str(label), reason=str(reason or "") if pending else ""))
    return tuple(out)


def _fixed_rows(dataset: Dataset, status: pd.DataFrame) -> tuple[OverviewRow, ...]:
    """The rows built from one year's status frame: their status cells are that year's, the rest is every year's
    (status.py's latest value, change, comparison and trend do not depend on the reporting year)."""
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
            rows.append(_row(key, dataset.indicator(key), st, series.get(key), notes, ""))
    return tuple(rows)


def _row(ind_id: str, ind: pd.Series, st: pd.Series, series: pd.DataFrame | None, notes: pd.Series, reporting_year: str) -> OverviewRow:
    """Every judgement comes from status.py's one frame (issue 13): the change only between comparable
    values, the comparison with England stated by the source or by the 95% CI, the status with its age."""
    unit, latest = ind["unit"], st["latest_value"]
    has_latest = not is_missing(latest)
    published = "" if pd.isna(st["latest_period"]) else str(st["latest_period"])
    change, word, arrow = "", "", "same"
    if not is_missing(st["change"]):
        word = str(st["change_judgement"] or "")
        # The table shows the judgement as its own word, so the sentence's "(better)" is not repeated.
        change, arrow = str(st["change_text"]).removesuffix(f" ({word})"), movement(st["change"])
    elif has_latest and str(st["change_note"]).startswith("no change stated"):
        change = str(st["change_note"])  # why no change is claimed (a break in source)
    england = "" if is_missing(st["england_value"]) else format_value(st["england_value"], unit)
    return OverviewRow(
        id=ind_id, set=str(ind["set"]), name=display_name(ind),
        value=format_value(latest, unit) if has_latest else "",
        period=format_period(published), published_period=published,
        change=change, change_word=word, movement=arrow,
        england=england, comparison=comparison_words(st),
        trend=_trend(series), trend_text=trend_words(series, unit),
        status=st["status"], status_text=str(st["status_label"]),
        reason=str(st["pending_reason"] or "") if st["pending"] else "",
    )


def comparison_words(st: pd.Series) -> str:
    """York against England, short: "Worse than England (as the source states)", "Similar to England
    (95% CI)", or "" when not compared."""
    result = st["comparison"]
    if not st["comparison_basis"] or result == NOT_COMPARED:
        return ""
    how = "as the source states" if st["comparison_basis"] == STATED else "95% CI"
    return f"{result} {'to' if result == SIMILAR else 'than'} England ({how})"


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
