"""Spotlight decks in a real browser: keys and the URL, deep links, Emerging trends, full screen,
readability at 1920x1080, accessibility, the PDF (print), the offline HTML export and presenter notes."""
from __future__ import annotations

import base64
import re

import pytest
import requests
from dash.testing.wait import until
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from app import create_app
from callbacks.context import EXTENSION_KEY
from data.domain.dataset import load_bundled
from data.domain.formatting import display_name
from data.domain.source import FixedSource
from data.domain.topics import EMERGING, deck, emerging_trends
from data.storage import users
from data.storage.topics import find_topic
from layouts.spotlight import slide_figure
from tests.integration.conftest import (
    BLOCKING_IMPACTS,
    WAIT,
    axe_violations,
    click,
    console_errors,
    count,
    describe_violations,
    settle,
)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
EDITOR, PASSWORD = "editor@example.org", "correct horse battery"
TOPIC = "child-exploitation"

_STATE_JS = """
const slides = Array.from(document.querySelectorAll('.spotlight-slide'));
const counter = document.getElementById('spotlight-counter-value');
return {
  current: slides.filter(s => s.classList.contains('is-current')).map(s => +s.dataset.slide),
  visible: slides.filter(s => getComputedStyle(s).visibility === 'visible').map(s => +s.dataset.slide),
  counter: counter ? counter.textContent : null,
  search: location.search, path: location.pathname,
  prevDisabled: document.getElementById('spotlight-prev').disabled,
  nextDisabled: document.getElementById('spotlight-next').disabled,
};
"""


def fixed_app():
    return create_app(source=FixedSource(load_bundled()))


def slides_of(app, slug):
    dataset = app.server.extensions[EXTENSION_KEY].current()
    store = getattr(app.server.extensions[EXTENSION_KEY], "store", None)
    return deck(dataset, find_topic(store.engine if store else None, dataset, slug))


def state(dash_duo) -> dict:
    return dash_duo.driver.execute_script(_STATE_JS)


def wait_for_slide(dash_duo, n: int, total: int) -> dict:
    seen = {}

    def shown():
        seen["state"] = state(dash_duo)
        s = seen["state"]
        in_url = re.search(r"[?&]slide=(\d+)", s["search"])
        return (s["current"] == [n] and s["visible"] == [n] and s["counter"] == f"{n} / {total}"
                and (int(in_url.group(1)) == n if in_url else n == 1))

    try:
        until(shown, WAIT)
    except Exception as exc:
        raise AssertionError(f"slide {n} / {total} never shown; last state {seen.get('state')}") from exc
    return seen["state"]


def press(dash_duo, key) -> None:
    ActionChains(dash_duo.driver).send_keys(key).perform()


def open_deck(dash_duo, slug=TOPIC, query="") -> None:
    dash_duo.wait_for_page(f"{dash_duo.server_url}/spotlight/{slug}{query}")
    dash_duo.wait_for_element(".spotlight-slide.is-current", timeout=WAIT)
    settle(dash_duo)
    dash_duo.driver.execute_script("if (document.activeElement) document.activeElement.blur();")


def full_hd(dash_duo) -> None:
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})


def assert_no_console_errors(dash_duo) -> None:
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


# -- navigation -----------------------------------------------------------------------

def test_spt101_keys_move_slides_and_the_url_and_back_forward_follow(dash_duo):
    app = fixed_app()
    total = len(slides_of(app, TOPIC))
    dash_duo.start_server(app)
    open_deck(dash_duo)
    first = wait_for_slide(dash_duo, 1, total)
    assert first["prevDisabled"] and not first["nextDisabled"]
    for key, n in [(Keys.ARROW_RIGHT, 2), (Keys.PAGE_DOWN, 3), (Keys.SPACE, 4), (Keys.ARROW_LEFT, 3), (Keys.PAGE_UP, 2)]:
        press(dash_duo, key)
        wait_for_slide(dash_duo, n, total)
    press(dash_duo, Keys.END)
    last = wait_for_slide(dash_duo, total, total)
    assert last["nextDisabled"] and not last["prevDisabled"]
    press(dash_duo, Keys.ARROW_RIGHT)  # past the end: stays on the last slide
    wait_for_slide(dash_duo, total, total)
    dash_duo.driver.back()
    wait_for_slide(dash_duo, 2, total)
    dash_duo.driver.forward()
    wait_for_slide(dash_duo, total, total)
    click(dash_duo, dash_duo.find_element("#spotlight-prev"))  # real buttons move too
    wait_for_slide(dash_duo, total - 1, total)
    assert dash_duo.driver.current_url.endswith(f"/spotlight/{TOPIC}?slide={total - 1}")
    assert_no_console_errors(dash_duo)


