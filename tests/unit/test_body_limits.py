"""One body limit per route (issue 11, item 3): MAX_UPLOAD_MB only for the upload routes, MAX_BODY_MB (1 MB)
for callbacks, sign-in and the JSON API, answered 413 before the body is read.

The request bodies here are streams that count what is read from them, so "before the body is read" is
measured: a declared Content-Length over the limit reads nothing; a chunked body (no length) is read no
further than the limit.
"""
from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from data.domain.source import FixedSource
from data.settings import Settings

MB = 1024 * 1024
CALLBACK = "/_dash-update-component"


class CountingStream(io.RawIOBase):
    """`size` bytes of JSON-ish filler, produced on demand; `.taken` counts the bytes handed out."""

    def __init__(self, size: int, content: bytes = b""):
        self.content = content + b" " * (size - len(content))
        self.size, self.taken = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.taken)
        buffer[:n] = self.content[self.taken:self.taken + n]
        self.taken += n
        return n


@pytest.fixture
def server(bundled, tmp_path):
    from app import create_app

    settings = Settings(instance=tmp_path, secret_key="body-limits-" + "b" * 32, max_upload_mb=50)
    return create_app(settings, source=FixedSource(bundled)).server


def post(server, path: str, size: int, *, declared: bool = True, content_type: str = "application/json", content: bytes = b""):
    """POST `size` bytes to path: with their Content-Length, or chunked (wsgi.input_terminated, no length),
    as gunicorn hands them over. -> (the response, bytes read from the body)."""
    body = CountingStream(size, content)
    headers = {"Content-Type": content_type} if declared else {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
    environ = EnvironBuilder(path=path, method="POST", headers=headers).get_environ()
    environ["wsgi.input"] = body
    environ.pop("CONTENT_LENGTH", None)
    if declared:
        environ["CONTENT_LENGTH"] = str(size)
    else:
        environ["wsgi.input_terminated"] = True
    app_iter, status, headers = run_wsgi_app(server, environ, buffered=True)
    return server.response_class(b"".join(app_iter), status=status, headers=headers), body.taken


def test_sec301_defaults_one_mb_bodies_fifty_mb_uploads():
    s = Settings.from_env({})
    assert (s.max_body_bytes, s.max_upload_bytes) == (MB, 50 * MB)
    assert Settings.from_env({"MAX_BODY_MB": "2"}).max_body_bytes == 2 * MB
    assert Settings(max_upload_mb=0.5).max_body_bytes == MB // 2, "never more than the upload limit"


@pytest.mark.parametrize("size", [2 * MB, 49 * MB])
def test_sec302_big_callback_body_is_json_413_before_it_is_read(server, size):
    response, taken = post(server, CALLBACK, size)
    assert response.status_code == 413
    assert response.is_json and response.get_json() == {"error": "the request is larger than the 1 MB limit", "status": 413}
    assert taken == 0, f"{taken} bytes of the body were read before the 413"


def test_sec303_chunked_callback_body_is_cut_off_at_the_limit(server):
    response, taken = post(server, CALLBACK, 20 * MB, declared=False)
    assert response.status_code == 413 and response.get_json()["status"] == 413
    assert taken <= MB + 64 * 1024, f"read {taken} bytes of a chunked body past the 1 MB limit"


@pytest.mark.parametrize("path", ["/api/versions/1/restore", "/api/uploads/abc/publish", "/api/observations.csv"])
def test_sec304_json_api_bodies_get_the_small_limit(server, path):
    response, taken = post(server, path, 5 * MB)
    assert response.status_code == 413 and response.is_json and response.get_json()["status"] == 413
    assert taken == 0


def test_sec305_sign_in_body_gets_the_small_limit(server):
    response, taken = post(server, "/login", 5 * MB, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "1 MB" in response.get_data(as_text=True)
    assert taken == 0
    chunked, taken = post(server, "/login", 5 * MB, declared=False, content_type="application/x-www-form-urlencoded")
    assert chunked.status_code == 413 and taken <= MB + 64 * 1024


@pytest.mark.parametrize("path", ["/api/uploads", "/upload/start"])
def test_sec306_upload_routes_keep_max_upload_mb(server, path):
    """Over 1 MB passes the body limit on the upload routes (and reaches the route: 401, no editor); over
    MAX_UPLOAD_MB is still 413, unread."""
    response, _ = post(server, path, 5 * MB, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 401
    too_big, taken = post(server, path, 51 * MB, content_type="multipart/form-data; boundary=x")
    assert too_big.status_code == 413 and taken == 0
    assert ("50 MB" in too_big.get_data(as_text=True))


def test_sec307_small_bodies_are_served(server):
    """Under the limit nothing changes: a real callback request is answered."""
    response = server.test_client().post(CALLBACK, json={"output": "nothing.children", "outputs": {"id": "nothing", "property": "children"},
                                                         "inputs": [], "changedPropIds": []})
    assert response.status_code != 413


def test_sec308_chunked_bodies_under_the_limit_are_served(server):
    """A chunked callback body under 1 MB reaches Dash whole (the app reads it from the bounded copy)."""
    request = json.dumps({"output": "nothing.children", "outputs": {"id": "nothing", "property": "children"},
                          "inputs": [], "changedPropIds": []}).encode()
    declared, _ = post(server, CALLBACK, len(request), content=request)
    chunked, taken = post(server, CALLBACK, 512 * 1024, declared=False, content=request)
    assert taken == 512 * 1024
    assert chunked.status_code == declared.status_code != 413
    assert chunked.get_data() == declared.get_data()
