"""PATCH /api/indicators/<id>, the catalogue form's POST, the fetch form's POST and `flask fingertips fetch`,
on the real app over a fresh SQLite store, with Fingertips played by the local recorded server."""
from __future__ import annotations

import time

import pytest

from callbacks.context import EXTENSION_KEY
from data.settings import Settings
from data.storage import users
from tests.fingertips_server import recorded_fingertips

EDITOR, VIEWER = "editor@example.org", "viewer@example.org"
PASSWORD = "correct horse battery"
IND = "reception-overweight"
HERE = "http://localhost"


@pytest.fixture(scope="module")
def fingertips():
    with recorded_fingertips() as server:
        yield server


@pytest.fixture
def site(tmp_path, fingertips):
    from app import create_app

    fingertips.faults.clear()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'store.sqlite3'}", instance=tmp_path,
                        secret_key="unit-test-secret-" + "c" * 32, fingertips_api_url=fingertips.base_url,
                        fingertips_timeout=5.0)
    app = create_app(settings)
    store = app.server.extensions[EXTENSION_KEY].store
    users.create_user(store.engine, EDITOR, PASSWORD, role="editor")
    users.create_user(store.engine, VIEWER, PASSWORD, role="viewer")
    tokens = {EDITOR: users.create_token(store.engine, EDITOR), VIEWER: users.create_token(store.engine, VIEWER)}
    yield app, store, tokens
    fingertips.faults.clear()
    store.dispose()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, email: str = EDITOR) -> str:
    """Sign in through the real form; returns the session's CSRF token for other forms."""
    with client.session_transaction() as s:
        s["login_csrf"] = "t" * 32
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": "t" * 32, "next": "/upload"})
    assert answer.status_code == 303 and "error" not in answer.headers["Location"]
    with client.session_transaction() as s:
        return s["login_csrf"]


# -- PATCH /api/indicators/<id> ---------------------------------------------------------------------

def test_api101_only_editors_may_patch(site):
    app, store, tokens = site
    client = app.server.test_client()
    before = store.head_version()
    assert client.patch(f"/api/indicators/{IND}", json={"name": "x"}).status_code == 401
    answer = client.patch(f"/api/indicators/{IND}", json={"name": "x"}, headers=bearer(tokens[VIEWER]))
    assert answer.status_code == 403 and "editors" in answer.get_json()["error"]
    assert store.head_version() == before
    answer = client.patch(f"/api/indicators/{IND}", json={"name": "Reception overweight (incl. obesity)", "expected_by": "2025-11"},
                          headers=bearer(tokens[EDITOR]))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["data_version"] == before + 1 == store.head_version()
    assert body["changed"] == ["name", "expected_by"]
    assert body["indicator"]["name"] == "Reception overweight (incl. obesity)"
    assert store.versions()[0]["action"] == "catalogue" and store.versions()[0]["created_by"] == EDITOR
    listed = {i["id"]: i for i in client.get("/api/indicators").get_json()}
    assert listed[IND]["name"] == "Reception overweight (incl. obesity)"


def test_api102_validation_errors_are_422_naming_each_field(site):
    app, store, tokens = site
    before = store.head_version()
    answer = app.server.test_client().patch(f"/api/indicators/{IND}", json={"unit": "per 100,000", "colour": "red"},
                                            headers=bearer(tokens[EDITOR]))
    assert answer.status_code == 422
    assert {e["field"] for e in answer.get_json()["errors"]} == {"unit", "colour"}
    assert store.head_version() == before


def test_api103_unknown_id_is_404_and_a_stale_base_version_409(site):
    app, store, tokens = site
    client = app.server.test_client()
    assert client.patch("/api/indicators/no-such", json={"name": "x"}, headers=bearer(tokens[EDITOR])).status_code == 404
    base = store.head_version()
    assert client.patch(f"/api/indicators/{IND}", json={"note": "a"}, headers=bearer(tokens[EDITOR])).status_code == 200
    stale = client.patch(f"/api/indicators/{IND}", json={"note": "b", "base_version": base}, headers=bearer(tokens[EDITOR]))
    assert stale.status_code == 409
    assert store.load_dataset().indicators.loc[IND, "note"] == "a"


