"""What an explore view shows, as plain tables and sentences (no Dash).

Each function takes the rows of one indicator and returns exactly what the
chart, its table, its summary and its download show, so all four agree.
"""
from __future__ import annotations

from typing import cast

import pandas as pd

from data.domain.dataset import ENGLAND, HOME_AREA, Dataset
from data.domain.formatting import format_change, format_percent_change, format_value, is_missing, movement
from data.domain.series import in_years, latest_change, source_basis
from data.domain.significance import NOT_COMPARED, Comparison
from data.domain.significance import compare_with_england as compare
from data.domain.status import change_direction

NOT_PUBLISHED = "not published in the report text"


def indicator_rows(dataset: Dataset, indicator_id: str, areas=None, from_year=None, to_year=None) -> pd.DataFrame:
    """Rows of one indicator for the chosen areas and years (undated rows are always kept): a period is in
    the years when it starts in them, read on its own basis (financial, academic, calendar)."""
    rows = dataset.observations_for([indicator_id], None, areas)
    if from_year is None and to_year is None:
        return rows
    # Each period on its own basis: "from 2018" keeps 2018/19 and 2018, not 2017/18 (which ends in 2018).
    return rows[in_years(rows, None if from_year is None else int(from_year), None if to_year is None else int(to_year))]


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
    """One sentence from the data: latest home value, the change since the previous value of the same
    source (with how far back it is; none across a break), England's value for the same period."""
    unit, polarity = indicator["unit"], indicator["polarity"]
    totals = area_totals(rows)
    home = totals[(totals["area_code"] == HOME_AREA) & totals["value"].notna()]
    if values_unpublished(rows):
        return f"{indicator['name']}: values {NOT_PUBLISHED}."
    if home.empty:
        return f"No York value for {indicator['name']} in the chosen years."
    dated = home[home["period_end"].notna()]
    latest = (dated if not dated.empty else home).iloc[-1]
    when = _period_phrase(latest)
    sentence = f"York {format_value(latest['value'], unit)} {when}"
    if not dated.empty:
        change = latest_change(home)
        prev = change.previous
        if change.comparable and prev is not None:
            delta = latest["value"] - prev["value"]
            verb = {"up": "up from", "down": "down from", "same": "unchanged from"}[movement(delta)]
            judgement = change_direction(delta, polarity)
            judged = f" ({judgement})" if judgement in ("better", "worse") else ""
            back = change.phrase.removeprefix(f"since {prev['period']}")
            sentence += f", {verb} {format_value(prev['value'], unit)} in {prev['period']}{back}{judged}"
        elif change.prior is not None:
            sentence += f"; {change.phrase}"
    sentence += "."
    england = totals[(totals["area_code"] == ENGLAND) & totals["value"].notna()]
    if not england.empty:
        same = england[england["period"] == latest["period"]]
        if not same.empty:
            sentence += f" England {format_value(same.iloc[-1]['value'], unit)} in {latest['period']}."
        else:
            eng = england.iloc[-1]
            sentence += f" England has no value for {latest['period']} in the data (latest {format_value(eng['value'], unit)} in {eng['period']})."
    return sentence


def _period_phrase(row) -> str:
    if is_missing(row["period_end"]) or pd.isna(row["period_end"]):
        return "(period not stated)"
    return f"in {row['period']}"


def breakdown_summary(rows: pd.DataFrame, indicator: pd.Series) -> str:
    if values_unpublished(rows):
        return f"{indicator['name']}: values {NOT_PUBLISHED}."
    parts = rows[rows["value"].notna()]
    total = parts[parts["category_type"] == ""]
    cats = parts[parts["category_type"] != ""]
    unit = indicator["unit"]
    text = f"{indicator['name']} in {parts.iloc[-1]['period']}: "
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
    """Per area: value in A and B, absolute and % change (A -> B). No change when A and B come from
    different sources (a break in the series: data/domain/series.py); `note` then says why."""
    totals = area_totals(rows)
    out = []
    for (code, name), group in totals.groupby(["area_code", "area_name"], sort=False):
        a = group.loc[group["period"] == period_a]
        b = group.loc[group["period"] == period_b]
        va = float(a["value"].iloc[0]) if len(a) and not pd.isna(a["value"].iloc[0]) else None
        vb = float(b["value"].iloc[0]) if len(b) and not pd.isna(b["value"].iloc[0]) else None
        if va is None and vb is None:
            continue
        basis_a = source_basis(str(a["source"].iloc[0])) if len(a) else ""
        basis_b = source_basis(str(b["source"].iloc[0])) if len(b) else ""
        comparable = va is not None and vb is not None and basis_a == basis_b
        note = "" if comparable or va is None or vb is None else f"not comparable: {period_a} is from {basis_a}, {period_b} from {basis_b}"
        out.append({
            "area_code": code, "area_name": name, "period_a": period_a, "value_a": va,
            "period_b": period_b, "value_b": vb,
            "change": vb - va if comparable and va is not None and vb is not None else None, "note": note,
        })
    return pd.DataFrame(out, columns=["area_code", "area_name", "period_a", "value_a", "period_b", "value_b", "change", "note"])