def test_spt102_a_deep_link_opens_that_slide(dash_duo):
    app = fixed_app()
    slides = slides_of(app, TOPIC)
    dash_duo.start_server(app)
    open_deck(dash_duo, query="?slide=3")
    wait_for_slide(dash_duo, 3, len(slides))
    title = dash_duo.driver.execute_script("return document.querySelector('.spotlight-slide.is-current .slide-inner').textContent")
    assert slides[2].title in title and slides[2].text in title
    open_deck(dash_duo, query=f"?slide={len(slides) + 40}")  # out of range: the last slide
    until(lambda: state(dash_duo)["current"] == [len(slides)] and state(dash_duo)["counter"] == f"{len(slides)} / {len(slides)}", WAIT)
    assert_no_console_errors(dash_duo)


def test_spt103_emerging_trends_open_on_the_first_ranked_item_and_say_why(dash_duo):
    app = fixed_app()
    dataset = app.server.extensions[EXTENSION_KEY].current()
    trends = emerging_trends(dataset)
    expected = trends[0]
    dash_duo.start_server(app)
    open_deck(dash_duo, EMERGING)
    first = dash_duo.driver.execute_script("""
      const s = document.querySelector('.spotlight-slide[data-indicator]:not([data-indicator=""])');
      return {id: s.dataset.indicator, slide: +s.dataset.slide, change: s.querySelector('.slide-change').textContent,
              listed: Array.from(document.querySelectorAll('.slide-trends li')).map(li => li.textContent)};""")
    assert first["id"] == expected.indicator_id and first["slide"] == 2, first
    name = display_name(dataset.indicator(expected.indicator_id))  # the short name (issue 14)
    assert len(first["listed"]) == len(trends)
    assert first["listed"][0].lower().startswith(name.lower()) and expected.label in first["listed"][0]
    assert first["change"] == "Change: " + expected.label
    # Never an out-of-date series (issue 13): the 2016-2018 Fingertips extracts are not "emerging".
    for stale in ("fingertips-low-income-families", "fingertips-neet-16-17", "fingertips-school-readiness-fsm"):
        assert not any(display_name(dataset.indicator(stale)).lower() in item.lower() for item in first["listed"]), stale
    assert_no_console_errors(dash_duo)


def test_spt104_new_user_opens_child_exploitation_full_screen_steps_through_and_prints(dash_duo):
    app = fixed_app()
    total = len(slides_of(app, TOPIC))
    dash_duo.start_server(app)
    click(dash_duo, dash_duo.wait_for_element(".site-nav a[href='/spotlight']", timeout=WAIT))
    click(dash_duo, dash_duo.wait_for_element(f"#topic-{TOPIC} a", timeout=WAIT))
    dash_duo.wait_for_element(".spotlight-slide.is-current", timeout=WAIT)
    settle(dash_duo)
    assert dash_duo.driver.execute_script("return getComputedStyle(document.querySelector('.site-header')).display") == "none"

    press(dash_duo, "f")
    until(lambda: dash_duo.driver.execute_script("return document.fullscreenElement && document.fullscreenElement.id") == "spotlight-stage",
          WAIT, msg="F did not go full screen")
    for n in range(2, total + 1):
        press(dash_duo, Keys.ARROW_RIGHT)
        wait_for_slide(dash_duo, n, total)
    press(dash_duo, "f")
    until(lambda: dash_duo.driver.execute_script("return document.fullscreenElement") is None, WAIT, msg="F did not leave full screen")

    driver = dash_duo.driver
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"])
    pages = re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)
    assert len(pages) == total, f"{len(pages)} PDF pages for {total} slides"
    box = [float(v) for v in re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf).groups()]
    assert abs((box[2] - box[0]) / (box[3] - box[1]) - 16 / 9) < 0.01, box
    assert driver.execute_script("return document.documentElement.classList.contains('spotlight-printing')") is False
    driver.execute_script("window.__printed = 0; window.addEventListener('beforeprint', () => window.__printed++);")
    click(dash_duo, dash_duo.find_element("#spotlight-print"))  # the PDF button calls window.print()
    until(lambda: driver.execute_script("return window.__printed") == 1, WAIT, msg="the PDF button did not print")
    until(lambda: not driver.execute_script("return document.documentElement.classList.contains('spotlight-printing')"), WAIT)

    press(dash_duo, Keys.ESCAPE)  # not in full screen: Esc leaves the deck
    until(lambda: driver.execute_script("return location.pathname") == "/spotlight", WAIT, msg="Esc did not leave")
    dash_duo.wait_for_element(f"#topic-{TOPIC}", timeout=WAIT)
    assert_no_console_errors(dash_duo)


