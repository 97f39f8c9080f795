"""Big uploads are read, checked and published in a child process.

A 1M-row file peaks at ~1.2 GB while it is read, and CPython keeps much of
that heap after the rows are freed (fragmented arenas): a worker that had
handled one upload held ~430 MB instead of ~240 MB ever after. A child's
memory all goes back when it exits, and a child killed by the OOM killer
fails the job instead of the worker. The job row in the store carries
progress and results either way, so the page and the API do not change.
Small files (the common case, and every test but one) stay in-process:
starting a Python costs ~0.5 s.

"Big" is what the reading will hold, not what was sent: an .xlsx workbook is a zip,
so its size is the larger of the file and what its members unpack to (from the zip's
central directory, nothing inflated: work_size). A 4 MB workbook that unpacks to
1 GB is read in a child (where the container refuses it anyway), never in the worker.
A child that runs longer than PROCESS_TIMEOUT is killed, and a child that dies (killed,
out of memory) fails its job with a message saying so.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing
import os
import signal
import tempfile
import threading
from pathlib import Path

from sqlalchemy import func, select

from data.ingest.containers.xlsx_file import unpacked_size
from data.ingest.importer import FileBytes
from data.ingest.upload_jobs import fail, get_job, process, publish_job
from data.storage.store import PublishConflict, Store
from data.storage.tables import uploads

_ERRORS = {"LookupError": LookupError, "ValueError": ValueError, "PublishConflict": PublishConflict}

# Seconds a child may spend reading, checking and comparing a file before it is killed and its job
# failed. Under the Procfile's WEB_TIMEOUT (300 s by default), so the request that waits for the child
# answers before gunicorn would kill the worker. A module constant, not a setting (data/settings.py is
# not this module's to change); a test lowers it.
PROCESS_TIMEOUT = 240.0


class ChildStopped(RuntimeError):
    """The child process did not answer: it was killed, ran out of memory, or ran out of time."""


def work_size(stream) -> int:
    """What reading a received file will hold, in bytes: the file's size, or what a workbook (a zip)
    unpacks to when that is more. The stream (seekable, as werkzeug keeps uploads) is left at its start."""
    try:
        size = stream.seek(0, 2)
        stream.seek(0)
    except (AttributeError, OSError):
        return 0  # not seekable: read into memory, as any small file is
    head = stream.read(4)
    stream.seek(0)
    if head != b"PK\x03\x04":
        return size
    return max(size, unpacked_size(stream))


def isolatable(store: Store) -> bool:
    return ":memory:" not in store.url and store.url not in ("sqlite://", "sqlite:///")  # a child cannot see those


def process_upload(store: Store, upload_id: str, content: bytes, file_name: str, choices=None) -> dict | None:
    """upload_jobs.process of a small file, in this process (big ones are spooled: process_spooled).
    choices: the editor's choices about the file's new indicators (indicator_choices.read_choices), if any."""
    return process(store, upload_id, content, file_name, choices)


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


class SpoolFile(io.BufferedRandom):
    """A big upload's file part, written by the multipart parser straight to a named temporary file and
    hashed on the way (see spool_factory). Then the worker neither copies the received file to another
    (spool) nor reads it again to hash it: 281 MB written once instead of twice, ~1 s at 1M rows.
    A read/write file as the parser and FileStorage need; keep() hands the file over to a child (which
    removes it), discard() removes it."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="upload-", suffix=".bin")
        super().__init__(io.FileIO(fd, "w+b"))
        self._digest = hashlib.sha256()
        self.kept = False

    def write(self, data) -> int:
        self._digest.update(data)
        return super().write(data)

    def keep(self) -> tuple[str, str]:
        """(path, sha256) of everything written; the file is closed and now belongs to the caller."""
        self.close()
        self.kept = True
        return self.path, self._digest.hexdigest()

    def discard(self) -> None:
        """Close and remove the file, unless keep() handed it over."""
        self.close()
        if not self.kept:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


def spool_factory(parts: list):
    """A stream factory with werkzeug's signature (Request._get_file_stream) that writes every file part
    of a request to a SpoolFile, listed in `parts` so the caller can discard those it did not keep."""

    def factory(total_content_length=None, content_type=None, filename=None, content_length=None) -> SpoolFile:
        part = SpoolFile()
        parts.append(part)
        return part

    return factory


