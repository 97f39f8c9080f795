"""Security headers and the Content-Security-Policy (callbacks/security.py).

The last test loads the pages in headless Chromium (tests/system_deps.sh installs it) to show the charts render
under the CSP, without 'unsafe-eval', and that the sign-in form works end to end.
"""
from __future__ import annotations

import base64
import hashlib
import re
import shutil
import socket
import time
from itertools import count

import dash
import pytest
from dash import Input, Output, dcc, html
from flask import Response

from callbacks.security import content_security_policy, register_security
from data.settings import Settings
from data.storage import users
from data.storage.store import Store, StoreSource

ENV = ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS", "DATABASE_URL", "SECRET_KEY")
PASSWORD = "correct horse battery"
EDITOR = "editor@example.org"
_n = count()
_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("security-template") / "template.db"
    store = Store(f"sqlite:///{path}")
    store.setup()
    store.dispose()
    return path


@pytest.fixture
def make_app(monkeypatch, seeded_db, tmp_path):
    """make_app(**environment) -> (the real app on its own store copy, the store)."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-" + "s" * 32)

    def make(**environ):
        for key, value in environ.items():
            monkeypatch.setenv(key, value)
        db = tmp_path / f"s{next(_n)}.db"
        shutil.copy(seeded_db, db)
        store = Store(f"sqlite:///{db}")
        from app import create_app

        return create_app(source=StoreSource(store)), store

    return make


def csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    out = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        out[name] = values
    return out


def inline_scripts(html_text: str) -> list[str]:
    """Bodies of the scripts a browser would execute inline (no src, not JSON data)."""
    out = []
    html_text = re.sub(r"<!--.*?-->", "", html_text, flags=re.S)  # e.g. Dash's default <!--[if IE]> warning
    for m in _SCRIPT.finditer(html_text):
        attrs = m.group("attrs").lower()
        if "src=" in attrs or "application/json" in attrs:
            continue
        out.append(m.group("body"))
    return out


def sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def test_sec001_index_has_csp_with_self_and_hashes_of_every_inline_script(make_app):
    app, _ = make_app()
    response = app.server.test_client().get("/")
    assert response.status_code == 200
    policy = csp(response)
    script_src = policy["script-src"]
    assert script_src[0] == "'self'"
    assert any(s.startswith("'sha256-") for s in script_src)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    scripts = inline_scripts(response.get_data(as_text=True))
    assert scripts, "Dash's renderer bootstrap is an inline script"
    for script in scripts:
        assert sha256_source(script) in script_src, f"inline script not allowed by the CSP: {script[:80]!r}"


def test_sec002_the_other_directives(make_app):
    app, _ = make_app()
    policy = csp(app.server.test_client().get("/explore"))
    assert policy["default-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["font-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.parametrize("path", ["/", "/explore", "/api/indicators", "/healthz", "/login"])
def test_sec003_nosniff_referrer_policy_and_frame_options_on_every_response(make_app, path):
    app, _ = make_app()
    response = app.server.test_client().get(path)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response.headers


def test_sec009_scripts_and_stylesheets_carry_nosniff_but_not_the_document_only_headers(make_app):
    app, _ = make_app()
    client = app.server.test_client()
    page = client.get("/")
    sources = [s for s in re.findall(r'(?:src|href)="([^"]+\.(?:js|css)[^"]*)"', page.get_data(as_text=True))]
    assert any(".js" in s for s in sources) and any(".css" in s for s in sources)
    for source in sources:
        response = client.get(source)
        assert response.status_code == 200, source
        assert response.headers["X-Content-Type-Options"] == "nosniff", source
        assert "Content-Security-Policy" not in response.headers and "X-Frame-Options" not in response.headers, source
    assert "Content-Security-Policy" in page.headers and page.headers["X-Frame-Options"] == "DENY"


def test_sec004_https_is_not_forced_by_default_and_hsts_only_over_https(make_app):
    app, _ = make_app()
    client = app.server.test_client()
    plain = client.get("/", base_url="http://localhost")
    assert plain.status_code == 200
    assert "Strict-Transport-Security" not in plain.headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    # Talisman must not switch Secure cookies on behind our back in development.
    assert app.server.config["SESSION_COOKIE_SECURE"] is False
    assert app.server.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.server.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_sec005_force_https_redirects_and_keeps_cookies_secure(make_app):
    app, _ = make_app(FORCE_HTTPS="1")
    client = app.server.test_client()
    response = client.get("/explore?set=x", base_url="http://localhost")
    assert response.status_code in (301, 302)
    assert response.headers["Location"] == "https://localhost/explore?set=x"
    assert client.get("/explore", base_url="https://localhost").status_code == 200
    assert app.server.config["SESSION_COOKIE_SECURE"] is True
    assert app.server.config["PREFERRED_URL_SCHEME"] == "https"


def test_sec006_clientside_callback_scripts_are_hashed_when_registered_first():
    app = dash.Dash(__name__, serve_locally=True)
    app.server.config["SECRET_KEY"] = "x"
    app.layout = html.Div([dcc.Input(id="sec-in"), html.Div(id="sec-out")])
    app.clientside_callback("function (v) { return v; }", Output("sec-out", "children"), Input("sec-in", "value"))
    register_security(app, Settings())
    response = app.server.test_client().get("/")
    scripts = inline_scripts(response.get_data(as_text=True))
    assert len(scripts) >= 2  # the renderer and the clientside callback
    for script in scripts:
        assert sha256_source(script) in csp(response)["script-src"]
    assert content_security_policy(app)["script-src"][0] == "'self'"


# -- in a browser -----------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Chromium words it "Refused to execute inline script ..." or "Executing inline script violates the following
# Content Security Policy directive ..."; a blocked eval is "EvalError: Evaluating a string as JavaScript violates ...".
CSP_WORDS = ("Content Security Policy", "Refused to", "violates the following", "EvalError", "unsafe-eval")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csp_violations(logs) -> list[str]:
    return [e["message"] for e in logs if any(w in e["message"] for w in CSP_WORDS)]


def test_sec007_charts_and_sign_in_work_in_a_browser_under_the_csp(make_app, tmp_path):
    from dash.testing.application_runners import ThreadedRunner
    from dash.testing.composite import DashComposite
    from dash.testing.wait import until

    app, store = make_app()
    users.create_user(store.engine, EDITOR, PASSWORD)
    server = app.server
    # A control page that breaks the policy on purpose: proves violations do reach the logs.
    server.add_url_rule("/test/csp-probe", "csp_probe", lambda: Response(
        "<!DOCTYPE html><html><head><title>probe</title></head><body>"
        "<script>window.inlineRan = true;</script><script src='/test/csp-probe.js'></script></body></html>",
        mimetype="text/html"))
    server.add_url_rule("/test/csp-probe.js", "csp_probe_js", lambda: Response(
        "window.evalResult = eval('1 + 1');", mimetype="text/javascript"))

    with ThreadedRunner() as runner, DashComposite(server=runner, browser="chrome", headless=True,
                                                   download_path=str(tmp_path)) as duo:
        duo.start_server(app, port=_free_port())
        driver = duo.driver
        plots = "return document.querySelectorAll('.js-plotly-plot .main-svg').length"
        # The overview's table (its sparklines are images) and the charts of the tiles and explore.
        driver.get(duo.server_url + "/")
        until(lambda: driver.execute_script("return document.querySelectorAll('.ov-trend img').length") > 0, 20, msg="no sparkline on /")
        assert csp_violations(duo.get_logs()) == [], "/"
        for path in ("/?view=tiles", "/explore"):
            driver.get(duo.server_url + path)
            until(lambda: driver.execute_script(plots) > 0, 20, msg=f"no chart drawn on {path}")
            assert csp_violations(duo.get_logs()) == [], path

        # The sign-in form: token from the Dash-rendered page, native POST (form-action 'self'), redirect.
        driver.get(duo.server_url + "/login?next=/explore")
        duo.wait_for_element("#login-email").send_keys(EDITOR)
        duo.wait_for_element("#login-password").send_keys(PASSWORD)
        duo.wait_for_element("#login-submit").click()
        until(lambda: driver.current_url.split("?")[0].endswith("/explore"), 20,
              msg=f"sign-in did not land on /explore: {driver.current_url}")
        cookie = driver.get_cookie("session")
        assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert csp_violations(duo.get_logs()) == []

        driver.get(duo.server_url + "/test/csp-probe")
        seen = []
        deadline = time.monotonic() + 10
        while len(csp_violations(seen)) < 2 and time.monotonic() < deadline:
            seen.extend(duo.get_logs())
            time.sleep(0.2)
        assert driver.execute_script("return window.inlineRan === undefined && window.evalResult === undefined")
        violations = csp_violations(seen)
        assert len(violations) >= 2, f"the control page's violations were not logged: {seen}"
        assert any("inline script" in v for v in violations) and any("EvalError" in v for v in violations)
