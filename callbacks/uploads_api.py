"""Upload, publish, history and rollback over HTTP (editor session or Bearer token).

POST /api/uploads                      multipart "file" (+ optional "indicators": the choices CSV, see
                                       data/ingest/indicator_choices.py) -> 200 {upload_id, valid, summary}
                                       | 422 {valid: false, errors} | 422 {valid: true, needs_choice, errors}
GET  /api/uploads/<id>                 the job: stage, progress, summary, errors
POST /api/uploads/<id>/indicators      the choices CSV (multipart "indicators" or a text/csv body) -> 200 | 422
POST /api/uploads/<id>/publish         -> 200 {data_version} | 409 retry | 422 not ready (or a choice missing)
GET  /api/versions                     the history, newest first (the audit log)
POST /api/versions/<n>/restore         -> 200 {data_version}
POST /upload/start                     the upload page's form: runs the job in the background, then shows it
GET  /upload/template.csv              the template, with example rows from the report
"""
from __future__ import annotations

import io
import threading

from flask import Blueprint, Response, abort, jsonify, redirect, request

from callbacks.auth import csrf_token_valid, current_editor, editor_required
from callbacks.context import current_settings, current_store
from data.domain.schema import Problem
from data.ingest.indicator_choices import CHOICE_COLUMNS, ChoiceError, read_choices
from data.ingest.template import template_csv
from data.ingest.upload_jobs import choose, create_job, get_job
from data.ingest.upload_process import (
    isolatable,
    process_spooled,
    process_upload,
    publish_upload,
    spool_factory,
    spooled,
    warm_up,
    work_size,
)
from data.storage.store import PublishConflict

uploads_api = Blueprint("uploads_api", __name__)


def _store_or_503():
    store = current_store()
    if store is None:
        abort(503, "this app serves fixed data; uploads need the store")
    return store


