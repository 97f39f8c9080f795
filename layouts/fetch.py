"""The "Fetch from Fingertips" form on the upload page: indicator ids and an area type, posted natively
(with the session's CSRF token) to /upload/fetch; the fetched data then shows in the upload preview."""
from __future__ import annotations

from dash import dcc, html

from data.ingest.fetch_fingertips import AREA_TYPES, DEFAULT_AREA_TYPE

# Ids start with "upload-": callbacks writing to them need an editor (callbacks/auth.py).
FETCH_FORM = "upload-fetch-form"
FETCH_IDS = "upload-fetch-ids"
FETCH_AREA_TYPE = "upload-fetch-area-type"
FETCH_SUBMIT = "upload-fetch-submit"
FETCH_MESSAGE = "upload-fetch-message"


def fetch_form(csrf_token: str) -> html.Section:
    options = [html.Option(f"{label} ({area_id})", value=str(area_id), selected=area_id == DEFAULT_AREA_TYPE)
               for area_id, label in AREA_TYPES]
    return html.Section([
        html.H2("Fetch from Fingertips", id="upload-fetch-title"),
        html.P("Or fetch indicators straight from the public Fingertips API: their data for every area of the "
               "type you choose, and their name, unit, polarity and definition from Fingertips itself. You see "
               "the same check as for a file before anything is published."),
        html.Div(id=FETCH_MESSAGE, role="alert"),
        html.Form([
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
            html.Div([
                html.Label("Fingertips indicator ids (separate several with commas)", htmlFor=FETCH_IDS, className="form-label"),
                dcc.Input(id=FETCH_IDS, type="text", name="ids", required=True, maxLength=400, spellCheck=False,
                          autoComplete="off", placeholder="e.g. 93356, 20601", className="form-control"),
            ], className="mb-3"),
            html.Div([
                html.Label("Area type", htmlFor=FETCH_AREA_TYPE, className="form-label"),
                html.Select(options, id=FETCH_AREA_TYPE, name="area_type", className="form-select"),
            ], className="mb-3"),
            html.Button("Fetch and check", id=FETCH_SUBMIT, type="submit", className="btn btn-primary"),
        ], id=FETCH_FORM, method="POST", action="/upload/fetch", className="fetch-form"),
        html.P(["Names, units and other details of indicators already published are changed in the ",
                html.A("indicator catalogue", href="/catalogue"), "."], className="mt-3"),
    ], className="upload-fetch mt-4", **{"aria-labelledby": "upload-fetch-title"})


def fetch_message(error: str | None, ids: str | None) -> list:
    """What the form says after a fetch that failed (nothing was changed)."""
    if not error:
        return []
    return [html.P([html.Strong("Not fetched: "), error], className="error-message"),
            *([html.P(f"Indicator ids you asked for: {ids}")] if ids else [])]
