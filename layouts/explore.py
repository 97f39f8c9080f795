"""The explore page: native filter controls and one card per chosen indicator."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from layouts import ids
from layouts.explore_state import ALL, MODES, ExploreState, age_bands, candidates, control_value, periods_for, year_range
from data.domain.dataset import DEFAULT_REPORTING_YEAR, Dataset
from data.domain.formatting import format_change, format_percent_change, format_value
from data.domain.status import indicator_status
from data.domain.views import (
    area_totals, breakdown_summary, compare_periods, compare_summary, compare_with_england,
    england_summary, indicator_rows, is_breakdown, trend_summary, unpublished_reason, values_unpublished,
)
from layouts.charts import bar_figure, trend_figure
from layouts.components import about_panel, data_table, details, display_name, status_block
from layouts.serialised import as_sent



def _options(values, labels=None, blank: str | None = None) -> list[dict]:
    labels = labels or {}
    opts = [{"label": blank, "value": ALL}] if blank is not None else []
    return opts + [{"label": labels.get(v, v), "value": v} for v in values]


def _field(label: str, control_id: str, control) -> html.Div:
    return html.Div([html.Label(label, htmlFor=control_id, className="form-label"), control], className="filter-field")


def control_options(dataset: Dataset, state: ExploreState) -> dict:
    """Options of every control for a (normalised) state; worked out once per data version and state."""
    return dataset.cache.remember("control_options", state, lambda: _control_options(dataset, state))


def _control_options(dataset: Dataset, state: ExploreState) -> dict:
    names = {i: display_name(n) for i, n in zip(dataset.indicators.index, dataset.indicators["name"])}
    years = year_range(dataset)
    periods = periods_for(dataset, state)
    return {
        "age": _options(age_bands(dataset, state.set), blank="All age bands"),
        "indicators": _options(candidates(dataset, state.set, state.age), names),
        "from": _options(years, blank="Earliest"),
        "to": _options(years, blank="Latest"),
        "periods": _options(periods),
    }


def explore_page(dataset: Dataset, state: ExploreState) -> html.Div:
    opts = control_options(dataset, state)
    filters = html.Div(
        [
            html.Fieldset(
                [
                    html.Legend("Choose indicators", className="h5"),
                    _field("Indicator set", ids.EX_SET, dbc.Select(id=ids.EX_SET, options=_options(dataset.sets, blank="All sets"), value=control_value(state.set))),
                    _field("Age band", ids.EX_AGE, dbc.Select(id=ids.EX_AGE, options=opts["age"], value=control_value(state.age))),
                    html.Fieldset(
                        [html.Legend("Indicators", className="form-label"),
                         dbc.Checklist(id=ids.EX_INDICATORS, options=opts["indicators"], value=list(state.indicators), className="indicator-list")],
                        className="filter-field",
                    ),
                ],
                className="filter-group",
            ),
            html.Fieldset(
                [
                    html.Legend("Areas and years", className="h5"),
                    html.Fieldset(
                        [html.Legend("Areas (up to 4)", className="form-label"),
                         dbc.Checklist(id=ids.EX_AREAS, options=_options(list(dataset.areas), dataset.areas), value=list(state.areas), className="area-list")],
                        className="filter-field",
                    ),
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
            html.Fieldset(
                [
                    html.Legend("Show", className="h5"),
                    dbc.RadioItems(id=ids.EX_MODE, name=ids.EX_MODE, options=_options(list(MODES), MODES), value=state.mode),
                    html.Div(
                        [
                            _field("Period A", ids.EX_PERIOD_A, dbc.Select(id=ids.EX_PERIOD_A, options=opts["periods"], value=state.a)),
                            _field("Period B", ids.EX_PERIOD_B, dbc.Select(id=ids.EX_PERIOD_B, options=opts["periods"], value=state.b)),
                        ],
                        id=ids.EX_COMPARE_FIELDS,
                        hidden=state.mode != "compare",
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
    return html.Div(
        [
            dcc.Location(id=ids.EX_URL, refresh=False),
            html.H1("Explore indicators"),
            html.P("Filter by indicator set, age band, indicator, area and years. The address bar keeps your view: copy it to share exactly what you see.", className="lead"),
            dcc.Store(id=ids.EX_STATE, data=state.to_dict()),
            html.Div(
                [
                    html.Div(filters, className="col-lg-4 col-xl-3"),
                    html.Div([html.P(id=ids.EX_STATUS, className="visually-hidden", role="status"), html.Div(id=ids.EX_RESULTS)], className="col-lg-8 col-xl-9"),
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
        key = (ind_id, state.areas, state.start, state.end, state.mode, state.a, state.b, reporting_year)
        build = lambda: as_sent(indicator_card(dataset, ind_id, state, indicator_status(dataset, reporting_year).loc[ind_id], reporting_year))  # noqa: E731
        return dataset.cache.remember("explore_card", key, build)

    return [card(ind_id) for ind_id in state.indicators]


def card_rows(dataset: Dataset, indicator_id: str, state: ExploreState) -> pd.DataFrame:
    """Exactly the rows a card shows (and downloads)."""
    rows = indicator_rows(dataset, indicator_id, list(state.areas), state.start or None, state.end or None)
    if state.mode == "compare" and not is_breakdown(rows):
        rows = rows[rows["period"].isin([state.a, state.b]) & (rows["category_type"] == "")]
    return rows


def indicator_card(dataset: Dataset, ind_id: str, state: ExploreState, st: pd.Series, reporting_year: str) -> html.Section:
    ind = dataset.indicator(ind_id)
    rows = card_rows(dataset, ind_id, state)
    heading_id = f"card-{ind_id}-title"
    parts = [html.H2(display_name(ind["name"]), id=heading_id, className="h4"), html.P(ind["set"], className="card-set")]
    block = status_block(st, reporting_year, f"card-{ind_id}")
    if block is not None:
        parts.append(block)
        parts.append(html.P(f"The {reporting_year} value is missing from this chart: the latest is for {st['latest_period']}.", className="missing-period"))
    if values_unpublished(rows):
        parts.append(html.P(unpublished_reason(rows), className="not-published"))
        parts.append(about_panel(ind, rows, st, reporting_year))
        return html.Section(parts, className="indicator-card", id=f"card-{ind_id}", **{"aria-labelledby": heading_id})
    figure, table, summary = _view(rows, ind, state, dataset)
    parts += [
        html.Figure(
            [dcc.Graph(figure=figure, config={"displayModeBar": False, "responsive": True}, id={"type": "card-graph", "index": ind_id}, className="card-graph"),
             html.Figcaption(summary, className="card-summary")],
        ),
        details("Table", table, "table-panel"),
        about_panel(ind, rows, st, reporting_year),
        html.Button("Download CSV", id={"type": ids.CARD_DOWNLOAD_BUTTON, "index": ind_id}, className="btn btn-outline-primary download-button", n_clicks=0),
        dcc.Download(id={"type": ids.CARD_DOWNLOAD, "index": ind_id}),
    ]
    return html.Section(parts, className="indicator-card", id=f"card-{ind_id}", **{"aria-labelledby": heading_id})


def _fmt(v, unit):
    return "no value" if v is None or pd.isna(v) else format_value(v, unit)


def _view(rows: pd.DataFrame, ind: pd.Series, state: ExploreState, dataset: Dataset):
    """(figure, table, summary sentence) for the card, from the same rows."""
    unit = ind["unit"]
    if is_breakdown(rows):
        latest = rows[rows["value"].notna()]
        latest = latest[latest["period"] == latest["period"].iloc[-1]]
        cats = latest[latest["category_type"] != ""]
        fig = bar_figure(cats["category"].tolist(), [(latest["area_name"].iloc[0], cats["value"].tolist())], unit, horizontal=True)
        table = data_table(
            pd.DataFrame({"Category": latest["category"].replace("", "Total"), "Period": latest["period"], "Value": [_fmt(v, unit) for v in latest["value"]]}),
            f"{ind['name']}: {latest['area_name'].iloc[0]}, {latest['period'].iloc[0]}", row_header="Category",
        )
        return fig, table, breakdown_summary(rows, ind)
    if state.mode == "compare":
        cmp = compare_periods(rows, state.a, state.b)
        fig = bar_figure(cmp["area_name"].tolist(), [(state.a, cmp["value_a"].tolist()), (state.b, cmp["value_b"].tolist())], unit)
        table = data_table(
            pd.DataFrame({
                "Area": cmp["area_name"],
                state.a or "Period A": [_fmt(v, unit) for v in cmp["value_a"]],
                state.b or "Period B": [_fmt(v, unit) for v in cmp["value_b"]],
                "Change": [format_change(v, unit) for v in cmp["change"]],
                "% change": [format_percent_change(a, b) for a, b in zip(cmp["value_a"], cmp["value_b"])],
            }),
            f"{ind['name']}: {state.a} compared with {state.b}", row_header="Area",
        )
        return fig, table, compare_summary(cmp, ind)
    if state.mode == "england":
        eng = compare_with_england(rows)
        fig = bar_figure(eng["period"].tolist(), [("York", eng["york"].tolist()), ("England", eng["england"].tolist())], unit)
        table = data_table(
            pd.DataFrame({
                "Period": eng["period"], "York": [_fmt(v, unit) for v in eng["york"]],
                "England": [_fmt(v, unit) for v in eng["england"]],
                "York minus England": [format_change(v, unit) for v in eng["difference"]],
            }),
            f"{ind['name']}: York compared with England", row_header="Period",
        )
        return fig, table, england_summary(eng, ind)
    totals = area_totals(rows)
    shown = totals[totals["value"].notna()]
    if shown["period"].nunique() <= 1:
        # One period is not a trend: a bar per area, from zero, reads better than a lone dot.
        label = shown["period"].iloc[0] if len(shown) else ""
        fig = bar_figure(shown["area_name"].tolist(), [(label, shown["value"].tolist())], unit)
    else:
        fig = trend_figure(totals, unit, list(state.areas))
    table = data_table(
        pd.DataFrame({
            "Period": shown["period"], "Area": shown["area_name"], "Value": [_fmt(v, unit) for v in shown["value"]],
            "95% CI": [f"{_fmt(lo, unit)} to {_fmt(hi, unit)}" if not pd.isna(lo) else "" for lo, hi in zip(shown["lower_ci"], shown["upper_ci"])],
            "Source": shown["source"],
        }),
        f"{ind['name']}: values shown in the chart", row_header="Period",
    )
    return fig, table, trend_summary(totals, ind)


def results_announcement(state: ExploreState) -> str:
    n = len(state.indicators)
    return f"Showing {n} indicator{'s' if n != 1 else ''}: {MODES[state.mode].lower()}."
