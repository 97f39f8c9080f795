"""What an explore view shows, as plain tables and sentences (no Dash).

Each function takes the rows of one indicator and returns exactly what the
chart, its table, its summary and its download show, so all four agree.
"""
from __future__ import annotations

from typing import cast

import pandas as pd

from data.domain.dataset import ENGLAND, HOME_AREA, Dataset
from data.domain.formatting import display_name, format_change, format_percent_change, format_period, format_value, is_missing, movement
from data.domain.status import change_direction

NOT_PUBLISHED = "not published in the report text"


def indicator_rows(dataset: Dataset, indicator_id: str, areas=None, from_year=None, to_year=None) -> pd.DataFrame:
    """Rows of one indicator for the chosen areas and years (undated rows are always kept)."""
    rows = dataset.observations_for([indicator_id], None, areas)
    if from_year is not None:
        rows = rows[rows["period_end"].isna() | (rows["period_end"].dt.year >= int(from_year))]
    if to_year is not None:
        rows = rows[rows["period_start"].isna() | (rows["period_start"].dt.year <= int(to_year))]
    return rows


def is_breakdown(rows: pd.DataFrame) -> bool:
    """True when the indicator is published as categories (courses, ratings) rather than a time series."""
    return bool((rows["category_type"] != "").any())


def values_unpublished(rows: pd.DataFrame) -> bool:
    return bool(rows.empty or rows["value"].isna().all())


def unpublished_reason(rows: pd.DataFrame) -> str:
    notes = [n for n in rows["note"].unique() if n]
    return notes[0] if notes else f"Values {NOT_PUBLISHED}."


def area_totals(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["category_type"] == ""]


def trend_summary(rows: pd.DataFrame, indicator: pd.Series) -> str:
    """One sentence from the data: latest home value, change from the previous one, England's."""
    unit, polarity = indicator["unit"], indicator["polarity"]
    totals = area_totals(rows)
    home = totals[(totals["area_code"] == HOME_AREA) & totals["value"].notna()]
    if values_unpublished(rows):
        return f"{display_name(indicator)}: values {NOT_PUBLISHED}."
    if home.empty:
        return f"No York value for {display_name(indicator)} in the chosen years."
    dated = home[home["period_end"].notna()]
    latest = (dated if not dated.empty else home).iloc[-1]
    when = _period_phrase(latest)
    sentence = f"York {format_value(latest['value'], unit)} {when}"
    earlier = dated[dated["period_end"] < latest["period_end"]] if not dated.empty else dated
    if not earlier.empty:
        prev = earlier.iloc[-1]
        delta = latest["value"] - prev["value"]
        direction = movement(delta)
        verb = {"up": "up from", "down": "down from", "same": "unchanged from"}[direction]
        judgement = change_direction(delta, polarity)
        judged = f" ({judgement})" if judgement in ("better", "worse") else ""
        sentence += f", {verb} {format_value(prev['value'], unit)} in {format_period(prev['period'])}{judged}"
    sentence += "."
    england = totals[(totals["area_code"] == ENGLAND) & totals["value"].notna()]
    if not england.empty:
        same = england[england["period"] == latest["period"]]
        eng = (same if not same.empty else england).iloc[-1]
        sentence += f" England {format_value(eng['value'], unit)} in {format_period(eng['period'])}."
    return sentence


def _period_phrase(row) -> str:
    if is_missing(row["period_end"]) or pd.isna(row["period_end"]):
        return "(period not stated)"
    return f"in {format_period(row['period'])}"


def breakdown_summary(rows: pd.DataFrame, indicator: pd.Series) -> str:
    if values_unpublished(rows):
        return f"{display_name(indicator)}: values {NOT_PUBLISHED}."
    parts = rows[rows["value"].notna()]
    total = parts[parts["category_type"] == ""]
    cats = parts[parts["category_type"] != ""]
    unit = indicator["unit"]
    text = f"{display_name(indicator)} in {format_period(parts.iloc[-1]['period'])}: "
    if not total.empty:
        text += f"total {format_value(total.iloc[-1]['value'], unit)}"
        if not cats.empty:
            top = cats.loc[cast(int, cats["value"].idxmax())]
            text += f"; largest {top['category']} ({format_value(top['value'], unit)})"
    elif not cats.empty:
        top = cats.loc[cast(int, cats["value"].idxmax())]
        text += f"largest {top['category']} ({format_value(top['value'], unit)})"
    return text + "."


