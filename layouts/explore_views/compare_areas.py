"""Compare areas (Fingertips' compare-areas chart): every area of one type in one period, highest value
first, with 95% confidence intervals as error bars, York marked (its own colour, a pattern, a legend
entry and a "York" marker in its label) and England's value as a dashed reference line; optionally
only a comparator group's areas (data/storage/area_groups.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from data.domain.dataset import HOME_AREA, Dataset
from data.domain.formatting import display_name
from data.domain.views import (
    UPPER_TIER,
    area_totals,
    area_type,
    compare_areas,
    compare_areas_periods,
    compare_areas_summary,
    england_value,
    facts_area_types,
    facts_type_periods,
)
from data.storage.area_groups import Groups, group_codes, read_bundled_groups
from layouts.charts import interval_bars
from layouts.components import data_table, measure_columns
from layouts.explore_filters import indicator_facts
from layouts.explore_views.base import ExploreView, ViewControls, ViewField

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState

GROUP_ID = "explore-compare-areas-fields"
KIND_ID = "explore-compare-areas-type"
PERIOD_ID = "explore-compare-areas-period"
AREA_GROUP_ID = "explore-compare-areas-group"
EVERY_AREA = "all"  # the group select's "no group" choice
YORK_MARK = "► "  # York's label starts with a marker: not colour alone

_groups: Callable[[], Groups] = read_bundled_groups  # the app sets the store's (callbacks/explore.register)


def use_groups(source: Callable[[], Groups]) -> None:
    """Where the comparator groups come from (the store); the bundled ones until the app says."""
    global _groups
    _groups = source


def current_groups() -> Groups:
    return _groups()


def _totals(dataset: Dataset, state: ExploreState) -> pd.DataFrame:
    def build():
        return area_totals(dataset.observations_for(list(state.indicators)))
    return dataset.cache.remember("compare_areas_totals", tuple(state.indicators), build)


def kind_options(dataset: Dataset, state: ExploreState) -> list[str]:
    """Area types (other than England) with values, County & UA (York's) first."""
    facts = indicator_facts(dataset, state.indicators)
    found = facts_area_types(facts) if facts is not None else set(_totals(dataset, state)["area_code"].map(area_type))
    kinds = found - {"England"}
    return sorted(kinds, key=lambda k: (k != UPPER_TIER, k))


def period_options(dataset: Dataset, state: ExploreState) -> list[str]:
    """The periods of the state's area type (or, when that is not offered, of the type that will be picked)."""
    kinds = kind_options(dataset, state)
    kind = state.choice("areas_type") if state.choice("areas_type") in kinds else (kinds[0] if kinds else UPPER_TIER)
    facts = indicator_facts(dataset, state.indicators)
    return facts_type_periods(facts, kind) if facts is not None else compare_areas_periods(_totals(dataset, state), kind)


def group_options(dataset: Dataset, state: ExploreState) -> list[str]:
    return [EVERY_AREA, *current_groups()]


def _members(state: ExploreState) -> tuple[str, ...] | None:
    group = state.choice("areas_group")
    return None if group in ("", EVERY_AREA) else group_codes(current_groups(), group)


def _rows(rows: pd.DataFrame, state: ExploreState) -> pd.DataFrame:
    """What the card shows and downloads: the ranked areas' totals in the period, and England's."""
    table = _shape(rows, state)[0]
    totals = area_totals(rows)
    shown = set(table["area_code"]) | {"E92000001"}
    return totals[(totals["period"] == state.choice("areas_period")) & totals["area_code"].isin(shown)]


def _shape(rows: pd.DataFrame, state: ExploreState) -> tuple[pd.DataFrame, float | None]:
    period, kind = state.choice("areas_period"), state.choice("areas_type") or UPPER_TIER
    return compare_areas(rows, period, kind, _members(state)), england_value(rows, period)


def _label(row) -> str:
    return (YORK_MARK if row["area_code"] == HOME_AREA else "") + row["area_name"]


def _figure(shaped, ind: pd.Series, state: ExploreState):
    table, england = shaped
    if table.empty:
        return None
    labels = [f"{r} {_label(row)}" for r, (_, row) in zip(table["rank"], table.iterrows(), strict=True)]
    return interval_bars(labels, table["value"].tolist(), table["lower_ci"].tolist(), table["upper_ci"].tolist(), ind["unit"],
                         highlight=[c == HOME_AREA for c in table["area_code"]], highlight_name="York", others_name="Other areas",
                         reference=("England", england) if england is not None else None)


def _table(shaped, ind: pd.Series, state: ExploreState):
    table, england = shaped
    frame = pd.DataFrame({"Rank": [str(r) for r in table["rank"]], "Area": [_label(row) for _, row in table.iterrows()],
                          **measure_columns(table, ind["unit"])})
    if england is not None:
        frame = pd.concat([frame, pd.DataFrame({"Rank": ["-"], "Area": ["England (reference, not ranked)"],
                                                **measure_columns(pd.DataFrame({"value": [england]}), ind["unit"])})], ignore_index=True)
    group = state.choice("areas_group")
    among = f"areas of the {group} group" if group not in ("", EVERY_AREA) else f"{state.choice('areas_type') or UPPER_TIER} areas"
    return data_table(frame.fillna(""), f"{display_name(ind)}: {among} in {state.choice('areas_period')}, highest first", row_header="Area")


def _summary(shaped, ind: pd.Series, state: ExploreState) -> str:
    table, england = shaped
    group = state.choice("areas_group")
    return compare_areas_summary(table, ind, state.choice("areas_period"), england, state.choice("areas_type") or UPPER_TIER,
                                 group if group not in ("", EVERY_AREA) else "")


VIEW = ExploreView(
    key="areas",
    label="Compare areas",
    rows=_rows,
    shape=_shape,
    figure=_figure,
    table=_table,
    summary=_summary,
    every_area=True,
    cache_key=lambda state: tuple(sorted(current_groups().items())),  # a group's areas may change between requests
    controls=ViewControls(
        group_id=GROUP_ID,
        options=period_options,
        fields=(
            ViewField("areas_type", "Areas of type", KIND_ID, pick=lambda kinds: kinds[0] if kinds else "", options=kind_options),
            ViewField("areas_period", "Period", PERIOD_ID, pick=lambda periods: periods[-1] if periods else "", options=period_options),
            ViewField("areas_group", "Comparator group", AREA_GROUP_ID, pick=lambda groups: EVERY_AREA, options=group_options,
                      labels=lambda dataset: {EVERY_AREA: "Every area of the type"}),
        ),
    ),
)