def compare_summary(table: pd.DataFrame, indicator: pd.Series) -> str:
    if table.empty:
        return "Neither period has a value for this indicator."
    row = table.iloc[0]
    unit = indicator["unit"]
    if row["note"]:
        return (f"{row['area_name']} {format_value(row['value_a'], unit)} in {row['period_a']} and "
                f"{format_value(row['value_b'], unit)} in {row['period_b']}: no change is stated, the values are {row['note']}.")
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
    """Periods where York or England has a value, oldest first: both values, the difference (York - England),
    the period's dates (for a time axis) and York's 95% CI and note (for the comparison with England)."""
    columns = ["period", "york", "england", "difference", "period_start", "period_end", "york_lower", "york_upper", "york_note"]
    totals = area_totals(rows)
    both = totals[totals["area_code"].isin([HOME_AREA, ENGLAND]) & totals["period_end"].notna()]
    if both.empty:
        return pd.DataFrame(columns=columns)
    out = []
    for (end, start, period), group in both.groupby(["period_end", "period_start", "period"], sort=True):
        york = group[group["area_code"] == HOME_AREA]
        eng = group[group["area_code"] == ENGLAND]
        y = float(york["value"].iloc[0]) if len(york) and not pd.isna(york["value"].iloc[0]) else None
        e = float(eng["value"].iloc[0]) if len(eng) and not pd.isna(eng["value"].iloc[0]) else None
        if y is None and e is None:
            continue
        out.append({
            "period": period, "york": y, "england": e, "difference": None if y is None or e is None else y - e,
            "period_start": start, "period_end": end,
            "york_lower": float(york["lower_ci"].iloc[0]) if len(york) and not pd.isna(york["lower_ci"].iloc[0]) else None,
            "york_upper": float(york["upper_ci"].iloc[0]) if len(york) and not pd.isna(york["upper_ci"].iloc[0]) else None,
            "york_note": str(york["note"].iloc[0]) if len(york) else "",
        })
    frame = pd.DataFrame(out, columns=columns)
    frame["difference"] = frame["difference"].astype("float64")
    return frame


def england_comparisons(table: pd.DataFrame, polarity: str) -> list[Comparison]:
    """compare_with_england's rows, each compared Fingertips' way (data/domain/significance.py)."""
    return [
        compare(r["york_note"], r["york_lower"], r["york_upper"], r["england"], polarity, r["period"]) if not is_missing(r["york"])
        else Comparison(NOT_COMPARED, "", r["period"])
        for r in table.to_dict("records")
    ]


def headline(rows: pd.DataFrame, indicator: pd.Series) -> dict | None:
    """One value is a number, not a chart (issue 13, point 8): when York (or the only area) has a single
    value, its figure, period, source and England's value in words; None when there is more to draw."""
    totals = area_totals(rows)
    shown = totals[totals["value"].notna()]
    if shown.empty or shown["period"].nunique() > 1:
        return None
    home = shown[shown["area_code"] == HOME_AREA]
    row = (home if not home.empty else shown).iloc[0]
    unit = indicator["unit"]
    when = row["period"] if not pd.isna(row["period_end"]) else "period not stated"
    lines = [f"Source: {row['source']}."]
    england = shown[(shown["area_code"] == ENGLAND) & (shown["period"] == row["period"])]
    if row["area_code"] != ENGLAND:
        if not england.empty:
            eng = float(england["value"].iloc[0])
            lines.append(f"England {format_value(eng, unit)} in {row['period']}.")
            comparison = compare(row["note"], row["lower_ci"], row["upper_ci"], eng, indicator["polarity"], row["period"])
            if comparison.result != NOT_COMPARED:
                lines.append(comparison.sentence(row["area_name"]))
        else:
            lines.append(f"England: no value for {row['period']} in the data.")
    others = shown[~shown["area_code"].isin([row["area_code"], ENGLAND])]
    lines += [f"{o['area_name']} {format_value(o['value'], unit)} in {o['period']}." for o in others.to_dict("records")]
    return {"value": format_value(row["value"], unit), "caption": f"{row['area_name']}, {when}", "lines": lines}


def england_summary(table: pd.DataFrame, indicator: pd.Series) -> str:
    paired = table.dropna(subset=["york", "england"])
    comparisons = england_comparisons(paired, indicator["polarity"])
    unit = indicator["unit"]
    if paired.empty:
        return "The data has no period with both a York and an England value for this indicator."
    row = paired.iloc[-1]
    diff = row["difference"]
    relation = "higher than" if diff > 0 else ("lower than" if diff < 0 else "the same as")
    text = (
        f"In {row['period']}, York {format_value(row['york'], unit)} was {relation} England "
        f"{format_value(row['england'], unit)}"
    )
    if diff != 0:
        text += f" by {format_change(abs(diff), unit).lstrip('+')}"
    # Better/worse only from the source's statement or the confidence interval: a raw difference is not a test.
    text += "."
    latest = comparisons[-1]
    if latest.result != NOT_COMPARED:
        text += " " + latest.sentence()
    else:
        text += " Not compared for significance: the data has no confidence interval or stated comparison for this period."
    return text