def test_api104_a_body_that_is_not_a_json_object_is_refused(site):
    app, store, tokens = site
    client = app.server.test_client()
    before = store.head_version()
    assert client.patch(f"/api/indicators/{IND}", data="name=x", content_type="application/x-www-form-urlencoded",
                        headers=bearer(tokens[EDITOR])).status_code == 415
    assert client.patch(f"/api/indicators/{IND}", json=["name"], headers=bearer(tokens[EDITOR])).status_code == 400
    assert store.head_version() == before


def test_api105_a_cookie_editor_patches_from_this_site_only(site):
    app, store, _ = site
    client = app.server.test_client()
    sign_in(client)
    before = store.head_version()
    cross = client.patch(f"/api/indicators/{IND}", json={"note": "x"}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and store.head_version() == before
    same = client.patch(f"/api/indicators/{IND}", json={"note": "x"}, headers={"Origin": HERE})
    assert same.status_code == 200 and store.head_version() == before + 1


# -- the catalogue page's form ------------------------------------------------------------------------

def test_api106_the_catalogue_form_saves_with_its_token_and_keeps_a_bad_draft(site):
    app, store, _ = site
    client = app.server.test_client()
    before = store.head_version()
    form = {"id": IND, "name": "Reception: overweight", "unit": "%", "polarity": "lower is better", "set": "Aged 2-5"}
    anonymous = app.server.test_client().post("/catalogue/save", data={**form, "csrf_token": "x"})
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]
    viewer = app.server.test_client()
    viewer_token = sign_in(viewer, VIEWER)
    assert viewer.post("/catalogue/save", data={**form, "csrf_token": viewer_token}).headers["Location"].startswith("/login")
    assert store.head_version() == before
    token = sign_in(client)
    assert client.post("/catalogue/save", data={**form, "csrf_token": "forged"}).status_code == 400
    assert store.head_version() == before
    bad = client.post("/catalogue/save", data={**form, "unit": "litres", "csrf_token": token})
    assert bad.status_code == 303 and bad.headers["Location"].endswith(f"/catalogue?id={IND}&error=1")
    with client.session_transaction() as s:
        assert s["catalogue_draft"]["problems"][0][0] == "unit"
    assert store.head_version() == before
    good = client.post("/catalogue/save", data={**form, "csrf_token": token, "base_version": str(before)})
    assert good.status_code == 303 and good.headers["Location"].endswith(f"saved={before + 1}")
    assert store.load_dataset().indicators.loc[IND, "name"] == "Reception: overweight"


def test_grp101_the_group_form_saves_for_an_editor_with_its_token_and_changes_nothing_on_error(site):
    from data.storage.area_groups import list_groups

    app, store, _ = site
    group = "Yorkshire and The Humber"
    before = list_groups(store.engine)[group]
    form = {"group": group, "areas": "E06000014\r\ne08000035\r\n\r\n"}
    anonymous = app.server.test_client().post("/catalogue/groups/save", data={**form, "csrf_token": "x"})
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]
    viewer = app.server.test_client()
    viewer_token = sign_in(viewer, VIEWER)
    assert viewer.post("/catalogue/groups/save", data={**form, "csrf_token": viewer_token}).headers["Location"].startswith("/login")
    client = app.server.test_client()
    token = sign_in(client)
    assert client.post("/catalogue/groups/save", data={**form, "csrf_token": "forged"}).status_code == 400
    unknown = client.post("/catalogue/groups/save", data={**form, "group": "Nowhere", "csrf_token": token})
    assert unknown.status_code == 303 and "group_missing=Nowhere" in unknown.headers["Location"]
    assert list_groups(store.engine) == {group: before}
    bad = client.post("/catalogue/groups/save", data={"group": group, "areas": "E06000014\nE99999999\nyork", "csrf_token": token})
    assert bad.status_code == 303 and "group_error=1" in bad.headers["Location"]
    with client.session_transaction() as s:
        assert s["group_draft"]["problems"] == ["area 2: 'E99999999' is not an area in the data or in a group",
                                                "area 3: 'YORK' is not an area code (an ONS code such as E06000014)"]
    assert list_groups(store.engine)[group] == before
    good = client.post("/catalogue/groups/save", data={**form, "csrf_token": token})
    assert good.status_code == 303 and "group_saved=1" in good.headers["Location"]
    assert list_groups(store.engine)[group] == (("E06000014", "York"), ("E08000035", "Leeds"))  # lower case taken, blank lines skipped


