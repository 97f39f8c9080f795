"""Plotly figures, built with graph_objects (plotly.express costs ~20x more per figure)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from data.formatting import format_value

# Government Analysis Function categorical palette, in its published order.
PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
MAX_SERIES = 4  # more than four colours in one chart stops being readable
DASHES = ("solid", "dash", "dot", "dashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up")
PATTERNS = ("", "/", ".", "x")

_FONT = dict(family="Arial, Helvetica, sans-serif", size=16, color="#0b0c0c")


def _base_layout(fig: go.Figure, unit: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=60, r=20, t=20, b=60),
        font=_FONT,
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        hoverlabel=dict(font_size=16),
        separators=".,",
    )
    fig.update_yaxes(title_text=unit, gridcolor="#dddddd", zerolinecolor="#b1b4b6", rangemode="tozero")
    fig.update_xaxes(linecolor="#b1b4b6")
    return fig


# Series published every year/quarter/month: a skipped period is a gap. Surveys and
# rolling periods come when they come, so consecutive points are joined.
_REGULAR = {"financial year", "academic year", "calendar year", "quarter", "month"}


def _midpoints(rows: pd.DataFrame) -> pd.Series:
    return rows["period_start"] + (rows["period_end"] - rows["period_start"]) / 2


def _with_gaps(rows: pd.DataFrame) -> tuple[list, list, list, list, list]:
    """x, y, labels, ci_plus, ci_minus with a None point wherever a regular series skips a period, so lines break."""
    xs, ys, labels, plus, minus = [], [], [], [], []
    prev_end, prev_type = None, None
    for row, mid in zip(rows.itertuples(index=False), _midpoints(rows)):
        regular = row.period_type in _REGULAR and row.period_type == prev_type
        if prev_end is not None and regular and (row.period_start - prev_end).days > 1:
            xs.append(prev_end + (row.period_start - prev_end) / 2)
            ys.append(None), labels.append(None), plus.append(None), minus.append(None)
        value = None if pd.isna(row.value) else float(row.value)
        xs.append(mid)
        ys.append(value)
        labels.append(row.period)
        has_ci = value is not None and not pd.isna(row.upper_ci) and not pd.isna(row.lower_ci)
        plus.append(float(row.upper_ci) - value if has_ci else None)
        minus.append(value - float(row.lower_ci) if has_ci else None)
        prev_end, prev_type = row.period_end, row.period_type
    return xs, ys, labels, plus, minus


def trend_figure(rows: pd.DataFrame, unit: str, area_order: list[str]) -> go.Figure:
    """A line per area over time; missing periods are gaps; 95% CIs as error bars."""
    fig = go.Figure()
    dated = rows[rows["period_end"].notna() & (rows["category_type"] == "")]
    ticks: dict = {}
    for i, code in enumerate(area_order[:MAX_SERIES]):
        series = dated[dated["area_code"] == code]
        if series.empty or series["value"].isna().all():
            continue
        xs, ys, labels, plus, minus = _with_gaps(series)
        has_ci = any(p is not None for p in plus)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, name=series["area_name"].iloc[0], mode="lines+markers", connectgaps=False,
            line=dict(color=PALETTE[i], width=3, dash=DASHES[i]),
            marker=dict(symbol=SYMBOLS[i], size=9, color=PALETTE[i]),
            customdata=labels,
            hovertemplate="%{customdata}: %{y}<extra>" + series["area_name"].iloc[0] + "</extra>",
            error_y=dict(type="data", array=plus, arrayminus=minus, visible=True, thickness=1.5, color=PALETTE[i]) if has_ci else None,
        ))
        ticks.update({x: label for x, label in zip(xs, labels) if label is not None})
    ordered = sorted(ticks)
    step = max(1, len(ordered) // 8)  # keep tick labels legible on small screens
    fig.update_xaxes(tickvals=ordered[::step], ticktext=[ticks[x] for x in ordered[::step]], type="date")
    return _base_layout(fig, unit)


def _wrap(label: str, width: int = 28) -> str:
    """Break a long category label over lines so the bars keep their width."""
    lines, line = [], ""
    for word in str(label).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join(lines + [line])


def bar_figure(categories: list[str], series: list[tuple[str, list]], unit: str, horizontal: bool = False) -> go.Figure:
    """Grouped bars from zero; each series has its own colour, pattern and value labels."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series[:MAX_SERIES]):
        text = [format_value(v, unit) if v is not None and not pd.isna(v) else "no value" for v in values]
        common = dict(
            name=name, text=text, textposition="outside", cliponaxis=False,
            marker=dict(color=PALETTE[i], pattern=dict(shape=PATTERNS[i], fgcolor="white")),
        )
        if horizontal:
            fig.add_trace(go.Bar(y=[_wrap(c) for c in categories], x=values, orientation="h", **common))
        else:
            fig.add_trace(go.Bar(x=categories, y=values, **common))
    fig.update_layout(barmode="group", showlegend=len(series) > 1)
    _base_layout(fig, unit, height=max(360, 60 * len(categories)) if horizontal else 360)
    if horizontal:
        fig.update_xaxes(title_text=unit, rangemode="tozero", gridcolor="#dddddd")
        fig.update_yaxes(title_text=None, autorange="reversed", automargin=True, gridcolor="white")
        fig.update_layout(margin=dict(l=20, r=80, t=20, b=60))
    return fig


def sparkline(rows: pd.DataFrame) -> go.Figure:
    """A small trend line for the overview tile (values are in the tile's text)."""
    xs, ys, _, _, _ = _with_gaps(rows)
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers", connectgaps=False,
                               line=dict(color=PALETTE[0], width=2), marker=dict(size=4, color=PALETTE[0]),
                               hoverinfo="skip"))
    fig.update_layout(height=60, margin=dict(l=2, r=2, t=4, b=4), showlegend=False,
                      plot_bgcolor="white", paper_bgcolor="white")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
