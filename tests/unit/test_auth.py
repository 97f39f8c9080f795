"""Editor sign-in (callbacks/auth.py, data/storage/users.py, layouts/login.py) through Flask's test client and CLI runner.

Every app here is the real composition (app.create_app) on its own SQLite store, copied from a
store set up once per session.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from itertools import count
from urllib.parse import parse_qs, urlsplit

import pytest
from dash import Input, Output
from flask import jsonify, request, session
from sqlalchemy import insert, select

from callbacks import auth
from callbacks.auth import callback_is_protected, current_editor, editor_required, login_csrf_token, safe_next
from data.domain.source import FixedSource
from data.storage import users
from data.storage.store import Store, StoreSource
from data.storage.tables import api_tokens, login_failures
from data.storage.tables import users as users_table

PASSWORD = "correct horse battery"
EDITOR = "editor@example.org"
VIEWER = "viewer@example.org"
PROBE = {"output": "upload-test-probe.children", "outputs": {"id": "upload-test-probe", "property": "children"},
         "inputs": [{"id": "upload-test-trigger", "property": "n_clicks", "value": 1}],
         "changedPropIds": ["upload-test-trigger.n_clicks"], "state": []}
SAME_ORIGIN = {"Origin": "http://localhost"}  # what a browser sends with a POST from this site's pages (test client's host)
ENV = ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS", "DATABASE_URL", "SECRET_KEY")
_n = count()


# -- fixtures -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory):
    """One migrated and seeded store, copied for every test (seeding takes seconds)."""
    path = tmp_path_factory.mktemp("auth-template") / "template.db"
    store = Store(f"sqlite:///{path}")
    store.setup()
    store.dispose()  # closes the connections: SQLite folds the WAL into the file
    return path


@pytest.fixture
def env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-" + "k" * 32)
    return monkeypatch


def _add_test_routes(app):
    server = app.server
    server.add_url_rule("/test/csrf", "test_csrf", lambda: login_csrf_token())

    @editor_required
    def editor_only():
        return jsonify({"editor": current_editor()})

    server.add_url_rule("/test/editor-only", "test_editor_only", editor_only)
    server.add_url_rule("/api/test-upload", "test_upload", lambda: jsonify({"bytes": len(request.get_data())}),
                        methods=["POST"])
    # A protected Dash callback (the real upload callbacks may not exist yet).
    app.callback(Output("upload-test-probe", "children"), Input("upload-test-trigger", "n_clicks"),
                 prevent_initial_call=True)(lambda n: f"ran {n}")
    return app


@pytest.fixture
def make_app(env, seeded_db, tmp_path):
    """make_app(**environment) -> (dash app with test routes, its Store)."""

    def make(**environ):
        for key, value in environ.items():
            env.setenv(key, value)
        db = tmp_path / f"t{next(_n)}.db"
        shutil.copy(seeded_db, db)
        store = Store(f"sqlite:///{db}")
        from app import create_app

        return _add_test_routes(create_app(source=StoreSource(store))), store

    return make


@pytest.fixture
def site(make_app):
    """(app, store) with an editor and a viewer."""
    app, store = make_app()
    users.create_user(store.engine, EDITOR, PASSWORD, role="editor")
    users.create_user(store.engine, VIEWER, PASSWORD, role="viewer")
    return app, store


def sign_in(client, email=EDITOR, password=PASSWORD, next_url=None, address=None, **kwargs):
    token = client.get("/test/csrf", base_url=kwargs.get("base_url"), headers=kwargs.get("headers")).get_data(as_text=True)
    data = {"email": email, "password": password, "csrf_token": token}
    if next_url is not None:
        data["next"] = next_url
    environ = {"REMOTE_ADDR": address} if address else {}
    return client.post("/login", data=data, environ_base=environ, **kwargs)


def session_cookie(response) -> str | None:
    return next((c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")), None)


def session_user(client):
    with client.session_transaction() as sess:
        return sess.get("_user_id")


# -- data/storage/users.py ----------------------------------------------------------------------

def test_auth001_password_is_hashed_with_scrypt_or_pbkdf2(site):
    _, store = site
    with store.engine.connect() as conn:
        row = conn.execute(select(users_table).where(users_table.c.email == EDITOR)).mappings().one()
    assert row["password_hash"] != PASSWORD and PASSWORD not in row["password_hash"]
    assert row["password_hash"].startswith(("scrypt:", "pbkdf2:"))
    assert row["role"] == "editor"
    assert users.authenticate(store.engine, EDITOR, PASSWORD)["email"] == EDITOR
    assert users.authenticate(store.engine, " Editor@Example.ORG ", PASSWORD)["email"] == EDITOR  # emails are case-insensitive
    assert users.authenticate(store.engine, EDITOR, PASSWORD + "x") is None
    assert users.authenticate(store.engine, "nobody@example.org", PASSWORD) is None
    assert "password_hash" not in users.authenticate(store.engine, EDITOR, PASSWORD)


def test_auth002_create_user_refuses_duplicates_bad_roles_and_empty_passwords(site):
    _, store = site
    with pytest.raises(ValueError, match="already"):
        users.create_user(store.engine, EDITOR.upper(), "another password")
    with pytest.raises(ValueError, match="role"):
        users.create_user(store.engine, "admin@example.org", PASSWORD, role="admin")
    with pytest.raises(ValueError):
        users.create_user(store.engine, "new@example.org", "")
    with pytest.raises(ValueError):
        users.create_user(store.engine, "not-an-email", PASSWORD)
    assert users.get_user(store.engine, "nonsense") is None


def test_auth003_failures_are_counted_per_address_within_the_window(site):
    _, store = site
    engine = store.engine
    for _ in range(3):
        users.record_login_failure(engine, "192.0.2.1")
    users.record_login_failure(engine, "192.0.2.2")
    with engine.begin() as conn:  # an old failure does not count
        conn.execute(insert(login_failures).values(address="192.0.2.1", at=datetime.now(timezone.utc) - timedelta(seconds=120)))
    assert users.recent_failures(engine, "192.0.2.1") == 3
    assert users.recent_failures(engine, "192.0.2.1", seconds=300) == 4
    assert users.recent_failures(engine, "192.0.2.2") == 1
    users.clear_failures(engine, "192.0.2.1")
    assert users.recent_failures(engine, "192.0.2.1", seconds=300) == 0
    assert users.recent_failures(engine, "192.0.2.2") == 1


# -- POST /login -------------------------------------------------------------------------

def test_auth004_sign_in_sets_an_httponly_samesite_lax_session(site):
    app, _ = site
    client = app.server.test_client()
    response = sign_in(client, next_url="/versions?page=2")
    assert response.status_code == 303
    assert response.headers["Location"] == "/versions?page=2"
    cookie = session_cookie(response)
    assert cookie is not None
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain-http development: a Secure cookie would never come back
    assert session_user(client) is not None
    assert client.get("/test/editor-only").get_json() == {"editor": EDITOR}


def test_auth005_wrong_password_redirects_with_error_and_no_user(site):
    app, store = site
    client = app.server.test_client()
    response = sign_in(client, password="wrong password", next_url="/versions")
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"error": ["1"], "next": ["/versions"]}
    assert session_user(client) is None
    assert client.get("/test/editor-only").status_code == 401
    assert users.recent_failures(store.engine, "127.0.0.1") == 1
    # unknown email: the same answer
    response = sign_in(client, email="nobody@example.org")
    assert urlsplit(response.headers["Location"]).path == "/login" and session_user(client) is None


def test_auth006_sixth_attempt_within_a_minute_is_429_without_checking_the_password(site, monkeypatch):
    app, _ = site
    client = app.server.test_client()
    for _ in range(5):
        assert urlsplit(sign_in(client, password="guess", address="203.0.113.5").headers["Location"]).path == "/login"

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("the password was checked while rate limited")

    with monkeypatch.context() as m:
        m.setattr(auth.accounts, "authenticate", must_not_run)
        response = sign_in(client, address="203.0.113.5")  # even the right password
    assert response.status_code == 429
    assert response.mimetype == "text/plain"
    assert response.headers["Retry-After"] == "60"
    assert session_user(client) is None
    # another address is not limited
    other = app.server.test_client()
    assert sign_in(other, address="203.0.113.6").headers["Location"] == "/upload"


def test_auth007_missing_or_wrong_csrf_token_is_400(site):
    app, store = site
    client = app.server.test_client()
    assert client.post("/login", data={"email": EDITOR, "password": PASSWORD}).status_code == 400
    client.get("/test/csrf")
    response = client.post("/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    response = client.post("/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": "fälscht"})
    assert response.status_code == 400  # non-ASCII token: still a 400, not a 500
    assert session_user(client) is None
    assert users.recent_failures(store.engine, "127.0.0.1") == 0


@pytest.mark.parametrize("next_url", [
    "//evil.com", "https://evil.com", "http://evil.com/upload", "/\\evil.com", "\\\\evil.com", "/\t/evil.com",
    "javascript:alert(1)", "evil.com", "", "/login", "//evil.com/%2F..",
])
def test_auth008_open_redirects_are_refused(site, next_url):
    app, _ = site
    response = sign_in(app.server.test_client(), next_url=next_url)
    assert response.status_code == 303
    assert response.headers["Location"] == "/upload"


def test_auth009_safe_next_keeps_same_site_paths():
    assert safe_next("/versions?x=1#top") == "/versions?x=1#top"
    assert safe_next("/explore") == "/explore"
    assert safe_next(None) == "/upload"
    assert safe_next("https://evil.com", default="/") == "/"


def test_auth010_sign_in_starts_a_new_session(site):
    app, _ = site
    client = app.server.test_client()
    client.get("/test/csrf")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
        before = sess["login_csrf"]
    sign_in(client)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("login_csrf") != before  # the sign-in form's token is not reused
        assert sess.permanent


def test_auth011_logout_is_a_post_with_the_token_and_ends_the_session(site):
    # Was: GET or POST /logout, no token (a cross-site <img src=/logout> signed the editor out).
    app, _ = site
    client = app.server.test_client()
    sign_in(client)
    assert client.get("/test/editor-only").status_code == 200
    token = client.get("/test/csrf").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert session_user(client) is None
    assert client.get("/test/editor-only").status_code == 401


def test_auth036_get_logout_and_a_post_without_the_token_do_not_sign_out(site):
    app, _ = site
    client = app.server.test_client()
    sign_in(client)
    assert client.get("/logout").status_code != 303  # no route for GET: Dash's page catch-all, nothing signed out
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert session_user(client) is not None
    assert client.get("/test/editor-only").status_code == 200


def test_auth012_get_login_is_still_the_dash_page(site):
    app, _ = site
    response = app.server.test_client().get("/login?next=/upload")
    assert response.status_code == 200
    assert "_dash-renderer" in response.get_data(as_text=True)


# -- editor_required, Bearer tokens and the CLI -------------------------------------------

def test_auth013_cli_creates_users_and_tokens_stored_hashed(make_app):
    app, store = make_app()
    runner = app.server.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Ed@Example.org", "--role", "editor"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert users.authenticate(store.engine, "ed@example.org", PASSWORD)["role"] == "editor"

    result = runner.invoke(args=["tokens", "create", "ed@example.org"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) >= 40
    with store.engine.connect() as conn:
        stored = conn.execute(select(api_tokens.c.token_sha256)).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in stored

    client = app.server.test_client()
    response = client.get("/test/editor-only", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json() == {"editor": "ed@example.org"}
    assert session_user(client) is None  # a token authorises the request; it does not sign the client in


def test_auth014_cli_refuses_duplicates_short_passwords_unknown_users_and_bad_roles(make_app):
    app, store = make_app()
    runner = app.server.test_cli_runner()
    assert runner.invoke(args=["users", "create", "ed@example.org"], input=f"{PASSWORD}\n").exit_code == 0
    again = runner.invoke(args=["users", "create", "ED@example.org"], input=f"{PASSWORD}\n")
    assert again.exit_code != 0 and "already" in again.output
    short = runner.invoke(args=["users", "create", "short@example.org"], input="pw\npw\n")
    assert short.exit_code != 0 and users.get_user_by_email(store.engine, "short@example.org") is None
    assert runner.invoke(args=["users", "create", "x@example.org", "--role", "admin"], input=f"{PASSWORD}\n").exit_code != 0
    unknown = runner.invoke(args=["tokens", "create", "nobody@example.org"])
    assert unknown.exit_code != 0 and "no user" in unknown.output


def test_auth015_cli_prompts_twice_on_a_terminal(make_app, monkeypatch):
    app, store = make_app()
    monkeypatch.setattr(auth, "_stdin_is_tty", lambda: True)
    runner = app.server.test_cli_runner()
    result = runner.invoke(args=["users", "create", "tty@example.org", "--role", "viewer"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    assert users.get_user_by_email(store.engine, "tty@example.org")["role"] == "viewer"
    mismatch = runner.invoke(args=["users", "create", "typo@example.org"], input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert mismatch.exit_code != 0 and users.get_user_by_email(store.engine, "typo@example.org") is None


def test_auth016_editor_required_refuses_anonymous_viewers_and_bad_tokens(site):
    app, store = site
    client = app.server.test_client()
    response = client.get("/test/editor-only")
    assert response.status_code == 401 and response.get_json() == {"error": "sign in as an editor"}
    assert client.get("/test/editor-only", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get("/test/editor-only", headers={"Authorization": "Basic " + "x" * 20}).status_code == 401
    viewer_token = users.create_token(store.engine, VIEWER)
    assert client.get("/test/editor-only", headers={"Authorization": f"Bearer {viewer_token}"}).status_code == 401
    sign_in(client, email=VIEWER)
    assert session_user(client) is not None
    assert client.get("/test/editor-only").status_code == 401
    editor_token = users.create_token(store.engine, EDITOR)
    ok = app.server.test_client().get("/test/editor-only", headers={"Authorization": f"bearer {editor_token}"})
    assert ok.status_code == 200 and ok.get_json() == {"editor": EDITOR}


def test_auth017_current_editor_is_none_outside_requests():
    assert current_editor() is None


# -- guarding Dash callbacks -------------------------------------------------------------

def test_auth018_protected_callback_needs_an_editor(site):
    app, _ = site
    anonymous = app.server.test_client()
    response = anonymous.post("/_dash-update-component", json=PROBE)
    assert response.status_code == 403 and response.get_json() == {"error": "sign in as an editor"}
    bare = {"output": "upload-preview.children", "outputs": {"id": "upload-preview", "property": "children"},
            "inputs": [], "changedPropIds": []}
    assert anonymous.post("/_dash-update-component", json=bare).status_code == 403

    viewer = app.server.test_client()
    sign_in(viewer, email=VIEWER)
    assert viewer.post("/_dash-update-component", json=PROBE).status_code == 403

    editor = app.server.test_client()
    sign_in(editor)
    response = editor.post("/_dash-update-component", json=PROBE, headers=SAME_ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "ran 1" in response.get_data(as_text=True)
    assert editor.post("/_dash-update-component", json=bare, headers=SAME_ORIGIN).status_code != 403


def test_auth019_public_callbacks_still_run_for_everyone(site):
    app, _ = site
    body = {"output": "..page-content.children...data-updated.children..",
            "outputs": [{"id": "page-content", "property": "children"}, {"id": "data-updated", "property": "children"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
            "state": [{"id": "url", "property": "search", "value": ""}], "changedPropIds": ["url.pathname"]}
    response = app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("body", [
    {"output": "..page-content.children...upload-status.children..",
     "outputs": [{"id": "page-content", "property": "children"}, {"id": "upload-status", "property": "children"}]},
    {"output": '{"index":1,"type":"upload-row"}.children', "outputs": {"id": {"index": 1, "type": "upload-row"}, "property": "children"}},
    {"output": "page-content.children", "outputs": [[{"id": {"type": "notes-text", "index": 2}, "property": "value"}]]},
    {"output": "..versions-table.children...x.y..", "outputs": []},
    {"output": '{"index":"a...b","type":"versions-row"}.children'},
    {"output": "notes-panel.children"},
])
def test_auth020_protected_outputs_are_found_in_every_request_shape(site, body):
    assert callback_is_protected(body)
    app, _ = site
    full = {"inputs": [], "changedPropIds": [], **body}
    assert app.server.test_client().post("/_dash-update-component", json=full).status_code == 403


@pytest.mark.parametrize("body", [
    {"output": "page-content.children", "outputs": {"id": "page-content", "property": "children"}},
    {"output": '{"index":"upload-x","type":"card-graph"}.figure', "outputs": {"id": {"index": "upload-x", "type": "card-graph"}, "property": "figure"}},
    {"output": "explore-upload-notes.children"},
])
def test_auth021_other_outputs_are_not_protected(body):
    assert not callback_is_protected(body)


@pytest.mark.parametrize("data, content_type", [
    ("{not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('{"outputs": []}', "application/json"),
    ('{"output": 5}', "application/json"),
    ("", "application/json"),
    ("output=upload-preview.children", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00", "application/json"),
])
def test_auth022_malformed_callback_requests_are_400_not_500(site, data, content_type):
    app, _ = site
    response = app.server.test_client().post("/_dash-update-component", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json() == {"error": "malformed callback request"}


def test_auth023_protected_output_sent_as_text_plain_is_still_refused(site):
    # Was 403 (parsed with force=True, then refused for want of an editor); now any non-JSON callback post is 400.
    app, _ = site
    response = app.server.test_client().post("/_dash-update-component", data=json.dumps(PROBE), content_type="text/plain")
    assert response.status_code == 400


# -- CSRF: JSON callbacks, same-origin cookie requests, bearer exempt (issue 11, item 5) ----------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_auth037_a_signed_in_editors_callback_sent_as_a_simple_form_type_does_not_run(site, content_type):
    app, _ = site
    editor = app.server.test_client()
    sign_in(editor)
    response = editor.post("/_dash-update-component", data=json.dumps(PROBE), content_type=content_type, headers=SAME_ORIGIN)
    assert response.status_code == 400 and "ran" not in response.get_data(as_text=True)


CROSS = [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Origin": "http://localhost.evil.example"},
         {"Origin": "https://localhost"}, {"Referer": "https://evil.example/page"}, {}]


@pytest.mark.parametrize("headers", CROSS)
def test_auth038_cookie_authenticated_posts_from_another_origin_are_refused(site, headers):
    app, store = site
    editor = app.server.test_client()
    sign_in(editor)
    version = editor.get("/healthz").get_json()["data_version"]
    response = editor.post("/api/versions/1/restore", headers=headers)
    assert response.status_code == 403 and "cross-site" in response.get_json()["error"]
    assert editor.get("/healthz").get_json()["data_version"] == version
    assert editor.post("/api/test-upload", data=b"x", headers=headers).status_code == 403
    refused = editor.post("/_dash-update-component", json=PROBE, headers=headers)
    assert refused.status_code == 403 and "ran" not in refused.get_data(as_text=True)


@pytest.mark.parametrize("headers", [SAME_ORIGIN, {"Origin": "http://LOCALHOST:80"}, {"Referer": "http://localhost/upload?x=1"}])
def test_auth039_cookie_authenticated_posts_from_this_site_are_accepted(site, headers):
    app, _ = site
    editor = app.server.test_client()
    sign_in(editor)
    version = editor.get("/healthz").get_json()["data_version"]
    response = editor.post("/api/versions/1/restore", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["data_version"] == version + 1
    assert editor.post("/api/test-upload", data=b"{}", content_type="application/json", headers=headers).status_code == 200
    assert "ran 1" in editor.post("/_dash-update-component", json=PROBE, headers=headers).get_data(as_text=True)


def test_auth040_same_origin_follows_the_trusted_proxy_host(make_app):
    app, store = make_app(TRUST_PROXY="1")
    users.create_user(store.engine, EDITOR, PASSWORD)
    editor = app.server.test_client()
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "dash.example.org"}
    sign_in(editor, headers=proxied)
    ok = editor.post("/api/test-upload", headers={**proxied, "Origin": "https://dash.example.org"})
    assert ok.status_code == 200
    assert editor.post("/api/test-upload", headers={**proxied, "Origin": "http://localhost"}).status_code == 403


def test_auth041_bearer_token_requests_are_exempt(site):
    app, store = site
    token = users.create_token(store.engine, EDITOR)
    bearer = {"Authorization": f"Bearer {token}"}
    client = app.server.test_client()
    for extra in ({}, {"Origin": "https://evil.example"}):
        response = client.post("/api/versions/1/restore", headers={**bearer, **extra})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert "ran 1" in client.post("/_dash-update-component", json=PROBE, headers={**bearer, **extra}).get_data(as_text=True)


def test_auth042_cookie_authenticated_api_posts_need_json_multipart_or_no_body(site):
    app, _ = site
    editor = app.server.test_client()
    sign_in(editor)
    response = editor.post("/api/test-upload", data="{}", content_type="text/plain", headers=SAME_ORIGIN)
    assert response.status_code == 415 and response.get_json()["status"] == 415
    form = editor.post("/api/test-upload", data={"a": "b"}, headers=SAME_ORIGIN)
    assert form.status_code == 415
    assert editor.post("/api/test-upload", data="{}", content_type="application/json", headers=SAME_ORIGIN).status_code == 200


def test_auth043_the_header_has_a_sign_out_form_posting_the_token_for_signed_in_users(site):
    app, _ = site
    form = _find(app.layout, id="sign-out-form")[0]
    assert form.method == "POST" and form.action == "/logout"
    assert [c.name for c in _components(form) if getattr(c, "name", None)] == ["csrf_token"]
    body = {"output": "..sign-out-csrf.value...sign-out-form.hidden...signed-in-as.children..",
            "outputs": [{"id": "sign-out-csrf", "property": "value"}, {"id": "sign-out-form", "property": "hidden"},
                        {"id": "signed-in-as", "property": "children"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/"}], "changedPropIds": ["url.pathname"]}
    anonymous = app.server.test_client().post("/_dash-update-component", json=body)
    assert anonymous.get_json()["response"]["sign-out-form"]["hidden"] is True
    assert not anonymous.get_json()["response"]["sign-out-csrf"]["value"]
    editor = app.server.test_client()
    sign_in(editor)
    answer = editor.post("/_dash-update-component", json=body).get_json()["response"]
    assert answer["sign-out-form"]["hidden"] is False
    assert answer["signed-in-as"]["children"] == EDITOR  # "Signed in as <email> · Sign out" (issue 14)
    signed_out = editor.post("/logout", data={"csrf_token": answer["sign-out-csrf"]["value"]})
    assert signed_out.status_code == 303 and session_user(editor) is None


# -- malformed callback bodies (issue 11, item 8) --------------------------------------------------

def _deep(body: dict, depth: int) -> str:
    """`body` as JSON with its first input's value nested `depth` lists deep (written out: no recursion here)."""
    return json.dumps({**body, "inputs": [{**body["inputs"][0], "value": "@"}]}).replace('"@"', "[" * depth + "]" * depth)


