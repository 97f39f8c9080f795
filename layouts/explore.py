"""The explore page: native filter controls and one card per chosen indicator."""
from __future__ import annotations

from dataclasses import replace

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from data.domain.dataset import DEFAULT_REPORTING_YEAR, ENGLAND, HOME_AREA, Dataset
from data.domain.formatting import display_name, format_period
from data.domain.status import indicator_status
from data.domain.views import areas_by_type, indicator_rows, unpublished_reason, values_unpublished
from layouts import explore_views as views
from layouts import ids
from layouts.components import about_panel, details, status_block
from layouts.explore_filters import age_bands, candidates, year_range
from layouts.explore_state import ALL, MAX_AREAS, ExploreState, control_value
from layouts.explore_views.base import ExploreView, ViewControls
from layouts.serialised import as_sent


def _options(values, labels=None, blank: str | None = None) -> list[dict]:
    labels = labels or {}
    opts = [{"label": blank, "value": ALL}] if blank is not None else []
    return opts + [{"label": labels.get(v, v), "value": v} for v in values]


def _field(label: str, control_id: str, control) -> html.Div:
    return html.Div([html.Label(label, htmlFor=control_id, className="form-label"), control], className="filter-field")


def control_options(dataset: Dataset, state: ExploreState) -> dict:
    """Options of every control for a (normalised) state, the views' own selects by field name under
    "choices"; worked out once per data version, state and set of views."""
    return dataset.cache.remember("control_options", (state, views.keys(), views.outside_key(state)), lambda: _control_options(dataset, state))


def _control_options(dataset: Dataset, state: ExploreState) -> dict:
    names = dataset.cache.once("indicator_display_names", lambda: {
        i: display_name(r) for i, r in zip(dataset.indicators.index, dataset.indicators[["name", "short_name"]].to_dict("records"), strict=True)})
    years = year_range(dataset)
    choices = {}
    for _, controls in views.control_groups():
        shared = None  # one list for the fields without options of their own
        for f in controls.fields:
            if f.options is None:
                shared = shared if shared is not None else _options(controls.options(dataset, state))
                choices[f.name] = shared
            else:
                choices[f.name] = _options(f.options(dataset, state), f.labels(dataset) if f.labels else None)
    return {
        "age": _options(age_bands(dataset, state.set), blank="All age bands"),
        "indicators": _options(candidates(dataset, state.set, state.age), names),
        "from": _options(years, blank="Earliest"),
        "to": _options(years, blank="Latest"),
        "choices": choices,
    }


AREA_FILTER = "explore-area-filter"


def area_options(dataset: Dataset) -> list[dict]:
    """Every area in the data, grouped by type in order (England, regions, County & UA, ...), York first;
    each option names its type, so the list reads in groups and the filter box finds a type too."""
    def build():
        areas = dataset.areas
        out = [{"label": areas[code], "value": code} for code in (HOME_AREA, ENGLAND) if code in areas]  # always at the top
        for kind, members in areas_by_type(areas).items():
            for code, name in members.items():
                if code in (HOME_AREA, ENGLAND):
                    continue
                said = kind.lower() in name.lower() or kind.split()[0].lower() in name.lower()  # "London region" says it
                out.append({"label": name if said else [name, html.Span(f" · {kind}", className="area-type")], "value": code})
        return as_sent(out)
    return dataset.cache.once("area_options", build)


def area_choices(dataset: Dataset, state: ExploreState) -> html.Fieldset:
    """The areas: native checkboxes, with a filter box (assets/zz-app/area-filter.js hides what does not match)."""
    n = len(dataset.areas)
    return html.Fieldset(
        [html.Legend(f"Areas (up to {MAX_AREAS} of {n})", className="form-label"),
         html.Label("Filter the areas by name or type", htmlFor=AREA_FILTER, className="form-label small"),
         dcc.Input(id=AREA_FILTER, type="search", className="form-control area-filter", autoComplete="off", debounce=False),
         dbc.Checklist(id=ids.EX_AREAS, options=area_options(dataset), value=list(state.areas), className="area-list")],
        className="filter-field",
    )


def _view_controls(key: str, controls: ViewControls, state: ExploreState, opts: dict) -> html.Div:
    """A view's own selects, in a group hidden while another view is chosen."""
    return html.Div(
        [_field(f.label, f.control_id, dbc.Select(id=f.control_id, options=opts["choices"][f.name], value=state.choice(f.name))) for f in controls.fields],
        id=controls.group_id,
        hidden=state.mode != key,
        className="year-fields",
    )


