"""Compare with England: York's and England's values over time (a time axis, gaps as gaps), York's 95%
confidence intervals as error bars, and a marker for each period's comparison with England (Fingertips'
way: stated by the source, else York's interval against England's value), named in the legend."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data.domain.dataset import ENGLAND, HOME_AREA
from data.domain.formatting import display_name, format_change
from data.domain.series import break_caption
from data.domain.significance import NOT_COMPARED, STATED
from data.domain.views import area_totals, compare_with_england, england_comparisons, england_summary, headline
from layouts.charts import headline_parts, trend_figure
from layouts.components import data_table
from layouts.explore_views.base import ExploreView, value_text

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState


def _shape(rows: pd.DataFrame, state: ExploreState) -> tuple[pd.DataFrame, pd.DataFrame]:
    totals = area_totals(rows)
    return compare_with_england(rows), totals[totals["area_code"].isin([HOME_AREA, ENGLAND])]


def _figure(shaped, ind: pd.Series, state: ExploreState):
    eng, totals = shaped
    single = headline(totals, ind)
    if single is not None:
        return headline_parts(single["value"], single["caption"], single["lines"])
    comparisons = england_comparisons(eng, ind["polarity"])
    markers = {(HOME_AREA, c.period): c.result for c in comparisons if c.result != NOT_COMPARED}
    return trend_figure(totals, ind["unit"], [HOME_AREA, ENGLAND], markers=markers)


def _table(shaped, ind: pd.Series, state: ExploreState):
    eng, _ = shaped
    unit = ind["unit"]
    comparisons = england_comparisons(eng, ind["polarity"])
    return data_table(
        pd.DataFrame({
            "Period": eng["period"], "York": [value_text(v, unit) for v in eng["york"]],
            "York 95% CI": [f"{value_text(lo, unit)} to {value_text(hi, unit)}" if not pd.isna(lo) and not pd.isna(hi) else ""
                            for lo, hi in zip(eng["york_lower"], eng["york_upper"], strict=True)],
            "England": [value_text(v, unit) for v in eng["england"]],
            "York minus England": [format_change(v, unit) for v in eng["difference"]],
            "Compared with England": [c.result + (" (stated by the source)" if c.basis == STATED else " (95% CI)" if c.basis else "")
                                      for c in comparisons],
        }),
        f"{display_name(ind)}: York compared with England", row_header="Period",
    )


VIEW = ExploreView(
    key="england",
    label="Compare with England",
    rows=lambda rows, state: area_totals(rows),  # what it shows and downloads: area totals, never a breakdown
    shape=_shape,
    figure=_figure,
    table=_table,
    summary=lambda shaped, ind, state: " ".join(t for t in (england_summary(shaped[0], ind), break_caption(shaped[1])) if t),
)
