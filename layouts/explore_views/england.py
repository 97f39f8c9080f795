"""Compare with England: York's and England's value in each period, and the difference."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data.domain.formatting import display_name, format_change
from data.domain.views import compare_with_england, england_summary
from layouts.charts import bar_figure
from layouts.components import data_table
from layouts.explore_views.base import ExploreView, value_text

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState


def _figure(eng: pd.DataFrame, ind: pd.Series, state: ExploreState):
    return bar_figure(eng["period"].tolist(), [("York", eng["york"].tolist()), ("England", eng["england"].tolist())], ind["unit"])


def _table(eng: pd.DataFrame, ind: pd.Series, state: ExploreState):
    unit = ind["unit"]
    return data_table(
        pd.DataFrame({
            "Period": eng["period"], "York": [value_text(v, unit) for v in eng["york"]],
            "England": [value_text(v, unit) for v in eng["england"]],
            "York minus England": [format_change(v, unit) for v in eng["difference"]],
        }),
        f"{display_name(ind)}: York compared with England", row_header="Period",
    )


VIEW = ExploreView(
    key="england",
    label="Compare with England",
    shape=lambda rows, state: compare_with_england(rows),
    figure=_figure,
    table=_table,
    summary=lambda eng, ind, state: england_summary(eng, ind),
)
