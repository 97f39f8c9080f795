"""Plotly figures, built as plain dicts.

A go.Figure validates every property as it is set: ~10 ms a chart here, 60% of an explore callback
(plotly.express costs ~20x more again). These dicts are what go.Figure would send for the same
calls, default template included, so the charts look as before; tests pass each one through
go.Figure to prove every property is valid and already in plotly's own form.
"""
from __future__ import annotations

import pandas as pd
import plotly.io as pio

from data.domain.formatting import format_value
from data.domain.series import with_series

# Government Analysis Function categorical palette, in its published order.
PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
MAX_SERIES = 4  # more than four colours in one chart stops being readable
DASHES = ("solid", "dash", "dot", "dashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up")
PATTERNS = ("", "/", ".", "x")

_FONT = {"family": "Arial, Helvetica, sans-serif", "size": 16, "color": "#0b0c0c"}
# The template go.Figure would add; one shared dict (never mutated) serves every figure.
_TEMPLATE = pio.templates[pio.templates.default].to_plotly_json()


# A sparkline has no axes, text or hover: the template changes nothing on it but adds ~7 KB of JSON
# to each tile of the overview (40% of its response). This is plotly's own form of an empty template.
_EMPTY_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}


def _figure(data: list[dict], layout: dict, template: dict = _TEMPLATE) -> dict:
    return {"data": data, "layout": {**layout, "template": template}}


def _base_layout(unit: str, height: int = 360) -> dict:
    return {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 60},
        "font": dict(_FONT),
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "hoverlabel": {"font": {"size": 16}},
        "separators": ".,",
        "yaxis": {"title": {"text": unit}, "gridcolor": "#dddddd", "zerolinecolor": "#b1b4b6", "rangemode": "tozero"},
        "xaxis": {"linecolor": "#b1b4b6"},
    }


# Series published every year/quarter/month: a skipped period is a gap. Surveys and
# rolling periods come when they come, so consecutive points are joined.
_REGULAR = {"financial year", "academic year", "calendar year", "quarter", "month"}


def _number(value):
    return None if value is None or pd.isna(value) else float(value)


def _with_gaps(rows: pd.DataFrame) -> tuple[list, list, list, list, list]:
    """x, y, labels, ci_plus, ci_minus with a None point wherever a regular series skips a period, so lines break."""
    xs, ys, labels, plus, minus = [], [], [], [], []
    prev_end, prev_type = None, None
    columns = (rows[c].tolist() for c in ("period_start", "period_end", "period_type", "period", "value", "lower_ci", "upper_ci"))
    for start, end, ptype, period, value, lower, upper in zip(*columns, strict=True):
        if prev_end is not None and ptype in _REGULAR and ptype == prev_type and (start - prev_end).days > 1:
            xs.append(prev_end + (start - prev_end) / 2)
            ys.append(None), labels.append(None), plus.append(None), minus.append(None)
        value, lower, upper = _number(value), _number(lower), _number(upper)
        xs.append(start + (end - start) / 2)
        ys.append(value)
        labels.append(period)
        has_ci = value is not None and upper is not None and lower is not None
        plus.append(upper - value if has_ci else None)
        minus.append(value - lower if has_ci else None)
        prev_end, prev_type = end, ptype
    return xs, ys, labels, plus, minus


