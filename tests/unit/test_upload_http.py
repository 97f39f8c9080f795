"""The 1M upload through HTTP (issue 15, round 4): a big file part is written once, straight to the file the
child reads, and hashed on the way; the body is read in big reads; the fork server starts while the body
arrives. Same answers, same errors, same rows."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from callbacks import uploads_api
from data.ingest import upload_process
from data.ingest.upload_process import SpoolFile, spool_factory, spooled
from tests.unit.test_uploads_api import (  # noqa: F401 - make_site is a fixture
    DONE_WHEN,
    data_version,
    indicators,
    make_site,
    preview,
    publish,
    template_bytes,
    upload,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def spool_dir(tmp_path, monkeypatch) -> Path:
    """Where big uploads' files are spooled (tempfile's folder) for this test."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _left(folder: Path) -> list[str]:
    """Files left in the spool folder (the fork server keeps its socket in a pymp-* folder there)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("pymp-"))


def test_uph001_a_spool_file_keeps_and_hashes_exactly_what_is_written(spool_dir):
    content = os.urandom(300_000) + b"\nlast line\n"
    part = SpoolFile()
    for at in range(0, len(content), 65_536):
        part.write(content[at:at + 65_536])
    part.seek(0)
    assert part.read(4) == content[:4]
    part.seek(0, 2)
    assert part.tell() == len(content)
    part.seek(0)
    assert part.read() == content
    path, digest = spooled(part)  # handed over: the file stays for the child
    assert digest == hashlib.sha256(content).hexdigest()
    assert Path(path).read_bytes() == content
    part.discard()  # kept: not removed
    assert Path(path).exists()
    os.unlink(path)

    parts: list = []
    other = spool_factory(parts)(total_content_length=10, content_type="text/csv", filename="x.csv", content_length=0)
    other.write(b"abc")
    assert parts == [other] and _left(spool_dir) == [Path(other.path).name]
    other.discard()  # not kept: removed
    assert _left(spool_dir) == []


def test_uph002_a_big_upload_is_written_once_hashed_on_the_way_and_published_the_same(make_site, monkeypatch, spool_dir):  # noqa: F811 - the imported fixture
    site = make_site(UPLOAD_ISOLATE_MB="0")  # every file counts as big: read in a child
    copies = []
    real_spool = upload_process.spool
    monkeypatch.setattr(upload_process, "spool", lambda *a, **k: copies.append(1) or real_spool(*a, **k))
    first = data_version(site.client)
    content = template_bytes([DONE_WHEN])
    body = preview(site, content)
    assert body["summary"]["added"] == 1
    job = site.client.get(f"/api/uploads/{body['upload_id']}", headers=site.editor).get_json()
    assert job["sha256"] == hashlib.sha256(content).hexdigest()
    assert copies == []  # the parser's file went to the child as it was: no second copy
    assert _left(spool_dir) == []  # and the child removed it
    assert publish(site, body["upload_id"]).get_json() == {"data_version": first + 1}
    assert indicators(site.client)[DONE_WHEN["indicator_id"]]["latest_value"] == float(DONE_WHEN["value"])

    # refused files, and a choices part that cannot be read, leave nothing behind either; same errors
    bad = upload(site.client, template_bytes([{**DONE_WHEN, "value": "lots"}]), "bad.csv", site.editor)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["column"] == "value"
    unreadable = upload(site.client, content, "again.csv", site.editor, indicators=b"not,the,columns\n1,2,3\n")
    assert unreadable.status_code == 422 and unreadable.get_json()["valid"] is False
    assert _left(spool_dir) == [] and data_version(site.client) == first + 1


def test_uph003_a_small_upload_is_not_spooled(make_site, monkeypatch, spool_dir):  # noqa: F811 - the imported fixture
    site = make_site(UPLOAD_ISOLATE_MB="8")
    made = []
    monkeypatch.setattr(uploads_api, "spool_factory", lambda parts: made.append(parts) or spool_factory(parts))
    body = preview(site, template_bytes([DONE_WHEN]))
    assert publish(site, body["upload_id"]).status_code == 200
    assert made == [] and _left(spool_dir) == []


def test_uph004_the_body_reaches_the_parser_in_big_reads():
    asked: list[int] = []

    class Body:  # a WSGI input as gunicorn's: read(n) gives at most n bytes
        def __init__(self, data: bytes):
            self.data = io.BytesIO(data)

        def read(self, n: int = -1) -> bytes:
            asked.append(n)
            return self.data.read(n)

    content = os.urandom(3 * uploads_api._BODY_READ + 123)
    stream = io.BufferedReader(uploads_api._Raw(Body(content)), uploads_api._BODY_READ)
    got = b"".join(iter(lambda: stream.read(65_536), b""))  # as werkzeug's multipart parser reads
    assert got == content
    assert len(asked) <= 6 and min(asked) >= uploads_api._BODY_READ - 123  # 4 MiB in ~4 reads, not one per 64 KiB


WARM = """
import os, sys, threading, multiprocessing
from multiprocessing import forkserver
sys.path.insert(0, {root!r})
from data.ingest.upload_process import _started, warm_up
from tests.unit.test_upload_children import report_parent
if __name__ == "__main__":
    assert forkserver._forkserver._forkserver_pid is None
    warm_up()
    for thread in threading.enumerate():
        if thread.name == "forkserver-warm-up":
            thread.join()
    server = forkserver._forkserver._forkserver_pid
    receive, send = multiprocessing.Pipe(duplex=False)
    child = _started(report_parent, (send,))
    send.close()
    print(os.getpid(), server, receive.recv())
    child.join()