FILTERS_FOLD = "explore-filters-fold"  # the filters' <details>: open on a wide screen, folded on a phone
INDICATORS_HINT = "explore-indicators-hint"
ONE_INDICATOR_HINT = ("One indicator is always shown, so the last one ticked stays ticked: "
                      "to swap it, tick the new indicator first, then untick the old one.")


def explore_page(dataset: Dataset, state: ExploreState) -> html.Div:
    opts = control_options(dataset, state)
    filters = html.Div(
        [
            html.Fieldset(
                [
                    html.Legend("Choose indicators", className="h5"),
                    _field("Indicator set", ids.EX_SET,
                           dbc.Select(id=ids.EX_SET, options=_options(dataset.sets, blank="All sets"), value=control_value(state.set))),
                    _field("Age band", ids.EX_AGE, dbc.Select(id=ids.EX_AGE, options=opts["age"], value=control_value(state.age))),
                    html.Fieldset(
                        [html.Legend("Indicators", className="form-label"),
                         # Said before the list, so the last box refusing to untick is never a surprise.
                         html.P(ONE_INDICATOR_HINT, id=INDICATORS_HINT, className="field-hint"),
                         dbc.Checklist(id=ids.EX_INDICATORS, options=opts["indicators"], value=list(state.indicators), className="indicator-list")],
                        className="filter-field",
                        **{"aria-describedby": INDICATORS_HINT},
                    ),
                ],
                className="filter-group",
            ),
            html.Fieldset(
                [
                    html.Legend("Areas and years", className="h5"),
                    area_choices(dataset, state),
                    html.Div(
                        [
                            _field("From year", ids.EX_FROM, dbc.Select(id=ids.EX_FROM, options=opts["from"], value=control_value(state.start))),
                            _field("To year", ids.EX_TO, dbc.Select(id=ids.EX_TO, options=opts["to"], value=control_value(state.end))),
                        ],
                        className="year-fields",
                    ),
                ],
                className="filter-group",
            ),
        ],
        className="filters",
        role="group",
        **{"aria-label": "Filters"},
    )
    # What to show and its own choices (compare's two periods) sit above the charts they change, not at the
    # foot of the filter column where the chart is off screen while you use them.
    show = html.Fieldset(
        [
            html.Legend("Show", className="h5"),
            dbc.RadioItems(id=ids.EX_MODE, name=ids.EX_MODE, options=[{"label": v.label, "value": v.key} for v in views.all_views()],
                           value=state.mode, inline=True),
            *[_view_controls(key, controls, state, opts) for key, controls in views.control_groups()],
        ],
        className="filter-group show-group",
    )
    # A native <details>: open (callbacks/explore.py closes it on a phone, where the chart then comes first).
    folded_filters = html.Details(
        [html.Summary("Filters: indicator set, indicators, areas and years", className="filters-summary"), filters],
        open=True, id=FILTERS_FOLD, className="filters-fold",
    )
    return html.Div(
        [
            dcc.Location(id=ids.EX_URL, refresh=False),
            html.H1("Explore indicators"),
            html.P("Filter by indicator set, age band, indicator, area and years. "
                   "The address bar keeps your view: copy it to share exactly what you see.", className="lead"),
            dcc.Store(id=ids.EX_STATE, data=state.to_dict()),
            html.Div(
                [
                    html.Div(folded_filters, className="col-lg-4 col-xl-3"),
                    html.Div([show, html.P(id=ids.EX_STATUS, className="visually-hidden", role="status"), html.Div(id=ids.EX_RESULTS)],
                             className="col-lg-8 col-xl-9"),
                ],
                className="row g-4",
            ),
        ]
    )


