"""Explore: controls <-> URL in one callback (so the two never fight), then results from the state.

The controls, their outputs and the views' own selects are read from the registry
(layouts/explore_views), so a new view needs nothing here."""
from __future__ import annotations

from dash import MATCH, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate
from flask import g, has_app_context, has_request_context

from callbacks.context import current_dataset, current_store
from data.domain.export import to_csv
from data.storage.area_groups import list_groups
from layouts import explore_views as views
from layouts import ids
from layouts.explore import FILTERS_FOLD, cached_results, card_rows, control_options, results_announcement
from layouts.explore_state import ExploreState, control_values, from_controls, normalise, parse_query, to_query
from layouts.explore_views import compare_areas

# State field -> its control; each view's own fields follow, from the registry.
COMMON_CONTROLS = {
    "set": ids.EX_SET, "age": ids.EX_AGE, "indicators": ids.EX_INDICATORS, "areas": ids.EX_AREAS,
    "start": ids.EX_FROM, "end": ids.EX_TO, "mode": ids.EX_MODE,
}


def wired_controls() -> dict[str, str]:
    """Every control the state callback reads and sets, by state field."""
    return {**COMMON_CONTROLS, **{f.name: f.control_id for f in views.fields()}}


def sync_state(search: str | None, controls: dict, shown: dict | None) -> dict:
    """The URL or a control changed: normalise the state, then set every control, the address and the store."""
    dataset = current_dataset()
    from_url = ctx.triggered_id == ids.EX_URL
    state = normalise(dataset, parse_query(search) if from_url else from_controls(controls))
    if from_url and state.to_dict() == shown:
        raise PreventUpdate  # the page already shows this state (first load, or a no-op)
    opts = control_options(dataset, state)
    query = to_query(state)
    return {
        "values": {k: no_update if new == controls[k] else new for k, new in control_values(state).items()},
        "options": {"age": opts["age"], "indicators": opts["indicators"], **opts["choices"]},
        "hidden": {key: state.mode != key for key, _ in views.control_groups()},
        "search": no_update if from_url or query == (search or "") else query,
        "state": state.to_dict(),
    }


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


def stored_groups():
    """The comparator groups of the app's store (the bundled ones when it serves fixed data). Read once per
    request (an explore request asks 3-4 times: its options, its state, its key): a dict per call."""
    if not has_request_context():  # outside a request (a script, a test): read now
        store = current_store() if has_app_context() else None  # no app: the bundled ones
        return list_groups(store.engine if store is not None else None)
    if "stored_groups" not in g:
        store = current_store()
        g.stored_groups = list_groups(store.engine if store is not None else None)
    return dict(g.stored_groups)


# On a phone the filters fold away (a native <details>, still one tap to open) so the chart is the first thing
# under the heading; on a wide screen they stay open beside it. Run when the explore page is drawn.
FOLD_ON_A_PHONE = "function (_pathname) { return window.matchMedia('(min-width: 768px)').matches; }"


def register(app) -> None:
    compare_areas.use_groups(stored_groups)
    app.clientside_callback(FOLD_ON_A_PHONE, Output(FILTERS_FOLD, "open"), Input(ids.EX_URL, "pathname"))
    # Outputs and inputs in the order recorded browser payloads name them (bench/payloads/): values,
    # options, the views' groups, then the address and the store.
    wired = wired_controls()
    app.callback(
        output={
            "values": {name: Output(cid, "value") for name, cid in wired.items()},
            "options": {
                "age": Output(ids.EX_AGE, "options"), "indicators": Output(ids.EX_INDICATORS, "options"),
                **{f.name: Output(f.control_id, "options") for f in views.fields()},
            },
            "hidden": {key: Output(controls.group_id, "hidden") for key, controls in views.control_groups()},
            "search": Output(ids.EX_URL, "search", allow_duplicate=True),
            "state": Output(ids.EX_STATE, "data"),
        },
        inputs={
            "search": Input(ids.EX_URL, "search"),
            "controls": {name: Input(cid, "value") for name, cid in wired.items()},
        },
        state={"shown": State(ids.EX_STATE, "data")},
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
