"""Fetch from Fingertips and the catalogue editor in a real browser (dash_duo, headless Chromium).

Fingertips is the local recorded server (tests/fingertips_server.py): no test reaches the network.
An editor fetches indicator 93356 from the upload page, sees the same preview as for a file and
publishes it; a failing Fingertips gives a clear message. In /catalogue the editor changes an
indicator, sees a bad value refused by name with the typed values kept, and a restore in /versions
brings the earlier values back. Screenshots at 1366x768 and 390x844 go to the test's tmp folder.
"""
from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from callbacks.context import EXTENSION_KEY
from data.storage import users
from tests.fingertips_server import recorded_fingertips
from tests.integration.conftest import WAIT, axe_violations, choose, click, console_errors, describe_violations, settle
from tests.integration.test_upload_flow import EDITOR, PASSWORD, choice_select, publish, sign_in, wait_for_text

IND = "reception-overweight"


@pytest.fixture
def fingertips():
    with recorded_fingertips() as server:
        yield server


@pytest.fixture
def site(monkeypatch, tmp_path, fingertips):
    for name in ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "browser-test-secret-" + "f" * 32)
    monkeypatch.setenv("FINGERTIPS_API_URL", fingertips.base_url)
    monkeypatch.setenv("FINGERTIPS_TIMEOUT", "5")
    from app import create_app

    app = create_app()
    store = app.server.extensions[EXTENSION_KEY].store
    users.create_user(store.engine, EDITOR, PASSWORD, role="editor")
    yield app, store
    store.dispose()


def shoot(dash_duo, tmp_path, name: str, at: str | None = None) -> None:
    """Screenshots of the page as it is, at desktop and phone sizes (for a person to look at); at each size
    the page must not scroll sideways (WCAG 1.4.10 reflow)."""
    driver = dash_duo.driver
    for width, height in ((1366, 768), (390, 844)):
        driver.set_window_size(width, height)
        settle(dash_duo)
        if at:  # the part of the page to look at, scrolled into view
            driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'start', behavior: 'instant'})", at)
        driver.save_screenshot(str(tmp_path / f"{name}-{width}x{height}.png"))
        wide = driver.execute_script(
            "const w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('body *'))"
            ".filter(e => e.getBoundingClientRect().right > w + 1 && !(e.parentElement && e.parentElement.closest('[role=region]')))"
            # (a scrolling region's own content may be wider: it scrolls inside the region)
            ".map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)")
        assert wide == [], f"{name} at {width}px: the page scrolls sideways because of {wide}"
        assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), \
            f"{name} at {width}px: the page scrolls sideways"
    driver.set_window_size(1366, 768)


def serious(violations):
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_fch201_fetch_from_fingertips_goes_to_the_upload_preview_and_publishes(dash_duo, site, fingertips, tmp_path):
    app, store = site
    first = store.head_version()
    dash_duo.start_server(app)
    sign_in(dash_duo, "/upload")

    # Fingertips fails first: the form says which indicator and what went wrong, and nothing changes.
    fingertips.faults[("data", "93356")] = "http500"
    dash_duo.wait_for_element("#upload-fetch-ids", timeout=WAIT).send_keys("93356")
    choose(dash_duo, "upload-fetch-area-type", "Upper tier local authorities (pre 4/19) (102)")
    click(dash_duo, dash_duo.find_element("#upload-fetch-submit"))
    shown = wait_for_text(dash_duo, "#upload-fetch-message", "Not fetched")
    assert "indicator 93356 (data, area type 102): Fingertips answered HTTP 500" in shown
    assert store.head_version() == first

    fingertips.faults.clear()
    settle(dash_duo)
    dash_duo.wait_for_element("#upload-fetch-ids", timeout=WAIT).send_keys("93356")
    choose(dash_duo, "upload-fetch-area-type", "Upper tier local authorities (pre 4/19) (102)")
    click(dash_duo, dash_duo.find_element("#upload-fetch-submit"))
    until(lambda: "job=" in dash_duo.driver.current_url, WAIT, msg="the fetch did not open the job page")
    shown = wait_for_text(dash_duo, "#upload-progress", "Ready to publish")
    assert "Fingertips fetch: indicators 93356 (area type 102)" in shown
    preview = wait_for_text(dash_duo, "#upload-preview", "New indicators")
    assert "New indicators: fingertips-93356" in preview
    shoot(dash_duo, tmp_path, "fetch-preview", "#upload-fetch-title")
    problems = serious(axe_violations(dash_duo, ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]))
    assert problems == [], describe_violations(problems)
    # Fingertips says what the indicator is; only its set is the editor's choice before Publish (issue 12).
    set_select = choice_select(dash_duo, "93356", "set")
    assert Select(set_select).first_selected_option.get_attribute("textContent") == "— needs your choice —"
    unit = choice_select(dash_duo, "93356", "unit")
    assert Select(unit).first_selected_option.get_attribute("textContent") == "rate per 100,000"
    Select(set_select).select_by_visible_text("Fingertips indicators")
    click(dash_duo, dash_duo.find_element("#upload-choose-button"))
    wait_for_text(dash_duo, "#upload-choose-result", "Every field is chosen")
    publish(dash_duo, first + 1)
    served = store.load_dataset()
    assert (served.observations["indicator_id"] == "fingertips-93356").sum() == 852
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def _field(dash_duo, name: str):
    return dash_duo.wait_for_element(f"#catalogue-field-{name.replace('_', '-')}", timeout=WAIT)