def _new_job(store, choices=None):
    """(job id, the work that checks the file) for the posted file; (None, None) without one.
    A big file is spooled to disk for a child process, so this worker never holds it in memory; a
    workbook is big when what it unpacks to is (upload_process.work_size: a zip bomb is never read here)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, None
    name = upload.filename
    if work_size(upload.stream) >= current_settings().isolate_bytes and isolatable(store):
        path, digest = spooled(upload.stream)
        upload_id = create_job(store, None, name, current_editor(), sha256=digest)
        return upload_id, lambda: process_spooled(store, upload_id, path, name, choices)
    content = upload.read()
    upload_id = create_job(store, content, name, current_editor())
    return upload_id, lambda: process_upload(store, upload_id, content, name, choices)


def _receive_big_files() -> list:
    """Before the body is read: when it is big enough that its file goes to a child, have the multipart
    parser write each file part straight to a named temporary file, hashing it on the way
    (upload_process.SpoolFile: werkzeug's Request._get_file_stream hook, for this request only), and start
    the fork server the child will come from while the body arrives (upload_process.warm_up).
    Returns the parts, for _discard once the request is done with them."""
    parts: list = []
    store = current_store()
    if store is not None and (request.content_length or 0) >= current_settings().isolate_bytes and isolatable(store):
        setattr(request, "_get_file_stream", spool_factory(parts))  # noqa: B010 - an instance hook, not a constant name
        request.environ["wsgi.input"] = io.BufferedReader(_Raw(request.environ["wsgi.input"]), _BODY_READ)
        warm_up()
    return parts


# The multipart parser reads the body 64 KiB at a time. gunicorn's reader asks the socket for up to 1 MiB
# and, on each 64 KiB read, copies what it holds beyond it into a fresh buffer: ~24 bytes copied per byte
# received, 2.4 s of the worker's ~2.8 s CPU for a 281 MB body (issue 15, round 4). Reading it 1 MiB at a
# time (a buffer between the two) copies each byte a few times.
_BODY_READ = 1 << 20


class _Raw(io.RawIOBase):
    """A WSGI input stream as a raw stream, for io.BufferedReader."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _discard(parts: list) -> None:
    """Remove the spooled parts no child took (the choices part, a file refused or not big after all)."""
    for part in parts:
        part.discard()


@uploads_api.post("/api/uploads")
@editor_required
def api_upload():
    parts = _receive_big_files()
    try:
        return _api_upload()
    finally:
        _discard(parts)


def _api_upload():
    store = _store_or_503()
    try:
        choices = _posted_choices(required=False)
    except ChoiceError as exc:
        return jsonify({"valid": False, "errors": _errors(exc)}), 422
    upload_id, work = _new_job(store, choices)
    if upload_id is None:
        return jsonify({"valid": False, "errors": [{"row": None, "column": None, "message": "send the file in the multipart field 'file'"}]}), 400
    job = work()
    if job["stage"] != "ready":
        return jsonify({"upload_id": job["id"], "valid": False, "errors": job["errors"]}), 422
    return _ready_answer(job)


def _posted_choices(required: bool):
    """The `indicators` part (or, when required, a text/csv body) as a choices table; None when not sent."""
    part = request.files.get("indicators")
    if part is not None:
        return read_choices(part.read())
    if "indicators" in request.form:
        return read_choices(request.form["indicators"])
    if required and request.mimetype in ("text/csv", "text/plain") and request.content_length:
        return read_choices(request.get_data())
    if required:
        raise ChoiceError([Problem(None, "indicators", "send the choices CSV in the multipart field 'indicators' "
                                                     "(columns " + ", ".join(CHOICE_COLUMNS) + ")")])
    return None


def _errors(exc: ChoiceError) -> list[dict]:
    return [{"row": p.row, "column": p.column, "message": f"indicators CSV: {p.message}"} for p in exc.problems]


def _ready_answer(job: dict):
    """200 with the preview, or 422 naming each new indicator and field that still needs a choice."""
    waiting = (job.get("summary") or {}).get("needs_choice") or []
    if waiting:
        errors = [{"row": None, "column": w["field"], "message": w["message"]} for w in waiting]
        return jsonify({"upload_id": job["id"], "valid": True, "needs_choice": waiting, "errors": errors,
                        "summary": job["summary"]}), 422
    return jsonify({"upload_id": job["id"], "valid": True, "summary": job["summary"]})


@uploads_api.post("/api/uploads/<upload_id>/indicators")
@editor_required
def api_upload_choices(upload_id):
    store = _store_or_503()
    try:
        job = choose(store, upload_id, _posted_choices(required=True), current_editor())
    except LookupError as exc:
        return jsonify({"error": str(exc)}), 404
    except ChoiceError as exc:
        return jsonify({"upload_id": upload_id, "valid": False, "errors": _errors(exc)}), 422
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 422
    return _ready_answer(job)


@uploads_api.get("/api/uploads/<upload_id>")
@editor_required
def api_upload_status(upload_id):
    job = get_job(_store_or_503(), upload_id)
    if job is None:
        return jsonify({"error": f"no upload {upload_id}"}), 404
    return jsonify(job)


@uploads_api.post("/api/uploads/<upload_id>/publish")
@editor_required
def api_publish(upload_id):
    store = _store_or_503()
    try:
        version = publish_upload(store, upload_id, current_editor(), current_settings().isolate_bytes)
    except LookupError as exc:
        return jsonify({"error": str(exc)}), 404
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 422
    except PublishConflict as exc:
        return jsonify({"error": str(exc), "retry": True}), 409
    return jsonify({"data_version": version})


@uploads_api.get("/api/versions")
@editor_required
def api_versions():
    return jsonify(_store_or_503().versions())


@uploads_api.post("/api/versions/<int:version>/restore")
@editor_required
def api_restore(version):
    store = _store_or_503()
    try:
        new = store.restore(version, user=current_editor())
    except LookupError as exc:
        return jsonify({"error": str(exc)}), 404
    except PublishConflict as exc:
        return jsonify({"error": str(exc), "retry": True}), 409
    return jsonify({"data_version": new, "restored_from": version})


@uploads_api.post("/upload/start")
@editor_required
def page_upload_start():
    parts = _receive_big_files()
    try:
        if not csrf_token_valid(request.form.get("csrf_token")):
            abort(400, "the form expired; reload the page and try again")
        store = _store_or_503()
        upload_id, work = _new_job(store)
    finally:
        _discard(parts)
    if upload_id is None:
        return redirect("/upload?error=nofile", code=303)
    # The page polls the job row (on any worker) while this thread works.
    threading.Thread(target=work, daemon=True).start()
    return redirect(f"/upload?job={upload_id}", code=303)


@uploads_api.get("/upload/template.csv")
def template_download():
    return Response(template_csv(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=cyscp-template.csv"})

