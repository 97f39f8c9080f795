"""Upload, publish and rollback in a real browser (dash_duo, headless Chromium).

An editor signs in with the native /login form, sends a file through the native file input
that assets/zz-app/file-input.js puts in the upload form, checks the preview, publishes, and
later restores version 1 from /versions. An anonymous visitor (cookies cleared) sees the
pending badge go and come back. Every app is on its own SQLite file (DATABASE_URL).
"""
from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from callbacks.context import EXTENSION_KEY
from data.domain.formatting import format_period
from data.domain.status import indicator_status
from data.storage import users
from tests.integration.conftest import WAIT, click, console_errors, normalise_space, select_value, served_dataset, settle
from tests.upload_files import NEW_INDICATOR_HEADER, template_bytes, york_value

EDITOR = "editor@example.org"
PASSWORD = "correct horse battery"
ROW = york_value("reception-overweight", "23/24", 21.7, "academic year")
SCRIPT_NAME = "<script>alert(1)</script>"


@pytest.fixture
def site(monkeypatch, tmp_path):
    """The real app on a fresh SQLite store, with one editor; returns (app, store)."""
    for name in ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "browser-test-secret-" + "b" * 32)
    from app import create_app

    app = create_app()
    store = app.server.extensions[EXTENSION_KEY].store
    users.create_user(store.engine, EDITOR, PASSWORD, role="editor")
    yield app, store
    store.dispose()


# -- browser steps -----------------------------------------------------------------------------------

def text_of(dash_duo, selector: str) -> str:
    return normalise_space(dash_duo.driver.execute_script(
        "const el = document.querySelector(arguments[0]); return el ? el.innerText : '';", selector))


def wait_for_text(dash_duo, selector: str, wanted: str, timeout: float = WAIT) -> str:
    seen = {}

    def shown():
        seen["text"] = text_of(dash_duo, selector)
        return wanted in seen["text"]

    try:
        until(shown, timeout)
    except Exception as exc:  # say what was there instead
        raise AssertionError(f"{selector} never showed {wanted!r}; it shows {seen.get('text')!r}") from exc
    return seen["text"]


def path_is(dash_duo, path: str) -> bool:
    return dash_duo.driver.execute_script("return location.pathname") == path


def sign_in(dash_duo, next_path: str) -> None:
    """The native sign-in form, filled and submitted like a person would."""
    dash_duo.wait_for_page(f"{dash_duo.server_url}/login?next={next_path}")
    dash_duo.wait_for_element("#login-email", timeout=WAIT).send_keys(EDITOR)
    dash_duo.find_element("#login-password").send_keys(PASSWORD)
    click(dash_duo, dash_duo.find_element("#login-submit"))
    until(lambda: path_is(dash_duo, next_path), WAIT, msg=f"sign-in did not land on {next_path}")


def upload_file(dash_duo, path) -> None:
    """On /upload: the file goes into the injected native input, then the form is submitted."""
    file_input = dash_duo.wait_for_element("input#upload-file[type=file]", timeout=WAIT)
    assert file_input.get_attribute("name") == "file"
    file_input.send_keys(str(path))
    click(dash_duo, dash_duo.find_element("form.upload-form button[type=submit]"))
    until(lambda: "job=" in dash_duo.driver.current_url, WAIT, msg="the form did not open the job page")


def publish(dash_duo, expected_version: int) -> None:
    button = dash_duo.wait_for_element("#upload-publish-button", timeout=WAIT)
    until(lambda: button.is_displayed(), WAIT, msg="the Publish button never appeared")
    click(dash_duo, button)
    wait_for_text(dash_duo, "#upload-publish-result", f"Published as version {expected_version}")


def as_anonymous(dash_duo, path: str = "/") -> None:
    """Forget the session (a viewer who never signed in) and load the page fresh."""
    dash_duo.driver.delete_all_cookies()
    assert dash_duo.driver.get_cookies() == []
    dash_duo.wait_for_page(dash_duo.server_url + path)


def overview_badges(dash_duo) -> dict[str, str]:
    """Tile id -> text of its pending badge, for every tile that has one."""
    dash_duo.wait_for_element("#overview-sections li[id^='tile-']", timeout=WAIT)
    settle(dash_duo)
    return dash_duo.driver.execute_script(
        "const out = {};"
        "document.querySelectorAll('li[id^=\"tile-\"]').forEach(li => {"
        "  const b = li.querySelector('strong.badge-pending'); if (b) out[li.id.slice(5)] = b.innerText.trim(); });"
        "return out;")


def pending_in(app, year: str) -> set[str]:
    status = indicator_status(served_dataset(app), year)
    return set(status.index[status["pending"]])  # pending or overdue


# -- the "Done when" scenario in the browser ----------------------------------------------------------