@pytest.mark.parametrize("body", [
    {**PROBE, "output": "no-such-component.children", "outputs": {"id": "no-such-component", "property": "children"}},
    {"output": "page-content.children", "outputs": {"id": "page-content", "property": "children"}, "inputs": [], "changedPropIds": []},
    {**PROBE, "inputs": "n_clicks"},
    {**PROBE, "inputs": [5]},
    {**PROBE, "inputs": [{"id": 5, "property": "n_clicks"}]},
    {**PROBE, "state": {"id": "x"}},
    {**PROBE, "outputs": "upload-test-probe"},
    {**PROBE, "changedPropIds": "upload-test-trigger.n_clicks"},
    {**PROBE, "changedPropIds": [1]},
    _deep(PROBE, 900),
])
def test_auth044_malformed_callback_bodies_from_an_editor_are_400(site, body):
    app, _ = site
    editor = app.server.test_client()
    sign_in(editor)
    data = body if isinstance(body, str) else json.dumps(body)
    response = editor.post("/_dash-update-component", data=data, content_type="application/json", headers=SAME_ORIGIN)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json() == {"error": "malformed callback request"}


def test_auth045_a_public_callback_nested_900_deep_is_400(site):
    app, _ = site
    body = {"output": "..page-content.children...data-updated.children..",
            "outputs": [{"id": "page-content", "property": "children"}, {"id": "data-updated", "property": "children"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
            "state": [{"id": "url", "property": "search", "value": ""}], "changedPropIds": ["url.pathname"]}
    response = app.server.test_client().post("/_dash-update-component", data=_deep(body, 900), content_type="application/json")
    assert response.status_code == 400


# -- configuration --------------------------------------------------------------------------

def test_auth024_production_without_secret_key_refuses_to_start(env, seeded_db, tmp_path):
    from app import create_app

    env.setenv("APP_ENV", "production")
    env.delenv("SECRET_KEY")
    shutil.copy(seeded_db, tmp_path / "p.db")
    source = StoreSource(Store(f"sqlite:///{tmp_path / 'p.db'}"))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(source=source)
    env.setenv("SECRET_KEY", "a-production-secret-" + "p" * 32)
    server = create_app(source=source).server
    assert server.secret_key == "a-production-secret-" + "p" * 32
    assert server.config["SESSION_COOKIE_SECURE"] is True
    assert server.config["PREFERRED_URL_SCHEME"] == "https"


def test_auth025_development_key_is_made_once_with_mode_0600(env, seeded_db, tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    key = auth.load_or_create_secret_key(folder)
    assert len(key) >= 32
    assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600
    assert auth.load_or_create_secret_key(folder) == key
    assert auth.load_or_create_secret_key(tmp_path / "other") != key
    assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no temporary files left

    # create_app without SECRET_KEY in development: every app (worker) gets the persisted key
    from app import create_app
    from data.settings import Settings

    env.delenv("SECRET_KEY")
    settings = dataclasses.replace(Settings.from_env(), instance=folder)
    shutil.copy(seeded_db, tmp_path / "d.db")
    source = StoreSource(Store(f"sqlite:///{tmp_path / 'd.db'}"))
    assert create_app(settings, source=source).server.secret_key == key
    assert create_app(settings, source=source).server.secret_key == key


def test_auth026_secure_cookie_over_https_and_when_forced(site, make_app):
    app, _ = site
    response = sign_in(app.server.test_client(), base_url="https://localhost")
    assert "Secure" in session_cookie(response)

    forced, store = make_app(FORCE_HTTPS="1")
    users.create_user(store.engine, EDITOR, PASSWORD)
    assert forced.server.config["SESSION_COOKIE_SECURE"] is True
    client = forced.server.test_client()
    redirected = client.get("/", base_url="http://localhost")
    assert redirected.status_code == 302 and redirected.headers["Location"].startswith("https://")
    response = sign_in(client, base_url="https://localhost")
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_auth027_trust_proxy_uses_the_forwarded_address_and_scheme(make_app):
    proxied, store = make_app(TRUST_PROXY="1")
    users.create_user(store.engine, EDITOR, PASSWORD)
    client = proxied.server.test_client()
    headers = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    sign_in(client, password="wrong", headers=headers)
    assert users.recent_failures(store.engine, "198.51.100.7") == 1
    assert "Secure" in session_cookie(sign_in(client, headers=headers))


def test_auth028_forwarded_headers_are_ignored_without_trust_proxy(site):
    app, store = site
    sign_in(app.server.test_client(), password="wrong", headers={"X-Forwarded-For": "198.51.100.7"})
    assert users.recent_failures(store.engine, "198.51.100.7") == 0
    assert users.recent_failures(store.engine, "127.0.0.1") == 1


def test_auth029_request_size_limit_is_json_413_under_api(make_app):
    app, _ = make_app(MAX_UPLOAD_MB="0.01")
    server = app.server
    assert server.config["MAX_CONTENT_LENGTH"] == int(0.01 * 1024 * 1024)
    client = server.test_client()
    assert client.post("/api/test-upload", data=b"x" * 1000).get_json() == {"bytes": 1000}
    response = client.post("/api/test-upload", data=b"x" * 20000)
    assert response.status_code == 413
    assert response.get_json()["status"] == 413 and "MB" in response.get_json()["error"]
    callback = client.post("/_dash-update-component", data=b"x" * 20000, content_type="application/json")
    assert callback.status_code == 413 and callback.get_json()["status"] == 413  # JSON for callbacks too (issue 11)
    page = client.post("/login", data=b"x" * 20000, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413 and not page.is_json


def test_auth030_default_upload_limit_is_50_mb(site):
    app, _ = site
    assert app.server.config["MAX_CONTENT_LENGTH"] == 50 * 1024 * 1024


def test_auth031_store_less_app_keeps_users_in_the_default_store(env, tmp_path, bundled):
    from app import create_app

    env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'default.db'}")
    app = _add_test_routes(create_app(source=FixedSource(bundled)))
    runner = app.server.test_cli_runner()
    assert runner.invoke(args=["users", "create", EDITOR], input=f"{PASSWORD}\n").exit_code == 0
    client = app.server.test_client()
    assert sign_in(client).headers["Location"] == "/upload"
    assert client.get("/test/editor-only").get_json() == {"editor": EDITOR}


# -- the sign-in page --------------------------------------------------------------------------

def _components(layout):
    return [c for c in layout._traverse()] + [layout]


def _find(layout, **props):
    return [c for c in _components(layout) if all(getattr(c, k, None) == v for k, v in props.items())]


def test_auth032_login_page_is_a_native_accessible_form(site):
    from callbacks.routing import render_page

    app, _ = site
    with app.server.test_request_context("/login"):
        layout, _updated = render_page("/login", "?next=//evil.com")
        token = session["login_csrf"]
    (form,) = _find(layout, id="login-form")
    assert (form.method, form.action) == ("post", "/login")
    assert _find(layout, name="csrf_token")[0].value == token and _find(layout, name="csrf_token")[0].type == "hidden"
    assert _find(layout, name="next")[0].value == "/upload"
    email, password = _find(layout, name="email")[0], _find(layout, name="password")[0]
    assert (email.type, email.autoComplete, email.required) == ("email", "username", True)
    assert (password.type, password.autoComplete, password.required) == ("password", "current-password", True)
    labels = {c.htmlFor for c in _components(layout) if type(c).__name__ == "Label"}
    assert {email.id, password.id} <= labels
    assert not _find(layout, role="alert")
    assert [c.type for c in _components(layout) if type(c).__name__ == "Button"] == ["submit"]


def test_auth033_login_page_shows_the_error(site):
    from layouts.login import ERROR_TEXT, login_page

    app, _ = site
    with app.server.test_request_context("/login?error=1"):
        layout = login_page("1", "/versions", "a-token")
    (summary,) = _find(layout, role="alert")
    assert ERROR_TEXT in str(summary.to_plotly_json())
    assert _find(layout, name="next")[0].value == "/versions"
    email_label = next(c for c in _components(layout) if type(c).__name__ == "Label" and c.htmlFor == "login-email")
    assert ERROR_TEXT in str(email_label.to_plotly_json())  # announced with the field's label


def test_auth034_login_page_form_token_is_accepted_by_post_login(site):
    """The token the page renders (set in the session by the Dash callback) is the one POST /login wants."""
    app, _ = site
    client = app.server.test_client()
    token = client.get("/test/csrf").get_data(as_text=True)
    assert client.get("/test/csrf").get_data(as_text=True) == token  # stable within a session
    response = client.post("/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": token, "next": "/versions"})
    assert response.headers["Location"] == "/versions"


def test_auth035_unknown_email_still_costs_a_password_check(site, monkeypatch):
    _, store = site
    calls = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    assert users.authenticate(store.engine, "nobody@example.org", PASSWORD) is None
    assert len(calls) == 1 and calls[0].startswith(("scrypt:", "pbkdf2:"))


# -- sign-out on the server, disabled accounts, revoked tokens, the CLI (issue 11, item 8) ----------

def _sign_out(client):
    token = client.get("/test/csrf").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_auth046_a_session_cookie_replayed_after_sign_out_is_refused(site):
    app, _ = site
    client = app.server.test_client()
    sign_in(client)
    stolen = client.get_cookie("session").value
    other_device = app.server.test_client()
    sign_in(other_device)
    _sign_out(client)
    replay = app.server.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/test/editor-only").status_code == 401
    assert replay.post("/_dash-update-component", json=PROBE, headers=SAME_ORIGIN).status_code == 403
    assert other_device.get("/test/editor-only").status_code == 401  # sign-out ends the user's every session
    sign_in(client)
    assert client.get("/test/editor-only").status_code == 200  # a new sign-in is a new session


def test_auth047_cli_disables_users_their_sessions_and_tokens(site):
    app, store = site
    runner = app.server.test_cli_runner()
    client = app.server.test_client()
    sign_in(client)
    token = users.create_token(store.engine, EDITOR)
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0 and EDITOR in listed.output and VIEWER in listed.output
    assert "disabled" not in listed.output and "password" not in listed.output.lower()

    result = runner.invoke(args=["users", "disable", EDITOR.upper()])
    assert result.exit_code == 0 and f"disabled {EDITOR}" in result.output, result.output
    assert client.get("/test/editor-only").status_code == 401
    assert app.server.test_client().get("/test/editor-only", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    again = app.server.test_client()
    assert urlsplit(sign_in(again).headers["Location"]).path == "/login" and session_user(again) is None
    listed = runner.invoke(args=["users", "list"])
    assert "disabled" in next(line for line in listed.output.splitlines() if line.startswith(EDITOR))
    assert "active" in next(line for line in listed.output.splitlines() if line.startswith(VIEWER))
    unknown = runner.invoke(args=["users", "disable", "nobody@example.org"])
    assert unknown.exit_code != 0 and "no user" in unknown.output


def test_auth048_cli_lists_and_revokes_tokens(site):
    app, store = site
    runner = app.server.test_cli_runner()
    first = users.create_token(store.engine, EDITOR)
    second = users.create_token(store.engine, EDITOR)
    listed = runner.invoke(args=["tokens", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 2 and all(EDITOR in line and "active" in line for line in lines)
    assert first not in listed.output and second not in listed.output
    first_id = lines[0].split("\t")[0]
    result = runner.invoke(args=["tokens", "revoke", first_id])
    assert result.exit_code == 0 and f"revoked token {first_id}" in result.output, result.output
    client = app.server.test_client()
    assert client.get("/test/editor-only", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/test/editor-only", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output.splitlines()[0]
    assert runner.invoke(args=["tokens", "revoke", "99999"]).exit_code != 0


# -- sign-in limits per account and under parallel attempts (issue 11, item 8) -----------------------

def test_auth049_guesses_for_one_account_from_many_addresses_are_limited(site):
    app, _ = site
    for n in range(auth.MAX_ACCOUNT_FAILURES):
        response = sign_in(app.server.test_client(), password="guess", address=f"198.51.100.{n}")
        assert urlsplit(response.headers["Location"]).path == "/login"
    limited = sign_in(app.server.test_client(), address="198.51.100.200")  # even the right password
    assert limited.status_code == 429 and limited.headers["Retry-After"] == str(auth.FAILURE_WINDOW)
    # another account from a fresh address is not limited
    assert sign_in(app.server.test_client(), email=VIEWER, address="198.51.100.201").headers["Location"] == "/upload"


def test_auth050_a_successful_sign_in_does_not_use_up_the_limit(site):
    app, _ = site
    for n in range(auth.MAX_FAILURES + 2):
        client = app.server.test_client()
        assert sign_in(client, address="192.0.2.50").headers["Location"] == "/upload", n


def test_auth051_parallel_attempts_cannot_slip_past_the_limit(site, monkeypatch):
    app, _ = site
    checked = []
    real = users.authenticate

    def slow_authenticate(*args):
        checked.append(1)
        time.sleep(0.3)  # the window in which the old check-then-record let every parallel guess through
        return real(*args)

    monkeypatch.setattr(auth.accounts, "authenticate", slow_authenticate)
    clients = [app.server.test_client() for _ in range(12)]
    tokens = [c.get("/test/csrf").get_data(as_text=True) for c in clients]

    def attempt(i):
        return clients[i].post("/login", data={"email": EDITOR, "password": "guess", "csrf_token": tokens[i]},
                               environ_base={"REMOTE_ADDR": "203.0.113.77"}).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(attempt, range(12)))
    assert len(checked) <= auth.MAX_FAILURES
    assert codes.count(429) >= 12 - auth.MAX_FAILURES


def test_auth052_the_attempt_counter_is_atomic_on_sqlite_and_postgresql(store):
    keys = ["account:race@example.org"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = list(pool.map(lambda _: users.reserve_login_attempt(store.engine, keys, 5, 60), range(24)))
    assert allowed.count(True) == 5
    users.release_login_attempt(store.engine, keys)
    assert users.reserve_login_attempt(store.engine, ["account:other@example.org"], 5, 60)
