"""Fetch from Fingertips: the upload page's form (POST /upload/fetch) and the `fingertips` command.

POST /upload/fetch      form: csrf_token, ids ("93356, 20601"), area_type -> the data and metadata are
                        fetched, then checked as an upload: redirect to /upload?job=ID (the same preview);
                        a failed fetch goes back to /upload?fetch_error=... and changes nothing.

    flask --app app fingertips fetch 93356 20601 [--area-type 502] [--set SET] [--publish] [--user NAME]

prints what was fetched and the preview summary; --publish publishes it as a new data version,
recorded as made by NAME (default "fingertips fetch (system)"). Exit status 1 on any failure.
"""
from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlencode

import click
from dash import Input, Output, State
from flask import Blueprint, abort, redirect, request
from flask.cli import AppGroup

from callbacks.auth import csrf_token_valid, current_editor, editor_required
from callbacks.context import current_settings, current_store
from data.domain.schema import SETS
from data.ingest.fetch_fingertips import (
    DEFAULT_AREA_TYPE,
    FetchError,
    create_fetch_job,
    fetch,
    process_fetch_job,
    run_job,
)
from data.ingest.upload_jobs import READY, publish_job
from data.storage.store import PublishConflict
from layouts import fetch as ui
from layouts.ids import URL

fetch_routes = Blueprint("fetch_routes", __name__)
SYSTEM_USER = "fingertips fetch (system)"
FORM_BUDGET = 120.0  # seconds the page's fetch may take in all: well under gunicorn's WEB_TIMEOUT (300 s)


@fetch_routes.post("/upload/fetch")
@editor_required
def page_fetch():
    if not csrf_token_valid(request.form.get("csrf_token")):
        abort(400, "the form expired; reload the page and try again")
    store = current_store()
    if store is None:
        abort(503, "this app serves fixed data; fetching needs the store")
    ids = (request.form.get("ids") or "")[:400]
    area = (request.form.get("area_type") or "")[:10]
    settings = current_settings()
    try:
        fetched = fetch(ids, area, base_url=settings.fingertips_api_url, timeout=settings.fingertips_timeout,
                        catalogue=store.catalogue(), budget=FORM_BUDGET, max_bytes=settings.max_upload_bytes)
    except FetchError as exc:
        return redirect("/upload?" + urlencode({"fetch_error": str(exc)[:600], "ids": ids}), code=303)
    upload_id = create_fetch_job(store, fetched, current_editor() or "")
    # The page polls the job row (on any worker) while this thread checks the data, as for a file.
    threading.Thread(target=process_fetch_job, args=(store, upload_id, fetched), daemon=True).start()
    return redirect(f"/upload?job={upload_id}", code=303)


def show_fetch_message(search, _pathname):
    query = parse_qs((search or "").lstrip("?"))
    return ui.fetch_message((query.get("fetch_error") or [None])[0], (query.get("ids") or [None])[0])


def register(app) -> None:
    app.callback(Output(ui.FETCH_MESSAGE, "children"), Input(URL, "search"), State(URL, "pathname"))(show_fetch_message)


# -- command line --------------------------------------------------------------------------------------

def _summary_lines(job: dict) -> list[str]:
    summary = job.get("summary") or {}
    lines = [f"Preview (upload {job['id']}): {job['stage']}"]
    if job["stage"] != READY:
        lines += [f"  problem: {e.get('row') or ''} {e.get('column') or ''} {e['message']}".replace("   ", " ")
                  for e in job.get("errors") or []]
        return lines
    lines += [
        f"  rows in the data: {summary.get('rows', '')}",
        f"  rows added: {summary.get('added', 0)}, values changed: {summary.get('changed', 0)}, "
        f"unchanged: {summary.get('unchanged', 0)}",
        f"  new indicators: {', '.join(summary.get('new_indicators') or []) or 'none'}",
        f"  pending flags cleared: {', '.join(summary.get('pending_cleared') or []) or 'none'}",
    ]
    return lines


def cli_group() -> AppGroup:
    group = AppGroup("fingertips", help="Fetch indicators from the Fingertips API (FINGERTIPS_API_URL).")

    @group.command("fetch")
    @click.argument("ids", nargs=-1, required=True)
    @click.option("--area-type", default=DEFAULT_AREA_TYPE, show_default=True, type=click.IntRange(min=1),
                  help="Fingertips area type id of the areas to fetch.")
    @click.option("--publish", is_flag=True, help="Publish the fetched data as a new version (else: preview only).")
    @click.option("--set", "new_set", type=click.Choice(SETS), default=None,
                  help="The set a new indicator goes in (else the preview asks for one).")
    @click.option("--user", default=SYSTEM_USER, show_default=True, help="Who the version history names for this fetch.")
    def fetch_command(ids: tuple[str, ...], area_type: int, publish: bool, new_set: str | None, user: str) -> None:
        """Fetch Fingertips indicators IDS (e.g. 93356 20601), check them as an upload and print the preview."""
        store = current_store()
        if store is None:
            raise click.ClickException("this app serves fixed data: there is no store to fetch into")
        settings = current_settings()
        try:
            fetched = fetch(" ".join(ids), area_type, base_url=settings.fingertips_api_url,
                            timeout=settings.fingertips_timeout, catalogue=store.catalogue(), new_set=new_set or "",
                            max_bytes=settings.max_upload_bytes)
        except FetchError as exc:
            raise click.ClickException(f"not fetched: {exc}") from None
        for line in fetched.summary_lines():
            click.echo(line)
        job = run_job(store, fetched, user)
        if job is None:
            raise click.ClickException("the preview job was lost; nothing was changed")
        for line in _summary_lines(job):
            click.echo(line)
        if job["stage"] != READY:
            raise click.ClickException("the fetched data has problems (above); nothing was changed")
        if not publish:
            click.echo(f"Not published (add --publish to publish). Editors can open /upload?job={job['id']} to publish it.")
            return
        try:
            version = publish_job(store, job["id"], user)
        except (PublishConflict, LookupError, ValueError) as exc:
            raise click.ClickException(f"not published: {exc}") from None
        click.echo(f"Published as version {version} by {user}.")

    return group
