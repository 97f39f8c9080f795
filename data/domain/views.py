"""What an explore view shows, as plain tables and sentences (no Dash).

Each function takes the rows of one indicator and returns exactly what the
chart, its table, its summary and its download show, so all four agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple, cast

import numpy as np
import pandas as pd

from data.domain.dataset import ENGLAND, HOME_AREA, Dataset
from data.domain.formatting import display_name, format_change, format_percent_change, format_period, format_value, is_missing, movement
from data.domain.series import in_years, latest_change, records, source_basis
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
    """True when the indicator is published as categories (courses, ratings) rather than as area totals:
    it has category rows and every area total it has is the total of categories for the same area and
    period (a report table's "Total" row). A Fingertips indicator with England's deprivation deciles
    beside every area's totals is NOT one: its totals are a series, its deciles a breakdown of England."""
    cats = (rows["category_type"] != "").to_numpy()
    if not cats.any():
        return False
    pairs = list(zip(rows["area_code"].tolist(), rows["period"].tolist(), strict=True))
    totals = {p for p, cat in zip(pairs, cats.tolist(), strict=True) if not cat}
    if not totals:
        return True
    return totals <= {p for p, cat in zip(pairs, cats.tolist(), strict=True) if cat}  # every total has categories beside it


def has_breakdowns(rows: pd.DataFrame) -> bool:
    """True when any row is a category (deprivation decile, sex, age group, course...) of its area and period."""
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
    codes = rows["area_code"].to_numpy()
    totals_with_value = (rows["category_type"].to_numpy() == "") & rows["value"].notna().to_numpy()
    home = rows[totals_with_value & (codes == HOME_AREA)]
    if values_unpublished(rows):
        return f"{display_name(indicator)}: values {NOT_PUBLISHED}."
    if home.empty:
        return f"No York value for {display_name(indicator)} in the chosen years."
    shown = records(home, ("period", "period_end", "value"))
    dated = [r for r in shown if not pd.isna(r["period_end"])]
    latest = (dated or shown)[-1]  # the last in the rows' order
    when = _period_phrase(latest)
    sentence = f"York {format_value(latest['value'], unit)} {when}"
    if dated:
        change = latest_change(home)
        prev = change.previous
        if change.comparable and prev is not None:
            delta = latest["value"] - prev["value"]
            verb = {"up": "up from", "down": "down from", "same": "unchanged from"}[movement(delta)]
            judgement = change_direction(delta, polarity)
            judged = f" ({judgement})" if judgement in ("better", "worse") else ""
            back = change.phrase.removeprefix(f"since {format_period(prev['period'])}")
            sentence += f", {verb} {format_value(prev['value'], unit)} in {format_period(prev['period'])}{back}{judged}"
        elif change.prior is not None:
            sentence += f"; {change.phrase}"
    sentence += "."
    england = records(rows[totals_with_value & (codes == ENGLAND)], ("period", "value"))
    if england:
        same = [e for e in england if e["period"] == latest["period"]]
        if same:
            sentence += f" England {format_value(same[-1]['value'], unit)} in {format_period(latest['period'])}."
        else:
            eng = england[-1]
            sentence += (f" England has no value for {format_period(latest['period'])} in the data"
                         f" (latest {format_value(eng['value'], unit)} in {format_period(eng['period'])}).")
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
    """Per area: value in A and B, absolute and % change (A -> B). No change when A and B come from
    different sources (a break in the series: data/domain/series.py); `note` then says why."""
    totals = area_totals(rows)
    out = []
    for (code, name), group in totals.groupby(["area_code", "area_name"], sort=False):
        a = group[group["period"] == period_a]
        b = group[group["period"] == period_b]
        va, vb = _first(a, "value"), _first(b, "value")
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
            # Each value's 95% confidence interval, where the data has one.
            "lower_a": _first(a, "lower_ci"), "upper_a": _first(a, "upper_ci"),
            "lower_b": _first(b, "lower_ci"), "upper_b": _first(b, "upper_ci"),
        })
    return pd.DataFrame(out, columns=["area_code", "area_name", "period_a", "value_a", "period_b", "value_b", "change", "note",
                                      "lower_a", "upper_a", "lower_b", "upper_b"])


