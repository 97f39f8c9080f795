"""Breakdowns (courses, ratings): an indicator published as categories is shown as its latest
categories whichever view is chosen, so this view is not in the registry's choices."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data.domain.formatting import display_name
from data.domain.views import breakdown_summary
from layouts.charts import bar_figure
from layouts.components import data_table
from layouts.explore_views.base import ExploreView, unchanged, value_text

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState


def _latest(rows: pd.DataFrame) -> pd.DataFrame:
    """The latest period's rows with a value (the total and its categories)."""
    latest = rows[rows["value"].notna()]
    return latest[latest["period"] == latest["period"].iloc[-1]]


def _figure(rows: pd.DataFrame, ind: pd.Series, state: ExploreState):
    latest = _latest(rows)
    cats = latest[latest["category_type"] != ""]
    return bar_figure(cats["category"].tolist(), [(latest["area_name"].iloc[0], cats["value"].tolist())], ind["unit"], horizontal=True)


def _table(rows: pd.DataFrame, ind: pd.Series, state: ExploreState):
    latest, unit = _latest(rows), ind["unit"]
    return data_table(
        pd.DataFrame({"Category": latest["category"].replace("", "Total"), "Period": latest["period"],
                      "Value": [value_text(v, unit) for v in latest["value"]]}),
        f"{display_name(ind)}: {latest['area_name'].iloc[0]}, {latest['period'].iloc[0]}", row_header="Category",
    )


VIEW = ExploreView(
    key="breakdown",
    label="Latest breakdown",
    shape=unchanged,
    figure=_figure,
    table=_table,
    summary=lambda rows, ind, state: breakdown_summary(rows, ind),
)
