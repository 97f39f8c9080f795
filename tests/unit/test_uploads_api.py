"""Upload, publish, history and rollback over HTTP (callbacks/uploads_api.py), and the guard on the
upload page's Dash callbacks (callbacks/upload.py), through Flask's test client.

Every app is the real composition: DATABASE_URL points at a fresh database (SQLite, and a real
PostgreSQL through the store_url fixture) before app.create_app() builds it on the store.
"""
from __future__ import annotations

import csv
import io
import json
import secrets
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from callbacks.context import EXTENSION_KEY
from data.storage import users
from data.storage.tables import uploads
from tests.upload_files import (
    ENGLAND,
    RAW_FINGERTIPS,
    TEMPLATE_HEADER,
    csv_data_rows,
    page_form_value,
    render_page,
    sha256,
    sign_in,
    template_bytes,
    york_value,
)

PASSWORD = "correct horse battery"
EDITOR = "editor@example.org"
VIEWER = "viewer@example.org"
NOT_EDITOR = {"error": "sign in as an editor"}
ENV = ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS", "DATABASE_URL", "SECRET_KEY",
       "PARTNERSHIP_NAME")

# The "Done when" row: York's 2023/24 reception-year figure, the value the report says is pending.
DONE_WHEN = york_value("reception-overweight", "23/24", 21.7, "academic year")


@dataclass
class Site:
    app: object
    store: object
    client: object
    editor_token: str
    viewer_token: str

    @property
    def editor(self) -> dict:
        return {"Authorization": f"Bearer {self.editor_token}"}

    @property
    def viewer(self) -> dict:
        return {"Authorization": f"Bearer {self.viewer_token}"}


@pytest.fixture
def make_site(store_url, monkeypatch):
    """make_site(**environment) -> Site: the real app on a fresh store, with an editor and a viewer."""
    made = []

    def make(**environ) -> Site:
        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DATABASE_URL", store_url)
        monkeypatch.setenv("SECRET_KEY", "test-secret-key-" + "u" * 32)
        for key, value in environ.items():
            monkeypatch.setenv(key, value)
        from app import create_app  # imported only now: app.py builds an app from DATABASE_URL on import

        app = create_app()
        store = app.server.extensions[EXTENSION_KEY].store
        assert store.engine.url.render_as_string(hide_password=False) == store_url, "the app is not on the test database"
        users.create_user(store.engine, EDITOR, PASSWORD, role="editor")
        users.create_user(store.engine, VIEWER, PASSWORD, role="viewer")
        site = Site(app, store, app.server.test_client(), users.create_token(store.engine, EDITOR),
                    users.create_token(store.engine, VIEWER))
        made.append(site)
        return site

    yield make
    for site in made:
        site.store.dispose()


@pytest.fixture
def site(make_site) -> Site:
    return make_site()


# -- helpers ---------------------------------------------------------------------------------------

def multipart(fields: dict) -> dict:
    """client.post's keyword arguments for a multipart/form-data body built in memory; a (bytes, file name)
    value is a file. (Given data={"file": (stream, name)}, werkzeug's test client writes a body over 500 KB
    to a temporary file that nothing closes: a ResourceWarning.)"""
    values = {key: FileStorage(io.BytesIO(value[0]), filename=value[1]) if isinstance(value, tuple) else value
              for key, value in fields.items()}
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(client, content: bytes, name: str = "upload.csv", headers=None, indicators: bytes | None = None):
    fields: dict = {"file": (content, name)}
    if indicators is not None:
        fields["indicators"] = (indicators, "indicators.csv")
    return client.post("/api/uploads", headers=headers or {}, **multipart(fields))


def preview(site: Site, content: bytes, name: str = "upload.csv") -> dict:
    response = upload(site.client, content, name, site.editor)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["valid"] is True
    return body


def publish(site: Site, upload_id: str, headers=None):
    return site.client.post(f"/api/uploads/{upload_id}/publish", headers=site.editor if headers is None else headers)


def data_version(client) -> int:
    response = client.get("/healthz")
    assert response.status_code == 200
    return response.get_json()["data_version"]


def indicators(client) -> dict[str, dict]:
    response = client.get("/api/indicators")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return {item["id"]: item for item in response.get_json()}


