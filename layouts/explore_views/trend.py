"""Trend over time: each area's values by period, a line per area."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data.domain.formatting import display_name
from data.domain.series import break_caption
from data.domain.views import area_totals, headline, trend_summary
from layouts.charts import headline_parts, trend_figure
from layouts.components import data_table, measure_columns
from layouts.explore_views.base import ExploreView

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState


def _shown(totals: pd.DataFrame) -> pd.DataFrame:
    return totals[totals["value"].notna()]


def _figure(totals: pd.DataFrame, ind: pd.Series, state: ExploreState):
    single = headline(totals, ind)
    if single is not None:  # one value is a number, not a chart
        return headline_parts(single["value"], single["caption"], single["lines"])
    return trend_figure(totals, ind["unit"], list(state.areas))


def _table(totals: pd.DataFrame, ind: pd.Series, state: ExploreState):
    shown, unit = _shown(totals), ind["unit"]
    return data_table(
        pd.DataFrame({
            "Period": shown["period"], "Area": shown["area_name"], **measure_columns(shown, unit),  # value, 95% CI, count, denominator
            "Source": shown["source"],
        }),
        f"{display_name(ind)}: values shown in the chart", row_header="Period",
    )


VIEW = ExploreView(
    key="trend",
    label="Trend over time",
    rows=lambda rows, state: area_totals(rows),  # what it shows and downloads: area totals, never a breakdown
    shape=lambda rows, state: area_totals(rows),
    figure=_figure,
    table=_table,
    summary=lambda totals, ind, state: " ".join(t for t in (trend_summary(totals, ind), break_caption(totals)) if t),
)
