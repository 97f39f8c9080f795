"""Helpers for the browser tests (pytest + dash_duo, headless Chrome).

Only pure helpers live here: every test builds its own app and browser.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from dash.testing.wait import until
from selenium.webdriver.support.ui import Select

from callbacks.context import EXTENSION_KEY

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "tests" / "vendor" / "axe.min.js"
WAIT = 15  # seconds: the first explore render builds the status table

YORK = "E06000014"
ENGLAND = "E92000001"

# Serious/critical accessibility problems fail a test; minor/moderate are printed only.
BLOCKING_IMPACTS = ("serious", "critical")


def served_dataset(app):
    """The Dataset the app serves (its source's current version): expectations are computed from it."""
    return app.server.extensions[EXTENSION_KEY].current()


def settle(dash_duo, timeout: float = WAIT) -> None:
    """Wait until the Dash renderer has no callback requested or running (seen twice, 0.2 s apart),
    so elements found afterwards are not replaced by a late re-render."""
    def idle():
        if not dash_duo._wait_for_callbacks():
            return False
        time.sleep(0.2)
        return dash_duo._wait_for_callbacks()

    until(idle, timeout, msg="Dash callbacks still running")


# --- navigation -----------------------------------------------------------------

def explore_url(dash_duo, **params) -> str:
    """Server URL of /explore with a query; list values repeat the key (indicator=a&indicator=b)."""
    pairs = []
    for key, value in params.items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((key, v))
    return dash_duo.server_url + "/explore" + ("?" + urlencode(pairs) if pairs else "")


def query(dash_duo) -> dict[str, list[str]]:
    return parse_qs(urlparse(dash_duo.driver.current_url).query)


def wait_for_query(dash_duo, key: str, value: str, timeout: float = WAIT) -> dict:
    until(lambda: query(dash_duo).get(key) == [value], timeout,
          msg=f"URL query never had {key}={value}; URL is {dash_duo.driver.current_url}")
    settle(dash_duo, timeout)
    return query(dash_duo)


# --- native controls ------------------------------------------------------------

def choose(dash_duo, select_id: str, label: str) -> None:
    """Pick an option of a native <select> by its visible text (fires a real change event)."""
    Select(dash_duo.wait_for_element(f"#{select_id}")).select_by_visible_text(label)


def select_value(dash_duo, select_id: str) -> str:
    return dash_duo.driver.execute_script("return document.getElementById(arguments[0]).value", select_id)


def checked_values(dash_duo, group_id: str) -> list[str]:
    """Values of the ticked checkboxes/radios inside a dbc.Checklist/RadioItems, in DOM order."""
    return dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#' + arguments[0] + ' input:checked')).map(i => i.value)",
        group_id,
    )


def option_input(dash_duo, group_id: str, value: str):
    return dash_duo.wait_for_element(f'#{group_id} input[value="{value}"]')


def click(dash_duo, element) -> None:
    """A real click, after scrolling the element to the middle of the (small, headless) window."""
    # behavior 'instant': Bootstrap sets `scroll-behavior: smooth`, and a click mid-scroll misses its target.
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'})", element)
    element.click()


# --- cards ----------------------------------------------------------------------

_TRACES_JS = """
const card = document.getElementById('card-' + arguments[0]);
const gd = card && card.querySelector('.js-plotly-plot');
if (!gd || !gd._fullData) return null;
const clean = v => (typeof v === 'number' && !Number.isFinite(v)) ? null : v;
const arr = a => a ? Array.from(a, clean) : [];
return gd._fullData.map(t => ({name: t.name, type: t.type, orientation: t.orientation || null,
                               x: arr(t.x), y: arr(t.y)}));
"""


def card_traces(dash_duo, indicator_id: str):
    """The plotted traces of a card's graph, read from plotly's gd._fullData (None while not drawn)."""
    return dash_duo.driver.execute_script(_TRACES_JS, indicator_id)


def wait_for_traces(dash_duo, indicator_id: str, check, timeout: float = WAIT, what: str = "expected traces"):
    """Wait until check(traces) is true; return the traces. Fails with the last traces seen."""
    seen = {}

    def ready():
        seen["traces"] = card_traces(dash_duo, indicator_id)
        return seen["traces"] is not None and check(seen["traces"])

    settle(dash_duo, timeout)
    try:
        until(ready, timeout)
    except Exception as exc:
        raise AssertionError(f"card {indicator_id}: never showed {what}; last traces: {seen.get('traces')}") from exc
    return seen["traces"]