def pending_ids(client) -> set[str]:
    return {i for i, item in indicators(client).items() if item["pending"]}


def job_count(site: Site) -> int:
    with site.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(uploads)).scalar()


def store_state(site: Site) -> dict:
    """Everything a refused request must leave as it was."""
    return {"head": site.store.head_version(), "rows": site.store.count_rows(),
            "versions": [v["version"] for v in site.store.versions()], "served": data_version(site.client)}


def observations_for_area(client, area: str):
    return client.get("/api/observations.csv", query_string={"area": area})


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# -- a Fingertips "Download data" file, end to end ---------------------------------------------------

def test_upl001_fingertips_download_previews_publishes_and_is_served(site):
    content = Path(RAW_FINGERTIPS).read_bytes()
    file_rows = csv_data_rows(content)
    client = site.client
    before_version = data_version(client)
    before = indicators(client)
    known_fingertips = {item["fingertips_id"] for item in before.values() if item["fingertips_id"]}
    file_fingertips = {r["Indicator ID"] for r in file_rows}
    rows_of_new_indicators = sum(r["Indicator ID"] not in known_fingertips for r in file_rows)
    # An area the served data does not have yet, with the most rows in the file.
    areas = Counter(r["Area Code"] for r in file_rows)
    area = next(a for a, _ in areas.most_common() if observations_for_area(client, a).status_code == 404)

    # Without choices: the file says no set for indicator 93356, so the answer names it and Publish is refused.
    response = upload(client, content, Path(RAW_FINGERTIPS).name, site.editor)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    waiting = response.get_json()
    assert [(w["source_id"], w["field"]) for w in waiting["needs_choice"]] == [("93356", "set")]
    refused = publish(site, waiting["upload_id"])
    assert refused.status_code == 422 and "set" in refused.get_json()["error"] and data_version(client) == before_version

    response = upload(client, content, Path(RAW_FINGERTIPS).name, site.editor,
                      indicators=b"source_id,map_to,name,unit,polarity,set,age_band,period_basis\r\n93356,,,,,Fingertips indicators,,\r\n")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) >= {"upload_id", "valid", "summary"} and body["valid"] is True
    summary = body["summary"]
    assert set(summary) >= {"added", "changed", "unchanged", "new_indicators", "pending_cleared"}
    assert summary["added"] == len(file_rows) == rows_of_new_indicators
    assert summary["changed"] == 0 and summary["unchanged"] == 0
    assert len(summary["new_indicators"]) == len(file_fingertips - known_fingertips)
    assert summary["pending_cleared"] == []  # the file has no row for any indicator the catalogue holds
    assert data_version(client) == before_version, "a preview must not publish"
    assert observations_for_area(client, area).status_code == 404

    response = publish(site, body["upload_id"])
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json() == {"data_version": before_version + 1}

    served = csv_rows(observations_for_area(client, area))
    expected = [r for r in file_rows if r["Area Code"] == area]
    assert len(served) == len(expected) > 0
    assert sorted(float(r["value"]) for r in served if r["value"]) == sorted(float(r["Value"]) for r in expected if r["Value"])
    assert {r["period"] for r in served} == {r["Time period"] for r in expected}
    after = indicators(client)
    created = set(after) - set(before)
    assert created == set(summary["new_indicators"])
    assert {after[i]["fingertips_id"] for i in created} == file_fingertips - known_fingertips
    health = client.get("/healthz").get_json()
    assert health == {"status": "ok", "data_version": before_version + 1} and health["data_version"] == 2


# -- the "Done when" scenario ---------------------------------------------------------------------