# -- readability and accessibility ----------------------------------------------------

_SIZES_JS = """
const slide = document.querySelector('.spotlight-slide.is-current');
const px = el => parseFloat(getComputedStyle(el).fontSize);
const texts = Array.from(slide.querySelectorAll('p, h2, li, span, strong, figcaption, blockquote'))
  .filter(el => el.textContent.trim() && !el.closest('.js-plotly-plot'));
const gd = slide.querySelector('.js-plotly-plot');
return {
  body: texts.map(el => [el.className || el.tagName, px(el)]),
  layoutFont: gd ? gd._fullLayout.font.size : null,
  tickFonts: gd ? [gd._fullLayout.xaxis.tickfont.size, gd._fullLayout.yaxis.tickfont.size] : null,
  chartText: gd ? Array.from(gd.querySelectorAll('text')).filter(t => t.textContent.trim()).map(t => px(t)) : null,
  viewport: [innerWidth, innerHeight],
  slideBox: [slide.getBoundingClientRect().width, slide.getBoundingClientRect().height],
};
"""


@pytest.mark.parametrize("slide", [1, 4])
def test_spt105_slide_text_is_24px_and_chart_text_18px_at_1920x1080(dash_duo, slide):
    app = fixed_app()
    slides = slides_of(app, TOPIC)
    assert slides[3].kind == "indicator"
    dash_duo.start_server(app)
    full_hd(dash_duo)
    open_deck(dash_duo, query=f"?slide={slide}")
    wait_for_slide(dash_duo, slide, len(slides))
    if slides[slide - 1].kind == "indicator":
        until(lambda: dash_duo.driver.execute_script(
            "const g = document.querySelector('.spotlight-slide.is-current .js-plotly-plot'); return !!(g && g._fullLayout)"), WAIT)
    sizes = dash_duo.driver.execute_script(_SIZES_JS)
    assert sizes["viewport"] == [1920, 1080]
    width, height = sizes["slideBox"]
    assert abs(width / height - 16 / 9) < 0.01 and width >= 1700, sizes["slideBox"]
    small = [(name, size) for name, size in sizes["body"] if size < 24]
    assert sizes["body"] and not small, f"slide text under 24 px: {small}"
    if slides[slide - 1].kind == "indicator":
        assert sizes["layoutFont"] >= 18 and min(sizes["tickFonts"]) >= 18
        assert sizes["chartText"] and min(sizes["chartText"]) >= 18, sizes["chartText"]
    assert_no_console_errors(dash_duo)


def _axe(dash_duo, page: str) -> list[str]:
    violations = axe_violations(dash_duo, WCAG_TAGS)
    if violations:
        print(f"\naxe on {page}:\n{describe_violations(violations)}")
    return [f"{page}: " + describe_violations([v]) for v in violations if v["impact"] in BLOCKING_IMPACTS]


def test_spt106_axe_finds_no_serious_or_critical_violation(dash_duo, monkeypatch, tmp_path):
    app = store_app(monkeypatch, tmp_path)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/spotlight")
    dash_duo.wait_for_element(f"#topic-{TOPIC}", timeout=WAIT)
    settle(dash_duo)
    failures = _axe(dash_duo, "/spotlight")
    for slug, query in [(TOPIC, ""), (TOPIC, "?slide=4"), (EMERGING, "?slide=2"), ("working-with-fathers", "?slide=2")]:
        open_deck(dash_duo, slug, query)
        failures += _axe(dash_duo, f"/spotlight/{slug}{query}")
    sign_in(dash_duo, f"/spotlight/{TOPIC}")  # the editor's notes and edit panels too
    dash_duo.wait_for_element("#notes-text", timeout=WAIT)
    settle(dash_duo)
    failures += _axe(dash_duo, f"/spotlight/{TOPIC} (editor)")
    assert not failures, "serious or critical axe violations:\n" + "\n".join(failures)
    assert_no_console_errors(dash_duo)


# -- the HTML export with the network cut off -----------------------------------------