# -- the fetch form and the command ----------------------------------------------------------------

def _wait_for_job(store, job_id):
    from data.ingest.upload_jobs import FINISHED, get_job

    for _ in range(600):  # the form's thread checks the data; not a timing assertion, a wait for it to finish
        job = get_job(store, job_id)
        if job and job["stage"] in FINISHED:
            return job
        time.sleep(0.05)
    raise AssertionError("the fetch job never finished")


def test_fch101_the_fetch_form_hands_the_data_to_the_upload_preview(site, fingertips):
    app, store, _ = site
    client = app.server.test_client()
    token = sign_in(client)
    assert client.post("/upload/fetch", data={"ids": "93356", "area_type": "102"}).status_code == 400  # no token
    answer = client.post("/upload/fetch", data={"ids": "93356", "area_type": "102", "csrf_token": token})
    assert answer.status_code == 303 and "/upload?job=" in answer.headers["Location"]
    job = _wait_for_job(store, answer.headers["Location"].split("job=")[1])
    assert job["stage"] == "ready", job["errors"]
    assert job["summary"]["rows"] == 852 and job["created_by"] == EDITOR


def test_fch102_a_failed_fetch_goes_back_with_its_message_and_changes_nothing(site, fingertips):
    app, store, _ = site
    client = app.server.test_client()
    token = sign_in(client)
    fingertips.faults[("data", "93356")] = "http500"
    before = store.head_version()
    answer = client.post("/upload/fetch", data={"ids": "93356", "area_type": "102", "csrf_token": token})
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert "/upload?fetch_error=" in location and "HTTP+500" in location and "93356" in location
    assert store.head_version() == before


def test_fch103_cli_prints_the_preview_and_publishes_only_when_asked(site, fingertips):
    app, store, _ = site
    runner = app.server.test_cli_runner()
    before = store.head_version()
    preview = runner.invoke(args=["fingertips", "fetch", "93356", "--area-type", "102"])
    assert preview.exit_code == 0, preview.output
    assert "93356: Campylobacter incidence rate/100,000 (852 rows) -> a new indicator" in preview.output
    assert "unit rate per 100,000, polarity lower is better, period basis calendar year" in preview.output
    assert "rows in the data: 852" in preview.output and "Not published" in preview.output
    assert "indicator 93356: a new indicator; choose its set" in preview.output
    assert store.head_version() == before
    published = runner.invoke(args=["fingertips", "fetch", "93356,20601", "--area-type", "102", "--set", "Local context",
                                    "--publish", "--user", "nightly job"])
    assert published.exit_code == 0, published.output
    assert f"Published as version {before + 1} by nightly job." in published.output
    assert "choose its set" not in published.output  # --set named it
    assert runner.invoke(args=["fingertips", "fetch", "93356", "--set", "Nowhere"]).exit_code == 2
    assert store.versions()[0]["created_by"] == "nightly job"
    served = store.load_dataset()
    assert (served.observations["indicator_id"] == "fingertips-93356").sum() == 852


def test_fch104_cli_failure_names_the_id_exits_1_and_changes_nothing(site, fingertips):
    app, store, _ = site
    fingertips.faults[("metadata", "20601")] = "html"
    before = store.head_version()
    result = app.server.test_cli_runner().invoke(args=["fingertips", "fetch", "93356", "20601", "--area-type", "102", "--publish"])
    assert result.exit_code == 1
    assert "not fetched: indicator 20601 (metadata): Fingertips answered with an HTML page" in result.output
    assert store.head_version() == before
