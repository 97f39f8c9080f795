"""Trend over time: each area's values by period, a line per area."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data.domain.series import break_caption
from data.domain.views import area_totals, headline, trend_summary
from layouts.charts import headline_parts, trend_figure
from layouts.components import data_table
from layouts.explore_views.base import ExploreView, value_text

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
            "Period": shown["period"], "Area": shown["area_name"], "Value": [value_text(v, unit) for v in shown["value"]],
            "95% CI": [f"{value_text(lo, unit)} to {value_text(hi, unit)}" if not pd.isna(lo) else ""
                       for lo, hi in zip(shown["lower_ci"], shown["upper_ci"], strict=True)],
            "Source": shown["source"],
        }),
        f"{ind['name']}: values shown in the chart", row_header="Period",
    )


VIEW = ExploreView(
    key="trend",
    label="Trend over time",
    shape=lambda rows, state: area_totals(rows),
    figure=_figure,
    table=_table,
    summary=lambda totals, ind, state: " ".join(t for t in (trend_summary(totals, ind), break_caption(totals)) if t),
)