def test_upl002_new_23_24_value_clears_pending_and_restore_brings_it_back(site):
    client = site.client
    template = client.get("/upload/template.csv")
    assert template.status_code == 200
    header = next(csv.reader(io.StringIO(template.get_data(as_text=True).lstrip("\ufeff"))))
    content = template_bytes([DONE_WHEN], header=header)
    name = "york-2023-24.csv"
    first = data_version(client)
    pending_before = pending_ids(client)
    assert "reception-overweight" in pending_before

    body = preview(site, content, name)
    assert body["summary"]["pending_cleared"] == ["reception-overweight"]
    assert (body["summary"]["added"], body["summary"]["changed"]) == (1, 0)
    job = client.get(f"/api/uploads/{body['upload_id']}", headers=site.editor).get_json()
    assert (job["stage"], job["file_name"], job["sha256"], job["created_by"]) == ("ready", name, sha256(content), EDITOR)
    assert job["summary"] == body["summary"] and job["base_version"] == first
    assert pending_ids(client) == pending_before, "a preview must not change what is served"

    response = publish(site, body["upload_id"])
    assert response.status_code == 200 and response.get_json() == {"data_version": first + 1}
    item = indicators(client)["reception-overweight"]
    assert (item["status"], item["pending"]) == ("current", False)
    assert (item["latest_period"], item["latest_value"]) == (DONE_WHEN["period"], float(DONE_WHEN["value"]))
    assert pending_ids(client) == pending_before - {"reception-overweight"}
    again = publish(site, body["upload_id"])
    assert again.status_code == 422 and data_version(client) == first + 1  # a job is published once

    response = client.post(f"/api/versions/{first}/restore", headers=site.editor)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json() == {"data_version": first + 2, "restored_from": first}
    item = indicators(client)["reception-overweight"]
    assert (item["status"], item["pending"]) == ("overdue", True)  # pending again: November 2024 has passed, so overdue
    assert pending_ids(client) == pending_before

    history = client.get("/api/versions", headers=site.editor)
    assert history.status_code == 200
    versions = history.get_json()
    assert [v["version"] for v in versions] == [first + 2, first + 1, first]
    restore, published = versions[0], versions[1]
    assert (restore["action"], restore["created_by"], restore["restored_from"]) == ("restore", EDITOR, first)
    assert (published["action"], published["created_by"], published["file_name"], published["sha256"]) == (
        "publish", EDITOR, name, sha256(content))
    assert (published["rows_added"], published["rows_changed"]) == (1, 0)
    # The history says which pending flag the publish cleared, and that the restore made it pending again.
    assert (published["pending_cleared"], published["pending_reopened"]) == ("reception-overweight", "")
    assert (restore["pending_cleared"], restore["pending_reopened"]) == ("", "reception-overweight")


# -- invalid files: 422 with row and column, and nothing changes -------------------------------------

GOOD_ROW = york_value("reception-overweight", "23/24", 21.3, "academic year")
SECOND = {**GOOD_ROW, **ENGLAND, "value": "22.0"}  # the row each bad file spoils (data row 2)

