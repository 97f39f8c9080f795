"""Pathname -> page. Pages are built from the URL so a pasted address restores the view."""
from __future__ import annotations

from urllib.parse import parse_qs

from dash import Input, Output, State, html

from callbacks.auth import current_editor, login_csrf_token, safe_next
from callbacks.context import current_dataset, current_store
from callbacks.spotlight import spotlight_page
from data.domain.dataset import DEFAULT_REPORTING_YEAR
from data.domain.status import reporting_years
from layouts import ids
from layouts.explore import explore_page
from layouts.explore_state import normalise, parse_query
from layouts.login import login_page
from layouts.overview import overview_page, view_from
from layouts.upload import sign_in_prompt, upload_page, versions_page


def reporting_year_from(search: str | None, years: list[str]) -> str:
    year = (parse_qs((search or "").lstrip("?")).get("year") or [DEFAULT_REPORTING_YEAR])[0]
    return year if year in years else DEFAULT_REPORTING_YEAR


def render_page(pathname: str | None, search: str | None):
    dataset = current_dataset()
    path = (pathname or "/").rstrip("/") or "/"
    if path == "/":
        page = overview_page(dataset, reporting_year_from(search, reporting_years(dataset)), view_from(search))
    elif path == "/explore":
        page = explore_page(dataset, normalise(dataset, parse_query(search)))
    elif path == "/spotlight" or path.startswith("/spotlight/"):
        page = spotlight_page(path, search)
    elif path in ("/upload", "/versions", "/login"):
        page = _editor_page(path, parse_qs((search or "").lstrip("?")))
    else:
        page = html.Div([html.H1("Page not found"), html.P(["There is no page at this address. ", html.A("Go to the overview", href="/"), "."])])
    return page, dataset.updated


def _editor_page(path: str, query: dict):
    one = lambda k: (query.get(k) or [None])[0]  # noqa: E731
    if path == "/login":
        return login_page(one("error"), safe_next(one("next") or "/upload"), login_csrf_token())
    store = current_store()
    if store is None:
        return html.Div([html.H1("Uploads are off"), html.P("This app serves fixed data, so it has no store to publish to.")])
    if not current_editor():
        return sign_in_prompt(path)
    if path == "/versions":
        return versions_page(store.versions())
    return upload_page(one("job"), one("error"), login_csrf_token())


def register(app) -> None:
    app.callback(
        Output(ids.PAGE, "children"),
        Output(ids.DATA_UPDATED, "children"),
        Input(ids.URL, "pathname"),
        State(ids.URL, "search"),
    )(render_page)
