"""Big uploads are read, checked and published in a child process.

A 1M-row file peaks at ~1.2 GB while it is read, and CPython keeps much of
that heap after the rows are freed (fragmented arenas): a worker that had
handled one upload held ~430 MB instead of ~240 MB ever after. A child's
memory all goes back when it exits, and a child killed by the OOM killer
fails the job instead of the worker. The job row in the store carries
progress and results either way, so the page and the API do not change.
Small files (the common case, and every test but one) stay in-process:
starting a Python costs ~0.5 s.
"""
from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import tempfile
from pathlib import Path

from sqlalchemy import func, select

from data.ingest.upload_jobs import fail, get_job, process, publish_job
from data.storage.store import PublishConflict, Store
from data.storage.tables import uploads

_ERRORS = {"LookupError": LookupError, "ValueError": ValueError, "PublishConflict": PublishConflict}


def isolatable(store: Store) -> bool:
    return ":memory:" not in store.url and store.url not in ("sqlite://", "sqlite:///")  # a child cannot see those


def process_upload(store: Store, upload_id: str, content: bytes, file_name: str) -> dict | None:
    """upload_jobs.process of a small file, in this process (big ones are spooled: process_spooled)."""
    return process(store, upload_id, content, file_name)


def spool(stream, chunk: int = 4 << 20) -> tuple[str, str]:
    """Copy a big upload's stream to a temporary file, hashing it on the way: (path, sha256).
    The worker then never holds the file in memory; the child reads it and removes it."""
    digest = hashlib.sha256()
    fd, path = tempfile.mkstemp(prefix="upload-", suffix=".bin")
    with os.fdopen(fd, "wb") as out:
        while block := stream.read(chunk):
            digest.update(block)
            out.write(block)
    return path, digest.hexdigest()


def process_spooled(store: Store, upload_id: str, path: str, file_name: str) -> dict | None:
    """upload_jobs.process of a spooled file, in a child process; the file is removed afterwards."""
    try:
        _in_child("process", store.url, upload_id, path, file_name)
    except Exception as exc:  # noqa: BLE001 - process() records its own failures; this is the child dying
        fail(store, upload_id, exc)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return get_job(store, upload_id)


def publish_upload(store: Store, upload_id: str, user: str, isolate_at: int) -> int:
    """upload_jobs.publish_job (same answers and exceptions), in a child process for a payload of
    `isolate_at` bytes or more (Settings.isolate_bytes: UPLOAD_ISOLATE_MB)."""
    with store.engine.connect() as conn:
        size = conn.execute(select(func.length(uploads.c.payload)).where(uploads.c.id == upload_id)).scalar()
    if (size or 0) < isolate_at or not isolatable(store):
        return publish_job(store, upload_id, user)
    return _in_child("publish", store.url, upload_id, user)


def _in_child(action: str, url: str, *args):
    ctx = multiprocessing.get_context("spawn")  # fork would copy the worker's threads' locks mid-use
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, action, url, args), daemon=True)
    child.start()
    send.close()
    try:
        outcome = receive.recv()  # the child's answer, or EOFError if it died first
    except EOFError:
        outcome = None
    child.join()
    if outcome is None:
        raise RuntimeError(f"the upload's process stopped (exit code {child.exitcode})")
    kind, value = outcome
    if kind == "ok":
        return value
    name, message = value
    raise _ERRORS.get(name, RuntimeError)(message)


def _child(send, action: str, url: str, args: tuple) -> None:
    store = Store(url)
    result: dict | int | None
    try:
        if action == "process":
            upload_id, path, file_name = args
            result = process(store, upload_id, Path(path).read_bytes(), file_name)
        else:
            result = publish_job(store, *args)
        send.send(("ok", result))
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it there
        send.send(("raise", (type(exc).__name__, str(exc))))
    finally:
        store.dispose()
        send.close()