def trend_figure(rows: pd.DataFrame, unit: str, area_order: list[str], markers: dict | None = None) -> dict:
    """A line per area over time; missing periods are gaps; 95% CIs as error bars.

    Where an area's source changes (data/domain/series.py: a break), the line stops and a new trace
    starts, named with its source, in the same colour with a dotted line, so no change is drawn
    across the break. markers: {(area_code, period): comparison word} adds significance markers (one
    legend entry per comparison, a shape each, so meaning never rests on colour)."""
    data = []
    dated = with_series(rows[rows["period_end"].notna() & (rows["category_type"] == "")])
    ticks: dict = {}
    for i, code in enumerate(area_order[:MAX_SERIES]):
        area = dated[dated["area_code"] == code]
        if area.empty:
            continue
        segments = list(area.groupby("segment", sort=True))
        for k, (_, series) in enumerate(segments):
            xs, ys, labels, plus, minus = _with_gaps(series)
            name = series["area_name"].iloc[0]
            if len(segments) > 1:
                name = f"{name}: {series['basis'].iloc[0]}"
            trace = {
                "type": "scatter", "x": xs, "y": ys, "name": name, "mode": "lines+markers", "connectgaps": False,
                "line": {"color": PALETTE[i], "width": 3, "dash": DASHES[i] if k == 0 else "dot"},
                "marker": {"symbol": SYMBOLS[i] if k == 0 else SYMBOLS[i] + "-open", "size": 9, "color": PALETTE[i]},
                "customdata": labels,
                "hovertemplate": "%{customdata}: %{y}<extra>" + name + "</extra>",
            }
            if any(p is not None for p in plus):
                trace["error_y"] = {"type": "data", "array": plus, "arrayminus": minus, "visible": True, "thickness": 1.5, "color": PALETTE[i]}
            data.append(trace)
            ticks.update({x: label for x, label in zip(xs, labels, strict=True) if label is not None})
    if markers:
        data += _significance_traces(dated, markers)
    ordered = sorted(ticks)
    step = max(1, len(ordered) // 8)  # keep tick labels legible on small screens
    layout = _base_layout(unit)
    layout["xaxis"].update(tickvals=ordered[::step], ticktext=[ticks[x] for x in ordered[::step]], type="date")
    return _figure(data, layout)


# A shape per comparison with England (and its word in the legend): never colour alone.
SIGNIFICANCE_SYMBOLS = {
    "Better": "triangle-up-open", "Worse": "x-thin-open", "Similar": "circle-open",
    "Higher": "diamond-open", "Lower": "square-open",
}
SIGNIFICANCE_NAMES = {
    "Better": "Better than England", "Worse": "Worse than England", "Similar": "Similar to England",
    "Higher": "Higher than England", "Lower": "Lower than England",
}


def _significance_traces(dated: pd.DataFrame, markers: dict) -> list[dict]:
    by_word: dict[str, tuple[list, list, list]] = {}
    for code, period, start, end, value in zip(dated["area_code"], dated["period"], dated["period_start"], dated["period_end"],
                                               dated["value"], strict=True):
        word = markers.get((code, period))
        if word not in SIGNIFICANCE_SYMBOLS:
            continue
        xs, ys, labels = by_word.setdefault(word, ([], [], []))
        xs.append(start + (end - start) / 2)
        ys.append(float(value))
        labels.append(period)
    out = []
    for word in SIGNIFICANCE_SYMBOLS:
        if word not in by_word:
            continue
        xs, ys, labels = by_word[word]
        out.append({
            "type": "scatter", "x": xs, "y": ys, "name": SIGNIFICANCE_NAMES[word], "mode": "markers",
            "marker": {"symbol": SIGNIFICANCE_SYMBOLS[word], "size": 20, "color": "#0b0c0c", "line": {"width": 2, "color": "#0b0c0c"}},
            "customdata": labels, "hovertemplate": "%{customdata}: " + SIGNIFICANCE_NAMES[word] + "<extra></extra>",
        })
    return out


def headline_parts(value: str, caption: str, lines: list[str]) -> dict:
    """What a headline figure shows (one value is a number, not a chart): the number, its caption, sentences."""
    return {"headline": value, "caption": caption, "lines": [line for line in lines if line]}


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


def bar_figure(categories: list[str], series: list[tuple[str, list]], unit: str, horizontal: bool = False) -> dict:
    """Grouped bars from zero; each series has its own colour, pattern and value labels."""
    data = []
    for i, (name, values) in enumerate(series[:MAX_SERIES]):
        trace = {
            "type": "bar", "name": name, "cliponaxis": False, "textposition": "outside",
            "text": [format_value(v, unit) if v is not None and not pd.isna(v) else "no value" for v in values],
            "marker": {"color": PALETTE[i], "pattern": {"shape": PATTERNS[i], "fgcolor": "white"}},
        }
        if horizontal:
            trace.update(y=[_wrap(c) for c in categories], x=list(values), orientation="h")
        else:
            trace.update(x=list(categories), y=list(values))
        data.append(trace)
    layout = _base_layout(unit, height=max(360, 60 * len(categories)) if horizontal else 360)
    layout.update(barmode="group", showlegend=len(series) > 1)
    if horizontal:
        layout["xaxis"].update(title={"text": unit}, rangemode="tozero", gridcolor="#dddddd")
        layout["yaxis"] = {"gridcolor": "white", "zerolinecolor": "#b1b4b6", "rangemode": "tozero", "autorange": "reversed", "automargin": True}
        layout["margin"] = {"l": 20, "r": 80, "t": 20, "b": 60}
    return _figure(data, layout)


def sparkline(rows: pd.DataFrame) -> dict:
    """A small trend line for the overview tile (values are in the tile's text)."""
    xs, ys, _, _, _ = _with_gaps(rows)
    trace = {"type": "scatter", "x": xs, "y": ys, "mode": "lines+markers", "connectgaps": False,
             "line": {"color": PALETTE[0], "width": 2}, "marker": {"size": 4, "color": PALETTE[0]}, "hoverinfo": "skip"}
    layout = {"height": 60, "margin": {"l": 2, "r": 2, "t": 4, "b": 4}, "showlegend": False,
              "plot_bgcolor": "white", "paper_bgcolor": "white", "xaxis": {"visible": False}, "yaxis": {"visible": False}}
    return _figure([trace], layout, _EMPTY_TEMPLATE)


# -- ranked and category bars with 95% confidence intervals (breakdown, compare areas) -----------------

HIGHLIGHT = PALETTE[3]  # York's bar: its own colour AND pattern AND a marked label, never colour alone


def _ci_arrays(values: list, lower: list, upper: list) -> tuple[list, list, bool]:
    plus, minus = [], []
    for v, lo, hi in zip(values, lower, upper, strict=True):
        v, lo, hi = _number(v), _number(lo), _number(hi)
        ok = v is not None and lo is not None and hi is not None
        plus.append(hi - v if ok else None)
        minus.append(v - lo if ok else None)
    return plus, minus, any(p is not None for p in plus)


def interval_bars(labels: list[str], values: list, lower: list, upper: list, unit: str, *,
                  highlight: list[bool] | None = None, highlight_name: str = "", others_name: str = "",
                  reference: tuple[str, float] | None = None) -> dict:
    """Horizontal bars from zero, top to bottom in the given order, with 95% confidence intervals as error
    bars; highlighted bars (York) in their own trace: another colour, a pattern and a legend entry;
    `reference` (England, value) a dashed line across the bars, named in the legend."""
    flags = highlight or [False] * len(labels)
    wrapped = [_wrap(label) for label in labels]
    data = []
    for is_marked, name, colour, pattern in ((False, others_name, PALETTE[0], ""), (True, highlight_name, HIGHLIGHT, "/")):
        picked = [i for i, f in enumerate(flags) if f == is_marked]
        if not picked:
            continue
        vals = [values[i] for i in picked]
        plus, minus, has_ci = _ci_arrays(vals, [lower[i] for i in picked], [upper[i] for i in picked])
        trace = {
            "type": "bar", "orientation": "h", "name": name or "Value", "y": [wrapped[i] for i in picked], "x": [_number(v) for v in vals],
            # Lighter bars (about 3.6:1 on white) so the black interval whiskers read across them.
            "marker": {"color": colour, "opacity": 1 if is_marked else 0.6, "pattern": {"shape": pattern, "fgcolor": "white"},
                       "line": {"color": "#0b0c0c", "width": 1 if is_marked else 0}},
            "hovertemplate": "%{y}: %{x}<extra></extra>",
        }
        if has_ci:
            trace["error_x"] = {"type": "data", "array": plus, "arrayminus": minus, "visible": True, "thickness": 2, "width": 5, "color": "#0b0c0c"}
        data.append(trace)
    if reference is not None and wrapped:
        name, value = reference
        data.append({
            "type": "scatter", "mode": "lines", "name": f"{name} {format_value(value, unit)}", "x": [value, value],
            "y": [wrapped[0], wrapped[-1]], "line": {"color": PALETTE[4], "width": 2, "dash": "dash"}, "hoverinfo": "skip",
        })
    lines = sum(label.count("<br>") + 1 for label in wrapped)  # a wrapped label needs the room of its lines
    layout = _base_layout(unit, height=max(360, 22 * lines + 8 * len(labels) + 140))
    layout["xaxis"].update(title={"text": unit}, rangemode="tozero", gridcolor="#dddddd")
    layout["yaxis"] = {"gridcolor": "white", "type": "category", "categoryorder": "array", "categoryarray": wrapped,
                       "autorange": "reversed", "automargin": True}
    layout["margin"] = {"l": 20, "r": 30, "t": 20, "b": 60}
    layout.update(barmode="overlay", showlegend=len(data) > 1)
    if reference is not None and wrapped:  # the line spans the whole plot, however few bars
        layout["shapes"] = [{"type": "line", "xref": "x", "yref": "paper", "x0": reference[1], "x1": reference[1], "y0": 0, "y1": 1,
                             "line": {"color": PALETTE[4], "width": 2, "dash": "dash"}}]
    return _figure(data, layout)
