"""Overview: the reporting-year selector drives the badges and is kept in the URL (?year=)."""
from __future__ import annotations

from urllib.parse import urlencode

from dash import Input, Output, ctx, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from plotly.basedatatypes import BaseFigure

from callbacks import ids
from callbacks.context import current_dataset
from callbacks.routing import reporting_year_from
from layouts.overview import overview_sections, reporting_years


def _years(dataset) -> list[str]:
    cached = dataset._cache.get("reporting_years")
    if cached is None:
        cached = dataset._cache["reporting_years"] = reporting_years(dataset)
    return list(cached)


def _sections(dataset, year: str) -> list:
    """overview_sections, built once per data version and reporting year (a few dozen figures each time
    otherwise); Dash only reads the components it is given, so one list serves every request."""
    key = ("overview_sections", year)
    cached = dataset._cache.get(key)
    if cached is None:
        cached = dataset._cache[key] = _figures_as_dicts(overview_sections(dataset, year))
    return cached


def _figures_as_dicts(tree):
    """Each graph's Figure replaced by its plain dict, once: Dash's JSON encoder otherwise converts every
    sparkline Figure again on every request (most of this callback's time). The JSON is the same."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, Component):
            if isinstance(getattr(node, "figure", None), BaseFigure):
                node.figure = node.figure.to_plotly_json()
            stack.append(getattr(node, "children", None))
    return tree


def sync_year(search, year):
    dataset = current_dataset()
    years = _years(dataset)
    if ctx.triggered_id == ids.OV_URL:  # back/forward or a pasted link
        wanted = reporting_year_from(search, years)
        if wanted == year:
            raise PreventUpdate  # the page was built for this year already
        return wanted, no_update, _sections(dataset, wanted)
    year = year if year in years else reporting_year_from(None, years)
    return no_update, "?" + urlencode({"year": year}), _sections(dataset, year)


def register(app) -> None:
    app.callback(
        Output(ids.OV_YEAR, "value"),
        Output(ids.OV_URL, "search", allow_duplicate=True),
        Output(ids.OV_SECTIONS, "children"),
        Input(ids.OV_URL, "search"),
        Input(ids.OV_YEAR, "value"),
        prevent_initial_call=True,
    )(sync_year)