def _retype(dash_duo, name: str, text: str) -> None:
    element = _field(dash_duo, name)
    element.send_keys(Keys.CONTROL, "a")  # clear() is undone by React's controlled input: select and type over
    element.send_keys(Keys.DELETE)
    element.send_keys(text)
    until(lambda: element.get_attribute("value") == text, WAIT, msg=f"{name} did not take {text!r}")


def test_cat201_edit_an_indicator_see_a_bad_value_refused_and_restore_the_earlier_values(dash_duo, site, tmp_path):
    app, store = site
    first = store.head_version()
    before = store.load_dataset().indicators.loc[IND].to_dict()
    dash_duo.start_server(app)
    sign_in(dash_duo, "/catalogue")
    dash_duo.wait_for_element("#catalogue-table", timeout=WAIT)
    click(dash_duo, dash_duo.find_element(f"#catalogue-edit-{IND}"))
    until(lambda: "id=" + IND in dash_duo.driver.current_url, WAIT, msg="the edit link did not open the form")
    assert _field(dash_duo, "name").get_attribute("value") == before["name"]

    # A bad month: refused by name, the typed values kept, nothing saved.
    _retype(dash_duo, "name", "Reception: overweight (incl. obesity)")
    _retype(dash_duo, "expected_by", "2025-13")
    click(dash_duo, dash_duo.find_element("#catalogue-save"))
    shown = wait_for_text(dash_duo, "#catalogue-problems", "nothing was saved")
    assert "Expected by (YYYY-MM): '2025-13' is not a month" in shown
    assert _field(dash_duo, "name").get_attribute("value") == "Reception: overweight (incl. obesity)"
    assert store.head_version() == first
    shoot(dash_duo, tmp_path, "catalogue-error", "#catalogue-problems")

    _retype(dash_duo, "expected_by", "2025-11")
    choose(dash_duo, "catalogue-field-polarity", "no judgement")
    click(dash_duo, dash_duo.find_element("#catalogue-save"))
    wait_for_text(dash_duo, "#catalogue-status", f"Saved as version {first + 1}")
    after = store.load_dataset().indicators.loc[IND]
    assert (after["name"], after["expected_by"], after["polarity"]) == (
        "Reception: overweight (incl. obesity)", "2025-11", "no judgement")
    problems = serious(axe_violations(dash_duo, ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]))
    assert problems == [], describe_violations(problems)
    shoot(dash_duo, tmp_path, "catalogue-saved", "#catalogue-table")

    # The history lists the change; restoring the version before it brings the earlier values back.
    dash_duo.wait_for_page(dash_duo.server_url + "/versions")
    wait_for_text(dash_duo, "#versions-table", f"catalogue: {IND} (name, polarity, expected_by)")
    restore_xpath = f"//button[normalize-space()='Restore version {first}']"
    until(lambda: dash_duo.driver.find_elements(By.XPATH, restore_xpath), WAIT, msg=f"no 'Restore version {first}' button")
    settle(dash_duo)
    click(dash_duo, dash_duo.driver.find_element(By.XPATH, restore_xpath))
    wait_for_text(dash_duo, "#versions-result", f"Restored version {first} as new version {first + 2}")
    assert store.load_dataset().indicators.loc[IND].to_dict() == before
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)