def test_upl101_publish_clears_the_pending_badge_and_restore_brings_it_back(dash_duo, site, tmp_path):
    app, store = site
    first = store.head_version()
    pending_before = pending_in(app, "2023/24")
    assert ROW["indicator_id"] in pending_before
    path = tmp_path / "york-reception-2023-24.csv"
    path.write_bytes(template_bytes([ROW]))
    dash_duo.start_server(app)

    sign_in(dash_duo, "/upload")
    upload_file(dash_duo, path)
    shown = wait_for_text(dash_duo, "#upload-preview", "Pending flags that would clear")
    assert f"Pending flags that would clear: {ROW['indicator_id']}" in shown
    publish(dash_duo, first + 1)
    assert store.head_version() == first + 1

    as_anonymous(dash_duo, "/upload")  # really anonymous now: the upload page asks to sign in
    wait_for_text(dash_duo, "#page-content", "Sign in needed")
    as_anonymous(dash_duo, "/?view=tiles")
    badges = overview_badges(dash_duo)
    year = select_value(dash_duo, "overview-reporting-year")
    assert ROW["indicator_id"] not in badges, "the published 2023/24 value should clear the badge"
    assert set(badges) == pending_in(app, year) == pending_before - {ROW["indicator_id"]}
    assert dash_duo.find_element(f"#tile-{ROW['indicator_id']} .tile-period").text.strip() == format_period(ROW["period"])

    sign_in(dash_duo, "/versions")
    restore_xpath = f"//button[normalize-space()='Restore version {first}']"
    until(lambda: dash_duo.driver.find_elements(By.XPATH, restore_xpath), WAIT, msg=f"no 'Restore version {first}' button")
    settle(dash_duo)
    click(dash_duo, dash_duo.driver.find_element(By.XPATH, restore_xpath))
    wait_for_text(dash_duo, "#versions-result", f"Restored version {first} as new version {first + 2}")
    assert store.head_version() == first + 2

    as_anonymous(dash_duo, "/?view=tiles")
    badges = overview_badges(dash_duo)
    assert badges.get(ROW["indicator_id"]) == "Overdue: expected November 2024"  # the flag is back, and November 2024 has passed
    assert set(badges) == pending_before
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


# -- a hostile indicator name is text everywhere ------------------------------------------------------

def test_upl_xss_script_in_a_new_indicator_name_is_shown_as_text(dash_duo, site, tmp_path):
    app, store = site
    first = store.head_version()
    new_id = "xss-probe"
    assert new_id not in served_dataset(app).indicators.index
    row = {**york_value(new_id, "23/24", 12.5, "academic year"), "indicator_name": SCRIPT_NAME, "set": "Aged 2-5",
           "unit": "%", "polarity": "no judgement", "definition": "<img src=x onerror=alert(2)>"}
    path = tmp_path / "new-indicator.csv"
    path.write_bytes(template_bytes([row], header=NEW_INDICATOR_HEADER))
    dash_duo.start_server(app)

    sign_in(dash_duo, "/upload")
    upload_file(dash_duo, path)
    wait_for_text(dash_duo, "#upload-preview", f"New indicators: {new_id}")
    publish(dash_duo, first + 1)
    assert served_dataset(app).indicators.at[new_id, "name"] == SCRIPT_NAME

    text_xpath = f"//*[normalize-space(text())='{SCRIPT_NAME}']"
    for page, container in ((f"/explore?indicator={new_id}&set=Aged+2-5", f"#card-{new_id}"), ("/", f"#row-{new_id}")):
        as_anonymous(dash_duo, page)
        dash_duo.wait_for_element(container, timeout=WAIT)
        settle(dash_duo)
        shown = [el for el in dash_duo.driver.find_elements(By.XPATH, text_xpath) if el.is_displayed()]
        assert shown, f"{page}: the name is not shown as text"
        inside = dash_duo.driver.find_element(By.CSS_SELECTOR, container).find_elements(By.XPATH, "." + text_xpath)
        assert inside, f"{page}: the name is not in {container}"
        with pytest.raises(NoAlertPresentException):
            dash_duo.driver.switch_to.alert.text  # noqa: B018 - raises when no alert is open
        injected = dash_duo.driver.execute_script(
            "return {scripts: Array.from(document.scripts).filter(s => s.textContent.includes('alert(')).length,"
            "        imgs: document.querySelectorAll('img[src=\"x\"]').length}")
        assert injected == {"scripts": 0, "imgs": 0}, f"{page}: markup from the data reached the DOM"
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def _api_status(dash_duo, path: str) -> int:
    return dash_duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status), () => done(-1));", path)


def test_upl102_the_header_sign_out_form_ends_the_session_on_the_server(dash_duo, site):
    app, _ = site
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url + "/")
    settle(dash_duo)
    assert not dash_duo.find_element("#sign-out-form").is_displayed()  # nobody is signed in

    sign_in(dash_duo, "/upload")
    button = dash_duo.wait_for_element("#sign-out-form button[type=submit]", timeout=WAIT)
    until(lambda: button.is_displayed(), WAIT, msg="the sign-out button never appeared")
    assert _api_status(dash_duo, "/api/versions") == 200
    cookie = next(c for c in dash_duo.driver.get_cookies() if c["name"] == "session")

    click(dash_duo, button)
    until(lambda: path_is(dash_duo, "/"), WAIT, msg="sign-out did not land on /")
    settle(dash_duo)
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)  # (before the refused fetches below, which the console reports)
    assert _api_status(dash_duo, "/api/versions") == 401
    dash_duo.driver.delete_all_cookies()
    dash_duo.driver.add_cookie({k: cookie[k] for k in ("name", "value", "path")})  # the old cookie, replayed
    assert _api_status(dash_duo, "/api/versions") == 401
