"""Pending flags and latest values, computed from the data for a reporting year.

Nothing here is stored: a pending flag is what the data says today, so a new
2023/24 value clears it with no other change.
"""
from __future__ import annotations

import pandas as pd

from data.domain.dataset import DEFAULT_REPORTING_YEAR, ENGLAND, HOME_AREA, Dataset, expanded
from data.domain.periods import canonical_year, financial_year

CURRENT, PENDING, OUT_OF_DATE = "current", "pending", "out_of_date"


def _with_values(obs: pd.DataFrame, area: str) -> pd.DataFrame:
    # One area's rows, text as plain str (a served Dataset holds Categoricals): the frame built below is the same.
    return expanded(obs[(obs["area_code"] == area) & obs["value"].notna()])


def _totals_with_values(obs: pd.DataFrame, area: str) -> pd.DataFrame:
    # An indicator published only as a breakdown (courses, ratings) has no single latest value.
    rows = _with_values(obs, area)
    return rows[rows["category_type"] == ""]


def _latest_two(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latest and previous row per indicator, by period end (undated rows rank lowest)."""
    ordered = rows.sort_values(["indicator_id", "period_end", "period_start"], na_position="first", kind="stable")
    grouped = ordered.groupby("indicator_id", sort=False)
    latest = grouped.tail(1).set_index("indicator_id")
    previous = ordered.drop(index=grouped.tail(1).index)
    previous = previous[previous["period_end"].notna()].groupby("indicator_id", sort=False).tail(1).set_index("indicator_id")
    return latest, previous


def indicator_status(dataset: Dataset, reporting_year: str = DEFAULT_REPORTING_YEAR) -> pd.DataFrame:
    """One row per indicator (index = id): status, pending reason, latest and previous York values.

    Raises PeriodError if reporting_year is not a financial year such as 2023/24.
    """
    year = canonical_year(reporting_year)
    return dataset.cache.remember("status", year, lambda: _status(dataset, year), maxsize=16)


def reporting_years(dataset: Dataset) -> list[str]:
    """The reporting years a reader may choose: financial years from the first York value (2019/20 at
    the latest) to the latest (2024/25 at the earliest), newest first. Worked out once per version."""
    return list(dataset.cache.once("reporting_years", lambda: _reporting_years(dataset)))


def _reporting_years(dataset: Dataset) -> tuple[str, ...]:
    ends = dataset.observations.loc[dataset.observations["area_code"] == HOME_AREA, "period_end"].dropna()
    first = min(2019, int((ends.min() - pd.DateOffset(months=3)).year)) if len(ends) else 2019
    last = max(2024, int((ends.max() - pd.DateOffset(months=3)).year)) if len(ends) else 2024
    return tuple(f"{y}/{str(y + 1)[-2:]}" for y in range(last, first - 1, -1))


def _status(dataset: Dataset, reporting_year: str) -> pd.DataFrame:
    year = financial_year(reporting_year)
    assert year.start is not None  # a financial year always has its dates
    year_start = pd.Timestamp(year.start)
    cat = dataset.indicators
    latest, previous = _latest_two(_totals_with_values(dataset.observations, HOME_AREA))

    # A breakdown row counts too: its value is for that year even without a total.
    home = _with_values(dataset.observations, HOME_AREA)
    midpoint = home["period_start"] + (home["period_end"] - home["period_start"]) / 2
    has_current = set(home.loc[midpoint >= year_start, "indicator_id"])
    expected = cat["expected_update_for"].map(lambda y: canonical_year(y) if y else "") == reporting_year

    out = pd.DataFrame(index=cat.index)
    out["status"] = [
        CURRENT if i in has_current else (PENDING if expected[i] else OUT_OF_DATE) for i in cat.index
    ]
    out["pending"] = out["status"] == PENDING
    out["pending_reason"] = pd.Series([cat.at[i, "expected_update"] if out.at[i, "pending"] else None for i in cat.index], index=cat.index, dtype=object)
    for prefix, frame in (("latest", latest), ("previous", previous)):
        out[f"{prefix}_period"] = frame["period"].reindex(cat.index)
        out[f"{prefix}_value"] = frame["value"].reindex(cat.index)
        out[f"{prefix}_period_end"] = frame["period_end"].reindex(cat.index)
    out["england_value"] = _england_at_latest(dataset, out)
    out["status_reason"] = [_reason(out.loc[i], reporting_year) for i in cat.index]
    return out


def _england_at_latest(dataset: Dataset, status: pd.DataFrame) -> pd.Series:
    """England's value for the same period as York's latest, where the data has one."""
    eng = _totals_with_values(dataset.observations, ENGLAND)
    eng_by_key = eng.set_index(["indicator_id", "period"])["value"]
    eng_by_key = eng_by_key[~eng_by_key.index.duplicated()]
    keys = list(zip(status.index, status["latest_period"], strict=True))
    return pd.Series([eng_by_key.get(k) for k in keys], index=status.index, dtype="float64")


def _reason(row: pd.Series, reporting_year: str) -> str:
    if row["status"] == PENDING:
        return row["pending_reason"]
    if row["status"] == CURRENT:
        return f"Has a York value for {reporting_year} or later."
    if pd.isna(row["latest_period"]):
        return "No York value is stated in the sources."
    if pd.isna(row["latest_period_end"]):
        return f"The source does not state the period of the latest York value; no value is dated in {reporting_year}."
    return f"No York value for {reporting_year}; the latest is for {row['latest_period']}, and no update is expected."


def change_direction(delta: float | None, polarity: str) -> str:
    """'better', 'worse', 'no change' or 'no judgement' for a change, from the indicator's polarity."""
    if delta is None or pd.isna(delta):
        return "no judgement"
    if delta == 0:
        return "no change"
    if polarity == "higher is better":
        return "better" if delta > 0 else "worse"
    if polarity == "lower is better":
        return "better" if delta < 0 else "worse"
    return "no judgement"