"""


def test_uph005_warm_up_starts_the_fork_server_the_child_then_comes_from():
    done = subprocess.run([sys.executable, "-c", WARM.format(root=str(ROOT))], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    me, server, parent = (int(x) for x in done.stdout.split())
    assert server == parent != me  # started before the first child, and that child came from it


# -- memory: what the job holds at its peaks --------------------------------------------------------------

def _old_pack(typed, new_indicators) -> bytes:
    """The payload as packed before round 4 (each column's bytes, then joined): the layout must not change."""
    import json

    import numpy as np
    import pandas as pd

    from data.domain.schema import INDICATOR_COLUMNS
    from data.ingest.upload_jobs import _MAGIC

    columns, buffers = [], []
    for col in typed.columns:
        series = typed[col]
        if series.dtype == "float64":
            buffers.append(series.to_numpy().tobytes())
            columns.append({"name": col, "kind": "float64"})
        elif pd.api.types.is_datetime64_dtype(series.dtype):
            buffers.append(series.to_numpy().view(np.int64).tobytes())
            columns.append({"name": col, "kind": "datetime", "dtype": str(series.dtype)})
        else:
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            buffers.append(codes.astype(np.int32).tobytes())
            columns.append({"name": col, "kind": "codes", "dtype": str(series.dtype), "values": [str(u) for u in uniques]})
    head = {"rows": len(typed), "columns": columns,
            "indicators": new_indicators.reindex(columns=list(INDICATOR_COLUMNS)).astype(object).fillna("").to_dict("records")}
    text = json.dumps(head).encode("utf-8")
    return b"".join([_MAGIC, len(text).to_bytes(8, "little"), text, *buffers])


def test_uph006_the_payload_is_packed_in_one_buffer_byte_for_byte_as_before():
    import pandas as pd

    from data.domain.dataset import load_bundled
    from data.ingest import importer, upload_jobs
    from tests.upload_files import template_bytes as rows_file

    dataset = load_bundled()
    result = importer.read_upload(rows_file([DONE_WHEN]), "one.csv", dataset.indicators)
    typed = upload_jobs._typed(dataset.indicators, result.rows, result.new_indicators)
    typed = pd.concat([typed] * 3, ignore_index=True)
    typed.loc[1, "note"] = None  # a missing text value
    packed = upload_jobs._pack(typed, result.new_indicators)
    assert bytes(packed) == _old_pack(typed, result.new_indicators)
    rows, _, is_typed = upload_jobs._unpack(packed)
    assert is_typed
    pd.testing.assert_frame_equal(rows, typed)


def test_uph007_the_job_lets_the_text_rows_go_before_packing_and_the_payload_before_the_insert(store, monkeypatch):
    import gc
    import weakref

    import numpy as np

    from data.ingest import upload_jobs
    from data.storage.store import Store

    held: dict = {}
    real_read, real_pack, real_row, real_publish = (upload_jobs.read_upload, upload_jobs._pack, upload_jobs._ready_row,
                                                    Store.publish)

    def read(*args, **kwargs):
        result = real_read(*args, **kwargs)
        held["rows"] = weakref.ref(result.rows)
        return result

    def pack(*args):
        gc.collect()
        held["rows_alive_at_pack"] = held["rows"]() is not None
        return real_pack(*args)

    def ready_row(*args):
        found = dict(real_row(*args))
        found["payload"] = np.frombuffer(bytes(found["payload"]), dtype=np.uint8).copy()  # an object a weakref can follow
        held["payload"] = weakref.ref(found["payload"])
        return found

    def publish(self, *args, **kwargs):
        gc.collect()
        held["payload_alive_at_insert"] = held["payload"]() is not None
        return real_publish(self, *args, **kwargs)

    monkeypatch.setattr(upload_jobs, "read_upload", read)
    monkeypatch.setattr(upload_jobs, "_pack", pack)
    monkeypatch.setattr(upload_jobs, "_ready_row", ready_row)
    monkeypatch.setattr(Store, "publish", publish)
    first = store.load_dataset().version
    content = template_bytes([DONE_WHEN])
    upload_id = upload_jobs.create_job(store, content, "one.csv", "editor@example.org")
    job = upload_jobs.process(store, upload_id, content, "one.csv")
    assert job is not None and job["stage"] == "ready", job
    assert held["rows_alive_at_pack"] is False
    assert upload_jobs.publish_job(store, upload_id, "editor@example.org") == first + 1
    assert held["payload_alive_at_insert"] is False
    published = store.load_dataset()
    row = published.observations[published.observations["indicator_id"] == DONE_WHEN["indicator_id"]]
    assert float(DONE_WHEN["value"]) in set(row["value"])


def test_uph008_the_bench_streams_the_same_multipart_body_it_used_to_build_in_memory(tmp_path):
    from werkzeug.formparser import parse_form_data

    from bench.measure import MultipartFile

    content = os.urandom(200_000) + b"\r\n--not-a-boundary\r\n"
    (tmp_path / "big.csv").write_bytes(content)
    choices = b"indicator_id,unit\nx,count\n"
    import requests

    parts = [("file", "big.csv", tmp_path / "big.csv"), ("indicators", "choices.csv", choices)]
    with MultipartFile(parts) as form:  # sent with its length, not chunked (a big body is spooled only with one)
        sent = requests.Request("POST", "http://127.0.0.1:9/", data=form, headers={"Content-Type": form.content_type}).prepare()
        assert sent.headers["Content-Length"] == str(len(form)) and "Transfer-Encoding" not in sent.headers
    with MultipartFile(parts) as form:
        body = b"".join(iter(lambda: form.read(8192), b""))
        assert len(body) == len(form)
        environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": form.content_type, "CONTENT_LENGTH": str(len(body)),
                   "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True}
    _, fields, files = parse_form_data(environ)
    assert not fields
    assert files["file"].filename == "big.csv" and files["file"].read() == content
    assert files["indicators"].filename == "choices.csv" and files["indicators"].read() == choices


def test_uph009_the_upload_page_spools_a_big_file_the_same_way(make_site, spool_dir):  # noqa: F811 - the imported fixture
    import time

    from tests.unit.test_uploads_api import EDITOR, PASSWORD, multipart
    from tests.upload_files import page_form_value, render_page, sign_in

    site = make_site(UPLOAD_ISOLATE_MB="0")
    editor = site.app.server.test_client()
    sign_in(editor, EDITOR, PASSWORD)
    csrf = page_form_value(render_page(editor, "/login"), "csrf_token")
    content = template_bytes([DONE_WHEN])
    page = editor.post("/upload/start", **multipart({"file": (content, "page.csv"), "csrf_token": csrf}))
    assert page.status_code == 303 and "job=" in page.headers["Location"]
    upload_id = page.headers["Location"].split("job=")[1]
    job: dict = {}
    for _ in range(600):  # the page's thread works in the background: wait for it (not a timing assertion)
        job = site.client.get(f"/api/uploads/{upload_id}", headers=site.editor).get_json()
        if job["stage"] in ("ready", "invalid", "failed") and not _left(spool_dir):  # the worker removes it after the child
            break
        time.sleep(0.1)
    assert job["stage"] == "ready" and job["sha256"] == hashlib.sha256(content).hexdigest()
    assert _left(spool_dir) == []
    # an expired form is refused as before, and leaves nothing behind
    stale = editor.post("/upload/start", **multipart({"file": (content, "page.csv"), "csrf_token": "stale"}))
    assert stale.status_code == 400 and _left(spool_dir) == []
