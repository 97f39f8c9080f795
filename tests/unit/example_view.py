"""An example explore view in one module: each area's latest value, highest or lowest first.

Nothing else in the repository names it. tests/unit/test_explore_views.py registers it for a
test and removes it afterwards; the "Show" radio, the URL query, the state's normalising, the
callback's wiring and the cards pick it up from the registry (layouts/explore_views).
It also owns a field, "order", to show a view's own select needs nothing outside its module.
"""
from __future__ import annotations

import pandas as pd

from data.domain.formatting import format_value
from data.domain.views import area_totals
from layouts.charts import bar_figure
from layouts.components import data_table
from layouts.explore_views.base import ExploreView, ViewControls, ViewField, value_text

KEY = "latest"
ORDER_ID = "explore-latest-order"
GROUP_ID = "explore-latest-fields"
ORDERS = ["highest first", "lowest first"]


def latest_values(rows: pd.DataFrame, state) -> pd.DataFrame:
    """Each area's latest dated value, sorted as the state's "order" asks."""
    totals = area_totals(rows)
    dated = totals[totals["value"].notna() & totals["period_end"].notna()].sort_values("period_end", kind="stable")
    latest = dated.groupby("area_code", sort=False).tail(1)
    return latest.sort_values("value", ascending=state.choice("order") == "lowest first", kind="stable")


def _summary(latest: pd.DataFrame, ind: pd.Series, state) -> str:
    if latest.empty:
        return "No area has a dated value for this indicator."
    top = latest.iloc[0]
    return f"{top['area_name']} is first: {format_value(top['value'], ind['unit'])} in {top['period']}."


VIEW = ExploreView(
    key=KEY,
    label="Latest value",
    shape=latest_values,
    figure=lambda latest, ind, state: bar_figure(latest["area_name"].tolist(), [("Latest", latest["value"].tolist())], ind["unit"]),
    table=lambda latest, ind, state: data_table(
        pd.DataFrame({"Area": latest["area_name"], "Period": latest["period"], "Value": [value_text(v, ind["unit"]) for v in latest["value"]]}),
        f"{ind['name']}: latest value in each area", row_header="Area",
    ),
    summary=_summary,
    controls=ViewControls(
        group_id=GROUP_ID,
        options=lambda dataset, state: ORDERS,
        fields=(ViewField("order", "Order", ORDER_ID, pick=lambda offered: offered[0]),),
    ),
)