def explore_results(dataset: Dataset, state: ExploreState, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list:
    if not state.indicators:
        return [html.P("No indicator matches these filters. Choose another set or age band.")]
    status = indicator_status(dataset, reporting_year)
    return [indicator_card(dataset, ind_id, state, status.loc[ind_id], reporting_year) for ind_id in state.indicators]


def cached_results(dataset: Dataset, state: ExploreState, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list:
    """explore_results as the JSON Dash sends, each card built once per data version and view of it: ticking
    one more indicator builds one card, and a meeting's shared link is built once per worker."""
    if not state.indicators:
        return as_sent(explore_results(dataset, state, reporting_year))

    def card(ind_id: str):
        build = lambda: as_sent(indicator_card(dataset, ind_id, state, indicator_status(dataset, reporting_year).loc[ind_id], reporting_year))  # noqa: E731
        return dataset.cache.remember("explore_card", card_key(state, ind_id, reporting_year), build)

    return [card(ind_id) for ind_id in state.indicators]


def card_key(state: ExploreState, ind_id: str, reporting_year: str) -> tuple:
    """The whole state (so a field added later is in the key by default), less what only picks which
    cards are shown: a card is the same whichever set, age band or other indicators sit beside it."""
    own = views.view(state.mode).cache_key
    return replace(state, set="", age="", indicators=(ind_id,)), reporting_year, (own(state) if own else None)


def _card_view(dataset: Dataset, indicator_id: str, state: ExploreState) -> tuple[ExploreView, pd.DataFrame]:
    chosen = views.view(state.mode)
    rows = indicator_rows(dataset, indicator_id, None if chosen.every_area else list(state.areas), state.start or None, state.end or None)
    view = views.card_view(rows, state.mode)
    if view is not chosen and chosen.every_area:  # shown as another view: only the chosen areas, as that view expects
        rows = rows[rows["area_code"].isin(list(state.areas))]
    return view, view.rows(rows, state)


def card_rows(dataset: Dataset, indicator_id: str, state: ExploreState) -> pd.DataFrame:
    """Exactly the rows a card shows (and downloads)."""
    return _card_view(dataset, indicator_id, state)[1]


def indicator_card(dataset: Dataset, ind_id: str, state: ExploreState, st: pd.Series, reporting_year: str) -> html.Section:
    ind = dataset.indicator(ind_id)
    view, rows = _card_view(dataset, ind_id, state)
    heading_id = f"card-{ind_id}-title"
    parts = [html.H2(display_name(ind), id=heading_id, className="h4"), html.P(ind["set"], className="card-set")]
    block = status_block(st, reporting_year, f"card-{ind_id}")
    if block is not None:
        parts.append(block)
    if block is not None and st["pending"]:
        latest = format_period(st["latest_period"])
        parts.append(html.P(f"The {reporting_year} value is missing from this chart: the latest is for {latest}.", className="missing-period"))
    if values_unpublished(rows):
        parts.append(html.P(unpublished_reason(rows), className="not-published"))
        parts.append(about_panel(ind, rows, st, reporting_year))
        return html.Section(parts, className="indicator-card", id=f"card-{ind_id}", **{"aria-labelledby": heading_id})
    nothing = view.unavailable(rows, state)
    if nothing:
        parts.append(html.P(nothing, className="view-unavailable"))
        parts.append(about_panel(ind, rows, st, reporting_year))
        return html.Section(parts, className="indicator-card", id=f"card-{ind_id}", **{"aria-labelledby": heading_id})
    figure, table, summary = view.parts(rows, ind, state)
    if figure is None:  # a view with nothing to draw says why
        shown = None
    elif "headline" in figure:  # one value is a number, not a chart (layouts/charts.headline_parts)
        shown = html.Div([html.P(figure["headline"], className="headline-number"), html.P(figure["caption"], className="headline-caption"),
                          *[html.P(line, className="headline-line") for line in figure["lines"]]],
                         className="headline-figure", id={"type": "card-headline", "index": ind_id})
    else:
        shown = dcc.Graph(figure=figure, config={"displayModeBar": False, "responsive": True},
                          id={"type": "card-graph", "index": ind_id}, className="card-graph")
    parts += [
        html.Figure([shown, html.Figcaption(summary, className="card-summary")]) if shown is not None
        else html.P(summary, className="card-summary no-chart"),
        details("Table", table, "table-panel"),
        about_panel(ind, rows, st, reporting_year),
        html.Button("Download CSV", id={"type": ids.CARD_DOWNLOAD_BUTTON, "index": ind_id}, className="btn btn-outline-primary download-button", n_clicks=0),
        dcc.Download(id={"type": ids.CARD_DOWNLOAD, "index": ind_id}),
    ]
    return html.Section(parts, className="indicator-card", id=f"card-{ind_id}", **{"aria-labelledby": heading_id})


def results_announcement(state: ExploreState) -> str:
    n = len(state.indicators)
    return f"Showing {n} indicator{'s' if n != 1 else ''}: {views.view(state.mode).label.lower()}."