# name: (file, (row, column) expected among the errors, text expected in that error's message)
BAD_FILES = {
    "bad-header": (lambda: template_bytes([{("indicator" if k == "indicator_id" else k): v for k, v in GOOD_ROW.items()}],
                                          header=["indicator" if c == "indicator_id" else c for c in TEMPLATE_HEADER]),
                   (None, "indicator_id"), "missing"),
    "unknown-indicator": (lambda: template_bytes([GOOD_ROW, {**SECOND, "indicator_id": "no-such-indicator"}]),
                          (2, "indicator_id"), "no-such-indicator"),
    "bad-value": (lambda: template_bytes([GOOD_ROW, {**SECOND, "value": "about 22"}]), (2, "value"), "about 22"),
    "bad-period": (lambda: template_bytes([GOOD_ROW, {**SECOND, "period": "2023/25"}]), (2, "period"), "2023/25"),
    "over-100-percent": (lambda: template_bytes([GOOD_ROW, {**SECOND, "value": "120%"}]), (2, "value"), "0-100"),
    "negative-count": (lambda: template_bytes([GOOD_ROW, {**SECOND, "count": "-5"}]), (2, "count"), "negative"),
    "ci-excludes-value": (lambda: template_bytes([GOOD_ROW, {**SECOND, "lower_ci": "23.5", "upper_ci": "25"}]),
                          (2, "lower_ci"), "above the value"),
    "duplicate-key": (lambda: template_bytes([GOOD_ROW, {**GOOD_ROW, "value": "30"}]), (2, "period"), "duplicate of row 1"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_upl003_bad_file_is_422_with_row_and_column_and_changes_nothing(site, case):
    build, where, text = BAD_FILES[case]
    content = build()
    before = store_state(site)
    jobs = job_count(site)

    response = upload(site.client, content, f"{case}.csv", site.editor)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["valid"] is False and body["upload_id"]
    errors = body["errors"]
    assert errors and all(set(e) == {"row", "column", "message"} for e in errors), errors
    matching = [e for e in errors if (e["row"], e["column"]) == where]
    assert matching, f"no error at {where}: {errors}"
    assert any(text in e["message"] for e in matching), matching
    assert all(e["row"] in (None, 2) for e in errors), "row 1 is valid: no error may name it"

    job = site.client.get(f"/api/uploads/{body['upload_id']}", headers=site.editor).get_json()
    assert job["stage"] == "invalid" and job["errors"] == errors
    refused = publish(site, body["upload_id"])
    assert refused.status_code == 422
    assert store_state(site) == before
    assert job_count(site) == jobs + 1  # the attempt is kept (with its errors), nothing else


# -- who may call what ----------------------------------------------------------------------------

PROTECTED = [
    ("post", "/api/uploads"),
    ("get", "/api/uploads/{job}"),
    ("post", "/api/uploads/{job}/publish"),
    ("get", "/api/versions"),
    ("post", "/api/versions/1/restore"),
    ("post", "/upload/start"),
]


def _viewer_session(site: Site) -> tuple[object, dict, str]:
    client = site.app.server.test_client()
    sign_in(client, VIEWER, PASSWORD, next_url="/versions")
    token = page_form_value(render_page(client, "/login"), "csrf_token")  # a valid form token for this session
    return client, {}, token


@pytest.mark.parametrize("who", ["anonymous", "unknown-token", "viewer-token", "viewer-session"])
def test_upl004_every_protected_endpoint_is_401_without_an_editor(site, who):
    job = preview(site, template_bytes([DONE_WHEN]))["upload_id"]
    before = store_state(site)
    jobs = job_count(site)
    client, headers, csrf = site.client, {}, ""
    if who == "unknown-token":
        headers = {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"}
    elif who == "viewer-token":
        headers = site.viewer
    elif who == "viewer-session":
        client, headers, csrf = _viewer_session(site)

    answers = {}
    for method, path in PROTECTED:
        path = path.format(job=job)
        kwargs = {"headers": headers}
        if method == "post" and path in ("/api/uploads", "/upload/start"):
            kwargs["data"] = {"file": (io.BytesIO(template_bytes([DONE_WHEN])), "x.csv"), "csrf_token": csrf}
            kwargs["content_type"] = "multipart/form-data"
        response = getattr(client, method)(path, **kwargs)
        answers[f"{method.upper()} {path}"] = (response.status_code, response.get_json(silent=True))
    wrong = {k: v for k, v in answers.items() if v != (401, NOT_EDITOR)}
    assert not wrong, f"not refused with 401 for {who}: {wrong}"
    assert store_state(site) == before
    assert job_count(site) == jobs
    assert site.client.get(f"/api/uploads/{job}", headers=site.editor).get_json()["stage"] == "ready"
    # The editor's token opens the same doors (so the 401s above are about who asked).
    assert site.client.get(f"/api/uploads/{job}", headers=site.editor).status_code == 200
    assert site.client.get("/api/versions", headers=site.editor).status_code == 200


def test_upl005_body_over_max_upload_mb_is_json_413_and_changes_nothing(make_site):
    site = make_site(MAX_UPLOAD_MB="1")
    limit = site.app.server.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024
    before, jobs = store_state(site), job_count(site)
    line = b"reception-overweight,E06000014,York,23/24,academic year,,,21.7,,,,,Test upload,padding\r\n"
    big = template_bytes([]) + line * (2 * 1024 * 1024 // len(line) + 1)
    assert len(big) >= 2 * 1024 * 1024

    response = upload(site.client, big, "big.csv", site.editor)
    assert response.status_code == 413
    assert response.is_json
    body = response.get_json()
    assert body["status"] == 413 and f"{limit / (1024 * 1024):g} MB" in body["error"]
    editor = site.app.server.test_client()
    sign_in(editor, EDITOR, PASSWORD)
    csrf = page_form_value(render_page(editor, "/login"), "csrf_token")
    page = editor.post("/upload/start", **multipart({"file": (big, "big.csv"), "csrf_token": csrf}))
    assert page.status_code == 413
    assert store_state(site) == before and job_count(site) == jobs
    # Under the limit the same editor is served (the 413 is about size only).
    assert upload(site.client, template_bytes([DONE_WHEN]), "small.csv", site.editor).status_code == 200


# -- two previews of the same version: the second publish is told to retry ----------------------------

def test_upl006_publish_from_a_stale_preview_is_409_retry_and_loses_nothing(site):
    client = site.client
    first = data_version(client)
    a_row = DONE_WHEN
    b_row = york_value("year6-overweight", "23/24", 33.1, "academic year")
    pending_before = pending_ids(client)
    assert {a_row["indicator_id"], b_row["indicator_id"]} <= pending_before

    a = preview(site, template_bytes([a_row]), "a.csv")["upload_id"]
    b = preview(site, template_bytes([b_row]), "b.csv")["upload_id"]
    for job in (a, b):
        assert client.get(f"/api/uploads/{job}", headers=site.editor).get_json()["base_version"] == first

    assert publish(site, a).get_json() == {"data_version": first + 1}
    stale = publish(site, b)
    assert stale.status_code == 409, stale.get_data(as_text=True)[:300]
    assert stale.get_json()["retry"] is True and stale.get_json()["error"]
    assert data_version(client) == first + 1
    assert [v["version"] for v in site.store.versions()] == [first + 1, first]
    served = indicators(client)
    assert served[a_row["indicator_id"]]["latest_value"] == float(a_row["value"])  # the first publish is all there
    assert served[b_row["indicator_id"]]["pending"] is True  # and the stale one is not half-applied
    assert client.get(f"/api/uploads/{b}", headers=site.editor).get_json()["stage"] == "ready"

    # Check again, then publish: both land.
    again = preview(site, template_bytes([b_row]), "b.csv")
    assert again["summary"]["pending_cleared"] == [b_row["indicator_id"]]
    assert publish(site, again["upload_id"]).get_json() == {"data_version": first + 2}
    served = indicators(client)
    assert served[a_row["indicator_id"]]["latest_value"] == float(a_row["value"])
    assert served[b_row["indicator_id"]]["latest_value"] == float(b_row["value"])
    assert pending_ids(client) == pending_before - {a_row["indicator_id"], b_row["indicator_id"]}


# -- the upload page's Dash callbacks: refused before Dash runs them -----------------------------------

def _dash_id(component_id) -> str:
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True) if isinstance(component_id, dict) else component_id


def _outputs(key: str) -> list[dict]:
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        component_id, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(component_id) if component_id.startswith("{") else component_id, "property": prop})
    return out


def callback_request(key: str, spec: dict, values: dict, index) -> dict:
    """A /_dash-update-component body as the renderer sends it (shape captured from Chromium)."""

    def dependency(dep):
        if dep["id"].startswith("{"):  # pattern-matching (ALL): a list with the one button there is
            pattern = json.loads(dep["id"])
            concrete = {k: (index if isinstance(v, list) else v) for k, v in pattern.items()}
            return [{"id": concrete, "property": dep["property"], "value": values[dep["property"]]}]
        return {"id": dep["id"], "property": dep["property"], "value": values[dep["property"]]}

    inputs = [dependency(d) for d in spec["inputs"]]
    trigger = inputs[0][0] if isinstance(inputs[0], list) else inputs[0]
    outputs = _outputs(key)
    return {"output": key, "outputs": outputs if key.startswith("..") else outputs[0], "inputs": inputs,
            "changedPropIds": [f"{_dash_id(trigger['id'])}.{trigger['property']}"],
            "state": [dependency(d) for d in spec["state"]]}


def upload_page_callbacks(app) -> dict[str, tuple[str, dict]]:
    """The callbacks defined in callbacks/upload.py, by function name: (output key, spec)."""
    found = {}
    for key, spec in app.callback_map.items():
        function = spec.get("callback")  # clientside callbacks have none
        original = getattr(function, "__wrapped__", function)
        if original is not None and original.__module__ == "callbacks.upload":
            found[original.__name__] = (key, spec)
    return found


def post_callback(client, body: dict):
    """As the renderer posts it: JSON, with the page's Origin (a state-changing callback needs a same-origin one)."""
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers={"Origin": "http://localhost"})


