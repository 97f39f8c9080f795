"""Trend over time: each area's values by period, a line per area."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from dash import html

from data.domain.formatting import display_name
from data.domain.series import break_caption
from data.domain.views import area_totals, headline, sortable_dates, trend_summary
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


def _oldest_first(shown: pd.DataFrame) -> list[str]:
    """The period labels by period end then start (undated last, ties in the rows' order), each once: as
    shown.sort_values(["period_end", "period_start"], kind="stable")["period"] read in order."""
    keys = list(zip(sortable_dates(shown["period_end"]).tolist(), sortable_dates(shown["period_start"]).tolist(), strict=True))
    labels = shown["period"].tolist()
    return list(dict.fromkeys(labels[i] for i in sorted(range(len(labels)), key=keys.__getitem__)))


def _table(totals: pd.DataFrame, ind: pd.Series, state: ExploreState):
    """A row per period and a column per area (as the chart reads), 95% CIs in brackets, the source said once."""
    shown, unit = _shown(totals), ind["unit"]
    periods = _oldest_first(shown)
    names: dict[str, str] = {}
    for code, name in zip(shown["area_code"].tolist(), shown["area_name"].tolist(), strict=True):
        names.setdefault(code, name)  # each area's first name, as drop_duplicates keeps it
    areas = [a for a in state.areas if a in names] + [a for a in names if a not in state.areas]
    measures = measure_columns(shown, unit)  # value, then 95% CI, count, denominator when the data has them
    cells = {}
    for k, (period, code) in enumerate(zip(shown["period"], shown["area_code"], strict=True)):
        ci = measures.get("95% CI", [""] * len(shown))[k]
        rest = [f"{title.lower()} {measures[title][k]}" for title in ("Count", "Denominator") if title in measures and measures[title][k]]
        cells[(period, code)] = measures["Value"][k] + (f" ({ci})" if ci else "") + "".join(f"; {r}" for r in rest)
    frame = pd.DataFrame({"Period": periods, **{names[a]: [cells.get((p, a), "no value") for p in periods] for a in areas}})
    caption = f"{display_name(ind)}: values shown in the chart, a row per period and a column per area" + (
        " (95% confidence interval in brackets)" if "95% CI" in measures else "")
    sources = list(dict.fromkeys(s for s in shown["source"] if s))
    return [
        data_table(frame, caption, row_header="Period"),
        html.P(("Source: " if len(sources) == 1 else "Sources: ") + "; ".join(sources) + ".", className="table-source"),
    ]


VIEW = ExploreView(
    key="trend",
    label="Trend over time",
    rows=lambda rows, state: area_totals(rows),  # what it shows and downloads: area totals, never a breakdown
    shape=lambda rows, state: area_totals(rows),
    figure=_figure,
    table=_table,
    summary=lambda totals, ind, state: " ".join(t for t in (trend_summary(totals, ind), break_caption(totals)) if t),
)