def periods_of(rows: pd.DataFrame) -> list[str]:
    """Period labels with a value, oldest first (undated last)."""
    dated = rows[rows["value"].notna()].sort_values(["period_end", "period_start"], na_position="last", kind="stable")
    return list(dict.fromkeys(dated["period"]))


def compare_periods(rows: pd.DataFrame, period_a: str, period_b: str) -> pd.DataFrame:
    """Per area: value in A and B, absolute and % change (A -> B)."""
    totals = area_totals(rows)
    out = []
    for (code, name), group in totals.groupby(["area_code", "area_name"], sort=False):
        a = group.loc[group["period"] == period_a, "value"]
        b = group.loc[group["period"] == period_b, "value"]
        va = float(a.iloc[0]) if len(a) and not pd.isna(a.iloc[0]) else None
        vb = float(b.iloc[0]) if len(b) and not pd.isna(b.iloc[0]) else None
        if va is None and vb is None:
            continue
        out.append({
            "area_code": code, "area_name": name, "period_a": period_a, "value_a": va,
            "period_b": period_b, "value_b": vb,
            "change": None if va is None or vb is None else vb - va,
        })
    frame = pd.DataFrame(out, columns=["area_code", "area_name", "period_a", "value_a", "period_b", "value_b", "change"])
    return frame


def compare_summary(table: pd.DataFrame, indicator: pd.Series) -> str:
    if table.empty:
        return "Neither period has a value for this indicator."
    row = table.iloc[0]
    unit = indicator["unit"]
    if row["change"] is None or pd.isna(row["change"]):
        missing = row["period_a"] if is_missing(row["value_a"]) else row["period_b"]
        return f"{row['area_name']} has no value for {missing}, so no change can be shown."
    judgement = change_direction(row["change"], indicator["polarity"])
    judged = f" ({judgement})" if judgement in ("better", "worse") else ""
    return (
        f"{row['area_name']} {format_value(row['value_a'], unit)} in {row['period_a']} and "
        f"{format_value(row['value_b'], unit)} in {row['period_b']}: "
        f"{format_change(row['change'], unit)}{judged}, {format_percent_change(row['value_a'], row['value_b'])}."
    )


def compare_with_england(rows: pd.DataFrame) -> pd.DataFrame:
    """Periods where York or England has a value: both values and the difference (York - England)."""
    totals = area_totals(rows)
    both = totals[totals["area_code"].isin([HOME_AREA, ENGLAND]) & totals["period_end"].notna()]
    if both.empty:
        return pd.DataFrame(columns=["period", "york", "england", "difference"])
    wide = both.pivot_table(index=["period_end", "period"], columns="area_code", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=[HOME_AREA, ENGLAND])
    wide = wide.reset_index().sort_values("period_end")
    wide = wide[wide[HOME_AREA].notna() | wide[ENGLAND].notna()]
    return pd.DataFrame({
        "period": wide["period"].to_list(),
        "york": wide[HOME_AREA].to_list(),
        "england": wide[ENGLAND].to_list(),
        "difference": (wide[HOME_AREA] - wide[ENGLAND]).to_list(),
    })


def england_summary(table: pd.DataFrame, indicator: pd.Series) -> str:
    paired = table.dropna(subset=["york", "england"])
    unit = indicator["unit"]
    if paired.empty:
        return "The data has no period with both a York and an England value for this indicator."
    row = paired.iloc[-1]
    diff = row["difference"]
    relation = "higher than" if diff > 0 else ("lower than" if diff < 0 else "the same as")
    text = (
        f"In {format_period(row['period'])}, York {format_value(row['york'], unit)} was {relation} England "
        f"{format_value(row['england'], unit)}"
    )
    if diff != 0:
        text += f" by {format_change(abs(diff), unit).lstrip('+')}"
    # No better/worse here: a raw difference is not a significance test.
    return text + "."