def test_upl007_upload_callbacks_are_403_for_anonymous_and_viewers_and_run_for_editors(site):
    callbacks = upload_page_callbacks(site.app)
    assert len(callbacks) >= 3, f"expected the poll, publish and restore callbacks: {list(callbacks)}"
    first = data_version(site.client)
    job = preview(site, template_bytes([DONE_WHEN]))["upload_id"]
    # "value"/"id": the preview form's choice controls (save_choices), one of them filled in
    values = {"n_intervals": 1, "n_clicks": 1, "data": job, "value": "Aged 2-5",
              "id": {"type": "upload-choice", "source": "no-such-source", "field": "set"}}
    bodies = {name: callback_request(key, spec, values, index=first) for name, (key, spec) in callbacks.items()}
    assert all(any(o["id"].startswith(("upload-", "versions-")) for o in _outputs(b["output"])) for b in bodies.values())
    before, jobs = store_state(site), job_count(site)

    viewer = site.app.server.test_client()
    sign_in(viewer, VIEWER, PASSWORD, next_url="/versions")
    for who, client in (("anonymous", site.app.server.test_client()), ("viewer", viewer)):
        for name, body in bodies.items():
            response = post_callback(client, body)
            assert (response.status_code, response.get_json(silent=True)) == (403, NOT_EDITOR), f"{who} {name}"
    assert store_state(site) == before and job_count(site) == jobs
    assert site.client.get(f"/api/uploads/{job}", headers=site.editor).get_json()["stage"] == "ready"

    editor = site.app.server.test_client()
    sign_in(editor, EDITOR, PASSWORD)
    answers = {}
    steps = ("poll", "publish", "restore")  # check, publish, then roll back
    for name in [n for n in steps if n in bodies] + sorted(set(bodies) - set(steps)):
        response = post_callback(editor, bodies[name])
        assert response.status_code != 403, name
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])
        answers[name] = response.get_data(as_text=True)
    assert "upload-progress" in answers["poll"] and DONE_WHEN["indicator_id"] in answers["poll"]
    assert f"Published as version {first + 1}" in answers["publish"]
    assert f"Restored version {first} as new version {first + 2}" in answers["restore"]
    assert data_version(site.client) == first + 2
    assert [v["created_by"] for v in site.store.versions()[:2]] == [EDITOR, EDITOR]


