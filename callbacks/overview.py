"""Overview: the reporting-year selector drives the badges and is kept in the URL (?year=, and
&view=tiles for the second view)."""
from __future__ import annotations

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.context import current_dataset
from callbacks.routing import reporting_year_from
from data.domain.status import reporting_years
from layouts import ids
from layouts.overview import page_query, sections_update, shown, view_from


def sync_year(search, year, on_page):
    dataset = current_dataset()
    years = reporting_years(dataset)
    view = view_from(search)
    if ctx.triggered_id == ids.OV_URL:  # back/forward or a pasted link
        wanted = reporting_year_from(search, years)
        if wanted == year and (on_page or {}).get("view", view) == view:
            raise PreventUpdate  # the page was built for this year already
        return wanted, no_update, sections_update(dataset, on_page, wanted, view), shown(dataset, wanted, view)
    year = year if year in years else reporting_year_from(None, years)
    return no_update, page_query(year, view), sections_update(dataset, on_page, year, view), shown(dataset, year, view)


def register(app) -> None:
    app.callback(
        Output(ids.OV_YEAR, "value"),
        Output(ids.OV_URL, "search", allow_duplicate=True),
        Output(ids.OV_SECTIONS, "children"),
        Output(ids.OV_SHOWN, "data"),
        Input(ids.OV_URL, "search"),
        Input(ids.OV_YEAR, "value"),
        State(ids.OV_SHOWN, "data"),
        prevent_initial_call=True,
    )(sync_year)