def _first(rows: pd.DataFrame, column: str) -> float | None:
    if rows.empty or column not in rows or pd.isna(rows[column].iloc[0]):
        return None
    return float(rows[column].iloc[0])


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
    totals_with_value = (rows["category_type"].to_numpy() == "") & rows["value"].notna().to_numpy()
    periods = {p for p in rows["period"].to_numpy()[totals_with_value].tolist() if not pd.isna(p)}
    if not totals_with_value.any() or len(periods) > 1:  # no total with a value, or more than one period: a chart
        return None
    shown = records(rows[totals_with_value], _HEADLINE_COLUMNS)  # the area totals with a value, in the frame's order
    home = [r for r in shown if r["area_code"] == HOME_AREA]
    row = (home or shown)[0]
    unit = indicator["unit"]
    when = format_period(row["period"]) if not pd.isna(row["period_end"]) else "period not stated"
    lines = [f"Source: {row['source']}."]
    england = [r for r in shown if r["area_code"] == ENGLAND and r["period"] == row["period"]]
    if row["area_code"] != ENGLAND:
        if england:
            eng = float(england[0]["value"])
            lines.append(f"England {format_value(eng, unit)} in {format_period(row['period'])}.")
            comparison = compare(row["note"], row["lower_ci"], row["upper_ci"], eng, indicator["polarity"], row["period"])
            if comparison.result != NOT_COMPARED:
                lines.append(comparison.sentence(row["area_name"]))
        else:
            lines.append(f"England: no value for {format_period(row['period'])} in the data.")
    others = [o for o in shown if o["area_code"] not in (row["area_code"], ENGLAND)]
    lines += [f"{o['area_name']} {format_value(o['value'], unit)} in {format_period(o['period'])}." for o in others]
    return {"value": format_value(row["value"], unit), "caption": f"{row['area_name']}, {when}", "lines": lines}


_HEADLINE_COLUMNS = ("area_code", "area_name", "period", "period_end", "value", "lower_ci", "upper_ci", "note", "source")


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
        f"In {format_period(row['period'])}, York {format_value(row['york'], unit)} was {relation} England "
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


# -- categories in their own order --------------------------------------------------------------------

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_SEXES = {"persons": 0, "male": 1, "males": 1, "female": 2, "females": 2}


def _deprivation_rank(category: str) -> float | None:
    """Fingertips' deprivation labels, most deprived first: "Most deprived decile", "Second most deprived
    decile", "Third more deprived decile" ... "Fifth less deprived decile" ... "Least deprived decile"
    (deciles; quintiles the same, with "Middle quintile")."""
    text = category.lower()
    size = 10 if "decile" in text else (5 if "quintile" in text else None)
    if size is None:
        return None
    words = re.findall(r"[a-z]+", text)
    ordinal = next((_ORDINALS[w] for w in words if w in _ORDINALS), 1)
    if "middle" in words:
        return (size + 1) / 2
    if "most" in words or "more" in words:
        return ordinal
    if "least" in words or "less" in words:
        return size + 1 - ordinal
    return None


def category_key(category: str) -> tuple:
    """Sort key putting categories in their own order: deprivation from most to least deprived, sexes as
    Fingertips lists them (Persons, Male, Female), labels starting with a number (ages "5-9 yrs", ratings
    "1 (not at all)") by that number; any other label keeps the order it came in (a stable sort)."""
    text = str(category).strip()
    rank = _deprivation_rank(text)
    if rank is not None:
        return (0, rank)
    if text.lower() in _SEXES:
        return (1, _SEXES[text.lower()])
    number = re.match(r"<?\s*(\d+(?:\.\d+)?)", text)
    if number:
        return (2, float(number.group(1)))
    return (3, 0)


