"""Upload page and version history: every callback re-checks the editor on the server."""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import current_editor
from callbacks.context import current_store
from data.store import PublishConflict
from data.upload_jobs import FINISHED, READY, get_job, publish_job
from layouts import upload as ui


def _editor_store():
    editor, store = current_editor(), current_store()
    if not editor or store is None:
        raise PreventUpdate  # the request hook refuses these already; this is the second lock
    return editor, store


def poll(_n, job_id):
    _, store = _editor_store()
    job = get_job(store, job_id) if job_id else None
    if job is None:
        return "No such upload.", [], True, True
    done = job["stage"] in FINISHED
    preview = ui.preview_view(job, store.head_version()) if done else []
    return ui.progress_view(job), preview, job["stage"] != READY, done


def publish(n_clicks, job_id):
    if not n_clicks:
        raise PreventUpdate
    editor, store = _editor_store()
    try:
        version = publish_job(store, job_id, editor)
    except PublishConflict as exc:
        return f"Not published: {exc}.", False
    except (LookupError, ValueError) as exc:
        return f"Not published: {exc}.", True
    return [f"Published as version {version}. Everyone sees it on their next page load. ",
            ui.html.A("Open the overview", href="/"), " or ", ui.html.A("see the history", href="/versions"), "."], True


def restore(n_clicks):
    if not any(n_clicks or []):
        raise PreventUpdate
    editor, store = _editor_store()
    version = ctx.triggered_id["index"]
    try:
        new = store.restore(version, user=editor)
    except (LookupError, PublishConflict) as exc:
        return f"Not restored: {exc}.", no_update
    return f"Restored version {version} as new version {new}.", ui.versions_table(store.versions())


def register(app) -> None:
    app.callback(
        Output(ui.PROGRESS, "children"),
        Output(ui.PREVIEW, "children"),
        Output(ui.PUBLISH, "hidden"),
        Output(ui.POLL, "disabled"),
        Input(ui.POLL, "n_intervals"),
        State(ui.JOB, "data"),
    )(poll)
    app.callback(
        Output(ui.PUBLISH_RESULT, "children"),
        Output(ui.PUBLISH, "hidden", allow_duplicate=True),
        Input(ui.PUBLISH, "n_clicks"),
        State(ui.JOB, "data"),
        prevent_initial_call=True,
    )(publish)
    app.callback(
        Output(ui.VERSIONS_RESULT, "children"),
        Output(ui.VERSIONS_TABLE, "children"),
        Input({"type": ui.RESTORE, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(restore)
