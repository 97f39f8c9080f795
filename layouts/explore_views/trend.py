"""Trend over time: each area's values by period, a line per area."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from dash import html

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


def _cell(value, lower, upper, unit: str) -> str:
    text = value_text(value, unit)
    return text if pd.isna(lower) or pd.isna(upper) else f"{text} ({value_text(lower, unit)} to {value_text(upper, unit)})"


def _table(totals: pd.DataFrame, ind: pd.Series, state: ExploreState):
    """A row per period and a column per area (as the chart reads), 95% CIs in brackets, the source said once."""
    shown, unit = _shown(totals), ind["unit"]
    periods = list(dict.fromkeys(shown.sort_values(["period_end", "period_start"], kind="stable")["period"]))  # oldest first
    names = shown.drop_duplicates("area_code").set_index("area_code")["area_name"]
    areas = [a for a in state.areas if a in names.index] + [a for a in names.index if a not in state.areas]
    cells = {(r.period, r.area_code): _cell(r.value, r.lower_ci, r.upper_ci, unit) for r in shown.itertuples(index=False)}
    frame = pd.DataFrame({"Period": periods, **{names[a]: [cells.get((p, a), "no value") for p in periods] for a in areas}})
    with_ci = shown["lower_ci"].notna().any()
    caption = f"{ind['name']}: values shown in the chart, a row per period and a column per area" + (
        " (95% confidence interval in brackets)" if with_ci else "")
    sources = list(dict.fromkeys(s for s in shown["source"] if s))
    return [
        data_table(frame, caption, row_header="Period"),
        html.P(("Source: " if len(sources) == 1 else "Sources: ") + "; ".join(sources) + ".", className="table-source"),
    ]


VIEW = ExploreView(
    key="trend",
    label="Trend over time",
    shape=lambda rows, state: area_totals(rows),
    figure=_figure,
    table=_table,
    summary=lambda totals, ind, state: trend_summary(totals, ind),
)
