"""Compare two periods: each area's value in period A and in period B, and the change."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data.domain.formatting import display_name, format_change, format_percent_change
from data.domain.views import compare_periods, compare_summary
from layouts import ids
from layouts.charts import bar_figure
from layouts.components import data_table
from layouts.explore_filters import periods_for
from layouts.explore_views.base import ExploreView, ViewControls, ViewField, value_text

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState


def _rows(rows: pd.DataFrame, state: ExploreState) -> pd.DataFrame:
    """Only the two periods' area totals: what the card shows is what it downloads."""
    return rows[rows["period"].isin([state.choice("a"), state.choice("b")]) & (rows["category_type"] == "")]


def _figure(cmp: pd.DataFrame, ind: pd.Series, state: ExploreState):
    a, b = state.choice("a"), state.choice("b")
    return bar_figure(cmp["area_name"].tolist(), [(a, cmp["value_a"].tolist()), (b, cmp["value_b"].tolist())], ind["unit"])


def _interval(lower, upper, unit: str) -> str:
    return "" if lower is None or upper is None or pd.isna(lower) or pd.isna(upper) else f"{value_text(lower, unit)} to {value_text(upper, unit)}"


def _table(cmp: pd.DataFrame, ind: pd.Series, state: ExploreState):
    a, b, unit = state.choice("a"), state.choice("b"), ind["unit"]
    frame = pd.DataFrame({
        "Area": cmp["area_name"],
        a or "Period A": [value_text(v, unit) for v in cmp["value_a"]],
        b or "Period B": [value_text(v, unit) for v in cmp["value_b"]],
        "Change": [n or format_change(v, unit) for v, n in zip(cmp["change"], cmp["note"], strict=True)],
        "% change": [n or format_percent_change(va, vb) for va, vb, n in zip(cmp["value_a"], cmp["value_b"], cmp["note"], strict=True)],
    })
    for period, side in ((a or "Period A", "a"), (b or "Period B", "b")):  # intervals, where the data has them
        cis = [_interval(lo, hi, unit) for lo, hi in zip(cmp[f"lower_{side}"], cmp[f"upper_{side}"], strict=True)]
        if any(cis):
            frame[f"95% CI, {period}"] = cis
    return data_table(frame, f"{display_name(ind)}: {a} compared with {b}", row_header="Area")


def _unavailable(rows: pd.DataFrame, state: ExploreState) -> str:
    """Two identical bars and a "0.0%" change say nothing: with one period there is nothing to compare."""
    a, b = state.choice("a"), state.choice("b")
    if not a or not b:
        return "No dated period has a value for the chosen indicators and areas, so there is nothing to compare."
    if a == b:
        return (f"Period A and period B are both {a}: a comparison needs two different periods. If {a} is the only "
                "period offered, these indicators and areas have a value for one period only: choose "
                "\u201cTrend over time\u201d or \u201cCompare with England\u201d instead.")
    return ""


VIEW = ExploreView(
    key="compare",
    label="Compare two periods",
    rows=_rows,
    shape=lambda rows, state: compare_periods(rows, state.choice("a"), state.choice("b")),
    figure=_figure,
    table=_table,
    summary=lambda cmp, ind, state: compare_summary(cmp, ind),
    unavailable=_unavailable,
    controls=ViewControls(
        group_id=ids.EX_COMPARE_FIELDS,
        options=periods_for,
        fields=(
            # By default the latest period against the one before it.
            ViewField("a", "Period A", ids.EX_PERIOD_A, pick=lambda periods: periods[-2] if len(periods) >= 2 else (periods[0] if periods else "")),
            ViewField("b", "Period B", ids.EX_PERIOD_B, pick=lambda periods: periods[-1] if periods else ""),
        ),
    ),
)
