"""Trend over time: each area's values by period, a line per area."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data.domain.formatting import display_name
from data.domain.views import area_totals, trend_summary
from layouts.charts import bar_figure, trend_figure
from layouts.components import data_table
from layouts.explore_views.base import ExploreView, value_text

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState


def _shown(totals: pd.DataFrame) -> pd.DataFrame:
    return totals[totals["value"].notna()]


def _figure(totals: pd.DataFrame, ind: pd.Series, state: ExploreState):
    shown = _shown(totals)
    if shown["period"].nunique() <= 1:
        # One period is not a trend: a bar per area, from zero, reads better than a lone dot.
        label = shown["period"].iloc[0] if len(shown) else ""
        return bar_figure(shown["area_name"].tolist(), [(label, shown["value"].tolist())], ind["unit"])
    return trend_figure(totals, ind["unit"], list(state.areas))


def _table(totals: pd.DataFrame, ind: pd.Series, state: ExploreState):
    shown, unit = _shown(totals), ind["unit"]
    return data_table(
        pd.DataFrame({
            "Period": shown["period"], "Area": shown["area_name"], "Value": [value_text(v, unit) for v in shown["value"]],
            "95% CI": [f"{value_text(lo, unit)} to {value_text(hi, unit)}" if not pd.isna(lo) else ""
                       for lo, hi in zip(shown["lower_ci"], shown["upper_ci"], strict=True)],
            "Source": shown["source"],
        }),
        f"{display_name(ind)}: values shown in the chart", row_header="Period",
    )


VIEW = ExploreView(
    key="trend",
    label="Trend over time",
    shape=lambda rows, state: area_totals(rows),
    figure=_figure,
    table=_table,
    summary=lambda totals, ind, state: trend_summary(totals, ind),
)