def in_category_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with their categories in their own order (category_key); a stable sort otherwise."""
    if frame.empty:
        return frame
    keys = frame["category"].map(category_key)
    order = sorted(range(len(frame)), key=lambda i: keys.iloc[i])
    return frame.iloc[order]


# -- the breakdown view: one area, one period, one kind of category ----------------------------------

BREAKDOWN_COLUMNS = ["area_code", "area_name", "period", "category_type", "category", "value", "lower_ci", "upper_ci", "count", "denominator"]


def breakdown_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The category rows with a value."""
    return rows[(rows["category_type"] != "") & rows["value"].notna()]


def breakdown_choice(rows: pd.DataFrame, area: str = "", period: str = "", category_type: str = "") -> tuple[str, str, str] | None:
    """(area, period, category type) a breakdown of these rows shows: each asked-for one when the rows have
    categories for it, else York, then England, then the first area with categories; that area's first
    kind of category; its latest period. None when the rows have no categories."""
    cats = breakdown_rows(rows)
    if cats.empty:
        return None
    codes = list(dict.fromkeys(cats["area_code"]))
    chosen_area = next(a for a in (area, HOME_AREA, ENGLAND, codes[0]) if a in codes)
    cats = cats[cats["area_code"] == chosen_area]
    types = list(dict.fromkeys(cats["category_type"]))
    chosen_type = category_type if category_type in types else types[0]
    cats = cats[cats["category_type"] == chosen_type]
    periods = periods_of(cats)
    chosen_period = period if period in periods else periods[-1]
    return chosen_area, chosen_period, chosen_type


def breakdown_table(rows: pd.DataFrame, area: str, period: str, category_type: str) -> pd.DataFrame:
    """One area's categories of one kind in one period, in the categories' own order, with their
    intervals, counts and denominators."""
    cats = breakdown_rows(rows)
    cats = cats[(cats["area_code"] == area) & (cats["period"] == period) & (cats["category_type"] == category_type)]
    return in_category_order(cats.reindex(columns=BREAKDOWN_COLUMNS)).reset_index(drop=True)


def area_total(rows: pd.DataFrame, area: str, period: str) -> float | None:
    """The area's total (no category) in that period, or None."""
    totals = area_totals(rows)
    hit = totals[(totals["area_code"] == area) & (totals["period"] == period) & totals["value"].notna()]
    return None if hit.empty else float(hit["value"].iloc[0])


def _ci_phrase(row, unit: str) -> str:
    if is_missing(row["lower_ci"]) or is_missing(row["upper_ci"]) or pd.isna(row["lower_ci"]) or pd.isna(row["upper_ci"]):
        return ""
    return f" (95% confidence interval {format_value(row['lower_ci'], unit)} to {format_value(row['upper_ci'], unit)})"


def no_breakdown_text(indicator: pd.Series) -> str:
    return (f"{display_name(indicator)} has no breakdown in the data: no rows by deprivation, sex, age group or other "
            "category, only area totals. Choose another view to see them.")


def breakdown_view_summary(table: pd.DataFrame, indicator: pd.Series, total: float | None = None) -> str:
    """One or two sentences: what the breakdown is, its highest and lowest category, and the area's total."""
    if table.empty:
        return no_breakdown_text(indicator)
    unit = indicator["unit"]
    first = table.iloc[0]
    text = f"{display_name(indicator)}, {first['area_name']}, {format_period(first['period'])}, by {first['category_type']}"
    if len(table) == 1:
        text += f": {first['category']} {format_value(first['value'], unit)}{_ci_phrase(first, unit)}."
    else:
        top = table.loc[cast(int, table["value"].idxmax())]
        low = table.loc[cast(int, table["value"].idxmin())]
        text += (f": highest {top['category']} {format_value(top['value'], unit)}{_ci_phrase(top, unit)}; "
                 f"lowest {low['category']} {format_value(low['value'], unit)}{_ci_phrase(low, unit)}.")
    if total is not None:
        text += f" {first['area_name']} as a whole: {format_value(total, unit)}."
    return text


# -- areas and their types -----------------------------------------------------------------------