def non_null(values) -> list:
    return [v for v in values if v is not None]


def card_table(dash_duo, indicator_id: str) -> dict:
    """The card's Table panel: caption, header texts, th scopes and body rows (cell texts)."""
    return dash_duo.driver.execute_script(
        """
        const table = document.querySelector('#card-' + arguments[0] + ' details.table-panel table');
        if (!table) return null;
        const text = el => el.textContent.trim();
        return {
          caption: table.caption ? text(table.caption) : null,
          headers: Array.from(table.querySelectorAll('thead th')).map(text),
          header_scopes: Array.from(table.querySelectorAll('thead th')).map(th => th.getAttribute('scope')),
          row_scopes: Array.from(table.querySelectorAll('tbody th')).map(th => th.getAttribute('scope')),
          rows: Array.from(table.querySelectorAll('tbody tr')).map(tr => Array.from(tr.cells).map(text)),
        };
        """,
        indicator_id,
    )


def table_records(table: dict) -> list[dict]:
    return [dict(zip(table["headers"], row, strict=True)) for row in table["rows"]]


def number(text: str) -> float:
    """A table or CSV cell as a number: '22.6%' -> 22.6, '1,150' -> 1150.0."""
    cleaned = re.sub(r"[%,£\s]", "", text)
    cleaned = re.sub(r"(per.*|days|hectares)$", "", cleaned)
    return float(cleaned)


def normalise_space(text: str) -> str:
    return " ".join(str(text).split())


# --- accessibility --------------------------------------------------------------

_AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
  .then(r => done({passes: r.passes.length, violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, tags: v.tags,
      nodes: v.nodes.map(n => ({target: n.target, html: n.html, impact: n.impact, summary: n.failureSummary}))
  }))}))
  .catch(e => done({error: String(e && e.stack || e)}));
"""


def axe_violations(dash_duo, tags) -> list[dict]:
    """Inject the vendored axe-core into the page and run it for the given tags; return its violations."""
    driver = dash_duo.driver
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        # Evaluated by WebDriver, not as an inline <script>: the app's CSP (rightly) blocks inline scripts.
        driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
        assert driver.execute_script("return typeof window.axe") == "object", "axe-core did not load"
    driver.set_script_timeout(60)
    result = driver.execute_async_script(_AXE_RUN, list(tags))
    if "error" in result:
        raise AssertionError(f"axe.run failed: {result['error']}")
    assert result["passes"] > 0, "axe checked nothing: is the page rendered?"
    return result["violations"]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for n in v["nodes"]:
            lines.append(f"    target={n['target']}\n      html={n['html'][:300]}\n      {normalise_space(n['summary'] or '')[:400]}")
    return "\n".join(lines)


def console_errors(logs: list[dict]) -> str:
    """Browser console errors, one line each (for assertion messages)."""
    return "\n".join(f"{e['level']}: {e['message'].splitlines()[0][:400]}" for e in logs)


def count(dash_duo, selector: str) -> int:
    """How many elements match now (no implicit wait: dash_duo's find_elements waits 2 s when there are none)."""
    return dash_duo.driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


RAW_DOWNLOAD = ROOT / "tests" / "data" / "fingertips" / "raw-download-example.csv"


@pytest.fixture
def raw_published(monkeypatch, tmp_path):
    """(app, store): the real app on a fresh SQLite store with the real Fingertips download
    (indicator 93356, every County & UA area, England by deprivation decile) published as version 2."""
    from app import create_app
    from data.ingest import upload_jobs
    from data.ingest.importer import read_upload

    for name in ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "browser-test-secret-" + "v" * 32)
    app = create_app()
    store = app.server.extensions[EXTENSION_KEY].store
    dataset = store.load_dataset()
    result = read_upload(RAW_DOWNLOAD.read_bytes(), RAW_DOWNLOAD.name, dataset.indicators, observations=dataset.observations)
    assert result.valid, result.problems[:3]
    rows = upload_jobs._typed(dataset.indicators, result.rows, result.new_indicators)
    store.publish(rows, result.new_indicators, user="test", file_name=RAW_DOWNLOAD.name, sha256="test", base_version=store.head_version())
    yield app, store
    store.dispose()
