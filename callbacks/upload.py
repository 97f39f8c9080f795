"""Upload page and version history: every callback re-checks the editor on the server."""
from __future__ import annotations

import pandas as pd
from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import current_editor
from callbacks.context import current_dataset, current_settings, current_store
from data.ingest.indicator_choices import CHOICE_COLUMNS, ChoiceError
from data.ingest.upload_jobs import FINISHED, READY, choose, get_job
from data.ingest.upload_process import publish_upload
from data.storage.store import PublishConflict
from layouts import ids
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
    preview = ui.preview_view(job, store.head_version(), _catalogue()) if done else []
    return ui.progress_view(job), preview, not _publishable(job), done


def _publishable(job: dict) -> bool:
    return job["stage"] == READY and not (job.get("summary") or {}).get("needs_choice")


def _catalogue() -> list[tuple[str, str]]:
    cat = current_dataset().indicators
    return [(str(i), str(n)) for i, n in zip(cat.index, cat["name"], strict=True)]


def save_choices(n_clicks, values, control_ids, job_id):
    """The editor's choices in the preview form -> the job's preview again (or what is wrong with them)."""
    if not n_clicks:
        raise PreventUpdate
    _, store = _editor_store()
    by_source: dict[str, dict] = {}
    for cid, value in zip(control_ids or [], values or [], strict=True):
        if cid["field"] == "map_to" and value == ui.NOT_MAPPED:
            value = ""
        by_source.setdefault(cid["source"], {"source_id": cid["source"]})[cid["field"]] = value or ""
    choices = pd.DataFrame(list(by_source.values()), columns=list(CHOICE_COLUMNS)).fillna("")
    try:
        job = choose(store, job_id, choices, current_editor())
    except ChoiceError as exc:
        return no_update, no_update, [ui.html.P("Not saved: " + "; ".join(str(p) for p in exc.problems), role="alert",
                                                className="error-message")]
    except (LookupError, ValueError) as exc:
        return no_update, no_update, f"Not saved: {exc}."
    waiting = len(job["summary"].get("needs_choice") or [])
    message = (f"Saved. {waiting} field(s) still need your choice before you can publish." if waiting
               else "Saved. Every field is chosen: check the preview, then publish.")
    return ui.preview_view(job, store.head_version(), _catalogue()), not _publishable(job), message


def publish(n_clicks, job_id):
    if not n_clicks:
        raise PreventUpdate
    editor, store = _editor_store()
    try:
        version = publish_upload(store, job_id, editor, current_settings().isolate_bytes)
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
        Output(ids.UP_PROGRESS, "children"),
        Output(ids.UP_PREVIEW, "children"),
        Output(ids.UP_PUBLISH, "hidden"),
        Output(ids.UP_POLL, "disabled"),
        Input(ids.UP_POLL, "n_intervals"),
        State(ids.UP_JOB, "data"),
    )(poll)
    app.callback(
        Output(ids.UP_PREVIEW, "children", allow_duplicate=True),
        Output(ids.UP_PUBLISH, "hidden", allow_duplicate=True),
        Output(ids.UP_CHOOSE_RESULT, "children"),
        Input(ids.UP_CHOOSE, "n_clicks"),
        State({"type": ids.UP_CHOICE, "source": ALL, "field": ALL}, "value"),
        State({"type": ids.UP_CHOICE, "source": ALL, "field": ALL}, "id"),
        State(ids.UP_JOB, "data"),
        prevent_initial_call=True,
    )(save_choices)
    app.callback(
        Output(ids.UP_PUBLISH_RESULT, "children"),
        Output(ids.UP_PUBLISH, "hidden", allow_duplicate=True),
        Input(ids.UP_PUBLISH, "n_clicks"),
        State(ids.UP_JOB, "data"),
        prevent_initial_call=True,
    )(publish)
    app.callback(
        Output(ids.VERSIONS_RESULT, "children"),
        Output(ids.VERSIONS_TABLE, "children"),
        Input({"type": ids.VERSIONS_RESTORE, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(restore)
