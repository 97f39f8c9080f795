"""Breakdown: one area's categories (deprivation deciles, sexes, age groups, courses, ratings) in one
period, as bars with their 95% confidence intervals, in the categories' own order.

The area, the period and the kind of category are chosen; a card whose indicator has none of the chosen
ones shows its own nearest (York, then England; its latest period) and says which. An indicator
published only as categories (the report's courses and ratings) is shown this way whichever view is
chosen (the registry's card_view)."""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import pandas as pd
from dash import html

from data.domain.dataset import ENGLAND, HOME_AREA, Dataset
from data.domain.formatting import display_name
from data.domain.views import (
    area_total,
    breakdown_choice,
    breakdown_rows,
    breakdown_table,
    breakdown_view_summary,
    facts_category_areas,
    facts_category_kinds,
    facts_category_periods,
    no_breakdown_text,
    periods_of,
)
from layouts.charts import interval_bars
from layouts.components import data_table, measure_columns
from layouts.explore_filters import indicator_facts
from layouts.explore_views.base import ExploreView, ViewControls, ViewField

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState

GROUP_ID = "explore-breakdown-fields"
AREA_ID = "explore-breakdown-area"
PERIOD_ID = "explore-breakdown-period"
KIND_ID = "explore-breakdown-kind"


class Shown(NamedTuple):
    table: pd.DataFrame  # the categories shown (empty: the indicator has no breakdown)
    total: float | None  # the area's own total in that period


def _category_rows(dataset: Dataset, state: ExploreState) -> pd.DataFrame:
    """Category rows of the chosen indicators in every area (a breakdown may be England's alone)."""
    def build():
        return breakdown_rows(dataset.observations_for(list(state.indicators)))
    return dataset.cache.remember("breakdown_category_rows", tuple(state.indicators), build)


def area_options(dataset: Dataset, state: ExploreState) -> list[str]:
    """Areas with categories: York, England, then the rest as the data lists them."""
    facts = indicator_facts(dataset, state.indicators)
    codes = facts_category_areas(facts) if facts is not None else set(_category_rows(dataset, state)["area_code"])
    return [c for c in dataset.areas if c in codes]


def period_options(dataset: Dataset, state: ExploreState) -> list[str]:
    facts = indicator_facts(dataset, state.indicators)
    if facts is not None:
        return facts_category_periods(facts, state.choice("breakdown_area"))
    cats = _category_rows(dataset, state)
    area = state.choice("breakdown_area")
    mine = cats[cats["area_code"] == area]
    return periods_of(mine if not mine.empty else cats)


def kind_options(dataset: Dataset, state: ExploreState) -> list[str]:
    facts = indicator_facts(dataset, state.indicators)
    if facts is not None:
        return facts_category_kinds(facts, state.choice("breakdown_area"))
    cats = _category_rows(dataset, state)
    area = state.choice("breakdown_area")
    mine = cats[cats["area_code"] == area]
    return list(dict.fromkeys((mine if not mine.empty else cats)["category_type"]))


def _first_area(offered: list[str]) -> str:
    return next((a for a in (HOME_AREA, ENGLAND) if a in offered), offered[0] if offered else "")


def _choice(rows: pd.DataFrame, state: ExploreState):
    return breakdown_choice(rows, state.choice("breakdown_area"), state.choice("breakdown_period"), state.choice("breakdown_kind"))


def _rows(rows: pd.DataFrame, state: ExploreState) -> pd.DataFrame:
    """What the card shows and downloads: the chosen categories and the area's total beside them."""
    picked = _choice(rows, state)
    if picked is None:  # no breakdown with values: the chosen areas' rows (the card says why in words and downloads these)
        return rows[rows["area_code"].isin(list(state.areas))]
    area, period, kind = picked
    at = (rows["area_code"] == area) & (rows["period"] == period)
    return rows[at & ((rows["category_type"] == kind) | (rows["category_type"] == ""))]


def _shape(rows: pd.DataFrame, state: ExploreState) -> Shown:
    picked = _choice(rows, state)
    if picked is None:
        return Shown(breakdown_table(rows, "", "", ""), None)
    area, period, kind = picked
    return Shown(breakdown_table(rows, area, period, kind), area_total(rows, area, period))


def _figure(shown: Shown, ind: pd.Series, state: ExploreState):
    t = shown.table
    if t.empty:
        return None  # no chart: the summary says there is no breakdown
    reference = (f"{t['area_name'].iloc[0]} as a whole", shown.total) if shown.total is not None and len(t) else None
    return interval_bars(t["category"].tolist(), t["value"].tolist(), t["lower_ci"].tolist(), t["upper_ci"].tolist(), ind["unit"],
                         others_name="Categories", reference=reference)  # the kind of category is in the caption and table


def _table(shown: Shown, ind: pd.Series, state: ExploreState):
    t = shown.table
    if t.empty:
        return html.P(no_breakdown_text(ind))
    frame = pd.DataFrame({"Category": t["category"], **measure_columns(t, ind["unit"])})
    if shown.total is not None:
        total = pd.DataFrame({"Category": [f"{t['area_name'].iloc[0]} as a whole (all categories)"], "Value": [measure_columns(
            pd.DataFrame({"value": [shown.total], "lower_ci": [None], "upper_ci": [None], "count": [None], "denominator": [None]}), ind["unit"])["Value"][0]]})
        frame = pd.concat([frame, total], ignore_index=True)
    return data_table(frame, f"{display_name(ind)}: {t['area_name'].iloc[0]}, {t['period'].iloc[0]}, by {t['category_type'].iloc[0]}", row_header="Category")


VIEW = ExploreView(
    key="breakdown",
    label="Breakdown (deprivation, sex, age...)",
    rows=_rows,
    shape=_shape,
    figure=_figure,
    table=_table,
    summary=lambda shown, ind, state: breakdown_view_summary(shown.table, ind, shown.total),
    every_area=True,  # a breakdown may be of an area not among the chosen ones (England's deprivation deciles)
    controls=ViewControls(
        group_id=GROUP_ID,
        options=period_options,
        fields=(
            ViewField("breakdown_area", "Breakdown of area", AREA_ID, pick=_first_area, options=area_options,
                      labels=lambda dataset: dataset.areas),
            ViewField("breakdown_kind", "Broken down by", KIND_ID, pick=lambda kinds: kinds[0] if kinds else "", options=kind_options),
            ViewField("breakdown_period", "Breakdown period", PERIOD_ID, pick=lambda periods: periods[-1] if periods else "", options=period_options),
        ),
    ),
)