ENGLAND_TYPE = "England"
REGION = "Region"
UPPER_TIER = "County & UA"
LOWER_TIER = "District & UA"
OTHER = "Other areas"
# ONS GSS code prefixes (the code's entity type) -> Fingertips' area type. County & UA is the upper tier:
# unitary authorities (E06), metropolitan districts (E08), London boroughs (E09) and counties (E10).
_TYPE_OF_PREFIX = {"E92": ENGLAND_TYPE, "E12": REGION, "E06": UPPER_TIER, "E08": UPPER_TIER, "E09": UPPER_TIER,
                   "E10": UPPER_TIER, "E07": LOWER_TIER}
AREA_TYPES = (ENGLAND_TYPE, REGION, UPPER_TIER, LOWER_TIER, OTHER)  # in the order a list of areas shows them


def area_type(code: str) -> str:
    """The Fingertips area type of an ONS area code (E06000014 -> "County & UA"); the observations keep
    no area type, but the code's first three characters name its kind of area."""
    return _TYPE_OF_PREFIX.get(str(code)[:3], OTHER)


def areas_by_type(areas: dict[str, str]) -> dict[str, dict[str, str]]:
    """{area type: {code: name}} in AREA_TYPES order, York first among its type, names A-Z otherwise."""
    out: dict[str, dict[str, str]] = {t: {} for t in AREA_TYPES}
    ordered = sorted(areas.items(), key=lambda kv: (kv[0] != HOME_AREA, kv[1].lower(), kv[0]))
    for code, name in ordered:
        out[area_type(code)][code] = name
    return {t: members for t, members in out.items() if members}


# -- the compare-areas view: every area of a type in one period, ranked -----------------------------

COMPARE_AREAS_COLUMNS = ["rank", "area_code", "area_name", "period", "value", "lower_ci", "upper_ci", "count", "denominator"]


def compare_areas_periods(rows: pd.DataFrame, kind: str = UPPER_TIER) -> list[str]:
    """Dated periods in which some area of that type has a total, oldest first."""
    totals = area_totals(rows)
    totals = totals[totals["area_code"].map(area_type) == kind]
    return periods_of(totals[totals["period_end"].notna()])


