"""Explore: controls <-> URL in one callback (so the two never fight), then results from the state."""
from __future__ import annotations

from dash import MATCH, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from layouts import ids
from callbacks.context import current_dataset
from layouts.explore_state import ExploreState, control_value, normalise, parse_query, state_value, to_query
from data.domain.export import to_csv
from layouts.explore import cached_results, card_rows, control_options, results_announcement

CONTROLS = (ids.EX_SET, ids.EX_AGE, ids.EX_INDICATORS, ids.EX_AREAS, ids.EX_FROM, ids.EX_TO, ids.EX_MODE, ids.EX_PERIOD_A, ids.EX_PERIOD_B)


def sync_state(search, set_name, age, indicators, areas, start, end, mode, a, b, shown):
    dataset = current_dataset()
    from_url = ctx.triggered_id == ids.EX_URL
    if from_url:
        raw = parse_query(search)
        if normalise(dataset, raw).to_dict() == shown:
            raise PreventUpdate  # the page already shows this state (first load, or a no-op)
    else:
        raw = ExploreState(
            state_value(set_name), state_value(age), tuple(indicators or ()), tuple(areas or ()),
            state_value(start), state_value(end), mode or "trend", a or "", b or "",
        )
    state = normalise(dataset, raw)
    opts = control_options(dataset, state)
    values = (
        control_value(state.set), control_value(state.age), list(state.indicators), list(state.areas),
        control_value(state.start), control_value(state.end), state.mode, state.a, state.b,
    )
    current = (set_name, age, indicators, areas, start, end, mode, a, b)
    outputs = [no_update if new == old else new for new, old in zip(values, current)]
    search_out = no_update if from_url or to_query(state) == (search or "") else to_query(state)
    return (*outputs, opts["age"], opts["indicators"], opts["periods"], opts["periods"], state.mode != "compare", search_out, state.to_dict())


def render_results(state_dict):
    dataset = current_dataset()
    state = ExploreState.from_dict(state_dict)
    return cached_results(dataset, state), results_announcement(state)


def download(n_clicks, state_dict):
    if not n_clicks:
        return no_update
    dataset = current_dataset()
    ind_id = ctx.triggered_id["index"]
    rows = card_rows(dataset, ind_id, ExploreState.from_dict(state_dict))
    return {"content": to_csv(rows), "filename": f"{ind_id}.csv", "type": "text/csv"}


def register(app) -> None:
    app.callback(
        *[Output(c, "value") for c in CONTROLS],
        Output(ids.EX_AGE, "options"),
        Output(ids.EX_INDICATORS, "options"),
        Output(ids.EX_PERIOD_A, "options"),
        Output(ids.EX_PERIOD_B, "options"),
        Output(ids.EX_COMPARE_FIELDS, "hidden"),
        Output(ids.EX_URL, "search", allow_duplicate=True),
        Output(ids.EX_STATE, "data"),
        Input(ids.EX_URL, "search"),
        *[Input(c, "value") for c in CONTROLS],
        State(ids.EX_STATE, "data"),
        prevent_initial_call=True,
    )(sync_state)
    app.callback(
        Output(ids.EX_RESULTS, "children"),
        Output(ids.EX_STATUS, "children"),
        Input(ids.EX_STATE, "data"),
    )(render_results)
    app.callback(
        Output({"type": ids.CARD_DOWNLOAD, "index": MATCH}, "data"),
        Input({"type": ids.CARD_DOWNLOAD_BUTTON, "index": MATCH}, "n_clicks"),
        State(ids.EX_STATE, "data"),
        prevent_initial_call=True,
    )(download)