# -- big uploads run in a child process (data/ingest/upload_process.py) ------------------------------------

def _spy_in_process(monkeypatch) -> list:
    """Record every in-process call of the job functions (they still do the work): a spawned child
    imports its own copies, so calls it makes never show up here."""
    import data.ingest.upload_process as up

    calls = []
    for name in ("process", "publish_job"):
        real = getattr(up, name)
        monkeypatch.setattr(up, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    return calls


def test_upl008_a_big_upload_is_checked_and_published_in_a_child_process(make_site, monkeypatch, tmp_path):
    import tempfile

    site = make_site(UPLOAD_ISOLATE_MB="0")  # every file counts as big
    calls = _spy_in_process(monkeypatch)
    spooled = tmp_path / "spool"
    spooled.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spooled))  # where the big file is spooled for the child
    first = data_version(site.client)
    content = template_bytes([DONE_WHEN])
    body = preview(site, content)
    assert body["summary"]["added"] == 1
    job = site.client.get(f"/api/uploads/{body['upload_id']}", headers=site.editor).get_json()
    assert job["sha256"] == sha256(content)  # hashed on its way to disk
    # and the spooled copy is gone (the fork server children come from keeps its socket in a pymp-* folder there)
    assert [p.name for p in spooled.iterdir() if not p.name.startswith("pymp-")] == []
    assert publish(site, body["upload_id"]).get_json() == {"data_version": first + 1}
    assert calls == []  # neither ran in this process
    assert indicators(site.client)[DONE_WHEN["indicator_id"]]["latest_value"] == float(DONE_WHEN["value"])
    bad = upload(site.client, template_bytes([{**DONE_WHEN, "value": "lots"}]), "bad.csv", site.editor)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["column"] == "value"
    assert calls == [] and data_version(site.client) == first + 1


def test_upl009_small_uploads_stay_in_process(make_site, monkeypatch):
    site = make_site(UPLOAD_ISOLATE_MB="8")
    calls = _spy_in_process(monkeypatch)
    body = preview(site, template_bytes([DONE_WHEN]))
    assert publish(site, body["upload_id"]).status_code == 200
    assert calls == ["process", "publish_job"]