def compare_areas(rows: pd.DataFrame, period: str, kind: str = UPPER_TIER, members: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every area of that type (or, given members, only those areas) with a total in the period, highest
    value first (rank 1), ties in name order; England is never ranked (it is the reference)."""
    totals = area_totals(rows)
    shown = totals[(totals["period"] == period) & totals["value"].notna() & (totals["area_code"].map(area_type) == kind)]
    if members is not None:
        shown = shown[shown["area_code"].isin(list(members))]
    shown = shown.drop_duplicates("area_code").sort_values(["value", "area_name"], ascending=[False, True], kind="stable")
    out = shown.reindex(columns=COMPARE_AREAS_COLUMNS[1:]).reset_index(drop=True)
    out.insert(0, "rank", shown["value"].rank(method="min", ascending=False).astype(int).to_list())
    return out


def england_value(rows: pd.DataFrame, period: str) -> float | None:
    return area_total(rows, ENGLAND, period)


def compare_areas_summary(table: pd.DataFrame, indicator: pd.Series, period: str, england: float | None,
                          kind: str = UPPER_TIER, group: str = "") -> str:
    """Where York ranks among the areas shown, its interval, the range and England's value."""
    kinds = "regions" if kind == REGION else f"{kind} areas"
    among = f"areas in the {group} group" if group else kinds
    if table.empty:
        return f"No {among} have a value for {display_name(indicator)} in {period or 'the chosen period'}."
    unit, n = indicator["unit"], len(table)
    top, bottom = table.iloc[0], table.iloc[-1]
    home = table[table["area_code"] == HOME_AREA]
    if home.empty:
        text = f"York is not among the {n} {among} with a value in {period}."
    else:
        york = home.iloc[0]
        text = (f"In {period}, York {format_value(york['value'], unit)}{_ci_phrase(york, unit)} ranks "
                f"{int(york['rank'])} of the {n} {among}, highest first.")
    text += (f" Highest {top['area_name']} {format_value(top['value'], unit)}, lowest "
             f"{bottom['area_name']} {format_value(bottom['value'], unit)}.")
    if england is not None:
        text += f" England {format_value(england, unit)}."
    return text


# -- what the explore controls offer, from one pass per indicator ------------------------------------
#
# Every view's options (its periods, area types, breakdown areas and kinds) are read from the same few
# facts about each chosen indicator's rows, worked out once per data version and indicator (not per
# combination of indicators, which is what an uncached request brings): `option_facts`. A period is kept
# as a row (end, start, position, period code) of an int64 array, so the union of several indicators'
# periods sorts exactly as `periods_of` sorts their rows (period end, then start, undated last, ties in
# the frame's order, then by label). Arrays, not tuples: at 1M rows a tuple per period held ~140 MB a
# worker once every indicator's facts were kept; the arrays hold 32 bytes a period.

_LAST = np.iinfo(np.int64).max  # an undated period's end or start: after every date, as na_position="last"
_END, _START, _POSITION, _PERIOD = range(4)  # the columns of a facts' period array


@dataclass(frozen=True)
class PeriodRows:
    """Periods of some of an indicator's rows: `keys` an (n, 4) int64 array (end, start, position, code into
    `labels`), one row per distinct (area, end, start, period), at its first position in the frame."""

    keys: np.ndarray
    labels: np.ndarray  # object array of period labels (shared by the indicator's PeriodRows)


@dataclass(frozen=True)
class OptionFacts:
    """One indicator's facts the explore controls read (see `option_facts`)."""

    totals: dict[str, PeriodRows]  # area -> its dated area totals with a value
    total_areas: frozenset[str]  # areas with an area total (with a value or not, dated or not)
    categories: dict[str, PeriodRows]  # area -> periods of its category rows with a value
    category_kinds: dict[str, tuple[tuple[int, str], ...]]  # area -> (first position, kind of category)
    all_totals: PeriodRows  # every area's dated totals with a value (the union of `totals`)
    all_categories: PeriodRows  # every area's category periods with a value


class _Columns(NamedTuple):
    """One indicator's rows as arrays: areas and periods as codes into their labels, dates as numbers."""

    area: np.ndarray
    area_names: list[str]
    end: np.ndarray  # int64 nanoseconds, an undated row _LAST (sorts last, as na_position="last")
    start: np.ndarray
    period: np.ndarray
    period_names: np.ndarray
    position: np.ndarray


def sortable_dates(column: pd.Series) -> np.ndarray:
    """A date column as int64 nanoseconds that sort as sort_values sorts it (missing dates last: _LAST)."""
    values = column.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return np.where(values == np.iinfo(np.int64).min, _LAST, values)


def _period_keys(c: _Columns, mask: np.ndarray) -> tuple[dict[str, PeriodRows], PeriodRows]:
    """(area -> the distinct (end, start, position, period) of its masked rows, each at its first position;
    the same for every area together)."""
    at = np.flatnonzero(mask)
    if not len(at):
        return {}, PeriodRows(np.empty((0, 4), dtype=np.int64), c.period_names)
    # The first row of each distinct (area, end, start, period), in the frame's order.
    _, first = np.unique(np.column_stack([c.area[at], c.end[at], c.start[at], c.period[at]]), axis=0, return_index=True)
    rows = at[np.sort(first)]
    areas = c.area[rows]
    order = np.argsort(areas, kind="stable")  # grouped by area, each area's rows in the frame's order
    keys = np.column_stack([c.end[rows], c.start[rows], c.position[rows], c.period[rows]]).astype(np.int64)[order]
    present, starts = np.unique(areas[order], return_index=True)
    stops = [*starts[1:].tolist(), len(keys)]
    per_area = {c.area_names[a]: PeriodRows(keys[b:e], c.period_names)
                for a, b, e in zip(present.tolist(), starts.tolist(), stops, strict=True)}
    return per_area, PeriodRows(keys, c.period_names)


def option_facts(dataset: Dataset, indicator_id: str) -> OptionFacts | None:
    """The facts of one indicator's rows, once per data version; None when positions cannot be read from the
    frame's index (then callers work from the rows as before)."""
    if not dataset.observations.index.is_monotonic_increasing:
        return None

    def build() -> OptionFacts:
        rows = dataset.observations_for([indicator_id])
        area, area_names = pd.factorize(rows["area_code"].to_numpy(), use_na_sentinel=False)
        period, period_names = pd.factorize(rows["period"].to_numpy(), use_na_sentinel=False)
        kind, kind_names = pd.factorize(rows["category_type"].to_numpy(), use_na_sentinel=False)
        c = _Columns(area, list(area_names), sortable_dates(rows["period_end"]), sortable_dates(rows["period_start"]), period,
                     np.asarray(period_names, dtype=object), rows.index.to_numpy())
        has_value = rows["value"].notna().to_numpy()
        total = (rows["category_type"] == "").to_numpy()
        cats = np.flatnonzero(~total & has_value)
        kinds: dict[str, dict[str, int]] = {}
        if len(cats):  # the first row of each (area, kind of category), in the frame's order
            _, first = np.unique(np.column_stack([area[cats], kind[cats]]), axis=0, return_index=True)
            at = cats[np.sort(first)]
            kind_labels = list(kind_names)
            for a, k, pos in zip(area[at].tolist(), kind[at].tolist(), c.position[at].tolist(), strict=True):
                kinds.setdefault(c.area_names[a], {})[kind_labels[k]] = pos
        totals, all_totals = _period_keys(c, total & has_value & (c.end != _LAST))
        categories, all_categories = _period_keys(c, ~total & has_value)
        return OptionFacts(
            totals=totals,
            total_areas=frozenset(c.area_names[a] for a in np.unique(area[total]).tolist()),
            categories=categories,
            category_kinds={a: tuple((p, k) for k, p in found.items()) for a, found in kinds.items()},
            all_totals=all_totals,
            all_categories=all_categories,
        )
    return dataset.cache.remember("option_facts", indicator_id, build, maxsize=4096)


def periods_in_order(parts) -> list[str]:
    """Period labels of these PeriodRows together, oldest first (undated last), each once: as `periods_of`
    orders rows (end, start, the frame's order, then the label)."""
    parts = [p for p in parts if len(p.keys)]
    if not parts:
        return []
    keys = np.concatenate([p.keys for p in parts]) if len(parts) > 1 else parts[0].keys
    labels = np.concatenate([p.labels[p.keys[:, _PERIOD]] for p in parts])
    _, label_rank = np.unique(labels.astype(str), return_inverse=True)
    order = np.lexsort((label_rank, keys[:, _POSITION], keys[:, _START], keys[:, _END]))
    return list(dict.fromkeys(labels[order].tolist()))


def facts_periods(facts: list[OptionFacts], areas=None) -> list[str]:
    """Dated periods with an area total of these indicators in these areas (every area when none): as
    `periods_of` of those rows."""
    if areas:
        return periods_in_order(f.totals[a] for f in facts for a in dict.fromkeys(areas) if a in f.totals)
    return periods_in_order(f.all_totals for f in facts)


def facts_area_types(facts: list[OptionFacts]) -> set[str]:
    """The area types with an area total."""
    return {area_type(a) for f in facts for a in f.total_areas}


def facts_type_periods(facts: list[OptionFacts], kind: str) -> list[str]:
    """As compare_areas_periods: dated periods in which some area of that type has a total."""
    return periods_in_order(rows for f in facts for a, rows in f.totals.items() if area_type(a) == kind)


def facts_category_areas(facts: list[OptionFacts]) -> set[str]:
    return {a for f in facts for a in f.categories}


def facts_category_periods(facts: list[OptionFacts], area: str) -> list[str]:
    """As periods_of the area's category rows (every area's when it has none)."""
    mine = [f.categories[area] for f in facts if area in f.categories]
    return periods_in_order(mine if mine else [f.all_categories for f in facts])


def facts_category_kinds(facts: list[OptionFacts], area: str) -> list[str]:
    """Kinds of category of the area's rows (every area's when it has none), in the frame's order."""
    mine = [k for f in facts for k in f.category_kinds.get(area, ())]
    if not mine:
        mine = [k for f in facts for keys in f.category_kinds.values() for k in keys]
    return list(dict.fromkeys(kind for _, kind in sorted(mine)))