def spooled(stream) -> tuple[str, str]:
    """(path, sha256) of a big upload's file on disk for the child: the SpoolFile the parser wrote, kept,
    or (any other stream) a spooled copy."""
    if isinstance(stream, SpoolFile):
        return stream.keep()
    return spool(stream)


def warm_up() -> None:
    """Start this process's fork server in a background thread, when a big upload is on its way: its body
    takes seconds to arrive and the fork server ~1.5 s to start (a fresh Python importing pandas), so the
    first child no longer waits for it. Idle workers start none (~100 MB each). If it cannot start, the
    child is spawned as before (_started)."""

    def start() -> None:
        with contextlib.suppress(OSError):
            _forkserver_context()
            from multiprocessing import forkserver

            forkserver.ensure_running()

    threading.Thread(target=start, name="forkserver-warm-up", daemon=True).start()


def _forkserver_context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def process_spooled(store: Store, upload_id: str, path: str, file_name: str, choices=None) -> dict | None:
    """upload_jobs.process of a spooled file, in a child process; the file is removed afterwards."""
    try:
        _in_child("process", store, upload_id, path, file_name, choices, timeout=PROCESS_TIMEOUT)
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
    return _in_child("publish", store, upload_id, user)


def _in_child(action: str, store: Store | str, *args, timeout: float | None = None):
    """Run `action` in a child process and hand back its answer (or raise its exception here).
    ChildStopped when the child dies first, or is still working after `timeout` seconds (then it is killed)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    # The child's store has the same instance folder, so a publish writes the snapshot the workers read.
    url, instance = (store, None) if isinstance(store, str) else (store.url, str(store.instance))
    child = _started(_child, (send, action, url, args, instance))
    send.close()
    try:
        if timeout is not None and not receive.poll(timeout):
            child.kill()
            child.join()
            raise ChildStopped(f"it took longer than {timeout:g} seconds to read and check, so it was stopped "
                               "(a file this long is better uploaded as CSV, or split)")
        outcome = receive.recv()  # the child's answer, or EOFError if it died first
    except EOFError:
        outcome = None
    finally:
        receive.close()
    child.join()
    if outcome is None:
        raise ChildStopped(_death(child.exitcode))
    kind, value = outcome
    if kind == "ok":
        return value
    name, message = value
    raise _ERRORS.get(name, RuntimeError)(message)


def _started(target, args: tuple):
    """A started child process running target(*args).

    Children come from a fork server: a clean process (started once per worker, as its first big upload arrives: warm_up)
    that has imported this module and forks a child for each job. Starting a fresh Python for each child
    (spawn) cost 0.5-0.7 s on a quiet machine and 3-4 s on a busy one, twice per upload (read, publish);
    a fork of the server costs ~0.02-0.1 s. Not a plain fork of the worker: that would copy its threads'
    locks mid-use. If the fork server cannot start (its socket lives under TMPDIR, and a Unix socket's path
    may not be longer than 107 bytes), the child is spawned as before."""
    forkserver = _forkserver_context()
    try:
        served = forkserver.Process(target=target, args=args, daemon=True)
        served.start()
        return served
    except OSError:
        spawned = multiprocessing.get_context("spawn").Process(target=target, args=args, daemon=True)
        spawned.start()
        return spawned


def _death(exitcode: int | None) -> str:
    """Why a child stopped without answering, for the job's message."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory, perhaps)" if -exitcode == signal.SIGKILL else ""
        return f"the process reading it was killed by {name}{hint} before it finished"
    return f"the process reading it stopped (exit code {exitcode}) before it finished"


def _child(send, action: str, url: str, args: tuple, instance: str | None = None) -> None:
    store = Store(url) if instance is None else Store(url, instance=Path(instance))
    result: dict | int | None
    try:
        if action == "process":
            upload_id, path, file_name, choices = args
            # handed over once: the bytes go as soon as they are read into a table (importer.FileBytes)
            result = process(store, upload_id, FileBytes(Path(path).read_bytes()), file_name, choices)
        else:
            result = publish_job(store, *args)
        send.send(("ok", result))
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it there
        send.send(("raise", (type(exc).__name__, str(exc))))
    finally:
        store.dispose()
        send.close()