def test_upl010_a_child_publish_answers_as_in_process_stale_unknown_not_ready(make_site):
    from data.ingest.upload_process import _in_child

    site = make_site(UPLOAD_ISOLATE_MB="0")
    a = preview(site, template_bytes([DONE_WHEN]), "a.csv")["upload_id"]
    b = preview(site, template_bytes([york_value("year6-overweight", "23/24", 33.1, "academic year")]), "b.csv")["upload_id"]
    assert publish(site, a).status_code == 200
    stale = publish(site, b)
    assert stale.status_code == 409 and stale.get_json()["retry"] is True
    with pytest.raises(LookupError):
        _in_child("publish", site.store.url, "no-such-upload", EDITOR)
    with pytest.raises(ValueError):
        _in_child("publish", site.store.url, a, EDITOR)  # published already: not ready


# -- hostile workbooks and jobs whose process died (issue 11, item 6) ----------------------------------

def _done_when_records() -> list[list[str]]:
    header = list(TEMPLATE_HEADER)
    return [header, [str(DONE_WHEN.get(c, "")) for c in header]]


def test_upl011_a_small_workbook_that_unpacks_big_is_read_in_a_child_and_refused(make_site, monkeypatch):
    from tests.unit.test_importer_xlsx_limits import workbook

    site = make_site(UPLOAD_ISOLATE_MB="8")
    calls = _spy_in_process(monkeypatch)
    before = store_state(site)
    bomb = workbook(_done_when_records(), shared_mb=64)  # ~64 KB sent, 64 MB of shared text unpacked
    assert len(bomb) < 1 << 20
    response = upload(site.client, bomb, "bomb.xlsx", site.editor)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    errors = response.get_json()["errors"]
    assert len(errors) == 1 and "xl/sharedStrings.xml unpacks to 64.0 MB" in errors[0]["message"]
    assert calls == []  # decided by what it unpacks to: never read in this worker
    assert store_state(site) == before
    plain = workbook(_done_when_records())  # a workbook that unpacks small stays in process
    assert preview(site, plain, "plain.xlsx")["summary"]["added"] == 1
    assert calls == ["process"]


def test_upl012_a_child_past_the_time_limit_is_killed_and_its_job_failed(make_site, monkeypatch):
    import multiprocessing

    from data.ingest import upload_process

    site = make_site(UPLOAD_ISOLATE_MB="0")
    monkeypatch.setattr(upload_process, "PROCESS_TIMEOUT", 0.001)  # the child (a fork of the warm fork server) is still starting
    response = upload(site.client, template_bytes([DONE_WHEN]), "slow.csv", site.editor)
    assert response.status_code == 422
    body = response.get_json()
    assert "took longer than 0.001 seconds" in body["errors"][0]["message"]
    job = site.client.get(f"/api/uploads/{body['upload_id']}", headers=site.editor).get_json()
    assert job["stage"] == "failed" and job["errors"] == body["errors"]
    assert multiprocessing.active_children() == []  # killed and reaped


def test_upl013_a_child_killed_mid_job_fails_the_job_saying_so(make_site, tmp_path):
    import multiprocessing
    import os
    import signal
    import threading
    import time

    from data.ingest import upload_process
    from data.ingest.upload_jobs import create_job

    site = make_site()
    content = template_bytes([DONE_WHEN])
    path = tmp_path / "spooled.bin"
    path.write_bytes(content)
    upload_id = create_job(site.store, content, "killed.csv", EDITOR)
    done: dict = {}
    worker = threading.Thread(target=lambda: done.setdefault(
        "job", upload_process.process_spooled(site.store, upload_id, str(path), "killed.csv")))
    worker.start()
    deadline = time.monotonic() + 20
    while not multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.005)
    children = multiprocessing.active_children()
    assert children, "the child did not start"
    for child in children:
        os.kill(child.pid, signal.SIGKILL)  # as the OOM killer would
    worker.join(30)
    job = done["job"]
    assert job["stage"] == "failed"
    assert "killed by SIGKILL" in job["errors"][0]["message"]
    assert not path.exists()