def offline_chromium() -> webdriver.Chrome:
    """A separate headless Chromium whose every network request goes to a dead proxy."""
    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>", "--window-size=1920,1080"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def test_spt107_exported_html_renders_with_the_network_cut_off(dash_duo, tmp_path):
    app = fixed_app()
    slides = slides_of(app, TOPIC)
    dash_duo.start_server(app)
    response = requests.get(f"{dash_duo.server_url}/spotlight/{TOPIC}/export.html", timeout=120)
    assert response.status_code == 200
    path = tmp_path / f"spotlight-{TOPIC}.html"
    path.write_bytes(response.content)

    browser = offline_chromium()
    try:
        with pytest.raises(WebDriverException, match="ERR_PROXY_CONNECTION_FAILED"):
            browser.get("http://example.org/")  # the proxy really is dead: nothing off this machine loads
        browser.get(path.as_uri())
        seen = browser.execute_script("""
          return {
            sections: Array.from(document.querySelectorAll('section.slide')).map(s => s.textContent),
            charts: Array.from(document.querySelectorAll('.chart svg')).map(s => s.getBoundingClientRect().width),
            resources: performance.getEntriesByType('resource').map(e => e.name),
            scripts: document.scripts.length,
            frameWidth: document.querySelector('.frame').getBoundingClientRect().width,
          };""")
        assert len(seen["sections"]) == len(slides)
        for text, slide in zip(seen["sections"], slides, strict=True):
            assert slide.title in text and slide.source in text
        charted = sum(s.kind == "indicator" and slide_figure(app.server.extensions[EXTENSION_KEY].current(), s.indicator_id) is not None for s in slides)
        assert len(seen["charts"]) == charted and min(seen["charts"]) > 300  # one value is a number, not a chart
        assert all(r.startswith(("file:", "data:")) for r in seen["resources"]), seen["resources"]
        assert seen["scripts"] == 0 and seen["frameWidth"] > 1000
        logs = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert logs == [], logs
    finally:
        browser.quit()
    assert_no_console_errors(dash_duo)


# -- presenter notes ------------------------------------------------------------------

def store_app(monkeypatch, tmp_path):
    for name in ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "browser-test-secret-" + "s" * 32)
    app = create_app()
    users.create_user(app.server.extensions[EXTENSION_KEY].store.engine, EDITOR, PASSWORD, role="editor")
    return app


def sign_in(dash_duo, next_path: str) -> None:
    dash_duo.wait_for_page(f"{dash_duo.server_url}/login?next={next_path}")
    dash_duo.wait_for_element("#login-email", timeout=WAIT).send_keys(EDITOR)
    dash_duo.find_element("#login-password").send_keys(PASSWORD)
    click(dash_duo, dash_duo.find_element("#login-submit"))
    until(lambda: dash_duo.driver.execute_script("return location.pathname") == next_path, WAIT, msg="sign-in failed")


def test_spt108_an_editor_keeps_a_note_and_an_anonymous_visitor_cannot(dash_duo, monkeypatch, tmp_path):
    app = store_app(monkeypatch, tmp_path)
    dash_duo.start_server(app)
    driver = dash_duo.driver

    open_deck(dash_duo)
    assert count(dash_duo, ".spotlight-notes") == 0 and count(dash_duo, "#notes-text") == 0
    refused = requests.post(f"{dash_duo.server_url}/_dash-update-component", timeout=30, json={
        "output": "notes-status.children", "outputs": {"id": "notes-status", "property": "children"},
        "inputs": [{"id": "notes-save", "property": "n_clicks", "value": 1}],
        "state": [{"id": "notes-text", "property": "value", "value": "anonymous"},
                  {"id": "spotlight-deck-meta", "property": "data", "value": {"slug": TOPIC}}],
        "changedPropIds": ["notes-save.n_clicks"]})
    assert refused.status_code == 403

    sign_in(dash_duo, f"/spotlight/{TOPIC}")
    notes = dash_duo.wait_for_element("#notes-text", timeout=WAIT)
    settle(dash_duo)
    assert driver.execute_script("return document.getElementById('spotlight-stage').contains(document.querySelector('.spotlight-notes'))") is False
    note = "Start with the Hackett model: 36% did not know it."
    notes.send_keys(note)
    press(dash_duo, Keys.ARROW_RIGHT)  # typing in the note never moves the slides
    assert "slide=" not in driver.execute_script("return location.search")
    click(dash_duo, dash_duo.find_element("#notes-save"))
    until(lambda: "Saved by editor@example.org" in dash_duo.find_element("#notes-status").text, WAIT, msg="note not saved")

    driver.refresh()
    until(lambda: driver.execute_script("const t = document.getElementById('notes-text'); return t && t.value") == note, WAIT)
    settle(dash_duo)
    driver.delete_all_cookies()  # now anonymous
    driver.refresh()
    dash_duo.wait_for_element(".spotlight-slide.is-current", timeout=WAIT)
    settle(dash_duo)
    assert count(dash_duo, "#notes-text") == 0
    assert note not in driver.execute_script("return document.body.innerHTML")
    assert_no_console_errors(dash_duo)