def test_upl014_a_job_left_unfinished_past_the_bound_reads_as_failed(site):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from data.ingest import upload_jobs

    stuck = upload_jobs.create_job(site.store, b"PK\x03\x04", "huge.xlsx", EDITOR)  # its worker was killed
    ready = preview(site, template_bytes([DONE_WHEN]))["upload_id"]
    read = lambda i: site.client.get(f"/api/uploads/{i}", headers=site.editor).get_json()  # noqa: E731
    assert read(stuck)["stage"] == "reading"  # young: it may still be running
    old = datetime.now(timezone.utc) - timedelta(seconds=upload_jobs.STALE_AFTER + 60)
    with site.store.engine.begin() as conn:
        conn.execute(update(uploads).where(uploads.c.id.in_([stuck, ready])).values(created_at=old))
    job = read(stuck)
    assert job["stage"] == "failed" and job["progress"] == 1.0
    assert 'stopped at "Reading the file"' in job["errors"][0]["message"]
    assert read(ready)["stage"] == "ready"  # a finished job is left as it is, however old


# -- the `indicators` part: the editor's choices about new indicators (issue 12 point 1) ---------------

CHOICES_HEADER = "source_id,map_to,name,unit,polarity,set,age_band,period_basis,definition,source,short_name\r\n"


@pytest.mark.parametrize("choices, where", [
    (b"source_id,colour\r\n93356,red\r\n", (None, "colour")),
    (b"source_id,unit\r\n93356,%,extra\r\n", (1, None)),
    ((CHOICES_HEADER + "93356,,,furlongs,,,,,,,\r\n").encode(), (1, "unit")),
    ((CHOICES_HEADER + "12345,,,,,Aged 2-5,,,,,\r\n").encode(), (1, "source_id")),
    ((CHOICES_HEADER + "93356,no-such-indicator,,,,,,,,,\r\n").encode(), (1, "map_to")),
])
def test_upl015_a_bad_indicators_part_is_422_naming_row_and_column_and_changes_nothing(site, choices, where):
    before = store_state(site)
    response = upload(site.client, Path(RAW_FINGERTIPS).read_bytes(), "raw.csv", site.editor, indicators=choices)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["valid"] is False
    assert any((e["row"], e["column"]) == where and e["message"].startswith("indicators CSV") for e in body["errors"]), body["errors"]
    assert store_state(site) == before


def test_upl016_choices_after_the_upload_then_publish_names_the_indicator(site):
    client = site.client
    first = data_version(client)
    response = upload(client, Path(RAW_FINGERTIPS).read_bytes(), "raw.csv", site.editor)
    assert response.status_code == 422
    body = response.get_json()
    assert body["valid"] is True and [w["field"] for w in body["needs_choice"]] == ["set"]
    entry = body["summary"]["indicators"][0]
    assert (entry["fields"]["name"]["value"], entry["fields"]["unit"]["value"]) == ("Campylobacter incidence rate/100,000", "rate per 100,000")
    assert entry["periods"] == ["2015", "2016", "2017"]

    url = f"/api/uploads/{body['upload_id']}/indicators"
    assert client.post(url, headers=site.viewer, data=b"x", content_type="text/csv").status_code in (401, 403)
    bad = client.post(url, headers=site.editor, data=(CHOICES_HEADER + "93356,,,,,Nowhere,,,,,\r\n").encode(), content_type="text/csv")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["column"] == "set"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CHOICES_HEADER.strip().split(","))
    writer.writerow(["93356", "", "", "", "", "Fingertips indicators", "", "", "Laboratory reports of Campylobacter per 100,000 people.",
                     "", "Campylobacter"])
    ok = client.post(url, headers=site.editor, data=out.getvalue().encode(), content_type="text/csv")
    assert ok.status_code == 200, ok.get_data(as_text=True)[:500]
    assert ok.get_json()["summary"]["needs_choice"] == []
    assert data_version(client) == first  # choosing publishes nothing
    assert publish(site, body["upload_id"]).status_code == 200
    made = indicators(client)["fingertips-93356"]
    assert (made["name"], made["unit"], made["polarity"], made["set"]) == (
        "Campylobacter incidence rate/100,000", "rate per 100,000", "lower is better", "Fingertips indicators")
    stored = site.store.load_dataset().indicators.loc["fingertips-93356"]
    assert stored["short_name"] == "Campylobacter" and stored["definition"].startswith("Laboratory reports")
